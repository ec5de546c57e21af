/* The backend interface: what the executor needs from a device. The CPU (kernels/cpu/backend_cpu.c)
 * and CUDA (kernels/cuda/backend_cuda.c) backends implement this one table; the engine calls
 * only the table, and backends are registered in engine/backend.c (the only place that tests
 * C8_HAVE_CUDA). Internal.
 *
 * Lifetimes: engine state (weights on the device, algorithm choices) is made once per engine by
 * engine_init; context state (a stream, library handles, scratch) once per context by
 * context_init. Tensor views passed to run() point into the backend's memory. */
#ifndef C8_ENGINE_BACKEND_H
#define C8_ENGINE_BACKEND_H

#include "calib8/engine.h"
#include "engine/engine_internal.h"
#include "ops/ir.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct c8_device_info;
struct c8_value_layout;

typedef struct c8_backend_vt {
    const char *name;
    /* true when the backend computes in host memory (no uploads needed) */
    bool host_memory;
    /* per engine: e.g. upload weights; *state may stay NULL */
    c8_status (*engine_init)(const c8_engine *e, void **state, c8_error *err);
    void (*engine_fini)(void *state);
    /* per context */
    c8_status (*context_init)(const c8_engine *e, void *engine_state, void **state, c8_error *err);
    void (*context_fini)(void *state);
    /* memory in the backend's address space (aligned to 256 bytes) */
    c8_status (*alloc)(void *ctx, size_t bytes, void **ptr, c8_error *err);
    void (*free)(void *ctx, void *ptr);
    c8_status (*upload)(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err);
    c8_status (*download)(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err);
    /* The placement pass's query (engine/build/place.c, at build time on the lowered graph with
     * the model's declared shapes): whether node n of layer l runs on this device. Static: it
     * answers from the op, dtypes, attributes, ranks and which inputs are constants, never from
     * extents. false sets *why (a static string) and the node is placed on the host, with
     * HostCopy nodes around it. A node placed on the device that the backend then cannot run
     * (prepare) is an error, never a silent host fallback. */
    bool (*supports)(const c8_graph *g, const c8_node *n, const c8_layer *l, const char **why);
    /* Optional, build time: how each value of the placed graph g of engine e is stored on this
     * device (out has g->n_vals entries; absent: ONNX layout in the value's dtype). */
    c8_status (*layouts)(const c8_engine *e, const c8_graph *g, struct c8_value_layout *out,
                         c8_error *err);
    /* Optional: called for every node when the graph is specialized for new input shapes (the
     * host graph g, constants readable in host memory): pack weights, choose algorithms,
     * reserve workspace. *node_state is passed to run and freed with release. */
    c8_status (*prepare)(void *ctx, const c8_graph *g, const c8_node *n, const c8_layer *l,
                         void **node_state, c8_error *err);
    void (*release)(void *ctx, void *node_state);
    /* Runs node n (its layer record l; NULL for nodes without one) of the specialized graph g.
     * in/out/residual view backend memory, constants included (the executor uploads them). */
    c8_status (*run)(void *ctx, void *node_state, const c8_graph *g, const c8_node *n,
                     const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                     const c8_host_tensor *residual, c8_error *err);
    /* waits for queued work */
    c8_status (*sync)(void *ctx, c8_error *err);
    /* Optional, around each run's node loop (after the inputs are uploaded): run_begin may replay
     * a CUDA graph captured for the current specialization and set *replayed (the executor then
     * skips the node loop), or start capturing when may_capture (no observer is set); run_end
     * ends a capture. prepare() being called again invalidates any capture. */
    c8_status (*run_begin)(void *ctx, bool may_capture, bool *replayed, c8_error *err);
    c8_status (*run_end)(void *ctx, c8_error *err);
    /* Optional, build time: time candidate kernels/algorithms for every layer on its real shape
     * (the model's declared shapes, dynamic extents taken as 1 unless pinned) and record the
     * choice in e->layers[i].kernel, so plans carry it. */
    c8_status (*tune)(c8_engine *e, const c8_build_options *opt, c8_error *err);
    /* Optional: bins count float32 values at `data` (backend memory) under the histogram rule
     * (quant/hist_rule.h): counts (nbins entries) overwritten, *exp the rule's range for the
     * values' absmax, *absmax / *min / *max (min and max without the sign of zero). Errors on
     * NaN/Inf name tensor and batch. Absent: the engine downloads nothing and bins host memory
     * (host-memory backends only). */
    c8_status (*hist_bins)(void *ctx, const void *data, size_t count, int64_t nbins,
                           uint64_t *counts, int *exp, float *absmax, float *min, float *max,
                           const char *tensor, int64_t batch, c8_error *err);
    /* ---- added for the CUDA backend (kernels/cuda/backend_cuda.c) ---- */
    /* Optional, once per specialization after shape inference and before the arena is planned
     * and any prepare() of it: the backend decides how each value of the specialized graph g is
     * stored (its own layouts: channels-last, padded channels, binary16 for FP16 layers) and
     * writes the bytes every arena value needs into bytes[v] (on entry: numel * dtype size for
     * activations and inputs, 0 for other values). Graph inputs and outputs stay in ONNX layout
     * and dtype (the executor uploads and downloads them as such). */
    c8_status (*plan)(void *ctx, const c8_graph *g, size_t *bytes, c8_error *err);
    /* Optional: before an observer sees value v of the specialized graph g (t views it where the
     * backend keeps it): may point t->data at a copy in backend memory holding the tensor as its
     * dtype in ONNX layout, valid until the next call on this context. */
    c8_status (*observe)(void *ctx, const c8_graph *g, int v, c8_host_tensor *t, c8_error *err);
    /* Optional (calib8 bench): records a timing mark in slot (0..C8_BACKEND_MARKS-1) on the
     * context's queue; elapsed gives the milliseconds between two recorded marks once both have
     * completed (it waits for them). */
    c8_status (*mark)(void *ctx, int slot, c8_error *err);
    c8_status (*elapsed)(void *ctx, int slot_a, int slot_b, float *ms, c8_error *err);
    /* Optional (calib8 bench): describes the device the context runs on. */
    c8_status (*device_info)(void *ctx, struct c8_device_info *out, c8_error *err);
} c8_backend_vt;

#define C8_BACKEND_MARKS C8_CONTEXT_MARKS

/* How a value is stored (vt->layouts). */
typedef struct c8_value_layout {
    int32_t channels_last; /* axis 1 stored innermost (rank >= 2) */
    int32_t cpad;          /* with channels_last: channels padded to a multiple of this (1, 32) */
    c8_dtype storage;      /* element type as stored (float16 for FP16 layers' float32 values) */
} c8_value_layout;

/* device_info fills engine.h's c8_device_info (kind and online_cpus are the engine's). */

/* The backend and its state of a context (tests that look inside a backend; tools use
 * engine.h's c8_context_mark / c8_context_device_info). Defined in engine/engine.c. */
void c8_context_backend(c8_context *c, const c8_backend_vt **vt, void **state);

/* The backend for a device, or NULL when this build has none (message in err). */
const c8_backend_vt *c8_backend_get(c8_device device, c8_error *err);

/* The CPU backend (reference kernels; FP16 layers emulated by rounding to binary16). */
extern const c8_backend_vt c8_backend_cpu;

#endif
