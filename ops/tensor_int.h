/* Shared helpers and entry points of the tensor / elementwise op family (ops/tensor.c,
 * ops_tensor_shape.c, ops_tensor_resize.c). Internal to those files; the registry contract is
 * in ops/ops.h.
 *
 * Ops whose output shape depends on the values of other inputs (Reshape's shape, Slice's starts,
 * Pad's pads, Resize's scales, ...) compute it in one "plan" function that reads those inputs
 * through c8_ot_view. infer builds the views from the graph (data only for constants) and run
 * builds them from the run-time tensors (data always), so load-time inference and run-time
 * execution cannot disagree; run also checks the planned shape against the allocated output. */
#ifndef C8_ENGINE_OPS_TENSOR_INT_H
#define C8_ENGINE_OPS_TENSOR_INT_H

#include "ops/ops.h"

#include <stdbool.h>
#include <stdint.h>

/* One input of a node as the plan functions see it. */
typedef struct c8_ot_view {
    bool present;  /* the (optional) input is given */
    bool has_data; /* data is readable: a constant at load time, always at run time */
    c8_dtype dtype;
    c8_shape shape;   /* shape.rank < 0: unknown */
    const void *data; /* C order; may be NULL for 0 elements */
    const char *name; /* the tensor's name, for messages */
} c8_ot_view;

/* Views of inputs 0..n-1 (n <= node's n_in is not required: missing ones are absent). */
void c8_ot_views_graph(const c8_graph *g, const c8_node *n, c8_ot_view *v, int count);
void c8_ot_views_run(const c8_op_run *r, c8_ot_view *v, int count);

/* Reads a 1-D (or scalar) int64/int32 tensor with data into out[0..*count); at most max values.
 * what names the input in messages ("shape", "pads", ...). Errors: C8_ERR_INVALID for another
 * dtype, a rank above 1 or more than max values. */
c8_status c8_ot_read_ints(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                          const char *what, int64_t *out, int64_t max, int64_t *count,
                          c8_error *err);
/* Same for a float32 / float64 tensor, into doubles. */
c8_status c8_ot_read_doubles(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             const char *what, double *out, int64_t max, int64_t *count,
                             c8_error *err);

/* Rejects attributes of n whose name is not in the NULL-terminated list (C8_ERR_UNSUPPORTED:
 * an attribute we do not know could change the result). */
c8_status c8_ot_known_attrs(const c8_graph *g, const c8_node *n, const char *const *names,
                            c8_error *err);
/* If attribute name is present its type must be type (C8_ERR_INVALID otherwise). */
c8_status c8_ot_attr_type(const c8_graph *g, const c8_node *n, const char *name, c8_attr_type type,
                          c8_error *err);
/* Attribute name must be present (C8_ERR_INVALID otherwise) and of type type. */
c8_status c8_ot_attr_required(const c8_graph *g, const c8_node *n, const char *name,
                              c8_attr_type type, c8_error *err);

/* Sets output k's dtype and shape (no-op if the output is absent). */
void c8_ot_set_out(c8_graph *g, const c8_node *n, int k, c8_dtype dt, const c8_shape *s);
/* A shape of the given rank with every extent unknown (rank < 0: unknown rank). */
c8_shape c8_ot_unknown_shape(int rank);
/* Run-time check: the planned shape equals the output the executor allocated from infer
 * (C8_ERR_INTERNAL otherwise: infer and run disagree). */
c8_status c8_ot_check_out(const c8_op_run *r, int k, const c8_shape *planned, c8_error *err);
/* Copies input 0 into output k (same byte size; both fully known). */
c8_status c8_ot_copy_in0(const c8_op_run *r, int k, c8_error *err);
/* Element size of a dtype calib8 can hold, or C8_ERR_UNSUPPORTED naming the tensor. */
c8_status c8_ot_esize(const c8_graph *g, const c8_node *n, c8_dtype dt, const char *what,
                      size_t *es, c8_error *err);
/* Input k of n, which must be present (C8_ERR_INVALID naming the position otherwise). */
c8_status c8_ot_input(const c8_graph *g, const c8_node *n, int k, const c8_value **v,
                      c8_error *err);
/* Product of extents [from, to) of s: -1 if one is unknown, C8_ERR_NOMEM on overflow. */
c8_status c8_ot_span(const c8_graph *g, const c8_node *n, const c8_shape *s, int from, int to,
                     int64_t *out, c8_error *err);
/* Prefixes a shape_util message with the node (shape_util messages carry none). */
c8_status c8_ot_node_wrap(c8_error *err, const c8_graph *g, const c8_node *n, c8_status s);

/* ---- entry points (the table is in ops_tensor.c) ---- */
#define C8_OT_DECLARE(name)                                                                        \
    c8_status c8_ot_check_##name(const c8_graph *g, const c8_node *n, c8_error *err);              \
    c8_status c8_ot_infer_##name(c8_graph *g, c8_node *n, c8_error *err);                          \
    c8_status c8_ot_run_##name(const c8_op_run *r, c8_error *err);

/* ops_tensor_shape.c */
C8_OT_DECLARE(concat)
C8_OT_DECLARE(flatten)
C8_OT_DECLARE(reshape)
C8_OT_DECLARE(squeeze)
C8_OT_DECLARE(unsqueeze)
C8_OT_DECLARE(transpose)
C8_OT_DECLARE(identity)
C8_OT_DECLARE(dropout)
C8_OT_DECLARE(shape)
C8_OT_DECLARE(gather)
C8_OT_DECLARE(cast)
C8_OT_DECLARE(slice)
C8_OT_DECLARE(split)
/* ops_tensor_resize.c */
C8_OT_DECLARE(pad)
C8_OT_DECLARE(resize)

#endif
