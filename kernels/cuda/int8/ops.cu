/* INT8 CUDA kernels besides convolution, all on NHWC32 (kernels/cuda/int8/int8_cuda.h):
 * MaxPool, AveragePool (per-window-count multipliers), GlobalAveragePool, quantize (float32 NCHW
 * -> NHWC32), dequantize (NHWC32 -> float32 NCHW), requantize, Add with rescale, Concat with
 * requantize, NCHW <-> NHWC layout changes, and the random fill used by tests and timing.
 * Semantics: include/calib8/quant.h; references: kernels/ref/int8_pool.c, int8_eltwise.c,
 * quant/layout.c; tests: tests/kernels/cuda/test_cuda_int8_ops.c. */
#include "kernels/cuda/int8/common.cuh"

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(long long threads) { return (unsigned)((threads + kThreads - 1) / kThreads); }

c8_status check_grid(long long threads, const char *what, c8_error *err) {
    if (threads < 0 || (threads + kThreads - 1) / kThreads > 0x7fffffffLL)
        return c8_err(err, C8_ERR_LIMIT, "%s: %lld threads exceed the grid limit", what, threads);
    return C8_OK;
}

int64_t cpad(int64_t c) { return c8_quant_round_up(c, C8_CUDA_INT8_CALIGN); }

/* ---- pooling: one thread per output pixel and 16 channels ---- */
struct pool_params {
    const int8_t *x;
    int8_t *y;
    const float *mults;
    int n, c, cp, h, w, p, q, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, cip;
};

pool_params make_pool(const c8_pool2d_desc *d, const int8_t *x, int8_t *y, const float *mults) {
    pool_params p;
    p.x = x;
    p.y = y;
    p.mults = mults;
    p.n = (int)d->n;
    p.c = (int)d->c;
    p.cp = (int)cpad(d->c);
    p.h = (int)d->h;
    p.w = (int)d->w;
    p.p = (int)d->p;
    p.q = (int)d->q;
    p.kh = (int)d->kh;
    p.kw = (int)d->kw;
    p.sh = (int)d->stride_h;
    p.sw = (int)d->stride_w;
    p.pt = (int)d->pad_t;
    p.pl = (int)d->pad_l;
    p.pb = (int)d->pad_b;
    p.pr = (int)d->pad_r;
    p.dh = (int)d->dil_h;
    p.dw = (int)d->dil_w;
    p.cip = (int)d->count_include_pad;
    return p;
}

__global__ void __launch_bounds__(kThreads) maxpool_kernel(const pool_params p) {
    const int chunks = p.cp / 16;
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)p.n * p.p * p.q * chunks) return;
    const int ch = (int)(idx % chunks);
    const long long pix = idx / chunks;
    const int img = (int)(pix / ((long long)p.p * p.q)), rem = (int)(pix % ((long long)p.p * p.q));
    const int oh = rem / p.q, ow = rem % p.q;
    const int8_t *xb = p.x + (size_t)img * ((size_t)p.h * p.w * p.cp) + ch * 16;
    unsigned mx[4] = {0x81818181u, 0x81818181u, 0x81818181u, 0x81818181u}; /* -127 per byte */
    for (int i = 0; i < p.kh; i++) {
        int ih = oh * p.sh - p.pt + i * p.dh;
        if ((unsigned)ih >= (unsigned)p.h) continue;
        for (int j = 0; j < p.kw; j++) {
            int iw = ow * p.sw - p.pl + j * p.dw;
            if ((unsigned)iw >= (unsigned)p.w) continue;
            uint4 v = __ldg(reinterpret_cast<const uint4 *>(xb + (size_t)(ih * p.w + iw) * p.cp));
            mx[0] = __vmaxs4(mx[0], v.x);
            mx[1] = __vmaxs4(mx[1], v.y);
            mx[2] = __vmaxs4(mx[2], v.z);
            mx[3] = __vmaxs4(mx[3], v.w);
        }
    }
    __align__(16) int8_t o[16];
#pragma unroll
    for (int b = 0; b < 16; b++)
        o[b] = ch * 16 + b < p.c ? (int8_t)(mx[b >> 2] >> (8 * (b & 3))) : (int8_t)0;
    *reinterpret_cast<int4 *>(p.y + (size_t)pix * p.cp + ch * 16) = *reinterpret_cast<int4 *>(o);
}

__global__ void __launch_bounds__(kThreads) avgpool_kernel(const pool_params p) {
    const int chunks = p.cp / 16;
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)p.n * p.p * p.q * chunks) return;
    const int ch = (int)(idx % chunks);
    const long long pix = idx / chunks;
    const int img = (int)(pix / ((long long)p.p * p.q)), rem = (int)(pix % ((long long)p.p * p.q));
    const int oh = rem / p.q, ow = rem % p.q;
    const int8_t *xb = p.x + (size_t)img * ((size_t)p.h * p.w * p.cp) + ch * 16;
    int32_t acc[16];
#pragma unroll
    for (int b = 0; b < 16; b++) acc[b] = 0;
    int count = 0;
    for (int i = 0; i < p.kh; i++) {
        int ih = oh * p.sh - p.pt + i * p.dh;
        bool in_h = (unsigned)ih < (unsigned)p.h;
        bool pad_h = ih >= -p.pt && ih < p.h + p.pb;
        for (int j = 0; j < p.kw; j++) {
            int iw = ow * p.sw - p.pl + j * p.dw;
            bool in_w = (unsigned)iw < (unsigned)p.w;
            bool pad_w = iw >= -p.pl && iw < p.w + p.pr;
            if (p.cip ? (pad_h && pad_w) : (in_h && in_w)) count++;
            if (!(in_h && in_w)) continue;
            int4 v = __ldg(reinterpret_cast<const int4 *>(xb + (size_t)(ih * p.w + iw) * p.cp));
            const int vw[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
            for (int b = 0; b < 16; b++) acc[b] += (int)(int8_t)(vw[b >> 2] >> (8 * (b & 3)));
        }
    }
    const float m = count ? p.mults[count] : 0.0f;
    __align__(16) int8_t o[16];
#pragma unroll
    for (int b = 0; b < 16; b++) {
        int v = 0;
        if (count && ch * 16 + b < p.c) v = c8i_rne_sat127(C8_FMUL(C8_I2F(acc[b]), m));
        o[b] = (int8_t)v;
    }
    *reinterpret_cast<int4 *>(p.y + (size_t)pix * p.cp + ch * 16) = *reinterpret_cast<int4 *>(o);
}

/* x (n, hw, cp) -> y (n, cp); one thread per image and 16 channels (one 16-byte load per pixel,
 * four pixels' loads in flight), summing over hw in int32 (exact in any order). Four channels
 * per 4-byte load ran ResNet-50's pool (2048x7x7, batch 256) at 47% of the copy rate. */
__global__ void __launch_bounds__(kThreads)
    global_avgpool_kernel(int n, int c, int cp, int hw, const int8_t *x, float mult, int8_t *y) {
    const int groups = cp / 16;
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)n * groups) return;
    const int g = (int)(idx % groups), img = (int)(idx / groups);
    const uint4 *xb = reinterpret_cast<const uint4 *>(x + (size_t)img * hw * cp + g * 16);
    const int stride = cp / 16;
    int32_t acc[16];
#pragma unroll
    for (int b = 0; b < 16; b++) acc[b] = 0;
    int i = 0;
    for (; i + 4 <= hw; i += 4) {
        uint4 u[4];
#pragma unroll
        for (int t = 0; t < 4; t++) u[t] = __ldg(xb + (size_t)(i + t) * stride);
#pragma unroll
        for (int t = 0; t < 4; t++) {
            const uint32_t w[4] = {u[t].x, u[t].y, u[t].z, u[t].w};
#pragma unroll
            for (int b = 0; b < 16; b++) acc[b] += c8i_sbyte(w[b / 4], b % 4);
        }
    }
    for (; i < hw; i++) {
        const uint4 u = __ldg(xb + (size_t)i * stride);
        const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int b = 0; b < 16; b++) acc[b] += c8i_sbyte(w[b / 4], b % 4);
    }
    __align__(16) int8_t o[16];
#pragma unroll
    for (int b = 0; b < 16; b++)
        o[b] = (int8_t)(g * 16 + b < c ? c8i_rne_sat127(C8_FMUL(C8_I2F(acc[b]), mult)) : 0);
    *reinterpret_cast<int4 *>(y + (size_t)img * cp + g * 16) = *reinterpret_cast<const int4 *>(o);
}

/* hw from 256 on (the squeeze of a squeeze-excitation block over a 160x160 map: the kernel above
 * had one thread per image and 16 channels, 48 threads for the PP-OCRv4 detector's 8 x 96 channels,
 * each reading 25,600 pixels in turn: 71% of its INT8 forward on an H100, 2026-12-07). One block
 * per image and 16 channels, its threads taking the pixels in turn, the int32 sums (exact in any
 * order) added across the block, then the same requantization. */
__global__ void __launch_bounds__(kThreads)
    global_avgpool_block_kernel(int c, int cp, int hw, const int8_t *x, float mult, int8_t *y) {
    const int groups = cp / 16, g = blockIdx.x % groups, img = blockIdx.x / groups;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const uint4 *xb = reinterpret_cast<const uint4 *>(x + (size_t)img * hw * cp + g * 16);
    int32_t acc[16];
#pragma unroll
    for (int b = 0; b < 16; b++) acc[b] = 0;
    for (int i = threadIdx.x; i < hw; i += kThreads) {
        const uint4 u = __ldg(xb + (size_t)i * groups);
        const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int b = 0; b < 16; b++) acc[b] += c8i_sbyte(w[b / 4], b % 4);
    }
    __shared__ int32_t part[kThreads / 32][16];
#pragma unroll
    for (int b = 0; b < 16; b++) {
        for (int o = 16; o > 0; o >>= 1) acc[b] += __shfl_xor_sync(0xffffffffu, acc[b], o);
        if (lane == 0) part[warp][b] = acc[b];
    }
    __syncthreads();
    if (threadIdx.x < 16) {
        const int b = threadIdx.x;
        int32_t sum = 0;
        for (int w = 0; w < kThreads / 32; w++) sum += part[w][b];
        y[(size_t)img * cp + g * 16 + b] =
            (int8_t)(g * 16 + b < c ? c8i_rne_sat127(C8_FMUL(C8_I2F(sum), mult)) : 0);
    }
}

/* ---- NCHW <-> NHWC transposes through a 32x32 shared tile (block 32 x 8) ----
 * Forward (NCHW (n, c, hw) -> NHWC (n, hw, cp)): op(value, channel) gives the stored value;
 * pad channels get 0. Backward: NHWC -> NCHW, channels < c only. */
struct op_copy {
    template <typename T> __device__ T operator()(T v, int) const { return v; }
};
struct op_quantize { /* float -> int8: rne_sat127(x * inv_s) */
    const float *inv_s;
    int per_channel;
    __device__ int8_t operator()(float v, int ch) const {
        return (int8_t)c8i_rne_sat127(C8_FMUL(v, inv_s[per_channel ? ch : 0]));
    }
};
struct op_dequantize { /* int8 -> float: (float)q * s */
    const float *s;
    int per_channel;
    __device__ float operator()(int8_t q, int ch) const {
        return C8_FMUL(C8_I2F((int)q), s[per_channel ? ch : 0]);
    }
};

template <typename Tin, typename Tout, typename Op>
__global__ void __launch_bounds__(256)
    nchw_to_nhwc_kernel(int c, int cp, int hw, const Tin *src, Tout *dst, Op op) {
    __shared__ Tout tile[32][33];
    const int n = blockIdx.z, c0 = blockIdx.y * 32, hw0 = blockIdx.x * 32;
    const int tx = threadIdx.x, ty = threadIdx.y;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int ch = c0 + ty + i * 8, pos = hw0 + tx;
        Tout v = Tout(0);
        if (ch < c && pos < hw) v = op(src[((size_t)n * c + ch) * hw + pos], ch);
        tile[ty + i * 8][tx] = v;
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int pos = hw0 + ty + i * 8, ch = c0 + tx;
        if (pos < hw && ch < cp) dst[((size_t)n * hw + pos) * cp + ch] = tile[tx][ty + i * 8];
    }
}

template <typename Tin, typename Tout, typename Op>
__global__ void __launch_bounds__(256)
    nhwc_to_nchw_kernel(int c, int cp, int hw, const Tin *src, Tout *dst, Op op) {
    __shared__ Tout tile[32][33];
    const int n = blockIdx.z, c0 = blockIdx.y * 32, hw0 = blockIdx.x * 32;
    const int tx = threadIdx.x, ty = threadIdx.y;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int pos = hw0 + ty + i * 8, ch = c0 + tx;
        Tout v = Tout(0);
        if (pos < hw && ch < c) v = op(src[((size_t)n * hw + pos) * cp + ch], ch);
        tile[tx][ty + i * 8] = v;
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int ch = c0 + ty + i * 8, pos = hw0 + tx;
        if (ch < c && pos < hw) dst[((size_t)n * c + ch) * hw + pos] = tile[ty + i * 8][tx];
    }
}

/* Quantize for C <= 32 (one 32-byte NHWC32 pixel): one thread per pixel reads its C floats
 * (plane by plane: consecutive threads read consecutive floats) and writes its 32 bytes with two
 * 16-byte stores. The transposing kernel wastes 31 of 32 lanes on a network's 3-channel input. */
__global__ void __launch_bounds__(kThreads)
    quantize_c32_kernel(long long pixels, int c, int hw, const float *x, op_quantize op,
                        int8_t *q) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= pixels) return;
    const long long img = idx / hw;
    const int pos = (int)(idx - img * hw);
    const float *src = x + (size_t)img * c * hw + pos;
    __align__(16) int8_t o[32];
#pragma unroll
    for (int ch = 0; ch < 32; ch++) o[ch] = ch < c ? op(__ldg(src + (size_t)ch * hw), ch) : 0;
    int4 *dst = reinterpret_cast<int4 *>(q + (size_t)idx * 32);
    dst[0] = reinterpret_cast<const int4 *>(o)[0];
    dst[1] = reinterpret_cast<const int4 *>(o)[1];
}

c8_status check_transpose(int64_t n, int64_t c, int64_t hw, const char *what, c8_error *err) {
    if (n < 1 || c < 1 || hw < 1 || n > 65535 || cpad(c) / 32 > 65535 ||
        (hw + 31) / 32 > 0x7fffffff || c * hw > 0x7fffffffLL || cpad(c) * hw > 0x7fffffffLL)
        return c8_err(err, C8_ERR_LIMIT, "%s: shape %lld x %lld x %lld out of range", what,
                      (long long)n, (long long)c, (long long)hw);
    return C8_OK;
}

template <typename Tin, typename Tout, typename Op>
c8_status launch_fwd(int64_t n, int64_t c, int64_t hw, const void *src, void *dst, Op op,
                     cudaStream_t stream, c8_error *err) {
    C8_TRY(check_transpose(n, c, hw, "NCHW -> NHWC", err));
    dim3 grid((unsigned)((hw + 31) / 32), (unsigned)(cpad(c) / 32), (unsigned)n);
    nchw_to_nhwc_kernel<Tin, Tout, Op><<<grid, dim3(32, 8), 0, stream>>>(
        (int)c, (int)cpad(c), (int)hw, (const Tin *)src, (Tout *)dst, op);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

template <typename Tin, typename Tout, typename Op>
c8_status launch_bwd(int64_t n, int64_t c, int64_t hw, const void *src, void *dst, Op op,
                     cudaStream_t stream, c8_error *err) {
    C8_TRY(check_transpose(n, c, hw, "NHWC -> NCHW", err));
    dim3 grid((unsigned)((hw + 31) / 32), (unsigned)((c + 31) / 32), (unsigned)n);
    nhwc_to_nchw_kernel<Tin, Tout, Op><<<grid, dim3(32, 8), 0, stream>>>(
        (int)c, (int)cpad(c), (int)hw, (const Tin *)src, (Tout *)dst, op);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ---- elementwise on NHWC32: one thread per 4 channels ---- */
__global__ void __launch_bounds__(kThreads)
    requant_kernel(long long groups, int c, int cp, const int8_t *q, const float *m, int per_ch,
                   int8_t *y) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= groups) return;
    const int ch0 = (int)((idx * 4) % cp);
    int v = __ldg(reinterpret_cast<const int *>(q) + idx);
    __align__(4) int8_t o[4];
#pragma unroll
    for (int b = 0; b < 4; b++) {
        int ch = ch0 + b;
        o[b] = (int8_t)(ch < c ? c8i_rne_sat127(C8_FMUL(C8_I2F((int)(int8_t)(v >> (8 * b))),
                                                        m[per_ch ? ch : 0]))
                               : 0);
    }
    reinterpret_cast<int *>(y)[idx] = *reinterpret_cast<int *>(o);
}

/* 16 channels per thread: 16-byte loads of both operands; the activation switch once per call
 * (the kinds beyond NONE / RELU out of line, as in c8i_epi_finish). */
__global__ void __launch_bounds__(kThreads)
    add_kernel(long long groups, int c, int cp, const int8_t *a, float ma, const int8_t *b,
               float mb, c8_quant_act act, int out, void *y) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= groups) return;
    const int ch0 = (int)((idx * 16) % cp);
    const uint4 va = __ldg(reinterpret_cast<const uint4 *>(a) + idx);
    const uint4 vb = __ldg(reinterpret_cast<const uint4 *>(b) + idx);
    const uint32_t wa[4] = {va.x, va.y, va.z, va.w}, wb[4] = {vb.x, vb.y, vb.z, vb.w};
    const c8_quant_act none = {C8_QACT_NONE, 0.0f, 0.0f, 0.0f};
    float f[16];
#pragma unroll
    for (int e = 0; e < 16; e++)
        f[e] = c8_quant_epilogue_f32(c8i_sbyte(wa[e / 4], e % 4), ma, 1,
                                     c8i_sbyte(wb[e / 4], e % 4), mb, none);
    switch (act.kind) {
    case C8_QACT_NONE: break;
    case C8_QACT_RELU:
#pragma unroll
        for (int e = 0; e < 16; e++) f[e] = f[e] > 0.0f ? f[e] : 0.0f;
        break;
    default:
#pragma unroll
        for (int e = 0; e < 16; e++) f[e] = c8i_act_slow(f[e], act);
        break;
    }
#pragma unroll
    for (int e = 0; e < 16; e++)
        if (ch0 + e >= c) f[e] = 0.0f;
    if (out == C8_QOUT_INT8) {
        __align__(16) int8_t o[16];
#pragma unroll
        for (int e = 0; e < 16; e++) o[e] = (int8_t)(ch0 + e < c ? c8i_rne_sat127(f[e]) : 0);
        reinterpret_cast<int4 *>(y)[idx] = *reinterpret_cast<const int4 *>(o);
    } else if (out == C8_QOUT_FLOAT) {
        float4 *d = reinterpret_cast<float4 *>(y) + idx * 4;
#pragma unroll
        for (int e = 0; e < 16; e += 4) d[e / 4] = make_float4(f[e], f[e + 1], f[e + 2], f[e + 3]);
    } else {
        __half2 *d = reinterpret_cast<__half2 *>(y) + idx * 8;
#pragma unroll
        for (int e = 0; e < 16; e += 2)
            d[e / 2] = __halves2half2(__float2half_rn(f[e]), __float2half_rn(f[e + 1]));
    }
}

/* Requantize with an activation (a Clip or ReLU the builder could not fuse into a producer, e.g.
 * after a Concat or a follow op): y = rne_sat127(act((float)q * m)), c8_quant_epilogue_i8 with
 * no residual, 16 channels per thread from one 16-byte load. */
__global__ void __launch_bounds__(kThreads)
    requant_act_kernel(long long groups, int c, int cp, const int8_t *q, float m, c8_quant_act act,
                       int8_t *y) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= groups) return;
    const int ch0 = (int)((idx * 16) % cp);
    const uint4 v = __ldg(reinterpret_cast<const uint4 *>(q) + idx);
    const uint32_t w[4] = {v.x, v.y, v.z, v.w};
    __align__(16) int8_t o[16];
#pragma unroll
    for (int e = 0; e < 16; e++)
        o[e] = (int8_t)(ch0 + e < c
                            ? c8_quant_epilogue_i8(c8i_sbyte(w[e / 4], e % 4), m, 0, 0, 0.0f, act)
                            : 0);
    reinterpret_cast<int4 *>(y)[idx] = *reinterpret_cast<const int4 *>(o);
}

/* Q8Mul: 16 channels of one pixel per thread; the factor of (item, channel) at
 * f[item * f_item + ch * f_ch] (strides 0 where broadcast), m = f * M, then
 * rne_sat127((float)q * m) (quant.h: c8_quant_mul_factor, c8_quant_requantize); pad 0. */
__global__ void __launch_bounds__(kThreads)
    mul_kernel(long long groups, int c, int cp, long long hw, const int8_t *q, const float *f,
               long long f_item, long long f_ch, float mm, int8_t *y) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= groups) return;
    const long long per_pix = cp / 16, pix = idx / per_pix;
    const int ch0 = (int)((idx - pix * per_pix) * 16);
    const long long item = pix / hw;
    const uint4 v = __ldg(reinterpret_cast<const uint4 *>(q) + idx);
    const uint32_t w[4] = {v.x, v.y, v.z, v.w};
    __align__(16) int8_t o[16];
#pragma unroll
    for (int e = 0; e < 16; e++) {
        const int ch = ch0 + e;
        int8_t r = 0;
        if (ch < c) {
            const float m = c8_quant_mul_factor(__ldg(f + item * f_item + ch * f_ch), mm);
            r = c8_quant_requantize(c8i_sbyte(w[e / 4], e % 4), m);
        }
        o[e] = r;
    }
    reinterpret_cast<int4 *>(y)[idx] = *reinterpret_cast<const int4 *>(o);
}

/* nearest Resize on NHWC32: 16 channels of one output pixel per thread, copied from the input
 * pixel (ymap[oy], xmap[ox]) of the same image (pad channels travel as they are: 0) */
__global__ void __launch_bounds__(kThreads)
    resize_nearest_kernel(long long groups, int per_pix, int h, int w, int oh, int ow,
                          const int32_t *ymap, const int32_t *xmap, const int8_t *x, int8_t *y) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= groups) return;
    const long long pix = idx / per_pix;
    const int part = (int)(idx - pix * per_pix);
    const int ox = (int)(pix % ow);
    const long long rest = pix / ow;
    const int oy = (int)(rest % oh);
    const long long img = rest / oh;
    const long long src = (img * h + __ldg(ymap + oy)) * w + __ldg(xmap + ox);
    reinterpret_cast<int4 *>(y)[idx] =
        __ldg(reinterpret_cast<const int4 *>(x) + src * per_pix + part);
}

/* concat: input (n_pix, cpi) channels [0, ci) -> output (n_pix, cpo) channels [c0, c0 + ci);
 * one thread per pixel and 4 channels (one 4-byte load; one 4-byte store where the output
 * channels are 4-aligned, else byte stores). I is the index type: int where count fits. */
template <typename I>
__global__ void __launch_bounds__(kThreads)
    concat_kernel(I count, int ci, int cpi, int c0, int cpo, const int8_t *x, float m, int8_t *y) {
    const I idx = (I)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= count) return;
    const int groups = (ci + 3) / 4;
    const I pix = idx / groups;
    const int ch = (int)(idx - pix * groups) * 4;
    const uint32_t v = __ldg(reinterpret_cast<const uint32_t *>(x + (size_t)pix * cpi + ch));
    __align__(4) int8_t o[4];
#pragma unroll
    for (int e = 0; e < 4; e++) o[e] = (int8_t)c8i_rne_sat127(C8_FMUL(C8_I2F(c8i_sbyte(v, e)), m));
    int8_t *dst = y + (size_t)pix * cpo + c0 + ch;
    if (((c0 & 3) == 0) && ch + 4 <= ci) {
        *reinterpret_cast<uint32_t *>(dst) = *reinterpret_cast<const uint32_t *>(o);
    } else {
#pragma unroll
        for (int e = 0; e < 4; e++)
            if (ch + e < ci) dst[e] = o[e];
    }
}

/* concat where the input's channels and its place in the output are 16-aligned (the usual
 * case): one thread per pixel and 16 channels, one 16-byte load and store. The 4-byte form ran
 * two 128-channel inputs at 54% of the copy rate. */
template <typename I>
__global__ void __launch_bounds__(kThreads)
    concat16_kernel(I count, int ci, int cpi, int c0, int cpo, const int8_t *x, float m,
                    int8_t *y) {
    const I idx = (I)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= count) return;
    const int groups = ci / 16;
    const I pix = idx / groups;
    const int ch = (int)(idx - pix * groups) * 16;
    const uint4 v = __ldg(reinterpret_cast<const uint4 *>(x + (size_t)pix * cpi + ch));
    const uint32_t w[4] = {v.x, v.y, v.z, v.w};
    __align__(16) int8_t o[16];
#pragma unroll
    for (int e = 0; e < 16; e++)
        o[e] = (int8_t)c8i_rne_sat127(C8_FMUL(C8_I2F(c8i_sbyte(w[e / 4], e % 4)), m));
    *reinterpret_cast<int4 *>(y + (size_t)pix * cpo + c0 + ch) = *reinterpret_cast<const int4 *>(o);
}

__global__ void __launch_bounds__(kThreads)
    zero_channels_kernel(long long count, int c_from, int cpo, int8_t *y) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= count) return;
    const int width = cpo - c_from;
    y[(idx / width) * cpo + c_from + idx % width] = 0;
}

__device__ __forceinline__ uint64_t splitmix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

__global__ void __launch_bounds__(kThreads) fill_i8_kernel(long long n, uint64_t seed, int8_t *p) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= n) return;
    p[idx] = (int8_t)((int)(splitmix(seed ^ ((uint64_t)idx * 0x2545F4914F6CDD1DULL)) % 255) - 127);
}

} // namespace

/* ---------------------------------------------------------------------------------------------
 * C API
 * ------------------------------------------------------------------------------------------- */

c8_status c8_cuda_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y,
                                 cudaStream_t stream, c8_error *err) {
    C8_TRY(c8_pool2d_desc_check("int8 CUDA MaxPool", d, 1, err));
    long long threads = (long long)(d->n * d->p * d->q) * (cpad(d->c) / 16);
    C8_TRY(check_grid(threads, "int8 CUDA MaxPool", err));
    maxpool_kernel<<<blocks_for(threads), kThreads, 0, stream>>>(make_pool(d, x, y, nullptr));
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_avgpool2d(const c8_pool2d_desc *d, const int8_t *x, const float *mults,
                                 int8_t *y, cudaStream_t stream, c8_error *err) {
    C8_TRY(c8_pool2d_desc_check("int8 CUDA AveragePool", d, 0, err));
    long long threads = (long long)(d->n * d->p * d->q) * (cpad(d->c) / 16);
    C8_TRY(check_grid(threads, "int8 CUDA AveragePool", err));
    avgpool_kernel<<<blocks_for(threads), kThreads, 0, stream>>>(make_pool(d, x, y, mults));
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_global_avgpool(int64_t n, int64_t c, int64_t hw, const int8_t *x, float mult,
                                      int8_t *y, cudaStream_t stream, c8_error *err) {
    if (n < 1 || c < 1 || hw < 1 || hw > C8_QUANT_MAX_POOL_COUNT || n * cpad(c) > 0x7fffffffLL)
        return c8_err(err, C8_ERR_INVALID,
                      "int8 CUDA GlobalAveragePool: bad shape %lld x %lld x %lld", (long long)n,
                      (long long)c, (long long)hw);
    long long threads = (long long)n * (cpad(c) / 16);
    C8_TRY(check_grid(threads, "int8 CUDA GlobalAveragePool", err));
    if (hw >= 256) /* a block per image and 16 channels (the small maps: a thread each) */
        global_avgpool_block_kernel<<<(unsigned)threads, kThreads, 0, stream>>>(
            (int)c, (int)cpad(c), (int)hw, x, mult, y);
    else
        global_avgpool_kernel<<<blocks_for(threads), kThreads, 0, stream>>>(
            (int)n, (int)c, (int)cpad(c), (int)hw, x, mult, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_quantize_nchw(int64_t n, int64_t c, int64_t hw, const float *x,
                                     const float *inv_s, int64_t n_scales, int8_t *q,
                                     cudaStream_t stream, c8_error *err) {
    if (n_scales != 1 && n_scales != c)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA quantize: %lld scales for %lld channels",
                      (long long)n_scales, (long long)c);
    op_quantize op{inv_s, n_scales != 1};
    if (c <= 32 && n >= 1 && hw >= 1 && hw <= 0x7fffffffLL) {
        const long long pixels = (long long)n * hw;
        C8_TRY(check_grid(pixels, "int8 CUDA quantize", err));
        quantize_c32_kernel<<<blocks_for(pixels), kThreads, 0, stream>>>(pixels, (int)c, (int)hw, x,
                                                                         op, q);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    return launch_fwd<float, int8_t>(n, c, hw, x, q, op, stream, err);
}

c8_status c8_cuda_int8_dequantize_nchw(int64_t n, int64_t c, int64_t hw, const int8_t *q,
                                       const float *s, int64_t n_scales, float *x,
                                       cudaStream_t stream, c8_error *err) {
    if (n_scales != 1 && n_scales != c)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA dequantize: %lld scales for %lld channels",
                      (long long)n_scales, (long long)c);
    op_dequantize op{s, n_scales != 1};
    return launch_bwd<int8_t, float>(n, c, hw, q, x, op, stream, err);
}

c8_status c8_cuda_int8_requantize(int64_t n_pix, int64_t c, const int8_t *q, const float *m,
                                  int64_t n_scales, int8_t *y, cudaStream_t stream, c8_error *err) {
    if (n_pix < 1 || c < 1 || (n_scales != 1 && n_scales != c))
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA requantize: bad shape or %lld scales",
                      (long long)n_scales);
    long long groups = (long long)n_pix * (cpad(c) / 4);
    C8_TRY(check_grid(groups, "int8 CUDA requantize", err));
    requant_kernel<<<blocks_for(groups), kThreads, 0, stream>>>(groups, (int)c, (int)cpad(c), q, m,
                                                                n_scales != 1, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_requantize_act(int64_t n_pix, int64_t c, const int8_t *q, float m,
                                      c8_quant_act act, int8_t *y, cudaStream_t stream,
                                      c8_error *err) {
    if (n_pix < 1 || c < 1 || act.kind == C8_QACT_SIGMOID)
        return c8_err(err, C8_ERR_INVALID,
                      "int8 CUDA requantize: bad shape or an activation without int8 output");
    long long groups = (long long)n_pix * (cpad(c) / 16);
    C8_TRY(check_grid(groups, "int8 CUDA requantize", err));
    requant_act_kernel<<<blocks_for(groups), kThreads, 0, stream>>>(groups, (int)c, (int)cpad(c), q,
                                                                    m, act, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_mul(int64_t n, int64_t c, int64_t hw, const int8_t *q, const float *f,
                           int64_t f_item, int64_t f_ch, float m, int8_t *y, cudaStream_t stream,
                           c8_error *err) {
    if (n < 1 || c < 1 || hw < 1) return c8_err(err, C8_ERR_INVALID, "int8 CUDA Mul: bad shape");
    long long groups = (long long)n * hw * (cpad(c) / 16);
    C8_TRY(check_grid(groups, "int8 CUDA Mul", err));
    mul_kernel<<<blocks_for(groups), kThreads, 0, stream>>>(groups, (int)c, (int)cpad(c), hw, q, f,
                                                            f_item, f_ch, m, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_resize_nearest(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh,
                                      int64_t ow, const int32_t *ymap, const int32_t *xmap,
                                      const int8_t *x, int8_t *y, cudaStream_t stream,
                                      c8_error *err) {
    if (n < 1 || c < 1 || h < 1 || w < 1 || oh < 1 || ow < 1 || h > 0x7fffffff || w > 0x7fffffff ||
        oh > 0x7fffffff || ow > 0x7fffffff)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA Resize: bad shape");
    const long long groups = (long long)n * oh * ow * (cpad(c) / 16);
    C8_TRY(check_grid(groups, "int8 CUDA Resize", err));
    resize_nearest_kernel<<<blocks_for(groups), kThreads, 0, stream>>>(
        groups, (int)(cpad(c) / 16), (int)h, (int)w, (int)oh, (int)ow, ymap, xmap, x, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_add(int64_t n_pix, int64_t c, const int8_t *a, float ma, const int8_t *b,
                           float mb, c8_quant_act act, int32_t out, void *y, cudaStream_t stream,
                           c8_error *err) {
    if (n_pix < 1 || c < 1 || out < C8_QOUT_INT8 || out > C8_QOUT_FLOAT16 ||
        (out == C8_QOUT_INT8 && act.kind == C8_QACT_SIGMOID))
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA Add: bad shape, output kind or activation");
    long long groups = (long long)n_pix * (cpad(c) / 16);
    C8_TRY(check_grid(groups, "int8 CUDA Add", err));
    add_kernel<<<blocks_for(groups), kThreads, 0, stream>>>(groups, (int)c, (int)cpad(c), a, ma, b,
                                                            mb, act, (int)out, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8_cuda_int8_concat(int64_t n_pix, int n_inputs, const int8_t *const *xs,
                              const int64_t *channels, const float *mults, int8_t *y,
                              cudaStream_t stream, c8_error *err) {
    if (n_pix < 1 || n_inputs < 1)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA Concat: no pixels or no inputs");
    int64_t ctot = 0;
    for (int i = 0; i < n_inputs; i++) {
        if (channels[i] < 1)
            return c8_err(err, C8_ERR_INVALID, "int8 CUDA Concat: input %d has %lld channels", i,
                          (long long)channels[i]);
        ctot += channels[i];
    }
    const int64_t cpo = cpad(ctot);
    if (cpo > 0x7fffffffLL) return c8_err(err, C8_ERR_LIMIT, "int8 CUDA Concat: too many channels");
    int64_t c0 = 0;
    for (int i = 0; i < n_inputs; i++) {
        if (channels[i] % 16 == 0 && c0 % 16 == 0) {
            const long long count = (long long)n_pix * (channels[i] / 16);
            C8_TRY(check_grid(count, "int8 CUDA Concat", err));
            if (count <= 0x7fffffffLL)
                concat16_kernel<int><<<blocks_for(count), kThreads, 0, stream>>>(
                    (int)count, (int)channels[i], (int)cpad(channels[i]), (int)c0, (int)cpo, xs[i],
                    mults[i], y);
            else
                concat16_kernel<long long><<<blocks_for(count), kThreads, 0, stream>>>(
                    count, (int)channels[i], (int)cpad(channels[i]), (int)c0, (int)cpo, xs[i],
                    mults[i], y);
            C8_CUDA_LAUNCH_TRY(err);
            c0 += channels[i];
            continue;
        }
        long long count = (long long)n_pix * ((channels[i] + 3) / 4);
        C8_TRY(check_grid(count, "int8 CUDA Concat", err));
        if (count <= 0x7fffffffLL)
            concat_kernel<int><<<blocks_for(count), kThreads, 0, stream>>>(
                (int)count, (int)channels[i], (int)cpad(channels[i]), (int)c0, (int)cpo, xs[i],
                mults[i], y);
        else
            concat_kernel<long long><<<blocks_for(count), kThreads, 0, stream>>>(
                count, (int)channels[i], (int)cpad(channels[i]), (int)c0, (int)cpo, xs[i], mults[i],
                y);
        C8_CUDA_LAUNCH_TRY(err);
        c0 += channels[i];
    }
    if (cpo > ctot) {
        long long count = (long long)n_pix * (cpo - ctot);
        C8_TRY(check_grid(count, "int8 CUDA Concat", err));
        zero_channels_kernel<<<blocks_for(count), kThreads, 0, stream>>>(count, (int)ctot, (int)cpo,
                                                                         y);
        C8_CUDA_LAUNCH_TRY(err);
    }
    return C8_OK;
}

c8_status c8_cuda_nchw_to_nhwc(int elem_bytes, int64_t n, int64_t c, int64_t hw, const void *src,
                               void *dst, cudaStream_t stream, c8_error *err) {
    switch (elem_bytes) {
    case 1: return launch_fwd<uint8_t, uint8_t>(n, c, hw, src, dst, op_copy{}, stream, err);
    case 2: return launch_fwd<uint16_t, uint16_t>(n, c, hw, src, dst, op_copy{}, stream, err);
    case 4: return launch_fwd<uint32_t, uint32_t>(n, c, hw, src, dst, op_copy{}, stream, err);
    default:
        return c8_err(err, C8_ERR_INVALID, "NCHW -> NHWC: element size %d not 1, 2 or 4",
                      elem_bytes);
    }
}

c8_status c8_cuda_nhwc_to_nchw(int elem_bytes, int64_t n, int64_t c, int64_t hw, const void *src,
                               void *dst, cudaStream_t stream, c8_error *err) {
    switch (elem_bytes) {
    case 1: return launch_bwd<uint8_t, uint8_t>(n, c, hw, src, dst, op_copy{}, stream, err);
    case 2: return launch_bwd<uint16_t, uint16_t>(n, c, hw, src, dst, op_copy{}, stream, err);
    case 4: return launch_bwd<uint32_t, uint32_t>(n, c, hw, src, dst, op_copy{}, stream, err);
    default:
        return c8_err(err, C8_ERR_INVALID, "NHWC -> NCHW: element size %d not 1, 2 or 4",
                      elem_bytes);
    }
}

c8_status c8_cuda_fill_random_i8(void *dev, size_t bytes, uint64_t seed, cudaStream_t stream,
                                 c8_error *err) {
    if (bytes == 0) return C8_OK;
    C8_TRY(check_grid((long long)bytes, "random fill", err));
    fill_i8_kernel<<<blocks_for((long long)bytes), kThreads, 0, stream>>>((long long)bytes, seed,
                                                                          (int8_t *)dev);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}
