/* Shared CLI helpers; see cli.h. */
#include "tools/cli.h"

#include "calib8/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int c8_cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "calib8 %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(run 'calib8 %s --help' for usage)\n", cmd);
    va_end(ap);
    return C8_EXIT_USAGE;
}

int c8_cli_fail(const c8_error *err) {
    fprintf(stderr, "calib8: error: %s\n", err->msg[0] ? err->msg : c8_status_name(err->code));
    if (err->code == C8_ERR_INTERRUPTED) return C8_EXIT_INTERRUPTED;
    return err->code == C8_ERR_USAGE ? C8_EXIT_USAGE : C8_EXIT_FAIL;
}

/* The process-wide interrupt flag (c8_set_interrupt_flag) the SIGINT handler sets. */
static volatile sig_atomic_t g_sigint = 0;

static void on_sigint(int sig) {
    (void)sig;
    g_sigint = 1; /* nothing else here: only async-signal-safe work in a handler */
}

void c8_cli_catch_sigint(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    c8_set_interrupt_flag(&g_sigint, "SIGINT"); /* runs stop between layers too */
}

bool c8_cli_parse_threads(const char *s, int *out) {
    int64_t v;
    if (!c8_cli_parse_i64(s, &v) || v < 1 || v > 4096) return false;
    *out = (int)v;
    return true;
}

bool c8_cli_parse_max_memory(const char *s, uint64_t *out) {
    if (!strcmp(s, "none")) {
        *out = 0;
        return true;
    }
    return c8_size_parse(s, out);
}

uint64_t c8_cli_default_max_memory(void) { return c8_memory_available(); }

c8_status c8_cli_budget_loader(uint64_t max_memory, int64_t batch, int prefetch, int64_t c,
                               int64_t h, int64_t w, uint64_t *context_limit, c8_error *err) {
    *context_limit = 0;
    if (!max_memory) return C8_OK;
    uint64_t need = c8_loader_memory(batch, prefetch, c, h, w);
    if (need >= max_memory) {
        char a[32], b[32];
        return c8_err(err, C8_ERR_LIMIT,
                      "batches of %lld x %lldx%lldx%lld images need %s (with prefetch %d), the "
                      "memory limit (--max-memory) is %s",
                      (long long)batch, (long long)c, (long long)h, (long long)w,
                      need == UINT64_MAX ? "more than 16 EiB" : c8_size_str(need, a, sizeof a),
                      prefetch, c8_size_str(max_memory, b, sizeof b));
    }
    *context_limit = max_memory - need;
    return C8_OK;
}

bool c8_cli_parse_i64(const char *s, int64_t *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool c8_cli_parse_f64(const char *s, double *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end) return false;
    *out = v;
    return true;
}

int c8_cli_parse_f64_list(const char *s, double *out, int max) {
    int n = 0;
    const char *p = s;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char buf[64];
        if (len == 0 || len >= sizeof buf || n == max) return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (!c8_cli_parse_f64(buf, &out[n])) return -1;
        n++;
        p += len;
        if (*p == ',') p++;
    }
    return n;
}

int c8_cli_parse_i64_list(const char *s, int64_t *out, int max) {
    int n = 0;
    const char *p = s;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char buf[64];
        if (len == 0 || len >= sizeof buf || n == max) return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (!c8_cli_parse_i64(buf, &out[n])) return -1;
        n++;
        p += len;
        if (*p == ',') p++;
    }
    return n;
}

bool c8_cli_parse_shape(const char *s, c8_cli_shape *out) {
    memset(out, 0, sizeof *out);
    /* the name may itself contain ':' (ONNX names do): split at the last ':' */
    const char *colon = strrchr(s, ':');
    const char *dims = s;
    if (colon) {
        size_t n = (size_t)(colon - s);
        if (n == 0 || n >= sizeof out->name) return false;
        memcpy(out->name, s, n);
        out->name[n] = '\0';
        dims = colon + 1;
    }
    const char *p = dims;
    while (*p) {
        if (out->shape.rank == C8_MAX_RANK) return false;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v <= 0) return false;
        out->shape.d[out->shape.rank++] = v;
        p = end;
        if (*p == 'x' || *p == 'X') {
            p++;
            if (!*p) return false;
        } else if (*p) {
            return false;
        }
    }
    return out->shape.rank > 0;
}

bool c8_cli_stderr_is_tty(void) { return isatty(2) != 0; }

c8_status c8_cli_apply_shapes(c8_model *m, const c8_cli_shape *shapes, int n, c8_error *err) {
    for (int i = 0; i < n; i++) {
        c8_status s = c8_model_set_input_shape(m, shapes[i].name[0] ? shapes[i].name : NULL,
                                               &shapes[i].shape, err);
        if (s != C8_OK) return s;
    }
    return C8_OK;
}

c8_status c8_cli_calib_load(c8_cli_calib *c, const c8_model *m, c8_build_options *bo, FILE *log,
                            c8_error *err) {
    if (!c->path) return C8_OK;
    c8_status s = c8_calib_cache_load_for_model(c->path, c8_model_sha256(m), c->allow_mismatch, log,
                                                &c->cache, err);
    if (s != C8_OK) return s;
    c->scales = c8_calib_cache_scales(c->cache);
    bo->scales = &c->scales;
    return C8_OK;
}

void c8_cli_calib_free(c8_cli_calib *c) {
    c8_calib_cache_destroy(c->cache);
    c->cache = NULL;
}

char *c8_cli_safe_name(const char *name) {
    size_t n = strlen(name);
    char *s = malloc(n + 2);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        s[i] = ok ? c : '_';
    }
    s[n] = '\0';
    if (n == 0 || s[0] == '.') { /* no hidden files, no "." or ".." */
        memmove(s + 1, s, n + 1);
        s[0] = '_';
    }
    return s;
}

static c8_status image_input(const char *what, int n_inputs, const char *in_name, c8_dtype dt,
                             c8_shape s, const char **name, int64_t *c, int64_t *h, int64_t *w,
                             c8_error *err) {
    if (n_inputs != 1)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: the model has %d inputs; image datasets feed single-input models", what,
                      n_inputs);
    *name = in_name;
    char sb[96];
    if (dt != C8_DT_FLOAT || s.rank != 4)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: input '%s' is %s %s; image datasets need a float32 N x C x H x W input",
                      what, *name, c8_dtype_name(dt), c8_shape_str(&s, sb, sizeof sb));
    if (s.d[1] < 0 || s.d[2] < 0 || s.d[3] < 0)
        return c8_err(err, C8_ERR_USAGE,
                      "%s: input '%s' has shape %s: give the missing extents with --shape "
                      "%s:NxCxHxW",
                      what, *name, c8_shape_str(&s, sb, sizeof sb), *name);
    *c = s.d[1];
    *h = s.d[2];
    *w = s.d[3];
    return C8_OK;
}

c8_status c8_cli_image_input(const c8_model *m, const char **name, int64_t *c, int64_t *h,
                             int64_t *w, c8_error *err) {
    const char *in;
    c8_dtype dt;
    c8_shape s;
    c8_model_input(m, 0, &in, &dt, &s);
    return image_input(c8_model_path(m), c8_model_num_inputs(m), in, dt, s, name, c, h, w, err);
}

c8_status c8_cli_engine_image_input(const c8_engine *e, const char *what, const char **name,
                                    int64_t *c, int64_t *h, int64_t *w, c8_error *err) {
    const char *in;
    c8_dtype dt;
    c8_shape s;
    c8_engine_input(e, 0, &in, &dt, &s);
    return image_input(what, c8_engine_num_inputs(e), in, dt, s, name, c, h, w, err);
}

bool c8_cli_parse_precision(const char *s, c8_precision *p, c8_precision *fallback) {
    *fallback = C8_PREC_FP32;
    if (!strcmp(s, "fp32"))
        *p = C8_PREC_FP32;
    else if (!strcmp(s, "fp16"))
        *p = C8_PREC_FP16;
    else if (!strcmp(s, "int8"))
        *p = C8_PREC_INT8;
    else if (!strcmp(s, "fp16,int8") || !strcmp(s, "int8,fp16")) {
        *p = C8_PREC_INT8;
        *fallback = C8_PREC_FP16;
    } else {
        return false;
    }
    return true;
}

void c8_cli_explain_memory_limit(c8_error *err, uint64_t max_memory, int64_t batch, int prefetch,
                                 int64_t c, int64_t h, int64_t w) {
    static const char k_phrase[] = "the memory limit (--max-memory) is ";
    char *at = err->code == C8_ERR_LIMIT ? strstr(err->msg, k_phrase) : NULL;
    uint64_t loader = c8_loader_memory(batch, prefetch, c, h, w);
    if (!at || !max_memory || loader == UINT64_MAX || loader >= max_memory) return;
    char a[32], b[32], d[32], tail[C8_ERROR_MSG_MAX];
    snprintf(tail, sizeof tail,
             "the memory left for the engine is %s (--max-memory %s minus %s for the data "
             "loader's batches: %lld x %lldx%lldx%lld images, prefetch %d)",
             c8_size_str(max_memory - loader, a, sizeof a), c8_size_str(max_memory, b, sizeof b),
             c8_size_str(loader, d, sizeof d), (long long)batch, (long long)c, (long long)h,
             (long long)w, prefetch);
    size_t keep = (size_t)(at - err->msg);
    snprintf(at, sizeof err->msg - keep, "%s", tail);
}
