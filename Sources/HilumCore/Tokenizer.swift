/// Byte-level tokenizer shared by the ontology compiler and the report pipeline, so that a term and
/// the text it must match are cut and normalized the same way.
///
/// Works on UTF-8 bytes and tracks Unicode-scalar offsets for spans. Word tokens are runs of letters
/// and digits (any non-ASCII letter counts as a letter); a number keeps its inner `.` or `,` ("2.5",
/// "3,5"). Punctuation `. ! ? : , ; ( )` becomes a one-byte token; hyphens, slashes, quotes and other
/// symbols only separate words. De-identification placeholders (`XXXX`, `___`, `[** … **]`) become
/// one `placeholder` token. Complexity: one pass, O(n) in the byte count.
public struct Token: Sendable, Hashable {
    public enum Kind: UInt8, Sendable { case word, number, punct, placeholder }
    public var kind: Kind
    /// Byte range in the UTF-8 text.
    public var byteStart: Int32
    public var byteEnd: Int32
    /// Scalar range (span) in the text.
    public var start: Int32
    public var end: Int32
    /// Line breaks between the previous token and this one.
    public var newlinesBefore: UInt8
    /// True when every letter of the token is uppercase (and it has at least one letter).
    public var allUpper: Bool
    /// True when the token has an ASCII uppercase letter (A-Z).
    public var hasASCIIUpper: Bool = false
    /// The punctuation byte for `.punct` tokens, 0 otherwise.
    public var punct: UInt8

    public init(kind: Kind, byteStart: Int32, byteEnd: Int32, start: Int32, end: Int32, newlinesBefore: UInt8,
                allUpper: Bool, hasASCIIUpper: Bool = false, punct: UInt8) {
        self.kind = kind; self.byteStart = byteStart; self.byteEnd = byteEnd; self.start = start; self.end = end
        self.newlinesBefore = newlinesBefore; self.allUpper = allUpper; self.hasASCIIUpper = hasASCIIUpper; self.punct = punct
    }
}

public enum Tokenizer {
    @inline(__always)
    static func isASCIIAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Length of the UTF-8 sequence starting with `b` (1 for invalid lead bytes).
    @inlinable @inline(__always)
    static func seqLen(_ b: UInt8) -> Int {
        if b < 0xC0 { return 1 }
        if b < 0xE0 { return 2 }
        if b < 0xF0 { return 3 }
        return 4
    }

    /// Decodes the scalar at `i` (valid UTF-8 assumed; returns nil otherwise).
    @inlinable @inline(__always)
    static func scalar(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int)? {
        let b0 = p[i]
        let n = seqLen(b0)
        guard i + n <= p.count else { return nil }
        switch n {
        case 2: return (UInt32(b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2)
        case 3: return (UInt32(b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        case 4:
            return (UInt32(b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                    | UInt32(p[i + 3] & 0x3F), 4)
        default: return nil
        }
    }

    /// Whether a non-ASCII scalar is part of a word.
    @inline(__always)
    static func isWordScalar(_ v: UInt32) -> Bool {
        if v >= 0xC0 && v <= 0x24F { return v != 0xD7 && v != 0xF7 }
        if v == 0xAA || v == 0xBA || v == 0xB5 { return true }  // ª º µ
        if v < 0xC0 { return false }
        if v >= 0x2000 && v <= 0x2BFF { return false }  // punctuation, arrows, symbols
        if v >= 0x3000 && v <= 0x303F { return false }
        if v == 0xFFFD || v == 0xFEFF { return false }
        return isLetterOrNumber(v)
    }

    /// Unicode properties of a scalar outside the ranges decided above. Not inlined: reading the properties
    /// needs type metadata, which callers would otherwise set up on every call, even for ASCII words.
    @inline(never)
    static func isLetterOrNumber(_ v: UInt32) -> Bool {
        guard let s = Unicode.Scalar(v) else { return false }
        return s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Classes of ASCII bytes for the word scan (bit sets; 0 for bytes that only separate words).
    static let alnum: UInt8 = 0x01, upperBit: UInt8 = 0x02, lowerBit: UInt8 = 0x04, letterBit: UInt8 = 0x08, xBit: UInt8 = 0x10
    static let byteClass: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x30...0x39: return alnum
        case 0x41...0x5A: return alnum | upperBit | letterBit | (b == 0x58 ? xBit : 0)
        case 0x61...0x7A: return alnum | lowerBit | letterBit
        default: return 0
        }
    }
    /// Tokens are gathered in a buffer of this many on the stack and appended to the caller's array in blocks. The
    /// buffer stays under the 1 KB that `withUnsafeTemporaryAllocation` puts on the stack: a larger one is a heap
    /// allocation per report (about 900 instructions, a twelfth of a one-sentence report's analysis).
    static let block = max(8, 1000 / max(1, MemoryLayout<Token>.stride))
    /// `block`, for tests.
    public static var blockForTests: Int { block }

    /// Tokenizes valid UTF-8 bytes.
    /// Returns the number of Unicode scalars in `bytes` (the text's length in span units).
    ///
    /// An ASCII word (the usual token) is scanned with a byte-class table, its case and kind gathered as bit sets; a
    /// word that goes on with a non-ASCII letter or a decimal separator is scanned again by `word`, which reads scalars.
    @discardableResult
    public static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, into tokens: inout [Token]) -> Int {
        tokens.removeAll(keepingCapacity: true)
        return byteClass.withUnsafeBufferPointer { cls in
            withUnsafeTemporaryAllocation(of: Token.self, capacity: block) { buf in
                tokenize(bytes, cls, buf, into: &tokens)
            }
        }
    }

    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, _ cls: UnsafeBufferPointer<UInt8>,
                         _ buf: UnsafeMutableBufferPointer<Token>, into tokens: inout [Token]) -> Int {
        let n = bytes.count
        guard let out = buf.baseAddress, cls.count == 256 else { return 0 }
        let cap = buf.count
        var k = 0
        @inline(__always) func emit(_ t: Token) {
            if k == cap {
                tokens.append(contentsOf: UnsafeBufferPointer(start: out, count: k))
                k = 0
            }
            (out + k).initialize(to: t)
            k += 1
        }
        var i = 0
        var scalarPos: Int32 = 0
        var newlines: UInt8 = 0
        while i < n {
            let b = bytes[i]
            let c = cls[Int(b)]
            if c & alnum != 0 {
                var j = i + 1
                var any = c, all = c
                while j < n {
                    let d = cls[Int(bytes[j])]
                    if d & alnum == 0 { break }
                    any |= d; all &= d
                    j += 1
                }
                // The word goes on with a non-ASCII letter (or ends at a non-letter scalar), or a number goes on with
                // its decimals: the scalar path reads it from its start.
                if j < n {
                    let e = bytes[j]
                    if e >= 0x80 || any & letterBit == 0 && (e == 0x2E || e == 0x2C) && j + 1 < n && isDigit(bytes[j + 1]) {
                        let (t, next) = word(bytes, i, &scalarPos, newlines)
                        emit(t)
                        newlines = 0
                        i = next
                        continue
                    }
                }
                let len = Int32(truncatingIfNeeded: j - i)
                let kind: Token.Kind = any & letterBit == 0 ? .number : (all & xBit != 0 && len >= 3 ? .placeholder : .word)
                let upper = any & upperBit != 0
                emit(Token(kind: kind, byteStart: Int32(truncatingIfNeeded: i), byteEnd: Int32(truncatingIfNeeded: j),
                           start: scalarPos, end: scalarPos &+ len, newlinesBefore: newlines,
                           allUpper: upper && any & lowerBit == 0, hasASCIIUpper: upper, punct: 0))
                newlines = 0
                scalarPos &+= len
                i = j
                continue
            }
            if b == 0x0A {
                if newlines < 255 { newlines += 1 }
                i += 1; scalarPos += 1
                continue
            }
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0C || b == 0x0B {
                i += 1; scalarPos += 1
                continue
            }
            // Placeholder [** ... **]
            if b == 0x5B, i + 2 < n, bytes[i + 1] == 0x2A, bytes[i + 2] == 0x2A {
                var j = i + 3
                var sc = scalarPos + 3
                var found = false
                while j + 2 < n + 1 && j < n {
                    if bytes[j] == 0x2A, j + 2 < n, bytes[j + 1] == 0x2A, bytes[j + 2] == 0x5D {
                        found = true; break
                    }
                    if bytes[j] == 0x0A { break }
                    if bytes[j] & 0xC0 != 0x80 { sc += 1 }
                    j += 1
                }
                if found {
                    emit(Token(kind: .placeholder, byteStart: Int32(i), byteEnd: Int32(j + 3),
                               start: scalarPos, end: sc + 3, newlinesBefore: newlines, allUpper: false, punct: 0))
                    newlines = 0
                    scalarPos = sc + 3
                    i = j + 3
                    continue
                }
            }
            // Placeholder ___ (three or more underscores)
            if b == 0x5F {
                var j = i
                while j < n && bytes[j] == 0x5F { j += 1 }
                if j - i >= 3 {
                    emit(Token(kind: .placeholder, byteStart: Int32(i), byteEnd: Int32(j),
                               start: scalarPos, end: scalarPos + Int32(j - i), newlinesBefore: newlines,
                               allUpper: false, punct: 0))
                    newlines = 0
                    scalarPos += Int32(j - i)
                    i = j
                    continue
                }
                scalarPos += Int32(j - i)
                i = j
                continue
            }
            if b < 0x80 {
                switch b {
                case 0x2E, 0x21, 0x3F, 0x3A, 0x2C, 0x3B, 0x28, 0x29:
                    emit(Token(kind: .punct, byteStart: Int32(i), byteEnd: Int32(i + 1), start: scalarPos,
                               end: scalarPos + 1, newlinesBefore: newlines, allUpper: false, punct: b))
                    newlines = 0
                default: break
                }
                i += 1; scalarPos += 1
                continue
            }
            // Non-ASCII
            if let (v, _) = scalar(bytes, i), isWordScalar(v) {
                let (t, next) = word(bytes, i, &scalarPos, newlines)
                emit(t)
                newlines = 0
                i = next
                continue
            } else {
                let len = seqLen(b)
                i += min(len, n - i)
                scalarPos += 1
            }
        }
        if k > 0 { tokens.append(contentsOf: UnsafeBufferPointer(start: out, count: k)) }
        return Int(scalarPos)
    }

    /// Of eight bytes (little-endian), the length of the leading run of ASCII letters and digits, and whether that
    /// run has a letter, an uppercase letter, a lowercase letter. SWAR: each byte's range tests are done on its low
    /// seven bits (no carry crosses a byte) and bytes with the high bit set count as run ends.
    @inlinable @inline(__always)
    static func asciiAlnumRun(_ x: UInt64) -> (length: Int, letters: Bool, upper: Bool, lower: Bool) {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let hi = x & high
        let x7 = x & ~high
        let y7 = (x | 0x2020_2020_2020_2020) & ~high
        // In [lo, hi] iff v + (0x80 - lo) sets bit 7 and v + (0x7F - hi) does not.
        let letter = (y7 &+ ones &* (0x80 - 0x61)) & ~(y7 &+ ones &* (0x7F - 0x7A)) & high & ~hi
        let digit = (x7 &+ ones &* (0x80 - 0x30)) & ~(x7 &+ ones &* (0x7F - 0x39)) & high & ~hi
        let stop = ~(letter | digit) & high
        let length = stop == 0 ? 8 : stop.trailingZeroBitCount >> 3
        let inRun: UInt64 = length == 8 ? ~0 : (1 << UInt64(length * 8)) &- 1
        let l = letter & inRun
        let lowerBit = (x7 << 2) & high   // bit 5 (0x20) of each byte: set for a lowercase letter
        return (length, l != 0, l & ~lowerBit != 0, l & lowerBit != 0)
    }

    /// Scans one word (or number) starting at `start`, scalar by scalar: its token and the index after it.
    static func word(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ scalarPos: inout Int32,
                     _ newlines: UInt8) -> (Token, Int) {
        let n = bytes.count
        var i = start
        let s0 = scalarPos
        var hasLower = false
        var hasUpper = false
        var asciiUpper = false
        var allDigits = true
        let base = bytes.baseAddress
        while i < n {
            // Eight ASCII bytes at a time: the run of letters and digits, and which cases it holds, from bit masks.
            // The byte that ends the run (if any) is then read by the byte path below.
            if i + 8 <= n, let base {
                let r = asciiAlnumRun(UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)))
                if r.letters { allDigits = false }
                if r.upper { hasUpper = true; asciiUpper = true }
                if r.lower { hasLower = true }
                i += r.length; scalarPos += Int32(truncatingIfNeeded: r.length)
                if r.length == 8 { continue }
            }
            let b = bytes[i]
            if b < 0x80 {
                if isASCIIAlnum(b) {
                    if b >= 0x61 { hasLower = true; allDigits = false } else if b >= 0x41 { hasUpper = true; asciiUpper = true; allDigits = false }
                    i += 1; scalarPos += 1
                    continue
                }
                // Decimal separator inside a number: 2.5, 3,5
                if (b == 0x2E || b == 0x2C), allDigits, i > start, i + 1 < n, isDigit(bytes[i + 1]) {
                    i += 1; scalarPos += 1
                    continue
                }
                break
            }
            guard let (v, len) = scalar(bytes, i), isWordScalar(v) else { break }
            allDigits = false
            // Latin-1 uppercase range C0-DE, lowercase DF-FF
            if v >= 0xC0 && v <= 0xDE { hasUpper = true } else { hasLower = true }
            i += len; scalarPos += 1
        }
        // Placeholder XXXX: three or more X only
        var kind: Token.Kind = allDigits ? .number : .word
        if !allDigits, i - start >= 3 {
            var allX = true
            for k in start..<i where bytes[k] != 0x58 { allX = false; break }
            if allX { kind = .placeholder }
        }
        return (Token(kind: kind, byteStart: Int32(start), byteEnd: Int32(i), start: s0, end: scalarPos,
                      newlinesBefore: newlines, allUpper: hasUpper && !hasLower, hasASCIIUpper: asciiUpper, punct: 0), i)
    }
}
