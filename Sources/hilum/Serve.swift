import ArgumentParser
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumLabels
import HilumService
import HilumStore
import HilumHTTP

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve",
        abstract: "HTTP server: POST /v1/rpc (the envelope), POST /v1/{op} (params as body), GET /v1/version, GET /healthz.")
    @OptionGroup var ont: OntologyOption
    @Option(help: "Address to bind. Anything but loopback requires --token-file.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one and prints it).") var port = 8080
    @Option(help: "SQLite database for the ingest and query ops.") var db: String?
    @Option(name: .customLong("token-file"), help: "File holding the bearer token every request must present.") var tokenFile: String?
    @Option(name: .customLong("max-body"), help: "Largest request body in bytes (413 above).") var maxBody = 10 << 20
    @Option(name: .customLong("max-reports"), help: "Most reports in one label or ingest request.") var maxReports = 10_000
    @Flag(name: .customLong("log-text"), help: "Log report text (off by default: reports are patient data).") var logText = false
    @Option(name: .customLong("max-concurrent"), help: "Requests processed at once; more get 503 service.busy.") var maxConcurrent = 256
    @Option(name: .customLong("max-connections"), help: "Open connections accepted at once (others wait).") var maxConnections = 256
    @Option(name: .customLong("time-budget"), help: "Seconds a request may take before 503 service.timeout.") var timeBudget: Double = 30
    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle or slow (slow-loris) connection is kept open.") var idleTimeout: Double = 30

    func run() async throws {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.")
        var token: String? = nil
        if let tokenFile {
            guard let t = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else {
                throw ValidationError("cannot read a token from \(tokenFile)")
            }
            token = t
        } else if !loopback {
            throw ValidationError("binding \(host) (not loopback) requires --token-file")
        }
        let o = try ont.load()
        let store: Store?
        store = try db.map { try Store(path: $0) }
        var service = Service(ontology: o, store: store)
        service.maxReportsPerRequest = maxReports
        var config = HTTPConfig()
        config.host = host
        config.port = port
        config.maxBodyBytes = maxBody
        config.token = token
        config.logText = logText
        config.maxConcurrentRequests = max(1, maxConcurrent)
        config.maxConnections = max(1, maxConnections)
        config.timeBudget = max(0.001, timeBudget)
        config.idleTimeoutSeconds = max(0.1, idleTimeout)
        try await runServer(service: service, config: config) { port in
            eprint("hilum: serving on http://\(host):\(port) (ontology \(o.version.prefix(19)), db \(store?.path ?? "none"))")
        }
    }
}

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "The embedded SQLite store: ingest a corpus, query findings by anatomy, finding, assertion, patient.",
        subcommands: [Ingest.self, Query.self, Check.self])

    static let defaultPath = "hilum.db"

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ingest",
            abstract: "Analyze, label and store reports (idempotent by report id and ontology version; batched transactions).")
        @OptionGroup var ont: OntologyOption
        @OptionGroup var corpus: CorpusOptionGroup
        @Option(help: "Database file.") var db = DB.defaultPath
        @Option(help: "Reports per transaction.") var batch = 500
        @Option(help: "Worker threads (default: all cores).") var jobs = 0
        @Option(help: "Write bad records as JSONL to this file.") var errors: String?
        @Argument(help: "Inputs (any format of `hilum label`).") var inputs: [String]

        func run() async throws {
            let o = try ont.load()
            let analyzer = Analyzer(ontology: o)
            let labeler = Labeler(ontology: o)
            let service = Service(ontology: o)
            let log = try ErrorLog(path: errors)
            let n = jobs > 0 ? jobs : ProcessInfo.processInfo.activeProcessorCount
            do {
                let store = try Store(path: db)
                var reader = try corpus.reader(inputs)
                var total = Store.IngestCounts()
                var pending: [CorpusRecord] = []
                let t0 = Date()
                func flush() throws {
                    guard !pending.isEmpty else { return }
                    let current = try store.current(pending.map(\.id), version: o.version)
                    let todo = pending.filter { !current.contains($0.id) }
                    total.skipped += pending.count - todo.count
                    let results = ParallelMap.map(todo, jobs: n) { rec -> (Store.Entry, CorpusError?) in
                        var r = analyzer.analyze(rec.text, lang: rec.lang, id: rec.id)
                        labeler.apply(&r)
                        var e = Store.Entry(id: rec.id, patientID: rec.patientID, studyID: rec.studyID, studyDate: rec.studyDate, text: rec.text, report: r, ontology: o)
                        var problem: CorpusError?
                        if let sc = rec.scene {
                            // A bad scene is reported; the report itself is still stored (nothing lost).
                            do throws(HilumError) { e.scene = try service.sceneRecord(report: r, scene: sc) } catch {
                                problem = CorpusError(row: rec.row, source: rec.source, error: HilumError(error.code, "scene: \(error.message)"))
                            }
                        }
                        return (e, problem)
                    }
                    for case let (_, p?) in results { log.report(p) }
                    let c = try store.ingest(results.map { $0.0 })
                    total.inserted += c.inserted; total.replaced += c.replaced; total.skipped += c.skipped
                    pending.removeAll(keepingCapacity: true)
                }
                while let item = try reader.next() {
                    switch item.resolved() {
                    case .deferred: break
                    case .record(let r): pending.append(r); if pending.count >= batch { try flush() }
                    case .failure(let e): log.report(e)
                    }
                }
                try flush()
                let (reports, findings) = try store.counts()
                let dt = Date().timeIntervalSince(t0)
                let done = total.inserted + total.replaced
                eprint(String(format: "hilum: %@: %d inserted, %d re-analyzed, %d already current, %d bad records in %.2f s (%.0f reports/s); the database holds %d reports, %d findings",
                              db, total.inserted, total.replaced, total.skipped, log.count, dt, Double(done) / max(dt, 1e-9), reports, findings))
                if log.count > 0 { throw ExitCode(1) }
            }
        }
    }

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "query",
            abstract: "Findings by anatomy (with part-of roll-up), by finding (with descendants), assertion, change, language, patient; paged JSON.")
        @OptionGroup var ont: OntologyOption
        @Option(help: "Database file.") var db = DB.defaultPath
        @Option(help: "Anatomy: term, CUI, PadChest location or ImaGenome region ('left lung' includes its lobes and zones).") var anatomy: String?
        @Option(help: "Finding or diagnosis ('opacity' includes its descendants).") var finding: String?
        @Option(help: "present, absent or uncertain.") var assertion: String?
        @Option(help: "probable or possible: uncertain findings hedged that strongly.") var certainty: String?
        @Option(help: "new, improved, worsened, unchanged, resolved, removed.") var change: String?
        @Option(help: "current, historical or hypothetical.") var temporality: String?
        @Option(help: "patient, or other (a relative's or a contact's finding).") var experiencer: String?
        @Option(help: "en or es.") var language: String?
        @Option(help: "Patient id.") var patient: String?
        @Flag(help: "With --patient: the ordered exams with their analyses.") var timeline = false
        @Option var limit = 100
        @Option var offset = 0

        func run() async throws {
            let o = try ont.load()
            do {
                let store = try Store(path: db)
                let service = Service(ontology: o, store: store)
                var params: [(String, JSONValue)] = [("limit", .number(Double(limit))), ("offset", .number(Double(offset)))]
                for (k, v) in [("anatomy", anatomy), ("finding", finding), ("assertion", assertion), ("certainty", certainty), ("change", change),
                              ("temporality", temporality), ("experiencer", experiencer), ("language", language), ("patient", patient)] {
                    if let v { params.append((k, .string(v))) }
                }
                if timeline { params.append(("timeline", .bool(true))) }
                var w = JSONWriter()
                try service.dispatch(op: "query", params: .object(params), into: &w)
                print(w.string)
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "SQLite integrity check and counts.")
        @Option(help: "Database file.") var db = DB.defaultPath
        func run() async throws {
            do {
                let store = try Store(path: db)
                let (r, f) = try store.counts()
                let ok = try store.integrityCheck()
                let incomplete = try store.incompleteReports()
                print("{\"integrity\": \"\(ok)\", \"reports\": \(r), \"findings\": \(f), \"incomplete_reports\": \(incomplete.count)}")
                if ok != "ok" || !incomplete.isEmpty { throw ExitCode(1) }
            }
        }
    }
}
