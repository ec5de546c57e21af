/* INT8 reference 2-D convolution (grouped, depthwise, strided, dilated, asymmetric pads) with the
 * fused epilogue. Semantics: include/calib8/quant.h; descriptor: kernels/ref/int8.h. */
#include "kernels/ref/int8.h"

#include "util/err.h"

#include <stdlib.h>

/* Outputs o in [*lo, *hi) whose tap t reads inside the input: 0 <= o*stride - pad + t*dil < in. */
static void out_range(int64_t t, int64_t stride, int64_t pad, int64_t dil, int64_t in, int64_t out,
                      int64_t *lo, int64_t *hi) {
    int64_t off = t * dil - pad, a = 0, b = out;
    if (off < 0) a = (-off + stride - 1) / stride;
    if (off <= in - 1) {
        int64_t last = (in - 1 - off) / stride;
        if (last + 1 < b) b = last + 1;
    } else {
        b = 0;
    }
    *lo = a;
    *hi = b > a ? b : a;
}

/* ar[i] += xr[i] * w over a row of outputs (restrict: the plane never overlaps the input). */
static void axpy_row_i8(int32_t *restrict ar, const int8_t *restrict xr, int32_t w, int64_t n) {
    for (int64_t i = 0; i < n; i++) ar[i] += (int32_t)xr[i] * w;
}

/* One output element at a time: the plain definition, used when no scratch plane is available. */
static void point_wise(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w,
                       const c8_int8_epilogue *ep, void *y) {
    int64_t cg = d->c / d->group, kg = d->k / d->group;
    for (int64_t n = 0; n < d->n; n++)
        for (int64_t k = 0; k < d->k; k++)
            for (int64_t p = 0; p < d->p; p++)
                for (int64_t q = 0; q < d->q; q++) {
                    int32_t acc = ep->bias ? ep->bias[k] : 0;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t r = 0; r < d->r; r++) {
                            int64_t ih = p * d->stride_h - d->pad_t + r * d->dil_h;
                            if (ih < 0 || ih >= d->h) continue; /* padding: adds 0 */
                            for (int64_t s = 0; s < d->s; s++) {
                                int64_t iw = q * d->stride_w - d->pad_l + s * d->dil_w;
                                if (iw < 0 || iw >= d->w) continue;
                                acc +=
                                    (int32_t)x[((n * d->c + (k / kg) * cg + c) * d->h + ih) * d->w +
                                               iw] *
                                    w[((k * cg + c) * d->r + r) * d->s + s];
                            }
                        }
                    c8_ref_int8_epilogue_store(ep, k, ((n * d->k + k) * d->p + p) * d->q + q, acc,
                                               y);
                }
}

/* Integer sums are exact in any order, so each (n, k) plane is accumulated tap by tap (the
 * innermost loop over independent outputs); padding adds 0 and is skipped. */
void c8_ref_int8_conv2d(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w,
                        const c8_int8_epilogue *ep, void *y) {
    C8_ASSERT(c8_conv2d_desc_check(NULL, d, NULL) == C8_OK);
    C8_ASSERT(c8_int8_epilogue_check(NULL, ep, d->k, NULL) == C8_OK);
    int64_t cg = d->c / d->group; /* input channels per group */
    int64_t kg = d->k / d->group; /* output channels per group */
    int64_t plane = d->p * d->q;
    int32_t *acc = malloc((size_t)(plane > 0 ? plane : 1) * sizeof *acc);
    if (!acc) { /* no scratch: one output at a time (same integers) */
        point_wise(d, x, w, ep, y);
        return;
    }
    for (int64_t n = 0; n < d->n; n++)
        for (int64_t k = 0; k < d->k; k++) {
            int64_t g = k / kg;
            /* |acc| <= bias limit + 127*127*K <= INT32_MAX: no overflow */
            int32_t b = ep->bias ? ep->bias[k] : 0;
            for (int64_t i = 0; i < plane; i++) acc[i] = b;
            for (int64_t c = 0; c < cg; c++) {
                const int8_t *xc = x + (n * d->c + g * cg + c) * d->h * d->w;
                for (int64_t r = 0; r < d->r; r++) {
                    int64_t p0, p1;
                    out_range(r, d->stride_h, d->pad_t, d->dil_h, d->h, d->p, &p0, &p1);
                    for (int64_t s = 0; s < d->s; s++) {
                        int64_t q0, q1;
                        out_range(s, d->stride_w, d->pad_l, d->dil_w, d->w, d->q, &q0, &q1);
                        int32_t wv = w[((k * cg + c) * d->r + r) * d->s + s];
                        int64_t offw = s * d->dil_w - d->pad_l;
                        for (int64_t p = p0; p < p1; p++) {
                            int64_t ih = p * d->stride_h - d->pad_t + r * d->dil_h;
                            const int8_t *xr = xc + ih * d->w + offw;
                            int32_t *ar = acc + p * d->q;
                            if (d->stride_w == 1)
                                axpy_row_i8(ar + q0, xr + q0, wv, q1 - q0);
                            else
                                for (int64_t q = q0; q < q1; q++)
                                    ar[q] += (int32_t)xr[q * d->stride_w] * wv;
                        }
                    }
                }
            }
            int64_t base = (n * d->k + k) * plane;
            for (int64_t i = 0; i < plane; i++)
                c8_ref_int8_epilogue_store(ep, k, base + i, acc[i], y);
        }
    free(acc);
}
