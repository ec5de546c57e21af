/* Float32 products with few rows (kernels/cpu/gemv_fast.h). */
#include "kernels/cpu/gemv_fast.h"

#include <stdbool.h>
#include <stddef.h>

/* Output columns per task: a fixed split, so a column's thread changes with the thread count but
 * not its arithmetic. */
#define COLS 8

/* The dot product of x and w over K, in one fixed order: 32 running sums (sum j takes k = j mod 32
 * of each whole block of 32), folded into 8 as (j + (j+8)) + ((j+16) + (j+24)); then the
 * remaining whole blocks of 8 added into those 8 (lane j: k = j mod 8); then the 8 added as
 * ((0+4)+(2+6))+((1+5)+(3+7)); then the tail in order, all with fused multiply-adds. Four
 * independent vector sums per row keep the multiply-adds from waiting on each other. This is the
 * scalar form, for CPUs without AVX2 / FMA. */
static float dot_scalar(const float *x, const float *w, int64_t K) {
    float l[32] = {0}, v[8];
    int64_t k = 0;
    for (; k + 32 <= K; k += 32)
        for (int j = 0; j < 32; j++) l[j] = __builtin_fmaf(x[k + j], w[k + j], l[j]);
    for (int j = 0; j < 8; j++) v[j] = (l[j] + l[j + 8]) + (l[j + 16] + l[j + 24]);
    for (; k + 8 <= K; k += 8)
        for (int j = 0; j < 8; j++) v[j] = __builtin_fmaf(x[k + j], w[k + j], v[j]);
    float s = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
    for (; k < K; k++) s = __builtin_fmaf(x[k], w[k], s);
    return s;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define C8_GEMV_AVX2 1

__attribute__((target("avx2,fma"))) static inline float hsum8(__m256 v) {
    /* lanes (0+4), (1+5), (2+6), (3+7); then (0+4)+(2+6) and (1+5)+(3+7); then their sum: the
     * scalar path's tree */
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 b = _mm_add_ps(a, _mm_movehl_ps(a, a));
    return _mm_cvtss_f32(_mm_add_ss(b, _mm_shuffle_ps(b, b, 1)));
}

/* dot_scalar's order for R (1 or 2) rows of x against one row of w, which is loaded once. */
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) void
dots_avx2(const int R, const float *x0, const float *x1, const float *w, int64_t K, float *out,
          int64_t ostride) {
    const float *xr[2] = {x0, x1};
    __m256 a[2][4], v[2];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < 4; j++) a[r][j] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 32 <= K; k += 32)
        for (int j = 0; j < 4; j++) {
            const __m256 wv = _mm256_loadu_ps(w + k + 8 * j);
            for (int r = 0; r < R; r++)
                a[r][j] = _mm256_fmadd_ps(_mm256_loadu_ps(xr[r] + k + 8 * j), wv, a[r][j]);
        }
    for (int r = 0; r < R; r++)
        v[r] = _mm256_add_ps(_mm256_add_ps(a[r][0], a[r][1]), _mm256_add_ps(a[r][2], a[r][3]));
    for (; k + 8 <= K; k += 8) {
        const __m256 wv = _mm256_loadu_ps(w + k);
        for (int r = 0; r < R; r++) v[r] = _mm256_fmadd_ps(_mm256_loadu_ps(xr[r] + k), wv, v[r]);
    }
    for (int r = 0; r < R; r++) {
        float s = hsum8(v[r]);
        for (int64_t t = k; t < K; t++) s = __builtin_fmaf(xr[r][t], w[t], s);
        out[r * ostride] = s;
    }
}

/* int8 sums of R (1 or 2) rows of x against one row of w: 16 products at a time widened to int16
 * and paired into int32 (vpmaddwd: 2 x 127 x 128 at most per pair, exact). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
dots_i8_avx2(const int R, const int8_t *x0, const int8_t *x1, const int8_t *w, int64_t K,
             int32_t *out, int64_t ostride) {
    const int8_t *xr[2] = {x0, x1};
    __m256i a[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
        const __m256i wv =
            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w + k)));
        for (int r = 0; r < R; r++) {
            const __m256i xv =
                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(xr[r] + k)));
            a[r] = _mm256_add_epi32(a[r], _mm256_madd_epi16(xv, wv));
        }
    }
    for (int r = 0; r < R; r++) {
        int32_t l[8];
        _mm256_storeu_si256((__m256i *)(void *)l, a[r]);
        int32_t s = l[0] + l[1] + l[2] + l[3] + l[4] + l[5] + l[6] + l[7];
        for (int64_t t = k; t < K; t++) s += (int32_t)xr[r][t] * (int32_t)w[t];
        out[r * ostride] = s;
    }
}

/* Columns [n0, n1) of every row, rows in pairs (each w row read from memory once) by DOTS
 * (dots_avx2 or dots_i8_avx2). */
#define C8_COLS(DOTS)                                                                              \
    for (int64_t n = n0; n < n1; n++)                                                              \
        for (int64_t m = 0; m < M; m += 2) {                                                       \
            if (m + 1 < M)                                                                         \
                DOTS(2, x + m * K, x + (m + 1) * K, w + n * K, K, out + m * N + n, N);             \
            else                                                                                   \
                DOTS(1, x + m * K, NULL, w + n * K, K, out + m * N + n, N);                        \
        }

__attribute__((target("avx2"))) static void cols_i8_avx2(int64_t M, int64_t K, const int8_t *x,
                                                         const int8_t *w, int64_t N, int64_t n0,
                                                         int64_t n1, int32_t *out) {
    C8_COLS(dots_i8_avx2)
}

__attribute__((target("avx2,fma"))) static void cols_avx2(int64_t M, int64_t K, const float *x,
                                                          const float *w, int64_t N, int64_t n0,
                                                          int64_t n1, float *out) {
    C8_COLS(dots_avx2)
}
#undef C8_COLS
#endif

void c8_cpu_gemv_nk(int64_t M, int64_t N, int64_t K, const float *x, const float *w,
                    const float *bias, const float *res, float *y) {
#ifdef C8_GEMV_AVX2
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    const int64_t tasks = (N + COLS - 1) / COLS;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t n0 = t * COLS, n1 = n0 + COLS < N ? n0 + COLS : N;
#ifdef C8_GEMV_AVX2
        if (avx2)
            cols_avx2(M, K, x, w, N, n0, n1, y);
        else
#endif
            for (int64_t n = n0; n < n1; n++)
                for (int64_t m = 0; m < M; m++) y[m * N + n] = dot_scalar(x + m * K, w + n * K, K);
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = n0; n < n1; n++) {
                float v = y[m * N + n];
                if (bias) v += bias[n];
                if (res) v += res[m * N + n];
                y[m * N + n] = v;
            }
    }
}

void c8_cpu_gemv_i8(int64_t M, int64_t N, int64_t K, const int8_t *x, const int8_t *w,
                    int32_t *acc) {
#ifdef C8_GEMV_AVX2
    const bool avx2 = __builtin_cpu_supports("avx2");
#endif
    const int64_t tasks = (N + COLS - 1) / COLS;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t n0 = t * COLS, n1 = n0 + COLS < N ? n0 + COLS : N;
#ifdef C8_GEMV_AVX2
        if (avx2) {
            cols_i8_avx2(M, K, x, w, N, n0, n1, acc);
            continue;
        }
#endif
        for (int64_t n = n0; n < n1; n++)
            for (int64_t m = 0; m < M; m++) {
                int32_t s = 0;
                for (int64_t k = 0; k < K; k++) s += (int32_t)x[m * K + k] * (int32_t)w[n * K + k];
                acc[m * N + n] = s;
            }
    }
}
