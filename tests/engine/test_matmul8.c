/* INT8 MatMul between two activations (issue 19, part 3): the builder lowers a MatMul whose
 * operands both have cache scales to Q8MatMul (ops/q8.c), and the built engine computes, on the
 * reference CPU device and on the default one, what calib8's INT8 semantics define: each operand
 * quantized per tensor, exact integer sums, one multiplier (s_a * s_b, or s_a * s_b / s_out for
 * an int8 output). Checked against float64 math written here on the quantized operands, and
 * against the float product within the quantization error; the fallbacks (an operand without a
 * scale, rank 1, --layer-precision) keep the layer in FP32 with their reasons. */
#include "kit/graph.h"

#include "calib8/engine.h"
#include "calib8/quant.h"
#include "engine/model_internal.h"

#include <math.h>

/* a (2, 3, 4, 6) x b (3, 6, 5) -> (2, 3, 4, 5): b broadcast over a's first axis (attention's
 * (N, heads, T, d) x (heads, d, T') shape); then, when relu_consumer, a Relu and a second
 * MatMul with b2 (1, 5, 2), so the first MatMul writes int8 for an INT8 consumer. */
static const float k_sa = 2.0f / 127, k_sb = 1.5f / 127, k_sy = 6.0f / 127, k_sr = 6.0f / 127,
                   k_sb2 = 1.0f / 127;

static bool scales(void *user, const char *name, float *s) {
    const char *skip = user;
    if (skip && !strcmp(skip, name)) return false;
    if (!strcmp(name, "a"))
        *s = k_sa;
    else if (!strcmp(name, "b"))
        *s = k_sb;
    else if (!strcmp(name, "y"))
        *s = k_sy;
    else if (!strcmp(name, "r"))
        *s = k_sr;
    else if (!strcmp(name, "b2"))
        *s = k_sb2;
    else
        return false;
    return true;
}

static c8_model *model(bool second) {
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    int a = pu_input(g, "a", PU_SHAPE(2, 3, 4, 6));
    int b = pu_input(g, "b", PU_SHAPE(3, 6, 5));
    int y = PU_OP(g, "mm", "MatMul", "y", a, b);
    if (second) {
        int b2 = pu_input(g, "b2", PU_SHAPE(1, 5, 2));
        int r = PU_OP(g, "relu", "Relu", "r", y);
        y = PU_OP(g, "mm2", "MatMul", "z", r, b2);
    }
    pu_output(g, y);
    c8_model *m = NULL;
    if (c8_model_from_graph(g, true, &m, &err) != C8_OK) printf("\n  %s", err.msg);
    return m;
}

static c8_engine *build(c8_model *m, c8_device dev, const char *skip, const char *layers) {
    c8_scale_source src = {scales, (void *)skip, NULL};
    return pu_build_int8(m, dev, &src, layers);
}

static void fill(float *x, int n, float amax, uint64_t seed) {
    c8t_rng r = {seed};
    for (int i = 0; i < n; i++) x[i] = c8t_uniform(&r, -amax, amax);
}

/* q = rne_sat127(x * (1/s)) written out here: round half to even with rint (the default
 * rounding mode), saturate to +-127 */
static int quant(float x, float s) {
    float inv = 1.0f / s;
    float t = x * inv;
    double r = rint((double)t);
    return r > 127 ? 127 : r < -127 ? -127 : (int)r;
}

static float *run(c8_engine *e, const float *a, const float *b, const float *b2) {
    c8_host_tensor in[3] = {{"a", C8_DT_FLOAT, PU_SHAPE(2, 3, 4, 6), (void *)a},
                            {"b", C8_DT_FLOAT, PU_SHAPE(3, 6, 5), (void *)b},
                            {"b2", C8_DT_FLOAT, PU_SHAPE(1, 5, 2), (void *)b2}};
    return pu_run_output0(e, in, b2 ? 3 : 2);
}

/* One MatMul with a float output (no INT8 consumer): y = acc * (s_a * s_b), acc the exact sum
 * of the quantized operands; on both CPU devices. */
static void test_float_output(void) {
    float a[144], b[90];
    fill(a, 144, 2.0f, 11);
    fill(b, 90, 1.5f, 12);
    c8_model *m = model(false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    static const c8_device devs[2] = {C8_DEVICE_CPU_REF, C8_DEVICE_CPU};
    for (int d = 0; d < 2; d++) {
        c8_engine *e = build(m, devs[d], NULL, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        const char *why = NULL;
        CU_ASSERT_EQUAL(pu_layer_prec(e, "mm", &why), C8_PREC_INT8);
        bool q8 = false;
        for (int i = 0; i < e->g->n_nodes; i++) q8 |= e->g->nodes[i].op == C8_OP_Q8_MATMUL;
        CU_ASSERT(q8);
        float *y = run(e, a, b, NULL);
        double worst = 0, worst_f = 0;
        float mult = (float)((double)k_sa * (double)k_sb);
        for (int n = 0; n < 2; n++)
            for (int h = 0; h < 3; h++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 5; j++) {
                        int64_t acc = 0;
                        double exact = 0;
                        for (int k = 0; k < 6; k++) {
                            float av = a[((n * 3 + h) * 4 + i) * 6 + k],
                                  bv = b[(h * 6 + k) * 5 + j];
                            acc += (int64_t)quant(av, k_sa) * quant(bv, k_sb);
                            exact += (double)av * bv;
                        }
                        double want = (double)(float)acc * mult; /* one float32 product */
                        float got = y[((n * 3 + h) * 4 + i) * 5 + j];
                        worst = fmax(worst, fabs(got - (float)want));
                        worst_f = fmax(worst_f, fabs(got - exact));
                    }
        CU_ASSERT_EQUAL(worst, 0); /* bit for bit: (float)acc * M is one rounding */
        /* against the float product: each of 6 terms off by at most half a step of either
         * operand, |da*b + a*db| <= 0.5*s_a*1.5 + 2*0.5*s_b, plus the second-order term */
        double bound = 6 * (0.5 * k_sa * 1.5 + 2.0 * 0.5 * k_sb + 0.25 * k_sa * k_sb);
        if (worst_f > bound) printf("\n  |int8 - float| %g > %g", worst_f, bound);
        CU_ASSERT(worst_f <= bound);
        free(y);
        c8_engine_destroy(e);
    }
    c8_model_destroy(m);
}

/* A MatMul read by an INT8 layer writes int8 with M = s_a * s_b / s_y (then Relu requantizes,
 * and the second MatMul writes float): checked through the whole chain in float64. */
static void test_int8_output_chain(void) {
    float a[144], b[90], b2[10];
    fill(a, 144, 2.0f, 21);
    fill(b, 90, 1.5f, 22);
    fill(b2, 10, 1.0f, 23);
    c8_model *m = model(true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    c8_engine *e = build(m, C8_DEVICE_CPU_REF, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mm", NULL), C8_PREC_INT8);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mm2", NULL), C8_PREC_INT8);
    float *z = run(e, a, b, b2);
    float m1 = (float)((double)k_sa * k_sb / k_sy), mr = (float)((double)k_sy / k_sr),
          m2 = (float)((double)k_sr * k_sb2);
    int bad = 0;
    for (int n = 0; n < 2; n++)
        for (int h = 0; h < 3; h++)
            for (int i = 0; i < 4; i++) {
                int r[5];
                for (int j = 0; j < 5; j++) {
                    int64_t acc = 0;
                    for (int k = 0; k < 6; k++)
                        acc += (int64_t)quant(a[((n * 3 + h) * 4 + i) * 6 + k], k_sa) *
                               quant(b[(h * 6 + k) * 5 + j], k_sb);
                    float t = (float)acc * m1;
                    double q = rint((double)t);
                    q = q > 127 ? 127 : q < -127 ? -127 : q;
                    float u = (float)q * mr; /* Relu's requantization, then the ReLU */
                    u = u > 0 ? u : 0;
                    q = rint((double)u);
                    r[j] = q > 127 ? 127 : (int)q;
                }
                for (int j = 0; j < 2; j++) {
                    int64_t acc = 0;
                    for (int k = 0; k < 5; k++) acc += (int64_t)r[k] * quant(b2[k * 2 + j], k_sb2);
                    float want = (float)acc * m2;
                    float got = z[((n * 3 + h) * 4 + i) * 2 + j];
                    if (got != want && bad++ < 3) printf("\n  z: %g, want %g", got, want);
                }
            }
    CU_ASSERT_EQUAL(bad, 0);
    free(z);
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

/* Where INT8 cannot or must not go: FP32 with the reason. */
static void test_fallbacks(void) {
    c8_model *m = model(false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *why = NULL;
    c8_engine *e = build(m, C8_DEVICE_CPU_REF, "b", NULL); /* no scale for b */
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mm", &why), C8_PREC_FP32);
    if (!why || !strstr(why, "'b'")) printf("\n  reason: %s", why ? why : "(none)");
    CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "'b'"));
    c8_engine_destroy(e);
    e = build(m, C8_DEVICE_CPU_REF, NULL, "mm:fp32");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mm", &why), C8_PREC_FP32);
    CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "--layer-precision"));
    c8_engine_destroy(e);
    c8_model_destroy(m);
    /* a rank-1 operand (ONNX promotes it; the INT8 kernel takes matrices) */
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    int a = pu_input(g, "a", PU_SHAPE(4, 6));
    int b = pu_input(g, "b", PU_SHAPE(6));
    pu_output(g, PU_OP(g, "mm", "MatMul", "y", a, b));
    CU_ASSERT_EQUAL_FATAL(c8_model_from_graph(g, true, &m, &err), C8_OK);
    e = build(m, C8_DEVICE_CPU_REF, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mm", &why), C8_PREC_FP32);
    CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "rank >= 2"));
    c8_engine_destroy(e);
    c8_model_destroy(m);
}

/* No GPU kernel: the op table sends Q8MatMul to the host in a CUDA plan. */
static void test_op_table(void) {
    const c8_op_info *i = c8_op_info_of(C8_OP_Q8_MATMUL);
    CU_ASSERT_STRING_EQUAL(i->name, "Q8MatMul");
    CU_ASSERT_EQUAL(i->gpu, C8_GPU_NONE);
    CU_ASSERT_EQUAL(i->gpu_layout, C8_GL_ONNX);
    CU_ASSERT(!c8_op_is_onnx(C8_OP_Q8_MATMUL));
}

static const c8_test_case cases[] = {
    {"float output: bit for bit against the quantized operands' float64 sums", test_float_output},
    {"int8 output into an INT8 Relu and a second Q8MatMul", test_int8_output_chain},
    {"fallbacks: a missing scale, --layer-precision, rank 1", test_fallbacks},
    {"op table: no GPU kernel (host in CUDA plans)", test_op_table},
};
C8T_MAIN("matmul8", cases)
