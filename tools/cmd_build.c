/* calib8 build: compiles a model into an engine with per-layer precisions and writes a plan. */
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/commands.h"

#include <getopt.h>
#include <stdio.h>
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
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(f,
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
            "  --shape NAME:DIMS         pin dynamic input extents\n"
            "  --device cpu|cuda         target device (default cpu)\n"
            "  --tf32                    allow TF32 tensor cores for FP32 layers (cuda)\n"
            "  --allow-cache-mismatch    use a cache whose sidecar names another model\n"
            "  --verbose                 print kernel candidates and timings (cuda)\n");
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
        {"shape", required_argument, NULL, OPT_SHAPE},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"tf32", no_argument, NULL, OPT_TF32},
        {"allow-cache-mismatch", no_argument, NULL, OPT_ALLOW_MISMATCH},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.log = stdout;
    const char *model_path = NULL, *plan = NULL;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_MODEL: model_path = optarg; break;
        case OPT_PLAN: plan = optarg; break;
        case OPT_PRECISION:
            if (!c8_cli_parse_precision(optarg, &bo.precision, &bo.fallback))
                return c8_cli_usage("build", "bad --precision '%s'", optarg);
            break;
        case OPT_CALIB: bo.calib_cache = optarg; break;
        case OPT_LAYER_PRECISION: bo.layer_precision = optarg; break;
        case OPT_STRICT: bo.strict = true; break;
        case OPT_NO_PASSES: bo.passes = false; break;
        case OPT_SHAPE:
            if (n_shapes == C8_CLI_MAX_SHAPES) return c8_cli_usage("build", "too many --shape");
            if (!c8_cli_parse_shape(optarg, &shapes[n_shapes++]))
                return c8_cli_usage("build", "bad --shape '%s'", optarg);
            break;
        case OPT_DEVICE:
            if (!strcmp(optarg, "cpu")) bo.device = C8_DEVICE_CPU;
            else if (!strcmp(optarg, "cuda")) bo.device = C8_DEVICE_CUDA;
            else return c8_cli_usage("build", "--device must be cpu or cuda");
            break;
        case OPT_VERBOSE: bo.verbose = true; break;
        case OPT_TF32: bo.tf32 = true; break;
        case OPT_ALLOW_MISMATCH: bo.allow_cache_mismatch = true; break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("build", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("build", "unexpected argument '%s'", argv[optind]);
    if (!model_path) return c8_cli_usage("build", "--model is required");
    if (!plan) return c8_cli_usage("build", "--plan is required");
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_status s = c8_model_load(model_path, NULL, &m, &err);
    if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
    if (s == C8_OK) s = c8_engine_build(m, &bo, &e, &err);
    if (s == C8_OK) s = c8_engine_save(e, plan, &err);
    if (s == C8_OK) printf("wrote %s\n", plan);
    c8_engine_destroy(e);
    c8_model_destroy(m);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
