internal import HilumCore
internal import HilumOntology

/// Scratch state of one analysis.
struct Document {
    var text: String
    /// The ontology, read through one reference (`box.ontology.…` borrows; it is never copied out).
    var box: OntologyBox
    var bytes: [UInt8]
    var tokens: [Token] = []
    /// Normalized key id per token (-1 unknown).
    var ids: [Int32] = []
    /// Exact-case key id per token (-1 none).
    var exactIDs: [Int32] = []
    /// Word position per token (words and numbers count, placeholders and punctuation do not).
    var wordPos: [Int32] = []
    /// The number of word tokens in the text (the word position of the text's end), set by `prepare`.
    var wordCount = 0
    var lang: Language = .en
    var sections: [SectionInfo] = []
    /// Tokens that belong to a header (skipped by matching).
    var headerToken: [Bool] = []
    var sentences: [Range<Int>] = []
    var mentions: [Mention] = []
    var anatomy: [AnatomyMention] = []
    var cueHits: [CueHit] = []
    var anchorHits: [AnchorHit] = []
    /// The rules that decided each mention, in the order they were found.
    var evidenceLog = MentionLog<Ev>()
    /// The anatomical mentions (indices into `anatomy`) that qualify each mention, in order.
    var sites = MentionLog<Int32>()

    /// Entries per mention in one log: each mention's entries are chained in the order added, so reading or copying
    /// one mention's entries costs its own entries, not the whole log (a 10 MB report has tens of thousands).
    struct MentionLog<T> {
        /// Each entry and the position of the next entry of the same mention (-1 after its last).
        var entries: [(value: T, next: Int32)] = []
        /// First and last entry of each mention (-1: none). Kept at their length from report to report: entries from
        /// `used` on are always -1, and `removeAll` resets only those before it.
        var head: [Int32] = []
        var tail: [Int32] = []
        var used = 0

        mutating func removeAll() {
            Document.clear(&entries)
            if used > 0 {
                let n = min(used, head.count, tail.count)
                head.withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[0..<n]).update(repeating: -1) }
                tail.withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[0..<n]).update(repeating: -1) }
                used = 0
            }
        }

        mutating func append(_ mention: Int, _ v: T) {
            guard mention >= 0 else { return }
            if mention >= head.count {
                // Grown geometrically (entries past the last mention are -1, "none"): one growth per doubling, not
                // one per mention.
                let n = max(mention + 1, 2 * head.count, 16)
                head.append(contentsOf: repeatElement(-1, count: n - head.count))
                tail.append(contentsOf: repeatElement(-1, count: n - tail.count))
            }
            if mention >= used { used = mention + 1 }
            let k = Int32(entries.count)
            entries.append((v, -1))
            let t = Int(tail[mention])
            if t >= 0 { entries[t].next = k } else { head[mention] = k }
            tail[mention] = k
        }

        /// Whether `mention` has an entry.
        func has(_ mention: Int) -> Bool { mention >= 0 && mention < head.count && head[mention] >= 0 }

        /// The position of the first entry of `mention` (-1 when it has none), for `entry`.
        func first(of mention: Int) -> Int { mention >= 0 && mention < head.count ? Int(head[mention]) : -1 }

        /// The entry at position `k` and the position of the next entry of the same mention; nil past the last.
        func entry(_ k: Int) -> (T, Int)? { k >= 0 && k < entries.count ? (entries[k].value, Int(entries[k].next)) : nil }

        /// Calls `body` with each entry of `mention`, in the order added (no array built).
        func forEach(of mention: Int, _ body: (T) -> Void) {
            guard mention >= 0, mention < head.count else { return }
            var k = Int(head[mention])
            while k >= 0 {
                body(entries[k].value)
                k = Int(entries[k].next)
            }
        }

        /// The number of entries of `mention`.
        func count(of mention: Int) -> Int {
            guard mention >= 0, mention < head.count else { return 0 }
            var n = 0
            var k = Int(head[mention])
            while k >= 0 { n += 1; k = Int(entries[k].next) }
            return n
        }

        /// The entries of `mention`, in the order added.
        func of(_ mention: Int) -> [T] {
            guard mention >= 0, mention < head.count else { return [] }
            var out: [T] = []
            // Sized once: growing from empty reallocates at 1, 2 and 4 entries.
            out.reserveCapacity(count(of: mention))
            var k = Int(head[mention])
            while k >= 0 {
                out.append(entries[k].value)
                k = Int(entries[k].next)
            }
            return out
        }
    }
    var termPrefix: [Int32] = []
    /// Parentheticals whose closing `)` is a `terminate` cue (token of `(`, token of `)`): see `terminated(_:_:acrossAsides:)`.
    var parentheticals: [(open: Int, close: Int)] = []
    var maxScope = 0
    /// Cue hits of sentence s are `cueHits[cueStart[s]..<cueStart[s + 1]]` (hits are found sentence by sentence).
    var cueStart: [Int] = []
    var warnings: [HilumError] = []
    var truncatedAt: Int? = nil
    /// Unicode scalars in `bytes` (set by `prepare`).
    var scalarCount = 0
    /// Longest term match at each token (end token and trie node), filled by `matchAll`.
    var longestEnd: [Int32] = []
    var longestNode: [Int32] = []
    /// The mentions grouped by sentence (`groupMentions`).
    var groups = MentionGroups()
    /// Tokens of a sentence where a term match starts (`matchAll`).
    var termStarts: [Int] = []
    /// Which walks each token may start (`matchAll`).
    var tokenStarts: [UInt8] = []
    /// The coordination cues of the sentence being linked (`linkAnatomy`).
    var coordinationCues: [CueHit] = []
    /// Per token: part of the subject (anchor) of a normality statement that denied something ("The cardiomediastinal
    /// silhouette is normal", "lungs are clear"). Filled by `resolveNormality`; the anatomy linker reads it.
    var normalitySubject: [Bool] = []
    /// Finding order of the result (`report`).
    var reportOrder: [Int] = []
    /// The sites of the finding being written (`report`).
    var siteBuffer: [Int] = []
    /// The ids of short ASCII words seen before (`keyTokens`), for the tables whose `serial` is `wordCacheSerial`.
    var wordCache: [WordCacheEntry] = []
    var wordCacheSerial: UInt64 = 0

    /// A word of one to eight ASCII letters and digits (its bytes in a little-endian word, the rest zero: no such word
    /// is 0, the empty entry) and the two ids `keyTokens` gives it: both depend on its bytes alone.
    /// Spelling corrections seen before (direct-mapped by key hash and language; `id` -1: no correction), for the
    /// tables whose `serial` is `wordCacheSerial`.
    var spellCache: [SpellCacheEntry] = []
    var spellCacheSerial: UInt64 = 0
    struct SpellCacheEntry {
        var hash: UInt64 = 0
        var id: Int32 = -1
    }
    static let spellCacheBits = 11
    /// Tokens read as a term word one edit away (`correctSpelling`).
    var corrected: [Int] = []

    struct WordCacheEntry {
        var word: UInt64 = 0
        var id: Int32 = -1
        var exact: Int32 = -1
    }
    /// Entries of the word cache (direct-mapped: a word's slot is a hash of its bytes; a new word takes the slot over).
    static let wordCacheBits = 12

    /// The same for ASCII words of nine to sixteen bytes ("cardiomegaly", "consolidation"), in a second, smaller table
    /// (same serial): `word2` holds the bytes after the eighth, zero-padded.
    var longWordCache: [LongWordCacheEntry] = []
    struct LongWordCacheEntry {
        var word: UInt64 = 0
        var word2: UInt64 = 0
        var id: Int32 = -1
        var exact: Int32 = -1
    }
    static let longWordCacheBits = 10

    /// Empties `a`, keeping its storage (an empty array is left alone: emptying costs a call even then).
    @inline(__always)
    static func clear<T>(_ a: inout [T]) {
        if !a.isEmpty { a.removeAll(keepingCapacity: true) }
    }

    /// Makes `a` hold `n` copies of `v`, reusing its storage: resized at its end, then overwritten in place (the
    /// scratch arrays come back with the last report's length, so most of the work is the overwrite).
    @inline(__always)
    static func refill<T>(_ a: inout [T], _ v: T, _ n: Int) {
        if a.count > n { a.removeLast(a.count - n) } else if a.count < n { a.append(contentsOf: repeatElement(v, count: n - a.count)) }
        a.withUnsafeMutableBufferPointer { $0.update(repeating: v) }
    }

    struct SectionInfo {
        var kind: SectionKind
        var headerTokens: Range<Int>?
        var firstToken: Int
        var rule: String?
    }

    struct CueHit {
        var rule: Int
        var tokens: Range<Int>
        var sentence: Int
    }

    struct Mention {
        /// Concept index (`AnalysisTables.conceptIDs`); -1 for a caller's `assert` target.
        var concept: Int32
        var tokens: Range<Int>
        var sentence: Int
        var assertion: Assertion = .present
        /// The hedge's certainty when `assertion` is uncertain.
        var certainty: Certainty? = nil
        var temporality: Temporality = .current
        var experiencer: Experiencer = .patient
        var change: Change? = nil
        var laterality: Laterality? = nil
        /// A finding without a side (`unsided`): the side the text gives its site ("hiatal hernia in the left
        /// cardiophrenic angle"), used only to pick regions; it is never reported as the finding's laterality.
        var siteSide: Laterality? = nil
        var severity: Severity? = nil
        var isTarget = false
        var fromNormality = false
        /// Tokens of the negation/uncertainty cue that decided the assertion.
        var decidingCue: Range<Int>? = nil
        /// When the side came only from a region word that implies one ("basilar": both bases, `weak_side`): that cue,
        /// logged as evidence once the finding's sites are known, unless a site names one side ("in the left basilar
        /// opacity": the left lower zone), which then gives the side instead.
        var weakSide: Ev? = nil
        /// A whole-study term read as the predicate of a normality statement ("Silueta cardiomediastínica sin hallazgos
        /// relevantes"): that statement's words, not a finding of its own; left out of the result.
        var predicateOnly = false
    }

    /// Evidence while analyzing: a cue hit or a normality anchor, without strings.
    struct Ev {
        /// Cue rule index, or normality rule index when `normality`.
        var rule: Int32
        var normality: Bool
        var tokens: Range<Int>
    }

    struct AnatomyMention {
        var concept: Int32
        var tokens: Range<Int>
        var sentence: Int
        /// For a site read inside a finding's own term (`inner-sites.tsv`): the mention of that finding, which it
        /// locates and no other; -1 otherwise.
        var owner: Int32 = -1
    }

    /// An empty document on `box`; `reset` starts each analysis.
    init(box: OntologyBox) {
        text = ""
        self.box = box
        bytes = []
    }

    /// Starts the analysis of `text`: every buffer is emptied with its capacity kept (a thread's document is reused
    /// from report to report, so a report costs no allocation for its buffers once the thread has seen one as long).
    /// The per-token arrays that are always refilled before they are read (`Document.refill`) keep their contents.
    mutating func reset(text: String, box: OntologyBox, maxBytes: Int) {
        Document.clear(&bytes)
        // Native strings are contiguous UTF-8: one copy, not a walk of the UTF-8 view.
        if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: text.utf8)
        }
        resetState(text: text, box: box, maxBytes: maxBytes)
    }

    /// `reset` for a text given as UTF-8 bytes, which must be well-formed (the document's `text` is left empty).
    mutating func reset(utf8: UnsafeBufferPointer<UInt8>, box: OntologyBox, maxBytes: Int) {
        Document.clear(&bytes)
        bytes.append(contentsOf: utf8)
        resetState(text: "", box: box, maxBytes: maxBytes)
    }

    /// `reset` after `bytes` holds the text.
    private mutating func resetState(text: String, box: OntologyBox, maxBytes: Int) {
        self.text = text
        self.box = box
        truncatedAt = nil
        Document.clear(&warnings)
        if bytes.count > maxBytes {
            // Cut at a scalar boundary.
            var cut = maxBytes
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes.removeSubrange(cut...)
            truncatedAt = cut
            warnings.append(HilumError("input.too_large", "report longer than the limit; analyzed the first \(cut) bytes"))
        }
        Document.clear(&tokens)
        lang = .en
        Document.clear(&sections)
        Document.clear(&sentences)
        Document.clear(&mentions)
        Document.clear(&anatomy)
        Document.clear(&cueHits)
        Document.clear(&anchorHits)
        Document.clear(&corrected)
        Document.clear(&normalitySubject)
        evidenceLog.removeAll()
        sites.removeAll()
        Document.clear(&termPrefix)   // refilled only when the language has tries
        Document.clear(&parentheticals)
        maxScope = 0
        Document.clear(&cueStart)
        scalarCount = 0
        wordCount = 0
    }

    // MARK: - Tokens

    mutating func prepare() {
        let keys = box.ontology.lexicon.keys
        let tables = box.ontology.lexicon.tables
        // The buffers are moved out and back so that appending to them never copies.
        var toks: [Token] = []
        var ids: [Int32] = []
        var exact: [Int32] = []
        var wp: [Int32] = []
        swap(&toks, &tokens); swap(&ids, &self.ids); swap(&exact, &exactIDs); swap(&wp, &wordPos)
        let yearID = tables.yearID
        bytes.withUnsafeBufferPointer { p in
            toks.reserveCapacity(p.count / 4 + 8)
            scalarCount = Tokenizer.tokenize(p, into: &toks)
            let count = toks.count
            // Sized once, then written by index (no append bookkeeping per token).
            Document.refill(&ids, -1, count)
            Document.refill(&exact, -1, count)
            Document.refill(&wp, 0, count)
            // The three per-token arrays are written through their buffers (sized to `count` just above): an index
            // write to a local array costs a uniqueness check and a bounds check per token.
            if wordCacheSerial != tables.serial || wordCache.count != 1 << Document.wordCacheBits
                || longWordCache.count != 1 << Document.longWordCacheBits {
                wordCache = Array(repeating: WordCacheEntry(), count: 1 << Document.wordCacheBits)
                longWordCache = Array(repeating: LongWordCacheEntry(), count: 1 << Document.longWordCacheBits)
                wordCacheSerial = tables.serial
            }
            ids.withUnsafeMutableBufferPointer { ids in
                exact.withUnsafeMutableBufferPointer { exact in
                    wp.withUnsafeMutableBufferPointer { wp in
                        wordCache.withUnsafeMutableBufferPointer { cache in
                            longWordCache.withUnsafeMutableBufferPointer { longCache in
                                Document.keyTokens(toks, p, ids: ids, exact: exact, wordPos: wp, keys: keys, tables: tables, yearID: yearID,
                                                   cache: cache, longCache: longCache)
                            }
                        }
                    }
                }
            }
        }
        // Words in the whole text: the position after the last token.
        if let last = toks.last, let w = wp.last {
            wordCount = Int(w) + (last.kind == .word || last.kind == .number ? 1 : 0)
        } else {
            wordCount = 0
        }
        tokens = toks
        self.ids = ids
        exactIDs = exact
        wordPos = wp
    }

    /// Keys each token of `toks` and looks it up: the normalized id, the exact-case id of case-sensitive terms (and the
    /// `{year}` id of a four-digit year), and the word position. The three buffers have one entry per token.
    static func keyTokens(_ toks: [Token], _ p: UnsafeBufferPointer<UInt8>, ids: UnsafeMutableBufferPointer<Int32>,
                          exact: UnsafeMutableBufferPointer<Int32>, wordPos wp: UnsafeMutableBufferPointer<Int32>,
                          keys: KeyTable, tables: AnalysisTables, yearID: Int32,
                          cache: UnsafeMutableBufferPointer<WordCacheEntry>, longCache: UnsafeMutableBufferPointer<LongWordCacheEntry>) {
        let count = toks.count
        guard ids.count == count, exact.count == count, wp.count == count, cache.count == 1 << wordCacheBits,
              let cacheBase = cache.baseAddress, longCache.count == 1 << longWordCacheBits, let longBase = longCache.baseAddress else { return }
        // Keys are built in fixed buffers on the stack (no array traffic per word, no allocation per report) and
        // looked up zero-padded to whole words.
        let room = Normalizer.maxKeyBytes + 16
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * room) { buf in
            guard let keyBuf = buf.baseAddress else { return }
            buf.initialize(repeating: 0)
            keyTokens(toks, p, ids: ids, exact: exact, wordPos: wp, keys: keys, tables: tables, yearID: yearID,
                      keyBuf: keyBuf, exactBuf: keyBuf + room, cache: cacheBase, longCache: longBase)
        }
    }

    /// `keyTokens` with its two key buffers (`Normalizer.maxKeyBytes + 16` zero bytes each).
    @inline(__always)
    static func keyTokens(_ toks: [Token], _ p: UnsafeBufferPointer<UInt8>, ids: UnsafeMutableBufferPointer<Int32>,
                          exact: UnsafeMutableBufferPointer<Int32>, wordPos wp: UnsafeMutableBufferPointer<Int32>,
                          keys: KeyTable, tables: AnalysisTables, yearID: Int32,
                          keyBuf: UnsafeMutablePointer<UInt8>, exactBuf: UnsafeMutablePointer<UInt8>,
                          cache: UnsafeMutablePointer<WordCacheEntry>, longCache: UnsafeMutablePointer<LongWordCacheEntry>) {
        let count = toks.count
        exactBuf[0] = Lexicon.exactPrefix
        var w: Int32 = 0
        let shift = UInt64(64 - wordCacheBits), longShift = UInt64(64 - longWordCacheBits)
        for k in 0..<count {
            let t = toks[k]
            wp[k] = w
            switch t.kind {
            case .word, .number:
                w += 1
                let s = Int(t.byteStart), e = Int(t.byteEnd)
                if e - s > 48 { continue }
                // An ASCII word of up to eight bytes: its ids from the word cache, or keyed and looked up in a register
                // (and cached).
                if e - s <= 8, s + 8 <= p.count, let base = p.baseAddress {
                    let n = e - s
                    let x = UInt64(littleEndian: UnsafeRawPointer(base + s).loadUnaligned(as: UInt64.self))
                        & (n >= 8 ? ~0 : (1 << UInt64(n * 8)) &- 1)
                    if x & 0x8080_8080_8080_8080 == 0 {
                        let slot = cache + Int(truncatingIfNeeded: (x &* 0x9E37_79B9_7F4A_7C15) >> shift)
                        var id = slot.pointee.id, ex = slot.pointee.exact
                        if slot.pointee.word != x {
                            id = Normalizer.keyWord(x, n).flatMap { keys.lookup(word: $0.key, count: $0.count) } ?? -1
                            ex = -1
                            if t.hasASCIIUpper || t.allUpper, tables.mayBeExact(first: p[s], length: n) {
                                (exactBuf + 1).update(from: base + s, count: n)
                                UnsafeMutableRawPointer(exactBuf + 1 + n).storeBytes(of: 0, as: UInt64.self)
                                ex = keys.lookup(padded: exactBuf, count: n + 1) ?? -1
                            }
                            slot.pointee = WordCacheEntry(word: x, id: id, exact: ex)
                        }
                        ids[k] = id
                        // A four-digit year also matches the `{year}` pattern token.
                        if t.kind == .number, n == 4, p[s] == 0x31 && p[s + 1] == 0x39 || p[s] == 0x32 && p[s + 1] == 0x30 {
                            exact[k] = yearID
                        } else {
                            exact[k] = ex
                        }
                        continue
                    }
                }
                // An ASCII word of nine to sixteen bytes: its ids from the long-word cache when it is there; keyed below
                // and cached when not.
                var longSlot: UnsafeMutablePointer<LongWordCacheEntry>? = nil
                var x0: UInt64 = 0, x1: UInt64 = 0
                if e - s > 8, e - s <= 16, s + 16 <= p.count, let base = p.baseAddress {
                    let n = e - s
                    x0 = UInt64(littleEndian: UnsafeRawPointer(base + s).loadUnaligned(as: UInt64.self))
                    x1 = UInt64(littleEndian: UnsafeRawPointer(base + s + 8).loadUnaligned(as: UInt64.self))
                        & (n >= 16 ? ~0 : (1 << UInt64((n - 8) * 8)) &- 1)
                    if (x0 | x1) & 0x8080_8080_8080_8080 == 0 {
                        let slot = longCache + Int(truncatingIfNeeded: ((x0 &* 0x9E37_79B9_7F4A_7C15) ^ (x1 &* 0xC2B2_AE3D_27D4_EB4F)) >> longShift)
                        if slot.pointee.word == x0 && slot.pointee.word2 == x1 {
                            ids[k] = slot.pointee.id
                            exact[k] = slot.pointee.exact
                            continue
                        }
                        longSlot = slot
                    }
                }
                // Any other word (non-ASCII, longer, near the end of the text, or not cached yet): keyed byte by byte.
                let n = Normalizer.keyWide(p, s, e, to: keyBuf)
                // Zero the bytes after the key up to the next whole word (n <= 48 < room - 8).
                UnsafeMutableRawPointer(keyBuf + n).storeBytes(of: 0, as: UInt64.self)
                ids[k] = keys.lookup(padded: keyBuf, count: n) ?? -1
                // A four-digit year also matches the `{year}` pattern token.
                if t.kind == .number, e - s == 4, p[s] == 0x31 && p[s + 1] == 0x39 || p[s] == 0x32 && p[s + 1] == 0x30 {
                    exact[k] = yearID
                    continue
                }
                // Exact form for case-sensitive terms (only tokens with an uppercase letter).
                if t.hasASCIIUpper || t.allUpper, tables.mayBeExact(first: p[s], length: e - s) {
                    if let src = p.baseAddress { (exactBuf + 1).update(from: src + s, count: e - s) }
                    UnsafeMutableRawPointer(exactBuf + 1 + e - s).storeBytes(of: 0, as: UInt64.self)
                    exact[k] = keys.lookup(padded: exactBuf, count: e - s + 1) ?? -1
                }
                // Both ids depend on the word's bytes alone (its case flags are read from them).
                longSlot?.pointee = LongWordCacheEntry(word: x0, word2: x1, id: ids[k], exact: exact[k])
            case .punct:
                keyBuf[0] = t.punct
                UnsafeMutableRawPointer(keyBuf + 1).storeBytes(of: 0, as: UInt64.self)
                ids[k] = keys.lookup(padded: keyBuf, count: 1) ?? -1
            case .placeholder:
                break
            }
        }
    }

    /// Language of the text: marker words (function words of `Ontology/language/`), words that start a
    /// term of one language's lexicon only, and Spanish letters (á é í ó ú ñ ¿ ¡). Ties go to English.
    func detect() -> Language {
        // Scores in half points.
        var en = 0, es = 0
        let bits = box.ontology.lexicon.tables.languageBits
        var n = 0
        for i in tokens.indices where tokens[i].kind == .word {
            n += 1
            if n > 400 { break }
            let id = Int(ids[i])
            guard id >= 0, id < bits.count else { continue }
            let b = bits[id]
            if b & 1 != 0 { en += 2 }
            if b & 2 != 0 { es += 2 }
            let inEn = b & 4 != 0, inEs = b & 8 != 0
            if inEn && !inEs { en += 1 }
            if inEs && !inEn { es += 1 }
        }
        let limit = min(bytes.count, 8000)
        let letters = bytes.withUnsafeBufferPointer { p -> Int in
            guard let base = p.baseAddress else { return 0 }
            var n = 0
            var i = 0
            while i + 1 < limit {
                // Skip ASCII eight bytes at a time.
                if i + 8 <= limit, UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
                let b = p[i]
                i += 1
                if b < 0xC2 { continue }
                if b == 0xC3 {
                    // á é í ó ú ñ (either case)
                    switch p[i] {
                    case 0xA1, 0xA9, 0xAD, 0xB3, 0xBA, 0xB1, 0x81, 0x89, 0x8D, 0x93, 0x9A, 0x91: n += 1
                    default: break
                    }
                } else if b == 0xC2 && (p[i] == 0xBF || p[i] == 0xA1) {
                    n += 1
                }
            }
            return n
        }
        es += 2 * letters
        return es > en ? .es : .en
    }

    /// The whole analysis and its result, in one mutating call: a thread's document is analyzed in place, never
    /// copied out of its scratch to build the result.
    mutating func analyze(lang: Language?, id: String?, full: Bool) -> AnalyzedReport {
        run(lang: lang)
        return report(id: id, full: full)
    }

    /// The analysis and the `assert` result of each target.
    mutating func assert(lang: Language?, targets: [String]) -> (Language, [TargetAssertion]) {
        run(lang: lang)
        return (self.lang, targets.map { assertTarget($0) })
    }

    mutating func run(lang: Language?) {
        prepare()
        self.lang = lang ?? detect()
        correctSpelling()
        findSections()
        findSentences()
        matchAll()
        applyContext()
        linkAnatomy()
    }

    /// Reads a word the lexicon does not know, one edit from exactly one word of the language's terms, as that word
    /// ("consoldiaciones", "hemidifragma", "pnemothorax"; `SpellIndex`). Each correction is a `text.spelling` warning
    /// with the word's span.
    mutating func correctSpelling() {
        let tables = box.ontology.lexicon.tables
        guard let tries = tables.tries(lang), !tries.spelling.isEmpty else { return }
        if spellCache.count != 1 << Document.spellCacheBits || spellCacheSerial != tables.serial {
            spellCache = Array(repeating: SpellCacheEntry(), count: 1 << Document.spellCacheBits)
            spellCacheSerial = tables.serial
        }
        let spelling = tries.spelling
        let langSalt: UInt64 = lang == .es ? 0x5A5A_5A5A_5A5A_5A5A : 0
        let shift = UInt64(64 - Document.spellCacheBits)
        // Unknown words long enough, found through the buffers (no per-token bounds or uniqueness checks), then looked up.
        var fixed: [(Int, Int32)] = []
        var cache: [SpellCacheEntry] = []
        swap(&cache, &spellCache)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Normalizer.maxKeyBytes + 16) { buf in
            guard let key = buf.baseAddress else { return }
            bytes.withUnsafeBufferPointer { p in
                tokens.withUnsafeBufferPointer { toks in
                    ids.withUnsafeBufferPointer { idv in
                        exactIDs.withUnsafeBufferPointer { ex in
                            cache.withUnsafeMutableBufferPointer { c in
                                let count = min(toks.count, idv.count, ex.count)
                                for k in 0..<count where idv[k] < 0 && ex[k] < 0 && toks[k].kind == .word
                                    && toks[k].byteEnd - toks[k].byteStart >= Int32(SpellIndex.minLength) {
                                    let s = Int(toks[k].byteStart), e = Int(toks[k].byteEnd)
                                    guard e - s <= 48, e <= p.count else { continue }
                                    // Cached by the word's own bytes: most unknown words recur from report to report,
                                    // and are keyed only the first time.
                                    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ langSalt
                                    for j in s..<e { h = (h ^ UInt64(p[j])) &* 0x100_0000_01B3 }
                                    let slot = Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> shift)
                                    var id: Int32
                                    if slot < c.count, c[slot].hash == h {
                                        id = c[slot].id
                                    } else {
                                        let n = Normalizer.keyWide(p, s, e, to: key)
                                        id = n >= SpellIndex.minLength ? spelling.correct(UnsafeBufferPointer(start: key, count: n)) ?? -1 : -1
                                        if slot < c.count { c[slot] = SpellCacheEntry(hash: h, id: id) }
                                    }
                                    if id >= 0 { fixed.append((k, id)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        swap(&cache, &spellCache)
        var spans: [String] = []
        for (k, id) in fixed where k < ids.count {
            ids[k] = id
            corrected.append(k)
            spans.append("[\(tokens[k].start), \(tokens[k].end))")
        }
        if !spans.isEmpty {
            warnings.append(HilumError("text.spelling", "read as the term word one edit away: the words at \(spans.joined(separator: ", "))"))
        }
    }

    @inline(__always)
    func isWord(_ i: Int) -> Bool { tokens[i].kind == .word || tokens[i].kind == .number }

}

/// The per-token arrays a trie walk reads. The walks are methods of this small value rather than of `Document`:
/// calling a method of the document from its mutating passes copied the whole document to the stack on each call.
struct MatchView {
    let tokens: [Token]
    let ids: [Int32]
    let exactIDs: [Int32]

    /// Longest match of `trie` starting at token `i` within `limit`; returns the end token and node.
    /// Tokens with both a normalized and an exact id are tried both ways.
    ///
    /// With `transparent` (per key id), a run of those words inside a phrase is passed over when the phrase does not go
    /// on with them ("heart remains moderately enlarged" is "heart remains enlarged"); they never start or end a match.
    @inline(__always)
    func longest(_ trie: PhraseTrie, at i: Int, limit: Int, skip: [Bool]? = nil,
                 transparent: [Bool]? = nil, root: Int32? = nil) -> (end: Int, node: Int32)? {
        // Fast path: no token in reach has an exact-case id, so the walk is a single path. The node records are read
        // in place (see `PhraseTrie.data`): a node's header, payload count and edges lie together.
        let e0 = exactIDs[i]
        if e0 < 0 {
            // `root`: the trie's node for the first word, when the caller has read it (`LanguageTries.startRoots`).
            guard let start = root.map({ $0 >= 0 ? $0 : nil }) ?? trie.start(ids[i]) else { return nil }
            var needsBranching = false
            let found = trie.data.withUnsafeBufferPointer { d -> (end: Int, node: Int32)? in
                var best: (end: Int, node: Int32)? = nil
                var node = Int(start)
                var j = i + 1
                while node >= 0, node + 1 < d.count {
                    let edges = Int(d[node])
                    let payloads = Int(d[node + 1] & 0xFF_FFFF)
                    if payloads > 0 { best = (j, Int32(truncatingIfNeeded: node)) }
                    guard j < limit, edges > 0 else { break }
                    if tokens[j].kind == .placeholder || exactIDs[j] >= 0 { needsBranching = true; break }
                    if let skip, skip[j] { break }
                    let keys = node + 2 + payloads
                    guard keys + 2 * edges <= d.count else { break }
                    let id = ids[j]
                    var lo = keys, hi = id >= 0 ? keys + edges : keys
                    var next = -1
                    while lo < hi {
                        let mid = (lo + hi) >> 1
                        let k = d[mid]
                        if k == id { next = Int(d[mid + edges]); break }
                        if k < id { lo = mid + 1 } else { hi = mid }
                    }
                    if next >= 0 {
                        node = next
                        j += 1
                        continue
                    }
                    if let transparent, isTransparent(j, transparent) { needsBranching = true }
                    break
                }
                return best
            }
            if !needsBranching { return found }
        }
        return longestBranching(trie, at: i, limit: limit, skip: skip, transparent: transparent)
    }

    /// Whether token `j` is a word that `transparent` (per key id) lets a phrase pass over.
    @inline(__always)
    func isTransparent(_ j: Int, _ transparent: [Bool]) -> Bool {
        let id = Int(ids[j])
        return id >= 0 && id < transparent.count && transparent[id] && tokens[j].kind == .word
    }

    /// The general walk: tokens with both a normalized and an exact-case id are tried both ways.
    func longestBranching(_ trie: PhraseTrie, at i: Int, limit: Int, skip: [Bool]?,
                          transparent: [Bool]? = nil) -> (end: Int, node: Int32)? {
        // The walk's stack is on the stack: it grows by at most one entry per word of the deepest phrase.
        withUnsafeTemporaryAllocation(of: (Int, Int32).self, capacity: 32) { buf in
            longestBranching(trie, at: i, limit: limit, skip: skip, transparent: transparent, stack: buf)
        }
    }

    /// `longestBranching` with its stack in `buf`, continued in an array past `buf`'s capacity (a phrase deeper than
    /// the buffer, which the shipped lexicon does not have).
    func longestBranching(_ trie: PhraseTrie, at i: Int, limit: Int, skip: [Bool]?, transparent: [Bool]? = nil,
                          stack buf: UnsafeMutableBufferPointer<(Int, Int32)>) -> (end: Int, node: Int32)? {
        let base = buf.baseAddress
        let cap = base == nil ? 0 : buf.count
        var top = 0
        // Entries pushed while the buffer is full; they are above every buffer entry, so they are popped first.
        var spill: [(Int, Int32)] = []
        @inline(__always) func push(_ e: (Int, Int32)) {
            if top < cap, let base {
                (base + top).initialize(to: e)
                top += 1
            } else {
                spill.append(e)
            }
        }
        @inline(__always) func pop() -> (Int, Int32)? {
            if !spill.isEmpty { return spill.removeLast() }
            guard top > 0, let base else { return nil }
            top -= 1
            return base[top]
        }
        var best: (Int, Int32)? = nil
        if let n = trie.start(ids[i]) { push((i + 1, n)) }
        if exactIDs[i] >= 0, let n = trie.start(exactIDs[i]) { push((i + 1, n)) }
        while let (j0, node) = pop() {
            if trie.hasPayload(node), j0 > (best?.0 ?? -1) { best = (j0, node) }
            guard j0 < limit, trie.hasChildren(node) else { continue }
            var j = j0
            // A de-identification placeholder inside a phrase is transparent ("heart XXXX enlarged"). It
            // never completes a term: the removed word may be the one that makes it a finding
            // ("heart size XXXX" may be "heart size normal").
            while j < limit, tokens[j].kind == .placeholder { j += 1 }
            guard j < limit else { continue }
            if let skip, skip[j] { continue }
            if let n = trie.next(node, ids[j]) { push((j + 1, n)) }
            if exactIDs[j] >= 0, let n = trie.next(node, exactIDs[j]) { push((j + 1, n)) }
            // Degree modifiers inside the phrase: the walk also goes on from the word after them.
            if let transparent, isTransparent(j, transparent) {
                var k = j + 1
                while k < limit, isTransparent(k, transparent) || tokens[k].kind == .placeholder { k += 1 }
                guard k < limit, skip?[k] != true else { continue }
                if let n = trie.next(node, ids[k]) { push((k + 1, n)) }
                if exactIDs[k] >= 0, let n = trie.next(node, exactIDs[k]) { push((k + 1, n)) }
            }
        }
        return best.map { (end: $0.0, node: $0.1) }
    }
}
