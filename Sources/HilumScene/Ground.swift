public import HilumCore
public import HilumOntology
public import HilumNLP
internal import Foundation

/// A region a phrase refers to, ranked.
public struct GroundHit: Sendable {
    public var name: String
    public var bbox: Box
    public var score: Double
    public var basis: String
    public var finding: String?
    public var assertion: Assertion?
    public var via: String?
}

public struct Grounder: Sendable {
    public let ontology: Ontology
    public init(ontology: Ontology) { self.ontology = ontology }

    /// Region targets with their basis: a finding's regions, else the anatomy the phrase names.
    public func targets(for report: AnalyzedReport, phrase: String) -> [(region: String, basis: String, finding: Finding?)] {
        var out: [(String, String, Finding?)] = []
        let builder = SceneBuilder(ontology: ontology)
        for f in report.findings {
            let basis = f.regionBasis == "anatomy" ? "anatomy" : f.regionBasis == "laterality" ? "laterality" : "default_site"
            for r in f.regions { out.append((r, basis, f)) }
            // A named region that contains the finding's default site ("left basilar effusion": the left lower zone
            // contains the left costophrenic angle) also points to that site.
            guard basis == "anatomy", let rows = ontology.lexicon.resolvedDefaults[f.concept.cui] else { continue }
            for site in rows.flatMap(\.regions) where !f.regions.contains(site) {
                if f.regions.contains(where: { builder.isDescendant(site, of: $0) }) { out.append((site, "anatomy+default_site", f)) }
            }
        }
        if out.isEmpty {
            for r in anatomyRegions(phrase) { out.append((r, "anatomy", nil)) }
        }
        return out
    }

    /// Regions named by an anatomy phrase: a region name or alias, else the ontology's anatomy terms.
    public func anatomyRegions(_ phrase: String) -> [String] {
        let trimmed = phrase.trimmingCharacters(in: .whitespacesAndNewlines)
        if let r = ontology.resolveRegion(trimmed) { return [r] }
        var out: [String] = []
        for c in ontology.lookup(trimmed) where c.kind == .anatomy {
            for r in ontology.anatomyRegions[c.id] ?? [] where !out.contains(r) { out.append(r) }
        }
        return out
    }

    /// Regions for a concept id: anatomy → its regions; finding → its default site (both sides).
    public func conceptRegions(_ id: ConceptID) -> [(String, String)] {
        guard let c = ontology.concepts[id] else { return [] }
        if c.kind == .anatomy { return (ontology.anatomyRegions[id] ?? []).map { ($0, "anatomy") } }
        let rows = ontology.lexicon.resolvedDefaults[id] ?? []
        let pick = rows.first { $0.side == .none } ?? rows.first { $0.side == .any } ?? rows.first
        return (pick?.regions ?? []).map { ($0, "default_site") }
    }

    /// Ranks the scene's regions for the targets: the named region scores 1; an enclosing region standing in for a
    /// missing one 0.6; regions inside a missing one 0.8. Absent findings keep their regions at half the score.
    public func rank(targets: [(region: String, basis: String, finding: Finding?)], scene: SceneGraph) -> [GroundHit] {
        let builder = SceneBuilder(ontology: ontology)
        let present = Set(scene.regions.map(\.name))
        var best: [String: GroundHit] = [:]
        for t in targets {
            for (region, via) in builder.resolve(t.region, present: present) {
                guard let r = scene.region(region) else { continue }
                var score = via == nil ? 1.0 : builder.isDescendant(region, of: t.region) ? 0.8 : 0.6
                if t.basis == "anatomy+default_site" { score *= 0.9 }
                if t.finding?.assertion == .absent { score *= 0.5 }
                let hit = GroundHit(name: region, bbox: r.bbox, score: score, basis: t.basis, finding: t.finding?.id,
                                    assertion: t.finding?.assertion, via: via)
                if let o = best[region], o.score >= score { continue }
                best[region] = hit
            }
        }
        return best.values.sorted { ($1.score, $0.name) < ($0.score, $1.name) }
    }

    public static func writeJSON(phrase: String, report: AnalyzedReport?, hits: [GroundHit], to w: inout JSONWriter) {
        w.raw("{"); w.key("phrase"); w.string(phrase)
        w.comma(); w.key("language"); w.optString(report?.language.rawValue)
        w.comma(); w.key("findings"); w.raw("[")
        for (i, f) in (report?.findings ?? []).enumerated() { if i > 0 { w.comma() }; f.writeJSON(to: &w) }
        w.raw("]"); w.comma(); w.key("regions"); w.raw("[")
        for (i, h) in hits.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("name"); w.string(h.name)
            w.comma(); w.key("bbox"); w.box(h.bbox)
            w.comma(); w.key("score"); w.fixed(h.score)
            w.comma(); w.key("basis"); w.string(h.basis)
            w.comma(); w.key("finding"); w.optString(h.finding)
            w.comma(); w.key("assertion"); w.optString(h.assertion?.rawValue)
            w.comma(); w.key("via"); w.optString(h.via)
            w.raw("}")
        }
        w.raw("]}")
    }
}

extension SceneGraph {
    /// Reads a scene written by `hilum scene` (or any JSON with `image` and `regions[].bbox`), for grounding and
    /// comparison. Masks are not needed: boxes carry the geometry.
    public static func parse(_ root: JSONValue, ontology: Ontology) throws(HilumError) -> SceneGraph {
        guard let w = root["image"]?["width"]?.int, let h = root["image"]?["height"]?.int, w > 0, h > 0 else {
            throw HilumError("scene.invalid", "a scene needs image.width and image.height")
        }
        guard let list = root["regions"]?.array else { throw HilumError("scene.invalid", "a scene needs a 'regions' array") }
        var regions: [SceneRegion] = []
        for (i, o) in list.enumerated() {
            guard let name = o["name"]?.string else { throw HilumError("scene.invalid", "region \(i + 1) has no name") }
            guard let b = o["bbox"]?.array, b.count == 4 else { throw HilumError("scene.invalid", "region '\(name)' needs bbox [x0, y0, x1, y1]") }
            let v = b.compactMap(\.double).filter { $0.isFinite && abs($0) < 1e7 }
            guard v.count == 4 else { throw HilumError("scene.invalid", "region '\(name)' bbox must be 4 numbers") }
            let box = Box(x0: Int(v[0]), y0: Int(v[1]), x1: Int(v[2]), y1: Int(v[3]))
            guard let resolved = ontology.resolveRegion(name) else { throw HilumError("mask.unknown_region", "unknown region '\(name)'") }
            let c = o["centroid"]?.array?.compactMap(\.double)
            regions.append(SceneRegion(name: resolved, concept: ontology.regions[resolved]?.concept, bbox: box,
                                       area: o["area"]?.int ?? box.area,
                                       centroid: c.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil } ?? (Double(box.x0 + box.x1) / 2, Double(box.y0 + box.y1) / 2),
                                       derived: o["derived"]?.bool ?? false, method: o["method"]?.string ?? "box",
                                       source: nil, mask: nil, parent: o["part_of"]?.string))
        }
        return SceneGraph(width: w, height: h, regions: regions, report: nil, edges: [], warnings: [])
    }
}

/// SVG pictures of regions and findings: a person can check a grounding or a scene at a glance.
public enum SVGRenderer {
    static func esc(_ s: String) -> String {
        var o = ""
        for ch in s {
            switch ch { case "&": o += "&amp;"; case "<": o += "&lt;"; case ">": o += "&gt;"; case "\"": o += "&quot;"; default: o.append(ch) }
        }
        return o
    }

    static func color(_ a: Assertion?) -> String {
        switch a { case .present?: "#c0392b"; case .uncertain?: "#d35400"; case .absent?: "#2471a3"; case nil: "#117a65" }
    }

    /// Draws every region faintly and the highlighted ones (region name → (label, assertion)) boldly, over the PNG
    /// when one is given (embedded as a data URI, nothing fetched).
    public static func render(scene: SceneGraph, highlight: [(String, String, Assertion?)], imagePNG: [UInt8]?, title: String) -> String {
        let w = scene.width, h = scene.height
        let stroke = max(1, min(w, h) / 300)
        let font = max(10, min(w, h) / 45)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" role=\"img\" aria-label=\"\(esc(title))\">\n"
        s += "<title>\(esc(title))</title>\n"
        if let png = imagePNG {
            s += "<image href=\"data:image/png;base64,\(Data(png).base64EncodedString())\" x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\"/>\n"
        } else {
            s += "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#1b1b1b\"/>\n"
        }
        s += "<text x=\"\(font / 2)\" y=\"\(font + 2)\" fill=\"#fff\" font-family=\"sans-serif\" font-size=\"\(font)\">R</text>\n"
        s += "<text x=\"\(w - font)\" y=\"\(font + 2)\" fill=\"#fff\" font-family=\"sans-serif\" font-size=\"\(font)\">L</text>\n"
        let marked = Dictionary(highlight.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { a, b in (a.0 + "; " + b.0, a.1 ?? b.1) })
        for r in scene.regions where marked[r.name] == nil {
            s += "<rect x=\"\(r.bbox.x0)\" y=\"\(r.bbox.y0)\" width=\"\(r.bbox.width)\" height=\"\(r.bbox.height)\" fill=\"none\" stroke=\"#9aa5b1\" stroke-opacity=\"0.6\" stroke-width=\"\(stroke)\"\(r.derived ? " stroke-dasharray=\"\(4 * stroke)\"" : "")><title>\(esc(r.name))\(r.derived ? " (derived: \(esc(r.method)))" : "")</title></rect>\n"
        }
        for r in scene.regions {
            guard let (label, a) = marked[r.name] else { continue }
            let c = color(a)
            s += "<g class=\"hit\" data-region=\"\(esc(r.name))\"><rect x=\"\(r.bbox.x0)\" y=\"\(r.bbox.y0)\" width=\"\(r.bbox.width)\" height=\"\(r.bbox.height)\" fill=\"\(c)\" fill-opacity=\"0.18\" stroke=\"\(c)\" stroke-width=\"\(3 * stroke)\"\(r.derived ? " stroke-dasharray=\"\(6 * stroke)\"" : "")><title>\(esc(r.name)): \(esc(label))</title></rect>"
            s += "<text x=\"\(r.bbox.x0 + 2 * stroke)\" y=\"\(r.bbox.y0 + font + stroke)\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"\(max(1, stroke / 2))\" paint-order=\"stroke\" font-family=\"sans-serif\" font-size=\"\(font)\">\(esc(r.name)): \(esc(label))</text></g>\n"
        }
        s += "</svg>\n"
        return s
    }
}
