public import HilumCore
internal import CZlib
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A stream of bytes: a file, standard input, or a gzip stream over either. Reads in chunks so that
/// memory stays flat whatever the input size.
public protocol ByteSource {
    /// Appends up to `max` bytes to `buffer`; returns 0 at the end.
    mutating func read(into buffer: inout [UInt8], max: Int) throws(HilumError) -> Int
}

/// Owns a file descriptor: closed when the last copy of its source goes away (a reader that stops early, on an
/// error or after a few records, must not leak descriptors: found by fuzzing the corpus readers).
final class OwnedDescriptor: @unchecked Sendable {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { if fd > 2 { _ = Glibc.close(fd) } }
}

/// A file descriptor source.
public struct FileSource: ByteSource {
    let owner: OwnedDescriptor
    var fd: Int32 { owner.fd }
    let path: String
    var chunk = [UInt8](repeating: 0, count: 1 << 18)
    var counter: ByteCounter? = nil

    public init(path: String) throws(HilumError) {
        if path == "-" { owner = OwnedDescriptor(0); self.path = "-"; return }
        let f = open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { throw HilumError("input.not_found", "cannot open \(path): \(String(cString: strerror(errno)))") }
        owner = OwnedDescriptor(f)
        self.path = path
    }

    public mutating func read(into buffer: inout [UInt8], max: Int) throws(HilumError) -> Int {
        let want = min(max, chunk.count)
        let fd = self.fd
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HilumError("input.read_failed", "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                counter?.bytes += n
            }
            return n
        }
    }

}

/// Inflates gzip (multi-member) or zlib data from another source with zlib.
/// A truncated stream is `input.truncated_gzip`; corrupt data is `input.corrupt_gzip`.
public struct GzipSource<S: ByteSource>: ByteSource {
    var inner: S
    /// zlib keeps a pointer back to its z_stream: the stream must stay at one address.
    let z = ZStreamBox()
    var input: [UInt8] = []
    var inputPos = 0
    var innerDone = false
    var finished = false
    var initialized = false
    var out = [UInt8](repeating: 0, count: 1 << 16)
    let name: String

    public init(_ inner: S, name: String) {
        self.inner = inner
        self.name = name
    }

    mutating func refill() throws(HilumError) {
        if inputPos >= input.count && !innerDone {
            input.removeAll(keepingCapacity: true)
            inputPos = 0
            let n = try inner.read(into: &input, max: 1 << 18)
            if n == 0 { innerDone = true }
        }
    }

    public mutating func read(into buffer: inout [UInt8], max: Int) throws(HilumError) -> Int {
        if finished { return 0 }
        if !initialized {
            try refill()
            if input.isEmpty { finished = true; return 0 }
            guard hilum_inflate_init_gzip(z.p) == Z_OK else { throw HilumError("input.corrupt_gzip", "\(name): zlib init failed") }
            initialized = true
            z.live = true
        }
        while true {
            try refill()
            let avail = input.count - inputPos
            if avail == 0 && innerDone {
                finished = true
                z.end()
                throw HilumError("input.truncated_gzip", "\(name): gzip stream ends before its end marker (truncated file)")
            }
            let want = min(max, out.count)
            var produced = 0
            var rc: Int32 = Z_OK
            let pos = inputPos
            var remaining = 0
            let zp = z.p
            input.withUnsafeBufferPointer { ip in
                out.withUnsafeMutableBufferPointer { op in
                    zp.pointee.next_in = ip.baseAddress.map { UnsafeMutablePointer(mutating: $0 + pos) }
                    zp.pointee.avail_in = UInt32(avail)
                    zp.pointee.next_out = op.baseAddress
                    zp.pointee.avail_out = UInt32(want)
                    rc = inflate(zp, Z_NO_FLUSH)
                    produced = want - Int(zp.pointee.avail_out)
                    remaining = Int(zp.pointee.avail_in)
                }
            }
            inputPos = input.count - remaining
            if rc == Z_STREAM_END {
                // Another member may follow.
                try refill()
                let left = input.count - inputPos
                if left == 0 && innerDone {
                    finished = true
                    z.end()
                } else {
                    inflateReset(z.p)
                }
            } else if rc != Z_OK && rc != Z_BUF_ERROR {
                finished = true
                z.end()
                throw HilumError("input.corrupt_gzip", "\(name): corrupt gzip data (zlib code \(rc))")
            }
            if produced > 0 {
                buffer.append(contentsOf: out[0..<produced])
                return produced
            }
            if finished { return 0 }
        }
    }
}

/// Bytes already in memory (a request body, a test input): read in chunks like a file.
public struct MemorySource: ByteSource {
    let bytes: [UInt8]
    var pos = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: inout [UInt8], max: Int) throws(HilumError) -> Int {
        let n = Swift.min(max, bytes.count - pos)
        guard n > 0 else { return 0 }
        buffer.append(contentsOf: bytes[pos..<(pos + n)])
        pos += n
        return n
    }
}

/// Bytes already read from a source (to look at them), then the rest of the source.
struct ReplaySource: ByteSource {
    var prefix: [UInt8]
    var pos = 0
    var inner: any ByteSource

    mutating func read(into buffer: inout [UInt8], max: Int) throws(HilumError) -> Int {
        if pos < prefix.count {
            let n = Swift.min(max, prefix.count - pos)
            buffer.append(contentsOf: prefix[pos..<(pos + n)])
            pos += n
            return n
        }
        return try inner.read(into: &buffer, max: max)
    }

    /// Reads up to `n` bytes of `source` (fewer at its end) and returns them with a source that still yields them.
    static func peek(_ source: any ByteSource, _ n: Int) throws(HilumError) -> ([UInt8], ReplaySource) {
        var s = source
        var head: [UInt8] = []
        while head.count < n {
            if try s.read(into: &head, max: n - head.count) == 0 { break }
        }
        return (head, ReplaySource(prefix: head, inner: s))
    }
}

/// Opens a path as a byte source, inflating `.gz` files.
public func openSource(_ path: String) throws(HilumError) -> any ByteSource { try openSource(path, counter: nil) }

/// `openSource` that adds the bytes read from the file to `counter`.
func openSource(_ path: String, counter: ByteCounter?) throws(HilumError) -> any ByteSource {
    var f = try FileSource(path: path)
    f.counter = counter
    if path.hasSuffix(".gz") { return GzipSource(f, name: path) }
    return f
}

/// A heap-allocated z_stream, ended and freed with its owner.
final class ZStreamBox: @unchecked Sendable {
    let p: UnsafeMutablePointer<z_stream>
    var live = false
    init() {
        p = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        p.initialize(to: z_stream())
    }
    func end() { if live { inflateEnd(p); live = false } }
    deinit {
        end()
        p.deallocate()
    }
}
