/* calib8 build: compiles a model into an engine with per-layer precisions and writes a plan.
 * With --max-drift, first searches for the layers to keep out of INT8 (reports/,
 * c8_report_fallback) so that top-1 drift on --data stays within the target. */
#include "calib8/engine.h"
#include "calib8/report.h"
#include "tools/cli.h"
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
    OPT_LAYER_PRECISION,
    OPT_STRICT,
    OPT_NO_PASSES,
    OPT_SHAPE,
    OPT_DEVICE,
    OPT_VERBOSE,
    OPT_TF32,
    OPT_ALLOW_MISMATCH,
    OPT_MAX_DRIFT,
    OPT_TUNE_BATCHES,
    OPT_FALLBACK_IMAGES,
    OPT_REPORT,
    OPT_THREADS,
    OPT_CTC_BLANK,
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: calib8 build --model M.onnx --precision fp32|fp16|int8|fp16,int8\n"
        "                    [--calib C.cache] --plan OUT.plan [options]\n\n"
        "Builds an engine: every layer runs INT8 where an INT8 kernel exists and every scale it\n"
        "needs is in the calibration cache, otherwise FP32 (or FP16 with fp16,int8), and the\n"
        "reason is recorded. Prints the layer table and writes the plan.\n\n"
        "  --model FILE              ONNX model\n"
        "  --plan FILE               the plan to write\n"
        "  --precision P             fp32 (default), fp16, int8, or fp16,int8\n"
        "  --calib FILE              calibration cache (TensorRT text format) for INT8\n"
        "  --layer-precision SPEC    per-layer overrides, e.g. 'conv1:fp32,fc*:fp16' (globs\n"
        "                            over node names; the last match wins)\n"
        "  --strict                  fail instead of falling back from INT8\n"
        "  --no-passes               skip the graph optimizer\n"
        "  --shape NAME:DIMS         input extents, each N, MIN..MAX or MIN..OPT..MAX: a range is\n"
        "                            an optimization profile (x:1..8..64x3x48x192; also\n"
        "                            --minShapes/--optShapes/--maxShapes, --shapes)\n"
        "  --device cpu|cpu-ref|cuda target device (default cpu: oneDNN where built with it; "
        "cpu-ref:\n"
        "                            the reference kernels)\n"
        "  --tf32                    allow TF32 tensor cores for FP32 layers (cuda)\n"
        "  --tune-batches LIST       a dynamic batch: the batch sizes at which INT8 kernels are\n"
        "                            timed, one choice per bucket in the plan (cuda; default\n"
        "                            1,32,256; a fixed or --shape-pinned batch is tuned at it)\n"
        "  --allow-cache-mismatch    use a cache whose sidecar names another model\n"
        "  --verbose                 print kernel candidates and timings (cuda)\n\n"
        "Automatic fallback (INT8): find the layers to keep in FP32 (FP16 with fp16,int8)\n"
        "so that top-1 on a labeled set drops at most PCT points below FP32:\n"
        "  --max-drift PCT           the target, in top-1 percentage points\n"
        "  --data VAL                the labeled set (with the dataset flags below)\n"
        "  --ctc-blank N             a sequence output (N, T, classes), e.g. a CTC text\n"
        "                            recognizer: no labels needed; PCT is in points of the\n"
        "                            lines whose decoded string equals FP32's (blank N)\n"
        "  --fallback-images N       measure on the first N images of VAL (default: all)\n"
        "  --report DIR              write the search (every step) as report.json/md/html\n"
        "  --threads N               CPU threads of the search's runs (default: all cores, or\n"
        "                            OMP_NUM_THREADS; results do not depend on N)\n\n"
        "Preprocessing: the plan records the preprocessing its inputs expect, the one the\n"
        "--calib cache's sidecar records (calib8 calibrate's flags), or the preprocessing flags\n"
        "below when given (a warning names both when they differ); eval, compare, run (image\n"
        "inputs) and bench use it when they are given no preprocessing flags.\n");
    c8_dataset_opts_help(f);
}

int c8_cmd_build(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"plan", required_argument, NULL, OPT_PLAN},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"calib", required_argument, NULL, OPT_CALIB},
        {"layer-precision", required_argument, NULL, OPT_LAYER_PRECISION},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"no-passes", no_argument, NULL, OPT_NO_PASSES},

        {"device", required_argument, NULL, OPT_DEVICE},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"tf32", no_argument, NULL, OPT_TF32},
        {"tune-batches", required_argument, NULL, OPT_TUNE_BATCHES},
        {"allow-cache-mismatch", no_argument, NULL, OPT_ALLOW_MISMATCH},
        {"max-drift", required_argument, NULL, OPT_MAX_DRIFT},
        {"fallback-images", required_argument, NULL, OPT_FALLBACK_IMAGES},
        {"report", required_argument, NULL, OPT_REPORT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"ctc-blank", required_argument, NULL, OPT_CTC_BLANK},
        {"help", no_argument, NULL, OPT_HELP},
        C8_CLI_SHAPE_OPTIONS C8_DATASET_LONG_OPTIONS{NULL, 0, NULL, 0}};
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    c8_fallback_options fo;
    c8_fallback_options_init(&fo);
    bool max_drift = false, fallback_images = false;
    const char *report_dir = NULL;
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.log = stdout;
    c8_cli_calib cal = {0};
    const char *model_path = NULL, *plan = NULL;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0, c;
    int64_t tune_batches[16];
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("build", c, optarg, shapes, &n_shapes, &shape_rc)) {
            if (shape_rc) return shape_rc;
            continue;
        }
        c8_error de = {0};
        if (c8_dataset_opts_handle(&dso, c, optarg, &de)) {
            if (de.code) return c8_cli_fail(&de);
            continue;
        }
        switch (c) {
        case OPT_MODEL: model_path = optarg; break;
        case OPT_PLAN: plan = optarg; break;
        case OPT_PRECISION:
            if (!c8_cli_parse_precision(optarg, &bo.precision, &bo.fallback))
                return c8_cli_usage("build", "bad --precision '%s'", optarg);
            break;
        case OPT_CALIB: cal.path = optarg; break;
        case OPT_LAYER_PRECISION: bo.layer_precision = optarg; break;
        case OPT_STRICT: bo.strict = true; break;
        case OPT_NO_PASSES: bo.passes = false; break;
        case OPT_DEVICE:
            if (!c8_device_parse(optarg, &bo.device))
                return c8_cli_usage("build", "--device must be cpu, cpu-ref or cuda");
            break;
        case OPT_VERBOSE: bo.verbose = true; break;
        case OPT_TF32: bo.tf32 = true; break;
        case OPT_TUNE_BATCHES:
            bo.n_tune_batches = c8_cli_parse_i64_list(optarg, tune_batches, 16);
            if (bo.n_tune_batches < 1)
                return c8_cli_usage("build", "bad --tune-batches '%s' (up to 16 batch sizes)",
                                    optarg);
            for (int i = 0; i < bo.n_tune_batches; i++)
                if (tune_batches[i] < 1 || (i > 0 && tune_batches[i] <= tune_batches[i - 1]))
                    return c8_cli_usage("build", "--tune-batches must be ascending and >= 1");
            bo.tune_batches = tune_batches;
            break;
        case OPT_ALLOW_MISMATCH: cal.allow_mismatch = true; break;
        case OPT_MAX_DRIFT:
            if (!c8_cli_parse_f64(optarg, &fo.max_drift) || !(fo.max_drift >= 0))
                return c8_cli_usage("build", "bad --max-drift '%s' (points, >= 0)", optarg);
            max_drift = true;
            break;
        case OPT_FALLBACK_IMAGES:
            if (!c8_cli_parse_i64(optarg, &fo.images) || fo.images < 1)
                return c8_cli_usage("build", "bad --fallback-images '%s'", optarg);
            fallback_images = true;
            break;
        case OPT_REPORT: report_dir = optarg; break;
        case OPT_CTC_BLANK:
            if (!c8_cli_parse_i64(optarg, &fo.ctc_blank) || fo.ctc_blank < 0)
                return c8_cli_usage("build", "bad --ctc-blank '%s' (a class index >= 0)", optarg);
            break;
        case OPT_THREADS:
            if (!c8_cli_parse_threads(optarg, &bo.threads))
                return c8_cli_usage("build", "bad --threads '%s' (1 to 4096)", optarg);
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("build", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("build", "unexpected argument '%s'", argv[optind]);
    if (!model_path) return c8_cli_usage("build", "--model is required");
    if (!plan) return c8_cli_usage("build", "--plan is required");
    if (max_drift) {
        if (!dso.data_given) return c8_cli_usage("build", "--max-drift needs --data");
        if (bo.precision != C8_PREC_INT8)
            return c8_cli_usage("build", "--max-drift needs --precision int8 or fp16,int8");
        if (!cal.path) return c8_cli_usage("build", "--max-drift needs --calib");
    } else if (dso.data_given || fallback_images || report_dir || fo.ctc_blank >= 0) {
        return c8_cli_usage("build", "--data, --fallback-images, --report and --ctc-blank go with "
                                     "--max-drift");
    } else if (bo.threads) {
        return c8_cli_usage("build",
                            "--threads has no effect without --max-drift: build runs no "
                            "model on the CPU (pass it to the command that runs the plan)");
    }
    /* options without an effect here are errors (docs/cli.md) */
    if (cal.path && bo.precision != C8_PREC_INT8)
        return c8_cli_usage("build",
                            "--calib has no effect with --precision %s: only int8 (or "
                            "fp16,int8) uses a calibration cache",
                            c8_precision_name(bo.precision));
    if (bo.tf32 && bo.device != C8_DEVICE_CUDA)
        return c8_cli_usage("build", "--tf32 has no effect with --device cpu (it is for cuda)");
    if (bo.tune_batches && bo.device != C8_DEVICE_CUDA)
        return c8_cli_usage("build",
                            "--tune-batches has no effect with --device cpu (it is for cuda)");
    if (bo.tune_batches && bo.precision != C8_PREC_INT8)
        return c8_cli_usage("build",
                            "--tune-batches has no effect with --precision %s (it is for "
                            "int8)",
                            c8_precision_name(bo.precision));
    if (bo.verbose && bo.device != C8_DEVICE_CUDA)
        return c8_cli_usage("build", "--verbose has no effect with --device cpu (it is for cuda)");
    if (bo.strict && bo.precision != C8_PREC_INT8)
        return c8_cli_usage("build", "--strict has no effect with --precision %s (it is for int8)",
                            c8_precision_name(bo.precision));
    {
        c8_cli_io io;
        c8_cli_io_init(&io, "build");
        c8_cli_io_in(&io, "--model", model_path);
        c8_cli_io_in(&io, "--calib", cal.path);
        c8_cli_io_in_sidecar(&io, "--calib", cal.path);
        c8_cli_io_in(&io, "--data", dso.spec.path);
        c8_cli_io_in(&io, "--labels", dso.spec.labels_path);
        c8_cli_io_in(&io, "--classes", dso.spec.classes_path);
        c8_cli_io_in(&io, "--preprocess-config", dso.config);
        c8_cli_io_out(&io, "--plan", plan);
        c8_cli_io_out_dir(&io, "--report", report_dir);
        c8_cli_io_out_in_dir(&io, "--report", report_dir, "report.json");
        c8_cli_io_out_in_dir(&io, "--report", report_dir, "report.md");
        c8_cli_io_out_in_dir(&io, "--report", report_dir, "report.html");
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
    }
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_dataset *ds = NULL;
    c8_report *rep = NULL;
    char *spec = NULL;
    /* Ctrl-C: the fallback search's runs stop between layers, and no plan is written. */
    c8_cli_catch_sigint();
    c8_status s = c8_model_load(model_path, NULL, &m, &err);
    if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
    if (s == C8_OK) s = c8_cli_check_layer_spec(m, bo.layer_precision, &err);
    if (s == C8_OK) s = c8_cli_calib_load(&cal, m, &bo, bo.log, &err);
    /* the plan records the sidecar's preprocessing, or the flags' when given */
    char pre_line[512];
    if (s == C8_OK) s = c8_dataset_opts_finish(&dso, &err);
    if (s == C8_OK) c8_dataset_opts_adopt(&dso, cal.preprocessing, cal.sidecar);
    if (s == C8_OK && c8_dataset_opts_pre_given(&dso))
        bo.preprocessing = c8_preprocess_describe(&dso.pre, pre_line, sizeof pre_line);
    if (s == C8_OK && max_drift) {
        char pre[512];
        s = c8_dataset_open(&dso.spec, &ds, &err);
        if (s == C8_OK) c8_dataset_opts_warn_images(&dso, ds);
        if (s == C8_OK)
            s = c8_cli_check_batch(m, NULL, model_path, &dso.loader.batch, dso.batch_given,
                                   c8_dataset_count(ds), &err);
        if (s == C8_OK) s = c8_report_create(&rep, &err);
        if (s == C8_OK) {
            c8_preprocess_describe(&dso.pre, pre, sizeof pre);
            s = c8_report_set(rep, "model", model_path, &err);
            if (s == C8_OK) s = c8_report_set(rep, "model sha256", c8_model_sha256(m), &err);
            if (s == C8_OK) s = c8_report_set(rep, "calibration cache", cal.path, &err);
            if (s == C8_OK)
                s = c8_report_set(rep, "data", dso.spec.path ? dso.spec.path : dso.spec.labels_path,
                                  &err);
            if (s == C8_OK)
                s = c8_report_set(rep, "dataset manifest sha256", c8_dataset_manifest_sha256(ds),
                                  &err);
            if (s == C8_OK) s = c8_report_set(rep, "preprocessing", pre, &err);
            if (s == C8_OK) s = c8_report_set(rep, "plan", plan, &err);
            if (s == C8_OK)
                s = c8_report_set(rep, "layer precision overrides",
                                  bo.layer_precision ? bo.layer_precision : "", &err);
        }
        if (s == C8_OK) {
            fo.log = stdout;
            fo.calib_cache = cal.path;
            fo.progress = c8_dataset_opts_progress(&dso);
            s = c8_report_fallback(rep, m, &bo, ds, &dso.pre, &dso.loader, &fo, &err);
        }
        if (report_dir && (s == C8_OK || s == C8_ERR_LIMIT) && c8_report_fallback_spec(rep)) {
            c8_error e2 = {0};
            if (c8_report_write(rep, report_dir, &e2) != C8_OK) {
                if (s == C8_OK)
                    err = e2, s = e2.code;
                else
                    fprintf(stderr, "calib8: error: %s\n", e2.msg);
            } else {
                printf("wrote %s/report.json, report.md and report.html\n", report_dir);
            }
        }
        if (s == C8_OK) {
            const char *gen = c8_report_fallback_spec(rep);
            size_t n = (bo.layer_precision ? strlen(bo.layer_precision) : 0) + strlen(gen) + 2;
            spec = malloc(n);
            if (!spec) {
                s = C8_ERR_NOMEM;
                snprintf(err.msg, sizeof err.msg, "out of memory");
                err.code = s;
            } else {
                snprintf(spec, n, "%s%s%s", bo.layer_precision ? bo.layer_precision : "",
                         bo.layer_precision && gen[0] ? "," : "", gen);
                bo.layer_precision = spec;
                printf("fallback: %d layer(s) kept in %s%s%s\n", c8_report_fallback_num_layers(rep),
                       c8_precision_name(bo.fallback), gen[0] ? ": --layer-precision " : "", gen);
            }
        }
    }
    if (s == C8_OK) s = c8_engine_build(m, &bo, &e, &err);
    if (s == C8_OK) c8_calib_cache_warn_unfit(cal.path, m, e, stderr);
    if (s == C8_OK && c8_interrupt_pending(NULL))
        s = c8_err(&err, C8_ERR_INTERRUPTED, "interrupted by SIGINT; %s not written", plan);
    if (s == C8_OK) s = c8_engine_save(e, plan, &err);
    if (s == C8_OK) printf("wrote %s\n", plan);
    free(spec);
    c8_cli_calib_free(&cal);
    c8_report_destroy(rep);
    c8_dataset_destroy(ds);
    c8_engine_destroy(e);
    c8_model_destroy(m);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
