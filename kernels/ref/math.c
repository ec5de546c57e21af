/* Reference kernels for the math ops: float32 unary math, Pow, reductions. Contract:
 * kernels/ref/math.h. Tests: tests/ops/test_ops_math.c. */
#include "kernels/ref/math.h"

#include "util/shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void c8_ref_math_f32(c8_math_op op, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        switch (op) {
        case C8_MATH_SQRT: v = sqrtf(v); break;
        case C8_MATH_RECIPROCAL: v = 1.0f / v; break;
        case C8_MATH_EXP: v = expf(v); break;
        case C8_MATH_LOG: v = logf(v); break;
        case C8_MATH_NEG: v = -v; break;
        case C8_MATH_ABS: v = fabsf(v); break;
        case C8_MATH_ERF: v = erff(v); break;
        }
        y[i] = v;
    }
}

/* ---- Pow ---- */

static bool pow_base_ok(c8_dtype t) {
    return t == C8_DT_FLOAT || t == C8_DT_DOUBLE || t == C8_DT_INT32 || t == C8_DT_INT64;
}

static bool pow_exp_ok(c8_dtype t) {
    switch (t) {
    case C8_DT_FLOAT:
    case C8_DT_DOUBLE:
    case C8_DT_INT8:
    case C8_DT_UINT8:
    case C8_DT_INT16:
    case C8_DT_UINT16:
    case C8_DT_INT32:
    case C8_DT_UINT32:
    case C8_DT_INT64:
    case C8_DT_UINT64: return true;
    default: return false;
    }
}

bool c8_ref_pow_supports(c8_dtype a, c8_dtype b) { return pow_base_ok(a) && pow_exp_ok(b); }

/* Element i of a tensor of dtype t as a double (t is one pow_base_ok / pow_exp_ok accepts). */
static double elem(c8_dtype t, const void *p, int64_t i) {
    switch (t) {
    case C8_DT_FLOAT: return ((const float *)p)[i];
    case C8_DT_DOUBLE: return ((const double *)p)[i];
    case C8_DT_INT8: return ((const int8_t *)p)[i];
    case C8_DT_UINT8: return ((const uint8_t *)p)[i];
    case C8_DT_INT16: return ((const int16_t *)p)[i];
    case C8_DT_UINT16: return ((const uint16_t *)p)[i];
    case C8_DT_INT32: return ((const int32_t *)p)[i];
    case C8_DT_UINT32: return ((const uint32_t *)p)[i];
    case C8_DT_INT64: return (double)((const int64_t *)p)[i];
    case C8_DT_UINT64: return (double)((const uint64_t *)p)[i];
    default: return NAN;
    }
}

/* Truncates toward zero into [lo, hi]; NaN gives 0 (as calib8's Cast). */
static double trunc_sat(double v, double lo, double hi) {
    if (isnan(v)) return 0;
    v = trunc(v);
    return v < lo ? lo : (v > hi ? hi : v);
}

bool c8_ref_pow(c8_dtype ta, const c8_shape *sa, const void *a, c8_dtype tb, const c8_shape *sb,
                const void *b, const c8_shape *sy, void *y) {
    if (!c8_ref_pow_supports(ta, tb)) return false;
    const c8_shape *ins[2] = {sa, sb};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, sy, ins, 2);
    int64_t n = c8_shape_numel(sy);
    for (int64_t i = 0; i < n; i++, c8_bcast_iter_next(&it)) {
        double v = pow(elem(ta, a, it.off[0]), elem(tb, b, it.off[1]));
        switch (ta) {
        case C8_DT_FLOAT: ((float *)y)[i] = (float)v; break;
        case C8_DT_DOUBLE: ((double *)y)[i] = v; break;
        case C8_DT_INT32: ((int32_t *)y)[i] = (int32_t)trunc_sat(v, INT32_MIN, INT32_MAX); break;
        default:
            /* 2^63 is not an int64; the largest double below it is */
            ((int64_t *)y)[i] =
                (int64_t)trunc_sat(v, -9223372036854775808.0, 9223372036854774784.0);
            break;
        }
    }
    return true;
}

/* ---- reductions ---- */

bool c8_ref_reduce_f32(c8_reduce_op op, const c8_shape *sx, const float *x,
                       const bool reduce[C8_MAX_RANK], float *y) {
    /* output strides: those of sx with reduced extents 1; a reduced axis contributes 0 */
    int64_t ostr[C8_MAX_RANK], run = 1, ny = 1, count = 1;
    for (int k = sx->rank - 1; k >= 0; k--) {
        ostr[k] = reduce[k] ? 0 : run;
        if (!reduce[k]) run *= sx->d[k];
        if (reduce[k]) count *= sx->d[k];
    }
    ny = run;
    /* one float64 accumulator per output: the running sum, or the running max / min (exact
     * for float32 inputs) */
    double init = op == C8_REDUCE_MAX ? -INFINITY : op == C8_REDUCE_MIN ? INFINITY : 0.0;
    int64_t nx = c8_shape_numel(sx);
    int64_t idx[C8_MAX_RANK] = {0};
    double *sum = malloc((size_t)(ny ? ny : 1) * sizeof *sum);
    if (!sum) return false;
    for (int64_t j = 0; j < ny; j++) sum[j] = init;
    int64_t off = 0;
    for (int64_t i = 0; i < nx; i++) {
        double v = x[i];
        switch (op) {
        case C8_REDUCE_MEAN:
        case C8_REDUCE_SUM: sum[off] += v; break;
        case C8_REDUCE_SUM_SQUARE:
        case C8_REDUCE_L2: sum[off] += v * v; break;
        case C8_REDUCE_MAX:
            if (isnan(v) || v > sum[off]) sum[off] = isnan(sum[off]) ? sum[off] : v;
            break;
        case C8_REDUCE_MIN:
            if (isnan(v) || v < sum[off]) sum[off] = isnan(sum[off]) ? sum[off] : v;
            break;
        }
        /* advance the C-order index of x and the matching output offset */
        for (int k = sx->rank - 1; k >= 0; k--) {
            off += ostr[k];
            if (++idx[k] < sx->d[k]) break;
            off -= ostr[k] * sx->d[k];
            idx[k] = 0;
        }
    }
    for (int64_t j = 0; j < ny; j++) {
        double v = sum[j];
        if (op == C8_REDUCE_MEAN) v = count ? v / (double)count : NAN;
        if (op == C8_REDUCE_L2) v = sqrt(v);
        y[j] = (float)v;
    }
    free(sum);
    return true;
}
