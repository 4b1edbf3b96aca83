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
let scratch = "/dev/shm/hilum-fuzz-\(getpid())"

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

func writeScratch(_ bytes: [UInt8], name: String) -> String {
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let path = scratch + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

func readCorpus(_ bytes: [UInt8], name: String, format: InputFormat) {
    let path = writeScratch(bytes, name: name)
    var r = CorpusReader(paths: [path], format: format)
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
        // The input replaces one ontology file of a minimal copy; loading must report problems, never trap.
        let dir = scratch + "/onto"
        try? FileManager.default.removeItem(atPath: dir)
        for sub in ["concepts", "terms", "cues", "relations"] {
            try? FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        let which = bytes.first.map { Int($0) % 4 } ?? 0
        let name = ["concepts/a.tsv", "terms/en.tsv", "cues/en.json", "relations/isa.tsv"][which]
        FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes.dropFirst()))
        _ = Ontology.loadCollecting(from: URL(fileURLWithPath: dir))
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
