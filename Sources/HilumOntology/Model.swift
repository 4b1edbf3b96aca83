public import HilumCore

/// A concept of the ontology: a finding, diagnosis, anatomical structure or global label.
public struct Concept: Sendable, Hashable, Codable {
    public var id: ConceptID
    public var kind: ConceptKind
    public var preferredEN: String
    public var preferredES: String
    /// Exact PadChest label string (locations start with `loc `), nil when not a PadChest term.
    public var padchest: String?
    public var altCUIs: [String]
    public var laterality: Laterality?
    /// Findings and diagnoses: the finding has no side (`none` in the laterality column: cardiomegaly, hiatal hernia,
    /// sternotomy), so no laterality cue, coordination or anatomy gives it one.
    public var unsided: Bool = false

    enum CodingKeys: String, CodingKey {
        case id, kind, padchest, laterality
        case preferredEN = "preferred_en", preferredES = "preferred_es", altCUIs = "alt_cuis"
    }

    public func name(_ lang: Language) -> String {
        lang == .es && !preferredES.isEmpty ? preferredES : preferredEN
    }
}

/// A synonym row of `terms/*.tsv`.
public struct Term: Sendable, Hashable, Codable {
    public var concept: ConceptID?  // nil for a blocking phrase
    public var language: Language
    public var text: String
    public var caseSensitive: Bool
    public var shared: Bool
    public var file: String
    public var line: Int
}

public enum RelationKind: String, Sendable, Codable { case isa, part_of }

public struct Relation: Sendable, Hashable, Codable {
    public var child: ConceptID
    public var rel: RelationKind
    public var parent: ConceptID
    public var source: String
}

public enum CueDirection: String, Sendable, Codable { case forward, backward, both }

/// The categories of context rules.
public enum CueCategory: Sendable, Hashable {
    case negation, uncertainty, pseudo, terminate, historical, hypothetical, normal, coordinate
    /// The findings it reaches are someone else's ("family history of", "padre con").
    case experiencer
    /// Opens a sentence that points back at the previous one ("This likely represents…", "Dicha opacidad…").
    case anaphora
    /// A preposition that makes the anatomy after it a place of the finding before it ("opacity in the left base",
    /// "opacidad en la base izquierda").
    case locative
    case change(Change)
    case laterality(Laterality)
    case severity(Severity)

    public init?(rawValue: String) {
        switch rawValue {
        case "negation": self = .negation
        case "uncertainty": self = .uncertainty
        case "pseudo": self = .pseudo
        case "terminate": self = .terminate
        case "historical": self = .historical
        case "hypothetical": self = .hypothetical
        case "normal": self = .normal
        case "coordinate": self = .coordinate
        case "anaphora": self = .anaphora
        case "locative": self = .locative
        case "experiencer": self = .experiencer
        default:
            let parts = rawValue.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            switch parts[0] {
            case "change": guard let c = Change(rawValue: parts[1]) else { return nil }; self = .change(c)
            case "laterality": guard let l = Laterality(rawValue: parts[1]) else { return nil }; self = .laterality(l)
            case "severity": guard let s = Severity(rawValue: parts[1]) else { return nil }; self = .severity(s)
            default: return nil
            }
        }
    }

    /// Written out and inlinable: the pipeline compares categories on every cue it reads, and the synthesized `==`
    /// is a call into this module each time.
    @inlinable
    public static func == (a: CueCategory, b: CueCategory) -> Bool {
        switch (a, b) {
        case (.negation, .negation), (.uncertainty, .uncertainty), (.pseudo, .pseudo), (.terminate, .terminate),
             (.historical, .historical), (.hypothetical, .hypothetical), (.normal, .normal), (.coordinate, .coordinate),
             (.experiencer, .experiencer), (.anaphora, .anaphora), (.locative, .locative):
            return true
        case (.change(let x), .change(let y)): return x == y
        case (.laterality(let x), .laterality(let y)): return x == y
        case (.severity(let x), .severity(let y)): return x == y
        default: return false
        }
    }

    public var rawValue: String {
        switch self {
        case .negation: "negation"
        case .uncertainty: "uncertainty"
        case .pseudo: "pseudo"
        case .terminate: "terminate"
        case .historical: "historical"
        case .hypothetical: "hypothetical"
        case .normal: "normal"
        case .coordinate: "coordinate"
        case .anaphora: "anaphora"
        case .locative: "locative"
        case .experiencer: "experiencer"
        case .change(let c): "change.\(c.rawValue)"
        case .laterality(let l): "laterality.\(l.rawValue)"
        case .severity(let s): "severity.\(s.rawValue)"
        }
    }

    /// Evidence category name as it appears in results (`negation`, `change`, `severity`...).
    /// Whether the cue decides a finding's assertion, time or experiencer (and so stops where a new statement opens).
    public var qualifiesAssertion: Bool {
        switch self {
        case .negation, .uncertainty, .historical, .hypothetical, .experiencer: true
        default: false
        }
    }

    public var family: String {
        switch self {
        case .change: "change"
        case .laterality: "laterality"
        case .severity: "severity"
        default: rawValue
        }
    }
}

/// A context rule of `cues/{lang}.json`.
public struct CueRule: Sendable, Hashable {
    public var id: String
    public var language: Language
    public var category: CueCategory
    public var direction: CueDirection
    public var scope: Int
    public var patterns: [String]
    public var assertion: Assertion?
    /// Uncertainty cues: how sure the hedge is (`probable` or, by default, `possible`).
    public var certainty: Certainty = .possible
    /// Coordinate rules: the joined findings are alternatives ("A or B"), so a hedge between them covers both.
    public var alternatives: Bool = false
    /// Coordinate rules: the conjunction ends a list ("A, B or C", "A, B ni C"): a negation or hedge reaches over a
    /// comma only into a list that goes on to such a conjunction (or to another negation).
    public var list: Bool = false
    /// Negation and uncertainty rules: reach over a comma only into a list that goes on to a `list` conjunction or to
    /// another negation ("sin derrame, neumotórax ni condensaciones"), not into the next statement ("sin derrame pleural,
    /// cardiomegalia moderada").
    public var commaLists: Bool = false
    /// Severity and change rules: after a comma, the modifier opens a new statement ("no pleural effusion, mild
    /// cardiomegaly"; "no acute disease, stable cardiomegaly"): a forward negation or hedge before the comma does not
    /// reach the finding it qualifies, unless the list goes on to an alternative conjunction ("or") or another negation
    /// after that finding ("no consolidation, large effusion, or pneumothorax").
    public var opensStatement: Bool = false
    /// Negation and uncertainty rules: the cue introduces a list ("differential diagnosis includes", "diagnóstico
    /// diferencial entre"), so its scope runs over the list's commas whatever modifiers its items carry.
    public var opensList: Bool = false
    /// Laterality rules: the side is implied by a region word ("basilar atelectasis": both bases), so a side stated for
    /// the same finding wins over it ("basilar atelectasis on the left": left).
    public var weakSide: Bool = false
    /// Terminate rules: the terminator sets two statements against each other ("mientras que", "whereas", "pero"): a
    /// place written before it does not reach a finding after it.
    public var contrast: Bool = false
    public var example: String
    public var target: String
    public var expect: String
}

public struct SectionRule: Sendable, Hashable {
    public var id: String
    public var language: Language
    public var kind: SectionKind
    public var header: String
}

public struct NormalityRule: Sendable, Hashable {
    public var id: String
    public var language: Language
    public var anchor: String
    public var denies: [ConceptID]
    public var example: String
}

public struct Region: Sendable, Hashable, Codable {
    public var name: String
    public var source: String
    public var concept: ConceptID
    public var laterality: Laterality?
    public var parent: String?
    public var boxed: Bool
}

/// A Chest ImaGenome attribute (`category|yes|name`).
public struct ImaGenomeAttribute: Sendable, Hashable {
    public var category: String
    public var name: String
}

/// Where a finding sits when the text names no anatomy.
public struct DefaultSite: Sendable, Hashable {
    public enum Side: String, Sendable { case any, left, right, bilateral, none }
    public var finding: ConceptID
    public var side: Side
    public var regions: [String]
    public var note: String
}

/// A finding made specific by its site (`refinements.tsv`): `finding` located at `site` (or a part of it) is `refined`.
public struct Refinement: Sendable, Hashable {
    public var finding: ConceptID
    public var site: ConceptID
    public var refined: ConceptID
    public var note: String
}

/// A label scheme (`schemes/*.json`).
public struct LabelScheme: Sendable, Hashable, Codable {
    public struct Label: Sendable, Hashable, Codable {
        public var name: String
        public var concepts: [ConceptID]
        public var exclude: [ConceptID]?
        public var implies: [String]?
        /// Whether descendants of `concepts` count (default true).
        public var descendants: Bool?
        public var note: String?
    }
    public var scheme: String
    public var description: String?
    public var labels: [Label]
    /// The "No Finding"/"normal" label, if the scheme has one.
    public var noFinding: String?
    /// Labels that do not prevent the no-finding label.
    public var noFindingIgnores: [String]?
    /// `chexpert` writes 1/0/-1/blank; `binary` writes 0/1.
    public var values: String?
    /// Every concept with a PadChest string is a label (the PadChest scheme).
    public var fromConcepts: Bool?
    /// For 0/1 schemes: what an uncertain mention becomes under the `keep` policy (`zeros` or `ones`), the
    /// convention of the dataset the scheme reproduces. Without it, `keep` writes -1.
    public var uncertainAs: String?
    /// The same for uncertain mentions whose hedge is `probable` ("probable", "likely"); without it, `uncertain_as`.
    public var probableAs: String?

    enum CodingKeys: String, CodingKey {
        case scheme, description, labels, values
        case noFinding = "no_finding", noFindingIgnores = "no_finding_ignores", fromConcepts = "from_concepts"
        case uncertainAs = "uncertain_as", probableAs = "probable_as"
    }
}
