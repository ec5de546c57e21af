/* Preprocessing tests: bilinear resize against values worked by hand and against a float64
 * reference written here from the documented rule; center crop offsets (round half to even);
 * channel conversion (BT.601, replicate, BGR); normalisation; presets; the config file; the
 * errors for images or settings that do not fit the model; and the sizes of dynamic H and W
 * (long / max resize, round-to-multiple, pad-to-multiple) worked by hand, the pad's values and
 * the canonical line with the new keys. */
#include "dtest.h"

#include "datasets/preprocess.h"

#include <math.h>

/* float32 bilinear on 0..255 samples: a handful of roundings of at most 255 * 2^-24 each. */
#define RESIZE_F32_TOL 1e-3
/* normalised values: the float64 result rounded once to float32 (half an ulp, 2^-24 relative),
 * plus the float64 rounding of the documented multiply-add form (~1e-16). */
#define NORM_REL_TOL 1e-6

static c8_image make_img(int64_t h, int64_t w, int64_t c, const uint8_t *px) {
    c8_image img = {h, w, c, malloc((size_t)(h * w * c))};
    memcpy(img.data, px, (size_t)(h * w * c));
    return img;
}

/* 2x2 -> 4x4, and 4x4 -> 2x2, both worked out by hand in the comments. */
static void test_bilinear_by_hand(void) {
    /* Upscale 2 -> 4: s = (d + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25; clamped to
     * (0, w 0), (0, w .25), (0, w .75), (1, w 0). Rows 0 100 / 200 40:
     *   row 0 across: 0, 25, 75, 100;  row 1 across: 200, 160, 80, 40;
     *   down: y1 = .75 r0 + .25 r1, y2 = .25 r0 + .75 r1. */
    const uint8_t px[4] = {0, 100, 200, 40};
    const float want[16] = {0,   25,      75,     100, /* */
                            50,  58.75f,  76.25f, 85,  /* */
                            150, 126.25f, 78.75f, 55,  /* */
                            200, 160,     80,     40};
    c8_image img = make_img(2, 2, 1, px);
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "4x4", NULL, &err), C8_OK);
    float out[16];
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "hand", 1, 4, 4, out, &err), C8_OK);
    for (int i = 0; i < 16; i++) {
        if (out[i] != want[i]) printf("\n  up[%d] = %.6f, want %.6f\n", i, out[i], want[i]);
        CU_ASSERT_EQUAL(out[i], want[i]);
    }
    c8_image_free(&img);

    /* Downscale 4 -> 2: s = (d + 0.5) * 2 - 0.5 = 0.5, 2.5: each output is the mean of a 2x2
     * block (weights .5/.5 both ways). */
    const uint8_t q[16] = {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60};
    img = make_img(4, 4, 1, q);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "2x2", NULL, &err), C8_OK);
    float o2[4];
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "hand", 1, 2, 2, o2, &err), C8_OK);
    const float w2[4] = {(0 + 4 + 16 + 20) / 4.0f, (8 + 12 + 24 + 28) / 4.0f,
                         (32 + 36 + 48 + 52) / 4.0f, (40 + 44 + 56 + 60) / 4.0f};
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(o2[i], w2[i]);
    c8_image_free(&img);
}

/* Float64 reference of the documented rule (resize then crop), on a (h, w) gray plane. */
static double ref_coord(int64_t d, int64_t in, int64_t out, int64_t *i0, int64_t *i1) {
    double s = ((double)d + 0.5) * (double)in / (double)out - 0.5;
    int64_t i = (int64_t)floor(s);
    double t = s - floor(s);
    if (i < 0) i = 0, t = 0;
    if (i >= in - 1) i = in - 1, t = 0;
    *i0 = i;
    *i1 = i + 1 < in ? i + 1 : i;
    return t;
}

static double ref_pixel(const uint8_t *px, int64_t h, int64_t w, int64_t c, int ch, int64_t rh,
                        int64_t rw, int64_t y, int64_t x) {
    int64_t y0, y1, x0, x1;
    double ty = ref_coord(y, h, rh, &y0, &y1), tx = ref_coord(x, w, rw, &x0, &x1);
#define P(yy, xx) ((double)px[((yy)*w + (xx)) * c + ch])
    return (1 - ty) * ((1 - tx) * P(y0, x0) + tx * P(y0, x1)) +
           ty * ((1 - tx) * P(y1, x0) + tx * P(y1, x1));
#undef P
}

static void test_bilinear_vs_float64(void) {
    c8t_rng r = {11};
    /* (h, w) -> (rh, rw): up, down, odd, non-integer ratios, one axis only */
    const int64_t sizes[][4] = {{7, 5, 4, 3}, {3, 3, 7, 7},     {31, 33, 7, 129}, {1, 9, 3, 4},
                                {9, 1, 4, 3}, {127, 3, 33, 31}, {5, 8, 5, 3},     {1, 1, 3, 3}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int64_t h = sizes[k][0], w = sizes[k][1], rh = sizes[k][2], rw = sizes[k][3];
        for (int c = 1; c <= 3; c += 2) {
            uint8_t *px = malloc((size_t)(h * w * c));
            for (int64_t i = 0; i < h * w * c; i++) px[i] = (uint8_t)c8t_next(&r);
            c8_image img = make_img(h, w, c, px);
            c8_preprocess p;
            c8_preprocess_init(&p);
            p.resize = C8_RESIZE_EXACT;
            p.resize_h = rh;
            p.resize_w = rw;
            float *out = malloc(sizeof(float) * (size_t)(rh * rw * c));
            c8_error err = {0};
            CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "r", c, rh, rw, out, &err), C8_OK);
            double worst = 0;
            int64_t wi = -1;
            for (int ch = 0; ch < c; ch++)
                for (int64_t y = 0; y < rh; y++)
                    for (int64_t x = 0; x < rw; x++) {
                        double ref = ref_pixel(px, h, w, c, ch, rh, rw, y, x);
                        double d = fabs(ref - out[(ch * rh + y) * rw + x]);
                        if (d > worst) worst = d, wi = (ch * rh + y) * rw + x;
                    }
            if (worst > RESIZE_F32_TOL)
                printf("\n  %lldx%lld->%lldx%lld c=%d: worst %.3g at %lld (seed 11)\n",
                       (long long)h, (long long)w, (long long)rh, (long long)rw, c, worst,
                       (long long)wi);
            CU_ASSERT_TRUE(worst <= RESIZE_F32_TOL);
            free(out);
            free(px);
            c8_image_free(&img);
        }
    }
}

/* Shorter side to S (torchvision: long = floor(S * long / short)) and the centre crop offset
 * round((H - h) / 2) with ties to even. */
static void test_resize_shorter_and_crop(void) {
    c8_preprocess p;
    c8_preprocess_init(&p);
    p.resize = C8_RESIZE_SHORTER;
    p.resize_short = 256;
    int64_t rh, rw;
    CU_ASSERT_TRUE(c8_preprocess_resized_size(&p, 375, 500, &rh, &rw));
    CU_ASSERT_EQUAL(rh, 256);
    CU_ASSERT_EQUAL(rw, 341); /* 256 * 500 / 375 = 341.33 */
    CU_ASSERT_TRUE(c8_preprocess_resized_size(&p, 500, 333, &rh, &rw));
    CU_ASSERT_EQUAL(rh, 384); /* 256 * 500 / 333 = 384.38 */
    CU_ASSERT_EQUAL(rw, 256);
    CU_ASSERT_TRUE(c8_preprocess_resized_size(&p, 100, 100, &rh, &rw));
    CU_ASSERT_EQUAL(rh, 256);
    CU_ASSERT_EQUAL(rw, 256);

    /* crop without resize: a row 0..w-1 shows the left offset; column values the top one. */
    const struct {
        int64_t w, cw, left; /* left = round_half_even((w - cw) / 2) */
    } cases[] = {{6, 3, 2}, {7, 2, 2}, {8, 3, 2}, {9, 4, 2}, {10, 3, 4}, {5, 5, 0}, {6, 1, 2}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int64_t w = cases[k].w, cw = cases[k].cw;
        uint8_t px[16 * 16];
        for (int64_t y = 0; y < w; y++)
            for (int64_t x = 0; x < w; x++) px[y * w + x] = (uint8_t)(x + 16 * y);
        c8_image img = make_img(w, w, 1, px);
        c8_preprocess_init(&p);
        p.crop_h = p.crop_w = cw;
        float out[16 * 16];
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "crop", 1, cw, cw, out, &err), C8_OK);
        CU_ASSERT_EQUAL(out[0], (float)(cases[k].left + 16 * cases[k].left));
        CU_ASSERT_EQUAL(out[cw * cw - 1],
                        (float)(cases[k].left + cw - 1 + 16 * (cases[k].left + cw - 1)));
        c8_image_free(&img);
    }
}

/* The imagenet preset on a 300x400 RGB image: float64 reference of resize 256 + crop 224 and
 * the normalisation. */
static void test_imagenet_preset(void) {
    const int64_t h = 300, w = 400;
    c8t_rng r = {12};
    uint8_t *px = malloc((size_t)(h * w * 3));
    for (int64_t i = 0; i < h * w * 3; i++) px[i] = (uint8_t)c8t_next(&r);
    c8_image img = make_img(h, w, 3, px);
    c8_preprocess p;
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_preprocess_preset(&p, "imagenet", &err), C8_OK);
    float *out = malloc(sizeof(float) * 3 * 224 * 224);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "in", 3, 224, 224, out, &err), C8_OK);
    const int64_t rh = 256, rw = 341; /* floor(256 * 400 / 300) */
    const int64_t oy = 16, ox = 58;   /* round((256-224)/2) = 16, round((341-224)/2 = 58.5) = 58 */
    const double mean[3] = {0.485, 0.456, 0.406}, sd[3] = {0.229, 0.224, 0.225};
    double worst = 0;
    for (int ch = 0; ch < 3; ch++)
        for (int64_t y = 0; y < 224; y++)
            for (int64_t x = 0; x < 224; x++) {
                double v = ref_pixel(px, h, w, 3, ch, rh, rw, y + oy, x + ox);
                double ref = (v / 255.0 - mean[ch]) / sd[ch];
                double d = fabs(ref - out[(ch * 224 + y) * 224 + x]);
                if (d > worst) worst = d;
            }
    /* resize error RESIZE_F32_TOL scaled by 1/(255 * std) plus the final rounding */
    CU_ASSERT_TRUE(worst <= RESIZE_F32_TOL / (255 * 0.224) + 1e-5);
    free(out);
    free(px);
    c8_image_free(&img);
}

static void test_channels_and_norm(void) {
    const uint8_t px[6] = {10, 200, 30, 77, 77, 77}; /* two RGB pixels, the second gray */
    c8_image img = make_img(1, 2, 3, px);
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_error err = {0};
    float o[6];
    /* gray from RGB: BT.601 in double, rounded once; R = G = B gives exactly that value */
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "g", 1, 1, 2, o, &err), C8_OK);
    CU_ASSERT_EQUAL(o[0], (float)(0.299 * 10 + 0.587 * 200 + 0.114 * 30));
    CU_ASSERT_EQUAL(o[1], 77.0f);
    /* rgb and bgr */
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "rgb", 3, 1, 2, o, &err), C8_OK);
    const float rgb[6] = {10, 77, 200, 77, 30, 77}; /* planar (C, H, W) */
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(o[i], rgb[i]);
    p.channels = C8_CHANNELS_BGR;
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "bgr", 3, 1, 2, o, &err), C8_OK);
    const float bgr[6] = {30, 77, 200, 77, 10, 77};
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(o[i], bgr[i]);
    /* gray for a 3-channel model: replicated */
    p.channels = C8_CHANNELS_GRAY;
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "g3", 3, 1, 2, o, &err), C8_OK);
    for (int k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(o[2 * k], (float)(0.299 * 10 + 0.587 * 200 + 0.114 * 30));
        CU_ASSERT_EQUAL(o[2 * k + 1], 77.0f);
    }
    c8_image_free(&img);
    /* a gray image for a 3-channel rgb model: replicated */
    const uint8_t gp[2] = {5, 250};
    img = make_img(1, 2, 1, gp);
    p.channels = C8_CHANNELS_RGB;
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "gr", 3, 1, 2, o, &err), C8_OK);
    for (int k = 0; k < 3; k++) CU_ASSERT_TRUE(o[2 * k] == 5.0f && o[2 * k + 1] == 250.0f);
    c8_image_free(&img);
    /* normalisation per output channel: (v * scale - mean[c]) / std[c] in double, rounded once */
    img = make_img(1, 2, 3, px);
    c8_preprocess_init(&p);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "scale", "1/255", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "mean", "0.485,0.456,0.406", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "std", "0.229,0.224,0.225", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "channels", "bgr", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "n", 3, 1, 2, o, &err), C8_OK);
    const double m[3] = {0.485, 0.456, 0.406}, s[3] = {0.229, 0.224, 0.225};
    for (int k = 0; k < 3; k++)
        for (int x = 0; x < 2; x++) {
            double v = px[x * 3 + (2 - k)];
            float want = (float)((v * (1.0 / 255) - m[k]) / s[k]);
            CU_ASSERT_TRUE(fabsf(o[k * 2 + x] - want) <= NORM_REL_TOL * fabsf(want) + 1e-7f);
        }
    c8_image_free(&img);
}

static void test_mismatch_errors(void) {
    uint8_t px[5 * 7 * 3] = {0};
    c8_image img = make_img(5, 7, 3, px);
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_error err = {0};
    float out[3 * 8 * 8];
    /* no resize, different size: names the image and both sizes */
    CU_ASSERT_EQUAL(c8_preprocess_apply(&p, &img, "data/cat.png", 3, 8, 8, out, &err),
                    C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "data/cat.png"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "5x7"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "8x8"));
    /* crop larger than the image */
    p.crop_h = p.crop_w = 6;
    CU_ASSERT_EQUAL(c8_preprocess_apply(&p, &img, "data/cat.png", 3, 6, 6, out, &err),
                    C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "larger than the image"));
    /* settings that cannot fit the model */
    c8_preprocess_init(&p);
    p.channels = C8_CHANNELS_RGB;
    CU_ASSERT_EQUAL(c8_preprocess_check(&p, 1, 8, 8, &err), C8_ERR_INVALID);
    c8_preprocess_init(&p);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "mean", "1,2,3", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_check(&p, 1, 8, 8, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "mean has 3 values"));
    c8_preprocess_init(&p);
    CU_ASSERT_EQUAL(c8_preprocess_check(&p, 4, 8, 8, &err), C8_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "crop", "224", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_check(&p, 3, 200, 200, &err), C8_ERR_SHAPE);
    CU_ASSERT_EQUAL(c8_preprocess_check(&p, 3, 224, 224, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "100x300", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_check(&p, 3, 224, 224, &err), C8_ERR_SHAPE);
    /* bad values */
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "std", "1,0", "--std", &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--std"));
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "scale", "abc", NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "0", NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "12x", NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "channels", "cmyk", NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "mean", "1,2,3,4", NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "colour", "x", NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_preprocess_preset(&p, "coco", &err), C8_ERR_INVALID);
    c8_image_free(&img);
}

static void test_config_file(void) {
    const char *dir = dt_scratch("pre-config");
    const char *cfg = dt_path(dir, "pre.cfg");
    dt_write_text(cfg, "# ImageNet-like, BGR\n"
                       "preset = imagenet\n"
                       "\n"
                       "channels = bgr   # Caffe order\n"
                       "mean = 0.406, 0.456, 0.485\r\n"
                       "scale=0.0039215686\n");
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_load(&p, cfg, &err), C8_OK);
    CU_ASSERT_EQUAL(p.resize, C8_RESIZE_SHORTER);
    CU_ASSERT_EQUAL(p.resize_short, 256);
    CU_ASSERT_EQUAL(p.crop_h, 224);
    CU_ASSERT_EQUAL(p.channels, C8_CHANNELS_BGR);
    CU_ASSERT_EQUAL(p.nmean, 3);
    CU_ASSERT_EQUAL(p.mean[0], 0.406);
    CU_ASSERT_EQUAL(p.scale, 0.0039215686);
    char d[512];
    c8_preprocess_describe(&p, d, sizeof d);
    CU_ASSERT_STRING_EQUAL(d, "resize=256 crop=224x224 channels=bgr scale=0.0039215686 "
                              "mean=0.406,0.456,0.485 std=0.229,0.224,0.225");
    c8_preprocess_init(&p);
    c8_preprocess_describe(&p, d, sizeof d);
    CU_ASSERT_STRING_EQUAL(d, "resize=none crop=none channels=auto scale=1 mean=0 std=1");
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "scale", "1/255", NULL, &err), C8_OK);
    c8_preprocess_describe(&p, d, sizeof d);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "scale=0.00392156862745098 "));
    /* errors name file:line */
    dt_write_text(cfg, "scale = 1\nmean 0.5\n");
    CU_ASSERT_EQUAL(c8_preprocess_load(&p, cfg, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "pre.cfg:2"));
    dt_write_text(cfg, "\n\nhue = 3\n");
    CU_ASSERT_EQUAL(c8_preprocess_load(&p, cfg, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "pre.cfg:3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "hue"));
    dt_write_text(cfg, "std = 0.5,zero\n");
    CU_ASSERT_EQUAL(c8_preprocess_load(&p, cfg, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "pre.cfg:1"));
    CU_ASSERT_EQUAL(c8_preprocess_load(&p, dt_path(dir, "missing.cfg"), &err), C8_ERR_IO);
}

/* c8_preprocess_parse is describe's inverse: every field survives the round trip (the struct
 * compared field by field), and bad descriptions are refused with p unchanged. */
static void test_parse_description(void) {
    c8_error err = {0};
    c8_preprocess a, b;
    const char *sets[][2] = {{"preset", "imagenet"},    {"channels", "bgr"}, {"scale", "1/255"},
                             {"resize", "300x200"},     {"crop", "none"},    {"std", "0.5"},
                             {"resize", "none"},        {"crop", "7x9"},     {"channels", "gray"},
                             {"mean", "-0.1,0.2,1e-30"}};
    c8_preprocess_init(&a);
    for (size_t k = 0; k <= sizeof sets / sizeof sets[0]; k++) {
        char d[512], d2[512];
        c8_preprocess_describe(&a, d, sizeof d);
        c8_preprocess_init(&b);
        b.scale = 42; /* overwritten: a parse starts from the defaults */
        CU_ASSERT_EQUAL_FATAL(c8_preprocess_parse(&b, d, "line", &err), C8_OK);
        CU_ASSERT_EQUAL(b.resize, a.resize);
        CU_ASSERT_EQUAL(b.resize_short, a.resize_short);
        CU_ASSERT_EQUAL(b.resize_h, a.resize_h);
        CU_ASSERT_EQUAL(b.resize_w, a.resize_w);
        CU_ASSERT_EQUAL(b.crop_h, a.crop_h);
        CU_ASSERT_EQUAL(b.crop_w, a.crop_w);
        CU_ASSERT_EQUAL(b.channels, a.channels);
        CU_ASSERT_EQUAL(b.scale, a.scale); /* exact: describe writes round-trippable numbers */
        CU_ASSERT_EQUAL(b.nmean, a.nmean);
        CU_ASSERT_EQUAL(b.nstd, a.nstd);
        for (int c = 0; c < a.nmean; c++) CU_ASSERT_EQUAL(b.mean[c], a.mean[c]);
        for (int c = 0; c < a.nstd; c++) CU_ASSERT_EQUAL(b.std[c], a.std[c]);
        CU_ASSERT_STRING_EQUAL(c8_preprocess_describe(&b, d2, sizeof d2), d);
        if (k < sizeof sets / sizeof sets[0])
            CU_ASSERT_EQUAL_FATAL(c8_preprocess_set(&a, sets[k][0], sets[k][1], NULL, &err), C8_OK);
    }
    /* keys left out keep the defaults */
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_parse(&b, "std=2  scale=0.5", NULL, &err), C8_OK);
    CU_ASSERT_TRUE(b.std[0] == 2 && b.scale == 0.5 && b.mean[0] == 0 && b.resize == C8_RESIZE_NONE);
    const struct {
        const char *line, *phrase;
    } bad[] = {{"", "empty"},
               {"scale", "'scale' is not key=value"},
               {"scale=", "not key=value"},
               {"=1", "not key=value"},
               {"hue=3", "unknown preprocessing key 'hue'"},
               {"preset=imagenet", "'preset' is not a key"},
               {"scale=1 std=0", "zero"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        c8_preprocess_init(&b);
        b.scale = 3;
        CU_ASSERT_NOT_EQUAL(c8_preprocess_parse(&b, bad[k].line, "m.plan", &err), C8_OK);
        if (!strstr(err.msg, bad[k].phrase)) printf("\n  '%s': %s", bad[k].line, err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[k].phrase));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "m.plan"));
        CU_ASSERT_EQUAL(b.scale, 3); /* unchanged */
    }
}

/* Sizes for dynamic H and W, worked by hand (H x W):
 *   1000x700, long:960: the long side 960, the short floor(960 * 700 / 1000) = 672; 960 and
 *     672 are 30 and 21 times 32, so round-to-multiple 32 and pad-to-multiple 32 keep 960x672.
 *   1000x750, long:960: 960 x floor(960 * 750 / 1000) = 960x720. pad 32: 720 -> 23 * 32 = 736
 *     (960x736). round 32: 720 / 32 = 22.5, ties to even -> 22 * 32 = 704 (960x704), as
 *     PaddleOCR's int(round(720 / 32) * 32) in Python 3.
 *   750x1000 (W longer), long:960: 720x960.
 *   500x300, max:960: within the limit, kept; round 32: 500 / 32 = 15.6 -> 512, 300 / 32 = 9.4
 *     -> 288 (512x288); pad 32: 512x320. long:960 instead: 960 x floor(960 * 300 / 500) = 576.
 *   48x80, round 32: 1.5 -> 2 (64), 2.5 -> 2 (64): 64x64. 10x16, round 32: 0.3 and 0.5 -> 0,
 *     at least one multiple: 32x32.
 *   1x5000, long:960: the short side floor(960 / 5000) = 0 becomes 1: 1x960.
 *   256x300 shorter 256 (plain S) then crop 200x200, pad 64: 256x256. */
static void test_dynamic_sizes_by_hand(void) {
    const struct {
        const char *resize, *round, *crop, *pad;
        int64_t h, w, oh, ow;
    } k[] = {
        {"long:960", "0", "none", "0", 1000, 700, 960, 672},
        {"long:960", "32", "none", "0", 1000, 700, 960, 672},
        {"long:960", "0", "none", "32", 1000, 700, 960, 672},
        {"long:960", "0", "none", "0", 1000, 750, 960, 720},
        {"long:960", "0", "none", "32", 1000, 750, 960, 736},
        {"long:960", "32", "none", "0", 1000, 750, 960, 704},
        {"max:960", "32", "none", "0", 1000, 750, 960, 704},
        {"long:960", "0", "none", "0", 750, 1000, 720, 960},
        {"max:960", "0", "none", "0", 500, 300, 500, 300},
        {"max:960", "32", "none", "0", 500, 300, 512, 288},
        {"max:960", "0", "none", "32", 500, 300, 512, 320},
        {"long:960", "0", "none", "0", 500, 300, 960, 576},
        {"none", "32", "none", "0", 48, 80, 64, 64},
        {"none", "32", "none", "0", 10, 16, 32, 32},
        {"long:960", "0", "none", "0", 1, 5000, 1, 960},
        {"256", "0", "200x200", "64", 256, 300, 256, 256},
    };
    c8_error err = {0};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        c8_preprocess p;
        c8_preprocess_init(&p);
        CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", k[i].resize, NULL, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_preprocess_set(&p, "round-to-multiple", k[i].round, NULL, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_preprocess_set(&p, "crop", k[i].crop, NULL, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_preprocess_set(&p, "pad-to-multiple", k[i].pad, NULL, &err), C8_OK);
        int64_t oh = -1, ow = -1;
        CU_ASSERT_EQUAL(c8_preprocess_output_size(&p, k[i].h, k[i].w, "x.png", &oh, &ow, &err),
                        C8_OK);
        if (oh != k[i].oh || ow != k[i].ow)
            printf("\n  case %zu: %lldx%lld -> %lldx%lld, want %lldx%lld", i, (long long)k[i].h,
                   (long long)k[i].w, (long long)oh, (long long)ow, (long long)k[i].oh,
                   (long long)k[i].ow);
        CU_ASSERT_TRUE(oh == k[i].oh && ow == k[i].ow);
    }
    /* a crop larger than the resized image names the file */
    c8_preprocess p;
    c8_preprocess_init(&p);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "crop", "64x64", NULL, &err), C8_OK);
    int64_t oh, ow;
    CU_ASSERT_EQUAL(c8_preprocess_output_size(&p, 32, 100, "small.png", &oh, &ow, &err),
                    C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "small.png"));
    /* bad values */
    const char *bad[][2] = {{"resize", "long:0"},         {"resize", "long:9x9"},
                            {"resize", "max:"},           {"resize", "wide:9"},
                            {"round-to-multiple", "-32"}, {"pad-to-multiple", "x"},
                            {"pad-to-multiple", "70000"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(c8_preprocess_set(&p, bad[i][0], bad[i][1], "--flag", &err),
                        C8_ERR_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "--flag"));
    }
}

/* pad-to-multiple: the image in the top-left corner, exactly as without the pad, and 0 in the
 * added rows and columns of every channel (after the normalisation: here pixels become
 * (v / 255 - 0.5) / 0.25, so 0 is the grey 127.5, distinct from every pixel value). */
static void test_pad_values(void) {
    const uint8_t px[2 * 3 * 3] = {0,  10,  20,  30,  40,  50,  60,  70,  80,
                                   90, 100, 110, 120, 130, 140, 150, 160, 255};
    c8_image img = make_img(2, 3, 3, px);
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "scale", "1/255", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "mean", "0.5", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "std", "0.25", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "channels", "bgr", NULL, &err), C8_OK);
    float plain[3 * 2 * 3], padded[3 * 4 * 4];
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "pad", 3, 2, 3, plain, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "pad-to-multiple", "4", NULL, &err), C8_OK);
    /* the unpadded size no longer fits: the message says so */
    CU_ASSERT_EQUAL(c8_preprocess_apply(&p, &img, "pad.png", 3, 2, 3, plain + 0, &err),
                    C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "pad.png: image is 4x4 after resize/crop/pad"));
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "pad", 3, 4, 4, padded, &err), C8_OK);
    int bad = 0;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                float v = padded[(c * 4 + y) * 4 + x];
                /* hand value: channel c of BGR is source channel 2 - c */
                float want = 0.0f;
                if (y < 2 && x < 3) {
                    double pix = px[(y * 3 + x) * 3 + (2 - c)];
                    want = (float)((pix / 255.0 - 0.5) / 0.25);
                    bad += plain[(c * 2 + y) * 3 + x] != v;
                }
                bad += fabs(v - want) > 1e-6 * (1 + fabs(want)) || (want == 0.0f && v != 0.0f);
            }
    CU_ASSERT_EQUAL(bad, 0);
    c8_image_free(&img);
}

/* round-to-multiple resamples to the rounded size: the same values as an exact resize to the
 * size worked by hand (a 3x5 image, multiple 2: 1.5 -> 2 and 2.5 -> 2, so 4x4). */
static void test_round_is_a_resize(void) {
    uint8_t px[15];
    for (int i = 0; i < 15; i++) px[i] = (uint8_t)(i * 17);
    c8_image img = make_img(3, 5, 1, px);
    c8_preprocess a, b;
    c8_preprocess_init(&a);
    c8_preprocess_init(&b);
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_preprocess_set(&a, "round-to-multiple", "2", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&b, "resize", "4x4", NULL, &err), C8_OK);
    float oa[16], ob[16];
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&a, &img, "r", 1, 4, 4, oa, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&b, &img, "r", 1, 4, 4, ob, &err), C8_OK);
    CU_ASSERT_EQUAL(memcmp(oa, ob, sizeof oa), 0);
    c8_image_free(&img);
}

/* The new keys in the canonical line: after resize / crop, only when set, and read back. Lines
 * written before they existed describe unchanged. */
static void test_describe_multiples(void) {
    c8_error err = {0};
    const char *lines[] = {
        "resize=max:960 round-to-multiple=32 crop=none channels=rgb scale=0.00392156862745098 "
        "mean=0.485,0.456,0.406 std=0.229,0.224,0.225",
        "resize=long:640 crop=none pad-to-multiple=32 channels=bgr scale=1 mean=0 std=1",
        "resize=256 round-to-multiple=8 crop=224x224 pad-to-multiple=64 channels=auto scale=1 "
        "mean=0 std=1",
        "resize=256 crop=224x224 channels=rgb scale=0.00392156862745098 mean=0.485,0.456,0.406 "
        "std=0.229,0.224,0.225",
        "resize=none crop=none channels=auto scale=1 mean=0 std=1"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        c8_preprocess p;
        char d[512];
        CU_ASSERT_EQUAL_FATAL(c8_preprocess_parse(&p, lines[i], "s.json", &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_preprocess_describe(&p, d, sizeof d), lines[i]);
    }
    c8_preprocess p;
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_parse(&p, lines[0], NULL, &err), C8_OK);
    CU_ASSERT_TRUE(p.resize == C8_RESIZE_LONGER_MAX && p.resize_long == 960 &&
                   p.round_multiple == 32 && p.pad_multiple == 0);
    /* order of the words does not matter; "none" and 0 switch a multiple off */
    CU_ASSERT_EQUAL_FATAL(
        c8_preprocess_parse(&p, "pad-to-multiple=16 resize=long:100 round-to-multiple=none", NULL,
                            &err),
        C8_OK);
    CU_ASSERT_TRUE(p.resize == C8_RESIZE_LONGER && p.resize_long == 100 && p.pad_multiple == 16 &&
                   p.round_multiple == 0);
    char d[512];
    CU_ASSERT_STRING_EQUAL(c8_preprocess_describe(&p, d, sizeof d),
                           "resize=long:100 crop=none pad-to-multiple=16 channels=auto scale=1 "
                           "mean=0 std=1");
    CU_ASSERT_EQUAL(c8_preprocess_parse(&p, "pad-to-multiple=x", "m.plan", &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "m.plan"));
}

/* Float (N,C,H,W) sources and 2/4-channel sources through the internal entry point. */
static void test_float_and_alpha_sources(void) {
    const float f[2 * 2 * 3] = {1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400}; /* (3, 2, 2) */
    c8_src_image src = {2, 2, 3, NULL, f};
    c8_preprocess p;
    c8_preprocess_init(&p);
    c8_pre_scratch sc = {0};
    c8_error err = {0};
    float o[12];
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_run(&p, &src, "f", 3, 2, 2, o, &sc, &err), C8_OK);
    CU_ASSERT_EQUAL(memcmp(o, f, sizeof o), 0);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_run(&p, &src, "f", 1, 2, 2, o, &sc, &err), C8_OK);
    CU_ASSERT_EQUAL(o[3], (float)(0.299 * 4 + 0.587 * 40 + 0.114 * 400));
    const uint8_t ga[4] = {9, 255, 99, 0}; /* (1, 2, 2): gray + alpha */
    c8_src_image s2 = {1, 2, 2, ga, NULL};
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_run(&p, &s2, "ga", 1, 1, 2, o, &sc, &err), C8_OK);
    CU_ASSERT_TRUE(o[0] == 9 && o[1] == 99);
    c8_src_image s5 = {1, 2, 5, ga, NULL};
    CU_ASSERT_EQUAL(c8_preprocess_run(&p, &s5, "five", 1, 1, 2, o, &sc, &err), C8_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "five"));
    c8_pre_scratch_free(&sc);
}

static const c8_test_case k_cases[] = {
    {"bilinear_by_hand", test_bilinear_by_hand},
    {"bilinear_vs_float64", test_bilinear_vs_float64},
    {"resize_shorter_and_crop", test_resize_shorter_and_crop},
    {"imagenet_preset", test_imagenet_preset},
    {"channels_and_norm", test_channels_and_norm},
    {"mismatch_errors", test_mismatch_errors},
    {"config_file", test_config_file},
    {"parse_description", test_parse_description},
    {"float_and_alpha_sources", test_float_and_alpha_sources},
    {"dynamic_sizes_by_hand", test_dynamic_sizes_by_hand},
    {"pad_values", test_pad_values},
    {"round_is_a_resize", test_round_is_a_resize},
    {"describe_multiples", test_describe_multiples},
};

C8T_MAIN("datasets_preprocess", k_cases)
