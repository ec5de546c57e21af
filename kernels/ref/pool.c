/* FP32 reference pooling: MaxPool, AveragePool (1-3 spatial axes), GlobalAveragePool,
 * GlobalMaxPool; the contract is in kernels/ref/ref.h. Like conv.c, the windowed pools lift the
 * geometry to 3-D with unit axes in front. Tests: tests/kernels/test_ref_kernels.c. */
#include "kernels/ref/ref.h"

#include <math.h>

typedef struct geom3 {
    int64_t in[3], out[3], k[3], s[3], dl[3], pb[3], pe[3];
} geom3;

static geom3 lift(const c8_pool_desc *d) {
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
        g.pe[a] = j < 0 ? 0 : d->pad_end[j];
    }
    return g;
}

/* Visits one window: the sum and maximum of the taps inside the input, how many taps are inside
 * the input and how many inside the padded input. */
typedef struct window_acc {
    float sum, max;
    int64_t inside, padded;
    bool seen_nan;
} window_acc;

static window_acc visit(const geom3 *g, const float *xc, int64_t oz, int64_t oy, int64_t ox) {
    window_acc a = {0.0f, 0.0f, 0, 0, false};
    for (int64_t kz = 0; kz < g->k[0]; kz++) {
        const int64_t iz = oz * g->s[0] - g->pb[0] + kz * g->dl[0];
        if (iz < -g->pb[0] || iz >= g->in[0] + g->pe[0]) continue;
        for (int64_t ky = 0; ky < g->k[1]; ky++) {
            const int64_t iy = oy * g->s[1] - g->pb[1] + ky * g->dl[1];
            if (iy < -g->pb[1] || iy >= g->in[1] + g->pe[1]) continue;
            for (int64_t kx = 0; kx < g->k[2]; kx++) {
                const int64_t ix = ox * g->s[2] - g->pb[2] + kx * g->dl[2];
                if (ix < -g->pb[2] || ix >= g->in[2] + g->pe[2]) continue;
                a.padded++;
                if (iz < 0 || iz >= g->in[0] || iy < 0 || iy >= g->in[1] || ix < 0 ||
                    ix >= g->in[2])
                    continue;
                const float v = xc[(iz * g->in[1] + iy) * g->in[2] + ix];
                a.sum += v;
                if (v != v) a.seen_nan = true;
                if (a.inside == 0 || v > a.max) a.max = v;
                a.inside++;
            }
        }
    }
    return a;
}

static void pool(const c8_pool_desc *d, const float *x, float *y, bool is_max) {
    const geom3 g = lift(d);
    const int64_t in_sz = g.in[0] * g.in[1] * g.in[2];
    const int64_t out_sz = g.out[0] * g.out[1] * g.out[2];
    for (int64_t nc = 0; nc < d->N * d->C; nc++) {
        const float *xc = x + nc * in_sz;
        float *yc = y + nc * out_sz;
        for (int64_t oz = 0; oz < g.out[0]; oz++)
            for (int64_t oy = 0; oy < g.out[1]; oy++)
                for (int64_t ox = 0; ox < g.out[2]; ox++) {
                    const window_acc a = visit(&g, xc, oz, oy, ox);
                    float v;
                    if (is_max) {
                        v = a.seen_nan ? NAN : (a.inside ? a.max : -INFINITY);
                    } else {
                        const int64_t cnt = d->count_include_pad ? a.padded : a.inside;
                        v = a.sum / (float)cnt;
                    }
                    yc[(oz * g.out[1] + oy) * g.out[2] + ox] = v;
                }
    }
}

void c8_ref_maxpool(const c8_pool_desc *d, const float *x, float *y) { pool(d, x, y, true); }

void c8_ref_avgpool(const c8_pool_desc *d, const float *x, float *y) { pool(d, x, y, false); }

void c8_ref_global_avgpool(int64_t nc, int64_t s, const float *x, float *y) {
    for (int64_t i = 0; i < nc; i++) {
        float sum = 0.0f;
        for (int64_t j = 0; j < s; j++) sum += x[i * s + j];
        y[i] = sum / (float)s;
    }
}

void c8_ref_global_maxpool(int64_t nc, int64_t s, const float *x, float *y) {
    for (int64_t i = 0; i < nc; i++) {
        float m = x[i * s];
        for (int64_t j = 1; j < s; j++) {
            const float v = x[i * s + j];
            if (v > m || v != v) m = v;
            if (m != m) break;
        }
        y[i] = m;
    }
}
