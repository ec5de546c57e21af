/* The c8_report struct (opaque in include/calib8/report.h) and helpers shared by the report
 * drivers (compare.c, fallback.c) and writers (write_json.c, write_md.c, write_html.c). */
#ifndef C8_REPORTS_REPORT_INTERNAL_H
#define C8_REPORTS_REPORT_INTERNAL_H

#include "calib8/calib.h"
#include "calib8/report.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define R_MAX_PREC 3
#define R_MAX_ALGOS 8
/* Bars of a displayed histogram: the stored histogram is summed down to this many. */
#define R_HIST_DISPLAY_BINS 128

typedef struct r_kv {
    char *key, *value;
} r_kv;

/* End-to-end record of one precision. */
typedef struct r_prec {
    c8_precision p;
    int64_t *pred;       /* (images) top-1 class */
    uint8_t *top5;       /* (images) 1 if the label is in the top 5 */
    bool has_diff;       /* logit differences recorded */
    double sum_abs_diff; /* over n_diff logits */
    int64_t n_diff;
    double max_abs_diff;
    int64_t *flips; /* image indices whose top-1 differs from FP32's, ascending */
    int64_t n_flips, cap_flips;
} r_prec;

typedef struct r_e2e {
    bool present;
    int n;   /* precisions */
    int ref; /* index of FP32 in prec */
    r_prec prec[R_MAX_PREC];
    int64_t classes;
    int64_t images, cap;
    int64_t *labels; /* (images) */
    char **names;    /* (images) */
    /* non-finite (NaN/Inf) logits over all precisions: values, images, and the first image
     * with one: "<name> (image <index>, <precision>)", malloc'd */
    int64_t nonfinite, nonfinite_images;
    char *nonfinite_first;
} r_e2e;

/* Drift sums of one output under one precision against FP32 (c8_report_drift). */
typedef struct r_drift_acc {
    c8_report_metrics m;
    int64_t agree, compared; /* images / pixels / positions alike */
    int64_t inter, uni;      /* maps: on in both, on in either */
    int64_t strings_agree;   /* sequences with a CTC blank */
} r_drift_acc;

typedef struct r_output {
    char *name;
    c8_output_kind kind;
    bool forced;       /* kind from the options, not the shape */
    c8_shape shape;    /* per image */
    int64_t per_image; /* values per image */
    r_drift_acc acc[R_MAX_PREC];
} r_output;

/* The drift section: every output of every precision against FP32's on the same images. */
typedef struct r_drift {
    bool present;
    int n, ref; /* precisions; index of FP32 */
    c8_precision prec[R_MAX_PREC];
    r_output *out;
    int n_out;
    double map_threshold;
    int64_t ctc_blank; /* -1: none */
    int64_t images;
    int64_t *seq_a, *seq_b; /* (T) scratch for CTC decoding */
    int64_t seq_cap;
    /* non-finite values over every output and precision, as r_e2e counts them */
    int64_t nonfinite, nonfinite_images;
    char *nonfinite_first;
} r_drift;

void r_drift_free(r_drift *d);
/* What the "agreement" of a drift entry of kind k counts, for the writers ("top-1 agreement
 * (images)", ...; "-" for generic outputs). Static. */
const char *r_drift_agreement_label(c8_output_kind k);
/* The sentence under the drift tables: which measures were used and why (static). */
const char *r_drift_note(const c8_report *r);

/* A histogram as shown: the stored one summed into display bins over [0, disp_max). */
typedef struct r_hist {
    bool present;
    const char *source; /* "histogram-file" or "layer-images" (static) */
    int64_t nbins;      /* bins of the stored histogram */
    double range;       /* its range R */
    float absmax;
    uint64_t count;
    double disp_max; /* display range: [0, disp_max) */
    int64_t ndisp;
    uint64_t disp[R_HIST_DISPLAY_BINS];
    int n_algos;
    const char *algo[R_MAX_ALGOS]; /* algorithm names (static) */
    double threshold[R_MAX_ALGOS]; /* that algorithm's threshold; NaN if it failed */
} r_hist;

/* One compared tensor (a row of the "layers" array). */
typedef struct r_row {
    char *tensor;       /* ONNX tensor name */
    char *engine_value; /* the INT8 engine's value compared with FP32's `tensor` */
    const char *form;   /* "int8", "quantized-copy", "float" (static) */
    char *layer, *op;   /* producing layer in the INT8 engine (NULL: a network input) */
    char *reason;
    c8_precision precision;
    float engine_scale; /* scale of engine_value when int8, else 0 */
    float cache_scale;  /* the cache's scale for `tensor`, 0 when absent */
    c8_report_metrics m;
    int64_t per_image; /* elements per image (dump, display) */
    r_hist h;
    int sens; /* index into the sensitivity entries of the producing layer, or -1 */
} r_row;

/* Sensitivity of one INT8 layer: the engine with only that layer out of INT8. */
typedef struct r_sens_entry {
    char *layer, *op;
    bool measured;     /* false: see note */
    char *note;        /* why the layer was not measured, or NULL */
    double logit_sqnr; /* dB, vs FP32 logits */
    double gain_db;    /* logit_sqnr - the all-INT8 engine's */
    int64_t agree;     /* top-1 equal to FP32's */
    int64_t correct;   /* top-1 equal to the label */
    int rank;          /* 1 = most sensitive; 0 when not measured */
    /* the other measure (r_sens.incremental): this layer and every INT8 layer before it (engine
     * order) in INT8, the rest FP32 */
    bool inc_measured;
    double inc_sqnr;                /* dB, vs FP32 logits */
    double inc_noise;               /* logit noise added by this layer: 10^(-inc_sqnr/10) minus
                                       the previous prefix's (share of the FP32 logits' power) */
    int64_t inc_agree, inc_correct; /* as agree, correct */
} r_sens_entry;

typedef struct r_sens {
    bool present;
    int64_t images;
    c8_precision kept; /* precision the tested layer is kept in */
    bool incremental; /* ranked by the incremental measure (compare); else by the gain (fallback) */
    bool labeled;     /* the images have labels: top-1 against them is measured */
    double base_sqnr; /* all-INT8 logits vs FP32 */
    int64_t base_agree, base_correct, fp32_correct;
    r_sens_entry *e; /* in the engine's layer order */
    int n;
    int *order; /* entry indices, most sensitive first (measured entries only) */
    int n_order;
} r_sens;

typedef struct r_step {
    int layers;
    char *added;
    int64_t correct;
    double top1, drift;
    bool met;
} r_step;

typedef struct r_fallback {
    bool present;
    double max_drift;
    int64_t images;
    c8_precision kept;
    int64_t fp32_correct;
    double fp32_top1;
    r_step *steps;
    int n_steps;
    char **chosen;
    int n_chosen;
    char *spec;
    char *base_spec; /* bo->layer_precision, or NULL */
    bool met;
    bool none_left; /* met only with every INT8 layer taken out */
    /* what top1 / fp32_top1 / correct measure: "top-1" (labels), or "string agreement" (a
     * sequence output with a CTC blank: lines whose decoded string equals FP32's) */
    const char *measure;
} r_fallback;

static inline const char *r_fb_measure(const r_fallback *f) {
    return f->measure ? f->measure : "top-1";
}

typedef struct r_layer { /* a layer of the INT8 engine that does not run INT8 */
    char *name, *op, *reason;
    c8_precision precision;
} r_layer;

typedef struct r_calib {
    bool present; /* a cache was used */
    char *cache_path, *cache_sha256, *trt_version, *trt_algorithm;
    int64_t tensors;
    bool sidecar;        /* "<cache>.json" was read */
    char *sidecar_error; /* why it could not be read, or NULL */
    c8_calib_info info;  /* strings owned (freed by the report) */
    /* the sidecar's per-tensor algorithm (auto's choice; format 2): names owned, algos static
     * (NULL: not recorded) */
    char **tensor_names;
    const char **tensor_algos;
    int64_t n_tensor_algos;
} r_calib;

struct c8_report {
    r_kv *settings;
    int n_settings;
    char **classes; /* class names of the data set (for the flip lists), or NULL */
    int64_t n_classes;
    r_e2e e2e;
    r_drift drift;
    r_row *rows;
    int n_rows;
    bool layers_present;
    int64_t layer_images;
    const char *hist_source; /* static */
    r_sens sens;
    r_fallback fb;
    r_layer *fallback_layers;
    int n_fallback_layers;
    int64_t engine_layers_int8, engine_layers_other; /* compute layers of the INT8 engine */
    bool engine_present;
    r_calib calib;
    char *dump_path;
};

/* Helpers (report.c). */
/* Copies the data set's class names into r (for labels in the flip lists). */
c8_status r_set_classes(c8_report *r, const c8_dataset *ds, c8_error *err);
/* The name of class k, or NULL (also when the name is just the number). */
const char *r_class(const c8_report *r, int64_t k);
char *r_strdup(const char *s); /* NULL stays NULL */
void r_row_free(r_row *row);
void r_sens_free(r_sens *s);
void r_fallback_free(r_fallback *f);
void r_calib_free(r_calib *c);
const r_prec *r_find_prec(const c8_report *r, c8_precision p);
/* Records the INT8 engine's non-INT8 compute layers (replacing earlier ones). */
c8_status r_record_engine(c8_report *r, const c8_engine *e, c8_error *err);
/* Reads the cache header and its sidecar (when present) into r->calib. */
c8_status r_record_calib(c8_report *r, const char *cache_path, c8_error *err);
/* Adds one precision's predictions directly (the fallback search has no joint logits):
 * images must equal the section's count, or the section must be empty (then labels/names set
 * it). */
c8_status r_e2e_set_preds(c8_report *r, int idx, const int64_t *pred, const uint8_t *top5,
                          c8_error *err);

/* The algorithm the sidecar records for tensor (auto's choice), or NULL. */
const char *r_calib_algo(const c8_report *r, const char *tensor);
/* Top-1 in percent of `correct` hits over the sensitivity images; NaN without labels. */
double r_sens_top1(const r_sens *s, int64_t correct);
/* One sentence saying which measure ranks the sensitivity entries (static). */
const char *r_sens_method(const r_sens *s);

/* The sensitivity analysis (sensitivity.c), shared by compare and the fallback search: for
 * each INT8 layer of the engine built from bo8 without graph passes, an engine with only that
 * layer in `kept` precision, run on im; logits compared with the FP32 engine's. With
 * incremental, also an engine with that layer and every INT8 layer before it in INT8 (the rest
 * FP32), and the ranking uses the logit noise each layer adds there (docs/report.md says why).
 * Fills r->sens. */
struct r_images;
c8_status r_sensitivity(c8_report *r, const c8_model *m, const c8_build_options *bo8,
                        c8_precision kept, bool incremental, const struct r_images *im,
                        const char *in_name, int64_t batch, FILE *log, c8_error *err);
/* bo8's own layer_precision, then `spec` ("a,b"); malloc'd. */
char *r_join_spec(const char *base, const char *spec);

/* A layer that only moves INT8 data (the builder decides their precision by data flow, so an
 * override cannot change it) or converts between precisions. */
bool r_is_passive_op(const char *op);

/* Number formatting shared by the writers: "%.*g" of v, or "inf"/"-inf"/"nan". */
const char *r_fmt(char *buf, size_t len, int digits, double v);
/* "%.2f" of a percentage, or "-" when it is NaN (not measured). */
const char *r_pct(char *buf, size_t len, double v);

#endif
