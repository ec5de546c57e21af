/* Every op of the CUDA backend against the CPU reference: small hand-built graphs (odd channel
 * counts 1, 3, 7, 31, 33, 127, 129 and spatial sizes off every tile), each built once as a model
 * and run by an FP32 engine on the CPU and on the GPU (TF32 off: BT_FP32_RTOL), by FP16 engines
 * on both (BT_FP16_RTOL), and where INT8 layers apply by INT8 engines on both with the same
 * calibration cache (bit for bit where every arithmetic layer is INT8). Graph passes are on, so
 * Conv + BatchNormalization + Relu (+ residual Add) run as FusedConv. Ops the GPU has no kernel
 * for run on the host inside the backend and must agree as well. Seeds are printed on failure.
 * Exits 77 without a GPU. */
#include "tests/kernels/cuda/backend_test_util.h"

enum { F_FP16 = 1, F_INT8 = 2 };

/* Runs a model built from g (ownership passes) on CPU and GPU and compares; label names it. */
static void check_graph(const char *label, c8_graph *g, unsigned flags, uint64_t seed) {
    c8_model *m = NULL;
    c8_error err = {0};
    if (bt_model(g, &m, &err) != C8_OK) {
        printf("\n  %s: model: %s", label, err.msg);
        CU_FAIL("model");
        return;
    }
    c8t_rng rng = {seed};
    bt_inputs in;
    bt_random_inputs(m, &rng, &in);
    pu_result cpu, gpu;
    char why[512] = "";
    double worst;
    /* FP32 */
    c8_status s1 = bt_run(m, C8_DEVICE_CPU, C8_PREC_FP32, NULL, true, &in, &cpu, &err);
    BT_OK(s1, &err);
    c8_status s2 = s1 == C8_OK
                       ? bt_run(m, C8_DEVICE_CUDA, C8_PREC_FP32, NULL, true, &in, &gpu, &err)
                       : C8_ERR_INTERNAL;
    if (s1 == C8_OK) BT_OK(s2, &err);
    double e32 = -1, e16 = -1, e8 = -1;
    if (s1 == C8_OK && s2 == C8_OK) {
        bool ok = pu_compare(&cpu, &gpu, &worst, why, sizeof why);
        e32 = worst;
        if (!ok || !(worst <= BT_FP32_RTOL))
            printf("\n  %s: FP32 GPU vs CPU: rel %.3g > %g: %s (seed %llu)", label, worst,
                   BT_FP32_RTOL, why, (unsigned long long)seed);
        CU_ASSERT(ok && worst <= BT_FP32_RTOL);
    }
    if (s1 == C8_OK) pu_result_free(&cpu);
    if (s2 == C8_OK) pu_result_free(&gpu);
    /* FP16 */
    if (flags & F_FP16) {
        s1 = bt_run(m, C8_DEVICE_CPU, C8_PREC_FP16, NULL, true, &in, &cpu, &err);
        BT_OK(s1, &err);
        s2 = s1 == C8_OK ? bt_run(m, C8_DEVICE_CUDA, C8_PREC_FP16, NULL, true, &in, &gpu, &err)
                         : C8_ERR_INTERNAL;
        if (s1 == C8_OK) BT_OK(s2, &err);
        if (s1 == C8_OK && s2 == C8_OK) {
            bool ok = pu_compare(&cpu, &gpu, &worst, why, sizeof why);
            e16 = worst;
            if (!ok || !(worst <= BT_FP16_RTOL))
                printf("\n  %s: FP16 GPU vs CPU: rel %.3g > %g: %s (seed %llu)", label, worst,
                       BT_FP16_RTOL, why, (unsigned long long)seed);
            CU_ASSERT(ok && worst <= BT_FP16_RTOL);
        }
        if (s1 == C8_OK) pu_result_free(&cpu);
        if (s2 == C8_OK) pu_result_free(&gpu);
    }
    /* INT8 with one cache for both devices */
    if (flags & F_INT8) {
        char cache[512];
        bt_tmp_path(cache, sizeof cache, "ops.cache");
        BT_OK(bt_make_cache(m, &in, cache, &err), &err);
        c8_calib_cache *cc = NULL;
        BT_OK(c8_calib_cache_read(cache, &cc, &err), &err);
        c8_scale_source src = c8_calib_cache_scales(cc);
        c8_build_options bo;
        c8_build_options_init(&bo);
        bo.precision = C8_PREC_INT8;
        bo.scales = &src;
        c8_engine *ec = NULL, *eg = NULL;
        s1 = c8_engine_build(m, &bo, &ec, &err);
        BT_OK(s1, &err);
        bo.device = bt_gpu();
        s2 = c8_engine_build(m, &bo, &eg, &err);
        BT_OK(s2, &err);
        if (s1 == C8_OK && s2 == C8_OK) {
            c8_status r1 = pu_run_engine(ec, in.t, &cpu, &err);
            BT_OK(r1, &err);
            c8_status r2 = pu_run_engine(eg, in.t, &gpu, &err);
            BT_OK(r2, &err);
            if (r1 == C8_OK && r2 == C8_OK) {
                bool exact = bt_int8_exact(eg);
                bool ok = pu_compare(&cpu, &gpu, &worst, why, sizeof why);
                e8 = worst;
                bool pass = ok && (exact ? worst == 0 : worst <= BT_FP32_RTOL);
                if (!pass)
                    printf("\n  %s: INT8 GPU vs CPU (%s): rel %.3g: %s (seed %llu)", label,
                           exact ? "must be exact" : "FP32 layers inside", worst, why,
                           (unsigned long long)seed);
                CU_ASSERT(pass);
            }
            if (r1 == C8_OK) pu_result_free(&cpu);
            if (r2 == C8_OK) pu_result_free(&gpu);
        }
        c8_engine_destroy(ec);
        c8_calib_cache_destroy(cc);
        c8_engine_destroy(eg);
        unlink(cache);
    }
    printf("\n    %-44s fp32 %.2e  fp16 %.2e  int8 %.2e", label, e32, e16, e8);
    bt_inputs_free(&in);
    c8_model_destroy(m);
}

/* ---------------------------------------------------------------- convolutions */

typedef struct conv_case {
    int64_t n, c, h, w, k, kh, kw, stride, dil, group;
    int64_t pt, pl, pb, pr;
    int bn_relu;  /* BatchNormalization + Relu after (fused by the passes) */
    int residual; /* + x (K == C, same extents) before the Relu */
} conv_case;

static const conv_case kConvs[] = {
    {1, 3, 7, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},
    {2, 33, 14, 14, 31, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 0},
    {1, 129, 7, 7, 127, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
    {3, 16, 31, 31, 16, 3, 3, 1, 1, 16, 1, 1, 1, 1, 1, 0}, /* depthwise */
    {1, 8, 33, 33, 12, 5, 5, 2, 1, 4, 2, 1, 0, 2, 1, 0},   /* grouped, asymmetric pads */
    {2, 7, 15, 17, 9, 3, 3, 1, 2, 1, 2, 2, 2, 2, 1, 0},    /* dilation 2 */
    {2, 31, 9, 9, 31, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* residual block */
    {1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* ResNet stage 1 */
    {1, 1, 28, 28, 3, 5, 5, 1, 1, 1, 0, 0, 0, 0, 0, 0},
};

static c8_graph *conv_graph(const conv_case *cc, c8t_rng *r) {
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(cc->n, cc->c, cc->h, cc->w));
    int w = pu_const(g, "w", PU_SHAPE(cc->k, cc->c / cc->group, cc->kh, cc->kw), r, -0.5f, 0.5f);
    int b = pu_const(g, "b", PU_SHAPE(cc->k), r, -0.5f, 0.5f);
    int y = PU_OP(g, "conv", "Conv", "conv_out", x, w, b);
    int nd = pu_last_node(g);
    PU_INTS(g, nd, "strides", cc->stride, cc->stride);
    PU_INTS(g, nd, "dilations", cc->dil, cc->dil);
    PU_INTS(g, nd, "pads", cc->pt, cc->pl, cc->pb, cc->pr);
    pu_attr_i(g, nd, "group", cc->group);
    if (cc->bn_relu) {
        int sc = pu_const(g, "bn_s", PU_SHAPE(cc->k), r, 0.5f, 1.5f);
        int bb = pu_const(g, "bn_b", PU_SHAPE(cc->k), r, -0.2f, 0.2f);
        int mu = pu_const(g, "bn_m", PU_SHAPE(cc->k), r, -0.2f, 0.2f);
        int va = pu_const(g, "bn_v", PU_SHAPE(cc->k), r, 0.5f, 1.5f);
        y = PU_OP(g, "bn", "BatchNormalization", "bn_out", y, sc, bb, mu, va);
        if (cc->residual) y = PU_OP(g, "add", "Add", "add_out", y, x);
        y = PU_OP(g, "relu", "Relu", "relu_out", y);
    }
    pu_output(g, y);
    return g;
}

static void test_conv(void) {
    for (size_t i = 0; i < sizeof kConvs / sizeof kConvs[0]; i++) {
        const conv_case *cc = &kConvs[i];
        c8t_rng r = {100 + i};
        char label[128];
        snprintf(label, sizeof label,
                 "conv n%lld c%lld %lldx%lld k%lld %lldx%lld s%lld d%lld g%lld%s", (long long)cc->n,
                 (long long)cc->c, (long long)cc->h, (long long)cc->w, (long long)cc->k,
                 (long long)cc->kh, (long long)cc->kw, (long long)cc->stride, (long long)cc->dil,
                 (long long)cc->group, cc->residual ? " +res" : "");
        check_graph(label, conv_graph(cc, &r), F_FP16 | F_INT8, 100 + i);
    }
}

static void test_conv1d(void) {
    c8t_rng r = {7};
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(2, 7, 33));
    int w = pu_const(g, "w", PU_SHAPE(5, 7, 3), &r, -0.5f, 0.5f);
    int y = PU_OP(g, "conv", "Conv", "y", x, w);
    PU_INTS(g, pu_last_node(g), "pads", 1, 0);
    pu_output(g, y);
    check_graph("conv1d 2x7x33 k5 3 pads(1,0)", g, F_FP16, 7);
}

/* ConvTranspose; the kernel = stride cases (the PaddleOCR detector's 2x2 / 2 upsamplings, a
 * 3x3 / 3 and a 1x2 / 1x2 one, K = 1 as the detector's last) run twice: as the build's timing picks
 * (cuDNN or the direct kernel), and on the direct kernel alone (C8_CUDA_CONVT_DIRECT_ONLY). A Relu
 * or Sigmoid after it is fused into the layer by the passes. */
static void test_conv_transpose(void) {
    static const int64_t cases[][11] = {
        /* n, c, h, k, kern h, kern w, stride h, stride w, pad, output_padding, act (0 / Relu /
         * Sigmoid) */
        {1, 8, 7, 5, 3, 3, 2, 2, 1, 1, 0},   {2, 3, 5, 7, 4, 4, 2, 2, 1, 0, 0},
        {1, 16, 9, 16, 3, 3, 1, 1, 1, 0, 0}, {2, 24, 9, 24, 2, 2, 2, 2, 0, 0, 1},
        {1, 24, 8, 1, 2, 2, 2, 2, 0, 0, 2},  {2, 5, 7, 3, 3, 3, 3, 3, 0, 0, 0},
        {1, 33, 6, 17, 1, 2, 1, 2, 0, 0, 1},
    };
    for (int forced = 0; forced < 2; forced++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            const int64_t *p = cases[i];
            const int s2k = p[4] == p[6] && p[5] == p[7] && !p[8] && !p[9];
            if (forced && !s2k) continue;
            c8t_rng r = {200 + i};
            c8_graph *g = pu_graph(13);
            int x = pu_input(g, "x", PU_SHAPE(p[0], p[1], p[2], p[2] + 1));
            int w = pu_const(g, "w", PU_SHAPE(p[1], p[3], p[4], p[5]), &r, -0.5f, 0.5f);
            int b = pu_const(g, "b", PU_SHAPE(p[3]), &r, -0.5f, 0.5f);
            int y = PU_OP(g, "convt", "ConvTranspose", "convt_out", x, w, b);
            int nd = pu_last_node(g);
            PU_INTS(g, nd, "strides", p[6], p[7]);
            PU_INTS(g, nd, "pads", p[8], p[8], p[8], p[8]);
            if (p[9]) PU_INTS(g, nd, "output_padding", p[9], p[9]);
            if (p[10] == 1) y = PU_OP(g, "relu", "Relu", "relu_out", y);
            if (p[10] == 2) y = PU_OP(g, "sig", "Sigmoid", "sig_out", y);
            pu_output(g, y);
            char label[128];
            snprintf(label, sizeof label, "convtranspose c%lld->%lld k%lldx%lld s%lldx%lld%s%s",
                     (long long)p[1], (long long)p[3], (long long)p[4], (long long)p[5],
                     (long long)p[6], (long long)p[7],
                     p[10] == 1   ? " relu"
                     : p[10] == 2 ? " sigmoid"
                                  : "",
                     forced ? " direct" : "");
            if (forced) setenv("C8_CUDA_CONVT_DIRECT_ONLY", "1", 1);
            check_graph(label, g, F_FP16, 200 + i);
            unsetenv("C8_CUDA_CONVT_DIRECT_ONLY");
        }
}

/* An FP32 CUDA build of (a copy of) g places every node on the GPU: no host fallback. */
static void assert_no_host_nodes(const c8_graph *g) {
    c8_model *m = NULL;
    c8_error err = {0};
    c8_graph *g2 = c8_graph_clone(g);
    CU_ASSERT_FATAL(g2 != NULL);
    if (bt_model(g2, &m, &err) != C8_OK) {
        CU_FAIL("model");
        return;
    }
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.device = bt_gpu();
    c8_engine *e = NULL;
    BT_OK(c8_engine_build(m, &bo, &e, &err), &err);
    if (e) CU_ASSERT_EQUAL(c8_engine_num_host_nodes(e), 0);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

/* The float32 elementwise math of the second ONNX block on the GPU (Pow with a broadcast
 * exponent, Sqrt, Reciprocal, Exp, Log, Neg, Abs, Erf, Gelu in both forms): against the CPU
 * reference within the FP32 tolerance, and every node placed on the GPU (no host fallback). */
static void test_math_ops(void) {
    c8t_rng r = {301};
    c8_graph *g = pu_graph(20);
    int x = pu_input(g, "x", PU_SHAPE(2, 5, 7, 9));
    int half = pu_const(g, "half", PU_SHAPE(1), &r, 0.5f, 0.5f);
    int ex = pu_const(g, "ex", PU_SHAPE(9), &r, -2.5f, 2.5f);
    int ab = PU_OP(g, "abs", "Abs", "abs_out", x);
    int pos = PU_OP(g, "pos", "Add", "pos_out", ab, half);
    pu_output(g, PU_OP(g, "sqrt", "Sqrt", "sqrt_out", pos));
    pu_output(g, PU_OP(g, "recip", "Reciprocal", "recip_out", pos));
    pu_output(g, PU_OP(g, "log", "Log", "log_out", pos));
    pu_output(g, PU_OP(g, "pow", "Pow", "pow_out", pos, ex));
    int ng = PU_OP(g, "neg", "Neg", "neg_out", x);
    pu_output(g, PU_OP(g, "exp", "Exp", "exp_out", ng));
    pu_output(g, PU_OP(g, "erf", "Erf", "erf_out", x));
    pu_output(g, PU_OP(g, "gelu", "Gelu", "gelu_out", x));
    int gt = PU_OP(g, "gelu_t", "Gelu", "gelu_t_out", x);
    pu_attr_s(g, pu_last_node(g), "approximate", "tanh");
    pu_output(g, gt);
    assert_no_host_nodes(g);
    check_graph("math ops 2x5x7x9", g, 0, 301);
}

/* The reductions on the GPU (opset 13: axes attributes, ReduceSum's axes an input): a
 * LayerNorm's mean over the last axis, inner and outer axes together, all axes, keepdims 0 and
 * 1, a reduction over one element; against the CPU reference within the FP32 tolerance, every
 * node on the GPU. */
static void test_reduce_ops(void) {
    c8t_rng r = {311};
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(2, 3, 5, 67));
    int y;
    y = PU_OP(g, "mean_last", "ReduceMean", "mean_last_out", x);
    PU_INTS(g, pu_last_node(g), "axes", -1);
    pu_output(g, y);
    const int64_t sum_axes[2] = {1, 3};
    int sa = pu_const_vals(g, "sum_axes", PU_SHAPE(2), C8_DT_INT64, sum_axes);
    y = PU_OP(g, "sum13", "ReduceSum", "sum13_out", x, sa);
    pu_attr_i(g, pu_last_node(g), "keepdims", 0);
    pu_output(g, y);
    y = PU_OP(g, "max02", "ReduceMax", "max02_out", x);
    PU_INTS(g, pu_last_node(g), "axes", 0, 2);
    pu_output(g, y);
    y = PU_OP(g, "min_all", "ReduceMin", "min_all_out", x);
    pu_attr_i(g, pu_last_node(g), "keepdims", 0);
    pu_output(g, y);
    y = PU_OP(g, "l2", "ReduceL2", "l2_out", x);
    PU_INTS(g, pu_last_node(g), "axes", 1);
    pu_output(g, y);
    y = PU_OP(g, "sumsq", "ReduceSumSquare", "sumsq_out", x);
    PU_INTS(g, pu_last_node(g), "axes", 2, 3);
    pu_output(g, y);
    int one = PU_OP(g, "mean0", "ReduceMean", "mean0_out", x);
    PU_INTS(g, pu_last_node(g), "axes", 0, 1, 2);
    y = PU_OP(g, "mean_one", "ReduceMean", "mean_one_out", one);
    PU_INTS(g, pu_last_node(g), "axes", 0);
    pu_output(g, y);
    (void)r;
    assert_no_host_nodes(g);
    check_graph("reductions 2x3x5x67", g, 0, 311);
}

/* ---------------------------------------------------------------- matrix products */

static void test_gemm(void) {
    static const int64_t cases[][6] = {
        /* M, K, N, transA, transB, C rank (0 none, 1 (N), 2 (M, N)) */
        {1, 127, 31, 0, 1, 1},
        {7, 129, 33, 0, 0, 2},
        {33, 64, 10, 1, 1, 1},
        {3, 2048, 1000, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t *p = cases[i];
        c8t_rng r = {300 + i};
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", p[3] ? PU_SHAPE(p[1], p[0]) : PU_SHAPE(p[0], p[1]));
        int w =
            pu_const(g, "w", p[4] ? PU_SHAPE(p[2], p[1]) : PU_SHAPE(p[1], p[2]), &r, -0.1f, 0.1f);
        int y;
        if (p[5] == 0)
            y = PU_OP(g, "gemm", "Gemm", "y", x, w);
        else {
            int cv = pu_const(g, "c", p[5] == 1 ? PU_SHAPE(p[2]) : PU_SHAPE(p[0], p[2]), &r, -1.0f,
                              1.0f);
            y = PU_OP(g, "gemm", "Gemm", "y", x, w, cv);
        }
        int nd = pu_last_node(g);
        pu_attr_i(g, nd, "transA", p[3]);
        pu_attr_i(g, nd, "transB", p[4]);
        pu_attr_f(g, nd, "alpha", 0.75f);
        pu_attr_f(g, nd, "beta", 1.25f);
        y = PU_OP(g, "relu", "Relu", "r", y);
        pu_output(g, y);
        char label[96];
        snprintf(label, sizeof label, "gemm %lldx%lldx%lld tA%lld tB%lld C%lld", (long long)p[0],
                 (long long)p[1], (long long)p[2], (long long)p[3], (long long)p[4],
                 (long long)p[5]);
        check_graph(label, g, F_FP16 | (p[3] ? 0 : F_INT8), 300 + i);
    }
}

static void test_matmul(void) {
    c8t_rng r = {400};
    {
        c8_graph *g = pu_graph(13);
        int a = pu_input(g, "a", PU_SHAPE(2, 3, 7, 33));
        int b = pu_const(g, "b", PU_SHAPE(33, 5), &r, -0.5f, 0.5f);
        pu_output(g, PU_OP(g, "mm", "MatMul", "y", a, b));
        check_graph("matmul 2x3x7x33 @ 33x5", g, F_FP16, 400);
    }
    {
        c8_graph *g = pu_graph(13);
        int a = pu_input(g, "a", PU_SHAPE(2, 1, 4, 5));
        int b = pu_input(g, "b", PU_SHAPE(3, 5, 6));
        pu_output(g, PU_OP(g, "mm", "MatMul", "y", a, b));
        check_graph("matmul batch broadcast 2x1x4x5 @ 3x5x6", g, F_FP16, 401);
    }
    {
        c8_graph *g = pu_graph(13);
        int a = pu_input(g, "a", PU_SHAPE(7));
        int b = pu_input(g, "b", PU_SHAPE(7, 3));
        pu_output(g, PU_OP(g, "mm", "MatMul", "y", a, b));
        check_graph("matmul 7 @ 7x3", g, 0, 402);
    }
}

/* ---------------------------------------------------------------- pools, BN, LRN, softmax */

static void test_pools(void) {
    static const int64_t cases[][10] = {
        /* n, c, h, w, k, stride, pad, ceil, max, count_include_pad */
        {2, 33, 15, 15, 3, 2, 1, 0, 1, 0},
        {1, 7, 14, 14, 3, 2, 1, 1, 1, 0},
        {3, 31, 9, 11, 2, 2, 0, 0, 0, 0},
        {1, 3, 7, 7, 3, 1, 1, 0, 0, 1},
        {1, 129, 13, 13, 5, 3, 2, 1, 0, 0},
        /* channels a multiple of the 16-byte vector: the dense channels-last path */
        {2, 64, 28, 28, 3, 2, 1, 0, 1, 0},
        {2, 24, 13, 13, 3, 2, 1, 1, 1, 0},
        {1, 32, 11, 11, 3, 1, 1, 0, 0, 1},
        {1, 40, 12, 12, 2, 2, 0, 0, 0, 0},
        {1, 16, 17, 17, 5, 3, 2, 1, 0, 0},
        {1, 12, 9, 9, 3, 2, 1, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t *p = cases[i];
        c8t_rng r = {500 + i};
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(p[0], p[1], p[2], p[3]));
        /* a convolution first so FP16 / INT8 run the pool on their own layouts */
        int w = pu_const(g, "w", PU_SHAPE(p[1], 1, 1, 1), &r, 0.5f, 1.5f);
        int y = PU_OP(g, "dw", "Conv", "c", x, w);
        pu_attr_i(g, pu_last_node(g), "group", p[1]);
        y = PU_OP(g, "pool", p[8] ? "MaxPool" : "AveragePool", "y", y);
        int nd = pu_last_node(g);
        PU_INTS(g, nd, "kernel_shape", p[4], p[4]);
        PU_INTS(g, nd, "strides", p[5], p[5]);
        PU_INTS(g, nd, "pads", p[6], p[6], p[6], p[6]);
        pu_attr_i(g, nd, "ceil_mode", p[7]);
        if (!p[8]) pu_attr_i(g, nd, "count_include_pad", p[9]);
        pu_output(g, y);
        char label[96];
        snprintf(label, sizeof label, "%s %lldx%lldx%lldx%lld k%lld s%lld p%lld%s%s",
                 p[8] ? "maxpool" : "avgpool", (long long)p[0], (long long)p[1], (long long)p[2],
                 (long long)p[3], (long long)p[4], (long long)p[5], (long long)p[6],
                 p[7] ? " ceil" : "", p[9] ? " cip" : "");
        check_graph(label, g, F_FP16 | F_INT8, 500 + i);
    }
    /* 64 channels: FP16 / FP32 channels-last averages take the 16-byte kernel */
    static const int64_t gchans[] = {33, 64};
    for (int mx = 0; mx < 2; mx++)
        for (int k = 0; k < 2; k++) {
            const int64_t c = gchans[k];
            c8t_rng r = {520 + (uint64_t)mx + 2 * (uint64_t)k};
            c8_graph *g = pu_graph(13);
            int x = pu_input(g, "x", PU_SHAPE(3, c, 7, 9));
            int w = pu_const(g, "w", PU_SHAPE(c, c, 1, 1), &r, -0.5f, 0.5f);
            int y = PU_OP(g, "pw", "Conv", "c", x, w);
            y = PU_OP(g, "gp", mx ? "GlobalMaxPool" : "GlobalAveragePool", "g", y);
            y = PU_OP(g, "fl", "Flatten", "f", y);
            pu_output(g, y);
            char label[64];
            snprintf(label, sizeof label, "global%spool 3x%lldx7x9 + flatten", mx ? "max" : "avg",
                     (long long)c);
            check_graph(label, g, F_FP16 | (mx ? 0 : F_INT8), 520 + (uint64_t)mx + 2 * (uint64_t)k);
        }
}

static void test_norms(void) {
    c8t_rng r = {600};
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 7, 5, 9));
        int sc = pu_const(g, "s", PU_SHAPE(7), &r, 0.5f, 1.5f);
        int b = pu_const(g, "b", PU_SHAPE(7), &r, -1.0f, 1.0f);
        int m = pu_const(g, "m", PU_SHAPE(7), &r, -1.0f, 1.0f);
        int v = pu_const(g, "v", PU_SHAPE(7), &r, 0.1f, 2.0f);
        int y = PU_OP(g, "bn", "BatchNormalization", "y", x, sc, b, m, v);
        pu_attr_f(g, pu_last_node(g), "epsilon", 1e-3f);
        pu_output(g, y);
        check_graph("batchnorm 2x7x5x9 (unfused)", g, F_FP16, 600);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 33, 6, 7));
        int y = PU_OP(g, "lrn", "LRN", "y", x);
        pu_attr_i(g, pu_last_node(g), "size", 5);
        pu_attr_f(g, pu_last_node(g), "alpha", 1e-3f);
        pu_output(g, y);
        check_graph("lrn 2x33x6x7 size 5", g, F_FP16, 601);
    }
    static const int64_t opsets[] = {11, 13};
    for (int i = 0; i < 2; i++)
        for (int64_t axis = -1; axis <= 1; axis++) {
            c8_graph *g = pu_graph(opsets[i]);
            int x = pu_input(g, "x", PU_SHAPE(3, 7, 33));
            int y = PU_OP(g, "sm", "Softmax", "y", x);
            pu_attr_i(g, pu_last_node(g), "axis", axis);
            pu_output(g, y);
            char label[64];
            snprintf(label, sizeof label, "softmax opset %lld axis %lld", (long long)opsets[i],
                     (long long)axis);
            check_graph(label, g, F_FP16, 610 + (uint64_t)(i * 4 + axis + 1));
        }
    { /* long rows (the recognizer's 6,625 classes): a warp per row, the sum in double */
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 20, 6625));
        int y = PU_OP(g, "sm", "Softmax", "y", x);
        pu_output(g, y);
        check_graph("softmax 2x20x6625", g, F_FP16, 620);
    }
}

/* ---------------------------------------------------------------- elementwise */

static void test_eltwise(void) {
    static const char *const unary[] = {"Relu", "LeakyRelu",   "Sigmoid",
                                        "Tanh", "HardSigmoid", "HardSwish"};
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++) {
        c8_graph *g = pu_graph(14);
        int x = pu_input(g, "x", PU_SHAPE(2, 3, 31, 33));
        pu_output(g, PU_OP(g, "u", unary[i], "y", x));
        check_graph(unary[i], g, F_FP16, 700 + i);
    }
    static const char *const binary[] = {"Add", "Sub", "Mul", "Div", "Max", "Min", "PRelu"};
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) {
        c8t_rng r = {710 + i};
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 7, 5, 9));
        int b = pu_const(g, "b", PU_SHAPE(7, 1, 1), &r, 0.5f, 1.5f);
        int y = PU_OP(g, "b1", binary[i], "y1", x, b);
        if (strcmp(binary[i], "PRelu") != 0) {
            int z = pu_input(g, "z", PU_SHAPE(5, 1));
            y = PU_OP(g, "b2", binary[i], "y", y, z);
        }
        pu_output(g, y);
        char label[64];
        snprintf(label, sizeof label, "%s with broadcasting", binary[i]);
        check_graph(label, g, F_FP16, 710 + i);
    }
    {
        /* dense operands of one type, a multiple of 8 elements: the 16-byte vector path
         * (k_eltwise_dense8) in FP32 and FP16 */
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 16, 9, 11));
        int z = pu_input(g, "z", PU_SHAPE(2, 16, 9, 11));
        int a = PU_OP(g, "a", "Add", "a", x, z);
        int m = PU_OP(g, "m", "Mul", "m", a, x);
        pu_output(g, PU_OP(g, "r", "Relu", "y", m));
        check_graph("dense Add, Mul, Relu", g, F_FP16, 729);
    }
    {
        c8t_rng r = {730};
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(3, 1, 7));
        int y = pu_input(g, "y", PU_SHAPE(5, 1));
        int z = pu_const(g, "z", PU_SHAPE(7), &r, -1.0f, 1.0f);
        pu_output(g, PU_OP(g, "s", "Sum", "out", x, y, z));
        check_graph("Sum of 3 with broadcasting", g, F_FP16, 730);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(4, 129));
        float lo = -0.25f, hi = 0.5f;
        const c8_shape scalar = {0, {0}};
        int l = pu_const_vals(g, "lo", scalar, C8_DT_FLOAT, &lo);
        int h = pu_const_vals(g, "hi", scalar, C8_DT_FLOAT, &hi);
        pu_output(g, PU_OP(g, "clip", "Clip", "y", x, l, h));
        check_graph("Clip(-0.25, 0.5)", g, F_FP16, 731);
    }
}

/* ---------------------------------------------------------------- data movement */

static int i64_const(c8_graph *g, const char *name, int n, const int64_t *v) {
    return pu_const_vals(g, name, pu_shape(1, (int64_t[]){n}), C8_DT_INT64, v);
}

static void test_movement(void) {
    c8t_rng r = {800};
    {
        /* Concat of two convolution outputs along channels (FP16: channels-last views) */
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 7, 9, 9));
        int w1 = pu_const(g, "w1", PU_SHAPE(5, 7, 3, 3), &r, -0.5f, 0.5f);
        int w2 = pu_const(g, "w2", PU_SHAPE(33, 7, 1, 1), &r, -0.5f, 0.5f);
        int a = PU_OP(g, "c1", "Conv", "a", x, w1);
        PU_INTS(g, pu_last_node(g), "pads", 1, 1, 1, 1);
        int b = PU_OP(g, "c2", "Conv", "b", x, w2);
        int y = PU_OP(g, "cat", "Concat", "y", a, b, x);
        pu_attr_i(g, pu_last_node(g), "axis", 1);
        pu_output(g, y);
        check_graph("concat axis 1 (conv, conv, input)", g, F_FP16 | F_INT8, 800);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 3, 4, 5));
        int z = pu_input(g, "z", PU_SHAPE(2, 3, 4, 7));
        int y = PU_OP(g, "cat", "Concat", "y", x, z);
        pu_attr_i(g, pu_last_node(g), "axis", -1);
        pu_output(g, y);
        check_graph("concat axis -1", g, F_FP16, 801);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 3, 4, 5));
        int y = PU_OP(g, "t", "Transpose", "y", x);
        PU_INTS(g, pu_last_node(g), "perm", 0, 2, 3, 1);
        pu_output(g, y);
        check_graph("transpose 0,2,3,1", g, F_FP16, 802);
    }
    {
        /* NCHW <-> NHWC over several 32 x 32 tiles with ragged edges (k_transpose) */
        static const int64_t perms[2][4] = {{0, 2, 3, 1}, {0, 3, 1, 2}};
        for (int k = 0; k < 2; k++) {
            c8_graph *g = pu_graph(13);
            int x = pu_input(g, "x", PU_SHAPE(3, 40, 7, 9));
            int y = PU_OP(g, "t", "Transpose", "y", x);
            PU_INTS(g, pu_last_node(g), "perm", perms[k][0], perms[k][1], perms[k][2], perms[k][3]);
            pu_output(g, y);
            check_graph(k ? "transpose 0,3,1,2 (3x40x7x9)" : "transpose 0,2,3,1 (3x40x7x9)", g,
                        F_FP16, 803 + (uint64_t)k);
        }
        /* one side of 3 (an image's channels): one thread per line (k_transpose_small) */
        for (int k = 0; k < 2; k++) {
            c8_graph *g = pu_graph(13);
            int x = k ? pu_input(g, "x", PU_SHAPE(2, 17, 19, 3))
                      : pu_input(g, "x", PU_SHAPE(2, 3, 17, 19));
            int y = PU_OP(g, "t", "Transpose", "y", x);
            PU_INTS(g, pu_last_node(g), "perm", perms[k][0], perms[k][1], perms[k][2], perms[k][3]);
            pu_output(g, y);
            check_graph(k ? "transpose 0,3,1,2 (2x17x19x3)" : "transpose 0,2,3,1 (2x3x17x19)", g,
                        F_FP16, 805 + (uint64_t)k);
        }
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 6, 4, 5));
        int64_t shp[3] = {2, -1, 10};
        int s = i64_const(g, "shape", 3, shp);
        int y = PU_OP(g, "r", "Reshape", "r", x, s);
        int64_t ax[1] = {1};
        int a = i64_const(g, "axes", 1, ax);
        y = PU_OP(g, "u", "Unsqueeze", "u", y, a);
        int a2 = i64_const(g, "axes2", 1, ax);
        y = PU_OP(g, "q", "Squeeze", "q", y, a2);
        y = PU_OP(g, "f", "Flatten", "y", y);
        pu_output(g, y);
        check_graph("reshape, unsqueeze, squeeze, flatten", g, F_FP16, 803);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 3, 9, 11));
        int64_t st[2] = {1, 1}, en[2] = {8, 11}, ax[2] = {2, 3}, sp[2] = {2, -1};
        en[1] = -12;
        st[1] = 9;
        int y =
            PU_OP(g, "sl", "Slice", "y", x, i64_const(g, "st", 2, st), i64_const(g, "en", 2, en),
                  i64_const(g, "ax", 2, ax), i64_const(g, "sp", 2, sp));
        pu_output(g, y);
        check_graph("slice with steps 2 and -1", g, F_FP16, 804);
    }
    static const char *const modes[] = {"constant", "reflect", "edge"};
    for (int i = 0; i < 3; i++) {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(1, 3, 5, 7));
        int64_t pads[8] = {0, 0, 2, 1, 0, 1, 1, 3};
        float val = 0.5f;
        int p = i64_const(g, "pads", 8, pads);
        const c8_shape scalar = {0, {0}};
        int v = pu_const_vals(g, "v", scalar, C8_DT_FLOAT, &val);
        int y = i == 0 ? PU_OP(g, "pad", "Pad", "y", x, p, v) : PU_OP(g, "pad", "Pad", "y", x, p);
        c8_attr a;
        memset(&a, 0, sizeof a);
        a.name = strdup("mode");
        a.type = C8_ATTR_STRING;
        a.s = strdup(modes[i]);
        c8_node_add_attr(g, pu_last_node(g), &a, NULL);
        pu_output(g, y);
        char label[64];
        snprintf(label, sizeof label, "pad %s", modes[i]);
        check_graph(label, g, F_FP16, 810 + (uint64_t)i);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(1, 3, 5, 7));
        float sc[4] = {1.0f, 1.0f, 2.0f, 3.0f};
        int s = pu_const_vals(g, "scales", PU_SHAPE(4), C8_DT_FLOAT, sc);
        int y = PU_OP(g, "rs", "Resize", "y", x, -1, s);
        c8_attr a;
        memset(&a, 0, sizeof a);
        a.name = strdup("mode");
        a.type = C8_ATTR_STRING;
        a.s = strdup("nearest");
        c8_node_add_attr(g, pu_last_node(g), &a, NULL);
        pu_output(g, y);
        check_graph("resize nearest x2 x3", g, F_FP16, 820);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(1, 3, 5, 7));
        float sc[4] = {1.0f, 1.0f, 2.0f, 2.0f};
        int s = pu_const_vals(g, "scales", PU_SHAPE(4), C8_DT_FLOAT, sc);
        int y = PU_OP(g, "rs", "Resize", "y", x, -1, s);
        c8_attr a;
        memset(&a, 0, sizeof a);
        a.name = strdup("mode");
        a.type = C8_ATTR_STRING;
        a.s = strdup("linear");
        c8_node_add_attr(g, pu_last_node(g), &a, NULL);
        pu_output(g, y);
        check_graph("resize linear x2 (host fallback)", g, F_FP16, 821);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(4, 7, 5));
        int64_t idx[3] = {6, 0, -2};
        int i = i64_const(g, "idx", 3, idx);
        int y = PU_OP(g, "ga", "Gather", "y", x, i);
        pu_attr_i(g, pu_last_node(g), "axis", 1);
        pu_output(g, y);
        check_graph("gather axis 1", g, F_FP16, 830);
    }
    {
        c8_graph *g = pu_graph(13);
        int x = pu_input(g, "x", PU_SHAPE(2, 9, 5));
        int64_t sp[2] = {4, 5};
        int s = i64_const(g, "split", 2, sp);
        int outs[2];
        const char *names[2] = {"a", "b"};
        pu_node(g, "split", "Split", (int[]){x, s}, 2, names, 2, outs);
        pu_attr_i(g, pu_last_node(g), "axis", 1);
        pu_output(g, outs[0]);
        pu_output(g, outs[1]);
        check_graph("split axis 1 (4, 5)", g, F_FP16, 840);
    }
}

static const c8_test_case cases[] = {
    {"conv_fused_sweep", test_conv},
    {"conv1d", test_conv1d},
    {"conv_transpose", test_conv_transpose},
    {"math_ops", test_math_ops},
    {"reduce_ops", test_reduce_ops},
    {"gemm", test_gemm},
    {"matmul", test_matmul},
    {"pools", test_pools},
    {"bn_lrn_softmax", test_norms},
    {"eltwise", test_eltwise},
    {"data_movement", test_movement},
};
int main(void) {
    /* the kernels written without a GPU at hand run here first (docs/cuda.md) */
    setenv("C8_CUDA_UNVERIFIED", "1", 1);
    return bt_main("cuda_backend_ops", cases, (int)(sizeof cases / sizeof cases[0]));
}
