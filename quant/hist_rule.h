/* The calibration histogram's binning rule, stated once (quant/hist_rule.c): what the CPU
 * histograms (calib/hist.c), the engine's per-device binning (c8_context_bin_tensor,
 * engine/inspect.c) and the CUDA kernel (kernels/cuda/cu_kernels.cu, c8cu_hist) compute.
 *
 * A batch of float32 values x is summarized by absmax = max |x|, min and max (without the sign
 * of zero) and binned by |x| into nbins equal bins over [0, 2^exp), where exp is the smallest
 * integer >= C8_HIST_RULE_EXP_MIN with 2^exp > absmax: bin k = floor(|x| * nbins / 2^exp)
 * (exact in float64 for nbins <= 2^24), clamped to nbins - 1. Binning at exp and shifting the
 * bins right by d equals binning at exp + d, so histograms of different ranges merge exactly.
 * NaN and Inf are errors. Internal; the public constants are in include/calib8/calib.h. */
#ifndef C8_QUANT_HIST_RULE_H
#define C8_QUANT_HIST_RULE_H

#include <stddef.h>
#include <stdint.h>

/* = C8_HIST_EXP_MIN (include/calib8/calib.h; calib/hist.c checks they agree): 2^-148 exceeds
 * every subnormal, so only absmax = 0 sits at the floor. */
#define C8_HIST_RULE_EXP_MIN (-148)

/* The range exponent for an absmax. */
int c8_hist_exp_for(float absmax);
/* The bin of value v in nbins bins over [0, 2^exp) (exact, clamped). */
int64_t c8_hist_bin_of(float v, int64_t nbins, int exp);

/* Pass 1 over n values: absmax as a bit pattern (>= 0x7f800000 when some value is NaN / Inf),
 * min and max as order keys (c8_hist_key_float turns them back into floats). */
typedef struct c8_hist_scan {
    uint32_t amax_bits;
    uint32_t kmin, kmax;
} c8_hist_scan;
void c8_hist_rule_scan(const float *data, size_t n, c8_hist_scan *out);
/* The float of an order key (min / max come back without the sign of zero when + 0.0f). */
float c8_hist_key_float(uint32_t k);
/* Index of the first NaN / Inf among n values (n when none). */
size_t c8_hist_first_nonfinite(const float *data, size_t n);
/* Pass 2: adds the bins of n values (all |x| < 2^exp) to counts (nbins entries). */
void c8_hist_rule_bin(const float *data, size_t n, int64_t nbins, int exp, uint64_t *counts);

#endif
