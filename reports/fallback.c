/* Automatic fallback (c8_report_fallback, behind `calib8 build --max-drift`): the smallest
 * prefix of the sensitivity ranking whose layers, kept out of INT8, bring the top-1 drift
 * against FP32 within the target. Greedy and verified: every step rebuilds the engine with the
 * caller's options and measures top-1 end to end on the verification images; the first step
 * that meets the target is the answer (the drift need not fall monotonically, so no step is
 * skipped by bisection). docs/report.md explains the choices. */
#include "reports/report_internal.h"
#include "reports/run.h"

#include "util/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void c8_fallback_options_init(c8_fallback_options *o) {
    memset(o, 0, sizeof *o);
    o->max_drift = 0.5;
    o->images = -1;
    o->rank_images = C8_REPORT_DEFAULT_LAYER_IMAGES;
    o->max_steps = -1;
    o->ctc_blank = -1;
    o->progress = C8_PROGRESS_AUTO;
}

/* Top-1 / top-5 per image of one engine over the verification images (or, for a sequence
 * output, the CTC-decoded strings). */
typedef struct eval_run_s {
    c8_context *ctx;
    const char *in_name;
    const c8_dataset *ds;
    int64_t n, cap;
    int64_t *pred;
    uint8_t *top5;
    int64_t *labels;
    int64_t *ids;
    int64_t correct;
    int64_t k;
    /* sequence mode (ctc_blank >= 0): every image's decoded string (t entries each, seq_len[i]
     * used); a candidate counts as correct the images whose string equals ref's */
    int64_t ctc_blank, t;
    int64_t *seq, *seq_len;
    const struct eval_run_s *ref;
} eval_run;

/* Sequence mode: decodes each image's (T, C) scores (C from the output's last axis) and counts
 * the images whose string equals the reference run's at the same position (the data set is
 * streamed in the same order for every engine). */
static c8_status seq_batch(eval_run *x, const c8_batch *b, const float *lg, int64_t k,
                           c8_error *err) {
    c8_host_tensor out;
    C8_TRY(c8_context_output(x->ctx, 0, &out, err));
    int64_t c = out.shape.d[out.shape.rank - 1];
    if (out.shape.rank != 3 || c < 1 || k % c || x->ctc_blank >= c)
        return c8_err(err, C8_ERR_SHAPE,
                      "output '%s' is not a (N, T, classes) sequence with the CTC blank %lld "
                      "among its classes",
                      out.name, (long long)x->ctc_blank);
    int64_t t = k / c;
    if (x->t && t != x->t) return c8_err(err, C8_ERR_SHAPE, "sequence length changed between runs");
    x->t = t;
    if (x->n + b->n > x->cap) {
        int64_t cap = x->cap ? x->cap : 1024;
        while (cap < x->n + b->n) cap *= 2;
        int64_t *q = realloc(x->seq, (size_t)(cap * t) * sizeof *q);
        if (q) x->seq = q;
        int64_t *l = realloc(x->seq_len, (size_t)cap * sizeof *l);
        if (l) x->seq_len = l;
        int64_t *d = realloc(x->ids, (size_t)cap * sizeof *d);
        if (d) x->ids = d;
        if (!q || !l || !d) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        x->cap = cap;
    }
    for (int64_t i = 0; i < b->n; i++) {
        int64_t at = x->n + i, *sq = x->seq + at * t;
        x->seq_len[at] = c8_report_ctc_decode(lg + i * k, t, c, x->ctc_blank, sq);
        x->ids[at] = b->ids[i];
        const eval_run *r = x->ref;
        x->correct += !r || (at < r->n && r->t == t && r->seq_len[at] == x->seq_len[at] &&
                             !memcmp(r->seq + at * t, sq, (size_t)x->seq_len[at] * sizeof *sq));
    }
    x->n += b->n;
    return C8_OK;
}

static c8_status eval_batch(void *user, const c8_batch *b, c8_error *err) {
    eval_run *x = user;
    c8_host_tensor in = {x->in_name, C8_DT_FLOAT, {4, {b->n, b->c, b->h, b->w}}, (void *)b->data};
    const float *lg;
    int64_t k;
    C8_TRY(c8_context_run(x->ctx, &in, 1, err));
    C8_TRY(r_output_logits(x->ctx, b->n, &lg, &k, err));
    if (x->k && k != x->k) return c8_err(err, C8_ERR_SHAPE, "output size changed between runs");
    x->k = k;
    if (x->ctc_blank >= 0) return seq_batch(x, b, lg, k, err);
    if (x->n + b->n > x->cap) {
        int64_t cap = x->cap ? x->cap : 1024;
        while (cap < x->n + b->n) cap *= 2;
        int64_t *p = realloc(x->pred, (size_t)cap * sizeof *p);
        if (p) x->pred = p;
        uint8_t *t = realloc(x->top5, (size_t)cap);
        if (t) x->top5 = t;
        int64_t *l = realloc(x->labels, (size_t)cap * sizeof *l);
        if (l) x->labels = l;
        int64_t *d = realloc(x->ids, (size_t)cap * sizeof *d);
        if (d) x->ids = d;
        if (!p || !t || !l || !d) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        x->cap = cap;
    }
    char where[1024]; /* a bad image's file (and HDF5 row), for messages */
    for (int64_t i = 0; i < b->n; i++) {
        int64_t label = b->labels[i];
        if (label < 0 || label >= k)
            return c8_err(err, C8_ERR_INVALID, "%s: label %lld outside the model's %lld classes",
                          c8_dataset_where(x->ds, b->ids[i], where, sizeof where), (long long)label,
                          (long long)k);
        const float *row = lg + i * k;
        int64_t at = x->n + i;
        x->pred[at] = c8_report_argmax(row, k);
        x->top5[at] = c8_report_label_rank(row, k, label) < 5;
        x->labels[at] = label;
        x->ids[at] = b->ids[i];
        x->correct += x->pred[at] == label;
    }
    x->n += b->n;
    return C8_OK;
}

static void eval_free(eval_run *x) {
    free(x->pred);
    free(x->top5);
    free(x->labels);
    free(x->ids);
    free(x->seq);
    free(x->seq_len);
    memset(x, 0, sizeof *x);
}

/* Builds an engine with bo and evaluates it on the verification images. When keep is non-NULL
 * the engine is handed back (for the report's layer list). */
static c8_status evaluate(const c8_model *m, const c8_build_options *bo, const c8_dataset *ds,
                          const c8_preprocess *pre, const c8_loader_opts *lo, int64_t images,
                          const char *in_name, int64_t C, int64_t H, int64_t W,
                          const c8_fallback_options *fo, const char *what, const eval_run *ref,
                          eval_run *out, c8_engine **keep, c8_error *err) {
    memset(out, 0, sizeof *out);
    out->ctc_blank = fo->ctc_blank;
    out->ref = ref;
    c8_engine *e = NULL;
    c8_status st = r_build(m, bo, &e, &out->ctx, err);
    out->in_name = in_name;
    out->ds = ds;
    if (st == C8_OK)
        st = r_stream(e, ds, pre, lo, images, C, H, W, what, fo->progress, eval_batch, out, err);
    c8_context_destroy(out->ctx);
    out->ctx = NULL;
    if (st == C8_OK && out->n == 0) st = c8_err(err, C8_ERR_INVALID, "no images were evaluated");
    if (st == C8_OK && keep)
        *keep = e;
    else
        c8_engine_destroy(e);
    if (st != C8_OK) eval_free(out);
    return st;
}

static c8_status add_step(r_fallback *f, int layers, const char *added, int64_t correct, int64_t n,
                          c8_error *err) {
    r_step *s = realloc(f->steps, (size_t)(f->n_steps + 1) * sizeof *s);
    if (!s) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    f->steps = s;
    r_step *st = &s[f->n_steps++];
    memset(st, 0, sizeof *st);
    st->layers = layers;
    st->added = r_strdup(added);
    st->correct = correct;
    st->top1 = 100.0 * (double)correct / (double)n;
    st->drift = 100.0 * (double)(f->fp32_correct - correct) / (double)n;
    /* compared in images, so 0.5 points of 10000 images allows exactly 50 */
    st->met = (double)(f->fp32_correct - correct) * 100.0 <= f->max_drift * (double)n * (1 + 1e-12);
    if (added && !st->added) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

/* Fills the report's end-to-end section from the FP32 and chosen engines' predictions. */
static c8_status fill_e2e(c8_report *r, const eval_run *ref, const eval_run *best,
                          const c8_dataset *ds, c8_error *err) {
    c8_precision p[2] = {C8_PREC_FP32, C8_PREC_INT8};
    C8_TRY(c8_report_e2e_begin(r, p, 2, ref->k, err));
    /* one add with dummy logits sets labels and names; predictions are then replaced */
    const int64_t chunk = 256;
    float *dummy = calloc((size_t)(chunk * ref->k), sizeof(float));
    const char **names = malloc((size_t)chunk * sizeof *names);
    c8_status st = dummy && names ? C8_OK : c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; st == C8_OK && i < ref->n; i += chunk) {
        int64_t nb = ref->n - i < chunk ? ref->n - i : chunk;
        for (int64_t j = 0; j < nb; j++) names[j] = c8_dataset_name(ds, ref->ids[i + j]);
        const float *lg[2] = {dummy, dummy};
        st = c8_report_e2e_add(r, nb, lg, ref->labels + i, names, err);
    }
    free(dummy);
    free(names);
    if (st == C8_OK) st = r_e2e_set_preds(r, 0, ref->pred, ref->top5, err);
    if (st == C8_OK) st = r_e2e_set_preds(r, 1, best->pred, best->top5, err);
    return st;
}

c8_status c8_report_fallback(c8_report *r, const c8_model *m, const c8_build_options *bo,
                             const c8_dataset *ds, const c8_preprocess *pre,
                             const c8_loader_opts *lo, const c8_fallback_options *fo,
                             c8_error *err) {
    const char *what = c8_model_path(m);
    if (bo->precision != C8_PREC_INT8)
        return c8_err(err, C8_ERR_USAGE, "%s: the fallback search needs an INT8 build", what);
    if (!bo->scales)
        return c8_err(err, C8_ERR_USAGE, "%s: an INT8 build needs a calibration cache", what);
    bool seq = fo->ctc_blank >= 0;
    if (!seq && !c8_dataset_has_labels(ds))
        return c8_err(err, C8_ERR_INVALID,
                      "the data set has no labels; the fallback search "
                      "measures top-1 and needs them (or, for a sequence output, give the CTC "
                      "blank: it then measures the string agreement with FP32)");
    if (!(fo->max_drift >= 0) || !isfinite(fo->max_drift))
        return c8_err(err, C8_ERR_USAGE, "the drift target must be a finite number >= 0");
    r_fallback_free(&r->fb);
    r_fallback *f = &r->fb;
    c8_precision kept = bo->fallback == C8_PREC_FP16 ? C8_PREC_FP16 : C8_PREC_FP32;
    int64_t images =
        fo->images >= 0 && fo->images < c8_dataset_count(ds) ? fo->images : c8_dataset_count(ds);
    f->max_drift = fo->max_drift;
    f->kept = kept;
    f->measure = seq ? "string agreement" : "top-1";
    f->base_spec = r_strdup(bo->layer_precision);
    if (bo->layer_precision && !f->base_spec) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    if (fo->calib_cache) C8_TRY(r_record_calib(r, fo->calib_cache, err));
    C8_TRY(r_set_classes(r, ds, err));
    char buf[64];
    snprintf(buf, sizeof buf, "%g", fo->max_drift);
    C8_TRY(c8_report_set(
        r, seq ? "max drift (string agreement points)" : "max drift (top-1 points)", buf, err));
    snprintf(buf, sizeof buf, "%lld", (long long)images);
    C8_TRY(c8_report_set(r, "fallback images", buf, err));
    C8_TRY(c8_report_set(r, "fallback precision", c8_precision_name(kept), err));
    C8_TRY(c8_report_set(r, "device", c8_device_name(bo->device), err));
    C8_TRY(c8_report_set(r, "passes", bo->passes ? "on" : "off", err));

    c8_build_options b32;
    c8_build_options_init(&b32);
    b32.device = bo->device;
    b32.threads = bo->threads;
    b32.passes = bo->passes;
    c8_build_options b8 = *bo;
    b8.log = NULL;
    eval_run ref = {0}, cur = {0}, best = {0};
    c8_engine *e32 = NULL, *final_engine = NULL;
    c8_context *c32 = NULL;
    r_images im = {0};
    char *spec = NULL;
    const char *in_name;
    int64_t C, H, W, fixed = 0;
    c8_status st = r_build(m, &b32, &e32, &c32, err);
    if (st == C8_OK) st = r_image_input(e32, what, &in_name, &C, &H, &W, &fixed, err);
    c8_context_destroy(c32);
    c8_loader_opts lo2 = *lo;
    if (fixed > 0) lo2.batch = fixed;
    if (st == C8_OK)
        st = evaluate(m, &b32, ds, pre, &lo2, images, in_name, C, H, W, fo, "fp32", NULL, &ref,
                      NULL, err);
    if (st != C8_OK) goto done;
    f->present = true;
    f->images = ref.n;
    f->fp32_correct = ref.correct;
    f->fp32_top1 = 100.0 * (double)ref.correct / (double)ref.n;
    if (fo->log)
        fprintf(fo->log,
                "fallback search: target drift <= %g %s points on %lld images; FP32 "
                "%s %.2f%%\n",
                fo->max_drift, f->measure, (long long)ref.n, f->measure, f->fp32_top1);
    st = evaluate(m, &b8, ds, pre, &lo2, images, in_name, C, H, W, fo, "int8", &ref, &cur,
                  &final_engine, err);
    if (st == C8_OK) st = add_step(f, 0, NULL, cur.correct, ref.n, err);
    if (st != C8_OK) goto done;
    if (fo->log)
        fprintf(fo->log, "  step 0: all INT8: %s %.2f%%, drift %+.2f points%s\n", f->measure,
                f->steps[0].top1, f->steps[0].drift, f->steps[0].met ? " (target met)" : "");
    best = cur;
    memset(&cur, 0, sizeof cur);
    if (!f->steps[0].met) {
        /* rank on the first rank_images images */
        int64_t nr = fo->rank_images > 0 && fo->rank_images < ref.n ? fo->rank_images : ref.n;
        st = r_images_load(m, ds, pre, &lo2, nr, C, H, W, &im, err);
        if (st == C8_OK && fixed > 0 && im.n % fixed)
            st = c8_err(err, C8_ERR_SHAPE,
                        "the model's batch is fixed at %lld; the ranking "
                        "images (%lld) are not a multiple of it",
                        (long long)fixed, (long long)im.n);
        if (st == C8_OK)
            st = r_sensitivity(r, m, &b8, kept, false, &im, in_name,
                               r_layer_batch(lo2.batch, fixed), fo->log, err);
        if (st != C8_OK) goto done;
        const r_sens *s = &r->sens;
        f->chosen = calloc((size_t)(s->n_order ? s->n_order : 1), sizeof *f->chosen);
        if (!f->chosen) {
            st = c8_err(err, C8_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int k = 0; k < s->n_order; k++) {
            if (fo->max_steps >= 0 && k >= fo->max_steps) break;
            const char *name = s->e[s->order[k]].layer;
            f->chosen[f->n_chosen] = strdup(name);
            if (!f->chosen[f->n_chosen]) {
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                goto done;
            }
            f->n_chosen++;
            char *gen = NULL;
            st = c8_report_layer_spec((const char *const *)f->chosen, f->n_chosen, kept, &gen, err);
            if (st != C8_OK) goto done;
            free(spec);
            spec = r_join_spec(bo->layer_precision, gen);
            free(f->spec);
            f->spec = gen;
            if (!spec) {
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                goto done;
            }
            c8_build_options bx = b8;
            bx.layer_precision = spec;
            c8_engine *ex = NULL;
            snprintf(buf, sizeof buf, "step %d", k + 1);
            st = evaluate(m, &bx, ds, pre, &lo2, images, in_name, C, H, W, fo, buf, &ref, &cur, &ex,
                          err);
            if (st == C8_OK) st = add_step(f, f->n_chosen, name, cur.correct, ref.n, err);
            if (st != C8_OK) {
                c8_engine_destroy(ex);
                goto done;
            }
            const r_step *sp = &f->steps[f->n_steps - 1];
            if (fo->log)
                fprintf(fo->log, "  step %d: + %s (%s): %s %.2f%%, drift %+.2f points%s\n", k + 1,
                        name, c8_precision_name(kept), f->measure, sp->top1, sp->drift,
                        sp->met ? " (target met)" : "");
            eval_free(&best);
            best = cur;
            memset(&cur, 0, sizeof cur);
            c8_engine_destroy(final_engine);
            final_engine = ex;
            if (sp->met) break;
        }
    }
    f->met = f->steps[f->n_steps - 1].met;
    if (!f->spec) f->spec = strdup("");
    if (!f->spec) {
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    st = r_record_engine(r, final_engine, err);
    /* the target met only by taking every layer out of INT8: no single layer is to blame, the
     * thresholds are (clipping everywhere); say so rather than hand back an FP32 engine quietly */
    f->none_left = f->met && f->n_chosen > 0 && r->engine_layers_int8 == 0;
    if (f->none_left && fo->log)
        fprintf(fo->log,
                "warning: the target was met only with no layer left in INT8; the "
                "calibration is the likely cause (see the clipped shares of calib8 compare, or "
                "recalibrate with another --algo)\n");
    /* the end-to-end section is top-1 per class; a sequence search reports its steps only */
    if (st == C8_OK && !seq) st = fill_e2e(r, &ref, &best, ds, err);
    if (st == C8_OK && !f->met)
        st = c8_err(err, C8_ERR_LIMIT,
                    "%s: no set of layers met the drift target of %g %s "
                    "points (best after %d layer(s): drift %.2f points)",
                    what, fo->max_drift, f->measure, f->n_chosen, f->steps[f->n_steps - 1].drift);
done:
    free(spec);
    eval_free(&ref);
    eval_free(&cur);
    eval_free(&best);
    c8_engine_destroy(e32);
    c8_engine_destroy(final_engine);
    r_images_free(&im);
    return st;
}
