/* Internal helpers of calib/hist.c shared with the algorithms and the histogram file. */
#ifndef C8_CALIB_HIST_H
#define C8_CALIB_HIST_H

#include "calib8/calib.h"

#include <stdint.h>

/* The canonical range exponent for an absmax: the smallest e >= C8_HIST_EXP_MIN with
 * 2^e > absmax. */
int c8_hist_exp_for(float absmax);
/* The bin of value v in a histogram of nbins bins and range 2^exp (exact, clamped). */
int64_t c8_hist_bin_of(float v, int64_t nbins, int exp);

#endif
