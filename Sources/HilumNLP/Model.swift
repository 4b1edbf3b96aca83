public import HilumCore

/// The concept a finding or location names, as it appears in results.
///
/// The concept's fields live in one object shared by every reference to the concept in an ontology (with their JSON,
/// written once): a copy of a reference counts one reference, not one per string. Setting a field gives the value an
/// object of its own.
public struct ConceptRef: Sendable, Hashable {
    /// The concept's fields and JSON.
    @usableFromInline package var storage: ConceptJSON
    /// Dense index of the concept in the analyzing ontology (`AnalysisTables.conceptIDs`), -1 if none.
    public var index: Int32 = -1

    public var cui: ConceptID {
        get { storage.cui }
        set { storage = storage.with(cui: newValue) }
    }
    public var name: String {
        get { storage.name }
        set { storage = storage.with(name: newValue) }
    }
    public var kind: ConceptKind {
        get { storage.kind }
        set { storage = storage.with(kind: newValue) }
    }
    public var padchest: String? {
        get { storage.padchest }
        set { storage = storage.with(padchest: .some(newValue)) }
    }

    public init(cui: ConceptID, name: String, kind: ConceptKind, padchest: String?, index: Int32 = -1) {
        storage = ConceptJSON(cui: cui, name: name, kind: kind, padchest: padchest)
        self.index = index
    }

    package init(_ storage: ConceptJSON, index: Int32) {
        self.storage = storage
        self.index = index
    }

    /// Whether this is concept `index` of the analysis tables `origin` identifies, made by them (see `ConceptJSON.origin`).
    @inlinable package func isConcept(of origin: ObjectIdentifier) -> Bool {
        storage.origin == origin && storage.originIndex == index
    }

    public static func == (a: ConceptRef, b: ConceptRef) -> Bool {
        a.cui == b.cui && a.name == b.name && a.kind == b.kind && a.padchest == b.padchest && a.index == b.index
    }
    public func hash(into h: inout Hasher) {
        h.combine(cui); h.combine(name); h.combine(kind); h.combine(padchest); h.combine(index)
    }
}

/// An anatomical mention bound to a finding (its concept's fields held by a `ConceptRef`, shared as that one's).
public struct LocationRef: Sendable, Hashable {
    /// The anatomical concept (fields, JSON and index).
    package var concept: ConceptRef
    public var text: String
    public var span: TextSpan
    public var laterality: Laterality?

    public var cui: ConceptID { get { concept.cui } set { concept.cui = newValue } }
    public var name: String { get { concept.name } set { concept.name = newValue } }
    public var padchest: String? { get { concept.padchest } set { concept.padchest = newValue } }
    /// Dense index of the anatomical concept in the analyzing ontology (`AnalysisTables.conceptIDs`), -1 if none.
    public var index: Int32 { get { concept.index } set { concept.index = newValue } }

    public init(cui: ConceptID, name: String, padchest: String?, text: String, span: TextSpan, laterality: Laterality?,
                index: Int32 = -1) {
        concept = ConceptRef(cui: cui, name: name, kind: .anatomy, padchest: padchest, index: index)
        self.text = text; self.span = span; self.laterality = laterality
    }

    package init(_ concept: ConceptRef, text: String, span: TextSpan, laterality: Laterality?) {
        self.concept = concept
        self.text = text; self.span = span; self.laterality = laterality
    }

    public static func == (a: LocationRef, b: LocationRef) -> Bool {
        a.cui == b.cui && a.name == b.name && a.padchest == b.padchest && a.text == b.text && a.span == b.span
            && a.laterality == b.laterality && a.index == b.index
    }
    public func hash(into h: inout Hasher) {
        h.combine(cui); h.combine(name); h.combine(padchest); h.combine(text); h.combine(span); h.combine(laterality); h.combine(index)
    }
}

/// A concept's parts of the analyze result, written once per ontology and language: the `concept` object of a
/// finding and the opening of a location object. It also holds those fields for every `ConceptRef` and `LocationRef`
/// of the concept: a field a caller sets gets an object (and JSON) of its own.
@usableFromInline package final class ConceptJSON: Sendable {
    let cui: String
    let name: String
    let kind: ConceptKind
    let padchest: String?
    /// `{"cui":…,"name":…,"kind":…,"padchest":…}`
    let object: [UInt8]
    /// `{"cui":…,"name":…,"padchest":…` (a location goes on with its text and span).
    let locationHead: [UInt8]
    /// The analysis tables and concept index this object was made for (`JSONPieces`); nil for any other (an edited
    /// field, a reference made by a caller). A reference holding it is that concept of those tables: readers check
    /// this instead of comparing CUI strings.
    @usableFromInline package let origin: ObjectIdentifier?
    @usableFromInline package let originIndex: Int32

    package init(cui: String, name: String, kind: ConceptKind, padchest: String?, origin: ObjectIdentifier? = nil, index: Int32 = -1) {
        self.cui = cui; self.name = name; self.kind = kind; self.padchest = padchest
        self.origin = origin; originIndex = origin == nil ? -1 : index
        var w = JSONWriter()
        Finding.writeConcept(&w, cui: cui, name: name, kind: kind, padchest: padchest)
        object = w.bytes
        var l = JSONWriter()
        Finding.writeLocationHead(&l, cui: cui, name: name, padchest: padchest)
        locationHead = l.bytes
    }

    /// The same fields with those given replaced (a result's field set by a caller gets an object of its own).
    func with(cui: String? = nil, name: String? = nil, kind: ConceptKind? = nil, padchest: String?? = nil) -> ConceptJSON {
        ConceptJSON(cui: cui ?? self.cui, name: name ?? self.name, kind: kind ?? self.kind, padchest: padchest ?? self.padchest)
    }

}

/// A finding's `regions` as JSON (`["left lung","right lung"]`), written once per list of regions the ontology holds
/// (as `ConceptJSON`, used only for the list it was written from).
package final class RegionsJSON: Sendable {
    let regions: [String]
    let json: [UInt8]

    init(_ regions: [String]) {
        self.regions = regions
        var w = JSONWriter()
        w.stringArray(regions)
        json = w.bytes
    }
}

/// A finding's `labels` and their JSON object, written once per concept by the labeler (as `ConceptJSON`: an edit of a
/// finding's labels gives it an object of its own).
package final class LabelsJSON: Sendable {
    package let labels: [(String, [String])]
    /// `{"chexpert":[…],…}`
    let object: [UInt8]

    package init(_ labels: [(String, [String])]) {
        self.labels = labels
        var w = JSONWriter()
        Finding.writeLabels(&w, labels)
        object = w.bytes
    }

}

/// One rule that decided something about a finding, with the span of text it matched. The rule's id and category
/// live in one object shared by every evidence of the rule (with their JSON), as `ConceptRef`'s fields.
public struct Evidence: Sendable, Hashable {
    /// The rule's id, category and JSON.
    package var storage: RuleJSON
    public var span: TextSpan

    public var rule: String {
        get { storage.rule }
        set { storage = RuleJSON(rule: newValue, category: storage.category) }
    }
    public var category: String {
        get { storage.category }
        set { storage = RuleJSON(rule: storage.rule, category: newValue) }
    }

    public init(rule: String, category: String, span: TextSpan) {
        storage = RuleJSON(rule: rule, category: category)
        self.span = span
    }
    init(_ storage: RuleJSON, span: TextSpan) {
        self.storage = storage
        self.span = span
    }
    public static func == (a: Evidence, b: Evidence) -> Bool { a.rule == b.rule && a.category == b.category && a.span == b.span }
    public func hash(into h: inout Hasher) { h.combine(rule); h.combine(category); h.combine(span) }
}

/// Label values written once per scheme, each as its JSON member (`"Cardiomegaly":1`, `"nodule":"present"`): a
/// report's values are picks from this table (as `ConceptJSON`, used only for the values it was written from).
package final class LabelValuePieces: Sendable {
    let names: [String]
    let values: [JSONValue]
    /// Member `i` as JSON.
    let members: BytePieces

    package init(_ entries: [(String, JSONValue)]) {
        names = entries.map(\.0)
        values = entries.map(\.1)
        members = BytePieces(entries.map { k, v in
            var w = JSONWriter()
            w.key(k); w.value(v)
            return w.bytes
        })
    }

    package var count: Int { names.count }

    /// Writes the members `picks` choose, comma separated; false (nothing written) when a pick is out of range.
    func write(_ picks: [Int32], to w: inout JSONWriter) -> Bool { members.write(commaSeparated: picks, to: &w) }
}

/// An evidence object up to its span, `{"rule":…,"category":…,"span":`, written once per rule (as `ConceptJSON`).
package final class RuleJSON: Sendable {
    let rule: String
    let category: String
    let head: [UInt8]

    init(rule: String, category: String) {
        self.rule = rule; self.category = category
        var w = JSONWriter()
        Evidence.writeHead(&w, rule: rule, category: category)
        head = w.bytes
    }
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
    /// `regions` as JSON, when they are a list the ontology holds.
    package var regionsJSON: RegionsJSON? = nil
    /// Labels of each scheme this finding contributes to (filled by HilumLabels). Held with their JSON in one object
    /// (`LabelsJSON`), shared by every finding of the concept when the labeler made it; set here, they get one of
    /// their own.
    public var labels: [(String, [String])] {
        get { labelsJSON?.labels ?? [] }
        set { labelsJSON = newValue.isEmpty ? nil : LabelsJSON(newValue) }
    }
    /// `labels` with their JSON (nil: none).
    package var labelsJSON: LabelsJSON? = nil
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
    /// The values as the labeler made them: picks from its table of written members (nil: `explicit` holds them,
    /// e.g. after an edit).
    package var pieces: LabelValuePieces?
    package var picks: [Int32] = []
    private var explicit: [(String, JSONValue)] = []

    public var values: [(String, JSONValue)] {
        get {
            guard let pieces else { return explicit }
            return picks.map { k in
                let i = Int(k)
                return i >= 0 && i < pieces.count ? (pieces.names[i], pieces.values[i]) : ("", .null)
            }
        }
        set { explicit = newValue; pieces = nil; picks = [] }
    }

    public init(scheme: String, values: [(String, JSONValue)]) { self.scheme = scheme; self.explicit = values }
    package init(scheme: String, pieces: LabelValuePieces, picks: [Int32]) {
        self.scheme = scheme; self.pieces = pieces; self.picks = picks
    }
    public static func == (a: SchemeLabels, b: SchemeLabels) -> Bool {
        if a.scheme != b.scheme { return false }
        if let pa = a.pieces, let pb = b.pieces, pa === pb { return a.picks == b.picks }
        let va = a.values, vb = b.values
        return va.count == vb.count && zip(va, vb).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
    public func hash(into h: inout Hasher) { h.combine(scheme) }

    /// The `{…}` object of the values.
    package func writeJSON(to w: inout JSONWriter) {
        w.raw("{")
        if let pieces, pieces.write(picks, to: &w) { w.raw("}"); return }
        let v = values
        for j in v.indices {
            if j > 0 { w.comma() }
            w.key(v[j].0)
            w.value(v[j].1)
        }
        w.raw("}")
    }
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
