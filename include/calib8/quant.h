/* calib8 INT8 semantics, written once: every CPU and GPU INT8 kernel follows these functions,
 * and GPU kernels reproduce the CPU reference (kernels/ref/int8_*.c) bit for bit.
 * Prose and a worked example: docs/int8-semantics.md. Tests: tests/quant/.
 *
 * ---- The rules ----
 * Numbers. Activations and weights are symmetric int8 in [-127, 127]; -128 is never produced.
 *   The zero point is 0 everywhere, so padding contributes 0. Every data-path step is ONE IEEE-754
 *   binary32 operation (rounded to nearest even), in the order written below: no FMA contraction,
 *   no float64, no long double, no flush-to-zero. Host-side constants (multipliers, biases) are
 *   computed in float64 at build time and then rounded once; kernels only ever read the stored
 *   float32/int32 values, they never recompute them.
 * Rounding float -> int8: c8_quant_rne_sat127(): round half to even, then saturate to
 *   [-127, 127]; NaN -> 0; +inf -> 127, -inf -> -127. It does not read the FP environment.
 * Quantize (activation scale s, a positive normal float): inv_s = 1.0f / s (one float32 division,
 *   computed once per tensor/channel), q = rne_sat127(x * inv_s).
 * Dequantize: x = (float)q * s.
 * Weights, per output channel k: s_w,k = max|w_k| / 127.0f (the absmax is exact; one float32
 *   division); q_w = rne_sat127(w / s_w,k) with a float32 DIVISION (build time only, and what
 *   ONNX QuantizeLinear computes, so an exported Q/DQ model sees the same integers). A channel
 *   whose s_w,k would be 0 or subnormal (max|w_k| / 127.0f < FLT_MIN; all-zero channels)
 *   gets s_w,k = 1.0f and q_w = 0: it then outputs its bias exactly.
 * Bias: b_q,k = rne((double)b_k / ((double)s_in * (double)s_w,k)) as int32 (float64, build time),
 *   saturated to +-c8_quant_bias_limit(K) = +-(2^31 - 1 - 127*127*K) so that bias + any sum of K
 *   products cannot overflow int32. Saturation is reported to the caller.
 * Accumulation: acc = b_q,k + sum of int8*int8 products, in int32; the order does not matter
 *   (integers, no overflow while K <= C8_QUANT_MAX_K = 133144; builders refuse or split larger K).
 * INT8 output epilogue (per output element, channel k):
 *   M_k = (float)(((double)s_in * s_w,k) / s_out)               host, stored in the plan
 *   y = (float)acc * M_k                                          fmul
 *   if residual r (int8, scale s_r): y = y + (float)r * M_r,      M_r = (float)((double)s_r/s_out)
 *                                                                 fmul, then fadd
 *   activation in output-quant units (c8_quant_act_apply):
 *     ReLU:        y = y > 0 ? y : 0               (-0 -> +0)
 *     Clip(a, b):  y = y < lo ? lo : y; y = y > hi ? hi : y,  lo = (float)((double)a / s_out),
 *                  hi likewise (host); a = -inf / b = +inf mean "no bound".
 *     LeakyReLU:   y = y < 0 ? y * alpha : y        (fmul)
 *   q = rne_sat127(y).
 * FLOAT output epilogue: the same with D_k = (float)((double)s_in * s_w,k) in place of M_k, s_r in
 *   place of M_r and the activation in real units (Clip bounds a, b as given); plus Sigmoid,
 *   y = 1.0f / (1.0f + expf(-y)), which is NOT bit-exact across CPU and GPU libm: FP32-output
 *   sigmoid is compared with a tolerance. FLOAT16 output rounds that float32 y to binary16 (RNE).
 * Add (residual, with rescale): y = (float)qa * Ma + (float)qb * Mb, Ma = s_a/s_out,
 *   Mb = s_b/s_out (host float64 -> float32); two fmuls then one fadd; activation; rne_sat127.
 *   That is exactly the epilogue above with acc = qa, M = Ma, r = qb, M_r = Mb.
 * Requantize / Concat: q = rne_sat127((float)q_in * M), M = (float)((double)s_in / s_out). With
 *   equal scales M = 1.0f and the result is an exact copy (a kernel may memcpy).
 * Mul by a float factor (Q8Mul: an int8 x, scale s_x, times a float f broadcast per channel or a
 *   single value, such as a squeeze-excitation gate): m = f * M per factor element at run time
 *   (fmul; M = (float)((double)s_x / s_out) on the host), then q = rne_sat127((float)q_x * m):
 *   c8_quant_mul_factor, then c8_quant_requantize. The factor stays float (never quantized).
 * MaxPool: max over the valid (non-padded) window positions, starting from -127; same scale in
 *   and out. A window with no valid position outputs -127 (= -inf saturated).
 * AveragePool: acc = int32 sum over the valid positions (padding adds 0); count = number of window
 *   positions inside the input (count_include_pad = 0) or inside the padded input
 *   [-pad_begin, in + pad_end) (count_include_pad = 1); y = (float)acc * M[count] with
 *   M[count] = (float)((double)s_in / ((double)s_out * count)) from a host table
 *   (c8_quant_avgpool_mults), so border windows use their own multiplier; q = rne_sat127(y);
 *   count = 0 gives 0. GlobalAveragePool: count = H * W, one multiplier.
 *
 * ---- For CUDA (and any other) implementations ----
 * Compile without --use_fast_math / -ftz=true / -prec-div=false. Every float product and sum on
 * the data path must be __fmul_rn / __fadd_rn (nvcc contracts a*b+c into an FMA otherwise); the
 * inline functions below do this themselves when compiled by nvcc, so device code should simply
 * call them. int -> float is __int2float_rn. rne_sat127(y) equals
 * min(max(__float2int_rn(y), -127), 127) for every y (cvt.rni gives 0 for NaN); never use a
 * .sat.s8 conversion, which saturates to -128. Clip and ReLU use the comparison forms above, not
 * fmaxf/fminf (they differ on the sign of zero in float output). Host C code is compiled with
 * -ffp-contract=off and FLT_EVAL_METHOD == 0 (checked by the calib8 sources).
 */
#ifndef CALIB8_QUANT_H
#define CALIB8_QUANT_H

#include "calib8/status.h"

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__clang__) && !defined(__CUDACC__)
#pragma STDC FP_CONTRACT OFF
#endif

/* Qualifiers and single-rounding float ops usable from host C and CUDA device code. */
#if defined(__CUDACC__)
#define C8_QFN static __host__ __device__ __forceinline__
#else
#define C8_QFN static inline
#endif
#if defined(__CUDA_ARCH__)
#define C8_FMUL(a, b) __fmul_rn((a), (b))
#define C8_FADD(a, b) __fadd_rn((a), (b))
#define C8_FDIV(a, b) __fdiv_rn((a), (b))
#define C8_I2F(i) __int2float_rn(i)
#else
#define C8_FMUL(a, b) ((float)(a) * (float)(b))
#define C8_FADD(a, b) ((float)(a) + (float)(b))
#define C8_FDIV(a, b) ((float)(a) / (float)(b))
#define C8_I2F(i) ((float)(i))
#endif

#define C8_QMAX 127
#define C8_QMIN (-127)
/* Largest reduction length K with 127 * 127 * K <= INT32_MAX (int32 accumulation). */
#define C8_QUANT_MAX_K 133144
/* Largest pooling window count with 127 * count <= INT32_MAX. */
#define C8_QUANT_MAX_POOL_COUNT 16909320

/* ---------------------------------------------------------------------------------------------
 * Element semantics (static inline; the definition of what every kernel computes)
 * ------------------------------------------------------------------------------------------- */

/* Round half to even and saturate to [-127, 127]; NaN -> 0, +-inf -> +-127. Independent of the
 * FP rounding mode: truncation plus an exact fractional part. */
C8_QFN int8_t c8_quant_rne_sat127(float y) {
    if (y != y) return 0;
    if (y >= 127.0f) return 127;
    if (y <= -127.0f) return -127;
    int32_t t = (int32_t)y; /* truncates toward zero; |y| < 127 so it fits */
    float f = y - (float)t; /* exact: the fractional part of y, in (-1, 1) */
    if (f > 0.5f || (f == 0.5f && (t & 1)))
        t += 1;
    else if (f < -0.5f || (f == -0.5f && (t & 1)))
        t -= 1;
    return (int8_t)t;
}

/* 1/s, the per-tensor (or per-channel) factor quantize multiplies by: one float32 division. */
C8_QFN float c8_quant_inv_scale(float s) { return C8_FDIV(1.0f, s); }

/* Activation quantization: rne_sat127(x * inv_s), inv_s = c8_quant_inv_scale(s). */
C8_QFN int8_t c8_quant_quantize(float x, float inv_s) {
    return c8_quant_rne_sat127(C8_FMUL(x, inv_s));
}

/* Dequantization: (float)q * s. */
C8_QFN float c8_quant_dequantize(int32_t q, float s) { return C8_FMUL(C8_I2F(q), s); }

/* Weight quantization (build time): rne_sat127(w / s_w), one float32 division. */
C8_QFN int8_t c8_quant_weight(float w, float s_w) { return c8_quant_rne_sat127(C8_FDIV(w, s_w)); }

/* Requantize int8 (or an int32 sum) by a float32 multiplier: rne_sat127((float)q * m). */
C8_QFN int8_t c8_quant_requantize(int32_t q, float m) {
    return c8_quant_rne_sat127(C8_FMUL(C8_I2F(q), m));
}

/* Q8Mul's multiplier for factor f (m = f * M, M = s_x / s_out); q = c8_quant_requantize(q_x, m). */
C8_QFN float c8_quant_mul_factor(float f, float m) { return C8_FMUL(f, m); }

/* Activations fused into epilogues. Values are only ever appended; they equal ops/ir.h's c8_act
 * and kernels/ref/ref.h's C8_REF_ACT_* on purpose. */
typedef enum c8_quant_act_kind {
    C8_QACT_NONE = 0,
    C8_QACT_RELU = 1,
    C8_QACT_CLIP = 2,       /* lo, hi: bounds in the output's units (see c8_quant_act_make) */
    C8_QACT_LEAKY_RELU = 3, /* alpha */
    C8_QACT_SIGMOID = 4,    /* float / float16 output only; not bit-exact across devices */
    /* hard-swish and an affine, y in the epilogue's units: t = min(max(y * alpha + 3, 0), 6),
     * y = (y * t) * lo + hi. alpha is the epilogue's unit in real terms (s_out for int8 output,
     * 1 for float); lo = a / 6 and hi = b / s_out (b for float output) fold the division by 6,
     * the affine (a, b) and the return to the output's units into one multiply-add (see
     * c8_quant_act_make): no division in the epilogue */
    C8_QACT_HARDSWISH = 5
} c8_quant_act_kind;

/* A fused activation with its parameters already in the units the epilogue works in:
 * output-quant units for int8 output, real units for float output. */
typedef struct c8_quant_act {
    int32_t kind; /* c8_quant_act_kind */
    float lo, hi; /* Clip bounds (-INFINITY / INFINITY when absent) */
    float alpha;  /* LeakyReLU slope */
} c8_quant_act;

/* Applies the activation to y (float32). */
C8_QFN float c8_quant_act_apply(float y, c8_quant_act act) {
    switch (act.kind) {
    case C8_QACT_RELU: return y > 0.0f ? y : 0.0f;
    case C8_QACT_CLIP: y = y < act.lo ? act.lo : y; return y > act.hi ? act.hi : y;
    case C8_QACT_LEAKY_RELU: return y < 0.0f ? C8_FMUL(y, act.alpha) : y;
    case C8_QACT_SIGMOID: return C8_FDIV(1.0f, C8_FADD(1.0f, expf(-y)));
    case C8_QACT_HARDSWISH: {
        float t = C8_FADD(C8_FMUL(y, act.alpha), 3.0f);
        t = t < 0.0f ? 0.0f : t;
        t = t > 6.0f ? 6.0f : t;
        return C8_FADD(C8_FMUL(C8_FMUL(y, t), act.lo), act.hi);
    }
    default: return y;
    }
}

/* The float32 value of an epilogue before rounding: (float)acc * m [+ (float)r * m_r], then the
 * activation. m is M_k (int8 output) or D_k (float output); m_r is M_r or s_r. */
C8_QFN float c8_quant_epilogue_f32(int32_t acc, float m, int has_residual, int32_t r, float m_r,
                                   c8_quant_act act) {
    float y = C8_FMUL(C8_I2F(acc), m);
    if (has_residual) {
        float t = C8_FMUL(C8_I2F(r), m_r);
        y = C8_FADD(y, t);
    }
    return c8_quant_act_apply(y, act);
}

/* The int8 epilogue: rne_sat127(c8_quant_epilogue_f32(...)). */
C8_QFN int8_t c8_quant_epilogue_i8(int32_t acc, float m, int has_residual, int32_t r, float m_r,
                                   c8_quant_act act) {
    return c8_quant_rne_sat127(c8_quant_epilogue_f32(acc, m, has_residual, r, m_r, act));
}

/* Add with rescale: rne_sat127(act((float)qa * ma + (float)qb * mb)). */
C8_QFN int8_t c8_quant_add_i8(int32_t qa, float ma, int32_t qb, float mb, c8_quant_act act) {
    return c8_quant_epilogue_i8(qa, ma, 1, qb, mb, act);
}

/* ---------------------------------------------------------------------------------------------
 * Build-time helpers (quant/): validation, weight/bias quantization, multipliers, layouts.
 * None of them allocates; every array argument is caller-owned. Functions taking a `name` use it
 * (the tensor or layer name; NULL reads as "?") in their error messages.
 * ------------------------------------------------------------------------------------------- */

/* An activation scale from a calibration cache must be finite and >= FLT_MIN (so 1/s is finite).
 * C8_ERR_INVALID otherwise, e.g. "tensor 'conv1_out': scale 0 is not a positive finite number". */
c8_status c8_quant_check_scale(const char *name, float s, c8_error *err);

/* The int32 accumulation bound: K (products summed per output, e.g. C/group*R*S) must be in
 * [1, C8_QUANT_MAX_K]. C8_ERR_LIMIT names the layer and K otherwise. */
c8_status c8_quant_check_reduce_len(const char *name, int64_t k, c8_error *err);

/* Pooling window counts (H*W for a global pool) must be in [1, C8_QUANT_MAX_POOL_COUNT]. */
c8_status c8_quant_check_pool_count(const char *name, int64_t count, c8_error *err);

/* The bias saturation bound for reduction length k (1 <= k <= C8_QUANT_MAX_K):
 * INT32_MAX - 127*127*k. */
int32_t c8_quant_bias_limit(int64_t k);

/* Per-output-channel weight scales. w is viewed as (outer, channels, inner) float32 with the
 * channel on the middle axis: conv weights (K, C/g, R, S) -> outer 1, channels K, inner C/g*R*S;
 * Gemm B (N, K) -> 1, N, K; MatMul B (K, N) -> K, N, 1.
 * Writes scales (channels): max|w_k| / 127.0f, or 1.0f for a zero (or subnormal-scale) channel;
 * *n_zero_channels (may be NULL) gets the number of such channels.
 * C8_ERR_INVALID if any weight is NaN or infinite (message: tensor name, channel, flat index). */
c8_status c8_quant_weight_scales(const char *name, const float *w, int64_t outer, int64_t channels,
                                 int64_t inner, float *scales, int64_t *n_zero_channels,
                                 c8_error *err);

/* Quantizes w (same view as above) with the given per-channel scales into q (same shape, int8):
 * q = c8_quant_weight(w, scales[k]); a channel with scale 1.0f flagged as zero above quantizes to
 * 0 because all its |w| are below about 127 * FLT_MIN. C8_ERR_INVALID on NaN/Inf weights or a bad
 * scale. */
c8_status c8_quant_weights(const char *name, const float *w, int64_t outer, int64_t channels,
                           int64_t inner, const float *scales, int8_t *q, c8_error *err);

/* int32 biases: bq[k] = rne((double)b[k] / ((double)s_in * s_w[k])) saturated to
 * +-c8_quant_bias_limit(reduce_len). *n_saturated (may be NULL) gets how many saturated; the
 * builder should report a non-zero count. C8_ERR_INVALID on NaN/Inf bias or bad scales,
 * C8_ERR_LIMIT on a reduce_len over C8_QUANT_MAX_K. */
c8_status c8_quant_bias(const char *name, const float *b, int64_t channels, float s_in,
                        const float *s_w, int64_t reduce_len, int32_t *bq, int64_t *n_saturated,
                        c8_error *err);

/* (float)((double)num / (double)den): M_r, Ma, Mb, concat and requantize multipliers
 * (num = s_in, den = s_out). Every multiplier helper returns C8_ERR_INVALID, naming `name`, when
 * an input scale is not a positive finite float or the float32 result is not a positive normal
 * finite float (overflow to inf, or underflow below FLT_MIN: absurd scale ratios), so kernels
 * never see inf, NaN or subnormal multipliers. */
c8_status c8_quant_ratio(const char *name, float num, float den, float *out, c8_error *err);

/* Per-channel requantization multipliers M_k = (float)(((double)s_in * s_w[k]) / s_out). */
c8_status c8_quant_requant_mults(const char *name, float s_in, const float *s_w, int64_t channels,
                                 float s_out, float *m, c8_error *err);

/* Per-channel dequantization multipliers (float output) D_k = (float)((double)s_in * s_w[k]). */
c8_status c8_quant_dequant_mults(const char *name, float s_in, const float *s_w, int64_t channels,
                                 float *d, c8_error *err);

/* AveragePool multipliers by window count: table[0] = 0, table[c] =
 * (float)((double)s_in / ((double)s_out * c)) for 1 <= c <= max_count (= kh * kw).
 * table has max_count + 1 entries. */
c8_status c8_quant_avgpool_mults(const char *name, float s_in, float s_out, int64_t max_count,
                                 float *table, c8_error *err);
/* The one multiplier of that table for count taps (GlobalAveragePool: count = H * W), the same
 * float as table[count], without building the table. */
c8_status c8_quant_avgpool_mult(const char *name, float s_in, float s_out, int64_t count,
                                float *mult, c8_error *err);

/* Output kinds of fused epilogues. Values are only ever appended. */
typedef enum c8_quant_out {
    C8_QOUT_INT8 = 0,   /* int8, scale s_out */
    C8_QOUT_FLOAT = 1,  /* float32, real units */
    C8_QOUT_FLOAT16 = 2 /* binary16 bits (uint16_t), the float32 result rounded to nearest even */
} c8_quant_out;

/* Builds an activation descriptor for an epilogue with output `out`. For int8 output the Clip
 * bounds a, b (real units; -INFINITY / INFINITY when absent) become lo = (float)((double)a/s_out),
 * hi likewise; for float outputs they are kept. Hard-swish takes its affine as (a, b): lo =
 * (float)((double)a / 6), hi = (float)((double)b / s_out) (b for float output), alpha = s_out
 * (1 for float output; the argument is ignored). C8_ERR_INVALID for Sigmoid with int8 output,
 * a > b, NaN parameters or a bad s_out (ignored, may be 0, for float outputs). */
c8_status c8_quant_act_make(const char *name, c8_quant_act_kind kind, float a, float b, float alpha,
                            c8_quant_out out, float s_out, c8_quant_act *act, c8_error *err);

/* ---- INT8 layouts for fast kernels (reference conversions; zero padding) ----
 * NCHW       (N, C, H, W) int8: the reference layout.
 * NHWC_Cx    (N, H, W, Cp) int8, Cp = C rounded up to a multiple of x (4: dp4a, 16/32: mma
 *            k-steps); channels C..Cp-1 are 0, which is the quantized zero (symmetric).
 * NC/xHWx    (N, ceil(C/x), H, W, x) int8 (x = 4 or 32: TensorRT's kCHW4 / kCHW32); channels past
 *            C are 0.
 * KRSC_Cx    conv weights (K, R, S, Cgp) int8 from (K, C/g, R, S), Cgp = C/g rounded up to x;
 *            padded input channels are 0 so they multiply padded activations to 0.
 * All dims >= 1 and x >= 1; C8_ERR_INVALID otherwise. dst is fully written (padding included). */
int64_t c8_quant_round_up(int64_t v, int64_t m);
c8_status c8_quant_nchw_to_nhwc(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                const int8_t *src, int8_t *dst, c8_error *err);
c8_status c8_quant_nhwc_to_nchw(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                const int8_t *src, int8_t *dst, c8_error *err);
c8_status c8_quant_nchw_to_ncxhwx(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                  const int8_t *src, int8_t *dst, c8_error *err);
c8_status c8_quant_ncxhwx_to_nchw(int64_t n, int64_t c, int64_t h, int64_t w, int64_t x,
                                  const int8_t *src, int8_t *dst, c8_error *err);
c8_status c8_quant_kcrs_to_krsc(int64_t k, int64_t cg, int64_t r, int64_t s, int64_t x,
                                const int8_t *src, int8_t *dst, c8_error *err);

#ifdef __cplusplus
}
#endif
#endif
