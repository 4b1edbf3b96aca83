import Foundation
import HilumCore
import HilumOntology
import HilumNLP

/// Paths and the shared ontology for tests.
enum Fixtures {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let ontology: Ontology = {
        do { return try Ontology.load(from: packageRoot.appendingPathComponent("Ontology")) } catch {
            // A broken shipped ontology fails every test that uses it with this message.
            preconditionFailure("shipped ontology does not load: \(error)")
        }
    }()
    static let analyzer = Analyzer(ontology: ontology)

    static func jsonl(_ rel: String) -> [JSONValue] {
        let url = packageRoot.appendingPathComponent(rel)
        guard let d = try? Data(contentsOf: url), let s = String(data: d, encoding: .utf8) else { return [] }
        return s.split(separator: "\n").compactMap { try? JSONParser().parse(String($0)) }
    }
}

/// A case of Corpora/cases/analyze-*.jsonl.
struct AnalyzeCase: CustomTestStringConvertible, Sendable {
    let id: String
    let lang: Language?
    let text: String
    let expect: [[String: String]]
    let forbid: [String]
    var testDescription: String { id }

    static func load(_ rel: String) -> [AnalyzeCase] {
        Fixtures.jsonl(rel).compactMap { v in
            guard let id = v["id"]?.string, let text = v["text"]?.string else { return nil }
            var exp: [[String: String]] = []
            for e in v["expect"]?.array ?? [] {
                guard case .object(let kv) = e else { continue }
                var d: [String: String] = [:]
                for (k, x) in kv { d[k] = x.string ?? (x.isNull ? "null" : x.serialized()) }
                exp.append(d)
            }
            return AnalyzeCase(id: id, lang: v["lang"]?.string.flatMap { Language(rawValue: $0) }, text: text, expect: exp,
                               forbid: (v["forbid"]?.array ?? []).compactMap(\.string))
        }
    }
}

import Testing
