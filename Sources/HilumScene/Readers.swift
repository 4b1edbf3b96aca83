public import HilumCore
public import HilumOntology
internal import Foundation

/// A region read from a mask source, before derivation: its (resolved) region name and geometry.
public struct SourceRegion: Sendable {
    public var name: String
    public var mask: RegionMask?
    public var box: Box?
    /// How it was read: `png-mask`, `label-map`, `rle-chexmask`, `rle-coco`, `polygon-coco`, `box`.
    public var method: String
    public var source: String?
    public init(name: String, mask: RegionMask? = nil, box: Box? = nil, method: String, source: String? = nil) {
        self.name = name; self.mask = mask; self.box = box; self.method = method; self.source = source
    }
}

/// Everything read for one image: its size, its regions, and non-fatal problems (never silently dropped).
public struct MaskSet: Sendable {
    public var width: Int?
    public var height: Int?
    public var regions: [SourceRegion] = []
    public var warnings: [HilumError] = []
    public init(width: Int? = nil, height: Int? = nil) { self.width = width; self.height = height }

    /// Merges another set read for the same image; sizes must agree.
    public mutating func merge(_ o: MaskSet) throws(HilumError) {
        try setSize(o.width, o.height, what: "mask")
        regions.append(contentsOf: o.regions)
        warnings.append(contentsOf: o.warnings)
    }

    public mutating func setSize(_ w: Int?, _ h: Int?, what: String) throws(HilumError) {
        if let w, let h {
            if let W = width, let H = height, W != w || H != h {
                throw HilumError("mask.size_mismatch", "\(what) is \(w)x\(h) but the image is \(W)x\(H)")
            }
            width = w; height = h
        }
    }
}

/// Readers of every supported mask format. Names of regions are resolved against the ontology
/// (region names, normalized names, `masks/aliases.tsv`); an unknown name is `mask.unknown_region`.
public struct MaskReader: Sendable {
    public let ontology: Ontology
    public var limits = MaskLimits()
    public init(ontology: Ontology) { self.ontology = ontology }

    public func region(_ name: String) throws(HilumError) -> String {
        if let r = ontology.resolveRegion(name) { return r }
        let key = Ontology.regionKey(name)
        let near = ontology.regionOrder.filter { $0.contains(key) || key.contains($0) }.prefix(5)
        throw HilumError("mask.unknown_region", "unknown region '\(name)'" + (near.isEmpty ? "" : "; did you mean: \(near.joined(separator: ", "))?"))
    }

    // MARK: PNG

    /// One binary PNG for one region (any non-zero pixel is foreground). `offset` places a cropped mask
    /// (e.g. a structure's bounding-box crop) on a canvas of `canvas` size.
    public func binaryPNG(region: String, bytes: [UInt8], offset: (x: Int, y: Int)? = nil, canvas: (Int, Int)? = nil,
                          source: String? = nil) throws(HilumError) -> MaskSet {
        let name = try self.region(region)
        let img = try PNGDecoder.decode(bytes, limits: limits, name: source ?? "PNG")
        var set = MaskSet()
        if let (ox, oy) = offset {
            guard let (cw, ch) = canvas else {
                throw HilumError("request.invalid_params", "a mask placed at an offset needs the image size (--image-size WxH)")
            }
            guard ox >= 0, oy >= 0, ox + img.width <= cw, oy + img.height <= ch else {
                throw HilumError("mask.size_mismatch", "\(source ?? "mask") \(img.width)x\(img.height) at \(ox),\(oy) does not fit the \(cw)x\(ch) image")
            }
            set.width = cw; set.height = ch
            set.regions.append(SourceRegion(name: name, mask: img.foreground(offsetX: ox, offsetY: oy, canvasWidth: cw, canvasHeight: ch),
                                            method: "png-mask", source: source))
        } else {
            set.width = img.width; set.height = img.height
            set.regions.append(SourceRegion(name: name, mask: img.foreground(), method: "png-mask", source: source))
        }
        return set
    }

    /// A PNG label map: one integer per pixel, mapped to regions by `values` (value → region name).
    /// Non-zero values without a region are reported as warnings with their pixel counts.
    public func labelMap(bytes: [UInt8], values: [Int: String], source: String? = nil) throws(HilumError) -> MaskSet {
        var resolved: [Int: String] = [:]
        var unknown: [(Int, String)] = []
        for (v, n) in values where v != 0 {   // 0 is the background
            if let r = ontology.resolveRegion(n) { resolved[v] = r } else { unknown.append((v, n)) }
        }
        if resolved.isEmpty, let (v, n) = unknown.min(by: { $0.0 < $1.0 }) {
            _ = try region(n)   // throws mask.unknown_region with suggestions
            throw HilumError("mask.unknown_region", "value \(v): unknown region '\(n)'")
        }
        let img = try PNGDecoder.decode(bytes, limits: limits, name: source ?? "label map")
        var set = MaskSet(width: img.width, height: img.height)
        for (v, n) in unknown.sorted(by: { $0.0 < $1.0 }) {
            set.warnings.append(HilumError("mask.unmapped_class", "value \(v) '\(n)' names no known region; its pixels are not used"))
        }
        var byRegion: [String: RegionMask] = [:]
        var unmapped: [(UInt32, Int)] = []
        for (v, m) in img.masksByValue() {
            if let n = resolved[Int(v)] {
                byRegion[n] = byRegion[n].map { $0.union(m) } ?? m
            } else {
                unmapped.append((v, m.area))
            }
        }
        for n in byRegion.keys.sorted() {
            if let m = byRegion[n] { set.regions.append(SourceRegion(name: n, mask: m, method: "label-map", source: source)) }
        }
        for (v, n) in resolved.sorted(by: { $0.key < $1.key }) where byRegion[n] == nil {
            set.warnings.append(HilumError("mask.empty_region", "value \(v) (\(n)) has no pixels"))
        }
        for (v, a) in unmapped.sorted(by: { $0.0 < $1.0 }) where !unknown.contains(where: { UInt32($0.0) == v }) {
            set.warnings.append(HilumError("mask.unmapped_value", "value \(v) (\(a) pixels) has no region in the value map"))
        }
        return set
    }

    /// Parses a value map: `value<TAB>region` lines (`#` comments, an optional header), or an ontology scheme name
    /// such as `chexmask` / `paxray-basic` (`Ontology/masks/*.tsv`).
    public func valueMap(text: String, name: String) throws(HilumError) -> [Int: String] {
        var out: [Int: String] = [:]
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).enumerated() {
            let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let sep = cells.count >= 2 ? cells : line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard sep.count >= 2 else { throw HilumError("mask.bad_value_map", "\(name):\(i + 1): expected 'value<TAB>region'") }
            guard let v = Int(sep[0]) else {
                if i == 0 || out.isEmpty { continue }   // header
                throw HilumError("mask.bad_value_map", "\(name):\(i + 1): '\(sep[0])' is not an integer")
            }
            guard v >= 0 else { throw HilumError("mask.bad_value_map", "\(name):\(i + 1): negative value") }
            if out[v] != nil { throw HilumError("mask.bad_value_map", "\(name):\(i + 1): duplicate value \(v)") }
            out[v] = sep[1]
        }
        guard !out.isEmpty else { throw HilumError("mask.bad_value_map", "\(name): no value rows") }
        return out
    }

    public func valueMap(scheme: String) -> [Int: String]? { ontology.masks[scheme] }

    // MARK: CheXmask CSV

    /// One row of a CheXmask CSV (RLE columns per structure, `Height`/`Width`). `row` is 1-based among data rows,
    /// or `id` matches the image-id column. Empty Height/Width (seen in real files) fall back to `defaultSize`.
    public func chexmaskCSV(bytes: [UInt8], row: Int?, id: String?, defaultSize: (Int, Int)?, source: String? = nil) throws(HilumError) -> MaskSet {
        var csv = CSVRecords(bytes: bytes)
        guard let header = try csv.next() else { throw HilumError("mask.bad_csv", "\(source ?? "CSV"): empty file") }
        func col(_ n: String) -> Int? { header.firstIndex { $0.trimmingCharacters(in: .whitespaces).lowercased() == n.lowercased() } }
        let idCol = ["ImageID", "Path", "Image Index", "dicom_id", "image_id", "id"].lazy.compactMap { col($0) }.first
        var structures: [(Int, String)] = []
        for (i, h) in header.enumerated() {
            let t = h.trimmingCharacters(in: .whitespaces)
            guard !["height", "width", "landmarks"].contains(t.lowercased()), i != idCol, !t.lowercased().hasPrefix("dice") else { continue }
            if let r = ontology.resolveRegion(t) { structures.append((i, r)) }
        }
        guard !structures.isEmpty else {
            throw HilumError("mask.bad_csv", "\(source ?? "CSV"): no column names a region (expected e.g. 'Right Lung', 'Left Lung', 'Heart')")
        }
        guard row != nil || id != nil else { throw HilumError("request.invalid_params", "name the row (--row N, 1-based) or the image id (--image-id)") }
        var n = 0
        while let rec = try csv.next() {
            n += 1
            if let row, n != row { continue }
            if let id { guard let c = idCol, c < rec.count, rec[c] == id else { continue } }
            let hc = col("Height"), wc = col("Width")
            func num(_ c: Int?) -> Int? {
                guard let c, c < rec.count else { return nil }
                let t = rec[c].trimmingCharacters(in: .whitespaces)
                if let v = Int(t) { return v }
                if let d = Double(t), d.isFinite, d == d.rounded(), d > 0, d < 1e6 { return Int(d) }
                return nil
            }
            var set = MaskSet()
            var h = num(hc), w = num(wc)
            if h == nil || w == nil {
                guard let (dw, dh) = defaultSize else {
                    throw HilumError("mask.missing_size", "row \(n) has no Height/Width; give --image-size WxH")
                }
                w = dw; h = dh
                set.warnings.append(HilumError("mask.assumed_size", "row \(n) has empty Height/Width; decoded at \(dw)x\(dh)"))
            }
            guard let W = w, let H = h, W > 0, H > 0, W <= limits.maxWidth, H <= limits.maxHeight, W * H <= limits.maxPixels else {
                throw HilumError("mask.too_large", "row \(n): image size \(w ?? 0)x\(h ?? 0) is invalid or over the limit")
            }
            set.width = W; set.height = H
            for (c, r) in structures {
                guard c < rec.count else { throw HilumError("mask.bad_csv", "row \(n) has \(rec.count) fields, fewer than the header") }
                let text = rec[c]
                if text.trimmingCharacters(in: .whitespaces).isEmpty {
                    set.warnings.append(HilumError("mask.empty_region", "row \(n): column '\(header[c])' is empty")); continue
                }
                let m = try RLE.decodeRowMajor(Substring(text).utf8, width: W, height: H, name: "row \(n) '\(header[c])'")
                set.regions.append(SourceRegion(name: r, mask: m, method: "rle-chexmask", source: source))
            }
            return set
        }
        if let row { throw HilumError("mask.row_not_found", "the CSV has \(n) data rows; row \(row) does not exist") }
        throw HilumError("mask.row_not_found", "no row with image id '\(id ?? "")'")
    }

    // MARK: COCO

    /// A COCO annotation file: RLE (compressed string or counts list) and polygon segmentations, or bare `bbox`.
    /// `image` picks the image by id or file name (default: the only image, or the first one with annotations).
    /// Category names resolve to regions; categories without one are reported as warnings.
    /// Detects exports whose RLE `size` is [width, height] instead of COCO's [height, width].
    public func coco(bytes: [UInt8], image: String?, source: String? = nil) throws(HilumError) -> MaskSet {
        var parser = JSONParser()
        parser.maxBytes = limits.maxFileBytes
        let root = try bytes.withUnsafeBufferPointer { p throws(HilumError) in try parser.parse(p) }
        func flat(_ v: JSONValue?) -> [JSONValue] {
            var out: [JSONValue] = []
            for e in v?.array ?? [] { if let a = e.array { out.append(contentsOf: a) } else { out.append(e) } }   // CXAS nests images in a list
            return out
        }
        let images = flat(root["images"])
        let anns = root["annotations"]?.array ?? []
        guard root["annotations"] != nil else { throw HilumError("mask.bad_coco", "\(source ?? "COCO"): no 'annotations' array") }
        var cats: [Int: String] = [:]
        for c in root["categories"]?.array ?? [] { if let id = c["id"]?.int, let n = c["name"]?.string { cats[id] = n } }
        func key(_ v: JSONValue?) -> String? { v?.int.map(String.init) ?? v?.string }
        var chosen: JSONValue?
        if let image {
            chosen = images.first { key($0["id"]) == image || $0["file_name"]?.string == image }
            guard chosen != nil else { throw HilumError("mask.image_not_found", "no image '\(image)' in \(source ?? "the COCO file")") }
        } else if images.count == 1 {
            chosen = images.first
        } else {
            let withAnn = Set(anns.compactMap { key($0["image_id"]) })
            chosen = images.first { key($0["id"]).map(withAnn.contains) ?? false }
        }
        let imageID = key(chosen?["id"])
        var set = MaskSet(width: chosen?["width"]?.int, height: chosen?["height"]?.int)
        var byRegion: [String: (RegionMask?, Box?, String)] = [:]
        var unmapped: [String: Int] = [:]
        for (i, a) in anns.enumerated() {
            if let imageID, let own = key(a["image_id"]), own != imageID { continue }   // another image's annotation
            if a["image_id"] == nil && images.count > 1 {
                throw HilumError("mask.bad_coco", "annotation \(key(a["id"]) ?? String(i)) has no image_id and the file has \(images.count) images")
            }
            let label = "annotation \(key(a["id"]) ?? String(i))"
            let catName = a["category_id"]?.int.flatMap { cats[$0] } ?? a["category_id"]?.int.map { "category \($0)" } ?? "?"
            guard let region = ontology.resolveRegion(catName) else { unmapped[catName, default: 0] += 1; continue }
            var mask: RegionMask?
            var box: Box?
            var method = "box"
            let seg = a["segmentation"]
            if let seg, seg["counts"] != nil {
                guard let size = seg["size"]?.array, size.count == 2, var h = size[0].int, var w = size[1].int, h > 0, w > 0,
                      h <= limits.maxHeight, w <= limits.maxWidth, h * w <= limits.maxPixels else {
                    throw HilumError("mask.bad_rle", "\(label): 'size' must be [height, width] within the limits")
                }
                if let W = set.width, let H = set.height, h == W, w == H, h != w {
                    set.warnings.append(HilumError("mask.swapped_size", "\(label): RLE size [\(h), \(w)] is the image's [width, height]; read as [height, width] = [\(w), \(h)]"))
                    swap(&h, &w)
                }
                let counts: [Int]
                if let s = seg["counts"]?.string {
                    counts = try RLE.cocoCounts(fromString: s, name: label)
                } else if let arr = seg["counts"]?.array {
                    var c: [Int] = []
                    c.reserveCapacity(arr.count)
                    for v in arr { guard let n = v.int else { throw HilumError("mask.bad_rle", "\(label): counts must be integers") }; c.append(n) }
                    counts = c
                } else { throw HilumError("mask.bad_rle", "\(label): 'counts' must be a string or a list") }
                try set.setSize(w, h, what: label)
                mask = try RLE.decodeCOCO(counts: counts, height: h, width: w, name: label)
                method = "rle-coco"
            } else if let polys = seg?.array, !polys.isEmpty {
                guard let W = set.width, let H = set.height else {
                    throw HilumError("mask.missing_size", "\(label): polygons need the image size (an 'images' entry with width/height)")
                }
                var m = RegionMask(width: W, height: H)
                for p in polys {
                    guard let pts = p.array?.compactMap(\.double), pts.count == p.array?.count, pts.count >= 6, pts.count % 2 == 0,
                          pts.allSatisfy({ $0.isFinite && abs($0) < 1e7 }) else {
                        throw HilumError("mask.bad_polygon", "\(label): a polygon must be a list of at least 3 finite x,y pairs")
                    }
                    m = m.union(RLE.rasterize(polygon: pts, width: W, height: H))
                }
                mask = m
                method = "polygon-coco"
            } else if let bb = a["bbox"]?.array, bb.count == 4 {
                let v = bb.compactMap(\.double)
                guard v.count == 4, v.allSatisfy({ $0.isFinite && abs($0) < 1e7 }), v[2] >= 0, v[3] >= 0 else {
                    throw HilumError("mask.bad_box", "\(label): bbox must be 4 finite numbers [x, y, w, h]")
                }
                box = Box(x0: Int(v[0].rounded(.down)), y0: Int(v[1].rounded(.down)),
                          x1: Int((v[0] + v[2]).rounded(.up)), y1: Int((v[1] + v[3]).rounded(.up)))
            } else {
                throw HilumError("mask.bad_coco", "\(label): no segmentation and no bbox")
            }
            let prior = byRegion[region]
            let mergedMask: RegionMask? = switch (prior?.0, mask) {
            case let (a?, b?): a.union(b)
            case let (a?, nil): a
            case let (nil, b): b
            }
            let mergedBox: Box? = switch (prior?.1, box) {
            case let (a?, b?): a.union(b)
            case let (a?, nil): a
            case let (nil, b): b
            }
            byRegion[region] = (mergedMask, mergedBox, prior.map { $0.2 == method ? method : "\($0.2)+\(method)" } ?? method)
        }
        for name in byRegion.keys.sorted() {
            guard let (m, b, method) = byRegion[name] else { continue }
            set.regions.append(SourceRegion(name: name, mask: m, box: m == nil ? b : nil, method: method, source: source))
        }
        for (c, n) in unmapped.sorted(by: { $0.key < $1.key }) {
            set.warnings.append(HilumError("mask.unmapped_class", "category '\(c)' (\(n) annotation\(n == 1 ? "" : "s")) has no region; not used"))
        }
        return set
    }

    // MARK: Boxes

    /// Boxes: Chest ImaGenome scene-graph objects (`bbox_name`, `x1`…`y2`, preferring `original_*`), Hilum's
    /// own scene JSON (`regions[].bbox`), or `{"image": {...}, "boxes": [{"name", "bbox": [x0, y0, x1, y1]}]}`.
    public func boxes(json root: JSONValue, imageSize: (Int, Int)?, source: String? = nil) throws(HilumError) -> MaskSet {
        var set = MaskSet()
        if let img = root["image"] { try set.setSize(img["width"]?.int, img["height"]?.int, what: "image") }
        if let (w, h) = imageSize { try set.setSize(w, h, what: "--image-size") }
        func num(_ v: JSONValue?) -> Double? { v?.double.flatMap { $0.isFinite && abs($0) < 1e7 ? $0 : nil } }
        var rows: [(String, Box)] = []
        if let objs = root["objects"]?.array {
            for (i, o) in objs.enumerated() {
                guard let name = o["bbox_name"]?.string ?? o["name"]?.string else { throw HilumError("mask.bad_box", "object \(i + 1) has no bbox_name") }
                let pre = o["original_x1"] != nil ? "original_" : ""
                guard let x1 = num(o[pre + "x1"]), let y1 = num(o[pre + "y1"]), let x2 = num(o[pre + "x2"]), let y2 = num(o[pre + "y2"]) else {
                    throw HilumError("mask.bad_box", "object '\(name)' needs numeric x1, y1, x2, y2")
                }
                rows.append((name, Box(x0: Int(x1.rounded(.down)), y0: Int(y1.rounded(.down)), x1: Int(x2.rounded(.up)), y1: Int(y2.rounded(.up)))))
            }
        } else if let list = root["boxes"]?.array ?? root["regions"]?.array {
            for (i, o) in list.enumerated() {
                guard let name = o["name"]?.string else { throw HilumError("mask.bad_box", "box \(i + 1) has no name") }
                guard let b = o["bbox"]?.array, b.count == 4, let v = Optional(b.compactMap(num)), v.count == 4 else {
                    throw HilumError("mask.bad_box", "box '\(name)' needs bbox [x0, y0, x1, y1]")
                }
                rows.append((name, Box(x0: Int(v[0].rounded(.down)), y0: Int(v[1].rounded(.down)), x1: Int(v[2].rounded(.up)), y1: Int(v[3].rounded(.up)))))
            }
        } else {
            throw HilumError("mask.bad_box", "\(source ?? "boxes"): expected 'objects' (Chest ImaGenome), 'regions' or 'boxes'")
        }
        if set.width == nil, !rows.isEmpty {
            let w = rows.map(\.1.x1).max() ?? 0, h = rows.map(\.1.y1).max() ?? 0
            set.width = w; set.height = h
            set.warnings.append(HilumError("mask.assumed_size", "no image size given; using the extent of the boxes (\(w)x\(h))"))
        }
        let W = set.width ?? 0, H = set.height ?? 0
        for (name, b) in rows {
            guard !b.isEmpty else { throw HilumError("mask.bad_box", "box '\(name)' is empty") }
            guard b.x0 >= 0, b.y0 >= 0, b.x1 <= W, b.y1 <= H else {
                throw HilumError("mask.size_mismatch", "box '\(name)' [\(b.x0), \(b.y0), \(b.x1), \(b.y1)] lies outside the \(W)x\(H) image")
            }
            guard let r = ontology.resolveRegion(name) else {
                set.warnings.append(HilumError("mask.unmapped_class", "box '\(name)' names no known region; not used")); continue
            }
            set.regions.append(SourceRegion(name: r, box: b, method: "box", source: source))
        }
        return set
    }

    // MARK: Folder

    /// A folder of binary PNG masks. A `manifest.tsv` (`file<TAB>region[<TAB>left<TAB>top]`) names them; without
    /// one, each file's name (without `.png`) is the region (`right_lung.png`, `Left Lung.png`, `heart.png`).
    public func folder(_ path: String, canvas: (Int, Int)?) throws(HilumError) -> MaskSet {
        let fm = FileManager.default
        var set = MaskSet()
        if let (w, h) = canvas { set.width = w; set.height = h }
        let manifest = (path as NSString).appendingPathComponent("manifest.tsv")
        var entries: [(String, String, (Int, Int)?)] = []
        if fm.fileExists(atPath: manifest) {
            let text = String(decoding: try readFile(manifest, limit: 1 << 20), as: UTF8.self)
            for (i, line) in text.split(separator: "\n").enumerated() {
                let l = line.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                if l.isEmpty || l.hasPrefix("#") { continue }
                let c = l.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
                if c.first?.lowercased() == "file" { continue }
                guard c.count == 2 || c.count == 4 else { throw HilumError("mask.bad_manifest", "manifest.tsv:\(i + 1): expected file, region[, left, top]") }
                guard !c[0].contains("/"), !c[0].hasPrefix(".") else { throw HilumError("mask.bad_manifest", "manifest.tsv:\(i + 1): file names stay inside the folder") }
                var off: (Int, Int)? = nil
                if c.count == 4 {
                    guard let x = Int(c[2]), let y = Int(c[3]) else { throw HilumError("mask.bad_manifest", "manifest.tsv:\(i + 1): left and top must be integers") }
                    off = (x, y)
                }
                entries.append((c[0], c[1], off))
            }
        } else {
            guard let files = try? fm.contentsOfDirectory(atPath: path) else { throw HilumError("input.not_found", "cannot list '\(path)'") }
            for f in files.sorted() where f.lowercased().hasSuffix(".png") {
                entries.append((f, String(f.dropLast(4)), nil))
            }
        }
        guard !entries.isEmpty else { throw HilumError("mask.empty_folder", "no PNG masks in '\(path)'") }
        for (f, region, off) in entries {
            let full = (path as NSString).appendingPathComponent(f)
            let bytes = try readFile(full, limit: limits.maxFileBytes)
            let canvasNow: (Int, Int)? = set.width.flatMap { w in set.height.map { (w, $0) } }
            let one = try binaryPNG(region: region, bytes: bytes, offset: off.map { (x: $0.0, y: $0.1) }, canvas: canvasNow, source: f)
            try set.merge(one)
        }
        return set
    }
}

/// RFC 4180 records over bytes: quoted fields with commas, quotes and newlines, any field length.
struct CSVRecords {
    let bytes: [UInt8]
    var pos = 0
    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
    }

    mutating func next() throws(HilumError) -> [String]? {
        guard pos < bytes.count else { return nil }
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var i = pos
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                    quoted = false; i += 1; continue
                }
                field.append(b); i += 1; continue
            }
            switch b {
            case 0x22 where field.isEmpty: quoted = true; i += 1
            case 0x2C: fields.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true); i += 1
            case 0x0A, 0x0D:
                fields.append(String(decoding: field, as: UTF8.self))
                i += 1
                if b == 0x0D && i < bytes.count && bytes[i] == 0x0A { i += 1 }
                pos = i
                return fields
            default: field.append(b); i += 1
            }
        }
        if quoted { throw HilumError("mask.bad_csv", "the CSV ends inside a quoted field") }
        fields.append(String(decoding: field, as: UTF8.self))
        pos = bytes.count
        return fields
    }
}
