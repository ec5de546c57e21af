/* FP32 MaxPool with clipped windows (kernels/cpu/pool_fast.h). */
#include "kernels/cpu/pool_fast.h"

#include <math.h>
#include <stdbool.h>

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

void c8_cpu_maxpool(const c8_pool_desc *d, const float *x, float *y) {
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

void c8_cpu_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y) {
    for (int64_t nc = 0; nc < d->n * d->c; nc++) {
        const int8_t *xc = x + nc * d->h * d->w;
        int8_t *yc = y + nc * d->p * d->q;
        for (int64_t p = 0; p < d->p; p++) {
            int64_t i0, i1;
            clip(p, d->h, d->kh, d->stride_h, d->dil_h, d->pad_t, &i0, &i1);
            for (int64_t q = 0; q < d->q; q++) {
                int64_t j0, j1;
                clip(q, d->w, d->kw, d->stride_w, d->dil_w, d->pad_l, &j0, &j1);
                const int64_t bw = q * d->stride_w - d->pad_l;
                int m = C8_QMIN; /* -inf saturated: padding never wins */
                for (int64_t i = i0; i < i1; i++) {
                    const int8_t *row =
                        xc + (p * d->stride_h - d->pad_t + i * d->dil_h) * d->w + bw;
                    for (int64_t j = j0; j < j1; j++) {
                        const int v = row[j * d->dil_w];
                        m = v > m ? v : m;
                    }
                }
                yc[p * d->q + q] = (int8_t)m;
            }
        }
    }
}
