import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client for the live-socket tests: one blocking POSIX socket per request (`Connection: close`),
/// run on its own thread so that it never blocks the cooperative pool the server in the same process runs on.
///
/// The tests used `URLSession` before. On Linux it drives libcurl through dispatch sources, and with a server in the
/// same process (sockets opened and closed by both sides, descriptors reused at once) it intermittently never
/// completed a request: the test process sat at 100% CPU in libdispatch after the last test, and CI once got an
/// "empty reply". A socket and a parser of a few lines have no such state.
enum TestHTTP {
    struct Response {
        var status: Int
        var headers: [String: String]   // lower-cased names
        var body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func perform(port: Int, method: String, path: String, body: [UInt8]?, headers: [(String, String)] = [],
                     timeoutSeconds: Int = 300) async throws -> Response {
        let result: Result<Response, Failure> = await withCheckedContinuation { c in
            Thread.detachNewThread {
                c.resume(returning: exchange(port: port, method: method, path: path, body: body, headers: headers,
                                             timeoutSeconds: timeoutSeconds))
            }
        }
        return try result.get()
    }

    private static func exchange(port: Int, method: String, path: String, body: [UInt8]?, headers: [(String, String)],
                                 timeoutSeconds: Int) -> Result<Response, Failure> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(description: "socket: errno \(errno)")) }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .failure(Failure(description: "connect: errno \(errno)")) }

        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        var out = Array(head.utf8)
        if let body { out += body }
        var sent = 0
        var sendFailed = false
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413) and stop reading before the body is sent: read what it answered.
            if n <= 0 { sendFailed = true; break }
            sent += n
        }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                if data.isEmpty { return .failure(Failure(description: "recv: errno \(errno)\(sendFailed ? " (send failed)" : "")")) }
                break   // a reset after the whole answer (the server closes while the client still sends)
            }
            if n == 0 { break }
            data += buf[0..<n]
        }
        return parse(data)
    }

    static func parse(_ data: [UInt8]) -> Result<Response, Failure> {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...max(0, data.count - 4)).first(where: { data.count >= 4 && Array(data[$0..<$0 + 4]) == sep }) else {
            return .failure(Failure(description: "no complete response head in \(data.count) bytes"))
        }
        let lines = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = (lines.first ?? "").split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            return .failure(Failure(description: "bad status line \(lines.first ?? "")"))
        }
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var decoded: [UInt8] = []
            var i = 0
            while let crlf = (i..<max(i, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }),
                  let size = Int(String(decoding: body[i..<crlf], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) {
                if size == 0 { break }
                let start = crlf + 2
                guard start + size <= body.count else { return .failure(Failure(description: "truncated chunk")) }
                decoded += body[start..<start + size]
                i = start + size + 2
            }
            body = decoded
        } else if let len = headers["content-length"].flatMap(Int.init) {
            guard body.count >= len else { return .failure(Failure(description: "body \(body.count) of \(len) bytes")) }
            body = Array(body[0..<len])
        }
        return .success(Response(status: status, headers: headers, body: body))
    }
}
