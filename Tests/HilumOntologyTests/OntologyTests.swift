import Foundation
import Testing
import HilumCore
@testable import HilumOntology

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let ontology = root.appendingPathComponent("Ontology")
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    /// One scratch folder for this test process, removed when it exits.
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilum-onto-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: Paths.scratch) }
        return dir
    }()
}

/// A scratch ontology folder: a minimal valid ontology that tests then break one way at a time.
struct Scratch {
    let dir: URL
    init() throws {
        dir = Paths.scratch.appendingPathComponent(UUID().uuidString)
        for d in ["concepts", "relations", "terms", "cues", "sections", "normality", "schemes"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        try write("concepts/a.tsv", """
        id\tkind\tpreferred_en\tpreferred_es\tpadchest\talt_cuis\tlaterality
        C1\tfinding\tradiological finding\thallazgo\tradiological finding\t\t
        C2\tfinding\tpleural effusion\tderrame pleural\tpleural effusion\tC9\t
        C3\tfinding\tloculated pleural effusion\tderrame loculado\tloculated pleural effusion\t\t
        C4\tfinding\thydropneumothorax\thidroneumotórax\thydropneumothorax\t\t
        C5\tfinding\tpneumothorax\tneumotórax\tpneumothorax\t\t
        A1\tanatomy\tleft lung\tpulmón izquierdo\t\t\tleft
        A2\tanatomy\tleft lower lobe\tlóbulo inferior izquierdo\tloc left lower lobe\t\tleft

        """)
        try write("relations/a.tsv", """
        child\trel\tparent\tsource
        C2\tisa\tC1\tpadchest
        C3\tisa\tC2\tpadchest
        C4\tisa\tC2\tpadchest
        C4\tisa\tC5\tpadchest
        C5\tisa\tC1\tpadchest
        A2\tpart_of\tA1\thilum

        """)
        try write("terms/en.tsv", "concept\tterm\tflags\tnote\nC2\teffusion\t\t\nC5\tPTX\tcs\t\n")
        try write("cues/en.json", """
        {"language": "en", "rules": [{"id": "en.neg.no", "category": "negation", "direction": "forward", "scope": 8,
          "patterns": ["no"], "example": "No effusion.", "target": "effusion", "expect": "absent"}]}
        """)
        try write("sections/en.tsv", "id\tkind\theader\nen.sec.findings\tfindings\tfindings\n")
        try write("schemes/x.json", """
        {"scheme": "x", "labels": [{"name": "Effusion", "concepts": ["C2"]}, {"name": "normal", "concepts": []}], "no_finding": "normal"}
        """)
    }
    func write(_ rel: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(rel))
    }
    func append(_ rel: String, _ text: String) throws {
        let url = dir.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let old = (try? Data(contentsOf: url)) ?? Data()
        try (old + Data(text.utf8)).write(to: url)
    }
    func problems() -> [OntologyProblem] { Ontology.loadCollecting(from: dir).1 }
    /// Writes `text` as `rel` (creating its folder) and returns the problems reported for that file.
    func problems(of rel: String, writing text: String) throws -> [OntologyProblem] {
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(rel).deletingLastPathComponent(), withIntermediateDirectories: true)
        try write(rel, text)
        return problems().filter { $0.file == rel }
    }
}

@Suite struct LoaderTests {
    @Test func scratchOntologyIsValid() throws {
        let s = try Scratch()
        #expect(s.problems().isEmpty, "\(s.problems())")
    }

    @Test("each kind of bad row is rejected with file and line", arguments: [
        ("concepts/a.tsv", "C2\tfinding\tdup\tdup\t\t\t\n", "duplicate concept id C2"),
        ("concepts/a.tsv", "C7\tfinding\tonly english\t\t\t\t\n", "has no Spanish name"),
        ("concepts/a.tsv", "C8\tweird\tx\ty\t\t\t\n", "unknown kind"),
        ("concepts/a.tsv", "C8\tfinding\tx\n", "expected 7 columns"),
        ("relations/a.tsv", "C2\tisa\tC404\tpadchest\n", "unknown concept C404"),
        ("relations/a.tsv", "C1\tisa\tC3\tpadchest\n", "cycle"),
        ("terms/en.tsv", "C5\teffusion\t\t\n", "without a 'shared' flag"),
        ("terms/en.tsv", "C404\tsomething\t\t\n", "unknown concept C404"),
        ("terms/en.tsv", "C5\tair leak\tweird\t\n", "unknown flag"),
        ("modifiers/en.txt", "very much\n", "a modifier is one word"),
        ("sections/en.tsv", "en.sec.findings\tfindings\tresults\n", "duplicate rule id"),
        ("schemes/y.json", "{\"scheme\": \"y\", \"labels\": [{\"name\": \"Z\", \"concepts\": [\"C404\"]}]}", "unknown concept C404"),
        ("schemes/z.json", "{\"scheme\": \"z\", \"labels\": [{\"name\": \"Z\", \"concepts\": []}]}", "points nowhere"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [{\"id\": \"en.neg.no\", \"category\": \"negation\", \"direction\": \"forward\", \"scope\": 5, \"patterns\": [\"no\"], \"example\": \"No.\", \"target\": \"no\", \"expect\": \"absent\"}]}", "duplicate rule id"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [{\"id\": \"es.x\", \"category\": \"banana\", \"direction\": \"forward\", \"scope\": 5, \"patterns\": [\"no\"], \"example\": \"No.\", \"target\": \"no\", \"expect\": \"absent\"}]}", "unknown category"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [{\"id\": \"es.x\", \"category\": \"negation\", \"certainty\": \"probable\", \"direction\": \"forward\", \"scope\": 5, \"patterns\": [\"no\"], \"example\": \"No.\", \"target\": \"no\", \"expect\": \"absent\"}]}", "needs category uncertainty"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [{\"id\": \"es.x\", \"category\": \"negation\", \"alternatives\": true, \"direction\": \"forward\", \"scope\": 5, \"patterns\": [\"no\"], \"example\": \"No.\", \"target\": \"no\", \"expect\": \"absent\"}]}", "'alternatives' needs category coordinate"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [{\"id\": \"es.x\", \"category\": \"uncertainty\", \"certainty\": \"sure\", \"direction\": \"forward\", \"scope\": 5, \"patterns\": [\"posible\"], \"example\": \"posible\", \"target\": \"posible\", \"expect\": \"uncertain\"}]}", "needs category uncertainty"),
        ("schemes/w.json", "{\"scheme\": \"w\", \"probable_as\": \"maybe\", \"labels\": [{\"name\": \"Z\", \"concepts\": [\"C5\"]}]}", "probable_as must be"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [", "invalid cue file"),
        ("cues/es.json", "{\"language\": \"es\", \"rules\": [{\"id\": \"es.y\", \"category\": \"negation\", \"direction\": \"forward\", \"scope\": 5, \"patterns\": [\"sin\"], \"example\": \"Sin derrame.\", \"target\": \"neumotórax\", \"expect\": \"absent\"}]}", "is not in its example"),
    ])
    func rejects(_ file: String, _ row: String, _ message: String) throws {
        let s = try Scratch()
        if file.hasSuffix(".json") { try s.write(file, row) } else { try s.append(file, row) }
        let p = s.problems()
        #expect(p.contains { $0.message.contains(message) && $0.file.hasPrefix(file.components(separatedBy: "/")[0]) }, "\(p)")
        // Every problem names a file; TSV problems name a line.
        if !file.hasSuffix(".json") {
            #expect(p.contains { $0.line > 0 })
        }
    }

    @Test func invalidUTF8IsReportedWithItsLine() throws {
        let s = try Scratch()
        var bytes = Array("concept\tterm\tflags\tnote\nC2\teffusion\t\t\n".utf8)
        bytes += [0x43, 0x35, 0x09, 0xFF, 0xFE, 0x09, 0x09, 0x0A]
        try Data(bytes).write(to: s.dir.appendingPathComponent("terms/en.tsv"))
        let p = s.problems()
        #expect(p.contains { $0.message == "invalid UTF-8" && $0.line == 3 && $0.file == "terms/en.tsv" })
    }

    /// The same files held in memory load to the same ontology (same version, same problems).
    @Test func filesInMemoryLoadLikeTheFolder() throws {
        let s = try Scratch()
        var files: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: s.dir.path)
        while let rel = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: s.dir.appendingPathComponent(rel).path, isDirectory: &isDir), !isDir.boolValue {
                files[rel] = try Data(contentsOf: s.dir.appendingPathComponent(rel))
            }
        }
        let (disk, p1) = Ontology.loadCollecting(from: s.dir)
        let (mem, p2) = Ontology.loadCollecting(files: files)
        #expect(p1.isEmpty && p2.isEmpty, "\(p1) \(p2)")
        #expect(disk.version == mem.version && disk.concepts == mem.concepts && disk.cues == mem.cues)
        files["terms/en.tsv"] = Data("concept\tterm\tflags\tnote\nC404\tsomething\t\t\n".utf8)
        #expect(Ontology.loadCollecting(files: files).1.contains { $0.file == "terms/en.tsv" && $0.line == 2 })
    }

    /// `scene/derived.tsv` names the regions of the scene engine's geometric rules: unknown rules, sides and regions
    /// are problems with their line.
    @Test func derivedRegionTableIsChecked() throws {
        let o = try Ontology.load(from: Paths.ontology)
        #expect(o.derivedRegion("lung", "right") == "right lung")
        #expect(o.derivedRegion("low_lateral", "left") == "left costophrenic angle")
        #expect(o.derivedRegion("silhouette") == "cardiac silhouette")
        let p = try Scratch().problems(of: "scene/derived.tsv",
                                       writing: "rule\tside\tregion\tnote\nupper_half\tright\tx\t\nlung\tup\tx\t\nlung\tright\tnowhere\t\n")
        #expect(p.contains { $0.line == 2 && $0.message.contains("unknown rule") })
        #expect(p.contains { $0.line == 3 && $0.message.contains("side") })
        #expect(p.contains { $0.line == 4 && $0.message.contains("unknown region") })
    }

    /// `refinements.tsv`: a generic finding made specific by its site; unknown concepts and a site that is not anatomy are
    /// problems with their line.
    @Test func refinementTableIsChecked() throws {
        let o = try Ontology.load(from: Paths.ontology)
        #expect(o.refinements.contains { $0.finding == "C2603353" && $0.refined == "C0149726" })
        let p = try Scratch().problems(of: "refinements.tsv",
                                       writing: "finding\tsite\trefined\tnote\nC1\tA1\tC2\t\nC404\tA1\tC2\t\nC1\tC5\tC2\t\n")
        #expect(!p.contains { $0.line == 2 })
        #expect(p.contains { $0.line == 3 && $0.message.contains("unknown concept") })
        #expect(p.contains { $0.line == 4 && $0.message.contains("not an anatomy") })
    }

    /// `imagenome/kinds.tsv`: the ImaGenome category of a finding without an attribute row comes from data.
    @Test func imagenomeKindCategoriesAreData() throws {
        let o = try Ontology.load(from: Paths.ontology)
        #expect(o.imagenomeKindCategories[.diagnosis] == "disease")
        #expect(o.imagenomeKindCategories[.finding] == "anatomicalfinding")
        let p = try Scratch().problems(of: "imagenome/kinds.tsv", writing: "kind\tcategory\tnote\nsymptom\tx\t\nfinding\t\t\n")
        #expect(p.contains { $0.line == 2 && $0.message.contains("unknown concept kind") })
        #expect(p.contains { $0.line == 3 && $0.message.contains("empty category") })
    }

    @Test func missingFolderAndBadHeader() throws {
        let p = Ontology.loadCollecting(from: URL(fileURLWithPath: "/nonexistent/hilum")).1
        #expect(p.first?.message.contains("not found") == true)
        let s = try Scratch()
        try s.write("terms/es.tsv", "concepto\ttermino\n")
        #expect(s.problems().contains { $0.message.contains("header must be") })
    }

    @Test func allProblemsAreCollectedNotJustTheFirst() throws {
        let s = try Scratch()
        try s.append("relations/a.tsv", "C2\tisa\tC404\tpadchest\nC3\tisa\tC405\tpadchest\n")
        let p = s.problems()
        #expect(p.filter { $0.message.contains("unknown concept") }.count == 2)
        #expect(throws: HilumError.self) { try Ontology.load(from: s.dir) }
    }

    @Test func hierarchyQueriesFollowBothParents() throws {
        let s = try Scratch()
        let o = try Ontology.load(from: s.dir)
        #expect(o.ancestors(of: "C4") == ["C2", "C5", "C1"])
        #expect(o.descendants(of: "C2") == ["C2", "C3", "C4"])
        #expect(o.isA("C4", "C5"))
        #expect(!o.isA("C3", "C5"))
        #expect(o.descendants(of: "A1").contains("A2"))
        #expect(o.lookup("PTX").first?.id == "C5")
        #expect(o.lookup("derrame pleural").first?.id == "C2")
        #expect(o.lookup("C9").first?.id == "C2")
    }

    @Test func versionIsAContentHash() throws {
        let s = try Scratch()
        let v1 = try Ontology.load(from: s.dir).version
        #expect(v1.hasPrefix("sha256:") && v1.count == 71)
        #expect(try Ontology.load(from: s.dir).version == v1)
        try s.append("terms/en.tsv", "C5\tcollapsed lung\t\t\n")
        #expect(try Ontology.load(from: s.dir).version != v1)
    }
}

@Suite struct ShippedOntologyTests {
    static let o: Ontology? = try? Ontology.load(from: Paths.ontology)

    @Test func shippedOntologyPassesCheck() {
        let (_, p) = Ontology.loadCollecting(from: Paths.ontology)
        #expect(p.isEmpty, "\(p.prefix(20).map(\.description).joined(separator: "\n"))")
    }

    @Test func everyPadChestTermIsPresentWithItsLabelAndBothLanguages() throws {
        let o = try #require(ShippedOntologyTests.o)
        let url = Paths.shared.appendingPathComponent("data/padchest/padchest_terms.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var n = 0
        for line in text.split(separator: "\n").dropFirst() {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count > 6 else { continue }
            let label = c[6].trimmingCharacters(in: .whitespaces)
            let id = try #require(o.byPadchest[label], "PadChest label '\(label)' missing")
            let concept = try #require(o.concepts[id])
            if c[0] != "global" { #expect(!concept.preferredES.isEmpty, "\(label) has no Spanish name") }
            let cuis = c[2].split(separator: "|").map(String.init)
            if let first = cuis.first { #expect(concept.id == first, "\(label): PadChest's CUI \(first) must be primary") }
            n += 1
        }
        #expect(n >= 300)
    }

    @Test func everyImaGenomeRegionIsPresent() throws {
        let o = try #require(ShippedOntologyTests.o)
        let text = try String(contentsOf: Paths.shared.appendingPathComponent("data/imagenome/imagenome_objects.tsv"), encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count >= 36)
        for r in rows {
            guard let name = r.first, !name.isEmpty else { continue }
            #expect(o.regions[name] != nil, "ImaGenome region '\(name)' missing")
        }
    }

    @Test func pleuralEffusionKeepsPadChestCUIWithTheGeneralOneAsAlternative() throws {
        let o = try #require(ShippedOntologyTests.o)
        let c = try #require(o.concepts["C2073625"])
        #expect(c.padchest == "pleural effusion")
        #expect(o.lookup("C0032227").first?.id == "C2073625" || c.altCUIs.isEmpty)
    }

    @Test func schemesPointToConceptsWithDescendants() throws {
        let o = try #require(ShippedOntologyTests.o)
        for name in ["chexpert", "chestxray14", "padchest"] { #expect(o.schemes[name] != nil) }
        // Left lung includes its lower lobe through part_of.
        let leftLung = try #require(o.lookup("left lung").first)
        let lll = try #require(o.byPadchest["loc left lower lobe"])
        #expect(o.isA(lll, leftLung.id))
    }
}

@Suite struct CoreTests {
    @Test func sha256KnownVectors() {
        var a = SHA256(); a.update(Array("abc".utf8))
        #expect(a.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var b = SHA256(); b.update(Array(repeating: UInt8(ascii: "a"), count: 1000))
        #expect(b.finalizeHex() == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        var c = SHA256(); c.update([UInt8]())
        #expect(c.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func normalizerFoldsCaseAccentsPluralsAndGender() {
        func k(_ s: String) -> [[UInt8]] { Normalizer.phraseKeys(s) }
        #expect(k("Derrames pleurales") == k("derrame pleural"))
        #expect(k("DERECHA") == k("derecho"))
        #expect(k("opacities") == k("opacity"))
        #expect(k("neumotórax") == k("neumotorax"))
        #expect(k("masa") != k("más"))
        #expect(k("air-fluid level") == k("air fluid level"))
        #expect(k("atelectasis") == k("atelectasis"))
    }

    @Test func jsonParserLimitsAndErrors() {
        #expect(throws: HilumError.self) { try JSONParser().parse("{\"a\": ") }
        #expect(throws: HilumError.self) { try JSONParser().parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }
        let v = try? JSONParser().parse("{\"t\": \"caf\\u00e9 \\ud83d\\ude00\", \"n\": -1.5e2}")
        #expect(v?["t"]?.string == "café 😀")
        #expect(v?["n"]?.double == -150)
    }

    @Test func jsonWriterEscapesRoundTripsAndCopiesOnWrite() throws {
        // Strings of every length around the eight-byte fast path, with each character that needs escaping at
        // every position, and non-ASCII text: what the parser reads back is what was written.
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "é", "😀"]
        var cases: [String] = ["", "a", "plain ascii text longer than eight bytes"]
        for n in 0..<20 {
            for c in specials {
                for k in 0...n { var t = String(repeating: "x", count: n); t.insert(c, at: t.index(t.startIndex, offsetBy: k)); cases.append(t) }
            }
        }
        var w = JSONWriter()
        w.byte(0x5B)
        for (i, t) in cases.enumerated() { if i > 0 { w.comma() }; w.string(t) }
        w.byte(0x5D)
        let back = try JSONParser().parse(w.string)
        #expect(back.array?.map { $0.string ?? "?" } == cases)
        // Integers, including the edges.
        var n = JSONWriter()
        n.byte(0x5B)
        let ints = [0, 7, 10, 99, 100, -1, -10, 123_456_789, Int.max, -Int.max]
        for (i, x) in ints.enumerated() { if i > 0 { n.comma() }; n.int(x) }
        n.byte(0x5D)
        #expect(n.string == "[" + ints.map(String.init).joined(separator: ",") + "]")
        // Writing on past several regrowths (from 4 KB) keeps every earlier byte. (A writer cannot be copied: it owns
        // its bytes alone, which the compiler checks.)
        var a = JSONWriter()
        a.key("k")
        a.string(String(repeating: "y", count: 10_000))
        a.null()
        for _ in 0..<3 { a.string(String(repeating: "z", count: 9_000)) }
        #expect(a.count == 4 + 10_002 + 4 + 3 * 9_002)
        #expect(a.string == "\"k\":\"" + String(repeating: "y", count: 10_000) + "\"null"
                + String(repeating: "\"" + String(repeating: "z", count: 9_000) + "\"", count: 3))
    }
}

/// One-edit spelling correction against term words (`SpellIndex`).
@Suite struct SpellingTests {
    func key(_ s: String) -> [UInt8] { Normalizer.phraseKeys(s).first ?? [] }

    func correct(_ index: SpellIndex, _ s: String) -> Int32? { key(s).withUnsafeBufferPointer { index.correct($0) } }

    @Test func oneEditFromExactlyOneTermWordIsThatWord() {
        let index = SpellIndex(words: [(key("consolidaciones"), 1), (key("hemidiafragma"), 2), (key("pneumothorax"), 3),
                                       (key("cardiomegaly"), 4), (key("opacidades"), 5)])
        #expect(correct(index, "consoldiaciones") == 1)    // two neighbours swapped
        #expect(correct(index, "hemidifragma") == 2)       // a letter dropped
        #expect(correct(index, "pnemothorax") == 3)        // a letter dropped
        #expect(correct(index, "cardiomegally") == 4)      // a letter too many
        #expect(correct(index, "opaciades") == 5)          // a letter dropped
        #expect(correct(index, "opacidaxes") == 5)         // a letter changed
        #expect(correct(index, "consolidaciones") == nil)  // the word itself is no edit (callers ask for unknown words)
        #expect(correct(index, "cosnolidaiconse") == nil)  // more than one edit
        #expect(correct(index, "xonsolidaciones") == nil)  // the first letter is kept by typists
        #expect(correct(index, "hemi") == nil)             // too short
    }

    @Test func ambiguousAndKeptWordsAreNotCorrected() {
        let index = SpellIndex(words: [(key("loculated"), 1), (key("lobulated"), 2), (key("infiltrado"), 3)],
                               kept: [key("infiltrando")])
        #expect(correct(index, "lodulated") == nil)        // one edit from two term words
        #expect(correct(index, "infiltrando") == nil)      // a real word, kept as written
        #expect(correct(index, "infiltardo") == 3)
    }
}
