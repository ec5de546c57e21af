/* calib8 calibration: histograms of |x|, threshold algorithms, TensorRT calibration caches,
 * JSON sidecars and HDF5 histogram files. The rules (range, algorithms, formats) are written out
 * in docs/calibration.md; this header states the contract of each call.
 *
 * Typical use: c8_calibrate (a data set of dataset.h) or c8_calibrate_source (the caller's
 * batches) runs the whole loop and writes the cache; c8_calib_cache_load_checked reads it back
 * for a build, and c8_calib_cache_scales hands it to c8_engine_build (c8_build_options.scales).
 * examples/calibrate_build_eval.c does all of it. The pieces, for a loop of one's own:
 *   c8_hist_create(2048, &h[t], &err) for each tensor t;
 *   for each batch b, each tensor t: c8_hist_add(h[t], data, n, name[t], b, &err);
 *   c8_calib_compute(c8_calib_algo_find("entropy"), NULL, names, h, n, stats, &err);
 *   c8_calib_save("model.cache", NULL, NULL, &info, stats, n, &err);  (+ "model.cache.json")
 *
 * Ownership: handles are created by *_create / *_read / *_load and released by the matching
 * *_destroy (NULL is a no-op). Strings and arrays returned by accessors are borrowed: they stay
 * valid until the handle is destroyed or modified. Strings passed in are copied unless a
 * comment says "borrowed". */
#ifndef CALIB8_CALIB_H
#define CALIB8_CALIB_H

#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================= histograms of |x| ======================= */

/* Range rule (order- and batch-independent): the range is R = 2^e, the smallest power of two
 * strictly greater than the running absmax, and never below 2^C8_HIST_EXP_MIN (the floor that
 * an all-zero tensor keeps). Bin k covers [k*R/nbins, (k+1)*R/nbins); a value's bin is
 * floor(|x| * nbins / R), computed exactly in float64 (|x| has 24 significant bits and
 * nbins / R at most 24, so the product is exact; subnormals and zero need no special case).
 * When a batch raises absmax to or past R, R doubles (once or more) and bins are merged in
 * pairs exactly (uint64 counts), which gives the same counts as binning everything with the
 * final R. */
#define C8_HIST_EXP_MIN (-148) /* 2^-148 > every subnormal: only absmax = 0 sits at the floor */
#define C8_HIST_DEFAULT_BINS 2048
#define C8_HIST_MIN_BINS 128       /* the entropy search needs 128 quantization levels */
#define C8_HIST_MAX_BINS (1 << 24) /* keeps |x| * nbins / R exact in float64 */

typedef struct c8_hist c8_hist;

/* A histogram with nbins bins (even, C8_HIST_MIN_BINS..C8_HIST_MAX_BINS), no values yet.
 * *out is owned by the caller (c8_hist_destroy). Memory: 8 * nbins bytes, fixed. */
c8_status c8_hist_create(int64_t nbins, c8_hist **out, c8_error *err);
void c8_hist_destroy(c8_hist *h);

/* Adds n float32 values. tensor and batch only name the data in errors: a NaN or an Inf is an
 * error C8_ERR_INVALID "tensor 'conv3': batch 7: NaN at element 123 of 4096" and leaves h
 * unchanged. Two passes over data (absmax/min/max, then binning); no allocation. */
c8_status c8_hist_add(c8_hist *h, const float *data, size_t n, const char *tensor, int64_t batch,
                      c8_error *err);

/* dst += src (same nbins; src unchanged). Exact: the result equals one histogram fed with
 * both value streams, in any order. For multi-threaded or per-device collection. */
c8_status c8_hist_merge(c8_hist *dst, const c8_hist *src, c8_error *err);

/* A histogram from stored parts (histogram files, tests). counts (nbins) is copied. The parts
 * must be consistent: range_exp is the canonical exponent for absmax (see the range rule),
 * absmax == max(|min|, |max|), the last non-empty bin is absmax's bin, min's and max's bins
 * are non-empty, and an empty histogram has absmax = min = max = 0. C8_ERR_INVALID otherwise,
 * with a message saying which rule failed. *out is owned by the caller. */
c8_status c8_hist_create_from(int64_t nbins, int range_exp, const uint64_t *counts, float absmax,
                              float min, float max, c8_hist **out, c8_error *err);

int64_t c8_hist_nbins(const c8_hist *h);
/* (nbins) bin counts, borrowed. */
const uint64_t *c8_hist_counts(const c8_hist *h);
/* e in R = 2^e; R = range; bin width = R / nbins. */
int c8_hist_range_exp(const c8_hist *h);
double c8_hist_range(const c8_hist *h);
double c8_hist_bin_width(const c8_hist *h);
/* Number of values added. */
uint64_t c8_hist_count(const c8_hist *h);
/* max |x|, min x, max x over all values (0 when empty; never -0). */
float c8_hist_absmax(const c8_hist *h);
float c8_hist_min(const c8_hist *h);
float c8_hist_max(const c8_hist *h);

/* ======================= threshold algorithms ======================= */

/* Parameters of the algorithms; each algorithm reads only its own (see c8_calib_algo.params).
 * Fill with c8_calib_params_default, then change what you need. */
typedef struct c8_calib_params {
    double percentile; /* `percentile`: percent of values below the threshold, (0, 100]; 99.99 */
    double mxnet_eps;  /* `entropy-mxnet`: smoothing of empty bins, (0, 1); 0.0001 */
} c8_calib_params;

void c8_calib_params_default(c8_calib_params *p);

/* Bits for c8_calib_algo.params: which parameters an algorithm uses (sidecars record those). */
enum { C8_CALIB_PARAM_PERCENTILE = 1, C8_CALIB_PARAM_MXNET_EPS = 2 };

/* A threshold algorithm: sees only the histogram. h has at least one non-zero value when
 * called (c8_calib_threshold handles empty and all-zero tensors). *threshold > 0, finite. */
typedef c8_status (*c8_calib_threshold_fn)(const c8_hist *h, const c8_calib_params *p,
                                           double *threshold, c8_error *err);

typedef struct c8_calib_algo {
    const char *name;        /* "auto", "entropy", "entropy-mxnet", "minmax", "percentile", "mse" */
    const char *description; /* one line, for --help */
    const char *trt_algorithm; /* cache header token: "EntropyCalibration2", "calib8MSE", ... */
    unsigned params;           /* C8_CALIB_PARAM_* bits */
    c8_calib_threshold_fn threshold;
} c8_calib_algo;

/* The built-in algorithms (static, never freed). find: NULL for an unknown name. at: i-th
 * algorithm, NULL past the end (for listing). The default is C8_CALIB_DEFAULT_ALGO. */
#define C8_CALIB_DEFAULT_ALGO "auto" /* was "entropy" before sidecar format 2 */
const c8_calib_algo *c8_calib_algo_find(const char *name);
const c8_calib_algo *c8_calib_algo_at(int64_t i);

/* The threshold given to a tensor whose values are all zero, whatever the algorithm:
 * scale = c8_calib_scale(1.0) = (float)(1.0 / 127) = 0x3c010204. */
#define C8_CALIB_ZERO_THRESHOLD 1.0

/* Scale for a threshold (symmetric int8): (float)(threshold / 127.0), the division in float64
 * and one rounding to nearest float32; a result below FLT_MIN (including 0 and NaN) becomes
 * FLT_MIN and one above FLT_MAX becomes FLT_MAX, so it is always finite and non-zero. */
float c8_calib_scale(double threshold);

/* Runs algo on h (params NULL = defaults). An empty histogram is C8_ERR_INVALID; an all-zero
 * one gives C8_CALIB_ZERO_THRESHOLD. *scale = c8_calib_scale(*threshold). */
c8_status c8_calib_threshold(const c8_calib_algo *algo, const c8_hist *h,
                             const c8_calib_params *params, double *threshold, float *scale,
                             c8_error *err);

/* Per-tensor result of a calibration. name is borrowed (from the caller's names array). */
typedef struct c8_calib_tensor_stat {
    const char *name;
    float absmax;
    double threshold;
    float scale;
    const char *algo; /* the algorithm whose threshold this is (static or borrowed): the
                         algorithm itself, or for `auto` the candidate it chose; NULL: unknown
                         (sidecars of format version 1) */
} c8_calib_tensor_stat;

/* Runs c8_calib_threshold for n tensors; out (n, caller-allocated) gets names[i] (borrowed)
 * and the results. Errors are prefixed "tensor 'NAME': ". */
c8_status c8_calib_compute(const c8_calib_algo *algo, const c8_calib_params *params,
                           const char *const *names, const c8_hist *const *hists, int64_t n,
                           c8_calib_tensor_stat *out, c8_error *err);

/* ======================= TensorRT calibration caches ======================= */

/* The header version calib8 writes unless told otherwise: TensorRT 10.3.0 numbering
 * (major*10000 + minor*100 + patch from TensorRT 10; major*1000 + minor*100 + patch before). */
#define C8_CALIB_TRT_VERSION_DEFAULT "100300"

typedef struct c8_calib_cache c8_calib_cache;

/* An empty cache whose header will be "TRT-<trt_version>-<trt_algorithm>". trt_version: 1-10
 * digits, NULL = C8_CALIB_TRT_VERSION_DEFAULT; trt_algorithm: 1-64 of [A-Za-z0-9_]. New caches
 * end with a newline (as TensorRT writes them). *out is owned by the caller. */
c8_status c8_calib_cache_create(const char *trt_version, const char *trt_algorithm,
                                c8_calib_cache **out, c8_error *err);
void c8_calib_cache_destroy(c8_calib_cache *c);

/* Reads / parses a cache; `what` (or path) names it in errors, which give the line:
 * "x.cache:3: duplicate tensor 'conv1' (first on line 2)". The accepted syntax and the
 * rejected cases are listed in docs/calibration.md. *out is owned by the caller. */
c8_status c8_calib_cache_read(const char *path, c8_calib_cache **out, c8_error *err);
c8_status c8_calib_cache_parse(const char *text, size_t len, const char *what, c8_calib_cache **out,
                               c8_error *err);

/* The cache as bytes: header, "<name>: <hex>" lines in order, the hex lowercase with no
 * leading zeros, final newline as read (or as created). *text is malloc'd (caller frees),
 * NUL-terminated, *len excludes the NUL. A cache read from a TensorRT file formats to the
 * file's exact bytes unless the file had non-canonical hex (see c8_calib_cache_noncanonical). */
c8_status c8_calib_cache_format(const c8_calib_cache *c, char **text, size_t *len, c8_error *err);
/* Writes c8_calib_cache_format's bytes atomically (temporary file + rename). */
c8_status c8_calib_cache_write(const c8_calib_cache *c, const char *path, c8_error *err);

/* Sets a tensor's scale: replaces it in place if the name exists, else appends. The name must
 * be non-empty without '\n' or '\r'. NaN and negative scales (sign bit set) are refused; 0
 * and +inf are accepted (TensorRT writes them) though calib8's own calibration never makes
 * them. set_bits takes the float32 bit pattern. */
c8_status c8_calib_cache_set(c8_calib_cache *c, const char *name, float scale, c8_error *err);
c8_status c8_calib_cache_set_bits(c8_calib_cache *c, const char *name, uint32_t bits,
                                  c8_error *err);

/* Number of tensors; i-th name / scale / bit pattern in file order (i in [0, count)). */
int64_t c8_calib_cache_count(const c8_calib_cache *c);
const char *c8_calib_cache_name(const c8_calib_cache *c, int64_t i);
float c8_calib_cache_scale(const c8_calib_cache *c, int64_t i);
uint32_t c8_calib_cache_bits(const c8_calib_cache *c, int64_t i);
/* Index of a tensor, -1 if absent. */
int64_t c8_calib_cache_find(const c8_calib_cache *c, const char *name);
/* Convenience: *scale of a named tensor; C8_ERR_NOT_FOUND "tensor 'x' has no scale in the
 * cache" if absent. */
c8_status c8_calib_cache_get(const c8_calib_cache *c, const char *name, float *scale,
                             c8_error *err);
/* Header parts (borrowed): "8501", "EntropyCalibration2". */
const char *c8_calib_cache_trt_version(const c8_calib_cache *c);
const char *c8_calib_cache_trt_algorithm(const c8_calib_cache *c);
/* Whether the text ends with '\n' (kept from the file read; true for created caches). */
bool c8_calib_cache_final_newline(const c8_calib_cache *c);
void c8_calib_cache_set_final_newline(c8_calib_cache *c, bool on);
/* Number of lines read whose hex had uppercase digits or leading zeros (accepted; written back
 * canonically, so such a file does not round-trip byte for byte). */
int64_t c8_calib_cache_noncanonical(const c8_calib_cache *c);
/* SHA-256 of c8_calib_cache_format's bytes, 64 hex digits + NUL into out. */
c8_status c8_calib_cache_sha256(const c8_calib_cache *c, char out[65], c8_error *err);

/* The cache as the scale source of an INT8 build (c8_build_options.scales): every tensor the
 * cache lists, and the cache's SHA-256 (c8_calib_cache_sha256) as its provenance. The source
 * borrows the cache: it must outlive every build and export that uses the source. A cache read
 * from a file and not changed afterwards may serve several threads' builds at once. NULL gives
 * an empty source (get NULL), which c8_engine_build refuses (C8_ERR_INVALID). */
c8_scale_source c8_calib_cache_scales(const c8_calib_cache *cache);

/* Differences between two caches, in a's order then b-only tensors in b's order. */
typedef enum c8_calib_diff_kind {
    C8_CALIB_DIFF_SCALE = 1,  /* in both, scales differ by more than the tolerance */
    C8_CALIB_DIFF_ONLY_A = 2, /* only in a */
    C8_CALIB_DIFF_ONLY_B = 3  /* only in b */
} c8_calib_diff_kind;

typedef struct c8_calib_diff {
    c8_calib_diff_kind kind;
    const char *name; /* borrowed from a (b for ONLY_B) */
    float scale_a;    /* 0 when absent */
    float scale_b;
    double rel; /* |a - b| / max(|a|, |b|) in float64; INFINITY if one is inf */
} c8_calib_diff;

/* Lists tensors only in one cache and those whose scales differ with rel > rel_tol
 * (rel_tol = 0: any bit difference). *out is malloc'd (caller frees; names borrowed), *n its
 * length (0 and NULL when the caches agree). */
c8_status c8_calib_cache_diff(const c8_calib_cache *a, const c8_calib_cache *b, double rel_tol,
                              c8_calib_diff **out, int64_t *n, c8_error *err);

/* ======================= provenance: sidecar and checks ======================= */

/* What a calibration was made from. All strings borrowed when passed in; in objects returned
 * by readers they are owned by that object. NULL strings / 0 numbers mean "unknown" (written
 * as JSON null / HDF5 "" or 0). */
typedef struct c8_calib_info {
    const char *calib8_version;  /* ignored when writing (the running version is written) */
    const char *algorithm;       /* calib8 algorithm name ("entropy"); NULL in a histogram file
                                    written before choosing one */
    const char *input_algorithm; /* the algorithm used for the network inputs when it differs
                                    (calibrate's --input-algo; "minmax" by default), else NULL */
    c8_calib_params params;      /* only the algorithm's own parameters are written */
    int64_t nbins;
    const char *model_sha256;   /* 64 lowercase hex digits */
    const char *dataset_sha256; /* sha256 of the dataset manifest */
    int64_t dataset_images;     /* images in the dataset manifest */
    const char *preprocessing;  /* JSON text (an object or any JSON value), written as JSON */
    int64_t batch_size;
    int64_t images; /* images used for calibration */
} c8_calib_info;

/* Zeroes info and sets default params. */
void c8_calib_info_init(c8_calib_info *info);

/* "<cache_path>.json", malloc'd (caller frees); NULL if out of memory. */
char *c8_calib_sidecar_path(const char *cache_path);

/* Writes the sidecar JSON (atomically) for cache: format tag and version, calib8 version,
 * cache sha256, info, and per-tensor absmax / threshold / scale (stats, n). No timestamp: the
 * same inputs give the same bytes. info->preprocessing must parse as JSON (C8_ERR_INVALID). */
c8_status c8_calib_sidecar_write(const char *path, const c8_calib_info *info,
                                 const c8_calib_cache *cache, const c8_calib_tensor_stat *stats,
                                 int64_t n, c8_error *err);

typedef struct c8_calib_sidecar c8_calib_sidecar;
/* Reads a sidecar (format tag and version checked). *out is owned by the caller. */
c8_status c8_calib_sidecar_read(const char *path, c8_calib_sidecar **out, c8_error *err);
void c8_calib_sidecar_destroy(c8_calib_sidecar *s);
/* Borrowed views. info->preprocessing is re-serialized JSON text. */
const c8_calib_info *c8_calib_sidecar_info(const c8_calib_sidecar *s);
const char *c8_calib_sidecar_cache_sha256(const c8_calib_sidecar *s);
int64_t c8_calib_sidecar_tensor_count(const c8_calib_sidecar *s);
const c8_calib_tensor_stat *c8_calib_sidecar_tensor(const c8_calib_sidecar *s, int64_t i);
/* The preprocessing the sidecar records when it is a JSON string, as `calib8 calibrate` writes
 * it (c8_preprocess_describe's line, dataset.h): borrowed; NULL when the sidecar records none
 * (null) or another JSON value (an object written by a program of one's own). */
const char *c8_calib_sidecar_preprocessing(const c8_calib_sidecar *s);
/* The same read from the sidecar of cache_path ("<cache_path>.json"): *out malloc'd (caller
 * frees), or NULL when there is no sidecar or it records no such line. A sidecar that exists
 * but does not parse is its error (naming the file). What a build copies into its plan
 * (c8_build_options.preprocessing). */
c8_status c8_calib_cache_preprocessing(const char *cache_path, char **out, c8_error *err);

/* Writes a calibration's outputs: the cache (header "TRT-<trt_version>-<trt_algorithm>",
 * tensors in the order of stats) and then its sidecar "<cache_path>.json", both atomically;
 * both are built in memory first, so an invalid input writes neither.
 * info->algorithm must name a built-in algorithm. trt_version NULL = default; trt_algorithm
 * NULL = the algorithm's own token (c8_calib_algo.trt_algorithm). Every scale must be finite
 * and > 0 (c8_calib_scale guarantees it): calib8 never writes 0 or inf from its own
 * calibration. A name listed twice is an error. */
c8_status c8_calib_save(const char *cache_path, const char *trt_version, const char *trt_algorithm,
                        const c8_calib_info *info, const c8_calib_tensor_stat *stats, int64_t n,
                        c8_error *err);

/* What a cache is about to be used for. NULL / 0 fields are not checked. */
typedef struct c8_calib_expect {
    const char *model_sha256;   /* "cache was made for a different model: sha256 X, ..." */
    const char *dataset_sha256; /* "cache was calibrated on a different dataset: ..." */
    const char *algorithm;      /* "cache was made with algorithm 'minmax', not 'entropy'" */
    const char *const *tensors; /* tensors that need a scale (borrowed), ntensors of them */
    int64_t ntensors;
    bool check_tensors; /* compare the cache's tensors with `tensors` */
    bool allow_extra;   /* cache tensors not in `tensors` are not a problem */
} c8_calib_expect;

/* Receives each problem found, one sentence (for listing them all). */
typedef void (*c8_calib_problem_fn)(void *ctx, const char *problem);

/* Checks a cache (cache_path names it in messages) against its sidecar (may be NULL: then only
 * tensor coverage and scales are checked) and the expectations (may be NULL). Problems: the
 * sidecar describes another cache (sha256), a different model / dataset / algorithm, a tensor
 * with no scale, a tensor not in the model (unless allow_extra), a zero or infinite scale, a
 * sidecar scale that differs from the cache's. Each goes to fn (may be NULL); the result is
 * C8_OK, or C8_ERR_MISMATCH with "<cache_path>: <first problem> (and N more problems)". */
c8_status c8_calib_check(const char *cache_path, const c8_calib_cache *cache,
                         const c8_calib_sidecar *sidecar, const c8_calib_expect *expect,
                         c8_calib_problem_fn fn, void *ctx, c8_error *err);

/* Reads a cache for a build, as `calib8 build --calib` does: the cache, then, when its sidecar
 * "<cache_path>.json" exists, the sidecar, checked by c8_calib_check against the model (the
 * SHA-256 of the file model_path; NULL: not compared) with tensors the model lacks allowed.
 * A stale cache is C8_ERR_MISMATCH "stale calibration cache (rebuild it with calib8
 * calibrate, or pass --allow-cache-mismatch): <cache_path>: <first problem> (and N more
 * problems)". *out is owned by the caller (NULL on any error). */
c8_status c8_calib_cache_load_checked(const char *cache_path, const char *model_path,
                                      c8_calib_cache **out, c8_error *err);
/* The same for a model already loaded (model_sha256: c8_model_sha256(m), or NULL) and with the
 * choice of --allow-cache-mismatch: when allow_mismatch is true a stale cache is returned
 * anyway (C8_OK) after "warning: <cache_path>: <problem> (used anyway)" is printed to log (may
 * be NULL). */
c8_status c8_calib_cache_load_for_model(const char *cache_path, const char *model_sha256,
                                        bool allow_mismatch, FILE *log, c8_calib_cache **out,
                                        c8_error *err);

/* A cache without a sidecar cannot be checked against the model (a build takes its scales as
 * they are). When its tensors do not fit model m (cache tensors that are not in the model) or
 * the engine e built from it (INT8 layers that fell back for want of a scale; e may be NULL),
 * warns on f, saying how many and naming some: names that collide with another model's would
 * otherwise pass silently. Nothing when the cache has a sidecar, or fits. */
void c8_calib_cache_warn_unfit(const char *cache_path, const c8_model *m, const c8_engine *e,
                               FILE *f);

/* ======================= the calibration loop ======================= */

/* One loop for every caller: batches through the model's FP32 engine (no graph passes, so every
 * ONNX tensor exists), a histogram of |x| per calibration tensor (c8_model_calibration_tensors)
 * filled where the engine keeps the tensor, the thresholds, then the cache, its sidecar and
 * optionally the histogram file (c8_calib_save, c8_calib_histfile_save). The result depends on
 * neither the batch size nor the order of the batches. Interruption: the process-wide flag of
 * c8_set_interrupt_flag (engine.h) is checked between batches (and by every run between
 * layers); when set the loop stops with C8_ERR_INTERRUPTED "interrupted by <what> after N of M
 * images; nothing written" and writes nothing. */
typedef struct c8_calibrate_opts {
    const char *algo; /* calibration algorithm name; default C8_CALIB_DEFAULT_ALGO ("auto") */
    /* Algorithm for the network inputs; default "minmax"; NULL: the same as algo. Inputs are
     * pixels through a fixed affine map: at most 256 distinct values per channel, a comb of
     * spikes on which the KL search is meaningless (it stops just above the largest spike, e.g.
     * the background, and clips the content), while their exact range is known. */
    const char *input_algo;
    c8_calib_params params;         /* algorithm parameters */
    int64_t nbins;                  /* histogram bins; default 2048 */
    c8_device device;               /* where the FP32 engine runs */
    const char *trt_version;        /* cache header version; NULL: C8_CALIB_TRT_VERSION_DEFAULT */
    const char *histograms_path;    /* also save the histograms (HDF5) when non-NULL */
    const char *preprocessing_json; /* the preprocessing, as JSON, for the sidecar; NULL: null */
    c8_progress_mode progress;
    FILE *log;           /* the per-tensor table and the timings; NULL: nothing */
    uint64_t max_memory; /* limit for the FP32 engine's context, bytes; 0: none */
    /* CPU threads of the FP32 engine and of the histogram binning (c8_context_set_threads;
     * <= 0: all cores). The cache does not depend on it. */
    int threads;
} c8_calibrate_opts;

/* Defaults: entropy, inputs minmax, default params, 2048 bins, CPU, automatic progress. */
void c8_calibrate_opts_init(c8_calibrate_opts *o);

typedef struct c8_calibrate_result {
    int64_t images, tensors;
    double t_total, t_load, t_infer, t_hist, t_search; /* seconds */
} c8_calibrate_result;

/* Where the calibration data comes from when it is not a data set of dataset.h: the caller's
 * batches of float tensors. */
typedef struct c8_calib_source {
    /* Fills inputs[0 .. n_inputs) (n_inputs = c8_model_num_inputs; each entry's name comes
     * preset to the model's input name, in model order) with the next batch: dtype
     * C8_DT_FLOAT, its shape and data (borrowed by calib8 until the next call). Extent 0 of the
     * first input counts the batch's images. Sets *done = true, and fills nothing, when there
     * are no more batches. A non-OK status stops the calibration with that error (fill err,
     * e.g. with c8_error_set). */
    c8_status (*next)(void *user, c8_host_tensor *inputs, int n_inputs, bool *done, c8_error *err);
    void *user;
    /* Images that will come, for progress and messages (<= 0: unknown). */
    int64_t total;
    /* Provenance for the sidecar (NULL / 0: unknown, written as null). */
    const char *dataset_sha256;
    int64_t dataset_images;
    int64_t batch_size;
    /* Optional (NULL: none): the name of image i (0-based) of the batch the last next() call
     * delivered, for messages such as a NaN found in it; NULL when unknown. The string stays
     * valid until the next call of next(). */
    const char *(*image_name)(void *user, int64_t i);
} c8_calib_source;

/* Calibrates model on the batches of src and writes cache_path, its sidecar "<cache_path>.json"
 * and, with o->histograms_path, the histogram file. o NULL: defaults. res (may be NULL) gets
 * the counts and the timings (t_load: time spent in src->next). */
c8_status c8_calibrate_source(const c8_model *model, const c8_calib_source *src,
                              const c8_calibrate_opts *o, const char *cache_path,
                              c8_calibrate_result *res, c8_error *err);

/* The same over a data set read by the built-in readers (dataset.h): every batch of loader
 * (created over ds for the model's single (N, C, H, W) input, batches of batch_size images),
 * with the data set's manifest SHA-256 and image count as the sidecar's provenance. */
c8_status c8_calibrate(const c8_model *model, const c8_dataset *ds, c8_loader *loader,
                       int64_t batch_size, const c8_calibrate_opts *o, const char *cache_path,
                       c8_calibrate_result *res, c8_error *err);

/* ======================= HDF5 histogram files ======================= */

/* Format version written into histogram files (attribute "format_version"). */
#define C8_CALIB_HISTFILE_VERSION 1

/* Saves n histograms (all with the same nbins) and their tensor names, with info as
 * provenance attributes, to an HDF5 file (built in memory, written atomically). Layout in
 * docs/calibration.md; names are stored in a dataset, never used as HDF5 paths. */
c8_status c8_calib_histfile_save(const char *path, const c8_calib_info *info,
                                 const char *const *names, const c8_hist *const *hists, int64_t n,
                                 c8_error *err);

typedef struct c8_calib_histfile c8_calib_histfile;
/* Loads a histogram file, validating every histogram (c8_hist_create_from's rules); errors
 * name the file and the dataset or tensor. *out is owned by the caller. */
c8_status c8_calib_histfile_load(const char *path, c8_calib_histfile **out, c8_error *err);
void c8_calib_histfile_destroy(c8_calib_histfile *f);
/* Borrowed views. */
const c8_calib_info *c8_calib_histfile_info(const c8_calib_histfile *f);
int64_t c8_calib_histfile_count(const c8_calib_histfile *f);
const char *c8_calib_histfile_name(const c8_calib_histfile *f, int64_t i);
const c8_hist *c8_calib_histfile_hist(const c8_calib_histfile *f, int64_t i);
/* Arrays of all names / histograms (count long), for c8_calib_compute. */
const char *const *c8_calib_histfile_names(const c8_calib_histfile *f);
const c8_hist *const *c8_calib_histfile_hists(const c8_calib_histfile *f);

#ifdef __cplusplus
}
#endif
#endif
