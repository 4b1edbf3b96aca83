/* A setjmp-safe wrapper around libpng: every libpng error is caught here, in C, so Swift never sees a longjmp. */
#include "hilum_png.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t pos;
    hilum_png_image *out;
    jmp_buf jump;
} reader_state;

static void on_error(png_structp png, png_const_charp msg) {
    reader_state *st = (reader_state *)png_get_error_ptr(png);
    if (st && st->out && msg != st->out->message) {
        strncpy(st->out->message, msg ? msg : "libpng error", sizeof(st->out->message) - 1);
        st->out->message[sizeof(st->out->message) - 1] = 0;
    }
    longjmp(st->jump, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void on_read(png_structp png, png_bytep dst, size_t n) {
    reader_state *st = (reader_state *)png_get_io_ptr(png);
    if (st->size - st->pos < n) {
        png_error(png, "truncated PNG: the file ends before its image data does");
    }
    memcpy(dst, st->data + st->pos, n);
    st->pos += n;
}

const char *hilum_png_version(void) { return png_get_libpng_ver(NULL); }

void hilum_png_free(hilum_png_image *img) {
    if (img && img->pixels) { free(img->pixels); img->pixels = NULL; }
}

int hilum_png_decode(const unsigned char *data, size_t size, uint32_t max_width, uint32_t max_height,
                     uint64_t max_pixels, hilum_png_image *out) {
    memset(out, 0, sizeof(*out));
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        strcpy(out->message, "not a PNG file (bad signature)");
        return HILUM_PNG_NOT_PNG;
    }
    reader_state st;
    memset(&st, 0, sizeof(st));
    st.data = data; st.size = size; st.pos = 0; st.out = out;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
    if (!png) { strcpy(out->message, "out of memory"); return HILUM_PNG_NO_MEMORY; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); strcpy(out->message, "out of memory"); return HILUM_PNG_NO_MEMORY; }

    /* volatile: modified between setjmp and longjmp */
    unsigned char *volatile rows = NULL;
    png_bytep *volatile row_ptrs = NULL;
    uint32_t *volatile pixels = NULL;
    volatile int code = HILUM_PNG_CORRUPT;

    if (setjmp(st.jump)) {
        free(rows); free(row_ptrs); free(pixels);
        png_destroy_read_struct(&png, &info, NULL);
        out->pixels = NULL;
        if (out->message[0] == 0) strcpy(out->message, "corrupt PNG");
        return code;
    }
    png_set_read_fn(png, &st, on_read);
    png_set_chunk_malloc_max(png, 8u << 20);        /* text/ICC chunks: no decompression bombs */
    png_set_chunk_cache_max(png, 1000);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if ((uint64_t)w * (uint64_t)h > max_pixels || w > max_width || h > max_height) {
        code = HILUM_PNG_TOO_LARGE;
        char msg[200];
        snprintf(msg, sizeof(msg), "image %ux%u is over the limit (%ux%u, %llu pixels)",
                 (unsigned)w, (unsigned)h, (unsigned)max_width, (unsigned)max_height, (unsigned long long)max_pixels);
        png_error(png, msg);
    }
    out->width = w; out->height = h; out->bit_depth = depth; out->color_type = ctype;
    if (depth < 8) png_set_packing(png);            /* one byte per sample, values kept (no scaling) */
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    int channels = png_get_channels(png, info);
    int bd = png_get_bit_depth(png, info);          /* 8 or 16 after packing */
    if (rowbytes == 0 || channels < 1 || channels > 4) { code = HILUM_PNG_CORRUPT; png_error(png, "unsupported PNG layout"); }

    code = HILUM_PNG_NO_MEMORY;
    rows = (unsigned char *)malloc(rowbytes * (size_t)h);
    row_ptrs = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
    pixels = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)w * (size_t)h);
    if (!rows || !row_ptrs || !pixels) png_error(png, "out of memory for the decoded image");
    code = HILUM_PNG_CORRUPT;
    for (png_uint_32 y = 0; y < h; y++) row_ptrs[y] = rows + rowbytes * y;
    png_read_image(png, row_ptrs);
    png_read_end(png, NULL);

    int bytes = bd == 16 ? 2 : 1;
    for (png_uint_32 y = 0; y < h; y++) {
        const unsigned char *r = row_ptrs[y];
        uint32_t *o = pixels + (size_t)y * w;
        for (png_uint_32 x = 0; x < w; x++) {
            const unsigned char *p = r + (size_t)x * channels * bytes;
            uint32_t s[4] = {0, 0, 0, 0};
            for (int c = 0; c < channels; c++) {
                s[c] = bytes == 2 ? ((uint32_t)p[2 * c] << 8) | p[2 * c + 1] : p[c];
            }
            uint32_t v;
            switch (channels) {
            case 1: v = s[0]; break;
            case 2: v = s[1] == 0 ? 0 : s[0]; break;
            default: {
                uint32_t r8 = bytes == 2 ? s[0] >> 8 : s[0], g8 = bytes == 2 ? s[1] >> 8 : s[1], b8 = bytes == 2 ? s[2] >> 8 : s[2];
                v = (r8 << 16) | (g8 << 8) | b8;
                if (channels == 4 && s[3] == 0) v = 0;
            }
            }
            o[x] = v;
        }
    }
    free(rows); rows = NULL;
    free(row_ptrs); row_ptrs = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    out->pixels = pixels;
    return HILUM_PNG_OK;
}
