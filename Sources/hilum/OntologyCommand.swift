import ArgumentParser
import Foundation
import HilumCore
import HilumOntology
import HilumNLP
import HilumLabels
import HilumService

struct OntologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ontology", abstract: "Check, count and show the ontology.",
        subcommands: [Check.self, StatsCmd.self, Show.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate every file; print all problems as file:line: message. Exit 1 if any.")
        @OptionGroup var ont: OntologyOption
        @Flag(help: "Also run every cue rule's example and report the ones whose result differs from 'expect'.") var examples = false

        func run() throws {
            let root = ont.ontology.map { URL(fileURLWithPath: $0) } ?? Ontology.defaultRoot()
            let (o, problems) = Ontology.loadCollecting(from: root)
            var all = problems
            if examples && problems.isEmpty { all += RuleExamples.failures(o) }
            for p in all { print(p.description) }
            if !all.isEmpty {
                eprint("hilum: \(all.count) problem(s) in \(root.path)")
                throw ExitCode(1)
            }
            print("ok: \(o.concepts.count) concepts, \(o.terms.count) terms, \(o.cues.count) cue rules, \(o.regions.count) regions, \(o.schemes.count) schemes; \(o.version); loaded in \(String(format: "%.1f", o.loadSeconds * 1000)) ms")
        }
    }

    struct StatsCmd: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Counts by kind and language.")
        @OptionGroup var ont: OntologyOption
        @Flag(help: "JSON output.") var json = false

        func run() throws {
            let o = try ont.load()
            let v = OntologyStats.compute(o)
            if json {
                print(v.serialized())
            } else {
                print(OntologyStats.text(v))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a concept by CUI, term or PadChest label: names, synonyms, parents, children, regions, schemes.")
        @OptionGroup var ont: OntologyOption
        @Argument(help: "A CUI, a term in English or Spanish, or a PadChest label.") var query: String

        func run() throws {
            let o = try ont.load()
            let service = Service(ontology: o)
            let found = o.lookup(query)
            if found.isEmpty {
                eprint("hilum: ontology.not_found: nothing matches '\(query)'")
                throw ExitCode(1)
            }
            for c in found {
                var w = JSONWriter()
                w.value(service.describe(c))
                print(w.string)
            }
        }
    }
}

enum OntologyStats {
    static func compute(_ o: Ontology) -> JSONValue {
        var byKind: [String: Int] = [:]
        var withCUI = 0, local = 0, padchestByKind: [String: Int] = [:]
        var bothLanguages = 0
        for c in o.concepts.values {
            byKind[c.kind.rawValue, default: 0] += 1
            if c.id.hasPrefix("HL:") { local += 1 } else { withCUI += 1 }
            if c.padchest != nil { padchestByKind[c.kind.rawValue, default: 0] += 1 }
            if !c.preferredEN.isEmpty && !c.preferredES.isEmpty { bothLanguages += 1 }
        }
        var termsByLang: [String: Int] = [:]
        var termsByKind: [String: Int] = [:]
        for t in o.terms {
            termsByLang[t.language.rawValue, default: 0] += 1
            let kind = t.concept.flatMap { o.concepts[$0]?.kind.rawValue } ?? "blocking"
            termsByKind["\(t.language.rawValue).\(kind)", default: 0] += 1
        }
        var cues: [String: Int] = [:]
        for c in o.cues { cues["\(c.language.rawValue).\(c.category.family)", default: 0] += 1 }
        var rels: [String: Int] = [:]
        for r in o.relations { rels[r.rel.rawValue, default: 0] += 1 }
        func obj(_ d: [String: Int]) -> JSONValue { .object(d.keys.sorted().map { ($0, .number(Double(d[$0] ?? 0))) }) }
        let imagenome = o.regions.values.filter { $0.source == "imagenome" }.count
        func n(_ x: Int) -> JSONValue { .number(Double(x)) }
        var out: [(String, JSONValue)] = []
        out.append(("ontology_version", .string(o.version)))
        out.append(("concepts", obj(byKind)))
        out.append(("concepts_total", n(o.concepts.count)))
        out.append(("concepts_with_cui", n(withCUI)))
        out.append(("concepts_local_id", n(local)))
        out.append(("concepts_with_en_and_es", n(bothLanguages)))
        out.append(("padchest_labels", obj(padchestByKind)))
        out.append(("terms", obj(termsByLang)))
        out.append(("terms_by_kind", obj(termsByKind)))
        out.append(("relations", obj(rels)))
        out.append(("cue_rules", obj(cues)))
        out.append(("section_rules", n(o.sections.count)))
        out.append(("normality_rules", n(o.normality.count)))
        out.append(("regions", n(o.regions.count)))
        out.append(("regions_imagenome", n(imagenome)))
        out.append(("defaults", n(o.defaults.values.reduce(0) { $0 + $1.count })))
        var schemes: [(String, JSONValue)] = []
        for k in o.schemes.keys.sorted() { schemes.append((k, n(o.schemes[k]?.labels.count ?? 0))) }
        out.append(("schemes", .object(schemes)))
        out.append(("mask_maps", n(o.masks.count)))
        out.append(("lexicon_keys", n(o.lexicon.keys.count)))
        out.append(("load_ms", .number((o.loadSeconds * 1000).rounded())))
        return .object(out)
    }

    static func text(_ v: JSONValue) -> String {
        guard case .object(let o) = v else { return "" }
        return o.map { "\($0.0): \($0.1.serialized())" }.joined(separator: "\n")
    }
}

/// Runs the example of every cue rule through `assert` and reports those that do not give `expect`.
enum RuleExamples {
    static func failures(_ o: Ontology) -> [OntologyProblem] {
        let a = Analyzer(ontology: o)
        var out: [OntologyProblem] = []
        for c in o.cues {
            let (_, rs) = a.assert(c.example, targets: [c.target], lang: c.language)
            guard let r = rs.first else { continue }
            let got = r.contextValues
            if !got.contains(c.expect) {
                out.append(OntologyProblem(file: "cues/\(c.language.rawValue).json", line: 0,
                    message: "rule \(c.id): example \"\(c.example)\" target \"\(c.target)\" expected \(c.expect), got \(got.joined(separator: "/"))"))
            }
        }
        return out
    }
}
