public import HilumCore
internal import Foundation
internal import Dispatch

/// What a matched phrase of the term trie stands for.
public enum TermPayload: Sendable, Hashable {
    /// A concept, with the index of the term row (nil for a preferred name).
    case concept(ConceptID, term: Int?)
    /// A blocking phrase: matches, yields nothing.
    case block(term: Int)
    /// A normality anchor (index into `Ontology.normality`).
    case anchor(Int)
}

/// The compiled lexicon: one key table for every token of every phrase, and per-language tries of
/// terms, cues and section headers. Built once by `Ontology.load`.
public struct Lexicon: Sendable {
    public internal(set) var keys = KeyTable(capacity: 8192)
    public internal(set) var termTries: [Language: PhraseTrie] = [:]
    public internal(set) var cueTries: [Language: PhraseTrie] = [:]
    public internal(set) var headerTries: [Language: PhraseTrie] = [:]
    public internal(set) var termPayloads: [TermPayload] = []
    /// Transitive ancestors (isa and part_of) of every concept.
    public internal(set) var ancestors: [ConceptID: Set<ConceptID>] = [:]
    /// Default sites of every concept: its own rows, else those of its nearest ancestor that has rows.
    public internal(set) var resolvedDefaults: [ConceptID: [DefaultSite]] = [:]
    /// Key ids of the language marker words.
    public internal(set) var markerIds: [Language: Set<Int32>] = [:]
    /// Key ids of the abbreviations (the key of a word is the key of its folded form, so a word before a period
    /// can be an abbreviation only if its key id is one of these).
    public internal(set) var abbreviationIds: [Language: Set<Int32>] = [:]
    /// Key ids of the modifiers a term may have inside it (`Ontology.transparentWords`).
    public internal(set) var transparentIds: [Language: Set<Int32>] = [:]
    /// Per language: the words of its terms (key bytes and key id), the targets of spelling correction.
    public internal(set) var spellingWords: [Language: [([UInt8], Int32)]] = [:]
    /// Dense views for the report pipeline.
    public internal(set) var tables = AnalysisTables()

    /// Prefix byte of case-sensitive keys in the key table.
    public static let exactPrefix: UInt8 = 0x01
    /// Key of the `{year}` pattern token (a four-digit year 1900-2099 in the text).
    public static let yearKey: [UInt8] = [0x02] + Array("year".utf8)

    /// `f(0) ... f(count - 1)` computed on two threads (even and odd indices), in order.
    static func parallelMap<T: Sendable>(_ count: Int, _ f: @Sendable (Int) -> T) -> [T] {
        var out = [T?](repeating: nil, count: count)
        out.withUnsafeMutableBufferPointer { buf in
            nonisolated(unsafe) let b = buf
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                var i = part
                while i < count { b[i] = f(i); i += 2 }
            }
        }
        return out.compactMap { $0 }
    }

    static func compile(_ o: Ontology, problems: inout [OntologyProblem]) -> Lexicon {
        var lx = Lexicon()
        let trace = Ontology.traceLoad
        var last = Date()
        func mark(_ what: String) {
            if trace {
                FileHandle.standardError.write(Data(String(format: "  compile %@: %.1f ms\n", what, Date().timeIntervalSince(last) * 1000).utf8))
                last = Date()
            }
        }
        // Pass 1: collect phrases.
        struct Phrase { var lang: Language; var ids: [[UInt8]]; var payload: Int32; var kind: UInt8 }  // 0 term 1 cue 2 header
        var phrases: [Phrase] = []
        var payloadIndex: [TermPayload: Int32] = [:]
        func payloadID(_ p: TermPayload) -> Int32 {
            // Term rows and anchors are unique by construction; only preferred names need deduplication.
            if case .concept(_, let term?) = p {
                lx.termPayloads.append(p)
                _ = term
                return Int32(lx.termPayloads.count - 1)
            }
            if case .anchor = p {
                lx.termPayloads.append(p)
                return Int32(lx.termPayloads.count - 1)
            }
            if let i = payloadIndex[p] { return i }
            let i = Int32(lx.termPayloads.count)
            lx.termPayloads.append(p)
            payloadIndex[p] = i
            return i
        }
        @Sendable func keys(_ text: String, exact: Bool) -> [[UInt8]] {
            if text.utf8.contains(0x7B), text.contains("{year}") {
                // Placeholder token: a four-digit year (1900-2099) in the text.
                let parts = text.components(separatedBy: "{year}")
                var out: [[UInt8]] = []
                for (i, part) in parts.enumerated() {
                    if i > 0 { out.append(Lexicon.yearKey) }
                    out += keys(part, exact: exact)
                }
                return out
            }
            return exact ? Normalizer.phraseExact(text).map { [Lexicon.exactPrefix] + $0 } : Normalizer.phraseKeys(text)
        }
        // Blocking rows suppress a preferred name with the same keys.
        // Key sequences flattened into one byte string (0 between words) for cheap hashing.
        func flat(_ k: [[UInt8]]) -> [UInt8] {
            var out: [UInt8] = []
            for w in k { out.append(contentsOf: w); out.append(0) }
            return out
        }
        // The keys of every term, computed on all cores (pure work).
        let terms = o.terms
        let termKeys = Lexicon.parallelMap(terms.count) { keys(terms[$0].text, exact: terms[$0].caseSensitive) }
        mark("term keys")
        var blocked: [Language: Set<[UInt8]>] = [:]
        for (i, t) in o.terms.enumerated() where t.concept == nil { blocked[t.language, default: []].insert(flat(termKeys[i])) }
        // Owner of each key sequence per language, to report collisions: a term's index, or -1 - k for the preferred
        // name of `o.conceptOrder[k]` (a collision, which most terms never have, reads the rest from there). The keys
        // are hashed once with the key table's hash, not byte by byte by the dictionary.
        struct FlatKey: Hashable {
            let bytes: [UInt8]
            let hash: UInt64
            init(_ b: [UInt8]) { bytes = b; hash = b.withUnsafeBufferPointer { KeyTable.hash($0) } }
            static func == (a: FlatKey, b: FlatKey) -> Bool { a.hash == b.hash && a.bytes == b.bytes }
            func hash(into h: inout Hasher) { h.combine(hash) }
        }
        var owner: [[FlatKey: Int32]] = Language.allCases.map { _ in [:] }
        for k in owner.indices { owner[k].reserveCapacity(o.terms.count) }
        func describe(_ who: Int32) -> (concept: ConceptID, file: String, line: Int, shared: Bool)? {
            if who >= 0 {
                guard Int(who) < o.terms.count, let c = o.terms[Int(who)].concept else { return nil }
                let t = o.terms[Int(who)]
                return (c, t.file, t.line, t.shared)
            }
            let k = Int(-1 - who)
            guard k >= 0, k < o.conceptOrder.count else { return nil }
            return (o.conceptOrder[k], "concepts", 0, false)
        }
        func claim(_ lang: Language, _ kk: [[UInt8]], _ who: Int32) {
            guard let li = Language.allCases.firstIndex(of: lang) else { return }
            let k = FlatKey(flat(kk))
            if let prevWho = owner[li][k], let prev = describe(prevWho), let me = describe(who) {
                if prev.concept != me.concept {
                    if !(me.shared || prev.shared) {
                        problems.append(OntologyProblem(file: me.file, line: me.line,
                            message: "term maps to \(me.concept) and to \(prev.concept) (\(prev.file):\(prev.line)) without a 'shared' flag"))
                    }
                    return
                }
            }
            owner[li][k] = who
        }
        for (ci, id) in o.conceptOrder.enumerated() {
            guard let c = o.concepts[id], c.kind != .global else { continue }
            for (lang, name) in [(Language.en, c.preferredEN), (Language.es, c.preferredES)] where !name.isEmpty {
                let k = keys(name, exact: false)
                if k.isEmpty || blocked[lang]?.contains(flat(k)) == true { continue }
                claim(lang, k, Int32(-1 - ci))
                phrases.append(Phrase(lang: lang, ids: k, payload: payloadID(.concept(id, term: nil)), kind: 0))
            }
        }
        for (i, t) in o.terms.enumerated() {
            let k = termKeys[i]
            if k.isEmpty { continue }
            if let c = t.concept {
                claim(t.language, k, Int32(i))
                phrases.append(Phrase(lang: t.language, ids: k, payload: payloadID(.concept(c, term: i)), kind: 0))
            } else {
                phrases.append(Phrase(lang: t.language, ids: k, payload: payloadID(.block(term: i)), kind: 0))
            }
        }
        for (i, n) in o.normality.enumerated() {
            let k = keys(n.anchor, exact: false)
            if k.isEmpty { continue }
            phrases.append(Phrase(lang: n.language, ids: k, payload: payloadID(.anchor(i)), kind: 0))
        }
        _ = lx.keys.intern(Lexicon.yearKey)
        let flatPatterns: [(Int, String)] = o.cues.enumerated().flatMap { i, c in c.patterns.map { (i, $0) } }
        let patternTexts = flatPatterns.map(\.1)
        let patternKeys = Lexicon.parallelMap(patternTexts.count) { keys(patternTexts[$0], exact: false) }
        for (k, (i, _)) in flatPatterns.enumerated() {
            phrases.append(Phrase(lang: o.cues[i].language, ids: patternKeys[k], payload: Int32(i), kind: 1))
        }
        for (i, s) in o.sections.enumerated() {
            phrases.append(Phrase(lang: s.language, ids: keys(s.header, exact: false), payload: Int32(i), kind: 2))
        }
        mark("phrases")
        // Intern every key, then build the tries.
        var idPhrases: [(Phrase, [Int32])] = []
        for p in phrases { idPhrases.append((p, p.ids.map { lx.keys.intern($0) })) }
        // Spelling targets: the words of finding, diagnosis and anatomy terms (not cues, blocks or anchors).
        var spelling: [Language: [[UInt8]: Int32]] = [:]
        for (p, ids) in idPhrases where p.kind == 0 && p.payload >= 0 && Int(p.payload) < lx.termPayloads.count {
            guard case .concept = lx.termPayloads[Int(p.payload)] else { continue }
            for (key, id) in zip(p.ids, ids) where key.count >= SpellIndex.minLength - 1 && key.first != Lexicon.exactPrefix {
                spelling[p.lang, default: [:]][key] = id
            }
        }
        for (lang, words) in spelling { lx.spellingWords[lang] = words.map { ($0.key, $0.value) }.sorted { $0.1 < $1.1 } }
        for (lang, words) in o.languageMarkers {
            lx.markerIds[lang] = Set(words.map { lx.keys.intern($0) })
        }
        for (lang, words) in o.transparentWords {
            lx.transparentIds[lang] = Set(words.map { lx.keys.intern($0) })
        }
        for (lang, folded) in o.abbreviations {
            lx.abbreviationIds[lang] = Set(folded.map { a in
                var k = a
                Normalizer.stem(&k)
                return lx.keys.intern(k)
            })
        }
        let n = lx.keys.count
        // Built in local tries (by language, then kind) and stored once frozen: inserting through the dictionaries
        // cost a dictionary access per phrase.
        // Each language's three tries are built and frozen on a thread of their own.
        let langs = Language.allCases
        var byLanguage: [[Int]] = langs.map { _ in [] }
        for (k, (p, _)) in idPhrases.enumerated() {
            guard let li = langs.firstIndex(of: p.lang) else { continue }
            byLanguage[li].append(k)
        }
        let keyed = idPhrases, members = byLanguage
        let built: [[PhraseTrie]] = Lexicon.parallelMap(langs.count) { li in
            var tries = [PhraseTrie(keyCount: n), PhraseTrie(keyCount: n), PhraseTrie(keyCount: n)]
            for k in members[li] {
                let (p, ids) = keyed[k]
                tries[min(Int(p.kind), 2)].insert(ids, payload: p.payload)
            }
            for k in 0..<3 { tries[k].freeze() }
            return tries
        }
        mark("tries (built and frozen)")
        for (li, lang) in langs.enumerated() where built[li].count == 3 {
            lx.termTries[lang] = built[li][0]
            lx.cueTries[lang] = built[li][1]
            lx.headerTries[lang] = built[li][2]
        }
        // Default sites resolved through the hierarchy (breadth-first: nearest ancestor wins).
        for id in o.conceptOrder {
            var frontier = [id]
            var seen = Set<ConceptID>()
            search: while !frontier.isEmpty {
                var next: [ConceptID] = []
                for c in frontier where seen.insert(c).inserted {
                    if let rows = o.defaults[c] { lx.resolvedDefaults[id] = rows; break search }
                    next.append(contentsOf: o.parents[c] ?? [])
                }
                frontier = next
            }
        }
        // Ancestors.
        for id in o.conceptOrder {
            var seen = Set<ConceptID>()
            var stack = o.parents[id] ?? []
            while let p = stack.popLast() {
                if seen.insert(p).inserted { stack.append(contentsOf: o.parents[p] ?? []) }
            }
            lx.ancestors[id] = seen
        }
        mark("hierarchy")
        lx.tables = AnalysisTables.build(o, lx)
        mark("tables")
        return lx
    }
}

extension Ontology {
    /// Transitive parents (isa and part_of) of a concept.
    public func ancestors(of id: ConceptID) -> Set<ConceptID> { lexicon.ancestors[id] ?? [] }

    /// The concept and all its transitive children.
    public func descendants(of id: ConceptID) -> Set<ConceptID> {
        var seen: Set<ConceptID> = [id]
        var stack = [id]
        while let c = stack.popLast() {
            for ch in children[c] ?? [] where seen.insert(ch).inserted { stack.append(ch) }
        }
        return seen
    }

    /// Whether `id` is `ancestor` or one of its descendants.
    public func isA(_ id: ConceptID, _ ancestor: ConceptID) -> Bool {
        id == ancestor || (lexicon.ancestors[id]?.contains(ancestor) ?? false)
    }

    /// Finds concepts by id, PadChest label, preferred name or synonym (any language, normalized).
    public func lookup(_ query: String) -> [Concept] {
        let q = query.trimmingCharacters(in: .whitespaces)
        if let c = concepts[q] { return [c] }
        if let id = byPadchest[q], let c = concepts[id] { return [c] }
        for (_, c) in concepts where c.altCUIs.contains(q) { return [c] }
        let k = Normalizer.phraseKeys(q)
        var found: [ConceptID] = []
        for id in conceptOrder {
            guard let c = concepts[id] else { continue }
            if Normalizer.phraseKeys(c.preferredEN) == k || Normalizer.phraseKeys(c.preferredES) == k
                || (c.padchest.map { Normalizer.phraseKeys($0) == k } ?? false) {
                found.append(id)
            }
        }
        for t in terms where t.concept != nil && Normalizer.phraseKeys(t.text) == k {
            if let c = t.concept, !found.contains(c) { found.append(c) }
        }
        return found.compactMap { concepts[$0] }
    }

    /// Synonyms of a concept in a language.
    public func synonyms(of id: ConceptID, _ lang: Language) -> [String] {
        terms.filter { $0.concept == id && $0.language == lang }.map(\.text)
    }
}
