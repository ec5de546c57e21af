/* Register-only peak loops for the INT8 benchmark (bench/cuda/bench_int8_conv.c): dp4a (IDP4A,
 * 8 int8 ops per instruction) and mma.sync m16n8k32 s8 -> s32 (8192 ops per instruction), so the
 * per-layer TOPS are read against ceilings measured on the same GPU in the same run. Each thread
 * keeps independent accumulator chains; inputs come from memory so nothing folds. */
#include "kernels/cuda/cuda_check.h"

#include <cuda_runtime.h>
#include <stdint.h>

#define PEAK_ITERS 4096
#define PEAK_CHAINS 8

namespace {

__global__ void __launch_bounds__(256) dp4a_peak_kernel(const int *in, int *out) {
    int a = in[threadIdx.x & 31], b = in[32 + (threadIdx.x & 31)];
    int acc[PEAK_CHAINS];
#pragma unroll
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = in[64 + i];
    for (int it = 0; it < PEAK_ITERS; it++) {
#pragma unroll
        for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = __dp4a(a, b, acc[i]);
        a ^= acc[0] & 1; /* keeps the operand live without breaking the chains' independence */
    }
    int s = 0;
#pragma unroll
    for (int i = 0; i < PEAK_CHAINS; i++) s += acc[i];
    if (s == 0x7fffffff) out[0] = s;
}

__global__ void __launch_bounds__(128) imma_peak_kernel(const unsigned *in, int *out) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    const int t = threadIdx.x & 31;
    unsigned a0 = in[t], a1 = in[t + 32], a2 = in[t + 64], a3 = in[t + 96], b0 = in[t + 128],
             b1 = in[t + 160];
    int c[PEAK_CHAINS][4];
#pragma unroll
    for (int i = 0; i < PEAK_CHAINS; i++)
#pragma unroll
        for (int e = 0; e < 4; e++) c[i][e] = 0;
    for (int it = 0; it < PEAK_ITERS / 4; it++) {
#pragma unroll
        for (int i = 0; i < PEAK_CHAINS; i++)
            asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, "
                         "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                         : "+r"(c[i][0]), "+r"(c[i][1]), "+r"(c[i][2]), "+r"(c[i][3])
                         : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    }
    int s = 0;
#pragma unroll
    for (int i = 0; i < PEAK_CHAINS; i++) s += c[i][0] + c[i][1] + c[i][2] + c[i][3];
    if (s == 0x7fffffff) out[0] = s;
#endif
}

} // namespace

/* Measured TOPS of the two loops on the current device: dp4a with 8 blocks of 256 threads per SM;
 * mma.sync with 2, 4 and 8 blocks of 4 warps per SM (8, 16 and 32 warps per SM, each warp with 8
 * independent accumulator tiles) into imma_tops[0..2]: how many warps the tensor cores need. */
extern "C" c8_status c8_bench_peaks(int sm_count, cudaStream_t stream, double *dp4a_tops,
                                    double *imma_tops, c8_error *err) {
    int *buf = nullptr;
    C8_CUDA_TRY(err, cudaMalloc(&buf, 4096));
    C8_CUDA_TRY(err, cudaMemsetAsync(buf, 1, 4096, stream));
    cudaEvent_t e0, e1;
    C8_CUDA_TRY(err, cudaEventCreate(&e0));
    C8_CUDA_TRY(err, cudaEventCreate(&e1));
    float ms = 0.0f;
    int blocks = sm_count * 8;
    for (int rep = 0; rep < 2; rep++) { /* first round warms up */
        C8_CUDA_TRY(err, cudaEventRecord(e0, stream));
        dp4a_peak_kernel<<<blocks, 256, 0, stream>>>(buf, buf + 512);
        C8_CUDA_LAUNCH_TRY(err);
        C8_CUDA_TRY(err, cudaEventRecord(e1, stream));
        C8_CUDA_TRY(err, cudaEventSynchronize(e1));
        C8_CUDA_TRY(err, cudaEventElapsedTime(&ms, e0, e1));
    }
    *dp4a_tops = (double)blocks * 256 * PEAK_ITERS * PEAK_CHAINS * 8.0 / (ms * 1e-3) / 1e12;
    for (int v = 0; v < 3; v++) {
        blocks = sm_count * (2 << v);
        for (int rep = 0; rep < 2; rep++) {
            C8_CUDA_TRY(err, cudaEventRecord(e0, stream));
            imma_peak_kernel<<<blocks, 128, 0, stream>>>((const unsigned *)buf, buf + 512);
            C8_CUDA_LAUNCH_TRY(err);
            C8_CUDA_TRY(err, cudaEventRecord(e1, stream));
            C8_CUDA_TRY(err, cudaEventSynchronize(e1));
            C8_CUDA_TRY(err, cudaEventElapsedTime(&ms, e0, e1));
        }
        imma_tops[v] =
            (double)blocks * 4 * (PEAK_ITERS / 4) * PEAK_CHAINS * 8192.0 / (ms * 1e-3) / 1e12;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    C8_CUDA_TRY(err, cudaFree(buf));
    return C8_OK;
}
