/* c8_model: an imported, checked and shape-inferred ONNX graph (public API in engine.h). */
#include "calib8/engine.h"

#include "ops/infer.h"
#include "engine/model_internal.h"
#include "engine/onnx/onnx_import.h"
#include "ops/ops.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

void c8_model_options_init(c8_model_options *o) {
    memset(o, 0, sizeof *o);
    o->fold_constants = true;
}

static c8_status collect_calib_names(c8_model *m, c8_error *err) {
    const c8_graph *g = m->g;
    m->calib_names = calloc((size_t)(g->n_vals ? g->n_vals : 1), sizeof(char *));
    if (!m->calib_names) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    m->n_calib = 0;
    for (int i = 0; i < g->n_inputs; i++) {
        const c8_value *v = &g->vals[g->inputs[i]];
        if (v->dtype == C8_DT_FLOAT) m->calib_names[m->n_calib++] = v->name;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++) {
            if (n->out[k] < 0) continue;
            const c8_value *v = &g->vals[n->out[k]];
            if (v->dtype == C8_DT_FLOAT && v->kind == C8_VAL_ACTIVATION)
                m->calib_names[m->n_calib++] = v->name;
        }
    }
    return C8_OK;
}

c8_status c8_model_from_graph(c8_graph *g, bool fold, c8_model **out, c8_error *err) {
    *out = NULL;
    c8_status s = c8_graph_check_ops(g, err);
    if (s == C8_OK) s = c8_graph_infer(g, fold, NULL, err);
    if (s != C8_OK) {
        c8_graph_destroy(g);
        return s;
    }
    c8_model *m = calloc(1, sizeof *m);
    if (!m) {
        c8_graph_destroy(g);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    m->g = g;
    s = collect_calib_names(m, err);
    if (s != C8_OK) {
        c8_model_destroy(m);
        return s;
    }
    *out = m;
    return C8_OK;
}

c8_status c8_model_load(const char *path, const c8_model_options *opt, c8_model **out,
                        c8_error *err) {
    c8_model_options d;
    if (!opt) {
        c8_model_options_init(&d);
        opt = &d;
    }
    c8_graph *g;
    C8_TRY(c8_onnx_import(path, opt->max_file_bytes, &g, err));
    return c8_model_from_graph(g, opt->fold_constants, out, err);
}

void c8_model_destroy(c8_model *m) {
    if (!m) return;
    c8_graph_destroy(m->g);
    free(m->calib_names);
    free(m->prof);
    free(m);
}

const char *c8_model_path(const c8_model *m) { return m->g->path; }
const char *c8_model_sha256(const c8_model *m) { return m->g->sha256; }
int c8_model_num_nodes(const c8_model *m) { return m->g->n_nodes; }
const char *c8_model_node_name(const c8_model *m, int i) {
    if (i < 0 || i >= m->g->n_nodes) return NULL;
    return m->g->nodes[i].name ? m->g->nodes[i].name : "";
}
int64_t c8_model_opset(const c8_model *m) { return m->g->opset; }
int c8_model_num_inputs(const c8_model *m) { return m->g->n_inputs; }
int c8_model_num_outputs(const c8_model *m) { return m->g->n_outputs; }

void c8_model_input(const c8_model *m, int i, const char **name, c8_dtype *dtype, c8_shape *shape) {
    const c8_value *v = &m->g->vals[m->g->inputs[i]];
    if (name) *name = v->name;
    if (dtype) *dtype = v->dtype;
    if (shape) *shape = v->shape;
}

void c8_model_output(const c8_model *m, int i, const char **name, c8_dtype *dtype,
                     c8_shape *shape) {
    const c8_value *v = &m->g->vals[m->g->outputs[i]];
    if (name) *name = v->name;
    if (dtype) *dtype = v->dtype;
    if (shape) *shape = v->shape;
}

int c8_model_find_input(const c8_model *m, const char *name) {
    for (int i = 0; i < m->g->n_inputs; i++)
        if (!strcmp(m->g->vals[m->g->inputs[i]].name, name)) return i;
    return -1;
}

/* The input `name` names (NULL or "": the only input) -> *idx; the errors name the model and,
 * for a model of several inputs, what the caller was given ("shape is given ..."). */
static c8_status input_named(const c8_model *m, const char *name, const char *given, int *idx,
                             c8_error *err) {
    const c8_graph *g = m->g;
    if (!name || !*name) {
        if (g->n_inputs != 1)
            return c8_err(err, C8_ERR_USAGE, "%s: the model has %d inputs; name the one whose %s",
                          g->path, g->n_inputs, given);
        *idx = 0;
        return C8_OK;
    }
    *idx = c8_model_find_input(m, name);
    if (*idx < 0) return c8_err(err, C8_ERR_NOT_FOUND, "%s: no input called '%s'", g->path, name);
    return C8_OK;
}

c8_status c8_model_set_input_shape(c8_model *m, const char *name, const c8_shape *shape,
                                   c8_error *err) {
    c8_graph *g = m->g;
    int idx;
    C8_TRY(input_named(m, name, "shape is given (NAME:NxCxHxW)", &idx, err));
    c8_value *v = &g->vals[g->inputs[idx]];
    char want[96], got[96];
    bool ok = shape->rank == v->shape.rank;
    for (int d = 0; ok && d < shape->rank; d++)
        if (shape->d[d] <= 0 || (v->shape.d[d] >= 0 && v->shape.d[d] != shape->d[d])) ok = false;
    if (!ok)
        return c8_err(err, C8_ERR_SHAPE, "%s: input '%s' has shape %s; %s does not fit it", g->path,
                      v->name, c8_shape_str(&v->shape, want, sizeof want),
                      c8_shape_str(shape, got, sizeof got));
    v->shape = *shape;
    if (m->prof) m->prof[idx].set = false; /* a pinned shape replaces a profile */
    return c8_graph_infer(g, true, NULL, err);
}

c8_status c8_model_set_input_profile(c8_model *m, const char *name, const c8_shape *min,
                                     const c8_shape *opt, const c8_shape *max, c8_error *err) {
    c8_graph *g = m->g;
    int idx;
    C8_TRY(input_named(m, name, "profile is given", &idx, err));
    c8_value *v = &g->vals[g->inputs[idx]];
    c8_profile p = {true, *min, *opt, *max};
    char what[600];
    snprintf(what, sizeof what, "%s: input '%s'", g->path, v->name);
    C8_TRY(c8_profile_validate(&p, &v->shape, what, err));
    if (!m->prof) {
        m->prof = calloc((size_t)g->n_inputs, sizeof *m->prof);
        if (!m->prof) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    /* extents with min = max are fixed; the others stay dynamic for the engine to specialize */
    c8_shape old = v->shape;
    for (int d = 0; d < v->shape.rank; d++) v->shape.d[d] = min->d[d] == max->d[d] ? min->d[d] : -1;
    c8_status s = c8_graph_infer(g, true, NULL, err);
    if (s != C8_OK) {
        v->shape = old;
        c8_error ignore = {0};
        c8_graph_infer(g, true, NULL, &ignore);
        return s;
    }
    m->prof[idx] = p;
    return C8_OK;
}

bool c8_model_input_profile(const c8_model *m, int i, c8_shape *min, c8_shape *opt, c8_shape *max) {
    if (!m->prof || i < 0 || i >= m->g->n_inputs || !m->prof[i].set) return false;
    if (min) *min = m->prof[i].min;
    if (opt) *opt = m->prof[i].opt;
    if (max) *max = m->prof[i].max;
    return true;
}

int c8_model_calibration_tensors(const c8_model *m, const char *const **names) {
    *names = m->calib_names;
    return m->n_calib;
}

const c8_graph *c8_model_graph(const c8_model *m) { return m->g; }

/* ---- inspect ---- */

static int64_t const_params(const c8_graph *g, const c8_node *n) {
    int64_t p = 0;
    for (int k = 0; k < n->n_in; k++) {
        if (n->in[k] < 0) continue;
        const c8_value *v = &g->vals[n->in[k]];
        if (v->kind == C8_VAL_CONST && v->dtype == C8_DT_FLOAT) {
            int64_t e = c8_shape_numel(&v->shape);
            if (e > 0) p += e;
        }
    }
    return p;
}

int64_t c8_node_flops(const c8_graph *g, const c8_node *n) {
    const c8_value *y = c8_node_output(g, n, 0);
    if (!y || y->shape.rank < 0) return -1;
    int64_t out = c8_shape_numel(&y->shape);
    if (out < 0) return -1;
    switch (n->op) {
    case C8_OP_CONV:
    case C8_OP_FUSED_CONV:
    case C8_OP_CONV_TRANSPOSE: {
        const c8_value *w = c8_node_input(g, n, 1);
        const c8_value *x = c8_node_input(g, n, 0);
        if (!w || w->shape.rank < 3 || !x || x->shape.rank < 3) return -1;
        int64_t per = 1; /* MACs per output element: (C/group) * kernel extent */
        for (int d = 1; d < w->shape.rank; d++) per *= w->shape.d[d];
        if (n->op == C8_OP_CONV_TRANSPOSE) {
            int64_t in = c8_shape_numel(&x->shape);
            int64_t kout = 1;
            for (int d = 1; d < w->shape.rank; d++) kout *= w->shape.d[d];
            return in < 0 ? -1 : 2 * in * kout;
        }
        return 2 * out * per;
    }
    case C8_OP_GEMM:
    case C8_OP_MATMUL: {
        const c8_value *a = c8_node_input(g, n, 0);
        if (!a || a->shape.rank < 1) return -1;
        int64_t k = a->shape.d[a->shape.rank - 1];
        if (n->op == C8_OP_GEMM && c8_node_attr_i(n, "transA", 0)) k = a->shape.d[0];
        return k < 0 ? -1 : 2 * out * k;
    }
    default: return out;
    }
}

void c8_model_print(const c8_model *m, FILE *fp) {
    const c8_graph *g = m->g;
    char sb[128];
    fprintf(fp, "model: %s\n", g->path);
    fprintf(fp, "sha256: %s\n", g->sha256);
    fprintf(fp, "opset: %lld, ir_version: %lld, producer: %s\n", (long long)g->opset,
            (long long)g->ir_version, g->producer[0] ? g->producer : "(none)");
    fprintf(fp, "inputs:\n");
    for (int i = 0; i < g->n_inputs; i++) {
        const c8_value *v = &g->vals[g->inputs[i]];
        fprintf(fp, "  %s: %s %s\n", v->name, c8_dtype_name(v->dtype),
                c8_shape_str(&v->shape, sb, sizeof sb));
    }
    fprintf(fp, "outputs:\n");
    for (int i = 0; i < g->n_outputs; i++) {
        const c8_value *v = &g->vals[g->outputs[i]];
        fprintf(fp, "  %s: %s %s\n", v->name, c8_dtype_name(v->dtype),
                v->shape.rank < 0 ? "?" : c8_shape_str(&v->shape, sb, sizeof sb));
    }
    fprintf(fp, "nodes (%d):\n", g->n_nodes);
    fprintf(fp, "  %-4s %-32s %-18s %-44s %12s %14s\n", "#", "name", "op", "output shape", "params",
            "FLOPs");
    int64_t tot_p = 0, tot_f = 0;
    bool flops_known = true;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        const c8_value *y = c8_node_output(g, n, 0);
        int64_t p = const_params(g, n), f = c8_node_flops(g, n);
        tot_p += p;
        if (f < 0)
            flops_known = false;
        else
            tot_f += f;
        char fs[32];
        if (f < 0)
            snprintf(fs, sizeof fs, "?");
        else
            snprintf(fs, sizeof fs, "%lld", (long long)f);
        const char *label = n->fusion.label ? n->fusion.label : n->name;
        fprintf(fp, "  %-4d %-32s %-18s %-44s %12lld %14s\n", i, label, c8_op_name(n->op),
                y ? (y->shape.rank < 0 ? "?" : c8_shape_str(&y->shape, sb, sizeof sb)) : "-",
                (long long)p, fs);
        fprintf(fp, "       in:");
        for (int k = 0; k < n->n_in; k++)
            fprintf(fp, " %s", n->in[k] >= 0 ? g->vals[n->in[k]].name : "(none)");
        if (n->fusion.residual >= 0) fprintf(fp, " +residual %s", g->vals[n->fusion.residual].name);
        fprintf(fp, "  out:");
        for (int k = 0; k < n->n_out; k++)
            fprintf(fp, " %s", n->out[k] >= 0 ? g->vals[n->out[k]].name : "(none)");
        fprintf(fp, "\n");
    }
    fprintf(fp, "total: %d nodes, %lld parameters, %s%lld FLOPs%s\n", g->n_nodes, (long long)tot_p,
            flops_known ? "" : ">= ", (long long)tot_f,
            flops_known ? "" : " (some shapes are dynamic; pin them with --shape)");
}
