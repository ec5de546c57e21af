/* report.html: one self-contained page (inline CSS, inline SVG plots, one small inline script
 * that makes the tables sortable -- a URL ending in #sort=<table id>:<column>[:desc] opens
 * with that table sorted; nothing is fetched from anywhere). Plots: top-1 with 95%
 * intervals per precision, SQNR per tensor, sensitivity gains, the fallback steps, and one
 * histogram per tensor (log-scale counts) with the chosen threshold and every algorithm's.
 * tests/reports/test_report_html.c opens it in headless Chromium. */
#include "reports/report_internal.h"

#include "calib8/config.h"
#include "util/err.h"
#include "util/fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FLIPS_SHOWN 200

static void esc(FILE *f, const char *s) {
    if (!s) return;
    for (; *s; s++) switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
}

/* A sortable numeric cell: data-v holds the exact value ("Infinity", "-Infinity", "" for NaN). */
static void td_num(FILE *f, double v, int digits) {
    char b[48];
    if (isnan(v))
        fputs("<td class=\"n\" data-v=\"\">-</td>", f);
    else if (isinf(v))
        fprintf(f, "<td class=\"n\" data-v=\"%s\">%s</td>", v > 0 ? "Infinity" : "-Infinity",
                v > 0 ? "inf" : "-inf");
    else
        fprintf(f, "<td class=\"n\" data-v=\"%.17g\">%s</td>", v, r_fmt(b, sizeof b, digits, v));
}

static void td_str(FILE *f, const char *s) {
    fputs("<td>", f);
    esc(f, s ? s : "-");
    fputs("</td>", f);
}

static const char *k_css =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1280px;padding:0 16px;color:#1d2430;background:#fff}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid "
    "#d8dee8;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}"
    ".meta{color:#5a6475}table{border-collapse:collapse;margin:8px 0;font-size:13px}"
    /* wide tables scroll inside their own box: the page keeps its width (1400-px screens) */
    ".scroll{overflow:auto;max-width:100%;max-height:75vh;border:1px solid #d6dbe3}"
    ".scroll table{margin:0}.scroll thead th{position:sticky;top:0;background:#f3f5f8}"
    "th,td{border:1px solid #d8dee8;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f2f5f9}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "table.sortable th{cursor:pointer;user-select:none}"
    "table.sortable th[aria-sort=ascending]::after{content:' \\25B2'}"
    "table.sortable th[aria-sort=descending]::after{content:' \\25BC'}"
    "tr.int8 td:first-child{border-left:3px solid #4878d0}"
    "tr.fp td:first-child{border-left:3px solid #ee854a}"
    ".hists{display:flex;flex-wrap:wrap;gap:12px}.hist{border:1px solid #d8dee8;padding:6px}"
    ".hist .t{font-weight:600;font-size:12px;word-break:break-all;max-width:620px}"
    "svg text{font:11px system-ui,sans-serif;fill:#1d2430}"
    ".ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}"
    "code{background:#f2f5f9;padding:1px 4px;border-radius:3px}"
    "details{margin:10px 0}summary{cursor:pointer}";

static const char *k_script =
    "(function(){\n"
    "function key(td,num){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;\n"
    " if(num){var x=parseFloat(v);return isNaN(x)?-Infinity:x;}return v.toLowerCase();}\n"
    "var tables=document.querySelectorAll('table.sortable');\n"
    "Array.prototype.forEach.call(tables,function(t){var ths=t.tHead.rows[0].cells;\n"
    " Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){\n"
    "  var num=th.getAttribute('data-type')==='num';\n"
    "  var asc=th.getAttribute('aria-sort')!=='ascending';\n"
    "  Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});\n"
    "  th.setAttribute('aria-sort',asc?'ascending':'descending');\n"
    "  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);\n"
    "  rows.sort(function(a,b){var x=key(a.cells[i],num),y=key(b.cells[i],num);\n"
    "   return (x<y?-1:x>y?1:0)*(asc?1:-1);});\n"
    "  rows.forEach(function(r){body.appendChild(r);});});});});\n"
    "var m=/^#sort=([A-Za-z0-9_-]+):([0-9]+)(:desc)?$/.exec(location.hash);\n"
    "if(m){var t=document.getElementById(m[1]);\n"
    " if(t&&t.tHead){var th=t.tHead.rows[0].cells[+m[2]];\n"
    " if(th){th.click();if(m[3])th.click();}}}\n"
    "document.body.setAttribute('data-sortable','ready');\n"
    /* the laid-out page width, for the headless-browser test (fits a 1400-px screen) */
    "document.body.setAttribute('data-page-width',document.documentElement.scrollWidth);\n"
    "})();\n";

/* threshold markers of the algorithms (the chosen threshold is red: none of these) */
static const char *const k_colors[] = {"#6acc64", "#956cb4", "#d5bb67", "#8c613c",
                                       "#dc7ec0", "#797979", "#82c6e2", "#ee854a"};

/* ------------------------------------------------------------------ plots */

static void svg_open(FILE *f, int w, int h, const char *label) {
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            w, h, w, h);
    esc(f, label);
    fputs("\">", f);
}

static void plot_top1(FILE *f, const c8_report *r) {
    int n = r->e2e.n, W = 640, rowh = 34, H = 40 + rowh * n, x0 = 70, x1 = W - 20;
    c8_report_e2e_stats s[R_MAX_PREC];
    double lo = 100, hi = 0;
    for (int j = 0; j < n; j++) {
        c8_report_e2e_stats_get(r, r->e2e.prec[j].p, &s[j], NULL);
        if (s[j].top1_lo < lo) lo = s[j].top1_lo;
        if (s[j].top1_hi > hi) hi = s[j].top1_hi;
    }
    lo = floor(lo - 1);
    hi = ceil(hi + 0.5);
    if (lo < 0) lo = 0;
    if (hi > 100) hi = 100;
    if (hi <= lo) hi = lo + 1;
#define XS(v) (x0 + ((v)-lo) / (hi - lo) * (x1 - x0))
    svg_open(f, W, H, "top-1 accuracy per precision with 95% Wilson intervals");
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e3e8ef\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f%%</text>",
                XS(v), XS(v), H - 22, XS(v), H - 8, v);
    }
    for (int j = 0; j < n; j++) {
        double y = 14 + rowh * j;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", x0 - 8, y + 15,
                c8_precision_name(r->e2e.prec[j].p));
        fprintf(f,
                "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"20\" "
                "fill=\"%s\"><title>top-1 %.2f%%</title></rect>",
                x0, y, XS(s[j].top1) - x0, j == r->e2e.ref ? "#4878d0" : "#ee854a", s[j].top1);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1d2430\" "
                "stroke-width=\"1.5\"/>",
                XS(s[j].top1_lo), y + 10, XS(s[j].top1_hi), y + 10);
        for (int e = 0; e < 2; e++) {
            double xv = XS(e ? s[j].top1_hi : s[j].top1_lo);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1d2430\"/>",
                    xv, y + 5, xv, y + 15);
        }
    }
#undef XS
    fputs("</svg>\n", f);
}

/* Horizontal bars of values v (NaN: none; +inf: a full bar marked "exact"). */
static void plot_bars(FILE *f, const char *label, int n, const char *const *names, const double *v,
                      const char *unit, const char *color) {
    double mx = 0, mn = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] > mx) mx = v[i];
            if (v[i] < mn) mn = v[i];
        }
    double cap = mx > 0 ? mx * 1.1 : 1;
    int W = 760, rowh = 16, x0 = 300, x1 = W - 70, H = 20 + rowh * n;
    double span = cap - mn;
    if (span <= 0) span = 1;
#define XB(val) (x0 + ((val)-mn) / span * (x1 - x0))
    svg_open(f, W, H, label);
    for (int i = 0; i < n; i++) {
        double y = 6 + rowh * i;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", x0 - 6, y + 11);
        char shortn[48];
        snprintf(shortn, sizeof shortn, "%.44s%s", names[i], strlen(names[i]) > 44 ? "..." : "");
        esc(f, shortn);
        fputs("</text>", f);
        double val = v[i];
        if (isnan(val)) continue;
        double a = XB(0 < mn ? mn : 0), b = isinf(val) ? (val > 0 ? x1 : x0) : XB(val);
        if (b < a) {
            double t = a;
            a = b;
            b = t;
        }
        fprintf(f,
                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" "
                "fill=\"%s\"><title>",
                a, y, b - a > 0.5 ? b - a : 0.5, color);
        esc(f, names[i]);
        char nb[32];
        fprintf(f, ": %s %s</title></rect><text x=\"%.1f\" y=\"%.1f\">%s</text>",
                r_fmt(nb, sizeof nb, 4, val), unit, b + 4, y + 10,
                isinf(val) && val > 0 ? "exact" : nb);
    }
#undef XB
    fputs("</svg>\n", f);
}

static void plot_hist(FILE *f, const r_row *row) {
    const r_hist *h = &row->h;
    int W = 620, H = 190, x0 = 44, x1 = W - 26, y0 = 10, y1 = 130;
    uint64_t mx = 1;
    for (int64_t i = 0; i < h->ndisp; i++)
        if (h->disp[i] > mx) mx = h->disp[i];
    double lmax = log10(1.0 + (double)mx);
    fputs("<div class=\"hist\"><div class=\"t\">", f);
    esc(f, row->tensor);
    fputs("</div>", f);
    svg_open(f, W, H, "histogram of |x| with thresholds");
    double bw = (double)(x1 - x0) / (double)h->ndisp;
    for (int64_t i = 0; i < h->ndisp; i++) {
        if (!h->disp[i]) continue;
        double hh = log10(1.0 + (double)h->disp[i]) / lmax * (y1 - y0);
        fprintf(f,
                "<rect class=\"hbar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                "fill=\"#4878d0\"/>",
                x0 + bw * (double)i, y1 - hh, bw, hh);
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1d2430\"/>", x0, y1, x1,
            y1);
    for (int t = 0; t <= 4; t++) {
        double v = h->disp_max * t / 4, x = x0 + (x1 - x0) * t / 4.0;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g</text>", x, y1 + 13, v);
    }
    fprintf(f, "<text x=\"4\" y=\"%d\">log</text><text x=\"4\" y=\"%d\">count</text>", y0 + 10,
            y0 + 22);
    /* thresholds: the chosen one solid red, the algorithms dashed */
    int ly = y1 + 30;
    double lx = x0;
    char nb[32];
    for (int a = 0; a <= h->n_algos; a++) {
        double thr = a == h->n_algos ? (row->cache_scale > 0 ? 127.0 * row->cache_scale : NAN)
                                     : h->threshold[a];
        const char *name = a == h->n_algos ? "chosen" : h->algo[a];
        const char *col = a == h->n_algos ? "#c62828" : k_colors[a % 8];
        if (!isfinite(thr)) continue;
        double x = x0 + thr / h->disp_max * (x1 - x0);
        fprintf(f,
                "<line class=\"thr\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"%s\"%s><title>%s %s</title></line>",
                x, y0, x, y1, col, a == h->n_algos ? "2" : "1.5",
                a == h->n_algos ? "" : " stroke-dasharray=\"4 3\"", name,
                r_fmt(nb, sizeof nb, 5, thr));
        if (lx > W - 110) {
            lx = x0;
            ly += 14;
        }
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"3\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%d\">%s %s</text>",
                lx, ly - 4, col, lx + 13, ly, name, nb);
        lx += 26 + 7.0 * (double)(strlen(name) + strlen(nb));
    }
    fputs("</svg></div>\n", f);
}

static void plot_steps(FILE *f, const r_fallback *fb) {
    int n = fb->n_steps, W = 640, H = 220, x0 = 60, x1 = W - 20, y0 = 14, y1 = 180;
    double lo = fb->fp32_top1 - fb->max_drift, hi = fb->fp32_top1;
    for (int i = 0; i < n; i++) {
        if (fb->steps[i].top1 < lo) lo = fb->steps[i].top1;
        if (fb->steps[i].top1 > hi) hi = fb->steps[i].top1;
    }
    lo = floor(lo - 0.5);
    hi = ceil(hi + 0.5);
    if (hi <= lo) hi = lo + 1;
#define SX(i) (n > 1 ? x0 + (double)(i) / (n - 1) * (x1 - x0) : (x0 + x1) / 2.0)
#define SY(v) (y1 - ((v)-lo) / (hi - lo) * (y1 - y0))
    svg_open(f, W, H, "top-1 per fallback step");
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e8ef\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f%%</text>",
                x0, SY(v), x1, SY(v), x0 - 4, SY(v) + 4, v);
    }
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#4878d0\"/>"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#4878d0\">FP32</text>",
            x0, SY(fb->fp32_top1), x1, SY(fb->fp32_top1), x1, SY(fb->fp32_top1) - 3);
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c62828\" "
            "stroke-dasharray=\"5 4\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
            "fill=\"#c62828\">target</text>",
            x0, SY(fb->fp32_top1 - fb->max_drift), x1, SY(fb->fp32_top1 - fb->max_drift), x1,
            SY(fb->fp32_top1 - fb->max_drift) + 12);
    fputs("<polyline fill=\"none\" stroke=\"#ee854a\" stroke-width=\"2\" points=\"", f);
    for (int i = 0; i < n; i++) fprintf(f, "%.1f,%.1f ", SX(i), SY(fb->steps[i].top1));
    fputs("\"/>", f);
    for (int i = 0; i < n; i++) {
        fprintf(f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>step %d: %.2f%%"
                "</title></circle><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                SX(i), SY(fb->steps[i].top1), fb->steps[i].met ? "#1a7f37" : "#ee854a", i,
                fb->steps[i].top1, SX(i), y1 + 16, i);
    }
    fprintf(f,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">step (layers kept out of INT8)"
            "</text>",
            (x0 + x1) / 2.0, H - 4);
#undef SX
#undef SY
    fputs("</svg>\n", f);
}

/* ------------------------------------------------------------------ sections */

static void sec_e2e(FILE *f, const c8_report *r) {
    if (!r->e2e.present) return;
    fprintf(f, "<h2 id=\"e2e\">End to end (%lld images)</h2>\n", (long long)r->e2e.images);
    fputs("<table class=\"sortable\" id=\"e2e-table\"><thead><tr><th>precision</th>"
          "<th data-type=\"num\">top-1 %</th><th>95% CI</th><th data-type=\"num\">top-5 %</th>"
          "<th>95% CI</th><th data-type=\"num\">agreement with FP32 %</th>"
          "<th data-type=\"num\">flipped</th><th data-type=\"num\">to wrong</th>"
          "<th data-type=\"num\">to right</th><th data-type=\"num\">mean |logit diff|</th>"
          "<th data-type=\"num\">max |logit diff|</th></tr></thead><tbody>\n",
          f);
    for (int j = 0; j < r->e2e.n; j++) {
        c8_report_e2e_stats s;
        c8_report_e2e_stats_get(r, r->e2e.prec[j].p, &s, NULL);
        fprintf(f, "<tr><td>%s</td>", c8_precision_name(r->e2e.prec[j].p));
        td_num(f, s.top1, 4);
        fprintf(f, "<td>[%.2f, %.2f]</td>", s.top1_lo, s.top1_hi);
        td_num(f, s.top5, 4);
        fprintf(f, "<td>[%.2f, %.2f]</td>", s.top5_lo, s.top5_hi);
        td_num(f, s.agreement, 4);
        td_num(f, (double)s.flipped, 10);
        td_num(f, (double)s.flipped_to_wrong, 10);
        td_num(f, (double)s.flipped_to_right, 10);
        td_num(f, s.has_logit_diff ? s.mean_abs_logit_diff : NAN, 4);
        td_num(f, s.has_logit_diff ? s.max_abs_logit_diff : NAN, 4);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n<p class=\"meta\">95% confidence intervals: Wilson score interval. "
          "Agreement: images whose top-1 class equals FP32's.</p>\n",
          f);
    plot_top1(f, r);
    for (int j = 0; j < r->e2e.n; j++) {
        c8_precision p = r->e2e.prec[j].p;
        int64_t nf = c8_report_num_flips(r, p);
        if (p == C8_PREC_FP32 || !nf) continue;
        fprintf(f,
                "<details><summary><b>Flipped predictions: %s (%lld)</b></summary>\n"
                "<table class=\"sortable\"><thead>"
                "<tr><th>image</th><th data-type=\"num\">label</th><th data-type=\"num\">FP32"
                "</th><th data-type=\"num\">%s</th></tr></thead><tbody>\n",
                c8_precision_name(p), (long long)nf, c8_precision_name(p));
        for (int64_t i = 0; i < nf && i < MAX_FLIPS_SHOWN; i++) {
            const char *img;
            int64_t label, p32, px;
            c8_report_flip(r, p, i, &img, &label, &p32, &px);
            fputs("<tr>", f);
            td_str(f, img);
            const int64_t cls[3] = {label, p32, px};
            for (int k = 0; k < 3; k++) {
                fprintf(f, "<td class=\"n\" data-v=\"%lld\">%lld", (long long)cls[k],
                        (long long)cls[k]);
                if (r_class(r, cls[k])) {
                    fputs(" ", f);
                    esc(f, r_class(r, cls[k]));
                }
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
        if (nf > MAX_FLIPS_SHOWN)
            fprintf(f, "<p class=\"meta\">%lld more in report.json.</p>\n",
                    (long long)(nf - MAX_FLIPS_SHOWN));
        fputs("</details>\n", f);
    }
}

static void sec_fallback(FILE *f, const c8_report *r) {
    const r_fallback *fb = &r->fb;
    if (!fb->present) return;
    fprintf(f,
            "<h2 id=\"fallback\">Automatic fallback</h2>\n<p>Target: %s drift &le; %g "
            "points on %lld images; FP32 %s %.2f%%. Layers are added in sensitivity order "
            "and kept in %s; each step is rebuilt and measured end to end. ",
            r_fb_measure(fb), fb->max_drift, (long long)fb->images, r_fb_measure(fb), fb->fp32_top1,
            c8_precision_name(fb->kept));
    if (fb->met) {
        fputs("<span class=\"ok\">Met</span>", f);
        if (fb->spec && fb->spec[0]) {
            fputs(": <code>--layer-precision '", f);
            esc(f, fb->spec);
            fputs("'</code>", f);
        } else {
            fputs(" with every layer in INT8", f);
        }
    } else {
        fputs("<span class=\"bad\">Not met</span>", f);
    }
    fputs(".</p>\n", f);
    if (fb->none_left)
        fputs("<p class=\"bad\">No layer is left in INT8: no single layer was to blame. The "
              "calibration is the likely cause (look at the clipped shares per tensor, or "
              "recalibrate with another algorithm).</p>\n",
              f);
    fputs("<table class=\"sortable\" id=\"steps\"><thead><tr><th data-type=\"num\">step"
          "</th><th>layer added</th><th data-type=\"num\">layers out of INT8</th>"
          "<th data-type=\"num\">top-1 %</th><th data-type=\"num\">drift (points)</th>"
          "<th>met</th></tr></thead><tbody>\n",
          f);
    for (int i = 0; i < fb->n_steps; i++) {
        const r_step *s = &fb->steps[i];
        fputs("<tr>", f);
        td_num(f, i, 10);
        td_str(f, s->added ? s->added : "(all INT8)");
        td_num(f, s->layers, 10);
        td_num(f, s->top1, 5);
        td_num(f, s->drift, 4);
        fprintf(f, "<td>%s</td></tr>\n", s->met ? "yes" : "no");
    }
    fputs("</tbody></table>\n", f);
    plot_steps(f, fb);
}

static void sec_layers(FILE *f, const c8_report *r) {
    if (!r->layers_present) return;
    fprintf(f,
            "<h2 id=\"layers\">Per tensor: FP32 vs INT8 (%lld images)</h2>\n<p class=\"meta\">"
            "Engines built without graph passes, so every ONNX tensor exists in both. INT8 "
            "form: <b>int8</b> the tensor is computed in int8 (dequantized here), "
            "<b>quantized-copy</b> the int8 copy an INT8 layer reads, <b>float</b> no int8 "
            "version. SQNR = 10 log10(&Sigma;ref&sup2; / &Sigma;(ref&minus;x)&sup2;); "
            "clipped: |ref| &gt; 127 &times; cache scale. Click a header to sort.</p>\n",
            (long long)r->layer_images);
    fputs("<div class=\"scroll\" id=\"layer-table-box\">"
          "<table class=\"sortable\" id=\"layer-table\"><thead><tr><th data-type=\"num\">#</th>"
          "<th>tensor</th><th>layer</th><th>op</th><th>precision</th><th>INT8 form</th>"
          "<th>calib algo</th>"
          "<th data-type=\"num\">SQNR dB</th><th data-type=\"num\">cosine</th>"
          "<th data-type=\"num\">rel. L2</th><th data-type=\"num\">max abs err</th>"
          "<th data-type=\"num\">clipped %</th><th data-type=\"num\">cache scale</th>"
          "<th data-type=\"num\">sensitivity rank</th><th data-type=\"num\">gain dB</th>"
          "</tr></thead><tbody>\n",
          f);
    for (int i = 0; i < r->n_rows; i++) {
        const r_row *row = &r->rows[i];
        const r_sens_entry *se = row->sens >= 0 ? &r->sens.e[row->sens] : NULL;
        bool i8 = row->layer && row->precision == C8_PREC_INT8;
        fprintf(f, "<tr class=\"%s\">", i8 ? "int8" : "fp");
        td_num(f, i, 10);
        td_str(f, row->tensor);
        td_str(f, row->layer);
        td_str(f, row->layer ? row->op : "input");
        td_str(f, row->layer ? c8_precision_name(row->precision) : NULL);
        td_str(f, row->form);
        td_str(f, r_calib_algo(r, row->tensor)); /* the sidecar's record (auto's choice) */
        td_num(f, c8_report_sqnr_db(&row->m), 4);
        td_num(f, c8_report_cosine(&row->m), 6);
        td_num(f, c8_report_rel_l2(&row->m), 4);
        td_num(f, row->m.count ? row->m.max_abs_err : NAN, 4);
        double clip = c8_report_clip_share(&row->m);
        td_num(f, isnan(clip) ? NAN : 100 * clip, 3);
        td_num(f, row->cache_scale > 0 ? row->cache_scale : NAN, 6);
        td_num(f, se && se->rank ? se->rank : NAN, 10);
        td_num(f, se && se->rank ? se->gain_db : NAN, 3);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n<h3>SQNR per tensor (dB)</h3>\n", f);
    const char **names = malloc((size_t)(r->n_rows ? r->n_rows : 1) * sizeof *names);
    double *v = malloc((size_t)(r->n_rows ? r->n_rows : 1) * sizeof *v);
    if (names && v) {
        for (int i = 0; i < r->n_rows; i++) {
            names[i] = r->rows[i].tensor;
            v[i] = c8_report_sqnr_db(&r->rows[i].m);
        }
        plot_bars(f, "SQNR per tensor", r->n_rows, names, v, "dB", "#4878d0");
    }
    free(names);
    free(v);
    bool any = false;
    for (int i = 0; i < r->n_rows; i++) any |= r->rows[i].h.present;
    if (!any) return;
    fprintf(f,
            "<h3>Histograms of |x| (%s; log-scale counts)</h3>\n<p class=\"meta\">Red: the "
            "threshold in the cache (127 &times; scale); dashed: what each algorithm would "
            "choose on this histogram.</p>\n<div class=\"hists\">\n",
            !strcmp(r->hist_source, "histogram-file") ? "from the histogram file"
                                                      : "collected on the layer images");
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].h.present) plot_hist(f, &r->rows[i]);
    fputs("</div>\n", f);
}

static void sec_sensitivity(FILE *f, const c8_report *r) {
    const r_sens *s = &r->sens;
    if (!s->present) return;
    double n = s->images ? (double)s->images : 1;
    char b[32], t1[32], t2[32];
    fprintf(f,
            "<h2 id=\"sensitivity\">Sensitivity (%lld images)</h2>\n<p>Measure: %s. All-INT8 "
            "engine: logit SQNR %s dB, agreement %.2f%%, top-1 %s%%; FP32 top-1 %s%%.</p>\n",
            (long long)s->images, r_sens_method(s), r_fmt(b, sizeof b, 4, s->base_sqnr),
            100.0 * (double)s->base_agree / n,
            r_pct(t1, sizeof t1, r_sens_top1(s, s->base_correct)),
            r_pct(t2, sizeof t2, r_sens_top1(s, s->fp32_correct)));
    fprintf(f,
            "<div class=\"scroll\"><table class=\"sortable\" id=\"sens-table\"><thead><tr>"
            "<th data-type=\"num\">rank</th><th>layer</th><th>op</th>"
            "<th data-type=\"num\">INT8 up to here: logit SQNR dB</th>"
            "<th data-type=\"num\">noise added %%</th>"
            "<th data-type=\"num\">INT8 up to here: agreement %%</th>"
            "<th data-type=\"num\">kept in %s: logit SQNR dB</th>"
            "<th data-type=\"num\">gain dB</th><th data-type=\"num\">agreement %%</th>"
            "<th data-type=\"num\">top-1 %%</th><th>note</th></tr></thead><tbody>\n",
            c8_precision_name(s->kept));
    for (int i = 0; i < s->n; i++) {
        const r_sens_entry *e = &s->e[i];
        fputs("<tr>", f);
        td_num(f, e->rank ? e->rank : NAN, 10);
        td_str(f, e->layer);
        td_str(f, e->op);
        td_num(f, e->inc_measured ? e->inc_sqnr : NAN, 4);
        td_num(f, e->inc_measured ? 100.0 * e->inc_noise : NAN, 3);
        td_num(f, e->inc_measured ? 100.0 * (double)e->inc_agree / n : NAN, 4);
        td_num(f, e->measured ? e->logit_sqnr : NAN, 4);
        td_num(f, e->measured ? e->gain_db : NAN, 3);
        td_num(f, e->measured ? 100.0 * (double)e->agree / n : NAN, 4);
        td_num(f, e->measured ? r_sens_top1(s, e->correct) : NAN, 4);
        td_str(f, e->note ? e->note : "");
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    int m = s->n_order < 40 ? s->n_order : 40;
    const char **names = malloc((size_t)(m ? m : 1) * sizeof *names);
    double *v = malloc((size_t)(m ? m : 1) * sizeof *v);
    if (names && v && m) {
        for (int i = 0; i < m; i++) {
            names[i] = s->e[s->order[i]].layer;
            v[i] = s->incremental ? 100.0 * s->e[s->order[i]].inc_noise : s->e[s->order[i]].gain_db;
        }
        fputs(s->incremental
                  ? "<h3>Logit noise added by each layer, % of the logits' power "
                    "(most sensitive first)</h3>\n"
                  : "<h3>Logit SQNR gain when the layer is kept out of INT8 (most sensitive "
                    "first)</h3>\n",
              f);
        plot_bars(f, s->incremental ? "logit noise added per layer" : "sensitivity gain per layer",
                  m, names, v, s->incremental ? "%" : "dB", "#ee854a");
    }
    free(names);
    free(v);
}

static void sec_engine(FILE *f, const c8_report *r) {
    if (!r->engine_present) return;
    fprintf(f, "<h2 id=\"engine\">INT8 engine: %lld layers in INT8, %lld not</h2>\n",
            (long long)r->engine_layers_int8, (long long)r->engine_layers_other);
    if (!r->n_fallback_layers) return;
    fputs("<table class=\"sortable\" id=\"fallback-layers\"><thead><tr><th>layer</th><th>op</th>"
          "<th>precision</th><th>reason</th></tr></thead><tbody>\n",
          f);
    for (int i = 0; i < r->n_fallback_layers; i++) {
        const r_layer *l = &r->fallback_layers[i];
        fputs("<tr>", f);
        td_str(f, l->name);
        td_str(f, l->op);
        td_str(f, c8_precision_name(l->precision));
        td_str(f, l->reason);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static void kv(FILE *f, const char *k, const char *v) {
    fputs("<tr><th>", f);
    esc(f, k);
    fputs("</th><td>", f);
    esc(f, v && v[0] ? v : "-");
    fputs("</td></tr>\n", f);
}

static void sec_calib(FILE *f, const c8_report *r) {
    const r_calib *c = &r->calib;
    if (!c->present) return;
    char b[160];
    fputs("<h2 id=\"calibration\">Calibration provenance</h2>\n<table>\n", f);
    kv(f, "cache", c->cache_path);
    kv(f, "cache sha256", c->cache_sha256);
    snprintf(b, sizeof b, "TRT-%s-%s", c->trt_version, c->trt_algorithm);
    kv(f, "header", b);
    snprintf(b, sizeof b, "%lld", (long long)c->tensors);
    kv(f, "tensors", b);
    if (c->sidecar) {
        const c8_calib_info *in = &c->info;
        kv(f, "calib8 version", in->calib8_version);
        kv(f, "algorithm", in->algorithm);
        snprintf(b, sizeof b, "%lld", (long long)in->nbins);
        kv(f, "bins", b);
        kv(f, "model sha256", in->model_sha256);
        kv(f, "dataset manifest sha256", in->dataset_sha256);
        snprintf(b, sizeof b, "%lld of %lld (batch %lld)", (long long)in->images,
                 (long long)in->dataset_images, (long long)in->batch_size);
        kv(f, "images", b);
        kv(f, "preprocessing", in->preprocessing);
    } else {
        kv(f, "sidecar", c->sidecar_error ? c->sidecar_error : "none (no <cache>.json)");
    }
    fputs("</table>\n", f);
}

static void sec_drift(FILE *f, const c8_report *r) {
    const r_drift *dr = &r->drift;
    if (!dr->present) return;
    fprintf(f, "<h2 id=\"drift\">Drift against FP32, per output (%lld images)</h2>\n",
            (long long)dr->images);
    fprintf(f,
            "<div class=\"scroll\"><table class=\"sortable\" id=\"drift-table\"><thead><tr>"
            "<th>output</th><th>kind</th><th>per image</th><th>precision</th>"
            "<th data-type=\"num\">SQNR dB</th><th data-type=\"num\">cosine</th>"
            "<th data-type=\"num\">max abs diff</th><th data-type=\"num\">agreement %%</th>"
            "<th>agreement of</th><th data-type=\"num\">map IoU@%g</th>"
            "<th data-type=\"num\">string agreement %%</th></tr></thead><tbody>\n",
            dr->map_threshold);
    for (int k = 0; k < dr->n_out; k++)
        for (int j = 0; j < dr->n; j++) {
            c8_report_drift d;
            char shape[96], what[160];
            c8_report_drift_get(r, k, dr->prec[j], &d, NULL);
            fputs("<tr>", f);
            td_str(f, d.output);
            snprintf(what, sizeof what, "%s%s", c8_report_output_kind_name(d.kind),
                     d.kind_forced ? " (option)" : "");
            td_str(f, what);
            td_str(f, c8_shape_str(&d.shape, shape, sizeof shape));
            td_str(f, c8_precision_name(dr->prec[j]));
            td_num(f, d.sqnr_db, 4);
            td_num(f, d.cosine, 6);
            td_num(f, d.max_abs_diff, 4);
            td_num(f, d.kind == C8_OUTPUT_GENERIC ? NAN : d.agreement, 5);
            if (d.kind == C8_OUTPUT_GENERIC)
                snprintf(what, sizeof what, "-");
            else
                snprintf(what, sizeof what, "%lld / %lld %s", (long long)d.agree,
                         (long long)d.compared, r_drift_agreement_label(d.kind));
            td_str(f, what);
            td_num(f, d.kind == C8_OUTPUT_MAP ? d.map_iou : NAN, 5);
            td_num(f, d.has_strings ? d.string_agreement : NAN, 5);
            fputs("</tr>\n", f);
        }
    fputs("</tbody></table></div>\n<p class=\"meta\">", f);
    esc(f, r_drift_note(r));
    fputs("</p>\n", f);
}

c8_status c8_report_write_html(const c8_report *r, const char *path, c8_error *err) {
    c8_atomic_file *af;
    C8_TRY(c8_atomic_open(path, &af, err));
    FILE *f = c8_atomic_file_fp(af);
    const char *model = NULL, *data = NULL;
    for (int i = 0; i < r->n_settings; i++) {
        if (!strcmp(r->settings[i].key, "model")) model = r->settings[i].value;
        if (!strcmp(r->settings[i].key, "data")) data = r->settings[i].value;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
          "calib8 report",
          f);
    if (model) {
        fputs(": ", f);
        esc(f, model);
    }
    fprintf(f,
            "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>calib8 accuracy report</h1>\n"
            "<p class=\"meta\">",
            k_css);
    if (model) {
        fputs("model ", f);
        esc(f, model);
    }
    if (data) {
        fputs(" &middot; data ", f);
        esc(f, data);
    }
    fprintf(f, " &middot; calib8 %s &middot; report format %d</p>\n", C8_VERSION_STRING,
            C8_REPORT_FORMAT_VERSION);
    sec_e2e(f, r);
    sec_drift(f, r);
    sec_fallback(f, r);
    sec_layers(f, r);
    sec_sensitivity(f, r);
    sec_engine(f, r);
    sec_calib(f, r);
    fputs("<h2 id=\"settings\">Settings</h2>\n<table>\n", f);
    for (int i = 0; i < r->n_settings; i++) kv(f, r->settings[i].key, r->settings[i].value);
    if (r->dump_path) kv(f, "dump", r->dump_path);
    fprintf(f, "</table>\n<script>\n%s</script>\n</body></html>\n", k_script);
    return c8_atomic_commit(af, err);
}
