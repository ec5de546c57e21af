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
        case C8_MATH_GELU: v = (float)(0.5 * (double)v * (1.0 + erf((double)v / sqrt(2.0)))); break;
        case C8_MATH_GELU_TANH: {
            double d = v, c = sqrt(2.0 / 3.14159265358979323846);
            v = (float)(0.5 * d * (1.0 + tanh(c * (d + 0.044715 * d * d * d))));
            break;
        }
        }
        y[i] = v;
    }
}

/* Two's complement negation without signed overflow: through the unsigned type. */
#define NEG_ABS_INT(T, UT)                                                                         \
    do {                                                                                           \
        const T *xs = x;                                                                           \
        T *ys = y;                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v = xs[i];                                                                           \
            ys[i] = (abs && v >= 0) ? v : (T)(UT)(0u - (UT)v);                                     \
        }                                                                                          \
    } while (0)

bool c8_ref_neg_abs(bool abs, c8_dtype dt, const void *x, void *y, int64_t n) {
    switch (dt) {
    case C8_DT_FLOAT: c8_ref_math_f32(abs ? C8_MATH_ABS : C8_MATH_NEG, x, y, n); return true;
    case C8_DT_DOUBLE:
        for (int64_t i = 0; i < n; i++)
            ((double *)y)[i] = abs ? fabs(((const double *)x)[i]) : -((const double *)x)[i];
        return true;
    case C8_DT_INT8: NEG_ABS_INT(int8_t, uint8_t); return true;
    case C8_DT_INT16: NEG_ABS_INT(int16_t, uint16_t); return true;
    case C8_DT_INT32: NEG_ABS_INT(int32_t, uint32_t); return true;
    case C8_DT_INT64: NEG_ABS_INT(int64_t, uint64_t); return true;
    default: return false;
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

/* The maximum of each output's elements (NaN if one is NaN; -inf when empty), the same walk as
 * c8_ref_reduce_f32's: ostr are the output strides of x's axes (0 on reduced ones). */
static bool c8_reduce_max_f64(const c8_shape *sx, const float *x, const int64_t *ostr, double *mx,
                              int64_t ny) {
    for (int64_t j = 0; j < ny; j++) mx[j] = -INFINITY;
    int64_t nx = c8_shape_numel(sx), idx[C8_MAX_RANK] = {0}, off = 0;
    for (int64_t i = 0; i < nx; i++) {
        double v = x[i];
        if (isnan(v) || v > mx[off]) mx[off] = isnan(mx[off]) ? mx[off] : v;
        for (int k = sx->rank - 1; k >= 0; k--) {
            off += ostr[k];
            if (++idx[k] < sx->d[k]) break;
            off -= ostr[k] * sx->d[k];
            idx[k] = 0;
        }
    }
    return true;
}

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
    double init = op == C8_REDUCE_MAX    ? -INFINITY
                  : op == C8_REDUCE_MIN  ? INFINITY
                  : op == C8_REDUCE_PROD ? 1.0
                                         : 0.0;
    /* LogSumExp: a first pass finds each output's maximum (exp(x - max) <= 1 cannot overflow) */
    double *mx = NULL;
    if (op == C8_REDUCE_LOG_SUM_EXP) {
        mx = malloc((size_t)(ny ? ny : 1) * sizeof *mx);
        if (!mx) return false;
        if (!c8_reduce_max_f64(sx, x, ostr, mx, ny)) {
            free(mx);
            return false;
        }
    }
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
        case C8_REDUCE_L1: sum[off] += fabs(v); break;
        case C8_REDUCE_PROD: sum[off] *= v; break;
        case C8_REDUCE_LOG_SUM: sum[off] += v; break;
        case C8_REDUCE_LOG_SUM_EXP:
            /* an all -inf (or empty) slice has max -inf: exp(x - max) would be NaN; its sum is 0 */
            if (!isinf(mx[off]) || mx[off] > 0) sum[off] += exp(v - mx[off]);
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
        if (op == C8_REDUCE_LOG_SUM) v = log(v);
        if (op == C8_REDUCE_LOG_SUM_EXP) v = isinf(mx[j]) ? mx[j] : mx[j] + log(v);
        y[j] = (float)v;
    }
    free(sum);
    free(mx);
    return true;
}

/* ---- LayerNormalization ---- */

void c8_ref_layernorm_f32(const float *x, int64_t outer, int64_t inner, double eps,
                          const float *scale, const int64_t *soff, const float *bias,
                          const int64_t *boff, float *y, float *mean, float *inv_std) {
    for (int64_t o = 0; o < outer; o++) {
        const float *xr = x + o * inner;
        double sum = 0, sq = 0;
        for (int64_t j = 0; j < inner; j++) sum += xr[j];
        double mu = sum / (double)inner;
        for (int64_t j = 0; j < inner; j++) sq += ((double)xr[j] - mu) * ((double)xr[j] - mu);
        double r = 1.0 / sqrt(sq / (double)inner + eps);
        for (int64_t j = 0; j < inner; j++) {
            double v = ((double)xr[j] - mu) * r * (double)scale[soff[j]];
            if (bias) v += (double)bias[boff[j]];
            y[o * inner + j] = (float)v;
        }
        if (mean) mean[o] = (float)mu;
        if (inv_std) inv_std[o] = (float)r;
    }
}
