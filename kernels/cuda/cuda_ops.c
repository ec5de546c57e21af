/* The ops the CUDA backend runs with its own kernels (kernels/cuda/cu_kernels.cu): activations,
 * Clip, binary and variadic arithmetic with numpy broadcasting, PRelu, BatchNormalization,
 * Max/AveragePool (1-D, 2-D), the global pools, Softmax (both opset forms), LRN, Concat,
 * Transpose, Cast between float types, the data-movement ops (Flatten, Reshape, Squeeze,
 * Unsqueeze, Identity, Dropout) as device copies, and Slice, Pad, Gather, Split and
 * nearest-mode Resize / Upsample through index maps.
 *
 * Index maps: at prepare, the CPU reference of the op runs twice on the real shapes with the
 * data input replaced by bit patterns i + 1 and i + 2 (every other input is a constant); an
 * output element that reads input i holds i + 1 in the first run and i + 2 in the second, one
 * that the op fills (a pad value, an extrapolation value) holds the same value in both. The GPU
 * then gathers through that map, which reproduces the reference exactly for every attribute
 * form it implements. Anything else, or an op whose other inputs are computed at run time, runs
 * on the host (backend_cuda.c). */
#include "kernels/cuda/cuda_backend_int.h"

#include "ops/infer.h"
#include "ops/ops.h"
#include "util/shape.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/ref.h"
#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static c8_status host(cu_node *nd, const char *why) {
    nd->impl = CU_IMPL_HOST;
    nd->why = why;
    return C8_OK;
}

/* The view of t broadcast (numpy, right-aligned) to extents ys. */
static c8cu_view bview(const cu_tensor *t, const c8_shape *ys) {
    c8cu_view v0 = cu_view(t->data, &t->shape, t->fmt), v;
    memset(&v, 0, sizeof v);
    v.data = v0.data;
    v.type = v0.type;
    if (ys->rank <= 0) {
        v.rank = 1;
        v.dims[0] = 1;
        return v;
    }
    v.rank = ys->rank;
    const int off = ys->rank - (t->shape.rank > 0 ? t->shape.rank : 0);
    for (int d = 0; d < ys->rank; d++) {
        v.dims[d] = ys->d[d];
        const int k = d - off;
        v.strides[d] = (k < 0 || t->shape.d[k] == 1) ? 0 : v0.strides[k];
    }
    return v;
}

static c8cu_view tview(const cu_tensor *t) { return cu_view(t->data, &t->shape, t->fmt); }

static bool all_float(const c8_graph *g, const c8_node *n) {
    for (int k = 0; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->dtype != C8_DT_FLOAT) return false;
    }
    for (int k = 0; k < n->n_out; k++) {
        const c8_value *v = c8_node_output(g, n, k);
        if (v && v->dtype != C8_DT_FLOAT) return false;
    }
    return true;
}

/* FP16 layers read their float activations as binary16 (as the CPU rounds them), any layout. */
static cu_want f16_any(const c8_layer *l) {
    return cu_layer_fp16(l) ? (cu_want){C8CU_F16, -1, 0} : CU_WANT_ANY;
}

static void want_float_inputs(cu_node *nd, const c8_graph *g, const c8_node *n, const c8_layer *l) {
    for (int k = 0; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        nd->want_in[k] = (v && v->kind != C8_VAL_CONST) ? f16_any(l) : CU_WANT_ANY;
    }
}

/* ------------------------------------------------------------------ elementwise */

typedef struct ew_state {
    c8cu_ew_params p;
} ew_state;

static c8_status ew_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n, cu_tensor *in,
                        cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    ew_state *st = nd->op;
    const c8_shape *ys = &out[0].shape;
    c8cu_view y = tview(&out[0]);
    if (ys->rank == 0) y = bview(&out[0], ys);
    c8cu_view a = bview(&in[0], ys);
    const bool binary = c8cu_ew_is_binary(st->p.op);
    if (!binary || n->n_in == 1) {
        c8cu_ew_params p = st->p;
        if (binary) p.op = C8CU_EW_COPY; /* Sum / Max / Min of one input */
        return c8cu_eltwise(&p, &y, &a, NULL, NULL, c->stream, err);
    }
    c8cu_view b = bview(&in[1], ys);
    C8_TRY(c8cu_eltwise(&st->p, &y, &a, &b, NULL, c->stream, err));
    /* variadic: accumulate the remaining inputs into y in order, as the reference does */
    for (int k = 2; k < n->n_in; k++) {
        c8cu_view bk = bview(&in[k], ys);
        C8_TRY(c8cu_eltwise(&st->p, &y, &y, &bk, NULL, c->stream, err));
    }
    return C8_OK;
}

static c8_status prepare_ew(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            const c8_layer *l, c8_error *err) {
    (void)c;
    if (!all_float(g, n)) return host(nd, "elementwise op on non-float data");
    ew_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    nd->op_free = NULL;
    c8cu_ew_params *p = &st->p;
    switch (n->op) {
    case C8_OP_RELU: p->op = C8CU_EW_RELU; break;
    case C8_OP_LEAKY_RELU:
        p->op = C8CU_EW_LEAKY;
        p->alpha = c8_node_attr_f(n, "alpha", 0.01f);
        break;
    case C8_OP_SIGMOID: p->op = C8CU_EW_SIGMOID; break;
    case C8_OP_TANH: p->op = C8CU_EW_TANH; break;
    case C8_OP_HARD_SIGMOID:
        p->op = C8CU_EW_HSIGMOID;
        p->alpha = c8_node_attr_f(n, "alpha", 0.2f);
        p->beta = c8_node_attr_f(n, "beta", 0.5f);
        break;
    case C8_OP_HARD_SWISH: p->op = C8CU_EW_HSWISH; break;
    case C8_OP_CLIP:
        p->op = C8CU_EW_CLIP;
        if (g->opset < 11) {
            const c8_attr *amin = c8_node_attr(n, "min"), *amax = c8_node_attr(n, "max");
            p->has_lo = amin != NULL;
            p->has_hi = amax != NULL;
            p->lo = amin ? amin->f : -FLT_MAX;
            p->hi = amax ? amax->f : FLT_MAX;
        } else {
            for (int k = 1; k <= 2 && k < n->n_in; k++) {
                const c8_value *b = c8_node_input(g, n, k);
                if (!b) continue;
                if (b->kind != C8_VAL_CONST || c8_shape_numel(&b->shape) != 1)
                    return host(nd, "Clip bounds computed at run time");
                const float v = ((const float *)b->data)[0];
                if (k == 1) {
                    p->has_lo = 1;
                    p->lo = v;
                } else {
                    p->has_hi = 1;
                    p->hi = v;
                }
            }
        }
        break;
    case C8_OP_ADD: p->op = C8CU_EW_ADD; break;
    case C8_OP_SUB: p->op = C8CU_EW_SUB; break;
    case C8_OP_MUL: p->op = C8CU_EW_MUL; break;
    case C8_OP_DIV: p->op = C8CU_EW_DIV; break;
    case C8_OP_MAX: p->op = C8CU_EW_MAX; break;
    case C8_OP_MIN: p->op = C8CU_EW_MIN; break;
    case C8_OP_SUM: p->op = C8CU_EW_ADD; break;
    case C8_OP_PRELU: p->op = C8CU_EW_PRELU; break;
    case C8_OP_SQRT: p->op = C8CU_EW_SQRT; break;
    case C8_OP_RECIPROCAL: p->op = C8CU_EW_RECIPROCAL; break;
    case C8_OP_EXP: p->op = C8CU_EW_EXP; break;
    case C8_OP_LOG: p->op = C8CU_EW_LOG; break;
    case C8_OP_NEG: p->op = C8CU_EW_NEG; break;
    case C8_OP_ABS: p->op = C8CU_EW_ABS; break;
    case C8_OP_ERF: p->op = C8CU_EW_ERF; break;
    case C8_OP_GELU:
        p->op = strcmp(c8_node_attr_s(n, "approximate", "none"), "tanh") ? C8CU_EW_GELU
                                                                         : C8CU_EW_GELU_TANH;
        break;
    case C8_OP_POW: p->op = C8CU_EW_POW; break;
    default: return host(nd, "not an elementwise op");
    }
    want_float_inputs(nd, g, n, l);
    if (n->op == C8_OP_CLIP)
        for (int k = 1; k < n->n_in; k++) nd->want_in[k] = CU_WANT_ANY;
    nd->run = ew_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ BatchNormalization */

typedef struct bn_state {
    float *params; /* device (C, 4): mean, sqrtf(var + eps), scale, bias; NULL: not constant */
} bn_state;

static void bn_free(cu_ctx *c, void *p) {
    (void)c;
    bn_state *st = p;
    if (!st) return;
    if (st->params) cudaFree(st->params);
    free(st);
}

static c8_status bn_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n, cu_tensor *in,
                        cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    bn_state *st = nd->op;
    c8cu_view x = tview(&in[0]), y = tview(&out[0]);
    if (!st->params) {
        const float eps = c8_node_attr_f(n, "epsilon", 1e-5f);
        return c8cu_batchnorm(&y, &x, in[1].data, in[2].data, in[3].data, in[4].data, eps,
                              c->stream, err);
    }
    /* one elementwise pass in the output's memory order, per-channel parameters broadcast */
    c8cu_view p;
    memset(&p, 0, sizeof p);
    p.data = st->params;
    p.type = C8CU_F32;
    p.rank = y.rank;
    for (int d = 0; d < y.rank; d++) {
        p.dims[d] = y.dims[d];
        p.strides[d] = d == 1 ? 4 : 0;
    }
    c8cu_ew_params ep;
    memset(&ep, 0, sizeof ep);
    ep.op = C8CU_EW_BN;
    return c8cu_eltwise(&ep, &y, &x, &p, NULL, c->stream, err);
}

static c8_status prepare_bn(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            const c8_layer *l, c8_error *err) {
    if (!all_float(g, n)) return host(nd, "BatchNormalization on non-float data");
    for (int k = 1; k < n->n_out; k++)
        if (n->out[k] >= 0) return host(nd, "BatchNormalization with training outputs");
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->shape.rank < 2) return host(nd, "BatchNormalization of rank < 2");
    bn_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    nd->op_free = bn_free;
    bool consts = true;
    for (int k = 1; k < 5; k++) consts &= c8_node_input(g, n, k)->kind == C8_VAL_CONST;
    const int64_t C = x->shape.d[1];
    if (consts) {
        /* den = sqrtf(var + eps) exactly as c8_ref_batchnorm computes it (IEEE sqrt here and
         * there), so the GPU result stays bit-exact */
        const float eps = c8_node_attr_f(n, "epsilon", 1e-5f);
        const float *sc = c8_node_input(g, n, 1)->data, *bi = c8_node_input(g, n, 2)->data;
        const float *mu = c8_node_input(g, n, 3)->data, *va = c8_node_input(g, n, 4)->data;
        float *h = malloc((size_t)C * 4 * sizeof *h + 1);
        if (!h) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        for (int64_t k = 0; k < C; k++) {
            h[4 * k] = mu[k];
            h[4 * k + 1] = sqrtf(va[k] + eps);
            h[4 * k + 2] = sc[k];
            h[4 * k + 3] = bi[k];
        }
        c8_status s = C8_CUDA_CHECK(err, cu_malloc((void **)&st->params, (size_t)C * 16 + 16));
        if (s == C8_OK)
            s = C8_CUDA_CHECK(err, cudaMemcpyAsync(st->params, h, (size_t)C * 16,
                                                   cudaMemcpyHostToDevice, c->stream));
        if (s == C8_OK) s = C8_CUDA_CHECK(err, cudaStreamSynchronize(c->stream));
        free(h);
        C8_TRY(s);
    }
    nd->want_in[0] = f16_any(l);
    for (int k = 1; k < 5; k++) nd->want_in[k] = (cu_want){C8CU_F32, 0, 1};
    nd->run = bn_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ pools */

typedef struct pool_state {
    c8cu_pool2d d;
} pool_state;

/* 4-D view of a rank-3 (H = 1) or rank-4 operand. */
static c8cu_view view4(const cu_tensor *t) {
    c8_shape s4 = t->shape;
    if (s4.rank == 3) {
        s4.rank = 4;
        s4.d[3] = s4.d[2];
        s4.d[2] = 1;
    }
    return cu_view(t->data, &s4, t->fmt);
}

static c8_status pool_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    pool_state *st = nd->op;
    c8cu_view x = view4(&in[0]), y = view4(&out[0]);
    return c8cu_pool2d_run(&st->d, &y, &x, c->stream, err);
}

static c8_status prepare_pool(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                              const c8_layer *l, c8_error *err) {
    (void)c;
    if (!all_float(g, n)) return host(nd, "pooling on non-float data");
    if (n->n_out > 1 && n->out[1] >= 0) return host(nd, "MaxPool with an Indices output");
    const c8_value *x = c8_node_input(g, n, 0);
    const int64_t *ks;
    size_t nk = c8_node_attr_ints(n, "kernel_shape", &ks);
    if ((x->shape.rank != 3 && x->shape.rank != 4) || (int)nk != x->shape.rank - 2)
        return host(nd, "pooling over other than 1 or 2 axes");
    cu_win w;
    c8_error we = {0};
    if (cu_window(g, n, &x->shape, ks, c8_node_attr_i(n, "ceil_mode", 0) != 0, &w, &we) != C8_OK)
        return host(nd, "pool window geometry");
    const c8_value *y = c8_node_output(g, n, 0);
    if (w.out_w != y->shape.d[y->shape.rank - 1]) return host(nd, "pool geometry differs");
    pool_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    st->d = (c8cu_pool2d){w.kh,
                          w.kw,
                          w.sh,
                          w.sw,
                          w.dh,
                          w.dw,
                          w.pt,
                          w.pl,
                          w.pb,
                          w.pr,
                          n->op == C8_OP_MAXPOOL,
                          (int32_t)c8_node_attr_i(n, "count_include_pad", 0)};
    nd->want_in[0] = f16_any(l);
    nd->run = pool_run;
    return C8_OK;
}

static c8_status gpool_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                           cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)nd;
    (void)g;
    (void)res;
    c8cu_view x0 = tview(&in[0]), y0 = tview(&out[0]), x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    /* (N, C, S): the spatial axes are contiguous among themselves in every layout */
    const int r = in[0].shape.rank;
    x.data = x0.data;
    x.type = x0.type;
    x.rank = 3;
    x.dims[0] = x0.dims[0];
    x.dims[1] = x0.dims[1];
    x.dims[2] = c8_shape_span(&in[0].shape, 2, r);
    x.strides[0] = x0.strides[0];
    x.strides[1] = x0.strides[1];
    x.strides[2] = x0.strides[r - 1];
    y.data = y0.data;
    y.type = y0.type;
    y.rank = 2;
    y.dims[0] = y0.dims[0];
    y.dims[1] = y0.dims[1];
    y.strides[0] = y0.strides[0];
    y.strides[1] = y0.strides[1];
    return c8cu_global_pool(n->op == C8_OP_GLOBAL_MAXPOOL, &y, &x, c->stream, err);
}

static c8_status prepare_gpool(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                               const c8_layer *l, c8_error *err) {
    (void)c;
    (void)err;
    if (!all_float(g, n)) return host(nd, "pooling on non-float data");
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->shape.rank < 3) return host(nd, "global pool of rank < 3");
    nd->want_in[0] = f16_any(l);
    nd->run = gpool_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ Softmax, LRN */

typedef struct rows_state {
    int64_t outer, len, inner;
} rows_state;

static c8_status softmax_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                             cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    rows_state *st = nd->op;
    return c8cu_softmax(st->outer, st->len, st->inner, in[0].data, out[0].data, c->stream, err);
}

static c8_status prepare_softmax(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                                 const c8_layer *l, c8_error *err) {
    (void)c;
    if (!all_float(g, n)) return host(nd, "Softmax on non-float data");
    const c8_shape *xs = &c8_node_input(g, n, 0)->shape;
    if (xs->rank < 1) return host(nd, "Softmax of a scalar");
    const bool legacy = g->opset < 13;
    int ax;
    c8_error ae = {0};
    if (c8_axis_norm(c8_node_attr_i(n, "axis", legacy ? 1 : -1), xs->rank, &ax, &ae) != C8_OK)
        return host(nd, "Softmax axis");
    rows_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    st->outer = c8_shape_span(xs, 0, ax);
    st->len = legacy ? c8_shape_span(xs, ax, xs->rank) : xs->d[ax];
    st->inner = legacy ? 1 : c8_shape_span(xs, ax + 1, xs->rank);
    /* float32 in ONNX layout (FP16 layers: rounded to binary16 on the way in and out) */
    nd->want_in[0] = cu_layer_fp16(l) ? (cu_want){C8CU_F16, 0, 1} : (cu_want){C8CU_F32, 0, 1};
    if (cu_layer_fp16(l)) nd->want_in[0] = (cu_want){C8CU_F32, 0, 1};
    nd->want_out[0] = (cu_want){C8CU_F32, 0, 1};
    nd->run = softmax_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ reductions */

static c8_status reduce_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    const c8cu_reduce_geom *r = nd->op;
    if (r->op < 0) /* the identity (noop_with_empty_axes) */
        return C8_CUDA_CHECK(err, cudaMemcpyAsync(out[0].data, in[0].data,
                                                  (size_t)r->n_out * sizeof(float),
                                                  cudaMemcpyDeviceToDevice, c->stream));
    return c8cu_reduce(r, in[0].data, out[0].data, c->stream, err);
}

static c8_status prepare_reduce(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                                const c8_layer *l, c8_error *err) {
    (void)c;
    (void)l;
    const c8_value *x = c8_node_input(g, n, 0), *y = c8_node_output(g, n, 0);
    if (!x || !y || x->dtype != C8_DT_FLOAT || y->dtype != C8_DT_FLOAT)
        return host(nd, "reduction of non-float data");
    bool red[C8_MAX_RANK], noop = false;
    c8_error ae = {0};
    if (c8_reduce_axes(g, n, red, &noop, &ae) != C8_OK)
        return host(nd, "axes known only at run time");
    c8cu_reduce_geom *r = calloc(1, sizeof *r);
    if (!r) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = r;
    switch (n->op) {
    case C8_OP_REDUCE_MEAN: r->op = C8CU_RED_MEAN; break;
    case C8_OP_REDUCE_SUM: r->op = C8CU_RED_SUM; break;
    case C8_OP_REDUCE_SUM_SQUARE: r->op = C8CU_RED_SUM_SQUARE; break;
    case C8_OP_REDUCE_MAX: r->op = C8CU_RED_MAX; break;
    case C8_OP_REDUCE_MIN: r->op = C8CU_RED_MIN; break;
    default: r->op = C8CU_RED_L2; break;
    }
    const c8_shape *xs = &x->shape;
    int64_t stride = 1, str[C8_MAX_RANK];
    for (int k = xs->rank - 1; k >= 0; k--) {
        str[k] = stride;
        stride *= xs->d[k];
    }
    r->n_out = 1;
    r->count = 1;
    for (int k = 0; k < xs->rank; k++) {
        if (red[k] && !noop) {
            r->red_dims[r->red_rank] = xs->d[k];
            r->red_strides[r->red_rank++] = str[k];
            r->count *= xs->d[k];
        } else {
            r->out_dims[r->out_rank] = xs->d[k];
            r->out_strides[r->out_rank++] = str[k];
            r->n_out *= xs->d[k];
        }
    }
    if (noop) r->op = -1;
    /* float32, ONNX layout, dense */
    nd->want_in[0] = (cu_want){C8CU_F32, 0, 1};
    for (int k = 1; k < n->n_in; k++) nd->want_in[k] = CU_WANT_ANY;
    nd->want_out[0] = (cu_want){C8CU_F32, 0, 1};
    nd->run = reduce_run;
    return C8_OK;
}

static c8_status lrn_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n, cu_tensor *in,
                         cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    rows_state *st = nd->op;
    return c8cu_lrn(st->outer, st->len, st->inner, c8_node_attr_i(n, "size", 1),
                    c8_node_attr_f(n, "alpha", 1e-4f), c8_node_attr_f(n, "beta", 0.75f),
                    c8_node_attr_f(n, "bias", 1.0f), in[0].data, out[0].data, c->stream, err);
}

static c8_status prepare_lrn(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                             const c8_layer *l, c8_error *err) {
    (void)c;
    (void)l;
    if (!all_float(g, n)) return host(nd, "LRN on non-float data");
    const c8_shape *xs = &c8_node_input(g, n, 0)->shape;
    if (xs->rank < 2) return host(nd, "LRN of rank < 2");
    rows_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    st->outer = xs->d[0];
    st->len = xs->d[1];
    st->inner = c8_shape_span(xs, 2, xs->rank);
    nd->want_in[0] = (cu_want){C8CU_F32, 0, 1};
    nd->want_out[0] = (cu_want){C8CU_F32, 0, 1};
    nd->run = lrn_run;
    return C8_OK;
}

/* ------------------------------------------------------------------ Concat, Transpose, copies */

typedef struct axis_state {
    int axis;
    int perm[C8_MAX_RANK];
} axis_state;

static c8_status concat_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)res;
    axis_state *st = nd->op;
    c8cu_view y = tview(&out[0]);
    const size_t es = c8cu_type_size(y.type);
    int64_t at = 0;
    for (int k = 0; k < n->n_in; k++) {
        if (!in[k].data || c8_shape_numel(&in[k].shape) == 0) continue;
        c8cu_view x = tview(&in[k]), d = y;
        d.dims[st->axis] = in[k].shape.d[st->axis];
        d.data = (unsigned char *)y.data + es * (size_t)(at * y.strides[st->axis]);
        C8_TRY(c8cu_copy(&d, &x, c->stream, err));
        at += in[k].shape.d[st->axis];
    }
    return C8_OK;
}

static c8_status transpose_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                               cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    axis_state *st = nd->op;
    c8cu_view x = tview(&in[0]), y = tview(&out[0]), xp = x;
    for (int k = 0; k < out[0].shape.rank; k++) {
        xp.dims[k] = x.dims[st->perm[k]];
        xp.strides[k] = x.strides[st->perm[k]];
    }
    return c8cu_copy(&y, &xp, c->stream, err);
}

/* Reshape-like: the output holds input 0's elements in C order (output in ONNX layout). */
static c8_status copy_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)nd;
    (void)g;
    (void)n;
    (void)res;
    c8cu_view x = tview(&in[0]);
    cu_fmt of = out[0].fmt;
    of.cl = 0;
    c8cu_view y = cu_view(out[0].data, &in[0].shape, of);
    return c8cu_copy(&y, &x, c->stream, err);
}

static bool copy_types_ok(const c8_graph *g, const c8_node *n) {
    const c8_value *x = c8_node_input(g, n, 0), *y = c8_node_output(g, n, 0);
    if (!x || !y) return false;
    if (x->dtype == y->dtype) return true;
    const bool fx = x->dtype == C8_DT_FLOAT || x->dtype == C8_DT_FLOAT16;
    const bool fy = y->dtype == C8_DT_FLOAT || y->dtype == C8_DT_FLOAT16;
    return fx && fy;
}

static c8_status prepare_copyish(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                                 const c8_layer *l, c8_error *err) {
    (void)c;
    for (int k = 1; k < n->n_out; k++)
        if (n->out[k] >= 0) return host(nd, "second output (Dropout mask)");
    if (!copy_types_ok(g, n)) return host(nd, "Cast between non-float types");
    const c8_value *x = c8_node_input(g, n, 0);
    if (x->kind == C8_VAL_CONST) return host(nd, "constant input");
    switch (n->op) {
    case C8_OP_CONCAT: {
        for (int k = 0; k < n->n_in; k++) {
            const c8_value *v = c8_node_input(g, n, k);
            if (!v || v->dtype != x->dtype || v->shape.rank != x->shape.rank)
                return host(nd, "Concat inputs differ");
        }
        axis_state *st = calloc(1, sizeof *st);
        if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        nd->op = st;
        c8_error ae = {0};
        if (c8_axis_norm(c8_node_attr_i(n, "axis", 1), x->shape.rank, &st->axis, &ae) != C8_OK)
            return host(nd, "Concat axis");
        if (x->dtype == C8_DT_FLOAT)
            for (int k = 0; k < n->n_in; k++) nd->want_in[k] = f16_any(l);
        nd->run = concat_run;
        return C8_OK;
    }
    case C8_OP_TRANSPOSE: {
        axis_state *st = calloc(1, sizeof *st);
        if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        nd->op = st;
        const int64_t *perm;
        size_t np = c8_node_attr_ints(n, "perm", &perm);
        const int r = x->shape.rank;
        if (np && (int)np != r) return host(nd, "Transpose perm");
        for (int k = 0; k < r; k++) st->perm[k] = np ? (int)perm[k] : r - 1 - k;
        if (x->dtype == C8_DT_FLOAT) nd->want_in[0] = f16_any(l);
        nd->run = transpose_run;
        return C8_OK;
    }
    default:
        if (x->dtype == C8_DT_FLOAT) nd->want_in[0] = f16_any(l);
        for (int k = 1; k < n->n_in; k++) nd->want_in[k] = CU_WANT_ANY;
        nd->want_out[0] = (cu_want){-1, 0, 1};
        nd->run = copy_run;
        return C8_OK;
    }
}

/* ------------------------------------------------------------------ index maps */

typedef struct map_state {
    int n_out;
    int32_t *map[CU_MAX_IO]; /* device, per output */
    int64_t count[CU_MAX_IO];
    unsigned char fill[CU_MAX_IO][8]; /* fill element in the output's storage type */
} map_state;

static void map_free(cu_ctx *c, void *p) {
    (void)c;
    map_state *st = p;
    if (!st) return;
    for (int k = 0; k < st->n_out; k++)
        if (st->map[k]) cudaFree(st->map[k]);
    free(st);
}

static c8_status map_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n, cu_tensor *in,
                         cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    map_state *st = nd->op;
    for (int k = 0; k < st->n_out; k++) {
        if (!out[k].data || !st->map[k]) continue;
        C8_TRY(c8cu_gather_map(c8cu_type_size(out[k].fmt.type), st->count[k], st->map[k],
                               in[0].data, st->fill[k], out[k].data, c->stream, err));
    }
    return C8_OK;
}

/* Runs the reference of n with input 0 replaced by the pattern base + i (as 32-bit words). */
static c8_status probe_run(const c8_graph *g, const c8_node *n, uint32_t base, uint32_t **outs,
                           c8_error *err) {
    c8_host_tensor hin[CU_MAX_IO], hout[CU_MAX_IO];
    const c8_value *x = c8_node_input(g, n, 0);
    const int64_t cnt = c8_shape_numel(&x->shape);
    uint32_t *p = malloc((size_t)(cnt ? cnt : 1) * sizeof *p);
    if (!p) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < cnt; i++) p[i] = base + (uint32_t)i;
    for (int k = 0; k < n->n_in; k++) {
        memset(&hin[k], 0, sizeof hin[k]);
        const c8_value *v = c8_node_input(g, n, k);
        if (!v) continue;
        hin[k] = (c8_host_tensor){v->name, v->dtype, v->shape, k == 0 ? (void *)p : v->data};
    }
    c8_status s = C8_OK;
    for (int k = 0; k < n->n_out; k++) {
        memset(&hout[k], 0, sizeof hout[k]);
        outs[k] = NULL;
        const c8_value *v = c8_node_output(g, n, k);
        if (!v) continue;
        int64_t oc = c8_shape_numel(&v->shape);
        outs[k] = malloc((size_t)(oc ? oc : 1) * sizeof(uint32_t));
        if (!outs[k]) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        hout[k] = (c8_host_tensor){v->name, v->dtype, v->shape, outs[k]};
    }
    if (s == C8_OK) s = c8_node_run_ref(g, n, hin, hout, NULL, err);
    free(p);
    return s;
}

static c8_status prepare_map(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                             const c8_layer *l, c8_error *err) {
    (void)l;
    const c8_value *x = c8_node_input(g, n, 0);
    if (!x || x->kind == C8_VAL_CONST) return host(nd, "constant data input");
    if (x->dtype == C8_DT_INT8 && !cu_resize8_refusal(g, n))
        return cu_prepare_resize8(c, nd, g, n, err);
    if (c8_dtype_size(x->dtype) != 4) return host(nd, "index map needs 4-byte elements");
    for (int k = 1; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->kind != C8_VAL_CONST) return host(nd, "parameters computed at run time");
    }
    for (int k = 0; k < n->n_out; k++) {
        const c8_value *v = c8_node_output(g, n, k);
        if (v && v->dtype != x->dtype) return host(nd, "output dtype differs");
    }
    if (n->op == C8_OP_RESIZE || n->op == C8_OP_UPSAMPLE) {
        const char *mode = c8_node_attr_s(n, "mode", "nearest");
        if (strcmp(mode, "nearest") != 0) return host(nd, "Resize / Upsample in linear mode");
    }
    const int64_t cnt = c8_shape_numel(&x->shape);
    if (cnt < 0 || cnt > INT32_MAX - 4) return host(nd, "tensor too large for an index map");
    uint32_t *ya[CU_MAX_IO] = {0}, *yb[CU_MAX_IO] = {0};
    c8_error pe = {0};
    c8_status s = probe_run(g, n, 1u, ya, &pe);
    if (s == C8_OK) s = probe_run(g, n, 2u, yb, &pe);
    map_state *st = NULL;
    int32_t *map = NULL;
    const char *why = NULL;
    if (s != C8_OK) {
        why = "the reference refused the probe";
        s = C8_OK;
        goto done;
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    nd->op = st;
    nd->op_free = map_free;
    st->n_out = n->n_out;
    for (int k = 0; k < n->n_out && !why && s == C8_OK; k++) {
        const c8_value *v = c8_node_output(g, n, k);
        if (!v) continue;
        const int64_t oc = c8_shape_numel(&v->shape);
        free(map);
        map = malloc((size_t)(oc ? oc : 1) * sizeof *map);
        if (!map) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
        bool have_fill = false;
        uint32_t fill = 0;
        for (int64_t i = 0; i < oc && !why; i++) {
            const uint32_t a = ya[k][i], b = yb[k][i];
            if (b - a == 1u && a >= 1u && (int64_t)(a - 1u) < cnt) {
                map[i] = (int32_t)(a - 1u);
            } else if (a == b && (!have_fill || fill == a)) {
                have_fill = true;
                fill = a;
                map[i] = -1;
            } else {
                why = "the op does not only move elements";
            }
        }
        if (why) break;
        /* the fill value in the output's storage type */
        const cu_fmt of = c->plan.fmt[n->out[k]];
        float ff;
        memcpy(&ff, &fill, sizeof ff);
        if (of.type == C8CU_F16) {
            uint16_t h = c8_fp16_from_f32(ff);
            memcpy(st->fill[k], &h, sizeof h);
        } else {
            memcpy(st->fill[k], &fill, sizeof fill);
        }
        st->count[k] = oc;
        s = C8_CUDA_CHECK(err, cu_malloc((void **)&st->map[k], (size_t)(oc ? oc : 1) * 4));
        if (s == C8_OK && oc)
            s = C8_CUDA_CHECK(err, cudaMemcpyAsync(st->map[k], map, (size_t)oc * 4,
                                                   cudaMemcpyHostToDevice, c->stream));
        if (s == C8_OK) s = C8_CUDA_CHECK(err, cudaStreamSynchronize(c->stream));
    }
    if (s == C8_OK && !why) {
        /* input and outputs in ONNX layout, in the outputs' storage type */
        const int8_t t = c->plan.fmt[n->out[0]].type;
        nd->want_in[0] = (cu_want){t, 0, 1};
        for (int k = 1; k < n->n_in; k++) nd->want_in[k] = CU_WANT_ANY;
        for (int k = 0; k < n->n_out; k++) nd->want_out[k] = (cu_want){t, 0, 1};
        nd->run = map_run;
    }
done:
    free(map);
    for (int k = 0; k < CU_MAX_IO; k++) {
        free(ya[k]);
        free(yb[k]);
    }
    if (s == C8_OK && why) return host(nd, why);
    return s;
}

/* ------------------------------------------------------------------ dispatch */

c8_status cu_prepare_misc(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, c8_error *err) {
    switch (c8_op_info_of(n->op)->gpu) { /* the GPU column of ops/ops.def */
    case C8_GPU_EW: return prepare_ew(c, nd, g, n, l, err);
    case C8_GPU_BN: return prepare_bn(c, nd, g, n, l, err);
    case C8_GPU_POOL: return prepare_pool(c, nd, g, n, l, err);
    case C8_GPU_GPOOL: return prepare_gpool(c, nd, g, n, l, err);
    case C8_GPU_SOFTMAX: return prepare_softmax(c, nd, g, n, l, err);
    case C8_GPU_LRN: return prepare_lrn(c, nd, g, n, l, err);
    case C8_GPU_REDUCE: return prepare_reduce(c, nd, g, n, l, err);
    case C8_GPU_COPY: return prepare_copyish(c, nd, g, n, l, err);
    case C8_GPU_MAP: return prepare_map(c, nd, g, n, l, err);
    default: return host(nd, "no GPU kernel for this op");
    }
}
