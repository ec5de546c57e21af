/* calib8 accuracy-drift reports: what INT8 (and FP16) cost, end to end and layer by layer, and
 * the automatic search for the few layers to keep in floating point.
 *
 *   metrics     SQNR, cosine similarity, relative L2 error, max abs error and the share of
 *               clipped values of a tensor against its FP32 reference (c8_report_metrics);
 *               Wilson score intervals for accuracies.
 *   drift       every output of any model against FP32's, by output kind (class scores, dense
 *               maps, sequences): agreement, map IoU, CTC strings; no labels needed.
 *   c8_report   one report: end-to-end accuracies per precision with the flipped predictions,
 *               per-layer comparisons and histograms, the per-layer sensitivity ranking, the
 *               fallback search's steps, calibration provenance and settings. Filled by
 *               c8_report_compare (`calib8 compare`) and/or c8_report_fallback (`calib8 build
 *               --max-drift`); written as report.json (versioned schema), report.md and a
 *               self-contained report.html by c8_report_write.
 *
 * The definitions (formulas, the JSON schema, which engines are compared and why) are in
 * docs/report.md; tests in tests/reports/.
 *
 * Ownership: handles come from *_create and go to the matching *_destroy (NULL is a no-op).
 * Strings passed in are copied. Strings returned by accessors are borrowed from the report and
 * stay valid until it is destroyed. */
#ifndef CALIB8_REPORT_H
#define CALIB8_REPORT_H

#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Format version of report.json (key "format_version"); bumped on incompatible changes. */
#define C8_REPORT_FORMAT_VERSION 1
/* Default number of images for the per-layer comparison and the sensitivity analysis. */
#define C8_REPORT_DEFAULT_LAYER_IMAGES 64

/* ======================= tensor metrics ======================= */

/* Sums over the compared values (float64), so chunks of a tensor (batches) can be added one
 * after another. ref is the FP32 engine's value, x the other engine's (int8 dequantized). */
typedef struct c8_report_metrics {
    int64_t count;      /* values compared */
    double sum_ref2;    /* sum ref^2 */
    double sum_x2;      /* sum x^2 */
    double sum_dot;     /* sum ref * x */
    double sum_err2;    /* sum (ref - x)^2 */
    double max_abs_err; /* max |ref - x| */
    double max_abs_ref; /* max |ref|: FP32's scale, which an error is measured against */
    float clip_limit;   /* 127 * cache scale; 0 when the tensor has no scale */
    int64_t clipped;    /* values with |ref| > clip_limit (only counted when clip_limit > 0) */
    int64_t nonfinite;  /* NaN or Inf in x or ref (such pairs are otherwise skipped) */
} c8_report_metrics;

/* Zeroes m and sets the clip limit to 127 * scale (scale <= 0: no limit, clip share unknown). */
void c8_report_metrics_init(c8_report_metrics *m, float scale);
/* Adds n pairs. */
void c8_report_metrics_add(c8_report_metrics *m, const float *ref, const float *x, size_t n);
/* Adds n pairs where x is int8 with scale s: x = (float)q * s (c8_quant_dequantize). */
void c8_report_metrics_add_int8(c8_report_metrics *m, const float *ref, const int8_t *q, float s,
                                size_t n);
/* 10 log10(sum ref^2 / sum (ref - x)^2) in dB. +INFINITY when x equals ref exactly (including
 * an all-zero pair); -INFINITY when ref is all zero and x is not; NaN when nothing was added. */
double c8_report_sqnr_db(const c8_report_metrics *m);
/* sum ref*x / sqrt(sum ref^2 * sum x^2); 1 when both are all zero, 0 when exactly one is; NaN
 * when nothing was added. */
double c8_report_cosine(const c8_report_metrics *m);
/* sqrt(sum (ref - x)^2 / sum ref^2); 0 when exact, +INFINITY when ref is all zero and x is not;
 * NaN when nothing was added. */
double c8_report_rel_l2(const c8_report_metrics *m);
/* clipped / count; NaN when the tensor has no scale or nothing was added. */
double c8_report_clip_share(const c8_report_metrics *m);

/* Wilson score interval for k successes in n trials at 95% (z = 1.959963984540054), as
 * fractions in [0, 1]: center (k + z^2/2) / (n + z^2), half width
 * z sqrt(k (n - k) / n + z^2 / 4) / (n + z^2). n = 0 gives [0, 1]. */
void c8_report_wilson95(int64_t k, int64_t n, double *lo, double *hi);

/* Top-1 class of a logit row (the first maximum; NaN never wins) and the rank of `label` (how
 * many classes score higher, ties broken by the lower index, as calib8 eval counts them). */
int64_t c8_report_argmax(const float *logits, int64_t k);
int64_t c8_report_label_rank(const float *logits, int64_t k, int64_t label);

/* A --layer-precision spec keeping `names` (engine layer names) at precision p:
 * "name1:fp32,name2:fp32". fnmatch's special characters ('*', '?', '[', ']', '\\') are escaped
 * with '\\' so each item matches only its own name; ':' needs nothing (the builder splits an
 * item at its last ':'). A name containing ',' cannot be expressed (the builder splits the spec
 * at every ','): C8_ERR_UNSUPPORTED naming the layer, as is an empty name. *out is malloc'd
 * (caller frees); "" for n = 0. */
c8_status c8_report_layer_spec(const char *const *names, int n, c8_precision p, char **out,
                               c8_error *err);

/* ======================= reports ======================= */

typedef struct c8_report c8_report;

/* An empty report. *out is owned by the caller (c8_report_destroy). */
c8_status c8_report_create(c8_report **out, c8_error *err);
void c8_report_destroy(c8_report *r);

/* Records a setting of the run for the report's "settings" section (key and value copied; a
 * key set twice keeps the last value, in the first position). */
c8_status c8_report_set(c8_report *r, const char *key, const char *value, c8_error *err);

/* ---- end to end: predictions of several precisions on the same images ---- */

/* Starts the end-to-end section for n precisions (distinct; C8_PREC_FP32 must be one of them:
 * it is the reference) over `classes` classes. Replaces an earlier section. */
c8_status c8_report_e2e_begin(c8_report *r, const c8_precision *precisions, int n, int64_t classes,
                              c8_error *err);
/* Adds n images: logits[j] is (n, classes) float32 for precisions[j]; labels (n) are class
 * indices in [0, classes) (C8_ERR_INVALID otherwise); names (n, copied) name the images in the
 * flipped-prediction list (NULL: "#<index>"). */
c8_status c8_report_e2e_add(c8_report *r, int64_t n, const float *const *logits,
                            const int64_t *labels, const char *const *names, c8_error *err);

typedef struct c8_report_e2e_stats {
    int64_t images;
    int64_t correct_top1, correct_top5;
    double top1, top5;       /* percent */
    double top1_lo, top1_hi; /* 95% Wilson interval, percent */
    double top5_lo, top5_hi;
    int64_t agree;              /* images whose top-1 class equals FP32's */
    double agreement;           /* percent */
    int64_t flipped;            /* images - agree */
    int64_t flipped_to_wrong;   /* FP32 was right, this precision is wrong */
    int64_t flipped_to_right;   /* FP32 was wrong, this precision is right */
    bool has_logit_diff;        /* false when only predictions were recorded */
    double mean_abs_logit_diff; /* mean over every logit of every image of |x - fp32| */
    double max_abs_logit_diff;
} c8_report_e2e_stats;

/* The statistics of precision p; C8_ERR_NOT_FOUND when p is not in the section. */
c8_status c8_report_e2e_stats_get(const c8_report *r, c8_precision p, c8_report_e2e_stats *out,
                                  c8_error *err);
/* Flipped predictions of precision p (images whose top-1 differs from FP32's), in image order:
 * count, and the i-th one's image name, label, FP32 class and class under p. */
int64_t c8_report_num_flips(const c8_report *r, c8_precision p);
void c8_report_flip(const c8_report *r, c8_precision p, int64_t i, const char **image,
                    int64_t *label, int64_t *pred_fp32, int64_t *pred);

/* ---- drift of every output against FP32 (any model; no labels needed) ---- */

/* What an output holds, which decides the measures beyond SQNR / cosine / max abs diff.
 * Values are only ever appended. */
typedef enum c8_output_kind {
    C8_OUTPUT_AUTO = 0,     /* a request only: decide from the shape (c8_report_output_kind) */
    C8_OUTPUT_CLASSES = 1,  /* class scores: top-1 agreement per image */
    C8_OUTPUT_MAP = 2,      /* dense map (a detector's probability map): IoU and pixel agreement
                               of the maps thresholded at map_threshold */
    C8_OUTPUT_SEQUENCE = 3, /* T x classes per image: per-position argmax agreement; with a CTC
                               blank, agreement of the decoded strings */
    C8_OUTPUT_GENERIC = 4,  /* anything else: SQNR, cosine, max abs diff only */
} c8_output_kind;

/* DB's (PaddleOCR detector's) binarisation threshold: a pixel is text when its value > 0.3. */
#define C8_REPORT_DEFAULT_MAP_THRESHOLD 0.3

/* The kind of an output of shape s (N leading; extents <= 0 are unknown):
 *   (N, K) or (N, K, 1, 1), K != 1      class scores
 *   (N, 1, H, W), H x W != 1            dense map
 *   (N, T, C), C != 1                   sequence (T positions of C classes)
 *   anything else                       generic
 * A (N, H, W) map has the shape of a sequence: pass C8_OUTPUT_MAP to read it as a map (the
 * CLI's --output-kind). Unknown extents count as "not 1". */
c8_output_kind c8_report_output_kind(const c8_shape *s);
/* "classes", "map", "sequence", "generic" ("auto" for C8_OUTPUT_AUTO); the words used in
 * report.json and by --output-kind. */
const char *c8_report_output_kind_name(c8_output_kind k);
/* Parses such a word (false when it is none of them). */
bool c8_report_output_kind_parse(const char *s, c8_output_kind *k);

/* Greedy CTC decoding of one (T, C) row-major score sequence: the argmax of each position
 * (c8_report_argmax), repeats collapsed, then `blank` dropped. out (T) receives the labels;
 * returns how many. */
int64_t c8_report_ctc_decode(const float *scores, int64_t t, int64_t c, int64_t blank,
                             int64_t *out);

typedef struct c8_drift_options {
    double map_threshold; /* maps: value > threshold is "on", compared in float32 (default 0.3) */
    int64_t ctc_blank;    /* sequences: blank class for CTC decoding, or -1 (default): no
                             string agreement */
    c8_output_kind kind;  /* every output read as this kind; AUTO (default): by shape */
} c8_drift_options;

void c8_drift_options_init(c8_drift_options *o);

/* Starts the drift section: n precisions (distinct, FP32 among them: the reference), n_outputs
 * outputs with their names (copied) and per-image shapes (shape[o] without the batch: (K) for
 * (N, K) scores, (1, H, W) for a map, (T, C) for a sequence). A kind that does not fit a shape
 * (a sequence needs (T, C); the CTC blank must be below C) is C8_ERR_INVALID naming the
 * output. Replaces an earlier section. */
c8_status c8_report_drift_begin(c8_report *r, const c8_precision *precisions, int n, int n_outputs,
                                const char *const *names, const c8_shape *shapes,
                                const c8_drift_options *o, c8_error *err);
/* Adds n images: out[j * n_outputs + o] is output o of precisions[j], (n, per-image shape)
 * float32. names (n; NULL: "image") name the first image with a NaN/Inf output. Every sum is
 * float64 over all images added so far. */
c8_status c8_report_drift_add(c8_report *r, int64_t n, const float *const *out,
                              const char *const *names, c8_error *err);

typedef struct c8_report_drift {
    const char *output; /* borrowed from the report */
    c8_output_kind kind;
    bool kind_forced; /* from c8_drift_options.kind rather than the shape */
    c8_shape shape;   /* per image */
    int64_t images;
    c8_report_metrics m; /* every value of the output, this precision against FP32 */
    double sqnr_db, cosine, max_abs_diff; /* from m (c8_report_sqnr_db, c8_report_cosine) */
    /* FP32's own scale: sqrt(sum ref^2 / count) and max |ref| (NaN when nothing was compared).
     * SQNR is relative to it: a detector's map that is near zero everywhere (no text) has an rms
     * of 1e-8, and an error of 1e-7 there is a low SQNR, not a rounding slip. */
    double ref_rms, ref_max_abs;
    /* classes: images with FP32's top-1 class; map: pixels on/off as in FP32's map; sequence:
     * positions with FP32's argmax. compared: images / pixels / positions. */
    int64_t agree, compared;
    double agreement; /* percent; NaN for generic outputs */
    /* maps: |on in both| and |on in either|, summed over every image; IoU = inter / uni (1 when
     * both maps are empty everywhere); NaN for other kinds */
    int64_t map_inter, map_union;
    double map_iou;
    /* sequences with a CTC blank: images whose decoded strings equal FP32's */
    bool has_strings;
    int64_t strings_agree;
    double string_agreement; /* percent, NaN without a blank */
} c8_report_drift;

/* Outputs in the drift section (0 when there is none). */
int c8_report_drift_num_outputs(const c8_report *r);
/* Output o under precision p; C8_ERR_NOT_FOUND when o or p is not in the section. */
c8_status c8_report_drift_get(const c8_report *r, int o, c8_precision p, c8_report_drift *out,
                              c8_error *err);

/* ---- evaluation (calib8 eval) ---- */

typedef struct c8_eval_options {
    uint64_t max_memory; /* limit of the engine's context (c8_context_set_max_memory); 0: none */
    c8_progress_mode progress;
    int threads; /* CPU threads of the engine's context (c8_context_set_threads); <= 0: the
                    engine's default (c8_build_options.threads; a loaded plan: all cores) */
} c8_eval_options;

/* No memory limit, automatic progress. */
void c8_eval_options_init(c8_eval_options *o);

typedef struct c8_eval_result {
    int64_t images;
    int64_t correct_top1, correct_top5; /* label rank (c8_report_label_rank) < 1, < 5 */
    double top1, top5;                  /* percent */
    /* NaN/Inf in the scores: values, images with at least one, and the first such image
     * ("<file> (image <index>)"; "" when none). Such images are still ranked (a NaN score
     * ranks below every number); the caller decides whether that is an error. */
    int64_t nonfinite_values, nonfinite_images;
    char first_nonfinite[512];
} c8_eval_result;

/* Top-1 and top-5 accuracy of e (a single (N, C, H, W) float input with C, H, W known; output 0
 * (N, classes) float32) over every image of ds, which needs labels; images preprocessed by pre
 * and batched by lo (a loader over ds). A label outside the model's classes is C8_ERR_INVALID
 * naming the image. Interruption (c8_set_interrupt_flag) is checked between batches and after
 * the last one: C8_ERR_INTERRUPTED "interrupted by <what> after N of M images; nothing
 * written". o NULL: defaults. */
c8_status c8_report_evaluate(c8_engine *e, const c8_dataset *ds, const c8_preprocess *pre,
                             const c8_loader_opts *lo, const c8_eval_options *o,
                             c8_eval_result *res, c8_error *err);
/* C8_OK when output 0 of e holds class scores (c8_report_output_kind of its shape); otherwise
 * C8_ERR_UNSUPPORTED saying what it holds ("output 'sigmoid_0.tmp_0' is a 1x1x96x96 dense map,
 * not class scores: use `calib8 compare` for drift against FP32"). c8_report_evaluate checks
 * this first; what names the model or plan in the message. */
c8_status c8_report_eval_check_output(const c8_engine *e, const char *what, c8_error *err);
/* Writes the result as calib8 eval --json does, atomically: {"top1", "top5", "images",
 * "correct_top1", "correct_top5", "nonfinite_outputs", "nonfinite_images", "source",
 * "model_sha256", "dataset_manifest_sha256"}. */
c8_status c8_report_eval_write_json(const c8_eval_result *r, const char *source,
                                    const char *model_sha256, const char *dataset_sha256,
                                    const char *path, c8_error *err);

/* ---- calib8 compare ---- */

typedef struct c8_compare_options {
    const char *calib_cache;     /* required when int8 is compared; read and checked as
                                    c8_calib_cache_load_for_model does */
    bool fp16;                   /* compare FP16 (default true) */
    bool int8;                   /* compare INT8 (default true); FP32 is always the reference */
    c8_precision fallback;       /* INT8 engine: where INT8 is not possible (default FP32) */
    const char *layer_precision; /* INT8 engine: --layer-precision overrides, or NULL */
    c8_device device;
    int threads;                 /* CPU threads of every engine (c8_build_options.threads) */
    bool passes;                 /* graph passes for the end-to-end engines (default true) */
    bool allow_cache_mismatch;   /* use a stale cache (see c8_calib_cache_load_for_model) */
    int64_t layer_images;        /* per-layer comparison and sensitivity images (default 64;
                                    0: skip both) */
    bool sensitivity;            /* run the per-layer sensitivity analysis (default true) */
    const char *histograms_path; /* HDF5 histogram file from calibrate --save-histograms, or
                                    NULL: histograms collected on the layer images */
    int64_t hist_bins;           /* bins when collecting (default 2048) */
    const char *dump_path;       /* write the compared tensors to this HDF5 file, or NULL */
    c8_drift_options drift;      /* per-output drift against FP32 (map threshold, CTC blank,
                                    output kind) */
    c8_progress_mode progress;
    FILE *log; /* progress lines and summaries (NULL: quiet) */
} c8_compare_options;

void c8_compare_options_init(c8_compare_options *o);

/* Runs `calib8 compare` into r: every precision over ds (images preprocessed by pre and batched
 * by lo): the drift of every output against FP32 (c8_report_drift_*, always) and, when ds has
 * labels and output 0 holds class scores, the end-to-end section of output 0 (top-1, top-5,
 * flips); then, on the first layer_images images, the FP32 and INT8 engines built WITHOUT
 * graph passes (so every ONNX tensor exists in both; see docs/report.md) compared tensor by
 * tensor, the histograms with every algorithm's threshold, and the sensitivity analysis (one
 * engine per INT8 layer, with only that layer in FP32); plus the INT8 engine's fallback
 * layers, the cache's sidecar and the settings. The model must have a single (N, C, H, W)
 * float input with C, H, W known. */
c8_status c8_report_compare(c8_report *r, const c8_model *m, const c8_dataset *ds,
                            const c8_preprocess *pre, const c8_loader_opts *lo,
                            const c8_compare_options *o, c8_error *err);

/* Records the settings `calib8 compare` writes into the report (c8_report_set, in this order):
 * "model" (c8_model_path), "model sha256", "calibration cache" (o->calib_cache), "data" (data:
 * the data set as the caller names it), "dataset manifest sha256", "images" (c8_dataset_count),
 * "preprocessing" (c8_preprocess_describe), "batch" (lo->batch), "requested precisions"
 * (precisions, e.g. "fp32,fp16,int8") and "histograms" (o->histograms_path, or "collected on
 * layer images"). For every caller of c8_report_compare that reports what the CLI reports. */
c8_status c8_report_set_compare_settings(c8_report *r, const c8_model *m, const c8_dataset *ds,
                                         const c8_preprocess *pre, const c8_loader_opts *lo,
                                         const c8_compare_options *o, const char *data,
                                         const char *precisions, c8_error *err);

/* ---- automatic fallback ---- */

typedef struct c8_fallback_options {
    double max_drift;    /* percentage points of top-1 below FP32 that are acceptable */
    int64_t images;      /* verify on the first `images` images of ds (-1, default: all) */
    int64_t rank_images; /* images of the sensitivity ranking (default 64; <= images) */
    int64_t max_steps;   /* stop after this many layers were added (default: no limit) */
    /* The calibration cache file behind bo->scales, recorded in the report with its sidecar
     * (the calibration's provenance); NULL: the report has no calibration section. */
    const char *calib_cache;
    /* Sequence outputs (N, T, classes), e.g. a CTC text recognizer: the CTC blank class; the
     * search then needs no labels and measures, instead of top-1, the share of images whose
     * greedy CTC-decoded string equals FP32's (FP32 scores 100%), so max_drift is in points of
     * that agreement. -1 (default): top-1 against the labels. */
    int64_t ctc_blank;
    c8_progress_mode progress;
    FILE *log; /* the steps as they are measured (NULL: quiet) */
} c8_fallback_options;

void c8_fallback_options_init(c8_fallback_options *o);

/* Finds a small set of layers to keep out of INT8 so that the top-1 drift against FP32 on the
 * first fo->images images of ds is at most fo->max_drift points. bo is the INT8 build (its
 * precision must be C8_PREC_INT8; bo->fallback, FP32 or FP16, is the precision the chosen
 * layers get; bo->layer_precision, when set, stays in force before the generated items). Steps:
 * FP32 and all-INT8 top-1 on the images; if the drift is too large, the INT8 layers are ranked
 * by sensitivity on the first rank_images images (engines without passes, one layer at a time
 * in bo->fallback precision, by the gain in logit SQNR), then added in that order, one per
 * step, each step rebuilt with bo's options and verified end to end, until the drift is met.
 * Every step is recorded in r (and printed to fo->log). Returns C8_OK when the target was met;
 * C8_ERR_LIMIT when every layer was added (or max_steps reached) without meeting it (r still
 * holds the steps). */
c8_status c8_report_fallback(c8_report *r, const c8_model *m, const c8_build_options *bo,
                             const c8_dataset *ds, const c8_preprocess *pre,
                             const c8_loader_opts *lo, const c8_fallback_options *fo,
                             c8_error *err);
/* Whether the last search met its target; the layer names it chose (count, i-th) and the
 * generated --layer-precision spec for them ("" when none are needed; NULL before a search).
 * To build the chosen engine, append the spec to bo->layer_precision (comma-separated). */
bool c8_report_fallback_met(const c8_report *r);
int c8_report_fallback_num_layers(const c8_report *r);
const char *c8_report_fallback_layer(const c8_report *r, int i);
const char *c8_report_fallback_spec(const c8_report *r);
/* Steps of the search: step 0 is all-INT8; step i added the i-th ranked layer. */
typedef struct c8_report_fallback_step {
    int layers;        /* layers kept out of INT8 at this step */
    const char *added; /* the layer added at this step (NULL for step 0) */
    int64_t correct;   /* top-1 correct on the verification images */
    double top1;       /* percent */
    double drift;      /* FP32 top-1 minus this top-1, percentage points */
    bool met;
} c8_report_fallback_step;
int c8_report_fallback_num_steps(const c8_report *r);
void c8_report_fallback_get_step(const c8_report *r, int i, c8_report_fallback_step *out);

/* ---- output ---- */

/* Writes DIR/report.json, DIR/report.md and DIR/report.html (each atomically), creating DIR
 * when missing. Sections that were not filled are written as null / left out (docs/report.md). */
c8_status c8_report_write(const c8_report *r, const char *dir, c8_error *err);
/* The single files. */
c8_status c8_report_write_json(const c8_report *r, const char *path, c8_error *err);
c8_status c8_report_write_md(const c8_report *r, const char *path, c8_error *err);
c8_status c8_report_write_html(const c8_report *r, const char *path, c8_error *err);

/* The non-finite (NaN/Inf) output values the comparison of r saw (every output of every
 * precision when the drift section is present, else the end-to-end logits): values, images
 * with at least one, and the first such image ("fm/0042.png (image 17, int8)"; NULL when
 * none). Such outputs are still compared; the caller decides whether that is an error (the
 * CLI's --allow-nonfinite). */
void c8_report_e2e_nonfinite(const c8_report *r, int64_t *values, int64_t *images,
                             const char **first);

#ifdef __cplusplus
}
#endif
#endif
