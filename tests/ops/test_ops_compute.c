/* Op-level tests for the compute family (ops/compute.c): tiny graphs built with the IR
 * API, then check / infer / run called directly. Covers attribute -> descriptor translation
 * (against float64 references and ONNX conformance data copied to tests/ops/data/onnx by
 * data/dump_onnx_cases.py), opset-dependent semantics (Softmax, Gemm's C, BatchNorm forms),
 * fused epilogues, unknown extents, and error cases (bad attributes, bad group, mismatched
 * channels, overflowing dims): a clear message naming the node, never a crash. */
#include "c8test.h"
#include "kit/graph.h"
#include "tests/kernels/ref64.h"

#include "ops/ir.h"
#include "ops/ops.h"
#include "util/shape.h"
#include "util/npy.h"

#include <math.h>
#include <stdarg.h>

#define DATA_DIR C8_SOURCE_DIR "/tests/ops/data/onnx"
/* ONNX conformance tolerance (the issue's): expected outputs come from numpy, often float64. */
#define CONF_RTOL 1e-4
#define CONF_ATOL 1e-5

extern const c8_op_def c8_ops_compute_table[];

static const c8_op_def *def_of(c8_op op) {
    for (const c8_op_def *d = c8_ops_compute_table; d->op != C8_OP_UNKNOWN; d++)
        if (d->op == op) return d;
    return NULL;
}

/* ---- graph building (tests/kit/graph.h: pu_shp, pu_val_in, pu_val_act, pu_attr_*) ---- */

#define I(x) ((int64_t)(x))

/* A graph with one node: op reading values in[] and writing one fresh output "y". */
typedef struct one_node {
    c8_graph *g;
    int node;
    int y;
} one_node;

static one_node new_graph(const char *path, int64_t opset) {
    one_node t;
    t.g = c8_graph_create(path);
    t.g->opset = opset;
    t.node = -1;
    t.y = -1;
    return t;
}

static void finish_node(one_node *t, const char *name, const char *op_type, c8_op op, const int *in,
                        int n_in, int n_out) {
    int out[4];
    t->y = pu_val_act(t->g, "y");
    out[0] = t->y;
    for (int k = 1; k < n_out; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "y%d", k);
        out[k] = pu_val_act(t->g, nm);
    }
    t->node = c8_graph_add_node(t->g, name, op_type, "", op, in, n_in, out, n_out);
    CU_ASSERT_FATAL(t->node >= 0);
}

static c8_status check_infer(one_node *t, c8_error *err) {
    c8_node *n = &t->g->nodes[t->node];
    const c8_op_def *d = def_of(n->op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    c8_status s = d->check(t->g, n, err);
    if (s != C8_OK) return s;
    return d->infer(t->g, n, err);
}

/* Runs the node with the given input arrays (NULL for absent optional inputs) into a fresh
 * output buffer (returned; caller frees). residual may be NULL. */
static float *run_node(one_node *t, const float *const *inputs, const float *residual,
                       c8_status *st, c8_error *err) {
    c8_node *n = &t->g->nodes[t->node];
    const c8_op_def *d = def_of(n->op);
    c8_host_tensor in[8], out[4], res;
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    for (int k = 0; k < n->n_in; k++) {
        if (n->in[k] < 0) continue;
        const c8_value *v = &t->g->vals[n->in[k]];
        in[k].name = v->name;
        in[k].dtype = v->dtype;
        in[k].shape = v->shape;
        in[k].data = (void *)inputs[k];
    }
    const c8_value *yv = &t->g->vals[t->y];
    int64_t ny = c8_shape_numel(&yv->shape);
    float *y = calloc((size_t)(ny > 0 ? ny : 1), sizeof(float));
    out[0].name = yv->name;
    out[0].dtype = yv->dtype;
    out[0].shape = yv->shape;
    out[0].data = y;
    const c8_host_tensor *resp = NULL;
    if (residual) {
        const c8_value *rv = &t->g->vals[n->fusion.residual];
        res.name = rv->name;
        res.dtype = rv->dtype;
        res.shape = rv->shape;
        res.data = (void *)residual;
        resp = &res;
    }
    c8_op_run r = {t->g, n, in, out, resp};
    *st = d->run(&r, err);
    return y;
}

static void expect_shape(const c8_graph *g, int v, c8_shape want) {
    char a[128], b[128];
    const c8_shape *got = &g->vals[v].shape;
    if (!c8_shape_equal(got, &want))
        printf("\n  %s: got %s want %s\n", g->vals[v].name, c8_shape_str(got, a, sizeof a),
               c8_shape_str(&want, b, sizeof b));
    CU_ASSERT_TRUE(c8_shape_equal(got, &want));
    CU_ASSERT_EQUAL(g->vals[v].dtype, C8_DT_FLOAT);
}

/* Asserts status s and that the message names the model, the node and contains `needle`. */
static void expect_err(c8_status got, c8_status want, const c8_error *err, const char *node,
                       const char *needle) {
    if (got != want || !strstr(err->msg, node) || (needle && !strstr(err->msg, needle)))
        printf("\n  status %d (want %d): %s\n  (expected to contain '%s' and '%s')\n", (int)got,
               (int)want, err->msg, node, needle ? needle : "");
    CU_ASSERT_EQUAL(got, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->msg, "m.onnx: node '"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->msg, node));
    if (needle) CU_ASSERT_PTR_NOT_NULL(strstr(err->msg, needle));
}

/* ---- Conv ---- */

/* Conv with strides, asymmetric pads, dilation and groups: shape and values vs the float64
 * direct convolution. */
static void test_conv_op(void) {
    const uint64_t seed = 11;
    c8t_rng r = {seed};
    one_node t = new_graph("m.onnx", 13);
    int in[3] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(2), I(6), I(9), I(8))),
                 pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(9), I(2), I(3), I(2))),
                 pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(1, I(9)))};
    finish_node(&t, "conv1", "Conv", C8_OP_CONV, in, 3, 1);
    pu_attr_i(t.g, t.node, "group", 3);
    pu_attr_ints_v(t.g, t.node, "strides", 2, I(2), I(1));
    pu_attr_ints_v(t.g, t.node, "pads", 4, I(1), I(0), I(2), I(1));
    pu_attr_ints_v(t.g, t.node, "dilations", 2, I(1), I(2));
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    /* H: (9 + 1 + 2 - 3) / 2 + 1 = 5; W: (8 + 0 + 1 - 3) / 1 + 1 = 7 */
    expect_shape(t.g, t.y, pu_shp(4, I(2), I(9), I(5), I(7)));
    float *x = frand(&r, 2 * 6 * 9 * 8, -1, 1), *w = frand(&r, 9 * 2 * 3 * 2, -1, 1);
    float *b = frand(&r, 9, -1, 1);
    const float *ins[3] = {x, w, b};
    c8_status st;
    float *y = run_node(&t, ins, NULL, &st, &err);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    c8_conv_desc d = {.N = 2,
                      .C = 6,
                      .K = 9,
                      .group = 3,
                      .nsp = 2,
                      .in = {9, 8},
                      .out = {5, 7},
                      .kernel = {3, 2},
                      .stride = {2, 1},
                      .dilation = {1, 2},
                      .pad_begin = {1, 0},
                      .pad_end = {2, 1}};
    const int64_t ny = 2 * 9 * 5 * 7;
    double *ref = dalloc(ny), *tol = dalloc(ny);
    int64_t nterms;
    conv64(&d, x, w, b, ref, tol, &nterms);
    for (int64_t i = 0; i < ny; i++) tol[i] *= (double)(nterms + SUM_SLACK) * U32;
    check_close("Conv op", seed, y, ref, tol, ny);
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
    free(tol);
    c8_graph_destroy(t.g);
}

/* auto_pad forms and kernel_shape taken from W; 1-D and 3-D; unknown batch propagates. */
static void test_conv_shapes(void) {
    struct {
        const char *auto_pad;
        int64_t in, k, s, out;
    } cases[] = {{"SAME_UPPER", 7, 3, 2, 4},
                 {"SAME_LOWER", 8, 4, 3, 3},
                 {"VALID", 7, 3, 2, 3},
                 {"NOTSET", 7, 3, 2, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        one_node t = new_graph("m.onnx", 11);
        int in[2] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(3, I(-1), I(3), cases[i].in)),
                     pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(3, I(5), I(3), cases[i].k))};
        finish_node(&t, "c", "Conv", C8_OP_CONV, in, 2, 1);
        pu_attr_s(t.g, t.node, "auto_pad", cases[i].auto_pad);
        pu_attr_ints_v(t.g, t.node, "strides", 1, cases[i].s);
        c8_error err = {0};
        CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
        expect_shape(t.g, t.y, pu_shp(3, I(-1), I(5), cases[i].out));
        c8_graph_destroy(t.g);
    }
    /* 3-D with unknown spatial extent: that extent stays unknown */
    one_node t = new_graph("m.onnx", 11);
    int in[2] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(5, I(1), I(2), I(5), I(-1), I(6))),
                 pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(5, I(4), I(2), I(3), I(3), I(3)))};
    finish_node(&t, "c3", "Conv", C8_OP_CONV, in, 2, 1);
    pu_attr_ints_v(t.g, t.node, "pads", 6, I(1), I(1), I(0), I(1), I(1), I(0));
    c8_error err = {0};
    CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
    expect_shape(t.g, t.y, pu_shp(5, I(1), I(4), I(5), I(-1), I(4)));
    c8_graph_destroy(t.g);
    /* unknown input rank: output rank unknown, no error */
    t = new_graph("m.onnx", 11);
    in[0] = c8_graph_add_value(t.g, "x", C8_VAL_INPUT, C8_DT_FLOAT, NULL);
    in[1] = c8_graph_add_value(t.g, "w", C8_VAL_INPUT, C8_DT_FLOAT, NULL);
    finish_node(&t, "c4", "Conv", C8_OP_CONV, in, 2, 1);
    CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
    CU_ASSERT_EQUAL(t.g->vals[t.y].shape.rank, -1);
    c8_graph_destroy(t.g);
}

/* FusedConv and plain Conv with a fusion record: y = act(conv(x) + b + residual). */
static void test_fused_conv(void) {
    const c8_act acts[] = {C8_ACT_RELU,    C8_ACT_CLIP,      C8_ACT_LEAKY_RELU,
                           C8_ACT_SIGMOID, C8_ACT_HARDSWISH, C8_ACT_NONE};
    for (int op = 0; op < 2; op++)
        for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++)
            for (int with_res = 0; with_res < 2; with_res++) {
                const uint64_t seed = 100 + ai * 2 + with_res;
                c8t_rng r = {seed};
                const c8_op opc = op ? C8_OP_FUSED_CONV : C8_OP_CONV;
                const char *opt = op ? "FusedConv" : "Conv";
                one_node t = new_graph("m.onnx", 13);
                int in[3] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(3), I(5), I(5))),
                             pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(7), I(3), I(3), I(3))),
                             pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(1, I(7)))};
                int rv = pu_val_in(t.g, "res", C8_DT_FLOAT, pu_shp(4, I(1), I(7), I(5), I(5)));
                finish_node(&t, "f", opt, opc, in, 3, 1);
                pu_attr_ints_v(t.g, t.node, "pads", 4, I(1), I(1), I(1), I(1));
                c8_fusion *f = &t.g->nodes[t.node].fusion;
                f->act = acts[ai];
                f->act_a = acts[ai] == C8_ACT_CLIP ? -0.5f : 0.2f;
                f->act_b = 0.75f;
                f->residual = with_res ? rv : -1;
                c8_error err = {0};
                CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
                expect_shape(t.g, t.y, pu_shp(4, I(1), I(7), I(5), I(5)));
                float *x = frand(&r, 75, -1, 1), *w = frand(&r, 189, -1, 1);
                float *b = frand(&r, 7, -1, 1), *res = frand(&r, 175, -2, 2);
                const float *ins[3] = {x, w, b};
                c8_status st;
                float *y = run_node(&t, ins, with_res ? res : NULL, &st, &err);
                CU_ASSERT_EQUAL_FATAL(st, C8_OK);
                c8_conv_desc d = {.N = 1,
                                  .C = 3,
                                  .K = 7,
                                  .group = 1,
                                  .nsp = 2,
                                  .in = {5, 5},
                                  .out = {5, 5},
                                  .kernel = {3, 3},
                                  .stride = {1, 1},
                                  .dilation = {1, 1},
                                  .pad_begin = {1, 1},
                                  .pad_end = {1, 1}};
                double ref[175], tol[175];
                int64_t nterms;
                conv64(&d, x, w, b, ref, tol, &nterms);
                for (int i = 0; i < 175; i++) {
                    double v = ref[i] + (with_res ? res[i] : 0.0);
                    const double pre = v;
                    double t_abs = tol[i] + (with_res ? fabs((double)res[i]) : 0.0);
                    switch (acts[ai]) {
                    case C8_ACT_RELU: v = v > 0 ? v : 0; break;
                    case C8_ACT_CLIP: v = fmin(fmax(v, -0.5), 0.75); break;
                    case C8_ACT_LEAKY_RELU: v = v < 0 ? 0.2 * v : v; break;
                    case C8_ACT_SIGMOID: v = 1 / (1 + exp(-v)); break;
                    case C8_ACT_HARDSWISH: /* x * clip(x + 3, 0, 6) / 6, then * 0.2 + 0.75 */
                        v = v * fmin(fmax(v + 3, 0), 6) / 6 * 0.2 + 0.75;
                        break;
                    default: break;
                    }
                    ref[i] = v;
                    /* the activations are 1-Lipschitz (sigmoid 1/4): the sum's bound carries
                     * over, plus a rounding of the activation itself */
                    tol[i] = (double)(nterms + SUM_SLACK + 1) * U32 * t_abs + 4 * U32 * fabs(v);
                    /* hard-swish: slope up to 1.5 (x 0.2), six roundings of values up to |x| */
                    if (acts[ai] == C8_ACT_HARDSWISH)
                        tol[i] += (double)(nterms + SUM_SLACK + 1) * U32 * t_abs +
                                  8 * U32 * (1 + fabs(pre));
                }
                char what[96];
                snprintf(what, sizeof what, "%s act %d residual %d", opt, (int)acts[ai], with_res);
                check_close(what, seed, y, ref, tol, 175);
                free(x);
                free(w);
                free(b);
                free(res);
                free(y);
                c8_graph_destroy(t.g);
            }
}

/* Gemm with a fused activation and residual. */
static void test_fused_gemm(void) {
    const uint64_t seed = 200;
    c8t_rng r = {seed};
    one_node t = new_graph("m.onnx", 13);
    int in[3] = {pu_val_in(t.g, "a", C8_DT_FLOAT, pu_shp(2, I(3), I(5))),
                 pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(2, I(4), I(5))),
                 pu_val_in(t.g, "c", C8_DT_FLOAT, pu_shp(1, I(4)))};
    int rv = pu_val_in(t.g, "res", C8_DT_FLOAT, pu_shp(2, I(3), I(4)));
    finish_node(&t, "fc", "Gemm", C8_OP_GEMM, in, 3, 1);
    pu_attr_i(t.g, t.node, "transB", 1);
    pu_attr_f(t.g, t.node, "alpha", 0.5f);
    t.g->nodes[t.node].fusion.act = C8_ACT_RELU;
    t.g->nodes[t.node].fusion.residual = rv;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    expect_shape(t.g, t.y, pu_shp(2, I(3), I(4)));
    float *a = frand(&r, 15, -1, 1), *b = frand(&r, 20, -1, 1), *c = frand(&r, 4, -1, 1);
    float *res = frand(&r, 12, -1, 1);
    const float *ins[3] = {a, b, c};
    c8_status st;
    float *y = run_node(&t, ins, res, &st, &err);
    CU_ASSERT_EQUAL_FATAL(st, C8_OK);
    double ref[12], tol[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            double acc = 0, as = 0;
            for (int k = 0; k < 5; k++) {
                acc += (double)a[i * 5 + k] * b[j * 5 + k];
                as += fabs((double)a[i * 5 + k] * b[j * 5 + k]);
            }
            const double v = 0.5 * acc + c[j] + res[i * 4 + j];
            ref[i * 4 + j] = v > 0 ? v : 0;
            tol[i * 4 + j] =
                (5 + SUM_SLACK + 2) * U32 * (as + fabs((double)c[j]) + fabs(res[i * 4 + j]));
        }
    check_close("fused Gemm", seed, y, ref, tol, 12);
    /* residual of the wrong shape is refused at infer */
    t.g->vals[rv].shape = pu_shp(2, I(3), I(5));
    CU_ASSERT_EQUAL(check_infer(&t, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "residual 'res'"));
    free(a);
    free(b);
    free(c);
    free(res);
    free(y);
    c8_graph_destroy(t.g);
}

/* ---- ONNX conformance data through the op layer ---- */

typedef struct onnx_case {
    const char *name;
    c8_op op;
    const char *op_type;
    int64_t opset;
    void (*attrs)(c8_graph *g, int n);
} onnx_case;

static void a_conv_asym(c8_graph *g, int n) {
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(3), I(3));
    pu_attr_ints_v(g, n, "pads", 4, I(1), I(0), I(1), I(0));
    pu_attr_ints_v(g, n, "strides", 2, I(2), I(2));
}
static void a_conv_same(c8_graph *g, int n) {
    pu_attr_s(g, n, "auto_pad", "SAME_LOWER");
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(3), I(3));
    pu_attr_ints_v(g, n, "strides", 2, I(2), I(2));
}
static void a_convt_same(c8_graph *g, int n) {
    pu_attr_s(g, n, "auto_pad", "SAME_UPPER");
    pu_attr_ints_v(g, n, "strides", 2, I(2), I(2));
}
static void a_convt_kshape(c8_graph *g, int n) {
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(3), I(3));
    pu_attr_ints_v(g, n, "output_padding", 2, I(1), I(1));
    pu_attr_ints_v(g, n, "output_shape", 2, I(10), I(8));
    pu_attr_ints_v(g, n, "strides", 2, I(3), I(2));
}
static void a_convt_oshape(c8_graph *g, int n) {
    pu_attr_ints_v(g, n, "output_shape", 2, I(10), I(8));
    pu_attr_ints_v(g, n, "strides", 2, I(3), I(2));
}
static void a_convt_pads(c8_graph *g, int n) {
    pu_attr_ints_v(g, n, "pads", 4, I(1), I(2), I(1), I(2));
    pu_attr_ints_v(g, n, "strides", 2, I(3), I(2));
}
static void a_convt_dil(c8_graph *g, int n) { pu_attr_ints_v(g, n, "dilations", 2, I(2), I(2)); }
static void a_avg_cip(c8_graph *g, int n) {
    pu_attr_i(g, n, "count_include_pad", 1);
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(5), I(5));
    pu_attr_ints_v(g, n, "pads", 4, I(2), I(2), I(2), I(2));
}
static void a_avg_ceil(c8_graph *g, int n) {
    pu_attr_i(g, n, "ceil_mode", 1);
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(3), I(3));
    pu_attr_ints_v(g, n, "strides", 2, I(2), I(2));
}
static void a_max_same(c8_graph *g, int n) {
    pu_attr_s(g, n, "auto_pad", "SAME_UPPER");
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(3), I(3));
    pu_attr_ints_v(g, n, "strides", 2, I(2), I(2));
}
static void a_max_dil(c8_graph *g, int n) {
    pu_attr_ints_v(g, n, "dilations", 2, I(2), I(2));
    pu_attr_ints_v(g, n, "kernel_shape", 2, I(2), I(2));
    pu_attr_ints_v(g, n, "strides", 2, I(1), I(1));
}
static void a_lrn(c8_graph *g, int n) {
    pu_attr_f(g, n, "alpha", 0.0002f);
    pu_attr_f(g, n, "beta", 0.5f);
    pu_attr_f(g, n, "bias", 2.0f);
    pu_attr_i(g, n, "size", 3);
}
static void a_softmax1(c8_graph *g, int n) { pu_attr_i(g, n, "axis", 1); }
static void a_gemm_all(c8_graph *g, int n) {
    pu_attr_f(g, n, "alpha", 0.25f);
    pu_attr_f(g, n, "beta", 0.35f);
    pu_attr_i(g, n, "transA", 1);
    pu_attr_i(g, n, "transB", 1);
}

static const onnx_case k_onnx_cases[] = {
    {"test_conv_with_strides_and_asymmetric_padding", C8_OP_CONV, "Conv", 11, a_conv_asym},
    {"test_conv_with_autopad_same", C8_OP_CONV, "Conv", 11, a_conv_same},
    {"test_convtranspose_autopad_same", C8_OP_CONV_TRANSPOSE, "ConvTranspose", 11, a_convt_same},
    {"test_convtranspose_kernel_shape", C8_OP_CONV_TRANSPOSE, "ConvTranspose", 11, a_convt_kshape},
    {"test_convtranspose_output_shape", C8_OP_CONV_TRANSPOSE, "ConvTranspose", 11, a_convt_oshape},
    {"test_convtranspose_pads", C8_OP_CONV_TRANSPOSE, "ConvTranspose", 11, a_convt_pads},
    {"test_convtranspose_dilations", C8_OP_CONV_TRANSPOSE, "ConvTranspose", 11, a_convt_dil},
    {"test_averagepool_2d_precomputed_pads_count_include_pad", C8_OP_AVGPOOL, "AveragePool", 11,
     a_avg_cip},
    {"test_averagepool_2d_ceil", C8_OP_AVGPOOL, "AveragePool", 11, a_avg_ceil},
    {"test_maxpool_2d_precomputed_same_upper", C8_OP_MAXPOOL, "MaxPool", 12, a_max_same},
    {"test_maxpool_2d_dilations", C8_OP_MAXPOOL, "MaxPool", 12, a_max_dil},
    {"test_lrn", C8_OP_LRN, "LRN", 13, a_lrn},
    {"test_softmax_axis_1", C8_OP_SOFTMAX, "Softmax", 13, a_softmax1},
    {"test_gemm_all_attributes", C8_OP_GEMM, "Gemm", 13, a_gemm_all},
};

static void test_onnx_cases(void) {
    for (size_t ci = 0; ci < sizeof k_onnx_cases / sizeof k_onnx_cases[0]; ci++) {
        const onnx_case *oc = &k_onnx_cases[ci];
        c8_npy npy_in[3], npy_out;
        int n_in = 0;
        c8_error err = {0};
        char path[512];
        for (; n_in < 3; n_in++) {
            snprintf(path, sizeof path, "%s/%s/input_%d.npy", DATA_DIR, oc->name, n_in);
            if (!c8t_exists(path)) break;
            CU_ASSERT_EQUAL_FATAL(c8_npy_read(path, &npy_in[n_in], &err), C8_OK);
        }
        snprintf(path, sizeof path, "%s/%s/output_0.npy", DATA_DIR, oc->name);
        CU_ASSERT_EQUAL_FATAL(c8_npy_read(path, &npy_out, &err), C8_OK);
        one_node t = new_graph("m.onnx", oc->opset);
        int in[3];
        const float *ins[3];
        for (int k = 0; k < n_in; k++) {
            c8_shape s;
            memset(&s, 0, sizeof s);
            s.rank = npy_in[k].rank;
            for (int i = 0; i < s.rank; i++) s.d[i] = npy_in[k].dims[i];
            char nm[16];
            snprintf(nm, sizeof nm, "in%d", k);
            in[k] = pu_val_in(t.g, nm, C8_DT_FLOAT, s);
            ins[k] = npy_in[k].data;
        }
        finish_node(&t, oc->name, oc->op_type, oc->op, in, n_in, 1);
        oc->attrs(t.g, t.node);
        c8_status st = check_infer(&t, &err);
        if (st != C8_OK) printf("\n  %s: %s\n", oc->name, err.msg);
        CU_ASSERT_EQUAL_FATAL(st, C8_OK);
        c8_shape want;
        memset(&want, 0, sizeof want);
        want.rank = npy_out.rank;
        for (int i = 0; i < want.rank; i++) want.d[i] = npy_out.dims[i];
        expect_shape(t.g, t.y, want);
        if (c8_shape_equal(&t.g->vals[t.y].shape, &want)) {
            float *y = run_node(&t, ins, NULL, &st, &err);
            CU_ASSERT_EQUAL(st, C8_OK);
            const int64_t n = (int64_t)npy_out.count;
            double *ref = dalloc(n), *tol = dalloc(n);
            for (int64_t i = 0; i < n; i++) {
                ref[i] = ((const float *)npy_out.data)[i];
                tol[i] = CONF_ATOL + CONF_RTOL * fabs(ref[i]);
            }
            check_close(oc->name, 0, y, ref, tol, n);
            free(ref);
            free(tol);
            free(y);
        }
        for (int k = 0; k < n_in; k++) c8_npy_free(&npy_in[k]);
        c8_npy_free(&npy_out);
        c8_graph_destroy(t.g);
    }
}

/* ---- ConvTranspose shapes ---- */

static void test_convt_shapes(void) {
    /* natural extent: stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads */
    one_node t = new_graph("m.onnx", 11);
    int in[2] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(-1), I(4), I(5), I(6))),
                 pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(4), I(3), I(3), I(4)))};
    finish_node(&t, "up", "ConvTranspose", C8_OP_CONV_TRANSPOSE, in, 2, 1);
    pu_attr_i(t.g, t.node, "group", 2);
    pu_attr_ints_v(t.g, t.node, "strides", 2, I(2), I(3));
    pu_attr_ints_v(t.g, t.node, "output_padding", 2, I(1), I(2));
    pu_attr_ints_v(t.g, t.node, "pads", 4, I(1), I(0), I(0), I(2));
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    /* H: 2*4 + 1 + 3 - 1 = 11; W: 3*5 + 2 + 4 - 2 = 19; channels 3 * group 2 = 6 */
    expect_shape(t.g, t.y, pu_shp(4, I(-1), I(6), I(11), I(19)));
    c8_graph_destroy(t.g);
    /* output_shape beyond the natural extent (9 x 5 here): no padding, the extra rows get only
     * the bias (onnxruntime's rule; ONNX's test_convtranspose_output_shape relies on it) */
    t = new_graph("m.onnx", 11);
    in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(1), I(3), I(3)));
    in[1] = pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(1), I(1), I(3), I(3)));
    int bv = pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(1, I(1)));
    int in3[3] = {in[0], in[1], bv};
    finish_node(&t, "up2", "ConvTranspose", C8_OP_CONV_TRANSPOSE, in3, 3, 1);
    pu_attr_ints_v(t.g, t.node, "output_shape", 2, I(12), I(5));
    pu_attr_ints_v(t.g, t.node, "strides", 2, I(3), I(1));
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    expect_shape(t.g, t.y, pu_shp(4, I(1), I(1), I(12), I(5)));
    const float x[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const float b = 0.25f;
    const float *ins[3] = {x, w, &b};
    c8_status st;
    float *y = run_node(&t, ins, NULL, &st, &err);
    CU_ASSERT_EQUAL(st, C8_OK);
    /* rows 0..8 are reached by exactly one input row (stride 3 = kernel 3); rows 9..11 by none.
     * Columns 0..4 are reached by 1, 2, 3, 2, 1 input columns. */
    const float colsum[5] = {1, 2, 3, 2, 1};
    int bad = 0;
    for (int row = 0; row < 12; row++)
        for (int col = 0; col < 5; col++)
            bad += y[row * 5 + col] != (row < 9 ? colsum[col] : 0.0f) + 0.25f;
    CU_ASSERT_EQUAL(bad, 0);
    free(y);
    c8_graph_destroy(t.g);
}

/* ---- pools ---- */

static void test_pool_ops(void) {
    /* MaxPool ceil_mode, 1-D and 3-D shapes; Indices output refused */
    one_node t = new_graph("m.onnx", 12);
    int in[1] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(3, I(1), I(3), I(6)))};
    finish_node(&t, "mp", "MaxPool", C8_OP_MAXPOOL, in, 1, 1);
    pu_attr_ints_v(t.g, t.node, "kernel_shape", 1, I(2));
    pu_attr_ints_v(t.g, t.node, "strides", 1, I(3));
    pu_attr_i(t.g, t.node, "ceil_mode", 1);
    c8_error err = {0};
    CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
    /* span 4, ceil(4/3) + 1 = 3 windows, but the third starts at 6 >= 6: dropped -> 2 */
    expect_shape(t.g, t.y, pu_shp(3, I(1), I(3), I(2)));
    c8_graph_destroy(t.g);

    t = new_graph("m.onnx", 12);
    in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(5, I(2), I(3), I(5), I(6), I(7)));
    finish_node(&t, "mp2", "MaxPool", C8_OP_MAXPOOL, in, 1, 2);
    pu_attr_ints_v(t.g, t.node, "kernel_shape", 3, I(2), I(2), I(2));
    expect_err(check_infer(&t, &err), C8_ERR_UNSUPPORTED, &err, "node 'mp2' (MaxPool)", "Indices");
    t.g->nodes[t.node].out[1] = -1; /* omitted Indices: fine */
    CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
    expect_shape(t.g, t.y, pu_shp(5, I(2), I(3), I(4), I(5), I(6)));
    c8_graph_destroy(t.g);

    /* AveragePool dilations only from opset 19 */
    for (int64_t opset = 18; opset <= 19; opset++) {
        t = new_graph("m.onnx", opset);
        in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(1), I(7), I(7)));
        finish_node(&t, "ap", "AveragePool", C8_OP_AVGPOOL, in, 1, 1);
        pu_attr_ints_v(t.g, t.node, "kernel_shape", 2, I(3), I(3));
        pu_attr_ints_v(t.g, t.node, "dilations", 2, I(2), I(2));
        c8_status st = check_infer(&t, &err);
        if (opset == 18) {
            expect_err(st, C8_ERR_INVALID, &err, "node 'ap' (AveragePool)", "dilations");
        } else {
            CU_ASSERT_EQUAL(st, C8_OK);
            expect_shape(t.g, t.y, pu_shp(4, I(1), I(1), I(3), I(3)));
        }
        c8_graph_destroy(t.g);
    }
    /* missing kernel_shape */
    t = new_graph("m.onnx", 12);
    in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(1), I(7), I(7)));
    finish_node(&t, "ap2", "AveragePool", C8_OP_AVGPOOL, in, 1, 1);
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'ap2'", "kernel_shape");
    c8_graph_destroy(t.g);

    /* global pools: values and shapes */
    for (int mx = 0; mx < 2; mx++) {
        const c8_op op = mx ? C8_OP_GLOBAL_MAXPOOL : C8_OP_GLOBAL_AVGPOOL;
        const char *nm = mx ? "GlobalMaxPool" : "GlobalAveragePool";
        t = new_graph("m.onnx", 12);
        in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(2), I(3), I(2), I(2)));
        finish_node(&t, "gp", nm, op, in, 1, 1);
        CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
        expect_shape(t.g, t.y, pu_shp(4, I(2), I(3), I(1), I(1)));
        float x[24];
        for (int i = 0; i < 24; i++) x[i] = (float)i;
        const float *ins[1] = {x};
        c8_status st;
        float *y = run_node(&t, ins, NULL, &st, &err);
        CU_ASSERT_EQUAL(st, C8_OK);
        for (int i = 0; i < 6; i++) /* rows {4i..4i+3}: mean 4i+1.5, max 4i+3 */
            CU_ASSERT_EQUAL(y[i], mx ? (float)(4 * i + 3) : (float)(4 * i) + 1.5f);
        free(y);
        c8_graph_destroy(t.g);
    }
}

/* ---- BatchNormalization ---- */

static void test_batchnorm_op(void) {
    c8_error err = {0};
    /* values: x (1, 2, 1, 2), per channel y = (x - mean) / sqrt(var + eps) * scale + b */
    one_node t = new_graph("m.onnx", 15);
    int in[5] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(2), I(1), I(2))),
                 pu_val_in(t.g, "s", C8_DT_FLOAT, pu_shp(1, I(2))),
                 pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(1, I(2))),
                 pu_val_in(t.g, "m", C8_DT_FLOAT, pu_shp(1, I(2))),
                 pu_val_in(t.g, "v", C8_DT_FLOAT, pu_shp(1, I(2)))};
    finish_node(&t, "bn", "BatchNormalization", C8_OP_BATCHNORM, in, 5, 1);
    pu_attr_f(t.g, t.node, "epsilon", 0.0f);
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    const float x[4] = {1, 3, 10, 20}, s[2] = {2, -1}, b[2] = {0.5f, 1}, m[2] = {1, 10},
                v[2] = {4, 25};
    const float *ins[5] = {x, s, b, m, v};
    c8_status st;
    float *y = run_node(&t, ins, NULL, &st, &err);
    CU_ASSERT_EQUAL(st, C8_OK);
    /* c0: (1-1)/2*2+0.5 = 0.5, (3-1)/2*2+0.5 = 2.5; c1: (10-10)/5*-1+1 = 1, (20-10)/5*-1+1 = -1 */
    CU_ASSERT_EQUAL(y[0], 0.5f);
    CU_ASSERT_EQUAL(y[1], 2.5f);
    CU_ASSERT_EQUAL(y[2], 1.0f);
    CU_ASSERT_EQUAL(y[3], -1.0f);
    free(y);
    /* training_mode=1 refused */
    pu_attr_i(t.g, t.node, "training_mode", 1);
    expect_err(check_infer(&t, &err), C8_ERR_UNSUPPORTED, &err, "node 'bn'", "training_mode");
    c8_graph_destroy(t.g);
    /* opset 7: spatial=0 refused, spatial=1 fine; training_mode not an opset-7 attribute */
    for (int sp = 0; sp < 2; sp++) {
        t = new_graph("m.onnx", 7);
        for (int k = 0; k < 5; k++) {
            char nm[8];
            snprintf(nm, sizeof nm, "i%d", k);
            in[k] = pu_val_in(t.g, nm, C8_DT_FLOAT, k ? pu_shp(1, I(3)) : pu_shp(2, I(4), I(3)));
        }
        finish_node(&t, "bn7", "BatchNormalization", C8_OP_BATCHNORM, in, 5, 1);
        pu_attr_i(t.g, t.node, "spatial", sp);
        c8_status st7 = check_infer(&t, &err);
        if (sp == 0)
            expect_err(st7, C8_ERR_UNSUPPORTED, &err, "node 'bn7'", "spatial=0");
        else
            CU_ASSERT_EQUAL(st7, C8_OK);
        pu_attr_i(t.g, t.node, "training_mode", 0);
        if (sp == 1)
            expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'bn7'",
                       "'training_mode' is not defined");
        c8_graph_destroy(t.g);
    }
    /* training outputs refused; mismatched statistics shape */
    t = new_graph("m.onnx", 9);
    for (int k = 0; k < 5; k++) {
        char nm[8];
        snprintf(nm, sizeof nm, "i%d", k);
        in[k] = pu_val_in(t.g, nm, C8_DT_FLOAT,
                          k ? pu_shp(1, I(k == 3 ? 4 : 3)) : pu_shp(3, I(2), I(3), I(5)));
    }
    finish_node(&t, "bn9", "BatchNormalization", C8_OP_BATCHNORM, in, 5, 3);
    expect_err(check_infer(&t, &err), C8_ERR_UNSUPPORTED, &err, "node 'bn9'", "output 1");
    t.g->nodes[t.node].out[1] = t.g->nodes[t.node].out[2] = -1;
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'bn9'", "mean 'i3' has shape 4");
    c8_graph_destroy(t.g);
}

/* ---- Gemm / MatMul ---- */

static void test_gemm_op(void) {
    c8_error err = {0};
    /* C broadcast forms accepted and refused */
    struct {
        c8_shape c;
        c8_status want;
    } cs[] = {{pu_shp(0), C8_OK},
              {pu_shp(1, I(1)), C8_OK},
              {pu_shp(1, I(4)), C8_OK},
              {pu_shp(2, I(3), I(1)), C8_OK},
              {pu_shp(2, I(1), I(4)), C8_OK},
              {pu_shp(2, I(3), I(4)), C8_OK},
              {pu_shp(1, I(3)), C8_ERR_SHAPE},
              {pu_shp(2, I(4), I(3)), C8_ERR_SHAPE},
              {pu_shp(3, I(1), I(3), I(4)), C8_ERR_SHAPE}};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        one_node t = new_graph("m.onnx", 13);
        int in[3] = {pu_val_in(t.g, "a", C8_DT_FLOAT, pu_shp(2, I(3), I(5))),
                     pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(2, I(5), I(4))),
                     pu_val_in(t.g, "c", C8_DT_FLOAT, cs[i].c)};
        finish_node(&t, "gemm", "Gemm", C8_OP_GEMM, in, 3, 1);
        c8_status st = check_infer(&t, &err);
        if (cs[i].want == C8_OK) {
            CU_ASSERT_EQUAL(st, C8_OK);
            expect_shape(t.g, t.y, pu_shp(2, I(3), I(4)));
        } else {
            expect_err(st, cs[i].want, &err, "node 'gemm' (Gemm)", "does not broadcast");
        }
        c8_graph_destroy(t.g);
    }
    /* C optional only from opset 11; inner dimension mismatch */
    for (int64_t opset = 9; opset <= 11; opset += 2) {
        one_node t = new_graph("m.onnx", opset);
        int in[2] = {pu_val_in(t.g, "a", C8_DT_FLOAT, pu_shp(2, I(3), I(5))),
                     pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(2, I(6), I(4)))};
        finish_node(&t, "g2", "Gemm", C8_OP_GEMM, in, 2, 1);
        pu_attr_i(t.g, t.node, "transA", 0);
        if (opset == 9)
            expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "g2", "opset 11");
        else
            expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "g2", "inner dimensions");
        c8_graph_destroy(t.g);
    }
}

/* numpy matmul over broadcast batches, in float64 with explicit index arithmetic */
static void matmul64(const c8_shape *as, const c8_shape *bs, const c8_shape *ys, const float *a,
                     const float *b, double *y, double *tol) {
    /* promote 1-D operands */
    c8_shape A = *as, B = *bs;
    if (A.rank == 1) {
        A.rank = 2;
        A.d[1] = A.d[0];
        A.d[0] = 1;
    }
    if (B.rank == 1) {
        B.rank = 2;
        B.d[1] = 1;
    }
    const int64_t M = A.d[A.rank - 2], K = A.d[A.rank - 1], N = B.d[B.rank - 1];
    const int rb = ys->rank - (as->rank >= 2) - (bs->rank >= 2); /* batch rank */
    const int64_t nb = c8_shape_span(ys, 0, rb);
    for (int64_t bi = 0; bi < nb; bi++) {
        int64_t idx[C8_MAX_RANK];
        unravel(bi, ys->d, rb, idx);
        int64_t ao = 0, bo = 0;
        for (int k = 0; k < A.rank - 2; k++) {
            const int64_t e = A.d[k], j = idx[rb - (A.rank - 2) + k];
            ao = ao * e + (e == 1 ? 0 : j);
        }
        for (int k = 0; k < B.rank - 2; k++) {
            const int64_t e = B.d[k], j = idx[rb - (B.rank - 2) + k];
            bo = bo * e + (e == 1 ? 0 : j);
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double acc = 0, s = 0;
                for (int64_t k = 0; k < K; k++) {
                    const double p = (double)a[ao * M * K + i * K + k] * b[bo * K * N + k * N + j];
                    acc += p;
                    s += fabs(p);
                }
                y[(bi * M + i) * N + j] = acc;
                tol[(bi * M + i) * N + j] = (double)(K + SUM_SLACK) * U32 * s;
            }
    }
}

static void test_matmul_op(void) {
    struct {
        c8_shape a, b, y;
    } cs[] = {
        {pu_shp(2, I(3), I(4)), pu_shp(2, I(4), I(5)), pu_shp(2, I(3), I(5))},
        {pu_shp(4, I(2), I(1), I(3), I(4)), pu_shp(3, I(5), I(4), I(2)),
         pu_shp(4, I(2), I(5), I(3), I(2))},
        {pu_shp(1, I(4)), pu_shp(1, I(4)), pu_shp(0)},
        {pu_shp(1, I(4)), pu_shp(3, I(2), I(4), I(3)), pu_shp(2, I(2), I(3))},
        {pu_shp(3, I(2), I(3), I(4)), pu_shp(1, I(4)), pu_shp(2, I(2), I(3))},
        {pu_shp(3, I(1), I(7), I(33)), pu_shp(3, I(3), I(33), I(1)), pu_shp(3, I(3), I(7), I(1))},
    };
    for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ci++) {
        const uint64_t seed = 300 + ci;
        c8t_rng r = {seed};
        one_node t = new_graph("m.onnx", 13);
        int in[2] = {pu_val_in(t.g, "a", C8_DT_FLOAT, cs[ci].a),
                     pu_val_in(t.g, "b", C8_DT_FLOAT, cs[ci].b)};
        finish_node(&t, "mm", "MatMul", C8_OP_MATMUL, in, 2, 1);
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
        expect_shape(t.g, t.y, cs[ci].y);
        const int64_t na = c8_shape_numel(&cs[ci].a), nb = c8_shape_numel(&cs[ci].b);
        const int64_t ny = c8_shape_numel(&cs[ci].y);
        float *a = frand(&r, na, -1, 1), *b = frand(&r, nb, -1, 1);
        const float *ins[2] = {a, b};
        c8_status st;
        float *y = run_node(&t, ins, NULL, &st, &err);
        CU_ASSERT_EQUAL(st, C8_OK);
        double *ref = dalloc(ny), *tol = dalloc(ny);
        matmul64(&cs[ci].a, &cs[ci].b, &cs[ci].y, a, b, ref, tol);
        check_close("MatMul", seed, y, ref, tol, ny);
        free(a);
        free(b);
        free(y);
        free(ref);
        free(tol);
        c8_graph_destroy(t.g);
    }
    /* errors: inner mismatch, batch mismatch, unknowns propagate */
    one_node t = new_graph("m.onnx", 13);
    int in[2] = {pu_val_in(t.g, "a", C8_DT_FLOAT, pu_shp(3, I(2), I(3), I(4))),
                 pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(3, I(3), I(4), I(5)))};
    finish_node(&t, "mm2", "MatMul", C8_OP_MATMUL, in, 2, 1);
    c8_error err = {0};
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'mm2' (MatMul)",
               "cannot broadcast a (2) with b (3)");
    t.g->vals[in[1]].shape = pu_shp(3, I(-1), I(5), I(5));
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "mm2", "inner dimensions");
    t.g->vals[in[1]].shape = pu_shp(3, I(-1), I(-1), I(5));
    CU_ASSERT_EQUAL(check_infer(&t, &err), C8_OK);
    expect_shape(t.g, t.y, pu_shp(3, I(2), I(3), I(5)));
    c8_graph_destroy(t.g);
}

/* ---- Softmax, LRN ---- */

static void test_softmax_op(void) {
    /* x (2, 3, 2) with axis 1: opset 11 normalises over the flattened tail (6 values), opset 13
     * over axis 1 only (3 values). x = 0..11 so each group's values are known exactly. */
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    for (int64_t opset = 11; opset <= 13; opset += 2) {
        one_node t = new_graph("m.onnx", opset);
        int in[1] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(3, I(2), I(3), I(2)))};
        finish_node(&t, "sm", "Softmax", C8_OP_SOFTMAX, in, 1, 1);
        pu_attr_i(t.g, t.node, "axis", 1);
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
        const float *ins[1] = {x};
        c8_status st;
        float *y = run_node(&t, ins, NULL, &st, &err);
        CU_ASSERT_EQUAL(st, C8_OK);
        double ref[12], tol[12];
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int w = 0; w < 2; w++) {
                    const int at = n * 6 + c * 2 + w;
                    double s = 0;
                    if (opset < 13)
                        for (int j = 0; j < 6; j++) s += exp(x[n * 6 + j] - x[at]);
                    else
                        for (int j = 0; j < 3; j++) s += exp(x[n * 6 + j * 2 + w] - x[at]);
                    ref[at] = 1.0 / s;
                    tol[at] = TOL_TRANSC_REL * ref[at];
                }
        check_close(opset < 13 ? "Softmax opset 11" : "Softmax opset 13", 0, y, ref, tol, 12);
        free(y);
        /* default axis: 1 before 13, -1 from 13: both valid here; out of range refused */
        pu_attr_i(t.g, t.node, "axis", 3);
        c8_graph_destroy(t.g);
        t = new_graph("m.onnx", opset);
        in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(3, I(2), I(3), I(2)));
        finish_node(&t, "sm2", "Softmax", C8_OP_SOFTMAX, in, 1, 1);
        pu_attr_i(t.g, t.node, "axis", -4);
        expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'sm2' (Softmax)", "axis -4");
        c8_graph_destroy(t.g);
    }
}

static void test_lrn_op(void) {
    one_node t = new_graph("m.onnx", 13);
    int in[1] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(3), I(1), I(1)))};
    finish_node(&t, "lrn", "LRN", C8_OP_LRN, in, 1, 1);
    c8_error err = {0};
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'lrn' (LRN)", "size");
    pu_attr_i(t.g, t.node, "size", 2);
    pu_attr_f(t.g, t.node, "alpha", 2.0f);
    pu_attr_f(t.g, t.node, "beta", 1.0f);
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    /* size 2: channels c .. c+1 (floor(1/2) = 0 below, ceil(1/2) = 1 above); bias 1, alpha/size
     * = 1: x = {1, 2, 3} -> {1/(1+1+4), 2/(1+4+9), 3/(1+9)} */
    const float x[3] = {1, 2, 3};
    const float *ins[1] = {x};
    c8_status st;
    float *y = run_node(&t, ins, NULL, &st, &err);
    CU_ASSERT_EQUAL(st, C8_OK);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 1.0 / 6, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(y[1], 2.0 / 14, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(y[2], 3.0 / 10, 1e-7);
    free(y);
    c8_graph_destroy(t.g);
}

/* ---- error cases ---- */

static void test_conv_errors(void) {
    c8_error err = {0};
    one_node t;
    int in[3];
#define CONV_NODE(name, xs, ws)                                                                    \
    do {                                                                                           \
        t = new_graph("m.onnx", 13);                                                               \
        in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, xs);                                              \
        in[1] = pu_val_in(t.g, "w", C8_DT_FLOAT, ws);                                              \
        finish_node(&t, name, "Conv", C8_OP_CONV, in, 2, 1);                                       \
    } while (0)

    /* the example message */
    CONV_NODE("conv3", pu_shp(4, I(1), I(64), I(8), I(8)), pu_shp(4, I(30), I(21), I(3), I(3)));
    pu_attr_i(t.g, t.node, "group", 3);
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'conv3' (Conv)",
               "group=3 does not divide 64 input channels");
    c8_graph_destroy(t.g);
    /* mismatched channels */
    CONV_NODE("c", pu_shp(4, I(1), I(3), I(8), I(8)), pu_shp(4, I(16), I(4), I(3), I(3)));
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'c'", "has 3 channels");
    c8_graph_destroy(t.g);
    /* group not dividing the output channels */
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(6), I(1), I(3), I(3)));
    pu_attr_i(t.g, t.node, "group", 4);
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'c'", "6 output channels");
    c8_graph_destroy(t.g);
    /* bad group, bad auto_pad, bad strides, odd pads, inconsistent lengths, unknown attribute,
     * wrong attribute type, kernel_shape disagreeing with W, kernel larger than the input */
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_i(t.g, t.node, "group", 0);
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'", "group=0");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_s(t.g, t.node, "auto_pad", "SAME");
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'", "auto_pad 'SAME'");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "strides", 2, I(1), I(-2));
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'", "strides[1] = -2");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "pads", 3, I(1), I(1), I(1));
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'", "pads has 3 values");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "strides", 3, I(1), I(1), I(1));
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'c'", "3");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "strides", 2, I(1), I(1));
    pu_attr_ints_v(t.g, t.node, "dilations", 1, I(1));
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'",
               "dilations implies 1 spatial axes but strides implies 2");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_i(t.g, t.node, "padding", 1);
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'", "'padding'");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_i(t.g, t.node, "strides", 2);
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'c'", "type int, expected ints");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "kernel_shape", 2, I(3), I(5));
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'c'", "kernel_shape[1] = 5");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(4, I(1), I(4), I(2), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'c'", "exceeds the padded input");
    c8_graph_destroy(t.g);
    /* 4 spatial axes: unsupported; rank-2 input: shape error */
    CONV_NODE("c", pu_shp(6, I(1), I(1), I(3), I(3), I(3), I(3)),
              pu_shp(6, I(1), I(1), I(1), I(1), I(1), I(1)));
    expect_err(check_infer(&t, &err), C8_ERR_UNSUPPORTED, &err, "node 'c'", "1 to 3");
    c8_graph_destroy(t.g);
    CONV_NODE("c", pu_shp(2, I(1), I(3)), pu_shp(4, I(4), I(3), I(3), I(3)));
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'c'", "expected (N, C");
    c8_graph_destroy(t.g);
    /* int8 input: unsupported dtype */
    t = new_graph("m.onnx", 13);
    in[0] = pu_val_in(t.g, "x", C8_DT_INT8, pu_shp(4, I(1), I(4), I(8), I(8)));
    in[1] = pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(4), I(4), I(3), I(3)));
    finish_node(&t, "q", "Conv", C8_OP_CONV, in, 2, 1);
    expect_err(check_infer(&t, &err), C8_ERR_UNSUPPORTED, &err, "node 'q'", "int8");
    c8_graph_destroy(t.g);
    /* bias of the wrong length */
    t = new_graph("m.onnx", 13);
    in[0] = pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(4), I(8), I(8)));
    in[1] = pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(5), I(4), I(3), I(3)));
    in[2] = pu_val_in(t.g, "b", C8_DT_FLOAT, pu_shp(1, I(4)));
    finish_node(&t, "cb", "Conv", C8_OP_CONV, in, 3, 1);
    expect_err(check_infer(&t, &err), C8_ERR_SHAPE, &err, "node 'cb'", "bias has shape 4");
    c8_graph_destroy(t.g);
    /* huge dims: the output element count overflows -> error naming the node and tensor */
    CONV_NODE("big", pu_shp(4, I(1) << 40, I(4), I(1) << 30, I(8)),
              pu_shp(4, I(64), I(4), I(1), I(1)));
    expect_err(check_infer(&t, &err), C8_ERR_NOMEM, &err, "node 'big'", "overflows");
    c8_graph_destroy(t.g);
    /* huge pads and dilation overflow int64 arithmetic: error, no wrap */
    CONV_NODE("big2", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "pads", 4, INT64_MAX - 4, I(0), I(0), I(0));
    expect_err(check_infer(&t, &err), C8_ERR_NOMEM, &err, "node 'big2'", "overflows");
    c8_graph_destroy(t.g);
    CONV_NODE("big3", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    pu_attr_ints_v(t.g, t.node, "dilations", 2, INT64_MAX / 2 + 1, I(1));
    expect_err(check_infer(&t, &err), C8_ERR_NOMEM, &err, "node 'big3'", "overflows");
    c8_graph_destroy(t.g);
    /* fused activation out of range, Clip min > max */
    CONV_NODE("fx", pu_shp(4, I(1), I(4), I(8), I(8)), pu_shp(4, I(4), I(4), I(3), I(3)));
    t.g->nodes[t.node].fusion.act = (c8_act)42;
    expect_err(check_infer(&t, &err), C8_ERR_INTERNAL, &err, "node 'fx'", "42");
    t.g->nodes[t.node].fusion.act = C8_ACT_CLIP;
    t.g->nodes[t.node].fusion.act_a = 6.0f;
    expect_err(check_infer(&t, &err), C8_ERR_INVALID, &err, "node 'fx'", "min 6");
    c8_graph_destroy(t.g);
#undef CONV_NODE
}

/* run() refuses buffers that do not match (a bug elsewhere) instead of writing past them. */
static void test_run_errors(void) {
    one_node t = new_graph("m.onnx", 13);
    int in[2] = {pu_val_in(t.g, "x", C8_DT_FLOAT, pu_shp(4, I(1), I(1), I(4), I(4))),
                 pu_val_in(t.g, "w", C8_DT_FLOAT, pu_shp(4, I(1), I(1), I(3), I(3)))};
    finish_node(&t, "c", "Conv", C8_OP_CONV, in, 2, 1);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(check_infer(&t, &err), C8_OK);
    t.g->vals[t.y].shape = pu_shp(4, I(1), I(1), I(4), I(4)); /* wrong: should be 2x2 */
    float x[16] = {0}, w[9] = {0};
    const float *ins[2] = {x, w};
    c8_status st;
    float *y = run_node(&t, ins, NULL, &st, &err);
    expect_err(st, C8_ERR_INTERNAL, &err, "node 'c'", "1x1x2x2");
    free(y);
    /* missing input data */
    t.g->vals[t.y].shape = pu_shp(4, I(1), I(1), I(2), I(2));
    const float *ins2[2] = {x, NULL};
    y = run_node(&t, ins2, NULL, &st, &err);
    expect_err(st, C8_ERR_INVALID, &err, "node 'c'", "W has no data");
    free(y);
    /* a fused residual that the executor did not supply */
    t.g->nodes[t.node].fusion.residual = in[0];
    y = run_node(&t, ins, NULL, &st, &err);
    expect_err(st, C8_ERR_INTERNAL, &err, "node 'c'", "residual");
    free(y);
    c8_graph_destroy(t.g);
}

static const c8_test_case cases[] = {
    {"conv_op", test_conv_op},         {"conv_shapes", test_conv_shapes},
    {"fused_conv", test_fused_conv},   {"fused_gemm", test_fused_gemm},
    {"onnx_cases", test_onnx_cases},   {"convt_shapes", test_convt_shapes},
    {"pool_ops", test_pool_ops},       {"batchnorm_op", test_batchnorm_op},
    {"gemm_op", test_gemm_op},         {"matmul_op", test_matmul_op},
    {"softmax_op", test_softmax_op},   {"lrn_op", test_lrn_op},
    {"conv_errors", test_conv_errors}, {"run_errors", test_run_errors},
};
C8T_MAIN("ops_compute", cases)
