public import HilumCore
internal import HilumOntology
public import HilumNLP
public import HilumScene
internal import HilumLabels
internal import Foundation

/// The `scene`, `ground` and `compare` ops. Requests carry their masks inline (base64 PNG, RLE strings, COCO
/// objects, boxes): no op reads a file a request names.
extension Service {
    /// Analyzes and labels a report (the same result as `analyze`).
    public func analyzeLabelled(_ text: String, lang: Language?, id: String?) -> AnalyzedReport {
        var r = analyzer.analyze(text, lang: lang, id: id)
        labeler.apply(&r, policy: .keep)
        return r
    }

    /// Reads the mask sources of a `scene` request.
    public func maskSet(params p: JSONValue) throws(HilumError) -> MaskSet {
        let reader = MaskReader(ontology: ontology)
        var set = MaskSet()
        if let img = p["image"], !img.isNull {
            guard let w = img["width"]?.int, let h = img["height"]?.int, w > 0, h > 0 else {
                throw HilumError("request.invalid_params", "'image' must be {\"width\": int, \"height\": int}")
            }
            try set.setSize(w, h, what: "image")
        }
        func canvas() -> (Int, Int)? { set.width.flatMap { w in set.height.map { (w, $0) } } }
        func base64(_ v: JSONValue?, _ what: String) throws(HilumError) -> [UInt8] {
            guard let s = v?.string else { throw HilumError("request.invalid_params", "\(what) must be a base64 string") }
            guard let d = Data(base64Encoded: s, options: .ignoreUnknownCharacters) else {
                throw HilumError("request.invalid_params", "\(what) is not valid base64")
            }
            return [UInt8](d)
        }
        if let masks = p["masks"]?.array {
            for (i, m) in masks.enumerated() {
                guard let region = m["region"]?.string else { throw HilumError("request.invalid_params", "masks[\(i)] needs 'region'") }
                var off: (x: Int, y: Int)? = nil
                if let o = m["offset"]?.array {
                    guard o.count == 2, let x = o[0].int, let y = o[1].int else { throw HilumError("request.invalid_params", "masks[\(i)].offset must be [x, y]") }
                    off = (x, y)
                }
                let one = try reader.binaryPNG(region: region, bytes: try base64(m["png_base64"], "masks[\(i)].png_base64"),
                                               offset: off, canvas: canvas(), source: "masks[\(i)]")
                try set.merge(one)
            }
        }
        if let lm = p["label_map"], !lm.isNull {
            let values: [Int: String]
            if let scheme = lm["scheme"]?.string {
                guard let v = reader.valueMap(scheme: scheme) else {
                    throw HilumError("mask.unknown_scheme", "no mask scheme '\(scheme)'; known: \(ontology.masks.keys.sorted().joined(separator: ", "))")
                }
                values = v
            } else if case .object(let pairs)? = lm["values"] {
                var v: [Int: String] = [:]
                for (k, r) in pairs {
                    guard let n = Int(k), let name = r.string else { throw HilumError("request.invalid_params", "label_map.values maps integer keys to region names") }
                    v[n] = name
                }
                values = v
            } else {
                throw HilumError("request.invalid_params", "label_map needs 'values' {\"1\": \"right lung\", …} or 'scheme'")
            }
            try set.merge(try reader.labelMap(bytes: try base64(lm["png_base64"], "label_map.png_base64"), values: values, source: "label_map"))
        }
        if let rles = p["rle"]?.array {
            for (i, r) in rles.enumerated() {
                guard let region = r["region"]?.string, let counts = r["counts"] else {
                    throw HilumError("request.invalid_params", "rle[\(i)] needs 'region' and 'counts'")
                }
                let name = try reader.region(region)
                let order = r["order"]?.string ?? (counts.string != nil && r["size"] == nil ? "row-major" : "coco")
                var one = MaskSet()
                if order == "row-major" {
                    guard let (w, h) = canvas() else { throw HilumError("request.invalid_params", "row-major RLE needs 'image' {width, height}") }
                    guard let s = counts.string else { throw HilumError("request.invalid_params", "rle[\(i)].counts must be 'start length …'") }
                    one.width = w; one.height = h
                    one.regions.append(SourceRegion(name: name, mask: try RLE.decodeRowMajor(Substring(s).utf8, width: w, height: h, name: "rle[\(i)]"),
                                                    method: "rle-chexmask", source: "rle[\(i)]"))
                } else {
                    let coco: JSONValue = .object([("annotations", .array([.object([("id", .number(Double(i))), ("category_id", .number(1)),
                        ("segmentation", .object([("size", r["size"] ?? .null), ("counts", counts)]))])])),
                        ("categories", .array([.object([("id", .number(1)), ("name", .string(name))])]))])
                    var w = JSONWriter(); w.value(coco)
                    one = try reader.coco(bytes: w.bytes, image: nil, source: "rle[\(i)]")
                }
                try set.merge(one)
            }
        }
        if let coco = p["coco"], !coco.isNull {
            var w = JSONWriter(); w.value(coco)
            try set.merge(try reader.coco(bytes: w.bytes, image: try Params.optionalString(p, "coco_image"), source: "coco"))
        }
        if let boxes = p["boxes"], !boxes.isNull {
            let root: JSONValue = boxes.array != nil ? .object([("boxes", boxes)]) : boxes
            try set.merge(try reader.boxes(json: root, imageSize: canvas(), source: "boxes"))
        }
        return set
    }

    /// The stored form of a report's scene graph: `scene` is a Hilum scene (regions with boxes), Chest ImaGenome
    /// objects, or `{image, boxes}`; the report's findings are attached to its regions.
    public func sceneRecord(report: AnalyzedReport, scene: JSONValue) throws(HilumError) -> (width: Int, height: Int, json: String) {
        let builder = SceneBuilder(ontology: ontology)
        var g: SceneGraph
        if scene["regions"] != nil {
            g = try SceneGraph.parse(scene, ontology: ontology)
            g.report = report
            g.edges = builder.attach(report.findings, to: g)
        } else {
            let set = try MaskReader(ontology: ontology).boxes(json: scene, imageSize: nil, source: "scene")
            g = try builder.build(masks: set, report: report, derive: false)
        }
        var w = JSONWriter()
        g.writeJSON(to: &w, ontology: ontology)
        return (g.width, g.height, w.string)
    }

    /// The `scene` op.
    public func scene(params p: JSONValue, into w: inout JSONWriter) throws(HilumError) {
        let set = try maskSet(params: p)
        let text = try Params.optionalString(p, "text")
        let lang = try Params.language(p)
        let id = try Params.optionalString(p, "id")
        let report = text.map { analyzeLabelled($0, lang: lang, id: id) }
        guard set.width != nil else {
            throw HilumError("request.invalid_params", "give masks, label_map, rle, coco or boxes (or image {width, height})")
        }
        let derive = p["derive"]?.bool ?? true
        let g = try SceneBuilder(ontology: ontology).build(masks: set, report: report, derive: derive)
        switch try Params.optionalString(p, "format") ?? "hilum" {
        case "hilum": g.writeJSON(to: &w, ontology: ontology, includeMasks: p["include_masks"]?.bool ?? false)
        case "imagenome": g.writeImaGenome(to: &w, ontology: ontology, imageID: try Params.optionalString(p, "image_id") ?? "image", text: text)
        case let f: throw HilumError("request.invalid_params", "'format' must be hilum or imagenome, not '\(f)'")
        }
    }

    /// The `ground` op: a phrase (or a concept id, or a finding of a report) to the regions of a scene, ranked.
    public func ground(params p: JSONValue, into w: inout JSONWriter) throws(HilumError) {
        guard let sceneJSON = p["scene"], !sceneJSON.isNull else { throw HilumError("request.invalid_params", "missing 'scene' (the result of the scene op)") }
        let scene = try SceneGraph.parse(sceneJSON, ontology: ontology)
        let grounder = Grounder(ontology: ontology)
        let lang = try Params.language(p)
        if let phrase = try Params.optionalString(p, "phrase") {
            let r = analyzeLabelled(phrase, lang: lang, id: nil)
            let hits = grounder.rank(targets: grounder.targets(for: r, phrase: phrase), scene: scene)
            Grounder.writeJSON(phrase: phrase, report: r, hits: hits, to: &w)
        } else if let cui = try Params.optionalString(p, "cui") {
            guard ontology.concepts[cui] != nil else { throw HilumError("ontology.not_found", "no concept \(cui)") }
            let targets = grounder.conceptRegions(cui).map { (region: $0.0, basis: $0.1, finding: Finding?.none) }
            Grounder.writeJSON(phrase: cui, report: nil, hits: grounder.rank(targets: targets, scene: scene), to: &w)
        } else if let text = try Params.optionalString(p, "report"), let fid = try Params.optionalString(p, "finding") {
            let r = analyzeLabelled(text, lang: lang, id: nil)
            guard let f = r.findings.first(where: { $0.id == fid }) else {
                throw HilumError("scene.finding_not_found", "the report has no finding '\(fid)' (it has \(r.findings.map(\.id).joined(separator: ", ")))")
            }
            var one = r; one.findings = [f]
            let hits = grounder.rank(targets: grounder.targets(for: one, phrase: f.text), scene: scene)
            Grounder.writeJSON(phrase: f.text, report: one, hits: hits, to: &w)
        } else {
            throw HilumError("request.invalid_params", "give 'phrase', 'cui', or 'report' with 'finding'")
        }
    }

    /// The `compare` op: exams of one patient in order (by date when all have one).
    public func compare(params p: JSONValue, into w: inout JSONWriter) throws(HilumError) {
        guard let list = p["exams"]?.array, list.count >= 2 else {
            throw HilumError("request.invalid_params", "'exams' must list at least two exams {\"id\", \"text\", \"date\"?, \"scene\"?}")
        }
        guard list.count <= 100 else { throw HilumError("request.too_large", "at most 100 exams per comparison") }
        var exams: [Exam] = []
        for (i, e) in list.enumerated() {
            guard let text = e["text"]?.string else { throw HilumError("request.invalid_params", "exams[\(i)] needs 'text'") }
            let id = try Params.optionalString(e, "id") ?? String(i + 1)
            let r = analyzeLabelled(text, lang: try Params.language(e), id: id)
            var scene: SceneGraph?
            if let s = e["scene"], !s.isNull {
                var g = try SceneGraph.parse(s, ontology: ontology)
                g.report = r
                g.edges = SceneBuilder(ontology: ontology).attach(r.findings, to: g)
                scene = g
            }
            exams.append(Exam(id: id, date: try Params.optionalString(e, "date"), report: r, scene: scene))
        }
        Comparator.writeJSON(exams, Comparator.compare(exams), to: &w)
    }
}
