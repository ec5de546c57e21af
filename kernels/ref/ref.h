/* FP32 reference kernels for the compute ops: the readable specification every fast path (CUDA,
 * SIMD, INT8) is tested against. Plain C, no intrinsics, built with -ffp-contract=off so a*b+c is
 * never fused; each kernel documents its float32 accumulation order, which is part of its
 * contract. Kernels do not allocate and cannot fail: the caller (ops/compute.c) validates
 * every descriptor and sizes the buffers. All tensors are dense, C order, NC[D]HW.
 *
 * Tests: tests/kernels/test_ref_kernels.c (against float64 references written there). */
#ifndef C8_KERNELS_REF_REF_H
#define C8_KERNELS_REF_REF_H

#include <stdbool.h>
#include <stdint.h>

#define C8_MAX_SPATIAL 3

/* ---- fused epilogue ---- */

/* Activation codes: the values of c8_act in ops/ir.h (kept equal on purpose, so a fusion
 * record passes through unchanged). */
#define C8_REF_ACT_NONE 0
#define C8_REF_ACT_RELU 1
#define C8_REF_ACT_CLIP 2       /* min(max(x, a), b) */
#define C8_REF_ACT_LEAKY_RELU 3 /* x < 0 ? a*x : x */
#define C8_REF_ACT_SIGMOID 4    /* 1 / (1 + exp(-x)), evaluated without overflow */
/* hard-swish and an affine: t = x + 3, t = min(max(t, 0), 6), h = x * t, h = h / 6, h * a + b,
 * one float32 rounding per step in that order (the ONNX graph's Add, Clip, Mul, Div, Mul, Add) */
#define C8_REF_ACT_HARDSWISH 5

typedef struct c8_epilogue {
    int act;    /* C8_REF_ACT_* */
    float a, b; /* Clip min/max; LeakyRelu alpha in a; hard-swish's affine */
} c8_epilogue;

/* One activation of one value. */
float c8_ref_act(int act, float a, float b, float x);

/* y[i] = act(y[i] + residual[i]) for i < n, in that order (residual NULL: y[i] = act(y[i])).
 * Called after a kernel wrote op(x) + bias into y, this gives the fused semantics
 * y = act((op(x) + bias) + residual). e NULL means no activation. */
void c8_ref_epilogue(const c8_epilogue *e, const float *residual, float *y, int64_t n);

/* ---- convolution ---- */

/* Geometry of a convolution or transposed convolution with 1..3 spatial axes. */
typedef struct c8_conv_desc {
    int64_t N;                      /* batch */
    int64_t C;                      /* input channels */
    int64_t K;                      /* output channels */
    int64_t group;                  /* divides C and K */
    int nsp;                        /* spatial rank, 1..C8_MAX_SPATIAL */
    int64_t in[C8_MAX_SPATIAL];     /* input spatial extents */
    int64_t out[C8_MAX_SPATIAL];    /* output spatial extents */
    int64_t kernel[C8_MAX_SPATIAL]; /* kernel extents */
    int64_t stride[C8_MAX_SPATIAL];
    int64_t dilation[C8_MAX_SPATIAL];
    int64_t pad_begin[C8_MAX_SPATIAL]; /* may be negative only for ConvTranspose (cropping) */
    int64_t pad_end[C8_MAX_SPATIAL];   /* informational: out already accounts for it */
} c8_conv_desc;

/* Convolution (cross-correlation, as ONNX Conv):
 *   x    (N, C, in...)            float32
 *   w    (K, C/group, kernel...)  float32
 *   bias (K) or NULL
 *   y    (N, K, out...)
 * y[n,k,o] = sum_{c < C/group, t} x[n, g*C/group + c, o*stride - pad_begin + t*dilation]
 *                                 * w[k, c, t]    (+ bias[k]),   g = k / (K/group)
 * Taps that fall in the padding contribute nothing. Accumulation: one float32 sum per output
 * element starting at 0, over c ascending, then kernel taps in C order (depth, height, width
 * ascending); bias is added last. */
void c8_ref_conv(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                 float *y);

/* Transposed convolution (ONNX ConvTranspose), in gather form:
 *   x    (N, C, in...)            float32
 *   w    (C, K/group, kernel...)  float32   (note: input channels first)
 *   bias (K) or NULL
 *   y    (N, K, out...)
 * y[n,k,o] = sum over c < C/group, taps t with (o + pad_begin - t*dilation) = i*stride,
 *            0 <= i < in:  x[n, g*C/group + c, i] * w[g*C/group + c, k - g*K/group, t]  (+ bias[k])
 * Output positions no tap reaches (output_padding, cropping) get bias (or 0). Accumulation: one
 * float32 sum per output element starting at 0, over c ascending, then taps in C order; bias
 * last. */
void c8_ref_conv_transpose(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                           float *y);

/* ---- normalisation ---- */

typedef struct c8_bn_desc {
    int64_t N, C;
    int64_t inner; /* product of the extents after C (1 for (N, C) input) */
    float epsilon;
} c8_bn_desc;

/* Inference BatchNormalization over x (N, C, inner); scale, bias, mean, var: (C).
 * y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c], evaluated in float32 in
 * exactly that order (as ONNX's reference expression). */
void c8_ref_batchnorm(const c8_bn_desc *d, const float *x, const float *scale, const float *bias,
                      const float *mean, const float *var, float *y);

typedef struct c8_lrn_desc {
    int64_t N, C, inner; /* x is (N, C, inner) */
    int64_t size;        /* >= 1 */
    float alpha, beta, bias;
} c8_lrn_desc;

/* ONNX LRN: square_sum[c] = sum of x[c']^2 for c' in [c - floor((size-1)/2), c + ceil((size-1)/2)]
 * clipped to [0, C-1], accumulated in float32 with c' ascending;
 * y = x / pow(bias + (alpha / size) * square_sum, beta). */
void c8_ref_lrn(const c8_lrn_desc *d, const float *x, float *y);

/* Softmax over the middle axis of x viewed as (outer, len, inner):
 * m = max over the axis; e_j = exp(x_j - m); s = sum of e_j (j ascending, float32);
 * y_j = e_j / s. ONNX opset < 13 uses inner = 1 and len = product of the trailing axes. */
void c8_ref_softmax(int64_t outer, int64_t len, int64_t inner, const float *x, float *y);

/* ---- pooling ---- */

typedef struct c8_pool_desc {
    int64_t N, C;
    int nsp; /* 1..C8_MAX_SPATIAL */
    int64_t in[C8_MAX_SPATIAL];
    int64_t out[C8_MAX_SPATIAL];
    int64_t kernel[C8_MAX_SPATIAL];
    int64_t stride[C8_MAX_SPATIAL];
    int64_t dilation[C8_MAX_SPATIAL];
    int64_t pad_begin[C8_MAX_SPATIAL];
    int64_t pad_end[C8_MAX_SPATIAL];
    bool count_include_pad; /* AveragePool only */
} c8_pool_desc;

/* MaxPool over x (N, C, in...) into y (N, C, out...): the maximum of the window taps inside the
 * input (padding is ignored, i.e. -inf); taps visited in C order, a NaN tap propagates. A window
 * with no tap inside the input (only possible when pads >= the window extent) gives -inf. */
void c8_ref_maxpool(const c8_pool_desc *d, const float *x, float *y);

/* AveragePool: sum of the window taps inside the input (float32, C order) divided by a count:
 * count_include_pad false: the number of taps inside the input;
 * count_include_pad true : the number of taps inside the padded input [-pad_begin, in + pad_end)
 *                          (taps beyond that, possible with ceil_mode, are not counted: the
 *                          PyTorch / onnxruntime rule).
 * A count of 0 (a window wholly in the padding) gives 0/0 = NaN. */
void c8_ref_avgpool(const c8_pool_desc *d, const float *x, float *y);

/* Global pools over x (NC, S) into y (NC): the mean (float32 sum, ascending, divided by S) or the
 * maximum of each row. */
void c8_ref_global_avgpool(int64_t nc, int64_t s, const float *x, float *y);
void c8_ref_global_maxpool(int64_t nc, int64_t s, const float *x, float *y);

/* ---- matrix products ---- */

typedef struct c8_gemm_desc {
    int64_t M, N, K;
    bool trans_a, trans_b; /* a is (K, M) / b is (N, K) when set; else (M, K) / (K, N) */
    float alpha, beta;
    int64_t c_rows, c_cols; /* C's extents after right-aligning to (M, N): each 1 or M / N;
                               ignored when c is NULL */
} c8_gemm_desc;

/* y (M, N) = alpha * (op(a) @ op(b)) + beta * c[broadcast], evaluated per element as
 * acc = sum over k ascending of a*b (float32, starting at 0); y = alpha*acc (+ beta*c). */
void c8_ref_gemm(const c8_gemm_desc *d, const float *a, const float *b, const float *c, float *y);

/* Plain matrix product y (M, N) = a (M, K) @ b (K, N); accumulation as c8_ref_gemm (no scaling).
 * MatMul's batching and broadcasting are done by the caller, one call per output matrix. */
void c8_ref_matmul(int64_t M, int64_t N, int64_t K, const float *a, const float *b, float *y);

#endif
