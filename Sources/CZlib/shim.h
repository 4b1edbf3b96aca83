#include <zlib.h>

/* inflateInit2 is a macro: wrap it so Swift can call it. */
static inline int hilum_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 32); /* auto-detect gzip/zlib header */
}
