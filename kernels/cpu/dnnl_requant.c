/* calib8's INT8 requantization of the exact sums the oneDNN backend computes (see
 * dnnl_backend.h), bit for bit the reference kernels' epilogue (include/calib8/quant.h,
 * c8_ref_int8_epilogue_store): int8 outputs with no activation, ReLU, Clip or LeakyReLU take a
 * branch-free loop the compiler vectorizes, written from the same float32 operations in the same
 * order (no FP contraction: -ffp-contract=off for the whole library); every other epilogue
 * (float32 / float16 outputs, Sigmoid) calls the reference's element function. Tests:
 * tests/kernels/cpu/test_dnnl.c (byte for byte against the reference run). */
#include "kernels/cpu/dnnl_backend.h"

#include "kernels/ref/ref.h"
#include "util/err.h"

#include <math.h>

/* c8_quant_rne_sat127 without branches: NaN -> 0, clamp to [-127, 127], truncate, then the exact
 * fractional part decides (ties to even). Equal to the reference for every float. */
static inline int8_t rne_sat127(float y) {
    y = y != y ? 0.0f : y;
    y = y > 127.0f ? 127.0f : y;
    y = y < -127.0f ? -127.0f : y;
    int32_t t = (int32_t)y;
    float f = y - (float)t;
    int32_t odd = t & 1;
    t += (int32_t)(f > 0.5f) | ((int32_t)(f == 0.5f) & odd);
    t -= (int32_t)(f < -0.5f) | ((int32_t)(f == -0.5f) & odd);
    return (int8_t)t;
}

/* The INT8 epilogue's activation (c8_quant_act kinds), before the rounding; inlined with a constant
 * kind, so each caller's loop keeps no branch on it. */
static inline __attribute__((always_inline)) float q8_act(float v, const int kind, float lo,
                                                          float hi, float alpha) {
    if (kind == C8_QACT_RELU) v = v > 0.0f ? v : 0.0f;
    if (kind == C8_QACT_CLIP) {
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
    }
    if (kind == C8_QACT_LEAKY_RELU) v = v < 0.0f ? v * alpha : v;
    return v;
}

/* One channel's plane, int8 output: y = act((float)acc * m [+ (float)r * mr]) rounded, acc =
 * b + the sum (fsums: float32 holding integers, else isums: int32). Inlined with constant kind,
 * has_res and source (plane_f, plane_i), so each loop is free of control flow and vectorizes. */
static inline __attribute__((always_inline)) void
plane_body(int64_t n, const float *restrict fsums, const int32_t *restrict isums, int32_t b,
           float m, const int8_t *restrict res, float mr, const int kind, float lo, float hi,
           float alpha, int8_t *restrict y, const bool has_res, const bool from_float) {
    for (int64_t i = 0; i < n; i++) {
        float v = (float)(b + (from_float ? (int32_t)fsums[i] : isums[i])) * m;
        if (has_res) v = v + (float)res[i] * mr;
        y[i] = rne_sat127(q8_act(v, kind, lo, hi, alpha));
    }
}

#define C8_PLANE(kind, ff)                                                                         \
    (res ? plane_body(n, fsums, isums, b, m, res, mr, kind, act.lo, act.hi, act.alpha, y, true,    \
                      ff)                                                                          \
         : plane_body(n, fsums, isums, b, m, res, mr, kind, act.lo, act.hi, act.alpha, y, false,   \
                      ff))
#define C8_PLANES(ff)                                                                              \
    switch (act.kind) {                                                                            \
    case C8_QACT_RELU: C8_PLANE(C8_QACT_RELU, ff); break;                                          \
    case C8_QACT_CLIP: C8_PLANE(C8_QACT_CLIP, ff); break;                                          \
    case C8_QACT_LEAKY_RELU: C8_PLANE(C8_QACT_LEAKY_RELU, ff); break;                              \
    default: C8_PLANE(C8_QACT_NONE, ff); break;                                                    \
    }

static void plane_f(int64_t n, const float *fsums, int32_t b, float m, const int8_t *res, float mr,
                    c8_quant_act act, int8_t *y) {
    const int32_t *isums = NULL;
    C8_PLANES(true)
}

static void plane_i(int64_t n, const int32_t *isums, int32_t b, float m, const int8_t *res,
                    float mr, c8_quant_act act, int8_t *y) {
    const float *fsums = NULL;
    C8_PLANES(false)
}
#undef C8_PLANES
#undef C8_PLANE

void c8_dnnl_requant(int64_t outer, int64_t channels, int64_t inner, const float *fsums,
                     const int32_t *isums, const c8_int8_epilogue *ep, void *y) {
    const bool fast = ep->out == C8_QOUT_INT8 &&
                      (ep->act.kind == C8_QACT_NONE || ep->act.kind == C8_QACT_RELU ||
                       ep->act.kind == C8_QACT_CLIP || ep->act.kind == C8_QACT_LEAKY_RELU);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < channels; k++) {
            const int32_t b = ep->bias ? ep->bias[k] : 0;
            const int64_t base = (o * channels + k) * inner;
            const int8_t *res = ep->residual ? ep->residual + base : NULL;
            /* float sums are integers below 2^24 in magnitude (C8_DNNL_EXACT_LIMIT): exact
             * casts; bias + sum fits int32 (quant.h's bias limit) */
            if (fast && fsums)
                plane_f(inner, fsums + base, b, ep->mult[k], res, ep->res_mult, ep->act,
                        (int8_t *)y + base);
            else if (fast)
                plane_i(inner, isums + base, b, ep->mult[k], res, ep->res_mult, ep->act,
                        (int8_t *)y + base);
            else
                for (int64_t i = 0; i < inner; i++)
                    c8_ref_int8_epilogue_store(
                        ep, k, base + i, b + (fsums ? (int32_t)fsums[base + i] : isums[base + i]),
                        y);
        }
}

void c8_dnnl_sum_parts(int n_parts, const float *const *parts, int64_t count, int32_t *acc) {
    for (int64_t i = 0; i < count; i++) acc[i] = (int32_t)parts[0][i];
    for (int p = 1; p < n_parts; p++) {
        const float *restrict q = parts[p];
        int32_t *restrict a = acc;
        for (int64_t i = 0; i < count; i++) a[i] += (int32_t)q[i];
    }
}

/* The reference activation (kernels/ref/act.c's c8_ref_act) over y, in place: ReLU, Clip and
 * LeakyReLU as branch-free selects with the same comparisons (NaN propagates, -0 kept), others
 * through c8_ref_act itself. */
static inline __attribute__((always_inline)) void act_body(float *restrict y, int64_t n,
                                                           const int act, float a, float b) {
    for (int64_t i = 0; i < n; i++) {
        float x = y[i];
        if (act == C8_REF_ACT_RELU) x = x < 0.0f ? 0.0f : x;
        if (act == C8_REF_ACT_CLIP) {
            x = x < a ? a : x;
            x = x > b ? b : x;
        }
        if (act == C8_REF_ACT_LEAKY_RELU) x = x < 0.0f ? a * x : x;
        y[i] = x;
    }
}

void c8_dnnl_act_f32(int act, float a, float b, float *y, int64_t n) {
    switch (act) {
    case C8_REF_ACT_NONE: break;
    case C8_REF_ACT_RELU: act_body(y, n, C8_REF_ACT_RELU, a, b); break;
    case C8_REF_ACT_CLIP: act_body(y, n, C8_REF_ACT_CLIP, a, b); break;
    case C8_REF_ACT_LEAKY_RELU: act_body(y, n, C8_REF_ACT_LEAKY_RELU, a, b); break;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = c8_ref_act(act, a, b, y[i]);
    }
}

void c8_dnnl_i8_to_f32(const int8_t *restrict q, int64_t n, float *restrict f) {
    for (int64_t i = 0; i < n; i++) f[i] = (float)q[i];
}

double c8_dnnl_sum_bound(const int8_t *w, int64_t rows, int64_t len, int64_t row_stride,
                         int64_t col_stride) {
    double worst = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t s = 0;
        for (int64_t t = 0; t < len; t++) {
            int v = w[r * row_stride + t * col_stride];
            s += v < 0 ? -v : v;
        }
        if (127.0 * (double)s > worst) worst = 127.0 * (double)s;
    }
    return worst;
}

void c8_dnnl_quantize(const float *restrict x, float inv_s, int64_t n, int8_t *restrict q) {
    for (int64_t i = 0; i < n; i++) q[i] = rne_sat127(x[i] * inv_s);
}

/* Q8Requantize's element, c8_quant_epilogue_i8(x, m, no residual, act), as a branch-free loop. */
static inline __attribute__((always_inline)) void rq_body(const int8_t *restrict x, float m,
                                                          int64_t n, const int kind, float lo,
                                                          float hi, float alpha,
                                                          int8_t *restrict y) {
    for (int64_t i = 0; i < n; i++) {
        y[i] = rne_sat127(q8_act((float)x[i] * m, kind, lo, hi, alpha));
    }
}

void c8_dnnl_requantize(const int8_t *x, float m, c8_quant_act act, int64_t n, int8_t *y) {
    switch (act.kind) {
    case C8_QACT_NONE: rq_body(x, m, n, C8_QACT_NONE, act.lo, act.hi, act.alpha, y); break;
    case C8_QACT_RELU: rq_body(x, m, n, C8_QACT_RELU, act.lo, act.hi, act.alpha, y); break;
    case C8_QACT_CLIP: rq_body(x, m, n, C8_QACT_CLIP, act.lo, act.hi, act.alpha, y); break;
    case C8_QACT_LEAKY_RELU:
        rq_body(x, m, n, C8_QACT_LEAKY_RELU, act.lo, act.hi, act.alpha, y);
        break;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = c8_quant_epilogue_i8(x[i], m, 0, 0, 0.0f, act);
    }
}

void c8_dnnl_relu(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void c8_dnnl_batchnorm(int64_t N, int64_t C, int64_t inner, float epsilon, const float *x,
                       const float *scale, const float *bias, const float *mean, const float *var,
                       float *y) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            const float den = sqrtf(var[c] + epsilon), m = mean[c], s = scale[c], b = bias[c];
            const float *xc = x + (n * C + c) * inner;
            float *yc = y + (n * C + c) * inner;
            for (int64_t i = 0; i < inner; i++) yc[i] = (xc[i] - m) / den * s + b;
        }
}
