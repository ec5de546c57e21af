/* The JSON sidecar beside each cache ("<cache>.json": provenance and per-tensor results), the
 * cache checker that explains mismatches, c8_calib_save (cache + sidecar), and reading a cache
 * for a build (c8_calib_cache_load_checked / _for_model: read, then check against its sidecar).
 * Format in docs/calibration.md ("Sidecar"); tests in tests/calib/test_calib_files.c. */
#include "calib/cache.h"
#include "calib/strmap.h"
#include "calib8/calib.h"
#include "calib8/config.h"
#include "calib8/engine.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/sha256.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIDECAR_FORMAT "calib8-calibration-sidecar"
#define SIDECAR_VERSION 2     /* 2: per-tensor "algo" (the algorithm behind each threshold) */
#define SIDECAR_VERSION_MIN 1 /* still read: tensors' algo is NULL */
#define PREPROC_MAX_DEPTH 16  /* the sidecar nests it 1 deep; c8_jw allows 32 */

void c8_calib_info_init(c8_calib_info *info) {
    memset(info, 0, sizeof *info);
    c8_calib_params_default(&info->params);
}

char *c8_calib_sidecar_path(const char *cache_path) {
    size_t n = strlen(cache_path);
    char *p = malloc(n + 6);
    if (!p) return NULL;
    memcpy(p, cache_path, n);
    memcpy(p + n, ".json", 6);
    return p;
}

static int json_depth(const c8_json *j) {
    int d = 0;
    if (j->type == C8_JSON_ARR || j->type == C8_JSON_OBJ)
        for (size_t i = 0; i < j->n; i++) {
            int k = json_depth(&j->kids[i]);
            d = k > d ? k : d;
        }
    return d + 1;
}

static void emit_json(c8_jw *w, const c8_json *j) {
    switch (j->type) {
    case C8_JSON_NULL: c8_jw_null(w); break;
    case C8_JSON_BOOL: c8_jw_bool(w, j->b); break;
    case C8_JSON_NUM: c8_jw_num(w, j->num); break;
    case C8_JSON_STR: c8_jw_str(w, j->str); break;
    case C8_JSON_ARR:
        c8_jw_arr_begin(w);
        for (size_t i = 0; i < j->n; i++) emit_json(w, &j->kids[i]);
        c8_jw_arr_end(w);
        break;
    case C8_JSON_OBJ:
        c8_jw_obj_begin(w);
        for (size_t i = 0; i < j->n; i++) {
            c8_jw_key(w, j->keys[i]);
            emit_json(w, &j->kids[i]);
        }
        c8_jw_obj_end(w);
        break;
    }
}

static c8_status parse_preproc(const char *text, c8_json **out, c8_error *err) {
    *out = NULL;
    if (!text) return C8_OK;
    C8_TRY(c8_json_parse(text, strlen(text), "preprocessing description", out, err));
    if (json_depth(*out) > PREPROC_MAX_DEPTH) {
        c8_json_free(*out);
        *out = NULL;
        return c8_err(err, C8_ERR_INVALID, "preprocessing description nests deeper than %d",
                      PREPROC_MAX_DEPTH);
    }
    return C8_OK;
}

static void key_str(c8_jw *w, const char *k, const char *v) {
    c8_jw_key(w, k);
    if (v)
        c8_jw_str(w, v);
    else
        c8_jw_null(w);
}

static void key_count(c8_jw *w, const char *k, int64_t v) {
    c8_jw_key(w, k);
    if (v > 0)
        c8_jw_int(w, v);
    else
        c8_jw_null(w);
}

static void write_params(c8_jw *w, const c8_calib_info *info) {
    const c8_calib_algo *a = c8_calib_algo_find(info->algorithm);
    c8_jw_key(w, "parameters");
    c8_jw_obj_begin(w);
    if (a && (a->params & C8_CALIB_PARAM_PERCENTILE)) {
        c8_jw_key(w, "percentile");
        c8_jw_num(w, info->params.percentile);
    }
    if (a && (a->params & C8_CALIB_PARAM_MXNET_EPS)) {
        c8_jw_key(w, "mxnet_eps");
        c8_jw_num(w, info->params.mxnet_eps);
    }
    c8_jw_obj_end(w);
}

/* The sidecar's bytes in memory (*buf malloc'd), so c8_calib_save can validate everything
 * before it writes either file. */
static c8_status sidecar_bytes(const char *path, const c8_calib_info *info,
                               const c8_calib_cache *cache, const c8_calib_tensor_stat *stats,
                               int64_t n, char **buf, size_t *len, c8_error *err) {
    *buf = NULL;
    *len = 0;
    char sha[65];
    C8_TRY(c8_calib_cache_sha256(cache, sha, err));
    c8_json *pre;
    c8_status st = parse_preproc(info->preprocessing, &pre, err);
    if (st != C8_OK) return c8_err_prefix(err, "%s", path);
    FILE *f = open_memstream(buf, len);
    if (!f) {
        c8_json_free(pre);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    c8_jw w;
    c8_jw_init(&w, f);
    c8_jw_obj_begin(&w);
    key_str(&w, "format", SIDECAR_FORMAT);
    c8_jw_key(&w, "format_version");
    c8_jw_int(&w, SIDECAR_VERSION);
    key_str(&w, "calib8_version", C8_VERSION_STRING);
    key_str(&w, "cache_sha256", sha);
    char header[96];
    snprintf(header, sizeof header, "TRT-%s-%s", c8_calib_cache_trt_version(cache),
             c8_calib_cache_trt_algorithm(cache));
    key_str(&w, "cache_header", header);
    key_str(&w, "algorithm", info->algorithm);
    if (info->input_algorithm) key_str(&w, "input_algorithm", info->input_algorithm);
    write_params(&w, info);
    key_count(&w, "bins", info->nbins);
    key_str(&w, "model_sha256", info->model_sha256);
    c8_jw_key(&w, "dataset");
    c8_jw_obj_begin(&w);
    key_str(&w, "manifest_sha256", info->dataset_sha256);
    key_count(&w, "images", info->dataset_images);
    c8_jw_obj_end(&w);
    c8_jw_key(&w, "preprocessing");
    if (pre)
        emit_json(&w, pre);
    else
        c8_jw_null(&w);
    key_count(&w, "batch_size", info->batch_size);
    key_count(&w, "images", info->images);
    c8_jw_key(&w, "tensors");
    c8_jw_arr_begin(&w);
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &stats[i].scale, sizeof bits);
        char hex[9];
        snprintf(hex, sizeof hex, "%x", (unsigned)bits);
        c8_jw_obj_begin(&w);
        key_str(&w, "name", stats[i].name);
        c8_jw_key(&w, "absmax");
        c8_jw_f32(&w, stats[i].absmax);
        c8_jw_key(&w, "threshold");
        c8_jw_num(&w, stats[i].threshold);
        c8_jw_key(&w, "scale");
        c8_jw_f32(&w, stats[i].scale);
        key_str(&w, "scale_hex", hex);
        key_str(&w, "algo", stats[i].algo);
        c8_jw_obj_end(&w);
    }
    c8_jw_arr_end(&w);
    c8_jw_obj_end(&w);
    c8_json_free(pre);
    if (fclose(f) != 0) {
        free(*buf);
        *buf = NULL;
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    return C8_OK;
}

c8_status c8_calib_sidecar_write(const char *path, const c8_calib_info *info,
                                 const c8_calib_cache *cache, const c8_calib_tensor_stat *stats,
                                 int64_t n, c8_error *err) {
    char *buf;
    size_t len;
    C8_TRY(sidecar_bytes(path, info, cache, stats, n, &buf, &len, err));
    c8_status st = c8_write_file_atomic(path, buf, len, err);
    free(buf);
    return st;
}

/* ---------------- reading ---------------- */

struct c8_calib_sidecar {
    c8_calib_info info;
    char cache_sha256[65];
    char *strs[6];  /* owned: version, algorithm, model, dataset, preprocessing, input algorithm */
    char *pre_line; /* owned: the preprocessing when it is a JSON string, else NULL */
    int64_t n;
    c8_calib_tensor_stat *t; /* (n), names owned via names[] */
    char **names;            /* (n) */
};

void c8_calib_sidecar_destroy(c8_calib_sidecar *s) {
    if (!s) return;
    for (int i = 0; i < 6; i++) free(s->strs[i]);
    free(s->pre_line);
    for (int64_t i = 0; i < s->n; i++) free(s->names[i]);
    free(s->names);
    free(s->t);
    free(s);
}

static c8_status get_str(const c8_json *o, const char *key, bool required, const char *path,
                         const char *where, char **out, c8_error *err) {
    *out = NULL;
    const c8_json *v = c8_json_get(o, key);
    if (!v || v->type == C8_JSON_NULL) {
        if (required) return c8_err(err, C8_ERR_PARSE, "%s: %s'%s' is missing", path, where, key);
        return C8_OK;
    }
    if (v->type != C8_JSON_STR)
        return c8_err(err, C8_ERR_PARSE, "%s: %s'%s' must be a string", path, where, key);
    *out = strdup(v->str);
    if (!*out) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    return C8_OK;
}

static c8_status get_int(const c8_json *o, const char *key, const char *path, int64_t *out,
                         c8_error *err) {
    *out = 0;
    const c8_json *v = c8_json_get(o, key);
    if (!v || v->type == C8_JSON_NULL) return C8_OK;
    if (v->type != C8_JSON_NUM || v->num < 0 || v->num > 9007199254740992.0 ||
        v->num != floor(v->num))
        return c8_err(err, C8_ERR_PARSE, "%s: '%s' must be a non-negative integer", path, key);
    *out = (int64_t)v->num;
    return C8_OK;
}

static c8_status json_to_text(const c8_json *j, char **out, c8_error *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_jw w;
    c8_jw_init(&w, f);
    emit_json(&w, j);
    if (fclose(f) != 0) {
        free(buf);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    while (len && buf[len - 1] == '\n') buf[--len] = '\0';
    *out = buf;
    return C8_OK;
}

static bool is_sha(const char *s) {
    if (strlen(s) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static c8_status read_tensors(c8_calib_sidecar *s, const c8_json *arr, const char *path,
                              c8_error *err) {
    if (!arr || arr->type != C8_JSON_ARR)
        return c8_err(err, C8_ERR_PARSE, "%s: 'tensors' must be an array", path);
    s->t = calloc(arr->n ? arr->n : 1, sizeof *s->t);
    s->names = calloc(arr->n ? arr->n : 1, sizeof *s->names);
    if (!s->t || !s->names) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < arr->n; i++) {
        const c8_json *o = &arr->kids[i];
        char where[48];
        snprintf(where, sizeof where, "tensors[%zu]: ", i);
        if (o->type != C8_JSON_OBJ)
            return c8_err(err, C8_ERR_PARSE, "%s: %sexpected an object", path, where);
        char *hex = NULL;
        C8_TRY(get_str(o, "name", true, path, where, &s->names[i], err));
        s->n = (int64_t)i + 1;
        C8_TRY(get_str(o, "scale_hex", true, path, where, &hex, err));
        unsigned long v = 0;
        char *end = NULL;
        size_t hl = strlen(hex);
        if (hl >= 1 && hl <= 8 && hex[0] != '-' && hex[0] != '+') v = strtoul(hex, &end, 16);
        bool ok = end && !*end;
        free(hex);
        if (!ok)
            return c8_err(err, C8_ERR_PARSE, "%s: %s'scale_hex' is not 1-8 hex digits", path,
                          where);
        uint32_t bits = (uint32_t)v;
        memcpy(&s->t[i].scale, &bits, sizeof bits);
        s->t[i].name = s->names[i];
        s->t[i].absmax = (float)c8_json_get_num(o, "absmax", NAN);
        s->t[i].threshold = c8_json_get_num(o, "threshold", NAN);
        /* format 2: the algorithm's name (a built-in one, so the view can point at the table's
         * static name) or null */
        char *algo = NULL;
        C8_TRY(get_str(o, "algo", false, path, where, &algo, err));
        if (algo) {
            const c8_calib_algo *a = c8_calib_algo_find(algo);
            if (!a) {
                c8_status st = c8_err(err, C8_ERR_PARSE, "%s: %sunknown algorithm '%s' in 'algo'",
                                      path, where, algo);
                free(algo);
                return st;
            }
            s->t[i].algo = a->name;
            free(algo);
        }
    }
    return C8_OK;
}

c8_status c8_calib_sidecar_read(const char *path, c8_calib_sidecar **out, c8_error *err) {
    *out = NULL;
    c8_json *root;
    C8_TRY(c8_json_parse_file(path, &root, err));
    c8_calib_sidecar *s = calloc(1, sizeof *s);
    if (!s) {
        c8_json_free(root);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    c8_calib_info_init(&s->info);
    c8_status st = C8_OK;
    const char *fmt = c8_json_get_str(root, "format");
    double ver = c8_json_get_num(root, "format_version", -1);
    const c8_json *prm = c8_json_get(root, "parameters");
    const c8_json *ds = c8_json_get(root, "dataset");
    const c8_json *pre = c8_json_get(root, "preprocessing");
    char *sha = NULL;
    if (root->type != C8_JSON_OBJ || !fmt || strcmp(fmt, SIDECAR_FORMAT)) {
        st = c8_err(err, C8_ERR_PARSE, "%s: not a calib8 cache sidecar ('format' is not '%s')",
                    path, SIDECAR_FORMAT);
        goto done;
    }
    if (ver < SIDECAR_VERSION_MIN || ver > SIDECAR_VERSION || ver != floor(ver)) {
        st = c8_err(err, C8_ERR_UNSUPPORTED,
                    "%s: sidecar format version %g is not supported (this calib8 reads %d to %d)",
                    path, ver, SIDECAR_VERSION_MIN, SIDECAR_VERSION);
        goto done;
    }
    if ((st = get_str(root, "calib8_version", false, path, "", &s->strs[0], err)) ||
        (st = get_str(root, "algorithm", false, path, "", &s->strs[1], err)) ||
        (st = get_str(root, "input_algorithm", false, path, "", &s->strs[5], err)) ||
        (st = get_str(root, "model_sha256", false, path, "", &s->strs[2], err)) ||
        (st = get_str(root, "cache_sha256", true, path, "", &sha, err)) ||
        (st = get_int(root, "bins", path, &s->info.nbins, err)) ||
        (st = get_int(root, "batch_size", path, &s->info.batch_size, err)) ||
        (st = get_int(root, "images", path, &s->info.images, err)))
        goto done;
    if (!is_sha(sha)) {
        st = c8_err(err, C8_ERR_PARSE, "%s: 'cache_sha256' is not 64 lowercase hex digits", path);
        goto done;
    }
    memcpy(s->cache_sha256, sha, 65);
    if (ds && ds->type != C8_JSON_NULL) {
        if (ds->type != C8_JSON_OBJ) {
            st = c8_err(err, C8_ERR_PARSE, "%s: 'dataset' must be an object", path);
            goto done;
        }
        if ((st = get_str(ds, "manifest_sha256", false, path, "dataset: ", &s->strs[3], err)) ||
            (st = get_int(ds, "images", path, &s->info.dataset_images, err)))
            goto done;
    }
    if (pre && pre->type != C8_JSON_NULL && (st = json_to_text(pre, &s->strs[4], err))) goto done;
    if (pre && pre->type == C8_JSON_STR && !(s->pre_line = strdup(pre->str))) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    if (prm && prm->type == C8_JSON_OBJ) {
        s->info.params.percentile = c8_json_get_num(prm, "percentile", s->info.params.percentile);
        s->info.params.mxnet_eps = c8_json_get_num(prm, "mxnet_eps", s->info.params.mxnet_eps);
    }
    if ((st = read_tensors(s, c8_json_get(root, "tensors"), path, err))) goto done;
    s->info.calib8_version = s->strs[0];
    s->info.algorithm = s->strs[1];
    s->info.input_algorithm = s->strs[5];
    s->info.model_sha256 = s->strs[2];
    s->info.dataset_sha256 = s->strs[3];
    s->info.preprocessing = s->strs[4];
done:
    free(sha);
    c8_json_free(root);
    if (st != C8_OK) {
        c8_calib_sidecar_destroy(s);
        return st;
    }
    *out = s;
    return C8_OK;
}

const c8_calib_info *c8_calib_sidecar_info(const c8_calib_sidecar *s) { return &s->info; }
const char *c8_calib_sidecar_cache_sha256(const c8_calib_sidecar *s) { return s->cache_sha256; }
int64_t c8_calib_sidecar_tensor_count(const c8_calib_sidecar *s) { return s->n; }
const char *c8_calib_sidecar_preprocessing(const c8_calib_sidecar *s) { return s->pre_line; }

c8_status c8_calib_cache_preprocessing(const char *cache_path, char **out, c8_error *err) {
    *out = NULL;
    char *sc = c8_calib_sidecar_path(cache_path);
    if (!sc) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    struct stat st;
    c8_calib_sidecar *side = NULL;
    c8_status s = C8_OK;
    if (stat(sc, &st) == 0) s = c8_calib_sidecar_read(sc, &side, err);
    free(sc);
    if (s == C8_OK && side && side->pre_line) {
        *out = side->pre_line;
        side->pre_line = NULL;
    }
    c8_calib_sidecar_destroy(side);
    return s;
}
const c8_calib_tensor_stat *c8_calib_sidecar_tensor(const c8_calib_sidecar *s, int64_t i) {
    return &s->t[i];
}

/* ---------------- save: cache + sidecar ---------------- */

c8_status c8_calib_save(const char *cache_path, const char *trt_version, const char *trt_algorithm,
                        const c8_calib_info *info, const c8_calib_tensor_stat *stats, int64_t n,
                        c8_error *err) {
    const c8_calib_algo *a = c8_calib_algo_find(info->algorithm);
    if (!a)
        return c8_err(err, C8_ERR_INVALID, "%s: unknown calibration algorithm '%s'", cache_path,
                      info->algorithm ? info->algorithm : "(none)");
    c8_calib_cache *c;
    C8_TRY(c8_calib_cache_create(trt_version, trt_algorithm ? trt_algorithm : a->trt_algorithm, &c,
                                 err));
    c8_status st = C8_OK;
    for (int64_t i = 0; i < n && st == C8_OK; i++) {
        float s = stats[i].scale;
        /* calib8's own calibration never writes 0, inf or NaN scales (c8_calib_scale) */
        if (!(s > 0.0f) || isinf(s))
            st = c8_err(err, C8_ERR_INVALID, "tensor '%s': refusing to write scale %g",
                        stats[i].name, (double)s);
        else
            st = c8_calib_cache_set(c, stats[i].name, s, err);
        if (st == C8_OK && c8_calib_cache_count(c) != i + 1)
            st = c8_err(err, C8_ERR_INVALID, "tensor '%s' is listed twice", stats[i].name);
    }
    if (st != C8_OK) {
        c8_calib_cache_destroy(c);
        return c8_err_prefix(err, "%s", cache_path);
    }
    /* both files are made in memory first, so a bad input writes neither */
    char *sc = c8_calib_sidecar_path(cache_path), *side = NULL;
    size_t side_len = 0;
    if (!sc) st = c8_err(err, C8_ERR_NOMEM, "out of memory");
    if (st == C8_OK) st = sidecar_bytes(sc, info, c, stats, n, &side, &side_len, err);
    char *text = NULL;
    size_t text_len = 0;
    if (st == C8_OK) st = c8_calib_cache_format(c, &text, &text_len, err);
    /* Two-phase: both temporary files are written and fsynced before either is renamed, so a
     * full disk or a failed write leaves the old cache and sidecar both as they were. */
    c8_atomic_file *fc = NULL, *fs = NULL;
    if (st == C8_OK) st = c8_atomic_open(cache_path, &fc, err);
    if (st == C8_OK) st = c8_atomic_open(sc, &fs, err);
    if (st == C8_OK) {
        fwrite(text, 1, text_len, c8_atomic_file_fp(fc));
        fwrite(side, 1, side_len, c8_atomic_file_fp(fs));
        st = c8_atomic_sync(fc, err);
        if (st == C8_OK) st = c8_atomic_sync(fs, err);
    }
    if (st == C8_OK) {
        st = c8_atomic_commit(fc, err);
        fc = NULL;
        if (st == C8_OK) {
            st = c8_atomic_commit(fs, err);
            fs = NULL;
        }
    }
    c8_atomic_abort(fc);
    c8_atomic_abort(fs);
    free(text);
    free(side);
    free(sc);
    c8_calib_cache_destroy(c);
    return st;
}

/* ---------------- check ---------------- */

typedef struct problems {
    c8_calib_problem_fn fn;
    void *ctx;
    int64_t count;
    char first[C8_ERROR_MSG_MAX];
} problems;

static void problem(problems *p, const char *fmt, ...) C8_PRINTF(2, 3);
static void problem(problems *p, const char *fmt, ...) {
    char buf[C8_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (p->fn) p->fn(p->ctx, buf);
    if (p->count++ == 0) memcpy(p->first, buf, sizeof buf);
}

/* " (line N)" for a tensor read from a file, "" for one set through the API. */
static const char *line_note(const c8_calib_cache *c, int64_t j, char *buf, size_t cap) {
    int64_t line = c8_calib_cache_line(c, j);
    if (line <= 0) return "";
    snprintf(buf, cap, " (line %lld)", (long long)line);
    return buf;
}

static void check_sidecar(problems *p, const c8_calib_cache *c, const c8_calib_sidecar *s,
                          const char *sha) {
    if (strcmp(sha, s->cache_sha256))
        problem(p,
                "the sidecar describes a different cache (sha256 %s; this cache has sha256 %s): "
                "the cache was changed after calibration",
                s->cache_sha256, sha);
    c8_strmap in_side = {0};
    for (int64_t i = 0; i < s->n; i++) {
        bool ins;
        int64_t old;
        if (!c8_strmap_put(&in_side, s->names[i], i, &ins, &old)) break;
        int64_t j = c8_calib_cache_find(c, s->names[i]);
        uint32_t sb;
        memcpy(&sb, &s->t[i].scale, sizeof sb);
        if (j < 0)
            problem(p, "tensor '%s' is in the sidecar but not in the cache", s->names[i]);
        else if (c8_calib_cache_bits(c, j) != sb)
            problem(p, "tensor '%s': the cache's scale %x differs from the sidecar's %x",
                    s->names[i], (unsigned)c8_calib_cache_bits(c, j), (unsigned)sb);
    }
    for (int64_t j = 0; j < c8_calib_cache_count(c); j++)
        if (c8_strmap_get(&in_side, c8_calib_cache_name(c, j)) < 0)
            problem(p, "tensor '%s' is in the cache but not in the sidecar",
                    c8_calib_cache_name(c, j));
    c8_strmap_free(&in_side);
}

c8_status c8_calib_check(const char *cache_path, const c8_calib_cache *cache,
                         const c8_calib_sidecar *sidecar, const c8_calib_expect *expect,
                         c8_calib_problem_fn fn, void *ctx, c8_error *err) {
    problems p = {fn, ctx, 0, {0}};
    char ln[40];
    const c8_calib_expect none = {0};
    if (!expect) expect = &none;
    const c8_calib_info *si = sidecar ? &sidecar->info : NULL;
    if (sidecar) {
        char sha[65];
        C8_TRY(c8_calib_cache_sha256(cache, sha, err));
        check_sidecar(&p, cache, sidecar, sha);
    }
    if (expect->model_sha256 && si && si->model_sha256 &&
        strcmp(expect->model_sha256, si->model_sha256))
        problem(&p, "cache was made for a different model: sha256 %s, this model %s",
                si->model_sha256, expect->model_sha256);
    if (expect->dataset_sha256 && si && si->dataset_sha256 &&
        strcmp(expect->dataset_sha256, si->dataset_sha256))
        problem(&p,
                "cache was calibrated on a different dataset: manifest sha256 %s, this dataset %s",
                si->dataset_sha256, expect->dataset_sha256);
    if (expect->algorithm) {
        const c8_calib_algo *a = c8_calib_algo_find(expect->algorithm);
        if (si && si->algorithm) {
            if (strcmp(si->algorithm, expect->algorithm))
                problem(&p, "cache was made with algorithm '%s', not '%s'", si->algorithm,
                        expect->algorithm);
        } else if (a && strcmp(a->trt_algorithm, c8_calib_cache_trt_algorithm(cache))) {
            problem(&p, "cache header says '%s' but algorithm '%s' writes '%s'",
                    c8_calib_cache_trt_algorithm(cache), expect->algorithm, a->trt_algorithm);
        }
    }
    if (expect->check_tensors) {
        c8_strmap want = {0};
        for (int64_t i = 0; i < expect->ntensors; i++) {
            bool ins;
            int64_t old;
            if (!c8_strmap_put(&want, expect->tensors[i], i, &ins, &old)) {
                c8_strmap_free(&want);
                return c8_err(err, C8_ERR_NOMEM, "out of memory");
            }
            if (ins && c8_calib_cache_find(cache, expect->tensors[i]) < 0)
                problem(&p, "tensor '%s' has no scale in the cache", expect->tensors[i]);
        }
        if (!expect->allow_extra)
            for (int64_t j = 0; j < c8_calib_cache_count(cache); j++)
                if (c8_strmap_get(&want, c8_calib_cache_name(cache, j)) < 0)
                    problem(&p, "tensor '%s' in the cache%s is not in the model",
                            c8_calib_cache_name(cache, j), line_note(cache, j, ln, sizeof ln));
        c8_strmap_free(&want);
    }
    for (int64_t j = 0; j < c8_calib_cache_count(cache); j++) {
        float s = c8_calib_cache_scale(cache, j);
        if (s == 0.0f || isinf(s))
            problem(&p, "tensor '%s'%s has %s scale (%x)", c8_calib_cache_name(cache, j),
                    line_note(cache, j, ln, sizeof ln), s == 0.0f ? "a zero" : "an infinite",
                    (unsigned)c8_calib_cache_bits(cache, j));
    }
    if (p.count == 0) return C8_OK;
    if (p.count == 1) return c8_err(err, C8_ERR_MISMATCH, "%s: %s", cache_path, p.first);
    return c8_err(err, C8_ERR_MISMATCH, "%s: %s (and %lld more problem%s)", cache_path, p.first,
                  (long long)(p.count - 1), p.count == 2 ? "" : "s");
}

/* ---------------- loading a cache for a build ---------------- */

c8_status c8_calib_cache_load_for_model(const char *cache_path, const char *model_sha256,
                                        bool allow_mismatch, FILE *log, c8_calib_cache **out,
                                        c8_error *err) {
    *out = NULL;
    c8_calib_cache *cache;
    C8_TRY(c8_calib_cache_read(cache_path, &cache, err));
    c8_status s = C8_OK;
    char *scpath = c8_calib_sidecar_path(cache_path);
    struct stat st;
    c8_calib_sidecar *side = NULL;
    if (!scpath) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
    if (s == C8_OK && stat(scpath, &st) == 0) s = c8_calib_sidecar_read(scpath, &side, err);
    if (s == C8_OK && side) {
        c8_calib_expect ex = {0};
        ex.model_sha256 = model_sha256;
        ex.allow_extra = true;
        s = c8_calib_check(cache_path, cache, side, &ex, NULL, NULL, err);
        if (s == C8_ERR_MISMATCH && allow_mismatch) {
            if (log) fprintf(log, "warning: %s (used anyway)\n", err->msg);
            s = C8_OK;
        } else if (s == C8_ERR_MISMATCH) {
            c8_err_prefix(err, "stale calibration cache (rebuild it with calib8 calibrate, or "
                               "pass --allow-cache-mismatch)");
        }
    }
    free(scpath);
    c8_calib_sidecar_destroy(side);
    if (s != C8_OK) {
        c8_calib_cache_destroy(cache);
        return s;
    }
    *out = cache;
    return C8_OK;
}

c8_status c8_calib_cache_load_checked(const char *cache_path, const char *model_path,
                                      c8_calib_cache **out, c8_error *err) {
    *out = NULL;
    char sha[65];
    if (model_path) C8_TRY(c8_sha256_file_hex(model_path, sha, err));
    return c8_calib_cache_load_for_model(cache_path, model_path ? sha : NULL, false, NULL, out,
                                         err);
}

/* ---- a cache with no sidecar (c8_calib_cache_warn_unfit) ---- */

static bool name_in(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return true;
    return false;
}

void c8_calib_cache_warn_unfit(const char *cache_path, const c8_model *m, const c8_engine *e,
                               FILE *f) {
    if (!cache_path || !m || !f) return;
    char *sc = c8_calib_sidecar_path(cache_path);
    struct stat st;
    bool has_sidecar = sc && stat(sc, &st) == 0;
    free(sc);
    if (has_sidecar) return; /* the sidecar names the model: the build checked it */
    const char *const *mnames;
    int nm = c8_model_calibration_tensors(m, &mnames);
    c8_calib_cache *cache = NULL;
    c8_error err = {0};
    if (c8_calib_cache_read(cache_path, &cache, &err) != C8_OK) return; /* the build said why */
    int64_t unmatched = 0, nc = c8_calib_cache_count(cache);
    char some_cache[200] = "", some_layers[200] = "";
    size_t uc = 0, ul = 0;
    for (int64_t i = 0; i < nc; i++) {
        const char *name = c8_calib_cache_name(cache, i);
        if (name_in(mnames, nm, name)) continue;
        if (unmatched++ < 3 && uc + strlen(name) + 5 < sizeof some_cache)
            uc += (size_t)snprintf(some_cache + uc, sizeof some_cache - uc, "%s'%s'",
                                   uc ? ", " : "", name);
    }
    int missing = 0;
    for (int i = 0; e && i < c8_engine_num_layers(e); i++) {
        const char *name, *op, *reason;
        c8_precision p;
        c8_engine_layer(e, i, &name, &op, &p, &reason);
        if (p == C8_PREC_INT8 || !strstr(reason, "has no scale in the calibration cache")) continue;
        if (missing++ < 3 && ul + strlen(name) + 5 < sizeof some_layers)
            ul += (size_t)snprintf(some_layers + ul, sizeof some_layers - ul, "%s'%s'",
                                   ul ? ", " : "", name);
    }
    c8_calib_cache_destroy(cache);
    if (!unmatched && !missing) return;
    fprintf(f,
            "calib8: warning: %s has no sidecar (%s.json), so nothing says which model it was "
            "made for, and it does not fit this one:",
            cache_path, cache_path);
    if (missing)
        fprintf(f, " %d layer%s fell back for want of a scale (%s%s)", missing,
                missing == 1 ? "" : "s", some_layers, missing > 3 ? ", ..." : "");
    if (unmatched)
        fprintf(f, "%s %lld of its %lld tensors are not in the model (%s%s)", missing ? ";" : "",
                (long long)unmatched, (long long)nc, some_cache, unmatched > 3 ? ", ..." : "");
    fprintf(f, "; is it another model's cache?\n");
}
