/* c8_engine and c8_context (public API in engine.h): a model compiled for a backend and
 * per-layer precisions, and its executions. */
#include "calib8/engine.h"

#include "engine/engine_internal.h"
#include "engine/exec.h"
#include "engine/model_internal.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

void c8_build_options_init(c8_build_options *o) {
    memset(o, 0, sizeof *o);
    o->device = C8_DEVICE_CPU;
    o->precision = C8_PREC_FP32;
    o->fallback = C8_PREC_FP32;
    o->passes = true;
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
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: only the CPU device is available in this build",
                      mg->path);
    if (opt->precision != C8_PREC_FP32)
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: only FP32 engines are available in this build",
                      mg->path);
    c8_engine *e = calloc(1, sizeof *e);
    if (!e) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    e->g = c8_graph_clone(mg);
    if (!e->g) {
        free(e);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory copying the graph", mg->path);
    }
    e->device = opt->device;
    e->precision = opt->precision;
    *out = e;
    return C8_OK;
}

void c8_engine_destroy(c8_engine *e) {
    if (!e) return;
    c8_graph_destroy(e->g);
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

struct c8_context {
    c8_engine *e;
    c8_exec *x;
};

c8_status c8_context_create(c8_engine *e, c8_context **out, c8_error *err) {
    *out = NULL;
    c8_context *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c->e = e;
    c8_status s = c8_exec_create(e->g, NULL, NULL, &c->x, err);
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
