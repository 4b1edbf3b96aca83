import Testing
import HilumCore
@testable import HilumNLP

/// The JSON parser skips plain string bytes eight at a time and stops at `"`, `\` and control bytes; these tests check
/// it on generated strings where every kind of byte falls at every offset of an eight-byte word, against the writer's
/// escaping (a round trip) and against hand-written inputs.
@Suite struct JSONStringTests {
    /// Pieces whose JSON escaping differs from their text, or that are multi-byte.
    static let pieces: [String] = ["a", "Z", "7", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{01}", "\u{1F}", "é", "ñ", "€", "😀", "\u{7F}"]

    @Test func roundTripsEveryPieceAtEveryOffset() throws {
        var failures: [String] = []
        for prefix in 0..<17 {
            for piece in JSONStringTests.pieces {
                for suffix in [0, 1, 7, 8, 9] {
                    let text = String(repeating: "x", count: prefix) + piece + String(repeating: "y", count: suffix) + piece
                    var w = JSONWriter()
                    w.raw("{"); w.key("t"); w.string(text); w.raw("}")
                    let v = try JSONParser().parse(w.string)
                    if v["t"]?.string != text { failures.append("\(prefix)/\(piece.unicodeScalars.map { $0.value })/\(suffix)") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func escapesAndErrorsAtWordBoundaries() throws {
        // An escape right at the 8th and 9th byte, and several in a row.
        #expect(try JSONParser().parse(#"{"t": "abcdefg\nhij\\k\"l\u00e9\ud83d\ude00"}"#)["t"]?.string == "abcdefg\nhij\\k\"lé😀")
        #expect(try JSONParser().parse(#"{"t": "abcdefgh\t"}"#)["t"]?.string == "abcdefgh\t")
        // A raw control byte, an unterminated string and invalid UTF-8 are errors, wherever they sit.
        for pad in 0..<10 {
            let x = String(repeating: "x", count: pad)
            #expect(throws: HilumError.self) { try JSONParser().parse("[\"\(x)\u{01}\"]") }
            #expect(throws: HilumError.self) { try JSONParser().parse("[\"\(x)\\n\(x)") }
            var bytes = Array("[\"\(x)\\n".utf8) + [0xC3, 0x28] + Array("\"]".utf8)
            let err = bytes.withUnsafeMutableBufferPointer { p in
                Result { () throws(HilumError) -> JSONValue in try JSONParser().parse(UnsafeBufferPointer(p)) }
            }
            if case .failure(let e) = err { #expect(e.code == "request.invalid_utf8") } else { Issue.record("invalid UTF-8 accepted at pad \(pad)") }
            bytes.removeAll()
        }
    }
}

/// Integers and spans are written digit by digit without a loop up to five digits: every length, sign and limit
/// must read back as the number.
@Suite struct JSONIntegerTests {
    static var values: [Int] {
        var v: [Int] = Array(0...1200) + [9999, 10000, 10001, 99_999, 100_000, 100_001, 123_456_789, Int.max, Int.min, -1, -10, -99_999]
        var p = 1
        for _ in 0..<18 { p *= 10; v += [p - 1, p, p + 1] }
        return v
    }

    @Test func integersAreWrittenAsTheirDecimalDigits() {
        for v in Self.values {
            var w = JSONWriter()
            w.int(v)
            #expect(w.string == String(v), "\(v)")
        }
        // Several in one buffer, as a result writes them.
        var w = JSONWriter()
        for v in Self.values { w.int(v); w.byte(0x2C) }
        #expect(w.string == Self.values.map(String.init).joined(separator: ",") + ",")
    }

    @Test func spansAreWrittenAsPairs() {
        let vs = Self.values.filter { $0 > Int.min }
        var w = JSONWriter()
        for (a, b) in zip(vs, vs.reversed()) { w.span(TextSpan(a, b)) }
        #expect(w.string == zip(vs, vs.reversed()).map { "[\($0),\($1)]" }.joined())
    }
}

/// A finding's context members are written from a table made once per combination of values: every combination must
/// read back as the values it was written for, under the contract's keys and in their order.
@Suite struct ContextJSONTests {
    @Test func everyCombinationOfContextValuesIsWrittenAsItsValues() throws {
        let certainties: [Certainty?] = [nil] + Certainty.allCases.map(Optional.some)
        let changes: [Change?] = [nil] + Change.allCases.map(Optional.some)
        let sides: [Laterality?] = [nil] + Laterality.allCases.map(Optional.some)
        let severities: [Severity?] = [nil] + Severity.allCases.map(Optional.some)
        var checked = 0
        var failures: [String] = []
        for a in Assertion.allCases {
            for c in certainties {
                for t in Temporality.allCases {
                    for e in Experiencer.allCases {
                        for ch in changes {
                            for l in sides {
                                for s in severities {
                                    var w = JSONWriter()
                                    w.raw("{\"x\":0")
                                    writeContext(&w, a, c, t, e, ch, l, s)
                                    w.raw("}")
                                    guard case .object(let o)? = try? JSONParser().parse(w.string) else {
                                        failures.append(w.string); continue
                                    }
                                    let got = o.map { $0.0 }
                                    let want = ["x", "assertion", "certainty", "temporality", "experiencer", "change", "laterality", "severity"]
                                    let values = Dictionary(o, uniquingKeysWith: { a, _ in a })
                                    func str(_ k: String) -> String? { values[k]?.string }
                                    if got != want || str("assertion") != a.rawValue || str("certainty") != c?.rawValue
                                        || str("temporality") != t.rawValue || str("experiencer") != e.rawValue
                                        || str("change") != ch?.rawValue || str("laterality") != l?.rawValue
                                        || str("severity") != s?.rawValue {
                                        failures.append(w.string)
                                    }
                                    checked += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(checked == 3 * 3 * 3 * 2 * 7 * 4 * 9)
    }
}

/// Regions the ontology holds are written from JSON made once per list; what a caller edits is what gets written.
@Suite struct RegionsJSONTests {
    static func regions(_ r: AnalyzedReport) -> [[String]] {
        var w = JSONWriter()
        r.writeJSON(to: &w)
        guard case .object(let top)? = try? JSONParser().parse(w.string),
              case .array(let fs)? = top.first(where: { $0.0 == "findings" })?.1 else { return [] }
        return fs.map { f in
            guard case .object(let o) = f, case .array(let a)? = o.first(where: { $0.0 == "regions" })?.1 else { return ["?"] }
            return a.map { $0.string ?? "?" }
        }
    }

    @Test func writtenRegionsAreTheFindingsRegionsAndFollowAnEdit() throws {
        let a = Fixtures.analyzer
        for (text, lang) in [("Mild cardiomegaly. Left lower lobe consolidation. Small bilateral pleural effusions.", Language.en),
                             ("Derrame pleural derecho. Condensación en lóbulo superior izquierdo y en la base derecha.", .es)] {
            var r = a.analyze(text, lang: lang)
            #expect(!r.findings.isEmpty)
            #expect(RegionsJSONTests.regions(r) == r.findings.map(\.regions))
            #expect(r.findings.contains { !$0.regions.isEmpty })
            guard let k = r.findings.firstIndex(where: { !$0.regions.isEmpty }) else { continue }
            r.findings[k].regions.append("edited region")
            r.findings[0].regions = r.findings[0].regions.reversed()
            #expect(RegionsJSONTests.regions(r) == r.findings.map(\.regions))
        }
    }
}

/// A finding's labels are held with their JSON: what a caller sets is what gets written.
@Suite struct FindingLabelsJSONTests {
    @Test func setLabelsAreWrittenAsSet() throws {
        var r = Fixtures.analyzer.analyze("Mild cardiomegaly. No pleural effusion.", lang: .en)
        #expect(r.findings.count >= 2)
        func written(_ r: AnalyzedReport) -> [String] {
            var w = JSONWriter()
            r.writeJSON(to: &w)
            guard case .object(let top)? = try? JSONParser().parse(w.string),
                  case .array(let fs)? = top.first(where: { $0.0 == "findings" })?.1 else { return [] }
            return fs.map { f in
                guard case .object(let o) = f, let l = o.first(where: { $0.0 == "labels" })?.1 else { return "?" }
                var lw = JSONWriter()
                lw.value(l)
                return lw.string
            }
        }
        // Not labelled: an empty object each.
        #expect(written(r) == Array(repeating: "{}", count: r.findings.count))
        r.findings[0].labels = [("chexpert", ["Cardiomegaly", "Enlarged Cardiomediastinum"]), ("mine", [])]
        #expect(r.findings[0].labels.map(\.0) == ["chexpert", "mine"])
        #expect(written(r).first == #"{"chexpert":["Cardiomegaly","Enlarged Cardiomediastinum"],"mine":[]}"#)
        #expect(written(r).dropFirst().allSatisfy { $0 == "{}" })
        r.findings[0].labels[0].1.append("edited \"label\"")
        #expect(written(r).first == #"{"chexpert":["Cardiomegaly","Enlarged Cardiomediastinum","edited \"label\""],"mine":[]}"#)
        r.findings[0].labels = []
        #expect(written(r).first == "{}")
    }
}
