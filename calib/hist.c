/* Histograms of |x| with a power-of-two range that doubles by exact pair merging; see
 * include/calib8/calib.h and docs/calibration.md ("Histograms"). The rule is checked by
 * tests/calib/test_calib_hist.c against direct binning with the final range. */
#include "calib/hist.h"

#include "calib8/engine.h"
#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct c8_hist {
    int64_t nbins;
    int exp;          /* R = 2^exp, C8_HIST_EXP_MIN..128 */
    uint64_t count;   /* values added */
    float absmax;     /* max |x| (0 when empty) */
    float min, max;   /* signed extremes, never -0 (0 when empty) */
    uint64_t *counts; /* (nbins) */
};

_Static_assert(C8_HIST_EXP_MIN == C8_HIST_RULE_EXP_MIN,
               "calib.h's range floor and the rule's (quant/hist_rule.h) differ");

static c8_status check_nbins(int64_t nbins, c8_error *err) {
    if (nbins < C8_HIST_MIN_BINS || nbins > C8_HIST_MAX_BINS || nbins % 2 != 0)
        return c8_err(err, C8_ERR_INVALID,
                      "histogram bin count %lld is invalid (must be even, %d to %d)",
                      (long long)nbins, C8_HIST_MIN_BINS, C8_HIST_MAX_BINS);
    return C8_OK;
}

c8_status c8_hist_create(int64_t nbins, c8_hist **out, c8_error *err) {
    *out = NULL;
    C8_TRY(check_nbins(nbins, err));
    c8_hist *h = calloc(1, sizeof *h);
    uint64_t *c = calloc((size_t)nbins, sizeof *c);
    if (!h || !c) {
        free(h);
        free(c);
        return c8_err(err, C8_ERR_NOMEM, "out of memory for a %lld-bin histogram",
                      (long long)nbins);
    }
    h->nbins = nbins;
    h->exp = C8_HIST_EXP_MIN;
    h->counts = c;
    *out = h;
    return C8_OK;
}

void c8_hist_destroy(c8_hist *h) {
    if (!h) return;
    free(h->counts);
    free(h);
}

/* Raises the range to 2^exp (exp >= h->exp): bin j moves to j >> d. In place, ascending: the
 * destination j >> d is < j for j > 0, so it has already been emptied and reused. */
static void raise_range(c8_hist *h, int exp) {
    int d = exp - h->exp;
    if (d <= 0) return;
    if (d > 62) d = 62; /* nbins <= 2^24: anything past 24 already folds into bin 0 */
    for (int64_t j = 1; j < h->nbins; j++) {
        uint64_t v = h->counts[j];
        h->counts[j] = 0;
        h->counts[j >> d] += v;
    }
    h->exp = exp;
}

static const char *nonfinite_name(float v) {
    if (isnan(v)) return "NaN";
    return v > 0 ? "+Inf" : "-Inf";
}

c8_status c8_hist_add(c8_hist *h, const float *data, size_t n, const char *tensor, int64_t batch,
                      c8_error *err) {
    if (n == 0) return C8_OK;
    if (h->count > UINT64_MAX - n)
        return c8_err(err, C8_ERR_LIMIT, "tensor '%s': batch %lld: histogram count overflows",
                      tensor ? tensor : "?", (long long)batch);
    /* the rule's two passes (quant/hist_rule.h): statistics, then the bins */
    c8_hist_scan sc;
    c8_hist_rule_scan(data, n, &sc);
    const uint32_t amax_bits = sc.amax_bits, kmin = sc.kmin, kmax = sc.kmax;
    if (amax_bits >= 0x7f800000u) {
        size_t k = c8_hist_first_nonfinite(data, n);
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': batch %lld: %s at element %zu of %zu",
                      tensor ? tensor : "?", (long long)batch, nonfinite_name(data[k]), k, n);
    }
    float amax;
    memcpy(&amax, &amax_bits, sizeof amax);
    /* min / max are reported without the sign of zero: -0 becomes +0 */
    float mn = c8_hist_key_float(kmin) + 0.0f, mx = c8_hist_key_float(kmax) + 0.0f;
    if (h->count == 0) {
        h->min = mn;
        h->max = mx;
    } else {
        h->min = mn < h->min ? mn : h->min;
        h->max = mx > h->max ? mx : h->max;
    }
    if (amax > h->absmax) h->absmax = amax;
    raise_range(h, c8_hist_exp_for(h->absmax));

    c8_hist_rule_bin(data, n, h->nbins, h->exp, h->counts);
    h->count += n;
    return C8_OK;
}

c8_status c8_hist_merge(c8_hist *dst, const c8_hist *src, c8_error *err) {
    if (dst->nbins != src->nbins)
        return c8_err(err, C8_ERR_INVALID, "cannot merge histograms with %lld and %lld bins",
                      (long long)dst->nbins, (long long)src->nbins);
    if (src->count == 0) return C8_OK;
    if (dst->count > UINT64_MAX - src->count)
        return c8_err(err, C8_ERR_LIMIT, "histogram count overflows in merge");
    int exp = dst->exp > src->exp ? dst->exp : src->exp;
    raise_range(dst, exp);
    int d = exp - src->exp;
    if (d > 62) d = 62;
    for (int64_t j = 0; j < src->nbins; j++) dst->counts[j >> d] += src->counts[j];
    if (dst->count == 0) {
        dst->min = src->min;
        dst->max = src->max;
    } else {
        dst->min = src->min < dst->min ? src->min : dst->min;
        dst->max = src->max > dst->max ? src->max : dst->max;
    }
    if (src->absmax > dst->absmax) dst->absmax = src->absmax;
    dst->count += src->count;
    return C8_OK;
}

c8_status c8_hist_create_from(int64_t nbins, int range_exp, const uint64_t *counts, float absmax,
                              float min, float max, c8_hist **out, c8_error *err) {
    *out = NULL;
    C8_TRY(check_nbins(nbins, err));
    if (!isfinite(absmax) || !isfinite(min) || !isfinite(max))
        return c8_err(err, C8_ERR_INVALID, "absmax, min and max must be finite");
    uint64_t total = 0;
    int64_t last_nz = -1;
    for (int64_t j = 0; j < nbins; j++) {
        if (counts[j] > UINT64_MAX - total)
            return c8_err(err, C8_ERR_INVALID, "bin counts overflow uint64");
        total += counts[j];
        if (counts[j]) last_nz = j;
    }
    if (total == 0) {
        if (absmax != 0.0f || min != 0.0f || max != 0.0f || range_exp != C8_HIST_EXP_MIN)
            return c8_err(err, C8_ERR_INVALID,
                          "empty histogram must have absmax = min = max = 0 and range 2^%d",
                          C8_HIST_EXP_MIN);
    } else {
        float am = fabsf(min) > fabsf(max) ? fabsf(min) : fabsf(max);
        if (min > max || absmax != am || absmax < 0.0f)
            return c8_err(err, C8_ERR_INVALID, "absmax %.9g does not match min %.9g and max %.9g",
                          (double)absmax, (double)min, (double)max);
        int want = c8_hist_exp_for(absmax);
        if (range_exp != want)
            return c8_err(err, C8_ERR_INVALID,
                          "range 2^%d is not the range for absmax %.9g (expected 2^%d)", range_exp,
                          (double)absmax, want);
        int64_t kb = c8_hist_bin_of(absmax, nbins, range_exp);
        if (kb != last_nz)
            return c8_err(err, C8_ERR_INVALID,
                          "last non-empty bin is %lld but absmax %.9g falls in bin %lld",
                          (long long)last_nz, (double)absmax, (long long)kb);
        if (!counts[c8_hist_bin_of(min, nbins, range_exp)] ||
            !counts[c8_hist_bin_of(max, nbins, range_exp)])
            return c8_err(err, C8_ERR_INVALID, "the bins of min %.9g and max %.9g are empty",
                          (double)min, (double)max);
    }
    c8_hist *h;
    C8_TRY(c8_hist_create(nbins, &h, err));
    memcpy(h->counts, counts, (size_t)nbins * sizeof *counts);
    h->exp = range_exp;
    h->count = total;
    h->absmax = absmax;
    h->min = min + 0.0f;
    h->max = max + 0.0f;
    *out = h;
    return C8_OK;
}

int64_t c8_hist_nbins(const c8_hist *h) { return h->nbins; }
const uint64_t *c8_hist_counts(const c8_hist *h) { return h->counts; }
int c8_hist_range_exp(const c8_hist *h) { return h->exp; }
double c8_hist_range(const c8_hist *h) { return ldexp(1.0, h->exp); }
double c8_hist_bin_width(const c8_hist *h) { return ldexp(1.0, h->exp) / (double)h->nbins; }
uint64_t c8_hist_count(const c8_hist *h) { return h->count; }
float c8_hist_absmax(const c8_hist *h) { return h->absmax; }
float c8_hist_min(const c8_hist *h) { return h->min; }
float c8_hist_max(const c8_hist *h) { return h->max; }

c8_status c8_hist_add_observed(c8_context *c, const c8_host_tensor *t, c8_hist *h, int64_t batch,
                               c8_error *err) {
    if (c8_shape_numel(&t->shape) == 0) return C8_OK;
    if (h->count > UINT64_MAX - (uint64_t)c8_shape_numel(&t->shape))
        return c8_err(err, C8_ERR_LIMIT, "tensor '%s': batch %lld: histogram count overflows",
                      t->name ? t->name : "?", (long long)batch);
    uint64_t *counts = calloc((size_t)h->nbins, sizeof *counts);
    if (!counts) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_tensor_bins b = {h->nbins, counts, 0, 0.0f, 0.0f, 0.0f};
    c8_hist *part = NULL;
    c8_status s = c8_context_bin_tensor(c, t, batch, &b, err); /* its errors name both */
    if (s == C8_OK) {
        s = c8_hist_create_from(h->nbins, b.range_exp, counts, b.absmax, b.min, b.max, &part, err);
        if (s == C8_OK) s = c8_hist_merge(h, part, err);
        if (s != C8_OK)
            c8_err_prefix(err, "tensor '%s': batch %lld", t->name ? t->name : "?",
                          (long long)batch);
    }
    c8_hist_destroy(part);
    free(counts);
    return s;
}
