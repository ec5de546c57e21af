/* Nearest upsampling by whole factors for the fast CPU backend (kernels/cpu/resize_fast.h). */
#include "kernels/cpu/resize_fast.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define C8_HAVE_X86 1
#endif

bool c8_cpu_resize_fits(const c8_resize_desc *d) {
    if (d->rank != 4 || d->mode != C8_RESIZE_NEAREST || d->coord != C8_COORD_ASYMMETRIC ||
        (d->nearest != C8_NEAREST_FLOOR && d->nearest != C8_NEAREST_SIMPLE))
        return false;
    for (int a = 0; a < 2; a++)
        if (d->out[a] != d->in[a]) return false;
    for (int a = 2; a < 4; a++) {
        if (d->in[a] < 1 || d->out[a] % d->in[a] != 0) return false;
        const int64_t f = d->out[a] / d->in[a];
        if (f < 1 || f > 64 || d->scale[a] != (double)f) return false;
    }
    return true;
}

#ifdef C8_HAVE_X86
/* One output row for f == 2: each of 8 inputs twice, 16 outputs per step; returns the first
 * input column not done. */
__attribute__((target("avx2"))) static int64_t row2_avx2(const float *x, int64_t w, float *y) {
    int64_t i = 0;
    for (; i + 8 <= w; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 lo = _mm256_unpacklo_ps(v, v), hi = _mm256_unpackhi_ps(v, v);
        _mm256_storeu_ps(y + 2 * i, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(y + 2 * i + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    return i;
}
#endif

void c8_cpu_resize_nearest(const c8_resize_desc *d, const float *x, float *y) {
    const int64_t H = d->in[2], W = d->in[3], OH = d->out[2], OW = d->out[3];
    const int64_t fh = OH / H, fw = OW / W, planes = d->out[0] * d->out[1];
#ifdef C8_HAVE_X86
    const bool avx2 = fw == 2 && __builtin_cpu_supports("avx2");
#endif
#pragma omp parallel for schedule(static) if (planes * OH * OW >= 65536)
    for (int64_t p = 0; p < planes; p++)
        for (int64_t iy = 0; iy < H; iy++) {
            const float *xr = x + (p * H + iy) * W;
            float *yr = y + (p * OH + iy * fh) * OW;
            int64_t i = 0;
#ifdef C8_HAVE_X86
            if (avx2) i = row2_avx2(xr, W, yr);
#endif
            for (; i < W; i++)
                for (int64_t k = 0; k < fw; k++) yr[i * fw + k] = xr[i];
            /* the other fh - 1 output rows of this input row are the same */
            for (int64_t r = 1; r < fh; r++) memcpy(yr + r * OW, yr, (size_t)OW * sizeof(float));
        }
}

#ifdef C8_HAVE_X86
/* One int8 output row for f == 2: each of 16 inputs twice, 32 outputs per step. */
__attribute__((target("avx2"))) static int64_t row2_i8_avx2(const int8_t *x, int64_t w, int8_t *y) {
    int64_t i = 0;
    for (; i + 16 <= w; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(x + i));
        _mm_storeu_si128((__m128i *)(void *)(y + 2 * i), _mm_unpacklo_epi8(v, v));
        _mm_storeu_si128((__m128i *)(void *)(y + 2 * i + 16), _mm_unpackhi_epi8(v, v));
    }
    return i;
}
#endif

void c8_cpu_resize_nearest_i8(const c8_resize_desc *d, const int8_t *x, int8_t *y) {
    const int64_t H = d->in[2], W = d->in[3], OH = d->out[2], OW = d->out[3];
    const int64_t fh = OH / H, fw = OW / W, planes = d->out[0] * d->out[1];
#ifdef C8_HAVE_X86
    const bool avx2 = fw == 2 && __builtin_cpu_supports("avx2");
#endif
#pragma omp parallel for schedule(static) if (planes * OH * OW >= 262144)
    for (int64_t p = 0; p < planes; p++)
        for (int64_t iy = 0; iy < H; iy++) {
            const int8_t *xr = x + (p * H + iy) * W;
            int8_t *yr = y + (p * OH + iy * fh) * OW;
            int64_t i = 0;
#ifdef C8_HAVE_X86
            if (avx2) i = row2_i8_avx2(xr, W, yr);
#endif
            for (; i < W; i++) memset(yr + i * fw, xr[i], (size_t)fw);
            for (int64_t r = 1; r < fh; r++) memcpy(yr + r * OW, yr, (size_t)OW);
        }
}
