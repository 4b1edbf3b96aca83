import Foundation
import Testing
import HilumCore
import HilumOntology
@testable import HilumStore
import GRDB
import HilumHTTP
@testable import HilumService

enum T {
    static let ontology: Ontology = {
        do { return try Ontology.load(from: S.root.appendingPathComponent("Ontology")) } catch { preconditionFailure("\(error)") }
    }()
    static func service(_ store: Store?) -> Service { Service(ontology: ontology, store: store) }
    static func call(_ s: Service, _ op: String, _ params: String) -> JSONValue {
        let out = s.handle(line: Array("{\"id\": 1, \"op\": \"\(op)\", \"params\": \(params)}".utf8)[...])
        return (try? JSONParser().parse(String(decoding: out, as: UTF8.self))) ?? .null
    }
}

@Suite struct StoreTests {
    static let reports = """
    {"reports": [
     {"id": "a1", "patient_id": "p1", "study_date": "2024-01-02", "text": "Left lower lobe consolidation. Small right pleural effusion."},
     {"id": "a2", "patient_id": "p1", "study_date": "2024-01-09", "text": "Improved left lower lobe consolidation. The right effusion has resolved."},
     {"id": "b1", "patient_id": "p2", "study_date": "2024-02-01", "text": "Opacidad en lóbulo superior izquierdo. No se aprecia derrame pleural."},
     {"id": "c1", "patient_id": "p3", "study_date": "2024-03-01", "text": "No focal consolidation. Cardiomegaly."}
    ]}
    """

    @Test func migrationsOnAnEmptyDatabaseAndIdempotentIngest() throws {
        let store = try Store(path: nil)
        #expect(try store.counts().reports == 0)
        let s = T.service(store)
        let first = T.call(s, "ingest", StoreTests.reports)
        #expect(first["result"]?["inserted"] == .number(4))
        let again = T.call(s, "ingest", StoreTests.reports)
        #expect(again["result"]?["skipped"] == .number(4))
        #expect(again["result"]?["inserted"] == .number(0))
        #expect(try store.counts().reports == 4)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.incompleteReports().isEmpty)
    }

    /// Uncertain findings keep how sure their hedge is; `certainty` filters the query and is in every hit.
    @Test func certaintyIsStoredQueriedAndBackfilled() throws {
        let path = StoreTests.scratchDB()
        defer { StoreTests.remove(path) }
        let body = #"{"reports": [{"id": "h1", "text": "Probable right lower lobe pneumonia. Possible small left pleural effusion. No pneumothorax."}]}"#
        do {
            let s = T.service(try Store(path: path))
            _ = T.call(s, "ingest", body)
            let probable = T.call(s, "query", #"{"certainty": "probable"}"#)["result"]?["hits"]?.array ?? []
            #expect(probable.compactMap { $0["finding"]?["padchest"]?.string } == ["pneumonia"])
            #expect(probable.first?["finding"]?["certainty"] == .string("probable"))
            let possible = T.call(s, "query", #"{"certainty": "possible", "assertion": "uncertain"}"#)["result"]?["hits"]?.array ?? []
            #expect(possible.compactMap { $0["finding"]?["padchest"]?.string } == ["pleural effusion"])
            let absent = T.call(s, "query", #"{"assertion": "absent"}"#)["result"]?["hits"]?.array ?? []
            #expect(!absent.isEmpty && absent.allSatisfy { $0["finding"]?["certainty"] == .null })
            #expect(T.call(s, "query", #"{"certainty": "likely"}"#)["error"]?["code"] == .string("request.invalid_params"))
        }
        // A database stored before the column existed: the v4 migration fills it from each report's stored analysis.
        try StoreTests.dropColumn("certainty", addedBy: "v4", at: path)
        let s = T.service(try Store(path: path))
        let probable = T.call(s, "query", #"{"certainty": "probable"}"#)["result"]?["hits"]?.array ?? []
        #expect(probable.compactMap { $0["finding"]?["padchest"]?.string } == ["pneumonia"])
        let possible = T.call(s, "query", #"{"certainty": "possible"}"#)["result"]?["hits"]?.array ?? []
        #expect(possible.compactMap { $0["finding"]?["padchest"]?.string } == ["pleural effusion"])
    }

    /// Someone else's findings are stored with `experiencer: other`; `experiencer` and `temporality` filter the query
    /// and are in every hit; a database from before the column gets it from the stored analyses.
    @Test func experiencerAndTemporalityAreStoredQueriedAndBackfilled() throws {
        let path = StoreTests.scratchDB()
        defer { StoreTests.remove(path) }
        let body = #"{"reports": [{"id": "e1", "lang": "es", "text": "Padre con tuberculosis. Antecedentes de neumotórax. Tuberculosis en lóbulo superior derecho."}]}"#
        do {
            let s = T.service(try Store(path: path))
            _ = T.call(s, "ingest", body)
            let all = T.call(s, "query", #"{"finding": "tuberculosis"}"#)["result"]?["hits"]?.array ?? []
            #expect(all.compactMap { $0["finding"]?["experiencer"]?.string } == ["other", "patient"])
            let own = T.call(s, "query", #"{"finding": "tuberculosis", "experiencer": "patient"}"#)["result"]?["hits"]?.array ?? []
            #expect(own.count == 1 && own.first?["finding"]?["temporality"] == .string("current"))
            let history = T.call(s, "query", #"{"temporality": "historical"}"#)["result"]?["hits"]?.array ?? []
            #expect(history.compactMap { $0["finding"]?["padchest"]?.string } == ["pneumothorax"])
            #expect(T.call(s, "query", #"{"experiencer": "family"}"#)["error"]?["code"] == .string("request.invalid_params"))
            #expect(T.call(s, "query", #"{"temporality": "past"}"#)["error"]?["code"] == .string("request.invalid_params"))
        }
        // A database stored before the column existed: the v5 migration fills it from each report's stored analysis.
        try StoreTests.dropColumn("experiencer", addedBy: "v5", at: path)
        let s = T.service(try Store(path: path))
        let other = T.call(s, "query", #"{"experiencer": "other"}"#)["result"]?["hits"]?.array ?? []
        #expect(other.compactMap { $0["finding"]?["padchest"]?.string } == ["tuberculosis"])
    }

    @Test func anatomyRollUpFindingDescendantsAssertionAndTimeline() throws {
        let store = try Store(path: nil)
        let s = T.service(store)
        _ = T.call(s, "ingest", StoreTests.reports)
        // "left lung" includes its lower and upper lobes; the right effusion and the unsided cardiomegaly are out.
        let left = T.call(s, "query", #"{"anatomy": "left lung", "assertion": "present"}"#)
        let ids = Set((left["result"]?["hits"]?.array ?? []).compactMap { $0["report_id"]?.string })
        #expect(ids == ["a1", "a2", "b1"])
        let cuis = Set((left["result"]?["hits"]?.array ?? []).compactMap { $0["finding"]?["cui"]?.string })
        #expect(!cuis.contains("C2073625"))
        // Spanish anatomy term, same structure.
        let es = T.call(s, "query", #"{"anatomy": "pulmón izquierdo", "language": "es"}"#)
        #expect(es["result"]?["total"] == .number(1))
        // Finding with descendants: pleural effusion absent in b1 (Spanish negation).
        let absent = T.call(s, "query", #"{"finding": "pleural effusion", "assertion": "absent"}"#)
        let absentIDs = (absent["result"]?["hits"]?.array ?? []).compactMap { $0["report_id"]?.string }
        #expect(absentIDs.contains("b1"))
        // Change and patient timeline.
        let improved = T.call(s, "query", #"{"change": "improved"}"#)
        #expect(improved["result"]?["hits"]?.array?.first?["report_id"] == .string("a2"))
        let tl = T.call(s, "query", #"{"patient": "p1", "timeline": true}"#)
        #expect(tl["result"]?["timeline"]?.array?.map { $0["report_id"] ?? .null } == [.string("a1"), .string("a2")])
        // Paging.
        let page = T.call(s, "query", #"{"limit": 2, "offset": 1}"#)
        #expect(page["result"]?["hits"]?.array?.count == 2)
        // Unknown anatomy is a clear error.
        let bad = T.call(s, "query", #"{"anatomy": "elbow of the moon"}"#)
        #expect(bad["error"]?["code"] == .string("query.unknown_anatomy"))
    }

    /// Reports ingested with their image's regions keep their scene graph; the patient timeline returns it.
    @Test func scenesAreStoredWithTheirReportsAndReturnedInTheTimeline() throws {
        let store = try Store(path: nil)
        let s = T.service(store)
        let boxes = #"{"image": {"width": 100, "height": 80}, "boxes": [{"name": "right lung", "bbox": [5, 5, 45, 70]}, {"name": "left costophrenic angle", "bbox": [75, 55, 95, 70]}]}"#
        let v = T.call(s, "ingest", #"{"reports": [{"id": "s1", "patient_id": "p9", "study_date": "2024-01-02", "text": "Small left pleural effusion.", "scene": \#(boxes)}, {"id": "s2", "patient_id": "p9", "study_date": "2024-02-02", "text": "No effusion."}]}"#)
        #expect(v["ok"] == .bool(true), "\(v)")
        let tl = T.call(s, "query", #"{"patient": "p9", "timeline": true}"#)
        let exams = tl["result"]?["timeline"]?.array ?? []
        #expect(exams.count == 2)
        let scene = try #require(exams.first?["scene"])
        #expect(scene["image"]?["width"] == .number(100))
        #expect(scene["edges"]?.array?.first?["region"] == .string("left costophrenic angle"))
        #expect(exams.last?["scene"] == .null)
        // A bad scene fails the request with its code; nothing is half-written.
        let bad = T.call(s, "ingest", #"{"reports": [{"id": "s3", "text": "x", "scene": {"image": {"width": 10, "height": 10}, "boxes": [{"name": "right lung", "bbox": [0, 0, 50, 5]}]}}]}"#)
        #expect(bad["error"]?["code"] == .string("mask.size_mismatch"))
        #expect(try store.counts().reports == 2)
    }

    @Test func withoutAStoreIngestAndQueryAnswerNotConfigured() {
        let s = T.service(nil)
        #expect(T.call(s, "query", "{}")["error"]?["code"] == .string("store.not_configured"))
    }

    static func scratchDB() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hilum-\(UUID().uuidString).db").path
    }
    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    /// Makes the database at `path` look as it was before `migration` added `column` to the finding table.
    static func dropColumn(_ column: String, addedBy migration: String, at path: String) throws {
        let old = try Store(path: path)
        try old.writer.write { db in
            try db.execute(sql: "ALTER TABLE finding DROP COLUMN \(column)")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [migration])
        }
    }

    /// A full disk (the file capped by max_page_count) gives store.disk_full; what was committed stays complete.
    @Test func fullDiskGivesACodedErrorAndAnIntactDatabase() throws {
        let path = Self.scratchDB()
        defer { Self.remove(path) }
        var committed = 0
        var code: String?
        do {
            let s = T.service(try Store(path: path, maxPages: 400))
            for batch in 0..<200 {
                var reports: [String] = []
                for i in 0..<20 {
                    let text = String(repeating: "Small left pleural effusion. Mild cardiomegaly. No pneumothorax. ", count: 2)
                    reports.append(#"{"id": "b\#(batch)-\#(i)", "text": "\#(text)"}"#)
                }
                let v = T.call(s, "ingest", #"{"reports": [\#(reports.joined(separator: ","))]}"#)
                if let c = v["error"]?["code"]?.string { code = c; if committed == 0 { Issue.record("first batch failed: \(v)") }; break }
                committed += 20
            }
        }
        #expect(code == "store.disk_full")
        #expect(committed > 0)
        let reopened = try Store(path: path)
        #expect(try reopened.integrityCheck() == "ok")
        #expect(try reopened.counts().reports == committed)
        #expect(try reopened.incompleteReports().isEmpty)
    }

    @Test func fileDatabaseSurvivesReopen() throws {
        let path = Self.scratchDB()
        defer { Self.remove(path) }
        do {
            let s = T.service(try Store(path: path))
            _ = T.call(s, "ingest", StoreTests.reports)
        }
        let reopened = try Store(path: path)
        #expect(try reopened.counts().reports == 4)
        #expect(try reopened.integrityCheck() == "ok")
    }
}

@Suite struct HTTPTests {
    actor Port { var value = 0; func set(_ v: Int) { value = v } }

    func withServer(token: String? = nil, maxBody: Int = 1 << 20, configure: (inout HTTPConfig) -> Void = { _ in },
                    _ body: @Sendable (Int) async throws -> Void) async throws {
        var cfg = HTTPConfig()
        cfg.port = 0
        cfg.token = token
        cfg.maxBodyBytes = maxBody
        // Swift Testing runs other suites' synchronous, CPU-heavy tests on the same 2-thread cooperative pool that
        // accepts and reads this server's connections; on a loaded 2-core CI machine a connection could wait more than
        // the default 30 s before its request head was read, and the idle timeout closed it (an empty reply). These
        // tests check routes and answers, not the idle timeout (Tests/scripts/load_mix.py does), so it is long here.
        cfg.idleTimeoutSeconds = 600
        configure(&cfg)
        let config = cfg
        let port = Port()
        let service = T.service(try Store(path: nil))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runServer(service: service, config: config) { p in await port.set(p) } }
            for _ in 0..<200 where await port.value == 0 { try await Task.sleep(for: .milliseconds(20)) }
            let p = await port.value
            try await body(p)
            group.cancelAll()
        }
    }

    struct TransportFailure: Error, CustomStringConvertible { var description: String }

    func request(_ port: Int, _ method: String, _ path: String, _ body: String? = nil, token: String? = nil) async throws -> (Int, JSONValue) {
        let r = try await raw(port, method, path, body, token: token)
        return (r.status, (try? JSONParser().parse(String(decoding: r.body, as: UTF8.self))) ?? .null)
    }

    /// One request on its own connection; a transport failure names the request (the error alone does not).
    func raw(_ port: Int, _ method: String, _ path: String, _ body: String? = nil, token: String? = nil) async throws -> TestHTTP.Response {
        do {
            return try await TestHTTP.perform(port: port, method: method, path: path, body: body.map { Array($0.utf8) },
                                              headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        } catch {
            throw TransportFailure(description: "\(method) \(path) (\(body?.utf8.count ?? 0)-byte body): \(error)")
        }
    }

    @Test func liveSocketRoutesStatusesAndAuth() async throws {
        try await withServer { port in
            let (s1, h) = try await request(port, "GET", "/healthz")
            #expect(s1 == 200 && h["ok"] == .bool(true))
            let (s2, a) = try await request(port, "POST", "/v1/rpc", #"{"id": 9, "op": "analyze", "params": {"text": "Neumotórax derecho."}}"#)
            #expect(s2 == 200)
            #expect(a["id"] == .number(9))
            #expect(a["result"]?["findings"]?.array?.first?["laterality"] == .string("right"))
            let (s3, b) = try await request(port, "POST", "/v1/assert", #"{"text": "No effusion.", "targets": ["effusion"]}"#)
            #expect(s3 == 200 && b["result"]?["targets"]?.array?.first?["assertion"] == .string("absent"))
            let (s4, c) = try await request(port, "POST", "/v1/rpc", "{not json")
            #expect(s4 == 400 && c["error"]?["code"] == .string("request.malformed_json"))
            let (s5, d) = try await request(port, "POST", "/v1/fly", "{}")
            #expect(s5 == 400 && d["error"]?["code"] == .string("request.unknown_op"))
            let (s6, e) = try await request(port, "POST", "/v1/analyze", String(repeating: "x", count: 2 << 20))
            #expect(s6 == 413 && e["error"]?["code"] == .string("request.too_large"))
            let (s7, v) = try await request(port, "GET", "/v1/version")
            #expect(s7 == 200 && v["result"]?["hilum"] != nil)
        }
        try await withServer(token: "s3cret") { port in
            let (s1, _) = try await request(port, "POST", "/v1/version", "{}")
            #expect(s1 == 401)
            let (s2, _) = try await request(port, "POST", "/v1/version", "{}", token: "s3cret")
            #expect(s2 == 200)
            let (s3, _) = try await request(port, "POST", "/v1/version", "{}", token: "s3cre")
            #expect(s3 == 401)
        }
    }

    @Test func concurrencyLimitAndTimeBudgetAnswer503() async throws {
        try await withServer(configure: { $0.maxConcurrentRequests = 0 }) { port in
            let (s, v) = try await request(port, "POST", "/v1/analyze", #"{"text": "No effusion."}"#)
            #expect(s == 503 && v["error"]?["code"] == .string("service.busy"))
            let (h, _) = try await request(port, "GET", "/healthz")
            #expect(h == 200)   // liveness is not an analysis request
        }
        try await withServer(maxBody: 8 << 20, configure: { $0.timeBudget = 0.000_1 }) { port in
            let big = String(repeating: "Small left pleural effusion without pneumothorax. ", count: 4_000)
            let (s, v) = try await request(port, "POST", "/v1/analyze", "{\"text\": \"\(big)\"}")
            #expect(s == 503 && v["error"]?["code"] == .string("service.timeout"))
        }
    }

    @Test func workbenchPageIsServed() async throws {
        try await withServer(token: "t0k") { port in
            let page = try await raw(port, "GET", "/")
            #expect(page.status == 200)   // the page loads without the token; its API calls need it
            #expect((page.headers["content-type"] ?? "").hasPrefix("text/html"))
            #expect((page.headers["content-security-policy"] ?? "").contains("default-src 'self'"))
            let data = page.body
            #expect(String(decoding: data, as: UTF8.self).contains("id=\"report-text\""))
            let (s, _) = try await request(port, "POST", "/v1/analyze", #"{"text": "x"}"#)
            #expect(s == 401)
        }
    }

    @Test func openAPIDocumentMatchesTheRealRoutes() async throws {
        try await withServer { port in
            let (status, doc) = try await request(port, "GET", "/openapi.json")
            #expect(status == 200)
            #expect(doc["openapi"] == .string("3.1.0"))
            guard case .object(let paths)? = doc["paths"] else { Issue.record("no paths"); return }
            var documented: [(String, String)] = []
            for (path, item) in paths { if case .object(let methods) = item { for (m, _) in methods { documented.append((m, path)) } } }
            #expect(Set(documented.map { "\($0.0) \($0.1)" }) == Set(OpenAPI.routes.map { "\($0.0) \($0.1)" }))
            // Every documented route answers (not 404 / 405); {op} is tried with every op.
            for (method, path) in OpenAPI.routes {
                let concrete = path == "/v1/{op}" ? Service.ops.map { "/v1/\($0)" } : [path]
                for p in concrete {
                    let (s, _) = try await request(port, method.uppercased(), p, method == "post" ? "{}" : nil)
                    #expect(s != 404 || p == "/v1/query" || p == "/v1/ontology.lookup", "\(method) \(p) answered \(s)")
                    #expect(s != 405)
                }
            }
            let ops = doc["paths"]?["/v1/{op}"]?["post"]?["parameters"]?.array?.first?["schema"]?["enum"]?.array ?? []
            #expect(ops.compactMap(\.string) == Service.ops)
        }
    }

    @Test func statusFamiliesAndConstantTimeCompare() {
        #expect(httpStatusCode(for: "request.malformed_json") == 400)
        #expect(httpStatusCode(for: "store.not_found") == 404)
        #expect(httpStatusCode(for: "request.too_large") == 413)
        #expect(httpStatusCode(for: "store.write_failed") == 500)
        #expect(constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }
}
