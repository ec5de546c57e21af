/* The backend interface: what the executor needs from a device. The CPU (kernels/cpu/backend_cpu.c)
 * and CUDA (kernels/cuda/backend_cuda.c) backends implement this one table; the engine calls
 * only the table, and backends are registered in engine/backend.c (the only place that tests
 * C8_HAVE_CUDA). Internal. Backends include this header, ops/ and util/, never engine/: what
 * they see of an engine is c8_backend_engine (its placed graph and layer records).
 *
 * The table: a device (alloc, free, upload, download, sync, timing marks, properties), the
 * placement pass's static queries (supports, layouts, wants), and "run this placed segment"
 * (prepare / release per node, run_segment for a run of consecutive nodes placed on this
 * device: the per-node kernels are the backend's own dispatch, behind c8_segment_run_nodes);
 * build-time tuning and histogram binning are optional.
 *
 * Lifetimes: engine state (weights on the device, algorithm choices) is made once per engine by
 * engine_init; context state (a stream, library handles, scratch) once per context by
 * context_init. Tensor views passed to run() point into the backend's memory. */
#ifndef C8_ENGINE_BACKEND_H
#define C8_ENGINE_BACKEND_H

#include "calib8/status.h"
#include "calib8/tensor.h"
#include "ops/ir.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct c8_device_props;
struct c8_value_layout;
struct c8_operand_want;
struct c8_segment;

/* ---- the layer records of an engine (one per node: c8_node.layer indexes them) ---- */

/* = C8_PREC_* of include/calib8/engine.h (engine/engine_internal.h checks) */
#define C8_LAYER_PREC_FP32 1
#define C8_LAYER_PREC_FP16 2
#define C8_LAYER_PREC_INT8 3

#define C8_LAYER_REASON_MAX 200
#define C8_LAYER_LAYOUT_MAX 48
#define C8_LAYER_KERNEL_MAX 192 /* INT8 GPU layers: a kernel per batch bucket */
#define C8_LAYER_TUNED_MAX 4096 /* every candidate of up to a few batch buckets */

typedef enum c8_layer_role {
    C8_LAYER_COMPUTE = 0,  /* a model layer */
    C8_LAYER_REFORMAT = 1, /* a quantize/dequantize/cast inserted where precisions meet */
    C8_LAYER_COPY = 2      /* a HostCopy inserted by the placement pass (engine/build/place.c) */
} c8_layer_role;

/* Where the placement pass put a node (engine/build/place.c). */
typedef enum c8_place {
    C8_PLACE_DEVICE = 0, /* the engine's device: the CPU in a CPU plan, the GPU in a CUDA plan */
    C8_PLACE_HOST = 1    /* a host step of a device plan (its operands in host memory) */
} c8_place_kind;

typedef struct c8_layer {
    char *name;        /* the node's name (fused layers: the label, e.g. CBR(conv1+bn1+relu1)) */
    char *op;          /* the model op ("Conv", "FusedConv", "Q8Quantize", ...) */
    int32_t precision; /* c8_precision (engine.h): C8_LAYER_PREC_* */
    int32_t role;      /* c8_layer_role */
    char reason[C8_LAYER_REASON_MAX]; /* why this precision */
    char kernel[C8_LAYER_KERNEL_MAX]; /* the implementation chosen ("ref", a CUDA candidate, ...) */
    /* ---- the placement (engine/build/place.c; one layer per node) ---- */
    int32_t place;                          /* c8_place_kind */
    char place_reason[C8_LAYER_REASON_MAX]; /* why there ("" on the engine's device) */
    char layout[C8_LAYER_LAYOUT_MAX];       /* storage of the first output: "NCHW float32", ... */
    char tuned[C8_LAYER_TUNED_MAX];         /* build-time candidates and timings, "" if untuned */
} c8_layer;

/* What a backend sees of an engine: its placed graph, one layer record per node, and the engine
 * state engine_init made (NULL before). The engine builds it (c8_engine_backend_view). */
typedef struct c8_backend_engine {
    const c8_graph *g;
    c8_layer *layers; /* tune writes kernel and tuned */
    int n_layers;
    bool tf32;   /* FP32 layers may use TF32 tensor cores (GPU) */
    void *state; /* engine_init's */
} c8_backend_engine;

/* Build-time tuning options (from the build options). */
typedef struct c8_tune_options {
    FILE *log;    /* NULL: quiet */
    bool verbose; /* print every candidate's timing */
    /* the batch buckets for a graph whose inputs' axis 0 is dynamic (ascending, >= 1) */
    const int64_t *batches;
    int n_batches;
    /* per graph input: the optimization profile's optimum, the size a dynamic extent other
     * than the batch is tuned at (rank 0: the input has no profile, such extents are taken as
     * 1); NULL: no profiles */
    const c8_shape *opt_shapes;
} c8_tune_options;

typedef struct c8_backend_vt {
    const char *name;
    /* true when the backend computes in host memory (no uploads needed) */
    bool host_memory;
    /* bit k set: fused activation k (ops/ir.h's c8_act) has no epilogue in this backend, so the
     * graph passes leave it unfused for engines built for it (none today: a backend that lacks
     * an epilogue declares it here instead of failing at run time) */
    uint32_t unfused_acts;
    /* true: nearest Resize runs on int8 data here, so an INT8 build keeps an int8 tensor int8
     * through it (data movement at the input's scale) instead of dequantizing it around a float
     * Resize */
    bool int8_nearest_resize;
    /* per engine: e.g. upload weights; *state may stay NULL */
    c8_status (*engine_init)(const c8_backend_engine *e, void **state, c8_error *err);
    void (*engine_fini)(void *state);
    /* per context */
    c8_status (*context_init)(const c8_backend_engine *e, void **state, c8_error *err);
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
    c8_status (*layouts)(const c8_backend_engine *e, const c8_graph *g, struct c8_value_layout *out,
                         c8_error *err);
    /* Optional, build time, static like supports (no device needed): the storage node n's kernel
     * takes each operand in, given how the values are stored (stored: vt->layouts' answer for
     * g). in: n->n_in entries, out: n->n_out, res: the fused residual. The placement pass
     * (engine/build/reformat.c) inserts a Reformat node wherever a stored layout differs from
     * the want, so that the backend's run converts nothing. Absent: every operand as stored. */
    void (*wants)(const c8_backend_engine *e, const c8_graph *g, const c8_node *n,
                  const struct c8_value_layout *stored, struct c8_operand_want *in,
                  struct c8_operand_want *res, struct c8_operand_want *out);
    /* Optional: called for every node when the graph is specialized for new input shapes (the
     * host graph g, constants readable in host memory): pack weights, choose algorithms,
     * reserve workspace. *node_state is passed to run and freed with release. */
    c8_status (*prepare)(void *ctx, const c8_graph *g, const c8_node *n, const c8_layer *l,
                         void **node_state, c8_error *err);
    void (*release)(void *ctx, void *node_state);
    /* Runs a placed segment: nodes seg->first .. of the specialized graph, every one placed on
     * this device, their operands in this backend's memory (constants included: the executor
     * uploads them) and stored as the placement planned (no conversion: the placement pass made
     * each one a node). With seg->may_capture (the whole forward, no observer) a backend may
     * record the segment (a CUDA graph) and replay it on later runs of the same
     * specialization; prepare() being called again invalidates any recording. */
    c8_status (*run_segment)(void *ctx, const struct c8_segment *seg, c8_error *err);
    /* waits for queued work */
    c8_status (*sync)(void *ctx, c8_error *err);
    /* Optional, build time: time candidate kernels/algorithms for every layer on its real shape
     * (the model's declared shapes, dynamic extents taken as 1 unless pinned) and record the
     * choice in e->layers[i].kernel (and every candidate's time in .tuned), so plans carry it. */
    c8_status (*tune)(const c8_backend_engine *e, const c8_tune_options *opt, c8_error *err);
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
    /* Optional: the CPU threads the context's runs and prepares may use (c8_context_set_threads;
     * <= 0: the threading runtime's default). Absent: the backend ignores it. */
    void (*set_threads)(void *ctx, int threads);
    /* Optional (calib8 bench): describes the device the context runs on. */
    c8_status (*device_info)(void *ctx, struct c8_device_props *out, c8_error *err);
} c8_backend_vt;

#define C8_BACKEND_MARKS 4 /* = C8_CONTEXT_MARKS (engine.h) */

/* A placed segment (vt->run_segment): consecutive nodes of one device, as the executor walks
 * them (engine/exec/exec.c); host steps of a device plan are segments of the CPU backend. */
typedef struct c8_segment {
    const c8_graph *g;       /* the specialized graph */
    const c8_layer *layers;  /* the engine's layer records (c8_node.layer indexes them) */
    int first, count;        /* the nodes first .. first + count - 1 of g */
    void *const *data;       /* per value of g: where its data lives in this device's memory */
    void *const *node_state; /* per node of g: prepare's state, or NULL (no prepare) */
    const bool *skip;        /* per node of g: nothing to run (an in-place Concat), or NULL */
    bool may_capture;        /* the whole forward and no observer: may be recorded / replayed */
    bool starts_run;         /* the first segment of this device in the current run */
    /* Optional: called after each node, run or skipped (the executor's observers and interrupt
     * checks); an error stops the segment. Never set together with may_capture. */
    c8_status (*after)(void *user, int node, c8_error *err);
    void *user;
    /* an observer reads every value after its node, as the model lays it out (a host-memory
     * backend then keeps every value in host memory in that layout) */
    bool observed;
} c8_segment;

/* A backend's own per-node dispatch: node n (its layer l, NULL when it has none) of graph g on
 * views in/out/residual of the device's memory. */
typedef c8_status (*c8_node_run_fn)(void *ctx, void *node_state, const c8_graph *g,
                                    const c8_node *n, const c8_layer *l, const c8_host_tensor *in,
                                    c8_host_tensor *out, const c8_host_tensor *residual,
                                    c8_error *err);

/* The node loop every run_segment shares (kernels/segment.c): views each node's operands from
 * seg->data, calls run for each node not skipped, then seg->after; stops at the first error. */
c8_status c8_segment_run_nodes(void *ctx, const c8_segment *seg, c8_node_run_fn run, c8_error *err);

/* How a value is stored (vt->layouts). */
typedef struct c8_value_layout {
    int32_t channels_last; /* axis 1 stored innermost (rank >= 2) */
    int32_t cpad;          /* with channels_last: channels padded to a multiple of this (1, 32) */
    c8_dtype storage;      /* element type as stored (float16 for FP16 layers' float32 values) */
} c8_value_layout;

/* What a kernel wants for one operand (vt->wants): -1 fields take what is stored. */
typedef struct c8_operand_want {
    int32_t storage; /* c8_dtype of the stored elements, or -1 */
    int32_t layout;  /* -1 any, 0 ONNX layout, 1 channels-last */
    int32_t cpad;    /* with layout 1: channels padded to a multiple of this */
} c8_operand_want;

#define C8_WANT_ANY ((c8_operand_want){-1, -1, 0})

/* What device_info reports (0 / "" where unknown); the engine copies it into engine.h's
 * c8_device_info. */
typedef struct c8_device_props {
    char name[256];
    int cc_major, cc_minor; /* compute capability */
    int sm_count;
    int sm_clock_khz;  /* peak SM clock */
    int mem_clock_khz; /* peak memory clock */
    int mem_bus_bits;
    uint64_t mem_bytes;
    int driver_version; /* e.g. 13000 */
    int runtime_version;
    int dnn_version;  /* cuDNN, e.g. 91400 */
    int blas_version; /* cuBLAS(Lt) */
} c8_device_props;

/* The CPU backend (reference kernels; FP16 layers emulated by rounding to binary16). */
extern const c8_backend_vt c8_backend_cpu;
/* Its per-node dispatch (a c8_node_run_fn): the fast CPU backend (kernels/cpu/dnnl_backend.c)
 * hands it the nodes oneDNN does not run. */
c8_status c8_backend_cpu_run_node(void *ctx, void *node_state, const c8_graph *g, const c8_node *n,
                                  const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                                  const c8_host_tensor *residual, c8_error *err);

#endif
