public import HilumCore

/// What report labels read of an analysis, without a string: each finding's concept (an index of the analyzing
/// ontology's `AnalysisTables.conceptIDs`), assertion, context and sentence, and the concepts of its locations.
/// Findings are in the order of `AnalyzedReport.findings`, with the same values. The label CSV writer fills one per
/// report (`Analyzer.labelView`), reusing its buffers, where an `AnalyzedReport` would build and free a finding
/// value with its arrays and strings.
public struct LabelView: Sendable {
    public struct Item: Sendable, Equatable {
        /// Concept index of the analyzing ontology.
        public var concept: Int32
        public var assertion: Assertion
        /// As `Finding.certainty`: the hedge's certainty for an uncertain finding (`possible` when none), nil otherwise.
        public var certainty: Certainty?
        public var temporality: Temporality
        public var experiencer: Experiencer
        /// 1-based, as `Finding.sentence`.
        public var sentence: Int
        /// Its locations: `locations[locationStart..<locationEnd]`.
        public var locationStart: Int32
        public var locationEnd: Int32
    }

    public var findings: [Item] = []
    /// Concept indices of the findings' locations, one finding's after another.
    public var locations: [Int32] = []
    /// Number of sentences (`AnalyzedReport.sentences.count`).
    public var sentenceCount = 0
    public var language: Language = .en

    public init() {}

    /// The location concept indices of finding `k` (none for an index that is not a finding's).
    @inline(__always)
    public func locations(of k: Int) -> ArraySlice<Int32> {
        guard k >= 0, k < findings.count else { return locations[0..<0] }
        let f = findings[k]
        let a = max(0, min(Int(f.locationStart), locations.count)), b = max(a, min(Int(f.locationEnd), locations.count))
        return locations[a..<b]
    }
}
