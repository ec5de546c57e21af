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
