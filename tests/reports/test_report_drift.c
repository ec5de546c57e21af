/* reports/drift.c against hand-worked values: the output-kind rule of every shape it names,
 * greedy CTC decoding, and the drift section (SQNR, cosine, max abs diff, top-1 agreement of
 * class scores, IoU and pixel agreement of thresholded maps, per-position and decoded-string
 * agreement of sequences) on tiny synthetic outputs added in several batches; its refusals;
 * the non-finite count; and the "drift" object of report.json. The expected values are worked
 * out by hand in the comments (float64 formulas for SQNR and cosine). */
#include "c8test.h"
#include "report_check.h"

#include "calib8/report.h"
#include "util/json.h"

#include <math.h>

#define OUT C8_BINARY_DIR "/test_report_drift_"

/* float64 sums over a handful of values, then log10/sqrt: a few ulps from the formula */
#define TOL_METRIC 1e-12

static void check_close(double got, double want, const char *what) {
    double tol = TOL_METRIC * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol)) printf("\n  %s: got %.17g, want %.17g", what, got, want);
    CU_ASSERT(fabs(got - want) <= tol);
}

/* The whole file as a string (malloc'd), or NULL. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 + 1 > cap) {
            cap = 2 * cap + 4096 + 1;
            char *b = realloc(buf, cap);
            if (!b) break;
            buf = b;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

static c8_shape shp(int rank, int64_t a, int64_t b, int64_t c, int64_t d) {
    c8_shape s = {rank, {a, b, c, d}};
    return s;
}

static void test_kind_rule(void) {
    static const struct {
        c8_shape s;
        c8_output_kind k;
    } cases[] = {
        {{2, {4, 10}}, C8_OUTPUT_CLASSES},
        {{2, {-1, 10}}, C8_OUTPUT_CLASSES},
        {{4, {4, 1000, 1, 1}}, C8_OUTPUT_CLASSES},
        {{2, {4, 1}}, C8_OUTPUT_GENERIC},
        {{4, {1, 1, 96, 96}}, C8_OUTPUT_MAP},
        {{4, {-1, 1, -1, -1}}, C8_OUTPUT_MAP},
        {{4, {1, 1, 1, 1}}, C8_OUTPUT_GENERIC},
        {{4, {2, 3, 96, 96}}, C8_OUTPUT_GENERIC},
        {{3, {1, 40, 6625}}, C8_OUTPUT_SEQUENCE},
        {{3, {1, 40, 1}}, C8_OUTPUT_GENERIC},
        {{1, {8}}, C8_OUTPUT_GENERIC},
        {{5, {1, 1, 2, 3, 4}}, C8_OUTPUT_GENERIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c8_output_kind k = c8_report_output_kind(&cases[i].s);
        char buf[64];
        if (k != cases[i].k)
            printf("\n  %s: %s, want %s", c8_shape_str(&cases[i].s, buf, sizeof buf),
                   c8_report_output_kind_name(k), c8_report_output_kind_name(cases[i].k));
        CU_ASSERT_EQUAL(k, cases[i].k);
    }
    c8_output_kind k = C8_OUTPUT_AUTO;
    CU_ASSERT(c8_report_output_kind_parse("map", &k) && k == C8_OUTPUT_MAP);
    CU_ASSERT(c8_report_output_kind_parse("generic", &k) && k == C8_OUTPUT_GENERIC);
    CU_ASSERT(!c8_report_output_kind_parse("maps", &k));
    CU_ASSERT_STRING_EQUAL(c8_report_output_kind_name(C8_OUTPUT_SEQUENCE), "sequence");
}

/* A (t, c) score sequence whose argmax at position i is path[i] (1 there, 0 elsewhere). */
static void one_hot(const int *path, int t, int c, float *out) {
    for (int i = 0; i < t * c; i++) out[i] = 0;
    for (int i = 0; i < t; i++) out[i * c + path[i]] = 1;
}

static void test_ctc(void) {
    /* path 1 1 0 1 2 2 0, blank 0: collapse -> 1 0 1 2 0, drop blanks -> 1 1 2 */
    const int path[7] = {1, 1, 0, 1, 2, 2, 0};
    float s[21];
    int64_t out[7];
    one_hot(path, 7, 3, s);
    CU_ASSERT_EQUAL_FATAL(c8_report_ctc_decode(s, 7, 3, 0, out), 3);
    CU_ASSERT(out[0] == 1 && out[1] == 1 && out[2] == 2);
    /* blank 2: collapse -> 1 0 1 2 0, drop 2 -> 1 0 1 0 */
    CU_ASSERT_EQUAL_FATAL(c8_report_ctc_decode(s, 7, 3, 2, out), 4);
    CU_ASSERT(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == 0);
    /* all blank: empty */
    const int blanks[3] = {0, 0, 0};
    one_hot(blanks, 3, 3, s);
    CU_ASSERT_EQUAL(c8_report_ctc_decode(s, 3, 3, 0, out), 0);
}

static const c8_precision k_prec[2] = {C8_PREC_FP32, C8_PREC_INT8};

static void test_classes(void) {
    /* 3 images x 3 classes. ref rows 1 2 3 | 3 2 1 | 0 1 0 (top-1: 2, 0, 1);
     * x rows 1 2 2 | 2 3 1 | 0 1 0 (top-1: 1 (first maximum), 1, 1): one image agrees.
     * sum ref^2 = 14 + 14 + 1 = 29, sum err^2 = 1 + 2 + 0 = 3, sum ref*x = 11 + 13 + 1 = 25,
     * sum x^2 = 9 + 14 + 1 = 24, max |err| = 1. */
    const float ref[9] = {1, 2, 3, 3, 2, 1, 0, 1, 0}, x[9] = {1, 2, 2, 2, 3, 1, 0, 1, 0};
    c8_report *r;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_drift_options o;
    c8_drift_options_init(&o);
    CU_ASSERT_EQUAL(o.map_threshold, 0.3);
    CU_ASSERT_EQUAL(o.ctc_blank, -1);
    const char *names[1] = {"logits"};
    c8_shape s = shp(1, 3, 0, 0, 0);
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_OK);
    /* two batches: images 0-1, then image 2 */
    const float *b1[2] = {ref, x}, *b2[2] = {ref + 6, x + 6};
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 2, b1, NULL, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b2, NULL, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_drift_num_outputs(r), 1);
    c8_report_drift d;
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_INT8, &d, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(d.output, "logits");
    CU_ASSERT_EQUAL(d.kind, C8_OUTPUT_CLASSES);
    CU_ASSERT(!d.kind_forced);
    CU_ASSERT_EQUAL(d.images, 3);
    CU_ASSERT_EQUAL(d.m.count, 9);
    check_close(d.sqnr_db, 10 * log10(29.0 / 3.0), "sqnr 10 log10(29/3)");
    check_close(d.cosine, 25 / sqrt(29.0 * 24.0), "cosine 25/sqrt(29*24)");
    CU_ASSERT_EQUAL(d.max_abs_diff, 1.0);
    CU_ASSERT_EQUAL(d.agree, 1);
    CU_ASSERT_EQUAL(d.compared, 3);
    check_close(d.agreement, 100.0 / 3, "top-1 agreement 1/3");
    CU_ASSERT(isnan(d.map_iou));
    CU_ASSERT(!d.has_strings && isnan(d.string_agreement));
    /* FP32 against itself */
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_FP32, &d, &err), C8_OK);
    CU_ASSERT(isinf(d.sqnr_db) && d.sqnr_db > 0);
    CU_ASSERT_EQUAL(d.cosine, 1.0);
    CU_ASSERT_EQUAL(d.max_abs_diff, 0.0);
    CU_ASSERT_EQUAL(d.agreement, 100.0);
    /* not in the section */
    CU_ASSERT_EQUAL(c8_report_drift_get(r, 0, C8_PREC_FP16, &d, &err), C8_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(c8_report_drift_get(r, 1, C8_PREC_INT8, &d, &err), C8_ERR_NOT_FOUND);
    c8_report_destroy(r);
}

static void test_map(void) {
    /* 2 images of 1 x 2 x 3, threshold 0.3 (strictly above is on, in float32: 0.3f is off).
     * image 0: ref 0.1 0.5 0.9 0.3 0.31 0  -> on 0 1 1 0 1 0
     *          x   0.4 0.5 0.2 0.35 0.29 0 -> on 1 1 0 1 0 0
     *          both on: pixel 1; either on: pixels 0-4 (5); alike: pixels 1, 5 (2)
     * image 1: both all zero: nothing on, all 6 alike.
     * IoU = 1 / 5 = 0.2, pixel agreement 8 / 12. At threshold 0.5: ref on only at 2, x nowhere:
     * IoU 0 / 1 = 0, alike 11 of 12. */
    const float ref[12] = {0.1f, 0.5f, 0.9f, 0.3f, 0.31f, 0, 0, 0, 0, 0, 0, 0};
    const float x[12] = {0.4f, 0.5f, 0.2f, 0.35f, 0.29f, 0, 0, 0, 0, 0, 0, 0};
    const struct {
        double thr;
        int64_t inter, uni, agree;
        double iou;
    } want[2] = {{0.3, 1, 5, 8, 0.2}, {0.5, 0, 1, 11, 0.0}};
    for (int t = 0; t < 2; t++) {
        c8_report *r;
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
        c8_drift_options o;
        c8_drift_options_init(&o);
        o.map_threshold = want[t].thr;
        const char *names[1] = {"prob"};
        c8_shape s = shp(3, 1, 2, 3, 0);
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_OK);
        const float *b1[2] = {ref, x}, *b2[2] = {ref + 6, x + 6};
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b1, NULL, &err), C8_OK);
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b2, NULL, &err), C8_OK);
        c8_report_drift d;
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_INT8, &d, &err), C8_OK);
        CU_ASSERT_EQUAL(d.kind, C8_OUTPUT_MAP);
        CU_ASSERT_EQUAL(d.map_inter, want[t].inter);
        CU_ASSERT_EQUAL(d.map_union, want[t].uni);
        CU_ASSERT_EQUAL(d.agree, want[t].agree);
        CU_ASSERT_EQUAL(d.compared, 12);
        check_close(d.map_iou, want[t].iou, "map IoU");
        check_close(d.agreement, 100.0 * (double)want[t].agree / 12, "pixel agreement");
        /* FP32 against itself: IoU 1, every pixel alike */
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_FP32, &d, &err), C8_OK);
        CU_ASSERT_EQUAL(d.map_iou, 1.0);
        CU_ASSERT_EQUAL(d.agreement, 100.0);
        c8_report_destroy(r);
    }
    /* maps empty everywhere in both: identical, IoU 1 */
    c8_report *r;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_drift_options o;
    c8_drift_options_init(&o);
    const char *names[1] = {"prob"};
    c8_shape s = shp(3, 1, 2, 3, 0);
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_OK);
    const float *b[2] = {ref + 6, x + 6};
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b, NULL, &err), C8_OK);
    c8_report_drift d;
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_INT8, &d, &err), C8_OK);
    CU_ASSERT_EQUAL(d.map_union, 0);
    CU_ASSERT_EQUAL(d.map_iou, 1.0);
    c8_report_destroy(r);
}

/* A detector's map that is near zero everywhere (a sigmoid with no text in the image): FP16's
 * absolute errors are tiny, but so is the map, and SQNR is relative to the map. `calib8 compare`
 * printed SQNR 29.6 dB next to max abs 9.7e-08 for PP-OCRv4's map; that pair is consistent,
 * as this case works out by hand: two images of 1 x 2 x 2 (values in units of u = 2^-20, exact
 * in float32 and float64):
 *   image 0: ref 2u 0 1u 0   x 2u 0 1u 0      errors 0 0 0 0
 *   image 1: ref 0 4u 0 2u   x 0 3u 0 2u      errors 0 1u 0 0  (x's 3u: 1u short)
 * sum ref^2 = (4 + 1 + 16 + 4) u^2 = 25 u^2, sum err^2 = 1 u^2, max |err| = u ~ 9.5e-07:
 * SQNR = 10 log10(25) = 13.98 dB; FP32 rms = sqrt(25 u^2 / 8) = 5u / sqrt(8), max |ref| = 4u.
 * sum ref*x = 4 + 1 + 12 + 4 = 21 u^2, sum x^2 = 4 + 1 + 9 + 4 = 18 u^2. The same values
 * scaled by 2^20 give the same SQNR and cosine: the measures are scale-free. */
static void test_map_near_zero(void) {
    const double u = ldexp(1.0, -20);
    for (int scaled = 0; scaled < 2; scaled++) {
        const float k = scaled ? 1.0f : (float)u;
        const float ref[8] = {2 * k, 0, k, 0, 0, 4 * k, 0, 2 * k};
        const float x[8] = {2 * k, 0, k, 0, 0, 3 * k, 0, 2 * k};
        c8_report *r;
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
        c8_drift_options o;
        c8_drift_options_init(&o);
        const char *names[1] = {"sigmoid_0.tmp_0"};
        c8_shape s = shp(3, 1, 2, 2, 0);
        const c8_precision p[2] = {C8_PREC_FP32, C8_PREC_FP16};
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, p, 2, 1, names, &s, &o, &err), C8_OK);
        const float *b1[2] = {ref, x}, *b2[2] = {ref + 4, x + 4};
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b1, NULL, &err), C8_OK);
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b2, NULL, &err), C8_OK);
        c8_report_drift d;
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_FP16, &d, &err), C8_OK);
        const double kd = (double)k;
        CU_ASSERT_EQUAL(d.m.count, 8);
        check_close(d.sqnr_db, 10 * log10(25.0), "sqnr 10 log10(25)");
        check_close(d.cosine, 21 / sqrt(25.0 * 18.0), "cosine 21/sqrt(25*18)");
        CU_ASSERT_EQUAL(d.max_abs_diff, kd);
        check_close(d.ref_rms / kd, 5 / sqrt(8.0), "fp32 rms 5/sqrt(8) k");
        CU_ASSERT_EQUAL(d.ref_max_abs, 4 * kd);
        /* FP32 against itself: exact, and the same scale */
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_FP32, &d, &err), C8_OK);
        CU_ASSERT(isinf(d.sqnr_db) && d.sqnr_db > 0);
        CU_ASSERT_EQUAL(d.ref_max_abs, 4 * kd);
        c8_report_destroy(r);
    }
    /* nothing compared: no scale */
    c8_report_metrics m;
    c8_report_metrics_init(&m, 0);
    CU_ASSERT_EQUAL(m.max_abs_ref, 0.0);
}

static void test_sequence(void) {
    /* 2 images, T 4, C 3, blank 0.
     * image 0: ref path 1 1 0 2 -> "1 2"; x path 1 0 1 2 -> "1 1 2": strings differ;
     *          positions alike: 0, 3 (2 of 4)
     * image 1: ref path 0 2 2 0 -> "2"; x path 2 2 0 0 -> "2": strings equal;
     *          positions alike: 1, 3 (2 of 4)
     * position agreement 4 / 8, string agreement 1 / 2. */
    const int pr[8] = {1, 1, 0, 2, 0, 2, 2, 0}, px[8] = {1, 0, 1, 2, 2, 2, 0, 0};
    float ref[24], x[24];
    one_hot(pr, 8, 3, ref);
    one_hot(px, 8, 3, x);
    c8_report *r;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_drift_options o;
    c8_drift_options_init(&o);
    o.ctc_blank = 0;
    const char *names[1] = {"softmax"};
    c8_shape s = shp(2, 4, 3, 0, 0);
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_OK);
    const float *b[2] = {ref, x};
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 2, b, NULL, &err), C8_OK);
    c8_report_drift d;
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_INT8, &d, &err), C8_OK);
    CU_ASSERT_EQUAL(d.kind, C8_OUTPUT_SEQUENCE);
    CU_ASSERT_EQUAL(d.agree, 4);
    CU_ASSERT_EQUAL(d.compared, 8);
    CU_ASSERT_EQUAL(d.agreement, 50.0);
    CU_ASSERT(d.has_strings);
    CU_ASSERT_EQUAL(d.strings_agree, 1);
    CU_ASSERT_EQUAL(d.string_agreement, 50.0);
    /* one-hot rows: 4 of 8 positions differ, each by two unit entries: sum err^2 = 8; sum ref^2
     * = 8; SQNR 0 dB; dot = 4 alike positions -> cosine 4 / 8 */
    check_close(d.sqnr_db, 0.0, "sequence sqnr");
    check_close(d.cosine, 0.5, "sequence cosine");
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_FP32, &d, &err), C8_OK);
    CU_ASSERT_EQUAL(d.string_agreement, 100.0);
    CU_ASSERT_EQUAL(d.agreement, 100.0);
    c8_report_destroy(r);
}

static void test_generic_and_forced(void) {
    /* (N, 3, 2, 2) is generic: SQNR, cosine, max abs only. Forced to a map (the option), the
     * same values give map measures. ref 0..11 / 10, x = ref except element 5 (+0.25). */
    float ref[12], x[12];
    for (int i = 0; i < 12; i++) ref[i] = x[i] = (float)i / 10;
    x[5] += 0.25f;
    const char *names[1] = {"feat"};
    c8_shape s = shp(3, 3, 2, 2, 0);
    const float *b[2] = {ref, x};
    for (int forced = 0; forced < 2; forced++) {
        c8_report *r;
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
        c8_drift_options o;
        c8_drift_options_init(&o);
        if (forced) o.kind = C8_OUTPUT_MAP;
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_OK);
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 1, b, NULL, &err), C8_OK);
        c8_report_drift d;
        CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_INT8, &d, &err), C8_OK);
        CU_ASSERT_EQUAL(d.kind, forced ? C8_OUTPUT_MAP : C8_OUTPUT_GENERIC);
        CU_ASSERT_EQUAL(d.kind_forced, forced == 1);
        check_close(d.max_abs_diff, (double)x[5] - (double)ref[5], "max abs diff");
        double sr = 0, se = ((double)x[5] - (double)ref[5]) * ((double)x[5] - (double)ref[5]);
        for (int i = 0; i < 12; i++) sr += (double)ref[i] * (double)ref[i];
        check_close(d.sqnr_db, 10 * log10(sr / se), "generic sqnr");
        if (forced) {
            /* on (> 0.3): ref 4..11 (8 pixels); x also 4..11 (0.5 + 0.25 stays on): IoU 1 */
            CU_ASSERT_EQUAL(d.map_inter, 8);
            CU_ASSERT_EQUAL(d.map_union, 8);
        } else {
            CU_ASSERT(isnan(d.agreement));
            CU_ASSERT(isnan(d.map_iou));
        }
        c8_report_destroy(r);
    }
}

static void test_refusals(void) {
    c8_report *r;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_drift_options o;
    c8_drift_options_init(&o);
    const char *names[1] = {"softmax_5.tmp_0"};
    c8_shape s = shp(2, 4, 3, 0, 0);
    /* no FP32 */
    const c8_precision p8[1] = {C8_PREC_INT8};
    CU_ASSERT_EQUAL(c8_report_drift_begin(r, p8, 1, 1, names, &s, &o, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "FP32"));
    /* a CTC blank that is not a class */
    o.ctc_blank = 3;
    CU_ASSERT_EQUAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "softmax_5.tmp_0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "blank 3"));
    /* a sequence forced on a (1, H, W) map */
    o.ctc_blank = -1;
    o.kind = C8_OUTPUT_SEQUENCE;
    c8_shape m = shp(3, 1, 8, 8, 0);
    CU_ASSERT_EQUAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &m, &o, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a sequence"));
    /* a non-finite threshold */
    c8_drift_options_init(&o);
    o.map_threshold = NAN;
    CU_ASSERT_EQUAL(c8_report_drift_begin(r, k_prec, 2, 1, names, &s, &o, &err), C8_ERR_INVALID);
    /* add before begin */
    const float v[12] = {0};
    const float *b[2] = {v, v};
    CU_ASSERT_EQUAL(c8_report_drift_add(r, 1, b, NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_report_drift_num_outputs(r), 0);
    c8_report_destroy(r);
}

static void test_nonfinite_and_json(void) {
    /* two outputs (a (2) score pair and a (1, 1, 2) map), 2 images; image 1's INT8 map holds a
     * NaN: 1 value in 1 image, named; the pair is skipped by the sums (nonfinite 1). */
    const float s32[4] = {1, 0, 0, 1}, s8[4] = {1, 0, 1, 0};
    const float m32[4] = {0.9f, 0.1f, 0.8f, 0.2f}, m8[4] = {0.9f, 0.1f, NAN, 0.2f};
    const char *onames[2] = {"scores", "map"};
    const c8_shape shapes[2] = {shp(1, 2, 0, 0, 0), shp(3, 1, 1, 2, 0)};
    const char *inames[2] = {"a.png", "b.png"};
    c8_report *r;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_drift_options o;
    c8_drift_options_init(&o);
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_begin(r, k_prec, 2, 2, onames, shapes, &o, &err), C8_OK);
    const float *b[4] = {s32, m32, s8, m8}; /* [precision * outputs + output] */
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_add(r, 2, b, inames, &err), C8_OK);
    int64_t values, images;
    const char *first;
    c8_report_e2e_nonfinite(r, &values, &images, &first);
    CU_ASSERT_EQUAL(values, 1);
    CU_ASSERT_EQUAL(images, 1);
    CU_ASSERT(first && !strcmp(first, "b.png (image 1, int8)"));
    c8_report_drift d;
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 1, C8_PREC_INT8, &d, &err), C8_OK);
    CU_ASSERT_EQUAL(d.m.nonfinite, 1);
    CU_ASSERT_EQUAL(d.m.count, 3);
    /* NaN is never on: image 1 pixel 0 is on in FP32 only: inter 1, union 2 */
    CU_ASSERT_EQUAL(d.map_inter, 1);
    CU_ASSERT_EQUAL(d.map_union, 2);
    CU_ASSERT_EQUAL_FATAL(c8_report_drift_get(r, 0, C8_PREC_INT8, &d, &err), C8_OK);
    CU_ASSERT_EQUAL(d.agree, 1); /* image 0 top-1 0 = 0; image 1: 1 vs 0 */
    /* report.json: the drift object */
    CU_ASSERT_EQUAL_FATAL(c8_report_write_json(r, OUT "report.json", &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_write_md(r, OUT "report.md", &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_write_html(r, OUT "report.html", &err), C8_OK);
    c8_json *j = NULL;
    CU_ASSERT_EQUAL(rc_check_report(OUT "report.json", &j), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const c8_json *dr = c8_json_get(j, "drift");
    CU_ASSERT_FATAL(dr && dr->type == C8_JSON_OBJ);
    CU_ASSERT(c8_json_get(dr, "labels")->type == C8_JSON_BOOL && !c8_json_get(dr, "labels")->b);
    CU_ASSERT_EQUAL(c8_json_get_num(dr, "map_threshold", -1), 0.3);
    CU_ASSERT_EQUAL(c8_json_get(dr, "ctc_blank")->type, C8_JSON_NULL);
    const c8_json *outs = c8_json_get(dr, "outputs");
    CU_ASSERT_FATAL(outs && outs->type == C8_JSON_ARR && outs->n == 2);
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(&outs->kids[1], "kind"), "map");
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(&outs->kids[1], "kind_source"), "shape");
    const c8_json *p8 = c8_json_get(c8_json_get(&outs->kids[1], "precisions"), "int8");
    CU_ASSERT_FATAL(p8 != NULL);
    CU_ASSERT_EQUAL(c8_json_get_num(p8, "map_iou", -1), 0.5);
    CU_ASSERT_EQUAL(c8_json_get_num(p8, "map_union", -1), 2);
    const c8_json *p32 = c8_json_get(c8_json_get(&outs->kids[0], "precisions"), "fp32");
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(p32, "sqnr_db"), "inf");
    CU_ASSERT_EQUAL(c8_json_get_num(p32, "top1_agreement", -1), 100.0);
    c8_json_free(j);
    /* report.md and report.html carry the same table */
    char *md = slurp(OUT "report.md"), *html = slurp(OUT "report.html");
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "## Drift against FP32, per output (2 images)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| map | map | 1x1x2 | int8 |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "The data set has no labels"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "id=\"drift-table\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>scores</td><td>classes</td>"));
    free(md);
    free(html);
    c8_report_destroy(r);
}

static const c8_test_case k_cases[] = {
    {"output kind from the shape", test_kind_rule},
    {"greedy CTC decoding", test_ctc},
    {"class scores: SQNR, cosine, top-1 agreement over batches", test_classes},
    {"dense maps: IoU and pixel agreement at the threshold", test_map},
    {"a map near zero: SQNR against its own scale (FP32 rms, max |x|)", test_map_near_zero},
    {"sequences: position and decoded-string agreement", test_sequence},
    {"generic outputs and a forced kind", test_generic_and_forced},
    {"refusals", test_refusals},
    {"non-finite values and the report.json drift object", test_nonfinite_and_json},
};

C8T_MAIN("reports_drift", k_cases)
