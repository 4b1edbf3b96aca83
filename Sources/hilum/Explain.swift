import HilumCore
import HilumNLP

/// The human-readable view of `hilum analyze --explain`.
enum Explain {
    static func render(_ r: AnalyzedReport, text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        func slice(_ s: TextSpan) -> String {
            let a = max(0, min(s.start, scalars.count)), b = max(a, min(s.end, scalars.count))
            var out = ""
            out.unicodeScalars.append(contentsOf: scalars[a..<b])
            return out
        }
        // Text with findings bracketed: [text]{f1}
        var marked = ""
        var pos = 0
        let spans = r.findings.map { ($0.span, $0.id, $0.assertion) }.sorted { $0.0 < $1.0 }
        var seen = Set<TextSpan>()
        for (s, id, a) in spans where !seen.contains(s) && s.start >= pos {
            seen.insert(s)
            marked += slice(TextSpan(pos, s.start))
            let ids = spans.filter { $0.0 == s }.map(\.1).joined(separator: ",")
            let sign = a == .present ? "+" : a == .absent ? "-" : "?"
            marked += "[" + slice(s) + "]{\(sign)\(ids)}"
            _ = id
            pos = s.end
        }
        marked += slice(TextSpan(pos, scalars.count))
        var out = "report \(r.reportID ?? "-")  language \(r.language.rawValue)  \(r.ontologyVersion.prefix(19))\n\n"
        out += marked + "\n\n"
        for f in r.findings {
            var attrs = [f.certainty.map { "\(f.assertion.rawValue) (\($0.rawValue))" } ?? f.assertion.rawValue]
            if f.temporality != .current { attrs.append(f.temporality.rawValue) }
            if f.experiencer != .patient { attrs.append("experiencer=\(f.experiencer.rawValue)") }
            if let c = f.change { attrs.append("change=\(c.rawValue)") }
            if let l = f.laterality { attrs.append(l.rawValue) }
            if let s = f.severity { attrs.append(s.rawValue) }
            out += "\(f.id)  \(f.concept.name) (\(f.concept.cui)\(f.concept.padchest.map { ", padchest: \($0)" } ?? ""))  \"\(f.text)\" \(f.span.start)-\(f.span.end)  [\(f.section.rawValue)]\n"
            out += "      \(attrs.joined(separator: ", "))"
            if !f.locations.isEmpty { out += "  at " + f.locations.map { "\($0.name) \"\($0.text)\"" }.joined(separator: "; ") }
            if !f.regions.isEmpty { out += "  regions: " + f.regions.joined(separator: ", ") + " (\(f.regionBasis ?? ""))" }
            out += "\n"
            for e in f.evidence { out += "      ← \(e.rule) (\(e.category)) \"\(slice(e.span))\"\n" }
        }
        out += "\nlabels:\n"
        for s in r.labels {
            let vals = s.values.filter { !$0.1.isNull && !($0.1 == .number(0) && s.scheme != "padchest") }
            out += "  \(s.scheme): " + vals.map { "\($0.0)=\($0.1.serialized())" }.joined(separator: ", ") + "\n"
        }
        return out + "\n"
    }
}
