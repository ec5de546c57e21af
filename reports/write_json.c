/* report.json: the versioned schema documented in docs/report.md ("report.json"). Numbers go
 * through util/json.h's writer (17 significant digits, round-trippable); non-finite metrics are
 * written as the strings "inf" / "-inf" (SQNR of an exact tensor, relative error against an
 * all-zero reference) and NaN (undefined) as null. */
#include "reports/report_internal.h"

#include "calib8/config.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A metric: finite -> number, +-inf -> "inf" / "-inf", NaN -> null. */
static void jw_metric(c8_jw *w, double v) {
    if (isnan(v))
        c8_jw_null(w);
    else if (isinf(v))
        c8_jw_str(w, v > 0 ? "inf" : "-inf");
    else
        c8_jw_num(w, v);
}

static void jw_str_or_null(c8_jw *w, const char *s) {
    if (s)
        c8_jw_str(w, s);
    else
        c8_jw_null(w);
}

static void write_precisions(c8_jw *w, const c8_report *r) {
    c8_jw_key(w, "precisions");
    c8_jw_obj_begin(w);
    for (int j = 0; r->e2e.present && j < r->e2e.n; j++) {
        c8_report_e2e_stats s;
        c8_report_e2e_stats_get(r, r->e2e.prec[j].p, &s, NULL);
        c8_jw_key(w, c8_precision_name(r->e2e.prec[j].p));
        c8_jw_obj_begin(w);
        c8_jw_key(w, "images");
        c8_jw_int(w, s.images);
        c8_jw_key(w, "top1");
        c8_jw_num(w, s.top1);
        c8_jw_key(w, "top1_ci95");
        c8_jw_arr_begin(w);
        c8_jw_num(w, s.top1_lo);
        c8_jw_num(w, s.top1_hi);
        c8_jw_arr_end(w);
        c8_jw_key(w, "top5");
        c8_jw_num(w, s.top5);
        c8_jw_key(w, "top5_ci95");
        c8_jw_arr_begin(w);
        c8_jw_num(w, s.top5_lo);
        c8_jw_num(w, s.top5_hi);
        c8_jw_arr_end(w);
        c8_jw_key(w, "correct_top1");
        c8_jw_int(w, s.correct_top1);
        c8_jw_key(w, "correct_top5");
        c8_jw_int(w, s.correct_top5);
        c8_jw_key(w, "agreement_with_fp32");
        c8_jw_num(w, s.agreement);
        c8_jw_key(w, "agree");
        c8_jw_int(w, s.agree);
        c8_jw_key(w, "flipped");
        c8_jw_int(w, s.flipped);
        c8_jw_key(w, "flipped_to_wrong");
        c8_jw_int(w, s.flipped_to_wrong);
        c8_jw_key(w, "flipped_to_right");
        c8_jw_int(w, s.flipped_to_right);
        c8_jw_key(w, "mean_abs_logit_diff");
        if (s.has_logit_diff)
            jw_metric(w, s.mean_abs_logit_diff);
        else
            c8_jw_null(w);
        c8_jw_key(w, "max_abs_logit_diff");
        if (s.has_logit_diff)
            jw_metric(w, s.max_abs_logit_diff);
        else
            c8_jw_null(w);
        c8_jw_obj_end(w);
    }
    c8_jw_obj_end(w);
    c8_jw_key(w, "flipped");
    c8_jw_obj_begin(w);
    for (int j = 0; r->e2e.present && j < r->e2e.n; j++) {
        c8_precision p = r->e2e.prec[j].p;
        if (p == C8_PREC_FP32) continue;
        c8_jw_key(w, c8_precision_name(p));
        c8_jw_arr_begin(w);
        for (int64_t i = 0; i < c8_report_num_flips(r, p); i++) {
            const char *img;
            int64_t label, p32, px;
            c8_report_flip(r, p, i, &img, &label, &p32, &px);
            c8_jw_obj_begin(w);
            c8_jw_key(w, "image");
            c8_jw_str(w, img);
            c8_jw_key(w, "label");
            c8_jw_int(w, label);
            c8_jw_key(w, "fp32");
            c8_jw_int(w, p32);
            c8_jw_key(w, "pred");
            c8_jw_int(w, px);
            c8_jw_obj_end(w);
        }
        c8_jw_arr_end(w);
    }
    c8_jw_obj_end(w);
}

/* The measures of a drift entry of kind k (the keys written besides values and nonfinite). */
static int drift_measures(c8_output_kind k, bool strings, const char **out) {
    int n = 0;
    out[n++] = "sqnr_db";
    out[n++] = "cosine";
    out[n++] = "max_abs_diff";
    if (k == C8_OUTPUT_CLASSES) out[n++] = "top1_agreement";
    if (k == C8_OUTPUT_MAP) out[n++] = "map_iou", out[n++] = "pixel_agreement";
    if (k == C8_OUTPUT_SEQUENCE) out[n++] = "position_agreement";
    if (strings) out[n++] = "string_agreement";
    return n;
}

static void write_drift_prec(c8_jw *w, const c8_report_drift *d) {
    c8_jw_obj_begin(w);
    c8_jw_key(w, "values");
    c8_jw_int(w, d->m.count);
    c8_jw_key(w, "nonfinite");
    c8_jw_int(w, d->m.nonfinite);
    c8_jw_key(w, "sqnr_db");
    jw_metric(w, d->sqnr_db);
    c8_jw_key(w, "cosine");
    jw_metric(w, d->cosine);
    c8_jw_key(w, "max_abs_diff");
    jw_metric(w, d->max_abs_diff);
    /* FP32's own scale, which the errors above are read against (a 1e-7 error on a map near 0
     * is a large one) */
    c8_jw_key(w, "ref_rms");
    jw_metric(w, d->ref_rms);
    c8_jw_key(w, "ref_max_abs");
    jw_metric(w, d->ref_max_abs);
    static const char *const agree_keys[][3] = {
        [C8_OUTPUT_CLASSES] = {"top1_agreement", "top1_agree", "images"},
        [C8_OUTPUT_MAP] = {"pixel_agreement", "pixels_agree", "pixels"},
        [C8_OUTPUT_SEQUENCE] = {"position_agreement", "positions_agree", "positions"},
    };
    if (d->kind >= C8_OUTPUT_CLASSES && d->kind <= C8_OUTPUT_SEQUENCE) {
        c8_jw_key(w, agree_keys[d->kind][0]);
        jw_metric(w, d->agreement);
        c8_jw_key(w, agree_keys[d->kind][1]);
        c8_jw_int(w, d->agree);
        c8_jw_key(w, agree_keys[d->kind][2]);
        c8_jw_int(w, d->compared);
    }
    if (d->kind == C8_OUTPUT_MAP) {
        c8_jw_key(w, "map_iou");
        jw_metric(w, d->map_iou);
        c8_jw_key(w, "map_intersection");
        c8_jw_int(w, d->map_inter);
        c8_jw_key(w, "map_union");
        c8_jw_int(w, d->map_union);
    }
    if (d->has_strings) {
        c8_jw_key(w, "string_agreement");
        jw_metric(w, d->string_agreement);
        c8_jw_key(w, "strings_agree");
        c8_jw_int(w, d->strings_agree);
    }
    c8_jw_obj_end(w);
}

static void write_drift(c8_jw *w, const c8_report *r) {
    const r_drift *dr = &r->drift;
    c8_jw_key(w, "drift");
    if (!dr->present) {
        c8_jw_null(w);
        return;
    }
    c8_jw_obj_begin(w);
    c8_jw_key(w, "images");
    c8_jw_int(w, dr->images);
    c8_jw_key(w, "labels");
    c8_jw_bool(w, r->e2e.present);
    c8_jw_key(w, "map_threshold");
    c8_jw_num(w, dr->map_threshold);
    c8_jw_key(w, "ctc_blank");
    if (dr->ctc_blank >= 0)
        c8_jw_int(w, dr->ctc_blank);
    else
        c8_jw_null(w);
    c8_jw_key(w, "outputs");
    c8_jw_arr_begin(w);
    for (int k = 0; k < dr->n_out; k++) {
        c8_report_drift d;
        c8_report_drift_get(r, k, C8_PREC_FP32, &d, NULL);
        c8_jw_obj_begin(w);
        c8_jw_key(w, "index");
        c8_jw_int(w, k);
        c8_jw_key(w, "name");
        c8_jw_str(w, d.output);
        c8_jw_key(w, "kind");
        c8_jw_str(w, c8_report_output_kind_name(d.kind));
        c8_jw_key(w, "kind_source");
        c8_jw_str(w, d.kind_forced ? "option" : "shape");
        c8_jw_key(w, "shape");
        c8_jw_arr_begin(w);
        for (int i = 0; i < d.shape.rank; i++) c8_jw_int(w, d.shape.d[i]);
        c8_jw_arr_end(w);
        const char *ms[8];
        int nm = drift_measures(d.kind, d.has_strings, ms);
        c8_jw_key(w, "measures");
        c8_jw_arr_begin(w);
        for (int i = 0; i < nm; i++) c8_jw_str(w, ms[i]);
        c8_jw_arr_end(w);
        c8_jw_key(w, "precisions");
        c8_jw_obj_begin(w);
        for (int j = 0; j < dr->n; j++) {
            c8_report_drift_get(r, k, dr->prec[j], &d, NULL);
            c8_jw_key(w, c8_precision_name(dr->prec[j]));
            write_drift_prec(w, &d);
        }
        c8_jw_obj_end(w);
        c8_jw_obj_end(w);
    }
    c8_jw_arr_end(w);
    c8_jw_obj_end(w);
}

static void write_hist(c8_jw *w, const r_row *row) {
    const r_hist *h = &row->h;
    c8_jw_key(w, "histogram");
    if (!h->present) {
        c8_jw_null(w);
    } else {
        c8_jw_obj_begin(w);
        c8_jw_key(w, "source");
        c8_jw_str(w, h->source);
        c8_jw_key(w, "nbins");
        c8_jw_int(w, h->nbins);
        c8_jw_key(w, "range");
        c8_jw_num(w, h->range);
        c8_jw_key(w, "absmax");
        c8_jw_f32(w, h->absmax);
        c8_jw_key(w, "count");
        c8_jw_int(w, (int64_t)h->count);
        c8_jw_key(w, "display_max");
        c8_jw_num(w, h->disp_max);
        c8_jw_key(w, "display_counts");
        c8_jw_arr_begin(w);
        for (int64_t i = 0; i < h->ndisp; i++) c8_jw_int(w, (int64_t)h->disp[i]);
        c8_jw_arr_end(w);
        c8_jw_obj_end(w);
    }
    c8_jw_key(w, "thresholds");
    if (!h->present && !(row->cache_scale > 0)) {
        c8_jw_null(w);
        return;
    }
    c8_jw_obj_begin(w);
    c8_jw_key(w, "chosen");
    if (row->cache_scale > 0)
        c8_jw_num(w, 127.0 * row->cache_scale);
    else
        c8_jw_null(w);
    for (int a = 0; h->present && a < h->n_algos; a++) {
        c8_jw_key(w, h->algo[a]);
        jw_metric(w, h->threshold[a]);
    }
    c8_jw_obj_end(w);
}

static void write_sens_entry(c8_jw *w, const c8_report *r, const r_sens_entry *e) {
    double n = r->sens.images ? (double)r->sens.images : 1;
    c8_jw_obj_begin(w);
    c8_jw_key(w, "layer");
    c8_jw_str(w, e->layer);
    c8_jw_key(w, "op");
    c8_jw_str(w, e->op);
    c8_jw_key(w, "measured");
    c8_jw_bool(w, e->measured);
    c8_jw_key(w, "note");
    jw_str_or_null(w, e->note);
    c8_jw_key(w, "rank");
    if (e->rank)
        c8_jw_int(w, e->rank);
    else
        c8_jw_null(w);
    c8_jw_key(w, "logit_sqnr_db");
    jw_metric(w, e->measured ? e->logit_sqnr : NAN);
    c8_jw_key(w, "gain_db");
    jw_metric(w, e->measured ? e->gain_db : NAN);
    c8_jw_key(w, "agreement_with_fp32");
    jw_metric(w, e->measured ? 100.0 * (double)e->agree / n : NAN);
    c8_jw_key(w, "top1");
    jw_metric(w, e->measured ? r_sens_top1(&r->sens, e->correct) : NAN);
    c8_jw_key(w, "incremental_logit_sqnr_db");
    jw_metric(w, e->inc_measured ? e->inc_sqnr : NAN);
    c8_jw_key(w, "incremental_noise_added");
    jw_metric(w, e->inc_measured ? e->inc_noise : NAN);
    c8_jw_key(w, "incremental_agreement_with_fp32");
    jw_metric(w, e->inc_measured ? 100.0 * (double)e->inc_agree / n : NAN);
    c8_jw_key(w, "incremental_top1");
    jw_metric(w, e->inc_measured ? r_sens_top1(&r->sens, e->inc_correct) : NAN);
    c8_jw_obj_end(w);
}

static void write_layers(c8_jw *w, const c8_report *r) {
    c8_jw_key(w, "layer_images");
    if (r->layers_present)
        c8_jw_int(w, r->layer_images);
    else
        c8_jw_null(w);
    c8_jw_key(w, "histogram_source");
    jw_str_or_null(w, r->layers_present ? r->hist_source : NULL);
    c8_jw_key(w, "layers");
    c8_jw_arr_begin(w);
    for (int i = 0; i < r->n_rows; i++) {
        const r_row *row = &r->rows[i];
        const c8_report_metrics *m = &row->m;
        c8_jw_obj_begin(w);
        c8_jw_key(w, "index");
        c8_jw_int(w, i);
        c8_jw_key(w, "tensor");
        c8_jw_str(w, row->tensor);
        c8_jw_key(w, "engine_value");
        c8_jw_str(w, row->engine_value);
        c8_jw_key(w, "form");
        c8_jw_str(w, row->form);
        c8_jw_key(w, "layer");
        jw_str_or_null(w, row->layer);
        c8_jw_key(w, "op");
        jw_str_or_null(w, row->layer ? row->op : "input");
        c8_jw_key(w, "precision");
        jw_str_or_null(w, row->layer ? c8_precision_name(row->precision) : NULL);
        c8_jw_key(w, "reason");
        jw_str_or_null(w, row->reason);
        c8_jw_key(w, "engine_scale");
        if (row->engine_scale > 0)
            c8_jw_f32(w, row->engine_scale);
        else
            c8_jw_null(w);
        c8_jw_key(w, "cache_scale");
        if (row->cache_scale > 0)
            c8_jw_f32(w, row->cache_scale);
        else
            c8_jw_null(w);
        c8_jw_key(w, "calib_algo"); /* the sidecar's algorithm for this tensor (auto's choice) */
        jw_str_or_null(w, r_calib_algo(r, row->tensor));
        c8_jw_key(w, "values");
        c8_jw_int(w, m->count);
        c8_jw_key(w, "values_per_image");
        c8_jw_int(w, row->per_image);
        c8_jw_key(w, "sqnr_db");
        jw_metric(w, c8_report_sqnr_db(m));
        c8_jw_key(w, "cosine");
        jw_metric(w, c8_report_cosine(m));
        c8_jw_key(w, "rel_l2");
        jw_metric(w, c8_report_rel_l2(m));
        c8_jw_key(w, "max_abs_err");
        jw_metric(w, m->count ? m->max_abs_err : NAN);
        c8_jw_key(w, "clip_share");
        jw_metric(w, c8_report_clip_share(m));
        c8_jw_key(w, "clipped");
        if (m->clip_limit > 0)
            c8_jw_int(w, m->clipped);
        else
            c8_jw_null(w);
        c8_jw_key(w, "nonfinite");
        c8_jw_int(w, m->nonfinite);
        c8_jw_key(w, "sensitivity");
        if (row->sens >= 0)
            write_sens_entry(w, r, &r->sens.e[row->sens]);
        else
            c8_jw_null(w);
        write_hist(w, row);
        c8_jw_obj_end(w);
    }
    c8_jw_arr_end(w);
}

static void write_sensitivity(c8_jw *w, const c8_report *r) {
    const r_sens *s = &r->sens;
    c8_jw_key(w, "sensitivity");
    if (!s->present) {
        c8_jw_null(w);
        return;
    }
    double n = s->images ? (double)s->images : 1;
    c8_jw_obj_begin(w);
    c8_jw_key(w, "images");
    c8_jw_int(w, s->images);
    c8_jw_key(w, "method");
    c8_jw_str(w, r_sens_method(s));
    c8_jw_key(w, "ranked_by");
    c8_jw_str(w, s->incremental ? "incremental_logit_noise" : "kept_out_gain");
    c8_jw_key(w, "kept_precision");
    c8_jw_str(w, c8_precision_name(s->kept));
    c8_jw_key(w, "fp32_top1");
    jw_metric(w, r_sens_top1(s, s->fp32_correct));
    c8_jw_key(w, "baseline");
    c8_jw_obj_begin(w);
    c8_jw_key(w, "logit_sqnr_db");
    jw_metric(w, s->base_sqnr);
    c8_jw_key(w, "agreement_with_fp32");
    c8_jw_num(w, 100.0 * (double)s->base_agree / n);
    c8_jw_key(w, "top1");
    jw_metric(w, r_sens_top1(s, s->base_correct));
    c8_jw_obj_end(w);
    c8_jw_key(w, "layers");
    c8_jw_arr_begin(w);
    for (int i = 0; i < s->n; i++) write_sens_entry(w, r, &s->e[i]);
    c8_jw_arr_end(w);
    c8_jw_key(w, "ranking");
    c8_jw_arr_begin(w);
    for (int i = 0; i < s->n_order; i++) c8_jw_str(w, s->e[s->order[i]].layer);
    c8_jw_arr_end(w);
    c8_jw_obj_end(w);
}

static void write_fallback(c8_jw *w, const c8_report *r) {
    const r_fallback *f = &r->fb;
    c8_jw_key(w, "fallback_search");
    if (!f->present) {
        c8_jw_null(w);
        return;
    }
    c8_jw_obj_begin(w);
    c8_jw_key(w, "max_drift");
    c8_jw_num(w, f->max_drift);
    c8_jw_key(w, "images");
    c8_jw_int(w, f->images);
    c8_jw_key(w, "kept_precision");
    c8_jw_str(w, c8_precision_name(f->kept));
    /* what fp32_top1 and the steps' top1 / correct count: top-1 against the labels, or lines
     * whose CTC-decoded string equals FP32's */
    c8_jw_key(w, "measure");
    c8_jw_str(w, r_fb_measure(f));
    c8_jw_key(w, "fp32_top1");
    c8_jw_num(w, f->fp32_top1);
    c8_jw_key(w, "fp32_correct");
    c8_jw_int(w, f->fp32_correct);
    c8_jw_key(w, "steps");
    c8_jw_arr_begin(w);
    for (int i = 0; i < f->n_steps; i++) {
        const r_step *s = &f->steps[i];
        c8_jw_obj_begin(w);
        c8_jw_key(w, "step");
        c8_jw_int(w, i);
        c8_jw_key(w, "layers");
        c8_jw_int(w, s->layers);
        c8_jw_key(w, "added");
        jw_str_or_null(w, s->added);
        c8_jw_key(w, "correct");
        c8_jw_int(w, s->correct);
        c8_jw_key(w, "top1");
        c8_jw_num(w, s->top1);
        c8_jw_key(w, "drift");
        c8_jw_num(w, s->drift);
        c8_jw_key(w, "met");
        c8_jw_bool(w, s->met);
        c8_jw_obj_end(w);
    }
    c8_jw_arr_end(w);
    c8_jw_key(w, "chosen");
    c8_jw_arr_begin(w);
    for (int i = 0; f->met && i < f->n_chosen; i++) c8_jw_str(w, f->chosen[i]);
    c8_jw_arr_end(w);
    c8_jw_key(w, "layer_precision");
    jw_str_or_null(w, f->spec);
    c8_jw_key(w, "base_layer_precision");
    jw_str_or_null(w, f->base_spec);
    c8_jw_key(w, "met");
    c8_jw_bool(w, f->met);
    c8_jw_key(w, "no_int8_left");
    c8_jw_bool(w, f->none_left);
    c8_jw_obj_end(w);
}

static void write_calib(c8_jw *w, const c8_report *r) {
    const r_calib *c = &r->calib;
    c8_jw_key(w, "calibration");
    if (!c->present) {
        c8_jw_null(w);
        return;
    }
    const c8_calib_info *in = &c->info;
    c8_jw_obj_begin(w);
    c8_jw_key(w, "cache");
    c8_jw_str(w, c->cache_path);
    c8_jw_key(w, "cache_sha256");
    c8_jw_str(w, c->cache_sha256);
    c8_jw_key(w, "trt_version");
    c8_jw_str(w, c->trt_version);
    c8_jw_key(w, "trt_algorithm");
    c8_jw_str(w, c->trt_algorithm);
    c8_jw_key(w, "tensors");
    c8_jw_int(w, c->tensors);
    c8_jw_key(w, "sidecar");
    c8_jw_bool(w, c->sidecar);
    c8_jw_key(w, "sidecar_error");
    jw_str_or_null(w, c->sidecar_error);
    if (c->sidecar) {
        c8_jw_key(w, "calib8_version");
        jw_str_or_null(w, in->calib8_version);
        c8_jw_key(w, "algorithm");
        jw_str_or_null(w, in->algorithm);
        const c8_calib_algo *a = in->algorithm ? c8_calib_algo_find(in->algorithm) : NULL;
        c8_jw_key(w, "params");
        c8_jw_obj_begin(w);
        if (a && (a->params & C8_CALIB_PARAM_PERCENTILE)) {
            c8_jw_key(w, "percentile");
            c8_jw_num(w, in->params.percentile);
        }
        if (a && (a->params & C8_CALIB_PARAM_MXNET_EPS)) {
            c8_jw_key(w, "mxnet_eps");
            c8_jw_num(w, in->params.mxnet_eps);
        }
        c8_jw_obj_end(w);
        c8_jw_key(w, "nbins");
        c8_jw_int(w, in->nbins);
        c8_jw_key(w, "model_sha256");
        jw_str_or_null(w, in->model_sha256);
        c8_jw_key(w, "dataset_sha256");
        jw_str_or_null(w, in->dataset_sha256);
        c8_jw_key(w, "dataset_images");
        c8_jw_int(w, in->dataset_images);
        c8_jw_key(w, "preprocessing");
        jw_str_or_null(w, in->preprocessing);
        c8_jw_key(w, "batch_size");
        c8_jw_int(w, in->batch_size);
        c8_jw_key(w, "images");
        c8_jw_int(w, in->images);
    }
    c8_jw_obj_end(w);
}

c8_status c8_report_write_json(const c8_report *r, const char *path, c8_error *err) {
    c8_atomic_file *f;
    C8_TRY(c8_atomic_open(path, &f, err));
    c8_jw w;
    c8_jw_init(&w, c8_atomic_file_fp(f));
    c8_jw_obj_begin(&w);
    c8_jw_key(&w, "format");
    c8_jw_str(&w, "calib8-report");
    c8_jw_key(&w, "format_version");
    c8_jw_int(&w, C8_REPORT_FORMAT_VERSION);
    c8_jw_key(&w, "calib8_version");
    c8_jw_str(&w, C8_VERSION_STRING);
    c8_jw_key(&w, "settings");
    c8_jw_obj_begin(&w);
    for (int i = 0; i < r->n_settings; i++) {
        c8_jw_key(&w, r->settings[i].key);
        c8_jw_str(&w, r->settings[i].value);
    }
    c8_jw_obj_end(&w);
    c8_jw_key(&w, "classes");
    if (r->n_classes) {
        c8_jw_arr_begin(&w);
        for (int64_t k = 0; k < r->n_classes; k++) c8_jw_str(&w, r->classes[k]);
        c8_jw_arr_end(&w);
    } else {
        c8_jw_null(&w);
    }
    write_precisions(&w, r);
    write_drift(&w, r);
    c8_jw_key(&w, "engine");
    if (r->engine_present) {
        c8_jw_obj_begin(&w);
        c8_jw_key(&w, "int8_layers");
        c8_jw_int(&w, r->engine_layers_int8);
        c8_jw_key(&w, "other_layers");
        c8_jw_int(&w, r->engine_layers_other);
        c8_jw_obj_end(&w);
    } else {
        c8_jw_null(&w);
    }
    c8_jw_key(&w, "fallback_layers");
    c8_jw_arr_begin(&w);
    for (int i = 0; i < r->n_fallback_layers; i++) {
        const r_layer *l = &r->fallback_layers[i];
        c8_jw_obj_begin(&w);
        c8_jw_key(&w, "name");
        c8_jw_str(&w, l->name);
        c8_jw_key(&w, "op");
        c8_jw_str(&w, l->op);
        c8_jw_key(&w, "precision");
        c8_jw_str(&w, c8_precision_name(l->precision));
        c8_jw_key(&w, "reason");
        c8_jw_str(&w, l->reason);
        c8_jw_obj_end(&w);
    }
    c8_jw_arr_end(&w);
    write_layers(&w, r);
    write_sensitivity(&w, r);
    write_fallback(&w, r);
    write_calib(&w, r);
    c8_jw_key(&w, "dump");
    jw_str_or_null(&w, r->dump_path);
    c8_jw_obj_end(&w);
    fputc('\n', c8_atomic_file_fp(f));
    return c8_atomic_commit(f, err);
}

c8_status c8_report_write(const c8_report *r, const char *dir, c8_error *err) {
    C8_TRY(c8_mkdirs(dir, err));
    static const char *const names[] = {"report.json", "report.md", "report.html"};
    for (int i = 0; i < 3; i++) {
        char *p = c8_path_join(dir, names[i]);
        if (!p) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        c8_status s = i == 0   ? c8_report_write_json(r, p, err)
                      : i == 1 ? c8_report_write_md(r, p, err)
                               : c8_report_write_html(r, p, err);
        free(p);
        if (s != C8_OK) return s;
    }
    return C8_OK;
}
