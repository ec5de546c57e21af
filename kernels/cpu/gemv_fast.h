/* Float32 products with few rows (a fully connected layer at batch 1 to 4) for the fast CPU
 * backend (kernels/cpu/dnnl_backend.c). oneDNN's sgemm orders its sums by the thread partition, so
 * the backend ran every FP32 Gemm on one thread (docs/cli.md, "Threads"); for a handful of rows
 * that is one thread streaming the whole weight matrix (fmnist_cnn's 3136 x 128: 30% of its
 * two-thread batch-1 forward). Here each output is one thread's dot product in a fixed order
 * (32 lanes over K with fused multiply-adds, then a fixed tree; gemv_fast.c), the same for
 * every row whatever M, and the threads take whole
 * output columns, so the bits do not depend on the thread count; against the reference's sums
 * they are within the backend's float32 tolerance (C8_DNNL_FP32_RTOL), as oneDNN's are.
 * Tests: tests/kernels/cpu/test_dnnl.c ("fp32_gemm"). */
#ifndef C8_KERNELS_CPU_GEMV_FAST_H
#define C8_KERNELS_CPU_GEMV_FAST_H

#include <stdint.h>

/* The most rows c8_cpu_gemv_nk takes. */
#define C8_CPU_GEMV_MAX_M 4

/* y (M, N) = x (M, K) . w^T + bias [+ res], w (N, K) row-major, bias (N) or NULL, res (M, N)
 * or NULL, M <= C8_CPU_GEMV_MAX_M: ((dot + bias) + res) per element, the reference's order of
 * the additions after the dot product. On the OpenMP threads in force. */
void c8_cpu_gemv_nk(int64_t M, int64_t N, int64_t K, const float *x, const float *w,
                    const float *bias, const float *res, float *y);

/* The exact int32 sums of an INT8 product of at most C8_CPU_GEMV_MAX_M rows (a Q8Gemm at batch 1
 * to 4): acc (M, N) = x (M, K) . w^T, w (N, K) row-major, both int8, sums in int32 (exact: the
 * builders keep K within C8_QUANT_MAX_K), on the OpenMP threads in force by whole output
 * columns. Integers: the same sums as any other order. */
void c8_cpu_gemv_i8(int64_t M, int64_t N, int64_t K, const int8_t *x, const int8_t *w,
                    int32_t *acc);

#endif
