/* The tiny classifier's test data, shared by the reports suites: a seeded random 8x8 labeled
 * HDF5 set (<prefix>tiny.h5) and a min-max calibration of tests/reports/data/tiny_cls.onnx on it
 * (<prefix>tiny.cache + sidecar, histograms in <prefix>tiny_hist.h5). */
#ifndef C8_TESTS_REPORTS_TINY_SETUP_H
#define C8_TESTS_REPORTS_TINY_SETUP_H

#include "c8test.h"

#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/report.h"
#include "datasets/h5.h"

#define TINY C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx"
#define N_IMAGES 160
#define TINY_SEED 20240611u

static bool g_tiny_ready;

static c8_status make_pre(c8_preprocess *p, c8_error *err) {
    c8_preprocess_init(p);
    return c8_preprocess_set(p, "scale", "1/255", NULL, err);
}

static c8_status open_ds(const char *path, c8_dataset **ds, c8_error *err) {
    c8_dataset_spec spec;
    c8_dataset_spec_init(&spec);
    spec.path = path;
    spec.shuffle = false;
    return c8_dataset_open(&spec, ds, err);
}

/* The data set: seeded random 8x8 images; labels = the FP32 model's prediction, except every
 * 8th image whose label is shifted (so FP32 is not 100% right and flips go both ways). */
static void tiny_setup(const char *prefix) {
    if (g_tiny_ready) return;
    char h5[1024], cache[1024], hist[1024];
    snprintf(h5, sizeof h5, "%stiny.h5", prefix);
    snprintf(cache, sizeof cache, "%stiny.cache", prefix);
    snprintf(hist, sizeof hist, "%stiny_hist.h5", prefix);
    c8t_rng rng = {TINY_SEED};
    static uint8_t img[N_IMAGES * 64];
    int64_t labels[N_IMAGES];
    float x[N_IMAGES * 64];
    for (int i = 0; i < N_IMAGES * 64; i++) {
        img[i] = (uint8_t)c8t_randint(&rng, 0, 255);
        x[i] = (float)img[i] * (float)(1.0 / 255);
    }
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(TINY, NULL, &m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, NULL, &e, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {N_IMAGES, 1, 8, 8}}, x};
    CU_ASSERT_EQUAL_FATAL(c8_context_run(ctx, &in, 1, &err), C8_OK);
    c8_host_tensor out;
    CU_ASSERT_EQUAL_FATAL(c8_context_output(ctx, 0, &out, &err), C8_OK);
    for (int i = 0; i < N_IMAGES; i++) {
        labels[i] = c8_report_argmax((const float *)out.data + 6 * i, 6);
        if (i % 8 == 7) labels[i] = (labels[i] + 1) % 6;
    }
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    CU_ASSERT_EQUAL_FATAL(c8_h5_write_images(h5, img, N_IMAGES, 8, 8, 1, labels, &err), C8_OK);
    /* min-max calibration over all images (calib/'s loop, as calib8 calibrate runs it) */
    c8_dataset *ds = NULL;
    c8_loader *ld = NULL;
    c8_preprocess pre;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    CU_ASSERT_EQUAL_FATAL(make_pre(&pre, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(open_ds(h5, &ds, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &pre, 1, 8, 8, &lo, &ld, &err), C8_OK);
    c8_calibrate_opts co;
    c8_calibrate_opts_init(&co);
    co.algo = "minmax";
    co.progress = C8_PROGRESS_QUIET;
    co.preprocessing_json = "\"scale=1/255\"";
    co.histograms_path = hist;
    c8_calibrate_result res;
    c8_status s = c8_calibrate(m, ds, ld, lo.batch, &co, cache, &res, &err);
    if (s) printf("\n  calibrate: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    c8_loader_destroy(ld);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
    g_tiny_ready = true;
}

#endif
