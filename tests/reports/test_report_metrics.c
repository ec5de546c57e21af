/* reports/ metrics against hand-worked values: SQNR, cosine, relative L2, max abs error, clip
 * share (float and int8 inputs, exact and degenerate cases), Wilson intervals, top-k helpers,
 * the --layer-precision spec generator (escaping, refusal), the end-to-end accounting of flipped
 * predictions on a synthetic case, and the report.json schema of a synthetic report. */
#include "c8test.h"
#include "report_check.h"

#include "calib8/report.h"
#include "util/json.h"

#include <fnmatch.h>
#include <math.h>

#define OUT C8_BINARY_DIR "/test_report_metrics_"

/* Float64 sums over a few values, then log10/sqrt: agreement with the hand values (computed in
 * float64 by Python) to a few ulps. */
#define TOL_METRIC 1e-12

static void check_close(double got, double want, double tol, const char *what) {
    if (!(fabs(got - want) <= tol * (fabs(want) > 1 ? fabs(want) : 1)))
        printf("\n  %s: got %.17g, want %.17g", what, got, want);
    CU_ASSERT(fabs(got - want) <= tol * (fabs(want) > 1 ? fabs(want) : 1));
}

static void test_metrics_float(void) {
    /* ref 1,2,3,4 vs x 1,2,3,5: sum ref^2 30, sum err^2 1, dot 34, sum x^2 39 */
    const float ref[4] = {1, 2, 3, 4}, x[4] = {1, 2, 3, 5};
    c8_report_metrics m;
    c8_report_metrics_init(&m, 2.5f / 127); /* clip limit 2.5: 3 and 4 are clipped */
    c8_report_metrics_add(&m, ref, x, 2);
    c8_report_metrics_add(&m, ref + 2, x + 2, 2); /* in two chunks, as batches arrive */
    CU_ASSERT_EQUAL(m.count, 4);
    check_close(c8_report_sqnr_db(&m), 14.771212547196624, TOL_METRIC, "sqnr 10log10(30)");
    check_close(c8_report_cosine(&m), 0.9939990885479664, TOL_METRIC, "cosine 34/sqrt(1170)");
    check_close(c8_report_rel_l2(&m), 0.18257418583505536, TOL_METRIC, "rel l2 sqrt(1/30)");
    CU_ASSERT_EQUAL(m.max_abs_err, 1.0);
    CU_ASSERT_EQUAL(m.clipped, 2);
    CU_ASSERT_EQUAL(c8_report_clip_share(&m), 0.5);
}

static void test_metrics_int8(void) {
    /* q * (1/128): 0.5, -0.25, 0.9921875 against 0.5, -0.25, 1.0: err^2 = 2^-14 */
    const float ref[3] = {0.5f, -0.25f, 1.0f};
    const int8_t q[3] = {64, -32, 127};
    c8_report_metrics m;
    c8_report_metrics_init(&m, 1.0f / 128);
    c8_report_metrics_add_int8(&m, ref, q, 1.0f / 128, 3);
    check_close(c8_report_sqnr_db(&m), 43.32519251373731, TOL_METRIC, "sqnr 10log10(21504)");
    CU_ASSERT_EQUAL(m.max_abs_err, 0.0078125);
    /* the clip limit 127 * (1/128) = 0.9921875: |1.0| exceeds it, 0.5 and 0.25 do not */
    CU_ASSERT_EQUAL(m.clip_limit, 127.0f / 128);
    CU_ASSERT_EQUAL(m.clipped, 1);
}

static void test_metrics_edges(void) {
    c8_report_metrics m;
    const float a[3] = {1, -2, 3}, z[3] = {0, 0, 0};
    c8_report_metrics_init(&m, 0);
    CU_ASSERT(isnan(c8_report_sqnr_db(&m))); /* nothing added */
    CU_ASSERT(isnan(c8_report_cosine(&m)));
    c8_report_metrics_add(&m, a, a, 3); /* exact */
    CU_ASSERT(isinf(c8_report_sqnr_db(&m)) && c8_report_sqnr_db(&m) > 0);
    CU_ASSERT_EQUAL(c8_report_cosine(&m), 1.0);
    CU_ASSERT_EQUAL(c8_report_rel_l2(&m), 0.0);
    CU_ASSERT(isnan(c8_report_clip_share(&m))); /* no scale */
    c8_report_metrics_init(&m, 1);
    c8_report_metrics_add(&m, z, z, 3); /* all zero on both sides: exact */
    CU_ASSERT(isinf(c8_report_sqnr_db(&m)) && c8_report_sqnr_db(&m) > 0);
    CU_ASSERT_EQUAL(c8_report_cosine(&m), 1.0);
    c8_report_metrics_init(&m, 1);
    c8_report_metrics_add(&m, z, a, 3); /* zero reference, non-zero x */
    CU_ASSERT(isinf(c8_report_sqnr_db(&m)) && c8_report_sqnr_db(&m) < 0);
    CU_ASSERT_EQUAL(c8_report_cosine(&m), 0.0);
    CU_ASSERT(isinf(c8_report_rel_l2(&m)));
    const float n[2] = {NAN, 1}, o[2] = {1, INFINITY};
    c8_report_metrics_init(&m, 1);
    c8_report_metrics_add(&m, n, o, 2); /* both pairs have a non-finite value */
    CU_ASSERT_EQUAL(m.nonfinite, 2);
    CU_ASSERT_EQUAL(m.count, 0);
    /* a negated copy: cosine -1 */
    const float b[3] = {-1, 2, -3};
    c8_report_metrics_init(&m, 0);
    c8_report_metrics_add(&m, a, b, 3);
    check_close(c8_report_cosine(&m), -1.0, TOL_METRIC, "cosine of -x");
}

static void test_wilson(void) {
    double lo, hi;
    c8_report_wilson95(90, 100, &lo, &hi);
    check_close(lo, 0.8256343384950865, TOL_METRIC, "wilson 90/100 lo");
    check_close(hi, 0.9447708629393249, TOL_METRIC, "wilson 90/100 hi");
    c8_report_wilson95(0, 10, &lo, &hi);
    check_close(lo, 0.0, TOL_METRIC, "wilson 0/10 lo");
    check_close(hi, 0.2775327998628892, TOL_METRIC, "wilson 0/10 hi");
    c8_report_wilson95(10, 10, &lo, &hi);
    check_close(lo, 0.7224672001371107, TOL_METRIC, "wilson 10/10 lo");
    check_close(hi, 1.0, TOL_METRIC, "wilson 10/10 hi");
    CU_ASSERT(lo >= 0 && hi <= 1);
    c8_report_wilson95(0, 0, &lo, &hi);
    CU_ASSERT(lo == 0 && hi == 1);
}

static void test_topk(void) {
    const float l[5] = {0.5f, 2.0f, 2.0f, -1.0f, NAN};
    CU_ASSERT_EQUAL(c8_report_argmax(l, 5), 1); /* first maximum; NaN never wins */
    const float m[3] = {NAN, -5.0f, -7.0f};
    CU_ASSERT_EQUAL(c8_report_argmax(m, 3), 1);
    CU_ASSERT_EQUAL(c8_report_label_rank(l, 5, 1), 0);
    CU_ASSERT_EQUAL(c8_report_label_rank(l, 5, 2), 1); /* tie with class 1, which is lower */
    CU_ASSERT_EQUAL(c8_report_label_rank(l, 5, 3), 3);
}

static void test_layer_spec(void) {
    const char *names[] = {"conv1", "fc[1]", "a*b?c\\d", "x:y", "H(CBR(c+b)+r)"};
    char *spec = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_layer_spec(names, 5, C8_PREC_FP32, &spec, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(spec, "conv1:fp32,fc\\[1\\]:fp32,a\\*b\\?c\\\\d:fp32,x:y:fp32,"
                                 "H(CBR(c+b)+r):fp32");
    /* each glob (split as the builder does: items at ',', at the last ':') matches its own
     * name and no other */
    char *p = spec;
    for (int i = 0; i < 5; i++) {
        char *end = strchr(p, ',');
        if (end) *end = '\0';
        char *colon = strrchr(p, ':');
        CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
        CU_ASSERT_STRING_EQUAL(colon + 1, "fp32");
        *colon = '\0';
        for (int j = 0; j < 5; j++) CU_ASSERT_EQUAL(fnmatch(p, names[j], 0) == 0, i == j);
        p = end ? end + 1 : p + strlen(p);
    }
    free(spec);
    CU_ASSERT_EQUAL(c8_report_layer_spec(names, 0, C8_PREC_FP16, &spec, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(spec, "");
    free(spec);
    const char *bad[] = {"ok", "a,b"};
    CU_ASSERT_EQUAL(c8_report_layer_spec(bad, 2, C8_PREC_FP32, &spec, &err), C8_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NULL(spec);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'a,b'"));
    const char *fp16[] = {"conv1"};
    CU_ASSERT_EQUAL(c8_report_layer_spec(fp16, 1, C8_PREC_FP16, &spec, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(spec, "conv1:fp16");
    free(spec);
}

/* Six images, 4 classes, three precisions; the outcome of each image worked out by hand:
 *   img  label  fp32  fp16  int8
 *   a    0      0 ok  0 ok  1 (flip: to wrong)
 *   b    1      2     2     1 (flip: to right)
 *   c    2      2 ok  3 (flip: to wrong) 2
 *   d    3      0     1 (flip: wrong to wrong) 0
 *   e    0      0 ok  0     0
 *   f    1      0 (tie 1,1: class 0 wins; label 1 is rank 1, in the top 5) same everywhere */
static const int64_t k_labels[6] = {0, 1, 2, 3, 0, 1};
static const float k_fp32[6][4] = {{5, 1, 0, 0}, {0, 1, 3, 0}, {0, 0, 4, 1},
                                   {2, 1, 0, 0}, {3, 0, 0, 0}, {1, 1, 0, 0}};
static const float k_fp16[6][4] = {{5, 1, 0, 0},    {0, 1, 3, 0}, {0, 0, 4, 4.5f},
                                   {2, 2.5f, 0, 0}, {3, 0, 0, 0}, {1, 1, 0, 0}};
static const float k_int8[6][4] = {{1, 2, 0, 0}, {0, 4, 3, 0}, {0, 0, 4, 1},
                                   {2, 1, 0, 0}, {3, 0, 0, 0}, {1, 1, 0, 0}};
static const char *const k_names[6] = {"a.png", "b.png", "c.png", "d.png", "e.png", "f.png"};

static c8_report *synthetic(int split) {
    c8_report *r = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_precision p[3] = {C8_PREC_FP32, C8_PREC_FP16, C8_PREC_INT8};
    CU_ASSERT_EQUAL_FATAL(c8_report_e2e_begin(r, p, 3, 4, &err), C8_OK);
    for (int at = 0; at < 6; at += split) {
        int n = 6 - at < split ? 6 - at : split;
        const float *lg[3] = {k_fp32[at], k_fp16[at], k_int8[at]};
        CU_ASSERT_EQUAL_FATAL(c8_report_e2e_add(r, n, lg, k_labels + at, k_names + at, &err),
                              C8_OK);
    }
    return r;
}

static void test_flips(void) {
    for (int split = 1; split <= 6; split += 5) { /* one image at a time, or all at once */
        c8_report *r = synthetic(split);
        c8_report_e2e_stats s32, s16, s8;
        c8_error err = {0};
        CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_FP32, &s32, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_FP16, &s16, &err), C8_OK);
        CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_INT8, &s8, &err), C8_OK);
        CU_ASSERT_EQUAL(s32.images, 6);
        CU_ASSERT_EQUAL(s32.correct_top1, 3);
        CU_ASSERT_EQUAL(s32.correct_top5, 6); /* 4 classes: every label is in the top 5 */
        CU_ASSERT_EQUAL(s32.flipped, 0);
        CU_ASSERT_EQUAL(s32.agreement, 100.0);
        CU_ASSERT_EQUAL(s16.correct_top1, 2);
        CU_ASSERT_EQUAL(s16.flipped, 2);
        CU_ASSERT_EQUAL(s16.flipped_to_wrong, 1);
        CU_ASSERT_EQUAL(s16.flipped_to_right, 0);
        CU_ASSERT_EQUAL(s8.correct_top1, 3);
        CU_ASSERT_EQUAL(s8.flipped, 2);
        CU_ASSERT_EQUAL(s8.flipped_to_wrong, 1);
        CU_ASSERT_EQUAL(s8.flipped_to_right, 1);
        check_close(s8.top1, 50.0, TOL_METRIC, "int8 top-1");
        check_close(s8.agreement, 100.0 * 4 / 6, TOL_METRIC, "int8 agreement");
        double lo, hi;
        c8_report_wilson95(3, 6, &lo, &hi);
        check_close(s8.top1_lo, 100 * lo, TOL_METRIC, "int8 top-1 lo");
        /* |logit diffs| of int8: a: 4,1 -> 5; b: 3 -> 3; everything else 0; over 24 logits */
        CU_ASSERT(s8.has_logit_diff);
        check_close(s8.mean_abs_logit_diff, 8.0 / 24, TOL_METRIC, "int8 mean |diff|");
        CU_ASSERT_EQUAL(s8.max_abs_logit_diff, 4.0);
        check_close(s16.mean_abs_logit_diff, 5.0 / 24, TOL_METRIC, "fp16 mean |diff|");
        CU_ASSERT_EQUAL(s16.max_abs_logit_diff, 3.5);
        CU_ASSERT_EQUAL(c8_report_num_flips(r, C8_PREC_FP32), 0);
        CU_ASSERT_EQUAL_FATAL(c8_report_num_flips(r, C8_PREC_INT8), 2);
        const char *img;
        int64_t label, p32, px;
        c8_report_flip(r, C8_PREC_INT8, 0, &img, &label, &p32, &px);
        CU_ASSERT_STRING_EQUAL(img, "a.png");
        CU_ASSERT(label == 0 && p32 == 0 && px == 1);
        c8_report_flip(r, C8_PREC_INT8, 1, &img, &label, &p32, &px);
        CU_ASSERT_STRING_EQUAL(img, "b.png");
        CU_ASSERT(label == 1 && p32 == 2 && px == 1);
        CU_ASSERT_EQUAL_FATAL(c8_report_num_flips(r, C8_PREC_FP16), 2);
        c8_report_flip(r, C8_PREC_FP16, 1, &img, &label, &p32, &px);
        CU_ASSERT_STRING_EQUAL(img, "d.png");
        CU_ASSERT(label == 3 && p32 == 0 && px == 1);
        c8_report_flip(r, C8_PREC_FP16, 2, &img, &label, &p32, &px); /* out of range */
        CU_ASSERT_PTR_NULL(img);
        c8_report_destroy(r);
    }
}

static void test_e2e_errors(void) {
    c8_report *r = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_precision no32[2] = {C8_PREC_FP16, C8_PREC_INT8};
    CU_ASSERT_EQUAL(c8_report_e2e_begin(r, no32, 2, 4, &err), C8_ERR_INVALID);
    c8_precision twice[2] = {C8_PREC_FP32, C8_PREC_FP32};
    CU_ASSERT_EQUAL(c8_report_e2e_begin(r, twice, 2, 4, &err), C8_ERR_INVALID);
    c8_precision one[1] = {C8_PREC_FP32};
    CU_ASSERT_EQUAL_FATAL(c8_report_e2e_begin(r, one, 1, 4, &err), C8_OK);
    const float *lg[1] = {k_fp32[0]};
    const int64_t bad_label[1] = {4};
    CU_ASSERT_EQUAL(c8_report_e2e_add(r, 1, lg, bad_label, k_names, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "a.png"));
    c8_report_e2e_stats s;
    CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_INT8, &s, &err), C8_ERR_NOT_FOUND);
    c8_report_destroy(r);
    c8_report_destroy(NULL);
}

static void test_schema_synthetic(void) {
    c8_report *r = synthetic(6);
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_report_set(r, "model", "synthetic <model> & \"quotes\"", &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_set(r, "data", "none", &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_set(r, "model", "synthetic|model", &err), C8_OK); /* replaces */
    CU_ASSERT_EQUAL_FATAL(c8_report_write(r, OUT "dir/sub", &err), C8_OK);
    c8_json *j = NULL;
    CU_ASSERT_EQUAL(rc_check_report(OUT "dir/sub/report.json", &j), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const c8_json *p8 = c8_json_get(c8_json_get(j, "precisions"), "int8");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p8);
    CU_ASSERT_EQUAL(c8_json_get_num(p8, "top1", -1), 50.0);
    CU_ASSERT_EQUAL(c8_json_get_num(p8, "flipped", -1), 2.0);
    check_close(c8_json_get_num(p8, "agreement_with_fp32", -1), 100.0 * 4 / 6, 0,
                "agreement round trip (17 digits: exact)");
    const c8_json *fl = c8_json_get(c8_json_get(j, "flipped"), "int8");
    CU_ASSERT(fl && fl->type == C8_JSON_ARR && fl->n == 2);
    if (fl && fl->n == 2) CU_ASSERT_STRING_EQUAL(c8_json_get_str(&fl->kids[1], "image"), "b.png");
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(c8_json_get(j, "settings"), "model"), "synthetic|model");
    CU_ASSERT_EQUAL(c8_json_get(j, "layers")->n, 0);
    CU_ASSERT_EQUAL(c8_json_get(j, "sensitivity")->type, C8_JSON_NULL);
    c8_json_free(j);
    CU_ASSERT(c8t_exists(OUT "dir/sub/report.md"));
    CU_ASSERT(c8t_exists(OUT "dir/sub/report.html"));
    c8_report_destroy(r);
}

static const c8_test_case k_cases[] = {
    {"metrics on float values", test_metrics_float},
    {"metrics on int8 values", test_metrics_int8},
    {"metrics: exact, zero, empty, non-finite", test_metrics_edges},
    {"Wilson intervals", test_wilson},
    {"argmax and label rank", test_topk},
    {"layer-precision spec: escaping and refusal", test_layer_spec},
    {"flipped-prediction accounting", test_flips},
    {"end-to-end input errors", test_e2e_errors},
    {"report.json schema (synthetic report)", test_schema_synthetic},
};

C8T_MAIN("reports_metrics", k_cases)
