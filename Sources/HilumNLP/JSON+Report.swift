public import HilumCore

extension AnalyzedReport {
    /// Writes the `analyze` result of DESIGN §4 (stable key order, explicit nulls).
    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("report_id"); w.optString(reportID)
        w.comma(); w.key("language"); w.string(language.rawValue)
        w.comma(); w.key("ontology_version"); w.string(ontologyVersion)
        w.comma(); w.key("sections"); w.raw("[")
        for (i, s) in sections.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("kind"); w.string(s.kind.rawValue)
            w.comma(); w.key("span"); w.span(s.span)
            w.comma(); w.key("header_span"); if let h = s.headerSpan { w.span(h) } else { w.null() }
            w.comma(); w.key("rule"); w.optString(s.rule)
            w.raw("}")
        }
        w.raw("]")
        w.comma(); w.key("findings"); w.raw("[")
        for (i, f) in findings.enumerated() {
            if i > 0 { w.comma() }
            f.writeJSON(to: &w)
        }
        w.raw("]")
        w.comma(); w.key("labels"); w.raw("{")
        for (i, s) in labels.enumerated() {
            if i > 0 { w.comma() }
            w.key(s.scheme); w.raw("{")
            for (j, (k, v)) in s.values.enumerated() {
                if j > 0 { w.comma() }
                w.key(k); w.value(v)
            }
            w.raw("}")
        }
        w.raw("}")
        w.comma(); w.key("warnings"); w.raw("[")
        for (i, e) in warnings.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("code"); w.string(e.code); w.comma(); w.key("message"); w.string(e.message); w.raw("}")
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
        w.raw("{"); w.key("id"); w.string(id)
        w.comma(); w.key("concept"); w.raw("{")
        w.key("cui"); w.string(concept.cui)
        w.comma(); w.key("name"); w.string(concept.name)
        w.comma(); w.key("kind"); w.string(concept.kind.rawValue)
        w.comma(); w.key("padchest"); w.optString(concept.padchest)
        w.raw("}")
        w.comma(); w.key("text"); w.string(text)
        w.comma(); w.key("span"); w.span(span)
        w.comma(); w.key("section"); w.string(section.rawValue)
        w.comma(); w.key("sentence"); w.int(sentence)
        writeContext(&w, assertion, certainty, temporality, experiencer, change, laterality, severity)
        w.comma(); w.key("locations"); w.raw("[")
        for (i, l) in locations.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("cui"); w.string(l.cui)
            w.comma(); w.key("name"); w.string(l.name)
            w.comma(); w.key("padchest"); w.optString(l.padchest)
            w.comma(); w.key("text"); w.string(l.text)
            w.comma(); w.key("span"); w.span(l.span)
            w.raw("}")
        }
        w.raw("]")
        w.comma(); w.key("regions"); w.stringArray(regions)
        w.comma(); w.key("region_basis"); w.optString(regionBasis)
        w.comma(); w.key("labels"); w.raw("{")
        for (i, (k, v)) in labels.enumerated() {
            if i > 0 { w.comma() }
            w.key(k); w.stringArray(v)
        }
        w.raw("}")
        w.comma(); w.key("evidence"); Evidence.writeArray(evidence, to: &w)
        w.raw("}")
    }
}

/// The context fields shared by findings and asserted targets, in contract order.
func writeContext(_ w: inout JSONWriter, _ assertion: Assertion, _ certainty: Certainty?, _ temporality: Temporality,
                  _ experiencer: Experiencer, _ change: Change?,
                  _ laterality: Laterality?, _ severity: Severity?) {
    w.comma(); w.key("assertion"); w.string(assertion.rawValue)
    w.comma(); w.key("certainty"); w.optString(certainty?.rawValue)
    w.comma(); w.key("temporality"); w.string(temporality.rawValue)
    w.comma(); w.key("experiencer"); w.string(experiencer.rawValue)
    w.comma(); w.key("change"); w.optString(change?.rawValue)
    w.comma(); w.key("laterality"); w.optString(laterality?.rawValue)
    w.comma(); w.key("severity"); w.optString(severity?.rawValue)
}

extension Evidence {
    public static func writeArray(_ list: [Evidence], to w: inout JSONWriter) {
        w.raw("[")
        for (i, e) in list.enumerated() {
            if i > 0 { w.comma() }
            e.writeJSON(to: &w)
        }
        w.raw("]")
    }

    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("rule"); w.string(rule)
        w.comma(); w.key("category"); w.string(category)
        w.comma(); w.key("span"); w.span(span)
        w.raw("}")
    }
}

extension TargetAssertion {
    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("target"); w.string(target)
        w.comma(); w.key("span"); if let s = span { w.span(s) } else { w.null() }
        writeContext(&w, assertion, certainty, temporality, experiencer, change, laterality, severity)
        w.comma(); w.key("evidence"); Evidence.writeArray(evidence, to: &w)
        w.raw("}")
    }
}
