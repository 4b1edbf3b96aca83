internal import HilumCore
internal import Foundation
internal import CHilumXML

/// Reads one OpenI / Indiana `ecgen-radiology` report: `AbstractText Label="FINDINGS"` etc. and `uId`, through
/// libxml2 (`CHilumXML`): Foundation's XMLParser trapped or crashed on malformed files found by fuzzing.
enum OpenIXML {
    struct Report { var id: String?; var text: String }

    static func parse(_ data: Data) -> Result<Report, HilumError> {
        // OpenI files are UTF-8: anything else is refused before parsing (and libxml2 is told the encoding).
        guard data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) != nil }) else {
            return .failure(HilumError("input.invalid_utf8", "the XML file is not valid UTF-8"))
        }
        final class Collector {
            var sections: [(String, String)] = []
            var uid: String?
        }
        let c = Collector()
        var err = [CChar](repeating: 0, count: 256)
        let rc = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 1 }
            return withExtendedLifetime(c) {
                hilum_openi_parse(base.assumingMemoryBound(to: CChar.self), raw.count, Unmanaged.passUnretained(c).toOpaque(), { ctx, label, text in
                    guard let ctx, let text else { return }
                    let col = Unmanaged<Collector>.fromOpaque(ctx).takeUnretainedValue()
                    let value = String(cString: text)
                    if let label { col.sections.append((String(cString: label).uppercased(), value)) } else { col.uid = value }
                }, &err, err.count)
            }
        }
        if rc != 0 {
            let msg = err.withUnsafeBufferPointer { p in String(decoding: p.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            return .failure(HilumError("input.malformed_xml", msg.isEmpty ? "malformed XML" : msg))
        }
        let order = ["INDICATION", "COMPARISON", "FINDINGS", "IMPRESSION"]
        var parts: [String] = []
        for (label, text) in c.sections.sorted(by: { (order.firstIndex(of: $0.0) ?? 9) < (order.firstIndex(of: $1.0) ?? 9) }) {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !t.isEmpty { parts.append("\(label): \(t)") }
        }
        return .success(Report(id: c.uid, text: parts.joined(separator: "\n")))
    }
}
