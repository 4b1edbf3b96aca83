import Foundation
import Testing
import HilumCore
import HilumOntology
import HilumNLP

@Suite struct PipelineTests {
    let a = Fixtures.analyzer

    func slice(_ text: String, _ s: TextSpan) -> String {
        let u = Array(text.unicodeScalars)
        var out = ""
        out.unicodeScalars.append(contentsOf: u[s.start..<s.end])
        return out
    }

    @Test func spansAreUnicodeScalarOffsetsThatSliceToTheFindingText() {
        let text = "Cardiomegalia leve. Derrame pleural izquierdo pequeño. ¿Neumotórax? No se aprecia neumotórax 😀."
        let r = a.analyze(text)
        #expect(r.language == .es)
        #expect(!r.findings.isEmpty)
        for f in r.findings {
            #expect(f.span.start >= 0 && f.span.end <= text.unicodeScalars.count)
            #expect(slice(text, f.span) == f.text)
            for e in f.evidence { #expect(e.span.end <= text.unicodeScalars.count) }
        }
    }

    @Test func stableModerateCardiomegalyIsPresentUnchangedModerate() {
        let r = a.analyze("Stable moderate cardiomegaly.", lang: .en)
        let f = r.findings.first { $0.concept.padchest == "cardiomegaly" }
        #expect(f?.assertion == .present)
        #expect(f?.change == .unchanged)
        #expect(f?.severity == .moderate)
        #expect(f?.regions == ["cardiac silhouette"])
        #expect(f?.evidence.contains { $0.category == "change" } == true)
    }

    @Test func pericardialEffusionIsNotPleuralEffusion() {
        let r = a.analyze("Small pericardial effusion.", lang: .en)
        #expect(r.findings.contains { $0.concept.padchest == "pericardial effusion" })
        #expect(!r.findings.contains { $0.concept.padchest == "pleural effusion" })
    }

    @Test func languageDetectionAndOverride() {
        #expect(a.detectLanguage("No se aprecian condensaciones ni derrame pleural.") == .es)
        #expect(a.detectLanguage("There is no focal consolidation or pleural effusion.") == .en)
        #expect(a.detectLanguage("Patrón intersticial bilateral.") == .es)
        #expect(a.analyze("Cardiomegaly.", lang: .es).language == .es)
    }

    @Test func sectionsWithAndWithoutColonsInlineAndNone() {
        let r = a.analyze("FINDINGS: No effusion.\nIMPRESSION: No acute disease.\nRECOMMENDATION\nFollow-up.", lang: .en)
        #expect(r.sections.map(\.kind) == [.findings, .impression, .recommendation])
        #expect(r.sections[0].headerSpan == TextSpan(0, 9))
        let none = a.analyze("No effusion.", lang: .en)
        #expect(none.sections.map(\.kind) == [.none])
        let es = a.analyze("HALLAZGOS: Derrame pleural derecho.\nCONCLUSIÓN: derrame pleural", lang: .es)
        #expect(es.sections.map(\.kind) == [.findings, .impression])
        #expect(es.findings.allSatisfy { $0.assertion == .present })
    }

    @Test func degreeModifiersInsideATermDoNotBreakIt() {
        let r = a.analyze("The heart remains moderately enlarged.", lang: .en)
        let f = r.findings.first { $0.concept.padchest == "cardiomegaly" }
        #expect(f?.text == "heart remains moderately enlarged")
        #expect(f?.severity == .moderate && f?.change == .unchanged)
        // A modifier never ends a match: the term stops before it.
        let tail = a.analyze("Heart enlarged moderately.", lang: .en)
        #expect(tail.findings.first { $0.concept.padchest == "cardiomegaly" }?.text == "Heart enlarged")
        // Only listed modifiers pass: any other word between the term's words breaks it.
        let other = a.analyze("The heart remains, as before, enlarged.", lang: .en)
        #expect(!other.findings.contains { $0.text.hasPrefix("heart remains") })
        let es = a.analyze("Silueta cardiaca discretamente aumentada.", lang: .es)
        #expect(es.findings.first?.concept.padchest == "cardiomegaly")
        #expect(es.findings.first?.severity == .mild)
    }

    @Test func oneTwoWordPlaceNameGivesTheFinerRegion() {
        func regions(_ text: String, _ lang: Language) -> [String] { a.analyze(text, lang: lang).findings.first?.regions ?? [] }
        // "right lung" + "base" are one place: the base.
        #expect(regions("Opacity in the right lung base.", .en) == ["right lower lung zone"])
        #expect(regions("Infiltrado alveolar en el campo medio del pulmón izquierdo.", .es) == ["left mid lung zone"])
        // A place inside the finding's own term that is finer than its default places it.
        #expect(regions("Retrocardiac opacity.", .en) == ["left lower lung zone"])
        #expect(regions("Large medial right upper lobe mass.", .en) == ["right upper lung zone"])
        // A site named apart keeps its extent: the whole lungs, most marked in the upper zones.
        let both = regions("Opacidades por ambos pulmones, más en lóbulos superiores.", .es)
        #expect(both.contains("right lung") && both.contains("left lung") && both.contains("right upper lung zone"))
        // "subsegmental" is a PadChest localization, not a place on the image.
        #expect(regions("Stable subsegmental bibasilar atelectasis.", .en) == ["right lower lung zone", "left lower lung zone"])
    }

    @Test func aParentheticalOnTheHeaderLineBelongsToTheHeader() {
        // The exam title names the chest: its "tórax" is not where the next line's finding sits.
        let text = "RX TORAX (ap, sedestación):\nInfiltrados parcheados en ambos pulmones."
        let r = a.analyze(text, lang: .es)
        #expect(r.sections.first?.kind == .report)
        #expect(r.sections.first?.headerSpan == TextSpan(0, 27))
        let f = r.findings.first { $0.concept.padchest == "infiltrates" }
        #expect(f != nil)
        #expect(f?.locations.contains { $0.text.lowercased() == "torax" } == false)
        #expect(f?.regions.contains("mediastinum") == false)
        // Without a colon, alone on its line and upper case before the parenthesis.
        let bare = a.analyze("RX TÓRAX (portátil)\nDerrame pleural izquierdo.", lang: .es)
        #expect(bare.sections.first?.kind == .report)
        #expect(bare.sections.first?.headerSpan == TextSpan(0, 19))
        // A parenthesis that does not close on the line is not part of a header.
        let open = a.analyze("RX TÓRAX (portátil\nDerrame pleural.", lang: .es)
        #expect(open.sections.first?.headerSpan != TextSpan(0, 18))
    }

    @Test func headerIsNotAScopeBreakerAndSentencesSplitCorrectly() {
        let r = a.analyze("IMPRESSION: No pneumothorax. Dr. Smith reviewed a 2.5 cm nodule.", lang: .en)
        #expect(r.findings.first { $0.concept.padchest == "pneumothorax" }?.assertion == .absent)
        #expect(r.findings.first { $0.concept.padchest == "nodule" }?.assertion == .present)
        #expect(r.sentences.count == 2)
    }

    @Test func placeholdersNeverCreateOrBlockFindingsOrChangeLabels() {
        let base = a.analyze("No pleural effusion. Mild cardiomegaly.", lang: .en)
        for p in ["XXXX", "[** Name **]", "___"] {
            let r = a.analyze("No \(p) pleural effusion. Mild cardiomegaly \(p).", lang: .en)
            #expect(r.findings.map(\.concept.cui) == base.findings.map(\.concept.cui))
            #expect(r.findings.map(\.assertion) == base.findings.map(\.assertion))
        }
    }

    @Test func analyzerIsTotalOnHostileInput() {
        let junk: [[UInt8]] = [[], [0xFF, 0xFE, 0x00, 0x80], Array(repeating: 0xC3, count: 1000), Array("\u{0}\u{1}\n\n\n::,,;;".utf8)]
        for j in junk {
            let r = a.analyze(bytes: j)
            #expect(r.findings.allSatisfy { $0.span.end <= r.textLength })
        }
        let invalid = a.analyze(bytes: Array("Derrame pleural ".utf8) + [0xFF] + Array(" izquierdo".utf8))
        #expect(invalid.warnings.contains { $0.code == "input.invalid_utf8" })
        #expect(invalid.findings.contains { $0.concept.padchest == "pleural effusion" })
        // A 100k-character line and a 2 MB report finish and produce findings.
        let longLine = String(repeating: "no effusion, ", count: 8000)
        #expect(!a.analyze(longLine, lang: .en).findings.isEmpty)
        let big = String(repeating: "Mild cardiomegaly. No pleural effusion.\n", count: 5_000)
        let r = a.analyze(big, lang: .en)
        #expect(r.findings.count == 10_000)
        // One long sentence dense with findings, sides, sites and list commas (work per cue and per site stays local:
        // this took minutes at 10 MB when each looked along the whole sentence).
        let denseEN = String(repeating: "no effusion, mild cardiomegaly, opacity in the left base, ", count: 3_000)
        #expect(a.analyze(denseEN, lang: .en).findings.filter { $0.laterality == .left }.count == 3_000)
        let denseES = String(repeating: "sin derrame, leve cardiomegalia, opacidad en la base izquierda sugestiva de neumonía, ", count: 3_000)
        #expect(a.analyze(denseES, lang: .es).findings.filter { $0.concept.padchest == "cardiomegaly" && $0.assertion == .present }.count == 3_000)
    }

    @Test func deterministicAndIndependentOfOtherSentences() {
        let t = "FINDINGS: Small left effusion. No pneumothorax."
        #expect(a.analyze(t, lang: .en).jsonString() == a.analyze(t, lang: .en).jsonString())
        let other = a.analyze("Exam 2021-03-04 by XXXX. Small left effusion. No pneumothorax.", lang: .en)
        let f = other.findings.first { $0.concept.padchest == "pleural effusion" }
        #expect(f?.laterality == .left && f?.severity == .small && f?.assertion == .present)
    }

    @Test func assertWorksOnPhrasesOutsideTheOntology() {
        let (_, r) = a.assert("No peripheral cyanosis or edema.", targets: ["edema", "cyanosis", "fever"], lang: .en)
        #expect(r[0].assertion == .absent)
        #expect(r[1].assertion == .absent)
        #expect(r[2].span == nil)
        let (_, s) = a.assert("No se puede descartar neumonía.", targets: ["neumonía"], lang: .es)
        #expect(s[0].assertion == .uncertain)
    }

    /// Oracle: the trie matcher finds exactly the leftmost-longest matches a brute-force matcher over all
    /// term key sequences finds.
    @Test func matcherAgreesWithBruteForce() {
        let o = Fixtures.ontology
        var phrases: [[[UInt8]]: Bool] = [:]
        for t in o.terms where t.language == .en && !t.caseSensitive && t.concept != nil { phrases[Normalizer.phraseKeys(t.text)] = true }
        for id in o.conceptOrder { if let c = o.concepts[id], c.kind != .global { phrases[Normalizer.phraseKeys(c.preferredEN)] = true } }
        let blocked = Set(o.terms.filter { $0.concept == nil && $0.language == .en }.map { Normalizer.phraseKeys($0.text) })
        for n in o.normality where n.language == .en { phrases[Normalizer.phraseKeys(n.anchor)] = true }
        for b in blocked { phrases[b] = true }
        let texts = ["There is a small left pleural effusion with adjacent atelectasis and mild cardiomegaly",
                     "Tortuous aorta with atherosclerotic calcification and degenerative changes of the thoracic spine",
                     "Bibasilar airspace disease and interstitial edema with cephalization of pulmonary vessels"]
        let maxLen = phrases.keys.map(\.count).max() ?? 1
        for text in texts {
            let words = Normalizer.phraseKeys(text)
            var expected: [Range<Int>] = []
            var i = 0
            while i < words.count {
                var best = 0
                for l in stride(from: min(maxLen, words.count - i), through: 1, by: -1) where phrases[Array(words[i..<(i + l)])] != nil {
                    best = l; break
                }
                if best > 0 { expected.append(i..<(i + best)); i += best } else { i += 1 }
            }
            // Spans of findings + anatomy from the analyzer, as word ranges.
            let r = a.analyze(text, lang: .en)
            let tokenStarts = text.split(separator: " ").reduce(into: [Int]()) { acc, w in acc.append((acc.last.map { $0 } ?? -1) + 1) }
            _ = tokenStarts
            let found = Set(r.findings.map { Normalizer.phraseKeys($0.text) } + r.findings.flatMap { $0.locations.map { Normalizer.phraseKeys($0.text) } })
            for e in expected {
                let k = Array(words[e])
                if blocked.contains(k) { continue }
                #expect(found.contains(k) || o.normality.contains { Normalizer.phraseKeys($0.anchor) == k }, "brute force found '\(k.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " "))' in: \(text)")
            }
        }
    }

    @Test func cueRuleExamplesGiveTheirExpectedValue() {
        var failures: [String] = []
        for c in Fixtures.ontology.cues {
            let (_, rs) = a.assert(c.example, targets: [c.target], lang: c.language)
            guard let r = rs.first else { continue }
            let got = r.contextValues
            if !got.contains(c.expect) { failures.append("\(c.id): \(c.example) [\(c.target)] expected \(c.expect) got \(got)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(Fixtures.ontology.cues.count > 200)
    }

    @Test func normalityExamplesDenyTheirConcepts() {
        var failures: [String] = []
        for n in Fixtures.ontology.normality where !n.example.isEmpty {
            let r = a.analyze(n.example, lang: n.language)
            for d in n.denies where !r.findings.contains(where: { $0.concept.cui == d && $0.assertion == .absent }) {
                failures.append("\(n.id): \(n.example) does not deny \(d)")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// A side carried over by coordination or by a sentence that points back names the rule that carried it.
    @Test func sharedSidesCarryTheRuleThatSharedThem() {
        let r = a.analyze("Left basilar opacity XXXX represents chronic scarring. This is unchanged.", lang: .en)
        let scar = r.findings.first { $0.concept.padchest == "fibrotic band" }
        #expect(scar?.laterality == .left)
        #expect(scar?.evidence.contains { $0.category == "coordinate" } == true)
        let g = a.analyze("Calcified nodule in the right upper lobe. This represents a granuloma.", lang: .en)
        let gran = g.findings.first { $0.concept.padchest == "granuloma" }
        #expect(gran?.laterality == .right)
        #expect(gran?.evidence.contains { $0.category == "anaphora" && $0.rule == "en.anaphora.this" } == true)
    }

    /// Buffers are reused between analyses on a thread: a result must not depend on what was analyzed before,
    /// on which thread, or on a huge report that came earlier (whose buffers are not kept).
    @Test func resultsDoNotDependOnEarlierReportsOrThreads() {
        let texts = ["Mild cardiomegaly. No pleural effusion. Possible left basilar atelectasis.",
                     "HALLAZGOS: Derrame pleural izquierdo. Sin signos de neumotórax.",
                     "IMPRESSION: Dr. Smith was notified. Stable 2.5 cm nodule in the right upper lobe."]
        let fresh = texts.map { a.analyze($0) }
        let huge = String(repeating: "Small right pneumothorax; stable nodule in the left upper lobe, no effusion.\n", count: 8000)
        let big = a.analyze(huge)
        #expect(big.findings.count > 8000)
        #expect(texts.map { a.analyze($0) } == fresh)
        #expect(a.analyze(huge) == big)
        // A truncated report's warning, an `assert` and another analyzer's ontology on the same thread leave nothing
        // behind for the next report.
        var short = a
        short.maxBytes = 40
        #expect(short.analyze(texts[0]).warnings.contains { $0.code == "input.too_large" })
        #expect(a.analyze(texts[0]).warnings.isEmpty)
        _ = a.assert("No peripheral cyanosis or edema.", targets: ["edema"], lang: .en)
        _ = Analyzer(ontology: Ontology.empty).analyze(texts[1])
        #expect(texts.map { a.analyze($0) } == fresh)
        let box = ResultsBox()
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            for _ in 0..<20 { box.add(k % texts.count, a.analyze(texts[k % texts.count])) }
        }
        for (k, r) in box.all() { #expect(r == fresh[k]) }
    }
}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, AnalyzedReport)] = []
    func add(_ k: Int, _ r: AnalyzedReport) { lock.lock(); items.append((k, r)); lock.unlock() }
    func all() -> [(Int, AnalyzedReport)] { lock.lock(); defer { lock.unlock() }; return items }
}

/// Parts of the JSON are written once per ontology (a concept's object, a location's opening, an evidence rule's
/// head) and carried by the result's values: a result edited before it is written must still be written as edited.
@Suite struct ResultJSONTests {
    @Test func editedResultsAreWrittenAsEdited() throws {
        var r = Fixtures.analyzer.analyze("Small left pleural effusion at the base. No pneumothorax.", lang: .en)
        var w0 = JSONWriter(); r.writeJSON(to: &w0)
        let before = try JSONParser().parse(w0.string)
        let i = try #require(r.findings.firstIndex { !$0.locations.isEmpty && !$0.evidence.isEmpty })
        r.findings[i].concept.name = "edited name"
        r.findings[i].concept.padchest = nil
        r.findings[i].locations[0].name = "edited site"
        r.findings[i].evidence[0].rule = "edited.rule"
        var w = JSONWriter(); r.writeJSON(to: &w)
        let after = try JSONParser().parse(w.string)
        let f = try #require(after["findings"]?.array?[i])
        #expect(f["concept"]?["name"]?.string == "edited name")
        #expect(f["concept"]?["padchest"] == .null)
        #expect(f["locations"]?.array?.first?["name"]?.string == "edited site")
        #expect(f["evidence"]?.array?.first?["rule"]?.string == "edited.rule")
        // The untouched findings are written as before.
        for k in r.findings.indices where k != i {
            #expect(after["findings"]?.array?[k] == before["findings"]?.array?[k])
        }
    }

    /// References to one concept share its fields; editing one reference is a value change of that one alone.
    @Test func editingOneReferenceLeavesTheOthers() throws {
        var r = Fixtures.analyzer.analyze("Small left pleural effusion. Small right pleural effusion.", lang: .en)
        let same = r.findings.indices.filter { r.findings[$0].concept.cui == r.findings[0].concept.cui }
        try #require(same.count == 2)
        let name = r.findings[same[1]].concept.name
        r.findings[same[0]].concept.name = "edited name"
        #expect(r.findings[same[0]].concept.name == "edited name")
        #expect(r.findings[same[1]].concept.name == name)
        #expect(r.findings[same[0]].concept != r.findings[same[1]].concept)
        r.findings[same[0]].concept.name = name
        #expect(r.findings[same[0]].concept == r.findings[same[1]].concept)
    }
}
