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

/* ---- capabilities (the INT8, GPU_LAYOUT and GPU columns of ops/ops.def) ---- */

/* What the builder (engine/build/builder.c) can lower an op to in an INT8 engine, and the
 * calibrated scales that needs (besides the constant weights). */
typedef enum c8_op_int8 {
    C8_I8_NONE = 0,           /* no INT8 kernel: the layer falls back to FP32 / FP16 */
    C8_I8_FOLLOW = 1,         /* data movement: keeps its input's precision (int8 in, int8 out) */
    C8_I8_CONV = 2,           /* Q8Conv: input scale, residual's scale, output scale optional */
    C8_I8_GEMM = 3,           /* Q8Gemm: input scale, output scale optional */
    C8_I8_MAXPOOL = 4,        /* Q8MaxPool: input scale (the output shares it) */
    C8_I8_AVGPOOL = 5,        /* Q8AveragePool: input and output scales */
    C8_I8_GLOBAL_AVGPOOL = 6, /* Q8GlobalAveragePool: input and output scales */
    C8_I8_ADD = 7,            /* Q8Add: both inputs' scales, output scale optional */
    C8_I8_CONCAT = 8,         /* Q8Concat: every input's scale and the output's */
    C8_I8_UNARY = 9,          /* Q8Requantize with an activation: input and output scales */
    C8_I8_MUL = 10            /* Q8Mul: an int8 operand times a float factor per channel or a
                                 single value: that operand's and the output's scales */
} c8_op_int8;

/* How the CUDA backend stores an op's outputs (kernels/cuda/backend_cuda.c, plan_value). */
typedef enum c8_op_gpu_layout {
    C8_GL_ONNX = 0,          /* ONNX layout */
    C8_GL_CHANNELS_LAST = 1, /* FP16 layers: NHWC (convolutions and what sits between them) */
    C8_GL_FOLLOW = 2,        /* FP16 layers: the layout of its first activation input */
    C8_GL_NHWC32 = 3         /* the INT8 kernels' NHWC32 (int8, and float / half outputs) */
} c8_op_gpu_layout;

/* The CUDA implementation family that prepares and runs an op (kernels/cuda/). */
typedef enum c8_op_gpu {
    C8_GPU_NONE = 0,    /* none: placed on the host in a CUDA plan */
    C8_GPU_CONV,        /* cuda_conv.c, cuDNN */
    C8_GPU_CONVT,       /* cuda_conv.c, cuDNN (transposed) */
    C8_GPU_GEMM,        /* cuda_gemm.c, cuBLASLt */
    C8_GPU_MATMUL,      /* cuda_gemm.c, cuBLASLt */
    C8_GPU_EW,          /* cuda_ops.c: activations and broadcasting arithmetic */
    C8_GPU_BN,          /* cuda_ops.c */
    C8_GPU_POOL,        /* cuda_ops.c: windowed pools */
    C8_GPU_GPOOL,       /* cuda_ops.c: global pools */
    C8_GPU_SOFTMAX,     /* cuda_ops.c */
    C8_GPU_LRN,         /* cuda_ops.c */
    C8_GPU_COPY,        /* cuda_ops.c: strided device copies (Concat, Transpose, Reshape, ...) */
    C8_GPU_MAP,         /* cuda_ops.c: index maps (Slice, Pad, Gather, Split, nearest Resize) */
    C8_GPU_Q8_QUANTIZE, /* cuda_q8.c: Q8Quantize / Dequantize / Requantize */
    C8_GPU_Q8_CONV,     /* cuda_q8.c: Q8Conv, Q8Gemm */
    C8_GPU_Q8_POOL,     /* cuda_q8.c */
    C8_GPU_Q8_ADD,      /* cuda_q8.c */
    C8_GPU_Q8_CONCAT,   /* cuda_q8.c */
    C8_GPU_F16_CAST,    /* cuda_q8.c */
    C8_GPU_REFORMAT,    /* backend_cuda.c: a storage conversion the placement pass inserted */
    C8_GPU_Q8_MUL,      /* cuda_q8.c: Q8Mul */
    C8_GPU_REDUCE       /* cuda_ops.c: ReduceMean / Sum / SumSquare / Max / Min / L2 */
} c8_op_gpu;

typedef struct c8_op_info {
    const char *name; /* ONNX op_type or the builder's name */
    c8_op_int8 int8;
    c8_op_gpu_layout gpu_layout;
    c8_op_gpu gpu;
} c8_op_info;

/* The capabilities of op from ops/ops.def; never NULL (an unknown op: "Unknown", no INT8, no
 * GPU implementation). */
const c8_op_info *c8_op_info_of(c8_op op);

/* Whether op is an ONNX op (one an ONNX file may name), not a graph pass's or the builder's. */
bool c8_op_is_onnx(c8_op op);

/* The axes a Reduce* node n reduces (reduce[k] for axis k of its input) and whether it is the
 * identity (empty axes with noop_with_empty_axes = 1), from its attribute or constant axes input
 * (ops/math.c). C8_ERR_UNSUPPORTED when the axes or the input's rank are known only at run
 * time. */
c8_status c8_reduce_axes(const c8_graph *g, const c8_node *n, bool reduce[C8_MAX_RANK], bool *noop,
                         c8_error *err);

/* Formats "<model path>: node '<name>' (<op_type>): <message>" into err; returns code. */
c8_status c8_node_err(c8_error *err, const c8_graph *g, const c8_node *n, c8_status code,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#endif
