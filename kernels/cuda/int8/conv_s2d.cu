/* INT8 convolution of stride 2 on inputs with few channels (C <= 8: a network's first layer on
 * images) as a stride-1 convolution on a space-to-depth copy of the input: algorithms
 * C8_CUDA_INT8_S2D_* ("s2d_<imma tile>"), sm_80+.
 *
 * Why: the implicit-GEMM kernels reduce over (r, s, c) with c padded to 32 (NHWC32), so ResNet-50's
 * conv1 (7x7, stride 2, 3 channels) multiplies 49 x 32 values per output where 49 x 3 matter, and
 * was the slowest INT8 layer of the network (1.53 ms at batch 256 on an H100, 2026-12-07, against
 * 0.66 ms for cuDNN FP16).
 *
 * How (exact: the int32 sums are the same products in another order): with
 *   X[n, i, j, (2a + b) * C + c] = x[n, 2i + a - pad_t, 2j + b - pad_l, c]   (0 outside x)
 *   W'[k, u, v, (2a + b) * C + c] = w[k, 2u + a, 2v + b, c]                  (0 where 2u + a >= R
 *                                                                              or 2v + b >= S)
 * for a, b in {0, 1}, every tap (r, s) = (2u + a, 2v + b) of the stride-2 window at output (p, q)
 * reads x at row 2(p + u) + a - pad_t, so
 *   y[n, p, q, k] = sum over (u, v, c') of W'[k, u, v, c'] * X[n, p + u, q + v, c']
 * a stride-1, unpadded convolution with ceil(R/2) x ceil(S/2) taps on 4C <= 32 channels: one
 * 16-channel (C <= 4) or 32-channel group, 16 taps of 16 channels instead of 49 of 32 for conv1
 * (6.1x fewer tensor-core operations), on an input 8x smaller in memory. X and W' are written
 * into the workspace on each run (W' is 64 x 16 x 16 bytes for conv1), then the general IMMA
 * kernel runs with calib8's epilogue unchanged.
 * (Packing the ceil(S/2) horizontal taps into the channels as well, 4 taps of 64 channels for
 * conv1, halves the reduction again, but with a per-byte gather it ran at 1.43 ms against this
 * form's 0.93 ms at batch 256 on an H100, 2026-12-07: the rearrangement has to be cheap.) */
#include "kernels/cuda/int8/common.cuh"

#include <string.h>

namespace {

constexpr int kThreads = 256;

int64_t align256(int64_t v) { return (v + 255) / 256 * 256; }

/* Bytes per X pixel and per W' tap: 16 when the 4C channels fit (C <= 4: images), else 32. The
 * IMMA kernels take any channel stride that is a multiple of 16 (their cp.async chunks); with 16
 * the reduction is 16 taps x 16 instead of 16 x 32 for conv1, half the tensor-core work and half
 * the rearranged input. */
int s2d_xc(int64_t c) { return 4 * c <= 16 ? 16 : 32; }

/* One thread per X pixel (n, i, j): XC bytes from the first C bytes of four x pixels. */
template <int XC>
__global__ void __launch_bounds__(kThreads)
    s2d_input_kernel(long long pixels, int c, int h, int w, int h2, int w2, int pt, int pl,
                     const int8_t *x, int8_t *xs) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= pixels) return;
    const int j = (int)(idx % w2);
    const long long t = idx / w2;
    const int i = (int)(t % h2);
    const long long n = t / h2;
    __align__(16) int8_t o[XC];
#pragma unroll
    for (int e = 0; e < XC; e++) o[e] = 0;
#pragma unroll
    for (int ab = 0; ab < 4; ab++) {
        const int y0 = 2 * i + (ab >> 1) - pt, x0 = 2 * j + (ab & 1) - pl;
        if (y0 < 0 || y0 >= h || x0 < 0 || x0 >= w) continue;
        /* channels 0..7 of the (32-byte aligned) NHWC32 pixel; those >= c are the pad's zeros */
        const uint2 v = __ldg(reinterpret_cast<const uint2 *>(x + ((n * h + y0) * w + x0) * 32));
        const uint32_t wd[2] = {v.x, v.y};
        for (int e = 0; e < c; e++) o[ab * c + e] = (int8_t)(uint8_t)(wd[e >> 2] >> (8 * (e & 3)));
    }
    uint4 *dst = reinterpret_cast<uint4 *>(xs + idx * XC);
#pragma unroll
    for (int e = 0; e < XC / 16; e++) dst[e] = *reinterpret_cast<const uint4 *>(o + 16 * e);
}

/* One thread per W' row (k, u, v) of XC bytes, from the packed (Kp, R, S, 32) weights. */
template <int XC>
__global__ void __launch_bounds__(kThreads)
    s2d_weight_kernel(int rows, int c, int r, int s, int r2, int s2, const int8_t *wt, int8_t *ws) {
    const int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= rows) return;
    const int v = idx % s2, u = (idx / s2) % r2, k = idx / (s2 * r2);
    __align__(16) int8_t o[XC];
#pragma unroll
    for (int e = 0; e < XC; e++) o[e] = 0;
#pragma unroll
    for (int ab = 0; ab < 4; ab++) {
        const int rr = 2 * u + (ab >> 1), ss = 2 * v + (ab & 1);
        if (rr >= r || ss >= s) continue;
        const int8_t *src = wt + ((size_t)(k * r + rr) * s + ss) * 32;
        for (int e = 0; e < c; e++) o[ab * c + e] = src[e];
    }
    uint4 *dst = reinterpret_cast<uint4 *>(ws + (size_t)idx * XC);
#pragma unroll
    for (int e = 0; e < XC / 16; e++) dst[e] = *reinterpret_cast<const uint4 *>(o + 16 * e);
}

} // namespace

int c8i_s2d_supported(const c8_conv2d_desc *d, const char **why) {
    const char *no = nullptr;
    if (d->group != 1)
        no = "grouped convolution";
    else if (d->c > 8)
        no = "space-to-depth takes C <= 8 (4C channels in one 32-channel group)";
    else if (d->stride_h != 2 || d->stride_w != 2)
        no = "space-to-depth takes stride 2 only";
    else if (d->dil_h != 1 || d->dil_w != 1)
        no = "space-to-depth takes no dilation";
    if (why && no) *why = no;
    return no == nullptr;
}

c8_conv2d_desc c8i_s2d_desc(const c8_conv2d_desc *d) {
    c8_conv2d_desc e = *d;
    e.c = 4 * d->c;
    e.r = (d->r + 1) / 2;
    e.s = (d->s + 1) / 2;
    e.h = d->p + e.r - 1;
    e.w = d->q + e.s - 1;
    e.stride_h = e.stride_w = 1;
    e.pad_t = e.pad_l = e.pad_b = e.pad_r = 0;
    e.dil_h = e.dil_w = 1;
    return e;
}

size_t c8i_s2d_workspace_bytes(const c8_conv2d_desc *d) {
    const c8_conv2d_desc e = c8i_s2d_desc(d);
    const int64_t kp = c8_quant_round_up(d->k, C8_CUDA_INT8_CALIGN), xc = s2d_xc(d->c);
    return (size_t)(align256(e.n * e.h * e.w * xc) + align256(kp * e.r * e.s * xc));
}

c8_status c8i_launch_s2d(int32_t inner, const c8_conv2d_desc *d, const c8i_conv_params &p,
                         void *workspace, size_t ws_bytes, cudaStream_t stream, c8_error *err) {
    const c8_conv2d_desc e = c8i_s2d_desc(d);
    const size_t need = c8i_s2d_workspace_bytes(d);
    if (!workspace || ws_bytes < need)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA conv (space-to-depth): workspace %zu < %zu",
                      ws_bytes, need);
    const int xc = s2d_xc(d->c);
    int8_t *xs = (int8_t *)workspace;
    int8_t *wsd = xs + align256(e.n * e.h * e.w * xc);
    const long long pixels = (long long)e.n * e.h * e.w;
    const unsigned xblocks = (unsigned)((pixels + kThreads - 1) / kThreads);
    if (xc == 16)
        s2d_input_kernel<16>
            <<<xblocks, kThreads, 0, stream>>>(pixels, (int)d->c, (int)d->h, (int)d->w, (int)e.h,
                                               (int)e.w, (int)d->pad_t, (int)d->pad_l, p.x, xs);
    else
        s2d_input_kernel<32>
            <<<xblocks, kThreads, 0, stream>>>(pixels, (int)d->c, (int)d->h, (int)d->w, (int)e.h,
                                               (int)e.w, (int)d->pad_t, (int)d->pad_l, p.x, xs);
    C8_CUDA_LAUNCH_TRY(err);
    const int rows = p.kp * (int)(e.r * e.s);
    const unsigned wblocks = (unsigned)((rows + kThreads - 1) / kThreads);
    if (xc == 16)
        s2d_weight_kernel<16><<<wblocks, kThreads, 0, stream>>>(
            rows, (int)d->c, (int)d->r, (int)d->s, (int)e.r, (int)e.s, p.wt, wsd);
    else
        s2d_weight_kernel<32><<<wblocks, kThreads, 0, stream>>>(
            rows, (int)d->c, (int)d->r, (int)d->s, (int)e.r, (int)e.s, p.wt, wsd);
    C8_CUDA_LAUNCH_TRY(err);
    c8_int8_epilogue ep;
    memset(&ep, 0, sizeof ep);
    ep.out = p.out;
    ep.bias = p.bias;
    ep.mult = p.mult;
    ep.residual = p.res;
    ep.res_mult = p.res_mult;
    ep.act = p.act;
    c8i_conv_params q = c8i_make_params(&e, xs, wsd, &ep, p.y);
    q.smem_optin = p.smem_optin;
    q.cp = xc; /* the channel stride of X and W' (c8i_make_params rounds e.c up to 32) */
    q.ktot = (int)(e.r * e.s) * xc;
    return c8i_launch_imma(inner, q, stream, err);
}
