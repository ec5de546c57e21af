/* INT8 through a squeeze-excitation gate and a feature-pyramid upsampling (the PP-OCRv4
 * detector's neck, issue 18): the builder lowers Mul(x, gate) with a gate per (item, channel)
 * to Q8Mul (ops/q8.c: m = gate * (s_x / s_m), q = rne_sat127(q_x * m)), keeps the int8 tensor
 * int8 through a nearest Resize at its scale (data movement), and adds in INT8. The engine's
 * output is checked bit for bit against the chain written out here (quantize, the gate's
 * multiplier, the nearest copy by whole factors, the Add's float output), on the reference CPU
 * device and the default one; and within the quantization error of the float computation.
 * Also: the forms that stay FP32 (two full-size operands), and an activation between float
 * layers that the builder keeps in float (INT8 would only add reformats) unless overridden. */
#include "kit/graph.h"

#include "calib8/engine.h"
#include "calib8/quant.h"
#include "engine/model_internal.h"

#include <math.h>

/* x (2, 5, 6, 6) * g (2, 5, 1, 1) -> m; Resize x2 (nearest, asymmetric, floor) -> u
 * (2, 5, 12, 12); y = u + v, v (2, 5, 12, 12). */
static const float k_sx = 1.5f / 127, k_sm = 1.6f / 127, k_sv = 1.0f / 127, k_sy = 3.0f / 127;

static bool scales(void *user, const char *name, float *s) {
    (void)user;
    if (!strcmp(name, "x"))
        *s = k_sx;
    else if (!strcmp(name, "m") || !strcmp(name, "u")) /* u: unused (the Resize keeps m's) */
        *s = !strcmp(name, "m") ? k_sm : 0.5f;
    else if (!strcmp(name, "v"))
        *s = k_sv;
    else if (!strcmp(name, "y"))
        *s = k_sy;
    else if (!strcmp(name, "r") || !strcmp(name, "s"))
        *s = 1.0f / 127;
    else
        return false;
    return true;
}

static c8_model *se_model(void) {
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(2, 5, 6, 6));
    int gate = pu_input(g, "g", PU_SHAPE(2, 5, 1, 1));
    int v = pu_input(g, "v", PU_SHAPE(2, 5, 12, 12));
    int m = PU_OP(g, "mul", "Mul", "m", x, gate);
    const float sc[4] = {1, 1, 2, 2};
    int scv = pu_const_vals(g, "scales", PU_SHAPE(4), C8_DT_FLOAT, sc);
    int u = pu_op(g, "resize", "Resize", (int[]){m, -1, scv}, 3, "u");
    int rn = pu_last_node(g);
    pu_attr_s(g, rn, "mode", "nearest");
    pu_attr_s(g, rn, "coordinate_transformation_mode", "asymmetric");
    pu_attr_s(g, rn, "nearest_mode", "floor");
    int y = PU_OP(g, "add", "Add", "y", u, v);
    pu_output(g, y);
    c8_model *md = NULL;
    if (c8_model_from_graph(g, true, &md, &err) != C8_OK) printf("\n  %s", err.msg);
    return md;
}

static c8_engine *build(c8_model *m, c8_device dev, const char *layers) {
    c8_scale_source src = {scales, NULL, NULL};
    return pu_build_int8(m, dev, &src, layers);
}

static bool has_op(const c8_engine *e, c8_op op) {
    for (int i = 0; i < e->g->n_nodes; i++)
        if (e->g->nodes[i].op == op) return true;
    return false;
}

static void fill(float *x, int n, float lo, float hi, uint64_t seed) {
    c8t_rng r = {seed};
    for (int i = 0; i < n; i++) x[i] = c8t_uniform(&r, lo, hi);
}

/* rne_sat127(t) with rint (the default rounding mode: half to even) */
static int rsat(float t) {
    double r = rint((double)t);
    return r > 127 ? 127 : r < -127 ? -127 : (int)r;
}

static int quant(float x, float s) { return rsat(x * (1.0f / s)); }

static void test_se_chain(void) {
    float x[360], gate[10], v[1440];
    fill(x, 360, -1.5f, 1.5f, 31);
    fill(gate, 10, 0.0f, 1.0f, 32); /* a hard-sigmoid gate's range */
    gate[3] = 0.0f, gate[4] = 1.0f;
    fill(v, 1440, -1.0f, 1.0f, 33);
    c8_model *md = se_model();
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    const c8_host_tensor in[3] = {{"x", C8_DT_FLOAT, PU_SHAPE(2, 5, 6, 6), x},
                                  {"g", C8_DT_FLOAT, PU_SHAPE(2, 5, 1, 1), gate},
                                  {"v", C8_DT_FLOAT, PU_SHAPE(2, 5, 12, 12), v}};
    /* the chain by hand: Mul's multiplier M = s_x / s_m in float64, rounded once */
    const float M = (float)((double)k_sx / k_sm);
    static const c8_device devs[2] = {C8_DEVICE_CPU_REF, C8_DEVICE_CPU};
    for (int d = 0; d < 2; d++) {
        c8_engine *e = build(md, devs[d], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        const char *why = NULL;
        CU_ASSERT_EQUAL(pu_layer_prec(e, "mul", &why), C8_PREC_INT8);
        CU_ASSERT_EQUAL(pu_layer_prec(e, "resize", &why), C8_PREC_INT8);
        CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "keeps the input's scale"));
        CU_ASSERT_EQUAL(pu_layer_prec(e, "add", NULL), C8_PREC_INT8);
        CU_ASSERT(has_op(e, C8_OP_Q8_MUL));
        /* no float copy of m or u: the only reformats quantize the three inputs */
        int n_deq = 0;
        for (int i = 0; i < e->g->n_nodes; i++) n_deq += e->g->nodes[i].op == C8_OP_Q8_DEQUANTIZE;
        CU_ASSERT_EQUAL(n_deq, 0);
        float *y = pu_run_output0(e, in, 3);
        int bad = 0;
        double worst_f = 0;
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 5; c++) {
                const float mk = gate[n * 5 + c] * M;
                for (int i = 0; i < 12; i++)
                    for (int j = 0; j < 12; j++) {
                        const float xv = x[((n * 5 + c) * 6 + i / 2) * 6 + j / 2];
                        const int qm = rsat((float)quant(xv, k_sx) * mk);
                        const int at = ((n * 5 + c) * 12 + i) * 12 + j;
                        const int qv = quant(v[at], k_sv);
                        /* the Add's float output: (float)qa * s_a + (float)qb * s_b */
                        const float want = (float)qm * k_sm + (float)qv * k_sv;
                        bad += memcmp(&want, &y[at], sizeof want) != 0;
                        const double exact = (double)xv * gate[n * 5 + c] + v[at];
                        worst_f = fmax(worst_f, fabs(y[at] - exact));
                    }
            }
        if (bad) printf("\n  %s: %d outputs differ from the chain", c8_device_name(devs[d]), bad);
        CU_ASSERT_EQUAL(bad, 0);
        /* x's half step times the gate, m's half step, v's half step */
        const double bound = 0.5 * k_sx + 0.5 * k_sm + 0.5 * k_sv + 1e-6;
        if (worst_f > bound) printf("\n  |int8 - float| %g > %g", worst_f, bound);
        CU_ASSERT(worst_f <= bound);
        free(y);
        c8_engine_destroy(e);
    }
    /* --layer-precision keeps the Mul in FP32: the Resize then moves float data */
    c8_engine *e = build(md, C8_DEVICE_CPU_REF, "mul:fp32");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mul", NULL), C8_PREC_FP32);
    CU_ASSERT(!has_op(e, C8_OP_Q8_MUL));
    c8_engine_destroy(e);
    c8_model_destroy(md);
}

/* Mul of two full-size activations has no INT8 kernel (the reason says which form it needs);
 * a Relu between two float layers (Sigmoid has no INT8 kernel) stays float unless overridden. */
static void test_fallbacks(void) {
    c8_error err = {0};
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(1, 3, 4, 4));
    int m = PU_OP(g, "mul", "Mul", "m", x, x);
    int s = PU_OP(g, "sig", "Sigmoid", "s", m);
    int r = PU_OP(g, "relu", "Relu", "r", s);
    int y = PU_OP(g, "sig2", "Sigmoid", "y", r);
    pu_output(g, y);
    c8_model *md = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_from_graph(g, true, &md, &err), C8_OK);
    c8_engine *e = build(md, C8_DEVICE_CPU_REF, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    const char *why = NULL;
    CU_ASSERT_EQUAL(pu_layer_prec(e, "mul", &why), C8_PREC_FP32);
    if (why && !strstr(why, "factor per channel")) printf("\n  mul: %s", why);
    CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "factor per channel"));
    CU_ASSERT_EQUAL(pu_layer_prec(e, "relu", &why), C8_PREC_FP32);
    if (why && !strstr(why, "between float layers")) printf("\n  relu: %s", why);
    CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "between float layers"));
    c8_engine_destroy(e);
    e = build(md, C8_DEVICE_CPU_REF, "relu:int8");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(pu_layer_prec(e, "relu", NULL), C8_PREC_INT8);
    c8_engine_destroy(e);
    c8_model_destroy(md);
}

static const c8_test_case cases[] = {
    {"se_gate_and_upsampling", test_se_chain},
    {"fallbacks", test_fallbacks},
};
C8T_MAIN("mul8", cases)
