/* Plain C reference kernel for Einsum (ops/einsum.c), in its general form: every label of the
 * equation (letters, and the broadcast axes an ellipsis stands for) is a loop, the output's labels
 * outermost, the contracted ones inside; each output element is the float64 sum over the
 * contracted labels of the product of the operands' elements (float32 results rounded once). A
 * label repeated within one operand (a diagonal) reads that operand with the sum of its strides.
 * Internal to libcalib8. Tests: tests/ops/test_ops_einsum.c and the ONNX conformance cases. */
#ifndef C8_KERNELS_REF_EINSUM_H
#define C8_KERNELS_REF_EINSUM_H

#include "calib8/tensor.h"

#include <stdbool.h>
#include <stdint.h>

#define C8_EINSUM_MAX_IN 8
#define C8_EINSUM_MAX_LABELS 64 /* 52 letters and up to 12 ellipsis axes */

typedef struct c8_einsum_plan {
    int n_in;
    int n_labels; /* loops; labels 0 .. n_out-1 are the output's axes, in order */
    int n_out;
    int64_t extent[C8_EINSUM_MAX_LABELS];
    /* element stride of each label in each operand (0: the operand lacks it or broadcasts it) */
    int64_t stride[C8_EINSUM_MAX_IN][C8_EINSUM_MAX_LABELS];
} c8_einsum_plan;

/* y (the output labels' extents, C order) from the n_in operands x[k], all of dtype dt:
 * float32 (the float64 sum rounded once) or float64. */
void c8_ref_einsum(const c8_einsum_plan *p, c8_dtype dt, const void *const *x, void *y);

#endif
