/* The math op family: float32 unary math (Sqrt, Reciprocal, Exp, Log, Neg, Abs, Erf), Pow with
 * broadcasting, and the reductions (ReduceMean, ReduceSum, ReduceSumSquare, ReduceMax,
 * ReduceMin, ReduceL2, ReduceL1, ReduceProd, ReduceLogSum, ReduceLogSumExp) with their axes as an
 * attribute or, from the opset that moved them, an input, Gelu and LayerNormalization. None has an
 * INT8 or GPU kernel: an INT8 build keeps them in FP32, a CUDA plan runs them on the host
 * (ops/ops.def). Kernels: kernels/ref/math.c. Tests: tests/ops/test_ops_math.c and the ONNX
 * conformance cases (tests/engine/test_conformance.c). Supported forms: docs/ops.md. */
#include "ops/tensor_int.h"

#include "kernels/ref/math.h"
#include "util/err.h"
#include "util/shape.h"

#include <stdlib.h>
#include <string.h>

static const char *const k_no_attrs[] = {NULL};

/* Element count of a fully known run-time tensor (with node context in errors). */
static c8_status run_count(const c8_op_run *r, const c8_host_tensor *t, const char *what,
                           int64_t *numel, c8_error *err) {
    c8_status s = c8_shape_count(&t->shape, c8_dtype_size(t->dtype), what, numel, NULL, err);
    return s == C8_OK ? s : c8_ot_node_wrap(err, r->g, r->n, s);
}

/* ---- unary math ---- */

static c8_math_op math_op_of(c8_op op) {
    switch (op) {
    case C8_OP_SQRT: return C8_MATH_SQRT;
    case C8_OP_RECIPROCAL: return C8_MATH_RECIPROCAL;
    case C8_OP_EXP: return C8_MATH_EXP;
    case C8_OP_LOG: return C8_MATH_LOG;
    case C8_OP_NEG: return C8_MATH_NEG;
    case C8_OP_ABS: return C8_MATH_ABS;
    default: return C8_MATH_ERF;
    }
}

/* Gelu's form from its `approximate` attribute ("none" or "tanh", checked at load). */
static c8_math_op gelu_op(const c8_node *n) {
    return strcmp(c8_node_attr_s(n, "approximate", "none"), "tanh") ? C8_MATH_GELU
                                                                    : C8_MATH_GELU_TANH;
}

static c8_status check_gelu(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"approximate", NULL};
    if (g->opset < 20)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "Gelu exists from opset 20 (model opset %lld)", (long long)g->opset);
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_type(g, n, "approximate", C8_ATTR_STRING, err));
    const char *a = c8_node_attr_s(n, "approximate", "none");
    if (strcmp(a, "none") && strcmp(a, "tanh"))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "approximate '%s' is not 'none' or 'tanh'",
                           a);
    return C8_OK;
}

static c8_status check_math(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (n->op == C8_OP_ERF && g->opset < 9)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "Erf exists from opset 9 (model opset %lld)",
                           (long long)g->opset);
    return c8_ot_known_attrs(g, n, k_no_attrs, err);
}

static bool is_neg_abs(c8_op op) { return op == C8_OP_NEG || op == C8_OP_ABS; }

static c8_status infer_math(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    /* Neg and Abs also run on float64 and signed integers (shape arithmetic); a 0-element probe
     * asks the kernel whether it takes the dtype */
    if (is_neg_abs(n->op) && c8_ref_neg_abs(false, x->dtype, NULL, NULL, 0)) {
        c8_shape s = x->shape;
        c8_ot_set_out(g, n, 0, x->dtype, &s);
        return C8_OK;
    }
    if (x->dtype != C8_DT_FLOAT)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "input '%s' is %s; %s is implemented for float32 only", x->name,
                           c8_dtype_name(x->dtype), n->op_type);
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &s);
    return C8_OK;
}

static c8_status run_math(const c8_op_run *r, c8_error *err) {
    int64_t numel;
    C8_TRY(run_count(r, &r->in[0], "input", &numel, err));
    C8_TRY(c8_ot_check_out(r, 0, &r->in[0].shape, err));
    if (is_neg_abs(r->n->op)) {
        if (!c8_ref_neg_abs(r->n->op == C8_OP_ABS, r->in[0].dtype, r->in[0].data, r->out[0].data,
                            numel))
            return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "%s on %s is not supported",
                               r->n->op_type, c8_dtype_name(r->in[0].dtype));
        return C8_OK;
    }
    c8_ref_math_f32(r->n->op == C8_OP_GELU ? gelu_op(r->n) : math_op_of(r->n->op), r->in[0].data,
                    r->out[0].data, numel);
    return C8_OK;
}

/* ---- Pow: numpy broadcasting; the exponent's dtype may differ from the base's (opset 12) ---- */

static c8_status check_pow(const c8_graph *g, const c8_node *n, c8_error *err) {
    /* the legacy broadcast/axis attributes belong to opsets < 7, which calib8 does not load */
    return c8_ot_known_attrs(g, n, k_no_attrs, err);
}

static c8_status infer_pow(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x, *y;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(c8_ot_input(g, n, 1, &y, err));
    if (!c8_ref_pow_supports(x->dtype, y->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "base '%s' (%s) with exponent '%s' (%s) is not supported (bases: "
                           "float32/64, int32/64; exponents: float32/64 and integers)",
                           x->name, c8_dtype_name(x->dtype), y->name, c8_dtype_name(y->dtype));
    if (g->opset < 12 && y->dtype != x->dtype)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "before opset 12 the exponent '%s' (%s) must have the base's dtype %s",
                           y->name, c8_dtype_name(y->dtype), c8_dtype_name(x->dtype));
    c8_shape out;
    c8_status s = c8_broadcast2(&x->shape, x->name, &y->shape, y->name, &out, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

static c8_status run_pow(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *y = &r->out[0];
    int64_t numel;
    C8_TRY(run_count(r, y, "output", &numel, err));
    if (numel == 0) return C8_OK;
    if (!c8_ref_pow(r->in[0].dtype, &r->in[0].shape, r->in[0].data, r->in[1].dtype, &r->in[1].shape,
                    r->in[1].data, &y->shape, y->data))
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "Pow of %s by %s is not supported",
                           c8_dtype_name(r->in[0].dtype), c8_dtype_name(r->in[1].dtype));
    return C8_OK;
}

/* ---- reductions ---- */

static c8_reduce_op reduce_op_of(c8_op op) {
    switch (op) {
    case C8_OP_REDUCE_MEAN: return C8_REDUCE_MEAN;
    case C8_OP_REDUCE_SUM: return C8_REDUCE_SUM;
    case C8_OP_REDUCE_SUM_SQUARE: return C8_REDUCE_SUM_SQUARE;
    case C8_OP_REDUCE_MAX: return C8_REDUCE_MAX;
    case C8_OP_REDUCE_MIN: return C8_REDUCE_MIN;
    case C8_OP_REDUCE_L1: return C8_REDUCE_L1;
    case C8_OP_REDUCE_PROD: return C8_REDUCE_PROD;
    case C8_OP_REDUCE_LOG_SUM: return C8_REDUCE_LOG_SUM;
    case C8_OP_REDUCE_LOG_SUM_EXP: return C8_REDUCE_LOG_SUM_EXP;
    default: return C8_REDUCE_L2;
    }
}

/* The opset from which axes is an input instead of an attribute (and noop_with_empty_axes
 * exists): ReduceSum moved at 13, the others at 18. */
static int64_t axes_input_opset(c8_op op) { return op == C8_OP_REDUCE_SUM ? 13 : 18; }

static c8_status check_reduce(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (g->opset < axes_input_opset(n->op)) {
        static const char *const attrs[] = {"axes", "keepdims", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "axes", C8_ATTR_INTS, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "before opset %lld %s takes axes as an attribute, not an input",
                               (long long)axes_input_opset(n->op), n->op_type);
    } else {
        static const char *const attrs[] = {"keepdims", "noop_with_empty_axes", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "noop_with_empty_axes", C8_ATTR_INT, err));
    }
    return c8_ot_attr_type(g, n, "keepdims", C8_ATTR_INT, err);
}

/* The reduction's plan: which axes of x it reduces (reduce[k]), whether it is the identity
 * (empty axes with noop_with_empty_axes = 1) and the output shape. With axes an input that has
 * no data yet (computed at run time) the output's extents are unknown: all of them, and with
 * keepdims = 0 its rank too. */
static c8_status reduce_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             bool reduce[C8_MAX_RANK], bool *noop, c8_shape *out, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    bool keep = c8_node_attr_i(n, "keepdims", 1) != 0;
    int64_t axes[C8_MAX_RANK + 1], na = 0;
    *noop = false;
    if (g->opset < axes_input_opset(n->op)) {
        const int64_t *a;
        size_t c = c8_node_attr_ints(n, "axes", &a);
        if (c > C8_MAX_RANK)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "axes has %zu entries (rank is at most %d)", c, C8_MAX_RANK);
        if (c) memcpy(axes, a, c * sizeof *a);
        na = (int64_t)c;
    } else if (v[1].present) {
        if (!v[1].has_data) {
            *out = c8_ot_unknown_shape(keep ? in->rank : -1);
            return C8_OK;
        }
        C8_TRY(c8_ot_read_ints(g, n, &v[1], "axes", axes, C8_MAX_RANK, &na, err));
        *noop = na == 0 && c8_node_attr_i(n, "noop_with_empty_axes", 0) != 0;
    } else {
        *noop = c8_node_attr_i(n, "noop_with_empty_axes", 0) != 0;
    }
    if (in->rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    if (*noop) {
        *out = *in;
        return C8_OK;
    }
    for (int k = 0; k < C8_MAX_RANK; k++) reduce[k] = na == 0 && k < in->rank;
    for (int64_t i = 0; i < na; i++) {
        int a;
        c8_status s = c8_axis_norm(axes[i], in->rank, &a, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        if (reduce[a])
            return c8_node_err(err, g, n, C8_ERR_INVALID, "axis %d is listed twice in axes", a);
        reduce[a] = true;
    }
    c8_shape o;
    memset(&o, 0, sizeof o);
    for (int k = 0; k < in->rank; k++) {
        if (!reduce[k])
            o.d[o.rank++] = in->d[k];
        else if (keep)
            o.d[o.rank++] = 1;
    }
    *out = o;
    return C8_OK;
}

c8_status c8_reduce_axes(const c8_graph *g, const c8_node *n, bool reduce[C8_MAX_RANK], bool *noop,
                         c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    if (v[0].shape.rank < 0 ||
        (g->opset >= axes_input_opset(n->op) && v[1].present && !v[1].has_data))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "axes known only at run time");
    for (int k = 0; k < C8_MAX_RANK; k++) reduce[k] = false;
    c8_shape out;
    return reduce_plan(g, n, v, reduce, noop, &out, err);
}

static c8_status infer_reduce(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    if (x->dtype != C8_DT_FLOAT)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "input '%s' is %s; %s is implemented for float32 only", x->name,
                           c8_dtype_name(x->dtype), n->op_type);
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    bool reduce[C8_MAX_RANK] = {false}, noop = false;
    c8_shape out;
    C8_TRY(reduce_plan(g, n, v, reduce, &noop, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

static c8_status run_reduce(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    bool reduce[C8_MAX_RANK] = {false}, noop = false;
    c8_shape planned;
    C8_TRY(reduce_plan(r->g, r->n, v, reduce, &noop, &planned, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    if (noop) return c8_ot_copy_in0(r, 0, err);
    int64_t numel;
    C8_TRY(run_count(r, &r->in[0], "input", &numel, err));
    if (!c8_ref_reduce_f32(reduce_op_of(r->n->op), &r->in[0].shape, r->in[0].data, reduce,
                           r->out[0].data))
        return c8_node_err(err, r->g, r->n, C8_ERR_NOMEM, "out of memory for the accumulators");
    return C8_OK;
}

/* ---- LayerNormalization (opset 17): over the axes from `axis` to the last ---- */

static c8_status check_layernorm(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"axis", "epsilon", "stash_type", NULL};
    if (g->opset < 17)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "LayerNormalization exists from opset 17 (model opset %lld)",
                           (long long)g->opset);
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err));
    C8_TRY(c8_ot_attr_type(g, n, "epsilon", C8_ATTR_FLOAT, err));
    C8_TRY(c8_ot_attr_type(g, n, "stash_type", C8_ATTR_INT, err));
    /* stash_type names the precision of mean and variance: 1 (float32) is the default and the
     * only one ONNX defines for float32 inputs; calib8 computes them in float64 either way */
    if (c8_node_attr_i(n, "stash_type", 1) != 1)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "stash_type %lld is not supported (1 is)",
                           (long long)c8_node_attr_i(n, "stash_type", 1));
    return C8_OK;
}

/* The normalized part of x's shape (axes a..rank-1) into *norm; scale / bias must broadcast to
 * it unidirectionally. */
static c8_status layernorm_shapes(const c8_graph *g, const c8_node *n, const c8_shape *x, int *a,
                                  c8_shape *norm, c8_error *err) {
    c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", -1), x->rank, a, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    memset(norm, 0, sizeof *norm);
    for (int k = *a; k < x->rank; k++) norm->d[norm->rank++] = x->d[k];
    for (int k = 1; k <= 2; k++) {
        const c8_value *p = c8_node_input(g, n, k);
        if (!p || p->shape.rank < 0) continue;
        if (p->dtype != C8_DT_FLOAT)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "%s '%s' is %s (float32 only)",
                               k == 1 ? "Scale" : "B", p->name, c8_dtype_name(p->dtype));
        c8_shape b;
        s = c8_broadcast2(norm, "the normalized shape", &p->shape, p->name, &b, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        if (!c8_shape_equal(&b, norm)) {
            char sb[160], sn[160];
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "%s '%s' (%s) does not broadcast to the normalized shape %s",
                               k == 1 ? "Scale" : "B", p->name,
                               c8_shape_str(&p->shape, sb, sizeof sb),
                               c8_shape_str(norm, sn, sizeof sn));
        }
    }
    return C8_OK;
}

static c8_status infer_layernorm(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x, *sc;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(c8_ot_input(g, n, 1, &sc, err));
    if (x->dtype != C8_DT_FLOAT)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "input '%s' is %s; LayerNormalization is implemented for float32 only",
                           x->name, c8_dtype_name(x->dtype));
    c8_shape stat = c8_ot_unknown_shape(x->shape.rank);
    if (x->shape.rank >= 0) {
        int a;
        c8_shape norm;
        C8_TRY(layernorm_shapes(g, n, &x->shape, &a, &norm, err));
        stat = x->shape;
        for (int k = a; k < stat.rank; k++) stat.d[k] = 1;
    }
    c8_shape y = x->shape;
    c8_ot_set_out(g, n, 0, C8_DT_FLOAT, &y);
    c8_ot_set_out(g, n, 1, C8_DT_FLOAT, &stat);
    c8_ot_set_out(g, n, 2, C8_DT_FLOAT, &stat);
    return C8_OK;
}

/* Offsets of p's elements broadcast to norm, in norm's C order (norm numel entries). */
static void bcast_offsets(const c8_shape *p, const c8_shape *norm, int64_t *off, int64_t cnt) {
    const c8_shape *ins[1] = {p};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, norm, ins, 1);
    for (int64_t j = 0; j < cnt; j++, c8_bcast_iter_next(&it)) off[j] = it.off[0];
}

static c8_status run_layernorm(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *x = &r->in[0];
    int a;
    c8_shape norm;
    C8_TRY(layernorm_shapes(r->g, r->n, &x->shape, &a, &norm, err));
    int64_t inner = c8_shape_numel(&norm), outer = c8_shape_span(&x->shape, 0, a);
    if (inner == 0 || outer == 0) return C8_OK;
    bool has_b = r->n->n_in > 2 && r->n->in[2] >= 0;
    int64_t *soff = malloc((size_t)inner * sizeof *soff);
    int64_t *boff = has_b ? malloc((size_t)inner * sizeof *boff) : NULL;
    if (!soff || (has_b && !boff)) {
        free(soff);
        free(boff);
        return c8_node_err(err, r->g, r->n, C8_ERR_NOMEM, "out of memory");
    }
    bcast_offsets(&r->in[1].shape, &norm, soff, inner);
    if (has_b) bcast_offsets(&r->in[2].shape, &norm, boff, inner);
    c8_ref_layernorm_f32(x->data, outer, inner, (double)c8_node_attr_f(r->n, "epsilon", 1e-5f),
                         r->in[1].data, soff, has_b ? r->in[2].data : NULL, boff, r->out[0].data,
                         r->n->n_out > 1 ? r->out[1].data : NULL,
                         r->n->n_out > 2 ? r->out[2].data : NULL);
    free(soff);
    free(boff);
    return C8_OK;
}

/* ---- the table ---- */

#define MATH(op)                                                                                   \
    { op, 1, 1, 1, 1, check_math, infer_math, run_math }
#define REDUCE(op)                                                                                 \
    { op, 1, 2, 1, 1, check_reduce, infer_reduce, run_reduce }

const c8_op_def c8_ops_math_table[] = {
    MATH(C8_OP_SQRT),
    MATH(C8_OP_RECIPROCAL),
    MATH(C8_OP_EXP),
    MATH(C8_OP_LOG),
    MATH(C8_OP_NEG),
    MATH(C8_OP_ABS),
    MATH(C8_OP_ERF),
    {C8_OP_GELU, 1, 1, 1, 1, check_gelu, infer_math, run_math},
    {C8_OP_LAYER_NORM, 2, 3, 1, 3, check_layernorm, infer_layernorm, run_layernorm},
    {C8_OP_POW, 2, 2, 1, 1, check_pow, infer_pow, run_pow},
    REDUCE(C8_OP_REDUCE_MEAN),
    REDUCE(C8_OP_REDUCE_SUM),
    REDUCE(C8_OP_REDUCE_SUM_SQUARE),
    REDUCE(C8_OP_REDUCE_MAX),
    REDUCE(C8_OP_REDUCE_MIN),
    REDUCE(C8_OP_REDUCE_L2),
    REDUCE(C8_OP_REDUCE_L1),
    REDUCE(C8_OP_REDUCE_PROD),
    REDUCE(C8_OP_REDUCE_LOG_SUM),
    REDUCE(C8_OP_REDUCE_LOG_SUM_EXP),
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
