/// The text normalizer: turns one word token into its matching key.
///
/// Steps, in order: lowercase (ASCII and Latin-1), fold accents (á→a, ñ→n, ü→u, ç→c), then a light
/// stem for words longer than three letters: `-ies`→`-y`, drop a final `-s` (not `-ss`, `-us`,
/// `-is`), then drop a final `-a`, `-e` or `-o` when four letters remain ("masa" stays apart from "más"). This folds English plurals and Spanish gender and
/// number ("derrames"→"derram", "derecha"/"derecho"→"derech", "opacities"→"opacity"). It is applied
/// identically to ontology terms and report text, so collisions only matter when two different
/// terms collide, which `hilum ontology check` reports.
public enum Normalizer {
    /// Folds a Latin-1/Latin Extended-A scalar to a lowercase ASCII byte, or nil if it has no fold.
    @inline(__always)
    static func foldScalar(_ v: UInt32) -> UInt8? {
        switch v {
        case 0xC0...0xC5, 0xE0...0xE5: return 0x61  // a
        case 0xC7, 0xE7: return 0x63  // c
        case 0xC8...0xCB, 0xE8...0xEB: return 0x65  // e
        case 0xCC...0xCF, 0xEC...0xEF: return 0x69  // i
        case 0xD1, 0xF1: return 0x6E  // n
        case 0xD2...0xD6, 0xD8, 0xF2...0xF6, 0xF8: return 0x6F  // o
        case 0xD9...0xDC, 0xF9...0xFC: return 0x75  // u
        case 0xDD, 0xFD, 0xFF: return 0x79  // y
        case 0xBA: return 0x6F  // º
        case 0xAA: return 0x61  // ª
        default: return nil
        }
    }

    /// Lowercased, accent-folded bytes of a token, without stemming.
    @inline(__always)
    public static func fold(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var i = start
        while i < end {
            let b = bytes[i]
            if b < 0x80 {
                out.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
                i += 1
                continue
            }
            if let (v, len) = Tokenizer.scalar(bytes, i) {
                if let f = foldScalar(v) {
                    out.append(f)
                } else {
                    // Keep other scalars as their bytes (lowercasing only what we know).
                    for k in i..<min(i + len, end) { out.append(bytes[k]) }
                }
                i += len
            } else {
                out.append(b)
                i += 1
            }
        }
    }

    /// Applies the light stem in place.
    @inline(__always)
    public static func stem(_ w: inout [UInt8]) {
        let n = w.count
        guard n > 3 else { return }
        // Only stem alphabetic words
        for b in w where !(b >= 0x61 && b <= 0x7A) { return }
        if n > 4, w[n - 3] == 0x69, w[n - 2] == 0x65, w[n - 1] == 0x73 {  // ies -> y
            w.removeLast(3)
            w.append(0x79)
            return
        }
        if w[n - 1] == 0x73 {  // s
            let p = w[n - 2]
            if p != 0x73 && p != 0x75 && p != 0x69 {
                w.removeLast()
            }
        }
        let m = w.count
        if m > 4 {
            let last = w[m - 1]
            if last == 0x61 || last == 0x65 || last == 0x6F { w.removeLast() }
        }
    }

    /// The matching key of a token: fold then stem.
    @inline(__always)
    public static func key(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]) {
        fold(bytes, start, end, into: &out)
        stem(&out)
    }

    /// Tokenizes a phrase and maps each token to a key with `f` (bytes, token).
    static func phraseMap(_ phrase: String, _ f: (UnsafeBufferPointer<UInt8>, Token, inout [UInt8]) -> [UInt8]) -> [[UInt8]] {
        let utf8 = Array(phrase.utf8)
        var tokens: [Token] = []
        var result: [[UInt8]] = []
        utf8.withUnsafeBufferPointer { p in
            Tokenizer.tokenize(p, into: &tokens)
            var buf: [UInt8] = []
            for t in tokens {
                result.append(t.kind == .punct ? [t.punct] : f(p, t, &buf))
            }
        }
        return result
    }

    /// Convenience for building lexicons: the keys of the word tokens of a phrase, with the
    /// punctuation tokens `:` and `,` kept as themselves.
    public static func phraseKeys(_ phrase: String) -> [[UInt8]] {
        phraseMap(phrase) { p, t, buf in
            if t.kind == .placeholder { return Array("XXXX".utf8) }
            key(p, Int(t.byteStart), Int(t.byteEnd), into: &buf)
            return buf
        }
    }

    /// The exact (case-sensitive) bytes of each word token of a phrase.
    public static func phraseExact(_ phrase: String) -> [[UInt8]] {
        phraseMap(phrase) { p, t, _ in Array(p[Int(t.byteStart)..<Int(t.byteEnd)]) }
    }
}
