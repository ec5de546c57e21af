/* The op table: capabilities and names from ops/ops.def, definitions (check, infer, run) from
 * the per-family tables (ops/compute.c, ops/tensor*.c, ops/q8.c). */
#include "ops/ops.h"

#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Indexed by op value; holes (values never assigned) stay zero: no name. */
static const c8_op_info k_info[C8_OP_COUNT_] = {
#define C8_OP(id, value, nm, i8, gl, g)                                                            \
    [value] = {.name = nm, .int8 = C8_I8_##i8, .gpu_layout = C8_GL_##gl, .gpu = C8_GPU_##g},
#include "ops/ops.def"
#undef C8_OP
};

static const c8_op_info k_unknown = {"Unknown", C8_I8_NONE, C8_GL_ONNX, C8_GPU_NONE};

const c8_op_info *c8_op_info_of(c8_op op) {
    if ((int)op <= 0 || (int)op >= C8_OP_COUNT_ || !k_info[op].name) return &k_unknown;
    return &k_info[op];
}

const char *c8_op_name(c8_op op) { return c8_op_info_of(op)->name; }

bool c8_op_is_onnx(c8_op op) {
    /* ops.def's two ONNX blocks: below the graph passes' and builder's ops, and from ReduceMean */
    return (op > 0 && op < C8_OP_FUSED_CONV) || (op >= C8_OP_REDUCE_MEAN && op < C8_OP_COUNT_);
}

c8_op c8_op_from_onnx(const char *op_type) {
    for (int op = 1; op < C8_OP_COUNT_; op++)
        if (c8_op_is_onnx((c8_op)op) && k_info[op].name && strcmp(k_info[op].name, op_type) == 0)
            return (c8_op)op;
    return C8_OP_UNKNOWN;
}

/* Each family file defines a table terminated by an entry with op == C8_OP_UNKNOWN. */
extern const c8_op_def c8_ops_compute_table[];
extern const c8_op_def c8_ops_tensor_table[];
extern const c8_op_def c8_ops_q8_table[];
extern const c8_op_def c8_ops_math_table[];
extern const c8_op_def c8_ops_logic_table[];
extern const c8_op_def c8_ops_index_table[];
extern const c8_op_def c8_ops_einsum_table[];

const c8_op_def *c8_op_lookup(c8_op op) {
    const c8_op_def *tables[] = {c8_ops_compute_table, c8_ops_tensor_table, c8_ops_q8_table,
                                 c8_ops_math_table,    c8_ops_logic_table,  c8_ops_index_table,
                                 c8_ops_einsum_table};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const c8_op_def *d = tables[t]; d->op != C8_OP_UNKNOWN; d++)
            if (d->op == op) return d;
    return NULL;
}

c8_status c8_node_err(c8_error *err, const c8_graph *g, const c8_node *n, c8_status code,
                      const char *fmt, ...) {
    if (!err) return code;
    char msg[C8_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return c8_err(err, code, "%s: node '%s' (%s): %.700s", g->path, n->name, n->op_type, msg);
}
