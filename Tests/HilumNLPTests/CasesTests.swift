import Testing
import HilumCore
import HilumNLP
import HilumOntology

/// Table-driven cases written for Hilum (Corpora/cases): each expectation names a PadChest term and the
/// values a careful radiologist would give; `forbid` lists terms that must not be found at all.
@Suite struct CasesTests {
    static func check(_ c: AnalyzeCase) -> [String] {
        let r = Fixtures.analyzer.analyze(c.text, lang: c.lang, id: c.id)
        var problems: [String] = []
        for e in c.expect {
            guard let term = e["padchest"] else { continue }
            // The term itself or a more specific one ("atelectasia basal" is an atelectasis).
            let expected = Fixtures.ontology.byPadchest[term]
            let candidates = r.findings.filter { f in
                f.concept.padchest == term || (expected.map { Fixtures.ontology.isA(f.concept.cui, $0) } ?? false)
            }
            let ok = candidates.contains { f in
                e.allSatisfy { k, v in
                    switch k {
                    case "padchest": return true
                    case "assertion": return f.assertion.rawValue == v
                    case "temporality": return f.temporality.rawValue == v
                    case "experiencer": return f.experiencer.rawValue == v
                    case "change": return (f.change?.rawValue ?? "null") == v
                    case "laterality": return (f.laterality?.rawValue ?? "null") == v
                    case "severity": return (f.severity?.rawValue ?? "null") == v
                    case "certainty": return (f.certainty?.rawValue ?? "null") == v
                    // A PadChest localization ("loc apical") among the finding's locations.
                    case "location": return f.locations.contains { $0.padchest == v }
                    // Exactly these PadChest localizations (null for a location with no PadChest term), as run_cases.py.
                    case "locations":
                        guard let want = try? JSONParser().parse(v), let list = want.array else { return false }
                        let expected = Set(list.map { $0.string ?? "null" })
                        return Set(f.locations.map { $0.padchest ?? "null" }) == expected
                    default: return true
                    }
                }
            }
            if !ok {
                let got = candidates.map { "\($0.assertion.rawValue)/\($0.temporality.rawValue)/\($0.change?.rawValue ?? "-")/\($0.laterality?.rawValue ?? "-")/\($0.severity?.rawValue ?? "-")" }
                problems.append("expected \(e) got \(got.isEmpty ? "nothing" : got.joined(separator: " | "))")
            }
        }
        for t in c.forbid where r.findings.contains(where: { $0.concept.padchest == t }) {
            problems.append("found forbidden \(t)")
        }
        return problems
    }

    @Test("English cases", arguments: AnalyzeCase.load("Corpora/cases/analyze-en.jsonl"))
    func english(_ c: AnalyzeCase) {
        let p = CasesTests.check(c)
        #expect(p.isEmpty, "\(c.id): \(c.text)\n\(p.joined(separator: "\n"))")
    }

    @Test("Spanish cases", arguments: AnalyzeCase.load("Corpora/cases/analyze-es.jsonl"))
    func spanish(_ c: AnalyzeCase) {
        let p = CasesTests.check(c)
        #expect(p.isEmpty, "\(c.id): \(c.text)\n\(p.joined(separator: "\n"))")
    }

    @Test("the case files are present and non-trivial")
    func casesExist() {
        #expect(AnalyzeCase.load("Corpora/cases/analyze-en.jsonl").count >= 100)
        #expect(AnalyzeCase.load("Corpora/cases/analyze-es.jsonl").count >= 100)
    }

    struct AssertCase: Sendable, CustomTestStringConvertible {
        let id: String, lang: Language?, text: String, target: String, expect: String
        var testDescription: String { id }
    }
    static let assertCases: [AssertCase] = Fixtures.jsonl("Corpora/cases/assert.jsonl").compactMap { v in
        guard let id = v["id"]?.string, let t = v["text"]?.string, let tg = v["target"]?.string, let e = v["expect"]?.string else { return nil }
        return AssertCase(id: id, lang: v["lang"]?.string.flatMap { Language(rawValue: $0) }, text: t, target: tg, expect: e)
    }

    @Test("assert cases", arguments: assertCases)
    func asserts(_ c: AssertCase) {
        let (_, rs) = Fixtures.analyzer.assert(c.text, targets: [c.target], lang: c.lang)
        #expect(rs.first?.span != nil, "\(c.id): target not found")
        #expect(rs.first?.assertion.rawValue == c.expect, "\(c.id): \(c.text) [\(c.target)] got \(rs.first?.assertion.rawValue ?? "nil")")
    }
}
