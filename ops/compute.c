/* The compute-op family: Conv, FusedConv, ConvTranspose, BatchNormalization, MaxPool,
 * AveragePool, GlobalAveragePool, GlobalMaxPool, Gemm, MatMul, Softmax, LRN. For each op: check
 * (attributes, opset forms), infer (dtypes and shapes, unknown extents propagated) and run
 * (attributes -> kernel descriptors -> kernels/ref/). The contract is ops/ops.h; the kernels'
 * semantics are documented in kernels/ref/ref.h. Tests: tests/ops/test_ops_compute.c and the
 * ONNX conformance runner. */
#include "ops/ops.h"
#include "ops/geometry.h"

#include "util/shape.h"
#include "kernels/ref/ref.h"
#include "util/arith.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

#define SHAPE_BUF 160

/* Re-raises a message from shape_util (which has no node context) with the node prefix. */
static c8_status node_wrap(c8_error *err, const c8_graph *g, const c8_node *n, c8_status s) {
    if (!err) return s;
    return c8_node_err(err, g, n, s, "%s", err->msg);
}

/* ---- attributes ---- */

typedef struct attr_spec {
    const char *name;
    c8_attr_type type;
    int64_t since, until; /* opsets in which ONNX defines it; until 0: still defined */
} attr_spec;

static const char *attr_type_name(c8_attr_type t) {
    switch (t) {
    case C8_ATTR_FLOAT: return "float";
    case C8_ATTR_INT: return "int";
    case C8_ATTR_STRING: return "string";
    case C8_ATTR_TENSOR: return "tensor";
    case C8_ATTR_GRAPH: return "graph";
    case C8_ATTR_FLOATS: return "floats";
    case C8_ATTR_INTS: return "ints";
    case C8_ATTR_STRINGS: return "strings";
    case C8_ATTR_UNDEFINED: break;
    }
    return "undefined";
}

/* Every attribute of n must be one ONNX defines for this op at g->opset, with its type. */
static c8_status check_attrs(const c8_graph *g, const c8_node *n, const attr_spec *sp, int ns,
                             c8_error *err) {
    for (int i = 0; i < n->n_attrs; i++) {
        const c8_attr *a = &n->attrs[i];
        const attr_spec *s = NULL;
        for (int k = 0; k < ns; k++)
            if (strcmp(sp[k].name, a->name) == 0) s = &sp[k];
        if (!s || g->opset < s->since || (s->until && g->opset > s->until))
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "attribute '%s' is not defined for %s in opset %lld", a->name,
                               n->op_type, (long long)g->opset);
        if (a->type != s->type)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "attribute '%s' has type %s, expected %s",
                               a->name, attr_type_name(a->type), attr_type_name(s->type));
    }
    return C8_OK;
}

/* ---- dtypes and shapes ---- */

/* Required inputs 0..count-1 are present (the registry checks this at load; infer is also called
 * directly by passes and tests). */
static c8_status need_inputs(const c8_graph *g, const c8_node *n, int count, c8_error *err) {
    for (int k = 0; k < count; k++)
        if (!c8_node_input(g, n, k))
            return c8_node_err(err, g, n, C8_ERR_INVALID, "required input %d is missing", k);
    return C8_OK;
}

/* Float32 (or not yet known) input k; anything else is unsupported by the reference path. */
static c8_status need_float(const c8_graph *g, const c8_node *n, int k, const char *role,
                            c8_error *err) {
    const c8_value *v = c8_node_input(g, n, k);
    if (v && v->dtype != C8_DT_FLOAT && v->dtype != C8_DT_UNDEFINED)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "input %s '%s' has dtype %s; only float32 is supported", role, v->name,
                           c8_dtype_name(v->dtype));
    return C8_OK;
}

/* Sets output k to float32 with shape s, after checking that a fully known shape's element count
 * and byte size fit. */
static c8_status set_out(c8_graph *g, c8_node *n, int k, const c8_shape *s, c8_error *err) {
    c8_value *v = c8_node_output(g, n, k);
    if (!v) return C8_OK;
    bool known = s->rank >= 0;
    for (int i = 0; known && i < s->rank; i++) known = s->d[i] >= 0;
    if (known) {
        c8_status st = c8_shape_count(s, sizeof(float), v->name, NULL, NULL, err);
        if (st != C8_OK) return node_wrap(err, g, n, st);
    }
    v->dtype = C8_DT_FLOAT;
    v->shape = *s;
    return C8_OK;
}

static c8_shape unknown_rank(void) {
    c8_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

static const char *shp(const c8_shape *s, char *buf) {
    if (s->rank < 0) {
        snprintf(buf, SHAPE_BUF, "(unknown rank)");
        return buf;
    }
    return c8_shape_str(s, buf, SHAPE_BUF);
}

/* Known extent a vs known extent b: both known and different. */
static bool differ(int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; }

/* Run-time: required input k present, float32, fully known shape. */
static c8_status run_input(const c8_op_run *r, int k, const char *role, c8_error *err) {
    const c8_host_tensor *t = &r->in[k];
    if (k >= r->n->n_in || !t->data)
        return c8_node_err(err, r->g, r->n, C8_ERR_INVALID, "input %s has no data", role);
    if (t->dtype != C8_DT_FLOAT)
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED,
                           "input %s '%s' has dtype %s; only float32 is supported", role,
                           t->name ? t->name : "?", c8_dtype_name(t->dtype));
    c8_status s = c8_shape_count(&t->shape, sizeof(float), t->name, NULL, NULL, err);
    return s == C8_OK ? C8_OK : node_wrap(err, r->g, r->n, s);
}

/* Run-time: the output buffer exists and has the shape this node computes. */
static c8_status run_output(const c8_op_run *r, int k, const c8_shape *want, c8_error *err) {
    const c8_host_tensor *t = &r->out[k];
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    if (!t->data)
        return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL, "output %d has no buffer", k);
    if (t->dtype != C8_DT_FLOAT || !c8_shape_equal(&t->shape, want))
        return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL,
                           "output %d buffer is %s %s, but the node computes float32 %s", k,
                           c8_dtype_name(t->dtype), shp(&t->shape, b1), shp(want, b2));
    return C8_OK;
}

/* ---- fusion (Conv, FusedConv, Gemm) ---- */

static c8_status check_fusion(const c8_graph *g, const c8_node *n, c8_error *err) {
    const c8_fusion *f = &n->fusion;
    if (f->act != C8_ACT_NONE && f->act != C8_ACT_RELU && f->act != C8_ACT_CLIP &&
        f->act != C8_ACT_LEAKY_RELU && f->act != C8_ACT_SIGMOID && f->act != C8_ACT_HARDSWISH)
        return c8_node_err(err, g, n, C8_ERR_INTERNAL, "fused activation %d is unknown",
                           (int)f->act);
    if (f->residual >= g->n_vals || f->residual < -1)
        return c8_node_err(err, g, n, C8_ERR_INTERNAL, "fused residual index %d is out of range",
                           f->residual);
    if (f->act == C8_ACT_CLIP && !(f->act_a <= f->act_b))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "fused Clip has min %g > max %g",
                           (double)f->act_a, (double)f->act_b);
    return C8_OK;
}

/* The fused residual must have exactly the output's shape (the fusion pass only fuses such Adds).
 */
static c8_status infer_residual(const c8_graph *g, const c8_node *n, const c8_shape *y,
                                c8_error *err) {
    if (n->fusion.residual < 0) return C8_OK;
    if (n->fusion.residual >= g->n_vals)
        return c8_node_err(err, g, n, C8_ERR_INTERNAL, "fused residual index %d is out of range",
                           n->fusion.residual);
    const c8_value *r = &g->vals[n->fusion.residual];
    if (r->dtype != C8_DT_FLOAT && r->dtype != C8_DT_UNDEFINED)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "fused residual '%s' has dtype %s; only float32 is supported", r->name,
                           c8_dtype_name(r->dtype));
    if (r->shape.rank < 0 || y->rank < 0) return C8_OK;
    bool bad = r->shape.rank != y->rank;
    for (int i = 0; !bad && i < y->rank; i++) bad = differ(r->shape.d[i], y->d[i]);
    if (bad) {
        char b1[SHAPE_BUF], b2[SHAPE_BUF];
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "fused residual '%s' (%s) does not match the output shape %s", r->name,
                           shp(&r->shape, b1), shp(y, b2));
    }
    return C8_OK;
}

/* y = act(y + residual) over the node's output. */
static c8_status run_epilogue(const c8_op_run *r, float *y, const c8_shape *ys, c8_error *err) {
    const c8_fusion *f = &r->n->fusion;
    const float *res = NULL;
    if (f->residual >= 0) {
        char b1[SHAPE_BUF], b2[SHAPE_BUF];
        if (!r->residual || !r->residual->data)
            return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL, "fused residual has no data");
        if (r->residual->dtype != C8_DT_FLOAT || !c8_shape_equal(&r->residual->shape, ys))
            return c8_node_err(
                err, r->g, r->n, C8_ERR_SHAPE, "fused residual is %s %s, the output is float32 %s",
                c8_dtype_name(r->residual->dtype), shp(&r->residual->shape, b1), shp(ys, b2));
        res = r->residual->data;
    }
    if (f->act == C8_ACT_NONE && !res) return C8_OK;
    c8_epilogue e = {(int)f->act, f->act_a, f->act_b};
    c8_ref_epilogue(&e, res, y, c8_shape_numel(ys));
    return C8_OK;
}

/* ---- sliding-window attributes (Conv, ConvTranspose, MaxPool, AveragePool) ---- */

typedef struct win_attrs {
    c8_auto_pad auto_pad;
    const int64_t *kernel, *strides, *dilations, *pads;
    size_t n_kernel, n_strides, n_dilations, n_pads;
    int nsp; /* spatial rank implied by the attributes, or -1 if none has a length */
} win_attrs;

/* Reads and validates auto_pad, kernel_shape, strides, dilations, pads: values >= 1 (pads >= 0),
 * lengths consistent with each other and within 1..3 spatial axes. Shapes are not consulted. */
static c8_status read_win(const c8_graph *g, const c8_node *n, win_attrs *w, c8_error *err) {
    memset(w, 0, sizeof *w);
    const char *ap = c8_node_attr_s(n, "auto_pad", "NOTSET");
    if (!c8_auto_pad_parse(ap, &w->auto_pad))
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap);
    w->n_kernel = c8_node_attr_ints(n, "kernel_shape", &w->kernel);
    w->n_strides = c8_node_attr_ints(n, "strides", &w->strides);
    w->n_dilations = c8_node_attr_ints(n, "dilations", &w->dilations);
    w->n_pads = c8_node_attr_ints(n, "pads", &w->pads);
    struct {
        const char *name;
        const int64_t *v;
        size_t len, per_axis;
        int64_t min;
    } lists[] = {{"kernel_shape", w->kernel, w->n_kernel, 1, 1},
                 {"strides", w->strides, w->n_strides, 1, 1},
                 {"dilations", w->dilations, w->n_dilations, 1, 1},
                 {"pads", w->pads, w->n_pads, 2, 0}};
    w->nsp = -1;
    const char *first = NULL;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (lists[i].len == 0) continue; /* absent, or an empty list: the default */
        if (lists[i].len % lists[i].per_axis != 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "%s has %zu values", lists[i].name,
                               lists[i].len);
        int ax = (int)(lists[i].len / lists[i].per_axis);
        if (ax > C8_MAX_SPATIAL)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                               "%s implies %d spatial axes; calib8 supports 1 to %d", lists[i].name,
                               ax, C8_MAX_SPATIAL);
        if (w->nsp >= 0 && ax != w->nsp)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "%s implies %d spatial axes but %s implies %d", lists[i].name, ax,
                               first, w->nsp);
        w->nsp = ax;
        first = lists[i].name;
        for (size_t k = 0; k < lists[i].len; k++)
            if (lists[i].v[k] < lists[i].min)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "%s[%zu] = %lld must be >= %lld",
                                   lists[i].name, k, (long long)lists[i].v[k],
                                   (long long)lists[i].min);
    }
    return C8_OK;
}

/* Spatial rank from the input ranks and attributes; -1 if unknown. Errors on disagreement. */
static c8_status spatial_rank(const c8_graph *g, const c8_node *n, const win_attrs *w,
                              const c8_value *x, const c8_value *wt, int *nsp, c8_error *err) {
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    *nsp = w->nsp;
    if (x && x->shape.rank >= 0) {
        int r = x->shape.rank - 2;
        if (r < 1 || r > C8_MAX_SPATIAL)
            return c8_node_err(err, g, n, r < 1 ? C8_ERR_SHAPE : C8_ERR_UNSUPPORTED,
                               "input '%s' has shape %s; expected (N, C, D1[, D2[, D3]]): calib8 "
                               "supports 1 to %d spatial axes",
                               x->name, shp(&x->shape, b1), C8_MAX_SPATIAL);
        if (*nsp >= 0 && r != *nsp)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "input '%s' (%s) has %d spatial axes but the attributes give %d",
                               x->name, shp(&x->shape, b1), r, *nsp);
        *nsp = r;
    }
    if (wt && wt->shape.rank >= 0) {
        int r = wt->shape.rank - 2;
        if (r < 1 || r > C8_MAX_SPATIAL || (*nsp >= 0 && r != *nsp))
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "weight '%s' has shape %s, which does not fit input %s", wt->name,
                               shp(&wt->shape, b1), x ? shp(&x->shape, b2) : "?");
        *nsp = r;
    }
    return C8_OK;
}

/* Output spatial extents (and the pads applied) for a Conv or pool: in[i] may be unknown. */
static c8_status window_out(const c8_graph *g, const c8_node *n, const win_attrs *w, int nsp,
                            const int64_t *in, const int64_t *kernel, bool ceil_mode, int64_t *out,
                            int64_t *pb, int64_t *pe, int64_t *stride, int64_t *dil,
                            c8_error *err) {
    for (int i = 0; i < nsp; i++) {
        stride[i] = w->n_strides ? w->strides[i] : 1;
        dil[i] = w->n_dilations ? w->dilations[i] : 1;
        pb[i] = w->n_pads ? w->pads[i] : 0;
        pe[i] = w->n_pads ? w->pads[nsp + i] : 0;
        if (kernel[i] < 0) { /* kernel extent unknown (weights of unknown shape) */
            out[i] = -1;
            continue;
        }
        c8_status s = c8_window_extent(i, in[i], kernel[i], stride[i], dil[i], w->auto_pad,
                                       ceil_mode, &pb[i], &pe[i], &out[i], err);
        if (s != C8_OK) return node_wrap(err, g, n, s);
    }
    return C8_OK;
}

/* ---- Conv / FusedConv ---- */

static const attr_spec k_conv_attrs[] = {
    {"auto_pad", C8_ATTR_STRING, 1, 0}, {"dilations", C8_ATTR_INTS, 1, 0},
    {"group", C8_ATTR_INT, 1, 0},       {"kernel_shape", C8_ATTR_INTS, 1, 0},
    {"pads", C8_ATTR_INTS, 1, 0},       {"strides", C8_ATTR_INTS, 1, 0},
};

static c8_status conv_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(
        check_attrs(g, n, k_conv_attrs, (int)(sizeof k_conv_attrs / sizeof k_conv_attrs[0]), err));
    win_attrs w;
    C8_TRY(read_win(g, n, &w, err));
    int64_t group = c8_node_attr_i(n, "group", 1);
    if (group < 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "group=%lld must be >= 1", (long long)group);
    return check_fusion(g, n, err);
}

/* Everything about a Conv that follows from attributes and input shapes; extents that are not
 * known yet are -1 in y (and in the descriptor). */
static c8_status conv_geometry(const c8_graph *g, const c8_node *n, const c8_shape *xs,
                               const c8_shape *ws, const c8_shape *bs, c8_conv_desc *d,
                               c8_shape *ys, c8_error *err) {
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    const c8_value *xv = c8_node_input(g, n, 0), *wv = c8_node_input(g, n, 1);
    const char *xn = xv ? xv->name : "X", *wn = wv ? wv->name : "W";
    win_attrs w;
    C8_TRY(read_win(g, n, &w, err));
    c8_value xtmp = {0}, wtmp = {0};
    xtmp.name = (char *)xn;
    xtmp.shape = *xs;
    wtmp.name = (char *)wn;
    wtmp.shape = *ws;
    int nsp;
    C8_TRY(spatial_rank(g, n, &w, &xtmp, &wtmp, &nsp, err));
    memset(d, 0, sizeof *d);
    if (nsp < 0) {
        *ys = unknown_rank();
        return C8_OK;
    }
    d->nsp = nsp;
    d->group = c8_node_attr_i(n, "group", 1);
    d->N = xs->rank >= 0 ? xs->d[0] : -1;
    d->C = xs->rank >= 0 ? xs->d[1] : -1;
    d->K = ws->rank >= 0 ? ws->d[0] : -1;
    const int64_t cg_w = ws->rank >= 0 ? ws->d[1] : -1;
    if (d->C >= 0 && d->C % d->group != 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "group=%lld does not divide %lld input channels (input '%s' %s)",
                           (long long)d->group, (long long)d->C, xn, shp(xs, b1));
    if (d->K >= 0 && d->K % d->group != 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "group=%lld does not divide %lld output channels (weight '%s' %s)",
                           (long long)d->group, (long long)d->K, wn, shp(ws, b1));
    if (d->C >= 0 && cg_w >= 0 && d->C != cg_w * d->group)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "input '%s' (%s) has %lld channels but weight '%s' (%s) expects "
                           "%lld x group %lld = %lld",
                           xn, shp(xs, b1), (long long)d->C, wn, shp(ws, b2), (long long)cg_w,
                           (long long)d->group, (long long)(cg_w * d->group));
    if (bs && bs->rank >= 0 && (bs->rank != 1 || differ(bs->d[0], d->K)))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "bias has shape %s; expected (%lld) for weight '%s' (%s)", shp(bs, b1),
                           (long long)d->K, wn, shp(ws, b2));
    for (int i = 0; i < nsp; i++) {
        int64_t kw = ws->rank >= 0 ? ws->d[2 + i] : -1;
        if (w.n_kernel && differ(w.kernel[i], kw))
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "kernel_shape[%d] = %lld but weight '%s' has shape %s", i,
                               (long long)w.kernel[i], wn, shp(ws, b1));
        d->kernel[i] = w.n_kernel ? w.kernel[i] : kw;
        d->in[i] = xs->rank >= 0 ? xs->d[2 + i] : -1;
    }
    C8_TRY(window_out(g, n, &w, nsp, d->in, d->kernel, false, d->out, d->pad_begin, d->pad_end,
                      d->stride, d->dilation, err));
    memset(ys, 0, sizeof *ys);
    ys->rank = nsp + 2;
    ys->d[0] = d->N;
    ys->d[1] = d->K;
    for (int i = 0; i < nsp; i++) ys->d[2 + i] = d->out[i];
    return C8_OK;
}

static const c8_shape *opt_shape(const c8_graph *g, const c8_node *n, int k) {
    const c8_value *v = c8_node_input(g, n, k);
    return v ? &v->shape : NULL;
}

c8_status c8_op_conv_desc(const c8_graph *g, const c8_node *n, c8_conv_desc *d, c8_error *err) {
    c8_shape ys;
    return conv_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape,
                         opt_shape(g, n, 2), d, &ys, err);
}

static c8_status conv_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 2, err));
    C8_TRY(need_float(g, n, 0, "X", err));
    C8_TRY(need_float(g, n, 1, "W", err));
    C8_TRY(need_float(g, n, 2, "B", err));
    c8_conv_desc d;
    c8_shape ys;
    C8_TRY(conv_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape,
                         opt_shape(g, n, 2), &d, &ys, err));
    C8_TRY(infer_residual(g, n, &ys, err));
    return set_out(g, n, 0, &ys, err);
}

static c8_status conv_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "X", err));
    C8_TRY(run_input(r, 1, "W", err));
    const bool has_b = r->n->n_in > 2 && r->in[2].data;
    if (has_b) C8_TRY(run_input(r, 2, "B", err));
    c8_conv_desc d;
    c8_shape ys;
    C8_TRY(conv_geometry(r->g, r->n, &r->in[0].shape, &r->in[1].shape,
                         has_b ? &r->in[2].shape : NULL, &d, &ys, err));
    C8_TRY(run_output(r, 0, &ys, err));
    c8_ref_conv(&d, r->in[0].data, r->in[1].data, has_b ? r->in[2].data : NULL, r->out[0].data);
    return run_epilogue(r, r->out[0].data, &ys, err);
}

/* ---- ConvTranspose ---- */

static const attr_spec k_convt_attrs[] = {
    {"auto_pad", C8_ATTR_STRING, 1, 0},     {"dilations", C8_ATTR_INTS, 1, 0},
    {"group", C8_ATTR_INT, 1, 0},           {"kernel_shape", C8_ATTR_INTS, 1, 0},
    {"output_padding", C8_ATTR_INTS, 1, 0}, {"output_shape", C8_ATTR_INTS, 1, 0},
    {"pads", C8_ATTR_INTS, 1, 0},           {"strides", C8_ATTR_INTS, 1, 0},
};

static c8_status convt_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(check_attrs(g, n, k_convt_attrs, (int)(sizeof k_convt_attrs / sizeof k_convt_attrs[0]),
                       err));
    win_attrs w;
    C8_TRY(read_win(g, n, &w, err));
    int64_t group = c8_node_attr_i(n, "group", 1);
    if (group < 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "group=%lld must be >= 1", (long long)group);
    const int64_t *op, *os;
    size_t nop = c8_node_attr_ints(n, "output_padding", &op);
    size_t nos = c8_node_attr_ints(n, "output_shape", &os);
    for (size_t i = 0; i < nop; i++)
        if (op[i] < 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "output_padding[%zu] = %lld is negative",
                               i, (long long)op[i]);
    for (size_t i = 0; i < nos; i++)
        if (os[i] < 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "output_shape[%zu] = %lld must be >= 1",
                               i, (long long)os[i]);
    if (w.nsp >= 0 && nop && nop != (size_t)w.nsp)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "output_padding has %zu values for %d spatial axes", nop, w.nsp);
    return C8_OK;
}

static bool add_ok(int64_t a, int64_t b, int64_t *out) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return false;
    *out = a + b;
    return true;
}

/* ConvTranspose geometry, per ONNX:
 *   natural = stride*(in-1) + output_padding + (kernel-1)*dilation + 1
 *   output_shape given: out = output_shape, total_pad = natural - out, split by auto_pad
 *     (SAME_UPPER: begin = total/2; otherwise begin = total - total/2);
 *   auto_pad SAME_*: out = in*stride, total_pad as above;  VALID: pads 0;
 *   otherwise out = natural - pad_begin - pad_end. */
static c8_status convt_geometry(const c8_graph *g, const c8_node *n, const c8_shape *xs,
                                const c8_shape *ws, const c8_shape *bs, c8_conv_desc *d,
                                c8_shape *ys, c8_error *err) {
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    const c8_value *xv = c8_node_input(g, n, 0), *wv = c8_node_input(g, n, 1);
    const char *xn = xv ? xv->name : "X", *wn = wv ? wv->name : "W";
    win_attrs w;
    C8_TRY(read_win(g, n, &w, err));
    c8_value xtmp = {0}, wtmp = {0};
    xtmp.name = (char *)xn;
    xtmp.shape = *xs;
    wtmp.name = (char *)wn;
    wtmp.shape = *ws;
    int nsp;
    C8_TRY(spatial_rank(g, n, &w, &xtmp, &wtmp, &nsp, err));
    memset(d, 0, sizeof *d);
    if (nsp < 0) {
        *ys = unknown_rank();
        return C8_OK;
    }
    const int64_t *opad, *oshape;
    size_t n_opad = c8_node_attr_ints(n, "output_padding", &opad);
    size_t n_oshape = c8_node_attr_ints(n, "output_shape", &oshape);
    if (n_opad && n_opad != (size_t)nsp)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "output_padding has %zu values for %d spatial axes", n_opad, nsp);
    /* output_shape holds the spatial extents; some exporters write the full (N, C, ...) shape */
    if (n_oshape == (size_t)nsp + 2)
        oshape += 2;
    else if (n_oshape && n_oshape != (size_t)nsp)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "output_shape has %zu values for %d spatial axes", n_oshape, nsp);
    d->nsp = nsp;
    d->group = c8_node_attr_i(n, "group", 1);
    d->N = xs->rank >= 0 ? xs->d[0] : -1;
    d->C = xs->rank >= 0 ? xs->d[1] : -1;
    const int64_t cw = ws->rank >= 0 ? ws->d[0] : -1, kg = ws->rank >= 0 ? ws->d[1] : -1;
    if (kg >= 0 && !c8_mul_i64(kg, d->group, &d->K))
        return c8_node_err(err, g, n, C8_ERR_NOMEM, "output channels overflow");
    if (kg < 0) d->K = -1;
    if (differ(d->C, cw))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "input '%s' (%s) has %lld channels but weight '%s' (%s) has %lld", xn,
                           shp(xs, b1), (long long)d->C, wn, shp(ws, b2), (long long)cw);
    if (d->C >= 0 && d->C % d->group != 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "group=%lld does not divide %lld input channels (input '%s' %s)",
                           (long long)d->group, (long long)d->C, xn, shp(xs, b1));
    if (bs && bs->rank >= 0 && (bs->rank != 1 || differ(bs->d[0], d->K)))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "bias has shape %s; expected (%lld) for weight '%s' (%s) and group "
                           "%lld",
                           shp(bs, b1), (long long)d->K, wn, shp(ws, b2), (long long)d->group);
    memset(ys, 0, sizeof *ys);
    ys->rank = nsp + 2;
    ys->d[0] = d->N;
    ys->d[1] = d->K;
    for (int i = 0; i < nsp; i++) {
        int64_t kw = ws->rank >= 0 ? ws->d[2 + i] : -1;
        if (w.n_kernel && differ(w.kernel[i], kw))
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "kernel_shape[%d] = %lld but weight '%s' has shape %s", i,
                               (long long)w.kernel[i], wn, shp(ws, b1));
        const int64_t k = w.n_kernel ? w.kernel[i] : kw;
        const int64_t in = xs->rank >= 0 ? xs->d[2 + i] : -1;
        const int64_t s = w.n_strides ? w.strides[i] : 1;
        const int64_t dl = w.n_dilations ? w.dilations[i] : 1;
        const int64_t op = n_opad ? opad[i] : 0;
        d->kernel[i] = k;
        d->in[i] = in;
        d->stride[i] = s;
        d->dilation[i] = dl;
        d->pad_begin[i] = w.n_pads ? w.pads[i] : 0;
        d->pad_end[i] = w.n_pads ? w.pads[nsp + i] : 0;
        if (in == 0)
            return c8_node_err(err, g, n, C8_ERR_SHAPE, "input '%s' (%s) has an empty axis", xn,
                               shp(xs, b1));
        if (in < 0 || k < 0) {
            d->out[i] = n_oshape ? oshape[i] : -1;
            ys->d[2 + i] = d->out[i];
            continue;
        }
        int64_t natural, t;
        if (!c8_mul_i64(s, in - 1, &natural) || !add_ok(natural, op, &natural) ||
            !c8_mul_i64(k - 1, dl, &t) || !add_ok(natural, t + 1, &natural))
            return c8_node_err(err, g, n, C8_ERR_NOMEM, "spatial axis %d: output extent overflows",
                               i);
        int64_t out;
        if (n_oshape || w.auto_pad == C8_AUTO_PAD_SAME_UPPER ||
            w.auto_pad == C8_AUTO_PAD_SAME_LOWER) {
            if (n_oshape)
                out = oshape[i];
            else if (!c8_mul_i64(in, s, &out))
                return c8_node_err(err, g, n, C8_ERR_NOMEM, "spatial axis %d: output overflows", i);
            /* An output_shape beyond the natural extent gets no padding; the positions past
             * the natural extent receive no taps (bias only), as in onnxruntime and ONNX's
             * test_convtranspose_output_shape. */
            const int64_t total = natural - out > 0 ? natural - out : 0;
            if (w.auto_pad == C8_AUTO_PAD_SAME_UPPER) {
                d->pad_begin[i] = total / 2;
                d->pad_end[i] = total - total / 2;
            } else {
                d->pad_begin[i] = total - total / 2;
                d->pad_end[i] = total / 2;
            }
        } else {
            if (w.auto_pad == C8_AUTO_PAD_VALID) d->pad_begin[i] = d->pad_end[i] = 0;
            out = natural - d->pad_begin[i] - d->pad_end[i];
            if (out < 1)
                return c8_node_err(err, g, n, C8_ERR_SHAPE,
                                   "spatial axis %d: pads %lld+%lld leave no output (extent "
                                   "before padding %lld)",
                                   i, (long long)d->pad_begin[i], (long long)d->pad_end[i],
                                   (long long)natural);
        }
        d->out[i] = out;
        ys->d[2 + i] = out;
    }
    return C8_OK;
}

c8_status c8_op_conv_transpose_desc(const c8_graph *g, const c8_node *n, c8_conv_desc *d,
                                    c8_error *err) {
    c8_shape ys;
    return convt_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape,
                          opt_shape(g, n, 2), d, &ys, err);
}

static c8_status convt_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 2, err));
    C8_TRY(need_float(g, n, 0, "X", err));
    C8_TRY(need_float(g, n, 1, "W", err));
    C8_TRY(need_float(g, n, 2, "B", err));
    c8_conv_desc d;
    c8_shape ys;
    C8_TRY(convt_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape,
                          opt_shape(g, n, 2), &d, &ys, err));
    return set_out(g, n, 0, &ys, err);
}

static c8_status convt_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "X", err));
    C8_TRY(run_input(r, 1, "W", err));
    const bool has_b = r->n->n_in > 2 && r->in[2].data;
    if (has_b) C8_TRY(run_input(r, 2, "B", err));
    c8_conv_desc d;
    c8_shape ys;
    C8_TRY(convt_geometry(r->g, r->n, &r->in[0].shape, &r->in[1].shape,
                          has_b ? &r->in[2].shape : NULL, &d, &ys, err));
    C8_TRY(run_output(r, 0, &ys, err));
    c8_ref_conv_transpose(&d, r->in[0].data, r->in[1].data, has_b ? r->in[2].data : NULL,
                          r->out[0].data);
    return C8_OK;
}

/* ---- BatchNormalization (inference) ---- */

static const attr_spec k_bn_attrs[] = {
    {"epsilon", C8_ATTR_FLOAT, 1, 0},      {"momentum", C8_ATTR_FLOAT, 1, 0},
    {"is_test", C8_ATTR_INT, 1, 6},        {"spatial", C8_ATTR_INT, 1, 8},
    {"training_mode", C8_ATTR_INT, 14, 0},
};

static c8_status bn_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(check_attrs(g, n, k_bn_attrs, (int)(sizeof k_bn_attrs / sizeof k_bn_attrs[0]), err));
    if (c8_node_attr_i(n, "spatial", 1) != 1)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "spatial=%lld: only spatial=1 (per-channel statistics) is supported",
                           (long long)c8_node_attr_i(n, "spatial", 1));
    if (c8_node_attr_i(n, "is_test", 1) != 1)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "is_test=0 (training) is not supported; calib8 runs inference only");
    if (c8_node_attr_i(n, "training_mode", 0) != 0)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "training_mode=%lld is not supported; calib8 runs inference only",
                           (long long)c8_node_attr_i(n, "training_mode", 0));
    for (int k = 1; k < n->n_out; k++)
        if (n->out[k] >= 0)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                               "output %d (training statistics) is not supported; calib8 runs "
                               "inference only",
                               k);
    float eps = c8_node_attr_f(n, "epsilon", 1e-5f);
    if (!(eps >= 0.0f))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "epsilon=%g must be >= 0", (double)eps);
    return C8_OK;
}

static const char *const k_bn_roles[5] = {"X", "scale", "B", "mean", "var"};

static c8_status bn_infer(c8_graph *g, c8_node *n, c8_error *err) {
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    C8_TRY(need_inputs(g, n, 5, err));
    for (int k = 0; k < 5; k++) C8_TRY(need_float(g, n, k, k_bn_roles[k], err));
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->shape.rank >= 0 && x->shape.rank < 2)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "input '%s' has shape %s; expected (N, C, ...)",
                           x->name, shp(&x->shape, b1));
    const int64_t C = x->shape.rank >= 0 ? x->shape.d[1] : -1;
    for (int k = 1; k < 5; k++) {
        const c8_value *p = c8_node_input(g, n, k);
        if (p->shape.rank >= 0 && (p->shape.rank != 1 || differ(p->shape.d[0], C)))
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "%s '%s' has shape %s; expected (C) = (%lld) for input '%s' (%s)",
                               k_bn_roles[k], p->name, shp(&p->shape, b1), (long long)C, x->name,
                               shp(&x->shape, b2));
    }
    return set_out(g, n, 0, &x->shape, err);
}

static c8_status bn_run(const c8_op_run *r, c8_error *err) {
    char b1[SHAPE_BUF];
    for (int k = 0; k < 5; k++) C8_TRY(run_input(r, k, k_bn_roles[k], err));
    const c8_shape *xs = &r->in[0].shape;
    if (xs->rank < 2)
        return c8_node_err(err, r->g, r->n, C8_ERR_SHAPE, "input X has shape %s", shp(xs, b1));
    for (int k = 1; k < 5; k++)
        if (r->in[k].shape.rank != 1 || r->in[k].shape.d[0] != xs->d[1])
            return c8_node_err(err, r->g, r->n, C8_ERR_SHAPE, "%s has shape %s, expected (%lld)",
                               k_bn_roles[k], shp(&r->in[k].shape, b1), (long long)xs->d[1]);
    C8_TRY(run_output(r, 0, xs, err));
    c8_bn_desc d = {xs->d[0], xs->d[1], c8_shape_span(xs, 2, xs->rank),
                    c8_node_attr_f(r->n, "epsilon", 1e-5f)};
    c8_ref_batchnorm(&d, r->in[0].data, r->in[1].data, r->in[2].data, r->in[3].data, r->in[4].data,
                     r->out[0].data);
    return C8_OK;
}

/* ---- MaxPool / AveragePool ---- */

static const attr_spec k_maxpool_attrs[] = {
    {"auto_pad", C8_ATTR_STRING, 1, 0}, {"ceil_mode", C8_ATTR_INT, 10, 0},
    {"dilations", C8_ATTR_INTS, 10, 0}, {"kernel_shape", C8_ATTR_INTS, 1, 0},
    {"pads", C8_ATTR_INTS, 1, 0},       {"storage_order", C8_ATTR_INT, 8, 0},
    {"strides", C8_ATTR_INTS, 1, 0},
};
static const attr_spec k_avgpool_attrs[] = {
    {"auto_pad", C8_ATTR_STRING, 1, 0},       {"ceil_mode", C8_ATTR_INT, 10, 0},
    {"count_include_pad", C8_ATTR_INT, 7, 0}, {"dilations", C8_ATTR_INTS, 19, 0},
    {"kernel_shape", C8_ATTR_INTS, 1, 0},     {"pads", C8_ATTR_INTS, 1, 0},
    {"strides", C8_ATTR_INTS, 1, 0},
};

static c8_status pool_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    const bool is_max = n->op == C8_OP_MAXPOOL;
    if (is_max)
        C8_TRY(check_attrs(g, n, k_maxpool_attrs,
                           (int)(sizeof k_maxpool_attrs / sizeof k_maxpool_attrs[0]), err));
    else
        C8_TRY(check_attrs(g, n, k_avgpool_attrs,
                           (int)(sizeof k_avgpool_attrs / sizeof k_avgpool_attrs[0]), err));
    win_attrs w;
    C8_TRY(read_win(g, n, &w, err));
    if (!w.n_kernel)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "kernel_shape is required but missing");
    const int64_t ceil_mode = c8_node_attr_i(n, "ceil_mode", 0);
    if (ceil_mode != 0 && ceil_mode != 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "ceil_mode=%lld must be 0 or 1",
                           (long long)ceil_mode);
    const int64_t cip = c8_node_attr_i(n, "count_include_pad", 0);
    if (cip != 0 && cip != 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "count_include_pad=%lld must be 0 or 1",
                           (long long)cip);
    if (is_max) {
        /* storage_order only orders the Indices output, which calib8 does not produce */
        if (n->n_out > 1 && n->out[1] >= 0)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                               "the Indices output is not supported");
        const int64_t so = c8_node_attr_i(n, "storage_order", 0);
        if (so != 0 && so != 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "storage_order=%lld must be 0 or 1",
                               (long long)so);
    }
    return C8_OK;
}

static c8_status pool_geometry(const c8_graph *g, const c8_node *n, const c8_shape *xs,
                               c8_pool_desc *d, c8_shape *ys, c8_error *err) {
    const c8_value *xv = c8_node_input(g, n, 0);
    win_attrs w;
    C8_TRY(read_win(g, n, &w, err));
    c8_value xtmp = {0};
    xtmp.name = (char *)(xv ? xv->name : "X");
    xtmp.shape = *xs;
    int nsp;
    if (!w.n_kernel)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "kernel_shape is required but missing");
    C8_TRY(spatial_rank(g, n, &w, &xtmp, NULL, &nsp, err));
    memset(d, 0, sizeof *d);
    if (nsp < 0) {
        *ys = unknown_rank();
        return C8_OK;
    }
    d->nsp = nsp;
    d->N = xs->rank >= 0 ? xs->d[0] : -1;
    d->C = xs->rank >= 0 ? xs->d[1] : -1;
    d->count_include_pad = c8_node_attr_i(n, "count_include_pad", 0) != 0;
    for (int i = 0; i < nsp; i++) {
        d->kernel[i] = w.kernel[i];
        d->in[i] = xs->rank >= 0 ? xs->d[2 + i] : -1;
    }
    C8_TRY(window_out(g, n, &w, nsp, d->in, d->kernel, c8_node_attr_i(n, "ceil_mode", 0) != 0,
                      d->out, d->pad_begin, d->pad_end, d->stride, d->dilation, err));
    memset(ys, 0, sizeof *ys);
    ys->rank = nsp + 2;
    ys->d[0] = d->N;
    ys->d[1] = d->C;
    for (int i = 0; i < nsp; i++) ys->d[2 + i] = d->out[i];
    return C8_OK;
}

c8_status c8_op_pool_desc(const c8_graph *g, const c8_node *n, c8_pool_desc *d, c8_error *err) {
    c8_shape ys;
    return pool_geometry(g, n, &c8_node_input(g, n, 0)->shape, d, &ys, err);
}

static c8_status pool_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 1, err));
    C8_TRY(need_float(g, n, 0, "X", err));
    c8_pool_desc d;
    c8_shape ys;
    C8_TRY(pool_geometry(g, n, &c8_node_input(g, n, 0)->shape, &d, &ys, err));
    return set_out(g, n, 0, &ys, err);
}

static c8_status pool_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "X", err));
    c8_pool_desc d;
    c8_shape ys;
    C8_TRY(pool_geometry(r->g, r->n, &r->in[0].shape, &d, &ys, err));
    C8_TRY(run_output(r, 0, &ys, err));
    if (r->n->op == C8_OP_MAXPOOL)
        c8_ref_maxpool(&d, r->in[0].data, r->out[0].data);
    else
        c8_ref_avgpool(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- GlobalAveragePool / GlobalMaxPool ---- */

static c8_status gpool_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_attrs(g, n, NULL, 0, err);
}

static c8_status gpool_shape(const c8_graph *g, const c8_node *n, const c8_shape *xs, c8_shape *ys,
                             c8_error *err) {
    char b1[SHAPE_BUF];
    if (xs->rank < 0) {
        *ys = unknown_rank();
        return C8_OK;
    }
    if (xs->rank < 2)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "input has shape %s; expected (N, C, ...)",
                           shp(xs, b1));
    *ys = *xs;
    for (int i = 2; i < xs->rank; i++) ys->d[i] = 1;
    return C8_OK;
}

static c8_status gpool_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 1, err));
    C8_TRY(need_float(g, n, 0, "X", err));
    c8_shape ys;
    C8_TRY(gpool_shape(g, n, &c8_node_input(g, n, 0)->shape, &ys, err));
    return set_out(g, n, 0, &ys, err);
}

static c8_status gpool_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "X", err));
    const c8_shape *xs = &r->in[0].shape;
    c8_shape ys;
    C8_TRY(gpool_shape(r->g, r->n, xs, &ys, err));
    C8_TRY(run_output(r, 0, &ys, err));
    const int64_t nc = xs->d[0] * xs->d[1], s = c8_shape_span(xs, 2, xs->rank);
    if (s == 0)
        return c8_node_err(err, r->g, r->n, C8_ERR_SHAPE, "cannot pool over an empty window");
    if (r->n->op == C8_OP_GLOBAL_MAXPOOL)
        c8_ref_global_maxpool(nc, s, r->in[0].data, r->out[0].data);
    else
        c8_ref_global_avgpool(nc, s, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- Gemm ---- */

static const attr_spec k_gemm_attrs[] = {
    {"alpha", C8_ATTR_FLOAT, 1, 0}, {"beta", C8_ATTR_FLOAT, 1, 0},    {"transA", C8_ATTR_INT, 1, 0},
    {"transB", C8_ATTR_INT, 1, 0},  {"broadcast", C8_ATTR_INT, 1, 6},
};

static c8_status gemm_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(
        check_attrs(g, n, k_gemm_attrs, (int)(sizeof k_gemm_attrs / sizeof k_gemm_attrs[0]), err));
    if (g->opset < 11 && (n->n_in < 3 || n->in[2] < 0))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "input C is required before opset 11");
    for (int k = 0; k < 2; k++) {
        const char *nm = k ? "transB" : "transA";
        const int64_t t = c8_node_attr_i(n, nm, 0);
        if (t != 0 && t != 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "%s=%lld must be 0 or 1", nm,
                               (long long)t);
    }
    return check_fusion(g, n, err);
}

/* (M, N) and the descriptor from A, B, C shapes; unknown extents stay -1. */
static c8_status gemm_geometry(const c8_graph *g, const c8_node *n, const c8_shape *as,
                               const c8_shape *bs, const c8_shape *cs, c8_gemm_desc *d,
                               c8_shape *ys, c8_error *err) {
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    memset(d, 0, sizeof *d);
    d->trans_a = c8_node_attr_i(n, "transA", 0) != 0;
    d->trans_b = c8_node_attr_i(n, "transB", 0) != 0;
    d->alpha = c8_node_attr_f(n, "alpha", 1.0f);
    d->beta = c8_node_attr_f(n, "beta", 1.0f);
    if ((as->rank >= 0 && as->rank != 2) || (bs->rank >= 0 && bs->rank != 2))
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "A (%s) and B (%s) must be matrices",
                           shp(as, b1), shp(bs, b2));
    const int64_t M = as->rank < 0 ? -1 : as->d[d->trans_a ? 1 : 0];
    const int64_t Ka = as->rank < 0 ? -1 : as->d[d->trans_a ? 0 : 1];
    const int64_t Kb = bs->rank < 0 ? -1 : bs->d[d->trans_b ? 1 : 0];
    const int64_t N = bs->rank < 0 ? -1 : bs->d[d->trans_b ? 0 : 1];
    if (differ(Ka, Kb))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "inner dimensions differ: A %s%s gives K=%lld, B %s%s gives K=%lld",
                           shp(as, b1), d->trans_a ? " (transposed)" : "", (long long)Ka,
                           shp(bs, b2), d->trans_b ? " (transposed)" : "", (long long)Kb);
    d->M = M;
    d->N = N;
    d->K = Ka >= 0 ? Ka : Kb;
    d->c_rows = d->c_cols = 1;
    if (cs && cs->rank >= 0) {
        /* unidirectional broadcast of C to (M, N) */
        if (cs->rank > 2)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "C (%s) does not broadcast to the output: more than 2 axes",
                               shp(cs, b1));
        const int64_t cr = cs->rank == 2 ? cs->d[0] : 1;
        const int64_t cc = cs->rank >= 1 ? cs->d[cs->rank - 1] : 1;
        if ((cr != 1 && differ(cr, M)) || (cc != 1 && differ(cc, N))) {
            c8_shape mn = {2, {M, N}};
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "C (%s) does not broadcast to the output (%s)", shp(cs, b1),
                               shp(&mn, b2));
        }
        d->c_rows = cr;
        d->c_cols = cc;
    }
    memset(ys, 0, sizeof *ys);
    ys->rank = 2;
    ys->d[0] = M;
    ys->d[1] = N;
    return C8_OK;
}

c8_status c8_op_gemm_desc(const c8_graph *g, const c8_node *n, c8_gemm_desc *d, c8_error *err) {
    c8_shape ys;
    return gemm_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape,
                         opt_shape(g, n, 2), d, &ys, err);
}

static c8_status gemm_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 2, err));
    C8_TRY(need_float(g, n, 0, "A", err));
    C8_TRY(need_float(g, n, 1, "B", err));
    C8_TRY(need_float(g, n, 2, "C", err));
    c8_gemm_desc d;
    c8_shape ys;
    C8_TRY(gemm_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape,
                         opt_shape(g, n, 2), &d, &ys, err));
    C8_TRY(infer_residual(g, n, &ys, err));
    return set_out(g, n, 0, &ys, err);
}

static c8_status gemm_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "A", err));
    C8_TRY(run_input(r, 1, "B", err));
    const bool has_c = r->n->n_in > 2 && r->in[2].data;
    if (has_c) C8_TRY(run_input(r, 2, "C", err));
    c8_gemm_desc d;
    c8_shape ys;
    C8_TRY(gemm_geometry(r->g, r->n, &r->in[0].shape, &r->in[1].shape,
                         has_c ? &r->in[2].shape : NULL, &d, &ys, err));
    C8_TRY(run_output(r, 0, &ys, err));
    c8_ref_gemm(&d, r->in[0].data, r->in[1].data, has_c ? r->in[2].data : NULL, r->out[0].data);
    return run_epilogue(r, r->out[0].data, &ys, err);
}

/* ---- MatMul (numpy semantics) ---- */

static c8_status matmul_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_attrs(g, n, NULL, 0, err);
}

/* Splits a and b into batch shapes and matrices (1-D operands promoted), broadcasts the batch and
 * builds the output shape. */
typedef struct mm_geom {
    c8_shape ab, bb, batch; /* batch shapes of A, B and the output */
    int64_t M, N, K;
} mm_geom;

static c8_status matmul_geometry(const c8_graph *g, const c8_node *n, const c8_shape *as,
                                 const c8_shape *bs, mm_geom *m, c8_shape *ys, c8_error *err) {
    char b1[SHAPE_BUF], b2[SHAPE_BUF];
    memset(m, 0, sizeof *m);
    if (as->rank < 0 || bs->rank < 0) {
        *ys = unknown_rank();
        return C8_OK;
    }
    if (as->rank < 1 || bs->rank < 1)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "MatMul of a scalar: A %s, B %s", shp(as, b1),
                           shp(bs, b2));
    const int ra = as->rank, rb = bs->rank;
    m->M = ra >= 2 ? as->d[ra - 2] : 1;
    const int64_t Ka = as->d[ra - 1];
    const int64_t Kb = rb >= 2 ? bs->d[rb - 2] : bs->d[0];
    m->N = rb >= 2 ? bs->d[rb - 1] : 1;
    if (differ(Ka, Kb))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "inner dimensions differ: A %s has K=%lld, B %s has K=%lld", shp(as, b1),
                           (long long)Ka, shp(bs, b2), (long long)Kb);
    m->K = Ka >= 0 ? Ka : Kb;
    m->ab.rank = ra >= 2 ? ra - 2 : 0;
    m->bb.rank = rb >= 2 ? rb - 2 : 0;
    for (int i = 0; i < m->ab.rank; i++) m->ab.d[i] = as->d[i];
    for (int i = 0; i < m->bb.rank; i++) m->bb.d[i] = bs->d[i];
    const c8_value *av = c8_node_input(g, n, 0), *bv = c8_node_input(g, n, 1);
    c8_status s =
        c8_broadcast2(&m->ab, av ? av->name : "A", &m->bb, bv ? bv->name : "B", &m->batch, err);
    if (s != C8_OK) return node_wrap(err, g, n, s);
    memset(ys, 0, sizeof *ys);
    *ys = m->batch;
    if (ra >= 2) ys->d[ys->rank++] = m->M;
    if (rb >= 2) ys->d[ys->rank++] = m->N;
    return C8_OK;
}

static c8_status matmul_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 2, err));
    C8_TRY(need_float(g, n, 0, "A", err));
    C8_TRY(need_float(g, n, 1, "B", err));
    mm_geom m;
    c8_shape ys;
    C8_TRY(matmul_geometry(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape, &m,
                           &ys, err));
    return set_out(g, n, 0, &ys, err);
}

static c8_status matmul_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "A", err));
    C8_TRY(run_input(r, 1, "B", err));
    mm_geom m;
    c8_shape ys;
    C8_TRY(matmul_geometry(r->g, r->n, &r->in[0].shape, &r->in[1].shape, &m, &ys, err));
    C8_TRY(run_output(r, 0, &ys, err));
    /* one c8_ref_matmul per output matrix; the iterator gives each operand's matrix index */
    const c8_shape *ins[2] = {&m.ab, &m.bb};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, &m.batch, ins, 2);
    const int64_t nb = c8_shape_numel(&m.batch);
    const float *a = r->in[0].data, *b = r->in[1].data;
    float *y = r->out[0].data;
    for (int64_t i = 0; i < nb; i++, c8_bcast_iter_next(&it))
        c8_ref_matmul(m.M, m.N, m.K, a + it.off[0] * m.M * m.K, b + it.off[1] * m.K * m.N,
                      y + i * m.M * m.N);
    return C8_OK;
}

/* ---- Softmax ---- */

static const attr_spec k_softmax_attrs[] = {{"axis", C8_ATTR_INT, 1, 0}};

static c8_status softmax_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_attrs(g, n, k_softmax_attrs, 1, err);
}

/* (outer, len, inner) for x: opset < 13 coerces x to 2-D at axis (default 1) and normalises the
 * flattened tail; opset >= 13 normalises one axis (default -1). */
static c8_status softmax_split(const c8_graph *g, const c8_node *n, const c8_shape *xs,
                               int64_t *outer, int64_t *len, int64_t *inner, c8_error *err) {
    const bool legacy = g->opset < 13;
    const int64_t axis = c8_node_attr_i(n, "axis", legacy ? 1 : -1);
    char b1[SHAPE_BUF];
    if (xs->rank < 0) return C8_OK;
    if (xs->rank == 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "input is a scalar; Softmax needs an axis");
    int ax;
    c8_status s = c8_axis_norm(axis, xs->rank, &ax, err);
    if (s != C8_OK)
        return c8_node_err(err, g, n, s, "axis %lld is invalid for input shape %s", (long long)axis,
                           shp(xs, b1));
    *outer = c8_shape_span(xs, 0, ax);
    *len = legacy ? c8_shape_span(xs, ax, xs->rank) : xs->d[ax];
    *inner = legacy ? 1 : c8_shape_span(xs, ax + 1, xs->rank);
    return C8_OK;
}

static c8_status softmax_infer(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_inputs(g, n, 1, err));
    C8_TRY(need_float(g, n, 0, "input", err));
    const c8_shape *xs = &c8_node_input(g, n, 0)->shape;
    int64_t o, l, i;
    C8_TRY(softmax_split(g, n, xs, &o, &l, &i, err));
    return set_out(g, n, 0, xs, err);
}

static c8_status softmax_run(const c8_op_run *r, c8_error *err) {
    C8_TRY(run_input(r, 0, "input", err));
    const c8_shape *xs = &r->in[0].shape;
    int64_t o = 0, l = 0, i = 0;
    C8_TRY(softmax_split(r->g, r->n, xs, &o, &l, &i, err));
    C8_TRY(run_output(r, 0, xs, err));
    if (o > 0 && l > 0 && i > 0) c8_ref_softmax(o, l, i, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- LRN ---- */

static const attr_spec k_lrn_attrs[] = {
    {"alpha", C8_ATTR_FLOAT, 1, 0},
    {"beta", C8_ATTR_FLOAT, 1, 0},
    {"bias", C8_ATTR_FLOAT, 1, 0},
    {"size", C8_ATTR_INT, 1, 0},
};

static c8_status lrn_check(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(check_attrs(g, n, k_lrn_attrs, (int)(sizeof k_lrn_attrs / sizeof k_lrn_attrs[0]), err));
    if (!c8_node_attr(n, "size"))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "the required attribute size is missing");
    const int64_t size = c8_node_attr_i(n, "size", 0);
    if (size < 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "size=%lld must be >= 1", (long long)size);
    return C8_OK;
}

static c8_status lrn_infer(c8_graph *g, c8_node *n, c8_error *err) {
    char b1[SHAPE_BUF];
    C8_TRY(need_inputs(g, n, 1, err));
    C8_TRY(need_float(g, n, 0, "X", err));
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->shape.rank >= 0 && x->shape.rank < 2)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "input '%s' has shape %s; expected (N, C, ...)",
                           x->name, shp(&x->shape, b1));
    return set_out(g, n, 0, &x->shape, err);
}

static c8_status lrn_run(const c8_op_run *r, c8_error *err) {
    char b1[SHAPE_BUF];
    C8_TRY(run_input(r, 0, "X", err));
    const c8_shape *xs = &r->in[0].shape;
    if (xs->rank < 2)
        return c8_node_err(err, r->g, r->n, C8_ERR_SHAPE, "input has shape %s", shp(xs, b1));
    C8_TRY(run_output(r, 0, xs, err));
    c8_lrn_desc d = {xs->d[0],
                     xs->d[1],
                     c8_shape_span(xs, 2, xs->rank),
                     c8_node_attr_i(r->n, "size", 1),
                     c8_node_attr_f(r->n, "alpha", 1e-4f),
                     c8_node_attr_f(r->n, "beta", 0.75f),
                     c8_node_attr_f(r->n, "bias", 1.0f)};
    c8_ref_lrn(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- the table ---- */

const c8_op_def c8_ops_compute_table[] = {
    {C8_OP_CONV, 2, 3, 1, 1, conv_check, conv_infer, conv_run},
    {C8_OP_FUSED_CONV, 2, 3, 1, 1, conv_check, conv_infer, conv_run},
    {C8_OP_CONV_TRANSPOSE, 2, 3, 1, 1, convt_check, convt_infer, convt_run},
    {C8_OP_BATCHNORM, 5, 5, 1, 5, bn_check, bn_infer, bn_run},
    {C8_OP_MAXPOOL, 1, 1, 1, 2, pool_check, pool_infer, pool_run},
    {C8_OP_AVGPOOL, 1, 1, 1, 1, pool_check, pool_infer, pool_run},
    {C8_OP_GLOBAL_AVGPOOL, 1, 1, 1, 1, gpool_check, gpool_infer, gpool_run},
    {C8_OP_GLOBAL_MAXPOOL, 1, 1, 1, 1, gpool_check, gpool_infer, gpool_run},
    {C8_OP_GEMM, 2, 3, 1, 1, gemm_check, gemm_infer, gemm_run},
    {C8_OP_MATMUL, 2, 2, 1, 1, matmul_check, matmul_infer, matmul_run},
    {C8_OP_SOFTMAX, 1, 1, 1, 1, softmax_check, softmax_infer, softmax_run},
    {C8_OP_LRN, 1, 1, 1, 1, lrn_check, lrn_infer, lrn_run},
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
