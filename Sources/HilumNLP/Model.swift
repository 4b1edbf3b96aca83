public import HilumCore

/// The concept a finding or location names, as it appears in results.
public struct ConceptRef: Sendable, Hashable {
    public var cui: ConceptID
    public var name: String
    public var kind: ConceptKind
    public var padchest: String?
    /// Dense index of the concept in the analyzing ontology (`AnalysisTables.conceptIDs`), -1 if none.
    public var index: Int32 = -1
}

/// An anatomical mention bound to a finding.
public struct LocationRef: Sendable, Hashable {
    public var cui: ConceptID
    public var name: String
    public var padchest: String?
    public var text: String
    public var span: TextSpan
    public var laterality: Laterality?
    /// Dense index of the anatomical concept in the analyzing ontology (`AnalysisTables.conceptIDs`), -1 if none.
    public var index: Int32 = -1
}

/// One rule that decided something about a finding, with the span of text it matched.
public struct Evidence: Sendable, Hashable {
    public var rule: String
    public var category: String
    public var span: TextSpan
}

public struct Section: Sendable, Hashable {
    public var kind: SectionKind
    public var span: TextSpan
    public var headerSpan: TextSpan?
    public var rule: String?
}

/// A finding or diagnosis mentioned in a report, with everything the text says about it.
public struct Finding: Sendable, Hashable {
    public var id: String
    public var concept: ConceptRef
    public var text: String
    public var span: TextSpan
    public var section: SectionKind
    public var sentence: Int
    public var assertion: Assertion
    /// For an uncertain finding, how sure its hedge is (`probable` / `possible`); nil otherwise.
    public var certainty: Certainty?
    public var temporality: Temporality
    /// Whose finding it is: `other` when an `experiencer` cue reaches it ("family history of", "padre con").
    public var experiencer: Experiencer = .patient
    public var change: Change?
    public var laterality: Laterality?
    public var severity: Severity?
    public var locations: [LocationRef]
    public var regions: [String]
    /// How `regions` were chosen: `anatomy` (named in the text), `default` (documented default site), or nil.
    public var regionBasis: String?
    /// Labels of each scheme this finding contributes to (filled by HilumLabels).
    public var labels: [(String, [String])] = []
    public var evidence: [Evidence]

    public static func == (a: Finding, b: Finding) -> Bool {
        a.id == b.id && a.concept == b.concept && a.span == b.span && a.assertion == b.assertion && a.certainty == b.certainty
            && a.temporality == b.temporality && a.experiencer == b.experiencer && a.change == b.change && a.laterality == b.laterality
            && a.severity == b.severity && a.locations == b.locations && a.regions == b.regions && a.evidence == b.evidence
            && a.labels.map(\.0) == b.labels.map(\.0) && a.labels.map(\.1) == b.labels.map(\.1)
    }
    public func hash(into h: inout Hasher) { h.combine(id); h.combine(span); h.combine(concept) }
}

/// A scheme's report-level label values, in the scheme's label order.
public struct SchemeLabels: Sendable, Hashable {
    public var scheme: String
    public var values: [(String, JSONValue)]
    public init(scheme: String, values: [(String, JSONValue)]) { self.scheme = scheme; self.values = values }
    public static func == (a: SchemeLabels, b: SchemeLabels) -> Bool {
        a.scheme == b.scheme && a.values.count == b.values.count && zip(a.values, b.values).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
    public func hash(into h: inout Hasher) { h.combine(scheme) }
}

/// The `analyze` result (DESIGN §4).
public struct AnalyzedReport: Sendable, Hashable {
    public var reportID: String?
    public var language: Language
    public var ontologyVersion: String
    public var sections: [Section]
    public var sentences: [TextSpan]
    public var findings: [Finding]
    public var labels: [SchemeLabels] = []
    /// Non-fatal problems with the input (e.g. `input.invalid_utf8` when bytes were replaced).
    public var warnings: [HilumError] = []
    /// Length of the text in Unicode scalars.
    public var textLength: Int
}

/// The `assert` result for one target phrase.
public struct TargetAssertion: Sendable, Hashable {
    public var target: String
    public var span: TextSpan?
    public var assertion: Assertion
    /// For an uncertain target, how sure its hedge is; nil otherwise.
    public var certainty: Certainty?
    public var temporality: Temporality
    public var experiencer: Experiencer = .patient
    public var change: Change?
    public var laterality: Laterality?
    public var severity: Severity?
    public var evidence: [Evidence]

    /// The values decided for the target (assertion, temporality, experiencer, then change, laterality and severity
    /// when set): what a cue rule's `expect` is checked against.
    public var contextValues: [String] {
        [assertion.rawValue, temporality.rawValue, experiencer.rawValue, change?.rawValue, laterality?.rawValue, severity?.rawValue].compactMap { $0 }
    }
}
