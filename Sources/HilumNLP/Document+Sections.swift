internal import HilumCore
internal import HilumOntology

extension Document {
    /// Finds section headers: a header phrase at the start of a line (or after a sentence end) that is
    /// followed by `:`, or that stands alone on its line in capitals. Tokens of the header are skipped by
    /// matching; the header is not a scope breaker for the sentence after it.
    mutating func findSections() {
        Document.refill(&headerToken, false, tokens.count)
        guard let tries = box.ontology.lexicon.tables.tries(lang) else { return }
        sections.reserveCapacity(8)
        var i = 0
        let n = tokens.count
        // The walk's arrays and the header trie, read once (not per walk: each read counts a reference per array).
        let view = MatchView(tokens: tokens, ids: ids, exactIDs: exactIDs)
        let headers = tries.headers
        while i < n {
            let t = tokens[i]
            let atLineStart = i == 0 || t.newlinesBefore > 0
            // A header starts a line or follows a sentence's end (most tokens do neither).
            if !atLineStart {
                let p = tokens[i - 1]
                guard p.kind == .punct && (p.punct == 0x2E || p.punct == 0x3F || p.punct == 0x21) else { i += 1; continue }
            }
            guard isWord(i), let m = view.longest(headers, at: i, limit: n) else { i += 1; continue }
            // A parenthetical on the header's line belongs to it ("RX TÓRAX (pa y lateral):", "CHEST (PORTABLE AP)").
            let end = parentheticalEnd(after: m.end) ?? m.end
            let followedByColon = end < n && tokens[end].kind == .punct && tokens[end].punct == 0x3A
            let allUpper = (i..<m.end).allSatisfy { !isWord($0) || tokens[$0].allUpper }
            let aloneOnLine = atLineStart && (end == n || tokens[end].newlinesBefore > 0)
            // "Datos clínicos." alone on its line, any case, with a line after it: the period closes the header, not a
            // sentence. Not right after another header ("RECOMMENDATION\nFollow-up." is that section's text).
            let periodEndsLine = atLineStart && end + 1 < n && tokens[end].kind == .punct && tokens[end].punct == 0x2E
                && tokens[end + 1].newlinesBefore > 0 && (i == 0 || !headerToken[i - 1])
            let accept = (followedByColon && (atLineStart || allUpper)) || (aloneOnLine && allUpper) || periodEndsLine
            guard accept, let ruleIndex = headers.payloads(m.node).first,
                  Int(ruleIndex) < box.ontology.sections.count else { i += 1; continue }
            let rule = box.ontology.sections[Int(ruleIndex)]
            let headerEnd = followedByColon || periodEndsLine ? end + 1 : end
            for k in i..<headerEnd { headerToken[k] = true }
            sections.append(SectionInfo(kind: rule.kind, headerTokens: i..<headerEnd, firstToken: i, rule: rule.id))
            i = headerEnd
        }
        // A preamble section (indication, history, comparison, technique) ends at its line's end when
        // the next line does not start with a header: the body that follows is unlabelled, not history.
        var k = 0
        while k < sections.count {
            let sec = sections[k]
            let preamble: Bool
            switch sec.kind {
            case .indication, .history, .comparison, .technique: preamble = true
            default: preamble = false
            }
            if preamble, let h = sec.headerTokens {
                let end = k + 1 < sections.count ? sections[k + 1].firstToken : n
                var j = h.upperBound + 1
                while j < end && tokens[j].newlinesBefore == 0 { j += 1 }
                if j < end {
                    sections.insert(SectionInfo(kind: .none, headerTokens: nil, firstToken: j, rule: nil), at: k + 1)
                    k += 1
                }
            }
            k += 1
        }
    }

    /// When token `k` opens a parenthesis on the same line and it closes within a few tokens on that line, the index
    /// after the closing one.
    func parentheticalEnd(after k: Int) -> Int? {
        let n = tokens.count
        guard k < n, tokens[k].kind == .punct, tokens[k].punct == 0x28, tokens[k].newlinesBefore == 0 else { return nil }
        var j = k + 1
        while j < n && j <= k + 12 {
            let t = tokens[j]
            if t.newlinesBefore > 0 { return nil }
            if t.kind == .punct {
                if t.punct == 0x29 { return j + 1 }
                if t.punct == 0x28 || t.punct == 0x2E || t.punct == 0x3A { return nil }
            }
            j += 1
        }
        return nil
    }

    /// The kind of the section token `i` is in (`none` before the first header): the last section starting at or
    /// before it (sections are in token order).
    func sectionKind(ofToken i: Int) -> SectionKind {
        guard i >= 0, i < tokens.count else { return .none }
        var lo = 0, hi = sections.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sections[mid].firstToken <= i { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? sections[lo - 1].kind : .none
    }

    /// Splits tokens into sentences: at `. ! ?` (not after an abbreviation or inside a number), at a
    /// blank line, at a section header, and before a numbered-list item at the start of a line.
    /// Single line breaks inside a sentence do not split it.
    /// Whether the words of the line before token `end` (not before token `from`) are all capitals.
    static func capitalLine(_ tokens: [Token], from: Int, endingAt end: Int) -> Bool {
        var k = end - 1
        var words = false
        while k >= from && k < tokens.count {
            let w = tokens[k]
            if w.kind == .word {
                if !w.allUpper { return false }
                words = true
            }
            if w.newlinesBefore > 0 { break }
            k -= 1
        }
        return words
    }

    /// Whether the first 20,000 bytes have more ASCII lowercase letters than uppercase ones (mixed-case text).
    static func lowerExceedsUpper(_ bytes: [UInt8]) -> Bool {
        var upper = 0, lower = 0
        bytes.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            let end = min(p.count, 20000)
            var k = 0
            // Eight bytes at a time: the exact per-byte "m < byte < n" test on the low seven bits, for bytes below 0x80.
            let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080, low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            @inline(__always) func between(_ x: UInt64, _ m: UInt64, _ n: UInt64) -> Int {
                let t = x & low7
                return ((ones &* (127 + n) &- t) & ~x & (t &+ ones &* (127 - m)) & high).nonzeroBitCount
            }
            while k + 8 <= end {
                let x = UInt64(littleEndian: UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self))
                upper &+= between(x, 0x40, 0x5B)
                lower &+= between(x, 0x60, 0x7B)
                k += 8
            }
            while k < end {
                let b = p[k]
                upper &+= (b &- 0x41 < 26) ? 1 : 0
                lower &+= (b &- 0x61 < 26) ? 1 : 0
                k += 1
            }
        }
        return lower > upper
    }

    mutating func findSentences() {
        let n = tokens.count
        var start = 0
        var i = 0
        let (abbrevs, abbrevMax) = box.ontology.lexicon.tables.abbreviations(lang)
        let bits = box.ontology.lexicon.tables.languageBits
        let abbrevBit: UInt8 = lang == .es ? 0x80 : 0x40
        var buf: [UInt8] = []
        // In mixed-case text a line that starts with a capital after a line with no closing punctuation
        // starts a new sentence (list-like reports); in all-capitals text line breaks are only wrapping.
        // Counted the first time a rule asks (most reports never do: their lines start with a header or follow a stop).
        var mixedCaseKnown: Bool? = nil
        func mixedCase() -> Bool {
            if let m = mixedCaseKnown { return m }
            let m = Document.lowerExceedsUpper(bytes)
            mixedCaseKnown = m
            return m
        }
        func startsUpper(_ t: Token) -> Bool {
            let b = bytes[Int(t.byteStart)]
            return (b >= 0x41 && b <= 0x5A) || b == 0xC3 && Int(t.byteStart) + 1 < bytes.count && bytes[Int(t.byteStart) + 1] >= 0x80 && bytes[Int(t.byteStart) + 1] <= 0x9E
        }
        func close(_ end: Int) {
            // Drop leading header tokens.
            var s = start
            while s < end && headerToken[s] { s += 1 }
            if s < end { sentences.append(s..<end) }
            start = end
        }
        while i < n {
            let t = tokens[i]
            // Most tokens are words inside a line: nothing below applies to them (every rule needs a line break before
            // the token, a header token, or punctuation).
            if t.newlinesBefore == 0 && t.kind != .punct && !headerToken[i] {
                i += 1
                continue
            }
            // Boundaries before token i.
            if i > start {
                let blank = t.newlinesBefore >= 2
                let header = headerToken[i] && !headerToken[i - 1]
                var listItem = false
                if t.newlinesBefore > 0, t.kind == .number, i + 1 < n, tokens[i + 1].kind == .punct,
                   tokens[i + 1].punct == 0x2E || tokens[i + 1].punct == 0x29 {
                    listItem = true
                }
                var capitalLine = false
                if !(blank || header || listItem), t.newlinesBefore > 0, t.kind == .word, startsUpper(t), tokens[i - 1].kind != .punct,
                   mixedCase() {
                    capitalLine = true
                }
                if blank || header || listItem || capitalLine { close(i) }
            }
            // A line in capitals that ends with a colon, in a mixed-case report, is a heading ("TC TÓRAX ALTA
            // RESOLUCIÓN:", "PA AND LATERAL CHEST:"): it ends before the next line.
            if t.kind == .punct && t.punct == 0x3A, i + 1 < n, tokens[i + 1].newlinesBefore > 0, Document.capitalLine(tokens, from: start, endingAt: i),
               mixedCase() {
                close(i + 1)
                i += 1
                continue
            }
            if t.kind == .punct && (t.punct == 0x2E || t.punct == 0x21 || t.punct == 0x3F) {
                var isAbbrev = false
                if t.punct == 0x2E, i > 0, tokens[i - 1].kind == .word, tokens[i - 1].byteEnd == t.byteStart {
                    let prev = tokens[i - 1]
                    // Folding at most halves a word (a two-byte accented letter becomes one byte), so a word more
                    // than twice as long as every abbreviation (and longer than one letter, for the rule below) is neither.
                    let key = Int(ids[i - 1])
                    let mayBeAbbrev = key >= 0 && key < bits.count && bits[key] & abbrevBit != 0
                    if (mayBeAbbrev || prev.end - prev.start == 1), Int(prev.byteEnd - prev.byteStart) <= max(2 * abbrevMax, 4) {
                        bytes.withUnsafeBufferPointer { p in
                            Normalizer.fold(p, Int(prev.byteStart), Int(prev.byteEnd), into: &buf)
                        }
                        // A following lowercase word after a known abbreviation continues the sentence.
                        if abbrevs.contains(buf) { isAbbrev = true }
                    } else {
                        buf.removeAll(keepingCapacity: true)
                    }
                    if buf.count == 1 && i + 1 < n && tokens[i + 1].newlinesBefore == 0 && tokens[i + 1].kind == .word
                        && tokens[i + 1].byteStart == t.byteEnd + 0 { isAbbrev = true }  // e.g. "p.ej"
                }
                // List marker "1." at line start is not a sentence end.
                if t.punct == 0x2E, i > 0, tokens[i - 1].kind == .number, (i - 1 == 0 || tokens[i - 1].newlinesBefore > 0) {
                    isAbbrev = true
                }
                // Nor is the period of a date written with spaces ("2. 4. 20"): a short number before it, a number after it
                // on the same line.
                if t.punct == 0x2E, i > 0, i + 1 < n, tokens[i - 1].kind == .number, tokens[i - 1].byteEnd == t.byteStart,
                   tokens[i - 1].byteEnd - tokens[i - 1].byteStart <= 2, tokens[i + 1].kind == .number,
                   tokens[i + 1].newlinesBefore == 0, tokens[i + 1].byteEnd - tokens[i + 1].byteStart <= 4 {
                    isAbbrev = true
                }
                if !isAbbrev {
                    // Keep a run of closing punctuation together.
                    var end = i + 1
                    while end < n, tokens[end].kind == .punct, tokens[end].newlinesBefore == 0,
                          tokens[end].punct == 0x2E || tokens[end].punct == 0x21 || tokens[end].punct == 0x3F || tokens[end].punct == 0x29 {
                        end += 1
                    }
                    close(end)
                    i = end
                    continue
                }
            }
            i += 1
        }
        if start < n { close(n) }
    }
}
