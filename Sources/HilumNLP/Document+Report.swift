internal import HilumCore
internal import HilumOntology

extension Document {
    func slice(_ r: Range<Int>) -> String {
        guard !r.isEmpty else { return "" }
        let s = Int(tokens[r.lowerBound].byteStart), e = Int(tokens[r.upperBound - 1].byteEnd)
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }

    func conceptRef(_ id: ConceptID) -> ConceptRef {
        let c = ontology.concepts[id]
        return ConceptRef(cui: id, name: c?.name(lang) ?? id, kind: c?.kind ?? .finding, padchest: c?.padchest)
    }

    /// Regions of a finding: from its anatomy (filtered to its side), else its documented default site.
    func regions(for m: Mention) -> ([String], String?) {
        var out: [String] = []
        var sideOnly: [String] = []
        for ai in m.locations {
            if ontology.sideOnlyLocations.contains(anatomy[ai].concept) {
                for r in ontology.anatomyRegions[anatomy[ai].concept] ?? [] where !sideOnly.contains(r) { sideOnly.append(r) }
                continue
            }
            var id = anatomy[ai].concept
            var regs = ontology.anatomyRegions[id] ?? []
            // Nearest ancestor with regions.
            var guardSteps = 0
            while regs.isEmpty, guardSteps < 8, let p = ontology.parents[id]?.first {
                id = p; regs = ontology.anatomyRegions[id] ?? []; guardSteps += 1
            }
            if let side = m.laterality, side != .bilateral {
                let filtered = regs.filter { ontology.regions[$0]?.laterality == nil || ontology.regions[$0]?.laterality == side }
                if !filtered.isEmpty { regs = filtered }
            }
            for r in regs where !out.contains(r) { out.append(r) }
        }
        if !out.isEmpty { return (out, "anatomy") }
        // Defaults: the concept's own rows or its nearest ancestor's (resolved when the ontology loads).
        // A stated side narrows the default site ("left effusion" -> left costophrenic angle): basis `laterality`.
        let sided = m.laterality != nil
        guard let rows = ontology.lexicon.resolvedDefaults[m.concept] else {
            return sideOnly.isEmpty ? ([], nil) : (sideOnly, "laterality")
        }
        let side: DefaultSite.Side = m.laterality.map { DefaultSite.Side(rawValue: $0.rawValue) ?? .any } ?? .none
        let pick = rows.first { $0.side == side } ?? rows.first { $0.side == .any }
            ?? (side == .none ? rows.first { $0.side == .bilateral } : nil)
        if let pick, !pick.regions.isEmpty {
            if sided, let lat = m.laterality, lat != .bilateral {
                // An unsided default ("any") filtered to the stated side.
                let f = pick.regions.filter { ontology.regions[$0]?.laterality == nil || ontology.regions[$0]?.laterality == lat }
                if !f.isEmpty { return (f, "laterality") }
            }
            return (pick.regions, sided ? "laterality" : "default")
        }
        return sideOnly.isEmpty ? ([], nil) : (sideOnly, "laterality")
    }

    func report(id: String?) -> AnalyzedReport {
        var findings: [Finding] = []
        let ms = mentions
        let ordered = ms.indices.sorted {
            let a = ms[$0].tokens, b = ms[$1].tokens
            if a.lowerBound != b.lowerBound { return a.lowerBound < b.lowerBound }
            if a.upperBound != b.upperBound { return a.upperBound < b.upperBound }
            return ms[$0].concept < ms[$1].concept
        }
        for (n, i) in ordered.enumerated() {
            let m = mentions[i]
            let locs = m.locations.map { ai -> LocationRef in
                let a = anatomy[ai]
                let c = ontology.concepts[a.concept]
                return LocationRef(cui: a.concept, name: c?.name(lang) ?? a.concept, padchest: c?.padchest,
                                   text: slice(a.tokens), span: span(a.tokens), laterality: c?.laterality)
            }
            let (regs, basis) = regions(for: m)
            findings.append(Finding(
                id: "f\(n + 1)", concept: conceptRef(m.concept), text: slice(m.tokens), span: span(m.tokens),
                section: sectionKind(ofToken: m.tokens.lowerBound), sentence: m.sentence + 1,
                assertion: m.assertion, temporality: m.temporality, change: m.change, laterality: m.laterality,
                severity: m.severity, locations: locs, regions: regs, regionBasis: basis,
                evidence: m.evidence.sorted { $0.span < $1.span }))
        }
        let totalScalars = bytes.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
        var secs: [Section] = []
        for (k, s) in sections.enumerated() {
            let startTok = s.firstToken
            let endScalar = k + 1 < sections.count ? Int(tokens[sections[k + 1].firstToken].start) : totalScalars
            // Trim trailing whitespace: end at the last token before the next header.
            var lastTok = (k + 1 < sections.count ? sections[k + 1].firstToken : tokens.count) - 1
            if lastTok < startTok { lastTok = startTok }
            let end = min(endScalar, Int(tokens[lastTok].end))
            secs.append(Section(kind: s.kind, span: TextSpan(Int(tokens[startTok].start), max(end, Int(tokens[startTok].start))),
                                headerSpan: s.headerTokens.map { span($0) }, rule: s.rule))
        }
        if let first = sections.first, first.firstToken > 0, !tokens.isEmpty {
            // Text before the first header.
            secs.insert(Section(kind: .none, span: TextSpan(Int(tokens[0].start), Int(tokens[first.firstToken - 1].end)),
                                headerSpan: nil, rule: nil), at: 0)
        } else if sections.isEmpty, let f = tokens.first, let l = tokens.last {
            secs.append(Section(kind: .none, span: TextSpan(Int(f.start), Int(l.end)), headerSpan: nil, rule: nil))
        }
        return AnalyzedReport(reportID: id, language: lang, ontologyVersion: ontology.version, sections: secs,
                              sentences: sentences.map { span($0) }, findings: findings, warnings: warnings,
                              textLength: totalScalars)
    }
}
