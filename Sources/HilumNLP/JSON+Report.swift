public import HilumCore

extension AnalyzedReport {
    /// Writes the `analyze` result of DESIGN §4 (stable key order, explicit nulls).
    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("report_id"); w.optString(reportID)
        w.nextKey("language"); w.literal(language)
        w.nextKey("ontology_version"); w.string(ontologyVersion)
        w.nextKey("sections"); w.raw("[")
        // Index loops: `enumerated()` would copy each element (a reference count per string and array it holds).
        for i in sections.indices {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("kind"); w.literal(sections[i].kind)
            w.nextKey("span"); w.span(sections[i].span)
            w.nextKey("header_span"); if let h = sections[i].headerSpan { w.span(h) } else { w.null() }
            w.nextKey("rule"); w.optString(sections[i].rule)
            w.raw("}")
        }
        w.raw("]")
        w.nextKey("findings"); w.raw("[")
        // Through the buffer: a method called on `findings[i]` would run on a copy of the finding.
        findings.withUnsafeBufferPointer { f in
            for i in f.indices {
                if i > 0 { w.comma() }
                if let base = f.baseAddress { Finding.writeJSON(base + i, to: &w) }
            }
        }
        w.raw("]")
        w.nextKey("labels"); w.raw("{")
        for i in labels.indices {
            if i > 0 { w.comma() }
            w.key(labels[i].scheme)
            labels[i].writeJSON(to: &w)
        }
        w.raw("}")
        w.nextKey("warnings"); w.raw("[")
        for (i, e) in warnings.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("code"); w.string(e.code); w.nextKey("message"); w.string(e.message); w.raw("}")
        }
        w.raw("]")
        w.raw("}")
    }

    public func jsonString() -> String {
        var w = JSONWriter()
        writeJSON(to: &w)
        return w.string
    }
}

extension Finding {
    public func writeJSON(to w: inout JSONWriter) {
        withUnsafePointer(to: self) { Finding.writeJSON($0, to: &w) }
    }

    /// The finding at `p`, read in place: a method called on an element of the result's array would run on a copy
    /// (a reference count per string and array the finding holds).
    static func writeJSON(_ p: UnsafePointer<Finding>, to w: inout JSONWriter) {
        w.raw("{"); w.key("id"); w.string(p.pointee.id)
        w.nextKey("concept")
        // The concept's fields and their JSON are one object: an edited field has an object of its own.
        w.raw(p.pointee.concept.storage.object)
        w.nextKey("text"); w.string(p.pointee.text)
        w.nextKey("span"); w.span(p.pointee.span)
        w.nextKey("section"); w.literal(p.pointee.section)
        w.nextKey("sentence"); w.int(p.pointee.sentence)
        writeContext(&w, p.pointee.assertion, p.pointee.certainty, p.pointee.temporality, p.pointee.experiencer, p.pointee.change, p.pointee.laterality, p.pointee.severity)
        w.nextKey("locations"); w.raw("[")
        for i in p.pointee.locations.indices {
            if i > 0 { w.comma() }
            w.raw(p.pointee.locations[i].concept.storage.locationHead)
            w.nextKey("text"); w.string(p.pointee.locations[i].text)
            w.nextKey("span"); w.span(p.pointee.locations[i].span)
            w.raw("}")
        }
        w.raw("]")
        w.nextKey("regions"); w.stringArray(p.pointee.regions)
        w.nextKey("region_basis"); w.optString(p.pointee.regionBasis)
        w.nextKey("labels")
        if let j = p.pointee.labelsJSON, j.matches(p.pointee.labels) { w.raw(j.object) } else { Finding.writeLabels(&w, p.pointee.labels) }
        w.nextKey("evidence"); Evidence.writeArray(p.pointee.evidence, to: &w)
        w.raw("}")
    }
}

extension Finding {
    /// The `concept` object.
    static func writeConcept(_ w: inout JSONWriter, cui: String, name: String, kind: ConceptKind, padchest: String?) {
        w.raw("{"); w.key("cui"); w.string(cui)
        w.nextKey("name"); w.string(name)
        w.nextKey("kind"); w.literal(kind)
        w.nextKey("padchest"); w.optString(padchest)
        w.raw("}")
    }

    /// A location object up to its text: `{"cui":…,"name":…,"padchest":…`.
    static func writeLocationHead(_ w: inout JSONWriter, cui: String, name: String, padchest: String?) {
        w.raw("{"); w.key("cui"); w.string(cui)
        w.nextKey("name"); w.string(name)
        w.nextKey("padchest"); w.optString(padchest)
    }

    /// The `labels` object.
    static func writeLabels(_ w: inout JSONWriter, _ labels: [(String, [String])]) {
        w.raw("{")
        for i in labels.indices {
            if i > 0 { w.comma() }
            w.key(labels[i].0); w.stringArray(labels[i].1)
        }
        w.raw("}")
    }
}

/// The context fields shared by findings and asserted targets, in contract order.
func writeContext(_ w: inout JSONWriter, _ assertion: Assertion, _ certainty: Certainty?, _ temporality: Temporality,
                  _ experiencer: Experiencer, _ change: Change?,
                  _ laterality: Laterality?, _ severity: Severity?) {
    w.nextKey("assertion"); w.literal(assertion)
    w.nextKey("certainty"); w.optLiteral(certainty)
    w.nextKey("temporality"); w.literal(temporality)
    w.nextKey("experiencer"); w.literal(experiencer)
    w.nextKey("change"); w.optLiteral(change)
    w.nextKey("laterality"); w.optLiteral(laterality)
    w.nextKey("severity"); w.optLiteral(severity)
}

extension Evidence {
    public static func writeArray(_ list: [Evidence], to w: inout JSONWriter) {
        w.raw("[")
        list.withUnsafeBufferPointer { l in
            for i in l.indices {
                if i > 0 { w.comma() }
                l[i].writeJSON(to: &w)
            }
        }
        w.raw("]")
    }

    public func writeJSON(to w: inout JSONWriter) {
        w.raw(storage.head)
        w.span(span)
        w.raw("}")
    }

    /// An evidence object up to its span: `{"rule":…,"category":…,"span":`.
    static func writeHead(_ w: inout JSONWriter, rule: String, category: String) {
        w.raw("{"); w.key("rule"); w.string(rule)
        w.nextKey("category"); w.string(category)
        w.nextKey("span")
    }
}

extension TargetAssertion {
    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("target"); w.string(target)
        w.nextKey("span"); if let s = span { w.span(s) } else { w.null() }
        writeContext(&w, assertion, certainty, temporality, experiencer, change, laterality, severity)
        w.nextKey("evidence"); Evidence.writeArray(evidence, to: &w)
        w.raw("}")
    }
}
