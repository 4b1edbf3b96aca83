import Testing
import HilumCore

/// The tokenizer reads ASCII words eight bytes at a time; these tests check its tokens against what the rules say a
/// word is, on generated text where the expected tokens are known by construction (long and short words, every
/// case mix, digits, accented letters, words that end at the end of the buffer or at a multi-byte letter).
@Suite struct TokenizerTests {
    struct Expected: Equatable {
        var text: String
        var kind: Token.Kind
        var allUpper: Bool
        var hasASCIIUpper: Bool
    }

    /// A deterministic generator (no dependency on the system's random source).
    struct LCG {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static let lower = Array("abcdefghijklmnopqrstuvwxyz"), upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digits = Array("0123456789"), accentedLower = Array("áéíóúñü"), accentedUpper = Array("ÁÉÍÓÚÑ")
    static let separators = [" ", ", ", " - ", "/", "\n", ". ", "; ", " (", ") ", "  ", "\""]

    func word(_ g: inout LCG) -> Expected {
        let length = 1 + g.next(g.next(4) == 0 ? 24 : 9)
        let style = g.next(5)   // 0 digits, 1 lower, 2 upper, 3 mixed ASCII, 4 mixed with accents
        var s = ""
        for _ in 0..<length {
            switch style {
            case 0: s.append(Self.digits[g.next(10)])
            case 1: s.append(Self.lower[g.next(26)])
            case 2: s.append(Self.upper[g.next(26)])
            case 3: s.append([Self.lower, Self.upper, Self.digits][g.next(3)].randomElement(using: &g) ?? "a")
            default: s.append([Self.lower, Self.upper, Self.accentedLower, Self.accentedUpper][g.next(4)].randomElement(using: &g) ?? "a")
            }
        }
        let letters = s.filter(\.isLetter)
        let allDigits = letters.isEmpty
        return Expected(text: s, kind: allDigits ? .number : .word,
                        allUpper: !letters.isEmpty && letters.allSatisfy { $0.isUppercase },
                        hasASCIIUpper: s.contains { $0.isASCII && $0.isUppercase })
    }

    @Test func generatedWordsGiveTheirTokens() {
        var g = LCG(state: 42)
        for round in 0..<400 {
            var expected: [Expected] = []
            var text = ""
            for k in 0..<(1 + g.next(12)) {
                var w = word(&g)
                // "XXX…" is a de-identification placeholder, not a word.
                while w.text.count >= 3 && w.text.allSatisfy({ $0 == "X" }) { w = word(&g) }
                if k > 0 || g.next(2) == 0 { text += Self.separators[g.next(Self.separators.count)] }
                text += w.text
                expected.append(w)
            }
            if g.next(2) == 0 { text += Self.separators[g.next(Self.separators.count)] }
            let bytes = Array(text.utf8)
            var tokens: [Token] = []
            let scalars = bytes.withUnsafeBufferPointer { Tokenizer.tokenize($0, into: &tokens) }
            #expect(scalars == text.unicodeScalars.count)
            let got = tokens.filter { $0.kind == .word || $0.kind == .number }.map {
                Expected(text: String(decoding: bytes[Int($0.byteStart)..<Int($0.byteEnd)], as: UTF8.self), kind: $0.kind,
                         allUpper: $0.allUpper, hasASCIIUpper: $0.hasASCIIUpper)
            }
            #expect(got == expected, "round \(round): \(text.debugDescription)")
            // Scalar spans count scalars, whatever the bytes.
            for t in tokens {
                let prefix = String(decoding: bytes[0..<Int(t.byteStart)], as: UTF8.self)
                #expect(Int(t.start) == prefix.unicodeScalars.count)
            }
        }
    }

    @Test func decimalsStayOneNumberAndWordsEndAtTheBufferEnd() {
        for (text, words) in [("2.5 cm", ["2.5", "cm"]), ("3,5 mm y 12.75", ["3,5", "mm", "y", "12.75"]),
                              ("abcdefghijklmnop", ["abcdefghijklmnop"]), ("effusion1234.", ["effusion1234"]),
                              ("derrameñ", ["derrameñ"]), ("ABCDEFGHé x", ["ABCDEFGHé", "x"]), ("T12.", ["T12"])] {
            let bytes = Array(text.utf8)
            var tokens: [Token] = []
            bytes.withUnsafeBufferPointer { Tokenizer.tokenize($0, into: &tokens) }
            let got = tokens.filter { $0.kind == .word || $0.kind == .number }.map {
                String(decoding: bytes[Int($0.byteStart)..<Int($0.byteEnd)], as: UTF8.self)
            }
            #expect(got == words, "\(text)")
        }
    }
}

extension TokenizerTests {
    /// The report pipeline builds keys eight bytes at a time (`keyWide`); they must equal the byte-path keys the
    /// ontology compiler makes (`key`), for every generated word, wherever it sits in the buffer.
    @Test func wideKeysEqualByteKeys() {
        var g = LCG(state: 7)
        let extra = ["derrames", "OPACITIES", "Pleural", "ies", "masa", "más", "glass", "status", "tuberculosis", "ÁREAS",
                     "cardiomegalia", "a1b2", "X", "effusions1", "Neumotórax", "años", "ÑANDÚ", "consolidaciones"]
        for round in 0..<3000 {
            let w = round < extra.count ? extra[round] : word(&g).text
            let before = String(repeating: "a ", count: g.next(3)), after = [" ", "", ".", " más texto"][g.next(4)]
            let bytes = Array((before + w + after).utf8)
            let s = before.utf8.count, e = s + w.utf8.count
            bytes.withUnsafeBufferPointer { p in
                let b = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
                defer { b.deallocate() }
                // The key the ontology compiler makes for the same bytes.
                var byteKey: [UInt8] = []
                Normalizer.key(p, s, e, into: &byteKey)
                let nb = Normalizer.keyWide(p, s, e, to: b)
                #expect(byteKey == Array(UnsafeBufferPointer(start: b, count: nb)), "\(w)")
                // The in-register key of a short ASCII word.
                if e - s <= 8, s + 8 <= p.count, let base = p.baseAddress {
                    let x = UInt64(littleEndian: UnsafeRawPointer(base + s).loadUnaligned(as: UInt64.self))
                    if let kw = Normalizer.keyWord(x, e - s) {
                        var bytes: [UInt8] = []
                        for k in 0..<kw.count { bytes.append(UInt8(truncatingIfNeeded: kw.key >> UInt64(k * 8))) }
                        #expect(bytes == byteKey, "\(w)")
                        #expect(kw.count == 8 || kw.key >> UInt64(kw.count * 8) == 0, "\(w): bytes after the key are zero")
                    } else {
                        #expect(w.utf8.contains { $0 >= 0x80 }, "\(w): only a non-ASCII word leaves the register path")
                    }
                }
            }
        }
    }
}

extension TokenizerTests.LCG: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}

extension TokenizerTests {
    /// The table-driven ASCII path must give exactly the tokens (kinds, byte and scalar spans, line breaks, case flags)
    /// of the scalar tokenizer it replaced, kept in the tests as `ReferenceTokenizer`.
    @Test func tokensEqualTheReferenceTokenizer() {
        var g = LCG(state: 2026)
        let pieces = ["effusion", "Pleural", "CT", "XXXX", "XX", "xxxx", "X-ray", "2.5", "3,5", "12.", "1,", "T12", "a1b2",
                      "derrame", "neumotórax", "ÁREAS", "Ñ", "añño", "x—y", "😀", "µg", "[** Name **]", "[**", "___", "__",
                      " ", "  ", "\n", "\n\n", "\r\n", "\t", ".", ",", ":", ";", "(", ")", "!", "?", "-", "/", "\"", "'",
                      "½", "№", "ª", "€", "\u{FEFF}", "\u{FFFD}", "é", "ü"]
        var texts: [String] = ["", "a", "Z", "9", ".", "abcdefghijklmnopqrstuvwxyz0123456789", "XXX", "12.5cm", "1.2.3", "2,5,"]
        for _ in 0..<3000 {
            var t = ""
            for _ in 0..<(1 + g.next(20)) { t += pieces[g.next(pieces.count)] }
            texts.append(t)
        }
        var failures: [String] = []
        for t in texts {
            let bytes = Array(t.utf8)
            var a: [Token] = [], b: [Token] = []
            let (na, nb) = bytes.withUnsafeBufferPointer { p in
                (Tokenizer.tokenize(p, into: &a), ReferenceTokenizer.tokenize(p, into: &b))
            }
            if a != b || na != nb { failures.append(t.debugDescription) }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    /// Long texts cross the block of tokens gathered on the stack several times.
    @Test func longTextsEqualTheReferenceTokenizer() {
        var text = ""
        for k in 0..<2000 { text += k % 7 == 0 ? "Derrame pleural izquierdo, 3,5 cm.\n" : "No XXXX effusion; 12.5 mm (T12). " }
        let bytes = Array(text.utf8)
        var a: [Token] = [], b: [Token] = []
        let (na, nb) = bytes.withUnsafeBufferPointer { p in (Tokenizer.tokenize(p, into: &a), ReferenceTokenizer.tokenize(p, into: &b)) }
        #expect(a.count > 2 * Tokenizer.blockForTests)
        #expect(a == b)
        #expect(na == nb)
    }
}
