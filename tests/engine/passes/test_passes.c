/* Graph passes on hand-built graphs: each pass's structural outcome (what was fused or removed,
 * which names survive, labels, attributes) and FP32 equivalence of the optimized graph with the
 * original through the host executor (max-norm relative error <= PASSES_RTOL, see
 * tests/kit/graph.h). Also the pass log, disabled passes, idempotence and the DOT writer. */
#include "kit/graph.h"

#include "engine/passes/dot.h"
#include "util/fileio.h"

#define SEED 0x5eed7a55ULL

static double g_worst; /* worst relative error over every comparison, printed last */
static char g_worst_what[600];

/* Optimizes a copy of g (opt NULL: every pass), runs both on random inputs and checks the
 * outputs agree. Returns the optimized copy (caller destroys) or NULL. */
static c8_graph *optimize_and_compare(const c8_graph *g, const c8_pass_options *opt,
                                      c8_pass_log *log, uint64_t seed) {
    c8_error err = {0};
    c8_graph *o = c8_graph_clone(g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    c8_status s = c8_graph_optimize(o, opt, log, &err);
    if (s != C8_OK) {
        printf("\n  c8_graph_optimize: %s\n", err.msg);
        CU_FAIL("c8_graph_optimize failed");
        c8_graph_destroy(o);
        return NULL;
    }
    c8t_rng r = {seed};
    c8_host_tensor *in = pu_random_inputs(g, NULL, &r);
    pu_result ref, got;
    s = pu_run(g, in, &ref, &err);
    if (s != C8_OK) printf("\n  reference run: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    s = pu_run(o, in, &got, &err);
    if (s != C8_OK) printf("\n  optimized run: %s\n", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
    if (s == C8_OK) {
        double worst;
        char why[512] = "";
        bool ok = pu_compare(&ref, &got, &worst, why, sizeof why);
        if (!ok || worst > PASSES_RTOL)
            printf("\n  mismatch (seed %llx): rel %.3g: %s\n", (unsigned long long)seed, worst,
                   why);
        CU_ASSERT(ok);
        CU_ASSERT(worst <= PASSES_RTOL);
        if (worst > g_worst) {
            g_worst = worst;
            snprintf(g_worst_what, sizeof g_worst_what, "seed %llx: %s", (unsigned long long)seed,
                     why);
        }
    }
    pu_result_free(&ref);
    pu_result_free(&got);
    pu_free_inputs(g, in);
    return o;
}

/* The optimized graph passes the op checks the builder runs on lowered graphs (FusedConv and
 * fused Gemm epilogues included). Graphs carrying the passes' c8_* attributes are not checked
 * here: the op checks still reject attributes they do not know (reported to the op owners). */
static void must_check(const c8_graph *o) {
    c8_error err = {0};
    c8_status s = c8_graph_check_ops(o, &err);
    if (s != C8_OK) printf("\n  op check of the optimized graph: %s\n", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
}

static void must_finish(c8_graph *g, bool fold) {
    c8_error err = {0};
    c8_status s = pu_finish(g, fold, &err);
    if (s != C8_OK) printf("\n  building the test graph: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
}

/* Conv(x) -> BatchNormalization -> next, with random parameters (var > 0). */
static int conv_bn(c8_graph *g, c8t_rng *r, const char *conv, const char *bn, int x, int64_t cin,
                   int64_t cout, int64_t k, bool bias) {
    char nm[128], on[128];
    snprintf(nm, sizeof nm, "%s_w", conv);
    int w = pu_const(g, nm, PU_SHAPE(cout, cin, k, k), r, -0.5f, 0.5f);
    snprintf(on, sizeof on, "%s_out", conv);
    int y;
    if (bias) {
        snprintf(nm, sizeof nm, "%s_b", conv);
        int b = pu_const(g, nm, PU_SHAPE(cout), r, -0.2f, 0.2f);
        y = PU_OP(g, conv, "Conv", on, x, w, b);
    } else {
        y = PU_OP(g, conv, "Conv", on, x, w);
    }
    int64_t p = k / 2;
    PU_INTS(g, pu_last_node(g), "pads", p, p, p, p);
    if (!bn) return y;
    snprintf(nm, sizeof nm, "%s_scale", bn);
    int ga = pu_const(g, nm, PU_SHAPE(cout), r, 0.5f, 1.5f);
    snprintf(nm, sizeof nm, "%s_bias", bn);
    int be = pu_const(g, nm, PU_SHAPE(cout), r, -0.3f, 0.3f);
    snprintf(nm, sizeof nm, "%s_mean", bn);
    int me = pu_const(g, nm, PU_SHAPE(cout), r, -0.3f, 0.3f);
    snprintf(nm, sizeof nm, "%s_var", bn);
    int va = pu_const(g, nm, PU_SHAPE(cout), r, 0.5f, 2.0f);
    snprintf(on, sizeof on, "%s_out", bn);
    int z = PU_OP(g, bn, "BatchNormalization", on, y, ga, be, me, va);
    pu_attr_f(g, pu_last_node(g), "epsilon", 1e-3f);
    return z;
}

/* ---- fold_batchnorm + fuse_activation ---- */

static void test_conv_bn_relu(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED};
    int x = pu_input(g, "x", PU_SHAPE(2, 3, 8, 8));
    int z = conv_bn(g, &r, "conv1", "bn1", x, 3, 4, 3, true);
    int y = PU_OP(g, "relu1", "Relu", "relu1_out", z);
    pu_output(g, y);
    must_finish(g, true);
    c8_pass_log *log = c8_pass_log_create();
    c8_graph *o = optimize_and_compare(g, NULL, log, SEED);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 1);
    const c8_node *n = pu_producer(o, "relu1_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_FUSED_CONV);
    CU_ASSERT_STRING_EQUAL(n->name, "conv1");
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "CBR(conv1+bn1+relu1)");
    must_check(o);
    CU_ASSERT_EQUAL(n->fusion.act, C8_ACT_RELU);
    CU_ASSERT_EQUAL(n->fusion.residual, -1);
    /* the conv and BN intermediates disappear */
    CU_ASSERT_EQUAL(c8_graph_find_value(o, "conv1_out"), -1);
    CU_ASSERT_EQUAL(c8_graph_find_value(o, "bn1_out"), -1);
    CU_ASSERT_EQUAL(c8_pass_log_count(log, C8_PASS_FOLD_BATCHNORM), 1);
    CU_ASSERT_EQUAL(c8_pass_log_count(log, C8_PASS_FUSE_ACTIVATION), 1);
    CU_ASSERT_EQUAL(c8_pass_log_nodes_before(log), 3);
    CU_ASSERT_EQUAL(c8_pass_log_nodes_after(log), 1);
    bool found = false;
    for (int i = 0; i < c8_pass_log_size(log); i++)
        if (!strcmp(c8_pass_log_line(log, i, NULL), "fold_batchnorm: bn1 folded into conv1"))
            found = true;
    CU_ASSERT(found);
    c8_pass_log_destroy(log);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* Conv without bias + BN + Mul (C,1,1) + Add (1,C,1,1) + Sub scalar + Clip (constant bounds). */
static void test_conv_bn_affine_clip(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 1};
    int x = pu_input(g, "x", PU_SHAPE(1, 3, 7, 9));
    int z = conv_bn(g, &r, "conv2", "bn2", x, 3, 5, 3, false);
    int mc = pu_const(g, "mul_c", PU_SHAPE(5, 1, 1), &r, 0.5f, 2.0f);
    int m = PU_OP(g, "mul2", "Mul", "mul2_out", z, mc);
    int ac = pu_const(g, "add_c", PU_SHAPE(1, 5, 1, 1), &r, -1.0f, 1.0f);
    int a = PU_OP(g, "add2", "Add", "add2_out", ac, m);
    float sv = 0.25f;
    int sc = pu_const_vals(g, "sub_c", PU_SHAPE(1), C8_DT_FLOAT, &sv);
    int s = PU_OP(g, "sub2", "Sub", "sub2_out", a, sc);
    float lo = -0.5f, hi = 0.75f;
    int clo = pu_const_vals(g, "clip_lo", pu_shape(0, NULL), C8_DT_FLOAT, &lo);
    int chi = pu_const_vals(g, "clip_hi", pu_shape(0, NULL), C8_DT_FLOAT, &hi);
    int y = PU_OP(g, "clip2", "Clip", "clip2_out", s, clo, chi);
    pu_output(g, y);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 1);
    const c8_node *n = pu_producer(o, "clip2_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "CBMASK(conv2+bn2+mul2+add2+sub2+clip2)");
    CU_ASSERT_EQUAL(n->fusion.act, C8_ACT_CLIP);
    CU_ASSERT_EQUAL(n->fusion.act_a, lo);
    CU_ASSERT_EQUAL(n->fusion.act_b, hi);
    CU_ASSERT_EQUAL(n->n_in, 3); /* the missing bias was added */
    must_check(o);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* A conv whose output is read twice, or is a graph output, keeps its BN and activation. */
static void test_no_fold_when_shared(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 2};
    int x = pu_input(g, "x", PU_SHAPE(1, 2, 5, 5));
    int c = conv_bn(g, &r, "conv3", NULL, x, 2, 3, 3, true);
    char nm[32];
    int ga = pu_const(g, "g3", PU_SHAPE(3), &r, 0.5f, 1.5f);
    int be = pu_const(g, "b3", PU_SHAPE(3), &r, -0.3f, 0.3f);
    int me = pu_const(g, "m3", PU_SHAPE(3), &r, -0.3f, 0.3f);
    int va = pu_const(g, "v3", PU_SHAPE(3), &r, 0.5f, 2.0f);
    int z = PU_OP(g, "bn3", "BatchNormalization", "bn3_out", c, ga, be, me, va);
    int y = PU_OP(g, "relu3", "Relu", "relu3_out", c);
    pu_output(g, z);
    pu_output(g, y);
    /* conv4's output is a graph output and feeds a BN */
    int c4 = conv_bn(g, &r, "conv4", NULL, x, 2, 3, 1, true);
    snprintf(nm, sizeof nm, "bn4_out");
    int z4 = PU_OP(g, "bn4", "BatchNormalization", nm, c4, ga, be, me, va);
    pu_output(g, c4);
    pu_output(g, z4);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_BATCHNORM), 2);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_RELU), 1);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_FUSED_CONV), 0);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* A BN with zero variance and epsilon divides by zero: folding would need infinite weights, so
 * the BN stays (and both graphs produce the same infinities). */
static void test_degenerate_bn(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 13};
    int x = pu_input(g, "x", PU_SHAPE(1, 2, 4, 4));
    int c = conv_bn(g, &r, "conv", NULL, x, 2, 3, 3, true);
    float zeros[3] = {0, 0, 0}, ones[3] = {1, 1, 1};
    int ga = pu_const_vals(g, "g", PU_SHAPE(3), C8_DT_FLOAT, ones);
    int be = pu_const_vals(g, "b", PU_SHAPE(3), C8_DT_FLOAT, zeros);
    int me = pu_const_vals(g, "m", PU_SHAPE(3), C8_DT_FLOAT, zeros);
    int va = pu_const_vals(g, "v", PU_SHAPE(3), C8_DT_FLOAT, zeros);
    int z = PU_OP(g, "bn", "BatchNormalization", "bn_out", c, ga, be, me, va);
    pu_attr_f(g, pu_last_node(g), "epsilon", 0.0f);
    pu_output(g, z);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 13);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_BATCHNORM), 1);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* Two convolutions share one weight initializer; each folds its own BN into new constants. */
static void test_shared_weights(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 3};
    int x = pu_input(g, "x", PU_SHAPE(1, 3, 6, 6));
    int w = pu_const(g, "shared_w", PU_SHAPE(4, 3, 3, 3), &r, -0.5f, 0.5f);
    int outs[2];
    for (int i = 0; i < 2; i++) {
        char cn[16], bn[16], co[16], bo[16], p[4][16];
        snprintf(cn, sizeof cn, "c%d", i);
        snprintf(co, sizeof co, "c%d_out", i);
        snprintf(bn, sizeof bn, "bn%d", i);
        snprintf(bo, sizeof bo, "bn%d_out", i);
        for (int k = 0; k < 4; k++) snprintf(p[k], sizeof p[k], "bn%d_p%d", i, k);
        int y = PU_OP(g, cn, "Conv", co, x, w);
        int ga = pu_const(g, p[0], PU_SHAPE(4), &r, 0.5f, 1.5f);
        int be = pu_const(g, p[1], PU_SHAPE(4), &r, -0.3f, 0.3f);
        int me = pu_const(g, p[2], PU_SHAPE(4), &r, -0.3f, 0.3f);
        int va = pu_const(g, p[3], PU_SHAPE(4), &r, 0.5f, 2.0f);
        outs[i] = PU_OP(g, bn, "BatchNormalization", bo, y, ga, be, me, va);
    }
    int s = PU_OP(g, "sum", "Add", "sum_out", outs[0], outs[1]);
    pu_output(g, s);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_BATCHNORM), 0);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* Channel counts and batches off every vector width: conv + BN + per-channel Mul + Relu, and the
 * same into a residual Add. */
static void test_sweep(void) {
    static const int64_t ks[] = {1, 3, 7, 33};
    static const int64_t cs[] = {1, 3};
    static const int64_t ns[] = {1, 3};
    int cases = 0;
    for (size_t ki = 0; ki < 4; ki++)
        for (size_t ci = 0; ci < 2; ci++)
            for (size_t ni = 0; ni < 2; ni++) {
                const int64_t K = ks[ki], C = cs[ci], N = ns[ni];
                const uint64_t seed = SEED + 100 + (uint64_t)(ki * 4 + ci * 2 + ni);
                c8_graph *g = pu_graph(13);
                c8t_rng r = {seed};
                int x = pu_input(g, "x", PU_SHAPE(N, C, 7, 5));
                int z = conv_bn(g, &r, "conv", "bn", x, C, K, 3, ki % 2 == 0);
                int mc = pu_const(g, "mul_c", PU_SHAPE(K, 1, 1), &r, -2.0f, 2.0f);
                int m = PU_OP(g, "mul", "Mul", "mul_out", mc, z);
                int y = PU_OP(g, "relu", "Relu", "relu_out", m);
                int z2 = conv_bn(g, &r, "conv2", "bn2", y, K, K, 1, true);
                int s = PU_OP(g, "add", "Add", "add_out", y, z2);
                pu_output(g, s);
                must_finish(g, true);
                c8_graph *o = optimize_and_compare(g, NULL, NULL, seed);
                CU_ASSERT_PTR_NOT_NULL_FATAL(o);
                CU_ASSERT_EQUAL(pu_live(o), 2);
                const c8_node *n = pu_producer(o, "add_out");
                CU_ASSERT(n && n->fusion.residual >= 0 && n->fusion.label &&
                          !strcmp(n->fusion.label, "CBA(conv2+bn2+add)"));
                c8_graph_destroy(o);
                c8_graph_destroy(g);
                cases++;
            }
    CU_ASSERT_EQUAL(cases, 16);
}

/* ---- fuse_residual ---- */

static void test_residual(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 4};
    int x = pu_input(g, "x", PU_SHAPE(2, 4, 8, 8));
    int a = conv_bn(g, &r, "conv_a", "bn_a", x, 4, 4, 3, false);
    int ra = PU_OP(g, "relu_a", "Relu", "relu_a_out", a);
    int b = conv_bn(g, &r, "conv_b", "bn_b", ra, 4, 4, 3, false);
    int s = PU_OP(g, "add1", "Add", "add1_out", b, x);
    int y = PU_OP(g, "relu2", "Relu", "relu2_out", s);
    /* conv on the Add's second input; both inputs convs: the later one takes the residual */
    int c1 = conv_bn(g, &r, "conv_c", NULL, y, 4, 4, 3, true);
    int c2 = conv_bn(g, &r, "conv_d", NULL, y, 4, 4, 3, true);
    int s2 = PU_OP(g, "add2", "Add", "add2_out", c1, c2);
    /* a broadcasting Add (per-channel tensor from data) is not fused */
    int gap = PU_OP(g, "gap", "GlobalAveragePool", "gap_out", s2);
    int c3 = conv_bn(g, &r, "conv_e", NULL, s2, 4, 4, 3, true);
    int s3 = PU_OP(g, "add3", "Add", "add3_out", gap, c3);
    pu_output(g, s3);
    must_finish(g, true);
    c8_pass_log *log = c8_pass_log_create();
    c8_graph *o = optimize_and_compare(g, NULL, log, SEED + 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    const c8_node *n = pu_producer(o, "relu2_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_FUSED_CONV);
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "CBAR(conv_b+bn_b+add1+relu2)");
    CU_ASSERT_EQUAL(n->fusion.act, C8_ACT_RELU);
    CU_ASSERT(n->fusion.residual >= 0 && !strcmp(o->vals[n->fusion.residual].name, "x"));
    n = pu_producer(o, "add2_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n->name, "conv_d");
    CU_ASSERT(n->fusion.residual >= 0 && !strcmp(o->vals[n->fusion.residual].name, "conv_c_out"));
    n = pu_producer(o, "add3_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_ADD);
    CU_ASSERT_EQUAL(c8_pass_log_count(log, C8_PASS_FUSE_RESIDUAL), 2);
    must_check(o);
    c8_pass_log_destroy(log);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* ---- fuse_horizontal ---- */

static void horizontal_case(int64_t opset) {
    c8_graph *g = pu_graph(opset);
    c8t_rng r = {SEED + 5 + (uint64_t)opset};
    int x = pu_input(g, "x", PU_SHAPE(2, 8, 6, 6));
    const int64_t ks[5] = {4, 6, 5, 3, 2};
    int outs[5];
    for (int i = 0; i < 5; i++) {
        char cn[16], co[16], rn[16], ro[16], wn[16], bn[16];
        snprintf(cn, sizeof cn, "h%d", i + 1);
        snprintf(co, sizeof co, "h%d_out", i + 1);
        snprintf(rn, sizeof rn, "relu_h%d", i + 1);
        snprintf(ro, sizeof ro, "r%d", i + 1);
        snprintf(wn, sizeof wn, "h%d_w", i + 1);
        snprintf(bn, sizeof bn, "h%d_b", i + 1);
        const int64_t k = i == 4 ? 3 : 1;
        int w = pu_const(g, wn, PU_SHAPE(ks[i], 8, k, k), &r, -0.5f, 0.5f);
        int y;
        if (i == 1) {
            y = PU_OP(g, cn, "Conv", co, x, w); /* no bias */
        } else {
            int b = pu_const(g, bn, PU_SHAPE(ks[i]), &r, -0.2f, 0.2f);
            y = PU_OP(g, cn, "Conv", co, x, w, b);
        }
        if (i == 3) PU_INTS(g, pu_last_node(g), "strides", 2, 2);    /* incompatible */
        if (i == 4) PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1); /* 3x3: ineligible */
        outs[i] = PU_OP(g, rn, "Relu", ro, y);
    }
    /* r1 also feeds a later layer */
    int w6 = pu_const(g, "h6_w", PU_SHAPE(2, 4, 1, 1), &r, -0.5f, 0.5f);
    int y6 = PU_OP(g, "h6", "Conv", "h6_out", outs[0], w6);
    for (int i = 0; i < 5; i++) pu_output(g, outs[i]);
    pu_output(g, y6);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_SPLIT), 1);
    const c8_node *sp = pu_producer(o, "r1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
    CU_ASSERT_EQUAL(sp->op, C8_OP_SPLIT);
    CU_ASSERT_EQUAL_FATAL(sp->n_out, 3);
    CU_ASSERT_STRING_EQUAL(o->vals[sp->out[1]].name, "r2");
    CU_ASSERT_STRING_EQUAL(o->vals[sp->out[2]].name, "r3");
    CU_ASSERT_EQUAL(c8_node_attr_i(sp, "axis", 0), 1);
    if (opset >= 13) {
        CU_ASSERT_EQUAL(sp->n_in, 2);
    } else {
        const int64_t *sz;
        CU_ASSERT_EQUAL(sp->n_in, 1);
        CU_ASSERT_EQUAL(c8_node_attr_ints(sp, "split", &sz), 3);
    }
    const c8_node *m = &o->nodes[o->vals[sp->in[0]].producer];
    CU_ASSERT_EQUAL(m->op, C8_OP_FUSED_CONV);
    CU_ASSERT_EQUAL(m->fusion.act, C8_ACT_RELU);
    CU_ASSERT_STRING_EQUAL(m->fusion.label, "H(CR(h1+relu_h1)+CR(h2+relu_h2)+CR(h3+relu_h3))");
    CU_ASSERT_STRING_EQUAL(m->name, "h1+h2+h3");
    const int64_t *ch;
    CU_ASSERT_EQUAL_FATAL(c8_node_attr_ints(m, "c8_out_channels", &ch), 3);
    CU_ASSERT(ch[0] == 4 && ch[1] == 6 && ch[2] == 5);
    const c8_attr *names = c8_node_attr(m, "c8_out_names");
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    CU_ASSERT_EQUAL(names->type, C8_ATTR_STRINGS);
    CU_ASSERT_EQUAL_FATAL(names->n, 3);
    CU_ASSERT_STRING_EQUAL(names->strings[0], "r1");
    CU_ASSERT_STRING_EQUAL(names->strings[2], "r3");
    CU_ASSERT_EQUAL(o->vals[m->out[0]].shape.d[1], 15);
    /* h4 (stride 2) and h5 (3x3) stay on their own */
    CU_ASSERT_PTR_NOT_NULL(pu_node_named(o, "h4"));
    CU_ASSERT_PTR_NOT_NULL(pu_node_named(o, "h5"));
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

static void test_horizontal_opset13(void) { horizontal_case(13); }
static void test_horizontal_opset11(void) { horizontal_case(11); }

/* ---- dead_layers ---- */

static void test_identity_dropout(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 6};
    int x = pu_input(g, "x", PU_SHAPE(1, 3, 4, 4));
    int a = PU_OP(g, "id0", "Identity", "a", x);
    int w = pu_const(g, "w", PU_SHAPE(2, 3, 3, 3), &r, -0.5f, 0.5f);
    int c = PU_OP(g, "c", "Conv", "c_out", a, w);
    PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    int dv[2];
    const char *douts[2] = {"d_out", "d_mask"};
    pu_node(g, "drop", "Dropout", (int[]){c}, 1, douts, 2, dv);
    /* opset-12 form: ratio and a constant training_mode = false */
    float ratio = 0.5f;
    unsigned char tm = 0;
    int rv = pu_const_vals(g, "ratio", pu_shape(0, NULL), C8_DT_FLOAT, &ratio);
    int tv = pu_const_vals(g, "training_mode", pu_shape(0, NULL), C8_DT_BOOL, &tm);
    int d2 = PU_OP(g, "drop2", "Dropout", "d2_out", dv[0], rv, tv);
    int e = PU_OP(g, "id1", "Identity", "e", d2);
    int f = PU_OP(g, "relu", "Relu", "f", e);
    int y = PU_OP(g, "id2", "Identity", "y", f);
    /* an unused chain */
    int u = PU_OP(g, "unused_conv", "Conv", "u_out", x, w);
    PU_OP(g, "unused_relu", "Relu", "u2_out", u);
    /* input straight to an output: the Identity must stay */
    int xc = PU_OP(g, "id3", "Identity", "x_copy", x);
    pu_output(g, y);
    pu_output(g, xc);
    must_finish(g, true);
    c8_pass_options opt;
    c8_pass_options_init(&opt);
    for (int p = 0; p < C8_PASS_COUNT_; p++) opt.enable[p] = p == C8_PASS_DEAD_LAYERS;
    c8_pass_log *log = c8_pass_log_create();
    c8_graph *o = optimize_and_compare(g, &opt, log, SEED + 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 3); /* c, relu, id3 */
    const c8_node *n = pu_producer(o, "y");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n->name, "relu");
    CU_ASSERT_EQUAL(c8_graph_find_value(o, "f"), -1);
    CU_ASSERT_EQUAL(c8_graph_find_value(o, "a"), -1);
    CU_ASSERT_EQUAL(c8_graph_find_value(o, "u_out"), -1);
    CU_ASSERT_PTR_NOT_NULL(pu_node_named(o, "id3"));
    CU_ASSERT_EQUAL(c8_graph_find_value(o, "d2_out"), -1);
    CU_ASSERT_EQUAL(c8_pass_log_count(log, C8_PASS_DEAD_LAYERS), 7);
    c8_pass_log_destroy(log);
    c8_graph_destroy(o);
    /* everything: the conv and relu fuse too, writing "y" */
    o = optimize_and_compare(g, NULL, NULL, SEED + 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 2);
    n = pu_producer(o, "y");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_FUSED_CONV);
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "CR(c+relu)");
    must_check(o);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* ---- inplace_concat ---- */

static void test_concat(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 7};
    int x = pu_input(g, "x", PU_SHAPE(1, 4, 6, 6));
    int rl[10];
    for (int i = 0; i < 10; i++) {
        char cn[16], co[16];
        snprintf(cn, sizeof cn, "cc%d", i);
        snprintf(co, sizeof co, "cc%d_out", i);
        int w = pu_const(g, cn, PU_SHAPE(2 + i % 3, 4, 3, 3), &r, -0.5f, 0.5f);
        rl[i] = PU_OP(g, co, "Conv", co, x, w);
        PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
    }
    const struct {
        const char *name;
        int a, b;
        int64_t axis;
        bool inplace;
    } cats[] = {
        {"cat_a", rl[0], rl[1], 1, true},  {"cat_b", x, rl[2], 1, false},
        {"cat_c", rl[3], rl[4], 2, false}, {"cat_d", rl[5], rl[6], -3, true},
        {"cat_e", rl[7], rl[8], 1, false}, /* rl[7] is read twice */
    };
    int cv[5];
    for (int i = 0; i < 5; i++) {
        char on[16];
        snprintf(on, sizeof on, "%s_out", cats[i].name);
        if (cats[i].axis == 2) /* same channels on both sides for axis 2 */
            cv[i] = PU_OP(g, cats[i].name, "Concat", on, cats[i].a, rl[9]);
        else
            cv[i] = PU_OP(g, cats[i].name, "Concat", on, cats[i].a, cats[i].b);
        pu_attr_i(g, pu_last_node(g), "axis", cats[i].axis);
        pu_output(g, cv[i]);
    }
    int extra = PU_OP(g, "extra", "Relu", "extra_out", rl[7]);
    pu_output(g, extra);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    for (int i = 0; i < 5; i++) {
        const c8_node *n = pu_node_named(o, cats[i].name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        const bool got = c8_node_attr_i(n, "c8_inplace", 0) == 1;
        if (got != cats[i].inplace) printf("\n  %s: c8_inplace %d\n", cats[i].name, got);
        CU_ASSERT_EQUAL(got, cats[i].inplace);
    }
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* ---- Gemm and ConvTranspose folding ---- */

static void test_gemm(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 8};
    int x = pu_input(g, "x", PU_SHAPE(3, 16));
    /* fc1: transB, C (8), alpha 0.5, beta 2 -> BN -> Relu */
    int w1 = pu_const(g, "fc1_w", PU_SHAPE(8, 16), &r, -0.5f, 0.5f);
    int b1 = pu_const(g, "fc1_b", PU_SHAPE(8), &r, -0.5f, 0.5f);
    int y1 = PU_OP(g, "fc1", "Gemm", "fc1_out", x, w1, b1);
    pu_attr_i(g, pu_last_node(g), "transB", 1);
    pu_attr_f(g, pu_last_node(g), "alpha", 0.5f);
    pu_attr_f(g, pu_last_node(g), "beta", 2.0f);
    int ga = pu_const(g, "bnf_g", PU_SHAPE(8), &r, 0.5f, 1.5f);
    int be = pu_const(g, "bnf_b", PU_SHAPE(8), &r, -0.3f, 0.3f);
    int me = pu_const(g, "bnf_m", PU_SHAPE(8), &r, -0.3f, 0.3f);
    int va = pu_const(g, "bnf_v", PU_SHAPE(8), &r, 0.5f, 2.0f);
    int z1 = PU_OP(g, "bn_fc", "BatchNormalization", "bn_fc_out", y1, ga, be, me, va);
    int o1 = PU_OP(g, "relu_fc", "Relu", "relu_fc_out", z1);
    /* fc2: no C -> Mul (8) -> LeakyRelu */
    int w2 = pu_const(g, "fc2_w", PU_SHAPE(16, 8), &r, -0.5f, 0.5f);
    int y2 = PU_OP(g, "fc2", "Gemm", "fc2_out", x, w2);
    int mc = pu_const(g, "mul_fc_c", PU_SHAPE(8), &r, -2.0f, 2.0f);
    int z2 = PU_OP(g, "mul_fc", "Mul", "mul_fc_out", y2, mc);
    int o2 = PU_OP(g, "lrelu_fc", "LeakyRelu", "lrelu_fc_out", z2);
    pu_attr_f(g, pu_last_node(g), "alpha", 0.2f);
    /* fc3: C (3, 8) -> Add scalar -> Sigmoid */
    int w3 = pu_const(g, "fc3_w", PU_SHAPE(16, 8), &r, -0.5f, 0.5f);
    int b3 = pu_const(g, "fc3_b", PU_SHAPE(3, 8), &r, -0.5f, 0.5f);
    int y3 = PU_OP(g, "fc3", "Gemm", "fc3_out", x, w3, b3);
    pu_attr_f(g, pu_last_node(g), "beta", -1.5f);
    float av = 0.3f;
    int ac = pu_const_vals(g, "add_fc_c", pu_shape(0, NULL), C8_DT_FLOAT, &av);
    int z3 = PU_OP(g, "add_fc", "Add", "add_fc_out", y3, ac);
    int o3 = PU_OP(g, "sig_fc", "Sigmoid", "sig_fc_out", z3);
    pu_output(g, o1);
    pu_output(g, o2);
    pu_output(g, o3);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 3);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_GEMM), 3);
    const c8_node *n = pu_producer(o, "relu_fc_out");
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "GBR(fc1+bn_fc+relu_fc)");
    n = pu_producer(o, "lrelu_fc_out");
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "GML(fc2+mul_fc+lrelu_fc)");
    CU_ASSERT_EQUAL(n->fusion.act, C8_ACT_LEAKY_RELU);
    CU_ASSERT_EQUAL(n->fusion.act_a, 0.2f);
    n = pu_producer(o, "sig_fc_out");
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "GAY(fc3+add_fc+sig_fc)");
    must_check(o);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

static void test_conv_transpose(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 9};
    int x = pu_input(g, "x", PU_SHAPE(1, 4, 5, 5));
    int w = pu_const(g, "dw", PU_SHAPE(4, 3, 3, 3), &r, -0.5f, 0.5f);
    int b = pu_const(g, "db", PU_SHAPE(6), &r, -0.5f, 0.5f);
    int y = PU_OP(g, "deconv", "ConvTranspose", "deconv_out", x, w, b);
    pu_attr_i(g, pu_last_node(g), "group", 2);
    PU_INTS(g, pu_last_node(g), "strides", 2, 2);
    int ga = pu_const(g, "bnd_g", PU_SHAPE(6), &r, 0.5f, 1.5f);
    int be = pu_const(g, "bnd_b", PU_SHAPE(6), &r, -0.3f, 0.3f);
    int me = pu_const(g, "bnd_m", PU_SHAPE(6), &r, -0.3f, 0.3f);
    int va = pu_const(g, "bnd_v", PU_SHAPE(6), &r, 0.5f, 2.0f);
    int z = PU_OP(g, "bn_d", "BatchNormalization", "bn_d_out", y, ga, be, me, va);
    int rl = PU_OP(g, "relu_d", "Relu", "relu_d_out", z);
    pu_output(g, rl);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 9);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 2); /* ConvTranspose has no fused epilogue: Relu stays */
    const c8_node *n = pu_producer(o, "bn_d_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_CONV_TRANSPOSE);
    CU_ASSERT_STRING_EQUAL(n->fusion.label, "DB(deconv+bn_d)");
    must_check(o);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* ---- fold_constants ---- */

static void test_fold_constants(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 10};
    int x = pu_input(g, "x", PU_SHAPE(2, 4));
    int c1 = pu_const(g, "c1", PU_SHAPE(4), &r, -1.0f, 1.0f);
    int c2 = pu_const(g, "c2", PU_SHAPE(4), &r, -1.0f, 1.0f);
    int m = PU_OP(g, "cmul", "Mul", "cmul_out", c1, c2);
    int y = PU_OP(g, "add", "Add", "y", x, m);
    pu_output(g, y);
    must_finish(g, false);
    c8_pass_options opt;
    c8_pass_options_init(&opt);
    for (int p = 0; p < C8_PASS_COUNT_; p++) opt.enable[p] = p == C8_PASS_FOLD_CONSTANTS;
    c8_pass_log *log = c8_pass_log_create();
    c8_graph *o = optimize_and_compare(g, &opt, log, SEED + 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_live(o), 1);
    CU_ASSERT_EQUAL(c8_pass_log_count(log, C8_PASS_FOLD_CONSTANTS), 1);
    CU_ASSERT_STRING_EQUAL(
        c8_pass_log_line(log, 0, NULL),
        "fold_constants: folded Mul 'cmul' (output 'cmul_out' is now a constant)");
    int v = c8_graph_find_value(o, "cmul_out");
    CU_ASSERT(v >= 0 && o->vals[v].kind == C8_VAL_CONST);
    c8_pass_log_destroy(log);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* ---- options, log, idempotence ---- */

static c8_graph *resnet_block(uint64_t seed) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {seed};
    int x = pu_input(g, "x", PU_SHAPE(1, 8, 6, 6));
    int a = conv_bn(g, &r, "b1_conv1", "b1_bn1", x, 8, 4, 1, false);
    int ra = PU_OP(g, "b1_relu1", "Relu", "b1_relu1_out", a);
    int b = conv_bn(g, &r, "b1_conv2", "b1_bn2", ra, 4, 4, 3, false);
    int rb = PU_OP(g, "b1_relu2", "Relu", "b1_relu2_out", b);
    int c = conv_bn(g, &r, "b1_conv3", "b1_bn3", rb, 4, 8, 1, false);
    int ds = conv_bn(g, &r, "b1_down", "b1_bn_down", x, 8, 8, 1, false);
    int s = PU_OP(g, "b1_add", "Add", "b1_add_out", c, ds);
    int y = PU_OP(g, "b1_relu3", "Relu", "b1_relu3_out", s);
    int d = PU_OP(g, "drop", "Dropout", "drop_out", y);
    pu_output(g, d);
    return g;
}

static void test_options_and_idempotence(void) {
    c8_graph *g = resnet_block(SEED + 11);
    must_finish(g, true);
    c8_pass_options opt;
    c8_pass_options_init(&opt);
    opt.enable[C8_PASS_FUSE_ACTIVATION] = false;
    c8_graph *o = optimize_and_compare(g, &opt, NULL, SEED + 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_RELU), 3);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_BATCHNORM), 0);
    c8_graph_destroy(o);

    c8_pass_log *log = c8_pass_log_create();
    o = optimize_and_compare(g, NULL, log, SEED + 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_RELU), 0);
    CU_ASSERT_EQUAL(c8_pass_log_nodes_before(log), 13);
    const c8_node *n = pu_producer(o, "drop_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_FUSED_CONV);
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    c8_pass_log_print(log, mf);
    fclose(mf);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "fold_batchnorm: b1_bn1 folded into b1_conv1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "nodes: 13 before, 4 after"));
    free(text);
    c8_pass_log_destroy(log);
    /* a second run changes nothing */
    c8_pass_log *log2 = c8_pass_log_create();
    c8_error err = {0};
    const int before = pu_live(o);
    CU_ASSERT_EQUAL(c8_graph_optimize(o, NULL, log2, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_pass_log_size(log2), 0);
    CU_ASSERT_EQUAL(pu_live(o), before);
    c8_pass_log_destroy(log2);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

/* ---- fuse_hardswish ---- */

/* Conv (+ BN when bn), then the hard-swish chain of the ONNX exporters: Add(z, 3), Clip(0, 6), Mul
 * (the Clip first: either side), Div(., div), then Mul(a, .) and Add(., b) by constants of shape
 * `aff` (one element: the affine joins the fusion; per channel: it stays outside). `extra`: the
 * conv's output is also a graph output (the chain must stay). */
static c8_graph *hardswish_graph(uint64_t seed, float div, c8_shape aff, bool extra, bool bn) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {seed};
    int x = pu_input(g, "x", PU_SHAPE(1, 3, 6, 7));
    int z = conv_bn(g, &r, "hs_conv", bn ? "hs_bn" : NULL, x, 3, 4, 3, true);
    float three = 3.0f, zero = 0.0f, six = 6.0f;
    int c3 = pu_const_vals(g, "c3", pu_shape(0, NULL), C8_DT_FLOAT, &three);
    int a = PU_OP(g, "hs_add", "Add", "hs_add_out", z, c3);
    int lo = pu_const_vals(g, "c0", pu_shape(0, NULL), C8_DT_FLOAT, &zero);
    int hi = pu_const_vals(g, "c6", pu_shape(0, NULL), C8_DT_FLOAT, &six);
    int k = PU_OP(g, "hs_clip", "Clip", "hs_clip_out", a, lo, hi);
    int m = PU_OP(g, "hs_mul", "Mul", "hs_mul_out", k, z);
    int cd = pu_const_vals(g, "cdiv", pu_shape(0, NULL), C8_DT_FLOAT, &div);
    int d = PU_OP(g, "hs_div", "Div", "hs_div_out", m, cd);
    int ca = pu_const(g, "aff_a", aff, &r, 0.5f, 1.5f);
    int ma = PU_OP(g, "aff_mul", "Mul", "aff_mul_out", ca, d);
    int cb = pu_const(g, "aff_b", aff, &r, -0.5f, 0.5f);
    int y = PU_OP(g, "aff_add", "Add", "aff_add_out", ma, cb);
    pu_output(g, y);
    if (extra) pu_output(g, z);
    must_finish(g, true);
    return g;
}

static void test_hardswish(void) {
    /* the whole chain with its affine: one FusedConv, bit for bit the unfused graph (no BN:
     * folding it changes the sums) */
    c8_graph *g = hardswish_graph(SEED + 21, 6.0f, PU_SHAPE(1), false, false);
    c8_pass_log *log = c8_pass_log_create();
    double before = g_worst;
    g_worst = 0;
    c8_graph *o = optimize_and_compare(g, NULL, log, SEED + 21);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(g_worst, 0.0); /* the same float32 steps in the same order */
    g_worst = before > g_worst ? before : g_worst;
    CU_ASSERT_EQUAL(pu_live(o), 1);
    const c8_node *n = pu_producer(o, "aff_add_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->op, C8_OP_FUSED_CONV);
    CU_ASSERT_EQUAL(n->fusion.act, C8_ACT_HARDSWISH);
    CU_ASSERT_STRING_EQUAL(n->fusion.label,
                           "CAKMVMA(hs_conv+hs_add+hs_clip+hs_mul+hs_div+aff_mul+aff_add)");
    const int ca = c8_graph_find_value(g, "aff_a"), cb = c8_graph_find_value(g, "aff_b");
    CU_ASSERT_EQUAL(n->fusion.act_a, *(const float *)g->vals[ca].data);
    CU_ASSERT_EQUAL(n->fusion.act_b, *(const float *)g->vals[cb].data);
    CU_ASSERT_EQUAL(c8_pass_log_count(log, C8_PASS_FUSE_HARDSWISH), 1);
    must_check(o);
    c8_pass_log_destroy(log);
    c8_graph_destroy(o);
    /* off: the chain stays */
    c8_pass_options opt;
    c8_pass_options_init(&opt);
    opt.enable[C8_PASS_FUSE_HARDSWISH] = false;
    o = optimize_and_compare(g, &opt, NULL, SEED + 21);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_DIV), 1);
    c8_graph_destroy(o);
    c8_graph_destroy(g);

    /* a per-channel affine stays outside: hard-swish alone (a = 1, b = 0) */
    g = hardswish_graph(SEED + 22, 6.0f, PU_SHAPE(1, 4, 1, 1), false, true);
    o = optimize_and_compare(g, NULL, NULL, SEED + 22);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    n = pu_producer(o, "hs_div_out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->fusion.act, C8_ACT_HARDSWISH);
    CU_ASSERT(n->fusion.act_a == 1.0f && n->fusion.act_b == 0.0f);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_MUL), 1);
    CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_ADD), 1);
    c8_graph_destroy(o);
    c8_graph_destroy(g);

    /* not hard-swish (Div by 5), and a conv output read elsewhere too: nothing fused */
    for (int v = 0; v < 2; v++) {
        g = hardswish_graph(SEED + 23 + (uint64_t)v, v ? 6.0f : 5.0f, PU_SHAPE(1), v == 1, true);
        o = optimize_and_compare(g, NULL, NULL, SEED + 23 + (uint64_t)v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_DIV), 1);
        CU_ASSERT_EQUAL(pu_count_op(o, C8_OP_CLIP), 1);
        c8_graph_destroy(o);
        c8_graph_destroy(g);
    }
}

/* ---- DOT ---- */

static void test_dot(void) {
    c8_graph *g = pu_graph(13);
    c8t_rng r = {SEED + 12};
    int x = pu_input(g, "x", PU_SHAPE(1, 3, 8, 8));
    int z = conv_bn(g, &r, "conv1", "bn1", x, 3, 4, 3, true);
    int y = PU_OP(g, "relu1", "Relu", "relu1_out", z);
    int q = PU_OP(g, "we\"ird\\name", "Sigmoid", "q", y);
    pu_output(g, q);
    must_finish(g, true);
    c8_graph *o = optimize_and_compare(g, NULL, NULL, SEED + 12);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    const char *path = C8_BINARY_DIR "/test_passes_dot.dot";
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_graph_write_dot(o, "after passes", path, &err), C8_OK);
    unsigned char *buf;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(c8_read_file(path, 0, &buf, &len, &err), C8_OK);
    const char *t = (const char *)buf;
    CU_ASSERT(!strncmp(t, "digraph \"after passes\" {", 24));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "CBR(conv1+bn1+relu1)\\nFusedConv +relu\\n1x4x8x8"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "we\\\"ird\\\\name"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "in0 -> n0 [label=\"x\"]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "n0 -> n1 [label=\"relu1_out\"]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "n1 -> out0;"));
    CU_ASSERT(len > 0 && t[len - 2] == '}');
    free(buf);
    remove(path);
    c8_graph_destroy(o);
    c8_graph_destroy(g);
}

static void test_summary(void) {
    printf("\n  worst relative error over the hand-built graphs: %.3g (%s)\n", g_worst,
           g_worst_what);
    CU_ASSERT(g_worst <= PASSES_RTOL);
}

static const c8_test_case cases[] = {
    {"conv_bn_relu", test_conv_bn_relu},
    {"conv_bn_affine_clip", test_conv_bn_affine_clip},
    {"no_fold_when_shared", test_no_fold_when_shared},
    {"degenerate_bn", test_degenerate_bn},
    {"shared_weights", test_shared_weights},
    {"sweep", test_sweep},
    {"residual", test_residual},
    {"horizontal_opset13", test_horizontal_opset13},
    {"horizontal_opset11", test_horizontal_opset11},
    {"identity_dropout", test_identity_dropout},
    {"concat", test_concat},
    {"gemm", test_gemm},
    {"conv_transpose", test_conv_transpose},
    {"fold_constants", test_fold_constants},
    {"options_and_idempotence", test_options_and_idempotence},
    {"hardswish", test_hardswish},
    {"dot", test_dot},
    {"summary", test_summary},
};
C8T_MAIN("passes", cases)
