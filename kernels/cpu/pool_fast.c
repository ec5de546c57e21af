/* FP32 MaxPool with clipped windows (kernels/cpu/pool_fast.h). */
#include "kernels/cpu/pool_fast.h"

#include <math.h>
#include <stdbool.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

/* The taps t in [0, k) whose input coordinate o * s - pb + t * dl lies in [0, in): [*t0, *t1). */
static void clip(int64_t o, int64_t in, int64_t k, int64_t s, int64_t dl, int64_t pb, int64_t *t0,
                 int64_t *t1) {
    const int64_t start = o * s - pb;
    int64_t a = 0, b = k;
    if (start < 0) a = (-start + dl - 1) / dl;
    const int64_t last = start + (k - 1) * dl; /* the last tap's coordinate */
    if (last >= in) b = k - ((last - in) / dl + 1);
    if (b < a) b = a;
    *t0 = a;
    *t1 = b;
}

static bool have_avx2(void);

/* The 2x2 / stride 2 window without padding or partial windows (the common pooling of small
 * CNNs): each output row from two input rows, 8 outputs per AVX2 step. The taps are visited in
 * the reference's order (row 0: left, right; row 1: left, right), each replacing the maximum
 * only where greater (compare and blend, as `v > m ? v : m`), so the first of equal maxima stays
 * (+0 / -0 as the reference), and any NaN tap gives the reference's NaN. The scalar loop of
 * c8_cpu_maxpool below ran ResNet-sized planes at ~2 GB/s (14% of fmnist_cnn's FP32 batch-64
 * forward on one thread, 2026-12-07). */
static inline float max4_ref(float a, float b, float c, float e) {
    float m = -INFINITY;
    bool nan = false;
    const float v[4] = {a, b, c, e};
    for (int k = 0; k < 4; k++) {
        nan |= v[k] != v[k];
        m = v[k] > m ? v[k] : m;
    }
    return nan ? NAN : m;
}

#if defined(__x86_64__) || defined(__i386__)
/* evens and odds of the 16 floats at p */
__attribute__((target("avx2"))) static inline void deinterleave(const float *p, __m256 *ev,
                                                                __m256 *od) {
    const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
    *ev = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
    *od = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD)), 0xD8));
}

__attribute__((target("avx2"))) static void pool2x2_rows_avx2(const float *r0, const float *r1,
                                                              float *y, int64_t q, int64_t *done) {
    const __m256 qnan = _mm256_set1_ps(NAN);
    int64_t i = 0;
    for (; i + 8 <= q; i += 8) {
        __m256 a, b, c, e;
        deinterleave(r0 + 2 * i, &a, &b);
        deinterleave(r1 + 2 * i, &c, &e);
        __m256 m = a;
        m = _mm256_blendv_ps(m, b, _mm256_cmp_ps(b, m, _CMP_GT_OQ));
        m = _mm256_blendv_ps(m, c, _mm256_cmp_ps(c, m, _CMP_GT_OQ));
        m = _mm256_blendv_ps(m, e, _mm256_cmp_ps(e, m, _CMP_GT_OQ));
        const __m256 nan =
            _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, e, _CMP_UNORD_Q));
        _mm256_storeu_ps(y + i, _mm256_blendv_ps(m, qnan, nan));
    }
    *done = i;
}
#else
static void pool2x2_rows_avx2(const float *r0, const float *r1, float *y, int64_t q,
                              int64_t *done) {
    (void)r0, (void)r1, (void)y, (void)q;
    *done = 0;
}
#endif

static bool pool2x2_fits(const c8_pool_desc *d) {
    if (d->nsp != 2) return false;
    for (int a = 0; a < 2; a++)
        if (d->kernel[a] != 2 || d->stride[a] != 2 || d->dilation[a] != 1 || d->pad_begin[a] != 0 ||
            2 * d->out[a] > d->in[a])
            return false;
    return true;
}

static void pool2x2(const c8_pool_desc *d, const float *x, float *y) {
    const int64_t h = d->in[0], w = d->in[1], p = d->out[0], q = d->out[1];
    const int64_t planes = d->N * d->C, blocks = planes < 64 ? planes : 64;
    const bool avx2 = have_avx2();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; b++)
        for (int64_t nc = planes * b / blocks; nc < planes * (b + 1) / blocks; nc++)
            for (int64_t i = 0; i < p; i++) {
                const float *r0 = x + (nc * h + 2 * i) * w, *r1 = r0 + w;
                float *yr = y + (nc * p + i) * q;
                int64_t j = 0;
                if (avx2) pool2x2_rows_avx2(r0, r1, yr, q, &j);
                for (; j < q; j++)
                    yr[j] = max4_ref(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1]);
            }
}

void c8_cpu_maxpool(const c8_pool_desc *d, const float *x, float *y) {
    if (pool2x2_fits(d)) {
        pool2x2(d, x, y);
        return;
    }
    /* lifted to 3-D with unit axes in front, as the reference does */
    int64_t in[3], out[3], k[3], s[3], dl[3], pb[3];
    const int off = 3 - d->nsp;
    for (int a = 0; a < 3; a++) {
        const int j = a - off;
        in[a] = j < 0 ? 1 : d->in[j];
        out[a] = j < 0 ? 1 : d->out[j];
        k[a] = j < 0 ? 1 : d->kernel[j];
        s[a] = j < 0 ? 1 : d->stride[j];
        dl[a] = j < 0 ? 1 : d->dilation[j];
        pb[a] = j < 0 ? 0 : d->pad_begin[j];
    }
    const int64_t in_sz = in[0] * in[1] * in[2], out_sz = out[0] * out[1] * out[2];
    for (int64_t nc = 0; nc < d->N * d->C; nc++) {
        const float *xc = x + nc * in_sz;
        float *yc = y + nc * out_sz;
        for (int64_t oz = 0; oz < out[0]; oz++) {
            int64_t z0, z1;
            clip(oz, in[0], k[0], s[0], dl[0], pb[0], &z0, &z1);
            for (int64_t oy = 0; oy < out[1]; oy++) {
                int64_t y0, y1;
                clip(oy, in[1], k[1], s[1], dl[1], pb[1], &y0, &y1);
                float *yr = yc + (oz * out[1] + oy) * out[2];
                for (int64_t ox = 0; ox < out[2]; ox++) {
                    int64_t x0, x1;
                    clip(ox, in[2], k[2], s[2], dl[2], pb[2], &x0, &x1);
                    const int64_t bx = ox * s[2] - pb[2];
                    float m = -INFINITY;
                    bool nan = false;
                    for (int64_t tz = z0; tz < z1; tz++) {
                        const int64_t iz = oz * s[0] - pb[0] + tz * dl[0];
                        for (int64_t ty = y0; ty < y1; ty++) {
                            const int64_t iy = oy * s[1] - pb[1] + ty * dl[1];
                            const float *row = xc + (iz * in[1] + iy) * in[2] + bx;
                            for (int64_t tx = x0; tx < x1; tx++) {
                                const float v = row[tx * dl[2]];
                                nan |= v != v;
                                m = v > m ? v : m; /* the first of equal maxima stays */
                            }
                        }
                    }
                    yr[ox] = nan ? NAN : m;
                }
            }
        }
    }
}

/* one output pixel's channels [k0, c), element by element (the vector loop's remainder) */
static void pixel_max_from(const float *x, int64_t w, int64_t c, int64_t iy0, int64_t ix0,
                           int64_t dy, int64_t dx, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                           int64_t k0, float *y) {
    for (int64_t k = k0; k < c; k++) {
        float m = -INFINITY;
        bool nan = false;
        for (int64_t ty = y0; ty < y1; ty++)
            for (int64_t tx = x0; tx < x1; tx++) {
                const float v = x[((iy0 + ty * dy) * w + ix0 + tx * dx) * c + k];
                nan |= v != v;
                m = v > m ? v : m;
            }
        y[k] = nan ? NAN : m;
    }
}

#if defined(__x86_64__) || defined(__i386__)
/* one output pixel's C channels: the taps [y0, y1) x [x0, x1) of the window at input (iy0, ix0)
 * with dilations (dy, dx), in the reference's order */
__attribute__((target("avx2"))) static void pixel_max_avx2(const float *x, int64_t w, int64_t c,
                                                           int64_t iy0, int64_t ix0, int64_t dy,
                                                           int64_t dx, int64_t y0, int64_t y1,
                                                           int64_t x0, int64_t x1, float *y) {
    const __m256 qnan = _mm256_set1_ps(NAN), ninf = _mm256_set1_ps(-INFINITY);
    int64_t k = 0;
    for (; k + 8 <= c; k += 8) {
        __m256 m = ninf, nan = _mm256_setzero_ps();
        for (int64_t ty = y0; ty < y1; ty++)
            for (int64_t tx = x0; tx < x1; tx++) {
                const __m256 v = _mm256_loadu_ps(x + ((iy0 + ty * dy) * w + ix0 + tx * dx) * c + k);
                nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                m = _mm256_blendv_ps(m, v, _mm256_cmp_ps(v, m, _CMP_GT_OQ));
            }
        _mm256_storeu_ps(y + k, _mm256_blendv_ps(m, qnan, nan));
    }
    pixel_max_from(x, w, c, iy0, ix0, dy, dx, y0, y1, x0, x1, k, y);
}
#endif

static void pixel_max(bool avx2, const float *x, int64_t w, int64_t c, int64_t iy0, int64_t ix0,
                      int64_t dy, int64_t dx, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                      float *y) {
#if defined(__x86_64__) || defined(__i386__)
    if (avx2) {
        pixel_max_avx2(x, w, c, iy0, ix0, dy, dx, y0, y1, x0, x1, y);
        return;
    }
#endif
    (void)avx2;
    pixel_max_from(x, w, c, iy0, ix0, dy, dx, y0, y1, x0, x1, 0, y);
}

void c8_cpu_maxpool_nhwc(const c8_pool_desc *d, const float *x, float *y) {
    const int64_t h = d->in[0], w = d->in[1], p = d->out[0], q = d->out[1], c = d->C;
    const int64_t rows = d->N * p;
    const bool avx2 = have_avx2();
#pragma omp parallel for schedule(static) if (rows * q * c >= 16384)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t n = r / p, oy = r % p;
        int64_t y0, y1;
        clip(oy, h, d->kernel[0], d->stride[0], d->dilation[0], d->pad_begin[0], &y0, &y1);
        const float *xn = x + n * h * w * c;
        for (int64_t ox = 0; ox < q; ox++) {
            int64_t x0, x1;
            clip(ox, w, d->kernel[1], d->stride[1], d->dilation[1], d->pad_begin[1], &x0, &x1);
            pixel_max(avx2, xn, w, c, oy * d->stride[0] - d->pad_begin[0],
                      ox * d->stride[1] - d->pad_begin[1], d->dilation[0], d->dilation[1], y0, y1,
                      x0, x1, y + (r * q + ox) * c);
        }
    }
}

/* Q8MaxPool in two passes per output row: the clipped window's rows reduced to one row (tmp,
 * the input's width), then each output the maximum of its clipped taps along that row (the
 * common 2x2 / stride 2 window as a pairwise maximum). The maximum of integers does not depend on
 * the order, so this is the reference's result. The two inner loops have AVX2 versions (GCC's
 * -O2 does not vectorize them). tmp: d->w int8 of scratch. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* t[j] = max(t[j], row[j]); the last partial vector overlaps the one before (max is
 * idempotent), so rows of 16 or more bytes need no scalar tail */
__attribute__((target("avx2"))) static inline void rows_max_avx2(int8_t *t, const int8_t *row,
                                                                 int64_t w, int64_t *done) {
    int64_t j = 0;
    for (; j + 32 <= w; j += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(t + j));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(row + j));
        _mm256_storeu_si256((__m256i *)(void *)(t + j), _mm256_max_epi8(a, b));
    }
    if (w < 16) { /* 8 bytes at a time, the last overlapping */
        if (w < 8) {
            *done = j;
            return;
        }
        for (;;) {
            if (j + 8 > w) j = w - 8;
            __m128i a = _mm_loadl_epi64((const __m128i *)(const void *)(t + j));
            __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(row + j));
            _mm_storel_epi64((__m128i *)(void *)(t + j), _mm_max_epi8(a, b));
            if ((j += 8) >= w) break;
        }
        *done = w;
        return;
    }
    for (;;) {
        if (j + 16 > w) j = w - 16;
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(t + j));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(row + j));
        _mm_storeu_si128((__m128i *)(void *)(t + j), _mm_max_epi8(a, b));
        if ((j += 16) >= w) break;
    }
    *done = w;
}

/* y[i] = max(t[2i], t[2i + 1]): each 16-bit lane's two bytes sign-extended and compared; the
 * last partial vector overlaps the one before (y depends on t alone) */
__attribute__((target("avx2"))) static inline void pairs_max_avx2(int8_t *y, const int8_t *t,
                                                                  int64_t q, int64_t *done) {
    int64_t i = 0;
    for (; i + 16 <= q; i += 16) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(t + 2 * i));
        __m256i m = _mm256_max_epi16(_mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8),
                                     _mm256_srai_epi16(v, 8));
        m = _mm256_permute4x64_epi64(_mm256_packs_epi16(m, m), 0x08);
        _mm_storeu_si128((__m128i *)(void *)(y + i), _mm256_castsi256_si128(m));
    }
    if (q < 8) { /* 4 pairs at a time, the last overlapping */
        if (q < 4) {
            *done = i;
            return;
        }
        for (; i < q; i += 4) {
            if (i + 4 > q) i = q - 4;
            __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)(t + 2 * i));
            __m128i m =
                _mm_max_epi16(_mm_srai_epi16(_mm_slli_epi16(v, 8), 8), _mm_srai_epi16(v, 8));
            const int32_t four = _mm_cvtsi128_si32(_mm_packs_epi16(m, m));
            memcpy(y + i, &four, 4);
        }
        *done = q;
        return;
    }
    for (; i < q; i += 8) {
        if (i + 8 > q) i = q - 8;
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + 2 * i));
        __m128i m = _mm_max_epi16(_mm_srai_epi16(_mm_slli_epi16(v, 8), 8), _mm_srai_epi16(v, 8));
        _mm_storel_epi64((__m128i *)(void *)(y + i), _mm_packs_epi16(m, m));
    }
    *done = q;
}
static bool have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#define C8_POOL_AVX2 __attribute__((target("avx2")))
#else
static void rows_max_avx2(int8_t *t, const int8_t *row, int64_t w, int64_t *done) {
    (void)t, (void)row, (void)w;
    *done = 0;
}
static void pairs_max_avx2(int8_t *y, const int8_t *t, int64_t q, int64_t *done) {
    (void)y, (void)t, (void)q;
    *done = 0;
}
static bool have_avx2(void) { return false; }
#define C8_POOL_AVX2
#endif

static inline void rows_max(int8_t *restrict t, const int8_t *restrict row, int64_t w, bool avx2) {
    int64_t j = 0;
    if (avx2) rows_max_avx2(t, row, w, &j);
    for (; j < w; j++) t[j] = row[j] > t[j] ? row[j] : t[j];
}

static inline void pairs_max(int8_t *restrict y, const int8_t *restrict t, int64_t q, bool avx2) {
    int64_t i = 0;
    if (avx2) pairs_max_avx2(y, t, q, &i);
    for (; i < q; i++) y[i] = t[2 * i] > t[2 * i + 1] ? t[2 * i] : t[2 * i + 1];
}

/* The pooling, inlined into an AVX2 function (where the row helpers inline too: rows are short)
 * and a baseline one. */
static inline __attribute__((always_inline)) void int8_maxpool_body(const c8_pool2d_desc *d,
                                                                    int64_t nc0, int64_t nc1,
                                                                    const int8_t *x, int8_t *y,
                                                                    int8_t *tmp, const bool avx2) {
    const bool pairs =
        d->kw == 2 && d->stride_w == 2 && d->dil_w == 1 && d->pad_l == 0 && 2 * d->q <= d->w;
    for (int64_t nc = nc0; nc < nc1; nc++) {
        const int8_t *xc = x + nc * d->h * d->w;
        int8_t *yc = y + nc * d->p * d->q;
        for (int64_t p = 0; p < d->p; p++) {
            int64_t i0, i1;
            clip(p, d->h, d->kh, d->stride_h, d->dil_h, d->pad_t, &i0, &i1);
            int8_t *yr = yc + p * d->q;
            if (i1 <= i0) { /* no row inside: every output of the row is the padding's */
                memset(yr, C8_QMIN, (size_t)d->q);
                continue;
            }
            const int64_t r0 = p * d->stride_h - d->pad_t;
            memcpy(tmp, xc + (r0 + i0 * d->dil_h) * d->w, (size_t)d->w);
            for (int64_t i = i0 + 1; i < i1; i++)
                rows_max(tmp, xc + (r0 + i * d->dil_h) * d->w, d->w, avx2);
            if (pairs) {
                pairs_max(yr, tmp, d->q, avx2);
                continue;
            }
            for (int64_t q = 0; q < d->q; q++) {
                int64_t j0, j1;
                clip(q, d->w, d->kw, d->stride_w, d->dil_w, d->pad_l, &j0, &j1);
                const int64_t bw = q * d->stride_w - d->pad_l;
                int m = C8_QMIN; /* -inf saturated: padding never wins */
                for (int64_t j = j0; j < j1; j++) {
                    const int v = tmp[bw + j * d->dil_w];
                    m = v > m ? v : m;
                }
                yr[q] = (int8_t)m;
            }
        }
    }
}

C8_POOL_AVX2 static void int8_maxpool_avx2(const c8_pool2d_desc *d, int64_t nc0, int64_t nc1,
                                           const int8_t *x, int8_t *y, int8_t *tmp) {
    int8_maxpool_body(d, nc0, nc1, x, y, tmp, true);
}

static void int8_maxpool_base(const c8_pool2d_desc *d, int64_t nc0, int64_t nc1, const int8_t *x,
                              int8_t *y, int8_t *tmp) {
    int8_maxpool_body(d, nc0, nc1, x, y, tmp, false);
}

bool c8_cpu_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y) {
    /* blocks of (image, channel) planes on the threads in force (the context's: the segment
     * runs under its count), each with its own row buffer */
    const bool avx2 = have_avx2();
    const int64_t planes = d->n * d->c, blocks = planes < 64 ? planes : 64;
    bool ok = true;
#pragma omp parallel for schedule(static) reduction(&& : ok)
    for (int64_t b = 0; b < blocks; b++) {
        int8_t row[4096];
        int8_t *tmp = d->w <= (int64_t)sizeof row ? row : malloc((size_t)d->w);
        if (!tmp) {
            ok = false;
            continue;
        }
        const int64_t nc0 = planes * b / blocks, nc1 = planes * (b + 1) / blocks;
        if (avx2)
            int8_maxpool_avx2(d, nc0, nc1, x, y, tmp);
        else
            int8_maxpool_base(d, nc0, nc1, x, y, tmp);
        if (tmp != row) free(tmp);
    }
    return ok;
}

/* ---------------------------------------------------------------- Q8GlobalAveragePool */

#if defined(__x86_64__) || defined(__i386__)
/* The exact sum of n int8 values, 32 at a time: x ^ 0x80 is x + 128 as an unsigned byte, whose
 * sums of 8 vpsadbw adds into 64-bit lanes; 128 per value is taken off at the end. */
__attribute__((target("avx2"))) static int64_t sum_i8_avx2(const int8_t *x, int64_t n) {
    const __m256i flip = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
    __m256i acc = _mm256_setzero_si256();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_xor_si256(v, flip), zero));
    }
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)(void *)lanes, acc);
    int64_t s = lanes[0] + lanes[1] + lanes[2] + lanes[3] - 128 * i;
    for (; i < n; i++) s += x[i];
    return s;
}
#endif

void c8_cpu_int8_global_avgpool(int64_t n, int64_t c, int64_t hw, const int8_t *x, float mult,
                                int8_t *y) {
#if defined(__x86_64__) || defined(__i386__)
    const bool avx2 = __builtin_cpu_supports("avx2");
#endif
#pragma omp parallel for schedule(static) if (n * c * hw >= 262144)
    for (int64_t nc = 0; nc < n * c; nc++) {
        const int8_t *p = x + nc * hw;
        int64_t s = 0;
#if defined(__x86_64__) || defined(__i386__)
        if (avx2)
            s = sum_i8_avx2(p, hw);
        else
#endif
            for (int64_t i = 0; i < hw; i++) s += p[i];
        /* |s| <= 127 * C8_QUANT_MAX_POOL_COUNT fits int32, as the reference's accumulator */
        y[nc] = c8_quant_requantize((int32_t)s, mult);
    }
}
