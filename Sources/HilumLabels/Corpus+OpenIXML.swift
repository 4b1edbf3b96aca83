internal import HilumCore
internal import Foundation
#if canImport(FoundationXML)
internal import FoundationXML
#endif

/// Reads one OpenI / Indiana `ecgen-radiology` report: `AbstractText Label="FINDINGS"` etc. and `uId`.
enum OpenIXML {
    struct Report { var id: String?; var text: String }

    static func parse(_ data: Data) -> Result<Report, HilumError> {
        // Foundation's XMLParser traps on element names that are not valid UTF-8 (found by fuzzing: a crash of the
        // whole process, not an error). OpenI files are UTF-8: anything else is refused before parsing.
        guard data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) != nil }) else {
            return .failure(HilumError("input.invalid_utf8", "the XML file is not valid UTF-8"))
        }
        let d = Delegate()
        let p = XMLParser(data: data)
        p.delegate = d
        let ok = p.parse()
        // parse() can return true on a truncated document: check parserError too.
        if !ok || p.parserError != nil {
            let msg = p.parserError.map { "\($0.localizedDescription)" } ?? "unknown XML error"
            return .failure(HilumError("input.malformed_xml", "XML error at line \(p.lineNumber): \(msg)"))
        }
        if !d.sawRoot { return .failure(HilumError("input.malformed_xml", "empty XML document")) }
        let order = ["INDICATION", "COMPARISON", "FINDINGS", "IMPRESSION"]
        var parts: [String] = []
        for (label, text) in d.sections.sorted(by: { (order.firstIndex(of: $0.0) ?? 9) < (order.firstIndex(of: $1.0) ?? 9) }) {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !t.isEmpty { parts.append("\(label): \(t)") }
        }
        return .success(Report(id: d.uid, text: parts.joined(separator: "\n")))
    }

    final class Delegate: NSObject, XMLParserDelegate {
        var sections: [(String, String)] = []
        var current: String? = nil
        var buffer = ""
        var uid: String? = nil
        var sawRoot = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            sawRoot = true
            if name == "AbstractText" { current = attributes["Label"]?.uppercased() ?? "TEXT"; buffer = "" }
            if name == "uId", uid == nil { uid = attributes["id"] }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if current != nil { buffer += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "AbstractText", let c = current { sections.append((c, buffer)); current = nil }
        }
    }
}
