/* The executor: runs an engine's graph node by node through a backend (kernels/backend.h),
 * specializing the graph for the current input shapes (shape inference + folding of shape
 * subgraphs) and carving activations from one arena planned by liveness. Internal; c8_context
 * wraps it. */
#ifndef C8_ENGINE_EXEC_H
#define C8_ENGINE_EXEC_H

#include "calib8/engine.h"
#include "kernels/backend.h"
#include "ops/ir.h"

typedef struct c8_exec c8_exec;

/* Runs e's graph (borrowed: e must outlive the executor) on backend vt with the backend's
 * context state ctx (borrowed). */
c8_status c8_exec_create(const c8_engine *e, const c8_backend_vt *vt, void *ctx, c8_exec **out,
                         c8_error *err);
void c8_exec_destroy(c8_exec *x);

/* Observers see host copies (on a device backend each observed tensor is downloaded first), or,
 * with on_device, the tensor where the backend keeps it. */
c8_status c8_exec_set_observer(c8_exec *x, c8_tensor_observer fn, void *user,
                               const char *const *names, int n_names, bool on_device,
                               c8_error *err);

c8_status c8_exec_run(c8_exec *x, const c8_host_tensor *inputs, int n, c8_error *err);

/* Device backends: the last run's forward again on its inputs, which stay in the arena (no
 * upload); download false leaves the outputs on the device (c8_exec_output refuses until a run
 * downloads them). See c8_context_run_again. */
c8_status c8_exec_run_again(c8_exec *x, bool download, c8_error *err);

/* Output i of the last run, in host memory; data borrowed until the next run. */
c8_status c8_exec_output(c8_exec *x, int i, c8_host_tensor *out, c8_error *err);

/* Memory limit for specializations (0: none) and the bytes the current one holds; see
 * c8_context_set_max_memory. */
void c8_exec_set_max_memory(c8_exec *x, uint64_t max_bytes);
uint64_t c8_exec_memory(const c8_exec *x);

/* The specialized graph of the last run (shapes concrete), or NULL before the first run. */
const c8_graph *c8_exec_graph(const c8_exec *x);

#endif
