/* The calibration loop: data -> FP32 engine -> histograms -> thresholds -> cache. One place
 * (c8_calibrate) for the CLI and every other caller. Internal header until the calib module's
 * public header absorbs it. */
#ifndef C8_CALIB_CALIBRATE_H
#define C8_CALIB_CALIBRATE_H

#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

typedef struct c8_calibrate_opts {
    const char *algo; /* calibration algorithm name; default C8_CALIB_DEFAULT_ALGO ("auto") */
    /* Algorithm for the network inputs; default "minmax"; NULL: the same as algo. Inputs are
     * pixels through a fixed affine map: at most 256 distinct values per channel, a comb of
     * spikes on which the KL search is meaningless (it stops just above the largest spike, e.g.
     * the background, and clips the content), while their exact range is known. */
    const char *input_algo;
    c8_calib_params params;         /* algorithm parameters */
    int64_t nbins;                  /* histogram bins; default 2048 */
    c8_device device;               /* where the FP32 engine runs */
    const char *trt_version;        /* cache header version; NULL: C8_CALIB_TRT_VERSION_DEFAULT */
    const char *histograms_path;    /* also save the histograms (HDF5) when non-NULL */
    const char *preprocessing_json; /* the preprocessing, as JSON, for the sidecar */
    c8_progress_mode progress;
    FILE *log; /* the per-tensor table and the timings; NULL: nothing */
    /* Checked between batches; when it reads non-zero the loop stops with C8_ERR_INTERRUPTED
     * "interrupted by <interrupt_name> after N of M images; nothing written" and writes nothing.
     * The CLI points it at its SIGINT flag. NULL: never interrupted. */
    volatile sig_atomic_t *interrupt;
    const char *interrupt_name; /* default "a signal" */
    uint64_t max_memory;        /* limit for the FP32 engine's context, bytes; 0: none */
} c8_calibrate_opts;

void c8_calibrate_opts_init(c8_calibrate_opts *o);

typedef struct c8_calibrate_result {
    int64_t images, tensors;
    double t_total, t_load, t_infer, t_hist, t_search; /* seconds */
} c8_calibrate_result;

/* Runs every batch of loader (over ds, batches of batch_size images shaped for the model's single
 * input) through the model's FP32 engine, collects a histogram of |x| for every calibration
 * tensor (c8_model_calibration_tensors), computes the thresholds and writes cache_path and its
 * sidecar (and the histogram file). The result does not depend on the batch size or order. */
c8_status c8_calibrate(const c8_model *model, const c8_dataset *ds, c8_loader *loader,
                       int64_t batch_size, const c8_calibrate_opts *o, const char *cache_path,
                       c8_calibrate_result *res, c8_error *err);

#endif
