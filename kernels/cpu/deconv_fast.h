/* ConvTranspose whose kernel equals its stride (2-D, no padding, no dilation, no output padding:
 * every output pixel has exactly one tap per input channel), the upsampling of segmentation
 * heads such as the PP-OCRv4 detector's, for the fast CPU backend (kernels/cpu/dnnl_conv.c).
 * Each output is c8_ref_conv_transpose's: the products of the input channels summed in
 * ascending order in float32 (multiply, then add: no fused multiply-add), then the bias added,
 * so the bits equal the reference's for any thread count. oneDNN 2.6's deconvolution pads the
 * output channels to its 16-wide block: the detector's last one (24 -> 1 channel at 640x640)
 * took 41 ms of a 137 ms forward. Tests: tests/kernels/cpu/test_dnnl.c ("fp32_convtranspose"). */
#ifndef C8_KERNELS_CPU_DECONV_FAST_H
#define C8_KERNELS_CPU_DECONV_FAST_H

#include "kernels/ref/ref.h"

#include <stdbool.h>

/* Whether d (a ConvTranspose descriptor, c8_op_conv_transpose_desc) has that form. */
bool c8_cpu_deconv_ks_fits(const c8_conv_desc *d);

/* y = ConvTranspose(x, w, bias) for such a d: x (N, C, H, W), w (C, K / group, s0, s1),
 * bias (K) or NULL, y (N, K, H * s0, W * s1). */
void c8_cpu_deconv_ks(const c8_conv_desc *d, const float *x, const float *w, const float *bias,
                      float *y);

#endif
