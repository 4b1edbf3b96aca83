public import HilumCore
public import HilumNLP
internal import Foundation

/// The "nutrition label" of a labelled corpus (`hilum stats`): label prevalence by value, language
/// mix, sections found, report lengths, co-occurring labels, reports with no finding. Aggregates
/// one report at a time (constant memory).
public struct CorpusStats: Sendable {
    public var scheme: String
    public var labels: [String]
    public var reports = 0
    public var failed = 0
    public var languages: [String: Int] = [:]
    public var sections: [String: Int] = [:]
    /// label → [present, uncertain, absent, not mentioned]
    public var prevalence: [String: [Int]] = [:]
    public var pairs: [String: Int] = [:]
    public var noFinding = 0
    public var lengths: [Int] = Array(repeating: 0, count: CorpusStats.lengthBins.count + 1)
    public var totalChars = 0
    public static let lengthBins = [100, 200, 400, 800, 1600, 3200]

    /// Labels that do not count as a finding (the scheme's no-finding label and the ones it ignores).
    public var notFindings: Set<String> = []

    public init(scheme: String, labels: [String], notFindings: Set<String> = []) {
        self.scheme = scheme
        self.labels = labels
        self.notFindings = notFindings
        for l in labels { prevalence[l] = [0, 0, 0, 0] }
    }

    public mutating func add(_ r: AnalyzedReport) {
        reports += 1
        languages[r.language.rawValue, default: 0] += 1
        for s in Set(r.sections.map(\.kind.rawValue)) { sections[s, default: 0] += 1 }
        totalChars += r.textLength
        let bin = CorpusStats.lengthBins.firstIndex { r.textLength < $0 } ?? CorpusStats.lengthBins.count
        lengths[bin] += 1
        let vals = r.labels.first { $0.scheme == scheme }?.values ?? []
        var positives: [String] = []
        var anyFinding = false
        for (k, v) in vals {
            guard prevalence[k] != nil else { continue }
            let idx: Int
            switch v {
            case .number(1): idx = 0
            case .number(-1): idx = 1
            case .number(0): idx = 2
            case .string("present"): idx = 0
            case .string("uncertain"): idx = 1
            case .string("absent"): idx = 2
            default: idx = 3
            }
            prevalence[k]?[idx] += 1
            if idx <= 1 {
                positives.append(k)
                if !notFindings.contains(k) { anyFinding = true }
            }
        }
        if !anyFinding { noFinding += 1 }
        positives.sort()
        for i in positives.indices { for j in positives.indices where j > i { pairs["\(positives[i]) + \(positives[j])", default: 0] += 1 } }
    }

    public func json() -> JSONValue {
        func n(_ x: Int) -> JSONValue { .number(Double(x)) }
        let top = pairs.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(15)
        var lengthObj: [(String, JSONValue)] = []
        var lo = 0
        for (i, hi) in CorpusStats.lengthBins.enumerated() { lengthObj.append(("\(lo)-\(hi - 1)", n(lengths[i]))); lo = hi }
        lengthObj.append(("\(lo)+", n(lengths[CorpusStats.lengthBins.count])))
        return .object([
            ("scheme", .string(scheme)),
            ("reports", n(reports)),
            ("failed_records", n(failed)),
            ("languages", .object(languages.keys.sorted().map { ($0, n(languages[$0] ?? 0)) })),
            ("sections", .object(sections.keys.sorted().map { ($0, n(sections[$0] ?? 0)) })),
            ("mean_length_chars", .number(reports > 0 ? Double(totalChars / reports) : 0)),
            ("length_histogram", .object(lengthObj)),
            ("reports_with_no_finding", n(noFinding)),
            ("labels", .array(labels.map { l in
                let p = prevalence[l] ?? [0, 0, 0, 0]
                return .object([("label", .string(l)), ("present", n(p[0])), ("uncertain", n(p[1])), ("absent", n(p[2])), ("not_mentioned", n(p[3]))])
            })),
            ("top_pairs", .array(top.map { .object([("pair", .string($0.key)), ("reports", n($0.value))]) })),
        ])
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// One self-contained HTML page with SVG charts (no scripts, no external resources).
    public func html(title: String) -> String {
        let w = 760
        var s = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(CorpusStats.esc(title))</title>
        <style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:820px}h1{font-size:22px}h2{font-size:16px;margin-top:28px}
        table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
        .k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}</style></head><body>
        <h1>\(CorpusStats.esc(title))</h1>
        <p>\(reports) reports labelled with <b>\(scheme)</b>; \(failed) unreadable records; mean length \(reports > 0 ? totalChars / reports : 0) characters; \(noFinding) reports with no finding.</p>
        <h2>Label prevalence</h2>
        <p><span class="k" style="background:#b2182b"></span>present<span class="k" style="background:#ef8a62"></span>uncertain<span class="k" style="background:#67a9cf"></span>absent<span class="k" style="background:#e0e0e0"></span>not mentioned</p>

        """
        let rowH = 22
        s += "<svg role=\"img\" aria-label=\"Label prevalence\" width=\"\(w)\" height=\"\(labels.count * rowH + 10)\" xmlns=\"http://www.w3.org/2000/svg\">"
        let colors = ["#b2182b", "#ef8a62", "#67a9cf", "#e0e0e0"]
        for (i, l) in labels.enumerated() {
            let p = prevalence[l] ?? [0, 0, 0, 0]
            let total = max(1, p.reduce(0, +))
            var x = 220.0
            let y = i * rowH + 4
            s += "<text x=\"0\" y=\"\(y + 14)\" font-size=\"13\">\(CorpusStats.esc(l))</text>"
            for k in 0..<4 {
                let width = Double(w - 230) * Double(p[k]) / Double(total)
                if width > 0 {
                    s += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y)\" width=\"\(String(format: "%.1f", width))\" height=\"16\" fill=\"\(colors[k])\"><title>\(CorpusStats.esc(l)): \(p[k])</title></rect>"
                }
                x += width
            }
        }
        s += "</svg>\n<table><tr><th>label</th><th>present</th><th>uncertain</th><th>absent</th><th>not mentioned</th></tr>"
        for l in labels {
            let p = prevalence[l] ?? [0, 0, 0, 0]
            s += "<tr><td>\(CorpusStats.esc(l))</td><td>\(p[0])</td><td>\(p[1])</td><td>\(p[2])</td><td>\(p[3])</td></tr>"
        }
        s += "</table>\n<h2>Languages and sections</h2><table><tr><th>language</th><th>reports</th></tr>"
        for (k, v) in languages.sorted(by: { $0.key < $1.key }) { s += "<tr><td>\(k)</td><td>\(v)</td></tr>" }
        s += "</table><table><tr><th>section</th><th>reports</th></tr>"
        for (k, v) in sections.sorted(by: { $0.value > $1.value }) { s += "<tr><td>\(k)</td><td>\(v)</td></tr>" }
        s += "</table>\n<h2>Report length (characters)</h2>"
        let maxLen = max(1, lengths.max() ?? 1)
        s += "<svg role=\"img\" aria-label=\"Report lengths\" width=\"\(w)\" height=\"170\" xmlns=\"http://www.w3.org/2000/svg\">"
        var lo = 0
        for (i, c) in lengths.enumerated() {
            let h = 120.0 * Double(c) / Double(maxLen)
            let x = i * 100 + 10
            let label = i < CorpusStats.lengthBins.count ? "\(lo)–\(CorpusStats.lengthBins[i] - 1)" : "\(lo)+"
            if i < CorpusStats.lengthBins.count { lo = CorpusStats.lengthBins[i] }
            s += "<rect x=\"\(x)\" y=\"\(String(format: "%.1f", 130 - h))\" width=\"80\" height=\"\(String(format: "%.1f", h))\" fill=\"#4d4d4d\"><title>\(c)</title></rect>"
            s += "<text x=\"\(x)\" y=\"148\" font-size=\"12\">\(label)</text><text x=\"\(x)\" y=\"\(String(format: "%.1f", 126 - h))\" font-size=\"12\">\(c)</text>"
        }
        s += "</svg>\n<h2>Most frequent label pairs</h2><table><tr><th>pair</th><th>reports</th></tr>"
        for (k, v) in pairs.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(15) {
            s += "<tr><td>\(CorpusStats.esc(k))</td><td>\(v)</td></tr>"
        }
        s += "</table></body></html>\n"
        return s
    }
}
