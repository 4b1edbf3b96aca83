public import HilumCore
public import HilumService
public import Hummingbird
internal import NIOCore
internal import NIOPosix
internal import HummingbirdCore
internal import Foundation
internal import Synchronization

/// Server settings. Binding an address other than loopback requires a token.
public struct HTTPConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Largest accepted request body (413 above).
    public var maxBodyBytes = 10 << 20
    /// When set, every request needs `Authorization: Bearer <token>`.
    public var token: String? = nil
    /// Log report text (never by default: reports are patient data).
    public var logText = false
    /// Open connections accepted at once (others wait in the backlog).
    public var maxConnections = 256
    /// Seconds a request may take before the answer is `service.timeout` (503).
    public var timeBudget: Double = 30
    /// Seconds a connection may stay idle (or dribble a request head, slow-loris style) before it is closed.
    public var idleTimeoutSeconds: Double = 30
    /// Requests processed at once; more get `service.busy` (503) at once instead of queueing without bound.
    public var maxConcurrentRequests = 256
    /// Bodies up to this size run inline on the request task (a 256 KB report takes ~50 ms, far below any budget
    /// of a second or more); larger ones race the time budget.
    public var inlineBodyBytes = 256 << 10
    public init() {}
}

/// HTTP status for an error code: `request.*` 400, `*.not_found` 404, `*.too_large` 413,
/// `auth.*` 401, input errors in request data (`mask.*`, `scene.*`, `input.*`) 422, `store.not_configured` 503, else 500.
public func httpStatus(for code: String) -> HTTPResponse.Status {
    if code.hasSuffix(".too_large") { return .contentTooLarge }
    if code.hasSuffix(".not_found") || code.hasPrefix("query.unknown") { return .notFound }
    if code.hasPrefix("request.") { return .badRequest }
    if code.hasPrefix("auth.") { return .unauthorized }
    if code.hasPrefix("mask.") || code.hasPrefix("scene.") || code.hasPrefix("input.") { return .unprocessableContent }
    if code == "store.not_configured" || code == "service.timeout" || code == "service.busy" { return .serviceUnavailable }
    return .internalServerError
}

/// The numeric HTTP status for an error code.
public func httpStatusCode(for code: String) -> Int { httpStatus(for: code).code }

/// Constant-time comparison of two byte strings (no early exit on the first difference).
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt8(a.count == b.count ? 0 : 1)
    for i in 0..<max(a.count, b.count) {
        let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
        diff |= x ^ y
    }
    return diff == 0
}

enum Envelope {
    static func error(_ id: JSONValue, _ e: HilumError) -> [UInt8] {
        var w = JSONWriter()
        w.value(.object([("id", id), ("ok", .bool(false)),
                         ("error", .object([("code", .string(e.code)), ("message", .string(e.message))]))]))
        return w.bytes
    }

    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Builds the Hummingbird application: `POST /v1/rpc` (the envelope), `POST /v1/{op}` (params as body),
/// `GET /v1/version`, `GET /healthz`. Every answer is the JSON envelope of DESIGN §4.
public func buildApplication(service: Service, config: HTTPConfig,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    let token = config.token.map { Array($0.utf8) }
    let limit = config.maxBodyBytes

    @Sendable func authorized(_ request: Request) -> Bool {
        guard let token else { return true }
        guard let h = request.headers[.authorization], h.hasPrefix("Bearer ") else { return false }
        return constantTimeEqual(Array(h.dropFirst(7).utf8), token)
    }

    /// The request body, at most `limit` bytes. A longer body is still read to its end (and dropped), up to
    /// `drainBytes` more: a client that is still sending when the server answers 413 and closes sees a reset
    /// connection instead of the answer.
    let drainBytes = 64 << 20
    @Sendable func body(_ request: inout Request) async -> Result<[UInt8], HilumError> {
        var kept = ByteBuffer()
        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                if total > limit {
                    kept.clear()
                    if total - limit > drainBytes { break }
                    continue
                }
                var c = chunk
                kept.writeBuffer(&c)
            }
        } catch {
            if total <= limit { return .failure(HilumError("request.invalid_envelope", "the request body could not be read")) }
        }
        if total > limit { return .failure(HilumError("request.too_large", "request body over \(limit) bytes")) }
        return .success(Array(kept.readableBytesView))
    }

    let budget = config.timeBudget
    let inFlight = Mutex(0)
    let maxInFlight = config.maxConcurrentRequests
    let inline = budget >= 1 ? config.inlineBodyBytes : -1
    /// Runs the CPU-bound dispatcher within the concurrency limit and the time budget.
    @Sendable func dispatch(size: Int, _ work: @escaping @Sendable () -> Service.Answer) async -> Service.Answer {
        let admitted = inFlight.withLock { n -> Bool in
            guard n < maxInFlight else { return false }
            n += 1
            return true
        }
        guard admitted else {
            return Service.Answer(bytes: Envelope.error(.null, HilumError("service.busy", "more than \(maxInFlight) requests in progress; retry later")), errorCode: "service.busy")
        }
        defer { inFlight.withLock { $0 -= 1 } }
        if size <= inline { return work() }
        return await withTaskGroup(of: Service.Answer?.self) { group in
            // Large requests run on NIO's blocking thread pool, not on the cooperative pool that accepts connections,
            // reads request heads and fires this very time budget: CPU-bound work there would leave /healthz, new
            // connections and the 503 timeout answer waiting for a free cooperative thread (2 on a 2-core machine).
            group.addTask {
                // A pool that no longer runs (the server is stopping) is not a slow request: say so, not "timeout".
                do { return try await NIOThreadPool.singleton.runIfActive(work) } catch {
                    return Service.Answer(bytes: Envelope.error(.null, HilumError("service.busy", "the server is stopping; retry later")), errorCode: "service.busy")
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(budget * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? Service.Answer(bytes: Envelope.error(.null, HilumError("service.timeout", "the request took longer than \(budget) s")), errorCode: "service.timeout")
        }
    }

    // The Workbench page (compiled in; no token needed to load it, every API call it makes needs one when set).
    for asset in WorkbenchAssets.all {
        let bytes = ByteBuffer(string: asset.body)
        @Sendable func serve(_ request: Request, _ context: BasicRequestContext) -> Response {
            var headers = HTTPFields()
            headers[.contentType] = asset.contentType
            headers[.cacheControl] = "no-cache"
            headers[.xContentTypeOptions] = "nosniff"
            headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
        }
        router.get(RouterPath(asset.path), use: serve)
        if asset.path == "/" { router.get("index.html", use: serve) }
    }

    router.get("healthz") { _, _ in Envelope.response(Array("{\"ok\":true}".utf8)) }
    router.get("openapi.json") { _, _ in Envelope.response(Array(OpenAPI.document().serialized().utf8)) }

    @Sendable func version(_ request: Request, _ context: BasicRequestContext) -> Response {
        guard authorized(request) else { return Envelope.response(Envelope.error(.null, HilumError("auth.unauthorized", "missing or wrong bearer token")), status: .unauthorized) }
        let out = service.handle(envelope: .object([("id", .null), ("op", .string("version")), ("params", .object([]))]))
        return Envelope.response(out)
    }
    // A static route shadows `v1/:op` for every method, so version answers both GET and POST.
    router.get("v1/version", use: version)
    router.post("v1/version", use: version)

    router.post("v1/rpc") { request, _ in
        var request = request
        guard authorized(request) else { return Envelope.response(Envelope.error(.null, HilumError("auth.unauthorized", "missing or wrong bearer token")), status: .unauthorized) }
        switch await body(&request) {
        case .failure(let e): return Envelope.response(Envelope.error(.null, e), status: httpStatus(for: e.code))
        case .success(let bytes):
            let out = await dispatch(size: bytes.count) { service.answer(line: bytes[...]) }
            return Envelope.response(out.bytes, status: out.errorCode.map(httpStatus(for:)) ?? .ok)
        }
    }

    router.post("v1/:op") { request, context in
        var request = request
        guard authorized(request) else { return Envelope.response(Envelope.error(.null, HilumError("auth.unauthorized", "missing or wrong bearer token")), status: .unauthorized) }
        let op = context.parameters.get("op") ?? ""
        switch await body(&request) {
        case .failure(let e): return Envelope.response(Envelope.error(.null, e), status: httpStatus(for: e.code))
        case .success(let bytes):
            let params: JSONValue
            guard let s = UTF8Bytes.string(bytes) else {
                let e = HilumError("request.invalid_utf8", "body is not valid UTF-8")
                return Envelope.response(Envelope.error(.null, e), status: httpStatus(for: e.code))
            }
            do throws(HilumError) {
                params = bytes.isEmpty ? .object([]) : try JSONParser().parse(s)
            } catch {
                return Envelope.response(Envelope.error(.null, error), status: httpStatus(for: error.code))
            }
            let envelope = JSONValue.object([("id", .null), ("op", .string(op)), ("params", params)])
            let out = await dispatch(size: bytes.count) { service.answer(envelope: envelope) }
            return Envelope.response(out.bytes, status: out.errorCode.map(httpStatus(for:)) ?? .ok)
        }
    }

    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [FlushBeforeClose()],
                                            idleTimeout: .milliseconds(Int64(config.idleTimeoutSeconds * 1000)))),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "hilum",
                             availableConnectionsDelegate: MaximumAvailableConnections(config.maxConnections)),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? config.port) }
    )
}

/// Builds and runs the server until it is cancelled or receives SIGTERM/SIGINT (graceful shutdown:
/// stop accepting, finish what was accepted).
public func runServer(service: Service, config: HTTPConfig,
                      onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    let app = buildApplication(service: service, config: config, onServerRunning: onServerRunning)
    try await app.runService()
}
