/* The CUDA backend's own kernels (kernels/cuda/cu_kernels.cu): layout and type changes,
 * elementwise ops with numpy broadcasting over strided views, the fused Conv/Gemm epilogue,
 * BatchNormalization, pooling, Softmax, LRN, gathers through index maps, and the calibration
 * histogram. Each computes the same function as its CPU reference (kernels/ref/ref.h,
 * kernels/ref/eltwise.h, quant/hist_rule.c), in the same float32 order where the reference fixes
 * one (the file is compiled without FMA contraction): BatchNormalization, pooling, the epilogue and
 * the elementwise ops are bit-exact; expf / tanhf / powf differ from glibc by a few ulp.
 * Tests: tests/kernels/cuda/test_backend_ops.c (every op against the CPU reference on the GPU
 * machine).
 *
 * Tensors are passed as views: a data pointer, an element type and per-axis extents and strides
 * in elements, so one kernel reads and writes ONNX layout (NCHW), channels-last (NHWC) or
 * channels-last with padded channels alike. All functions enqueue on `stream` (never the default
 * stream), check their launch and return C8_ERR_DEVICE naming the failing call. */
#ifndef C8_KERNELS_CUDA_CU_KERNELS_H
#define C8_KERNELS_CUDA_CU_KERNELS_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <cuda_runtime_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of views. Arithmetic is done in float32 on F32 / F16 / I8 elements; the RAW
 * types are moved bit for bit (any dtype of that size). Values are ours. */
typedef enum c8cu_type {
    C8CU_F32 = 0,
    C8CU_F16 = 1, /* IEEE binary16; stores round to nearest even (__float2half_rn) */
    C8CU_I8 = 2,
    C8CU_RAW1 = 3,
    C8CU_RAW2 = 4,
    C8CU_RAW4 = 5,
    C8CU_RAW8 = 6
} c8cu_type;

/* Bytes per element of a view type. */
size_t c8cu_type_size(int type);

/* A strided view of a tensor in device memory: element (i_0, ..., i_{rank-1}) is at
 * data + type_size * sum_k i_k * strides[k]. Strides may be 0 (broadcast) for inputs. */
typedef struct c8cu_view {
    void *data;
    int32_t type; /* c8cu_type */
    int32_t rank; /* 0..C8_MAX_RANK */
    int64_t dims[C8_MAX_RANK];
    int64_t strides[C8_MAX_RANK];
} c8cu_view;

/* Elementwise operations. */
typedef enum c8cu_ew_op {
    C8CU_EW_COPY = 0,  /* y = a (type conversion, layout change, broadcast expansion) */
    C8CU_EW_RELU = 1,  /* unary: as kernels/ref/eltwise.h and c8_ref_act */
    C8CU_EW_LEAKY = 2, /* alpha */
    C8CU_EW_SIGMOID = 3,
    C8CU_EW_TANH = 4,
    C8CU_EW_HSIGMOID = 5, /* alpha, beta */
    C8CU_EW_HSWISH = 6,
    C8CU_EW_CLIP = 7, /* lo / hi when has_lo / has_hi (NaN passes) */
    C8CU_EW_ADD = 8,  /* binary y = a op b: as c8_ref_binary on float32 */
    C8CU_EW_SUB = 9,
    C8CU_EW_MUL = 10,
    C8CU_EW_DIV = 11,
    C8CU_EW_MAX = 12, /* NaN if either is NaN */
    C8CU_EW_MIN = 13,
    C8CU_EW_PRELU = 14,    /* a < 0 ? a * b : a */
    C8CU_EW_EPILOGUE = 15, /* y = act((a [+ b * beta]) [+ c]): Conv/Gemm bias, residual, act */
    C8CU_EW_BN = 16,       /* y = (a - b[0]) / b[1] * b[2] + b[3]: b points at 4 consecutive floats
                              (mean, sqrtf(var + eps), scale, bias) per channel (BatchNormalization in
                              c8_ref_batchnorm's order) */
    /* unary math as c8_ref_math_f32 (kernels/ref/math.h): sqrtf and 1 / x are IEEE (bit-exact),
     * expf / logf / erff within a few ulp of glibc's, Gelu in float64 rounded once */
    C8CU_EW_SQRT = 17,
    C8CU_EW_RECIPROCAL = 18,
    C8CU_EW_EXP = 19,
    C8CU_EW_LOG = 20,
    C8CU_EW_NEG = 21,
    C8CU_EW_ABS = 22,
    C8CU_EW_ERF = 23,
    C8CU_EW_GELU = 24,      /* x/2 (1 + erf(x / sqrt 2)) */
    C8CU_EW_GELU_TANH = 25, /* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    C8CU_EW_POW = 26        /* binary: pow(a, b) in float64 rounded once, as c8_ref_pow */
} c8cu_ew_op;

/* Whether op reads a second operand b (the broadcasting binary ops). */
static inline int c8cu_ew_is_binary(int op) {
    return (op >= C8CU_EW_ADD && op <= C8CU_EW_PRELU) || op == C8CU_EW_POW;
}

/* Parameters of an elementwise launch. */
typedef struct c8cu_ew_params {
    int32_t op;        /* c8cu_ew_op */
    float alpha, beta; /* LeakyRelu / HardSigmoid; EPILOGUE: beta scales b */
    float lo, hi;      /* Clip */
    int32_t has_lo, has_hi;
    int32_t act;        /* EPILOGUE: C8_REF_ACT_* (kernels/ref/ref.h) */
    float act_a, act_b; /* EPILOGUE: Clip min/max, LeakyRelu alpha */
} c8cu_ew_params;

/* y = op(a[, b[, c]]) over y's extents. a, b, c (NULL when unused) have y's rank; an input's
 * extent is y's or 1 with stride 0 (numpy broadcasting, set up by the caller). y may alias a
 * when a has y's strides (in-place epilogue). Unary ops and COPY read a only. */
c8_status c8cu_eltwise(const c8cu_ew_params *p, const c8cu_view *y, const c8cu_view *a,
                       const c8cu_view *b, const c8cu_view *c, cudaStream_t stream, c8_error *err);

/* y = convert(x) over y's extents (C8CU_EW_COPY). */
c8_status c8cu_copy(const c8cu_view *y, const c8cu_view *x, cudaStream_t stream, c8_error *err);

/* Inference BatchNormalization over views of rank >= 2 (channel axis 1):
 * y = (x - mean[c]) / sqrtf(var[c] + eps) * scale[c] + bias[c] in that float32 order.
 * scale, bias, mean, var: (C) float32 device arrays. */
c8_status c8cu_batchnorm(const c8cu_view *y, const c8cu_view *x, const float *scale,
                         const float *bias, const float *mean, const float *var, float eps,
                         cudaStream_t stream, c8_error *err);

/* 2-D pooling over (N, C, H, W) views (1-D pools use H = 1), as c8_ref_maxpool /
 * c8_ref_avgpool. */
typedef struct c8cu_pool2d {
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;
    int32_t is_max;
    int32_t count_include_pad;
} c8cu_pool2d;
c8_status c8cu_pool2d_run(const c8cu_pool2d *d, const c8cu_view *y, const c8cu_view *x,
                          cudaStream_t stream, c8_error *err);

/* Global pools: x (N, C, S) view -> y (N, C) view; mean (float32 sum, S ascending, / S) or
 * maximum (NaN propagates) per (n, c), as the reference. */
c8_status c8cu_global_pool(int is_max, const c8cu_view *y, const c8cu_view *x, cudaStream_t stream,
                           c8_error *err);

/* ConvTranspose whose kernel equals its stride (no padding, dilation or output padding, one
 * group; output (H * kh, W * kw)): every output pixel takes one tap of one input pixel, so a
 * direct kernel replaces cuDNN's backward data (0.3-0.5 ms for the PaddleOCR detector's
 * 2x2 / 2 upsamplings at 8 x 640 x 640 on an H100; they move about 40 MB). As
 * c8_ref_conv_transpose in float32 order (sum over the input channels ascending, then the bias),
 * then the activation act (C8_REF_ACT_*, as the epilogue pass). nhwc 0: float32 NCHW x / y and
 * ONNX weights (C, K, kh, kw); nhwc 1: binary16 NHWC x / y and weights (C, kh, kw, K). */
#define C8CU_CONVT_MAX_TAPS 16
typedef struct c8cu_convt_s2k {
    int64_t n, c, h, w, k, kh, kw;
    int32_t nhwc;
    int32_t act;
    float act_a, act_b;
} c8cu_convt_s2k;
c8_status c8cu_convt_s2k_run(const c8cu_convt_s2k *d, const void *x, const void *w,
                             const float *bias, void *y, cudaStream_t stream, c8_error *err);

/* A reduction of dense float32 x (C order) into y (the kept axes in C order): output element j
 * has kept-axis coordinates from out_dims (C order over j), reading x at
 * sum(coord * out_strides) + sum over the reduced coordinates r (C order over r in red_dims) of
 * r * red_strides. As c8_ref_reduce_f32: a float64 accumulator per output (the sum, sum of
 * squares, max or min; NaN wins max and min), Mean divides by the count (an empty reduction
 * gives NaN), L2 takes the square root, then one rounding to float32. The float64 partial sums
 * of one output are added in another order than the reference's (a warp per output element):
 * equal to it unless a float64 rounding moves the float32 result. op: C8CU_RED_*. */
#define C8CU_RED_MEAN 0
#define C8CU_RED_SUM 1
#define C8CU_RED_SUM_SQUARE 2
#define C8CU_RED_MAX 3
#define C8CU_RED_MIN 4
#define C8CU_RED_L2 5
typedef struct c8cu_reduce_geom {
    int32_t op;
    int32_t out_rank, red_rank;
    int64_t n_out, count;
    int64_t out_dims[C8_MAX_RANK], out_strides[C8_MAX_RANK];
    int64_t red_dims[C8_MAX_RANK], red_strides[C8_MAX_RANK];
} c8cu_reduce_geom;
c8_status c8cu_reduce(const c8cu_reduce_geom *r, const float *x, float *y, cudaStream_t stream,
                      c8_error *err);

/* Softmax over the middle axis of dense float32 (outer, len, inner); as c8_ref_softmax. */
c8_status c8cu_softmax(int64_t outer, int64_t len, int64_t inner, const float *x, float *y,
                       cudaStream_t stream, c8_error *err);

/* LRN on dense float32 (N, C, inner); as c8_ref_lrn. */
c8_status c8cu_lrn(int64_t n, int64_t c, int64_t inner, int64_t size, float alpha, float beta,
                   float bias, const float *x, float *y, cudaStream_t stream, c8_error *err);

/* y[i] = map[i] >= 0 ? x[map[i]] : fill (elements of esize bytes: 1, 2, 4 or 8), i < count.
 * map: int32 device array; fill: esize bytes (host) copied into the launch. */
c8_status c8cu_gather_map(size_t esize, int64_t count, const int32_t *map, const void *x,
                          const void *fill, void *y, cudaStream_t stream, c8_error *err);

/* ---- calibration histogram (the rule of quant/hist_rule.h) ---- */

/* What the two histogram passes leave in device memory (c8cu_hist_dev_bytes(nbins) bytes):
 * the header, then nbins uint64 counts. */
typedef struct c8cu_hist_header {
    uint32_t amax_bits;  /* max of |x|'s bit pattern (>= 0x7f800000: Inf or NaN seen) */
    uint32_t kmin, kmax; /* order keys of the minimum and maximum (see quant/hist_rule.c) */
    int32_t exp;         /* the batch's own range exponent, c8_hist_exp_for(absmax) */
    uint64_t first_bad;  /* index of the first NaN / Inf, or UINT64_MAX */
} c8cu_hist_header;
size_t c8cu_hist_dev_bytes(int64_t nbins);
/* Clears the header and counts at dev (c8cu_hist_dev_bytes bytes), then: pass 1 reduces absmax,
 * min, max and the first non-finite index of x (n float32 values); pass 2 bins |x| with the
 * batch's own range 2^exp into the counts (skipped when a non-finite value was seen). */
c8_status c8cu_hist(const float *x, uint64_t n, int64_t nbins, void *dev, int sm_count,
                    cudaStream_t stream, c8_error *err);

#ifdef __cplusplus
}
#endif
#endif
