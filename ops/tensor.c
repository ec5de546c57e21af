/* The tensor / elementwise op family: the registry table, the helpers the family shares (see
 * ops_tensor_int.h) and the elementwise ops: Relu, LeakyRelu, PRelu, Sigmoid, Tanh, Clip,
 * HardSigmoid, HardSwish, Add, Sub, Mul, Div, Max, Min, Sum. Shape ops are in
 * ops_tensor_shape.c, Pad / Resize / Upsample in ops_tensor_resize.c.
 * Kernels: kernels/ref/eltwise.c. Tests: tests/ops/. Supported forms: docs/ops.md. */
#include "ops/geometry.h"
#include "ops/tensor_int.h"

#include "util/shape.h"
#include "kernels/ref/eltwise.h"
#include "util/arith.h"
#include "util/err.h"

#include <float.h>
#include <string.h>

/* ---- shared helpers ---- */

void c8_ot_views_graph(const c8_graph *g, const c8_node *n, c8_ot_view *v, int count) {
    for (int k = 0; k < count; k++) {
        memset(&v[k], 0, sizeof v[k]);
        const c8_value *val = c8_node_input(g, n, k);
        if (!val) {
            v[k].shape.rank = -1;
            v[k].name = "";
            continue;
        }
        v[k].present = true;
        v[k].dtype = val->dtype;
        v[k].shape = val->shape;
        v[k].name = val->name;
        if (val->kind == C8_VAL_CONST) {
            v[k].has_data = true;
            v[k].data = val->data;
        }
    }
}

void c8_ot_views_run(const c8_op_run *r, c8_ot_view *v, int count) {
    for (int k = 0; k < count; k++) {
        memset(&v[k], 0, sizeof v[k]);
        if (k >= r->n->n_in || r->n->in[k] < 0) {
            v[k].shape.rank = -1;
            v[k].name = "";
            continue;
        }
        v[k].present = true;
        v[k].has_data = true;
        v[k].dtype = r->in[k].dtype;
        v[k].shape = r->in[k].shape;
        v[k].data = r->in[k].data;
        v[k].name = r->g->vals[r->n->in[k]].name;
    }
}

c8_status c8_ot_node_wrap(c8_error *err, const c8_graph *g, const c8_node *n, c8_status s) {
    if (!err) return s;
    return c8_node_err(err, g, n, s, "%s", err->msg);
}

c8_status c8_ot_input(const c8_graph *g, const c8_node *n, int k, const c8_value **v,
                      c8_error *err) {
    *v = c8_node_input(g, n, k);
    if (!*v) return c8_node_err(err, g, n, C8_ERR_INVALID, "required input %d is missing", k);
    return C8_OK;
}

c8_status c8_ot_span(const c8_graph *g, const c8_node *n, const c8_shape *s, int from, int to,
                     int64_t *out, c8_error *err) {
    int64_t p = 1;
    for (int k = from; k < to; k++)
        if (s->d[k] < 0) {
            *out = -1;
            return C8_OK;
        }
    for (int k = from; k < to; k++)
        if (!c8_mul_i64(p, s->d[k], &p)) {
            char b[160];
            return c8_node_err(err, g, n, C8_ERR_NOMEM, "element count of %s overflows",
                               c8_shape_str(s, b, sizeof b));
        }
    *out = p;
    return C8_OK;
}

/* Element count of a view with known data; -1 if its shape is not fully known. */
static int64_t view_numel(const c8_ot_view *v) {
    if (v->shape.rank < 0) return -1;
    return c8_shape_numel(&v->shape);
}

c8_status c8_ot_read_ints(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                          const char *what, int64_t *out, int64_t max, int64_t *count,
                          c8_error *err) {
    if (v->dtype != C8_DT_INT64 && v->dtype != C8_DT_INT32)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' must be int64 or int32, not %s",
                           what, v->name, c8_dtype_name(v->dtype));
    if (v->shape.rank > 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' must be 1-D (rank is %d)", what,
                           v->name, v->shape.rank);
    int64_t cnt = view_numel(v);
    if (cnt < 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "%s '%s' has an unknown length", what, v->name);
    if (cnt > max)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' has %lld values (at most %lld)",
                           what, v->name, (long long)cnt, (long long)max);
    for (int64_t i = 0; i < cnt; i++)
        out[i] =
            v->dtype == C8_DT_INT64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
    *count = cnt;
    return C8_OK;
}

c8_status c8_ot_read_doubles(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             const char *what, double *out, int64_t max, int64_t *count,
                             c8_error *err) {
    if (v->dtype != C8_DT_FLOAT && v->dtype != C8_DT_DOUBLE)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' must be float32 or float64, not %s",
                           what, v->name, c8_dtype_name(v->dtype));
    if (v->shape.rank > 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' must be 1-D (rank is %d)", what,
                           v->name, v->shape.rank);
    int64_t cnt = view_numel(v);
    if (cnt < 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "%s '%s' has an unknown length", what, v->name);
    if (cnt > max)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' has %lld values (at most %lld)",
                           what, v->name, (long long)cnt, (long long)max);
    for (int64_t i = 0; i < cnt; i++)
        out[i] = v->dtype == C8_DT_DOUBLE ? ((const double *)v->data)[i]
                                          : (double)((const float *)v->data)[i];
    *count = cnt;
    return C8_OK;
}

c8_status c8_ot_known_attrs(const c8_graph *g, const c8_node *n, const char *const *names,
                            c8_error *err) {
    for (int i = 0; i < n->n_attrs; i++) {
        bool known = !strncmp(n->attrs[i].name, "c8_", 3); /* calib8's own (graph passes) */
        for (const char *const *p = names; *p && !known; p++)
            known = strcmp(*p, n->attrs[i].name) == 0;
        if (!known)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                               "attribute '%s' is not supported for %s at opset %lld",
                               n->attrs[i].name, n->op_type, (long long)g->opset);
    }
    return C8_OK;
}

static const char *attr_type_name(c8_attr_type t) {
    switch (t) {
    case C8_ATTR_FLOAT: return "a float";
    case C8_ATTR_INT: return "an int";
    case C8_ATTR_STRING: return "a string";
    case C8_ATTR_TENSOR: return "a tensor";
    case C8_ATTR_GRAPH: return "a graph";
    case C8_ATTR_FLOATS: return "a list of floats";
    case C8_ATTR_INTS: return "a list of ints";
    case C8_ATTR_STRINGS: return "a list of strings";
    case C8_ATTR_UNDEFINED: break;
    }
    return "undefined";
}

c8_status c8_ot_attr_type(const c8_graph *g, const c8_node *n, const char *name, c8_attr_type type,
                          c8_error *err) {
    const c8_attr *a = c8_node_attr(n, name);
    if (a && a->type != type)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "attribute '%s' must be %s, not %s", name,
                           attr_type_name(type), attr_type_name(a->type));
    return C8_OK;
}

c8_status c8_ot_attr_required(const c8_graph *g, const c8_node *n, const char *name,
                              c8_attr_type type, c8_error *err) {
    if (!c8_node_attr(n, name))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "required attribute '%s' is missing", name);
    return c8_ot_attr_type(g, n, name, type, err);
}

void c8_ot_set_out(c8_graph *g, const c8_node *n, int k, c8_dtype dt, const c8_shape *s) {
    if (k >= n->n_out || n->out[k] < 0) return;
    c8_value *v = &g->vals[n->out[k]];
    v->dtype = dt;
    v->shape = *s;
}

c8_shape c8_ot_unknown_shape(int rank) {
    c8_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int k = 0; k < rank && k < C8_MAX_RANK; k++) s.d[k] = -1;
    return s;
}

c8_status c8_ot_check_out(const c8_op_run *r, int k, const c8_shape *planned, c8_error *err) {
    if (c8_shape_equal(&r->out[k].shape, planned)) return C8_OK;
    char a[160], b[160];
    return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL,
                       "output %d: computed shape %s differs from the allocated %s", k,
                       c8_shape_str(planned, a, sizeof a),
                       c8_shape_str(&r->out[k].shape, b, sizeof b));
}

c8_status c8_ot_esize(const c8_graph *g, const c8_node *n, c8_dtype dt, const char *what,
                      size_t *es, c8_error *err) {
    *es = c8_dtype_size(dt);
    if (*es == 0)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "%s has dtype %s, which calib8 cannot hold", what, c8_dtype_name(dt));
    return C8_OK;
}

c8_status c8_ot_copy_in0(const c8_op_run *r, int k, c8_error *err) {
    size_t bi, bo;
    c8_status s =
        c8_shape_count(&r->in[0].shape, c8_dtype_size(r->in[0].dtype), "input", NULL, &bi, err);
    if (s == C8_OK)
        s = c8_shape_count(&r->out[k].shape, c8_dtype_size(r->out[k].dtype), "output", NULL, &bo,
                           err);
    if (s != C8_OK) return c8_ot_node_wrap(err, r->g, r->n, s);
    if (bi != bo)
        return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL,
                           "output %d holds %zu bytes but the input %zu", k, bo, bi);
    if (bi) memcpy(r->out[k].data, r->in[0].data, bi);
    return C8_OK;
}

/* Element count of a fully known run-time tensor (with node context in errors). */
static c8_status run_count(const c8_op_run *r, const c8_host_tensor *t, const char *what,
                           int64_t *numel, c8_error *err) {
    c8_status s = c8_shape_count(&t->shape, c8_dtype_size(t->dtype), what, numel, NULL, err);
    return s == C8_OK ? s : c8_ot_node_wrap(err, r->g, r->n, s);
}

/* ---- unary float32 activations ---- */

static c8_status check_unary(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const none[] = {NULL};
    static const char *const alpha[] = {"alpha", NULL};
    static const char *const alpha_beta[] = {"alpha", "beta", NULL};
    switch (n->op) {
    case C8_OP_LEAKY_RELU:
        C8_TRY(c8_ot_known_attrs(g, n, alpha, err));
        return c8_ot_attr_type(g, n, "alpha", C8_ATTR_FLOAT, err);
    case C8_OP_HARD_SIGMOID:
        C8_TRY(c8_ot_known_attrs(g, n, alpha_beta, err));
        C8_TRY(c8_ot_attr_type(g, n, "alpha", C8_ATTR_FLOAT, err));
        return c8_ot_attr_type(g, n, "beta", C8_ATTR_FLOAT, err);
    case C8_OP_HARD_SWISH:
        if (g->opset < 14)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "HardSwish exists from opset 14 (model opset %lld)",
                               (long long)g->opset);
        return c8_ot_known_attrs(g, n, none, err);
    default: return c8_ot_known_attrs(g, n, none, err);
    }
}

static c8_status need_f32(const c8_graph *g, const c8_node *n, const c8_value *x, c8_error *err) {
    if (x->dtype != C8_DT_FLOAT)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "input '%s' is %s; %s is implemented for float32 only", x->name,
                           c8_dtype_name(x->dtype), n->op_type);
    return C8_OK;
}

static c8_status infer_unary(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(need_f32(g, n, x, err));
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &s);
    return C8_OK;
}

static c8_status run_unary(const c8_op_run *r, c8_error *err) {
    c8_unary_desc d = {C8_UNARY_RELU, 0.0f, 0.0f};
    switch (r->n->op) {
    case C8_OP_RELU: d.op = C8_UNARY_RELU; break;
    case C8_OP_LEAKY_RELU:
        d.op = C8_UNARY_LEAKY_RELU;
        d.alpha = c8_node_attr_f(r->n, "alpha", 0.01f);
        break;
    case C8_OP_SIGMOID: d.op = C8_UNARY_SIGMOID; break;
    case C8_OP_TANH: d.op = C8_UNARY_TANH; break;
    case C8_OP_HARD_SIGMOID:
        d.op = C8_UNARY_HARD_SIGMOID;
        d.alpha = c8_node_attr_f(r->n, "alpha", 0.2f);
        d.beta = c8_node_attr_f(r->n, "beta", 0.5f);
        break;
    case C8_OP_HARD_SWISH: d.op = C8_UNARY_HARD_SWISH; break;
    default: return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL, "not a unary activation");
    }
    int64_t numel;
    C8_TRY(run_count(r, &r->in[0], "input", &numel, err));
    c8_ref_unary_f32(&d, r->in[0].data, r->out[0].data, numel);
    return C8_OK;
}

/* ---- Clip: attributes min/max before opset 11, optional scalar inputs from 11 ---- */

static c8_status check_clip(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (g->opset < 11) {
        static const char *const attrs[] = {"min", "max", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "min", C8_ATTR_FLOAT, err));
        C8_TRY(c8_ot_attr_type(g, n, "max", C8_ATTR_FLOAT, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "Clip before opset 11 takes min/max as attributes, not inputs");
        return C8_OK;
    }
    static const char *const none[] = {NULL};
    return c8_ot_known_attrs(g, n, none, err);
}

static c8_status infer_clip(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    if (!c8_ref_clip_supports(x->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "input '%s' has unsupported dtype %s",
                           x->name, c8_dtype_name(x->dtype));
    for (int k = 1; k <= 2; k++) {
        const c8_value *b = c8_node_input(g, n, k);
        if (!b) continue;
        if (b->dtype != x->dtype)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "%s '%s' is %s but the input is %s",
                               k == 1 ? "min" : "max", b->name, c8_dtype_name(b->dtype),
                               c8_dtype_name(x->dtype));
        int64_t cnt = b->shape.rank < 0 ? -1 : c8_shape_numel(&b->shape);
        if (cnt >= 0 && cnt != 1) {
            char sb[160];
            return c8_node_err(err, g, n, C8_ERR_SHAPE, "%s '%s' must be a scalar (shape %s)",
                               k == 1 ? "min" : "max", b->name,
                               c8_shape_str(&b->shape, sb, sizeof sb));
        }
    }
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &s);
    return C8_OK;
}

static c8_status run_clip(const c8_op_run *r, c8_error *err) {
    const c8_node *n = r->n;
    int64_t numel;
    C8_TRY(run_count(r, &r->in[0], "input", &numel, err));
    const void *lo = NULL, *hi = NULL;
    float flo, fhi;
    double dlo, dhi;
    if (r->g->opset < 11) {
        /* Clip-6 defaults are the float32 range, i.e. no bound for float32 */
        const c8_attr *amin = c8_node_attr(n, "min"), *amax = c8_node_attr(n, "max");
        flo = amin ? amin->f : -FLT_MAX;
        fhi = amax ? amax->f : FLT_MAX;
        dlo = flo;
        dhi = fhi;
        if (r->in[0].dtype == C8_DT_FLOAT) {
            lo = amin ? (const void *)&flo : NULL;
            hi = amax ? (const void *)&fhi : NULL;
        } else if (r->in[0].dtype == C8_DT_DOUBLE) {
            lo = amin ? (const void *)&dlo : NULL;
            hi = amax ? (const void *)&dhi : NULL;
        } else {
            return c8_node_err(err, r->g, n, C8_ERR_UNSUPPORTED, "Clip before opset 11 on %s input",
                               c8_dtype_name(r->in[0].dtype));
        }
    } else {
        for (int k = 1; k <= 2; k++) {
            if (k >= n->n_in || n->in[k] < 0) continue;
            int64_t cnt;
            C8_TRY(run_count(r, &r->in[k], k == 1 ? "min" : "max", &cnt, err));
            if (cnt != 1 || r->in[k].dtype != r->in[0].dtype)
                return c8_node_err(err, r->g, n, C8_ERR_SHAPE,
                                   "%s must be a scalar of the input's dtype",
                                   k == 1 ? "min" : "max");
            if (k == 1)
                lo = r->in[k].data;
            else
                hi = r->in[k].data;
        }
    }
    if (!c8_ref_clip(r->in[0].dtype, r->in[0].data, r->out[0].data, numel, lo, hi))
        return c8_node_err(err, r->g, n, C8_ERR_UNSUPPORTED, "unsupported dtype %s",
                           c8_dtype_name(r->in[0].dtype));
    return C8_OK;
}

/* ---- binary and variadic arithmetic with broadcasting ---- */

c8_binary_op c8_op_binary_kind(c8_op op) {
    switch (op) {
    case C8_OP_ADD: return C8_BINARY_ADD;
    case C8_OP_SUB: return C8_BINARY_SUB;
    case C8_OP_MUL: return C8_BINARY_MUL;
    case C8_OP_DIV: return C8_BINARY_DIV;
    case C8_OP_MAX: return C8_BINARY_MAX;
    case C8_OP_MIN: return C8_BINARY_MIN;
    case C8_OP_SUM: return C8_BINARY_ADD;
    case C8_OP_PRELU: return C8_BINARY_PRELU;
    default: return C8_BINARY_ADD;
    }
}

static c8_status check_binary(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const none[] = {NULL};
    /* the legacy broadcast/axis attributes belong to opsets < 7, which calib8 does not load */
    return c8_ot_known_attrs(g, n, none, err);
}

/* Add/Sub/Mul/Div (2 inputs), Max/Min/Sum (1 or more): same dtype, multidirectional broadcast. */
static c8_status infer_binary(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x0;
    C8_TRY(c8_ot_input(g, n, 0, &x0, err));
    c8_binary_op op = c8_op_binary_kind(n->op);
    if (!c8_ref_binary_supports(op, x0->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "%s on %s ('%s') is not supported",
                           n->op_type, c8_dtype_name(x0->dtype), x0->name);
    c8_shape out = x0->shape;
    for (int k = 1; k < n->n_in; k++) {
        const c8_value *xk;
        C8_TRY(c8_ot_input(g, n, k, &xk, err));
        if (xk->dtype != x0->dtype)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "inputs '%s' (%s) and '%s' (%s) have different dtypes", x0->name,
                               c8_dtype_name(x0->dtype), xk->name, c8_dtype_name(xk->dtype));
        c8_shape acc = out;
        c8_status s = c8_broadcast2(&acc, k == 1 ? x0->name : "the broadcast of the earlier inputs",
                                    &xk->shape, xk->name, &out, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    }
    c8_ot_set_out(g, n, 0, x0->dtype, &out);
    return C8_OK;
}

static bool is_int_dtype(c8_dtype t) {
    return t == C8_DT_INT8 || t == C8_DT_UINT8 || t == C8_DT_INT16 || t == C8_DT_UINT16 ||
           t == C8_DT_INT32 || t == C8_DT_UINT32 || t == C8_DT_INT64 || t == C8_DT_UINT64;
}

/* Integer division by zero is undefined in ONNX (and traps in C): report the first one. */
static c8_status check_int_divisor(const c8_op_run *r, const c8_host_tensor *b, c8_error *err) {
    int64_t cnt;
    C8_TRY(run_count(r, b, "divisor", &cnt, err));
    size_t es = c8_dtype_size(b->dtype);
    static const unsigned char zero[8] = {0};
    for (int64_t i = 0; i < cnt; i++)
        if (memcmp((const char *)b->data + (size_t)i * es, zero, es) == 0)
            return c8_node_err(err, r->g, r->n, C8_ERR_INVALID,
                               "integer division by zero (divisor '%s', element %lld)",
                               r->g->vals[r->n->in[1]].name, (long long)i);
    return C8_OK;
}

static c8_status run_binary(const c8_op_run *r, c8_error *err) {
    const c8_node *n = r->n;
    c8_binary_op op = c8_op_binary_kind(n->op);
    const c8_host_tensor *y = &r->out[0];
    if (n->n_in == 1) return c8_ot_copy_in0(r, 0, err); /* Max/Min/Sum of one tensor */
    for (int k = 0; k < n->n_in; k++)
        if (!r->in[k].data && c8_shape_numel(&r->in[k].shape) != 0)
            return c8_node_err(err, r->g, n, C8_ERR_INTERNAL, "input %d has no data", k);
    if (op == C8_BINARY_DIV && is_int_dtype(r->in[1].dtype))
        C8_TRY(check_int_divisor(r, &r->in[1], err));
    if (!c8_ref_binary(op, r->in[0].dtype, &r->in[0].shape, r->in[0].data, &r->in[1].shape,
                       r->in[1].data, &y->shape, y->data))
        return c8_node_err(err, r->g, n, C8_ERR_UNSUPPORTED, "%s on %s is not supported",
                           n->op_type, c8_dtype_name(r->in[0].dtype));
    /* variadic: accumulate the remaining inputs into y in place */
    for (int k = 2; k < n->n_in; k++)
        c8_ref_binary(op, r->in[0].dtype, &y->shape, y->data, &r->in[k].shape, r->in[k].data,
                      &y->shape, y->data);
    return C8_OK;
}

/* ---- PRelu: slope broadcast unidirectionally to X ---- */

static c8_status infer_prelu(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x, *sl;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(c8_ot_input(g, n, 1, &sl, err));
    if (!c8_ref_binary_supports(C8_BINARY_PRELU, x->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "PRelu on %s ('%s') is not supported",
                           c8_dtype_name(x->dtype), x->name);
    if (sl->dtype != x->dtype)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "slope '%s' is %s but X '%s' is %s", sl->name,
                           c8_dtype_name(sl->dtype), x->name, c8_dtype_name(x->dtype));
    if (x->shape.rank >= 0 && sl->shape.rank >= 0) {
        c8_shape b;
        c8_status s = c8_broadcast2(&x->shape, x->name, &sl->shape, sl->name, &b, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        bool ok = b.rank == x->shape.rank;
        for (int k = 0; ok && k < b.rank; k++)
            if (x->shape.d[k] >= 0 && b.d[k] >= 0 && b.d[k] != x->shape.d[k]) ok = false;
        if (!ok) {
            char sx[160], ss[160];
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "slope '%s' (%s) does not broadcast to X '%s' (%s)", sl->name,
                               c8_shape_str(&sl->shape, ss, sizeof ss), x->name,
                               c8_shape_str(&x->shape, sx, sizeof sx));
        }
    }
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &s);
    return C8_OK;
}

static c8_status run_prelu(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *y = &r->out[0];
    if (!c8_shape_equal(&y->shape, &r->in[0].shape))
        return c8_ot_check_out(r, 0, &r->in[0].shape, err);
    if (!c8_ref_binary(C8_BINARY_PRELU, r->in[0].dtype, &r->in[0].shape, r->in[0].data,
                       &r->in[1].shape, r->in[1].data, &y->shape, y->data))
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "PRelu on %s is not supported",
                           c8_dtype_name(r->in[0].dtype));
    return C8_OK;
}

/* ---- the table ---- */

#define UNARY(op)                                                                                  \
    { op, 1, 1, 1, 1, check_unary, infer_unary, run_unary }
#define BINARY(op)                                                                                 \
    { op, 2, 2, 1, 1, check_binary, infer_binary, run_binary }
#define VARIADIC(op)                                                                               \
    { op, 1, -1, 1, 1, check_binary, infer_binary, run_binary }
#define OT(op, name, min_in, max_in, min_out, max_out)                                             \
    {                                                                                              \
        op, min_in, max_in, min_out, max_out, c8_ot_check_##name, c8_ot_infer_##name,              \
            c8_ot_run_##name                                                                       \
    }

const c8_op_def c8_ops_tensor_table[] = {
    UNARY(C8_OP_RELU),
    UNARY(C8_OP_LEAKY_RELU),
    {C8_OP_PRELU, 2, 2, 1, 1, check_binary, infer_prelu, run_prelu},
    UNARY(C8_OP_SIGMOID),
    UNARY(C8_OP_TANH),
    {C8_OP_CLIP, 1, 3, 1, 1, check_clip, infer_clip, run_clip},
    UNARY(C8_OP_HARD_SIGMOID),
    UNARY(C8_OP_HARD_SWISH),
    BINARY(C8_OP_ADD),
    BINARY(C8_OP_SUB),
    BINARY(C8_OP_MUL),
    BINARY(C8_OP_DIV),
    VARIADIC(C8_OP_MAX),
    VARIADIC(C8_OP_MIN),
    VARIADIC(C8_OP_SUM),
    OT(C8_OP_CONCAT, concat, 1, -1, 1, 1),
    OT(C8_OP_FLATTEN, flatten, 1, 1, 1, 1),
    OT(C8_OP_RESHAPE, reshape, 2, 2, 1, 1),
    OT(C8_OP_SQUEEZE, squeeze, 1, 2, 1, 1),
    OT(C8_OP_UNSQUEEZE, unsqueeze, 1, 2, 1, 1),
    OT(C8_OP_TRANSPOSE, transpose, 1, 1, 1, 1),
    OT(C8_OP_IDENTITY, identity, 1, 1, 1, 1),
    OT(C8_OP_DROPOUT, dropout, 1, 3, 1, 2),
    OT(C8_OP_PAD, pad, 1, 4, 1, 1),
    OT(C8_OP_RESIZE, resize, 1, 4, 1, 1),
    OT(C8_OP_UPSAMPLE, resize, 1, 2, 1, 1),
    OT(C8_OP_SHAPE, shape, 1, 1, 1, 1),
    OT(C8_OP_GATHER, gather, 2, 2, 1, 1),
    OT(C8_OP_CAST, cast, 1, 1, 1, 1),
    OT(C8_OP_SLICE, slice, 1, 5, 1, 1),
    OT(C8_OP_SPLIT, split, 1, 2, 1, -1),
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
