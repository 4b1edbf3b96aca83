import Foundation
import Testing
import HilumCore
import HilumOntology
@testable import HilumService

enum S {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let service: Service = {
        do { return Service(ontology: try Ontology.load(from: root.appendingPathComponent("Ontology"))) } catch { preconditionFailure("\(error)") }
    }()
    static func call(_ line: String) -> JSONValue {
        let out = service.handle(line: Array(line.utf8)[...])
        return (try? JSONParser().parse(String(decoding: out, as: UTF8.self))) ?? .null
    }
}

@Suite struct EnvelopeTests {
    @Test func analyzeResultHasTheContractFields() throws {
        let v = S.call(#"{"id": "r1", "op": "analyze", "params": {"text": "FINDINGS: Mild cardiomegaly.", "lang": "en", "id": "rep-1"}}"#)
        #expect(v["id"] == .string("r1"))
        #expect(v["ok"] == .bool(true))
        let r = try #require(v["result"])
        #expect(r["report_id"] == .string("rep-1"))
        #expect(r["language"] == .string("en"))
        #expect(r["ontology_version"]?.string?.hasPrefix("sha256:") == true)
        #expect(r["sections"]?.array?.first?["kind"] == .string("findings"))
        let f = try #require(r["findings"]?.array?.first)
        for k in ["id", "concept", "text", "span", "section", "sentence", "assertion", "certainty", "temporality", "experiencer", "change", "laterality",
                  "severity", "locations", "regions", "labels", "evidence"] {
            #expect(f[k] != nil, "finding lacks \(k)")
        }
        #expect(f["concept"]?["cui"] == .string("C0018800"))
        #expect(f["concept"]?["padchest"] == .string("cardiomegaly"))
        #expect(f["span"] == .array([.number(15), .number(27)]))
        #expect(f["severity"] == .string("mild"))
        #expect(f["change"] == .null)
        #expect(f["labels"]?["chexpert"] == .array([.string("Enlarged Cardiomediastinum"), .string("Cardiomegaly")]))
        #expect(r["labels"]?["chexpert"]?["Cardiomegaly"] == .number(1))
        #expect(r["labels"]?["chexpert"]?["No Finding"] == .null)
        #expect(r["labels"]?["chestxray14"]?["Cardiomegaly"] == .number(1))
        #expect(r["labels"]?["padchest"]?["cardiomegaly"] == .string("present"))
    }

    @Test("bad requests get error envelopes with stable codes", arguments: [
        ("not json", "request.malformed_json", JSONValue.null),
        ("[1, 2]", "request.invalid_envelope", .null),
        (#"{"id": 7, "params": {}}"#, "request.invalid_envelope", .number(7)),
        (#"{"id": 7, "op": "fly", "params": {}}"#, "request.unknown_op", .number(7)),
        (#"{"id": "x", "op": "analyze", "params": {"text": 3}}"#, "request.invalid_params", .string("x")),
        (#"{"id": "x", "op": "analyze", "params": {"text": "a", "lang": "fr"}}"#, "request.invalid_params", .string("x")),
        (#"{"id": "x", "op": "assert", "params": {"text": "a", "targets": []}}"#, "request.invalid_params", .string("x")),
        (#"{"id": "x", "op": "label", "params": {"reports": [{"id": "1", "text": "a"}], "schemes": ["nope"]}}"#, "request.unknown_scheme", .string("x")),
    ])
    func errors(_ line: String, _ code: String, _ id: JSONValue) {
        let v = S.call(line)
        #expect(v["ok"] == .bool(false))
        #expect(v["error"]?["code"] == .string(code))
        #expect(v["id"] == id)
    }

    @Test func invalidUTF8LineIsAnErrorNotACrash() {
        var bytes = Array(#"{"id": 1, "op": "analyze", "params": {"text": ""#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}}"#.utf8)
        let out = S.service.handle(line: bytes[...])
        let v = try? JSONParser().parse(String(decoding: out, as: UTF8.self))
        #expect(v?["error"]?["code"] == .string("request.invalid_utf8"))
    }

    @Test func labelAssertLookupVersion() {
        let l = S.call(#"{"id": 1, "op": "label", "params": {"reports": [{"id": "a", "text": "No pneumothorax."}, {"id": "b", "text": "Neumotórax derecho."}], "schemes": ["chexpert"]}}"#)
        #expect(l["result"]?["rows"]?.array?.count == 2)
        #expect(l["result"]?["rows"]?.array?[1]["labels"]?["chexpert"]?["Pneumothorax"] == .number(1))
        let a = S.call(#"{"id": 2, "op": "assert", "params": {"text": "No se aprecia derrame.", "targets": ["derrame"], "lang": "es"}}"#)
        #expect(a["result"]?["targets"]?.array?.first?["assertion"] == .string("absent"))
        let o = S.call(#"{"id": 3, "op": "ontology.lookup", "params": {"query": "derrame pleural"}}"#)
        #expect(o["result"]?["concepts"]?.array?.first?["cui"] == .string("C2073625"))
        let v = S.call(#"{"id": 4, "op": "version", "params": {}}"#)
        #expect(v["result"]?["ops"]?.array?.contains(.string("analyze")) == true)
    }
}

@Suite struct NDJSONSessionTests {
    /// Runs a session over pipes: answers in order, one per non-blank line, bad lines included.
    @Test func sessionAnswersEveryLineInOrder() throws {
        var input = ""
        for i in 0..<200 {
            switch i % 5 {
            case 0: input += "{\"id\": \(i), \"op\": \"analyze\", \"params\": {\"text\": \"Small left effusion \(i).\"}}\n"
            case 1: input += "garbage \(i)\n"
            case 2: input += "\n"
            case 3: input += "{\"id\": \(i), \"op\": \"assert\", \"params\": {\"text\": \"No edema.\", \"targets\": [\"edema\"]}}\n"
            default: input += "{\"id\": \(i), \"op\": \"version\"}\n"
            }
        }
        input += "{\"id\": 999, \"op\": \"version\"}"  // last line without newline
        let inPipe = Pipe(), outPipe = Pipe()
        let session = NDJSONSession(service: S.service, jobs: 2)
        let fdIn = inPipe.fileHandleForReading.fileDescriptor, fdOut = outPipe.fileHandleForWriting.fileDescriptor
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            #expect(throws: Never.self) { try session.run(input: fdIn, output: fdOut) }
            try? outPipe.fileHandleForWriting.close()
            done.signal()
        }
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let data = outPipe.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 161)
        var expectedIDs: [JSONValue] = []
        for i in 0..<200 where i % 5 != 2 { expectedIDs.append(i % 5 == 1 ? .null : .number(Double(i))) }
        expectedIDs.append(.number(999))
        let ids = lines.map { (try? JSONParser().parse(String($0)))?["id"] ?? .string("unparseable") }
        #expect(ids == expectedIDs)
    }

    /// An output that cannot be written (a full disk: /dev/full) ends the session with `output.write_failed`, not a
    /// silent run to the end of the input with every answer lost.
    @Test func anOutputThatCannotBeWrittenEndsTheSessionWithAnError() throws {
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        defer { close(full) }
        let inPipe = Pipe()
        inPipe.fileHandleForWriting.write(Data("{\"id\": 1, \"op\": \"version\"}\n".utf8))
        try inPipe.fileHandleForWriting.close()
        let session = NDJSONSession(service: S.service, jobs: 1)
        let e = #expect(throws: HilumError.self) { try session.run(input: inPipe.fileHandleForReading.fileDescriptor, output: full) }
        #expect(e?.code == "output.write_failed")
    }
}
