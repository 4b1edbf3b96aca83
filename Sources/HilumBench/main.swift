// Benchmarks (release build): swift run -c release HilumBench [--reports N] [--shared PATH] [--masks | --masks-only]
// Prints one line per measurement. Not a test: figures, not assertions.
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumLabels
import HilumService
import HilumScene
#if canImport(Glibc)
import Glibc
#endif

func arg(_ name: String, _ def: String) -> String {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: name), i + 1 < a.count { return a[i + 1] }
    return def
}

func peakRSSMB() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_maxrss) / 1024
}

let root = URL(fileURLWithPath: arg("--ontology", "Ontology"))
let shared = arg("--shared", "../shared")
let corpusSize = Int(arg("--reports", "200000")) ?? 200_000

// A small ontology loaded from memory many times (what the ontology fuzz target does per input).
if CommandLine.arguments.contains("--small-ontology") {
    let dir = arg("--small-ontology", "Tests/fuzz/ontology-base")
    var files: [String: Data] = [:]
    let e = FileManager.default.enumerator(atPath: dir)
    while let rel = e?.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue,
           let d = FileManager.default.contents(atPath: dir + "/" + rel) { files[rel] = d }
    }
    let n = 2000
    let t = Date()
    for _ in 0..<n { _ = Ontology.loadCollecting(files: files) }
    print(String(format: "small ontology (%d files) from memory: %.0f loads/s", files.count, Double(n) / Date().timeIntervalSince(t)))
    exit(0)
}

// 1. Ontology load (parse + validate + compile).
var loads: [Double] = []
var ontology: Ontology? = nil
for _ in 0..<5 {
    let t = Date()
    ontology = try Ontology.load(from: root)
    loads.append(Date().timeIntervalSince(t) * 1000)
}
guard let o = ontology else { print("no ontology"); exit(1) }
loads.sort()
print(String(format: "ontology load: median %.1f ms (min %.1f, max %.1f) for %d concepts, %d terms, %d cue rules",
             loads[2], loads[0], loads[4], o.concepts.count, o.terms.count, o.cues.count))

// Masks: decoding a 1024x1024 label map from PNG (libpng) and from CheXmask RLE, into region run masks.
if CommandLine.arguments.contains("--masks") || CommandLine.arguments.contains("--masks-only") {
    let reader = MaskReader(ontology: o)
    guard let png = FileManager.default.contents(atPath: "Corpora/masks/synthetic-labelmap-1024.png"),
          let csv = FileManager.default.contents(atPath: "Corpora/masks/synthetic-chexmask-1024.csv") else {
        print("no Corpora/masks/synthetic-*-1024 files (run from the package root)"); exit(1)
    }
    let pngBytes = [UInt8](png), csvBytes = [UInt8](csv)
    let values = [1: "right lung", 2: "left lung", 3: "heart"]
    func rate(_ n: Int, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let t = Date()
            for _ in 0..<n { try body() }
            best = min(best, Date().timeIntervalSince(t))
        }
        return Double(n) / best
    }
    let p = try rate(50) { _ = try reader.labelMap(bytes: pngBytes, values: values) }
    let d = try rate(50) { _ = try PNGDecoder.decode(pngBytes) }
    let r = try rate(200) { _ = try reader.chexmaskCSV(bytes: csvBytes, row: 1, id: nil, defaultSize: nil) }
    let set = try reader.labelMap(bytes: pngBytes, values: values)
    let report = analyzer0(o).analyze("Small left pleural effusion. Right lower lobe consolidation. Mild cardiomegaly.")
    let g = try rate(200) { _ = try SceneBuilder(ontology: o).build(masks: set, report: report) }
    print(String(format: "masks, 1 core, 1024x1024 label map of 3 regions: PNG decode %.0f/s; PNG to region masks %.0f/s; CheXmask RLE row to region masks %.0f/s; scene graph with derived regions %.0f/s",
                 d, p, r, g))
    if CommandLine.arguments.contains("--masks-only") { exit(0) }
}
func analyzer0(_ o: Ontology) -> Analyzer { Analyzer(ontology: o) }

// 2. Analyzer, one core, on the OpenI dev texts.
let openi = "\(shared)/data/openi-dev/reports.jsonl"
guard let data = FileManager.default.contents(atPath: openi), let text = String(data: data, encoding: .utf8) else {
    print("no OpenI dev reports at \(openi)"); exit(1)
}
var texts: [String] = []
for line in text.split(separator: "\n") {
    guard let v = try? JSONParser().parse(String(line)) else { continue }
    let parts = [("indication", "INDICATION"), ("comparison", "COMPARISON"), ("findings", "FINDINGS"), ("impression", "IMPRESSION")]
        .compactMap { k, h in v[k]?.string.flatMap { $0.isEmpty ? nil : "\(h): \($0)" } }
    texts.append(parts.joined(separator: "\n"))
}
let bytes = texts.reduce(0) { $0 + $1.utf8.count }
let analyzer = Analyzer(ontology: o)
let labeler = Labeler(ontology: o)
var best = Double.infinity
var findings = 0
for _ in 0..<(Int(arg("--timed-passes", "5")) ?? 5) {
    let t = Date()
    findings = 0
    for s in texts { findings += analyzer.analyze(s, lang: .en).findings.count }
    best = min(best, Date().timeIntervalSince(t))
}
print(String(format: "analyze, 1 core: %d OpenI reports (%.2f MB) in %.3f s: %.1f MB/s, %.0f reports/s (%d findings)",
             texts.count, Double(bytes) / 1e6, best, Double(bytes) / 1e6 / best, Double(texts.count) / best, findings))
if CommandLine.arguments.contains("--labels-only") {
    let rs = texts.map { analyzer.analyze($0, lang: .en) }
    for _ in 0..<30 { for r0 in rs { var r = r0; labeler.apply(&r); var w = JSONWriter(); r.writeJSON(to: &w) } }
    exit(0)
}
if CommandLine.arguments.contains("--tiny") {
    // Fixed cost per report: a one-sentence report.
    let t = Date()
    let n = 200_000
    for _ in 0..<n { _ = analyzer.analyze("No pleural effusion.", lang: .en) }
    print(String(format: "analyze, 1 core, one-sentence report: %.0f reports/s", Double(n) / Date().timeIntervalSince(t)))
    exit(0)
}
if CommandLine.arguments.contains("--pipeline-only") {
    // The whole analyze result, labels and JSON included, for a profiler (`--passes N`, default 20).
    for _ in 0..<(Int(arg("--passes", "20")) ?? 20) {
        for s in texts { var r = analyzer.analyze(s, lang: .en); labeler.apply(&r); var w = JSONWriter(); r.writeJSON(to: &w) }
    }
    exit(0)
}
if CommandLine.arguments.contains("--analyze-only") {
    // Extra passes for a profiler (`--passes N`, default 20).
    for _ in 0..<(Int(arg("--passes", "20")) ?? 20) { for s in texts { _ = analyzer.analyze(s, lang: .en) } }
    exit(0)
}
best = .infinity
for _ in 0..<3 {
    let t = Date()
    for s in texts { var r = analyzer.analyze(s, lang: .en); labeler.apply(&r); var w = JSONWriter(); r.writeJSON(to: &w) }
    best = min(best, Date().timeIntervalSince(t))
}
print(String(format: "analyze + labels + JSON, 1 core: %.1f MB/s, %.0f reports/s", Double(bytes) / 1e6 / best, Double(texts.count) / best))

// 3. NDJSON dispatcher on all cores (what hilum stdio does per batch).
let service = Service(ontology: o)
let lines: [[UInt8]] = texts.enumerated().map { i, s in
    var w = JSONWriter()
    w.value(.object([("id", .number(Double(i))), ("op", .string("analyze")), ("params", .object([("text", .string(s)), ("lang", .string("en"))]))]))
    return w.bytes
}
do {
    let t = Date()
    let out = ParallelMap.map(lines, jobs: ProcessInfo.processInfo.activeProcessorCount) { service.handle(line: $0[...]) }
    let dt = Date().timeIntervalSince(t)
    print(String(format: "stdio dispatcher, %d cores: %.0f requests/s (%.1f MB/s in, %d responses)",
                 ProcessInfo.processInfo.activeProcessorCount, Double(lines.count) / dt, Double(bytes) / 1e6 / dt, out.count))
}

// 4. Corpus labelling: N reports (OpenI texts repeated) into all three schemes, plain and gzip.
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilum-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
let corpus = dir.appendingPathComponent("corpus.jsonl").path
do {
    FileManager.default.createFile(atPath: corpus, contents: nil)
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: corpus))
    var buf: [UInt8] = []
    for i in 0..<corpusSize {
        var w = JSONWriter()
        w.value(.object([("id", .string("r\(i)")), ("text", .string(texts[i % texts.count]))]))
        buf += w.bytes; buf.append(0x0A)
        if buf.count > 1 << 20 { h.write(Data(buf)); buf.removeAll(keepingCapacity: true) }
    }
    h.write(Data(buf)); try h.close()
}
let gz = corpus + ".gz"
_ = system("gzip -c \(corpus) > \(gz)")
let sizeMB = Double((try? FileManager.default.attributesOfItem(atPath: corpus)[.size] as? Int) ?? 0 ?? 0) / 1e6
for (name, path) in [("plain", corpus), ("gzip", gz)] {
    let job = try LabelJob(ontology: o, scheme: "all", format: .csv)
    var options = CorpusOptions()
    options.deferParsing = true
    var reader = CorpusReader(paths: [path], options: options)
    let out = open(dir.appendingPathComponent("out-\(name).csv").path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let s = try job.run(&reader, write: { b throws(HilumError) in try writeAll(Array(b), out) }, failure: { _ in })
    close(out)
    print(String(format: "label --scheme all, %@ input, %d cores: %d reports (%.1f MB of report text, %.1f MB file) in %.2f s: %.1f MB/s, %.0f reports/s; peak RSS so far %.0f MB",
                 name, job.jobs, s.reports, Double(s.bytes) / 1e6, sizeMB, s.seconds, Double(s.bytes) / 1e6 / s.seconds, Double(s.reports) / s.seconds, peakRSSMB()))
}
try? FileManager.default.removeItem(at: dir)
