/* Reference kernels for the index ops. Contract: kernels/ref/index.h. */
#include "kernels/ref/index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void c8_ref_tile(const c8_shape *in, const c8_shape *out, size_t esize, const void *x, void *y) {
    int64_t n = c8_shape_numel(out), idx[C8_MAX_RANK] = {0}, istr[C8_MAX_RANK], run = 1;
    for (int k = in->rank - 1; k >= 0; k--) {
        istr[k] = run;
        run *= in->d[k];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int k = 0; k < in->rank; k++) off += (idx[k] % in->d[k]) * istr[k];
        memcpy((char *)y + (size_t)i * esize, (const char *)x + (size_t)off * esize, esize);
        for (int k = out->rank - 1; k >= 0; k--) {
            if (++idx[k] < out->d[k]) break;
            idx[k] = 0;
        }
    }
}

static int64_t idx_at(c8_dtype t, const void *p, int64_t i) {
    return t == C8_DT_INT64 ? ((const int64_t *)p)[i] : ((const int32_t *)p)[i];
}

void c8_ref_gather_elements(const c8_shape *sx, const void *x, int axis, c8_dtype idx_dtype,
                            const c8_shape *si, const void *idx, size_t esize, void *y) {
    int64_t n = c8_shape_numel(si), id[C8_MAX_RANK] = {0}, xstr[C8_MAX_RANK], run = 1;
    for (int k = sx->rank - 1; k >= 0; k--) {
        xstr[k] = run;
        run *= sx->d[k];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int k = 0; k < si->rank; k++) {
            int64_t j = id[k];
            if (k == axis) {
                j = idx_at(idx_dtype, idx, i);
                if (j < 0) j += sx->d[axis];
            }
            off += j * xstr[k];
        }
        memcpy((char *)y + (size_t)i * esize, (const char *)x + (size_t)off * esize, esize);
        for (int k = si->rank - 1; k >= 0; k--) {
            if (++id[k] < si->d[k]) break;
            id[k] = 0;
        }
    }
}

bool c8_ref_index_value_supports(c8_dtype dt) {
    return dt == C8_DT_FLOAT || dt == C8_DT_DOUBLE || dt == C8_DT_INT32 || dt == C8_DT_INT64;
}

static double val_at(c8_dtype t, const void *p, int64_t i) {
    switch (t) {
    case C8_DT_FLOAT: return ((const float *)p)[i];
    case C8_DT_DOUBLE: return ((const double *)p)[i];
    case C8_DT_INT32: return ((const int32_t *)p)[i];
    default: return (double)((const int64_t *)p)[i];
    }
}

void c8_ref_arg_reduce(bool max, bool last, c8_dtype dt, int64_t outer, int64_t len, int64_t inner,
                       const void *x, int64_t *y) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i, best = 0;
            double bv = val_at(dt, x, base);
            for (int64_t j = 1; j < len && !isnan(bv); j++) {
                double v = val_at(dt, x, base + j * inner);
                bool better = isnan(v) || (max ? v > bv : v < bv) || (last && v == bv);
                if (better) {
                    best = j;
                    bv = v;
                }
            }
            y[o * inner + i] = best;
        }
}

typedef struct {
    double v;
    int64_t i;
} topk_item;

/* A total order on the values: NaN above everything (so qsort sees a consistent comparison),
 * then the lower index first among equal values. */
static int cmp_val(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return a < b ? -1 : (a > b);
}

static int cmp_largest(const void *pa, const void *pb) {
    const topk_item *a = pa, *b = pb;
    int c = cmp_val(b->v, a->v);
    return c ? c : (a->i < b->i ? -1 : (a->i > b->i));
}

static int cmp_smallest(const void *pa, const void *pb) {
    const topk_item *a = pa, *b = pb;
    int c = cmp_val(a->v, b->v);
    return c ? c : (a->i < b->i ? -1 : (a->i > b->i));
}

bool c8_ref_topk(c8_dtype dt, int64_t outer, int64_t len, int64_t inner, int64_t k, bool largest,
                 const void *x, void *values, int64_t *indices) {
    topk_item *it = malloc((size_t)(len > 0 ? len : 1) * sizeof *it);
    if (!it) return false;
    size_t es = c8_dtype_size(dt);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i;
            for (int64_t j = 0; j < len; j++) {
                it[j].v = val_at(dt, x, base + j * inner);
                it[j].i = j;
            }
            /* qsort is not stable, but the index breaks every tie, so the order is unique */
            qsort(it, (size_t)len, sizeof *it, largest ? cmp_largest : cmp_smallest);
            for (int64_t j = 0; j < k; j++) {
                int64_t dst = (o * k + j) * inner + i;
                memcpy((char *)values + (size_t)dst * es,
                       (const char *)x + (size_t)(base + it[j].i * inner) * es, es);
                indices[dst] = it[j].i;
            }
        }
    free(it);
    return true;
}
