/* The index and generator ops (ops/index.c, kernels/ref/index.c): hand-worked cases for each,
 * shapes read from inputs at load time (constants) and at run time (graph inputs the engine
 * specializes on), TopK's tie order, and the rejected forms with their messages. ONNX's test
 * data for these ops runs in tests/engine/test_conformance.c (conformance_required.txt). */
#include "kit/graph.h"

static void test_expand_tile(void) {
    float x[3] = {1, 2, 3};
    int64_t dx[2] = {3, 1}, shp[3] = {2, 1, 2}, d3[1] = {3};
    t_op *t = t_new(13, "Expand");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_const(t, C8_DT_INT64, 1, d3, shp);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3x2");
    const float we[12] = {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3};
    CU_ASSERT_EQUAL(memcmp(t->y[0], we, sizeof we), 0);
    t_free(t);
    int64_t rep[2] = {2, 3}, d2[1] = {2};
    t = t_new(13, "Tile");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_const(t, C8_DT_INT64, 1, d2, rep);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "6x3");
    const float wt[18] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    CU_ASSERT_EQUAL(memcmp(t->y[0], wt, sizeof wt), 0);
    t_free(t);
}

static void test_constant_of_shape_range(void) {
    int64_t shp[2] = {2, 3}, d2[1] = {2};
    t_op *t = t_new(13, "ConstantOfShape");
    t_const(t, C8_DT_INT64, 1, d2, shp);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x3");
    CU_ASSERT_EQUAL(t_outv(t, 0)->dtype, C8_DT_FLOAT);
    const float z[6] = {0};
    CU_ASSERT_EQUAL(memcmp(t->y[0], z, sizeof z), 0);
    t_free(t);
    /* Range, int64 exactly (limit - start not a multiple of delta: rounds up) and float */
    int64_t s = 10, l = -3, dl = -4;
    t = t_new(11, "Range");
    t_const(t, C8_DT_INT64, 0, NULL, &s);
    t_const(t, C8_DT_INT64, 0, NULL, &l);
    t_const(t, C8_DT_INT64, 0, NULL, &dl);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "4");
    const int64_t wr[4] = {10, 6, 2, -2};
    CU_ASSERT_EQUAL(memcmp(t->y[0], wr, sizeof wr), 0);
    t_free(t);
    float fs = 0.5f, fl = 2.0f, fd = 0.5f;
    t = t_new(11, "Range");
    t_const(t, C8_DT_FLOAT, 0, NULL, &fs);
    t_const(t, C8_DT_FLOAT, 0, NULL, &fl);
    t_const(t, C8_DT_FLOAT, 0, NULL, &fd);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const float wf[3] = {0.5f, 1.0f, 1.5f};
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "3");
    CU_ASSERT_EQUAL(memcmp(t->y[0], wf, sizeof wf), 0);
    t_free(t);
}

static void test_gather_elements_arg_topk(void) {
    float x[6] = {1, 5, 3, 7, 2, 7};
    int64_t dx[2] = {2, 3}, idx[4] = {2, 0, -1, 1}, di[2] = {2, 2};
    t_op *t = t_new(13, "GatherElements");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_INT64, 2, di, idx);
    t_attr_i(t, "axis", 1);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    const float wg[4] = {3, 1, 7, 2};
    CU_ASSERT_EQUAL(memcmp(t->y[0], wg, sizeof wg), 0);
    t_free(t);
    /* ArgMax over axis 1: ties give the first index, or the last with select_last_index */
    for (int last = 0; last < 2; last++) {
        t = t_new(13, "ArgMax");
        t_in(t, C8_DT_FLOAT, 2, dx, x);
        t_attr_i(t, "axis", 1);
        t_attr_i(t, "keepdims", 0);
        if (last) t_attr_i(t, "select_last_index", 1);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2");
        const int64_t wa[2] = {1, last ? 2 : 0};
        CU_ASSERT_EQUAL(memcmp(t->y[0], wa, sizeof wa), 0);
        t_free(t);
    }
    /* TopK 2 largest along the last axis; the tie 7, 7 keeps the lower index first */
    int64_t k = 2, d1[1] = {1};
    t = t_new(11, "TopK");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_const(t, C8_DT_INT64, 1, d1, &k);
    t_outs(t, 2);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x2");
    const float wv[4] = {5, 3, 7, 7};
    const int64_t wi[4] = {1, 2, 0, 2};
    CU_ASSERT_EQUAL(memcmp(t->y[0], wv, sizeof wv), 0);
    CU_ASSERT_EQUAL(memcmp(t->y[1], wi, sizeof wi), 0);
    t_free(t);
    /* only the Values output: the indices are computed into scratch */
    t = t_new(11, "TopK");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_const(t, C8_DT_INT64, 1, d1, &k);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_EQUAL(memcmp(t->y[0], wv, sizeof wv), 0);
    t_free(t);
}

/* Expand with its shape from a graph input: inference leaves the extents unknown, the engine
 * specializes on the shape's values. */
static void test_runtime_shape(void) {
    c8_graph *g = pu_graph(13);
    int x = pu_input(g, "x", PU_SHAPE(3, 1));
    c8_shape ss = PU_SHAPE(2);
    int sv = c8_graph_add_value(g, "shape", C8_VAL_INPUT, C8_DT_INT64, &ss);
    g->inputs = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof(int));
    g->inputs[g->n_inputs++] = sv;
    int y = PU_OP(g, "expand", "Expand", "y", x, sv);
    pu_output(g, y);
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(pu_finish(g, true, &err), C8_OK);
    CU_ASSERT_EQUAL(g->vals[y].shape.rank, 2);
    CU_ASSERT_EQUAL(g->vals[y].shape.d[1], -1);
    float xd[3] = {1, 2, 3};
    int64_t shape[2] = {3, 4};
    c8_host_tensor in[2] = {{"x", C8_DT_FLOAT, PU_SHAPE(3, 1), xd},
                            {"shape", C8_DT_INT64, PU_SHAPE(2), shape}};
    pu_result res;
    c8_status s = pu_run(g, in, &res, &err);
    if (s != C8_OK) printf("\n    %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL(res.out[0].shape.d[0], 3);
    CU_ASSERT_EQUAL(res.out[0].shape.d[1], 4);
    const float *got = res.out[0].data;
    for (int i = 0; i < 12; i++) CU_ASSERT_EQUAL(got[i], xd[i / 4]);
    pu_result_free(&res);
    c8_graph_destroy(g);
}

static void test_index_errors(void) {
    int64_t d[2] = {2, 3}, d1[1] = {1}, d2[1] = {2}, bad[2] = {2, -1}, k9 = 9, i9[1] = {3};
    t_op *t = t_new(13, "Tile");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_const(t, C8_DT_INT64, 1, d1, d1);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "1 values for rank 2");
    t_free(t);
    t = t_new(13, "Expand");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_const(t, C8_DT_INT64, 1, d2, bad);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "negative extent");
    t_free(t);
    t = t_new(13, "Expand");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_const(t, C8_DT_INT64, 1, d2, (int64_t[]){2, 2});
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "cannot broadcast");
    t_free(t);
    t = t_new(11, "TopK");
    t_in(t, C8_DT_FLOAT, 2, d, NULL);
    t_const(t, C8_DT_INT64, 1, d1, &k9);
    t_outs(t, 2);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "k = 9 exceeds");
    t_free(t);
    t = t_new(11, "Range");
    float z = 0;
    t_const(t, C8_DT_FLOAT, 0, NULL, &z);
    t_const(t, C8_DT_FLOAT, 0, NULL, &z);
    t_const(t, C8_DT_FLOAT, 0, NULL, &z);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "delta");
    t_free(t);
    float x[6] = {0};
    t = t_new(13, "GatherElements");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_in(t, C8_DT_INT64, 2, (int64_t[]){1, 1}, i9);
    t_attr_i(t, "axis", 1);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    T_EXPECT_ERR(t, t_run(t), C8_ERR_INVALID, "index 3 (element 0");
    t_free(t);
    t = t_new(13, "ArgMax");
    t_in(t, C8_DT_UINT8, 2, d, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "ArgMax on uint8");
    t_free(t);
}

static const c8_test_case cases[] = {
    {"expand_tile", test_expand_tile},
    {"constant_of_shape_range", test_constant_of_shape_range},
    {"gather_elements_arg_topk", test_gather_elements_arg_topk},
    {"runtime_shape", test_runtime_shape},
    {"index_errors", test_index_errors},
};
C8T_MAIN("ops_index", cases)
