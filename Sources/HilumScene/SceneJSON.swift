public import HilumCore
public import HilumOntology
public import HilumNLP
internal import Foundation

extension JSONWriter {
    mutating func box(_ b: Box) {
        raw("["); int(b.x0); comma(); int(b.y0); comma(); int(b.x1); comma(); int(b.y1); raw("]")
    }
    mutating func fixed(_ d: Double) { double((d * 100).rounded() / 100) }
}

extension SceneGraph {
    /// Hilum's scene JSON (the `scene` op and `hilum scene`): image, regions, findings (the analyze findings),
    /// edges finding → region, region part-of edges, warnings.
    public func writeJSON(to w: inout JSONWriter, ontology: Ontology, includeMasks: Bool = false) {
        w.raw("{"); w.key("image"); w.raw("{"); w.key("width"); w.int(width); w.comma(); w.key("height"); w.int(height); w.raw("}")
        if let report {
            w.comma(); w.key("report"); w.raw("{")
            w.key("report_id"); w.optString(report.reportID)
            w.comma(); w.key("language"); w.string(report.language.rawValue)
            w.comma(); w.key("ontology_version"); w.string(report.ontologyVersion)
            w.raw("}")
        }
        w.comma(); w.key("regions"); w.raw("[")
        for (i, r) in regions.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("name"); w.string(r.name)
            w.comma(); w.key("cui"); w.optString(r.concept)
            w.comma(); w.key("bbox"); w.box(r.bbox)
            w.comma(); w.key("area"); w.int(r.area)
            w.comma(); w.key("centroid"); w.raw("["); w.fixed(r.centroid.x); w.comma(); w.fixed(r.centroid.y); w.raw("]")
            w.comma(); w.key("derived"); w.bool(r.derived)
            w.comma(); w.key("method"); w.string(r.method)
            w.comma(); w.key("part_of"); w.optString(r.parent)
            if includeMasks, let m = r.mask {
                w.comma(); w.key("rle"); w.raw("{"); w.key("order"); w.string("row-major"); w.comma(); w.key("start"); w.int(1)
                w.comma(); w.key("counts"); w.string(m.rleRowMajor()); w.raw("}")
            }
            w.raw("}")
        }
        w.raw("]")
        w.comma(); w.key("findings"); w.raw("[")
        for (i, f) in (report?.findings ?? []).enumerated() {
            if i > 0 { w.comma() }
            f.writeJSON(to: &w)
        }
        w.raw("]")
        let byID = Dictionary((report?.findings ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        w.comma(); w.key("edges"); w.raw("[")
        for (i, e) in edges.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("finding"); w.string(e.finding)
            w.comma(); w.key("region"); w.string(e.region)
            w.comma(); w.key("relation"); w.string(e.relation)
            w.comma(); w.key("basis"); w.string(e.basis)
            w.comma(); w.key("via"); w.optString(e.via)
            if let f = byID[e.finding] {
                w.comma(); w.key("concept"); w.string(f.concept.name)
                w.comma(); w.key("cui"); w.string(f.concept.cui)
                w.comma(); w.key("assertion"); w.string(f.assertion.rawValue)
                w.comma(); w.key("severity"); w.optString(f.severity?.rawValue)
                w.comma(); w.key("change"); w.optString(f.change?.rawValue)
                w.comma(); w.key("span"); w.span(f.span)
            }
            w.raw("}")
        }
        w.raw("]")
        w.comma(); w.key("region_edges"); w.raw("[")
        var first = true
        for r in regions {
            guard let p = r.parent else { continue }
            if !first { w.comma() }
            first = false
            w.raw("{"); w.key("child"); w.string(r.name); w.comma(); w.key("parent"); w.string(p)
            w.comma(); w.key("relation"); w.string("part_of"); w.raw("}")
        }
        w.raw("]")
        w.comma(); w.key("warnings"); w.raw("[")
        for (i, e) in warnings.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("code"); w.string(e.code); w.comma(); w.key("message"); w.string(e.message); w.raw("}")
        }
        w.raw("]}")
    }

    /// The scene in the shape of a Chest ImaGenome scene graph: `objects` (one per region, with `bbox_name` and
    /// `x1, y1, x2, y2, width, height` in pixels, x2/y2 exclusive), `attributes` (per region: the findings on it as
    /// `category|yes|name` / `category|no|name`, with phrases, sections and cues), `relationships` (empty unless a
    /// comparison is given).
    public func writeImaGenome(to w: inout JSONWriter, ontology: Ontology, imageID: String, text: String?,
                               comparisons: [ComparisonRelation] = []) {
        let scalars = text.map { Array($0.unicodeScalars) } ?? []
        func slice(_ s: TextSpan) -> String {
            guard s.start >= 0, s.end <= scalars.count, s.start <= s.end else { return "" }
            var out = String.UnicodeScalarView(); out.append(contentsOf: scalars[s.start..<s.end]); return String(out)
        }
        let findings = Dictionary((report?.findings ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let sentences = report?.sentences ?? []
        w.raw("{"); w.key("image_id"); w.string(imageID)
        w.comma(); w.key("viewpoint"); w.null()
        w.comma(); w.key("objects"); w.raw("[")
        for (i, r) in regions.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("object_id"); w.string("\(imageID)_\(r.name)")
            w.comma(); w.key("x1"); w.int(r.bbox.x0); w.comma(); w.key("y1"); w.int(r.bbox.y0)
            w.comma(); w.key("x2"); w.int(r.bbox.x1); w.comma(); w.key("y2"); w.int(r.bbox.y1)
            w.comma(); w.key("width"); w.int(r.bbox.width); w.comma(); w.key("height"); w.int(r.bbox.height)
            w.comma(); w.key("bbox_name"); w.string(r.name)
            w.comma(); w.key("synsets"); w.stringArray(r.concept.map { [$0] } ?? [])
            w.comma(); w.key("name"); w.string(ontology.regions[r.name].flatMap { ontology.concepts[$0.concept]?.name(.en) } ?? r.name)
            w.comma(); w.key("derived"); w.bool(r.derived)
            w.raw("}")
        }
        w.raw("]")
        w.comma(); w.key("attributes"); w.raw("[")
        var firstA = true
        for r in regions {
            let es = edges.filter { $0.region == r.name }
            guard !es.isEmpty else { continue }
            // One entry per sentence (ImaGenome: one per phrase), attributes of the findings of that sentence.
            var bySentence: [Int: [Finding]] = [:]
            for e in es { if let f = findings[e.finding] { bySentence[f.sentence, default: []].append(f) } }
            let keys = bySentence.keys.sorted()
            if !firstA { w.comma() }
            firstA = false
            w.raw("{"); w.key("bbox_name"); w.string(r.name)
            w.comma(); w.key("synsets"); w.stringArray(r.concept.map { [$0] } ?? [])
            w.comma(); w.key("name"); w.string(r.name)
            w.comma(); w.key("object_id"); w.string("\(imageID)_\(r.name)")
            func lists(_ key: String, _ make: (Finding) -> String?) {
                w.comma(); w.key(key); w.raw("[")
                for (j, k) in keys.enumerated() {
                    if j > 0 { w.comma() }
                    var seen: [String] = []
                    for f in bySentence[k] ?? [] { if let v = make(f), !seen.contains(v) { seen.append(v) } }
                    w.stringArray(seen)
                }
                w.raw("]")
            }
            lists("attributes") { f in
                let a = ontology.imagenomeAttribute(of: f.concept.cui)
                let cat = a?.category ?? ontology.imagenomeKindCategories[f.concept.kind] ?? ""
                let yn = f.assertion == .absent ? "no" : "yes"
                return "\(cat)|\(yn)|\(a?.name ?? f.concept.name)"
            }
            lists("attributes_ids") { f in f.concept.cui }
            lists("severity_cues") { f in f.severity?.rawValue }
            lists("comparison_cues") { f in f.change?.rawValue }
            lists("temporal_cues") { f in f.temporality == .current ? nil : f.temporality.rawValue }
            lists("uncertainty_cues") { f in f.assertion == .uncertain ? "uncertain" : nil }
            w.comma(); w.key("phrases"); w.raw("[")
            for (j, k) in keys.enumerated() {
                if j > 0 { w.comma() }
                w.string(k >= 1 && k <= sentences.count ? slice(sentences[k - 1]) : "")
            }
            w.raw("]")
            w.comma(); w.key("phrase_IDs"); w.raw("[")
            for (j, k) in keys.enumerated() { if j > 0 { w.comma() }; w.string("\(imageID)|\(k)") }
            w.raw("]")
            w.comma(); w.key("sections"); w.raw("[")
            for (j, k) in keys.enumerated() {
                if j > 0 { w.comma() }
                w.string(bySentence[k]?.first?.section.rawValue ?? "none")
            }
            w.raw("]}")
        }
        w.raw("]")
        w.comma(); w.key("relationships"); w.raw("[")
        for (i, c) in comparisons.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("relationship_id"); w.string("\(imageID)_\(c.region)_\(i + 1)")
            w.comma(); w.key("predicate"); w.string("[\(ComparisonRelation.imagenome(c.relation))]")
            w.comma(); w.key("relationship_names"); w.stringArray(["comparison|yes|\(ComparisonRelation.imagenome(c.relation))"])
            w.comma(); w.key("bbox_name"); w.string(c.region)
            w.comma(); w.key("subject_id"); w.string("\(imageID)_\(c.region)")
            w.comma(); w.key("object_id"); w.string("\(c.before ?? "prior")_\(c.region)")
            w.comma(); w.key("attributes"); w.stringArray([c.findingName])
            w.raw("}")
        }
        w.raw("]}")
    }
}
