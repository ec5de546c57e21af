/* Checks of a written report.json against the documented schema (docs/report.md), shared by the
 * reports suites: required keys with their types, parsed back with util/json.h. */
#ifndef C8_TESTS_REPORTS_REPORT_CHECK_H
#define C8_TESTS_REPORTS_REPORT_CHECK_H

#include "c8test.h"

#include "calib8/report.h"
#include "util/json.h"

#include <math.h>

/* Counts schema violations (each printed); 0 means the file follows the schema. */
static int rc_fail(const char *what, const char *key) {
    printf("\n  report.json: %s: '%s'", what, key);
    return 1;
}

static int rc_type(const c8_json *o, const char *key, c8_json_type t) {
    const c8_json *v = c8_json_get(o, key);
    if (!v) return rc_fail("missing key", key);
    if (v->type != t) return rc_fail("wrong type", key);
    return 0;
}

static int rc_type_or_null(const c8_json *o, const char *key, c8_json_type t) {
    const c8_json *v = c8_json_get(o, key);
    if (!v) return rc_fail("missing key", key);
    if (v->type != t && v->type != C8_JSON_NULL) return rc_fail("wrong type", key);
    return 0;
}

/* A metric: a number, the strings "inf" / "-inf", or null. */
static int rc_metric(const c8_json *o, const char *key) {
    const c8_json *v = c8_json_get(o, key);
    if (!v) return rc_fail("missing key", key);
    if (v->type == C8_JSON_NUM || v->type == C8_JSON_NULL) return 0;
    if (v->type == C8_JSON_STR && (!strcmp(v->str, "inf") || !strcmp(v->str, "-inf"))) return 0;
    return rc_fail("not a metric", key);
}

static int rc_precision(const c8_json *p) {
    int bad = 0;
    static const char *const nums[] = {"images",
                                       "top1",
                                       "top5",
                                       "correct_top1",
                                       "correct_top5",
                                       "agreement_with_fp32",
                                       "agree",
                                       "flipped",
                                       "flipped_to_wrong",
                                       "flipped_to_right",
                                       NULL};
    for (const char *const *k = nums; *k; k++) bad += rc_type(p, *k, C8_JSON_NUM);
    for (int i = 0; i < 2; i++) {
        const char *key = i ? "top5_ci95" : "top1_ci95";
        const c8_json *ci = c8_json_get(p, key);
        if (!ci || ci->type != C8_JSON_ARR || ci->n != 2 || ci->kids[0].type != C8_JSON_NUM ||
            ci->kids[1].type != C8_JSON_NUM || ci->kids[0].num > ci->kids[1].num)
            bad += rc_fail("bad interval", key);
    }
    bad += rc_metric(p, "mean_abs_logit_diff");
    bad += rc_metric(p, "max_abs_logit_diff");
    return bad;
}

static int rc_layer(const c8_json *l) {
    int bad = 0;
    bad += rc_type(l, "index", C8_JSON_NUM);
    bad += rc_type(l, "tensor", C8_JSON_STR);
    bad += rc_type(l, "engine_value", C8_JSON_STR);
    bad += rc_type(l, "form", C8_JSON_STR);
    bad += rc_type_or_null(l, "layer", C8_JSON_STR);
    bad += rc_type(l, "op", C8_JSON_STR);
    bad += rc_type_or_null(l, "precision", C8_JSON_STR);
    bad += rc_type_or_null(l, "reason", C8_JSON_STR);
    bad += rc_type_or_null(l, "engine_scale", C8_JSON_NUM);
    bad += rc_type_or_null(l, "cache_scale", C8_JSON_NUM);
    bad += rc_type(l, "values", C8_JSON_NUM);
    bad += rc_type(l, "values_per_image", C8_JSON_NUM);
    static const char *const metrics[] = {"sqnr_db",     "cosine",     "rel_l2",
                                          "max_abs_err", "clip_share", NULL};
    for (const char *const *k = metrics; *k; k++) bad += rc_metric(l, *k);
    bad += rc_type_or_null(l, "clipped", C8_JSON_NUM);
    bad += rc_type(l, "nonfinite", C8_JSON_NUM);
    bad += rc_type_or_null(l, "sensitivity", C8_JSON_OBJ);
    bad += rc_type_or_null(l, "histogram", C8_JSON_OBJ);
    bad += rc_type_or_null(l, "thresholds", C8_JSON_OBJ);
    const c8_json *h = c8_json_get(l, "histogram");
    if (h && h->type == C8_JSON_OBJ) {
        bad += rc_type(h, "source", C8_JSON_STR);
        bad += rc_type(h, "nbins", C8_JSON_NUM);
        bad += rc_type(h, "display_max", C8_JSON_NUM);
        bad += rc_type(h, "display_counts", C8_JSON_ARR);
    }
    return bad;
}

/* One output of the "drift" object: its keys, and every measure it lists present as a metric in
 * every precision. */
static int rc_drift_output(const c8_json *o) {
    int bad = 0;
    bad += rc_type(o, "index", C8_JSON_NUM);
    bad += rc_type(o, "name", C8_JSON_STR);
    bad += rc_type(o, "kind", C8_JSON_STR);
    bad += rc_type(o, "kind_source", C8_JSON_STR);
    bad += rc_type(o, "shape", C8_JSON_ARR);
    bad += rc_type(o, "measures", C8_JSON_ARR);
    bad += rc_type(o, "precisions", C8_JSON_OBJ);
    const c8_json *ms = c8_json_get(o, "measures"), *ps = c8_json_get(o, "precisions");
    if (bad || !ps->n) return bad + (ps && !ps->n ? rc_fail("empty", "precisions") : 0);
    for (size_t p = 0; p < ps->n; p++) {
        bad += rc_type(&ps->kids[p], "values", C8_JSON_NUM);
        bad += rc_type(&ps->kids[p], "nonfinite", C8_JSON_NUM);
        for (size_t m = 0; m < ms->n; m++)
            bad += ms->kids[m].type == C8_JSON_STR ? rc_metric(&ps->kids[p], ms->kids[m].str)
                                                   : rc_fail("not a string", "measures");
    }
    return bad;
}

/* Parses path and checks the schema; *out (may be NULL) receives the parsed document (caller
 * frees with c8_json_free). Returns the number of violations (-1 when unreadable). */
static int rc_check_report(const char *path, c8_json **out) {
    c8_json *j = NULL;
    c8_error err = {0};
    if (out) *out = NULL;
    if (c8_json_parse_file(path, &j, &err) != C8_OK) {
        printf("\n  %s", err.msg);
        return -1;
    }
    int bad = 0;
    if (j->type != C8_JSON_OBJ) bad += rc_fail("not an object", "/");
    const char *fmt = c8_json_get_str(j, "format");
    if (!fmt || strcmp(fmt, "calib8-report")) bad += rc_fail("bad value", "format");
    if (c8_json_get_num(j, "format_version", -1) != C8_REPORT_FORMAT_VERSION)
        bad += rc_fail("bad value", "format_version");
    bad += rc_type(j, "calib8_version", C8_JSON_STR);
    bad += rc_type(j, "settings", C8_JSON_OBJ);
    bad += rc_type_or_null(j, "classes", C8_JSON_ARR);
    bad += rc_type(j, "precisions", C8_JSON_OBJ);
    bad += rc_type(j, "flipped", C8_JSON_OBJ);
    bad += rc_type(j, "layers", C8_JSON_ARR);
    bad += rc_type(j, "fallback_layers", C8_JSON_ARR);
    bad += rc_type_or_null(j, "engine", C8_JSON_OBJ);
    bad += rc_type_or_null(j, "layer_images", C8_JSON_NUM);
    bad += rc_type_or_null(j, "histogram_source", C8_JSON_STR);
    bad += rc_type_or_null(j, "sensitivity", C8_JSON_OBJ);
    bad += rc_type_or_null(j, "fallback_search", C8_JSON_OBJ);
    bad += rc_type_or_null(j, "calibration", C8_JSON_OBJ);
    bad += rc_type_or_null(j, "dump", C8_JSON_STR);
    bad += rc_type_or_null(j, "drift", C8_JSON_OBJ);
    const c8_json *dr = c8_json_get(j, "drift");
    if (dr && dr->type == C8_JSON_OBJ) {
        bad += rc_type(dr, "images", C8_JSON_NUM);
        bad += rc_type(dr, "labels", C8_JSON_BOOL);
        bad += rc_type(dr, "map_threshold", C8_JSON_NUM);
        bad += rc_type_or_null(dr, "ctc_blank", C8_JSON_NUM);
        bad += rc_type(dr, "outputs", C8_JSON_ARR);
        const c8_json *os = c8_json_get(dr, "outputs");
        for (size_t i = 0; os && os->type == C8_JSON_ARR && i < os->n; i++)
            bad += rc_drift_output(&os->kids[i]);
    }
    const c8_json *p = c8_json_get(j, "precisions");
    for (size_t i = 0; p && p->type == C8_JSON_OBJ && i < p->n; i++)
        bad += rc_precision(&p->kids[i]);
    const c8_json *l = c8_json_get(j, "layers");
    for (size_t i = 0; l && l->type == C8_JSON_ARR && i < l->n; i++) bad += rc_layer(&l->kids[i]);
    const c8_json *fb = c8_json_get(j, "fallback_search");
    if (fb && fb->type == C8_JSON_OBJ) {
        bad += rc_type(fb, "steps", C8_JSON_ARR);
        bad += rc_type(fb, "chosen", C8_JSON_ARR);
        bad += rc_type(fb, "met", C8_JSON_BOOL);
        bad += rc_type(fb, "max_drift", C8_JSON_NUM);
        bad += rc_type_or_null(fb, "layer_precision", C8_JSON_STR);
    }
    const c8_json *s = c8_json_get(j, "sensitivity");
    if (s && s->type == C8_JSON_OBJ) {
        bad += rc_type(s, "images", C8_JSON_NUM);
        bad += rc_type(s, "baseline", C8_JSON_OBJ);
        bad += rc_type(s, "layers", C8_JSON_ARR);
        bad += rc_type(s, "ranking", C8_JSON_ARR);
    }
    if (out)
        *out = j;
    else
        c8_json_free(j);
    return bad;
}

#endif
