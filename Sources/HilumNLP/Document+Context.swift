internal import HilumCore
internal import HilumOntology

extension Document {
    struct AnchorHit {
        var rule: Int
        var tokens: Range<Int>
        var sentence: Int
    }

    /// Matches terms (leftmost-longest) and cues in every sentence. The longest term match is computed once
    /// at every start: the leftmost-longest walk and the normality anchors (found at every start: "hilum"
    /// inside the anatomy term "left hilum") both read it.
    mutating func matchAll() {
        let tb = box.ontology.lexicon.tables
        guard let tries = tb.tries(lang) else {
            Document.refill(&cueStart, 0, sentences.count + 1)
            return
        }
        let actions = tb.actions
        let cueCount = tb.cues.count
        let roots = tries.startRoots
        // Which walks each token may start, read once for the two passes over every sentence: bit 1, a term (a word,
        // not a header's, whose key starts a term of the language or that has an exact-case id); bit 2, a cue (any
        // token but a header's or a placeholder, by the same test on the cue trie). Most tokens start neither.
        var startMask: [UInt8] = []
        swap(&startMask, &tokenStarts)
        Document.refill(&startMask, 0, tokens.count)
        defer { swap(&startMask, &tokenStarts) }
        startMask.withUnsafeMutableBufferPointer { mask in
            tokens.withUnsafeBufferPointer { toks in
                ids.withUnsafeBufferPointer { keyIDs in
                    exactIDs.withUnsafeBufferPointer { exact in
                        headerToken.withUnsafeBufferPointer { header in
                            roots.withUnsafeBufferPointer { roots in
                                let n = min(mask.count, toks.count, keyIDs.count, exact.count, header.count)
                                for i in 0..<n where !header[i] {
                                    let id = Int(keyIDs[i])
                                    var term = exact[i] >= 0, cue = term
                                    if !term, id >= 0, 2 * id + 1 < roots.count {
                                        term = roots[2 * id] >= 0
                                        cue = roots[2 * id + 1] >= 0
                                    }
                                    let kind = toks[i].kind
                                    var m: UInt8 = 0
                                    if term && (kind == .word || kind == .number) { m |= 1 }
                                    if cue && kind != .placeholder { m |= 2 }
                                    mask[i] = m
                                }
                            }
                        }
                    }
                }
            }
        }
        var anchors: [AnchorHit] = []
        swap(&anchors, &anchorHits)
        anchors.removeAll(keepingCapacity: true)
        var longestEnd: [Int32] = [], longestNode: [Int32] = []
        swap(&longestEnd, &self.longestEnd); swap(&longestNode, &self.longestNode)
        Document.refill(&longestEnd, -1, tokens.count)
        Document.refill(&longestNode, -1, tokens.count)
        defer { swap(&longestEnd, &self.longestEnd); swap(&longestNode, &self.longestNode) }
        let view = MatchView(tokens: tokens, ids: ids, exactIDs: exactIDs)
        /// Tokens of the sentence where a term match starts, in order.
        var starts: [Int] = []
        swap(&starts, &termStarts)
        defer { swap(&starts, &termStarts) }
        cueStart.reserveCapacity(sentences.count + 1)
        for (si, range) in sentences.enumerated() {
            cueStart.append(cueHits.count)
            let sentenceFirstMention = mentions.count
            starts.removeAll(keepingCapacity: true)
            for i in range where startMask[i] & 1 != 0 {
                if let m = view.longest(tries.terms, at: i, limit: range.upperBound, skip: headerToken, transparent: tries.transparent,
                                        root: root(roots, ids[i], 0)) {
                    longestEnd[i] = Int32(m.end)
                    longestNode[i] = m.node
                    starts.append(i)
                }
            }
            /// Whether the longest match at token `k` names a finding.
            func namesFinding(_ k: Int) -> Bool { tries.namesFinding(longestNode[k]) }
            // The matches, in start order, skipping those inside the one taken.
            var i = range.lowerBound
            for st in starts where st >= i {
                i = st
                let end = Int(longestEnd[i])
                let r = i..<end
                let firstNew = mentions.count
                // An anatomical phrase does not hide a finding that starts inside it and ends after it ("left 6th rib
                // fracture": the anatomy "6th rib" and the finding "rib fracture"): matching resumes at that finding.
                var resume = end
                if !namesFinding(i) {
                    for k in (i + 1)..<end where Int(longestEnd[k]) > end && namesFinding(k) { resume = k; break }
                }
                for q in tries.terms.payloadRange(longestNode[i]) {
                    let p = tries.terms.payload(at: q)
                    guard p >= 0 && Int(p) < actions.count else { continue }
                    switch actions[Int(p)] {
                    case .anatomy(let c):
                        // A concept reached by two payloads (its preferred name and the same words as a term row) is one mention.
                        if anatomy.last.map({ $0.concept == c && $0.tokens == r }) != true {
                            anatomy.append(AnatomyMention(concept: c, tokens: r, sentence: si))
                        }
                    case .finding(let c):
                        var seen = false
                        var k = max(sentenceFirstMention, mentions.count - 8)
                        while k < mentions.count {
                            if mentions[k].concept == c && mentions[k].tokens == r { seen = true; break }
                            k += 1
                        }
                        if !seen { mentions.append(Mention(concept: c, tokens: r, sentence: si)) }
                    case .anchor, .none:
                        break  // anchors are collected below, also inside longer matches
                    }
                }
                if mentions.count > firstNew, end - i > 1 {
                    addInnerSites(view, tries, in: r, sentence: si, sentenceEnd: range.upperBound, owner: firstNew)
                }
                i = resume
            }
            var anchorEnd = -1
            for i in starts {
                let end = Int(longestEnd[i])
                guard end > anchorEnd else { continue }
                var got = false
                for q in tries.terms.payloadRange(longestNode[i]) {
                    let p = tries.terms.payload(at: q)
                    guard p >= 0 && Int(p) < actions.count else { continue }
                    if case .anchor(let a) = actions[Int(p)] {
                        anchors.append(AnchorHit(rule: a, tokens: i..<end, sentence: si))
                        got = true
                    }
                }
                if got { anchorEnd = end }
            }
            // (A function of its own: in the one large loop body the walks' state spilled to the stack.)
            matchCues(view, tries, roots, sentence: si, range: range, startMask: startMask, longestEnd: longestEnd,
                      longestNode: longestNode, cueCount: cueCount)
        }
        cueStart.append(cueHits.count)
        anchorHits = anchors
        buildTerminatorIndex()
        resolveNormality(anchors)
    }

    /// The cue hits of sentence `si` (tokens `range`), for `matchAll`: the longest pattern at every start that may
    /// start one (`startMask` bit 2); `longestEnd` holds the longest term match at each token.
    mutating func matchCues(_ view: MatchView, _ tries: AnalysisTables.LanguageTries, _ roots: [Int32], sentence si: Int,
                            range: Range<Int>, startMask: [UInt8], longestEnd: [Int32], longestNode: [Int32], cueCount: Int) {
        /// Whether the longest match at token `k` names a finding.
        func namesFinding(_ k: Int) -> Bool { tries.namesFinding(longestNode[k]) }
        // Cues: the longest pattern at every start; a match inside a longer one is dropped ("no" in
        // "no change"), overlapping ones both stay ("resto sin" and "sin cambios"). Every rule
        // ending at the node fires.
        var maxEnd = -1
        for i in range where startMask[i] & 2 != 0 {
            guard var m = view.longest(tries.cues, at: i, limit: range.upperBound, skip: headerToken, root: root(roots, ids[i], 1)) else { continue }
            // A cue whose last words open a finding that goes on after it ("sin aumento" + "aumento de la trama
            // reticular") gives way to a negation before that finding ("sin"): the words are the finding's, not a change.
            if !tries.onlyNegation(m.node), let k = ((i + 1)..<m.end).first(where: { Int(longestEnd[$0]) > m.end && namesFinding($0) }),
               let shorter = view.longest(tries.cues, at: i, limit: k, skip: headerToken), tries.onlyNegation(shorter.node) {
                m = shorter
            }
            // In start order: contained in an earlier match iff it ends no later than the furthest end so far.
            if m.end <= maxEnd { continue }
            maxEnd = m.end
            for q in tries.cues.payloadRange(m.node) {
                let p = tries.cues.payload(at: q)
                guard p >= 0 && Int(p) < cueCount else { continue }
                cueHits.append(CueHit(rule: Int(p), tokens: i..<m.end, sentence: si))
            }
        }
    }

    /// Entry `which` (0 terms, 1 cues) of key `id` in `LanguageTries.startRoots`; nil when the id has none.
    @inline(__always)
    func root(_ roots: [Int32], _ id: Int32, _ which: Int) -> Int32? {
        let k = 2 * Int(id) + which
        return id >= 0 && k < roots.count ? roots[k] : nil
    }

    /// The sites written inside the words of a finding's term ("apical bullae", "degenerative changes of the thoracic
    /// spine", "hipoventilación bibasal"): each anatomical phrase of `inner-sites.tsv` that starts inside `r` (at its
    /// first word, one shorter than the whole term) becomes an anatomical mention owned by mention `owner`. A phrase
    /// that starts inside the term may go on after it ("cambios degenerativos en la columna" + "dorsal").
    mutating func addInnerSites(_ view: MatchView, _ tries: AnalysisTables.LanguageTries, in r: Range<Int>, sentence si: Int,
                                sentenceEnd: Int, owner: Int) {
        let tb = box.ontology.lexicon.tables
        var k = r.lowerBound
        while k < r.upperBound {
            let id = Int(ids[k])
            // Most words of a term start no place: no walk for them.
            guard isWord(k), (id >= 0 && id < tries.placeStart.count && tries.placeStart[id]) || exactIDs[k] >= 0 else {
                k += 1
                continue
            }
            // From a word inside the term: first the longest phrase, which may run past the term's end, then the
            // longest within the term (the first word only looks for a phrase shorter than the whole term).
            var found = -1
            for pass in 0..<(k == r.lowerBound ? 1 : 2) where found < 0 {
                let limit = k == r.lowerBound ? r.upperBound - 1 : pass == 0 ? sentenceEnd : r.upperBound
                guard let m = view.longest(tries.terms, at: k, limit: limit, skip: headerToken) else { continue }
                for q in tries.terms.payloadRange(m.node) {
                    let p = Int(tries.terms.payload(at: q))
                    guard p >= 0, p < tb.actions.count, case .anatomy(let c) = tb.actions[p] else { continue }
                    // The words of any anatomical phrase are that phrase's, listed or not ("ascending aorta" is not "aorta").
                    found = m.end
                    guard Int(c) < tb.innerSite.count, tb.innerSite[Int(c)] else { continue }
                    // Words already read as a wider place before the term ("right basilar" of "right basilar atelectasis"):
                    // that place, not the side-less one inside it.
                    if coveredByPlace(k..<m.end, sentence: si) { continue }
                    if anatomy.last.map({ $0.concept == c && $0.tokens == k..<m.end }) != true {
                        anatomy.append(AnatomyMention(concept: c, tokens: k..<m.end, sentence: si, owner: Int32(owner)))
                    }
                }
            }
            k = found > k ? found : k + 1
        }
    }

    /// Whether an anatomical mention of sentence `s` that no term owns spans `r` (and more). Mentions are in start
    /// order: only the last few can reach `r` (a bounded look, whatever the sentence's length).
    func coveredByPlace(_ r: Range<Int>, sentence s: Int) -> Bool {
        var k = anatomy.count - 1
        while k >= 0, k >= anatomy.count - 4, anatomy[k].sentence == s {
            let t = anatomy[k].tokens
            if anatomy[k].owner < 0, t.lowerBound <= r.lowerBound, t.upperBound >= r.upperBound, t.count > r.count { return true }
            k -= 1
        }
        return false
    }

    /// The cue hits of sentence `s`.
    @inline(__always)
    func cues(ofSentence s: Int) -> ArraySlice<CueHit> {
        guard s >= 0, s + 1 < cueStart.count else { return cueHits[0..<0] }
        return cueHits[cueStart[s]..<cueStart[s + 1]]
    }

    /// The cue hits of sentence `s` that start at token `from` or later (hits are in start order: a binary search, so
    /// that a look along one long sentence does not walk it from its start).
    func cues(ofSentence s: Int, from: Int) -> ArraySlice<CueHit> {
        let all = cues(ofSentence: s)
        var lo = all.startIndex, hi = all.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if all[mid].tokens.lowerBound < from { lo = mid + 1 } else { hi = mid }
        }
        return all[lo..<all.endIndex]
    }

    /// The first index of `list` (ordered by `key`) whose key is not below `bound`: a binary search, so that a look at
    /// one sentence or one place of a long report does not walk the report.
    func firstIndex<C: RandomAccessCollection, K: Comparable>(_ list: C, notBelow bound: K, _ key: (C.Element) -> K) -> Int
        where C.Index == Int {
        var lo = list.startIndex, hi = list.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if key(list[mid]) < bound { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A position in the report: sentence, then start token (the order mentions and places are found in).
    struct SentenceStart: Comparable {
        var sentence: Int, start: Int
        static func < (x: SentenceStart, y: SentenceStart) -> Bool { (x.sentence, x.start) < (y.sentence, y.start) }
    }

    /// Whether `list` (in sentence order) holds an element of sentence `s`.
    func has<C: RandomAccessCollection>(_ list: C, sentence s: Int, _ sentenceOf: (C.Element) -> Int) -> Bool where C.Index == Int {
        let i = firstIndex(list, notBelow: s, sentenceOf)
        return i < list.endIndex && sentenceOf(list[i]) == s
    }

    /// Words strictly between two token positions (a <= b).
    @inline(__always)
    func wordsBetween(_ a: Int, _ b: Int) -> Int {
        guard a < b, a >= 0, b <= wordPos.count else { return 0 }
        let wa = Int(wordPos[a])
        // (The text's end: the word count `prepare` kept. Reading the last token here left a copy of the whole
        // document in the callers' loops.)
        let wb = b < wordPos.count ? Int(wordPos[b]) : wordCount
        return max(0, wb - wa)
    }

    /// Commas in tokens [a, b) (0 when b <= a).
    @inline(__always)
    func commas(_ a: Int, _ b: Int) -> Int {
        guard a < b else { return 0 }
        var n = 0
        for k in a..<min(b, tokens.count) where tokens[k].kind == .punct && tokens[k].punct == 0x2C { n += 1 }
        return n
    }

    func isTerminator(_ i: Int) -> Bool { tokens[i].kind == .punct && tokens[i].punct == 0x3B }

    /// Whether a terminator (a `terminate` cue or `;`) lies in tokens [a, b). With `acrossAsides`, a `terminate` cue
    /// on a closing parenthesis whose whole parenthetical lies in [a, b) does not count: a backward cue reaches over
    /// the aside to its finding ("opacidad en base derecha (seno) que ha aumentado").
    func terminated(_ a: Int, _ b: Int, acrossAsides: Bool = false) -> Bool {
        guard a < b, a >= 0, b < termPrefix.count else { return false }
        let n = termPrefix[b] - termPrefix[a]
        guard n > 0, acrossAsides, !parentheticals.isEmpty else { return n > 0 }
        var inner: Int32 = 0
        for pair in parentheticals where pair.open >= a && pair.close < b { inner += 1 }
        return n > inner
    }

    /// Prefix counts of scope terminators (`;` and the first token of `terminate` cues), so that
    /// "is there a terminator between a and b" is O(1).
    mutating func buildTerminatorIndex() {
        // Marks first (p[k + 1] = 1 when token k ends scopes), then prefix sums in place.
        var p: [Int32] = []
        swap(&p, &termPrefix)
        Document.refill(&p, 0, tokens.count + 1)
        for k in tokens.indices where isTerminator(k) { p[k + 1] = 1 }
        let tb = box.ontology.lexicon.tables
        parentheticals.removeAll()
        for c in cueHits where tb.cues[c.rule].category == .terminate && c.tokens.lowerBound < tokens.count {
            let k = c.tokens.lowerBound
            p[k + 1] = 1
            if tokens[k].kind == .punct && tokens[k].punct == 0x29, let open = openingParenthesis(of: k, sentence: c.sentence) {
                parentheticals.append((open, k))
            }
        }
        for k in 0..<tokens.count { p[k + 1] += p[k] }
        termPrefix = p
        maxScope = tb.maxCueScope
    }

    /// The `(` that token `close` (a `)`) closes within its sentence, if any.
    func openingParenthesis(of close: Int, sentence: Int) -> Int? {
        guard sentence >= 0, sentence < sentences.count else { return nil }
        var depth = 0
        var k = close - 1
        while k >= sentences[sentence].lowerBound {
            if tokens[k].kind == .punct {
                if tokens[k].punct == 0x29 { depth += 1 } else if tokens[k].punct == 0x28 { if depth == 0 { return k }; depth -= 1 }
            }
            k -= 1
        }
        return nil
    }

    /// Indices into `list` (sorted by start token) of the items that start within `words` words of `r`.
    func window<C: RandomAccessCollection>(_ list: C, start: (C.Element) -> Int, around r: Range<Int>, words: Int) -> Range<Int> where C.Index == Int {
        guard !list.isEmpty, !r.isEmpty else { return list.startIndex..<list.startIndex }
        let lo = Int(wordPos[r.lowerBound]) - words
        let hi = Int(wordPos[r.upperBound - 1]) + words
        var a = list.startIndex, b = list.endIndex
        while a < b { let m = (a + b) / 2; if Int(wordPos[start(list[m])]) < lo { a = m + 1 } else { b = m } }
        var e = a
        while e < list.endIndex && Int(wordPos[start(list[e])]) <= hi { e += 1 }
        return a..<e
    }

    /// Distance from a cue to a mention if the cue's direction and scope reach it, else nil.
    /// `forward` is true when the cue precedes the mention.
    func reach(_ cue: CueHit, _ target: Range<Int>) -> (dist: Int, forward: Bool)? {
        let rule = box.ontology.lexicon.tables.cues[cue.rule]
        let c = cue.tokens
        // A cue inside the target never applies, except a change cue strictly inside a predicate term ("heart remains
        // enlarged", "left hemidiaphragm is again elevated"): the term's words around it are the finding. One that
        // overlaps the target's start or end touches it.
        if c.lowerBound >= target.lowerBound && c.upperBound <= target.upperBound {
            if case .change = rule.category, c.lowerBound > target.lowerBound, c.upperBound < target.upperBound { return (0, true) }
            return nil
        }
        if c.lowerBound < target.lowerBound, rule.direction != .backward {
            let from = min(c.upperBound, target.lowerBound)
            let d = wordsBetween(from, target.lowerBound)
            if d <= rule.scope, !terminated(from, target.lowerBound),
               rule.opensList || ((!rule.commaLists || listGoesOn(cue, from, target))
                                  && (!rule.category.qualifiesAssertion || !statementOpens(cue, from, target))) { return (d, true) }
        }
        if c.upperBound > target.upperBound, rule.direction != .forward {
            let to = max(c.lowerBound, target.upperBound)
            let d = wordsBetween(target.upperBound, to)
            if d <= rule.scope, !terminated(target.upperBound, to, acrossAsides: true) { return (d, false) }
        }
        return nil
    }

    /// Whether one of the mentions `indices` (of one sentence, in start order) lies strictly between the mention at `a`
    /// and the cue at `b` (a binary search to the first that starts there: a bounded look in a long sentence).
    func hasMention(_ indices: ArraySlice<Int>, of mentions: [Mention], between a: Range<Int>, and b: Range<Int>) -> Bool {
        let lo = min(a.upperBound, b.upperBound), hi = max(a.lowerBound, b.lowerBound)
        var q = firstIndex(indices, notBelow: lo) { $0 >= 0 && $0 < mentions.count ? mentions[$0].tokens.lowerBound : Int.max }
        while q < indices.endIndex {
            let k = indices[q]
            q += 1
            guard k >= 0, k < mentions.count else { continue }
            let t = mentions[k].tokens
            if t.lowerBound >= hi { break }
            if t != a, t.upperBound <= hi { return true }
        }
        return false
    }

    /// The last comma token in `from..<end`, if any.
    func lastComma(_ from: Int, before end: Int) -> Int? {
        var k = min(end, tokens.count) - 1
        while k >= max(from, 0) {
            if tokens[k].kind == .punct && tokens[k].punct == 0x2C { return k }
            k -= 1
        }
        return nil
    }

    /// For a `comma_lists` rule: whether its scope goes on over the commas between `from` and the target, i.e. into a
    /// list ("sin derrame, neumotórax ni condensaciones": a `list` conjunction, or another negation, after the last comma
    /// before the target) and not into the next statement ("sin derrame pleural, cardiomegalia moderada").
    func listGoesOn(_ cue: CueHit, _ from: Int, _ target: Range<Int>) -> Bool {
        guard let comma = lastComma(from, before: target.lowerBound) else { return true }
        let tb = box.ontology.lexicon.tables
        for h in cues(ofSentence: cue.sentence, from: comma + 1) {
            let rule = tb.cues[h.rule]
            guard rule.category == .negation || (rule.category == .coordinate && rule.list) else { continue }
            // After the target, the list must not have ended first.
            if h.tokens.lowerBound >= target.upperBound && terminated(target.upperBound, h.tokens.lowerBound) { return false }
            return true
        }
        return false
    }

    /// Whether the target's list item, after a comma between `from` and the target, holds a modifier that opens a new
    /// statement (`opens_statement`: "no pleural effusion, mild cardiomegaly"; "sin derrame pleural, cardiomegalia leve
    /// y elongación aórtica"). The item runs from the last comma, or from an "and" joining it to such an item, to the next
    /// comma or conjunction. It stays in the negated list after "or" ("no consolidation, pneumothorax or large
    /// effusion"), and when "or" follows it ("no consolidation, large effusion, or pneumothorax").
    func statementOpens(_ cue: CueHit, _ from: Int, _ target: Range<Int>) -> Bool {
        guard let comma = lastComma(from, before: target.lowerBound) else { return false }
        // The item ends at the next comma, or at most 32 tokens on (an item is a short phrase).
        var itemEnd = target.upperBound
        let sentenceEnd = min(cue.sentence < sentences.count ? sentences[cue.sentence].upperBound : tokens.count, target.upperBound + 32)
        while itemEnd < sentenceEnd && !(tokens[itemEnd].kind == .punct && tokens[itemEnd].punct == 0x2C) { itemEnd += 1 }
        let tb = box.ontology.lexicon.tables
        var opens = false
        for h in cues(ofSentence: cue.sentence, from: comma + 1) {
            let at = h.tokens.lowerBound
            let rule = tb.cues[h.rule]
            let conjunction = rule.category == .coordinate && rule.list
            if at < target.lowerBound {
                if conjunction && rule.alternatives { return false }
                if rule.opensStatement { opens = true }
            } else if at >= target.upperBound && at < itemEnd {
                // A negation after the item opens the next item of the denied list ("…, consolidaciones ni derrame
                // pleural de nueva aparición"): the item ends there.
                if conjunction || rule.category == .negation { itemEnd = at } else if rule.opensStatement { opens = true }
            }
            // The first cue after the item decides: an "or" keeps the item in the list.
            if at >= itemEnd {
                return opens && !(conjunction && rule.alternatives && !terminated(target.upperBound, at))
            }
        }
        return opens
    }

    func span(_ r: Range<Int>) -> TextSpan {
        guard !r.isEmpty, r.lowerBound >= 0, r.upperBound <= tokens.count else { return TextSpan(0, 0) }
        return TextSpan(Int(tokens[r.lowerBound].start), Int(tokens[r.upperBound - 1].end))
    }

    @inline(__always)
    func evidence(_ c: CueHit) -> Ev { Ev(rule: Int32(c.rule), normality: false, tokens: c.tokens) }

    /// The public form of a piece of evidence, sorted by span by the callers.
    func render(_ e: Ev, _ p: JSONPieces) -> Evidence {
        let r = Int(e.rule)
        if e.normality {
            guard r >= 0, r < box.ontology.normality.count else {
                return Evidence(rule: "", category: "normality", span: span(e.tokens))
            }
            // The rule's JSON piece holds its id and category, read once per ontology.
            if r < p.normality.count {
                let j = p.normality[r]
                return Evidence(j, span: span(e.tokens))
            }
            return Evidence(rule: box.ontology.normality[r].id, category: "normality", span: span(e.tokens))
        }
        guard r >= 0, r < box.ontology.cues.count, r < box.ontology.lexicon.tables.cues.count else {
            return Evidence(rule: "", category: "", span: span(e.tokens))
        }
        if r < p.cues.count {
            let j = p.cues[r]
            return Evidence(j, span: span(e.tokens))
        }
        return Evidence(rule: box.ontology.cues[r].id, category: box.ontology.lexicon.tables.cues[r].category.family, span: span(e.tokens))
    }

    /// The evidence of mention `i` in `log`, sorted by span.
    func rendered(_ i: Int, in log: MentionLog<Ev>, _ p: JSONPieces) -> [Evidence] {
        // A loop, not `map(render)`: a method reference would capture a copy of the document.
        let n = log.count(of: i)
        guard n > 0 else { return [] }
        var out: [Evidence] = []
        out.reserveCapacity(n)
        log.forEach(of: i) { out.append(render($0, p)) }
        // By span, stable (an evidence list is short: an insertion sort).
        if n > 1 {
            for k in 1..<out.count {
                var b = k
                while b > 0 && out[k].span < out[b - 1].span { b -= 1 }
                if b < k { let e = out.remove(at: k); out.insert(e, at: b) }
            }
        }
        return out
    }

    /// Whether mention `i` has a site written beside its term (sites read inside the term do not count: the rules
    /// that pass sides and sites between findings treat a finding located only by its own words as unlocated).
    func hasOuterSite(_ i: Int) -> Bool {
        var k = sites.first(of: i)
        while let e = sites.entry(k) {
            if Int(e.0) < anatomy.count, anatomy[Int(e.0)].owner < 0 { return true }
            k = e.1
        }
        return false
    }

    /// Gives mention `to` the sites of mention `from` (when `to` has none: callers check).
    /// A finding without a side (`unsided`) takes only the sites that have none ("scoliosis and degenerative changes of
    /// the thoracic spine"; not "left lower lobe opacity and cardiomegaly").
    mutating func copySites(from: Int, to: Int) {
        guard !placeless(to) else { return }
        let midlineOnly = unsided(to)
        if midlineOnly, mentions[to].siteSide == nil { mentions[to].siteSide = mentions[from].laterality ?? mentions[from].siteSide }
        let tb = box.ontology.lexicon.tables
        for ai in sites.of(from) {
            // A site written inside the other finding's own words is that finding's only.
            if Int(ai) < anatomy.count, anatomy[Int(ai)].owner >= 0 { continue }
            if midlineOnly {
                let c = Int(anatomy[Int(ai)].concept)
                if c >= 0 && c < tb.laterality.count && tb.laterality[c] != nil { continue }
            }
            sites.append(to, ai)
        }
    }


    /// Normality statements: an anchor reached by a `normal` cue denies its concepts.
    mutating func resolveNormality(_ anchors: [AnchorHit]) {
        let tb = box.ontology.lexicon.tables
        let findings = mentions.count
        Document.refill(&normalitySubject, false, tokens.count)
        for a in anchors {
            // An anchor inside the words of a finding it would deny is that finding, not the subject of a normality
            // statement ("low lung volumes ... within normal limits": hypoexpansion stays present). Inside another
            // finding it still speaks ("Hyperexpanded lungs, otherwise clear": no consolidation).
            if a.rule < tb.denies.count {
                // The finding mentions (in sentence order, then start order) of the anchor's sentence that start at or
                // before it: a term is a few words, so a few steps back reach every one that can hold it.
                var k = firstIndex(mentions[0..<findings], notBelow: SentenceStart(sentence: a.sentence, start: a.tokens.lowerBound + 1)) {
                    SentenceStart(sentence: $0.sentence, start: $0.tokens.lowerBound)
                } - 1
                var inside = false
                var steps = 0
                while k >= 0, steps < 16, mentions[k].sentence == a.sentence {
                    let m = mentions[k]
                    if m.tokens.upperBound >= a.tokens.upperBound && m.tokens != a.tokens && tb.denies[a.rule].contains(m.concept) {
                        inside = true; break
                    }
                    steps += 1
                    k -= 1
                }
                if inside { continue }
            }
            var best: (CueHit, Int)? = nil
            // Only the cues near the anchor can reach it (a window, not the sentence: one long sentence of many
            // statements would make this quadratic).
            let sentenceCues = cues(ofSentence: a.sentence)
            let near = sentenceCues[window(sentenceCues, start: { $0.tokens.lowerBound }, around: a.tokens, words: maxScope + 12)]
            for h in near where tb.cues[h.rule].category == .normal {
                if let r = reach(h, a.tokens), r.dist < (best?.1 ?? Int.max) { best = (h, r.dist) }
            }
            guard let (cue, _) = best, a.rule < box.ontology.normality.count, a.rule < tb.denies.count else { continue }
            // A whole-study term that is this statement's predicate ("sin hallazgos relevantes" after "Silueta
            // cardiomediastínica") says nothing of the whole study.
            var k = firstIndex(mentions[0..<findings], notBelow: SentenceStart(sentence: a.sentence, start: cue.tokens.lowerBound)) {
                SentenceStart(sentence: $0.sentence, start: $0.tokens.lowerBound)
            }
            while k < findings, mentions[k].sentence == a.sentence, mentions[k].tokens.lowerBound < cue.tokens.upperBound {
                let c = Int(mentions[k].concept)
                if mentions[k].tokens.upperBound <= cue.tokens.upperBound, c >= 0, c < tb.kinds.count, tb.kinds[c] == .global {
                    mentions[k].predicateOnly = true
                }
                k += 1
            }
            // A side written right before or after the anchor, or inside it, is the side it speaks for ("The left lung is
            // clear", "pulmón derecho sin alteraciones": the other lung may not be), for the concepts that have a side.
            var side: Laterality? = nil
            var sideCue: CueHit? = nil
            for h in near where h.tokens.upperBound == a.tokens.lowerBound || h.tokens.lowerBound == a.tokens.upperBound
                || (h.tokens.lowerBound >= a.tokens.lowerBound && h.tokens.upperBound <= a.tokens.upperBound) {
                if case .laterality(let l) = tb.cues[h.rule].category, !tb.cues[h.rule].weakSide { side = l; sideCue = h }
            }
            for k in a.tokens where k >= 0 && k < normalitySubject.count { normalitySubject[k] = true }
            for c in tb.denies[a.rule] {
                var m = Mention(concept: c, tokens: a.tokens, sentence: a.sentence)
                m.assertion = .absent
                m.fromNormality = true
                if let side, !unsided(concept: c) { m.laterality = side }
                evidenceLog.append(mentions.count, Ev(rule: Int32(a.rule), normality: true, tokens: a.tokens))
                evidenceLog.append(mentions.count, evidence(cue))
                if m.laterality != nil, let sideCue { evidenceLog.append(mentions.count, evidence(sideCue)) }
                mentions.append(m)
            }
        }
    }

    /// Mention indices grouped by sentence in one array, each group sorted by start token (ties in mention order):
    /// group `s` is `order[start[s]..<start[s + 1]]`. Three arrays, whatever the number of sentences, kept by the
    /// document from report to report.
    struct MentionGroups {
        var order: [Int] = []
        var start: [Int] = [0]
        /// Start token of each grouped mention, parallel to `order` (slices share its indices).
        var startTokens: [Int] = []
        var count: Int { start.count - 1 }
        subscript(s: Int) -> ArraySlice<Int> { order[start[s]..<start[s + 1]] }
    }

    /// Groups the mentions by sentence into `groups`, leaving out those made by normality statements (which the
    /// context rules and the anatomy linker both skip). Mentions are not added or moved after `matchAll`, so the
    /// grouping made for the context rules also serves the anatomy linker.
    mutating func groupMentions() {
        let n = sentences.count
        var g = MentionGroups()
        swap(&g, &groups)
        Document.refill(&g.start, 0, n + 1)
        for m in mentions where !m.fromNormality && m.sentence >= 0 && m.sentence < n { g.start[m.sentence + 1] += 1 }
        for s in 0..<n { g.start[s + 1] += g.start[s] }
        Document.refill(&g.order, 0, g.start[n])
        // The next free slot of each group (held in `startTokens` until the groups are filled).
        Document.refill(&g.startTokens, 0, n + 1)
        for s in 0...n { g.startTokens[s] = g.start[s] }
        for (i, m) in mentions.enumerated() where !m.fromNormality && m.sentence >= 0 && m.sentence < n {
            g.order[g.startTokens[m.sentence]] = i
            g.startTokens[m.sentence] += 1
        }
        // Stable insertion sort of each (short) group by start token.
        for s in 0..<n {
            var a = g.start[s] + 1
            while a < g.start[s + 1] {
                let v = g.order[a], key = mentions[v].tokens.lowerBound
                var b = a - 1
                while b >= g.start[s] && mentions[g.order[b]].tokens.lowerBound > key {
                    g.order[b + 1] = g.order[b]
                    b -= 1
                }
                g.order[b + 1] = v
                a += 1
            }
        }
        Document.refill(&g.startTokens, 0, g.order.count)
        for k in g.order.indices { g.startTokens[k] = mentions[g.order[k]].tokens.lowerBound }
        swap(&g, &groups)
    }

    /// Applies the context rules of each sentence to its mentions.
    mutating func applyContext() {
        groupMentions()
        // Move the mentions out while resolving so that `self` is not copied for the inout access.
        var ms = mentions
        mentions = []
        var log = MentionLog<Ev>()
        swap(&log, &evidenceLog)
        for s in 0..<groups.count where groups.start[s] < groups.start[s + 1] {
            resolve(sentence: s, mentions: &ms, log: &log, indices: groups[s], cues: cues(ofSentence: s))
        }
        mentions = ms
        swap(&log, &evidenceLog)
    }

    /// Context of the mentions of one sentence: assertion, temporality and change from the nearest
    /// cue that reaches each mention; laterality and severity cues attach to their nearest mention.
    func resolve(sentence: Int, mentions: inout [Mention], log: inout MentionLog<Ev>, indices: ArraySlice<Int>, cues: ArraySlice<CueHit>) {
        let tb = box.ontology.lexicon.tables
        let reachWords = maxScope + 12
        for i in indices where !mentions[i].fromNormality {
            var m = mentions[i]
            var bestNeg: (CueHit, Int)? = nil
            var bestUnc: (CueHit, Int)? = nil
            var bestTemp: (CueHit, Int)? = nil
            var bestChange: (CueHit, Int)? = nil
            /// The nearest cue of a change with a direction (worse, better) that reaches the mention.
            var bestTrend: (CueHit, Int)? = nil
            var bestExperiencer: (CueHit, Int)? = nil
            for c in cues[window(cues, start: { $0.tokens.lowerBound }, around: m.tokens, words: reachWords)] {
                switch tb.cues[c.rule].category {
                case .negation:
                    if let r = reach(c, m.tokens), r.dist < (bestNeg?.1 ?? Int.max) { bestNeg = (c, r.dist) }
                case .normal where m.isTarget && (anchorHits.contains(where: { $0.sentence == sentence && $0.tokens.overlaps(m.tokens) })
                                                  || c.tokens.lowerBound < m.tokens.lowerBound && c.tokens.upperBound >= m.tokens.upperBound):
                    // "The heart is normal in size": a caller's target that is declared normal is absent; so is one
                    // that a normality statement names after its negation ("sin alteraciones", "sin lesiones agudas").
                    if let r = reach(c, m.tokens), r.dist < (bestNeg?.1 ?? Int.max) { bestNeg = (c, r.dist) }
                case .uncertainty:
                    if let r = reach(c, m.tokens), r.dist < (bestUnc?.1 ?? Int.max) { bestUnc = (c, r.dist) }
                case .historical, .hypothetical:
                    if let r = reach(c, m.tokens), r.dist < (bestTemp?.1 ?? Int.max) { bestTemp = (c, r.dist) }
                case .change(let ch):
                    if let r = reach(c, m.tokens) {
                        if r.dist < (bestChange?.1 ?? Int.max) { bestChange = (c, r.dist) }
                        if ch == .worsened || ch == .improved, r.dist < (bestTrend?.1 ?? Int.max) { bestTrend = (c, r.dist) }
                    }
                case .experiencer:
                    if let r = reach(c, m.tokens), r.dist < (bestExperiencer?.1 ?? Int.max) { bestExperiencer = (c, r.dist) }
                default: break
                }
            }
            // Negation and uncertainty both reaching: the nearer wins (a cue ends the scope of a cue of the
            // other category); on a tie, negation.
            var bestAssert: (CueHit, Int)? = nil
            if let n = bestNeg, let u = bestUnc {
                bestAssert = n.1 <= u.1 ? n : u
            } else {
                bestAssert = bestNeg ?? bestUnc
            }
            // A change stated before a negation is not the denied finding's ("Stable cardiomegaly, no new consolidation",
            // "Cardiomegalia estable, sin derrame pleural"): the negation opens another statement. A change that denies
            // (resolved, removed) still speaks for it.
            if let (c, _) = bestChange, let (n, _) = bestAssert, tb.cues[n.rule].category == .negation, tb.cues[c.rule].assertion == nil,
               c.tokens.upperBound <= n.tokens.lowerBound, n.tokens.upperBound <= m.tokens.lowerBound {
                bestChange = nil
            }
            // A finding said to persist and then how it changed ("Persisten las opacidades, aunque menos densas", "Derrame
            // ya conocido, aunque de mayor cuantía", "Persistent right effusion, increased in size"): the trend, stated after
            // the finding and the persistence, is the change, when no other finding stands between the trend and this
            // one and the trend looks back to it (a cue that only looks back, or one after a comma: not "stable blunting
            // with improved aeration", "persisten opacidades con mejoría de la condensación"). Not for a finding that is
            // no place on the image ("similar a estudio previo").
            if let (u, _) = bestChange, case .change(.unchanged) = tb.cues[u.rule].category, let (t, _) = bestTrend,
               t.tokens.lowerBound > u.tokens.lowerBound, t.tokens.lowerBound >= m.tokens.upperBound, !placeless(concept: m.concept),
               tb.cues[t.rule].direction == .backward || commas(m.tokens.upperBound, t.tokens.lowerBound) > 0,
               !hasMention(indices, of: mentions, between: m.tokens, and: t.tokens) {
                bestChange = bestTrend
            }
            // The clinical history of the request speaks of the patient's course, not of a change against the prior image
            // ("recurrent pneumonias", "empeoramiento de la disnea"): no change there, unless the cue also denies
            // ("s/p chest tube removal").
            let section = m.tokens.first.map { sectionKind(ofToken: $0) }
            if let (c, _) = bestChange, tb.cues[c.rule].assertion == nil, section == .indication || section == .history {
                bestChange = nil
            }
            if let (c, d) = bestChange {
                let rule = tb.cues[c.rule]
                if case .change(let ch) = rule.category { m.change = ch }
                log.append(i, evidence(c))
                let hypothetical = bestTemp.map { tb.cues[$0.0.rule].category == .hypothetical } ?? false
                if let a = rule.assertion, d < (bestAssert?.1 ?? Int.max), !hypothetical {
                    m.assertion = a
                    m.certainty = a == .uncertain ? .possible : nil
                }
            }
            if let (c, _) = bestAssert {
                m.decidingCue = c.tokens
                let hedge = tb.cues[c.rule].category == .uncertainty
                m.assertion = hedge ? .uncertain : .absent
                m.certainty = hedge ? tb.cues[c.rule].certainty : nil
                log.append(i, evidence(c))
            }
            if let (c, _) = bestTemp {
                m.temporality = tb.cues[c.rule].category == .historical ? .historical : .hypothetical
                log.append(i, evidence(c))
            } else if section == .indication || section == .history || section == .comparison {
                // The clinical history of the request (indication, history) and prior exams are not findings of
                // this image: without a cue of their own ("evaluate for" → hypothetical) they are historical.
                m.temporality = .historical
            }
            if let (c, _) = bestExperiencer {
                m.experiencer = .other
                log.append(i, evidence(c))
            }
            mentions[i] = m
        }
        // Modifiers: each laterality/severity cue goes to its nearest mention.
        let preferForward = lang == .en
        // Laterality cues per mention (mention index, side, distance, cue), grouped below.
        var lats: [(Int, Laterality, Int, CueHit)] = []
        for c in cues {
            let rule = tb.cues[c.rule]
            var isModifier = false
            switch rule.category {
            case .laterality, .severity: isModifier = true
            default: break
            }
            guard isModifier else { continue }
            // A side word that is part of a one-sided place ("base derecha", "right lower lobe") speaks for that place:
            // it does not reach over a conjunction to a finding after the place ("opacidad en base derecha y nódulo en el
            // LSI": the nodule is not right), which has its own words; a finding joined by "con" / "with" still takes it.
            var placeEnd = -1, placeStart = -1
            if case .laterality = rule.category {
                // The places of this sentence that start within a few words before the cue (places are in sentence order,
                // and in start order within one but for the sites read inside a term, which are not looked at here).
                let from = c.tokens.lowerBound - 8
                var k = firstIndex(anatomy, notBelow: SentenceStart(sentence: sentence, start: from)) {
                    SentenceStart(sentence: $0.sentence, start: $0.tokens.lowerBound)
                }
                while k < anatomy.count, anatomy[k].sentence == sentence, anatomy[k].tokens.lowerBound <= c.tokens.lowerBound {
                    let a = anatomy[k]
                    k += 1
                    guard a.tokens.lowerBound >= from, a.owner < 0, a.tokens.count > c.tokens.count, a.tokens.upperBound >= c.tokens.upperBound,
                          Int(a.concept) < tb.sideOnly.count, !tb.sideOnly[Int(a.concept)], Int(a.concept) < tb.laterality.count,
                          tb.laterality[Int(a.concept)].map({ $0 != .bilateral }) == true else { continue }
                    placeEnd = a.tokens.upperBound
                    placeStart = a.tokens.lowerBound
                    break
                }
            }
            // Nor, when the place follows a finding it qualifies (no comma between: "nódulo en el lóbulo superior derecho,
            // granuloma calcificado en el lóbulo inferior izquierdo"), over a comma to a finding after it, but to one offered
            // as its interpretation ("streaky opacity in the right lung, atelectasis versus scarring").
            var qualifiesEarlier: Bool? = nil
            func acrossConjunction(_ i: Int) -> Bool {
                let m = mentions[i].tokens
                guard placeEnd >= 0, m.lowerBound >= placeEnd else { return false }
                for h in self.cues(ofSentence: sentence, from: placeEnd) {
                    if h.tokens.lowerBound >= m.lowerBound { break }
                    if h.tokens.upperBound <= m.lowerBound && tb.cues[h.rule].category == .coordinate { return true }
                }
                guard commas(placeEnd, m.lowerBound) > 0, mentions[i].assertion != .uncertain else { return false }
                if qualifiesEarlier == nil {
                    let near = window(indices, start: { mentions[$0].tokens.lowerBound }, around: placeStart..<(placeStart + 1), words: 16)
                    qualifiesEarlier = indices[near].contains { j in
                        let e = mentions[j].tokens.upperBound
                        return e <= placeStart && placeStart - e <= 6 && commas(e, placeStart) == 0 && !terminated(e, placeStart)
                    }
                }
                return qualifiesEarlier == true
            }
            var best: (Int, Int, Bool)? = nil  // mention index, distance, forward
            var blocked: (Int, Int, Bool)? = nil
            for i in indices[window(indices, start: { mentions[$0].tokens.lowerBound }, around: c.tokens, words: reachWords)] where !mentions[i].fromNormality {
                // A modifier inside the finding's own words ("bibasilar atelectasis" as one term) is its own.
                if c.tokens.lowerBound >= mentions[i].tokens.lowerBound && c.tokens.upperBound <= mentions[i].tokens.upperBound {
                    best = (i, -1, true)
                    break
                }
                guard var r = reach(c, mentions[i].tokens), !acrossConjunction(i) else { continue }
                r.dist += 2 * (r.forward ? commas(c.tokens.upperBound, mentions[i].tokens.lowerBound) : commas(mentions[i].tokens.upperBound, c.tokens.lowerBound))
                // A side word written after a finding does not pass a hedge or an interpretation link to the finding
                // offered after it ("opacidades … periféricas y bilaterales sugestivas de neumonía": the opacities are
                // bilateral; the interpretation takes their side later): such a candidate counts only when no finding
                // before the word is in reach.
                // Nor over a negation: the negation opens a statement of its own ("… basal posterior izquierdo sin evidencia
                // de consolidación": the absent consolidation has no side).
                if r.forward, case .laterality = rule.category,
                   cueBetween(c.tokens.upperBound, mentions[i].tokens.lowerBound, sentence: sentence, where: { $0.category == .negation }) {
                    continue
                }
                if r.forward, case .laterality = rule.category,
                   cueBetween(c.tokens.upperBound, mentions[i].tokens.lowerBound, sentence: sentence, where: { $0.category == .uncertainty || ($0.category == .coordinate && !$0.list) }) {
                    if blocked.map({ r.dist < $0.1 }) ?? true { blocked = (i, r.dist, r.forward) }
                    continue
                }
                if let b = best {
                    if r.dist < b.1 || (r.dist == b.1 && r.forward == preferForward && b.2 != preferForward) { best = (i, r.dist, r.forward) }
                } else {
                    best = (i, r.dist, r.forward)
                }
            }
            if best == nil { best = blocked }
            guard let (best0, d, _) = best else { continue }
            // A term that names several concepts ("calcified nodule": granuloma and nodule) gives each the modifier.
            let sameWords = window(indices, start: { mentions[$0].tokens.lowerBound }, around: mentions[best0].tokens, words: 0)
            for i in indices[sameWords] where i == best0 || (mentions[i].tokens == mentions[best0].tokens && !mentions[i].fromNormality) {
                switch rule.category {
                case .laterality(let l):
                    lats.append((i, l, d, c))
                case .severity(let s):
                    if mentions[i].severity == nil {
                        mentions[i].severity = s
                        log.append(i, evidence(c))
                    }
                default: break
                }
            }
        }
        // Grouped by mention, each mention's cues kept in text order (most sentences already have them in order).
        if zip(lats, lats.dropFirst()).contains(where: { $0.0 > $1.0 }) {
            lats = lats.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        }
        var g = 0
        while g < lats.count {
            let i = lats[g].0
            var e = g
            while e < lats.count && lats[e].0 == i { e += 1 }
            defer { g = e }
            var list = lats[g..<e].map { ($0.1, $0.2, $0.3) }
            // A side implied by a region word gives way to a stated one ("basilar atelectasis on the left").
            if list.contains(where: { tb.cues[$0.2.rule].weakSide }) && list.contains(where: { !tb.cues[$0.2.rule].weakSide }) {
                list.removeAll { tb.cues[$0.2.rule].weakSide }
            }
            let hasBoth = list.contains { $0.0 == .bilateral } || (list.contains { $0.0 == .left } && list.contains { $0.0 == .right })
            let value: Laterality = hasBoth
                ? .bilateral : (list.min { $0.1 < $1.1 }?.0 ?? .bilateral)
            // A finding without a side keeps the side for its site only, and the cue is not its evidence.
            if unsided(concept: mentions[i].concept) { mentions[i].siteSide = value; continue }
            mentions[i].laterality = value
            if let only = list.first, list.count == 1, tb.cues[only.2.rule].weakSide {
                mentions[i].weakSide = evidence(only.2)
                continue
            }
            for (_, _, c) in list { log.append(i, evidence(c)) }
        }
    }

    /// Whether the head noun of anatomy phrase `r` is a plural the normalizer folds (a final "s" after a letter other
    /// than s, u or i, in a word of more than three letters), so the matched singular key hides it: the last word in
    /// English ("lower lobes", "lung bases", "lungs"), the first of two or more in Spanish ("bases pulmonares", "lóbulos
    /// inferiores"), where a lone plural is most often an adjective agreeing with its noun ("alteraciones pulmonares").
    /// (Static, with the arrays it reads: as a method, its call in `lateralityFromSites` left a copy of the document.)
    static func namesPlural(_ r: Range<Int>, tokens: [Token], bytes: [UInt8], lang: Language) -> Bool {
        // The first and last words of the phrase and how many there are (a loop: no list, no closure).
        var firstWord = -1, lastWord = -1, count = 0
        for k in r where k >= 0 && k < tokens.count && tokens[k].kind == .word {
            if firstWord < 0 { firstWord = k }
            lastWord = k
            count += 1
        }
        let head = lang == .es ? (count >= 2 ? firstWord : -1) : lastWord
        guard head >= 0 else { return false }
        let s = Int(tokens[head].byteStart), e = Int(tokens[head].byteEnd)
        guard e - s > 3, s >= 0, e <= bytes.count else { return false }
        let last = bytes[e - 1] | 0x20, prev = bytes[e - 2] | 0x20
        return last == 0x73 && prev != 0x73 && prev != 0x75 && prev != 0x69 && prev >= 0x61 && prev <= 0x7A
    }

    /// Whether a laterality cue that names both sides, not one implied by a region word (`weak_side`), lies in the words
    /// of anatomical mention `a`.
    func statesBothSides(_ a: AnatomyMention) -> Bool {
        let tb = box.ontology.lexicon.tables
        for h in cues(ofSentence: a.sentence, from: a.tokens.lowerBound - 8) {
            if h.tokens.lowerBound >= a.tokens.upperBound { break }
            guard h.tokens.overlaps(a.tokens), case .laterality(.bilateral) = tb.cues[h.rule].category, !tb.cues[h.rule].weakSide else { continue }
            return true
        }
        return false
    }

    /// The one side the sites of mention `i` name (left or right, not both), if they name one.
    func singleSiteSide(_ i: Int) -> Laterality? {
        let tb = box.ontology.lexicon.tables
        var side: Laterality? = nil
        var k = sites.first(of: i)
        while let e = sites.entry(k) {
            k = e.1
            guard Int(e.0) < anatomy.count else { continue }
            let c = Int(anatomy[Int(e.0)].concept)
            guard c >= 0, c < tb.laterality.count, let l = tb.laterality[c] else { continue }
            if l == .bilateral || (side != nil && side != l) { return nil }
            side = l
        }
        return side
    }

    /// Whether mention `i` is of a finding that has no side (`Concept.unsided`: cardiomegaly, hiatal hernia).
    func unsided(_ i: Int) -> Bool { i >= 0 && i < mentions.count && unsided(concept: mentions[i].concept) }

    /// Whether mention `i` is a finding that is no place on the image (`AnalysisTables.placeless`).
    func placeless(_ i: Int) -> Bool {
        i >= 0 && i < mentions.count && placeless(concept: mentions[i].concept)
    }

    /// Whether concept `concept` is no place on the image (`AnalysisTables.placeless`).
    func placeless(concept: Int32) -> Bool {
        let c = Int(concept)
        let p = box.ontology.lexicon.tables.placeless
        return c >= 0 && c < p.count && p[c]
    }

    /// Whether a place of its own follows mention `i` in its clause: an anatomical phrase (not read inside a term) that
    /// starts after it with no comma or `;` between, within 8 words (anatomy after place `from` in the document's order).
    func placeFollows(_ i: Int, from: Int) -> Bool {
        let m = mentions[i]
        var k = from + 1
        while k < anatomy.count {
            let b = anatomy[k]
            if b.sentence != m.sentence || b.tokens.lowerBound > m.tokens.upperBound + 16 { break }
            if b.owner < 0, b.tokens.lowerBound >= m.tokens.upperBound, commas(m.tokens.upperBound, b.tokens.lowerBound) == 0,
               !terminated(m.tokens.upperBound, b.tokens.lowerBound), wordsBetween(m.tokens.upperBound, b.tokens.lowerBound) <= 8 {
                return true
            }
            k += 1
        }
        return false
    }

    /// Whether a site read inside the words of mention `i` is its own ("elevation of the hemidiaphragm").
    func ownsInnerSite(_ i: Int) -> Bool {
        guard i >= 0, i < mentions.count else { return false }
        let s = mentions[i].sentence
        var k = firstIndex(anatomy, notBelow: s) { $0.sentence }
        while k < anatomy.count, anatomy[k].sentence == s {
            if Int(anatomy[k].owner) == i { return true }
            k += 1
        }
        return false
    }

    /// Whether anatomical mention `a` is a place on one side ("right mid lung zone"; not "thoracic spine", "both bases").
    func oneSided(_ a: AnatomyMention) -> Bool {
        let c = Int(a.concept)
        let lat = box.ontology.lexicon.tables.laterality
        guard c >= 0, c < lat.count, let l = lat[c] else { return false }
        return l != .bilateral
    }

    /// Whether a cue hit of sentence `sentence` lying within tokens `from..<to` has a rule that `test` accepts: a hedge or
    /// an interpretation link ("sugestivas de", "consistent with"), a list conjunction ("y", "and"), …
    func cueBetween(_ from: Int, _ to: Int, sentence: Int, where test: (AnalysisTables.Cue) -> Bool) -> Bool {
        guard from < to else { return false }
        let tb = box.ontology.lexicon.tables
        for h in cues(ofSentence: sentence, from: from) {
            if h.tokens.lowerBound >= to { break }
            if h.tokens.upperBound <= to && test(tb.cues[h.rule]) { return true }
        }
        return false
    }

    /// Whether mention `i` states a side of its own: a laterality cue inside its words or right after them (at most two
    /// tokens on, no comma between: "derrame pleural derecho").
    func statesOwnSide(_ i: Int) -> Bool {
        let m = mentions[i]
        let tb = box.ontology.lexicon.tables
        let end = min(m.tokens.upperBound + 3, tokens.count)
        for h in cues(ofSentence: m.sentence, from: max(0, m.tokens.lowerBound - 4)) {
            if h.tokens.lowerBound >= end { break }
            guard case .laterality = tb.cues[h.rule].category, h.tokens.upperBound > m.tokens.lowerBound else { continue }
            if h.tokens.lowerBound >= m.tokens.upperBound && commas(m.tokens.upperBound, h.tokens.lowerBound) > 0 { continue }
            return true
        }
        return false
    }

    func unsided(concept: Int32) -> Bool {
        let c = Int(concept)
        let u = box.ontology.lexicon.tables.unsided
        return c >= 0 && c < u.count && u[c]
    }

    /// Whether tokens `r` of sentence `sentence` hold a laterality cue or an anatomical mention.
    func namesSide(_ r: Range<Int>, sentence: Int, cues: ArraySlice<CueHit>) -> Bool {
        let tb = box.ontology.lexicon.tables
        for h in cues where h.tokens.lowerBound < r.upperBound && h.tokens.upperBound > r.lowerBound {
            if case .laterality = tb.cues[h.rule].category { return true }
        }
        // A site read inside a finding's term (`owner`) is part of that term, not a place written beside it.
        return anatomy.contains { $0.owner < 0 && $0.sentence == sentence && $0.tokens.lowerBound < r.upperBound && $0.tokens.upperBound > r.lowerBound }
    }

    /// Binds each anatomical mention to the nearest finding of its sentence (same clause first).
    /// The finding anatomical phrase `a` qualifies among `cands` (its sentence's mentions in start order, `starts` their
    /// start tokens): the nearest in its clause, within 12 words (a comma weighs two), the preferred direction on a tie;
    /// with `before`, only findings that end before it. A method, not a closure: a closure would copy the document.
    func nearestFinding(to a: AnatomyMention, among cands: ArraySlice<Int>, starts: ArraySlice<Int>, before: Bool) -> Int? {
        let preferForward = lang == .en
        var best: (Int, Int, Bool)? = nil
        for i in cands[window(starts, start: { $0 }, around: a.tokens, words: 40).clamped(to: cands.indices)] {
            let m = mentions[i]
            if before && m.tokens.upperBound > a.tokens.lowerBound { continue }
            if placeless(i) { continue }
            // An anatomical phrase whose last words open the finding ("left basilar" + "basilar opacity") qualifies it as
            // if written just before it.
            let straddles = a.tokens.lowerBound < m.tokens.lowerBound && a.tokens.upperBound > m.tokens.lowerBound
                && a.tokens.upperBound <= m.tokens.upperBound
            if m.tokens.overlaps(a.tokens) && !straddles { continue }
            let forward = straddles || a.tokens.upperBound <= m.tokens.lowerBound
            let (g0, g1) = straddles ? (m.tokens.lowerBound, m.tokens.lowerBound)
                : forward ? (a.tokens.upperBound, m.tokens.lowerBound) : (m.tokens.upperBound, a.tokens.lowerBound)
            let d = wordsBetween(g0, g1) + 2 * commas(g0, g1)
            if d > 12 { continue }
            // Only a candidate nearer than the best so far is checked for what may separate it from the place (the
            // checks exclude, so the nearest candidate that passes them wins either way).
            if let b = best, !(d < b.1 || (d == b.1 && forward == preferForward && b.2 != preferForward)) { continue }
            // Not over a `;`.
            var q = g0
            var crossesClause = false
            while q < g1 { if tokens[q].kind == .punct && tokens[q].punct == 0x3B { crossesClause = true; break }; q += 1 }
            // Nor over a contrast between two statements ("Nódulo en el hemitórax izquierdo mientras que hay infiltrados
            // ...", "... whereas there is ..."): a place before its finding does not reach past a `contrast` terminator.
            if !crossesClause && forward && !straddles && terminated(g0, g1)
                && cueBetween(g0, g1, sentence: a.sentence, where: { $0.category == .terminate && $0.contrast }) { crossesClause = true }
            // Nor over a negation between the place and a finding after it ("infiltrados en ambos pulmones sin derrame
            // pleural asociado": the effusion that is not there is in no place).
            // And a place written after a negation is in the denied statement, not a site of a finding before it
            // ("elongación aórtica, no mostrando alteraciones en hilios").
            if !crossesClause && !straddles && cueBetween(g0, g1, sentence: a.sentence, where: { $0.category == .negation }) {
                crossesClause = true
            }
            if crossesClause { continue }
            best = (i, d, forward)
        }
        return best?.0
    }

    /// Whether cue hit `h` opens with a locative pattern ("in the" of "in the right"): the longest cue pattern from its
    /// first word that ends before its last word is a `locative` rule.
    func opensWithLocative(_ h: CueHit) -> Bool {
        let tb = box.ontology.lexicon.tables
        guard h.tokens.count > 1, let tries = tb.tries(lang) else { return false }
        let view = MatchView(tokens: tokens, ids: ids, exactIDs: exactIDs)
        guard let m = view.longest(tries.cues, at: h.tokens.lowerBound, limit: h.tokens.upperBound - 1, skip: headerToken) else { return false }
        for q in tries.cues.payloadRange(m.node) {
            let p = Int(tries.cues.payload(at: q))
            if p >= 0, p < tb.cues.count, tb.cues[p].category == .locative { return true }
        }
        return false
    }

    /// Makes anatomical mention `ai` a site of finding `i` and of every concept of the same words.
    mutating func attachSite(_ ai: Int, to i: Int, among cands: ArraySlice<Int>, starts: ArraySlice<Int>) {
        let sameWords = window(starts, start: { $0 }, around: mentions[i].tokens, words: 0).clamped(to: cands.indices)
        for j in cands[sameWords] where (j == i || mentions[j].tokens == mentions[i].tokens) && !placeless(j) {
            sites.append(j, Int32(ai))
        }
    }

    mutating func linkAnatomy() {
        let tb = box.ontology.lexicon.tables
        // The grouping `applyContext` made (mentions are not added or moved in between).
        let bySentence = groups
        let startTokens = bySentence.startTokens
        for ai in anatomy.indices {
            let a = anatomy[ai]
            guard a.sentence >= 0, a.sentence < bySentence.count, !bySentence[a.sentence].isEmpty else { continue }
            let cands = bySentence[a.sentence]
            let starts = startTokens[cands.startIndex..<cands.endIndex]
            // A site inside a finding's own words locates that finding (and the other concepts of the same words).
            if a.owner >= 0, Int(a.owner) < mentions.count {
                attachSite(ai, to: Int(a.owner), among: cands, starts: starts)
                continue
            }
            // The subject of a normality statement is that statement's ("Normal cardiomediastinal silhouette with a
            // tortuous aorta", "The lungs are clear without pleural effusion"): no site of another finding.
            if let f = a.tokens.first, f >= 0, f < normalitySubject.count, normalitySubject[f] { continue }
            // A place written directly before another ("left perihilar and bibasilar opacities", "right paratracheal
            // soft tissue") qualifies what that one qualifies: its finding is looked for from the next place. Where
            // modifiers go before their noun (English, as `nearestFinding` prefers forward); in Spanish the second
            // word qualifies the first ("retrocardiacas izquierdas").
            var reference = a
            if lang == .en, ai + 1 < anatomy.count, anatomy[ai + 1].sentence == a.sentence, anatomy[ai + 1].owner < 0,
               anatomy[ai + 1].tokens.lowerBound == a.tokens.upperBound {
                reference = anatomy[ai + 1]
            }
            let nearest = nearestFinding(to: reference, among: cands, starts: starts, before: false)
            // A place introduced by a locative preposition ("opacity in the left base", "opacidad en la base izquierda
            // sugestiva de infección") also belongs to the nearest finding before it, even when a later one is nearer.
            // Not over a negation between them ("elongación aórtica, no mostrando alteraciones en hilios").
            // Cue patterns are a few tokens long: a locative ending at the phrase starts at most 8 tokens before it.
            // A longer cue that opens with a locative and runs into the place counts as one ("in the right" over "right
            // upper lobe": the side cue is the longest match there, so the locative "in the" is not a hit of its own).
            // (Loops, not slices and closures: this runs for every place of every report.)
            let at = a.tokens.lowerBound
            var locative = false
            for h in cues(ofSentence: a.sentence, from: at - 8) {
                if h.tokens.lowerBound >= at { break }
                let category = tb.cues[h.rule].category
                if h.tokens.upperBound == at && category == .locative { locative = true; break }
                if h.tokens.upperBound >= at && h.tokens.count > 1 && category != .locative && opensWithLocative(h) { locative = true; break }
            }
            var earlier: Int? = nil
            if locative, let i = nearestFinding(to: a, among: cands, starts: starts, before: true), i != nearest {
                var negated = false
                for h in cues(ofSentence: a.sentence, from: mentions[i].tokens.upperBound) {
                    if h.tokens.lowerBound >= at { break }
                    if h.tokens.upperBound <= at && tb.cues[h.rule].category == .negation { negated = true; break }
                }
                if !negated { earlier = i }
            }
            // Such a place is the earlier finding's: a finding after a comma that has a place of its own does not take
            // it as well ("nodule in the right upper lobe, calcified granuloma in the left lower lobe"). Without a comma,
            // or when the later finding names no place, both do ("opacity in the left base suggestive of infection",
            // "opacity in the right upper lobe, XXXX scarring").
            // The same after a list conjunction ("consolidación en el lóbulo inferior izquierdo y derrame pleural derecho"),
            // and when the later finding states its own side or can have none ("opacidad en el campo medio derecho y
            // cardiomegalia").
            // A later finding that names a place of its own right after it does not take it even without a comma
            // ("consolidation of the left lower lobe with elevation of the hemidiaphragm").
            if let i = nearest, !(earlier != nil && mentions[i].tokens.lowerBound >= a.tokens.upperBound
                                  && (((commas(a.tokens.upperBound, mentions[i].tokens.lowerBound) > 0
                                        || cueBetween(a.tokens.upperBound, mentions[i].tokens.lowerBound, sentence: a.sentence,
                                                      where: { $0.category == .coordinate && $0.list }))
                                       && ((unsided(i) && oneSided(a)) || statesOwnSide(i)))
                                      || placeFollows(i, from: ai) || ownsInnerSite(i))) {
                attachSite(ai, to: i, among: cands, starts: starts)
            }
            if let i = earlier { attachSite(ai, to: i, among: cands, starts: starts) }
        }
        // A generic finding made specific by a site written beside it (`refinements.tsv`): "mass in the right upper lobe"
        // is a pulmonary mass, "fracture of the left 7th rib" a rib fracture, as "right upper lobe mass" and "left 7th rib
        // fracture" are as one term.
        let rules = tb.refineRules
        for i in mentions.indices where rules.indices.contains(Int(mentions[i].concept)) && !rules[Int(mentions[i].concept)].isEmpty && hasOuterSite(i) {
            var k = sites.first(of: i)
            refine: while let e = sites.entry(k) {
                k = e.1
                let ai = Int(e.0)
                guard ai < anatomy.count, anatomy[ai].owner < 0 else { continue }
                let c = Int(anatomy[ai].concept)
                guard c >= 0, c < tb.refineSites.count else { continue }
                for r in rules[Int(mentions[i].concept)] where tb.refineSites[c].contains(r.site) {
                    mentions[i].concept = r.refined
                    break refine
                }
            }
        }
        // The phases below are functions of their own: in one large function the optimizer left copies of the
        // whole document (made to read one field) in the loops.
        lateralityFromSites(tb)
        shareAcrossCoordination(tb, bySentence)
        inheritFromInterpretations(tb, bySentence)
        inheritAcrossSentences(tb, bySentence)
    }

    /// Part of `linkAnatomy`: sides from the sites of each finding.
    mutating func lateralityFromSites(_ tb: AnalysisTables) {
        // Laterality from anatomy when no cue gave one; sites on both sides make a finding bilateral even when a cue
        // named one side ("infiltrados en campo inferior izquierdo y medio derecho").
        for i in mentions.indices where mentions[i].weakSide != nil {
            if let l = singleSiteSide(i) {
                mentions[i].laterality = l
            } else if let e = mentions[i].weakSide {
                evidenceLog.append(i, e)
            }
            mentions[i].weakSide = nil
        }
        for i in mentions.indices where mentions[i].laterality != .bilateral && sites.has(i) {
            var left = false, right = false, both = false, plural = false
            // Whether a site on both sides says so in words ("ambas bases", "bibasal", "both lower lobes"), not only by
            // a region word that implies it ("basilar").
            var statedBoth = false
            // A loop over the chain, not a closure: a closure calling a method of `self` here copied the document.
            var k = sites.first(of: i)
            while let e = sites.entry(k) {
                let ai = e.0
                k = e.1
                let c = Int(anatomy[Int(ai)].concept)
                guard c >= 0, c < tb.laterality.count else { continue }
                guard let l = tb.laterality[c] else {
                    // A paired structure named in the plural is on both sides ("in the lower lobes", "bases pulmonares").
                    if mentions[i].assertion != .absent, c < tb.sites.count, tb.sites[c].paired,
                       Document.namesPlural(anatomy[Int(ai)].tokens, tokens: tokens, bytes: bytes, lang: lang) { plural = true }
                    continue
                }
                switch l {
                case .left: left = true
                case .right: right = true
                case .bilateral:
                    both = true
                    if !statedBoth { statedBoth = statesBothSides(anatomy[Int(ai)]) }
                }
            }
            // A plural names both sides unless another site names one ("right 3rd and 4th ribs").
            let fromSites: Laterality? = both || (left && right) ? .bilateral : left ? .left : right ? .right : plural ? .bilateral : nil
            // A finding without a side: the sites' side only picks its regions.
            if unsided(i) {
                if let l = fromSites { mentions[i].siteSide = mentions[i].siteSide == nil || mentions[i].siteSide == l ? l : .bilateral }
                continue
            }
            if mentions[i].laterality != nil {
                // Sites on both sides make a finding with a stated side bilateral ("consolidación en el campo superior
                // derecho y en ambas bases"); a site only implied on both sides does not ("basilar atelectasis on the left").
                if (left && right) || statedBoth { mentions[i].laterality = .bilateral }
                continue
            }
            mentions[i].laterality = fromSites
        }
    }

    /// Part of `linkAnatomy`: coordinated findings share side, site and hedge.
    mutating func shareAcrossCoordination(_ tb: AnalysisTables, _ bySentence: MentionGroups) {
        // Coordinated findings ("scarring or atelectasis at the right base", "cicatriz y/o atelectasia"):
        // two findings separated by a `coordinate` cue (plus at most two other words, with no comma or
        // terminator: "opacity which represents chronic scarring"), or by nothing but a slash or a
        // de-identification placeholder, with or without a comma before it ("atelectasis/airspace disease", "opacity
        // XXXX atelectasis", "basilar airspace disease, XXXX atelectasis"), share side
        // and site when one lacks them; a hedge standing between them ("and/or") covers both.
        for sent in 0..<bySentence.count where bySentence[sent].count > 1 {
            let idx = bySentence[sent]
            let sentenceCues = cues(ofSentence: sent)
            // The sentence's coordination cues, in the document's buffer (no array per sentence).
            var coords: [CueHit] = []
            swap(&coords, &coordinationCues)
            Document.clear(&coords)
            for h in sentenceCues where tb.cues[h.rule].category == .coordinate { coords.append(h) }
            defer { swap(&coords, &coordinationCues) }
            for k in idx.indices.dropFirst() {
                let a = idx[k - 1], b = idx[k]
                let gapStart = mentions[a].tokens.upperBound, gapEnd = mentions[b].tokens.lowerBound
                guard gapStart <= gapEnd, mentions[a].concept != mentions[b].concept else { continue }
                let gapWords = wordsBetween(gapStart, gapEnd)
                // A finding offered as the interpretation of a negated one ("no consolidation suggestive of pneumonia",
                // "sin condensaciones sugestivas de neumonía") is denied with it: the hedge linking them stands inside
                // the negation. Only a hedge that joins the two directly (no comma or terminator, at most two other words).
                if mentions[a].assertion == .absent, mentions[b].assertion == .uncertain,
                   let neg = mentions[a].decidingCue, neg.upperBound <= mentions[a].tokens.lowerBound,
                   let hedge = mentions[b].decidingCue, hedge.lowerBound >= gapStart, hedge.upperBound <= gapEnd,
                   commas(gapStart, gapEnd) == 0, !terminated(gapStart, gapEnd),
                   gapWords - wordsBetween(hedge.lowerBound, hedge.upperBound) <= 2 {
                    mentions[b].assertion = .absent
                    mentions[b].certainty = nil
                    mentions[b].decidingCue = neg
                    for e in evidenceLog.of(a) where !e.normality && e.tokens == neg { evidenceLog.append(b, e) }
                }
                // Nothing but placeholders, or a comma and placeholders (", XXXX": the removed word is most often a link
                // such as "likely" or "representing").
                let afterComma = gapStart < gapEnd && tokens[gapStart].kind == .punct && tokens[gapStart].punct == 0x2C ? gapStart + 1 : gapStart
                // (A loop, not `allSatisfy` with a closure reading `tokens`: that copied the document.)
                var onlyPlaceholders = true
                for t in afterComma..<max(afterComma, gapEnd) where tokens[t].kind != .placeholder { onlyPlaceholders = false; break }
                let adjacent = onlyPlaceholders && (afterComma == gapStart || afterComma < gapEnd)
                var loose = adjacent
                var link: CueHit? = nil
                if !adjacent {
                    // Coordination cues are in start order: the first one starting in the gap, by binary search.
                    var lo = coords.startIndex, hi = coords.endIndex
                    while lo < hi { let mid = (lo + hi) / 2; if coords[mid].tokens.lowerBound < gapStart { lo = mid + 1 } else { hi = mid } }
                    guard let c = coords[lo...].prefix(while: { $0.tokens.lowerBound < gapEnd }).first(where: { $0.tokens.upperBound <= gapEnd }) else { continue }
                    link = c
                    let extra = gapWords - wordsBetween(c.tokens.lowerBound, c.tokens.upperBound)
                    // Extra words must not name a side or a site: "cardiomegaly and small left effusion" is two findings.
                    guard extra == 0 || (extra <= 2 && commas(gapStart, gapEnd) == 0 && !terminated(gapStart, gapEnd)
                        && !namesSide(gapStart..<gapEnd, sentence: sent, cues: sentenceCues))
                    else { continue }
                    loose = extra > 0
                }
                for (x, y) in [(a, b), (b, a)] {
                    // In a loose pairing, a side written in the later finding's own words is its own
                    // ("cardiomegaly and persistent bibasilar opacities").
                    if loose, y == b, namesSide(mentions[b].tokens, sentence: sent, cues: sentenceCues) { continue }
                    var shared = false
                    // A finding without a side takes none from its partner ("left effusion and cardiomegaly").
                    // One without a side still passes on the side of its site ("right costophrenic XXXX unchanged XXXX scarring").
                    if mentions[x].laterality == nil, !unsided(x), let l = mentions[y].laterality ?? mentions[y].siteSide { mentions[x].laterality = l; shared = true }
                    // Nor a site on one side to a partner that states another ("Patrón intersticial bilateral y
                    // condensación en base izquierda": the pattern is not in the left base).
                    let partnerSide = mentions[y].laterality ?? mentions[y].siteSide
                    let sidesAgree = mentions[x].laterality == nil || partnerSide == nil || mentions[x].laterality == partnerSide
                    if sidesAgree && !hasOuterSite(x) && hasOuterSite(y) {
                        copySites(from: y, to: x)
                        shared = hasOuterSite(x)
                    }
                    // The coordination rule that carried the side or site is part of the finding's evidence.
                    if shared, let c = link { evidenceLog.append(x, evidence(c)) }
                }
                // A hedge between two alternatives ("scarring or possible atelectasis", "atelectasis/pneumonia") covers
                // both; between two findings joined by "and" it is the later one's ("cardiomegaly and possible effusion").
                if mentions[b].assertion == .uncertain, mentions[a].assertion == .present,
                   link.map({ tb.cues[$0.rule].alternatives }) ?? true,
                   let cue = mentions[b].decidingCue, cue.lowerBound >= gapStart, cue.upperBound <= gapEnd {
                    mentions[a].assertion = .uncertain
                    mentions[a].certainty = mentions[b].certainty
                    for e in evidenceLog.of(b) where !e.normality && tb.cues[Int(e.rule)].category == .uncertainty {
                        evidenceLog.append(a, e)
                    }
                }
            }
        }
    }

    /// Part of `linkAnatomy`: a finding offered as the interpretation of another inherits its side, site or doubt.
    mutating func inheritFromInterpretations(_ tb: AnalysisTables, _ bySentence: MentionGroups) {
        // A finding offered as the interpretation of an earlier one in the same clause ("opacities
        // concerning for pneumonia", "opacidad en LID que podría corresponder a atelectasia") inherits
        // its side and site when it has none of its own.
        // (Stated interpretations, below, only when the report has an interpretation cue at all: most have none.)
        /// An `interpretation` cue: a `coordinate` rule that is not a list ("consistent with", "que corresponde a").
        func interprets(_ c: CueHit) -> Bool { tb.cues[c.rule].category == .coordinate && !tb.cues[c.rule].list }
        let hasInterpretation = cueHits.contains(where: interprets)
        for sent in 0..<bySentence.count {
            let idx = bySentence[sent]
            for k in idx.indices where k > idx.startIndex && mentions[idx[k]].assertion == .uncertain && !hasOuterSite(idx[k]) {
                let i = idx[k]
                guard let cue = mentions[i].decidingCue, cue.upperBound <= mentions[i].tokens.lowerBound else { continue }
                // The nearest earlier finding that ends before the hedge, with no terminator in between.
                guard let j = idx[idx.startIndex..<k].last(where: { mentions[$0].tokens.upperBound <= cue.lowerBound }),
                      !terminated(mentions[j].tokens.upperBound, mentions[i].tokens.lowerBound) else { continue }
                if mentions[i].laterality == nil, !unsided(i) { mentions[i].laterality = mentions[j].laterality ?? mentions[j].siteSide }
                copySites(from: j, to: i)
            }
            // The same for a finding stated, not hedged, as the interpretation of an earlier one: an `interpretation`
            // cue (a `coordinate` rule that is not a list: "consistent with", "in keeping with", "que corresponde a")
            // stands between them ("opacity at the right base, consistent with atelectasis or pneumonia"). The
            // interpretation cue is the last one before the finding; the earlier finding, the last one before the cue
            // that is not denied; no terminator between them.
            if hasInterpretation && idx.count > 1 {
                let sentenceCues = cues(ofSentence: sent)
                // Most sentences have no interpretation cue.
                guard sentenceCues.contains(where: interprets) else { continue }
                // What a possible finding is said to be or to come from is possible too ("Posible neumonía en el LID
                // causada por COVID-19", "questionable opacity which represents atelectasis"): a finding named at most
                // three words after an interpretation cue (no comma) that follows an uncertain finding (no terminator).
                for k in idx.indices where k > idx.startIndex {
                    let i = idx[k]
                    guard mentions[i].assertion == .present, !mentions[i].fromNormality,
                          let cue = sentenceCues.last(where: { interprets($0) && $0.tokens.upperBound <= mentions[i].tokens.lowerBound }),
                          wordsBetween(cue.tokens.upperBound, mentions[i].tokens.lowerBound) <= 3,
                          commas(cue.tokens.upperBound, mentions[i].tokens.lowerBound) == 0,
                          let j = idx[idx.startIndex..<k].last(where: { mentions[$0].tokens.upperBound <= cue.tokens.lowerBound }),
                          mentions[j].assertion == .uncertain, let hedge = mentions[j].decidingCue,
                          !terminated(mentions[j].tokens.upperBound, mentions[i].tokens.lowerBound) else { continue }
                    // Not when a finding stated as present shares the clause ("Opacidad basal derecha y dudosa opacidad
                    // izquierda secundarias a proceso infeccioso": the cause is stated).
                    var stated = false
                    for q in idx[idx.startIndex..<k] where mentions[q].tokens.upperBound <= cue.tokens.lowerBound && !mentions[q].fromNormality
                        && mentions[q].assertion == .present && !terminated(mentions[q].tokens.upperBound, cue.tokens.lowerBound) {
                        stated = true
                        break
                    }
                    if stated { continue }
                    mentions[i].assertion = .uncertain
                    mentions[i].certainty = mentions[j].certainty
                    mentions[i].decidingCue = hedge
                    for e in evidenceLog.of(j) where !e.normality && e.tokens == hedge { evidenceLog.append(i, e) }
                    evidenceLog.append(i, evidence(cue))
                }
                for k in idx.indices where k > idx.startIndex {
                    let i = idx[k]
                    guard mentions[i].assertion == .present, mentions[i].laterality == nil, !hasOuterSite(i) else { continue }
                    guard let cue = sentenceCues.last(where: { interprets($0) && $0.tokens.upperBound <= mentions[i].tokens.lowerBound }),
                          let j = idx[idx.startIndex..<k].last(where: { mentions[$0].tokens.upperBound <= cue.tokens.lowerBound }),
                          mentions[j].assertion != .absent, mentions[j].laterality != nil || mentions[j].siteSide != nil || hasOuterSite(j),
                          !terminated(mentions[j].tokens.upperBound, mentions[i].tokens.lowerBound) else { continue }
                    // The finding is what the cue names: at most three words from the cue to the first finding after it
                    // ("consistent with a small pleural effusion"), and from there to this one only alternatives or a
                    // list ("scarring or atelectasis"), not a clause of its own ("... edema given central venous congestion").
                    guard let first = idx[idx.startIndex...k].first(where: { mentions[$0].tokens.lowerBound >= cue.tokens.upperBound }),
                          wordsBetween(cue.tokens.upperBound, mentions[first].tokens.lowerBound) <= 3 else { continue }
                    var joined = true
                    var prev = first
                    for q in idx[idx.startIndex...k] where mentions[q].tokens.lowerBound > mentions[first].tokens.lowerBound {
                        let gap = mentions[prev].tokens.upperBound..<mentions[q].tokens.lowerBound
                        var listWords = 0
                        for c in sentenceCues where tb.cues[c.rule].category == .coordinate && tb.cues[c.rule].list
                            && c.tokens.lowerBound >= gap.lowerBound && c.tokens.upperBound <= gap.upperBound {
                            listWords += wordsBetween(c.tokens.lowerBound, c.tokens.upperBound)
                        }
                        if gap.lowerBound > gap.upperBound || listWords == 0 || wordsBetween(gap.lowerBound, gap.upperBound) - listWords > 2
                            || commas(gap.lowerBound, gap.upperBound) > 0 { joined = false; break }
                        prev = q
                    }
                    guard joined else { continue }
                    if !unsided(i) { mentions[i].laterality = mentions[j].laterality ?? mentions[j].siteSide }
                    copySites(from: j, to: i)
                    evidenceLog.append(i, evidence(cue))
                }
            }
        }
    }

    /// Part of `linkAnatomy`: sentences that point back take side, site or change from the previous one.
    mutating func inheritAcrossSentences(_ tb: AnalysisTables, _ bySentence: MentionGroups) {
        // A sentence that opens by pointing back (an `anaphora` cue: "This likely represents a granuloma", "Dicha
        // opacidad…"): its present or uncertain findings without side or site take those of the last located
        // finding of the previous sentence, in the same section.
        for s in 0..<bySentence.count where s > 0 && !bySentence[s].isEmpty && s < sentences.count {
            let start = sentences[s].lowerBound
            // (A loop, not `first(where:)` with a closure calling `wordsBetween`: that copied the document.)
            var openerHit: CueHit? = nil
            for h in cues(ofSentence: s) where tb.cues[h.rule].category == .anaphora && wordsBetween(start, h.tokens.lowerBound) == 0 {
                openerHit = h
                break
            }
            guard let opener = openerHit,
                  sectionKind(ofToken: start) == sectionKind(ofToken: sentences[s - 1].lowerBound),
                  let j = bySentence[s - 1].last(where: { mentions[$0].assertion != .absent
                      && (mentions[$0].laterality != nil || hasOuterSite($0)) }) else { continue }
            for i in bySentence[s] where mentions[i].assertion != .absent && mentions[i].laterality == nil && !hasOuterSite(i) {
                if !unsided(i) { mentions[i].laterality = mentions[j].laterality ?? mentions[j].siteSide }
                copySites(from: j, to: i)
                evidenceLog.append(i, evidence(opener))
            }
        }
        // A sentence that points back and names no finding, place or normality of its own, only a change ("These
        // findings are new since the prior study", "Estos hallazgos de nueva aparición, no visibles en la radiografía
        // previa"), states that change for the present or uncertain findings of the previous sentence, in the same
        // section, that have none. Not a resolution or removal: those would make a finding absent on a pronoun's word.
        // So does a short sentence that is nothing but a change ("Increased.", "Slightly improved.", "Empeoramiento
        // radiológico respecto al previo."): a change cue opens it and it has at most eight words.
        for s in 0..<bySentence.count where s > 0 && bySentence[s].isEmpty && s < sentences.count && !bySentence[s - 1].isEmpty {
            let start = sentences[s].lowerBound
            let own = cues(ofSentence: s)
            // (Loops, not closures calling `wordsBetween`: those copied the document.)
            var opener: CueHit? = nil
            for h in own where tb.cues[h.rule].category == .anaphora && wordsBetween(start, h.tokens.lowerBound) == 0 {
                opener = h
                break
            }
            // (Not in the clinical data: "COVID positivo. Empeoramiento." is the patient's course, not the image's.)
            let clinical: Bool
            switch sectionKind(ofToken: start) {
            case .indication, .history: clinical = true
            default: clinical = false
            }
            var opensWithChange = false
            if let h = own.first, wordsBetween(start, h.tokens.lowerBound) == 0, case .change = tb.cues[h.rule].category { opensWithChange = true }
            let elliptic = opener == nil && !clinical && wordsBetween(start, sentences[s].upperBound) <= 8 && opensWithChange
            guard opener != nil || elliptic,
                  sectionKind(ofToken: start) == sectionKind(ofToken: sentences[s - 1].lowerBound),
                  !has(anatomy, sentence: s, { $0.sentence }), !has(anchorHits, sentence: s, { $0.sentence }) else { continue }
            var stated: (Change, CueHit)? = nil
            for h in own where h.tokens.lowerBound >= (opener?.tokens.upperBound ?? start) {
                guard case .change(let c) = tb.cues[h.rule].category else { continue }
                if c != .resolved && c != .removed { stated = (c, h) }
                break
            }
            guard let (change, cue) = stated else { continue }
            // A statement about the exam ("Estudio asinclítico.") does not change.
            for i in bySentence[s - 1] where mentions[i].assertion != .absent && mentions[i].change == nil
                && tb.kinds.indices.contains(Int(mentions[i].concept)) && tb.kinds[Int(mentions[i].concept)] != .global {
                mentions[i].change = change
                evidenceLog.append(i, evidence(cue))
                if let opener { evidenceLog.append(i, evidence(opener)) }
            }
        }
    }

    /// The `assert` analysis of one target phrase: first occurrence in the text, normalized like terms.
    func assertTarget(_ target: String) -> TargetAssertion {
        let keys = Normalizer.phraseKeys(target).filter { $0.count != 1 || ($0.first ?? 0) > 0x3F }
        var result = TargetAssertion(target: target, span: nil, assertion: .present, certainty: nil, temporality: .current,
                                     experiencer: .patient, change: nil, laterality: nil, severity: nil, evidence: [])
        guard !keys.isEmpty else { return result }
        // Keys of the word tokens of the text (computed on demand: targets need not be in the lexicon).
        var found: Range<Int>? = nil
        bytes.withUnsafeBufferPointer { p in
            var buf: [UInt8] = []
            var tokenKeys: [Int: [UInt8]] = [:]
            func key(_ i: Int) -> [UInt8] {
                if let k = tokenKeys[i] { return k }
                Normalizer.key(p, Int(tokens[i].byteStart), Int(tokens[i].byteEnd), into: &buf)
                tokenKeys[i] = buf
                return buf
            }
            outer: for s in sentences {
                var i = s.lowerBound
                while i < s.upperBound {
                    var j = i, k = 0
                    while k < keys.count && j < s.upperBound {
                        if !isWord(j) { if tokens[j].kind == .placeholder || (tokens[j].kind == .punct && tokens[j].punct == 0x2C) { j += 1; continue }; break }
                        if key(j) != keys[k] { break }
                        j += 1; k += 1
                    }
                    if k == keys.count && isWord(i) { found = i..<j; break outer }
                    i += 1
                }
            }
        }
        guard let r = found, let si = sentences.firstIndex(where: { $0.contains(r.lowerBound) }) else { return result }
        var ms = mentions
        // Findings that overlap the target are the target itself.
        ms.removeAll { $0.tokens.overlaps(r) }
        ms.append(Mention(concept: -1, tokens: r, sentence: si, isTarget: true))
        let idx = ms.indices.filter { ms[$0].sentence == si }.sorted { ms[$0].tokens.lowerBound < ms[$1].tokens.lowerBound }
        var log = MentionLog<Ev>()
        resolve(sentence: si, mentions: &ms, log: &log, indices: idx[...], cues: cues(ofSentence: si))
        guard let t = ms.last else { return result }
        result.span = span(r)
        result.assertion = t.assertion
        result.certainty = t.certainty
        result.temporality = t.temporality
        result.experiencer = t.experiencer
        result.change = t.change
        result.laterality = t.laterality
        result.severity = t.severity
        result.evidence = rendered(ms.count - 1, in: log, box.jsonPieces)
        return result
    }
}
