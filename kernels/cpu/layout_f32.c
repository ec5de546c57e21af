/* Batched float32 transposes (kernels/cpu/layout_f32.h). */
#include "kernels/cpu/layout_f32.h"

#include <stdbool.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* the 8 x 8 block at x (row stride xs) into y (row stride ys), transposed */
/* (the loops unrolled, so that the 24 vectors live in registers: GCC's -O2 does not unroll, and
 * the rolled form kept them on the stack at a third of the speed) */
__attribute__((target("avx2"), always_inline)) static inline void tile8(const float *x, int64_t xs,
                                                                        float *y, int64_t ys) {
    __m256 r[8], t[8], u[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(x + i * xs);
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(y + i * ys, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
        _mm256_storeu_ps(y + (i + 4) * ys, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
    }
}

/* rows [i0, i1) of one matrix; i1 - i0 a multiple of 8 except at the matrix's end */
__attribute__((target("avx2"))) static void band_avx2(int64_t rows, int64_t cols, const float *x,
                                                      float *y, int64_t i0, int64_t i1) {
    int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        int64_t j = 0;
        for (; j + 8 <= cols; j += 8) tile8(x + i * cols + j, cols, y + j * rows + i, rows);
        for (; j < cols; j++)
            for (int64_t k = i; k < i + 8; k++) y[j * rows + k] = x[k * cols + j];
    }
    for (; i < i1; i++)
        for (int64_t j = 0; j < cols; j++) y[j * rows + i] = x[i * cols + j];
}

static bool have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
static void band_avx2(int64_t rows, int64_t cols, const float *x, float *y, int64_t i0,
                      int64_t i1) {
    (void)rows, (void)cols, (void)x, (void)y, (void)i0, (void)i1;
}
static bool have_avx2(void) { return false; }
#endif

static void band(int64_t rows, int64_t cols, const float *x, float *y, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++)
        for (int64_t j = 0; j < cols; j++) y[j * rows + i] = x[i * cols + j];
}

void c8_cpu_transpose_f32(int64_t batch, int64_t rows, int64_t cols, const float *x, float *y) {
    const bool avx2 = have_avx2();
    /* bands of 64 rows (8 tiles of 8) per task: a band's output columns stay in cache */
    const int64_t bands = (rows + 63) / 64, tasks = batch * bands;
    const bool threads = batch * rows * cols >= 65536;
#pragma omp parallel for schedule(static) if (threads)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t b = t / bands, i0 = (t % bands) * 64;
        const int64_t i1 = i0 + 64 < rows ? i0 + 64 : rows;
        const float *xb = x + b * rows * cols;
        float *yb = y + b * rows * cols;
        if (avx2)
            band_avx2(rows, cols, xb, yb, i0, i1);
        else
            band(rows, cols, xb, yb, i0, i1);
    }
}

/* ---- 1-byte elements ---- */

#if defined(__x86_64__) || defined(__i386__)
/* the 16 x 16 bytes at x (row stride xs) into y (row stride ys), transposed: four rounds of
 * unpacks, each interleaving pairs of rows at twice the element width of the round before */
__attribute__((target("sse2"), always_inline)) static inline void
tile16_8(const uint8_t *x, int64_t xs, uint8_t *y, int64_t ys) {
    __m128i a[16], b[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        a[i] = _mm_loadu_si128((const __m128i *)(const void *)(x + i * xs));
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        b[i] = _mm_unpacklo_epi8(a[i], a[i + 1]);
        b[i + 1] = _mm_unpackhi_epi8(a[i], a[i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 16; i += 4) {
        a[i] = _mm_unpacklo_epi16(b[i], b[i + 2]);
        a[i + 1] = _mm_unpackhi_epi16(b[i], b[i + 2]);
        a[i + 2] = _mm_unpacklo_epi16(b[i + 1], b[i + 3]);
        a[i + 3] = _mm_unpackhi_epi16(b[i + 1], b[i + 3]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 16; i += 8) {
        b[i] = _mm_unpacklo_epi32(a[i], a[i + 4]);
        b[i + 1] = _mm_unpackhi_epi32(a[i], a[i + 4]);
        b[i + 2] = _mm_unpacklo_epi32(a[i + 1], a[i + 5]);
        b[i + 3] = _mm_unpackhi_epi32(a[i + 1], a[i + 5]);
        b[i + 4] = _mm_unpacklo_epi32(a[i + 2], a[i + 6]);
        b[i + 5] = _mm_unpackhi_epi32(a[i + 2], a[i + 6]);
        b[i + 6] = _mm_unpacklo_epi32(a[i + 3], a[i + 7]);
        b[i + 7] = _mm_unpackhi_epi32(a[i + 3], a[i + 7]);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        _mm_storeu_si128((__m128i *)(void *)(y + (2 * i) * ys), _mm_unpacklo_epi64(b[i], b[i + 8]));
        _mm_storeu_si128((__m128i *)(void *)(y + (2 * i + 1) * ys),
                         _mm_unpackhi_epi64(b[i], b[i + 8]));
    }
}

static void band8(int64_t rows, int64_t cols, const uint8_t *x, uint8_t *y, int64_t i0,
                  int64_t i1) {
    int64_t i = i0;
    for (; i + 16 <= i1; i += 16) {
        int64_t j = 0;
        for (; j + 16 <= cols; j += 16) tile16_8(x + i * cols + j, cols, y + j * rows + i, rows);
        for (; j < cols; j++)
            for (int64_t k = i; k < i + 16; k++) y[j * rows + k] = x[k * cols + j];
    }
    for (; i < i1; i++)
        for (int64_t j = 0; j < cols; j++) y[j * rows + i] = x[i * cols + j];
}
#else
static void band8(int64_t rows, int64_t cols, const uint8_t *x, uint8_t *y, int64_t i0,
                  int64_t i1) {
    for (int64_t i = i0; i < i1; i++)
        for (int64_t j = 0; j < cols; j++) y[j * rows + i] = x[i * cols + j];
}
#endif

void c8_cpu_transpose_8(int64_t batch, int64_t rows, int64_t cols, const uint8_t *x, uint8_t *y) {
    /* bands of 64 rows (4 tiles of 16) per task, as the float32 transposes */
    const int64_t bands = (rows + 63) / 64, tasks = batch * bands;
    const bool threads = batch * rows * cols >= 4 * 65536;
#pragma omp parallel for schedule(static) if (threads)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t b = t / bands, i0 = (t % bands) * 64;
        const int64_t i1 = i0 + 64 < rows ? i0 + 64 : rows;
        band8(rows, cols, x + b * rows * cols, y + b * rows * cols, i0, i1);
    }
}
