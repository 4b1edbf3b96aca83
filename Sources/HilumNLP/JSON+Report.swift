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
        for i in findings.indices {
            if i > 0 { w.comma() }
            findings[i].writeJSON(to: &w)
        }
        w.raw("]")
        w.nextKey("labels"); w.raw("{")
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
        w.raw("{"); w.key("id"); w.string(id)
        w.nextKey("concept"); w.raw("{")
        w.key("cui"); w.string(concept.cui)
        w.nextKey("name"); w.string(concept.name)
        w.nextKey("kind"); w.literal(concept.kind)
        w.nextKey("padchest"); w.optString(concept.padchest)
        w.raw("}")
        w.nextKey("text"); w.string(text)
        w.nextKey("span"); w.span(span)
        w.nextKey("section"); w.literal(section)
        w.nextKey("sentence"); w.int(sentence)
        writeContext(&w, assertion, certainty, temporality, experiencer, change, laterality, severity)
        w.nextKey("locations"); w.raw("[")
        for i in locations.indices {
            if i > 0 { w.comma() }
            w.raw("{"); w.key("cui"); w.string(locations[i].cui)
            w.nextKey("name"); w.string(locations[i].name)
            w.nextKey("padchest"); w.optString(locations[i].padchest)
            w.nextKey("text"); w.string(locations[i].text)
            w.nextKey("span"); w.span(locations[i].span)
            w.raw("}")
        }
        w.raw("]")
        w.nextKey("regions"); w.stringArray(regions)
        w.nextKey("region_basis"); w.optString(regionBasis)
        w.nextKey("labels"); w.raw("{")
        for i in labels.indices {
            if i > 0 { w.comma() }
            w.key(labels[i].0); w.stringArray(labels[i].1)
        }
        w.raw("}")
        w.nextKey("evidence"); Evidence.writeArray(evidence, to: &w)
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
        for i in list.indices {
            if i > 0 { w.comma() }
            list[i].writeJSON(to: &w)
        }
        w.raw("]")
    }

    public func writeJSON(to w: inout JSONWriter) {
        w.raw("{"); w.key("rule"); w.string(rule)
        w.nextKey("category"); w.string(category)
        w.nextKey("span"); w.span(span)
        w.raw("}")
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
