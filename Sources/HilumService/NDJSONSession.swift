public import HilumCore
internal import Foundation
internal import HilumLabels
#if canImport(Glibc)
internal import Glibc
#endif

/// The NDJSON session of `hilum stdio`: one response line per request line, in order, flushed after
/// each batch. Reads whatever is available, answers the complete lines of that chunk concurrently
/// on all cores, writes the answers in input order. A bad line gets an error envelope and the
/// session goes on; EOF answers a last unterminated line and returns.
public struct NDJSONSession: Sendable {
    public let service: Service
    public var jobs: Int

    public init(service: Service, jobs: Int = 0) {
        self.service = service
        self.jobs = jobs > 0 ? jobs : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs over file descriptors (stdin/stdout by default).
    public func run(input: Int32 = 0, output: Int32 = 1) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var discarding = false  // inside an over-long line
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            if n == 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            var lines: [ArraySlice<UInt8>] = []
            var start = 0
            var i = 0
            while let nl = pending[i...].firstIndex(of: 0x0A) {
                if discarding {
                    discarding = false
                } else {
                    lines.append(pending[start..<nl])
                }
                start = nl + 1
                i = start
            }
            if start > 0 { pending.removeSubrange(0..<start) }
            // A line longer than the limit: answer now, skip the rest of it.
            if !discarding && pending.count > service.maxLineBytes {
                lines.append(pending[0...])
                pending.removeAll()
                discarding = true
            } else if discarding {
                pending.removeAll()
            }
            answer(lines.map { Array($0) }, output)
        }
        if !pending.isEmpty && !discarding { answer([pending], output) }
    }

    func answer(_ lines: [[UInt8]], _ output: Int32) {
        let work = lines.filter { !isBlank($0) }
        guard !work.isEmpty else { return }
        let answers = ParallelMap.map(work, jobs: jobs) { line -> [UInt8] in
            var out = service.handle(line: line[...])
            out.append(0x0A)
            return out
        }
        var buf: [UInt8] = []
        for a in answers { buf.append(contentsOf: a) }
        writeAll(buf, output)
    }

    func isBlank(_ l: [UInt8]) -> Bool { l.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
}

/// Writes every byte to a file descriptor, retrying short writes.
public func writeAll(_ bytes: [UInt8], _ fd: Int32) {
    var off = 0
    bytes.withUnsafeBytes { p in
        while off < p.count {
            let w = write(fd, p.baseAddress?.advanced(by: off), p.count - off)
            if w < 0 { if errno == EINTR { continue }; return }
            off += w
        }
    }
}

