/* The comparison and logic ops (ops/logic.c, kernels/ref/logic.c): hand-worked broadcasts,
 * exact int64 comparison (values that float64 cannot tell apart), IEEE NaN, Not (whose ONNX test
 * data is opset 1, which calib8 does not load), Where on several dtypes, and the rejected forms.
 * ONNX's test data for the rest runs in tests/engine/test_conformance.c. */
#include "kit/graph.h"

#include <math.h>

static void test_compare_broadcast(void) {
    /* (2,3) vs (3): Greater, hand-worked */
    float a[6] = {1, 5, -2, 0, 3, 3}, b[3] = {0, 5, 3};
    int64_t da[2] = {2, 3}, db[1] = {3};
    static const struct {
        const char *op;
        uint8_t want[6];
    } k[] = {
        {"Greater", {1, 0, 0, 0, 0, 0}},     {"Less", {0, 0, 1, 0, 1, 0}},
        {"Equal", {0, 1, 0, 1, 0, 1}},       {"GreaterOrEqual", {1, 1, 0, 1, 0, 1}},
        {"LessOrEqual", {0, 1, 1, 1, 1, 1}},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        t_op *t = t_new(13, k[i].op);
        t_in(t, C8_DT_FLOAT, 2, da, a);
        t_in(t, C8_DT_FLOAT, 1, db, b);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_EQUAL(t_outv(t, 0)->dtype, C8_DT_BOOL);
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3");
        if (memcmp(t->y[0], k[i].want, 6)) printf("\n    %s differs\n", k[i].op);
        CU_ASSERT_EQUAL(memcmp(t->y[0], k[i].want, 6), 0);
        t_free(t);
    }
}

static void test_compare_exact_and_nan(void) {
    /* 2^53 and 2^53 + 1 are one float64: an int64 comparison must still tell them apart */
    int64_t a[2] = {9007199254740993LL, -5}, b[2] = {9007199254740992LL, -5}, d[1] = {2};
    t_op *t = t_new(13, "Greater");
    t_in(t, C8_DT_INT64, 1, d, a);
    t_in(t, C8_DT_INT64, 1, d, b);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const uint8_t want[2] = {1, 0};
    CU_ASSERT_EQUAL(memcmp(t->y[0], want, 2), 0);
    t_free(t);
    /* NaN is unequal to everything, itself included, and unordered */
    float x[3] = {NAN, NAN, 1.0f}, z[3] = {NAN, 1.0f, NAN};
    int64_t d3[1] = {3};
    const char *ops[3] = {"Equal", "Less", "GreaterOrEqual"};
    for (int i = 0; i < 3; i++) {
        t = t_new(13, ops[i]);
        t_in(t, C8_DT_FLOAT, 1, d3, x);
        t_in(t, C8_DT_FLOAT, 1, d3, z);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        const uint8_t none[3] = {0, 0, 0};
        CU_ASSERT_EQUAL(memcmp(t->y[0], none, 3), 0);
        t_free(t);
    }
}

static void test_logic(void) {
    uint8_t a[4] = {0, 0, 1, 1}, b[4] = {0, 1, 0, 1};
    int64_t d[1] = {4};
    static const struct {
        const char *op;
        uint8_t want[4];
    } k[] = {{"And", {0, 0, 0, 1}}, {"Or", {0, 1, 1, 1}}, {"Xor", {0, 1, 1, 0}}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        t_op *t = t_new(7, k[i].op);
        t_in(t, C8_DT_BOOL, 1, d, a);
        t_in(t, C8_DT_BOOL, 1, d, b);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_EQUAL(memcmp(t->y[0], k[i].want, 4), 0);
        t_free(t);
    }
    t_op *t = t_new(13, "Not");
    t_in(t, C8_DT_BOOL, 1, d, a);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const uint8_t want[4] = {1, 1, 0, 0};
    CU_ASSERT_EQUAL(memcmp(t->y[0], want, 4), 0);
    t_free(t);
}

static void test_where(void) {
    /* cond (2,1), X (3), Y scalar -> (2,3), int64 and float32 */
    uint8_t c[2] = {1, 0};
    int64_t x[3] = {10, 20, 30}, y = -1, dc[2] = {2, 1}, dx[1] = {3};
    t_op *t = t_new(16, "Where");
    t_in(t, C8_DT_BOOL, 2, dc, c);
    t_in(t, C8_DT_INT64, 1, dx, x);
    t_in(t, C8_DT_INT64, 0, NULL, &y);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3");
    const int64_t want[6] = {10, 20, 30, -1, -1, -1};
    CU_ASSERT_EQUAL(memcmp(t->y[0], want, sizeof want), 0);
    t_free(t);
    float fx[3] = {1.5f, 2.5f, 3.5f}, fy[3] = {-1, -2, -3};
    uint8_t c3[3] = {0, 1, 0};
    t = t_new(9, "Where");
    t_in(t, C8_DT_BOOL, 1, dx, c3);
    t_in(t, C8_DT_FLOAT, 1, dx, fx);
    t_in(t, C8_DT_FLOAT, 1, dx, fy);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const float fw[3] = {-1, 2.5f, -3};
    CU_ASSERT_EQUAL(memcmp(t->y[0], fw, sizeof fw), 0);
    t_free(t);
}

static void test_logic_errors(void) {
    int64_t d[1] = {4}, d3[1] = {3};
    t_op *t = t_new(13, "Equal");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_INT64, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "different dtypes");
    t_free(t);
    t = t_new(13, "And");
    t_in(t, C8_DT_INT32, 1, d, NULL);
    t_in(t, C8_DT_INT32, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "And on int32");
    t_free(t);
    t = t_new(11, "GreaterOrEqual");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "from opset 12");
    t_free(t);
    t = t_new(13, "Less");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_FLOAT, 1, d3, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "x1");
    t_free(t);
    t = t_new(13, "Not");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "Not takes bool");
    t_free(t);
    t = t_new(16, "Where");
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "not bool");
    t_free(t);
    t = t_new(16, "Where");
    t_in(t, C8_DT_BOOL, 1, d, NULL);
    t_in(t, C8_DT_FLOAT, 1, d, NULL);
    t_in(t, C8_DT_INT64, 1, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "differ in dtype");
    t_free(t);
}

static const c8_test_case cases[] = {
    {"compare_broadcast", test_compare_broadcast},
    {"compare_exact_and_nan", test_compare_exact_and_nan},
    {"logic", test_logic},
    {"where", test_where},
    {"logic_errors", test_logic_errors},
};
C8T_MAIN("ops_logic", cases)
