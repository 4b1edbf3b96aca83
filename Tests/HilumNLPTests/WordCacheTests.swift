import Foundation
import Testing
import HilumCore
import HilumOntology
import HilumNLP

/// A thread's analyses keep the ids of short words between reports (the word cache). Two ontologies that give the
/// same words other meanings, analyzed in turn on one thread, must each be read with their own ids.
@Suite struct WordCacheTests {
    /// A small ontology whose English terms are `terms` (TSV rows `concept\tterm\tflags\tnote`).
    static func ontology(terms: String) -> Ontology {
        let files: [String: String] = [
            "concepts/a.tsv": """
            id\tkind\tpreferred_en\tpreferred_es\tpadchest\talt_cuis\tlaterality
            C1\tfinding\tradiological finding\thallazgo\tradiological finding\t\t
            C2\tfinding\tpleural effusion\tderrame pleural\tpleural effusion\t\t
            C5\tfinding\tpneumothorax\tneumotórax\tpneumothorax\t\t

            """,
            "relations/a.tsv": "child\trel\tparent\tsource\nC2\tisa\tC1\tpadchest\nC5\tisa\tC1\tpadchest\n",
            "terms/en.tsv": "concept\tterm\tflags\tnote\n" + terms,
            "cues/en.json": """
            {"language": "en", "rules": [{"id": "en.neg.no", "category": "negation", "direction": "forward", "scope": 8,
              "patterns": ["no"], "example": "No effusion.", "target": "effusion", "expect": "absent"}]}
            """,
            "sections/en.tsv": "id\tkind\theader\nen.sec.findings\tfindings\tfindings\n",
        ]
        return Ontology.loadCollecting(files: files.mapValues { Data($0.utf8) }).0
    }

    func concepts(_ a: Analyzer, _ text: String) -> [String] {
        a.analyze(text, lang: .en).findings.map { "\($0.concept.cui) \($0.assertion.rawValue)" }
    }

    @Test func twoOntologiesInTurnOnOneThreadEachReadTheirOwnIDs() {
        // In the first, "fluid" is a pleural effusion and "PTX" (case-sensitive) a pneumothorax; in the second, "fluid"
        // names the pneumothorax, "PTX" nothing, and "gas" (the pleural effusion) comes first: the same word has another
        // key id, and an id kept from the first would read "fluid" as "gas".
        let first = Analyzer(ontology: Self.ontology(terms: "C2\tfluid\t\t\nC5\tPTX\tcs\t\n"))
        let second = Analyzer(ontology: Self.ontology(terms: "C2\tgas\t\t\nC5\tfluid\t\t\n"))
        #expect(concepts(second, "gas") == ["C2 present"])
        let text = "Small fluid. No PTX. ptx"
        for _ in 0..<3 {
            #expect(concepts(first, text) == ["C2 present", "C5 absent"])
            #expect(concepts(second, text) == ["C5 present"])
        }
        // A word first seen in lowercase, then in capitals: the exact-case id follows the letters, not the cache.
        #expect(concepts(first, "ptx. PTX.") == ["C5 present"])
        #expect(concepts(first, "PTX. ptx.") == ["C5 present"])
    }

    @Test func longWordsOfTwoOntologiesInTurnEachReadTheirOwnIDs() {
        // The same for words of nine to sixteen bytes (the long-word cache): "hydrothoraces" names the effusion in the
        // first ontology and the pneumothorax in the second, where "gas" comes first (another key id); "QUADRILATERAL"
        // is a case-sensitive term of the first (a word one edit from no term word: spelling correction leaves it be).
        let first = Analyzer(ontology: Self.ontology(terms: "C2\thydrothoraces\t\t\nC5\tQUADRILATERAL\tcs\t\n"))
        let second = Analyzer(ontology: Self.ontology(terms: "C2\tgas\t\t\nC5\thydrothoraces\t\t\n"))
        let text = "Hydrothoraces. No QUADRILATERAL. quadrilateral"
        for _ in 0..<3 {
            #expect(concepts(first, text) == ["C2 present", "C5 absent"])
            #expect(concepts(second, text) == ["C5 present"])
        }
        #expect(concepts(first, "quadrilateral. QUADRILATERAL.") == ["C5 present"])
        #expect(concepts(first, "QUADRILATERAL. quadrilateral.") == ["C5 present"])
    }

    @Test func wordsOfEveryLengthUpToTheCacheLimitAndPastItAreMatched() {
        // Words of 1 to 8 bytes go through the word cache, of 9 to 16 through the long-word cache, longer ones through
        // the general key path only: every length is matched the same way on a first and on a later report.
        let words = ["a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklmnop"]
        let terms = words.map { "C2\tq\($0)\t\t\n" }.joined()
        let a = Analyzer(ontology: Self.ontology(terms: terms))
        for _ in 0..<2 {
            for w in words {
                #expect(concepts(a, "Q\(w.uppercased()) seen.") == ["C2 present"], "q\(w)")
                #expect(concepts(a, "No q\(w).") == ["C2 absent"], "q\(w)")
            }
        }
    }
}
