/* Internal: the threshold searches on raw bin counts (no c8_hist), so tests can run them on
 * histograms of any shape (tests/calib/data/entropy_ref.txt). Definitions in
 * docs/calibration.md; implementation in calib/algos.c. */
#ifndef C8_CALIB_ALGOS_H
#define C8_CALIB_ALGOS_H

#include "calib8/calib.h"
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

/* `auto`'s candidates, in tie-break order: entropy, percentile, mse, minmax. */
#define C8_CALIB_AUTO_CANDIDATES 4
typedef struct c8_calib_auto_candidate {
    const char *algo; /* static name */
    double threshold;
    double mse; /* c8_calib_expected_mse of the threshold */
} c8_calib_auto_candidate;

/* Expected squared error per value of quantizing h's values (each at its bin centre) to
 * symmetric int8 with threshold T (scale T / 127, |q| <= 127: values above T clip), in the
 * values' units squared. NaN for an empty histogram or T <= 0. */
double c8_calib_expected_mse(const c8_hist *h, double threshold);

/* auto on h (absmax > 0; prm NULL = defaults): every candidate's threshold and expected error
 * (out), and the index of the smallest error (the first on ties) in *chosen. */
c8_status c8_calib_auto_choose(const c8_hist *h, const c8_calib_params *prm,
                               c8_calib_auto_candidate out[C8_CALIB_AUTO_CANDIDATES], int *chosen,
                               c8_error *err);

#endif
