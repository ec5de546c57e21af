/* The index and generator op family: Expand, Tile, ConstantOfShape, Range (shapes or values
 * read from inputs, at load time when constant and at run time otherwise), GatherElements,
 * ArgMax, ArgMin, TopK and Size. No INT8 or GPU kernel: a CUDA plan runs them on the host
 * (ops/ops.def). Kernels: kernels/ref/index.c (Expand: kernels/ref/transpose.c's strided copy).
 * Tests: tests/ops/test_ops_index.c and the ONNX conformance cases (conformance_required.txt).
 * Supported forms: docs/ops.md. */
#include "ops/tensor_int.h"

#include "kernels/ref/index.h"
#include "kernels/ref/transpose.h"
#include "util/arith.h"
#include "util/err.h"
#include "util/shape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_no_attrs[] = {NULL};

static c8_status need_opset(const c8_graph *g, const c8_node *n, int64_t from, c8_error *err) {
    if (g->opset < from)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "%s exists from opset %lld (model opset %lld)", n->op_type,
                           (long long)from, (long long)g->opset);
    return C8_OK;
}

/* The shape of a tensor whose extents come from a 1-D int64 input without data yet: its length
 * gives the rank when known. */
static c8_shape shape_of_unread(const c8_ot_view *v) {
    if (v->shape.rank == 1 && v->shape.d[0] >= 0 && v->shape.d[0] <= C8_MAX_RANK)
        return c8_ot_unknown_shape((int)v->shape.d[0]);
    return c8_ot_unknown_shape(-1);
}

/* ---- Expand: numpy broadcast of the input and a shape (opset 8) ---- */

static c8_status check_plain(const c8_graph *g, const c8_node *n, c8_error *err) {
    int64_t from = n->op == C8_OP_EXPAND ? 8 : n->op == C8_OP_RANGE ? 11 : 6;
    C8_TRY(need_opset(g, n, from, err));
    return c8_ot_known_attrs(g, n, k_no_attrs, err);
}

static c8_status expand_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             c8_shape *out, c8_error *err) {
    if (!v[1].has_data) {
        c8_shape t = shape_of_unread(&v[1]);
        *out = t.rank >= 0 && v[0].shape.rank >= 0
                   ? c8_ot_unknown_shape(t.rank > v[0].shape.rank ? t.rank : v[0].shape.rank)
                   : c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    int64_t d[C8_MAX_RANK], cnt;
    C8_TRY(c8_ot_read_ints(g, n, &v[1], "shape", d, C8_MAX_RANK, &cnt, err));
    c8_shape want;
    memset(&want, 0, sizeof want);
    want.rank = (int)cnt;
    for (int k = 0; k < want.rank; k++) {
        if (d[k] < 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "shape '%s' has a negative extent %lld",
                               v[1].name, (long long)d[k]);
        want.d[k] = d[k];
    }
    c8_status s = c8_broadcast2(&v[0].shape, v[0].name, &want, v[1].name, out, err);
    return s == C8_OK ? s : c8_ot_node_wrap(err, g, n, s);
}

static c8_status infer_expand(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    c8_shape out;
    C8_TRY(expand_plan(g, n, v, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

static c8_status run_expand(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    c8_shape out;
    C8_TRY(expand_plan(r->g, r->n, v, &out, err));
    C8_TRY(c8_ot_check_out(r, 0, &out, err));
    if (c8_shape_numel(&out) == 0) return C8_OK;
    c8_strided_desc d;
    memset(&d, 0, sizeof d);
    d.rank = out.rank;
    d.esize = c8_dtype_size(r->in[0].dtype);
    for (int k = 0; k < out.rank; k++) d.dims[k] = out.d[k];
    c8_broadcast_strides(&r->in[0].shape, &out, d.strides);
    c8_ref_strided_copy(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- Tile: repeats input (opset 6) ---- */

static c8_status tile_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v, c8_shape *out,
                           c8_error *err) {
    const c8_shape *in = &v[0].shape;
    if (in->rank < 0 || !v[1].has_data) {
        *out = c8_ot_unknown_shape(in->rank);
        return C8_OK;
    }
    int64_t rep[C8_MAX_RANK], cnt;
    C8_TRY(c8_ot_read_ints(g, n, &v[1], "repeats", rep, C8_MAX_RANK, &cnt, err));
    if (cnt != in->rank)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "repeats '%s' has %lld values for rank %d",
                           v[1].name, (long long)cnt, in->rank);
    *out = *in;
    for (int k = 0; k < in->rank; k++) {
        if (rep[k] < 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "repeats[%d] = %lld is negative", k,
                               (long long)rep[k]);
        if (in->d[k] < 0) continue;
        if (!c8_mul_i64(in->d[k], rep[k], &out->d[k]))
            return c8_node_err(err, g, n, C8_ERR_NOMEM, "axis %d: %lld x %lld overflows", k,
                               (long long)in->d[k], (long long)rep[k]);
    }
    return C8_OK;
}

static c8_status infer_tile(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    c8_shape out;
    C8_TRY(tile_plan(g, n, v, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

static c8_status run_tile(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    c8_shape out;
    C8_TRY(tile_plan(r->g, r->n, v, &out, err));
    C8_TRY(c8_ot_check_out(r, 0, &out, err));
    if (c8_shape_numel(&out) > 0)
        c8_ref_tile(&r->in[0].shape, &out, c8_dtype_size(r->in[0].dtype), r->in[0].data,
                    r->out[0].data);
    return C8_OK;
}

/* ---- ConstantOfShape: a tensor of the shape given by the input, filled with `value` ---- */

static c8_status check_cos(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"value", NULL};
    C8_TRY(need_opset(g, n, 9, err));
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_type(g, n, "value", C8_ATTR_TENSOR, err));
    const c8_attr *a = c8_node_attr(n, "value");
    if (a && c8_shape_numel(&a->tensor.shape) != 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "value must hold one element (it holds %lld)",
                           (long long)c8_shape_numel(&a->tensor.shape));
    if (a && c8_dtype_size(a->tensor.dtype) == 0)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "value has dtype %s",
                           c8_dtype_name(a->tensor.dtype));
    return C8_OK;
}

static c8_status cos_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v, c8_shape *out,
                          c8_error *err) {
    if (v[0].dtype != C8_DT_INT64)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "input '%s' must be int64, not %s", v[0].name,
                           c8_dtype_name(v[0].dtype));
    if (!v[0].has_data) {
        *out = shape_of_unread(&v[0]);
        return C8_OK;
    }
    int64_t d[C8_MAX_RANK], cnt;
    C8_TRY(c8_ot_read_ints(g, n, &v[0], "shape", d, C8_MAX_RANK, &cnt, err));
    memset(out, 0, sizeof *out);
    out->rank = (int)cnt;
    for (int k = 0; k < out->rank; k++) {
        if (d[k] < 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "shape '%s' has a negative extent %lld",
                               v[0].name, (long long)d[k]);
        out->d[k] = d[k];
    }
    return C8_OK;
}

static c8_dtype cos_dtype(const c8_node *n) {
    const c8_attr *a = c8_node_attr(n, "value");
    return a ? a->tensor.dtype : C8_DT_FLOAT;
}

static c8_status infer_cos(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_ot_view v[1];
    c8_ot_views_graph(g, n, v, 1);
    c8_shape out;
    C8_TRY(cos_plan(g, n, v, &out, err));
    c8_ot_set_out(g, n, 0, cos_dtype(n), &out);
    return C8_OK;
}

static c8_status run_cos(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[1];
    c8_ot_views_run(r, v, 1);
    c8_shape out;
    C8_TRY(cos_plan(r->g, r->n, v, &out, err));
    C8_TRY(c8_ot_check_out(r, 0, &out, err));
    const c8_attr *a = c8_node_attr(r->n, "value");
    size_t es = c8_dtype_size(r->out[0].dtype);
    int64_t cnt = c8_shape_numel(&out);
    for (int64_t i = 0; i < cnt; i++) {
        char *dst = (char *)r->out[0].data + (size_t)i * es;
        if (a)
            memcpy(dst, a->tensor.data, es);
        else
            memset(dst, 0, es); /* float32 0 */
    }
    return C8_OK;
}

/* ---- Range: start, limit, delta scalars (opset 11) ---- */

static bool range_dtype(c8_dtype t) {
    return t == C8_DT_FLOAT || t == C8_DT_DOUBLE || t == C8_DT_INT16 || t == C8_DT_INT32 ||
           t == C8_DT_INT64;
}

static double scalar_at(const c8_ot_view *v) {
    switch (v->dtype) {
    case C8_DT_FLOAT: return *(const float *)v->data;
    case C8_DT_DOUBLE: return *(const double *)v->data;
    case C8_DT_INT16: return *(const int16_t *)v->data;
    case C8_DT_INT32: return *(const int32_t *)v->data;
    default: return (double)*(const int64_t *)v->data;
    }
}

/* Number of elements: max(ceil((limit - start) / delta), 0); integers exactly. */
static c8_status range_count(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             int64_t *count, c8_error *err) {
    for (int k = 0; k < 3; k++) {
        if (v[k].dtype != v[0].dtype)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "'%s' is %s but start '%s' is %s",
                               v[k].name, c8_dtype_name(v[k].dtype), v[0].name,
                               c8_dtype_name(v[0].dtype));
        if (v[k].shape.rank >= 0 && c8_shape_numel(&v[k].shape) != 1)
            return c8_node_err(err, g, n, C8_ERR_SHAPE, "'%s' must be a scalar", v[k].name);
    }
    if (!range_dtype(v[0].dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "Range on %s is not supported",
                           c8_dtype_name(v[0].dtype));
    *count = -1;
    if (!v[0].has_data || !v[1].has_data || !v[2].has_data) return C8_OK;
    double start = scalar_at(&v[0]), limit = scalar_at(&v[1]), delta = scalar_at(&v[2]);
    if (delta == 0 || isnan(delta) || isnan(start) || isnan(limit))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "delta '%s' is %g (start %g, limit %g)",
                           v[2].name, delta, start, limit);
    double c = ceil((limit - start) / delta);
    if (v[0].dtype == C8_DT_INT64) { /* exact: float64 cannot hold every int64 */
        int64_t s0 = *(const int64_t *)v[0].data, l0 = *(const int64_t *)v[1].data;
        int64_t d0 = *(const int64_t *)v[2].data, diff;
        if (__builtin_sub_overflow(l0, s0, &diff))
            return c8_node_err(err, g, n, C8_ERR_INVALID, "limit - start overflows int64");
        int64_t q = diff / d0;
        if (q * d0 != diff && (diff > 0) == (d0 > 0)) q++; /* ceil of a positive quotient */
        c = (double)q;
    }
    if (!(c < 9.2e18)) return c8_node_err(err, g, n, C8_ERR_LIMIT, "Range of %g elements", c);
    *count = c > 0 ? (int64_t)c : 0;
    return C8_OK;
}

static c8_status infer_range(c8_graph *g, c8_node *n, c8_error *err) {
    c8_ot_view v[3];
    c8_ot_views_graph(g, n, v, 3);
    int64_t cnt;
    C8_TRY(range_count(g, n, v, &cnt, err));
    c8_shape out = c8_ot_unknown_shape(1);
    out.d[0] = cnt;
    c8_ot_set_out(g, n, 0, v[0].dtype, &out);
    return C8_OK;
}

static c8_status run_range(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[3];
    c8_ot_views_run(r, v, 3);
    int64_t cnt;
    C8_TRY(range_count(r->g, r->n, v, &cnt, err));
    c8_shape out = c8_ot_unknown_shape(1);
    out.d[0] = cnt;
    C8_TRY(c8_ot_check_out(r, 0, &out, err));
    /* y[i] = start + i * delta: integers in their type (wrapping cannot occur: y stays between
     * start and limit), floats in float64 rounded once */
    void *y = r->out[0].data;
    for (int64_t i = 0; i < cnt; i++) switch (v[0].dtype) {
        case C8_DT_FLOAT:
            ((float *)y)[i] = (float)(scalar_at(&v[0]) + (double)i * scalar_at(&v[2]));
            break;
        case C8_DT_DOUBLE:
            ((double *)y)[i] = scalar_at(&v[0]) + (double)i * scalar_at(&v[2]);
            break;
        case C8_DT_INT16:
            ((int16_t *)y)[i] =
                (int16_t)(*(const int16_t *)v[0].data + i * *(const int16_t *)v[2].data);
            break;
        case C8_DT_INT32:
            ((int32_t *)y)[i] =
                (int32_t)(*(const int32_t *)v[0].data + i * *(const int32_t *)v[2].data);
            break;
        default:
            ((int64_t *)y)[i] = *(const int64_t *)v[0].data + i * *(const int64_t *)v[2].data;
            break;
        }
    return C8_OK;
}

/* ---- GatherElements (opset 11) ---- */

static c8_status check_gather_elements(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"axis", NULL};
    C8_TRY(need_opset(g, n, 11, err));
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    return c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err);
}

static c8_status infer_gather_elements(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x, *ix;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(c8_ot_input(g, n, 1, &ix, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    if (ix->dtype != C8_DT_INT64 && ix->dtype != C8_DT_INT32)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "indices '%s' must be int32 or int64, not %s",
                           ix->name, c8_dtype_name(ix->dtype));
    if (x->shape.rank >= 0 && ix->shape.rank >= 0) {
        if (x->shape.rank != ix->shape.rank || x->shape.rank < 1)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "indices '%s' (rank %d) and data '%s' (rank %d) need one rank >= 1",
                               ix->name, ix->shape.rank, x->name, x->shape.rank);
        int a;
        c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", 0), x->shape.rank, &a, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    }
    c8_shape out = ix->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

static c8_status run_gather_elements(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *x = &r->in[0], *ix = &r->in[1];
    int a;
    c8_status s = c8_axis_norm(c8_node_attr_i(r->n, "axis", 0), x->shape.rank, &a, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, r->g, r->n, s);
    C8_TRY(c8_ot_check_out(r, 0, &ix->shape, err));
    for (int k = 0; k < x->shape.rank; k++)
        if (k != a && ix->shape.d[k] > x->shape.d[k])
            return c8_node_err(err, r->g, r->n, C8_ERR_SHAPE,
                               "indices extent %lld exceeds the data's %lld on axis %d",
                               (long long)ix->shape.d[k], (long long)x->shape.d[k], k);
    int64_t cnt = c8_shape_numel(&ix->shape), len = x->shape.d[a];
    for (int64_t i = 0; i < cnt; i++) {
        int64_t j = ix->dtype == C8_DT_INT64 ? ((const int64_t *)ix->data)[i]
                                             : ((const int32_t *)ix->data)[i];
        if (j < -len || j >= len)
            return c8_node_err(err, r->g, r->n, C8_ERR_INVALID,
                               "index %lld (element %lld of '%s') is out of range for axis %d of "
                               "extent %lld",
                               (long long)j, (long long)i, r->g->vals[r->n->in[1]].name, a,
                               (long long)len);
    }
    if (cnt > 0)
        c8_ref_gather_elements(&x->shape, x->data, a, ix->dtype, &ix->shape, ix->data,
                               c8_dtype_size(x->dtype), r->out[0].data);
    return C8_OK;
}

/* ---- ArgMax / ArgMin ---- */

static c8_status check_arg(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const a11[] = {"axis", "keepdims", NULL};
    static const char *const a12[] = {"axis", "keepdims", "select_last_index", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, g->opset < 12 ? a11 : a12, err));
    C8_TRY(c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err));
    C8_TRY(c8_ot_attr_type(g, n, "keepdims", C8_ATTR_INT, err));
    return c8_ot_attr_type(g, n, "select_last_index", C8_ATTR_INT, err);
}

/* x viewed as (outer, len, inner) around axis a; the output shape. */
static c8_status arg_plan(const c8_graph *g, const c8_node *n, const c8_shape *in, int *a,
                          c8_shape *out, c8_error *err) {
    if (in->rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", 0), in->rank, a, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    bool keep = c8_node_attr_i(n, "keepdims", 1) != 0;
    memset(out, 0, sizeof *out);
    for (int k = 0; k < in->rank; k++)
        if (k != *a)
            out->d[out->rank++] = in->d[k];
        else if (keep)
            out->d[out->rank++] = 1;
    return C8_OK;
}

static c8_status infer_arg(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    if (!c8_ref_index_value_supports(x->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "%s on %s ('%s') is not supported (float32/64, int32/64 are)",
                           n->op_type, c8_dtype_name(x->dtype), x->name);
    int a;
    c8_shape out;
    C8_TRY(arg_plan(g, n, &x->shape, &a, &out, err));
    c8_ot_set_out(g, n, 0, C8_DT_INT64, &out);
    return C8_OK;
}

static c8_status run_arg(const c8_op_run *r, c8_error *err) {
    const c8_host_tensor *x = &r->in[0];
    int a;
    c8_shape out;
    C8_TRY(arg_plan(r->g, r->n, &x->shape, &a, &out, err));
    C8_TRY(c8_ot_check_out(r, 0, &out, err));
    int64_t len = x->shape.d[a], outer = c8_shape_span(&x->shape, 0, a),
            inner = c8_shape_span(&x->shape, a + 1, x->shape.rank);
    if (len == 0)
        return c8_node_err(err, r->g, r->n, C8_ERR_INVALID, "%s over axis %d of extent 0",
                           r->n->op_type, a);
    c8_ref_arg_reduce(r->n->op == C8_OP_ARGMAX, c8_node_attr_i(r->n, "select_last_index", 0) != 0,
                      x->dtype, outer, len, inner, x->data, r->out[0].data);
    return C8_OK;
}

/* ---- TopK: k an attribute before opset 10, an input from 10; largest / sorted from 11 ---- */

static c8_status check_topk(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const a1[] = {"axis", "k", NULL};
    static const char *const a10[] = {"axis", NULL};
    static const char *const a11[] = {"axis", "largest", "sorted", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, g->opset < 10 ? a1 : g->opset < 11 ? a10 : a11, err));
    C8_TRY(c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err));
    if (g->opset < 10) {
        C8_TRY(c8_ot_attr_required(g, n, "k", C8_ATTR_INT, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "before opset 10 k is an attribute");
    } else if (n->n_in < 2 || n->in[1] < 0) {
        return c8_node_err(err, g, n, C8_ERR_INVALID, "the K input is required from opset 10");
    }
    return C8_OK;
}

static c8_status topk_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v, int *a,
                           int64_t *k, c8_shape *out, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    *k = -1;
    if (g->opset < 10) {
        *k = c8_node_attr_i(n, "k", 0);
    } else if (v[1].has_data) {
        int64_t cnt;
        C8_TRY(c8_ot_read_ints(g, n, &v[1], "K", k, 1, &cnt, err));
        if (cnt != 1) return c8_node_err(err, g, n, C8_ERR_INVALID, "K must hold one value");
    }
    if (in->rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", -1), in->rank, a, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    if (*k >= 0 && in->d[*a] >= 0 && *k > in->d[*a])
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "k = %lld exceeds axis %d's extent %lld",
                           (long long)*k, *a, (long long)in->d[*a]);
    if (*k < -1 || (g->opset < 10 && *k < 0))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "k = %lld is negative", (long long)*k);
    *out = *in;
    out->d[*a] = *k;
    return C8_OK;
}

static c8_status infer_topk(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    if (!c8_ref_index_value_supports(x->dtype))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "TopK on %s ('%s') is not supported (float32/64, int32/64 are)",
                           c8_dtype_name(x->dtype), x->name);
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    int a;
    int64_t k;
    c8_shape out;
    C8_TRY(topk_plan(g, n, v, &a, &k, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    c8_ot_set_out(g, n, 1, C8_DT_INT64, &out);
    return C8_OK;
}

static c8_status run_topk(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    int a;
    int64_t k;
    c8_shape out;
    C8_TRY(topk_plan(r->g, r->n, v, &a, &k, &out, err));
    /* r->out holds n_out entries; the Indices output may be absent or omitted */
    const bool has_idx = r->n->n_out > 1 && r->n->out[1] >= 0;
    C8_TRY(c8_ot_check_out(r, 0, &out, err));
    if (has_idx) C8_TRY(c8_ot_check_out(r, 1, &out, err));
    const c8_shape *in = &r->in[0].shape;
    int64_t outer = c8_shape_span(in, 0, a), inner = c8_shape_span(in, a + 1, in->rank);
    if (c8_shape_numel(&out) == 0) return C8_OK;
    /* the indices are computed even when that output is unused */
    int64_t *idx = has_idx ? r->out[1].data : NULL;
    int64_t *scratch = NULL;
    if (!idx) {
        scratch = malloc((size_t)c8_shape_numel(&out) * sizeof *scratch);
        if (!scratch) return c8_node_err(err, r->g, r->n, C8_ERR_NOMEM, "out of memory");
        idx = scratch;
    }
    bool largest = c8_node_attr_i(r->n, "largest", 1) != 0;
    bool ok = c8_ref_topk(r->in[0].dtype, outer, in->d[a], inner, k, largest, r->in[0].data,
                          r->out[0].data, idx);
    free(scratch);
    if (!ok) return c8_node_err(err, r->g, r->n, C8_ERR_NOMEM, "out of memory sorting");
    return C8_OK;
}

/* ---- Size: the input's element count as an int64 scalar (reads only the shape) ---- */

static c8_status check_size(const c8_graph *g, const c8_node *n, c8_error *err) {
    return c8_ot_known_attrs(g, n, k_no_attrs, err);
}

static c8_status infer_size(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_shape s;
    memset(&s, 0, sizeof s); /* rank 0: a scalar */
    c8_ot_set_out(g, n, 0, C8_DT_INT64, &s);
    return C8_OK;
}

static c8_status run_size(const c8_op_run *r, c8_error *err) {
    int64_t cnt;
    c8_status s = c8_shape_count(&r->in[0].shape, 0, "input", &cnt, NULL, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, r->g, r->n, s);
    *(int64_t *)r->out[0].data = cnt;
    return C8_OK;
}

/* ---- the table ---- */

const c8_op_def c8_ops_index_table[] = {
    {C8_OP_EXPAND, 2, 2, 1, 1, check_plain, infer_expand, run_expand},
    {C8_OP_TILE, 2, 2, 1, 1, check_plain, infer_tile, run_tile},
    {C8_OP_CONSTANT_OF_SHAPE, 1, 1, 1, 1, check_cos, infer_cos, run_cos},
    {C8_OP_RANGE, 3, 3, 1, 1, check_plain, infer_range, run_range},
    {C8_OP_GATHER_ELEMENTS, 2, 2, 1, 1, check_gather_elements, infer_gather_elements,
     run_gather_elements},
    {C8_OP_ARGMAX, 1, 1, 1, 1, check_arg, infer_arg, run_arg},
    {C8_OP_ARGMIN, 1, 1, 1, 1, check_arg, infer_arg, run_arg},
    {C8_OP_TOPK, 1, 2, 1, 2, check_topk, infer_topk, run_topk},
    {C8_OP_SIZE, 1, 1, 1, 1, check_size, infer_size, run_size},
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
