/* The engine builder and plan files: per-layer precision with fallback reasons, --strict,
 * overrides, INT8 results against a direct integer computation, FP16 emulation, plan round
 * trips (bit-identical outputs, byte-identical files) and corrupt plans refused. */
#include "c8test.h"
#include "kit/graph.h"

#include "calib8/calib.h"
#include "calib8/engine.h"
#include "calib8/quant.h"
#include "kernels/ref/fp16.h"
#include "util/fileio.h"
#include "util/npy.h"

#include <math.h>

#define DATA C8_SOURCE_DIR "/tests/engine/data/"
#define OUT C8_BINARY_DIR "/test_build_"

/* Scales for good_conv.onnx (x -> conv -> c -> relu -> y): chosen by hand for inputs in
 * [-1, 1) and the committed weights (|c| stays below 4). */
static const float k_sx = 1.0f / 127, k_sc = 4.0f / 127, k_sy = 4.0f / 127;

static void write_cache(const char *path, bool with_y) {
    c8_calib_cache *c;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_create(NULL, "MinMaxCalibration", &c, &err), C8_OK);
    c8_calib_cache_set(c, "x", k_sx, &err);
    c8_calib_cache_set(c, "c", k_sc, &err);
    if (with_y) c8_calib_cache_set(c, "y", k_sy, &err);
    CU_ASSERT_EQUAL(c8_calib_cache_write(c, path, &err), C8_OK);
    c8_calib_cache_destroy(c);
}

static c8_engine *build(const char *model, c8_precision p, const char *cache, const char *layers,
                        bool strict, c8_status want, const char *phrase) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(model, NULL, &m, &err), C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = p;
    /* the cache as calib8 build reads it: a cache that cannot be read fails here */
    c8_calib_cache *cc = NULL;
    c8_scale_source src;
    c8_status s = C8_OK;
    if (cache) s = c8_calib_cache_load_for_model(cache, c8_model_sha256(m), false, NULL, &cc, &err);
    src = c8_calib_cache_scales(cc);
    if (cc) o.scales = &src;
    o.layer_precision = layers;
    o.strict = strict;
    o.passes =
        false; /* precision decisions per ONNX node; fusion is tested in tests/engine/passes */
    c8_engine *e = NULL;
    if (s == C8_OK) s = c8_engine_build(m, &o, &e, &err);
    if (s != want) printf("\n  build: status %d, want %d: %s", s, want, err.msg);
    CU_ASSERT_EQUAL(s, want);
    if (phrase) {
        if (!strstr(err.msg, phrase)) printf("\n  message '%s' lacks '%s'", err.msg, phrase);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, phrase));
    }
    c8_calib_cache_destroy(cc);
    c8_model_destroy(m);
    return e;
}

static float *run(c8_engine *e, const float *x, int batch) {
    c8_error err = {0};
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {batch, 2, 5, 5}}, (void *)x};
    /* before any run there is nothing resident; on the CPU never (it reads our buffers) */
    c8_status s = c8_context_run_again(ctx, true, &err);
    CU_ASSERT(s == C8_ERR_INVALID || s == C8_ERR_UNSUPPORTED);
    s = c8_context_run(ctx, &in, 1, &err);
    if (s) printf("\n  run: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(c8_context_run_again(ctx, true, &err), C8_ERR_UNSUPPORTED);
    c8_host_tensor out;
    CU_ASSERT_EQUAL_FATAL(c8_context_output(ctx, 0, &out, &err), C8_OK);
    size_t n = (size_t)c8_shape_numel(&out.shape);
    float *y = malloc(n * sizeof *y);
    memcpy(y, out.data, n * sizeof *y);
    c8_context_destroy(ctx);
    return y;
}

static void make_input(float *x, int n, uint64_t seed) {
    c8t_rng r = {seed};
    for (int i = 0; i < n; i++) x[i] = c8t_uniform(&r, -1, 1);
}

/* Direct INT8 computation of good_conv under quant.h: quantize x, int32 conv + bias, requantize
 * to c's scale, ReLU as its own requantize to y's scale, dequantize. Written independently of
 * the kernels (different loop order, explicit index arithmetic). */
static void direct_int8(const float *x, int batch, float *y) {
    c8_npy w, b;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_npy_read(DATA "good_conv_w.npy", &w, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_npy_read(DATA "good_conv_b.npy", &b, &err), C8_OK);
    const float *wf = w.data, *bf = b.data;
    float sw[3];
    int8_t wq[54];
    int32_t bq[3];
    float mult[3];
    CU_ASSERT_EQUAL(c8_quant_weight_scales("W", wf, 1, 3, 18, sw, NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_weights("W", wf, 1, 3, 18, sw, wq, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_bias("B", bf, 3, k_sx, sw, 18, bq, NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_requant_mults("conv", k_sx, sw, 3, k_sc, mult, &err), C8_OK);
    float relu_m;
    CU_ASSERT_EQUAL(c8_quant_ratio("relu", k_sc, k_sy, &relu_m, &err), C8_OK);
    c8_quant_act none = {C8_QACT_NONE, -INFINITY, INFINITY, 0},
                 relu = {C8_QACT_RELU, -INFINITY, INFINITY, 0};
    float inv = c8_quant_inv_scale(k_sx);
    for (int n = 0; n < batch; n++)
        for (int p = 0; p < 5; p++)
            for (int q = 0; q < 5; q++)
                for (int k = 0; k < 3; k++) {
                    int32_t acc = bq[k];
                    for (int c = 0; c < 2; c++)
                        for (int r = 0; r < 3; r++)
                            for (int s = 0; s < 3; s++) {
                                int h = p - 1 + r, ww = q - 1 + s;
                                if (h < 0 || h > 4 || ww < 0 || ww > 4) continue;
                                int8_t xq = c8_quant_quantize(x[n * 50 + c * 25 + h * 5 + ww], inv);
                                acc += (int32_t)xq * wq[k * 18 + c * 9 + r * 3 + s];
                            }
                    int8_t cq = c8_quant_epilogue_i8(acc, mult[k], 0, 0, 0, none);
                    int8_t yq = c8_quant_epilogue_i8(cq, relu_m, 0, 0, 0, relu);
                    y[n * 75 + k * 25 + p * 5 + q] = c8_quant_dequantize(yq, k_sy);
                }
    c8_npy_free(&w);
    c8_npy_free(&b);
}

static void test_int8_exact(void) {
    const char *cache = OUT "full.cache";
    write_cache(cache, true);
    c8_engine *e = build(DATA "good_conv.onnx", C8_PREC_INT8, cache, NULL, false, C8_OK, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "conv", NULL), C8_PREC_INT8);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "relu", NULL), C8_PREC_INT8);
    CU_ASSERT(c8_engine_tensor_scale(e, "c") == k_sc);
    for (int batch = 1; batch <= 3; batch += 2) {
        float x[3 * 50], want[3 * 75];
        make_input(x, batch * 50, 7 + (uint64_t)batch);
        direct_int8(x, batch, want);
        float *y = run(e, x, batch);
        int bad = 0;
        for (int i = 0; i < batch * 75; i++)
            if (y[i] != want[i] && bad++ < 3) printf("\n  [%d] %g != %g", i, y[i], want[i]);
        CU_ASSERT_EQUAL(bad, 0);
        free(y);
    }
    c8_engine_destroy(e);
}

static void test_fallback_strict_override(void) {
    const char *cache = OUT "partial.cache";
    write_cache(cache, false); /* no scale for 'y' */
    const char *reason = NULL;
    c8_engine *e = build(DATA "good_conv.onnx", C8_PREC_INT8, cache, NULL, false, C8_OK, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "conv", NULL), C8_PREC_INT8);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "relu", &reason), C8_PREC_FP32);
    CU_ASSERT_PTR_NOT_NULL(reason && strstr(reason, "'y'"));
    c8_engine_destroy(e);
    /* --strict turns the fallback into an error naming the layer and the tensor */
    e = build(DATA "good_conv.onnx", C8_PREC_INT8, cache, NULL, true, C8_ERR_UNSUPPORTED,
              "layer 'relu'");
    CU_ASSERT_PTR_NULL(e);
    /* fp16 fallback under fp16,int8 is the same decision with another precision */
    /* overrides: the last matching glob wins */
    e = build(DATA "good_conv.onnx", C8_PREC_INT8, OUT "full.cache", "co*:fp32,relu:fp16", false,
              C8_OK, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "conv", &reason), C8_PREC_FP32);
    CU_ASSERT_PTR_NOT_NULL(reason && strstr(reason, "co*"));
    CU_ASSERT_EQUAL(pu_layer_prec(e, "relu", NULL), C8_PREC_FP16);
    c8_engine_destroy(e);
    e = build(DATA "good_conv.onnx", C8_PREC_INT8, OUT "full.cache", "conv:int9", false,
              C8_ERR_USAGE, "conv:int9");
    CU_ASSERT_PTR_NULL(e);
    e = build(DATA "good_conv.onnx", C8_PREC_INT8, NULL, NULL, false, C8_ERR_USAGE, "--calib");
    CU_ASSERT_PTR_NULL(e);
    e = build(DATA "good_conv.onnx", C8_PREC_INT8, OUT "missing.cache", NULL, false, C8_ERR_IO,
              "missing.cache");
    CU_ASSERT_PTR_NULL(e);
}

/* c8_model_check_layer_spec (the CLI's --layer-precision check, also the Python package's):
 * every pattern must match a node of good_conv.onnx (nodes 'conv' and 'relu'). */
static void test_layer_spec_check(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(DATA "good_conv.onnx", NULL, &m, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_model_check_layer_spec(m, NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_model_check_layer_spec(m, "", &err), C8_OK);
    CU_ASSERT_EQUAL(c8_model_check_layer_spec(m, "co*:fp32,relu:fp16", &err), C8_OK);
    CU_ASSERT_EQUAL(c8_model_check_layer_spec(m, "[cr]*:fp16", &err), C8_OK);
    /* the second item matches nothing: named, with the model and a layer name */
    CU_ASSERT_EQUAL(c8_model_check_layer_spec(m, "conv:fp32,fc9:fp16", &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no layer of"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "good_conv.onnx matches 'fc9'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'conv'"));
    /* globs are fnmatch's: 'con' alone is not a prefix match */
    CU_ASSERT_EQUAL(c8_model_check_layer_spec(m, "con:fp32", &err), C8_ERR_INVALID);
    c8_model_destroy(m);
}

/* c8_model_image_input / c8_engine_image_input (what image data sets feed; the CLI's check,
 * also the Python package's): good_conv.onnx's input is 'x', ? x 2 x 5 x 5 float32. */
static void test_image_input(void) {
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(DATA "good_conv.onnx", NULL, &m, &err), C8_OK);
    const char *name = NULL;
    int64_t c = 0, h = 0, w = 0;
    CU_ASSERT_EQUAL(c8_model_image_input(m, &name, &c, &h, &w, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(name ? name : "", "x");
    CU_ASSERT(c == 2 && h == 5 && w == 5);
    c8_build_options o;
    c8_build_options_init(&o);
    c8_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, &o, &e, &err), C8_OK);
    c = h = w = 0;
    CU_ASSERT_EQUAL(c8_engine_image_input(e, "p.plan", &name, &c, &h, &w, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(name ? name : "", "x");
    CU_ASSERT(c == 2 && h == 5 && w == 5);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

static void test_fp16(void) {
    c8_engine *e32 = build(DATA "good_conv.onnx", C8_PREC_FP32, NULL, NULL, false, C8_OK, NULL);
    c8_engine *e16 = build(DATA "good_conv.onnx", C8_PREC_FP16, NULL, NULL, false, C8_OK, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e32);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e16);
    CU_ASSERT_EQUAL(pu_layer_prec(e16, "conv", NULL), C8_PREC_FP16);
    float x[100];
    make_input(x, 100, 3);
    float *a = run(e32, x, 2), *b = run(e16, x, 2);
    double worst = 0;
    int differ = 0;
    for (int i = 0; i < 150; i++) {
        /* every FP16 layer output is a binary16 value */
        CU_ASSERT(c8_fp16_round(b[i]) == b[i]);
        differ += a[i] != b[i];
        double d = fabs(a[i] - b[i]) / fmax(fabs(a[i]), 1.0);
        if (d > worst) worst = d;
    }
    /* binary16 keeps 11 significant bits: inputs, weights and outputs rounded once each */
    CU_ASSERT(worst < 4e-3);
    CU_ASSERT(differ > 0); /* the emulation really rounds */
    free(a);
    free(b);
    c8_engine_destroy(e32);
    c8_engine_destroy(e16);
}

static void test_plan_roundtrip(void) {
    const char *plan = OUT "a.plan", *plan2 = OUT "b.plan";
    c8_error err = {0};
    c8_engine *e =
        build(DATA "good_conv.onnx", C8_PREC_INT8, OUT "full.cache", NULL, false, C8_OK, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(e, plan, &err), C8_OK);
    c8_engine *l = NULL;
    c8_status s = c8_engine_load(plan, &l, &err);
    if (s) printf("\n  %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(c8_engine_num_layers(l), c8_engine_num_layers(e));
    CU_ASSERT_STRING_EQUAL(c8_engine_model_sha256(l), c8_engine_model_sha256(e));
    float x[150];
    make_input(x, 150, 11);
    float *a = run(e, x, 3), *b = run(l, x, 3);
    CU_ASSERT_EQUAL(memcmp(a, b, 3 * 75 * sizeof(float)), 0);
    free(a);
    free(b);
    /* determinism: a loaded plan saves to the same bytes, and so does a second build */
    CU_ASSERT_EQUAL(c8_engine_save(l, plan2, &err), C8_OK);
    unsigned char *p1, *p2;
    size_t n1, n2;
    CU_ASSERT_EQUAL_FATAL(c8_read_file(plan, 0, &p1, &n1, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_read_file(plan2, 0, &p2, &n2, &err), C8_OK);
    CU_ASSERT(n1 == n2 && memcmp(p1, p2, n1) == 0);
    free(p2);
    c8_engine *e2 =
        build(DATA "good_conv.onnx", C8_PREC_INT8, OUT "full.cache", NULL, false, C8_OK, NULL);
    CU_ASSERT_EQUAL(c8_engine_save(e2, OUT "c.plan", &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "c.plan", 0, &p2, &n2, &err), C8_OK);
    CU_ASSERT(n1 == n2 && memcmp(p1, p2, n1) == 0);
    free(p2);
    c8_engine_destroy(e2);
    /* corrupt plans: truncated, flipped payload byte, newer format, not a plan */
    struct {
        size_t len;
        long flip;
        uint32_t fmt;
        const char *phrase;
    } bad[] = {{n1 - 10, -1, 0, "truncated"},
               {40, -1, 0, "truncated"},
               {n1, (long)n1 - 20, 0, "checksum"},
               {n1, -1, 99, "newer"},
               {n1, 0, 0, "bad magic"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        unsigned char *q = malloc(n1);
        memcpy(q, p1, n1);
        if (bad[k].flip >= 0) q[bad[k].flip] ^= 0x5a;
        if (bad[k].fmt) q[8] = (unsigned char)bad[k].fmt;
        CU_ASSERT_EQUAL(c8_write_file_atomic(plan2, q, bad[k].len, &err), C8_OK);
        c8_engine *z = NULL;
        s = c8_engine_load(plan2, &z, &err);
        CU_ASSERT_NOT_EQUAL(s, C8_OK);
        CU_ASSERT_PTR_NULL(z);
        if (!strstr(err.msg, bad[k].phrase)) printf("\n  case %zu: %s", k, err.msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[k].phrase));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "b.plan"));
        free(q);
    }
    free(p1);
    c8_engine_destroy(l);
    c8_engine_destroy(e);
}

/* The inputs' preprocessing (c8_build_options.preprocessing) is kept verbatim by the engine and
 * its plan (format 4); a plan of format 3, written by calib8 before plans recorded it
 * (committed as data, from calib8 92da0ed), loads with none and computes what a fresh build
 * computes; a description with a control character is refused. */
static void test_plan_preprocessing(void) {
    const char *line = "resize=none crop=none channels=gray scale=0.5 mean=0.25 std=2";
    c8_error err = {0};
    c8_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(DATA "good_conv.onnx", NULL, &m, &err), C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    c8_engine *e = NULL, *l = NULL, *old = NULL, *bare = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, &o, &bare, &err), C8_OK);
    CU_ASSERT_PTR_NULL(c8_engine_preprocessing(bare));
    char copy[128];
    snprintf(copy, sizeof copy, "%s", line);
    o.preprocessing = copy;
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, &o, &e, &err), C8_OK);
    copy[0] = 'X'; /* the engine keeps its own copy */
    CU_ASSERT_STRING_EQUAL(c8_engine_preprocessing(e), line);
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(e, OUT "pre.plan", &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_engine_load(OUT "pre.plan", &l, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_engine_preprocessing(l), line);
    CU_ASSERT_EQUAL_FATAL(c8_engine_load_description(OUT "pre.plan", &old, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_engine_preprocessing(old), line);
    c8_engine_destroy(old);
    old = NULL;
    c8_status s = c8_engine_load(DATA "good_conv_format3.plan", &old, &err);
    if (s) printf("\n  format 3: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_PTR_NULL(c8_engine_preprocessing(old));
    float x[150];
    make_input(x, 150, 5);
    float *a = run(old, x, 3), *b = run(bare, x, 3), *c = run(l, x, 3);
    CU_ASSERT_EQUAL(memcmp(a, b, 3 * 75 * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(c, b, 3 * 75 * sizeof(float)), 0);
    free(a);
    free(b);
    free(c);
    c8_engine *z = NULL;
    o.preprocessing = "scale=1\nstd=2";
    CU_ASSERT_EQUAL(c8_engine_build(m, &o, &z, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "control character"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "good_conv.onnx"));
    CU_ASSERT_PTR_NULL(z);
    c8_engine_destroy(old);
    c8_engine_destroy(l);
    c8_engine_destroy(e);
    c8_engine_destroy(bare);
    c8_model_destroy(m);
}

/* A scale source that is not a cache: the hand-picked scales of good_conv.onnx. */
static bool table_get(void *user, const char *name, float *scale) {
    (void)user;
    if (!strcmp(name, "x"))
        *scale = k_sx;
    else if (!strcmp(name, "c"))
        *scale = k_sc;
    else if (!strcmp(name, "y"))
        *scale = k_sy;
    else
        return false;
    return true;
}

static c8_engine *build_from(const c8_scale_source *src, c8_error *err) {
    c8_model *m = NULL;
    c8_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(DATA "good_conv.onnx", NULL, &m, err), C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = C8_PREC_INT8;
    o.scales = src;
    o.passes = false;
    c8_status s = c8_engine_build(m, &o, &e, err);
    if (s) printf("\n  build: %s", err->msg);
    c8_model_destroy(m);
    return e;
}

/* The builder's scales come from a c8_scale_source: a cache's (its sha256 recorded in the engine
 * and the plan) or any other lookup, which gives the same engine. */
static void test_scale_source(void) {
    c8_error err = {0};
    write_cache(OUT "src.cache", true);
    c8_calib_cache *cc = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_read(OUT "src.cache", &cc, &err), C8_OK);
    char sha[65];
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_sha256(cc, sha, &err), C8_OK);
    c8_scale_source from_cache = c8_calib_cache_scales(cc);
    c8_engine *a = build_from(&from_cache, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_STRING_EQUAL(c8_engine_cache_sha256(a), sha);
    c8_calib_cache_destroy(cc); /* the engine keeps nothing of the source */
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(a, OUT "src_a.plan", &err), C8_OK);
    c8_engine *la = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_engine_load(OUT "src_a.plan", &la, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_engine_cache_sha256(la), sha);
    c8_engine_destroy(la);
    /* a table with the same scales and provenance: the same plan bytes */
    c8_scale_source table = {table_get, NULL, sha};
    c8_engine *b = build_from(&table, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL_FATAL(c8_engine_save(b, OUT "src_b.plan", &err), C8_OK);
    unsigned char *p1, *p2;
    size_t n1, n2;
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "src_a.plan", 0, &p1, &n1, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_read_file(OUT "src_b.plan", 0, &p2, &n2, &err), C8_OK);
    CU_ASSERT(n1 == n2 && memcmp(p1, p2, n1) == 0);
    free(p1);
    free(p2);
    /* no provenance: recorded as "" */
    table.sha256 = NULL;
    c8_engine *c = build_from(&table, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c8_engine_cache_sha256(c), "");
    /* a source without a lookup is refused, not called */
    c8_scale_source empty = c8_calib_cache_scales(NULL);
    CU_ASSERT_PTR_NULL(empty.get);
    c8_model *m = NULL;
    c8_engine *z = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(DATA "good_conv.onnx", NULL, &m, &err), C8_OK);
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = C8_PREC_INT8;
    o.scales = &empty;
    CU_ASSERT_EQUAL(c8_engine_build(m, &o, &z, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "scale source"));
    CU_ASSERT_PTR_NULL(z);
    c8_model_destroy(m);
    c8_engine_destroy(a);
    c8_engine_destroy(b);
    c8_engine_destroy(c);
}

/* A scale for x so small that x's scale times a weight scale (about 0.005 for good_conv's
 * weights) is below FLT_MIN, as PP-OCRv4's near-dead filters (max |w| ~ 1e-36) make it with
 * ordinary input scales: the multiplier cannot be a normal float32, so the conv falls back to
 * FP32 with the reason; the build used to fail ("requantization multiplier ... is not a positive
 * normal float32"). */
static bool tiny_get(void *user, const char *name, float *scale) {
    (void)user;
    if (!strcmp(name, "x")) {
        *scale = 2e-37f;
        return true;
    }
    return table_get(NULL, name, scale);
}

static void test_near_dead_filter_fallback(void) {
    c8_error err = {0};
    c8_scale_source src = {tiny_get, NULL, NULL};
    c8_engine *e = build_from(&src, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    const char *reason = NULL;
    CU_ASSERT_EQUAL(pu_layer_prec(e, "conv", &reason), C8_PREC_FP32);
    if (reason && !strstr(reason, "near-dead filter")) printf("\n  reason: %s", reason);
    CU_ASSERT_PTR_NOT_NULL(reason && strstr(reason, "near-dead filter"));
    c8_engine_destroy(e);
}

static const c8_test_case cases[] = {
    {"int8_exact", test_int8_exact},
    {"near_dead_filter_fallback", test_near_dead_filter_fallback},
    {"fallback_strict_override", test_fallback_strict_override},
    {"layer_spec_check", test_layer_spec_check},
    {"image_input", test_image_input},
    {"fp16", test_fp16},
    {"plan_roundtrip", test_plan_roundtrip},
    {"plan_preprocessing", test_plan_preprocessing},
    {"scale_source", test_scale_source},
};
C8T_MAIN("build", cases)
