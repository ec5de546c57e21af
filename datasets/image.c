/* Image decoding (PNG through libpng, JPEG through libjpeg-turbo) and PNG encoding.
 * Conventions: include/calib8/dataset.h ("Pixel conventions"); tests: tests/datasets/.
 *
 * libpng and libjpeg report errors by longjmp. Each codec keeps everything it allocates in a
 * heap-allocated context (so nothing the jump skips over is an automatic variable changed after
 * setjmp), calls setjmp in the same function that calls the library, and the only frames of ours
 * a jump crosses are the I/O and error callbacks, which hold no resources. */
#include "datasets/image.h"

#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h> /* before jerror.h: its message list depends on jconfig.h */
#include <jerror.h>
#include <png.h>

/* Dimensions beyond this are refused before any allocation (JPEG's own limit is 65500). */
#define C8_IMAGE_MAX_DIM 65535

int c8_image_is_png(const void *buf, size_t len) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    return len >= 8 && memcmp(buf, sig, 8) == 0;
}

int c8_image_is_jpeg(const void *buf, size_t len) {
    const unsigned char *b = buf;
    return len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

void c8_image_free(c8_image *img) {
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* Checks h * w * c against C8_IMAGE_MAX_SAMPLES; returns the byte count through *bytes. */
static int image_size_ok(int64_t h, int64_t w, int64_t c, size_t *bytes) {
    int64_t hw, n;
    if (h <= 0 || w <= 0 || h > C8_IMAGE_MAX_DIM || w > C8_IMAGE_MAX_DIM) return 0;
    if (!c8_mul_i64(h, w, &hw) || !c8_mul_i64(hw, c, &n) || n > C8_IMAGE_MAX_SAMPLES) return 0;
    *bytes = (size_t)n;
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* PNG decoding                                                                             */
/* ---------------------------------------------------------------------------------------- */

typedef struct png_dec {
    const unsigned char *buf; /* the whole file */
    size_t len, pos;
    char msg[256];   /* libpng's message, copied before the jump */
    uint8_t *pixels; /* (h, w, c) uint8, handed to the caller on success */
    png_bytep *rows; /* h pointers into pixels */
} png_dec;

static void png_dec_error(png_structp png, png_const_charp msg) {
    png_dec *d = png_get_error_ptr(png);
    snprintf(d->msg, sizeof d->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings (benign CRC errors in ancillary chunks, extra IDAT data) do not stop decoding. */
static void png_dec_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void png_dec_read(png_structp png, png_bytep out, size_t n) {
    png_dec *d = png_get_io_ptr(png);
    if (n > d->len - d->pos) {
        char m[160];
        snprintf(m, sizeof m, "truncated (the file has %zu bytes, the decoder needs %zu more)",
                 d->len, n - (d->len - d->pos));
        png_error(png, m);
    }
    memcpy(out, d->buf + d->pos, n);
    d->pos += n;
}

static c8_status decode_png(const unsigned char *buf, size_t len, const char *name, c8_image *out,
                            c8_error *err) {
    png_dec *d = calloc(1, sizeof *d);
    if (!d) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", name);
    d->buf = buf;
    d->len = len;
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, d, png_dec_error, png_dec_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        free(d);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory (libpng)", name);
    }
    if (setjmp(png_jmpbuf(png))) {
        /* libpng failed somewhere below: d->msg holds its reason. */
        c8_status s = c8_err(err, C8_ERR_PARSE, "%s: bad PNG: %s", name,
                             d->msg[0] ? d->msg : "unknown libpng error");
        png_destroy_read_struct(&png, &info, NULL);
        free(d->rows);
        free(d->pixels);
        free(d);
        return s;
    }
    png_set_user_limits(png, C8_IMAGE_MAX_DIM, C8_IMAGE_MAX_DIM);
    png_set_read_fn(png, d, png_dec_read);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), ctype = png_get_color_type(png, info);
    /* Transforms: everything becomes 8-bit gray or RGB without alpha. */
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png); /* also expands tRNS */
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_scale_16(png); /* round(v * 255 / 65535) */
    if ((ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int ch = png_get_channels(png, info);
    size_t bytes;
    if ((ch != 1 && ch != 3) || png_get_bit_depth(png, info) != 8) {
        png_destroy_read_struct(&png, &info, NULL);
        free(d);
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: PNG layout not handled (%d channels, %d bits "
                      "after conversion)",
                      name, ch, depth);
    }
    if (!image_size_ok(h, w, ch, &bytes) || png_get_rowbytes(png, info) != (size_t)w * ch) {
        png_destroy_read_struct(&png, &info, NULL);
        free(d);
        return c8_err(err, C8_ERR_LIMIT,
                      "%s: PNG of %ux%u pixels is larger than calib8 decodes "
                      "(%lld samples at most)",
                      name, (unsigned)w, (unsigned)h, (long long)C8_IMAGE_MAX_SAMPLES);
    }
    d->pixels = malloc(bytes);
    d->rows = malloc(sizeof *d->rows * h);
    if (!d->pixels || !d->rows) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < h; y++) d->rows[y] = d->pixels + (size_t)y * w * ch;
    png_read_image(png, d->rows);
    png_read_end(png, NULL); /* checks the remaining chunks: a missing IEND is truncation */

    out->h = h;
    out->w = w;
    out->c = ch;
    out->data = d->pixels;
    png_destroy_read_struct(&png, &info, NULL);
    free(d->rows);
    free(d);
    return C8_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* JPEG decoding                                                                            */
/* ---------------------------------------------------------------------------------------- */

typedef struct jpg_dec {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    uint8_t *pixels; /* (h, w, c) uint8, handed to the caller on success */
    uint8_t *cmyk;   /* (w, 4) one CMYK row, for CMYK/YCCK files */
} jpg_dec;

static void jpg_error_exit(j_common_ptr cinfo) {
    jpg_dec *d = (jpg_dec *)cinfo->client_data;
    cinfo->err->format_message(cinfo, d->msg);
    longjmp(d->jb, 1);
}

/* Corrupt-data warnings that mean pixels are missing or undecodable are errors; the benign ones
 * (extraneous bytes before a marker, unknown JFIF revision or Adobe transform) are not. */
static void jpg_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace messages */
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
        code == JWRN_MUST_RESYNC || code == JWRN_NOT_SEQUENTIAL || code == JWRN_BOGUS_PROGRESSION) {
        jpg_error_exit(cinfo);
    }
#if JPEG_LIB_VERSION >= 70 || defined(C_ARITH_CODING_SUPPORTED) || defined(D_ARITH_CODING_SUPPORTED)
    if (code == JWRN_ARITH_BAD_CODE) jpg_error_exit(cinfo);
#endif
    cinfo->err->num_warnings++;
}

static void jpg_output_message(j_common_ptr cinfo) { (void)cinfo; /* never print */ }

static c8_status decode_jpeg(const unsigned char *buf, size_t len, const char *name, c8_image *out,
                             c8_error *err) {
    jpg_dec *d = calloc(1, sizeof *d);
    if (!d) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", name);
    d->cinfo.err = jpeg_std_error(&d->jerr);
    d->jerr.error_exit = jpg_error_exit;
    d->jerr.emit_message = jpg_emit_message;
    d->jerr.output_message = jpg_output_message;
    d->cinfo.client_data = d;
    if (setjmp(d->jb)) {
        c8_status s = c8_err(err, C8_ERR_PARSE, "%s: bad JPEG: %s", name,
                             d->msg[0] ? d->msg : "unknown libjpeg error");
        jpeg_destroy_decompress(&d->cinfo);
        free(d->pixels);
        free(d->cmyk);
        free(d);
        return s;
    }
    jpeg_create_decompress(&d->cinfo);
    jpeg_mem_src(&d->cinfo, buf, (unsigned long)len);
    jpeg_read_header(&d->cinfo, TRUE);
    int cmyk = 0, ch = 3;
    switch (d->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        d->cinfo.out_color_space = JCS_GRAYSCALE;
        ch = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        d->cinfo.out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default: d->cinfo.out_color_space = JCS_RGB; break;
    }
    d->cinfo.dct_method = JDCT_ISLOW; /* the exact integer DCT: same pixels on every machine */
    d->cinfo.mem->max_memory_to_use = (long)512 << 20;
    size_t bytes;
    if (!image_size_ok(d->cinfo.image_height, d->cinfo.image_width, ch, &bytes)) {
        c8_status s = c8_err(err, C8_ERR_LIMIT,
                             "%s: JPEG of %ux%u pixels is larger than calib8 "
                             "decodes (%lld samples at most)",
                             name, (unsigned)d->cinfo.image_width, (unsigned)d->cinfo.image_height,
                             (long long)C8_IMAGE_MAX_SAMPLES);
        jpeg_destroy_decompress(&d->cinfo);
        free(d);
        return s;
    }
    jpeg_start_decompress(&d->cinfo);
    size_t w = d->cinfo.output_width, h = d->cinfo.output_height;
    if ((int)d->cinfo.output_components != (cmyk ? 4 : ch) || w * h * ch != bytes) {
        snprintf(d->msg, sizeof d->msg, "unexpected output layout (%d components)",
                 d->cinfo.output_components);
        longjmp(d->jb, 1);
    }
    d->pixels = malloc(bytes);
    if (cmyk) d->cmyk = malloc(w * 4);
    if (!d->pixels || (cmyk && !d->cmyk)) {
        snprintf(d->msg, sizeof d->msg, "out of memory for %zux%zu pixels", w, h);
        longjmp(d->jb, 1);
    }
    /* Adobe writes CMYK inverted (255 = no ink); plain CMYK is not. */
    int inverted = d->cinfo.saw_Adobe_marker;
    while (d->cinfo.output_scanline < h) {
        size_t y = d->cinfo.output_scanline;
        JSAMPROW row = cmyk ? d->cmyk : d->pixels + y * w * ch;
        if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
            snprintf(d->msg, sizeof d->msg, "decoder stopped at row %zu of %zu", y, h);
            longjmp(d->jb, 1);
        }
        if (cmyk) {
            uint8_t *o = d->pixels + y * w * 3;
            for (size_t x = 0; x < w; x++) {
                unsigned c = d->cmyk[4 * x], m = d->cmyk[4 * x + 1], yy = d->cmyk[4 * x + 2],
                         k = d->cmyk[4 * x + 3];
                if (!inverted) {
                    c = 255 - c;
                    m = 255 - m;
                    yy = 255 - yy;
                    k = 255 - k;
                }
                o[3 * x] = (uint8_t)((c * k + 127) / 255);
                o[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
                o[3 * x + 2] = (uint8_t)((yy * k + 127) / 255);
            }
        }
    }
    jpeg_finish_decompress(&d->cinfo);
    out->h = (int64_t)h;
    out->w = (int64_t)w;
    out->c = ch;
    out->data = d->pixels;
    jpeg_destroy_decompress(&d->cinfo);
    free(d->cmyk);
    free(d);
    return C8_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Public decoding entry points                                                             */
/* ---------------------------------------------------------------------------------------- */

c8_status c8_image_decode(const void *buf, size_t len, const char *name, c8_image *out,
                          c8_error *err) {
    memset(out, 0, sizeof *out);
    if (!name) name = "<memory>";
    if (c8_image_is_png(buf, len)) return decode_png(buf, len, name, out, err);
    if (c8_image_is_jpeg(buf, len)) return decode_jpeg(buf, len, name, out, err);
    if (len == 0) return c8_err(err, C8_ERR_PARSE, "%s: empty file", name);
    const unsigned char *b = buf;
    char hex[3 * 8 + 1] = "";
    for (size_t i = 0; i < len && i < 8; i++) snprintf(hex + 3 * i, 4, "%02x ", b[i]);
    if (hex[0]) hex[strlen(hex) - 1] = '\0';
    return c8_err(err, C8_ERR_UNSUPPORTED, "%s: not a PNG or JPEG file (starts with %s)", name,
                  hex);
}

c8_status c8_image_read(const char *path, c8_image *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_read_file(path, C8_IMAGE_MAX_FILE_BYTES, &buf, &len, err));
    c8_status s = c8_image_decode(buf, len, path, out, err);
    free(buf);
    return s;
}

/* ---------------------------------------------------------------------------------------- */
/* PNG encoding                                                                             */
/* ---------------------------------------------------------------------------------------- */

typedef struct png_enc {
    unsigned char *buf; /* growing output */
    size_t len, cap;
    char msg[256];
    png_bytep *rows;
} png_enc;

static void png_enc_error(png_structp png, png_const_charp msg) {
    png_enc *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_enc_write(png_structp png, png_bytep data, size_t n) {
    png_enc *e = png_get_io_ptr(png);
    if (n > e->cap - e->len) {
        size_t cap = e->cap ? e->cap : 4096;
        while (cap - e->len < n) {
            if (cap > SIZE_MAX / 2) png_error(png, "output too large");
            cap *= 2;
        }
        unsigned char *nb = realloc(e->buf, cap);
        if (!nb) png_error(png, "out of memory");
        e->buf = nb;
        e->cap = cap;
    }
    memcpy(e->buf + e->len, data, n);
    e->len += n;
}

static void png_enc_flush(png_structp png) { (void)png; }

c8_status c8_png_encode(const c8_image *img, int level, const char *name, unsigned char **buf,
                        size_t *len, c8_error *err) {
    *buf = NULL;
    *len = 0;
    size_t bytes;
    if ((img->c != 1 && img->c != 3) || !image_size_ok(img->h, img->w, img->c, &bytes))
        return c8_err(err, C8_ERR_INVALID, "%s: cannot write a %lldx%lldx%lld image as PNG", name,
                      (long long)img->h, (long long)img->w, (long long)img->c);
    png_enc *e = calloc(1, sizeof *e);
    if (!e) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", name);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, png_enc_error, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        free(e);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory (libpng)", name);
    }
    if (setjmp(png_jmpbuf(png))) {
        c8_status s = c8_err(err, C8_ERR_IO, "%s: PNG encoding failed: %s", name, e->msg);
        png_destroy_write_struct(&png, &info);
        free(e->rows);
        free(e->buf);
        free(e);
        return s;
    }
    png_set_write_fn(png, e, png_enc_write, png_enc_flush);
    png_set_compression_level(png, level);
    png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, 8,
                 img->c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    e->rows = malloc(sizeof *e->rows * (size_t)img->h);
    if (!e->rows) png_error(png, "out of memory");
    for (int64_t y = 0; y < img->h; y++) e->rows[y] = img->data + (size_t)(y * img->w * img->c);
    png_write_info(png, info);
    png_write_image(png, e->rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *buf = e->buf;
    *len = e->len;
    free(e->rows);
    free(e);
    return C8_OK;
}

c8_status c8_image_write_png(const char *path, const c8_image *img, c8_error *err) {
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_png_encode(img, 6, path, &buf, &len, err));
    c8_status s = c8_write_file_atomic(path, buf, len, err);
    free(buf);
    return s;
}
