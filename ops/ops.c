/* Op registry lookup over the per-family tables (ops_compute.c, ops_tensor.c). */
#include "ops/ops.h"

#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

/* Each family file defines a table terminated by an entry with op == C8_OP_UNKNOWN. */
extern const c8_op_def c8_ops_compute_table[];
extern const c8_op_def c8_ops_tensor_table[];
extern const c8_op_def c8_ops_q8_table[];

const c8_op_def *c8_op_lookup(c8_op op) {
    const c8_op_def *tables[] = {c8_ops_compute_table, c8_ops_tensor_table, c8_ops_q8_table};
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
