/* Resize / Upsample and Pad (ops/tensor_resize.c, kernels/ref/resize.c, pad.c).
 * Resize: every mode / coordinate transformation / nearest mode against ONNX's own reference
 * (tests/ops/data/resize_ref.txt, made by make_resize_data.py), plus hand-worked cases for the
 * forms that reference lacks (tf_half_pixel_for_nn, half_pixel_symmetric, Resize-10, Upsample,
 * opset-18 axes / keep_aspect_ratio_policy). Pad: hand-worked values and an independent index
 * reference. Both: the errors. */
#include "kit/graph.h"

#include <math.h>

/* Both sides compute coordinates and weights in float64 and round once to float32; the products
 * of weights may differ in the last bits of the float64 value, never by a float32 ulp more. */
#define RESIZE_RTOL 1e-6
#define RESIZE_ATOL 1e-6

#define LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- Resize against the ONNX reference data ---- */

typedef struct rcase {
    char name[96], mode[32], coord[40], nearest[40];
    int opset;
    double extrap;
    int xr, yr;
    int64_t xd[8], yd[8];
    float *x;
    double *y;
    int n_par;
    int use_sizes;
    float scales[8];
    int64_t sizes[8];
    int n_roi;
    float roi[16];
} rcase;

static int read_tensor(FILE *f, int *rank, int64_t *dims, float **xf, double **xd) {
    if (fscanf(f, "%d", rank) != 1 || *rank < 0 || *rank > 8) return 0;
    int64_t n = 1;
    for (int k = 0; k < *rank; k++) {
        long long v;
        if (fscanf(f, "%lld", &v) != 1) return 0;
        dims[k] = v;
        n *= v;
    }
    if (xf) *xf = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (xd) *xd = malloc((size_t)(n ? n : 1) * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        double v;
        if (fscanf(f, "%lf", &v) != 1) return 0;
        if (xf) (*xf)[i] = (float)v;
        if (xd) (*xd)[i] = v;
    }
    return 1;
}

/* Reads the next case; 0 at the end of the file, -1 on a format error. */
static int read_case(FILE *f, rcase *c) {
    char tok[64];
    memset(c, 0, sizeof *c);
    for (;;) {
        if (fscanf(f, "%63s", tok) != 1) return 0;
        if (tok[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n') {}
            continue;
        }
        break;
    }
    if (strcmp(tok, "case") || fscanf(f, "%95s %d %31s %39s %39s %lf", c->name, &c->opset, c->mode,
                                      c->coord, c->nearest, &c->extrap) != 6)
        return -1;
    for (;;) {
        if (fscanf(f, "%63s", tok) != 1) return -1;
        if (!strcmp(tok, "end")) return 1;
        if (!strcmp(tok, "x")) {
            if (!read_tensor(f, &c->xr, c->xd, &c->x, NULL)) return -1;
        } else if (!strcmp(tok, "y")) {
            if (!read_tensor(f, &c->yr, c->yd, NULL, &c->y)) return -1;
        } else if (!strcmp(tok, "scales") || !strcmp(tok, "sizes")) {
            c->use_sizes = tok[1] == 'i';
            if (fscanf(f, "%d", &c->n_par) != 1 || c->n_par > 8) return -1;
            for (int i = 0; i < c->n_par; i++) {
                double v;
                if (fscanf(f, "%lf", &v) != 1) return -1;
                if (c->use_sizes)
                    c->sizes[i] = (int64_t)v;
                else
                    c->scales[i] = (float)v;
            }
        } else if (!strcmp(tok, "roi")) {
            if (fscanf(f, "%d", &c->n_roi) != 1 || c->n_roi > 16) return -1;
            for (int i = 0; i < c->n_roi; i++) {
                double v;
                if (fscanf(f, "%lf", &v) != 1) return -1;
                c->roi[i] = (float)v;
            }
        } else {
            return -1;
        }
    }
}

static void test_resize_reference_data(void) {
    const char *path = C8_SOURCE_DIR "/tests/ops/data/resize_ref.txt";
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int n_cases = 0, n_bad = 0, r;
    rcase c;
    while ((r = read_case(f, &c)) == 1) {
        n_cases++;
        t_op *t = t_new(c.opset, "Resize");
        t_in(t, C8_DT_FLOAT, c.xr, c.xd, c.x);
        int64_t dn[1] = {c.n_par}, dr[1] = {c.n_roi}, d0[1] = {0};
        if (c.n_roi)
            t_const(t, C8_DT_FLOAT, 1, dr, c.roi);
        else if (c.opset < 13)
            t_const(t, C8_DT_FLOAT, 1, d0, c.roi);
        else
            t_absent(t);
        if (c.use_sizes) {
            if (c.opset < 13)
                t_const(t, C8_DT_FLOAT, 1, d0, c.scales);
            else
                t_absent(t);
            t_const(t, C8_DT_INT64, 1, dn, c.sizes);
        } else {
            t_const(t, C8_DT_FLOAT, 1, dn, c.scales);
        }
        t_outs(t, 1);
        t_attr_s(t, "mode", c.mode);
        t_attr_s(t, "coordinate_transformation_mode", c.coord);
        t_attr_s(t, "nearest_mode", c.nearest);
        t_attr_f(t, "extrapolation_value", (float)c.extrap);
        c8_status s = t_load_run(t);
        int ok = s == C8_OK;
        if (!ok) printf("\n    %s: %s\n", c.name, t->err.msg);
        const c8_value *y = t_outv(t, 0);
        if (ok && (y->shape.rank != c.yr ||
                   memcmp(y->shape.d, c.yd, (size_t)c.yr * sizeof(int64_t)) != 0)) {
            printf("\n    %s: output %s, expected rank %d\n", c.name, t_shape(t, 0), c.yr);
            ok = 0;
        }
        if (ok) {
            int64_t n = c8_shape_numel(&y->shape);
            ok = t_close_f32(t->y[0], c.y, n, RESIZE_RTOL, RESIZE_ATOL, c.name);
        }
        n_bad += !ok;
        t_free(t);
        free(c.x);
        free(c.y);
    }
    fclose(f);
    CU_ASSERT_EQUAL(r, 0); /* the file parsed to its end */
    CU_ASSERT(n_cases >= 90);
    CU_ASSERT_EQUAL(n_bad, 0);
}

/* ---- hand-worked Resize / Upsample cases ---- */

static t_op *resize_sizes(int64_t opset, const char *mode, const char *coord, int rank,
                          const int64_t *dims, const float *x, const int64_t *sizes) {
    int64_t dn[1] = {rank}, d0[1] = {0};
    float none[1] = {0};
    t_op *t = t_new(opset, "Resize");
    t_in(t, C8_DT_FLOAT, rank, dims, x);
    t_const(t, C8_DT_FLOAT, 1, d0, none); /* roi: empty */
    t_const(t, C8_DT_FLOAT, 1, d0, none); /* scales: empty (opset 11 form) */
    t_const(t, C8_DT_INT64, 1, dn, sizes);
    t_outs(t, 1);
    t_attr_s(t, "mode", mode);
    if (coord) t_attr_s(t, "coordinate_transformation_mode", coord);
    return t;
}

static t_op *resize_scales(int64_t opset, const char *op, const char *mode, const char *coord,
                           int rank, const int64_t *dims, const float *x, const float *scales) {
    int64_t dn[1] = {rank};
    t_op *t = t_new(opset, op);
    t_in(t, C8_DT_FLOAT, rank, dims, x);
    if (!strcmp(op, "Resize") && opset >= 11) t_absent(t);
    t_const(t, C8_DT_FLOAT, 1, dn, scales);
    t_outs(t, 1);
    t_attr_s(t, "mode", mode);
    if (coord) t_attr_s(t, "coordinate_transformation_mode", coord);
    return t;
}

static void expect_vals(t_op *t, const char *shape, const float *want, int n) {
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), shape);
    if (strcmp(t_shape(t, 0), shape)) {
        printf("\n    shape %s, expected %s\n", t_shape(t, 0), shape);
        return;
    }
    for (int i = 0; i < n; i++) {
        CU_ASSERT_DOUBLE_EQUAL(((float *)t->y[0])[i], want[i], 1e-6);
        if (fabs(((float *)t->y[0])[i] - want[i]) > 1e-6)
            printf("\n    element %d: %.9g, expected %.9g\n", i, ((float *)t->y[0])[i], want[i]);
    }
}

static void test_resize_hand(void) {
    float x16[16];
    for (int i = 0; i < 16; i++) x16[i] = (float)(i + 1);
    int64_t d44[4] = {1, 1, 4, 4};
    /* tf_half_pixel_for_nn (opset 11): x = (y + 0.5) / s; the ONNX conformance case */
    t_op *t =
        resize_sizes(11, "nearest", "tf_half_pixel_for_nn", 4, d44, x16, (int64_t[]){1, 1, 3, 2});
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "1x1x3x2", (const float[]){6, 8, 10, 12, 14, 16}, 6);
    t_free(t);

    /* half_pixel_symmetric (opset 19): in 5, scale 0.5 -> L = 2.5, out 2; adjustment 0.8,
     * offset 2.5 * 0.2 = 0.5, x = 0.5 + 2(y + 0.5) - 0.5 = 2y + 1 -> 1, 3 */
    float x5[5] = {0, 10, 20, 30, 40};
    int64_t d5[1] = {5};
    t = resize_scales(19, "Resize", "linear", "half_pixel_symmetric", 1, d5, x5,
                      (const float[]){0.5f});
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "2", (const float[]){10, 30}, 2);
    t_free(t);
    t = resize_scales(19, "Resize", "linear", "half_pixel", 1, d5, x5, (const float[]){0.5f});
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "2", (const float[]){5, 25}, 2);
    t_free(t);

    /* Upsample opset 9 (scales input) and 7 (attribute): nearest, x / s floored */
    float x4[4] = {1, 2, 3, 4};
    int64_t d22[4] = {1, 1, 2, 2};
    const float up_want[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                               3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    const float up_scales[4] = {1, 1, 2, 3};
    t = resize_scales(9, "Upsample", "nearest", NULL, 4, d22, x4, up_scales);
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "1x1x4x6", up_want, 24);
    t_free(t);
    t = t_new(7, "Upsample");
    t_in(t, C8_DT_FLOAT, 4, d22, x4);
    t_outs(t, 1);
    t_attr_floats(t, "scales", 4, up_scales);
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "1x1x4x6", up_want, 24);
    t_free(t);
    /* Upsample linear: asymmetric, x / 2 -> 0, .5, 1, 1.5 (clamped) */
    float x2[2] = {1, 2};
    int64_t d2[1] = {2};
    t = resize_scales(9, "Upsample", "linear", NULL, 1, d2, x2, (const float[]){2});
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "4", (const float[]){1, 1.5f, 2, 2}, 4);
    t_free(t);

    /* Resize-10 nearest downsampling (ONNX 1.5's test_resize_downsample_nearest): [1, 3] */
    float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t d24[4] = {1, 1, 2, 4};
    t = resize_scales(10, "Resize", "nearest", NULL, 4, d24, x8, (const float[]){1, 1, .6f, .6f});
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "1x1x1x2", (const float[]){1, 3}, 2);
    t_free(t);

    /* opset 18: axes and keep_aspect_ratio_policy (shapes), axes with scales (values) */
    float x24[24] = {0};
    int64_t d46[4] = {1, 1, 4, 6};
    static const struct {
        const char *policy, *want;
    } pol[] = {{"stretch", "1x1x2x2"}, {"not_larger", "1x1x1x2"}, {"not_smaller", "1x1x2x3"}};
    for (int p = 0; p < LEN(pol); p++) {
        int64_t sz[2] = {2, 2}, dn[1] = {2};
        t = t_new(18, "Resize");
        t_in(t, C8_DT_FLOAT, 4, d46, x24);
        t_absent(t);
        t_absent(t);
        t_const(t, C8_DT_INT64, 1, dn, sz);
        t_outs(t, 1);
        t_attr_ints(t, "axes", 2, (int64_t[]){2, -1});
        t_attr_s(t, "keep_aspect_ratio_policy", pol[p].policy);
        T_EXPECT_OK(t, t_load_run(t));
        CU_ASSERT_STRING_EQUAL(t_shape(t, 0), pol[p].want);
        t_free(t);
    }
    t = t_new(18, "Resize");
    t_in(t, C8_DT_FLOAT, 4, d22, x4);
    t_absent(t);
    t_const(t, C8_DT_FLOAT, 1, (int64_t[]){1}, (const float[]){2});
    t_outs(t, 1);
    t_attr_ints(t, "axes", 1, (int64_t[]){-1});
    t_attr_s(t, "coordinate_transformation_mode", "asymmetric");
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "1x1x2x4", (const float[]){1, 1, 2, 2, 3, 3, 4, 4}, 8);
    t_free(t);

    /* scales computed at run time: rank known, extents unknown at load */
    t = t_new(13, "Resize");
    t_in(t, C8_DT_FLOAT, 4, d22, NULL);
    t_absent(t);
    t_in(t, C8_DT_FLOAT, 1, (int64_t[]){4}, NULL);
    t_outs(t, 1);
    T_EXPECT_OK(t, t_load(t));
    CU_ASSERT_STRING_EQUAL(t_shape(t, 0), "?x?x?x?");
    t_free(t);
}

static void test_resize_errors(void) {
    float x4[4] = {1, 2, 3, 4}, sc[4] = {1, 1, 2, 2};
    int64_t d22[4] = {1, 1, 2, 2};
    t_op *t = resize_scales(13, "Resize", "cubic", NULL, 4, d22, x4, sc);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "mode 'cubic' is not supported");
    t_free(t);
    t = resize_scales(13, "Resize", "linear", NULL, 4, d22, x4, sc);
    t_attr_i(t, "antialias", 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "antialias");
    t_free(t);
    t = resize_scales(13, "Resize", "linear", "sideways", 4, d22, x4, sc);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "coordinate_transformation_mode 'sideways'");
    t_free(t);
    t = resize_scales(13, "Resize", "linear", NULL, 4, d22, x4, sc);
    t_attr_s(t, "nearest_mode", "round_half_up");
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "nearest_mode");
    t_free(t);
    /* scales and sizes both; neither */
    t = t_new(13, "Resize");
    t_in(t, C8_DT_FLOAT, 4, d22, x4);
    t_absent(t);
    t_const(t, C8_DT_FLOAT, 1, (int64_t[]){4}, sc);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){4}, (int64_t[]){1, 1, 4, 4});
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "both given");
    t_free(t);
    t = t_new(13, "Resize");
    t_in(t, C8_DT_FLOAT, 4, d22, x4);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "one of scales and sizes");
    t_free(t);
    /* zero, negative and huge scales; wrong count; float64 input */
    float bad[3][4] = {{1, 1, 0, 1}, {1, 1, -2, 1}, {1, 1, 1e15f, 1e15f}};
    c8_status want[3] = {C8_ERR_INVALID, C8_ERR_INVALID, C8_ERR_NOMEM};
    for (int i = 0; i < 3; i++) {
        t = resize_scales(13, "Resize", "nearest", NULL, 4, d22, x4, bad[i]);
        T_EXPECT_ERR(t, t_load(t), want[i], i < 2 ? "must be positive" : "overflows");
        t_free(t);
    }
    t = t_new(13, "Resize");
    t_in(t, C8_DT_FLOAT, 2, (int64_t[]){1, 4}, x4);
    t_absent(t);
    t_const(t, C8_DT_FLOAT, 1, (int64_t[]){4}, sc);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "4 entries for 2 axes");
    t_free(t);
    double xd[4] = {0};
    t = resize_scales(13, "Resize", "nearest", NULL, 4, d22, (const float *)(const void *)xd, sc);
    t->g->vals[t->in[0]].dtype = C8_DT_DOUBLE;
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "float32 only");
    t_free(t);
    /* Resize-10 takes exactly (X, scales) */
    t = t_new(10, "Resize");
    t_in(t, C8_DT_FLOAT, 4, d22, x4);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "(X, scales)");
    t_free(t);
    /* tf_crop_and_resize without roi */
    t = resize_scales(13, "Resize", "linear", "tf_crop_and_resize", 4, d22, x4, sc);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "needs the roi");
    t_free(t);
}

/* ---- Pad ---- */

/* numpy's rules written out again: reflect bounces off both ends (no repeat of the edge), edge
 * clamps; -1 means "constant". */
static int64_t pad_src(const char *mode, int64_t i, int64_t n) {
    if (i >= 0 && i < n) return i;
    if (!strcmp(mode, "constant")) return -1;
    if (!strcmp(mode, "edge")) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    while (i < 0 || i >= n) {
        if (i < 0) i = -i;
        if (i >= n) i = 2 * (n - 1) - i;
    }
    return i;
}

static t_op *pad13(const char *mode, int rank, const int64_t *dims, const void *x, c8_dtype dt,
                   const int64_t *pads, const void *value) {
    t_op *t = t_new(13, "Pad");
    t_in(t, dt, rank, dims, x);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){2 * rank}, pads);
    if (value) t_const(t, dt, 0, NULL, value);
    t_outs(t, 1);
    if (mode) t_attr_s(t, "mode", mode);
    return t;
}

static void test_pad_1d(void) {
    float x[3] = {1, 2, 3}, nine = 9;
    int64_t d[1] = {3}, pads[2] = {2, 2};
    struct {
        const char *mode;
        float want[7];
    } cases[] = {{"constant", {9, 9, 1, 2, 3, 9, 9}},
                 {"reflect", {3, 2, 1, 2, 3, 2, 1}},
                 {"edge", {1, 1, 1, 2, 3, 3, 3}}};
    for (int c = 0; c < 3; c++) {
        t_op *t = pad13(cases[c].mode, 1, d, x, C8_DT_FLOAT, pads, &nine);
        T_EXPECT_OK(t, t_load_run(t));
        expect_vals(t, "7", cases[c].want, 7);
        t_free(t);
    }
    /* opset 10: pads and value attributes */
    t_op *t = t_new(10, "Pad");
    t_in(t, C8_DT_FLOAT, 1, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "pads", 2, pads);
    t_attr_f(t, "value", 9);
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "7", cases[0].want, 7);
    t_free(t);
    /* no constant_value: zeros; int64 data */
    int64_t xi[3] = {5, 6, 7}, wi[5] = {0, 5, 6, 7, 0}, p11[2] = {1, 1};
    t = pad13(NULL, 1, d, xi, C8_DT_INT64, p11, NULL);
    T_EXPECT_OK(t, t_load_run(t));
    CU_ASSERT(memcmp(t->y[0], wi, sizeof wi) == 0);
    t_free(t);
}

static void test_pad_2d_reference(void) {
    static const char *modes[] = {"constant", "reflect", "edge"};
    static const int64_t padsets[][4] = {
        {1, 2, 2, 1}, {0, 0, 0, 0}, {5, 7, 4, 9}, {-1, 1, 0, -2}, {2, -3, 1, 0}};
    float x[3 * 4];
    for (int i = 0; i < 12; i++) x[i] = (float)(i * 3 - 7);
    int64_t d[2] = {3, 4};
    float val = -100;
    for (int m = 0; m < 3; m++) {
        for (int p = 0; p < LEN(padsets); p++) {
            const int64_t *pd = padsets[p];
            t_op *t = pad13(modes[m], 2, d, x, C8_DT_FLOAT, pd, &val);
            T_EXPECT_OK(t, t_load_run(t));
            int64_t oh = 3 + pd[0] + pd[2], ow = 4 + pd[1] + pd[3];
            CU_ASSERT_EQUAL(t_outv(t, 0)->shape.d[0], oh);
            CU_ASSERT_EQUAL(t_outv(t, 0)->shape.d[1], ow);
            int bad = 0;
            for (int64_t i = 0; i < oh && !bad; i++)
                for (int64_t j = 0; j < ow && !bad; j++) {
                    int64_t si = pad_src(modes[m], i - pd[0], 3),
                            sj = pad_src(modes[m], j - pd[1], 4);
                    float w = (si < 0 || sj < 0) ? val : x[si * 4 + sj];
                    if (((float *)t->y[0])[i * ow + j] != w) {
                        printf("\n    %s pads %d (%lld, %lld): %g, expected %g\n", modes[m], p,
                               (long long)i, (long long)j, ((float *)t->y[0])[i * ow + j], w);
                        bad = 1;
                    }
                }
            CU_ASSERT(!bad);
            t_free(t);
        }
    }
}

static void test_pad_axes_and_errors(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t d[2] = {2, 3};
    /* opset 18 axes: pad only the last axis */
    t_op *t = t_new(18, "Pad");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){2}, (int64_t[]){1, 0});
    t_absent(t);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){1}, (int64_t[]){-1});
    t_outs(t, 1);
    t_attr_s(t, "mode", "edge");
    T_EXPECT_OK(t, t_load_run(t));
    expect_vals(t, "2x4", (const float[]){1, 1, 2, 3, 4, 4, 5, 6}, 8);
    t_free(t);

    int64_t p4[4] = {0, 1, 0, 1};
    t = pad13("wrap", 2, d, x, C8_DT_FLOAT, p4, NULL);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "mode 'wrap' is not supported");
    t_free(t);
    t = pad13("mirror", 2, d, x, C8_DT_FLOAT, p4, NULL);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "unknown mode 'mirror'");
    t_free(t);
    t = t_new(13, "Pad");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_const(t, C8_DT_INT64, 1, (int64_t[]){2}, (int64_t[]){1, 1});
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "pads has 2 entries; expected 4");
    t_free(t);
    t = pad13(NULL, 2, d, x, C8_DT_FLOAT, (int64_t[]){0, -2, 0, -2}, NULL);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_SHAPE, "negative extent");
    t_free(t);
    t = pad13(NULL, 2, d, x, C8_DT_FLOAT, (int64_t[]){0, INT64_MAX, 0, INT64_MAX}, NULL);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_NOMEM, "out of range");
    t_free(t);
    t = pad13("reflect", 2, (int64_t[]){2, 0}, x, C8_DT_FLOAT, p4, NULL);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "it is empty");
    t_free(t);
    int64_t iv = 3;
    t = pad13(NULL, 2, d, x, C8_DT_FLOAT, p4, NULL);
    t_const(t, C8_DT_INT64, 0, NULL, &iv); /* constant_value of the wrong dtype */
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "constant_value");
    t_free(t);
    /* the attribute form is not accepted from opset 11, the input form not before */
    t = t_new(13, "Pad");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_outs(t, 1);
    t_attr_ints(t, "pads", 4, p4);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_UNSUPPORTED, "'pads'");
    t_free(t);
    t = t_new(10, "Pad");
    t_in(t, C8_DT_FLOAT, 2, d, x);
    t_outs(t, 1);
    T_EXPECT_ERR(t, t_load(t), C8_ERR_INVALID, "'pads' is missing");
    t_free(t);
}

static const c8_test_case cases[] = {
    {"Resize vs ONNX reference data", test_resize_reference_data},
    {"Resize/Upsample hand-worked", test_resize_hand},
    {"Resize errors", test_resize_errors},
    {"Pad 1-D modes and forms", test_pad_1d},
    {"Pad 2-D vs index reference", test_pad_2d_reference},
    {"Pad axes and errors", test_pad_axes_and_errors},
};
C8T_MAIN("ops_resize", cases)
