/* Reference Resize kernel (nearest, N-linear) on float32; see resize.h.
 *
 * The output is walked in C order; per axis the mapping of each output index (nearest: one input
 * index; linear: two clamped neighbours and the weight of the upper one) comes from a table made
 * once per call. Linear sums the 2^k corners of the axes that actually interpolate (weight
 * strictly between 0 and 1), in float64. */
#include "kernels/ref/resize.h"

#include "util/err.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

double c8_resize_coord_of(const c8_resize_desc *d, int k, int64_t xo, int *outside) {
    double x = (double)xo, s = d->scale[k], in = (double)d->in[k];
    double len = s * in; /* the resized length; fractional when a scale was given */
    *outside = 0;
    switch (d->coord) {
    case C8_COORD_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case C8_COORD_PYTORCH_HALF_PIXEL: return len > 1.0 ? (x + 0.5) / s - 0.5 : 0.0;
    case C8_COORD_ALIGN_CORNERS: return len == 1.0 ? 0.0 : x * (in - 1.0) / (len - 1.0);
    case C8_COORD_ASYMMETRIC: return x / s;
    case C8_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case C8_COORD_TF_CROP_AND_RESIZE: {
        double a = d->roi_start[k], b = d->roi_end[k], v;
        if (len == 1.0)
            v = (b - a) * (in - 1.0) / 2.0;
        else
            v = x * (b - a) * (in - 1.0) / (len - 1.0);
        v += a * (in - 1.0);
        if (v < 0.0 || v > in - 1.0) *outside = 1;
        return v;
    }
    case C8_COORD_HALF_PIXEL_SYMMETRIC: {
        double adjustment = (double)d->out[k] / len;
        double offset = in / 2.0 * (1.0 - adjustment);
        return offset + (x + 0.5) / s - 0.5;
    }
    }
    return 0.0;
}

static int64_t clampi(int64_t i, int64_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

static int64_t nearest_index(c8_resize_nearest m, double v, double scale) {
    double f = floor(v);
    if (v == f) return (int64_t)f;
    double frac = v - f;
    switch (m) {
    case C8_NEAREST_ROUND_PREFER_FLOOR: return (int64_t)(frac <= 0.5 ? f : f + 1.0);
    case C8_NEAREST_ROUND_PREFER_CEIL: return (int64_t)(frac < 0.5 ? f : f + 1.0);
    case C8_NEAREST_FLOOR: return (int64_t)f;
    case C8_NEAREST_CEIL: return (int64_t)(f + 1.0);
    case C8_NEAREST_SIMPLE: return (int64_t)(scale < 1.0 ? f + 1.0 : f);
    }
    return (int64_t)f;
}

/* The mapping of one output index on one axis. */
typedef struct axis_map {
    int64_t lo, hi; /* input indices (nearest: lo == hi) */
    double w;       /* weight of hi; 1 - w on lo */
    int outside;
} axis_map;

static axis_map map_axis(const c8_resize_desc *d, int k, int64_t xo) {
    axis_map m;
    double v = c8_resize_coord_of(d, k, xo, &m.outside);
    int64_t n = d->in[k];
    /* coordinates far outside (tf_crop_and_resize is flagged above) are clamped before the
     * conversion to an integer, which would otherwise overflow */
    if (v != v) v = 0.0;
    if (v < -1.0) v = -1.0;
    if (v > (double)n) v = (double)n;
    if (d->mode == C8_RESIZE_NEAREST) {
        m.lo = m.hi = clampi(nearest_index(d->nearest, v, d->scale[k]), n);
        m.w = 0.0;
    } else {
        double f = floor(v);
        m.lo = clampi((int64_t)f, n);
        m.hi = clampi((int64_t)f + 1, n);
        m.w = v - f;
    }
    return m;
}

void c8_ref_resize_f32(const c8_resize_desc *d, const float *x, float *y) {
    int r = d->rank;
    int64_t numel = 1, total_out = 0;
    for (int k = 0; k < r; k++) {
        numel *= d->out[k];
        total_out += d->out[k];
    }
    if (numel == 0) return;
    if (r == 0) {
        y[0] = x[0];
        return;
    }
    int64_t st[C8_MAX_RANK];
    int64_t s = 1;
    for (int k = r - 1; k >= 0; k--) {
        st[k] = s;
        s *= d->in[k];
    }
    /* Every axis's mappings, computed once: map_axis depends on the axis and the index only, so
     * the table gives each element the mapping the walk below would compute for it (computing
     * the last axis's mapping per element, with its float64 division, was most of the time of
     * the PP-OCRv4 detector's six Resizes). Without memory for the table, per element. */
    axis_map *table = malloc((size_t)total_out * sizeof *table);
    const axis_map *tab[C8_MAX_RANK] = {0};
    if (table) {
        axis_map *t = table;
        for (int k = 0; k < r; k++) {
            for (int64_t i = 0; i < d->out[k]; i++) t[i] = map_axis(d, k, i);
            tab[k] = t;
            t += d->out[k];
        }
    }
    int64_t idx[C8_MAX_RANK] = {0};
    axis_map map[C8_MAX_RANK];
    int first_changed = 0; /* axes first_changed..r-1 need their mapping recomputed */
    const int64_t wl = d->out[r - 1];
    for (int64_t e = 0; e < numel; e++) {
        /* At the start of a row of the last axis whose outer axes neither interpolate nor fall
         * outside (nearest always; linear where only the last axis moves): the whole row at
         * once, each element as the general path below computes it (the same operations, so
         * the same bits); the index then moves to the next row. */
        if (table && idx[r - 1] == 0) {
            int64_t ob = 0;
            bool plain = true;
            for (int k = 0; k < r - 1 && plain; k++) {
                const axis_map *m = &tab[k][idx[k]];
                plain = !m->outside && (m->w == 0.0 || m->hi == m->lo);
                ob += m->lo * st[k];
            }
            if (plain) {
                const axis_map *lm = tab[r - 1];
                for (int64_t j = 0; j < wl; j++) {
                    const axis_map *m = &lm[j];
                    if (m->outside) {
                        y[e + j] = d->extrapolation_value;
                    } else if (m->w == 0.0 || m->hi == m->lo) {
                        y[e + j] = x[ob + m->lo];
                    } else {
                        double acc = 0.0;
                        acc += (1.0 * (1.0 - m->w)) * (double)x[ob + m->lo];
                        acc += (1.0 * m->w) * (double)x[ob + m->lo + (m->hi - m->lo)];
                        y[e + j] = (float)acc;
                    }
                }
                e += wl - 1;
                for (int k = r - 2; k >= 0; k--) {
                    if (++idx[k] < d->out[k]) break;
                    idx[k] = 0;
                }
                continue;
            }
        }
        /* (with the table every axis is looked up: a row done above leaves map[] stale) */
        for (int k = table ? 0 : first_changed; k < r; k++)
            map[k] = table ? tab[k][idx[k]] : map_axis(d, k, idx[k]);
        int outside = 0;
        int64_t base = 0;
        int act[C8_MAX_RANK], n_act = 0; /* axes that really interpolate */
        for (int k = 0; k < r; k++) {
            outside |= map[k].outside;
            base += map[k].lo * st[k];
            if (map[k].w != 0.0 && map[k].hi != map[k].lo) act[n_act++] = k;
        }
        if (outside) {
            y[e] = d->extrapolation_value;
        } else if (n_act == 0) {
            y[e] = x[base];
        } else {
            double acc = 0.0;
            for (int c = 0; c < (1 << n_act); c++) {
                double wgt = 1.0;
                int64_t off = base;
                for (int a = 0; a < n_act; a++) {
                    const axis_map *m = &map[act[a]];
                    if (c & (1 << a)) {
                        wgt *= m->w;
                        off += (m->hi - m->lo) * st[act[a]];
                    } else {
                        wgt *= 1.0 - m->w;
                    }
                }
                acc += wgt * (double)x[off];
            }
            y[e] = (float)acc;
        }
        /* advance the output index; remember the outermost axis that moved */
        for (int k = r - 1; k >= 0; k--) {
            first_changed = k;
            if (++idx[k] < d->out[k]) break;
            idx[k] = 0;
        }
    }
    free(table);
}

void c8_ref_resize_nearest_i8(const c8_resize_desc *d, const int8_t *x, int8_t *y) {
    C8_ASSERT(d->mode == C8_RESIZE_NEAREST && d->coord != C8_COORD_TF_CROP_AND_RESIZE);
    const int r = d->rank;
    int64_t numel = 1, total = 0, st[C8_MAX_RANK], s = 1;
    for (int k = 0; k < r; k++) {
        numel *= d->out[k];
        total += d->out[k];
    }
    if (numel == 0) return;
    for (int k = r - 1; k >= 0; k--) {
        st[k] = s;
        s *= d->in[k];
    }
    /* each axis's source offsets once (map_axis depends on the axis and the index only) */
    int64_t *table = malloc((size_t)(total ? total : 1) * sizeof *table), *tab[C8_MAX_RANK];
    if (table) {
        int64_t *t = table;
        for (int k = 0; k < r; k++) {
            for (int64_t i = 0; i < d->out[k]; i++) t[i] = map_axis(d, k, i).lo * st[k];
            tab[k] = t;
            t += d->out[k];
        }
    }
    int64_t idx[C8_MAX_RANK] = {0};
    for (int64_t e = 0; e < numel; e++) {
        int64_t base = 0;
        for (int k = 0; k < r; k++)
            base += table ? tab[k][idx[k]] : map_axis(d, k, idx[k]).lo * st[k];
        y[e] = x[base];
        for (int k = r - 1; k >= 0; k--) {
            if (++idx[k] < d->out[k]) break;
            idx[k] = 0;
        }
    }
    free(table);
}

int64_t c8_resize_nearest_src(const c8_resize_desc *d, int k, int64_t o) {
    C8_ASSERT(d->mode == C8_RESIZE_NEAREST && d->coord != C8_COORD_TF_CROP_AND_RESIZE);
    return map_axis(d, k, o).lo;
}
