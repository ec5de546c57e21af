/* Pad, Resize and Upsample. Pad: constant / reflect / edge, pads as an attribute before opset 11
 * and an input from 11, axes from 18. Resize: nearest and linear over every axis (the coordinate
 * transformation modes of opsets 10..21); Upsample is Resize-10 with its own scales form.
 * Output shapes depend on input values and are planned once for infer and run
 * (see ops_tensor_int.h). Kernels: kernels/ref/pad.c, kernels/ref/resize.c. Tests: tests/ops/. */
#include "ops/geometry.h"
#include "ops/tensor_int.h"

#include "util/shape.h"
#include "kernels/ref/eltwise.h"
#include "kernels/ref/pad.h"
#include "kernels/ref/resize.h"
#include "util/err.h"

#include <math.h>
#include <string.h>

#define MAXV (2 * C8_MAX_RANK) /* pads / roi entries */

/* Reads an optional axes list (Pad's input, Resize's attribute) into normalised axes[0..cnt);
 * duplicates are an error. */
static c8_status norm_axes(const c8_graph *g, const c8_node *n, const int64_t *raw, int64_t cnt,
                           int rank, int *axes, c8_error *err) {
    bool seen[C8_MAX_RANK] = {false};
    if (cnt > rank)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%lld axes for a rank-%d input",
                           (long long)cnt, rank);
    for (int64_t i = 0; i < cnt; i++) {
        c8_status s = c8_axis_norm(raw[i], rank, &axes[i], err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
        if (seen[axes[i]])
            return c8_node_err(err, g, n, C8_ERR_INVALID, "axis %lld is listed twice",
                               (long long)raw[i]);
        seen[axes[i]] = true;
    }
    return C8_OK;
}

/* ---- Pad ---- */

static c8_status pad_mode(const c8_graph *g, const c8_node *n, c8_pad_mode *m, c8_error *err) {
    const char *s = c8_node_attr_s(n, "mode", "constant");
    if (strcmp(s, "constant") == 0)
        *m = C8_PAD_CONSTANT;
    else if (strcmp(s, "reflect") == 0)
        *m = C8_PAD_REFLECT;
    else if (strcmp(s, "edge") == 0)
        *m = C8_PAD_EDGE;
    else if (strcmp(s, "wrap") == 0)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "mode 'wrap' is not supported (constant, reflect and edge are)");
    else
        return c8_node_err(err, g, n, C8_ERR_INVALID, "unknown mode '%s'", s);
    return C8_OK;
}

c8_status c8_ot_check_pad(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(c8_ot_attr_type(g, n, "mode", C8_ATTR_STRING, err));
    c8_pad_mode m;
    C8_TRY(pad_mode(g, n, &m, err));
    if (g->opset < 11) {
        static const char *const attrs[] = {"mode", "pads", "value", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_required(g, n, "pads", C8_ATTR_INTS, err));
        C8_TRY(c8_ot_attr_type(g, n, "value", C8_ATTR_FLOAT, err));
        if (n->n_in > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "before opset 11 pads and value are attributes, not inputs");
        return C8_OK;
    }
    static const char *const attrs[] = {"mode", NULL};
    C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
    if (n->n_in < 2 || n->in[1] < 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "the pads input is required from opset 11");
    if (g->opset < 18 && n->n_in > 3)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "the axes input exists from opset 18");
    return C8_OK;
}

/* Plans Pad: the output shape, and (when every value is known) the kernel descriptor. */
static c8_status pad_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v, c8_shape *out,
                          c8_pad_desc *d, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    memset(d, 0, sizeof *d);
    C8_TRY(pad_mode(g, n, &d->mode, err));
    if (v[2].present) {
        if (v[2].dtype != v[0].dtype)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "constant_value '%s' is %s but the data is %s", v[2].name,
                               c8_dtype_name(v[2].dtype), c8_dtype_name(v[0].dtype));
        if (v[2].shape.rank >= 0 && c8_shape_numel(&v[2].shape) > 1)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "constant_value '%s' is not a scalar",
                               v[2].name);
    }
    if (in->rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    int r = in->rank;
    int64_t pads[MAXV], np, raw_axes[C8_MAX_RANK], na = -1;
    if (g->opset < 11) {
        const int64_t *p;
        size_t c = c8_node_attr_ints(n, "pads", &p);
        if (c > MAXV) return c8_node_err(err, g, n, C8_ERR_INVALID, "pads has %zu entries", c);
        if (c) memcpy(pads, p, c * sizeof *p);
        np = (int64_t)c;
    } else {
        if (!v[1].has_data || (v[3].present && !v[3].has_data)) {
            *out = c8_ot_unknown_shape(r);
            return C8_OK;
        }
        C8_TRY(c8_ot_read_ints(g, n, &v[1], "pads", pads, MAXV, &np, err));
        if (v[3].present)
            C8_TRY(c8_ot_read_ints(g, n, &v[3], "axes", raw_axes, C8_MAX_RANK, &na, err));
    }
    int axes[C8_MAX_RANK];
    int naxes = r;
    if (na >= 0) {
        C8_TRY(norm_axes(g, n, raw_axes, na, r, axes, err));
        naxes = (int)na;
    } else {
        for (int k = 0; k < r; k++) axes[k] = k;
    }
    if (np != 2 * naxes)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "pads has %lld entries; expected %d",
                           (long long)np, 2 * naxes);
    int64_t begin[C8_MAX_RANK] = {0}, end[C8_MAX_RANK] = {0};
    for (int i = 0; i < naxes; i++) {
        begin[axes[i]] = pads[i];
        end[axes[i]] = pads[i + naxes];
    }
    c8_shape o = *in;
    d->rank = r;
    d->esize = c8_dtype_size(v[0].dtype);
    for (int k = 0; k < r; k++) {
        d->in[k] = in->d[k];
        d->begin[k] = begin[k];
        if (in->d[k] < 0) {
            o.d[k] = -1;
            continue;
        }
        /* |pads| up to 2^62 keep the sum in range; beyond that nothing real fits anyway */
        const int64_t lim = (int64_t)1 << 62;
        if (begin[k] > lim || begin[k] < -lim || end[k] > lim || end[k] < -lim || in->d[k] > lim)
            return c8_node_err(err, g, n, C8_ERR_NOMEM, "pads on axis %d are out of range", k);
        int64_t e = in->d[k] + begin[k] + end[k];
        if (e < 0) {
            char b[160];
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "pads (%lld, %lld) on axis %d of '%s' (%s) leave a negative extent",
                               (long long)begin[k], (long long)end[k], k, v[0].name,
                               c8_shape_str(in, b, sizeof b));
        }
        if (d->mode != C8_PAD_CONSTANT && in->d[k] == 0 && e > 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "cannot %s-pad axis %d of '%s': it is empty",
                               d->mode == C8_PAD_REFLECT ? "reflect" : "edge", k, v[0].name);
        o.d[k] = e;
        d->out[k] = e;
    }
    size_t es;
    C8_TRY(c8_ot_esize(g, n, v[0].dtype, v[0].name, &es, err));
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_pad(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_ot_view v[4];
    c8_ot_views_graph(g, n, v, 4);
    c8_shape out;
    c8_pad_desc d;
    C8_TRY(pad_plan(g, n, v, &out, &d, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_ot_run_pad(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[4];
    c8_ot_views_run(r, v, 4);
    c8_shape planned;
    c8_pad_desc d;
    C8_TRY(pad_plan(r->g, r->n, v, &planned, &d, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    unsigned char value[16] = {0};
    if (d.esize > sizeof value)
        return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "element size %zu", d.esize);
    if (r->g->opset < 11) {
        float f = c8_node_attr_f(r->n, "value", 0.0f);
        if (!c8_ref_cast(C8_DT_FLOAT, &f, r->in[0].dtype, value, 1))
            return c8_node_err(err, r->g, r->n, C8_ERR_UNSUPPORTED, "a float pad value for %s data",
                               c8_dtype_name(r->in[0].dtype));
    } else if (v[2].present && c8_shape_numel(&v[2].shape) == 1) {
        memcpy(value, v[2].data, d.esize);
    }
    d.value = value;
    c8_ref_pad(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}

/* ---- Resize / Upsample ---- */

static bool is_resize10(const c8_graph *g, const c8_node *n) {
    return n->op == C8_OP_UPSAMPLE || g->opset < 11;
}

static c8_status resize_modes(const c8_graph *g, const c8_node *n, c8_resize_desc *d,
                              c8_error *err) {
    const char *mode = c8_node_attr_s(n, "mode", "nearest");
    if (strcmp(mode, "nearest") == 0)
        d->mode = C8_RESIZE_NEAREST;
    else if (strcmp(mode, "linear") == 0)
        d->mode = C8_RESIZE_LINEAR;
    else if (n->op == C8_OP_UPSAMPLE && strcmp(mode, "bilinear") == 0)
        d->mode = C8_RESIZE_LINEAR;
    else if (strcmp(mode, "cubic") == 0)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "mode 'cubic' is not supported (nearest and linear are)");
    else
        return c8_node_err(err, g, n, C8_ERR_INVALID, "unknown mode '%s'", mode);
    if (is_resize10(g, n)) {
        /* Upsample and Resize-10: x / scale; nearest as ONNX Runtime's legacy rule */
        d->coord = C8_COORD_ASYMMETRIC;
        d->nearest = C8_NEAREST_SIMPLE;
        return C8_OK;
    }
    static const struct {
        const char *name;
        c8_resize_coord c;
    } coords[] = {
        {"half_pixel", C8_COORD_HALF_PIXEL},
        {"pytorch_half_pixel", C8_COORD_PYTORCH_HALF_PIXEL},
        {"align_corners", C8_COORD_ALIGN_CORNERS},
        {"asymmetric", C8_COORD_ASYMMETRIC},
        {"tf_half_pixel_for_nn", C8_COORD_TF_HALF_PIXEL_FOR_NN},
        {"tf_crop_and_resize", C8_COORD_TF_CROP_AND_RESIZE},
        {"half_pixel_symmetric", C8_COORD_HALF_PIXEL_SYMMETRIC},
    };
    const char *ct = c8_node_attr_s(n, "coordinate_transformation_mode", "half_pixel");
    size_t i;
    for (i = 0; i < sizeof coords / sizeof coords[0]; i++)
        if (strcmp(ct, coords[i].name) == 0) break;
    if (i == sizeof coords / sizeof coords[0])
        return c8_node_err(err, g, n, C8_ERR_INVALID, "unknown coordinate_transformation_mode '%s'",
                           ct);
    d->coord = coords[i].c;
    const char *nm = c8_node_attr_s(n, "nearest_mode", "round_prefer_floor");
    if (strcmp(nm, "round_prefer_floor") == 0)
        d->nearest = C8_NEAREST_ROUND_PREFER_FLOOR;
    else if (strcmp(nm, "round_prefer_ceil") == 0)
        d->nearest = C8_NEAREST_ROUND_PREFER_CEIL;
    else if (strcmp(nm, "floor") == 0)
        d->nearest = C8_NEAREST_FLOOR;
    else if (strcmp(nm, "ceil") == 0)
        d->nearest = C8_NEAREST_CEIL;
    else
        return c8_node_err(err, g, n, C8_ERR_INVALID, "unknown nearest_mode '%s'", nm);
    d->extrapolation_value = c8_node_attr_f(n, "extrapolation_value", 0.0f);
    return C8_OK;
}

c8_status c8_ot_check_resize(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(c8_ot_attr_type(g, n, "mode", C8_ATTR_STRING, err));
    if (n->op == C8_OP_UPSAMPLE) {
        if (g->opset < 9) {
            static const char *const attrs[] = {"mode", "scales", NULL};
            C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
            C8_TRY(c8_ot_attr_required(g, n, "scales", C8_ATTR_FLOATS, err));
            if (n->n_in != 1)
                return c8_node_err(err, g, n, C8_ERR_INVALID,
                                   "before opset 9 Upsample takes scales as an attribute");
        } else {
            static const char *const attrs[] = {"mode", NULL};
            C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
            if (n->n_in != 2 || n->in[1] < 0)
                return c8_node_err(err, g, n, C8_ERR_INVALID,
                                   "from opset 9 Upsample takes (X, scales)");
        }
    } else if (g->opset < 11) {
        static const char *const attrs[] = {"mode", NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        if (n->n_in != 2 || n->in[1] < 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "Resize-10 takes (X, scales)");
    } else {
        static const char *const attrs[] = {"mode",
                                            "coordinate_transformation_mode",
                                            "cubic_coeff_a",
                                            "exclude_outside",
                                            "extrapolation_value",
                                            "nearest_mode",
                                            "antialias",
                                            "axes",
                                            "keep_aspect_ratio_policy",
                                            NULL};
        C8_TRY(c8_ot_known_attrs(g, n, attrs, err));
        C8_TRY(c8_ot_attr_type(g, n, "coordinate_transformation_mode", C8_ATTR_STRING, err));
        C8_TRY(c8_ot_attr_type(g, n, "nearest_mode", C8_ATTR_STRING, err));
        C8_TRY(c8_ot_attr_type(g, n, "extrapolation_value", C8_ATTR_FLOAT, err));
        C8_TRY(c8_ot_attr_type(g, n, "exclude_outside", C8_ATTR_INT, err));
        C8_TRY(c8_ot_attr_type(g, n, "antialias", C8_ATTR_INT, err));
        C8_TRY(c8_ot_attr_type(g, n, "axes", C8_ATTR_INTS, err));
        C8_TRY(c8_ot_attr_type(g, n, "keep_aspect_ratio_policy", C8_ATTR_STRING, err));
        if (c8_node_attr_i(n, "antialias", 0) != 0)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "antialias=1 is not supported");
        const char *k = c8_node_attr_s(n, "keep_aspect_ratio_policy", "stretch");
        if (strcmp(k, "stretch") && strcmp(k, "not_larger") && strcmp(k, "not_smaller"))
            return c8_node_err(err, g, n, C8_ERR_INVALID, "unknown keep_aspect_ratio_policy '%s'",
                               k);
        if (g->opset < 13 && (n->n_in < 3 || n->in[2] < 0))
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "Resize-11 needs the roi and scales inputs (scales may be empty)");
    }
    c8_resize_desc d;
    memset(&d, 0, sizeof d);
    return resize_modes(g, n, &d, err);
}

/* Plans Resize / Upsample: output shape and the kernel descriptor. */
static c8_status resize_plan(const c8_graph *g, const c8_node *n, const c8_ot_view *v,
                             c8_shape *out, c8_resize_desc *d, c8_error *err) {
    const c8_shape *in = &v[0].shape;
    memset(d, 0, sizeof *d);
    C8_TRY(resize_modes(g, n, d, err));
    /* int8: an INT8 tensor kept int8 through a nearest Resize (the builder's, at its scale) */
    const bool i8 = v[0].dtype == C8_DT_INT8 && d->mode == C8_RESIZE_NEAREST &&
                    d->coord != C8_COORD_TF_CROP_AND_RESIZE;
    if (v[0].dtype != C8_DT_FLOAT && !i8)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "input '%s' is %s; %s is implemented for float32 only (and int8 in "
                           "nearest mode)",
                           v[0].name, c8_dtype_name(v[0].dtype), n->op_type);
    if (in->rank < 0) {
        *out = c8_ot_unknown_shape(-1);
        return C8_OK;
    }
    int r = in->rank;
    /* which input holds what */
    const c8_ot_view *roi = NULL, *scales = NULL, *sizes = NULL;
    double sc[C8_MAX_RANK];
    int64_t sz[C8_MAX_RANK], cnt = 0;
    bool use_sizes = false, have_attr_scales = false;
    if (n->op == C8_OP_UPSAMPLE && g->opset < 9) {
        const c8_attr *a = c8_node_attr(n, "scales");
        if (a->n > C8_MAX_RANK)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "scales has %zu entries", a->n);
        for (size_t i = 0; i < a->n; i++) sc[i] = a->floats[i];
        cnt = (int64_t)a->n;
        have_attr_scales = true;
    } else if (is_resize10(g, n)) {
        scales = &v[1];
    } else {
        roi = v[1].present ? &v[1] : NULL;
        scales = v[2].present ? &v[2] : NULL;
        sizes = v[3].present ? &v[3] : NULL;
        /* Resize-11/12 pass an empty scales tensor when sizes are used */
        if (scales && scales->shape.rank >= 0 && c8_shape_numel(&scales->shape) == 0) scales = NULL;
        if (sizes && sizes->shape.rank >= 0 && c8_shape_numel(&sizes->shape) == 0) sizes = NULL;
        if (scales && sizes)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "scales '%s' and sizes '%s' are both given", scales->name,
                               sizes->name);
        if (!scales && !sizes)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "one of scales and sizes is required");
        use_sizes = sizes != NULL;
    }
    const c8_ot_view *src = use_sizes ? sizes : scales;
    bool crop = !is_resize10(g, n) && d->coord == C8_COORD_TF_CROP_AND_RESIZE;
    if ((!have_attr_scales && !src->has_data) || (crop && (!roi || !roi->has_data))) {
        if (crop && !roi)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "tf_crop_and_resize needs the roi input");
        *out = c8_ot_unknown_shape(r);
        return C8_OK;
    }
    if (use_sizes)
        C8_TRY(c8_ot_read_ints(g, n, src, "sizes", sz, C8_MAX_RANK, &cnt, err));
    else if (!have_attr_scales)
        C8_TRY(c8_ot_read_doubles(g, n, src, "scales", sc, C8_MAX_RANK, &cnt, err));
    /* axes (opset 18) */
    int axes[C8_MAX_RANK], naxes = r;
    const int64_t *raw;
    size_t nraw = c8_node_attr_ints(n, "axes", &raw);
    if (!is_resize10(g, n) && nraw > 0) {
        C8_TRY(norm_axes(g, n, raw, (int64_t)nraw, r, axes, err));
        naxes = (int)nraw;
    } else {
        for (int k = 0; k < r; k++) axes[k] = k;
    }
    if (cnt != naxes)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "%s has %lld entries for %d axes",
                           use_sizes ? "sizes" : "scales", (long long)cnt, naxes);
    double roi_v[MAXV];
    if (crop) {
        int64_t nroi;
        C8_TRY(c8_ot_read_doubles(g, n, roi, "roi", roi_v, MAXV, &nroi, err));
        if (nroi != 2 * naxes)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "roi has %lld entries; expected %d",
                               (long long)nroi, 2 * naxes);
    }
    d->rank = r;
    c8_shape o = *in;
    for (int k = 0; k < r; k++) {
        d->in[k] = in->d[k];
        d->out[k] = in->d[k];
        d->scale[k] = 1.0;
        d->roi_start[k] = 0.0;
        d->roi_end[k] = 1.0;
    }
    for (int i = 0; i < naxes; i++) {
        int a = axes[i];
        if (crop) {
            d->roi_start[a] = roi_v[i];
            d->roi_end[a] = roi_v[i + naxes];
        }
        if (!use_sizes && !(sc[i] > 0.0 && sc[i] < 1e18))
            return c8_node_err(err, g, n, C8_ERR_INVALID, "scale %g on axis %d must be positive",
                               sc[i], a);
        if (use_sizes && sz[i] < 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID, "sizes[%d] = %lld is negative", i,
                               (long long)sz[i]);
    }
    if (use_sizes) {
        const char *policy = c8_node_attr_s(n, "keep_aspect_ratio_policy", "stretch");
        bool stretch = strcmp(policy, "stretch") == 0,
             not_larger = strcmp(policy, "not_larger") == 0;
        double common = not_larger ? INFINITY : 0.0;
        bool all_known = true;
        for (int i = 0; i < naxes; i++) {
            int64_t e = in->d[axes[i]];
            if (e < 0) {
                all_known = false;
                continue;
            }
            double s = e > 0 ? (double)sz[i] / (double)e : 1.0;
            common = not_larger ? fmin(common, s) : fmax(common, s);
        }
        for (int i = 0; i < naxes; i++) {
            int a = axes[i];
            int64_t e = in->d[a], osz = sz[i];
            if (!stretch) {
                if (!all_known || e < 0) {
                    o.d[a] = -1;
                    continue;
                }
                osz = (int64_t)floor(common * (double)e + 0.5);
            }
            o.d[a] = osz;
            d->out[a] = osz;
            if (e == 0 && osz > 0)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "cannot resize empty axis %d", a);
            d->scale[a] = e > 0 ? (double)osz / (double)e : 1.0;
        }
    } else {
        for (int i = 0; i < naxes; i++) {
            int a = axes[i];
            d->scale[a] = sc[i];
            if (in->d[a] < 0) {
                o.d[a] = -1;
                continue;
            }
            double len = (double)in->d[a] * sc[i];
            if (crop) len *= d->roi_end[a] - d->roi_start[a];
            if (!(len >= 0.0) || len > 4e18)
                return c8_node_err(err, g, n, C8_ERR_NOMEM,
                                   "output extent on axis %d is out of range (%g)", a, len);
            o.d[a] = (int64_t)floor(len);
            d->out[a] = o.d[a];
        }
    }
    /* the output must be countable (huge scales) */
    bool known = true;
    for (int k = 0; k < r; k++) known &= o.d[k] >= 0;
    if (known) {
        c8_status s = c8_shape_count(&o, sizeof(float), "the output", NULL, NULL, err);
        if (s != C8_OK) return c8_ot_node_wrap(err, g, n, s);
    }
    *out = o;
    return C8_OK;
}

c8_status c8_ot_infer_resize(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x;
    C8_TRY(c8_ot_input(g, n, 0, &x, err));
    c8_ot_view v[4];
    c8_ot_views_graph(g, n, v, 4);
    c8_shape out;
    c8_resize_desc d;
    C8_TRY(resize_plan(g, n, v, &out, &d, err));
    c8_ot_set_out(g, n, 0, x->dtype, &out);
    return C8_OK;
}

c8_status c8_op_resize_desc(const c8_graph *g, const c8_node *n, c8_resize_desc *d, c8_error *err) {
    c8_ot_view v[4];
    c8_ot_views_graph(g, n, v, 4);
    c8_shape out;
    return resize_plan(g, n, v, &out, d, err);
}

c8_status c8_ot_run_resize(const c8_op_run *r, c8_error *err) {
    c8_ot_view v[4];
    c8_ot_views_run(r, v, 4);
    c8_shape planned;
    c8_resize_desc d;
    C8_TRY(resize_plan(r->g, r->n, v, &planned, &d, err));
    C8_TRY(c8_ot_check_out(r, 0, &planned, err));
    for (int k = 0; k < d.rank; k++)
        if (d.in[k] == 0 && d.out[k] > 0)
            return c8_node_err(err, r->g, r->n, C8_ERR_INVALID, "cannot resize empty axis %d", k);
    if (r->in[0].dtype == C8_DT_INT8)
        c8_ref_resize_nearest_i8(&d, r->in[0].data, r->out[0].data);
    else
        c8_ref_resize_f32(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}
