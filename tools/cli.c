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

/* One extent: "N", "MIN..MAX" or "MIN..OPT..MAX"; false with the reason. */
static bool parse_extent(const char *p, size_t len, int64_t v[3], bool *range, char *why,
                         size_t wl) {
    char buf[96];
    if (len == 0 || len >= sizeof buf) {
        snprintf(why, wl, "an empty extent");
        return false;
    }
    memcpy(buf, p, len);
    buf[len] = '\0';
    int64_t part[3];
    int k = 0;
    char *q = buf;
    for (;;) {
        char *dots = strstr(q, "..");
        if (dots) *dots = '\0';
        char *end;
        errno = 0;
        long long x = strtoll(q, &end, 10);
        if (end == q || *end || errno || x <= 0 || k == 3 || *q == '+' || *q == '-') {
            snprintf(why, wl, "extent '%.*s' is not N, MIN..MAX or MIN..OPT..MAX (N > 0)", (int)len,
                     p);
            return false;
        }
        part[k++] = x;
        if (!dots) break;
        q = dots + 2;
    }
    if (k == 2) part[2] = part[1]; /* MIN..MAX: the optimum is the maximum */
    if (k == 1) part[1] = part[2] = part[0];
    if (!(part[0] <= part[1] && part[1] <= part[2])) {
        snprintf(why, wl, "extent '%.*s' needs MIN <= OPT <= MAX", (int)len, p);
        return false;
    }
    v[0] = part[0];
    v[1] = part[1];
    v[2] = part[2];
    *range = k > 1 && part[0] != part[2];
    return true;
}

bool c8_cli_parse_shape_why(const char *s, c8_cli_shape *out, char *why, size_t why_len) {
    char dummy[8];
    if (!why) {
        why = dummy;
        why_len = sizeof dummy;
    }
    memset(out, 0, sizeof *out);
    /* the name may itself contain ':' (ONNX names do): split at the last ':' */
    const char *colon = strrchr(s, ':');
    const char *dims = s;
    if (colon) {
        size_t n = (size_t)(colon - s);
        if (n == 0 || n >= sizeof out->name) {
            snprintf(why, why_len, n ? "the input name is too long" : "an empty input name");
            return false;
        }
        memcpy(out->name, s, n);
        out->name[n] = '\0';
        dims = colon + 1;
    }
    if (!*dims) {
        snprintf(why, why_len, "no extents (expected NAME:DIMS, e.g. x:1..8..64x3x48x192)");
        return false;
    }
    const char *p = dims;
    for (;;) {
        if (out->min.rank == C8_MAX_RANK) {
            snprintf(why, why_len, "more than %d extents", C8_MAX_RANK);
            return false;
        }
        const char *x = p;
        while (*x && *x != 'x' && *x != 'X') x++;
        int64_t v[3];
        bool range;
        if (!parse_extent(p, (size_t)(x - p), v, &range, why, why_len)) return false;
        int r = out->min.rank++;
        out->opt.rank = out->max.rank = out->min.rank;
        out->min.d[r] = v[0];
        out->opt.d[r] = v[1];
        out->max.d[r] = v[2];
        out->ranged |= range;
        if (!*x) break;
        p = x + 1;
    }
    out->shape = out->min;
    return true;
}

bool c8_cli_parse_shape(const char *s, c8_cli_shape *out) {
    return c8_cli_parse_shape_why(s, out, NULL, 0) && !out->ranged;
}

static c8_cli_shape *shape_entry(c8_cli_shape *shapes, int *n, const char *name) {
    for (int i = 0; i < *n; i++)
        if (!strcmp(shapes[i].name, name)) return &shapes[i];
    if (*n == C8_CLI_MAX_SHAPES) return NULL;
    c8_cli_shape *e = &shapes[(*n)++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

bool c8_cli_shape_option(const char *cmd, int opt, const char *arg, c8_cli_shape *shapes, int *n,
                         int *rc) {
    static const char *flags[] = {"--shape", "--minShapes", "--optShapes", "--maxShapes"};
    if (opt < C8_SHOPT_SHAPE || opt > C8_SHOPT_MAX) return false;
    const int part = opt - C8_SHOPT_SHAPE; /* 0: --shape, 1..3: min, opt, max */
    const char *flag = flags[part];
    *rc = 0;
    /* trtexec lists several inputs separated by ','; --shape takes one */
    char buf[1024];
    if (strlen(arg) >= sizeof buf) {
        *rc = c8_cli_usage(cmd, "%s: the value is too long", flag);
        return true;
    }
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *t = part ? strtok_r(buf, ",", &save) : buf; t;
         t = part ? strtok_r(NULL, ",", &save) : NULL) {
        c8_cli_shape one;
        char why[160];
        if (!c8_cli_parse_shape_why(t, &one, why, sizeof why)) {
            *rc = c8_cli_usage(cmd, "bad %s '%s': %s", flag, t, why);
            return true;
        }
        if (part && one.ranged) {
            *rc = c8_cli_usage(cmd,
                               "bad %s '%s': give fixed extents (the range comes from "
                               "--minShapes and --maxShapes)",
                               flag, t);
            return true;
        }
        c8_cli_shape *e = shape_entry(shapes, n, one.name);
        if (!e) {
            *rc = c8_cli_usage(cmd, "too many shapes (at most %d inputs)", C8_CLI_MAX_SHAPES);
            return true;
        }
        unsigned bit = part ? 1u << (part - 1) : 8u;
        if ((e->parts & bit) || (e->parts && (bit == 8u || (e->parts & 8u)))) {
            *rc = c8_cli_usage(cmd, "%s '%s': the shape of input '%s' is given twice", flag, t,
                               one.name[0] ? one.name : "(the only one)");
            return true;
        }
        e->parts |= bit;
        if (bit == 8u) {
            *e = one;
            e->parts = 8u;
        } else {
            c8_shape *dst = part == 1 ? &e->min : part == 2 ? &e->opt : &e->max;
            *dst = one.min;
        }
    }
    return true;
}

bool c8_cli_stderr_is_tty(void) { return isatty(2) != 0; }

c8_status c8_cli_apply_shapes(c8_model *m, const c8_cli_shape *shapes, int n, c8_error *err) {
    for (int i = 0; i < n; i++) {
        c8_cli_shape e = shapes[i];
        const char *name = e.name[0] ? e.name : NULL;
        if (e.parts & 7u) { /* the trtexec spellings */
            const char *who = name ? name : "(the only one)";
            if (!(e.parts & 1u) || !(e.parts & 4u))
                return c8_err(err, C8_ERR_USAGE,
                              "input '%s': --minShapes and --maxShapes go together (given:%s%s%s)",
                              who, e.parts & 1u ? " --minShapes" : "",
                              e.parts & 2u ? " --optShapes" : "",
                              e.parts & 4u ? " --maxShapes" : "");
            if (!(e.parts & 2u)) e.opt = e.max;
            if (e.min.rank != e.max.rank || e.opt.rank != e.max.rank)
                return c8_err(err, C8_ERR_USAGE,
                              "input '%s': --minShapes, --optShapes and --maxShapes have "
                              "different ranks",
                              who);
            e.ranged = false;
            for (int d = 0; d < e.min.rank; d++) e.ranged |= e.min.d[d] != e.max.d[d];
            e.shape = e.min;
        }
        c8_status s = e.ranged ? c8_model_set_input_profile(m, name, &e.min, &e.opt, &e.max, err)
                               : c8_model_set_input_shape(m, name, &e.shape, err);
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
    c->sidecar = c8_calib_sidecar_path(c->path);
    if (!c->sidecar) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    C8_TRY(c8_calib_cache_preprocessing(c->path, &c->preprocessing, err));
    bo->preprocessing = c->preprocessing;
    return C8_OK;
}

void c8_cli_calib_free(c8_cli_calib *c) {
    c8_calib_cache_destroy(c->cache);
    c->cache = NULL;
    free(c->preprocessing);
    c->preprocessing = NULL;
    free(c->sidecar);
    c->sidecar = NULL;
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

c8_status c8_cli_image_input(const c8_model *m, const char **name, int64_t *c, int64_t *h,
                             int64_t *w, c8_error *err) {
    return c8_model_image_input(m, name, c, h, w, err);
}

c8_status c8_cli_engine_image_input(const c8_engine *e, const char *what, const char **name,
                                    int64_t *c, int64_t *h, int64_t *w, c8_error *err) {
    return c8_engine_image_input(e, what, name, c, h, w, err);
}

c8_status c8_cli_check_batch(const c8_model *m, const c8_engine *e, const char *what,
                             int64_t *batch_io, bool batch_given, int64_t images, c8_error *err) {
    const char *in;
    c8_dtype dt;
    c8_shape s, lo, hi;
    bool prof;
    if (m) {
        c8_model_input(m, 0, &in, &dt, &s);
        prof = c8_model_input_profile(m, 0, &lo, NULL, &hi);
    } else {
        c8_engine_input(e, 0, &in, &dt, &s);
        prof = c8_engine_input_profile(e, 0, &lo, NULL, &hi);
    }
    if (s.rank < 1) return C8_OK;
    /* a fixed batch and no --batch: the data set is read in batches of the model's size */
    if (s.d[0] > 0 && !batch_given) *batch_io = s.d[0];
    const int64_t batch = *batch_io;
    const int64_t last = images > 0 ? images % batch : 0;
    if (s.d[0] >= 0) { /* fixed */
        if (batch != s.d[0])
            return c8_err(err, C8_ERR_USAGE,
                          "%s: --batch %lld, but input '%s' has a fixed batch of %lld (give a "
                          "batch range with --shape %s:1..%lldx...)",
                          what, (long long)batch, in, (long long)s.d[0], in,
                          (long long)(batch > s.d[0] ? batch : s.d[0]));
        if (last)
            return c8_err(err, C8_ERR_USAGE,
                          "%s: the last batch would hold %lld of %lld images, but input '%s' has "
                          "a fixed batch of %lld (give a batch range with --shape %s:1..%lldx..., "
                          "or --images a multiple of %lld)",
                          what, (long long)last, (long long)images, in, (long long)s.d[0], in,
                          (long long)s.d[0], (long long)s.d[0]);
        return C8_OK;
    }
    if (!prof) return C8_OK;
    int64_t h0, h1, w0, w1;
    const bool ranged = m ? c8_model_image_range(m, &h0, &h1, &w0, &w1)
                          : c8_engine_image_range(e, &h0, &h1, &w0, &w1);
    if (ranged && lo.d[0] > 1)
        return c8_err(err, C8_ERR_USAGE,
                      "%s: input '%s' has dynamic H and W, so a change of image size ends a batch "
                      "and a batch may hold any number of images from 1, but the profile's batch "
                      "range starts at %lld (give --shape %s:1..%lldx...)",
                      what, in, (long long)lo.d[0], in, (long long)hi.d[0]);
    if (batch < lo.d[0] || batch > hi.d[0])
        return c8_err(err, C8_ERR_USAGE,
                      "%s: --batch %lld is outside the profile's batch range %lld..%lld of input "
                      "'%s'",
                      what, (long long)batch, (long long)lo.d[0], (long long)hi.d[0], in);
    if (last && last < lo.d[0])
        return c8_err(err, C8_ERR_USAGE,
                      "%s: the last batch would hold %lld of %lld images, below the profile's "
                      "batch range %lld..%lld of input '%s' (lower its minimum, or change "
                      "--images or --batch)",
                      what, (long long)last, (long long)images, (long long)lo.d[0],
                      (long long)hi.d[0], in);
    return C8_OK;
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
