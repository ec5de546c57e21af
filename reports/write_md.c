/* report.md: the report as GitHub-flavoured Markdown tables, for reading in a terminal or a
 * pull request. Same content as report.json, rounded for reading (report.json keeps every
 * digit); long lists (flipped predictions) are cut at MD_MAX_FLIPS rows. */
#include "reports/report_internal.h"

#include "util/err.h"
#include "util/fileio.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MD_MAX_FLIPS 50

/* A table cell: Markdown specials escaped, line breaks as spaces. */
static void cell(FILE *f, const char *s) {
    if (!s) {
        fputs("-", f);
        return;
    }
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else {
            if (strchr("\\|*_`[]<>#", *s)) fputc('\\', f);
            fputc(*s, f);
        }
    }
}

static const char *num(char *buf, size_t len, int digits, double v) {
    return r_fmt(buf, len, digits, v);
}

static const char *setting(const c8_report *r, const char *key) {
    for (int i = 0; i < r->n_settings; i++)
        if (!strcmp(r->settings[i].key, key)) return r->settings[i].value;
    return NULL;
}

static void e2e(FILE *f, const c8_report *r) {
    if (!r->e2e.present) return;
    fprintf(f, "## End to end (%lld images)\n\n", (long long)r->e2e.images);
    fprintf(f, "| precision | top-1 %% | top-1 95%% CI | top-5 %% | top-5 95%% CI | agreement with "
               "FP32 %% | flipped (to wrong / to right) | mean \\|logit diff\\| | max \\|logit "
               "diff\\| |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int j = 0; j < r->e2e.n; j++) {
        c8_report_e2e_stats s;
        char a[32], b[32];
        c8_report_e2e_stats_get(r, r->e2e.prec[j].p, &s, NULL);
        fprintf(f,
                "| %s | %.2f | [%.2f, %.2f] | %.2f | [%.2f, %.2f] | %.2f | %lld (%lld / %lld) "
                "| %s | %s |\n",
                c8_precision_name(r->e2e.prec[j].p), s.top1, s.top1_lo, s.top1_hi, s.top5,
                s.top5_lo, s.top5_hi, s.agreement, (long long)s.flipped,
                (long long)s.flipped_to_wrong, (long long)s.flipped_to_right,
                s.has_logit_diff ? num(a, sizeof a, 4, s.mean_abs_logit_diff) : "-",
                s.has_logit_diff ? num(b, sizeof b, 4, s.max_abs_logit_diff) : "-");
    }
    fprintf(f, "\nConfidence intervals: Wilson score interval at 95%%. Agreement: images whose "
               "top-1 class equals FP32's.\n\n");
    for (int j = 0; j < r->e2e.n; j++) {
        c8_precision p = r->e2e.prec[j].p;
        int64_t nf = c8_report_num_flips(r, p);
        if (p == C8_PREC_FP32 || nf == 0) continue;
        fprintf(f,
                "### Flipped predictions: %s (%lld)\n\n| image | label | FP32 | %s |\n"
                "|---|---|---|---|\n",
                c8_precision_name(p), (long long)nf, c8_precision_name(p));
        for (int64_t i = 0; i < nf && i < MD_MAX_FLIPS; i++) {
            const char *img;
            int64_t label, p32, px;
            c8_report_flip(r, p, i, &img, &label, &p32, &px);
            fputs("| ", f);
            cell(f, img);
            const int64_t cls[3] = {label, p32, px};
            for (int k = 0; k < 3; k++) {
                fprintf(f, " | %lld", (long long)cls[k]);
                if (r_class(r, cls[k])) {
                    fputs(" ", f);
                    cell(f, r_class(r, cls[k]));
                }
            }
            fputs(" |\n", f);
        }
        if (nf > MD_MAX_FLIPS)
            fprintf(f, "\n%lld more in report.json.\n", (long long)(nf - MD_MAX_FLIPS));
        fputc('\n', f);
    }
}

static void drift(FILE *f, const c8_report *r) {
    const r_drift *dr = &r->drift;
    if (!dr->present) return;
    fprintf(f, "## Drift against FP32, per output (%lld images)\n\n", (long long)dr->images);
    fprintf(f,
            "| output | kind | per image | precision | SQNR dB | cosine | max abs diff | "
            "agreement %% | agreement counts | map IoU@%g | string agreement %% |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n",
            dr->map_threshold);
    for (int k = 0; k < dr->n_out; k++)
        for (int j = 0; j < dr->n; j++) {
            c8_report_drift d;
            char a[32], b[32], c[32], e[32], g[32], h[32], shape[96];
            c8_report_drift_get(r, k, dr->prec[j], &d, NULL);
            fputs("| ", f);
            cell(f, d.output);
            fprintf(f, " | %s%s | %s | %s | %s | %s | %s | %s | ",
                    c8_report_output_kind_name(d.kind), d.kind_forced ? " (option)" : "",
                    c8_shape_str(&d.shape, shape, sizeof shape), c8_precision_name(dr->prec[j]),
                    num(a, sizeof a, 4, d.sqnr_db), num(b, sizeof b, 6, d.cosine),
                    num(c, sizeof c, 4, d.max_abs_diff),
                    d.kind == C8_OUTPUT_GENERIC ? "-" : num(e, sizeof e, 5, d.agreement));
            if (d.kind == C8_OUTPUT_GENERIC)
                fputs("-", f);
            else
                fprintf(f, "%lld / %lld %s", (long long)d.agree, (long long)d.compared,
                        r_drift_agreement_label(d.kind));
            fprintf(f, " | %s | %s |\n",
                    d.kind == C8_OUTPUT_MAP ? num(g, sizeof g, 5, d.map_iou) : "-",
                    d.has_strings ? num(h, sizeof h, 5, d.string_agreement) : "-");
        }
    fprintf(f, "\n%s\n\n", r_drift_note(r));
}

static void layers(FILE *f, const c8_report *r) {
    if (!r->layers_present) return;
    fprintf(f, "## Per tensor: FP32 vs INT8 (%lld images, engines without graph passes)\n\n",
            (long long)r->layer_images);
    fprintf(f,
            "| # | tensor | layer | op | precision | INT8 form | calib algo | SQNR dB | cosine | "
            "rel. L2 | max abs err | clipped %% | sensitivity rank | gain dB |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < r->n_rows; i++) {
        const r_row *row = &r->rows[i];
        char a[32], b[32], c[32], d[32], e[32], g[32];
        fprintf(f, "| %d | ", i);
        cell(f, row->tensor);
        fputs(" | ", f);
        cell(f, row->layer);
        fputs(" | ", f);
        cell(f, row->layer ? row->op : "input");
        const r_sens_entry *se = row->sens >= 0 ? &r->sens.e[row->sens] : NULL;
        double clip = c8_report_clip_share(&row->m);
        const char *calgo = r_calib_algo(r, row->tensor);
        fprintf(f, " | %s | %s | %s | %s | %s | %s | %s | %s | ",
                row->layer ? c8_precision_name(row->precision) : "-", row->form,
                calgo ? calgo : "-", num(a, sizeof a, 4, c8_report_sqnr_db(&row->m)),
                num(b, sizeof b, 6, c8_report_cosine(&row->m)),
                num(c, sizeof c, 4, c8_report_rel_l2(&row->m)),
                num(d, sizeof d, 4, row->m.count ? row->m.max_abs_err : NAN),
                isnan(clip) ? "-" : num(e, sizeof e, 3, 100 * clip));
        if (se && se->rank)
            fprintf(f, "%d | %s |\n", se->rank, num(g, sizeof g, 3, se->gain_db));
        else
            fputs("- | - |\n", f);
    }
    fputs("\nSQNR = 10 log10(sum ref^2 / sum (ref - x)^2), \"inf\" when exact. Clipped: "
          "|ref| > 127 x the cache scale.\n\n",
          f);
    bool any = false;
    for (int i = 0; i < r->n_rows; i++) any |= r->rows[i].h.present;
    if (!any) return;
    fprintf(f, "### Thresholds (histograms from %s)\n\n| tensor | absmax | chosen (cache)",
            r->hist_source);
    const r_hist *h0 = NULL;
    for (int i = 0; i < r->n_rows && !h0; i++)
        if (r->rows[i].h.present) h0 = &r->rows[i].h;
    for (int a = 0; a < h0->n_algos; a++) fprintf(f, " | %s", h0->algo[a]);
    fputs(" |\n|---|---|---", f);
    for (int a = 0; a < h0->n_algos; a++) fputs("|---", f);
    fputs("|\n", f);
    for (int i = 0; i < r->n_rows; i++) {
        const r_row *row = &r->rows[i];
        if (!row->h.present) continue;
        char a[32], b[32];
        fputs("| ", f);
        cell(f, row->tensor);
        fprintf(f, " | %s | %s", num(a, sizeof a, 5, row->h.absmax),
                row->cache_scale > 0 ? num(b, sizeof b, 5, 127.0 * row->cache_scale) : "-");
        for (int k = 0; k < row->h.n_algos; k++)
            fprintf(f, " | %s", num(a, sizeof a, 5, row->h.threshold[k]));
        fputs(" |\n", f);
    }
    fputc('\n', f);
}

static void sensitivity(FILE *f, const c8_report *r) {
    const r_sens *s = &r->sens;
    if (!s->present) return;
    double n = s->images ? (double)s->images : 1;
    char a[32], b[32], t[32];
    fprintf(f, "## Sensitivity (%lld images)\n\nMeasure: %s.\n\n", (long long)s->images,
            r_sens_method(s));
    fprintf(f, "All INT8: logit SQNR %s dB, top-1 agreement %.2f%%, top-1 %s%% (FP32 %s%%).\n\n",
            num(a, sizeof a, 4, s->base_sqnr), 100.0 * (double)s->base_agree / n,
            r_pct(b, sizeof b, r_sens_top1(s, s->base_correct)),
            r_pct(t, sizeof t, r_sens_top1(s, s->fp32_correct)));
    fprintf(
        f,
        "| rank | layer | op | INT8 up to here: logit SQNR dB | noise added %% | agreement %% | "
        "kept in %s: logit SQNR dB | gain dB | agreement %% | top-1 %% |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n",
        c8_precision_name(s->kept));
    for (int i = 0; i < s->n_order; i++) {
        const r_sens_entry *e = &s->e[s->order[i]];
        char c[32], d[32], g[32];
        fprintf(f, "| %d | ", e->rank);
        cell(f, e->layer);
        fputs(" | ", f);
        cell(f, e->op);
        if (e->inc_measured)
            fprintf(f, " | %s | %s | %s", num(c, sizeof c, 4, e->inc_sqnr),
                    num(d, sizeof d, 3, 100.0 * e->inc_noise),
                    num(g, sizeof g, 4, 100.0 * (double)e->inc_agree / n));
        else
            fputs(" | - | - | -", f);
        fprintf(f, " | %s | %s | %.2f | %s |\n", num(a, sizeof a, 4, e->logit_sqnr),
                num(b, sizeof b, 3, e->gain_db), 100.0 * (double)e->agree / n,
                r_pct(t, sizeof t, r_sens_top1(s, e->correct)));
    }
    for (int i = 0; i < s->n; i++)
        if (!s->e[i].measured) {
            fputs("\nNot measured: ", f);
            cell(f, s->e[i].layer);
            fputs(": ", f);
            cell(f, s->e[i].note);
            fputc('\n', f);
        }
    fputc('\n', f);
}

static void fallback(FILE *f, const c8_report *r) {
    const r_fallback *fb = &r->fb;
    if (!fb->present) return;
    fprintf(f,
            "## Automatic fallback (target: drift <= %g %s points on %lld images; FP32 "
            "%s %.2f%%)\n\n| step | layer added (%s) | layers out of INT8 | %s %% | "
            "drift (points) | met |\n|---|---|---|---|---|---|\n",
            fb->max_drift, r_fb_measure(fb), (long long)fb->images, r_fb_measure(fb), fb->fp32_top1,
            c8_precision_name(fb->kept), r_fb_measure(fb));
    for (int i = 0; i < fb->n_steps; i++) {
        const r_step *s = &fb->steps[i];
        fprintf(f, "| %d | ", i);
        cell(f, s->added ? s->added : "(all INT8)");
        fprintf(f, " | %d | %.2f | %+.2f | %s |\n", s->layers, s->top1, s->drift,
                s->met ? "yes" : "no");
    }
    if (fb->none_left)
        fputs("\n**No layer is left in INT8**: no single layer was to blame. The calibration is "
              "the likely cause (look at the clipped shares per tensor, or recalibrate with "
              "another algorithm).\n",
              f);
    if (fb->met) {
        fputs("\nChosen: `--layer-precision '", f);
        fputs(fb->spec && fb->spec[0] ? fb->spec : "", f);
        fputs("'`", f);
        fputs(fb->spec && fb->spec[0] ? "\n\n" : " (none needed)\n\n", f);
    } else {
        fputs("\nThe target was not met.\n\n", f);
    }
}

static void engine_layers(FILE *f, const c8_report *r) {
    if (!r->engine_present) return;
    fprintf(f, "## INT8 engine: %lld layers in INT8, %lld not\n\n",
            (long long)r->engine_layers_int8, (long long)r->engine_layers_other);
    if (!r->n_fallback_layers) return;
    fputs("| layer | op | precision | reason |\n|---|---|---|---|\n", f);
    for (int i = 0; i < r->n_fallback_layers; i++) {
        const r_layer *l = &r->fallback_layers[i];
        fputs("| ", f);
        cell(f, l->name);
        fputs(" | ", f);
        cell(f, l->op);
        fprintf(f, " | %s | ", c8_precision_name(l->precision));
        cell(f, l->reason);
        fputs(" |\n", f);
    }
    fputc('\n', f);
}

static void calibration(FILE *f, const c8_report *r) {
    const r_calib *c = &r->calib;
    if (!c->present) return;
    fputs("## Calibration provenance\n\n| | |\n|---|---|\n| cache | ", f);
    cell(f, c->cache_path);
    fprintf(f, " |\n| cache sha256 | %s |\n| header | TRT-%s-%s |\n| tensors | %lld |\n",
            c->cache_sha256, c->trt_version, c->trt_algorithm, (long long)c->tensors);
    if (!c->sidecar) {
        fputs("| sidecar | ", f);
        cell(f, c->sidecar_error ? c->sidecar_error : "none (no <cache>.json)");
        fputs(" |\n\n", f);
        return;
    }
    const c8_calib_info *in = &c->info;
    fputs("| calib8 version | ", f);
    cell(f, in->calib8_version);
    fputs(" |\n| algorithm | ", f);
    cell(f, in->algorithm);
    fprintf(f, " |\n| bins | %lld |\n| model sha256 | ", (long long)in->nbins);
    cell(f, in->model_sha256);
    fputs(" |\n| dataset manifest sha256 | ", f);
    cell(f, in->dataset_sha256);
    fprintf(f, " |\n| images | %lld of %lld (batch %lld) |\n| preprocessing | ",
            (long long)in->images, (long long)in->dataset_images, (long long)in->batch_size);
    cell(f, in->preprocessing);
    fputs(" |\n\n", f);
}

c8_status c8_report_write_md(const c8_report *r, const char *path, c8_error *err) {
    c8_atomic_file *af;
    C8_TRY(c8_atomic_open(path, &af, err));
    FILE *f = c8_atomic_file_fp(af);
    fputs("# calib8 accuracy report\n\n", f);
    const char *model = setting(r, "model");
    if (model) {
        fputs("Model: ", f);
        cell(f, model);
        const char *data = setting(r, "data");
        if (data) {
            fputs(" · data: ", f);
            cell(f, data);
        }
        fputs("\n\n", f);
    }
    e2e(f, r);
    drift(f, r);
    fallback(f, r);
    layers(f, r);
    sensitivity(f, r);
    engine_layers(f, r);
    calibration(f, r);
    if (r->dump_path) {
        fputs("Compared tensors dumped to ", f);
        cell(f, r->dump_path);
        fputs(".\n\n", f);
    }
    fputs("## Settings\n\n| setting | value |\n|---|---|\n", f);
    for (int i = 0; i < r->n_settings; i++) {
        fputs("| ", f);
        cell(f, r->settings[i].key);
        fputs(" | ", f);
        cell(f, r->settings[i].value[0] ? r->settings[i].value : "-");
        fputs(" |\n", f);
    }
    fprintf(f, "\nreport.json format version %d.\n", C8_REPORT_FORMAT_VERSION);
    return c8_atomic_commit(af, err);
}
