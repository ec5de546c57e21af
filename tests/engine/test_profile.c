/* Optimization profiles (issue 19 part 1; engine/profile.c, c8_model_set_input_profile): an
 * engine built for a batch range runs at batch 1, the optimum, the maximum and a partial batch
 * with outputs bit-identical to engines built for each of those fixed shapes (the reference
 * kernels, cpu-ref, and the fast CPU backend, cpu), keeps that through its plan, plans its
 * activation memory for the maximum, and refuses shapes outside the profile naming both. The
 * PaddleOCR detector (../shared, skipped when absent) does the same with a range of H and W. */
#include "c8test.h"

#include "calib8/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FMNIST C8_SOURCE_DIR "/models/fmnist_cnn.onnx"
#define DET C8_SHARED_DIR "/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx"
#define OUT C8_BINARY_DIR "/test_profile_"

static c8_shape shape4(int64_t n, int64_t c, int64_t h, int64_t w) {
    c8_shape s = {4, {n, c, h, w}};
    return s;
}

/* An engine of `path` with input 0 pinned to `fixed` (rank 0: a profile min/opt/max instead). */
static c8_engine *build(const char *path, c8_device dev, const c8_shape *fixed, const c8_shape *min,
                        const c8_shape *opt, const c8_shape *max) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(path, NULL, &m, &err), C8_OK);
    c8_status s = fixed->rank ? c8_model_set_input_shape(m, NULL, fixed, &err)
                              : c8_model_set_input_profile(m, NULL, min, opt, max, &err);
    if (s) printf("\n  shape: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    o.device = dev;
    c8_engine *e = NULL;
    s = c8_engine_build(m, &o, &e, &err);
    if (s) printf("\n  build: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    c8_model_destroy(m);
    return e;
}

/* Runs ctx on x of shape sh; returns a malloc'd copy of output 0 and its element count. */
static float *run(c8_context *ctx, const float *x, c8_shape sh, size_t *n, c8_status want,
                  char *msg) {
    c8_error err = {0};
    c8_host_tensor in = {NULL, C8_DT_FLOAT, sh, (void *)x};
    c8_status s = c8_context_run(ctx, &in, 1, &err);
    if (msg) snprintf(msg, C8_ERROR_MSG_MAX, "%s", err.msg);
    if (s != want) printf("\n  run: status %d, want %d: %s", s, want, err.msg);
    CU_ASSERT_EQUAL_FATAL(s, want);
    if (s != C8_OK) return NULL;
    c8_host_tensor out;
    CU_ASSERT_EQUAL_FATAL(c8_context_output(ctx, 0, &out, &err), C8_OK);
    *n = (size_t)c8_shape_numel(&out.shape);
    float *y = malloc(*n * sizeof *y + 1);
    memcpy(y, out.data, *n * sizeof *y);
    return y;
}

static float *run_fresh(c8_engine *e, const float *x, c8_shape sh, size_t *n) {
    c8_error err = {0};
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    float *y = run(ctx, x, sh, n, C8_OK, NULL);
    c8_context_destroy(ctx);
    return y;
}

/* The first element where a and b differ (bit patterns), -1 if none. */
static long first_diff(const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a)) return (long)i;
    return -1;
}

static void batch_profile_on(c8_device dev) {
    const int64_t sizes[] = {1, 4, 8, 3}; /* min, opt, max, a partial last batch */
    c8_shape none = {0}, lo = shape4(1, 1, 28, 28), opt = shape4(4, 1, 28, 28),
             hi = shape4(8, 1, 28, 28);
    c8_engine *dyn = build(FMNIST, dev, &none, &lo, &opt, &hi);
    c8_error err = {0};
    /* through its plan: the profile is stored and comes back */
    char plan[256];
    snprintf(plan, sizeof plan, OUT "%s.plan", c8_device_name(dev));
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(dyn, plan, &err), C8_OK);
    c8_engine *loaded = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_engine_load(plan, &loaded, &err), C8_OK);
    c8_shape a, b, c;
    CU_ASSERT_FATAL(c8_engine_input_profile(loaded, 0, &a, &b, &c));
    CU_ASSERT(a.d[0] == 1 && b.d[0] == 4 && c.d[0] == 8 && a.d[2] == 28 && c.d[3] == 28);
    /* Fashion-MNIST-like inputs: seeded, printed on failure by c8t_rng */
    float x[8 * 784];
    c8t_rng r = {1919};
    for (int i = 0; i < 8 * 784; i++) x[i] = c8t_uniform(&r, -0.8f, 2.0f);
    c8_context *ctx = NULL, *lctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_context_create(dyn, &ctx, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(loaded, &lctx, &err), C8_OK);
    c8_engine *one = build(FMNIST, dev, &(c8_shape){4, {1, 1, 28, 28}}, NULL, NULL, NULL);
    uint64_t mem_first = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int64_t n = sizes[k];
        c8_shape sh = shape4(n, 1, 28, 28);
        c8_engine *fixed = build(FMNIST, dev, &sh, NULL, NULL, NULL);
        size_t nd = 0, nf = 0, nl = 0;
        float *yd = run(ctx, x, sh, &nd, C8_OK, NULL);
        float *yl = run(lctx, x, sh, &nl, C8_OK, NULL);
        float *yf = run_fresh(fixed, x, sh, &nf);
        CU_ASSERT_EQUAL_FATAL(nd, (size_t)n * 10);
        CU_ASSERT_EQUAL_FATAL(nf, nd);
        CU_ASSERT_EQUAL_FATAL(nl, nd);
        long d = first_diff(yd, yf, nd);
        if (d >= 0)
            printf("\n  %s batch %lld: dynamic %a, fixed %a at %ld", c8_device_name(dev),
                   (long long)n, (double)yd[d], (double)yf[d], d);
        CU_ASSERT_EQUAL(d, -1);
        CU_ASSERT_EQUAL(first_diff(yl, yd, nd), -1);
        /* the reference kernels compute each sample alone: also equal to batch-1 runs */
        for (int64_t i = 0; dev == C8_DEVICE_CPU_REF && i < n; i++) {
            size_t n1 = 0;
            float *y1 = run_fresh(one, x + i * 784, shape4(1, 1, 28, 28), &n1);
            CU_ASSERT_EQUAL(first_diff(y1, yd + i * 10, 10), -1);
            free(y1);
        }
        /* memory planned for the maximum: the same arena for every shape of the profile */
        if (k == 0) mem_first = c8_context_memory(ctx);
        CU_ASSERT_EQUAL(c8_context_memory(ctx), mem_first);
        free(yd);
        free(yl);
        free(yf);
        c8_engine_destroy(fixed);
    }
    c8_context *big = NULL;
    c8_engine *fixed8 = build(FMNIST, dev, &hi, NULL, NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(c8_context_create(fixed8, &big, &err), C8_OK);
    size_t n8 = 0;
    free(run(big, x, hi, &n8, C8_OK, NULL));
    CU_ASSERT(mem_first >= c8_context_memory(big)); /* at least the batch-8 plan's memory */
    c8_context_destroy(big);
    c8_engine_destroy(fixed8);
    /* outside the profile: refused, naming both */
    char msg[C8_ERROR_MSG_MAX];
    float *x9 = calloc(9 * 784, sizeof *x9);
    size_t nn;
    run(ctx, x9, shape4(9, 1, 28, 28), &nn, C8_ERR_SHAPE, msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "input 'input' has shape 9x1x28x28, outside the profile "
                                       "1..4..8x1x28x28 (extent 0: 9 is above 8)"));
    run(lctx, x9, shape4(2, 1, 28, 29), &nn, C8_ERR_SHAPE, msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "expects")); /* a fixed extent: the model's own check */
    free(x9);
    c8_context_destroy(ctx);
    c8_context_destroy(lctx);
    c8_engine_destroy(one);
    c8_engine_destroy(loaded);
    c8_engine_destroy(dyn);
}

static void test_batch_profile_cpu_ref(void) { batch_profile_on(C8_DEVICE_CPU_REF); }
static void test_batch_profile_cpu(void) { batch_profile_on(C8_DEVICE_CPU); }

/* Profiles the model cannot have are refused with the reason, and change nothing. */
static void test_profile_errors(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(FMNIST, NULL, &m, &err), C8_OK);
    const struct {
        c8_shape min, opt, max;
        const char *phrase;
    } bad[] = {
        {shape4(4, 1, 28, 28), shape4(2, 1, 28, 28), shape4(8, 1, 28, 28), "0 < min <= opt <= max"},
        {shape4(0, 1, 28, 28), shape4(2, 1, 28, 28), shape4(8, 1, 28, 28), "0 < min <= opt <= max"},
        {shape4(1, 1, 28, 28), shape4(1, 2, 28, 28), shape4(1, 3, 28, 28),
         "extent 1 is fixed at 1 in the model"},
        {{3, {1, 1, 28}},
         {3, {1, 1, 28}},
         {3, {2, 1, 28}},
         "the profile has rank 3, the input rank 4"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        c8_status s =
            c8_model_set_input_profile(m, "input", &bad[k].min, &bad[k].opt, &bad[k].max, &err);
        CU_ASSERT_EQUAL(s, C8_ERR_SHAPE);
        if (!strstr(err.msg, bad[k].phrase)) printf("\n  case %zu: %s", k, err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[k].phrase));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "input 'input'"));
        CU_ASSERT_FALSE(c8_model_input_profile(m, 0, NULL, NULL, NULL));
    }
    c8_shape lo = shape4(1, 1, 28, 28), hi = shape4(8, 1, 28, 28);
    CU_ASSERT_EQUAL(c8_model_set_input_profile(m, "nope", &lo, &hi, &hi, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(c8_model_set_input_profile(m, NULL, &lo, &hi, &hi, &err), C8_OK);
    CU_ASSERT_TRUE(c8_model_input_profile(m, 0, NULL, NULL, NULL));
    /* a pinned shape replaces the profile */
    CU_ASSERT_EQUAL(c8_model_set_input_shape(m, NULL, &hi, &err), C8_OK);
    CU_ASSERT_FALSE(c8_model_input_profile(m, 0, NULL, NULL, NULL));
    c8_model_destroy(m);
}

/* The PaddleOCR detector (dynamic N, H, W; H and W multiples of 32) with a range of H and W:
 * one engine runs 64x96, the optimum 96x96 and 128x128 with outputs equal to fixed-shape
 * engines' (the fast CPU backend). */
static void test_paddleocr_det_hw_range(void) {
    FILE *f = fopen(DET, "rb");
    if (!f) {
        C8_SKIP("%s not found (../shared fixtures absent)", DET);
        return;
    }
    fclose(f);
    c8_shape none = {0}, lo = shape4(1, 3, 64, 64), opt = shape4(1, 3, 96, 96),
             hi = shape4(1, 3, 128, 128);
    c8_engine *dyn = build(DET, C8_DEVICE_CPU, &none, &lo, &opt, &hi);
    c8_error err = {0};
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_context_create(dyn, &ctx, &err), C8_OK);
    const int64_t hw[][2] = {{64, 96}, {96, 96}, {128, 128}, {128, 64}};
    float *x = malloc(3 * 128 * 128 * sizeof *x);
    c8t_rng r = {4242};
    for (int i = 0; i < 3 * 128 * 128; i++) x[i] = c8t_uniform(&r, -2.0f, 2.0f);
    for (size_t k = 0; k < sizeof hw / sizeof hw[0]; k++) {
        c8_shape sh = shape4(1, 3, hw[k][0], hw[k][1]);
        c8_engine *fixed = build(DET, C8_DEVICE_CPU, &sh, NULL, NULL, NULL);
        size_t nd = 0, nf = 0;
        float *yd = run(ctx, x, sh, &nd, C8_OK, NULL);
        float *yf = run_fresh(fixed, x, sh, &nf);
        CU_ASSERT_EQUAL_FATAL(nd, (size_t)(hw[k][0] * hw[k][1]));
        CU_ASSERT_EQUAL_FATAL(nf, nd);
        long d = first_diff(yd, yf, nd);
        if (d >= 0)
            printf("\n  %lldx%lld: dynamic %a, fixed %a at %ld", (long long)hw[k][0],
                   (long long)hw[k][1], (double)yd[d], (double)yf[d], d);
        CU_ASSERT_EQUAL(d, -1);
        free(yd);
        free(yf);
        c8_engine_destroy(fixed);
    }
    char msg[C8_ERROR_MSG_MAX];
    size_t nn;
    float *xb = calloc(3 * 160 * 96, sizeof *xb);
    run(ctx, xb, shape4(1, 3, 160, 96), &nn, C8_ERR_SHAPE, msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "outside the profile 1x3x64..96..128x64..96..128"));
    free(xb);
    free(x);
    c8_context_destroy(ctx);
    c8_engine_destroy(dyn);
}

static const c8_test_case cases[] = {
    {"batch_profile_cpu_ref", test_batch_profile_cpu_ref},
    {"batch_profile_cpu", test_batch_profile_cpu},
    {"profile_errors", test_profile_errors},
    {"paddleocr_det_hw_range", test_paddleocr_det_hw_range},
};

C8T_MAIN("engine_profile", cases)
