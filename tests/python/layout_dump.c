/* Prints the size and field offsets of every public struct the Python package mirrors in ctypes
 * (python/calib8/_lib.py), one line per struct: "Name SIZE field=OFFSET ...", Name being the
 * ctypes class. test_calib8.py compares them with ctypes.sizeof / the fields' offsets, so a field
 * added to a C struct without its ctypes twin fails the suite instead of corrupting memory. */
#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/report.h"
#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stddef.h>
#include <stdio.h>

#define BEGIN(T, name) printf("%s %zu", name, sizeof(T))
#define F(T, f) printf(" %s=%zu", #f, offsetof(T, f))
#define END() printf("\n")

int main(void) {
    BEGIN(c8_error, "Error"), F(c8_error, code), F(c8_error, msg), END();
    BEGIN(c8_shape, "Shape"), F(c8_shape, rank), F(c8_shape, d), END();
    BEGIN(c8_host_tensor, "HostTensor"), F(c8_host_tensor, name), F(c8_host_tensor, dtype),
        F(c8_host_tensor, shape), F(c8_host_tensor, data), END();
    BEGIN(c8_scale_source, "ScaleSource"), F(c8_scale_source, get), F(c8_scale_source, user),
        F(c8_scale_source, sha256), END();
    BEGIN(c8_build_options, "BuildOptions"), F(c8_build_options, device),
        F(c8_build_options, precision), F(c8_build_options, fallback), F(c8_build_options, scales),
        F(c8_build_options, layer_precision), F(c8_build_options, strict),
        F(c8_build_options, passes), F(c8_build_options, tf32), F(c8_build_options, tune_batches),
        F(c8_build_options, n_tune_batches), F(c8_build_options, preprocessing),
        F(c8_build_options, threads), F(c8_build_options, verbose), F(c8_build_options, log), END();
    BEGIN(c8_node_placement, "NodePlacement"), F(c8_node_placement, name), F(c8_node_placement, op),
        F(c8_node_placement, precision), F(c8_node_placement, role), F(c8_node_placement, device),
        F(c8_node_placement, reason), F(c8_node_placement, layout), F(c8_node_placement, kernel),
        F(c8_node_placement, tuned), END();
    BEGIN(c8_calib_params, "CalibParams"), F(c8_calib_params, percentile),
        F(c8_calib_params, mxnet_eps), END();
    BEGIN(c8_calibrate_opts, "CalibrateOpts"), F(c8_calibrate_opts, algo),
        F(c8_calibrate_opts, input_algo), F(c8_calibrate_opts, params), F(c8_calibrate_opts, nbins),
        F(c8_calibrate_opts, device), F(c8_calibrate_opts, trt_version),
        F(c8_calibrate_opts, histograms_path), F(c8_calibrate_opts, preprocessing_json),
        F(c8_calibrate_opts, progress), F(c8_calibrate_opts, log), F(c8_calibrate_opts, max_memory),
        F(c8_calibrate_opts, threads), END();
    BEGIN(c8_calibrate_result, "CalibrateResult"), F(c8_calibrate_result, images),
        F(c8_calibrate_result, tensors), F(c8_calibrate_result, t_total),
        F(c8_calibrate_result, t_load), F(c8_calibrate_result, t_infer),
        F(c8_calibrate_result, t_hist), F(c8_calibrate_result, t_search), END();
    BEGIN(c8_calib_source, "CalibSource"), F(c8_calib_source, next), F(c8_calib_source, user),
        F(c8_calib_source, total), F(c8_calib_source, dataset_sha256),
        F(c8_calib_source, dataset_images), F(c8_calib_source, batch_size),
        F(c8_calib_source, image_name), END();
    BEGIN(c8_dataset_spec, "DatasetSpec"), F(c8_dataset_spec, path),
        F(c8_dataset_spec, labels_path), F(c8_dataset_spec, classes_path),
        F(c8_dataset_spec, hdf5_images), F(c8_dataset_spec, hdf5_labels), F(c8_dataset_spec, kind),
        F(c8_dataset_spec, images), F(c8_dataset_spec, seed), F(c8_dataset_spec, shuffle),
        F(c8_dataset_spec, stratified), END();
    BEGIN(c8_preprocess, "Preprocess"), F(c8_preprocess, resize), F(c8_preprocess, resize_short),
        F(c8_preprocess, resize_h), F(c8_preprocess, resize_w), F(c8_preprocess, crop_h),
        F(c8_preprocess, crop_w), F(c8_preprocess, channels), F(c8_preprocess, scale),
        F(c8_preprocess, nmean), F(c8_preprocess, nstd), F(c8_preprocess, mean),
        F(c8_preprocess, std), F(c8_preprocess, resize_long), F(c8_preprocess, round_multiple),
        F(c8_preprocess, pad_multiple), END();
    BEGIN(c8_loader_opts, "LoaderOpts"), F(c8_loader_opts, batch), F(c8_loader_opts, prefetch),
        F(c8_loader_opts, skip_bad), F(c8_loader_opts, first), F(c8_loader_opts, count), END();
    BEGIN(c8_drift_options, "DriftOptions"), F(c8_drift_options, map_threshold),
        F(c8_drift_options, ctc_blank), F(c8_drift_options, kind), END();
    BEGIN(c8_compare_options, "CompareOptions"), F(c8_compare_options, calib_cache),
        F(c8_compare_options, fp16), F(c8_compare_options, int8), F(c8_compare_options, fallback),
        F(c8_compare_options, layer_precision), F(c8_compare_options, device),
        F(c8_compare_options, threads), F(c8_compare_options, passes),
        F(c8_compare_options, allow_cache_mismatch), F(c8_compare_options, layer_images),
        F(c8_compare_options, sensitivity), F(c8_compare_options, histograms_path),
        F(c8_compare_options, hist_bins), F(c8_compare_options, dump_path),
        F(c8_compare_options, drift), F(c8_compare_options, progress), F(c8_compare_options, log),
        END();
    return 0;
}
