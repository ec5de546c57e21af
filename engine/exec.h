/* The host executor: runs a graph node by node on host memory, specializing it for the
 * current input shapes (shape inference + folding of shape subgraphs) and carving activations
 * from one arena planned by liveness. Internal; c8_context wraps it. */
#ifndef C8_ENGINE_EXEC_H
#define C8_ENGINE_EXEC_H

#include "calib8/engine.h"
#include "engine/ir.h"

/* How one node is computed. The default is the FP32 reference (c8_node_run_ref). Engines with
 * other precisions supply a function per layer (node->layer indexes their table). */
typedef c8_status (*c8_layer_fn)(void *user, const c8_graph *g, const c8_node *n,
                                 const c8_host_tensor *in, c8_host_tensor *out,
                                 const c8_host_tensor *residual, c8_error *err);

typedef struct c8_exec c8_exec;

/* g is borrowed and must outlive the executor. layer_fn may be NULL (reference for every
 * node); it is called for nodes with layer >= 0, with `user`. */
c8_status c8_exec_create(const c8_graph *g, c8_layer_fn layer_fn, void *user, c8_exec **out,
                         c8_error *err);
void c8_exec_destroy(c8_exec *x);

c8_status c8_exec_set_observer(c8_exec *x, c8_tensor_observer fn, void *user,
                               const char *const *names, int n_names, c8_error *err);

c8_status c8_exec_run(c8_exec *x, const c8_host_tensor *inputs, int n, c8_error *err);

/* Output i of the last run; data borrowed until the next run. */
c8_status c8_exec_output(c8_exec *x, int i, c8_host_tensor *out, c8_error *err);

/* The specialized graph of the last run (shapes concrete), or NULL before the first run. */
const c8_graph *c8_exec_graph(const c8_exec *x);

#endif
