/* INT8 depthwise convolution (group == C == K) on NHWC32 with the fused epilogue, and the
 * epilogue over precomputed int32 accumulators (the cuBLASLt path).
 * Depthwise: one thread per output pixel and 16 channels; weights packed (R, S, Cp); every tap
 * reads 16 input bytes and 16 weight bytes. Any R, S, strides, pads and dilations.
 * Reference: kernels/ref/int8_conv.c; tests: tests/kernels/cuda/test_cuda_int8_conv.c. */
#include "kernels/cuda/int8/common.cuh"

namespace {

__device__ __forceinline__ int sbyte(int word, int b) { return (int)(int8_t)(word >> (8 * b)); }

__global__ void __launch_bounds__(256) conv_dw_kernel(const c8i_conv_params p) {
    const int chunks = p.cp / 16;
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)p.m * chunks) return;
    const int ch = (int)(idx % chunks);
    const int m = (int)(idx / chunks);
    const int img = m / (p.p * p.q), rem = m % (p.p * p.q);
    const int ih0 = (rem / p.q) * p.sh - p.pt, iw0 = (rem % p.q) * p.sw - p.pl;
    const int8_t *xb = p.x + (size_t)img * ((size_t)p.h * p.w * p.cp) + ch * 16;
    const int8_t *wb = p.wt + ch * 16;
    int32_t acc[16];
#pragma unroll
    for (int j = 0; j < 16; j++) acc[j] = 0;
    for (int r = 0; r < p.r; r++) {
        int ih = ih0 + r * p.dh;
        if ((unsigned)ih >= (unsigned)p.h) continue;
        for (int s = 0; s < p.s; s++) {
            int iw = iw0 + s * p.dw;
            if ((unsigned)iw >= (unsigned)p.w) continue;
            int4 xv = __ldg(reinterpret_cast<const int4 *>(xb + (size_t)(ih * p.w + iw) * p.cp));
            int4 wv = __ldg(reinterpret_cast<const int4 *>(wb + (size_t)(r * p.s + s) * p.cp));
            const int xw[4] = {xv.x, xv.y, xv.z, xv.w}, ww[4] = {wv.x, wv.y, wv.z, wv.w};
#pragma unroll
            for (int q = 0; q < 4; q++)
#pragma unroll
                for (int b = 0; b < 4; b++) acc[q * 4 + b] += sbyte(xw[q], b) * sbyte(ww[q], b);
        }
    }
    c8i_epi_store<16>(p, m, ch * 16, acc);
}

/* acc (m, kp) int32 row-major -> epilogue; one thread per 4 channels. */
__global__ void __launch_bounds__(256)
    epilogue_from_acc_kernel(const c8i_conv_params p, const int32_t *accs) {
    const int groups = p.kp / 4;
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)p.m * groups) return;
    const int n = (int)(idx % groups) * 4;
    const int m = (int)(idx / groups);
    int4 a = __ldg(reinterpret_cast<const int4 *>(accs + (size_t)m * p.kp + n));
    const int32_t v[4] = {a.x, a.y, a.z, a.w};
    c8i_epi_store<4>(p, m, n, v);
}

unsigned blocks_for(long long threads) { return (unsigned)((threads + 255) / 256); }

} // namespace

c8_status c8i_launch_depthwise(const c8i_conv_params &p, cudaStream_t stream, c8_error *err) {
    long long threads = (long long)p.m * (p.cp / 16);
    if ((threads + 255) / 256 > 0x7fffffffLL)
        return c8_err(err, C8_ERR_LIMIT, "depthwise conv: grid too large");
    conv_dw_kernel<<<blocks_for(threads), 256, 0, stream>>>(p);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

c8_status c8i_launch_epilogue_from_acc(const c8i_conv_params &p, const int32_t *acc,
                                       cudaStream_t stream, c8_error *err) {
    long long threads = (long long)p.m * (p.kp / 4);
    if ((threads + 255) / 256 > 0x7fffffffLL)
        return c8_err(err, C8_ERR_LIMIT, "int8 epilogue: grid too large");
    epilogue_from_acc_kernel<<<blocks_for(threads), 256, 0, stream>>>(p, acc);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}
