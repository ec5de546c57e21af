/* Internal helpers of calib/hist.c shared with the algorithms and the histogram file. */
#ifndef C8_CALIB_HIST_H
#define C8_CALIB_HIST_H

#include "calib8/calib.h"
#include "calib8/engine.h"
#include "quant/hist_rule.h" /* c8_hist_exp_for, c8_hist_bin_of: the rule, stated once */

#include <stdint.h>

/* Adds an observed float32 tensor (its data where the engine keeps it, as a device observer
 * sees it) to h: the engine bins it on its device (c8_context_bin_tensor) and the batch's
 * histogram merges into h exactly, so the result equals c8_hist_add on the same values. */
c8_status c8_hist_add_observed(c8_context *c, const c8_host_tensor *t, c8_hist *h, int64_t batch,
                               c8_error *err);

#endif
