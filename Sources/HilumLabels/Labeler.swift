public import HilumCore
public import HilumOntology
public import HilumNLP

/// What to do with uncertain mentions.
public enum UncertainPolicy: String, Sendable, CaseIterable {
    /// CheXpert -1 / PadChest "uncertain" / ChestX-ray14 -1.
    case keep
    case ones
    case zeros
}

/// The value of one label for one report.
/// Precedence across mentions: present > probable > uncertain > absent.
public enum LabelValue: Int, Sendable, Comparable {
    /// `uncertain` with a `possible` hedge; `probable`: uncertain with a `probable` hedge ("probable", "likely").
    case absent = 0, uncertain = 1, probable = 2, present = 3
    public static func < (a: LabelValue, b: LabelValue) -> Bool { a.rawValue < b.rawValue }
    init(_ a: Assertion, _ c: Certainty? = nil) {
        switch a {
        case .present: self = .present
        case .uncertain: self = c == .probable ? .probable : .uncertain
        case .absent: self = .absent
        }
    }
}

/// Applies the label schemes of the ontology to analyzed reports: hierarchy roll-up (a label matches
/// its concepts and their descendants), precedence across mentions (present > uncertain > absent),
/// implications between labels, the no-finding rule and the uncertainty policy.
/// Only current mentions count: historical and hypothetical ones (history, "rule out") do not.
public struct Labeler: Sendable {
    public let ontology: Ontology
    public let schemes: [CompiledScheme]
    /// The PadChest label of each concept index (nil when it has none or is not a finding, diagnosis or global).
    let padchestByIndex: [String?]
    /// PadChest's label for "nothing found" (`no_finding` of `schemes/padchest.json`); nil when the scheme names none.
    public let padchestNoFinding: String?
    /// `[<no finding>]` as a Python list literal: the sentence cell of a sentence without terms.
    let padchestNoFindingList: [UInt8]
    let conceptIDs: [ConceptID]
    /// The analysis tables the ontology's concept indices belong to (`ConceptJSON.origin`).
    let origin: ObjectIdentifier
    /// PadChest localizations of an anatomical concept that has no PadChest string of its own ("base derecha":
    /// the right lower lung zone): those of its parents that have one (`loc basal`), and its side (`loc right`)
    /// when none of those names it. Each with its CUI (empty for the ontology's own HL: ids).
    let derivedLocations: [ConceptID: [(label: String, cui: String)]]
    /// The PadChest cells' strings by concept index, interned, for the CSV writer.
    let padchestCells: PadchestCellTables
    /// A finding's `labels` (each scheme's labels its concept contributes to) with their JSON, by concept index:
    /// built once, shared by every finding of the concept.
    let findingLabelsJSON: [LabelsJSON]
    /// Each PadChest label with each value ("present", "uncertain", "absent") as its JSON member: term `t` with
    /// value slot `Labeler.padchestSlot` is member `3 * t + slot`.
    let padchestPieces: LabelValuePieces
    /// The PadChest term (index into `padchestPieces`, by threes) of each concept index in `padchestByIndex`; -1 none.
    let padchestTermByIndex: [Int32]
    /// The term of `padchestNoFinding` (-1 when the scheme names none).
    let padchestNoFindingTerm: Int32

    /// The concept's dense index when it is valid for this labeler's ontology (a finding analyzed with another
    /// ontology, or read back from JSON, is looked up by CUI).
    @inline(__always)
    func index(of c: ConceptRef) -> Int? { Labeler.index(of: c, in: conceptIDs, origin: origin) }

    /// The concept's dense index in `ids` (a labeler's `conceptIDs`, of the tables `origin` identifies): read from a
    /// reference those tables made without comparing strings, checked by CUI otherwise.
    @inline(__always)
    static func index(of c: ConceptRef, in ids: [ConceptID], origin: ObjectIdentifier) -> Int? {
        let k = Int(c.index)
        if c.isConcept(of: origin) { return k >= 0 && k < ids.count ? k : nil }
        return checked(c.index, c.cui, in: ids)
    }

    /// Index `i` when it is the index of concept `cui` in `ids` (a labeler's `conceptIDs`).
    @inline(__always)
    static func checked(_ i: Int32, _ cui: ConceptID, in ids: [ConceptID]) -> Int? {
        let k = Int(i)
        return k >= 0 && k < ids.count && ids[k] == cui ? k : nil
    }

    /// One scheme compiled for labelling. A class: labelling reads it for every report and finding, and a copy
    /// of a struct of tables costs a reference count per table.
    public final class CompiledScheme: Sendable {
        public let name: String
        public let labels: [String]
        public let values: String
        /// `zeros` / `ones`: the scheme's reading of uncertain under the `keep` policy (nil: -1).
        public let uncertainAs: String?
        /// The same for uncertain mentions with a `probable` hedge (nil: as `uncertainAs`).
        public let probableAs: String?
        public let noFinding: Int?
        public let noFindingIgnores: Set<Int>
        /// Label indices per concept.
        let byConcept: [ConceptID: [Int]]
        /// Implied label indices per label.
        let implies: [[Int]]
        /// Names of the labels (with implications, in scheme order) each concept contributes to.
        let namesByConcept: [ConceptID: [String]]
        public let fromConcepts: Bool
        /// `byConcept` and `namesByConcept` by dense concept index (`AnalysisTables`).
        let byIndex: [[Int]]
        let namesByIndex: [[String]]
        /// Each label with each value (1, 0, -1, blank) as its JSON member, for the analyze result: label `i` with
        /// value slot `Labeler.codeSlot(x)` is member `4 * i + slot`.
        let pieces: LabelValuePieces
        /// `values` is `chexpert` (1 / 0 / -1 / blank), and `uncertainAs` and `probableAs` as policies: read once
        /// here, not per report.
        let isChexpert: Bool
        let uncertainPolicy: UncertainPolicy?
        let probablePolicy: UncertainPolicy?

        init(name: String, labels: [String], values: String, uncertainAs: String?, probableAs: String?, noFinding: Int?, noFindingIgnores: Set<Int>,
             byConcept: [ConceptID: [Int]], implies: [[Int]], fromConcepts: Bool, conceptIDs: [ConceptID]) {
            self.name = name
            self.labels = labels
            self.values = values
            self.uncertainAs = uncertainAs
            self.probableAs = probableAs
            self.noFinding = noFinding
            self.noFindingIgnores = noFindingIgnores
            self.byConcept = byConcept
            self.implies = implies
            self.fromConcepts = fromConcepts
            var names: [ConceptID: [String]] = [:]
            if !fromConcepts {
                for c in byConcept.keys { names[c] = Labeler.closure(byConcept[c] ?? [], implies).sorted().map { labels[$0] } }
            }
            namesByConcept = names
            byIndex = fromConcepts ? [] : conceptIDs.map { byConcept[$0] ?? [] }
            namesByIndex = fromConcepts ? [] : conceptIDs.map { names[$0] ?? [] }
            pieces = LabelValuePieces(labels.flatMap { n in
                [(n, JSONValue.number(1)), (n, .number(0)), (n, .number(-1)), (n, .null)]
            })
            isChexpert = values == "chexpert"
            uncertainPolicy = uncertainAs.flatMap(UncertainPolicy.init(rawValue:))
            probablePolicy = probableAs.flatMap(UncertainPolicy.init(rawValue:))
        }

        /// `k`: the concept's checked index (`Labeler.index(of:)`), nil to look it up by CUI.
        @inline(__always)
        func labelIndices(_ k: Int?, _ c: ConceptRef) -> [Int] {
            if let k, k < byIndex.count { return byIndex[k] }
            return byConcept[c.cui] ?? []
        }

        @inline(__always)
        func labelNames(_ k: Int?, _ c: ConceptRef) -> [String] {
            if let k, k < namesByIndex.count { return namesByIndex[k] }
            return namesByConcept[c.cui] ?? []
        }
    }

    public init(ontology: Ontology) {
        self.ontology = ontology
        let tb = ontology.lexicon.tables
        var out: [CompiledScheme] = []
        for name in ontology.schemes.keys.sorted(by: Labeler.schemeOrder) {
            guard let s = ontology.schemes[name] else { continue }
            let names = s.labels.map(\.name)
            var byConcept: [ConceptID: [Int]] = [:]
            for (i, l) in s.labels.enumerated() {
                var set = Set<ConceptID>()
                for c in l.concepts { set.formUnion(l.descendants == false ? [c] : ontology.descendants(of: c)) }
                for x in l.exclude ?? [] { set.subtract(ontology.descendants(of: x)) }
                for c in set { byConcept[c, default: []].append(i) }
            }
            let implies = s.labels.map { l in (l.implies ?? []).compactMap { names.firstIndex(of: $0) } }
            let nf = s.noFinding.flatMap { names.firstIndex(of: $0) }
            let ign = Set((s.noFindingIgnores ?? []).compactMap { names.firstIndex(of: $0) })
            out.append(CompiledScheme(name: name, labels: names, values: s.values ?? "binary", uncertainAs: s.uncertainAs, probableAs: s.probableAs, noFinding: nf,
                                      noFindingIgnores: ign, byConcept: byConcept, implies: implies,
                                      fromConcepts: s.fromConcepts ?? false, conceptIDs: tb.conceptIDs))
        }
        schemes = out
        // PadChest labels by concept index: findings, diagnoses and globals with a PadChest string.
        conceptIDs = tb.conceptIDs
        origin = ObjectIdentifier(tb)
        padchestByIndex = tb.conceptIDs.indices.map { k in
            tb.kinds[k] == .finding || tb.kinds[k] == .diagnosis || tb.kinds[k] == .global ? tb.padchest[k] : nil
        }
        padchestNoFinding = ontology.schemes["padchest"]?.noFinding
        var list: [UInt8] = []
        CSV.appendPyList(padchestNoFinding.map { [$0] } ?? [], to: &list)
        padchestNoFindingList = list
        derivedLocations = Labeler.deriveLocations(ontology)
        padchestCells = PadchestCellTables(tables: tb, derived: derivedLocations, noFinding: padchestNoFinding)
        findingLabelsJSON = tb.conceptIDs.indices.map { k in
            LabelsJSON(out.map { s -> (String, [String]) in
                if s.fromConcepts { return (s.name, (k < tb.padchest.count ? tb.padchest[k] : nil).map { [$0] } ?? []) }
                return (s.name, k < s.namesByIndex.count ? s.namesByIndex[k] : [])
            })
        }
        var termOf: [String: Int32] = [:]
        var terms: [String] = []
        func term(_ p: String) -> Int32 {
            if let t = termOf[p] { return t }
            let t = Int32(terms.count)
            terms.append(p); termOf[p] = t
            return t
        }
        padchestTermByIndex = padchestByIndex.map { $0.map(term) ?? -1 }
        padchestNoFindingTerm = padchestNoFinding.map(term) ?? -1
        padchestPieces = LabelValuePieces(terms.flatMap { p in
            [(p, JSONValue.string("present")), (p, .string("uncertain")), (p, .string("absent"))]
        })
    }

    /// The member slot of a code in a scheme's `pieces`: 1, 0, -1, blank; nil for any other code.
    @inline(__always)
    static func codeSlot(_ x: Int8) -> Int32? {
        switch x {
        case 1: return 0
        case 0: return 1
        case -1: return 2
        case blank: return 3
        default: return nil
        }
    }

    /// The member slot of a PadChest value in `padchestPieces`, after the policy (as `padchestString`).
    @inline(__always)
    static func padchestSlot(_ v: LabelValue, _ policy: UncertainPolicy) -> Int32 {
        switch padchestString(v, policy) {
        case "present": return 0
        case "uncertain": return 1
        default: return 2
        }
    }

    /// `padchestValues(r)` (no roll-up) as picks from `padchestPieces`; nil when a counted finding's concept is not
    /// one of this labeler's ontology (then the values are made by `padchestValues`).
    func padchestPicks(_ r: AnalyzedReport, policy: UncertainPolicy) -> [Int32]? {
        var out: [(Int32, LabelValue)] = []
        out.reserveCapacity(r.findings.count + 1)
        for k in r.findings.indices where Labeler.counts(r.findings[k].temporality, r.findings[k].experiencer) {
            let val = LabelValue(r.findings[k].assertion, r.findings[k].certainty)
            guard let i = index(of: r.findings[k].concept), i < padchestTermByIndex.count else { return nil }
            let t = padchestTermByIndex[i]
            if t >= 0 { Labeler.addPadchest(t, val, to: &out) }
        }
        if padchestNoFindingTerm >= 0 { Labeler.applyNoFinding(padchestNoFindingTerm, to: &out) }
        return out.map { 3 * $0.0 + Labeler.padchestSlot($0.1, policy) }
    }

    static func deriveLocations(_ o: Ontology) -> [ConceptID: [(label: String, cui: String)]] {
        func cuiCell(_ id: ConceptID) -> String { id.hasPrefix("HL:") ? "" : id }
        // The side-only locations of `side-locations.tsv` ("left", "derecho"), one per side.
        var side: [Laterality: (label: String, cui: String)] = [:]
        for id in o.conceptOrder where o.sideOnlyLocations.contains(id) {
            guard let c = o.concepts[id], let p = c.padchest, let l = c.laterality, side[l] == nil else { continue }
            side[l] = (p, cuiCell(id))
        }
        var out: [ConceptID: [(label: String, cui: String)]] = [:]
        for id in o.conceptOrder {
            guard let c = o.concepts[id], c.kind == .anatomy, c.padchest == nil else { continue }
            // Direct parents only: further up are whole organs and sides ("right lung" is part of the right
            // hemithorax), which PadChest does not write for a zone.
            var found: [(label: String, cui: String)] = []
            var sided = false
            for a in o.parents[id] ?? [] {
                guard let ac = o.concepts[a], let p = ac.padchest else { continue }
                if !found.contains(where: { $0.label == p }) { found.append((p, cuiCell(a))) }
                if ac.laterality != nil { sided = true }
            }
            if !sided, let l = c.laterality, let s = side[l] { found.append((s.label, s.cui)) }
            if !found.isEmpty { out[id] = found }
        }
        return out
    }

    static func schemeOrder(_ a: String, _ b: String) -> Bool {
        let order = ["chexpert": 0, "chestxray14": 1, "padchest": 2]
        return (order[a] ?? 9, a) < (order[b] ?? 9, b)
    }

    public func scheme(_ name: String) -> CompiledScheme? { schemes.first { $0.name == name } }

    /// Labels (with implications) a concept contributes to in a scheme.
    public func labels(of concept: ConceptID, in s: CompiledScheme) -> [Int] { Labeler.closure(s.byConcept[concept] ?? [], s.implies) }

    /// Label indices with their implications (transitively).
    static func closure(_ direct: [Int], _ implies: [[Int]]) -> [Int] {
        var out = direct
        var k = 0
        while k < out.count {
            if out[k] < implies.count { for j in implies[out[k]] where !out.contains(j) { out.append(j) } }
            k += 1
        }
        return out
    }

    /// Whether a finding counts towards report labels: a current finding of the patient (not a prior one, not a
    /// requested or hypothetical one, not a family member's or a contact's).
    public static func counts(_ f: Finding) -> Bool { counts(f.temporality, f.experiencer) }

    /// The same rule on the two fields (read in place, without copying the finding).
    @inline(__always)
    public static func counts(_ t: Temporality, _ e: Experiencer) -> Bool { t == .current && e == .patient }

    /// Aggregated values of a scheme for a report's findings (label index → value); absent labels that
    /// were never mentioned are missing from the map.
    public func values(_ r: AnalyzedReport, _ s: CompiledScheme) -> [Int: LabelValue] {
        var v: [Int: LabelValue] = [:]
        for (i, x) in valueArray(r, s).enumerated() { if let x { v[i] = x } }
        return v
    }

    /// The checked concept index of each finding (`index(of:)`, -1 when it must be looked up by CUI), computed once
    /// per report for all schemes.
    func conceptIndices(_ r: AnalyzedReport) -> [Int] {
        r.findings.indices.map { index(of: r.findings[$0].concept) ?? -1 }
    }

    /// `values` as an array indexed by label (nil: never mentioned). `indices`: `conceptIndices(r)`, if known.
    func valueArray(_ r: AnalyzedReport, _ s: CompiledScheme, indices: [Int]? = nil) -> [LabelValue?] {
        var v = [LabelValue?](repeating: nil, count: s.labels.count)
        v.withUnsafeMutableBufferPointer { valueArray(ReportSource(r, self, indices: indices), s, into: $0) }
        return v
    }

    /// `valueArray` written into `v` (one entry per label, all nil on entry): the CSV writer passes a buffer on the
    /// stack, so that a row allocates no arrays for its codes.
    func valueArray<S: LabelSource>(_ r: S, _ s: CompiledScheme, into v: UnsafeMutableBufferPointer<LabelValue?>) {
        for k in 0..<r.findingCount where r.counts(k) {
            let val = r.value(k)
            for i in r.labelIndices(k, s) where i < v.count { v[i] = max(v[i] ?? .absent, val) }
        }
        // Implications: present/uncertain propagate upwards (repeat to a fixed point).
        var changed = true
        var rounds = 0
        while changed && rounds < 8 {
            changed = false
            rounds += 1
            for i in v.indices {
                guard let val = v[i], val != .absent else { continue }
                for j in s.implies[i] where j < v.count && (v[j] ?? .absent) < val { v[j] = val; changed = true }
            }
        }
    }

    /// PadChest values: every PadChest concept of a counted finding, optionally with its ancestors.
    public func padchestValues(_ r: AnalyzedReport, rollUp: Bool = false) -> [(String, LabelValue)] {
        var out: [(String, LabelValue)] = []
        for k in r.findings.indices where Labeler.counts(r.findings[k].temporality, r.findings[k].experiencer) {
            let val = LabelValue(r.findings[k].assertion, r.findings[k].certainty)
            if !rollUp || val == .absent, let i = index(of: r.findings[k].concept), i < padchestByIndex.count {
                // Fast path: the finding's own concept.
                guard let p = padchestByIndex[i] else { continue }
                Labeler.addPadchest(p, val, to: &out)
                continue
            }
            let cui = r.findings[k].concept.cui
            var ids = [cui]
            if rollUp, val != .absent { ids += ontology.ancestors(of: cui).sorted() }
            for id in ids {
                guard let c = ontology.concepts[id], let p = c.padchest, c.kind == .finding || c.kind == .diagnosis || c.kind == .global else { continue }
                Labeler.addPadchest(p, val, to: &out)
            }
        }
        if let nf = padchestNoFinding { Labeler.applyNoFinding(nf, to: &out) }
        return out
    }

    /// A PadChest label's value into a report's list (by string or by term): precedence across mentions. A report
    /// names a handful of terms: a list searched linearly beats hashing.
    @inline(__always)
    static func addPadchest<K: Equatable>(_ p: K, _ val: LabelValue, to out: inout [(K, LabelValue)]) {
        for k in out.indices where out[k].0 == p {
            out[k].1 = max(out[k].1, val)
            return
        }
        out.append((p, val))
    }

    /// The no-finding label: there when nothing else is present or uncertain, gone when something is.
    static func applyNoFinding<K: Equatable>(_ nf: K, to out: inout [(K, LabelValue)]) {
        let anyPositive = out.contains { $0.1 != .absent && $0.0 != nf }
        if !anyPositive && !out.contains(where: { $0.0 == nf }) { out.append((nf, .present)) }
        if anyPositive { out.removeAll { $0.0 == nf } }
    }

    /// Writes the report-level `labels` and each finding's `labels` into the report.
    public func apply(_ r: inout AnalyzedReport, policy: UncertainPolicy = .keep) {
        // Built apart and stored once: appending to `r.labels` in place would copy it at each append.
        var labels: [SchemeLabels] = []
        labels.reserveCapacity(schemes.count)
        // The findings' concept indices, found once for every scheme.
        let source = ReportSource(r, self)
        for s in schemes {
            if s.fromConcepts {
                if let picks = padchestPicks(r, policy: policy) {
                    labels.append(SchemeLabels(scheme: s.name, pieces: padchestPieces, picks: picks))
                    continue
                }
                let vals = padchestValues(r)
                labels.append(SchemeLabels(scheme: s.name, values: vals.map { ($0.0, .string(Labeler.padchestString($0.1, policy))) }))
                continue
            }
            // The codes on the stack, straight into picks from the scheme's members.
            let n = s.labels.count
            let picks = withUnsafeTemporaryAllocation(of: LabelValue?.self, capacity: n) { v in
                withUnsafeTemporaryAllocation(of: Int8.self, capacity: n) { c in
                    v.initialize(repeating: nil)
                    c.initialize(repeating: 0)
                    codes(source, s, policy: policy, values: v, into: c)
                    return [Int32](unsafeUninitializedCapacity: n) { buf, count in
                        count = 0
                        for i in 0..<n {
                            guard let slot = Labeler.codeSlot(c[i]) else { return }
                            buf[i] = 4 * Int32(i) + slot
                            count = i + 1
                        }
                    }
                }
            }
            if picks.count == n {
                labels.append(SchemeLabels(scheme: s.name, pieces: s.pieces, picks: picks))
                continue
            }
            let c = codes(source, s, policy: policy)
            var out: [(String, JSONValue)] = []
            out.reserveCapacity(n)
            for (i, name) in s.labels.enumerated() {
                let x = i < c.count ? c[i] : Labeler.blank
                out.append((name, x == Labeler.blank ? .null : .number(Double(x))))
            }
            labels.append(SchemeLabels(scheme: s.name, values: out))
        }
        r.labels = labels
        for k in r.findings.indices {
            // The concept's list, made when the labeler was (a finding of this ontology, the usual case).
            if let c = index(of: r.findings[k].concept), c < findingLabelsJSON.count {
                r.findings[k].labelsJSON = findingLabelsJSON[c]
                continue
            }
            var fl: [(String, [String])] = []
            fl.reserveCapacity(schemes.count)
            for s in schemes {
                if s.fromConcepts {
                    if let p = r.findings[k].concept.padchest { fl.append((s.name, [p])) } else { fl.append((s.name, [])) }
                    continue
                }
                fl.append((s.name, s.labelNames(index(of: r.findings[k].concept), r.findings[k].concept)))
            }
            r.findings[k].labels = fl
        }
    }

    /// The code of a label left blank (CheXpert: not mentioned; JSON null).
    public static let blank = Int8.min

    /// The report-level values of a scheme (not a `fromConcepts` one), one per label in scheme order: 1, 0, -1
    /// or `blank`, after precedence, implications, the no-finding rule and the uncertainty policy. The `labels`
    /// of the analyze result and the label job's CSV cells are both written from these.
    public func codes(_ r: AnalyzedReport, _ s: CompiledScheme, policy: UncertainPolicy) -> [Int8] {
        codes(ReportSource(r, self), s, policy: policy)
    }

    /// The same codes for a `LabelView` made with this labeler's ontology.
    public func codes(_ v: LabelView, _ s: CompiledScheme, policy: UncertainPolicy) -> [Int8] {
        codes(ViewSource(v: v, conceptIDs: conceptIDs), s, policy: policy)
    }

    func codes<S: LabelSource>(_ r: S, _ s: CompiledScheme, policy: UncertainPolicy) -> [Int8] {
        var out = [Int8](repeating: 0, count: s.labels.count)
        withUnsafeTemporaryAllocation(of: LabelValue?.self, capacity: s.labels.count) { v in
            v.initialize(repeating: nil)
            out.withUnsafeMutableBufferPointer { codes(r, s, policy: policy, values: v, into: $0) }
        }
        return out
    }

    /// `codes` written into `out` (one entry per label), with `v` (one nil entry per label) to compute the values in.
    func codes<S: LabelSource>(_ r: S, _ s: CompiledScheme, policy: UncertainPolicy,
                               values v: UnsafeMutableBufferPointer<LabelValue?>, into out: UnsafeMutableBufferPointer<Int8>) {
        valueArray(r, s, into: v)
        let isChexpert = s.isChexpert
        let effective: UncertainPolicy = policy == .keep && !isChexpert ? (s.uncertainPolicy ?? .keep) : policy
        let effectiveProbable: UncertainPolicy = policy == .keep && !isChexpert ? (s.probablePolicy ?? effective) : policy
        for i in out.indices {
            if i == s.noFinding {
                var blocked = false
                for (j, x) in v.enumerated() where j != i {
                    if let x, x != .absent, !s.noFindingIgnores.contains(j) { blocked = true; break }
                }
                out[i] = blocked ? (isChexpert ? Labeler.blank : 0) : 1
                continue
            }
            let x = i < v.count ? v[i] : nil
            out[i] = Labeler.code(x, isChexpert, x == .probable ? effectiveProbable : effective)
        }
    }

    /// The code of one label value: CheXpert 1/0/-1/blank, binary 1/0 (uncertain -1 under `keep`).
    @inline(__always)
    static func code(_ v: LabelValue?, _ chexpert: Bool, _ policy: UncertainPolicy) -> Int8 {
        switch v {
        case nil: return chexpert ? blank : 0
        case .present: return 1
        case .absent: return 0
        case .uncertain, .probable:
            switch policy {
            case .keep: return -1
            case .ones: return 1
            case .zeros: return 0
            }
        }
    }

    /// The JSON value of a label: CheXpert 1/0/-1/null, binary 1/0 (uncertain -1 under `keep`).
    public static func encode(_ v: LabelValue?, _ values: String, _ policy: UncertainPolicy) -> JSONValue {
        let c = code(v, values == "chexpert", policy)
        return c == blank ? .null : .number(Double(c))
    }

    public static func padchestString(_ v: LabelValue, _ policy: UncertainPolicy) -> String {
        switch v {
        case .present: return "present"
        case .absent: return "absent"
        case .uncertain, .probable:
            switch policy {
            case .keep: return "uncertain"
            case .ones: return "present"
            case .zeros: return "absent"
            }
        }
    }
}

/// PadChest's strings interned once per ontology, so that a report's PadChest cells are built from small integers:
/// terms are compared as ids (one id per distinct string, labels and locations alike, as the cells compare strings)
/// and written from bytes already in list form.
final class PadchestCellTables: Sendable {
    /// Each distinct PadChest string as a Python list item (`'term'`, a quote inside escaped with a backslash).
    let pyItem: [[UInt8]]
    /// Each distinct PadChest string as a NumPy list item (`'term'`), for CUI lists.
    let npItem: [[UInt8]]
    /// Per concept index: the item of its PadChest string (-1: none).
    let item: [Int32]
    /// Per concept index: its CUI as a NumPy list item (`''` for the ontology's own HL: ids).
    let cuiItem: [[UInt8]]
    /// Per concept index of an anatomical concept without a PadChest string: its derived localizations
    /// (`Labeler.derivedLocations`) as (item, CUI list item).
    let derived: [[(item: Int32, cui: [UInt8])]]
    /// The item of the no-finding label (-1: none).
    let noFinding: Int32

    init(tables tb: AnalysisTables, derived byID: [ConceptID: [(label: String, cui: String)]], noFinding nf: String?) {
        var ids: [String: Int32] = [:]
        var py: [[UInt8]] = [], np: [[UInt8]] = []
        func intern(_ s: String) -> Int32 {
            if let k = ids[s] { return k }
            let k = Int32(py.count)
            ids[s] = k
            var a: [UInt8] = []
            CSV.appendPyList([s], to: &a)
            py.append(Array(a.dropFirst().dropLast()))
            np.append(npItemBytes(s))
            return k
        }
        func npItemBytes(_ s: String) -> [UInt8] { [0x27] + Array(s.utf8) + [0x27] }
        var item: [Int32] = [], cui: [[UInt8]] = [], der: [[(item: Int32, cui: [UInt8])]] = []
        item.reserveCapacity(tb.conceptIDs.count)
        for (k, id) in tb.conceptIDs.enumerated() {
            item.append(k < tb.padchest.count ? tb.padchest[k].map(intern) ?? -1 : -1)
            cui.append(npItemBytes(id.hasPrefix("HL:") ? "" : id))
            der.append((byID[id] ?? []).map { (intern($0.label), npItemBytes($0.cui)) })
        }
        noFinding = nf.map(intern) ?? -1
        pyItem = py; npItem = np; self.item = item; cuiItem = cui; derived = der
    }
}
