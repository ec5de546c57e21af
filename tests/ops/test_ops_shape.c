/* Shape and data-movement ops (ops/tensor_shape.c, kernels/ref/transpose.c): Concat,
 * Flatten, Reshape, Squeeze, Unsqueeze (both opset forms), Transpose, Identity, Dropout, Shape,
 * Gather, Slice, Split; hand-worked values, independent index references, and the errors
 * (bad axes, count mismatches, huge extents). */
#include "kit/graph.h"

static const uint64_t SEED = 0x5eed0002;

#define LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void iota_i64(int64_t *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = i;
}

/* ---- Concat ---- */

static void test_concat(void) {
    int64_t a[2 * 2], b[2 * 3], c[2 * 1];
    for (int i = 0; i < 4; i++) a[i] = 100 + i;
    for (int i = 0; i < 6; i++) b[i] = 200 + i;
    for (int i = 0; i < 2; i++) c[i] = 300 + i;
    int64_t da[2] = {2, 2}, db[2] = {2, 3}, dc[2] = {2, 1};
    int64_t axes[2] = {1, -1};
    for (int k = 0; k < 2; k++) {
        t_op *t = t_new(13, "Concat");
        t_in(t, C8_DT_INT64, 2, da, a);
        t_in(t, C8_DT_INT64, 2, db, b);
        t_in(t, C8_DT_INT64, 2, dc, c);
        t_outs(t, 1);
        t_attr_i(t, "axis", axes[k]);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x6");
        const int64_t want[12] = {100, 101, 200, 201, 202, 300, 102, 103, 203, 204, 205, 301};
        CU_ASSERT(memcmp(t->y[0], want, sizeof want) == 0);
        t_free(t);
    }
    /* axis 0 with a zero-size input */
    int64_t d0[2] = {0, 2};
    t_op *t = t_new(13, "Concat");
    t_in(t, C8_DT_INT64, 2, da, a);
    t_in(t, C8_DT_INT64, 2, d0, a);
    t_outs(t, 1);
    t_attr_i(t, "axis", 0);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x2");
    CU_ASSERT(memcmp(t->y[0], a, sizeof a) == 0);
    t_free(t);
    /* errors: mismatch off the axis, missing axis, axis out of range, unknown extent propagates */
    t = t_new(13, "Concat");
    t_in(t, C8_DT_INT64, 2, da, NULL);
    t_in(t, C8_DT_INT64, 2, db, NULL);
    t_outs(t, 1);
    t_attr_i(t, "axis", 0);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "does not match");
    t_free(t);
    t = t_new(13, "Concat");
    t_in(t, C8_DT_INT64, 2, da, NULL);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "'axis' is missing");
    t_free(t);
    t = t_new(13, "Concat");
    t_in(t, C8_DT_INT64, 2, da, NULL);
    t_outs(t, 1);
    t_attr_i(t, "axis", 2);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "out of range for rank 2");
    t_free(t);
    int64_t dq[2] = {-1, 3};
    t = t_new(13, "Concat");
    t_in(t, C8_DT_FLOAT, 2, dq, NULL);
    t_in(t, C8_DT_FLOAT, 2, db, NULL);
    t_outs(t, 1);
    t_attr_i(t, "axis", 1);
    T_EXPECT_OK(t, t_load(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x6");
    t_free(t);
}

/* ---- Flatten ---- */

static void test_flatten(void) {
    int64_t d[4] = {2, 3, 4, 5};
    static const struct {
        int64_t axis;
        const char *want;
    } cases[] = {{0, "1x120"}, {1, "2x60"}, {2, "6x20"}, {4, "120x1"}, {-1, "24x5"}, {-4, "1x120"}};
    static int64_t x[120];
    iota_i64(x, 120);
    for (int c = 0; c < LEN(cases); c++) {
        t_op *t = t_new(13, "Flatten");
        t_in(t, C8_DT_INT64, 4, d, x);
        t_outs(t, 1);
        t_attr_i(t, "axis", cases[c].axis);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), cases[c].want);
        CU_ASSERT(memcmp(t->y[0], x, sizeof x) == 0);
        t_free(t);
    }
    t_op *t = t_new(13, "Flatten");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    t_attr_i(t, "axis", 5);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "axis 5 is out of range");
    t_free(t);
}

/* ---- Reshape ---- */

static void reshape_case(int64_t opset, int rank, const int64_t *in, int n, const int64_t *shape,
                         int allowzero, c8_status want_s, const char *want) {
    int64_t x[64];
    iota_i64(x, 64);
    int64_t ds[1] = {n};
    t_op *t = t_new(opset, "Reshape");
    t_in(t, C8_DT_INT64, rank, in, x);
    t_const(t, C8_DT_INT64, 1, ds, shape);
    t_outs(t, 1);
    if (allowzero >= 0) t_attr_i(t, "allowzero", allowzero);
    if (want_s == C8_OK) {
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), want);
        if (strcmp(t_shape(t, 0), want))
            printf("\n    reshape: %s, expected %s\n", t_shape(t, 0), want);
        if (t->ybytes[0]) CU_ASSERT(memcmp(t->y[0], x, t->ybytes[0]) == 0);
    } else {
        T_EXPECT_ERR(t, t_load(t), want_s, want);
    }
    t_free(t);
}

static void test_reshape(void) {
    int64_t in[3] = {2, 3, 4}, in0[2] = {0, 3};
    reshape_case(13, 3, in, 2, (int64_t[]){0, -1}, -1, C8_OK, "2x12");
    reshape_case(13, 3, in, 3, (int64_t[]){-1, 0, 2}, -1, C8_OK, "4x3x2");
    reshape_case(13, 3, in, 1, (int64_t[]){-1}, -1, C8_OK, "24");
    reshape_case(13, 3, in, 4, (int64_t[]){2, 0, 4, 1}, -1, C8_OK, "2x3x4x1");
    /* allowzero=1: 0 is a real zero extent (only valid when the input is empty) */
    reshape_case(14, 2, in0, 2, (int64_t[]){3, 0}, 1, C8_OK, "3x0");
    reshape_case(14, 2, in0, 2, (int64_t[]){0, 3}, 0, C8_OK, "0x3");
    reshape_case(14, 2, in0, 2, (int64_t[]){3, 0}, 0, C8_ERR_SHAPE, "element counts differ");
    reshape_case(14, 2, in0, 3, (int64_t[]){0, -1, 0}, 1, C8_ERR_INVALID, "both 0 and -1");
    reshape_case(13, 3, in, 2, (int64_t[]){-1, -1}, -1, C8_ERR_INVALID, "more than one -1");
    reshape_case(13, 3, in, 2, (int64_t[]){5, -1}, -1, C8_ERR_SHAPE, "do not divide");
    reshape_case(13, 3, in, 2, (int64_t[]){5, 5}, -1, C8_ERR_SHAPE, "element counts differ");
    reshape_case(13, 3, in, 2, (int64_t[]){-2, 12}, -1, C8_ERR_INVALID, "-2 is invalid");
    reshape_case(13, 3, in, 4, (int64_t[]){1, 1, 1, 0}, -1, C8_ERR_INVALID, "copies input axis 3");
    /* huge extents: the product overflows int64 -> an error, not a wrapped count */
    reshape_case(13, 3, in, 3, (int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40, 1 << 20}, -1,
                 C8_ERR_NOMEM, "overflows");
    reshape_case(13, 3, in, 2, (int64_t[]){(int64_t)1 << 40, -1}, -1, C8_ERR_SHAPE, "24 elements");
    /* unknown batch copied by 0 cancels: (?, 3, 4) -> [0, -1] = (?, 12) */
    int64_t dq[3] = {-1, 3, 4}, sh[2] = {0, -1}, ds[1] = {2};
    t_op *t = t_new(13, "Reshape");
    t_in(t, C8_DT_FLOAT, 3, dq, NULL);
    t_const(t, C8_DT_INT64, 1, ds, sh);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "?x12");
    t_free(t);
    /* the shape computed at run time: rank known from its length, extents unknown at load */
    t = t_new(13, "Reshape");
    t_in(t, C8_DT_FLOAT, 3, in, NULL);
    t_in(t, C8_DT_INT64, 1, ds, NULL);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "?x?");
    t_free(t);
}

/* ---- Squeeze / Unsqueeze ---- */

static void test_squeeze(void) {
    int64_t d[4] = {1, 3, 1, 2}, x[6];
    iota_i64(x, 6);
    /* opset 11: attribute; opset 13: input; negative axes; no axes */
    int64_t ax[2] = {0, -2}, dax[1] = {2};
    t_op *t = t_new(11, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "axes", 2, ax);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "3x2");
    CU_ASSERT(memcmp(t->y[0], x, sizeof x) == 0);
    t_free(t);
    t = t_new(13, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_const(t, C8_DT_INT64, 1, dax, ax);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "3x2");
    t_free(t);
    t = t_new(13, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "3x2");
    t_free(t);
    /* errors: squeezing an extent 3, attribute at opset 13, axis out of range, duplicate */
    int64_t bad[1] = {1};
    t = t_new(11, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "axes", 1, bad);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "extent is 3, not 1");
    t_free(t);
    t = t_new(13, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "axes", 2, ax);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "'axes'");
    t_free(t);
    int64_t oor[1] = {4}, dup[2] = {0, -4};
    t = t_new(11, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "axes", 1, oor);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "axis 4 is out of range");
    t_free(t);
    t = t_new(11, "Squeeze");
    t_in(t, C8_DT_INT64, 4, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "axes", 2, dup);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "listed twice");
    t_free(t);
}

static void test_unsqueeze(void) {
    int64_t d[2] = {3, 2}, x[6];
    iota_i64(x, 6);
    static const struct {
        int n;
        int64_t axes[3];
        const char *want;
    } cases[] = {{1, {0}, "1x3x2"},      {1, {2}, "3x2x1"},           {1, {-1}, "3x2x1"},
                 {2, {0, 3}, "1x3x2x1"}, {3, {4, 0, 2}, "1x3x1x2x1"}, {2, {-1, -4}, "1x3x2x1"}};
    for (int c = 0; c < LEN(cases); c++) {
        for (int form = 0; form < 2; form++) {
            t_op *t = t_new(form ? 13 : 11, "Unsqueeze");
            t_in(t, C8_DT_INT64, 2, d, x);
            if (form) {
                int64_t dn[1] = {cases[c].n};
                t_const(t, C8_DT_INT64, 1, dn, cases[c].axes);
            } else {
                t_attr_ints(t, "axes", cases[c].n, cases[c].axes);
            }
            t_outs(t, 1);
            T_EXPECT_OK(t, t_load_run(t));
            CU_ASSERT_STRING_EQUAL(t_shape(t, 0), cases[c].want);
            CU_ASSERT(memcmp(t->y[0], x, sizeof x) == 0);
            t_free(t);
        }
    }
    /* errors: duplicates, out of range, missing axes input at opset 13, rank above the limit */
    int64_t dup[2] = {1, -3}, oor[1] = {3};
    t_op *t = t_new(11, "Unsqueeze");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_attr_ints(t, "axes", 2, dup);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "listed twice");
    t_free(t);
    t = t_new(11, "Unsqueeze");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_attr_ints(t, "axes", 1, oor);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "out of range");
    t_free(t);
    t = t_new(13, "Unsqueeze");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "axes input is required");
    t_free(t);
    int64_t many[7] = {0, 1, 2, 3, 4, 5, 6};
    t = t_new(11, "Unsqueeze");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_attr_ints(t, "axes", 7, many);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "rank 9");
    t_free(t);
}

/* ---- Transpose ---- */

static void check_transpose(int rank, const int64_t *dims, const int64_t *perm, size_t esize,
                            c8_dtype dt) {
    int64_t n = 1;
    for (int k = 0; k < rank; k++) n *= dims[k];
    unsigned char *x = malloc((size_t)n * esize);
    c8t_rng r = {SEED};
    for (int64_t i = 0; i < n * (int64_t)esize; i++) x[i] = (unsigned char)c8t_next(&r);
    t_op *t = t_new(13, "Transpose");
    t_in(t, dt, rank, dims, x);
    t_outs(t, 1);
    int64_t p[8];
    if (perm) {
        t_attr_ints(t, "perm", rank, perm);
        memcpy(p, perm, (size_t)rank * sizeof *p);
    } else {
        for (int k = 0; k < rank; k++) p[k] = rank - 1 - k;
    }
    T_EXPECT_OK(t, t_load_run(t));
    /* reference: for each output index, the input index it comes from */
    int64_t ist[8], s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        ist[k] = s;
        s *= dims[k];
    }
    int64_t idx[8] = {0};
    int bad = 0;
    for (int64_t i = 0; i < n && !bad; i++) {
        int64_t off = 0;
        for (int k = 0; k < rank; k++) off += idx[k] * ist[p[k]];
        if (memcmp((unsigned char *)t->y[0] + i * (int64_t)esize, x + off * (int64_t)esize, esize))
            bad = 1;
        for (int k = rank - 1; k >= 0; k--) {
            if (++idx[k] < dims[p[k]]) break;
            idx[k] = 0;
        }
    }
    CU_ASSERT(!bad);
    for (int k = 0; k < rank; k++) CU_ASSERT_EQUAL(t_outv(t, 0)->shape.d[k], dims[p[k]]);
    t_free(t);
    free(x);
}

static void test_transpose(void) {
    int64_t d4[4] = {3, 1, 7, 5}, d3[3] = {33, 7, 3}, d2[2] = {129, 31};
    check_transpose(4, d4, (int64_t[]){0, 2, 3, 1}, 4, C8_DT_FLOAT);
    check_transpose(4, d4, (int64_t[]){3, 2, 1, 0}, 8, C8_DT_INT64);
    check_transpose(4, d4, NULL, 1, C8_DT_UINT8);
    check_transpose(3, d3, (int64_t[]){1, 0, 2}, 2, C8_DT_FLOAT16);
    check_transpose(2, d2, NULL, 4, C8_DT_FLOAT);
    check_transpose(0, NULL, NULL, 4, C8_DT_FLOAT);
    t_op *t = t_new(13, "Transpose");
    t_in(t, C8_DT_FLOAT, 4, d4, NULL);
    t_outs(t, 1);
    t_attr_ints(t, "perm", 4, (int64_t[]){0, 1, 1, 3});
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "not a permutation");
    t_free(t);
    t = t_new(13, "Transpose");
    t_in(t, C8_DT_FLOAT, 4, d4, NULL);
    t_outs(t, 1);
    t_attr_ints(t, "perm", 3, (int64_t[]){0, 2, 1});
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "3 entries for a rank-4 input");
    t_free(t);
}

/* ---- Identity, Dropout, Shape ---- */

static void test_identity_dropout(void) {
    float x[4] = {1, -2, 3, -4};
    int64_t d[2] = {2, 2};
    t_op *t = t_new(16, "Identity");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT(memcmp(t->y[0], x, sizeof x) == 0);
    t_free(t);
    /* Dropout 13 with mask: output = input, mask all true */
    uint8_t tm = 0;
    float ratio = 0.5f;
    t = t_new(13, "Dropout");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_const(t, C8_DT_FLOAT, 0, NULL, &ratio);
    t_const(t, C8_DT_BOOL, 0, NULL, &tm);
    t_outs(t, 2);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT(memcmp(t->y[0], x, sizeof x) == 0);
    CU_ASSERT_EQUAL(t_outv(t, 1)->dtype, C8_DT_BOOL);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(((uint8_t *)t->y[1])[i], 1);
    t_free(t);
    /* opset 9: the mask has the input's type */
    t = t_new(9, "Dropout");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_outs(t, 2);
    t_attr_f(t, "ratio", 0.3f);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_EQUAL(t_outv(t, 1)->dtype, C8_DT_FLOAT);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(((float *)t->y[1])[i], 1.0f);
    t_free(t);
    /* training */
    tm = 1;
    t = t_new(13, "Dropout");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_absent(t);
    t_const(t, C8_DT_BOOL, 0, NULL, &tm);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "inference only");
    t_free(t);
    t = t_new(13, "Dropout");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_absent(t);
    t_in(t, C8_DT_BOOL, 0, NULL, &tm);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "not a constant");
    t_free(t);
}

/* Shape of a fully known input that is not a graph output: a constant at load (folding) */
static void test_shape_folds(void) {
    int64_t d[3] = {2, 3, 5};
    t_op *t = t_new(15, "Shape");
    t_in(t, C8_DT_FLOAT, 3, d, NULL);
    t_outs(t, 1);
    t_attr_i(t, "start", 1);
    t->node = c8_graph_add_node(t->g, "n0", t->op_type, "", C8_OP_SHAPE, t->in, t->n_in, t->out,
                                t->n_out);
    c8_node_add_attr(t->g, t->node, &t->attrs[0], &t->err);
    t->n_attrs = 0;
    const c8_op_def *def = c8_op_lookup(C8_OP_SHAPE);
    T_EXPECT_OK(t, def->infer(t->g, &t->g->nodes[t->node], &t->err));
    const c8_value *y = t_outv(t, 0);
    CU_ASSERT_EQUAL(y->kind, C8_VAL_CONST);
    CU_ASSERT_EQUAL(y->nbytes, 2 * sizeof(int64_t));
    if (y->kind == C8_VAL_CONST) {
        CU_ASSERT_EQUAL(((const int64_t *)y->data)[0], 3);
        CU_ASSERT_EQUAL(((const int64_t *)y->data)[1], 5);
    }
    t_free(t);
    /* an unknown extent inside the range: stays computed */
    int64_t dq[3] = {-1, 3, 5};
    t = t_new(15, "Shape");
    t_in(t, C8_DT_FLOAT, 3, dq, NULL);
    t_outs(t, 1);
    t->node = c8_graph_add_node(t->g, "n0", t->op_type, "", C8_OP_SHAPE, t->in, t->n_in, t->out,
                                t->n_out);
    T_EXPECT_OK(t, def->infer(t->g, &t->g->nodes[t->node], &t->err));
    CU_ASSERT_EQUAL(t_outv(t, 0)->kind, C8_VAL_ACTIVATION);
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "3");
    t_free(t);
}

static void test_shape(void) {
    int64_t d[4] = {2, 3, 5, 7};
    static const struct {
        int has_s, has_e;
        int64_t s, e;
        int n;
        int64_t want[4];
    } cases[] = {{0, 0, 0, 0, 4, {2, 3, 5, 7}},    {1, 0, 1, 0, 3, {3, 5, 7}},
                 {0, 1, 0, -1, 3, {2, 3, 5}},      {1, 1, -3, 3, 2, {3, 5}},
                 {1, 1, -10, 10, 4, {2, 3, 5, 7}}, {1, 1, 3, 1, 0, {0}}};
    for (int c = 0; c < LEN(cases); c++) {
        t_op *t = t_new(15, "Shape");
        t_in(t, C8_DT_FLOAT, 4, d, NULL);
        t_outs(t, 1);
        if (cases[c].has_s) t_attr_i(t, "start", cases[c].s);
        if (cases[c].has_e) t_attr_i(t, "end", cases[c].e);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_EQUAL(t_outv(t, 0)->dtype, C8_DT_INT64);
        CU_ASSERT_EQUAL(t_outv(t, 0)->shape.d[0], cases[c].n);
        if (cases[c].n)
            CU_ASSERT(memcmp(t->y[0], cases[c].want, (size_t)cases[c].n * sizeof(int64_t)) == 0);
        t_free(t);
    }
}

/* ---- Gather ---- */

static void test_gather(void) {
    /* data (3, 4) = 10*i + j; indices with negatives, int32 and int64, several axes */
    float x[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(10 * i + j);
    int64_t dx[2] = {3, 4};
    int64_t i64[4] = {2, -1, 0, -3};
    int64_t di[2] = {2, 2};
    t_op *t = t_new(13, "Gather");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_INT64, 2, di, i64);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x2x4");
    const int rows[4] = {2, 2, 0, 0};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++)
            CU_ASSERT_EQUAL(((float *)t->y[0])[k * 4 + j], 10 * rows[k] + j);
    t_free(t);
    int32_t i32[3] = {-1, 0, 3};
    int64_t d3[1] = {3};
    t = t_new(13, "Gather");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_INT32, 1, d3, i32);
    t_outs(t, 1);
    t_attr_i(t, "axis", -1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "3x3");
    const float want[9] = {3, 0, 3, 13, 10, 13, 23, 20, 23};
    CU_ASSERT(memcmp(t->y[0], want, sizeof want) == 0);
    t_free(t);
    /* scalar index: the axis disappears (shape-subgraph use: Gather(Shape(x), 0)) */
    int64_t shp[4] = {1, 3, 224, 224}, ds[1] = {4}, zero = 0;
    t = t_new(13, "Gather");
    t_in(t, C8_DT_INT64, 1, ds, shp);
    t_in(t, C8_DT_INT64, 0, NULL, &zero);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "scalar");
    CU_ASSERT_EQUAL(((int64_t *)t->y[0])[0], 1);
    t_free(t);
    /* out of range index: an error at run naming the index */
    int64_t badi[2] = {0, 3};
    int64_t d2[1] = {2};
    t = t_new(13, "Gather");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_INT64, 1, d2, badi);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    T_EXPECT_ERR(t, t_run(t), C8_ERR_INVALID, "index 3 (indices 'x1' element 1) is out of range");
    t_free(t);
    int64_t neg[1] = {-4};
    t = t_new(13, "Gather");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_INT64, 1, (int64_t[]){1}, neg);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    T_EXPECT_ERR(t, t_run(t), C8_ERR_INVALID, "index -4");
    t_free(t);
    t = t_new(13, "Gather");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_FLOAT, 1, d2, x);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "int32 or int64");
    t_free(t);
    t = t_new(13, "Gather");
    t_in(t, C8_DT_FLOAT, 2, dx, x);
    t_in(t, C8_DT_INT64, 1, d2, badi);
    t_outs(t, 1);
    t_attr_i(t, "axis", 2);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "axis 2 is out of range");
    t_free(t);
}

/* ---- Slice ---- */

typedef struct scase {
    int n;
    int64_t starts[3], ends[3], axes[3], steps[3];
    int has_axes, has_steps;
    const char *want_shape;
} scase;

/* Reference: explicit index lists per axis, computed from the ONNX clamping rules written out
 * again here on a (4, 5, 6) tensor of x[i,j,k] = 100i + 10j + k. */
static void slice_ref(const scase *c, const int64_t *dims, int64_t *out, int64_t *out_dims) {
    int64_t idx[3][8], cnt[3];
    for (int a = 0; a < 3; a++) {
        cnt[a] = dims[a];
        for (int i = 0; i < dims[a]; i++) idx[a][i] = i;
    }
    for (int i = 0; i < c->n; i++) {
        int a = (int)(c->has_axes ? (c->axes[i] < 0 ? c->axes[i] + 3 : c->axes[i]) : i);
        int64_t dim = dims[a], st = c->has_steps ? c->steps[i] : 1;
        int64_t s = c->starts[i], e = c->ends[i];
        s = s < 0 ? s + dim : s;
        e = e < 0 ? e + dim : e;
        int64_t m = 0;
        if (st > 0) {
            s = s < 0 ? 0 : (s > dim ? dim : s);
            e = e < 0 ? 0 : (e > dim ? dim : e);
            for (int64_t v = s; v < e; v += st) { /* stops before v + st could overflow */
                idx[a][m++] = v;
                if (st >= e - v) break;
            }
        } else {
            s = s < 0 ? 0 : (s > dim - 1 ? dim - 1 : s);
            e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
            for (int64_t v = s; v > e; v += st) {
                idx[a][m++] = v;
                if (st <= e - v) break;
            }
        }
        cnt[a] = m;
    }
    int64_t w = 0;
    for (int i = 0; i < cnt[0]; i++)
        for (int j = 0; j < cnt[1]; j++)
            for (int k = 0; k < cnt[2]; k++)
                out[w++] = 100 * idx[0][i] + 10 * idx[1][j] + idx[2][k];
    for (int a = 0; a < 3; a++) out_dims[a] = cnt[a];
}

static void test_slice(void) {
    int64_t dims[3] = {4, 5, 6};
    int64_t x[120];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < 6; k++) x[(i * 5 + j) * 6 + k] = 100 * i + 10 * j + k;
    const int64_t BIG = INT64_MAX, SMALL = INT64_MIN;
    static scase cases[] = {
        {2, {1, 0}, {3, 5}, {0, 1}, {1, 2}, 1, 1, "2x3x6"},
        {1, {-1}, {SMALL}, {2}, {-1}, 1, 1, "4x5x6"},          /* full reversal */
        {1, {5}, {0}, {-1}, {-2}, 1, 1, "4x5x3"},              /* clamped start, negative step */
        {1, {-100}, {100}, {1}, {3}, 1, 1, "4x2x6"},           /* clamped both ends */
        {2, {0, 2}, {BIG, -1}, {0, 0}, {1, 1}, 0, 0, "4x2x6"}, /* default axes/steps */
        {1, {3}, {3}, {0}, {1}, 1, 1, "0x5x6"},                /* empty */
        {1, {2}, {3}, {0}, {-1}, 1, 1, "0x5x6"},               /* empty with negative step */
        {3, {3, 4, 5}, {-5, -6, -7}, {0, 1, 2}, {-2, -3, -4}, 1, 1, "2x2x2"},
        {1, {1}, {BIG}, {-3}, {BIG}, 1, 1, "1x5x6"},    /* huge step */
        {1, {4}, {SMALL}, {0}, {SMALL}, 1, 1, "1x5x6"}, /* huge negative step */
    };
    for (int c = 0; c < LEN(cases); c++) {
        const scase *sc = &cases[c];
        int64_t dn[1] = {sc->n};
        t_op *t = t_new(13, "Slice");
        t_in(t, C8_DT_INT64, 3, dims, x);
        t_const(t, C8_DT_INT64, 1, dn, sc->starts);
        t_const(t, C8_DT_INT64, 1, dn, sc->ends);
        if (sc->has_axes)
            t_const(t, C8_DT_INT64, 1, dn, sc->axes);
        else if (sc->has_steps)
            t_absent(t);
        if (sc->has_steps) t_const(t, C8_DT_INT64, 1, dn, sc->steps);
        t_outs(t, 1);
        T_EXPECT_OK(t, t_load_run(t));
        int64_t want[120], wd[3];
        slice_ref(sc, dims, want, wd);
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), sc->want_shape);
        CU_ASSERT(memcmp(t_outv(t, 0)->shape.d, wd, sizeof wd) == 0);
        int64_t n = wd[0] * wd[1] * wd[2];
        CU_ASSERT(n == 0 || memcmp(t->y[0], want, (size_t)n * sizeof(int64_t)) == 0);
        if (strcmp(t_shape(t, 0), sc->want_shape))
            printf("\n    slice case %d: %s\n", c, t_shape(t, 0));
        t_free(t);
    }
    /* opset 9: attributes; int32 parameters at opset 13 */
    t_op *t = t_new(9, "Slice");
    t_in(t, C8_DT_INT64, 3, dims, x);
    t_attr_ints(t, "starts", 1, (int64_t[]){-2});
    t_attr_ints(t, "ends", 1, (int64_t[]){BIG});
    t_attr_ints(t, "axes", 1, (int64_t[]){2});
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "4x5x2");
    CU_ASSERT_EQUAL(((int64_t *)t->y[0])[0], 4);
    CU_ASSERT_EQUAL(((int64_t *)t->y[0])[39], 345);
    t_free(t);
    int32_t s32[1] = {1}, e32[1] = {2};
    t = t_new(13, "Slice");
    t_in(t, C8_DT_INT64, 3, dims, x);
    t_const(t, C8_DT_INT32, 1, (int64_t[]){1}, s32);
    t_const(t, C8_DT_INT32, 1, (int64_t[]){1}, e32);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "1x5x6");
    CU_ASSERT_EQUAL(((int64_t *)t->y[0])[0], 100);
    t_free(t);
    /* errors: step 0, an axis twice, length mismatch, axis out of range */
    struct {
        int64_t n, ax[2], st[2];
        const char *msg;
        c8_status s;
    } errs[] = {{1, {0, 0}, {0, 0}, "step 0", C8_ERR_INVALID},
                {2, {1, -2}, {1, 1}, "sliced twice", C8_ERR_INVALID},
                {1, {3, 0}, {1, 0}, "out of range", C8_ERR_INVALID}};
    for (int e = 0; e < LEN(errs); e++) {
        int64_t dn[1] = {errs[e].n}, z[2] = {0, 0}, o[2] = {1, 1};
        t = t_new(13, "Slice");
        t_in(t, C8_DT_INT64, 3, dims, x);
        t_const(t, C8_DT_INT64, 1, dn, z);
        t_const(t, C8_DT_INT64, 1, dn, o);
        t_const(t, C8_DT_INT64, 1, dn, errs[e].ax);
        t_const(t, C8_DT_INT64, 1, dn, errs[e].st);
        t_outs(t, 1);
        T_EXPECT_ERR(t, t_load(t), errs[e].s, errs[e].msg);
        t_free(t);
    }
    int64_t z2[2] = {0, 0}, o1[1] = {1};
    t = t_new(13, "Slice");
    t_in(t, C8_DT_INT64, 3, dims, x);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){2}, z2);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){1}, o1);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "different lengths");
    t_free(t);
}

/* ---- Split ---- */

static void test_split(void) {
    int64_t x[10];
    iota_i64(x, 10);
    int64_t d[2] = {2, 5};
    /* opset 11 attribute, opset 13 input */
    int64_t sp[2] = {2, 3}, dsp[1] = {2};
    for (int form = 0; form < 2; form++) {
        t_op *t = t_new(form ? 13 : 11, "Split");
        t_in(t, C8_DT_INT64, 2, d, x);
        if (form)
            t_const(t, C8_DT_INT64, 1, dsp, sp);
        else
            t_attr_ints(t, "split", 2, sp);
        t_attr_i(t, "axis", -1);
        t_outs(t, 2);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x2");
        CU_ASSERT_STRING_EQUAL(t_shape(t, 1), "2x3");
        const int64_t w0[4] = {0, 1, 5, 6}, w1[6] = {2, 3, 4, 7, 8, 9};
        CU_ASSERT(memcmp(t->y[0], w0, sizeof w0) == 0);
        CU_ASSERT(memcmp(t->y[1], w1, sizeof w1) == 0);
        t_free(t);
    }
    /* equal split along axis 0 */
    t_op *t = t_new(13, "Split");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_outs(t, 2);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 1), "1x5");
    CU_ASSERT_EQUAL(((int64_t *)t->y[1])[0], 5);
    t_free(t);
    /* opset 18 num_outputs: 5 into 3 -> 2, 2, 1 */
    t = t_new(18, "Split");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_attr_i(t, "axis", 1);
    t_attr_i(t, "num_outputs", 3);
    t_outs(t, 3);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "2x2");
    CU_ASSERT_STRING_EQUAL(t_shape(t, 2), "2x1");
    CU_ASSERT_EQUAL(((int64_t *)t->y[2])[1], 9);
    t_free(t);
    /* errors: uneven without num_outputs, sizes that do not add up, wrong count */
    t = t_new(13, "Split");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_attr_i(t, "axis", 1);
    t_outs(t, 2);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "does not split evenly");
    t_free(t);
    int64_t bad[2] = {2, 2};
    t = t_new(13, "Split");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_const(t, C8_DT_INT64, 1, dsp, bad);
    t_attr_i(t, "axis", 1);
    t_outs(t, 2);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "add up to 4");
    t_free(t);
    t = t_new(11, "Split");
    t_in(t, C8_DT_INT64, 2, d, x);
    t_attr_ints(t, "split", 2, sp);
    t_attr_i(t, "axis", 1);
    t_outs(t, 3);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "2 entries for 3 outputs");
    t_free(t);
}

static const c8_test_case cases[] = {
    {"Concat", test_concat},
    {"Flatten", test_flatten},
    {"Reshape", test_reshape},
    {"Squeeze", test_squeeze},
    {"Unsqueeze", test_unsqueeze},
    {"Transpose", test_transpose},
    {"Identity/Dropout", test_identity_dropout},
    {"Shape", test_shape},
    {"Gather", test_gather},
    {"Slice", test_slice},
    {"Split", test_split},
    {"Shape folds to a constant", test_shape_folds},
};
C8T_MAIN("ops_shape", cases)
