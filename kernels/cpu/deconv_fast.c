/* ConvTranspose with kernel == stride for the fast CPU backend (kernels/cpu/deconv_fast.h). */
#include "kernels/cpu/deconv_fast.h"

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define C8_HAVE_X86 1
#endif

bool c8_cpu_deconv_ks_fits(const c8_conv_desc *d) {
    if (d->nsp != 2 || d->group < 1 || d->C % d->group || d->K % d->group) return false;
    for (int a = 0; a < 2; a++)
        if (d->kernel[a] != d->stride[a] || d->kernel[a] < 1 || d->dilation[a] != 1 ||
            d->pad_begin[a] != 0 || d->out[a] != d->in[a] * d->stride[a])
            return false;
    return true;
}

/* One output row's span [ix0, ix1) of input columns for output channel row (n, k), kernel row
 * ky: y[(ix * s1 + kx)] = sum_c x[c][ix] * w[c][kx] (c ascending) + bias. xs: the input
 * channels' plane stride; wc: the weights' channel stride; w: this (k, ky)'s first kx. */
static void row_scalar(int64_t cg, const float *x, int64_t xs, const float *w, int64_t wc,
                       int64_t s1, float bias, bool has_bias, int64_t ix0, int64_t ix1, float *y) {
    for (int64_t ix = ix0; ix < ix1; ix++)
        for (int64_t kx = 0; kx < s1; kx++) {
            float acc = 0.0f;
            for (int64_t c = 0; c < cg; c++) acc += x[c * xs + ix] * w[c * wc + kx];
            y[ix * s1 + kx] = has_bias ? acc + bias : acc;
        }
}

#ifdef C8_HAVE_X86
/* the same, 8 input columns per step, for s1 == 2 (two outputs per input column, interleaved
 * into 16 contiguous outputs); returns the first column not done */
__attribute__((target("avx2"))) static int64_t row2_avx2(int64_t cg, const float *x, int64_t xs,
                                                         const float *w, int64_t wc, float bias,
                                                         bool has_bias, int64_t w_in, float *y) {
    int64_t ix = 0;
    const __m256 vb = _mm256_set1_ps(bias);
    for (; ix + 8 <= w_in; ix += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (int64_t c = 0; c < cg; c++) {
            const __m256 xv = _mm256_loadu_ps(x + c * xs + ix);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(xv, _mm256_set1_ps(w[c * wc])));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(xv, _mm256_set1_ps(w[c * wc + 1])));
        }
        if (has_bias) {
            a0 = _mm256_add_ps(a0, vb);
            a1 = _mm256_add_ps(a1, vb);
        }
        const __m256 lo = _mm256_unpacklo_ps(a0, a1), hi = _mm256_unpackhi_ps(a0, a1);
        _mm256_storeu_ps(y + 2 * ix, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(y + 2 * ix + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    return ix;
}

static bool have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#endif

void c8_cpu_deconv_ks(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                      float *y) {
    const int64_t H = d->in[0], W = d->in[1], s0 = d->stride[0], s1 = d->stride[1];
    const int64_t OH = H * s0, OW = W * s1;
    const int64_t cg = d->C / d->group, kg = d->K / d->group;
    const int64_t tasks = d->N * d->K * H; /* one input row of one output channel each */
#ifdef C8_HAVE_X86
    const bool avx2 = s1 == 2 && have_avx2();
#endif
#pragma omp parallel for schedule(static) if (d->N * d->K * OH * OW >= 65536)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t iy = t % H, nk = t / H, k = nk % d->K, n = nk / d->K;
        const int64_t grp = k / kg;
        const float *xr = x + (n * d->C + grp * cg) * H * W + iy * W;
        /* w[(grp * cg + c) * kg + k % kg][ky][kx]: channel stride kg * s0 * s1 */
        const float *wk = w + (grp * cg * kg + (k - grp * kg)) * s0 * s1;
        const int64_t wc = kg * s0 * s1;
        const float b = bias ? bias[k] : 0.0f;
        for (int64_t ky = 0; ky < s0; ky++) {
            float *yr = y + ((n * d->K + k) * OH + iy * s0 + ky) * OW;
            int64_t ix = 0;
#ifdef C8_HAVE_X86
            if (avx2) ix = row2_avx2(cg, xr, H * W, wk + ky * s1, wc, b, bias != NULL, W, yr);
#endif
            row_scalar(cg, xr, H * W, wk + ky * s1, wc, s1, b, bias != NULL, ix, W, yr);
        }
    }
}
