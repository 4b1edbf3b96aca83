internal import HilumCore
internal import HilumOntology

extension Document {
    func slice(_ r: Range<Int>) -> String {
        guard !r.isEmpty, r.lowerBound >= 0, r.upperBound <= tokens.count else { return "" }
        let s = Int(tokens[r.lowerBound].byteStart), e = Int(tokens[r.upperBound - 1].byteEnd)
        guard s >= 0, s <= e, e <= bytes.count else { return "" }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[s..<e]), as: UTF8.self) }
    }

    /// The reference to concept `i`: its fields and JSON from the ontology's JSON pieces (made once per ontology),
    /// shared by every reference to it.
    func conceptRef(_ i: Int32, _ p: JSONPieces) -> ConceptRef {
        if let j = p.concept(i, lang) { return ConceptRef(j, index: i) }
        let tb = box.ontology.lexicon.tables
        let k = Int(i)
        guard k >= 0, k < tb.conceptIDs.count else { return ConceptRef(cui: "", name: "", kind: .finding, padchest: nil) }
        return ConceptRef(cui: tb.conceptIDs[k], name: tb.name(i, lang), kind: tb.kinds[k], padchest: tb.padchest[k], index: i)
    }

    /// Regions of a finding: from its anatomy (filtered to its side), else its documented default site; with how they
    /// were chosen, and their JSON when they are a list the ontology holds.
    func regions(for m: Mention, sites all: ArraySlice<Int>, _ p: JSONPieces) -> ([String], String?, RegionsJSON?) {
        let tb = box.ontology.lexicon.tables
        // A site read inside the finding's own term names its PadChest localization; it places the finding on the
        // image only when the ontology documents no default site for it ("aortic elongation" stays on the aortic
        // arch, "calcified right hilar granuloma" goes to the right hilum).
        // Unless the inner site is a finer place inside the default ("retrocardiac opacity": the left lower lung zone,
        // inside the lungs an opacity defaults to).
        var locations = all
        if all.contains(where: { $0 >= 0 && $0 < anatomy.count && anatomy[$0].owner >= 0 }),
           let defaults = tb.defaultRegions(m.concept, m.laterality) {
            let stated = m.laterality ?? m.siteSide
            let side: Laterality? = stated == .bilateral ? nil : stated
            var finer = true, any = false
            for ai in all where ai >= 0 && ai < anatomy.count && anatomy[ai].owner >= 0 {
                let c = Int(anatomy[ai].concept)
                guard c >= 0, c < tb.sites.count, !tb.sideOnly[c] else { continue }
                if !tb.sites[c].on(side).isEmpty {
                    any = true
                    if !tb.regionsOf(c, side: side, lieWithin: defaults) { finer = false }
                }
            }
            if !(any && finer) {
                locations = ArraySlice(all.filter { $0 >= 0 && $0 < anatomy.count && anatomy[$0].owner < 0 })
            }
        }
        var out: [String] = []
        var sideOnly: [String] = []
        let stated = m.laterality ?? m.siteSide
        let side: Laterality? = stated == .bilateral ? nil : stated
        // One site (the usual case): its regions as the ontology holds them, no list to build.
        if locations.count == 1, let ai = locations.first, ai >= 0, ai < anatomy.count {
            let c = Int(anatomy[ai].concept)
            if c >= 0, c < tb.sites.count, !tb.sideOnly[c] {
                let regions = tb.sites[c].on(side)
                if !regions.isEmpty { return (regions, "anatomy", p.siteRegions(c, side)) }
            }
        }
        // Several sites: room for their regions at once (appending one by one grows the lists at each region).
        if !locations.isEmpty { out.reserveCapacity(2 * locations.count + 2) }
        for ai in locations {
            let c = Int(anatomy[ai].concept)
            guard c >= 0, c < tb.sites.count else { continue }
            if locations.count > 1, namesFinerPlace(than: ai, among: locations, side: side) { continue }
            if tb.sideOnly[c] {
                for r in tb.sites[c].all where !sideOnly.contains(r) { sideOnly.append(r) }
                continue
            }
            for r in tb.sites[c].on(side) where !out.contains(r) { out.append(r) }
        }
        if !out.isEmpty { return (out, "anatomy", nil) }
        // Defaults: the concept's own rows or its nearest ancestor's, picked for the stated side when the ontology
        // loads. A stated side narrows the default site ("left effusion" -> left costophrenic angle): basis `laterality`.
        if let regions = tb.defaultRegions(m.concept, m.laterality) {
            return (regions, m.laterality != nil ? "laterality" : "default", p.defaultRegions(m.concept, m.laterality))
        }
        return sideOnly.isEmpty ? ([], nil, nil) : (sideOnly, "laterality", nil)
    }

    /// Whether another site of the same finding, written with site `ai` as one place name, is a finer place inside it:
    /// "right lung base", "base del pulmón derecho", "left lower lobe of the left lung" name the base or the lobe, not
    /// the whole lung. The two phrases overlap or touch, or only a locative ("of the", "del") stands between them; a site named
    /// apart ("in both lungs, most marked in the upper lobes") keeps its own extent.
    func namesFinerPlace(than ai: Int, among locations: ArraySlice<Int>, side: Laterality?) -> Bool {
        let tb = box.ontology.lexicon.tables
        let a = anatomy[ai]
        let ca = Int(a.concept)
        guard ca >= 0, ca < tb.sites.count, !tb.sideOnly[ca] else { return false }
        let coarse = tb.sites[ca].on(side)
        guard !coarse.isEmpty else { return false }
        for bi in locations where bi != ai && bi >= 0 && bi < anatomy.count {
            let b = anatomy[bi]
            let cb = Int(b.concept)
            // Two places read from the same words are siblings ("right middle and lower lobes"), not one inside the other.
            guard b.sentence == a.sentence, b.tokens != a.tokens, cb >= 0, cb < tb.sites.count, !tb.sideOnly[cb] else { continue }
            // One place name first (token arithmetic), the regions only then.
            let gap = a.tokens.upperBound <= b.tokens.lowerBound ? a.tokens.upperBound..<b.tokens.lowerBound
                : b.tokens.upperBound <= a.tokens.lowerBound ? b.tokens.upperBound..<a.tokens.lowerBound : nil
            var joined = gap?.isEmpty ?? true   // touching, or overlapping ("right upper lobe" and its "lobe")
            if !joined, let gap, gap.count <= 3 {
                for h in cues(ofSentence: a.sentence, from: gap.lowerBound) {
                    if h.tokens.lowerBound > gap.lowerBound { break }
                    if h.tokens == gap, case .locative = tb.cues[h.rule].category { joined = true; break }
                }
            }
            guard joined else { continue }
            let fine = tb.sites[cb].on(side)
            if !fine.isEmpty, fine != coarse, tb.regionsOf(cb, side: side, lieWithin: coarse) { return true }
        }
        return false
    }

    /// Whether mention `a` comes before mention `b` in the result: by span, then by concept id.
    @inline(__always)
    static func before(_ a: Mention, _ b: Mention, _ tb: AnalysisTables) -> Bool {
        if a.tokens.lowerBound != b.tokens.lowerBound { return a.tokens.lowerBound < b.tokens.lowerBound }
        if a.tokens.upperBound != b.tokens.upperBound { return a.tokens.upperBound < b.tokens.upperBound }
        return a.concept != b.concept && tb.id(a.concept) < tb.id(b.concept)
    }

    /// The mentions in result order: by span, then by concept id (the CUI string, compared only on a tie). Mentions
    /// are found nearly in this order, so a stable insertion sort into the document's buffer does little work. The
    /// buffer is taken from the document: give it back with `reportOrder = ordered`.
    mutating func takeResultOrder() -> [Int] {
        let tb = box.ontology.lexicon.tables
        var ordered: [Int] = []
        swap(&ordered, &reportOrder)
        ordered.removeAll(keepingCapacity: true)
        // Insertion sort while it stays cheap; a report whose mentions come far out of order (a long report whose
        // normality statements, found last, belong all along it) is sorted in n log n instead, with the index breaking
        // ties so that the order is the insertion sort's (stable).
        var moves = 0
        let budget = 8 * mentions.count + 64
        for i in mentions.indices where !mentions[i].predicateOnly {
            var b = ordered.count
            ordered.append(i)
            while b > 0 && Document.before(mentions[i], mentions[ordered[b - 1]], tb) {
                ordered[b] = ordered[b - 1]
                b -= 1
                moves += 1
            }
            ordered[b] = i
            if moves > budget {
                ordered.removeAll(keepingCapacity: true)
                for k in mentions.indices where !mentions[k].predicateOnly { ordered.append(k) }
                let ms = mentions
                ordered.sort { x, y in
                    Document.before(ms[x], ms[y], tb) || (!Document.before(ms[y], ms[x], tb) && x < y)
                }
                return ordered
            }
        }
        return ordered
    }

    /// The analysis as report labels read it (`LabelView`): the findings of `report` in its order, with the same
    /// values, and no string.
    mutating func labelView(into v: inout LabelView) {
        v.findings.removeAll(keepingCapacity: true)
        v.locations.removeAll(keepingCapacity: true)
        v.language = lang
        v.sentenceCount = sentences.count
        let ordered = takeResultOrder()
        defer { reportOrder = ordered }
        for i in ordered {
            let m = mentions[i]
            let first = Int32(truncatingIfNeeded: v.locations.count)
            let n = anatomy.count
            sites.forEach(of: i) { ai in
                let a = Int(ai)
                if a >= 0 && a < n { v.locations.append(anatomy[a].concept) }
            }
            v.findings.append(LabelView.Item(
                concept: m.concept, assertion: m.assertion, certainty: m.assertion == .uncertain ? (m.certainty ?? .possible) : nil,
                temporality: m.temporality, experiencer: m.experiencer, sentence: m.sentence + 1,
                locationStart: first, locationEnd: Int32(truncatingIfNeeded: v.locations.count)))
        }
    }

    /// Finding ids `f1`, `f2`, … (made once).
    static let findingIDs: [String] = (1...512).map { "f\($0)" }

    /// The result; `full` false leaves out what `Analyzer.Detail.labels` documents.
    mutating func report(id: String?, full: Bool = true) -> AnalyzedReport {
        let tb = box.ontology.lexicon.tables
        // The JSON pieces hold every concept's and rule's fields: references share them whether or not JSON is written.
        let p = box.jsonPieces
        var findings: [Finding] = []
        findings.reserveCapacity(mentions.count)
        let ordered = takeResultOrder()
        defer { reportOrder = ordered }
        // The sites of each finding, gathered one finding after another in one buffer (emptied once per report).
        var siteBuf: [Int] = []
        swap(&siteBuf, &siteBuffer)
        Document.clear(&siteBuf)
        defer { swap(&siteBuf, &siteBuffer) }
        for (n, i) in ordered.enumerated() {
            let m = mentions[i]
            let firstSite = siteBuf.count
            sites.forEach(of: i) { siteBuf.append(Int($0)) }
            let siteList = siteBuf[firstSite...]
            var locs: [LocationRef] = []
            if !siteList.isEmpty {
                locs.reserveCapacity(siteList.count)
                for ai in siteList where ai >= 0 && ai < anatomy.count {
                    let a = anatomy[ai]
                    let ref = conceptRef(a.concept, p)
                    let k = Int(a.concept)
                    locs.append(LocationRef(ref, text: full ? slice(a.tokens) : "", span: span(a.tokens),
                                            laterality: k >= 0 && k < tb.laterality.count ? tb.laterality[k] : nil))
                }
            }
            // Someone else's finding ("padre con…") is in no region of this patient's image.
            let (regs, basis, regsJSON) = full && m.experiencer == .patient ? regions(for: m, sites: siteList, p) : ([], nil, nil)
            findings.append(Finding(
                id: n < Document.findingIDs.count ? Document.findingIDs[n] : "f\(n + 1)", concept: conceptRef(m.concept, p),
                text: full ? slice(m.tokens) : "", span: span(m.tokens),
                section: sectionKind(ofToken: m.tokens.lowerBound), sentence: m.sentence + 1,
                assertion: m.assertion, certainty: m.assertion == .uncertain ? (m.certainty ?? .possible) : nil, temporality: m.temporality, experiencer: m.experiencer, change: m.change, laterality: m.laterality,
                severity: m.severity, locations: locs, regions: regs, regionBasis: basis, regionsJSON: regsJSON,
                evidence: full ? rendered(i, in: evidenceLog, p) : []))
        }
        let totalScalars = scalarCount
        var secs: [Section] = []
        if full { secs.reserveCapacity(sections.count + 1) }
        for (k, s) in sections.enumerated() where full {
            let startTok = s.firstToken
            let endScalar = k + 1 < sections.count ? Int(tokens[sections[k + 1].firstToken].start) : totalScalars
            // Trim trailing whitespace: end at the last token before the next header.
            var lastTok = (k + 1 < sections.count ? sections[k + 1].firstToken : tokens.count) - 1
            if lastTok < startTok { lastTok = startTok }
            let end = min(endScalar, Int(tokens[lastTok].end))
            secs.append(Section(kind: s.kind, span: TextSpan(Int(tokens[startTok].start), max(end, Int(tokens[startTok].start))),
                                headerSpan: s.headerTokens.map { span($0) }, rule: s.rule))
        }
        if !full {
            // Sections are left out.
        } else if let first = sections.first, first.firstToken > 0, !tokens.isEmpty {
            // Text before the first header.
            secs.insert(Section(kind: .none, span: TextSpan(Int(tokens[0].start), Int(tokens[first.firstToken - 1].end)),
                                headerSpan: nil, rule: nil), at: 0)
        } else if sections.isEmpty, let f = tokens.first, let l = tokens.last {
            secs.append(Section(kind: .none, span: TextSpan(Int(f.start), Int(l.end)), headerSpan: nil, rule: nil))
        }
        return AnalyzedReport(reportID: id, language: lang, ontologyVersion: box.ontology.version, sections: secs,
                              sentences: sentences.map { span($0) }, findings: findings, warnings: warnings,
                              textLength: totalScalars)
    }
}
