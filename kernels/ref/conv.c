/* FP32 reference Conv and ConvTranspose (1-3 spatial axes); the contract is in kernels/ref/ref.h.
 * Both kernels lift the geometry to 3-D by putting unit axes in front, so one loop nest serves
 * 1-D, 2-D and 3-D. Tests: tests/kernels/test_ref_kernels.c. */
#include "kernels/ref/ref.h"

#include <stdlib.h>

/* A c8_conv_desc lifted to exactly 3 spatial axes (unit axes in front). */
typedef struct geom3 {
    int64_t in[3], out[3], k[3], s[3], dl[3], pb[3];
} geom3;

static geom3 lift(const c8_conv_desc *d) {
    geom3 g;
    int off = 3 - d->nsp;
    for (int a = 0; a < 3; a++) {
        int j = a - off;
        g.in[a] = j < 0 ? 1 : d->in[j];
        g.out[a] = j < 0 ? 1 : d->out[j];
        g.k[a] = j < 0 ? 1 : d->kernel[j];
        g.s[a] = j < 0 ? 1 : d->stride[j];
        g.dl[a] = j < 0 ? 1 : d->dilation[j];
        g.pb[a] = j < 0 ? 0 : d->pad_begin[j];
    }
    return g;
}

/* Taps t in [*lo, *hi) of one axis whose input index o*stride - pad + t*dilation lies in
 * [0, in): computing the range up front keeps the tap loops free of bounds tests without
 * changing which taps are summed or their order. */
static void tap_range(int64_t o, int64_t s, int64_t pb, int64_t dl, int64_t k, int64_t in,
                      int64_t *lo, int64_t *hi) {
    const int64_t start = o * s - pb; /* input index of tap 0 */
    int64_t t0 = 0, t1 = k;
    if (start < 0) t0 = (-start + dl - 1) / dl; /* first tap with index >= 0 */
    if (start + (k - 1) * dl >= in) t1 = start < in ? (in - 1 - start) / dl + 1 : 0;
    *lo = t0;
    *hi = t1 > t0 ? t1 : t0;
}

/* One output element of a convolution, before bias: the sum over c < cg, then taps in C order
 * (taps outside the input skipped). xg: (cg, in...) of this group; wk: (cg, kernel...) of this
 * output channel. */
static float conv_point(const geom3 *g, const float *xg, const float *wk, int64_t cg,
                        const int64_t o[3]) {
    const int64_t in_sz = g->in[0] * g->in[1] * g->in[2];
    const int64_t k_sz = g->k[0] * g->k[1] * g->k[2];
    int64_t lo[3], hi[3], start[3];
    for (int a = 0; a < 3; a++) {
        tap_range(o[a], g->s[a], g->pb[a], g->dl[a], g->k[a], g->in[a], &lo[a], &hi[a]);
        start[a] = o[a] * g->s[a] - g->pb[a];
    }
    float acc = 0.0f;
    for (int64_t c = 0; c < cg; c++) {
        const float *xc = xg + c * in_sz, *wc = wk + c * k_sz;
        for (int64_t kz = lo[0]; kz < hi[0]; kz++) {
            const int64_t iz = start[0] + kz * g->dl[0];
            for (int64_t ky = lo[1]; ky < hi[1]; ky++) {
                const int64_t iy = start[1] + ky * g->dl[1];
                const int64_t row = (iz * g->in[1] + iy) * g->in[2] + start[2]; /* tap 0 */
                const float *wr = wc + (kz * g->k[1] + ky) * g->k[2];
                for (int64_t kx = lo[2]; kx < hi[2]; kx++) acc += xc[row + kx * g->dl[2]] * wr[kx];
            }
        }
    }
    return acc;
}

/* Outputs o in [*lo, *hi) of one axis for which tap t reads inside the input:
 * 0 <= o*s - pb + t*dl < in. */
static void out_range(int64_t t, int64_t s, int64_t pb, int64_t dl, int64_t in, int64_t out,
                      int64_t *lo, int64_t *hi) {
    const int64_t off = t * dl - pb; /* input index = o*s + off */
    int64_t a = 0, b = out;
    if (off < 0) a = (-off + s - 1) / s; /* first o with o*s + off >= 0 */
    if (off <= in - 1) {
        int64_t last = (in - 1 - off) / s; /* last o with o*s + off <= in - 1 */
        if (last + 1 < b) b = last + 1;
    } else {
        b = 0;
    }
    *lo = a;
    *hi = b > a ? b : a;
}

/* ar[i] += xr[i] * w over one row of outputs; restrict (the scratch plane never overlaps the
 * input) lets the compiler vectorize it. */
static void axpy_row(float *restrict ar, const float *restrict xr, float w, int64_t n) {
    for (int64_t i = 0; i < n; i++) ar[i] += xr[i] * w;
}

/* One (n, k) output plane, accumulated tap by tap over a whole plane: for every output the
 * products are added in exactly conv_point's order (c, then taps in C order, invalid taps
 * skipped), so the results are bit-identical to the point-wise loop, while the innermost loop
 * runs over independent outputs. acc: (out...) float scratch. */
static void conv_plane(const geom3 *g, const float *xg, const float *wk, int64_t cg, float *acc) {
    const int64_t in_sz = g->in[0] * g->in[1] * g->in[2];
    const int64_t k_sz = g->k[0] * g->k[1] * g->k[2];
    const int64_t out_sz = g->out[0] * g->out[1] * g->out[2];
    for (int64_t i = 0; i < out_sz; i++) acc[i] = 0.0f;
    for (int64_t c = 0; c < cg; c++) {
        const float *xc = xg + c * in_sz, *wc = wk + c * k_sz;
        for (int64_t kz = 0; kz < g->k[0]; kz++) {
            int64_t z0, z1;
            out_range(kz, g->s[0], g->pb[0], g->dl[0], g->in[0], g->out[0], &z0, &z1);
            for (int64_t ky = 0; ky < g->k[1]; ky++) {
                int64_t y0, y1;
                out_range(ky, g->s[1], g->pb[1], g->dl[1], g->in[1], g->out[1], &y0, &y1);
                for (int64_t kx = 0; kx < g->k[2]; kx++) {
                    int64_t x0, x1;
                    out_range(kx, g->s[2], g->pb[2], g->dl[2], g->in[2], g->out[2], &x0, &x1);
                    const float wv = wc[(kz * g->k[1] + ky) * g->k[2] + kx];
                    const int64_t sx = g->s[2], offx = kx * g->dl[2] - g->pb[2];
                    for (int64_t oz = z0; oz < z1; oz++) {
                        const int64_t iz = oz * g->s[0] - g->pb[0] + kz * g->dl[0];
                        for (int64_t oy = y0; oy < y1; oy++) {
                            const int64_t iy = oy * g->s[1] - g->pb[1] + ky * g->dl[1];
                            const float *xr = xc + (iz * g->in[1] + iy) * g->in[2] + offx;
                            float *ar = acc + (oz * g->out[1] + oy) * g->out[2];
                            if (sx == 1) /* contiguous: vectorized across outputs */
                                axpy_row(ar + x0, xr + x0, wv, x1 - x0);
                            else
                                for (int64_t ox = x0; ox < x1; ox++) ar[ox] += xr[ox * sx] * wv;
                        }
                    }
                }
            }
        }
    }
}

void c8_ref_conv(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                 float *y) {
    const geom3 g = lift(d);
    const int64_t cg = d->C / d->group; /* input channels per group */
    const int64_t kg = d->K / d->group; /* output channels per group */
    const int64_t in_sz = g.in[0] * g.in[1] * g.in[2];
    const int64_t out_sz = g.out[0] * g.out[1] * g.out[2];
    const int64_t k_sz = g.k[0] * g.k[1] * g.k[2];
    /* the plane form needs a scratch plane; without memory, the point form (same results) */
    float *acc = malloc((size_t)(out_sz > 0 ? out_sz : 1) * sizeof(float));
    for (int64_t n = 0; n < d->N; n++) {
        for (int64_t k = 0; k < d->K; k++) {
            const int64_t grp = k / kg;
            const float *xg = x + (n * d->C + grp * cg) * in_sz; /* (cg, in...) */
            const float *wk = w + k * cg * k_sz;                 /* (cg, kernel...) */
            float *yk = y + (n * d->K + k) * out_sz;             /* (out...) */
            if (acc) {
                conv_plane(&g, xg, wk, cg, acc);
                for (int64_t i = 0; i < out_sz; i++) yk[i] = bias ? acc[i] + bias[k] : acc[i];
                continue;
            }
            int64_t o[3];
            for (o[0] = 0; o[0] < g.out[0]; o[0]++) {
                for (o[1] = 0; o[1] < g.out[1]; o[1]++) {
                    for (o[2] = 0; o[2] < g.out[2]; o[2]++) {
                        const float a = conv_point(&g, xg, wk, cg, o);
                        yk[(o[0] * g.out[1] + o[1]) * g.out[2] + o[2]] = bias ? a + bias[k] : a;
                    }
                }
            }
        }
    }
    free(acc);
}

/* The input index i with i*stride = o + pad_begin - t*dilation, or -1 when there is none inside
 * the input. */
static int64_t src_index(int64_t o, int64_t pb, int64_t t, int64_t dl, int64_t s, int64_t in) {
    const int64_t p = o + pb - t * dl;
    if (p < 0 || p % s != 0) return -1;
    const int64_t i = p / s;
    return i < in ? i : -1;
}

/* One output element of a transposed convolution, before bias: the sum over c < cg, then taps in
 * C order. xg: (cg, in...) of this group; wg: w[g*cg, k % kg, ...], input channel stride
 * kg * k_sz. */
static float convt_point(const geom3 *g, const float *xg, const float *wg, int64_t cg, int64_t kg,
                         const int64_t o[3]) {
    const int64_t in_sz = g->in[0] * g->in[1] * g->in[2];
    const int64_t k_sz = g->k[0] * g->k[1] * g->k[2];
    float acc = 0.0f;
    for (int64_t c = 0; c < cg; c++) {
        const float *xc = xg + c * in_sz, *wc = wg + c * kg * k_sz;
        for (int64_t kz = 0; kz < g->k[0]; kz++) {
            const int64_t iz = src_index(o[0], g->pb[0], kz, g->dl[0], g->s[0], g->in[0]);
            if (iz < 0) continue;
            for (int64_t ky = 0; ky < g->k[1]; ky++) {
                const int64_t iy = src_index(o[1], g->pb[1], ky, g->dl[1], g->s[1], g->in[1]);
                if (iy < 0) continue;
                for (int64_t kx = 0; kx < g->k[2]; kx++) {
                    const int64_t ix = src_index(o[2], g->pb[2], kx, g->dl[2], g->s[2], g->in[2]);
                    if (ix < 0) continue;
                    acc += xc[(iz * g->in[1] + iy) * g->in[2] + ix] *
                           wc[(kz * g->k[1] + ky) * g->k[2] + kx];
                }
            }
        }
    }
    return acc;
}

void c8_ref_conv_transpose(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                           float *y) {
    const geom3 g = lift(d);
    const int64_t cg = d->C / d->group;
    const int64_t kg = d->K / d->group;
    const int64_t in_sz = g.in[0] * g.in[1] * g.in[2];
    const int64_t out_sz = g.out[0] * g.out[1] * g.out[2];
    const int64_t k_sz = g.k[0] * g.k[1] * g.k[2];
    for (int64_t n = 0; n < d->N; n++) {
        for (int64_t k = 0; k < d->K; k++) {
            const int64_t grp = k / kg;
            const float *xg = x + (n * d->C + grp * cg) * in_sz;           /* (cg, in...) */
            const float *wg = w + (grp * cg * kg + (k - grp * kg)) * k_sz; /* w[g*cg, k%kg] */
            float *yk = y + (n * d->K + k) * out_sz;
            int64_t o[3];
            for (o[0] = 0; o[0] < g.out[0]; o[0]++) {
                for (o[1] = 0; o[1] < g.out[1]; o[1]++) {
                    for (o[2] = 0; o[2] < g.out[2]; o[2]++) {
                        const float acc = convt_point(&g, xg, wg, cg, kg, o);
                        yk[(o[0] * g.out[1] + o[1]) * g.out[2] + o[2]] = bias ? acc + bias[k] : acc;
                    }
                }
            }
        }
    }
}
