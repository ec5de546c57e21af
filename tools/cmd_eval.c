/* calib8 eval: top-1 / top-5 of a plan or model over a labeled image set. */
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/dataset_opts.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"

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
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(f, "usage: calib8 eval --plan P | --model M.onnx [--precision fp32] [--calib C]\n"
               "                   --data DIR|FILE.h5 [dataset flags] [--json FILE]\n\n"
               "Runs the engine over a labeled image set and prints top-1 and top-5 accuracy.\n\n"
               "  --plan FILE        a plan from calib8 build (no ONNX file needed)\n"
               "  --model FILE       or an ONNX model, built here with --precision/--calib\n"
               "  --precision P      fp32 (default), fp16, int8, fp16,int8\n"
               "  --calib FILE       calibration cache for int8\n"
               "  --no-passes        skip the graph optimizer (with --model)\n"
               "  --shape NAME:DIMS  pin dynamic input extents (with --model)\n"
               "  --json FILE        also write {\"top1\", \"top5\", \"images\", ...} to FILE\n");
    fputs(C8_CLI_MAX_MEMORY_HELP, f);
    fputs("Ctrl-C (SIGINT) stops after the current batch: nothing is written, exit code 130.\n", f);
    c8_dataset_opts_help(f);
}

/* Rank of the label among the logits: how many classes score higher (ties: lower index wins). */
static int64_t label_rank(const float *logits, int64_t k, int64_t label) {
    int64_t r = 0;
    float v = logits[label];
    for (int64_t j = 0; j < k; j++)
        if (logits[j] > v || (logits[j] == v && j < label)) r++;
    return r;
}

int c8_cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, NULL, OPT_MODEL},
                                         {"plan", required_argument, NULL, OPT_PLAN},
                                         {"precision", required_argument, NULL, OPT_PRECISION},
                                         {"calib", required_argument, NULL, OPT_CALIB},
                                         {"no-passes", no_argument, NULL, OPT_NO_PASSES},
                                         {"shape", required_argument, NULL, OPT_SHAPE},
                                         {"json", required_argument, NULL, OPT_JSON},
                                         {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
                                         {"help", no_argument, NULL, OPT_HELP},
                                         C8_DATASET_LONG_OPTIONS{NULL, 0, NULL, 0}};
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    c8_build_options bo;
    c8_build_options_init(&bo);
    c8_cli_calib cal = {0};
    const char *model_path = NULL, *plan = NULL, *json = NULL;
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0, c;
    uint64_t max_memory = c8_cli_default_max_memory(), ctx_limit = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
            break;
        case OPT_CALIB: cal.path = optarg; break;
        case OPT_NO_PASSES: bo.passes = false; break;
        case OPT_SHAPE:
            if (n_shapes == C8_CLI_MAX_SHAPES) return c8_cli_usage("eval", "too many --shape");
            if (!c8_cli_parse_shape(optarg, &shapes[n_shapes++]))
                return c8_cli_usage("eval", "bad --shape '%s'", optarg);
            break;
        case OPT_JSON: json = optarg; break;
        case OPT_MAX_MEMORY:
            if (!c8_cli_parse_max_memory(optarg, &max_memory))
                return c8_cli_usage("eval", "bad --max-memory '%s'", optarg);
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("eval", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("eval", "unexpected argument '%s'", argv[optind]);
    if (!!model_path == !!plan) return c8_cli_usage("eval", "give exactly one of --plan, --model");
    if (!dso.data_given) return c8_cli_usage("eval", "--data is required");
    c8_error err = {0};
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    c8_dataset *ds = NULL;
    c8_loader *ld = NULL;
    c8_progress *prog = NULL;
    const char *in_name;
    int64_t C, H, W, n = 0, top1 = 0, top5 = 0;
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
    }
    if (s == C8_OK)
        s = c8_cli_engine_image_input(e, plan ? plan : model_path, &in_name, &C, &H, &W, &err);
    if (s == C8_OK) s = c8_dataset_open(&dso.spec, &ds, &err);
    if (s == C8_OK && !c8_dataset_has_labels(ds))
        s = c8_err(&err, C8_ERR_INVALID, "%s: the data set has no labels; eval needs them",
                   dso.spec.path ? dso.spec.path : "--data");
    if (s == C8_OK)
        s = c8_cli_budget_loader(max_memory, dso.loader.batch, dso.loader.prefetch, C, H, W,
                                 &ctx_limit, &err);
    if (s == C8_OK) s = c8_loader_create(ds, &dso.pre, C, H, W, &dso.loader, &ld, &err);
    if (s == C8_OK) s = c8_context_create(e, &ctx, &err);
    if (s == C8_OK) c8_context_set_max_memory(ctx, ctx_limit);
    if (s == C8_OK)
        s = c8_progress_create("eval", "img", c8_dataset_count(ds), c8_dataset_opts_progress(&dso),
                               NULL, &prog, &err);
    while (s == C8_OK) {
        const c8_batch *b;
        if (c8_cli_sigint) {
            s = c8_cli_interrupted(&err, n, c8_dataset_count(ds));
            break;
        }
        s = c8_loader_next(ld, &b, &err);
        if (s != C8_OK || !b) break;
        c8_host_tensor in = {in_name, C8_DT_FLOAT, {4, {b->n, b->c, b->h, b->w}}, (void *)b->data};
        s = c8_context_run(ctx, &in, 1, &err);
        if (s == C8_ERR_INTERRUPTED) s = c8_cli_interrupted(&err, n, c8_dataset_count(ds));
        c8_host_tensor out;
        if (s == C8_OK) s = c8_context_output(ctx, 0, &out, &err);
        if (s != C8_OK) break;
        int64_t k =
            out.shape.rank >= 1 && out.shape.d[0] == b->n ? c8_shape_numel(&out.shape) / b->n : -1;
        if (out.dtype != C8_DT_FLOAT || k < 1) {
            s = c8_err(&err, C8_ERR_SHAPE, "output '%s' is not (N, classes) float32", out.name);
            break;
        }
        for (int64_t i = 0; i < b->n; i++) {
            int64_t label = b->labels[i];
            if (label < 0 || label >= k) {
                s = c8_err(&err, C8_ERR_INVALID, "%s: label %lld outside the model's %lld classes",
                           c8_dataset_name(ds, b->ids[i]), (long long)label, (long long)k);
                break;
            }
            int64_t r = label_rank((const float *)out.data + i * k, k, label);
            top1 += r < 1;
            top5 += r < 5;
        }
        n += b->n;
        c8_progress_update(prog, n);
    }
    if (s == C8_OK) {
        c8_progress_finish(prog);
        if (n == 0) s = c8_err(&err, C8_ERR_INVALID, "no images were evaluated");
    }
    if (s == C8_OK && c8_cli_sigint) /* after the last batch, before writing */
        s = c8_cli_interrupted(&err, n, c8_dataset_count(ds));
    if (s == C8_OK) {
        double t1 = 100.0 * (double)top1 / (double)n, t5 = 100.0 * (double)top5 / (double)n;
        printf("top-1 %.2f%% (%lld/%lld)  top-5 %.2f%% (%lld/%lld)\n", t1, (long long)top1,
               (long long)n, t5, (long long)top5, (long long)n);
        if (json) {
            c8_atomic_file *f;
            s = c8_atomic_open(json, &f, &err);
            if (s == C8_OK) {
                c8_jw w;
                c8_jw_init(&w, c8_atomic_file_fp(f));
                c8_jw_obj_begin(&w);
                c8_jw_key(&w, "top1");
                c8_jw_num(&w, t1);
                c8_jw_key(&w, "top5");
                c8_jw_num(&w, t5);
                c8_jw_key(&w, "images");
                c8_jw_int(&w, n);
                c8_jw_key(&w, "correct_top1");
                c8_jw_int(&w, top1);
                c8_jw_key(&w, "correct_top5");
                c8_jw_int(&w, top5);
                c8_jw_key(&w, "source");
                c8_jw_str(&w, plan ? plan : model_path);
                c8_jw_key(&w, "model_sha256");
                c8_jw_str(&w, c8_engine_model_sha256(e));
                c8_jw_key(&w, "dataset_manifest_sha256");
                c8_jw_str(&w, c8_dataset_manifest_sha256(ds));
                c8_jw_obj_end(&w);
                s = c8_atomic_commit(f, &err);
            }
        }
    }
    c8_progress_destroy(prog);
    c8_context_destroy(ctx);
    c8_loader_destroy(ld);
    c8_dataset_destroy(ds);
    c8_engine_destroy(e);
    c8_model_destroy(m);
    c8_cli_calib_free(&cal);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
