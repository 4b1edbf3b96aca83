public import HilumCore
internal import Foundation

/// `hilum eval`: gold labels vs predicted labels, any scheme; columns matched by name
/// (case-insensitive, `_` = space), rows by id. Values 1/0/-1/blank (also 1.0, 0.0, -1.0, true/false).
public struct Evaluation: Sendable {
    public struct LabelScore: Sendable {
        public var label: String
        public var tp = 0, fp = 0, fn = 0, tn = 0
        public var support: Int { tp + fn }
        public var precision: Double { tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp) }
        public var recall: Double { tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn) }
        public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
        /// gold value → predicted value → count, over "1", "0", "-1", "blank".
        public var confusion: [String: [String: Int]] = [:]
    }
    public var labels: [LabelScore] = []
    public var rows = 0
    public var missing: [String] = []
    public var disagreements: [(id: String, label: String, gold: String, predicted: String)] = []

    public var micro: (p: Double, r: Double, f1: Double) {
        let tp = labels.reduce(0) { $0 + $1.tp }, fp = labels.reduce(0) { $0 + $1.fp }, fn = labels.reduce(0) { $0 + $1.fn }
        let p = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
        let r = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
    }
    public var macro: (p: Double, r: Double, f1: Double) {
        let scored = labels.filter { $0.support > 0 }
        guard !scored.isEmpty else { return (0, 0, 0) }
        let n = Double(scored.count)
        return (scored.reduce(0) { $0 + $1.precision } / n, scored.reduce(0) { $0 + $1.recall } / n, scored.reduce(0) { $0 + $1.f1 } / n)
    }

    static func norm(_ s: String) -> String {
        s.lowercased().replacingOccurrences(of: "_", with: " ").trimmingCharacters(in: .whitespaces)
    }

    /// Parses a label cell: 1, 0, -1 or nil (blank).
    static func cell(_ s: String) -> Int? {
        switch s.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "1.0", "true", "present", "yes": return 1
        case "0", "0.0", "false", "absent", "no": return 0
        case "-1", "-1.0", "uncertain": return -1
        default: return nil
        }
    }

    /// A table of rows: id → (normalized column → raw value).
    public struct Table: Sendable {
        public var columns: [String] = []
        public var rows: [(String, [String: String])] = []
    }

    /// Reads a labels CSV (or a `hilum label --format jsonl` file); the id column is `idColumn` or the first
    /// of id/filename/ReportID/Reports. `stripPrefix` removes a prefix from ids (e.g. `CXR`).
    public static func readTable(_ path: String, idColumn: String?, stripPrefix: String?, scheme: String?) throws(HilumError) -> Table {
        let fm = FileManager.default
        guard let data = fm.contents(atPath: path) else { throw HilumError("input.not_found", "cannot read \(path)") }
        guard let text = String(validating: data, as: UTF8.self) else { throw HilumError("input.invalid_utf8", "\(path) is not valid UTF-8") }
        var t = Table()
        func clean(_ id: String) -> String {
            if let p = stripPrefix, id.hasPrefix(p) { return String(id.dropFirst(p.count)) }
            return id
        }
        if path.hasSuffix(".jsonl") {
            for (n, line) in text.split(separator: "\n").enumerated() {
                let v: JSONValue
                do { v = try JSONParser().parse(String(line)) } catch { throw HilumError("input.malformed_json", "\(path):\(n + 1): \(error.message)") }
                guard let id = v["id"]?.string else { continue }
                var row: [String: String] = [:]
                if case .object(let schemes)? = v["labels"] {
                    for (s, vals) in schemes where scheme == nil || scheme == s {
                        if case .object(let kv) = vals {
                            for (k, x) in kv {
                                let key = norm(k)
                                if !t.columns.contains(key) { t.columns.append(key) }
                                row[key] = x.isNull ? "" : (x.double.map { String(Int($0)) } ?? x.string ?? "")
                            }
                        }
                    }
                }
                t.rows.append((clean(id), row))
            }
            return t
        }
        var rows = CSVTable.parse(text)
        guard !rows.isEmpty else { throw HilumError("input.empty", "\(path) has no rows") }
        let header = rows.removeFirst().map(norm)
        t.columns = header
        let idIdx = idColumn.flatMap { header.firstIndex(of: norm($0)) }
            ?? header.firstIndex { ["id", "filename", "reportid", "report id", "uid"].contains($0) }
        if idColumn != nil && idIdx == nil { throw HilumError("input.unknown_column", "no id column '\(idColumn ?? "")' in \(path)") }
        for (n, r) in rows.enumerated() {
            var row: [String: String] = [:]
            for (i, h) in header.enumerated() where i < r.count { row[h] = r[i] }
            let id = idIdx.flatMap { $0 < r.count ? r[$0] : nil } ?? String(n + 1)
            t.rows.append((clean(id), row))
        }
        return t
    }

    /// Compares two tables. With `policy` ones/zeros, -1 becomes 1/0 on both sides; with keep, -1 is its own
    /// value and counts as negative for P/R/F1 (a prediction of -1 against gold 1 is a miss).
    public static func compare(gold: Table, predicted: Table, policy: UncertainPolicy, labels only: [String]? = nil) -> Evaluation {
        var e = Evaluation()
        let ignore: Set<String> = ["id", "filename", "reportid", "report id", "uid", "reports", "text"]
        var cols = gold.columns.filter { !ignore.contains($0) && predicted.columns.contains($0) }
        if let only { cols = cols.filter { only.map(norm).contains($0) } }
        let pred = Dictionary(predicted.rows.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        e.labels = cols.map { LabelScore(label: $0) }
        func apply(_ v: Int?) -> Int? {
            guard v == -1 else { return v }
            switch policy { case .keep: return -1; case .ones: return 1; case .zeros: return 0 }
        }
        func name(_ v: Int?) -> String { v.map(String.init) ?? "blank" }
        for (id, g) in gold.rows {
            guard let p = pred[id] else { e.missing.append(id); continue }
            e.rows += 1
            for (k, c) in cols.enumerated() {
                let gv = apply(g[c].flatMap(cell)), pv = apply(p[c].flatMap(cell))
                e.labels[k].confusion[name(gv), default: [:]][name(pv), default: 0] += 1
                let gp = gv == 1, pp = pv == 1
                if gp && pp { e.labels[k].tp += 1 } else if pp { e.labels[k].fp += 1 } else if gp { e.labels[k].fn += 1 } else { e.labels[k].tn += 1 }
                if gp != pp { e.disagreements.append((id, c, name(gv), name(pv))) }
            }
        }
        return e
    }

    public func json() -> JSONValue {
        func r(_ d: Double) -> JSONValue { .number((d * 10000).rounded() / 10000) }
        let per: [JSONValue] = labels.map { l in
            .object([("label", .string(l.label)), ("precision", r(l.precision)), ("recall", r(l.recall)), ("f1", r(l.f1)),
                     ("support", .number(Double(l.support))), ("tp", .number(Double(l.tp))), ("fp", .number(Double(l.fp))),
                     ("fn", .number(Double(l.fn))),
                     ("confusion", .object(l.confusion.keys.sorted().map { g in
                         (g, .object((l.confusion[g] ?? [:]).keys.sorted().map { ($0, .number(Double(l.confusion[g]?[$0] ?? 0))) }))
                     }))])
        }
        let m = micro, M = macro
        return .object([
            ("rows", .number(Double(rows))),
            ("missing_predictions", .number(Double(missing.count))),
            ("labels", .array(per)),
            ("micro", .object([("precision", r(m.p)), ("recall", r(m.r)), ("f1", r(m.f1))])),
            ("macro", .object([("precision", r(M.p)), ("recall", r(M.r)), ("f1", r(M.f1))])),
            ("disagreements", .number(Double(disagreements.count))),
        ])
    }

    public func table() -> String {
        var s = "label                          P      R      F1     support\n"
        for l in labels {
            s += l.label.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: "  %.3f  %.3f  %.3f  %d\n", l.precision, l.recall, l.f1, l.support)
        }
        let m = micro, M = macro
        s += String(format: "micro                         %.3f  %.3f  %.3f\n", m.p, m.r, m.f1)
        s += String(format: "macro                         %.3f  %.3f  %.3f\n", M.p, M.r, M.f1)
        s += "rows \(rows), missing predictions \(missing.count), disagreements \(disagreements.count)\n"
        // Confusion over all labels.
        var total: [String: [String: Int]] = [:]
        for l in labels { for (g, row) in l.confusion { for (p, n) in row { total[g, default: [:]][p, default: 0] += n } } }
        let vals = ["1", "0", "-1", "blank"]
        s += "\nconfusion (rows gold, columns predicted)\n        " + vals.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined() + "\n"
        for g in vals {
            s += g.padding(toLength: 8, withPad: " ", startingAt: 0) + vals.map { String(total[g]?[$0] ?? 0).padding(toLength: 8, withPad: " ", startingAt: 0) }.joined() + "\n"
        }
        return s
    }
}

/// Whole-file CSV parsing for small tables (gold files).
enum CSVTable {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var it = Array(text.unicodeScalars)
        var i = 0
        if it.first == "\u{FEFF}" { it.removeFirst() }
        while i < it.count {
            let c = it[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < it.count && it[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 2; continue }
                    inQuotes = false
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < it.count && it[i + 1] == "\n" { i += 1 }
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
