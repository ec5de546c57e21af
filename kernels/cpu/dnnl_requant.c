/* calib8's INT8 requantization of the exact sums the oneDNN backend computes (see
 * dnnl_backend.h), bit for bit the reference kernels' epilogue (include/calib8/quant.h,
 * c8_ref_int8_epilogue_store): int8 outputs with no activation, ReLU, Clip, LeakyReLU or
 * hard-swish take a
 * branch-free loop the compiler vectorizes, written from the same float32 operations in the same
 * order (no FP contraction: -ffp-contract=off for the whole library); every other epilogue
 * (float32 / float16 outputs, Sigmoid) calls the reference's element function. Tests:
 * tests/kernels/cpu/test_dnnl.c (byte for byte against the reference run). */
#include "kernels/cpu/dnnl_backend.h"
#include "kernels/cpu/eltwise_fast.h"

#include "kernels/ref/ref.h"
#include "util/err.h"

#include <math.h>
#include <string.h>

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
    if (kind == C8_QACT_HARDSWISH) { /* quant.h's steps */
        float t = v * alpha + 3.0f;
        t = t < 0.0f ? 0.0f : t;
        t = t > 6.0f ? 6.0f : t;
        v = (v * t) * lo + hi;
    }
    return v;
}

/* The activations the fast epilogues below take (the others go through the reference's element
 * function). */
static bool fast_kind(int kind) {
    return kind == C8_QACT_NONE || kind == C8_QACT_RELU || kind == C8_QACT_CLIP ||
           kind == C8_QACT_LEAKY_RELU || kind == C8_QACT_HARDSWISH;
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
    case C8_QACT_HARDSWISH: C8_PLANE(C8_QACT_HARDSWISH, ff); break;                                \
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
        if (act == C8_REF_ACT_HARDSWISH) { /* act.c's steps */
            float t = x + 3.0f;
            t = t < 0.0f ? 0.0f : t;
            t = t > 6.0f ? 6.0f : t;
            const float h = (x * t) / 6.0f;
            x = h * a + b;
        }
        y[i] = x;
    }
}

void c8_dnnl_act_f32(int act, float a, float b, float *y, int64_t n) {
    switch (act) {
    case C8_REF_ACT_NONE: break;
    case C8_REF_ACT_RELU: act_body(y, n, C8_REF_ACT_RELU, a, b); break;
    case C8_REF_ACT_CLIP: act_body(y, n, C8_REF_ACT_CLIP, a, b); break;
    case C8_REF_ACT_LEAKY_RELU: act_body(y, n, C8_REF_ACT_LEAKY_RELU, a, b); break;
    case C8_REF_ACT_HARDSWISH: act_body(y, n, C8_REF_ACT_HARDSWISH, a, b); break;
    case C8_REF_ACT_SIGMOID: c8_cpu_sigmoid_f32(y, y, n); break;
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

static void quantize_scalar(const float *restrict x, float inv_s, int64_t n, int8_t *restrict q) {
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

static void requantize_scalar(const int8_t *x, float m, c8_quant_act act, int64_t n, int8_t *y) {
    switch (act.kind) {
    case C8_QACT_NONE: rq_body(x, m, n, C8_QACT_NONE, act.lo, act.hi, act.alpha, y); break;
    case C8_QACT_RELU: rq_body(x, m, n, C8_QACT_RELU, act.lo, act.hi, act.alpha, y); break;
    case C8_QACT_CLIP: rq_body(x, m, n, C8_QACT_CLIP, act.lo, act.hi, act.alpha, y); break;
    case C8_QACT_LEAKY_RELU:
        rq_body(x, m, n, C8_QACT_LEAKY_RELU, act.lo, act.hi, act.alpha, y);
        break;
    case C8_QACT_HARDSWISH:
        rq_body(x, m, n, C8_QACT_HARDSWISH, act.lo, act.hi, act.alpha, y);
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

/* ---------------------------------------------------------------- channels-last sums */

/* One element of the fast epilogues (int8 output; NONE, ReLU, Clip, LeakyReLU), the same float32
 * operations as plane_body: for the tiles' edges. */
static inline float elem_f32(int32_t acc, float m, const int8_t *res, float mr, c8_quant_act a) {
    float v = (float)acc * m;
    if (res) v = v + (float)*res * mr;
    switch (a.kind) {
    case C8_QACT_RELU: v = q8_act(v, C8_QACT_RELU, a.lo, a.hi, a.alpha); break;
    case C8_QACT_CLIP: v = q8_act(v, C8_QACT_CLIP, a.lo, a.hi, a.alpha); break;
    case C8_QACT_LEAKY_RELU: v = q8_act(v, C8_QACT_LEAKY_RELU, a.lo, a.hi, a.alpha); break;
    case C8_QACT_HARDSWISH: v = q8_act(v, C8_QACT_HARDSWISH, a.lo, a.hi, a.alpha); break;
    default: break;
    }
    return v;
}
static inline int8_t elem_i8(int32_t acc, float m, const int8_t *res, float mr, c8_quant_act a) {
    return rne_sat127(elem_f32(acc, m, res, mr, a));
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define C8_HAVE_AVX2_TILES 1

/* rne_sat127 of eight lanes after the activation (the reference's comparisons as selects, so a
 * NaN goes where the scalar code sends it), then stored as 8 int8. _mm256_cvtps_epi32 rounds
 * half to even (the default MXCSR mode, which calib8 never changes), and after the clamp to
 * +-127 every lane is in range, so it is the scalar's truncate-and-decide. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) __m256
act8(__m256 v, const int kind, float lo, float hi, float alpha) {
    const __m256 zero = _mm256_setzero_ps();
    if (kind == C8_QACT_RELU) v = _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), v);
    if (kind == C8_QACT_CLIP) {
        __m256 l = _mm256_set1_ps(lo), h = _mm256_set1_ps(hi);
        v = _mm256_blendv_ps(v, l, _mm256_cmp_ps(v, l, _CMP_LT_OQ));
        v = _mm256_blendv_ps(v, h, _mm256_cmp_ps(v, h, _CMP_GT_OQ));
    }
    if (kind == C8_QACT_LEAKY_RELU)
        v = _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(alpha)),
                             _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    if (kind == C8_QACT_HARDSWISH) { /* q8_act's steps */
        const __m256 six = _mm256_set1_ps(6.0f);
        __m256 t = _mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(alpha)), _mm256_set1_ps(3.0f));
        t = _mm256_blendv_ps(t, zero, _mm256_cmp_ps(t, zero, _CMP_LT_OQ));
        t = _mm256_blendv_ps(t, six, _mm256_cmp_ps(t, six, _CMP_GT_OQ));
        v = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(v, t), _mm256_set1_ps(lo)),
                          _mm256_set1_ps(hi));
    }
    return v;
}

__attribute__((target("avx2"))) static inline void store8_i8(__m256 v, const int kind, float lo,
                                                             float hi, float alpha, int8_t *y) {
    v = act8(v, kind, lo, hi, alpha);
    v = _mm256_and_ps(_mm256_cmp_ps(v, v, _CMP_ORD_Q), v); /* NaN -> 0 */
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    __m256i i = _mm256_cvtps_epi32(v);
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    _mm_storel_epi64((__m128i *)(void *)y, _mm_packs_epi16(w, w));
}

/* Thirty-two int8 outputs, v[0..3]'s eight lanes each in order, in one 32-byte store: store8_i8's
 * steps with the saturation moved after the packs. The float clamp is at +127 only; below,
 * cvtps2dq rounds half to even as there (a value under the int32 range becomes INT32_MIN), the
 * int16 and int8 packs saturate, and a byte max with -127 bounds the result, which rounding then
 * saturating gives equally (rne_sat127's bounds are integers). The packs interleave the four
 * vectors' 4-lane halves; one dword permutation restores the order. A quarter of the packs and
 * stores of four store8_i8 calls. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
store32_i8(const __m256 v[4], const int kind, float lo, float hi, float alpha, int8_t *y) {
    __m256i q[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m256 a = act8(v[j], kind, lo, hi, alpha);
        a = _mm256_and_ps(_mm256_cmp_ps(a, a, _CMP_ORD_Q), a); /* NaN -> 0 */
        q[j] = _mm256_cvtps_epi32(_mm256_min_ps(a, _mm256_set1_ps(127.0f)));
    }
    __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)(void *)y, _mm256_max_epi8(b, _mm256_set1_epi8(-127)));
}

/* Eight outputs at element i of y: int8 (store8_i8), or float32 after the activation (fo). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
store8(__m256 v, const int kind, float lo, float hi, float alpha, void *y, int64_t i,
       const bool fo) {
    if (fo)
        _mm256_storeu_ps((float *)y + i, act8(v, kind, lo, hi, alpha));
    else
        store8_i8(v, kind, lo, hi, alpha, (int8_t *)y + i);
}

/* Eight sums at p (float32 holding integers: ff, else int32) as int32. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) __m256i
load8(const void *p, const bool ff) {
    return ff ? _mm256_cvttps_epi32(_mm256_loadu_ps((const float *)p))
              : _mm256_loadu_si256((const __m256i *)p);
}

/* 8 pixels x 8 channels of (pixel, channel) sums (row stride ld elements; float32 when ff, else
 * int32) -> 8 channels x 8 pixels, requantized into y (channel row stride ys; the residual res
 * likewise, or NULL). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
tile8(const void *acc, int64_t ld, const int32_t *bias, const float *mult, const int8_t *res,
      float mr, const int kind, float lo, float hi, float alpha, void *y, int64_t ys, const bool ff,
      const bool fo) {
    __m256i r[8], t[8], u[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = load8((const char *)acc + i * ld * 4, ff);
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) { /* channel j and j + 4 over the 8 pixels */
        r[j] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x20);
        r[j + 4] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x31);
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        __m256i a = _mm256_add_epi32(r[j], _mm256_set1_epi32(bias ? bias[j] : 0));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a), _mm256_set1_ps(mult[j]));
        if (res) {
            __m256i q = _mm256_cvtepi8_epi32(
                _mm_loadl_epi64((const __m128i *)(const void *)(res + j * ys)));
            v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_set1_ps(mr)));
        }
        store8(v, kind, lo, hi, alpha, y, j * ys, fo);
    }
}

/* Eight channels of one pixel before the activation (gemm rows: channels contiguous in both
 * sums and y). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) __m256
row8_v(const void *acc, const int32_t *bias, const float *mult, const int8_t *res, float mr,
       const bool ff) {
    __m256i a = load8(acc, ff);
    if (bias) a = _mm256_add_epi32(a, _mm256_loadu_si256((const __m256i *)(const void *)bias));
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a), _mm256_loadu_ps(mult));
    if (res) {
        __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)res));
        v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_set1_ps(mr)));
    }
    return v;
}

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
row8(const void *acc, const int32_t *bias, const float *mult, const int8_t *res, float mr,
     const int kind, float lo, float hi, float alpha, void *y, const bool ff, const bool fo) {
    store8(row8_v(acc, bias, mult, res, mr, ff), kind, lo, hi, alpha, y, 0, fo);
}

/* Thirty-two channels of one pixel, int8 output (store32_i8). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
row32_i8(const void *acc, const int32_t *bias, const float *mult, const int8_t *res, float mr,
         const int kind, float lo, float hi, float alpha, int8_t *y, const bool ff) {
    __m256 v[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        v[j] = row8_v((const char *)acc + 32 * j, bias ? bias + 8 * j : NULL, mult + 8 * j,
                      res ? res + 8 * j : NULL, mr, ff);
    store32_i8(v, kind, lo, hi, alpha, y);
}

/* One channel's plane in the ONNX layout (plane_body's operations), eight pixels at a time. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
plane_avx2_body(int64_t n, const float *fsums, const int32_t *isums, int32_t b, float m,
                const int8_t *res, float mr, const int kind, float lo, float hi, float alpha,
                int8_t *y) {
    const __m256i vb = _mm256_set1_epi32(b);
    const __m256 vm = _mm256_set1_ps(m), vmr = _mm256_set1_ps(mr);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i a = fsums ? _mm256_cvttps_epi32(_mm256_loadu_ps(fsums + i))
                          : _mm256_loadu_si256((const __m256i *)(const void *)(isums + i));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(a, vb)), vm);
        if (res) {
            __m256i q =
                _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(res + i)));
            v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_cvtepi32_ps(q), vmr));
        }
        store8_i8(v, kind, lo, hi, alpha, y + i);
    }
    const c8_quant_act a = {kind, lo, hi, alpha};
    for (; i < n; i++)
        y[i] = elem_i8(b + (fsums ? (int32_t)fsums[i] : isums[i]), m, res ? res + i : NULL, mr, a);
}

__attribute__((target("avx2"))) static void plane_avx2(int64_t n, const float *fsums,
                                                       const int32_t *isums, int32_t b, float m,
                                                       const int8_t *res, float mr, c8_quant_act a,
                                                       int8_t *y) {
    switch (a.kind) {
    case C8_QACT_RELU:
        plane_avx2_body(n, fsums, isums, b, m, res, mr, C8_QACT_RELU, a.lo, a.hi, a.alpha, y);
        break;
    case C8_QACT_CLIP:
        plane_avx2_body(n, fsums, isums, b, m, res, mr, C8_QACT_CLIP, a.lo, a.hi, a.alpha, y);
        break;
    case C8_QACT_LEAKY_RELU:
        plane_avx2_body(n, fsums, isums, b, m, res, mr, C8_QACT_LEAKY_RELU, a.lo, a.hi, a.alpha, y);
        break;
    case C8_QACT_HARDSWISH:
        plane_avx2_body(n, fsums, isums, b, m, res, mr, C8_QACT_HARDSWISH, a.lo, a.hi, a.alpha, y);
        break;
    default:
        plane_avx2_body(n, fsums, isums, b, m, res, mr, C8_QACT_NONE, a.lo, a.hi, a.alpha, y);
        break;
    }
}

/* Image o's pixels [pa, pb) of the channels-last sums: whole 8 x 8 tiles, then the edges (the
 * pixels past the last whole tile, and the channels past the last multiple of 8) element by
 * element. The sums hold image o's pixels from s0 on (s0 0: the whole image; a band of output
 * rows: its first pixel, with o 0). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
nhwc_body(int64_t o, int64_t K, int64_t P, int64_t pa, int64_t pb, int64_t s0, const float *fsums,
          const int32_t *isums, const c8_int8_epilogue *ep, void *y, const int kind, const bool ff,
          const bool fout) {
    const c8_quant_act a = ep->act;
    const int64_t K8 = K / 8 * 8;
    const float *fo = ff ? fsums + o * P * K : NULL;
    const int32_t *io = ff ? NULL : isums + o * P * K;
    char *yo = (char *)y + o * K * P * (fout ? 4 : 1);
#define C8_Y(i) (yo + (i) * (fout ? 4 : 1))
    const int8_t *ro = ep->residual ? ep->residual + o * K * P : NULL;
#define C8_AT(i) (ff ? (const void *)(fo + (i)) : (const void *)(io + (i)))
    int64_t pt = pa; /* the pixels below pt are done for the first K8 channels */
    if (P == 1) {    /* a row of channels: no transposition */
        for (int64_t k = 0; k < K8; k += 8)
            row8(C8_AT(k), ep->bias ? ep->bias + k : NULL, ep->mult + k, ro ? ro + k : NULL,
                 ep->res_mult, kind, a.lo, a.hi, a.alpha, C8_Y(k), ff, fout);
        pt = 1;
    } else {
        for (; pt + 8 <= pb; pt += 8)
            for (int64_t k = 0; k < K8; k += 8)
                tile8(C8_AT((pt - s0) * K + k), K, ep->bias ? ep->bias + k : NULL, ep->mult + k,
                      ro ? ro + k * P + pt : NULL, ep->res_mult, kind, a.lo, a.hi, a.alpha,
                      C8_Y(k * P + pt), P, ff, fout);
    }
#undef C8_AT
#undef C8_Y
    for (int64_t k = 0; k < K; k++)
        for (int64_t p = k < K8 ? pt : pa; p < pb; p++) {
            const int64_t i = k * P + p, j = (p - s0) * K + k;
            const int32_t sum = ff ? (int32_t)fo[j] : io[j];
            const int32_t acc = (ep->bias ? ep->bias[k] : 0) + sum;
            if (fout)
                ((float *)yo)[i] = elem_f32(acc, ep->mult[k], ro ? ro + i : NULL, ep->res_mult, a);
            else
                ((int8_t *)yo)[i] = elem_i8(acc, ep->mult[k], ro ? ro + i : NULL, ep->res_mult, a);
        }
}

#define C8_NHWC(ff, fo)                                                                            \
    switch (ep->act.kind) {                                                                        \
    case C8_QACT_RELU:                                                                             \
        nhwc_body(o, K, P, pa, pb, s0, fsums, isums, ep, y, C8_QACT_RELU, ff, fo);                 \
        break;                                                                                     \
    case C8_QACT_CLIP:                                                                             \
        nhwc_body(o, K, P, pa, pb, s0, fsums, isums, ep, y, C8_QACT_CLIP, ff, fo);                 \
        break;                                                                                     \
    case C8_QACT_LEAKY_RELU:                                                                       \
        nhwc_body(o, K, P, pa, pb, s0, fsums, isums, ep, y, C8_QACT_LEAKY_RELU, ff, fo);           \
        break;                                                                                     \
    case C8_QACT_HARDSWISH:                                                                        \
        nhwc_body(o, K, P, pa, pb, s0, fsums, isums, ep, y, C8_QACT_HARDSWISH, ff, fo);            \
        break;                                                                                     \
    default: nhwc_body(o, K, P, pa, pb, s0, fsums, isums, ep, y, C8_QACT_NONE, ff, fo); break;     \
    }

__attribute__((target("avx2"))) static void nhwc_avx2_f(int64_t o, int64_t K, int64_t P, int64_t pa,
                                                        int64_t pb, const float *fsums,
                                                        const c8_int8_epilogue *ep, void *y) {
    const int64_t s0 = 0;
    const int32_t *isums = NULL;
    if (ep->out == C8_QOUT_FLOAT) {
        C8_NHWC(true, true)
    } else {
        C8_NHWC(true, false)
    }
}

__attribute__((target("avx2"))) static void nhwc_avx2_i(int64_t o, int64_t K, int64_t P, int64_t pa,
                                                        int64_t pb, int64_t s0,
                                                        const int32_t *isums,
                                                        const c8_int8_epilogue *ep, void *y) {
    const float *fsums = NULL;
    if (ep->out == C8_QOUT_FLOAT) {
        C8_NHWC(false, true)
    } else {
        C8_NHWC(false, false)
    }
}
#undef C8_NHWC

/* Rows [r0, r1) of K channels (inner 1: a product's (M, N), or channels-last int8 between
 * convolutions): the sums and y both row-major, no transposition. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
rows_body(int64_t r0, int64_t r1, int64_t K, const float *fsums, const int32_t *isums,
          const c8_int8_epilogue *ep, void *y, const int kind, const bool ff, const bool fout) {
    const c8_quant_act a = ep->act;
    const int64_t K8 = K / 8 * 8;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t o = r * K;
        const int8_t *ro = ep->residual ? ep->residual + o : NULL;
        int64_t k = 0;
        if (!fout)
            for (; k + 32 <= K; k += 32)
                row32_i8(ff ? (const void *)(fsums + o + k) : (const void *)(isums + o + k),
                         ep->bias ? ep->bias + k : NULL, ep->mult + k, ro ? ro + k : NULL,
                         ep->res_mult, kind, a.lo, a.hi, a.alpha, (int8_t *)y + o + k, ff);
        for (; k < K8; k += 8)
            row8(ff ? (const void *)(fsums + o + k) : (const void *)(isums + o + k),
                 ep->bias ? ep->bias + k : NULL, ep->mult + k, ro ? ro + k : NULL, ep->res_mult,
                 kind, a.lo, a.hi, a.alpha, (char *)y + (o + k) * (fout ? 4 : 1), ff, fout);
        for (k = K8; k < K; k++) {
            const int32_t acc =
                (ep->bias ? ep->bias[k] : 0) + (ff ? (int32_t)fsums[o + k] : isums[o + k]);
            if (fout)
                ((float *)y)[o + k] =
                    elem_f32(acc, ep->mult[k], ro ? ro + k : NULL, ep->res_mult, a);
            else
                ((int8_t *)y)[o + k] =
                    elem_i8(acc, ep->mult[k], ro ? ro + k : NULL, ep->res_mult, a);
        }
    }
}

#define C8_ROWS(ff, fo)                                                                            \
    switch (ep->act.kind) {                                                                        \
    case C8_QACT_RELU: rows_body(r0, r1, K, fsums, isums, ep, y, C8_QACT_RELU, ff, fo); break;     \
    case C8_QACT_CLIP: rows_body(r0, r1, K, fsums, isums, ep, y, C8_QACT_CLIP, ff, fo); break;     \
    case C8_QACT_LEAKY_RELU:                                                                       \
        rows_body(r0, r1, K, fsums, isums, ep, y, C8_QACT_LEAKY_RELU, ff, fo);                     \
        break;                                                                                     \
    case C8_QACT_HARDSWISH:                                                                        \
        rows_body(r0, r1, K, fsums, isums, ep, y, C8_QACT_HARDSWISH, ff, fo);                      \
        break;                                                                                     \
    default: rows_body(r0, r1, K, fsums, isums, ep, y, C8_QACT_NONE, ff, fo); break;               \
    }

__attribute__((target("avx2"))) static void rows_avx2(int64_t r0, int64_t r1, int64_t K,
                                                      const float *fsums, const int32_t *isums,
                                                      const c8_int8_epilogue *ep, void *y) {
    const bool fo = ep->out == C8_QOUT_FLOAT;
    if (fsums && fo) {
        C8_ROWS(true, true)
    } else if (fsums) {
        C8_ROWS(true, false)
    } else if (fo) {
        C8_ROWS(false, true)
    } else {
        C8_ROWS(false, false)
    }
}
#undef C8_ROWS

/* Q8Add's element (c8_quant_add_i8: (float)a * ma + (float)b * mb, the activation, the rounding)
 * eight at a time; and Q8Quantize's (rne_sat127(x * inv_s)). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
add_body(const int8_t *a, float ma, const int8_t *b, float mb, int64_t i0, int64_t i1,
         const int kind, float lo, float hi, float alpha, int8_t *y) {
    const __m256 vma = _mm256_set1_ps(ma), vmb = _mm256_set1_ps(mb);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        __m256 va = _mm256_cvtepi32_ps(
            _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(a + i))));
        __m256 vb = _mm256_cvtepi32_ps(
            _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(b + i))));
        store8_i8(_mm256_add_ps(_mm256_mul_ps(va, vma), _mm256_mul_ps(vb, vmb)), kind, lo, hi,
                  alpha, y + i);
    }
    const c8_quant_act act = {kind, lo, hi, alpha};
    for (; i < i1; i++) y[i] = elem_i8(a[i], ma, b + i, mb, act);
}

__attribute__((target("avx2"))) static void add_avx2(const int8_t *a, float ma, const int8_t *b,
                                                     float mb, int64_t i0, int64_t i1,
                                                     c8_quant_act act, int8_t *y) {
    switch (act.kind) {
    case C8_QACT_RELU:
        add_body(a, ma, b, mb, i0, i1, C8_QACT_RELU, act.lo, act.hi, act.alpha, y);
        break;
    case C8_QACT_CLIP:
        add_body(a, ma, b, mb, i0, i1, C8_QACT_CLIP, act.lo, act.hi, act.alpha, y);
        break;
    case C8_QACT_LEAKY_RELU:
        add_body(a, ma, b, mb, i0, i1, C8_QACT_LEAKY_RELU, act.lo, act.hi, act.alpha, y);
        break;
    case C8_QACT_HARDSWISH:
        add_body(a, ma, b, mb, i0, i1, C8_QACT_HARDSWISH, act.lo, act.hi, act.alpha, y);
        break;
    default: add_body(a, ma, b, mb, i0, i1, C8_QACT_NONE, act.lo, act.hi, act.alpha, y); break;
    }
}

__attribute__((target("avx2"))) static void quantize_avx2(const float *x, float inv_s, int64_t i0,
                                                          int64_t i1, int8_t *q) {
    const __m256 vs = _mm256_set1_ps(inv_s);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8)
        store8_i8(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), C8_QACT_NONE, 0.0f, 0.0f, 0.0f, q + i);
    for (; i < i1; i++) q[i] = rne_sat127(x[i] * inv_s);
}

/* Q8Requantize's element (rq_body's operations), eight at a time. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
rq_avx2_body(const int8_t *x, float m, int64_t i0, int64_t i1, const int kind, float lo, float hi,
             float alpha, int8_t *y) {
    const __m256 vm = _mm256_set1_ps(m);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        __m256 v = _mm256_cvtepi32_ps(
            _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(x + i))));
        store8_i8(_mm256_mul_ps(v, vm), kind, lo, hi, alpha, y + i);
    }
    for (; i < i1; i++) y[i] = rne_sat127(q8_act((float)x[i] * m, kind, lo, hi, alpha));
}

__attribute__((target("avx2"))) static void rq_avx2(const int8_t *x, float m, int64_t i0,
                                                    int64_t i1, c8_quant_act a, int8_t *y) {
    switch (a.kind) {
    case C8_QACT_RELU: rq_avx2_body(x, m, i0, i1, C8_QACT_RELU, a.lo, a.hi, a.alpha, y); break;
    case C8_QACT_CLIP: rq_avx2_body(x, m, i0, i1, C8_QACT_CLIP, a.lo, a.hi, a.alpha, y); break;
    case C8_QACT_LEAKY_RELU:
        rq_avx2_body(x, m, i0, i1, C8_QACT_LEAKY_RELU, a.lo, a.hi, a.alpha, y);
        break;
    case C8_QACT_HARDSWISH:
        rq_avx2_body(x, m, i0, i1, C8_QACT_HARDSWISH, a.lo, a.hi, a.alpha, y);
        break;
    default: rq_avx2_body(x, m, i0, i1, C8_QACT_NONE, a.lo, a.hi, a.alpha, y); break;
    }
}

/* Q8Dequantize's element ((float)q * s), eight at a time. */
__attribute__((target("avx2"))) static void dq_avx2(const int8_t *q, float s, int64_t i0,
                                                    int64_t i1, float *x) {
    const __m256 vs = _mm256_set1_ps(s);
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8)
        _mm256_storeu_ps(
            x + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                                     _mm_loadl_epi64((const __m128i *)(const void *)(q + i)))),
                                 vs));
    for (; i < i1; i++) x[i] = (float)q[i] * s;
}
#endif

void c8_dnnl_requant(int64_t outer, int64_t channels, int64_t inner, const float *fsums,
                     const int32_t *isums, const c8_int8_epilogue *ep, void *y) {
    const bool fast = ep->out == C8_QOUT_INT8 && fast_kind(ep->act.kind);
#ifdef C8_HAVE_AVX2_TILES
    const bool avx2 = __builtin_cpu_supports("avx2");
#endif
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < channels; k++) {
            const int32_t b = ep->bias ? ep->bias[k] : 0;
            const int64_t base = (o * channels + k) * inner;
            const int8_t *res = ep->residual ? ep->residual + base : NULL;
            /* float sums are integers below 2^24 in magnitude (C8_DNNL_EXACT_LIMIT): exact
             * casts; bias + sum fits int32 (quant.h's bias limit) */
#ifdef C8_HAVE_AVX2_TILES
            if (fast && avx2)
                plane_avx2(inner, fsums ? fsums + base : NULL, fsums ? NULL : isums + base, b,
                           ep->mult[k], res, ep->res_mult, ep->act, (int8_t *)y + base);
            else
#endif
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

void c8_dnnl_requant_nhwc(int64_t outer, int64_t channels, int64_t inner, const float *fsums,
                          const int32_t *isums, const c8_int8_epilogue *ep, void *y) {
    const bool kinds = fast_kind(ep->act.kind);
    const bool fast = ep->out == C8_QOUT_INT8 && kinds;
#ifdef C8_HAVE_AVX2_TILES
    /* int8 or float32 outputs (the latter: a Q8Conv feeding float layers, such as the
     * PP-OCRv4 detector's hard-swish blocks) */
    if ((fast || (ep->out == C8_QOUT_FLOAT && kinds)) && __builtin_cpu_supports("avx2")) {
        if (inner == 1) { /* rows of channels in and out: tasks of 64 rows, no transposition */
            const int64_t tasks = (outer + 63) / 64;
#pragma omp parallel for schedule(static)
            for (int64_t t = 0; t < tasks; t++)
                rows_avx2(t * 64, t * 64 + 64 < outer ? t * 64 + 64 : outer, channels, fsums, isums,
                          ep, y);
            return;
        }
        /* tasks of 256 pixels of one image, on the threads in force (the context's: the segment
         * runs under its count); each output is written once */
        const int64_t chunk = 256, per = (inner + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < outer * per; t++) {
            const int64_t o = t / per, pa = t % per * chunk;
            const int64_t pb = pa + chunk < inner ? pa + chunk : inner;
            if (fsums)
                nhwc_avx2_f(o, channels, inner, pa, pb, fsums, ep, y);
            else
                nhwc_avx2_i(o, channels, inner, pa, pb, 0, isums, ep, y);
        }
        return;
    }
#endif
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < channels; k++)
            for (int64_t p = 0; p < inner; p++) {
                const int64_t i = (o * channels + k) * inner + p;
                const int64_t j = (o * inner + p) * channels + k;
                const int32_t s =
                    (ep->bias ? ep->bias[k] : 0) + (fsums ? (int32_t)fsums[j] : isums[j]);
                if (fast)
                    ((int8_t *)y)[i] =
                        elem_i8(s, ep->mult[k], ep->residual ? ep->residual + i : NULL,
                                ep->res_mult, ep->act);
                else
                    c8_ref_int8_epilogue_store(ep, k, i, s, y);
            }
}

void c8_dnnl_requant_nhwc_band(int64_t channels, int64_t inner, int64_t p0, int64_t p1,
                               const int32_t *isums, const c8_int8_epilogue *ep, void *y) {
    const bool kinds = fast_kind(ep->act.kind);
#ifdef C8_HAVE_AVX2_TILES
    if (kinds && ep->out != C8_QOUT_FLOAT16 && __builtin_cpu_supports("avx2")) { /* as above */
        const int64_t chunk = 256, tasks = (p1 - p0 + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < tasks; t++) {
            const int64_t pa = p0 + t * chunk, pb = pa + chunk < p1 ? pa + chunk : p1;
            nhwc_avx2_i(0, channels, inner, pa, pb, p0, isums, ep, y);
        }
        return;
    }
#endif
    const bool fast = ep->out == C8_QOUT_INT8 && kinds;
    for (int64_t k = 0; k < channels; k++)
        for (int64_t p = p0; p < p1; p++) {
            const int64_t i = k * inner + p;
            const int32_t s = (ep->bias ? ep->bias[k] : 0) + isums[(p - p0) * channels + k];
            if (fast)
                ((int8_t *)y)[i] = elem_i8(s, ep->mult[k], ep->residual ? ep->residual + i : NULL,
                                           ep->res_mult, ep->act);
            else
                c8_ref_int8_epilogue_store(ep, k, i, s, y);
        }
}

bool c8_dnnl_any_negative(const int8_t *x, int64_t n) {
    /* the sign bits of 32 bytes at a time (memcpy: no alignment or aliasing assumed) */
    const uint64_t sign = 0x8080808080808080ull;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, x + i, sizeof w);
        if ((w[0] | w[1] | w[2] | w[3]) & sign) return true;
    }
    for (; i < n; i++)
        if (x[i] < 0) return true;
    return false;
}

/* Element-wise work in chunks of 64K elements on the threads in force. */
#define C8_CHUNK ((int64_t)65536)

void c8_dnnl_quantize(const float *x, float inv_s, int64_t n, int8_t *q) {
#ifdef C8_HAVE_AVX2_TILES
    if (__builtin_cpu_supports("avx2")) {
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < (n + C8_CHUNK - 1) / C8_CHUNK; c++)
            quantize_avx2(x, inv_s, c * C8_CHUNK,
                          c * C8_CHUNK + C8_CHUNK < n ? c * C8_CHUNK + C8_CHUNK : n, q);
        return;
    }
#endif
    quantize_scalar(x, inv_s, n, q);
}

bool c8_dnnl_add_fast(c8_quant_act act) { return fast_kind(act.kind); }

void c8_dnnl_requantize(const int8_t *x, float m, c8_quant_act act, int64_t n, int8_t *y) {
#ifdef C8_HAVE_AVX2_TILES
    if (c8_dnnl_add_fast(act) && __builtin_cpu_supports("avx2")) {
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < (n + C8_CHUNK - 1) / C8_CHUNK; c++)
            rq_avx2(x, m, c * C8_CHUNK, c * C8_CHUNK + C8_CHUNK < n ? c * C8_CHUNK + C8_CHUNK : n,
                    act, y);
        return;
    }
#endif
    requantize_scalar(x, m, act, n, y);
}

void c8_dnnl_mul_i8(int64_t outer, int64_t c, int64_t inner, const int8_t *x, const float *f,
                    int64_t f_outer, int64_t f_c, float m, int8_t *y) {
    const c8_quant_act none = {C8_QACT_NONE, -INFINITY, INFINITY, 0.0f};
    const int64_t planes = outer * c;
    if (planes == 1) { /* one factor over the whole tensor: chunks on the threads */
        c8_dnnl_requantize(x, c8_quant_mul_factor(f[0], m), none, inner, y);
        return;
    }
#ifdef C8_HAVE_AVX2_TILES
    const bool avx2 = __builtin_cpu_supports("avx2");
#endif
    /* one parallel region over the (item, channel) planes, each with its own multiplier */
#pragma omp parallel for schedule(static) if (planes * inner >= C8_CHUNK)
    for (int64_t p = 0; p < planes; p++) {
        const float mk = c8_quant_mul_factor(f[p / c * f_outer + p % c * f_c], m);
        const int64_t at = p * inner;
#ifdef C8_HAVE_AVX2_TILES
        if (avx2) {
            rq_avx2(x + at, mk, 0, inner, none, y + at);
            continue;
        }
#endif
        requantize_scalar(x + at, mk, none, inner, y + at);
    }
}

void c8_dnnl_dequantize(const int8_t *q, float s, int64_t n, float *x) {
#ifdef C8_HAVE_AVX2_TILES
    if (__builtin_cpu_supports("avx2")) {
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < (n + C8_CHUNK - 1) / C8_CHUNK; c++)
            dq_avx2(q, s, c * C8_CHUNK, c * C8_CHUNK + C8_CHUNK < n ? c * C8_CHUNK + C8_CHUNK : n,
                    x);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) x[i] = (float)q[i] * s;
}

void c8_dnnl_concat_i8(int64_t outer, int64_t inner, int n_inputs, const int8_t *const *xs,
                       const int64_t *channels, const float *mults, int8_t *y) {
    int64_t ctot = 0;
    for (int i = 0; i < n_inputs; i++) ctot += channels[i];
    const c8_quant_act none = {C8_QACT_NONE, 0.0f, 0.0f, 0.0f};
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < outer; o++) {
        int64_t c0 = 0;
        for (int i = 0; i < n_inputs; i++) {
            const int64_t len = channels[i] * inner;
            const int8_t *src = xs[i] + o * len;
            int8_t *dst = y + (o * ctot + c0) * inner;
            /* (a multiplier of 1 too: a copy, but for -128, which rounds to -127) */
#ifdef C8_HAVE_AVX2_TILES
            if (__builtin_cpu_supports("avx2"))
                rq_avx2(src, mults[i], 0, len, none, dst);
            else
#endif
                requantize_scalar(src, mults[i], none, len, dst);
            c0 += channels[i];
        }
    }
}

void c8_dnnl_add_i8(int64_t n, const int8_t *a, float ma, const int8_t *b, float mb,
                    c8_quant_act act, int8_t *y) {
#ifdef C8_HAVE_AVX2_TILES
    if (__builtin_cpu_supports("avx2")) {
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < (n + C8_CHUNK - 1) / C8_CHUNK; c++)
            add_avx2(a, ma, b, mb, c * C8_CHUNK,
                     c * C8_CHUNK + C8_CHUNK < n ? c * C8_CHUNK + C8_CHUNK : n, act, y);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) y[i] = elem_i8(a[i], ma, b + i, mb, act);
}
