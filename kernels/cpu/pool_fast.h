/* FP32 MaxPool for the fast CPU backend (kernels/cpu/dnnl_backend.c): the reference's semantics
 * (kernels/ref/ref.h, c8_ref_maxpool: taps inside the input, a NaN tap gives NaN, a window with
 * no tap inside gives -inf, the first of equal maxima kept, so +0 / -0 follow the reference)
 * with each window's tap range clipped once instead of tested per tap. Output bits equal the
 * reference's for every input (a maximum involves no rounding). Not oneDNN's pooling: its max
 * drops NaN taps where the reference and ONNX propagate them. Tests: tests/kernels/cpu/test_dnnl.c
 * ("maxpool"). */
#ifndef C8_KERNELS_CPU_POOL_FAST_H
#define C8_KERNELS_CPU_POOL_FAST_H

#include "kernels/ref/int8.h"
#include "kernels/ref/ref.h"

/* MaxPool over x (N, C, in...) into y (N, C, out...), 1-3 spatial axes (d: as c8_ref_maxpool). */
void c8_cpu_maxpool(const c8_pool_desc *d, const float *x, float *y);

/* The same MaxPool (2 spatial axes) on channels-last tensors: x (N, H, W, C) into y (N, P, Q, C),
 * each element as c8_ref_maxpool computes it on the NCHW tensors (the taps in its order, the
 * first of equal maxima kept, any NaN tap NaN, no tap inside -inf), 8 channels per AVX2 step
 * (the dnnl backend's channels-last sharing: kernels/cpu/dnnl_conv.c). */
void c8_cpu_maxpool_nhwc(const c8_pool_desc *d, const float *x, float *y);

/* Q8MaxPool (d: as c8_ref_int8_maxpool2d, already checked): the maximum of the taps inside the
 * input, starting from -127, so a window with no tap inside gives -127; bit for bit the
 * reference's (integer maxima). Returns false when out of memory (an input row wider than 4096
 * needs a buffer). */
bool c8_cpu_int8_maxpool2d(const c8_pool2d_desc *d, const int8_t *x, int8_t *y);

/* Q8GlobalAveragePool: c8_ref_int8_global_avgpool's result (the exact int32 sum of each of the
 * n * c planes of hw values, requantized by mult, the average-pool multiplier for hw taps), the
 * sums 32 bytes per AVX2 step (the PP-OCRv4 detector's squeeze-excitation blocks: 2.4% of its
 * INT8 forward on the reference's loop); mult from c8_quant_avgpool_mult. */
void c8_cpu_int8_global_avgpool(int64_t n, int64_t c, int64_t hw, const int8_t *x, float mult,
                                int8_t *y);

#endif
