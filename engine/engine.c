/* c8_engine and c8_context (public API in engine.h): a model compiled for a backend and
 * per-layer precisions, and its executions. */
#include "calib8/engine.h"

#include "kernels/backend.h"
#include "engine/build/builder.h"
#include "engine/build/place.h"
#include "engine/engine_internal.h"
#include "engine/exec/exec.h"
#include "ops/infer.h"
#include "engine/model_internal.h"
#include "engine/passes/passes.h"
#include "util/arith.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void c8_build_options_init(c8_build_options *o) {
    memset(o, 0, sizeof *o);
    o->device = C8_DEVICE_CPU;
    o->precision = C8_PREC_FP32;
    o->fallback = C8_PREC_FP32;
    o->passes = true;
}

/* c8_engine_new and c8_engine_add_layer (the engine record and its layer table): engine/layers.c,
 * so that the builder, called from here, does not call back into this file. */

/* The scale source's provenance for the engine and its plan ("" when there is none). */
static void scales_sha256(const c8_build_options *opt, char sha[65]) {
    sha[0] = '\0';
    if (opt->scales && opt->scales->sha256) snprintf(sha, 65, "%s", opt->scales->sha256);
}

static bool needs_int8(const c8_build_options *opt) {
    return opt->precision == C8_PREC_INT8 ||
           (opt->layer_precision && strstr(opt->layer_precision, ":int8"));
}

c8_status c8_engine_build(const c8_model *model, const c8_build_options *opt, c8_engine **out,
                          c8_error *err) {
    *out = NULL;
    c8_build_options d;
    if (!opt) {
        c8_build_options_init(&d);
        opt = &d;
    }
    const c8_graph *mg = c8_model_graph(model);
    const c8_backend_vt *vt = c8_backend_get(opt->device, err);
    if (!vt) return c8_err_prefix(err, "%s", mg->path);
    for (int i = 0; opt->tune_batches && i < opt->n_tune_batches; i++)
        if (opt->tune_batches[i] < 1 || opt->tune_batches[i] > (1 << 20) ||
            (i > 0 && opt->tune_batches[i] <= opt->tune_batches[i - 1]))
            return c8_err(err, C8_ERR_INVALID,
                          "tune batches must be ascending and within 1..1048576 (got %lld at "
                          "position %d)",
                          (long long)opt->tune_batches[i], i + 1);
    char cache_sha[65] = "";
    if (opt->scales && !opt->scales->get)
        return c8_err(err, C8_ERR_INVALID, "%s: the scale source has no lookup (get is NULL)",
                      mg->path);
    if (opt->scales)
        scales_sha256(opt, cache_sha);
    else if (needs_int8(opt))
        return c8_err(err, C8_ERR_USAGE, "%s: an INT8 build needs a calibration cache (--calib)",
                      mg->path);
    c8_status s = C8_OK;
    c8_graph *src = c8_graph_clone(mg);
    c8_graph *dst = c8_graph_create(mg->path);
    c8_engine *e = NULL;
    if (!src || !dst) {
        s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", mg->path);
        goto fail;
    }
    dst->opset = src->opset;
    dst->ir_version = src->ir_version;
    memcpy(dst->sha256, src->sha256, sizeof dst->sha256);
    e = c8_engine_new(dst, opt->device, opt->precision);
    if (!e) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto fail;
    }
    dst = NULL;
    memcpy(e->model_sha256, mg->sha256, sizeof e->model_sha256);
    memcpy(e->cache_sha256, cache_sha, sizeof e->cache_sha256);
    e->tf32 = opt->tf32;
    s = c8_engine_set_preprocessing(e, opt->preprocessing, err);
    if (s != C8_OK) {
        c8_err_prefix(err, "%s", mg->path);
        goto fail;
    }
    /* the model's optimization profiles (the builder keeps the inputs in their order) */
    if (model->prof) {
        e->prof = calloc((size_t)(mg->n_inputs ? mg->n_inputs : 1), sizeof *e->prof);
        if (!e->prof) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            goto fail;
        }
        memcpy(e->prof, model->prof, (size_t)mg->n_inputs * sizeof *e->prof);
    }
    e->threads = opt->threads;
    if (opt->passes) {
        c8_pass_options po;
        c8_pass_options_init(&po);
        po.enable[C8_PASS_FUSE_HARDSWISH] = !(vt->unfused_acts & (1u << C8_ACT_HARDSWISH));
        s = c8_graph_optimize(src, &po, NULL, err);
        if (s != C8_OK) goto fail;
    }
    s = c8_builder_lower(src, opt, opt->scales, e, err);
    if (s != C8_OK) goto fail;
    /* device, layout and kernel of every node; host steps of a GPU plan become explicit */
    s = c8_place(e, vt, err);
    if (s == C8_OK && opt->strict) s = c8_place_check_strict(e, "--strict", err);
    if (s != C8_OK) goto fail;
    if (vt->engine_init) {
        c8_backend_engine be = c8_engine_backend_view(e);
        s = vt->engine_init(&be, &e->backend, err);
        if (s != C8_OK) goto fail;
    }
    if (vt->tune) {
        c8_backend_engine be = c8_engine_backend_view(e);
        /* the default batch buckets (include/calib8/engine.h, docs/int8-gpu.md) */
        static const int64_t kBuckets[] = {1, 32, 256};
        c8_tune_options to = {opt->log, opt->verbose, kBuckets, 3, NULL};
        if (opt->tune_batches && opt->n_tune_batches > 0) {
            to.batches = opt->tune_batches;
            to.n_batches = opt->n_tune_batches;
        }
        /* a profile: kernels tuned at its optimum (the batch too, unless buckets were given) */
        c8_shape *opt_shapes = NULL;
        int64_t opt_batch = 0;
        if (e->prof) {
            opt_shapes = calloc((size_t)e->g->n_inputs, sizeof *opt_shapes);
            if (!opt_shapes) {
                s = c8_err(err, C8_ERR_NOMEM, "out of memory");
                goto fail;
            }
            for (int i = 0; i < e->g->n_inputs; i++) {
                if (!e->prof[i].set) continue;
                opt_shapes[i] = e->prof[i].opt;
                if (!opt_batch && opt_shapes[i].rank > 0 &&
                    e->prof[i].min.d[0] != e->prof[i].max.d[0])
                    opt_batch = opt_shapes[i].d[0];
            }
            to.opt_shapes = opt_shapes;
            if (opt_batch && !(opt->tune_batches && opt->n_tune_batches > 0)) {
                to.batches = &opt_batch;
                to.n_batches = 1;
            }
        }
        s = vt->tune(&be, &to, err);
        free(opt_shapes);
        if (s != C8_OK) goto fail;
    }
    c8_graph_destroy(src);
    if (opt->log) c8_engine_print_layers(e, opt->log);
    *out = e;
    return C8_OK;
fail:
    c8_graph_destroy(src);
    c8_graph_destroy(dst);
    c8_engine_destroy(e);
    return s;
}

void c8_engine_destroy(c8_engine *e) {
    if (!e) return;
    if (e->backend) {
        const c8_backend_vt *vt = c8_backend_get(e->device, NULL);
        if (vt && vt->engine_fini) vt->engine_fini(e->backend);
    }
    c8_graph_destroy(e->g);
    for (int i = 0; i < e->n_layers; i++) {
        free(e->layers[i].name);
        free(e->layers[i].op);
    }
    free(e->layers);
    free(e->preprocessing);
    free(e->prof);
    free(e);
}

int c8_engine_num_inputs(const c8_engine *e) { return e->g->n_inputs; }
int c8_engine_num_outputs(const c8_engine *e) { return e->g->n_outputs; }

void c8_engine_input(const c8_engine *e, int i, const char **name, c8_dtype *dtype,
                     c8_shape *shape) {
    const c8_value *v = &e->g->vals[e->g->inputs[i]];
    if (name) *name = v->name;
    if (dtype) *dtype = v->dtype;
    if (shape) *shape = v->shape;
}

void c8_engine_output(const c8_engine *e, int i, const char **name, c8_dtype *dtype,
                      c8_shape *shape) {
    const c8_value *v = &e->g->vals[e->g->outputs[i]];
    if (name) *name = v->name;
    if (dtype) *dtype = v->dtype;
    if (shape) *shape = v->shape;
}

int c8_engine_num_layers(const c8_engine *e) { return e->n_layers; }
const char *c8_engine_model_sha256(const c8_engine *e) { return e->model_sha256; }
const char *c8_engine_cache_sha256(const c8_engine *e) { return e->cache_sha256; }
const char *c8_engine_preprocessing(const c8_engine *e) { return e->preprocessing; }

bool c8_engine_input_profile(const c8_engine *e, int i, c8_shape *min, c8_shape *opt,
                             c8_shape *max) {
    if (!e->prof || i < 0 || i >= e->g->n_inputs || !e->prof[i].set) return false;
    if (min) *min = e->prof[i].min;
    if (opt) *opt = e->prof[i].opt;
    if (max) *max = e->prof[i].max;
    return true;
}

void c8_engine_layer(const c8_engine *e, int i, const char **name, const char **op,
                     c8_precision *precision, const char **reason) {
    const c8_layer *l = &e->layers[i];
    if (name) *name = l->name;
    if (op) *op = l->op;
    if (precision) *precision = l->precision;
    if (reason) *reason = l->reason;
}

/* s fitted into exactly `width` columns: padded, or cut in the middle with "..." so that both
 * ends of a long fused label ("CBR(/layer1/0/conv1+.../relu)") stay readable. */
static const char *fit(const char *s, int width, char *buf, size_t cap) {
    size_t n = strlen(s), w = (size_t)width;
    if (w + 1 > cap) w = cap - 1;
    if (n <= w) {
        snprintf(buf, cap, "%-*s", (int)w, s);
    } else {
        size_t head = (w - 3) / 2, tail = w - 3 - head;
        snprintf(buf, cap, "%.*s...%s", (int)head, s, s + n - tail);
    }
    return buf;
}

/* Under an INT8 GPU layer tuned per batch bucket (kernel "int8:b1=<name>#<id>,b32=...", tuned
 * "b1: <cand>=<ms>ms[*] ...; b32: ..."), one line per bucket: its kernel and median time. */
static void print_buckets(FILE *fp, const c8_layer *l) {
    if (strncmp(l->kernel, "int8:b", 6) != 0) return;
    fprintf(fp, "     INT8 kernel per batch bucket:");
    for (const char *p = l->kernel + 5; p && *p == 'b';) {
        const char *eq = strchr(p, '='), *hash = eq ? strchr(eq, '#') : NULL;
        if (!eq || !hash) break;
        char bucket[24], name[96], key[128];
        snprintf(bucket, sizeof bucket, "%.*s", (int)(eq - p), p);
        snprintf(name, sizeof name, "%.*s", (int)(hash - eq - 1), eq + 1);
        /* this bucket's segment of the tuned string, then "<name>=<ms>ms*" in it */
        snprintf(key, sizeof key, "%s:", bucket);
        const char *seg = strstr(l->tuned, key);
        snprintf(key, sizeof key, " %s=", name);
        const char *t = seg ? strstr(seg, key) : NULL;
        double ms = t ? strtod(t + strlen(key), NULL) : -1.0;
        if (ms >= 0)
            fprintf(fp, " %s %s %.4f ms;", bucket, name, ms);
        else
            fprintf(fp, " %s %s;", bucket, name);
        p = strchr(hash, ',');
        if (p) p++;
    }
    fputc('\n', fp);
}

/* Rows are numbered 1, 2, ... without gaps; the quantize/dequantize reformat layers between
 * INT8 and float layers are not listed (unless placed on the host), nor the host copies of a
 * GPU plan; the summary says how many there are. A GPU plan's storage conversions (Reformat,
 * engine/build/reformat.c) are listed, their reason saying from and to which layout. */
void c8_engine_print_layers(const c8_engine *e, FILE *fp) {
    int count[4] = {0}, reformat = 0, copies = 0, host = 0, row = 0, conversions = 0;
    char nb[48], ob[24], lb[24], kb[32];
    const char *dev = e->device == C8_DEVICE_CUDA ? "gpu" : "cpu";
    fprintf(fp, "%-4s %-40s %-20s %-6s %-4s %-20s %-28s %s\n", "#", "layer", "op", "prec", "dev",
            "layout", "kernel", "reason");
    for (int i = 0; i < e->n_layers; i++) {
        const c8_layer *l = &e->layers[i];
        if (l->role == C8_LAYER_COPY) {
            copies++;
            continue;
        }
        if (l->place == C8_PLACE_HOST) host++;
        const bool conversion = l->role == C8_LAYER_REFORMAT && !strcmp(l->op, "Reformat");
        conversions += conversion;
        if (l->role == C8_LAYER_REFORMAT && l->place != C8_PLACE_HOST && !conversion) {
            reformat++;
            continue;
        }
        if (l->role == C8_LAYER_REFORMAT && !conversion)
            reformat++;
        else if (!conversion)
            count[l->precision]++;
        fprintf(fp, "%-4d %s %s %-6s %-4s %s %s %s%s%s\n", ++row, fit(l->name, 40, nb, sizeof nb),
                fit(l->op, 20, ob, sizeof ob), c8_precision_name(l->precision),
                l->place == C8_PLACE_HOST ? "host" : dev, fit(l->layout, 20, lb, sizeof lb),
                fit(l->kernel, 28, kb, sizeof kb), l->reason,
                l->place == C8_PLACE_HOST ? "; on the host: " : "",
                l->place == C8_PLACE_HOST ? l->place_reason : "");
        print_buckets(fp, l);
    }
    fprintf(fp,
            "layers: %d int8, %d fp16, %d fp32; %d quantize/dequantize reformat%s (not "
            "listed unless on the host)\n",
            count[C8_PREC_INT8], count[C8_PREC_FP16], count[C8_PREC_FP32], reformat,
            reformat == 1 ? "" : "s");
    if (e->device == C8_DEVICE_CUDA)
        fprintf(fp, "placement: %d node(s) on the host, %d host copies, %d layout conversion%s\n",
                host, copies, conversions, conversions == 1 ? "" : "s");
    c8_engine_print_profiles(e, fp);
}

void c8_engine_print_profiles(const c8_engine *e, FILE *fp) {
    for (int i = 0; e->prof && i < e->g->n_inputs; i++) {
        if (!e->prof[i].set) continue;
        char pb[200];
        fprintf(fp,
                "profile: input '%s' %s (min..opt..max; memory planned for the maximum, "
                "kernels tuned at the optimum)\n",
                e->g->vals[e->g->inputs[i]].name, c8_profile_str(&e->prof[i], pb, sizeof pb));
    }
}

float c8_engine_tensor_scale(const c8_engine *e, const char *name) {
    int v = c8_graph_find_value(e->g, name);
    if (v < 0 || e->g->vals[v].dtype != C8_DT_INT8) {
        /* an int8 graph output is stored as "<name>/int8" */
        size_t n = strlen(name);
        char *alt = malloc(n + 6);
        if (!alt) return 0;
        memcpy(alt, name, n);
        memcpy(alt + n, "/int8", 6);
        v = c8_graph_find_value(e->g, alt);
        free(alt);
        if (v < 0 || e->g->vals[v].dtype != C8_DT_INT8) return 0;
    }
    return e->g->vals[v].scale;
}

/* ---------------------------------------------------------------- contexts */

struct c8_context {
    c8_engine *e;
    const c8_backend_vt *vt;
    void *state; /* the backend's context state */
    c8_exec *x;
    int threads; /* c8_context_set_threads; <= 0: the default */
};

c8_status c8_context_create(c8_engine *e, c8_context **out, c8_error *err) {
    *out = NULL;
    c8_context *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c->e = e;
    c->vt = c8_backend_get(e->device, err);
    c8_status s = c->vt ? C8_OK : C8_ERR_UNSUPPORTED; /* err may be NULL */
    c8_backend_engine be = c8_engine_backend_view(e);
    if (s == C8_OK) s = c->vt->context_init(&be, &c->state, err);
    if (s == C8_OK) s = c8_exec_create(e, c->vt, c->state, &c->x, err);
    if (s != C8_OK) {
        c8_context_destroy(c);
        return s;
    }
    c8_context_set_threads(c, e->threads);
    *out = c;
    return C8_OK;
}

void c8_context_destroy(c8_context *c) {
    if (!c) return;
    c8_exec_destroy(c->x);
    if (c->vt && c->vt->context_fini) c->vt->context_fini(c->state);
    free(c);
}

c8_status c8_context_set_observer(c8_context *c, c8_tensor_observer fn, void *user,
                                  const char *const *names, int n_names, c8_error *err) {
    return c8_exec_set_observer(c->x, fn, user, names, n_names, false, err);
}

c8_status c8_context_set_device_observer(c8_context *c, c8_tensor_observer fn, void *user,
                                         const char *const *names, int n_names, c8_error *err) {
    return c8_exec_set_observer(c->x, fn, user, names, n_names, true, err);
}

void c8_context_set_threads(c8_context *c, int threads) {
    c->threads = threads > 0 ? threads : 0;
    if (c->vt->set_threads) c->vt->set_threads(c->state, c->threads);
}

int c8_context_threads(const c8_context *c) { return c->threads; }

int c8_context_threads_used(const c8_context *c) {
    if (c->threads > 0) return c->threads;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

c8_status c8_context_run(c8_context *c, const c8_host_tensor *inputs, int n, c8_error *err) {
    return c8_exec_run(c->x, inputs, n, err);
}

c8_status c8_context_run_again(c8_context *c, bool download, c8_error *err) {
    return c8_exec_run_again(c->x, download, err);
}

c8_status c8_context_output(c8_context *c, int i, c8_host_tensor *out, c8_error *err) {
    return c8_exec_output(c->x, i, out, err);
}

/* engine_internal.h: the context's backend table and state. */
void c8_context_backend(c8_context *c, const c8_backend_vt **vt, void **state) {
    *vt = c->vt;
    *state = c->state;
}

void c8_context_set_max_memory(c8_context *c, uint64_t max_bytes) {
    c8_exec_set_max_memory(c->x, max_bytes);
}

uint64_t c8_context_memory(const c8_context *c) { return c8_exec_memory(c->x); }
