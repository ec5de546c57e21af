/* Tests for calib/sidecar.c and calib/histfile.c: cache + sidecar written by c8_calib_save
 * (deterministic bytes, read back), the checker's mismatch messages, malformed sidecars, HDF5
 * histogram file round trips (recomputed thresholds equal the direct ones) and corrupt or
 * missing histogram files. */
#include "c8test.h"

#include "calib8/calib.h"
#include "util/fileio.h"

#include <hdf5.h>
#include <math.h>

#define SHA_MODEL "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_OTHER "2222222222222222222222222222222222222222222222222222222222222222"
#define SHA_DATA "3333333333333333333333333333333333333333333333333333333333333333"

enum { NT = 4 };
static const char *k_names[NT] = {"input", "/model.0/conv/Conv_output_0", "onnx::Add_7: x",
                                  "zeros"};

/* Four tensors' histograms: two exponential-ish, one with an outlier, one all zero. */
static void make_hists(c8_hist *h[NT]) {
    c8_error err = {0};
    c8t_rng r = {5150};
    float v[4000];
    for (int t = 0; t < NT; t++) {
        CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h[t], &err), C8_OK);
        for (int k = 0; k < 4000; k++) {
            float x = -logf(c8t_uniform(&r, 1e-6f, 1.0f)) * (float)(t + 1);
            v[k] = t == 3 ? 0.0f : (k & 1 ? -x : x);
        }
        if (t == 2) v[17] = 500.0f;
        CU_ASSERT_EQUAL_FATAL(c8_hist_add(h[t], v, 4000, k_names[t], 0, &err), C8_OK);
    }
}

static void fill_info(c8_calib_info *info, const char *algo) {
    c8_calib_info_init(info);
    info->algorithm = algo;
    info->nbins = 2048;
    info->model_sha256 = SHA_MODEL;
    info->dataset_sha256 = SHA_DATA;
    info->dataset_images = 5000;
    info->preprocessing = "{\"resize\": [224, 224], \"mean\": [0.485, 0.456, 0.406], "
                          "\"layout\": \"NCHW\", \"bgr\": false}";
    info->batch_size = 32;
    info->images = 500;
}

static char *slurp(const char *path, size_t *len) {
    c8_error err = {0};
    unsigned char *b = NULL;
    CU_ASSERT_EQUAL(c8_read_file(path, 0, &b, len, &err), C8_OK);
    return (char *)b;
}

typedef struct collected {
    int n;
    char msgs[16][C8_ERROR_MSG_MAX];
} collected;

static void collect(void *ctx, const char *problem) {
    collected *c = ctx;
    if (c->n < 16) snprintf(c->msgs[c->n], C8_ERROR_MSG_MAX, "%s", problem);
    c->n++;
}

static bool has(const collected *c, const char *s) {
    for (int i = 0; i < c->n && i < 16; i++)
        if (strstr(c->msgs[i], s)) return true;
    return false;
}

static void test_save_and_sidecar(void) {
    c8_error err = {0};
    c8_hist *h[NT];
    make_hists(h);
    c8_calib_info info;
    fill_info(&info, "percentile");
    info.params.percentile = 99.9;
    c8_calib_tensor_stat st[NT];
    CU_ASSERT_EQUAL_FATAL(c8_calib_compute(c8_calib_algo_find("percentile"), &info.params, k_names,
                                           (const c8_hist *const *)h, NT, st, &err),
                          C8_OK);
    const char *cp = C8_BINARY_DIR "/test_calib_files.cache";
    const char *sp = C8_BINARY_DIR "/test_calib_files.cache.json";
    CU_ASSERT_EQUAL_FATAL(c8_calib_save(cp, NULL, NULL, &info, st, NT, &err), C8_OK);
    size_t l1, s1, l2, s2;
    char *c1 = slurp(cp, &l1), *j1 = slurp(sp, &s1);
    /* determinism: a second save gives the same bytes (no timestamp anywhere) */
    CU_ASSERT_EQUAL_FATAL(c8_calib_save(cp, NULL, NULL, &info, st, NT, &err), C8_OK);
    char *c2 = slurp(cp, &l2), *j2 = slurp(sp, &s2);
    CU_ASSERT_TRUE(l1 == l2 && !memcmp(c1, c2, l1));
    CU_ASSERT_TRUE(s1 == s2 && !memcmp(j1, j2, s1));
    CU_ASSERT_EQUAL(strncmp(c1, "TRT-100300-calib8Percentile\ninput: ", 35), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(c1, "\nzeros: 3c010204\n")); /* the all-zero tensor: 1/127 */
    CU_ASSERT_PTR_NOT_NULL(strstr(j1, "\"percentile\": 99.900000000000006"));
    CU_ASSERT_PTR_NULL(strstr(j1, "mxnet_eps"));

    c8_calib_cache *cache;
    c8_calib_sidecar *sc;
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_read(cp, &cache, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_calib_sidecar_read(sp, &sc, &err), C8_OK);
    const c8_calib_info *ri = c8_calib_sidecar_info(sc);
    CU_ASSERT_STRING_EQUAL(ri->algorithm, "percentile");
    CU_ASSERT_EQUAL(ri->params.percentile, 99.9);
    CU_ASSERT_EQUAL(ri->nbins, 2048);
    CU_ASSERT_STRING_EQUAL(ri->model_sha256, SHA_MODEL);
    CU_ASSERT_STRING_EQUAL(ri->dataset_sha256, SHA_DATA);
    CU_ASSERT_EQUAL(ri->dataset_images, 5000);
    CU_ASSERT_EQUAL(ri->batch_size, 32);
    CU_ASSERT_EQUAL(ri->images, 500);
    CU_ASSERT_PTR_NOT_NULL(ri->calib8_version);
    CU_ASSERT_PTR_NOT_NULL(strstr(ri->preprocessing, "\"layout\": \"NCHW\""));
    CU_ASSERT_EQUAL_FATAL(c8_calib_sidecar_tensor_count(sc), NT);
    for (int t = 0; t < NT; t++) {
        const c8_calib_tensor_stat *s = c8_calib_sidecar_tensor(sc, t);
        CU_ASSERT_STRING_EQUAL(s->name, k_names[t]);
        CU_ASSERT_EQUAL(s->scale, st[t].scale);
        CU_ASSERT_EQUAL(s->threshold, st[t].threshold);
        CU_ASSERT_EQUAL(s->absmax, st[t].absmax);
        CU_ASSERT_STRING_EQUAL(s->algo, "percentile");
        CU_ASSERT_EQUAL(c8_calib_cache_scale(cache, t), st[t].scale);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(j1, "\"format_version\": 2"));
    char sha[65];
    CU_ASSERT_EQUAL(c8_calib_cache_sha256(cache, sha, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(c8_calib_sidecar_cache_sha256(sc), sha);

    /* everything matches */
    c8_calib_expect ex = {0};
    ex.model_sha256 = SHA_MODEL;
    ex.dataset_sha256 = SHA_DATA;
    ex.algorithm = "percentile";
    ex.tensors = k_names;
    ex.ntensors = NT;
    ex.check_tensors = true;
    collected col = {0};
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, sc, &ex, collect, &col, &err), C8_OK);
    CU_ASSERT_EQUAL(col.n, 0);

    /* another model */
    ex.model_sha256 = SHA_OTHER;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, sc, &ex, NULL, NULL, &err), C8_ERR_MISMATCH);
    char want[512];
    snprintf(want, sizeof want,
             "%s: cache was made for a different model: sha256 %s, this model %s", cp, SHA_MODEL,
             SHA_OTHER);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    ex.model_sha256 = SHA_MODEL;

    /* reading it for a build (what calib8 build --calib does): the same check, said as a stale
     * cache; --allow-cache-mismatch turns it into a warning */
    c8_calib_cache *lc = NULL;
    CU_ASSERT_EQUAL(c8_calib_cache_load_for_model(cp, SHA_OTHER, false, NULL, &lc, &err),
                    C8_ERR_MISMATCH);
    CU_ASSERT_PTR_NULL(lc);
    char stale[700];
    snprintf(stale, sizeof stale,
             "stale calibration cache (rebuild it with calib8 calibrate, or pass "
             "--allow-cache-mismatch): %s",
             want);
    CU_ASSERT_STRING_EQUAL(err.msg, stale);
    FILE *log = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_EQUAL_FATAL(c8_calib_cache_load_for_model(cp, SHA_OTHER, true, log, &lc, &err),
                          C8_OK);
    char line[700] = "", wline[720];
    rewind(log);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, log));
    fclose(log);
    snprintf(wline, sizeof wline, "warning: %s (used anyway)\n", want);
    CU_ASSERT_STRING_EQUAL(line, wline);
    /* the scale source over it: every tensor of the cache, and the cache's sha256 */
    c8_scale_source src = c8_calib_cache_scales(lc);
    float sv = 0;
    CU_ASSERT_TRUE(src.get(src.user, k_names[1], &sv));
    CU_ASSERT_EQUAL(sv, st[1].scale);
    CU_ASSERT_FALSE(src.get(src.user, "no such tensor", &sv));
    CU_ASSERT_STRING_EQUAL(src.sha256, sha);
    c8_calib_cache_destroy(lc);
    lc = NULL;
    CU_ASSERT_EQUAL(c8_calib_cache_load_for_model(cp, SHA_MODEL, false, NULL, &lc, &err), C8_OK);
    c8_calib_cache_destroy(lc);
    lc = NULL;
    /* by model file: the cache file itself is not the model it was made for */
    CU_ASSERT_EQUAL(c8_calib_cache_load_checked(cp, cp, &lc, &err), C8_ERR_MISMATCH);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cache was made for a different model"));
    CU_ASSERT_EQUAL(c8_calib_cache_load_checked(cp, NULL, &lc, &err), C8_OK);
    /* a change to the cache changes the source's provenance */
    CU_ASSERT_EQUAL(c8_calib_cache_set(lc, "extra", 0.5f, &err), C8_OK);
    src = c8_calib_cache_scales(lc);
    CU_ASSERT_STRING_NOT_EQUAL(src.sha256, sha);
    char sha2[65];
    CU_ASSERT_EQUAL(c8_calib_cache_sha256(lc, sha2, &err), C8_OK);
    CU_ASSERT_STRING_EQUAL(src.sha256, sha2);
    c8_calib_cache_destroy(lc);

    /* the model needs a tensor the cache lacks, and lacks one the cache has */
    const char *model_tensors[NT] = {"input", "conv3_out", "onnx::Add_7: x", "zeros"};
    ex.tensors = model_tensors;
    col.n = 0;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, sc, &ex, collect, &col, &err), C8_ERR_MISMATCH);
    CU_ASSERT_EQUAL(col.n, 2);
    CU_ASSERT_TRUE(has(&col, "tensor 'conv3_out' has no scale in the cache"));
    CU_ASSERT_TRUE(has(&col, "tensor '/model.0/conv/Conv_output_0' in the cache (line 3) is not "
                             "in the model"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(and 1 more problem)"));
    ex.allow_extra = true;
    col.n = 0;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, sc, &ex, collect, &col, &err), C8_ERR_MISMATCH);
    CU_ASSERT_EQUAL(col.n, 1);
    ex.allow_extra = false;
    ex.tensors = k_names;

    /* other algorithm and dataset */
    ex.algorithm = "entropy";
    ex.dataset_sha256 = SHA_OTHER;
    col.n = 0;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, sc, &ex, collect, &col, &err), C8_ERR_MISMATCH);
    CU_ASSERT_TRUE(has(&col, "cache was made with algorithm 'percentile', not 'entropy'"));
    CU_ASSERT_TRUE(has(&col,
                       "cache was calibrated on a different dataset: manifest sha256 " SHA_DATA
                       ", this dataset " SHA_OTHER));
    ex.algorithm = "percentile";
    ex.dataset_sha256 = SHA_DATA;

    /* the cache edited after calibration: sha and the changed scale are both reported */
    CU_ASSERT_EQUAL(c8_calib_cache_set(cache, "input", 1.0f, &err), C8_OK);
    col.n = 0;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, sc, &ex, collect, &col, &err), C8_ERR_MISMATCH);
    CU_ASSERT_TRUE(has(&col, "the sidecar describes a different cache"));
    CU_ASSERT_TRUE(
        has(&col, "tensor 'input': the cache's scale 3f800000 differs from the sidecar's"));

    /* without a sidecar: coverage, zero/inf scales and the header token */
    CU_ASSERT_EQUAL(c8_calib_cache_set(cache, "zeros", 0.0f, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_cache_set(cache, "input", INFINITY, &err), C8_OK);
    col.n = 0;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, NULL, &ex, collect, &col, &err), C8_ERR_MISMATCH);
    CU_ASSERT_TRUE(has(&col, "tensor 'zeros' (line 5) has a zero scale (0)"));
    CU_ASSERT_TRUE(has(&col, "tensor 'input' (line 2) has an infinite scale (7f800000)"));
    CU_ASSERT_EQUAL(col.n, 2); /* the header matches "percentile"; no sidecar, no sha checks */
    ex.algorithm = "minmax";
    col.n = 0;
    CU_ASSERT_EQUAL(c8_calib_check(cp, cache, NULL, &ex, collect, &col, &err), C8_ERR_MISMATCH);
    CU_ASSERT_TRUE(has(&col, "cache header says 'calib8Percentile' but algorithm 'minmax' writes "
                             "'MinMaxCalibration'"));

    c8_calib_sidecar_destroy(sc);
    c8_calib_cache_destroy(cache);
    free(c1);
    free(c2);
    free(j1);
    free(j2);

    /* the TensorRT token override and refusal of non-finite scales */
    CU_ASSERT_EQUAL(c8_calib_save(cp, "8601", "EntropyCalibration2", &info, st, NT, &err), C8_OK);
    c1 = slurp(cp, &l1);
    CU_ASSERT_EQUAL(strncmp(c1, "TRT-8601-EntropyCalibration2\n", 29), 0);
    free(c1);
    c8_calib_tensor_stat badst[1] = {{"x", 1.0f, 0.0, 0.0f, NULL}};
    CU_ASSERT_EQUAL(c8_calib_save(cp, NULL, NULL, &info, badst, 1, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "refusing to write scale 0"));
    info.algorithm = "kl";
    CU_ASSERT_EQUAL(c8_calib_save(cp, NULL, NULL, &info, st, NT, &err), C8_ERR_INVALID);
    info.algorithm = "percentile";
    info.preprocessing = "{not json";
    CU_ASSERT_EQUAL(c8_calib_save(cp, NULL, NULL, &info, st, NT, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "preprocessing description"));
    c1 = slurp(cp, &l1); /* a failed save writes neither file */
    CU_ASSERT_EQUAL(strncmp(c1, "TRT-8601-EntropyCalibration2\n", 29), 0);
    free(c1);
    for (int t = 0; t < NT; t++) c8_hist_destroy(h[t]);
}

/* Format 2 records each tensor's algorithm (auto's choice); a format-1 sidecar (no "algo") still
 * reads, with algo NULL; an unknown algorithm name is refused. */
static void test_sidecar_algo_versions(void) {
    c8_error err = {0};
    c8_hist *h[NT];
    make_hists(h);
    c8_calib_info info;
    fill_info(&info, "auto");
    c8_calib_tensor_stat st[NT];
    CU_ASSERT_EQUAL_FATAL(c8_calib_compute(c8_calib_algo_find("auto"), &info.params, k_names,
                                           (const c8_hist *const *)h, NT, st, &err),
                          C8_OK);
    const char *cp = C8_BINARY_DIR "/test_calib_auto.cache";
    const char *sp = C8_BINARY_DIR "/test_calib_auto.cache.json";
    CU_ASSERT_EQUAL_FATAL(c8_calib_save(cp, NULL, NULL, &info, st, NT, &err), C8_OK);
    size_t n;
    char *c1 = slurp(cp, &n), *j1 = slurp(sp, &n);
    CU_ASSERT_EQUAL(strncmp(c1, "TRT-100300-EntropyCalibration2\n", 31), 0);
    c8_calib_sidecar *sc = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_calib_sidecar_read(sp, &sc, &err), C8_OK);
    for (int t = 0; t < NT; t++) {
        const c8_calib_tensor_stat *s = c8_calib_sidecar_tensor(sc, t);
        CU_ASSERT_PTR_NOT_NULL_FATAL(st[t].algo);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s->algo);
        CU_ASSERT_STRING_EQUAL(s->algo, st[t].algo);
        /* the recorded algorithm, run alone, gives the same threshold */
        if (strcmp(st[t].algo, "auto")) {
            double thr;
            CU_ASSERT_EQUAL(c8_calib_threshold(c8_calib_algo_find(st[t].algo), h[t], &info.params,
                                               &thr, NULL, &err),
                            C8_OK);
            CU_ASSERT_EQUAL(thr, st[t].threshold);
        }
    }
    c8_calib_sidecar_destroy(sc);
    /* the same file as format 1 (no "algo" keys): read, algo unknown */
    /* line by line: drop the "algo" lines (each tensor's last key, so the line before loses
     * its comma) and write version 1 */
    char *v1 = malloc(strlen(j1) + 1), *o = v1;
    for (const char *q = j1; *q;) {
        const char *nl = strchr(q, '\n');
        size_t len = nl ? (size_t)(nl - q) + 1 : strlen(q);
        if (strstr(q, "\"algo\": ") && strstr(q, "\"algo\": ") < q + len) {
            if (o - v1 >= 2 && o[-2] == ',') { /* "...,\n" -> "...\n" */
                o[-2] = '\n';
                o--;
            }
        } else if (!strncmp(q, "  \"format_version\": 2,", 22)) {
            o += sprintf(o, "  \"format_version\": 1,\n");
        } else {
            memcpy(o, q, len);
            o += len;
        }
        q += len;
    }
    *o = '\0';
    CU_ASSERT_PTR_NULL(strstr(v1, "\"algo\""));
    const char *p1 = C8_BINARY_DIR "/test_calib_v1.cache.json";
    CU_ASSERT_EQUAL_FATAL(c8_write_file_atomic(p1, v1, strlen(v1), &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_calib_sidecar_read(p1, &sc, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_sidecar_tensor_count(sc), NT);
    for (int t = 0; t < NT; t++) {
        CU_ASSERT_PTR_NULL(c8_calib_sidecar_tensor(sc, t)->algo);
        CU_ASSERT_EQUAL(c8_calib_sidecar_tensor(sc, t)->scale, st[t].scale);
    }
    c8_calib_sidecar_destroy(sc);
    /* an unknown algorithm name */
    char *bad = malloc(strlen(j1) + 16);
    const char *a = strstr(j1, "\"algo\": \"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    a += strlen("\"algo\": \"");
    sprintf(bad, "%.*sbogus%s", (int)(a - j1), j1, strchr(a, '"'));
    CU_ASSERT_EQUAL_FATAL(c8_write_file_atomic(p1, bad, strlen(bad), &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_sidecar_read(p1, &sc, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown algorithm 'bogus' in 'algo'"));
    free(bad);
    free(v1);
    free(c1);
    free(j1);
    for (int t = 0; t < NT; t++) c8_hist_destroy(h[t]);
}

static void test_sidecar_malformed(void) {
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{", "line"},
        {"[]", "not a calib8 cache sidecar"},
        {"{\"format\": \"other\"}", "not a calib8 cache sidecar"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 3}",
         "sidecar format version 3 is not supported (this calib8 reads 1 to 2)"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 0}",
         "sidecar format version 0 is not supported"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 1, \"tensors\": []}",
         "'cache_sha256' is missing"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 1, \"cache_sha256\": "
         "\"abc\", \"tensors\": []}",
         "'cache_sha256' is not 64 lowercase hex digits"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 1, \"cache_sha256\": "
         "\"" SHA_DATA "\", \"batch_size\": -3, \"tensors\": []}",
         "'batch_size' must be a non-negative integer"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 1, \"cache_sha256\": "
         "\"" SHA_DATA "\", \"tensors\": [{\"name\": \"a\", \"scale_hex\": \"xyz\"}]}",
         "tensors[0]: 'scale_hex' is not 1-8 hex digits"},
        {"{\"format\": \"calib8-calibration-sidecar\", \"format_version\": 1, \"cache_sha256\": "
         "\"" SHA_DATA "\"}",
         "'tensors' must be an array"},
    };
    const char *path = C8_BINARY_DIR "/test_calib_bad.json";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_write_file_atomic(path, bad[i].json, strlen(bad[i].json), &err),
                              C8_OK);
        c8_calib_sidecar *s = NULL;
        CU_ASSERT_NOT_EQUAL(c8_calib_sidecar_read(path, &s, &err), C8_OK);
        CU_ASSERT_PTR_NULL(s);
        bool ok = strstr(err.msg, bad[i].msg) && strstr(err.msg, "test_calib_bad.json");
        if (!ok) printf("\n  case %zu: '%s' lacks '%s'\n", i, err.msg, bad[i].msg);
        CU_ASSERT_TRUE(ok);
    }
    char *p = c8_calib_sidecar_path("a/b.cache");
    CU_ASSERT_STRING_EQUAL(p, "a/b.cache.json");
    free(p);
}

static bool same_hist(const c8_hist *a, const c8_hist *b) {
    return c8_hist_nbins(a) == c8_hist_nbins(b) && c8_hist_range_exp(a) == c8_hist_range_exp(b) &&
           c8_hist_count(a) == c8_hist_count(b) && c8_hist_absmax(a) == c8_hist_absmax(b) &&
           c8_hist_min(a) == c8_hist_min(b) && c8_hist_max(a) == c8_hist_max(b) &&
           !memcmp(c8_hist_counts(a), c8_hist_counts(b), sizeof(uint64_t) * c8_hist_nbins(a));
}

static void test_histfile_roundtrip(void) {
    c8_error err = {0};
    c8_hist *h[NT];
    make_hists(h);
    c8_calib_info info;
    fill_info(&info, NULL);
    const char *path = C8_BINARY_DIR "/test_calib_hist.h5";
    CU_ASSERT_EQUAL_FATAL(
        c8_calib_histfile_save(path, &info, k_names, (const c8_hist *const *)h, NT, &err), C8_OK);
    size_t l1, l2;
    char *b1 = slurp(path, &l1);
    CU_ASSERT_EQUAL_FATAL(
        c8_calib_histfile_save(path, &info, k_names, (const c8_hist *const *)h, NT, &err), C8_OK);
    char *b2 = slurp(path, &l2);
    CU_ASSERT_TRUE(l1 == l2 && !memcmp(b1, b2, l1)); /* no timestamps in the file */
    free(b1);
    free(b2);

    c8_calib_histfile *f;
    CU_ASSERT_EQUAL_FATAL(c8_calib_histfile_load(path, &f, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_calib_histfile_count(f), NT);
    const c8_calib_info *ri = c8_calib_histfile_info(f);
    CU_ASSERT_PTR_NULL(ri->algorithm);
    CU_ASSERT_EQUAL(ri->nbins, 2048);
    CU_ASSERT_STRING_EQUAL(ri->model_sha256, SHA_MODEL);
    CU_ASSERT_STRING_EQUAL(ri->dataset_sha256, SHA_DATA);
    CU_ASSERT_STRING_EQUAL(ri->preprocessing, info.preprocessing);
    CU_ASSERT_EQUAL(ri->dataset_images, 5000);
    CU_ASSERT_EQUAL(ri->batch_size, 32);
    CU_ASSERT_EQUAL(ri->images, 500);
    for (int t = 0; t < NT; t++) {
        CU_ASSERT_STRING_EQUAL(c8_calib_histfile_name(f, t), k_names[t]);
        CU_ASSERT_TRUE(same_hist(c8_calib_histfile_hist(f, t), h[t]));
    }
    /* "from histograms": load + algorithm gives the same thresholds as the live histograms */
    for (int64_t a = 0; c8_calib_algo_at(a); a++) {
        c8_calib_tensor_stat s1[NT], s2[NT];
        CU_ASSERT_EQUAL(c8_calib_compute(c8_calib_algo_at(a), NULL, k_names,
                                         (const c8_hist *const *)h, NT, s1, &err),
                        C8_OK);
        CU_ASSERT_EQUAL(c8_calib_compute(c8_calib_algo_at(a), NULL, c8_calib_histfile_names(f),
                                         c8_calib_histfile_hists(f), NT, s2, &err),
                        C8_OK);
        for (int t = 0; t < NT; t++) {
            CU_ASSERT_EQUAL(s1[t].threshold, s2[t].threshold);
            CU_ASSERT_EQUAL(s1[t].scale, s2[t].scale);
        }
    }
    c8_calib_histfile_destroy(f);
    c8_calib_histfile_destroy(NULL);

    /* zero tensors is a valid (empty) file */
    CU_ASSERT_EQUAL(c8_calib_histfile_save(path, &info, NULL, NULL, 0, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_calib_histfile_load(path, &f, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_histfile_count(f), 0);
    c8_calib_histfile_destroy(f);

    /* refused on save: mixed bin counts, repeated names */
    c8_hist *small;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(1024, &small, &err), C8_OK);
    const c8_hist *mixed[2] = {h[0], small};
    CU_ASSERT_EQUAL(c8_calib_histfile_save(path, &info, k_names, mixed, 2, &err), C8_ERR_INVALID);
    const char *twice[2] = {"a", "a"};
    CU_ASSERT_EQUAL(c8_calib_histfile_save(path, &info, twice, (const c8_hist *const *)h, 2, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tensor 'a' is listed twice"));
    c8_hist_destroy(small);
    for (int t = 0; t < NT; t++) c8_hist_destroy(h[t]);
}

/* Rewrites one element of a dataset in an existing file through the HDF5 API. */
static void poke(const char *path, const char *ds, hid_t mtype, const void *value) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
    CU_ASSERT_FATAL(d >= 0);
    hid_t sp = H5Dget_space(d);
    hsize_t start[2] = {0, 0}, count[2] = {1, 1};
    CU_ASSERT(H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0);
    hid_t ms = H5Screate_simple(1, count, NULL);
    CU_ASSERT(H5Dwrite(d, mtype, ms, sp, H5P_DEFAULT, value) >= 0);
    H5Sclose(ms);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
}

static void test_histfile_errors(void) {
    c8_error err = {0};
    c8_calib_histfile *f = NULL;
    /* missing and not-HDF5 files */
    CU_ASSERT_EQUAL(c8_calib_histfile_load(C8_BINARY_DIR "/no/such.h5", &f, &err), C8_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no/such.h5: cannot open"));
    const char *txt = C8_BINARY_DIR "/test_calib_text.h5";
    CU_ASSERT_EQUAL(c8_write_file_atomic(txt, "hello\n", 6, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_calib_histfile_load(txt, &f, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "test_calib_text.h5: not an HDF5 file"));

    /* an HDF5 file that is not ours */
    const char *foreign = C8_BINARY_DIR "/test_calib_foreign.h5";
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fid = H5Fcreate(foreign, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(fid >= 0);
    H5Fclose(fid);
    CU_ASSERT_EQUAL(c8_calib_histfile_load(foreign, &f, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(err.msg, "not a calib8 histogram file (attribute 'format' is missing"));

    /* a good file, then damaged copies */
    c8_hist *h[NT];
    make_hists(h);
    c8_calib_info info;
    fill_info(&info, "entropy");
    const char *path = C8_BINARY_DIR "/test_calib_bad.h5";
    size_t len;
    CU_ASSERT_EQUAL_FATAL(
        c8_calib_histfile_save(path, &info, k_names, (const c8_hist *const *)h, NT, &err), C8_OK);
    char *good = slurp(path, &len);

    /* truncated */
    CU_ASSERT_EQUAL(c8_write_file_atomic(path, good, len / 2, &err), C8_OK);
    CU_ASSERT_NOT_EQUAL(c8_calib_histfile_load(path, &f, &err), C8_OK);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "test_calib_bad.h5"));

    /* a value count that disagrees with the bins */
    CU_ASSERT_EQUAL(c8_write_file_atomic(path, good, len, &err), C8_OK);
    uint64_t wrong = 12345;
    poke(path, "count", H5T_NATIVE_UINT64, &wrong);
    CU_ASSERT_EQUAL(c8_calib_histfile_load(path, &f, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tensor 'input': dataset 'count' says 12345 values"));

    /* a range that is not a power of two */
    CU_ASSERT_EQUAL(c8_write_file_atomic(path, good, len, &err), C8_OK);
    double r = 3.0;
    poke(path, "range", H5T_NATIVE_DOUBLE, &r);
    CU_ASSERT_EQUAL(c8_calib_histfile_load(path, &f, &err), C8_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "dataset 'range' entry 0 (3) is not a power of two"));

    /* a bin count that breaks the histogram's consistency rules */
    CU_ASSERT_EQUAL(c8_write_file_atomic(path, good, len, &err), C8_OK);
    float am = 1e-3f;
    poke(path, "absmax", H5T_NATIVE_FLOAT, &am);
    CU_ASSERT_EQUAL(c8_calib_histfile_load(path, &f, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "test_calib_bad.h5: tensor 'input' (entry 0): absmax"));

    free(good);
    for (int t = 0; t < NT; t++) c8_hist_destroy(h[t]);
}

/* The preprocessing line of a sidecar (c8_calib_sidecar_preprocessing and
 * c8_calib_cache_preprocessing): a JSON string is the line, with its escapes undone; another
 * JSON value, null or no sidecar at all give NULL; a broken sidecar is its error. */
static void test_sidecar_preprocessing_line(void) {
    c8_error err = {0};
    c8_hist *h[NT];
    make_hists(h);
    c8_calib_info info;
    fill_info(&info, "minmax");
    c8_calib_tensor_stat st[NT];
    CU_ASSERT_EQUAL_FATAL(c8_calib_compute(c8_calib_algo_find("minmax"), NULL, k_names,
                                           (const c8_hist *const *)h, NT, st, &err),
                          C8_OK);
    const char *cp = C8_BINARY_DIR "/test_calib_pre.cache";
    const char *sp = C8_BINARY_DIR "/test_calib_pre.cache.json";
    char *line = NULL;
    remove(sp);
    CU_ASSERT_EQUAL(c8_calib_cache_preprocessing(cp, &line, &err), C8_OK); /* no sidecar */
    CU_ASSERT_PTR_NULL(line);
    const struct {
        const char *json, *want;
    } cases[] = {{"\"resize=none crop=none channels=gray scale=0.5 mean=0 std=1\"",
                  "resize=none crop=none channels=gray scale=0.5 mean=0 std=1"},
                 {"\"a \\\"quoted\\\" \\u00e9\"", "a \"quoted\" \xc3\xa9"},
                 {"{\"resize\": 256}", NULL},
                 {NULL, NULL}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        info.preprocessing = cases[k].json;
        CU_ASSERT_EQUAL_FATAL(c8_calib_save(cp, NULL, NULL, &info, st, NT, &err), C8_OK);
        c8_calib_sidecar *sc = NULL;
        CU_ASSERT_EQUAL_FATAL(c8_calib_sidecar_read(sp, &sc, &err), C8_OK);
        const char *got = c8_calib_sidecar_preprocessing(sc);
        CU_ASSERT_EQUAL(c8_calib_cache_preprocessing(cp, &line, &err), C8_OK);
        if (cases[k].want) {
            CU_ASSERT_TRUE(got && !strcmp(got, cases[k].want));
            CU_ASSERT_TRUE(line && !strcmp(line, cases[k].want));
        } else {
            CU_ASSERT_PTR_NULL(got);
            CU_ASSERT_PTR_NULL(line);
        }
        free(line);
        line = NULL;
        c8_calib_sidecar_destroy(sc);
    }
    CU_ASSERT_EQUAL(c8_write_file_atomic(sp, "{\"format\": 1", 13, &err), C8_OK);
    CU_ASSERT_NOT_EQUAL(c8_calib_cache_preprocessing(cp, &line, &err), C8_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "test_calib_pre.cache.json"));
    CU_ASSERT_PTR_NULL(line);
    for (int t = 0; t < NT; t++) c8_hist_destroy(h[t]);
}

static const c8_test_case cases[] = {
    {"save_and_sidecar", test_save_and_sidecar},
    {"sidecar_preprocessing_line", test_sidecar_preprocessing_line},
    {"sidecar_malformed", test_sidecar_malformed},
    {"sidecar_algo_versions", test_sidecar_algo_versions},
    {"histfile_roundtrip", test_histfile_roundtrip},
    {"histfile_errors", test_histfile_errors},
};
C8T_MAIN("calib_files", cases)
