/* Elementwise ops (ops/tensor.c, kernels/ref/eltwise.c): activations against float64
 * references, broadcasting arithmetic against an independent index computation, integer
 * semantics, Clip in both forms, PRelu, Cast conversions, and the errors. */
#include "kit/graph.h"

#include "kernels/ref/eltwise.h"
#include "kernels/ref/fp16.h"

#include <math.h>

/* expf / tanhf in float32 vs float64 math: a few ulp (1.2e-7 each) relative, plus an absolute
 * floor for results near 0. */
#define ACT_RTOL 1e-6
#define ACT_ATOL 1e-7

static const uint64_t SEED = 0x5eed0001;

static void fill(c8t_rng *r, float *x, int64_t n, float lo, float hi) {
    for (int64_t i = 0; i < n; i++) x[i] = c8t_uniform(r, lo, hi);
}

/* ---- activations ---- */

static double ref_act(const char *op, double x, double a, double b) {
    if (!strcmp(op, "Relu")) return x < 0 ? 0 : x;
    if (!strcmp(op, "LeakyRelu")) return x < 0 ? a * x : x;
    if (!strcmp(op, "Sigmoid")) return 1.0 / (1.0 + exp(-x));
    if (!strcmp(op, "Tanh")) return tanh(x);
    if (!strcmp(op, "HardSigmoid")) return fmax(0.0, fmin(1.0, a * x + b));
    if (!strcmp(op, "HardSwish")) return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
    return NAN;
}

static void check_act(const char *op, int64_t opset, int set_attrs, float a, float b, double ref_a,
                      double ref_b) {
    c8t_rng r = {SEED};
    enum { N = 1031 };
    static float x[N];
    fill(&r, x, N, -12.0f, 12.0f);
    x[0] = 0.0f;
    x[1] = -100.0f; /* exp overflow territory for a naive sigmoid */
    x[2] = 100.0f;
    x[3] = -3.0f; /* HardSwish / HardSigmoid corners */
    x[4] = 3.0f;
    int64_t dims[2] = {1, N};
    t_op *t = t_new(opset, op);
    t_in(t, C8_DT_FLOAT, 2, dims, x);
    t_outs(t, 1);
    if (set_attrs) {
        t_attr_f(t, "alpha", a);
        if (!strcmp(op, "HardSigmoid")) t_attr_f(t, "beta", b);
    }
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "1x1031");
    static double want[N];
    for (int i = 0; i < N; i++) want[i] = ref_act(op, x[i], ref_a, ref_b);
    if (!t_close_f32(t->y[0], want, N, ACT_RTOL, ACT_ATOL, op))
        printf("    (op %s, seed %#llx)\n", op, (unsigned long long)SEED);
    CU_ASSERT(t_close_f32(t->y[0], want, N, ACT_RTOL, ACT_ATOL, op));
    t_free(t);
}

static void test_activations(void) {
    check_act("Relu", 14, 0, 0, 0, 0, 0);
    check_act("LeakyRelu", 16, 0, 0, 0, (double)0.01f, 0);
    check_act("LeakyRelu", 16, 1, 0.25f, 0, 0.25, 0);
    check_act("Sigmoid", 13, 0, 0, 0, 0, 0);
    check_act("Tanh", 13, 0, 0, 0, 0, 0);
    check_act("HardSigmoid", 13, 0, 0, 0, (double)0.2f, (double)0.5f);
    check_act("HardSigmoid", 7, 1, 0.5f, 0.25f, 0.5, 0.25);
    check_act("HardSwish", 14, 0, 0, 0, 0, 0);
}

static void test_activation_errors(void) {
    int64_t d[1] = {4};
    t_op *t = t_new(13, "HardSwish");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "opset 14");
    t_free(t);

    t = t_new(14, "Relu");
    t_in(t, C8_DT_INT64, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "float32 only");
    t_free(t);

    t = t_new(16, "LeakyRelu");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    t_attr_i(t, "alpha", 2);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "'alpha' must be a float");
    t_free(t);

    t = t_new(14, "Relu");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    t_attr_i(t, "mystery", 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "'mystery'");
    t_free(t);
}

/* ---- broadcasting arithmetic ---- */

/* Offset of the element of shape s (rank sr) that output index idx (rank r) reads under numpy
 * broadcasting: computed directly from the definition, independently of engine/shape_util. */
static int64_t bcast_off(const int64_t *idx, int r, const int64_t *s, int sr) {
    int64_t off = 0;
    for (int k = 0; k < sr; k++) {
        int64_t i = s[k] == 1 ? 0 : idx[r - sr + k];
        off = off * s[k] + i;
    }
    return off;
}

static double ref_bin(const char *op, double a, double b) {
    if (!strcmp(op, "Add")) return a + b;
    if (!strcmp(op, "Sub")) return a - b;
    if (!strcmp(op, "Mul")) return a * b;
    if (!strcmp(op, "Div")) return a / b;
    if (!strcmp(op, "Max")) return a > b ? a : b;
    return a < b ? a : b;
}

typedef struct bcase {
    int ra;
    int64_t a[4];
    int rb;
    int64_t b[4];
    int ry;
    int64_t y[4];
} bcase;

static void test_broadcast_float(void) {
    static const bcase cases[] = {
        {3, {2, 3, 4}, 1, {4}, 3, {2, 3, 4}},
        {3, {2, 1, 4}, 2, {3, 1}, 3, {2, 3, 4}},
        {1, {1}, 2, {2, 3}, 2, {2, 3}},
        {0, {0}, 1, {3}, 1, {3}},
        {3, {5, 1, 1}, 3, {1, 7, 1}, 3, {5, 7, 1}},
        {4, {2, 3, 1, 5}, 4, {2, 3, 1, 5}, 4, {2, 3, 1, 5}},
        {4, {1, 33, 1, 1}, 4, {2, 33, 7, 3}, 4, {2, 33, 7, 3}},
        {2, {7, 1}, 1, {129}, 2, {7, 129}},
        {2, {3, 0}, 1, {1}, 2, {3, 0}},
    };
    static const char *ops[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};
    c8t_rng r = {SEED + 1};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const bcase *bc = &cases[c];
        int64_t na = 1, nb = 1, ny = 1;
        for (int k = 0; k < bc->ra; k++) na *= bc->a[k];
        for (int k = 0; k < bc->rb; k++) nb *= bc->b[k];
        for (int k = 0; k < bc->ry; k++) ny *= bc->y[k];
        float *a = malloc((size_t)(na ? na : 1) * sizeof(float));
        float *b = malloc((size_t)(nb ? nb : 1) * sizeof(float));
        double *want = malloc((size_t)(ny ? ny : 1) * sizeof(double));
        fill(&r, a, na, -4, 4);
        fill(&r, b, nb, 0.5f, 3); /* positive: no division by 0 */
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            t_op *t = t_new(14, ops[o]);
            t_in(t, C8_DT_FLOAT, bc->ra, bc->a, a);
            t_in(t, C8_DT_FLOAT, bc->rb, bc->b, b);
            t_outs(t, 1);
            T_EXPECT_OK(t, t_load_run(t));
            const c8_value *y = t_outv(t, 0);
            CU_ASSERT_EQUAL(y->shape.rank, bc->ry);
            CU_ASSERT(memcmp(y->shape.d, bc->y, sizeof(int64_t) * (size_t)bc->ry) == 0);
            /* float op == float64 op rounded once (53 >= 2*24+2 bits): exact comparison */
            int64_t idx[4] = {0};
            int bad = 0;
            for (int64_t i = 0; i < ny && !bad; i++) {
                float w = (float)ref_bin(ops[o], a[bcast_off(idx, bc->ry, bc->a, bc->ra)],
                                         b[bcast_off(idx, bc->ry, bc->b, bc->rb)]);
                if (((const float *)t->y[0])[i] != w) {
                    printf("\n    %s case %zu element %lld: %.9g, expected %.9g\n", ops[o], c,
                           (long long)i, ((const float *)t->y[0])[i], w);
                    bad = 1;
                }
                for (int k = bc->ry - 1; k >= 0; k--) {
                    if (++idx[k] < bc->y[k]) break;
                    idx[k] = 0;
                }
            }
            CU_ASSERT(!bad);
            t_free(t);
        }
        free(a);
        free(b);
        free(want);
    }
}

static void test_variadic(void) {
    /* Sum/Max/Min of (2,1,3), (4,1) and a scalar -> (2,4,3) */
    float a[6] = {1, -2, 3, 4, -5, 6}, b[4] = {10, 20, -30, 40}, c[1] = {0.5f};
    int64_t da[3] = {2, 1, 3}, db[2] = {4, 1};
    static const char *ops[] = {"Sum", "Max", "Min"};
    for (int o = 0; o < 3; o++) {
        t_op *t = t_new(13, ops[o]);
        t_in(t, C8_DT_FLOAT, 3, da, a);
        t_in(t, C8_DT_FLOAT, 2, db, b);
        t_in(t, C8_DT_FLOAT, 0, NULL, c);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x4x3");
        const float *y = t->y[0];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 3; k++) {
                    double x0 = a[i * 3 + k], x1 = b[j], x2 = c[0], w;
                    if (o == 0)
                        w = (float)((float)(x0 + x1) + x2);
                    else if (o == 1)
                        w = fmax(fmax(x0, x1), x2);
                    else
                        w = fmin(fmin(x0, x1), x2);
                    CU_ASSERT_EQUAL(y[(i * 4 + j) * 3 + k], (float)w);
                }
        t_free(t);
    }
    /* one input: a copy */
    t_op *t = t_new(13, "Max");
    t_in(t, C8_DT_FLOAT, 3, da, a);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT(memcmp(t->y[0], a, sizeof a) == 0);
    t_free(t);
}

static void test_integer_arith(void) {
    int64_t a[6] = {7, -7, INT64_MAX, INT64_MIN, 9, -9}, b[6] = {2, 2, 1, -1, -4, -4};
    int64_t d[1] = {6};
    struct {
        const char *op;
        int64_t want[6];
    } cases[] = {
        {"Div", {3, -3, INT64_MAX, INT64_MIN, -2, 2}},  /* truncation toward zero; MIN/-1 wraps */
        {"Add", {9, -5, INT64_MIN, INT64_MAX, 5, -13}}, /* wraps, no UB */
        {"Sub", {5, -9, INT64_MAX - 1, INT64_MIN + 1, 13, -5}},
        {"Mul", {14, -14, INT64_MAX, INT64_MIN, -36, 36}},
        {"Max", {7, 2, INT64_MAX, -1, 9, -4}},
        {"Min", {2, -7, 1, INT64_MIN, -4, -9}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        t_op *t = t_new(14, cases[c].op);
        t_in(t, C8_DT_INT64, 1, d, a);
        t_in(t, C8_DT_INT64, 1, d, b);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_EQUAL(t_outv(t, 0)->dtype, C8_DT_INT64);
        for (int i = 0; i < 6; i++) {
            CU_ASSERT_EQUAL(((int64_t *)t->y[0])[i], cases[c].want[i]);
            if (((int64_t *)t->y[0])[i] != cases[c].want[i])
                printf("\n    %s element %d: %lld, expected %lld\n", cases[c].op, i,
                       (long long)((int64_t *)t->y[0])[i], (long long)cases[c].want[i]);
        }
        t_free(t);
    }
    /* int32 and uint8 with broadcasting (uint8 wraps like numpy) */
    int32_t a32[4] = {-9, 9, 100, -100}, b32[1] = {4};
    int64_t d4[1] = {4}, d1[1] = {1};
    t_op *t = t_new(14, "Div");
    t_in(t, C8_DT_INT32, 1, d4, a32);
    t_in(t, C8_DT_INT32, 1, d1, b32);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const int32_t w32[4] = {-2, 2, 25, -25};
    CU_ASSERT(memcmp(t->y[0], w32, sizeof w32) == 0);
    t_free(t);
    uint8_t u8a[2] = {250, 3}, u8b[2] = {10, 5};
    int64_t d2[1] = {2};
    t = t_new(14, "Add");
    t_in(t, C8_DT_UINT8, 1, d2, u8a);
    t_in(t, C8_DT_UINT8, 1, d2, u8b);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_EQUAL(((uint8_t *)t->y[0])[0], 4);
    CU_ASSERT_EQUAL(((uint8_t *)t->y[0])[1], 8);
    t_free(t);
    /* integer division by zero: an error naming the divisor, no trap */
    int64_t z[6] = {1, 1, 0, 1, 1, 1};
    t = t_new(14, "Div");
    t_in(t, C8_DT_INT64, 1, d, a);
    t_in(t, C8_DT_INT64, 1, d, z);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    T_EXPECT_ERR(t, t_run(t), C8_ERR_INVALID, "division by zero (divisor 'x1', element 2)");
    t_free(t);
}

static void test_float16_add(void) {
    uint16_t a[3], b[3];
    const float fa[3] = {1.0f, 0.5f, 65504.0f}, fb[3] = {2.0f, 0.25f, 65504.0f};
    for (int i = 0; i < 3; i++) {
        a[i] = c8_fp16_from_f32(fa[i]);
        b[i] = c8_fp16_from_f32(fb[i]);
    }
    int64_t d[1] = {3};
    t_op *t = t_new(14, "Add");
    t_in(t, C8_DT_FLOAT16, 1, d, a);
    t_in(t, C8_DT_FLOAT16, 1, d, b);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const uint16_t *y = t->y[0];
    CU_ASSERT_EQUAL(c8_fp16_to_f32(y[0]), 3.0f);
    CU_ASSERT_EQUAL(c8_fp16_to_f32(y[1]), 0.75f);
    CU_ASSERT(isinf(c8_fp16_to_f32(y[2]))); /* 131008 overflows half */
    t_free(t);
}

static void test_binary_errors(void) {
    int64_t d23[2] = {2, 3}, d4[1] = {4};
    t_op *t = t_new(14, "Add");
    t_in(t, C8_DT_FLOAT, 2, d23, NULL);
    t_in(t, C8_DT_FLOAT, 1, d4, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "cannot broadcast");
    CU_ASSERT_PTR_NOT_NULL(strstr(t->err.msg, "x0 (2x3)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t->err.msg, "x1 (4)"));
    t_free(t);

    t = t_new(14, "Mul");
    t_in(t, C8_DT_FLOAT, 2, d23, NULL);
    t_in(t, C8_DT_INT64, 2, d23, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "different dtypes");
    t_free(t);

    t = t_new(14, "Add");
    t_in(t, C8_DT_BOOL, 2, d23, NULL);
    t_in(t, C8_DT_BOOL, 2, d23, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "bool");
    t_free(t);

    t = t_new(14, "Add");
    t_in(t, C8_DT_FLOAT, 2, d23, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "inputs");
    t_free(t);

    /* the legacy broadcast attribute (opset < 7) is not accepted */
    t = t_new(7, "Add");
    t_in(t, C8_DT_FLOAT, 2, d23, NULL);
    t_in(t, C8_DT_FLOAT, 2, d23, NULL);
    t_outs(t, 1);
    t_attr_i(t, "broadcast", 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "'broadcast'");
    t_free(t);

    /* unknown extents broadcast to unknown; known ones still checked */
    int64_t dq[2] = {-1, 3}, dq2[2] = {-1, 1};
    t = t_new(14, "Add");
    t_in(t, C8_DT_FLOAT, 2, dq, NULL);
    t_in(t, C8_DT_FLOAT, 2, dq2, NULL);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "?x3");
    t_free(t);
}

/* ---- PRelu ---- */

static void test_prelu(void) {
    float x[2 * 3 * 2 * 2], slope[3] = {0.1f, -2.0f, 0.0f};
    c8t_rng r = {SEED + 2};
    fill(&r, x, 24, -2, 2);
    int64_t dx[4] = {2, 3, 2, 2}, ds[3] = {3, 1, 1};
    t_op *t = t_new(16, "PRelu");
    t_in(t, C8_DT_FLOAT, 4, dx, x);
    t_const(t, C8_DT_FLOAT, 3, ds, slope);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3x2x2");
    for (int i = 0; i < 24; i++) {
        int c = (i / 4) % 3;
        float w = x[i] < 0 ? x[i] * slope[c] : x[i];
        CU_ASSERT_EQUAL(((float *)t->y[0])[i], w);
    }
    t_free(t);
    /* a slope that X would have to broadcast to is an error (unidirectional) */
    int64_t dbig[2] = {4, 2}, dsmall[1] = {2};
    t = t_new(16, "PRelu");
    t_in(t, C8_DT_FLOAT, 1, dsmall, NULL);
    t_in(t, C8_DT_FLOAT, 2, dbig, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "does not broadcast to X");
    t_free(t);
}

/* ---- Clip ---- */

static void test_clip(void) {
    float x[6] = {-3, -1, 0, 0.5f, 2, 10};
    int64_t d[1] = {6};
    /* opset 10: attributes */
    t_op *t = t_new(10, "Clip");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_outs(t, 1);
    t_attr_f(t, "min", -1.5f);
    t_attr_f(t, "max", 1.0f);
    T_EXPECT_OK(t, t_load_run(t));
    const float w1[6] = {-1.5f, -1, 0, 0.5f, 1, 1};
    CU_ASSERT(memcmp(t->y[0], w1, sizeof w1) == 0);
    t_free(t);
    /* opset 13: inputs; only max given (min absent) */
    float mx = 0.25f;
    t = t_new(13, "Clip");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_absent(t);
    t_in(t, C8_DT_FLOAT, 0, NULL, &mx);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const float w2[6] = {-3, -1, 0, 0.25f, 0.25f, 0.25f};
    CU_ASSERT(memcmp(t->y[0], w2, sizeof w2) == 0);
    t_free(t);
    /* min > max: every value becomes max (ONNX) */
    float lo = 5, hi = 1;
    t = t_new(13, "Clip");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_const(t, C8_DT_FLOAT, 0, NULL, &lo);
    t_const(t, C8_DT_FLOAT, 0, NULL, &hi);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(((float *)t->y[0])[i], 1.0f);
    t_free(t);
    /* int8, no bounds then min only */
    int8_t xi[4] = {-128, -5, 5, 127}, mi = -6;
    int64_t d4[1] = {4};
    t = t_new(13, "Clip");
    t_in(t, C8_DT_INT8, 1, d4, xi);
    t_in(t, C8_DT_INT8, 0, NULL, &mi);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const int8_t wi[4] = {-6, -5, 5, 127};
    CU_ASSERT(memcmp(t->y[0], wi, sizeof wi) == 0);
    t_free(t);
    /* errors: a non-scalar min; attributes at opset 13; inputs at opset 10 */
    float two[2] = {0, 1};
    int64_t d2[1] = {2};
    t = t_new(13, "Clip");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_const(t, C8_DT_FLOAT, 1, d2, two);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "min 'c1' must be a scalar");
    t_free(t);
    t = t_new(13, "Clip");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_outs(t, 1);
    t_attr_f(t, "min", 0);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "'min'");
    t_free(t);
    t = t_new(10, "Clip");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_const(t, C8_DT_FLOAT, 0, NULL, &lo);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "attributes, not inputs");
    t_free(t);
}

/* ---- Cast and the conversions ---- */

static void test_cast(void) {
    float x[8] = {2.7f, -2.7f, 1e10f, -1e10f, NAN, 0.0f, -0.5f, 300.0f};
    int64_t d[1] = {8};
    t_op *t = t_new(13, "Cast");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_outs(t, 1);
    t_attr_i(t, "to", C8_DT_INT32);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_EQUAL(t_outv(t, 0)->dtype, C8_DT_INT32);
    const int32_t wi[8] = {2, -2, INT32_MAX, INT32_MIN, 0, 0, 0, 300};
    CU_ASSERT(memcmp(t->y[0], wi, sizeof wi) == 0);
    t_free(t);

    t = t_new(13, "Cast");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_outs(t, 1);
    t_attr_i(t, "to", C8_DT_UINT8);
    T_EXPECT_OK(t, t_load_run(t));
    const uint8_t wu[8] = {2, 0, 255, 0, 0, 0, 0, 255};
    CU_ASSERT(memcmp(t->y[0], wu, sizeof wu) == 0);
    t_free(t);

    t = t_new(13, "Cast");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_outs(t, 1);
    t_attr_i(t, "to", C8_DT_BOOL);
    T_EXPECT_OK(t, t_load_run(t));
    const uint8_t wb[8] = {1, 1, 1, 1, 1, 0, 1, 1};
    CU_ASSERT(memcmp(t->y[0], wb, sizeof wb) == 0);
    t_free(t);

    /* int64 -> int32 wraps like numpy; int64 -> float64 */
    int64_t xl[3] = {((int64_t)1 << 32) + 5, -1, INT64_MIN};
    int64_t d3[1] = {3};
    t = t_new(13, "Cast");
    t_in(t, C8_DT_INT64, 1, d3, xl);
    t_outs(t, 1);
    t_attr_i(t, "to", C8_DT_INT32);
    T_EXPECT_OK(t, t_load_run(t));
    const int32_t wl[3] = {5, -1, 0};
    CU_ASSERT(memcmp(t->y[0], wl, sizeof wl) == 0);
    t_free(t);

    /* bool -> float */
    uint8_t xb[2] = {0, 1};
    int64_t d2[1] = {2};
    t = t_new(13, "Cast");
    t_in(t, C8_DT_BOOL, 1, d2, xb);
    t_outs(t, 1);
    t_attr_i(t, "to", C8_DT_FLOAT);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_EQUAL(((float *)t->y[0])[0], 0.0f);
    CU_ASSERT_EQUAL(((float *)t->y[0])[1], 1.0f);
    t_free(t);

    /* to string: unsupported at load */
    t = t_new(13, "Cast");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    t_attr_i(t, "to", C8_DT_STRING);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "string");
    t_free(t);
    t = t_new(13, "Cast");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "'to'");
    t_free(t);
}

static void test_f64_to_f16(void) {
    /* against hand-worked bit patterns */
    CU_ASSERT_EQUAL(c8_f64_to_f16(1.0), 0x3c00);
    CU_ASSERT_EQUAL(c8_f64_to_f16(-2.0), 0xc000);
    CU_ASSERT_EQUAL(c8_f64_to_f16(65504.0), 0x7bff);
    CU_ASSERT_EQUAL(c8_f64_to_f16(65519.99), 0x7bff);
    CU_ASSERT_EQUAL(c8_f64_to_f16(65520.0), 0x7c00);       /* tie past the largest half -> inf */
    CU_ASSERT_EQUAL(c8_f64_to_f16(ldexp(1, -24)), 0x0001); /* smallest subnormal */
    CU_ASSERT_EQUAL(c8_f64_to_f16(ldexp(1, -25)), 0x0000); /* tie to even (0) */
    CU_ASSERT_EQUAL(c8_f64_to_f16(ldexp(3, -26)), 0x0001);
    CU_ASSERT_EQUAL(c8_f64_to_f16(ldexp(1023, -24)), 0x03ff);    /* largest subnormal */
    CU_ASSERT_EQUAL(c8_f64_to_f16(ldexp(2047, -25)), 0x0400);    /* rounds up into the normals */
    CU_ASSERT_EQUAL(c8_f64_to_f16(1.0 + ldexp(1, -11)), 0x3c00); /* tie -> even */
    CU_ASSERT_EQUAL(c8_f64_to_f16(1.0 + ldexp(3, -11)), 0x3c02); /* tie -> even (up) */
    /* just above a tie: float32 would round it onto the tie first and then to even (0x3c00) */
    CU_ASSERT_EQUAL(c8_f64_to_f16(1.0 + ldexp(1, -11) + ldexp(1, -40)), 0x3c01);
    CU_ASSERT_EQUAL(c8_f64_to_f16(1e300), 0x7c00);
    CU_ASSERT_EQUAL(c8_f64_to_f16(-1e-300), 0x8000);
    CU_ASSERT_EQUAL(c8_f64_to_f16(INFINITY), 0x7c00);
    CU_ASSERT((c8_f64_to_f16(NAN) & 0x7c00) == 0x7c00 && (c8_f64_to_f16(NAN) & 0x3ff) != 0);
    /* agrees with the float32 converter wherever float32 holds the value exactly */
    c8t_rng r = {SEED + 3};
    int bad = 0;
    for (int i = 0; i < 100000 && !bad; i++) {
        float f = ldexpf(c8t_uniform(&r, -1, 1), c8t_randint(&r, -30, 17));
        if (c8_f64_to_f16((double)f) != c8_fp16_from_f32(f)) {
            printf("\n    %.9g: %#x vs fp16.h %#x (seed %#llx)\n", (double)f,
                   c8_f64_to_f16((double)f), c8_fp16_from_f32(f), (unsigned long long)SEED + 3);
            bad = 1;
        }
    }
    CU_ASSERT(!bad);
}

static const c8_test_case cases[] = {
    {"activations vs float64", test_activations},
    {"activation errors", test_activation_errors},
    {"broadcast float ops vs index reference", test_broadcast_float},
    {"variadic Sum/Max/Min", test_variadic},
    {"integer arithmetic", test_integer_arith},
    {"float16 Add", test_float16_add},
    {"binary op errors", test_binary_errors},
    {"PRelu", test_prelu},
    {"Clip both forms", test_clip},
    {"Cast", test_cast},
    {"float64 -> float16", test_f64_to_f16},
};
C8T_MAIN("ops_eltwise", cases)
