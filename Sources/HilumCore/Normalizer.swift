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
    @inlinable @inline(__always)
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

    /// Longest key the pointer forms write: a token's folded bytes are at most its own bytes, and the report
    /// pipeline does not look up tokens longer than this.
    public static let maxKeyBytes = 64

    /// Lowercased, accent-folded bytes of `bytes[start..<end]` written to `out` (room for `end - start`
    /// bytes); returns the length. Allocation-free: the report pipeline calls it for every word.
    @inlinable @inline(__always)
    public static func fold(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        var i = start
        while i < end {
            let b = bytes[i]
            if b < 0x80 {
                out[n] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
                n += 1
                i += 1
                continue
            }
            if let (v, len) = Tokenizer.scalar(bytes, i) {
                if let f = foldScalar(v) {
                    out[n] = f
                    n += 1
                } else {
                    // Keep other scalars as their bytes (lowercasing only what we know).
                    var k = i
                    while k < min(i + len, end) { out[n] = bytes[k]; n += 1; k += 1 }
                }
                i += len
            } else {
                out[n] = b
                n += 1
                i += 1
            }
        }
        return n
    }

    /// The light stem applied to `w[0..<n]` in place; returns the new length.
    @inlinable @inline(__always)
    public static func stem(_ w: UnsafeMutablePointer<UInt8>, _ n0: Int) -> Int {
        guard n0 > 3 else { return n0 }
        // Only stem alphabetic words
        for k in 0..<n0 where !(w[k] >= 0x61 && w[k] <= 0x7A) { return n0 }
        return stemLetters(w, n0)
    }

    /// The stem of a word known to be all `a`-`z`.
    @inlinable @inline(__always)
    static func stemLetters(_ w: UnsafeMutablePointer<UInt8>, _ n0: Int) -> Int {
        var n = n0
        guard n > 3 else { return n }
        if n > 4, w[n - 3] == 0x69, w[n - 2] == 0x65, w[n - 1] == 0x73 {  // ies -> y
            w[n - 3] = 0x79
            return n - 2
        }
        if w[n - 1] == 0x73 {  // s
            let p = w[n - 2]
            if p != 0x73 && p != 0x75 && p != 0x69 { n -= 1 }
        }
        if n > 4 {
            let last = w[n - 1]
            if last == 0x61 || last == 0x65 || last == 0x6F { n -= 1 }
        }
        return n
    }

    /// The matching key of `bytes[start..<end]`, as `key(_:_:_:into:)` gives it, written to `out`, which has room for
    /// `end - start + 8` bytes (bytes after the key may be overwritten). ASCII is lowercased eight bytes at a time
    /// (SWAR), and an all-letter word is known to be one without a second pass; other bytes take the byte path.
    @inlinable
    public static func keyWide(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let high: UInt64 = 0x8080_8080_8080_8080, ones: UInt64 = 0x0101_0101_0101_0101
        var i = start
        var n = 0
        var letters = true
        if let base = bytes.baseAddress {
            while i < end, i + 8 <= bytes.count {
                let x = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                let take = min(8, end - i)
                let keep: UInt64 = take == 8 ? ~0 : (1 << UInt64(take * 8)) &- 1
                // A non-ASCII byte in the token: the byte path folds from here. (Bytes after the token may be
                // anything: a carry from them only runs towards later bytes, which `keep` drops.)
                if x & high & keep != 0 { break }
                let upper = (x &+ ones &* (0x80 - 0x41)) & ~(x &+ ones &* (0x7F - 0x5A)) & high
                let y = x | (upper >> 2)
                UnsafeMutableRawPointer(out + n).storeBytes(of: y.littleEndian, as: UInt64.self)
                let lower = (y &+ ones &* (0x80 - 0x61)) & ~(y &+ ones &* (0x7F - 0x7A)) & high
                if lower & keep != high & keep { letters = false }
                n += take
                i += take
            }
        }
        if i < end {
            n += fold(bytes, i, end, to: out + n)
            return stem(out, n)
        }
        return letters ? stemLetters(out, n) : n
    }

    /// The key of an ASCII word of `n` (1...8) bytes held in `x` (little-endian, bytes from `n` on ignored), in a
    /// register: lowercased, then stemmed as `stem` does. Returns the key (bytes from its length on zero) and its
    /// length, or nil when a byte is not ASCII (the caller takes the byte path). Equal to `key` on every such word.
    @inlinable @inline(__always)
    public static func keyWord(_ x0: UInt64, _ n0: Int) -> (key: UInt64, count: Int)? {
        let high: UInt64 = 0x8080_8080_8080_8080, ones: UInt64 = 0x0101_0101_0101_0101
        let keep: UInt64 = n0 >= 8 ? ~0 : (1 << UInt64(n0 * 8)) &- 1
        let x = x0 & keep
        if x & high != 0 { return nil }
        let upper = (x &+ ones &* (0x80 - 0x41)) & ~(x &+ ones &* (0x7F - 0x5A)) & high
        var w = x | (upper >> 2)
        guard n0 > 3 else { return (w, n0) }
        let lower = (w &+ ones &* (0x80 - 0x61)) & ~(w &+ ones &* (0x7F - 0x7A)) & high
        guard lower & keep == high & keep else { return (w, n0) }   // stems only all-letter words
        @inline(__always) func byte(_ k: Int) -> UInt64 { (w >> UInt64(k * 8)) & 0xFF }
        @inline(__always) func cut(_ k: Int) -> UInt64 { k >= 8 ? w : w & ((1 << UInt64(k * 8)) &- 1) }
        var n = n0
        if n > 4, byte(n - 3) == 0x69, byte(n - 2) == 0x65, byte(n - 1) == 0x73 {  // ies -> y
            w = cut(n - 3) | (0x79 << UInt64((n - 3) * 8))
            return (w, n - 2)
        }
        if byte(n - 1) == 0x73 {  // s
            let p = byte(n - 2)
            if p != 0x73 && p != 0x75 && p != 0x69 { n -= 1 }
        }
        if n > 4 {
            let last = byte(n - 1)
            if last == 0x61 || last == 0x65 || last == 0x6F { n -= 1 }
        }
        w = cut(n)
        return (w, n)
    }

    /// Lowercased, accent-folded bytes of a token, without stemming.
    public static func fold(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]) {
        let room = max(0, end - start)
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: room))
        let n = out.withUnsafeMutableBufferPointer { b in b.baseAddress.map { fold(bytes, start, end, to: $0) } ?? 0 }
        out.removeLast(out.count - n)
    }

    /// Applies the light stem in place.
    public static func stem(_ w: inout [UInt8]) {
        let n = w.withUnsafeMutableBufferPointer { b in b.baseAddress.map { stem($0, b.count) } ?? 0 }
        w.removeLast(w.count - n)
    }

    /// The matching key of a token: fold then stem.
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
    /// (The ontology compiler calls this for every term, name and cue pattern: keys are written by `keyWide` into one
    /// scratch buffer, and each token costs one array.)
    public static func phraseKeys(_ phrase: String) -> [[UInt8]] {
        var text = phrase
        return text.withUTF8 { p -> [[UInt8]] in
            var tokens: [Token] = []
            Tokenizer.tokenize(p, into: &tokens)
            var result: [[UInt8]] = []
            result.reserveCapacity(tokens.count)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: p.count + 8) { scratch in
                guard let out = scratch.baseAddress else { return }
                for t in tokens {
                    switch t.kind {
                    case .punct: result.append([t.punct])
                    case .placeholder: result.append([0x58, 0x58, 0x58, 0x58])  // "XXXX", as before
                    case .word, .number:
                        let start = Int(t.byteStart), end = Int(t.byteEnd)
                        guard start >= 0, start <= end, end <= p.count else { result.append([]); continue }
                        let n = keyWide(p, start, end, to: out)
                        result.append(Array(UnsafeBufferPointer(start: out, count: n)))
                    }
                }
            }
            return result
        }
    }

    /// The exact (case-sensitive) bytes of each word token of a phrase.
    public static func phraseExact(_ phrase: String) -> [[UInt8]] {
        phraseMap(phrase) { p, t, _ in Array(p[Int(t.byteStart)..<Int(t.byteEnd)]) }
    }
}
