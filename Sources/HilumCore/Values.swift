/// Half-open offsets in Unicode scalars into the original text (Python's `text[start:end]`).
/// Encodes as a two-element JSON array `[start, end]`.
public struct TextSpan: Sendable, Hashable, Codable, Comparable {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) { self.start = start; self.end = end }
    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        start = try c.decode(Int.self)
        end = try c.decode(Int.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(start)
        try c.encode(end)
    }
    public static func < (a: TextSpan, b: TextSpan) -> Bool { (a.start, a.end) < (b.start, b.end) }
}

public enum Language: String, Sendable, Codable, CaseIterable, Hashable {
    case en, es
}

/// A concept identifier: a UMLS CUI (`C0018800`) or a stable local id (`HL:exclude`).
public typealias ConceptID = String

public enum ConceptKind: String, Sendable, Codable, CaseIterable, Hashable {
    case finding, diagnosis, anatomy, global, attribute
}

/// One axis: is the finding there according to the text?
public enum Assertion: String, Sendable, Codable, CaseIterable, Hashable {
    case present, absent, uncertain
}

/// How sure an uncertain finding is, from its hedge (the `certainty` of the cue rule in `Ontology/cues/`): `probable`
/// leans towards present, `possible` does not.
public enum Certainty: String, Sendable, Codable, CaseIterable, Hashable {
    case probable, possible
}

public enum Temporality: String, Sendable, Codable, CaseIterable, Hashable {
    case current, historical, hypothetical
}

/// Whose finding it is: the patient's, or someone else's ("family history of", "padre con", "contacto con"): an
/// `experiencer` cue of `Ontology/cues/` reaching the finding makes it `other`.
public enum Experiencer: String, Sendable, Codable, CaseIterable, Hashable {
    case patient, other
}

public enum Laterality: String, Sendable, Codable, CaseIterable, Hashable {
    case left, right, bilateral
}

/// Severity and size, ordered from least to most.
public enum Severity: String, Sendable, Codable, CaseIterable, Hashable {
    case trace, minimal, mild, borderline, small, moderate, large, severe
}

/// Change with respect to a prior exam.
public enum Change: String, Sendable, Codable, CaseIterable, Hashable {
    case new, improved, worsened, unchanged, resolved, removed
}

public enum SectionKind: String, Sendable, Codable, CaseIterable, Hashable {
    case findings, impression, comparison, indication, history, technique, recommendation, report, none
}
