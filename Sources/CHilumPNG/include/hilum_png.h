#ifndef HILUM_PNG_H
#define HILUM_PNG_H
#include <stddef.h>
#include <stdint.h>

/* Result codes of hilum_png_decode. */
enum {
    HILUM_PNG_OK = 0,
    HILUM_PNG_NOT_PNG = 1,      /* no PNG signature */
    HILUM_PNG_CORRUPT = 2,      /* libpng error: bad chunk, CRC, truncated data, bad zlib stream */
    HILUM_PNG_TOO_LARGE = 3,    /* width, height or pixel count over the caller's limits */
    HILUM_PNG_NO_MEMORY = 4
};

/* A decoded image as one integer per pixel, row-major:
   gray (1-16 bit): the sample value; palette: the index; gray+alpha: the gray value, 0 where alpha is 0;
   RGB(A): (r << 16) | (g << 8) | b of the 8-bit (or high byte of 16-bit) samples, 0 where alpha is 0. */
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int color_type;
    uint32_t *pixels;
    char message[200];
} hilum_png_image;

/* Decodes a PNG held in memory. Never longjmps into the caller and never prints; on failure returns a code
   above and fills message. On success the caller frees pixels with hilum_png_free. */
int hilum_png_decode(const unsigned char *data, size_t size, uint32_t max_width, uint32_t max_height,
                     uint64_t max_pixels, hilum_png_image *out);
void hilum_png_free(hilum_png_image *img);
/* libpng's version string, for `hilum version`. */
const char *hilum_png_version(void);

#endif
