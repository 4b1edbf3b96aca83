public import HilumCore
internal import Synchronization

/// Dense, string-free views of the ontology for the report pipeline, built once when the lexicon is compiled:
/// concepts by index, what each term payload does, the context data of each cue rule, and resolved sites.
/// Reading them costs an array index (no hashing, no reference counting of rule strings).
///
/// A class of constants, so that a reader holds one reference rather than a copy that retains every table, and
/// reads need no exclusivity checks. `build` fills a `Builder` and freezes it.
public final class AnalysisTables: Sendable {
    /// Data a later stage derives from these tables once per ontology (the analyze result's JSON pieces), shared by
    /// every analyzer of the ontology.
    package let derived = DerivedSlot()
    /// A number no other tables of this process have: a cache of ids read from these tables (the report pipeline's
    /// word cache) is checked against it, so that it is never read with another ontology's tables.
    package let serial: UInt64 = AnalysisTables.nextSerial()
    private static let serials = Mutex<UInt64>(0)
    private static func nextSerial() -> UInt64 { serials.withLock { $0 += 1; return $0 } }
    /// The context data of one cue rule.
    public struct Cue: Sendable {
        public var category: CueCategory
        public var direction: CueDirection
        public var scope: Int
        public var assertion: Assertion?
        public var certainty: Certainty
        public var alternatives: Bool = false
        public var list: Bool = false
        public var commaLists: Bool = false
        public var opensStatement: Bool = false
        public var opensList: Bool = false
        public var weakSide: Bool = false
        public var contrast: Bool = false
    }

    /// What the matcher does with a term payload.
    public enum Action: Sendable {
        /// A finding, diagnosis or global concept (index into `conceptIDs`).
        case finding(Int32)
        /// An anatomical concept.
        case anatomy(Int32)
        /// A normality anchor (index into `Ontology.normality`).
        case anchor(Int)
        /// A blocking phrase, or a concept the ontology does not define.
        case none
    }

    /// Regions of an anatomical concept (its own, or its nearest ancestor's along first parents), unfiltered
    /// and filtered to each side (the unfiltered list when no region of that side exists).
    public struct Sites: Sendable {
        public var all: [String] = []
        public var left: [String] = []
        public var right: [String] = []
        /// Whether the structure has a left and a right (lungs, lower lobe, hemidiaphragm): a plural names both. Not a
        /// structure with a region of no side (the bones: spine, ribs, clavicles): "the bony structures" are no side.
        public var paired: Bool { !left.isEmpty && !right.isEmpty && left.allSatisfy { !right.contains($0) } }
        public func on(_ side: Laterality?) -> [String] {
            switch side {
            case .left?: left
            case .right?: right
            default: all
            }
        }
    }

    /// For each region of a concept's `Sites` (all, left, right), the regions that contain it (parent first): read
    /// without a dictionary when a finer place is sought.
    public struct SitesUp: Sendable {
        public var all: [[String]] = [], left: [[String]] = [], right: [[String]] = []
        public func on(_ side: Laterality?) -> [[String]] {
            switch side {
            case .left?: left
            case .right?: right
            default: all
            }
        }
    }
    public let sitesUp: [SitesUp]

    /// Whether every region of anatomical concept `c` on `side` is one of `places` or lies inside one of them.
    public func regionsOf(_ c: Int, side: Laterality?, lieWithin places: [String]) -> Bool {
        guard c >= 0, c < sites.count, c < sitesUp.count else { return false }
        let regions = sites[c].on(side), ups = sitesUp[c].on(side)
        for (k, r) in regions.enumerated() where !places.contains(r) {
            guard k < ups.count, ups[k].contains(where: { places.contains($0) }) else { return false }
        }
        return true
    }

    public let cues: [Cue]
    public let maxCueScope: Int
    public let actions: [Action]
    public let conceptIDs: [ConceptID]
    public let conceptIndex: [ConceptID: Int32]
    public let kinds: [ConceptKind]
    public let laterality: [Laterality?]
    /// Findings that have no side (`Concept.unsided`).
    public let unsided: [Bool]
    public let namesEN: [String]
    public let namesES: [String]
    public let padchest: [String?]
    /// Anatomy: regions named by the concept; side-only locations ("loc left") give their regions only as a side.
    public let sites: [Sites]
    public let sideOnly: [Bool]
    /// Per concept: an anatomy concept that locates a finding from inside the finding's term (`inner-sites.tsv`).
    public let innerSite: [Bool]
    /// Findings: documented default sites (own rows, else the nearest ancestor's).
    public let defaults: [[DefaultSite]?]
    /// Findings: the default regions picked from `defaults` for each stated laterality, resolved once when the
    /// ontology loads (`defaultRegions(_:_:)` reads them). Four entries per concept: none, left, right, bilateral.
    let defaultPicks: [[String]?]
    /// Findings whose documented default site is no place at all (`defaults.tsv` rows with no region: "unchanged", a
    /// statement about the study): they take no site from the text and pass none on.
    public let placeless: [Bool]
    /// Per finding concept: the refinements of `refinements.tsv` (site concept, refined concept), in file order.
    public let refineRules: [[(site: Int32, refined: Int32)]]
    /// Per anatomy concept: the refinement sites it is (or is part of), for `refineRules`.
    public let refineSites: [[Int32]]
    /// Normality rules: the concepts each denies (defined concepts only).
    public let denies: [[Int32]]
    /// Laterality of each region name.
    public let regionSide: [String: Laterality]
    /// Parent of each region that has one (`regions.tsv`).
    public let regionParent: [String: String]
    /// Language evidence of each key id: bit 0 an English marker word, bit 1 a Spanish one, bit 2 starts an
    /// English term, bit 3 starts a Spanish term (bits 4 and 5 unused); bit 6 is the key of an English abbreviation,
    /// bit 7 of a Spanish one. One byte per key: language detection reads the marker and term bits, and the sentence
    /// splitter whether a word before a period can be an abbreviation before folding it. (The matcher reads whether a
    /// word starts a term or cue from `LanguageTries.startRoots`.)
    public let languageBits: [UInt8]
    /// Quick reject for case-sensitive lookups: bit `min(n, 63)` of entry `b` is set when some case-sensitive
    /// term has a word of `n` bytes starting with byte `b`.
    public let exactFilter: [UInt64]
    /// The abbreviations of each language (folded keys) and the length in bytes of the longest one (a longer word
    /// before a period is not one), by `Language` index: read per report without hashing the language.
    let abbreviationSets: [(keys: Set<[UInt8]>, maxBytes: Int)]

    /// The abbreviations of `lang` and the length of the longest.
    @inline(__always)
    public func abbreviations(_ lang: Language) -> (keys: Set<[UInt8]>, maxBytes: Int) {
        let i = lang == .en ? 0 : 1
        return i < abbreviationSets.count ? abbreviationSets[i] : ([], 0)
    }

    /// One language's tries, held by reference: a report reads them without hashing the language or copying (and
    /// reference counting) each trie's arrays.
    public final class LanguageTries: Sendable {
        public let terms: PhraseTrie
        public let cues: PhraseTrie
        public let headers: PhraseTrie
        /// Flag of `terms` nodes: a phrase ending there names a finding (read by the matcher from the node's record
        /// instead of each payload's action).
        static let namesFindingFlag: Int32 = 0
        /// Flag of `cues` nodes: every rule ending there is a negation.
        static let onlyNegationFlag: Int32 = 0
        /// Per key id: whether a phrase of `terms` starting with it names a place (an anatomy concept): the matcher
        /// looks for `inner-sites.tsv` places inside a finding's term only from these words, and the words of an
        /// unlisted place stay that place's.
        public let placeStart: [Bool]
        /// Per key id: whether the word may stand inside a term without breaking it (a degree modifier, never a term's
        /// first or last word).
        public let transparent: [Bool]
        /// One-edit spelling correction against the words of the language's terms.
        public let spelling: SpellIndex
        /// Per key id, the root nodes of `terms` and `cues` side by side (`[2 * id]` and `[2 * id + 1]`, -1 for none):
        /// the matcher reads whether a word starts a term or a cue, and where each walk starts, from one cache line.
        public let startRoots: [Int32]

        init(terms: PhraseTrie, cues: PhraseTrie, headers: PhraseTrie, actions: [Action], cueRules: [Cue], keyCount: Int,
             transparentIds: Set<Int32> = [], spellingWords: [([UInt8], Int32)] = [], keptSpellings: Set<[UInt8]> = []) {
            var terms = terms, cues = cues
            spelling = SpellIndex(words: spellingWords, kept: keptSpellings)
            var tr = [Bool](repeating: false, count: keyCount)
            for id in transparentIds where id >= 0 && Int(id) < keyCount { tr[Int(id)] = true }
            transparent = tr
            placeStart = (0..<keyCount).map { id in
                guard let start = terms.start(Int32(id)) else { return false }
                var stack = [start]
                while let node = stack.popLast() {
                    for p in terms.payloads(node) where p >= 0 && Int(p) < actions.count {
                        if case .anatomy = actions[Int(p)] { return true }
                    }
                    stack += terms.children(node)
                }
                return false
            }
            for n in terms.nodeIDs {
                let names = terms.payloadRange(n).contains { q in
                    let p = Int(terms.payload(at: q))
                    guard p >= 0, p < actions.count, case .finding = actions[p] else { return false }
                    return true
                }
                if names { terms.setFlag(n, LanguageTries.namesFindingFlag) }
            }
            for n in cues.nodeIDs {
                let negation = cues.payloadRange(n).allSatisfy { q in
                    let p = Int(cues.payload(at: q))
                    return p >= 0 && p < cueRules.count && cueRules[p].category == .negation
                }
                if negation { cues.setFlag(n, LanguageTries.onlyNegationFlag) }
            }
            var roots = [Int32](repeating: -1, count: 2 * keyCount)
            for id in 0..<keyCount {
                roots[2 * id] = terms.start(Int32(id)) ?? -1
                roots[2 * id + 1] = cues.start(Int32(id)) ?? -1
            }
            startRoots = roots
            self.terms = terms; self.cues = cues; self.headers = headers
        }

        /// Whether a phrase ending at term node `node` names a finding.
        @inline(__always)
        public func namesFinding(_ node: Int32) -> Bool { terms.flag(node, LanguageTries.namesFindingFlag) }

        /// Whether every cue rule ending at cue node `node` is a negation (true for a node that ends none).
        @inline(__always)
        public func onlyNegation(_ node: Int32) -> Bool { node < 0 || !cues.valid(node) || cues.flag(node, LanguageTries.onlyNegationFlag) }
    }
    /// Key id of the `{year}` pattern token (-1 when no term has one).
    public let yearID: Int32

    /// The tries of each language, by `Language.allCases` order (nil when the lexicon has none).
    let languageTries: [LanguageTries?]

    /// The term, cue and header tries of `lang`.
    @inline(__always)
    public func tries(_ lang: Language) -> LanguageTries? {
        let i = lang == .en ? 0 : 1
        return i < languageTries.count ? languageTries[i] : nil
    }

    @inline(__always)
    public func mayBeExact(first: UInt8, length: Int) -> Bool {
        exactFilter[Int(first)] & (1 << UInt64(min(length, 63))) != 0
    }

    /// The tables while they are built.
    struct Builder {
        var cues: [Cue] = []
        var maxCueScope: Int = 0
        var actions: [Action] = []
        var conceptIDs: [ConceptID] = []
        var conceptIndex: [ConceptID: Int32] = [:]
        var kinds: [ConceptKind] = []
        var laterality: [Laterality?] = []
        var unsided: [Bool] = []
        var namesEN: [String] = []
        var namesES: [String] = []
        var padchest: [String?] = []
        var sites: [Sites] = []
        var sitesUp: [SitesUp] = []
        var sideOnly: [Bool] = []
        var innerSite: [Bool] = []
        var defaults: [[DefaultSite]?] = []
        var defaultPicks: [[String]?] = []
        var placeless: [Bool] = []
        var refineRules: [[(site: Int32, refined: Int32)]] = []
        var refineSites: [[Int32]] = []
        var denies: [[Int32]] = []
        var regionSide: [String: Laterality] = [:]
        var regionParent: [String: String] = [:]
        var languageBits: [UInt8] = []
        var exactFilter: [UInt64] = [UInt64](repeating: 0, count: 256)
        var abbreviationSets: [(keys: Set<[UInt8]>, maxBytes: Int)] = []
        var yearID: Int32 = -1
        var languageTries: [LanguageTries?] = []

        func onSide(_ regions: [String], _ side: Laterality) -> [String] { AnalysisTables.onSide(regions, side, regionSide) }
    }

    init(_ b: Builder) {
        cues = b.cues
        maxCueScope = b.maxCueScope
        actions = b.actions
        conceptIDs = b.conceptIDs
        conceptIndex = b.conceptIndex
        kinds = b.kinds
        laterality = b.laterality
        unsided = b.unsided
        namesEN = b.namesEN
        namesES = b.namesES
        padchest = b.padchest
        sites = b.sites
        sitesUp = b.sitesUp
        sideOnly = b.sideOnly
        innerSite = b.innerSite
        defaults = b.defaults
        defaultPicks = b.defaultPicks
        placeless = b.placeless
        refineRules = b.refineRules
        refineSites = b.refineSites
        denies = b.denies
        regionSide = b.regionSide
        regionParent = b.regionParent
        languageBits = b.languageBits
        exactFilter = b.exactFilter
        abbreviationSets = b.abbreviationSets
        yearID = b.yearID
        languageTries = b.languageTries
    }

    public convenience init() { self.init(Builder()) }

    public func name(_ i: Int32, _ lang: Language) -> String {
        let k = Int(i)
        guard k >= 0, k < namesEN.count else { return "" }
        return lang == .es && !namesES[k].isEmpty ? namesES[k] : namesEN[k]
    }

    /// The default regions of finding concept `i` when the text states laterality `side` (nil: none), or nil when
    /// the concept has no default row for it. A row for that side wins, then an unsided row (filtered to a stated
    /// left or right), then, with no side stated, a bilateral row. Read from a table built at load.
    @inline(__always)
    public func defaultRegions(_ i: Int32, _ side: Laterality?) -> [String]? {
        let k = Int(i) * 4 + AnalysisTables.sideSlot(side)
        guard i >= 0, k < defaultPicks.count else { return nil }
        return defaultPicks[k]
    }

    @inline(__always)
    package static func sideSlot(_ side: Laterality?) -> Int {
        switch side {
        case nil: 0
        case .left?: 1
        case .right?: 2
        case .bilateral?: 3
        }
    }

    /// The pick `defaultRegions` returns, computed from the rows (what the analyzer did per finding before).
    static func pickDefault(_ rows: [DefaultSite]?, _ laterality: Laterality?, _ regionSide: [String: Laterality]) -> [String]? {
        guard let rows else { return nil }
        let want: DefaultSite.Side = laterality.map { DefaultSite.Side(rawValue: $0.rawValue) ?? .any } ?? .none
        let pick = rows.first { $0.side == want } ?? rows.first { $0.side == .any }
            ?? (want == .none ? rows.first { $0.side == .bilateral } : nil)
        guard let pick, !pick.regions.isEmpty else { return nil }
        // An unsided default ("any") filtered to the stated side.
        if let side = laterality, side != .bilateral { return onSide(pick.regions, side, regionSide) }
        return pick.regions
    }

    public func id(_ i: Int32) -> ConceptID {
        let k = Int(i)
        return k >= 0 && k < conceptIDs.count ? conceptIDs[k] : ""
    }

    /// Regions filtered to a side; the unfiltered list when none is on that side.

    static func onSide(_ regions: [String], _ side: Laterality, _ regionSide: [String: Laterality]) -> [String] {
        let f = regions.filter { regionSide[$0] == nil || regionSide[$0] == side }
        return f.isEmpty ? regions : f
    }

    static func build(_ o: Ontology, _ lx: Lexicon) -> AnalysisTables {
        var t = Builder()
        t.cues = o.cues.map { Cue(category: $0.category, direction: $0.direction, scope: $0.scope, assertion: $0.assertion, certainty: $0.certainty,
                                 alternatives: $0.alternatives, list: $0.list, commaLists: $0.commaLists,
                                 opensStatement: $0.opensStatement, opensList: $0.opensList,
                                 weakSide: $0.weakSide, contrast: $0.contrast) }
        t.maxCueScope = o.cues.reduce(0) { max($0, $1.scope) }
        t.conceptIDs = o.conceptOrder
        for (i, id) in o.conceptOrder.enumerated() {
            t.conceptIndex[id] = Int32(i)
            let c = o.concepts[id]
            t.kinds.append(c?.kind ?? .finding)
            t.laterality.append(c?.laterality)
            // A global label ("normal", "unchanged" of the whole study) has no side either.
            t.unsided.append((c?.unsided ?? false) || c?.kind == .global)
            t.namesEN.append(c?.preferredEN ?? id)
            t.namesES.append(c?.preferredES ?? "")
            t.padchest.append(c?.padchest)
        }
        for (name, r) in o.regions {
            if let l = r.laterality { t.regionSide[name] = l }
            if let p = r.parent { t.regionParent[name] = p }
        }
        t.actions = lx.termPayloads.map { p in
            switch p {
            case .concept(let id, _):
                guard let i = t.conceptIndex[id] else { return .none }
                return t.kinds[Int(i)] == .anatomy ? .anatomy(i) : .finding(i)
            case .anchor(let a): return .anchor(a)
            case .block: return .none
            }
        }
        for id in o.conceptOrder {
            let only = o.sideOnlyLocations.contains(id)
            t.sideOnly.append(only)
            t.innerSite.append(o.innerSites.contains(id))
            var cur = id
            var regs = o.anatomyRegions[cur] ?? []
            var steps = 0
            while !only, regs.isEmpty, steps < 8, let p = o.parents[cur]?.first {
                cur = p; regs = o.anatomyRegions[cur] ?? []; steps += 1
            }
            var seen = Set<String>()
            regs = regs.filter { seen.insert($0).inserted }   // each region once (a finding's list is read as is)
            let sites = Sites(all: regs, left: t.onSide(regs, .left), right: t.onSide(regs, .right))
            func chain(_ r: String) -> [String] {
                var out: [String] = [], cur = r
                while out.count < 8, let p = t.regionParent[cur] { out.append(p); cur = p }
                return out
            }
            t.sites.append(sites)
            t.sitesUp.append(SitesUp(all: sites.all.map(chain), left: sites.left.map(chain), right: sites.right.map(chain)))
            t.defaults.append(lx.resolvedDefaults[id])
            t.placeless.append(lx.resolvedDefaults[id].map { !$0.isEmpty && $0.allSatisfy { $0.regions.isEmpty } } ?? false)
            for side in [nil, Laterality.left, .right, .bilateral] {
                t.defaultPicks.append(pickDefault(lx.resolvedDefaults[id], side, t.regionSide))
            }
        }
        t.refineRules = Array(repeating: [], count: t.conceptIDs.count)
        t.refineSites = Array(repeating: [], count: t.conceptIDs.count)
        var ruleSites: [Int32] = []
        for r in o.refinements {
            guard let f = t.conceptIndex[r.finding], let site = t.conceptIndex[r.site], let refined = t.conceptIndex[r.refined] else { continue }
            t.refineRules[Int(f)].append((site, refined))
            if !ruleSites.contains(site) { ruleSites.append(site) }
        }
        for (k, id) in t.conceptIDs.enumerated() where t.kinds[k] == .anatomy {
            let up = lx.ancestors[id] ?? []
            for site in ruleSites {
                let sid = t.conceptIDs[Int(site)]
                if id == sid || up.contains(sid) { t.refineSites[k].append(site) }
            }
        }
        t.denies = o.normality.map { $0.denies.compactMap { t.conceptIndex[$0] } }
        for term in o.terms where term.caseSensitive {
            for w in Normalizer.phraseExact(term.text) where !w.isEmpty {
                t.exactFilter[Int(w[0])] |= 1 << UInt64(min(w.count, 63))
            }
        }
        t.yearID = lx.keys.lookup(Lexicon.yearKey) ?? -1
        t.abbreviationSets = [Language.en, .es].map { lang in
            let set = o.abbreviations[lang] ?? []
            return (set, set.reduce(0) { max($0, $1.count) })
        }
        t.languageBits = [UInt8](repeating: 0, count: lx.keys.count)
        for (lang, bit) in [(Language.en, UInt8(1)), (.es, 2)] {
            for id in lx.markerIds[lang] ?? [] where id >= 0 && Int(id) < t.languageBits.count { t.languageBits[Int(id)] |= bit }
            for id in lx.abbreviationIds[lang] ?? [] where id >= 0 && Int(id) < t.languageBits.count { t.languageBits[Int(id)] |= bit << 6 }
            guard let trie = lx.termTries[lang] else { continue }
            for id in 0..<t.languageBits.count where trie.start(Int32(id)) != nil { t.languageBits[id] |= bit << 2 }
        }
        // The two languages' tables (their spelling indexes are most of the work) are built on two threads.
        let languages = [Language.en, .es]
        let actions = t.actions, cueRules = t.cues, keyCount = lx.keys.count
        t.languageTries = Lexicon.parallelMap(languages.count) { k -> LanguageTries? in
            let lang = languages[k]
            guard let terms = lx.termTries[lang], let cues = lx.cueTries[lang], let headers = lx.headerTries[lang] else { return nil }
            return LanguageTries(terms: terms, cues: cues, headers: headers, actions: actions, cueRules: cueRules,
                                 keyCount: keyCount, transparentIds: lx.transparentIds[lang] ?? [],
                                 spellingWords: lx.spellingWords[lang] ?? [], keptSpellings: o.keptSpellings[lang] ?? [])
        }
        return AnalysisTables(t)
    }
}

/// One value made on first use and kept (thread-safe).
package final class DerivedSlot: Sendable {
    private let value = Mutex<AnyObject?>(nil)
    package init() {}

    /// The value kept, or the one `make` returns, kept from then on.
    package func get<T: AnyObject & Sendable>(_ make: () -> T) -> T {
        value.withLock { kept in
            // The kept value's exact class is compared (a generic `as?` cast costs hundreds of instructions per call).
            if let k = kept, ObjectIdentifier(type(of: k)) == ObjectIdentifier(T.self) { return unsafeDowncast(k, to: T.self) }
            let t = make()
            kept = t
            return t
        }
    }
}
