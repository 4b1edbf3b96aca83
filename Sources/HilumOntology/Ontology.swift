public import HilumCore
public import Foundation

/// The loaded, validated and compiled ontology. Immutable; share it freely across threads.
public struct Ontology: Sendable {
    public internal(set) var concepts: [ConceptID: Concept] = [:]
    /// Concept ids in file order.
    public internal(set) var conceptOrder: [ConceptID] = []
    public internal(set) var relations: [Relation] = []
    public internal(set) var parents: [ConceptID: [ConceptID]] = [:]
    public internal(set) var children: [ConceptID: [ConceptID]] = [:]
    public internal(set) var terms: [Term] = []
    public internal(set) var cues: [CueRule] = []
    public internal(set) var sections: [SectionRule] = []
    public internal(set) var normality: [NormalityRule] = []
    public internal(set) var regions: [String: Region] = [:]
    public internal(set) var regionOrder: [String] = []
    public internal(set) var anatomyRegions: [ConceptID: [String]] = [:]
    public internal(set) var defaults: [ConceptID: [DefaultSite]] = [:]
    public internal(set) var refinements: [Refinement] = []
    public internal(set) var schemes: [String: LabelScheme] = [:]
    public internal(set) var masks: [String: [Int: String]] = [:]
    /// Class names of segmentation datasets (normalized: lower case, `_`/`-` as spaces) → region (`masks/aliases.tsv`).
    public internal(set) var maskAliases: [String: String] = [:]
    /// `scene/derived.tsv`: the region each geometric derivation rule reads or produces, by side ("" when unsided).
    public internal(set) var derivedRegions: [String: [String: String]] = [:]
    /// Anatomy concepts that only state a side ("left", "derecho"): a finding located only by them sits in its
    /// default site on that side (`side-locations.tsv`).
    public internal(set) var sideOnlyLocations: Set<ConceptID> = []
    /// Anatomy concepts that also locate a finding when their words are inside the finding's own term ("apical
    /// bullae", "tortuous thoracic aorta", "hipoventilación bibasal"): `inner-sites.tsv`.
    public internal(set) var innerSites: Set<ConceptID> = []
    /// Chest ImaGenome attribute (category, name) of a concept (`imagenome/attributes.tsv`).
    public internal(set) var imagenomeAttributes: [ConceptID: ImaGenomeAttribute] = [:]
    /// `imagenome/kinds.tsv`: the ImaGenome category of a finding without an attribute row, by concept kind.
    public internal(set) var imagenomeKindCategories: [ConceptKind: String] = [:]
    public internal(set) var abbreviations: [Language: Set<[UInt8]>] = [:]
    public internal(set) var languageMarkers: [Language: Set<[UInt8]>] = [:]
    /// Degree words a term may have inside it without breaking it (`modifiers/*.txt`, keys): "heart remains
    /// moderately enlarged" is the term "heart remains enlarged".
    public internal(set) var transparentWords: [Language: Set<[UInt8]>] = [:]
    /// `spelling/<lang>.txt`: real words one edit from a term word, never corrected (keys).
    public internal(set) var keptSpellings: [Language: Set<[UInt8]>] = [:]
    /// Concept by exact PadChest label string.
    public internal(set) var byPadchest: [String: ConceptID] = [:]
    /// `sha256:<hex>` of every file, in load order.
    public internal(set) var version: String = ""
    public internal(set) var lexicon = Lexicon()
    /// Problems that do not stop loading (warnings); `check` reports them with the errors.
    public internal(set) var warnings: [OntologyProblem] = []
    var regionByKey: [String: String] = [:]
    /// Where each relation row was read (`child\tparent` → file, line), for messages.
    var relationSource: [String: (String, Int)] = [:]
    /// Seconds spent loading, validating and compiling.
    public internal(set) var loadSeconds: Double = 0

    init() {}

    /// An ontology with nothing in it (what an idle analysis buffer points at).
    public static let empty = Ontology()

    /// Loads every file under `root` (the `Ontology/` folder), validates it, and compiles the lexicon.
    /// Throws `ontology.invalid` with every problem as `file:line: message`.
    public static func load(from root: URL) throws(HilumError) -> Ontology {
        let (o, problems) = loadCollecting(from: root)
        if !problems.isEmpty { throw HilumError.ontology(problems) }
        return o
    }

    /// Loads and returns the ontology with every problem found (an empty list means valid).
    public static func loadCollecting(from root: URL) -> (Ontology, [OntologyProblem]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            return (Ontology(), [OntologyProblem(file: root.path, line: 0, message: "ontology folder not found")])
        }
        return build(SourceReader(root: root))
    }

    /// Loads an ontology from files held in memory, keyed by their path relative to the ontology folder
    /// (`concepts/findings.tsv`, `cues/en.json`, …): the same validation and compilation as `loadCollecting(from:)`.
    public static func loadCollecting(files: [String: Data]) -> (Ontology, [OntologyProblem]) {
        build(SourceReader(files: files))
    }

    /// `HILUM_TRACE_LOAD` set: print the time of each loading step (read once per process).
    static let traceLoad = ProcessInfo.processInfo.environment["HILUM_TRACE_LOAD"] != nil

    static func build(_ reader: SourceReader) -> (Ontology, [OntologyProblem]) {
        let t0 = Date()
        var r = reader
        var o = Ontology()
        let trace = Ontology.traceLoad
        var last = Date()
        func mark(_ what: String) {
            if trace {
                FileHandle.standardError.write(Data(String(format: "load %@: %.1f ms\n", what, Date().timeIntervalSince(last) * 1000).utf8))
                last = Date()
            }
        }
        o.loadConcepts(&r); mark("concepts")
        o.loadRelations(&r); mark("relations")
        o.loadTerms(&r); mark("terms")
        o.loadCues(&r); mark("cues")
        o.loadSections(&r)
        o.loadNormality(&r)
        o.loadWordLists(&r)
        o.loadRegions(&r)
        o.loadDefaults(&r)
        o.loadRefinements(&r)
        o.loadSchemes(&r)
        o.loadMasks(&r)
        o.loadSceneTables(&r); mark("rest")
        o.validateHierarchy(&r); mark("hierarchy")
        // The version stamp (a SHA-256 of every file read) is computed on another thread while the lexicon compiles:
        // both only read what was loaded.
        final class Digest: @unchecked Sendable { var hex = "" }
        let digest = Digest()
        let entries = r.hasher.entries
        let hashed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var sha = SHA256()
            for (path, data) in entries {
                sha.update(path.utf8)
                sha.update([0])
                sha.update(data)
            }
            digest.hex = sha.finalizeHex()
            hashed.signal()
        }
        o.lexicon = Lexicon.compile(o, problems: &r.problems); mark("compile")
        hashed.wait()
        o.version = "sha256:" + digest.hex
        mark("hash (waited for)")
        o.loadSeconds = Date().timeIntervalSince(t0)
        return (o, r.problems)
    }

    /// The default ontology folder: `$HILUM_ONTOLOGY`, else `Ontology/` in the current directory,
    /// else next to the executable's package (walking up from the binary).
    public static func defaultRoot() -> URL {
        if let env = ProcessInfo.processInfo.environment["HILUM_ONTOLOGY"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let fm = FileManager.default
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("Ontology")
        if fm.fileExists(atPath: cwd.appendingPathComponent("concepts").path) { return cwd }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let cand = dir.appendingPathComponent("Ontology")
            if fm.fileExists(atPath: cand.appendingPathComponent("concepts").path) { return cand }
            dir = dir.deletingLastPathComponent()
        }
        return cwd
    }

    // MARK: loading

    static let conceptColumns = ["id", "kind", "preferred_en", "preferred_es", "padchest", "alt_cuis", "laterality"]

    mutating func loadConcepts(_ r: inout SourceReader) {
        let files = r.files(in: "concepts", ext: "tsv")
        if files.isEmpty { r.problems.append(OntologyProblem(file: "concepts", line: 0, message: "no concept files")) }
        var where_: [ConceptID: String] = [:]
        for f in files {
            for row in r.tsv(f, columns: Ontology.conceptColumns) {
                let c = row.cells
                let loc = "\(f):\(row.line)"
                guard !c[0].isEmpty else { r.problems.append(.init(file: f, line: row.line, message: "empty id")); continue }
                guard let kind = ConceptKind(rawValue: c[1]) else {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown kind '\(c[1])'")); continue
                }
                if let prev = where_[c[0]] {
                    r.problems.append(.init(file: f, line: row.line, message: "duplicate concept id \(c[0]) (first at \(prev))"))
                    continue
                }
                if c[2].isEmpty { r.problems.append(.init(file: f, line: row.line, message: "concept \(c[0]) has no English name")) }
                if c[3].isEmpty, kind != .global {
                    r.problems.append(.init(file: f, line: row.line, message: "concept \(c[0]) (\(c[2])) has no Spanish name"))
                }
                var lat: Laterality? = nil
                let unsided = c[6] == "none"
                if unsided {
                    if kind == .anatomy || kind == .global {
                        r.problems.append(.init(file: f, line: row.line, message: "laterality 'none' is for findings and diagnoses"))
                    }
                } else if !c[6].isEmpty {
                    lat = Laterality(rawValue: c[6])
                    if lat == nil { r.problems.append(.init(file: f, line: row.line, message: "unknown laterality '\(c[6])'")) }
                }
                let pad = c[4].isEmpty ? nil : c[4]
                if let pad {
                    if let other = byPadchest[pad] {
                        r.problems.append(.init(file: f, line: row.line, message: "PadChest label '\(pad)' already belongs to \(other)"))
                    } else {
                        byPadchest[pad] = c[0]
                    }
                }
                where_[c[0]] = loc
                concepts[c[0]] = Concept(id: c[0], kind: kind, preferredEN: c[2], preferredES: c[3], padchest: pad,
                                         altCUIs: c[5].split(separator: "|").map(String.init), laterality: lat, unsided: unsided)
                conceptOrder.append(c[0])
            }
        }
    }

    mutating func loadRelations(_ r: inout SourceReader) {
        var seen = Set<String>()
        for f in r.files(in: "relations", ext: "tsv") {
            for row in r.tsv(f, columns: ["child", "rel", "parent", "source"]) {
                let c = row.cells
                guard let rel = RelationKind(rawValue: c[1]) else {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown relation '\(c[1])'")); continue
                }
                var ok = true
                for id in [c[0], c[2]] where concepts[id] == nil {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown concept \(id)")); ok = false
                }
                if c[0] == c[2] { r.problems.append(.init(file: f, line: row.line, message: "\(c[0]) is its own parent")); ok = false }
                guard ok else { continue }
                let key = c[0] + "\t" + c[2]
                if seen.contains(key) { continue }
                seen.insert(key)
                relationSource[key] = (f, row.line)
                relations.append(Relation(child: c[0], rel: rel, parent: c[2], source: c[3]))
                parents[c[0], default: []].append(c[2])
                children[c[2], default: []].append(c[0])
            }
        }
    }

    static func language(ofFile f: String) -> Language? {
        let name = (f as NSString).lastPathComponent
        if let lang = Language(rawValue: String(name.prefix(2))), name.count > 2 {
            let third = name[name.index(name.startIndex, offsetBy: 2)]
            if third == "." || third == "-" { return lang }
        }
        // anatomy-en.tsv: language after the last '-'
        let stem = (name as NSString).deletingPathExtension
        if let dash = stem.lastIndex(of: "-") { return Language(rawValue: String(stem[stem.index(after: dash)...])) }
        return nil
    }

    mutating func loadTerms(_ r: inout SourceReader) {
        for f in r.files(in: "terms", ext: "tsv") {
            guard let lang = Ontology.language(ofFile: f) else {
                r.problems.append(.init(file: f, line: 0, message: "cannot tell the language from the file name")); continue
            }
            for row in r.tsv(f, columns: ["concept", "term", "flags", "note"]) {
                let c = row.cells
                let concept: ConceptID? = c[0] == "-" ? nil : c[0]
                if let concept, concepts[concept] == nil {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown concept \(concept)")); continue
                }
                if c[1].isEmpty { r.problems.append(.init(file: f, line: row.line, message: "empty term")); continue }
                let flags: Set<String> = c[2].isEmpty ? [] : Set(c[2].split(separator: ",").map { trimSpaces($0) })
                for fl in flags where !["cs", "shared", "noabbrev"].contains(fl) {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown flag '\(fl)'"))
                }
                if flags.contains("shared") && c[3].isEmpty {
                    r.problems.append(.init(file: f, line: row.line, message: "a shared term needs a reason in the note column"))
                }
                terms.append(Term(concept: concept, language: lang, text: c[1], caseSensitive: flags.contains("cs"),
                                  shared: flags.contains("shared"), file: f, line: row.line))
            }
        }
    }

    struct CueFile {
        var language: String
        var rules: [RawCue]

        /// Reads a cue file with Hilum's own JSON parser (Foundation's decoder took half the time of loading the ontology).
        /// Unknown keys are ignored, as before; a missing or mistyped field is an error naming its path.
        init(json text: String) throws(CueFileError) {
            let v: JSONValue
            do { v = try JSONParser().parse(text) } catch { throw CueFileError(error.message + (error.location.map { " (\($0))" } ?? "")) }
            guard case .object(let top) = v else { throw CueFileError("the file is not a JSON object") }
            let o = Fields(top, path: "")
            language = try o.string("language")
            guard case .array(let rs)? = o.value("rules") else {
                throw CueFileError(o.value("rules") == nil ? "missing key 'rules'" : "wrong type at rules: expected an array")
            }
            var out: [RawCue] = []
            out.reserveCapacity(rs.count)
            for (i, r) in rs.enumerated() {
                guard case .object(let f) = r else { throw CueFileError("wrong type at rules.\(i): expected an object") }
                out.append(try RawCue(Fields(f, path: "rules.\(i).")))
            }
            rules = out
        }
    }
    struct CueFileError: Error { let message: String; init(_ m: String) { message = m } }

    /// The fields of one JSON object, read by name with their types checked (`null` reads as absent).
    struct Fields {
        let pairs: [(String, JSONValue)]
        let path: String
        init(_ pairs: [(String, JSONValue)], path: String) { self.pairs = pairs; self.path = path }

        func value(_ k: String) -> JSONValue? {
            for (key, v) in pairs where key == k { if case .null = v { return nil }; return v }
            return nil
        }
        func missing(_ k: String) -> CueFileError { CueFileError("missing key '\(k)' at \(path)\(k)") }
        func wrong(_ k: String, _ t: String) -> CueFileError { CueFileError("wrong type at \(path)\(k): expected \(t)") }
        func string(_ k: String) throws(CueFileError) -> String {
            guard let v = value(k) else { throw missing(k) }
            guard case .string(let s) = v else { throw wrong(k, "a string") }
            return s
        }
        func optString(_ k: String) throws(CueFileError) -> String? {
            guard let v = value(k) else { return nil }
            guard case .string(let s) = v else { throw wrong(k, "a string") }
            return s
        }
        func optBool(_ k: String) throws(CueFileError) -> Bool? {
            guard let v = value(k) else { return nil }
            guard case .bool(let b) = v else { throw wrong(k, "true or false") }
            return b
        }
        func int(_ k: String) throws(CueFileError) -> Int {
            guard let v = value(k) else { throw missing(k) }
            guard let n = v.int else { throw wrong(k, "an integer") }
            return n
        }
        func strings(_ k: String) throws(CueFileError) -> [String] {
            guard let v = value(k) else { throw missing(k) }
            guard case .array(let a) = v else { throw wrong(k, "an array of strings") }
            var out: [String] = []
            out.reserveCapacity(a.count)
            for x in a {
                guard case .string(let s) = x else { throw wrong(k, "an array of strings") }
                out.append(s)
            }
            return out
        }
    }

    struct RawCue {
        init(_ f: Fields) throws(CueFileError) {
            id = try f.string("id"); category = try f.string("category"); direction = try f.string("direction")
            scope = try f.int("scope"); patterns = try f.strings("patterns")
            assertion = try f.optString("assertion"); certainty = try f.optString("certainty")
            alternatives = try f.optBool("alternatives"); list = try f.optBool("list")
            comma_lists = try f.optBool("comma_lists"); opens_statement = try f.optBool("opens_statement")
            opens_list = try f.optBool("opens_list"); weak_side = try f.optBool("weak_side"); contrast = try f.optBool("contrast")
            example = try f.string("example"); target = try f.string("target"); expect = try f.string("expect")
        }
        var id: String
        var category: String
        var direction: String
        var scope: Int
        var patterns: [String]
        var assertion: String?
        var certainty: String?
        /// Coordinate rules: the findings it joins are alternatives ("or"), so a hedge on one covers the other.
        var alternatives: Bool?
        /// Coordinate rules: the conjunction ends a list ("A, B or C"), so a negation or hedge reaches over commas into it.
        var list: Bool?
        /// Negation and uncertainty rules: reach over a comma only into a list (see `CueRule.commaLists`).
        var comma_lists: Bool?
        /// Severity and change rules: after a comma, the modifier opens a new statement (see `CueRule.opensStatement`).
        var opens_statement: Bool?
        /// Negation and uncertainty rules: the cue introduces a list (see `CueRule.opensList`).
        var opens_list: Bool?
        /// Laterality rules: the side is implied, and gives way to a stated one (see `CueRule.weakSide`).
        var weak_side: Bool?
        /// Terminate rules: the terminator contrasts two statements (see `CueRule.contrast`).
        var contrast: Bool?
        var example: String
        var target: String
        var expect: String
    }

    mutating func loadCues(_ r: inout SourceReader) {
        var ids: [String: String] = [:]
        for f in r.files(in: "cues", ext: "json") {
            guard let text = r.text(f) else { continue }
            let file: CueFile
            do {
                file = try CueFile(json: text)
            } catch {
                r.problems.append(.init(file: f, line: 0, message: "invalid cue file: \(error.message)")); continue
            }
            guard let lang = Language(rawValue: file.language) else {
                r.problems.append(.init(file: f, line: 0, message: "unknown language '\(file.language)'")); continue
            }
            let lineIndex = Ontology.quotedValueLines(text, key: "id")
            func lineOf(_ id: String) -> Int { lineIndex[id] ?? 0 }
            for raw in file.rules {
                let line = lineOf(raw.id)
                if let prev = ids[raw.id] {
                    r.problems.append(.init(file: f, line: line, message: "duplicate rule id \(raw.id) (first in \(prev))")); continue
                }
                ids[raw.id] = f
                guard let cat = CueCategory(rawValue: raw.category) else {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): unknown category '\(raw.category)'")); continue
                }
                guard let dir = CueDirection(rawValue: raw.direction) else {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): unknown direction '\(raw.direction)'")); continue
                }
                if raw.patterns.isEmpty || raw.patterns.contains(where: { Normalizer.phraseKeys($0).isEmpty }) {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): empty pattern")); continue
                }
                var assertion: Assertion? = nil
                if let a = raw.assertion {
                    assertion = Assertion(rawValue: a)
                    if assertion == nil { r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): unknown assertion '\(a)'")) }
                }
                var certainty = Certainty.possible
                if let c = raw.certainty {
                    if let v = Certainty(rawValue: c), cat == .uncertainty {
                        certainty = v
                    } else {
                        r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): certainty '\(c)' needs category uncertainty and a value probable or possible"))
                    }
                }
                if raw.alternatives != nil, cat != .coordinate {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'alternatives' needs category coordinate"))
                }
                if raw.list != nil, cat != .coordinate {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'list' needs category coordinate"))
                }
                if raw.comma_lists != nil, cat != .negation && cat != .uncertainty {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'comma_lists' needs category negation or uncertainty"))
                }
                if raw.opens_statement != nil, cat.family != "severity" && cat.family != "change" {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'opens_statement' needs a severity or change category"))
                }
                if raw.opens_list != nil, cat != .negation && cat != .uncertainty || raw.comma_lists == true {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'opens_list' needs category negation or uncertainty, and no 'comma_lists'"))
                }
                if raw.weak_side != nil, cat.family != "laterality" {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'weak_side' needs a laterality category"))
                }
                if raw.contrast != nil, cat != .terminate {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): 'contrast' needs category terminate"))
                }
                if !raw.example.lowercased().contains(raw.target.lowercased()) || raw.target.isEmpty {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): target '\(raw.target)' is not in its example"))
                }
                if raw.scope < 0 || raw.scope > 200 {
                    r.problems.append(.init(file: f, line: line, message: "rule \(raw.id): scope must be 0...200"))
                }
                cues.append(CueRule(id: raw.id, language: lang, category: cat, direction: dir, scope: raw.scope,
                                    patterns: raw.patterns, assertion: assertion, certainty: certainty,
                                    alternatives: raw.alternatives ?? false, list: raw.list ?? false, commaLists: raw.comma_lists ?? false,
                                    opensStatement: raw.opens_statement ?? false, opensList: raw.opens_list ?? false,
                                    weakSide: raw.weak_side ?? false, contrast: raw.contrast ?? false, example: raw.example,
                                    target: raw.target, expect: raw.expect))
            }
        }
    }

    mutating func loadSections(_ r: inout SourceReader) {
        var ids = Set<String>()
        for f in r.files(in: "sections", ext: "tsv") {
            guard let lang = Ontology.language(ofFile: f) else {
                r.problems.append(.init(file: f, line: 0, message: "cannot tell the language from the file name")); continue
            }
            for row in r.tsv(f, columns: ["id", "kind", "header"]) {
                let c = row.cells
                guard let kind = SectionKind(rawValue: c[1]) else {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown section kind '\(c[1])'")); continue
                }
                if !ids.insert(c[0]).inserted {
                    r.problems.append(.init(file: f, line: row.line, message: "duplicate rule id \(c[0])")); continue
                }
                sections.append(SectionRule(id: c[0], language: lang, kind: kind, header: c[2]))
            }
        }
    }

    mutating func loadNormality(_ r: inout SourceReader) {
        var ids = Set<String>()
        for f in r.files(in: "normality", ext: "tsv") {
            guard let lang = Ontology.language(ofFile: f) else {
                r.problems.append(.init(file: f, line: 0, message: "cannot tell the language from the file name")); continue
            }
            for row in r.tsv(f, columns: ["id", "anchor", "denies", "example"]) {
                let c = row.cells
                if !ids.insert(c[0]).inserted {
                    r.problems.append(.init(file: f, line: row.line, message: "duplicate rule id \(c[0])")); continue
                }
                let denies = c[2].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                var ok = !denies.isEmpty
                for d in denies where concepts[d] == nil {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown concept \(d)")); ok = false
                }
                if ok {
                    normality.append(NormalityRule(id: c[0], language: lang, anchor: c[1], denies: denies, example: c[3]))
                }
            }
        }
    }

    mutating func loadWordLists(_ r: inout SourceReader) {
        for f in r.files(in: "abbreviations", ext: "txt") {
            guard let lang = Ontology.language(ofFile: f) else { continue }
            var set = Set<[UInt8]>()
            for (_, l) in r.lines(f) {
                // Keep the last word of the abbreviation, folded but not stemmed.
                var bytes = Array(l.utf8)
                var tokens: [Token] = []
                var folded: [UInt8] = []
                bytes.withUnsafeMutableBufferPointer { mp in
                    let p = UnsafeBufferPointer(mp)
                    Tokenizer.tokenize(p, into: &tokens)
                    if let last = tokens.last(where: { $0.kind == .word || $0.kind == .number }) {
                        Normalizer.fold(p, Int(last.byteStart), Int(last.byteEnd), into: &folded)
                    }
                }
                if !folded.isEmpty { set.insert(folded) }
            }
            abbreviations[lang, default: []].formUnion(set)
        }
        for f in r.files(in: "language", ext: "txt") {
            guard let lang = Ontology.language(ofFile: f) else { continue }
            var set = Set<[UInt8]>()
            for (_, l) in r.lines(f) {
                if let k = Normalizer.phraseKeys(l).first { set.insert(k) }
            }
            languageMarkers[lang, default: []].formUnion(set)
        }
        transparentWords = Ontology.oneWordLists(&r, folder: "modifiers", what: "a modifier")
        keptSpellings = Ontology.oneWordLists(&r, folder: "spelling", what: "a word kept as written")
    }

    /// The keys of the one-word-per-line lists of `folder/<lang>.txt`; a line of several words is a problem.
    static func oneWordLists(_ r: inout SourceReader, folder: String, what: String) -> [Language: Set<[UInt8]>] {
        var out: [Language: Set<[UInt8]>] = [:]
        for f in r.files(in: folder, ext: "txt") {
            guard let lang = Ontology.language(ofFile: f) else { continue }
            for (n, l) in r.lines(f) {
                let keys = Normalizer.phraseKeys(l)
                guard keys.count == 1, let k = keys.first else {
                    r.problems.append(.init(file: f, line: n, message: "\(what) is one word, not '\(l)'")); continue
                }
                out[lang, default: []].insert(k)
            }
        }
        return out
    }

    mutating func loadRegions(_ r: inout SourceReader) {
        let f = "regions.tsv"
        guard r.exists(f) else { return }
        let rows = r.tsv(f, columns: ["region", "source", "concept", "laterality", "parent", "boxed"])
        for row in rows {
            let c = row.cells
            if regions[c[0]] != nil {
                r.problems.append(.init(file: f, line: row.line, message: "duplicate region '\(c[0])'")); continue
            }
            if concepts[c[2]] == nil { r.problems.append(.init(file: f, line: row.line, message: "unknown concept \(c[2])")) }
            let lat = c[3].isEmpty ? nil : Laterality(rawValue: c[3])
            if !c[3].isEmpty && lat == nil { r.problems.append(.init(file: f, line: row.line, message: "unknown laterality '\(c[3])'")) }
            regions[c[0]] = Region(name: c[0], source: c[1], concept: c[2], laterality: lat,
                                   parent: c[4].isEmpty ? nil : c[4], boxed: c[5] == "yes")
            regionOrder.append(c[0])
        }
        for row in rows where !row.cells[4].isEmpty && regions[row.cells[4]] == nil {
            r.problems.append(.init(file: f, line: row.line, message: "unknown parent region '\(row.cells[4])'"))
        }
        let g = "anatomy-regions.tsv"
        guard r.exists(g) else { return }
        for row in r.tsv(g, columns: ["concept", "region"]) {
            let c = row.cells
            if concepts[c[0]] == nil { r.problems.append(.init(file: g, line: row.line, message: "unknown concept \(c[0])")); continue }
            if regions[c[1]] == nil { r.problems.append(.init(file: g, line: row.line, message: "unknown region '\(c[1])'")); continue }
            if !(anatomyRegions[c[0]]?.contains(c[1]) ?? false) { anatomyRegions[c[0], default: []].append(c[1]) }
        }
    }

    mutating func loadDefaults(_ r: inout SourceReader) {
        let f = "defaults.tsv"
        guard r.exists(f) else { return }
        for row in r.tsv(f, columns: ["finding", "laterality", "regions", "note"]) {
            let c = row.cells
            if concepts[c[0]] == nil { r.problems.append(.init(file: f, line: row.line, message: "unknown concept \(c[0])")); continue }
            guard let side = DefaultSite.Side(rawValue: c[1]) else {
                r.problems.append(.init(file: f, line: row.line, message: "unknown laterality '\(c[1])'")); continue
            }
            let regs = c[2].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var ok = true
            for g in regs where regions[g] == nil {
                r.problems.append(.init(file: f, line: row.line, message: "unknown region '\(g)'")); ok = false
            }
            if ok { defaults[c[0], default: []].append(DefaultSite(finding: c[0], side: side, regions: regs, note: c[3])) }
        }
    }

    mutating func loadRefinements(_ r: inout SourceReader) {
        let f = "refinements.tsv"
        guard r.exists(f) else { return }
        for row in r.tsv(f, columns: ["finding", "site", "refined", "note"]) {
            let c = row.cells
            var ok = true
            for (id, want) in [(c[0], "finding"), (c[1], "anatomy"), (c[2], "finding")] {
                guard let concept = concepts[id] else {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown concept \(id)")); ok = false; continue
                }
                let isAnatomy = concept.kind == .anatomy
                if isAnatomy != (want == "anatomy") {
                    r.problems.append(.init(file: f, line: row.line, message: "\(id) is not \(want == "anatomy" ? "an anatomy" : "a finding or diagnosis") concept")); ok = false
                }
            }
            if ok { refinements.append(Refinement(finding: c[0], site: c[1], refined: c[2], note: c[3])) }
        }
    }

    mutating func loadSchemes(_ r: inout SourceReader) {
        for f in r.files(in: "schemes", ext: "json") {
            guard let text = r.text(f) else { continue }
            do {
                let s = try JSONDecoder().decode(LabelScheme.self, from: Data(text.utf8))
                if schemes[s.scheme] != nil {
                    r.problems.append(.init(file: f, line: 0, message: "duplicate scheme '\(s.scheme)'")); continue
                }
                let names = Set(s.labels.map(\.name))
                let lineIndex = Ontology.quotedValueLines(text, key: "name")
                func lineOf(_ name: String) -> Int { lineIndex[name] ?? 0 }
                for l in s.labels {
                    for c in l.concepts + (l.exclude ?? []) where concepts[c] == nil {
                        r.problems.append(.init(file: f, line: lineOf(l.name), message: "label '\(l.name)' points to unknown concept \(c)"))
                    }
                    for i in l.implies ?? [] where !names.contains(i) {
                        r.problems.append(.init(file: f, line: lineOf(l.name), message: "label '\(l.name)' implies unknown label '\(i)'"))
                    }
                    if l.concepts.isEmpty && l.name != s.noFinding {
                        r.problems.append(.init(file: f, line: lineOf(l.name), message: "label '\(l.name)' points nowhere"))
                    }
                }
                if let nf = s.noFinding, !names.contains(nf) {
                    r.problems.append(.init(file: f, line: 0, message: "no_finding label '\(nf)' is not a label"))
                }
                for (key, v) in [("uncertain_as", s.uncertainAs), ("probable_as", s.probableAs)] {
                    if let v, v != "zeros" && v != "ones" && v != "keep" {
                        r.problems.append(.init(file: f, line: 0, message: "\(key) must be zeros, ones or keep, not '\(v)'"))
                    }
                }
                schemes[s.scheme] = s
            } catch {
                r.problems.append(.init(file: f, line: 0, message: "invalid scheme: \(jsonMessage(error))"))
            }
        }
    }

    mutating func loadMasks(_ r: inout SourceReader) {
        for f in r.files(in: "masks", ext: "tsv") where !f.hasSuffix("/aliases.tsv") {
            let name = ((f as NSString).lastPathComponent as NSString).deletingPathExtension
            var map: [Int: String] = [:]
            for row in r.tsv(f, columns: ["value", "region"]) {
                guard let v = Int(row.cells[0]), v >= 0, v < 65536 else {
                    r.problems.append(.init(file: f, line: row.line, message: "mask value must be an integer 0...65535")); continue
                }
                if regions[row.cells[1]] == nil {
                    r.problems.append(.init(file: f, line: row.line, message: "unknown region '\(row.cells[1])'")); continue
                }
                if map[v] != nil { r.problems.append(.init(file: f, line: row.line, message: "duplicate value \(v)")); continue }
                map[v] = row.cells[1]
            }
            masks[name] = map
        }
    }

    /// Normalizes a class or region name for lookup: lower case, `_` and `-` as spaces, runs of spaces collapsed.
    public static func regionKey(_ name: String) -> String {
        var out = ""
        var space = false
        for ch in name.lowercased() {
            if ch == "_" || ch == "-" || ch == " " || ch == "\t" { space = !out.isEmpty; continue }
            if space { out.append(" "); space = false }
            out.append(ch)
        }
        return out
    }

    /// The region a dataset's class name or a user's region name means: an exact region name, the same name
    /// normalized, or an alias of `masks/aliases.tsv`.
    public func resolveRegion(_ name: String) -> String? {
        if regions[name] != nil { return name }
        let k = Ontology.regionKey(name)
        if let r = regionByKey[k] { return r }
        return maskAliases[k]
    }

    mutating func loadSceneTables(_ r: inout SourceReader) {
        for name in regionOrder { regionByKey[Ontology.regionKey(name)] = name }
        let a = "masks/aliases.tsv"
        if r.exists(a) {
            for row in r.tsv(a, columns: ["name", "region", "source"]) {
                let k = Ontology.regionKey(row.cells[0])
                guard regions[row.cells[1]] != nil else {
                    r.problems.append(.init(file: a, line: row.line, message: "unknown region '\(row.cells[1])'")); continue
                }
                if let prior = maskAliases[k] ?? regionByKey[k], prior != row.cells[1] {
                    r.problems.append(.init(file: a, line: row.line, message: "'\(row.cells[0])' already names region '\(prior)'")); continue
                }
                maskAliases[k] = row.cells[1]
            }
        }
        let d = "scene/derived.tsv"
        if r.exists(d) {
            for row in r.tsv(d, columns: ["rule", "side", "region", "note"]) {
                let (rule, side, region) = (row.cells[0], row.cells[1], row.cells[2])
                guard Ontology.derivationRules.contains(rule) else {
                    r.problems.append(.init(file: d, line: row.line, message: "unknown rule '\(rule)' (known: \(Ontology.derivationRules.sorted().joined(separator: ", ")))")); continue
                }
                guard side.isEmpty || side == "right" || side == "left" else {
                    r.problems.append(.init(file: d, line: row.line, message: "side must be right, left or empty")); continue
                }
                guard regions[region] != nil else {
                    r.problems.append(.init(file: d, line: row.line, message: "unknown region '\(region)'")); continue
                }
                if derivedRegions[rule]?[side] != nil {
                    r.problems.append(.init(file: d, line: row.line, message: "duplicate rule '\(rule)' for side '\(side)'")); continue
                }
                derivedRegions[rule, default: [:]][side] = region
            }
        }
        let s = "side-locations.tsv"
        if r.exists(s) {
            for row in r.tsv(s, columns: ["concept", "note"]) {
                guard let c = concepts[row.cells[0]], c.kind == .anatomy, c.laterality != nil else {
                    r.problems.append(.init(file: s, line: row.line, message: "\(row.cells[0]) is not a sided anatomy concept")); continue
                }
                sideOnlyLocations.insert(row.cells[0])
            }
        }
        let n = "inner-sites.tsv"
        if r.exists(n) {
            for row in r.tsv(n, columns: ["concept", "note"]) {
                guard let c = concepts[row.cells[0]], c.kind == .anatomy else {
                    r.problems.append(.init(file: n, line: row.line, message: "\(row.cells[0]) is not an anatomy concept")); continue
                }
                if innerSites.contains(row.cells[0]) {
                    r.problems.append(.init(file: n, line: row.line, message: "duplicate concept \(row.cells[0])")); continue
                }
                innerSites.insert(row.cells[0])
            }
        }
        let g = "imagenome/attributes.tsv"
        if r.exists(g) {
            for row in r.tsv(g, columns: ["attribute", "category", "concepts", "note"]) {
                for id in row.cells[2].split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where !id.isEmpty {
                    guard concepts[id] != nil else {
                        r.problems.append(.init(file: g, line: row.line, message: "unknown concept \(id)")); continue
                    }
                    if let prior = imagenomeAttributes[id] {
                        r.problems.append(.init(file: g, line: row.line, message: "\(id) already maps to '\(prior.name)'")); continue
                    }
                    imagenomeAttributes[id] = ImaGenomeAttribute(category: row.cells[1], name: row.cells[0])
                }
            }
        }
        let k = "imagenome/kinds.tsv"
        if r.exists(k) {
            for row in r.tsv(k, columns: ["kind", "category", "note"]) {
                guard let kind = ConceptKind(rawValue: row.cells[0]) else {
                    r.problems.append(.init(file: k, line: row.line, message: "unknown concept kind '\(row.cells[0])'")); continue
                }
                guard !row.cells[1].isEmpty else {
                    r.problems.append(.init(file: k, line: row.line, message: "empty category")); continue
                }
                if imagenomeKindCategories[kind] != nil {
                    r.problems.append(.init(file: k, line: row.line, message: "duplicate kind '\(row.cells[0])'")); continue
                }
                imagenomeKindCategories[kind] = row.cells[1]
            }
        }
    }

    /// The geometric rules of the scene engine that `scene/derived.tsv` names regions for.
    public static let derivationRules: Set<String> = [
        "lungs", "lung", "upper_third", "middle_third", "lower_third", "top_sixth", "low_lateral", "low_medial",
        "middle_medial", "lower_border", "heart", "silhouette", "between_lungs", "above_silhouette", "silhouette_half",
    ]

    /// The region a derivation rule reads or produces on a side ("" for unsided rules), nil when the table has none.
    public func derivedRegion(_ rule: String, _ side: String = "") -> String? { derivedRegions[rule]?[side] }

    /// The ImaGenome attribute of a concept or of its nearest ancestor that has one.
    public func imagenomeAttribute(of id: ConceptID) -> ImaGenomeAttribute? {
        var frontier = [id]
        var seen = Set<ConceptID>()
        for _ in 0..<12 {
            var next: [ConceptID] = []
            for c in frontier where seen.insert(c).inserted {
                if let a = imagenomeAttributes[c] { return a }
                next.append(contentsOf: parents[c] ?? [])
            }
            if next.isEmpty { return nil }
            frontier = next
        }
        return nil
    }

    /// Cycles in the hierarchy are errors.
    mutating func validateHierarchy(_ r: inout SourceReader) {
        var state: [ConceptID: UInt8] = [:]  // 1 visiting, 2 done
        var reported = Set<ConceptID>()
        for start in conceptOrder where state[start] == nil {
            // Iterative DFS
            var stack: [(ConceptID, Int)] = [(start, 0)]
            state[start] = 1
            while let (node, idx) = stack.last {
                let ps = parents[node] ?? []
                if idx < ps.count {
                    stack[stack.count - 1].1 += 1
                    let p = ps[idx]
                    switch state[p] {
                    case nil:
                        state[p] = 1
                        stack.append((p, 0))
                    case 1:
                        if !reported.contains(p) {
                            reported.insert(p)
                            let (file, line) = relationSource[node + "\t" + p] ?? ("relations", 0)
                            r.problems.append(.init(file: file, line: line, message: "cycle in the hierarchy: \(node) → \(p) leads back to \(node)"))
                        }
                    default: break
                    }
                } else {
                    state[node] = 2
                    stack.removeLast()
                }
            }
        }
    }
}

extension Ontology {
    /// Line numbers of `"key": "value"` pairs in a JSON text (first occurrence of each value), so that
    /// problems in JSON rule files can be reported as file:line.
    static func quotedValueLines(_ text: String, key: String) -> [String: Int] {
        var out: [String: Int] = [:]
        let needle = Array("\"\(key)\"".utf8)
        let b = Array(text.utf8)
        var line = 1
        var i = 0
        while i < b.count {
            if b[i] == 0x0A { line += 1; i += 1; continue }
            if b[i] == 0x22, i + needle.count <= b.count, Array(b[i..<(i + needle.count)]) == needle {
                var j = i + needle.count
                while j < b.count, b[j] == 0x20 || b[j] == 0x3A || b[j] == 0x09 { j += 1 }
                if j < b.count, b[j] == 0x22 {
                    var k = j + 1
                    while k < b.count, b[k] != 0x22, b[k] != 0x0A { k += 1 }
                    let v = String(decoding: b[(j + 1)..<k], as: UTF8.self)
                    if out[v] == nil { out[v] = line }
                    i = k
                    continue
                }
                i = j
                continue
            }
            i += 1
        }
        return out
    }
}

func jsonMessage(_ error: any Error) -> String {
    if let e = error as? DecodingError {
        switch e {
        case .dataCorrupted(let c): return c.debugDescription
        case .keyNotFound(let k, let c): return "missing key '\(k.stringValue)' at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case .valueNotFound(_, let c): return "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        @unknown default: return "\(e)"
        }
    }
    return "\(error)"
}
