/* c8_report: creation, settings, the end-to-end accounting (accuracies, agreement, flipped
 * predictions, logit differences), the fallback accessors and the records shared by the
 * drivers (engine layers, calibration provenance). See include/calib8/report.h. */
#include "reports/report_internal.h"

#include "util/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *r_strdup(const char *s) { return s ? strdup(s) : NULL; }

const char *r_fmt(char *buf, size_t len, int digits, double v) {
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (isinf(v))
        snprintf(buf, len, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, len, "%.*g", digits, v);
    return buf;
}

const char *r_pct(char *buf, size_t len, double v) {
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.2f", v);
    return buf;
}

bool r_is_passive_op(const char *op) {
    static const char *const k[] = {"Flatten",      "Reshape",  "Squeeze", "Unsqueeze",
                                    "Transpose",    "Identity", "Dropout", "Q8Quantize",
                                    "Q8Dequantize", NULL};
    for (const char *const *p = k; *p; p++)
        if (!strcmp(op, *p)) return true;
    return false;
}

c8_status c8_report_create(c8_report **out, c8_error *err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

static void e2e_free(r_e2e *e) {
    for (int j = 0; j < e->n; j++) {
        free(e->prec[j].pred);
        free(e->prec[j].top5);
        free(e->prec[j].flips);
    }
    if (e->names)
        for (int64_t i = 0; i < e->images; i++) free(e->names[i]);
    free(e->names);
    free(e->nonfinite_first);
    free(e->labels);
    memset(e, 0, sizeof *e);
}

void r_row_free(r_row *row) {
    free(row->tensor);
    free(row->engine_value);
    free(row->layer);
    free(row->op);
    free(row->reason);
}

void r_sens_free(r_sens *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->e[i].layer);
        free(s->e[i].op);
        free(s->e[i].note);
    }
    free(s->e);
    free(s->order);
    memset(s, 0, sizeof *s);
}

void r_fallback_free(r_fallback *f) {
    for (int i = 0; i < f->n_steps; i++) free(f->steps[i].added);
    free(f->steps);
    for (int i = 0; i < f->n_chosen; i++) free(f->chosen[i]);
    free(f->chosen);
    free(f->spec);
    free(f->base_spec);
    memset(f, 0, sizeof *f);
}

void r_calib_free(r_calib *c) {
    free(c->cache_path);
    free(c->cache_sha256);
    free(c->trt_version);
    free(c->trt_algorithm);
    free(c->sidecar_error);
    free((char *)c->info.calib8_version);
    free((char *)c->info.algorithm);
    free((char *)c->info.model_sha256);
    free((char *)c->info.dataset_sha256);
    free((char *)c->info.preprocessing);
    for (int64_t i = 0; i < c->n_tensor_algos; i++) free(c->tensor_names[i]);
    free(c->tensor_names);
    free(c->tensor_algos);
    memset(c, 0, sizeof *c);
}

static void free_layers(c8_report *r) {
    for (int i = 0; i < r->n_fallback_layers; i++) {
        free(r->fallback_layers[i].name);
        free(r->fallback_layers[i].op);
        free(r->fallback_layers[i].reason);
    }
    free(r->fallback_layers);
    r->fallback_layers = NULL;
    r->n_fallback_layers = 0;
}

static void free_classes(c8_report *r) {
    for (int64_t i = 0; i < r->n_classes; i++) free(r->classes[i]);
    free(r->classes);
    r->classes = NULL;
    r->n_classes = 0;
}

c8_status r_set_classes(c8_report *r, const c8_dataset *ds, c8_error *err) {
    free_classes(r);
    int64_t n = c8_dataset_num_classes(ds);
    if (n <= 0) return C8_OK;
    r->classes = calloc((size_t)n, sizeof *r->classes);
    if (!r->classes) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    r->n_classes = n;
    for (int64_t k = 0; k < n; k++) {
        const char *c = c8_dataset_class_name(ds, k);
        r->classes[k] = strdup(c ? c : "");
        if (!r->classes[k]) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    return C8_OK;
}

const char *r_class(const c8_report *r, int64_t k) {
    if (k < 0 || k >= r->n_classes) return NULL;
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)k);
    return strcmp(num, r->classes[k]) ? r->classes[k] : NULL; /* "4" adds nothing to 4 */
}

void c8_report_destroy(c8_report *r) {
    if (!r) return;
    free_classes(r);
    for (int i = 0; i < r->n_settings; i++) {
        free(r->settings[i].key);
        free(r->settings[i].value);
    }
    free(r->settings);
    e2e_free(&r->e2e);
    r_drift_free(&r->drift);
    for (int i = 0; i < r->n_rows; i++) r_row_free(&r->rows[i]);
    free(r->rows);
    r_sens_free(&r->sens);
    r_fallback_free(&r->fb);
    free_layers(r);
    r_calib_free(&r->calib);
    free(r->dump_path);
    free(r);
}

c8_status c8_report_set(c8_report *r, const char *key, const char *value, c8_error *err) {
    char *v = strdup(value ? value : "");
    if (!v) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int i = 0; i < r->n_settings; i++)
        if (!strcmp(r->settings[i].key, key)) {
            free(r->settings[i].value);
            r->settings[i].value = v;
            return C8_OK;
        }
    r_kv *n = realloc(r->settings, (size_t)(r->n_settings + 1) * sizeof *n);
    char *k = strdup(key);
    if (!n || !k) {
        if (n) r->settings = n;
        free(k);
        free(v);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    r->settings = n;
    n[r->n_settings].key = k;
    n[r->n_settings].value = v;
    r->n_settings++;
    return C8_OK;
}

/* ---------------------------------------------------------------- end to end */

c8_status c8_report_e2e_begin(c8_report *r, const c8_precision *precisions, int n, int64_t classes,
                              c8_error *err) {
    e2e_free(&r->e2e);
    if (n < 1 || n > R_MAX_PREC || classes < 1)
        return c8_err(err, C8_ERR_INVALID, "report: %d precisions over %lld classes", n,
                      (long long)classes);
    r_e2e *e = &r->e2e;
    e->ref = -1;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < j; i++)
            if (precisions[i] == precisions[j])
                return c8_err(err, C8_ERR_INVALID, "report: precision %s listed twice",
                              c8_precision_name(precisions[j]));
        if (precisions[j] == C8_PREC_FP32) e->ref = j;
        e->prec[j].p = precisions[j];
    }
    if (e->ref < 0) return c8_err(err, C8_ERR_INVALID, "report: FP32 (the reference) is missing");
    e->n = n;
    e->classes = classes;
    e->present = true;
    return C8_OK;
}

static c8_status e2e_grow(r_e2e *e, int64_t need, c8_error *err) {
    if (need <= e->cap) return C8_OK;
    int64_t cap = e->cap ? e->cap : 256;
    while (cap < need) cap *= 2;
    int64_t *l = realloc(e->labels, (size_t)cap * sizeof *l);
    if (l) e->labels = l;
    char **nm = realloc(e->names, (size_t)cap * sizeof *nm);
    if (nm) e->names = nm;
    bool ok = l && nm;
    for (int j = 0; ok && j < e->n; j++) {
        int64_t *p = realloc(e->prec[j].pred, (size_t)cap * sizeof *p);
        if (p) e->prec[j].pred = p;
        uint8_t *t = realloc(e->prec[j].top5, (size_t)cap);
        if (t) e->prec[j].top5 = t;
        ok = p && t;
    }
    if (!ok) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    e->cap = cap;
    return C8_OK;
}

static c8_status add_flip(r_prec *p, int64_t i, c8_error *err) {
    if (p->n_flips == p->cap_flips) {
        int64_t cap = p->cap_flips ? 2 * p->cap_flips : 64;
        int64_t *f = realloc(p->flips, (size_t)cap * sizeof *f);
        if (!f) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        p->flips = f;
        p->cap_flips = cap;
    }
    p->flips[p->n_flips++] = i;
    return C8_OK;
}

static char *image_name(const char *const *names, int64_t k, int64_t index) {
    if (names && names[k]) return strdup(names[k]);
    char buf[32];
    snprintf(buf, sizeof buf, "#%lld", (long long)index);
    return strdup(buf);
}

/* Counts non-finite logits per image (any precision) and names the first image with one. */
static void e2e_count_nonfinite(r_e2e *e, int64_t n, const float *const *logits,
                                const char *const *names) {
    int64_t K = e->classes;
    for (int64_t i = 0; i < n; i++) {
        int64_t bad = 0;
        int first_prec = -1;
        for (int j = 0; j < e->n; j++)
            for (int64_t t = 0; t < K; t++)
                if (!isfinite(logits[j][i * K + t])) {
                    bad++;
                    if (first_prec < 0) first_prec = j;
                }
        if (!bad) continue;
        if (!e->nonfinite_first) {
            char buf[600];
            snprintf(buf, sizeof buf, "%s (image %lld, %s)", names && names[i] ? names[i] : "image",
                     (long long)(e->images + i), c8_precision_name(e->prec[first_prec].p));
            e->nonfinite_first = strdup(buf); /* NULL on no memory: the count still holds */
        }
        e->nonfinite += bad;
        e->nonfinite_images++;
    }
}

void c8_report_e2e_nonfinite(const c8_report *r, int64_t *values, int64_t *images,
                             const char **first) {
    if (r->drift.present) { /* every output, a superset of the logits e2e counted */
        *values = r->drift.nonfinite;
        *images = r->drift.nonfinite_images;
        *first = r->drift.nonfinite_first;
        return;
    }
    *values = r->e2e.nonfinite;
    *images = r->e2e.nonfinite_images;
    *first = r->e2e.nonfinite_first;
}

c8_status c8_report_e2e_add(c8_report *r, int64_t n, const float *const *logits,
                            const int64_t *labels, const char *const *names, c8_error *err) {
    r_e2e *e = &r->e2e;
    if (!e->present) return c8_err(err, C8_ERR_INVALID, "report: c8_report_e2e_begin first");
    int64_t K = e->classes;
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= K)
            return c8_err(err, C8_ERR_INVALID, "%s: label %lld outside the model's %lld classes",
                          names && names[i] ? names[i] : "image", (long long)labels[i],
                          (long long)K);
    C8_TRY(e2e_grow(e, e->images + n, err));
    e2e_count_nonfinite(e, n, logits, names);
    const float *ref = logits[e->ref];
    for (int64_t i = 0; i < n; i++) {
        int64_t at = e->images + i;
        e->labels[at] = labels[i];
        e->names[at] = NULL;
        for (int j = 0; j < e->n; j++) {
            const float *row = logits[j] + i * K;
            e->prec[j].pred[at] = c8_report_argmax(row, K);
            e->prec[j].top5[at] = c8_report_label_rank(row, K, labels[i]) < 5;
        }
    }
    for (int j = 0; j < e->n; j++) {
        r_prec *p = &e->prec[j];
        p->has_diff = true;
        for (int64_t t = 0; t < n * K; t++) {
            double d = fabs((double)logits[j][t] - (double)ref[t]);
            if (d != d) d = INFINITY; /* a NaN logit is as far off as it gets */
            p->sum_abs_diff += d;
            if (d > p->max_abs_diff) p->max_abs_diff = d;
        }
        p->n_diff += n * K;
    }
    /* names are kept for every image (flips are listed by name); flips per precision */
    for (int64_t i = 0; i < n; i++) {
        int64_t at = e->images + i;
        e->names[at] = image_name(names, i, at);
        if (!e->names[at]) {
            e->images = at; /* keep what is consistent */
            return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
        for (int j = 0; j < e->n; j++)
            if (j != e->ref && e->prec[j].pred[at] != e->prec[e->ref].pred[at])
                C8_TRY(add_flip(&e->prec[j], at, err));
    }
    e->images += n;
    return C8_OK;
}

c8_status r_e2e_set_preds(c8_report *r, int idx, const int64_t *pred, const uint8_t *top5,
                          c8_error *err) {
    r_e2e *e = &r->e2e;
    r_prec *p = &e->prec[idx];
    memcpy(p->pred, pred, (size_t)e->images * sizeof *pred);
    memcpy(p->top5, top5, (size_t)e->images);
    p->has_diff = false;
    p->n_flips = 0;
    if (idx == e->ref) return C8_OK;
    for (int64_t i = 0; i < e->images; i++)
        if (pred[i] != e->prec[e->ref].pred[i]) C8_TRY(add_flip(p, i, err));
    return C8_OK;
}

const r_prec *r_find_prec(const c8_report *r, c8_precision p) {
    if (!r->e2e.present) return NULL;
    for (int j = 0; j < r->e2e.n; j++)
        if (r->e2e.prec[j].p == p) return &r->e2e.prec[j];
    return NULL;
}

c8_status c8_report_e2e_stats_get(const c8_report *r, c8_precision p, c8_report_e2e_stats *out,
                                  c8_error *err) {
    memset(out, 0, sizeof *out);
    const r_prec *pr = r_find_prec(r, p);
    if (!pr)
        return c8_err(err, C8_ERR_NOT_FOUND, "report: no end-to-end results for %s",
                      c8_precision_name(p));
    const r_e2e *e = &r->e2e;
    const r_prec *ref = &e->prec[e->ref];
    int64_t n = e->images;
    out->images = n;
    for (int64_t i = 0; i < n; i++) {
        bool right = pr->pred[i] == e->labels[i], ref_right = ref->pred[i] == e->labels[i];
        out->correct_top1 += right;
        out->correct_top5 += pr->top5[i];
        bool agree = pr->pred[i] == ref->pred[i];
        out->agree += agree;
        if (!agree && ref_right && !right) out->flipped_to_wrong++;
        if (!agree && !ref_right && right) out->flipped_to_right++;
    }
    out->flipped = n - out->agree;
    double d = n ? (double)n : 1;
    out->top1 = 100.0 * (double)out->correct_top1 / d;
    out->top5 = 100.0 * (double)out->correct_top5 / d;
    out->agreement = 100.0 * (double)out->agree / d;
    c8_report_wilson95(out->correct_top1, n, &out->top1_lo, &out->top1_hi);
    c8_report_wilson95(out->correct_top5, n, &out->top5_lo, &out->top5_hi);
    out->top1_lo *= 100, out->top1_hi *= 100, out->top5_lo *= 100, out->top5_hi *= 100;
    out->has_logit_diff = pr->has_diff;
    out->mean_abs_logit_diff = pr->n_diff ? pr->sum_abs_diff / (double)pr->n_diff : 0;
    out->max_abs_logit_diff = pr->max_abs_diff;
    return C8_OK;
}

int64_t c8_report_num_flips(const c8_report *r, c8_precision p) {
    const r_prec *pr = r_find_prec(r, p);
    return pr ? pr->n_flips : 0;
}

void c8_report_flip(const c8_report *r, c8_precision p, int64_t i, const char **image,
                    int64_t *label, int64_t *pred_fp32, int64_t *pred) {
    const r_prec *pr = r_find_prec(r, p);
    if (!pr || i < 0 || i >= pr->n_flips) {
        if (image) *image = NULL;
        if (label) *label = -1;
        if (pred_fp32) *pred_fp32 = -1;
        if (pred) *pred = -1;
        return;
    }
    const r_e2e *e = &r->e2e;
    int64_t at = pr->flips[i];
    if (image) *image = e->names[at];
    if (label) *label = e->labels[at];
    if (pred_fp32) *pred_fp32 = e->prec[e->ref].pred[at];
    if (pred) *pred = pr->pred[at];
}

/* ---------------------------------------------------------------- fallback accessors */

bool c8_report_fallback_met(const c8_report *r) { return r->fb.present && r->fb.met; }
int c8_report_fallback_num_layers(const c8_report *r) { return r->fb.n_chosen; }
const char *c8_report_fallback_layer(const c8_report *r, int i) {
    return i >= 0 && i < r->fb.n_chosen ? r->fb.chosen[i] : NULL;
}
const char *c8_report_fallback_spec(const c8_report *r) {
    return r->fb.present ? (r->fb.spec ? r->fb.spec : "") : NULL;
}
int c8_report_fallback_num_steps(const c8_report *r) { return r->fb.n_steps; }
void c8_report_fallback_get_step(const c8_report *r, int i, c8_report_fallback_step *out) {
    memset(out, 0, sizeof *out);
    if (i < 0 || i >= r->fb.n_steps) return;
    const r_step *s = &r->fb.steps[i];
    out->layers = s->layers;
    out->added = s->added;
    out->correct = s->correct;
    out->top1 = s->top1;
    out->drift = s->drift;
    out->met = s->met;
}

/* ---------------------------------------------------------------- shared records */

c8_status r_record_engine(c8_report *r, const c8_engine *e, c8_error *err) {
    free_layers(r);
    r->engine_layers_int8 = r->engine_layers_other = 0;
    r->engine_present = true;
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *name, *op, *reason;
        c8_precision p;
        c8_engine_layer(e, i, &name, &op, &p, &reason);
        if (!strcmp(op, "Q8Quantize") || !strcmp(op, "Q8Dequantize")) continue;
        if (p == C8_PREC_INT8) {
            r->engine_layers_int8++;
            continue;
        }
        r->engine_layers_other++;
        r_layer *n = realloc(r->fallback_layers, (size_t)(r->n_fallback_layers + 1) * sizeof *n);
        if (!n) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        r->fallback_layers = n;
        r_layer *l = &n[r->n_fallback_layers];
        l->name = strdup(name);
        l->op = strdup(op);
        l->reason = strdup(reason);
        l->precision = p;
        r->n_fallback_layers++;
        if (!l->name || !l->op || !l->reason) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    return C8_OK;
}

const char *r_calib_algo(const c8_report *r, const char *tensor) {
    const r_calib *c = &r->calib;
    for (int64_t i = 0; tensor && i < c->n_tensor_algos; i++)
        if (c->tensor_names[i] && !strcmp(c->tensor_names[i], tensor)) return c->tensor_algos[i];
    return NULL;
}

c8_status r_record_calib(c8_report *r, const char *cache_path, c8_error *err) {
    r_calib_free(&r->calib);
    r_calib *c = &r->calib;
    c8_calib_cache *cache = NULL;
    c8_calib_sidecar *side = NULL;
    char sha[65];
    C8_TRY(c8_calib_cache_read(cache_path, &cache, err));
    c8_status s = c8_calib_cache_sha256(cache, sha, err);
    c->present = true;
    c->cache_path = strdup(cache_path);
    c->cache_sha256 = strdup(s == C8_OK ? sha : "");
    c->trt_version = strdup(c8_calib_cache_trt_version(cache));
    c->trt_algorithm = strdup(c8_calib_cache_trt_algorithm(cache));
    c->tensors = c8_calib_cache_count(cache);
    c8_calib_cache_destroy(cache);
    if (s != C8_OK) return s;
    if (!c->cache_path || !c->cache_sha256 || !c->trt_version || !c->trt_algorithm)
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    char *sp = c8_calib_sidecar_path(cache_path);
    if (!sp) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    struct stat st;
    if (stat(sp, &st) == 0) {
        c8_error e2 = {0};
        if (c8_calib_sidecar_read(sp, &side, &e2) == C8_OK) {
            const c8_calib_info *in = c8_calib_sidecar_info(side);
            c->sidecar = true;
            c->info = *in;
            c->info.calib8_version = r_strdup(in->calib8_version);
            c->info.algorithm = r_strdup(in->algorithm);
            c->info.model_sha256 = r_strdup(in->model_sha256);
            c->info.dataset_sha256 = r_strdup(in->dataset_sha256);
            c->info.preprocessing = r_strdup(in->preprocessing);
            const int64_t nt = c8_calib_sidecar_tensor_count(side);
            c->tensor_names = calloc((size_t)(nt ? nt : 1), sizeof *c->tensor_names);
            c->tensor_algos = calloc((size_t)(nt ? nt : 1), sizeof *c->tensor_algos);
            if (!c->tensor_names || !c->tensor_algos) {
                free(sp);
                c8_calib_sidecar_destroy(side);
                return c8_err(err, C8_ERR_NOMEM, "out of memory");
            }
            for (int64_t i = 0; i < nt; i++) {
                const c8_calib_tensor_stat *t = c8_calib_sidecar_tensor(side, i);
                c->tensor_names[i] = r_strdup(t->name);
                c->tensor_algos[i] = t->algo; /* static: the algorithm table's name */
                c->n_tensor_algos = i + 1;
            }
        } else {
            /* the report still describes the cache; the reason goes into the provenance */
            c->sidecar_error = strdup(e2.msg);
        }
    }
    free(sp);
    c8_calib_sidecar_destroy(side);
    return C8_OK;
}
