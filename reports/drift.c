/* The drift of every output against the FP32 engine's on the same images, for any model (no
 * labels needed): SQNR, cosine and max abs diff of all values, and by output kind the top-1
 * agreement (class scores), the IoU and pixel agreement of thresholded maps (detectors), the
 * per-position argmax agreement and CTC-decoded string agreement (sequences). Every sum is
 * float64 or int64 over all images. Definitions: include/calib8/report.h and docs/report.md;
 * hand-worked checks in tests/reports/test_report_drift.c. */
#include "reports/report_internal.h"

#include "util/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void c8_drift_options_init(c8_drift_options *o) {
    o->map_threshold = C8_REPORT_DEFAULT_MAP_THRESHOLD;
    o->ctc_blank = -1;
    o->kind = C8_OUTPUT_AUTO;
}

c8_output_kind c8_report_output_kind(const c8_shape *s) {
    /* an unknown extent (<= 0) is "not 1": a dynamic H or W is still a map */
    if (s->rank == 2 && s->d[1] != 1) return C8_OUTPUT_CLASSES;
    if (s->rank == 4 && s->d[1] != 1 && s->d[2] == 1 && s->d[3] == 1) return C8_OUTPUT_CLASSES;
    if (s->rank == 4 && s->d[1] == 1 && !(s->d[2] == 1 && s->d[3] == 1)) return C8_OUTPUT_MAP;
    if (s->rank == 3 && s->d[2] != 1) return C8_OUTPUT_SEQUENCE;
    return C8_OUTPUT_GENERIC;
}

static const char *const k_kind_names[] = {"auto", "classes", "map", "sequence", "generic"};

const char *c8_report_output_kind_name(c8_output_kind k) {
    return k >= C8_OUTPUT_AUTO && k <= C8_OUTPUT_GENERIC ? k_kind_names[k] : "?";
}

bool c8_report_output_kind_parse(const char *s, c8_output_kind *k) {
    for (int i = C8_OUTPUT_AUTO; i <= C8_OUTPUT_GENERIC; i++)
        if (!strcmp(s, k_kind_names[i])) {
            *k = (c8_output_kind)i;
            return true;
        }
    return false;
}

int64_t c8_report_ctc_decode(const float *scores, int64_t t, int64_t c, int64_t blank,
                             int64_t *out) {
    int64_t n = 0, prev = -1;
    for (int64_t i = 0; i < t; i++) {
        int64_t k = c8_report_argmax(scores + i * c, c);
        /* repeats collapse only when adjacent: "a blank a" is two a's */
        if (k != prev && k != blank) out[n++] = k;
        prev = k;
    }
    return n;
}

void r_drift_free(r_drift *d) {
    for (int o = 0; o < d->n_out; o++) free(d->out[o].name);
    free(d->out);
    free(d->seq_a);
    free(d->seq_b);
    free(d->nonfinite_first);
    memset(d, 0, sizeof *d);
}

/* The kind of output `name` with per-image shape s under options o, checked against s. */
static c8_status pick_kind(const char *name, const c8_shape *s, const c8_drift_options *o,
                           r_output *out, c8_error *err) {
    c8_shape full = {s->rank + 1, {-1}};
    if (s->rank + 1 > C8_MAX_RANK)
        return c8_err(err, C8_ERR_INVALID, "output '%s': rank %d is too large", name, s->rank);
    for (int i = 0; i < s->rank; i++) full.d[i + 1] = s->d[i];
    out->forced = o->kind != C8_OUTPUT_AUTO;
    out->kind = out->forced ? o->kind : c8_report_output_kind(&full);
    if (out->kind < C8_OUTPUT_CLASSES || out->kind > C8_OUTPUT_GENERIC)
        return c8_err(err, C8_ERR_INVALID, "output '%s': unknown output kind %d", name,
                      (int)out->kind);
    if (out->kind == C8_OUTPUT_SEQUENCE) {
        char buf[96];
        if (s->rank != 2)
            return c8_err(err, C8_ERR_INVALID,
                          "output '%s' is N x %s per batch, not a sequence (N x T x classes)", name,
                          c8_shape_str(s, buf, sizeof buf));
        if (o->ctc_blank >= s->d[1])
            return c8_err(err, C8_ERR_INVALID,
                          "output '%s': CTC blank %lld is not one of its %lld classes", name,
                          (long long)o->ctc_blank, (long long)s->d[1]);
    }
    return C8_OK;
}

c8_status c8_report_drift_begin(c8_report *r, const c8_precision *precisions, int n, int n_outputs,
                                const char *const *names, const c8_shape *shapes,
                                const c8_drift_options *o, c8_error *err) {
    r_drift *d = &r->drift;
    r_drift_free(d);
    if (n < 1 || n > R_MAX_PREC || n_outputs < 1)
        return c8_err(err, C8_ERR_INVALID, "report: drift of %d outputs in %d precisions",
                      n_outputs, n);
    if (!isfinite(o->map_threshold))
        return c8_err(err, C8_ERR_INVALID, "report: the map threshold is not a finite number");
    d->ref = -1;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < j; i++)
            if (precisions[i] == precisions[j])
                return c8_err(err, C8_ERR_INVALID, "report: precision %s listed twice",
                              c8_precision_name(precisions[j]));
        if (precisions[j] == C8_PREC_FP32) d->ref = j;
        d->prec[j] = precisions[j];
    }
    if (d->ref < 0) return c8_err(err, C8_ERR_INVALID, "report: FP32 (the reference) is missing");
    d->out = calloc((size_t)n_outputs, sizeof *d->out);
    if (!d->out) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    d->n_out = n_outputs;
    d->n = n;
    d->map_threshold = o->map_threshold;
    d->ctc_blank = o->ctc_blank >= 0 ? o->ctc_blank : -1;
    int64_t tmax = 1;
    c8_status st = C8_OK;
    for (int k = 0; k < n_outputs && st == C8_OK; k++) {
        r_output *out = &d->out[k];
        out->name = strdup(names[k] ? names[k] : "?");
        if (!out->name) {
            st = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
        out->shape = shapes[k];
        out->per_image = c8_shape_numel(&shapes[k]);
        if (out->per_image < 1)
            st = c8_err(err, C8_ERR_SHAPE, "output '%s': no values per image (or unknown extents)",
                        out->name);
        if (st == C8_OK) st = pick_kind(out->name, &shapes[k], o, out, err);
        for (int j = 0; j < n; j++) c8_report_metrics_init(&out->acc[j].m, 0);
        if (st == C8_OK && out->kind == C8_OUTPUT_SEQUENCE && shapes[k].d[0] > tmax)
            tmax = shapes[k].d[0];
    }
    if (st == C8_OK) {
        d->seq_a = malloc((size_t)tmax * sizeof *d->seq_a);
        d->seq_b = malloc((size_t)tmax * sizeof *d->seq_b);
        d->seq_cap = tmax;
        if (!d->seq_a || !d->seq_b) st = c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    if (st != C8_OK) {
        r_drift_free(d);
        return st;
    }
    d->present = true;
    return C8_OK;
}

/* Counts non-finite values of image i over every output and precision (as r_e2e does for the
 * logits), naming the first image with one. */
static void count_nonfinite(r_drift *d, int64_t i, const float *const *out,
                            const char *const *names) {
    int64_t bad = 0;
    int first = -1;
    for (int j = 0; j < d->n; j++)
        for (int k = 0; k < d->n_out; k++) {
            const float *v = out[j * d->n_out + k] + i * d->out[k].per_image;
            for (int64_t t = 0; t < d->out[k].per_image; t++)
                if (!isfinite(v[t])) {
                    bad++;
                    if (first < 0) first = j;
                }
        }
    if (!bad) return;
    if (!d->nonfinite_first) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s (image %lld, %s)", names && names[i] ? names[i] : "image",
                 (long long)(d->images + i), c8_precision_name(d->prec[first]));
        d->nonfinite_first = strdup(buf); /* NULL on no memory: the count still holds */
    }
    d->nonfinite += bad;
    d->nonfinite_images++;
}

/* The kind's measures of one image of output `out`: ref is FP32's, x this precision's. */
static void add_kind(r_drift *d, const r_output *out, r_drift_acc *a, const float *ref,
                     const float *x, int64_t ref_len) {
    switch (out->kind) {
    case C8_OUTPUT_CLASSES:
        a->compared++;
        a->agree += c8_report_argmax(ref, out->per_image) == c8_report_argmax(x, out->per_image);
        break;
    case C8_OUTPUT_MAP: {
        /* compared in float32, as DB's post-processing compares a float32 map with a Python
         * float in NumPy: a pixel of exactly 0.3f is off at 0.3. NaN is never "on". */
        const float thr = (float)d->map_threshold;
        for (int64_t t = 0; t < out->per_image; t++) {
            bool p = ref[t] > thr, q = x[t] > thr;
            a->agree += p == q;
            a->inter += p && q;
            a->uni += p || q;
        }
        a->compared += out->per_image;
        break;
    }
    case C8_OUTPUT_SEQUENCE: {
        const int64_t T = out->shape.d[0], C = out->shape.d[1];
        for (int64_t t = 0; t < T; t++)
            a->agree += c8_report_argmax(ref + t * C, C) == c8_report_argmax(x + t * C, C);
        a->compared += T;
        if (d->ctc_blank >= 0) {
            int64_t len = c8_report_ctc_decode(x, T, C, d->ctc_blank, d->seq_b);
            a->strings_agree +=
                len == ref_len && !memcmp(d->seq_a, d->seq_b, (size_t)len * sizeof *d->seq_a);
        }
        break;
    }
    default: break;
    }
}

c8_status c8_report_drift_add(c8_report *r, int64_t n, const float *const *out,
                              const char *const *names, c8_error *err) {
    r_drift *d = &r->drift;
    if (!d->present) return c8_err(err, C8_ERR_INVALID, "report: c8_report_drift_begin first");
    for (int64_t i = 0; i < n; i++) {
        count_nonfinite(d, i, out, names);
        for (int k = 0; k < d->n_out; k++) {
            r_output *o = &d->out[k];
            const int64_t per = o->per_image;
            const float *ref = out[d->ref * d->n_out + k] + i * per;
            int64_t ref_len = 0;
            if (o->kind == C8_OUTPUT_SEQUENCE && d->ctc_blank >= 0)
                ref_len =
                    c8_report_ctc_decode(ref, o->shape.d[0], o->shape.d[1], d->ctc_blank, d->seq_a);
            for (int j = 0; j < d->n; j++) {
                const float *x = out[j * d->n_out + k] + i * per;
                c8_report_metrics_add(&o->acc[j].m, ref, x, (size_t)per);
                add_kind(d, o, &o->acc[j], ref, x, ref_len);
            }
        }
    }
    d->images += n;
    return C8_OK;
}

int c8_report_drift_num_outputs(const c8_report *r) {
    return r->drift.present ? r->drift.n_out : 0;
}

c8_status c8_report_drift_get(const c8_report *r, int o, c8_precision p, c8_report_drift *out,
                              c8_error *err) {
    memset(out, 0, sizeof *out);
    const r_drift *d = &r->drift;
    int j = -1;
    for (int i = 0; d->present && i < d->n; i++)
        if (d->prec[i] == p) j = i;
    if (j < 0 || o < 0 || o >= d->n_out)
        return c8_err(err, C8_ERR_NOT_FOUND, "report: no drift results for output %d in %s", o,
                      c8_precision_name(p));
    const r_output *ro = &d->out[o];
    const r_drift_acc *a = &ro->acc[j];
    out->output = ro->name;
    out->kind = ro->kind;
    out->kind_forced = ro->forced;
    out->shape = ro->shape;
    out->images = d->images;
    out->m = a->m;
    out->sqnr_db = c8_report_sqnr_db(&a->m);
    out->cosine = c8_report_cosine(&a->m);
    out->max_abs_diff = a->m.count ? a->m.max_abs_err : NAN;
    out->ref_rms = a->m.count ? sqrt(a->m.sum_ref2 / (double)a->m.count) : NAN;
    out->ref_max_abs = a->m.count ? a->m.max_abs_ref : NAN;
    out->agree = a->agree;
    out->compared = a->compared;
    out->agreement = ro->kind != C8_OUTPUT_GENERIC && a->compared
                         ? 100.0 * (double)a->agree / (double)a->compared
                         : NAN;
    out->map_inter = a->inter;
    out->map_union = a->uni;
    out->map_iou = NAN;
    if (ro->kind == C8_OUTPUT_MAP && a->compared) /* both maps empty everywhere: identical */
        out->map_iou = a->uni ? (double)a->inter / (double)a->uni : 1.0;
    out->has_strings = ro->kind == C8_OUTPUT_SEQUENCE && d->ctc_blank >= 0;
    out->strings_agree = a->strings_agree;
    out->string_agreement =
        out->has_strings && d->images ? 100.0 * (double)a->strings_agree / (double)d->images : NAN;
    return C8_OK;
}

const char *r_drift_agreement_label(c8_output_kind k) {
    switch (k) {
    case C8_OUTPUT_CLASSES: return "top-1 agreement (images)";
    case C8_OUTPUT_MAP: return "pixel agreement";
    case C8_OUTPUT_SEQUENCE: return "per-position argmax agreement";
    default: return "-";
    }
}

const char *r_drift_note(const c8_report *r) {
    return r->e2e.present
               ? "Every output against FP32's on the same images: SQNR, cosine and max abs diff "
                 "of all values, and by the output's kind the top-1 agreement (class scores), the "
                 "IoU and pixel agreement of the maps thresholded at the map threshold (dense "
                 "maps), the per-position argmax agreement and, with a CTC blank, the decoded-"
                 "string agreement (sequences). The data set has labels: the end-to-end section "
                 "also measures top-1 and top-5 of output 0 against them."
               : "Every output against FP32's on the same images: SQNR, cosine and max abs diff "
                 "of all values, and by the output's kind the top-1 agreement (class scores), the "
                 "IoU and pixel agreement of the maps thresholded at the map threshold (dense "
                 "maps), the per-position argmax agreement and, with a CTC blank, the decoded-"
                 "string agreement (sequences). The data set has no labels: no accuracy against "
                 "labels was measured, only agreement with FP32.";
}
