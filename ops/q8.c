/* The builder's INT8 and FP16 layer ops, run with the INT8 reference kernels (kernels/ref/int8.h)
 * under the semantics of include/calib8/quant.h. These nodes never come from ONNX files; the
 * builder (engine/build/builder.c) makes them and plans store them. Inputs and attributes:
 *
 *  Q8Quantize      x float32            -> int8      attrs: scale (f)
 *  Q8Dequantize    q int8               -> float32   attrs: scale (f)
 *  Q8Requantize    q int8               -> int8      attrs: mult (f), act*
 *  Q8Conv          x int8 (N,C,H,W), w int8 (K,C/g,R,S), bias int32 (K) | absent, mult f32 (K),
 *                  residual int8 (shaped as the output) | absent
 *                                       -> int8 | float32 | float16 per `out`
 *                  attrs: ONNX Conv's (kernel_shape, strides, pads, dilations, group, auto_pad),
 *                         out (i: c8_quant_out), res_mult (f), act*
 *  Q8Gemm          a int8 (..., K), b int8 ((N,K) or (K,N) per b_layout), bias int32 (N) | absent,
 *                  mult f32 (N)          -> (..., N)   attrs: b_layout (i), out, act*
 *  Q8MatMul        a int8 (..., M, K), b int8 (..., K, N), both activations quantized per tensor
 *                  (ONNX MatMul's broadcasting of the leading axes; ranks >= 2)
 *                                       -> (..., M, N) int8 | float32 | float16 per `out`
 *                  attrs: mult (f: s_a * s_b / s_out, or s_a * s_b for float outputs), out,
 *                         act*
 *  Q8MaxPool       x int8 (N,C,H,W)     -> int8      attrs: ONNX MaxPool's
 *  Q8AveragePool   x int8 (N,C,H,W)     -> int8      attrs: ONNX AveragePool's, s_in, s_out (f)
 *  Q8GlobalAveragePool x int8 (N,C,H,W) -> int8 (N,C,1,1)  attrs: s_in, s_out (f)
 *  Q8Add           a int8, b int8 (same shape) -> int8 | float32   attrs: ma, mb (f), out, act*
 *  Q8Concat        x_i int8             -> int8      attrs: axis (i), mults (floats, one per input)
 *  Q8Mul           x int8, f float32 (a single value, or (N | 1, C, 1, ...) against x (N, C, ...))
 *                                       -> int8 (x's shape)   attrs: mult (f: s_x / s_out)
 *  F16Cast         float32 <-> float16  attrs: to (i: 1 float32, 10 float16)
 *  HostCopy        x (any dtype)        -> the same tensor in the other memory
 *                  attrs: direction (s: "download" device -> host, "upload" host -> device);
 *                  made by the placement pass (engine/build/place.c); the executor moves the
 *                  bytes, the reference run (a plain copy) serves host-memory backends
 *  Reformat        x (any dtype)        -> the same values stored another way on a device
 *                  attrs: from, to (ints: channels_last, cpad, storage dtype), side (s: "in"
 *                  for a consumer's operand, "out" for a producer's output); made by the
 *                  placement pass (engine/build/reformat.c) in device plans only. The device
 *                  converts storage (NCHW / NHWC / NHWC32, float32 / binary16); the reference
 *                  run is the identity on values (the CPU's FP16 layers round to binary16
 *                  themselves, so a CPU plan never needs one)
 *
 *  act* = act (i: c8_quant_act_kind), act_lo, act_hi, act_alpha (f), already in the epilogue's
 *  units (c8_quant_act_make). */
#include "ops/ops.h"
#include "ops/geometry.h"

#include "calib8/quant.h"
#include "util/shape.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/int8.h"
#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- attribute helpers ---- */

static float attr_f(const c8_node *n, const char *name, float dflt) {
    return c8_node_attr_f(n, name, dflt);
}

static c8_quant_act node_act(const c8_node *n) {
    c8_quant_act a;
    a.kind = (int32_t)c8_node_attr_i(n, "act", C8_QACT_NONE);
    a.lo = attr_f(n, "act_lo", -INFINITY);
    a.hi = attr_f(n, "act_hi", INFINITY);
    a.alpha = attr_f(n, "act_alpha", 0.0f);
    return a;
}

static c8_dtype out_dtype(int64_t out) {
    return out == C8_QOUT_FLOAT ? C8_DT_FLOAT : out == C8_QOUT_FLOAT16 ? C8_DT_FLOAT16 : C8_DT_INT8;
}

static c8_status need_dtype(const c8_graph *g, const c8_node *n, int k, c8_dtype dt,
                            c8_error *err) {
    const c8_value *v = c8_node_input(g, n, k);
    if (v && v->dtype != dt)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "input %d ('%s') is %s, expected %s", k,
                           v->name, c8_dtype_name(v->dtype), c8_dtype_name(dt));
    return C8_OK;
}

static void set_out(c8_graph *g, const c8_node *n, c8_dtype dt, const c8_shape *s) {
    c8_value *y = &g->vals[n->out[0]];
    y->dtype = dt;
    y->shape = *s;
}

/* Spatial window parameters of a 2-D conv/pool node for input extents h, w (may be unknown). */
typedef struct {
    int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, p, q;
} win2d;

static c8_status window2d(const c8_graph *g, const c8_node *n, int64_t h, int64_t w, int64_t kh,
                          int64_t kw, bool ceil_mode, win2d *o, c8_error *err) {
    const int64_t *v;
    size_t k;
    o->kh = kh;
    o->kw = kw;
    o->sh = o->sw = o->dh = o->dw = 1;
    o->pt = o->pl = o->pb = o->pr = 0;
    if ((k = c8_node_attr_ints(n, "strides", &v)) == 2) {
        o->sh = v[0];
        o->sw = v[1];
    }
    if ((k = c8_node_attr_ints(n, "dilations", &v)) == 2) {
        o->dh = v[0];
        o->dw = v[1];
    }
    if ((k = c8_node_attr_ints(n, "pads", &v)) == 4) {
        o->pt = v[0];
        o->pl = v[1];
        o->pb = v[2];
        o->pr = v[3];
    }
    c8_auto_pad ap;
    if (!c8_auto_pad_parse(c8_node_attr_s(n, "auto_pad", "NOTSET"), &ap))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "bad auto_pad");
    c8_status s =
        c8_window_extent(0, h, o->kh, o->sh, o->dh, ap, ceil_mode, &o->pt, &o->pb, &o->p, err);
    if (s == C8_OK)
        s = c8_window_extent(1, w, o->kw, o->sw, o->dw, ap, ceil_mode, &o->pl, &o->pr, &o->q, err);
    if (s != C8_OK) return c8_node_err(err, g, n, s, "%s", err->msg);
    return C8_OK;
}

static c8_status need_rank4(const c8_graph *g, const c8_node *n, const c8_value *x, c8_error *err) {
    if (x->shape.rank >= 0 && x->shape.rank != 4)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "input '%s' must be 4-D (N, C, H, W)", x->name);
    return C8_OK;
}

/* ---- Quantize / Dequantize / Requantize / F16Cast ---- */

static c8_status check_scale_attr(const c8_graph *g, const c8_node *n, const char *name,
                                  c8_error *err) {
    float s = attr_f(n, name, 0.0f);
    if (!(s >= 1.17549435e-38f) || isinf(s))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "attribute %s = %g is not a positive scale",
                           name, (double)s);
    return C8_OK;
}

static c8_status check_quantize(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_scale_attr(g, n, "scale", err);
}

static c8_status infer_quantize(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_FLOAT, err));
    set_out(g, n, C8_DT_INT8, &c8_node_input(g, n, 0)->shape);
    return C8_OK;
}

static c8_status run_quantize(const c8_op_run *r, c8_error *err) {
    float inv = c8_quant_inv_scale(attr_f(r->n, "scale", 1.0f));
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    c8_ref_int8_quantize(1, 1, cnt, r->in[0].data, &inv, r->out[0].data);
    (void)err;
    return C8_OK;
}

static c8_status infer_dequantize(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    set_out(g, n, C8_DT_FLOAT, &c8_node_input(g, n, 0)->shape);
    return C8_OK;
}

static c8_status run_dequantize(const c8_op_run *r, c8_error *err) {
    float s = attr_f(r->n, "scale", 1.0f);
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    c8_ref_int8_dequantize(1, 1, cnt, r->in[0].data, &s, r->out[0].data);
    (void)err;
    return C8_OK;
}

static c8_status check_requantize(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_scale_attr(g, n, "mult", err);
}

static c8_status infer_requantize(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    set_out(g, n, C8_DT_INT8, &c8_node_input(g, n, 0)->shape);
    return C8_OK;
}

static c8_status run_requantize(const c8_op_run *r, c8_error *err) {
    float m = attr_f(r->n, "mult", 1.0f);
    c8_quant_act act = node_act(r->n);
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    const int8_t *x = r->in[0].data;
    int8_t *y = r->out[0].data;
    for (int64_t i = 0; i < cnt; i++) y[i] = c8_quant_epilogue_i8(x[i], m, 0, 0, 0.0f, act);
    (void)err;
    return C8_OK;
}

static c8_status infer_f16cast(c8_graph *g, c8_node *n, c8_error *err) {
    int64_t to = c8_node_attr_i(n, "to", C8_DT_FLOAT16);
    const c8_value *x = c8_node_input(g, n, 0);
    c8_dtype from = to == C8_DT_FLOAT16 ? C8_DT_FLOAT : C8_DT_FLOAT16;
    if (to != C8_DT_FLOAT16 && to != C8_DT_FLOAT)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "F16Cast to must be float32 or float16");
    C8_TRY(need_dtype(g, n, 0, from, err));
    set_out(g, n, (c8_dtype)to, &x->shape);
    return C8_OK;
}

static c8_status run_f16cast(const c8_op_run *r, c8_error *err) {
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    if (r->out[0].dtype == C8_DT_FLOAT16)
        c8_fp16_from_f32_buf(r->in[0].data, r->out[0].data, (size_t)cnt);
    else
        c8_fp16_to_f32_buf(r->in[0].data, r->out[0].data, (size_t)cnt);
    (void)err;
    return C8_OK;
}

static c8_status check_host_copy(const c8_graph *g, const c8_node *n, c8_error *err) {
    const char *d = c8_node_attr_s(n, "direction", "");
    if (strcmp(d, "download") != 0 && strcmp(d, "upload") != 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "HostCopy direction must be \"download\" or \"upload\", not \"%s\"", d);
    return C8_OK;
}

static c8_status infer_host_copy(c8_graph *g, c8_node *n, c8_error *err) {
    (void)err;
    const c8_value *x = c8_node_input(g, n, 0);
    set_out(g, n, x->dtype, &x->shape);
    return C8_OK;
}

static c8_status run_host_copy(const c8_op_run *r, c8_error *err) {
    (void)err;
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    size_t bytes = (size_t)(cnt > 0 ? cnt : 0) * c8_dtype_size(r->in[0].dtype);
    if (bytes) memcpy(r->out[0].data, r->in[0].data, bytes);
    return C8_OK;
}

/* from / to: channels_last in {0, 1}, cpad >= 1, a storage dtype; side "in" or "out" */
static c8_status check_reformat(const c8_graph *g, const c8_node *n, c8_error *err) {
    const char *names[2] = {"from", "to"};
    for (int k = 0; k < 2; k++) {
        const int64_t *f = NULL;
        size_t nf = c8_node_attr_ints(n, names[k], &f);
        if (nf != 3 || f[0] < 0 || f[0] > 1 || f[1] < 1 || f[1] > 1024 || f[2] <= 0 ||
            c8_dtype_size((c8_dtype)f[2]) == 0)
            return c8_node_err(err, g, n, C8_ERR_INVALID,
                               "Reformat attribute '%s' must be (channels_last 0|1, cpad >= 1, "
                               "storage dtype)",
                               names[k]);
    }
    const char *side = c8_node_attr_s(n, "side", "");
    if (strcmp(side, "in") != 0 && strcmp(side, "out") != 0)
        return c8_node_err(err, g, n, C8_ERR_INVALID,
                           "Reformat side must be \"in\" or \"out\", not \"%s\"", side);
    return C8_OK;
}

/* ---- shared run-time guards ---- */

/* The reference kernels assert their descriptors (kernels/ref/int8_check.c); a run checks them
 * first, so shapes that reach here from a file (a zero extent, a window larger than the padded
 * input) are errors naming the layer, not aborts (found by fuzz/fuzz_onnx.c). A zero-element
 * output (a batch or channel extent of 0, valid in ONNX) needs no work at all. */
static bool empty_output(const c8_op_run *r) {
    return r->n->n_out > 0 && c8_shape_numel(&r->out[0].shape) == 0;
}

/* ---- Q8Conv ---- */

static c8_status check_conv(const c8_graph *g, const c8_node *n, c8_error *err) {
    if (n->n_in < 4) return c8_node_err(err, g, n, C8_ERR_INVALID, "needs x, w, bias, mult inputs");
    const c8_value *w = c8_node_input(g, n, 1), *m = c8_node_input(g, n, 3);
    if (!w || w->kind != C8_VAL_CONST || w->dtype != C8_DT_INT8 || w->shape.rank != 4)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "weights must be a constant 4-D int8 tensor");
    if (!m || m->kind != C8_VAL_CONST || m->dtype != C8_DT_FLOAT || m->shape.rank != 1 ||
        m->shape.d[0] != w->shape.d[0])
        return c8_node_err(err, g, n, C8_ERR_INVALID, "mult must be float32 (K)");
    const c8_value *b = c8_node_input(g, n, 2);
    if (b && (b->kind != C8_VAL_CONST || b->dtype != C8_DT_INT32 || b->shape.rank != 1 ||
              b->shape.d[0] != w->shape.d[0]))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "bias must be int32 (K)");
    return C8_OK;
}

static c8_status conv_geometry(const c8_graph *g, const c8_node *n, c8_conv2d_desc *d,
                               c8_error *err) {
    const c8_value *x = c8_node_input(g, n, 0), *w = c8_node_input(g, n, 1);
    C8_TRY(need_rank4(g, n, x, err));
    int64_t group = c8_node_attr_i(n, "group", 1);
    memset(d, 0, sizeof *d);
    d->k = w->shape.d[0];
    d->r = w->shape.d[2];
    d->s = w->shape.d[3];
    d->group = group;
    d->n = x->shape.rank == 4 ? x->shape.d[0] : -1;
    d->c = x->shape.rank == 4 ? x->shape.d[1] : -1;
    d->h = x->shape.rank == 4 ? x->shape.d[2] : -1;
    d->w = x->shape.rank == 4 ? x->shape.d[3] : -1;
    if (group < 1 || d->k % group != 0 || (d->c >= 0 && d->c != w->shape.d[1] * group))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "weights (%lld, %lld, ...) with group %lld do not fit %lld input "
                           "channels",
                           (long long)d->k, (long long)w->shape.d[1], (long long)group,
                           (long long)d->c);
    win2d wd;
    C8_TRY(window2d(g, n, d->h, d->w, d->r, d->s, false, &wd, err));
    d->p = wd.p;
    d->q = wd.q;
    d->stride_h = wd.sh;
    d->stride_w = wd.sw;
    d->pad_t = wd.pt;
    d->pad_l = wd.pl;
    d->pad_b = wd.pb;
    d->pad_r = wd.pr;
    d->dil_h = wd.dh;
    d->dil_w = wd.dw;
    return C8_OK;
}

c8_status c8_op_q8_conv_desc(const c8_graph *g, const c8_node *n, c8_conv2d_desc *d,
                             c8_error *err) {
    return conv_geometry(g, n, d, err);
}

c8_int8_epilogue c8_op_q8_epilogue(const c8_node *n) {
    c8_int8_epilogue ep;
    memset(&ep, 0, sizeof ep);
    ep.out = (int32_t)c8_node_attr_i(n, "out", C8_QOUT_INT8);
    ep.res_mult = n->op == C8_OP_Q8_CONV ? attr_f(n, "res_mult", 0.0f) : 0.0f;
    ep.act = node_act(n);
    return ep;
}

static c8_status infer_conv(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    c8_conv2d_desc d;
    C8_TRY(conv_geometry(g, n, &d, err));
    c8_shape s = {4, {d.n, d.k, d.p, d.q}};
    const c8_value *res = c8_node_input(g, n, 4);
    if (res) {
        C8_TRY(need_dtype(g, n, 4, C8_DT_INT8, err));
        if (res->shape.rank >= 0 && c8_shape_numel(&s) >= 0 && !c8_shape_equal(&res->shape, &s))
            return c8_node_err(err, g, n, C8_ERR_SHAPE, "residual '%s' does not match the output",
                               res->name);
    }
    set_out(g, n, out_dtype(c8_node_attr_i(n, "out", C8_QOUT_INT8)), &s);
    return C8_OK;
}

static c8_status run_conv(const c8_op_run *r, c8_error *err) {
    c8_conv2d_desc d;
    C8_TRY(conv_geometry(r->g, r->n, &d, err));
    c8_int8_epilogue ep;
    ep.out = (int32_t)c8_node_attr_i(r->n, "out", C8_QOUT_INT8);
    ep.bias = r->in[2].data;
    ep.mult = r->in[3].data;
    ep.residual = r->n->n_in > 4 ? r->in[4].data : NULL;
    ep.res_mult = attr_f(r->n, "res_mult", 0.0f);
    ep.act = node_act(r->n);
    if (empty_output(r)) return C8_OK;
    C8_TRY(c8_conv2d_desc_check(r->n->name, &d, err));
    C8_TRY(c8_int8_epilogue_check(r->n->name, &ep, d.k, err));
    c8_ref_int8_conv2d(&d, r->in[0].data, r->in[1].data, &ep, r->out[0].data);
    return C8_OK;
}

/* ---- Q8Gemm ---- */

static c8_status check_gemm(const c8_graph *g, const c8_node *n, c8_error *err) {
    const c8_value *b = c8_node_input(g, n, 1), *m = c8_node_input(g, n, 3);
    if (!b || b->kind != C8_VAL_CONST || b->dtype != C8_DT_INT8 || b->shape.rank != 2)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "B must be a constant 2-D int8 tensor");
    int64_t layout = c8_node_attr_i(n, "b_layout", C8_INT8_B_NK);
    int64_t nn = layout == C8_INT8_B_NK ? b->shape.d[0] : b->shape.d[1];
    if (!m || m->kind != C8_VAL_CONST || m->dtype != C8_DT_FLOAT || m->shape.rank != 1 ||
        m->shape.d[0] != nn)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "mult must be float32 (N)");
    return C8_OK;
}

static c8_status gemm_geometry(const c8_graph *g, const c8_node *n, c8_int8_gemm_desc *d,
                               c8_shape *out, c8_error *err) {
    const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
    int64_t layout = c8_node_attr_i(n, "b_layout", C8_INT8_B_NK);
    d->b_layout = (int32_t)layout;
    d->n = layout == C8_INT8_B_NK ? b->shape.d[0] : b->shape.d[1];
    d->k = layout == C8_INT8_B_NK ? b->shape.d[1] : b->shape.d[0];
    if (a->shape.rank < 0) {
        out->rank = -1;
        d->m = -1;
        return C8_OK;
    }
    /* an extent unknown before run time (a profile's range, through run-time Reshapes) is
     * checked when the shapes are known */
    if (a->shape.rank < 1 ||
        (a->shape.d[a->shape.rank - 1] >= 0 && a->shape.d[a->shape.rank - 1] != d->k))
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "A's last extent must be K = %lld",
                           (long long)d->k);
    d->m = c8_shape_span(&a->shape, 0, a->shape.rank - 1);
    *out = a->shape;
    out->d[out->rank - 1] = d->n;
    return C8_OK;
}

c8_status c8_op_q8_gemm_desc(const c8_graph *g, const c8_node *n, c8_int8_gemm_desc *d,
                             c8_error *err) {
    c8_shape s;
    return gemm_geometry(g, n, d, &s, err);
}

static c8_status infer_gemm(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    c8_int8_gemm_desc d;
    c8_shape s;
    C8_TRY(gemm_geometry(g, n, &d, &s, err));
    set_out(g, n, out_dtype(c8_node_attr_i(n, "out", C8_QOUT_INT8)), &s);
    return C8_OK;
}

static c8_status run_gemm(const c8_op_run *r, c8_error *err) {
    c8_int8_gemm_desc d;
    c8_shape s;
    C8_TRY(gemm_geometry(r->g, r->n, &d, &s, err));
    c8_int8_epilogue ep;
    ep.out = (int32_t)c8_node_attr_i(r->n, "out", C8_QOUT_INT8);
    ep.bias = r->in[2].data;
    ep.mult = r->in[3].data;
    ep.residual = NULL;
    ep.res_mult = 0.0f;
    ep.act = node_act(r->n);
    if (empty_output(r)) return C8_OK;
    C8_TRY(c8_int8_gemm_desc_check(r->n->name, &d, err));
    C8_TRY(c8_int8_epilogue_check(r->n->name, &ep, d.n, err));
    c8_ref_int8_gemm(&d, r->in[0].data, r->in[1].data, &ep, r->out[0].data);
    return C8_OK;
}

/* ---- Q8MatMul ---- */

static c8_status check_matmul(const c8_graph *g, const c8_node *n, c8_error *err) {
    float m = attr_f(n, "mult", 0.0f);
    if (!(m >= FLT_MIN && m <= FLT_MAX))
        return c8_node_err(err, g, n, C8_ERR_INVALID, "mult must be a positive normal float");
    return C8_OK;
}

/* The output shape of a (..., M, K) x (..., K, N) with the leading axes broadcast; unknown
 * extents stay unknown (and are checked at run time). */
static c8_status matmul_shape(const c8_graph *g, const c8_node *n, const c8_shape *a,
                              const c8_shape *b, c8_shape *out, c8_error *err) {
    if (a->rank < 0 || b->rank < 0) {
        out->rank = -1;
        return C8_OK;
    }
    if (a->rank < 2 || b->rank < 2)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "both operands need rank >= 2");
    int64_t ka = a->d[a->rank - 1], kb = b->d[b->rank - 2];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "A's K = %lld but B's K = %lld", (long long)ka,
                           (long long)kb);
    c8_shape ba = *a, bb = *b;
    ba.rank -= 2;
    bb.rank -= 2;
    C8_TRY(c8_broadcast2(&ba, "A's leading axes", &bb, "B's leading axes", out, err));
    out->d[out->rank++] = a->d[a->rank - 2];
    out->d[out->rank++] = b->d[b->rank - 1];
    return C8_OK;
}

static c8_status infer_matmul(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    C8_TRY(need_dtype(g, n, 1, C8_DT_INT8, err));
    c8_shape s;
    C8_TRY(matmul_shape(g, n, &c8_node_input(g, n, 0)->shape, &c8_node_input(g, n, 1)->shape, &s,
                        err));
    set_out(g, n, out_dtype(c8_node_attr_i(n, "out", C8_QOUT_INT8)), &s);
    return C8_OK;
}

/* One reference call per output matrix; the broadcast iterator over the leading axes gives
 * each operand's matrix index. */
static c8_status run_matmul(const c8_op_run *r, c8_error *err) {
    const c8_shape *sa = &r->in[0].shape, *sb = &r->in[1].shape;
    c8_shape s;
    C8_TRY(matmul_shape(r->g, r->n, sa, sb, &s, err));
    float mult = attr_f(r->n, "mult", 0.0f);
    c8_int8_epilogue ep = {0};
    ep.out = (int32_t)c8_node_attr_i(r->n, "out", C8_QOUT_INT8);
    ep.mult = &mult;
    ep.act = node_act(r->n);
    if (empty_output(r)) return C8_OK;
    c8_int8_matmul_desc d = {1, sa->d[sa->rank - 2], sb->d[sb->rank - 1], sa->d[sa->rank - 1], 0,
                             0};
    C8_TRY(c8_int8_matmul_desc_check(r->n->name, &d, err));
    C8_TRY(c8_int8_epilogue_check(r->n->name, &ep, 1, err));
    c8_shape bo = s, ba = *sa, bb = *sb;
    bo.rank -= 2;
    ba.rank -= 2;
    bb.rank -= 2;
    const c8_shape *ins[2] = {&ba, &bb};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, &bo, ins, 2);
    int64_t batches = c8_shape_span(&bo, 0, bo.rank);
    size_t esz = ep.out == C8_QOUT_INT8 ? 1 : ep.out == C8_QOUT_FLOAT ? 4 : 2;
    const int8_t *a = r->in[0].data, *b = r->in[1].data;
    char *y = r->out[0].data;
    for (int64_t t = 0; t < batches; t++, c8_bcast_iter_next(&it))
        c8_ref_int8_matmul(&d, a + it.off[0] * d.m * d.k, b + it.off[1] * d.k * d.n, &ep,
                           y + (size_t)(t * d.m * d.n) * esz);
    return C8_OK;
}

/* ---- pools ---- */

static c8_status pool_geometry(const c8_graph *g, const c8_node *n, c8_pool2d_desc *d,
                               c8_error *err) {
    const c8_value *x = c8_node_input(g, n, 0);
    C8_TRY(need_rank4(g, n, x, err));
    const int64_t *ks;
    if (c8_node_attr_ints(n, "kernel_shape", &ks) != 2)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "kernel_shape must have 2 entries");
    memset(d, 0, sizeof *d);
    d->n = x->shape.rank == 4 ? x->shape.d[0] : -1;
    d->c = x->shape.rank == 4 ? x->shape.d[1] : -1;
    d->h = x->shape.rank == 4 ? x->shape.d[2] : -1;
    d->w = x->shape.rank == 4 ? x->shape.d[3] : -1;
    win2d wd;
    C8_TRY(
        window2d(g, n, d->h, d->w, ks[0], ks[1], c8_node_attr_i(n, "ceil_mode", 0) != 0, &wd, err));
    d->p = wd.p;
    d->q = wd.q;
    d->kh = wd.kh;
    d->kw = wd.kw;
    d->stride_h = wd.sh;
    d->stride_w = wd.sw;
    d->pad_t = wd.pt;
    d->pad_l = wd.pl;
    d->pad_b = wd.pb;
    d->pad_r = wd.pr;
    d->dil_h = wd.dh;
    d->dil_w = wd.dw;
    d->count_include_pad = (int32_t)c8_node_attr_i(n, "count_include_pad", 0);
    return C8_OK;
}

c8_status c8_op_q8_pool_desc(const c8_graph *g, const c8_node *n, c8_pool2d_desc *d,
                             c8_error *err) {
    return pool_geometry(g, n, d, err);
}

static c8_status infer_pool(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    c8_pool2d_desc d;
    C8_TRY(pool_geometry(g, n, &d, err));
    c8_shape s = {4, {d.n, d.c, d.p, d.q}};
    set_out(g, n, C8_DT_INT8, &s);
    return C8_OK;
}

static c8_status run_maxpool(const c8_op_run *r, c8_error *err) {
    c8_pool2d_desc d;
    C8_TRY(pool_geometry(r->g, r->n, &d, err));
    if (empty_output(r)) return C8_OK;
    C8_TRY(c8_pool2d_desc_check(r->n->name, &d, 1, err));
    c8_ref_int8_maxpool2d(&d, r->in[0].data, r->out[0].data);
    return C8_OK;
}

static c8_status check_avgpool(const c8_graph *g, const c8_node *n, c8_error *err) {
    C8_TRY(check_scale_attr(g, n, "s_in", err));
    return check_scale_attr(g, n, "s_out", err);
}

static c8_status run_avgpool(const c8_op_run *r, c8_error *err) {
    c8_pool2d_desc d;
    C8_TRY(pool_geometry(r->g, r->n, &d, err));
    if (empty_output(r)) return C8_OK;
    C8_TRY(c8_pool2d_desc_check(r->n->name, &d, 0, err));
    int64_t maxc = d.kh * d.kw;
    float *table = malloc((size_t)(maxc + 1) * sizeof *table);
    if (!table) return c8_node_err(err, r->g, r->n, C8_ERR_NOMEM, "out of memory");
    c8_status s = c8_quant_avgpool_mults(r->n->name, attr_f(r->n, "s_in", 1),
                                         attr_f(r->n, "s_out", 1), maxc, table, err);
    if (s == C8_OK) c8_ref_int8_avgpool2d(&d, r->in[0].data, table, r->out[0].data);
    free(table);
    return s;
}

static c8_status infer_gap(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    const c8_value *x = c8_node_input(g, n, 0);
    C8_TRY(need_rank4(g, n, x, err));
    c8_shape s = {4, {-1, -1, 1, 1}};
    if (x->shape.rank == 4) {
        s.d[0] = x->shape.d[0];
        s.d[1] = x->shape.d[1];
    }
    set_out(g, n, C8_DT_INT8, &s);
    return C8_OK;
}

static c8_status run_gap(const c8_op_run *r, c8_error *err) {
    const c8_shape *xs = &r->in[0].shape;
    if (empty_output(r)) return C8_OK;
    int64_t hw = xs->d[2] * xs->d[3];
    float m;
    C8_TRY(c8_quant_avgpool_mult(r->n->name, attr_f(r->n, "s_in", 1), attr_f(r->n, "s_out", 1), hw,
                                 &m, err));
    c8_ref_int8_global_avgpool(xs->d[0], xs->d[1], hw, r->in[0].data, m, r->out[0].data);
    return C8_OK;
}

/* ---- Add, Concat ---- */

static c8_status infer_add(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    C8_TRY(need_dtype(g, n, 1, C8_DT_INT8, err));
    const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
    if (a->shape.rank >= 0 && b->shape.rank >= 0 && c8_shape_numel(&a->shape) >= 0 &&
        c8_shape_numel(&b->shape) >= 0 && !c8_shape_equal(&a->shape, &b->shape))
        return c8_node_err(err, g, n, C8_ERR_SHAPE, "INT8 Add needs equal shapes ('%s', '%s')",
                           a->name, b->name);
    set_out(g, n, out_dtype(c8_node_attr_i(n, "out", C8_QOUT_INT8)), &a->shape);
    return C8_OK;
}

static c8_status run_add(const c8_op_run *r, c8_error *err) {
    int64_t cnt = c8_shape_numel(&r->in[0].shape);
    c8_ref_int8_add(cnt, r->in[0].data, attr_f(r->n, "ma", 1), r->in[1].data, attr_f(r->n, "mb", 1),
                    node_act(r->n), (c8_quant_out)c8_node_attr_i(r->n, "out", C8_QOUT_INT8),
                    r->out[0].data);
    (void)err;
    return C8_OK;
}

/* ---- Mul by a float factor ---- */

bool c8_op_q8_mul_shapes(const c8_shape *x, const c8_shape *f) {
    const int r = x->rank, fr = f->rank;
    if (r < 0 || fr < 0 || fr > r) return false;
    bool single = true;
    for (int i = 0; i < fr; i++) single = single && f->d[i] == 1;
    if (single) return true;
    if (r < 2) return false;
    for (int i = 0; i < r; i++) {
        const int fi = i - (r - fr); /* f's axis aligned with x's axis i, < 0 where f has none */
        const int64_t e = fi < 0 ? 1 : f->d[fi];
        if (e == 1) continue;
        if (i >= 2 || e != x->d[i]) return false;
    }
    return true;
}

bool c8_q8_mul_desc_of(const c8_shape *xs, const c8_shape *fs, float mult, c8_q8_mul_desc *d) {
    if (!c8_op_q8_mul_shapes(xs, fs) || c8_shape_numel(xs) < 0) return false;
    const int r = xs->rank, off = r - fs->rank;
    d->mult = mult;
    if (c8_shape_numel(fs) == 1 || r < 2) {
        d->outer = 1, d->c = 1, d->inner = c8_shape_numel(xs), d->f_outer = 0, d->f_c = 0;
        return true;
    }
    d->outer = xs->d[0], d->c = xs->d[1], d->inner = c8_shape_span(xs, 2, r);
    const int64_t f1 = 1 - off >= 0 ? fs->d[1 - off] : 1, f0 = off == 0 ? fs->d[0] : 1;
    d->f_c = f1 == 1 ? 0 : 1;
    d->f_outer = f0 == 1 ? 0 : f1;
    return true;
}

static c8_status check_mul(const c8_graph *g, const c8_node *n, c8_error *err) {
    return check_scale_attr(g, n, "mult", err);
}

static c8_status infer_mul(c8_graph *g, c8_node *n, c8_error *err) {
    C8_TRY(need_dtype(g, n, 0, C8_DT_INT8, err));
    C8_TRY(need_dtype(g, n, 1, C8_DT_FLOAT, err));
    const c8_value *x = c8_node_input(g, n, 0), *f = c8_node_input(g, n, 1);
    if (x->shape.rank >= 0 && f->shape.rank >= 0 && !c8_op_q8_mul_shapes(&x->shape, &f->shape))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "INT8 Mul needs a factor per channel or a single one ('%s', '%s')",
                           x->name, f->name);
    set_out(g, n, C8_DT_INT8, &x->shape);
    return C8_OK;
}

static c8_status run_mul(const c8_op_run *r, c8_error *err) {
    if (empty_output(r)) return C8_OK;
    c8_q8_mul_desc d;
    if (!c8_q8_mul_desc_of(&r->in[0].shape, &r->in[1].shape, attr_f(r->n, "mult", 1.0f), &d))
        return c8_node_err(err, r->g, r->n, C8_ERR_SHAPE,
                           "INT8 Mul needs a factor per channel or a single one");
    c8_ref_int8_mul(d.outer, d.c, d.inner, r->in[0].data, r->in[1].data, d.f_outer, d.f_c, d.mult,
                    r->out[0].data);
    return C8_OK;
}

static c8_status check_concat(const c8_graph *g, const c8_node *n, c8_error *err) {
    const c8_attr *m = c8_node_attr(n, "mults");
    if (!m || m->type != C8_ATTR_FLOATS || (int)m->n != n->n_in)
        return c8_node_err(err, g, n, C8_ERR_INVALID, "needs one multiplier per input");
    return C8_OK;
}

static c8_status infer_concat(c8_graph *g, c8_node *n, c8_error *err) {
    const c8_value *x0 = c8_node_input(g, n, 0);
    int rank = x0->shape.rank;
    c8_shape s = x0->shape;
    if (rank < 0) {
        set_out(g, n, C8_DT_INT8, &s);
        return C8_OK;
    }
    int axis;
    c8_status st = c8_axis_norm(c8_node_attr_i(n, "axis", 1), rank, &axis, err);
    if (st != C8_OK) return c8_node_err(err, g, n, st, "%s", err->msg);
    s.d[axis] = 0;
    for (int k = 0; k < n->n_in; k++) {
        C8_TRY(need_dtype(g, n, k, C8_DT_INT8, err));
        const c8_value *x = c8_node_input(g, n, k);
        if (x->shape.rank != rank)
            return c8_node_err(err, g, n, C8_ERR_SHAPE, "inputs differ in rank");
        if (s.d[axis] >= 0) s.d[axis] = x->shape.d[axis] < 0 ? -1 : s.d[axis] + x->shape.d[axis];
    }
    set_out(g, n, C8_DT_INT8, &s);
    return C8_OK;
}

static c8_status run_concat(const c8_op_run *r, c8_error *err) {
    const c8_shape *s0 = &r->in[0].shape;
    int axis;
    C8_TRY(c8_axis_norm(c8_node_attr_i(r->n, "axis", 1), s0->rank, &axis, err));
    int n = r->n->n_in;
    const int8_t **xs = malloc((size_t)n * sizeof *xs);
    int64_t *ch = malloc((size_t)n * sizeof *ch);
    if (!xs || !ch) {
        free(xs);
        free(ch);
        return c8_node_err(err, r->g, r->n, C8_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        xs[k] = r->in[k].data;
        ch[k] = r->in[k].shape.d[axis];
    }
    c8_ref_int8_concat(c8_shape_span(s0, 0, axis), c8_shape_span(s0, axis + 1, s0->rank), n, xs, ch,
                       c8_node_attr(r->n, "mults")->floats, r->out[0].data);
    free(xs);
    free(ch);
    return C8_OK;
}

const c8_op_def c8_ops_q8_table[] = {
    {C8_OP_Q8_QUANTIZE, 1, 1, 1, 1, check_quantize, infer_quantize, run_quantize},
    {C8_OP_Q8_DEQUANTIZE, 1, 1, 1, 1, check_quantize, infer_dequantize, run_dequantize},
    {C8_OP_Q8_REQUANTIZE, 1, 1, 1, 1, check_requantize, infer_requantize, run_requantize},
    {C8_OP_Q8_CONV, 4, 5, 1, 1, check_conv, infer_conv, run_conv},
    {C8_OP_Q8_GEMM, 4, 4, 1, 1, check_gemm, infer_gemm, run_gemm},
    {C8_OP_Q8_MATMUL, 2, 2, 1, 1, check_matmul, infer_matmul, run_matmul},
    {C8_OP_Q8_MAXPOOL, 1, 1, 1, 1, NULL, infer_pool, run_maxpool},
    {C8_OP_Q8_AVGPOOL, 1, 1, 1, 1, check_avgpool, infer_pool, run_avgpool},
    {C8_OP_Q8_GLOBAL_AVGPOOL, 1, 1, 1, 1, check_avgpool, infer_gap, run_gap},
    {C8_OP_Q8_ADD, 2, 2, 1, 1, NULL, infer_add, run_add},
    {C8_OP_Q8_CONCAT, 1, -1, 1, 1, check_concat, infer_concat, run_concat},
    {C8_OP_Q8_MUL, 2, 2, 1, 1, check_mul, infer_mul, run_mul},
    {C8_OP_F16_CAST, 1, 1, 1, 1, NULL, infer_f16cast, run_f16cast},
    {C8_OP_HOST_COPY, 1, 1, 1, 1, check_host_copy, infer_host_copy, run_host_copy},
    {C8_OP_REFORMAT, 1, 1, 1, 1, check_reformat, infer_host_copy, run_host_copy},
    {C8_OP_UNKNOWN, 0, 0, 0, 0, NULL, NULL, NULL},
};
