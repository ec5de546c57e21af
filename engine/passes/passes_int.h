/* Helpers shared by the graph passes (engine/passes*.c); the pass contract is
 * engine/passes/passes.h. Internal to those files. */
#ifndef C8_ENGINE_PASSES_INT_H
#define C8_ENGINE_PASSES_INT_H

#include "ops/ir.h"
#include "engine/passes/passes.h"

#include <stdbool.h>
#include <stdint.h>

/* The only live node reading value v (exactly one read, counting fusion.residual), or -1. */
int c8p_single_consumer(const c8_graph *g, int v);
/* Points every live node's reads of value `from` (inputs and fusion.residual) at `to`. */
void c8p_replace_uses(c8_graph *g, int from, int to);
/* Node ci's output 0 becomes node pi's output 0 (pi writes the last fused op's tensor, under its
 * ONNX name); node ci is marked dead. */
void c8p_take_output(c8_graph *g, int pi, int ci);
/* Number of live nodes. */
int c8p_live_nodes(const c8_graph *g);

/* A new constant value named after base (made unique) holding data (ownership passes to the
 * graph, also on failure); returns its index or -1 (C8_ERR_NOMEM in err). May move g->vals. */
int c8p_add_const(c8_graph *g, const char *base, c8_dtype dt, const c8_shape *shape, void *data,
                  size_t nbytes, c8_error *err);
/* Sets input k of node ni to value v, growing the input list with -1 entries if needed. */
c8_status c8p_set_input(c8_graph *g, int ni, int k, int v, c8_error *err);
/* Sets a FLOAT / INT attribute, replacing one of the same name. */
c8_status c8p_set_attr_f(c8_graph *g, int ni, const char *name, float f, c8_error *err);
c8_status c8p_set_attr_i(c8_graph *g, int ni, const char *name, int64_t i, c8_error *err);
/* Adds an INTS / STRINGS attribute (values copied). */
c8_status c8p_add_attr_ints(c8_graph *g, int ni, const char *name, const int64_t *v, size_t n,
                            c8_error *err);
c8_status c8p_add_attr_strings(c8_graph *g, int ni, const char *name, const char *const *v,
                               size_t n, c8_error *err);
/* Deep copy of an attribute (INT, FLOAT, STRING, INTS, FLOATS, STRINGS; others fail). */
bool c8p_attr_copy(c8_attr *dst, const c8_attr *src);

/* The label letter of an op (see engine/passes/passes.h), '?' for others. */
char c8p_op_letter(c8_op op);
/* Records that ONNX node `name` (op `op`) was folded into node ni: its fusion.label becomes
 * "<letters>(<names>)", starting from the node's own letter and name. */
c8_status c8p_label_add(c8_graph *g, int ni, c8_op op, const char *name, c8_error *err);
/* Turns a Conv into a FusedConv (op and op_type); other ops are left alone. */
c8_status c8p_make_fused_conv(c8_graph *g, int ni, c8_error *err);

/* Value v is a float32 constant with every extent known. */
bool c8p_is_float_const(const c8_graph *g, int v);
/* Shapes equal extent by extent, with a known rank; an extent unknown in both counts as equal
 * (the FusedConv checks the residual's shape again when shapes are concrete). */
bool c8p_same_shape(const c8_shape *a, const c8_shape *b);

/* Compacts the graph (which also finalizes it) when changed is true. */
c8_status c8p_finish(c8_graph *g, bool changed, c8_error *err);

#endif
