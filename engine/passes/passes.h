/* The graph optimizer: passes over the IR (ops/ir.h) that run between import and engine
 * build, each preserving FP32 results. Internal to libcalib8; docs/passes.md is the user-facing
 * description. Tests: tests/engine/passes/.
 *
 * Every pass has the signature
 *     c8_status c8_pass_<name>(c8_graph *g, c8_pass_log *log, c8_error *err)
 * Precondition: g is finalized (topological order, producers set) and shape-inferred, as
 * c8_model_load leaves it. Postcondition: the same; a pass that changed something has compacted
 * the graph (value and node indices change). New values carry dtype and shape. log may be NULL.
 *
 * Order used by c8_graph_optimize (each pass enables the next):
 *   1. dead_layers      Identity and inference Dropout removed (consumers rewired); nodes whose
 *                       outputs nothing reads removed.
 *   2. fold_constants   nodes whose inputs are all constants run once (c8_graph_infer, fold).
 *   3. fold_batchnorm   BatchNormalization, then Mul/Add/Sub by per-channel constants, folded
 *                       into the weights and bias of the preceding Conv / ConvTranspose / Gemm.
 *   4. fuse_residual    Conv + Add(other tensor of exactly the same shape) -> FusedConv with
 *                       fusion.residual.
 *   5. fuse_activation  Conv/FusedConv + Relu|Clip|LeakyRelu|Sigmoid -> FusedConv (fusion.act);
 *                       Gemm + activation -> Gemm with fusion.act.
 *   5b. fuse_hardswish  Conv/FusedConv + the hard-swish chain (Add 3, Clip 0..6, Mul, Div 6) and
 *                       an optional scalar affine -> FusedConv (fusion.act = HARDSWISH).
 *   6. fuse_horizontal  1x1 convolutions reading one tensor -> one convolution + Split.
 *   7. inplace_concat   Concat nodes whose inputs can be written in place get c8_inplace = 1.
 *
 * ---- names, and where the INT8 builder finds scales ----
 * Calibration runs on the model as the ONNX file names it: cache tensor names are the ONNX
 * tensor names before any pass. The passes keep those names for every tensor that survives:
 *  - A fused node writes the output value of the LAST op folded into it, under that op's ONNX
 *    name: Conv+BN+ReLU writes the Relu's output tensor; Conv+BN+Add+ReLU writes the Relu's;
 *    Conv+BN writes the BN's; Gemm+Relu the Relu's. Its output scale is that tensor's scale.
 *  - Tensors between the fused ops disappear: the Conv (or Gemm) output, the BN output and the
 *    Mul/Add outputs when something follows them, the residual Add's output when an activation
 *    follows it. Their calibration entries are simply unused.
 *  - A fused residual (fusion.residual) is an existing tensor under its ONNX name: its scale is
 *    that tensor's scale. The input of a fused node keeps its name and scale.
 *  - Identity/Dropout removal: the consumers read the Identity's input tensor, so the Identity's
 *    output name disappears -- except when that output is a graph output: then the producer of
 *    the Identity's input writes the output tensor directly and the input's name disappears
 *    (the two tensors hold the same values, so either scale fits).
 *  - Horizontal fusion: the merged convolution writes a new tensor (its name is new and has no
 *    calibration entry) that a Split (axis 1) cuts back into the original output tensors, which
 *    keep their names. The merged conv carries INTS attribute c8_out_channels (channels per
 *    original output, in order) and STRINGS attribute c8_out_names (the original tensor names):
 *    its per-output-channel output scales are the scales of those tensors.
 *  - Node names: a fused node keeps the name of the node it started from (the Conv or Gemm);
 *    fusion.label lists every ONNX node folded into it, "CBR(conv1+bn1+relu1)" (letters below).
 *    A horizontally merged conv is named "<member1>+<member2>+..." and labelled
 *    "H(<member label or name>+...)"; its Split is "<merged name>/split".
 *
 * Label letters: C Conv, D ConvTranspose, G Gemm, B BatchNormalization, M Mul, A Add (bias or
 * residual), S Sub, R Relu, K Clip, L LeakyRelu, Y Sigmoid, V Div.
 */
#ifndef C8_ENGINE_PASSES_H
#define C8_ENGINE_PASSES_H

#include "calib8/status.h"
#include "ops/ir.h"

#include <stdbool.h>
#include <stdio.h>

/* The passes, in the order c8_graph_optimize runs them (fuse_hardswish, appended later, runs
 * after fuse_activation). Values are only ever appended. */
typedef enum c8_pass_id {
    C8_PASS_DEAD_LAYERS = 0,
    C8_PASS_FOLD_CONSTANTS = 1,
    C8_PASS_FOLD_BATCHNORM = 2,
    C8_PASS_FUSE_RESIDUAL = 3,
    C8_PASS_FUSE_ACTIVATION = 4,
    C8_PASS_FUSE_HORIZONTAL = 5,
    C8_PASS_INPLACE_CONCAT = 6,
    C8_PASS_FUSE_HARDSWISH = 7, /* runs right after fuse_activation */
    C8_PASS_COUNT_ = 8
} c8_pass_id;

/* "dead_layers", "fold_constants", ...; never NULL. */
const char *c8_pass_name(c8_pass_id p);
/* The pass called name, or -1. */
int c8_pass_from_name(const char *name);

/* ---- the pass log: one line per change, counts per pass ---- */

typedef struct c8_pass_log c8_pass_log;

/* An empty log, owned by the caller (c8_pass_log_destroy); NULL when out of memory. */
c8_pass_log *c8_pass_log_create(void);
void c8_pass_log_destroy(c8_pass_log *log); /* NULL is a no-op */
/* Appends "<pass name>: <message>" and counts one change for pass. log NULL is a no-op. Out of
 * memory loses the line but still counts it (c8_pass_log_print says how many were lost). */
void c8_pass_log_add(c8_pass_log *log, c8_pass_id pass, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Changes recorded for pass (0 for a NULL log). */
int c8_pass_log_count(const c8_pass_log *log, c8_pass_id pass);
/* Number of lines, and line i (borrowed from the log) with its pass. */
int c8_pass_log_size(const c8_pass_log *log);
const char *c8_pass_log_line(const c8_pass_log *log, int i, c8_pass_id *pass);
/* Node counts recorded by c8_graph_optimize (-1 before it ran). */
int c8_pass_log_nodes_before(const c8_pass_log *log);
int c8_pass_log_nodes_after(const c8_pass_log *log);
/* Prints every line, then a per-pass summary and the node counts. */
void c8_pass_log_print(const c8_pass_log *log, FILE *fp);

/* ---- the passes (see the top of this file for what each does) ---- */

c8_status c8_pass_dead_layers(c8_graph *g, c8_pass_log *log, c8_error *err);
c8_status c8_pass_fold_constants(c8_graph *g, c8_pass_log *log, c8_error *err);
c8_status c8_pass_fold_batchnorm(c8_graph *g, c8_pass_log *log, c8_error *err);
c8_status c8_pass_fuse_residual(c8_graph *g, c8_pass_log *log, c8_error *err);
c8_status c8_pass_fuse_activation(c8_graph *g, c8_pass_log *log, c8_error *err);
/* Conv/FusedConv (no activation yet) whose output feeds exactly the hard-swish chain Add(x, 3),
 * Clip(0, 6), Mul(x, .), Div(., 6), optionally followed by Mul(., a) and Add(., b) by
 * one-element constants -> FusedConv with fusion.act = C8_ACT_HARDSWISH, act_a = a, act_b = b
 * (1 and 0 when absent). The same float32 operations in the same order, so FP32 results are
 * unchanged. Off where the engine's backend declares no hard-swish epilogue
 * (c8_backend_vt.unfused_acts; every backend has it today). */
c8_status c8_pass_fuse_hardswish(c8_graph *g, c8_pass_log *log, c8_error *err);
c8_status c8_pass_fuse_horizontal(c8_graph *g, c8_pass_log *log, c8_error *err);
/* Marks Concat nodes with INT attribute c8_inplace = 1 when the executor may let the producers
 * write straight into the Concat's output buffer: the concat axis is 1 of rank-4 (NCHW) data,
 * and every input is an activation (not a graph input, constant or graph output) produced by a
 * node whose only consumer is this Concat (once), which is not itself an in-place Concat. The
 * executor aliases the producers' outputs into the concat buffer when the batch is 1 (then each
 * input is one contiguous slice of the output) and copies otherwise. */
c8_status c8_pass_inplace_concat(c8_graph *g, c8_pass_log *log, c8_error *err);

/* ---- the driver ---- */

typedef struct c8_pass_options {
    bool enable[C8_PASS_COUNT_]; /* indexed by c8_pass_id */
} c8_pass_options;

/* Every pass enabled. */
void c8_pass_options_init(c8_pass_options *o);

/* Runs the enabled passes in the order above (opt NULL: all), then compacts, finalizes and
 * re-infers shapes. Records the node counts before and after in log (may be NULL). On error the
 * graph may be partly optimized: callers run it on a copy (c8_graph_clone). */
c8_status c8_graph_optimize(c8_graph *g, const c8_pass_options *opt, c8_pass_log *log,
                            c8_error *err);

#endif
