/* Float32 element-wise ops for the fast CPU backend (kernels/cpu/dnnl_backend.c): Add, Sub, Mul,
 * Div and Clip with the reference's arithmetic (kernels/ref/eltwise.h: one IEEE operation per
 * element, a OP b in that order; Clip lets NaN through and keeps -0 against a bound of +0), in
 * AVX2 steps of 8 with chunks of the tensor on the context's OpenMP threads. Each element is
 * computed alone, so the output bits equal the reference's for any thread count. The PP-OCRv4
 * detector's HardSwish (Add, Clip, Mul, Div over 640x640 feature maps) and its squeeze-excitation
 * scaling made these ops a fifth of its FP32 forward on the reference loops.
 * Tests: tests/kernels/cpu/test_dnnl.c ("eltwise"). */
#ifndef C8_KERNELS_CPU_ELTWISE_FAST_H
#define C8_KERNELS_CPU_ELTWISE_FAST_H

#include "kernels/ref/eltwise.h"

#include <stdbool.h>

/* y = a OP b for op ADD, SUB, MUL or DIV when the operands have one of the shapes of a CNN:
 * both y's shape; one of them a single element (any rank); or one of them (N', C, 1, 1) with N'
 * 1 or N (rank 4, or rank 3 (C, 1, 1)) against y (N, C, H, W) with the other y's shape.
 * Returns false, computing nothing, for any other op or shapes (the reference then runs). */
bool c8_cpu_binary_f32(c8_binary_op op, const c8_shape *sa, const float *a, const c8_shape *sb,
                       const float *b, const c8_shape *sy, float *y);

/* Whether c8_cpu_binary_f32 takes these shapes. */
bool c8_cpu_binary_f32_fits(c8_binary_op op, const c8_shape *sa, const c8_shape *sb,
                            const c8_shape *sy);

/* y = clip(x) over n elements: v < *lo -> *lo, v > *hi -> *hi (lo / hi NULL: no bound). */
void c8_cpu_clip_f32(const float *x, float *y, int64_t n, const float *lo, const float *hi);

/* y = Sigmoid(x) over n elements, the reference's element (kernels/ref/act.c: 1 / (1 + e) for
 * x >= 0, e / (1 + e) otherwise, e = expf(-|x|)) without its branch: the same bits (y == x
 * allowed). The detector's probability map: 4% of its forward on the reference's loop. */
void c8_cpu_sigmoid_f32(const float *x, float *y, int64_t n);

#endif
