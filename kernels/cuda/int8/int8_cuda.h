/* INT8 CUDA kernels: convolution as implicit GEMM on dp4a (sm_61+) and on integer tensor cores
 * (mma.sync m16n8k32 s8 -> s32, sm_80+), cuBLASLt's int8 GEMM, depthwise convolution, pooling,
 * quantize / dequantize / requantize, Add, Concat and layout changes; every Conv / Gemm with the
 * fused epilogue of include/calib8/quant.h. The results equal the CPU reference kernels
 * (kernels/ref/int8.h, int8_*.c) bit for bit (float32 sigmoid output excepted, see quant.h).
 * Tests: tests/kernels/cuda/test_cuda_int8_*.c; benchmarks: bench/cuda/; prose: docs/int8-gpu.md.
 *
 * ---- Layouts ----
 * NHWC32 activations: (N, H, W, Cp) int8, Cp = round_up(C, 32); channels C..Cp-1 are 0 (the
 *   quantized zero). Every kernel here reads and writes this layout and writes 0 into the pad
 *   channels of its output. A Conv / Gemm with float32 or float16 output writes (N, P, Q, Kp)
 *   float32 / binary16 with the pad channels 0.0; c8_cuda_nhwc_to_nchw turns it into NCHW.
 * Dense conv weights, packed once on the host (c8_cuda_int8_pack_conv_weights):
 *   (Kp, R, S, Cp) int8, Kp = round_up(K, 32); pad rows and pad channels 0. Row k is the B column
 *   of the implicit GEMM (reduction index (r, s, c), c fastest), which is what mma's ".col" B
 *   operand and the dp4a kernels read.
 * Depthwise weights (group == C == K): (R, S, Cp) int8, pad channels 0.
 * Gemm / FC: a (M, Kp) int8 rows (NHWC32 with H = W = 1, e.g. after a global average pool),
 *   B packed to (Np, Kp) (c8_cuda_int8_pack_gemm_weights), y (M, Np) of the epilogue's type.
 *
 * ---- Conventions ----
 * All tensor pointers, and the epilogue's bias / mult / residual, are DEVICE pointers; bias and
 * mult have K (or N) entries, the residual is shaped and laid out as the output (NHWC32, int8).
 * Every function enqueues on the stream it is given (never the default stream), checks its
 * launches, and returns C8_ERR_DEVICE with the failing call named (kernels/cuda/cuda_check.h).
 * Descriptors are validated by the builder (c8_conv2d_desc_check, c8_int8_epilogue_check on the
 * host copies); the *_supports functions say which algorithm can run a valid descriptor.
 * The caller owns every buffer; functions here allocate device memory only where they say so. */
#ifndef C8_KERNELS_CUDA_INT8_INT8_CUDA_H
#define C8_KERNELS_CUDA_INT8_INT8_CUDA_H

#include "calib8/quant.h"
#include "calib8/status.h"
#include "kernels/ref/int8.h"

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Channel padding of the NHWC32 layout (and of Kp in packed weights). */
#define C8_CUDA_INT8_CALIGN 32

/* ---- Context: device properties, the cuBLASLt handle, kernel attributes ---- */
typedef struct c8_cuda_int8_ctx c8_cuda_int8_ctx;

/* Creates a context for `device` (makes it current). *out is owned by the caller: free it with
 * c8_cuda_int8_ctx_destroy. */
c8_status c8_cuda_int8_ctx_create(int device, c8_cuda_int8_ctx **out, c8_error *err);
/* Frees ctx and the handle it created; NULL is a no-op. */
void c8_cuda_int8_ctx_destroy(c8_cuda_int8_ctx *ctx);
/* Compute capability as 10 * major + minor (e.g. 90), the SM count and the L2 size in bytes. */
int c8_cuda_int8_ctx_sm(const c8_cuda_int8_ctx *ctx);
int c8_cuda_int8_ctx_sm_count(const c8_cuda_int8_ctx *ctx);
size_t c8_cuda_int8_ctx_l2_bytes(const c8_cuda_int8_ctx *ctx);

/* ---- Weight packing (host, build time; plain C) ---- */

/* Bytes of the packed weights of conv d: Kp*R*S*Cp (dense, group 1) or R*S*Cp (depthwise);
 * -1 for grouped non-depthwise convs (unsupported here). */
int64_t c8_cuda_int8_conv_packed_bytes(const c8_conv2d_desc *d);
/* w (K, C/group, R, S) int8 (host) -> packed (host, c8_cuda_int8_conv_packed_bytes(d) bytes,
 * fully written). C8_ERR_UNSUPPORTED for grouped non-depthwise convs. */
c8_status c8_cuda_int8_pack_conv_weights(const c8_conv2d_desc *d, const int8_t *w, int8_t *packed,
                                         c8_error *err);
/* Bytes of packed Gemm weights: Np * Kp. */
int64_t c8_cuda_int8_gemm_packed_bytes(const c8_int8_gemm_desc *d);
/* b (N, K) or (K, N) int8 per d->b_layout (host) -> packed (Np, Kp) (host, fully written). */
c8_status c8_cuda_int8_pack_gemm_weights(const c8_int8_gemm_desc *d, const int8_t *b,
                                         int8_t *packed, c8_error *err);

/* ---- Convolution / Gemm algorithms (the candidates the builder times) ----
 * Values are only ever appended; names are stable and go into plans and `build --verbose`. */
typedef enum c8_cuda_int8_algo {
    C8_CUDA_INT8_DP4A_128X128 = 0,        /* "dp4a_128x128x32": 256 threads, 8x8 outputs each */
    C8_CUDA_INT8_DP4A_128X64 = 1,         /* "dp4a_128x64x32" */
    C8_CUDA_INT8_DP4A_64X64 = 2,          /* "dp4a_64x64x32" */
    C8_CUDA_INT8_IMMA_128X128_W64X64 = 3, /* "imma_128x128x64_w64x64_s4": 4 warps, 4 stages */
    C8_CUDA_INT8_IMMA_128X128_W64X32 = 4, /* "imma_128x128x64_w64x32_s3": 8 warps, 3 stages */
    C8_CUDA_INT8_IMMA_256X128_W64X64 = 5, /* "imma_256x128x64_w64x64_s3": 8 warps, 3 stages */
    C8_CUDA_INT8_IMMA_128X64_W64X32 = 6,  /* "imma_128x64x64_w64x32_s4": 4 warps, 4 stages */
    C8_CUDA_INT8_IMMA_64X64_W32X32 = 7,   /* "imma_64x64x64_w32x32_s4": 4 warps, 4 stages */
    C8_CUDA_INT8_CUBLASLT = 8,  /* "cublaslt_imma+epilogue": 1x1/s1/p0 convs and Gemm only */
    C8_CUDA_INT8_DEPTHWISE = 9, /* "depthwise_direct": group == C == K only */
    C8_CUDA_INT8_IMMA_64X128_W32X64 = 10,  /* "imma_64x128x64_w32x64_s4": 4 warps, 4 stages */
    C8_CUDA_INT8_IMMA_128X64_W32X32 = 11,  /* "imma_128x64x64_w32x32_s4": 8 warps, 4 stages */
    C8_CUDA_INT8_IMMA_128X128_W32X64 = 12, /* "imma_128x128x64_w32x64_s3": 8 warps, 3 stages */
    /* 128-byte reduction stages (4 k32 steps per barrier) */
    C8_CUDA_INT8_IMMA_128X128X128_W64X32 = 13,   /* "imma_128x128x128_w64x32_s3": 8 warps */
    C8_CUDA_INT8_IMMA_64X64X128_W32X32 = 14,     /* "imma_64x64x128_w32x32_s4": 4 warps */
    C8_CUDA_INT8_IMMA_128X64X128_W64X32 = 15,    /* "imma_128x64x128_w64x32_s3": 4 warps */
    C8_CUDA_INT8_IMMA_128X128X128_W64X64 = 16,   /* "imma_128x128x128_w64x64_s3": 4 warps */
    C8_CUDA_INT8_IMMA_192X128X128_W64X32 = 17,   /* "imma_192x128x128_w64x32_s3": 12 warps */
    C8_CUDA_INT8_IMMA_256X128X128_W64X32 = 18,   /* "imma_256x128x128_w64x32_s3": 16 warps */
    C8_CUDA_INT8_IMMA_128X128X64_W64X32_S4 = 19, /* "imma_128x128x64_w64x32_s4": 8 warps */
    C8_CUDA_INT8_IMMA_192X128X64_W64X32 = 20,    /* "imma_192x128x64_w64x32_s4": 12 warps */
    /* CUTLASS 2.x implicit-GEMM mainloop (Sm80 tensor-op, kOptimized iterators) with calib8's
     * epilogue (kernels/cuda/int8/cutlass/); sm_80+, only in builds with CUTLASS */
    C8_CUDA_INT8_CUTLASS_128X128X64_W64X64_S3 = 21, /* "cutlass_sm80_128x128x64_w64x64_s3" */
    C8_CUDA_INT8_CUTLASS_256X128X64_W64X64_S3 = 22, /* "cutlass_sm80_256x128x64_w64x64_s3" */
    C8_CUDA_INT8_CUTLASS_128X256X64_W64X64_S3 = 23, /* "cutlass_sm80_128x256x64_w64x64_s3" */
    C8_CUDA_INT8_CUTLASS_128X64X64_W64X32_S4 = 24,  /* "cutlass_sm80_128x64x64_w64x32_s4" */
    C8_CUDA_INT8_CUTLASS_64X64X64_W32X32_S4 = 25,   /* "cutlass_sm80_64x64x64_w32x32_s4" */
    /* the same with the epilogue's 16-channel vector stores (through shared memory) */
    C8_CUDA_INT8_CUTLASS_128X128X64_W64X64_S3_VST =
        26, /* "cutlass_sm80_128x128x64_w64x64_s3_vst" */
    C8_CUDA_INT8_CUTLASS_256X128X64_W64X64_S3_VST =
        27,                                            /* "cutlass_sm80_256x128x64_w64x64_s3_vst" */
    C8_CUDA_INT8_CUTLASS_128X64X64_W64X32_S4_VST = 28, /* "cutlass_sm80_128x64x64_w64x32_s4_vst" */
    /* 128-byte reduction stages, vector-store epilogue */
    C8_CUDA_INT8_CUTLASS_128X128X128_W64X64_S3_VST =
        29, /* "cutlass_sm80_128x128x128_w64x64_s3_vst" */
    C8_CUDA_INT8_CUTLASS_256X128X128_W64X64_S3_VST =
        30, /* "cutlass_sm80_256x128x128_w64x64_s3_vst" */
    C8_CUDA_INT8_CUTLASS_128X256X128_W64X64_S3_VST =
        31, /* "cutlass_sm80_128x256x128_w64x64_s3_vst" */
    C8_CUDA_INT8_CUTLASS_128X64X128_W64X32_S4_VST =
        32, /* "cutlass_sm80_128x64x128_w64x32_s4_vst" */
    /* inputs with C <= 4 (a first layer on images): the reduction over (r, s, 4 channels) instead
     * of (r, s, 32) (conv_smallc.cu); sm_80+ */
    C8_CUDA_INT8_SMALLC_128X64 = 33, /* "imma_smallc_128x64" */
    /* stride 2 on C <= 8 channels as a stride-1 convolution on a space-to-depth copy of the
     * input (conv_s2d.cu), through the IMMA tile named; sm_80+ */
    C8_CUDA_INT8_S2D_128X64X64_W64X32 = 34, /* "s2d_imma_128x64x64_w64x32_s4" */
    C8_CUDA_INT8_S2D_64X64X64_W32X32 = 35,  /* "s2d_imma_64x64x64_w32x32_s4" */
    C8_CUDA_INT8_S2D_128X64X64_W32X32 = 36, /* "s2d_imma_128x64x64_w32x32_s4" */
    /* CUTLASS 3.x Hopper implicit GEMM (wgmma, TMA im2col loads, warp-specialized) with
     * calib8's epilogue (kernels/cuda/int8/cutlass/conv_sm90.cuh); sm_90 only, only in builds
     * with CUTLASS and sm_90 */
    C8_CUDA_INT8_CUTLASS_SM90_128X128X128 = 37, /* "cutlass_sm90_128x128x128" */
    C8_CUDA_INT8_CUTLASS_SM90_128X64X128 = 38,  /* "cutlass_sm90_128x64x128" */
    C8_CUDA_INT8_CUTLASS_SM90_128X128X64 = 39,  /* "cutlass_sm90_128x128x64" */
} c8_cuda_int8_algo;
#define C8_CUDA_INT8_ALGO_COUNT 40

/* The algorithm's stable name, or "?" for an unknown id. */
const char *c8_cuda_int8_algo_name(int32_t algo);

/* Families of algorithms (for reports): values only appended. */
typedef enum c8_cuda_int8_algo_kind {
    C8_CUDA_INT8_KIND_UNKNOWN = -1,
    C8_CUDA_INT8_KIND_DP4A = 0,
    C8_CUDA_INT8_KIND_IMMA = 1,
    C8_CUDA_INT8_KIND_CUBLASLT = 2,
    C8_CUDA_INT8_KIND_DEPTHWISE = 3,
    C8_CUDA_INT8_KIND_CUTLASS = 4,     /* CUTLASS 2.x Sm80 mainloop */
    C8_CUDA_INT8_KIND_CUTLASS_SM90 = 5 /* CUTLASS 3.x Hopper kernel */
} c8_cuda_int8_algo_kind;
/* The family of `algo` (a c8_cuda_int8_algo_kind). */
int c8_cuda_int8_algo_kind_of(int32_t algo);

/* 1 if `algo` can run conv d with epilogue ep on ctx's device, else 0 with *why (may be NULL)
 * set to a static reason. Only ep's shape-like fields are read (out, act.kind, whether residual
 * is NULL): no device pointer is dereferenced. Grouped convs that are not depthwise are
 * unsupported by every algorithm (the builder runs them per group or on another backend). */
int c8_cuda_int8_conv_supports(const c8_cuda_int8_ctx *ctx, int32_t algo, const c8_conv2d_desc *d,
                               const c8_int8_epilogue *ep, const char **why);
/* Writes the ids of every algorithm that supports (d, ep) into algos (C8_CUDA_INT8_ALGO_COUNT
 * entries) and returns how many. */
int c8_cuda_int8_conv_candidates(const c8_cuda_int8_ctx *ctx, const c8_conv2d_desc *d,
                                 const c8_int8_epilogue *ep, int32_t *algos);
/* Device workspace `algo` needs for d (0 for most; cuBLASLt: the int32 accumulators + its own
 * workspace; space-to-depth: the rearranged input and weights). */
size_t c8_cuda_int8_conv_workspace_bytes(const c8_cuda_int8_ctx *ctx, int32_t algo,
                                         const c8_conv2d_desc *d);
/* y (N, P, Q, Kp) of ep->out's type = conv(x (N, H, W, Cp) NHWC32, packed w) + epilogue, with
 * algorithm `algo`. workspace: ws_bytes >= c8_cuda_int8_conv_workspace_bytes (may be NULL when
 * that is 0). C8_ERR_UNSUPPORTED when algo does not support d (message says why). */
c8_status c8_cuda_int8_conv_run(c8_cuda_int8_ctx *ctx, int32_t algo, const c8_conv2d_desc *d,
                                const int8_t *x, const int8_t *w, const c8_int8_epilogue *ep,
                                void *y, void *workspace, size_t ws_bytes, cudaStream_t stream,
                                c8_error *err);

/* Gemm / FC: y (M, Np) = a (M, Kp) x packed B (Np, Kp) + epilogue; the same algorithms (as the
 * 1x1 convolution with N = M, H = W = 1). */
int c8_cuda_int8_gemm_supports(const c8_cuda_int8_ctx *ctx, int32_t algo,
                               const c8_int8_gemm_desc *d, const c8_int8_epilogue *ep,
                               const char **why);
int c8_cuda_int8_gemm_candidates(const c8_cuda_int8_ctx *ctx, const c8_int8_gemm_desc *d,
                                 const c8_int8_epilogue *ep, int32_t *algos);
size_t c8_cuda_int8_gemm_workspace_bytes(const c8_cuda_int8_ctx *ctx, int32_t algo,
                                         const c8_int8_gemm_desc *d);
c8_status c8_cuda_int8_gemm_run(c8_cuda_int8_ctx *ctx, int32_t algo, const c8_int8_gemm_desc *d,
                                const int8_t *a, const int8_t *b_packed, const c8_int8_epilogue *ep,
                                void *y, void *workspace, size_t ws_bytes, cudaStream_t stream,
                                c8_error *err);
/* The conv descriptor a Gemm runs as. */
c8_conv2d_desc c8_cuda_int8_gemm_as_conv(const c8_int8_gemm_desc *d);

/* ---- Timing (kernel choice at build time) ---- */
typedef struct c8_cuda_int8_timing {
    int32_t algo;
    const char *name;
    float ms_median; /* median over reps, each run on a flushed L2; < 0 if it did not run */
    float ms_min;
    c8_status status; /* C8_OK, or why this candidate failed (it is then skipped) */
} c8_cuda_int8_timing;

/* Times the n algorithms in algos on conv d's real shape: the function allocates random
 * (non-zero) inputs, weights, bias, multipliers and residual (when ep->residual is non-NULL;
 * ep's pointers are otherwise ignored), runs each algorithm `warmup` times, then `reps` times
 * (reps <= 64) with the L2 cache flushed before each run, timing each run alone with CUDA events
 * on `stream`. Writes results[0..n); returns C8_OK even when single candidates fail (their
 * status says why), an error only when nothing could be set up. Device memory it allocates is
 * freed before it returns. */
c8_status c8_cuda_int8_conv_time(c8_cuda_int8_ctx *ctx, const c8_conv2d_desc *d,
                                 const c8_int8_epilogue *ep, const int32_t *algos, int n,
                                 int warmup, int reps, cudaStream_t stream,
                                 c8_cuda_int8_timing *results, c8_error *err);
/* The index in results[0..n) of the fastest candidate that ran, or -1. */
int c8_cuda_int8_timing_best(const c8_cuda_int8_timing *results, int n);

/* The timing method itself, for any launch (benchmarks use it for cuDNN too): calls
 * launch(user, stream, err) `warmup` times, then `reps` times (<= 64) each after an L2 flush
 * (a memset of a buffer twice the L2 size, not timed), and writes the median and minimum
 * milliseconds. */
typedef c8_status (*c8_cuda_launch_fn)(void *user, cudaStream_t stream, c8_error *err);
c8_status c8_cuda_time_launch(c8_cuda_int8_ctx *ctx, c8_cuda_launch_fn launch, void *user,
                              int warmup, int reps, cudaStream_t stream, float *ms_median,
                              float *ms_min, c8_error *err);

/* Fills dev[0..bytes) with int8 values uniform in [-127, 127] (seeded hash; random, not zero),
 * on stream: test and benchmark inputs. */
c8_status c8_cuda_fill_random_i8(void *dev, size_t bytes, uint64_t seed, cudaStream_t stream,
                                 c8_error *err);

/* ---- Pooling on NHWC32 (d->c is the real C; pad channels of y are 0) ---- */
/* MaxPool: y (N, P, Q, Cp) = max over valid window positions starting from -127. */
c8_status c8_cuda_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y,
                                 cudaStream_t stream, c8_error *err);
/* AveragePool with the per-window-count multipliers of quant.h: mults is the DEVICE copy of
 * c8_quant_avgpool_mults(..., kh*kw) (kh*kw + 1 floats). */
c8_status c8_cuda_int8_avgpool2d(const c8_pool2d_desc *d, const int8_t *x, const float *mults,
                                 int8_t *y, cudaStream_t stream, c8_error *err);
/* GlobalAveragePool: x (N, HW, Cp) -> y (N, Cp), mult = c8_quant_avgpool_mults(...)[HW]. */
c8_status c8_cuda_int8_global_avgpool(int64_t n, int64_t c, int64_t hw, const int8_t *x, float mult,
                                      int8_t *y, cudaStream_t stream, c8_error *err);

/* ---- Quantize / dequantize / requantize (scales: DEVICE arrays of n_scales = 1 or C) ---- */
/* x float32 NCHW (N, C, HW) -> q NHWC32 (N, HW, Cp): q = rne_sat127(x * inv_s[c]). */
c8_status c8_cuda_int8_quantize_nchw(int64_t n, int64_t c, int64_t hw, const float *x,
                                     const float *inv_s, int64_t n_scales, int8_t *q,
                                     cudaStream_t stream, c8_error *err);
/* q NHWC32 (N, HW, Cp) -> x float32 NCHW (N, C, HW): x = (float)q * s[c]. */
c8_status c8_cuda_int8_dequantize_nchw(int64_t n, int64_t c, int64_t hw, const int8_t *q,
                                       const float *s, int64_t n_scales, float *x,
                                       cudaStream_t stream, c8_error *err);
/* NHWC32 -> NHWC32 over n_pix = N*H*W pixels: y = rne_sat127((float)q * m[c]); pad 0. */
c8_status c8_cuda_int8_requantize(int64_t n_pix, int64_t c, const int8_t *q, const float *m,
                                  int64_t n_scales, int8_t *y, cudaStream_t stream, c8_error *err);

/* NHWC32 -> NHWC32 with an activation (Q8Requantize of a Clip / ReLU): y = rne_sat127(act((float)q
 * * m)) = c8_quant_epilogue_i8(q, m, 0, 0, 0, act); m a host float; act not SIGMOID; pad 0. */
c8_status c8_cuda_int8_requantize_act(int64_t n_pix, int64_t c, const int8_t *q, float m,
                                      c8_quant_act act, int8_t *y, cudaStream_t stream,
                                      c8_error *err);

/* ---- Elementwise Add and Concat on NHWC32 ---- */
/* y = act((float)a * ma + (float)b * mb) per quant.h, a and b (n_pix, Cp) int8; y (n_pix, Cp) of
 * type `out` (c8_quant_out), pad channels 0. */
c8_status c8_cuda_int8_add(int64_t n_pix, int64_t c, const int8_t *a, float ma, const int8_t *b,
                           float mb, c8_quant_act act, int32_t out, void *y, cudaStream_t stream,
                           c8_error *err);
/* Q8Mul: q NHWC32 (n, hw, Cp) times a float factor per (item, channel): element (i, p, ch) gets
 * c8_quant_requantize(q, c8_quant_mul_factor(f[i * f_item + ch * f_ch], m)) (f a device array,
 * strides 0 where broadcast); y (n, hw, Cp), pad channels 0. */
c8_status c8_cuda_int8_mul(int64_t n, int64_t c, int64_t hw, const int8_t *q, const float *f,
                           int64_t f_item, int64_t f_ch, float m, int8_t *y, cudaStream_t stream,
                           c8_error *err);
/* Nearest Resize of the spatial axes on NHWC32: x (n, h, w, Cp) -> y (n, oh, ow, Cp), output pixel
 * (oy, ox) a copy of input pixel (ymap[oy], xmap[ox]) (device int32 arrays from
 * c8_resize_nearest_src); pad channels copied (0). */
c8_status c8_cuda_int8_resize_nearest(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh,
                                      int64_t ow, const int32_t *ymap, const int32_t *xmap,
                                      const int8_t *x, int8_t *y, cudaStream_t stream,
                                      c8_error *err);
/* Channel concat: xs[i] (n_pix, round_up(channels[i], 32)) NHWC32 (device pointers in a host
 * array) -> y (n_pix, round_up(sum channels, 32)), y's channels [c0_i, c0_i + channels[i]) =
 * rne_sat127((float)x_i * mults[i]) (host floats); pad channels 0. */
c8_status c8_cuda_int8_concat(int64_t n_pix, int n_inputs, const int8_t *const *xs,
                              const int64_t *channels, const float *mults, int8_t *y,
                              cudaStream_t stream, c8_error *err);

/* ---- Layout changes (elem_bytes 1, 2 or 4: int8, binary16, float32) ----
 * NCHW (N, C, HW) <-> NHWC padded (N, HW, Cp), Cp = round_up(C, 32); pad channels written 0. */
c8_status c8_cuda_nchw_to_nhwc(int elem_bytes, int64_t n, int64_t c, int64_t hw, const void *src,
                               void *dst, cudaStream_t stream, c8_error *err);
c8_status c8_cuda_nhwc_to_nchw(int elem_bytes, int64_t n, int64_t c, int64_t hw, const void *src,
                               void *dst, cudaStream_t stream, c8_error *err);

#ifdef __cplusplus
}
#endif
#endif
