/* calib8 calibrate: histograms over representative images -> thresholds -> TensorRT-format
 * calibration cache + JSON sidecar (and optionally an HDF5 histogram file); or thresholds
 * recomputed offline from a saved histogram file. */
#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/cli_io.h"
#include "tools/commands.h"
#include "tools/dataset_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_IMAGES 500

enum {
    OPT_MODEL = 0x2000,
    OPT_CACHE,
    OPT_ALGO,
    OPT_INPUT_ALGO,
    OPT_PERCENTILE,
    OPT_BINS,
    OPT_SAVE_HIST,
    OPT_FROM_HIST,
    OPT_TRT_VERSION,
    OPT_SHAPE,
    OPT_DEVICE,
    OPT_MAX_MEMORY,
    OPT_THREADS,
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: calib8 calibrate --model M.onnx --data DIR|FILE.h5 [dataset flags]\n"
        "                        [--batch 32] [--images 500] [--algo auto] --cache OUT\n"
        "       calib8 calibrate --from-histograms H.h5 --algo ALGO --cache OUT\n\n"
        "Runs the FP32 model over the calibration images, collects a histogram of |x| for every\n"
        "tensor an INT8 layer may read or write, picks thresholds and writes a TensorRT-format\n"
        "calibration cache OUT with its provenance sidecar OUT.json.\n\n"
        "  --model FILE            ONNX model\n"
        "  --cache FILE            the calibration cache to write\n"
        "  --algo NAME             threshold algorithm (default auto):\n");
    for (int64_t i = 0; c8_calib_algo_at(i); i++)
        fprintf(f, "                            %-14s %s\n", c8_calib_algo_at(i)->name,
                c8_calib_algo_at(i)->description);
    fprintf(
        f,
        "  --input-algo NAME|same  algorithm for the network inputs (default minmax: 8-bit\n"
        "                          pixels have a known range and a comb-shaped histogram)\n"
        "  --percentile P          for --algo percentile (default 99.99)\n"
        "  --bins N                histogram bins (default 2048)\n"
        "  --save-histograms FILE  also write every histogram to an HDF5 file\n"
        "  --from-histograms FILE  recompute thresholds from a histogram file (no model run)\n"
        "  --trt-version V         cache header version (default %s: TensorRT 10.3)\n"
        "  --shape NAME:DIMS       input extents, each N, MIN..MAX or MIN..OPT..MAX (a range is\n"
        "                          an optimization profile; NAME: optional for one input)\n"
        "  --device D              where the FP32 engine runs: cpu (default; oneDNN where built\n"
        "                          with it), cpu-ref (the reference kernels) or cuda\n"
        "  --images N              calibration images (default %d; --images 0: all)\n",
        C8_CALIB_TRT_VERSION_DEFAULT, DEFAULT_IMAGES);
    fputs(C8_CLI_MAX_MEMORY_HELP, f);
    fputs(C8_CLI_THREADS_HELP, f);
    fputs("Ctrl-C (SIGINT) stops after the current batch: nothing is written, existing files\n"
          "are left as they were, and the exit code is 130.\n",
          f);
    c8_dataset_opts_help(f);
}

static int from_histograms(const char *hist_path, const char *algo_name,
                           const c8_calib_params *params, const char *cache, const char *trt,
                           bool algo_given) {
    c8_error err = {0};
    c8_calib_histfile *hf = NULL;
    const c8_calib_algo *algo = c8_calib_algo_find(algo_name);
    if (!algo) return c8_cli_usage("calibrate", "unknown --algo '%s'", algo_name);
    if (!algo_given) fprintf(stderr, "calibrate: --algo not given, using %s\n", algo->name);
    c8_status s = c8_calib_histfile_load(hist_path, &hf, &err);
    int64_t n = s == C8_OK ? c8_calib_histfile_count(hf) : 0;
    c8_calib_tensor_stat *stats = calloc((size_t)(n ? n : 1), sizeof *stats);
    if (s == C8_OK && !stats) s = c8_err(&err, C8_ERR_NOMEM, "out of memory");
    if (s == C8_OK)
        s = c8_calib_compute(algo, params, c8_calib_histfile_names(hf), c8_calib_histfile_hists(hf),
                             n, stats, &err);
    if (s == C8_OK) {
        c8_calib_info info = *c8_calib_histfile_info(hf);
        info.algorithm = algo->name;
        info.params = *params;
        s = c8_calib_save(cache, trt, NULL, &info, stats, n, &err);
    }
    if (s == C8_OK)
        printf("wrote %s (%lld tensors, algorithm %s, from %s)\n", cache, (long long)n, algo->name,
               hist_path);
    free(stats);
    c8_calib_histfile_destroy(hf);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}

int c8_cmd_calibrate(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"algo", required_argument, NULL, OPT_ALGO},
        {"input-algo", required_argument, NULL, OPT_INPUT_ALGO},
        {"percentile", required_argument, NULL, OPT_PERCENTILE},
        {"bins", required_argument, NULL, OPT_BINS},
        {"save-histograms", required_argument, NULL, OPT_SAVE_HIST},
        {"from-histograms", required_argument, NULL, OPT_FROM_HIST},
        {"trt-version", required_argument, NULL, OPT_TRT_VERSION},

        {"device", required_argument, NULL, OPT_DEVICE},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, OPT_HELP},
        C8_CLI_SHAPE_OPTIONS C8_DATASET_LONG_OPTIONS{NULL, 0, NULL, 0}};
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    c8_calibrate_opts co;
    c8_calibrate_opts_init(&co);
    const char *model_path = NULL, *cache = NULL, *from_hist = NULL;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0, c;
    bool algo_given = false, percentile_given = false, bins_given = false, device_given = false;
    bool input_algo_given = false, max_memory_given = false;
    uint64_t max_memory = c8_cli_default_max_memory();
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("calibrate", c, optarg, shapes, &n_shapes, &shape_rc)) {
            if (shape_rc) return shape_rc;
            continue;
        }
        c8_error e = {0};
        if (c8_dataset_opts_handle(&dso, c, optarg, &e)) {
            if (e.code) return c8_cli_fail(&e);
            continue;
        }
        switch (c) {
        case OPT_MODEL: model_path = optarg; break;
        case OPT_CACHE: cache = optarg; break;
        case OPT_ALGO:
            co.algo = optarg;
            algo_given = true;
            if (!c8_calib_algo_find(optarg))
                return c8_cli_usage("calibrate", "unknown --algo '%s'", optarg);
            break;
        case OPT_INPUT_ALGO:
            input_algo_given = true;
            if (!strcmp(optarg, "same"))
                co.input_algo = NULL;
            else if (!c8_calib_algo_find(optarg))
                return c8_cli_usage("calibrate", "unknown --input-algo '%s'", optarg);
            else
                co.input_algo = optarg;
            break;
        case OPT_PERCENTILE:
            if (!c8_cli_parse_f64(optarg, &co.params.percentile) || !(co.params.percentile > 0) ||
                co.params.percentile > 100)
                return c8_cli_usage("calibrate", "--percentile must be in (0, 100]");
            percentile_given = true;
            break;
        case OPT_BINS:
            if (!c8_cli_parse_i64(optarg, &co.nbins) || co.nbins < 1)
                return c8_cli_usage("calibrate", "bad --bins '%s'", optarg);
            bins_given = true;
            break;
        case OPT_SAVE_HIST: co.histograms_path = optarg; break;
        case OPT_FROM_HIST: from_hist = optarg; break;
        case OPT_TRT_VERSION: {
            c8_calib_cache *probe = NULL;
            c8_error ve = {0};
            if (c8_calib_cache_create(optarg, "EntropyCalibration2", &probe, &ve) != C8_OK)
                return c8_cli_usage("calibrate", "bad --trt-version: %s", ve.msg);
            c8_calib_cache_destroy(probe);
            co.trt_version = optarg;
            break;
        }
        case OPT_DEVICE:
            device_given = true;
            if (!c8_device_parse(optarg, &co.device))
                return c8_cli_usage("calibrate", "--device must be cpu, cpu-ref or cuda");
            break;
        case OPT_MAX_MEMORY:
            if (!c8_cli_parse_max_memory(optarg, &max_memory))
                return c8_cli_usage("calibrate", "bad --max-memory '%s'", optarg);
            max_memory_given = true;
            break;
        case OPT_THREADS:
            if (!c8_cli_parse_threads(optarg, &co.threads))
                return c8_cli_usage("calibrate", "bad --threads '%s' (1 to 4096)", optarg);
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("calibrate", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("calibrate", "unexpected argument '%s'", argv[optind]);
    if (!cache) return c8_cli_usage("calibrate", "--cache is required");
    /* options without an effect here are errors (docs/cli.md) */
    const c8_calib_algo *algo = c8_calib_algo_find(co.algo);
    const c8_calib_algo *ialgo = co.input_algo ? c8_calib_algo_find(co.input_algo) : algo;
    if (percentile_given &&
        !((algo->params | (ialgo ? ialgo->params : 0)) & C8_CALIB_PARAM_PERCENTILE))
        return c8_cli_usage("calibrate",
                            "--percentile has no effect: --algo %s%s%s does not use it (only "
                            "--algo percentile does)",
                            algo->name, input_algo_given && co.input_algo ? " --input-algo " : "",
                            input_algo_given && co.input_algo ? co.input_algo : "");
    if (from_hist) {
        if (model_path || dso.data_given)
            return c8_cli_usage("calibrate",
                                "--from-histograms runs no model: drop --model/--data");
        const char *idle = bins_given           ? "--bins"
                           : device_given       ? "--device"
                           : n_shapes           ? "--shape"
                           : input_algo_given   ? "--input-algo"
                           : max_memory_given   ? "--max-memory"
                           : co.threads         ? "--threads"
                           : co.histograms_path ? "--save-histograms"
                                                : NULL;
        if (idle)
            return c8_cli_usage("calibrate",
                                "%s has no effect with --from-histograms: no model is run and "
                                "the histograms are already collected",
                                idle);
        c8_cli_io io;
        c8_cli_io_init(&io, "calibrate");
        c8_cli_io_in(&io, "--from-histograms", from_hist);
        c8_cli_io_out(&io, "--cache", cache);
        c8_cli_io_out_sidecar(&io, "--cache", cache);
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
        return from_histograms(from_hist, co.algo, &co.params, cache, co.trt_version, algo_given);
    }
    if (!model_path) return c8_cli_usage("calibrate", "--model is required");
    if (!dso.data_given) return c8_cli_usage("calibrate", "--data is required");
    if (dso.spec.images < 0) dso.spec.images = DEFAULT_IMAGES;
    if (dso.spec.images == 0) dso.spec.images = -1;
    {
        c8_cli_io io;
        c8_cli_io_init(&io, "calibrate");
        c8_cli_io_in(&io, "--model", model_path);
        c8_cli_io_in(&io, "--data", dso.spec.path);
        c8_cli_io_in(&io, "--labels", dso.spec.labels_path);
        c8_cli_io_in(&io, "--classes", dso.spec.classes_path);
        c8_cli_io_in(&io, "--preprocess-config", dso.config);
        c8_cli_io_out(&io, "--cache", cache);
        c8_cli_io_out_sidecar(&io, "--cache", cache);
        c8_cli_io_out(&io, "--save-histograms", co.histograms_path);
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
    }

    /* Ctrl-C from here on stops cleanly: during loading it is seen before the first batch;
     * nothing is written (docs/reliability.md). */
    c8_cli_catch_sigint();
    c8_error err = {0};
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_loader *ld = NULL;
    int rc = C8_EXIT_OK;
    const char *in_name;
    int64_t C, H, W, h0 = 0, h1 = 0, w0 = 0, w1 = 0;
    bool ranged = false;
    char pre[512], pre_json[600];
    c8_status s = c8_dataset_opts_finish(&dso, &err);
    if (s == C8_OK) s = c8_model_load(model_path, NULL, &m, &err);
    if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
    if (s == C8_OK) s = c8_cli_image_input(m, &in_name, &C, &H, &W, &err);
    /* dynamic H and W (a profile's range): every image its own size; H x W is the largest */
    if (s == C8_OK) ranged = c8_model_image_range(m, &h0, &h1, &w0, &w1);
    if (s == C8_OK) s = c8_dataset_open(&dso.spec, &ds, &err);
    if (s == C8_OK) c8_dataset_opts_warn_images(&dso, ds);
    if (s == C8_OK)
        s = c8_cli_check_batch(m, NULL, model_path, &dso.loader.batch, dso.batch_given,
                               c8_dataset_count(ds), &err);
    if (s == C8_OK)
        s = c8_cli_budget_loader(max_memory, dso.loader.batch, dso.loader.prefetch, C, H, W,
                                 &co.max_memory, &err);
    if (s == C8_OK)
        s = ranged
                ? c8_loader_create_ranged(ds, &dso.pre, C, h0, h1, w0, w1, &dso.loader, &ld, &err)
                : c8_loader_create(ds, &dso.pre, C, H, W, &dso.loader, &ld, &err);
    if (s != C8_OK) goto fail;
    c8_preprocess_describe(&dso.pre, pre, sizeof pre);
    snprintf(pre_json, sizeof pre_json, "\"%s\"", pre);
    co.preprocessing_json = pre_json;
    co.progress = c8_dataset_opts_progress(&dso);
    co.log = stdout;
    char hw[64];
    if (ranged)
        snprintf(hw, sizeof hw, "%lld..%lldx%lld..%lld (each image its own size)", (long long)h0,
                 (long long)h1, (long long)w0, (long long)w1);
    else
        snprintf(hw, sizeof hw, "%lldx%lld", (long long)H, (long long)W);
    if (!dso.quiet) /* --quiet: the results (table, "wrote ...") only */
        printf("calibrating %s on %lld images of %s (%s), input %s %lldx%s\n", model_path,
               (long long)c8_dataset_count(ds),
               dso.spec.path ? dso.spec.path : dso.spec.labels_path, pre, in_name, (long long)C,
               hw);
    c8_calibrate_result res;
    s = c8_calibrate(m, ds, ld, dso.loader.batch, &co, cache, &res, &err);
    if (s != C8_OK) goto fail;
    if (c8_loader_num_skipped(ld))
        printf("skipped %lld bad image(s) (--skip-bad)\n", (long long)c8_loader_num_skipped(ld));
    printf("wrote %s and %s.json%s%s\n", cache, cache, co.histograms_path ? " and " : "",
           co.histograms_path ? co.histograms_path : "");
    goto out;
fail:
    if (s == C8_ERR_LIMIT && ld)
        c8_cli_explain_memory_limit(&err, max_memory, dso.loader.batch, dso.loader.prefetch, C, H,
                                    W);
    rc = c8_cli_fail(&err);
out:
    c8_loader_destroy(ld);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
    return rc;
}
