/* Float32 layout changes for the fast CPU backend: a batch of row-major (rows, cols) matrices
 * transposed into (cols, rows), which is NCHW (N, C, HW) -> NHWC (N, HW, C) with rows = C and the
 * reverse with rows = HW. The oneDNN convolutions choose channels-last activations on this
 * machine's kernels (brgconv, jit) and the plan's values are NCHW, so every FP32 convolution
 * converts its input and its output on each run; oneDNN's own reorder did that at 5-6 GB/s
 * (ONEDNN_VERBOSE, fmnist_cnn batch 64, 2026-12-07), these 8 x 8 AVX2 tiles several times
 * faster. Pure data movement: bits unchanged. Tests: tests/kernels/cpu/test_dnnl.c ("layout"). */
#ifndef C8_KERNELS_CPU_LAYOUT_F32_H
#define C8_KERNELS_CPU_LAYOUT_F32_H

#include <stdint.h>

/* y[b][j][i] = x[b][i][j] for b < batch, i < rows, j < cols (x and y do not overlap). Runs on
 * the OpenMP threads in force when the batch is large enough to gain from them. */
void c8_cpu_transpose_f32(int64_t batch, int64_t rows, int64_t cols, const float *x, float *y);

/* The same for 1-byte elements (int8 / uint8 activations of the INT8 convolutions), in 16 x 16
 * SSE2 tiles: oneDNN's reorder moved them at ~3.6 GB/s, a fifth of fmnist_resnet's INT8 forward
 * at batch 64 on one thread (2026-12-07). */
void c8_cpu_transpose_8(int64_t batch, int64_t rows, int64_t cols, const uint8_t *x, uint8_t *y);

#endif
