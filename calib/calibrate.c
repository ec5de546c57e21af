/* The calibration loop, written once (contract in include/calib8/calib.h): batches from a
 * source (the caller's callback, or a loader over a data set) through the FP32 engine (the model
 * as the ONNX file names it: no graph passes), one histogram per calibration tensor filled by
 * an observer, then the threshold search and the cache + sidecar (+ histogram file). */
#define _POSIX_C_SOURCE 200809L
#include "calib8/calib.h"
#include "calib/hist.h"

#include "calib8/config.h"
#include "util/err.h"

#include <stdio.h>
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
    c8_context *ctx;            /* histograms are built where the engine keeps the tensors */
    const c8_calib_source *src; /* its image_name names a bad image */
} collector;

static int cmp_name(const void *key, const void *elem) {
    return strcmp((const char *)key, *(const char *const *)elem);
}

/* A NaN/Inf in a tensor: the histogram names the batch and the element ("tensor 'x': batch 3:
 * NaN at element 9000 of 25088"); the element's image (the tensor's first axis is the batch)
 * is named by the source: "...; image 11 of the batch: fm/3-Dress/0042.png". */
static void name_bad_image(const collector *c, const c8_host_tensor *t, c8_error *err) {
    const char *at = strstr(err->msg, " at element ");
    size_t k, total;
    if (!at || !c->src || !c->src->image_name || t->shape.rank < 1 || t->shape.d[0] < 1 ||
        sscanf(at, " at element %zu of %zu", &k, &total) != 2)
        return;
    size_t n = (size_t)t->shape.d[0], per = total / n;
    if (!per || k / per >= n) return;
    int64_t i = (int64_t)(k / per);
    const char *name = c->src->image_name(c->src->user, i);
    if (!name) return;
    size_t used = strlen(err->msg);
    snprintf(err->msg + used, sizeof err->msg - used, "; image %lld of the batch: %s", (long long)i,
             name);
}

static c8_status observe(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    collector *c = user;
    if (t->dtype != C8_DT_FLOAT) return C8_OK;
    const char *const *hit = bsearch(name, c->names, (size_t)c->n, sizeof(char *), cmp_name);
    if (!hit) return C8_OK;
    double t0 = now_s();
    c8_status s =
        c8_hist_add_observed(c->ctx, t, c->hists[c->order[hit - c->names]], c->batch, err);
    if (s == C8_ERR_INVALID) name_bad_image(c, t, err);
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

static c8_status interrupted(c8_error *err, int64_t done, int64_t total) {
    const char *what;
    c8_interrupt_pending(&what);
    if (total > 0)
        return c8_err(err, C8_ERR_INTERRUPTED,
                      "interrupted by %s after %lld of %lld images; nothing written", what,
                      (long long)done, (long long)total);
    return c8_err(err, C8_ERR_INTERRUPTED, "interrupted by %s after %lld images; nothing written",
                  what, (long long)done);
}

c8_status c8_calibrate_source(const c8_model *model, const c8_calib_source *src,
                              const c8_calibrate_opts *o, const char *cache_path,
                              c8_calibrate_result *res, c8_error *err) {
    c8_calibrate_opts od;
    c8_calibrate_result rd;
    if (!o) {
        c8_calibrate_opts_init(&od);
        o = &od;
    }
    if (!res) res = &rd;
    memset(res, 0, sizeof *res);
    double t_start = now_s();
    const c8_calib_algo *algo = c8_calib_algo_find(o->algo);
    if (!algo) return c8_err(err, C8_ERR_USAGE, "unknown calibration algorithm '%s'", o->algo);
    const c8_calib_algo *in_algo = o->input_algo ? c8_calib_algo_find(o->input_algo) : algo;
    if (!in_algo)
        return c8_err(err, C8_ERR_USAGE, "unknown calibration algorithm '%s' for the inputs",
                      o->input_algo);
    if (!src || !src->next) return c8_err(err, C8_ERR_INVALID, "no calibration data source");
    const char *const *mnames;
    int n = c8_model_calibration_tensors(model, &mnames);
    int n_in = c8_model_num_inputs(model);
    collector col = {0};
    c8_engine *eng = NULL;
    c8_context *ctx = NULL;
    c8_progress *prog = NULL;
    c8_calib_tensor_stat *stats = NULL;
    named *sorted = NULL;
    const char **snames = NULL;
    c8_host_tensor *ins = NULL;
    c8_status s = C8_OK;
    col.n = n;
    col.hists = calloc((size_t)(n ? n : 1), sizeof *col.hists);
    col.order = malloc((size_t)(n ? n : 1) * sizeof(int));
    sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    snames = malloc((size_t)(n ? n : 1) * sizeof *snames);
    stats = calloc((size_t)(n ? n : 1), sizeof *stats);
    ins = calloc((size_t)(n_in ? n_in : 1), sizeof *ins);
    if (!col.hists || !col.order || !sorted || !snames || !stats || !ins) {
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
    bo.threads = o->threads;
    bo.passes = false;
    s = c8_engine_build(model, &bo, &eng, err);
    if (s == C8_OK) s = c8_context_create(eng, &ctx, err);
    if (s == C8_OK) c8_context_set_max_memory(ctx, o->max_memory);
    col.ctx = ctx;
    col.src = src;
    if (s == C8_OK) s = c8_context_set_device_observer(ctx, observe, &col, mnames, n, err);
    if (s == C8_OK)
        s = c8_progress_create("calibrate", "img", src->total, o->progress, NULL, &prog, err);
    if (s != C8_OK) goto done;
    double t_run = 0, t_next = 0;
    for (;;) {
        if (c8_interrupt_pending(NULL)) {
            s = interrupted(err, res->images, src->total);
            break;
        }
        bool end = false;
        for (int i = 0; i < n_in; i++) {
            memset(&ins[i], 0, sizeof ins[i]);
            c8_model_input(model, i, &ins[i].name, NULL, NULL);
        }
        double t0 = now_s();
        s = src->next(src->user, ins, n_in, &end, err);
        t_next += now_s() - t0;
        if (s != C8_OK || end) break;
        int64_t images = n_in > 0 && ins[0].shape.rank > 0 ? ins[0].shape.d[0] : 1;
        t0 = now_s();
        s = c8_context_run(ctx, ins, n_in, err);
        t_run += now_s() - t0;
        if (s == C8_ERR_INTERRUPTED) /* stopped between layers: say it as the loop does */
            s = interrupted(err, res->images, src->total);
        if (s != C8_OK) break;
        col.batch++;
        res->images += images;
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
    res->t_load = t_next;

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
    info.dataset_sha256 = src->dataset_sha256;
    info.dataset_images = src->dataset_images;
    info.preprocessing = o->preprocessing_json;
    info.batch_size = src->batch_size;
    info.images = res->images;
    const char *what;
    if (c8_interrupt_pending(&what)) {
        s = c8_err(err, C8_ERR_INTERRUPTED,
                   "interrupted by %s after all %lld images, before writing; nothing written", what,
                   (long long)res->images);
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
                n, (long long)res->images, (long long)src->batch_size, algo->name,
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
    free(ins);
    return s;
}

/* c8_calib_source over a loader: the model's single image input. */
typedef struct {
    c8_loader *loader;
    const c8_dataset *ds;
    const c8_batch *cur; /* the batch being run: its image ids name a bad image */
    int64_t delivered;   /* images handed out so far */
    char where[1024];    /* image_name's answer: the file (and HDF5 row) of a bad image */
} loader_source;

/* Nothing came out of the loader: say why (every image skipped by --skip-bad, with the first
 * reasons; or an empty selection). */
static c8_status no_images(c8_loader *loader, int64_t selected, c8_error *err) {
    int64_t sk = c8_loader_num_skipped(loader);
    if (sk == 0)
        return c8_err(err, C8_ERR_INVALID,
                      "no images were calibrated: the selection of %lld "
                      "images is empty",
                      (long long)selected);
    char why[C8_ERROR_MSG_MAX] = "";
    size_t used = 0;
    for (int64_t k = 0; k < sk && k < 3 && used + 8 < sizeof why; k++) {
        int64_t id;
        const char *m = c8_loader_skipped(loader, k, &id);
        used += (size_t)snprintf(why + used, sizeof why - used, "%s%s", k ? "; " : "", m);
    }
    if (used >= sizeof why) used = sizeof why - 1;
    return c8_err(err, C8_ERR_INVALID, "all %lld image%s were skipped: %s%s (--skip-bad)",
                  (long long)sk, sk == 1 ? "" : "s", why, sk > 3 ? "; ..." : "");
}

static c8_status loader_next(void *user, c8_host_tensor *inputs, int n_inputs, bool *done,
                             c8_error *err) {
    loader_source *ls = user;
    const c8_batch *b;
    ls->cur = NULL;
    C8_TRY(c8_loader_next(ls->loader, &b, err));
    if (!b) {
        if (ls->delivered == 0) return no_images(ls->loader, c8_dataset_count(ls->ds), err);
        *done = true;
        return C8_OK;
    }
    if (n_inputs < 1) return c8_err(err, C8_ERR_UNSUPPORTED, "the model has no input");
    ls->cur = b;
    ls->delivered += b->n;
    inputs[0].dtype = C8_DT_FLOAT;
    inputs[0].shape = (c8_shape){4, {b->n, b->c, b->h, b->w}};
    inputs[0].data = (void *)b->data;
    return C8_OK;
}

static const char *loader_image_name(void *user, int64_t i) {
    loader_source *ls = user;
    if (!ls->cur || i < 0 || i >= ls->cur->n) return NULL;
    /* the file, not only the manifest name: an HDF5 row "/images[17]" alone says nothing of
     * which file holds it */
    return c8_dataset_where(ls->ds, ls->cur->ids[i], ls->where, sizeof ls->where);
}

c8_status c8_calibrate(const c8_model *model, const c8_dataset *ds, c8_loader *loader,
                       int64_t batch_size, const c8_calibrate_opts *o, const char *cache_path,
                       c8_calibrate_result *res, c8_error *err) {
    loader_source ls = {loader, ds, NULL, 0, {0}};
    c8_calib_source src = {
        loader_next,          &ls,        c8_dataset_count(ds), c8_dataset_manifest_sha256(ds),
        c8_dataset_count(ds), batch_size, loader_image_name};
    c8_calibrate_result rd;
    if (!res) res = &rd;
    c8_status s = c8_calibrate_source(model, &src, o, cache_path, res, err);
    /* the loader decodes ahead on its own threads: its own count of the time waited for data */
    if (s == C8_OK) res->t_load = c8_loader_wait_seconds(loader);
    return s;
}
