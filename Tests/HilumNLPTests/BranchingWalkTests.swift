import Foundation
import Testing
import HilumCore
import HilumOntology
@testable import HilumNLP

/// The branching trie walk keeps its stack in a fixed buffer and continues in an array when a phrase is deeper than
/// the buffer. With a buffer of one or two entries every walk spills: it must find what the full-size walk finds.
@Suite struct BranchingWalkTests {
    @Test func aWalkThatOutgrowsItsStackBufferFindsTheSameMatches() {
        let box = OntologyBox(Fixtures.ontology)
        var doc = Document(box: box)
        let texts = [
            "Small left pleural effusion. No pneumothorax. Heart XXXX enlarged. PA and lateral views of the chest.",
            "COPD with hyperinflated lungs. Right lower lobe consolidation, possibly pneumonia. AP portable view.",
            "Derrame pleural izquierdo. No se aprecia neumotórax. Cardiomegalia leve. Sin signos de consolidación.",
            "There is no focal airspace consolidation, pleural effusion or pneumothorax. Stable ET tube and NG tube.",
        ]
        var walks = 0, matches = 0
        for text in texts {
            for lang in [Language.en, .es] {
                doc.reset(text: text, box: box, maxBytes: 1 << 20)
                doc.prepare()
                guard let tries = box.ontology.lexicon.tables.tries(lang) else { continue }
                let view = MatchView(tokens: doc.tokens, ids: doc.ids, exactIDs: doc.exactIDs)
                for trie in [tries.terms, tries.cues] {
                    for i in doc.tokens.indices {
                        let full = view.longestBranching(trie, at: i, limit: doc.tokens.count, skip: nil)
                        for cap in [1, 2] {
                            let small = withUnsafeTemporaryAllocation(of: (Int, Int32).self, capacity: cap) { buf in
                                view.longestBranching(trie, at: i, limit: doc.tokens.count, skip: nil, stack: buf)
                            }
                            #expect(small?.end == full?.end && small?.node == full?.node, "token \(i) of: \(text)")
                        }
                        walks += 1
                        if full != nil { matches += 1 }
                    }
                }
            }
        }
        #expect(walks > 100)
        #expect(matches > 20)
    }
}
