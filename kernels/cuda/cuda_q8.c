/* The INT8 layers (ops/q8.c) on the GPU through the INT8 kernels of kernels/cuda/int8/
 * (int8_cuda.h): int8 tensors of rank >= 2 live in its NHWC32 layout (channels last, padded to
 * 32 with zeros), and so do the float / half outputs of INT8 convolutions, Gemms and Adds.
 * Those kernels equal the CPU reference bit for bit. Forms they do not cover (grouped
 * convolutions that are not depthwise, Gemm on other than 2-D activations, Requantize with a
 * sigmoid, Concat off the channel axis, rank < 2) run on the host (backend_cuda.c).
 * The convolution / Gemm algorithm comes from the layer's kernel string ("int8:<name>#<id>",
 * chosen by timing at build time: cu_tune_q8) or the first candidate that supports the shape. */
#include "kernels/cuda/cuda_backend_int.h"

#include "calib8/quant.h"
#include "ops/geometry.h"
#include "ops/ops.h"
#include "util/shape.h"
#include "kernels/ref/int8.h"
#include "kernels/ref/resize.h"
#include "util/err.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W_I8_CONV = 3, W_I8_GEMM = 4 }; /* weight cache kinds */

#define NHWC32 ((cu_want){C8CU_I8, 1, C8_CUDA_INT8_CALIGN})

typedef struct q8_state {
    c8_conv2d_desc conv;
    c8_int8_gemm_desc gemm;
    c8_pool2d_desc pool;
    c8_int8_epilogue ep; /* device pointers filled at run time */
    int32_t algo;
    void *w; /* packed weights (device) */
    bool w_owned;
    float *dev_f; /* small device float arrays: scales, pool multipliers */
    float host_f[4];
    float *mults;      /* Q8Concat: per-input multipliers (host) */
    int64_t *channels; /* Q8Concat */
} q8_state;

static void q8_free(cu_ctx *c, void *p) {
    (void)c;
    q8_state *st = p;
    if (!st) return;
    if (st->w_owned && st->w) cudaFree(st->w);
    if (st->dev_f) cudaFree(st->dev_f);
    free(st->mults);
    free(st->channels);
    free(st);
}

static c8_status host(cu_node *nd, const char *why) {
    nd->impl = CU_IMPL_HOST;
    nd->why = why;
    return C8_OK;
}

static c8_quant_act node_act(const c8_node *n) {
    c8_quant_act a;
    a.kind = (int32_t)c8_node_attr_i(n, "act", C8_QACT_NONE);
    a.lo = c8_node_attr_f(n, "act_lo", -INFINITY);
    a.hi = c8_node_attr_f(n, "act_hi", INFINITY);
    a.alpha = c8_node_attr_f(n, "act_alpha", 0.0f);
    return a;
}

static int8_t out_type(int64_t out) {
    return out == C8_QOUT_FLOAT ? C8CU_F32 : out == C8_QOUT_FLOAT16 ? C8CU_F16 : C8CU_I8;
}

/* Uploads `bytes` from h into new device memory *dev (the caller frees it). */
static c8_status dev_bytes(cu_ctx *c, void **dev, const void *h, size_t bytes, c8_error *err) {
    C8_CUDA_TRY(err, cu_malloc(dev, bytes));
    C8_CUDA_TRY(err, cudaMemcpyAsync(*dev, h, bytes, cudaMemcpyHostToDevice, c->stream));
    C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
    return C8_OK;
}

/* Uploads n floats into st->dev_f. */
static c8_status dev_floats(cu_ctx *c, q8_state *st, const float *h, size_t n, c8_error *err) {
    return dev_bytes(c, (void **)&st->dev_f, h, n * sizeof(float), err);
}

static q8_state *new_state(cu_node *nd) {
    q8_state *st = calloc(1, sizeof *st);
    if (st) {
        nd->op = st;
        nd->op_free = q8_free;
    }
    return st;
}

/* (n, c, hw) of an NHWC32 operand of rank >= 2. */
static void nchw_of(const c8_shape *s, int64_t *n, int64_t *c, int64_t *hw) {
    *n = s->d[0];
    *c = s->d[1];
    *hw = c8_shape_span(s, 2, s->rank);
}

/* ------------------------------------------------------------------ quantize and friends */

static c8_status quantize_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                              cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    q8_state *st = nd->op;
    int64_t nn, cc, hw;
    nchw_of(&in[0].shape, &nn, &cc, &hw);
    switch (n->op) {
    case C8_OP_Q8_QUANTIZE:
        return c8_cuda_int8_quantize_nchw(nn, cc, hw, in[0].data, st->dev_f, 1, out[0].data,
                                          c->stream, err);
    case C8_OP_Q8_DEQUANTIZE:
        return c8_cuda_int8_dequantize_nchw(nn, cc, hw, in[0].data, st->dev_f, 1, out[0].data,
                                            c->stream, err);
    default: {
        const c8_quant_act act = node_act(n);
        if (act.kind != C8_QACT_NONE)
            return c8_cuda_int8_requantize_act(nn * hw, cc, in[0].data,
                                               c8_node_attr_f(n, "mult", 1.0f), act, out[0].data,
                                               c->stream, err);
        return c8_cuda_int8_requantize(nn * hw, cc, in[0].data, st->dev_f, 1, out[0].data,
                                       c->stream, err);
    }
    }
}

static c8_status prepare_quantize(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                                  c8_error *err) {
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->shape.rank < 2) return host(nd, "INT8 tensor of rank < 2");
    if (n->op == C8_OP_Q8_REQUANTIZE && node_act(n).kind == C8_QACT_SIGMOID)
        return host(nd, "Requantize with a sigmoid");
    q8_state *st = new_state(nd);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    float f;
    if (n->op == C8_OP_Q8_QUANTIZE) {
        f = c8_quant_inv_scale(c8_node_attr_f(n, "scale", 1.0f));
        nd->want_in[0] = (cu_want){C8CU_F32, 0, 1};
        nd->want_out[0] = NHWC32;
    } else if (n->op == C8_OP_Q8_DEQUANTIZE) {
        f = c8_node_attr_f(n, "scale", 1.0f);
        nd->want_in[0] = NHWC32;
        nd->want_out[0] = (cu_want){C8CU_F32, 0, 1};
    } else {
        f = c8_node_attr_f(n, "mult", 1.0f);
        nd->want_in[0] = NHWC32;
        nd->want_out[0] = NHWC32;
    }
    C8_TRY(dev_floats(c, st, &f, 1, err));
    nd->run = quantize_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ Q8Conv, Q8Gemm */

/* c8_conv2d_desc of a Q8Conv node (ops_q8.c's conv_geometry). */
static c8_status conv_desc(const c8_graph *g, const c8_node *n, c8_conv2d_desc *d, c8_error *err) {
    const c8_value *x = c8_node_input(g, n, 0), *w = c8_node_input(g, n, 1);
    memset(d, 0, sizeof *d);
    if (x->shape.rank != 4) return c8_err(err, C8_ERR_UNSUPPORTED, "not 4-D");
    int64_t kern[2] = {w->shape.d[2], w->shape.d[3]};
    cu_win wn;
    C8_TRY(cu_window(g, n, &x->shape, kern, false, &wn, err));
    d->n = x->shape.d[0];
    d->c = x->shape.d[1];
    d->h = x->shape.d[2];
    d->w = x->shape.d[3];
    d->k = w->shape.d[0];
    d->r = w->shape.d[2];
    d->s = w->shape.d[3];
    d->p = wn.out_h;
    d->q = wn.out_w;
    d->stride_h = wn.sh;
    d->stride_w = wn.sw;
    d->pad_t = wn.pt;
    d->pad_l = wn.pl;
    d->pad_b = wn.pb;
    d->pad_r = wn.pr;
    d->dil_h = wn.dh;
    d->dil_w = wn.dw;
    d->group = c8_node_attr_i(n, "group", 1);
    return C8_OK;
}

static c8_status gemm_desc(const c8_graph *g, const c8_node *n, c8_int8_gemm_desc *d,
                           c8_error *err) {
    const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
    if (a->shape.rank != 2) return c8_err(err, C8_ERR_UNSUPPORTED, "A is not 2-D");
    d->b_layout = (int32_t)c8_node_attr_i(n, "b_layout", C8_INT8_B_NK);
    d->n = d->b_layout == C8_INT8_B_NK ? b->shape.d[0] : b->shape.d[1];
    d->k = d->b_layout == C8_INT8_B_NK ? b->shape.d[1] : b->shape.d[0];
    d->m = a->shape.d[0];
    return C8_OK;
}

/* The epilogue's shape-like fields (no device pointers yet). */
static c8_int8_epilogue ep_shape(const c8_graph *g, const c8_node *n) {
    c8_int8_epilogue ep;
    memset(&ep, 0, sizeof ep);
    ep.out = (int32_t)c8_node_attr_i(n, "out", C8_QOUT_INT8);
    ep.res_mult = c8_node_attr_f(n, "res_mult", 0.0f);
    ep.act = node_act(n);
    /* supports() only tests which pointers are present: the multipliers always are (input 3,
     * bound at run time). Leaving mult NULL here made every INT8 conv and Gemm look
     * unsupported, so they all ran on the host (found on the H200, 2026-11-22). */
    ep.mult = (const float *)(uintptr_t)1;
    if (n->op == C8_OP_Q8_CONV && c8_node_input(g, n, 4))
        ep.residual = (const int8_t *)(uintptr_t)1; /* "has a residual" for supports() */
    return ep;
}

/* The INT8 algorithm recorded in layer l for batch n (docs/int8-gpu.md), or -1:
 *   "int8:<name>#<id>"                          one choice (a fixed-batch plan)
 *   "int8:b<B1>=<name>#<id>,b<B2>=<name>#<id>"  one per batch bucket, ascending: the choice of the
 *                                               smallest bucket >= n, the largest beyond it */
static int32_t kernel_algo(const c8_layer *l, int64_t n) {
    if (!l || strncmp(l->kernel, "int8:", 5) != 0) return -1;
    const char *p = l->kernel + 5;
    if (p[0] != 'b' || !isdigit((unsigned char)p[1])) {
        const char *h = strrchr(p, '#');
        return h ? (int32_t)atoi(h + 1) : -1;
    }
    int32_t pick = -1;
    while (p && p[0] == 'b') {
        char *end;
        long long bucket = strtoll(p + 1, &end, 10);
        const char *h = strchr(end, '#');
        if (!h || *end != '=') return -1;
        pick = (int32_t)atoi(h + 1);
        if (bucket >= n) break;
        p = strchr(h, ',');
        if (p) p++;
    }
    return pick;
}

static c8_status conv_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    q8_state *st = nd->op;
    c8_int8_epilogue ep = st->ep;
    ep.bias = n->n_in > 2 && in[2].data ? in[2].data : NULL;
    ep.mult = in[3].data;
    ep.residual = NULL;
    if (n->op == C8_OP_Q8_CONV && res && res->data) ep.residual = res->data;
    if (n->op == C8_OP_Q8_CONV && n->n_in > 4 && in[4].data) ep.residual = in[4].data;
    c8_cuda_int8_ctx *i8;
    C8_TRY(cu_i8(c, &i8, err));
    if (n->op == C8_OP_Q8_CONV)
        return c8_cuda_int8_conv_run(i8, st->algo, &st->conv, in[0].data, st->w, &ep, out[0].data,
                                     c->ws, c->ws_bytes, c->stream, err);
    return c8_cuda_int8_gemm_run(i8, st->algo, &st->gemm, in[0].data, st->w, &ep, out[0].data,
                                 c->ws, c->ws_bytes, c->stream, err);
}

static c8_status prepare_conv(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                              const c8_layer *l, c8_error *err) {
    const bool is_conv = n->op == C8_OP_Q8_CONV;
    const c8_value *w = c8_node_input(g, n, 1);
    for (int k = 1; k < 4 && k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->kind != C8_VAL_CONST) return host(nd, "weights computed at run time");
    }
    q8_state *st = new_state(nd);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_error de = {0};
    if (is_conv ? conv_desc(g, n, &st->conv, &de) != C8_OK
                : gemm_desc(g, n, &st->gemm, &de) != C8_OK)
        return host(nd, "INT8 geometry the GPU kernels do not take");
    st->ep = ep_shape(g, n);
    c8_cuda_int8_ctx *i8;
    C8_TRY(cu_i8(c, &i8, err));
    int32_t algo = kernel_algo(l, c8_node_input(g, n, 0)->shape.d[0]);
    const int ok =
        algo >= 0 && (is_conv ? c8_cuda_int8_conv_supports(i8, algo, &st->conv, &st->ep, NULL)
                              : c8_cuda_int8_gemm_supports(i8, algo, &st->gemm, &st->ep, NULL));
    if (!ok) {
        int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
        int na = is_conv ? c8_cuda_int8_conv_candidates(i8, &st->conv, &st->ep, algos)
                         : c8_cuda_int8_gemm_candidates(i8, &st->gemm, &st->ep, algos);
        if (na < 1) return host(nd, "no INT8 kernel supports this shape");
        algo = algos[0];
    }
    st->algo = algo;
    /* packed weights */
    int64_t pb = is_conv ? c8_cuda_int8_conv_packed_bytes(&st->conv)
                         : c8_cuda_int8_gemm_packed_bytes(&st->gemm);
    if (pb < 0) return host(nd, "grouped INT8 convolution");
    int8_t *packed = malloc((size_t)(pb ? pb : 1));
    if (!packed) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_error pe = {0};
    c8_status s = is_conv ? c8_cuda_int8_pack_conv_weights(&st->conv, w->data, packed, &pe)
                          : c8_cuda_int8_pack_gemm_weights(&st->gemm, w->data, packed, &pe);
    if (s == C8_OK)
        s = cu_weights(c, cu_const_stable(g, n->in[1]) ? w->data : NULL,
                       is_conv ? W_I8_CONV : W_I8_GEMM, packed, (size_t)pb, &st->w, &st->w_owned,
                       err);
    free(packed);
    if (s == C8_ERR_UNSUPPORTED) return host(nd, "weights the INT8 kernels cannot pack");
    C8_TRY(s);
    nd->ws_bytes = is_conv ? c8_cuda_int8_conv_workspace_bytes(i8, algo, &st->conv)
                           : c8_cuda_int8_gemm_workspace_bytes(i8, algo, &st->gemm);
    nd->want_in[0] = NHWC32;
    if (is_conv && n->n_in > 4) nd->want_in[4] = NHWC32;
    nd->want_res = NHWC32;
    nd->want_out[0] = (cu_want){out_type(st->ep.out), 1, C8_CUDA_INT8_CALIGN};
    nd->run = conv_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ pools */

static c8_status pool_desc(const c8_graph *g, const c8_node *n, c8_pool2d_desc *d, c8_error *err) {
    const c8_value *x = c8_node_input(g, n, 0);
    const int64_t *ks;
    memset(d, 0, sizeof *d);
    if (x->shape.rank != 4 || c8_node_attr_ints(n, "kernel_shape", &ks) != 2)
        return c8_err(err, C8_ERR_UNSUPPORTED, "pool geometry");
    cu_win wn;
    C8_TRY(cu_window(g, n, &x->shape, ks, c8_node_attr_i(n, "ceil_mode", 0) != 0, &wn, err));
    d->n = x->shape.d[0];
    d->c = x->shape.d[1];
    d->h = x->shape.d[2];
    d->w = x->shape.d[3];
    d->p = wn.out_h;
    d->q = wn.out_w;
    d->kh = wn.kh;
    d->kw = wn.kw;
    d->stride_h = wn.sh;
    d->stride_w = wn.sw;
    d->pad_t = wn.pt;
    d->pad_l = wn.pl;
    d->pad_b = wn.pb;
    d->pad_r = wn.pr;
    d->dil_h = wn.dh;
    d->dil_w = wn.dw;
    d->count_include_pad = (int32_t)c8_node_attr_i(n, "count_include_pad", 0);
    return C8_OK;
}

static c8_status pool_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    q8_state *st = nd->op;
    switch (n->op) {
    case C8_OP_Q8_MAXPOOL:
        return c8_cuda_int8_maxpool2d(&st->pool, in[0].data, out[0].data, c->stream, err);
    case C8_OP_Q8_AVGPOOL:
        return c8_cuda_int8_avgpool2d(&st->pool, in[0].data, st->dev_f, out[0].data, c->stream,
                                      err);
    default: {
        const c8_shape *xs = &in[0].shape;
        return c8_cuda_int8_global_avgpool(xs->d[0], xs->d[1], xs->d[2] * xs->d[3], in[0].data,
                                           st->host_f[0], out[0].data, c->stream, err);
    }
    }
}

static c8_status prepare_pool(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                              c8_error *err) {
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->shape.rank != 4) return host(nd, "INT8 pool of rank != 4");
    q8_state *st = new_state(nd);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    const float s_in = c8_node_attr_f(n, "s_in", 1.0f), s_out = c8_node_attr_f(n, "s_out", 1.0f);
    if (n->op == C8_OP_Q8_GLOBAL_AVGPOOL) {
        const int64_t hw = x->shape.d[2] * x->shape.d[3];
        C8_TRY(c8_quant_check_pool_count(n->name, hw, err));
        float *table = malloc((size_t)(hw + 1) * sizeof *table);
        if (!table) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        c8_status s = c8_quant_avgpool_mults(n->name, s_in, s_out, hw, table, err);
        if (s == C8_OK) st->host_f[0] = table[hw];
        free(table);
        C8_TRY(s);
    } else {
        c8_error de = {0};
        if (pool_desc(g, n, &st->pool, &de) != C8_OK) return host(nd, "INT8 pool geometry");
        if (n->op == C8_OP_Q8_AVGPOOL) {
            const int64_t maxc = st->pool.kh * st->pool.kw;
            float *table = malloc((size_t)(maxc + 1) * sizeof *table);
            if (!table) return c8_err(err, C8_ERR_NOMEM, "out of memory");
            c8_status s = c8_quant_avgpool_mults(n->name, s_in, s_out, maxc, table, err);
            if (s == C8_OK) s = dev_floats(c, st, table, (size_t)(maxc + 1), err);
            free(table);
            C8_TRY(s);
        }
    }
    nd->want_in[0] = NHWC32;
    nd->want_out[0] = NHWC32;
    nd->run = pool_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ Add, Concat, F16Cast */

static c8_status add_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n, cu_tensor *in,
                         cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)nd;
    (void)g;
    (void)res;
    int64_t nn, cc, hw;
    nchw_of(&in[0].shape, &nn, &cc, &hw);
    return c8_cuda_int8_add(nn * hw, cc, in[0].data, c8_node_attr_f(n, "ma", 1.0f), in[1].data,
                            c8_node_attr_f(n, "mb", 1.0f), node_act(n),
                            (int32_t)c8_node_attr_i(n, "out", C8_QOUT_INT8), out[0].data, c->stream,
                            err);
}

/* Q8Mul: x NHWC32, the factor a float32 array in the ONNX layout (one value, or per channel and
 * optionally per item) */
static c8_status mul_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n, cu_tensor *in,
                         cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)res;
    c8_q8_mul_desc d;
    if (!c8_q8_mul_desc_of(&in[0].shape, &in[1].shape, c8_node_attr_f(n, "mult", 1.0f), &d))
        return c8_node_err(err, g, n, C8_ERR_SHAPE,
                           "INT8 Mul needs a factor per channel or a single one");
    int64_t nn, cc, hw;
    nchw_of(&in[0].shape, &nn, &cc, &hw);
    const q8_state *st = nd->op;
    return c8_cuda_int8_mul(nn, cc, hw, in[0].data, st ? st->dev_f : in[1].data, d.f_outer, d.f_c,
                            d.mult, out[0].data, c->stream, err);
}

static c8_status concat_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    q8_state *st = nd->op;
    const int8_t *xs[CU_MAX_IO];
    for (int k = 0; k < n->n_in; k++) xs[k] = in[k].data;
    const c8_shape *s0 = &in[0].shape;
    return c8_cuda_int8_concat(s0->d[0] * c8_shape_span(s0, 2, s0->rank), n->n_in, xs, st->channels,
                               st->mults, out[0].data, c->stream, err);
}

static c8_status cast_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)nd;
    (void)g;
    (void)n;
    (void)res;
    c8cu_view x = cu_view(in[0].data, &in[0].shape, in[0].fmt);
    c8cu_view y = cu_view(out[0].data, &out[0].shape, out[0].fmt);
    return c8cu_copy(&y, &x, c->stream, err);
}

/* ------------------------------------------------------------------ nearest Resize on int8 */

/* The constant per-axis factor of axis k (scales, or sizes against x's extent), or -1. */
static double resize_axis_factor(const c8_graph *g, const c8_node *n, int k) {
    const c8_value *x = c8_node_input(g, n, 0);
    const int si = g->opset >= 11 ? 2 : 1;
    const c8_value *sc = c8_node_input(g, n, si),
                   *sz = g->opset >= 11 ? c8_node_input(g, n, 3) : NULL;
    if (sc && sc->kind == C8_VAL_CONST && sc->dtype == C8_DT_FLOAT &&
        c8_shape_numel(&sc->shape) == 4)
        return ((const float *)sc->data)[k];
    if (sz && sz->kind == C8_VAL_CONST && sz->dtype == C8_DT_INT64 &&
        c8_shape_numel(&sz->shape) == 4 && x->shape.d[k] > 0)
        return (double)((const int64_t *)sz->data)[k] / (double)x->shape.d[k];
    return -1;
}

const char *cu_resize8_refusal(const c8_graph *g, const c8_node *n) {
    const c8_value *x = c8_node_input(g, n, 0), *y = c8_node_output(g, n, 0);
    if (n->op != C8_OP_RESIZE || !x || !y || x->dtype != C8_DT_INT8 || y->dtype != C8_DT_INT8)
        return "index map needs 4-byte elements";
    if (x->shape.rank != 4) return "int8 Resize of rank != 4";
    if (strcmp(c8_node_attr_s(n, "mode", "nearest"), "nearest") != 0 ||
        strcmp(c8_node_attr_s(n, "coordinate_transformation_mode", "half_pixel"),
               "tf_crop_and_resize") == 0)
        return "int8 Resize other than nearest";
    for (int k = 1; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->kind != C8_VAL_CONST) return "parameters computed at run time";
    }
    if (resize_axis_factor(g, n, 0) != 1.0 || resize_axis_factor(g, n, 1) != 1.0)
        return "int8 Resize of the batch or channel axis";
    return NULL;
}

static c8_status resize8_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                             cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    const q8_state *st = nd->op;
    const c8_shape *xs = &in[0].shape, *ys = &out[0].shape;
    const int32_t *maps = st->w;
    return c8_cuda_int8_resize_nearest(xs->d[0], xs->d[1], xs->d[2], xs->d[3], ys->d[2], ys->d[3],
                                       maps, maps + ys->d[2], in[0].data, out[0].data, c->stream,
                                       err);
}

c8_status cu_prepare_resize8(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                             c8_error *err) {
    c8_resize_desc d;
    C8_TRY(c8_op_resize_desc(g, n, &d, err));
    if (d.rank != 4 || d.out[0] != d.in[0] || d.out[1] != d.in[1])
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "int8 Resize of the batch or channel axis on the GPU");
    q8_state *st = new_state(nd);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    const int64_t oh = d.out[2], ow = d.out[3];
    int32_t *maps = malloc((size_t)(oh + ow) * sizeof *maps);
    if (!maps) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < oh; i++) maps[i] = (int32_t)c8_resize_nearest_src(&d, 2, i);
    for (int64_t i = 0; i < ow; i++) maps[oh + i] = (int32_t)c8_resize_nearest_src(&d, 3, i);
    st->w_owned = true; /* (q8_free frees it; NULL until uploaded) */
    c8_status s = dev_bytes(c, &st->w, maps, (size_t)(oh + ow) * sizeof *maps, err);
    free(maps);
    C8_TRY(s);
    nd->want_in[0] = NHWC32;
    nd->want_out[0] = NHWC32;
    nd->run = resize8_run;
    return C8_OK;
}

c8_status cu_prepare_q8(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                        const c8_layer *l, c8_error *err) {
    switch (c8_op_info_of(n->op)->gpu) { /* the GPU column of ops/ops.def */
    case C8_GPU_Q8_QUANTIZE: return prepare_quantize(c, nd, g, n, err);
    case C8_GPU_Q8_CONV: return prepare_conv(c, nd, g, n, l, err);
    case C8_GPU_Q8_POOL: return prepare_pool(c, nd, g, n, err);
    case C8_GPU_Q8_ADD: {
        const c8_value *a = c8_node_input(g, n, 0);
        if (a->shape.rank < 2) return host(nd, "INT8 Add of rank < 2");
        nd->want_in[0] = nd->want_in[1] = NHWC32;
        nd->want_out[0] =
            (cu_want){out_type(c8_node_attr_i(n, "out", C8_QOUT_INT8)), 1, C8_CUDA_INT8_CALIGN};
        nd->run = add_run;
        return C8_OK;
    }
    case C8_GPU_Q8_MUL: {
        const c8_value *x = c8_node_input(g, n, 0);
        if (x->shape.rank < 2) return host(nd, "INT8 Mul of rank < 2");
        nd->want_in[0] = NHWC32;
        nd->want_out[0] = NHWC32;
        nd->run = mul_run;
        const c8_value *f = c8_node_input(g, n, 1);
        if (f->kind != C8_VAL_CONST) {
            nd->want_in[1] = (cu_want){C8CU_F32, 0, 1};
            return C8_OK;
        }
        /* a constant factor (a Mul by a constant): its values on the device once */
        q8_state *st = new_state(nd);
        if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        return dev_floats(c, st, f->data, (size_t)c8_shape_numel(&f->shape), err);
    }
    case C8_GPU_Q8_CONCAT: {
        const c8_value *x0 = c8_node_input(g, n, 0);
        int axis = -1;
        c8_error ae = {0};
        if (x0->shape.rank < 2 ||
            c8_axis_norm(c8_node_attr_i(n, "axis", 1), x0->shape.rank, &axis, &ae) != C8_OK ||
            axis != 1)
            return host(nd, "INT8 Concat off the channel axis");
        q8_state *st = new_state(nd);
        if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        st->mults = malloc((size_t)n->n_in * sizeof(float));
        st->channels = malloc((size_t)n->n_in * sizeof(int64_t));
        if (!st->mults || !st->channels) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        const c8_attr *m = c8_node_attr(n, "mults");
        for (int k = 0; k < n->n_in; k++) {
            st->mults[k] = m->floats[k];
            st->channels[k] = c8_node_input(g, n, k)->shape.d[1];
            nd->want_in[k] = NHWC32;
        }
        nd->want_out[0] = NHWC32;
        nd->run = concat_run;
        return C8_OK;
    }
    case C8_GPU_F16_CAST: nd->run = cast_run; return C8_OK;
    default: return host(nd, "no GPU kernel for this INT8 op");
    }
}

/* ------------------------------------------------------------------ build-time choice */

/* Records the timed choice in the layer: kernel (the form kernel_algo reads) and tuned (every
 * candidate's median, the choice starred; per bucket "b<B>: ..." separated by "; "). Bucket 0
 * starts both strings afresh; a string that would overflow keeps what fits (the kernel string
 * always has room for three buckets: C8_LAYER_KERNEL_MAX). */
static void record_choice(c8_layer *l, const c8_q8_bucket *bk, const c8_cuda_int8_timing *res,
                          int na, int best) {
    const char *name = c8_cuda_int8_algo_name(res[best].algo);
    size_t kl = 0, used = 0;
    if (bk->n == 0) {
        snprintf(l->kernel, sizeof l->kernel, "int8:%.60s#%d", name, (int)res[best].algo);
        l->tuned[0] = '\0';
    } else {
        if (bk->index == 0) {
            snprintf(l->kernel, sizeof l->kernel, "int8:");
            l->tuned[0] = '\0';
        }
        kl = strlen(l->kernel);
        snprintf(l->kernel + kl, sizeof l->kernel - kl, "%sb%lld=%.60s#%d", kl > 5 ? "," : "",
                 (long long)bk->batch, name, (int)res[best].algo);
        used = strlen(l->tuned);
        int w = snprintf(l->tuned + used, sizeof l->tuned - used, "%sb%lld:", used ? "; " : "",
                         (long long)bk->batch);
        if (w < 0 || (size_t)w >= sizeof l->tuned - used) return;
        used += (size_t)w;
    }
    for (int i = 0; i < na; i++) {
        bool failed = res[i].status != C8_OK || res[i].ms_median < 0;
        int w = failed ? snprintf(l->tuned + used, sizeof l->tuned - used, "%s%s=failed",
                                  used ? " " : "", res[i].name)
                       : snprintf(l->tuned + used, sizeof l->tuned - used, "%s%s=%.4fms%s",
                                  used ? " " : "", res[i].name, (double)res[i].ms_median,
                                  i == best ? "*" : "");
        if (w < 0 || (size_t)w >= sizeof l->tuned - used) break;
        used += (size_t)w;
    }
}

c8_status cu_tune_q8(cu_ctx *c, const c8_backend_engine *e, const c8_graph *g, const c8_node *n,
                     c8_layer *l, const c8_tune_options *opt, const c8_q8_bucket *bk,
                     c8_error *err) {
    (void)e;
    c8_conv2d_desc d;
    c8_int8_gemm_desc gd;
    c8_error de = {0};
    if (n->op == C8_OP_Q8_CONV) {
        if (conv_desc(g, n, &d, &de) != C8_OK) return C8_OK;
    } else {
        if (gemm_desc(g, n, &gd, &de) != C8_OK) return C8_OK;
        d = c8_cuda_int8_gemm_as_conv(&gd);
    }
    c8_int8_epilogue ep = ep_shape(g, n);
    c8_cuda_int8_ctx *i8;
    C8_TRY(cu_i8(c, &i8, err));
    int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
    int na = n->op == C8_OP_Q8_CONV ? c8_cuda_int8_conv_candidates(i8, &d, &ep, algos)
                                    : c8_cuda_int8_gemm_candidates(i8, &gd, &ep, algos);
    if (na < 1) {
        if (opt->verbose && opt->log)
            fprintf(opt->log, "cuda: %-40s no INT8 kernel: host fallback\n", l->name);
        return C8_OK;
    }
    c8_cuda_int8_timing res[C8_CUDA_INT8_ALGO_COUNT];
    c8_error te = {0};
    if (c8_cuda_int8_conv_time(i8, &d, &ep, algos, na, 2, 5, c->stream, res, &te) != C8_OK) {
        if (opt->verbose && opt->log)
            fprintf(opt->log, "cuda: %-40s not tuned: %s\n", l->name, te.msg);
        return C8_OK;
    }
    int best = c8_cuda_int8_timing_best(res, na);
    if (best < 0) return C8_OK;
    record_choice(l, bk, res, na, best);
    if (opt->verbose && opt->log) {
        fprintf(opt->log, "cuda: %-40s int8 n%lld c%lld %lldx%lld k%lld %lldx%lld:", l->name,
                (long long)d.n, (long long)d.c, (long long)d.h, (long long)d.w, (long long)d.k,
                (long long)d.r, (long long)d.s);
        for (int i = 0; i < na; i++) {
            if (res[i].status != C8_OK || res[i].ms_median < 0)
                fprintf(opt->log, " %s=failed", res[i].name);
            else
                fprintf(opt->log, " %s=%.4fms%s", res[i].name, (double)res[i].ms_median,
                        i == best ? "*" : "");
        }
        fprintf(opt->log, "\n");
    }
    return C8_OK;
}
