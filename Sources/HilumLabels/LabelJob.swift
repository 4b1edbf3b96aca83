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
    public var scheme: String {
        didSet {
            groups = LabelJob.csvGroups(scheme: scheme, labeler: labeler)
            textFirst = scheme == "chexpert"
        }
    }
    public var format: Format
    public var policy: UncertainPolicy
    public var rollUp: Bool
    public var jobs: Int
    public var batchSize = 256
    public var lang: Language?
    /// Whether the analyzer's concept indices are the labeler's (both are made from one ontology): the CSV writer
    /// then reads label views.
    let viewMatchesLabeler: Bool
    /// `csvGroups` of the scheme; whether the first cell is the report text (the CheXpert layout).
    private(set) var groups: [CSVGroup]
    private(set) var textFirst: Bool

    public init(ontology: Ontology, scheme: String, format: Format, policy: UncertainPolicy = .keep, rollUp: Bool = false,
                jobs: Int = 0, lang: Language? = nil) throws(HilumError) {
        analyzer = Analyzer(ontology: ontology)
        labeler = Labeler(ontology: ontology)
        viewMatchesLabeler = analyzer.ontology.lexicon.tables.conceptIDs == labeler.conceptIDs
        groups = LabelJob.csvGroups(scheme: scheme, labeler: labeler)
        textFirst = scheme == "chexpert"
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
        /// Input bytes read so far (compressed bytes for `.gz`) and the inputs' total size (nil when unknown).
        public var inputBytesRead = 0
        public var inputBytesTotal: Int? = nil

        /// Seconds left, estimated from the share of the input read so far (nil when the size is unknown).
        public var secondsLeft: Double? {
            guard let total = inputBytesTotal, inputBytesRead > 0, seconds > 0 else { return nil }
            return max(0, seconds * Double(total - inputBytesRead) / Double(inputBytesRead))
        }
    }

    var schemeNames: [String] { scheme == "all" ? labeler.schemes.map(\.name) : [scheme] }

    /// The cell groups of a CSV row after its first cell, in column order: a scheme's codes (CheXpert's layout
    /// writes `1.0`), or the PadChest cells. Made once, not per row.
    enum CSVGroup: Sendable { case codes(Labeler.CompiledScheme, chexpertLayout: Bool), padchest }
    static func csvGroups(scheme: String, labeler: Labeler) -> [CSVGroup] {
        let names = scheme == "all" ? labeler.schemes.map(\.name) : [scheme]
        return names.compactMap { n in
            if n == "padchest" { return .padchest }
            // The CheXpert labeler's layout (1.0 / 0.0 / -1.0) belongs to the `chexpert` scheme, as its header does.
            return labeler.scheme(n).map { .codes($0, chexpertLayout: n == "chexpert") }
        }
    }

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

    /// The output of one batch: its bytes, its bad records in order, and counts.
    struct BatchOutput: Sendable {
        var bytes: [UInt8] = []
        var failures: [CorpusError] = []
        var reports = 0
        var textBytes = 0
        /// Input bytes read when the batch was complete (for progress, counted when the batch is written).
        var inputBytesRead = 0
    }

    /// Parses (deferred JSONL lines), analyzes, labels and formats one batch (on a worker thread).
    func process(_ batch: [CorpusItem]) -> BatchOutput {
        var out = BatchOutput()
        out.bytes.reserveCapacity(batch.count * 256)
        // One label view for the batch: its buffers serve every report.
        var view = LabelView()
        // CSV rows without roll-up or report texts read the usual JSONL record straight into bytes.
        let raw = format == .csv && !rollUp && viewMatchesLabeler && !textFirst
        var text: [UInt8] = [], scratch: [UInt8] = []
        for item in batch {
            if raw, case .deferred(let d) = item,
               let (id, lang) = JSONLStream.rawRecord(d.bytes, lineNo: d.lineNo, name: d.name, options: d.options, text: &text, scratch: &scratch) {
                analyzer.labelView(utf8: text, lang: lang ?? self.lang, into: &view)
                if csvRow(ViewSource(v: view, conceptIDs: labeler.conceptIDs), nil, id: id, text: nil, into: &out.bytes) {
                    out.bytes.append(0x0A)
                    out.reports += 1
                    out.textBytes += text.count
                    continue
                }
                // Cells the view cannot give: the record is read and written as any other.
            }
            switch item.resolved() {
            case .failure(let e):
                out.failures.append(e)
            case .record(let r):
                out.reports += 1
                out.textBytes += r.text.utf8.count
                appendRow(r, to: &out.bytes, view: &view)
            case .deferred:
                break
            }
        }
        return out
    }

    /// Runs the job; `write` receives output bytes in input order, `failure` every bad record.
    ///
    /// The calling thread reads batches while `jobs` worker threads parse, analyze, label and format earlier
    /// ones; output is written in input order, with at most a few batches in memory at a time.
    /// A `write` that throws (the output cannot be written) ends the run: reading stops, the batches in flight are
    /// finished without writing, and the error is thrown.
    public func run(_ reader: inout CorpusReader, write: (ArraySlice<UInt8>) throws(HilumError) -> Void, failure: (CorpusError) -> Void,
                    progress: ((Summary) -> Void)? = nil) throws(HilumError) -> Summary {
        let t0 = Date()
        var summary = Summary()
        summary.inputBytesTotal = reader.totalBytes
        if format == .csv { try write(ArraySlice(Array((header() + "\n").utf8))) }
        var writeFailure: HilumError?
        let job = self
        let pipeline = OrderedPipeline<([CorpusItem], Int), BatchOutput>(jobs: jobs) { batch, read in
            var o = job.process(batch)
            o.inputBytesRead = read
            return o
        }
        func emit(_ o: BatchOutput) {
            summary.inputBytesRead = o.inputBytesRead
            for e in o.failures { failure(e) }
            summary.failed += o.failures.count
            summary.reports += o.reports
            summary.bytes += o.textBytes
            if !o.bytes.isEmpty && writeFailure == nil {
                do throws(HilumError) { try write(o.bytes[...]) } catch { writeFailure = error }
            }
            summary.seconds = Date().timeIntervalSince(t0)
            progress?(summary)
        }
        var batch: [CorpusItem] = []
        do throws(HilumError) {
            var done = false
            while !done && writeFailure == nil {
                batch = []
                batch.reserveCapacity(batchSize)
                var bytes = 0
                while batch.count < batchSize && bytes < 4 << 20 {
                    guard let item = try reader.next() else { done = true; break }
                    switch item {
                    case .record(let r): bytes += r.text.utf8.count
                    case .deferred(let d): bytes += d.byteCount
                    case .failure: break
                    }
                    batch.append(item)
                }
                if batch.isEmpty { break }
                pipeline.submit((batch, reader.bytesRead), emit: emit)
            }
        } catch {
            // A reader that fails mid-way (an unreadable input): what was read is still written, in order.
            if !batch.isEmpty { pipeline.submit((batch, reader.bytesRead), emit: emit) }
            pipeline.finish(emit: emit)
            throw error
        }
        pipeline.finish(emit: emit)
        if let writeFailure { throw writeFailure }
        summary.seconds = Date().timeIntervalSince(t0)
        return summary
    }

    /// One output row (with its newline) for a record.
    public func row(_ rec: CorpusRecord) -> [UInt8] {
        var out: [UInt8] = []
        var view = LabelView()
        appendRow(rec, to: &out, view: &view)
        return out
    }

    /// Appends the output row of a record (with its newline) to `out`; `view` is a buffer for the CSV writer.
    func appendRow(_ rec: CorpusRecord, to out: inout [UInt8], view: inout LabelView) {
        switch format {
        case .jsonl:
            var r = analyzer.analyze(rec.text, lang: rec.lang ?? lang, id: rec.id)
            labeler.apply(&r, policy: policy)
            out.append(contentsOf: jsonRow(r, rec))
        case .csv:
            // CSV cells are written from the label codes directly (the report's `labels`, evidence, regions and
            // texts are not needed). Without roll-up, from a label view (no result is built); roll-up reads PadChest
            // strings and the ontology's hierarchy from the result.
            if !rollUp && viewMatchesLabeler {
                analyzer.labelView(rec.text, lang: rec.lang ?? lang, into: &view)
                if csvRow(ViewSource(v: view, conceptIDs: labeler.conceptIDs), nil, id: rec.id, text: rec.text, into: &out) {
                    out.append(0x0A)
                    return
                }
            }
            let r = analyzer.analyze(rec.text, lang: rec.lang ?? lang, id: rec.id, detail: .labels)
            _ = csvRow(ReportSource(r, labeler), r, id: rec.id, text: rec.text, into: &out)
            out.append(0x0A)
        }
    }

    /// CSV cells of a scheme's label codes: CheXpert writes 1.0 / 0.0 / -1.0 / blank, the others 1 / 0 / -1.
    func appendCodes<S: LabelSource>(_ r: S, _ s: Labeler.CompiledScheme, chexpertLayout chexpert: Bool, to out: inout [UInt8]) {
        let n = s.labels.count
        // The values and codes are computed in buffers on the stack: no array per row and scheme.
        withUnsafeTemporaryAllocation(of: LabelValue?.self, capacity: n) { v in
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: n) { codes in
                v.initialize(repeating: nil)
                codes.initialize(repeating: 0)
                labeler.codes(r, s, policy: policy, values: v, into: codes)
                for c in codes {
                    out.append(0x2C)
                    switch c {
                    case Labeler.blank: break
                    case 1: out.append(0x31); if chexpert { out.append(0x2E); out.append(0x30) }
                    case 0: out.append(0x30); if chexpert { out.append(0x2E); out.append(0x30) }
                    default:
                        out.append(contentsOf: String(c).utf8)
                        if chexpert { out.append(0x2E); out.append(0x30) }
                    }
                }
            }
        }
    }

    /// Appends one CSV row (no newline) to `out`, from `source` and, for PadChest cells the fast path cannot write
    /// (roll-up, or a finding without a valid concept index), from the result `r`. Returns false, leaving `out` as it
    /// was, when those cells are needed and `r` is nil, or when the CheXpert layout needs the report's text and
    /// `text` is nil.
    func csvRow<S: LabelSource>(_ source: S, _ r: AnalyzedReport?, id: String, text: String?, into out: inout [UInt8]) -> Bool {
        let start = out.count
        func padchest() -> Bool {
            if !rollUp, fastPadchestCells(source, emit: { CSV.append(bytes: $0, to: &out, first: false) }) { return true }
            guard let r else { return false }
            appendPadchestCells(r, to: &out)
            return true
        }
        if textFirst {
            guard let text else { return false }
            CSV.append(text, to: &out, first: true)
        } else {
            CSV.append(id, to: &out, first: true)
        }
        for g in groups {
            switch g {
            case .padchest:
                if !padchest() { out.removeSubrange(start...); return false }
            case .codes(let s, let chexpertLayout):
                appendCodes(source, s, chexpertLayout: chexpertLayout, to: &out)
            }
        }
        return true
    }

    /// The PadChest cells as strings (JSONL rows).
    func padchestCells(_ r: AnalyzedReport) -> [String] {
        var out: [String] = []
        out.reserveCapacity(LabelJob.padchestColumns.count)
        padchestCells(r) { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    /// Appends the PadChest cells to a CSV row.
    func appendPadchestCells(_ r: AnalyzedReport, to row: inout [UInt8]) {
        padchestCells(r) { CSV.append(bytes: $0, to: &row, first: false) }
    }

    /// PadChest's CSV conventions: present and uncertain findings; locations bound to a finding of the
    /// same sentence, never to a negated one; `normal` when nothing is found (per report and per sentence).
    /// `emit` receives the cells in column order (`padchestColumns`), each in a buffer reused for the next.
    func padchestCells(_ r: AnalyzedReport, emit: ([UInt8]) -> Void) {
        if !rollUp, fastPadchestCells(ReportSource(r, labeler), emit: emit) { return }
        let o = analyzer.ontology
        let n = r.findings.count
        var labels: [String] = [], labelCUIs: [String] = [], locs: [String] = [], locCUIs: [String] = []
        labels.reserveCapacity(n + 1); labelCUIs.reserveCapacity(n); locs.reserveCapacity(n); locCUIs.reserveCapacity(n)
        // Terms of each sentence (1-based, as `Finding.sentence`), in the order found, one list for all sentences.
        var bySentence: [(Int, String)] = []
        bySentence.reserveCapacity(2 * n)
        func addToSentence(_ sentence: Int, _ term: String) {
            for (s, t) in bySentence where s == sentence && t == term { return }
            bySentence.append((sentence, term))
        }
        // Fields are read in place (a copy of a finding costs a reference count per string and array it holds).
        for k in r.findings.indices where Labeler.counts(r.findings[k].temporality, r.findings[k].experiencer) && r.findings[k].assertion != .absent {
            guard let p = r.findings[k].concept.padchest else { continue }
            let cui = r.findings[k].concept.cui
            let sentence = r.findings[k].sentence
            if !labels.contains(p) {
                labels.append(p)
                labelCUIs.append(cui.hasPrefix("HL:") ? "" : cui)
            }
            if rollUp {
                for a in o.ancestors(of: cui).sorted() {
                    if let c = o.concepts[a], let ap = c.padchest, (o.parents[a] ?? []).isEmpty == false, !labels.contains(ap) {
                        labels.append(ap)
                        labelCUIs.append(a.hasPrefix("HL:") ? "" : a)
                    }
                }
            }
            let inRange = sentence >= 1 && sentence <= r.sentences.count
            if inRange { addToSentence(sentence, p) }
            for j in r.findings[k].locations.indices {
                let lc = r.findings[k].locations[j].cui
                guard let lp = r.findings[k].locations[j].padchest else {
                    for d in labeler.derivedLocations[lc] ?? [] {
                        if !locs.contains(d.label) { locs.append(d.label); locCUIs.append(d.cui) }
                        if inRange { addToSentence(sentence, d.label) }
                    }
                    continue
                }
                if !locs.contains(lp) {
                    locs.append(lp)
                    locCUIs.append(lc.hasPrefix("HL:") ? "" : lc)
                }
                if inRange { addToSentence(sentence, lp) }
            }
        }
        if labels.isEmpty, let nf = labeler.padchestNoFinding { labels = [nf] }
        var cell: [UInt8] = []
        cell.reserveCapacity(256)
        CSV.appendPyList(labels, to: &cell)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        CSV.appendPyList(locs, to: &cell)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        cell.append(0x5B)
        var items: [String] = []
        items.reserveCapacity(bySentence.count)
        for i in 1...max(1, r.sentences.count) {
            if i > 1 { cell.append(0x2C); cell.append(0x20) }
            // A sentence with no term is the no-finding list, `['normal']` (most sentences of most reports).
            if !bySentence.contains(where: { $0.0 == i }) {
                cell.append(contentsOf: labeler.padchestNoFindingList)
                continue
            }
            items.removeAll(keepingCapacity: true)
            for (s, t) in bySentence where s == i { items.append(t) }
            CSV.appendPyList(items, to: &cell)
        }
        cell.append(0x5D)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        CSV.appendNpList(labelCUIs, to: &cell)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        CSV.appendNpList(locCUIs, to: &cell)
        emit(cell)
    }

    /// One PadChest term of a report's cells: its interned string, the concept it came from and, for a derived
    /// localization, which of the concept's derived ones (-1: the concept's own string).
    struct PadchestTerm { var item: Int32; var concept: Int32; var derived: Int32 }

    /// `padchestCells` without roll-up, from the interned tables: the same cells, terms compared as ids and written
    /// from bytes in list form. Returns false, having emitted nothing, when a finding or location carries no valid
    /// index of this ontology (a report analyzed elsewhere); the string path then writes the cells.
    func fastPadchestCells<S: LabelSource>(_ r: S, emit: ([UInt8]) -> Void) -> Bool {
        let t = labeler.padchestCells
        @inline(__always) func valid(_ k: Int?) -> Int? {
            guard let k, k < t.item.count else { return nil }
            return k
        }
        var labels: [PadchestTerm] = [], locs: [PadchestTerm] = []
        labels.reserveCapacity(8); locs.reserveCapacity(8)
        // (sentence, term) pairs in the order found, packed as sentence << 32 | term; sentences are 1-based, as
        // `Finding.sentence`.
        var bySentence: [UInt64] = []
        bySentence.reserveCapacity(16)
        // (A nested function that appended to the list would capture it in a box, checked on every access.)
        @inline(__always) func pair(_ sentence: Int, _ item: Int32) -> UInt64 {
            UInt64(truncatingIfNeeded: sentence) << 32 | UInt64(UInt32(bitPattern: item))
        }
        let sentenceCount = r.sentenceCount
        for k in 0..<r.findingCount where r.counts(k) && r.assertion(k) != .absent {
            guard let c = valid(r.concept(k)) else { return false }
            let p = t.item[c]
            guard p >= 0 else { continue }
            let sentence = r.sentence(k)
            if !labels.contains(where: { $0.item == p }) { labels.append(PadchestTerm(item: p, concept: Int32(c), derived: -1)) }
            let inRange = sentence >= 1 && sentence <= sentenceCount
            if inRange, case let key = pair(sentence, p), !bySentence.contains(key) { bySentence.append(key) }
            for j in 0..<r.locationCount(k) {
                guard let lc = valid(r.location(k, j)) else { return false }
                let lp = t.item[lc]
                if lp < 0 {
                    for (d, e) in t.derived[lc].enumerated() {
                        if !locs.contains(where: { $0.item == e.item }) { locs.append(PadchestTerm(item: e.item, concept: Int32(lc), derived: Int32(d))) }
                        if inRange, case let key = pair(sentence, e.item), !bySentence.contains(key) { bySentence.append(key) }
                    }
                    continue
                }
                if !locs.contains(where: { $0.item == lp }) { locs.append(PadchestTerm(item: lp, concept: Int32(lc), derived: -1)) }
                if inRange, case let key = pair(sentence, lp), !bySentence.contains(key) { bySentence.append(key) }
            }
        }
        @inline(__always) func pyList(_ terms: [PadchestTerm], into cell: inout [UInt8]) {
            cell.append(0x5B)
            for (n, x) in terms.enumerated() {
                if n > 0 { cell.append(0x2C); cell.append(0x20) }
                cell.append(contentsOf: t.pyItem[Int(x.item)])
            }
            cell.append(0x5D)
        }
        @inline(__always) func cuiList(_ terms: [PadchestTerm], into cell: inout [UInt8]) {
            cell.append(0x5B)
            for (n, x) in terms.enumerated() {
                if n > 0 { cell.append(0x20) }
                let c = Int(x.concept)
                cell.append(contentsOf: x.derived < 0 ? t.cuiItem[c] : t.derived[c][Int(x.derived)].cui)
            }
            cell.append(0x5D)
        }
        var cell: [UInt8] = []
        cell.reserveCapacity(256)
        if labels.isEmpty && t.noFinding >= 0 {
            cell.append(0x5B)
            cell.append(contentsOf: t.pyItem[Int(t.noFinding)])
            cell.append(0x5D)
        } else {
            pyList(labels, into: &cell)
        }
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        pyList(locs, into: &cell)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        cell.append(0x5B)
        for i in 1...max(1, sentenceCount) {
            if i > 1 { cell.append(0x2C); cell.append(0x20) }
            let s = UInt64(truncatingIfNeeded: i)
            // A sentence with no term is the no-finding list, `['normal']` (most sentences of most reports).
            var first = true
            for x in bySentence where x >> 32 == s {
                cell.append(first ? 0x5B : 0x2C)
                if !first { cell.append(0x20) }
                first = false
                cell.append(contentsOf: t.pyItem[Int(UInt32(truncatingIfNeeded: x))])
            }
            if first { cell.append(contentsOf: labeler.padchestNoFindingList) } else { cell.append(0x5D) }
        }
        cell.append(0x5D)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        cuiList(labels, into: &cell)
        emit(cell)
        cell.removeAll(keepingCapacity: true)
        cuiList(locs, into: &cell)
        emit(cell)
        return true
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
            } else if let k = r.labels.firstIndex(where: { $0.scheme == s }) {
                r.labels[k].writeJSON(to: &w)
            } else {
                w.raw("{}")
            }
        }
        w.raw("}")
        // Evidence: for each scheme label, the mentions that decided it (findings by index: a copy of a finding
        // costs a reference count per string and array it holds).
        w.comma(); w.key("evidence"); w.raw("{")
        first = true
        var byLabel: [(label: String, findings: [Int])] = []
        for s in schemeNames {
            if !first { w.comma() }
            first = false
            w.key(s); w.raw("{")
            byLabel.removeAll(keepingCapacity: true)
            for i in r.findings.indices where Labeler.counts(r.findings[i].temporality, r.findings[i].experiencer) {
                guard let names = r.findings[i].labelsJSON?.labels.first(where: { $0.0 == s })?.1 else { continue }
                for l in names {
                    if let j = byLabel.firstIndex(where: { $0.label == l }) { byLabel[j].findings.append(i) } else { byLabel.append((l, [i])) }
                }
            }
            for k in byLabel.indices {
                if k > 0 { w.comma() }
                w.key(byLabel[k].label); w.raw("[")
                for (j, i) in byLabel[k].findings.enumerated() {
                    if j > 0 { w.comma() }
                    w.raw("{"); w.key("finding"); w.string(r.findings[i].id)
                    w.comma(); w.key("text"); w.string(r.findings[i].text)
                    w.comma(); w.key("span"); w.span(r.findings[i].span)
                    w.comma(); w.key("assertion"); w.string(r.findings[i].assertion.rawValue)
                    w.comma(); w.key("rules"); w.raw("[")
                    for e in r.findings[i].evidence.indices {
                        if e > 0 { w.comma() }
                        w.string(r.findings[i].evidence[e].rule)
                    }
                    w.raw("]")
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
        var s = s
        s.withUTF8 { appendCell($0, to: &out, first: first) }
    }

    /// `append` for a cell given as UTF-8 bytes.
    public static func append(bytes u: [UInt8], to out: inout [UInt8], first: Bool) {
        u.withUnsafeBufferPointer { appendCell($0, to: &out, first: first) }
    }

    @inline(__always)
    static func appendCell<C: Collection<UInt8>>(_ u: C, to out: inout [UInt8], first: Bool) {
        if !first { out.append(0x2C) }
        let (quoted, quotes) = u.withContiguousStorageIfAvailable(CSV.quoting) ?? CSV.quoting(Array(u))
        if !quoted {
            out.append(contentsOf: u)
        } else if !quotes {
            out.append(0x22)
            out.append(contentsOf: u)
            out.append(0x22)
        } else {
            out.append(0x22)
            for b in u {
                out.append(b)
                if b == 0x22 { out.append(0x22) }
            }
            out.append(0x22)
        }
    }

    /// Whether a cell must be quoted (it holds `"`, `,`, CR or LF) and whether it holds `"`. Eight bytes at a time:
    /// a byte equal to one of the four is found with the exact zero-byte test on the word xor-ed with it.
    static func quoting(_ u: [UInt8]) -> (quoted: Bool, quotes: Bool) { u.withUnsafeBufferPointer(quoting) }

    static func quoting(_ p: UnsafeBufferPointer<UInt8>) -> (quoted: Bool, quotes: Bool) {
        let n = p.count
        var quoted = false
        var i = 0
        if let base = p.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080, low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            @inline(__always) func has(_ w: UInt64, _ b: UInt8) -> UInt64 {
                let x = w ^ (ones &* UInt64(b))
                return ~(((x & low7) &+ low7) | x | low7)
            }
            while i + 8 <= n {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if has(w, 0x22) & highs != 0 { return (true, true) }
                if (has(w, 0x2C) | has(w, 0x0A) | has(w, 0x0D)) & highs != 0 { quoted = true }
                i += 8
            }
        }
        while i < n {
            let b = p[i]
            if b == 0x22 { return (true, true) }
            if b == 0x2C || b == 0x0A || b == 0x0D { quoted = true }
            i += 1
        }
        return (quoted, false)
    }

    /// Appends the Python list repr of `items` (`['a', 'b']`, a quote inside an item escaped with a backslash).
    public static func appendPyList(_ items: [String], to out: inout [UInt8]) {
        out.append(0x5B)
        for (k, s) in items.enumerated() {
            if k > 0 { out.append(0x2C); out.append(0x20) }
            out.append(0x27)
            var s = s
            s.withUTF8 { u in
                if u.contains(0x27) {
                    for b in u {
                        if b == 0x27 { out.append(0x5C) }
                        out.append(b)
                    }
                } else {
                    out.append(contentsOf: u)
                }
            }
            out.append(0x27)
        }
        out.append(0x5D)
    }

    /// Appends the NumPy array repr PadChest uses for CUIs (`['C1' 'C2']`).
    public static func appendNpList(_ items: [String], to out: inout [UInt8]) {
        out.append(0x5B)
        for (k, s) in items.enumerated() {
            if k > 0 { out.append(0x20) }
            out.append(0x27)
            var s = s
            s.withUTF8 { out.append(contentsOf: $0) }
            out.append(0x27)
        }
        out.append(0x5D)
    }

    public static func escape(_ s: String) -> String {
        var out: [UInt8] = []
        appendCell(s.utf8, to: &out, first: true)
        return String(decoding: out, as: UTF8.self)
    }
    public static func row(_ cells: [String]) -> String { cells.map(escape).joined(separator: ",") }
}
