/* c8_report_compare: the driver behind `calib8 compare`.
 *
 * 1. End to end: one engine per precision (FP32 always, as the reference; FP16; INT8 with the
 *    cache), built with the caller's options (graph passes included: what would be deployed),
 *    fed the same batches; every output of every precision against FP32's by the output's kind
 *    (c8_report_drift_add, drift.c: any model, no labels needed) and, when the data set has
 *    labels, per image the top-1 class of output 0 and whether the label is in the top 5, and
 *    the logit differences against FP32 (c8_report_e2e_add).
 * 2. Per layer, on the first layer_images images held in memory: FP32 and INT8 engines built
 *    WITHOUT graph passes, so every ONNX tensor exists in both under its own name (passes may
 *    remove intermediate tensors; without them coverage is complete, and INT8 per-layer
 *    precisions, scales and kernels are the same as with them). For every FP32 tensor the INT8
 *    engine's view of it is compared: the int8 tensor itself (dequantized), else the int8 copy an
 *    INT8 consumer reads ("T/quant"), else the float tensor. Observers copy the FP32 run's
 *    tensors of a batch, then score the INT8 run's tensors against them.
 * 3. Histograms per tensor with a cache scale (from --histograms or collected on the layer
 *    images during the FP32 run) and every algorithm's threshold on them.
 * 4. Sensitivity (sensitivity.c) on the same images.
 * docs/report.md explains the choices; tests/reports/ checks the results. */
#include "reports/dump.h"
#include "reports/report_internal.h"
#include "reports/run.h"

#include "calib8/calib.h"
#include "util/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void c8_compare_options_init(c8_compare_options *o) {
    memset(o, 0, sizeof *o);
    o->fp16 = true;
    o->int8 = true;
    o->fallback = C8_PREC_FP32;
    o->device = C8_DEVICE_CPU;
    o->passes = true;
    o->layer_images = C8_REPORT_DEFAULT_LAYER_IMAGES;
    o->sensitivity = true;
    o->hist_bins = C8_HIST_DEFAULT_BINS;
    c8_drift_options_init(&o->drift);
    o->progress = C8_PROGRESS_AUTO;
}

/* ---------------------------------------------------------------- end to end */

typedef struct {
    c8_report *r;
    const c8_dataset *ds;
    c8_context *ctx[R_MAX_PREC];
    c8_precision prec[R_MAX_PREC];
    int n;
    const char *in_name;
    bool labels;        /* the end-to-end section (top-1/top-5 against labels) of output 0 */
    bool labels_unused; /* the data set has labels, but output 0 is not class scores */
    const c8_drift_options *drift;
    bool begun;
    bool ranged; /* dynamic H and W: batches of different image sizes */
    int n_out;   /* the engines' outputs */
    int *use;    /* (n_out) the outputs compared: float32 with the batch leading */
    int n_use;
    const float **outs; /* (n * n_use) this batch's compared outputs, borrowed from the contexts */
    c8_shape *shapes;   /* (n_use) per-image shapes of FP32's outputs in this batch */
    const char **names;
    int64_t names_cap;
} e2e_run;

/* On the first batch: the outputs that can be compared (float32, the batch leading), from the
 * FP32 engine; the others (an int64 index output, a batch-less tensor) are left out and named
 * in the report's settings. */
static c8_status pick_outputs(e2e_run *x, int64_t n, c8_error *err) {
    char skipped[512] = "";
    size_t used = 0;
    x->n_use = 0;
    for (int k = 0; k < x->n_out; k++) {
        c8_host_tensor t;
        C8_TRY(c8_context_output(x->ctx[0], k, &t, err));
        if (t.dtype == C8_DT_FLOAT && t.shape.rank >= 1 && t.shape.d[0] == n) {
            x->use[x->n_use++] = k;
        } else if (used < sizeof skipped) {
            char shape[96];
            int w = snprintf(skipped + used, sizeof skipped - used, "%s'%s' (%s %s)",
                             used ? ", " : "", t.name, c8_dtype_name(t.dtype),
                             c8_shape_str(&t.shape, shape, sizeof shape));
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (!x->n_use)
        return c8_err(err, C8_ERR_SHAPE,
                      "no output is float32 with the batch (%lld) leading: nothing to compare "
                      "(%s)",
                      (long long)n, skipped);
    if (used) C8_TRY(c8_report_set(x->r, "outputs not compared", skipped, err));
    return C8_OK;
}

/* The compared outputs of every precision's last run into x->outs, checked against FP32's
 * shapes; per-image shapes of FP32's outputs into shapes (n_use). */
static c8_status collect_outputs(e2e_run *x, int64_t n, c8_shape *shapes, c8_error *err) {
    for (int j = 0; j < x->n; j++)
        for (int u = 0; u < x->n_use; u++) {
            c8_host_tensor t;
            C8_TRY(c8_context_output(x->ctx[j], x->use[u], &t, err));
            if (t.dtype != C8_DT_FLOAT || t.shape.rank < 1 || t.shape.d[0] != n)
                return c8_err(err, C8_ERR_SHAPE,
                              "the %s engine's output '%s' is not float32 with the batch (%lld) "
                              "leading",
                              c8_precision_name(x->prec[j]), t.name, (long long)n);
            c8_shape per = {t.shape.rank - 1, {0}};
            for (int i = 1; i < t.shape.rank; i++) per.d[i - 1] = t.shape.d[i];
            if (j == 0) {
                shapes[u] = per;
            } else if (c8_shape_numel(&per) != c8_shape_numel(&shapes[u])) {
                char a[96], b[96];
                return c8_err(err, C8_ERR_SHAPE,
                              "output '%s': the %s engine gives %s per image, FP32 %s", t.name,
                              c8_precision_name(x->prec[j]), c8_shape_str(&per, a, sizeof a),
                              c8_shape_str(&shapes[u], b, sizeof b));
            }
            x->outs[j * x->n_use + u] = t.data;
        }
    return C8_OK;
}

static c8_status e2e_begin(e2e_run *x, const c8_shape *shapes, c8_error *err) {
    const char **onames = malloc((size_t)x->n_use * sizeof *onames);
    if (!onames) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int u = 0; u < x->n_use; u++) {
        c8_host_tensor t;
        c8_context_output(x->ctx[0], x->use[u], &t, NULL);
        onames[u] = t.name;
    }
    c8_status st =
        c8_report_drift_begin(x->r, x->prec, x->n, x->n_use, onames, shapes, x->drift, err);
    free(onames);
    /* top-1/top-5 against labels only where output 0 holds class scores (by its shape, or
     * read as such): a detector's labels (an image folder's class folders) say nothing about
     * the pixels of its map */
    c8_shape full = {shapes[0].rank + 1, {-1}};
    for (int i = 0; i < shapes[0].rank && i + 1 < C8_MAX_RANK; i++) full.d[i + 1] = shapes[0].d[i];
    bool classes =
        x->use[0] == 0 && (c8_report_output_kind(&full) == C8_OUTPUT_CLASSES ||
                           (st == C8_OK && x->r->drift.out[0].kind == C8_OUTPUT_CLASSES));
    x->labels_unused = x->labels && !classes;
    if (x->labels_unused) x->labels = false;
    if (st == C8_OK && x->labels)
        st = c8_report_e2e_begin(x->r, x->prec, x->n, c8_shape_numel(&shapes[0]), err);
    return st;
}

static c8_status e2e_batch(void *user, const c8_batch *b, c8_error *err) {
    e2e_run *x = user;
    c8_shape *shapes = x->shapes;
    c8_host_tensor in = {x->in_name, C8_DT_FLOAT, {4, {b->n, b->c, b->h, b->w}}, (void *)b->data};
    for (int j = 0; j < x->n; j++) C8_TRY(c8_context_run(x->ctx[j], &in, 1, err));
    if (!x->begun) C8_TRY(pick_outputs(x, b->n, err));
    C8_TRY(collect_outputs(x, b->n, shapes, err));
    if (!x->begun) {
        C8_TRY(e2e_begin(x, shapes, err));
        x->begun = true;
    }
    for (int u = 0; u < x->n_use; u++) {
        r_output *o = &x->r->drift.out[u];
        if (c8_shape_numel(&shapes[u]) == o->per_image) continue;
        /* dynamic H and W: a dense map follows its image's size, and its measures add up per
         * pixel (the report shows the first batch's shape) */
        if (x->ranged && o->kind == C8_OUTPUT_MAP && shapes[u].rank == o->shape.rank) {
            o->per_image = c8_shape_numel(&shapes[u]);
            C8_TRY(c8_report_set(x->r, "map sizes",
                                 "follow each image's size (dynamic H and W); the shape shown "
                                 "is the first batch's",
                                 err));
            continue;
        }
        return c8_err(err, C8_ERR_SHAPE, "output '%s' changed its size between batches%s", o->name,
                      x->ranged ? " (with dynamic H and W only dense maps may)" : "");
    }
    if (b->n > x->names_cap) {
        const char **nn = realloc(x->names, (size_t)b->n * sizeof *nn);
        if (!nn) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        x->names = nn;
        x->names_cap = b->n;
    }
    for (int64_t i = 0; i < b->n; i++) x->names[i] = c8_dataset_name(x->ds, b->ids[i]);
    C8_TRY(c8_report_drift_add(x->r, b->n, x->outs, x->names, err));
    if (!x->labels) return C8_OK;
    const float *logits[R_MAX_PREC];
    for (int j = 0; j < x->n; j++) logits[j] = x->outs[j * x->n_use]; /* output 0 (use[0]) */
    return c8_report_e2e_add(x->r, b->n, logits, b->labels, x->names, err);
}

/* ---------------------------------------------------------------- per layer */

typedef struct {
    const char *name;
    int idx;
} name_idx;

static int cmp_name_idx(const void *a, const void *b) {
    return strcmp(((const name_idx *)a)->name, ((const name_idx *)b)->name);
}

static int find_name(const name_idx *v, int n, const char *name) {
    name_idx key = {name, 0};
    const name_idx *hit = bsearch(&key, v, (size_t)n, sizeof *v, cmp_name_idx);
    return hit ? hit->idx : -1;
}

/* The ONNX tensor an INT8-engine value stands for: its own name, or the name before a
 * "/quant", "/int8" or "/dequant" suffix the builder adds (optionally followed by "_<k>", the
 * builder's de-duplication). Index into fp32 names, or -1. */
static int onnx_tensor(const name_idx *s32, int n32, const char *v) {
    int i = find_name(s32, n32, v);
    if (i >= 0) return i;
    static const char *const suffix[] = {"/quant", "/int8", "/dequant"};
    const char *slash = strrchr(v, '/');
    if (!slash) return -1;
    for (int k = 0; k < 3; k++) {
        size_t sl = strlen(suffix[k]);
        if (strncmp(slash, suffix[k], sl)) continue;
        const char *rest = slash + sl;
        if (*rest == '_') {
            rest++;
            if (!*rest) continue;
            while (*rest >= '0' && *rest <= '9') rest++;
        }
        if (*rest) continue;
        char *t = strndup(v, (size_t)(slash - v));
        if (!t) return -1;
        i = find_name(s32, n32, t);
        free(t);
        return i;
    }
    return -1;
}

typedef struct {
    c8_report *r;
    int nrows;
    float **ref; /* (nrows) FP32 data of the current batch */
    size_t *ref_n, *ref_cap;
    name_idx *by_tensor; /* sorted, FP32 observer */
    name_idx *by_value;  /* sorted, INT8 observer */
    c8_hist **hist;      /* (nrows) collected histograms, or NULL */
    r_dump *dump;
    int64_t first, batch_index;
    float *scratch;
    size_t scratch_cap;
    FILE *log;
} layer_run;

static c8_status observe32(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    layer_run *x = user;
    int row = find_name(x->by_tensor, x->nrows, name);
    if (row < 0 || t->dtype != C8_DT_FLOAT) return C8_OK;
    size_t n = (size_t)c8_shape_numel(&t->shape);
    if (n > x->ref_cap[row]) {
        float *b = realloc(x->ref[row], n * sizeof(float));
        if (!b) return c8_err(err, C8_ERR_NOMEM, "out of memory for tensor '%s'", name);
        x->ref[row] = b;
        x->ref_cap[row] = n;
    }
    memcpy(x->ref[row], t->data, n * sizeof(float));
    x->ref_n[row] = n;
    if (x->hist && x->hist[row]) {
        c8_error e2 = {0};
        if (c8_hist_add(x->hist[row], t->data, n, name, x->batch_index, &e2) != C8_OK) {
            /* a NaN/Inf drops the histogram of that tensor, not the report */
            if (x->log) fprintf(x->log, "warning: no histogram: %s\n", e2.msg);
            c8_hist_destroy(x->hist[row]);
            x->hist[row] = NULL;
        }
    }
    return C8_OK;
}

static c8_status observe8(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    layer_run *x = user;
    int row = find_name(x->by_value, x->nrows, name);
    if (row < 0) return C8_OK;
    r_row *rw = &x->r->rows[row];
    size_t n = (size_t)c8_shape_numel(&t->shape);
    if (x->ref_n[row] != n)
        return c8_err(err, C8_ERR_INTERNAL,
                      "tensor '%s': the INT8 engine's '%s' has %zu values, "
                      "the FP32 engine's %zu",
                      rw->tensor, name, n, x->ref_n[row]);
    const float *xv = t->data;
    if (t->dtype == C8_DT_INT8) {
        c8_report_metrics_add_int8(&rw->m, x->ref[row], t->data, rw->engine_scale, n);
        if (x->dump) {
            if (n > x->scratch_cap) {
                float *s = realloc(x->scratch, n * sizeof(float));
                if (!s) return c8_err(err, C8_ERR_NOMEM, "out of memory");
                x->scratch = s;
                x->scratch_cap = n;
            }
            const int8_t *q = t->data;
            for (size_t i = 0; i < n; i++) x->scratch[i] = (float)q[i] * rw->engine_scale;
            xv = x->scratch;
        }
    } else if (t->dtype == C8_DT_FLOAT) {
        c8_report_metrics_add(&rw->m, x->ref[row], t->data, n);
    } else {
        return C8_OK;
    }
    rw->per_image =
        t->shape.rank >= 1 && t->shape.d[0] > 0 ? (int64_t)n / t->shape.d[0] : (int64_t)n;
    if (x->dump)
        return r_dump_add(x->dump, row, &t->shape, x->first, t->shape.rank >= 1 ? t->shape.d[0] : 1,
                          x->ref[row], xv, err);
    return C8_OK;
}

/* Makes the rows: every float tensor of e32 that e8 also has, with e8's view of it. */
static c8_status make_rows(c8_report *r, const c8_engine *e32, const c8_engine *e8,
                           const c8_calib_cache *cache, c8_error *err) {
    int n32 = c8_engine_num_tensors(e32), n8 = c8_engine_num_tensors(e8);
    name_idx *s32 = malloc((size_t)(n32 ? n32 : 1) * sizeof *s32);
    int *order32 = malloc((size_t)(n32 ? n32 : 1) * sizeof(int)); /* graph order of s32 idx */
    int *best = malloc((size_t)(n32 ? n32 : 1) * sizeof(int));    /* e8 value: the view compared */
    int *comp = malloc((size_t)(n32 ? n32 : 1) * sizeof(int));    /* e8 value: layer output */
    c8_status st = C8_OK;
    if (!s32 || !order32 || !best || !comp) {
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    int m = 0;
    for (int i = 0; i < n32; i++) {
        c8_engine_tensor_info v;
        c8_engine_tensor(e32, i, &v);
        if (v.dtype != C8_DT_FLOAT) continue;
        s32[m] = (name_idx){v.name, m};
        best[m] = comp[m] = -1;
        m++;
    }
    qsort(s32, (size_t)m, sizeof *s32, cmp_name_idx);
    /* chosen view: a computed int8 tensor > an int8 copy > a computed float tensor > a copy */
    c8_engine_tensor_info *v8 = malloc((size_t)(n8 ? n8 : 1) * sizeof *v8);
    if (!v8) {
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int j = 0; j < n8; j++) {
        c8_engine_tensor(e8, j, &v8[j]);
        int t = onnx_tensor(s32, m, v8[j].name);
        if (t < 0) continue;
        const c8_engine_tensor_info *v = &v8[j];
        int rank = (v->dtype == C8_DT_INT8 ? 0 : 2) + (v->conversion ? 1 : 0);
        if (v->dtype != C8_DT_INT8 && v->dtype != C8_DT_FLOAT) continue;
        if (best[t] < 0)
            best[t] = j;
        else {
            const c8_engine_tensor_info *b = &v8[best[t]];
            int brank = (b->dtype == C8_DT_INT8 ? 0 : 2) + (b->conversion ? 1 : 0);
            if (rank < brank) best[t] = j;
        }
        if (!v->conversion && (comp[t] < 0 || v->dtype == C8_DT_INT8)) comp[t] = j;
    }
    /* rows in e32's graph order */
    int k = 0;
    for (int i = 0; i < n32; i++) {
        c8_engine_tensor_info v;
        c8_engine_tensor(e32, i, &v);
        if (v.dtype == C8_DT_FLOAT) order32[k++] = find_name(s32, m, v.name);
    }
    r->rows = calloc((size_t)(m ? m : 1), sizeof *r->rows);
    if (!r->rows) {
        free(v8);
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int q = 0; q < k; q++) {
        int t = order32[q];
        if (best[t] < 0) continue;
        const c8_engine_tensor_info *b = &v8[best[t]];
        r_row *row = &r->rows[r->n_rows++];
        const char *tname = NULL;
        for (int z = 0; z < m; z++)
            if (s32[z].idx == t) tname = s32[z].name;
        row->tensor = strdup(tname);
        row->engine_value = strdup(b->name);
        row->form = b->dtype == C8_DT_INT8 ? (b->conversion ? "quantized-copy" : "int8") : "float";
        row->engine_scale = b->dtype == C8_DT_INT8 ? b->scale : 0;
        row->sens = -1;
        float cs = 0;
        int64_t ci = cache ? c8_calib_cache_find(cache, tname) : -1;
        if (ci >= 0) cs = c8_calib_cache_scale(cache, ci);
        row->cache_scale = isfinite(cs) && cs > 0 ? cs : 0;
        c8_report_metrics_init(&row->m, row->cache_scale);
        int lay = comp[t] >= 0 ? v8[comp[t]].layer : -1;
        if (lay >= 0) {
            const char *ln, *op, *reason;
            c8_engine_layer(e8, lay, &ln, &op, &row->precision, &reason);
            row->layer = strdup(ln);
            row->op = strdup(op);
            row->reason = strdup(reason);
            if (!row->layer || !row->op || !row->reason) st = C8_ERR_NOMEM;
        }
        if (!row->tensor || !row->engine_value) st = C8_ERR_NOMEM;
        if (st != C8_OK) {
            st = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
    }
    free(v8);
done:
    free(s32);
    free(order32);
    free(best);
    free(comp);
    return st;
}

/* The display form of histogram h with the chosen threshold and every algorithm's. */
static void fill_hist(r_hist *d, const c8_hist *h, const char *source, double chosen) {
    memset(d, 0, sizeof *d);
    d->present = true;
    d->source = source;
    d->nbins = c8_hist_nbins(h);
    d->range = c8_hist_range(h);
    d->absmax = c8_hist_absmax(h);
    d->count = c8_hist_count(h);
    double top = d->absmax > 0 ? d->absmax : 0;
    for (int64_t i = 0; c8_calib_algo_at(i) && d->n_algos < R_MAX_ALGOS; i++) {
        const c8_calib_algo *a = c8_calib_algo_at(i);
        double thr;
        float sc;
        c8_error e2 = {0};
        d->algo[d->n_algos] = a->name;
        d->threshold[d->n_algos] =
            c8_calib_threshold(a, h, NULL, &thr, &sc, &e2) == C8_OK ? thr : NAN;
        if (isfinite(d->threshold[d->n_algos]) && d->threshold[d->n_algos] > top)
            top = d->threshold[d->n_algos];
        d->n_algos++;
    }
    if (isfinite(chosen) && chosen > top) top = chosen;
    if (!(top > 0)) top = 1;
    d->disp_max = top * 1.02;
    d->ndisp = R_HIST_DISPLAY_BINS;
    const uint64_t *c = c8_hist_counts(h);
    double w = c8_hist_bin_width(h);
    for (int64_t k = 0; k < d->nbins; k++) {
        if (!c[k]) continue;
        int64_t j = (int64_t)(((double)k + 0.5) * w / d->disp_max * (double)d->ndisp);
        if (j >= d->ndisp) j = d->ndisp - 1;
        d->disp[j] += c[k];
    }
}

static c8_status layer_section(c8_report *r, const c8_model *m, const c8_dataset *ds,
                               const c8_preprocess *pre, const c8_loader_opts *lo,
                               const c8_compare_options *o, const c8_calib_cache *cache,
                               const char *in_name, int64_t C, int64_t H, int64_t W, int64_t fixed,
                               c8_error *err) {
    r_images im = {0};
    c8_engine *e32 = NULL, *e8 = NULL;
    c8_context *c32 = NULL, *c8 = NULL;
    c8_scale_source src8 = c8_calib_cache_scales(cache);
    c8_calib_histfile *hf = NULL;
    layer_run x = {0};
    const char **tnames = NULL, **vnames = NULL;
    c8_status st = C8_OK;
    int64_t b = r_layer_batch(lo->batch, fixed);
    c8_build_options b32, b8;
    c8_build_options_init(&b32);
    b32.device = o->device;
    b32.threads = o->threads;
    b32.passes = false;
    c8_build_options_init(&b8);
    b8.device = o->device;
    b8.threads = o->threads;
    b8.passes = false;
    b8.precision = C8_PREC_INT8;
    b8.fallback = o->fallback;
    b8.scales = &src8;
    b8.layer_precision = o->layer_precision;

    for (int i = 0; i < r->n_rows; i++) r_row_free(&r->rows[i]); /* a report run twice */
    free(r->rows);
    r->rows = NULL;
    r->n_rows = 0;
    r_sens_free(&r->sens);
    /* histogram file first: HDF5 is used here only while no loader thread is alive */
    if (o->histograms_path) st = c8_calib_histfile_load(o->histograms_path, &hf, err);
    if (st == C8_OK) st = r_images_load(m, ds, pre, lo, o->layer_images, C, H, W, &im, err);
    if (st == C8_OK && fixed > 0 && im.n % fixed)
        st = c8_err(err, C8_ERR_SHAPE,
                    "the model's batch is fixed at %lld; --layer-images %lld "
                    "is not a multiple of it",
                    (long long)fixed, (long long)im.n);
    if (st == C8_OK) st = r_build(m, &b32, &e32, &c32, err);
    if (st == C8_OK) st = r_build(m, &b8, &e8, &c8, err);
    if (st == C8_OK) st = make_rows(r, e32, e8, cache, err);
    if (st != C8_OK) goto done;
    r->layers_present = true;
    r->layer_images = im.n;
    r->hist_source = hf ? "histogram-file" : "layer-images";
    int n = r->n_rows;
    x.r = r;
    x.nrows = n;
    x.log = o->log;
    x.ref = calloc((size_t)(n ? n : 1), sizeof *x.ref);
    x.ref_n = calloc((size_t)(n ? n : 1), sizeof *x.ref_n);
    x.ref_cap = calloc((size_t)(n ? n : 1), sizeof *x.ref_cap);
    x.by_tensor = malloc((size_t)(n ? n : 1) * sizeof *x.by_tensor);
    x.by_value = malloc((size_t)(n ? n : 1) * sizeof *x.by_value);
    x.hist = calloc((size_t)(n ? n : 1), sizeof *x.hist);
    tnames = malloc((size_t)(n ? n : 1) * sizeof *tnames);
    vnames = malloc((size_t)(n ? n : 1) * sizeof *vnames);
    if (!x.ref || !x.ref_n || !x.ref_cap || !x.by_tensor || !x.by_value || !x.hist || !tnames ||
        !vnames) {
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        x.by_tensor[i] = (name_idx){r->rows[i].tensor, i};
        x.by_value[i] = (name_idx){r->rows[i].engine_value, i};
        tnames[i] = r->rows[i].tensor;
        vnames[i] = r->rows[i].engine_value;
        if (!hf && r->rows[i].cache_scale > 0) st = c8_hist_create(o->hist_bins, &x.hist[i], err);
        if (st != C8_OK) goto done;
    }
    qsort(x.by_tensor, (size_t)n, sizeof *x.by_tensor, cmp_name_idx);
    qsort(x.by_value, (size_t)n, sizeof *x.by_value, cmp_name_idx);
    if (o->dump_path) st = r_dump_open(o->dump_path, im.n, &x.dump, err);
    if (st == C8_OK) st = c8_context_set_observer(c32, observe32, &x, tnames, n, err);
    if (st == C8_OK) st = c8_context_set_observer(c8, observe8, &x, vnames, n, err);
    /* im's size: (H, W), or with dynamic H and W the one size the layer images share */
    size_t per = (size_t)(C * im.h * im.w);
    for (int64_t i = 0; st == C8_OK && i < im.n; i += b) {
        int64_t nb = im.n - i < b ? im.n - i : b;
        c8_host_tensor in = {
            in_name, C8_DT_FLOAT, {4, {nb, C, im.h, im.w}}, im.data + (size_t)i * per};
        for (int q = 0; q < n; q++) x.ref_n[q] = 0;
        x.first = i;
        st = c8_context_run(c32, &in, 1, err);
        if (st == C8_OK) st = c8_context_run(c8, &in, 1, err);
        x.batch_index++;
    }
    if (st != C8_OK) goto done;
    /* histograms and thresholds */
    for (int i = 0; i < n; i++) {
        r_row *row = &r->rows[i];
        const c8_hist *h = x.hist[i];
        if (hf)
            for (int64_t j = 0; j < c8_calib_histfile_count(hf); j++)
                if (!strcmp(c8_calib_histfile_name(hf, j), row->tensor))
                    h = c8_calib_histfile_hist(hf, j);
        if (h && c8_hist_count(h) > 0)
            fill_hist(&row->h, h, hf ? "histogram-file" : "layer-images",
                      row->cache_scale > 0 ? 127.0 * row->cache_scale : NAN);
    }
    if (x.dump) {
        const char **forms = malloc((size_t)(n ? n : 1) * sizeof *forms);
        float *scales = malloc((size_t)(n ? n : 1) * sizeof *scales);
        const char **inames = malloc((size_t)(im.n ? im.n : 1) * sizeof *inames);
        if (!forms || !scales || !inames) {
            free(forms);
            free(scales);
            free(inames);
            st = c8_err(err, C8_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < n; i++) {
            forms[i] = r->rows[i].form;
            scales[i] = r->rows[i].engine_scale;
        }
        for (int64_t i = 0; i < im.n; i++) inames[i] = c8_dataset_name(ds, im.ids[i]);
        int64_t skipped = r_dump_skipped(x.dump);
        r_dump_meta meta = {n,
                            tnames,
                            vnames,
                            forms,
                            scales,
                            im.n,
                            inames,
                            c8_engine_model_sha256(e8),
                            c8_engine_cache_sha256(e8)};
        st = r_dump_finish(x.dump, &meta, err);
        x.dump = NULL;
        free(forms);
        free(scales);
        free(inames);
        if (st != C8_OK) goto done;
        r->dump_path = strdup(o->dump_path);
        if (o->log && skipped)
            fprintf(o->log, "dump: %lld tensor(s) without a leading batch dimension left out\n",
                    (long long)skipped);
    }
    /* sensitivity */
    if (o->sensitivity) {
        c8_context_destroy(c32);
        c8_context_destroy(c8);
        c32 = c8 = NULL;
        st = r_sensitivity(r, m, &b8, C8_PREC_FP32, true, &im, in_name, b, o->log, err);
        if (st != C8_OK) goto done;
        for (int i = 0; i < n; i++)
            for (int j = 0; r->rows[i].layer && j < r->sens.n; j++)
                if (!strcmp(r->rows[i].layer, r->sens.e[j].layer)) r->rows[i].sens = j;
    }
done:
    r_dump_abort(x.dump);
    if (x.ref)
        for (int i = 0; i < x.nrows; i++) free(x.ref[i]);
    if (x.hist)
        for (int i = 0; i < x.nrows; i++) c8_hist_destroy(x.hist[i]);
    free(x.ref);
    free(x.ref_n);
    free(x.ref_cap);
    free(x.by_tensor);
    free(x.by_value);
    free(x.hist);
    free(x.scratch);
    free(tnames);
    free(vnames);
    c8_context_destroy(c32);
    c8_context_destroy(c8);
    c8_engine_destroy(e32);
    c8_engine_destroy(e8);
    c8_calib_histfile_destroy(hf);
    r_images_free(&im);
    return st;
}

/* ---------------------------------------------------------------- driver */

/* One line per output and non-FP32 precision: the drift measures of its kind. */
static void log_drift(const c8_report *r, FILE *log) {
    for (int k = 0; k < c8_report_drift_num_outputs(r); k++)
        for (int j = 0; j < r->drift.n; j++) {
            c8_report_drift d;
            char a[32], b[32], c[32], e[32], g[32], shape[96];
            if (r->drift.prec[j] == C8_PREC_FP32) continue;
            c8_report_drift_get(r, k, r->drift.prec[j], &d, NULL);
            /* FP32's rms and max |x| beside the errors: SQNR is relative to them, so a map near
             * zero everywhere shows a low SQNR next to a tiny max abs diff */
            fprintf(log,
                    "%-5s output '%s' (%s, %s per image): SQNR %s dB  cosine %s  max abs %s  "
                    "(fp32 rms %s, max |x| %s)",
                    c8_precision_name(r->drift.prec[j]), d.output,
                    c8_report_output_kind_name(d.kind), c8_shape_str(&d.shape, shape, sizeof shape),
                    r_fmt(a, sizeof a, 4, d.sqnr_db), r_fmt(b, sizeof b, 6, d.cosine),
                    r_fmt(c, sizeof c, 4, d.max_abs_diff), r_fmt(e, sizeof e, 4, d.ref_rms),
                    r_fmt(g, sizeof g, 4, d.ref_max_abs));
            if (d.kind == C8_OUTPUT_CLASSES)
                fprintf(log, "  top-1 agreement %.2f%% (%lld/%lld)", d.agreement,
                        (long long)d.agree, (long long)d.compared);
            if (d.kind == C8_OUTPUT_MAP)
                fprintf(log, "  IoU@%g %.4f  pixel agreement %.2f%%", r->drift.map_threshold,
                        d.map_iou, d.agreement);
            if (d.kind == C8_OUTPUT_SEQUENCE)
                fprintf(log, "  position agreement %.2f%%", d.agreement);
            if (d.has_strings)
                fprintf(log, "  string agreement %.2f%% (%lld/%lld)", d.string_agreement,
                        (long long)d.strings_agree, (long long)d.images);
            fputc('\n', log);
        }
}

c8_status c8_report_compare(c8_report *r, const c8_model *m, const c8_dataset *ds,
                            const c8_preprocess *pre, const c8_loader_opts *lo,
                            const c8_compare_options *o, c8_error *err) {
    const char *what = c8_model_path(m);
    if (o->int8 && !o->calib_cache)
        return c8_err(err, C8_ERR_USAGE, "%s: comparing INT8 needs a calibration cache", what);
    e2e_run x = {0};
    c8_drift_options dopt = o->drift;
    x.labels = c8_dataset_has_labels(ds);
    x.drift = &dopt;
    c8_engine *eng[R_MAX_PREC] = {0};
    c8_calib_cache *cache = NULL;
    c8_scale_source scales = {0};
    c8_status st = C8_OK;
    char prec_list[64] = "fp32";
    x.r = r;
    x.ds = ds;
    x.prec[x.n++] = C8_PREC_FP32;
    if (o->fp16) x.prec[x.n++] = C8_PREC_FP16, strcat(prec_list, ",fp16");
    if (o->int8) x.prec[x.n++] = C8_PREC_INT8, strcat(prec_list, ",int8");
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)o->layer_images);
    C8_TRY(c8_report_set(r, "precisions", prec_list, err));
    C8_TRY(c8_report_set(r, "device", c8_device_name(o->device), err));
    C8_TRY(c8_report_set(r, "passes (end to end)", o->passes ? "on" : "off", err));
    C8_TRY(c8_report_set(r, "passes (per layer, sensitivity)", "off", err));
    C8_TRY(c8_report_set(r, "int8 fallback precision", c8_precision_name(o->fallback), err));
    C8_TRY(c8_report_set(r, "layer precision overrides",
                         o->layer_precision ? o->layer_precision : "", err));
    C8_TRY(c8_report_set(r, "layer images", num, err));
    C8_TRY(c8_report_set(r, "sensitivity", o->sensitivity ? "one layer in fp32 at a time" : "off",
                         err));
    C8_TRY(c8_report_set(r, "labels",
                         x.labels ? "yes: top-1 and top-5 of output 0 against the labels, and "
                                    "the drift of every output against FP32"
                                  : "none: the drift of every output against FP32 only (no "
                                    "accuracy against labels)",
                         err));
    snprintf(num, sizeof num, "%g", dopt.map_threshold);
    C8_TRY(c8_report_set(r, "map threshold", num, err));
    snprintf(num, sizeof num, "%lld", (long long)dopt.ctc_blank);
    C8_TRY(c8_report_set(r, "ctc blank", dopt.ctc_blank >= 0 ? num : "none", err));
    C8_TRY(c8_report_set(r, "output kind", c8_report_output_kind_name(dopt.kind), err));
    if (o->int8) C8_TRY(r_record_calib(r, o->calib_cache, err));
    C8_TRY(r_set_classes(r, ds, err));
    for (int j = 0; j < x.n && st == C8_OK; j++) {
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.device = o->device;
        bo.threads = o->threads;
        bo.passes = o->passes;
        bo.precision = x.prec[j];
        if (x.prec[j] == C8_PREC_INT8) {
            st = c8_calib_cache_load_for_model(o->calib_cache, c8_model_sha256(m),
                                               o->allow_cache_mismatch, NULL, &cache, err);
            if (st != C8_OK) break;
            scales = c8_calib_cache_scales(cache);
            bo.scales = &scales;
            bo.fallback = o->fallback;
            bo.layer_precision = o->layer_precision;
        }
        st = r_build(m, &bo, &eng[j], &x.ctx[j], err);
        if (st == C8_OK && x.prec[j] == C8_PREC_INT8) {
            c8_calib_cache_warn_unfit(o->calib_cache, m, eng[j], o->log);
            st = r_record_engine(r, eng[j], err);
        }
    }
    int64_t C = 0, H = 0, W = 0, fixed = 0;
    if (st == C8_OK) st = r_image_input(eng[0], what, &x.in_name, &C, &H, &W, &fixed, err);
    int64_t rh0, rh1, rw0, rw1;
    if (st == C8_OK) x.ranged = c8_engine_image_range(eng[0], &rh0, &rh1, &rw0, &rw1);
    c8_loader_opts lo2 = *lo;
    if (fixed > 0) lo2.batch = fixed;
    if (st == C8_OK) {
        x.n_out = c8_engine_num_outputs(eng[0]);
        x.outs = malloc((size_t)(x.n * x.n_out + 1) * sizeof *x.outs);
        x.shapes = malloc((size_t)(x.n_out + 1) * sizeof *x.shapes);
        x.use = malloc((size_t)(x.n_out + 1) * sizeof *x.use);
        if (!x.outs || !x.shapes || !x.use) st = c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    if (st == C8_OK)
        st = r_stream(eng[0], ds, pre, &lo2, -1, C, H, W, "compare", o->progress, e2e_batch, &x,
                      err);
    if (st == C8_OK && !x.begun) st = c8_err(err, C8_ERR_INVALID, "no images were evaluated");
    if (st == C8_OK && x.labels_unused)
        st = c8_report_set(r, "labels",
                           "present, but output 0 is not class scores: no accuracy against them; "
                           "the drift of every output against FP32 only",
                           err);
    for (int j = 0; j < x.n; j++) {
        c8_context_destroy(x.ctx[j]);
        x.ctx[j] = NULL;
    }
    free(x.names);
    free(x.outs);
    free(x.shapes);
    free(x.use);
    if (st == C8_OK && o->log) log_drift(r, o->log);
    if (st == C8_OK && o->log && x.labels) {
        for (int j = 0; j < x.n; j++) {
            c8_report_e2e_stats s;
            c8_report_e2e_stats_get(r, x.prec[j], &s, NULL);
            fprintf(o->log,
                    "%-5s top-1 %.2f%% [%.2f, %.2f]  top-5 %.2f%%  agreement %.2f%%  "
                    "flipped %lld\n",
                    c8_precision_name(x.prec[j]), s.top1, s.top1_lo, s.top1_hi, s.top5, s.agreement,
                    (long long)s.flipped);
        }
    }
    if (st == C8_OK && o->int8 && o->layer_images > 0)
        st = layer_section(r, m, ds, pre, &lo2, o, cache, x.in_name, C, H, W, fixed, err);
    for (int j = 0; j < x.n; j++) c8_engine_destroy(eng[j]);
    c8_calib_cache_destroy(cache);
    return st;
}

c8_status c8_report_set_compare_settings(c8_report *r, const c8_model *m, const c8_dataset *ds,
                                         const c8_preprocess *pre, const c8_loader_opts *lo,
                                         const c8_compare_options *o, const char *data,
                                         const char *precisions, c8_error *err) {
    char pre_text[512], images[32], batch[32];
    c8_preprocess_describe(pre, pre_text, sizeof pre_text);
    snprintf(images, sizeof images, "%lld", (long long)c8_dataset_count(ds));
    snprintf(batch, sizeof batch, "%lld", (long long)lo->batch);
    const char *kv[][2] = {
        {"model", c8_model_path(m)},
        {"model sha256", c8_model_sha256(m)},
        {"calibration cache", o->calib_cache},
        {"data", data},
        {"dataset manifest sha256", c8_dataset_manifest_sha256(ds)},
        {"images", images},
        {"preprocessing", pre_text},
        {"batch", batch},
        {"requested precisions", precisions},
        {"histograms", o->histograms_path ? o->histograms_path : "collected on layer images"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        C8_TRY(c8_report_set(r, kv[i][0], kv[i][1], err));
    return C8_OK;
}
