import Foundation
import Testing
import HilumCore
@testable import HilumService

/// The scene, ground and compare ops over the envelope: masks travel inline, never as file names.
@Suite struct SceneOpsTests {
    static let masks = S.root.deletingLastPathComponent().appendingPathComponent("shared/data/masks-real/chexmask-example")
    static func b64(_ f: String) throws -> String { try Data(contentsOf: masks.appendingPathComponent(f)).base64EncodedString() }

    static func sceneRequest(_ text: String) throws -> String {
        let p: [String: Any] = ["text": text, "masks": [
            ["region": "right lung", "png_base64": try b64("RL_mask.png")],
            ["region": "left lung", "png_base64": try b64("LL_mask.png")],
            ["region": "heart", "png_base64": try b64("H_mask.png")],
        ]]
        let d = try JSONSerialization.data(withJSONObject: ["id": 1, "op": "scene", "params": p])
        return String(decoding: d, as: UTF8.self)
    }

    @Test func sceneOpWithInlinePNGMasks() throws {
        let v = S.call(try Self.sceneRequest("Small left pleural effusion."))
        #expect(v["ok"] == .bool(true), "\(v)")
        let r = try #require(v["result"])
        #expect(r["image"]?["width"]?.int == 786 && r["image"]?["height"]?.int == 899)
        let regions = try #require(r["regions"]?.array)
        #expect(regions.first { $0["name"]?.string == "left lung" }?["area"]?.int == 133_806)
        #expect(r["edges"]?.array?.first?["region"]?.string == "left costophrenic angle")
        #expect(r["findings"]?.array?.first?["labels"]?["chexpert"]?.array?.contains(.string("Pleural Effusion")) == true)

        // The scene feeds the ground op.
        let g = S.service.handle(envelope: .object([("id", .number(2)), ("op", .string("ground")),
            ("params", .object([("phrase", .string("derrame pleural derecho")), ("scene", r)]))]))
        let gv = try JSONParser().parse(String(decoding: g, as: UTF8.self))
        #expect(gv["result"]?["regions"]?.array?.first?["name"]?.string == "right costophrenic angle", "\(gv)")
        let byCUI = S.service.handle(envelope: .object([("id", .number(3)), ("op", .string("ground")),
            ("params", .object([("cui", .string("C0018800")), ("scene", r)]))]))
        #expect(String(decoding: byCUI, as: UTF8.self).contains("\"cardiac silhouette\""))
    }

    @Test func boxesAndRLEInline() throws {
        let v = S.call(#"{"id":1,"op":"scene","params":{"text":"Right upper lobe nodule.","image":{"width":100,"height":80},"boxes":[{"name":"right upper lung zone","bbox":[10,5,45,30]},{"name":"left lung","bbox":[55,5,90,70]}],"rle":[{"region":"heart","counts":"4041 20 4141 20"}]}}"#)
        #expect(v["ok"] == .bool(true), "\(v)")
        let regions = v["result"]?["regions"]?.array ?? []
        #expect(regions.first { $0["name"]?.string == "heart" }?["area"]?.int == 40)
        #expect(v["result"]?["edges"]?.array?.first?["region"]?.string == "right upper lung zone")
        let im = S.call(#"{"id":1,"op":"scene","params":{"format":"imagenome","image_id":"x","text":"Right upper lobe nodule.","image":{"width":100,"height":80},"boxes":[{"name":"right upper lung zone","bbox":[10,5,45,30]}]}}"#)
        #expect(im["result"]?["objects"]?.array?.first?["bbox_name"]?.string == "right upper lung zone")
    }

    @Test func badMasksGetMaskErrors() throws {
        let cases: [(String, String)] = [
            (#"{"id":1,"op":"scene","params":{"masks":[{"region":"right lung","png_base64":"bm90IGEgcG5n"}]}}"#, "mask.not_png"),
            (#"{"id":1,"op":"scene","params":{"masks":[{"region":"right lung","png_base64":"%%%"}]}}"#, "request.invalid_params"),
            (#"{"id":1,"op":"scene","params":{"image":{"width":4,"height":4},"rle":[{"region":"heart","counts":"15 9"}]}}"#, "mask.rle_overrun"),
            (#"{"id":1,"op":"scene","params":{"image":{"width":4,"height":4},"rle":[{"region":"spleen of doom","counts":"1 2"}]}}"#, "mask.unknown_region"),
            (#"{"id":1,"op":"scene","params":{"text":"x"}}"#, "request.invalid_params"),
            (#"{"id":1,"op":"ground","params":{"phrase":"effusion"}}"#, "request.invalid_params"),
            (#"{"id":1,"op":"ground","params":{"phrase":"effusion","scene":{"image":{"width":1}}}}"#, "scene.invalid"),
            (#"{"id":1,"op":"compare","params":{"exams":[{"text":"a"}]}}"#, "request.invalid_params"),
        ]
        for (req, code) in cases {
            let v = S.call(req)
            #expect(v["ok"] == .bool(false) && v["error"]?["code"]?.string == code, "\(req) → \(v)")
        }
    }

    @Test func compareOp() throws {
        let v = S.call(#"{"id":1,"op":"compare","params":{"exams":[{"id":"b","date":"2024-05-02","text":"Derrame pleural derecho en disminución."},{"id":"a","date":"2024-04-01","text":"Derrame pleural derecho moderado."}]}}"#)
        let rel = try #require(v["result"]?["relations"]?.array?.first, "\(v)")
        #expect(rel["from"]?.string == "a" && rel["to"]?.string == "b")
        #expect(rel["region"]?.string == "right costophrenic angle" && rel["relation"]?.string == "improved")
        #expect(rel["imagenome"]?.string == "comparison|yes|improved")
    }
}

/// Security review: requests cannot make the service read files, and JSON limits hold.
@Suite struct RequestSafetyTests {
    @Test func noOpReadsAFileARequestNames() throws {
        // File names where data is expected are refused as parameters; nothing of the file comes back.
        let attempts = [
            #"{"id":1,"op":"scene","params":{"masks":[{"region":"right lung","png_base64":"/etc/passwd"}]}}"#,
            #"{"id":2,"op":"scene","params":{"masks":[{"region":"right lung","path":"/etc/passwd"}]}}"#,
            #"{"id":3,"op":"scene","params":{"label_map":{"png_base64":"L2V0Yy9wYXNzd2Q=","values":{"1":"heart"}}}}"#,
            #"{"id":4,"op":"ground","params":{"phrase":"effusion","scene":"/etc/passwd"}}"#,
            #"{"id":5,"op":"ingest","params":{"path":"/etc/passwd"}}"#,
            #"{"id":6,"op":"label","params":{"reports":"/etc/passwd","schemes":["chexpert"]}}"#,
        ]
        for a in attempts {
            let out = String(decoding: S.service.handle(line: Array(a.utf8)[...]), as: UTF8.self)
            #expect(out.contains("\"ok\":false"), "\(a) → \(out)")
            #expect(!out.contains("root:"), "\(a) leaked file content")
        }
    }

    @Test func nestingAndSizeLimits() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let v = S.call(#"{"id":1,"op":"analyze","params":{"text":"x","junk":"# + deep + #"}}"#)
        #expect(v["error"]?["code"]?.string == "request.malformed_json")
        var small = S.service
        small.maxLineBytes = 1_000
        let out = String(decoding: small.handle(line: Array(String(repeating: "x", count: 2_000).utf8)[...]), as: UTF8.self)
        #expect(out.contains("request.too_large"))
    }
}
