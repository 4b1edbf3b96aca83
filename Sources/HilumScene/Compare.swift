public import HilumCore
public import HilumNLP

/// One exam of a patient: its analyzed report and, when masks were given, its scene graph.
public struct Exam: Sendable {
    public var id: String
    public var date: String?
    public var report: AnalyzedReport
    public var scene: SceneGraph?
    public init(id: String, date: String?, report: AnalyzedReport, scene: SceneGraph?) {
        self.id = id; self.date = date; self.report = report; self.scene = scene
    }
}

/// How a finding at a region changed between two exams.
public struct ComparisonRelation: Sendable {
    public var before: String?
    public var after: String
    public var region: String
    public var cui: String
    public var findingName: String
    /// `improved`, `worsened`, `no change`, `new`, `resolved`.
    public var relation: String
    /// `change_words` (the later report says so) or `scene_difference` (the two exams' findings differ).
    public var basis: String
    public var beforeFinding: Finding?
    public var afterFinding: Finding
    public var evidence: [Evidence]

    /// Chest ImaGenome's comparison vocabulary (improved / worsened / no change); new and resolved are reported as
    /// worsened and improved there.
    public static func imagenome(_ r: String) -> String {
        switch r { case "new": "worsened"; case "resolved": "improved"; default: r }
    }
}

public enum Comparator {
    /// Orders exams by date when every exam has one (ISO dates sort as text), else keeps the given order.
    public static func ordered(_ exams: [Exam]) -> [Exam] {
        guard exams.allSatisfy({ $0.date != nil }) else { return exams }
        return exams.enumerated().sorted { ($0.element.date ?? "", $0.offset) < ($1.element.date ?? "", $1.offset) }.map(\.element)
    }

    static func rank(_ a: Assertion) -> Int { switch a { case .present: 2; case .uncertain: 1; case .absent: 0 } }

    /// Finding per (region, concept): from scene edges when the exam has a scene, else from the finding's regions.
    static func sites(_ e: Exam) -> [String: Finding] {
        var out: [String: Finding] = [:]
        let byID = Dictionary(e.report.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func put(_ region: String, _ f: Finding) {
            let k = region + "\u{1F}" + f.concept.cui
            if let o = out[k], rank(o.assertion) > rank(f.assertion) || (o.assertion == f.assertion && o.change != nil) { return }
            out[k] = f
        }
        if let s = e.scene {
            for edge in s.edges { if let f = byID[edge.finding] { put(edge.region, f) } }
        } else {
            for f in e.report.findings { for r in f.regions { put(r, f) } }
        }
        return out
    }

    /// Relations for each consecutive pair of exams.
    public static func compare(_ exams: [Exam]) -> [ComparisonRelation] {
        let ex = ordered(exams)
        var out: [ComparisonRelation] = []
        guard ex.count >= 2 else { return out }
        for i in 1..<ex.count {
            let prev = sites(ex[i - 1]), cur = sites(ex[i])
            for key in cur.keys.sorted() {
                guard let f = cur[key] else { continue }
                let region = String(key.split(separator: "\u{1F}").first ?? "")
                let p = prev[key]
                var relation: String?
                var basis = "change_words"
                var evidence = f.evidence.filter { $0.category.hasPrefix("change") }
                if let c = f.change, f.temporality != .hypothetical {
                    relation = switch c {
                    case .improved: "improved"
                    case .worsened: "worsened"
                    case .unchanged: "no change"
                    case .new: "new"
                    case .resolved, .removed: "resolved"
                    }
                } else {
                    basis = "scene_difference"
                    evidence = []
                    switch (p?.assertion, f.assertion) {
                    case (.present?, .absent), (.uncertain?, .absent): relation = "resolved"
                    case (.absent?, .present), (nil, .present): relation = "new"
                    case (.present?, .present), (.uncertain?, .present), (.present?, .uncertain):
                        if let a = p?.severity, let b = f.severity, a != b {
                            relation = severityOrder(b) > severityOrder(a) ? "worsened" : "improved"
                        } else {
                            relation = "no change"
                        }
                    default: relation = nil
                    }
                }
                guard let relation else { continue }
                out.append(ComparisonRelation(before: ex[i - 1].id, after: ex[i].id, region: region, cui: f.concept.cui,
                                              findingName: f.concept.name, relation: relation, basis: basis,
                                              beforeFinding: p, afterFinding: f, evidence: evidence))
            }
        }
        return out
    }

    static func severityOrder(_ s: Severity) -> Int { Severity.allCases.firstIndex(of: s) ?? 0 }

    public static func writeJSON(_ exams: [Exam], _ rels: [ComparisonRelation], to w: inout JSONWriter) {
        w.raw("{"); w.key("exams"); w.raw("[")
        for (i, e) in ordered(exams).enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("id"); w.string(e.id); w.comma(); w.key("date"); w.optString(e.date)
            w.comma(); w.key("order"); w.int(i + 1)
            w.comma(); w.key("language"); w.string(e.report.language.rawValue)
            w.comma(); w.key("findings"); w.int(e.report.findings.count)
            w.comma(); w.key("has_scene"); w.bool(e.scene != nil)
            w.raw("}")
        }
        w.raw("]"); w.comma(); w.key("relations"); w.raw("[")
        func side(_ f: Finding?) {
            guard let f else { w.null(); return }
            w.raw("{"); w.key("finding"); w.string(f.id); w.comma(); w.key("assertion"); w.string(f.assertion.rawValue)
            w.comma(); w.key("severity"); w.optString(f.severity?.rawValue); w.comma(); w.key("change"); w.optString(f.change?.rawValue)
            w.comma(); w.key("text"); w.string(f.text); w.comma(); w.key("span"); w.span(f.span); w.raw("}")
        }
        for (i, r) in rels.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("from"); w.optString(r.before); w.comma(); w.key("to"); w.string(r.after)
            w.comma(); w.key("region"); w.string(r.region)
            w.comma(); w.key("finding"); w.string(r.findingName); w.comma(); w.key("cui"); w.string(r.cui)
            w.comma(); w.key("relation"); w.string(r.relation)
            w.comma(); w.key("imagenome"); w.string("comparison|yes|" + ComparisonRelation.imagenome(r.relation))
            w.comma(); w.key("basis"); w.string(r.basis)
            w.comma(); w.key("before"); side(r.beforeFinding)
            w.comma(); w.key("after"); side(r.afterFinding)
            w.comma(); w.key("evidence"); w.raw("[")
            for (j, e) in r.evidence.enumerated() {
                if j > 0 { w.comma() }
                w.raw("{"); w.key("rule"); w.string(e.rule); w.comma(); w.key("category"); w.string(e.category)
                w.comma(); w.key("span"); w.span(e.span); w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]}")
    }
}
