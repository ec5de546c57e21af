/* Histograms of |x| with a power-of-two range that doubles by exact pair merging; see
 * include/calib8/calib.h and docs/calibration.md ("Histograms"). The rule is checked by
 * tests/calib/test_calib_hist.c against direct binning with the final range. */
#include "calib/hist.h"

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

int c8_hist_exp_for(float absmax) {
    if (!(absmax > 0.0f)) return C8_HIST_EXP_MIN;
    int e;
    frexpf(absmax, &e); /* absmax = m * 2^e, m in [0.5, 1): 2^(e-1) <= absmax < 2^e */
    return e < C8_HIST_EXP_MIN ? C8_HIST_EXP_MIN : e;
}

int64_t c8_hist_bin_of(float v, int64_t nbins, int exp) {
    /* Exact: fabs(v) has 24 significant bits, nbins * 2^-exp at most 24 (nbins <= 2^24). */
    double t = fabs((double)v) * ldexp((double)nbins, -exp);
    int64_t k = (int64_t)t;
    return k < nbins ? k : nbins - 1;
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

/* Order key of a float's bit pattern: unsigned order of keys = float order (-0 < +0), so
 * min and max are integer reductions, exactly order-independent, and vectorize. */
static inline uint32_t order_key(uint32_t b) { return b ^ ((0u - (b >> 31)) | 0x80000000u); }
static inline float key_float(uint32_t k) {
    uint32_t b = (k & 0x80000000u) ? k & 0x7fffffffu : ~k;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

#define BLOCK 64 /* values per inner loop: a fixed trip count lets -O2 vectorize it */

c8_status c8_hist_add(c8_hist *h, const float *data, size_t n, const char *tensor, int64_t batch,
                      c8_error *err) {
    if (n == 0) return C8_OK;
    if (h->count > UINT64_MAX - n)
        return c8_err(err, C8_ERR_LIMIT, "tensor '%s': batch %lld: histogram count overflows",
                      tensor ? tensor : "?", (long long)batch);
    /* Pass 1 on bit patterns: absmax = max of |x|'s pattern (integer order = float order for
     * non-negative floats; a pattern >= 0x7f800000 is Inf or NaN), min / max by order key. */
    uint32_t amax_bits = 0, kmin = UINT32_MAX, kmax = 0;
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        uint32_t b[BLOCK];
        memcpy(b, data + i, sizeof b);
        for (int j = 0; j < BLOCK; j++) {
            uint32_t a = b[j] & 0x7fffffffu, k = order_key(b[j]);
            amax_bits = a > amax_bits ? a : amax_bits;
            kmin = k < kmin ? k : kmin;
            kmax = k > kmax ? k : kmax;
        }
    }
    for (; i < n; i++) {
        uint32_t b;
        memcpy(&b, data + i, sizeof b);
        uint32_t a = b & 0x7fffffffu, k = order_key(b);
        amax_bits = a > amax_bits ? a : amax_bits;
        kmin = k < kmin ? k : kmin;
        kmax = k > kmax ? k : kmax;
    }
    if (amax_bits >= 0x7f800000u) {
        size_t k = 0;
        while (k < n && isfinite(data[k])) k++;
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': batch %lld: %s at element %zu of %zu",
                      tensor ? tensor : "?", (long long)batch, nonfinite_name(data[k]), k, n);
    }
    float amax;
    memcpy(&amax, &amax_bits, sizeof amax);
    /* min / max are reported without the sign of zero: -0 becomes +0 */
    float mn = key_float(kmin) + 0.0f, mx = key_float(kmax) + 0.0f;
    if (h->count == 0) {
        h->min = mn;
        h->max = mx;
    } else {
        h->min = mn < h->min ? mn : h->min;
        h->max = mx > h->max ? mx : h->max;
    }
    if (amax > h->absmax) h->absmax = amax;
    raise_range(h, c8_hist_exp_for(h->absmax));

    /* Pass 2: binning with the (possibly raised) range; |x| < R, so k < nbins (the clamp is a
     * guard). Indices for a block first (vectorizable), then the increments. */
    const double c = ldexp((double)h->nbins, -h->exp);
    const int32_t last = (int32_t)(h->nbins - 1);
    uint64_t *counts = h->counts;
    for (i = 0; i + BLOCK <= n; i += BLOCK) {
        int32_t idx[BLOCK];
        for (int j = 0; j < BLOCK; j++) {
            int32_t k = (int32_t)(fabs((double)data[i + j]) * c);
            idx[j] = k < last ? k : last;
        }
        for (int j = 0; j < BLOCK; j++) counts[idx[j]]++;
    }
    for (; i < n; i++) {
        int32_t k = (int32_t)(fabs((double)data[i]) * c);
        counts[k < last ? k : last]++;
    }
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
