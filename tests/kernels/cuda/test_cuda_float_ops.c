/* The CUDA backend's float kernels with fast paths for dense layouts (kernels/cuda/cu_kernels.cu)
 * called directly, against the CPU references (kernels/ref/pool.c, norm.c, fp16.c): MaxPool /
 * AveragePool over dense NCHW float32 and dense channels-last FP16 / FP32, GlobalAveragePool over
 * channels-last, float32 NCHW -> FP16 NHWC for 1-4 channels, and Softmax over long rows. Pooling
 * and conversions must match bit for bit (NaN, +-0 ties, windows in the padding, ceil mode,
 * dilation, count_include_pad, windows of more than 9 taps); Softmax within 5e-7 relative per
 * element (CUDA's expf differs from glibc's by up to 2 ulp), NaN rows NaN. The backend suite
 * (test_backend_ops) compares whole graphs within tolerances; this one proves the exact
 * contracts the kernels' comments state. Exits 77 without a GPU. */
#include "kernels/cuda/cu_kernels.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/ref.h"
#include "tests/kernels/cuda/cuda_test_util.h"

#include <math.h>

static c8_error g_err;

static c8cu_view view4(void *p, int type, const int64_t dims[4], int nhwc) {
    c8cu_view v;
    memset(&v, 0, sizeof v);
    v.data = p;
    v.type = type;
    v.rank = 4;
    const int64_t n = dims[0], c = dims[1], h = dims[2], w = dims[3];
    (void)n;
    memcpy(v.dims, dims, 4 * sizeof(int64_t));
    if (nhwc) {
        v.strides[0] = h * w * c, v.strides[1] = 1, v.strides[2] = w * c, v.strides[3] = c;
    } else {
        v.strides[0] = c * h * w, v.strides[1] = h * w, v.strides[2] = w, v.strides[3] = 1;
    }
    return v;
}

/* values with repeats, signed zeros and a few NaN (every 97th), so ties and NaN rules matter */
static void fill_values(c8t_rng *r, float *x, size_t n, int with_nan) {
    for (size_t i = 0; i < n; i++) {
        const float u = c8t_uniform(r, -4.0f, 4.0f);
        x[i] = i % 5 == 0 ? 0.0f : i % 7 == 0 ? -0.0f : roundf(u * 8.0f) / 8.0f;
        if (with_nan && i % 97 == 13) x[i] = NAN;
    }
}

static void nchw_to_nhwc_f(int64_t n, int64_t c, int64_t hw, const float *src, float *dst) {
    for (int64_t b = 0; b < n; b++)
        for (int64_t k = 0; k < c; k++)
            for (int64_t p = 0; p < hw; p++) dst[(b * hw + p) * c + k] = src[(b * c + k) * hw + p];
}

/* bit-pattern comparison of float32 outputs (any NaN equals any NaN) */
static long cmp_f32(size_t n, const float *got, const float *want, const char *what) {
    long bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a, b;
        memcpy(&a, &got[i], 4);
        memcpy(&b, &want[i], 4);
        if (a == b || (got[i] != got[i] && want[i] != want[i])) continue;
        if (bad++ < 3)
            printf("\n  %s: [%zu] got %a (0x%08x), want %a (0x%08x)", what, i, (double)got[i], a,
                   (double)want[i], b);
    }
    return bad;
}

static long cmp_f16(size_t n, const uint16_t *got, const uint16_t *want, const char *what) {
    long bad = 0;
    for (size_t i = 0; i < n; i++) {
        const bool nan_g = (got[i] & 0x7c00u) == 0x7c00u && (got[i] & 0x3ffu);
        const bool nan_w = (want[i] & 0x7c00u) == 0x7c00u && (want[i] & 0x3ffu);
        if (got[i] == want[i] || (nan_g && nan_w)) continue;
        if (bad++ < 3) printf("\n  %s: [%zu] got 0x%04x, want 0x%04x", what, i, got[i], want[i]);
    }
    return bad;
}

/* ---- pooling ---- */
typedef struct fpool_case {
    int64_t n, c, h, w, k, stride, pad, dil;
    int ceil_mode, cip;
} fpool_case;

static const fpool_case kFPools[] = {
    {2, 16, 14, 14, 3, 2, 1, 1, 0, 0}, /* ResNet's 3x3/2 */
    {1, 8, 9, 11, 2, 2, 0, 1, 0, 0},   {1, 24, 13, 13, 3, 2, 1, 1, 1, 0},
    {2, 8, 7, 7, 3, 1, 1, 1, 0, 1},    {1, 16, 17, 17, 5, 3, 2, 1, 1, 0}, /* 25 taps */
    {1, 8, 12, 12, 4, 4, 0, 1, 0, 0},  /* 16 taps: the loop path of the NCHW kernel */
    {1, 32, 10, 10, 3, 1, 2, 2, 0, 0}, /* dilated (MaxPool only) */
    {3, 8, 3, 3, 3, 1, 3, 1, 0, 1},    /* windows wholly in the padding */
};

static int64_t fpool_out(int64_t in, int64_t pad, int64_t k, int64_t st, int64_t dil, int ceil) {
    const int64_t span = dil * (k - 1) + 1;
    if (!ceil) return (in + 2 * pad - span) / st + 1;
    int64_t o = (in + 2 * pad - span + st - 1) / st + 1;
    if ((o - 1) * st >= in + pad) o--;
    return o;
}

/* layout 0: float32 NCHW, 1: float32 NHWC, 2: FP16 NHWC */
static void run_fpool(const fpool_case *pc, int is_max, int layout, uint64_t seed) {
    const int64_t dil = is_max ? pc->dil : 1;
    const int64_t P = fpool_out(pc->h, pc->pad, pc->k, pc->stride, dil, pc->ceil_mode);
    const int64_t Q = fpool_out(pc->w, pc->pad, pc->k, pc->stride, dil, pc->ceil_mode);
    const int64_t xd[4] = {pc->n, pc->c, pc->h, pc->w}, yd[4] = {pc->n, pc->c, P, Q};
    const size_t xn = (size_t)(pc->n * pc->c * pc->h * pc->w), yn = (size_t)(pc->n * pc->c * P * Q);
    c8t_rng rng = {seed};
    float *x = malloc(xn * sizeof(float)), *y_ref = malloc(yn * sizeof(float));
    fill_values(&rng, x, xn, 1);
    if (layout == 2) c8_fp16_round_buf(x, xn); /* the FP16 input's values */
    c8_pool_desc d;
    memset(&d, 0, sizeof d);
    d.N = pc->n, d.C = pc->c, d.nsp = 2;
    d.in[0] = pc->h, d.in[1] = pc->w, d.out[0] = P, d.out[1] = Q;
    for (int k = 0; k < 2; k++) {
        d.kernel[k] = pc->k, d.stride[k] = pc->stride, d.dilation[k] = dil;
        d.pad_begin[k] = d.pad_end[k] = pc->pad;
    }
    d.count_include_pad = pc->cip;
    if (is_max)
        c8_ref_maxpool(&d, x, y_ref);
    else
        c8_ref_avgpool(&d, x, y_ref);
    const size_t es = layout == 2 ? 2 : 4;
    void *xh = malloc(xn * es), *yh = malloc(yn * es);
    float *tmp = malloc((xn > yn ? xn : yn) * sizeof(float));
    if (layout == 0) {
        memcpy(xh, x, xn * 4);
    } else {
        nchw_to_nhwc_f(pc->n, pc->c, pc->h * pc->w, x, tmp);
        if (layout == 1)
            memcpy(xh, tmp, xn * 4);
        else
            c8_fp16_from_f32_buf(tmp, xh, xn);
    }
    void *dx = dev_upload(xh, xn * es);
    gbuf y = gbuf_alloc(yn * es);
    gbuf_poison(&y);
    c8cu_pool2d pd = {pc->k,   pc->k,   pc->stride, pc->stride, dil,    dil,
                      pc->pad, pc->pad, pc->pad,    pc->pad,    is_max, pc->cip};
    const int type = layout == 2 ? C8CU_F16 : C8CU_F32;
    c8cu_view xv = view4(dx, type, xd, layout != 0), yv = view4(y.body, type, yd, layout != 0);
    CT_OK(c8cu_pool2d_run(&pd, &yv, &xv, g_stream, &g_err), &g_err);
    CT_CUDA(cudaStreamSynchronize(g_stream));
    CT_CUDA(cudaMemcpy(yh, y.body, yn * es, cudaMemcpyDeviceToHost));
    CU_ASSERT(gbuf_guards_ok(&y));
    char what[128];
    snprintf(what, sizeof what, "%s %s %lldx%lldx%lldx%lld k%lld s%lld p%lld d%lld ceil%d cip%d",
             is_max ? "maxpool" : "avgpool",
             layout == 0   ? "f32 NCHW"
             : layout == 1 ? "f32 NHWC"
                           : "f16 NHWC",
             (long long)pc->n, (long long)pc->c, (long long)pc->h, (long long)pc->w,
             (long long)pc->k, (long long)pc->stride, (long long)pc->pad, (long long)dil,
             pc->ceil_mode, pc->cip);
    if (layout == 0) {
        CU_ASSERT_EQUAL(cmp_f32(yn, yh, y_ref, what), 0);
    } else {
        float *want = malloc(yn * sizeof(float));
        nchw_to_nhwc_f(pc->n, pc->c, P * Q, y_ref, want);
        if (layout == 1) {
            CU_ASSERT_EQUAL(cmp_f32(yn, yh, want, what), 0);
        } else {
            uint16_t *w16 = malloc(yn * 2);
            c8_fp16_from_f32_buf(want, w16, yn);
            CU_ASSERT_EQUAL(cmp_f16(yn, yh, w16, what), 0);
            free(w16);
        }
        free(want);
    }
    gbuf_free(&y);
    cudaFree(dx);
    free(x);
    free(y_ref);
    free(xh);
    free(yh);
    free(tmp);
}

static void test_pools(void) {
    for (size_t i = 0; i < sizeof kFPools / sizeof kFPools[0]; i++)
        for (int layout = 0; layout < 3; layout++)
            for (int mx = 0; mx < 2; mx++) {
                if (!mx && kFPools[i].dil > 1) continue;
                run_fpool(&kFPools[i], mx, layout, 0x1100 + i * 8 + (uint64_t)(layout * 2 + mx));
            }
}

/* ---- GlobalAveragePool over channels-last (N, S, C) ---- */
static void test_global_avg(void) {
    /* S from 4096 on (k_global_avg_nhwc_block: a block's fixed tree, not the ascending order):
     * within float rounding of the exact mean instead of bit for bit */
    static const int64_t cases[][3] = {{2, 64, 49}, {3, 8, 1},      {1, 2048, 49}, {2, 16, 3136},
                                       {1, 40, 7},  {2, 96, 25600}, {1, 8, 4096}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int f16 = 0; f16 < 2; f16++) {
            const int64_t n = cases[i][0], c = cases[i][1], s = cases[i][2];
            if (!f16 && c % 4) continue;
            c8t_rng rng = {0x1200 + i * 2 + (uint64_t)f16};
            const size_t xn = (size_t)(n * c * s), yn = (size_t)(n * c), es = f16 ? 2 : 4;
            float *x = malloc(xn * 4), *xl = malloc(xn * 4), *want = malloc(yn * 4);
            fill_values(&rng, x, xn, 0);
            if (f16) c8_fp16_round_buf(x, xn);
            c8_ref_global_avgpool(n * c, s, x, want);
            nchw_to_nhwc_f(n, c, s, x, xl);
            void *xh = malloc(xn * es), *yh = malloc(yn * es);
            if (f16)
                c8_fp16_from_f32_buf(xl, xh, xn);
            else
                memcpy(xh, xl, xn * 4);
            void *dx = dev_upload(xh, xn * es);
            gbuf y = gbuf_alloc(yn * es);
            gbuf_poison(&y);
            c8cu_view xv, yv;
            memset(&xv, 0, sizeof xv);
            memset(&yv, 0, sizeof yv);
            xv.data = dx, xv.type = f16 ? C8CU_F16 : C8CU_F32, xv.rank = 3;
            xv.dims[0] = n, xv.dims[1] = c, xv.dims[2] = s;
            xv.strides[0] = s * c, xv.strides[1] = 1, xv.strides[2] = c;
            yv.data = y.body, yv.type = xv.type, yv.rank = 2;
            yv.dims[0] = n, yv.dims[1] = c, yv.strides[0] = c, yv.strides[1] = 1;
            CT_OK(c8cu_global_pool(0, &yv, &xv, g_stream, &g_err), &g_err);
            CT_CUDA(cudaStreamSynchronize(g_stream));
            CT_CUDA(cudaMemcpy(yh, y.body, yn * es, cudaMemcpyDeviceToHost));
            CU_ASSERT(gbuf_guards_ok(&y));
            char what[96];
            snprintf(what, sizeof what, "global avgpool %s %lldx%lldx%lld", f16 ? "f16" : "f32",
                     (long long)n, (long long)c, (long long)s);
            if (s >= 4096) { /* |got - mean| <= 1e-5 mean|x| (+ half an FP16 step) */
                long bad = 0;
                for (size_t k = 0; k < yn; k++) {
                    double sum = 0, mag = 0;
                    for (int64_t j = 0; j < s; j++) {
                        sum += x[k * (size_t)s + (size_t)j];
                        mag += fabs(x[k * (size_t)s + (size_t)j]);
                    }
                    const double exact = sum / (double)s,
                                 got = f16 ? c8_fp16_to_f32(((const uint16_t *)yh)[k])
                                           : ((const float *)yh)[k];
                    const double tol = 1e-5 * mag / (double)s + (f16 ? fabs(exact) / 2048 : 0);
                    if (!(fabs(got - exact) <= tol)) bad++;
                }
                if (bad) printf("\n  %s: %ld outputs off", what, bad);
                CU_ASSERT_EQUAL(bad, 0);
            } else if (f16) {
                uint16_t *w16 = malloc(yn * 2);
                c8_fp16_from_f32_buf(want, w16, yn);
                CU_ASSERT_EQUAL(cmp_f16(yn, yh, w16, what), 0);
                free(w16);
            } else {
                CU_ASSERT_EQUAL(cmp_f32(yn, yh, want, what), 0);
            }
            gbuf_free(&y);
            cudaFree(dx);
            free(x);
            free(xl);
            free(want);
            free(xh);
            free(yh);
        }
}

/* ---- float32 NCHW -> FP16 NHWC (an image input) ---- */
static void test_input_convert(void) {
    static const int64_t cases[][4] = {{2, 3, 16, 24}, {1, 1, 8, 8}, {3, 2, 4, 6},
                                       {2, 4, 2, 12},  {2, 3, 5, 7}, {1, 3, 224, 224}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t *d = cases[i];
        const size_t cnt = (size_t)(d[0] * d[1] * d[2] * d[3]);
        c8t_rng rng = {0x1300 + i};
        float *x = malloc(cnt * 4), *xl = malloc(cnt * 4);
        for (size_t k = 0; k < cnt; k++)
            x[k] = c8t_uniform(&rng, -70000.0f, 70000.0f) / (k % 9 + 1);
        x[0] = 65520.0f;                     /* rounds to Inf */
        x[cnt - 1] = 5.9604645e-08f * 0.75f; /* a subnormal half */
        nchw_to_nhwc_f(d[0], d[1], d[2] * d[3], x, xl);
        uint16_t *want = malloc(cnt * 2), *got = malloc(cnt * 2);
        c8_fp16_from_f32_buf(xl, want, cnt);
        void *dx = dev_upload(x, cnt * 4);
        gbuf y = gbuf_alloc(cnt * 2);
        gbuf_poison(&y);
        c8cu_view xv = view4(dx, C8CU_F32, d, 0), yv = view4(y.body, C8CU_F16, d, 1);
        CT_OK(c8cu_copy(&yv, &xv, g_stream, &g_err), &g_err);
        CT_CUDA(cudaStreamSynchronize(g_stream));
        CT_CUDA(cudaMemcpy(got, y.body, cnt * 2, cudaMemcpyDeviceToHost));
        CU_ASSERT(gbuf_guards_ok(&y));
        char what[96];
        snprintf(what, sizeof what, "f32 NCHW -> f16 NHWC %lldx%lldx%lldx%lld", (long long)d[0],
                 (long long)d[1], (long long)d[2], (long long)d[3]);
        CU_ASSERT_EQUAL(cmp_f16(cnt, got, want, what), 0);
        gbuf_free(&y);
        cudaFree(dx);
        free(x);
        free(xl);
        free(want);
        free(got);
    }
}

/* ---- Softmax over rows ---- */
static void test_softmax(void) {
    /* rows of 256 to 12032 staged in shared memory, a block per row (k_softmax_block); 32 to
     * 255 and longer rows a warp per row; shorter rows and inner > 1 a thread per row */
    static const int64_t cases[][3] = {{40, 6625, 1}, {256, 1000, 1}, {7, 33, 1},
                                       {3, 7, 33},    {5, 31, 1},     {2, 4096, 1},
                                       {3, 12032, 1}, {2, 12033, 1},  {300, 256, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t outer = cases[i][0], len = cases[i][1], inner = cases[i][2];
        const size_t cnt = (size_t)(outer * len * inner);
        c8t_rng rng = {0x1400 + i};
        float *x = malloc(cnt * 4), *want = malloc(cnt * 4), *got = malloc(cnt * 4);
        for (size_t k = 0; k < cnt; k++) x[k] = c8t_uniform(&rng, -12.0f, 12.0f);
        if (outer > 2) { /* row 1: a NaN; row 2: a -inf among finite values */
            x[1 * len * inner + 3 * inner] = NAN;
            x[2 * len * inner] = -INFINITY;
        }
        c8_ref_softmax(outer, len, inner, x, want);
        float *dx = dev_upload(x, cnt * 4);
        gbuf y = gbuf_alloc(cnt * 4);
        gbuf_poison(&y);
        CT_OK(c8cu_softmax(outer, len, inner, dx, y.body, g_stream, &g_err), &g_err);
        CT_CUDA(cudaStreamSynchronize(g_stream));
        CT_CUDA(cudaMemcpy(got, y.body, cnt * 4, cudaMemcpyDeviceToHost));
        CU_ASSERT(gbuf_guards_ok(&y));
        long bad = 0;
        double worst = 0;
        for (size_t k = 0; k < cnt; k++) {
            if (want[k] != want[k]) {
                if (got[k] == got[k]) bad++;
                continue;
            }
            const double e = fabs((double)got[k] - want[k]) / fmax(fabs((double)want[k]), 1e-38);
            if (e > worst) worst = e;
            if (!(e <= 5e-7)) bad++;
        }
        if (bad)
            printf("\n  softmax %lldx%lldx%lld: %ld elements off (worst relative %.3g)",
                   (long long)outer, (long long)len, (long long)inner, bad, worst);
        CU_ASSERT_EQUAL(bad, 0);
        gbuf_free(&y);
        cudaFree(dx);
        free(x);
        free(want);
        free(got);
    }
}

static const c8_test_case kCases[] = {
    {"pools", test_pools},
    {"global_avg", test_global_avg},
    {"input_convert", test_input_convert},
    {"softmax", test_softmax},
};

int main(void) {
    return c8t_cuda_main("cuda_float_ops", kCases, (int)(sizeof kCases / sizeof kCases[0]));
}
