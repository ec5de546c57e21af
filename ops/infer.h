/* Whole-graph checks, shape inference and constant folding over the op registry.
 * Internal; used at import (c8_model_load) and when an engine specializes for input shapes. */
#ifndef C8_ENGINE_INFER_H
#define C8_ENGINE_INFER_H

#include "calib8/status.h"
#include "ops/ir.h"

#include <stdbool.h>

/* Every live node: its op has a definition, its input/output counts fit, and its check passes. */
c8_status c8_graph_check_ops(const c8_graph *g, c8_error *err);

/* Infers every activation's dtype and shape in topological order. With fold, a node whose
 * inputs are all constants is run once and its outputs become constants (the node is removed);
 * *n_folded (if non-NULL) receives how many nodes were folded. */
c8_status c8_graph_infer(c8_graph *g, bool fold, int *n_folded, c8_error *err);

/* Runs node n of g with the reference implementation on host tensors (the executor's and the
 * folder's common path). in/out have n->n_in / n->n_out entries. */
c8_status c8_node_run_ref(const c8_graph *g, const c8_node *n, const c8_host_tensor *in,
                          c8_host_tensor *out, const c8_host_tensor *residual, c8_error *err);

#endif
