/* calib8 eval: top-1 / top-5 of a plan or model over a labeled image set. */
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/report.h"
#include "tools/cli.h"
#include "tools/cli_finite.h"
#include "tools/cli_io.h"
#include "tools/cli_layers.h"
#include "tools/commands.h"
#include "tools/dataset_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_MODEL = 0x2000,
    OPT_PLAN,
    OPT_PRECISION,
    OPT_CALIB,
    OPT_NO_PASSES,
    OPT_SHAPE,
    OPT_JSON,
    OPT_MAX_MEMORY,
    OPT_ALLOW_NONFINITE,
    OPT_THREADS,
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(f, "usage: calib8 eval --plan P | --model M.onnx [--precision fp32] [--calib C]\n"
               "                   --data DIR|FILE.h5 [dataset flags] [--json FILE]\n\n"
               "Runs the engine over a labeled image set and prints top-1 and top-5 accuracy.\n"
               "The model's output 0 must hold class scores (N x K or N x K x 1 x 1); for other\n"
               "models (detectors, recognizers), or without labels, `calib8 compare` measures\n"
               "the drift of every output against FP32.\n\n"
               "  --plan FILE        a plan from calib8 build (no ONNX file needed)\n"
               "  --model FILE       or an ONNX model, built here with --precision/--calib\n"
               "  --precision P      fp32 (default), fp16, int8, fp16,int8\n"
               "  --calib FILE       calibration cache for int8\n"
               "  --no-passes        skip the graph optimizer (with --model)\n"
               "  --shape NAME:DIMS  input extents (with --model), each N, MIN..MAX or\n"
               "                     MIN..OPT..MAX (a range is an optimization profile)\n"
               "  --json FILE        also write {\"top1\", \"top5\", \"images\", ...} to FILE\n"
               "  --allow-nonfinite  score outputs holding NaN or Inf (default: fail, naming\n"
               "                     the first image that produced one)\n");
    fputs(C8_CLI_MAX_MEMORY_HELP, f);
    fputs(C8_CLI_THREADS_HELP, f);
    fputs("Ctrl-C (SIGINT) stops after the current batch: nothing is written, exit code 130.\n", f);
    c8_dataset_opts_help(f);
}

int c8_cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"plan", required_argument, NULL, OPT_PLAN},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"calib", required_argument, NULL, OPT_CALIB},
        {"no-passes", no_argument, NULL, OPT_NO_PASSES},

        {"json", required_argument, NULL, OPT_JSON},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"allow-nonfinite", no_argument, NULL, OPT_ALLOW_NONFINITE},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, OPT_HELP},
        C8_CLI_SHAPE_OPTIONS C8_DATASET_LONG_OPTIONS{NULL, 0, NULL, 0}};
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    c8_build_options bo;
    c8_build_options_init(&bo);
    c8_cli_calib cal = {0};
    const char *model_path = NULL, *plan = NULL, *json = NULL;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0, c, threads = 0;
    uint64_t max_memory = c8_cli_default_max_memory();
    const char *precision_arg = NULL;
    bool no_passes = false, allow_nonfinite = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("eval", c, optarg, shapes, &n_shapes, &shape_rc)) {
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
        case OPT_PLAN: plan = optarg; break;
        case OPT_PRECISION:
            if (!c8_cli_parse_precision(optarg, &bo.precision, &bo.fallback))
                return c8_cli_usage("eval", "bad --precision '%s'", optarg);
            precision_arg = optarg;
            break;
        case OPT_CALIB: cal.path = optarg; break;
        case OPT_NO_PASSES:
            bo.passes = false;
            no_passes = true;
            break;
        case OPT_ALLOW_NONFINITE: allow_nonfinite = true; break;
        case OPT_JSON: json = optarg; break;
        case OPT_MAX_MEMORY:
            if (!c8_cli_parse_max_memory(optarg, &max_memory))
                return c8_cli_usage("eval", "bad --max-memory '%s'", optarg);
            break;
        case OPT_THREADS:
            if (!c8_cli_parse_threads(optarg, &threads))
                return c8_cli_usage("eval", "bad --threads '%s' (1 to 4096)", optarg);
            bo.threads = threads;
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("eval", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("eval", "unexpected argument '%s'", argv[optind]);
    if (!!model_path == !!plan) return c8_cli_usage("eval", "give exactly one of --plan, --model");
    if (!dso.data_given) return c8_cli_usage("eval", "--data is required");
    /* options without an effect here are errors (docs/cli.md) */
    if (plan) {
        const char *idle = precision_arg ? "--precision"
                           : cal.path    ? "--calib"
                           : no_passes   ? "--no-passes"
                           : n_shapes    ? "--shape"
                                         : NULL;
        if (idle)
            return c8_cli_usage("eval",
                                "%s has no effect with --plan: the plan was built with its "
                                "precisions, scales, passes and shapes (rebuild it, or use "
                                "--model)",
                                idle);
    } else if (cal.path && bo.precision != C8_PREC_INT8) {
        return c8_cli_usage("eval",
                            "--calib has no effect with --precision %s: only int8 (or "
                            "fp16,int8) uses a calibration cache",
                            c8_precision_name(bo.precision));
    } else if (!cal.path && bo.precision == C8_PREC_INT8) {
        return c8_cli_usage("eval", "--precision int8 needs --calib");
    }
    {
        c8_cli_io io;
        c8_cli_io_init(&io, "eval");
        c8_cli_io_in(&io, "--model", model_path);
        c8_cli_io_in(&io, "--plan", plan);
        c8_cli_io_in(&io, "--calib", cal.path);
        c8_cli_io_in_sidecar(&io, "--calib", cal.path);
        c8_cli_io_in(&io, "--data", dso.spec.path);
        c8_cli_io_in(&io, "--labels", dso.spec.labels_path);
        c8_cli_io_in(&io, "--classes", dso.spec.classes_path);
        c8_cli_io_in(&io, "--preprocess-config", dso.config);
        c8_cli_io_out(&io, "--json", json);
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
    }
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_dataset *ds = NULL;
    const char *in_name;
    int64_t C, H, W;
    c8_eval_options eo;
    c8_eval_options_init(&eo);
    c8_eval_result res;
    /* Ctrl-C from here on stops between batches (and layers), or before the first batch when
     * it comes during loading; nothing is written (docs/reliability.md). */
    c8_cli_catch_sigint();
    c8_status s = c8_dataset_opts_finish(&dso, &err);
    if (s == C8_OK && plan) s = c8_engine_load(plan, &e, &err);
    if (s == C8_OK && model_path) {
        s = c8_model_load(model_path, NULL, &m, &err);
        if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
        if (s == C8_OK) s = c8_cli_calib_load(&cal, m, &bo, bo.log, &err);
        if (s == C8_OK) s = c8_engine_build(m, &bo, &e, &err);
        if (s == C8_OK) c8_calib_cache_warn_unfit(cal.path, m, e, stderr);
    }
    /* the preprocessing the plan (or the cache's sidecar) records, unless flags say otherwise */
    if (s == C8_OK)
        c8_dataset_opts_adopt(&dso, c8_engine_preprocessing(e), plan ? plan : cal.sidecar);
    if (s == C8_OK)
        s = c8_cli_engine_image_input(e, plan ? plan : model_path, &in_name, &C, &H, &W, &err);
    /* a detector or recognizer has no accuracy to count here: say what it is (issue 20) */
    if (s == C8_OK) s = c8_report_eval_check_output(e, plan ? plan : model_path, &err);
    if (s == C8_OK) s = c8_dataset_open(&dso.spec, &ds, &err);
    if (s == C8_OK) c8_dataset_opts_warn_images(&dso, ds);
    if (s == C8_OK)
        s = c8_cli_check_batch(NULL, e, plan ? plan : model_path, &dso.loader.batch,
                               dso.batch_given, c8_dataset_count(ds), &err);
    if (s == C8_OK && !c8_dataset_has_labels(ds))
        s = c8_err(&err, C8_ERR_INVALID,
                   "%s: the data set has no labels; eval needs them (`calib8 compare` measures "
                   "the agreement with FP32 without labels)",
                   dso.spec.path ? dso.spec.path : "--data");
    if (s == C8_OK)
        s = c8_cli_budget_loader(max_memory, dso.loader.batch, dso.loader.prefetch, C, H, W,
                                 &eo.max_memory, &err);
    eo.progress = c8_dataset_opts_progress(&dso);
    eo.threads = threads;
    if (s == C8_OK) s = c8_report_evaluate(e, ds, &dso.pre, &dso.loader, &eo, &res, &err);
    if (s == C8_OK) { /* NaN/Inf outputs fail the command unless --allow-nonfinite */
        c8_cli_nonfinite nf;
        c8_cli_nonfinite_init(&nf);
        nf.values = res.nonfinite_values;
        nf.images = res.nonfinite_images;
        snprintf(nf.first, sizeof nf.first, "%s", res.first_nonfinite);
        s = c8_cli_nonfinite_finish(&nf, plan ? plan : model_path, allow_nonfinite, &err);
    }
    if (s == C8_ERR_LIMIT)
        c8_cli_explain_memory_limit(&err, max_memory, dso.loader.batch, dso.loader.prefetch, C, H,
                                    W);
    if (s == C8_OK) {
        printf("top-1 %.2f%% (%lld/%lld)  top-5 %.2f%% (%lld/%lld)\n", res.top1,
               (long long)res.correct_top1, (long long)res.images, res.top5,
               (long long)res.correct_top5, (long long)res.images);
        if (json)
            s = c8_report_eval_write_json(&res, plan ? plan : model_path, c8_engine_model_sha256(e),
                                          c8_dataset_manifest_sha256(ds), json, &err);
    }
    c8_dataset_destroy(ds);
    c8_engine_destroy(e);
    c8_model_destroy(m);
    c8_cli_calib_free(&cal);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
