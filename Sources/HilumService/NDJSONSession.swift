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

    /// Runs over file descriptors (stdin/stdout by default). Ends at end of input; a failed read is `input.read_failed`,
    /// a failed write (the reader of the output has gone, a full disk) `output.write_failed`.
    public func run(input: Int32 = 0, output: Int32 = 1) throws(HilumError) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var discarding = false  // inside an over-long line
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HilumError("input.read_failed", "cannot read the input: \(String(cString: strerror(errno)))")
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
            try answer(lines.map { Array($0) }, output)
        }
        if !pending.isEmpty && !discarding { try answer([pending], output) }
    }

    func answer(_ lines: [[UInt8]], _ output: Int32) throws(HilumError) {
        let work = lines.filter { !isBlank($0) }
        guard !work.isEmpty else { return }
        let answers = ParallelMap.map(work, jobs: jobs) { line -> [UInt8] in
            var out = service.handle(line: line[...])
            out.append(0x0A)
            return out
        }
        var buf: [UInt8] = []
        for a in answers { buf.append(contentsOf: a) }
        try writeAll(buf, output)
    }

    func isBlank(_ l: [UInt8]) -> Bool { l.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
}

/// Writes every byte to a file descriptor, retrying short and interrupted writes. A failed write (disk full, a closed
/// pipe) is `output.write_failed`, so that a command stops and says so instead of leaving a short output behind.
public func writeAll(_ bytes: [UInt8], _ fd: Int32) throws(HilumError) {
    var off = 0
    var failure: Int32 = 0
    bytes.withUnsafeBytes { p in
        while off < p.count {
            let w = write(fd, p.baseAddress?.advanced(by: off), p.count - off)
            if w < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            off += w
        }
    }
    if failure != 0 {
        throw HilumError("output.write_failed", "cannot write the output: \(String(cString: strerror(failure))) (\(off) of \(bytes.count) bytes written)")
    }
}

