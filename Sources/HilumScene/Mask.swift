public import HilumCore

/// A horizontal run of foreground pixels in row `y`, columns `x0..<x1`.
public struct Run: Sendable, Hashable {
    public var y: Int32
    public var x0: Int32
    public var x1: Int32
    public init(y: Int, x0: Int, x1: Int) { self.y = Int32(y); self.x0 = Int32(x0); self.x1 = Int32(x1) }
    public var length: Int { Int(x1 - x0) }
}

/// A box in pixel coordinates, `x1` and `y1` exclusive. x grows to the image's right (the patient's left).
public struct Box: Sendable, Hashable {
    public var x0: Int, y0: Int, x1: Int, y1: Int
    public init(x0: Int, y0: Int, x1: Int, y1: Int) { self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1 }
    public var width: Int { x1 - x0 }
    public var height: Int { y1 - y0 }
    public var area: Int { max(0, width) * max(0, height) }
    public var isEmpty: Bool { x1 <= x0 || y1 <= y0 }
    public func intersection(_ o: Box) -> Box {
        Box(x0: max(x0, o.x0), y0: max(y0, o.y0), x1: min(x1, o.x1), y1: min(y1, o.y1))
    }
    public func union(_ o: Box) -> Box {
        Box(x0: min(x0, o.x0), y0: min(y0, o.y0), x1: max(x1, o.x1), y1: max(y1, o.y1))
    }
    public func iou(_ o: Box) -> Double {
        let i = intersection(o)
        let inter = i.isEmpty ? 0 : i.area
        let u = area + o.area - inter
        return u > 0 ? Double(inter) / Double(u) : 0
    }
}

/// A binary mask as sorted, non-overlapping row runs: compact for anatomy (a lung is ~1,000 runs at 1024²),
/// exact for area, box and centroid, and cheap to cut into zones.
public struct RegionMask: Sendable, Hashable {
    public let width: Int
    public let height: Int
    /// Sorted by (y, x0); runs of one row never overlap or touch.
    public private(set) var runs: [Run]

    public init(width: Int, height: Int, runs: [Run] = []) {
        self.width = width; self.height = height; self.runs = runs
    }

    /// Builds a mask from unsorted, possibly overlapping runs (e.g. an RLE with runs that cross rows).
    public init(width: Int, height: Int, unsorted: [Run]) {
        self.width = width; self.height = height
        let sorted = unsorted.filter { $0.x1 > $0.x0 }.sorted { ($0.y, $0.x0) < ($1.y, $1.x0) }
        var out: [Run] = []
        out.reserveCapacity(sorted.count)
        for r in sorted {
            if let last = out.last, last.y == r.y, r.x0 <= last.x1 {
                out[out.count - 1].x1 = max(last.x1, r.x1)
            } else {
                out.append(r)
            }
        }
        self.runs = out
    }

    public var area: Int { runs.reduce(0) { $0 + $1.length } }
    public var isEmpty: Bool { runs.isEmpty }

    public var bbox: Box? {
        guard let first = runs.first, let last = runs.last else { return nil }
        var x0 = Int.max, x1 = Int.min
        for r in runs { x0 = min(x0, Int(r.x0)); x1 = max(x1, Int(r.x1)) }
        return Box(x0: x0, y0: Int(first.y), x1: x1, y1: Int(last.y) + 1)
    }

    /// Mean pixel position (pixel centres at integer coordinates).
    public var centroid: (x: Double, y: Double)? {
        var n = 0.0, sx = 0.0, sy = 0.0
        for r in runs {
            let l = Double(r.length)
            n += l
            sx += l * (Double(r.x0) + Double(r.x1 - 1)) / 2
            sy += l * Double(r.y)
        }
        return n > 0 ? (sx / n, sy / n) : nil
    }

    /// Appends a run; callers add runs in (y, x0) order (the label-map scanner does).
    mutating func append(y: Int, x0: Int, x1: Int) {
        if let last = runs.last, Int(last.y) == y, Int(last.x1) == x0 { runs[runs.count - 1].x1 = Int32(x1); return }
        runs.append(Run(y: y, x0: x0, x1: x1))
    }

    /// The part of the mask whose pixels satisfy `keep(y, x0, x1) -> clipped range` row by row.
    public func clipped(_ clip: (_ y: Int) -> Range<Int>?) -> RegionMask {
        var out = RegionMask(width: width, height: height)
        var cacheY = -1
        var cache: Range<Int>? = nil
        for r in runs {
            let y = Int(r.y)
            if y != cacheY { cacheY = y; cache = clip(y) }
            guard let c = cache else { continue }
            let a = max(Int(r.x0), c.lowerBound), b = min(Int(r.x1), c.upperBound)
            if a < b { out.runs.append(Run(y: y, x0: a, x1: b)) }
        }
        return out
    }

    /// Rows `rows` of the mask.
    public func rows(_ rows: Range<Int>) -> RegionMask {
        var out = RegionMask(width: width, height: height)
        out.runs = runs.filter { rows.contains(Int($0.y)) }
        return out
    }

    /// Leftmost and rightmost foreground column (exclusive end) of each row that has one.
    public func rowExtents() -> [Int: (Int, Int)] {
        var out: [Int: (Int, Int)] = [:]
        for r in runs {
            let y = Int(r.y)
            if let e = out[y] { out[y] = (min(e.0, Int(r.x0)), max(e.1, Int(r.x1))) } else { out[y] = (Int(r.x0), Int(r.x1)) }
        }
        return out
    }

    /// Lowest foreground row of each column.
    public func columnBottoms() -> [Int: Int] {
        var out: [Int: Int] = [:]
        for r in runs {
            for x in Int(r.x0)..<Int(r.x1) { out[x] = max(out[x] ?? -1, Int(r.y)) }
        }
        return out
    }

    public func union(_ o: RegionMask) -> RegionMask {
        RegionMask(width: width, height: height, unsorted: runs + o.runs)
    }

    /// Pixels in both masks.
    public func intersectionArea(_ o: RegionMask) -> Int {
        var i = 0, j = 0, n = 0
        let a = runs, b = o.runs
        while i < a.count && j < b.count {
            let ra = a[i], rb = b[j]
            if ra.y != rb.y { if ra.y < rb.y { i += 1 } else { j += 1 }; continue }
            let lo = max(ra.x0, rb.x0), hi = min(ra.x1, rb.x1)
            if hi > lo { n += Int(hi - lo) }
            if ra.x1 < rb.x1 { i += 1 } else { j += 1 }
        }
        return n
    }

    /// Row-major, 1-based `start length` pairs (CheXmask's convention).
    public func rleRowMajor() -> String {
        var s = ""
        s.reserveCapacity(runs.count * 12)
        for (k, r) in runs.enumerated() {
            if k > 0 { s += " " }
            s += String(Int(r.y) * width + Int(r.x0) + 1); s += " "; s += String(r.length)
        }
        return s
    }

    /// True when the pixel is foreground (binary search over the runs).
    public func contains(x: Int, y: Int) -> Bool {
        var lo = 0, hi = runs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let r = runs[mid]
            if Int(r.y) < y || (Int(r.y) == y && Int(r.x1) <= x) { lo = mid + 1 } else { hi = mid }
        }
        guard lo < runs.count else { return false }
        let r = runs[lo]
        return Int(r.y) == y && Int(r.x0) <= x && x < Int(r.x1)
    }
}

/// One integer per pixel (a decoded PNG): label values, palette indices, or packed RGB.
public struct LabelImage: Sendable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt32]
    public let bitDepth: Int
    public let colorType: Int

    public init(width: Int, height: Int, pixels: [UInt32], bitDepth: Int = 8, colorType: Int = 0) {
        self.width = width; self.height = height; self.pixels = pixels; self.bitDepth = bitDepth; self.colorType = colorType
    }

    /// One mask per distinct non-zero value, in one pass.
    public func masksByValue() -> [UInt32: RegionMask] {
        var out: [UInt32: RegionMask] = [:]
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let row = y * width
                var x = 0
                while x < width {
                    let v = p[row + x]
                    var e = x + 1
                    while e < width && p[row + e] == v { e += 1 }
                    if v != 0 { out[v, default: RegionMask(width: width, height: height)].append(y: y, x0: x, x1: e) }
                    x = e
                }
            }
        }
        return out
    }

    /// Foreground = any non-zero value (binary masks: 0/255, 0/1, RGBA class colours).
    public func foreground(offsetX: Int = 0, offsetY: Int = 0, canvasWidth: Int? = nil, canvasHeight: Int? = nil) -> RegionMask {
        var m = RegionMask(width: canvasWidth ?? width, height: canvasHeight ?? height)
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let row = y * width
                var x = 0
                while x < width {
                    if p[row + x] == 0 { x += 1; continue }
                    var e = x + 1
                    while e < width && p[row + e] != 0 { e += 1 }
                    m.append(y: y + offsetY, x0: x + offsetX, x1: e + offsetX)
                    x = e
                }
            }
        }
        return m
    }
}
