/* The math ops (ops/math.c, kernels/ref/math.c): unary math and Pow against float64 <math.h>,
 * the reductions against a float64 loop over explicit indices, every opset form of the axes
 * (attribute, constant input, run-time input, noop_with_empty_axes), and the rejected forms with
 * their messages. ONNX's own test data for these ops runs in tests/engine/test_conformance.c
 * (listed in conformance_required.txt). */
#include "kit/graph.h"

#include <math.h>

/* sqrtf is correctly rounded and 1/x and -x, |x| are exact: half an ulp (6e-8) relative. expf,
 * logf and erff are within a few float32 ulps of the exact value (glibc documents <= 2 ulp):
 * 1e-6 relative, with an absolute floor for results near 0 (erf, log near 1). */
#define EXACT_RTOL 6e-8
#define LIBM_RTOL 1e-6
#define LIBM_ATOL 1e-7
/* Pow rounds the float64 pow() once to float32: half an ulp. */
#define POW_RTOL 6e-8
/* Reductions accumulate in float64 and round once: half a float32 ulp of the result, plus an
 * absolute floor for sums that cancel to near 0 (float64 rounding of 129 terms of size ~1). */
#define RED_RTOL 6e-8
#define RED_ATOL 1e-12

static const uint64_t SEED = 0x5eed0019;
static const int64_t k_sizes[] = {1, 3, 7, 31, 33, 127, 129};
#define N_SIZES ((int)(sizeof k_sizes / sizeof k_sizes[0]))

/* ---- unary math ---- */

static double ref_math(const char *op, double x) {
    if (!strcmp(op, "Sqrt")) return sqrt(x);
    if (!strcmp(op, "Reciprocal")) return 1.0 / x;
    if (!strcmp(op, "Exp")) return exp(x);
    if (!strcmp(op, "Log")) return log(x);
    if (!strcmp(op, "Neg")) return -x;
    if (!strcmp(op, "Abs")) return fabs(x);
    return erf(x);
}

static void check_math(const char *op, float lo, float hi, double rtol, double atol) {
    c8t_rng r = {SEED};
    for (int si = 0; si < N_SIZES; si++) {
        int64_t n = k_sizes[si];
        float *x = malloc((size_t)n * sizeof *x);
        double *want = malloc((size_t)n * sizeof *want);
        for (int64_t i = 0; i < n; i++) x[i] = c8t_uniform(&r, lo, hi);
        for (int64_t i = 0; i < n; i++) want[i] = ref_math(op, x[i]);
        int64_t dims[2] = {1, n};
        t_op *t = t_new(13, op);
        t_in(t, C8_DT_FLOAT, 2, dims, x);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        if (!t_close_f32(t->y[0], want, n, rtol, atol, op))
            printf("    (op %s, n %lld, seed %#llx)\n", op, (long long)n, (unsigned long long)SEED);
        CU_ASSERT(t_close_f32(t->y[0], want, n, rtol, atol, op));
        t_free(t);
        free(x);
        free(want);
    }
}

static void test_unary_math(void) {
    check_math("Sqrt", 0.0f, 100.0f, EXACT_RTOL, 0);
    check_math("Reciprocal", 0.01f, 50.0f, EXACT_RTOL, 0);
    check_math("Reciprocal", -50.0f, -0.01f, EXACT_RTOL, 0);
    check_math("Exp", -80.0f, 80.0f, LIBM_RTOL, 0);
    check_math("Log", 1e-30f, 1e30f, LIBM_RTOL, LIBM_ATOL);
    check_math("Log", 0.5f, 2.0f, LIBM_RTOL, LIBM_ATOL);
    check_math("Neg", -10.0f, 10.0f, 0, 0);
    check_math("Abs", -10.0f, 10.0f, 0, 0);
    check_math("Erf", -5.0f, 5.0f, LIBM_RTOL, LIBM_ATOL);
}

/* IEEE special values, as ONNX Runtime gives them. */
static void test_unary_special(void) {
    static const struct {
        const char *op;
        float x, want; /* want NaN: any NaN */
    } k[] = {
        {"Sqrt", -1.0f, NAN},
        {"Sqrt", INFINITY, INFINITY},
        {"Reciprocal", 0.0f, INFINITY},
        {"Reciprocal", -0.0f, -INFINITY},
        {"Log", 0.0f, -INFINITY},
        {"Log", -1.0f, NAN},
        {"Exp", 100.0f, INFINITY},
        {"Exp", -200.0f, 0.0f},
        {"Abs", -INFINITY, INFINITY},
        {"Erf", INFINITY, 1.0f},
        {"Neg", NAN, NAN},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        int64_t d[1] = {1};
        t_op *t = t_new(13, k[i].op);
        t_in(t, C8_DT_FLOAT, 1, d, &k[i].x);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        float got = ((float *)t->y[0])[0];
        bool ok = isnan(k[i].want) ? isnan(got) : got == k[i].want;
        if (!ok) printf("\n    %s(%g) = %g, expected %g\n", k[i].op, k[i].x, got, k[i].want);
        CU_ASSERT(ok);
        t_free(t);
    }
}

static void test_unary_errors(void) {
    int64_t d[1] = {4};
    t_op *t = t_new(8, "Erf");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "Erf exists from opset 9");
    t_free(t);
    t = t_new(13, "Sqrt");
    t_in(t, C8_DT_INT32, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "float32 only");
    t_free(t);
    t = t_new(13, "Exp");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    t_attr_i(t, "alpha", 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "attribute 'alpha'");
    t_free(t);
}

/* ---- Pow ---- */

static void test_pow_broadcast(void) {
    c8t_rng r = {SEED};
    /* (2,1,5) ^ (3,1): y is (2,3,5); base > 0 so fractional exponents are real */
    enum { NA = 10, NB = 3, NY = 30 };
    float a[NA], b[NB];
    for (int i = 0; i < NA; i++) a[i] = c8t_uniform(&r, 0.1f, 4.0f);
    for (int i = 0; i < NB; i++) b[i] = c8t_uniform(&r, -3.0f, 3.0f);
    int64_t da[3] = {2, 1, 5}, db[2] = {3, 1};
    t_op *t = t_new(15, "Pow");
    t_in(t, C8_DT_FLOAT, 3, da, a);
    t_in(t, C8_DT_FLOAT, 2, db, b);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3x5");
    double want[NY];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 5; k++) want[(i * 3 + j) * 5 + k] = pow(a[i * 5 + k], b[j]);
    CU_ASSERT(t_close_f32(t->y[0], want, NY, POW_RTOL, 0, "Pow broadcast"));
    t_free(t);

    /* the LayerNorm form: x^2 with a float scalar exponent, negative bases included */
    float x[7] = {-3.0f, -0.5f, 0.0f, 0.25f, 1.5f, -7.0f, 1e-3f}, two = 2.0f;
    int64_t dx[1] = {7};
    t = t_new(9, "Pow");
    t_in(t, C8_DT_FLOAT, 1, dx, x);
    t_const(t, C8_DT_FLOAT, 0, NULL, &two);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    double w2[7];
    for (int i = 0; i < 7; i++) w2[i] = (double)x[i] * x[i];
    CU_ASSERT(t_close_f32(t->y[0], w2, 7, POW_RTOL, 0, "Pow x^2"));
    t_free(t);
}

static void test_pow_types(void) {
    /* float base, int64 exponent (opset 12 on) */
    float a[4] = {2.0f, -2.0f, 0.5f, 3.0f};
    int64_t e[4] = {3, 3, -2, 0}, d[1] = {4};
    t_op *t = t_new(13, "Pow");
    t_in(t, C8_DT_FLOAT, 1, d, a);
    t_in(t, C8_DT_INT64, 1, d, e);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_EQUAL(t_outv(t, 0)->dtype, C8_DT_FLOAT);
    const float wf[4] = {8.0f, -8.0f, 4.0f, 1.0f};
    CU_ASSERT_EQUAL(memcmp(t->y[0], wf, sizeof wf), 0);
    t_free(t);
    /* int32 base, float exponent: truncated toward zero as ONNX Runtime's static_cast */
    int32_t ia[4] = {2, 3, -2, 10};
    float fe[4] = {0.5f, 2.0f, 3.0f, -1.0f};
    t = t_new(13, "Pow");
    t_in(t, C8_DT_INT32, 1, d, ia);
    t_in(t, C8_DT_FLOAT, 1, d, fe);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const int32_t wi[4] = {1, 9, -8, 0};
    CU_ASSERT_EQUAL(memcmp(t->y[0], wi, sizeof wi), 0);
    t_free(t);
}

static void test_pow_errors(void) {
    int64_t d[1] = {4}, d3[1] = {3};
    t_op *t = t_new(11, "Pow");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_INT64, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "before opset 12");
    t_free(t);
    t = t_new(13, "Pow");
    t_in(t, C8_DT_UINT8, 1, d, NULL);
    t_in(t, C8_DT_UINT8, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "base 'x0' (uint8)");
    t_free(t);
    t = t_new(13, "Pow");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_FLOAT, 1, d3, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "x1");
    t_free(t);
}

/* ---- reductions ---- */

/* float64 reduction of x (shape d, rank r) over the axes in mask: explicit index arithmetic, one
 * output element at a time (a different order from the kernel's single pass). */
static void ref_reduce(const char *op, const float *x, const int64_t *d, int r, const bool *mask,
                       double *y, int64_t ny) {
    int64_t od[C8_MAX_RANK];
    for (int k = 0; k < r; k++) od[k] = mask[k] ? 1 : d[k];
    int64_t nx = 1;
    for (int k = 0; k < r; k++) nx *= d[k];
    for (int64_t o = 0; o < ny; o++) {
        int64_t oi[C8_MAX_RANK], rem = o;
        for (int k = r - 1; k >= 0; k--) {
            oi[k] = rem % od[k];
            rem /= od[k];
        }
        double acc = !strcmp(op, "ReduceMax")    ? -INFINITY
                     : !strcmp(op, "ReduceMin")  ? INFINITY
                     : !strcmp(op, "ReduceProd") ? 1
                                                 : 0;
        int64_t cnt = 0;
        for (int64_t i = 0; i < nx; i++) {
            int64_t ii[C8_MAX_RANK], rm = i;
            for (int k = r - 1; k >= 0; k--) {
                ii[k] = rm % d[k];
                rm /= d[k];
            }
            bool mine = true;
            for (int k = 0; k < r; k++) mine &= mask[k] || ii[k] == oi[k];
            if (!mine) continue;
            double v = x[i];
            cnt++;
            if (!strcmp(op, "ReduceMax"))
                acc = fmax(acc, v);
            else if (!strcmp(op, "ReduceMin"))
                acc = fmin(acc, v);
            else if (!strcmp(op, "ReduceL2") || !strcmp(op, "ReduceSumSquare"))
                acc += v * v;
            else if (!strcmp(op, "ReduceL1"))
                acc += fabs(v);
            else if (!strcmp(op, "ReduceProd"))
                acc *= v;
            else if (!strcmp(op, "ReduceLogSumExp"))
                acc += exp(v); /* |v| <= 2: the direct formula cannot overflow here */
            else
                acc += v;
        }
        if (!strcmp(op, "ReduceMean")) acc /= (double)cnt;
        if (!strcmp(op, "ReduceL2")) acc = sqrt(acc);
        if (!strcmp(op, "ReduceLogSumExp")) acc = log(acc);
        y[o] = acc;
    }
}

static const char *const k_reduce_ops[] = {"ReduceMean", "ReduceSum",  "ReduceSumSquare",
                                           "ReduceMax",  "ReduceMin",  "ReduceL2",
                                           "ReduceL1",   "ReduceProd", "ReduceLogSumExp"};

/* One reduction of a (3, n, 5) tensor over the axes given, with axes in the form of the opset:
 * attribute (opset 11), constant input (13 for ReduceSum, 18 for all). */
static void check_reduce(const char *op, int64_t opset, int64_t n, const int64_t *axes, int na,
                         int keepdims) {
    c8t_rng r = {SEED + (uint64_t)n};
    int64_t d[3] = {3, n, 5};
    int64_t nx = 3 * n * 5;
    float *x = malloc((size_t)nx * sizeof *x);
    for (int64_t i = 0; i < nx; i++) x[i] = c8t_uniform(&r, -2.0f, 2.0f);
    bool mask[3] = {na == 0, na == 0, na == 0};
    for (int i = 0; i < na; i++) mask[(axes[i] + 3) % 3] = true;
    int64_t ny = 1;
    for (int k = 0; k < 3; k++) ny *= mask[k] ? 1 : d[k];
    double *want = malloc((size_t)ny * sizeof *want);
    ref_reduce(op, x, d, 3, mask, want, ny);
    bool as_input = opset >= (strcmp(op, "ReduceSum") ? 18 : 13);
    t_op *t = t_new(opset, op);
    t_in(t, C8_DT_FLOAT, 3, d, x);
    if (as_input && na) {
        int64_t dn[1] = {na};
        t_const(t, C8_DT_INT64, 1, dn, axes);
    } else if (na) {
        t_attr_ints(t, "axes", na, axes);
    }
    if (keepdims >= 0) t_attr_i(t, "keepdims", keepdims);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const c8_value *y = t_outv(t, 0);
    int want_rank = keepdims == 0 ? 3 - (mask[0] + mask[1] + mask[2]) : 3;
    CU_ASSERT_EQUAL(y->shape.rank, want_rank);
    CU_ASSERT_EQUAL(c8_shape_numel(&y->shape), ny);
    if (!t_close_f32(t->y[0], want, ny, RED_RTOL, RED_ATOL, op))
        printf("    (%s opset %lld, n %lld, %d axes, keepdims %d, seed %#llx)\n", op,
               (long long)opset, (long long)n, na, keepdims, (unsigned long long)(SEED + n));
    CU_ASSERT(t_close_f32(t->y[0], want, ny, RED_RTOL, RED_ATOL, op));
    t_free(t);
    free(x);
    free(want);
}

static void test_reduce(void) {
    static const int64_t a_last[1] = {-1}, a_mid[1] = {1}, a_two[2] = {0, -1};
    for (size_t o = 0; o < sizeof k_reduce_ops / sizeof k_reduce_ops[0]; o++)
        for (int si = 0; si < N_SIZES; si++) {
            const char *op = k_reduce_ops[o];
            int64_t n = k_sizes[si];
            check_reduce(op, 11, n, a_last, 1, -1); /* LayerNorm's form: last axis, keepdims */
            check_reduce(op, 11, n, a_mid, 1, 0);
            check_reduce(op, 11, n, a_two, 2, 1);
            check_reduce(op, 11, n, NULL, 0, 0); /* no axes: all */
            check_reduce(op, 18, n, a_mid, 1, 1);
            check_reduce(op, 18, n, a_two, 2, 0);
        }
    check_reduce("ReduceSum", 13, 33, a_mid, 1, 0);
}

static void test_reduce_noop(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t d[2] = {2, 3}, d0[1] = {0};
    /* noop_with_empty_axes = 1 and empty axes: the identity */
    t_op *t = t_new(18, "ReduceMean");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_const(t, C8_DT_INT64, 1, d0, NULL);
    t_attr_i(t, "noop_with_empty_axes", 1);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3");
    CU_ASSERT_EQUAL(memcmp(t->y[0], x, sizeof x), 0);
    t_free(t);
    /* without it, empty axes reduce everything */
    t = t_new(13, "ReduceSum");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_const(t, C8_DT_INT64, 1, d0, NULL);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "1x1");
    CU_ASSERT_EQUAL(((float *)t->y[0])[0], 21.0f);
    t_free(t);
}

/* ReduceLogSumExp stays finite where exp overflows (log(e^1000 + e^1000) = 1000 + log 2), and
 * ReduceLogSum of positive values (hand-worked). */
static void test_reduce_log(void) {
    float x[4] = {1000.0f, 1000.0f, 1.0f, 3.0f};
    int64_t d[2] = {2, 2};
    t_op *t = t_new(13, "ReduceLogSumExp");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_attr_ints(t, "axes", 1, (int64_t[]){1});
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    double want[2] = {1000.0 + log(2.0), log(exp(1.0) + exp(3.0))};
    CU_ASSERT(t_close_f32(t->y[0], want, 2, RED_RTOL, RED_ATOL, "ReduceLogSumExp"));
    t_free(t);
    t = t_new(13, "ReduceLogSum");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_attr_ints(t, "axes", 1, (int64_t[]){0});
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    double want2[2] = {log(1001.0), log(1003.0)};
    CU_ASSERT(t_close_f32(t->y[0], want2, 2, RED_RTOL, RED_ATOL, "ReduceLogSum"));
    t_free(t);
}

/* Axes computed at run time (a graph input of the axes): inference leaves the extents unknown,
 * the engine specializes on the axes' values (they feed only a shape position). */
static void test_reduce_runtime_axes(void) {
    c8_graph *g = pu_graph(18);
    int x = pu_input(g, "x", PU_SHAPE(2, 3, 4));
    c8_shape sa = PU_SHAPE(1);
    int ax = c8_graph_add_value(g, "axes", C8_VAL_INPUT, C8_DT_INT64, &sa);
    g->inputs = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof(int));
    g->inputs[g->n_inputs++] = ax;
    int y = PU_OP(g, "mean", "ReduceMean", "y", x, ax);
    pu_attr_i(g, pu_last_node(g), "keepdims", 0);
    pu_output(g, y);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, true, &err), C8_OK);
    CU_ASSERT_EQUAL(g->vals[y].shape.rank, -1); /* keepdims 0: even the rank is unknown */
    float xd[24];
    for (int i = 0; i < 24; i++) xd[i] = (float)i;
    int64_t axes = 1;
    c8_host_tensor in[2] = {{"x", C8_DT_FLOAT, PU_SHAPE(2, 3, 4), xd},
                            {"axes", C8_DT_INT64, PU_SHAPE(1), &axes}};
    pu_result res;
    c8_status s = pu_run(g, in, &res, &err);
    if (s != C8_OK) printf("\n    %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(res.out[0].shape.rank, 2);
    CU_ASSERT_EQUAL(res.out[0].shape.d[0], 2);
    CU_ASSERT_EQUAL(res.out[0].shape.d[1], 4);
    const float *got = res.out[0].data;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) /* mean of x[i][0..2][k] = 12i + k + 4 */
            CU_ASSERT_EQUAL(got[i * 4 + k], (float)(12 * i + k + 4));
    pu_result_free(&res);
    c8_graph_destroy(g);
}

static void test_reduce_errors(void) {
    int64_t d[2] = {2, 3}, d1[1] = {1}, ax[2] = {1, -1}, a1[1] = {1}, a5[1] = {5};
    /* opset 18 moved ReduceMean's axes to an input: the attribute is unknown there */
    t_op *t = t_new(18, "ReduceMean");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_attr_ints(t, "axes", 1, a1);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "attribute 'axes'");
    t_free(t);
    /* ... and before 18 it is no input */
    t = t_new(11, "ReduceMean");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_const(t, C8_DT_INT64, 1, d1, a1);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "before opset 18");
    t_free(t);
    t = t_new(11, "ReduceMax");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_attr_ints(t, "axes", 2, ax);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "axis 1 is listed twice");
    t_free(t);
    t = t_new(13, "ReduceSum");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_const(t, C8_DT_INT64, 1, d1, a5);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "axis");
    t_free(t);
    t = t_new(11, "ReduceL2");
    t_in(t, C8_DT_INT64, 2, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "float32 only");
    t_free(t);
    t = t_new(11, "ReduceMin");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_attr_f(t, "keepdims", 1.0f);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "'keepdims' must be an int");
    t_free(t);
}

/* ---- Gelu, LayerNormalization, integer Neg / Abs ---- */

/* Gelu is evaluated in float64 and rounded once: half an ulp, plus a floor near 0. */
#define GELU_RTOL 6e-8
#define GELU_ATOL 1e-30
/* LayerNormalization in float64 rounded once: half an ulp of each output. */
#define LN_RTOL 6e-8
#define LN_ATOL 1e-12

static void test_gelu(void) {
    c8t_rng r = {SEED};
    enum { N = 129 };
    float x[N];
    double want[N], want_t[N];
    for (int i = 0; i < N; i++) x[i] = c8t_uniform(&r, -8.0f, 8.0f);
    for (int i = 0; i < N; i++) {
        double d = x[i];
        want[i] = 0.5 * d * (1.0 + erf(d / sqrt(2.0)));
        want_t[i] =
            0.5 * d * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (d + 0.044715 * d * d * d)));
    }
    int64_t dims[1] = {N};
    for (int tanh_form = 0; tanh_form < 2; tanh_form++) {
        t_op *t = t_new(20, "Gelu");
        t_in(t, C8_DT_FLOAT, 1, dims, x);
        if (tanh_form) t_attr_s(t, "approximate", "tanh");
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT(t_close_f32(t->y[0], tanh_form ? want_t : want, N, GELU_RTOL, GELU_ATOL,
                              tanh_form ? "Gelu tanh" : "Gelu"));
        t_free(t);
    }
    t_op *t = t_new(20, "Gelu");
    t_in(t, C8_DT_FLOAT, 1, dims, x);
    t_attr_s(t, "approximate", "sigmoid");
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "approximate 'sigmoid'");
    t_free(t);
    t = t_new(19, "Gelu");
    t_in(t, C8_DT_FLOAT, 1, dims, x);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "from opset 20");
    t_free(t);
}

/* (3, n, 4) normalized over the last two axes (axis 1), scale (n, 4), bias (4): against a
 * float64 loop, with the Mean and InvStdDev outputs. */
static void check_layernorm(int64_t n) {
    c8t_rng r = {SEED + (uint64_t)n};
    int64_t inner = n * 4, nx = 3 * inner;
    float *x = malloc((size_t)nx * sizeof *x), *sc = malloc((size_t)inner * sizeof *sc), b[4];
    for (int64_t i = 0; i < nx; i++) x[i] = c8t_uniform(&r, -3.0f, 5.0f);
    for (int64_t i = 0; i < inner; i++) sc[i] = c8t_uniform(&r, 0.5f, 2.0f);
    for (int i = 0; i < 4; i++) b[i] = c8t_uniform(&r, -1.0f, 1.0f);
    double *want = malloc((size_t)nx * sizeof *want), mean[3], inv[3];
    const double eps = (double)1e-3f;
    for (int o = 0; o < 3; o++) {
        double s = 0, q = 0;
        for (int64_t j = 0; j < inner; j++) s += x[o * inner + j];
        mean[o] = s / (double)inner;
        for (int64_t j = 0; j < inner; j++)
            q += (x[o * inner + j] - mean[o]) * (x[o * inner + j] - mean[o]);
        inv[o] = 1.0 / sqrt(q / (double)inner + eps);
        for (int64_t j = 0; j < inner; j++)
            want[o * inner + j] = (x[o * inner + j] - mean[o]) * inv[o] * sc[j] + b[j % 4];
    }
    int64_t dx[3] = {3, n, 4}, ds[2] = {n, 4}, db[1] = {4};
    t_op *t = t_new(17, "LayerNormalization");
    t_in(t, C8_DT_FLOAT, 3, dx, x);
    t_const(t, C8_DT_FLOAT, 2, ds, sc);
    t_const(t, C8_DT_FLOAT, 1, db, b);
    t_attr_i(t, "axis", 1);
    t_attr_f(t, "epsilon", 1e-3f);
    t_outs(t, 3);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 1), "3x1x1");
    if (!t_close_f32(t->y[0], want, nx, LN_RTOL, LN_ATOL, "LayerNormalization"))
        printf("    (n %lld, seed %#llx)\n", (long long)n, (unsigned long long)(SEED + n));
    CU_ASSERT(t_close_f32(t->y[0], want, nx, LN_RTOL, LN_ATOL, "LayerNormalization"));
    CU_ASSERT(t_close_f32(t->y[1], mean, 3, LN_RTOL, LN_ATOL, "Mean"));
    CU_ASSERT(t_close_f32(t->y[2], inv, 3, LN_RTOL, LN_ATOL, "InvStdDev"));
    t_free(t);
    free(x);
    free(sc);
    free(want);
}

static void test_layernorm(void) {
    for (int si = 0; si < N_SIZES; si++) check_layernorm(k_sizes[si]);
    int64_t dx[2] = {2, 4}, ds[1] = {3};
    t_op *t = t_new(17, "LayerNormalization");
    t_in(t, C8_DT_FLOAT, 2, dx, NULL);
    t_in(t, C8_DT_FLOAT, 1, ds, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "the normalized shape (4) with x1 (3)");
    t_free(t);
    t = t_new(17, "LayerNormalization");
    t_in(t, C8_DT_FLOAT, 2, dx, NULL);
    t_in(t, C8_DT_FLOAT, 1, (int64_t[]){4}, NULL);
    t_attr_i(t, "stash_type", 11);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "stash_type 11");
    t_free(t);
}

static void test_neg_abs_int(void) {
    int64_t x[4] = {5, -7, 0, INT64_MIN}, d[1] = {4};
    const int64_t wn[4] = {-5, 7, 0, INT64_MIN}, wa[4] = {5, 7, 0, INT64_MIN};
    for (int abs_op = 0; abs_op < 2; abs_op++) {
        t_op *t = t_new(13, abs_op ? "Abs" : "Neg");
        t_in(t, C8_DT_INT64, 1, d, x);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_EQUAL(memcmp(t->y[0], abs_op ? wa : wn, sizeof wn), 0);
        t_free(t);
    }
}

static const c8_test_case cases[] = {
    {"unary_math", test_unary_math},
    {"unary_special", test_unary_special},
    {"unary_errors", test_unary_errors},
    {"pow_broadcast", test_pow_broadcast},
    {"pow_types", test_pow_types},
    {"pow_errors", test_pow_errors},
    {"reduce", test_reduce},
    {"reduce_noop", test_reduce_noop},
    {"reduce_log", test_reduce_log},
    {"reduce_runtime_axes", test_reduce_runtime_axes},
    {"reduce_errors", test_reduce_errors},
    {"gelu", test_gelu},
    {"layernorm", test_layernorm},
    {"neg_abs_int", test_neg_abs_int},
};
C8T_MAIN("ops_math", cases)
