/* The bundled Fashion-MNIST models end to end, against PyTorch's own outputs committed with them
 * (models/ref/): the FP32 engine reproduces the first 100 logits and the predicted class of all
 * 10,000 test images; calibration caches do not depend on batch size or order; INT8 and FP16 stay
 * within the accuracy targets of issue 6 (INT8 within 0.5 top-1 points of FP32, FP16 within
 * 0.1); the fast CPU device (oneDNN) predicts the same class as the reference on every image in
 * FP32 and gives identical INT8 logits. Data come from Debian's dataset-fashion-mnist IDX files,
 * converted here; everything skips cleanly when the models or the data are absent. */
#include "c8test.h"

#include "calib8/calib.h"
#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "util/fileio.h"
#include "util/err.h"
#include "util/npy.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDX "/usr/share/datasets/fashion-mnist/"
#define WORK C8_BINARY_DIR "/test_models_work"
/* PyTorch (CPU) vs calib8's reference kernels: different float32 summation orders over at most a
 * few thousand terms; the issue asks for 1e-4 relative error (max |a-b| / max |b|). */
#define LOGIT_RTOL 1e-4
#define INT8_MAX_DROP 0.5 /* top-1 points, issue 6 */
#define FP16_MAX_DROP 0.1
#define EVAL_BATCH 200

static const char *k_models[] = {"fmnist_cnn", "fmnist_resnet"};

/* Test images evaluated: all 10,000, or the first 2,000 with C8_TEST_QUICK=1 (the sanitizer
 * build in CI, where the reference kernels run several times slower). */
static int64_t eval_images(void) {
    const char *q = getenv("C8_TEST_QUICK");
    return q && *q && strcmp(q, "0") ? 2000 : 10000;
}

static int cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

static int have(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Converts an IDX pair (its first `limit` images, -1 all) to HDF5 under WORK once. */
static int make_h5_limit(const char *images, const char *labels, const char *out, int64_t limit) {
    if (have(out)) return 1;
    if (!have(images)) return 0;
    c8_error err = {0};
    c8_mkdirs(WORK, &err);
    c8_idx_convert_opts o;
    c8_idx_convert_opts_init(&o);
    o.images_path = images;
    o.labels_path = labels;
    o.out_path = out;
    o.limit = limit;
    int64_t n = 0;
    c8_status s = c8_idx_convert(&o, &n, &err);
    if (s) printf("\n  convert: %s", err.msg);
    return s == C8_OK;
}

static int make_h5(const char *images, const char *labels, const char *out) {
    return make_h5_limit(images, labels, out, -1);
}

static int test_data(void) {
    return make_h5(IDX "t10k-images-idx3-ubyte.gz", IDX "t10k-labels-idx1-ubyte.gz",
                   WORK "/test.h5");
}

static int train_data(void) {
    return make_h5(IDX "train-images-idx3-ubyte.gz", IDX "train-labels-idx1-ubyte.gz",
                   WORK "/train.h5");
}

static void preprocess(c8_preprocess *p) {
    c8_error err = {0};
    c8_preprocess_init(p);
    c8_preprocess_set(p, "scale", "0.00392156862745098", NULL, &err);
    c8_preprocess_set(p, "mean", "0.2860", NULL, &err);
    c8_preprocess_set(p, "std", "0.3530", NULL, &err);
    c8_preprocess_set(p, "channels", "gray", NULL, &err);
}

static char *model_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, C8_SOURCE_DIR "/models/%s.onnx", name);
    return buf;
}

typedef struct {
    int64_t n, top1;
    int32_t *pred;    /* argmax per image, in manifest order */
    float *logits100; /* the first 100 images' logits */
    float *logits;    /* every image's logits (n, 10), in manifest order */
} eval_result;

/* One batch of the evaluation, copied out of the loader. */
typedef struct {
    int64_t n;
    float *x;
    int64_t ids[EVAL_BATCH], labels[EVAL_BATCH];
} eval_batch;

typedef struct {
    c8_engine *e;
    eval_batch *b;
    int64_t nb;
    atomic_llong next; /* the next batch to run */
    atomic_llong hits; /* images whose top-1 is their label */
    eval_result *r;
    c8_status s; /* the first failure (under mu) */
    c8_error err;
    pthread_mutex_t mu;
} eval_job;

/* A worker: its own context over the shared engine, batches taken in turn; each image's results
 * land at its manifest index, so the outcome does not depend on which thread ran it. */
static void *eval_worker(void *arg) {
    eval_job *j = arg;
    c8_context *ctx = NULL;
    c8_error err = {0};
    c8_status s = c8_context_create(j->e, &ctx, &err);
    int64_t k;
    while (s == C8_OK && (k = atomic_fetch_add(&j->next, 1)) < j->nb) {
        const eval_batch *b = &j->b[k];
        c8_host_tensor in = {NULL, C8_DT_FLOAT, {4, {b->n, 1, 28, 28}}, b->x};
        c8_host_tensor out;
        s = c8_context_run(ctx, &in, 1, &err);
        if (s == C8_OK) s = c8_context_output(ctx, 0, &out, &err);
        if (s != C8_OK) break;
        const float *y = out.data;
        for (int64_t i = 0; i < b->n; i++) {
            int64_t id = b->ids[i];
            int best = 0;
            for (int c = 1; c < 10; c++)
                if (y[i * 10 + c] > y[i * 10 + best]) best = c;
            j->r->pred[id] = best;
            memcpy(j->r->logits + id * 10, y + i * 10, 10 * sizeof(float));
            if (best == b->labels[i]) atomic_fetch_add(&j->hits, 1);
        }
    }
    c8_context_destroy(ctx);
    if (s != C8_OK) {
        pthread_mutex_lock(&j->mu);
        if (j->s == C8_OK) {
            j->s = s;
            j->err = err;
        }
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

/* Runs engine e over ds (unshuffled) and fills r, on `workers` contexts at once: the reference
 * kernels run on one thread each, and on CI's two cores two contexts halve the time of the
 * suite's reference evaluations; the fast backend has threads of its own (workers = 1). */
static c8_status evaluate_on(c8_engine *e, const c8_dataset *ds, int workers, eval_result *r,
                             c8_error *err) {
    memset(r, 0, sizeof *r);
    c8_preprocess pre;
    preprocess(&pre);
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    lo.batch = EVAL_BATCH;
    c8_loader *ld = NULL;
    int64_t total = c8_dataset_count(ds);
    r->pred = malloc((size_t)total * sizeof(int32_t));
    r->logits100 = calloc(1000, sizeof(float));
    r->logits = calloc((size_t)total * 10, sizeof(float));
    int64_t cap = total / EVAL_BATCH + 1;
    eval_job j = {.e = e, .b = calloc((size_t)cap, sizeof(eval_batch)), .r = r};
    atomic_init(&j.next, 0);
    atomic_init(&j.hits, 0);
    pthread_mutex_init(&j.mu, NULL);
    c8_status s = r->pred && r->logits100 && r->logits && j.b
                      ? c8_loader_create(ds, &pre, 1, 28, 28, &lo, &ld, err)
                      : c8_err(err, C8_ERR_NOMEM, "out of memory");
    while (s == C8_OK) {
        const c8_batch *b;
        s = c8_loader_next(ld, &b, err);
        if (s != C8_OK || !b) break;
        if (j.nb == cap) {
            s = c8_err(err, C8_ERR_INTERNAL, "more batches than images");
            break;
        }
        eval_batch *eb = &j.b[j.nb++];
        eb->n = b->n;
        eb->x = malloc((size_t)b->n * 784 * sizeof(float));
        if (!eb->x) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(eb->x, b->data, (size_t)b->n * 784 * sizeof(float));
        memcpy(eb->ids, b->ids, (size_t)b->n * sizeof(int64_t));
        memcpy(eb->labels, b->labels, (size_t)b->n * sizeof(int64_t));
        r->n += b->n;
    }
    c8_loader_destroy(ld);
    if (s == C8_OK) {
        pthread_t th[8];
        int started = 0;
        if (workers > 8) workers = 8;
        for (int t = 1; t < workers; t++)
            if (pthread_create(&th[started], NULL, eval_worker, &j) == 0) started++;
        eval_worker(&j);
        for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
        s = j.s;
        if (s != C8_OK) *err = j.err;
        r->top1 = atomic_load(&j.hits);
        memcpy(r->logits100, r->logits, (size_t)(total < 100 ? total : 100) * 10 * sizeof(float));
    }
    for (int64_t k = 0; k < j.nb; k++) free(j.b[k].x);
    free(j.b);
    pthread_mutex_destroy(&j.mu);
    return s;
}

static c8_status evaluate(c8_engine *e, const c8_dataset *ds, eval_result *r, c8_error *err) {
    return evaluate_on(e, ds, 1, r, err);
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

static c8_engine *build_on(const char *model, c8_precision p, const char *cache, c8_device dev) {
    c8_model *m = NULL;
    c8_engine *e = NULL;
    c8_error err = {0};
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = p;
    o.device = dev;
    c8_calib_cache *cc = NULL;
    c8_scale_source src;
    c8_status s = c8_model_load(model, NULL, &m, &err);
    if (s == C8_OK && cache) {
        s = c8_calib_cache_load_for_model(cache, c8_model_sha256(m), false, NULL, &cc, &err);
        src = c8_calib_cache_scales(cc);
        o.scales = &src;
    }
    if (s == C8_OK) c8_engine_build(m, &o, &e, &err);
    if (!e) printf("\n  build %s: %s", model, err.msg);
    c8_calib_cache_destroy(cc);
    c8_model_destroy(m);
    return e;
}

static c8_engine *build(const char *model, c8_precision p, const char *cache) {
    return build_on(model, p, cache, C8_DEVICE_CPU);
}

static void free_result(eval_result *r) {
    free(r->pred);
    free(r->logits100);
    free(r->logits);
}

static void test_fp32_matches_pytorch(void) {
    if (!have(model_path("fmnist_cnn"))) C8_SKIP("models/*.onnx not present");
    if (!test_data()) C8_SKIP("Fashion-MNIST IDX files not installed (dataset-fashion-mnist)");
    int64_t ne = eval_images();
    c8_dataset *ds = open_h5(WORK "/test.h5", ne, false, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(c8_dataset_count(ds), ne);
    for (size_t mi = 0; mi < sizeof k_models / sizeof k_models[0]; mi++) {
        char ref[512], top[512];
        snprintf(ref, sizeof ref, C8_SOURCE_DIR "/models/ref/%s_logits100.npy", k_models[mi]);
        snprintf(top, sizeof top, C8_SOURCE_DIR "/models/ref/%s_top1.npy", k_models[mi]);
        c8_npy lr, tr;
        c8_error err = {0};
        CU_ASSERT_EQUAL_FATAL(c8_npy_read(ref, &lr, &err), C8_OK);
        CU_ASSERT_EQUAL_FATAL(c8_npy_read(top, &tr, &err), C8_OK);
        CU_ASSERT_EQUAL_FATAL(lr.count, 1000);
        CU_ASSERT_EQUAL_FATAL(tr.count, 10000);
        c8_engine *e = build(model_path(k_models[mi]), C8_PREC_FP32, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        eval_result r;
        c8_status s = evaluate(e, ds, &r, &err);
        if (s) printf("\n  %s", err.msg);
        CU_ASSERT_EQUAL_FATAL(s, C8_OK);
        const float *want = lr.data;
        double maxd = 0, maxb = 0;
        int wi = 0;
        for (int i = 0; i < 1000; i++) {
            double d = fabs((double)r.logits100[i] - want[i]);
            if (d > maxd) {
                maxd = d;
                wi = i;
            }
            if (fabs(want[i]) > maxb) maxb = fabs(want[i]);
        }
        printf("\n  %s: logits max |diff| %.3g at %d (max |logit| %.3g, rel %.3g)", k_models[mi],
               maxd, wi, maxb, maxd / maxb);
        CU_ASSERT(maxd / maxb <= LOGIT_RTOL);
        const int64_t *tp = tr.data;
        int64_t same = 0;
        for (int64_t i = 0; i < ne; i++) same += tp[i] == r.pred[i];
        printf("; top-1 agreement with PyTorch %lld/%lld, FP32 top-1 %.2f%%", (long long)same,
               (long long)ne, 100.0 * (double)r.top1 / (double)ne);
        CU_ASSERT_EQUAL(same, ne);
        free_result(&r);
        c8_npy_free(&lr);
        c8_npy_free(&tr);
        c8_engine_destroy(e);
    }
    c8_dataset_destroy(ds);
}

/* Calibrates model on the first `images` images of the (shuffled, seed) training set. */
static c8_status calibrate_on(const char *data, const char *model, int64_t images, int64_t batch,
                              uint64_t seed, const char *cache, c8_error *err) {
    c8_dataset *ds = open_h5(data, images, true, seed);
    if (!ds) return c8_err(err, C8_ERR_IO, "no training data");
    c8_model *m = NULL;
    c8_loader *ld = NULL;
    c8_preprocess pre;
    preprocess(&pre);
    c8_loader_opts lo;
    c8_loader_opts_init(&lo);
    lo.batch = batch;
    c8_calibrate_opts co;
    c8_calibrate_opts_init(&co);
    /* mse: entropy's KL search stops just above the activation spikes that uniform image
     * backgrounds cause in early layers of these models (bench/results/fmnist-accuracy.md) */
    co.algo = "mse";
    co.progress = C8_PROGRESS_QUIET;
    co.preprocessing_json = "\"fmnist\"";
    c8_calibrate_result res;
    c8_status s = c8_model_load(model, NULL, &m, err);
    if (s == C8_OK) s = c8_loader_create(ds, &pre, 1, 28, 28, &lo, &ld, err);
    if (s == C8_OK) s = c8_calibrate(m, ds, ld, batch, &co, cache, &res, err);
    c8_loader_destroy(ld);
    c8_model_destroy(m);
    c8_dataset_destroy(ds);
    return s;
}

static c8_status calibrate(const char *model, int64_t images, int64_t batch, uint64_t seed,
                           const char *cache, c8_error *err) {
    return calibrate_on(WORK "/train.h5", model, images, batch, seed, cache, err);
}

static int same_file(const char *a, const char *b) {
    unsigned char *pa, *pb;
    size_t na, nb;
    c8_error err = {0};
    if (c8_read_file(a, 0, &pa, &na, &err) || c8_read_file(b, 0, &pb, &nb, &err)) return 0;
    int same = na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

static void test_calibration_invariance(void) {
    if (!have(model_path("fmnist_cnn"))) C8_SKIP("models/*.onnx not present");
    if (!make_h5_limit(IDX "train-images-idx3-ubyte.gz", IDX "train-labels-idx1-ubyte.gz",
                       WORK "/train64.h5", 64))
        C8_SKIP("Fashion-MNIST IDX files not installed");
    const char *m = model_path("fmnist_resnet"), *d = WORK "/train64.h5";
    c8_error err = {0};
    /* the same 64 images in batches of 32, 7 and 1 and in three different orders (shuffle
     * seeds) give byte-identical caches */
    CU_ASSERT_EQUAL_FATAL(calibrate_on(d, m, -1, 32, 1, WORK "/inv_a.cache", &err), C8_OK);
    CU_ASSERT_EQUAL(calibrate_on(d, m, -1, 7, 1, WORK "/inv_b.cache", &err), C8_OK);
    CU_ASSERT_EQUAL(calibrate_on(d, m, -1, 1, 1, WORK "/inv_c.cache", &err), C8_OK);
    CU_ASSERT_EQUAL(calibrate_on(d, m, -1, 32, 2, WORK "/inv_d.cache", &err), C8_OK);
    CU_ASSERT_EQUAL(calibrate_on(d, m, -1, 7, 3, WORK "/inv_e.cache", &err), C8_OK);
    CU_ASSERT(same_file(WORK "/inv_a.cache", WORK "/inv_b.cache"));
    CU_ASSERT(same_file(WORK "/inv_a.cache", WORK "/inv_c.cache"));
    CU_ASSERT(same_file(WORK "/inv_a.cache", WORK "/inv_d.cache"));
    CU_ASSERT(same_file(WORK "/inv_a.cache", WORK "/inv_e.cache"));
    /* determinism of the whole output, sidecar included (no timestamps) */
    CU_ASSERT_EQUAL(calibrate_on(d, m, -1, 32, 1, WORK "/inv_f.cache", &err), C8_OK);
    CU_ASSERT(same_file(WORK "/inv_a.cache", WORK "/inv_f.cache"));
    CU_ASSERT(same_file(WORK "/inv_a.cache.json", WORK "/inv_f.cache.json"));
}

static void test_int8_fp16_accuracy(void) {
    if (!have(model_path("fmnist_cnn"))) C8_SKIP("models/*.onnx not present");
    if (!train_data() || !test_data()) C8_SKIP("Fashion-MNIST IDX files not installed");
    c8_dataset *ds = open_h5(WORK "/test.h5", eval_images(), false, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    for (size_t mi = 0; mi < sizeof k_models / sizeof k_models[0]; mi++) {
        const char *m = model_path(k_models[mi]);
        char cache[512];
        snprintf(cache, sizeof cache, WORK "/%s.cache", k_models[mi]);
        c8_error err = {0};
        c8_status s = calibrate(m, 500, 50, 0, cache, &err);
        if (s) printf("\n  %s", err.msg);
        CU_ASSERT_EQUAL_FATAL(s, C8_OK);
        eval_result r[3];
        c8_precision ps[3] = {C8_PREC_FP32, C8_PREC_FP16, C8_PREC_INT8};
        for (int p = 0; p < 3; p++) {
            c8_engine *e = build(m, ps[p], ps[p] == C8_PREC_INT8 ? cache : NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(e);
            CU_ASSERT_EQUAL_FATAL(evaluate(e, ds, &r[p], &err), C8_OK);
            c8_engine_destroy(e);
        }
        double t32 = 100.0 * (double)r[0].top1 / (double)r[0].n;
        double t16 = 100.0 * (double)r[1].top1 / (double)r[1].n;
        double t8 = 100.0 * (double)r[2].top1 / (double)r[2].n;
        int64_t agree = 0;
        for (int64_t i = 0; i < r[0].n; i++) agree += r[0].pred[i] == r[2].pred[i];
        printf("\n  %s: top-1 FP32 %.2f%%, FP16 %.2f%%, INT8 %.2f%% (INT8 agrees with FP32 on "
               "%lld/%lld)",
               k_models[mi], t32, t16, t8, (long long)agree, (long long)r[0].n);
        CU_ASSERT(t32 - t8 <= INT8_MAX_DROP);
        CU_ASSERT(fabs(t32 - t16) <= FP16_MAX_DROP);
        for (int p = 0; p < 3; p++) free_result(&r[p]);
    }
    c8_dataset_destroy(ds);
}

/* The fast CPU device (oneDNN) against the reference (cpu-ref) on every evaluated image: FP32
 * predicts the same class for every image (the sums differ in order only), INT8 gives the same
 * logits bit for bit (docs/int8-semantics.md). Uses the MSE caches int8_fp16_accuracy made. */
static void test_fast_matches_reference(void) {
    if (!c8_device_cpu_fast())
        C8_SKIP("this calib8 has no fast CPU backend (built without oneDNN)");
    if (!have(model_path("fmnist_cnn"))) C8_SKIP("models/*.onnx not present");
    if (!test_data()) C8_SKIP("Fashion-MNIST IDX files not installed");
    c8_dataset *ds = open_h5(WORK "/test.h5", eval_images(), false, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    for (size_t mi = 0; mi < sizeof k_models / sizeof k_models[0]; mi++) {
        const char *m = model_path(k_models[mi]);
        char cache[512];
        snprintf(cache, sizeof cache, WORK "/%s.cache", k_models[mi]);
        c8_error err = {0};
        if (!have(cache)) CU_ASSERT_EQUAL_FATAL(calibrate(m, 500, 50, 0, cache, &err), C8_OK);
        c8_precision ps[2] = {C8_PREC_FP32, C8_PREC_INT8};
        for (int p = 0; p < 2; p++) {
            eval_result r[2];
            c8_device devs[2] = {C8_DEVICE_CPU_REF, C8_DEVICE_CPU};
            for (int d = 0; d < 2; d++) {
                c8_engine *e = build_on(m, ps[p], ps[p] == C8_PREC_INT8 ? cache : NULL, devs[d]);
                CU_ASSERT_PTR_NOT_NULL_FATAL(e);
                /* the reference: one context per core */
                int workers = devs[d] == C8_DEVICE_CPU_REF ? cores() : 1;
                CU_ASSERT_EQUAL_FATAL(evaluate_on(e, ds, workers, &r[d], &err), C8_OK);
                c8_engine_destroy(e);
            }
            int64_t top_diff = 0, logit_diff = 0;
            for (int64_t i = 0; i < r[0].n; i++) top_diff += r[0].pred[i] != r[1].pred[i];
            for (int64_t i = 0; i < r[0].n * 10; i++)
                logit_diff += memcmp(&r[0].logits[i], &r[1].logits[i], sizeof(float)) != 0;
            printf("\n  %s %s: cpu vs cpu-ref on %lld images: top-1 differs on %lld, %lld of %lld "
                   "logits differ",
                   k_models[mi], p ? "INT8" : "FP32", (long long)r[0].n, (long long)top_diff,
                   (long long)logit_diff, (long long)(r[0].n * 10));
            CU_ASSERT_EQUAL(top_diff, 0);
            if (ps[p] == C8_PREC_INT8) CU_ASSERT_EQUAL(logit_diff, 0);
            free_result(&r[0]);
            free_result(&r[1]);
        }
    }
    c8_dataset_destroy(ds);
}

static const c8_test_case cases[] = {
    {"fp32_matches_pytorch", test_fp32_matches_pytorch},
    {"calibration_invariance", test_calibration_invariance},
    {"int8_fp16_accuracy", test_int8_fp16_accuracy},
    {"fast_matches_reference", test_fast_matches_reference},
};
C8T_MAIN("models", cases)
