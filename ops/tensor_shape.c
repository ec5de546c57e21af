/* Shape and data-movement ops: Concat, Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Identity,
 * Dropout (inference), Shape, Gather, Cast, Slice, Split. All move elements by size, so they
 * work for every dtype calib8 can hold (Cast converts). Shapes that depend on input values
 * are planned once for infer and run (see ops_tensor_int.h).
 * Kernels: kernels/ref/transpose.c, kernels/ref/eltwise.c (Cast). Tests: tests/ops/. */
#include "ops/tensor_int.h"

#include "util/shape.h"
#include "kernels/ref/eltwise.h"
#include "kernels/ref/transpose.h"
#include "util/arith.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define SB 160 /* shape string buffer */

static const char *const k_no_attrs[] = {NULL};

/* Shape of output k as allocated at run time. */
static const c8_shape *out_shape(const c8_op_run *r, int k) { return &r->out[k].shape; }

static c8_status rank_limit(const c8_graph *g, const c8_node *n, int64_t rank, c8_error *err) {
    if (rank > C8_MAX_RANK)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "the output would have rank %lld; calib8 supports at most %d",
                           (long long)rank, C8_MAX_RANK);
    return C8_OK;
}

/* ---- Concat ---- */

c8_status c8_ot_check_concat(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"axis", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    return c8_ot_attr_required(g, n, "axis", C8_ATTR_INT, err);
}

/* Output shape of Concat over count input shapes (names for messages); unknown ranks give an
 * unknown output rank unless another input fixes it. */
static c8_status concat_plan(const c8_graph *g, const c8_node *n, const c8_shape *const *in,
                             const char *const *names, int count, c8_shape *out, int *axis_out,
                             c8_error *err) {
    int rank = -1, first = -1;
    for (int k = 0; k < count; k++) {
        if (in[k]->rank < 0) continue;
        if (rank < 0) {
            rank = in[k]->rank;
            first = k;
        } else if (in[k]->rank != rank) {
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "inputs '%s' (rank %d) and '%s' (rank %d) have different ranks",
                               names[first], rank, names[k], in[k]->rank);
        }
    }
    if (rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    if (rank == 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "cannot concatenate scalars ('%s')",
                           names[first]);
    int axis;
    c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", 0), rank, &axis, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    *axis_out = axis;
    c8_shape o = c8_ot_unknown_shape(rank);
    int64_t sum = 0;
    for (int k = 0; k < count; k++) {
        if (in[k]->rank < 0) {
            sum = -1;
            continue;
        }
        for (int d = 0; d < rank; d++) {
            int64_t e = in[k]->d[d];
            if (d == axis) {
                if (e < 0 || sum < 0)
                    sum = -1;
                else if (e > INT64_MAX - sum)
                    return c8_node_err(err, g, n, C8_ERR_NOMEM, "concatenated extent overflows");
                else
                    sum += e;
                continue;
            }
            if (e < 0) continue;
            if (o.d[d] >= 0 && o.d[d] != e) {
                char a[SB], b[SB];
                return c8_node_err(err, g, n, C8_ERR_SHAPE,
                                   "input '%s' (%s) does not match the others (%s) on axis %d",
                                   names[k], c8_shape_str(in[k], a, sizeof a),
                                   c8_shape_str(&o, b, sizeof b), d);
            }
            o.d[d] = e;
        }
    }
    o.d[axis] = sum;
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_concat(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x0;
    C8_TRY(c8_ot_input(g, n, 0, &x0, err));
    const c8_shape **shapes = malloc((size_t)n->n_in * sizeof *shapes);
    const char **names = malloc((size_t)n->n_in * sizeof *names);
    c8_status s = C8_OK;
    if (!shapes || !names) {
        s = c8_node_err(err, g, n, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n->n_in && s == C8_OK; k++) {
        const c8_value *v;
        s = c8_ot_input(g, n, k, &v, err);
        if (s != C8_OK) break;
        if (v->dtype != x0->dtype)
            s = c8_node_err(err, g, n, C8_ERR_INVALID,
                            "inputs '%s' (%s) and '%s' (%s) have different dtypes", x0->name,
                            c8_dtype_name(x0->dtype), v->name, c8_dtype_name(v->dtype));
        shapes[k] = &v->shape;
        names[k] = v->name;
    }
    size_t es;
    if (s == C8_OK) s = c8_ot_esize(g, n, x0->dtype, x0->name, &es, err);
    c8_shape out;
    int axis = 0;
    if (s == C8_OK) s = concat_plan(g, n, shapes, names, n->n_in, &out, &axis, err);
    if (s == C8_OK) c8_ot_set_out(g, n, 0, x0->dtype, &out);
done:
    free(shapes);
    free(names);
    return s;
}

c8_status c8_ot_run_concat(const c8_op_run *r, c8_error *err) {
    const c8_node *n = r->n;
    const c8_shape **shapes = malloc((size_t)n->n_in * sizeof *shapes);
    const char **names = malloc((size_t)n->n_in * sizeof *names);
    c8_status s = C8_OK;
    if (!shapes || !names) {
        s = c8_node_err(err, r->g, n, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n->n_in; k++) {
        shapes[k] = &r->in[k].shape;
        names[k] = r->g->vals[n->in[k]].name;
    }
    c8_shape planned;
    int axis = 0;
    s = concat_plan(r->g, n, shapes, names, n->n_in, &planned, &axis, err);
    if (s == C8_OK) s = c8_ot_check_out(r, 0, &planned, err);
    if (s != C8_OK) goto done;
    {
        const c8_shape *y = out_shape(r, 0);
        size_t es = c8_dtype_size(r->out[0].dtype);
        int64_t outer = c8_shape_span(y, 0, axis), inner = c8_shape_span(y, axis + 1, y->rank);
        size_t dst_pitch = (size_t)(y->d[axis] * inner) * es;
        char *dst = r->out[0].data;
        for (int k = 0; k < n->n_in; k++) {
            size_t part = (size_t)(r->in[k].shape.d[axis] * inner) * es;
            c8_ref_copy_rows(outer, part, r->in[k].data, part, dst, dst_pitch);
            dst += part;
        }
    }
done:
    free(shapes);
    free(names);
    return s;
}

/* ---- Flatten ---- */

c8_status c8_ot_check_flatten(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"axis", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    return c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err);
}

static c8_status flatten_plan(const c8_graph *g, const c8_node *n, const c8_shape *in,
                              c8_shape *out, c8_error *err) {
    *out = c8_ot_unknown_shape(2);
    if (in->rank < 0) return C8_OK;
    int64_t axis = c8_node_attr_i(n, "axis", 1);
    int r = in->rank;
    if (axis < -r || axis > r)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "axis %lld is out of range for rank %d (valid %d..%d)", (long long)axis,
                           r, -r, r);
    if (axis < 0) axis += r;
    C8_TRY(c8_ot_span(g, n, in, 0, (int)axis, &out->d[0], err));
    C8_TRY(c8_ot_span(g, n, in, (int)axis, r, &out->d[1], err));
    return C8_OK;
}

c8_status c8_ot_infer_flatten(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_shape out;
    C8_TRY(flatten_plan(g, n, &x->shape, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_flatten(const c8_op_run *r, c8_error *err) {
    c8_shape planned;
    C8_TRY(flatten_plan(r->g, r->n, &r->in[0].shape, &planned, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    return c8_ot_copy_in0(r, 0, err);
}

/* ---- Reshape: 0 copies the input extent (unless allowzero), -1 is inferred ---- */

c8_status c8_ot_check_reshape(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"allowzero", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    return c8_ot_attr_type(g, n, "allowzero", C8_ATTR_INT, err);
}

static c8_status reshape_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                              c8_shape *out, c8_error *err) {
    const c8_ot_view *x = &v[0], *sh = &v[1];
    if (!sh->has_data) {
        /* the rank is known when the shape tensor's length is */
        if (sh->shape.rank == 1 && sh->shape.d[0] >= 0 && sh->shape.d[0] <= C8_MAX_RANK)
            *out = c8_ot_unknown_shape((int)sh->shape.d[0]);
        else
            *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    int64_t want[C8_MAX_RANK], cnt;
    c8_status s = c8_ot_read_ints(g, n, sh, "shape", want, C8_MAX_RANK, &cnt, err);
    if (s != C8_OK) return s;
    bool allowzero = c8_node_attr_i(n, "allowzero", 0) != 0;
    c8_shape o = c8_ot_unknown_shape((int)cnt);
    int infer_at = -1;
    bool has_zero = false;
    bool copied[C8_MAX_RANK] = {false}; /* input axes whose extent a 0 copies */
    for (int i = 0; i < cnt; i++) {
        int64_t w = want[i];
        if (w == -1) {
            if (infer_at >= 0)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "shape '%s' has more than one -1",
                                   sh->name);
            infer_at = i;
        } else if (w == 0 && !allowzero) {
            if (x->shape.rank >= 0 && i >= x->shape.rank)
                return c8_node_err(err, g, n, C8_ERR_INVALID,
                                   "shape '%s'[%d] = 0 copies input axis %d, but the input "
                                   "'%s' has rank %d",
                                   sh->name, i, i, x->name, x->shape.rank);
            if (x->shape.rank >= 0) {
                o.d[i] = x->shape.d[i];
                copied[i] = true;
            }
        } else if (w < 0) {
            return c8_node_err(err, g, n, C8_ERR_INVALID, "shape '%s'[%d] = %lld is invalid",
                               sh->name, i, (long long)w);
        } else {
            has_zero |= w == 0;
            o.d[i] = w;
        }
    }
    if (allowzero && has_zero && infer_at >= 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "shape '%s' has both 0 and -1 with allowzero=1", sh->name);
    if (x->shape.rank < 0) {
        *out = o; /* copied extents stay unknown too */
        return C8_OK;
    }
    /* rest_in: product of the input extents not copied by a 0; rest_out: of the output extents
     * given explicitly. Unknown input extents that a 0 copies cancel out. */
    int64_t rest_in = 1, rest_out = 1;
    bool in_known = true;
    for (int i = 0; i < x->shape.rank; i++) {
        if (i < cnt && copied[i]) continue;
        if (x->shape.d[i] < 0)
            in_known = false;
        else if (in_known && !c8_mul_i64(rest_in, x->shape.d[i], &rest_in))
            return c8_node_err(err, g, n, C8_ERR_NOMEM, "element count of '%s' overflows", x->name);
    }
    for (int i = 0; i < cnt; i++) {
        if (copied[i] || i == infer_at) continue;
        if (!c8_mul_i64(rest_out, o.d[i], &rest_out))
            return c8_node_err(err, g, n, C8_ERR_NOMEM, "element count of shape '%s' overflows",
                               sh->name);
    }
    if (!in_known) {
        *out = o;
        return C8_OK;
    }
    char a[SB];
    if (infer_at >= 0) {
        if (rest_out == 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "cannot infer the -1 in shape '%s' next to a zero extent", sh->name);
        if (rest_in % rest_out != 0)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "cannot reshape '%s' (%s) to shape '%s': %lld elements do not "
                               "divide into rows of %lld",
                               x->name, c8_shape_str(&x->shape, a, sizeof a), sh->name,
                               (long long)rest_in, (long long)rest_out);
        o.d[infer_at] = rest_in / rest_out;
    } else if (rest_in != rest_out) {
        char b[SB];
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "cannot reshape '%s' (%s) to %s: element counts differ", x->name,
                           c8_shape_str(&x->shape, a, sizeof a), c8_shape_str(&o, b, sizeof b));
    }
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_reshape(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x, *sh;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(c8_ot_input(g, n, 1, &sh, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    c8_shape out;
    C8_TRY(reshape_plan(g, n, v, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_reshape(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    c8_shape planned;
    C8_TRY(reshape_plan(r->g, r->n, v, &planned, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    return c8_ot_copy_in0(r, 0, err);
}

/* ---- Squeeze / Unsqueeze: axes attribute before opset 13, input from 13 ---- */

static c8_status check_axes_form(const c8_graph *g, const c8_node *n, bool required,
                                 c8_error *err) {
    if (g->opset < 13) {
        static const char *const attrs[] = {"axes", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        if (required)
            C8_TRY(c8_ot_attr_required(g, n, "axes", C8_ATTR_INTS, err));
        else
            C8_TRY(c8_ot_attr_type(g, n, "axes", C8_ATTR_INTS, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "before opset 13 the axes are an attribute, not an input");
        return C8_OK;
    }
    C8_TRY(c8_ot_known_attrs(g, n, k_no_attrs, err));
    if (required && (n->n_in < 2 || n->in[1] < 0))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "the axes input is required from opset 13");
    return C8_OK;
}

/* The axes of a Squeeze / Unsqueeze: *known = false when they are an input without data
 * (then *count is their number if the input's length is known, else -1). */
static c8_status read_axes(const c8_graph *g, const c8_node *n, const c8_ot_view *v, int64_t *axes,
                           int64_t *count, bool *known, c8_error *err) {
    *known = true;
    if (g->opset < 13) {
        const int64_t *a;
        size_t cnt = c8_node_attr_ints(n, "axes", &a);
        if (cnt > 2 * C8_MAX_RANK)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "too many axes (%zu)", cnt);
        if (cnt) memcpy(axes, a, cnt * sizeof *a);
        *count = (int64_t)cnt;
        return C8_OK;
    }
    if (!v[1].present) {
        *count = 0;
        return C8_OK;
    }
    if (!v[1].has_data) {
        *known = false;
        *count = (v[1].shape.rank == 1 && v[1].shape.d[0] >= 0) ? v[1].shape.d[0] : -1;
        return C8_OK;
    }
    return c8_ot_read_ints(g, n, &v[1], "axes", axes, 2 * C8_MAX_RANK, count, err);
}

c8_status c8_ot_check_squeeze(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_axes_form(g, n, false, err);
}

static c8_status squeeze_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                              c8_shape *out, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    int64_t axes[2 * C8_MAX_RANK], cnt;
    bool known;
    C8_TRY(read_axes(g, n, v, axes, &cnt, &known, err));
    if (in->rank < 0 || (!known && (cnt < 0 || cnt > in->rank))) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    if (!known) {
        *out = c8_ot_unknown_shape(in->rank - (int)cnt);
        return C8_OK;
    }
    bool drop[C8_MAX_RANK] = {false};
    if (cnt == 0) {
        /* no axes: every extent 1 goes, so all extents must be known */
        for (int k = 0; k < in->rank; k++) {
            if (in->d[k] < 0) {
                *out = c8_ot_unknown_shape(-1);
                return C8_OK;
            }
            drop[k] = in->d[k] == 1;
        }
    }
    for (int64_t i = 0; i < cnt; i++) {
        int a;
        c8_status s = c8_axis_norm(axes[i], in->rank, &a, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        if (drop[a])
            return c8_node_err(err, g, n, C8_ERR_INVALID, "axis %lld is listed twice",
                               (long long)axes[i]);
        if (in->d[a] >= 0 && in->d[a] != 1) {
            char b[SB];
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "cannot squeeze axis %d of '%s' (%s): its extent is %lld, not 1", a,
                               v[0].name, c8_shape_str(in, b, sizeof b), (long long)in->d[a]);
        }
        drop[a] = true;
    }
    c8_shape o = c8_ot_unknown_shape(0);
    for (int k = 0; k < in->rank; k++)
        if (!drop[k]) o.d[o.rank++] = in->d[k];
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_squeeze(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    c8_shape out;
    C8_TRY(squeeze_plan(g, n, v, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_squeeze(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    c8_shape planned;
    C8_TRY(squeeze_plan(r->g, r->n, v, &planned, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    return c8_ot_copy_in0(r, 0, err);
}

c8_status c8_ot_check_unsqueeze(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_axes_form(g, n, true, err);
}

static c8_status unsqueeze_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                                c8_shape *out, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    int64_t axes[2 * C8_MAX_RANK], cnt;
    bool known;
    C8_TRY(read_axes(g, n, v, axes, &cnt, &known, err));
    if (in->rank < 0 || cnt < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    int64_t orank = in->rank + cnt;
    C8_TRY(rank_limit(g, n, orank, err));
    if (!known) {
        *out = c8_ot_unknown_shape((int)orank);
        return C8_OK;
    }
    if (cnt == 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "Unsqueeze needs at least one axis");
    bool ins[C8_MAX_RANK] = {false};
    for (int64_t i = 0; i < cnt; i++) {
        int a;
        c8_status s = c8_axis_norm(axes[i], (int)orank, &a, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        if (ins[a])
            return c8_node_err(err, g, n, C8_ERR_INVALID, "axis %lld is listed twice",
                               (long long)axes[i]);
        ins[a] = true;
    }
    c8_shape o = c8_ot_unknown_shape((int)orank);
    int j = 0;
    for (int k = 0; k < orank; k++) o.d[k] = ins[k] ? 1 : in->d[j++];
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_unsqueeze(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    c8_shape out;
    C8_TRY(unsqueeze_plan(g, n, v, &out, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_unsqueeze(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    c8_shape planned;
    C8_TRY(unsqueeze_plan(r->g, r->n, v, &planned, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    return c8_ot_copy_in0(r, 0, err);
}

/* ---- Transpose ---- */

c8_status c8_ot_check_transpose(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"perm", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_type(g, n, "perm", C8_ATTR_INTS, err));
    const int64_t *p;
    size_t cnt = c8_node_attr_ints(n, "perm", &p);
    if (cnt > C8_MAX_RANK)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "perm has %zu entries (at most %d)", cnt,
                           C8_MAX_RANK);
    bool seen[C8_MAX_RANK] = {false};
    for (size_t i = 0; i < cnt; i++) {
        if (p[i] < 0 || p[i] >= (int64_t)cnt || seen[p[i]])
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "perm is not a permutation of 0..%zu (entry %zu is %lld)", cnt - 1,
                               i, (long long)p[i]);
        seen[p[i]] = true;
    }
    return C8_OK;
}

/* perm (given or reversed) for an input of the given rank. */
static c8_status transpose_perm(const c8_graph *g, const c8_node *n, int rank, int *perm,
                                c8_error *err) {
    const int64_t *p;
    size_t cnt = c8_node_attr_ints(n, "perm", &p);
    if (!c8_node_attr(n, "perm")) {
        for (int k = 0; k < rank; k++) perm[k] = rank - 1 - k;
        return C8_OK;
    }
    if ((int)cnt != rank)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "perm has %zu entries for a rank-%d input", cnt,
                           rank);
    for (int k = 0; k < rank; k++) perm[k] = (int)p[k];
    return C8_OK;
}

c8_status c8_ot_infer_transpose(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_shape out;
    if (x->shape.rank < 0) {
        const int64_t *p;
        size_t cnt = c8_node_attr_ints(n, "perm", &p);
        out = c8_ot_unknown_shape(c8_node_attr(n, "perm") ? (int)cnt : -1);
    } else {
        int perm[C8_MAX_RANK];
        C8_TRY(transpose_perm(g, n, x->shape.rank, perm, err));
        out = c8_ot_unknown_shape(x->shape.rank);
        for (int k = 0; k < x->shape.rank; k++) out.d[k] = x->shape.d[perm[k]];
    }
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_transpose(const c8_op_run *r, c8_error *err) {
    const c8_shape *in = &r->in[0].shape;
    int perm[C8_MAX_RANK];
    C8_TRY(transpose_perm(r->g, r->n, in->rank, perm, err));
    c8_shape planned = *in;
    for (int k = 0; k < in->rank; k++) planned.d[k] = in->d[perm[k]];
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    c8_ref_transpose(in, perm, c8_dtype_size(r->in[0].dtype), r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- Identity ---- */

c8_status c8_ot_check_identity(const c8_graph *g, const c8_node *n, c8_error *err) {
    return c8_ot_known_attrs(g, n, k_no_attrs, err);
}

c8_status c8_ot_infer_identity(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &s);
    return C8_OK;
}

c8_status c8_ot_run_identity(const c8_op_run *r, c8_error *err) {
    C8_TRY(c8_ot_check_out(r, 0, &r->in[0].shape, err));
    return c8_ot_copy_in0(r, 0, err);
}

/* ---- Dropout (inference only: output = input, mask all true) ---- */

c8_status c8_ot_check_dropout(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (g->opset < 12) {
        static const char *const attrs[] = {"ratio", "seed", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "ratio", C8_ATTR_FLOAT, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "before opset 12 Dropout has one input (ratio is an attribute)");
        return C8_OK;
    }
    static const char *const attrs[] = {"seed", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    const c8_value *tm = c8_node_input(g, n, 2);
    if (!tm) return C8_OK;
    if (tm->kind != C8_VAL_CONST)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "training_mode '%s' is not a constant; calib8 runs Dropout for "
                           "inference only (training_mode must be false)",
                           tm->name);
    if (tm->dtype != C8_DT_BOOL || tm->nbytes != 1)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "training_mode '%s' must be a bool scalar",
                           tm->name);
    if (((const unsigned char *)tm->data)[0] != 0)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "training_mode is true; calib8 runs Dropout for inference only");
    return C8_OK;
}

c8_status c8_ot_infer_dropout(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, x->dtype, &s);
    /* the mask is bool from opset 10, the input's type before */
    c8_ot_set_out(g, n, 1, g->opset >= 10 ? C8_DT_BOOL : x->dtype, &s);
    return C8_OK;
}

c8_status c8_ot_run_dropout(const c8_op_run *r, c8_error *err) {
    C8_TRY(c8_ot_check_out(r, 0, &r->in[0].shape, err));
    C8_TRY(c8_ot_copy_in0(r, 0, err));
    if (r->n->n_out < 2 || r->n->out[1] < 0) return C8_OK;
    C8_TRY(c8_ot_check_out(r, 1, &r->in[0].shape, err));
    const c8_host_tensor *m = &r->out[1];
    int64_t cnt = c8_shape_numel(&m->shape);
    size_t es = c8_dtype_size(m->dtype);
    unsigned char one[8];
    const float f1 = 1.0f;
    if (es == 0 || es > sizeof one || !c8_ref_cast(C8_DT_FLOAT, &f1, m->dtype, one, 1))
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "mask of dtype %s",
                           c8_dtype_name(m->dtype));
    for (int64_t i = 0; i < cnt; i++) memcpy((char *)m->data + (size_t)i * es, one, es);
    return C8_OK;
}

/* ---- Shape (start/end from opset 15) ---- */

c8_status c8_ot_check_shape(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"start", "end", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_type(g, n, "start", C8_ATTR_INT, err));
    return c8_ot_attr_type(g, n, "end", C8_ATTR_INT, err);
}

/* The [start, end) range of axes Shape reports for a rank-r input (clamped per the spec). */
static void shape_range(const c8_node *n, int r, int *start, int *end) {
    int64_t s = c8_node_attr_i(n, "start", 0), e = c8_node_attr_i(n, "end", r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = s < 0 ? 0 : (s > r ? r : s);
    e = e < 0 ? 0 : (e > r ? r : e);
    *start = (int)s;
    *end = (int)(e > s ? e : s);
}

c8_status c8_ot_infer_shape(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_shape out = c8_ot_unknown_shape(1);
    int s = 0, e = 0;
    if (x->shape.rank >= 0) {
        shape_range(n, x->shape.rank, &s, &e);
        out.d[0] = e - s;
    }
    c8_ot_set_out(g, n, 0, C8_DT_INT64, &out);
    /* With every reported extent known the output is a constant already: this is what lets the
     * shape subgraphs of PyTorch exports (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) fold
     * although Shape reads an activation. Graph outputs stay computed by the node. */
    bool known = x->shape.rank >= 0 && n->out[0] >= 0 && !g->vals[n->out[0]].is_output;
    for (int k = s; known && k < e; k++) known = x->shape.d[k] >= 0;
    if (!known) return C8_OK;
    int64_t *data = malloc((size_t)(e > s ? e - s : 1) * sizeof *data);
    if (!data) return c8_node_err(err, g, n, C8_ERR_NOMEM, "out of memory");
    for (int k = s; k < e; k++) data[k - s] = x->shape.d[k];
    c8_graph_set_const(g, n->out[0], C8_DT_INT64, &out, data, (size_t)(e - s) * sizeof *data);
    return C8_OK;
}

c8_status c8_ot_run_shape(const c8_op_run *r, c8_error *err) {
    const c8_shape *in = &r->in[0].shape;
    int s, e;
    shape_range(r->n, in->rank, &s, &e);
    c8_shape planned = c8_ot_unknown_shape(1);
    planned.d[0] = e - s;
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    if (r->out[0].dtype != C8_DT_INT64)
        return c8_node_err(err, r->g, r->n, C8_ERR_INTERNAL, "output is not int64");
    int64_t *y = r->out[0].data;
    for (int k = s; k < e; k++) y[k - s] = in->d[k];
    return C8_OK;
}

/* ---- Gather ---- */

c8_status c8_ot_check_gather(const c8_graph *g, const c8_node *n, c8_error *err) {
    static const char *const attrs[] = {"axis", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    return c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err);
}

static c8_status gather_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             c8_shape *out, int *axis_out, c8_error *err) {
    const c8_ot_view *x = &v[0], *ix = &v[1];
    if (ix->dtype != C8_DT_INT64 && ix->dtype != C8_DT_INT32)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "indices '%s' must be int32 or int64, not %s",
                           ix->name, c8_dtype_name(ix->dtype));
    if (x->shape.rank < 0 || ix->shape.rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    if (x->shape.rank == 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "data '%s' is a scalar", x->name);
    int axis;
    c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", 0), x->shape.rank, &axis, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    C8_TRY(rank_limit(g, n, (int64_t)x->shape.rank - 1 + ix->shape.rank, err));
    c8_shape o = c8_ot_unknown_shape(0);
    for (int k = 0; k < axis; k++) o.d[o.rank++] = x->shape.d[k];
    for (int k = 0; k < ix->shape.rank; k++) o.d[o.rank++] = ix->shape.d[k];
    for (int k = axis + 1; k < x->shape.rank; k++) o.d[o.rank++] = x->shape.d[k];
    *out = o;
    *axis_out = axis;
    return C8_OK;
}

c8_status c8_ot_infer_gather(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x, *ix;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    C8_TRY(c8_ot_input(g, n, 1, &ix, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    c8_shape out;
    int axis = 0;
    C8_TRY(gather_plan(g, n, v, &out, &axis, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_gather(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    c8_shape planned;
    int axis = 0;
    C8_TRY(gather_plan(r->g, r->n, v, &planned, &axis, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    const c8_shape *xs = &r->in[0].shape;
    c8_gather_desc d;
    d.esize = c8_dtype_size(r->in[0].dtype);
    d.outer = c8_shape_span(xs, 0, axis);
    d.axis_len = xs->d[axis];
    d.inner = c8_shape_span(xs, axis + 1, xs->rank);
    d.n_idx = c8_shape_numel(&r->in[1].shape);
    d.idx_dtype = r->in[1].dtype;
    for (int64_t j = 0; j < d.n_idx; j++) {
        int64_t k = d.idx_dtype == C8_DT_INT32 ? ((const int32_t *)r->in[1].data)[j]
                                               : ((const int64_t *)r->in[1].data)[j];
        if (k < -d.axis_len || k >= d.axis_len)
            return c8_node_err(err, r->g, r->n, C8_ERR_INVALID,
                               "index %lld (indices '%s' element %lld) is out of range for axis "
                               "%d of extent %lld",
                               (long long)k, v[1].name, (long long)j, axis, (long long)d.axis_len);
    }
    c8_ref_gather(&d, r->in[0].data, r->in[1].data, r->out[0].data);
    return C8_OK;
}

/* ---- Cast ---- */

c8_status c8_ot_check_cast(const c8_graph *g, const c8_node *n, c8_error *err) {
    /* saturate (opset 19) only affects float8 targets, which calib8 does not have */
    static const char *const attrs[] = {"to", "saturate", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    C8_TRY(c8_ot_attr_required(g, n, "to", C8_ATTR_INT, err));
    int64_t to = c8_node_attr_i(n, "to", 0);
    if (to < 1 || to > C8_DT_UINT64 || !c8_ref_cast_supports(C8_DT_FLOAT, (c8_dtype)to))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "cast to ONNX type %lld (%s) is not supported", (long long)to,
                           (to >= 1 && to <= C8_DT_UINT64) ? c8_dtype_name((c8_dtype)to)
                                                           : "unknown");
    return C8_OK;
}

c8_status c8_ot_infer_cast(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_dtype to = (c8_dtype)c8_node_attr_i(n, "to", 0);
    if (!c8_ref_cast_supports(x->dtype, to))
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "cast from %s ('%s') to %s",
                           c8_dtype_name(x->dtype), x->name, c8_dtype_name(to));
    c8_shape s = x->shape;
    c8_ot_set_out(g, n, 0, to, &s);
    return C8_OK;
}

c8_status c8_ot_run_cast(const c8_op_run *r, c8_error *err) {
    C8_TRY(c8_ot_check_out(r, 0, &r->in[0].shape, err));
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    if (!c8_ref_cast(r->in[0].dtype, r->in[0].data, r->out[0].dtype, r->out[0].data, cnt))
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "cast from %s to %s",
                           c8_dtype_name(r->in[0].dtype), c8_dtype_name(r->out[0].dtype));
    return C8_OK;
}

/* ---- Slice: attributes before opset 10, inputs (starts, ends, axes, steps) from 10 ---- */

c8_status c8_ot_check_slice(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (g->opset < 10) {
        static const char *const attrs[] = {"starts", "ends", "axes", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_required(g, n, "starts", C8_ATTR_INTS, err));
        C8_TRY(c8_ot_attr_required(g, n, "ends", C8_ATTR_INTS, err));
        C8_TRY(c8_ot_attr_type(g, n, "axes", C8_ATTR_INTS, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "before opset 10 Slice takes starts/ends/axes as attributes");
        return C8_OK;
    }
    C8_TRY(c8_ot_known_attrs(g, n, k_no_attrs, err));
    if (n->n_in < 3 || n->in[1] < 0 || n->in[2] < 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "the starts and ends inputs are required");
    return C8_OK;
}

#define SLICE_MAX 64 /* starts/ends entries we read (at most one per axis is valid anyway) */

/* One list of Slice parameters: from the attribute (opset < 10) or input k. *known = false when
 * it is an input without data. Absent: *cnt = -1. */
static c8_status slice_list(const c8_graph *g, const c8_node *n, const c8_ot_view *v, int k,
                            const char *attr, const char *what, int64_t *out, int64_t *cnt,
                            bool *known, c8_error *err) {
    *cnt = -1;
    if (g->opset < 10) {
        const int64_t *a;
        if (!attr || !c8_node_attr(n, attr)) return C8_OK;
        size_t c = c8_node_attr_ints(n, attr, &a);
        if (c > SLICE_MAX)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "%s has %zu entries", what, c);
        if (c) memcpy(out, a, c * sizeof *a);
        *cnt = (int64_t)c;
        return C8_OK;
    }
    if (!v[k].present) return C8_OK;
    if (!v[k].has_data) {
        *known = false;
        return C8_OK;
    }
    return c8_ot_read_ints(g, n, &v[k], what, out, SLICE_MAX, cnt, err);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Plans the slice as a strided copy of the input (d) and its output shape (out). */
static c8_status slice_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v, c8_shape *out,
                            c8_strided_desc *d, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    int64_t starts[SLICE_MAX], ends[SLICE_MAX], axes[SLICE_MAX], steps[SLICE_MAX];
    int64_t ns, ne, na, nst;
    bool known = true;
    C8_TRY(slice_list(g, n, v, 1, "starts", "starts", starts, &ns, &known, err));
    C8_TRY(slice_list(g, n, v, 2, "ends", "ends", ends, &ne, &known, err));
    C8_TRY(slice_list(g, n, v, 3, "axes", "axes", axes, &na, &known, err));
    C8_TRY(slice_list(g, n, v, 4, NULL, "steps", steps, &nst, &known, err));
    if (in->rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    if (!known) {
        *out = c8_ot_unknown_shape(in->rank);
        return C8_OK;
    }
    if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "starts, ends, axes and steps have different lengths (%lld, %lld, "
                           "%lld, %lld)",
                           (long long)ns, (long long)ne, (long long)na, (long long)nst);
    int r = in->rank;
    c8_shape o = *in;
    int64_t st[C8_MAX_RANK];
    int64_t run = 1;
    for (int k = r - 1; k >= 0; k--) { /* element strides; only used when all extents known */
        st[k] = run;
        run = in->d[k] > 0 ? run * in->d[k] : run;
    }
    memset(d, 0, sizeof *d);
    d->rank = r;
    d->esize = c8_dtype_size(v[0].dtype);
    for (int k = 0; k < r; k++) {
        d->dims[k] = in->d[k];
        d->strides[k] = st[k];
    }
    bool seen[C8_MAX_RANK] = {false};
    for (int64_t i = 0; i < ns; i++) {
        int a;
        c8_status s = c8_axis_norm(na >= 0 ? axes[i] : i, r, &a, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        if (seen[a]) return c8_node_err(err, g, n, C8_ERR_INVALID, "axis %d is sliced twice", a);
        seen[a] = true;
        int64_t step = nst >= 0 ? steps[i] : 1;
        if (step == 0) return c8_node_err(err, g, n, C8_ERR_INVALID, "step 0 on axis %d", a);
        int64_t dim = in->d[a];
        if (dim < 0) {
            o.d[a] = -1;
            continue;
        }
        int64_t b = starts[i], e = ends[i], cnt;
        if (b < 0) b += dim;
        if (e < 0) e += dim;
        if (dim == 0) {
            b = 0;
            cnt = 0;
        } else if (step > 0) {
            b = clamp64(b, 0, dim);
            e = clamp64(e, 0, dim);
            cnt = e > b ? (e - b - 1) / step + 1 : 0;
        } else {
            b = clamp64(b, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            cnt = b > e ? (e - b + 1) / step + 1 : 0; /* both negative: rounds toward zero */
        }
        o.d[a] = cnt;
        d->dims[a] = cnt;
        d->offset += (cnt > 0 ? b : 0) * st[a];
        /* |step| < dim whenever cnt > 1, so the product fits; a single element needs none */
        d->strides[a] = cnt > 1 ? step * st[a] : st[a];
    }
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_slice(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_ot_view v[5];
    c8_ot_views_graph(g, n, v, 5);
    c8_shape out;
    c8_strided_desc d;
    C8_TRY(slice_plan(g, n, v, &out, &d, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_slice(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[5];
    c8_ot_views_run(r, v, 5);
    c8_shape planned;
    c8_strided_desc d;
    C8_TRY(slice_plan(r->g, r->n, v, &planned, &d, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    if (c8_shape_numel(&planned) > 0) c8_ref_strided_copy(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- Split: split attribute before opset 13, input from 13; num_outputs from 18 ---- */

c8_status c8_ot_check_split(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (g->opset < 13) {
        static const char *const attrs[] = {"axis", "split", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "split", C8_ATTR_INTS, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "before opset 13 split is an attribute, not an input");
    } else if (g->opset < 18) {
        static const char *const attrs[] = {"axis", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    } else {
        static const char *const attrs[] = {"axis", "num_outputs", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "num_outputs", C8_ATTR_INT, err));
        const c8_attr *no = c8_node_attr(n, "num_outputs");
        if (no && no->i != n->n_out)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "num_outputs is %lld but the node has %d "
                               "outputs",
                               (long long)no->i, n->n_out);
        if (no && n->n_in > 1 && n->in[1] >= 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "num_outputs and the split input are both given");
    }
    return c8_ot_attr_type(g, n, "axis", C8_ATTR_INT, err);
}

/* sizes[0..n_out): the extent of every output along *axis (-1 unknown). sizes is caller-owned
 * with n_out entries. */
static c8_status split_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                            int64_t *sizes, int *axis_out, bool *rank_known, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    int nout = n->n_out;
    *rank_known = in->rank >= 0;
    for (int k = 0; k < nout; k++) sizes[k] = -1;
    if (in->rank < 0) return C8_OK;
    int axis;
    c8_status s = c8_axis_norm(c8_node_attr_i(n, "axis", 0), in->rank, &axis, err);
    if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    *axis_out = axis;
    int64_t dim = in->d[axis];
    bool given = false;
    int64_t cnt = 0;
    if (g->opset < 13) {
        const int64_t *a;
        if (c8_node_attr(n, "split")) {
            size_t c = c8_node_attr_ints(n, "split", &a);
            if (c != (size_t)nout)
                return c8_node_err(err, g, n, C8_ERR_INVALID,
                                   "split has %zu entries for %d outputs", c, nout);
            memcpy(sizes, a, c * sizeof *a);
            given = true;
            cnt = (int64_t)c;
        }
    } else if (v[1].present) {
        if (!v[1].has_data) return C8_OK; /* sizes unknown until run time */
        C8_TRY(c8_ot_read_ints(g, n, &v[1], "split", sizes, nout, &cnt, err));
        if (cnt != nout)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "split '%s' has %lld entries for %d outputs", v[1].name,
                               (long long)cnt, nout);
        given = true;
    }
    if (given) {
        int64_t sum = 0;
        for (int k = 0; k < nout; k++) {
            if (sizes[k] < 0)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "split size %d is negative (%lld)", k,
                                   (long long)sizes[k]);
            if (sizes[k] > INT64_MAX - sum)
                return c8_node_err(err, g, n, C8_ERR_NOMEM, "split sizes overflow");
            sum += sizes[k];
        }
        if (dim >= 0 && sum != dim)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "split sizes add up to %lld but axis %d of '%s' has extent %lld",
                               (long long)sum, axis, v[0].name, (long long)dim);
        return C8_OK;
    }
    if (dim < 0) return C8_OK;
    if (g->opset >= 18 && c8_node_attr(n, "num_outputs")) {
        /* ceil(dim / n) per output, the last one smaller */
        int64_t chunk = dim / nout + (dim % nout != 0);
        for (int k = 0; k < nout; k++) {
            int64_t left = dim - chunk * k;
            sizes[k] = left < 0 ? 0 : (left < chunk ? left : chunk);
        }
        if (nout > 1 && chunk * (nout - 1) > dim)
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "axis %d of extent %lld cannot be split into %d outputs", axis,
                               (long long)dim, nout);
        return C8_OK;
    }
    if (dim % nout != 0)
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "axis %d of '%s' (extent %lld) does not split evenly into %d outputs",
                           axis, v[0].name, (long long)dim, nout);
    for (int k = 0; k < nout; k++) sizes[k] = dim / nout;
    return C8_OK;
}

c8_status c8_ot_infer_split(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    size_t es;
    C8_TRY(c8_ot_esize(g, n, x->dtype, x->name, &es, err));
    c8_ot_view v[2];
    c8_ot_views_graph(g, n, v, 2);
    int64_t *sizes = malloc((size_t)n->n_out * sizeof *sizes);
    if (!sizes) return c8_node_err(err, g, n, C8_ERR_NOMEM, "out of memory");
    int axis = 0;
    bool rank_known;
    c8_status s = split_plan(g, n, v, sizes, &axis, &rank_known, err);
    for (int k = 0; s == C8_OK && k < n->n_out; k++) {
        c8_shape o = x->shape;
        if (rank_known) o.d[axis] = sizes[k];
        c8_ot_set_out(g, n, k, x->dtype, &o);
    }
    free(sizes);
    return s;
}

c8_status c8_ot_run_split(const c8_op_run *r, c8_error *err) {
    const c8_node *n = r->n;
    c8_ot_view v[2];
    c8_ot_views_run(r, v, 2);
    int64_t *sizes = malloc((size_t)n->n_out * sizeof *sizes);
    if (!sizes) return c8_node_err(err, r->g, n, C8_ERR_NOMEM, "out of memory");
    int axis = 0;
    bool rank_known;
    c8_status s = split_plan(r->g, n, v, sizes, &axis, &rank_known, err);
    const c8_shape *in = &r->in[0].shape;
    for (int k = 0; s == C8_OK && k < n->n_out; k++) {
        if (n->out[k] < 0) continue;
        c8_shape o = *in;
        o.d[axis] = sizes[k];
        s = c8_ot_check_out(r, k, &o, err);
    }
    if (s == C8_OK) {
        size_t es = c8_dtype_size(r->in[0].dtype);
        int64_t outer = c8_shape_span(in, 0, axis), inner = c8_shape_span(in, axis + 1, in->rank);
        size_t src_pitch = (size_t)(in->d[axis] * inner) * es;
        const char *src = r->in[0].data;
        for (int k = 0; k < n->n_out; k++) {
            size_t part = (size_t)(sizes[k] * inner) * es;
            if (n->out[k] >= 0) c8_ref_copy_rows(outer, part, src, src_pitch, r->out[k].data, part);
            src += part;
        }
    }
    free(sizes);
    return s;
}
