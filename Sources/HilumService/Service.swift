public import HilumCore
public import HilumOntology
public import HilumNLP
public import HilumLabels
public import HilumStore
internal import HilumScene
internal import Foundation

/// The transport-free dispatcher of the JSON envelope (DESIGN §4): one request object in, one
/// response object out. Used by `hilum stdio` and by the HTTP adapter.
public struct Service: Sendable {
    public let ontology: Ontology
    public let analyzer: Analyzer
    public let labeler: Labeler
    /// The store behind `ingest` and `query` (nil: those ops answer `store.not_configured`).
    public let store: Store?
    public static let version = "0.1.0"
    public static let ops = ["analyze", "assert", "label", "scene", "ground", "compare", "ingest", "query", "stats", "ontology.lookup", "version"]
    /// Limits.
    public var maxLineBytes = 16 << 20
    public var maxReportsPerRequest = 10_000

    public init(ontology: Ontology, store: Store? = nil) {
        self.ontology = ontology
        self.analyzer = Analyzer(ontology: ontology)
        self.labeler = Labeler(ontology: ontology)
        self.store = store
    }

    /// A response envelope and, when it is an error, its code (transports map it to a status without re-reading).
    public struct Answer: Sendable {
        public var bytes: [UInt8]
        public var errorCode: String?
        public init(bytes: [UInt8], errorCode: String?) { self.bytes = bytes; self.errorCode = errorCode }
    }

    /// Answers one NDJSON line (without its newline). Never throws: errors become error envelopes.
    public func handle(line: ArraySlice<UInt8>) -> [UInt8] { answer(line: line).bytes }

    /// Answers one parsed envelope.
    public func handle(envelope value: JSONValue) -> [UInt8] { answer(envelope: value).bytes }

    public func answer(line: ArraySlice<UInt8>) -> Answer {
        var w = JSONWriter()
        if line.count > maxLineBytes {
            let e = HilumError("request.too_large", "request line of \(line.count) bytes exceeds the limit of \(maxLineBytes)")
            writeError(&w, id: .null, e)
            return Answer(bytes: w.bytes, errorCode: e.code)
        }
        guard let text = UTF8Bytes.string(line) else {
            writeError(&w, id: .null, HilumError("request.invalid_utf8", "request line is not valid UTF-8"))
            return Answer(bytes: w.bytes, errorCode: "request.invalid_utf8")
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(text)
        } catch {
            writeError(&w, id: .null, error)
            return Answer(bytes: w.bytes, errorCode: error.code)
        }
        return answer(envelope: value)
    }

    public func answer(envelope value: JSONValue) -> Answer {
        var w = JSONWriter()
        guard case .object = value else {
            writeError(&w, id: .null, HilumError("request.invalid_envelope", "a request must be a JSON object {\"id\", \"op\", \"params\"}"))
            return Answer(bytes: w.bytes, errorCode: "request.invalid_envelope")
        }
        let id = value["id"] ?? .null
        guard let op = value["op"]?.string else {
            writeError(&w, id: id, HilumError("request.invalid_envelope", "missing string field 'op'"))
            return Answer(bytes: w.bytes, errorCode: "request.invalid_envelope")
        }
        let params = value["params"] ?? .object([])
        w.raw("{"); w.key("id"); w.value(id); w.comma(); w.key("ok"); w.bool(true); w.comma(); w.key("result")
        do {
            try dispatch(op: op, params: params, into: &w)
        } catch {
            var e = JSONWriter()
            writeError(&e, id: id, error)
            return Answer(bytes: e.bytes, errorCode: error.code)
        }
        w.raw("}")
        return Answer(bytes: w.bytes, errorCode: nil)
    }

    func writeError(_ w: inout JSONWriter, id: JSONValue, _ e: HilumError) {
        w.raw("{"); w.key("id"); w.value(id); w.comma(); w.key("ok"); w.bool(false); w.comma(); w.key("error")
        w.raw("{"); w.key("code"); w.string(e.code); w.comma(); w.key("message"); w.string(e.message)
        if let l = e.location { w.comma(); w.key("location"); w.string(l) }
        w.raw("}}")
    }

    /// Runs an op, writing its result JSON.
    public func dispatch(op: String, params: JSONValue, into w: inout JSONWriter) throws(HilumError) {
        guard case .object = params else { throw HilumError("request.invalid_params", "'params' must be an object") }
        switch op {
        case "analyze":
            let text = try Params.string(params, "text")
            let lang = try Params.language(params)
            let rid = try Params.optionalString(params, "id")
            let policy = try Params.policy(params)
            var r = analyzer.analyze(text, lang: lang, id: rid)
            labeler.apply(&r, policy: policy)
            r.writeJSON(to: &w)
        case "assert":
            let text = try Params.string(params, "text")
            let lang = try Params.language(params)
            guard let targets = params["targets"]?.array, !targets.isEmpty else {
                throw HilumError("request.invalid_params", "'targets' must be a non-empty array of strings")
            }
            var ts: [String] = []
            for t in targets {
                guard let s = t.string else { throw HilumError("request.invalid_params", "'targets' must contain strings") }
                ts.append(s)
            }
            let (language, results) = analyzer.assert(text, targets: ts, lang: lang)
            w.raw("{"); w.key("language"); w.string(language.rawValue)
            w.comma(); w.key("ontology_version"); w.string(ontology.version)
            w.comma(); w.key("targets"); w.raw("[")
            for (i, r) in results.enumerated() { if i > 0 { w.comma() }; r.writeJSON(to: &w) }
            w.raw("]}")
        case "label":
            guard let reports = params["reports"]?.array else {
                throw HilumError("request.invalid_params", "'reports' must be an array of {id, text}")
            }
            if reports.count > maxReportsPerRequest {
                throw HilumError("request.too_large", "\(reports.count) reports exceed the limit of \(maxReportsPerRequest) per request")
            }
            let policy = try Params.policy(params)
            var schemes = labeler.schemes.map(\.name)
            if let s = params["schemes"]?.array {
                schemes = []
                for x in s {
                    guard let name = x.string, labeler.scheme(name) != nil else {
                        throw HilumError("request.unknown_scheme", "unknown scheme \(x.serialized()); known: \(labeler.schemes.map(\.name).joined(separator: ", "))")
                    }
                    schemes.append(name)
                }
            }
            let lang = try Params.language(params)
            w.raw("{"); w.key("ontology_version"); w.string(ontology.version); w.comma(); w.key("rows"); w.raw("[")
            for (i, rep) in reports.enumerated() {
                if i > 0 { w.comma() }
                guard let text = rep["text"]?.string else {
                    throw HilumError("request.invalid_params", "reports[\(i)] needs a string 'text'")
                }
                let rid = rep["id"]?.string ?? rep["id"].map { $0.serialized() } ?? String(i)
                var r = analyzer.analyze(text, lang: try Params.language(rep) ?? lang, id: rid)
                labeler.apply(&r, policy: policy)
                w.raw("{"); w.key("id"); w.string(rid); w.comma(); w.key("language"); w.string(r.language.rawValue)
                w.comma(); w.key("labels"); w.raw("{")
                var first = true
                for s in r.labels where schemes.contains(s.scheme) {
                    if !first { w.comma() }
                    first = false
                    w.key(s.scheme); w.value(.object(s.values))
                }
                w.raw("}}")
            }
            w.raw("]}")
        case "ingest":
            guard let store else { throw HilumError("store.not_configured", "no database: start with --db FILE") }
            guard let reports = params["reports"]?.array else {
                throw HilumError("request.invalid_params", "'reports' must be an array of {id, text, patient_id?, study_id?, study_date?, lang?}")
            }
            if reports.count > maxReportsPerRequest {
                throw HilumError("request.too_large", "\(reports.count) reports exceed the limit of \(maxReportsPerRequest) per request")
            }
            var entries: [Store.Entry] = []
            for (i, rep) in reports.enumerated() {
                guard let text = rep["text"]?.string, let rid = rep["id"]?.string ?? rep["id"]?.int.map(String.init) else {
                    throw HilumError("request.invalid_params", "reports[\(i)] needs a string 'id' and 'text'")
                }
                var r = analyzer.analyze(text, lang: try Params.language(rep), id: rid)
                labeler.apply(&r)
                var entry = Store.Entry(id: rid, patientID: rep["patient_id"]?.string, studyID: rep["study_id"]?.string,
                                        studyDate: rep["study_date"]?.string, text: text, report: r, ontology: ontology)
                if let sc = rep["scene"], !sc.isNull {
                    do { entry.scene = try sceneRecord(report: r, scene: sc) } catch {
                        throw HilumError(error.code, "reports[\(i)] scene: \(error.message)")
                    }
                }
                entries.append(entry)
            }
            let c = try store.ingest(entries)
            w.value(.object([("inserted", .number(Double(c.inserted))), ("replaced", .number(Double(c.replaced))),
                             ("skipped", .number(Double(c.skipped))), ("ontology_version", .string(ontology.version))]))
        case "query":
            guard let store else { throw HilumError("store.not_configured", "no database: start with --db FILE") }
            let q = try storeQuery(params)
            let (total, hits) = try store.query(q.query)
            w.raw("{"); w.key("total"); w.int(total)
            w.comma(); w.key("limit"); w.int(q.query.limit); w.comma(); w.key("offset"); w.int(q.query.offset)
            w.comma(); w.key("resolved"); w.value(.object(q.resolved))
            w.comma(); w.key("hits"); w.raw("[")
            for (i, h) in hits.enumerated() {
                if i > 0 { w.comma() }
                w.raw("{"); w.key("report_id"); w.string(h.reportID)
                w.comma(); w.key("patient_id"); w.optString(h.patientID)
                w.comma(); w.key("study_date"); w.optString(h.studyDate)
                w.comma(); w.key("language"); w.string(h.language)
                w.comma(); w.key("finding"); w.raw("{")
                w.key("index"); w.int(h.ord)
                w.comma(); w.key("cui"); w.string(h.cui)
                w.comma(); w.key("name"); w.string(h.name)
                w.comma(); w.key("padchest"); w.optString(h.padchest)
                w.comma(); w.key("text"); w.string(h.text)
                w.comma(); w.key("span"); w.span(h.span)
                w.comma(); w.key("assertion"); w.string(h.assertion)
                w.comma(); w.key("certainty"); w.optString(h.certainty)
                w.comma(); w.key("temporality"); w.string(h.temporality)
                w.comma(); w.key("experiencer"); w.string(h.experiencer)
                w.comma(); w.key("change"); w.optString(h.change)
                w.comma(); w.key("laterality"); w.optString(h.laterality)
                w.comma(); w.key("severity"); w.optString(h.severity)
                w.raw("}")
                w.comma(); w.key("evidence"); w.raw(utf8: h.evidence)
                w.raw("}")
            }
            w.raw("]")
            if let patient = q.query.patient, params["timeline"]?.bool == true {
                w.comma(); w.key("timeline"); w.raw("[")
                for (i, e) in try store.timeline(patient: patient).enumerated() {
                    if i > 0 { w.comma() }
                    w.raw("{"); w.key("report_id"); w.string(e.id); w.comma(); w.key("study_date"); w.optString(e.date)
                    w.comma(); w.key("analysis"); w.raw(utf8: e.analysis)
                    w.comma(); w.key("scene"); if let g = e.scene { w.raw(utf8: g) } else { w.null() }
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}")
        case "stats":
            guard let store else { throw HilumError("store.not_configured", "no database: start with --db FILE") }
            w.value(try store.summary())
        case "scene": try scene(params: params, into: &w)
        case "ground": try ground(params: params, into: &w)
        case "compare": try compare(params: params, into: &w)
        case "ontology.lookup":
            let q = try Params.string(params, "query")
            let found = ontology.lookup(q)
            w.raw("{"); w.key("query"); w.string(q); w.comma(); w.key("concepts"); w.raw("[")
            for (i, c) in found.enumerated() { if i > 0 { w.comma() }; w.value(describe(c)) }
            w.raw("]}")
        case "version":
            w.value(.object([
                ("hilum", .string(Service.version)),
                ("ontology_version", .string(ontology.version)),
                ("ops", .array(Service.ops.map { .string($0) })),
                ("schemes", .array(labeler.schemes.map { .string($0.name) })),
            ]))
        default:
            throw HilumError("request.unknown_op", "unknown op '\(op)'; known ops: \(Service.ops.joined(separator: ", "))")
        }
    }

    /// Resolves the `query` params: anatomy (a term, CUI, PadChest location or region name) rolls up
    /// through part_of to every contained structure and its regions; a finding rolls up through isa.
    public func storeQuery(_ p: JSONValue) throws(HilumError) -> (query: Store.Query, resolved: [(String, JSONValue)]) {
        var q = Store.Query()
        var resolved: [(String, JSONValue)] = []
        if let a = try Params.optionalString(p, "anatomy") {
            var ids = Set<ConceptID>()
            if let region = ontology.regions[a] { ids.insert(region.concept) }
            for c in ontology.lookup(a) where c.kind == .anatomy { ids.insert(c.id) }
            guard !ids.isEmpty else { throw HilumError("query.unknown_anatomy", "no anatomical structure or region named '\(a)'") }
            var all = Set<ConceptID>()
            for id in ids { all.formUnion(ontology.descendants(of: id)) }
            var regions = Set<String>()
            for id in all { regions.formUnion(ontology.anatomyRegions[id] ?? []) }
            for (name, r) in ontology.regions where all.contains(r.concept) { regions.insert(name) }
            q.sites = all.union(regions)
            q.anatomyKeys = ids.filter { ontology.concepts[$0]?.kind == .anatomy }
            resolved.append(("anatomy", .object([("concepts", .array(all.sorted().map { .string($0) })),
                                                 ("regions", .array(regions.sorted().map { .string($0) }))])))
        }
        if let f = try Params.optionalString(p, "finding") {
            let found = ontology.lookup(f).filter { $0.kind != .anatomy }
            guard !found.isEmpty else { throw HilumError("query.unknown_finding", "no finding or diagnosis named '\(f)'") }
            var all = Set<ConceptID>()
            for c in found { all.formUnion(ontology.descendants(of: c.id)) }
            q.concepts = all
            resolved.append(("finding", .array(all.sorted().map { .string($0) })))
        }
        q.assertion = try Params.optionalValue(p, "assertion", of: Assertion.self)
        q.certainty = try Params.optionalValue(p, "certainty", of: Certainty.self)
        q.temporality = try Params.optionalValue(p, "temporality", of: Temporality.self)
        q.experiencer = try Params.optionalValue(p, "experiencer", of: Experiencer.self)
        q.change = try Params.optionalValue(p, "change", of: Change.self)
        q.language = try Params.optionalString(p, "language")
        q.patient = try Params.optionalString(p, "patient")
        q.report = try Params.optionalString(p, "report")
        if let l = p["limit"] { guard let v = l.int, v >= 0 else { throw HilumError("request.invalid_params", "'limit' must be a non-negative integer") }; q.limit = min(v, 10_000) }
        if let o = p["offset"] { guard let v = o.int, v >= 0 else { throw HilumError("request.invalid_params", "'offset' must be a non-negative integer") }; q.offset = v }
        return (q, resolved)
    }

    /// A concept with names, synonyms, parents, children, regions and scheme labels.
    public func describe(_ c: Concept) -> JSONValue {
        func names(_ ids: [ConceptID]) -> JSONValue {
            .array(ids.sorted().map { id in
                .object([("cui", .string(id)), ("name", .string(ontology.concepts[id]?.preferredEN ?? id))])
            })
        }
        var schemeLabels: [(String, JSONValue)] = []
        for s in labeler.schemes {
            if s.fromConcepts { schemeLabels.append((s.name, .array(c.padchest.map { [.string($0)] } ?? []))); continue }
            schemeLabels.append((s.name, .array(labeler.labels(of: c.id, in: s).sorted().map { .string(s.labels[$0]) })))
        }
        return .object([
            ("cui", .string(c.id)),
            ("kind", .string(c.kind.rawValue)),
            ("preferred_en", .string(c.preferredEN)),
            ("preferred_es", .string(c.preferredES)),
            ("padchest", c.padchest.map { .string($0) } ?? .null),
            ("alt_cuis", .array(c.altCUIs.map { .string($0) })),
            ("laterality", c.laterality.map { .string($0.rawValue) } ?? .null),
            ("synonyms", .object([("en", .array(ontology.synonyms(of: c.id, .en).map { .string($0) })),
                                  ("es", .array(ontology.synonyms(of: c.id, .es).map { .string($0) }))])),
            ("parents", names(ontology.parents[c.id] ?? [])),
            ("children", names(ontology.children[c.id] ?? [])),
            ("regions", .array((ontology.anatomyRegions[c.id] ?? []).map { .string($0) })),
            ("labels", .object(schemeLabels)),
        ])
    }
}

/// Parameter readers that turn a wrong type into `request.invalid_params`.
enum Params {
    static func string(_ p: JSONValue, _ k: String) throws(HilumError) -> String {
        guard let v = p[k] else { throw HilumError("request.invalid_params", "missing '\(k)'") }
        guard let s = v.string else { throw HilumError("request.invalid_params", "'\(k)' must be a string") }
        return s
    }
    static func optionalString(_ p: JSONValue, _ k: String) throws(HilumError) -> String? {
        guard let v = p[k], !v.isNull else { return nil }
        if let s = v.string { return s }
        if let i = v.int { return String(i) }
        throw HilumError("request.invalid_params", "'\(k)' must be a string")
    }
    /// An optional string parameter that must be a value of `E` (returned as written).
    static func optionalValue<E: RawRepresentable & CaseIterable>(_ p: JSONValue, _ k: String, of _: E.Type) throws(HilumError) -> String?
    where E.RawValue == String {
        guard let v = try optionalString(p, k) else { return nil }
        guard E(rawValue: v) != nil else {
            throw HilumError("request.invalid_params", "'\(k)' must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")); got '\(v)'")
        }
        return v
    }
    static func language(_ p: JSONValue) throws(HilumError) -> Language? {
        guard let v = p["lang"], !v.isNull else { return nil }
        guard let s = v.string else { throw HilumError("request.invalid_params", "'lang' must be \"auto\", \"en\" or \"es\"") }
        if s == "auto" { return nil }
        guard let l = Language(rawValue: s) else { throw HilumError("request.invalid_params", "'lang' must be \"auto\", \"en\" or \"es\", not '\(s)'") }
        return l
    }
    static func policy(_ p: JSONValue) throws(HilumError) -> UncertainPolicy {
        guard let v = p["uncertain_policy"], !v.isNull else { return .keep }
        guard let s = v.string, let pol = UncertainPolicy(rawValue: s) else {
            throw HilumError("request.invalid_params", "'uncertain_policy' must be keep, ones or zeros")
        }
        return pol
    }
}
