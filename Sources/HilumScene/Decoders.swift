public import HilumCore
internal import CHilumPNG
internal import Foundation

/// Guards for untrusted masks: image dimensions, pixels, file size.
public struct MaskLimits: Sendable, Hashable {
    public var maxWidth = 16_384
    public var maxHeight = 16_384
    public var maxPixels = 64 << 20
    public var maxFileBytes = 256 << 20
    public init() {}
}

public enum PNGDecoder {
    /// libpng's version, for `hilum version`.
    public static var libpngVersion: String { String(cString: hilum_png_version()) }

    /// Decodes a PNG (gray 1-16 bit, palette, gray+alpha, RGB, RGBA; interlaced or not) to one integer per pixel.
    public static func decode(_ bytes: [UInt8], limits: MaskLimits = MaskLimits(), name: String = "PNG") throws(HilumError) -> LabelImage {
        guard bytes.count <= limits.maxFileBytes else {
            throw HilumError("mask.too_large", "\(name): \(bytes.count) bytes is over the limit of \(limits.maxFileBytes)")
        }
        var img = hilum_png_image()
        let code = bytes.withUnsafeBufferPointer { p -> Int32 in
            guard let base = p.baseAddress else { return Int32(HILUM_PNG_NOT_PNG) }
            return hilum_png_decode(base, p.count, UInt32(limits.maxWidth), UInt32(limits.maxHeight), UInt64(limits.maxPixels), &img)
        }
        let message = withUnsafeBytes(of: img.message) { raw -> String in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.firstIndex(of: 0) ?? b.count
            return String(decoding: UnsafeBufferPointer(rebasing: b[0..<n]), as: UTF8.self)
        }
        switch Int(code) {
        case Int(HILUM_PNG_OK): break
        case Int(HILUM_PNG_NOT_PNG): throw HilumError("mask.not_png", "\(name): \(message)")
        case Int(HILUM_PNG_TOO_LARGE): throw HilumError("mask.too_large", "\(name): \(message)")
        case Int(HILUM_PNG_NO_MEMORY): throw HilumError("mask.too_large", "\(name): \(message)")
        default: throw HilumError("mask.corrupt_png", "\(name): \(message)")
        }
        defer { hilum_png_free(&img) }
        let w = Int(img.width), h = Int(img.height)
        guard let px = img.pixels else { throw HilumError("mask.corrupt_png", "\(name): no pixels") }
        let pixels = Array(UnsafeBufferPointer(start: px, count: w * h))
        return LabelImage(width: w, height: h, pixels: pixels, bitDepth: Int(img.bit_depth), colorType: Int(img.color_type))
    }

    public static func decode(file path: String, limits: MaskLimits = MaskLimits()) throws(HilumError) -> LabelImage {
        try decode(try readFile(path, limit: limits.maxFileBytes), limits: limits, name: (path as NSString).lastPathComponent)
    }
}

/// Reads a whole (bounded) file.
func readFile(_ path: String, limit: Int) throws(HilumError) -> [UInt8] {
    guard let h = FileHandle(forReadingAtPath: path) else {
        throw HilumError("input.not_found", "cannot open '\(path)'")
    }
    defer { try? h.close() }
    let data: Data
    do { data = try h.read(upToCount: limit + 1) ?? Data() } catch { throw HilumError("input.read_failed", "cannot read '\(path)': \(error.localizedDescription)") }
    guard data.count <= limit else { throw HilumError("mask.too_large", "'\(path)' is over the limit of \(limit) bytes") }
    return [UInt8](data)
}

public enum RLE {
    /// CheXmask: space-separated `start length` pairs, start 1-based, row-major (C order).
    public static func decodeRowMajor(_ text: Substring.UTF8View, width: Int, height: Int, name: String) throws(HilumError) -> RegionMask {
        let total = width * height
        var nums: [Int] = []
        var cur = 0, inNum = false
        for b in text {
            if b >= 0x30 && b <= 0x39 {
                cur = cur &* 10 &+ Int(b - 0x30); inNum = true
                guard cur <= 1 << 40 else { throw HilumError("mask.bad_rle", "\(name): number too large") }
            } else if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x2C {
                if inNum { nums.append(cur); cur = 0; inNum = false }
            } else {
                throw HilumError("mask.bad_rle", "\(name): unexpected character '\(Character(Unicode.Scalar(b)))' in RLE")
            }
        }
        if inNum { nums.append(cur) }
        guard nums.count % 2 == 0 else { throw HilumError("mask.bad_rle", "\(name): RLE has an odd count of numbers (\(nums.count))") }
        var runs: [Run] = []
        runs.reserveCapacity(nums.count / 2)
        var k = 0
        while k < nums.count {
            let s = nums[k], l = nums[k + 1]
            k += 2
            guard s >= 1 else { throw HilumError("mask.bad_rle", "\(name): run start \(s) is not 1-based") }
            guard s - 1 + l <= total else {
                throw HilumError("mask.rle_overrun", "\(name): run \(s)+\(l) ends past the \(width)x\(height) image (\(total) pixels)")
            }
            var p = s - 1
            var left = l
            while left > 0 {   // a run may cross row ends
                let y = p / width, x = p % width
                let n = min(left, width - x)
                runs.append(Run(y: y, x0: x, x1: x + n))
                p += n; left -= n
            }
        }
        return RegionMask(width: width, height: height, unsorted: runs)
    }

    /// COCO uncompressed or decoded counts: alternating zero/one runs, column-major, first run zeros.
    public static func decodeCOCO(counts: [Int], height: Int, width: Int, name: String) throws(HilumError) -> RegionMask {
        let total = width * height
        var bitmap = [UInt8](repeating: 0, count: total)
        var p = 0
        for (i, c) in counts.enumerated() {
            guard c >= 0 else { throw HilumError("mask.bad_rle", "\(name): negative run length \(c)") }
            guard p + c <= total else {
                throw HilumError("mask.rle_overrun", "\(name): counts sum past \(height)x\(width) = \(total) pixels")
            }
            if i % 2 == 1 {
                // column-major: flat index p = x * height + y; store transposed into a row-major bitmap
                var q = p
                for _ in 0..<c { bitmap[(q % height) * width + q / height] = 1; q += 1 }
            }
            p += c
        }
        guard p == total else {
            throw HilumError("mask.bad_rle", "\(name): counts sum to \(p), not \(height)x\(width) = \(total)")
        }
        return LabelImage(width: width, height: height, pixels: bitmap.map { UInt32($0) }).foreground()
    }

    /// COCO's compressed `counts` string (pycocotools `rleToString`): 5-bit groups + 48, continuation bit 0x20,
    /// sign bit 0x10 in the last group, and from the 4th count on a delta to the count two places before.
    public static func cocoCounts(fromString s: String, name: String) throws(HilumError) -> [Int] {
        var out: [Int] = []
        let b = Array(s.utf8)
        var p = 0
        while p < b.count {
            var x = 0, k = 0, more = true
            while more {
                guard p < b.count else { throw HilumError("mask.bad_rle", "\(name): compressed counts end mid-number") }
                let c = Int(b[p]) - 48
                guard c >= 0 && c < 64 else { throw HilumError("mask.bad_rle", "\(name): invalid character in compressed counts") }
                guard k < 12 else { throw HilumError("mask.bad_rle", "\(name): count too long in compressed counts") }
                x |= (c & 0x1f) << (5 * k)
                more = c & 0x20 != 0
                p += 1; k += 1
                if !more && c & 0x10 != 0 { x |= -1 << (5 * k) }
            }
            if out.count > 2 { x += out[out.count - 2] }
            out.append(x)
        }
        return out
    }

    /// Even-odd scanline fill of a polygon `[x1, y1, x2, y2, …]` at pixel centres.
    public static func rasterize(polygon pts: [Double], width: Int, height: Int) -> RegionMask {
        var runs: [Run] = []
        let n = pts.count / 2
        guard n >= 3 else { return RegionMask(width: width, height: height) }
        var ys = (0..<n).map { pts[2 * $0 + 1] }
        ys.sort()
        let yMin = max(0, Int((ys.first ?? 0).rounded(.down))), yMax = min(height - 1, Int((ys.last ?? 0).rounded(.up)))
        guard yMin <= yMax else { return RegionMask(width: width, height: height) }
        var xs: [Double] = []
        for y in yMin...yMax {
            let cy = Double(y) + 0.5
            xs.removeAll(keepingCapacity: true)
            for i in 0..<n {
                let j = (i + 1) % n
                let (x1, y1, x2, y2) = (pts[2 * i], pts[2 * i + 1], pts[2 * j], pts[2 * j + 1])
                if (y1 <= cy && y2 > cy) || (y2 <= cy && y1 > cy) {
                    xs.append(x1 + (cy - y1) / (y2 - y1) * (x2 - x1))
                }
            }
            xs.sort()
            var k = 0
            while k + 1 < xs.count {
                let a = max(0, Int((xs[k] - 0.5).rounded(.up))), e = min(width, Int((xs[k + 1] - 0.5).rounded(.up)))
                if e > a { runs.append(Run(y: y, x0: a, x1: e)) }
                k += 2
            }
        }
        return RegionMask(width: width, height: height, unsorted: runs)
    }
}
