/* calib8 models, engines and execution contexts.
 *
 *   c8_model    an imported ONNX network (c8_model_load); immutable once loaded except for
 *               c8_model_set_input_shape, which pins dynamic input dimensions.
 *   c8_engine   a model compiled for a backend and per-layer precisions (c8_engine_build), or
 *               read from a plan file; owns its weights. Immutable; shareable across threads.
 *   c8_context  one execution of an engine: activation memory, the current input shapes and an
 *               optional observer. One thread at a time per context; several contexts may run one
 *               engine concurrently.
 */
#ifndef CALIB8_ENGINE_H
#define CALIB8_ENGINE_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ models */

typedef struct c8_model c8_model;

typedef struct c8_model_options {
    /* Largest model file accepted, bytes (0: 4 GiB). */
    uint64_t max_file_bytes;
    /* Fold constant subgraphs (Shape/Gather/Concat chains, Constant-only expressions) at load.
     * On by default; the graph optimizer's other passes are separate (see build options). */
    bool fold_constants;
} c8_model_options;

/* Fills the defaults. */
void c8_model_options_init(c8_model_options *o);

/* Imports an ONNX model: parses it, loads initializers (external data included), converts
 * Constant nodes, checks every node's op and attributes, orders the graph and infers shapes.
 * Errors name the file, the node and the problem. On success *out is owned by the caller
 * (c8_model_destroy). opt may be NULL for defaults. */
c8_status c8_model_load(const char *path, const c8_model_options *opt, c8_model **out,
                        c8_error *err);
void c8_model_destroy(c8_model *m);

const char *c8_model_path(const c8_model *m);
/* 64 lowercase hex digits of the model file's SHA-256. */
const char *c8_model_sha256(const c8_model *m);
/* The model's nodes (after import, before graph passes) and the name of node i (0 <= i <
 * c8_model_num_nodes; "" for an unnamed node), borrowed from m: the names --layer-precision
 * patterns match. */
int c8_model_num_nodes(const c8_model *m);
const char *c8_model_node_name(const c8_model *m, int i);
int64_t c8_model_opset(const c8_model *m);

int c8_model_num_inputs(const c8_model *m);
int c8_model_num_outputs(const c8_model *m);
/* Name, type and shape (negative extents are dynamic) of input/output i; pointers borrowed
 * from the model. */
void c8_model_input(const c8_model *m, int i, const char **name, c8_dtype *dtype, c8_shape *shape);
void c8_model_output(const c8_model *m, int i, const char **name, c8_dtype *dtype, c8_shape *shape);
/* Index of the input called name, or -1. */
int c8_model_find_input(const c8_model *m, const char *name);

/* Checks a per-layer precision spec ("conv1:fp32,fc*:fp16", as c8_build_options.layer_precision
 * takes it) against the model: C8_ERR_INVALID when a pattern matches no node name
 * (c8_model_node_name), naming the pattern and a few of the model's layer names, since the
 * builder would silently ignore it. Items without a pattern are left to the builder's parser. */
c8_status c8_model_check_layer_spec(const c8_model *m, const char *spec, c8_error *err);

/* The single (N, C, H, W) float32 input that image data sets (dataset.h) feed: its name
 * (borrowed from the model) and C, H, W. C8_ERR_UNSUPPORTED naming the model (c8_model_path)
 * when it has several inputs or the input is not a float32 rank-4 tensor; C8_ERR_USAGE when C, H
 * or W is dynamic (pin them with c8_model_set_input_shape: the CLI's --shape). Where an
 * optimization profile leaves H or W open, they are the profile's maximum (the largest image;
 * images keep their own size: c8_model_image_range). */
c8_status c8_model_image_input(const c8_model *m, const char **name, int64_t *c, int64_t *h,
                               int64_t *w, c8_error *err);

/* Pins the shape of input `name` (NULL: the only input). The rank must match and every fixed
 * extent must agree; dynamic extents take the given values. Shapes are re-inferred. */
c8_status c8_model_set_input_shape(c8_model *m, const char *name, const c8_shape *shape,
                                   c8_error *err);

/* An optimization profile for input `name` (NULL: the only input), TensorRT's model: every
 * extent has a minimum, an optimum and a maximum (same rank as the input, 0 < min <= opt <= max;
 * an extent the model fixes must equal all three). Extents with min = max become fixed (as with
 * c8_model_set_input_shape); the others stay dynamic. An engine built from the model accepts
 * exactly the shapes inside [min, max] (a run outside is C8_ERR_SHAPE naming both), plans its
 * activation memory for max (allocated once per context) and tunes its kernels at opt; the
 * plan stores the profile. Shapes are re-inferred. c8_model_set_input_shape afterwards replaces
 * the profile by a fixed shape. */
c8_status c8_model_set_input_profile(c8_model *m, const char *name, const c8_shape *min,
                                     const c8_shape *opt, const c8_shape *max, c8_error *err);
/* Input i's profile: true with min / opt / max filled (any may be NULL), false when it has
 * none. */
bool c8_model_input_profile(const c8_model *m, int i, c8_shape *min, c8_shape *opt, c8_shape *max);

/* Prints the graph for `calib8 inspect`: inputs, outputs, then one line per node with its op,
 * inputs -> outputs with shapes, parameter count and FLOPs (where shapes are known); totals last.
 */
void c8_model_print(const c8_model *m, FILE *fp);

/* The graph optimizer on a copy of the model (calib8 inspect --passes / --dot). disabled lists
 * passes to skip by name (c8_model_pass_known); n_disabled may be 0. */
/* true when name is one of the optimizer's passes (dead_layers, fold_constants, ...). */
bool c8_model_pass_known(const char *name);
/* Prints what each pass changed, the changes per pass and the node counts, then the optimized
 * graph as c8_model_print does. */
c8_status c8_model_print_passes(const c8_model *m, const char *const *disabled, int n_disabled,
                                FILE *fp, c8_error *err);
/* Writes the graph before the passes to before_path and after them to after_path as Graphviz DOT
 * (either path may be NULL), each atomically. */
c8_status c8_model_write_dot(const c8_model *m, const char *const *disabled, int n_disabled,
                             const char *before_path, const char *after_path, c8_error *err);

/* Names of the tensors that an INT8 engine of this model may consume or produce (network
 * inputs included), i.e. those calibration must cover; in graph order. The array and strings
 * are borrowed from the model and stay valid until it is destroyed. */
int c8_model_calibration_tensors(const c8_model *m, const char *const **names);

/* ----------------------------------------------------------------- engines */

typedef enum c8_precision { C8_PREC_FP32 = 1, C8_PREC_FP16 = 2, C8_PREC_INT8 = 3 } c8_precision;

/* "fp32", "fp16", "int8". */
const char *c8_precision_name(c8_precision p);

/* C8_DEVICE_CPU: the fast CPU backend (oneDNN, kernels/cpu/dnnl_backend.c) where this calib8 was
 * built with it (c8_device_cpu_fast()), else the reference kernels; C8_DEVICE_CPU_REF: always the
 * reference kernels (kernels/ref/, the oracle). Both run in host memory; plans record which. */
typedef enum c8_device { C8_DEVICE_CPU = 0, C8_DEVICE_CUDA = 1, C8_DEVICE_CPU_REF = 2 } c8_device;

/* "cpu", "cuda", "cpu-ref" (the --device spellings); "?" for other values. */
const char *c8_device_name(c8_device d);
/* Parses a --device spelling; false (and *d untouched) when s is none of them. */
bool c8_device_parse(const char *s, c8_device *d);
/* true when C8_DEVICE_CPU runs on the fast (oneDNN) backend in this build. */
bool c8_device_cpu_fast(void);
/* C8_OK when this calib8 can hand work to device d: for C8_DEVICE_CUDA, built with CUDA and its
 * backend module (libcalib8_cuda.so, docs/cuda.md) loaded, the module's path in *where (NULL
 * allowed; "linked in" when the program carries the backend itself). Whether a GPU is present
 * is found when an engine is built. Otherwise C8_ERR_UNSUPPORTED, with why in err. */
c8_status c8_device_check(c8_device d, const char **where, c8_error *err);

typedef struct c8_engine c8_engine;
typedef struct c8_context c8_context;

/* Where an INT8 build finds its activation scales: a lookup by ONNX tensor name. The engine
 * does not read calibration files itself; a calibration cache becomes a scale source through
 * c8_calib_cache_scales (calib.h), and any other table can be one too. */
typedef struct c8_scale_source {
    /* true and *scale set when tensor `name` has a calibrated scale (> 0, finite). A scale that
     * is not (0, inf) is refused by the builder as that tensor's reason to fall back. */
    bool (*get)(void *user, const char *name, float *scale);
    void *user;
    const char *sha256; /* provenance recorded in the engine and plan, or NULL */
} c8_scale_source;

typedef struct c8_build_options {
    c8_device device;
    c8_precision precision;
    /* Where INT8 is not possible: FP32 (default) or FP16. */
    c8_precision fallback;
    /* Activation scales for INT8 (borrowed for the duration of the call); NULL: no
     * calibration, which an INT8 build refuses. */
    const c8_scale_source *scales;
    /* Per-layer overrides: "conv1:fp32,fc*:fp16" (globs over node names). */
    const char *layer_precision;
    /* Fail instead of falling back: a layer that cannot run in the requested precision, or (GPU)
     * a node that would run on the host. */
    bool strict;
    /* Run the graph optimizer's passes (fusion, folding, dead-layer elimination). */
    bool passes;
    /* Allow TF32 tensor cores for FP32 layers on the GPU. */
    bool tf32;
    /* GPU, a model whose batch (axis 0 of its inputs) is dynamic: the batch sizes at which the
     * INT8 kernels are timed, one choice per batch bucket recorded in the plan; a run at batch
     * n uses the choice of the smallest bucket >= n (the largest bucket beyond it). NULL: 1, 32,
     * 256. A model with a fixed batch (or --shape pinning it) is tuned at that batch alone. */
    const int64_t *tune_batches;
    int n_tune_batches;
    /* The preprocessing the engine's inputs expect, as one line of text (borrowed during the
     * call; NULL: none recorded): c8_preprocess_describe's line (dataset.h), usually the one a
     * calibration recorded in its cache's sidecar (c8_calib_cache_preprocessing, calib.h). The
     * engine does not interpret it: it keeps it and stores it in the plan, so that the tools
     * that feed a plan images can use it (c8_engine_preprocessing). At most
     * C8_ENGINE_PREPROCESSING_MAX bytes, no control characters. */
    const char *preprocessing;
    /* CPU threads of the contexts made from this engine (c8_context_set_threads; <= 0, the
     * default: all cores). A run-time setting, not part of the plan. */
    int threads;
    /* Print per-layer candidates and timings while building. */
    bool verbose;
    FILE *log; /* where the build prints its layer table (NULL: nothing) */
} c8_build_options;

void c8_build_options_init(c8_build_options *o);

/* Compiles model into an engine. The model may be destroyed afterwards. */
c8_status c8_engine_build(const c8_model *model, const c8_build_options *opt, c8_engine **out,
                          c8_error *err);
void c8_engine_destroy(c8_engine *e);

int c8_engine_num_inputs(const c8_engine *e);
int c8_engine_num_outputs(const c8_engine *e);
void c8_engine_input(const c8_engine *e, int i, const char **name, c8_dtype *dtype,
                     c8_shape *shape);
void c8_engine_output(const c8_engine *e, int i, const char **name, c8_dtype *dtype,
                      c8_shape *shape);

/* Input i's optimization profile (c8_model_set_input_profile), as for c8_model_input_profile;
 * false for an input without one (plans of format 3 and older have none). */
bool c8_engine_input_profile(const c8_engine *e, int i, c8_shape *min, c8_shape *opt,
                             c8_shape *max);
/* The same for an engine (a plan): `what` names it in the messages. */
c8_status c8_engine_image_input(const c8_engine *e, const char *what, const char **name, int64_t *c,
                                int64_t *h, int64_t *w, c8_error *err);
/* Dynamic H and W of the image input (input 0, rank 4): true when its optimization profile
 * leaves H or W open (a range), with [*h_min, *h_max] and [*w_min, *w_max] the profile's (a fixed
 * extent gives min = max); false when both are fixed (the image size is then that of
 * c8_engine_image_input). Image data sets then keep every image's own size
 * (c8_loader_create_ranged). */
bool c8_engine_image_range(const c8_engine *e, int64_t *h_min, int64_t *h_max, int64_t *w_min,
                           int64_t *w_max);
bool c8_model_image_range(const c8_model *m, int64_t *h_min, int64_t *h_max, int64_t *w_min,
                          int64_t *w_max);

/* Writes the engine as a plan file (versioned binary: magic, format version, calib8 version,
 * payload checksum), atomically. Same engine -> same bytes. */
c8_status c8_engine_save(const c8_engine *e, const char *path, c8_error *err);
/* Reads a plan written by c8_engine_save; newer formats, truncated and corrupted files are
 * refused with the reason. *out is owned by the caller. No ONNX file is needed. */
c8_status c8_engine_load(const char *path, c8_engine **out, c8_error *err);
/* Reads a plan for its description only (layers, placement, inputs and outputs): no device is
 * touched, so a CUDA plan can be inspected on a machine without a GPU or in a CPU-only build
 * (a format-1 plan of a device this build lacks keeps its placement unknown: every node on the
 * plan's device). Such an engine cannot make contexts (C8_ERR_DEVICE / UNSUPPORTED). */
c8_status c8_engine_load_description(const char *path, c8_engine **out, c8_error *err);
/* SHA-256 of the model the engine was built from, and of its calibration cache (the scale
 * source's sha256; "" if none). */
const char *c8_engine_model_sha256(const c8_engine *e);
const char *c8_engine_cache_sha256(const c8_engine *e);

/* The preprocessing recorded when the engine was built (c8_build_options.preprocessing),
 * borrowed from the engine; NULL when none was (also for plans of format 3 and older). */
#define C8_ENGINE_PREPROCESSING_MAX 4096
const char *c8_engine_preprocessing(const c8_engine *e);

/* Layers of the engine: count, and per layer its name (fused layers: their label), model op,
 * precision and the reason for it; strings borrowed from the engine. */
int c8_engine_num_layers(const c8_engine *e);
void c8_engine_layer(const c8_engine *e, int i, const char **name, const char **op,
                     c8_precision *precision, const char **reason);
/* Prints the layer table ("name  op  precision  device  layout  kernel  reason") and a
 * per-precision summary, with the host steps of a GPU plan and their reasons. */
void c8_engine_print_layers(const c8_engine *e, FILE *fp);

/* The engine's tensors: network inputs and every value its layers compute (constants left out),
 * in graph order. A model tensor may appear twice (its float and its int8 version, the second
 * made by a conversion the builder inserted). Strings borrowed from the engine. */
typedef struct c8_engine_tensor_info {
    const char *name; /* the ONNX tensor name (or the builder's name for a conversion) */
    c8_dtype dtype;
    float scale;     /* int8 tensors: the quantization scale; else 0 */
    bool input;      /* a network input */
    int layer;       /* the producing layer (index for c8_engine_layer), -1 for inputs */
    bool conversion; /* produced by a quantize/dequantize/cast the builder inserted */
} c8_engine_tensor_info;
int c8_engine_num_tensors(const c8_engine *e);
/* Tensor i (0 <= i < c8_engine_num_tensors) into *out. */
void c8_engine_tensor(const c8_engine *e, int i, c8_engine_tensor_info *out);

/* ---- placement: where each node of the engine runs (decided when the engine is built and
 * stored in its plan; docs/cuda.md) ---- */

typedef struct c8_node_placement {
    const char *name; /* the node (fused layers: their label; copies "download:x", "upload:x") */
    const char *op;   /* "Conv", "FusedConv", "Q8Conv", "HostCopy", ... */
    c8_precision precision;
    const char *role;   /* "compute", "reformat" (quantize / dequantize / cast), "copy" */
    const char *device; /* "cpu", "gpu", or "host" (a host step of a GPU plan) */
    const char *reason; /* why on the host (copies: which host node they serve); "" otherwise */
    const char *layout; /* storage of its first output: "NCHW float32", "NHWC32 int8", ... */
    const char *kernel; /* "ref", "cuda", a tuned cuDNN / INT8 kernel, "memcpy" */
    const char *tuned;  /* build-time candidates and their timings ("" when not tuned) */
} c8_node_placement;

/* The engine's device. */
c8_device c8_engine_device(const c8_engine *e);
/* Nodes of the engine in execution order (compute layers, reformats and copies). */
int c8_engine_num_nodes(const c8_engine *e);
/* Node i's placement; strings borrowed from the engine. */
void c8_engine_node_placement(const c8_engine *e, int i, c8_node_placement *out);
/* Compute and reformat nodes of a GPU plan placed on the host (0 on the CPU). */
int c8_engine_num_host_nodes(const c8_engine *e);
/* C8_ERR_UNSUPPORTED naming every host-placed node and its reason when there is one (what:
 * the option that asked, e.g. "--strict"); C8_OK otherwise. */
c8_status c8_engine_check_no_host(const c8_engine *e, const char *what, c8_error *err);
/* The placement as text (one line per node, then the totals and "preprocessing: LINE" or
 * "preprocessing: none recorded") or as JSON: {"device", "precision", "preprocessing" (the
 * line, or null), "nodes":
 * [{"index", "name", "op", "precision", "role", "device", "reason", "layout", "kernel",
 * "tuned"}...], "host_nodes", "copies"}. The top-level "device" is the plan's (c8_device_name:
 * "cpu", "cpu-ref", "cuda"); a node's is where it runs ("cpu", "gpu", "host"). */
void c8_engine_print_placement(const c8_engine *e, FILE *fp);
void c8_engine_write_placement_json(const c8_engine *e, FILE *fp);

/* Quantization scale of an INT8 tensor of the engine by name (the ONNX tensor name), or 0 when
 * the engine keeps that tensor in floating point. */
float c8_engine_tensor_scale(const c8_engine *e, const char *name);

/* Writes model_path with QuantizeLinear/DequantizeLinear pairs carrying the scales of
 * opt->scales (per-tensor for activations, per-output-channel int8 weights) wherever an INT8
 * engine built with opt would run INT8 (graph passes off, so names match the file). Needs opset
 * >= 13. *n_activations / *n_weights (may be NULL) receive the counts of Q/DQ pairs inserted. */
c8_status c8_export_qdq(const char *model_path, const c8_build_options *opt, const char *out_path,
                        int64_t *n_activations, int64_t *n_weights, c8_error *err);

/* Reads a serialized ONNX TensorProto file (".pb", as ONNX's test data stores inputs) into out:
 * dtype, shape and data (malloc'd, owned by out: c8_host_tensor_free of util.h); out->name is
 * NULL. Errors name path. */
c8_status c8_tensor_read_onnx(const char *path, c8_host_tensor *out, c8_error *err);

/* ---------------------------------------------------------------- contexts */

/* Called after a layer has written a tensor, for calibration and dumps. `name` is the ONNX
 * tensor name; the tensor's data is valid only during the call. A non-OK return stops the run
 * with that status. */
typedef c8_status (*c8_tensor_observer)(void *user, const char *name, const c8_host_tensor *t,
                                        c8_error *err);

c8_status c8_context_create(c8_engine *e, c8_context **out, c8_error *err);
void c8_context_destroy(c8_context *c);

/* Observes every tensor the run computes (and the inputs), or only those listed in `names`
 * (n_names > 0; strings copied). fn NULL turns observing off. Observing may keep activations
 * alive longer (the memory plan does not reuse observed tensors' memory). */
c8_status c8_context_set_observer(c8_context *c, c8_tensor_observer fn, void *user,
                                  const char *const *names, int n_names, c8_error *err);

/* Like c8_context_set_observer, but the tensor's data stays where the engine computed it (device
 * memory on a GPU engine, host memory on the CPU): for code that works on the device, such as
 * c8_context_bin_tensor. */
c8_status c8_context_set_device_observer(c8_context *c, c8_tensor_observer fn, void *user,
                                         const char *const *names, int n_names, c8_error *err);

/* Bins an observed float32 tensor (its data where the engine keeps it, as a device observer sees
 * it) on the engine's device under the calibration histogram's rule (docs/calibration.md,
 * "Histograms"): absmax, min and max of the values, and |x| in b->nbins equal bins over
 * [0, 2^range_exp), range_exp the rule's range for this tensor's absmax. b->counts (b->nbins
 * entries, the caller's) is overwritten. calib/ merges the result into its histograms exactly
 * (the same bins as c8_hist_add). NaN / Inf fail with C8_ERR_INVALID naming the tensor, the
 * batch and the element. */
typedef struct c8_tensor_bins {
    int64_t nbins;    /* in: even, 2 .. 2^24 */
    uint64_t *counts; /* in: (nbins) counts, overwritten */
    int range_exp;    /* out */
    float absmax;     /* out: max |x| */
    float min, max;   /* out: without the sign of zero (0 for no values) */
} c8_tensor_bins;
c8_status c8_context_bin_tensor(c8_context *c, const c8_host_tensor *t, int64_t batch,
                                c8_tensor_bins *b, c8_error *err);

/* Runs the engine on n host input tensors, matched by name (a NULL name: positional). Every
 * dynamic extent takes the given size; fixed extents must match. */
c8_status c8_context_run(c8_context *c, const c8_host_tensor *inputs, int n, c8_error *err);

/* A device context (CUDA) runs its last run's inputs again: they stay in device memory for the
 * whole run, so there is no upload; download false also leaves the outputs on the device (then
 * c8_context_output fails until a run downloads them). This is how `calib8 bench --io device`
 * measures the forward alone, as a framework does whose input is already on the GPU. Observers
 * of the inputs are not called again. C8_ERR_UNSUPPORTED on the CPU (it reads the caller's
 * buffers; call c8_context_run), C8_ERR_INVALID before a first run. */
c8_status c8_context_run_again(c8_context *c, bool download, c8_error *err);

/* Output i of the last run (float32 unless the model says otherwise); data borrowed from the
 * context, valid until the next run or destroy. */
c8_status c8_context_output(c8_context *c, int i, c8_host_tensor *out, c8_error *err);

/* Interruption: calib8's one mechanism, process-wide (for a SIGINT handler). While *flag is
 * non-zero, c8_context_run stops before its next layer with C8_ERR_INTERRUPTED "interrupted by
 * <what> (before layer 'conv3')"; the loops built on runs stop with C8_ERR_INTERRUPTED and write
 * nothing (c8_calibrate and c8_report_evaluate also check between batches and say "after N of
 * M images"; c8_report_compare and c8_report_fallback stop through their runs). flag is
 * borrowed (it must outlive every run; a static variable set by the handler); NULL turns the
 * check off. c8_interrupt_pending says whether the flag is set now (and *what, if what is
 * non-NULL, the name given: "SIGINT"), for loops of one's own. */
void c8_set_interrupt_flag(volatile sig_atomic_t *flag, const char *what);
bool c8_interrupt_pending(const char **what);

/* Limits the memory a context allocates for its input shapes (the activation arena; on a GPU
 * also the uploaded constants and the host copies of the outputs) to max_bytes; 0 (the default)
 * means no limit. A run whose shapes would need more fails with C8_ERR_LIMIT and the numbers
 * ("needs 12.3 GiB of activation memory for batch 256, the memory limit (--max-memory) is
 * 8 GiB") before anything is allocated, instead of being killed by the OOM killer. */
void c8_context_set_max_memory(c8_context *c, uint64_t max_bytes);
/* Bytes the context holds for its current input shapes (0 before the first run). */
uint64_t c8_context_memory(const c8_context *c);

/* The CPU threads a context's runs use (calib8 --threads): oneDNN's primitives on the `cpu`
 * device and the host histogram binning (c8_context_bin_tensor); the reference kernels
 * (`cpu-ref`) run on one thread whatever the setting. threads <= 0 (the default): OpenMP's
 * default, all cores unless OMP_NUM_THREADS says otherwise. The setting belongs to the context
 * and applies only during its own calls (docs/cli.md, "Threads"). Results do not depend on it:
 * INT8 outputs and calibration caches are bit for bit the same for any count; FP32 outputs of
 * `cpu` too, except as docs/cli.md states. */
void c8_context_set_threads(c8_context *c, int threads);
int c8_context_threads(const c8_context *c);
/* The thread count a context runs with: its setting, or where that is <= 0 OpenMP's default for
 * the calling thread (1 in a build without OpenMP). What `calib8 bench --json` records. */
int c8_context_threads_used(const c8_context *c);

/* ---- timing and device description (calib8 bench) ---- */

/* Device timing marks (CUDA events on the context's stream): c8_context_mark records mark slot
 * (0..C8_CONTEXT_MARKS-1) after the work queued so far; c8_context_elapsed waits for both marks
 * and gives the milliseconds between them. C8_ERR_UNSUPPORTED on the CPU (time with a host
 * clock there); c8_context_has_marks says which. */
#define C8_CONTEXT_MARKS 4
bool c8_context_has_marks(const c8_context *c);
c8_status c8_context_mark(c8_context *c, int slot, c8_error *err);
c8_status c8_context_elapsed(c8_context *c, int slot_a, int slot_b, float *ms, c8_error *err);

/* What a context's device is (0 / "" where unknown; kind "cpu" with online_cpus on the CPU). */
typedef struct c8_device_info {
    char kind[8]; /* "cpu" or "cuda" */
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
    int online_cpus;  /* the CPU: processors online */
} c8_device_info;
c8_status c8_context_device_info(c8_context *c, c8_device_info *out, c8_error *err);

#ifdef __cplusplus
}
#endif
#endif
