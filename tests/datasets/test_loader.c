/* Loader tests: batch sizes 1, 7, 32, 100, 150 give the same concatenated output as
 * preprocessing each image on its own; partial last batches; manifest ranges; destroy at any
 * point (run under ASan for leaks); errors surfacing in order with the file name; skip_bad;
 * ranged loaders (images of several sizes: batches split where the size changes); and the
 * progress reporter's three modes. */
#include "dtest.h"

#include <math.h>
#include <time.h>

#define N_IMAGES 100
#define IH 6
#define IW 5

static uint8_t g_px[N_IMAGES][IH][IW][3];

/* An HDF5 source of N_IMAGES random 6x5 RGB images, labels i % 4. */
static const char *make_h5(void) {
    const char *r = dt_scratch("loader");
    const char *f = dt_path(r, "x.h5");
    c8t_rng rng = {77};
    for (size_t i = 0; i < sizeof g_px; i++) ((uint8_t *)g_px)[i] = (uint8_t)c8t_next(&rng);
    int64_t lab[N_IMAGES];
    for (int i = 0; i < N_IMAGES; i++) lab[i] = i % 4;
    hsize_t d[4] = {N_IMAGES, IH, IW, 3}, dl[1] = {N_IMAGES};
    CU_ASSERT_TRUE(dt_h5_put(f, "/images", H5T_NATIVE_UINT8, H5T_STD_U8LE, 4, d, g_px));
    CU_ASSERT_TRUE(dt_h5_put(f, "/labels", H5T_NATIVE_INT64, H5T_STD_I64LE, 1, dl, lab));
    return f;
}

static void test_batches_equal_reference(void) {
    const char *f = make_h5();
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = f;
    sp.seed = 5;
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    c8_preprocess p;
    c8_preprocess_init(&p);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "4x4", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "scale", "1/255", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "mean", "0.5", NULL, &err), C8_OK);
    const int64_t C = 3, H = 4, W = 4, chw = C * H * W;
    /* reference: each selected image preprocessed alone through the public API */
    float *ref = malloc(sizeof(float) * N_IMAGES * (size_t)chw);
    for (int64_t i = 0; i < N_IMAGES; i++) {
        int64_t src = strtoll(c8_dataset_name(ds, i) + 8, NULL, 10); /* "/images[k]" */
        c8_image img = {IH, IW, 3, &g_px[src][0][0][0]};
        CU_ASSERT_EQUAL_FATAL(c8_preprocess_apply(&p, &img, "ref", C, H, W, ref + i * chw, &err),
                              C8_OK);
    }
    const int64_t sizes[] = {1, 7, 32, 100, 150};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        c8_loader_opts o;
        c8_loader_opts_init(&o);
        o.batch = sizes[k];
        o.prefetch = 1 + (int)k % 3;
        c8_loader *l;
        CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &p, C, H, W, &o, &l, &err), C8_OK);
        int64_t got = 0, nb = 0, bad = 0;
        const c8_batch *b;
        while (c8_loader_next(l, &b, &err) == C8_OK && b) {
            int64_t want = N_IMAGES - got < o.batch ? N_IMAGES - got : o.batch;
            CU_ASSERT_EQUAL(b->n, want); /* full batches, then the partial last one */
            CU_ASSERT_TRUE(b->c == C && b->h == H && b->w == W);
            for (int64_t i = 0; i < b->n; i++) {
                CU_ASSERT_EQUAL(b->ids[i], got + i);
                CU_ASSERT_EQUAL(b->labels[i], c8_dataset_label(ds, got + i));
            }
            if (memcmp(b->data, ref + got * chw, sizeof(float) * (size_t)(b->n * chw))) bad++;
            got += b->n;
            nb++;
        }
        CU_ASSERT_EQUAL(err.code, C8_OK);
        CU_ASSERT_EQUAL(got, N_IMAGES);
        CU_ASSERT_EQUAL(nb, (N_IMAGES + o.batch - 1) / o.batch);
        CU_ASSERT_EQUAL(bad, 0);
        /* after the end: NULL again, no error */
        CU_ASSERT_EQUAL(c8_loader_next(l, &b, &err), C8_OK);
        CU_ASSERT_PTR_NULL(b);
        CU_ASSERT_EQUAL(c8_loader_num_skipped(l), 0);
        CU_ASSERT_TRUE(c8_loader_work_seconds(l) >= 0 && c8_loader_wait_seconds(l) >= 0);
        c8_loader_destroy(l);
    }
    /* a range of the manifest */
    c8_loader_opts o;
    c8_loader_opts_init(&o);
    o.batch = 8;
    o.first = 10;
    o.count = 25;
    c8_loader *l;
    CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &p, C, H, W, &o, &l, &err), C8_OK);
    const c8_batch *b;
    int64_t next = 10;
    while (c8_loader_next(l, &b, &err) == C8_OK && b) {
        for (int64_t i = 0; i < b->n; i++) CU_ASSERT_EQUAL(b->ids[i], next + i);
        CU_ASSERT_EQUAL(memcmp(b->data, ref + next * chw, sizeof(float) * (size_t)(b->n * chw)), 0);
        next += b->n;
    }
    CU_ASSERT_EQUAL(next, 35);
    c8_loader_destroy(l);
    o.count = 95;
    CU_ASSERT_EQUAL(c8_loader_create(ds, &p, C, H, W, &o, &l, &err), C8_ERR_INVALID);
    /* settings that cannot fit are refused up front */
    CU_ASSERT_EQUAL(c8_loader_create(ds, &p, 2, H, W, NULL, &l, &err), C8_ERR_UNSUPPORTED);
    CU_ASSERT_EQUAL(c8_loader_create(ds, &p, 3, 5, 4, NULL, &l, &err), C8_ERR_SHAPE);
    c8_loader_opts_init(&o);
    o.batch = 0;
    CU_ASSERT_EQUAL(c8_loader_create(ds, &p, C, H, W, &o, &l, &err), C8_ERR_INVALID);
    free(ref);
    c8_dataset_destroy(ds);
}

static void test_destroy_anytime(void) {
    const char *f = make_h5();
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = f;
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    c8_preprocess p;
    c8_preprocess_init(&p);
    for (int it = 0; it < 60; it++) {
        c8_loader_opts o;
        c8_loader_opts_init(&o);
        o.batch = 1 + it % 9;
        o.prefetch = 1 + it % 4;
        c8_loader *l;
        CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &p, 3, IH, IW, &o, &l, &err), C8_OK);
        const c8_batch *b;
        for (int k = 0; k < it % 6; k++) CU_ASSERT_EQUAL(c8_loader_next(l, &b, &err), C8_OK);
        if (it % 7 == 3) { /* let the thread fill the queue and block */
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        c8_loader_destroy(l);
    }
    c8_loader_destroy(NULL);
    c8_dataset_destroy(ds);
}

/* A flat folder of 10 PNGs (value = index); image 5 is `bad` (truncated, or another size). */
static const char *make_folder(const char *name, int bad_kind) {
    const char *r = dt_scratch(name);
    for (int i = 0; i < 10; i++) {
        int w = (i == 5 && bad_kind == 2) ? 3 : 2;
        unsigned char px[3 * 2];
        memset(px, i * 10, sizeof px);
        size_t len;
        unsigned char *png =
            dt_png(w, 2, PNG_COLOR_TYPE_GRAY, 8, 0, px, (size_t)w, NULL, 0, NULL, 0, &len);
        if (i == 5 && bad_kind == 1) len /= 2;
        char fn[32];
        snprintf(fn, sizeof fn, "img%02d.png", i);
        CU_ASSERT_TRUE(dt_write(dt_path(r, fn), png, len));
        free(png);
    }
    return r;
}

static void test_errors_in_order(void) {
    for (int kind = 1; kind <= 2; kind++) {
        const char *r = make_folder(kind == 1 ? "loader-trunc" : "loader-size", kind);
        c8_dataset_spec sp;
        c8_dataset_spec_init(&sp);
        sp.path = r;
        sp.shuffle = false;
        c8_dataset *ds;
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
        c8_preprocess p;
        c8_preprocess_init(&p);
        c8_loader_opts o;
        c8_loader_opts_init(&o);
        o.batch = 2;
        c8_loader *l;
        CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &p, 1, 2, 2, &o, &l, &err), C8_OK);
        const c8_batch *b;
        /* batches [0,1] and [2,3] arrive; the one holding image 5 is the error */
        CU_ASSERT_EQUAL(c8_loader_next(l, &b, &err), C8_OK);
        CU_ASSERT_TRUE(b && b->n == 2 && b->ids[0] == 0 && b->data[0] == 0.0f);
        CU_ASSERT_EQUAL(c8_loader_next(l, &b, &err), C8_OK);
        CU_ASSERT_TRUE(b && b->n == 2 && b->ids[1] == 3 && b->data[4] == 30.0f);
        c8_status s = c8_loader_next(l, &b, &err);
        CU_ASSERT_EQUAL(s, kind == 1 ? C8_ERR_PARSE : C8_ERR_SHAPE);
        CU_ASSERT_PTR_NULL(b);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "img05.png"));
        c8_error again = {0};
        CU_ASSERT_EQUAL(c8_loader_next(l, &b, &again), s); /* sticky */
        CU_ASSERT_STRING_EQUAL(again.msg, err.msg);
        c8_loader_destroy(l);

        /* skip_bad: 9 images in 5 batches, image 5 recorded with its message */
        o.skip_bad = true;
        memset(&err, 0, sizeof err);
        CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &p, 1, 2, 2, &o, &l, &err), C8_OK);
        int64_t ids[10], n = 0, nb = 0;
        while (c8_loader_next(l, &b, &err) == C8_OK && b) {
            for (int64_t i = 0; i < b->n; i++) {
                ids[n] = b->ids[i];
                CU_ASSERT_EQUAL(b->data[i * 4], (float)(b->ids[i] * 10));
                n++;
            }
            nb++;
        }
        CU_ASSERT_EQUAL(err.code, C8_OK);
        CU_ASSERT_EQUAL(n, 9);
        CU_ASSERT_EQUAL(nb, 5);
        CU_ASSERT_TRUE(ids[4] == 4 && ids[5] == 6);
        CU_ASSERT_EQUAL(c8_loader_num_skipped(l), 1);
        int64_t id = -1;
        const char *m = c8_loader_skipped(l, 0, &id);
        CU_ASSERT_EQUAL(id, 5);
        CU_ASSERT_PTR_NOT_NULL(m && strstr(m, "img05.png"));
        CU_ASSERT_PTR_NULL(c8_loader_skipped(l, 1, &id));
        c8_loader_destroy(l);
        c8_dataset_destroy(ds);
    }
}

/* Ranged loaders (dynamic H and W): a folder of RGB images of sizes (H x W) 5x7, 5x7, 9x4, 5x7,
 * 5x7, 5x7, 2x3, 9x4, 20x3, 9x4 (source order), preprocessed with long:8 and pad-to-multiple 4:
 * by hand 5x7 -> 8 x floor(8 * 5 / 7) = 5x8 ... (H x W) -> padded 8x8; 9x4 -> 8 x floor(32 / 9)
 * = 8x3 -> 8x4; 2x3 -> floor(16 / 3) = 5 x 8 -> 8x8; 20x3 -> 8x1 -> 8x4. So the padded sizes
 * are 8x8 8x8 8x4 8x8 8x8 8x8 8x8 8x4 8x4 8x4, and with batch 3 the batches, split where the
 * size changes or at 3 images, are [0 1] [2] [3 4 5] [6] [7 8 9]. Every image's data equals
 * c8_preprocess_apply at its own size; a range too small for 8x8 refuses image 0 naming it. */
static void test_ranged_batches(void) {
    static const int sz[10][2] = {{5, 7}, {5, 7}, {9, 4}, {5, 7},  {5, 7},
                                  {5, 7}, {2, 3}, {9, 4}, {20, 3}, {9, 4}};
    const char *r = dt_scratch("loader-ranged");
    c8t_rng rng = {5};
    static uint8_t px[10][20 * 7 * 3];
    for (int i = 0; i < 10; i++) {
        for (int k = 0; k < sz[i][0] * sz[i][1] * 3; k++) px[i][k] = (uint8_t)c8t_next(&rng);
        size_t len;
        unsigned char *png = dt_png(sz[i][1], sz[i][0], PNG_COLOR_TYPE_RGB, 8, 0, px[i],
                                    (size_t)sz[i][1] * 3, NULL, 0, NULL, 0, &len);
        char fn[32];
        snprintf(fn, sizeof fn, "img%02d.png", i);
        CU_ASSERT_TRUE(dt_write(dt_path(r, fn), png, len));
        free(png);
    }
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = r;
    sp.shuffle = false;
    c8_dataset *ds;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&sp, &ds, &err), C8_OK);
    c8_preprocess p;
    c8_preprocess_init(&p);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "resize", "long:8", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "pad-to-multiple", "4", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_preprocess_set(&p, "mean", "100", NULL, &err), C8_OK);
    const int64_t want_w[10] = {8, 8, 4, 8, 8, 8, 8, 4, 4, 4};
    const int64_t want_first[] = {0, 2, 3, 6, 7}, want_n[] = {2, 1, 3, 1, 3};
    for (int pf = 1; pf <= 3; pf += 2) {
        c8_loader_opts o;
        c8_loader_opts_init(&o);
        o.batch = 3;
        o.prefetch = pf;
        c8_loader *l;
        CU_ASSERT_EQUAL_FATAL(c8_loader_create_ranged(ds, &p, 3, 4, 8, 4, 8, &o, &l, &err), C8_OK);
        const c8_batch *b;
        int nb = 0, bad = 0;
        while (c8_loader_next(l, &b, &err) == C8_OK && b) {
            CU_ASSERT_FATAL(nb < 5);
            CU_ASSERT_EQUAL(b->n, want_n[nb]);
            CU_ASSERT_EQUAL(b->ids[0], want_first[nb]);
            CU_ASSERT_EQUAL(b->c, 3);
            CU_ASSERT_EQUAL(b->h, 8);
            CU_ASSERT_EQUAL(b->w, want_w[b->ids[0]]);
            for (int64_t i = 0; i < b->n; i++) {
                int64_t id = b->ids[i];
                CU_ASSERT_EQUAL(id, want_first[nb] + i);
                c8_image img = {sz[id][0], sz[id][1], 3, px[id]};
                float ref[3 * 8 * 8];
                CU_ASSERT_EQUAL_FATAL(
                    c8_preprocess_apply(&p, &img, "ref", 3, 8, want_w[id], ref, &err), C8_OK);
                size_t per = (size_t)(3 * 8 * want_w[id]);
                bad += memcmp(b->data + i * (int64_t)per, ref, per * sizeof(float)) != 0;
            }
            nb++;
        }
        CU_ASSERT_EQUAL(err.code, C8_OK);
        CU_ASSERT_EQUAL(nb, 5);
        CU_ASSERT_EQUAL(bad, 0);
        c8_loader_destroy(l);
    }
    /* W at most 6: image 0 (8x8) is outside, named with its size and the range */
    c8_loader *l;
    CU_ASSERT_EQUAL_FATAL(c8_loader_create_ranged(ds, &p, 3, 4, 8, 4, 6, NULL, &l, &err), C8_OK);
    const c8_batch *b;
    CU_ASSERT_EQUAL(c8_loader_next(l, &b, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "img00.png: image is 8x8 after preprocessing "
                                           "(decoded 5x7), outside the profile's H 4..8, W 4..6"));
    c8_loader_destroy(l);
    /* skip_bad: only the 8x4 images remain; the skipped ones end no batch: [2 7 8] [9] */
    c8_loader_opts o;
    c8_loader_opts_init(&o);
    o.batch = 3;
    o.skip_bad = true;
    CU_ASSERT_EQUAL_FATAL(c8_loader_create_ranged(ds, &p, 3, 4, 8, 4, 6, &o, &l, &err), C8_OK);
    int64_t got = 0, nb = 0;
    while (c8_loader_next(l, &b, &err) == C8_OK && b) {
        CU_ASSERT_EQUAL(b->w, 4);
        CU_ASSERT_EQUAL(b->ids[0], nb == 0 ? 2 : 9);
        CU_ASSERT_EQUAL(b->n, nb == 0 ? 3 : 1);
        got += b->n;
        nb++;
    }
    CU_ASSERT_EQUAL(got, 4);
    CU_ASSERT_EQUAL(nb, 2);
    CU_ASSERT_EQUAL(c8_loader_num_skipped(l), 6);
    c8_loader_destroy(l);
    /* a range without a minimum is refused up front */
    CU_ASSERT_EQUAL(c8_loader_create_ranged(ds, &p, 3, 0, 8, 4, 8, NULL, &l, &err), C8_ERR_SHAPE);
    c8_dataset_destroy(ds);
}

static char *slurp(FILE *f) {
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *s = calloc((size_t)n + 1, 1);
    if (n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = '\0';
    return s;
}

static void test_progress(void) {
    c8_error err = {0};
    c8_progress *p;
    FILE *f = tmpfile();
    CU_ASSERT_EQUAL_FATAL(
        c8_progress_create("calibrate", "img", 10, C8_PROGRESS_LINES, f, &p, &err), C8_OK);
    c8_progress_set_interval(p, 0);
    c8_progress_update(p, 3);
    c8_progress_update(p, 7);
    c8_progress_update(p, 10);
    c8_progress_finish(p);
    c8_progress_finish(p); /* idempotent */
    c8_progress_destroy(p);
    char *s = slurp(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "calibrate: 3/10 img (30%)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "calibrate: 7/10 img (70%)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "calibrate: 10/10 img in "));
    CU_ASSERT_PTR_NULL(strchr(s, '\r'));
    int lines = 0;
    for (char *q = s; *q; q++) lines += *q == '\n';
    CU_ASSERT_EQUAL(lines, 4);
    free(s);
    fclose(f);

    f = tmpfile();
    CU_ASSERT_EQUAL_FATAL(c8_progress_create("x", "img", 5, C8_PROGRESS_QUIET, f, &p, &err), C8_OK);
    c8_progress_update(p, 5);
    c8_progress_destroy(p);
    s = slurp(f);
    CU_ASSERT_STRING_EQUAL(s, "");
    free(s);
    fclose(f);

    f = tmpfile();
    CU_ASSERT_EQUAL_FATAL(c8_progress_create("eval", "img", 0, C8_PROGRESS_BAR, f, &p, &err),
                          C8_OK);
    c8_progress_set_interval(p, 0);
    c8_progress_update(p, 4);
    c8_progress_finish(p);
    c8_progress_destroy(p);
    s = slurp(f);
    CU_ASSERT_EQUAL(s[0], '\r');
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "eval "));
    CU_ASSERT_EQUAL(s[strlen(s) - 1], '\n');
    free(s);
    fclose(f);

    /* AUTO on a file (not a terminal) means lines; an unfinished bar only ends its line */
    f = tmpfile();
    CU_ASSERT_EQUAL_FATAL(c8_progress_create("a", "img", 2, C8_PROGRESS_AUTO, f, &p, &err), C8_OK);
    c8_progress_set_interval(p, 0);
    c8_progress_update(p, 1);
    c8_progress_destroy(p);
    s = slurp(f);
    CU_ASSERT_STRING_EQUAL(strstr(s, "a: 1/2 img (50%)") ? "ok" : s, "ok");
    free(s);
    fclose(f);
    c8_progress_destroy(NULL);
}

static const c8_test_case k_cases[] = {
    {"batches_equal_reference", test_batches_equal_reference},
    {"destroy_anytime", test_destroy_anytime},
    {"errors_in_order", test_errors_in_order},
    {"ranged_batches", test_ranged_batches},
    {"progress", test_progress},
};

C8T_MAIN("datasets_loader", k_cases)
