/* The calibration histogram's binning rule (quant/hist_rule.h). The loops run over blocks of a
 * fixed trip count so that -O2 vectorizes them; the integer order of bit patterns makes absmax,
 * min and max exact and order-independent. Tests: tests/calib/test_calib_hist.c (against direct
 * binning with the final range). */
#include "quant/hist_rule.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* The scan and binning loops are compiled twice, for the x86-64 baseline and for AVX2 (chosen at
 * run time): unsigned 32-bit min / max and the float-to-int conversions vectorize only from
 * SSE4.1 / AVX on, and the baseline build targets SSE2. The results are the same integers. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define C8_HIST_AVX2 1
#define BODY static inline __attribute__((always_inline))
#else
#define C8_HIST_AVX2 0
#define BODY static inline
#endif

BODY void scan_body(const float *data, size_t n, c8_hist_scan *out) {
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

static void scan_base(const float *data, size_t n, c8_hist_scan *out) { scan_body(data, n, out); }
#if C8_HIST_AVX2
__attribute__((target("avx2"))) static void scan_avx2(const float *data, size_t n,
                                                      c8_hist_scan *out) {
    scan_body(data, n, out);
}
#endif

static bool have_avx2(void) {
#if C8_HIST_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

void c8_hist_rule_scan(const float *data, size_t n, c8_hist_scan *out) {
#if C8_HIST_AVX2
    if (have_avx2()) {
        scan_avx2(data, n, out);
        return;
    }
#endif
    scan_base(data, n, out);
}

size_t c8_hist_first_nonfinite(const float *data, size_t n) {
    size_t k = 0;
    while (k < n && isfinite(data[k])) k++;
    return k;
}

/* Bin indices of one block: |x| * nbins / 2^exp truncated, clamped to the last bin. With nbins a
 * power of two and the scale a normal float, the float product is exact (a power-of-two
 * multiple of a 24-bit significand; a product that is subnormal is far below 1 and truncates
 * to 0 either way), so the float path gives the float64 rule's integers at twice the width. */
BODY void block_bins(const float *x, int32_t *idx, bool f32, float cf, double cd, int32_t last) {
    if (f32)
        for (int j = 0; j < BLOCK; j++) {
            int32_t k = (int32_t)(fabsf(x[j]) * cf);
            idx[j] = k < last ? k : last;
        }
    else
        for (int j = 0; j < BLOCK; j++) {
            int32_t k = (int32_t)(fabs((double)x[j]) * cd);
            idx[j] = k < last ? k : last;
        }
}

/* Four sub-histograms take consecutive values in turn: one counter incremented over and over
 * (the zeros after a ReLU, a clipped tail) waits on its own previous store each time; four
 * independent ones overlap. sub: 4 * nbins 32-bit counters (a chunk holds < 2^32 values). */
#define SUBS 4
#define CHUNK ((size_t)1 << 30)
BODY void bin_body(const float *data, size_t n, int64_t nbins, int exp, uint64_t *counts,
                   uint32_t *sub) {
    const double cd = ldexp((double)nbins, -exp);
    const float cf = (float)cd;
    /* cf exact and normal: 2^-126 <= cd <= 2^127 */
    const bool f32 = (nbins & (nbins - 1)) == 0 && cd >= 0x1p-126 && cd <= 0x1p127;
    const int32_t last = (int32_t)(nbins - 1);
    size_t i = 0;
    while (sub && i + BLOCK <= n) {
        size_t end = n - i > CHUNK ? i + CHUNK : n;
        memset(sub, 0, (size_t)SUBS * (size_t)nbins * sizeof *sub);
        for (; i + BLOCK <= end; i += BLOCK) {
            int32_t idx[BLOCK];
            block_bins(data + i, idx, f32, cf, cd, last);
            for (int j = 0; j < BLOCK; j += SUBS)
                for (int s = 0; s < SUBS; s++)
                    sub[(size_t)s * (size_t)nbins + (size_t)idx[j + s]]++;
        }
        for (int64_t k = 0; k < nbins; k++)
            for (int s = 0; s < SUBS; s++) counts[k] += sub[(size_t)s * (size_t)nbins + (size_t)k];
    }
    for (; i + BLOCK <= n; i += BLOCK) {
        int32_t idx[BLOCK];
        block_bins(data + i, idx, f32, cf, cd, last);
        for (int j = 0; j < BLOCK; j++) counts[idx[j]]++;
    }
    for (; i < n; i++) {
        int32_t k = (int32_t)(fabs((double)data[i]) * cd);
        counts[k < last ? k : last]++;
    }
}

static void bin_base(const float *data, size_t n, int64_t nbins, int exp, uint64_t *counts,
                     uint32_t *sub) {
    bin_body(data, n, nbins, exp, counts, sub);
}
#if C8_HIST_AVX2
__attribute__((target("avx2"))) static void bin_avx2(const float *data, size_t n, int64_t nbins,
                                                     int exp, uint64_t *counts, uint32_t *sub) {
    bin_body(data, n, nbins, exp, counts, sub);
}
#endif

void c8_hist_rule_bin(const float *data, size_t n, int64_t nbins, int exp, uint64_t *counts) {
    /* the sub-histograms pay for their clearing and summing only over many values per bin;
     * without the memory the direct loop gives the same counts */
    uint32_t *sub = n >= (size_t)(8 * SUBS) * (size_t)nbins
                        ? malloc((size_t)SUBS * (size_t)nbins * sizeof *sub)
                        : NULL;
#if C8_HIST_AVX2
    if (have_avx2())
        bin_avx2(data, n, nbins, exp, counts, sub);
    else
#endif
        bin_base(data, n, nbins, exp, counts, sub);
    free(sub);
}
