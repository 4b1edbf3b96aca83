public import HilumCore
public import HilumOntology
public import HilumNLP
internal import Foundation

/// A region node of a scene graph: geometry, and whether it was measured (a mask or box) or derived.
public struct SceneRegion: Sendable {
    public var name: String
    public var concept: ConceptID?
    public var bbox: Box
    public var area: Int
    public var centroid: (x: Double, y: Double)
    public var derived: Bool
    /// How it was obtained: the reader (`png-mask`, `label-map`, `rle-chexmask`, `rle-coco`, `polygon-coco`, `box`)
    /// or, for derived regions, the rule (e.g. `lower third of right lung height`).
    public var method: String
    public var source: String?
    public var mask: RegionMask?
    /// The nearest enclosing region present in the scene (part_of).
    public var parent: String?
}

/// A finding attached to a region.
public struct SceneEdge: Sendable, Hashable {
    public var finding: String
    public var region: String
    public var relation: String
    /// `anatomy` (named in the text), `laterality` (stated side + default site), `default_site`.
    public var basis: String
    /// The region the text pointed to when the scene lacks it and an enclosing or contained region stands in.
    public var via: String?
}

/// An image, its regions, a report's findings and the edges between them.
public struct SceneGraph: Sendable {
    public var width: Int
    public var height: Int
    public var regions: [SceneRegion]
    public var report: AnalyzedReport?
    public var edges: [SceneEdge]
    public var warnings: [HilumError]

    public func region(_ name: String) -> SceneRegion? { regions.first { $0.name == name } }
}

public struct SceneBuilder: Sendable {
    public let ontology: Ontology
    public init(ontology: Ontology) { self.ontology = ontology }

    /// Builds the scene: measured regions, derived regions for what coarse masks imply, and the report's findings
    /// attached to the regions they name.
    public func build(masks: MaskSet, report: AnalyzedReport?, derive: Bool = true) throws(HilumError) -> SceneGraph {
        guard let w = masks.width, let h = masks.height, w > 0, h > 0 else {
            throw HilumError("mask.missing_size", "the image size is unknown: give a mask, a size in the boxes file, or --image-size WxH")
        }
        var regions: [String: SceneRegion] = [:]
        var order: [String] = []
        var warnings = masks.warnings
        for s in masks.regions {
            if let m = s.mask, m.width != w || m.height != h {
                throw HilumError("mask.size_mismatch", "mask of '\(s.name)' is \(m.width)x\(m.height) but the image is \(w)x\(h)")
            }
            guard let r = measured(s) else {
                warnings.append(HilumError("mask.empty_region", "region '\(s.name)' has no pixels; not used")); continue
            }
            if let prior = regions[s.name] {
                // Two sources for one region: union of masks / boxes.
                var merged = prior
                if let a = prior.mask, let b = r.mask { let u = a.union(b); merged = fromMask(s.name, u, derived: false, method: prior.method, source: prior.source) }
                else { merged.bbox = prior.bbox.union(r.bbox); merged.area = merged.bbox.area }
                regions[s.name] = merged
                warnings.append(HilumError("mask.duplicate_region", "region '\(s.name)' given twice; merged"))
            } else {
                regions[s.name] = r; order.append(s.name)
            }
        }
        if derive { deriveRegions(&regions, &order, width: w, height: h) }
        // Part-of: the nearest ancestor present in the scene.
        for name in order {
            var p = ontology.regions[name]?.parent
            var steps = 0
            while let q = p, regions[q] == nil, steps < 12 { p = ontology.regions[q]?.parent; steps += 1 }
            let found = p.flatMap { regions[$0] != nil ? $0 : nil }
            regions[name]?.parent = found
        }
        let catalogue = Dictionary(uniqueKeysWithValues: ontology.regionOrder.enumerated().map { ($1, $0) })
        let sorted = order.compactMap { regions[$0] }.sorted {
            (catalogue[$0.name] ?? Int.max, $0.name) < (catalogue[$1.name] ?? Int.max, $1.name)
        }
        var g = SceneGraph(width: w, height: h, regions: sorted, report: report, edges: [], warnings: warnings)
        if let report { g.edges = attach(report.findings, to: g) }
        return g
    }

    func measured(_ s: SourceRegion) -> SceneRegion? {
        if let m = s.mask {
            guard !m.isEmpty else { return nil }
            return fromMask(s.name, m, derived: false, method: s.method, source: s.source)
        }
        guard let b = s.box, !b.isEmpty else { return nil }
        return SceneRegion(name: s.name, concept: ontology.regions[s.name]?.concept, bbox: b, area: b.area,
                           centroid: (Double(b.x0 + b.x1 - 1) / 2, Double(b.y0 + b.y1 - 1) / 2),
                           derived: false, method: s.method, source: s.source, mask: nil, parent: nil)
    }

    func fromMask(_ name: String, _ m: RegionMask, derived: Bool, method: String, source: String? = nil) -> SceneRegion {
        let b = m.bbox ?? Box(x0: 0, y0: 0, x1: 0, y1: 0)
        let c = m.centroid ?? (0, 0)
        return SceneRegion(name: name, concept: ontology.regions[name]?.concept, bbox: b, area: m.area, centroid: c,
                           derived: derived, method: method, source: source, mask: m, parent: nil)
    }

    // MARK: Derived regions

    /// Regions implied by coarse masks, each marked derived with its rule. The geometry is fixed here; which
    /// region each rule reads and produces is `scene/derived.tsv` of the ontology. Only regions the catalogue knows
    /// and the sources did not give are added. Image x grows to the patient's left: the right lung is on the image's left.
    func deriveRegions(_ regions: inout [String: SceneRegion], _ order: inout [String], width: Int, height: Int) {
        func add(_ name: String?, _ m: RegionMask, _ method: String) {
            guard let name, regions[name] == nil, ontology.regions[name] != nil, !m.isEmpty else { return }
            regions[name] = fromMask(name, m, derived: true, method: method)
            order.append(name)
        }
        func mask(_ name: String?) -> RegionMask? { name.flatMap { regions[$0]?.mask } }
        let lungsName = ontology.derivedRegion("lungs")
        let rightName = ontology.derivedRegion("lung", "right"), leftName = ontology.derivedRegion("lung", "left")
        // One mask of both lungs: split at the emptiest column near the middle of its box.
        if let lungsName, let both = mask(lungsName), let rightName, let leftName,
           regions[rightName] == nil, regions[leftName] == nil, let b = both.bbox {
            var counts = [Int](repeating: 0, count: b.width)
            for r in both.runs { for x in Int(r.x0)..<Int(r.x1) { counts[x - b.x0] += 1 } }
            let lo = b.width / 3, hi = max(lo + 1, 2 * b.width / 3)
            var split = b.x0 + b.width / 2, best = Int.max
            for i in lo..<min(hi, counts.count) where counts[i] < best || (counts[i] == best && abs(b.x0 + i - (b.x0 + b.width / 2)) < abs(split - (b.x0 + b.width / 2))) {
                best = counts[i]; split = b.x0 + i
            }
            add(rightName, both.clipped { _ in 0..<split }, "image-left part of '\(lungsName)', split at column \(split) (fewest pixels)")
            add(leftName, both.clipped { _ in split..<width }, "image-right part of '\(lungsName)', split at column \(split) (fewest pixels)")
        }
        for side in ["right", "left"] {
            guard let lungName = ontology.derivedRegion("lung", side), let lung = mask(lungName), let b = lung.bbox, b.height >= 6 else { continue }
            func name(_ rule: String) -> String? { ontology.derivedRegion(rule, side) }
            let H = b.height
            let t1 = b.y0 + H / 3, t2 = b.y0 + (2 * H) / 3, sixth = b.y0 + H / 6, lowSixth = b.y1 - H / 6
            add(name("upper_third"), lung.rows(b.y0..<t1), "upper third of \(lungName) height")
            add(name("middle_third"), lung.rows(t1..<t2), "middle third of \(lungName) height")
            add(name("lower_third"), lung.rows(t2..<b.y1), "lower third of \(lungName) height")
            add(name("top_sixth"), lung.rows(b.y0..<sixth), "top sixth of \(lungName) height")
            // Lateral is away from the midline: image-left for the right side, image-right for the left side.
            let mid = b.x0 + b.width / 2
            let lateral: Range<Int> = side == "right" ? b.x0..<mid : mid..<b.x1
            let medial: Range<Int> = side == "right" ? mid..<b.x1 : b.x0..<mid
            add(name("low_lateral"), lung.rows(lowSixth..<b.y1).clipped { _ in lateral }, "lateral half of the lowest sixth of \(lungName)")
            add(name("low_medial"), lung.rows(lowSixth..<b.y1).clipped { _ in medial }, "medial half of the lowest sixth of \(lungName)")
            let third = b.width / 3
            let hilar: Range<Int> = side == "right" ? (b.x1 - third)..<b.x1 : b.x0..<(b.x0 + third)
            add(name("middle_medial"), lung.rows(t1..<t2).clipped { _ in hilar }, "medial third of the middle third of \(lungName)")
            // A band along the lowest pixel of each column.
            let band = max(2, H / 30)
            let bottoms = lung.columnBottoms()
            var runs: [Run] = []
            for (x, y) in bottoms where y >= t2 {   // columns whose lowest pixel is in the lower third: the dome, not the apex
                for yy in max(0, y - band + 1)...min(height - 1, y + band) { runs.append(Run(y: yy, x0: x, x1: x + 1)) }
            }
            add(name("lower_border"), RegionMask(width: width, height: height, unsorted: runs),
                "band of \(2 * band) px along the lower border of \(lungName)")
        }
        let heartName = ontology.derivedRegion("heart"), silhouetteName = ontology.derivedRegion("silhouette")
        if let silhouetteName, regions[silhouetteName] == nil, let heartName, let heart = mask(heartName) {
            add(silhouetteName, heart, "the \(heartName) mask")
        }
        if let rightName, let leftName, let r = mask(rightName), let l = mask(leftName) {
            if let lungsName, regions[lungsName] == nil { add(lungsName, r.union(l), "union of \(rightName) and \(leftName)") }
            // Between the lungs, row by row, plus the silhouette.
            let re = r.rowExtents(), le = l.rowExtents()
            let heart = mask(silhouetteName)
            let hb = heart?.bbox
            var gaps: [(Int, Int, Int)] = []
            for (y, a) in re { if let c = le[y], a.1 < c.0 { gaps.append((y, a.1, c.0)) } }
            // Low rows where one lung is only its lateral recess would span the whole base: above the silhouette keep
            // the gap, at its level keep it within its columns, and without one drop gaps wider than twice the median.
            let widths = gaps.map { $0.2 - $0.1 }.sorted()
            let median = widths.isEmpty ? 0 : widths[widths.count / 2]
            var runs: [Run] = []
            for (y, a, c) in gaps {
                if let hb {
                    if y < hb.y0 { runs.append(Run(y: y, x0: a, x1: c)) }
                    else if y < hb.y1 { let lo = max(a, hb.x0), hi = min(c, hb.x1); if lo < hi { runs.append(Run(y: y, x0: lo, x1: hi)) } }
                } else if c - a <= 2 * median {
                    runs.append(Run(y: y, x0: a, x1: c))
                }
            }
            var med = RegionMask(width: width, height: height, unsorted: runs)
            if let heart { med = med.union(heart) }
            let medName = ontology.derivedRegion("between_lungs")
            add(medName, med, heart == nil ? "between the lungs, row by row (gaps up to twice the median width)"
                : "between the lungs above the \(silhouetteName ?? "silhouette"), and the \(silhouetteName ?? "silhouette")")
            if let heart, let hb {
                add(ontology.derivedRegion("above_silhouette"), med.rows(0..<hb.y0), "\(medName ?? "the gap between the lungs") above the \(silhouetteName ?? "silhouette")")
                // Sides of the silhouette: split at the middle of the space between the lungs.
                let mids = runs.map { Double(Int($0.x0) + Int($0.x1)) / 2 }
                if !mids.isEmpty {
                    let midline = Int((mids.reduce(0, +) / Double(mids.count)).rounded())
                    let sil = silhouetteName ?? "the silhouette"
                    add(ontology.derivedRegion("silhouette_half", "right"), heart.clipped { _ in 0..<midline }, "\(sil) on the image-left of the midline (column \(midline))")
                    add(ontology.derivedRegion("silhouette_half", "left"), heart.clipped { _ in midline..<width }, "\(sil) on the image-right of the midline (column \(midline))")
                }
            }
        }
    }

    // MARK: Attaching findings

    /// Each finding goes to the regions it names; when the scene lacks one, to its nearest enclosing region present,
    /// or else to the regions present inside it.
    public func attach(_ findings: [Finding], to g: SceneGraph) -> [SceneEdge] {
        let present = Set(g.regions.map(\.name))
        var edges: [SceneEdge] = []
        for f in findings {
            let basis: String = switch f.regionBasis {
            case "anatomy": "anatomy"
            case "laterality": "laterality"
            default: "default_site"
            }
            var seen = Set<String>()
            for target in f.regions {
                for (region, via) in resolve(target, present: present) where seen.insert(region).inserted {
                    edges.append(SceneEdge(finding: f.id, region: region, relation: "located_in", basis: basis, via: via))
                }
            }
        }
        return edges
    }

    /// Regions of the scene standing for `target`: itself, its nearest present ancestor, or its present descendants.
    public func resolve(_ target: String, present: Set<String>) -> [(String, String?)] {
        if present.contains(target) { return [(target, nil)] }
        var p = ontology.regions[target]?.parent
        var steps = 0
        while let q = p, steps < 12 {
            if present.contains(q) { return [(q, target)] }
            p = ontology.regions[q]?.parent; steps += 1
        }
        // Descendants present: keep the top-most ones.
        let inside = present.filter { isDescendant($0, of: target) }
        let top = inside.filter { r in !inside.contains { $0 != r && isDescendant(r, of: $0) } }
        return top.sorted().map { ($0, target) }
    }

    public func isDescendant(_ r: String, of a: String) -> Bool {
        var p = ontology.regions[r]?.parent
        var steps = 0
        while let q = p, steps < 16 { if q == a { return true }; p = ontology.regions[q]?.parent; steps += 1 }
        return false
    }
}
