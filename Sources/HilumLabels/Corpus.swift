public import HilumCore
internal import Foundation
#if canImport(FoundationXML)
internal import FoundationXML
#endif

/// Corpus input formats of `hilum label` and `hilum db ingest`.
public enum InputFormat: String, Sendable, CaseIterable {
    case auto, csv, chexpert, jsonl, txt
    case openiXML = "openi-xml"
}

/// One report of a corpus.
public struct CorpusRecord: Sendable {
    /// 1-based record number within its source (data rows for CSV, lines for JSONL, files for folders).
    public var row: Int
    public var source: String
    public var id: String
    public var text: String
    public var lang: Language?
    public var patientID: String?
    public var studyID: String?
    public var studyDate: String?
    /// The image's regions for a scene graph (JSONL field `scene`: a Hilum scene, Chest ImaGenome objects or
    /// `{image, boxes}`), kept as given; `db ingest` builds and stores the graph.
    public var scene: JSONValue? = nil
}

/// A record that could not be read; the others go on.
public struct CorpusError: Sendable, Error {
    public var row: Int
    public var source: String
    public var error: HilumError
    public init(row: Int, source: String, error: HilumError) { self.row = row; self.source = source; self.error = error }
}

public enum CorpusItem: Sendable {
    case record(CorpusRecord)
    case failure(CorpusError)
    /// A record whose parsing was left to the consumer (so that it can run on worker threads);
    /// `resolved()` turns it into a record or a failure.
    case deferred(DeferredRecord)

    /// The item with any deferred parsing done.
    public func resolved() -> CorpusItem {
        if case .deferred(let d) = self { return d.parse() }
        return self
    }
}

/// A JSONL line read but not yet parsed.
public struct DeferredRecord: Sendable {
    let bytes: [UInt8]
    let lineNo: Int
    let name: String
    let options: CorpusOptions
    public var byteCount: Int { bytes.count }
    public func parse() -> CorpusItem {
        JSONLStream.parse(bytes, lineNo: lineNo, name: name, options: options)
    }
}

/// Column and field choices.
public struct CorpusOptions: Sendable {
    /// CSV columns joined (with a blank line) into the text; nil = detect (`Reports`, `report`, `text`, or findings + impression).
    public var textColumns: [String]? = nil
    public var idColumn: String? = nil
    public var textFields: [String]? = nil
    public var idField: String? = nil
    /// Limit of one record in bytes.
    public var maxRecordBytes = 16 << 20
    /// Leave JSONL parsing to the consumer (`CorpusItem.deferred`), to parse on worker threads.
    public var deferParsing = false
    /// Counts the bytes read from input files (compressed bytes for `.gz`); `CorpusReader` sets one.
    var counter: ByteCounter? = nil
    public init() {}
}

/// Bytes read from the input files so far. Written and read by the thread that reads the corpus.
final class ByteCounter: @unchecked Sendable {
    var bytes = 0
}

/// Streams the reports of one or more inputs in order, in constant memory (one record at a time).
public struct CorpusReader {
    var pending: [String]
    let format: InputFormat
    let options: CorpusOptions
    var current: (any RecordStream)? = nil

    public init(paths: [String], format: InputFormat = .auto, options: CorpusOptions = CorpusOptions()) {
        pending = paths.reversed()
        self.format = format
        var o = options
        if o.counter == nil { o.counter = ByteCounter() }
        self.options = o
        totalBytes = CorpusReader.size(of: paths)
    }

    /// Bytes of input read so far (compressed bytes for `.gz` files), for progress.
    public var bytesRead: Int { options.counter?.bytes ?? 0 }
    /// The size of the inputs (files, and the files of folders) when every input is a file or folder; nil for
    /// standard input or an in-memory corpus.
    public private(set) var totalBytes: Int? = nil

    static func size(of paths: [String]) -> Int? {
        var total = 0
        let fm = FileManager.default
        for p in paths {
            if p == "-" { return nil }
            guard let a = try? fm.attributesOfItem(atPath: p) else { continue }
            if (a[.type] as? FileAttributeType) == .typeDirectory {
                for name in (try? fm.contentsOfDirectory(atPath: p)) ?? [] {
                    let full = (p as NSString).appendingPathComponent(name)
                    if let b = try? fm.attributesOfItem(atPath: full), (b[.type] as? FileAttributeType) == .typeRegular {
                        total += (b[.size] as? Int) ?? 0
                    }
                }
            } else {
                total += (a[.size] as? Int) ?? 0
            }
        }
        return total
    }

    /// Reads a corpus held in memory (`name` names it in errors and synthetic ids). gzip data (magic bytes
    /// 1f 8b) is inflated; `.auto` tells JSONL from OpenI XML and CSV by the first byte.
    public init(bytes: [UInt8], name: String, format: InputFormat = .auto, options: CorpusOptions = CorpusOptions()) {
        pending = []
        self.format = format
        self.options = options
        let gz = bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
        let source: any ByteSource = gz ? GzipSource(MemorySource(bytes), name: name) : MemorySource(bytes)
        var f = format
        if f == .auto {
            let first = gz ? nil : bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            f = gz || first == UInt8(ascii: "{") ? .jsonl : first == UInt8(ascii: "<") ? .openiXML : .csv
        }
        switch f {
        case .jsonl: current = JSONLStream(source: source, name: name, options: options)
        case .csv, .chexpert, .auto: current = CSVStream(source: source, name: name, options: options, headerless: f == .chexpert)
        case .txt, .openiXML: current = SingleDocumentStream(source: source, name: name, xml: f == .openiXML, options: options)
        }
    }

    /// The next record or failure; nil at the end. Throws only when an input cannot be opened at all.
    public mutating func next() throws(HilumError) -> CorpusItem? {
        while true {
            if var c = current {
                let item = try c.next()
                current = c
                if let item { return item }
                current = nil
            }
            guard let path = pending.popLast() else { return nil }
            current = try CorpusReader.open(path, format: format, options: options)
        }
    }

    /// The id of a record that has none: file name and record number, unique across files.
    static func syntheticID(_ source: String, _ row: Int) -> String {
        "\((source as NSString).lastPathComponent):\(row)"
    }

    static func baseName(_ path: String) -> String {
        var p = path.lowercased()
        if p.hasSuffix(".gz") { p.removeLast(3) }
        return p
    }

    /// Standard input can be read once only: what is read to tell gzip (magic bytes) and the format (first
    /// non-blank byte: `{` JSONL, `<` OpenI XML, else CSV) is replayed to the reader.
    static func openStandardInput(format: InputFormat, options: CorpusOptions) throws(HilumError) -> any RecordStream {
        var file = try FileSource(path: "-")
        file.counter = options.counter
        let (magic, raw) = try ReplaySource.peek(file, 2)
        let source: any ByteSource = magic.count == 2 && magic[0] == 0x1F && magic[1] == 0x8B ? GzipSource(raw, name: "-") : raw
        var f = format
        var input: any ByteSource = source
        if f == .auto {
            let (head, replay) = try ReplaySource.peek(source, 4096)
            input = replay
            let first = head.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            f = first == UInt8(ascii: "{") ? .jsonl : first == UInt8(ascii: "<") ? .openiXML : .csv
        }
        switch f {
        case .jsonl: return JSONLStream(source: input, name: "-", options: options)
        case .txt, .openiXML: return SingleDocumentStream(source: input, name: "-", xml: f == .openiXML, options: options, id: "-")
        case .csv, .chexpert, .auto: return CSVStream(source: input, name: "-", options: options, headerless: f == .chexpert)
        }
    }

    static func detect(_ path: String) throws(HilumError) -> InputFormat {
        var isDir: ObjCBool = false
        if path != "-" && FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if names.contains(where: { baseName($0).hasSuffix(".xml") }) { return .openiXML }
            return .txt
        }
        let b = baseName(path)
        if b.hasSuffix(".jsonl") || b.hasSuffix(".ndjson") || b.hasSuffix(".json") { return .jsonl }
        if b.hasSuffix(".xml") { return .openiXML }
        if b.hasSuffix(".txt") { return .txt }
        if b.hasSuffix(".csv") { return .csv }  // csv vs chexpert decided from the header
        // Unknown extension: look at the first byte.
        var src = try openSource(path)
        var buf: [UInt8] = []
        _ = try src.read(into: &buf, max: 1)
        if buf.first == UInt8(ascii: "{") { return .jsonl }
        if buf.first == UInt8(ascii: "<") { return .openiXML }
        return .csv
    }

    static func open(_ path: String, format: InputFormat, options: CorpusOptions) throws(HilumError) -> any RecordStream {
        if path == "-" { return try openStandardInput(format: format, options: options) }
        var f = format
        if f == .auto { f = try detect(path) }
        switch f {
        case .jsonl: return JSONLStream(source: try openSource(path, counter: options.counter), name: path, options: options)
        case .csv, .chexpert, .auto: return CSVStream(source: try openSource(path, counter: options.counter), name: path, options: options, headerless: f == .chexpert)
        case .txt, .openiXML:
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
                let ext = f == .txt ? ".txt" : ".xml"
                let files = names.filter { baseName($0).hasSuffix(ext) }.map { (path as NSString).appendingPathComponent($0) }
                // A folder of corpus files (JSONL/CSV) rather than one report per file: read each in turn.
                let corpora = names.filter { n in [".jsonl", ".ndjson", ".csv"].contains { baseName(n).hasSuffix($0) } }
                if files.isEmpty && !corpora.isEmpty && format == .auto {
                    return MultiStream(paths: corpora.map { (path as NSString).appendingPathComponent($0) }, options: options)
                }
                return FileListStream(files: files, xml: f == .openiXML, options: options)
            }
            return FileListStream(files: [path], xml: f == .openiXML, options: options)
        }
    }
}

/// Several corpus files read one after another, each with its detected format.
struct MultiStream: RecordStream {
    var reader: CorpusReader
    init(paths: [String], options: CorpusOptions) { reader = CorpusReader(paths: paths, format: .auto, options: options) }
    mutating func next() throws(HilumError) -> CorpusItem? { try reader.next() }
}

protocol RecordStream {
    mutating func next() throws(HilumError) -> CorpusItem?
}

/// JSONL: one object per line with a text field (`text`, or `--text-field`s joined) and an id.
package struct JSONLStream: RecordStream {
    var lines: LineSplitter
    let name: String
    let options: CorpusOptions
    var lineNo = 0

    init(source: any ByteSource, name: String, options: CorpusOptions) {
        lines = LineSplitter(source: source, maxLine: options.maxRecordBytes)
        self.name = name
        self.options = options
    }

    mutating func next() throws(HilumError) -> CorpusItem? {
        while true {
            guard let line = try lines.next() else { return nil }
            lineNo += 1
            switch line {
            case .tooLong(let n):
                return .failure(CorpusError(row: lineNo, source: name, error: HilumError("input.record_too_large", "line of \(n)+ bytes exceeds the limit of \(options.maxRecordBytes)")))
            case .line(let bytes):
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                if options.deferParsing {
                    return .deferred(DeferredRecord(bytes: bytes, lineNo: lineNo, name: name, options: options))
                }
                return JSONLStream.parse(bytes, lineNo: lineNo, name: name, options: options)
            }
        }
    }

    package static func parse(_ bytes: [UInt8], lineNo: Int, name: String, options: CorpusOptions) -> CorpusItem {
        func fail(_ code: String, _ m: String) -> CorpusItem { .failure(CorpusError(row: lineNo, source: name, error: HilumError(code, m))) }
        let v: JSONValue
        do {
            // The parser validates every string; outside strings a non-ASCII byte is a syntax error. So a line that
            // parses is valid UTF-8, and one that does not is checked only to name the error.
            v = try bytes.withUnsafeBufferPointer { p throws(HilumError) in try JSONParser().parse(p) }
        } catch {
            guard UTF8Bytes.isValid(bytes) else { return fail("input.invalid_utf8", "line is not valid UTF-8") }
            return fail("input.malformed_json", error.message)
        }
        guard case .object(let pairs) = v else { return fail("input.malformed_json", "line is not a JSON object") }
        // The fields a record reads, found in one pass over its keys (the parser keeps one value per key; of repeated
        // pairs the first is taken, as `v[key]` does); a key is compared only with the names of its length.
        var known = KnownFields()
        for (k, x) in pairs { known.take(k, x) }
        /// A field by name: from the pass above, or looked up when the options name another field.
        func field(_ f: String) -> JSONValue? { known.value(f) ?? (KnownFields.isKnown(f) ? nil : v[f]) }
        let fields = options.textFields ?? (known.text != nil ? ["text"] : known.report != nil ? ["report"] : ["findings", "impression"])
        var parts: [String] = []
        for f in fields {
            guard let x = field(f) else { continue }
            if let t = x.string { if !t.isEmpty { parts.append(fields.count > 1 ? "\(f.uppercased()): \(t)" : t) } }
            else if !x.isNull { return fail("input.bad_field", "field '\(f)' is not a string") }
        }
        if parts.isEmpty && fields.allSatisfy({ field($0) == nil }) {
            return fail("input.missing_field", "no text field (\(fields.joined(separator: ", ")))")
        }
        let idValue = options.idField.map { field($0) } ?? (known.id ?? known.uid)
        let id = idValue?.string ?? idValue?.int.map(String.init) ?? CorpusReader.syntheticID(name, lineNo)
        let lang = known.lang?.string.flatMap { Language(rawValue: $0) }
        func str(_ x: JSONValue?) -> String? { x?.string ?? x?.int.map(String.init) }
        return .record(CorpusRecord(row: lineNo, source: name, id: id, text: parts.joined(separator: "\n"), lang: lang,
                                    patientID: str(known.patientID), studyID: str(known.studyID), studyDate: str(known.studyDate),
                                    scene: known.scene.flatMap { $0.isNull ? nil : $0 }))
    }

    /// The usual JSONL record read for the label writer without a `CorpusRecord` or a String of its text: a flat
    /// object whose `text` (or, without one, `report`) field is a string, with an `id` or `uid` string and a `lang`
    /// (the other fields of the record, such as `patient_id`, are not read: only checked as `parse` checks them).
    /// The text is unescaped into `text` (replaced) as well-formed UTF-8. Returns nil when the line needs `parse`:
    /// another shape (nested values, numbers, a known field that is not a string or is repeated, keys with escapes
    /// or non-ASCII bytes, options naming other fields) or any error; `parse` then gives the line's record or error.
    /// Otherwise the id, language and text are those of the record `parse` gives.
    package static func rawRecord(_ line: [UInt8], lineNo: Int, name: String, options: CorpusOptions,
                          text: inout [UInt8], scratch: inout [UInt8]) -> (id: String, lang: Language?)? {
        guard options.textFields == nil, options.idField == nil else { return nil }
        return line.withUnsafeBufferPointer { p -> (id: String, lang: Language?)? in
            let parser = JSONParser()
            let n = p.count
            var i = 0
            @inline(__always) func ws() { while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 } }
            /// Whether the literal `word` is at `i` (moved past it).
            func literal(_ word: StaticString) -> Bool {
                let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
                guard i + w.count <= n else { return false }
                for k in 0..<w.count where p[i + k] != w[k] { return false }
                i += w.count
                return true
            }
            enum Slot { case text, report, id, uid, lang, other, general }
            var id: String? = nil, uid: String? = nil, lang: String? = nil
            var haveText = false, haveReport = false
            text.removeAll(keepingCapacity: true)
            ws()
            guard i < n, p[i] == 0x7B else { return nil }
            i += 1
            ws()
            guard i < n, p[i] != 0x7D else { return nil }
            while true {
                ws()
                guard i < n, p[i] == 0x22 else { return nil }
                // The key: plain ASCII up to its closing quote.
                let ks = i + 1
                var ke = ks
                while ke < n, p[ke] != 0x22 {
                    guard p[ke] >= 0x20, p[ke] < 0x80, p[ke] != 0x5C else { return nil }
                    ke += 1
                }
                guard ke < n else { return nil }
                let key = UnsafeBufferPointer(rebasing: p[ks..<ke])
                func isKey(_ k: StaticString) -> Bool {
                    guard key.count == k.utf8CodeUnitCount else { return false }
                    let w = k.utf8Start
                    for j in 0..<key.count where key[j] != w[j] { return false }
                    return true
                }
                let slot: Slot
                switch key.count {
                case 2: slot = isKey("id") ? .id : .other
                case 3: slot = isKey("uid") ? .uid : .other
                case 4: slot = isKey("text") ? .text : isKey("lang") ? .lang : .other
                case 5: slot = isKey("scene") ? .general : .other
                case 6: slot = isKey("report") ? .report : .other
                // (`patient_id`, `study_id` and `study_date` are not written to a label row: read as any other field.)
                case 8: slot = isKey("findings") ? .general : .other
                case 10: slot = isKey("impression") ? .general : .other
                default: slot = .other
                }
                if slot == .general { return nil }
                i = ke + 1
                ws()
                guard i < n, p[i] == 0x3A else { return nil }
                i += 1
                ws()
                guard i < n else { return nil }
                if p[i] == 0x22 {
                    do {
                        switch slot {
                        case .text:
                            guard !haveText else { return nil }
                            haveText = true
                            // The text field wins over a report field read before it.
                            text.removeAll(keepingCapacity: true)
                            try parser.decodeString(p, &i, into: &text)
                        case .report:
                            guard !haveReport else { return nil }
                            haveReport = true
                            if haveText {
                                scratch.removeAll(keepingCapacity: true)
                                try parser.decodeString(p, &i, into: &scratch)
                            } else {
                                try parser.decodeString(p, &i, into: &text)
                            }
                        case .id, .uid, .lang:
                            let seen = slot == .id ? id != nil : slot == .uid ? uid != nil : lang != nil
                            guard !seen else { return nil }
                            scratch.removeAll(keepingCapacity: true)
                            try parser.decodeString(p, &i, into: &scratch)
                            let v = String(decoding: scratch, as: UTF8.self)
                            if slot == .id { id = v } else if slot == .uid { uid = v } else { lang = v }
                        case .other, .general:
                            // Read (and checked) as `parse` reads it, then dropped.
                            scratch.removeAll(keepingCapacity: true)
                            try parser.decodeString(p, &i, into: &scratch)
                        }
                    } catch {
                        return nil
                    }
                } else {
                    // A known field holds a string here; other fields may hold a literal.
                    guard slot == .other, literal("true") || literal("false") || literal("null") else { return nil }
                }
                ws()
                guard i < n else { return nil }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x7D { i += 1; break }
                return nil
            }
            ws()
            guard i == n, haveText || haveReport else { return nil }
            return (id ?? uid ?? CorpusReader.syntheticID(name, lineNo), lang.flatMap { Language(rawValue: $0) })
        }
    }

    /// The fields of a JSONL record that `parse` reads by default.
    struct KnownFields {
        var text, report, findings, impression, id, uid, lang, patientID, studyID, studyDate, scene: JSONValue?

        static let names: Set<String> = ["text", "report", "findings", "impression", "id", "uid", "lang", "patient_id",
                                         "study_id", "study_date", "scene"]
        static func isKnown(_ k: String) -> Bool { names.contains(k) }

        /// Keeps `x` when `k` is a known field not seen before.
        mutating func take(_ k: String, _ x: JSONValue) {
            @inline(__always) func keep(_ slot: inout JSONValue?) { if slot == nil { slot = x } }
            switch k.utf8.count {
            case 2: if k == "id" { keep(&id) }
            case 3: if k == "uid" { keep(&uid) }
            case 4: if k == "text" { keep(&text) } else if k == "lang" { keep(&lang) }
            case 5: if k == "scene" { keep(&scene) }
            case 6: if k == "report" { keep(&report) }
            case 8: if k == "findings" { keep(&findings) } else if k == "study_id" { keep(&studyID) }
            case 10:
                if k == "impression" { keep(&impression) } else if k == "patient_id" { keep(&patientID) }
                else if k == "study_date" { keep(&studyDate) }
            default: break
            }
        }

        /// The kept value of known field `k` (nil when `k` is not known or was absent).
        func value(_ k: String) -> JSONValue? {
            switch k {
            case "text": text
            case "report": report
            case "findings": findings
            case "impression": impression
            case "id": id
            case "uid": uid
            case "lang": lang
            case "patient_id": patientID
            case "study_id": studyID
            case "study_date": studyDate
            case "scene": scene
            default: nil
            }
        }
    }
}

/// Splits a byte source into lines without holding more than one line (plus a chunk) in memory.
struct LineSplitter {
    enum Line { case line([UInt8]); case tooLong(Int) }
    var source: any ByteSource
    var buf: [UInt8] = []
    var pos = 0
    var eof = false
    let maxLine: Int

    init(source: any ByteSource, maxLine: Int) {
        self.source = source
        self.maxLine = maxLine
    }

    mutating func next() throws(HilumError) -> Line? {
        var skipping = 0
        var scanFrom = pos
        while true {
            if let nl = buf[scanFrom...].firstIndex(of: 0x0A) {
                let line = Array(buf[pos..<nl])
                pos = nl + 1
                if skipping > 0 { return .tooLong(skipping + line.count) }
                return .line(line)
            }
            if eof {
                if pos < buf.count {
                    let line = Array(buf[pos...])
                    pos = buf.count
                    if skipping > 0 { return .tooLong(skipping + line.count) }
                    return .line(line)
                }
                if skipping > 0 { return .tooLong(skipping) }
                return nil
            }
            if pos > 0 { buf.removeSubrange(0..<pos); pos = 0 }
            if buf.count > maxLine {
                skipping += buf.count
                buf.removeAll(keepingCapacity: true)
            }
            scanFrom = buf.count
            if try source.read(into: &buf, max: 1 << 18) == 0 { eof = true }
        }
    }
}

/// The lines of a file or of standard input, read in blocks (gzip inflated: a `.gz` path, or standard input that
/// starts with gzip's magic bytes): one line and one block in memory, whatever the input size. `head` holds the
/// first bytes (up to 4 KiB), to tell a JSONL input from a report text before reading on.
public struct LineStream {
    public enum Line { case line([UInt8]); case tooLong(Int) }
    var lines: LineSplitter
    public let head: [UInt8]

    public init(path: String, maxLine: Int = 16 << 20) throws(HilumError) {
        var source: any ByteSource
        if path == "-" {
            let (magic, raw) = try ReplaySource.peek(try FileSource(path: "-"), 2)
            source = magic.count == 2 && magic[0] == 0x1F && magic[1] == 0x8B ? GzipSource(raw, name: "-") : raw
        } else {
            source = try openSource(path)
        }
        let (head, replay) = try ReplaySource.peek(source, 4096)
        self.head = head
        lines = LineSplitter(source: replay, maxLine: maxLine)
    }

    /// The next line (without its line feed), a line longer than the limit (its length; it is skipped), or nil at the end.
    public mutating func next() throws(HilumError) -> Line? {
        switch try lines.next() {
        case .line(let l): return .line(l)
        case .tooLong(let n): return .tooLong(n)
        case nil: return nil
        }
    }

    /// The whole input as it is (a report text), when no line has been read: every byte, line feeds included.
    public mutating func readAll() throws(HilumError) -> [UInt8] {
        var out = Array(lines.buf[lines.pos...])
        lines.pos = lines.buf.count
        while !lines.eof {
            if try lines.source.read(into: &out, max: 1 << 18) == 0 { lines.eof = true }
        }
        return out
    }
}
