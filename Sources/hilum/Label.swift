import ArgumentParser
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumLabels
import HilumService

struct CorpusOptionGroup: ParsableArguments {
    @Option(name: .customLong("input-format"), help: "auto, csv, chexpert, jsonl, txt, openi-xml (any of them may be .gz).")
    var inputFormat: String = "auto"
    @Option(name: .customLong("text-column"), help: "CSV column(s) holding the text, comma-separated (joined).") var textColumn: String?
    @Option(name: .customLong("id-column"), help: "CSV column holding the report id.") var idColumn: String?
    @Option(name: .customLong("text-field"), help: "JSONL field(s) holding the text, comma-separated (joined).") var textField: String?
    @Option(name: .customLong("id-field"), help: "JSONL field holding the report id.") var idField: String?

    func reader(_ inputs: [String], deferParsing: Bool = false) throws -> CorpusReader {
        guard let f = InputFormat(rawValue: inputFormat) else {
            throw ValidationError("--input-format must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var o = CorpusOptions()
        o.textColumns = textColumn?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        o.idColumn = idColumn
        o.textFields = textField?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        o.idField = idField
        o.deferParsing = deferParsing
        return CorpusReader(paths: inputs, format: f, options: o)
    }
}

/// The bad records of a run: each on stderr and, with `--errors FILE`, as a JSONL line in that file. A failed write
/// to the file is kept (`failure`) and said at the end; the records still go to stderr.
final class ErrorLog {
    var fd: Int32 = -1
    var count = 0
    var failure: HilumError?
    init(path: String?) throws(HilumError) {
        if let path { fd = try openOutput(path) }
    }
    deinit { if fd >= 0 { close(fd) } }
    func report(_ e: CorpusError) {
        count += 1
        eprint("hilum: \(e.source): record \(e.row): \(e.error.code): \(e.error.message)")
        guard fd >= 0, failure == nil else { return }
        var w = JSONWriter()
        w.value(.object([("source", .string(e.source)), ("row", .number(Double(e.row))), ("code", .string(e.error.code)), ("message", .string(e.error.message))]))
        w.byte(0x0A)
        do { try writeAll(w.bytes, fd) } catch { failure = error }
    }
}

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "label",
        abstract: "Weak labels for a corpus: CheXpert-14, ChestX-ray14 and PadChest from one extraction, on all cores.")
    @OptionGroup var ont: OntologyOption
    @OptionGroup var corpus: CorpusOptionGroup
    @Option(help: "chexpert, chestxray14, padchest or all.") var scheme: String = "chexpert"
    @Option(help: "csv or jsonl (jsonl rows carry each label's evidence).") var format: String = "csv"
    @Option(help: "Uncertain mentions: keep (-1), ones or zeros.") var uncertain: String = "keep"
    @Flag(name: .customLong("roll-up"), help: "PadChest: also emit every ancestor of each label.") var rollUp = false
    @Option(help: "Worker threads (default: all cores).") var jobs: Int = 0
    @Option(help: "auto, en or es.") var lang: String = "auto"
    @Option(name: .shortAndLong, help: "Output file (default, or `-`: standard output).") var output: String?
    @Option(help: "Write bad records as JSONL to this file.") var errors: String?
    @Argument(help: "Inputs: files or folders (CheXpert CSV, CSV, JSONL, .txt folder, OpenI XML, any .gz).") var inputs: [String]

    func run() throws {
        guard let fmt = LabelJob.Format(rawValue: format) else { throw ValidationError("--format must be csv or jsonl") }
        guard let policy = UncertainPolicy(rawValue: uncertain) else { throw ValidationError("--uncertain must be keep, ones or zeros") }
        let o = try ont.load()
        let job: LabelJob
        do {
            job = try LabelJob(ontology: o, scheme: scheme, format: fmt, policy: policy, rollUp: rollUp, jobs: jobs, lang: try parseLanguage(lang))
        } catch let e as HilumError {
            eprint("hilum: \(e.code): \(e.message)")
            throw ExitCode(2)
        }
        var reader = try corpus.reader(inputs, deferParsing: true)
        let log = try ErrorLog(path: errors)
        var fd: Int32 = 1
        if let output, output != "-" { fd = try openOutput(output) }
        let tty = isatty(2) != 0
        do {
            let s = try job.run(&reader, write: { b throws(HilumError) in try writeAll(Array(b), fd) }, failure: log.report, progress: { s in
                if tty {
                    let rate = s.seconds > 0 ? Double(s.reports) / s.seconds : 0
                    let eta = s.secondsLeft.map { String(format: ", ETA %d:%02d", Int($0) / 60, Int($0) % 60) } ?? ""
                    FileHandle.standardError.write(Data(String(format: "\r%d reports, %.0f reports/s, %.1f MB/s%@   ", s.reports, rate,
                                                               Double(s.bytes) / 1e6 / max(s.seconds, 1e-9), eta).utf8))
                }
            })
            if tty { eprint("") }
            eprint(String(format: "hilum: labelled %d reports (%d failed) in %.2f s: %.0f reports/s, %.1f MB/s", s.reports, s.failed, s.seconds,
                          Double(s.reports) / max(s.seconds, 1e-9), Double(s.bytes) / 1e6 / max(s.seconds, 1e-9)))
            if fd != 1 { close(fd) }
            if let f = log.failure { eprint("hilum: \(f.code): the errors file: \(f.message)"); throw ExitCode(1) }
            if s.failed > 0 { throw ExitCode(1) }
        }
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Per-label precision, recall, F1 and support, micro and macro, confusion of 1/0/-1/blank: gold CSV vs predicted CSV (or label JSONL).",
        subcommands: [EvalLabels.self, EvalAssert.self], defaultSubcommand: EvalLabels.self)
}

/// Negation (and uncertainty) of named targets against a gold TSV such as the NegEx test set.
struct EvalAssert: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assert",
        abstract: "Negation accuracy, precision, recall and F1 of `assert` on a TSV of sentence, target and gold label (NegEx layout).")
    @OptionGroup var ont: OntologyOption
    @Option(help: "Column of the sentence.") var textColumn = "sentence"
    @Option(help: "Column of the target phrase.") var targetColumn = "target"
    @Option(help: "Column of the gold label.") var labelColumn = "negation"
    @Option(help: "Gold value meaning negated.") var negatedValue = "Negated"
    @Option(help: "en, es or auto.") var lang = "en"
    @Option(help: "Print this many disagreements.") var show = 0
    @Argument(help: "The TSV file.") var file: String

    func run() throws {
        let o = try ont.load()
        let analyzer = Analyzer(ontology: o)
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            eprint("hilum: input.not_found: cannot read \(file)"); throw ExitCode(1)
        }
        var lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard !lines.isEmpty else { throw ValidationError("empty file") }
        let header = lines.removeFirst()
        guard let ti = header.firstIndex(of: textColumn), let gi = header.firstIndex(of: targetColumn), let li = header.firstIndex(of: labelColumn) else {
            throw ValidationError("the header must name \(textColumn), \(targetColumn) and \(labelColumn)")
        }
        let language = try parseLanguage(lang)
        var tp = 0, fp = 0, fn = 0, tn = 0, notFound = 0, shown = 0
        for row in lines where row.count > max(ti, gi, li) {
            let gold = row[li].trimmingCharacters(in: .whitespaces).lowercased() == negatedValue.lowercased()
            let (_, r) = analyzer.assert(row[ti], targets: [row[gi]], lang: language)
            if r.first?.span == nil { notFound += 1 }
            let pred = r.first?.assertion == .absent
            switch (gold, pred) {
            case (true, true): tp += 1
            case (false, true): fp += 1
            case (true, false): fn += 1
            case (false, false): tn += 1
            }
            if gold != pred && shown < show {
                shown += 1
                print("gold \(gold ? "negated" : "affirmed") target '\(row[gi])' evidence \(r.first?.evidence.map(\.rule) ?? []) | \(row[ti].prefix(200))")
            }
        }
        let p = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0, r = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
        let f = p + r > 0 ? 2 * p * r / (p + r) : 0
        let acc = Double(tp + tn) / Double(max(1, tp + tn + fp + fn))
        print(String(format: "negation: accuracy %.3f  precision %.3f  recall %.3f  F1 %.3f  (%d rows, %d targets not found)", acc, p, r, f, tp + tn + fp + fn, notFound))
    }
}

struct EvalLabels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "labels",
        abstract: "Per-label precision, recall, F1 and support, micro and macro, confusion of 1/0/-1/blank: gold CSV vs predicted CSV (or label JSONL).")
    @Option(help: "Gold labels CSV.") var gold: String
    @Option(help: "Predicted labels CSV, or the JSONL of `hilum label --format jsonl`.") var predicted: String
    @Option(name: .customLong("gold-id-column"), help: "Id column of the gold file.") var goldID: String?
    @Option(name: .customLong("predicted-id-column"), help: "Id column of the predicted file.") var predID: String?
    @Option(name: .customLong("strip-id-prefix"), help: "Remove this prefix from gold ids (e.g. CXR).") var strip: String?
    @Option(help: "Scheme to read from a JSONL prediction file.") var scheme: String?
    @Option(help: "keep, ones or zeros.") var uncertain: String = "keep"
    @Option(help: "Only these labels (comma-separated).") var labels: String?
    @Option(help: "Write each disagreement (id, label, gold, predicted, evidence) as JSONL here.") var disagreements: String?
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        guard let policy = UncertainPolicy(rawValue: uncertain) else { throw ValidationError("--uncertain must be keep, ones or zeros") }
        do {
            let g = try Evaluation.readTable(gold, idColumn: goldID, stripPrefix: strip, scheme: nil)
            let p = try Evaluation.readTable(predicted, idColumn: predID, stripPrefix: nil, scheme: scheme)
            let e = Evaluation.compare(gold: g, predicted: p, policy: policy, labels: labels?.split(separator: ",").map(String.init))
            if e.labels.isEmpty { eprint("hilum: eval.no_common_labels: gold and predicted share no label column"); throw ExitCode(1) }
            if json { print(e.json().serialized()) } else { print(e.table(), terminator: "") }
            if let disagreements {
                let evidence = predicted.hasSuffix(".jsonl") ? Self.evidence(predicted) : [:]
                var out = ""
                for d in e.disagreements {
                    var w = JSONWriter()
                    w.value(.object([("id", .string(d.id)), ("label", .string(d.label)), ("gold", .string(d.gold)),
                                     ("predicted", .string(d.predicted)), ("evidence", evidence[d.id]?[d.label] ?? .array([]))]))
                    out += w.string + "\n"
                }
                try writeOut(Array(out.utf8), to: disagreements)
            }
        }
    }

    /// id → normalized label → evidence array, from a label JSONL file.
    static func evidence(_ path: String) -> [String: [String: JSONValue]] {
        guard let d = FileManager.default.contents(atPath: path), let text = String(data: d, encoding: .utf8) else { return [:] }
        var out: [String: [String: JSONValue]] = [:]
        for line in text.split(separator: "\n") {
            guard let v = try? JSONParser().parse(String(line)), let id = v["id"]?.string, case .object(let schemes)? = v["evidence"] else { continue }
            for (_, labels) in schemes {
                if case .object(let kv) = labels {
                    for (k, x) in kv { out[id, default: [:]][k.lowercased().replacingOccurrences(of: "_", with: " ")] = x }
                }
            }
        }
        return out
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats",
        abstract: "A nutrition label of a corpus: label prevalence, languages, sections, lengths, co-occurring labels (JSON and HTML).")
    @OptionGroup var ont: OntologyOption
    @OptionGroup var corpus: CorpusOptionGroup
    @Option(help: "Scheme: chexpert, chestxray14 or padchest.") var scheme: String = "chexpert"
    @Option(help: "Write the HTML page here.") var html: String?
    @Option(help: "Worker threads (default: all cores).") var jobs: Int = 0
    @Argument(help: "Inputs.") var inputs: [String]

    func run() throws {
        let o = try ont.load()
        let labeler = Labeler(ontology: o)
        guard let s = labeler.scheme(scheme) else { throw ValidationError("unknown scheme \(scheme)") }
        var ignored = Set(s.noFindingIgnores.map { s.labels[$0] })
        if let nf = s.noFinding { ignored.insert(s.labels[nf]) }
        var stats = CorpusStats(scheme: scheme, labels: s.fromConcepts ? [] : s.labels, notFindings: ignored)
        var reader = try corpus.reader(inputs)
        do {
            try Stats.collect(&reader, into: &stats, analyzer: Analyzer(ontology: o), labeler: labeler,
                              jobs: jobs > 0 ? jobs : ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            eprint("hilum: \(error.code): \(error.message)")
            throw ExitCode(1)
        }
        print(stats.json().serialized())
        if let html {
            try writeOut(Array(stats.html(title: "Hilum corpus summary: \(inputs.joined(separator: ", "))").utf8), to: html)
        }
    }

    /// Reads the corpus in batches, analyzes and labels each batch on all cores, adds it to `stats`.
    static func collect(_ reader: inout CorpusReader, into stats: inout CorpusStats, analyzer: Analyzer, labeler: Labeler,
                        jobs: Int) throws(HilumError) {
        var batch: [CorpusRecord] = []
        var done = false
        while !done {
            batch.removeAll(keepingCapacity: true)
            while batch.count < 512 {
                guard let item = try reader.next() else { done = true; break }
                switch item.resolved() {
                case .record(let r): batch.append(r)
                case .failure(let e):
                    stats.failed += 1
                    eprint("hilum: \(e.source): record \(e.row): \(e.error.code): \(e.error.message)")
                case .deferred: break
                }
            }
            let rs = ParallelMap.map(batch, jobs: jobs) { rec -> AnalyzedReport in
                var r = analyzer.analyze(rec.text, lang: rec.lang, id: rec.id)
                labeler.apply(&r)
                return r
            }
            for r in rs { stats.add(r) }
        }
    }
}
