/* Fuzz target entry points (see targets.h): arbitrary bytes through each of calib8's parsers.
 *
 * Parsers whose public entry takes a path get the bytes through a scratch file in a per-process
 * folder (/dev/shm when it is writable, else /tmp), removed at exit. Where a parse succeeds the
 * target goes on with what a user would do next (build and run a model on small inputs under a
 * memory limit, print a plan's layers, preprocess a decoded image), and checks the invariants
 * that the format's documentation promises (a cache formats to bytes that parse back to the same
 * cache; saving a loaded plan twice gives the same bytes). */
#define _GNU_SOURCE /* mkdtemp */
#include "fuzz/targets.h"

#include "calib8/calib.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "datasets/source.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/npy.h"
#include "util/sha256.h"

#include <hdf5.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Memory a fuzzed engine may use for activations; larger needs are refused (C8_ERR_LIMIT). */
#define FUZZ_MAX_MEMORY ((uint64_t)64 << 20)
/* Elements per input tensor a fuzzed engine is run on; larger inputs are not run (speed). */
#define FUZZ_MAX_INPUT_ELEMS ((int64_t)1 << 16)
/* Decoded images larger than this are not preprocessed (speed). */
#define FUZZ_MAX_PRE_PIXELS ((int64_t)1 << 20)

static void default_fail(const char *target, const char *what) {
    fprintf(stderr, "fuzz target %s: invariant broken: %s\n", target, what);
    abort();
}

void (*c8_fuzz_fail)(const char *target, const char *what) = default_fail;

/* ------------------------------------------------------------------ scratch files */

static char g_dir[64];
static FILE *g_null;

static const char *const k_scratch[] = {
    "model.onnx", "calib.cache", "calib.cache.json", "sidecar.json", "a.plan", "b.plan",
    "c.plan",     "hist.h5",     "list.txt",         "classes.txt",  "data.h5"};

static void cleanup(void) {
    if (!g_dir[0]) return;
    char p[128];
    for (size_t i = 0; i < sizeof k_scratch / sizeof k_scratch[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", g_dir, k_scratch[i]);
        unlink(p);
    }
    rmdir(g_dir);
    if (g_null) fclose(g_null);
}

static const char *scratch_dir(void) {
    if (g_dir[0]) return g_dir;
    snprintf(g_dir, sizeof g_dir, "%s/c8fuzz.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("c8 fuzz: mkdtemp");
        abort();
    }
    g_null = fopen("/dev/null", "w");
    if (!g_null) abort();
    atexit(cleanup);
    return g_dir;
}

/* Writes data to <scratch>/name (a plain write: this is test input, not a calib8 output) and
 * returns the path in buf. */
static const char *scratch_file(const char *name, const void *data, size_t size, char *buf,
                                size_t len) {
    snprintf(buf, len, "%s/%s", scratch_dir(), name);
    FILE *f = fopen(buf, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(buf);
        abort();
    }
    return buf;
}

static uint64_t hash64(const uint8_t *d, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 1099511628211ULL;
    return h;
}

/* ------------------------------------------------------------------ engines */

/* Runs e once on deterministic inputs (dynamic extents = 1) when every input is small, under
 * FUZZ_MAX_MEMORY; every error is an acceptable outcome, a crash is not. */
static void run_engine(c8_engine *e) {
    int n = c8_engine_num_inputs(e);
    if (n <= 0 || n > 8) return;
    c8_host_tensor in[8];
    void *bufs[8] = {0};
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        memset(&in[i], 0, sizeof in[i]);
        c8_engine_input(e, i, &in[i].name, &in[i].dtype, &in[i].shape);
        for (int d = 0; d < in[i].shape.rank; d++)
            if (in[i].shape.d[d] < 0) in[i].shape.d[d] = 1;
        int64_t numel = c8_shape_numel(&in[i].shape);
        size_t es = c8_dtype_size(in[i].dtype);
        if (numel < 0 || numel > FUZZ_MAX_INPUT_ELEMS || es == 0) {
            ok = false;
            break;
        }
        bufs[i] = calloc((size_t)(numel ? numel : 1), es);
        if (!bufs[i]) abort();
        /* small positive values; integer inputs (shape tensors, indices) stay 0 or 1 */
        if (in[i].dtype == C8_DT_FLOAT)
            for (int64_t k = 0; k < numel; k++) ((float *)bufs[i])[k] = (float)(k % 7) * 0.25f;
        else if (in[i].dtype == C8_DT_INT64)
            for (int64_t k = 0; k < numel; k++) ((int64_t *)bufs[i])[k] = 1;
        in[i].data = bufs[i];
    }
    c8_context *c = NULL;
    c8_error err = {0};
    if (ok && c8_context_create(e, &c, &err) == C8_OK) {
        c8_context_set_max_memory(c, FUZZ_MAX_MEMORY);
        if (c8_context_run(c, in, n, &err) == C8_OK) {
            for (int i = 0; i < c8_engine_num_outputs(e); i++) {
                c8_host_tensor o;
                if (c8_context_output(c, i, &o, &err) != C8_OK)
                    c8_fuzz_fail("engine", "c8_context_output failed after a good run");
            }
            if (c8_context_memory(c) > FUZZ_MAX_MEMORY)
                c8_fuzz_fail("engine", "a context holds more than its memory limit");
        }
    }
    c8_context_destroy(c);
    for (int i = 0; i < n; i++) free(bufs[i]);
}

/* A cache giving every calibration tensor of m the same scale, for INT8 builds. */
static bool write_uniform_cache(const c8_model *m, const char *path) {
    const char *const *names;
    int nt = c8_model_calibration_tensors(m, &names);
    c8_calib_cache *cache;
    c8_error err = {0};
    if (c8_calib_cache_create(NULL, "EntropyCalibration2", &cache, &err) != C8_OK) return false;
    bool ok = true;
    for (int i = 0; i < nt && ok; i++)
        ok = c8_calib_cache_set(cache, names[i], 0.05f, &err) == C8_OK;
    if (ok) ok = c8_calib_cache_write(cache, path, &err) == C8_OK;
    c8_calib_cache_destroy(cache);
    return ok;
}

int c8_fuzz_onnx(const uint8_t *data, size_t size) {
    char path[128], cpath[128];
    scratch_file("model.onnx", data, size, path, sizeof path);
    c8_model *m = NULL;
    c8_error err = {0};
    if (c8_model_load(path, NULL, &m, &err) != C8_OK) return 0;
    c8_model_print(m, g_null);
    /* Pick a precision from the bytes so mutations reach every lowering. */
    uint64_t h = hash64(data, size);
    c8_build_options bo;
    c8_build_options_init(&bo);
    c8_calib_cache *cc = NULL;
    bo.passes = (h >> 8) & 1;
    switch (h % 3) {
    case 0: bo.precision = C8_PREC_FP32; break;
    case 1: bo.precision = C8_PREC_FP16; break;
    default:
        bo.precision = C8_PREC_INT8;
        snprintf(cpath, sizeof cpath, "%s/calib.cache", scratch_dir());
        if (!write_uniform_cache(m, cpath) ||
            c8_calib_cache_load_for_model(cpath, c8_model_sha256(m), false, NULL, &cc, &err))
            bo.precision = C8_PREC_FP32;
        break;
    }
    c8_scale_source src = c8_calib_cache_scales(cc);
    if (cc) bo.scales = &src;
    c8_engine *e = NULL;
    if (c8_engine_build(m, &bo, &e, &err) == C8_OK) {
        c8_engine_print_layers(e, g_null);
        run_engine(e);
    }
    c8_engine_destroy(e);
    c8_calib_cache_destroy(cc);
    c8_model_destroy(m);
    return 0;
}

/* ------------------------------------------------------------------ calibration files */

int c8_fuzz_cache(const uint8_t *data, size_t size) {
    c8_calib_cache *c = NULL, *c2 = NULL;
    c8_error err = {0};
    if (c8_calib_cache_parse((const char *)data, size, "fuzz.cache", &c, &err) != C8_OK) return 0;
    /* Round trip: the formatted bytes parse back to the same tensors, scales and header, and
     * format to the same bytes again. */
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    if (c8_calib_cache_format(c, &t1, &n1, &err) != C8_OK)
        c8_fuzz_fail("cache", "a parsed cache does not format");
    else if (c8_calib_cache_parse(t1, n1, "formatted", &c2, &err) != C8_OK)
        c8_fuzz_fail("cache", "a formatted cache does not parse back");
    else {
        if (c8_calib_cache_count(c) != c8_calib_cache_count(c2) ||
            strcmp(c8_calib_cache_trt_version(c), c8_calib_cache_trt_version(c2)) ||
            strcmp(c8_calib_cache_trt_algorithm(c), c8_calib_cache_trt_algorithm(c2)) ||
            c8_calib_cache_final_newline(c) != c8_calib_cache_final_newline(c2) ||
            c8_calib_cache_noncanonical(c2) != 0)
            c8_fuzz_fail("cache", "the round trip changed the header or the tensor count");
        for (int64_t i = 0; i < c8_calib_cache_count(c); i++) {
            if (strcmp(c8_calib_cache_name(c, i), c8_calib_cache_name(c2, i)) ||
                c8_calib_cache_bits(c, i) != c8_calib_cache_bits(c2, i))
                c8_fuzz_fail("cache", "the round trip changed a tensor");
            if (c8_calib_cache_find(c, c8_calib_cache_name(c, i)) != i)
                c8_fuzz_fail("cache", "find does not return a tensor's own index");
        }
        if (c8_calib_cache_format(c2, &t2, &n2, &err) != C8_OK || n1 != n2 || memcmp(t1, t2, n1))
            c8_fuzz_fail("cache", "formatting is not idempotent");
        if (c8_calib_cache_noncanonical(c) == 0 && (n1 != size || memcmp(t1, data, size)))
            c8_fuzz_fail("cache", "a canonical cache does not format to its own bytes");
    }
    free(t1);
    free(t2);
    c8_calib_cache_destroy(c2);
    c8_calib_cache_destroy(c);
    return 0;
}

int c8_fuzz_sidecar(const uint8_t *data, size_t size) {
    char path[128];
    scratch_file("sidecar.json", data, size, path, sizeof path);
    c8_calib_sidecar *s = NULL;
    c8_error err = {0};
    if (c8_calib_sidecar_read(path, &s, &err) != C8_OK) return 0;
    const c8_calib_info *info = c8_calib_sidecar_info(s);
    (void)c8_calib_sidecar_cache_sha256(s);
    int64_t n = c8_calib_sidecar_tensor_count(s);
    if (n < 0) c8_fuzz_fail("sidecar", "negative tensor count");
    for (int64_t i = 0; i < n; i++) {
        const c8_calib_tensor_stat *t = c8_calib_sidecar_tensor(s, i);
        if (!t || !t->name) c8_fuzz_fail("sidecar", "a tensor without a name");
    }
    /* Check a cache against it, as `calib8 build` does; problems are expected. */
    c8_calib_cache *cache = NULL;
    if (c8_calib_cache_create(NULL, "EntropyCalibration2", &cache, &err) == C8_OK) {
        for (int64_t i = 0; i < n && i < 4; i++)
            c8_calib_cache_set(cache, c8_calib_sidecar_tensor(s, i)->name, 0.5f, &err);
        c8_calib_expect ex = {0};
        ex.algorithm = info && info->algorithm ? "entropy" : NULL;
        c8_calib_check("fuzz.cache", cache, s, &ex, NULL, NULL, &err);
        c8_calib_cache_destroy(cache);
    }
    c8_calib_sidecar_destroy(s);
    return 0;
}

/* depth: 0 for the root; values nest at most 64 levels below it (util/json.c) */
static void json_walk(const c8_json *j, int depth) {
    if (depth > 64) c8_fuzz_fail("json", "the DOM is deeper than the documented limit of 64");
    if (j->type == C8_JSON_STR && !j->str) c8_fuzz_fail("json", "a string without data");
    if (j->type == C8_JSON_OBJ)
        for (size_t i = 0; i < j->n; i++)
            if (!j->keys[i]) c8_fuzz_fail("json", "an object member without a key");
    if (j->type == C8_JSON_ARR || j->type == C8_JSON_OBJ)
        for (size_t i = 0; i < j->n; i++) json_walk(&j->kids[i], depth + 1);
}

int c8_fuzz_json(const uint8_t *data, size_t size) {
    c8_json *j = NULL;
    c8_error err = {0};
    if (c8_json_parse((const char *)data, size, "fuzz.json", &j, &err) != C8_OK) {
        if (err.msg[0] == '\0') c8_fuzz_fail("json", "an error without a message");
        return 0;
    }
    json_walk(j, 0);
    (void)c8_json_get_str(j, "format");
    (void)c8_json_get_num(j, "format_version", 0);
    c8_json_free(j);
    return 0;
}

/* ------------------------------------------------------------------ plans */

#define PLAN_HEADER 72

int c8_fuzz_plan(const uint8_t *data, size_t size) {
    char path[128], p2[128], p3[128];
    /* The payload is covered by a length and a SHA-256 in the header, which a mutation almost
     * never keeps right: fix both up (unless the input's first header byte after the magic has
     * its top bit set, so the header checks themselves stay reachable). */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) abort();
    memcpy(buf, data, size);
    if (size >= PLAN_HEADER && !(buf[8] & 0x80)) {
        uint64_t plen = size - PLAN_HEADER;
        for (int i = 0; i < 8; i++) buf[32 + i] = (uint8_t)(plen >> (8 * i));
        c8_sha256 h;
        c8_sha256_init(&h);
        c8_sha256_update(&h, buf + PLAN_HEADER, plen);
        c8_sha256_final(&h, buf + 40);
    }
    scratch_file("a.plan", buf, size, path, sizeof path);
    free(buf);
    c8_engine *e = NULL, *e2 = NULL;
    c8_error err = {0};
    if (c8_engine_load(path, &e, &err) != C8_OK) return 0;
    c8_engine_print_layers(e, g_null);
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *name, *op, *reason;
        c8_precision p;
        c8_engine_layer(e, i, &name, &op, &p, &reason);
        if (!name || !op || !reason) c8_fuzz_fail("plan", "a layer without a name");
        (void)c8_engine_tensor_scale(e, name);
    }
    /* Saving is idempotent: load(save(e)) saves to the same bytes. */
    snprintf(p2, sizeof p2, "%s/b.plan", scratch_dir());
    snprintf(p3, sizeof p3, "%s/c.plan", scratch_dir());
    if (c8_engine_save(e, p2, &err) != C8_OK)
        c8_fuzz_fail("plan", "a loaded plan does not save");
    else if (c8_engine_load(p2, &e2, &err) != C8_OK)
        c8_fuzz_fail("plan", "a saved plan does not load");
    else if (c8_engine_save(e2, p3, &err) != C8_OK)
        c8_fuzz_fail("plan", "a reloaded plan does not save");
    else {
        unsigned char *b2, *b3;
        size_t n2, n3;
        if (c8_read_file(p2, 0, &b2, &n2, &err) != C8_OK) abort();
        if (c8_read_file(p3, 0, &b3, &n3, &err) != C8_OK) abort();
        if (n2 != n3 || memcmp(b2, b3, n2)) c8_fuzz_fail("plan", "save(load(save)) differs");
        free(b2);
        free(b3);
    }
    c8_engine_destroy(e2);
    run_engine(e);
    c8_engine_destroy(e);
    return 0;
}

/* ------------------------------------------------------------------ HDF5 */

/* Every HDF5 object calib8 opened is closed again, on every path: an identifier left open keeps
 * the file (and its memory) open for the life of the process. */
static void check_h5_closed(const char *target) {
    ssize_t open_ids = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (open_ids != 0) c8_fuzz_fail(target, "HDF5 identifiers left open");
}

int c8_fuzz_histfile(const uint8_t *data, size_t size) {
    char path[128];
    scratch_file("hist.h5", data, size, path, sizeof path);
    c8_calib_histfile *f = NULL;
    c8_error err = {0};
    c8_status loaded = c8_calib_histfile_load(path, &f, &err);
    check_h5_closed("histfile");
    if (loaded != C8_OK) return 0;
    int64_t n = c8_calib_histfile_count(f);
    (void)c8_calib_histfile_info(f);
    for (int64_t i = 0; i < n; i++)
        if (!c8_calib_histfile_name(f, i) || !c8_calib_histfile_hist(f, i))
            c8_fuzz_fail("histfile", "a tensor without a name or histogram");
    /* Thresholds from the loaded histograms, as `calib8 cache from-histograms` computes them. */
    if (n > 0 && n <= 64) {
        c8_calib_tensor_stat *st = calloc((size_t)n, sizeof *st);
        if (!st) abort();
        c8_calib_compute(c8_calib_algo_find("entropy"), NULL, c8_calib_histfile_names(f),
                         c8_calib_histfile_hists(f), n, st, &err);
        free(st);
    }
    c8_calib_histfile_destroy(f);
    return 0;
}

int c8_fuzz_h5dataset(const uint8_t *data, size_t size) {
    char path[128];
    scratch_file("data.h5", data, size, path, sizeof path);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.path = path;
    sp.kind = C8_DATASET_HDF5;
    sp.shuffle = false;
    c8_dataset *ds = NULL;
    c8_error err = {0};
    if (c8_dataset_open(&sp, &ds, &err) != C8_OK) {
        check_h5_closed("h5dataset");
        return 0;
    }
    (void)c8_dataset_manifest(ds);
    c8_item_buf b = {0};
    for (int64_t i = 0; i < c8_dataset_count(ds) && i < 3; i++) {
        c8_src_image src;
        c8_dataset_read_item(ds, i, &b, &src, &err);
    }
    c8_item_buf_free(&b);
    c8_dataset_destroy(ds);
    check_h5_closed("h5dataset");
    return 0;
}

/* ------------------------------------------------------------------ images */

static int fuzz_image(const char *target, const uint8_t *data, size_t size) {
    c8_image img;
    c8_error err = {0};
    if (c8_image_decode(data, size, "fuzz.img", &img, &err) != C8_OK) {
        if (img.data) c8_fuzz_fail(target, "a failed decode left data behind");
        return 0;
    }
    if (img.h <= 0 || img.w <= 0 || (img.c != 1 && img.c != 3) || !img.data ||
        img.h * img.w * img.c > C8_IMAGE_MAX_SAMPLES)
        c8_fuzz_fail(target, "a decoded image outside the documented shapes");
    /* Touch every sample (uninitialised rows show under MSan/valgrind) and preprocess. */
    unsigned sum = 0;
    for (int64_t i = 0; i < img.h * img.w * img.c; i++) sum += img.data[i];
    (void)sum;
    if (img.h * img.w <= FUZZ_MAX_PRE_PIXELS) {
        c8_preprocess p;
        c8_preprocess_init(&p);
        p.resize = C8_RESIZE_SHORTER;
        p.resize_short = 7;
        p.crop_h = p.crop_w = 7;
        p.channels = C8_CHANNELS_RGB;
        float out[3 * 7 * 7];
        c8_preprocess_apply(&p, &img, "fuzz.img", 3, 7, 7, out, &err);
    }
    c8_image_free(&img);
    return 0;
}

int c8_fuzz_png(const uint8_t *data, size_t size) { return fuzz_image("png", data, size); }
int c8_fuzz_jpeg(const uint8_t *data, size_t size) { return fuzz_image("jpeg", data, size); }

/* ------------------------------------------------------------------ list files */

#define CLASSES_SEP "\n%%classes%%\n"

int c8_fuzz_list(const uint8_t *data, size_t size) {
    /* Input: a list file, optionally followed by CLASSES_SEP and a class-names file. */
    char lpath[128], cpath[128];
    const uint8_t *sep = NULL;
    size_t sl = strlen(CLASSES_SEP);
    for (size_t i = 0; i + sl <= size && !sep; i++)
        if (!memcmp(data + i, CLASSES_SEP, sl)) sep = data + i;
    size_t nl = sep ? (size_t)(sep - data) : size;
    scratch_file("list.txt", data, nl, lpath, sizeof lpath);
    if (sep) scratch_file("classes.txt", sep + sl, size - nl - sl, cpath, sizeof cpath);
    uint64_t h = hash64(data, size);
    c8_dataset_spec sp;
    c8_dataset_spec_init(&sp);
    sp.labels_path = lpath;
    sp.classes_path = sep ? cpath : NULL;
    sp.shuffle = h & 1;
    sp.stratified = (h >> 1) & 1;
    sp.seed = h >> 8;
    sp.images = (h >> 2) & 1 ? (int64_t)((h >> 3) % 5) + 1 : -1;
    c8_dataset *ds = NULL;
    c8_error err = {0};
    if (c8_dataset_open(&sp, &ds, &err) != C8_OK) return 0;
    int64_t n = c8_dataset_count(ds), k = c8_dataset_num_classes(ds);
    if (n <= 0 || n > c8_dataset_total(ds)) c8_fuzz_fail("list", "selection count out of range");
    for (int64_t i = 0; i < n; i++) {
        int64_t l = c8_dataset_label(ds, i);
        if (!c8_dataset_name(ds, i)) c8_fuzz_fail("list", "an image without a name");
        if (l < 0 || l >= k) c8_fuzz_fail("list", "a label outside the class count");
    }
    for (int64_t i = 0; i < k; i++)
        if (!c8_dataset_class_name(ds, i)) c8_fuzz_fail("list", "a class without a name");
    const char *man = c8_dataset_manifest(ds);
    if (!man || strncmp(man, "calib8-manifest 1\n", 18))
        c8_fuzz_fail("list", "a manifest without its header");
    c8_dataset_destroy(ds);
    return 0;
}

/* ------------------------------------------------------------------ .npy */

int c8_fuzz_npy(const uint8_t *data, size_t size) {
    c8_npy a;
    c8_error err = {0};
    if (c8_npy_parse(data, size, "fuzz.npy", &a, &err) != C8_OK) return 0;
    size_t want = a.count * c8_npy_type_size(a.type);
    if (a.nbytes != want || (a.nbytes && !a.data) || a.rank < 0 || a.rank > C8_NPY_MAX_RANK)
        c8_fuzz_fail("npy", "a parsed array whose size does not match its shape");
    c8_npy_free(&a);
    return 0;
}

/* ------------------------------------------------------------------ table */

const c8_fuzz_target c8_fuzz_targets[] = {
    {"onnx", c8_fuzz_onnx}, {"cache", c8_fuzz_cache},         {"sidecar", c8_fuzz_sidecar},
    {"json", c8_fuzz_json}, {"plan", c8_fuzz_plan},           {"histfile", c8_fuzz_histfile},
    {"png", c8_fuzz_png},   {"jpeg", c8_fuzz_jpeg},           {"list", c8_fuzz_list},
    {"npy", c8_fuzz_npy},   {"h5dataset", c8_fuzz_h5dataset},
};
const int c8_fuzz_ntargets = (int)(sizeof c8_fuzz_targets / sizeof c8_fuzz_targets[0]);
