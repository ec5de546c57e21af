/* calib8 compare: FP32 vs FP16 vs INT8 over a labeled set, end to end and layer by layer, with
 * histograms and a sensitivity ranking; writes report.json, report.md and report.html into a
 * folder (reports/, docs/report.md). */
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/report.h"
#include "tools/cli.h"
#include "tools/cli_drift.h"
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
    OPT_CALIB,
    OPT_PRECISIONS,
    OPT_FALLBACK,
    OPT_LAYER_PRECISION,
    OPT_LAYER_IMAGES,
    OPT_NO_SENSITIVITY,
    OPT_HISTOGRAMS,
    OPT_BINS,
    OPT_DEVICE,
    OPT_NO_PASSES,
    OPT_SHAPE,
    OPT_DUMP,
    OPT_REPORT,
    OPT_ALLOW_MISMATCH,
    OPT_ALLOW_NONFINITE,
    OPT_MAP_THRESHOLD,
    OPT_CTC_BLANK,
    OPT_OUTPUT_KIND,
    OPT_THREADS,
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: calib8 compare --model M.onnx --calib C.cache --data VAL [dataset flags]\n"
            "                      [--precisions fp32,fp16,int8] [--layer-images N]\n"
            "                      [--histograms H.h5] [--device cpu|cpu-ref|cuda]\n"
            "                      [--dump FILE.h5]\n"
            "                      [--map-threshold T] [--ctc-blank N] --report DIR\n\n"
            "What INT8 (and FP16) cost, and where, for any model: runs every precision over\n"
            "the images and compares every output with FP32's (SQNR, cosine, max abs diff, and\n"
            "by the output's kind: top-1 agreement of class scores, IoU and pixel agreement of\n"
            "dense maps thresholded at T, per-position and CTC-decoded string agreement of\n"
            "sequences); on a labeled set also top-1, top-5 with 95%% Wilson intervals,\n"
            "flipped predictions and logit differences of output 0. Then compares every\n"
            "tensor of the FP32 and INT8 engines on the first N images (SQNR, cosine,\n"
            "relative L2, max abs error, clipped share), ranks the INT8\n"
            "layers by how much keeping each one in FP32 helps, and writes DIR/report.json,\n"
            "DIR/report.md and DIR/report.html. docs/report.md describes every number.\n\n"
            "  --model FILE            ONNX model (a single N x C x H x W image input)\n"
            "  --calib FILE            calibration cache for the INT8 engine (its sidecar\n"
            "                          FILE.json, when present, is the report's provenance)\n"
            "  --precisions LIST       of fp32, fp16, int8 (default fp32,fp16,int8; fp32 is\n"
            "                          always run: it is the reference)\n"
            "  --fallback fp32|fp16    INT8 engine: precision where INT8 is not possible\n"
            "  --layer-precision SPEC  INT8 engine: per-layer overrides ('conv1:fp32,fc*:fp16')\n"
            "  --layer-images N        images for the per-layer comparison and the sensitivity\n"
            "                          analysis (default %d; 0: end to end only)\n"
            "  --no-sensitivity        skip the sensitivity analysis (one engine per INT8 layer)\n"
            "  --histograms FILE       histograms from calibrate --save-histograms (default:\n"
            "                          collected on the layer images)\n"
            "  --bins N                bins when collecting histograms (default 2048)\n"
            "  --device D              where the engines run: cpu (default; oneDNN where built\n"
            "                          with it), cpu-ref (the reference kernels) or cuda\n"
            "  --no-passes             end-to-end engines without the graph optimizer\n"
            "  --shape NAME:DIMS       input extents, each N, MIN..MAX or MIN..OPT..MAX (a range\n"
            "                          is an optimization profile)\n"
            "  --dump FILE.h5          write the compared tensors (FP32 and dequantized INT8)\n"
            "  --report DIR            output folder (created if missing)\n"
            "  --allow-cache-mismatch  use a cache whose sidecar names another model\n"
            "  --allow-nonfinite       write the report although some logits are NaN or Inf\n"
            "                          (default: fail, naming the first image)\n"
            "  --map-threshold T       dense-map outputs: a pixel is on when its value > T\n"
            "                          (default %g, DB's text threshold)\n"
            "  --ctc-blank N           sequence outputs: the CTC blank class; adds the agreement\n"
            "                          of the greedy-decoded strings (repeats collapsed, blanks\n"
            "                          dropped)\n"
            "  --output-kind KIND      read every output as classes, map, sequence or generic\n"
            "                          (default auto, from the shape: N x K or N x K x 1 x 1\n"
            "                          class scores; N x 1 x H x W map; N x T x C sequence;\n"
            "                          else generic; an N x H x W map needs --output-kind map)\n",
            C8_REPORT_DEFAULT_LAYER_IMAGES, C8_REPORT_DEFAULT_MAP_THRESHOLD);
    fputs(C8_CLI_THREADS_HELP, f);
    c8_dataset_opts_help(f);
}

/* "fp32,fp16,int8" in any order and subset. */
static bool parse_precisions(const char *s, c8_compare_options *o) {
    o->fp16 = o->int8 = false;
    char *copy = strdup(s), *save = NULL;
    if (!copy) return false;
    bool ok = true;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "fp32"))
            continue;
        else if (!strcmp(t, "fp16"))
            o->fp16 = true;
        else if (!strcmp(t, "int8"))
            o->int8 = true;
        else
            ok = false;
    }
    free(copy);
    return ok;
}

int c8_cmd_compare(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"calib", required_argument, NULL, OPT_CALIB},
        {"precisions", required_argument, NULL, OPT_PRECISIONS},
        {"fallback", required_argument, NULL, OPT_FALLBACK},
        {"layer-precision", required_argument, NULL, OPT_LAYER_PRECISION},
        {"layer-images", required_argument, NULL, OPT_LAYER_IMAGES},
        {"no-sensitivity", no_argument, NULL, OPT_NO_SENSITIVITY},
        {"histograms", required_argument, NULL, OPT_HISTOGRAMS},
        {"bins", required_argument, NULL, OPT_BINS},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"no-passes", no_argument, NULL, OPT_NO_PASSES},

        {"dump", required_argument, NULL, OPT_DUMP},
        {"report", required_argument, NULL, OPT_REPORT},
        {"allow-cache-mismatch", no_argument, NULL, OPT_ALLOW_MISMATCH},
        {"allow-nonfinite", no_argument, NULL, OPT_ALLOW_NONFINITE},
        {"map-threshold", required_argument, NULL, OPT_MAP_THRESHOLD},
        {"ctc-blank", required_argument, NULL, OPT_CTC_BLANK},
        {"output-kind", required_argument, NULL, OPT_OUTPUT_KIND},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, OPT_HELP},
        C8_CLI_SHAPE_OPTIONS C8_DATASET_LONG_OPTIONS{NULL, 0, NULL, 0}};
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    c8_compare_options co;
    c8_compare_options_init(&co);
    co.log = stdout;
    const char *model_path = NULL, *report_dir = NULL, *prec_arg = "fp32,fp16,int8";
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0, c;
    bool allow_nonfinite = false, fallback_given = false, bins_given = false;
    bool map_threshold_given = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("compare", c, optarg, shapes, &n_shapes, &shape_rc)) {
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
        case OPT_CALIB: co.calib_cache = optarg; break;
        case OPT_PRECISIONS:
            prec_arg = optarg;
            if (!parse_precisions(optarg, &co))
                return c8_cli_usage("compare",
                                    "bad --precisions '%s' (a list of fp32, fp16, "
                                    "int8)",
                                    optarg);
            break;
        case OPT_FALLBACK:
            fallback_given = true;
            if (!strcmp(optarg, "fp32"))
                co.fallback = C8_PREC_FP32;
            else if (!strcmp(optarg, "fp16"))
                co.fallback = C8_PREC_FP16;
            else
                return c8_cli_usage("compare", "--fallback must be fp32 or fp16");
            break;
        case OPT_LAYER_PRECISION: co.layer_precision = optarg; break;
        case OPT_LAYER_IMAGES:
            if (!c8_cli_parse_i64(optarg, &co.layer_images) || co.layer_images < 0)
                return c8_cli_usage("compare", "bad --layer-images '%s'", optarg);
            break;
        case OPT_NO_SENSITIVITY: co.sensitivity = false; break;
        case OPT_HISTOGRAMS: co.histograms_path = optarg; break;
        case OPT_BINS:
            if (!c8_cli_parse_i64(optarg, &co.hist_bins) || co.hist_bins < 1)
                return c8_cli_usage("compare", "bad --bins '%s'", optarg);
            bins_given = true;
            break;
        case OPT_DEVICE:
            if (!c8_device_parse(optarg, &co.device))
                return c8_cli_usage("compare", "--device must be cpu, cpu-ref or cuda");
            break;
        case OPT_NO_PASSES: co.passes = false; break;
        case OPT_THREADS:
            if (!c8_cli_parse_threads(optarg, &co.threads))
                return c8_cli_usage("compare", "bad --threads '%s' (1 to 4096)", optarg);
            break;
        case OPT_DUMP: co.dump_path = optarg; break;
        case OPT_REPORT: report_dir = optarg; break;
        case OPT_ALLOW_MISMATCH: co.allow_cache_mismatch = true; break;
        case OPT_ALLOW_NONFINITE: allow_nonfinite = true; break;
        case OPT_MAP_THRESHOLD:
            if (!c8_cli_parse_f64(optarg, &co.drift.map_threshold))
                return c8_cli_usage("compare", "bad --map-threshold '%s' (a number)", optarg);
            map_threshold_given = true;
            break;
        case OPT_CTC_BLANK:
            if (!c8_cli_parse_i64(optarg, &co.drift.ctc_blank) || co.drift.ctc_blank < 0)
                return c8_cli_usage("compare", "bad --ctc-blank '%s' (a class index >= 0)", optarg);
            break;
        case OPT_OUTPUT_KIND:
            if (!c8_report_output_kind_parse(optarg, &co.drift.kind))
                return c8_cli_usage("compare",
                                    "bad --output-kind '%s' (auto, classes, map, sequence or "
                                    "generic)",
                                    optarg);
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("compare", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("compare", "unexpected argument '%s'", argv[optind]);
    if (!model_path) return c8_cli_usage("compare", "--model is required");
    if (!dso.data_given) return c8_cli_usage("compare", "--data is required");
    if (!report_dir) return c8_cli_usage("compare", "--report is required");
    if (co.int8 && !co.calib_cache)
        return c8_cli_usage("compare", "--calib is required to compare int8");
    if (co.dump_path && (!co.int8 || co.layer_images == 0))
        return c8_cli_usage("compare", "--dump needs int8 and --layer-images > 0");
    /* options without an effect here are errors (docs/cli.md) */
    if (!co.int8) {
        const char *idle = co.calib_cache       ? "--calib"
                           : fallback_given     ? "--fallback"
                           : co.layer_precision ? "--layer-precision"
                           : co.histograms_path ? "--histograms"
                                                : NULL;
        if (idle)
            return c8_cli_usage("compare",
                                "%s has no effect: --precisions %s does not compare int8", idle,
                                prec_arg);
    }
    if (bins_given && co.histograms_path)
        return c8_cli_usage("compare", "--bins has no effect with --histograms (the file's "
                                       "histograms are used as they are)");
    {
        c8_cli_io io;
        c8_cli_io_init(&io, "compare");
        c8_cli_io_in(&io, "--model", model_path);
        c8_cli_io_in(&io, "--calib", co.calib_cache);
        c8_cli_io_in_sidecar(&io, "--calib", co.calib_cache);
        c8_cli_io_in(&io, "--histograms", co.histograms_path);
        c8_cli_io_in(&io, "--data", dso.spec.path);
        c8_cli_io_in(&io, "--labels", dso.spec.labels_path);
        c8_cli_io_in(&io, "--classes", dso.spec.classes_path);
        c8_cli_io_in(&io, "--preprocess-config", dso.config);
        c8_cli_io_out_dir(&io, "--report", report_dir);
        c8_cli_io_out_in_dir(&io, "--report", report_dir, "report.json");
        c8_cli_io_out_in_dir(&io, "--report", report_dir, "report.md");
        c8_cli_io_out_in_dir(&io, "--report", report_dir, "report.html");
        c8_cli_io_out(&io, "--dump", co.dump_path);
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
    }
    c8_error err = {0};
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_report *rep = NULL;
    char pre[512];
    c8_status s = c8_dataset_opts_finish(&dso, &err);
    char *recorded = NULL, *sidecar = NULL;
    if (s == C8_OK && co.calib_cache) {
        sidecar = c8_calib_sidecar_path(co.calib_cache);
        s = sidecar ? c8_calib_cache_preprocessing(co.calib_cache, &recorded, &err)
                    : c8_err(&err, C8_ERR_NOMEM, "out of memory");
    }
    /* the preprocessing of the calibration, unless flags say otherwise */
    if (s == C8_OK) c8_dataset_opts_adopt(&dso, recorded, sidecar);
    if (s == C8_OK) s = c8_model_load(model_path, NULL, &m, &err);
    if (s == C8_OK) s = c8_cli_apply_shapes(m, shapes, n_shapes, &err);
    if (s == C8_OK) s = c8_cli_check_layer_spec(m, co.layer_precision, &err);
    if (s == C8_OK) s = c8_cli_check_drift_flags(m, &co.drift, map_threshold_given, &err);
    if (s == C8_OK) s = c8_dataset_open(&dso.spec, &ds, &err);
    if (s == C8_OK) c8_dataset_opts_warn_images(&dso, ds);
    if (s == C8_OK)
        s = c8_cli_check_batch(m, NULL, model_path, &dso.loader.batch, dso.batch_given,
                               c8_dataset_count(ds), &err);
    if (s == C8_OK) s = c8_report_create(&rep, &err);
    if (s == C8_OK) {
        const char *data = dso.spec.path ? dso.spec.path : dso.spec.labels_path;
        c8_preprocess_describe(&dso.pre, pre, sizeof pre);
        s = c8_report_set_compare_settings(rep, m, ds, &dso.pre, &dso.loader, &co, data, prec_arg,
                                           &err);
    }
    /* Ctrl-C: every run stops between layers; the report is not written. */
    c8_cli_catch_sigint();
    if (s == C8_OK) {
        co.progress = c8_dataset_opts_progress(&dso);
        if (!dso.quiet) /* --quiet: the results (drift lines, "wrote ...") only */
            printf("comparing %s on %lld images of %s (%s)\n", model_path,
                   (long long)c8_dataset_count(ds),
                   dso.spec.path ? dso.spec.path : dso.spec.labels_path, pre);
        s = c8_report_compare(rep, m, ds, &dso.pre, &dso.loader, &co, &err);
    }
    if (s == C8_OK) {
        c8_cli_nonfinite nf;
        c8_cli_nonfinite_init(&nf);
        const char *first;
        c8_report_e2e_nonfinite(rep, &nf.values, &nf.images, &first);
        snprintf(nf.first, sizeof nf.first, "%s", first ? first : "?");
        s = c8_cli_nonfinite_finish(&nf, model_path, allow_nonfinite, &err);
    }
    if (s == C8_OK && c8_interrupt_pending(NULL))
        s = c8_err(&err, C8_ERR_INTERRUPTED, "interrupted by SIGINT; %s not written", report_dir);
    if (s == C8_OK) s = c8_report_write(rep, report_dir, &err);
    if (s == C8_OK)
        printf("wrote %s/report.json, report.md and report.html%s%s\n", report_dir,
               co.dump_path ? "; tensors in " : "", co.dump_path ? co.dump_path : "");
    c8_report_destroy(rep);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
    free(recorded);
    free(sidecar);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
