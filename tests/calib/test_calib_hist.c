/* Tests for calib/hist.c: exact binning (checked against an integer-arithmetic reference),
 * range doubling by pair merging, independence from batch size and order (histograms and
 * the caches made from them, byte for byte), merging, NaN/Inf errors, create_from rules, and the
 * engine's host binning on 1-4 threads (c8_context_set_threads) against the reference. */
#include "c8test.h"

#include "calib/hist.h"
#include "calib8/calib.h"
#include "calib8/engine.h"

#include <float.h>
#include <math.h>

/* Reference bin of v with range 2^e: |v| = M * 2^E with an integer M < 2^24, so
 * floor(|v| * nbins / 2^e) = floor(M * nbins * 2^(E - e)), done with integer shifts (a
 * different route from calib/hist.c's float64 product). */
static int64_t ref_bin(float v, int64_t nbins, int e) {
    if (v == 0.0f) return 0;
    int ex;
    float m = frexpf(fabsf(v), &ex);       /* |v| = m 2^ex, m in [0.5, 1) */
    uint64_t mi = (uint64_t)ldexpf(m, 24); /* exact: M = m 2^24 */
    int sh = ex - 24 - e;                  /* |v| nbins / 2^e = M nbins 2^sh */
    unsigned __int128 p = (unsigned __int128)mi * (uint64_t)nbins;
    int64_t k;
    if (sh >= 0)
        k = (int64_t)(p << sh);
    else if (sh <= -127)
        k = 0;
    else
        k = (int64_t)(p >> -sh);
    return k < nbins ? k : nbins - 1;
}

static void ref_hist(const float *v, size_t n, int64_t nbins, int e, uint64_t *counts) {
    memset(counts, 0, (size_t)nbins * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[ref_bin(v[i], nbins, e)]++;
}

static void test_create_validation(void) {
    c8_error err = {0};
    c8_hist *h = NULL;
    int64_t bad[] = {0, 126, 127, 129, 2049, (int64_t)C8_HIST_MAX_BINS + 2, -2};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(c8_hist_create(bad[i], &h, &err), C8_ERR_INVALID);
        CU_ASSERT_PTR_NULL(h);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "must be even"));
    int64_t good[] = {128, 130, 300, 2048, 4096};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(c8_hist_create(good[i], &h, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_hist_nbins(h), good[i]);
        CU_ASSERT_EQUAL(c8_hist_count(h), 0);
        CU_ASSERT_EQUAL(c8_hist_range_exp(h), C8_HIST_EXP_MIN);
        c8_hist_destroy(h);
    }
    c8_hist_destroy(NULL);
}

/* Hand-worked bins with R = 1 then R = 2 (nbins 2048, width 1/2048 then 1/1024). */
static void test_binning_by_hand(void) {
    c8_error err = {0};
    c8_hist *h;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h, &err), C8_OK);
    const float one_minus = 0.99999994f; /* 1 - 2^-24 */
    float a[] = {0.0f, 0.5f, one_minus, 0.25f, 0x1p-10f, 0x1p-149f, -0.75f};
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, a, 7, "t", 0, &err), C8_OK);
    /* absmax 1 - 2^-24: R = 1 (the smallest power of two strictly above it) */
    CU_ASSERT_EQUAL(c8_hist_range_exp(h), 0);
    const uint64_t *c = c8_hist_counts(h);
    CU_ASSERT_EQUAL(c[0], 2);    /* 0 and 2^-149 */
    CU_ASSERT_EQUAL(c[2], 1);    /* 2^-10 * 2048 = 2 */
    CU_ASSERT_EQUAL(c[512], 1);  /* 0.25 */
    CU_ASSERT_EQUAL(c[1024], 1); /* 0.5: a lower edge belongs to its bin */
    CU_ASSERT_EQUAL(c[1536], 1); /* |-0.75| */
    CU_ASSERT_EQUAL(c[2047], 1); /* (1 - 2^-24) * 2048 = 2047.99... */
    CU_ASSERT_EQUAL(c8_hist_absmax(h), one_minus);
    CU_ASSERT_EQUAL(c8_hist_min(h), -0.75f);
    CU_ASSERT_EQUAL(c8_hist_max(h), one_minus);
    /* 1.0 = R: the range doubles to 2 and every bin k folds into k / 2 */
    float b = 1.0f;
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, &b, 1, "t", 1, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_range_exp(h), 1);
    CU_ASSERT_EQUAL(c[0], 2);
    CU_ASSERT_EQUAL(c[1], 1);    /* 2^-10 */
    CU_ASSERT_EQUAL(c[256], 1);  /* 0.25 */
    CU_ASSERT_EQUAL(c[512], 1);  /* 0.5 */
    CU_ASSERT_EQUAL(c[768], 1);  /* 0.75 */
    CU_ASSERT_EQUAL(c[1023], 1); /* 1 - 2^-24 */
    CU_ASSERT_EQUAL(c[1024], 1); /* 1.0 */
    CU_ASSERT_EQUAL(c8_hist_count(h), 8);
    CU_ASSERT_EQUAL(c8_hist_bin_width(h), 1.0 / 1024);
    c8_hist_destroy(h);
}

static void test_zero_and_subnormal(void) {
    c8_error err = {0};
    c8_hist *h;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h, &err), C8_OK);
    float z[4] = {-0.0f, 0.0f, -0.0f, 0.0f};
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, z, 4, "zeros", 0, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_range_exp(h), C8_HIST_EXP_MIN); /* the documented floor */
    CU_ASSERT_EQUAL(c8_hist_counts(h)[0], 4);
    CU_ASSERT_EQUAL(c8_hist_absmax(h), 0.0f);
    CU_ASSERT_FALSE(signbit(c8_hist_min(h))); /* -0 is normalised: order cannot matter */
    CU_ASSERT_FALSE(signbit(c8_hist_max(h)));
    c8_hist_destroy(h);

    /* subnormals bin exactly: absmax 2^-140 -> R = 2^-139, width 2^-150 */
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h, &err), C8_OK);
    float s[3] = {0x1p-149f, 0x1p-140f, 0x3p-149f};
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, s, 3, "tiny", 0, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_range_exp(h), -139);
    CU_ASSERT_EQUAL(c8_hist_counts(h)[2], 1);    /* 2^-149 / 2^-150 */
    CU_ASSERT_EQUAL(c8_hist_counts(h)[6], 1);    /* 3 * 2^-149 */
    CU_ASSERT_EQUAL(c8_hist_counts(h)[1024], 1); /* 2^-140 */
    c8_hist_destroy(h);

    /* the largest float: R = 2^128 (beyond float32, fine in float64) */
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(128, &h, &err), C8_OK);
    float big[2] = {FLT_MAX, -1.0f};
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, big, 2, "big", 0, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_range_exp(h), 128);
    CU_ASSERT_EQUAL(c8_hist_counts(h)[127], 1);
    CU_ASSERT_EQUAL(c8_hist_counts(h)[0], 1);
    c8_hist_destroy(h);
}

static void test_nonfinite(void) {
    c8_error err = {0};
    c8_hist *h;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h, &err), C8_OK);
    float ok[3] = {1.0f, 2.0f, 3.0f};
    CU_ASSERT_EQUAL(c8_hist_add(h, ok, 3, "conv3_out", 0, &err), C8_OK);
    float v[8] = {0.5f, 1.0f, -2.0f, 0.0f, 4.0f, NAN, INFINITY, 1.0f};
    CU_ASSERT_EQUAL(c8_hist_add(h, v, 8, "conv3_out", 7, &err), C8_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.msg, "tensor 'conv3_out': batch 7: NaN at element 5 of 8");
    v[5] = 1.0f;
    CU_ASSERT_EQUAL(c8_hist_add(h, v, 8, "conv3_out", 8, &err), C8_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.msg, "tensor 'conv3_out': batch 8: +Inf at element 6 of 8");
    v[6] = -INFINITY;
    CU_ASSERT_EQUAL(c8_hist_add(h, v, 8, "/model.0/Mul_output_0", 9, &err), C8_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.msg,
                           "tensor '/model.0/Mul_output_0': batch 9: -Inf at element 6 of 8");
    /* a failed batch leaves the histogram as it was */
    CU_ASSERT_EQUAL(c8_hist_count(h), 3);
    CU_ASSERT_EQUAL(c8_hist_absmax(h), 3.0f);
    CU_ASSERT_EQUAL(c8_hist_range_exp(h), 2);
    c8_hist_destroy(h);
}

/* ---- invariance: batch sizes 1, 7, 32 and shuffled orders ---- */

enum { IMAGES = 64, PER_IMAGE = 300, NBINS_INV = 2048 };

/* 64 "images" of 300 values: exponential-ish magnitudes whose scale changes from image to
 * image by powers of two (so the range doubles, several steps at once, mid-stream), with exact
 * powers of two, zeros, -0, subnormals and negative values mixed in. */
static float *make_images(uint64_t seed) {
    float *v = malloc(sizeof(float) * IMAGES * PER_IMAGE);
    c8t_rng r = {seed};
    for (int k = 0; k < IMAGES; k++) {
        float scale = ldexpf(1.0f, (k * 5) % 13 - 6);
        for (int j = 0; j < PER_IMAGE; j++) {
            float u = c8t_uniform(&r, 1e-6f, 1.0f);
            float x = -logf(u) * scale;
            int kind = c8t_randint(&r, 0, 19);
            if (kind == 0)
                x = 0.0f;
            else if (kind == 1)
                x = -0.0f;
            else if (kind == 2)
                x = ldexpf(1.0f, c8t_randint(&r, -8, 6));
            else if (kind == 3)
                x = 0x1p-145f * (float)c8t_randint(&r, 1, 15);
            if (c8t_randint(&r, 0, 2) == 0) x = -x;
            v[k * PER_IMAGE + j] = x;
        }
    }
    return v;
}

/* Feeds the images in `order`, `batch` images per c8_hist_add call. */
static c8_hist *feed(const float *img, const int *order, int batch) {
    c8_error err = {0};
    c8_hist *h;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(NBINS_INV, &h, &err), C8_OK);
    float *buf = malloc(sizeof(float) * PER_IMAGE * (size_t)batch);
    for (int b = 0, k = 0; k < IMAGES; b++) {
        int m = 0;
        for (; m < batch && k < IMAGES; m++, k++)
            memcpy(buf + m * PER_IMAGE, img + order[k] * PER_IMAGE, sizeof(float) * PER_IMAGE);
        CU_ASSERT_EQUAL(c8_hist_add(h, buf, (size_t)m * PER_IMAGE, "x", b, &err), C8_OK);
    }
    free(buf);
    return h;
}

static bool same_hist(const c8_hist *a, const c8_hist *b) {
    return c8_hist_nbins(a) == c8_hist_nbins(b) && c8_hist_range_exp(a) == c8_hist_range_exp(b) &&
           c8_hist_count(a) == c8_hist_count(b) &&
           !memcmp(c8_hist_counts(a), c8_hist_counts(b), sizeof(uint64_t) * c8_hist_nbins(a)) &&
           !memcmp(&(float){c8_hist_absmax(a)}, &(float){c8_hist_absmax(b)}, 4) &&
           !memcmp(&(float){c8_hist_min(a)}, &(float){c8_hist_min(b)}, 4) &&
           !memcmp(&(float){c8_hist_max(a)}, &(float){c8_hist_max(b)}, 4);
}

/* The cache text every algorithm makes from h (one tensor per algorithm). */
static char *cache_text(const c8_hist *h) {
    c8_error err = {0};
    c8_calib_cache *c;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_create(NULL, "EntropyCalibration2", &c, &err), C8_OK);
    for (int64_t i = 0; c8_calib_algo_at(i); i++) {
        double t;
        float s;
        CU_ASSERT_EQUAL(c8_calib_threshold(c8_calib_algo_at(i), h, NULL, &t, &s, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_calib_cache_set(c, c8_calib_algo_at(i)->name, s, &err), C8_OK);
    }
    char *text;
    size_t len;
    CU_ASSERT_EQUAL(c8_calib_cache_format(c, &text, &len, &err), C8_OK);
    c8_calib_cache_destroy(c);
    return text;
}

static void test_invariance(void) {
    const uint64_t seed = 20261121;
    float *img = make_images(seed);
    int order[IMAGES];
    for (int k = 0; k < IMAGES; k++) order[k] = k;
    c8_hist *ref = feed(img, order, IMAGES); /* everything in one batch */

    /* independent reference: every value binned once with the final range */
    uint64_t *want = malloc(sizeof(uint64_t) * NBINS_INV);
    ref_hist(img, IMAGES * PER_IMAGE, NBINS_INV, c8_hist_range_exp(ref), want);
    CU_ASSERT_EQUAL(memcmp(want, c8_hist_counts(ref), sizeof(uint64_t) * NBINS_INV), 0);
    float am = 0.0f;
    for (int i = 0; i < IMAGES * PER_IMAGE; i++) am = fabsf(img[i]) > am ? fabsf(img[i]) : am;
    CU_ASSERT_EQUAL(c8_hist_absmax(ref), am);
    int e;
    frexpf(am, &e);
    CU_ASSERT_EQUAL(c8_hist_range_exp(ref), e);
    char *ref_cache = cache_text(ref);

    c8t_rng r = {seed + 1};
    const int batches[3] = {1, 7, 32};
    for (int o = 0; o < 4; o++) {
        /* order 0: natural, 1: reversed, 2-3: shuffled (Fisher-Yates) */
        for (int k = 0; k < IMAGES; k++) order[k] = o == 1 ? IMAGES - 1 - k : k;
        if (o >= 2)
            for (int k = IMAGES - 1; k > 0; k--) {
                int j = c8t_randint(&r, 0, k), t = order[k];
                order[k] = order[j];
                order[j] = t;
            }
        for (int b = 0; b < 3; b++) {
            c8_hist *h = feed(img, order, batches[b]);
            bool same = same_hist(h, ref);
            char *txt = cache_text(h);
            bool same_cache = !strcmp(txt, ref_cache);
            if (!same || !same_cache)
                printf("\n  seed %llu order %d batch %d: histogram %s, cache %s\n",
                       (unsigned long long)seed, o, batches[b], same ? "same" : "DIFFERS",
                       same_cache ? "same" : "DIFFERS");
            CU_ASSERT_TRUE(same);
            CU_ASSERT_TRUE(same_cache);
            free(txt);
            c8_hist_destroy(h);
        }
    }
    free(ref_cache);
    free(want);
    c8_hist_destroy(ref);
    free(img);
}

static void test_merge(void) {
    c8_error err = {0};
    float *img = make_images(7);
    int order[IMAGES];
    for (int k = 0; k < IMAGES; k++) order[k] = k;
    c8_hist *ref = feed(img, order, 5);
    /* three collectors (threads / devices) get interleaved images; merged in two orders */
    c8_hist *part[3];
    for (int p = 0; p < 3; p++)
        CU_ASSERT_EQUAL_FATAL(c8_hist_create(NBINS_INV, &part[p], &err), C8_OK);
    for (int k = 0; k < IMAGES; k++)
        CU_ASSERT_EQUAL(
            c8_hist_add(part[(k * 7) % 3], img + k * PER_IMAGE, PER_IMAGE, "x", k, &err), C8_OK);
    c8_hist *m1, *m2;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(NBINS_INV, &m1, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(NBINS_INV, &m2, &err), C8_OK);
    for (int p = 0; p < 3; p++) CU_ASSERT_EQUAL(c8_hist_merge(m1, part[p], &err), C8_OK);
    for (int p = 2; p >= 0; p--) CU_ASSERT_EQUAL(c8_hist_merge(m2, part[p], &err), C8_OK);
    CU_ASSERT_TRUE(same_hist(m1, ref));
    CU_ASSERT_TRUE(same_hist(m2, ref));
    /* merging an empty histogram changes nothing; different bin counts are refused */
    c8_hist *empty, *other;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(NBINS_INV, &empty, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_merge(m1, empty, &err), C8_OK);
    CU_ASSERT_TRUE(same_hist(m1, ref));
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(1024, &other, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_merge(m1, other, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2048 and 1024"));
    for (int p = 0; p < 3; p++) c8_hist_destroy(part[p]);
    c8_hist_destroy(m1);
    c8_hist_destroy(m2);
    c8_hist_destroy(empty);
    c8_hist_destroy(other);
    c8_hist_destroy(ref);
    free(img);
}

static void test_create_from(void) {
    c8_error err = {0};
    float *img = make_images(11);
    c8_hist *h, *g;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(NBINS_INV, &h, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, img, IMAGES * PER_IMAGE, "x", 0, &err), C8_OK);
    const uint64_t *c = c8_hist_counts(h);
    int e = c8_hist_range_exp(h);
    float am = c8_hist_absmax(h), mn = c8_hist_min(h), mx = c8_hist_max(h);
    CU_ASSERT_EQUAL_FATAL(c8_hist_create_from(NBINS_INV, e, c, am, mn, mx, &g, &err), C8_OK);
    CU_ASSERT_TRUE(same_hist(g, h));
    c8_hist_destroy(g);
    /* each consistency rule */
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, e + 1, c, am, mn, mx, &g, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is not the range for absmax"));
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, e, c, am * 0.5f, mn, mx, &g, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does not match min"));
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, e, c, am, mn, mx, &g, &err), C8_OK);
    c8_hist_destroy(g);
    uint64_t *c2 = malloc(sizeof(uint64_t) * NBINS_INV);
    memcpy(c2, c, sizeof(uint64_t) * NBINS_INV);
    c2[NBINS_INV - 1] += 1; /* a count above absmax's bin */
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, e, c2, am, mn, mx, &g, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "last non-empty bin"));
    memset(c2, 0, sizeof(uint64_t) * NBINS_INV);
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, e, c2, am, mn, mx, &g, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty histogram"));
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, C8_HIST_EXP_MIN, c2, 0, 0, 0, &g, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_hist_count(g), 0);
    c8_hist_destroy(g);
    CU_ASSERT_EQUAL(c8_hist_create_from(NBINS_INV, e, c, NAN, mn, mx, &g, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_hist_create_from(127, e, c, am, mn, mx, &g, &err), C8_ERR_INVALID);
    free(c2);
    c8_hist_destroy(h);
    free(img);
}

/* Sweep of batch lengths off every vector width, against the integer reference. */
static void test_lengths_sweep(void) {
    c8_error err = {0};
    const size_t lens[] = {1, 3, 7, 31, 33, 127, 129, 1000};
    c8t_rng r = {99};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        float *v = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) v[i] = c8t_uniform(&r, -3.0f, 3.0f);
        c8_hist *h;
        CU_ASSERT_EQUAL_FATAL(c8_hist_create(300, &h, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_hist_add(h, v, n, "x", 0, &err), C8_OK);
        uint64_t want[300];
        ref_hist(v, n, 300, c8_hist_range_exp(h), want);
        CU_ASSERT_EQUAL(memcmp(want, c8_hist_counts(h), sizeof want), 0);
        c8_hist_destroy(h);
        free(v);
    }
}

/* The binning's fast paths against the integer reference (quant/hist_rule.c): tensors long
 * enough for the four sub-histograms, with a power-of-two bin count (float bin indices) and
 * 300 bins (float64 indices), at ranges where the float scale is normal (2^-100, 2^100) and
 * where it is not (2^-139: the float64 path), with many repeated values (zeros, one value
 * repeated in a run: the store chains the sub-histograms split) and subnormals mixed in. */
static void test_fast_paths(void) {
    c8_error err = {0};
    const int64_t bins[] = {2048, 300, 4096};
    const int scales[] = {0, -100, 100, -139};
    c8t_rng r = {7};
    const size_t n = 200003; /* >= 32 * nbins for each count, and off the block length */
    float *v = malloc(sizeof(float) * n);
    uint64_t *want = malloc(sizeof(uint64_t) * 4096);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    for (size_t bi = 0; bi < sizeof bins / sizeof bins[0]; bi++)
        for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++) {
            for (size_t i = 0; i < n; i++) {
                float x = c8t_uniform(&r, -1.0f, 1.0f);
                if (i % 3 == 0) x = 0.0f;                /* a ReLU's zeros */
                if (i % 1000 < 40) x = 0.75f;            /* a run of one value */
                if (i % 97 == 0) x = ldexpf(1.0f, -149); /* the least subnormal */
                v[i] = scales[si] == -139 && x != 0.0f && fabsf(x) > 0x1p-140f
                           ? ldexpf(x, -140)
                           : ldexpf(x, scales[si]);
            }
            c8_hist *h;
            CU_ASSERT_EQUAL_FATAL(c8_hist_create(bins[bi], &h, &err), C8_OK);
            CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, v, n, "x", 0, &err), C8_OK);
            ref_hist(v, n, bins[bi], c8_hist_range_exp(h), want);
            CU_ASSERT_EQUAL(memcmp(want, c8_hist_counts(h), sizeof(uint64_t) * (size_t)bins[bi]),
                            0);
            c8_hist_destroy(h);
        }
    free(v);
    free(want);
}

/* The host binning of a CPU context split over 1, 2, 3 and 4 threads (engine/inspect.c) gives
 * the reference's counts, absmax, min and max exactly; a NaN late in the tensor is named at the
 * same element whatever the count. The tensor (~1.2M values, mixed scales, signs and zeros) is
 * large enough for every count to split it. */
static void test_threaded_binning(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(C8_SOURCE_DIR "/models/fmnist_cnn.onnx", NULL, &m, &err),
                          C8_OK);
    c8_build_options bo;
    c8_build_options_init(&bo);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, &bo, &e, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    const size_t n = 1200007;
    float *v = malloc(sizeof(float) * n);
    c8t_rng r = {4242};
    for (size_t i = 0; i < n; i++) {
        float x = c8t_uniform(&r, -1.0f, 1.0f) * ldexpf(1.0f, (int)(i % 11) - 5);
        v[i] = i % 97 == 0 ? 0.0f : x;
    }
    v[n - 5] = -37.25f; /* the extremes near the end: the last chunk holds them */
    v[n - 3] = 36.5f;
    uint64_t *want = malloc(sizeof(uint64_t) * 2048);
    ref_hist(v, n, 2048, 6, want); /* absmax 37.25 < 2^6 */
    c8_host_tensor t = {"act", C8_DT_FLOAT, {2, {1, (int64_t)n}}, v};
    for (int th = 1; th <= 4; th++) {
        c8_context_set_threads(ctx, th);
        CU_ASSERT_EQUAL(c8_context_threads(ctx), th);
        c8_hist *h;
        CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_hist_add_observed(ctx, &t, h, 0, &err), C8_OK);
        bool same = !memcmp(want, c8_hist_counts(h), sizeof(uint64_t) * 2048);
        if (!same) printf("\n  %d threads: the counts differ from the reference\n", th);
        CU_ASSERT_TRUE(same);
        CU_ASSERT_EQUAL(c8_hist_range_exp(h), 6);
        CU_ASSERT_EQUAL(c8_hist_absmax(h), 37.25f);
        CU_ASSERT_EQUAL(c8_hist_min(h), -37.25f);
        CU_ASSERT_EQUAL(c8_hist_max(h), 36.5f);
        CU_ASSERT_EQUAL(c8_hist_count(h), n);
        v[n - 100] = NAN;
        CU_ASSERT_EQUAL(c8_hist_add_observed(ctx, &t, h, 3, &err), C8_ERR_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tensor 'act': batch 3: NaN at element 1199907 "
                                               "of 1200007"));
        v[n - 100] = 0.5f * v[n - 101];
        c8_hist_destroy(h);
        ref_hist(v, n, 2048, 6, want);
    }
    free(want);
    free(v);
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

static const c8_test_case cases[] = {
    {"create_validation", test_create_validation},
    {"binning_by_hand", test_binning_by_hand},
    {"zero_and_subnormal", test_zero_and_subnormal},
    {"nonfinite", test_nonfinite},
    {"invariance", test_invariance},
    {"merge", test_merge},
    {"create_from", test_create_from},
    {"lengths_sweep", test_lengths_sweep},
    {"threaded_binning", test_threaded_binning},
    {"fast_paths", test_fast_paths},
};
C8T_MAIN("calib_hist", cases)
