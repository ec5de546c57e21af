/* Nearest-neighbour upsampling by whole factors for the fast CPU backend (kernels/cpu/dnnl_conv.c):
 * the Resize of feature-pyramid necks (the PP-OCRv4 detector's six: nearest, asymmetric, floor,
 * x2 / x4 / x8). With an integer factor f and those modes, output index o reads input o / f
 * (integer division): the reference's float64 floor(o / f) exactly, so every output is a copy of
 * the reference's. The reference computes each output's coordinates per element; this writes whole
 * rows (4-6% of the detector's forward before). Tests: tests/kernels/cpu/test_dnnl.c
 * ("fp32_resize", "int8_resize", bit for bit against the reference). */
#ifndef C8_KERNELS_CPU_RESIZE_FAST_H
#define C8_KERNELS_CPU_RESIZE_FAST_H

#include "kernels/ref/resize.h"

#include <stdbool.h>

/* Whether d has that form: rank 4, nearest, asymmetric with floor rounding (or Resize-10's
 * simple rounding, floor when upsampling), axes 0 and 1 unscaled, axes 2 and 3 scaled by whole
 * factors (out = in * f, scale exactly f). */
bool c8_cpu_resize_fits(const c8_resize_desc *d);

/* y = Resize(x) for such a d (float32, C order). */
void c8_cpu_resize_nearest(const c8_resize_desc *d, const float *x, float *y);
/* The same on int8 data (an INT8 tensor kept int8 through the Resize; the same copies as
 * kernels/ref/resize.h's c8_ref_resize_nearest_i8). */
void c8_cpu_resize_nearest_i8(const c8_resize_desc *d, const int8_t *x, int8_t *y);

#endif
