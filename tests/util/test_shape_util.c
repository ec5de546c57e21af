/* Tests for engine/shape_util: broadcasting (with unknown extents), broadcast iteration against
 * explicit index arithmetic, axis normalisation, window extents (auto_pad, ceil_mode) checked
 * against hand-worked values and the ONNX conformance shapes, checked counts. */
#include "c8test.h"

#include "util/shape.h"

#include <stdarg.h>

static c8_shape mk(int rank, ...) {
    c8_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++) s.d[i] = va_arg(ap, int64_t);
    va_end(ap);
    return s;
}
#define S(...) mk(__VA_ARGS__)
#define I(x) ((int64_t)(x))

static void expect_shape(const c8_shape *got, const c8_shape *want) {
    char a[128], b[128];
    if (!c8_shape_equal(got, want))
        printf("\n  got %s want %s\n", c8_shape_str(got, a, sizeof a),
               c8_shape_str(want, b, sizeof b));
    CU_ASSERT_TRUE(c8_shape_equal(got, want));
}

static void test_broadcast(void) {
    c8_error err = {0};
    c8_shape out, a, b, w;
    a = S(4, I(2), I(3), I(4), I(5));
    b = S(1, I(5));
    CU_ASSERT_EQUAL_FATAL(c8_broadcast2(&a, "A", &b, "B", &out, &err), C8_OK);
    expect_shape(&out, &a);
    a = S(3, I(1), I(3), I(1));
    b = S(2, I(1), I(7));
    w = S(3, I(1), I(3), I(7));
    CU_ASSERT_EQUAL(c8_broadcast2(&a, "A", &b, "B", &out, &err), C8_OK);
    expect_shape(&out, &w);
    /* scalar with anything */
    a = S(0);
    b = S(2, I(2), I(2));
    CU_ASSERT_EQUAL(c8_broadcast2(&a, "A", &b, "B", &out, &err), C8_OK);
    expect_shape(&out, &b);
    /* unknown extents: ? x 1 -> ?, ? x 5 -> 5, ? x ? -> ? */
    a = S(3, I(-1), I(-1), I(-1));
    b = S(3, I(1), I(5), I(-1));
    w = S(3, I(-1), I(5), I(-1));
    CU_ASSERT_EQUAL(c8_broadcast2(&a, "A", &b, "B", &out, &err), C8_OK);
    expect_shape(&out, &w);
    CU_ASSERT_EQUAL(c8_broadcast2(&b, "B", &a, "A", &out, &err), C8_OK);
    expect_shape(&out, &w);
    /* unknown rank */
    a = S(2, I(2), I(3));
    b.rank = -1;
    CU_ASSERT_EQUAL(c8_broadcast2(&a, "A", &b, "B", &out, &err), C8_OK);
    CU_ASSERT_EQUAL(out.rank, -1);
    /* definite mismatch: message names both tensors and shapes */
    a = S(2, I(2), I(3));
    b = S(2, I(4), I(3));
    CU_ASSERT_EQUAL(c8_broadcast2(&a, "lhs", &b, "rhs", &out, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "lhs (2x3)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rhs (4x3)"));
    /* mismatch found after an unknown: 2 x ? x 3 */
    c8_shape c = S(1, I(2)), d = S(1, I(-1)), e = S(1, I(3));
    const c8_shape *three[3] = {&c, &d, &e};
    CU_ASSERT_EQUAL(c8_broadcast(three, NULL, 3, &out, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "operand 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "operand 2"));
    /* N-ary */
    c = S(3, I(1), I(1), I(4));
    d = S(2, I(3), I(1));
    e = S(4, I(2), I(1), I(1), I(1));
    CU_ASSERT_EQUAL(c8_broadcast(three, NULL, 3, &out, &err), C8_OK);
    w = S(4, I(2), I(1), I(3), I(4));
    expect_shape(&out, &w);
}

/* The iterator's offsets against offsets computed from the multi-index directly. */
static void test_bcast_iter(void) {
    c8_shape out = S(4, I(2), I(3), I(4), I(5));
    c8_shape a = S(3, I(3), I(1), I(5)), b = S(4, I(2), I(1), I(4), I(1)), c = S(0);
    const c8_shape *ins[3] = {&a, &b, &c};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, &out, ins, 3);
    int64_t i = 0, bad = 0;
    for (int n = 0; n < 2; n++)
        for (int h = 0; h < 3; h++)
            for (int w = 0; w < 4; w++)
                for (int x = 0; x < 5; x++, i++, c8_bcast_iter_next(&it)) {
                    int64_t oa = h * 5 + x, ob = n * 4 + w;
                    if (it.off[0] != oa || it.off[1] != ob || it.off[2] != 0) bad++;
                }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(i, 120);
    int64_t st[C8_MAX_RANK];
    c8_broadcast_strides(&a, &out, st);
    CU_ASSERT_EQUAL(st[0], 0);
    CU_ASSERT_EQUAL(st[1], 5);
    CU_ASSERT_EQUAL(st[2], 0);
    CU_ASSERT_EQUAL(st[3], 1);
}

static void test_axis_count(void) {
    c8_error err = {0};
    int ax = -9;
    CU_ASSERT_EQUAL(c8_axis_norm(-1, 4, &ax, &err), C8_OK);
    CU_ASSERT_EQUAL(ax, 3);
    CU_ASSERT_EQUAL(c8_axis_norm(-4, 4, &ax, &err), C8_OK);
    CU_ASSERT_EQUAL(ax, 0);
    CU_ASSERT_EQUAL(c8_axis_norm(4, 4, &ax, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "-4..3"));
    CU_ASSERT_EQUAL(c8_axis_norm(-5, 4, &ax, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_axis_norm(0, 0, &ax, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_axis_norm(INT64_MIN, 3, &ax, &err), C8_ERR_INVALID);

    int64_t n = 0;
    size_t nb = 0;
    c8_shape s = S(3, I(2), I(3), I(4));
    CU_ASSERT_EQUAL(c8_shape_count(&s, 4, "x", &n, &nb, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 24);
    CU_ASSERT_EQUAL(nb, 96);
    CU_ASSERT_EQUAL(c8_shape_span(&s, 1, 3), 12);
    s = S(2, I(2), I(-1));
    CU_ASSERT_EQUAL(c8_shape_count(&s, 4, "x", &n, &nb, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "x has"));
    s = S(3, I(1) << 40, I(1) << 30, I(1));
    CU_ASSERT_EQUAL(c8_shape_count(&s, 4, "big", &n, &nb, &err), C8_ERR_NOMEM);
    s = S(2, I(1) << 31, I(1) << 31); /* 2^62 elements fit int64 but not as float bytes */
    CU_ASSERT_EQUAL(c8_shape_count(&s, 4, "big", &n, &nb, &err), C8_ERR_NOMEM);
    CU_ASSERT_EQUAL(c8_shape_count(&s, 0, "big", &n, NULL, &err), C8_OK);
    s = S(2, I(0), I(5));
    CU_ASSERT_EQUAL(c8_shape_count(&s, 4, "e", &n, &nb, &err), C8_OK);
    CU_ASSERT_EQUAL(n, 0);
}

typedef struct win_case {
    int64_t in, k, s, d;
    c8_auto_pad ap;
    bool ceil;
    int64_t pb, pe;        /* explicit pads in */
    int64_t out, opb, ope; /* expected */
} win_case;

static void test_window(void) {
    /* Hand-worked, plus shapes from ONNX's conformance cases (test_maxpool_2d_ceil: 4 -> 2 with
     * k3 s2 ceil; test_averagepool_2d_same_lower: 32, k2, SAME_LOWER -> pads 1,0;
     * test_conv_with_strides_and_asymmetric_padding: 7, k3 s2 pads 1/0 -> 3). */
    const win_case cases[] = {
        {4, 3, 1, 1, C8_AUTO_PAD_NOTSET, false, 1, 1, 4, 1, 1},
        {5, 3, 2, 1, C8_AUTO_PAD_NOTSET, false, 1, 1, 3, 1, 1},
        {7, 3, 2, 1, C8_AUTO_PAD_NOTSET, false, 1, 0, 3, 1, 0},
        {7, 3, 2, 2, C8_AUTO_PAD_NOTSET, false, 0, 0, 2, 0, 0},
        {4, 3, 2, 1, C8_AUTO_PAD_NOTSET, true, 0, 0, 2, 0, 0}, /* maxpool_2d_ceil */
        {4, 3, 2, 1, C8_AUTO_PAD_NOTSET, false, 0, 0, 1, 0, 0},
        /* ceil drop rule: in 5, k2, s2, pad 1+1: span 5, ceil -> 4 windows, start 6 >= 5+1 ->
         * dropped, 3 */
        {5, 2, 2, 1, C8_AUTO_PAD_NOTSET, true, 1, 1, 3, 1, 1},
        /* ceil keeps a window that starts inside: in 6, k3, s2, pad 1+0: span 4 -> exact, 3 */
        {6, 3, 2, 1, C8_AUTO_PAD_NOTSET, true, 1, 0, 3, 1, 0},
        /* in 6, k2, s3, no pad: span 4, floor 2, ceil 3: start 6 >= 6 -> dropped, 2 */
        {6, 2, 3, 1, C8_AUTO_PAD_NOTSET, true, 0, 0, 2, 0, 0},
        /* in 7, k2, s3: span 5, floor 2, ceil 3, start 6 < 7 kept */
        {7, 2, 3, 1, C8_AUTO_PAD_NOTSET, true, 0, 0, 3, 0, 0},
        {32, 2, 1, 1, C8_AUTO_PAD_SAME_LOWER, false, 0, 0, 32, 1, 0},
        {32, 2, 1, 1, C8_AUTO_PAD_SAME_UPPER, false, 0, 0, 32, 0, 1},
        {5, 3, 2, 1, C8_AUTO_PAD_SAME_UPPER, false, 0, 0, 3, 1, 1},
        {6, 3, 2, 1, C8_AUTO_PAD_SAME_UPPER, false, 0, 0, 3, 0, 1},
        {6, 3, 2, 1, C8_AUTO_PAD_SAME_LOWER, false, 0, 0, 3, 1, 0},
        {6, 1, 2, 1, C8_AUTO_PAD_SAME_UPPER, false, 0, 0, 3, 0, 0}, /* no pad needed */
        {7, 3, 2, 1, C8_AUTO_PAD_VALID, false, 9, 9, 3, 0, 0},
        {8, 3, 3, 1, C8_AUTO_PAD_VALID, false, 0, 0, 2, 0, 0},
        {1, 1, 1, 1, C8_AUTO_PAD_NOTSET, false, 0, 0, 1, 0, 0},
    };
    c8_error err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const win_case *c = &cases[i];
        int64_t pb = c->pb, pe = c->pe, out = -7;
        c8_status s =
            c8_window_extent(0, c->in, c->k, c->s, c->d, c->ap, c->ceil, &pb, &pe, &out, &err);
        if (s != C8_OK || out != c->out || pb != c->opb || pe != c->ope)
            printf("\n  case %zu: status %d out %lld pads %lld,%lld (%s)\n", i, (int)s,
                   (long long)out, (long long)pb, (long long)pe, err.msg);
        CU_ASSERT_EQUAL(s, C8_OK);
        CU_ASSERT_EQUAL(out, c->out);
        CU_ASSERT_EQUAL(pb, c->opb);
        CU_ASSERT_EQUAL(pe, c->ope);
    }
    int64_t pb = 0, pe = 0, out = 0;
    /* unknown input */
    CU_ASSERT_EQUAL(
        c8_window_extent(0, -1, 3, 1, 1, C8_AUTO_PAD_SAME_UPPER, false, &pb, &pe, &out, &err),
        C8_OK);
    CU_ASSERT_EQUAL(out, -1);
    /* errors */
    CU_ASSERT_EQUAL(
        c8_window_extent(1, 4, 0, 1, 1, C8_AUTO_PAD_NOTSET, false, &pb, &pe, &out, &err),
        C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "axis 1"));
    CU_ASSERT_EQUAL(
        c8_window_extent(0, 4, 3, 0, 1, C8_AUTO_PAD_NOTSET, false, &pb, &pe, &out, &err),
        C8_ERR_INVALID);
    pb = -1;
    CU_ASSERT_EQUAL(
        c8_window_extent(0, 4, 3, 1, 1, C8_AUTO_PAD_NOTSET, false, &pb, &pe, &out, &err),
        C8_ERR_INVALID);
    pb = pe = 0;
    CU_ASSERT_EQUAL(
        c8_window_extent(0, 4, 3, 1, 2, C8_AUTO_PAD_NOTSET, false, &pb, &pe, &out, &err),
        C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "window extent 5"));
    CU_ASSERT_EQUAL(c8_window_extent(0, 4, INT64_MAX / 2, 1, 4, C8_AUTO_PAD_NOTSET, false, &pb, &pe,
                                     &out, &err),
                    C8_ERR_NOMEM);
    pb = INT64_MAX - 2;
    CU_ASSERT_EQUAL(
        c8_window_extent(0, 4, 1, 1, 1, C8_AUTO_PAD_NOTSET, false, &pb, &pe, &out, &err),
        C8_ERR_NOMEM);
    pb = pe = 0;
    CU_ASSERT_EQUAL(c8_window_extent(0, INT64_MAX, 3, 1, 1, C8_AUTO_PAD_SAME_UPPER, false, &pb, &pe,
                                     &out, &err),
                    C8_ERR_NOMEM);
    CU_ASSERT_EQUAL(
        c8_window_extent(0, 0, 1, 1, 1, C8_AUTO_PAD_SAME_UPPER, false, &pb, &pe, &out, &err),
        C8_ERR_SHAPE);

    c8_auto_pad ap;
    CU_ASSERT_TRUE(c8_auto_pad_parse(NULL, &ap) && ap == C8_AUTO_PAD_NOTSET);
    CU_ASSERT_TRUE(c8_auto_pad_parse("SAME_LOWER", &ap) && ap == C8_AUTO_PAD_SAME_LOWER);
    CU_ASSERT_FALSE(c8_auto_pad_parse("SAME", &ap));
}

static const c8_test_case cases[] = {
    {"broadcast", test_broadcast},
    {"bcast_iter", test_bcast_iter},
    {"axis_count", test_axis_count},
    {"window", test_window},
};
C8T_MAIN("shape_util", cases)
