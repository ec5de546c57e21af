/* c8_report_evaluate (`calib8 eval`): top-1 / top-5 of an engine over a labeled data set, with
 * the ranks counted as c8_report_label_rank counts them, and its JSON record. Contract in
 * include/calib8/report.h; tests: tests/cli (eval), examples/calibrate_build_eval.c. */
#include "calib8/report.h"

#include "reports/run.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void c8_eval_options_init(c8_eval_options *o) {
    memset(o, 0, sizeof *o);
    o->progress = C8_PROGRESS_AUTO;
}

static c8_status interrupted(c8_error *err, int64_t done, int64_t total) {
    const char *what;
    c8_interrupt_pending(&what);
    return c8_err(err, C8_ERR_INTERRUPTED,
                  "interrupted by %s after %lld of %lld images; nothing written", what,
                  (long long)done, (long long)total);
}

/* Counts one batch's hits from the context's output 0, (n, classes) float32. */
static c8_status count_batch(c8_context *ctx, const c8_dataset *ds, const c8_batch *b,
                             c8_eval_result *res, c8_error *err) {
    char where[1024]; /* a bad image's file (and HDF5 row), for messages */
    c8_host_tensor out;
    C8_TRY(c8_context_output(ctx, 0, &out, err));
    int64_t k =
        out.shape.rank >= 1 && out.shape.d[0] == b->n ? c8_shape_numel(&out.shape) / b->n : -1;
    if (out.dtype != C8_DT_FLOAT || k < 1)
        return c8_err(err, C8_ERR_SHAPE, "output '%s' is not (N, classes) float32", out.name);
    for (int64_t i = 0; i < b->n; i++) {
        int64_t label = b->labels[i];
        if (label < 0 || label >= k)
            return c8_err(err, C8_ERR_INVALID, "%s: label %lld outside the model's %lld classes",
                          c8_dataset_where(ds, b->ids[i], where, sizeof where), (long long)label,
                          (long long)k);
        const float *scores = (const float *)out.data + i * k;
        int64_t bad = 0;
        for (int64_t j = 0; j < k; j++) bad += !isfinite(scores[j]);
        if (bad) {
            if (res->nonfinite_images == 0)
                snprintf(res->first_nonfinite, sizeof res->first_nonfinite, "%s (image %lld)",
                         c8_dataset_where(ds, b->ids[i], where, sizeof where),
                         (long long)(res->images + i));
            res->nonfinite_values += bad;
            res->nonfinite_images++;
        }
        int64_t r = c8_report_label_rank(scores, k, label);
        res->correct_top1 += r < 1;
        res->correct_top5 += r < 5;
    }
    return C8_OK;
}

c8_status c8_report_eval_check_output(const c8_engine *e, const char *what, c8_error *err) {
    const char *name;
    c8_dtype dt;
    c8_shape s;
    char buf[128];
    if (c8_engine_num_outputs(e) < 1)
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: the engine has no outputs", what);
    c8_engine_output(e, 0, &name, &dt, &s);
    c8_output_kind k = c8_report_output_kind(&s);
    if (k == C8_OUTPUT_CLASSES) return C8_OK;
    const char *is = k == C8_OUTPUT_MAP        ? "dense map"
                     : k == C8_OUTPUT_SEQUENCE ? "sequence (T x classes)"
                                               : "tensor";
    return c8_err(err, C8_ERR_UNSUPPORTED,
                  "%s: output '%s' is a %s %s, not class scores (N x K or N x K x 1 x 1): use "
                  "`calib8 compare` for drift against FP32",
                  what, name, c8_shape_str(&s, buf, sizeof buf), is);
}

c8_status c8_report_evaluate(c8_engine *e, const c8_dataset *ds, const c8_preprocess *pre,
                             const c8_loader_opts *lo, const c8_eval_options *o,
                             c8_eval_result *res, c8_error *err) {
    c8_eval_options od;
    if (!o) {
        c8_eval_options_init(&od);
        o = &od;
    }
    memset(res, 0, sizeof *res);
    const char *in_name;
    int64_t C, H, W, fixed;
    C8_TRY(r_image_input(e, "the engine", &in_name, &C, &H, &W, &fixed, err));
    C8_TRY(c8_report_eval_check_output(e, "the engine", err));
    if (!c8_dataset_has_labels(ds))
        return c8_err(err, C8_ERR_INVALID, "the data set has no labels; evaluation needs them");
    int64_t total = c8_dataset_count(ds);
    c8_loader *ld = NULL;
    c8_context *ctx = NULL;
    c8_progress *prog = NULL;
    c8_status s = r_loader_create(e, ds, pre, lo, C, H, W, &ld, err);
    if (s == C8_OK) s = c8_context_create(e, &ctx, err);
    if (s == C8_OK) c8_context_set_max_memory(ctx, o->max_memory);
    if (s == C8_OK && o->threads > 0) c8_context_set_threads(ctx, o->threads);
    if (s == C8_OK) s = c8_progress_create("eval", "img", total, o->progress, NULL, &prog, err);
    while (s == C8_OK) {
        const c8_batch *b;
        if (c8_interrupt_pending(NULL)) {
            s = interrupted(err, res->images, total);
            break;
        }
        s = c8_loader_next(ld, &b, err);
        if (s != C8_OK || !b) break;
        c8_host_tensor in = {in_name, C8_DT_FLOAT, {4, {b->n, b->c, b->h, b->w}}, (void *)b->data};
        s = c8_context_run(ctx, &in, 1, err);
        if (s == C8_ERR_INTERRUPTED) s = interrupted(err, res->images, total);
        if (s == C8_OK) s = count_batch(ctx, ds, b, res, err);
        if (s != C8_OK) break;
        res->images += b->n;
        c8_progress_update(prog, res->images);
    }
    if (s == C8_OK) {
        c8_progress_finish(prog);
        if (res->images == 0) s = c8_err(err, C8_ERR_INVALID, "no images were evaluated");
    }
    if (s == C8_OK && c8_interrupt_pending(NULL)) /* after the last batch, before any writing */
        s = interrupted(err, res->images, total);
    if (s == C8_OK) {
        res->top1 = 100.0 * (double)res->correct_top1 / (double)res->images;
        res->top5 = 100.0 * (double)res->correct_top5 / (double)res->images;
    }
    c8_progress_destroy(prog);
    c8_context_destroy(ctx);
    c8_loader_destroy(ld);
    return s;
}

c8_status c8_report_eval_write_json(const c8_eval_result *r, const char *source,
                                    const char *model_sha256, const char *dataset_sha256,
                                    const char *path, c8_error *err) {
    c8_atomic_file *f;
    C8_TRY(c8_atomic_open(path, &f, err));
    c8_jw w;
    c8_jw_init(&w, c8_atomic_file_fp(f));
    c8_jw_obj_begin(&w);
    c8_jw_key(&w, "top1");
    c8_jw_num(&w, r->top1);
    c8_jw_key(&w, "top5");
    c8_jw_num(&w, r->top5);
    c8_jw_key(&w, "images");
    c8_jw_int(&w, r->images);
    c8_jw_key(&w, "correct_top1");
    c8_jw_int(&w, r->correct_top1);
    c8_jw_key(&w, "correct_top5");
    c8_jw_int(&w, r->correct_top5);
    c8_jw_key(&w, "nonfinite_outputs");
    c8_jw_int(&w, r->nonfinite_values);
    c8_jw_key(&w, "nonfinite_images");
    c8_jw_int(&w, r->nonfinite_images);
    c8_jw_key(&w, "source");
    c8_jw_str(&w, source);
    c8_jw_key(&w, "model_sha256");
    c8_jw_str(&w, model_sha256);
    c8_jw_key(&w, "dataset_manifest_sha256");
    c8_jw_str(&w, dataset_sha256);
    c8_jw_obj_end(&w);
    return c8_atomic_commit(f, err);
}
