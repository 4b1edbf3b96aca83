public import HilumCore
internal import Foundation

/// RFC 4180 CSV, streamed: quoted fields may hold commas, doubled quotes and line breaks.
/// A character after a closing quote, or a quote left open at the end of the input, makes that
/// record a `input.bad_csv_quote` failure; reading resumes at the next line.
struct CSVStream: RecordStream {
    var source: any ByteSource
    let name: String
    let options: CorpusOptions
    var headerless: Bool
    var buf: [UInt8] = []
    var pos = 0
    var eof = false
    var line = 1
    var header: [String]? = nil
    var textIdx: [Int] = []
    var idIdx: Int? = nil
    var extra: [String: Int] = [:]
    var row = 0
    var started = false
    /// Whether the last record read had a field that is not valid UTF-8.
    var rowInvalidUTF8 = false

    init(source: any ByteSource, name: String, options: CorpusOptions, headerless: Bool) {
        self.source = source
        self.name = name
        self.options = options
        self.headerless = headerless
    }

    enum Parsed { case fields([String], Int); case bad(String, Int); case end }

    mutating func fill() throws(HilumError) -> Bool {
        if eof { return false }
        if pos > 0 && pos > buf.count / 2 { buf.removeSubrange(0..<pos); pos = 0 }
        if try source.read(into: &buf, max: 1 << 18) == 0 { eof = true; return false }
        return true
    }

    /// Parses one record starting at `pos`.
    mutating func record() throws(HilumError) -> Parsed {
        // Skip empty lines.
        while true {
            if pos >= buf.count { if try !fill() { return .end }; continue }
            if buf[pos] == 0x0A { pos += 1; line += 1; continue }
            if buf[pos] == 0x0D, pos + 1 < buf.count, buf[pos + 1] == 0x0A { pos += 2; line += 1; continue }
            break
        }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var size = 0
        var bad: String? = nil
        var invalid = false
        while true {
            // Field start.
            if pos >= buf.count, try !fill() {
                fields.append(CSVStream.decode(field, &invalid))
                break
            }
            if buf[pos] == 0x22 {
                pos += 1
                var closed = false
                while !closed {
                    if pos >= buf.count {
                        if try !fill() {
                            return .bad("quote opened on line \(startLine) is never closed", startLine)
                        }
                        continue
                    }
                    let b = buf[pos]
                    if b == 0x22 {
                        if pos + 1 >= buf.count, try !fill() { pos += 1; closed = true; break }
                        if pos + 1 < buf.count, buf[pos + 1] == 0x22 { field.append(0x22); pos += 2; continue }
                        pos += 1
                        closed = true
                    } else {
                        // The bytes up to the next quote, at once (no further than the byte that passes the limit).
                        let (end, newlines) = CSVStream.run(buf, from: pos, max: options.maxRecordBytes - size + 1, quoted: true)
                        field.append(contentsOf: buf[pos..<end])
                        line += newlines
                        size += end - pos
                        pos = end
                        if size > options.maxRecordBytes { bad = "record larger than \(options.maxRecordBytes) bytes"; break }
                    }
                }
                if bad != nil { break }
                // After a closing quote: delimiter, end of line or end of input.
                if pos >= buf.count, try !fill() { fields.append(CSVStream.decode(field, &invalid)); break }
                let b = buf[pos]
                if b == 0x2C { fields.append(CSVStream.decode(field, &invalid)); field.removeAll(); pos += 1; continue }
                if b == 0x0A || b == 0x0D {
                    fields.append(CSVStream.decode(field, &invalid))
                    pos += 1
                    if b == 0x0D {
                        if pos >= buf.count { _ = try fill() }
                        if pos < buf.count, buf[pos] == 0x0A { pos += 1 }
                    }
                    line += 1
                    break
                }
                bad = "unexpected character after a closing quote on line \(line)"
                break
            }
            // Unquoted field.
            var endOfRecord = false
            while true {
                if pos >= buf.count { if try !fill() { endOfRecord = true; break }; continue }
                let b = buf[pos]
                if b == 0x2C { pos += 1; break }
                if b == 0x0A { pos += 1; line += 1; endOfRecord = true; break }
                if b == 0x0D, pos + 1 < buf.count, buf[pos + 1] == 0x0A { pos += 2; line += 1; endOfRecord = true; break }
                // A lone CR stays in the field; then the bytes up to the next comma, CR or LF, at once.
                let (end, _) = b == 0x0D ? (pos + 1, 0) : CSVStream.run(buf, from: pos, max: options.maxRecordBytes - size + 1, quoted: false)
                field.append(contentsOf: buf[pos..<end])
                size += end - pos
                pos = end
                if size > options.maxRecordBytes { bad = "record larger than \(options.maxRecordBytes) bytes"; break }
            }
            if bad != nil { break }
            if let last = field.last, last == 0x0D { field.removeLast() }
            fields.append(CSVStream.decode(field, &invalid))
            field.removeAll()
            if endOfRecord { break }
        }
        if let bad {
            // Resynchronize at the next line break.
            while true {
                if pos >= buf.count { if try !fill() { break }; continue }
                if buf[pos] == 0x0A { pos += 1; line += 1; break }
                pos += 1
            }
            return .bad(bad, startLine)
        }
        _ = field
        rowInvalidUTF8 = invalid
        return .fields(fields, startLine)
    }

    /// The end of the run of field bytes at `from` (at least one byte, at most `max`): in a quoted field up to the next
    /// quote, with the line feeds it holds; unquoted, up to the next comma, CR or LF.
    static func run(_ buf: [UInt8], from: Int, max: Int, quoted: Bool) -> (Int, Int) {
        buf.withUnsafeBufferPointer { p in
            let limit = Swift.min(p.count, from + Swift.max(max, 1))
            var i = from + 1
            var newlines = p[from] == 0x0A ? 1 : 0
            if quoted {
                while i < limit {
                    let c = p[i]
                    if c == 0x22 { break }
                    if c == 0x0A { newlines += 1 }
                    i += 1
                }
            } else {
                while i < limit {
                    let c = p[i]
                    if c == 0x2C || c == 0x0A || c == 0x0D { break }
                    i += 1
                }
            }
            return (i, newlines)
        }
    }

    /// A field's text; `invalid` is set when its bytes are not valid UTF-8 (they are then replaced by U+FFFD).
    static func decode(_ field: [UInt8], _ invalid: inout Bool) -> String {
        if let s = UTF8Bytes.string(field) { return s }
        invalid = true
        return String(decoding: field, as: UTF8.self)
    }

    static let textNames = ["reports", "report", "text", "report_text", "informe", "texto"]

    mutating func setUp(_ first: [String]) -> CorpusItem? {
        let lower = first.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        if let cols = options.textColumns {
            var idx: [Int] = []
            for c in cols {
                guard let i = lower.firstIndex(of: c.lowercased()) else {
                    return .failure(CorpusError(row: 0, source: name, error: HilumError("input.unknown_column", "no column '\(c)' in the header (\(first.joined(separator: ", ")))")))
                }
                idx.append(i)
            }
            header = first
            textIdx = idx
        } else if !headerless, let i = lower.firstIndex(where: { CSVStream.textNames.contains($0) }) {
            header = first
            textIdx = [i]
        } else if !headerless, lower.contains("findings") || lower.contains("impression") {
            header = first
            textIdx = ["indication", "comparison", "findings", "impression"].compactMap { lower.firstIndex(of: $0) }
        } else {
            headerless = true
            textIdx = [0]
        }
        if let header {
            let lh = header.map { $0.lowercased() }
            if let c = options.idColumn {
                idIdx = lh.firstIndex(of: c.lowercased())
                if idIdx == nil {
                    return .failure(CorpusError(row: 0, source: name, error: HilumError("input.unknown_column", "no id column '\(c)' in the header")))
                }
            } else {
                idIdx = lh.firstIndex { ["id", "report_id", "uid", "study_id", "filename", "reportid"].contains($0) }
            }
            for k in ["patient_id", "study_id", "study_date", "lang"] { if let i = lh.firstIndex(of: k) { extra[k] = i } }
        }
        return nil
    }

    mutating func next() throws(HilumError) -> CorpusItem? {
        while true {
            let parsed = try record()
            switch parsed {
            case .end: return nil
            case .bad(let m, let l):
                if !started { started = true }
                row += 1
                return .failure(CorpusError(row: l, source: name, error: HilumError("input.bad_csv_quote", m, location: "\(name):\(l)")))
            case .fields(let f, let l):
                if !started {
                    started = true
                    if let failure = setUp(f) { return failure }
                    if !headerless { continue }
                }
                row += 1
                var parts: [String] = []
                for i in textIdx where i < f.count {
                    let t = f[i]
                    if t.isEmpty { continue }
                    parts.append(textIdx.count > 1 ? "\((header?[i] ?? "").uppercased()): \(t)" : t)
                }
                if textIdx.contains(where: { $0 >= f.count }) && parts.isEmpty {
                    return .failure(CorpusError(row: l, source: name, error: HilumError("input.bad_row", "row has \(f.count) fields, fewer than the header", location: "\(name):\(l)")))
                }
                let text = parts.joined(separator: "\n")
                if rowInvalidUTF8 {
                    return .failure(CorpusError(row: l, source: name, error: HilumError("input.invalid_utf8", "row is not valid UTF-8", location: "\(name):\(l)")))
                }
                let id = idIdx.flatMap { $0 < f.count ? f[$0] : nil } ?? CorpusReader.syntheticID(name, row)
                func ex(_ k: String) -> String? { extra[k].flatMap { $0 < f.count && !f[$0].isEmpty ? f[$0] : nil } }
                return .record(CorpusRecord(row: row, source: name, id: id, text: text, lang: ex("lang").flatMap { Language(rawValue: $0) },
                                            patientID: ex("patient_id"), studyID: ex("study_id"), studyDate: ex("study_date")))
            }
        }
    }
}

/// A list of files, one report each: plain text (`.txt`, `.txt.gz`) or OpenI `ecgen-radiology` XML.
struct FileListStream: RecordStream {
    var files: [String]
    let xml: Bool
    let options: CorpusOptions
    var index = 0

    init(files: [String], xml: Bool, options: CorpusOptions) {
        self.files = files
        self.xml = xml
        self.options = options
    }

    mutating func next() throws(HilumError) -> CorpusItem? {
        guard index < files.count else { return nil }
        let path = files[index]
        index += 1
        let base = ((path as NSString).lastPathComponent as NSString)
        var id = base.deletingPathExtension
        if id.hasSuffix(".txt") || id.hasSuffix(".xml") { id = (id as NSString).deletingPathExtension }
        do {
            return SingleDocumentStream.document(try openSource(path, counter: options.counter), row: index, name: path, id: id, xml: xml, options: options)
        } catch {
            return .failure(CorpusError(row: index, source: path, error: error))
        }
    }
}

/// One report from one byte source: plain text or OpenI XML (a file of a folder, or a body held in memory).
struct SingleDocumentStream: RecordStream {
    var source: (any ByteSource)?
    let name: String
    let xml: Bool
    let options: CorpusOptions
    /// The record's id (default: the synthetic id of the source's first record).
    let id: String?

    init(source: any ByteSource, name: String, xml: Bool, options: CorpusOptions, id: String? = nil) {
        self.source = source
        self.name = name
        self.xml = xml
        self.options = options
        self.id = id
    }

    mutating func next() throws(HilumError) -> CorpusItem? {
        guard let s = source else { return nil }
        source = nil
        return SingleDocumentStream.document(s, row: 1, name: name, id: id ?? CorpusReader.syntheticID(name, 1), xml: xml, options: options)
    }

    /// Reads the whole source (up to the record limit) and parses it as one report.
    static func document(_ source: any ByteSource, row: Int, name: String, id: String, xml: Bool, options: CorpusOptions) -> CorpusItem {
        var src = source
        var bytes: [UInt8] = []
        do {
            while try src.read(into: &bytes, max: 1 << 18) > 0 {
                if bytes.count > options.maxRecordBytes {
                    return .failure(CorpusError(row: row, source: name, error: HilumError("input.record_too_large", "file larger than \(options.maxRecordBytes) bytes")))
                }
            }
        } catch {
            return .failure(CorpusError(row: row, source: name, error: error))
        }
        if !xml {
            guard let text = UTF8Bytes.string(bytes) else {
                return .failure(CorpusError(row: row, source: name, error: HilumError("input.invalid_utf8", "file is not valid UTF-8")))
            }
            return .record(CorpusRecord(row: row, source: name, id: id, text: text))
        }
        switch OpenIXML.parse(Data(bytes)) {
        case .success(let r):
            return .record(CorpusRecord(row: row, source: name, id: r.id ?? id, text: r.text))
        case .failure(let e):
            return .failure(CorpusError(row: row, source: name, error: e))
        }
    }
}

