import Testing
import HilumCore

/// `UTF8Bytes` replaces `String(validating:as:)` on every per-record path (JSON strings, corpus rows, NDJSON lines):
/// it must accept and reject exactly what the standard library does, at every offset of its eight-byte ASCII skip.
@Suite struct UTF8BytesTests {
    /// Byte sequences around every boundary of the well-formedness table: lead bytes, overlongs, surrogates,
    /// the last scalar, truncations and stray continuation bytes.
    static let pieces: [[UInt8]] = [
        [0x41], [0x7F], [0x00],
        [0xC2, 0x80], [0xDF, 0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC3], [0xC3, 0x41],
        [0xE0, 0xA0, 0x80], [0xE0, 0x9F, 0xBF], [0xE1, 0x80, 0x80], [0xEC, 0xBF, 0xBF], [0xED, 0x9F, 0xBF],
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF], [0xE2, 0x82], [0xE2, 0x82, 0x41],
        [0xF0, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xF0, 0x9F, 0x98], [0xF0, 0x9F, 0x98, 0x80],
        [0x80], [0xBF], [0xFE], [0xFF],
    ]

    static func stdlib(_ b: [UInt8]) -> String? { String(validating: b, as: UTF8.self) }

    @Test func agreesWithTheStandardLibraryAtEveryOffset() {
        var failures: [String] = []
        for prefix in 0..<17 {
            for piece in UTF8BytesTests.pieces {
                for suffix in [0, 1, 8, 9] {
                    let bytes = Array(repeating: UInt8(0x78), count: prefix) + piece + Array(repeating: UInt8(0x79), count: suffix)
                    let ours = bytes.withUnsafeBufferPointer { UTF8Bytes.string($0) }
                    if ours != UTF8BytesTests.stdlib(bytes) || UTF8Bytes.isValid(bytes) != (ours != nil) {
                        failures.append("\(prefix)/\(piece)/\(suffix)")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func agreesOnRandomBytes() {
        // A fixed generator (xorshift) over bytes biased towards the interesting ranges.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        let alphabet: [UInt8] = [0x41, 0x20, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xC0, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        var disagreements = 0
        for _ in 0..<20_000 {
            let n = Int(next() % 24)
            let bytes = (0..<n).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            if (UTF8Bytes.string(bytes) != nil) != (UTF8BytesTests.stdlib(bytes) != nil) { disagreements += 1 }
        }
        #expect(disagreements == 0)
    }

    @Test func keepsTheText() {
        #expect(UTF8Bytes.string(Array("Derrame pleural izquierdo, sin neumotórax 😀".utf8)) == "Derrame pleural izquierdo, sin neumotórax 😀")
        #expect(UTF8Bytes.string([UInt8]()) == "")
        #expect(UTF8Bytes.string(Array("no effusion".utf8)[3...]) == "effusion")
    }
}
