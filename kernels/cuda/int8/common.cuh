/* Shared internals of the INT8 CUDA kernels (kernels/cuda/int8/*.cu): the kernel parameter block,
 * the fused epilogue on the device and the launchers each .cu file provides to dispatch.cu.
 * The epilogue follows include/calib8/quant.h op by op (its C8_QFN functions are __host__
 * __device__ under nvcc and use __fmul_rn / __fadd_rn); the reference is
 * kernels/ref/int8_eltwise.c: c8_ref_int8_epilogue_store. These files are compiled with
 * --fmad=false as a second guard against contraction. */
#ifndef C8_KERNELS_CUDA_INT8_COMMON_CUH
#define C8_KERNELS_CUDA_INT8_COMMON_CUH

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/int8/int8_cuda.h"

#include <cuda_fp16.h>
#include <stdint.h>

/* Everything a conv / gemm kernel reads, passed by value. Sizes fit int32 (checked by
 * c8_cuda_int8_conv_supports). */
struct c8i_conv_params {
    const int8_t *x;     /* (N, H, W, Cp) int8 NHWC32 */
    const int8_t *wt;    /* (Kp, R, S, Cp) dense, or (R, S, Cp) depthwise, int8 */
    void *y;             /* (N, P, Q, Kp) of type out */
    const int8_t *res;   /* (N, P, Q, Kp) int8 or NULL */
    const int32_t *bias; /* (K) or NULL */
    const float *mult;   /* (K) */
    float res_mult;
    c8_quant_act act;
    int out; /* c8_quant_out */
    int n, h, w, cp;
    int k, kp; /* real and padded output channels */
    int r, s, p, q;
    int sh, sw, pt, pl, dh, dw;
    int m;    /* n * p * q: rows of the implicit GEMM */
    int ktot; /* r * s * cp: reduction length of the implicit GEMM (padded) */
    /* the device's dynamic shared memory limit per block (0: unknown; dispatch.cu sets it): the
     * imma kernels fetch an int8 residual tile at their start when it fits beside the pipeline */
    size_t smem_optin;
    int res_early; /* set by the imma launcher, read by its kernel */
};

/* Host: builds the parameter block (dims already validated). */
c8i_conv_params c8i_make_params(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w,
                                const c8_int8_epilogue *ep, void *y);

/* Launchers (one per kernel family). algo is a c8_cuda_int8_algo of that family. */
c8_status c8i_launch_dp4a(int32_t algo, const c8i_conv_params &p, cudaStream_t stream,
                          c8_error *err);
c8_status c8i_launch_imma(int32_t algo, const c8i_conv_params &p, cudaStream_t stream,
                          c8_error *err);
/* Raises the dynamic shared memory limit of the imma kernels (once per context; smem_optin: the
 * device's limit per block). */
c8_status c8i_imma_init(size_t smem_optin, c8_error *err);
/* Dynamic shared memory bytes of an imma algorithm (0 for other algorithms). */
size_t c8i_imma_smem_bytes(int32_t algo);
/* The small-channel kernel (conv_smallc.cu): whether it takes d (else *why), its dynamic shared
 * memory, the once-per-context attribute and the launch. */
int c8i_smallc_supported(const c8_conv2d_desc *d, const char **why);
size_t c8i_smallc_smem_bytes(const c8_conv2d_desc *d);
c8_status c8i_smallc_init(c8_error *err);
c8_status c8i_launch_smallc(const c8i_conv_params &p, cudaStream_t stream, c8_error *err);
c8_status c8i_launch_depthwise(const c8i_conv_params &p, cudaStream_t stream, c8_error *err);
/* Space-to-depth (conv_s2d.cu): whether it takes d (else *why), the stride-1 descriptor it runs,
 * its workspace (the rearranged input and weights) and the launch through IMMA algorithm inner. */
int c8i_s2d_supported(const c8_conv2d_desc *d, const char **why);
c8_conv2d_desc c8i_s2d_desc(const c8_conv2d_desc *d);
size_t c8i_s2d_workspace_bytes(const c8_conv2d_desc *d);
c8_status c8i_launch_s2d(int32_t inner, const c8_conv2d_desc *d, const c8i_conv_params &p,
                         void *workspace, size_t ws_bytes, cudaStream_t stream, c8_error *err);
/* Epilogue over int32 accumulators acc (m, kp) row-major (bias not yet added). */
c8_status c8i_launch_epilogue_from_acc(const c8i_conv_params &p, const int32_t *acc,
                                       cudaStream_t stream, c8_error *err);

/* ---- device side ---- */
#ifdef __CUDACC__

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
/* c += a * b on integer tensor cores: mma.sync m16n8k32, s8 x s8 -> s32 (sm_80+). Fragments as
 * the PTX ISA lays them out: a (16 x 32, row) in 4 registers, b (32 x 8, col) in 2, c in 4. */
static __device__ __forceinline__ void c8i_mma_s8(int32_t (&c)[4], const uint32_t (&a)[4],
                                                  uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, "
                 "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
#endif

/* rne_sat127 on the device: cvt.rni (round half to even; NaN -> 0) then clamp; equal to
 * c8_quant_rne_sat127 for every float (quant.h). */
static __device__ __forceinline__ int c8i_rne_sat127(float y) {
    int t = __float2int_rn(y);
    return min(max(t, -127), 127);
}

/* The float32 epilogue value of one element (quant.h: c8_quant_epilogue_f32). */
static __device__ __forceinline__ float c8i_epi_f32(const c8i_conv_params &p, int32_t acc, float m,
                                                    int has_res, int32_t r) {
    return c8_quant_epilogue_f32(acc, m, has_res, r, p.res_mult, p.act);
}

/* The activation of quant.h for the kinds other than NONE and RELU, kept out of line so that
 * the unrolled epilogue does not carry its code (c8i_epi_finish). */
static __device__ __noinline__ float c8i_act_slow(float y, c8_quant_act act) {
    return c8_quant_act_apply(y, act);
}

/* The epilogue in two steps so kernels can batch its loads: c8i_load_chan fetches the per-channel
 * multiplier and bias of channels n..n+V-1 (0 for pad channels >= k) and the kernel fetches the
 * residual bytes, all before any arithmetic, so the loads' latencies overlap instead of adding
 * up element by element; c8i_epi_finish then computes and stores. n % V == 0, V in {2, 4, 16},
 * n + V <= kp; acc holds the raw sums (bias not added); channels >= k get 0. */
template <int V>
static __device__ __forceinline__ void c8i_load_chan(const c8i_conv_params &p, int n, float *m,
                                                     int32_t *b) {
#pragma unroll
    for (int j = 0; j < V; j++) {
        const int ch = n + j;
        const bool ok = ch < p.k;
        m[j] = ok ? __ldg(p.mult + ch) : 0.0f;
        b[j] = ok && p.bias ? __ldg(p.bias + ch) : 0;
    }
}

/* Byte j (0..3) of word w as a signed int8 value. */
static __device__ __forceinline__ int32_t c8i_sbyte(uint32_t w, int j) {
    return (int32_t)(int8_t)(uint8_t)(w >> (8 * j));
}

/* resw: the residual bytes of these outputs as little-endian words (V/4 words, or one word with
 * 2 bytes for V = 2), ignored when the epilogue has no residual (p.res == nullptr). */
/* The float32 values of V outputs before rounding (c8i_epi_finish's arithmetic; channels >= k
 * give 0): kernels that stage their int8 outputs in shared memory round them with
 * c8i_rne_sat127 themselves. */
template <int V>
static __device__ __forceinline__ void
c8i_epi_values(const c8i_conv_params &p, int n, const int32_t *acc, const float *m,
               const int32_t *b, const uint32_t *resw, float *yv) {
    const int has_res = p.res != nullptr;
    /* c8_quant_epilogue_f32 (quant.h) with its activation switch taken once per call instead of
     * once per element: the same float operations in the same order, but the unrolled code holds
     * one small loop per activation kind instead of every kind's code (Sigmoid's exp and
     * division) per element. Inlined per element, that code grew the CUTLASS kernels' epilogue
     * to ~20k instructions, and fetching it cost more than the mainloop (bench/results/
     * int8-conv-cutlass-probe-h100-2026-12-06.md). */
#pragma unroll
    for (int j = 0; j < V; j++) {
        float y = C8_FMUL(C8_I2F(acc[j] + b[j]), m[j]);
        if (has_res) y = C8_FADD(y, C8_FMUL(C8_I2F(c8i_sbyte(resw[j / 4], j % 4)), p.res_mult));
        yv[j] = y;
    }
    switch (p.act.kind) {
    case C8_QACT_NONE: break;
    case C8_QACT_RELU:
#pragma unroll
        for (int j = 0; j < V; j++) yv[j] = yv[j] > 0.0f ? yv[j] : 0.0f;
        break;
    default:
        /* the rarer kinds: one call per element into the out-of-line function */
#pragma unroll
        for (int j = 0; j < V; j++) yv[j] = c8i_act_slow(yv[j], p.act);
        break;
    }
#pragma unroll
    for (int j = 0; j < V; j++)
        if (n + j >= p.k) yv[j] = 0.0f;
}

template <int V>
static __device__ __forceinline__ void c8i_epi_finish(const c8i_conv_params &p, size_t off, int n,
                                                      const int32_t *acc, const float *m,
                                                      const int32_t *b, const uint32_t *resw) {
    float yv[V];
    c8i_epi_values<V>(p, n, acc, m, b, resw, yv);
    if (p.out == C8_QOUT_INT8) {
        __align__(16) int8_t o[V];
#pragma unroll
        for (int j = 0; j < V; j++) o[j] = (int8_t)(n + j < p.k ? c8i_rne_sat127(yv[j]) : 0);
        int8_t *dst = (int8_t *)p.y + off;
        if (V == 16)
            *reinterpret_cast<int4 *>(dst) = *reinterpret_cast<int4 *>(o);
        else if (V == 4)
            *reinterpret_cast<int *>(dst) = *reinterpret_cast<int *>(o);
        else
            *reinterpret_cast<short *>(dst) = *reinterpret_cast<short *>(o);
    } else if (p.out == C8_QOUT_FLOAT) {
        float *dst = (float *)p.y + off;
        if (V == 2) {
            *reinterpret_cast<float2 *>(dst) = make_float2(yv[0], yv[1]);
        } else {
#pragma unroll
            for (int j = 0; j < V; j += 4)
                *reinterpret_cast<float4 *>(dst + j) =
                    make_float4(yv[j], yv[j + 1], yv[j + 2], yv[j + 3]);
        }
    } else {
        __half *dst = (__half *)p.y + off;
#pragma unroll
        for (int j = 0; j < V; j += 2)
            *reinterpret_cast<__half2 *>(dst + j) =
                __halves2half2(__float2half_rn(yv[j]), __float2half_rn(yv[j + 1]));
    }
}

/* Both steps for one group of V channels of row m (kernels with one group per thread). */
template <int V>
static __device__ __forceinline__ void c8i_epi_store(const c8i_conv_params &p, int m, int n,
                                                     const int32_t *acc) {
    static_assert(V == 4 || V == 16, "c8i_epi_store: 4 or 16 channels");
    const size_t off = (size_t)m * (size_t)p.kp + (size_t)n;
    float mv[V];
    int32_t bv[V];
    uint32_t rw[V / 4];
    c8i_load_chan<V>(p, n, mv, bv);
    if (V == 16) {
        uint4 t =
            p.res ? __ldg(reinterpret_cast<const uint4 *>(p.res + off)) : make_uint4(0, 0, 0, 0);
        rw[0] = t.x;
        rw[V / 4 > 1 ? 1 : 0] = t.y;
        rw[V / 4 > 2 ? 2 : 0] = t.z;
        rw[V / 4 > 3 ? 3 : 0] = t.w;
    } else {
        rw[0] = p.res ? __ldg(reinterpret_cast<const unsigned *>(p.res + off)) : 0u;
    }
    c8i_epi_finish<V>(p, off, n, acc, mv, bv, rw);
}

#endif /* __CUDACC__ */
#endif
