#ifndef HILUM_XML_H
#define HILUM_XML_H
#include <stddef.h>

/* Called for the report id (`uId id="…"`, label NULL) and for each `AbstractText Label="…"` with its text. */
typedef void (*hilum_openi_field)(void *ctx, const char *label, const char *text);

/* Parses one OpenI / Indiana ecgen-radiology document with libxml2 (no network, no external entities, libxml2's
   own depth and size limits). Returns 0 on success; otherwise 1 and a message in err. Never prints. */
int hilum_openi_parse(const char *data, size_t len, void *ctx, hilum_openi_field field, char *err, size_t errlen);

#endif
