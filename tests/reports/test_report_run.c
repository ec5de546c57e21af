/* c8_report_compare and c8_report_fallback on tests/reports/data/tiny_cls.onnx (see
 * make_tiny_model.py: its Gemm "fc[1]" is built so that INT8 ruins it and nothing else), with a
 * synthetic labeled HDF5 set and a min-max calibration made here; the compare and build
 * subcommands on the same data; and, when present, the bundled Fashion-MNIST CNN on the real
 * test set (skipped otherwise). */
#include "c8test.h"
#include "report_check.h"
#include "tiny_setup.h"

#include "calib8/calib.h"
#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/report.h"
#include "datasets/h5.h"
#include "util/json.h"

#include <hdf5.h>
#include <math.h>
#include <sys/wait.h>

#define OUT C8_BINARY_DIR "/test_report_run_"
#define CALIB8 C8_BINARY_DIR "/calib8"
#define LAYER_IMAGES 32

/* Quantizing an input in [0, 1] with scale 1/127 bounds the error by 1/254 per value: the input
 * tensor's SQNR must be well above this (a uniform error of that size gives about 44 dB on these
 * images; 30 dB leaves room and still fails on a wrong scale or a missing dequantization). */
#define MIN_INPUT_SQNR_DB 30.0
/* The broken Gemm: its logits must be far off (measured around 5-10 dB). */
#define MAX_BROKEN_LOGIT_SQNR_DB 20.0

static void setup(void) { tiny_setup(OUT); }

static const c8_json *find_layer(const c8_json *j, const char *tensor) {
    const c8_json *l = c8_json_get(j, "layers");
    for (size_t i = 0; l && i < l->n; i++)
        if (!strcmp(c8_json_get_str(&l->kids[i], "tensor"), tensor)) return &l->kids[i];
    return NULL;
}

static double metric(const c8_json *o, const char *key) {
    const c8_json *v = c8_json_get(o, key);
    if (!v) return NAN;
    if (v->type == C8_JSON_STR) return !strcmp(v->str, "inf") ? INFINITY : -INFINITY;
    return v->type == C8_JSON_NUM ? v->num : NAN;
}

/* Reads a float dataset of the dump into a malloc'd buffer; *n its element count. */
static float *read_dump(hid_t f, const char *name, int64_t *n, hsize_t *dim0) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[8];
    int rank = H5Sget_simple_extent_dims(sp, dims, NULL);
    *n = 1;
    for (int i = 0; i < rank; i++) *n *= (int64_t)dims[i];
    *dim0 = rank > 0 ? dims[0] : 0;
    float *buf = malloc((size_t)*n * sizeof(float));
    if (buf && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    H5Sclose(sp);
    H5Dclose(d);
    return buf;
}

static void test_compare(void) {
    setup();
    c8_error err = {0};
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_report *r = NULL;
    c8_preprocess pre;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    lo.batch = 16;
    CU_ASSERT_EQUAL_FATAL(make_pre(&pre, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_model_load(TINY, NULL, &m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(open_ds(OUT "tiny.h5", &ds, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_compare_options o;
    c8_compare_options_init(&o);
    o.calib_cache = OUT "tiny.cache";
    o.layer_images = LAYER_IMAGES;
    o.dump_path = OUT "tiny_dump.h5";
    o.progress = C8_PROGRESS_QUIET;
    c8_status s = c8_report_compare(r, m, ds, &pre, &lo, &o, &err);
    if (s) printf("\n  compare: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);

    c8_report_e2e_stats s32, s16, s8;
    CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_FP32, &s32, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_FP16, &s16, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_INT8, &s8, &err), C8_OK);
    CU_ASSERT_EQUAL(s32.images, N_IMAGES);
    CU_ASSERT_EQUAL(s32.correct_top1, N_IMAGES - N_IMAGES / 8); /* labels made that way */
    CU_ASSERT(s8.flipped > 0 && s8.flipped == c8_report_num_flips(r, C8_PREC_INT8));
    CU_ASSERT(s16.agreement >= 95.0);
    printf("\n  tiny: fp32 %.2f%%, fp16 %.2f%% (agree %.2f%%), int8 %.2f%% (agree %.2f%%, %lld "
           "flips)",
           s32.top1, s16.top1, s16.agreement, s8.top1, s8.agreement, (long long)s8.flipped);

    CU_ASSERT_EQUAL_FATAL(c8_report_write(r, OUT "compare_report", &err), C8_OK);
    c8_json *j = NULL;
    CU_ASSERT_EQUAL(rc_check_report(OUT "compare_report/report.json", &j), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    /* every tensor of the model is compared, in graph order */
    static const char *const tensors[] = {"x", "c1", "r1", "p1", "f", "logits"};
    static const char *const forms[] = {"quantized-copy", "int8", "int8", "int8", "int8", "float"};
    const c8_json *layers = c8_json_get(j, "layers");
    CU_ASSERT_EQUAL_FATAL(layers->n, 6);
    for (int i = 0; i < 6; i++) {
        const c8_json *l = &layers->kids[i];
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(l, "tensor"), tensors[i]);
        CU_ASSERT_STRING_EQUAL(c8_json_get_str(l, "form"), forms[i]);
        CU_ASSERT_EQUAL(c8_json_get_num(l, "values", -1),
                        (double)LAYER_IMAGES * c8_json_get_num(l, "values_per_image", -1));
    }
    const c8_json *lx = find_layer(j, "x"), *ll = find_layer(j, "logits");
    double sx = metric(lx, "sqnr_db"), sl = metric(ll, "sqnr_db");
    printf("\n  tiny: input SQNR %.2f dB, logits SQNR %.2f dB", sx, sl);
    CU_ASSERT(sx > MIN_INPUT_SQNR_DB && isfinite(sx));
    CU_ASSERT(sl < MAX_BROKEN_LOGIT_SQNR_DB);
    /* min-max calibration on a superset of the layer images: nothing is clipped */
    CU_ASSERT_EQUAL(metric(find_layer(j, "c1"), "clip_share"), 0.0);
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(ll, "layer"), "fc[1]");
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(ll, "precision"), "int8");
    /* histograms and thresholds for tensors with a scale. The chosen (min-max) threshold is the
     * absmax over all 160 calibration images, so at least the absmax of the 32 layer images'
     * histogram, whose min-max threshold is that absmax (tolerance: float32 scale rounding and
     * the 9-digit float32 printing of absmax) */
    const c8_json *hr = c8_json_get(find_layer(j, "r1"), "histogram");
    const c8_json *tr = c8_json_get(find_layer(j, "r1"), "thresholds");
    CU_ASSERT_PTR_NOT_NULL_FATAL(hr);
    CU_ASSERT_EQUAL_FATAL(hr->type, C8_JSON_OBJ);
    CU_ASSERT_EQUAL(c8_json_get(hr, "display_counts")->n, 128);
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(hr, "source"), "layer-images");
    double chosen = c8_json_get_num(tr, "chosen", -1), mm = c8_json_get_num(tr, "minmax", -2);
    double amax = c8_json_get_num(hr, "absmax", 0);
    CU_ASSERT(chosen >= amax * (1 - 1e-6));
    CU_ASSERT(fabs(mm - amax) <= 1e-6 * amax);
    CU_ASSERT(c8_json_get_num(tr, "entropy", -1) > 0);
    for (int i = 0; i < 6; i++) { /* a histogram exactly where the cache has a scale */
        const c8_json *l = &layers->kids[i];
        CU_ASSERT_EQUAL(c8_json_get(l, "histogram")->type == C8_JSON_OBJ,
                        c8_json_get(l, "cache_scale")->type == C8_JSON_NUM);
    }
    /* the sensitivity ranking finds the broken layer first */
    const c8_json *sens = c8_json_get(j, "sensitivity");
    CU_ASSERT_EQUAL_FATAL(sens->type, C8_JSON_OBJ);
    const c8_json *rank = c8_json_get(sens, "ranking");
    CU_ASSERT_FATAL(rank->n >= 2);
    CU_ASSERT_STRING_EQUAL(rank->kids[0].str, "fc[1]");
    CU_ASSERT_EQUAL(c8_json_get_num(c8_json_get(ll, "sensitivity"), "rank", -1), 1.0);
    const c8_json *cal = c8_json_get(j, "calibration");
    CU_ASSERT_EQUAL(c8_json_get(cal, "sidecar")->type, C8_JSON_BOOL);
    CU_ASSERT(c8_json_get(cal, "sidecar")->b);
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(cal, "algorithm"), "minmax");
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(j, "dump"), OUT "tiny_dump.h5");
    double sx_in = c8_json_get_num(lx, "engine_scale", 0); /* x/quant's scale */
    CU_ASSERT(sx_in > 0);
    c8_json_free(j);

    /* the dump: names by index; FP32 input = the preprocessed images; INT8 input within half a
     * quantization step of it */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(OUT "tiny_dump.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    int64_t n32, n8;
    hsize_t d0;
    float *a = read_dump(f, "/fp32/t00000", &n32, &d0);
    CU_ASSERT_EQUAL(d0, LAYER_IMAGES);
    float *b = read_dump(f, "/int8/t00000", &n8, &d0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(n32, LAYER_IMAGES * 64);
    c8_loader *ld = NULL;
    c8_loader_opts lo2;
    c8_loader_opts_init(&lo2);
    lo2.batch = LAYER_IMAGES;
    const c8_batch *bt;
    CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &pre, 1, 8, 8, &lo2, &ld, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_loader_next(ld, &bt, &err), C8_OK);
    int bad = 0;
    for (int64_t i = 0; i < n32 && i < n8; i++) {
        bad += a[i] != bt->data[i];
        bad += fabs((double)a[i] - (double)b[i]) > 0.5 * sx_in * 1.001;
    }
    CU_ASSERT_EQUAL(bad, 0);
    c8_loader_destroy(ld);
    free(a);
    free(b);
    hid_t tn = H5Dopen2(f, "/tensor_names", H5P_DEFAULT);
    CU_ASSERT(tn >= 0);
    if (tn >= 0) H5Dclose(tn);
    H5Fclose(f);

    c8_report_destroy(r);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
}

static void test_compare_histfile(void) {
    /* histograms from the calibration's histogram file instead of the layer images */
    setup();
    c8_error err = {0};
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_report *r = NULL;
    c8_preprocess pre;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    CU_ASSERT_EQUAL_FATAL(make_pre(&pre, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_model_load(TINY, NULL, &m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(open_ds(OUT "tiny.h5", &ds, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_compare_options o;
    c8_compare_options_init(&o);
    o.calib_cache = OUT "tiny.cache";
    o.layer_images = 8;
    o.fp16 = false;
    o.sensitivity = false;
    o.histograms_path = OUT "tiny_hist.h5";
    o.progress = C8_PROGRESS_QUIET;
    lo.batch = 16;
    /* the settings calib8 compare records (c8_report_set_compare_settings, shared with Python) */
    CU_ASSERT_EQUAL_FATAL(
        c8_report_set_compare_settings(r, m, ds, &pre, &lo, &o, "tiny data", "fp32,int8", &err),
        C8_OK);
    c8_status s = c8_report_compare(r, m, ds, &pre, &lo, &o, &err);
    if (s) printf("\n  compare: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_report_write_json(r, OUT "histfile.json", &err), C8_OK);
    c8_json *j = NULL;
    CU_ASSERT_EQUAL(rc_check_report(OUT "histfile.json", &j), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const c8_json *set = c8_json_get(j, "settings");
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    char pre_text[512], count[32];
    c8_preprocess_describe(&pre, pre_text, sizeof pre_text);
    snprintf(count, sizeof count, "%lld", (long long)c8_dataset_count(ds));
    const char *want[][2] = {{"model", TINY},
                             {"model sha256", c8_model_sha256(m)},
                             {"calibration cache", OUT "tiny.cache"},
                             {"data", "tiny data"},
                             {"dataset manifest sha256", c8_dataset_manifest_sha256(ds)},
                             {"images", count},
                             {"preprocessing", pre_text},
                             {"batch", "16"},
                             {"requested precisions", "fp32,int8"},
                             {"histograms", OUT "tiny_hist.h5"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *got = c8_json_get_str(set, want[i][0]);
        if (!got || strcmp(got, want[i][1]))
            printf("\n  settings['%s'] = '%s', want '%s'", want[i][0], got ? got : "(none)",
                   want[i][1]);
        CU_ASSERT_PTR_NOT_NULL(got && !strcmp(got, want[i][1]) ? got : NULL);
    }
    CU_ASSERT_STRING_EQUAL(c8_json_get_str(j, "histogram_source"), "histogram-file");
    const c8_json *h = c8_json_get(find_layer(j, "c1"), "histogram");
    CU_ASSERT_EQUAL_FATAL(h->type, C8_JSON_OBJ);
    /* the file's histogram covers every calibration image, not just the 8 layer images */
    CU_ASSERT_EQUAL(c8_json_get_num(h, "count", -1), (double)N_IMAGES * 4 * 64);
    CU_ASSERT_EQUAL(c8_json_get(c8_json_get(j, "precisions"), "fp16"), NULL);
    CU_ASSERT_EQUAL(c8_json_get(j, "sensitivity")->type, C8_JSON_NULL);
    c8_json_free(j);
    c8_report_destroy(r);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
}

static c8_status run_fallback_ctc(c8_report *r, double drift, int64_t max_steps, int64_t ctc,
                                  c8_error *err) {
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_preprocess pre;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    CU_ASSERT_EQUAL_FATAL(make_pre(&pre, err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_model_load(TINY, NULL, &m, err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(open_ds(OUT "tiny.h5", &ds, err), C8_OK);
    c8_calib_cache *cc = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_load_checked(OUT "tiny.cache", TINY, &cc, err), C8_OK);
    c8_scale_source src = c8_calib_cache_scales(cc);
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.precision = C8_PREC_INT8;
    bo.scales = &src;
    c8_fallback_options fo;
    c8_fallback_options_init(&fo);
    fo.max_drift = drift;
    fo.rank_images = LAYER_IMAGES;
    fo.max_steps = max_steps;
    fo.ctc_blank = ctc;
    fo.calib_cache = OUT "tiny.cache";
    fo.progress = C8_PROGRESS_QUIET;
    c8_status s = c8_report_fallback(r, m, &bo, ds, &pre, &lo, &fo, err);
    c8_calib_cache_destroy(cc);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
    return s;
}

static c8_status run_fallback(c8_report *r, double drift, int64_t max_steps, c8_error *err) {
    return run_fallback_ctc(r, drift, max_steps, -1, err);
}

static void test_fallback(void) {
    setup();
    c8_error err = {0};
    c8_report *r = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    /* 5 points: far below the all-INT8 drift (about 30 points), above what is left once fc[1]
     * runs in FP32 (its input is still quantized: about 2 points) */
    c8_status s = run_fallback(r, 5.0, -1, &err);
    if (s) printf("\n  fallback: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    CU_ASSERT(c8_report_fallback_met(r));
    CU_ASSERT_EQUAL_FATAL(c8_report_fallback_num_layers(r), 1);
    CU_ASSERT_STRING_EQUAL(c8_report_fallback_layer(r, 0), "fc[1]");
    CU_ASSERT_STRING_EQUAL(c8_report_fallback_spec(r), "fc\\[1\\]:fp32");
    CU_ASSERT_EQUAL_FATAL(c8_report_fallback_num_steps(r), 2);
    c8_report_fallback_step s0, s1;
    c8_report_fallback_get_step(r, 0, &s0);
    c8_report_fallback_get_step(r, 1, &s1);
    printf("\n  tiny fallback: step 0 top-1 %.2f%% drift %.2f; step 1 (+%s) top-1 %.2f%% drift "
           "%.2f",
           s0.top1, s0.drift, s1.added, s1.top1, s1.drift);
    CU_ASSERT(!s0.met && s0.drift > 5.0 && s0.layers == 0 && s0.added == NULL);
    CU_ASSERT(s1.met && s1.drift <= 5.0 && s1.layers == 1);
    CU_ASSERT_STRING_EQUAL(s1.added, "fc[1]");
    /* the report: end-to-end section from the search (predictions only), the search itself */
    c8_report_e2e_stats s8;
    CU_ASSERT_EQUAL(c8_report_e2e_stats_get(r, C8_PREC_INT8, &s8, &err), C8_OK);
    CU_ASSERT_EQUAL(s8.correct_top1, s1.correct);
    CU_ASSERT(!s8.has_logit_diff);
    CU_ASSERT_EQUAL_FATAL(c8_report_write(r, OUT "fallback_report", &err), C8_OK);
    c8_json *j = NULL;
    CU_ASSERT_EQUAL(rc_check_report(OUT "fallback_report/report.json", &j), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const c8_json *fb = c8_json_get(j, "fallback_search");
    CU_ASSERT(c8_json_get(fb, "met")->b);
    CU_ASSERT_EQUAL(c8_json_get(fb, "steps")->n, 2);
    CU_ASSERT_STRING_EQUAL(c8_json_get(fb, "chosen")->kids[0].str, "fc[1]");
    const c8_json *fl = c8_json_get(j, "fallback_layers");
    bool listed = false;
    for (size_t i = 0; i < fl->n; i++)
        listed |= !strcmp(c8_json_get_str(&fl->kids[i], "name"), "fc[1]") &&
                  !strcmp(c8_json_get_str(&fl->kids[i], "precision"), "fp32");
    CU_ASSERT(listed);
    c8_json_free(j);

    /* the generated spec, given to the builder, keeps exactly that layer in FP32 */
    c8_model *m = NULL;
    c8_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_model_load(TINY, NULL, &m, &err), C8_OK);
    c8_calib_cache *cc = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_load_checked(OUT "tiny.cache", TINY, &cc, &err), C8_OK);
    c8_scale_source src = c8_calib_cache_scales(cc);
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.precision = C8_PREC_INT8;
    bo.scales = &src;
    bo.layer_precision = c8_report_fallback_spec(r);
    CU_ASSERT_EQUAL_FATAL(c8_engine_build(m, &bo, &e, &err), C8_OK);
    c8_calib_cache_destroy(cc);
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *name, *op;
        c8_precision p;
        c8_engine_layer(e, i, &name, &op, &p, NULL);
        if (!strcmp(name, "fc[1]")) CU_ASSERT_EQUAL(p, C8_PREC_FP32);
        if (!strcmp(name, "conv1") || !strcmp(name, "relu1")) CU_ASSERT_EQUAL(p, C8_PREC_INT8);
    }
    c8_engine_destroy(e);
    c8_model_destroy(m);
    c8_report_destroy(r);

    /* no steps allowed: the target cannot be met, and the report says so */
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    CU_ASSERT_EQUAL(run_fallback(r, 5.0, 0, &err), C8_ERR_LIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "drift target"));
    CU_ASSERT(!c8_report_fallback_met(r));
    CU_ASSERT_EQUAL(c8_report_fallback_num_steps(r), 1);
    c8_report_destroy(r);
    /* a target the all-INT8 engine already meets: no layer is added */
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    CU_ASSERT_EQUAL(run_fallback(r, 100.0, -1, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_report_fallback_num_layers(r), 0);
    CU_ASSERT_STRING_EQUAL(c8_report_fallback_spec(r), "");
    c8_report_destroy(r);
    /* the sequence measure (a CTC blank) on a classifier's (N, classes) output: refused, naming
     * the output (the recognizer's search: tests/engine/test_paddleocr_rec.sh) */
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    CU_ASSERT_EQUAL(run_fallback_ctc(r, 5.0, -1, 0, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(N, T, classes) sequence"));
    c8_report_destroy(r);
}

static int sh(const char *cmd) {
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli(void) {
    setup();
    if (!c8t_exists(CALIB8)) C8_SKIP("%s not built", CALIB8);
    const char *q = " --no-shuffle --scale 1/255 --quiet";
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s compare --model %s --calib %s --data %s%s --layer-images 16 --dump %s "
             "--report %s > %s 2>&1",
             CALIB8, TINY, OUT "tiny.cache", OUT "tiny.h5", q, OUT "cli_dump.h5", OUT "cli_compare",
             OUT "cli_compare.log");
    CU_ASSERT_EQUAL(sh(cmd), 0);
    CU_ASSERT_EQUAL(rc_check_report(OUT "cli_compare/report.json", NULL), 0);
    CU_ASSERT(c8t_exists(OUT "cli_compare/report.md"));
    CU_ASSERT(c8t_exists(OUT "cli_compare/report.html"));
    CU_ASSERT(c8t_exists(OUT "cli_dump.h5"));
    snprintf(cmd, sizeof cmd,
             "%s build --model %s --precision int8 --calib %s --max-drift 1 --data %s%s "
             "--fallback-images 120 --report %s --plan %s > %s 2>&1",
             CALIB8, TINY, OUT "tiny.cache", OUT "tiny.h5", q, OUT "cli_build",
             OUT "cli_build.plan", OUT "cli_build.log");
    CU_ASSERT_EQUAL(sh(cmd), 0);
    CU_ASSERT(c8t_exists(OUT "cli_build.plan"));
    c8_json *j = NULL;
    CU_ASSERT_EQUAL(rc_check_report(OUT "cli_build/report.json", &j), 0);
    if (j) {
        const c8_json *fb = c8_json_get(j, "fallback_search");
        CU_ASSERT(fb && fb->type == C8_JSON_OBJ && c8_json_get(fb, "met")->b);
        CU_ASSERT_EQUAL(c8_json_get_num(fb, "images", -1), 120.0);
        const c8_json *steps = c8_json_get(fb, "steps");
        CU_ASSERT(steps && steps->n >= 2);
        if (steps && steps->n >= 2)
            CU_ASSERT_STRING_EQUAL(c8_json_get_str(&steps->kids[1], "added"), "fc[1]");
        c8_json_free(j);
    }
    /* the plan keeps fc[1] in FP32 */
    c8_engine *e = NULL;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_engine_load(OUT "cli_build.plan", &e, &err), C8_OK);
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *name;
        c8_precision p;
        c8_engine_layer(e, i, &name, NULL, &p, NULL);
        if (!strcmp(name, "fc[1]")) CU_ASSERT_EQUAL(p, C8_PREC_FP32);
    }
    c8_engine_destroy(e);
    /* usage errors: exit 2 */
    snprintf(cmd, sizeof cmd,
             "%s build --model %s --precision int8 --calib %s --max-drift 1 "
             "--plan %s > /dev/null 2>&1",
             CALIB8, TINY, OUT "tiny.cache", OUT "x.plan");
    CU_ASSERT_EQUAL(sh(cmd), 2); /* --max-drift without --data */
    snprintf(cmd, sizeof cmd, "%s compare --model %s --data %s --report %s > /dev/null 2>&1",
             CALIB8, TINY, OUT "tiny.h5", OUT "x");
    CU_ASSERT_EQUAL(sh(cmd), 2); /* int8 without --calib */
    snprintf(cmd, sizeof cmd, "%s compare --help > /dev/null 2>&1", CALIB8);
    CU_ASSERT_EQUAL(sh(cmd), 0);
}

/* The bundled Fashion-MNIST CNN on the real test set: INT8 within 0.5 top-1 points of FP32
 * after the automatic fallback, on the first 500 test images, calibrated on the 200 after them
 * (skipped without the model or the data). */
static void test_fmnist(void) {
    const char *model = C8_SOURCE_DIR "/models/fmnist_cnn.onnx";
    const char *idx = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *lab = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (!c8t_exists(model)) C8_SKIP("%s absent", model);
    if (!c8t_exists(idx) || !c8t_exists(lab)) C8_SKIP("Fashion-MNIST test set absent");
    c8_error err = {0};
    c8_idx_convert_opts co;
    c8_idx_convert_opts_init(&co);
    co.images_path = idx;
    co.labels_path = lab;
    co.out_path = OUT "fmnist.h5";
    co.limit = 700;
    co.force = true;
    int64_t nw;
    CU_ASSERT_EQUAL_FATAL(c8_idx_convert(&co, &nw, &err), C8_OK);
    c8_preprocess pre;
    c8_preprocess_init(&pre);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_set(&pre, "scale", "0.00392156862745098", NULL, &err),
                          C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_set(&pre, "mean", "0.2860", NULL, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_preprocess_set(&pre, "std", "0.3530", NULL, &err), C8_OK);
    c8_model *m = NULL;
    c8_dataset *ds = NULL;
    c8_loader *ld = NULL;
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    CU_ASSERT_EQUAL_FATAL(c8_model_load(model, NULL, &m, &err), C8_OK);
    c8_dataset_spec spec;
    c8_dataset_spec_init(&spec);
    spec.path = OUT "fmnist.h5";
    spec.shuffle = false;
    CU_ASSERT_EQUAL_FATAL(c8_dataset_open(&spec, &ds, &err), C8_OK);
    /* calibrate on images 500..699. With mse: entropy (the default) clips this model hard
     * (`calib8 compare` shows the input threshold at the background pixels' |x| and ReLU outputs
     * at 128.5 bins), which makes the search add every layer: slow, and a test of calibration
     * rather than of the search, which the tiny model covers step by step. */
    lo.first = 500;
    lo.count = 200;
    CU_ASSERT_EQUAL_FATAL(c8_loader_create(ds, &pre, 1, 28, 28, &lo, &ld, &err), C8_OK);
    c8_calibrate_opts cal;
    c8_calibrate_opts_init(&cal);
    cal.algo = "mse";
    cal.progress = C8_PROGRESS_QUIET;
    c8_calibrate_result res;
    CU_ASSERT_EQUAL_FATAL(c8_calibrate(m, ds, ld, lo.batch, &cal, OUT "fmnist.cache", &res, &err),
                          C8_OK);
    c8_loader_destroy(ld);
    lo.first = 0;
    lo.count = -1;
    c8_report *r = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_report_create(&r, &err), C8_OK);
    c8_calib_cache *cc = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_load_for_model(OUT "fmnist.cache", c8_model_sha256(m),
                                                        false, NULL, &cc, &err),
                          C8_OK);
    c8_scale_source src = c8_calib_cache_scales(cc);
    c8_build_options bo;
    c8_build_options_init(&bo);
    bo.precision = C8_PREC_INT8;
    bo.scales = &src;
    c8_fallback_options fo;
    c8_fallback_options_init(&fo);
    fo.max_drift = 0.5;
    fo.images = 500;
    fo.rank_images = 32;
    fo.calib_cache = OUT "fmnist.cache";
    fo.progress = C8_PROGRESS_QUIET;
    c8_status s = c8_report_fallback(r, m, &bo, ds, &pre, &lo, &fo, &err);
    c8_calib_cache_destroy(cc);
    if (s) printf("\n  fmnist fallback: %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
    for (int i = 0; i < c8_report_fallback_num_steps(r); i++) {
        c8_report_fallback_step st;
        c8_report_fallback_get_step(r, i, &st);
        printf("\n  fmnist step %d: %s top-1 %.2f%% drift %.2f", i, st.added ? st.added : "-",
               st.top1, st.drift);
        if (i == c8_report_fallback_num_steps(r) - 1) CU_ASSERT(st.drift <= 0.5);
    }
    CU_ASSERT_EQUAL(c8_report_write(r, OUT "fmnist_report", &err), C8_OK);
    CU_ASSERT_EQUAL(rc_check_report(OUT "fmnist_report/report.json", NULL), 0);
    c8_report_destroy(r);
    c8_dataset_destroy(ds);
    c8_model_destroy(m);
}

static const c8_test_case k_cases[] = {
    {"compare on the tiny model (+dump)", test_compare},
    {"compare with a histogram file", test_compare_histfile},
    {"automatic fallback on the tiny model", test_fallback},
    {"calib8 compare and build --max-drift", test_cli},
    {"automatic fallback on the Fashion-MNIST CNN", test_fmnist},
};

C8T_MAIN("reports_run", k_cases)
