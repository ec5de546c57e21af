/* The calibration loop, written once: batches from a loader through the FP32 engine (the model
 * as the ONNX file names it: no graph passes), one histogram per calibration tensor filled by
 * an observer, then the threshold search and the cache + sidecar (+ histogram file). */
#define _POSIX_C_SOURCE 200809L
#include "calib/calibrate.h"

#include "calib8/config.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void c8_calibrate_opts_init(c8_calibrate_opts *o) {
    memset(o, 0, sizeof *o);
    o->algo = C8_CALIB_DEFAULT_ALGO;
    o->input_algo = "minmax";
    c8_calib_params_default(&o->params);
    o->nbins = 2048;
    o->device = C8_DEVICE_CPU;
    o->progress = C8_PROGRESS_AUTO;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    const char *const *names; /* sorted */
    int *order;               /* order[k]: index into hists of names[k] */
    c8_hist **hists;          /* in model order */
    int n;
    int64_t batch; /* current batch index, for error messages */
    double t_hist;
    c8_context *ctx; /* histograms are built where the engine keeps the tensors */
} collector;

static int cmp_name(const void *key, const void *elem) {
    return strcmp((const char *)key, *(const char *const *)elem);
}

static c8_status observe(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    collector *c = user;
    if (t->dtype != C8_DT_FLOAT) return C8_OK;
    const char *const *hit = bsearch(name, c->names, (size_t)c->n, sizeof(char *), cmp_name);
    if (!hit) return C8_OK;
    double t0 = now_s();
    c8_status s = c8_context_hist_add(c->ctx, t, c->hists[c->order[hit - c->names]], c->batch, err);
    c->t_hist += now_s() - t0;
    return s;
}

/* qsort over (name, index) pairs. */
typedef struct {
    const char *name;
    int idx;
} named;

static int cmp_named(const void *a, const void *b) {
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

c8_status c8_calibrate(const c8_model *model, const c8_dataset *ds, c8_loader *loader,
                       int64_t batch_size, const c8_calibrate_opts *o, const char *cache_path,
                       c8_calibrate_result *res, c8_error *err) {
    memset(res, 0, sizeof *res);
    double t_start = now_s();
    const c8_calib_algo *algo = c8_calib_algo_find(o->algo);
    if (!algo) return c8_err(err, C8_ERR_USAGE, "unknown calibration algorithm '%s'", o->algo);
    const c8_calib_algo *in_algo = o->input_algo ? c8_calib_algo_find(o->input_algo) : algo;
    if (!in_algo)
        return c8_err(err, C8_ERR_USAGE, "unknown calibration algorithm '%s' for the inputs",
                      o->input_algo);
    const char *const *mnames;
    int n = c8_model_calibration_tensors(model, &mnames);
    collector col = {0};
    c8_engine *eng = NULL;
    c8_context *ctx = NULL;
    c8_progress *prog = NULL;
    c8_calib_tensor_stat *stats = NULL;
    named *sorted = NULL;
    const char **snames = NULL;
    c8_status s = C8_OK;
    col.n = n;
    col.hists = calloc((size_t)(n ? n : 1), sizeof *col.hists);
    col.order = malloc((size_t)(n ? n : 1) * sizeof(int));
    sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    snames = malloc((size_t)(n ? n : 1) * sizeof *snames);
    stats = calloc((size_t)(n ? n : 1), sizeof *stats);
    if (!col.hists || !col.order || !sorted || !snames || !stats) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n && s == C8_OK; i++) {
        s = c8_hist_create(o->nbins, &col.hists[i], err);
        sorted[i] = (named){mnames[i], i};
    }
    if (s != C8_OK) goto done;
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_named);
    for (int i = 0; i < n; i++) {
        snames[i] = sorted[i].name;
        col.order[i] = sorted[i].idx;
    }
    col.names = snames;

    /* FP32 reference engine over the ONNX graph as named in the file */
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.device = o->device;
    bo.passes = false;
    s = c8_engine_build(model, &bo, &eng, err);
    if (s == C8_OK) s = c8_context_create(eng, &ctx, err);
    if (s == C8_OK) c8_context_set_max_memory(ctx, o->max_memory);
    col.ctx = ctx;
    if (s == C8_OK) s = c8_context_set_device_observer(ctx, observe, &col, mnames, n, err);
    if (s == C8_OK)
        s = c8_progress_create("calibrate", "img", c8_dataset_count(ds), o->progress, NULL, &prog,
                               err);
    if (s != C8_OK) goto done;
    const char *in_name;
    c8_model_input(model, 0, &in_name, NULL, NULL);
    double t_run = 0;
    for (;;) {
        const c8_batch *b;
        if (o->interrupt && *o->interrupt) {
            s = c8_err(err, C8_ERR_INTERRUPTED,
                       "interrupted by %s after %lld of %lld images; nothing written",
                       o->interrupt_name ? o->interrupt_name : "a signal", (long long)res->images,
                       (long long)c8_dataset_count(ds));
            break;
        }
        s = c8_loader_next(loader, &b, err);
        if (s != C8_OK || !b) break;
        c8_host_tensor in = {in_name, C8_DT_FLOAT, {4, {b->n, b->c, b->h, b->w}}, (void *)b->data};
        double t0 = now_s();
        s = c8_context_run(ctx, &in, 1, err);
        t_run += now_s() - t0;
        if (s == C8_ERR_INTERRUPTED) /* stopped between layers: say it as the loop does */
            s = c8_err(err, C8_ERR_INTERRUPTED,
                       "interrupted by %s after %lld of %lld images; nothing written",
                       o->interrupt_name ? o->interrupt_name : "a signal", (long long)res->images,
                       (long long)c8_dataset_count(ds));
        if (s != C8_OK) break;
        col.batch++;
        res->images += b->n;
        c8_progress_update(prog, res->images);
    }
    if (s != C8_OK) goto done;
    c8_progress_finish(prog);
    if (res->images == 0) {
        s = c8_err(err, C8_ERR_INVALID, "no images were calibrated (empty selection?)");
        goto done;
    }
    res->t_hist = col.t_hist;
    res->t_infer = t_run - col.t_hist;
    res->t_load = c8_loader_wait_seconds(loader);

    double t0 = now_s();
    s = c8_calib_compute(algo, &o->params, mnames, (const c8_hist *const *)col.hists, n, stats,
                         err);
    /* network inputs: their own algorithm (see c8_calibrate_opts.input_algo) */
    for (int i = 0; s == C8_OK && in_algo != algo && i < n; i++)
        if (c8_model_find_input(model, mnames[i]) >= 0)
            s = c8_calib_compute(in_algo, &o->params, &mnames[i],
                                 (const c8_hist *const *)&col.hists[i], 1, &stats[i], err);
    res->t_search = now_s() - t0;
    if (s != C8_OK) goto done;
    c8_calib_info info;
    c8_calib_info_init(&info);
    info.algorithm = algo->name;
    info.input_algorithm = in_algo != algo ? in_algo->name : NULL;
    info.params = o->params;
    info.nbins = o->nbins;
    info.model_sha256 = c8_model_sha256(model);
    info.dataset_sha256 = c8_dataset_manifest_sha256(ds);
    info.dataset_images = c8_dataset_count(ds);
    info.preprocessing = o->preprocessing_json;
    info.batch_size = batch_size;
    info.images = res->images;
    if (o->interrupt && *o->interrupt) {
        s = c8_err(err, C8_ERR_INTERRUPTED,
                   "interrupted by %s after all %lld images, before writing; nothing written",
                   o->interrupt_name ? o->interrupt_name : "a signal", (long long)res->images);
        goto done;
    }
    s = c8_calib_save(cache_path, o->trt_version, NULL, &info, stats, n, err);
    if (s == C8_OK && o->histograms_path)
        s = c8_calib_histfile_save(o->histograms_path, &info, mnames,
                                   (const c8_hist *const *)col.hists, n, err);
    if (s != C8_OK) goto done;
    res->tensors = n;
    res->t_total = now_s() - t_start;
    if (o->log) {
        fprintf(o->log, "%-48s %12s %12s %10s  %s\n", "tensor", "absmax", "threshold", "thr/absmax",
                "algo");
        for (int i = 0; i < n; i++)
            fprintf(o->log, "%-48s %12.6g %12.6g %10.4f  %s\n", stats[i].name,
                    (double)stats[i].absmax, stats[i].threshold,
                    stats[i].absmax > 0 ? stats[i].threshold / stats[i].absmax : 0.0,
                    stats[i].algo ? stats[i].algo : "-");
        fprintf(o->log,
                "calibrated %d tensors on %lld images (batch %lld, algorithm %s%s%s, %lld bins)\n"
                "time: %.2f s total; inference %.2f s, histograms %.2f s, threshold search %.2f "
                "s, waiting for data %.2f s\n",
                n, (long long)res->images, (long long)batch_size, algo->name,
                in_algo != algo ? ", inputs " : "", in_algo != algo ? in_algo->name : "",
                (long long)o->nbins, res->t_total, res->t_infer, res->t_hist, res->t_search,
                res->t_load);
    }
done:
    c8_progress_destroy(prog);
    c8_context_destroy(ctx);
    c8_engine_destroy(eng);
    if (col.hists)
        for (int i = 0; i < n; i++) c8_hist_destroy(col.hists[i]);
    free(col.hists);
    free(col.order);
    free(sorted);
    free(snames);
    free(stats);
    return s;
}
