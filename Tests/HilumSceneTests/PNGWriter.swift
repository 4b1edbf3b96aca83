import Foundation

/// A minimal PNG writer for synthetic test masks: zlib "stored" blocks (no compression), CRC-32 and Adler-32
/// computed here, so tests can build gray 1/8/16-bit and palette images of any content.
enum PNGWriter {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(data.count)) + t + data + be32(crc32(t + data))
    }

    static func zlibStored(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, raw.count - i)
            let last: UInt8 = i + n >= raw.count ? 1 : 0
            out.append(last)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += raw[i..<(i + n)]
            i += n
        } while i < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        return out + be32((b << 16) | a)
    }

    /// `values` row-major; colorType 0 (gray) or 3 (palette); bitDepth 1, 2, 4, 8 or 16.
    static func encode(width: Int, height: Int, values: [Int], bitDepth: Int = 8, colorType: UInt8 = 0,
                       palette: [(UInt8, UInt8, UInt8)] = [], ihdrOverride: (Int, Int)? = nil) -> [UInt8] {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)   // filter: none
            if bitDepth == 16 {
                for x in 0..<width { let v = values[y * width + x]; raw += [UInt8(v >> 8), UInt8(v & 0xFF)] }
            } else if bitDepth == 8 {
                for x in 0..<width { raw.append(UInt8(values[y * width + x])) }
            } else {
                let perByte = 8 / bitDepth
                var x = 0
                while x < width {
                    var byte: UInt8 = 0
                    for k in 0..<perByte {
                        let v = x + k < width ? values[y * width + x + k] : 0
                        byte |= UInt8(v) << UInt8(8 - bitDepth * (k + 1))
                    }
                    raw.append(byte); x += perByte
                }
            }
        }
        let (w, h) = ihdrOverride ?? (width, height)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(UInt32(w)) + be32(UInt32(h)) + [UInt8(bitDepth), colorType, 0, 0, 0])
        if colorType == 3 { png += chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }) }
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }
}
