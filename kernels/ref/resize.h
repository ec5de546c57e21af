/* Plain C reference kernel for Resize / Upsample on float32: nearest and N-linear (linear,
 * bilinear, trilinear: every axis is interpolated, axes with scale 1 map onto themselves).
 * Internal to libcalib8; the ops are in ops/tensor_resize.c. Semantics follow the ONNX
 * Resize spec and its reference (onnx/backend/test/case/node/resize.py: interpolate_nd):
 * coordinates and weights in float64, neighbours outside the input clamped to the edge.
 * Tests: tests/ops/test_ops_resize.c (data from that reference in tests/ops/data/). */
#ifndef C8_KERNELS_REF_RESIZE_H
#define C8_KERNELS_REF_RESIZE_H

#include "calib8/tensor.h"

#include <stdint.h>

/* Values are ours. */
typedef enum c8_resize_mode { C8_RESIZE_NEAREST = 0, C8_RESIZE_LINEAR = 1 } c8_resize_mode;

/* Output coordinate x -> input coordinate, per axis (in = input extent, out = output extent,
 * s = scale, L = s * in: the "resized length", fractional when s came from scales). */
typedef enum c8_resize_coord {
    C8_COORD_HALF_PIXEL = 0,           /* (x + 0.5) / s - 0.5 */
    C8_COORD_PYTORCH_HALF_PIXEL = 1,   /* L > 1 ? (x + 0.5) / s - 0.5 : 0 (ONNX: -0.5, clamped) */
    C8_COORD_ALIGN_CORNERS = 2,        /* L == 1 ? 0 : x * (in - 1) / (L - 1) */
    C8_COORD_ASYMMETRIC = 3,           /* x / s */
    C8_COORD_TF_HALF_PIXEL_FOR_NN = 4, /* (x + 0.5) / s */
    C8_COORD_TF_CROP_AND_RESIZE = 5,   /* roi: see below; outside [0, in-1] -> extrapolation */
    C8_COORD_HALF_PIXEL_SYMMETRIC = 6  /* opset 19: centred half_pixel, see resize.c */
} c8_resize_coord;

/* How nearest rounds the input coordinate. */
typedef enum c8_resize_nearest {
    C8_NEAREST_ROUND_PREFER_FLOOR = 0, /* ONNX default */
    C8_NEAREST_ROUND_PREFER_CEIL = 1,
    C8_NEAREST_FLOOR = 2,
    C8_NEAREST_CEIL = 3,
    C8_NEAREST_SIMPLE = 4 /* Resize-10 / Upsample (as ONNX Runtime): ceil if s < 1, else floor */
} c8_resize_nearest;

typedef struct c8_resize_desc {
    int rank;
    int64_t in[C8_MAX_RANK];   /* input extents (all >= 1 where out > 0) */
    int64_t out[C8_MAX_RANK];  /* output extents */
    double scale[C8_MAX_RANK]; /* per axis: the scale given, or out / in when sizes were given */
    double roi_start[C8_MAX_RANK], roi_end[C8_MAX_RANK]; /* TF_CROP_AND_RESIZE only, normalised */
    c8_resize_mode mode;
    c8_resize_coord coord;
    c8_resize_nearest nearest;
    float extrapolation_value; /* TF_CROP_AND_RESIZE: value for coordinates outside the input */
} c8_resize_desc;

/* x (in, float32, C order) -> y (out, float32). */
void c8_ref_resize_f32(const c8_resize_desc *d, const float *x, float *y);

/* Nearest mode on int8 data (an INT8 tensor resized keeps its scale): y gets the element
 * c8_ref_resize_f32 would copy for each output (d->mode nearest, no TF_CROP_AND_RESIZE, which
 * could extrapolate a float). */
void c8_ref_resize_nearest_i8(const c8_resize_desc *d, const int8_t *x, int8_t *y);
/* The input index nearest mode reads for output index o on axis k (what both resizes copy from;
 * d->mode nearest, no TF_CROP_AND_RESIZE): for kernels that copy whole rows or pixels. */
int64_t c8_resize_nearest_src(const c8_resize_desc *d, int k, int64_t o);

/* The input coordinate of output index xo on axis k (exposed for tests). Sets *outside when
 * TF_CROP_AND_RESIZE maps it outside [0, in-1]. */
double c8_resize_coord_of(const c8_resize_desc *d, int k, int64_t xo, int *outside);

#endif
