/* Internal: the threshold searches on raw bin counts (no c8_hist), so tests can run them on
 * histograms of any shape (tests/calib/data/entropy_ref.txt). Definitions in
 * docs/calibration.md; implementation in calib/algos.c. */
#ifndef C8_CALIB_ALGOS_H
#define C8_CALIB_ALGOS_H

#include "calib8/status.h"

#include <stdint.h>

/* TensorRT EntropyCalibration2 search over i = 128..nbins kept bins. *best_i: the first i with
 * the smallest finite KL(P||Q) (threshold (i + 0.5) * bin width); *best_kl its divergence.
 * counts must have a non-zero total. */
c8_status c8_calib_entropy_trt(const uint64_t *counts, int64_t nbins, int64_t *best_i,
                               double *best_kl, c8_error *err);

/* MXNet-style search (smoothing eps) over i = 128..nbins. *best_i: the first i with the
 * smallest KL (threshold i * bin width). */
c8_status c8_calib_entropy_mxnet(const uint64_t *counts, int64_t nbins, double eps, int64_t *best_i,
                                 double *best_kl, c8_error *err);

#endif
