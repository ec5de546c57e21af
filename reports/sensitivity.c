/* Per-layer sensitivity: which INT8 layer costs the most end to end. For each INT8 layer of the
 * engine (built without graph passes, so layers are ONNX nodes under their own names), two
 * engines run the layer images and their logits are compared with the FP32 engine's (SQNR,
 * top-1 agreement, top-1 accuracy):
 *   kept out: only that layer out of INT8 (ranked by the gain in logit SQNR over the all-INT8
 *             engine; the fallback search's ranking, the question its first step asks);
 *   incremental: that layer and every INT8 layer before it (engine order) in INT8, the rest FP32;
 *             the layer's score is the logit noise power it adds to the previous prefix
 *             (compare's ranking, largest first). The scores add up to the noise of the whole
 *             INT8 prefix chain, and each tensor's quantization (its int8 output) is charged to
 *             the layer that produces it. A clipped tensor read by several INT8 layers stays
 *             clipped when any one of them is taken out, so "kept out" cannot see it; nor does
 *             "only this layer in INT8" place it: a consumer alone in INT8 quantizes the same
 *             tensor on its input and scores as badly as the producer.
 * docs/report.md has the reasoning; compare and the fallback search share this code. */
#include "reports/report_internal.h"
#include "reports/run.h"

#include "util/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double r_sens_top1(const r_sens *s, int64_t correct) {
    if (!s->labeled || s->images < 1) return NAN; /* an unlabeled image never counts as right */
    return 100.0 * (double)correct / (double)s->images;
}

const char *r_sens_method(const r_sens *s) {
    return s->incremental
               ? "ranked by the logit noise each INT8 layer adds when the INT8 layers are "
                 "switched on one by one in engine order (engine k: layers 1..k in INT8, the "
                 "rest FP32; noise = sum (ref - x)^2 / sum ref^2 of the logits vs FP32, the "
                 "layer's score is noise(k) - noise(k-1)), largest first, ties in engine order; "
                 "also measured: the engine with only that layer out of INT8 (gain_db); "
                 "engines without graph passes"
               : "ranked by the gain in logit SQNR of an engine with only that layer out of "
                 "INT8 over the all-INT8 engine, largest first, ties by top-1 agreement; "
                 "engines without graph passes";
}

char *r_join_spec(const char *base, const char *spec) {
    size_t a = base ? strlen(base) : 0, b = spec ? strlen(spec) : 0;
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    s[0] = '\0';
    if (a) memcpy(s, base, a + 1);
    if (a && b) strcat(s, ",");
    if (b) strcat(s, spec);
    return s;
}

typedef struct {
    double sqnr;
    int64_t agree, correct;
} logit_cmp;

static logit_cmp compare_logits(const float *ref, const float *x, const r_images *im, int64_t k) {
    c8_report_metrics m;
    c8_report_metrics_init(&m, 0);
    c8_report_metrics_add(&m, ref, x, (size_t)(im->n * k));
    logit_cmp c = {c8_report_sqnr_db(&m), 0, 0};
    for (int64_t i = 0; i < im->n; i++) {
        int64_t p = c8_report_argmax(x + i * k, k);
        c.agree += p == c8_report_argmax(ref + i * k, k);
        c.correct += p == im->labels[i];
    }
    /* NaN/Inf logits make the engine unusable: count it as no signal at all */
    if (m.nonfinite) c.sqnr = -INFINITY;
    return c;
}

static double gain(double sqnr, double base) {
    if (isinf(base) && base > 0) return 0; /* INT8 already exact: nothing to gain */
    if (isnan(sqnr) || isnan(base)) return NAN;
    return sqnr - base;
}

typedef struct {
    int idx;
    double gain;
    int64_t agree;
} rank_key;

/* Most sensitive first: larger SQNR gain, then more agreement, then graph order. */
static int cmp_rank(const void *pa, const void *pb) {
    const rank_key *a = pa, *b = pb;
    if (a->gain != b->gain) return a->gain > b->gain ? -1 : 1;
    if (a->agree != b->agree) return a->agree > b->agree ? -1 : 1;
    return a->idx - b->idx;
}

static c8_status add_entry(r_sens *s, const char *layer, const char *op, r_sens_entry **out,
                           c8_error *err) {
    r_sens_entry *n = realloc(s->e, (size_t)(s->n + 1) * sizeof *n);
    if (!n) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    s->e = n;
    r_sens_entry *e = &n[s->n++];
    memset(e, 0, sizeof *e);
    e->logit_sqnr = e->gain_db = NAN;
    e->layer = strdup(layer);
    e->op = strdup(op);
    *out = e;
    if (!e->layer || !e->op) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

/* The precision of the layer called name in e (0 when e has no such layer). */
static c8_precision layer_precision(const c8_engine *e, const char *name) {
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *n;
        c8_precision p;
        c8_engine_layer(e, i, &n, NULL, &p, NULL);
        if (!strcmp(n, name)) return p;
    }
    return (c8_precision)0;
}

/* Builds m with spec (the caller's overrides, then `spec`) and runs the layer images; *ran false
 * (and a note) when the override leaves `name` out of `want`. */
static c8_status measure(const c8_model *m, const c8_build_options *b8, const char *spec,
                         const char *name, c8_precision want, const float *l32, int64_t k,
                         const r_images *im, const char *in_name, int64_t batch, bool *ran,
                         logit_cmp *out, c8_error *err) {
    *ran = false;
    char *full = r_join_spec(b8->layer_precision, spec);
    if (!full) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_build_options bx = *b8;
    bx.layer_precision = full;
    c8_engine *ex = NULL;
    c8_context *cx = NULL;
    float *lx = NULL;
    int64_t kx;
    c8_status st = r_build(m, &bx, &ex, &cx, err);
    free(full);
    if (st == C8_OK && (layer_precision(ex, name) == C8_PREC_INT8) == (want == C8_PREC_INT8)) {
        st = r_logits(cx, in_name, im, batch, &lx, &kx, err);
        if (st == C8_OK) {
            *out = compare_logits(l32, lx, im, k);
            *ran = true;
        }
        free(lx);
    }
    c8_context_destroy(cx);
    c8_engine_destroy(ex);
    return st;
}

c8_status r_sensitivity(c8_report *r, const c8_model *m, const c8_build_options *bo8,
                        c8_precision kept, bool incremental, const r_images *im,
                        const char *in_name, int64_t batch, FILE *log, c8_error *err) {
    r_sens_free(&r->sens);
    r_sens *s = &r->sens;
    s->incremental = incremental;
    const char **prefix = NULL; /* the INT8 layers so far (names borrowed from e8) */
    int n_prefix = 0;
    double prev_noise = 0.0;
    c8_build_options b32, b8 = *bo8;
    c8_build_options_init(&b32);
    b32.device = bo8->device;
    b32.threads = bo8->threads;
    b32.passes = false;
    b8.passes = false;
    b8.log = NULL;
    b8.strict = false;
    c8_engine *e32 = NULL, *e8 = NULL;
    c8_context *c32 = NULL, *c8 = NULL;
    float *l32 = NULL, *l8 = NULL;
    int64_t k = 0, kx;
    c8_status st = r_build(m, &b32, &e32, &c32, err);
    if (st == C8_OK) st = r_logits(c32, in_name, im, batch, &l32, &k, err);
    if (st == C8_OK) st = r_build(m, &b8, &e8, &c8, err);
    if (st == C8_OK) st = r_logits(c8, in_name, im, batch, &l8, &kx, err);
    if (st != C8_OK) goto done;
    s->present = true;
    for (int64_t i = 0; i < im->n; i++) s->labeled |= im->labels[i] >= 0;
    s->images = im->n;
    s->kept = kept;
    logit_cmp base = compare_logits(l32, l8, im, k);
    s->base_sqnr = base.sqnr;
    s->base_agree = base.agree;
    s->base_correct = base.correct;
    for (int64_t i = 0; i < im->n; i++)
        s->fp32_correct += c8_report_argmax(l32 + i * k, k) == im->labels[i];
    char buf[32], buf2[32];
    if (log)
        fprintf(log,
                "sensitivity on %lld images: all-INT8 logit SQNR %s dB, top-1 agreement "
                "%lld/%lld\n",
                (long long)im->n, r_fmt(buf, sizeof buf, 4, base.sqnr), (long long)base.agree,
                (long long)im->n);
    for (int i = 0; i < c8_engine_num_layers(e8) && st == C8_OK; i++) {
        const char *name, *op;
        c8_precision p;
        c8_engine_layer(e8, i, &name, &op, &p, NULL);
        if (p != C8_PREC_INT8 || r_is_passive_op(op)) continue;
        r_sens_entry *ent = NULL;
        st = add_entry(s, name, op, &ent, err);
        if (st != C8_OK) break;
        char *one = NULL;
        c8_error e2 = {0};
        if (c8_report_layer_spec(&name, 1, kept, &one, &e2) != C8_OK) {
            ent->note = strdup(e2.msg);
            continue;
        }
        bool ran;
        logit_cmp c;
        st = measure(m, &b8, one, name, kept, l32, k, im, in_name, batch, &ran, &c, err);
        free(one);
        if (st != C8_OK) break;
        if (!ran) {
            ent->note = strdup("a --layer-precision override does not take this layer out of INT8");
        } else {
            ent->measured = true;
            ent->logit_sqnr = c.sqnr;
            ent->gain_db = gain(c.sqnr, base.sqnr);
            ent->agree = c.agree;
            ent->correct = c.correct;
        }
        if (incremental) {
            const char **np = realloc(prefix, (size_t)(n_prefix + 1) * sizeof *np);
            if (!np) {
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                break;
            }
            prefix = np;
            prefix[n_prefix++] = name;
            /* every layer in FP32, then the prefix in INT8 (later items win) */
            char *pre8 = NULL;
            if (c8_report_layer_spec(prefix, n_prefix, C8_PREC_INT8, &pre8, &e2) != C8_OK) continue;
            char *spec = r_join_spec("*:fp32", pre8);
            free(pre8);
            if (!spec) {
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                break;
            }
            st = measure(m, &b8, spec, name, C8_PREC_INT8, l32, k, im, in_name, batch, &ran, &c,
                         err);
            free(spec);
            if (st != C8_OK) break;
            if (ran) {
                /* noise power as a share of the logits' power; SQNR +inf is 0, -inf (non-finite
                 * logits) counts as all noise */
                const double noise = isnan(c.sqnr) ? NAN : pow(10.0, -c.sqnr / 10.0);
                ent->inc_measured = true;
                ent->inc_sqnr = c.sqnr;
                ent->inc_noise = noise - prev_noise;
                ent->inc_agree = c.agree;
                ent->inc_correct = c.correct;
                if (!isnan(noise)) prev_noise = noise;
            }
        }
        if (log && (ent->measured || ent->inc_measured)) {
            fprintf(log, "  %-40s %-12s", name, op);
            if (ent->measured)
                fprintf(log, " kept out: logit SQNR %8s dB (gain %s dB), agreement %lld/%lld;",
                        r_fmt(buf, sizeof buf, 4, ent->logit_sqnr),
                        r_fmt(buf2, sizeof buf2, 3, ent->gain_db), (long long)ent->agree,
                        (long long)im->n);
            if (ent->inc_measured)
                fprintf(log, " with the layers before it: logit SQNR %8s dB (adds %s%% noise)",
                        r_fmt(buf, sizeof buf, 4, ent->inc_sqnr),
                        r_fmt(buf2, sizeof buf2, 3, 100.0 * ent->inc_noise));
            fputc('\n', log);
        }
    }
    if (st != C8_OK) goto done;
    s->order = malloc((size_t)(s->n ? s->n : 1) * sizeof(int));
    rank_key *keys = malloc((size_t)(s->n ? s->n : 1) * sizeof *keys);
    if (!s->order || !keys) {
        free(keys);
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    int nk = 0;
    for (int i = 0; i < s->n; i++) {
        const r_sens_entry *e = &s->e[i];
        if (incremental && e->inc_measured) /* most noise added first, then engine order */
            keys[nk++] = (rank_key){i, isnan(e->inc_noise) ? -INFINITY : e->inc_noise, 0};
        else if (!incremental && e->measured)
            keys[nk++] = (rank_key){i, isnan(e->gain_db) ? -INFINITY : e->gain_db, e->agree};
    }
    qsort(keys, (size_t)nk, sizeof *keys, cmp_rank);
    for (int i = 0; i < nk; i++) {
        s->order[i] = keys[i].idx;
        s->e[keys[i].idx].rank = i + 1;
    }
    s->n_order = nk;
    free(keys);
done:
    free(prefix);
    free(l32);
    free(l8);
    c8_context_destroy(c32);
    c8_context_destroy(c8);
    c8_engine_destroy(e32);
    c8_engine_destroy(e8);
    return st;
}
