/* GPU INT8 convolution and Gemm (kernels/cuda/int8/) against the CPU reference
 * (kernels/ref/int8_conv.c, int8_gemm.c): every candidate algorithm, every output byte equal
 * (int8 bytes, float32 and binary16 bit patterns; sigmoid with C8T_SIGMOID_RTOL), pad channels 0,
 * guard bytes around the outputs untouched, outputs poisoned before each run. Shapes sweep
 * channels 1..129 (off every tile), spatial 1..56, kernels 1x1..7x7, strides 1/2, dilation 2,
 * batch 1/3; epilogues cycle through int8/float32/float16 output, residual, bias, ReLU / Clip /
 * LeakyReLU / Sigmoid, and random ("ordinary": ties have probability ~0) or power-of-two ("ties":
 * many exact .5 cases for the round-half-even path) multipliers. conv_cutlass runs the CUTLASS
 * tiles (kernels/cuda/int8/cutlass/, builds with C8_HAVE_CUTLASS) alone on a further sweep of
 * channel counts, odd spatial sizes, strides and dilations with every output type with and
 * without residual. Exits 77 without a GPU. */
#include "tests/kernels/cuda/cuda_test_util.h"

#include "calib8/config.h"

typedef struct conv_case {
    int64_t n, c, h, w, k, r, s, stride, pad, dil, group;
    int64_t pad_extra; /* added to pad_b and pad_r: asymmetric padding */
} conv_case;

typedef struct epi_spec {
    int out, act, residual, bias, ties;
} epi_spec;

static const char *kOutNames[] = {"int8", "f32", "f16"};
static const char *kActNames[] = {"none", "relu", "clip", "leaky", "sigmoid", "hardswish"};

static epi_spec epi_for(int i) {
    epi_spec e;
    e.out = i % 3;
    e.act = (i / 3) % 6;
    if (e.act == C8_QACT_SIGMOID && e.out == C8_QOUT_INT8) e.act = C8_QACT_NONE;
    e.residual = (i / 2) % 2;
    e.bias = i % 4 != 3;
    e.ties = (i / 5) % 2;
    return e;
}

static c8_conv2d_desc make_desc(const conv_case *cc) {
    c8_conv2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = cc->n;
    d.c = cc->c;
    d.h = cc->h;
    d.w = cc->w;
    d.k = cc->k;
    d.r = cc->r;
    d.s = cc->s;
    d.stride_h = d.stride_w = cc->stride;
    d.pad_t = d.pad_l = cc->pad;
    d.pad_b = d.pad_r = cc->pad + cc->pad_extra;
    d.dil_h = d.dil_w = cc->dil;
    d.group = cc->group;
    d.p = (d.h + d.pad_t + d.pad_b - d.dil_h * (d.r - 1) - 1) / d.stride_h + 1;
    d.q = (d.w + d.pad_l + d.pad_r - d.dil_w * (d.s - 1) - 1) / d.stride_w + 1;
    return d;
}

/* Host epilogue arrays for channels k with reduction length kred. Multipliers put the output
 * spread near 60 quantization steps (some saturation); "ties" rounds them to powers of two. */
typedef struct host_epi {
    int32_t *bias;
    float *mult;
    float res_mult;
    c8_quant_act act;
} host_epi;

static host_epi make_host_epi(const epi_spec *e, int64_t k, int64_t kred, c8t_rng *rng) {
    host_epi h;
    h.bias = (int32_t *)malloc((size_t)k * sizeof(int32_t));
    h.mult = (float *)malloc((size_t)k * sizeof(float));
    double base = 60.0 / (5376.0 * sqrt((double)kred));
    for (int64_t i = 0; i < k; i++) {
        h.bias[i] = c8t_randint(rng, -20000, 20000);
        double m = base * (0.5 + (double)c8t_uniform(rng, 0.0f, 1.0f));
        if (e->ties) m = ldexp(1.0, (int)floor(log2(m) + 0.5));
        h.mult[i] = (float)m;
    }
    h.res_mult = e->ties ? 0.5f : 0.37109375f + c8t_uniform(rng, 0.0f, 0.25f);
    memset(&h.act, 0, sizeof h.act);
    h.act.kind = e->act;
    h.act.lo = -INFINITY;
    h.act.hi = INFINITY;
    if (e->act == C8_QACT_CLIP) {
        h.act.lo = e->ties ? -50.5f : -50.3f;
        h.act.hi = e->ties ? 60.5f : 60.7f;
    }
    h.act.alpha = e->ties ? 0.125f : 0.1f;
    if (e->act ==
        C8_QACT_HARDSWISH) { /* c8_quant_act_make's units: s_out 0.05, affine (0.9, 0.1) */
        h.act.alpha = e->out == C8_QOUT_INT8 ? 0.05f : 1.0f;
        h.act.lo = 0.15f;
        h.act.hi = e->out == C8_QOUT_INT8 ? 2.3f : 0.1f;
    }
    return h;
}

/* When >= 0, run_conv runs only the candidates of this c8_cuda_int8_algo_kind; g_runs counts the
 * candidate runs of run_conv (all kinds, or that kind). */
static int g_only_kind = -1;
static int g_only_algo = -1; /* run only this algorithm (>= 0) */
static long g_runs;

static size_t out_elem(int out) { return out == C8_QOUT_INT8 ? 1 : out == C8_QOUT_FLOAT ? 4 : 2; }

/* Runs conv case cc with epilogue e through every candidate and compares with the reference.
 * Returns the number of (algorithm) failures. */
static int run_conv(const conv_case *cc, const epi_spec *e, uint64_t seed, int expect_min_algos) {
    c8_error err;
    memset(&err, 0, sizeof err);
    c8t_rng rng = {seed};
    c8_conv2d_desc d = make_desc(cc);
    CU_ASSERT_FATAL(c8_conv2d_desc_check("test", &d, &err) == C8_OK);
    const int64_t cg = d.c / d.group, kp = c8t_cpad(d.k);
    const size_t x_n = (size_t)(d.n * d.c * d.h * d.w), w_n = (size_t)(d.k * cg * d.r * d.s);
    const size_t y_n = (size_t)(d.n * d.k * d.p * d.q), yp_n = (size_t)(d.n * d.p * d.q * kp);
    const size_t el = out_elem(e->out);
    int8_t *x = rand_i8(&rng, x_n), *w = rand_i8(&rng, w_n);
    int8_t *res = e->residual ? rand_i8(&rng, y_n) : NULL;
    host_epi he = make_host_epi(e, d.k, cg * d.r * d.s, &rng);

    c8_int8_epilogue ep_h = {e->out, e->bias ? he.bias : NULL, he.mult, res, he.res_mult, he.act};
    void *y_ref = malloc(y_n * el);
    c8_ref_int8_conv2d(&d, x, w, &ep_h, y_ref);

    /* device inputs in NHWC32 and packed weights */
    int8_t *x_nhwc = malloc((size_t)(d.n * d.h * d.w * c8t_cpad(d.c)));
    host_nchw_to_nhwc(1, d.n, d.c, d.h * d.w, x, x_nhwc);
    int64_t wb = c8_cuda_int8_conv_packed_bytes(&d);
    CU_ASSERT_FATAL(wb > 0);
    int8_t *wpk = malloc((size_t)wb);
    CT_OK(c8_cuda_int8_pack_conv_weights(&d, w, wpk, &err), &err);
    if (d.group == 1) { /* the packing is KRSC_C32 (quant/layout.c) plus zero rows up to Kp */
        int8_t *krsc = malloc((size_t)(d.k * d.r * d.s * c8t_cpad(d.c)));
        CT_OK(c8_quant_kcrs_to_krsc(d.k, d.c, d.r, d.s, 32, w, krsc, &err), &err);
        size_t real = (size_t)(d.k * d.r * d.s * c8t_cpad(d.c));
        CU_ASSERT(memcmp(wpk, krsc, real) == 0);
        for (size_t i = real; i < (size_t)wb; i++)
            if (wpk[i]) {
                CU_FAIL("packed weights: pad row not zero");
                break;
            }
        free(krsc);
    }
    int8_t *res_nhwc = NULL;
    if (res) {
        res_nhwc = malloc(yp_n);
        host_nchw_to_nhwc(1, d.n, d.k, d.p * d.q, res, res_nhwc);
    }
    void *dx = dev_upload(x_nhwc, (size_t)(d.n * d.h * d.w * c8t_cpad(d.c)));
    void *dw = dev_upload(wpk, (size_t)wb);
    void *db = dev_upload(he.bias, (size_t)d.k * 4), *dm = dev_upload(he.mult, (size_t)d.k * 4);
    void *dr = res ? dev_upload(res_nhwc, yp_n) : NULL;
    CU_ASSERT_FATAL(dx && dw && db && dm && (!res || dr));
    c8_int8_epilogue ep_d = {e->out, e->bias ? db : NULL, dm, dr, he.res_mult, he.act};

    int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
    int n_algos = c8_cuda_int8_conv_candidates(g_ctx, &d, &ep_d, algos);
    CU_ASSERT(n_algos >= expect_min_algos);
    size_t ws_bytes = 0;
    for (int i = 0; i < n_algos; i++) {
        size_t b = c8_cuda_int8_conv_workspace_bytes(g_ctx, algos[i], &d);
        if (b > ws_bytes) ws_bytes = b;
    }
    void *ws = NULL;
    if (ws_bytes) CT_CUDA(cudaMalloc(&ws, ws_bytes));
    gbuf y = gbuf_alloc(yp_n * el);
    CU_ASSERT_FATAL(y.body != NULL);
    void *y_host = malloc(yp_n * el), *y_nchw = malloc(y_n * el);
    int failures = 0;
    for (int i = 0; i < n_algos; i++) {
        if (g_only_kind >= 0 && c8_cuda_int8_algo_kind_of(algos[i]) != g_only_kind) continue;
        if (g_only_algo >= 0 && algos[i] != g_only_algo) continue;
        g_runs++;
        char what[256];
        snprintf(what, sizeof what,
                 "%s n%lld c%lld %lldx%lld k%lld %lldx%lld s%lld p%lld+%lld d%lld g%lld out=%s "
                 "act=%s res=%d bias=%d ties=%d",
                 c8_cuda_int8_algo_name(algos[i]), (long long)d.n, (long long)d.c, (long long)d.h,
                 (long long)d.w, (long long)d.k, (long long)d.r, (long long)d.s,
                 (long long)cc->stride, (long long)cc->pad, (long long)cc->pad_extra,
                 (long long)cc->dil, (long long)d.group, kOutNames[e->out], kActNames[e->act],
                 e->residual, e->bias, e->ties);
        gbuf_poison(&y);
        c8_status st = c8_cuda_int8_conv_run(g_ctx, algos[i], &d, dx, dw, &ep_d, y.body, ws,
                                             ws_bytes, g_stream, &err);
        if (st == C8_OK && cudaStreamSynchronize(g_stream) != cudaSuccess)
            st = c8_err(&err, C8_ERR_DEVICE, "%s", cudaGetErrorString(cudaGetLastError()));
        if (st != C8_OK) {
            printf("\n  %s: run failed: %s", what, err.msg);
            failures++;
            continue;
        }
        CT_CUDA(cudaMemcpy(y_host, y.body, yp_n * el, cudaMemcpyDeviceToHost));
        int ok = 1;
        if (!gbuf_guards_ok(&y)) {
            printf("\n  %s: guard bytes overwritten", what);
            ok = 0;
        }
        if (!host_pad_is_zero((int)el, d.n * d.p * d.q, d.k, y_host)) {
            printf("\n  %s: pad channels not zero", what);
            ok = 0;
        }
        host_nhwc_to_nchw((int)el, d.n, d.k, d.p * d.q, y_host, y_nchw);
        long bad = e->act == C8_QACT_SIGMOID
                       ? compare_sigmoid(y_n, y_nchw, y_ref, what, seed, (int)el)
                       : compare_exact((int)el, y_n, y_nchw, y_ref, what, seed);
        if (bad) ok = 0;
        failures += !ok;
    }
    CU_ASSERT_EQUAL(failures, 0);
    gbuf_free(&y);
    cudaFree(ws);
    cudaFree(dx);
    cudaFree(dw);
    cudaFree(db);
    cudaFree(dm);
    if (dr) cudaFree(dr);
    free(y_host);
    free(y_nchw);
    free(y_ref);
    free(x);
    free(w);
    free(res);
    free(res_nhwc);
    free(x_nhwc);
    free(wpk);
    free(he.bias);
    free(he.mult);
    return failures;
}

/* CUTLASS tiles built in (conv_cutlass.h's Sm80 table) */
#define N_CUTLASS_ALGOS (C8_HAVE_CUTLASS ? 12 : 0)

/* dense algorithms expected on this device: 3 dp4a, and 16 imma (plus the CUTLASS tiles when
 * built with CUTLASS) from sm_80 */
static int dense_min_algos(void) {
    return c8_cuda_int8_ctx_sm(g_ctx) >= 80 ? 19 + N_CUTLASS_ALGOS : 3;
}

/* n, c, h, w, k, r, s, stride, pad, dil, group, pad_extra */
static const conv_case kDense[] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0},      {3, 3, 7, 7, 7, 3, 3, 1, 1, 1, 1, 0},
    {1, 7, 31, 31, 31, 3, 3, 2, 1, 1, 1, 0},   {3, 31, 14, 14, 33, 1, 1, 1, 0, 1, 1, 0},
    {1, 33, 31, 31, 127, 3, 3, 1, 1, 2, 1, 0}, {1, 127, 7, 7, 129, 3, 3, 1, 1, 1, 1, 0},
    {3, 129, 7, 7, 127, 1, 1, 2, 0, 1, 1, 0},  {1, 3, 56, 56, 64, 7, 7, 2, 3, 1, 1, 0},
    {1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 0},  {1, 31, 31, 31, 33, 5, 5, 1, 2, 1, 1, 0},
    {1, 7, 14, 14, 3, 5, 5, 2, 2, 2, 1, 0},    {3, 1, 31, 31, 1, 7, 7, 1, 3, 1, 1, 0},
    {1, 129, 14, 14, 33, 3, 3, 2, 1, 1, 1, 0}, {1, 256, 7, 7, 256, 3, 3, 1, 1, 1, 1, 0},
    {3, 33, 3, 3, 7, 3, 3, 1, 0, 1, 1, 0},     {1, 1, 56, 56, 129, 1, 1, 1, 0, 1, 1, 0},
    {1, 31, 14, 14, 31, 3, 3, 2, 0, 1, 1, 1},  {1, 33, 31, 31, 7, 7, 7, 1, 6, 2, 1, 0},
    {3, 127, 3, 3, 129, 3, 3, 1, 1, 1, 1, 0},  {3, 32, 31, 31, 64, 1, 1, 1, 0, 1, 1, 0},
    {1, 40, 7, 7, 300, 3, 3, 1, 1, 1, 1, 0},   {3, 64, 14, 14, 128, 1, 1, 2, 0, 1, 1, 0},
    {1, 96, 1, 1, 33, 1, 1, 1, 0, 1, 1, 0},    {1, 3, 31, 31, 129, 3, 3, 1, 2, 2, 1, 1},
    {3, 129, 31, 31, 1, 5, 5, 2, 2, 1, 1, 0},  {1, 33, 56, 56, 31, 3, 3, 2, 1, 2, 1, 0},
};

static void test_conv_dense_sweep(void) {
    int fails = 0;
    for (size_t i = 0; i < sizeof kDense / sizeof kDense[0]; i++) {
        epi_spec e = epi_for((int)i);
        fails += run_conv(&kDense[i], &e, 0xC0DE0000u + i, dense_min_algos()) != 0;
    }
    CU_ASSERT_EQUAL(fails, 0);
}

/* Every epilogue variant on two small shapes (one multi-tile in M and N). */
static void test_conv_epilogues(void) {
    static const conv_case shapes[] = {{2, 33, 7, 7, 40, 3, 3, 1, 1, 1, 1, 0},
                                       {1, 64, 14, 14, 129, 1, 1, 1, 0, 1, 1, 0}};
    int fails = 0, runs = 0;
    for (int sh = 0; sh < 2; sh++)
        for (int out = 0; out < 3; out++)
            for (int act = 0; act <= C8_QACT_HARDSWISH; act++)
                for (int v = 0; v < 8; v++) {
                    if (act == C8_QACT_SIGMOID && out == C8_QOUT_INT8) continue;
                    epi_spec e = {out, act, v & 1, (v >> 1) & 1, (v >> 2) & 1};
                    fails += run_conv(&shapes[sh], &e, 0xE9100000u + (uint64_t)runs++,
                                      dense_min_algos()) != 0;
                }
    CU_ASSERT_EQUAL(fails, 0);
}

/* The CUTLASS tiles alone: channel counts off every tile and vector width (1, 3, 7, 31, 33, 127,
 * 129, 257, 300), odd and non-square spatial sizes, 1x1 / 3x3 / 5x5, stride 2, dilation 2,
 * asymmetric padding, batch 1-5; each shape with all three output types, with and without
 * residual (6 epilogues), activations and tie modes cycling. Every CUTLASS tile must be a
 * candidate of every shape (sm_80+ and a build with CUTLASS; otherwise the test says so). */
static void test_conv_cutlass(void) {
    /* n, c, h, w, k, r, s, stride, pad, dil, group, pad_extra */
    static const conv_case shapes[] = {
        {2, 1, 9, 7, 3, 3, 3, 1, 1, 1, 1, 0},       {1, 3, 15, 15, 7, 3, 3, 2, 1, 1, 1, 0},
        {3, 7, 13, 11, 31, 1, 1, 1, 0, 1, 1, 0},    {1, 31, 17, 17, 33, 3, 3, 2, 1, 1, 1, 1},
        {2, 33, 9, 9, 127, 3, 3, 1, 2, 2, 1, 0},    {1, 127, 7, 7, 129, 1, 1, 2, 0, 1, 1, 0},
        {1, 129, 11, 11, 127, 3, 3, 1, 1, 1, 1, 0}, {5, 64, 15, 15, 257, 1, 1, 1, 0, 1, 1, 0},
        {2, 256, 7, 7, 300, 3, 3, 1, 1, 1, 1, 0},   {1, 33, 31, 29, 65, 5, 5, 2, 2, 1, 1, 0},
    };
    if (c8_cuda_int8_ctx_sm(g_ctx) < 80 || N_CUTLASS_ALGOS == 0) {
        printf("\n    SKIPPED: %s", N_CUTLASS_ALGOS ? "CUTLASS tiles need sm_80+"
                                                    : "built without CUTLASS (C8_HAVE_CUTLASS 0)");
        return;
    }
    int fails = 0, v = 0;
    g_only_kind = C8_CUDA_INT8_KIND_CUTLASS;
    g_runs = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        c8_conv2d_desc d = make_desc(&shapes[i]);
        float one = 1.0f;
        c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {0, 0, 0, 0}};
        int n_cutlass = 0;
        for (int32_t a = 0; a < C8_CUDA_INT8_ALGO_COUNT; a++) {
            if (c8_cuda_int8_algo_kind_of(a) != C8_CUDA_INT8_KIND_CUTLASS) continue;
            const char *why = NULL;
            if (c8_cuda_int8_conv_supports(g_ctx, a, &d, &ep, &why))
                n_cutlass++;
            else
                printf("\n  shape %zu: %s refused: %s", i, c8_cuda_int8_algo_name(a), why);
        }
        CU_ASSERT_EQUAL(n_cutlass, N_CUTLASS_ALGOS);
        for (int out = 0; out < 3; out++)
            for (int res = 0; res < 2; res++, v++) {
                epi_spec e = {out, (int)((i + (size_t)v) % 5), res, (v % 4) != 3, v % 2};
                if (e.act == C8_QACT_SIGMOID && out == C8_QOUT_INT8) e.act = C8_QACT_RELU;
                fails +=
                    run_conv(&shapes[i], &e, 0xC7000000u + (uint64_t)v, dense_min_algos()) != 0;
            }
    }
    g_only_kind = -1;
    printf("\n    %ld CUTLASS runs compared", g_runs);
    CU_ASSERT_EQUAL(g_runs, (long)(sizeof shapes / sizeof shapes[0]) * 6 * N_CUTLASS_ALGOS);
    CU_ASSERT_EQUAL(fails, 0);
}

/* CUTLASS's Hopper tiles (conv_cutlass.h's Sm90 table) built in, and how many of them take a
 * problem whose padded input channels are cp: a tile needs cp to be a multiple of its K (64 or
 * 128) */
#define N_CUTLASS_SM90_ALGOS (C8_HAVE_CUTLASS_SM90 ? 3 : 0)
static int sm90_tiles_for(int64_t cp) { return cp % 128 == 0 ? 3 : cp % 64 == 0 ? 1 : 0; }

/* The Hopper tiles alone (sm_90 and a build with CUTLASS for sm_90; otherwise the test says so):
 * real channel counts off the tiles whose padding reaches a multiple of 64 or 128 (33, 100, 127,
 * 192, 255), output channels off every tile (3, 7, 33, 65, 127, 129, 257, 300), odd and
 * non-square maps, 1x1 / 3x3 / 5x5, stride 2, dilation 2, asymmetric padding, batch 1-5, rows
 * off the 128-row tile; each shape with all three output types, with and without residual,
 * activations and tie modes cycling. Every tile whose K divides the padded channels must be a
 * candidate; one whose K does not must refuse. */
static void test_conv_cutlass_sm90(void) {
    /* n, c, h, w, k, r, s, stride, pad, dil, group, pad_extra */
    static const conv_case shapes[] = {
        {2, 33, 9, 7, 3, 3, 3, 1, 1, 1, 1, 0},     {1, 100, 15, 15, 7, 3, 3, 2, 1, 1, 1, 0},
        {3, 64, 13, 11, 129, 1, 1, 1, 0, 1, 1, 0}, {1, 127, 17, 17, 65, 3, 3, 2, 1, 1, 1, 1},
        {2, 128, 9, 9, 127, 3, 3, 1, 2, 2, 1, 0},  {1, 255, 7, 7, 300, 1, 1, 2, 0, 1, 1, 0},
        {5, 64, 15, 15, 257, 1, 1, 1, 0, 1, 1, 0}, {1, 192, 31, 29, 33, 5, 5, 2, 2, 1, 1, 0},
        {2, 256, 7, 7, 300, 3, 3, 1, 1, 1, 1, 0},  {2, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 0},
        {1, 96, 9, 9, 33, 3, 3, 1, 1, 1, 1, 0},
    };
    if (c8_cuda_int8_ctx_sm(g_ctx) != 90 || N_CUTLASS_SM90_ALGOS == 0) {
        printf("\n    SKIPPED: %s", N_CUTLASS_SM90_ALGOS
                                        ? "CUTLASS's Hopper tiles run on sm_90 only"
                                        : "built without them (C8_HAVE_CUTLASS_SM90 0)");
        return;
    }
    int fails = 0, v = 0;
    long expect_runs = 0;
    g_only_kind = C8_CUDA_INT8_KIND_CUTLASS_SM90;
    g_runs = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        c8_conv2d_desc d = make_desc(&shapes[i]);
        float one = 1.0f;
        c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {0, 0, 0, 0}};
        int n_tiles = 0;
        for (int32_t a = 0; a < C8_CUDA_INT8_ALGO_COUNT; a++) {
            if (c8_cuda_int8_algo_kind_of(a) != C8_CUDA_INT8_KIND_CUTLASS_SM90) continue;
            const char *why = NULL;
            if (c8_cuda_int8_conv_supports(g_ctx, a, &d, &ep, &why))
                n_tiles++;
            else
                printf("\n  shape %zu: %s refused: %s", i, c8_cuda_int8_algo_name(a), why);
        }
        CU_ASSERT_EQUAL(n_tiles, sm90_tiles_for(c8t_cpad(d.c)));
        expect_runs += 6L * sm90_tiles_for(c8t_cpad(d.c));
        for (int out = 0; out < 3; out++)
            for (int res = 0; res < 2; res++, v++) {
                epi_spec e = {out, (int)((i + (size_t)v) % 5), res, (v % 4) != 3, v % 2};
                if (e.act == C8_QACT_SIGMOID && out == C8_QOUT_INT8) e.act = C8_QACT_RELU;
                fails +=
                    run_conv(&shapes[i], &e, 0xC9000000u + (uint64_t)v, dense_min_algos()) != 0;
            }
    }
    g_only_kind = -1;
    printf("\n    %ld CUTLASS Hopper runs compared", g_runs);
    CU_ASSERT_EQUAL(g_runs, expect_runs);
    CU_ASSERT_EQUAL(fails, 0);
}

/* Stride 2 on C <= 8 channels as a stride-1 convolution on a space-to-depth copy (conv_s2d.cu),
 * each of its three IMMA tiles: C = 1..8, odd and even filters (1x1 to 7x7 and 8x8), symmetric and
 * asymmetric padding (pad_extra: one more at the bottom and right), K off the tiles (1, 3, 33, 64,
 * 65, 129), every output type with and without residual, activations and tie modes cycling; one
 * case large enough for many pixel tiles (ResNet-50's conv1 at 448x448). Refuses 9 channels, stride
 * 1 and dilation 2. */
static void test_conv_s2d(void) {
    /* n, c, h, w, k, r, s, stride, pad, dil, group, pad_extra */
    static const conv_case shapes[] = {
        {1, 3, 56, 56, 64, 7, 7, 2, 3, 1, 1, 0},   {2, 1, 9, 7, 3, 3, 3, 2, 1, 1, 1, 0},
        {3, 2, 17, 13, 33, 5, 5, 2, 2, 1, 1, 1},   {1, 4, 31, 31, 129, 4, 4, 2, 1, 1, 1, 0},
        {2, 8, 15, 15, 65, 1, 1, 2, 0, 1, 1, 0},   {1, 5, 23, 22, 1, 8, 8, 2, 3, 1, 1, 1},
        {1, 3, 448, 448, 64, 7, 7, 2, 3, 1, 1, 0},
    };
    static const int32_t algos[] = {C8_CUDA_INT8_S2D_128X64X64_W64X32,
                                    C8_CUDA_INT8_S2D_64X64X64_W32X32,
                                    C8_CUDA_INT8_S2D_128X64X64_W32X32};
    if (c8_cuda_int8_ctx_sm(g_ctx) < 80) {
        printf("\n    SKIPPED: space-to-depth needs sm_80+");
        return;
    }
    int fails = 0, v = 0, expect = 0;
    g_runs = 0;
    for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
        g_only_algo = algos[a];
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            c8_conv2d_desc d = make_desc(&shapes[i]);
            float one = 1.0f;
            c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {0, 0, 0, 0}};
            const char *why = NULL;
            if (!c8_cuda_int8_conv_supports(g_ctx, algos[a], &d, &ep, &why)) {
                printf("\n  shape %zu: %s refused: %s", i, c8_cuda_int8_algo_name(algos[a]), why);
                fails++;
                continue;
            }
            const int big = d.n * d.p * d.q > 20000;
            for (int out = 0; out < 3; out++)
                for (int res = 0; res < 2; res++, v++) {
                    if (big && (out != C8_QOUT_INT8 || res)) continue;
                    epi_spec e = {out, (int)((i + (size_t)v) % 5), res, (v % 4) != 3, v % 2};
                    if (e.act == C8_QACT_SIGMOID && out == C8_QOUT_INT8) e.act = C8_QACT_RELU;
                    fails += run_conv(&shapes[i], &e, 0x52D00000u + (uint64_t)v, 1) != 0;
                    expect++;
                }
        }
        static const conv_case refused[] = {{1, 9, 9, 9, 8, 3, 3, 2, 1, 1, 1, 0},
                                            {1, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1, 0},
                                            {1, 3, 17, 17, 8, 3, 3, 2, 1, 2, 1, 0}};
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            c8_conv2d_desc d = make_desc(&refused[i]);
            float one = 1.0f;
            c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {0, 0, 0, 0}};
            CU_ASSERT(!c8_cuda_int8_conv_supports(g_ctx, algos[a], &d, &ep, NULL));
        }
    }
    g_only_algo = -1;
    printf("\n    %ld space-to-depth runs compared", g_runs);
    CU_ASSERT_EQUAL(g_runs, (long)expect);
    CU_ASSERT_EQUAL(fails, 0);
}

/* The small-channel kernel alone (imma_smallc_128x64, C <= 4): C = 1..4, filters 1x1 to 10x10
 * (100 taps: the reduction padded from 400 to 416), strides, dilation, asymmetric padding, K off
 * its 64-channel blocks (1, 3, 33, 64, 65, 129), every output type with and without residual,
 * activations and tie modes cycling; one case large enough that each block walks several pixel
 * tiles (532,480 output pixels: 4 tiles per block). It must be a candidate of every shape here
 * and refuse 5 channels. */
static void test_conv_smallc(void) {
    /* n, c, h, w, k, r, s, stride, pad, dil, group, pad_extra */
    static const conv_case shapes[] = {
        {1, 3, 56, 56, 64, 7, 7, 2, 3, 1, 1, 0},    {2, 1, 9, 7, 3, 3, 3, 1, 1, 1, 1, 0},
        {3, 2, 17, 13, 33, 5, 5, 2, 2, 1, 1, 1},    {1, 4, 31, 31, 129, 3, 3, 1, 2, 2, 1, 0},
        {2, 3, 15, 15, 65, 1, 1, 1, 0, 1, 1, 0},    {1, 3, 23, 23, 1, 10, 10, 1, 4, 1, 1, 0},
        {1, 3, 1024, 520, 32, 3, 3, 1, 1, 1, 1, 0},
    };
    if (c8_cuda_int8_ctx_sm(g_ctx) < 80) {
        printf("\n    SKIPPED: imma_smallc needs sm_80+");
        return;
    }
    int fails = 0, v = 0;
    g_only_algo = C8_CUDA_INT8_SMALLC_128X64;
    g_runs = 0;
    int expect = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        c8_conv2d_desc d = make_desc(&shapes[i]);
        float one = 1.0f;
        c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {0, 0, 0, 0}};
        const char *why = NULL;
        if (!c8_cuda_int8_conv_supports(g_ctx, C8_CUDA_INT8_SMALLC_128X64, &d, &ep, &why)) {
            printf("\n  shape %zu: imma_smallc refused: %s", i, why);
            fails++;
            continue;
        }
        const int big = d.n * d.p * d.q > 100000;
        for (int out = 0; out < 3; out++)
            for (int res = 0; res < 2; res++, v++) {
                if (big && (out != C8_QOUT_INT8 || res)) continue; /* one run of the large case */
                epi_spec e = {out, (int)((i + (size_t)v) % 5), res, (v % 4) != 3, v % 2};
                if (e.act == C8_QACT_SIGMOID && out == C8_QOUT_INT8) e.act = C8_QACT_RELU;
                fails += run_conv(&shapes[i], &e, 0x5C000000u + (uint64_t)v, 1) != 0;
                expect++;
            }
    }
    conv_case five = {1, 5, 9, 9, 8, 3, 3, 1, 1, 1, 1, 0};
    c8_conv2d_desc d5 = make_desc(&five);
    float one = 1.0f;
    c8_int8_epilogue ep5 = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {0, 0, 0, 0}};
    CU_ASSERT(!c8_cuda_int8_conv_supports(g_ctx, C8_CUDA_INT8_SMALLC_128X64, &d5, &ep5, NULL));
    g_only_algo = -1;
    printf("\n    %ld imma_smallc runs compared", g_runs);
    CU_ASSERT_EQUAL(g_runs, (long)expect);
    CU_ASSERT_EQUAL(fails, 0);
}

/* n, c(=k=group), h(=w), r(=s), stride, pad, dil */
static void test_conv_depthwise(void) {
    static const int64_t dw[][7] = {
        {1, 3, 7, 3, 1, 1, 1},   {3, 7, 14, 3, 2, 1, 1},  {1, 31, 31, 5, 1, 2, 1},
        {1, 33, 14, 5, 2, 2, 1}, {3, 127, 7, 3, 1, 1, 2}, {1, 129, 31, 3, 2, 1, 1},
        {1, 64, 56, 3, 1, 1, 1}, {1, 33, 3, 5, 1, 2, 1},  {1, 31, 1, 3, 1, 1, 1},
        {3, 2, 31, 5, 2, 2, 2},  {1, 32, 56, 3, 2, 1, 1},
    };
    int fails = 0;
    for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++) {
        conv_case cc = {dw[i][0], dw[i][1], dw[i][2], dw[i][2], dw[i][1], dw[i][3],
                        dw[i][3], dw[i][4], dw[i][5], dw[i][6], dw[i][1], 0};
        epi_spec e = epi_for((int)i + 1);
        fails += run_conv(&cc, &e, 0xD0000000u + i, 1) != 0;
    }
    CU_ASSERT_EQUAL(fails, 0);
}

/* Grouped convs that are not depthwise are reported unsupported by every algorithm. */
static void test_conv_grouped_unsupported(void) {
    conv_case cc = {1, 8, 7, 7, 8, 3, 3, 1, 1, 1, 2, 0};
    c8_conv2d_desc d = make_desc(&cc);
    float m = 1.0f;
    c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &m, NULL, 0.0f, {0, 0, 0, 0}};
    int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
    CU_ASSERT_EQUAL(c8_cuda_int8_conv_candidates(g_ctx, &d, &ep, algos), 0);
    CU_ASSERT_EQUAL(c8_cuda_int8_conv_packed_bytes(&d), -1);
    c8_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(c8_cuda_int8_conv_run(g_ctx, C8_CUDA_INT8_DP4A_128X128, &d, NULL, NULL, &ep,
                                          NULL, NULL, 0, g_stream, &err),
                    C8_ERR_UNSUPPORTED);
    CU_ASSERT(strstr(err.msg, "grouped") != NULL);
}

/* Gemm / FC: M, N, K off every tile size, both B layouts, all algorithms. */
static void test_gemm_sweep(void) {
    static const int64_t g[][3] = {{1, 1, 1},       {3, 7, 31},     {33, 129, 127}, {129, 33, 129},
                                   {200, 257, 300}, {1, 1000, 512}, {64, 64, 64},   {127, 65, 33},
                                   {257, 129, 1},   {300, 31, 2048}};
    int fails = 0;
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        c8_error err;
        memset(&err, 0, sizeof err);
        uint64_t seed = 0x6E000000u + i;
        c8t_rng rng = {seed};
        c8_int8_gemm_desc gd = {g[i][0], g[i][1], g[i][2], (int32_t)(i % 2)};
        epi_spec e = epi_for((int)i + 2);
        const int64_t kp = c8t_cpad(gd.k), np = c8t_cpad(gd.n);
        const size_t el = out_elem(e.out);
        int8_t *a = rand_i8(&rng, (size_t)(gd.m * gd.k)), *b = rand_i8(&rng, (size_t)(gd.n * gd.k));
        int8_t *res = e.residual ? rand_i8(&rng, (size_t)(gd.m * gd.n)) : NULL;
        host_epi he = make_host_epi(&e, gd.n, gd.k, &rng);
        c8_int8_epilogue ep_h = {e.out, e.bias ? he.bias : NULL, he.mult, res, he.res_mult, he.act};
        void *y_ref = malloc((size_t)(gd.m * gd.n) * el);
        c8_ref_int8_gemm(&gd, a, b, &ep_h, y_ref);
        /* device: a (M, Kp), B packed (Np, Kp), residual / y (M, Np) */
        int8_t *a_p = calloc((size_t)(gd.m * kp), 1), *r_p = NULL;
        for (int64_t r = 0; r < gd.m; r++) memcpy(a_p + r * kp, a + r * gd.k, (size_t)gd.k);
        if (res) {
            r_p = calloc((size_t)(gd.m * np), 1);
            for (int64_t r = 0; r < gd.m; r++) memcpy(r_p + r * np, res + r * gd.n, (size_t)gd.n);
        }
        int8_t *b_p = malloc((size_t)c8_cuda_int8_gemm_packed_bytes(&gd));
        CT_OK(c8_cuda_int8_pack_gemm_weights(&gd, b, b_p, &err), &err);
        void *da = dev_upload(a_p, (size_t)(gd.m * kp));
        void *dbw = dev_upload(b_p, (size_t)c8_cuda_int8_gemm_packed_bytes(&gd));
        void *dbias = dev_upload(he.bias, (size_t)gd.n * 4),
             *dm = dev_upload(he.mult, (size_t)gd.n * 4);
        void *dr = r_p ? dev_upload(r_p, (size_t)(gd.m * np)) : NULL;
        c8_int8_epilogue ep_d = {e.out, e.bias ? dbias : NULL, dm, dr, he.res_mult, he.act};
        int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
        int n_algos = c8_cuda_int8_gemm_candidates(g_ctx, &gd, &ep_d, algos);
        CU_ASSERT(n_algos >= dense_min_algos());
        size_t ws_bytes = 0;
        for (int j = 0; j < n_algos; j++) {
            size_t wsb = c8_cuda_int8_gemm_workspace_bytes(g_ctx, algos[j], &gd);
            if (wsb > ws_bytes) ws_bytes = wsb;
        }
        void *ws = NULL;
        if (ws_bytes) CT_CUDA(cudaMalloc(&ws, ws_bytes));
        gbuf y = gbuf_alloc((size_t)(gd.m * np) * el);
        void *y_host = malloc((size_t)(gd.m * np) * el), *y_c = malloc((size_t)(gd.m * gd.n) * el);
        for (int j = 0; j < n_algos; j++) {
            char what[200];
            snprintf(what, sizeof what, "gemm %s m%lld n%lld k%lld %s out=%s act=%s res=%d",
                     c8_cuda_int8_algo_name(algos[j]), (long long)gd.m, (long long)gd.n,
                     (long long)gd.k, gd.b_layout ? "KN" : "NK", kOutNames[e.out], kActNames[e.act],
                     e.residual);
            gbuf_poison(&y);
            c8_status st = c8_cuda_int8_gemm_run(g_ctx, algos[j], &gd, da, dbw, &ep_d, y.body, ws,
                                                 ws_bytes, g_stream, &err);
            if (st == C8_OK && cudaStreamSynchronize(g_stream) != cudaSuccess)
                st = c8_err(&err, C8_ERR_DEVICE, "%s", cudaGetErrorString(cudaGetLastError()));
            if (st != C8_OK) {
                printf("\n  %s: %s", what, err.msg);
                fails++;
                continue;
            }
            CT_CUDA(cudaMemcpy(y_host, y.body, (size_t)(gd.m * np) * el, cudaMemcpyDeviceToHost));
            int ok = gbuf_guards_ok(&y) && host_pad_is_zero((int)el, gd.m, gd.n, y_host);
            if (!ok) printf("\n  %s: guard or pad bytes wrong", what);
            for (int64_t r = 0; r < gd.m; r++)
                memcpy((char *)y_c + (size_t)(r * gd.n) * el,
                       (char *)y_host + (size_t)(r * np) * el, (size_t)gd.n * el);
            long bad = e.act == C8_QACT_SIGMOID
                           ? compare_sigmoid((size_t)(gd.m * gd.n), y_c, y_ref, what, seed, (int)el)
                           : compare_exact((int)el, (size_t)(gd.m * gd.n), y_c, y_ref, what, seed);
            fails += (!ok || bad);
        }
        gbuf_free(&y);
        cudaFree(ws);
        cudaFree(da);
        cudaFree(dbw);
        cudaFree(dbias);
        cudaFree(dm);
        if (dr) cudaFree(dr);
        free(y_host);
        free(y_c);
        free(y_ref);
        free(a);
        free(b);
        free(res);
        free(a_p);
        free(r_p);
        free(b_p);
        free(he.bias);
        free(he.mult);
    }
    CU_ASSERT_EQUAL(fails, 0);
}

/* The timing API: every candidate of a real shape runs, times are positive, best is valid. */
static void test_conv_timing(void) {
    c8_error err;
    memset(&err, 0, sizeof err);
    conv_case cc = {8, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 0};
    c8_conv2d_desc d = make_desc(&cc);
    float one = 1.0f;
    c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &one, NULL, 0.0f, {C8_QACT_RELU, 0, 0, 0}};
    int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
    int n = c8_cuda_int8_conv_candidates(g_ctx, &d, &ep, algos);
    CU_ASSERT_FATAL(n >= dense_min_algos());
    c8_cuda_int8_timing t[C8_CUDA_INT8_ALGO_COUNT];
    CT_OK(c8_cuda_int8_conv_time(g_ctx, &d, &ep, algos, n, 2, 5, g_stream, t, &err), &err);
    for (int i = 0; i < n; i++) {
        printf("\n    %-28s %8.4f ms (min %8.4f)", t[i].name, (double)t[i].ms_median,
               (double)t[i].ms_min);
        CU_ASSERT_EQUAL(t[i].status, C8_OK);
        CU_ASSERT(t[i].ms_median > 0.0f && t[i].ms_min <= t[i].ms_median);
    }
    int best = c8_cuda_int8_timing_best(t, n);
    CU_ASSERT(best >= 0 && best < n);
}

static const c8_test_case kCases[] = {
    {"conv_cutlass", test_conv_cutlass},
    {"conv_cutlass_sm90", test_conv_cutlass_sm90},
    {"conv_smallc", test_conv_smallc},
    {"conv_s2d", test_conv_s2d},
    {"conv_dense_sweep", test_conv_dense_sweep},
    {"conv_epilogues", test_conv_epilogues},
    {"conv_depthwise", test_conv_depthwise},
    {"conv_grouped_unsupported", test_conv_grouped_unsupported},
    {"gemm_sweep", test_gemm_sweep},
    {"conv_timing", test_conv_timing},
};

int main(void) {
    /* the kernels written without a GPU at hand run here first (docs/cuda.md) */
    setenv("C8_CUDA_UNVERIFIED", "1", 1);
    return c8t_cuda_main("cuda_int8_conv", kCases, (int)(sizeof kCases / sizeof kCases[0]));
}
