/* Several execution contexts on one engine, from several threads, give the same results as one
 * context on one thread: 4 threads x 50 runs at random batch sizes (1..7, a new shape every few
 * runs, so contexts re-specialize while others run), FP32 and INT8 engines of the test models
 * (and of the bundled CNN when models/fmnist_cnn.onnx is present), one thread with an observer.
 * Outputs must be bit-identical to the single-threaded reference: the same code on the same
 * inputs, so no tolerance. CI runs it normally and under ASan; docs/reliability.md tells how to
 * run it under ThreadSanitizer (-DC8_TSAN=ON). */
#include "c8test.h"

#include "calib8/calib.h"
#include "calib8/engine.h"

#include <pthread.h>

#define THREADS 4
#define RUNS 50
#define MAX_BATCH 7

typedef struct model_case {
    const char *path;
    c8_precision precision;
} model_case;

typedef struct shared {
    c8_engine *e;
    int64_t in_per_image;        /* input elements per image (C*H*W) */
    c8_shape in_shape;           /* with the batch extent set per run */
    int max_b;                   /* MAX_BATCH with a dynamic batch extent, else 1 */
    float *ref[MAX_BATCH + 1];   /* reference output per batch size (batch b: inputs seed b) */
    size_t ref_n[MAX_BATCH + 1]; /* elements */
} shared;

typedef struct worker {
    shared *sh;
    int id;
    int mismatches, errors;
    int64_t observed;
} worker;

/* Deterministic input for a batch size: values in [-1, 1) from a seed. */
static void fill_input(float *x, int64_t n, uint64_t seed) {
    c8t_rng r = {seed * 7919 + 1};
    for (int64_t i = 0; i < n; i++) x[i] = c8t_uniform(&r, -1.0f, 1.0f);
}

static c8_status count_obs(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    (void)name;
    (void)t;
    (void)err;
    ((worker *)user)->observed++;
    return C8_OK;
}

/* Runs batch b on ctx; returns a malloc'd copy of output 0 (NULL on error). */
static float *run_once(shared *sh, c8_context *ctx, int b, size_t *n_out, c8_error *err) {
    int64_t n = sh->in_per_image * b;
    float *x = malloc((size_t)n * sizeof *x);
    if (!x) return NULL;
    fill_input(x, n, (uint64_t)b);
    c8_host_tensor in = {NULL, C8_DT_FLOAT, sh->in_shape, x};
    in.shape.d[0] = b;
    float *y = NULL;
    c8_host_tensor out;
    if (c8_context_run(ctx, &in, 1, err) == C8_OK &&
        c8_context_output(ctx, 0, &out, err) == C8_OK) {
        *n_out = (size_t)c8_shape_numel(&out.shape);
        y = malloc(*n_out * sizeof *y);
        if (y) memcpy(y, out.data, *n_out * sizeof *y);
    }
    free(x);
    return y;
}

static void *work(void *arg) {
    worker *w = arg;
    c8_error err = {0};
    c8_context *ctx = NULL;
    if (c8_context_create(w->sh->e, &ctx, &err) != C8_OK) {
        w->errors++;
        return NULL;
    }
    if (w->id == 0 && c8_context_set_observer(ctx, count_obs, w, NULL, 0, &err) != C8_OK)
        w->errors++;
    c8t_rng r = {(uint64_t)w->id * 1000003u + 17};
    int b = 1;
    for (int k = 0; k < RUNS; k++) {
        if (k % 3 == 0) b = c8t_randint(&r, 1, w->sh->max_b); /* a few runs, then a new shape */
        size_t n = 0;
        float *y = run_once(w->sh, ctx, b, &n, &err);
        if (!y) {
            w->errors++;
            continue;
        }
        if (n != w->sh->ref_n[b] || memcmp(y, w->sh->ref[b], n * sizeof *y) != 0) w->mismatches++;
        free(y);
    }
    c8_context_destroy(ctx);
    return NULL;
}

/* A cache with the same scale for every calibration tensor (for an INT8 engine: the point is
 * to exercise the INT8 kernels from several threads, not accuracy). */
static void write_uniform_cache(const c8_model *m, const char *path) {
    const char *const *names;
    int n = c8_model_calibration_tensors(m, &names);
    c8_calib_cache *c;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_create(NULL, "EntropyCalibration2", &c, &err), C8_OK);
    for (int i = 0; i < n; i++)
        CU_ASSERT_EQUAL(c8_calib_cache_set(c, names[i], 0.02f, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_cache_write(c, path, &err), C8_OK);
    c8_calib_cache_destroy(c);
}

static void stress(const model_case *mc) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(mc->path, NULL, &m, &err), C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = mc->precision;
    char cache[512];
    c8_calib_cache *cc = NULL;
    c8_scale_source src;
    if (mc->precision == C8_PREC_INT8) {
        snprintf(cache, sizeof cache, "%s/test_concurrency.cache", C8_BINARY_DIR);
        write_uniform_cache(m, cache);
        CU_ASSERT_EQUAL_FATAL(c8_calib_cache_load_checked(cache, mc->path, &cc, &err), C8_OK);
        src = c8_calib_cache_scales(cc);
        o.scales = &src;
    }
    shared sh = {0};
    c8_status s = c8_engine_build(m, &o, &sh.e, &err);
    if (s) printf("\n  %s: %s", mc->path, err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    c8_calib_cache_destroy(cc);
    c8_model_destroy(m);
    c8_engine_input(sh.e, 0, NULL, NULL, &sh.in_shape);
    CU_ASSERT_EQUAL_FATAL(sh.in_shape.rank, 4);
    sh.in_per_image = 1;
    for (int d = 1; d < 4; d++) sh.in_per_image *= sh.in_shape.d[d];
    bool dynamic = sh.in_shape.d[0] < 0;
    if (!dynamic) CU_ASSERT_EQUAL_FATAL(sh.in_shape.d[0], 1);
    sh.max_b = dynamic ? MAX_BATCH : 1;
    /* the single-threaded reference: one context, each batch size once */
    c8_context *ref = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_context_create(sh.e, &ref, &err), C8_OK);
    for (int b = 1; b <= sh.max_b; b++) {
        sh.ref[b] = run_once(&sh, ref, b, &sh.ref_n[b], &err);
        if (!sh.ref[b]) printf("\n  %s: batch %d: %s", mc->path, b, err.msg);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sh.ref[b]);
    }
    c8_context_destroy(ref);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) w[i] = (worker){&sh, i, 0, 0, 0};
    for (int i = 0; i < THREADS; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, work, &w[i]), 0);
    int mism = 0, errs = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        mism += w[i].mismatches;
        errs += w[i].errors;
    }
    printf("\n  %s (%s, %s batch): %d threads x %d runs, %d mismatches, %d errors, %lld tensors "
           "observed",
           mc->path, c8_precision_name(mc->precision), dynamic ? "dynamic" : "fixed", THREADS, RUNS,
           mism, errs, (long long)w[0].observed);
    CU_ASSERT_EQUAL(mism, 0);
    CU_ASSERT_EQUAL(errs, 0);
    CU_ASSERT_TRUE(w[0].observed > 0);
    for (int b = 1; b <= sh.max_b; b++) free(sh.ref[b]);
    c8_engine_destroy(sh.e);
}

static void test_test_models(void) {
    static const model_case cases[] = {
        {C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx", C8_PREC_FP32},
        {C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx", C8_PREC_INT8},
        {C8_SOURCE_DIR "/tests/reports/data/tiny_cls.onnx", C8_PREC_FP16},
        {C8_SOURCE_DIR "/tests/engine/data/good_conv.onnx", C8_PREC_FP32},
        {C8_SOURCE_DIR "/tests/engine/data/good_conv.onnx", C8_PREC_INT8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) stress(&cases[i]);
}

static void test_bundled_cnn(void) {
    /* C8_MODELS_DIR overrides models/ (for a checkout without the bundled models) */
    char p[1024];
    const char *dir = getenv("C8_MODELS_DIR");
    snprintf(p, sizeof p, "%s/fmnist_cnn.onnx", dir ? dir : C8_SOURCE_DIR "/models");
    if (!c8t_exists(p)) C8_SKIP("%s not present", p);
    model_case a = {p, C8_PREC_FP32}, b = {p, C8_PREC_INT8};
    stress(&a);
    stress(&b);
}

static const c8_test_case k_cases[] = {
    {"test models, 4 threads", test_test_models},
    {"bundled CNN, 4 threads", test_bundled_cnn},
};

C8T_MAIN("reliability: concurrent contexts", k_cases)
