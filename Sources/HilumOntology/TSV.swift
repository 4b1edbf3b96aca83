internal import Foundation

/// Reads the text files of the ontology folder, collecting problems instead of throwing.
struct SourceReader {
    let root: URL
    var problems: [OntologyProblem] = []
    var hasher = HilumCoreHasher()
    /// Files held in memory by relative path (`concepts/findings.tsv`), read instead of the folder.
    var memory: [String: Data]? = nil

    init(root: URL) { self.root = root }
    init(files: [String: Data]) { root = URL(fileURLWithPath: "/"); memory = files }

    /// Relative paths of the files in `folder` with extension `ext`, sorted.
    func files(in folder: String, ext: String) -> [String] {
        if let memory {
            return memory.keys.filter { k in
                guard k.hasPrefix(folder + "/") else { return false }
                let name = k.dropFirst(folder.count + 1)
                return !name.contains("/") && name.hasSuffix("." + ext) && !name.hasPrefix(".")
            }.sorted()
        }
        let dir = root.appendingPathComponent(folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { $0.hasSuffix("." + ext) && !$0.hasPrefix(".") }.sorted().map { folder + "/" + $0 }
    }

    func exists(_ rel: String) -> Bool {
        if let memory { return memory[rel] != nil }
        return FileManager.default.fileExists(atPath: root.appendingPathComponent(rel).path)
    }

    /// The file's text, or nil after recording a problem (missing, unreadable, invalid UTF-8).
    mutating func text(_ rel: String) -> String? {
        let read: Data?
        if let memory { read = memory[rel] } else { read = FileManager.default.contents(atPath: root.appendingPathComponent(rel).path) }
        guard let data = read else {
            problems.append(OntologyProblem(file: rel, line: 0, message: "cannot read file"))
            return nil
        }
        hasher.add(path: rel, data: data)
        guard let s = String(validating: data, as: UTF8.self) else {
            // Find the line of the first invalid byte.
            let bytes = [UInt8](data)
            var lineOfBad = 1
            var start = 0
            for (k, b) in bytes.enumerated() where b == 0x0A {
                if String(validating: bytes[start..<k], as: UTF8.self) == nil { break }
                lineOfBad += 1
                start = k + 1
            }
            problems.append(OntologyProblem(file: rel, line: lineOfBad, message: "invalid UTF-8"))
            return nil
        }
        return s
    }

    struct Row { var line: Int; var cells: [String] }

    /// Parses a TSV file with a header that must equal `columns`. Wrong column counts are problems.
    /// Splits on UTF-8 bytes (tab and newline are ASCII), not on Characters.
    mutating func tsv(_ rel: String, columns: [String]) -> [Row] {
        guard let s = text(rel) else { return [] }
        var rows: [Row] = []
        var sawHeader = false
        var lineNo = 0
        let bytes = Array(s.utf8)
        var lineStart = 0
        bytes.withUnsafeBufferPointer { p in
            while lineStart <= p.count {
                var lineEnd = lineStart
                while lineEnd < p.count && p[lineEnd] != 0x0A { lineEnd += 1 }
                lineNo += 1
                var e = lineEnd
                if e > lineStart && p[e - 1] == 0x0D { e -= 1 }
                defer { lineStart = lineEnd + 1 }
                // Blank (spaces/tabs only) and comment lines.
                var k = lineStart
                while k < e && (p[k] == 0x20 || p[k] == 0x09) { k += 1 }
                if k == e || p[lineStart] == 0x23 { continue }
                var cells: [String] = []
                var c0 = lineStart
                var j = lineStart
                while true {
                    if j == e || p[j] == 0x09 {
                        var a = c0, b = j
                        while a < b && p[a] == 0x20 { a += 1 }
                        while b > a && p[b - 1] == 0x20 { b -= 1 }
                        cells.append(String(decoding: UnsafeBufferPointer(rebasing: p[a..<b]), as: UTF8.self))
                        if j == e { break }
                        c0 = j + 1
                    }
                    j += 1
                }
                if !sawHeader {
                    sawHeader = true
                    if cells != columns {
                        problems.append(OntologyProblem(file: rel, line: lineNo,
                            message: "header must be '\(columns.joined(separator: "\\t"))', found '\(cells.joined(separator: "\\t"))'"))
                        lineStart = p.count + 1
                        return
                    }
                    continue
                }
                if cells.count != columns.count {
                    problems.append(OntologyProblem(file: rel, line: lineNo,
                        message: "expected \(columns.count) columns, found \(cells.count)"))
                    continue
                }
                rows.append(Row(line: lineNo, cells: cells))
            }
        }
        if !sawHeader {
            problems.append(OntologyProblem(file: rel, line: 1, message: "missing header row"))
        }
        return rows
    }

    /// Lines of a plain word-list file (comments and blanks skipped).
    mutating func lines(_ rel: String) -> [(Int, String)] {
        guard let s = text(rel) else { return [] }
        var out: [(Int, String)] = []
        for (i, l) in s.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = l.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty || t.hasPrefix("#") { continue }
            out.append((i + 1, t))
        }
        return out
    }
}

/// Content hash of the ontology: SHA-256 over each file's relative path and bytes, in load order.
struct HilumCoreHasher {
    var entries: [(String, Data)] = []
    mutating func add(path: String, data: Data) { entries.append((path, data)) }
}

/// Trims spaces at both ends (cheaper than Foundation's trimming on large files).
func trimSpaces(_ s: Substring) -> String {
    var a = s.startIndex, b = s.endIndex
    while a < b, s[a] == " " { a = s.index(after: a) }
    while b > a, s[s.index(before: b)] == " " { b = s.index(before: b) }
    return String(s[a..<b])
}
