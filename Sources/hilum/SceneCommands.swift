import ArgumentParser
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumScene
import HilumService

/// Reads every mask source named on the command line into one set.
struct MaskOptions: ParsableArguments {
    @Option(name: .customLong("mask"), help: "REGION=FILE.png (binary mask; any non-zero pixel is the region), optionally REGION=FILE.png@LEFT,TOP for a cropped mask. Repeatable.")
    var masks: [String] = []
    @Option(name: .customLong("masks"), help: "A folder of binary PNG masks named by region (or listed in its manifest.tsv: file, region[, left, top]).")
    var maskDir: String?
    @Option(name: .customLong("label-map"), help: "A PNG label map (one integer per pixel).")
    var labelMap: String?
    @Option(name: .customLong("label-values"), help: "value<TAB>region file for --label-map, or a scheme of Ontology/masks (chexmask, paxray-basic).")
    var labelValues: String?
    @Option(name: .customLong("rle-csv"), help: "A CheXmask-style CSV (RLE columns per structure, Height, Width).")
    var rleCSV: String?
    @Option(help: "The data row of --rle-csv (1-based).") var row: Int?
    @Option(name: .customLong("image-id"), help: "Pick the --rle-csv row or the --coco image by image id.") var imageID: String?
    @Option(help: "A COCO annotation file (RLE, compressed RLE, polygons or boxes).") var coco: String?
    @Option(help: "Boxes JSON: Chest ImaGenome scene-graph objects, a Hilum scene, or {image, boxes:[{name, bbox}]}.") var boxes: String?
    @Option(name: .customLong("image-size"), help: "WxH of the image (for cropped masks, boxes, CSV rows without a size).") var imageSize: String?
    @Option(name: .customLong("max-pixels"), help: "Refuse images with more pixels than this.") var maxPixels: Int = 64 << 20

    func size() throws -> (Int, Int)? {
        guard let s = imageSize else { return nil }
        let p = s.lowercased().split(separator: "x")
        guard p.count == 2, let w = Int(p[0]), let h = Int(p[1]), w > 0, h > 0 else { throw ValidationError("--image-size must be WxH, e.g. 1024x1024") }
        return (w, h)
    }

    func read(_ o: Ontology) throws -> MaskSet {
        var reader = MaskReader(ontology: o)
        reader.limits.maxPixels = maxPixels
        var set = MaskSet()
        let canvas = try size()
        if let (w, h) = canvas { try set.setSize(w, h, what: "--image-size") }
        func file(_ p: String) throws -> [UInt8] {
            guard let d = FileManager.default.contents(atPath: p) else { throw HilumError("input.not_found", "cannot read '\(p)'") }
            guard d.count <= reader.limits.maxFileBytes else { throw HilumError("mask.too_large", "'\(p)' is over \(reader.limits.maxFileBytes) bytes") }
            return [UInt8](d)
        }
        for spec in masks {
            guard let eq = spec.lastIndex(of: "=") else { throw ValidationError("--mask must be REGION=FILE.png, not '\(spec)'") }
            let region = String(spec[..<eq])
            var path = String(spec[spec.index(after: eq)...])
            var off: (x: Int, y: Int)? = nil
            if let at = path.lastIndex(of: "@"), !FileManager.default.fileExists(atPath: path) {
                let xy = path[path.index(after: at)...].split(separator: ",")
                guard xy.count == 2, let x = Int(xy[0]), let y = Int(xy[1]) else { throw ValidationError("--mask offset must be @LEFT,TOP") }
                off = (x, y); path = String(path[..<at])
            }
            let cv: (Int, Int)? = set.width.flatMap { w in set.height.map { (w, $0) } }
            try set.merge(try reader.binaryPNG(region: region, bytes: try file(path), offset: off, canvas: cv, source: (path as NSString).lastPathComponent))
        }
        if let d = maskDir {
            let cv: (Int, Int)? = set.width.flatMap { w in set.height.map { (w, $0) } }
            try set.merge(try reader.folder(d, canvas: cv))
        }
        if let lm = labelMap {
            guard let lv = labelValues else { throw ValidationError("--label-map needs --label-values FILE.tsv (or a scheme name such as chexmask)") }
            let values: [Int: String]
            if let v = reader.valueMap(scheme: lv), !FileManager.default.fileExists(atPath: lv) { values = v }
            else { values = try reader.valueMap(text: String(decoding: try file(lv), as: UTF8.self), name: lv) }
            try set.merge(try reader.labelMap(bytes: try file(lm), values: values, source: (lm as NSString).lastPathComponent))
        }
        if let csv = rleCSV {
            if row == nil && imageID == nil { throw ValidationError("--rle-csv needs --row N (1-based) or --image-id ID") }
            try set.merge(try reader.chexmaskCSV(bytes: try file(csv), row: row, id: imageID, defaultSize: canvas ?? (1024, 1024),
                                                 source: (csv as NSString).lastPathComponent))
        }
        if let c = coco {
            try set.merge(try reader.coco(bytes: try file(c), image: imageID, source: (c as NSString).lastPathComponent))
        }
        if let b = boxes {
            let v = try JSONParser().parse(String(decoding: try file(b), as: UTF8.self))
            let cv: (Int, Int)? = set.width.flatMap { w in set.height.map { (w, $0) } }
            try set.merge(try reader.boxes(json: v, imageSize: cv, source: (b as NSString).lastPathComponent))
        }
        return set
    }
}

struct SceneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scene",
        abstract: "Build the anatomy-centred scene graph of an image: regions from masks or boxes (plus derived zones), the report's findings attached to them.")
    @OptionGroup var ont: OntologyOption
    @Option(help: "The report text file (- for standard input). Without it, only the regions are printed.") var report: String?
    @Option(help: "auto, en or es") var lang: String = "auto"
    @OptionGroup var masks: MaskOptions
    @Option(help: "hilum (default) or imagenome (Chest ImaGenome scene-graph shape).") var format: String = "hilum"
    @Flag(name: .customLong("include-masks"), help: "Add each region's mask as row-major RLE.") var includeMasks = false
    @Flag(name: .customLong("no-derive"), help: "Do not derive zones, angles, hila and mediastinum from coarse masks.") var noDerive = false
    @Option(help: "Also draw the regions and findings to this SVG file.") var svg: String?
    @Option(help: "A PNG of the radiograph to draw under the SVG.") var image: String?
    @Option(name: [.short, .long], help: "Write the JSON here instead of standard output.") var output: String?

    func run() throws {
        let o = try ont.load()
        let service = Service(ontology: o)
        let language = try parseLanguage(lang)
        let set = try masks.read(o)
        var text: String?
        var r: AnalyzedReport?
        if let report {
            let bytes = try readInput(report)
            text = String(decoding: bytes, as: UTF8.self)
            r = service.analyzeLabelled(text ?? "", lang: language, id: report == "-" ? nil : (report as NSString).lastPathComponent)
        }
        let g = try SceneBuilder(ontology: o).build(masks: set, report: r, derive: !noDerive)
        var w = JSONWriter()
        switch format {
        case "hilum": g.writeJSON(to: &w, ontology: o, includeMasks: includeMasks)
        case "imagenome": g.writeImaGenome(to: &w, ontology: o, imageID: masks.imageID ?? "image", text: text)
        default: throw ValidationError("--format must be hilum or imagenome")
        }
        w.byte(0x0A)
        try writeOut(w.bytes, to: output)
        for warn in g.warnings { eprint("hilum: warning: \(warn.code): \(warn.message)") }
        if let svg {
            let byID = Dictionary((r?.findings ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let marks = g.edges.compactMap { e -> (String, String, Assertion?)? in
                guard let f = byID[e.finding] else { return nil }
                return (e.region, "\(f.concept.name) (\(f.assertion.rawValue))", f.assertion)
            }
            let png = try image.map { try readInput($0) }
            let s = SVGRenderer.render(scene: g, highlight: marks, imagePNG: png, title: "Hilum scene: \(g.regions.count) regions, \(r?.findings.count ?? 0) findings")
            try writeOut(Array(s.utf8), to: svg)
        }
    }
}

/// Writes `bytes` to `path` (`-` or none: standard output), every byte or an error.
func writeOut(_ bytes: [UInt8], to path: String?) throws(HilumError) {
    guard let path, path != "-" else { try writeAll(bytes, 1); return }
    let fd = try openOutput(path)
    defer { close(fd) }
    try writeAll(bytes, fd)
}

/// Opens an output file for writing (created or truncated) with open(2): a device or a link such as /dev/stdout is
/// written through, where FileManager's whole-file writes would put a new file in its place.
func openOutput(_ path: String) throws(HilumError) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
        throw HilumError("output.cannot_write", "cannot open '\(path)' for writing: \(String(cString: strerror(errno)))")
    }
    return fd
}

struct GroundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground",
        abstract: "Ground a phrase (English or Spanish), a concept, or a finding of a report to the regions of a scene, ranked, with boxes.")
    @OptionGroup var ont: OntologyOption
    @Option(help: "The phrase, e.g. \"small left basilar effusion\".") var phrase: String?
    @Option(help: "A concept id (CUI) instead of a phrase.") var cui: String?
    @Option(help: "A report file; with --finding, ground that finding.") var report: String?
    @Option(help: "A finding id of --report (f1, f2, …).") var finding: String?
    @Option(help: "The scene JSON written by hilum scene.") var scene: String
    @Option(help: "auto, en or es") var lang: String = "auto"
    @Option(help: "Draw the grounded regions to this SVG file.") var svg: String?
    @Option(help: "A PNG of the radiograph to draw under the SVG.") var image: String?

    func run() throws {
        let o = try ont.load()
        let service = Service(ontology: o)
        let sceneJSON = try JSONParser().parse(String(decoding: try readInput(scene), as: UTF8.self))
        var params: [(String, JSONValue)] = [("scene", sceneJSON), ("lang", .string(lang))]
        if let phrase { params.append(("phrase", .string(phrase))) }
        else if let cui { params.append(("cui", .string(cui))) }
        else if let report, let finding {
            params.append(("report", .string(String(decoding: try readInput(report), as: UTF8.self)))); params.append(("finding", .string(finding)))
        } else { throw ValidationError("give --phrase, --cui, or --report with --finding") }
        var w = JSONWriter()
        try service.ground(params: .object(params), into: &w)
        let result = try JSONParser().parse(w.string)
        w.byte(0x0A)
        try writeAll(w.bytes, 1)
        if let svg {
            let g = try SceneGraph.parse(sceneJSON, ontology: o)
            let marks = (result["regions"]?.array ?? []).compactMap { h -> (String, String, Assertion?)? in
                guard let n = h["name"]?.string else { return nil }
                let score = h["score"]?.double ?? 0
                return (n, "\(phrase ?? cui ?? finding ?? "") \(String(format: "%.2f", score))", h["assertion"]?.string.flatMap(Assertion.init(rawValue:)))
            }
            let png = try image.map { try readInput($0) }
            try writeOut(Array(SVGRenderer.render(scene: g, highlight: marks, imagePNG: png, title: "Hilum grounding: \(phrase ?? cui ?? finding ?? "")").utf8), to: svg)
        }
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare sequential exams of a patient: per region and finding, improved / worsened / no change / new / resolved.")
    @OptionGroup var ont: OntologyOption
    @Option(help: "A report file, oldest first (repeat; or use --exams).") var report: [String] = []
    @Option(help: "The scene JSON of each --report, in the same order (optional).") var scene: [String] = []
    @Option(help: "The study date of each --report (ISO 8601), in the same order (optional; orders the exams).") var date: [String] = []
    @Option(help: "A JSONL file of exams {\"id\", \"date\"?, \"text\", \"lang\"?}.") var exams: String?
    @Option(help: "auto, en or es") var lang: String = "auto"

    func run() throws {
        let o = try ont.load()
        let service = Service(ontology: o)
        var list: [JSONValue] = []
        if let exams {
            for (i, line) in String(decoding: try readInput(exams), as: UTF8.self).split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                do { list.append(try JSONParser().parse(String(line))) } catch { throw HilumError(error.code, "\(exams):\(i + 1): \(error.message)") }
            }
        }
        guard scene.isEmpty || scene.count == report.count else { throw ValidationError("give one --scene per --report") }
        guard date.isEmpty || date.count == report.count else { throw ValidationError("give one --date per --report") }
        for (i, r) in report.enumerated() {
            var e: [(String, JSONValue)] = [("id", .string((r as NSString).lastPathComponent)),
                                            ("text", .string(String(decoding: try readInput(r), as: UTF8.self))), ("lang", .string(lang))]
            if !date.isEmpty { e.append(("date", .string(date[i]))) }
            if !scene.isEmpty { e.append(("scene", try JSONParser().parse(String(decoding: try readInput(scene[i]), as: UTF8.self)))) }
            list.append(.object(e))
        }
        guard list.count >= 2 else { throw ValidationError("compare needs at least two exams (--report A --report B, or --exams FILE)") }
        var w = JSONWriter()
        try service.compare(params: .object([("exams", .array(list))]), into: &w)
        w.byte(0x0A)
        try writeAll(w.bytes, 1)
    }
}
