import Foundation
import Testing
import HilumCore
import HilumOntology
import HilumNLP
@testable import HilumLabels

enum L {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let ontology: Ontology = {
        do { return try Ontology.load(from: root.appendingPathComponent("Ontology")) } catch { preconditionFailure("\(error)") }
    }()
    static let analyzer = Analyzer(ontology: ontology)
    static let labeler = Labeler(ontology: ontology)

    static func labels(_ text: String, _ lang: Language = .en, policy: UncertainPolicy = .keep) -> [String: [String: JSONValue]] {
        var r = analyzer.analyze(text, lang: lang)
        labeler.apply(&r, policy: policy)
        var out: [String: [String: JSONValue]] = [:]
        for s in r.labels { out[s.scheme] = Dictionary(s.values, uniquingKeysWith: { a, _ in a }) }
        return out
    }

    /// One scratch folder for this test process, removed when it exits.
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilum-labels-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: L.scratch) }
        return dir
    }()

    static func tmp(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let p = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let p = try tmp("in.bin", bytes)
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/bin/sh")
        proc.arguments = ["-c", "gzip -c '\(p)' > '\(p).gz'"]
        try proc.run(); proc.waitUntilExit()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: p + ".gz")))
    }

    static func readAll(_ path: String, format: InputFormat = .auto, options: CorpusOptions = CorpusOptions()) throws -> [CorpusItem] {
        var r = CorpusReader(paths: [path], format: format, options: options)
        var out: [CorpusItem] = []
        while let i = try r.next() { out.append(i) }
        return out
    }
}

@Suite struct SchemeTests {
    @Test func chexpertAggregationAndParents() {
        let l = L.labels("Mild cardiomegaly. Possible small right pleural effusion. No pneumothorax. Left lower lobe atelectasis.")
        let c = l["chexpert"] ?? [:]
        #expect(c["Cardiomegaly"] == .number(1))
        #expect(c["Enlarged Cardiomediastinum"] == .number(1))  // parent consistency
        #expect(c["Pleural Effusion"] == .number(-1))
        #expect(c["Pneumothorax"] == .number(0))
        #expect(c["Atelectasis"] == .number(1))
        #expect(c["Lung Opacity"] == .number(1))  // Atelectasis ⇒ Lung Opacity
        #expect(c["No Finding"] == .null)
        #expect(c["Edema"] == .null)
    }

    /// The CheXpert labeler's mention lists: a mass in the lung is a Lung Lesion (a mediastinal or breast mass is not),
    /// and vascular congestion is Edema.
    @Test func chexpertMentionConventions() {
        let lobe = L.labels("Mass in the right upper lobe.")["chexpert"] ?? [:]
        #expect(lobe["Lung Lesion"] == .number(1))
        #expect(lobe["Lung Opacity"] == .number(1))
        let mediastinal = L.labels("Large mediastinal mass.")["chexpert"] ?? [:]
        #expect(mediastinal["Lung Lesion"] == .null)
        let breast = L.labels("Left breast mass.")["chexpert"] ?? [:]
        #expect(breast["Lung Lesion"] == .null)
        let congestion = L.labels("Mild pulmonary vascular congestion.")["chexpert"] ?? [:]
        #expect(congestion["Edema"] == .number(1))
        #expect(congestion["No Finding"] == .null)
    }

    @Test func presentBeatsUncertainBeatsAbsent() {
        let c = L.labels("No pleural effusion on the left. Possible right pleural effusion. Small pleural effusion on the right.")["chexpert"] ?? [:]
        #expect(c["Pleural Effusion"] == .number(1))
        let u = L.labels("No pleural effusion on the left. Possible right pleural effusion.")["chexpert"] ?? [:]
        #expect(u["Pleural Effusion"] == .number(-1))
    }

    @Test func noFindingIgnoresSupportDevicesOnly() {
        let c = L.labels("Endotracheal tube in good position. Lungs are clear. No effusion.")["chexpert"] ?? [:]
        #expect(c["Support Devices"] == .number(1))
        #expect(c["No Finding"] == .number(1))
        let x = L.labels("Heart size is normal. No effusion or pneumothorax.")["chestxray14"] ?? [:]
        #expect(x["normal"] == .number(1))
    }

    @Test func uncertainPolicy() {
        #expect(L.labels("Possible pneumonia.", policy: .ones)["chexpert"]?["Pneumonia"] == .number(1))
        #expect(L.labels("Possible pneumonia.", policy: .zeros)["chexpert"]?["Pneumonia"] == .number(0))
        #expect(L.labels("Possible pneumonia.", policy: .keep)["chexpert"]?["Pneumonia"] == .number(-1))
        // ChestX-ray14 is 0/1: under keep an uncertain mention follows the scheme's convention (zeros), and
        // the explicit policies override it.
        #expect(L.labels("Possible pneumonia.", policy: .keep)["chestxray14"]?["Pneumonia"] == .number(0))
        #expect(L.labels("Possible pneumonia.", policy: .ones)["chestxray14"]?["Pneumonia"] == .number(1))
    }

    @Test func probableHedgesArePositiveInChestXray14OnlyUnderKeep() {
        // "probable" leans towards present: ChestX-ray14 (probable_as ones) writes 1, CheXpert still -1.
        let p = L.labels("Probable right lower lobe pneumonia.")
        #expect(p["chestxray14"]?["Pneumonia"] == .number(1))
        #expect(p["chestxray14"]?["normal"] == .number(0))
        #expect(p["chexpert"]?["Pneumonia"] == .number(-1))
        #expect(L.labels("Probable right lower lobe pneumonia.", policy: .zeros)["chestxray14"]?["Pneumonia"] == .number(0))
        // A differential favours its first alternative.
        let v = L.labels("Left basilar opacity, atelectasis versus pneumonia.")["chestxray14"] ?? [:]
        #expect(v["Atelectasis"] == .number(1))
        #expect(v["Pneumonia"] == .number(0))
        // Spanish hedges carry the same grades.
        let es = L.labels("Consolidación basal derecha, probablemente neumonía. No se puede descartar derrame pleural.", .es)["chestxray14"] ?? [:]
        #expect(es["Pneumonia"] == .number(1))
        #expect(es["Effusion"] == .number(0))
        // Present beats probable beats possible across mentions (CheXpert keeps -1 for both hedges).
        let mix = L.labels("Possible pleural effusion on the left. Probable pleural effusion on the right.")
        #expect(mix["chestxray14"]?["Effusion"] == .number(1))
        #expect(mix["chexpert"]?["Pleural Effusion"] == .number(-1))
    }

    @Test func historicalAndHypotheticalMentionsDoNotLabel() {
        let c = L.labels("INDICATION: rule out pneumonia.\nFINDINGS: Lungs are clear.")["chexpert"] ?? [:]
        #expect(c["Pneumonia"] == .null)
    }

    @Test func someoneElsesFindingsDoNotLabelNorSitInTheImage() throws {
        let l = L.labels("Hermano con tuberculosis. Contacto estrecho con COVID-19. Derrame pleural izquierdo.", .es)
        #expect(l["padchest"]?["tuberculosis"] == nil)
        #expect(l["padchest"]?["COVID 19"] == nil)
        #expect(l["padchest"]?["pleural effusion"] == .string("present"))
        let en = L.labels("Family history of lung cancer. Lungs are clear.")
        #expect(en["chexpert"]?["Lung Lesion"] == .null)
        #expect(en["chexpert"]?["No Finding"] == .number(1))
        let r = L.analyzer.analyze("Mother with tuberculosis. Right upper lobe nodule.", lang: .en)
        let tb = try #require(r.findings.first { $0.concept.padchest == "tuberculosis" })
        #expect(tb.experiencer == .other && tb.regions.isEmpty)
        #expect(tb.evidence.contains { $0.category == "experiencer" })
        let nodule = try #require(r.findings.first { $0.concept.padchest == "nodule" })
        #expect(nodule.experiencer == .patient && !nodule.regions.isEmpty)
    }

    @Test func spanishReportsLabelTheSameWay() {
        let l = L.labels("Cardiomegalia. Derrame pleural izquierdo. No se aprecia neumotórax.", .es)
        #expect(l["chexpert"]?["Cardiomegaly"] == .number(1))
        #expect(l["chexpert"]?["Pleural Effusion"] == .number(1))
        #expect(l["chexpert"]?["Pneumothorax"] == .number(0))
        #expect(l["padchest"]?["pleural effusion"] == .string("present"))
        #expect(l["chestxray14"]?["Effusion"] == .number(1))
    }

    /// The PadChest CSV cells of one Spanish report.
    static func padchestCells(_ text: String) throws -> [String] {
        let job = try LabelJob(ontology: L.ontology, scheme: "padchest", format: .csv)
        var r = L.analyzer.analyze(text, lang: .es)
        L.labeler.apply(&r)
        return job.padchestCells(r)
    }

    @Test func padchestCellsBindLocationsOnlyToPositiveFindingsOfTheSentence() throws {
        let cells = try Self.padchestCells("Derrame pleural derecho. No se observa neumotórax izquierdo.")
        #expect(cells[0] == "['pleural effusion']")
        #expect(cells[1].contains("loc right") || cells[1].contains("costophrenic"))
        #expect(!cells[1].contains("left"))
        #expect(cells[2].hasPrefix("[['pleural effusion'"))
        #expect(cells[2].hasSuffix("['normal']]"))
        #expect(try Self.padchestCells("Sin hallazgos.")[0] == "['normal']")
    }

    /// A site without a PadChest location of its own ("base derecha", a lung zone) is written as its parents' location
    /// and its side, as PadChest's annotators write it.
    @Test func padchestLocalizationOfAZoneIsItsParentAndSide() throws {
        let cells = try Self.padchestCells("Atelectasia laminar en base derecha.")
        #expect(cells[1] == "['loc basal', 'loc right']")
        #expect(cells[4] == "['C1282378' 'C0444532']")
    }
}

@Suite struct CorpusReaderTests {
    @Test func chexpertStyleCSVWithQuotesNewlinesAndCommas() throws {
        let csv = "\"No effusion, no pneumothorax.\"\n\"Cardiomegaly.\nSmall \"\"left\"\" effusion.\"\nPlain report\n"
        let items = try L.readAll(try L.tmp("r.csv", Array(csv.utf8)), format: .chexpert)
        let texts = items.compactMap { if case .record(let r) = $0 { return r.text } else { return nil } }
        #expect(texts == ["No effusion, no pneumothorax.", "Cardiomegaly.\nSmall \"left\" effusion.", "Plain report"])
    }

    @Test func brokenQuoteIsReportedWithItsLineAndTheOtherRowsSurvive() throws {
        let csv = "id,report\n1,\"fine\"\n2,\"broken\"x,more\n3,\"also fine\"\n"
        let items = try L.readAll(try L.tmp("r.csv", Array(csv.utf8)))
        var ok: [String] = []
        var bad: [(Int, String)] = []
        for i in items {
            switch i {
            case .record(let r): ok.append(r.id)
            case .failure(let e): bad.append((e.row, e.error.code))
            case .deferred: Issue.record("parsing was not deferred")
            }
        }
        #expect(ok == ["1", "3"])
        #expect(bad.count == 1 && bad[0].0 == 3 && bad[0].1 == "input.bad_csv_quote")
    }

    @Test func recordsOverTheSizeLimitFailAndTheNextRowsAreRead() throws {
        // Quoted and unquoted fields are read run by run: the limit still stops a record at the byte that passes it.
        var options = CorpusOptions()
        options.maxRecordBytes = 40
        let long = String(repeating: "effusion ", count: 8)
        let csv = "id,report\n1,\"short\"\n2,\"\(long)\nmore\"\n3,\(long.replacingOccurrences(of: " ", with: "_"))\n4,last one\n"
        let items = try L.readAll(try L.tmp("r.csv", Array(csv.utf8)), options: options)
        var ok: [String] = [], bad: [String] = []
        for i in items {
            if case .record(let r) = i { ok.append(r.id) }
            if case .failure(let e) = i { bad.append(e.error.message) }
        }
        #expect(ok == ["1", "4"])
        #expect(bad.filter { $0.contains("larger than 40 bytes") }.count == 2, "\(bad)")
    }

    @Test func crlfRowsAndALoneCRInAField() throws {
        let csv = "id,report\r\n1,No effusion.\r\n2,\"Mild\r\ncardiomegaly.\"\r\n3,a\rb\r\n"
        let items = try L.readAll(try L.tmp("r.csv", Array(csv.utf8)))
        let texts = items.compactMap { if case .record(let r) = $0 { return r.text } else { return nil } }
        #expect(texts == ["No effusion.", "Mild\r\ncardiomegaly.", "a\rb"])
    }

    @Test func unterminatedQuoteAtEndIsAnError() throws {
        let items = try L.readAll(try L.tmp("r.csv", Array("report\n\"never closed\n".utf8)))
        #expect(items.contains { if case .failure(let e) = $0 { return e.error.code == "input.bad_csv_quote" } else { return false } })
    }

    @Test func headerCSVWithSeveralTextColumnsJoined() throws {
        let csv = "study,findings,impression\ns1,Small left effusion.,No pneumothorax.\n"
        var o = CorpusOptions()
        o.textColumns = ["findings", "impression"]
        o.idColumn = "study"
        let items = try L.readAll(try L.tmp("r.csv", Array(csv.utf8)), options: o)
        guard case .record(let r)? = items.first else { Issue.record("no record"); return }
        #expect(r.id == "s1")
        #expect(r.text == "FINDINGS: Small left effusion.\nIMPRESSION: No pneumothorax.")
    }

    @Test func jsonlBadLinesAreReportedAndOthersRead() throws {
        var bytes = Array("{\"id\": \"a\", \"text\": \"Cardiomegaly.\"}\nnot json\n{\"id\": \"c\"}\n".utf8)
        bytes += [0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D, 0x0A]
        bytes += Array("{\"id\": 5, \"text\": \"Derrame.\", \"lang\": \"es\"}\n".utf8)
        let items = try L.readAll(try L.tmp("r.jsonl", bytes))
        var codes: [String] = []
        var ids: [String] = []
        for i in items {
            switch i {
            case .record(let r): ids.append(r.id)
            case .failure(let e): codes.append("\(e.row):\(e.error.code)")
            case .deferred: Issue.record("parsing was not deferred")
            }
        }
        #expect(ids == ["a", "5"])
        #expect(codes == ["2:input.malformed_json", "3:input.missing_field", "4:input.invalid_utf8"])
    }

    @Test func jsonlFieldsByNameFirstOfARepeatedKeyAndTheOptions() throws {
        let lines = [
            // A repeated key: the last one counts (the JSON parser keeps the last value of a key).
            #"{"text": "ignored", "id": "a", "text": "Cardiomegaly.", "lang": "en", "lang": "es"}"#,
            // No `id`: `uid`; findings and impression joined under their headers; the study fields.
            #"{"uid": "CXR9", "findings": "Clear lungs.", "impression": "Normal.", "patient_id": 12, "study_id": "s1", "study_date": "2020-01-02", "scene": {"regions": []}}"#,
            // `report` when there is no `text`; an explicit null scene is none.
            #"{"id": 7, "report": "Small effusion.", "scene": null}"#,
            // A text field that is not a string.
            #"{"id": "d", "text": 5}"#,
        ]
        let path = try L.tmp("f.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        var records: [CorpusRecord] = []
        var codes: [String] = []
        for i in try L.readAll(path) {
            switch i {
            case .record(let r): records.append(r)
            case .failure(let e): codes.append("\(e.row):\(e.error.code)")
            case .deferred: Issue.record("parsing was not deferred")
            }
        }
        #expect(codes == ["4:input.bad_field"])
        #expect(records.map(\.id) == ["a", "CXR9", "7"])
        #expect(records.map(\.text) == ["Cardiomegaly.", "FINDINGS: Clear lungs.\nIMPRESSION: Normal.", "Small effusion."])
        #expect(records.first?.lang == .es)
        #expect(records.dropFirst().first.map { [$0.patientID, $0.studyID, $0.studyDate] } == ["12", "s1", "2020-01-02"])
        #expect(records.dropFirst().first?.scene != nil)
        #expect(records.last?.scene == nil)

        // Fields named by the options, known or not.
        var options = CorpusOptions()
        options.textFields = ["note", "impression"]
        options.idField = "accession"
        let custom = try L.tmp("c.jsonl", Array(#"{"id": "x", "accession": "A1", "note": "No effusion.", "impression": "Normal.", "text": "unused"}"#.utf8 + [0x0A]))
        let items = try L.readAll(custom, options: options)
        guard case .record(let r)? = items.first else { Issue.record("no record: \(items)"); return }
        #expect(r.id == "A1")
        #expect(r.text == "NOTE: No effusion.\nIMPRESSION: Normal.")
    }

    @Test func deferredParsingGivesTheSameItems() throws {
        let bytes = Array("{\"id\": \"a\", \"text\": \"Cardiomegaly.\"}\nnot json\n{\"id\": \"c\", \"text\": \"x\"}\n".utf8)
        let path = try L.tmp("d.jsonl", bytes)
        var o = CorpusOptions()
        o.deferParsing = true
        let deferred = try L.readAll(path, options: o).map { $0.resolved() }
        let direct = try L.readAll(path)
        func describe(_ i: CorpusItem) -> String {
            switch i {
            case .record(let r): return "r:\(r.id):\(r.text)"
            case .failure(let e): return "f:\(e.row):\(e.error.code)"
            case .deferred: return "deferred"
            }
        }
        #expect(deferred.map(describe) == direct.map(describe))
        #expect(deferred.map(describe) == ["r:a:Cardiomegaly.", "f:2:input.malformed_json", "r:c:x"])
    }

    @Test func gzipPlainMultiMemberTruncatedAndCorrupt() throws {
        let a = Array("{\"id\": \"1\", \"text\": \"Cardiomegaly.\"}\n".utf8)
        let b = Array("{\"id\": \"2\", \"text\": \"No effusion.\"}\n".utf8)
        let gz = try L.gzip(a) + L.gzip(b)  // two members
        let items = try L.readAll(try L.tmp("r.jsonl.gz", gz))
        #expect(items.count == 2)
        let truncated = Array(gz.prefix(gz.count / 2 - 4))
        #expect(throws: HilumError.self) { _ = try L.readAll(try L.tmp("t.jsonl.gz", truncated)) }
        var corrupt = gz
        for k in 12..<min(30, corrupt.count) { corrupt[k] ^= 0xA5 }
        do {
            _ = try L.readAll(try L.tmp("c.jsonl.gz", corrupt))
            Issue.record("corrupt gzip was accepted")
        } catch {
            let code = (error as? HilumError)?.code
            #expect(code == "input.corrupt_gzip" || code == "input.truncated_gzip")
        }
    }

    /// Foundation's XMLParser traps on an element name that is not UTF-8 (found by the openi-xml fuzzer): the
    /// reader refuses such a file with a coded error, and the next file is still read.
    @Test func nonUTF8XMLIsAnErrorNotACrash() throws {
        var bad = Array(#"<?xml version="1.0"?><eCitation><Abstract><AbstractText Label="FINDINGS">No effusion.</Abstrac"#.utf8)
        bad += [0xF4] + Array(#"Text></Abstract><uId id="CXR1"/></eCitation>"#.utf8)
        let dir = URL(fileURLWithPath: try L.tmp("1.xml", bad)).deletingLastPathComponent()
        try Data(#"<eCitation><uId id="CXR2"/><AbstractText Label="FINDINGS">Cardiomegaly.</AbstractText></eCitation>"#.utf8)
            .write(to: dir.appendingPathComponent("2.xml"))
        let items = try L.readAll(dir.path)
        guard items.count == 2, case .failure(let e) = items[0], case .record(let r) = items[1] else { Issue.record("\(items)"); return }
        #expect(e.error.code == "input.invalid_utf8")
        #expect(r.id == "CXR2")
        // An empty processing instruction made Foundation's XMLParser call strlen(NULL) (fuzzer): libxml2 reads it.
        let pi = #"<?xml?><eCitation><AbstractText Label="FINDINGS">Heart size normal.</AbstractText><uId id="CXR3"/></eCitation>"#
        let dir2 = URL(fileURLWithPath: try L.tmp("3.xml", Array(pi.utf8))).deletingLastPathComponent()
        for item in try L.readAll(dir2.path) {
            switch item {
            case .record(let r): #expect(r.id == "CXR3" && r.text == "FINDINGS: Heart size normal.")
            case .failure(let e): #expect(e.error.code == "input.malformed_xml")
            case .deferred: Issue.record("deferred")
            }
        }
    }

    @Test func openiXMLAndMalformedXML() throws {
        let xml = """
        <?xml version="1.0" encoding="utf-8"?><eCitation><uId id="CXR42"/><MedlineCitation><Article><Abstract>
        <AbstractText Label="COMPARISON">None.</AbstractText><AbstractText Label="INDICATION">Cough.</AbstractText>
        <AbstractText Label="FINDINGS">Mild cardiomegaly.</AbstractText><AbstractText Label="IMPRESSION">No acute disease.</AbstractText>
        </Abstract></Article></MedlineCitation></eCitation>
        """
        let dir = URL(fileURLWithPath: try L.tmp("1.xml", Array(xml.utf8))).deletingLastPathComponent()
        try Data("<eCitation><uId id=\"CXR43\"/><AbstractText Label=\"FINDINGS\">Cut off".utf8).write(to: dir.appendingPathComponent("2.xml"))
        let items = try L.readAll(dir.path)
        guard items.count == 2, case .record(let r) = items[0], case .failure(let e) = items[1] else { Issue.record("\(items)"); return }
        #expect(r.id == "CXR42")
        #expect(r.text == "INDICATION: Cough.\nCOMPARISON: None.\nFINDINGS: Mild cardiomegaly.\nIMPRESSION: No acute disease.")
        #expect(e.error.code == "input.malformed_xml")
    }

    /// A corpus held in memory (a request body) reads like the same bytes in a file: JSONL, gzip JSONL, CSV, one XML.
    @Test func inMemoryCorpusReadsLikeAFile() throws {
        func texts(_ r: inout CorpusReader) throws -> [String] {
            var out: [String] = []
            while let item = try r.next() {
                switch item.resolved() {
                case .record(let rec): out.append("\(rec.id)=\(rec.text)")
                case .failure(let e): out.append("error \(e.row) \(e.error.code)")
                case .deferred: out.append("deferred")
                }
            }
            return out
        }
        let jsonl = Array("{\"id\":\"a\",\"text\":\"No effusion.\"}\nnot json\n{\"id\":\"b\",\"text\":\"Sin derrame.\"}\n".utf8)
        var fromFile = CorpusReader(paths: [try L.tmp("m.jsonl", jsonl)], format: .jsonl)
        let expected = try texts(&fromFile)
        #expect(expected == ["a=No effusion.", "error 2 input.malformed_json", "b=Sin derrame."])
        var mem = CorpusReader(bytes: jsonl, name: "body")
        #expect(try texts(&mem) == expected)
        var gz = CorpusReader(bytes: try L.gzip(jsonl), name: "body.gz")
        #expect(try texts(&gz) == expected)
        var truncated = CorpusReader(bytes: Array(try L.gzip(jsonl).dropLast(9)), name: "cut.gz")
        #expect(throws: HilumError.self) { _ = try texts(&truncated) }
        var csv = CorpusReader(bytes: Array("id,report\nr1,\"Mild cardiomegaly, no effusion.\"\n".utf8), name: "body.csv")
        #expect(try texts(&csv) == ["r1=Mild cardiomegaly, no effusion."])
        var xml = CorpusReader(bytes: Array("<eCitation><uId id=\"CXR7\"/><AbstractText Label=\"FINDINGS\">Clear lungs.</AbstractText></eCitation>".utf8), name: "7.xml")
        #expect(try texts(&xml) == ["CXR7=FINDINGS: Clear lungs."])
    }

    /// A reader dropped before the end (after an error, or after a few records) closes its file: found by the
    /// corpus fuzzer, which ran out of descriptors.
    @Test func readersStoppedEarlyDoNotLeakFileDescriptors() throws {
        let p = try L.tmp("in.jsonl", Array(#"{"id":"1","text":"No effusion."}"#.utf8) + [0x0A] + Array(#"{"id":"2","text":"x"}"#.utf8) + [0x0A])
        func open() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let before = open()
        for _ in 0..<300 {
            var r = CorpusReader(paths: [p], format: .jsonl)
            _ = try r.next()
        }
        // A leak keeps all 300 open; other tests running in parallel open and close a few sockets and files meanwhile.
        #expect(open() - before < 100)
    }

    @Test func folderOfTextFiles() throws {
        let p = try L.tmp("b.txt", Array("Derrame pleural.".utf8))
        let dir = URL(fileURLWithPath: p).deletingLastPathComponent()
        try Data("Cardiomegaly.".utf8).write(to: dir.appendingPathComponent("a.txt"))
        let items = try L.readAll(dir.path)
        let ids = items.compactMap { if case .record(let r) = $0 { return r.id } else { return nil } }
        #expect(ids == ["a", "b"])
    }
}

@Suite struct LabelJobTests {
    func run(_ job: LabelJob, _ path: String) throws -> (String, LabelJob.Summary) {
        var reader = CorpusReader(paths: [path])
        var out: [UInt8] = []
        let s = try job.run(&reader, write: { out += $0 }, failure: { _ in })
        return (String(decoding: out, as: UTF8.self), s)
    }

    static let corpus = (1...300).map { i in
        "{\"id\": \"r\(i)\", \"text\": \"\(["Mild cardiomegaly.", "No pleural effusion.", "Posible neumonía basal derecha.", "Small left pneumothorax. Possible atelectasis."][i % 4]) \(i)\"}"
    }.joined(separator: "\n") + "\n"

    @Test func oneJobEqualsTwoJobsAndHalvesEqualTheWhole() throws {
        let path = try L.tmp("c.jsonl", Array(LabelJobTests.corpus.utf8))
        var j1 = try LabelJob(ontology: L.ontology, scheme: "all", format: .jsonl, jobs: 1)
        j1.batchSize = 7
        let j2 = try LabelJob(ontology: L.ontology, scheme: "all", format: .jsonl, jobs: 2)
        let (a, sa) = try run(j1, path)
        let (b, _) = try run(j2, path)
        #expect(a == b)
        #expect(sa.reports == 300)
        let lines = LabelJobTests.corpus.split(separator: "\n")
        let h1 = try L.tmp("h1.jsonl", Array((lines[..<150].joined(separator: "\n") + "\n").utf8))
        let h2 = try L.tmp("h2.jsonl", Array((lines[150...].joined(separator: "\n") + "\n").utf8))
        #expect(try run(j2, h1).0 + run(j2, h2).0 == a)
    }

    @Test func anInputThatCannotBeOpenedStillLeavesTheRowsBeforeItWrittenInOrder() throws {
        let path = try L.tmp("c.jsonl", Array(LabelJobTests.corpus.utf8))
        var job = try LabelJob(ontology: L.ontology, scheme: "chestxray14", format: .csv, jobs: 2)
        job.batchSize = 16
        var reader = CorpusReader(paths: [path, path + ".missing"])
        var out: [UInt8] = []
        var thrown: HilumError? = nil
        do {
            _ = try job.run(&reader, write: { out += $0 }, failure: { _ in })
        } catch {
            thrown = error
        }
        #expect(thrown != nil)
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 301)
        #expect(lines.dropFirst().map { String($0.prefix { $0 != "," }) } == (1...300).map { "r\($0)" })
    }

    /// A write that fails (the output disk is full) ends the run with that error, and nothing is written after it.
    @Test func aFailedWriteEndsTheRunWithItsError() throws {
        let path = try L.tmp("c.jsonl", Array(LabelJobTests.corpus.utf8))
        var job = try LabelJob(ontology: L.ontology, scheme: "chestxray14", format: .csv, jobs: 2)
        job.batchSize = 10
        var reader = CorpusReader(paths: [path])
        var writes = 0
        var thrown: HilumError? = nil
        do {
            _ = try job.run(&reader, write: { _ throws(HilumError) in
                writes += 1
                if writes == 2 { throw HilumError("output.write_failed", "disk full") }
            }, failure: { _ in })
        } catch {
            thrown = error
        }
        #expect(thrown?.code == "output.write_failed")
        #expect(writes == 2)  // the header, then the first batch, which failed
    }

    @Test func progressCountsInputBytesForAnETA() throws {
        let path = try L.tmp("c.jsonl", Array(LabelJobTests.corpus.utf8))
        var job = try LabelJob(ontology: L.ontology, scheme: "chexpert", format: .csv, jobs: 2)
        job.batchSize = 50
        var reader = CorpusReader(paths: [path])
        var seen: [LabelJob.Summary] = []
        let s = try job.run(&reader, write: { _ in }, failure: { _ in }, progress: { seen.append($0) })
        let size = LabelJobTests.corpus.utf8.count
        #expect(s.inputBytesTotal == size)
        #expect(seen.count == 6)
        #expect(seen.map(\.inputBytesRead) == seen.map(\.inputBytesRead).sorted())
        #expect(seen.last?.inputBytesRead == size)
        #expect(seen.last?.secondsLeft == 0)
        var stdin = CorpusReader(bytes: Array(LabelJobTests.corpus.utf8), name: "mem")
        #expect(try job.run(&stdin, write: { _ in }, failure: { _ in }).secondsLeft == nil)
    }

    @Test func peekedBytesAreReplayedToTheReader() throws {
        let data = Array("{\"id\": \"a\", \"text\": \"No effusion.\"}\n".utf8)
        let (head, replay) = try ReplaySource.peek(MemorySource(data), 4)
        #expect(head == Array(data.prefix(4)))
        var s = replay
        var all: [UInt8] = []
        while try s.read(into: &all, max: 3) > 0 {}
        #expect(all == data)
        let (short, _) = try ReplaySource.peek(MemorySource([0x7B]), 4)
        #expect(short == [0x7B])
    }

    @Test func orderedPipelineKeepsSubmissionOrderUnderUnevenWork() {
        let p = OrderedPipeline<Int, Int>(jobs: 2, depth: 3) { x in
            var s = 0
            for k in 0..<((x * 7919) % 13) * 5000 { s &+= k }
            return x * 2 + (s == -1 ? 1 : 0)
        }
        var got: [Int] = []
        for i in 0..<500 { p.submit(i) { got.append($0) } }
        p.finish { got.append($0) }
        #expect(got == (0..<500).map { $0 * 2 })
    }

    @Test func chexpertCSVLayoutIsTheLabelersLayout() throws {
        let path = try L.tmp("c.csv", Array("\"Mild cardiomegaly, no effusion.\"\n".utf8))
        let job = try LabelJob(ontology: L.ontology, scheme: "chexpert", format: .csv)
        let (out, _) = try run(job, path)
        let lines = out.split(separator: "\n")
        #expect(lines[0] == "Reports,No Finding,Enlarged Cardiomediastinum,Cardiomegaly,Lung Lesion,Lung Opacity,Edema,Consolidation,Pneumonia,Atelectasis,Pneumothorax,Pleural Effusion,Pleural Other,Fracture,Support Devices")
        #expect(lines[1] == "\"Mild cardiomegaly, no effusion.\",,1.0,1.0,,,,,,,,0.0,,,")
    }

    @Test func jsonlRowsCarryEvidence() throws {
        let path = try L.tmp("c.jsonl", Array("{\"id\": \"x\", \"text\": \"No pneumothorax.\"}\n".utf8))
        let job = try LabelJob(ontology: L.ontology, scheme: "chexpert", format: .jsonl)
        let (out, _) = try run(job, path)
        let v = try JSONParser().parse(String(out.dropLast()))
        let ev = v["evidence"]?["chexpert"]?["Pneumothorax"]?.array?.first
        #expect(ev?["assertion"]?.string == "absent")
        #expect(ev?["rules"]?.array?.isEmpty == false)
        #expect(ev?["span"]?.array?.count == 2)
    }
}

@Suite struct EvalTests {
    @Test func perLabelMicroMacroAndConfusion() throws {
        let gold = try L.tmp("g.csv", Array("id,A,B\n1,1,0\n2,1,1\n3,0,0\n4,-1,1\n".utf8))
        let pred = try L.tmp("p.csv", Array("id,a,b\n1,1.0,0.0\n2,0.0,1.0\n3,1.0,\n4,1.0,-1.0\n".utf8))
        let g = try Evaluation.readTable(gold, idColumn: nil, stripPrefix: nil, scheme: nil)
        let p = try Evaluation.readTable(pred, idColumn: nil, stripPrefix: nil, scheme: nil)
        let keep = Evaluation.compare(gold: g, predicted: p, policy: .keep)
        let a = try #require(keep.labels.first { $0.label == "a" })
        #expect((a.tp, a.fp, a.fn) == (1, 2, 1))
        let b = try #require(keep.labels.first { $0.label == "b" })
        #expect((b.tp, b.fp, b.fn) == (1, 0, 1))
        #expect(b.confusion["1"]?["-1"] == 1)
        #expect(keep.labels.first { $0.label == "b" }?.confusion["0"]?["blank"] == 1)
        let ones = Evaluation.compare(gold: g, predicted: p, policy: .ones)
        #expect(ones.labels.first { $0.label == "b" }.map { ($0.tp, $0.fn) } ?? (0, 0) == (2, 0))
        #expect(abs(keep.micro.f1 - 2.0 * (2.0 / 4.0) * (2.0 / 4.0) / 1.0) < 1e-9)
        #expect(keep.disagreements.count == 4)
    }
}

/// The label CSV writer reads a `LabelView` instead of building the analyze result: the view must hold what the
/// result's findings hold, in the same order, and the rows written from either must be the same bytes.
@Suite struct LabelViewTests {
    /// The shipped sample reports (English and Spanish) and sentences for each context a label depends on.
    static func texts() throws -> [(String, Language?)] {
        var out: [(String, Language?)] = []
        for f in ["sample-en.jsonl", "sample-es.jsonl"] {
            for item in try L.readAll(L.root.appendingPathComponent("Corpora/reports/\(f)").path) {
                if case .record(let r) = item { out.append((r.text, r.lang)) }
            }
        }
        out += [
            ("Family history of lung cancer. Probable right lower lobe pneumonia. No pneumothorax.", .en),
            ("History of left pleural effusion, now resolved. Possible mild cardiomegaly. Rule out left apical pneumothorax.", nil),
            ("Padre con tuberculosis. Probable atelectasia laminar en base derecha. Sin derrame pleural.", .es),
            ("No se puede descartar neumonía en lóbulo superior izquierdo. Senos costofrénicos libres.", nil),
            ("", nil),
            ("XXXX XXXX. Heart size XXXX.", .en),
        ]
        return out
    }

    @Test func viewHoldsTheFindingsOfTheResultInItsOrder() throws {
        let texts = try Self.texts()
        #expect(texts.count >= 80)
        var view = LabelView()
        var findings = 0
        for (text, lang) in texts {
            let r = L.analyzer.analyze(text, lang: lang, detail: .labels)
            L.analyzer.labelView(text, lang: lang, into: &view)
            #expect(view.language == r.language)
            #expect(view.sentenceCount == r.sentences.count)
            #expect(view.findings.count == r.findings.count, "\(text)")
            for (k, f) in r.findings.enumerated() where k < view.findings.count {
                let v = view.findings[k]
                #expect(v.concept == f.concept.index && v.assertion == f.assertion && v.certainty == f.certainty
                        && v.temporality == f.temporality && v.experiencer == f.experiencer && v.sentence == f.sentence,
                        "finding \(k) of \(text)")
                #expect(Array(view.locations(of: k)) == f.locations.map(\.index), "locations of finding \(k) of \(text)")
                findings += 1
            }
        }
        // The texts exercise the view: findings with each assertion, locations, and someone else's finding.
        #expect(findings > 300)
        // An index that is not a finding's has no locations (no trap).
        #expect(view.locations(of: -1).isEmpty && view.locations(of: view.findings.count).isEmpty)
    }

    @Test func rowsFromViewAndFromResultAreTheSameBytes() throws {
        let texts = try Self.texts()
        var view = LabelView()
        for scheme in ["all", "chexpert", "chestxray14", "padchest"] {
            for policy in UncertainPolicy.allCases {
                let job = try LabelJob(ontology: L.ontology, scheme: scheme, format: .csv, policy: policy, jobs: 1)
                #expect(job.viewMatchesLabeler)
                for (n, (text, lang)) in texts.enumerated() {
                    let rec = CorpusRecord(row: n + 1, source: "t", id: "r\(n)", text: text, lang: lang)
                    let r = L.analyzer.analyze(text, lang: lang, detail: .labels)
                    var fromResult: [UInt8] = [], fromView: [UInt8] = []
                    #expect(job.csvRow(ReportSource(r, job.labeler), r, id: rec.id, text: rec.text, into: &fromResult))
                    L.analyzer.labelView(text, lang: lang, into: &view)
                    #expect(job.csvRow(ViewSource(v: view, conceptIDs: job.labeler.conceptIDs), nil, id: rec.id, text: rec.text, into: &fromView))
                    #expect(fromView == fromResult, "\(scheme) \(policy): \(text)")
                    var appended: [UInt8] = [0x41]
                    job.appendRow(rec, to: &appended, view: &view)
                    #expect(appended == [0x41] + fromResult + [0x0A])
                }
            }
        }
    }

    @Test func rollUpRowsAreWrittenFromTheResult() throws {
        // Roll-up reads the hierarchy from the result's strings: the row adds the ancestors to the view's labels.
        var job = try LabelJob(ontology: L.ontology, scheme: "padchest", format: .csv, jobs: 1)
        let rec = CorpusRecord(row: 1, source: "t", id: "r1", text: "Left lower lobe atelectasis.", lang: .en)
        let plain = String(decoding: job.row(rec), as: UTF8.self)
        job.rollUp = true
        let rolled = String(decoding: job.row(rec), as: UTF8.self)
        #expect(plain.hasPrefix("r1,['lobar atelectasis'],"))
        #expect(rolled.hasPrefix("r1,\"['lobar atelectasis', 'atelectasis']\","))
        #expect(plain.hasSuffix("\n") && rolled.hasSuffix("\n"))
    }
}

/// The label writer reads the usual JSONL record straight into bytes (`JSONLStream.rawRecord`); any other line goes
/// to the general parse. Both must give the same record, and every line the general parse rejects must go to it.
@Suite struct RawRecordTests {
    static let lines: [String] = [
        #"{"id": "r1", "text": "No pleural effusion.\nMild cardiomegaly."}"#,
        #"{"text": "Derrame pleural derecho. Neumot\u00f3rax \"leve\" \\ \/ \t fin \ud83d\ude00", "id": "es-1", "lang": "es"}"#,
        "{\"id\":\"u8\",\"text\":\"Sin signos de neumotórax. Ángulos costofrénicos libres.\",\"lang\":\"es\"}",
        #"  {"uid": "7", "text": "Heart size normal." , "extra": true, "n": null, "f": false}  "#,
        #"{"id": "r2", "report": "Report field only."}"#,
        #"{"report": "Report first.", "text": "Text wins."}"#,
        #"{"text": "Text first.", "report": "Report second."}"#,
        #"{"text": ""}"#,
        #"{"text": "No id here."}"#,
        #"{"id": "x", "text": "Lone surrogate \ud800 here."}"#,
        #"{"id": "x", "text": "Bad lang.", "lang": "fr"}"#,
        "{\"id\": \"crlf\", \"text\": \"Windows line.\"}\r",
        #"{"id": 12, "text": "Numeric id."}"#,
        #"{"id": null, "uid": "u", "text": "Null id."}"#,
        #"{"id": "a", "text": null}"#,
        #"{"id": "a", "text": "Twice.", "text": "Second."}"#,
        #"{"id": "a", "findings": "Findings.", "impression": "Impression."}"#,
        #"{"id": "a", "text": "Scene.", "scene": {"boxes": []}}"#,
        #"{"id": "a", "text": "Number.", "age": 63}"#,
        #"{"id": "a", "text": "Nested.", "meta": {"x": [1, 2]}}"#,
        #"{"id": "a", "t\u0065xt": "Escaped key."}"#,
        #"{"id": "a", "text": "Trailing."} x"#,
        #"{"id": "a", "text": "Unterminated.}"#,
        #"{"id": "a", "text": "Bad escape \q."}"#,
        "{\"id\": \"a\", \"text\": \"Control \u{01} char.\"}",
        #"{"id": "a", "text": "Missing brace.""#,
        #"{}"#,
        #"["text"]"#,
        #"{"id": "a", "text": "Literal.", "ok": tru}"#,
        #"{"id": "a", "text": "Key only", "k"}"#,
    ]

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func rawRecordIsTheParsedRecordOrDefersToTheParse() throws {
        var lines = Self.lines.map(Self.bytes)
        // Invalid UTF-8 in the text and in another field.
        lines.append(Self.bytes(#"{"id": "a", "text": "bad "#) + [0xC3, 0x28] + Self.bytes(#" byte"}"#))
        lines.append(Self.bytes(#"{"id": "a", "text": "ok", "other": "bad "#) + [0xFF] + Self.bytes(#""}"#))
        var text: [UInt8] = [], scratch: [UInt8] = []
        var taken = 0
        for (n, line) in lines.enumerated() {
            let parsed = JSONLStream.parse(line, lineNo: n + 1, name: "in.jsonl", options: CorpusOptions())
            let raw = JSONLStream.rawRecord(line, lineNo: n + 1, name: "in.jsonl", options: CorpusOptions(), text: &text, scratch: &scratch)
            let shown = String(decoding: line, as: UTF8.self)
            guard let raw else { continue }
            taken += 1
            guard case .record(let r) = parsed else {
                Issue.record("raw read a line the parse rejects: \(shown)")
                continue
            }
            #expect(raw.id == r.id, "\(shown)")
            #expect(raw.lang == r.lang, "\(shown)")
            #expect(text == Array(r.text.utf8), "\(shown)")
        }
        // The usual shapes (the first twelve lines) are read raw.
        #expect(taken == 12)
        // So are the records of the shipped samples, with their patient, study and date fields.
        for line in try String(contentsOf: L.root.appendingPathComponent("Corpora/reports/sample-es.jsonl"), encoding: .utf8).split(separator: "\n") {
            let b = Array(line.utf8)
            guard case .record(let r) = JSONLStream.parse(b, lineNo: 1, name: "s", options: CorpusOptions()),
                  let raw = JSONLStream.rawRecord(b, lineNo: 1, name: "s", options: CorpusOptions(), text: &text, scratch: &scratch) else {
                Issue.record("sample line not read raw: \(line.prefix(60))")
                continue
            }
            #expect(raw.id == r.id && raw.lang == r.lang && text == Array(r.text.utf8))
        }
        // Options naming other fields always take the parse.
        var o = CorpusOptions()
        o.textFields = ["text"]
        #expect(JSONLStream.rawRecord(lines[0], lineNo: 1, name: "x", options: o, text: &text, scratch: &scratch) == nil)
    }

    @Test func labelRowsAreTheSameWithRecordsReadRaw() throws {
        var corpus: [UInt8] = []
        for l in Self.lines { corpus += Self.bytes(l.replacingOccurrences(of: "\r", with: "")) + [0x0A] }
        for line in try String(contentsOf: L.root.appendingPathComponent("Corpora/reports/sample-es.jsonl"), encoding: .utf8)
            .split(separator: "\n") { corpus += Array(line.utf8) + [0x0A] }
        for scheme in ["all", "padchest", "chestxray14", "chexpert"] {
            var outputs: [[UInt8]] = []
            var failures: [[String]] = []
            for deferParsing in [false, true] {
                let job = try LabelJob(ontology: L.ontology, scheme: scheme, format: .csv, jobs: 2)
                var options = CorpusOptions()
                options.deferParsing = deferParsing
                var reader = CorpusReader(bytes: corpus, name: "c.jsonl", format: .jsonl, options: options)
                var out: [UInt8] = []
                var failed: [String] = []
                let s = try job.run(&reader, write: { out += $0 }, failure: { failed.append("\($0.row) \($0.error.code)") })
                #expect(s.reports == 40 + 21, "\(scheme)")
                outputs.append(out)
                failures.append(failed)
            }
            #expect(outputs[0] == outputs[1], "\(scheme)")
            #expect(failures[0] == failures[1] && failures[0].count == Self.lines.count - 21, "\(scheme): \(failures[0])")
        }
    }
}

/// The report-level labels of the analyze result are written from members made once per scheme; what a caller reads
/// and edits through `values` is what gets written.
@Suite struct SchemeLabelsJSONTests {
    static func labelsObject(_ r: AnalyzedReport) throws -> [(String, JSONValue)] {
        var w = JSONWriter()
        r.writeJSON(to: &w)
        guard case .object(let top)? = try? JSONParser().parse(w.string),
              case .object(let labels)? = top.first(where: { $0.0 == "labels" })?.1 else {
            Issue.record("no labels object in \(w.string.prefix(200))"); return []
        }
        return labels
    }

    @Test func writtenLabelsAreTheValuesAndFollowAnEdit() throws {
        for (text, lang) in [("Mild cardiomegaly. Possible small left pleural effusion. No pneumothorax.", Language.en),
                             ("Derrame pleural derecho. No se aprecian condensaciones.", .es), ("", .en)] {
            for policy in UncertainPolicy.allCases {
                var r = L.analyzer.analyze(text, lang: lang)
                L.labeler.apply(&r, policy: policy)
                let written = try SchemeLabelsJSONTests.labelsObject(r)
                #expect(written.map(\.0) == r.labels.map(\.scheme))
                for (k, s) in zip(written, r.labels) {
                    guard case .object(let members) = k.1 else { Issue.record("\(k.0) is not an object"); continue }
                    #expect(members.map(\.0) == s.values.map(\.0), "\(s.scheme) keys")
                    #expect(members.map(\.1) == s.values.map(\.1), "\(s.scheme) values")
                }
                // An edit through `values` is written as edited, and the other schemes are unchanged.
                guard let i = r.labels.firstIndex(where: { $0.scheme == "chestxray14" }), !r.labels[i].values.isEmpty else {
                    Issue.record("no chestxray14 labels"); continue
                }
                var edited = r
                edited.labels[i].values[0].1 = .string("edited")
                #expect(edited.labels[i] != r.labels[i])
                let after = try SchemeLabelsJSONTests.labelsObject(edited)
                guard case .object(let m) = after[i].1 else { Issue.record("not an object"); continue }
                #expect(m.first?.1 == .string("edited"))
                #expect(m.dropFirst().map(\.1) == r.labels[i].values.dropFirst().map(\.1))
                #expect(Array(after.enumerated().filter { $0.offset != i }.map(\.element.0)) == Array(written.enumerated().filter { $0.offset != i }.map(\.element.0)))
            }
        }
    }
}

/// The labeler reads a concept's index straight from a reference the analysis made; a reference edited by a caller
/// (or made by one) is looked up by its CUI, whatever index it still carries.
@Suite struct EditedConceptTests {
    @Test func anEditedConceptIsLabelledByItsCUI() throws {
        var r = L.analyzer.analyze("Small left pleural effusion.", lang: .en)
        guard let k = r.findings.firstIndex(where: { $0.concept.padchest == "pleural effusion" }) else {
            Issue.record("no pleural effusion in \(r.findings.map(\.concept.name))"); return
        }
        var plain = r
        L.labeler.apply(&plain)
        let cxr = { (x: AnalyzedReport) in Dictionary(x.labels.first { $0.scheme == "chestxray14" }?.values ?? [], uniquingKeysWith: { a, _ in a }) }
        #expect(cxr(plain)["Effusion"] == .number(1))
        #expect(cxr(plain)["Cardiomegaly"] == .number(0))
        // The same finding read as cardiomegaly: its index still points at pleural effusion.
        let index = r.findings[k].concept.index
        r.findings[k].concept.cui = "C0018800"
        r.findings[k].concept.padchest = "cardiomegaly"
        #expect(r.findings[k].concept.index == index)
        L.labeler.apply(&r)
        #expect(cxr(r)["Cardiomegaly"] == .number(1))
        #expect(cxr(r)["Effusion"] == .number(0))
        #expect(r.findings[k].labels.first { $0.0 == "chestxray14" }?.1 == ["Cardiomegaly"])
        let pad = Dictionary(r.labels.first { $0.scheme == "padchest" }?.values ?? [], uniquingKeysWith: { a, _ in a })
        #expect(pad["cardiomegaly"] == .string("present"))
        #expect(pad["pleural effusion"] == nil)
        // A reference a caller makes with an index that is not its concept's is read by CUI too.
        var made = L.analyzer.analyze("Small left pleural effusion.", lang: .en)
        made.findings[k].concept = ConceptRef(cui: "C0018800", name: "cardiomegaly", kind: .finding, padchest: "cardiomegaly", index: index)
        L.labeler.apply(&made)
        #expect(cxr(made)["Cardiomegaly"] == .number(1))
        #expect(cxr(made)["Effusion"] == .number(0))
    }
}
