/* The geometry of the compute nodes as the op table derives it (from attributes and the shapes of
 * the node's input values in g), for backends that run those nodes with their own kernels (the
 * oneDNN CPU backend, kernels/cpu/dnnl_backend.c): one derivation, the reference run's, so a
 * backend never re-reads pads, strides or auto_pad itself. Internal.
 * Implementations: ops/compute.c (FP32 Conv, ConvTranspose, pooling, Gemm), ops/q8.c (Q8Conv,
 * Q8Gemm), ops/tensor_resize.c (Resize). */
#ifndef C8_OPS_GEOMETRY_H
#define C8_OPS_GEOMETRY_H

#include "calib8/status.h"
#include "kernels/ref/eltwise.h"
#include "kernels/ref/int8.h"
#include "kernels/ref/ref.h"
#include "kernels/ref/resize.h"
#include "ops/ir.h"

/* Conv / FusedConv: the reference kernel's descriptor (every extent known once the graph is
 * specialized; -1 where not yet known). Errors name the node. */
c8_status c8_op_conv_desc(const c8_graph *g, const c8_node *n, c8_conv_desc *d, c8_error *err);
/* ConvTranspose: the reference kernel's descriptor (c8_ref_conv_transpose). */
c8_status c8_op_conv_transpose_desc(const c8_graph *g, const c8_node *n, c8_conv_desc *d,
                                    c8_error *err);
/* MaxPool / AveragePool: the reference kernel's descriptor. */
c8_status c8_op_pool_desc(const c8_graph *g, const c8_node *n, c8_pool_desc *d, c8_error *err);
/* Gemm: the reference kernel's descriptor (c_rows / c_cols of input C when present). */
c8_status c8_op_gemm_desc(const c8_graph *g, const c8_node *n, c8_gemm_desc *d, c8_error *err);
/* Q8Conv and Q8Gemm (ops/q8.c documents their inputs and attributes). */
c8_status c8_op_q8_conv_desc(const c8_graph *g, const c8_node *n, c8_conv2d_desc *d, c8_error *err);
c8_status c8_op_q8_gemm_desc(const c8_graph *g, const c8_node *n, c8_int8_gemm_desc *d,
                             c8_error *err);
/* Resize / Upsample: the reference kernel's descriptor (c8_ref_resize_f32), from the node's
 * constant scales / sizes / roi and its input's shape (ops/tensor_resize.c). */
c8_status c8_op_resize_desc(const c8_graph *g, const c8_node *n, c8_resize_desc *d, c8_error *err);
/* Add / Sub / Mul / Div / Max / Min / Sum / PRelu: the reference kernel's operation
 * (c8_ref_binary); C8_BINARY_ADD for any other op. */
c8_binary_op c8_op_binary_kind(c8_op op);
/* Q8MaxPool / Q8AveragePool. */
c8_status c8_op_q8_pool_desc(const c8_graph *g, const c8_node *n, c8_pool2d_desc *d, c8_error *err);
/* Q8Mul: x viewed as (outer, c, inner) = (d0, d1, d2 * ...), the factor of element (o, k, i) at
 * f[o * f_outer + k * f_c] (0 where broadcast), and the multiplier M (attribute mult). */
typedef struct c8_q8_mul_desc {
    int64_t outer, c, inner, f_outer, f_c;
    float mult;
} c8_q8_mul_desc;
/* Whether factor shape f broadcasts onto x (ONNX's right-aligned broadcasting, x unchanged) in a
 * form Q8Mul takes: a single value, or per channel of axis 1 and optionally per item of axis 0
 * (x of rank >= 2; f's other extents 1). Declared shapes: an unknown extent (< 0) only matches the
 * same unknown extent of x. */
bool c8_op_q8_mul_shapes(const c8_shape *x, const c8_shape *f);
/* The descriptor for operand shapes xs (every extent known) and fs and the node's multiplier;
 * false when they are not of that form. */
bool c8_q8_mul_desc_of(const c8_shape *xs, const c8_shape *fs, float mult, c8_q8_mul_desc *d);
/* The fused epilogue of a Q8Conv / Q8Gemm node without its data pointers (bias, mult, residual
 * are set from the run's inputs): out, res_mult and act from the attributes. */
c8_int8_epilogue c8_op_q8_epilogue(const c8_node *n);

#endif
