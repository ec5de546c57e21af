/* Plain C reference kernels for the math ops of ops/math.c: float32 unary math (Sqrt,
 * Reciprocal, Exp, Log, Neg, Abs, Erf), Pow with numpy broadcasting, and the reductions
 * (ReduceMean, ReduceSum, ReduceSumSquare, ReduceMax, ReduceMin, ReduceL2).
 * Internal to libcalib8.
 *
 * No intrinsics, no fast-math, no FP contraction (the build passes -ffp-contract=off).
 * Transcendentals are <math.h> in float32 (sqrtf, expf, logf, erff); Pow is pow() in float64
 * rounded once to float32; reductions accumulate in float64 and round once, so their result
 * does not depend on the order of the reduced elements beyond float64 rounding.
 * Tests: tests/ops/test_ops_math.c (float64 references) and the ONNX conformance cases. */
#ifndef C8_KERNELS_REF_MATH_H
#define C8_KERNELS_REF_MATH_H

#include "calib8/tensor.h"

#include <stdbool.h>
#include <stdint.h>

/* Values are ours (not stored in files). */
typedef enum c8_math_op {
    C8_MATH_SQRT = 0,       /* sqrtf; negative x gives NaN */
    C8_MATH_RECIPROCAL = 1, /* 1 / x; 0 gives inf */
    C8_MATH_EXP = 2,        /* expf */
    C8_MATH_LOG = 3,        /* logf; 0 gives -inf, negative NaN */
    C8_MATH_NEG = 4,        /* -x */
    C8_MATH_ABS = 5,        /* fabsf */
    C8_MATH_ERF = 6,        /* erff */
    C8_MATH_GELU = 7,       /* x/2 (1 + erf(x / sqrt 2)), in float64 rounded once */
    C8_MATH_GELU_TANH = 8   /* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), float64 */
} c8_math_op;

/* y[i] = op(x[i]) for n float32 elements; y may equal x. */
void c8_ref_math_f32(c8_math_op op, const float *x, float *y, int64_t n);

/* Neg (abs = false) or Abs of n elements of dtype dt: float32/64 and the signed 8..64-bit
 * integers (two's complement: -INT_MIN and |INT_MIN| are INT_MIN, as numpy). Returns false
 * (nothing written) for another dtype. */
bool c8_ref_neg_abs(bool abs, c8_dtype dt, const void *x, void *y, int64_t n);

/* Whether c8_ref_pow takes base dtype a and exponent dtype b: base float32, float64, int32 or
 * int64; exponent float32, float64 or any 8..64-bit integer type. */
bool c8_ref_pow_supports(c8_dtype a, c8_dtype b);

/* y = pow(a, b) with numpy broadcasting (sa and sb broadcast to sy, checked by the caller);
 * y has a's dtype. Computed as pow() of the two values in float64 and converted once to a's
 * dtype (integers: truncated toward zero, as ONNX Runtime's static_cast of std::pow; a result out
 * of the integer's range saturates). Returns false (nothing written) if !c8_ref_pow_supports. */
bool c8_ref_pow(c8_dtype ta, const c8_shape *sa, const void *a, c8_dtype tb, const c8_shape *sb,
                const void *b, const c8_shape *sy, void *y);

typedef enum c8_reduce_op {
    C8_REDUCE_MEAN = 0,       /* sum / count; an empty reduction gives NaN */
    C8_REDUCE_SUM = 1,        /* empty: 0 */
    C8_REDUCE_SUM_SQUARE = 2, /* sum of x*x; empty: 0 */
    C8_REDUCE_MAX = 3,        /* NaN if any element is NaN (numpy); empty: -inf */
    C8_REDUCE_MIN = 4,        /* empty: +inf */
    C8_REDUCE_L2 = 5,         /* sqrt(sum of x*x); empty: 0 */
    C8_REDUCE_L1 = 6,         /* sum of |x|; empty: 0 */
    C8_REDUCE_PROD = 7,       /* product; empty: 1 */
    C8_REDUCE_LOG_SUM = 8,    /* log(sum); empty: -inf */
    C8_REDUCE_LOG_SUM_EXP = 9 /* log(sum of exp(x)), as max + log(sum of exp(x - max)) so
                               * that no exp overflows; empty: -inf */
} c8_reduce_op;

/* Reduces x (shape sx, float32, C order, fully known) over the axes with reduce[k] true into
 * y, whose elements are those of sx with every reduced extent set to 1, in C order (keepdims
 * does not change the element order, so it is the caller's shape). Returns false, writing nothing,
 * when the float64 accumulators (one per output element) cannot be allocated. */
bool c8_ref_reduce_f32(c8_reduce_op op, const c8_shape *sx, const float *x,
                       const bool reduce[C8_MAX_RANK], float *y);

/* LayerNormalization of x viewed as (outer, inner), normalized over each row of inner:
 *   mean = sum(x) / inner, var = sum((x - mean)^2) / inner, r = 1 / sqrt(var + eps),
 *   y = (x - mean) * r * scale + bias
 * in float64, rounded once to float32. Element j of a row reads scale[soff[j]] and bias[boff[j]]
 * (the offsets of scale's and bias's numpy broadcast to the normalized shape; inner entries
 * each; bias and boff may be NULL). mean and inv_std (outer entries each, may be NULL) receive
 * the row statistics (the optional outputs). */
void c8_ref_layernorm_f32(const float *x, int64_t outer, int64_t inner, double eps,
                          const float *scale, const int64_t *soff, const float *bias,
                          const int64_t *boff, float *y, float *mean, float *inv_std);

#endif
