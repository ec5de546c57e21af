/* The comparison and logic op family: Equal, Greater, Less, GreaterOrEqual, LessOrEqual, And,
 * Or, Xor (bool results with numpy broadcasting), Not, and Where (a three-way broadcast select
 * of any dtype). No INT8 or GPU kernel: an INT8 build keeps them as they are, a CUDA plan runs
 * them on the host (ops/ops.def). Kernels: kernels/ref/logic.c. Tests: tests/ops/test_ops_logic.c
 * and the ONNX conformance cases (conformance_required.txt). Supported forms: docs/ops.md. */
#include "ops/tensor_int.h"

#include "kernels/ref/logic.h"
#include "util/err.h"
#include "util/shape.h"

static const char *const k_no_attrs[] = {NULL};

static c8_compare_op cmp_of(c8_op op) {
    switch (op) {
    case C8_OP_EQUAL: return C8_CMP_EQUAL;
    case C8_OP_GREATER: return C8_CMP_GREATER;
    case C8_OP_LESS: return C8_CMP_LESS;
    case C8_OP_GREATER_OR_EQUAL: return C8_CMP_GREATER_EQUAL;
    case C8_OP_LESS_OR_EQUAL: return C8_CMP_LESS_EQUAL;
    case C8_OP_AND: return C8_LOGIC_AND;
    case C8_OP_OR: return C8_LOGIC_OR;
    default: return C8_LOGIC_XOR;
    }
}

static c8_status check_logic(const c8_graph *g, const c8_node *n, c8_error *err) {
    if ((n->op == C8_OP_GREATER_OR_EQUAL || n->op == C8_OP_LESS_OR_EQUAL) && g->opset < 12)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s exists from opset 12 (model opset %lld)",
                           n->op_type, (long long)g->opset);
    if (n->op == C8_OP_WHERE && g->opset < 9)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "Where exists from opset 9 (model opset %lld)", (long long)g->opset);
    return c8_ot_known_attrs(g, n, k_no_attrs, err);
}

/* ---- binary comparisons and logic ---- */

static c8_status infer_compare(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *a, *b;
    C8_TRY(c8_ot_input(g, n, 0, &a, err));
    C8_TRY(c8_ot_input(g, n, 1, &b, err));
    if (a->dtype != b->dtype)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "inputs '%s' (%s) and '%s' (%s) have different dtypes", a->name,
                           c8_dtype_name(a->dtype), b->name, c8_dtype_name(b->dtype));
    if (!c8_ref_compare_supports(cmp_of(n->op), a->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "%s on %s ('%s') is not supported",
                           n->op_type, c8_dtype_name(a->dtype), a->name);
    c8_shape out;
    c8_status s = c8_broadcast2(&a->shape, a->name, &b->shape, b->name, &out, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    c8_ot_set_out(g, n, 0, C8_DT_BOOL, &out);
    return C8_OK;
}

static c8_status run_compare(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *y = &r->out[0];
    if (c8_shape_numel(&y->shape) == 0) return C8_OK;
    if (!c8_ref_compare(cmp_of(r->n->op), r->in[0].dtype, &r->in[0].shape, r->in[0].data,
                        &r->in[1].shape, r->in[1].data, &y->shape, y->data))
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "%s on %s is not supported",
                           r->n->op_type, c8_dtype_name(r->in[0].dtype));
    return C8_OK;
}

/* ---- Not ---- */

static c8_status infer_not(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    if (x->dtype != C8_DT_BOOL)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "input '%s' is %s; Not takes bool", x->name,
                           c8_dtype_name(x->dtype));
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, C8_DT_BOOL, &s);
    return C8_OK;
}

static c8_status run_not(const c8_op_run *r, c8_error *err) {
    C8_TRY(c8_ot_check_out(r, 0, &r->in[0].shape, err));
    c8_ref_not(r->in[0].data, r->out[0].data, c8_shape_numel(&r->in[0].shape));
    return C8_OK;
}

/* ---- Where ---- */

static c8_status infer_where(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *c, *x, *z;
    C8_TRY(c8_ot_input(g, n, 0, &c, err));
    C8_TRY(c8_ot_input(g, n, 1, &x, err));
    C8_TRY(c8_ot_input(g, n, 2, &z, err));
    if (c->dtype != C8_DT_BOOL)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "condition '%s' is %s, not bool", c->name,
                           c8_dtype_name(c->dtype));
    if (x->dtype != z->dtype)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "X '%s' (%s) and Y '%s' (%s) differ in dtype",
                           x->name, c8_dtype_name(x->dtype), z->name, c8_dtype_name(z->dtype));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    const c8_shape *shapes[3] = {&c->shape, &x->shape, &z->shape};
    const char *names[3] = {c->name, x->name, z->name};
    c8_shape out;
    c8_status s = c8_broadcast(shapes, names, 3, &out, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

static c8_status run_where(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *y = &r->out[0];
    if (c8_shape_numel(&y->shape) == 0) return C8_OK;
    c8_ref_where(&r->in[0].shape, r->in[0].data, &r->in[1].shape, r->in[1].data, &r->in[2].shape,
                 r->in[2].data, &y->shape, y->data, c8_dtype_size(y->dtype));
    (void)err;
    return C8_OK;
}

/* ---- the table ---- */

#define COMPARE(op)                                                                                \
    { op, 2, 2, 1, 1, check_logic, infer_compare, run_compare }

const c8_op_def c8_ops_logic_table[] = {
    COMPARE(C8_OP_EQUAL),
    COMPARE(C8_OP_GREATER),
    COMPARE(C8_OP_LESS),
    COMPARE(C8_OP_GREATER_OR_EQUAL),
    COMPARE(C8_OP_LESS_OR_EQUAL),
    COMPARE(C8_OP_AND),
    COMPARE(C8_OP_OR),
    COMPARE(C8_OP_XOR),
    {C8_OP_NOT, 1, 1, 1, 1, check_logic, infer_not, run_not},
    {C8_OP_WHERE, 3, 3, 1, 1, check_logic, infer_where, run_where},
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
