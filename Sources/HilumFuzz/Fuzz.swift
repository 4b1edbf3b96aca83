// libFuzzer entry point (built only with HILUM_FUZZ=1; see Tools/fuzz.sh). One binary, many targets:
// HILUM_FUZZ_TARGET names the parser under test. A crash, a trap or a sanitizer report is a finding.
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumLabels
import HilumScene
import HilumService

let fuzzTarget = ProcessInfo.processInfo.environment["HILUM_FUZZ_TARGET"] ?? "analyzer"
let ontologyRoot = URL(fileURLWithPath: ProcessInfo.processInfo.environment["HILUM_ONTOLOGY"] ?? "Ontology")
nonisolated(unsafe) var cachedOntology: Ontology?
nonisolated(unsafe) var cachedService: Service?

func ontology() -> Ontology {
    if let o = cachedOntology { return o }
    guard let o = try? Ontology.load(from: ontologyRoot) else {
        FileHandle.standardError.write(Data("HilumFuzz: cannot load the ontology at \(ontologyRoot.path)\n".utf8))
        exit(2)
    }
    cachedOntology = o
    return o
}

func service() -> Service {
    if let s = cachedService { return s }
    let s = Service(ontology: ontology())
    cachedService = s
    return s
}

/// Reads a corpus held in memory (the same streams as files: CSV, JSONL, XML, gzip), every record resolved.
func readCorpus(_ bytes: [UInt8], name: String, format: InputFormat) {
    var r = CorpusReader(bytes: bytes, name: name, format: format)
    var n = 0
    while n < 10_000 {
        do {
            guard let item = try r.next() else { break }
            _ = item.resolved()
        } catch {
            break   // a structured error for the whole source is a valid outcome
        }
        n += 1
    }
}

/// A small valid ontology (Tests/fuzz/ontology-base), held in memory; each input replaces one of its files.
nonisolated(unsafe) var ontologyBase: [String: Data]?
func baseOntologyFiles() -> [String: Data] {
    if let b = ontologyBase { return b }
    let root = ProcessInfo.processInfo.environment["HILUM_FUZZ_ONTOLOGY_BASE"] ?? "Tests/fuzz/ontology-base"
    var files: [String: Data] = [:]
    let e = FileManager.default.enumerator(atPath: root)
    while let rel = e?.nextObject() as? String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue else { continue }
        if let d = FileManager.default.contents(atPath: root + "/" + rel) { files[rel] = d }
    }
    guard !files.isEmpty, Ontology.loadCollecting(files: files).1.isEmpty else {
        FileHandle.standardError.write(Data("HilumFuzz: the base ontology at \(root) is missing or invalid\n".utf8))
        exit(2)
    }
    ontologyBase = files
    return files
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch fuzzTarget {
    case "analyzer":
        // Any bytes as a report, in both languages and auto-detected; spans must lie inside the text.
        let a = Analyzer(ontology: ontology())
        for lang in [Language.en, .es, nil] {
            let r = a.analyze(bytes: bytes, lang: lang, id: nil)
            for f in r.findings where f.span.start < 0 || f.span.end > r.textLength || f.span.start > f.span.end {
                fatalError("span \(f.span) outside a text of \(r.textLength) scalars")
            }
        }
    case "envelope":
        _ = service().handle(line: bytes[...])
    case "csv": readCorpus(bytes, name: "in.csv", format: .csv)
    case "chexpert": readCorpus(bytes, name: "in.csv", format: .chexpert)
    case "jsonl": readCorpus(bytes, name: "in.jsonl", format: .jsonl)
    case "jsonl-raw":
        // The label writer's raw JSONL reader and the general parse must agree on every line: the raw reader may
        // only defer to the parse, or give the parse's id, language and text, and never read a line the parse rejects.
        var text: [UInt8] = [], scratch: [UInt8] = []
        for (n, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(1000).enumerated() {
            let l = Array(line)
            guard let raw = JSONLStream.rawRecord(l, lineNo: n + 1, name: "in.jsonl", options: CorpusOptions(),
                                                  text: &text, scratch: &scratch) else { continue }
            guard case .record(let r) = JSONLStream.parse(l, lineNo: n + 1, name: "in.jsonl", options: CorpusOptions()) else {
                fatalError("the raw reader read a line the parse rejects")
            }
            if raw.id != r.id || raw.lang != r.lang || text != Array(r.text.utf8) { fatalError("the raw reader and the parse disagree") }
        }
    case "openi-xml": readCorpus(bytes, name: "in.xml", format: .openiXML)
    case "gzip": readCorpus(bytes, name: "in.jsonl.gz", format: .jsonl)
    case "png":
        var limits = MaskLimits()
        limits.maxPixels = 4 << 20
        if let img = try? PNGDecoder.decode(bytes, limits: limits) { _ = img.masksByValue() }
    case "chexmask-rle":
        _ = try? MaskReader(ontology: ontology()).chexmaskCSV(bytes: bytes, row: 1, id: nil, defaultSize: (64, 64))
    case "coco":
        var reader = MaskReader(ontology: ontology())
        reader.limits.maxPixels = 4 << 20
        _ = try? reader.coco(bytes: bytes, image: nil)
    case "boxes":
        if let v = try? JSONParser().parse(String(decoding: bytes, as: UTF8.self)) {
            if let set = try? MaskReader(ontology: ontology()).boxes(json: v, imageSize: nil) {
                _ = try? SceneBuilder(ontology: ontology()).build(masks: set, report: nil)
            }
        }
    case "ontology":
        // The first byte picks one file of a small valid ontology; the rest replaces it. Loading must report
        // problems, never trap.
        var files = baseOntologyFiles()
        let names = files.keys.sorted()
        guard let first = bytes.first, !names.isEmpty else { return 0 }
        files[names[Int(first) % names.count]] = Data(bytes.dropFirst())
        _ = Ontology.loadCollecting(files: files)
    default:
        FileHandle.standardError.write(Data("HilumFuzz: unknown HILUM_FUZZ_TARGET \(fuzzTarget)\n".utf8))
        exit(2)
    }
    return 0
}

// SwiftPM links an executable's entry as `<Module>_main`; hand it to libFuzzer's driver (so libFuzzer's own
// `main` is not needed and no second `main` is linked).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("HilumFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOne)
}
