/* c8_engine and c8_context (public API in engine.h): a model compiled for a backend and
 * per-layer precisions, and its executions. */
#include "calib8/engine.h"

#include "calib8/calib.h"
#include "engine/builder.h"
#include "engine/engine_internal.h"
#include "engine/exec.h"
#include "engine/infer.h"
#include "engine/model_internal.h"
#include "kernels/ref/fp16.h"
#include "util/arith.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void c8_build_options_init(c8_build_options *o) {
    memset(o, 0, sizeof *o);
    o->device = C8_DEVICE_CPU;
    o->precision = C8_PREC_FP32;
    o->fallback = C8_PREC_FP32;
    o->passes = true;
}

c8_engine *c8_engine_new(c8_graph *g, c8_device device, c8_precision precision) {
    c8_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->g = g;
    e->device = device;
    e->precision = precision;
    return e;
}

int c8_engine_add_layer(c8_engine *e, const char *name, const char *op, c8_precision p,
                        c8_layer_role role, const char *reason) {
    c8_layer *nl = realloc(e->layers, (size_t)(e->n_layers + 1) * sizeof *nl);
    if (!nl) return -1;
    e->layers = nl;
    c8_layer *l = &e->layers[e->n_layers];
    memset(l, 0, sizeof *l);
    l->name = strdup(name);
    l->op = strdup(op);
    if (!l->name || !l->op) {
        free(l->name);
        free(l->op);
        return -1;
    }
    l->precision = p;
    l->role = role;
    snprintf(l->reason, sizeof l->reason, "%s", reason ? reason : "");
    snprintf(l->kernel, sizeof l->kernel, "ref");
    return e->n_layers++;
}

/* Reads the cache for an INT8 build and checks it against its sidecar (when one exists). */
static c8_status load_cache(const c8_graph *mg, const c8_build_options *opt, c8_calib_cache **out,
                            char sha[65], c8_error *err) {
    *out = NULL;
    sha[0] = '\0';
    c8_calib_cache *cache;
    C8_TRY(c8_calib_cache_read(opt->calib_cache, &cache, err));
    c8_status s = c8_calib_cache_sha256(cache, sha, err);
    char *scpath = c8_calib_sidecar_path(opt->calib_cache);
    struct stat st;
    c8_calib_sidecar *side = NULL;
    if (s == C8_OK && scpath && stat(scpath, &st) == 0) s = c8_calib_sidecar_read(scpath, &side, err);
    if (s == C8_OK && side) {
        c8_calib_expect ex = {0};
        ex.model_sha256 = mg->sha256;
        ex.allow_extra = true;
        s = c8_calib_check(opt->calib_cache, cache, side, &ex, NULL, NULL, err);
        if (s == C8_ERR_MISMATCH && opt->allow_cache_mismatch) {
            if (opt->log) fprintf(opt->log, "warning: %s (used anyway)\n", err->msg);
            s = C8_OK;
        } else if (s == C8_ERR_MISMATCH) {
            c8_err_prefix(err, "stale calibration cache (rebuild it with calib8 calibrate, or "
                               "pass --allow-cache-mismatch)");
        }
    }
    free(scpath);
    c8_calib_sidecar_destroy(side);
    if (s != C8_OK) {
        c8_calib_cache_destroy(cache);
        return s;
    }
    *out = cache;
    return C8_OK;
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
    if (opt->device != C8_DEVICE_CPU)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: the CUDA device is not available in this build of calib8", mg->path);
    c8_calib_cache *cache = NULL;
    char cache_sha[65] = "";
    if (opt->calib_cache) C8_TRY(load_cache(mg, opt, &cache, cache_sha, err));
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
    s = c8_builder_lower(src, opt, cache, e, err);
    if (s != C8_OK) goto fail;
    c8_graph_destroy(src);
    c8_calib_cache_destroy(cache);
    if (opt->log) c8_engine_print_layers(e, opt->log);
    *out = e;
    return C8_OK;
fail:
    c8_graph_destroy(src);
    c8_graph_destroy(dst);
    c8_engine_destroy(e);
    c8_calib_cache_destroy(cache);
    return s;
}

void c8_engine_destroy(c8_engine *e) {
    if (!e) return;
    c8_graph_destroy(e->g);
    for (int i = 0; i < e->n_layers; i++) {
        free(e->layers[i].name);
        free(e->layers[i].op);
    }
    free(e->layers);
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

void c8_engine_layer(const c8_engine *e, int i, const char **name, const char **op,
                     c8_precision *precision, const char **reason) {
    const c8_layer *l = &e->layers[i];
    if (name) *name = l->name;
    if (op) *op = l->op;
    if (precision) *precision = l->precision;
    if (reason) *reason = l->reason;
}

void c8_engine_print_layers(const c8_engine *e, FILE *fp) {
    int count[4] = {0}, reformat = 0;
    fprintf(fp, "%-4s %-40s %-20s %-6s %s\n", "#", "layer", "op", "prec", "reason");
    for (int i = 0; i < e->n_layers; i++) {
        const c8_layer *l = &e->layers[i];
        if (l->role == C8_LAYER_REFORMAT) {
            reformat++;
            continue;
        }
        count[l->precision]++;
        fprintf(fp, "%-4d %-40s %-20s %-6s %s\n", i, l->name, l->op, c8_precision_name(l->precision),
                l->reason);
    }
    fprintf(fp, "layers: %d int8, %d fp16, %d fp32; %d quantize/dequantize reformats\n",
            count[C8_PREC_INT8], count[C8_PREC_FP16], count[C8_PREC_FP32], reformat);
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
    c8_exec *x;
};

/* The CPU's per-layer function: the reference kernels, with FP16 layers emulated by rounding
 * their float inputs (copies) and outputs to binary16, as the GPU stores FP16 tensors. */
static c8_status cpu_layer(void *user, const c8_graph *g, const c8_node *n,
                           const c8_host_tensor *in, c8_host_tensor *out,
                           const c8_host_tensor *residual, c8_error *err) {
    const c8_engine *e = user;
    const c8_layer *l = &e->layers[n->layer];
    if (l->precision != C8_PREC_FP16 || l->role != C8_LAYER_COMPUTE)
        return c8_node_run_ref(g, n, in, out, residual, err);
    c8_host_tensor stack[8], res;
    c8_host_tensor *rin = n->n_in <= 8 ? stack : calloc((size_t)n->n_in, sizeof *rin);
    void **tmp = calloc((size_t)n->n_in + 1, sizeof(void *));
    c8_status s = C8_OK;
    if (!rin || !tmp) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n->n_in; k++) {
        rin[k] = in[k];
        const c8_value *v = c8_node_input(g, n, k);
        if (!v || v->kind == C8_VAL_CONST || in[k].dtype != C8_DT_FLOAT || !in[k].data) continue;
        size_t cnt = (size_t)c8_shape_numel(&in[k].shape);
        tmp[k] = malloc(cnt * sizeof(float) + 1);
        if (!tmp[k]) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(tmp[k], in[k].data, cnt * sizeof(float));
        c8_fp16_round_buf(tmp[k], cnt);
        rin[k].data = tmp[k];
    }
    const c8_host_tensor *rres = residual;
    if (residual) {
        size_t cnt = (size_t)c8_shape_numel(&residual->shape);
        res = *residual;
        tmp[n->n_in] = malloc(cnt * sizeof(float) + 1);
        if (!tmp[n->n_in]) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(tmp[n->n_in], residual->data, cnt * sizeof(float));
        c8_fp16_round_buf(tmp[n->n_in], cnt);
        res.data = tmp[n->n_in];
        rres = &res;
    }
    s = c8_node_run_ref(g, n, rin, out, rres, err);
    for (int k = 0; s == C8_OK && k < n->n_out; k++)
        if (out[k].data && out[k].dtype == C8_DT_FLOAT)
            c8_fp16_round_buf(out[k].data, (size_t)c8_shape_numel(&out[k].shape));
done:
    if (tmp)
        for (int k = 0; k <= n->n_in; k++) free(tmp[k]);
    free(tmp);
    if (rin != stack) free(rin);
    return s;
}

c8_status c8_context_create(c8_engine *e, c8_context **out, c8_error *err) {
    *out = NULL;
    c8_context *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c->e = e;
    c8_status s = c8_exec_create(e->g, cpu_layer, e, &c->x, err);
    if (s != C8_OK) {
        free(c);
        return s;
    }
    *out = c;
    return C8_OK;
}

void c8_context_destroy(c8_context *c) {
    if (!c) return;
    c8_exec_destroy(c->x);
    free(c);
}

c8_status c8_context_set_observer(c8_context *c, c8_tensor_observer fn, void *user,
                                  const char *const *names, int n_names, c8_error *err) {
    return c8_exec_set_observer(c->x, fn, user, names, n_names, err);
}

c8_status c8_context_run(c8_context *c, const c8_host_tensor *inputs, int n, c8_error *err) {
    return c8_exec_run(c->x, inputs, n, err);
}

c8_status c8_context_output(c8_context *c, int i, c8_host_tensor *out, c8_error *err) {
    return c8_exec_output(c->x, i, out, err);
}
