import Foundation
import Testing
import HilumCore
import HilumOntology
import HilumNLP
import HilumScene

enum F {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let masks = root.deletingLastPathComponent().appendingPathComponent("shared/data/masks-real")
    static let ontology: Ontology = {
        do { return try Ontology.load(from: root.appendingPathComponent("Ontology")) } catch { preconditionFailure("\(error)") }
    }()
    static let reader = MaskReader(ontology: ontology)
    static let analyzer = Analyzer(ontology: ontology)
    static func bytes(_ rel: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: masks.appendingPathComponent(rel))) }
    static func box(_ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) -> Box { Box(x0: x0, y0: y0, x1: x1 + 1, y1: y1 + 1) }   // SOURCES.md ranges are inclusive

    static func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as HilumError { return e.code } catch { return "other" }
    }

    /// The CheXmask example's three masks.
    static func chexmaskExample() throws -> MaskSet {
        var set = MaskSet()
        for (r, f) in [("right lung", "RL_mask.png"), ("left lung", "LL_mask.png"), ("heart", "H_mask.png")] {
            try set.merge(try reader.binaryPNG(region: r, bytes: try bytes("chexmask-example/\(f)"), source: f))
        }
        return set
    }
}

@Suite("Mask readers on real masks (expected values from masks-real/SOURCES.md)")
struct RealMaskTests {
    @Test func chexmaskExamplePNGs() throws {
        let set = try F.chexmaskExample()
        #expect(set.width == 786 && set.height == 899)
        let expect: [String: (Int, Box)] = [
            "right lung": (149_899, F.box(48, 351, 102, 819)),
            "left lung": (133_806, F.box(424, 740, 94, 821)),
            "heart": (82_869, F.box(275, 597, 417, 758)),
        ]
        for r in set.regions {
            let (px, b) = try #require(expect[r.name])
            #expect(r.mask?.area == px, "\(r.name)")
            #expect(r.mask?.bbox == b, "\(r.name)")
        }
        // The masks overlap as documented.
        let m = Dictionary(uniqueKeysWithValues: set.regions.map { ($0.name, $0.mask!) })
        #expect(m["right lung"]!.intersectionArea(m["heart"]!) == 459)
        #expect(m["left lung"]!.intersectionArea(m["heart"]!) == 1273)
        #expect(m["right lung"]!.intersectionArea(m["left lung"]!) == 0)
    }

    @Test(arguments: [(1, 74_013, F.box(58, 454, 43, 419)), (2, 93_159, F.box(54, 455, 59, 501)),
                      (3, 48_006, F.box(73, 454, 44, 316)), (4, 68_727, F.box(46, 475, 31, 376))])
    func montgomeryLungMasks(n: Int, px: Int, box: Box) throws {
        let set = try F.reader.binaryPNG(region: "lung", bytes: try F.bytes("lungs-montgomery-imlab/\(n)-mask.png"))
        #expect(set.regions.first?.mask?.area == px)
        #expect(set.regions.first?.mask?.bbox == box)
        // One mask of both lungs splits into a right lung on the image's left and a left lung on its right.
        let g = try SceneBuilder(ontology: F.ontology).build(masks: set, report: nil)
        let r = try #require(g.region("right lung")), l = try #require(g.region("left lung"))
        #expect(r.derived && l.derived)
        #expect(r.area + l.area == px)
        #expect(r.centroid.x < l.centroid.x)
    }

    @Test func v7SemanticLabelMaps() throws {
        let values = [255: "lung", 127: "trachea"]   // 127 (Ignore) stands in for a second label value
        let a = try F.reader.labelMap(bytes: try F.bytes("v7-covid/semantic/1676457.png"), values: values)
        #expect(a.width == 1200 && a.height == 1125)
        let m = Dictionary(uniqueKeysWithValues: a.regions.map { ($0.name, $0.mask!) })
        #expect(m["lung"]?.area == 427_272 && m["lung"]?.bbox == F.box(101, 1056, 202, 963))
        #expect(m["trachea"]?.area == 2_643 && m["trachea"]?.bbox == F.box(357, 500, 322, 447))
        let b = try F.reader.labelMap(bytes: try F.bytes("v7-covid/semantic/1676725.png"), values: [255: "lung"])
        #expect(b.regions.first?.mask?.area == 256_458 && b.regions.first?.mask?.bbox == F.box(144, 881, 202, 809))
        // The unmapped value is reported, with its pixel count, not dropped silently.
        #expect(b.warnings.contains { $0.code == "mask.unmapped_value" && $0.message.contains("7645 pixels") })
        let c = try F.reader.labelMap(bytes: try F.bytes("v7-covid/semantic/1676192.png"), values: [255: "lung"])
        #expect(c.regions.first?.mask?.area == 1_005_533 && c.regions.first?.mask?.bbox == F.box(154, 1783, 259, 1373))
        // The dataset's own class map (CSV with a header and a background row) works as a value map.
        let text = try String(contentsOf: F.masks.appendingPathComponent("v7-covid/semantic/class_mapping.csv"), encoding: .utf8)
        let map = try F.reader.valueMap(text: text, name: "class_mapping.csv")
        let d = try F.reader.labelMap(bytes: try F.bytes("v7-covid/semantic/1676224.png"), values: map)
        #expect(d.regions.first?.name == "lung" && d.regions.first?.mask?.area == 26_270 && d.regions.first?.mask?.bbox == F.box(91, 297, 51, 253))
    }

    @Test(arguments: [
        ("ChestX-Ray8.csv", "00028162_002.png", [("right lung", 131_314, F.box(162, 464, 223, 899)), ("left lung", 118_200, F.box(531, 832, 225, 938)), ("heart", 65_075, F.box(410, 687, 502, 821))]),
        ("ChestX-Ray8.csv", "00026387_001.png", [("right lung", 137_697, F.box(133, 446, 178, 928)), ("left lung", 127_704, F.box(546, 881, 166, 948)), ("heart", 121_983, F.box(366, 740, 511, 952))]),
        ("Padchest.csv", "216840111366964013217898866992011332134237003_01-031-075.png", [("right lung", 77_027, F.box(178, 416, 299, 804)), ("left lung", 62_358, F.box(472, 878, 247, 637)), ("heart", 66_152, F.box(386, 747, 430, 682))]),
        ("VinDr-CXR.head6.csv", "5780e843511eb33150ad2d151aeed276", [("right lung", 108_265, F.box(199, 491, 221, 843)), ("left lung", 101_792, F.box(567, 836, 227, 870)), ("heart", 62_701, F.box(394, 701, 497, 785))]),
        ("VinDr-CXR.head6.csv", "b4d9fcbd83e33396cf8178e6b755acd8", [("right lung", 130_661, F.box(160, 457, 160, 833)), ("left lung", 118_601, F.box(530, 819, 170, 852)), ("heart", 70_477, F.box(386, 695, 470, 786))]),
    ])
    func chexmaskCSVRows(file: String, id: String, expected: [(String, Int, Box)]) throws {
        let set = try F.reader.chexmaskCSV(bytes: try F.bytes("chexmask-csv/\(file)"), row: nil, id: id, defaultSize: (1024, 1024))
        #expect(set.width == 1024 && set.height == 1024)
        for (name, px, box) in expected {
            let m = try #require(set.regions.first { $0.name == name }?.mask, "\(name)")
            #expect(m.area == px, "\(name)")
            #expect(m.bbox == box, "\(name)")
        }
        if file == "Padchest.csv" { #expect(set.warnings.contains { $0.code == "mask.assumed_size" }) }
    }

    @Test func chexmaskCSVByRowNumberAndMissingRow() throws {
        let b = try F.bytes("chexmask-csv/VinDr-CXR.head6.csv")
        let set = try F.reader.chexmaskCSV(bytes: b, row: 1, id: nil, defaultSize: nil)
        #expect(set.regions.first { $0.name == "right lung" }?.mask?.area == 108_265)
        #expect(F.code { _ = try F.reader.chexmaskCSV(bytes: b, row: 6, id: nil, defaultSize: nil) } == "mask.row_not_found")
        // Padchest rows 1-30 have no Height/Width: without a default size that is a clear error.
        let p = try F.bytes("chexmask-csv/Padchest.csv")
        #expect(F.code { _ = try F.reader.chexmaskCSV(bytes: p, row: 1, id: nil, defaultSize: nil) } == "mask.missing_size")
    }

    @Test func cocoUncompressedRLEWithSwappedSize() throws {
        // Rename the 'Ignore' category to a region so its RLE annotations are read (in memory; the file is unchanged).
        let text = try String(contentsOf: F.masks.appendingPathComponent("v7-covid/coco_rle_excerpt.json"), encoding: .utf8)
        let renamed = text.replacingOccurrences(of: "\"Ignore\"", with: "\"trachea\"")
        for (image, px, box) in [("6699", 2_478, F.box(357, 499, 322, 447)), ("6967", 7_963, Box?.none)] as [(String, Int, Box?)] {
            let set = try F.reader.coco(bytes: Array(renamed.utf8), image: image)
            let m = try #require(set.regions.first { $0.name == "trachea" }?.mask)
            #expect(m.area == px)
            if let box { #expect(m.bbox == box) }
            #expect(set.warnings.contains { $0.code == "mask.swapped_size" })
            // Lung polygons are rasterized on the same image.
            #expect(set.regions.contains { $0.name == "lung" && $0.method == "polygon-coco" })
        }
        // Polygons of image 6699 agree with the semantic PNG of the same image (IoU of boxes close to 1).
        let poly = try F.reader.coco(bytes: Array(text.utf8), image: "6699").regions.first { $0.name == "lung" }?.mask
        let png = try F.reader.labelMap(bytes: try F.bytes("v7-covid/semantic/1676457.png"), values: [255: "lung"]).regions.first?.mask
        let a = try #require(poly), b = try #require(png)
        #expect(Double(a.intersectionArea(b)) / Double(a.area + b.area - a.intersectionArea(b)) > 0.97)
    }

    @Test func croppedRGBAMasksPlacedAtTheirOffsets() throws {
        let pre = "gb-multilabel/masks/0fc7f55c1dac1528b4459ef3adbae236acab1fee_"
        let cases: [(String, String, (Int, Int), Int, Box)] = [
            ("left lung", "edEmKNMQTfyXraNNy.png", (516, 0), 169_327, F.box(516, 904, 0, 750)),
            ("right lung", "fNkxZuvnwHQbFG28Y.png", (37, 21), 192_542, F.box(37, 436, 21, 677)),
            ("trachea", "esxKLGtPyD5km63b6.png", (336, 0), 31_478, F.box(336, 630, 0, 409)),
        ]
        for (region, file, off, px, box) in cases {
            let set = try F.reader.binaryPNG(region: region, bytes: try F.bytes(pre + file), offset: off, canvas: (943, 751))
            #expect(set.regions.first?.mask?.area == px, "\(region)")
            #expect(set.regions.first?.mask?.bbox == box, "\(region)")
        }
        // A crop that does not fit the image is an error, not a clipped mask.
        #expect(F.code { _ = try F.reader.binaryPNG(region: "left lung", bytes: try F.bytes(pre + "edEmKNMQTfyXraNNy.png"), offset: (600, 0), canvas: (943, 751)) } == "mask.size_mismatch")
    }
}

@Suite("Synthetic masks and decoders")
struct SyntheticMaskTests {
    @Test func grayPaletteAnd16BitLabelMaps() throws {
        let w = 7, h = 5
        var v = [Int](repeating: 0, count: w * h)
        for y in 1..<4 { for x in 1..<3 { v[y * w + x] = 1 } }
        for y in 0..<2 { for x in 4..<7 { v[y * w + x] = 2 } }
        v[4 * w + 6] = 3
        // 8-bit gray
        let g8 = try PNGDecoder.decode(PNGWriter.encode(width: w, height: h, values: v))
        #expect(g8.pixels.map(Int.init) == v)
        // 16-bit values above 255 survive
        let big = v.map { $0 == 0 ? 0 : 1000 + $0 }
        let g16 = try PNGDecoder.decode(PNGWriter.encode(width: w, height: h, values: big, bitDepth: 16))
        #expect(g16.pixels.map(Int.init) == big)
        // palette: indices, not colours
        let pal = try PNGDecoder.decode(PNGWriter.encode(width: w, height: h, values: v, colorType: 3,
                                                         palette: [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)]))
        #expect(pal.pixels.map(Int.init) == v)
        // 2-bit gray keeps values (no scaling to 0-255)
        let g2 = try PNGDecoder.decode(PNGWriter.encode(width: w, height: h, values: v, bitDepth: 2))
        #expect(g2.pixels.map(Int.init) == v)
        // 1-bit binary mask
        let bin = v.map { $0 == 1 ? 1 : 0 }
        let m = try F.reader.binaryPNG(region: "right lung", bytes: PNGWriter.encode(width: w, height: h, values: bin, bitDepth: 1))
        #expect(m.regions.first?.mask?.area == 6 && m.regions.first?.mask?.bbox == Box(x0: 1, y0: 1, x1: 3, y1: 4))
        // label map → regions, exact boxes and centroid
        let set = try F.reader.labelMap(bytes: PNGWriter.encode(width: w, height: h, values: big, bitDepth: 16),
                                        values: [1001: "right lung", 1002: "left lung", 1003: "heart"])
        let r = try #require(set.regions.first { $0.name == "left lung" }?.mask)
        #expect(r.area == 6 && r.bbox == Box(x0: 4, y0: 0, x1: 7, y1: 2))
        #expect(r.centroid?.x == 5 && r.centroid?.y == 0.5)
    }

    @Test func cocoCompressedCountsRoundTrip() throws {
        // pycocotools' documented examples: M=[0 0 1 1 1 0 1] → counts [2 3 1 1]; M=[1 1 1 1 1 1 0] → [0 6 1].
        let a = try RLE.decodeCOCO(counts: [2, 3, 1, 1], height: 7, width: 1, name: "a")
        #expect(a.runs.map { Int($0.y) } == [2, 3, 4, 6])
        let b = try RLE.decodeCOCO(counts: [0, 6, 1], height: 7, width: 1, name: "b")
        #expect(b.area == 6 && !b.contains(x: 0, y: 6))
        // Encode counts with the documented string scheme (5-bit groups, +48, delta to the count two before) and
        // decode them back.
        func encode(_ cnts: [Int]) -> String {
            var s = ""
            for (i, c0) in cnts.enumerated() {
                var x = c0
                if i > 2 { x -= cnts[i - 2] }
                var more = true
                while more {
                    var c = x & 0x1f
                    x >>= 5
                    more = (c & 0x10) != 0 ? x != -1 : x != 0
                    if more { c |= 0x20 }
                    s.append(Character(Unicode.Scalar(UInt8(c + 48))))
                }
            }
            return s
        }
        let counts = [5, 3, 40, 1, 2, 900, 17, 0, 32]
        #expect(try RLE.cocoCounts(fromString: encode(counts), name: "t") == counts)
        // Column-major: a 3x2 (h x w) mask with the first column set.
        let c = try RLE.decodeCOCO(counts: [0, 3, 3], height: 3, width: 2, name: "c")
        #expect(c.bbox == Box(x0: 0, y0: 0, x1: 1, y1: 3))
    }

    @Test func chexmaskRowMajorRunsMayCrossRows() throws {
        let m = try RLE.decodeRowMajor(Substring("4 4").utf8, width: 5, height: 2, name: "t")
        #expect(m.area == 4 && m.runs.count == 2 && m.bbox == Box(x0: 0, y0: 0, x1: 5, y1: 2))
        #expect(m.rleRowMajor() == "4 2 6 2")
    }

    @Test func polygonRasterIsExactForAxisAlignedSquares() {
        let m = RLE.rasterize(polygon: [2, 2, 6, 2, 6, 5, 2, 5], width: 10, height: 10)
        #expect(m.area == 12 && m.bbox == Box(x0: 2, y0: 2, x1: 6, y1: 5))
    }
}

@Suite("Guards: bad masks give mask.* errors, never a trap")
struct MaskGuardTests {
    static let good = PNGWriter.encode(width: 4, height: 4, values: [Int](repeating: 1, count: 16))

    @Test func corruptTruncatedAndForeignFiles() throws {
        let real = try F.bytes("chexmask-example/RL_mask.png")
        #expect(F.code { _ = try PNGDecoder.decode(Array(real.prefix(real.count / 2))) } == "mask.corrupt_png")
        var flipped = real
        flipped[40] ^= 0xFF   // inside IHDR/IDAT: CRC mismatch
        #expect(F.code { _ = try PNGDecoder.decode(flipped) } == "mask.corrupt_png")
        #expect(F.code { _ = try PNGDecoder.decode(Array("not a png at all".utf8)) } == "mask.not_png")
        #expect(F.code { _ = try PNGDecoder.decode([]) } == "mask.not_png")
        #expect(F.code { _ = try PNGDecoder.decode(Array(Self.good.prefix(8))) } == "mask.corrupt_png")
        for cut in stride(from: 9, to: Self.good.count, by: 7) {
            #expect(F.code { _ = try PNGDecoder.decode(Array(Self.good.prefix(cut))) } == "mask.corrupt_png", "cut at \(cut)")
        }
    }

    @Test func dimensionLimitsAndDecompressionBombs() throws {
        // A header claiming 60000 x 60000 with a tiny IDAT: refused before any allocation.
        let bomb = PNGWriter.encode(width: 4, height: 4, values: [Int](repeating: 0, count: 16), ihdrOverride: (60_000, 60_000))
        #expect(F.code { _ = try PNGDecoder.decode(bomb) } == "mask.too_large")
        var limits = MaskLimits()
        limits.maxPixels = 10
        #expect(F.code { _ = try PNGDecoder.decode(Self.good, limits: limits) } == "mask.too_large")
        limits = MaskLimits(); limits.maxFileBytes = 10
        #expect(F.code { _ = try PNGDecoder.decode(Self.good, limits: limits) } == "mask.too_large")
    }

    @Test func sizeMismatchesAndBadRLE() throws {
        var set = try F.reader.binaryPNG(region: "right lung", bytes: Self.good)
        let other = try F.reader.binaryPNG(region: "left lung", bytes: PNGWriter.encode(width: 5, height: 4, values: [Int](repeating: 1, count: 20)))
        #expect(F.code { try set.merge(other) } == "mask.size_mismatch")
        #expect(F.code { _ = try RLE.decodeRowMajor(Substring("15 3").utf8, width: 4, height: 4, name: "t") } == "mask.rle_overrun")
        #expect(F.code { _ = try RLE.decodeRowMajor(Substring("0 3").utf8, width: 4, height: 4, name: "t") } == "mask.bad_rle")
        #expect(F.code { _ = try RLE.decodeRowMajor(Substring("1 3 5").utf8, width: 4, height: 4, name: "t") } == "mask.bad_rle")
        #expect(F.code { _ = try RLE.decodeRowMajor(Substring("1 x").utf8, width: 4, height: 4, name: "t") } == "mask.bad_rle")
        #expect(F.code { _ = try RLE.decodeCOCO(counts: [10, 10], height: 4, width: 4, name: "t") } == "mask.rle_overrun")
        #expect(F.code { _ = try RLE.decodeCOCO(counts: [3, 3], height: 4, width: 4, name: "t") } == "mask.bad_rle")
        #expect(F.code { _ = try RLE.cocoCounts(fromString: "\u{7F}", name: "t") } == "mask.bad_rle")
        #expect(F.code { _ = try RLE.cocoCounts(fromString: "ooooooooooooooooo", name: "t") } == "mask.bad_rle")
        #expect(F.code { _ = try F.reader.binaryPNG(region: "left kidney of mars", bytes: Self.good) } == "mask.unknown_region")
        #expect(F.code { _ = try F.reader.boxes(json: try JSONParser().parse(#"{"image":{"width":10,"height":10},"boxes":[{"name":"right lung","bbox":[0,0,20,5]}]}"#), imageSize: nil) } == "mask.size_mismatch")
        #expect(F.code { _ = try F.reader.coco(bytes: Array(#"{"annotations":[{"id":1,"category_id":1,"segmentation":[[1,2,"x",4,5,6]]}],"categories":[{"id":1,"name":"heart"}],"images":[{"id":1,"width":9,"height":9}]}"#.utf8), image: nil) } == "mask.bad_polygon")
        #expect(F.code { _ = try F.reader.coco(bytes: Array("{not json".utf8), image: nil) } != nil)
    }
}

@Suite("Scene graph, ImaGenome export, comparison and grounding")
struct SceneGraphTests {
    static func scene(_ text: String?) throws -> SceneGraph {
        try SceneBuilder(ontology: F.ontology).build(masks: try F.chexmaskExample(), report: text.map { F.analyzer.analyze($0) })
    }

    @Test func derivedRegionsOnTheChexmaskExample() throws {
        let g = try Self.scene(nil)
        let rl = try #require(g.region("right lung")), ll = try #require(g.region("left lung"))
        #expect(!rl.derived && rl.method == "png-mask")
        for side in ["right", "left"] {
            let lung = side == "right" ? rl : ll
            var total = 0
            for z in ["upper", "mid", "lower"] {
                let r = try #require(g.region("\(side) \(z) lung zone"))
                #expect(r.derived && r.method.contains("third"))
                #expect(r.parent == "\(side) lung")
                total += r.area
            }
            #expect(total == lung.area)   // the thirds partition the lung
            let up = try #require(g.region("\(side) upper lung zone")), low = try #require(g.region("\(side) lower lung zone"))
            #expect(up.centroid.y < low.centroid.y)
            let cp = try #require(g.region("\(side) costophrenic angle"))
            #expect(cp.derived && cp.bbox.y1 == lung.bbox.y1)
            // Lateral = away from the midline: image-left for the right lung, image-right for the left.
            if side == "right" { #expect(cp.bbox.x0 == lung.bbox.x0) } else { #expect(cp.bbox.x1 == lung.bbox.x1) }
            #expect(g.region("\(side) apical zone")?.bbox.y0 == lung.bbox.y0)
            #expect(g.region("\(side) hilar structures") != nil)
        }
        // The heart mask stands for the cardiac silhouette; the mediastinum lies between the lungs.
        let cs = try #require(g.region("cardiac silhouette"))
        #expect(cs.derived && cs.area == 82_869)
        let med = try #require(g.region("mediastinum"))
        #expect(med.bbox.x0 >= rl.bbox.x0 && med.bbox.x1 <= ll.bbox.x1 && med.centroid.x > rl.centroid.x && med.centroid.x < ll.centroid.x)
        #expect(try #require(g.region("upper mediastinum")).bbox.y1 <= cs.bbox.y0)
        // Measured regions are never overwritten by derived ones, and --no-derive keeps only what was given.
        let bare = try SceneBuilder(ontology: F.ontology).build(masks: try F.chexmaskExample(), report: nil, derive: false)
        #expect(Set(bare.regions.map(\.name)) == ["right lung", "left lung", "heart"])
    }

    @Test func findingsAttachToRegionsWithTheirBasis() throws {
        let g = try Self.scene("Small left pleural effusion. No pneumothorax. Mild cardiomegaly. Right lower lobe consolidation.")
        func edges(_ concept: String) -> [SceneEdge] {
            let ids = Set(g.report?.findings.filter { $0.concept.name == concept }.map(\.id) ?? [])
            return g.edges.filter { ids.contains($0.finding) }
        }
        #expect(edges("pleural effusion").map(\.region) == ["left costophrenic angle"])
        #expect(edges("pleural effusion").first?.basis == "laterality")
        #expect(edges("consolidation").map(\.region) == ["right lower lung zone"])
        #expect(edges("consolidation").first?.basis == "anatomy")
        #expect(edges("cardiomegaly").map(\.region) == ["cardiac silhouette"])
        #expect(edges("pneumothorax").allSatisfy { $0.basis == "default_site" })
        // Without zone masks (no derivation) a zone finding falls back to the enclosing lung, saying so.
        let bare = try SceneBuilder(ontology: F.ontology).build(masks: try F.chexmaskExample(), report: F.analyzer.analyze("Right lower lobe consolidation."), derive: false)
        #expect(bare.edges.first?.region == "right lung" && bare.edges.first?.via == "right lower lung zone")
    }

    @Test func spanishReportOnTheSameScene() throws {
        let g = try Self.scene("Derrame pleural derecho. No se aprecia neumotórax. Consolidación en lóbulo inferior izquierdo.")
        let byID = Dictionary(uniqueKeysWithValues: (g.report?.findings ?? []).map { ($0.id, $0) })
        let eff = g.edges.filter { byID[$0.finding]?.concept.cui == "C2073625" }
        #expect(eff.map(\.region) == ["right costophrenic angle"])
        let cons = g.edges.filter { byID[$0.finding]?.concept.name == "consolidación" }
        #expect(cons.map(\.region) == ["left lower lung zone"])
    }

    @Test func imagenomeExportShape() throws {
        let text = "Small left pleural effusion. No pneumothorax."
        let g = try Self.scene(text)
        var w = JSONWriter()
        g.writeImaGenome(to: &w, ontology: F.ontology, imageID: "img1", text: text)
        let v = try JSONParser().parse(w.string)
        #expect(v["image_id"]?.string == "img1")
        let objects = try #require(v["objects"]?.array)
        let lcp = try #require(objects.first { $0["bbox_name"]?.string == "left costophrenic angle" })
        for k in ["object_id", "x1", "y1", "x2", "y2", "width", "height", "bbox_name", "synsets", "name"] { #expect(lcp[k] != nil, "\(k)") }
        #expect(lcp["width"]?.int == (lcp["x2"]?.int ?? 0) - (lcp["x1"]?.int ?? 0))
        let attrs = try #require(v["attributes"]?.array)
        let a = try #require(attrs.first { $0["bbox_name"]?.string == "left costophrenic angle" })
        #expect(a["attributes"]?.array?.first?.array?.contains(.string("anatomicalfinding|yes|pleural effusion")) == true)
        #expect(a["phrases"]?.array?.first?.string == "Small left pleural effusion.")
        let apex = try #require(attrs.first { $0["bbox_name"]?.string == "left apical zone" })
        #expect(apex["attributes"]?.array?.first?.array?.contains(.string("anatomicalfinding|no|pneumothorax")) == true)
        #expect(v["relationships"]?.array != nil)
    }

    @Test func comparisonOfSequentialExams() throws {
        let a = F.analyzer.analyze("Moderate right pleural effusion. Left lower lobe consolidation. Mild cardiomegaly.", id: "a")
        let b = F.analyzer.analyze("The right pleural effusion has decreased. Left lower lobe consolidation has resolved. Moderate cardiomegaly. New left upper lobe nodule.", id: "b")
        let rels = Comparator.compare([Exam(id: "b", date: "2024-03-02", report: b, scene: nil),
                                       Exam(id: "a", date: "2024-02-01", report: a, scene: nil)])   // ordered by date
        func rel(_ cui: String, _ region: String) -> ComparisonRelation? { rels.first { $0.cui == cui && $0.region == region } }
        let eff = try #require(rel("C2073625", "right costophrenic angle"))
        #expect(eff.relation == "improved" && eff.basis == "change_words" && eff.before == "a" && eff.after == "b")
        #expect(!eff.evidence.isEmpty)
        #expect(rel("C0521530", "left lower lung zone")?.relation == "resolved")
        let heart = try #require(rel("C0018800", "cardiac silhouette"))
        #expect(heart.relation == "worsened" && heart.basis == "scene_difference")   // mild → moderate
        #expect(rels.contains { $0.relation == "new" && $0.region == "left upper lung zone" })
        // Spanish change words.
        let c = F.analyzer.analyze("Derrame pleural izquierdo.", id: "c")
        let d = F.analyzer.analyze("Empeoramiento del derrame pleural izquierdo.", id: "d")
        let es = Comparator.compare([Exam(id: "c", date: nil, report: c, scene: nil), Exam(id: "d", date: nil, report: d, scene: nil)])
        #expect(es.contains { $0.cui == "C2073625" && $0.region == "left costophrenic angle" && $0.relation == "worsened" && $0.basis == "change_words" })
    }

    @Test(arguments: [
        ("small left basilar effusion", "en", ["left lower lung zone", "left costophrenic angle"], "left"),
        ("right upper lobe opacity", "en", ["right upper lung zone"], "right"),
        ("cardiomegaly", "en", ["cardiac silhouette"], nil),
        ("derrame pleural derecho", "es", ["right costophrenic angle"], "right"),
        ("consolidación en la base izquierda", "es", ["left lower lung zone"], "left"),
        ("opacidad en el lóbulo superior derecho", "es", ["right upper lung zone"], "right"),
        ("left lower lobe", "en", ["left lower lung zone"], "left"),
    ] as [(String, String, [String], String?)])
    func groundingPhrases(phrase: String, lang: String, top: [String], side: String?) throws {
        let g = try Self.scene(nil)
        let grounder = Grounder(ontology: F.ontology)
        let r = F.analyzer.analyze(phrase, lang: Language(rawValue: lang))
        let hits = grounder.rank(targets: grounder.targets(for: r, phrase: phrase), scene: g)
        #expect(Array(hits.prefix(top.count).map(\.name)) == top, "\(hits.map(\.name))")
        let mid = g.width / 2
        if side == "left" { #expect(hits.allSatisfy { $0.bbox.x0 + $0.bbox.x1 > 2 * mid }) }   // patient left = image right
        if side == "right" { #expect(hits.allSatisfy { $0.bbox.x0 + $0.bbox.x1 < 2 * mid }) }
        #expect(hits.first?.score == 1)
    }

    @Test func svgDrawsTheGroundedRegions() throws {
        let g = try Self.scene(nil)
        let svg = SVGRenderer.render(scene: g, highlight: [("left costophrenic angle", "effusion <1>", .present)], imagePNG: MaskGuardTests.good, title: "t & t")
        #expect(svg.hasPrefix("<svg") && svg.contains("data-region=\"left costophrenic angle\"") && svg.contains("effusion &lt;1&gt;"))
        #expect(svg.contains("data:image/png;base64,") && svg.contains("t &amp; t"))
    }
}
