public import HilumCore
public import HilumOntology

/// The report pipeline: sectionizer → sentences → tokens → concept matcher → context engine →
/// attribute and anatomy linker → `AnalyzedReport`.
///
/// Total: any string yields a result. Works on UTF-8 bytes with one tokenization pass, one hash
/// lookup per token and trie walks over the compiled lexicon; no regular expressions. An `Analyzer`
/// is a value holding the shared immutable ontology; it is cheap to copy and safe to use from many
/// threads (each call allocates its own scratch state).
public struct Analyzer: Sendable {
    public let ontology: Ontology
    /// The same ontology behind one reference, which each analysis holds (a copy of the struct would retain and
    /// release every one of its tables per report).
    let box: OntologyBox
    /// Reports longer than this many bytes are analyzed up to this length, with a warning.
    public var maxBytes: Int = 16 << 20

    public init(ontology: Ontology) {
        self.ontology = ontology
        box = OntologyBox(ontology)
    }

    /// How much of the result to build.
    public enum Detail: Sendable {
        /// The whole `analyze` result.
        case full
        /// What report labels read: each finding's concept, assertion, temporality, change, laterality, severity,
        /// sentence and span, and its locations' concepts and spans. Finding and location texts are empty, and
        /// regions, evidence and sections are left out (a label CSV needs none of them).
        case labels
    }

    /// Analyzes one report. `lang` nil means detect.
    public func analyze(_ text: String, lang: Language? = nil, id: String? = nil, detail: Detail = .full) -> AnalyzedReport {
        let scratch = AnalysisScratch.take(box: box)
        scratch.doc.reset(text: text, box: box, maxBytes: maxBytes)
        let r = scratch.doc.analyze(lang: lang, id: id, full: detail == .full)
        AnalysisScratch.give(scratch)
        return r
    }

    /// Analyzes one report into `view` (its buffers are reused): what report labels read, as `analyze` with detail
    /// `.labels` would give it, without building the result. `lang` nil means detect.
    public func labelView(_ text: String, lang: Language? = nil, into view: inout LabelView) {
        let scratch = AnalysisScratch.take(box: box)
        scratch.doc.reset(text: text, box: box, maxBytes: maxBytes)
        scratch.doc.run(lang: lang)
        scratch.doc.labelView(into: &view)
        AnalysisScratch.give(scratch)
    }

    /// `labelView` for a text given as UTF-8 bytes, which must be well-formed (the label writer's JSONL reader
    /// checks them).
    package func labelView(utf8: [UInt8], lang: Language? = nil, into view: inout LabelView) {
        let scratch = AnalysisScratch.take(box: box)
        utf8.withUnsafeBufferPointer { scratch.doc.reset(utf8: $0, box: box, maxBytes: maxBytes) }
        scratch.doc.run(lang: lang)
        scratch.doc.labelView(into: &view)
        AnalysisScratch.give(scratch)
    }

    /// Analyzes raw bytes: invalid UTF-8 is replaced by U+FFFD and reported as a warning.
    public func analyze(bytes: [UInt8], lang: Language? = nil, id: String? = nil) -> AnalyzedReport {
        if let s = UTF8Bytes.string(bytes) { return analyze(s, lang: lang, id: id) }
        var r = analyze(String(decoding: bytes, as: UTF8.self), lang: lang, id: id)
        r.warnings.append(HilumError("input.invalid_utf8", "invalid UTF-8 bytes were replaced by U+FFFD; spans refer to the repaired text"))
        return r
    }

    /// ConText on phrases the caller names, whether or not they are in the ontology.
    public func assert(_ text: String, targets: [String], lang: Language? = nil) -> (Language, [TargetAssertion]) {
        let scratch = AnalysisScratch.take(box: box)
        scratch.doc.reset(text: text, box: box, maxBytes: maxBytes)
        let r = scratch.doc.assert(lang: lang, targets: targets)
        AnalysisScratch.give(scratch)
        return r
    }

    /// Detects the language of a text from its marker words.
    public func detectLanguage(_ text: String) -> Language {
        var doc = Document(box: box)
        doc.reset(text: text, box: box, maxBytes: maxBytes)
        doc.prepare()
        return doc.detect()
    }
}

/// An immutable ontology behind a reference.
final class OntologyBox: Sendable {
    let ontology: Ontology
    /// The JSON pieces of the ontology (every report's findings hold them), made by the first analyzer of the ontology
    /// and kept with its tables: making another analyzer stays cheap (a caller, or a fuzzer, may make one per report),
    /// and a report reads them here, not through the tables' lock.
    let jsonPieces: JSONPieces

    init(_ o: Ontology) {
        ontology = o
        jsonPieces = o.lexicon.tables.derived.get { JSONPieces(o) }
    }
}

/// Parts of the analyze result written once per ontology: each concept's JSON by language, and the evidence head
/// of each cue rule and normality rule.
final class JSONPieces: Sendable {
    /// By language (`Language.allCases` order), then concept index, in one array (`perLanguage` concepts each).
    let concepts: [ConceptJSON]
    let perLanguage: Int
    let cues: [RuleJSON]
    let normality: [RuleJSON]
    /// The regions of each anatomical concept's sites (`AnalysisTables.sites`) as JSON: all, left, right per concept.
    let siteRegions: [RegionsJSON]
    /// Each concept's default regions (`AnalysisTables.defaultRegions`) as JSON: no side, left, right, bilateral.
    let defaultRegions: [RegionsJSON?]

    init(_ o: Ontology) {
        let tb = o.lexicon.tables
        perLanguage = tb.conceptIDs.count
        concepts = Language.allCases.flatMap { lang in
            tb.conceptIDs.indices.map { k in
                ConceptJSON(cui: tb.conceptIDs[k], name: tb.name(Int32(k), lang), kind: tb.kinds[k],
                            padchest: k < tb.padchest.count ? tb.padchest[k] : nil, origin: ObjectIdentifier(tb), index: Int32(k))
            }
        }
        cues = o.cues.indices.map { r in
            RuleJSON(rule: o.cues[r].id, category: r < tb.cues.count ? tb.cues[r].category.family : "")
        }
        normality = o.normality.map { RuleJSON(rule: $0.id, category: "normality") }
        siteRegions = tb.sites.flatMap { [RegionsJSON($0.all), RegionsJSON($0.left), RegionsJSON($0.right)] }
        defaultRegions = tb.conceptIDs.indices.flatMap { k in
            JSONPieces.sides.map { side in tb.defaultRegions(Int32(k), side).map(RegionsJSON.init) }
        }
    }

    /// The sides in `AnalysisTables.sideSlot` order.
    static let sides: [Laterality?] = [nil, .left, .right, .bilateral]

    /// `AnalysisTables.sites[c].on(side)` as JSON.
    @inline(__always) func siteRegions(_ c: Int, _ side: Laterality?) -> RegionsJSON? {
        let k = 3 * c + (side == .left ? 1 : side == .right ? 2 : 0)
        return c >= 0 && k < siteRegions.count ? siteRegions[k] : nil
    }

    /// `AnalysisTables.defaultRegions(c, side)` as JSON.
    @inline(__always) func defaultRegions(_ c: Int32, _ side: Laterality?) -> RegionsJSON? {
        let k = 4 * Int(c) + AnalysisTables.sideSlot(side)
        return c >= 0 && k < defaultRegions.count ? defaultRegions[k] : nil
    }

    /// The JSON of concept `i` in `lang`, nil when `i` is not a concept of the ontology.
    @inline(__always) func concept(_ i: Int32, _ lang: Language) -> ConceptJSON? {
        let k = Int(i), at = (lang == .en ? 0 : perLanguage) + k
        return k >= 0 && k < perLanguage && at < concepts.count ? concepts[at] : nil
    }
}
