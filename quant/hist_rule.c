/* The calibration histogram's binning rule (quant/hist_rule.h). The loops run over blocks of a
 * fixed trip count so that -O2 vectorizes them; the integer order of bit patterns makes absmax,
 * min and max exact and order-independent. Tests: tests/calib/test_calib_hist.c (against direct
 * binning with the final range). */
#include "quant/hist_rule.h"

#include <math.h>
#include <string.h>

#define BLOCK 64 /* values per inner loop */

int c8_hist_exp_for(float absmax) {
    if (!(absmax > 0.0f)) return C8_HIST_RULE_EXP_MIN;
    int e;
    frexpf(absmax, &e); /* absmax = m * 2^e, m in [0.5, 1): 2^(e-1) <= absmax < 2^e */
    return e < C8_HIST_RULE_EXP_MIN ? C8_HIST_RULE_EXP_MIN : e;
}

int64_t c8_hist_bin_of(float v, int64_t nbins, int exp) {
    /* Exact: fabs(v) has 24 significant bits, nbins * 2^-exp at most 24 (nbins <= 2^24). */
    double t = fabs((double)v) * ldexp((double)nbins, -exp);
    int64_t k = (int64_t)t;
    return k < nbins ? k : nbins - 1;
}

/* Order key of a float's bit pattern: unsigned order of keys = float order (-0 < +0). */
static inline uint32_t order_key(uint32_t b) { return b ^ ((0u - (b >> 31)) | 0x80000000u); }

float c8_hist_key_float(uint32_t k) {
    uint32_t b = (k & 0x80000000u) ? k & 0x7fffffffu : ~k;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

void c8_hist_rule_scan(const float *data, size_t n, c8_hist_scan *out) {
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
    out->amax_bits = amax_bits;
    out->kmin = kmin;
    out->kmax = kmax;
}

size_t c8_hist_first_nonfinite(const float *data, size_t n) {
    size_t k = 0;
    while (k < n && isfinite(data[k])) k++;
    return k;
}

void c8_hist_rule_bin(const float *data, size_t n, int64_t nbins, int exp, uint64_t *counts) {
    /* |x| < 2^exp, so k < nbins (the clamp is a guard); indices for a block first
     * (vectorizable), then the increments */
    const double c = ldexp((double)nbins, -exp);
    const int32_t last = (int32_t)(nbins - 1);
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
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
}
