/* OpenI XML through libxml2's tree API, replacing Foundation's XMLParser, which traps or dereferences NULL on some
   malformed documents (found by fuzzing: non-UTF-8 element names, an empty processing instruction). */
#include "hilum_xml.h"
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

static void quiet(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }

static void walk(xmlNodePtr node, void *ctx, hilum_openi_field field, int *saw_id) {
    for (xmlNodePtr n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || !n->name) continue;
        if (!*saw_id && xmlStrcmp(n->name, (const xmlChar *)"uId") == 0) {
            xmlChar *id = xmlGetProp(n, (const xmlChar *)"id");
            if (id) { field(ctx, NULL, (const char *)id); xmlFree(id); *saw_id = 1; }
        }
        if (xmlStrcmp(n->name, (const xmlChar *)"AbstractText") == 0) {
            xmlChar *label = xmlGetProp(n, (const xmlChar *)"Label");
            xmlChar *text = xmlNodeGetContent(n);
            field(ctx, label ? (const char *)label : "TEXT", text ? (const char *)text : "");
            if (label) xmlFree(label);
            if (text) xmlFree(text);
            continue;
        }
        if (n->children) walk(n->children, ctx, field, saw_id);
    }
}

int hilum_openi_parse(const char *data, size_t len, void *ctx, hilum_openi_field field, char *err, size_t errlen) {
    if (errlen) err[0] = 0;
    if (len > 0x7fffffff) { snprintf(err, errlen, "XML document too large"); return 1; }
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlParserCtxtPtr p = xmlNewParserCtxt();
    if (!p) { snprintf(err, errlen, "out of memory"); return 1; }
    xmlDocPtr doc = xmlCtxtReadMemory(p, data, (int)len, "report.xml", "UTF-8",
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(p);
        if (e && e->message) {
            snprintf(err, errlen, "XML error at line %d: %s", e->line, e->message);
            size_t n = strlen(err);
            while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = 0;
        } else {
            snprintf(err, errlen, "malformed XML");
        }
        xmlFreeParserCtxt(p);
        return 1;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root) { snprintf(err, errlen, "empty XML document"); xmlFreeDoc(doc); xmlFreeParserCtxt(p); return 1; }
    int saw_id = 0;
    walk(root, ctx, field, &saw_id);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(p);
    return 0;
}
