/* Tensor metrics (SQNR, cosine, relative L2, max abs error, clip share), Wilson intervals,
 * top-k helpers and the --layer-precision spec generator. Definitions: include/calib8/report.h
 * and docs/report.md; hand-worked checks in tests/reports/test_report_metrics.c. */
#include "calib8/quant.h"
#include "calib8/report.h"
#include "util/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void c8_report_metrics_init(c8_report_metrics *m, float scale) {
    memset(m, 0, sizeof *m);
    m->clip_limit = scale > 0 && isfinite(scale) ? 127.0f * scale : 0.0f;
}

static inline void add_pair(c8_report_metrics *m, float r, float x) {
    if (!isfinite(r) || !isfinite(x)) {
        m->nonfinite++;
        return;
    }
    double dr = r, dx = x, e = dr - dx;
    m->count++;
    m->sum_ref2 += dr * dr;
    m->sum_x2 += dx * dx;
    m->sum_dot += dr * dx;
    m->sum_err2 += e * e;
    if (fabs(e) > m->max_abs_err) m->max_abs_err = fabs(e);
    if (fabs(dr) > m->max_abs_ref) m->max_abs_ref = fabs(dr);
    if (m->clip_limit > 0 && fabsf(r) > m->clip_limit) m->clipped++;
}

void c8_report_metrics_add(c8_report_metrics *m, const float *ref, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) add_pair(m, ref[i], x[i]);
}

void c8_report_metrics_add_int8(c8_report_metrics *m, const float *ref, const int8_t *q, float s,
                                size_t n) {
    for (size_t i = 0; i < n; i++) add_pair(m, ref[i], c8_quant_dequantize(q[i], s));
}

double c8_report_sqnr_db(const c8_report_metrics *m) {
    if (m->count == 0) return NAN;
    if (m->sum_err2 == 0) return INFINITY;
    if (m->sum_ref2 == 0) return -INFINITY;
    return 10.0 * log10(m->sum_ref2 / m->sum_err2);
}

double c8_report_cosine(const c8_report_metrics *m) {
    if (m->count == 0) return NAN;
    if (m->sum_ref2 == 0 && m->sum_x2 == 0) return 1.0;
    if (m->sum_ref2 == 0 || m->sum_x2 == 0) return 0.0;
    /* equal tensors: exactly 1 (the quotient below can land an ulp short of it) */
    if (m->sum_err2 == 0) return 1.0;
    double c = m->sum_dot / (sqrt(m->sum_ref2) * sqrt(m->sum_x2));
    return c > 1 ? 1 : c < -1 ? -1 : c; /* rounding can step past +-1 by an ulp */
}

double c8_report_rel_l2(const c8_report_metrics *m) {
    if (m->count == 0) return NAN;
    if (m->sum_err2 == 0) return 0.0;
    if (m->sum_ref2 == 0) return INFINITY;
    return sqrt(m->sum_err2 / m->sum_ref2);
}

double c8_report_clip_share(const c8_report_metrics *m) {
    if (m->count == 0 || !(m->clip_limit > 0)) return NAN;
    return (double)m->clipped / (double)m->count;
}

void c8_report_wilson95(int64_t k, int64_t n, double *lo, double *hi) {
    if (n <= 0 || k < 0 || k > n) {
        *lo = 0;
        *hi = 1;
        return;
    }
    const double z = 1.959963984540054, z2 = z * z;
    double dn = (double)n, dk = (double)k;
    double center = (dk + z2 / 2) / (dn + z2);
    double half = z * sqrt(dk * (dn - dk) / dn + z2 / 4) / (dn + z2);
    *lo = center - half < 0 ? 0 : center - half;
    *hi = center + half > 1 ? 1 : center + half;
}

int64_t c8_report_argmax(const float *logits, int64_t k) {
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (logits[j] > logits[best] || (logits[best] != logits[best] && logits[j] == logits[j]))
            best = j;
    return best;
}

int64_t c8_report_label_rank(const float *logits, int64_t k, int64_t label) {
    int64_t r = 0;
    float v = logits[label];
    for (int64_t j = 0; j < k; j++)
        if (logits[j] > v || (logits[j] == v && j < label)) r++;
    return r;
}

c8_status c8_report_layer_spec(const char *const *names, int n, c8_precision p, char **out,
                               c8_error *err) {
    *out = NULL;
    size_t len = 1;
    for (int i = 0; i < n; i++) {
        if (!names[i][0])
            return c8_err(err, C8_ERR_UNSUPPORTED,
                          "layer %d has an empty name: it cannot be "
                          "named in a --layer-precision spec",
                          i);
        if (strchr(names[i], ','))
            return c8_err(err, C8_ERR_UNSUPPORTED,
                          "layer '%s': its name contains ',', which --layer-precision uses to "
                          "separate items; rename the node in the ONNX file or pass the "
                          "precision with a glob that avoids the ','",
                          names[i]);
        len += 2 * strlen(names[i]) + 6;
    }
    char *s = malloc(len), *w = s;
    if (!s) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        if (i) *w++ = ',';
        for (const char *c = names[i]; *c; c++) {
            if (strchr("*?[]\\", *c)) *w++ = '\\';
            *w++ = *c;
        }
        *w++ = ':';
        memcpy(w, c8_precision_name(p), 4);
        w += 4;
    }
    *w = '\0';
    *out = s;
    return C8_OK;
}
