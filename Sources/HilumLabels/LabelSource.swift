public import HilumCore
public import HilumOntology
public import HilumNLP

/// What the label writers read of one report's findings, from an analyze result (`ReportSource`) or from a
/// `LabelView` (`ViewSource`). The writers are generic over it, so the two read the same rules.
protocol LabelSource {
    var findingCount: Int { get }
    var sentenceCount: Int { get }
    /// Whether finding `k` counts towards report labels (`Labeler.counts`).
    func counts(_ k: Int) -> Bool
    func assertion(_ k: Int) -> Assertion
    func value(_ k: Int) -> LabelValue
    /// 1-based, as `Finding.sentence`.
    func sentence(_ k: Int) -> Int
    /// The label indices finding `k`'s concept gives in scheme `s` (before implications).
    func labelIndices(_ k: Int, _ s: Labeler.CompiledScheme) -> [Int]
    /// The concept index of finding `k` in the labeler's ontology; nil when the finding holds none that is valid there.
    func concept(_ k: Int) -> Int?
    func locationCount(_ k: Int) -> Int
    /// The concept index of location `j` of finding `k`, as `concept`.
    func location(_ k: Int, _ j: Int) -> Int?
}

/// An analyze result, with its findings' checked concept indices (`Labeler.conceptIndices`). Holds the findings and
/// the labeler's concept ids, not the result or the labeler (a copy of either counts a reference per array it holds).
struct ReportSource: LabelSource {
    let findings: [Finding]
    let sentenceCount: Int
    let indices: [Int]
    let conceptIDs: [ConceptID]
    let origin: ObjectIdentifier

    init(_ r: AnalyzedReport, _ labeler: Labeler, indices: [Int]? = nil) {
        findings = r.findings
        sentenceCount = r.sentences.count
        conceptIDs = labeler.conceptIDs
        origin = labeler.origin
        self.indices = indices ?? labeler.conceptIndices(r)
    }

    var findingCount: Int { findings.count }
    // Fields are read in place: copying a finding costs a reference count per string and array it holds.
    @inline(__always) func counts(_ k: Int) -> Bool { Labeler.counts(findings[k].temporality, findings[k].experiencer) }
    @inline(__always) func assertion(_ k: Int) -> Assertion { findings[k].assertion }
    @inline(__always) func value(_ k: Int) -> LabelValue { LabelValue(findings[k].assertion, findings[k].certainty) }
    @inline(__always) func sentence(_ k: Int) -> Int { findings[k].sentence }
    @inline(__always) func labelIndices(_ k: Int, _ s: Labeler.CompiledScheme) -> [Int] {
        s.labelIndices(k < indices.count && indices[k] >= 0 ? indices[k] : nil, findings[k].concept)
    }
    @inline(__always) func concept(_ k: Int) -> Int? { Labeler.index(of: findings[k].concept, in: conceptIDs, origin: origin) }
    @inline(__always) func locationCount(_ k: Int) -> Int { findings[k].locations.count }
    @inline(__always) func location(_ k: Int, _ j: Int) -> Int? {
        Labeler.index(of: findings[k].locations[j].concept, in: conceptIDs, origin: origin)
    }
}

/// A `LabelView` made with the labeler's own ontology (its concept indices are the labeler's).
struct ViewSource: LabelSource {
    let v: LabelView
    let conceptIDs: [ConceptID]

    var findingCount: Int { v.findings.count }
    var sentenceCount: Int { v.sentenceCount }
    @inline(__always) func counts(_ k: Int) -> Bool { Labeler.counts(v.findings[k].temporality, v.findings[k].experiencer) }
    @inline(__always) func assertion(_ k: Int) -> Assertion { v.findings[k].assertion }
    @inline(__always) func value(_ k: Int) -> LabelValue { LabelValue(v.findings[k].assertion, v.findings[k].certainty) }
    @inline(__always) func sentence(_ k: Int) -> Int { v.findings[k].sentence }
    @inline(__always) func labelIndices(_ k: Int, _ s: Labeler.CompiledScheme) -> [Int] {
        let c = Int(v.findings[k].concept)
        if c >= 0 && c < s.byIndex.count { return s.byIndex[c] }
        return c >= 0 && c < conceptIDs.count ? s.byConcept[conceptIDs[c]] ?? [] : []
    }
    @inline(__always) func concept(_ k: Int) -> Int? {
        let c = Int(v.findings[k].concept)
        return c >= 0 && c < conceptIDs.count ? c : nil
    }
    @inline(__always) func locationCount(_ k: Int) -> Int {
        max(0, Int(v.findings[k].locationEnd) - Int(v.findings[k].locationStart))
    }
    @inline(__always) func location(_ k: Int, _ j: Int) -> Int? {
        let p = Int(v.findings[k].locationStart) + j
        guard p >= 0, p < v.locations.count else { return nil }
        let c = Int(v.locations[p])
        return c >= 0 && c < conceptIDs.count ? c : nil
    }
}
