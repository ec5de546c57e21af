/* Tests for the FP32 reference kernels (kernels/ref/): each kernel against an independent float64
 * reference written here (direct convolution; scatter-form transposed convolution; pooling over
 * an explicitly padded copy; explicit transposes for Gemm), hand-worked small cases, and shape
 * sweeps over odd channel counts, strides, asymmetric pads, dilations, groups and 1-D/3-D. */
#include "c8test.h"
#include "ref64.h"

#include "util/shape.h"
#include "kernels/ref/ref.h"

#include <math.h>

/* ---- convolution ---- */

/* 3x3 conv on a 4x4 input, worked by hand. x = 1..16 row-major. */
static void test_conv_hand(void) {
    float x[16], y[16];
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    c8_conv_desc d = {.N = 1,
                      .C = 1,
                      .K = 1,
                      .group = 1,
                      .nsp = 2,
                      .in = {4, 4},
                      .out = {2, 2},
                      .kernel = {3, 3},
                      .stride = {1, 1},
                      .dilation = {1, 1}};
    c8_ref_conv(&d, x, ones, NULL, y);
    /* window sums: 1+2+3+5+6+7+9+10+11 = 54, then +9 per step right, +36 per step down */
    CU_ASSERT_EQUAL(y[0], 54.0f);
    CU_ASSERT_EQUAL(y[1], 63.0f);
    CU_ASSERT_EQUAL(y[2], 90.0f);
    CU_ASSERT_EQUAL(y[3], 99.0f);
    /* Sobel-x: each row contributes (x[c] - x[c+2]) * {1,2,1} = -2 * 4 = -8; bias 0.5 */
    const float sobel[9] = {1, 0, -1, 2, 0, -2, 1, 0, -1};
    const float bias = 0.5f;
    c8_ref_conv(&d, x, sobel, &bias, y);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(y[i], -7.5f);
    /* pads 1 on every side: 4x4 output; corner (0,0) sees 1+2+5+6 = 14, (0,1) 1+2+3+5+6+7 = 24,
     * centre (1,1) = 54 */
    d.out[0] = d.out[1] = 4;
    d.pad_begin[0] = d.pad_begin[1] = d.pad_end[0] = d.pad_end[1] = 1;
    c8_ref_conv(&d, x, ones, NULL, y);
    CU_ASSERT_EQUAL(y[0], 14.0f);
    CU_ASSERT_EQUAL(y[1], 24.0f);
    CU_ASSERT_EQUAL(y[5], 54.0f);
    CU_ASSERT_EQUAL(y[15], 11.0f + 12 + 15 + 16);
    /* stride 2, dilation 2 on 1-D x = 1..7, w = {1, 10}: taps (0,2), (2,4), (4,6) ->
     * 1+30 = 31, 3+50 = 53, 5+70 = 75 */
    c8_conv_desc d1 = {.N = 1,
                       .C = 1,
                       .K = 1,
                       .group = 1,
                       .nsp = 1,
                       .in = {7},
                       .out = {3},
                       .kernel = {2},
                       .stride = {2},
                       .dilation = {2}};
    const float w1[2] = {1, 10};
    float y1[3];
    c8_ref_conv(&d1, x, w1, NULL, y1);
    CU_ASSERT_EQUAL(y1[0], 31.0f);
    CU_ASSERT_EQUAL(y1[1], 53.0f);
    CU_ASSERT_EQUAL(y1[2], 75.0f);
}

typedef struct conv_cfg {
    int nsp;
    int64_t N, C, K, group;
    int64_t in[3], kernel[3], stride[3], dilation[3], pb[3], pe[3];
} conv_cfg;

static void run_conv_case(const conv_cfg *c, uint64_t seed) {
    c8t_rng r = {seed};
    c8_conv_desc d = {.N = c->N, .C = c->C, .K = c->K, .group = c->group, .nsp = c->nsp};
    c8_error err = {0};
    for (int a = 0; a < c->nsp; a++) {
        d.in[a] = c->in[a];
        d.kernel[a] = c->kernel[a];
        d.stride[a] = c->stride[a];
        d.dilation[a] = c->dilation[a];
        d.pad_begin[a] = c->pb[a];
        d.pad_end[a] = c->pe[a];
        CU_ASSERT_EQUAL_FATAL(c8_window_extent(a, d.in[a], d.kernel[a], d.stride[a], d.dilation[a],
                                               C8_AUTO_PAD_NOTSET, false, &d.pad_begin[a],
                                               &d.pad_end[a], &d.out[a], &err),
                              C8_OK);
    }
    const int64_t nx = d.N * d.C * prod(d.in, d.nsp);
    const int64_t nw = d.K * (d.C / d.group) * prod(d.kernel, d.nsp);
    const int64_t ny = d.N * d.K * prod(d.out, d.nsp);
    float *x = frand(&r, nx, -1, 1), *w = frand(&r, nw, -1, 1), *b = frand(&r, d.K, -1, 1);
    float *y = falloc(ny);
    double *ref = dalloc(ny), *tol = dalloc(ny);
    int64_t nterms;
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        c8_ref_conv(&d, x, w, with_bias ? b : NULL, y);
        conv64(&d, x, w, with_bias ? b : NULL, ref, tol, &nterms);
        for (int64_t i = 0; i < ny; i++) tol[i] *= (double)(nterms + SUM_SLACK) * U32;
        char what[160];
        snprintf(what, sizeof what, "conv %dD N%lld C%lld K%lld g%lld bias%d", c->nsp,
                 (long long)c->N, (long long)c->C, (long long)c->K, (long long)c->group, with_bias);
        check_close(what, seed, y, ref, tol, ny);
    }
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
    free(tol);
}

static void test_conv_sweep(void) {
    const conv_cfg cfgs[] = {
        /* nsp N  C   K   g    in          kernel     stride     dilation   pb         pe */
        {2, 1, 1, 1, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}},
        {2, 2, 3, 7, 1, {7, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 1}},
        {2, 1, 31, 33, 1, {5, 4}, {3, 2}, {1, 2}, {2, 1}, {2, 0}, {1, 1}},
        {2, 1, 33, 33, 33, {7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}}, /* depthwise */
        {2, 1, 7, 14, 7, {5, 6}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}},   /* dw multiplier 2 */
        {2, 2, 6, 9, 3, {6, 5}, {2, 3}, {1, 2}, {1, 1}, {0, 1}, {1, 0}},    /* groups 3 */
        {2, 1, 3, 1, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}},    /* 1x1 on 1x1 */
        {2, 1, 3, 5, 1, {2, 2}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}},    /* kernel > input */
        {1, 2, 3, 7, 1, {31}, {5}, {2}, {1}, {2}, {1}},
        {1, 1, 4, 6, 2, {33}, {3}, {3}, {2}, {0}, {4}},
        {1, 1, 1, 1, 1, {7}, {7}, {1}, {1}, {0}, {0}},
        {3, 1, 3, 4, 1, {5, 4, 6}, {3, 2, 3}, {1, 2, 2}, {1, 1, 2}, {1, 0, 2}, {1, 1, 0}},
        {3, 2, 4, 4, 4, {3, 5, 5}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}},
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) run_conv_case(&cfgs[i], 1000 + i);
}

static void run_convt_case(const conv_cfg *c, const int64_t *outpad, uint64_t seed) {
    c8t_rng r = {seed};
    c8_conv_desc d = {.N = c->N, .C = c->C, .K = c->K, .group = c->group, .nsp = c->nsp};
    for (int a = 0; a < c->nsp; a++) {
        d.in[a] = c->in[a];
        d.kernel[a] = c->kernel[a];
        d.stride[a] = c->stride[a];
        d.dilation[a] = c->dilation[a];
        d.pad_begin[a] = c->pb[a];
        d.pad_end[a] = c->pe[a];
        d.out[a] = c->stride[a] * (c->in[a] - 1) + outpad[a] + (c->kernel[a] - 1) * c->dilation[a] +
                   1 - c->pb[a] - c->pe[a];
    }
    const int64_t nx = d.N * d.C * prod(d.in, d.nsp);
    const int64_t nw = d.C * (d.K / d.group) * prod(d.kernel, d.nsp);
    const int64_t ny = d.N * d.K * prod(d.out, d.nsp);
    float *x = frand(&r, nx, -1, 1), *w = frand(&r, nw, -1, 1), *b = frand(&r, d.K, -1, 1);
    float *y = falloc(ny);
    double *ref = dalloc(ny), *tol = dalloc(ny);
    /* at most C/group * kernel taps reach one output element */
    const int64_t nterms = (d.C / d.group) * prod(d.kernel, d.nsp) + 1;
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        c8_ref_conv_transpose(&d, x, w, with_bias ? b : NULL, y);
        convt64(&d, x, w, with_bias ? b : NULL, ref, tol);
        for (int64_t i = 0; i < ny; i++) tol[i] *= (double)(nterms + SUM_SLACK) * U32;
        char what[160];
        snprintf(what, sizeof what, "convT %dD C%lld K%lld g%lld bias%d", c->nsp, (long long)c->C,
                 (long long)c->K, (long long)c->group, with_bias);
        check_close(what, seed, y, ref, tol, ny);
    }
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
    free(tol);
}

static void test_convt_sweep(void) {
    const conv_cfg cfgs[] = {
        {2, 1, 1, 1, 1, {3, 3}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}},
        {2, 2, 3, 7, 1, {4, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 1}},
        {2, 1, 6, 9, 3, {3, 4}, {2, 3}, {3, 2}, {2, 1}, {0, 1}, {1, 0}},
        {2, 1, 7, 7, 7, {5, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}},
        {1, 2, 3, 5, 1, {7}, {4}, {3}, {2}, {2}, {1}},
        {3, 1, 2, 3, 1, {2, 3, 3}, {2, 3, 2}, {2, 1, 2}, {1, 2, 1}, {0, 1, 1}, {1, 0, 0}},
    };
    const int64_t outpads[][3] = {{0, 0}, {1, 0}, {2, 1}, {1, 1}, {1}, {1, 0, 1}};
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
        run_convt_case(&cfgs[i], outpads[i], 2000 + i);
    /* hand case: 1-D, x = {1, 2}, w = {1, 10, 100}, stride 2: y = {1, 10, 102, 20, 200} */
    c8_conv_desc d = {.N = 1,
                      .C = 1,
                      .K = 1,
                      .group = 1,
                      .nsp = 1,
                      .in = {2},
                      .out = {5},
                      .kernel = {3},
                      .stride = {2},
                      .dilation = {1}};
    const float x[2] = {1, 2}, w[3] = {1, 10, 100};
    float y[5];
    c8_ref_conv_transpose(&d, x, w, NULL, y);
    const float want[5] = {1, 10, 102, 20, 200};
    CU_ASSERT_EQUAL(memcmp(y, want, sizeof want), 0);
}

/* ---- pooling ---- */

typedef struct pool_cfg {
    int nsp;
    int64_t N, C;
    int64_t in[3], kernel[3], stride[3], dilation[3], pb[3], pe[3];
    bool ceil;
} pool_cfg;

static void run_pool_case(const pool_cfg *c, uint64_t seed) {
    c8t_rng r = {seed};
    c8_pool_desc d = {.N = c->N, .C = c->C, .nsp = c->nsp};
    c8_error err = {0};
    for (int a = 0; a < c->nsp; a++) {
        d.in[a] = c->in[a];
        d.kernel[a] = c->kernel[a];
        d.stride[a] = c->stride[a];
        d.dilation[a] = c->dilation[a];
        d.pad_begin[a] = c->pb[a];
        d.pad_end[a] = c->pe[a];
        CU_ASSERT_EQUAL_FATAL(c8_window_extent(a, d.in[a], d.kernel[a], d.stride[a], d.dilation[a],
                                               C8_AUTO_PAD_NOTSET, c->ceil, &d.pad_begin[a],
                                               &d.pad_end[a], &d.out[a], &err),
                              C8_OK);
    }
    const int64_t nx = d.N * d.C * prod(d.in, d.nsp), ny = d.N * d.C * prod(d.out, d.nsp);
    float *x = frand(&r, nx, -4, 4), *y = falloc(ny);
    double *ref = dalloc(ny), *tol = dalloc(ny);
    const int64_t ktaps = prod(d.kernel, d.nsp);
    for (int mode = 0; mode < 3; mode++) { /* max, avg, avg count_include_pad */
        d.count_include_pad = mode == 2;
        if (mode == 0)
            c8_ref_maxpool(&d, x, y);
        else
            c8_ref_avgpool(&d, x, y);
        pool64(&d, x, mode == 0, ref);
        for (int64_t i = 0; i < ny; i++) /* max is exact; mean: sum of <= ktaps terms of |x|<=4 */
            tol[i] = mode == 0 ? 0.0 : (double)(ktaps + SUM_SLACK) * U32 * 4.0;
        char what[128];
        snprintf(what, sizeof what, "pool %dD mode %d ceil %d", c->nsp, mode, c->ceil);
        check_close(what, seed, y, ref, tol, ny);
    }
    free(x);
    free(y);
    free(ref);
    free(tol);
}

static void test_pool_sweep(void) {
    const pool_cfg cfgs[] = {
        {2, 1, 1, {4, 4}, {3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, true},
        {2, 2, 3, {7, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 1}, false},
        {2, 1, 7, {7, 6}, {3, 2}, {2, 3}, {1, 1}, {1, 0}, {1, 1}, true},
        {2, 1, 3, {8, 9}, {2, 3}, {2, 2}, {2, 2}, {1, 1}, {0, 1}, true},
        {2, 1, 31, {5, 5}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, false},
        {1, 2, 3, {33}, {3}, {2}, {1}, {1}, {1}, true},
        {1, 1, 1, {5}, {2}, {2}, {1}, {1}, {1}, true},
        {1, 1, 2, {31}, {4}, {3}, {2}, {2}, {0}, true},
        {3, 1, 3, {5, 4, 7}, {2, 3, 3}, {2, 1, 2}, {1, 1, 1}, {1, 1, 0}, {0, 1, 1}, true},
        {3, 1, 2, {3, 3, 3}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, false},
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) run_pool_case(&cfgs[i], 3000 + i);
}

static void test_pool_hand(void) {
    /* ONNX test_maxpool_2d_ceil: 4x4 of 1..16, k3 s2 ceil -> [[11, 12], [15, 16]] */
    float x[16], y[4];
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    c8_pool_desc d = {.N = 1,
                      .C = 1,
                      .nsp = 2,
                      .in = {4, 4},
                      .out = {2, 2},
                      .kernel = {3, 3},
                      .stride = {2, 2},
                      .dilation = {1, 1}};
    c8_ref_maxpool(&d, x, y);
    CU_ASSERT_EQUAL(y[0], 11.0f);
    CU_ASSERT_EQUAL(y[1], 12.0f);
    CU_ASSERT_EQUAL(y[2], 15.0f);
    CU_ASSERT_EQUAL(y[3], 16.0f);
    /* ... and AveragePool: windows {1,2,3,5,6,7,9,10,11} = 6, {3,4,7,8,11,12} = 7.5,
     * {9,10,11,13,14,15} = 12, {11,12,15,16} = 13.5 */
    c8_ref_avgpool(&d, x, y);
    CU_ASSERT_EQUAL(y[0], 6.0f);
    CU_ASSERT_EQUAL(y[1], 7.5f);
    CU_ASSERT_EQUAL(y[2], 12.0f);
    CU_ASSERT_EQUAL(y[3], 13.5f);
    /* 1-D x = {1, 2, 3}, k2 s2 pads 1+1: windows [pad, 1] and [2, 3]:
     * count_include_pad 0 -> {1, 2.5}; 1 -> {0.5, 2.5} */
    c8_pool_desc d1 = {.N = 1,
                       .C = 1,
                       .nsp = 1,
                       .in = {3},
                       .out = {2},
                       .kernel = {2},
                       .stride = {2},
                       .dilation = {1},
                       .pad_begin = {1},
                       .pad_end = {1}};
    float y1[2];
    c8_ref_avgpool(&d1, x, y1);
    CU_ASSERT_EQUAL(y1[0], 1.0f);
    CU_ASSERT_EQUAL(y1[1], 2.5f);
    d1.count_include_pad = true;
    c8_ref_avgpool(&d1, x, y1);
    CU_ASSERT_EQUAL(y1[0], 0.5f);
    CU_ASSERT_EQUAL(y1[1], 2.5f);
    /* ceil_mode without pads: {1, 2, 3}, k2 s2 -> windows [1, 2] and [3, overhang]: the overhang
     * is never counted, with or without count_include_pad (PyTorch gives {1.5, 3}) */
    c8_pool_desc d2 = {.N = 1,
                       .C = 1,
                       .nsp = 1,
                       .in = {3},
                       .out = {2},
                       .kernel = {2},
                       .stride = {2},
                       .dilation = {1}};
    for (int cip = 0; cip < 2; cip++) {
        d2.count_include_pad = cip;
        c8_ref_avgpool(&d2, x, y1);
        CU_ASSERT_EQUAL(y1[0], 1.5f);
        CU_ASSERT_EQUAL(y1[1], 3.0f);
    }
    /* NaN propagates through max; -inf stays a value */
    float xn[4] = {1.0f, NAN, -INFINITY, 2.0f};
    c8_pool_desc d3 = {.N = 1,
                       .C = 1,
                       .nsp = 1,
                       .in = {4},
                       .out = {2},
                       .kernel = {2},
                       .stride = {2},
                       .dilation = {1}};
    c8_ref_maxpool(&d3, xn, y1);
    CU_ASSERT_TRUE(isnan(y1[0]));
    CU_ASSERT_EQUAL(y1[1], 2.0f);
    c8_ref_global_maxpool(1, 4, xn, y1);
    CU_ASSERT_TRUE(isnan(y1[0]));
}

static void test_global_pool(void) {
    c8t_rng r = {4000};
    const int64_t nc = 7, s = 33;
    float *x = frand(&r, nc * s, -3, 3), y[7];
    double ref[7], tol[7];
    c8_ref_global_avgpool(nc, s, x, y);
    for (int64_t i = 0; i < nc; i++) {
        double sum = 0;
        for (int64_t j = 0; j < s; j++) sum += x[i * s + j];
        ref[i] = sum / (double)s;
        tol[i] = (double)(s + SUM_SLACK) * U32 * 3.0;
    }
    check_close("global avgpool", 4000, y, ref, tol, nc);
    c8_ref_global_maxpool(nc, s, x, y);
    for (int64_t i = 0; i < nc; i++) {
        float m = -INFINITY;
        for (int64_t j = 0; j < s; j++) m = x[i * s + j] > m ? x[i * s + j] : m;
        CU_ASSERT_EQUAL(y[i], m);
    }
    free(x);
}

/* ---- Gemm / MatMul ---- */

static void test_gemm_combos(void) {
    const int64_t sizes[][3] = {{1, 1, 1}, {3, 7, 5}, {7, 3, 33}, {33, 31, 7}, {4, 1, 9}};
    /* C forms: none, scalar (1x1), row (N), row (1, N), column (M, 1), full (M, N) */
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int64_t M = sizes[si][0], N = sizes[si][1], K = sizes[si][2];
        const uint64_t seed = 5000 + si;
        c8t_rng r = {seed};
        float *a = frand(&r, M * K, -1, 1), *b = frand(&r, K * N, -1, 1);
        float *c = frand(&r, M * N, -1, 1), *y = falloc(M * N);
        double *ref = dalloc(M * N), *tol = dalloc(M * N);
        const float alphas[] = {1.0f, 0.5f, -2.25f}, betas[] = {1.0f, 0.0f, 3.5f};
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int ab = 0; ab < 3; ab++)
                    for (int cf = 0; cf < 6; cf++) {
                        const int64_t cr[] = {0, 1, 1, 1, M, M}, cc[] = {0, 1, N, N, 1, N};
                        c8_gemm_desc d = {M, N, K, ta, tb, alphas[ab], betas[ab], cr[cf], cc[cf]};
                        c8_ref_gemm(&d, a, b, cf ? c : NULL, y);
                        for (int64_t i = 0; i < M; i++)
                            for (int64_t j = 0; j < N; j++) {
                                double acc = 0, as = 0;
                                for (int64_t k = 0; k < K; k++) {
                                    /* a holds op(a) in the layout the flag implies */
                                    const double av = ta ? a[k * M + i] : a[i * K + k];
                                    const double bv = tb ? b[j * K + k] : b[k * N + j];
                                    acc += av * bv;
                                    as += fabs(av * bv);
                                }
                                double v = (double)d.alpha * acc;
                                double t = fabs((double)d.alpha) * as;
                                if (cf) {
                                    const double cv =
                                        c[(cr[cf] == 1 ? 0 : i) * cc[cf] + (cc[cf] == 1 ? 0 : j)];
                                    v += (double)d.beta * cv;
                                    t += fabs((double)d.beta * cv);
                                }
                                ref[i * N + j] = v;
                                tol[i * N + j] = (double)(K + SUM_SLACK) * U32 * t;
                            }
                        char what[128];
                        snprintf(what, sizeof what, "gemm %lldx%lldx%lld tA%d tB%d ab%d C%d",
                                 (long long)M, (long long)N, (long long)K, ta, tb, ab, cf);
                        check_close(what, seed, y, ref, tol, M * N);
                    }
        /* MatMul kernel = Gemm without scaling, bit for bit */
        float *y2 = falloc(M * N);
        c8_gemm_desc d = {M, N, K, false, false, 1.0f, 1.0f, 0, 0};
        c8_ref_gemm(&d, a, b, NULL, y);
        c8_ref_matmul(M, N, K, a, b, y2);
        CU_ASSERT_EQUAL(memcmp(y, y2, (size_t)(M * N) * sizeof(float)), 0);
        free(y2);
        free(a);
        free(b);
        free(c);
        free(y);
        free(ref);
        free(tol);
    }
    /* hand case: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]]; alpha 2, C = 1 (scalar),
     * beta -1 -> [[37,43],[85,99]] */
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, one = 1.0f;
    float y[4];
    c8_gemm_desc d = {2, 2, 2, false, false, 2.0f, -1.0f, 1, 1};
    c8_ref_gemm(&d, a, b, &one, y);
    CU_ASSERT_EQUAL(y[0], 37.0f);
    CU_ASSERT_EQUAL(y[1], 43.0f);
    CU_ASSERT_EQUAL(y[2], 85.0f);
    CU_ASSERT_EQUAL(y[3], 99.0f);
}

/* ---- BatchNorm, LRN, Softmax ---- */

static void test_batchnorm(void) {
    c8t_rng r = {6000};
    const int64_t N = 2, C = 7, S = 31;
    float *x = frand(&r, N * C * S, -5, 5), *sc = frand(&r, C, -2, 2), *bi = frand(&r, C, -1, 1);
    float *mu = frand(&r, C, -1, 1), *var = frand(&r, C, 0.0f, 3.0f), *y = falloc(N * C * S);
    double *ref = dalloc(N * C * S), *tol = dalloc(N * C * S);
    var[0] = 0.0f; /* epsilon alone keeps the denominator positive */
    c8_bn_desc d = {N, C, S, 1e-5f};
    c8_ref_batchnorm(&d, x, sc, bi, mu, var, y);
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < S; i++) {
                const int64_t at = (n * C + c) * S + i;
                const double den = sqrt((double)var[c] + (double)d.epsilon);
                const double t = ((double)x[at] - mu[c]) / den * sc[c];
                ref[at] = t + bi[c];
                /* five float32 roundings on the scaled term plus the final add */
                tol[at] = 8 * U32 * (fabs(t) + fabs((double)bi[c])) +
                          4 * U32 * fabs((double)mu[c] / den * sc[c]);
            }
    check_close("batchnorm", 6000, y, ref, tol, N * C * S);
    free(x);
    free(sc);
    free(bi);
    free(mu);
    free(var);
    free(y);
    free(ref);
    free(tol);
}

static void test_lrn(void) {
    c8t_rng r = {7000};
    const int64_t N = 2, C = 7, S = 5;
    float *x = frand(&r, N * C * S, -3, 3), *y = falloc(N * C * S);
    double *ref = dalloc(N * C * S), *tol = dalloc(N * C * S);
    for (int64_t size = 1; size <= 6; size++) {
        c8_lrn_desc d = {N, C, S, size, 0.3f, 0.75f, 1.5f};
        c8_ref_lrn(&d, x, y);
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t i = 0; i < S; i++) {
                    double sq = 0;
                    /* ONNX: channels c - floor((size-1)/2) .. c + ceil((size-1)/2) */
                    const int64_t lo = (int64_t)floor((size - 1) / 2.0);
                    const int64_t hi = (int64_t)ceil((size - 1) / 2.0);
                    for (int64_t k = c - lo; k <= c + hi; k++)
                        if (k >= 0 && k < C)
                            sq += (double)x[(n * C + k) * S + i] * x[(n * C + k) * S + i];
                    const int64_t at = (n * C + c) * S + i;
                    ref[at] = x[at] / pow(1.5 + 0.3 / (double)size * sq, 0.75);
                    tol[at] = TOL_TRANSC_REL * fabs(ref[at]);
                }
        char what[64];
        snprintf(what, sizeof what, "lrn size %lld", (long long)size);
        check_close(what, 7000, y, ref, tol, N * C * S);
    }
    /* hand case: one channel, size 1, alpha 1, beta 1, bias 1: y = x / (1 + x^2): 2 -> 0.4 */
    const float x1 = 2.0f;
    float y1;
    c8_lrn_desc d1 = {1, 1, 1, 1, 1.0f, 1.0f, 1.0f};
    c8_ref_lrn(&d1, &x1, &y1);
    CU_ASSERT_DOUBLE_EQUAL(y1, 0.4, 1e-7);
    free(x);
    free(y);
    free(ref);
    free(tol);
}

static void test_softmax(void) {
    c8t_rng r = {8000};
    const int64_t shapes[][3] = {{1, 1, 1}, {3, 7, 1}, {2, 5, 3}, {1, 33, 4}, {4, 1, 7}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int64_t o = shapes[si][0], l = shapes[si][1], in = shapes[si][2], n = o * l * in;
        float *x = frand(&r, n, -20, 20), *y = falloc(n);
        double *ref = dalloc(n), *tol = dalloc(n);
        c8_ref_softmax(o, l, in, x, y);
        for (int64_t a = 0; a < o; a++)
            for (int64_t b = 0; b < in; b++) {
                double m = -INFINITY, s = 0;
                for (int64_t j = 0; j < l; j++) m = fmax(m, x[(a * l + j) * in + b]);
                for (int64_t j = 0; j < l; j++) s += exp(x[(a * l + j) * in + b] - m);
                for (int64_t j = 0; j < l; j++) {
                    const int64_t at = (a * l + j) * in + b;
                    ref[at] = exp(x[at] - m) / s;
                    tol[at] = TOL_TRANSC_REL * ref[at];
                }
            }
        check_close("softmax", 8000, y, ref, tol, n);
        free(x);
        free(y);
        free(ref);
        free(tol);
    }
    /* large inputs do not overflow: {1000, 1000} -> {0.5, 0.5}; {-1000, 0} -> {0, 1} */
    const float big[2] = {1000.0f, 1000.0f}, mixed[2] = {-1000.0f, 0.0f};
    float y[2];
    c8_ref_softmax(1, 2, 1, big, y);
    CU_ASSERT_EQUAL(y[0], 0.5f);
    CU_ASSERT_EQUAL(y[1], 0.5f);
    c8_ref_softmax(1, 2, 1, mixed, y);
    CU_ASSERT_EQUAL(y[0], 0.0f);
    CU_ASSERT_EQUAL(y[1], 1.0f);
}

/* ---- fused epilogue ---- */

static void test_epilogue(void) {
    c8t_rng r = {9000};
    const int64_t n = 129;
    float *y0 = frand(&r, n, -6, 6), *res = frand(&r, n, -6, 6), *y = falloc(n);
    double *ref = dalloc(n), *tol = dalloc(n);
    const c8_epilogue eps[] = {{C8_REF_ACT_NONE, 0, 0},          {C8_REF_ACT_RELU, 0, 0},
                               {C8_REF_ACT_CLIP, -1.5f, 2.0f},   {C8_REF_ACT_CLIP, 0.0f, 6.0f},
                               {C8_REF_ACT_LEAKY_RELU, 0.1f, 0}, {C8_REF_ACT_SIGMOID, 0, 0}};
    for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++)
        for (int with_res = 0; with_res < 2; with_res++) {
            memcpy(y, y0, (size_t)n * sizeof(float));
            c8_ref_epilogue(&eps[e], with_res ? res : NULL, y, n);
            for (int64_t i = 0; i < n; i++) {
                /* the residual add is one float32 rounding; do it in float as the spec says */
                const double v = with_res ? (double)(y0[i] + res[i]) : (double)y0[i];
                double w = v;
                switch (eps[e].act) {
                case C8_REF_ACT_RELU: w = v > 0 ? v : 0; break;
                case C8_REF_ACT_CLIP: w = fmin(fmax(v, eps[e].a), eps[e].b); break;
                case C8_REF_ACT_LEAKY_RELU: w = v < 0 ? (double)eps[e].a * v : v; break;
                case C8_REF_ACT_SIGMOID: w = 1.0 / (1.0 + exp(-v)); break;
                default: break;
                }
                ref[i] = w;
                tol[i] = eps[e].act == C8_REF_ACT_SIGMOID || eps[e].act == C8_REF_ACT_LEAKY_RELU
                             ? TOL_TRANSC_REL * fabs(w)
                             : 0.0;
            }
            char what[64];
            snprintf(what, sizeof what, "epilogue act %d residual %d", eps[e].act, with_res);
            check_close(what, 9000, y, ref, tol, n);
        }
    /* sigmoid at the extremes: no NaN, no overflow */
    CU_ASSERT_EQUAL(c8_ref_act(C8_REF_ACT_SIGMOID, 0, 0, -200.0f), 0.0f);
    CU_ASSERT_EQUAL(c8_ref_act(C8_REF_ACT_SIGMOID, 0, 0, 200.0f), 1.0f);
    CU_ASSERT_EQUAL(c8_ref_act(C8_REF_ACT_SIGMOID, 0, 0, 0.0f), 0.5f);
    CU_ASSERT_TRUE(isnan(c8_ref_act(C8_REF_ACT_RELU, 0, 0, NAN)));
    CU_ASSERT_EQUAL(c8_ref_act(C8_REF_ACT_LEAKY_RELU, 0.25f, 0, -4.0f), -1.0f);
    free(y0);
    free(res);
    free(y);
    free(ref);
    free(tol);
}

static const c8_test_case cases[] = {
    {"conv_hand", test_conv_hand},
    {"conv_sweep", test_conv_sweep},
    {"convt_sweep", test_convt_sweep},
    {"pool_sweep", test_pool_sweep},
    {"pool_hand", test_pool_hand},
    {"global_pool", test_global_pool},
    {"gemm_combos", test_gemm_combos},
    {"batchnorm", test_batchnorm},
    {"lrn", test_lrn},
    {"softmax", test_softmax},
    {"epilogue", test_epilogue},
};
C8T_MAIN("ref_kernels", cases)
