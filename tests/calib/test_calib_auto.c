/* The accuracy targets of `auto` (issue 20) on the bundled Fashion-MNIST models: calibrated with
 * the default algorithm (500 training images, shuffle seed 0, batch 50, as
 * bench/accuracy/fmnist_matrix.sh), INT8 top-1 is within AUTO_MAX_DROP points of FP32 and never
 * more than AUTO_MAX_BEHIND points below the best single algorithm (entropy, entropy-mxnet,
 * minmax, percentile, mse; their caches are computed from the same histograms, network inputs
 * with minmax as calibrate does). Also: the cache written by the calibration loop equals the one
 * computed offline from its histogram file (auto is a function of the histograms alone). All
 * 10,000 test images; skipped with C8_TEST_QUICK=1 (the sanitizer build). Data come
 * from Debian's dataset-fashion-mnist; everything skips when the models or the data are absent. */
#include "c8test.h"

#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "util/err.h"
#include "util/fileio.h"

#include <math.h>
#include <sys/stat.h>

#define IDX "/usr/share/datasets/fashion-mnist/"
#define WORK C8_BINARY_DIR "/test_calib_auto_work"
#define AUTO_MAX_DROP 0.3   /* top-1 points below FP32, issue 20 */
#define AUTO_MAX_BEHIND 0.2 /* top-1 points below the best single algorithm, issue 20 */

static const char *k_models[] = {"fmnist_cnn", "fmnist_resnet"};
static const char *k_single[] = {"entropy", "entropy-mxnet", "minmax", "percentile", "mse"};
enum { NSINGLE = 5 };

static bool quick(void) {
    const char *q = getenv("C8_TEST_QUICK");
    return q && *q && strcmp(q, "0");
}

/* All 10,000 test images: at 2,000 one image is 0.05 points, and algorithms that differ on a
 * few tensors differ by a few images either way (fmnist_resnet: auto 92.50%, minmax 92.75% on
 * the first 2,000; 91.69% and 91.50% on all 10,000), so a smaller sample cannot check 0.2. */
static int64_t eval_images(void) { return 10000; }

static int have(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static int make_h5(const char *images, const char *labels, const char *out) {
    if (have(out)) return 1;
    if (!have(images)) return 0;
    c8_error err = {0};
    c8_mkdirs(WORK, &err);
    c8_idx_convert_opts o;
    c8_idx_convert_opts_init(&o);
    o.images_path = images;
    o.labels_path = labels;
    o.out_path = out;
    int64_t n = 0;
    c8_status s = c8_idx_convert(&o, &n, &err);
    if (s) printf("\n  convert: %s", err.msg);
    return s == C8_OK;
}

static void preprocess(c8_preprocess *p) {
    c8_error err = {0};
    c8_preprocess_init(p);
    c8_preprocess_set(p, "scale", "0.00392156862745098", NULL, &err);
    c8_preprocess_set(p, "mean", "0.2860", NULL, &err);
    c8_preprocess_set(p, "std", "0.3530", NULL, &err);
    c8_preprocess_set(p, "channels", "gray", NULL, &err);
}

static c8_dataset *open_h5(const char *path, int64_t images, bool shuffle, uint64_t seed) {
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = path;
    sp.images = images;
    sp.shuffle = shuffle;
    sp.seed = seed;
    c8_dataset *ds = NULL;
    c8_error err = {0};
    if (c8_dataset_open(&sp, &ds, &err) != C8_OK) printf("\n  %s", err.msg);
    return ds;
}

/* Top-1 correct count of model at precision p (cache for INT8) over ds. */
static c8_status top1(const char *model, c8_precision p, const char *cache, const c8_dataset *ds,
                      int64_t *correct, c8_error *err) {
    *correct = 0;
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_context *ctx = NULL;
    c8_loader *ld = NULL;
    c8_calib_cache *cc = NULL;
    c8_scale_source scales;
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = p;
    c8_preprocess pre;
    preprocess(&pre);
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    lo.batch = 250;
    c8_status s = c8_model_load(model, NULL, &m, err);
    if (s == C8_OK && cache) {
        s = c8_calib_cache_load_checked(cache, model, &cc, err);
        if (s == C8_OK) {
            scales = c8_calib_cache_scales(cc);
            o.scales = &scales;
        }
    }
    if (s == C8_OK) s = c8_engine_build(m, &o, &e, err);
    if (s == C8_OK) s = c8_context_create(e, &ctx, err);
    if (s == C8_OK) s = c8_loader_create(ds, &pre, 1, 28, 28, &lo, &ld, err);
    while (s == C8_OK) {
        const c8_batch *b;
        s = c8_loader_next(ld, &b, err);
        if (s != C8_OK || !b) break;
        c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {b->n, 1, 28, 28}}, (void *)b->data};
        c8_host_tensor out;
        s = c8_context_run(ctx, &in, 1, err);
        if (s == C8_OK) s = c8_context_output(ctx, 0, &out, err);
        if (s != C8_OK) break;
        const float *y = out.data;
        for (int64_t i = 0; i < b->n; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++)
                if (y[i * 10 + k] > y[i * 10 + best]) best = k;
            *correct += best == b->labels[i];
        }
    }
    c8_loader_destroy(ld);
    c8_context_destroy(ctx);
    c8_engine_destroy(e);
    c8_model_destroy(m);
    c8_calib_cache_destroy(cc);
    return s;
}

/* The cache's tensor lines (the header names the algorithm): equal scales, equal engines. */
static char *cache_body(const char *path) {
    unsigned char *p;
    size_t n;
    c8_error err = {0};
    if (c8_read_file(path, 0, &p, &n, &err) != C8_OK) return NULL;
    char *nl = strchr((char *)p, '\n');
    char *body = strdup(nl ? nl + 1 : "");
    free(p);
    return body;
}

static int same_file(const char *a, const char *b) {
    unsigned char *pa, *pb;
    size_t na, nb;
    c8_error err = {0};
    if (c8_read_file(a, 0, &pa, &na, &err)) return 0;
    if (c8_read_file(b, 0, &pb, &nb, &err)) {
        free(pa);
        return 0;
    }
    int same = na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

/* Calibrates model with auto on the first 500 shuffled (seed 0) training images, batch 50,
 * saving the histograms too. */
static c8_status calibrate_auto(const char *model, const char *cache, const char *hist,
                                c8_error *err) {
    c8_dataset *ds = open_h5(WORK "/train.h5", 500, true, 0);
    if (!ds) return c8_err(err, C8_ERR_IO, "no training data");
    c8_model *m = NULL;
    c8_loader *ld = NULL;
    c8_preprocess pre;
    preprocess(&pre);
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    lo.batch = 50;
    c8_calibrate_opts co;
    c8_calibrate_opts_init(&co); /* the default algorithm: auto */
    co.progress = C8_PROGRESS_QUIET;
    co.preprocessing_json = "\"fmnist\"";
    co.histograms_path = hist;
    c8_calibrate_result res;
    c8_status s = c8_model_load(model, NULL, &m, err);
    if (s == C8_OK) s = c8_loader_create(ds, &pre, 1, 28, 28, &lo, &ld, err);
    if (s == C8_OK) s = c8_calibrate(m, ds, ld, 50, &co, cache, &res, err);
    c8_loader_destroy(ld);
    c8_model_destroy(m);
    c8_dataset_destroy(ds);
    return s;
}

/* algo's cache from the histogram file: network inputs with minmax (calibrate's --input-algo
 * default), everything else with algo. */
static c8_status cache_from_hist(const char *model, const char *hist, const char *algo,
                                 const char *cache, c8_error *err) {
    c8_calib_histfile *hf = NULL;
    c8_model *m = NULL;
    C8_TRY(c8_calib_histfile_load(hist, &hf, err));
    const int64_t n = c8_calib_histfile_count(hf);
    c8_calib_tensor_stat *st = calloc((size_t)n, sizeof *st);
    c8_calib_info info = *c8_calib_histfile_info(hf);
    info.algorithm = algo;
    info.input_algorithm = "minmax";
    c8_status s = st ? c8_model_load(model, NULL, &m, err) : C8_ERR_NOMEM;
    if (s == C8_OK)
        s = c8_calib_compute(c8_calib_algo_find(algo), &info.params, c8_calib_histfile_names(hf),
                             c8_calib_histfile_hists(hf), n, st, err);
    for (int64_t i = 0; s == C8_OK && i < n; i++)
        if (c8_model_find_input(m, st[i].name) >= 0)
            s = c8_calib_compute(c8_calib_algo_find("minmax"), &info.params, &st[i].name,
                                 &c8_calib_histfile_hists(hf)[i], 1, &st[i], err);
    if (s == C8_OK) s = c8_calib_save(cache, NULL, NULL, &info, st, n, err);
    free(st);
    c8_model_destroy(m);
    c8_calib_histfile_destroy(hf);
    return s;
}

static void test_auto_accuracy(void) {
    char model[512];
    snprintf(model, sizeof model, C8_SOURCE_DIR "/models/%s.onnx", k_models[0]);
    if (!have(model)) C8_SKIP("models/*.onnx not present");
    if (quick())
        C8_SKIP("C8_TEST_QUICK (the sanitizer build): the accuracy targets need all 10,000 test "
                "images, about 10 CPU-minutes; the normal build checks them");
    if (!make_h5(IDX "train-images-idx3-ubyte.gz", IDX "train-labels-idx1-ubyte.gz",
                 WORK "/train.h5") ||
        !make_h5(IDX "t10k-images-idx3-ubyte.gz", IDX "t10k-labels-idx1-ubyte.gz", WORK "/test.h5"))
        C8_SKIP("Fashion-MNIST IDX files not installed (dataset-fashion-mnist)");
    const int64_t ne = eval_images();
    c8_dataset *ds = open_h5(WORK "/test.h5", ne, false, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL_FATAL(c8_dataset_count(ds), ne);
    for (size_t mi = 0; mi < sizeof k_models / sizeof k_models[0]; mi++) {
        c8_error err = {0};
        char cache[512], hist[512], off[512];
        snprintf(model, sizeof model, C8_SOURCE_DIR "/models/%s.onnx", k_models[mi]);
        snprintf(cache, sizeof cache, WORK "/%s.auto.cache", k_models[mi]);
        snprintf(hist, sizeof hist, WORK "/%s.h5", k_models[mi]);
        snprintf(off, sizeof off, WORK "/%s.auto-offline.cache", k_models[mi]);
        c8_status s = calibrate_auto(model, cache, hist, &err);
        if (s) printf("\n  %s", err.msg);
        CU_ASSERT_EQUAL_FATAL(s, C8_OK);
        /* from the histogram file alone, the same cache */
        CU_ASSERT_EQUAL_FATAL(cache_from_hist(model, hist, "auto", off, &err), C8_OK);
        CU_ASSERT(same_file(cache, off));
        int64_t c32 = 0, c8a = 0, cs[NSINGLE];
        CU_ASSERT_EQUAL_FATAL(top1(model, C8_PREC_FP32, NULL, ds, &c32, &err), C8_OK);
        CU_ASSERT_EQUAL_FATAL(top1(model, C8_PREC_INT8, cache, ds, &c8a, &err), C8_OK);
        char *body_auto = cache_body(cache);
        char *bodies[NSINGLE];
        int64_t best = -1;
        printf("\n  %s (%lld images): FP32 %.2f%%, auto %.2f%%", k_models[mi], (long long)ne,
               100.0 * (double)c32 / (double)ne, 100.0 * (double)c8a / (double)ne);
        for (int a = 0; a < NSINGLE; a++) {
            char sc[512];
            snprintf(sc, sizeof sc, WORK "/%s.%s.cache", k_models[mi], k_single[a]);
            CU_ASSERT_EQUAL_FATAL(cache_from_hist(model, hist, k_single[a], sc, &err), C8_OK);
            bodies[a] = cache_body(sc);
            CU_ASSERT_PTR_NOT_NULL_FATAL(bodies[a]);
            /* the same scales give the same engine: measured once */
            int same = -1;
            for (int b = 0; b < a && same < 0; b++)
                if (!strcmp(bodies[a], bodies[b])) same = b;
            if (same >= 0)
                cs[a] = cs[same];
            else if (body_auto && !strcmp(bodies[a], body_auto))
                cs[a] = c8a;
            else
                CU_ASSERT_EQUAL_FATAL(top1(model, C8_PREC_INT8, sc, ds, &cs[a], &err), C8_OK);
            printf(", %s %.2f%%", k_single[a], 100.0 * (double)cs[a] / (double)ne);
            if (cs[a] > best) best = cs[a];
        }
        /* compared in images: d points of ne images are d * ne / 100 images */
        CU_ASSERT((double)(c32 - c8a) * 100.0 <= AUTO_MAX_DROP * (double)ne);
        CU_ASSERT((double)(best - c8a) * 100.0 <= AUTO_MAX_BEHIND * (double)ne);
        for (int a = 0; a < NSINGLE; a++) free(bodies[a]);
        free(body_auto);
    }
    c8_dataset_destroy(ds);
}

static const c8_test_case cases[] = {
    {"auto_accuracy", test_auto_accuracy},
};
C8T_MAIN("calib_auto", cases)
