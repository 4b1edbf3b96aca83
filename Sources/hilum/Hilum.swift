import ArgumentParser
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumLabels
import HilumService
import CHilumIO

@main
struct Hilum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hilum",
        abstract: "Chest X-ray report text (English and Spanish) to structured findings, weak labels and anatomy.",
        version: Service.version,
        subcommands: [Analyze.self, Assert.self, Stdio.self, Label.self, Eval.self, Stats.self, SceneCommand.self, GroundCommand.self, CompareCommand.self, DB.self, Serve.self, OntologyCommand.self])

    /// Exit codes of the CLI contract (DESIGN §5): 0 ok, 1 input errors reported, 2 usage.
    /// ArgumentParser reports usage and validation errors as 64; they are mapped to 2 here.
    /// What `print` wrote went through the C stdio buffer: a write that failed there (a full disk) is an error too,
    /// not a silent short output (exit 1 with `output.write_failed`).
    static func finishStandardOutput() {
        if hilum_stdout_finish() != 0 {
            let reason = String(cString: strerror(errno))
            FileHandle.standardError.write(Data("hilum: output.write_failed: cannot write the output: \(reason)\n".utf8))
            Foundation.exit(1)
        }
    }

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            finishStandardOutput()
        } catch let e as HilumError {
            // Every structured error that reaches the top is an input error: message on stderr, exit 1.
            FileHandle.standardError.write(Data("hilum: \(e.code): \(e.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // `--help`, `--version`, `help <command>`: the text on standard output, checked like any output (into a
                // full output it is exit 1 with output.write_failed, not 0).
                let message = fullMessage(for: error)
                if !message.isEmpty { print(message) }
                finishStandardOutput()
                Foundation.exit(0)
            }
            if code == .validationFailure {
                let message = fullMessage(for: error)
                if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct OntologyOption: ParsableArguments {
    @Option(name: .long, help: "The ontology folder (default: $HILUM_ONTOLOGY, ./Ontology, or the one beside the binary).")
    var ontology: String?

    func load() throws -> Ontology {
        let root = ontology.map { URL(fileURLWithPath: $0) } ?? Ontology.defaultRoot()
        do {
            return try Ontology.load(from: root)
        } catch {
            FileHandle.standardError.write(Data("hilum: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

func parseLanguage(_ s: String) throws -> Language? {
    if s == "auto" { return nil }
    guard let l = Language(rawValue: s) else { throw ValidationError("--lang must be auto, en or es") }
    return l
}

func eprint(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    guard let d = FileManager.default.contents(atPath: path) else {
        eprint("hilum: input.not_found: cannot read \(path)")
        throw ExitCode(1)
    }
    return [UInt8](d)
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "analyze",
        abstract: "Print the analyze result of a report (a text file), or of each line of a JSONL file ({\"id\", \"text\", \"lang\"?}).")
    @OptionGroup var ont: OntologyOption
    @Argument(help: "A text file, a JSONL file, or - for standard input.") var input: String = "-"
    @Option(help: "auto, en or es") var lang: String = "auto"
    @Flag(help: "Print a human-readable view: the text with findings marked and the rules that decided them.") var explain = false
    @Option(help: "Uncertainty policy for labels: keep, ones, zeros.") var uncertain: String = "keep"

    @Option(help: "Worker threads for JSONL input (default: all cores).") var jobs: Int = 0

    func run() throws {
        let o = try ont.load()
        let service = Service(ontology: o)
        let language = try parseLanguage(lang)
        guard let policy = UncertainPolicy(rawValue: uncertain) else { throw ValidationError("--uncertain must be keep, ones or zeros") }
        let explain = self.explain
        var stream: LineStream
        do {
            stream = try LineStream(path: input)
        } catch {
            eprint("hilum: \(error.code): \(error.message)")
            throw ExitCode(1)
        }
        let isJSONL = (input.hasSuffix(".jsonl") || input.hasSuffix(".ndjson") || input.hasSuffix(".jsonl.gz"))
            || stream.head.first == UInt8(ascii: "{")
        var out = FileOutput()
        /// One report's output: its result (labels applied) as a JSON line, or the explain view.
        /// (Written into the caller's writer: a batch's results go into one buffer, copied once when the batch is done.)
        @Sendable func render(_ r: consuming AnalyzedReport, _ text: String, into w: inout JSONWriter) {
            // Moved, not copied: a copy would make `apply` copy the findings array to write their labels.
            var r = consume r
            service.labeler.apply(&r, policy: policy)
            if explain { w.raw(utf8: Explain.render(r, text: text)); return }
            r.writeJSON(to: &w); w.byte(0x0A)
        }
        guard isJSONL else {
            let bytes = try readAll(&stream)
            let text = String(decoding: bytes, as: UTF8.self)
            var w = JSONWriter()
            render(service.analyzer.analyze(bytes: bytes, lang: language, id: input == "-" ? nil : (input as NSString).lastPathComponent), text, into: &w)
            out.write(w.bytes)
            try out.finish()
            return
        }
        // JSONL: read in batches, analyzed on `jobs` threads, written in input order; memory stays flat whatever
        // the file size. A bad line gives an error line in its place (and on stderr) and does not stop the others.
        struct Batch: Sendable { var lines: [(Int, [UInt8]?)] }
        struct Done: Sendable { var bytes: [UInt8] = []; var errors: [String] = [] }
        let name = input
        let pipeline = OrderedPipeline<Batch, Done>(jobs: jobs > 0 ? jobs : ProcessInfo.processInfo.activeProcessorCount) { batch in
            var d = Done()
            var w = JSONWriter()
            for (lineNo, line) in batch.lines {
                do throws(HilumError) {
                    guard let line else { throw HilumError("input.record_too_large", "line exceeds the limit of \(16 << 20) bytes") }
                    guard let s = UTF8Bytes.string(line) else { throw HilumError("input.invalid_utf8", "line is not valid UTF-8") }
                    let v = try JSONParser().parse(s)
                    guard let text = v["text"]?.string else { throw HilumError("input.missing_field", "no string field 'text'") }
                    // A line's `lang` ("auto": the command's --lang).
                    var l = language
                    if let code = v["lang"]?.string, code != "auto" {
                        guard let x = Language(rawValue: code) else { throw HilumError("input.bad_field", "lang must be auto, en or es") }
                        l = x
                    }
                    let id = v["id"]?.string ?? v["id"]?.int.map(String.init) ?? String(lineNo)
                    render(service.analyzer.analyze(text, lang: l, id: id), text, into: &w)
                } catch {
                    d.errors.append("hilum: \(name):\(lineNo): \(error.code): \(error.message)")
                    w.value(.object([("line", .number(Double(lineNo))), ("error", .object([("code", .string(error.code)), ("message", .string(error.message))]))]))
                    w.byte(0x0A)
                }
            }
            d.bytes = w.bytes
            return d
        }
        var failed = false
        func emit(_ d: Done) {
            for e in d.errors { eprint(e) }
            if !d.errors.isEmpty { failed = true }
            out.write(d.bytes)
        }
        var batch = Batch(lines: [])
        var batchBytes = 0
        var lineNo = 0
        do {
            // (A failed write ends the reading: what follows could not be written.)
            while out.failure == nil, let l = try stream.next() {
                lineNo += 1
                switch l {
                case .line(let bytes):
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                    batch.lines.append((lineNo, bytes))
                    batchBytes += bytes.count
                case .tooLong:
                    batch.lines.append((lineNo, nil))
                }
                if batch.lines.count >= 64 || batchBytes >= 1 << 20 {
                    pipeline.submit(batch, emit: emit)
                    batch = Batch(lines: [])
                    batchBytes = 0
                }
            }
        } catch {
            // An input that cannot be read on: what was read is still written, in order.
            pipeline.submit(batch, emit: emit)
            pipeline.finish(emit: emit)
            out.flush()
            if let f = out.failure { eprint("hilum: \(f.code): \(f.message)") }
            eprint("hilum: \(error.code): \(error.message)")
            throw ExitCode(1)
        }
        pipeline.submit(batch, emit: emit)
        pipeline.finish(emit: emit)
        try out.finish()
        if failed { throw ExitCode(1) }
    }

    func readAll(_ stream: inout LineStream) throws -> [UInt8] {
        do { return try stream.readAll() } catch {
            eprint("hilum: \(error.code): \(error.message)")
            throw ExitCode(1)
        }
    }
}

struct Assert: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assert", abstract: "ConText on named phrases: is each target present, absent or uncertain in the text?")
    @OptionGroup var ont: OntologyOption
    @Option(name: .customLong("target"), help: "A phrase to assert (repeatable).") var targets: [String] = []
    @Option(help: "auto, en or es") var lang: String = "auto"
    @Argument(help: "The text.") var text: String

    func run() throws {
        guard !targets.isEmpty else { throw ValidationError("give at least one --target") }
        let o = try ont.load()
        let analyzer = Analyzer(ontology: o)
        let (language, results) = analyzer.assert(text, targets: targets, lang: try parseLanguage(lang))
        var w = JSONWriter()
        w.raw("{"); w.key("language"); w.string(language.rawValue); w.comma(); w.key("targets"); w.raw("[")
        for (i, r) in results.enumerated() { if i > 0 { w.comma() }; r.writeJSON(to: &w) }
        w.raw("]}\n")
        FileHandle.standardOutput.write(Data(w.bytes))
    }
}

struct Stdio: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stdio",
        abstract: "NDJSON session: one {\"id\",\"op\",\"params\"} request per line in, one response line out, in order.")
    @OptionGroup var ont: OntologyOption
    @Option(help: "Worker threads (default: all cores).") var jobs: Int = 0

    func run() throws {
        let o = try ont.load()
        signal(SIGPIPE, SIG_IGN)
        try NDJSONSession(service: Service(ontology: o), jobs: jobs).run()
    }
}

/// Buffered stdout (or file) writer.
/// The first failed write is kept in `failure` and later writes are dropped: the command checks it and exits non-zero
/// with the error, instead of ending as if a short output were whole.
struct FileOutput {
    var fd: Int32 = 1
    var buffer: [UInt8] = []
    var failure: HilumError?
    init(fd: Int32 = 1) { self.fd = fd; buffer.reserveCapacity(1 << 20) }
    mutating func write(_ b: [UInt8]) {
        guard failure == nil else { return }
        // A large chunk (a batch of results) goes out as it is, after what is buffered: no copy into the buffer.
        if b.count >= 1 << 16 {
            if !buffer.isEmpty { flush() }
            send(b)
            return
        }
        buffer.append(contentsOf: b)
        if buffer.count >= 1 << 20 { flush() }
    }
    mutating func write(_ s: String) { write(Array(s.utf8)) }
    mutating func flush() {
        send(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
    private mutating func send(_ b: [UInt8]) {
        guard failure == nil else { return }
        do { try writeAll(b, fd) } catch { failure = error }
    }
    /// Flushes, then throws the first failed write, if any.
    mutating func finish() throws(HilumError) {
        flush()
        if let failure { throw failure }
    }
}
