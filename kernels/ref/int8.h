/* INT8 CPU reference kernels: plain C, one obvious loop nest each, following the semantics in
 * include/calib8/quant.h (docs/int8-semantics.md). GPU INT8 kernels must equal these bit for bit;
 * the descriptors below are shared with them and with the engine builder.
 * Implementations: kernels/ref/int8_conv.c, int8_gemm.c, int8_pool.c, int8_eltwise.c.
 * Tests: tests/kernels/test_int8_ref.c.
 *
 * Calling convention: the builder validates descriptors and epilogues once with the *_check
 * functions (status + message naming the layer); the kernels assert validity (a bad descriptor at
 * run time is a calib8 bug) and never fail. All tensors are dense, C order, caller-owned. */
#ifndef C8_KERNELS_REF_INT8_H
#define C8_KERNELS_REF_INT8_H

#include "calib8/quant.h"
#include "calib8/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2-D convolution. Input x (N, C, H, W); weights (K, C/group, R, S); output (N, K, P, Q) with
 * P = (H + pad_t + pad_b - dil_h*(R-1) - 1) / stride_h + 1 (Q likewise). Padding is the quantized
 * zero (0). group divides C and K; depthwise is group == C == K (or K a multiple of C). */
typedef struct c8_conv2d_desc {
    int64_t n, c, h, w;
    int64_t k, r, s;
    int64_t p, q;
    int64_t stride_h, stride_w;
    int64_t pad_t, pad_l, pad_b, pad_r;
    int64_t dil_h, dil_w;
    int64_t group;
} c8_conv2d_desc;

/* Gemm / FC / MatMul with constant weights: y (M, N) = a (M, K) x B, B int8 constant with one
 * scale per output column n. b_layout C8_INT8_B_NK: B stored (N, K) (ONNX Gemm transB=1, FC:
 * y = a W^T); C8_INT8_B_KN: B stored (K, N) (MatMul, Gemm transB=0). transA, alpha and beta are
 * folded by the builder (transpose the activation; alpha into the weights, beta into the bias
 * before quantization); a batched MatMul (..., M, K) x (K, N) is M' = prod(...) * M. */
typedef enum c8_int8_gemm_b_layout { C8_INT8_B_NK = 0, C8_INT8_B_KN = 1 } c8_int8_gemm_b_layout;
typedef struct c8_int8_gemm_desc {
    int64_t m, n, k;
    int32_t b_layout; /* c8_int8_gemm_b_layout */
} c8_int8_gemm_desc;

/* MatMul between two int8 activations (ONNX MatMul with both operands quantized per tensor):
 * for each of `batch` matrices, y (M, N) = a (M, K) x b (K, N), both row-major; the batch-th
 * matrix of a starts at batch * a_stride elements (b likewise), a stride of 0 reads one matrix
 * for every batch (broadcasting); y is dense (batch, M, N). The epilogue is the Gemm's with one
 * channel: mult[0] = s_a * s_b / s_out (int8 output) or s_a * s_b (float), bias and residual
 * optional (residual indexed like y). */
typedef struct c8_int8_matmul_desc {
    int64_t batch, m, n, k;
    int64_t a_stride, b_stride; /* M*K (K*N), or 0 */
} c8_int8_matmul_desc;

/* 2-D pooling on (N, C, H, W) -> (N, C, P, Q). The caller computes P, Q (floor or ceil mode);
 * window (p, q) covers rows p*stride_h - pad_t + i*dil_h, i < kh (columns likewise); positions
 * outside the input are skipped. count_include_pad (AveragePool) counts positions inside the
 * padded input [-pad_t, H + pad_b) x [-pad_l, W + pad_r) instead of inside the input. */
typedef struct c8_pool2d_desc {
    int64_t n, c, h, w;
    int64_t p, q;
    int64_t kh, kw;
    int64_t stride_h, stride_w;
    int64_t pad_t, pad_l, pad_b, pad_r;
    int64_t dil_h, dil_w;
    int32_t count_include_pad;
} c8_pool2d_desc;

/* The fused epilogue of Conv and Gemm (per output element of channel k, see quant.h):
 * acc = bias[k] + sum; y = (float)acc * mult[k] [+ (float)residual * res_mult]; act; then
 * int8: rne_sat127(y); float: y; float16: y rounded to binary16. */
typedef struct c8_int8_epilogue {
    int32_t out;            /* c8_quant_out: y is int8_t, float or uint16_t (binary16 bits) */
    const int32_t *bias;    /* (K) int32 (c8_quant_bias), or NULL for none */
    const float *mult;      /* (K): M_k for int8 output, D_k for float / float16 output */
    const int8_t *residual; /* int8, shaped as the output, or NULL for none */
    float res_mult;         /* M_r = s_r / s_out (int8 output) or s_r (float outputs) */
    c8_quant_act act;       /* from c8_quant_act_make (units match `out`) */
} c8_int8_epilogue;

/* Validation for the builder; messages name `name` (the layer). */
c8_status c8_conv2d_desc_check(const char *name, const c8_conv2d_desc *d, c8_error *err);
c8_status c8_int8_gemm_desc_check(const char *name, const c8_int8_gemm_desc *d, c8_error *err);
c8_status c8_int8_matmul_desc_check(const char *name, const c8_int8_matmul_desc *d, c8_error *err);
/* is_max: MaxPool (dilations allowed) or AveragePool. P must be the floor- or ceil-mode size,
 * every window must overlap the padded input, and for AveragePool kh*kw must pass
 * c8_quant_check_pool_count. */
c8_status c8_pool2d_desc_check(const char *name, const c8_pool2d_desc *d, int is_max,
                               c8_error *err);
/* channels = K (conv) or N (gemm): every mult must be a positive normal float. */
c8_status c8_int8_epilogue_check(const char *name, const c8_int8_epilogue *ep, int64_t channels,
                                 c8_error *err);

/* The epilogue of one output element: channel k, flat output index idx (also the residual's
 * index), int32 accumulator acc (bias already added). Shared by the reference kernels. */
void c8_ref_int8_epilogue_store(const c8_int8_epilogue *ep, int64_t k, int64_t idx, int32_t acc,
                                void *y);

/* y (N, K, P, Q) of ep->out's type = conv(x (N, C, H, W) int8, w (K, C/group, R, S) int8). */
void c8_ref_int8_conv2d(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w,
                        const c8_int8_epilogue *ep, void *y);

/* y (M, N) of ep->out's type = a (M, K) int8 x b (see c8_int8_gemm_desc) int8. */
void c8_ref_int8_gemm(const c8_int8_gemm_desc *d, const int8_t *a, const int8_t *b,
                      const c8_int8_epilogue *ep, void *y);

/* y (batch, M, N) of ep->out's type = a x b, both int8 (see c8_int8_matmul_desc); ep has one
 * channel (mult[0], bias[0] when present). */
void c8_ref_int8_matmul(const c8_int8_matmul_desc *d, const int8_t *a, const int8_t *b,
                        const c8_int8_epilogue *ep, void *y);

/* MaxPool: y (N, C, P, Q) = max over valid window positions, starting from -127; scale
 * unchanged. */
void c8_ref_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y);

/* AveragePool: y = rne_sat127((float)sum * mults[count]); mults from c8_quant_avgpool_mults with
 * max_count = kh * kw (kh*kw + 1 entries); count 0 gives 0. */
void c8_ref_int8_avgpool2d(const c8_pool2d_desc *d, const int8_t *x, const float *mults, int8_t *y);

/* GlobalAveragePool: x (N, C, HW) -> y (N, C): rne_sat127((float)sum * mult), mult =
 * c8_quant_avgpool_mults(...)[HW]. */
void c8_ref_int8_global_avgpool(int64_t n, int64_t c, int64_t hw, const int8_t *x, float mult,
                                int8_t *y);

/* Add with rescale over count elements (same shapes): y = act((float)a * ma + (float)b * mb),
 * then per `out` (int8: rne_sat127, ma = s_a/s_out; float/float16: ma = s_a, mb = s_b). */
void c8_ref_int8_add(int64_t count, const int8_t *a, float ma, const int8_t *b, float mb,
                     c8_quant_act act, c8_quant_out out, void *y);

/* Mul by a float factor over an (outer, c, inner) view (NCHW: outer N, c C, inner H*W): element
 * (o, k, i) gets c8_quant_requantize(x, c8_quant_mul_factor(f[o * f_outer + k * f_c], m)); the
 * strides are 0 where the factor is broadcast (a single factor: f_outer = f_c = 0). */
void c8_ref_int8_mul(int64_t outer, int64_t c, int64_t inner, const int8_t *x, const float *f,
                     int64_t f_outer, int64_t f_c, float m, int8_t *y);

/* Concat along the middle axis of (outer, C_i, inner) views (NCHW channels: outer N, inner H*W):
 * y (outer, sum C_i, inner) gets rne_sat127((float)x_i * mults[i]) (mults[i] = s_i / s_out;
 * 1.0f copies exactly). */
void c8_ref_int8_concat(int64_t outer, int64_t inner, int n_inputs, const int8_t *const *xs,
                        const int64_t *channels, const float *mults, int8_t *y);

/* Per-channel (c scales) or per-tensor (c = 1) over an (outer, c, inner) view:
 * quantize   q = rne_sat127(x * inv_s[ch])   (inv_s from c8_quant_inv_scale)
 * dequantize x = (float)q * s[ch]
 * requantize y = rne_sat127((float)q * m[ch]) (m = s_in / s_out via c8_quant_ratio) */
void c8_ref_int8_quantize(int64_t outer, int64_t c, int64_t inner, const float *x,
                          const float *inv_s, int8_t *q);
void c8_ref_int8_dequantize(int64_t outer, int64_t c, int64_t inner, const int8_t *q,
                            const float *s, float *x);
void c8_ref_int8_requantize(int64_t outer, int64_t c, int64_t inner, const int8_t *q,
                            const float *m, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif
