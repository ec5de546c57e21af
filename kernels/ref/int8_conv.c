/* INT8 reference 2-D convolution (grouped, depthwise, strided, dilated, asymmetric pads) with the
 * fused epilogue. Semantics: include/calib8/quant.h; descriptor: kernels/ref/int8.h. */
#include "kernels/ref/int8.h"

#include "util/err.h"

void c8_ref_int8_conv2d(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w,
                        const c8_int8_epilogue *ep, void *y) {
    C8_ASSERT(c8_conv2d_desc_check(NULL, d, NULL) == C8_OK);
    C8_ASSERT(c8_int8_epilogue_check(NULL, ep, d->k, NULL) == C8_OK);
    int64_t cg = d->c / d->group; /* input channels per group */
    int64_t kg = d->k / d->group; /* output channels per group */
    for (int64_t n = 0; n < d->n; n++)
        for (int64_t k = 0; k < d->k; k++) {
            int64_t g = k / kg;
            for (int64_t p = 0; p < d->p; p++)
                for (int64_t q = 0; q < d->q; q++) {
                    /* |acc| <= bias limit + 127*127*K <= INT32_MAX: no overflow */
                    int32_t acc = ep->bias ? ep->bias[k] : 0;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t r = 0; r < d->r; r++) {
                            int64_t ih = p * d->stride_h - d->pad_t + r * d->dil_h;
                            if (ih < 0 || ih >= d->h) continue; /* padding: adds 0 */
                            for (int64_t s = 0; s < d->s; s++) {
                                int64_t iw = q * d->stride_w - d->pad_l + s * d->dil_w;
                                if (iw < 0 || iw >= d->w) continue;
                                int32_t xv = x[((n * d->c + g * cg + c) * d->h + ih) * d->w + iw];
                                int32_t wv = w[((k * cg + c) * d->r + r) * d->s + s];
                                acc += xv * wv;
                            }
                        }
                    c8_ref_int8_epilogue_store(ep, k, ((n * d->k + k) * d->p + p) * d->q + q, acc,
                                               y);
                }
        }
}
