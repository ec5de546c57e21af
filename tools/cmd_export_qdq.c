/* calib8 export-qdq: the model with QuantizeLinear/DequantizeLinear pairs (explicit
 * quantization) carrying calib8's scales, for TensorRT 10/11 and ONNX Runtime. */
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/cli_io.h"
#include "tools/cli_layers.h"
#include "tools/commands.h"

#include <getopt.h>
#include <stdio.h>

enum { OPT_MODEL = 0x2000, OPT_CALIB, OPT_OUT, OPT_LAYER_PRECISION, OPT_ALLOW_MISMATCH, OPT_HELP };

static void usage(FILE *f) {
    fprintf(f,
            "usage: calib8 export-qdq --model M.onnx --calib C.cache --out M.qdq.onnx\n"
            "                         [--layer-precision SPEC] [--allow-cache-mismatch]\n\n"
            "Inserts QuantizeLinear/DequantizeLinear pairs wherever calib8's INT8 engine runs a\n"
            "layer in INT8: per-tensor activation scales from the cache, per-output-channel int8\n"
            "weights. The result is the explicit-quantization form TensorRT 10/11 and ONNX\n"
            "Runtime build from. Needs opset 13 or later.\n");
}

int c8_cmd_export_qdq(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"calib", required_argument, NULL, OPT_CALIB},
        {"out", required_argument, NULL, OPT_OUT},
        {"layer-precision", required_argument, NULL, OPT_LAYER_PRECISION},
        {"allow-cache-mismatch", no_argument, NULL, OPT_ALLOW_MISMATCH},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    c8_build_options bo;
    c8_build_options_init(&bo);
    c8_cli_calib cal = {0};
    const char *model = NULL, *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_CALIB: cal.path = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_LAYER_PRECISION: bo.layer_precision = optarg; break;
        case OPT_ALLOW_MISMATCH: cal.allow_mismatch = true; break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("export-qdq", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("export-qdq", "unexpected argument '%s'", argv[optind]);
    if (!model || !cal.path || !out)
        return c8_cli_usage("export-qdq", "--model, --calib and --out are required");
    c8_cli_io io;
    c8_cli_io_init(&io, "export-qdq");
    c8_cli_io_in(&io, "--model", model);
    c8_cli_io_in(&io, "--calib", cal.path);
    c8_cli_io_in_sidecar(&io, "--calib", cal.path);
    c8_cli_io_out(&io, "--out", out);
    int rc = c8_cli_io_check(&io);
    c8_cli_io_free(&io);
    if (rc) return rc;
    c8_error err = {0};
    int64_t na = 0, nw = 0;
    c8_model *m = NULL;
    /* the cache is checked against the model as a build checks it (warnings: none, as before);
     * a --layer-precision pattern that matches no layer would have no effect */
    c8_status s = c8_model_load(model, NULL, &m, &err);
    if (s == C8_OK && bo.layer_precision) s = c8_cli_check_layer_spec(m, bo.layer_precision, &err);
    if (s == C8_OK) s = c8_cli_calib_load(&cal, m, &bo, NULL, &err);
    if (s == C8_OK) s = c8_export_qdq(model, &bo, out, &na, &nw, &err);
    /* a cache with no sidecar that does not fit the model: say so (the export took its scales) */
    if (s == C8_OK) c8_calib_cache_warn_unfit(cal.path, m, NULL, stderr);
    c8_model_destroy(m);
    c8_cli_calib_free(&cal);
    if (s != C8_OK) return c8_cli_fail(&err);
    printf("wrote %s: %lld activation Q/DQ pairs, %lld int8 weights\n", out, (long long)na,
           (long long)nw);
    return C8_EXIT_OK;
}
