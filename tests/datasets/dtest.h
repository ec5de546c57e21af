/* Helpers shared by the datasets suites: scratch folders, and image / HDF5 / IDX writers that
 * call libpng, libjpeg, HDF5 and zlib directly (independently of the code under test). */
#ifndef C8_TESTS_DATASETS_DTEST_H
#define C8_TESTS_DATASETS_DTEST_H

#include "c8test.h"

#include "calib8/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

/* ---- files and folders ---- */

static inline void dt_rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char sub[4096];
                if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
                    dt_rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A fresh scratch folder C8_BINARY_DIR/dtest-<name> (emptied first). */
static inline const char *dt_scratch(const char *name) {
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    if (snprintf(p, 1024, "%s/dtest-%s", C8_BINARY_DIR, name) >= 1024) p[0] = '\0';
    dt_rm_rf(p);
    mkdir(p, 0777);
    return p;
}

/* Joins into a rotating static buffer (enough for a few live paths at a time). */
static inline const char *dt_path(const char *dir, const char *name) {
    static char buf[16][1024];
    static int k;
    char *p = buf[k++ % 16], tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir); /* dir may be an earlier result */
    if (snprintf(p, 1024, "%s/%s", tmp, name) >= 1024) p[0] = '\0';
    return p;
}

/* dt_path's buffers rotate: a path used across many later calls is copied into a path_t. */
typedef char path_t[1024];
#define KEEP(dst, expr) snprintf((dst), sizeof(path_t), "%s", (expr))

static inline void dt_mkdir(const char *dir, const char *name) { mkdir(dt_path(dir, name), 0777); }

static inline int dt_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len;
}

static inline int dt_write_text(const char *path, const char *text) {
    return dt_write(path, text, strlen(text));
}

/* ---- PNG writing through libpng (any variant) ---- */

typedef struct dt_buf {
    unsigned char *p;
    size_t n, cap;
} dt_buf;

static inline void dt_png_write_fn(png_structp png, png_bytep data, size_t n) {
    dt_buf *b = png_get_io_ptr(png);
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}
static inline void dt_png_flush_fn(png_structp png) { (void)png; }

/* Writes a PNG of the given color type and bit depth; `rows` holds the packed sample bytes as PNG
 * stores them (16-bit big-endian). palette/trans may be NULL. Returns a malloc'd buffer. */
static inline unsigned char *dt_png(int w, int h, int color, int depth, int interlace,
                                    const unsigned char *samples, size_t rowbytes,
                                    const png_color *palette, int npal, const png_byte *trans,
                                    int ntrans, size_t *len) {
    dt_buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(b.p);
        return NULL;
    }
    png_set_write_fn(png, &b, dt_png_write_fn, dt_png_flush_fn);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette) png_set_PLTE(png, info, palette, npal);
    if (trans) png_set_tRNS(png, info, trans, ntrans, NULL);
    png_write_info(png, info);
    png_bytep *rows = malloc(sizeof *rows * (size_t)h);
    for (int y = 0; y < h; y++) rows[y] = (png_bytep)(samples + (size_t)y * rowbytes);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *len = b.n;
    return b.p;
}

/* ---- JPEG writing through libjpeg ---- */

/* Encodes (h, w, comps) samples; in_space JCS_GRAYSCALE, JCS_RGB or JCS_CMYK. 4:4:4 sampling
 * when full_chroma. Returns a malloc'd buffer. */
static inline unsigned char *dt_jpeg(int w, int h, int comps, J_COLOR_SPACE in_space,
                                     const unsigned char *samples, int quality, int full_chroma,
                                     int progressive, size_t *len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long outlen = 0;
    jpeg_mem_dest(&c, &out, &outlen);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = in_space;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (full_chroma && comps == 3) {
        for (int i = 0; i < 3; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    }
    if (progressive) jpeg_simple_progression(&c);
    c.dct_method = JDCT_ISLOW;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(samples + (size_t)c.next_scanline * w * comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    unsigned char *copy = malloc(outlen);
    memcpy(copy, out, outlen);
    free(out);
    *len = outlen;
    return copy;
}

/* ---- HDF5 ---- */

/* Writes one dataset of the given native type and shape into path (created if absent). */
static inline int dt_h5_put(const char *path, const char *name, hid_t mtype, hid_t ftype, int rank,
                            const hsize_t *dims, const void *data) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = access(path, F_OK) == 0 ? H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT)
                                      : H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    return ok;
}

/* ---- IDX ---- */

static inline void dt_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes an IDX file (gzip-compressed when gz) with magic 0x0000 08 <ndims>. */
static inline int dt_idx(const char *path, int gz, int ndims, const uint32_t *dims,
                         const unsigned char *data, size_t n) {
    unsigned char hdr[4 + 4 * 3] = {0, 0, 0x08, (unsigned char)ndims};
    for (int i = 0; i < ndims; i++) dt_be32(hdr + 4 + 4 * i, dims[i]);
    size_t hl = 4 + 4 * (size_t)ndims;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f) return 0;
        int ok = gzwrite(f, hdr, (unsigned)hl) == (int)hl &&
                 (n == 0 || gzwrite(f, data, (unsigned)n) == (int)n);
        return gzclose(f) == Z_OK && ok;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(hdr, 1, hl, f) == hl && fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

#endif
