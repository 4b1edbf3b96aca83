public import HilumCore
public import HilumNLP
public import HilumOntology
internal import GRDB
internal import Synchronization
internal import Foundation

/// The embedded SQLite store (GRDB, WAL for files): reports, their analyses, findings with their sites
/// (anatomy concepts and regions) and labels. Frozen migrations; idempotent ingest by report id and
/// ontology version; batched transactions, so a crash loses at most the batch in flight.
public final class Store: Sendable {
    let writer: any DatabaseWriter
    public let path: String?
    /// True when every stored report has its anatomy closure rows (`finding_anatomy`); reports stored before
    /// migration v2 are marked stale and re-analyzed by the next ingest, until then queries take the slower path.
    let anatomyIndexReady = Mutex(false)

    /// Opens (creating and migrating) the database at `path`, or an in-memory one when `path` is nil.
    /// `maxPages` caps the database file (SQLite `max_page_count`): a full disk in tests, a quota in deployments.
    public init(path: String?, maxPages: Int? = nil) throws(HilumError) {
        self.path = path
        do {
            if let path {
                var config = Configuration()
                config.busyMode = .timeout(10)
                if let maxPages {
                    config.prepareDatabase { db in try db.execute(sql: "PRAGMA max_page_count = \(max(1, maxPages))") }
                }
                writer = try DatabasePool(path: path, configuration: config)
            } else {
                writer = try DatabaseQueue()
            }
            try Store.migrator.migrate(writer)
            let stale = try writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM report WHERE ontology_version LIKE 'stale:%')") ?? false }
            anatomyIndexReady.withLock { $0 = !stale }
        } catch {
            throw HilumError("store.open_failed", "cannot open the database \(path ?? ":memory:"): \(error)")
        }
    }

    /// Migrations are frozen: never edit one that has shipped; add a new one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "report") { t in
                t.primaryKey("id", .text)
                t.column("patient_id", .text)
                t.column("study_id", .text)
                t.column("study_date", .text)
                t.column("language", .text).notNull()
                t.column("text", .text).notNull()
                t.column("ontology_version", .text).notNull()
                t.column("analysis", .text).notNull()
                t.column("ingested_at", .text).notNull()
            }
            try db.create(index: "report_patient", on: "report", columns: ["patient_id", "study_date"])
            try db.create(table: "finding") { t in
                t.column("report_id", .text).notNull().references("report", onDelete: .cascade)
                t.column("ord", .integer).notNull()
                t.column("cui", .text).notNull()
                t.column("padchest", .text)
                t.column("name", .text).notNull()
                t.column("text", .text).notNull()
                t.column("span_start", .integer).notNull()
                t.column("span_end", .integer).notNull()
                t.column("section", .text).notNull()
                t.column("sentence", .integer).notNull()
                t.column("assertion", .text).notNull()
                t.column("temporality", .text).notNull()
                t.column("change", .text)
                t.column("laterality", .text)
                t.column("severity", .text)
                t.column("evidence", .text).notNull()
                t.primaryKey(["report_id", "ord"])
            }
            try db.create(index: "finding_cui", on: "finding", columns: ["cui", "assertion"])
            // Sites carry the finding's concept and assertion so that anatomy queries are answered from
            // the index alone before touching the finding rows.
            try db.create(table: "finding_site") { t in
                t.column("report_id", .text).notNull()
                t.column("ord", .integer).notNull()
                t.column("kind", .text).notNull()  // location (anatomy CUI) or region (ImaGenome name)
                t.column("value", .text).notNull()
                t.column("cui", .text).notNull()
                t.column("assertion", .text).notNull()
                t.foreignKey(["report_id", "ord"], references: "finding", onDelete: .cascade)
            }
            try db.create(index: "finding_site_value", on: "finding_site", columns: ["value", "assertion", "cui", "report_id", "ord"])
            try db.create(index: "finding_site_owner", on: "finding_site", columns: ["report_id", "ord"])
            try db.create(table: "label") { t in
                t.column("report_id", .text).notNull().references("report", onDelete: .cascade)
                t.column("scheme", .text).notNull()
                t.column("label", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["report_id", "scheme", "label"])
            }
        }
        // v2: anatomy closure rows, so that "findings anywhere in the left lung" is one index range, already in
        // report order, with no DISTINCT and no sort. Existing reports are marked stale: the next ingest
        // re-analyzes them and fills the closure.
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE finding_anatomy (
                    key TEXT NOT NULL, assertion TEXT NOT NULL, cui TEXT NOT NULL, report_id TEXT NOT NULL, ord INTEGER NOT NULL,
                    FOREIGN KEY (report_id, ord) REFERENCES finding (report_id, ord) ON DELETE CASCADE
                )
                """)
            // Covering indexes: (key, assertion) and key alone, each already in (report_id, ord) order.
            try db.execute(sql: "CREATE UNIQUE INDEX finding_anatomy_key ON finding_anatomy (key, assertion, report_id, ord, cui)")
            try db.execute(sql: "CREATE INDEX finding_anatomy_any ON finding_anatomy (key, report_id, ord, assertion, cui)")
            try db.execute(sql: "CREATE INDEX finding_anatomy_owner ON finding_anatomy (report_id, ord)")
            try db.execute(sql: "UPDATE report SET ontology_version = 'stale:' || ontology_version")
        }
        // v3: the scene graph of the report's image (regions, findings on them), when the input gave regions.
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE scene (
                    report_id TEXT PRIMARY KEY REFERENCES report (id) ON DELETE CASCADE,
                    width INTEGER NOT NULL, height INTEGER NOT NULL, graph TEXT NOT NULL
                )
                """)
        }
        // v4: how sure an uncertain finding's hedge is (`probable` / `possible`, null otherwise), filled in for the
        // reports already stored from their stored analysis (null where that analysis predates the field).
        m.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE finding ADD COLUMN certainty TEXT")
            try db.execute(sql: """
                UPDATE finding SET certainty = (
                    SELECT json_extract(r.analysis, '$.findings[' || finding.ord || '].certainty') FROM report r WHERE r.id = finding.report_id)
                WHERE assertion = 'uncertain'
                """)
        }
        // v5: whose finding it is (`patient` / `other`), filled in for the reports already stored from their stored analysis
        // (`patient` where that analysis predates the field).
        m.registerMigration("v5") { db in
            try db.execute(sql: "ALTER TABLE finding ADD COLUMN experiencer TEXT NOT NULL DEFAULT 'patient'")
            try db.execute(sql: """
                UPDATE finding SET experiencer = 'other' WHERE (
                    SELECT json_extract(r.analysis, '$.findings[' || finding.ord || '].experiencer') FROM report r WHERE r.id = finding.report_id) = 'other'
                """)
        }
        return m
    }

    /// The anatomy keys of a finding: every anatomy concept it sits in, with all their part_of ancestors
    /// (regions count through their concept and their parent regions). Stored once per finding and key.
    public static func anatomyKeys(_ f: Finding, ontology: Ontology) -> [String] {
        var keys = Set<String>()
        func add(_ id: ConceptID) {
            guard ontology.concepts[id]?.kind == .anatomy else { return }
            if keys.insert(id).inserted {
                for a in ontology.ancestors(of: id) where ontology.concepts[a]?.kind == .anatomy { keys.insert(a) }
            }
        }
        for l in f.locations { add(l.cui) }
        if Store.placed(f) {
            for r in f.regions {
                var name: String? = r
                var steps = 0
                while let n = name, let region = ontology.regions[n], steps < 16 {
                    add(region.concept); name = region.parent; steps += 1
                }
            }
        }
        return keys.sorted()
    }

    /// Regions count as sites when the text named the anatomy or the side; a default site of a finding with no
    /// side ("effusion" → both angles) does not place it anywhere.
    static func placed(_ f: Finding) -> Bool { f.regionBasis == "anatomy" || f.regionBasis == "laterality" || f.laterality != nil }

    /// One report to store.
    public struct Entry: Sendable {
        public var id: String
        public var patientID: String?
        public var studyID: String?
        public var studyDate: String?
        public var text: String
        public var report: AnalyzedReport
        /// `Store.anatomyKeys` of each finding, in finding order.
        public var anatomyKeys: [[String]]
        /// The scene graph JSON of the report's image and its size, when the input gave regions.
        public var scene: (width: Int, height: Int, json: String)? = nil
        public init(id: String, patientID: String?, studyID: String?, studyDate: String?, text: String, report: AnalyzedReport,
                    ontology: Ontology) {
            self.id = id; self.patientID = patientID; self.studyID = studyID; self.studyDate = studyDate
            self.text = text; self.report = report
            self.anatomyKeys = report.findings.map { Store.anatomyKeys($0, ontology: ontology) }
        }
    }

    public struct IngestCounts: Sendable, Equatable {
        public var inserted = 0
        public var replaced = 0
        public var skipped = 0
        public init() {}
    }

    /// Ids among `ids` already stored with this ontology version (nothing to do for them).
    public func current(_ ids: [String], version: String) throws(HilumError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        do {
            return try writer.read { db in
                var out = Set<String>()
                for chunk in stride(from: 0, to: ids.count, by: 500) {
                    let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
                    let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                    let rows = try String.fetchAll(db, sql: "SELECT id FROM report WHERE ontology_version = ? AND id IN (\(marks))",
                                                   arguments: StatementArguments([version] + part))
                    out.formUnion(rows)
                }
                return out
            }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }

    /// Stores a batch in one transaction: a report already stored with the same ontology version is
    /// skipped; one stored with another version is replaced (re-analyzed).
    public func ingest(_ entries: [Entry]) throws(HilumError) -> IngestCounts {
        do {
            let result = try writer.write { db in
                var counts = IngestCounts()
                let now = ISO8601DateFormatter().string(from: Date())
                for e in entries {
                    let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT ontology_version FROM report WHERE id = ?"), arguments: [e.id])
                    if existing == e.report.ontologyVersion { counts.skipped += 1; continue }
                    if existing != nil {
                        try db.execute(sql: "DELETE FROM report WHERE id = ?", arguments: [e.id])
                        counts.replaced += 1
                    } else {
                        counts.inserted += 1
                    }
                    try db.cachedStatement(sql: """
                        INSERT INTO report (id, patient_id, study_id, study_date, language, text, ontology_version, analysis, ingested_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [e.id, e.patientID, e.studyID, e.studyDate, e.report.language.rawValue, e.text,
                                         e.report.ontologyVersion, e.report.jsonString(), now])
                    for (ord, f) in e.report.findings.enumerated() {
                        var w = JSONWriter()
                        Evidence.writeArray(f.evidence, to: &w)
                        try db.cachedStatement(sql: """
                            INSERT INTO finding (report_id, ord, cui, padchest, name, text, span_start, span_end, section, sentence,
                                                 assertion, temporality, change, laterality, severity, evidence, certainty, experiencer)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """).execute(arguments: [e.id, ord, f.concept.cui, f.concept.padchest, f.concept.name, f.text, f.span.start, f.span.end,
                                             f.section.rawValue, f.sentence, f.assertion.rawValue, f.temporality.rawValue,
                                             f.change?.rawValue, f.laterality?.rawValue, f.severity?.rawValue, w.string, f.certainty?.rawValue,
                                             f.experiencer.rawValue])
                        for l in f.locations {
                            try db.cachedStatement(sql: "INSERT INTO finding_site (report_id, ord, kind, value, cui, assertion) VALUES (?, ?, 'location', ?, ?, ?)")
                                .execute(arguments: [e.id, ord, l.cui, f.concept.cui, f.assertion.rawValue])
                        }
                        // Regions count as sites when the text named the anatomy or the side; a default site
                        // of a finding with no side ("effusion" → both angles) does not place it anywhere.
                        for r in f.regions where Store.placed(f) {
                            try db.cachedStatement(sql: "INSERT INTO finding_site (report_id, ord, kind, value, cui, assertion) VALUES (?, ?, 'region', ?, ?, ?)")
                                .execute(arguments: [e.id, ord, r, f.concept.cui, f.assertion.rawValue])
                        }
                        for k in ord < e.anatomyKeys.count ? e.anatomyKeys[ord] : [] {
                            try db.cachedStatement(sql: "INSERT INTO finding_anatomy (key, assertion, cui, report_id, ord) VALUES (?, ?, ?, ?, ?)")
                                .execute(arguments: [k, f.assertion.rawValue, f.concept.cui, e.id, ord])
                        }
                    }
                    if let sc = e.scene {
                        try db.cachedStatement(sql: "INSERT INTO scene (report_id, width, height, graph) VALUES (?, ?, ?, ?)")
                            .execute(arguments: [e.id, sc.width, sc.height, sc.json])
                    }
                    for s in e.report.labels {
                        for (k, v) in s.values where !v.isNull {
                            try db.cachedStatement(sql: "INSERT INTO label (report_id, scheme, label, value) VALUES (?, ?, ?, ?)")
                                .execute(arguments: [e.id, s.scheme, k, v.string ?? v.serialized()])
                        }
                    }
                }
                return counts
            }
            if !anatomyIndexReady.withLock({ $0 }) {
                let stale = try writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM report WHERE ontology_version LIKE 'stale:%')") ?? false }
                if !stale { anatomyIndexReady.withLock { $0 = true } }
            }
            return result
        } catch let e as HilumError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_FULL {
            throw HilumError("store.disk_full", "the database or its disk is full; the batch was rolled back and nothing committed is lost (\(e.message ?? "SQLITE_FULL"))")
        } catch {
            throw HilumError("store.write_failed", "\(error)")
        }
    }

    /// A query of findings. Empty sets mean "any".
    public struct Query: Sendable {
        /// Finding concepts (already expanded to descendants).
        public var concepts: Set<String> = []
        /// Anatomy: location concepts (expanded through part_of) or region names.
        public var sites: Set<String> = []
        /// The anatomy concepts the query names (not expanded): answered from the closure rows when they exist.
        public var anatomyKeys: Set<String> = []
        public var assertion: String? = nil
        /// `probable` or `possible`: uncertain findings hedged that strongly.
        public var certainty: String? = nil
        public var change: String? = nil
        /// `current`, `historical` or `hypothetical`.
        public var temporality: String? = nil
        /// `patient` or `other` (a relative's or a contact's finding).
        public var experiencer: String? = nil
        public var language: String? = nil
        public var patient: String? = nil
        public var report: String? = nil
        public var limit = 100
        public var offset = 0
        public init() {}
    }

    public struct Hit: Sendable {
        public var reportID: String
        public var patientID: String?
        public var studyDate: String?
        public var language: String
        public var ord: Int
        public var cui: String
        public var padchest: String?
        public var name: String
        public var text: String
        public var span: TextSpan
        public var assertion: String
        public var change: String?
        public var laterality: String?
        public var severity: String?
        public var evidence: String
        public var certainty: String? = nil
        public var temporality: String = "current"
        public var experiencer: String = "patient"
    }

    /// Matching findings, ordered by report id and position in the report; with the total count.
    public func query(_ q: Query) throws(HilumError) -> (total: Int, hits: [Hit]) {
        func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ",") }
        // Keys (report_id, ord) of the matching findings, in report-id order. With an anatomy filter the
        // covering site index answers value, assertion and concept without touching the finding rows.
        var keySQL: String
        var args: [(any DatabaseValueConvertible)?] = []
        var cond: [String] = []
        let useClosure = !q.anatomyKeys.isEmpty && anatomyIndexReady.withLock { $0 }
        if useClosure {
            // One key: a single index range in (report_id, ord) order. Several keys: DISTINCT over the union.
            cond.append(q.anatomyKeys.count == 1 ? "s.key = ?" : "s.key IN (\(marks(q.anatomyKeys.count)))")
            args += q.anatomyKeys.sorted().map { $0 as (any DatabaseValueConvertible)? }
            if let a = q.assertion { cond.append("s.assertion = ?"); args.append(a) }
            if !q.concepts.isEmpty {
                cond.append("s.cui IN (\(marks(q.concepts.count)))")
                args += q.concepts.sorted().map { $0 as (any DatabaseValueConvertible)? }
            }
            keySQL = q.anatomyKeys.count == 1
                ? "SELECT s.report_id AS report_id, s.ord AS ord FROM finding_anatomy s"
                : "SELECT DISTINCT s.report_id AS report_id, s.ord AS ord FROM finding_anatomy s"
        } else if !q.sites.isEmpty {
            cond.append("s.value IN (\(marks(q.sites.count)))")
            args += q.sites.sorted().map { $0 as (any DatabaseValueConvertible)? }
            if let a = q.assertion { cond.append("s.assertion = ?"); args.append(a) }
            if !q.concepts.isEmpty {
                cond.append("s.cui IN (\(marks(q.concepts.count)))")
                args += q.concepts.sorted().map { $0 as (any DatabaseValueConvertible)? }
            }
            keySQL = "SELECT DISTINCT s.report_id AS report_id, s.ord AS ord FROM finding_site s"
        } else {
            if let a = q.assertion { cond.append("s.assertion = ?"); args.append(a) }
            if !q.concepts.isEmpty {
                cond.append("s.cui IN (\(marks(q.concepts.count)))")
                args += q.concepts.sorted().map { $0 as (any DatabaseValueConvertible)? }
            }
            keySQL = "SELECT s.report_id AS report_id, s.ord AS ord FROM finding s"
        }
        // Filters that need the finding or report row.
        var extra: [String] = []
        var extraArgs: [(any DatabaseValueConvertible)?] = []
        if let c = q.change { extra.append("f.change = ?"); extraArgs.append(c) }
        if let c = q.certainty { extra.append("f.certainty = ?"); extraArgs.append(c) }
        if let t = q.temporality { extra.append("f.temporality = ?"); extraArgs.append(t) }
        if let x = q.experiencer { extra.append("f.experiencer = ?"); extraArgs.append(x) }
        for (col, v) in [("r.language", q.language), ("r.patient_id", q.patient), ("r.id", q.report)] {
            if let v { extra.append("\(col) = ?"); extraArgs.append(v) }
        }
        if !cond.isEmpty { keySQL += " WHERE " + cond.joined(separator: " AND ") }
        let needJoin = !extra.isEmpty
        let matched = needJoin
            ? "SELECT k.report_id, k.ord FROM (\(keySQL)) k JOIN finding f ON f.report_id = k.report_id AND f.ord = k.ord JOIN report r ON r.id = k.report_id WHERE \(extra.joined(separator: " AND "))"
            : keySQL
        let allArgs = args + extraArgs
        do {
            return try writer.read { db in
                let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(matched))", arguments: StatementArguments(allArgs)) ?? 0
                let rows = try Row.fetchAll(db, sql: """
                    SELECT f.report_id, r.patient_id, r.study_date, r.language, f.ord, f.cui, f.padchest, f.name, f.text, f.span_start,
                           f.span_end, f.assertion, f.change, f.laterality, f.severity, f.evidence, f.certainty,
                           f.temporality, f.experiencer
                    FROM (SELECT report_id, ord FROM (\(matched)) ORDER BY report_id, ord LIMIT ? OFFSET ?) p
                    JOIN finding f ON f.report_id = p.report_id AND f.ord = p.ord
                    JOIN report r ON r.id = f.report_id
                    ORDER BY f.report_id, f.ord
                    """, arguments: StatementArguments(allArgs + [max(0, min(q.limit, 10_000)), max(0, q.offset)]))
                let hits = rows.map { row in
                    Hit(reportID: row[0], patientID: row[1], studyDate: row[2], language: row[3], ord: row[4], cui: row[5],
                        padchest: row[6], name: row[7], text: row[8], span: TextSpan(row[9], row[10]), assertion: row[11],
                        change: row[12], laterality: row[13], severity: row[14], evidence: row[15], certainty: row[16],
                        temporality: row[17], experiencer: row[18])
                }
                return (total, hits)
            }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }

    /// Reports of a patient in study-date order.
    public func timeline(patient: String) throws(HilumError) -> [(id: String, date: String?, analysis: String, scene: String?)] {
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT r.id, r.study_date, r.analysis, s.graph FROM report r LEFT JOIN scene s ON s.report_id = r.id
                    WHERE r.patient_id = ? ORDER BY r.study_date, r.id
                    """, arguments: [patient]).map { (id: $0[0], date: $0[1], analysis: $0[2], scene: $0[3]) }
            }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }

    public func counts() throws(HilumError) -> (reports: Int, findings: Int) {
        do {
            return try writer.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM report") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM finding") ?? 0)
            }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }

    /// Reports whose stored finding rows do not match their stored analysis (should be none: a report,
    /// its findings and labels are written in one transaction).
    public func incompleteReports() throws(HilumError) -> [String] {
        do {
            return try writer.read { db in
                var counts: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT report_id, COUNT(*) FROM finding GROUP BY report_id") {
                    counts[row[0]] = row[1]
                }
                var bad: [String] = []
                // Every analyzed report has label rows (the 0/1 schemes always write values).
                bad += try String.fetchAll(db, sql: "SELECT id FROM report r WHERE NOT EXISTS (SELECT 1 FROM label l WHERE l.report_id = r.id)")
                for row in try Row.fetchAll(db, sql: "SELECT id, analysis FROM report") {
                    let id: String = row[0]
                    let analysis: String = row[1]
                    let n = (try? JSONParser().parse(analysis))?["findings"]?.array?.count ?? -1
                    if n != (counts[id] ?? 0) { bad.append(id) }
                }
                return bad
            }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }

    /// A nutrition label of the stored corpus: reports by language, findings by assertion, the most frequent
    /// present / uncertain / absent findings, and each scheme's label value counts.
    public func summary(top: Int = 15) throws(HilumError) -> JSONValue {
        do {
            return try writer.read { db in
                func pairs(_ sql: String, _ args: StatementArguments = []) throws -> JSONValue {
                    .object(try Row.fetchAll(db, sql: sql, arguments: args).map { row in
                        let k: String? = row[0]
                        let n: Int = row[1]
                        return (k ?? "null", .number(Double(n)))
                    })
                }
                var out: [(String, JSONValue)] = []
                out.append(("reports", .number(Double(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM report") ?? 0))))
                out.append(("patients", .number(Double(try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT patient_id) FROM report WHERE patient_id IS NOT NULL") ?? 0))))
                out.append(("findings", .number(Double(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM finding") ?? 0))))
                out.append(("languages", try pairs("SELECT language, COUNT(*) FROM report GROUP BY language ORDER BY 2 DESC")))
                out.append(("assertions", try pairs("SELECT assertion, COUNT(*) FROM finding GROUP BY assertion ORDER BY 2 DESC")))
                out.append(("changes", try pairs("SELECT change, COUNT(*) FROM finding WHERE change IS NOT NULL GROUP BY change ORDER BY 2 DESC")))
                var topFindings: [(String, JSONValue)] = []
                for a in ["present", "uncertain", "absent"] {
                    topFindings.append((a, try pairs("SELECT name, COUNT(DISTINCT report_id) FROM finding WHERE assertion = ? GROUP BY cui ORDER BY 2 DESC, 1 LIMIT ?", [a, top])))
                }
                out.append(("top_findings_by_reports", .object(topFindings)))
                var schemes: [(String, [(String, JSONValue)])] = []
                for row in try Row.fetchAll(db, sql: "SELECT scheme, label, value, COUNT(*) FROM label GROUP BY scheme, label, value ORDER BY scheme, label, value") {
                    let scheme: String = row[0], label: String = row[1], value: String = row[2], n: Int = row[3]
                    if schemes.last?.0 != scheme { schemes.append((scheme, [])) }
                    let i = schemes.count - 1
                    if let j = schemes[i].1.firstIndex(where: { $0.0 == label }), case .object(var vals) = schemes[i].1[j].1 {
                        vals.append((value, .number(Double(n)))); schemes[i].1[j].1 = .object(vals)
                    } else {
                        schemes[i].1.append((label, .object([(value, .number(Double(n)))])))
                    }
                }
                out.append(("labels", .object(schemes.map { ($0.0, .object($0.1)) })))
                return .object(out)
            }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }

    /// SQLite's own integrity check ("ok" when sound).
    public func integrityCheck() throws(HilumError) -> String {
        do {
            return try writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
        } catch {
            throw HilumError("store.read_failed", "\(error)")
        }
    }
}
