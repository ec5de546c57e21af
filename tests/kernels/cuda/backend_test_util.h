/* Helpers shared by the CUDA backend suites (tests/kernels/cuda/test_backend_*.c): the no-GPU skip
 * (exit 77), models from hand-built graphs (the builders of tests/kit/graph.h), engines on
 * the CPU and the GPU from one model, random inputs, calibration caches from the FP32 CPU engine,
 * and comparisons with the tolerances below.
 *
 * Comparison norm (as tests/kit/graph.h): per output, max_i |gpu_i - cpu_i| / max(max_i |cpu_i|,
 * 1e-6) (relative to the tensor's largest magnitude: per-element relative error is meaningless
 * where values cross zero). Integer outputs and "exact" comparisons must match bit for bit. */
#ifndef C8_TESTS_KERNELS_CUDA_BACKEND_TEST_UTIL_H
#define C8_TESTS_KERNELS_CUDA_BACKEND_TEST_UTIL_H

#include "kit/graph.h"

#include "calib8/calib.h"
#include "calib8/engine.h"
#include "engine/model_internal.h"
#include "util/fileio.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FP32 layers on the GPU run with TF32 off: cuDNN / cuBLAS / own kernels differ from the CPU
 * reference only in float32 summation order (a few ulps of the largest partial sums). */
#define BT_FP32_RTOL 1e-4
/* FP16 layers: both sides store binary16 (2^-11 relative) at every layer boundary, but the GPU
 * also rounds a convolution's output before its epilogue and accumulates in a different order;
 * over the handful of layers of these graphs that stays far below 1e-2, while a layout or
 * indexing error gives O(1). */
#define BT_FP16_RTOL 1e-2
/* Whole models in FP16 (dozens of layers; values grow through residual blocks). */
#define BT_FP16_MODEL_RTOL 5e-2

/* C8_BACKEND_TEST_DRYRUN=1 runs the suites with the CPU backend in place of the GPU: a check of
 * the suites themselves (graph building, comparisons) on machines without a GPU. */
static inline bool bt_dryrun(void) {
    const char *d = getenv("C8_BACKEND_TEST_DRYRUN");
    return d && !strcmp(d, "1");
}

/* The device under test. */
static inline c8_device bt_gpu(void) { return bt_dryrun() ? C8_DEVICE_CPU : C8_DEVICE_CUDA; }

static inline int bt_gpu_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
    return n;
}

/* main(): exit 77 (CTest: skipped) without a GPU. */
static inline int bt_main(const char *suite, const c8_test_case *cases, int n) {
    int g = bt_gpu_count();
    if (bt_dryrun()) {
        printf("%s: DRY RUN, the CPU backend stands in for the GPU\n", suite);
        return c8t_run_suite(suite, cases, n);
    }
    if (g < 1) {
        printf("SKIP: %s: no CUDA device\n", suite);
        return 77;
    }
    struct cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, 0) == cudaSuccess)
        printf("%s on %s (sm_%d%d, %d SMs)\n", suite, p.name, p.major, p.minor,
               p.multiProcessorCount);
    return c8t_run_suite(suite, cases, n);
}

#define BT_MAIN(suite, cases)                                                                      \
    int main(void) { return bt_main(suite, cases, (int)(sizeof(cases) / sizeof(cases[0]))); }

/* Prints err and fails the test on a status other than OK. */
#define BT_OK(expr, errp)                                                                          \
    do {                                                                                           \
        c8_status s_ = (expr);                                                                     \
        if (s_ != C8_OK) {                                                                         \
            printf("\n  %s:%d: %s -> %s: %s", __FILE__, __LINE__, #expr, c8_status_name(s_),       \
                   (errp)->msg);                                                                   \
            CU_FAIL("calib8 call failed");                                                         \
        }                                                                                          \
    } while (0)

/* A model from a hand-built graph (finalized and checked here; ownership of g passes). */
static inline c8_status bt_model(c8_graph *g, c8_model **m, c8_error *err) {
    *m = NULL;
    c8_status s = c8_graph_finalize(g, err);
    if (s != C8_OK) {
        c8_graph_destroy(g);
        return s;
    }
    return c8_model_from_graph(g, true, m, err);
}

/* Random float inputs for every input of m (uniform in [-1, 1)); shapes must be known. */
typedef struct bt_inputs {
    int n;
    c8_host_tensor t[8];
} bt_inputs;

static inline void bt_inputs_free(bt_inputs *in) {
    for (int i = 0; i < in->n; i++) free(in->t[i].data);
    in->n = 0;
}

static inline void bt_random_inputs(const c8_model *m, c8t_rng *r, bt_inputs *in) {
    in->n = c8_model_num_inputs(m);
    for (int i = 0; i < in->n; i++) {
        const char *name;
        c8_dtype dt;
        c8_shape s;
        c8_model_input(m, i, &name, &dt, &s);
        int64_t cnt = c8_shape_numel(&s);
        float *p = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *p);
        for (int64_t k = 0; k < cnt; k++) p[k] = c8t_uniform(r, -1.0f, 1.0f);
        in->t[i] = (c8_host_tensor){name, dt, s, p};
    }
}

/* Builds m for device / precision (INT8: cache, FP32 fallback) and runs it on in. */
static inline c8_status bt_run(const c8_model *m, c8_device dev, c8_precision p, const char *cache,
                               bool passes, const bt_inputs *in, pu_result *res, c8_error *err) {
    memset(res, 0, sizeof *res);
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.device = dev == C8_DEVICE_CUDA ? bt_gpu() : dev;
    bo.precision = p;
    bo.passes = passes;
    c8_calib_cache *cc = NULL;
    if (cache) C8_TRY(c8_calib_cache_read(cache, &cc, err)); /* no sidecar: nothing to check */
    c8_scale_source src = c8_calib_cache_scales(cc);
    if (cc) bo.scales = &src;
    c8_engine *e = NULL;
    c8_status s = c8_engine_build(m, &bo, &e, err);
    c8_calib_cache_destroy(cc);
    if (s != C8_OK) return s;
    s = pu_run_engine(e, in->t, res, err);
    c8_engine_destroy(e);
    return s;
}

/* ---- calibration caches from the FP32 CPU engine (minmax: scale = absmax / 127) ---- */

typedef struct bt_absmax {
    const char *const *names;
    float *amax;
    int n;
} bt_absmax;

static inline c8_status bt_obs_absmax(void *user, const char *name, const c8_host_tensor *t,
                                      c8_error *err) {
    (void)err;
    bt_absmax *a = user;
    if (t->dtype != C8_DT_FLOAT) return C8_OK;
    for (int i = 0; i < a->n; i++) {
        if (strcmp(a->names[i], name) != 0) continue;
        int64_t cnt = c8_shape_numel(&t->shape);
        const float *x = t->data;
        for (int64_t k = 0; k < cnt; k++)
            if (fabsf(x[k]) > a->amax[i]) a->amax[i] = fabsf(x[k]);
    }
    return C8_OK;
}

static inline c8_status bt_make_cache(const c8_model *m, const bt_inputs *in, const char *path,
                                      c8_error *err) {
    const char *const *names;
    int n = c8_model_calibration_tensors(m, &names);
    bt_absmax a = {names, calloc((size_t)(n ? n : 1), sizeof(float)), n};
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.passes = false;
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    c8_calib_cache *cache = NULL;
    c8_status s = c8_engine_build(m, &bo, &e, err);
    if (s == C8_OK) s = c8_context_create(e, &ctx, err);
    if (s == C8_OK) s = c8_context_set_observer(ctx, bt_obs_absmax, &a, names, n, err);
    if (s == C8_OK) s = c8_context_run(ctx, in->t, in->n, err);
    if (s == C8_OK) s = c8_calib_cache_create(NULL, "MinMaxCalibration", &cache, err);
    for (int i = 0; s == C8_OK && i < n; i++)
        s = c8_calib_cache_set(cache, names[i], a.amax[i] > 0 ? a.amax[i] / 127.0f : 1.0f, err);
    if (s == C8_OK) s = c8_calib_cache_write(cache, path, err);
    c8_calib_cache_destroy(cache);
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    free(a.amax);
    return s;
}

/* The source tree (C8_TEST_SOURCE_DIR overrides the path baked in at build time, for binaries
 * built on one machine and run from another checkout) and a work folder for temporary files
 * (C8_TEST_WORK, default under the build tree). */
static inline const char *bt_src_dir(void) {
    const char *d = getenv("C8_TEST_SOURCE_DIR");
    return d && *d ? d : C8_SOURCE_DIR;
}

/* A fresh temporary file name in the work folder. */
static inline void bt_tmp_path(char *buf, size_t len, const char *stem) {
    c8_error e = {0};
    const char *w = getenv("C8_TEST_WORK");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", w && *w ? w : C8_BINARY_DIR "/test_backend_work");
    c8_mkdirs(dir, &e);
    snprintf(buf, len, "%.300s/%.100s_%d", dir, stem, (int)getpid());
}

/* Whether every layer of an INT8 engine that computes sums or transcendentals (convolutions,
 * matrix products, Softmax, LRN, sigmoid / tanh) is INT8: then the GPU must equal the CPU bit for
 * bit (the INT8 kernels are exact; the rest is data movement and exact float ops). */
static inline bool bt_int8_exact(const c8_engine *e) {
    static const char *const inexact[] = {"Conv",    "FusedConv", "ConvTranspose", "Gemm", "MatMul",
                                          "Softmax", "LRN",       "Sigmoid",       "Tanh", NULL};
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *op;
        c8_precision p;
        c8_engine_layer(e, i, NULL, &op, &p, NULL);
        if (p == C8_PREC_INT8) continue;
        for (const char *const *q = inexact; *q; q++)
            if (!strcmp(op, *q)) return false;
    }
    return true;
}

#endif
