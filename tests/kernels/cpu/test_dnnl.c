/* The oneDNN CPU backend (kernels/cpu/dnnl_backend.h) node by node against the reference kernels
 * (the oracle, ops' reference run of the same node): one-node graphs over shape sweeps with
 * channel counts off the vector widths (1, 3, 7, 31, 33), grouped and depthwise convolutions,
 * strides, asymmetric pads, dilations, 1-3 spatial axes, every fused activation and residuals.
 *   FP32 (Conv, Gemm): |dnnl - ref| <= C8_DNNL_FP32_RTOL * (sum |terms| + |bias| + |residual|)
 *     per element, the magnitude computed by the reference kernel on absolute values.
 *   INT8 (Q8Conv, Q8Gemm, int8 / float32 / float16 outputs): byte for byte.
 * Outputs carry guard bytes. The seed is printed with every failure. */
#include "c8test.h"

#include "calib8/quant.h"
#include "kernels/cpu/dnnl_backend.h"
#include "kernels/cpu/gemv_fast.h"
#include "kernels/cpu/eltwise_fast.h"
#include "kernels/cpu/layout_f32.h"
#include "kernels/ref/eltwise.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/ref.h"
#include "ops/geometry.h"
#include "ops/infer.h"
#include "ops/ops.h"
#include "kit/graph.h"

#include <math.h>

#define GUARD 64

static void *galloc(size_t bytes) {
    unsigned char *p = malloc(bytes + 2 * GUARD);
    memset(p, 0xa5, bytes + 2 * GUARD);
    return p + GUARD;
}
static int gfree(void *q, size_t bytes) { /* 1: guards intact */
    unsigned char *p = (unsigned char *)q - GUARD;
    int ok = 1;
    for (size_t i = 0; i < GUARD; i++) ok &= p[i] == 0xa5 && p[GUARD + bytes + i] == 0xa5;
    free(p);
    return ok;
}

static c8_host_tensor view(const c8_graph *g, int v, void *data) {
    c8_host_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = g->vals[v].dtype;
    t.shape = g->vals[v].shape;
    t.data = data;
    t.name = g->vals[v].name;
    return t;
}

static size_t bytes_of(const c8_graph *g, int v) {
    return (size_t)c8_shape_numel(&g->vals[v].shape) * c8_dtype_size(g->vals[v].dtype);
}

/* Runs node 0 of g (inputs: data[k] for k < n_in, constants from the graph; residual value res or
 * -1 with res_data) as layer l (NULL: no layer, i.e. FP32) with the reference backend (the
 * reference kernels; FP16 layers emulated by kernels/cpu/backend_cpu.c) and with the oneDNN
 * backend's node; *ref / *got receive the outputs (caller frees with free()). Returns false when
 * the oneDNN backend did not take the node (kernel NULL). */
/* The route of the last Q8 node run_both_l ran ("u8" / "f32", c8_dnnl_node_route). */
static const char *last_route;

static bool run_both_l(c8_dnnl_ctx *c, const c8_graph *g, const c8_layer *l, void **data,
                       const void *res_data, void **ref, void **got) {
    const c8_node *n = &g->nodes[0];
    c8_host_tensor in[8], out_r, out_d, res;
    for (int k = 0; k < n->n_in; k++) {
        if (n->in[k] < 0) {
            memset(&in[k], 0, sizeof in[k]);
            continue;
        }
        const c8_value *v = &g->vals[n->in[k]];
        in[k] = view(g, n->in[k], v->kind == C8_VAL_CONST ? v->data : data[k]);
    }
    int y = n->out[0];
    size_t yb = bytes_of(g, y);
    out_r = view(g, y, galloc(yb));
    out_d = view(g, y, galloc(yb));
    const c8_host_tensor *rp = NULL;
    if (n->fusion.residual >= 0) {
        res = view(g, n->fusion.residual, (void *)res_data);
        rp = &res;
    }
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_backend_cpu_run_node(NULL, NULL, g, n, l, in, &out_r, rp, &err),
                          C8_OK);
    c8_dnnl_node *s = NULL;
    c8_status st = c8_dnnl_prepare(c, g, n, l, &s, &err);
    if (st != C8_OK) printf("\n  prepare: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    if (!s) {
        gfree(out_r.data, yb);
        gfree(out_d.data, yb);
        return false;
    }
    st = c8_dnnl_run(c, s, g, n, in, &out_d, rp, &err);
    if (st != C8_OK) printf("\n  run: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    last_route = c8_dnnl_node_route(s);
    c8_dnnl_node_free(s);
    *ref = malloc(yb ? yb : 1);
    *got = malloc(yb ? yb : 1);
    memcpy(*ref, out_r.data, yb);
    memcpy(*got, out_d.data, yb);
    CU_ASSERT(gfree(out_r.data, yb));
    CU_ASSERT(gfree(out_d.data, yb));
    return true;
}

static bool run_both(c8_dnnl_ctx *c, const c8_graph *g, void **data, const void *res_data,
                     void **ref, void **got) {
    return run_both_l(c, g, NULL, data, res_data, ref, got);
}

static float *rand_floats(c8t_rng *r, int64_t n, float lo, float hi) {
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = c8t_uniform(r, lo, hi);
    return p;
}

/* Compares FP32 outputs against the tolerance; mag[i] = sum |terms| + |bias| (+ |residual|). */
static int check_fp32(const char *what, uint64_t seed, const float *ref, const float *got,
                      const float *mag, int64_t n) {
    double worst = 0;
    int64_t wi = -1;
    for (int64_t i = 0; i < n; i++) {
        if ((isnan(ref[i]) && isnan(got[i])) || ref[i] == got[i]) continue; /* NaN, +-Inf too */
        double d = fabs((double)ref[i] - (double)got[i]);
        double tol = C8_DNNL_FP32_RTOL * ((double)mag[i] + 1e-30);
        if (!(d <= tol) && (wi < 0 || d / tol > worst)) {
            worst = d / tol;
            wi = i;
        }
    }
    if (wi >= 0)
        printf("\n  %s (seed %llu): element %lld: ref %.9g, dnnl %.9g, bound %.3g (%.1fx)\n", what,
               (unsigned long long)seed, (long long)wi, (double)ref[wi], (double)got[wi],
               C8_DNNL_FP32_RTOL * (double)mag[wi], worst);
    return wi < 0;
}

static const c8_act k_acts[] = {C8_ACT_NONE,       C8_ACT_RELU,    C8_ACT_CLIP,
                                C8_ACT_LEAKY_RELU, C8_ACT_SIGMOID, C8_ACT_HARDSWISH};

/* ---------------------------------------------------------------- FP32 Conv */

typedef struct conv_case {
    int nsp;
    int64_t n, c, k, group, in, kern, stride, dil, pb, pe;
} conv_case;

static c8_layer fp16_layer(void) {
    c8_layer l;
    memset(&l, 0, sizeof l);
    l.precision = C8_LAYER_PREC_FP16;
    l.role = C8_LAYER_COMPUTE;
    return l;
}

/* FP16 layers (emulated): every output a binary16 value; each within the FP32 tolerance plus one
 * binary16 step of the reference's (the float32 sums may straddle a rounding boundary), and at
 * least 90% of them equal (a missing input rounding shows as widespread one-step differences). */
static int check_fp16(const char *what, uint64_t seed, const float *ref, const float *got,
                      const float *mag, int64_t n) {
    int64_t equal = 0, bad = -1;
    for (int64_t i = 0; i < n; i++) {
        if (!isnan(got[i]) && c8_fp16_round(got[i]) != got[i]) bad = i;
        if ((isnan(ref[i]) && isnan(got[i])) || ref[i] == got[i]) {
            equal++;
            continue;
        }
        int e;
        frexpf(ref[i], &e);
        double step = ldexp(1.0, (e - 11 < -24 ? -24 : e - 11));
        double d = fabs((double)ref[i] - (double)got[i]);
        if (!(d <= C8_DNNL_FP32_RTOL * (double)mag[i] + step)) bad = i;
    }
    if (bad >= 0)
        printf("\n  %s fp16 (seed %llu): element %lld: ref %.9g, dnnl %.9g\n", what,
               (unsigned long long)seed, (long long)bad, (double)ref[bad], (double)got[bad]);
    if (equal < n * 9 / 10)
        printf("\n  %s fp16 (seed %llu): only %lld of %lld equal\n", what, (unsigned long long)seed,
               (long long)equal, (long long)n);
    return bad < 0 && equal >= n * 9 / 10;
}

/* A Conv / ConvTranspose node's group, strides, dilations and pads, the same on every axis. */
static void window_attrs(c8_graph *g, int node, int nsp, int64_t group, int64_t stride, int64_t dil,
                         int64_t pb, int64_t pe) {
    int64_t v[6];
    pu_attr_i(g, node, "group", group);
    for (int i = 0; i < nsp; i++) v[i] = stride;
    pu_attr_ints(g, node, "strides", nsp, v);
    for (int i = 0; i < nsp; i++) v[i] = dil;
    pu_attr_ints(g, node, "dilations", nsp, v);
    for (int i = 0; i < nsp; i++) v[i] = pb, v[nsp + i] = pe;
    pu_attr_ints(g, node, "pads", 2 * nsp, v);
}

/* |v[i]| for i < n, a new array (the magnitudes the FP32 tolerance is relative to). */
static float *abs_of(const float *v, int64_t n) {
    float *a = malloc((size_t)(n > 0 ? n : 1) * sizeof *a);
    for (int64_t i = 0; i < n; i++) a[i] = fabsf(v[i]);
    return a;
}

static void fp32_conv_case(c8_dnnl_ctx *ctx, const conv_case *cc, int variant, uint64_t seed,
                           bool fp16) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->k, cc->c / cc->group};
    for (int i = 0; i < cc->nsp; i++) {
        xd[2 + i] = cc->in + i; /* non-square */
        wd[2 + i] = cc->kern;
    }
    int x = pu_val_in(g, "x", C8_DT_FLOAT, pu_shape(cc->nsp + 2, xd));
    int w = pu_const(g, "w", pu_shape(cc->nsp + 2, wd), &r, -1, 1);
    bool has_b = variant % 2 == 0;
    int b = has_b ? pu_const(g, "b", pu_shp(1, cc->k), &r, -1, 1) : -1;
    int node =
        pu_node(g, "conv", "Conv", (int[]){x, w, b}, has_b ? 3 : 2, (const char *[]){"y"}, 1, NULL);
    window_attrs(g, node, cc->nsp, cc->group, cc->stride, cc->dil, cc->pb, cc->pe);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
    c8_node *nd = &g->nodes[0];
    int y = nd->out[0];
    int64_t ny = c8_shape_numel(&g->vals[y].shape);
    nd->fusion.act = k_acts[variant % 6];
    nd->fusion.act_a = nd->fusion.act == C8_ACT_CLIP ? -0.5f : 0.1f;
    nd->fusion.act_b = 0.7f;
    float *res = NULL;
    if (variant % 3 == 1) {
        nd->fusion.residual =
            c8_graph_add_value(g, "res", C8_VAL_INPUT, C8_DT_FLOAT, &g->vals[y].shape);
        nd = &g->nodes[0];
        res = rand_floats(&r, ny, -2, 2);
    } else {
        nd->fusion.residual = -1;
    }
    int64_t nx = c8_shape_numel(&g->vals[x].shape);
    float *xv = rand_floats(&r, nx, -1, 1);
    if (variant >= 6) /* non-finite inputs: NaN and +-Inf must come out where the reference's do */
        for (int64_t i = 0; i < nx; i += 7) xv[i] = i % 3 ? (i % 2 ? INFINITY : -INFINITY) : NAN;
    void *data[3] = {xv, NULL, NULL}, *ref = NULL, *got = NULL;
    c8_layer l16 = fp16_layer();
    CU_ASSERT_FATAL(run_both_l(ctx, g, fp16 ? &l16 : NULL, data, res, &ref, &got));
    /* the magnitude: the reference convolution of |x|, |w|, |b|, plus |residual| */
    c8_conv_desc d;
    CU_ASSERT_EQUAL_FATAL(c8_op_conv_desc(g, nd, &d, &err), C8_OK);
    float *ax = abs_of(xv, nx), *aw = abs_of(g->vals[w].data, c8_shape_numel(&g->vals[w].shape));
    float *ab = has_b ? abs_of(g->vals[b].data, cc->k) : NULL;
    float *mag = malloc((size_t)ny * 4);
    c8_ref_conv(&d, ax, aw, ab, mag);
    for (int64_t i = 0; res && i < ny; i++) mag[i] += fabsf(res[i]);
    char what[160];
    snprintf(what, sizeof what,
             "conv %dd n%lld c%lld k%lld g%lld in%lld k%lld s%lld d%lld p%lld/%lld v%d", cc->nsp,
             (long long)cc->n, (long long)cc->c, (long long)cc->k, (long long)cc->group,
             (long long)cc->in, (long long)cc->kern, (long long)cc->stride, (long long)cc->dil,
             (long long)cc->pb, (long long)cc->pe, variant);
    CU_ASSERT(fp16 ? check_fp16(what, seed, ref, got, mag, ny)
                   : check_fp32(what, seed, ref, got, mag, ny));
    free(ax), free(aw), free(ab), free(mag), free(xv), free(res), free(ref), free(got);
    c8_graph_destroy(g);
}

static void test_fp32_conv(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const conv_case cases[] = {
        {2, 1, 1, 1, 1, 7, 3, 1, 1, 1, 1},    {2, 2, 3, 7, 1, 9, 3, 2, 1, 1, 0},
        {2, 1, 31, 33, 1, 8, 3, 1, 2, 2, 1},  {2, 3, 32, 32, 32, 7, 3, 1, 1, 1, 1},
        {2, 1, 33, 66, 33, 9, 5, 2, 1, 2, 2}, {2, 2, 12, 18, 3, 6, 1, 1, 1, 0, 0},
        {2, 1, 7, 127, 1, 5, 1, 1, 1, 0, 0},  {2, 1, 129, 3, 1, 4, 3, 3, 1, 1, 2},
        {1, 2, 5, 7, 1, 33, 3, 2, 2, 1, 0},   {1, 1, 4, 4, 4, 16, 5, 1, 1, 2, 2},
        {3, 1, 3, 5, 1, 6, 3, 1, 1, 1, 1},    {3, 2, 4, 6, 2, 5, 2, 2, 1, 0, 1},
        {2, 1, 64, 64, 1, 14, 3, 1, 1, 1, 1}, {2, 4, 16, 16, 16, 28, 3, 2, 1, 1, 1},
    };
    int i = 0;
    /* variants 6..9: non-finite inputs with each activation */
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int variant = 0; variant < 10; variant++)
            fp32_conv_case(ctx, &cases[ci], variant, 1000 + (uint64_t)i++, false);
    /* FP16 layers: every other case, each variant */
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci += 2)
        for (int variant = 0; variant < 10; variant++)
            fp32_conv_case(ctx, &cases[ci], variant, 1500 + (uint64_t)i++, true);
    c8_dnnl_ctx_destroy(ctx);
}

/* ---------------------------------------------------------------- FP32 Gemm */

static void fp32_gemm_case(c8_dnnl_ctx *ctx, int64_t M, int64_t N, int64_t K, int variant,
                           uint64_t seed, bool fp16) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    bool tb = variant % 2, has_c = variant % 3 != 2, c_row = variant % 4 == 1;
    int a = pu_val_in(g, "a", C8_DT_FLOAT, pu_shp(2, M, K));
    int b = pu_const(g, "b", tb ? pu_shp(2, N, K) : pu_shp(2, K, N), &r, -1, 1);
    int c =
        has_c ? pu_const(g, "c", c_row ? pu_shp(2, (int64_t)1, N) : pu_shp(1, N), &r, -1, 1) : -1;
    int node =
        pu_node(g, "fc", "Gemm", (int[]){a, b, c}, has_c ? 3 : 2, (const char *[]){"y"}, 1, NULL);
    pu_attr_i(g, node, "transB", tb);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
    c8_node *nd = &g->nodes[0];
    int y = nd->out[0];
    nd->fusion.act = k_acts[variant % 6];
    nd->fusion.act_a = nd->fusion.act == C8_ACT_CLIP ? -0.5f : 0.1f;
    nd->fusion.act_b = 0.7f;
    nd->fusion.residual = -1;
    float *res = NULL;
    if (variant % 3 == 0) {
        nd->fusion.residual =
            c8_graph_add_value(g, "res", C8_VAL_INPUT, C8_DT_FLOAT, &g->vals[y].shape);
        nd = &g->nodes[0];
        res = rand_floats(&r, M * N, -2, 2);
    }
    float *av = rand_floats(&r, M * K, -1, 1);
    void *data[3] = {av, NULL, NULL}, *ref = NULL, *got = NULL;
    c8_layer l16 = fp16_layer();
    CU_ASSERT_FATAL(run_both_l(ctx, g, fp16 ? &l16 : NULL, data, res, &ref, &got));
    float *mag = calloc((size_t)(M * N), 4);
    const float *bv = g->vals[b].data, *cv = has_c ? g->vals[c].data : NULL;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t kk = 0; kk < K; kk++)
                s += fabs((double)av[i * K + kk] * (double)bv[tb ? j * K + kk : kk * N + j]);
            if (cv) s += fabs((double)cv[j]);
            if (res) s += fabs((double)res[i * N + j]);
            mag[i * N + j] = (float)s;
        }
    char what[96];
    snprintf(what, sizeof what, "gemm M%lld N%lld K%lld v%d", (long long)M, (long long)N,
             (long long)K, variant);
    CU_ASSERT(fp16 ? check_fp16(what, seed, ref, got, mag, M * N)
                   : check_fp32(what, seed, ref, got, mag, M * N));
    free(mag), free(av), free(res), free(ref), free(got);
    c8_graph_destroy(g);
}

/* ConvTranspose (FP32) on oneDNN's deconvolution against the reference, within the FP32
 * tolerance of the magnitude (the reference transposed convolution of |x|, |w|, |b|): 1-3
 * spatial axes, stride 1-3, dilation, pads, output_padding up to the end padding, groups; and an
 * output_padding past the end padding (oneDNN would need a negative padding), which the
 * reference must run. */
typedef struct convt_case {
    int nsp;
    int64_t n, c, k, group, in, kern, stride, dil, pb, pe, opad;
} convt_case;

static void convt_case_run(c8_dnnl_ctx *ctx, const convt_case *cc, bool has_b, uint64_t seed,
                           bool expect_dnnl) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->c, cc->k / cc->group};
    for (int i = 0; i < cc->nsp; i++) {
        xd[2 + i] = cc->in + i;
        wd[2 + i] = cc->kern;
    }
    int x = pu_val_in(g, "x", C8_DT_FLOAT, pu_shape(cc->nsp + 2, xd));
    int w = pu_const(g, "w", pu_shape(cc->nsp + 2, wd), &r, -1, 1);
    int b = has_b ? pu_const(g, "b", pu_shp(1, cc->k), &r, -1, 1) : -1;
    int node = pu_node(g, "deconv", "ConvTranspose", (int[]){x, w, b}, has_b ? 3 : 2,
                       (const char *[]){"y"}, 1, NULL);
    window_attrs(g, node, cc->nsp, cc->group, cc->stride, cc->dil, cc->pb, cc->pe);
    int64_t v[3];
    for (int i = 0; i < cc->nsp; i++) v[i] = cc->opad;
    pu_attr_ints(g, node, "output_padding", cc->nsp, v);
    c8_error err = {0};
    c8_status st = pu_finish(g, false, &err);
    if (st != C8_OK) printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    const char *why = NULL, *k = c8_dnnl_kernel(g, &g->nodes[0], NULL, &why);
    /* kernel == stride, no padding or dilation: calib8's own (deconv_fast.h), the reference's
     * bits */
    const bool ks = cc->nsp == 2 && cc->kern == cc->stride && cc->dil == 1 && cc->pb == 0 &&
                    cc->pe == 0 && cc->opad == 0;
    if (expect_dnnl) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(k);
        CU_ASSERT_STRING_EQUAL(k, ks ? "cpu:deconv" : "dnnl:deconv f32");
    }
    if (!expect_dnnl) { /* the layer table says why the reference runs it */
        CU_ASSERT_PTR_NULL(k);
        CU_ASSERT(why && strstr(why, "output_padding"));
    }
    c8_dnnl_node *s = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_prepare(ctx, g, &g->nodes[0], NULL, &s, &err), C8_OK);
    CU_ASSERT_EQUAL(s != NULL, expect_dnnl); /* NULL: the reference runs it */
    c8_dnnl_node_free(s);
    int y = g->nodes[0].out[0];
    int64_t nx = c8_shape_numel(&g->vals[x].shape), ny = c8_shape_numel(&g->vals[y].shape);
    float *xv = rand_floats(&r, nx, -1, 1);
    void *data[3] = {xv, NULL, NULL}, *ref = NULL, *got = NULL;
    if (!expect_dnnl) {
        CU_ASSERT_FALSE(run_both(ctx, g, data, NULL, &ref, &got));
        free(xv);
        c8_graph_destroy(g);
        return;
    }
    CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
    c8_conv_desc d;
    CU_ASSERT_EQUAL_FATAL(c8_op_conv_transpose_desc(g, &g->nodes[0], &d, &err), C8_OK);
    float *ax = abs_of(xv, nx), *aw = abs_of(g->vals[w].data, c8_shape_numel(&g->vals[w].shape));
    float *ab = has_b ? abs_of(g->vals[b].data, cc->k) : NULL;
    float *mag = malloc((size_t)ny * 4);
    c8_ref_conv_transpose(&d, ax, aw, ab, mag);
    char what[160];
    snprintf(what, sizeof what,
             "convtranspose %dd n%lld c%lld k%lld g%lld in%lld k%lld s%lld d%lld p%lld/%lld op%lld",
             cc->nsp, (long long)cc->n, (long long)cc->c, (long long)cc->k, (long long)cc->group,
             (long long)cc->in, (long long)cc->kern, (long long)cc->stride, (long long)cc->dil,
             (long long)cc->pb, (long long)cc->pe, (long long)cc->opad);
    CU_ASSERT(check_fp32(what, seed, ref, got, mag, ny));
    if (ks) {
        int64_t bad = 0;
        for (int64_t i = 0; i < ny; i++) bad += memcmp((float *)ref + i, (float *)got + i, 4) != 0;
        if (bad) printf("\n  %s: %lld outputs not the reference's bits", what, (long long)bad);
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(ax), free(aw), free(ab), free(mag), free(xv), free(ref), free(got);
    c8_graph_destroy(g);
}

static void test_fp32_convtranspose(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const convt_case cases[] = {
        {2, 2, 8, 16, 1, 5, 2, 2, 1, 0, 0, 0}, /* the detector's 2x2 / stride 2 upsampling */
        {2, 1, 3, 5, 1, 7, 3, 2, 1, 1, 1, 1},
        {2, 2, 6, 4, 2, 6, 3, 1, 1, 1, 1, 0},
        {2, 1, 4, 4, 4, 5, 4, 2, 1, 1, 1, 0},
        {2, 1, 5, 3, 1, 6, 3, 3, 2, 2, 2, 2},
        {1, 2, 3, 7, 1, 9, 3, 2, 1, 1, 1, 1},
        {3, 1, 2, 3, 1, 4, 2, 2, 1, 0, 1, 1},
        /* kernel == stride on calib8's own kernel: the detector's 24 -> 1, 3x3 / 3, groups */
        {2, 2, 24, 1, 1, 13, 2, 2, 1, 0, 0, 0},
        {2, 1, 5, 7, 1, 9, 3, 3, 1, 0, 0, 0},
        {2, 2, 16, 8, 2, 11, 2, 2, 1, 0, 0, 0},
        /* its register blocks (4 channels; 3; 2 x 2 column blocks; 1 channel x 4 column blocks)
         * and their edges: rows of 35-41 columns */
        {2, 1, 24, 24, 1, 40, 2, 2, 1, 0, 0, 0},
        {2, 1, 8, 7, 1, 35, 2, 2, 1, 0, 0, 0},
        {2, 1, 6, 6, 3, 17, 2, 2, 1, 0, 0, 0},
        {2, 1, 24, 1, 1, 37, 2, 2, 1, 0, 0, 0},
    };
    int i = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int hb = 0; hb < 2; hb++)
            convt_case_run(ctx, &cases[ci], hb, 7000 + (uint64_t)i++, true);
    /* output_padding 2 with no end padding, stride 3: the end padding oneDNN needs is -2 */
    static const convt_case crop = {2, 1, 2, 3, 1, 5, 3, 3, 1, 0, 0, 2};
    convt_case_run(ctx, &crop, true, 7100, false);
    c8_dnnl_ctx_destroy(ctx);
}

static int same_bytes(const char *what, uint64_t seed, const void *a, const void *b, size_t n);

/* Resize (FP32) as nearest upsampling by whole factors (resize_fast.h): the detector's form
 * (nearest, asymmetric, floor; x2, x4, x8), x3 by x2, Resize-10's simple rounding, odd widths
 * around the 8-wide AVX2 step; bit for bit the reference's. Other modes (half_pixel,
 * round_prefer_floor) stay on the reference; a fractional scale runs the reference's loop. */
static void test_resize(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const struct {
        int64_t n, c, h, w;
        float sh, sw;
        const char *coord, *nearest;
        bool fast;
    } cases[] = {
        {1, 3, 5, 9, 2, 2, "asymmetric", "floor", true},
        {2, 4, 4, 20, 4, 4, "asymmetric", "floor", true},
        {1, 2, 3, 7, 8, 8, "asymmetric", "floor", true},
        {1, 1, 6, 17, 3, 2, "asymmetric", "floor", true},
        {1, 2, 5, 16, 2, 1, "asymmetric", "floor", true},
        {1, 2, 4, 6, 2, 2, "half_pixel", "floor", false},
        {1, 2, 4, 6, 2, 2, "asymmetric", "round_prefer_floor", false},
        {1, 2, 4, 6, 1.5f, 2, "asymmetric", "floor", true}, /* taken, the reference's loop */
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        c8t_rng r = {8000 + ci};
        c8_graph *g = pu_graph(13);
        int x = pu_val_in(g, "x", C8_DT_FLOAT,
                          pu_shp(4, cases[ci].n, cases[ci].c, cases[ci].h, cases[ci].w));
        float sc[4] = {1, 1, cases[ci].sh, cases[ci].sw};
        int scales = pu_const_vals(g, "scales", pu_shp(1, (int64_t)4), C8_DT_FLOAT, sc);
        int node = pu_node(g, "resize", "Resize", (int[]){x, -1, scales}, 3, (const char *[]){"y"},
                           1, NULL);
        pu_attr_s(g, node, "mode", "nearest");
        pu_attr_s(g, node, "coordinate_transformation_mode", cases[ci].coord);
        pu_attr_s(g, node, "nearest_mode", cases[ci].nearest);
        c8_status st = pu_finish(g, false, &err);
        if (st != C8_OK) printf("\n  %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(st, C8_OK);
        const char *why = NULL, *k = c8_dnnl_kernel(g, &g->nodes[0], NULL, &why);
        CU_ASSERT_EQUAL(k != NULL, cases[ci].fast);
        if (k) CU_ASSERT_STRING_EQUAL(k, "cpu:resize");
        int64_t nx = c8_shape_numel(&g->vals[x].shape);
        int64_t ny = c8_shape_numel(&g->vals[g->nodes[0].out[0]].shape);
        float *xv = rand_floats(&r, nx, -3, 3);
        void *data[3] = {xv, NULL, NULL}, *ref = NULL, *got = NULL;
        if (cases[ci].fast) {
            CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
            CU_ASSERT(same_bytes("resize", 8000 + ci, ref, got, (size_t)ny * sizeof(float)));
        }
        free(xv), free(ref), free(got);
        c8_graph_destroy(g);
    }
    c8_dnnl_ctx_destroy(ctx);
}

/* MatMul (FP32) of an activation by a constant 2-D weight on oneDNN's matmul (A's leading axes as
 * rows: the recognizer's classifier, (1, 40, 480) x (480, 6625)), within the FP32 tolerance of
 * the magnitude; a weight of rank 3 and a vector A stay on the reference. */
static void test_fp32_matmul(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const int64_t shapes[][5] = {/* rank of A, A's leading extents (up to 3), K, N */
                                        {2, 7, 0, 33, 5},
                                        {3, 1, 40, 48, 130},
                                        {4, 2, 3, 31, 17},
                                        {3, 2, 5, 1, 1},
                                        {2, 64, 0, 129, 64}};
    for (size_t ci = 0; ci < sizeof shapes / sizeof shapes[0]; ci++) {
        const uint64_t seed = 2600 + ci;
        c8t_rng r = {seed};
        const int rank = (int)shapes[ci][0];
        const int64_t K = shapes[ci][3], N = shapes[ci][4];
        c8_shape as = {0};
        as.rank = rank;
        for (int i = 0; i < rank - 1; i++) as.d[i] = shapes[ci][1 + i];
        as.d[rank - 1] = K;
        const int64_t M = c8_shape_numel(&as) / K;
        c8_graph *g = pu_graph(13);
        int a = pu_val_in(g, "a", C8_DT_FLOAT, as);
        int b = pu_const(g, "b", pu_shp(2, K, N), &r, -1, 1);
        pu_node(g, "mm", "MatMul", (int[]){a, b}, 2, (const char *[]){"y"}, 1, NULL);
        CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "dnnl:matmul f32");
        float *av = rand_floats(&r, M * K, -1, 1);
        void *data[2] = {av, NULL}, *ref = NULL, *got = NULL;
        CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
        float *mag = calloc((size_t)(M * N), 4);
        const float *bv = g->vals[b].data;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double sum = 0;
                for (int64_t k = 0; k < K; k++) sum += fabs((double)av[i * K + k] * bv[k * N + j]);
                mag[i * N + j] = (float)sum;
            }
        CU_ASSERT(check_fp32("matmul", seed, ref, got, mag, M * N));
        free(mag), free(av), free(ref), free(got);
        c8_graph_destroy(g);
    }
    /* a batched weight and a vector A: the reference */
    c8_graph *g = pu_graph(13);
    c8t_rng r = {2699};
    int a = pu_val_in(g, "a", C8_DT_FLOAT, pu_shp(3, (int64_t)2, (int64_t)3, (int64_t)4));
    int b = pu_const(g, "b", pu_shp(3, (int64_t)2, (int64_t)4, (int64_t)5), &r, -1, 1);
    pu_node(g, "mm", "MatMul", (int[]){a, b}, 2, (const char *[]){"y"}, 1, NULL);
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
    const char *why = NULL;
    CU_ASSERT_PTR_NULL(c8_dnnl_kernel(g, &g->nodes[0], NULL, &why));
    CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "rank"));
    c8_graph_destroy(g);
    c8_dnnl_ctx_destroy(ctx);
}

static void test_fp32_gemm(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    /* up to C8_CPU_GEMV_MAX_M rows: calib8's own product (gemv_fast.h), K with and without a
     * tail of 8 */
    static const int64_t s[][3] = {{1, 1, 1},     {1, 10, 128}, {3, 7, 31},     {64, 10, 33},
                                   {7, 33, 129},  {31, 127, 3}, {64, 128, 784}, {1, 128, 3136},
                                   {2, 37, 3139}, {4, 19, 100}};
    int i = 0;
    for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        for (int variant = 0; variant < 8; variant++)
            fp32_gemm_case(ctx, s[k][0], s[k][1], s[k][2], variant, 2000 + (uint64_t)i++,
                           variant >= 4); /* variants 4..7: an FP16 layer */
    c8_dnnl_ctx_destroy(ctx);
}

/* Node 0 of g prepared and run on 1, 2 and 3 threads: the same bits each time. in: its inputs. */
static void same_on_threads(const char *what, const c8_graph *g, const c8_host_tensor *in) {
    const c8_node *n = &g->nodes[0];
    const size_t yb = bytes_of(g, n->out[0]);
    void *y[3];
    c8_error err = {0};
    for (int t = 0; t < 3; t++) {
        c8_dnnl_ctx *ctx = NULL;
        CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
        c8_dnnl_ctx_set_threads(ctx, t + 1);
        c8_dnnl_thread_scope sc = c8_dnnl_threads_enter(t + 1);
        c8_dnnl_node *s = NULL;
        CU_ASSERT_EQUAL_FATAL(c8_dnnl_prepare(ctx, g, n, NULL, &s, &err), C8_OK);
        CU_ASSERT_FATAL(s != NULL);
        y[t] = calloc(yb, 1);
        c8_host_tensor out = view(g, n->out[0], y[t]);
        CU_ASSERT_EQUAL(c8_dnnl_run(ctx, s, g, n, in, &out, NULL, &err), C8_OK);
        c8_dnnl_threads_leave(sc);
        c8_dnnl_node_free(s);
        c8_dnnl_ctx_destroy(ctx);
    }
    for (int t = 1; t < 3; t++)
        if (memcmp(y[0], y[t], yb)) {
            printf("\n  %s: %d threads differ from 1", what, t + 1);
            CU_FAIL("thread-count dependent result");
        }
    free(y[0]), free(y[1]), free(y[2]);
}

/* FP32 products give the same bits on 1, 2 and 3 threads (docs/cli.md, "Threads"): a Gemm of
 * few rows (gemv_fast.h: whole output columns per thread, fixed-order dot products), a Gemm of
 * many and a MatMul by a constant (oneDNN's sgemm, made and run on one thread: on this AVX-512
 * VM oneDNN 2.6's matmul kept these bits on any thread count even when let thread; the AVX2 VM's
 * sgemm did not, docs/cli.md). */
static void test_fp32_products_threads(void) {
    c8t_rng r = {0x6E3};
    const int64_t ms[] = {1, 2, 3, 4, 999};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        const int64_t M = ms[i], N = M > 4 ? 10 : 45, K = M > 4 ? 128 : 3139;
        c8_graph *g = pu_graph(13);
        int a = pu_val_in(g, "a", C8_DT_FLOAT, pu_shp(2, M, K));
        int b = pu_const(g, "b", pu_shp(2, K, N), &r, -1, 1);
        int c = pu_const(g, "c", pu_shp(1, N), &r, -1, 1);
        pu_node(g, "fc", "Gemm", (int[]){a, b, c}, 3, (const char *[]){"y"}, 1, NULL);
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
        float *av = rand_floats(&r, M * K, -1, 1);
        c8_host_tensor in[3] = {view(g, a, av), view(g, b, g->vals[b].data),
                                view(g, c, g->vals[c].data)};
        char what[32];
        snprintf(what, sizeof what, "gemm M%lld", (long long)M);
        same_on_threads(what, g, in);
        free(av);
        c8_graph_destroy(g);
    }
    /* the recognizer's kind of MatMul: (1, T, K) x (K, N) */
    c8_graph *g = pu_graph(13);
    int a = pu_val_in(g, "a", C8_DT_FLOAT, pu_shp(3, (int64_t)8, (int64_t)120, (int64_t)480));
    int b = pu_const(g, "b", pu_shp(2, (int64_t)480, (int64_t)333), &r, -1, 1);
    pu_node(g, "mm", "MatMul", (int[]){a, b}, 2, (const char *[]){"y"}, 1, NULL);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
    float *av = rand_floats(&r, 8 * 120 * 480, -1, 1);
    c8_host_tensor in[2] = {view(g, a, av), view(g, b, g->vals[b].data)};
    same_on_threads("matmul 8x120x480 x 480x333", g, in);
    free(av);
    c8_graph_destroy(g);
}

/* ---------------------------------------------------------------- INT8 */

static int8_t *rand_i8(c8t_rng *r, int64_t n, int lo, int hi) {
    int8_t *p = malloc((size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = (int8_t)c8t_randint(r, lo, hi);
    return p;
}

static void set_act(c8_graph *g, int node, int variant, int out) {
    static const int kinds[] = {C8_QACT_NONE, C8_QACT_RELU, C8_QACT_CLIP, C8_QACT_LEAKY_RELU,
                                C8_QACT_HARDSWISH};
    int kind = kinds[variant % 5];
    pu_attr_i(g, node, "act", kind);
    if (kind == C8_QACT_CLIP) {
        pu_attr_f(g, node, "act_lo", out == C8_QOUT_INT8 ? -40.0f : -0.3f);
        pu_attr_f(g, node, "act_hi", out == C8_QOUT_INT8 ? 90.0f : 0.6f);
    }
    if (kind == C8_QACT_LEAKY_RELU) pu_attr_f(g, node, "act_alpha", 0.1f);
    if (kind == C8_QACT_HARDSWISH) { /* s_out 0.05 (int8) and an affine (1.2, -0.4) */
        pu_attr_f(g, node, "act_alpha", out == C8_QOUT_INT8 ? 0.05f : 1.0f);
        pu_attr_f(g, node, "act_lo", 0.2f);
        pu_attr_f(g, node, "act_hi", out == C8_QOUT_INT8 ? -8.0f : -0.4f);
    }
}

static int same_bytes(const char *what, uint64_t seed, const void *a, const void *b, size_t n) {
    const unsigned char *p = a, *q = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i]) {
            printf("\n  %s (seed %llu): byte %zu differs (ref 0x%02x, dnnl 0x%02x)\n", what,
                   (unsigned long long)seed, i, p[i], q[i]);
            return 0;
        }
    return 1;
}

/* Inputs of the INT8 cases: X_SIGNED uniform in [-127, 127] (the float32 route), X_RELU uniform in
 * [0, 127] (what follows a ReLU: the integer route), X_EXTREME every input 127 and every weight
 * -128 or 127 in runs (the integer route at its bound: each vpmaddubsw pair 2 * 127 * 128 =
 * 32512 in magnitude, just inside int16; inputs to 255 would saturate). */
enum { X_SIGNED, X_RELU, X_EXTREME, X_SEXTREME };

/* X_SEXTREME: X_EXTREME's weights, inputs 127 but every seventh -127 (negative values: the signed
 * integer route, whose shifted inputs reach 255: 255 x 127 per product, exact only with VNNI). */

/* Whether the context of the INT8 cases was made with C8_DNNL_NO_S8 (no signed integer route). */
static bool g_no_s8;

static c8_dnnl_ctx *q8_ctx(bool no_s8) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    if (no_s8) setenv("C8_DNNL_NO_S8", "1", 1);
    c8_status st = c8_dnnl_ctx_create(&ctx, &err);
    unsetenv("C8_DNNL_NO_S8");
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    g_no_s8 = no_s8;
    return ctx;
}

static int8_t *case_i8(c8t_rng *r, int64_t n, int xmode, bool weights) {
    if (xmode != X_EXTREME && xmode != X_SEXTREME)
        return rand_i8(r, n, xmode == X_RELU && !weights ? 0 : -127, 127);
    int8_t *p = malloc((size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++)
        p[i] = (int8_t)(!weights       ? (xmode == X_SEXTREME && i % 7 == 0 ? -127 : 127)
                        : (i / 16) % 3 ? -128
                                       : 127);
    return p;
}

/* Returns the route the oneDNN node took ("u8" / "f32"). */
static const char *q8_conv_case(c8_dnnl_ctx *ctx, const conv_case *cc, int variant, uint64_t seed,
                                int xmode) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int out = variant % 3 == 0 ? C8_QOUT_INT8 : variant % 3 == 1 ? C8_QOUT_FLOAT : C8_QOUT_FLOAT16;
    int64_t h = cc->in, wdt = cc->in + 1, cg = cc->c / cc->group;
    int x = pu_val_in(g, "x", C8_DT_INT8, pu_shp(4, cc->n, cc->c, h, wdt));
    int64_t nw = cc->k * cg * cc->kern * cc->kern;
    int8_t *wv = case_i8(&r, nw, xmode, true);
    int w = pu_const_vals(g, "w", pu_shp(4, cc->k, cg, cc->kern, cc->kern), C8_DT_INT8, wv);
    int32_t *bv = malloc((size_t)cc->k * 4);
    float *mv = malloc((size_t)cc->k * 4);
    for (int64_t i = 0; i < cc->k; i++) {
        bv[i] = c8t_randint(&r, -20000, 20000);
        mv[i] = out == C8_QOUT_INT8 ? c8t_uniform(&r, 2e-4f, 2e-3f) : c8t_uniform(&r, 1e-5f, 1e-4f);
    }
    int b = pu_const_vals(g, "b", pu_shp(1, cc->k), C8_DT_INT32, bv);
    int m = pu_const_vals(g, "m", pu_shp(1, cc->k), C8_DT_FLOAT, mv);
    int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
    bool has_res = variant % 4 == 1;
    int res_v = -1;
    int ins[5] = {x, w, b, m, -1};
    if (has_res) {
        /* the output's shape: computed as the op does, before the node exists */
        int64_t ext_h = cc->dil * (cc->kern - 1) + 1;
        int64_t p = (h + cc->pb + cc->pe - ext_h) / cc->stride + 1;
        int64_t q = (wdt + cc->pb + cc->pe - ext_h) / cc->stride + 1;
        res_v = pu_val_in(g, "res", C8_DT_INT8, pu_shp(4, cc->n, cc->k, p, q));
        ins[4] = res_v;
    }
    int node =
        c8_graph_add_node(g, "qconv", "Q8Conv", "", C8_OP_Q8_CONV, ins, has_res ? 5 : 4, &ys, 1);
    pu_attr_i(g, node, "group", cc->group);
    pu_attr_ints_v(g, node, "strides", 2, cc->stride, cc->stride);
    pu_attr_ints_v(g, node, "dilations", 2, cc->dil, cc->dil);
    pu_attr_ints_v(g, node, "pads", 4, cc->pb, cc->pb, cc->pe, cc->pe);
    pu_attr_i(g, node, "out", out);
    if (has_res) pu_attr_f(g, node, "res_mult", out == C8_QOUT_INT8 ? 0.7f : 0.01f);
    set_act(g, node, variant / 2, out);
    c8_error err = {0};
    c8_status st = pu_finish(g, false, &err);
    if (st != C8_OK) printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    int8_t *xv = case_i8(&r, c8_shape_numel(&g->vals[x].shape), xmode, false);
    int8_t *rv = has_res ? rand_i8(&r, c8_shape_numel(&g->vals[res_v].shape), -127, 127) : NULL;
    void *data[5] = {xv, NULL, NULL, NULL, rv}, *ref = NULL, *got = NULL;
    CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
    const char *route = last_route;
    /* an input with a negative value takes the float32 route or (VNNI) the signed one */
    if (c8_dnnl_any_negative(xv, c8_shape_numel(&g->vals[x].shape))) {
        CU_ASSERT(route && (!strcmp(route, "f32") || (!g_no_s8 && !strcmp(route, "s8"))));
    } else {
        CU_ASSERT(route && strcmp(route, "s8") != 0);
    }
    char what[192];
    snprintf(what, sizeof what,
             "q8conv n%lld c%lld k%lld g%lld in%lld k%lld s%lld d%lld p%lld/%lld v%d x%d (%s)",
             (long long)cc->n, (long long)cc->c, (long long)cc->k, (long long)cc->group,
             (long long)cc->in, (long long)cc->kern, (long long)cc->stride, (long long)cc->dil,
             (long long)cc->pb, (long long)cc->pe, variant, xmode, route ? route : "?");
    CU_ASSERT(same_bytes(what, seed, ref, got, bytes_of(g, g->nodes[0].out[0])));
    free(wv), free(bv), free(mv), free(xv), free(rv), free(ref), free(got);
    c8_graph_destroy(g);
    return route;
}

static void test_int8_conv(void) {
    static const conv_case cases[] = {
        {2, 1, 1, 1, 1, 7, 3, 1, 1, 1, 1},
        {2, 2, 3, 7, 1, 9, 3, 2, 1, 1, 0},
        {2, 1, 31, 33, 1, 8, 3, 1, 2, 2, 1},
        {2, 3, 32, 32, 32, 7, 3, 1, 1, 1, 1},
        {2, 1, 33, 66, 33, 9, 5, 2, 1, 2, 2},
        {2, 2, 12, 18, 3, 6, 1, 1, 1, 0, 0},
        {2, 1, 7, 127, 1, 5, 1, 1, 1, 0, 0},
        {2, 1, 129, 3, 1, 4, 3, 3, 1, 1, 2},
        {2, 2, 64, 64, 1, 14, 3, 1, 1, 1, 1},
        {2, 4, 16, 16, 16, 28, 3, 2, 1, 1, 1},
        /* bands of output rows (kernels/cpu/dnnl_conv.c, "bands"): one image's int32 sums over
         * 256 KB. One input channel, padding rows above and below: 16-row bands */
        {2, 1, 1, 32, 1, 64, 3, 1, 1, 1, 1},
        /* grouped, stride 2, dilation 2, padding 2 above and 1 below: 35 rows in a band of 29
         * and a last one of 6 */
        {2, 1, 4, 64, 2, 70, 3, 2, 2, 2, 1},
        /* 64 x 32 x 33 int32 sums per image (270 KB) > 256 KB: on one thread, both routes in
         * slices of one image, in two bands (this last case runs on one thread below) */
        {2, 3, 8, 64, 1, 32, 3, 1, 1, 1, 1},
    };
    const size_t n_cases = sizeof cases / sizeof cases[0];
    int i = 0, u8 = 0, runs = 0, s8 = 0, sruns = 0;
    /* with the signed integer route (where the CPU has VNNI), then without it: the inputs with
     * negative values again, on the float32 route */
    for (int no_s8 = 0; no_s8 < 2; no_s8++) {
        c8_dnnl_ctx *ctx = q8_ctx(no_s8 != 0);
        for (int xmode = X_SIGNED; xmode <= X_SEXTREME; xmode++) {
            const bool negative = xmode == X_SIGNED || xmode == X_SEXTREME;
            if (no_s8 && !negative) continue;
            for (size_t ci = 0; ci < n_cases; ci++)
                for (int variant = 0; variant < 10; variant++) { /* 8, 9: hard-swish */
                    c8_dnnl_thread_scope t = c8_dnnl_threads_enter(ci == n_cases - 1 ? 1 : 0);
                    const char *route =
                        q8_conv_case(ctx, &cases[ci], variant, 3000 + (uint64_t)i++, xmode);
                    c8_dnnl_threads_leave(t);
                    if (!negative) {
                        runs++;
                        u8 += route && !strcmp(route, "u8");
                    } else if (!no_s8) {
                        sruns++;
                        s8 += route && !strcmp(route, "s8");
                    }
                }
        }
        c8_dnnl_ctx_destroy(ctx);
    }
    printf("\n  int8 conv: %d of %d non-negative runs on the integer route; %d of %d with negative "
           "inputs on the signed integer route (%s)\n",
           u8, runs, s8, sruns, s8 ? "VNNI" : "none: this CPU's kernels lack VNNI");
    /* oneDNN has integer kernels for all of these shapes on x86 (it may decline a rare one) */
    CU_ASSERT(u8 >= runs * 3 / 4);
}

static const char *q8_gemm_case(c8_dnnl_ctx *ctx, int64_t M, int64_t N, int64_t K, int variant,
                                uint64_t seed, int xmode) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int out = variant % 3 == 0 ? C8_QOUT_INT8 : variant % 3 == 1 ? C8_QOUT_FLOAT : C8_QOUT_FLOAT16;
    bool nk = variant % 2 == 0;
    int a = pu_val_in(g, "a", C8_DT_INT8, pu_shp(2, M, K));
    int8_t *bv = case_i8(&r, N * K, xmode, true);
    int b = pu_const_vals(g, "b", nk ? pu_shp(2, N, K) : pu_shp(2, K, N), C8_DT_INT8, bv);
    int32_t *biasv = malloc((size_t)N * 4);
    float *mv = malloc((size_t)N * 4);
    for (int64_t i = 0; i < N; i++) {
        biasv[i] = c8t_randint(&r, -20000, 20000);
        mv[i] = out == C8_QOUT_INT8 ? c8t_uniform(&r, 2e-4f, 2e-3f) : c8t_uniform(&r, 1e-5f, 1e-4f);
    }
    int bias = pu_const_vals(g, "bias", pu_shp(1, N), C8_DT_INT32, biasv);
    int m = pu_const_vals(g, "m", pu_shp(1, N), C8_DT_FLOAT, mv);
    int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
    int node =
        c8_graph_add_node(g, "qfc", "Q8Gemm", "", C8_OP_Q8_GEMM, (int[]){a, b, bias, m}, 4, &ys, 1);
    pu_attr_i(g, node, "b_layout", nk ? C8_INT8_B_NK : C8_INT8_B_KN);
    pu_attr_i(g, node, "out", out);
    set_act(g, node, variant, out);
    c8_error err = {0};
    c8_status st = pu_finish(g, false, &err);
    if (st != C8_OK) printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    int8_t *av = case_i8(&r, M * K, xmode, false);
    void *data[4] = {av, NULL, NULL, NULL}, *ref = NULL, *got = NULL;
    CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
    const char *route = last_route;
    if (M <= C8_CPU_GEMV_MAX_M) { /* few rows: calib8's own exact sums, any sign */
        CU_ASSERT(route && !strcmp(route, "gemv"));
    } else if (c8_dnnl_any_negative(av, M * K)) {
        CU_ASSERT(route && !strcmp(route, "f32"));
    }
    char what[128];
    snprintf(what, sizeof what, "q8gemm M%lld N%lld K%lld v%d x%d (%s)", (long long)M, (long long)N,
             (long long)K, variant, xmode, route ? route : "?");
    CU_ASSERT(same_bytes(what, seed, ref, got, bytes_of(g, g->nodes[0].out[0])));
    free(bv), free(biasv), free(mv), free(av), free(ref), free(got);
    c8_graph_destroy(g);
    return route;
}

static void test_int8_gemm(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    /* up to 4 rows: calib8's own exact sums (gemv_fast.h; K with and without a tail of 16, the
     * integer route's bound in X_EXTREME); more: oneDNN's routes */
    static const int64_t s[][3] = {{1, 1, 1},      {1, 10, 128}, {3, 7, 31},
                                   {64, 10, 33},   {7, 33, 129}, {31, 127, 3},
                                   {64, 128, 784}, {4, 9, 3139}, {2, 130, 48}};
    int i = 0, u8 = 0, runs = 0;
    for (int xmode = X_SIGNED; xmode <= X_EXTREME; xmode++)
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            for (int variant = 0; variant < 8; variant++) {
                const char *route = q8_gemm_case(ctx, s[k][0], s[k][1], s[k][2], variant,
                                                 4000 + (uint64_t)i++, xmode);
                if (xmode != X_SIGNED && s[k][0] > C8_CPU_GEMV_MAX_M) {
                    runs++;
                    u8 += route && !strcmp(route, "u8");
                }
            }
    printf("\n  int8 gemm: %d of %d non-negative runs of more than %d rows on the integer route\n",
           u8, runs, C8_CPU_GEMV_MAX_M);
    CU_ASSERT(u8 >= runs * 3 / 4);
    c8_dnnl_ctx_destroy(ctx);
}

/* Weights whose sums could leave float32's exact integers (127 * sum |w| > 2^24 over an output
 * channel: 1100 or more taps of +-127) are summed in chunks that each stay exact, added in
 * int32: a Q8Gemm with K = 3000 (extreme weights and inputs) and a Q8Conv with 256 input
 * channels of 3x3 taps, byte for byte against the reference. A grouped convolution is not split:
 * it stays on the reference, with the reason. */
static void test_int8_split(void) {
    c8_error err = {0};
    /* the chunks are the float32 route's: without the signed integer route, then with it (the
     * same convolutions in one int32 reduction) */
    for (int no_s8 = 1; no_s8 >= 0; no_s8--) {
        c8_dnnl_ctx *ctx = q8_ctx(no_s8 != 0);
        for (int variant = 0; variant < 6; variant++)
            q8_gemm_case(ctx, 5, 9, 3000, variant, 6000 + (uint64_t)variant, X_SIGNED);
        static const conv_case big[] = {{2, 2, 256, 9, 1, 6, 3, 1, 1, 1, 1},
                                        {2, 1, 300, 5, 1, 5, 3, 2, 1, 1, 0}};
        for (int i = 0; i < 2; i++)
            for (int variant = 0; variant < 4; variant++)
                q8_conv_case(ctx, &big[i], variant, 6100 + (uint64_t)(i * 4 + variant),
                             variant % 2 ? X_SEXTREME : X_SIGNED);
        c8_dnnl_ctx_destroy(ctx);
    }

    c8_graph *g = pu_graph(13);
    int64_t C = 512, K = 2, gr = 2; /* 256 channels x 9 taps of 127 per output channel */
    int8_t *wv = malloc((size_t)(K * (C / gr) * 9));
    memset(wv, 127, (size_t)(K * (C / gr) * 9));
    int x = pu_val_in(g, "x", C8_DT_INT8, pu_shp(4, (int64_t)1, C, (int64_t)5, (int64_t)5));
    int w = pu_const_vals(g, "w", pu_shp(4, K, C / gr, (int64_t)3, (int64_t)3), C8_DT_INT8, wv);
    int32_t bias0[2] = {0, 0};
    float mv[2] = {1e-3f, 1e-3f};
    int b = pu_const_vals(g, "b", pu_shp(1, K), C8_DT_INT32, bias0);
    int m = pu_const_vals(g, "m", pu_shp(1, K), C8_DT_FLOAT, mv);
    int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
    int node =
        c8_graph_add_node(g, "qconv", "Q8Conv", "", C8_OP_Q8_CONV, (int[]){x, w, b, m}, 4, &ys, 1);
    pu_attr_i(g, node, "group", gr);
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
    const char *why = NULL;
    CU_ASSERT_PTR_NULL(c8_dnnl_kernel(g, &g->nodes[0], NULL, &why));
    CU_ASSERT_PTR_NOT_NULL(why);
    if (why) CU_ASSERT_PTR_NOT_NULL(strstr(why, "2^24"));
    free(wv);
    c8_graph_destroy(g);
}

/* The requantization alone on ties: multipliers 0.5 and 0.25 put many values exactly on .5
 * (round half to even), sums up to +-600 cross the +-127 saturation, residuals and every int8
 * activation; against the reference's element function, for every element. */
static void test_requant_ties(void) {
    c8t_rng r = {5000};
    const int64_t outer = 3, ch = 4, inner = 257, n = outer * ch * inner;
    float *sums = malloc((size_t)n * sizeof *sums);
    int8_t *res = malloc((size_t)n), *ref = malloc((size_t)n), *got = malloc((size_t)n);
    int32_t *isums = malloc((size_t)n * sizeof *isums);
    for (int64_t i = 0; i < n; i++) {
        sums[i] = (float)c8t_randint(&r, -600, 600);
        isums[i] = (int32_t)sums[i];
        res[i] = (int8_t)c8t_randint(&r, -127, 127);
    }
    int32_t bias[4] = {0, 3, -7, 1000};
    float mult[4] = {0.5f, 0.25f, 1.0f, 0.125f};
    for (int variant = 0; variant < 8; variant++) {
        c8_int8_epilogue ep;
        memset(&ep, 0, sizeof ep);
        ep.out = C8_QOUT_INT8;
        ep.bias = variant % 2 ? bias : NULL;
        ep.mult = mult;
        ep.residual = variant / 4 ? res : NULL;
        ep.res_mult = 0.5f;
        static const int kinds[] = {C8_QACT_NONE, C8_QACT_RELU, C8_QACT_CLIP, C8_QACT_LEAKY_RELU};
        ep.act.kind = kinds[variant % 4];
        ep.act.lo = -40.5f;
        ep.act.hi = 90.5f;
        ep.act.alpha = 0.25f;
        /* float sums, and the same sums as int32 (the split-reduction path) */
        c8_dnnl_requant(outer, ch, inner, variant % 3 ? sums : NULL, variant % 3 ? NULL : isums,
                        &ep, got);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t k = 0; k < ch; k++)
                for (int64_t i = 0; i < inner; i++) {
                    int64_t idx = (o * ch + k) * inner + i;
                    c8_ref_int8_epilogue_store(&ep, k, idx,
                                               (ep.bias ? bias[k] : 0) + (int32_t)sums[idx], ref);
                }
        char what[48];
        snprintf(what, sizeof what, "requant ties v%d", variant);
        CU_ASSERT(same_bytes(what, 5000, ref, got, (size_t)n));
    }
    free(sums), free(isums), free(res), free(ref), free(got);

    /* Channels-last int32 sums (the integer route's): 75 channels (rows of 32, 8 and 3 at a
     * time) x 37 pixels (whole 8 x 8 tiles and both edges), 1 pixel (the matrix product's
     * rows), tie multipliers, and channels whose multiplier is NaN, infinite or 0 with sums of 0
     * (inf * 0: NaN), or large (values far outside int32, both signs) */
    const int64_t C2 = 75, P2[2] = {37, 1}, O2 = 2;
    float mult2[75];
    int32_t bias2[75];
    for (int k = 0; k < 75; k++) {
        mult2[k] = k % 4 == 0 ? 0.5f : k % 4 == 1 ? 0.25f : 1.0f / (float)(k + 1);
        bias2[k] = c8t_randint(&r, -300, 300);
    }
    mult2[5] = NAN, mult2[6] = INFINITY, mult2[7] = -INFINITY, mult2[17] = 0.0f;
    mult2[33] = 3e30f, mult2[40] = -INFINITY, mult2[45] = NAN, mult2[70] = 1e12f;
    for (int pi = 0; pi < 2; pi++) {
        const int64_t n2 = O2 * C2 * P2[pi];
        int32_t *acc = malloc((size_t)n2 * sizeof *acc);
        int8_t *res2 = malloc((size_t)n2), *ref2 = malloc((size_t)n2), *got2 = malloc((size_t)n2);
        for (int64_t i = 0; i < n2; i++) {
            acc[i] = i % 11 == 0 ? 0 : c8t_randint(&r, -600, 600);
            res2[i] = (int8_t)c8t_randint(&r, -127, 127);
        }
        for (int variant = 0; variant < 8; variant++) {
            c8_int8_epilogue ep;
            memset(&ep, 0, sizeof ep);
            ep.out = C8_QOUT_INT8;
            ep.bias = variant % 2 ? bias2 : NULL;
            ep.mult = mult2;
            ep.residual = variant / 4 ? res2 : NULL;
            ep.res_mult = 0.5f;
            static const int kinds[] = {C8_QACT_NONE, C8_QACT_RELU, C8_QACT_CLIP,
                                        C8_QACT_LEAKY_RELU, C8_QACT_HARDSWISH};
            ep.act.kind = kinds[(variant + pi) % 5];
            ep.act.lo = -40.5f;
            ep.act.hi = 90.5f;
            ep.act.alpha = 0.25f;
            float *facc = malloc((size_t)n2 * sizeof *facc); /* the float32 route's sums */
            for (int64_t i = 0; i < n2; i++) facc[i] = (float)acc[i];
            c8_dnnl_requant_nhwc(O2, C2, P2[pi], variant % 3 ? NULL : facc,
                                 variant % 3 ? acc : NULL, &ep, got2);
            free(facc);
            for (int64_t o = 0; o < O2; o++)
                for (int64_t k = 0; k < C2; k++)
                    for (int64_t p = 0; p < P2[pi]; p++) {
                        const int64_t idx = (o * C2 + k) * P2[pi] + p; /* the ONNX layout */
                        const int32_t sum = acc[(o * P2[pi] + p) * C2 + k];
                        c8_ref_int8_epilogue_store(&ep, k, idx, (ep.bias ? bias2[k] : 0) + sum,
                                                   ref2);
                    }
            char what[64];
            snprintf(what, sizeof what, "requant channels-last p%lld v%d", (long long)P2[pi],
                     variant);
            CU_ASSERT(same_bytes(what, 5000, ref2, got2, (size_t)n2));
        }
        free(acc), free(res2), free(ref2), free(got2);
    }
}

/* Q8Add (int8 output) on the fast backend against the reference node, byte for byte: every fast
 * activation, tie-making multipliers (0.5, 0.25), counts with a vector tail and above one
 * thread chunk (64K); a float output stays on the reference with the reason. */
static void test_int8_add(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const int64_t counts[][4] = {{1, 1, 1, 7}, {2, 3, 5, 7}, {1, 8, 128, 130}};
    static const float mults[][2] = {{0.5f, 0.25f}, {0.731f, 1.37f}, {3.0f, -0.5f}};
    int i = 0;
    for (int ci = 0; ci < 3; ci++)
        for (int variant = 0; variant < 5; variant++, i++) {
            c8t_rng r = {8000 + (uint64_t)i};
            c8_graph *g = pu_graph(13);
            c8_shape sh = pu_shp(4, counts[ci][0], counts[ci][1], counts[ci][2], counts[ci][3]);
            int a = pu_val_in(g, "a", C8_DT_INT8, sh), b = pu_val_in(g, "b", C8_DT_INT8, sh);
            int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
            int node =
                c8_graph_add_node(g, "qadd", "Q8Add", "", C8_OP_Q8_ADD, (int[]){a, b}, 2, &ys, 1);
            pu_attr_f(g, node, "ma", mults[variant % 3][0]);
            pu_attr_f(g, node, "mb", mults[variant % 3][1]);
            const bool float_out = variant == 4;
            pu_attr_i(g, node, "out", float_out ? C8_QOUT_FLOAT : C8_QOUT_INT8);
            set_act(g, node, variant, C8_QOUT_INT8);
            CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
            const char *why = NULL;
            const char *k = c8_dnnl_kernel(g, &g->nodes[0], NULL, &why);
            if (float_out) {
                CU_ASSERT_PTR_NULL(k);
                CU_ASSERT(why && strstr(why, "float"));
                c8_graph_destroy(g);
                continue;
            }
            CU_ASSERT_PTR_NOT_NULL(k);
            const int64_t n = c8_shape_numel(&sh);
            int8_t *av = rand_i8(&r, n, -127, 127), *bv = rand_i8(&r, n, -127, 127);
            void *data[2] = {av, bv}, *ref = NULL, *got = NULL;
            CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
            char what[64];
            snprintf(what, sizeof what, "q8add n%lld v%d", (long long)n, variant);
            CU_ASSERT(same_bytes(what, 8000 + (uint64_t)i, ref, got, (size_t)n));
            free(av), free(bv), free(ref), free(got);
            c8_graph_destroy(g);
        }
    c8_dnnl_ctx_destroy(ctx);
}

/* ---------------------------------------------------------------- MaxPool, Q8Quantize,
 * Q8Requantize */

typedef struct pool_case {
    int nsp;
    int64_t n, c, in, kern, stride, dil, pb, pe, ceil;
} pool_case;

/* MaxPool (calib8's own kernel on the fast backend) byte for byte against the reference, FP32 and
 * FP16 layers, on inputs with NaN, +-Inf, +-0 and repeated values. */
static void maxpool_case(c8_dnnl_ctx *ctx, const pool_case *pc, int variant, uint64_t seed) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int64_t xd[5] = {pc->n, pc->c};
    for (int i = 0; i < pc->nsp; i++) xd[2 + i] = pc->in + i;
    int x = pu_val_in(g, "x", C8_DT_FLOAT, pu_shape(pc->nsp + 2, xd));
    int node = pu_node(g, "pool", "MaxPool", (int[]){x}, 1, (const char *[]){"y"}, 1, NULL);
    int64_t v[6];
    for (int i = 0; i < pc->nsp; i++) v[i] = pc->kern;
    pu_attr_ints(g, node, "kernel_shape", pc->nsp, v);
    for (int i = 0; i < pc->nsp; i++) v[i] = pc->stride;
    pu_attr_ints(g, node, "strides", pc->nsp, v);
    for (int i = 0; i < pc->nsp; i++) v[i] = pc->dil;
    pu_attr_ints(g, node, "dilations", pc->nsp, v);
    for (int i = 0; i < pc->nsp; i++) v[i] = pc->pb, v[pc->nsp + i] = pc->pe;
    pu_attr_ints(g, node, "pads", 2 * pc->nsp, v);
    pu_attr_i(g, node, "ceil_mode", pc->ceil);
    c8_error err = {0};
    c8_status st = pu_finish(g, false, &err);
    if (st != C8_OK) printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    int64_t nx = c8_shape_numel(&g->vals[x].shape);
    float *xv = rand_floats(&r, nx, -3, 3);
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, 1.5f, NAN};
    for (int64_t i = 0; i < nx; i++) {
        if (variant == 1 && i % 5 == 0) xv[i] = special[c8t_randint(&r, 0, 4)];
        if (variant == 2 && i % 11 == 3) xv[i] = special[c8t_randint(&r, 0, 5)];
        if (variant == 3) xv[i] = special[c8t_randint(&r, 0, 1)]; /* signed zeros only */
    }
    c8_layer l16 = fp16_layer();
    const c8_layer *l = variant >= 4 ? &l16 : NULL;
    CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], l, NULL),
                           l ? "cpu:maxpool (fp16)" : "cpu:maxpool");
    void *data[1] = {xv}, *ref = NULL, *got = NULL;
    CU_ASSERT_FATAL(run_both_l(ctx, g, l, data, NULL, &ref, &got));
    char what[128];
    snprintf(what, sizeof what, "maxpool %dd n%lld c%lld in%lld k%lld s%lld d%lld p%lld/%lld%s v%d",
             pc->nsp, (long long)pc->n, (long long)pc->c, (long long)pc->in, (long long)pc->kern,
             (long long)pc->stride, (long long)pc->dil, (long long)pc->pb, (long long)pc->pe,
             pc->ceil ? " ceil" : "", variant);
    CU_ASSERT(same_bytes(what, seed, ref, got, bytes_of(g, g->nodes[0].out[0])));
    free(xv), free(ref), free(got);
    c8_graph_destroy(g);
}

/* Q8MaxPool byte for byte against the reference (int8 values -128..127, windows partly or wholly
 * in the padding, dilations, ceil_mode). */
static void q8_maxpool_case(c8_dnnl_ctx *ctx, const pool_case *pc, uint64_t seed) {
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int x = pu_val_in(g, "x", C8_DT_INT8, pu_shp(4, pc->n, pc->c, pc->in, pc->in + 1));
    int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
    int node =
        c8_graph_add_node(g, "qpool", "Q8MaxPool", "", C8_OP_Q8_MAXPOOL, (int[]){x}, 1, &ys, 1);
    pu_attr_ints_v(g, node, "kernel_shape", 2, pc->kern, pc->kern);
    pu_attr_ints_v(g, node, "strides", 2, pc->stride, pc->stride);
    pu_attr_ints_v(g, node, "dilations", 2, pc->dil, pc->dil);
    pu_attr_ints_v(g, node, "pads", 4, pc->pb, pc->pb, pc->pe, pc->pe);
    pu_attr_i(g, node, "ceil_mode", pc->ceil);
    c8_error err = {0};
    c8_status st = pu_finish(g, false, &err);
    if (st != C8_OK) printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:maxpool int8");
    int8_t *xv = rand_i8(&r, c8_shape_numel(&g->vals[x].shape), -128, 127);
    void *data[1] = {xv}, *ref = NULL, *got = NULL;
    CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
    char what[128];
    snprintf(what, sizeof what, "q8 maxpool n%lld c%lld in%lld k%lld s%lld d%lld p%lld/%lld%s",
             (long long)pc->n, (long long)pc->c, (long long)pc->in, (long long)pc->kern,
             (long long)pc->stride, (long long)pc->dil, (long long)pc->pb, (long long)pc->pe,
             pc->ceil ? " ceil" : "");
    CU_ASSERT(same_bytes(what, seed, ref, got, bytes_of(g, g->nodes[0].out[0])));
    free(xv), free(ref), free(got);
    c8_graph_destroy(g);
}

/* Q8GlobalAveragePool (pool_fast.h) byte for byte against the reference: planes of 1 to 25,600
 * values (the 32-byte AVX2 step and its tail; 160 x 160 as the detector's largest), every input
 * -128..127 or all at +-127 (the sum's extremes), scales with the multiplier near ties. */
static void test_q8_gap(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const int64_t shapes[][4] = {{1, 3, 1, 1},   {2, 5, 4, 8},     {1, 7, 3, 11},
                                        {2, 16, 33, 1}, {1, 4, 160, 160}, {3, 64, 5, 7}};
    for (size_t ci = 0; ci < sizeof shapes / sizeof shapes[0]; ci++)
        for (int mode = 0; mode < 3; mode++) {
            const uint64_t seed = 8100 + ci * 3 + (uint64_t)mode;
            c8t_rng r = {seed};
            c8_graph *g = pu_graph(13);
            int x =
                pu_val_in(g, "x", C8_DT_INT8,
                          pu_shp(4, shapes[ci][0], shapes[ci][1], shapes[ci][2], shapes[ci][3]));
            int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
            int node = c8_graph_add_node(g, "gap", "Q8GlobalAveragePool", "",
                                         C8_OP_Q8_GLOBAL_AVGPOOL, (int[]){x}, 1, &ys, 1);
            pu_attr_f(g, node, "s_in", mode == 2 ? 0.05f : 0.013f);
            pu_attr_f(g, node, "s_out", mode == 2 ? 0.1f : 0.0071f);
            c8_status st = pu_finish(g, false, &err);
            if (st != C8_OK) printf("\n  %s\n", err.msg);
            CU_ASSERT_EQUAL_FATAL(st, C8_OK);
            CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL),
                                   "cpu:global avgpool int8");
            const int64_t nx = c8_shape_numel(&g->vals[x].shape);
            int8_t *xv = rand_i8(&r, nx, -128, 127);
            if (mode == 1)
                for (int64_t i = 0; i < nx; i++) xv[i] = (int8_t)(i / 7 % 2 ? 127 : -127);
            void *data[1] = {xv}, *ref = NULL, *got = NULL;
            CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
            CU_ASSERT(
                same_bytes("q8 global avgpool", seed, ref, got, bytes_of(g, g->nodes[0].out[0])));
            free(xv), free(ref), free(got);
            c8_graph_destroy(g);
        }
    c8_dnnl_ctx_destroy(ctx);
}

/* Q8Mul (a squeeze-excitation gate on int8 data): factors per (item, channel), per channel
 * (rank 4 and rank 3), one value; odd extents; byte for byte against the reference. */
static void test_q8_mul(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const struct {
        int64_t x[4];
        int fr;
        int64_t f[4];
    } cases[] = {
        {{2, 5, 7, 9}, 4, {2, 5, 1, 1}},     {{1, 31, 20, 20}, 4, {1, 31, 1, 1}},
        {{3, 4, 1, 33}, 3, {4, 1, 1, 0}},    {{2, 3, 5, 5}, 1, {1, 0, 0, 0}},
        {{1, 96, 40, 40}, 4, {1, 96, 1, 1}}, {{2, 7, 3, 1}, 4, {1, 1, 1, 1}},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const uint64_t seed = 8200 + ci;
        c8t_rng r = {seed};
        c8_graph *g = pu_graph(13);
        const int64_t *xd = cases[ci].x, *fd = cases[ci].f;
        int x = pu_val_in(g, "x", C8_DT_INT8, pu_shp(4, xd[0], xd[1], xd[2], xd[3]));
        c8_shape fs = {0};
        fs.rank = cases[ci].fr;
        for (int i = 0; i < fs.rank; i++) fs.d[i] = fd[i];
        int f = pu_val_in(g, "f", C8_DT_FLOAT, fs);
        int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
        int node = c8_graph_add_node(g, "mul", "Q8Mul", "", C8_OP_Q8_MUL, (int[]){x, f}, 2, &ys, 1);
        pu_attr_f(g, node, "mult", ci % 2 ? 0.83f : 2.7f);
        c8_status st = pu_finish(g, false, &err);
        if (st != C8_OK) printf("\n  %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(st, C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:mul int8");
        const int64_t nx = c8_shape_numel(&g->vals[x].shape), nf = c8_shape_numel(&fs);
        int8_t *xv = rand_i8(&r, nx, -127, 127);
        float *fv = rand_floats(&r, nf, -1.2f, 1.2f);
        void *data[2] = {xv, fv}, *ref = NULL, *got = NULL;
        CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
        CU_ASSERT(same_bytes("q8 mul", seed, ref, got, bytes_of(g, g->nodes[0].out[0])));
        free(xv), free(fv), free(ref), free(got);
        c8_graph_destroy(g);
    }
    c8_dnnl_ctx_destroy(ctx);
}

/* Nearest Resize on int8 data (an INT8 tensor kept int8): the fast copies by whole factors and the
 * reference's loop for other coordinates, each equal to the float32 reference's Resize of the
 * same values (an independent path: c8_ref_resize_f32), byte for byte. */
static void test_int8_resize(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const struct {
        int64_t n, c, h, w;
        float sh, sw;
        const char *coord;
        bool fast;
    } cases[] = {
        {1, 3, 5, 9, 2, 2, "asymmetric", true},    {2, 4, 4, 20, 4, 4, "asymmetric", true},
        {1, 2, 3, 17, 8, 8, "asymmetric", true},   {1, 96, 20, 20, 2, 2, "asymmetric", true},
        {1, 1, 6, 17, 3, 2, "asymmetric", true},   {1, 2, 4, 6, 2, 2, "half_pixel", false},
        {1, 2, 4, 6, 1.5f, 2, "asymmetric", true},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const uint64_t seed = 8300 + ci;
        c8t_rng r = {seed};
        c8_graph *g = pu_graph(13);
        int x = pu_val_in(g, "x", C8_DT_INT8,
                          pu_shp(4, cases[ci].n, cases[ci].c, cases[ci].h, cases[ci].w));
        float sc[4] = {1, 1, cases[ci].sh, cases[ci].sw};
        int scales = pu_const_vals(g, "scales", pu_shp(1, (int64_t)4), C8_DT_FLOAT, sc);
        int node = pu_node(g, "resize", "Resize", (int[]){x, -1, scales}, 3, (const char *[]){"y"},
                           1, NULL);
        pu_attr_s(g, node, "mode", "nearest");
        pu_attr_s(g, node, "coordinate_transformation_mode", cases[ci].coord);
        pu_attr_s(g, node, "nearest_mode", "floor");
        c8_status st = pu_finish(g, false, &err);
        if (st != C8_OK) printf("\n  %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(st, C8_OK);
        c8_layer l8 = {0};
        l8.precision = C8_LAYER_PREC_INT8;
        l8.role = C8_LAYER_COMPUTE;
        const char *k = c8_dnnl_kernel(g, &g->nodes[0], &l8, NULL);
        CU_ASSERT_EQUAL(k != NULL, cases[ci].fast);
        if (k) CU_ASSERT_STRING_EQUAL(k, "cpu:resize int8");
        const int y = g->nodes[0].out[0];
        const int64_t nx = c8_shape_numel(&g->vals[x].shape),
                      ny = c8_shape_numel(&g->vals[y].shape);
        int8_t *xv = rand_i8(&r, nx, -127, 127);
        /* the float32 reference on the same values */
        c8_resize_desc d;
        CU_ASSERT_EQUAL_FATAL(c8_op_resize_desc(g, &g->nodes[0], &d, &err), C8_OK);
        float *xf = malloc((size_t)nx * sizeof *xf), *yf = malloc((size_t)ny * sizeof *yf);
        int8_t *y8 = malloc((size_t)ny);
        for (int64_t i = 0; i < nx; i++) xf[i] = xv[i];
        c8_ref_resize_f32(&d, xf, yf);
        c8_ref_resize_nearest_i8(&d, xv, y8);
        int bad = 0;
        for (int64_t i = 0; i < ny; i++) bad += (float)y8[i] != yf[i];
        if (bad)
            printf("\n  int8 resize (seed %llu): %d differ from float32\n",
                   (unsigned long long)seed, bad);
        CU_ASSERT_EQUAL(bad, 0);
        void *data[3] = {xv, NULL, NULL}, *ref = NULL, *got = NULL;
        if (cases[ci].fast) {
            CU_ASSERT_FATAL(run_both_l(ctx, g, &l8, data, NULL, &ref, &got));
            CU_ASSERT(same_bytes("int8 resize", seed, ref, got, (size_t)ny));
            CU_ASSERT(same_bytes("int8 resize vs float", seed, y8, got, (size_t)ny));
        }
        free(xv), free(xf), free(yf), free(y8), free(ref), free(got);
        c8_graph_destroy(g);
    }
    c8_dnnl_ctx_destroy(ctx);
}

/* Sigmoid (FP32): the reference's element without its branch, bit for bit, over random values
 * and the edges (+-0, +-inf, NaN, large arguments where expf underflows). */
static void test_sigmoid(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    const uint64_t seed = 8400;
    c8t_rng r = {seed};
    c8_graph *g = pu_graph(13);
    int x = pu_val_in(g, "x", C8_DT_FLOAT,
                      pu_shp(4, (int64_t)1, (int64_t)3, (int64_t)97, (int64_t)301));
    pu_node(g, "sig", "Sigmoid", (int[]){x}, 1, (const char *[]){"y"}, 1, NULL);
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:sigmoid");
    const int64_t n = c8_shape_numel(&g->vals[x].shape);
    float *xv = rand_floats(&r, n, -30, 30);
    const float edges[] = {0.0f,    -0.0f, INFINITY, -INFINITY, NAN,    100.0f,
                           -100.0f, 88.8f, -104.0f,  1e-30f,    -1e-30f};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) xv[i * 997] = edges[i];
    void *data[1] = {xv}, *ref = NULL, *got = NULL;
    CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
    CU_ASSERT(same_bytes("sigmoid", seed, ref, got, (size_t)n * sizeof(float)));
    free(xv), free(ref), free(got);
    c8_graph_destroy(g);
    c8_dnnl_ctx_destroy(ctx);
}

static void test_maxpool(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    static const pool_case cases[] = {
        {2, 2, 3, 8, 2, 2, 1, 0, 0, 0},
        {2, 1, 7, 9, 3, 2, 1, 1, 1, 0},
        {2, 1, 5, 10, 3, 2, 1, 1, 0, 1},
        {2, 2, 4, 12, 3, 1, 2, 2, 2, 0},
        {2, 1, 3, 7, 2, 3, 1, 1, 1, 1},
        {2, 1, 33, 14, 3, 2, 1, 0, 0, 1},
        {1, 2, 3, 17, 4, 3, 1, 2, 1, 0},
        {1, 1, 2, 9, 3, 1, 3, 3, 3, 0},
        {3, 1, 2, 6, 2, 2, 1, 0, 1, 0},
        {3, 2, 3, 5, 3, 1, 1, 1, 1, 1},
        {2, 1, 8, 28, 2, 2, 1, 0, 0, 0},
        {2, 1, 1, 4, 5, 1, 1, 2, 2, 0},
        /* rows wider than 32 and 16 pairs: the AVX2 loops of the int8 pooling and their tails */
        {2, 2, 3, 70, 2, 2, 1, 0, 0, 0},
        {2, 1, 2, 67, 3, 2, 1, 1, 1, 1},
        {2, 1, 3, 13, 2, 2, 1, 0, 0, 0},
        {2, 1, 2, 9, 2, 2, 1, 0, 0, 1},
    };
    int i = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int variant = 0; variant < 8; variant++)
            maxpool_case(ctx, &cases[ci], variant, 6000 + (uint64_t)i++);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        if (cases[ci].nsp == 2) q8_maxpool_case(ctx, &cases[ci], 6500 + (uint64_t)ci);
    c8_dnnl_ctx_destroy(ctx);
}

/* Q8Quantize and Q8Requantize (the fast backend's vectorized loops) byte for byte against the
 * reference run: ties at every half step, NaN, +-Inf, saturation, every int8 input and each
 * activation. */
/* The batched float32 transposes of the FP32 convolutions' channels-last activations
 * (layout_f32.h) against the plain index formula, bit for bit, on random bit patterns (NaN
 * payloads and signed zeros included: pure data movement): shapes off the 8 x 8 tiles and the
 * 64-row bands, one row or column, and sizes on both sides of the threading threshold. */
static void test_layout(void) {
    static const int64_t shapes[][3] = {{1, 1, 1},     {1, 8, 8},   {3, 7, 9},    {2, 32, 784},
                                        {64, 784, 32}, {5, 65, 13}, {1, 3, 5000}, {2, 129, 1},
                                        {1, 1, 77},    {4, 200, 72}};
    c8t_rng r = {0x1A70};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int64_t b = shapes[i][0], rows = shapes[i][1], cols = shapes[i][2];
        const int64_t n = b * rows * cols;
        uint32_t *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
        CU_ASSERT_FATAL(x && y);
        for (int64_t k = 0; k < n; k++) x[k] = (uint32_t)(c8t_next(&r) >> 32);
        c8_cpu_transpose_f32(b, rows, cols, (const float *)x, (float *)y);
        int64_t bad = 0;
        for (int64_t bb = 0; bb < b; bb++)
            for (int64_t a = 0; a < rows; a++)
                for (int64_t c = 0; c < cols; c++)
                    bad += y[(bb * cols + c) * rows + a] != x[(bb * rows + a) * cols + c];
        if (bad)
            printf("\n  transpose %lld x %lld x %lld: %lld wrong", (long long)b, (long long)rows,
                   (long long)cols, (long long)bad);
        CU_ASSERT_EQUAL(bad, 0);
        /* the same shapes in bytes (c8_cpu_transpose_8: 16 x 16 tiles, ragged edges) */
        const uint8_t *xb = (const uint8_t *)x;
        uint8_t *yb = (uint8_t *)y;
        c8_cpu_transpose_8(b, rows, cols, xb, yb);
        bad = 0;
        for (int64_t bb = 0; bb < b; bb++)
            for (int64_t a = 0; a < rows; a++)
                for (int64_t c = 0; c < cols; c++)
                    bad += yb[(bb * cols + c) * rows + a] != xb[(bb * rows + a) * cols + c];
        if (bad)
            printf("\n  byte transpose %lld x %lld x %lld: %lld wrong", (long long)b,
                   (long long)rows, (long long)cols, (long long)bad);
        CU_ASSERT_EQUAL(bad, 0);
        free(x), free(y);
    }
}

/* Float32 Add / Sub / Mul / Div and Clip (eltwise_fast.c) against c8_ref_binary / c8_ref_clip,
 * bit for bit, on 1 and 2 threads: equal shapes, a single-element operand on either side,
 * per-plane operands ((N, C, 1, 1), (1, C, 1, 1), (C, 1, 1)) on either side; lengths off the 8-wide
 * step and over several 16K chunks; values with NaN, +-0, +-Inf and exact ties. Shapes outside
 * these forms are refused (false) and leave the output alone. */
static float eltwise_value(c8t_rng *r, int64_t k) {
    switch (k % 23) {
    case 3: return NAN;
    case 5: return -0.0f;
    case 7: return 0.0f;
    case 11: return INFINITY;
    case 13: return -INFINITY;
    case 17: return 1.5f;
    default: return c8t_uniform(r, -3.0f, 3.0f);
    }
}

static void test_eltwise(void) {
    static const int64_t ys[][4] = {{2, 3, 5, 7}, {1, 16, 40, 40}, {2, 24, 97, 101}, {1, 1, 1, 9}};
    static const c8_binary_op ops[] = {C8_BINARY_ADD, C8_BINARY_SUB, C8_BINARY_MUL, C8_BINARY_DIV};
    c8t_rng r = {0xE17};
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++) {
        const c8_shape sy = pu_shp(4, ys[i][0], ys[i][1], ys[i][2], ys[i][3]);
        const int64_t n = c8_shape_numel(&sy);
        const c8_shape others[] = {
            sy,
            pu_shp(1, (int64_t)1),
            pu_shp(0),
            pu_shp(4, ys[i][0], ys[i][1], (int64_t)1, (int64_t)1),
            pu_shp(4, (int64_t)1, ys[i][1], (int64_t)1, (int64_t)1),
            pu_shp(3, ys[i][1], (int64_t)1, (int64_t)1),
        };
        float *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4), *want = malloc((size_t)n * 4),
              *got = malloc((size_t)n * 4);
        CU_ASSERT_FATAL(a && b && want && got);
        for (int64_t k = 0; k < n; k++)
            a[k] = eltwise_value(&r, k), b[k] = eltwise_value(&r, k + 9);
        for (size_t o = 0; o < sizeof others / sizeof others[0]; o++)
            for (int side = 0; side < 2; side++)
                for (size_t q = 0; q < sizeof ops / sizeof ops[0]; q++)
                    for (int threads = 1; threads <= 2; threads++) {
                        const c8_shape *sa = side ? &others[o] : &sy, *sb = side ? &sy : &others[o];
                        CU_ASSERT(c8_cpu_binary_f32_fits(ops[q], sa, sb, &sy));
                        CU_ASSERT(c8_ref_binary(ops[q], C8_DT_FLOAT, sa, a, sb, b, &sy, want));
                        memset(got, 0x5a, (size_t)n * 4);
                        c8_dnnl_thread_scope t = c8_dnnl_threads_enter(threads);
                        CU_ASSERT(c8_cpu_binary_f32(ops[q], sa, a, sb, b, &sy, got));
                        c8_dnnl_threads_leave(t);
                        int64_t bad = 0;
                        for (int64_t k = 0; k < n; k++)
                            bad += memcmp(&got[k], &want[k], 4) != 0 &&
                                   !(got[k] != got[k] && want[k] != want[k]);
                        if (bad)
                            printf("\n  eltwise op %d y %lldx%lldx%lldx%lld operand %zu side %d "
                                   "threads %d: %lld wrong",
                                   (int)ops[q], (long long)ys[i][0], (long long)ys[i][1],
                                   (long long)ys[i][2], (long long)ys[i][3], o, side, threads,
                                   (long long)bad);
                        CU_ASSERT_EQUAL(bad, 0);
                    }
        /* Clip: both bounds, one, none; a bound of +0 against -0 inputs */
        static const float bounds[][2] = {{0.0f, 6.0f}, {-1.0f, 1.0f}, {0.0f, 0.0f}};
        for (size_t k = 0; k < 3; k++)
            for (int which = 0; which < 4; which++)
                for (int threads = 1; threads <= 2; threads++) {
                    const float *lo = which & 1 ? &bounds[k][0] : NULL;
                    const float *hi = which & 2 ? &bounds[k][1] : NULL;
                    CU_ASSERT(c8_ref_clip(C8_DT_FLOAT, a, want, n, lo, hi));
                    memset(got, 0x5a, (size_t)n * 4);
                    c8_dnnl_thread_scope t = c8_dnnl_threads_enter(threads);
                    c8_cpu_clip_f32(a, got, n, lo, hi);
                    c8_dnnl_threads_leave(t);
                    int64_t bad = 0;
                    for (int64_t e = 0; e < n; e++)
                        bad += memcmp(&got[e], &want[e], 4) != 0 &&
                               !(got[e] != got[e] && want[e] != want[e]);
                    CU_ASSERT_EQUAL(bad, 0);
                }
        free(a), free(b), free(want), free(got);
    }
    /* forms it refuses: a row broadcast, a rank-2 per-channel operand, Max */
    const c8_shape y4 = pu_shp(4, (int64_t)2, (int64_t)3, (int64_t)4, (int64_t)5);
    const c8_shape row = pu_shp(1, (int64_t)5), col = pu_shp(2, (int64_t)3, (int64_t)1);
    CU_ASSERT(!c8_cpu_binary_f32_fits(C8_BINARY_ADD, &y4, &row, &y4));
    CU_ASSERT(!c8_cpu_binary_f32_fits(C8_BINARY_MUL, &col, &y4, &y4));
    CU_ASSERT(!c8_cpu_binary_f32_fits(C8_BINARY_MAX, &y4, &y4, &y4));
    float dummy = 1.0f;
    CU_ASSERT(!c8_cpu_binary_f32(C8_BINARY_ADD, &y4, &dummy, &row, &dummy, &y4, &dummy));
    CU_ASSERT_EQUAL(dummy, 1.0f);
}

/* Channels-last between FP32 convolutions (dnnl_conv.c): a chain where one convolution's output
 * is read only by convolutions (as input and as fused residual: its NCHW copy is never
 * written), one read also by an Add (written), and the last a graph output. The outputs equal,
 * bit for bit, the same engine's with the sharing off (C8_DNNL_NO_SHARE) and with an observer
 * watching every tensor (every NCHW copy written), on 1 and 2 threads, on the second run of a
 * context whose first run had other inputs; and they are within FP32 tolerance of the reference
 * backend. */
static c8_status chain_observer(void *user, const char *name, const c8_host_tensor *t,
                                c8_error *err) {
    (void)name, (void)t, (void)err;
    ++*(int *)user;
    return C8_OK;
}

/* Runs g on `first` (when not NULL), then on `in`; returns a copy of every output, one after the
 * other; *n_out counts their bytes. */
static void *chain_run(const c8_graph *g, c8_device dev, const c8_host_tensor *first,
                       const c8_host_tensor *in, int threads, bool observe, int64_t *n_out,
                       int *seen) {
    c8_error err = {0};
    c8_graph *copy = c8_graph_clone(g);
    c8_engine *e = copy ? c8_engine_new(copy, dev, C8_PREC_FP32) : NULL;
    c8_context *ctx = NULL;
    unsigned char *out = NULL;
    if (e && c8_context_create(e, &ctx, &err) == C8_OK &&
        (c8_context_set_threads(ctx, threads), true) &&
        (!observe || c8_context_set_observer(ctx, chain_observer, seen, NULL, 0, &err) == C8_OK)) {
        c8_status st = first ? c8_context_run(ctx, first, 1, &err) : C8_OK;
        if (st == C8_OK) st = c8_context_run(ctx, in, 1, &err);
        /* every output, one after the other */
        *n_out = 0;
        for (int o = 0; st == C8_OK && o < c8_engine_num_outputs(e); o++) {
            c8_host_tensor t;
            st = c8_context_output(ctx, o, &t, &err);
            if (st != C8_OK) break;
            const int64_t k = c8_shape_numel(&t.shape) * (int64_t)c8_dtype_size(t.dtype);
            unsigned char *grown = realloc(out, (size_t)(*n_out + k));
            if (!grown) break;
            out = grown;
            memcpy(out + *n_out, t.data, (size_t)k);
            *n_out += k;
        }
        if (st != C8_OK) {
            free(out);
            out = NULL;
        }
    }
    if (!out) printf("\n  conv chain: %s", err.msg);
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    return out;
}

static void test_conv_chain(void) {
    c8t_rng r = {0xC4A1};
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", pu_shp(4, (int64_t)3, (int64_t)8, (int64_t)9, (int64_t)11));
    int wa = pu_const(g, "wa", pu_shp(4, (int64_t)16, (int64_t)8, (int64_t)3, (int64_t)3), &r,
                      -0.3f, 0.3f);
    int wb = pu_const(g, "wb", pu_shp(4, (int64_t)16, (int64_t)16, (int64_t)3, (int64_t)3), &r,
                      -0.2f, 0.2f);
    int wc = pu_const(g, "wc", pu_shp(4, (int64_t)24, (int64_t)16, (int64_t)1, (int64_t)1), &r,
                      -0.3f, 0.3f);
    int wd = pu_const(g, "wd", pu_shp(4, (int64_t)16, (int64_t)24, (int64_t)3, (int64_t)3), &r,
                      -0.2f, 0.2f);
    int bb = pu_const(g, "bb", pu_shp(1, (int64_t)16), &r, -0.5f, 0.5f);
    /* x -> A -> B (+ residual A) -> C (1x1) -> P = MaxPool(C) -> D; Bp = MaxPool(B);
     * outputs F = Bp + D and G = Relu(B) */
    const int A = pu_op(g, "a", "Conv", (int[]){x, wa}, 2, "A");
    const int B = pu_op(g, "b", "Conv", (int[]){A, wb, bb}, 3, "B");
    const int C = pu_op(g, "c", "Conv", (int[]){B, wc}, 2, "C");
    const int P = pu_op(g, "p", "MaxPool", (int[]){C}, 1, "P");
    const int D = pu_op(g, "d", "Conv", (int[]){P, wd}, 2, "D");
    const int Bp = pu_op(g, "bp", "MaxPool", (int[]){B}, 1, "Bp");
    const int F = pu_op(g, "f", "Add", (int[]){Bp, D}, 2, "F");
    const int G = pu_op(g, "g", "Relu", (int[]){B}, 1, "G");
    /* HardSwish as exported (Add 3, Clip 0..6, Mul, Div 6) on D, then a convolution: element-wise
     * nodes channels-last in their own memory; H2 is also read by a Relu (its NCHW written) */
    const float k3 = 3.0f, k6 = 6.0f, k0 = 0.0f;
    const int c3 = pu_const_vals(g, "k3", pu_shp(1, (int64_t)1), C8_DT_FLOAT, &k3);
    const int c6 = pu_const_vals(g, "k6", pu_shp(0), C8_DT_FLOAT, &k6);
    const int c0 = pu_const_vals(g, "k0", pu_shp(0), C8_DT_FLOAT, &k0);
    const int we = pu_const(g, "we", pu_shp(4, (int64_t)8, (int64_t)16, (int64_t)3, (int64_t)3), &r,
                            -0.2f, 0.2f);
    const int H1 = pu_op(g, "h1", "Add", (int[]){D, c3}, 2, "H1");
    const int H2 = pu_op(g, "h2", "Clip", (int[]){H1, c0, c6}, 3, "H2");
    const int H3 = pu_op(g, "h3", "Mul", (int[]){D, H2}, 2, "H3");
    const int H4 = pu_op(g, "h4", "Div", (int[]){H3, c6}, 2, "H4");
    const int E = pu_op(g, "e", "Conv", (int[]){H4, we}, 2, "E");
    const int R2 = pu_op(g, "r2", "Relu", (int[]){H2}, 1, "R2");
    const char *convs[] = {"a", "b", "c", "d", "e"}, *pools[] = {"p", "bp"};
    for (int k = 0; k < 5; k++) {
        const int nd = (int)(pu_node_named(g, convs[k]) - g->nodes);
        const int64_t ks = k == 2 ? 1 : 3;
        pu_attr_ints_v(g, nd, "kernel_shape", 2, ks, ks);
        pu_attr_ints_v(g, nd, "pads", 4, ks / 2, ks / 2, ks / 2, ks / 2);
    }
    for (int k = 0; k < 2; k++) { /* 3x3 / 2 padded all round, and 2x2 / 2 padded top-left */
        const int nd = (int)(pu_node_named(g, pools[k]) - g->nodes);
        const int64_t ks = k == 0 ? 3 : 2, pe = k == 0 ? 1 : 0;
        pu_attr_ints_v(g, nd, "kernel_shape", 2, ks, ks);
        pu_attr_ints_v(g, nd, "strides", 2, (int64_t)2, (int64_t)2);
        pu_attr_ints_v(g, nd, "pads", 4, (int64_t)1, (int64_t)1, pe, pe);
    }
    pu_output(g, F);
    pu_output(g, G);
    pu_output(g, E);
    pu_output(g, R2);
    c8_error err = {0};
    if (pu_finish(g, false, &err) != C8_OK) printf("\n  conv chain graph: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(err.code, C8_OK);
    /* A: ReLU, read by B as input and as residual (never written NCHW); B: Clip, read by C, by
     * the pool Bp and by a Relu (written); C: read by the pool P only (never written); P: read
     * by D only (never written); D: LeakyRelu, read by the Add (written); Bp: read by the Add */
    c8_node *n = (c8_node *)pu_producer(g, "A");
    n->fusion.act = C8_ACT_RELU;
    n = (c8_node *)pu_producer(g, "B");
    n->fusion.residual = A;
    n->fusion.act = C8_ACT_CLIP, n->fusion.act_a = -0.5f, n->fusion.act_b = 0.8f;
    n = (c8_node *)pu_producer(g, "D");
    n->fusion.act = C8_ACT_LEAKY_RELU, n->fusion.act_a = 0.1f;
    const int64_t nx = 3 * 8 * 9 * 11;
    float *xv = rand_floats(&r, nx, -1, 1);
    c8_host_tensor in = {0};
    in.name = "x";
    in.dtype = C8_DT_FLOAT;
    in.shape = pu_shp(4, (int64_t)3, (int64_t)8, (int64_t)9, (int64_t)11);
    in.data = xv;
    int64_t ny = 0, ny2 = 0;
    int seen = 0;
    /* a first run on other values: nothing of it may show in the second */
    float *xv0 = rand_floats(&r, nx, -3, 3);
    c8_host_tensor in0 = in;
    in0.data = xv0;
    float *ref = chain_run(g, C8_DEVICE_CPU_REF, NULL, &in, 1, false, &ny, &seen);
    CU_ASSERT_FATAL(ref != NULL);
    ny /= 4;
    float *base = NULL;
    for (int variant = 0; variant < 6; variant++) {
        const int threads = 1 + variant % 2;
        const bool observe = variant >= 4, no_share = variant == 2 || variant == 3;
        if (no_share) setenv("C8_DNNL_NO_SHARE", "1", 1);
        seen = 0;
        float *got = chain_run(g, C8_DEVICE_CPU, &in0, &in, threads, observe, &ny2, &seen);
        unsetenv("C8_DNNL_NO_SHARE");
        CU_ASSERT_FATAL(got != NULL && ny2 == ny * 4);
        if (observe) CU_ASSERT(seen >= 2 * 6); /* x and every node's output, two runs */
        double worst = 0;
        for (int64_t i = 0; i < ny; i++) {
            const double e = fabs((double)got[i] - ref[i]) / (1.0 + fabs((double)ref[i]));
            if (e > worst) worst = e;
        }
        CU_ASSERT(worst <= 1e-5);
        if (!base) {
            base = got;
            continue;
        }
        const bool same = memcmp(base, got, (size_t)ny * 4) == 0;
        if (!same || worst > 1e-5)
            printf("\n  conv chain variant %d (threads %d, observer %d, sharing %s): %s, "
                   "worst %.3g against the reference",
                   variant, threads, observe, no_share ? "off" : "on",
                   same ? "same bits" : "bits differ", worst);
        CU_ASSERT(same);
        free(got);
    }
    free(base), free(ref), free(xv), free(xv0);
    c8_graph_destroy(g);
}

/* A Q8Conv of chain_i8 (int8 output, weights in [-127, 127], bias, multipliers that keep the
 * outputs spread over the int8 range). */
static int q8_chain_conv(c8_graph *g, c8t_rng *r, const char *name, int x, int res, int64_t c,
                         int64_t k, int64_t kern, int64_t stride, int act) {
    int8_t *wv = rand_i8(r, k * c * kern * kern, -127, 127);
    int32_t *bv = malloc((size_t)k * 4);
    float *mv = malloc((size_t)k * 4);
    for (int64_t i = 0; i < k; i++) {
        bv[i] = c8t_randint(r, -3000, 3000);
        mv[i] = c8t_uniform(r, 1e-3f, 4e-3f);
    }
    char wn[32], bn[32], mn[32];
    snprintf(wn, sizeof wn, "%s_w", name);
    snprintf(bn, sizeof bn, "%s_b", name);
    snprintf(mn, sizeof mn, "%s_m", name);
    const int w = pu_const_vals(g, wn, pu_shp(4, k, c, kern, kern), C8_DT_INT8, wv);
    const int b = pu_const_vals(g, bn, pu_shp(1, k), C8_DT_INT32, bv);
    const int m = pu_const_vals(g, mn, pu_shp(1, k), C8_DT_FLOAT, mv);
    const int y = c8_graph_add_value(g, name, C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
    const int ins[5] = {x, w, b, m, res};
    const int node =
        c8_graph_add_node(g, name, "Q8Conv", "", C8_OP_Q8_CONV, ins, res >= 0 ? 5 : 4, &y, 1);
    pu_attr_i(g, node, "group", 1);
    pu_attr_ints_v(g, node, "strides", 2, stride, stride);
    pu_attr_ints_v(g, node, "dilations", 2, (int64_t)1, (int64_t)1);
    const int64_t pad = kern / 2;
    pu_attr_ints_v(g, node, "pads", 4, pad, pad, pad, pad);
    pu_attr_i(g, node, "out", C8_QOUT_INT8);
    if (res >= 0) pu_attr_f(g, node, "res_mult", 0.6f);
    set_act(g, node, act, C8_QOUT_INT8);
    free(wv), free(bv), free(mv);
    return y;
}

/* Channels-last int8 between convolutions (kernels/cpu/dnnl_conv.c): every way a record is made
 * and read, against the reference engine byte for byte, on 1 and 2 threads, with the sharing off
 * (C8_DNNL_NO_SHARE), with an observer (every NCHW copy written) and without the signed integer
 * route (C8_DNNL_NO_S8):
 *   A = conv(x) ReLU: x has negative values (the signed route, or the float32 route, then A's
 *       record made from its NCHW output); B = conv(A) + residual A, no activation: input and
 * residual taken as records, the epilogue writing rows; C = conv(B) 1x1 ReLU: B has negative values
 * (the signed route reads its record as it is; the float32 route moves it back to NCHW); C is also
 * a graph output (NCHW written); D = conv(C) + residual B, Clip: a graph output alone (no record),
 * its residual a record moved to NCHW; E = conv(A) stride 2, LeakyReLU: a record read by a second
 * reader. */
static void int8_chain(int64_t n, int64_t h, int64_t w, int64_t ke, bool bands) {
    c8t_rng r = {0x18C4};
    c8_graph *g = pu_graph(13);
    const c8_shape xs = pu_shp(4, n, (int64_t)8, h, w);
    const int x = pu_input(g, "x", xs);
    g->vals[x].dtype = C8_DT_INT8;
    const int A = q8_chain_conv(g, &r, "A", x, -1, 8, 16, 3, 1, 1);
    const int B = q8_chain_conv(g, &r, "B", A, A, 16, 16, 3, 1, 0);
    const int C = q8_chain_conv(g, &r, "C", B, -1, 16, 24, 1, 1, 1);
    const int D = q8_chain_conv(g, &r, "D", C, B, 24, 16, 3, 1, 2);
    const int E = q8_chain_conv(g, &r, "E", A, -1, 16, ke, 3, 2, 3);
    pu_output(g, B); /* (its NCHW copy written too; so the test sees its values) */
    pu_output(g, C);
    pu_output(g, D);
    pu_output(g, E);
    c8_error err = {0};
    if (pu_finish(g, false, &err) != C8_OK) printf("\n  int8 chain graph: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(err.code, C8_OK);
    const int64_t nx = c8_shape_numel(&xs);
    int8_t *xv = rand_i8(&r, nx, -127, 127), *xv0 = rand_i8(&r, nx, -127, 127);
    c8_host_tensor in = {0};
    in.name = "x";
    in.dtype = C8_DT_INT8;
    in.shape = xs;
    in.data = xv;
    c8_host_tensor in0 = in;
    in0.data = xv0;
    int64_t nb = 0, nb2 = 0;
    int seen = 0;
    unsigned char *ref = chain_run(g, C8_DEVICE_CPU_REF, NULL, &in, 1, false, &nb, &seen);
    CU_ASSERT_FATAL(ref != NULL && nb > 0);
    /* B (the first output) must have negative values, so that C takes the float32 route; A,
     * after its ReLU, has none (B and E the integer route) */
    int negb = 0;
    for (int64_t i = 0; i < n * 16 * h * w; i++) negb += (signed char)ref[i] < 0;
    CU_ASSERT(negb > 0);
    /* variants 6 and 7: without the signed integer route (CPUs without VNNI): A and C on the
     * float32 route, C moving B's record back to NCHW; 8 and 9 (bands): on whole images
     * (C8_DNNL_NO_BANDS) */
    for (int variant = 0; variant < (bands ? 10 : 8); variant++) {
        const int threads = 1 + variant % 2;
        const bool observe = variant == 4 || variant == 5, no_share = variant == 2 || variant == 3;
        if (no_share) setenv("C8_DNNL_NO_SHARE", "1", 1);
        if (variant == 6 || variant == 7) setenv("C8_DNNL_NO_S8", "1", 1);
        if (variant >= 8) setenv("C8_DNNL_NO_BANDS", "1", 1);
        seen = 0;
        unsigned char *got = chain_run(g, C8_DEVICE_CPU, &in0, &in, threads, observe, &nb2, &seen);
        unsetenv("C8_DNNL_NO_SHARE");
        unsetenv("C8_DNNL_NO_S8");
        unsetenv("C8_DNNL_NO_BANDS");
        CU_ASSERT_FATAL(got != NULL && nb2 == nb);
        if (observe) CU_ASSERT(seen >= 2 * 6); /* x and every node's output, two runs */
        int64_t diff = 0;
        for (int64_t i = 0; i < nb; i++) diff += got[i] != ref[i];
        if (diff)
            printf("\n  int8 chain %lldx8x%lldx%lld variant %d (threads %d, observer %d, sharing "
                   "%s, signed route %s, bands %s): %lld of %lld bytes differ from the reference",
                   (long long)n, (long long)h, (long long)w, variant, threads, observe,
                   no_share ? "off" : "on", variant == 6 || variant == 7 ? "off" : "on",
                   !bands         ? "-"
                   : variant >= 8 ? "off"
                                  : "on",
                   (long long)diff, (long long)nb);
        CU_ASSERT_EQUAL(diff, 0);
        free(got);
    }
    free(ref), free(xv), free(xv0);
    c8_graph_destroy(g);
}

static void test_int8_chain(void) {
    int8_chain(2, 9, 11, 8, false);
    /* bands of output rows (one image's int32 sums over 256 KB): a 71 x 75 image, A, B and D
     * (3x3, a padding row above and below) in a band of 54 rows and a last one of 17, C (1x1: no
     * padding, its input as it is) in 36 and 35, E (stride 2, 64 channels) in two of 18 */
    int8_chain(1, 71, 75, 64, true);
}

static void test_quantize(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    c8t_rng r = {7000};
    for (int variant = 0; variant < 4; variant++) {
        const float scale = variant % 2 ? 0.0371f : 0.5f; /* 0.5: x * 2 hits exact ties */
        const int64_t n = variant < 2 ? 1027 : 70001;     /* 70001: two 64K thread chunks */
        c8_graph *g = pu_graph(13);
        int x = pu_val_in(g, "x", C8_DT_FLOAT, pu_shp(2, (int64_t)1, n));
        int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
        int node =
            c8_graph_add_node(g, "q", "Q8Quantize", "", C8_OP_Q8_QUANTIZE, (int[]){x}, 1, &ys, 1);
        pu_attr_f(g, node, "scale", scale);
        CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:quantize");
        float *xv = rand_floats(&r, n, -70, 70);
        for (int64_t i = 0; i < n; i++) {
            if (i % 4 == 0) xv[i] = (float)(c8t_randint(&r, -140, 140)) * 0.5f * scale;
            if (i % 97 == 1) xv[i] = i % 3 ? (i % 2 ? INFINITY : -INFINITY) : NAN;
            if (i % 89 == 2) xv[i] = -0.0f;
        }
        void *data[1] = {xv}, *ref = NULL, *got = NULL;
        CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
        char what[48];
        snprintf(what, sizeof what, "quantize v%d", variant);
        CU_ASSERT(same_bytes(what, 7000, ref, got, (size_t)n));
        free(xv), free(ref), free(got);
        c8_graph_destroy(g);
    }
    for (int variant = 0; variant < 8; variant++) {
        const int64_t n = 256 * 3 + 5;
        c8_graph *g = pu_graph(13);
        int x = pu_val_in(g, "x", C8_DT_INT8, pu_shp(2, (int64_t)1, n));
        int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
        int node = c8_graph_add_node(g, "rq", "Q8Requantize", "", C8_OP_Q8_REQUANTIZE, (int[]){x},
                                     1, &ys, 1);
        pu_attr_f(g, node, "mult", variant / 4 ? 0.5f : 1.37f); /* 0.5: ties */
        set_act(g, node, variant, C8_QOUT_INT8);
        CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:requantize");
        int8_t *xv = malloc((size_t)n);
        for (int64_t i = 0; i < n; i++) xv[i] = (int8_t)(i % 256 - 128);
        void *data[1] = {xv}, *ref = NULL, *got = NULL;
        CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
        char what[48];
        snprintf(what, sizeof what, "requantize v%d", variant);
        CU_ASSERT(same_bytes(what, 7100, ref, got, (size_t)n));
        free(xv), free(ref), free(got);
        c8_graph_destroy(g);
    }
    /* Q8Dequantize: every int8 value, 70001 of them (two 64K thread chunks, a scalar tail) */
    for (int variant = 0; variant < 2; variant++) {
        const int64_t n = variant ? 70001 : 259;
        c8_graph *g = pu_graph(13);
        int x = pu_val_in(g, "x", C8_DT_INT8, pu_shp(2, (int64_t)1, n));
        int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
        int node = c8_graph_add_node(g, "dq", "Q8Dequantize", "", C8_OP_Q8_DEQUANTIZE, (int[]){x},
                                     1, &ys, 1);
        pu_attr_f(g, node, "scale", 0.0371f);
        CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:dequantize");
        int8_t *xv = malloc((size_t)n);
        for (int64_t i = 0; i < n; i++) xv[i] = (int8_t)(i % 256 - 128);
        void *data[1] = {xv}, *ref = NULL, *got = NULL;
        CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
        CU_ASSERT(same_bytes("dequantize", 7200, ref, got, (size_t)n * 4));
        free(xv), free(ref), free(got);
        c8_graph_destroy(g);
    }
    /* Q8Concat on the channel axis of three inputs (multipliers 1, 0.5 with ties, 1.37; every
     * int8 value, -128 included, which a multiplier of 1 still rounds to -127), and on the last
     * axis */
    for (int variant = 0; variant < 2; variant++) {
        const int64_t N = 3, H = 5, W = 7, ch[3] = {3, 8, 5};
        const float mults[3] = {1.0f, 0.5f, 1.37f};
        c8_graph *g = pu_graph(13);
        int xs[3];
        int8_t *xv[3];
        int64_t total = 0;
        for (int k = 0; k < 3; k++) {
            char nm[8];
            snprintf(nm, sizeof nm, "x%d", k);
            const c8_shape sh = variant ? pu_shp(4, N, H, W, ch[k]) : pu_shp(4, N, ch[k], H, W);
            xs[k] = pu_val_in(g, nm, C8_DT_INT8, sh);
            const int64_t cnt = c8_shape_numel(&sh);
            xv[k] = malloc((size_t)cnt);
            for (int64_t i = 0; i < cnt; i++) xv[k][i] = (int8_t)((i * 7 + k * 31) % 256 - 128);
            total += cnt;
        }
        int ys = c8_graph_add_value(g, "y", C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
        int node = c8_graph_add_node(g, "cat", "Q8Concat", "", C8_OP_Q8_CONCAT, xs, 3, &ys, 1);
        pu_attr_i(g, node, "axis", variant ? 3 : 1);
        pu_attr_floats(g, node, "mults", 3, mults);
        CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
        CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL), "cpu:concat int8");
        void *data[3] = {xv[0], xv[1], xv[2]}, *ref = NULL, *got = NULL;
        CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
        CU_ASSERT(same_bytes(variant ? "concat last axis" : "concat channels", 7300, ref, got,
                             (size_t)total));
        for (int k = 0; k < 3; k++) free(xv[k]);
        free(ref), free(got);
        c8_graph_destroy(g);
    }
    c8_dnnl_ctx_destroy(ctx);
}

/* FP32 Relu and BatchNormalization (unfused, as calibration's engines run them) byte for byte
 * against the reference, with NaN, +-Inf and signed zeros; odd extents leave scalar tails. */
static void test_relu_bn(void) {
    c8_dnnl_ctx *ctx = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_dnnl_ctx_create(&ctx, &err), C8_OK);
    c8t_rng r = {7200};
    static const int64_t shapes[][4] = {{1, 1, 1, 1}, {2, 3, 7, 9}, {4, 33, 5, 5}, {1, 8, 28, 28}};
    for (int op = 0; op < 2; op++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            const int64_t *d = shapes[si];
            c8_graph *g = pu_graph(13);
            int x = pu_val_in(g, "x", C8_DT_FLOAT, pu_shp(4, d[0], d[1], d[2], d[3]));
            if (op == 0) {
                pu_node(g, "relu", "Relu", (int[]){x}, 1, (const char *[]){"y"}, 1, NULL);
            } else {
                int sc = pu_const(g, "s", pu_shp(1, d[1]), &r, -2, 2);
                int b = pu_const(g, "b", pu_shp(1, d[1]), &r, -1, 1);
                int mu = pu_const(g, "m", pu_shp(1, d[1]), &r, -1, 1);
                int var = pu_const(g, "v", pu_shp(1, d[1]), &r, 0, 3);
                int node = pu_node(g, "bn", "BatchNormalization", (int[]){x, sc, b, mu, var}, 5,
                                   (const char *[]){"y"}, 1, NULL);
                pu_attr_f(g, node, "epsilon", 1e-3f);
            }
            CU_ASSERT_EQUAL_FATAL(pu_finish(g, false, &err), C8_OK);
            CU_ASSERT_STRING_EQUAL(c8_dnnl_kernel(g, &g->nodes[0], NULL, NULL),
                                   op == 0 ? "cpu:relu" : "cpu:batchnorm");
            int64_t nx = c8_shape_numel(&g->vals[x].shape);
            float *xv = rand_floats(&r, nx, -5, 5);
            static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN};
            for (int64_t i = 0; i < nx; i += 3) xv[i] = special[c8t_randint(&r, 0, 4)];
            void *data[5] = {xv, NULL, NULL, NULL, NULL}, *ref = NULL, *got = NULL;
            CU_ASSERT_FATAL(run_both(ctx, g, data, NULL, &ref, &got));
            char what[64];
            snprintf(what, sizeof what, "%s shape %zu", op ? "batchnorm" : "relu", si);
            CU_ASSERT(same_bytes(what, 7200, ref, got, bytes_of(g, g->nodes[0].out[0])));
            free(xv), free(ref), free(got);
            c8_graph_destroy(g);
        }
    c8_dnnl_ctx_destroy(ctx);
}

static const c8_test_case cases[] = {
    {"requant_ties", test_requant_ties},
    {"fp32_conv", test_fp32_conv},
    {"fp32_gemm", test_fp32_gemm},
    {"fp32_products_threads", test_fp32_products_threads},
    {"fp32_matmul", test_fp32_matmul},
    {"fp32_convtranspose", test_fp32_convtranspose},
    {"fp32_resize", test_resize},
    {"q8_global_avgpool", test_q8_gap},
    {"q8_mul", test_q8_mul},
    {"int8_resize", test_int8_resize},
    {"sigmoid", test_sigmoid},
    {"int8_add", test_int8_add},
    {"int8_conv", test_int8_conv},
    {"int8_gemm", test_int8_gemm},
    {"int8_split", test_int8_split},
    {"maxpool", test_maxpool},
    {"layout", test_layout},
    {"quantize", test_quantize},
    {"relu_bn", test_relu_bn},
    {"eltwise", test_eltwise},
    {"conv_chain", test_conv_chain},
    {"int8_chain", test_int8_chain},
};
C8T_MAIN("dnnl", cases)
