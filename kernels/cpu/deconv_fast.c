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
/* The same for s1 == 2 (two outputs per input column, interleaved into 16 contiguous outputs),
 * KB output channels (weights wc apart... their rows kstride apart) x IB blocks of 8 input columns
 * per step, so one load of x serves 2 * KB products and one weight broadcast 2 * IB of them
 * (the 1-column-block, 1-channel loop was load-bound: 3 loads per 4 float operations). Each
 * output keeps the reference's order: products over c ascending, then the bias. Returns the first
 * column not done. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) int64_t
blk2_avx2(const int KB, const int IB, int64_t ix, int64_t cg, const float *x, int64_t xs,
          const float *w, int64_t wc, int64_t kw, const float *bias, bool has_bias, int64_t w_in,
          float *y, int64_t ys) {
    for (; ix + 8 * IB <= w_in; ix += 8 * IB) {
        __m256 a[4][4][2];
#pragma GCC unroll 4
        for (int k = 0; k < KB; k++)
#pragma GCC unroll 4
            for (int b = 0; b < IB; b++) a[k][b][0] = a[k][b][1] = _mm256_setzero_ps();
        for (int64_t c = 0; c < cg; c++) {
            __m256 xv[4];
#pragma GCC unroll 4
            for (int b = 0; b < IB; b++) xv[b] = _mm256_loadu_ps(x + c * xs + ix + 8 * b);
#pragma GCC unroll 4
            for (int k = 0; k < KB; k++) {
                const __m256 w0 = _mm256_set1_ps(w[c * wc + k * kw]);
                const __m256 w1 = _mm256_set1_ps(w[c * wc + k * kw + 1]);
#pragma GCC unroll 4
                for (int b = 0; b < IB; b++) {
                    a[k][b][0] = _mm256_add_ps(a[k][b][0], _mm256_mul_ps(xv[b], w0));
                    a[k][b][1] = _mm256_add_ps(a[k][b][1], _mm256_mul_ps(xv[b], w1));
                }
            }
        }
#pragma GCC unroll 4
        for (int k = 0; k < KB; k++) {
            const __m256 vb = _mm256_set1_ps(has_bias ? bias[k] : 0.0f);
#pragma GCC unroll 4
            for (int b = 0; b < IB; b++) {
                __m256 a0 = a[k][b][0], a1 = a[k][b][1];
                if (has_bias) {
                    a0 = _mm256_add_ps(a0, vb);
                    a1 = _mm256_add_ps(a1, vb);
                }
                const __m256 lo = _mm256_unpacklo_ps(a0, a1), hi = _mm256_unpackhi_ps(a0, a1);
                float *yo = y + k * ys + 2 * (ix + 8 * b);
                _mm256_storeu_ps(yo, _mm256_permute2f128_ps(lo, hi, 0x20));
                _mm256_storeu_ps(yo + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
            }
        }
    }
    return ix;
}

/* kb (1..4) output channels of one output row pair: 4 channels x 1 column block, 2 x 2, or one
 * channel over 4 column blocks (the 1-channel heads), then single blocks; returns the first
 * column not done. */
__attribute__((target("avx2"))) static int64_t
row2_avx2(int kb, int64_t cg, const float *x, int64_t xs, const float *w, int64_t wc, int64_t kw,
          const float *bias, bool has_bias, int64_t w_in, float *y, int64_t ys) {
    int64_t ix = 0;
    switch (kb) {
    case 4: return blk2_avx2(4, 1, ix, cg, x, xs, w, wc, kw, bias, has_bias, w_in, y, ys);
    case 3: return blk2_avx2(3, 1, ix, cg, x, xs, w, wc, kw, bias, has_bias, w_in, y, ys);
    case 2:
        ix = blk2_avx2(2, 2, ix, cg, x, xs, w, wc, kw, bias, has_bias, w_in, y, ys);
        return blk2_avx2(2, 1, ix, cg, x, xs, w, wc, kw, bias, has_bias, w_in, y, ys);
    default:
        ix = blk2_avx2(1, 4, ix, cg, x, xs, w, wc, kw, bias, has_bias, w_in, y, ys);
        return blk2_avx2(1, 1, ix, cg, x, xs, w, wc, kw, bias, has_bias, w_in, y, ys);
    }
}

static bool have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#endif

void c8_cpu_deconv_ks(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                      float *y) {
    const int64_t H = d->in[0], W = d->in[1], s0 = d->stride[0], s1 = d->stride[1];
    const int64_t OH = H * s0, OW = W * s1;
    const int64_t cg = d->C / d->group, kg = d->K / d->group;
    /* one task: up to 4 output channels of one group, one input row */
    const int64_t kblocks = (kg + 3) / 4;
    const int64_t tasks = d->N * d->group * kblocks * H;
#ifdef C8_HAVE_X86
    const bool avx2 = s1 == 2 && have_avx2();
#endif
#pragma omp parallel for schedule(static) if (d->N * d->K * OH * OW >= 65536)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t iy = t % H, rest = t / H;
        const int64_t kbi = rest % kblocks, ng = rest / kblocks;
        const int64_t grp = ng % d->group, n = ng / d->group;
        const int64_t k0 = grp * kg + kbi * 4;
        const int kb = (int)(kg - kbi * 4 < 4 ? kg - kbi * 4 : 4);
        const float *xr = x + (n * d->C + grp * cg) * H * W + iy * W;
        /* w[(grp * cg + c) * kg + k % kg][ky][kx]: channel stride kg * s0 * s1, next output
         * channel s0 * s1 further */
        const float *wk = w + (grp * cg * kg + (k0 - grp * kg)) * s0 * s1;
        const int64_t wc = kg * s0 * s1;
        for (int64_t ky = 0; ky < s0; ky++) {
            float *yr = y + ((n * d->K + k0) * OH + iy * s0 + ky) * OW;
            int64_t ix = 0;
#ifdef C8_HAVE_X86
            if (avx2)
                ix = row2_avx2(kb, cg, xr, H * W, wk + ky * s1, wc, s0 * s1,
                               bias ? bias + k0 : NULL, bias != NULL, W, yr, OH * OW);
#endif
            for (int k = 0; k < kb; k++)
                row_scalar(cg, xr, H * W, wk + k * s0 * s1 + ky * s1, wc, s1,
                           bias ? bias[k0 + k] : 0.0f, bias != NULL, ix, W, yr + k * OH * OW);
        }
    }
}
