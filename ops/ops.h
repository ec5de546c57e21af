/* The op registry: for every op calib8 supports, how to validate a node when the model loads,
 * how to infer its output types and shapes, and how to run it with the FP32 reference kernels
 * (kernels/ref/). Internal to libcalib8.
 *
 * Contract for op implementations (ops/<family>.c):
 *  - check(g, n): called once at load, after import. Validates input/output counts beyond the
 *    table's min/max, attribute presence, types and values, and opset-specific forms (g->opset).
 *    Anything calib8 cannot run returns C8_ERR_UNSUPPORTED; anything ONNX forbids returns
 *    C8_ERR_INVALID or C8_ERR_PARSE. Messages come from c8_node_err so they read
 *    "model.onnx: node 'conv3' (Conv): group=3 does not divide 64 input channels".
 *    check must not rely on shapes (they may be unknown).
 *  - infer(g, n): sets dtype and shape of every present output value from the inputs' dtypes and
 *    shapes. Extents may be unknown (negative) and ranks unknown (shape.rank < 0) at load time;
 *    propagate unknowns, never guess. Inputs that are constants (kind == C8_VAL_CONST) may be read
 *    (e.g. Reshape's shape, Resize's scales). If a required constant input is not constant
 *    (e.g. a shape computed from data), set the output rank to -1 at load time; at run time the
 *    executor calls infer again with every extent known and constants folded, and then an
 *    unknown output shape is an error. Shape mismatches return C8_ERR_SHAPE naming the tensors
 *    and their shapes. Shape only: infer never computes data; folding runs `run` separately
 *    (Shape folds as soon as its input's extents are known: its run reads only the shape).
 *  - run(r): computes the outputs from the inputs. Output dtypes/shapes were set by infer and the
 *    output buffers are allocated (never aliased with inputs). Float ops compute in float32 with
 *    the plain C reference kernels; data-movement ops (Reshape, Transpose, Concat, Gather, Slice,
 *    ...) work for every dtype of known size; arithmetic used on shape tensors (Add, Sub, Mul,
 *    Div, Max, Min, Cast, Gather, Concat, Unsqueeze, Squeeze, Slice) also supports int64 (and
 *    int32 where ONNX allows). Unsupported dtype combinations fail with a message.
 *  - Conv, FusedConv and Gemm honour n->fusion: y = act(op(x) + bias [+ residual]).
 */
#ifndef C8_ENGINE_OPS_H
#define C8_ENGINE_OPS_H

#include "calib8/status.h"
#include "calib8/tensor.h"
#include "ops/ir.h"

typedef struct c8_op_run {
    const c8_graph *g;
    const c8_node *n;
    const c8_host_tensor *in;       /* n->n_in entries; an absent optional input has data == NULL */
    c8_host_tensor *out;            /* n->n_out entries; absent outputs have data == NULL */
    const c8_host_tensor *residual; /* the fused residual input (n->fusion.residual), or NULL */
} c8_op_run;

typedef struct c8_op_def {
    c8_op op;
    int min_in, max_in; /* max_in < 0: variadic */
    int min_out, max_out;
    c8_status (*check)(const c8_graph *g, const c8_node *n, c8_error *err);
    c8_status (*infer)(c8_graph *g, c8_node *n, c8_error *err);
    c8_status (*run)(const c8_op_run *r, c8_error *err);
} c8_op_def;

/* The definition of op, or NULL when calib8 has none. */
const c8_op_def *c8_op_lookup(c8_op op);

/* Formats "<model path>: node '<name>' (<op_type>): <message>" into err; returns code. */
c8_status c8_node_err(c8_error *err, const c8_graph *g, const c8_node *n, c8_status code,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#endif
