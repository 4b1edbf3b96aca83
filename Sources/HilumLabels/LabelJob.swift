public import HilumCore
public import HilumOntology
public import HilumNLP
internal import Foundation

/// `hilum label`: reads a corpus, analyzes and labels every report on all cores, writes rows in input
/// order. Bad records are reported (and counted) without stopping the others.
public struct LabelJob: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }
    public let analyzer: Analyzer
    public let labeler: Labeler
    /// `chexpert`, `chestxray14`, `padchest` or `all`.
    public var scheme: String
    public var format: Format
    public var policy: UncertainPolicy
    public var rollUp: Bool
    public var jobs: Int
    public var batchSize = 512
    public var lang: Language?

    public init(ontology: Ontology, scheme: String, format: Format, policy: UncertainPolicy = .keep, rollUp: Bool = false,
                jobs: Int = 0, lang: Language? = nil) throws(HilumError) {
        analyzer = Analyzer(ontology: ontology)
        labeler = Labeler(ontology: ontology)
        if scheme != "all" && labeler.scheme(scheme) == nil {
            throw HilumError("request.unknown_scheme", "unknown scheme '\(scheme)'; known: \(labeler.schemes.map(\.name).joined(separator: ", ")), all")
        }
        self.scheme = scheme
        self.format = format
        self.policy = policy
        self.rollUp = rollUp
        self.jobs = jobs > 0 ? jobs : max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.lang = lang
    }

    public struct Summary: Sendable {
        public var reports = 0
        public var failed = 0
        public var bytes = 0
        public var seconds = 0.0
    }

    var schemeNames: [String] { scheme == "all" ? labeler.schemes.map(\.name) : [scheme] }

    /// The CSV header line.
    public func header() -> String {
        switch scheme {
        case "chexpert":
            return CSV.row(["Reports"] + (labeler.scheme("chexpert")?.labels ?? []))
        case "padchest":
            return CSV.row(["ReportID"] + LabelJob.padchestColumns)
        default:
            var cols = ["id"]
            for s in schemeNames {
                if s == "padchest" { cols += LabelJob.padchestColumns; continue }
                let labels = labeler.scheme(s)?.labels ?? []
                cols += scheme == "all" ? labels.map { "\(s)/\($0)" } : labels
            }
            return CSV.row(cols)
        }
    }

    static let padchestColumns = ["Labels", "Localizations", "LabelsLocalizationsBySentence", "labelCUIS", "LocalizationsCUIS"]

    /// Runs the job; `write` receives output bytes in input order, `failure` every bad record.
    public func run(_ reader: inout CorpusReader, write: (ArraySlice<UInt8>) -> Void, failure: (CorpusError) -> Void,
                    progress: ((Summary) -> Void)? = nil) throws(HilumError) -> Summary {
        let t0 = Date()
        var summary = Summary()
        if format == .csv { write(ArraySlice(Array((header() + "\n").utf8))) }
        var batch: [CorpusItem] = []
        var done = false
        while !done {
            batch.removeAll(keepingCapacity: true)
            var bytes = 0
            while batch.count < batchSize && bytes < 8 << 20 {
                guard let item = try reader.next() else { done = true; break }
                switch item {
                case .record(let r): bytes += r.text.utf8.count
                case .deferred(let d): bytes += d.byteCount
                case .failure: break
                }
                batch.append(item)
            }
            if batch.isEmpty { break }
            // Parsing (for deferred JSONL lines), analysis, labelling and formatting run on the workers.
            let outputs = ParallelMap.map(batch, jobs: jobs) { item -> (CorpusItem, [UInt8]?) in
                let resolved = item.resolved()
                guard case .record(let r) = resolved else { return (resolved, nil) }
                return (resolved, self.row(r))
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes + batch.count * 128)
            for (item, o) in outputs {
                switch item {
                case .failure(let e):
                    summary.failed += 1
                    failure(e)
                case .record(let r):
                    summary.reports += 1
                    summary.bytes += r.text.utf8.count
                    if let o { out.append(contentsOf: o) }
                case .deferred:
                    break
                }
            }
            write(out[...])
            summary.seconds = Date().timeIntervalSince(t0)
            progress?(summary)
        }
        summary.seconds = Date().timeIntervalSince(t0)
        return summary
    }

    /// One output row (with its newline) for a record.
    public func row(_ rec: CorpusRecord) -> [UInt8] {
        var r = analyzer.analyze(rec.text, lang: rec.lang ?? lang, id: rec.id)
        labeler.apply(&r, policy: policy)
        switch format {
        case .jsonl: return jsonRow(r, rec)
        case .csv:
            var out: [UInt8] = []
            out.reserveCapacity(rec.text.utf8.count + 256)
            csvRow(r, rec, into: &out)
            out.append(0x0A)
            return out
        }
    }

    func values(_ r: AnalyzedReport, _ s: String) -> [(String, JSONValue)] {
        r.labels.first { $0.scheme == s }?.values ?? []
    }

    static func csvValue(_ v: JSONValue, chexpert: Bool) -> String {
        switch v {
        case .null: return ""
        case .number(let d):
            // CheXpert writes 1.0 / 0.0 / -1.0; the label values are small integers.
            if d == d.rounded(), abs(d) < 1e15 { return chexpert ? "\(Int(d)).0" : String(Int(d)) }
            return chexpert ? String(format: "%.1f", d) : String(Int(d))
        case .string(let s): return s
        default: return v.serialized()
        }
    }

    /// Appends one CSV row (no newline) to `out`.
    func csvRow(_ r: AnalyzedReport, _ rec: CorpusRecord, into out: inout [UInt8]) {
        switch scheme {
        case "chexpert":
            CSV.append(rec.text, to: &out, first: true)
            for (_, v) in values(r, "chexpert") { CSV.append(LabelJob.csvValue(v, chexpert: true), to: &out, first: false) }
        case "padchest":
            CSV.append(rec.id, to: &out, first: true)
            for c in padchestCells(r) { CSV.append(c, to: &out, first: false) }
        default:
            CSV.append(rec.id, to: &out, first: true)
            for s in schemeNames {
                if s == "padchest" {
                    for c in padchestCells(r) { CSV.append(c, to: &out, first: false) }
                    continue
                }
                for (_, v) in values(r, s) { CSV.append(LabelJob.csvValue(v, chexpert: s == "chexpert"), to: &out, first: false) }
            }
        }
    }


    /// PadChest's CSV conventions: present and uncertain findings; locations bound to a finding of the
    /// same sentence, never to a negated one; `normal` when nothing is found (per report and per sentence).
    func padchestCells(_ r: AnalyzedReport) -> [String] {
        let o = analyzer.ontology
        var labels: [String] = []
        var labelCUIs: [String] = []
        var locs: [String] = []
        var locCUIs: [String] = []
        var bySentence: [Int: [String]] = [:]
        for f in r.findings where Labeler.counts(f) && f.assertion != .absent {
            guard let p = f.concept.padchest else { continue }
            var names = [p]
            var cuis = [f.concept.cui]
            if rollUp {
                for a in o.ancestors(of: f.concept.cui).sorted() {
                    if let c = o.concepts[a], let ap = c.padchest, (o.parents[a] ?? []).isEmpty == false { names.append(ap); cuis.append(a) }
                }
            }
            for (n, c) in zip(names, cuis) where !labels.contains(n) {
                labels.append(n)
                labelCUIs.append(c.hasPrefix("HL:") ? "" : c)
            }
            var sentence = bySentence[f.sentence] ?? []
            if !sentence.contains(p) { sentence.append(p) }
            for l in f.locations {
                guard let lp = l.padchest else { continue }
                if !locs.contains(lp) { locs.append(lp); locCUIs.append(l.cui.hasPrefix("HL:") ? "" : l.cui) }
                if !sentence.contains(lp) { sentence.append(lp) }
            }
            bySentence[f.sentence] = sentence
        }
        if labels.isEmpty { labels = ["normal"] }
        var sentences: [[String]] = []
        for i in 1...max(1, r.sentences.count) { sentences.append(bySentence[i] ?? ["normal"]) }
        return [CSV.pyList(labels), CSV.pyList(locs), "[" + sentences.map(CSV.pyList).joined(separator: ", ") + "]",
                CSV.npList(labelCUIs), CSV.npList(locCUIs)]
    }

    func jsonRow(_ r: AnalyzedReport, _ rec: CorpusRecord) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{"); w.key("id"); w.string(rec.id)
        w.comma(); w.key("language"); w.string(r.language.rawValue)
        w.comma(); w.key("labels"); w.raw("{")
        var first = true
        for s in schemeNames {
            if !first { w.comma() }
            first = false
            w.key(s)
            if s == "padchest" {
                let cells = padchestCells(r)
                w.value(.object(zip(LabelJob.padchestColumns, cells).map { ($0, .string($1)) }))
            } else {
                w.value(.object(values(r, s)))
            }
        }
        w.raw("}")
        // Evidence: for each scheme label, the mentions that decided it.
        w.comma(); w.key("evidence"); w.raw("{")
        first = true
        for s in schemeNames {
            if !first { w.comma() }
            first = false
            w.key(s); w.raw("{")
            var byLabel: [(String, [Finding])] = []
            for f in r.findings where Labeler.counts(f) {
                for l in f.labels.first(where: { $0.0 == s })?.1 ?? [] {
                    if let i = byLabel.firstIndex(where: { $0.0 == l }) { byLabel[i].1.append(f) } else { byLabel.append((l, [f])) }
                }
            }
            for (k, (label, fs)) in byLabel.enumerated() {
                if k > 0 { w.comma() }
                w.key(label); w.raw("[")
                for (j, f) in fs.enumerated() {
                    if j > 0 { w.comma() }
                    w.raw("{"); w.key("finding"); w.string(f.id)
                    w.comma(); w.key("text"); w.string(f.text)
                    w.comma(); w.key("span"); w.span(f.span)
                    w.comma(); w.key("assertion"); w.string(f.assertion.rawValue)
                    w.comma(); w.key("rules"); w.stringArray(f.evidence.map(\.rule))
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("}}\n")
        return w.bytes
    }
}

/// CSV and Python-literal helpers.
public enum CSV {
    /// Appends one cell (RFC 4180 quoting when it holds a comma, quote or line break), preceded by a comma
    /// unless it is the first of its row.
    public static func append(_ s: String, to out: inout [UInt8], first: Bool) {
        if !first { out.append(0x2C) }
        let u = s.utf8
        if u.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            out.append(0x22)
            for b in u {
                out.append(b)
                if b == 0x22 { out.append(0x22) }
            }
            out.append(0x22)
        } else {
            out.append(contentsOf: u)
        }
    }

    public static func escape(_ s: String) -> String {
        if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
    public static func row(_ cells: [String]) -> String { cells.map(escape).joined(separator: ",") }
    /// Python list repr: ['a', 'b'].
    public static func pyList(_ items: [String]) -> String {
        "[" + items.map { "'" + ($0.utf8.contains(0x27) ? $0.replacingOccurrences(of: "'", with: "\\'") : $0) + "'" }.joined(separator: ", ") + "]"
    }
    /// NumPy array repr as PadChest writes CUIs: ['C1' 'C2'].
    public static func npList(_ items: [String]) -> String {
        "[" + items.map { "'" + $0 + "'" }.joined(separator: " ") + "]"
    }
}
