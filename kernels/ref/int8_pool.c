/* INT8 reference MaxPool, AveragePool (per-window count multipliers) and GlobalAveragePool.
 * Semantics: include/calib8/quant.h; descriptor: kernels/ref/int8.h. */
#include "kernels/ref/int8.h"

#include "util/err.h"

void c8_ref_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y) {
    C8_ASSERT(c8_pool2d_desc_check(NULL, d, 1, NULL) == C8_OK);
    for (int64_t nc = 0; nc < d->n * d->c; nc++) {
        const int8_t *xp = x + nc * d->h * d->w;
        for (int64_t p = 0; p < d->p; p++)
            for (int64_t q = 0; q < d->q; q++) {
                int8_t m = C8_QMIN; /* -inf saturated: padding never wins */
                for (int64_t i = 0; i < d->kh; i++) {
                    int64_t ih = p * d->stride_h - d->pad_t + i * d->dil_h;
                    if (ih < 0 || ih >= d->h) continue;
                    for (int64_t j = 0; j < d->kw; j++) {
                        int64_t iw = q * d->stride_w - d->pad_l + j * d->dil_w;
                        if (iw < 0 || iw >= d->w) continue;
                        if (xp[ih * d->w + iw] > m) m = xp[ih * d->w + iw];
                    }
                }
                y[(nc * d->p + p) * d->q + q] = m;
            }
    }
}

void c8_ref_int8_avgpool2d(const c8_pool2d_desc *d, const int8_t *x, const float *mults,
                           int8_t *y) {
    C8_ASSERT(c8_pool2d_desc_check(NULL, d, 0, NULL) == C8_OK);
    for (int64_t nc = 0; nc < d->n * d->c; nc++) {
        const int8_t *xp = x + nc * d->h * d->w;
        for (int64_t p = 0; p < d->p; p++)
            for (int64_t q = 0; q < d->q; q++) {
                int32_t acc = 0, count = 0;
                for (int64_t i = 0; i < d->kh; i++) {
                    int64_t ih = p * d->stride_h - d->pad_t + i * d->dil_h;
                    int in_h = ih >= 0 && ih < d->h;
                    int pad_h = ih >= -d->pad_t && ih < d->h + d->pad_b;
                    for (int64_t j = 0; j < d->kw; j++) {
                        int64_t iw = q * d->stride_w - d->pad_l + j * d->dil_w;
                        int in_w = iw >= 0 && iw < d->w;
                        int pad_w = iw >= -d->pad_l && iw < d->w + d->pad_r;
                        if (in_h && in_w) acc += xp[ih * d->w + iw];
                        if (d->count_include_pad ? (pad_h && pad_w) : (in_h && in_w)) count++;
                    }
                }
                y[(nc * d->p + p) * d->q + q] = count ? c8_quant_requantize(acc, mults[count]) : 0;
            }
    }
}

void c8_ref_int8_global_avgpool(int64_t n, int64_t c, int64_t hw, const int8_t *x, float mult,
                                int8_t *y) {
    C8_ASSERT(n >= 0 && c >= 0 && hw >= 1 && hw <= C8_QUANT_MAX_POOL_COUNT);
    for (int64_t nc = 0; nc < n * c; nc++) {
        int32_t acc = 0;
        for (int64_t i = 0; i < hw; i++) acc += x[nc * hw + i];
        y[nc] = c8_quant_requantize(acc, mult);
    }
}
