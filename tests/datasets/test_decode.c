/* Decoding tests: every PNG variant (written here with libpng) decodes to the expected 8-bit
 * samples; JPEGs (written here with libjpeg) decode exactly as a direct libjpeg decode and within
 * a stated tolerance of the source pixels; CMYK conversion; the PNG writer round-trips; and
 * fuzzing: truncated and bit-flipped PNG/JPEG files give an error or a valid image, never a crash
 * (run under ASan/UBSan: -DC8_ASAN=ON -DC8_UBSAN=ON). */
#include "dtest.h"

#include "datasets/image.h"

/* Quality 100 (all quantisers 1), ISLOW: only DCT rounding remains, at most 2 levels for gray;
 * colour adds the RGB -> YCbCr -> RGB rounding both ways, up to 4 levels. */
#define JPEG_Q100_GRAY_MAX_ERR 2
#define JPEG_Q100_RGB_MAX_ERR 4
/* Lossy settings on the smooth test picture: mean absolute error per sample. q90 4:4:4 stays
 * under 2 levels; q75 with 4:2:0 chroma subsampling under 5. */
#define JPEG_Q90_MEAN_ERR 2.0
#define JPEG_Q75_420_MEAN_ERR 5.0

static const char *k_name = "test-image";

static void check_decode(const unsigned char *png, size_t len, int64_t h, int64_t w, int64_t c,
                         const unsigned char *expect, const char *what) {
    c8_image img;
    c8_error err = {0};
    c8_status s = c8_image_decode(png, len, k_name, &img, &err);
    if (s != C8_OK) printf("\n  %s: %s\n", what, err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(img.h, h);
    CU_ASSERT_EQUAL(img.w, w);
    CU_ASSERT_EQUAL(img.c, c);
    if (img.h == h && img.w == w && img.c == c) {
        size_t n = (size_t)(h * w * c), bad = 0, first = 0;
        for (size_t i = 0; i < n; i++)
            if (img.data[i] != expect[i] && bad++ == 0) first = i;
        if (bad)
            printf("\n  %s: %zu samples differ, first at %zu: got %d want %d\n", what, bad, first,
                   img.data[first], expect[first]);
        CU_ASSERT_EQUAL(bad, 0);
    }
    c8_image_free(&img);
}

/* 8-bit gray, RGB, gray+alpha, RGBA, interlaced or not. */
static void test_png_8bit(void) {
    const int w = 13, h = 7; /* odd sizes: Adam7 passes of unequal size */
    c8t_rng r = {101};
    unsigned char src[13 * 7 * 4], gray[13 * 7], rgb[13 * 7 * 3];
    for (int il = 0; il < 2; il++) {
        for (size_t i = 0; i < sizeof src; i++) src[i] = (unsigned char)c8t_next(&r);
        size_t len;
        unsigned char *p;
        /* gray */
        p = dt_png(w, h, PNG_COLOR_TYPE_GRAY, 8, il, src, (size_t)w, NULL, 0, NULL, 0, &len);
        check_decode(p, len, h, w, 1, src, il ? "gray8 interlaced" : "gray8");
        free(p);
        /* RGB */
        p = dt_png(w, h, PNG_COLOR_TYPE_RGB, 8, il, src, (size_t)w * 3, NULL, 0, NULL, 0, &len);
        check_decode(p, len, h, w, 3, src, il ? "rgb8 interlaced" : "rgb8");
        free(p);
        /* gray + alpha: alpha dropped */
        for (int i = 0; i < w * h; i++) gray[i] = src[2 * i];
        p = dt_png(w, h, PNG_COLOR_TYPE_GRAY_ALPHA, 8, il, src, (size_t)w * 2, NULL, 0, NULL, 0,
                   &len);
        check_decode(p, len, h, w, 1, gray, il ? "GA8 interlaced" : "GA8");
        free(p);
        /* RGBA: alpha dropped */
        for (int i = 0; i < w * h; i++)
            for (int k = 0; k < 3; k++) rgb[3 * i + k] = src[4 * i + k];
        p = dt_png(w, h, PNG_COLOR_TYPE_RGB_ALPHA, 8, il, src, (size_t)w * 4, NULL, 0, NULL, 0,
                   &len);
        check_decode(p, len, h, w, 3, rgb, il ? "RGBA8 interlaced" : "RGBA8");
        free(p);
    }
}

/* 16-bit samples become round(v / 257) (= round(v * 255 / 65535)). */
static void test_png_16bit(void) {
    const int w = 9, h = 5;
    c8t_rng r = {202};
    unsigned char src[9 * 5 * 4 * 2];
    uint16_t v[9 * 5 * 4];
    unsigned char exp1[9 * 5], exp3[9 * 5 * 3];
    for (int i = 0; i < w * h * 4; i++) {
        v[i] = (uint16_t)c8t_next(&r);
        if (i < 8) v[i] = (uint16_t[]){0, 65535, 128, 127, 32896, 32895, 257, 385}[i];
        src[2 * i] = (unsigned char)(v[i] >> 8);
        src[2 * i + 1] = (unsigned char)v[i];
    }
    for (int il = 0; il < 2; il++) {
        size_t len;
        unsigned char *p;
        for (int i = 0; i < w * h; i++) exp1[i] = (unsigned char)((v[i] * 2 + 257) / 514);
        p = dt_png(w, h, PNG_COLOR_TYPE_GRAY, 16, il, src, (size_t)w * 2, NULL, 0, NULL, 0, &len);
        check_decode(p, len, h, w, 1, exp1, "gray16");
        free(p);
        for (int i = 0; i < w * h * 3; i++) exp3[i] = (unsigned char)((v[i] * 2 + 257) / 514);
        p = dt_png(w, h, PNG_COLOR_TYPE_RGB, 16, il, src, (size_t)w * 6, NULL, 0, NULL, 0, &len);
        check_decode(p, len, h, w, 3, exp3, "rgb16");
        free(p);
        for (int i = 0; i < w * h; i++) exp1[i] = (unsigned char)((v[2 * i] * 2 + 257) / 514);
        p = dt_png(w, h, PNG_COLOR_TYPE_GRAY_ALPHA, 16, il, src, (size_t)w * 4, NULL, 0, NULL, 0,
                   &len);
        check_decode(p, len, h, w, 1, exp1, "GA16");
        free(p);
        for (int i = 0; i < w * h; i++)
            for (int k = 0; k < 3; k++)
                exp3[3 * i + k] = (unsigned char)((v[4 * i + k] * 2 + 257) / 514);
        p = dt_png(w, h, PNG_COLOR_TYPE_RGB_ALPHA, 16, il, src, (size_t)w * 8, NULL, 0, NULL, 0,
                   &len);
        check_decode(p, len, h, w, 3, exp3, "RGBA16");
        free(p);
    }
}

/* Palette (1, 2, 4, 8 bit; with and without tRNS) and low-bit gray. */
static void test_png_palette_lowbit(void) {
    const int w = 11, h = 6;
    png_color pal[256];
    png_byte trans[256];
    c8t_rng r = {303};
    for (int i = 0; i < 256; i++) {
        pal[i].red = (png_byte)c8t_next(&r);
        pal[i].green = (png_byte)c8t_next(&r);
        pal[i].blue = (png_byte)c8t_next(&r);
        trans[i] = (png_byte)c8t_next(&r);
    }
    int depths[4] = {1, 2, 4, 8};
    for (int di = 0; di < 4; di++) {
        int d = depths[di], npal = 1 << d;
        size_t rowbytes = ((size_t)w * d + 7) / 8;
        unsigned char packed[11 * 6], idx[11 * 6], rgb[11 * 6 * 3], gray[11 * 6];
        memset(packed, 0, sizeof packed);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = (int)(c8t_next(&r) % (uint64_t)npal);
                idx[y * w + x] = (unsigned char)v;
                /* PNG packs the leftmost pixel in the high bits */
                int bit = x * d;
                packed[y * rowbytes + bit / 8] |= (unsigned char)(v << (8 - d - bit % 8));
            }
        for (int i = 0; i < w * h; i++) {
            rgb[3 * i] = pal[idx[i]].red;
            rgb[3 * i + 1] = pal[idx[i]].green;
            rgb[3 * i + 2] = pal[idx[i]].blue;
            gray[i] = (unsigned char)(idx[i] * (255 / (npal - 1))); /* 1,2,4-bit gray scale up */
        }
        for (int il = 0; il < 2; il++) {
            char what[64];
            size_t len;
            snprintf(what, sizeof what, "palette %d-bit%s", d, il ? " interlaced" : "");
            unsigned char *p = dt_png(w, h, PNG_COLOR_TYPE_PALETTE, d, il, packed, rowbytes, pal,
                                      npal, NULL, 0, &len);
            check_decode(p, len, h, w, 3, rgb, what);
            free(p);
            snprintf(what, sizeof what, "palette %d-bit + tRNS%s", d, il ? " interlaced" : "");
            p = dt_png(w, h, PNG_COLOR_TYPE_PALETTE, d, il, packed, rowbytes, pal, npal, trans,
                       npal, &len);
            check_decode(p, len, h, w, 3, rgb, what);
            free(p);
            if (d < 8) {
                snprintf(what, sizeof what, "gray %d-bit%s", d, il ? " interlaced" : "");
                p = dt_png(w, h, PNG_COLOR_TYPE_GRAY, d, il, packed, rowbytes, NULL, 0, NULL, 0,
                           &len);
                check_decode(p, len, h, w, 1, gray, what);
                free(p);
            }
        }
    }
}

/* Our PNG writer round-trips through our reader and through a plain libpng read. */
static void test_png_write_roundtrip(void) {
    const char *dir = dt_scratch("decode-write");
    c8t_rng r = {404};
    for (int c = 1; c <= 3; c += 2) {
        c8_image img = {17, 23, c, malloc((size_t)17 * 23 * c)};
        for (int i = 0; i < 17 * 23 * c; i++) img.data[i] = (uint8_t)c8t_next(&r);
        const char *path = dt_path(dir, c == 1 ? "g.png" : "rgb.png");
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_image_write_png(path, &img, &err), C8_OK);
        c8_image back;
        CU_ASSERT_EQUAL_FATAL(c8_image_read(path, &back, &err), C8_OK);
        CU_ASSERT_EQUAL(back.h, 17);
        CU_ASSERT_EQUAL(back.w, 23);
        CU_ASSERT_EQUAL(back.c, c);
        CU_ASSERT_EQUAL(memcmp(back.data, img.data, (size_t)17 * 23 * c), 0);
        c8_image_free(&back);
        /* independent: libpng's simplified API */
        png_image pi;
        memset(&pi, 0, sizeof pi);
        pi.version = PNG_IMAGE_VERSION;
        CU_ASSERT_TRUE_FATAL(png_image_begin_read_from_file(&pi, path));
        CU_ASSERT_EQUAL(pi.width, 23);
        CU_ASSERT_EQUAL(pi.height, 17);
        pi.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
        unsigned char *buf = malloc(PNG_IMAGE_SIZE(pi));
        CU_ASSERT_TRUE(png_image_finish_read(&pi, NULL, buf, 0, NULL));
        CU_ASSERT_EQUAL(memcmp(buf, img.data, (size_t)17 * 23 * c), 0);
        free(buf);
        png_image_free(&pi);
        c8_image_free(&img);
    }
}

/* A smooth test picture: gradients plus a gentle ripple (JPEG-friendly). */
static void smooth_picture(unsigned char *px, int w, int h, int c) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) {
                int v = (x * 255) / (w - 1) * (k + 1) / 3 + (y * 255) / (h - 1) / (k + 2) +
                        (((x / 4 + y / 4 + k) % 3) * 6);
                px[(y * w + x) * c + k] = (unsigned char)(v > 255 ? 255 : v);
            }
}

/* Decodes with libjpeg directly (the same settings calib8 documents): the reference. */
static unsigned char *direct_jpeg(const unsigned char *buf, size_t len, int *w, int *h, int *c) {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr jerr;
    d.err = jpeg_std_error(&jerr);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, buf, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    d.out_color_space = d.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    d.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&d);
    *w = (int)d.output_width;
    *h = (int)d.output_height;
    *c = d.output_components;
    unsigned char *px = malloc((size_t)*w * *h * *c);
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = px + (size_t)d.output_scanline * *w * *c;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return px;
}

static void test_jpeg(void) {
    const int w = 45, h = 31;
    unsigned char g[45 * 31], rgb[45 * 31 * 3];
    smooth_picture(g, w, h, 1);
    smooth_picture(rgb, w, h, 3);
    struct {
        int comps, quality, full, prog;
        int max_err;     /* bound on the largest error, or -1 */
        double mean_err; /* bound on the mean error, or -1 */
    } cases[] = {
        {1, 100, 1, 0, JPEG_Q100_GRAY_MAX_ERR, -1}, {1, 90, 1, 1, -1, JPEG_Q90_MEAN_ERR},
        {3, 100, 1, 0, JPEG_Q100_RGB_MAX_ERR, -1},  {3, 90, 1, 0, -1, JPEG_Q90_MEAN_ERR},
        {3, 75, 0, 1, -1, JPEG_Q75_420_MEAN_ERR},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int comps = cases[ci].comps;
        size_t len;
        unsigned char *j =
            dt_jpeg(w, h, comps, comps == 1 ? JCS_GRAYSCALE : JCS_RGB, comps == 1 ? g : rgb,
                    cases[ci].quality, cases[ci].full, cases[ci].prog, &len);
        c8_image img;
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_image_decode(j, len, k_name, &img, &err), C8_OK);
        CU_ASSERT_EQUAL(img.h, h);
        CU_ASSERT_EQUAL(img.w, w);
        CU_ASSERT_EQUAL(img.c, comps);
        /* exactly the direct libjpeg decode */
        int rw, rh, rc;
        unsigned char *ref = direct_jpeg(j, len, &rw, &rh, &rc);
        CU_ASSERT_EQUAL(rc, comps);
        CU_ASSERT_EQUAL(memcmp(ref, img.data, (size_t)w * h * comps), 0);
        /* close to the source picture */
        const unsigned char *src = comps == 1 ? g : rgb;
        int maxerr = 0;
        double sum = 0;
        for (int i = 0; i < w * h * comps; i++) {
            int e = abs((int)img.data[i] - (int)src[i]);
            if (e > maxerr) maxerr = e;
            sum += e;
        }
        double mean = sum / (w * h * comps);
        if (cases[ci].max_err >= 0) {
            if (maxerr > cases[ci].max_err) printf("\n  case %zu: max error %d\n", ci, maxerr);
            CU_ASSERT_TRUE(maxerr <= cases[ci].max_err);
        }
        if (cases[ci].mean_err >= 0) {
            if (mean > cases[ci].mean_err) printf("\n  case %zu: mean error %.3f\n", ci, mean);
            CU_ASSERT_TRUE(mean <= cases[ci].mean_err);
        }
        free(ref);
        free(j);
        c8_image_free(&img);
    }
}

/* CMYK JPEGs (libjpeg writes them with an Adobe marker, i.e. inverted): R = C*K/255. */
static void test_jpeg_cmyk(void) {
    const int w = 16, h = 16;
    unsigned char cmyk[16 * 16 * 4];
    const unsigned char c = 200, m = 100, y = 30, k = 180;
    for (int i = 0; i < w * h; i++) {
        cmyk[4 * i] = c;
        cmyk[4 * i + 1] = m;
        cmyk[4 * i + 2] = y;
        cmyk[4 * i + 3] = k;
    }
    size_t len;
    unsigned char *j = dt_jpeg(w, h, 4, JCS_CMYK, cmyk, 100, 1, 0, &len);
    c8_image img;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_image_decode(j, len, k_name, &img, &err), C8_OK);
    CU_ASSERT_EQUAL(img.c, 3);
    int want[3] = {(c * k + 127) / 255, (m * k + 127) / 255, (y * k + 127) / 255};
    int maxerr = 0;
    for (int i = 0; i < w * h; i++)
        for (int q = 0; q < 3; q++) {
            int e = abs((int)img.data[3 * i + q] - want[q]);
            if (e > maxerr) maxerr = e;
        }
    CU_ASSERT_TRUE(maxerr <= JPEG_Q100_RGB_MAX_ERR);
    free(j);
    c8_image_free(&img);
}

static void test_not_an_image(void) {
    c8_image img;
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_image_decode("GIF89a......", 12, "x.gif", &img, &err), C8_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "x.gif"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a PNG or JPEG"));
    CU_ASSERT_EQUAL(c8_image_decode("", 0, "empty.png", &img, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty.png"));
    CU_ASSERT_EQUAL(c8_image_read(C8_BINARY_DIR "/no-such-file.png", &img, &err), C8_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no-such-file.png"));
    CU_ASSERT_PTR_NULL(img.data);
}

/* Truncated and bit-flipped files: an error naming the file, or a sane image; never a crash.
 * Every strict prefix of a file must be an error (truncation is always detected). */
static int g_fuzz_ok, g_fuzz_err;

static int fuzz_one(const unsigned char *buf, size_t len, int must_fail) {
    c8_image img;
    c8_error err = {0};
    c8_status s = c8_image_decode(buf, len, "fuzz.img", &img, &err);
    int ok;
    if (s == C8_OK)
        g_fuzz_ok++;
    else
        g_fuzz_err++;
    if (s == C8_OK) {
        ok = !must_fail && img.data && img.h > 0 && img.w > 0 && (img.c == 1 || img.c == 3);
        if (ok) {
            volatile unsigned sum = 0; /* touch every byte: ASan checks the allocation */
            for (int64_t i = 0; i < img.h * img.w * img.c; i++) sum += img.data[i];
        }
        c8_image_free(&img);
    } else {
        ok = strstr(err.msg, "fuzz.img") != NULL && img.data == NULL;
    }
    return ok;
}

static void fuzz_file(const unsigned char *orig, size_t len, uint64_t seed, const char *what) {
    unsigned char *buf = malloc(len);
    int bad = 0;
    for (size_t n = 0; n < len; n++) /* every truncation */
        if (!fuzz_one(orig, n, 1) && bad++ < 3)
            printf("\n  %s: truncation to %zu of %zu bytes not rejected\n", what, n, len);
    c8t_rng r = {seed};
    for (int t = 0; t < 400; t++) {
        memcpy(buf, orig, len);
        int flips = 1 + (int)(c8t_next(&r) % 4);
        for (int f = 0; f < flips; f++) {
            size_t pos = (size_t)(c8t_next(&r) % len);
            buf[pos] ^= (unsigned char)(1u << (c8t_next(&r) % 8));
        }
        size_t n = (t % 5 == 4) ? (size_t)(c8t_next(&r) % len) : len; /* some flipped+cut */
        if (!fuzz_one(buf, n, 0) && bad++ < 3)
            printf("\n  %s: bit-flip case %d (seed %llu) misbehaved\n", what, t,
                   (unsigned long long)seed);
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(buf);
}

static void test_fuzz(void) {
    const int w = 19, h = 14;
    unsigned char px[19 * 14 * 4];
    smooth_picture(px, w, h, 4);
    size_t len;
    unsigned char *f;
    f = dt_png(w, h, PNG_COLOR_TYPE_RGB, 8, 0, px, (size_t)w * 3, NULL, 0, NULL, 0, &len);
    fuzz_file(f, len, 1, "png rgb8");
    free(f);
    unsigned char *wide = calloc((size_t)w * h * 8, 1);
    memcpy(wide, px, sizeof px);
    f = dt_png(w, h, PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, wide, (size_t)w * 8, NULL, 0, NULL, 0, &len);
    fuzz_file(f, len, 2, "png rgba16 interlaced");
    free(f);
    free(wide);
    png_color pal[16];
    for (int i = 0; i < 16; i++) pal[i].red = pal[i].green = pal[i].blue = (png_byte)(i * 16);
    unsigned char packed[19 * 14];
    for (int i = 0; i < (int)sizeof packed; i++) packed[i] = (unsigned char)(px[i] & 0x77);
    f = dt_png(w, h, PNG_COLOR_TYPE_PALETTE, 4, 0, packed, ((size_t)w * 4 + 7) / 8, pal, 16, NULL,
               0, &len);
    fuzz_file(f, len, 3, "png palette4");
    free(f);
    unsigned char rgb[19 * 14 * 3];
    smooth_picture(rgb, w, h, 3);
    f = dt_jpeg(w, h, 3, JCS_RGB, rgb, 85, 0, 0, &len);
    fuzz_file(f, len, 4, "jpeg baseline");
    free(f);
    f = dt_jpeg(w, h, 3, JCS_RGB, rgb, 85, 1, 1, &len);
    fuzz_file(f, len, 5, "jpeg progressive");
    free(f);
    f = dt_jpeg(w, h, 1, JCS_GRAYSCALE, rgb, 95, 1, 0, &len);
    fuzz_file(f, len, 6, "jpeg gray");
    free(f);
    printf("(%d decoded, %d rejected) ", g_fuzz_ok, g_fuzz_err);
    CU_ASSERT_TRUE(g_fuzz_err > 3000);
}

/* A PNG header claiming a huge image is refused before any allocation. */
static void test_huge_header(void) {
    unsigned char px[4] = {1, 2, 3, 4};
    size_t len;
    unsigned char *f = dt_png(2, 2, PNG_COLOR_TYPE_GRAY, 8, 0, px, 2, NULL, 0, NULL, 0, &len);
    /* IHDR width at offset 16: claim 60000 x 60000 (CRC now wrong: libpng rejects it either way) */
    dt_be32(f + 16, 60000);
    dt_be32(f + 20, 60000);
    c8_image img;
    c8_error err = {0};
    CU_ASSERT_NOT_EQUAL(c8_image_decode(f, len, "huge.png", &img, &err), C8_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "huge.png"));
    free(f);
}

static const c8_test_case k_cases[] = {
    {"png_8bit", test_png_8bit},
    {"png_16bit", test_png_16bit},
    {"png_palette_lowbit", test_png_palette_lowbit},
    {"png_write_roundtrip", test_png_write_roundtrip},
    {"jpeg", test_jpeg},
    {"jpeg_cmyk", test_jpeg_cmyk},
    {"not_an_image", test_not_an_image},
    {"fuzz", test_fuzz},
    {"huge_header", test_huge_header},
};

C8T_MAIN("datasets_decode", k_cases)
