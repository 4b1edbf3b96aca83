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

// JSON literals of the value enums: a value is written from a string literal with its quotes (one copy, no String
// to read). Raw values are the case names, plain ASCII that needs no escape.
extension Language: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .en: return "\"en\""
        case .es: return "\"es\""
        }
    }
}

extension ConceptKind: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .finding: return "\"finding\""
        case .diagnosis: return "\"diagnosis\""
        case .anatomy: return "\"anatomy\""
        case .global: return "\"global\""
        case .attribute: return "\"attribute\""
        }
    }
}

extension Assertion: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .present: return "\"present\""
        case .absent: return "\"absent\""
        case .uncertain: return "\"uncertain\""
        }
    }
}

extension Certainty: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .probable: return "\"probable\""
        case .possible: return "\"possible\""
        }
    }
}

extension Temporality: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .current: return "\"current\""
        case .historical: return "\"historical\""
        case .hypothetical: return "\"hypothetical\""
        }
    }
}

extension Experiencer: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .patient: return "\"patient\""
        case .other: return "\"other\""
        }
    }
}

extension Laterality: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .left: return "\"left\""
        case .right: return "\"right\""
        case .bilateral: return "\"bilateral\""
        }
    }
}

extension Severity: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .trace: return "\"trace\""
        case .minimal: return "\"minimal\""
        case .mild: return "\"mild\""
        case .borderline: return "\"borderline\""
        case .small: return "\"small\""
        case .moderate: return "\"moderate\""
        case .large: return "\"large\""
        case .severe: return "\"severe\""
        }
    }
}

extension Change: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .new: return "\"new\""
        case .improved: return "\"improved\""
        case .worsened: return "\"worsened\""
        case .unchanged: return "\"unchanged\""
        case .resolved: return "\"resolved\""
        case .removed: return "\"removed\""
        }
    }
}

extension SectionKind: JSONLiteralValue {
    public var jsonLiteral: StaticString {
        switch self {
        case .findings: return "\"findings\""
        case .impression: return "\"impression\""
        case .comparison: return "\"comparison\""
        case .indication: return "\"indication\""
        case .history: return "\"history\""
        case .technique: return "\"technique\""
        case .recommendation: return "\"recommendation\""
        case .report: return "\"report\""
        case .none: return "\"none\""
        }
    }
}
