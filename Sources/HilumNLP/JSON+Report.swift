public import HilumCore

extension AnalyzedReport {
    /// Writes the `analyze` result of DESIGN §4 (stable key order, explicit nulls).
    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("report_id"); w.optString(reportID)
        w.nextKey("language"); w.literal(language)
        w.nextKey("ontology_version"); w.string(ontologyVersion)
        w.nextKey("sections"); w.raw("[")
        // Index loops: `enumerated()` would copy each element (a reference count per string and array it holds).
        for i in sections.indices {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("kind"); w.literal(sections[i].kind)
            w.nextKey("span"); w.span(sections[i].span)
            w.nextKey("header_span"); if let h = sections[i].headerSpan { w.span(h) } else { w.null() }
            w.nextKey("rule"); w.optString(sections[i].rule)
            w.raw("}")
        }
        w.raw("]")
        w.nextKey("findings"); w.raw("[")
        // Through the buffer: a method called on `findings[i]` would run on a copy of the finding.
        findings.withUnsafeBufferPointer { f in
            for i in f.indices {
                if i > 0 { w.comma() }
                if let base = f.baseAddress { Finding.writeJSON(base + i, to: &w) }
            }
        }
        w.raw("]")
        w.nextKey("labels"); w.raw("{")
        for i in labels.indices {
            if i > 0 { w.comma() }
            w.key(labels[i].scheme)
            labels[i].writeJSON(to: &w)
        }
        w.raw("}")
        w.nextKey("warnings"); w.raw("[")
        for (i, e) in warnings.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("code"); w.string(e.code); w.nextKey("message"); w.string(e.message); w.raw("}")
        }
        w.raw("]")
        w.raw("}")
    }

    public func jsonString() -> String {
        var w = JSONWriter()
        writeJSON(to: &w)
        return w.string
    }
}

extension Finding {
    public func writeJSON(to w: inout JSONWriter) {
        withUnsafePointer(to: self) { Finding.writeJSON($0, to: &w) }
    }

    /// The finding at `p`, read in place: a method called on an element of the result's array would run on a copy
    /// (a reference count per string and array the finding holds).
    static func writeJSON(_ p: UnsafePointer<Finding>, to w: inout JSONWriter) {
        w.raw("{"); w.key("id"); w.string(p.pointee.id)
        w.nextKey("concept")
        // The concept's fields and their JSON are one object: an edited field has an object of its own.
        w.raw(p.pointee.concept.storage.object)
        w.nextKey("text"); w.string(p.pointee.text)
        w.nextKey("span"); w.span(p.pointee.span)
        w.nextKey("section"); w.literal(p.pointee.section)
        w.nextKey("sentence"); w.int(p.pointee.sentence)
        writeContext(&w, p.pointee.assertion, p.pointee.certainty, p.pointee.temporality, p.pointee.experiencer, p.pointee.change, p.pointee.laterality, p.pointee.severity)
        w.nextKey("locations"); w.raw("[")
        for i in p.pointee.locations.indices {
            if i > 0 { w.comma() }
            w.raw(p.pointee.locations[i].concept.storage.locationHead)
            w.nextKey("text"); w.string(p.pointee.locations[i].text)
            w.nextKey("span"); w.span(p.pointee.locations[i].span)
            w.raw("}")
        }
        w.raw("]")
        w.nextKey("regions")
        if let j = p.pointee.regionsJSON, j.regions == p.pointee.regions { w.raw(j.json) } else { w.stringArray(p.pointee.regions) }
        w.nextKey("region_basis"); w.optString(p.pointee.regionBasis)
        w.nextKey("labels")
        if let j = p.pointee.labelsJSON { w.raw(j.object) } else { w.raw("{}") }
        w.nextKey("evidence"); Evidence.writeArray(p.pointee.evidence, to: &w)
        w.raw("}")
    }
}

extension Finding {
    /// The `concept` object.
    static func writeConcept(_ w: inout JSONWriter, cui: String, name: String, kind: ConceptKind, padchest: String?) {
        w.raw("{"); w.key("cui"); w.string(cui)
        w.nextKey("name"); w.string(name)
        w.nextKey("kind"); w.literal(kind)
        w.nextKey("padchest"); w.optString(padchest)
        w.raw("}")
    }

    /// A location object up to its text: `{"cui":…,"name":…,"padchest":…`.
    static func writeLocationHead(_ w: inout JSONWriter, cui: String, name: String, padchest: String?) {
        w.raw("{"); w.key("cui"); w.string(cui)
        w.nextKey("name"); w.string(name)
        w.nextKey("padchest"); w.optString(padchest)
    }

    /// The `labels` object.
    static func writeLabels(_ w: inout JSONWriter, _ labels: [(String, [String])]) {
        w.raw("{")
        for i in labels.indices {
            if i > 0 { w.comma() }
            w.key(labels[i].0); w.stringArray(labels[i].1)
        }
        w.raw("}")
    }
}

/// The context fields shared by findings and asserted targets, in contract order: two members written once per
/// combination of values (`ContextPieces`), not fourteen writes.
func writeContext(_ w: inout JSONWriter, _ assertion: Assertion, _ certainty: Certainty?, _ temporality: Temporality,
                  _ experiencer: Experiencer, _ change: Change?,
                  _ laterality: Laterality?, _ severity: Severity?) {
    let t = ContextPieces.shared
    t.head.write(ContextPieces.headIndex(assertion, certainty, temporality, experiencer), to: &w)
    t.tail.write(ContextPieces.tailIndex(change, laterality, severity), to: &w)
}

/// Each combination of a finding's context values as its JSON members, in contract order.
final class ContextPieces: Sendable {
    static let shared = ContextPieces()
    /// `,"assertion":…,"certainty":…,"temporality":…,"experiencer":…` by `headIndex`.
    let head: BytePieces
    /// `,"change":…,"laterality":…,"severity":…` by `tailIndex`.
    let tail: BytePieces

    private init() {
        var h: [[UInt8]] = []
        for a in Assertion.allCases {
            for c in [nil] + Certainty.allCases.map(Optional.some) {
                for t in Temporality.allCases {
                    for e in Experiencer.allCases {
                        var w = JSONWriter()
                        w.nextKey("assertion"); w.literal(a)
                        w.nextKey("certainty"); w.optLiteral(c)
                        w.nextKey("temporality"); w.literal(t)
                        w.nextKey("experiencer"); w.literal(e)
                        h.append(w.bytes)
                    }
                }
            }
        }
        var tl: [[UInt8]] = []
        for c in [nil] + Change.allCases.map(Optional.some) {
            for l in [nil] + Laterality.allCases.map(Optional.some) {
                for s in [nil] + Severity.allCases.map(Optional.some) {
                    var w = JSONWriter()
                    w.nextKey("change"); w.optLiteral(c)
                    w.nextKey("laterality"); w.optLiteral(l)
                    w.nextKey("severity"); w.optLiteral(s)
                    tl.append(w.bytes)
                }
            }
        }
        head = BytePieces(h)
        tail = BytePieces(tl)
    }

    /// A value's position in its enum (declaration order, as `allCases`); an optional's nil is 0 and the cases follow.
    @inline(__always) static func ordinal<T: ContextOrdinal>(_ v: T?) -> Int {
        guard let v else { return 0 }
        return 1 + v.ordinal
    }

    @inline(__always)
    static func headIndex(_ a: Assertion, _ c: Certainty?, _ t: Temporality, _ e: Experiencer) -> Int {
        ((a.ordinal * (Certainty.count + 1) + ordinal(c)) * Temporality.count + t.ordinal) * Experiencer.count + e.ordinal
    }

    @inline(__always)
    static func tailIndex(_ c: Change?, _ l: Laterality?, _ s: Severity?) -> Int {
        (ordinal(c) * (Laterality.count + 1) + ordinal(l)) * (Severity.count + 1) + ordinal(s)
    }
}

/// A context enum's position among its cases (declaration order, as `allCases`; a switch, not a search).
protocol ContextOrdinal {
    var ordinal: Int { get }
    static var count: Int { get }
}

extension Assertion: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self { case .present: 0; case .absent: 1; case .uncertain: 2 }
    }
    static var count: Int { 3 }
}
extension Certainty: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self { case .probable: 0; case .possible: 1 }
    }
    static var count: Int { 2 }
}
extension Temporality: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self { case .current: 0; case .historical: 1; case .hypothetical: 2 }
    }
    static var count: Int { 3 }
}
extension Experiencer: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self { case .patient: 0; case .other: 1 }
    }
    static var count: Int { 2 }
}
extension Change: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self { case .new: 0; case .improved: 1; case .worsened: 2; case .unchanged: 3; case .resolved: 4; case .removed: 5 }
    }
    static var count: Int { 6 }
}
extension Laterality: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self { case .left: 0; case .right: 1; case .bilateral: 2 }
    }
    static var count: Int { 3 }
}
extension Severity: ContextOrdinal {
    @inline(__always) var ordinal: Int {
        switch self {
        case .trace: 0; case .minimal: 1; case .mild: 2; case .borderline: 3; case .small: 4; case .moderate: 5; case .large: 6; case .severe: 7
        }
    }
    static var count: Int { 8 }
}

/// Byte strings back to back, written by index.
final class BytePieces: Sendable {
    let bytes: [UInt8]
    /// Piece `i` is `bytes[ends[i - 1] ..< ends[i]]` (from 0 for the first).
    let ends: [Int]

    var count: Int { ends.count }

    init(_ pieces: [[UInt8]]) {
        bytes = pieces.flatMap { $0 }
        var e: [Int] = []
        var n = 0
        for p in pieces { n += p.count; e.append(n) }
        ends = e
    }

    @inline(__always)
    func write(_ i: Int, to w: inout JSONWriter) {
        guard i >= 0, i < ends.count else { return }
        let start = i == 0 ? 0 : ends[i - 1]
        let end = ends[i]
        guard start <= end, end <= bytes.count else { return }
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            w.raw(bytes: UnsafeBufferPointer(start: base + start, count: end - start))
        }
    }

    /// The pieces `picks` choose, comma separated; false (nothing written) when a pick is out of range.
    func write(commaSeparated picks: [Int32], to w: inout JSONWriter) -> Bool {
        for p in picks where p < 0 || Int(p) >= ends.count { return false }
        bytes.withUnsafeBufferPointer { b in
            ends.withUnsafeBufferPointer { e in
                guard let base = b.baseAddress else { return }
                for i in picks.indices {
                    if i > 0 { w.comma() }
                    let k = Int(picks[i])
                    let start = k == 0 ? 0 : e[k - 1]
                    w.raw(bytes: UnsafeBufferPointer(start: base + start, count: e[k] - start))
                }
            }
        }
        return true
    }
}

extension Evidence {
    public static func writeArray(_ list: [Evidence], to w: inout JSONWriter) {
        w.raw("[")
        list.withUnsafeBufferPointer { l in
            for i in l.indices {
                if i > 0 { w.comma() }
                l[i].writeJSON(to: &w)
            }
        }
        w.raw("]")
    }

    public func writeJSON(to w: inout JSONWriter) {
        w.raw(storage.head)
        w.span(span)
        w.raw("}")
    }

    /// An evidence object up to its span: `{"rule":…,"category":…,"span":`.
    static func writeHead(_ w: inout JSONWriter, rule: String, category: String) {
        w.raw("{"); w.key("rule"); w.string(rule)
        w.nextKey("category"); w.string(category)
        w.nextKey("span")
    }
}

extension TargetAssertion {
    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("target"); w.string(target)
        w.nextKey("span"); if let s = span { w.span(s) } else { w.null() }
        writeContext(&w, assertion, certainty, temporality, experiencer, change, laterality, severity)
        w.nextKey("evidence"); Evidence.writeArray(evidence, to: &w)
        w.raw("}")
    }
}
