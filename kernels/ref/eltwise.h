/* Plain C reference kernels for the elementwise ops: float32 activations (Relu, LeakyRelu,
 * Sigmoid, Tanh, HardSigmoid, HardSwish), Clip, numpy-broadcast binary arithmetic (Add, Sub, Mul,
 * Div, Max, Min, PRelu) and dtype conversion (Cast), plus IEEE half <-> float conversion.
 * Internal to libcalib8; the ops that call them are in ops/tensor.c.
 *
 * No intrinsics, no fast-math, no FP contraction (the build passes -ffp-contract=off).
 * Transcendentals use <math.h> in float32 (expf, tanhf). Relu, LeakyRelu and Sigmoid evaluate
 * c8_ref_act (kernels/ref/act.c), the formula the fused Conv/Gemm epilogue uses, so fusing an
 * activation never changes a result; float16 goes through kernels/ref/fp16.h.
 * Tests: tests/ops/test_ops_eltwise.c. */
#ifndef C8_KERNELS_REF_ELTWISE_H
#define C8_KERNELS_REF_ELTWISE_H

#include "calib8/tensor.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- float32 activations ---- */

/* Values are ours (not stored in files). */
typedef enum c8_unary_op {
    C8_UNARY_RELU = 0,         /* x < 0 ? 0 : x */
    C8_UNARY_LEAKY_RELU = 1,   /* x < 0 ? alpha * x : x */
    C8_UNARY_SIGMOID = 2,      /* 1 / (1 + exp(-x)), evaluated without overflow */
    C8_UNARY_TANH = 3,         /* tanhf */
    C8_UNARY_HARD_SIGMOID = 4, /* max(0, min(1, alpha * x + beta)) */
    C8_UNARY_HARD_SWISH = 5    /* x * max(0, min(1, x / 6 + 1/2)) */
} c8_unary_op;

typedef struct c8_unary_desc {
    c8_unary_op op;
    float alpha, beta; /* LeakyRelu: alpha; HardSigmoid: alpha, beta; unused otherwise */
} c8_unary_desc;

/* y[i] = op(x[i]) for n elements; x (n) float32, y (n) float32; y may equal x. */
void c8_ref_unary_f32(const c8_unary_desc *d, const float *x, float *y, int64_t n);

/* ---- Clip ---- */

/* y[i] = min(max(x[i], lo), hi) for n elements of dtype dt; lo / hi point at one element of dt
 * or are NULL (no bound). NaN passes through for float types. y may equal x.
 * Returns false (and writes nothing) when dt is not supported: float32, float64 and the 8/16/32/64
 * bit integer types are. */
bool c8_ref_clip(c8_dtype dt, const void *x, void *y, int64_t n, const void *lo, const void *hi);
bool c8_ref_clip_supports(c8_dtype dt);

/* ---- binary ops with numpy broadcasting ---- */

typedef enum c8_binary_op {
    C8_BINARY_ADD = 0,
    C8_BINARY_SUB = 1,
    C8_BINARY_MUL = 2,
    C8_BINARY_DIV = 3, /* integers: truncates toward zero; x / 0 gives 0 (callers reject it) */
    C8_BINARY_MAX = 4, /* floats: NaN if either operand is NaN (numpy.maximum) */
    C8_BINARY_MIN = 5,
    C8_BINARY_PRELU = 6 /* a < 0 ? a * b : a  (b is the slope); float types only */
} c8_binary_op;

/* Whether c8_ref_binary handles op on dtype dt: every op on float32, float64, float16 (computed in
 * float32, rounded back to half) and Add..Min on the 8/16/32/64-bit integer types. Integer
 * Add/Sub/Mul wrap around modulo 2^bits (no undefined behaviour); INT_MIN / -1 gives INT_MIN. */
bool c8_ref_binary_supports(c8_binary_op op, c8_dtype dt);

/* y = a op b with numpy (multidirectional) broadcasting:
 *   a: shape sa, b: shape sb, y: shape sy, all dt, C order; sa and sb each broadcast to sy (the
 *   caller checked it; sy may be larger than broadcast(sa, sb), as when Sum folds its first two
 *   of three inputs into the full output). y may equal a when sa equals sy (used to accumulate
 *   variadic Sum/Max/Min), and may equal b when sb equals sy. Returns false (nothing written) if
 *   !c8_ref_binary_supports. */
bool c8_ref_binary(c8_binary_op op, c8_dtype dt, const c8_shape *sa, const void *a,
                   const c8_shape *sb, const void *b, const c8_shape *sy, void *y);

/* ---- Cast ---- */

/* Whether c8_ref_cast converts from -> to. Supported: any pair among float32, float64, float16,
 * int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool. */
bool c8_ref_cast_supports(c8_dtype from, c8_dtype to);

/* Converts n elements of x (dtype from) into y (dtype to); x and y do not overlap unless the
 * dtypes are equal. Rules (numpy's where numpy defines them):
 *   float -> integer: truncation toward zero, saturated to the target range, NaN -> 0
 *     (out-of-range values are undefined in ONNX and numpy; we saturate instead of UB);
 *   integer -> narrower integer: wraps modulo 2^bits (two's complement), as numpy astype;
 *   anything -> bool: x != 0 (NaN -> true); bool -> anything: 0 or 1;
 *   -> float16: round to nearest even from the exact value (float64 is not rounded twice).
 * Returns false (nothing written) if !c8_ref_cast_supports(from, to). */
bool c8_ref_cast(c8_dtype from, const void *x, c8_dtype to, void *y, int64_t n);

/* ---- IEEE 754 binary16 ---- */

/* float64 -> binary16 bits in one rounding (round to nearest even; overflow -> +-inf; NaN ->
 * quiet NaN, sign kept). Going through float32 first could round twice; float32 <-> binary16 is
 * kernels/ref/fp16.h. */
uint16_t c8_f64_to_f16(double x);

#endif
