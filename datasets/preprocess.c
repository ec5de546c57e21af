/* Preprocessing: presets, the `key = value` config, and the resize / crop / channels / normalise
 * pipeline. Semantics: include/calib8/dataset.h; a worked example: datasets/README.md; reference
 * checks (float64, by hand): tests/datasets/test_preprocess.c.
 *
 * The pipeline works on float planes in three passes:
 *   A. colour planes: the source (or, without resize, just its crop window) as k float planes,
 *      k = 1 when the output is gray (RGB -> BT.601 gray here: the linear steps commute, and
 *      converting first does a third of the resize work), else the source's colour count;
 *   B. bilinear resize fused with the center crop: only output pixels inside the crop are
 *      computed;
 *   C. channel mapping (replicate gray, RGB or BGR order) and (v * scale - mean) / std, computed
 *      in double as v * (scale / std) - mean / std and rounded once to float32. */
#include "datasets/preprocess.h"

#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* Settings                                                                                 */
/* ---------------------------------------------------------------------------------------- */

void c8_preprocess_init(c8_preprocess *p) {
    memset(p, 0, sizeof *p);
    p->resize = C8_RESIZE_NONE;
    p->channels = C8_CHANNELS_AUTO;
    p->scale = 1.0;
    p->nmean = 1;
    p->mean[0] = 0.0;
    p->nstd = 1;
    p->std[0] = 1.0;
}

c8_status c8_preprocess_preset(c8_preprocess *p, const char *name, c8_error *err) {
    if (!strcmp(name, "none")) {
        c8_preprocess_init(p);
        return C8_OK;
    }
    if (!strcmp(name, "imagenet")) {
        c8_preprocess_init(p);
        p->resize = C8_RESIZE_SHORTER;
        p->resize_short = 256;
        p->crop_h = p->crop_w = 224;
        p->channels = C8_CHANNELS_RGB;
        p->scale = 1.0 / 255.0;
        p->nmean = p->nstd = 3;
        p->mean[0] = 0.485;
        p->mean[1] = 0.456;
        p->mean[2] = 0.406;
        p->std[0] = 0.229;
        p->std[1] = 0.224;
        p->std[2] = 0.225;
        return C8_OK;
    }
    return c8_err(err, C8_ERR_INVALID, "unknown preprocessing preset '%s' (known: none, imagenet)",
                  name);
}

/* Strict double: the whole (trimmed) string, finite. */
static int parse_f64(const char *s, double *out) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (errno || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int parse_i64(const char *s, int64_t *out) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '+' || *s == '-') return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (errno || *end) return 0;
    *out = v;
    return 1;
}

/* "S" (square when `square`, else h = S and *w = 0) or "HxW"; positive, at most 65535. */
static int parse_size(const char *s, int64_t *h, int64_t *w, int square) {
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n + 1);
    char *x = strchr(buf, 'x');
    if (!x) x = strchr(buf, 'X');
    if (x) {
        *x = '\0';
        if (!parse_i64(buf, h) || !parse_i64(x + 1, w)) return 0;
    } else {
        if (!parse_i64(buf, h)) return 0;
        *w = square ? *h : 0;
    }
    if (*h <= 0 || *h > 65535 || *w < 0 || *w > 65535 || (x && *w == 0)) return 0;
    return 1;
}

static int parse_list(const char *s, double *out, int max) {
    int n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char buf[64];
        if (len == 0 || len >= sizeof buf || n == max) return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (!parse_f64(buf, &out[n])) return -1;
        n++;
        if (!comma) break;
        p = comma + 1;
    }
    return n;
}

c8_status c8_preprocess_set(c8_preprocess *p, const char *key, const char *value, const char *where,
                            c8_error *err) {
    const char *wh = where ? where : "preprocessing";
    if (!strcmp(key, "preset")) {
        c8_status s = c8_preprocess_preset(p, value, err);
        if (s != C8_OK) c8_err_prefix(err, "%s", wh);
        return s;
    }
    if (!strcmp(key, "resize")) {
        int64_t h, w;
        /* "short:S", "long:S", "max:S": which side S applies to (plain S: the shorter) */
        static const struct {
            const char *prefix;
            c8_resize_mode mode;
        } sides[] = {{"short:", C8_RESIZE_SHORTER},
                     {"long:", C8_RESIZE_LONGER},
                     {"max:", C8_RESIZE_LONGER_MAX}};
        c8_resize_mode mode = C8_RESIZE_SHORTER;
        const char *v = value;
        int prefixed = 0;
        for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
            if (!strncmp(value, sides[i].prefix, strlen(sides[i].prefix))) {
                mode = sides[i].mode;
                v = value + strlen(sides[i].prefix);
                prefixed = 1;
            }
        if (!strcmp(value, "none")) {
            p->resize = C8_RESIZE_NONE;
            p->resize_short = p->resize_h = p->resize_w = p->resize_long = 0;
        } else if (!parse_size(v, &h, &w, 0) || (prefixed && w != 0)) {
            return c8_err(err, C8_ERR_INVALID,
                          "%s: resize '%s' is not S, short:S, long:S, max:S, HxW or none", wh,
                          value);
        } else if (w == 0) {
            p->resize = mode;
            p->resize_short = mode == C8_RESIZE_SHORTER ? h : 0;
            p->resize_long = mode == C8_RESIZE_SHORTER ? 0 : h;
            p->resize_h = p->resize_w = 0;
        } else {
            p->resize = C8_RESIZE_EXACT;
            p->resize_h = h;
            p->resize_w = w;
            p->resize_short = p->resize_long = 0;
        }
        return C8_OK;
    }
    if (!strcmp(key, "round-to-multiple") || !strcmp(key, "pad-to-multiple")) {
        int64_t m = 0;
        if (strcmp(value, "none") && (!parse_i64(value, &m) || m > 65535))
            return c8_err(err, C8_ERR_INVALID,
                          "%s: %s '%s' is not a size 1 to 65535 (0, none: off)", wh, key, value);
        if (key[0] == 'r')
            p->round_multiple = m;
        else
            p->pad_multiple = m;
        return C8_OK;
    }
    if (!strcmp(key, "crop")) {
        int64_t h, w;
        if (!strcmp(value, "none")) {
            p->crop_h = p->crop_w = 0;
        } else if (!parse_size(value, &h, &w, 1)) {
            return c8_err(err, C8_ERR_INVALID, "%s: crop '%s' is not HxW, S or none", wh, value);
        } else {
            p->crop_h = h;
            p->crop_w = w;
        }
        return C8_OK;
    }
    if (!strcmp(key, "channels")) {
        static const char *names[] = {"auto", "gray", "rgb", "bgr"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(value, names[i])) {
                p->channels = (c8_channels)i;
                return C8_OK;
            }
        if (!strcmp(value, "grey")) {
            p->channels = C8_CHANNELS_GRAY;
            return C8_OK;
        }
        return c8_err(err, C8_ERR_INVALID, "%s: channels '%s' is not auto, gray, rgb or bgr", wh,
                      value);
    }
    if (!strcmp(key, "scale")) {
        double v, a, b;
        const char *slash = strchr(value, '/');
        int ok;
        if (slash) {
            char num[64];
            size_t n = (size_t)(slash - value);
            ok = n < sizeof num;
            if (ok) {
                memcpy(num, value, n);
                num[n] = '\0';
                ok = parse_f64(num, &a) && parse_f64(slash + 1, &b) && b != 0;
            }
            v = ok ? a / b : 0;
        } else {
            ok = parse_f64(value, &v);
        }
        if (!ok || v == 0 || !isfinite(v))
            return c8_err(err, C8_ERR_INVALID, "%s: scale '%s' is not a non-zero number (or a/b)",
                          wh, value);
        p->scale = v;
        return C8_OK;
    }
    if (!strcmp(key, "mean") || !strcmp(key, "std")) {
        double v[C8_PRE_MAX_CHANNELS];
        int n = parse_list(value, v, C8_PRE_MAX_CHANNELS);
        if (n < 0)
            return c8_err(err, C8_ERR_INVALID, "%s: %s '%s' is not 1 to %d comma-separated numbers",
                          wh, key, value, C8_PRE_MAX_CHANNELS);
        if (key[0] == 's') {
            for (int i = 0; i < n; i++)
                if (v[i] == 0)
                    return c8_err(err, C8_ERR_INVALID, "%s: std '%s' has a zero", wh, value);
            p->nstd = n;
            memcpy(p->std, v, sizeof(double) * (size_t)n);
        } else {
            p->nmean = n;
            memcpy(p->mean, v, sizeof(double) * (size_t)n);
        }
        return C8_OK;
    }
    return c8_err(err, C8_ERR_INVALID,
                  "%s: unknown preprocessing key '%s' (known: preset, resize, round-to-multiple, "
                  "crop, pad-to-multiple, channels, scale, mean, std)",
                  wh, key);
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

c8_status c8_preprocess_load(c8_preprocess *p, const char *path, c8_error *err) {
    unsigned char *text;
    size_t len;
    C8_TRY(c8_read_file(path, (size_t)1 << 20, &text, &len, err));
    if (memchr(text, '\0', len)) {
        free(text);
        return c8_err(err, C8_ERR_PARSE, "%s: not a text file", path);
    }
    c8_status s = C8_OK;
    char *line = (char *)text;
    for (int lineno = 1; line && s == C8_OK; lineno++) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *t = trim(line);
        if (*t) {
            char where[512];
            snprintf(where, sizeof where, "%s:%d", path, lineno);
            char *eq = strchr(t, '=');
            if (!eq) {
                s = c8_err(err, C8_ERR_PARSE, "%s: expected 'key = value', got '%s'", where, t);
                break;
            }
            *eq = '\0';
            char *key = trim(t), *val = trim(eq + 1);
            if (!*key || !*val) {
                s = c8_err(err, C8_ERR_PARSE, "%s: empty key or value", where);
                break;
            }
            /* lists may be written "0.485, 0.456, 0.406": drop the spaces */
            char *o = val;
            for (char *q = val; *q; q++)
                if (!isspace((unsigned char)*q)) *o++ = *q;
            *o = '\0';
            s = c8_preprocess_set(p, key, val, where, err);
        }
        line = next;
    }
    free(text);
    return s;
}

/* Shortest %g form that reads back as the same double. */
static void fmt_num(char *buf, size_t len, double v) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

const char *c8_preprocess_describe(const c8_preprocess *p, char *buf, size_t len) {
    static const char *ch[] = {"auto", "gray", "rgb", "bgr"};
    char rs[64], cr[64], sc[32], mean[3 * 32], sd[3 * 32], num[32];
    if (p->resize == C8_RESIZE_SHORTER)
        snprintf(rs, sizeof rs, "%lld", (long long)p->resize_short);
    else if (p->resize == C8_RESIZE_LONGER || p->resize == C8_RESIZE_LONGER_MAX)
        snprintf(rs, sizeof rs, "%s:%lld", p->resize == C8_RESIZE_LONGER ? "long" : "max",
                 (long long)p->resize_long);
    else if (p->resize == C8_RESIZE_EXACT)
        snprintf(rs, sizeof rs, "%lldx%lld", (long long)p->resize_h, (long long)p->resize_w);
    else
        snprintf(rs, sizeof rs, "none");
    /* the multiples only when set: lines written before they existed describe as they were */
    if (p->round_multiple > 0) {
        size_t u = strlen(rs);
        snprintf(rs + u, sizeof rs - u, " round-to-multiple=%lld", (long long)p->round_multiple);
    }
    if (p->crop_h > 0)
        snprintf(cr, sizeof cr, "%lldx%lld", (long long)p->crop_h, (long long)p->crop_w);
    else
        snprintf(cr, sizeof cr, "none");
    if (p->pad_multiple > 0) {
        size_t u = strlen(cr);
        snprintf(cr + u, sizeof cr - u, " pad-to-multiple=%lld", (long long)p->pad_multiple);
    }
    fmt_num(sc, sizeof sc, p->scale);
    mean[0] = sd[0] = '\0';
    for (int i = 0; i < p->nmean && i < C8_PRE_MAX_CHANNELS; i++) {
        fmt_num(num, sizeof num, p->mean[i]);
        if (i) strcat(mean, ",");
        strcat(mean, num);
    }
    for (int i = 0; i < p->nstd && i < C8_PRE_MAX_CHANNELS; i++) {
        fmt_num(num, sizeof num, p->std[i]);
        if (i) strcat(sd, ",");
        strcat(sd, num);
    }
    int c = (p->channels >= 0 && p->channels <= 3) ? (int)p->channels : 0;
    snprintf(buf, len, "resize=%s crop=%s channels=%s scale=%s mean=%s std=%s", rs, cr, ch[c], sc,
             mean, sd);
    return buf;
}

c8_status c8_preprocess_parse(c8_preprocess *p, const char *line, const char *where,
                              c8_error *err) {
    const char *wh = where ? where : "preprocessing";
    c8_preprocess q;
    c8_preprocess_init(&q);
    size_t n = line ? strlen(line) : 0;
    char *buf = malloc(n + 1);
    if (!buf) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    memcpy(buf, line ? line : "", n + 1);
    c8_status s = C8_OK;
    int words = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t", &save); t && s == C8_OK; t = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || !eq[1]) {
            s = c8_err(err, C8_ERR_PARSE, "%s: '%s' is not key=value", wh, t);
            break;
        }
        *eq = '\0';
        /* a description says what was done: presets are expanded in it, never named */
        if (!strcmp(t, "preset"))
            s = c8_err(err, C8_ERR_PARSE, "%s: 'preset' is not a key of a description", wh);
        else
            s = c8_preprocess_set(&q, t, eq + 1, wh, err);
        words++;
    }
    free(buf);
    if (s == C8_OK && words == 0) s = c8_err(err, C8_ERR_PARSE, "%s: empty description", wh);
    if (s == C8_OK) *p = q;
    return s;
}

/* v grown to the next multiple of m (m <= 0: unchanged). */
static int64_t pad_up(int64_t v, int64_t m) { return m > 0 ? (v + m - 1) / m * m : v; }

/* v rounded to the nearest multiple of m, ties to the even multiple, at least m (m <= 0:
 * unchanged): Python's round(v / m) * m in PaddleOCR, without its floating point. */
static int64_t round_to(int64_t v, int64_t m) {
    if (m <= 0) return v;
    int64_t q = v / m, r = v % m;
    if (2 * r > m || (2 * r == m && q % 2 == 1)) q++;
    return (q < 1 ? 1 : q) * m;
}

/* Everything of c8_preprocess_check but the target's H and W. */
static c8_status check_common(const c8_preprocess *p, int64_t c, c8_error *err) {
    if (c != 1 && c != 3)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "image input with %lld channels: calib8 feeds 1 (gray) or 3 (RGB/BGR)",
                      (long long)c);
    if ((p->channels == C8_CHANNELS_RGB || p->channels == C8_CHANNELS_BGR) && c != 3)
        return c8_err(err, C8_ERR_INVALID,
                      "channels %s needs a 3-channel input, the model "
                      "takes %lld",
                      p->channels == C8_CHANNELS_RGB ? "rgb" : "bgr", (long long)c);
    if (p->nmean != 1 && p->nmean != c)
        return c8_err(err, C8_ERR_INVALID,
                      "mean has %d values, the model takes %lld channel%s "
                      "(give %s)",
                      p->nmean, (long long)c, c == 1 ? "" : "s",
                      c == 1 ? "one value" : "1 or 3 values");
    if (p->nstd != 1 && p->nstd != c)
        return c8_err(err, C8_ERR_INVALID,
                      "std has %d values, the model takes %lld channel%s "
                      "(give %s)",
                      p->nstd, (long long)c, c == 1 ? "" : "s",
                      c == 1 ? "one value" : "1 or 3 values");
    for (int i = 0; i < p->nstd; i++)
        if (p->std[i] == 0 || !isfinite(p->std[i]))
            return c8_err(err, C8_ERR_INVALID, "std[%d] = %g: must be finite and non-zero", i,
                          p->std[i]);
    for (int i = 0; i < p->nmean; i++)
        if (!isfinite(p->mean[i])) return c8_err(err, C8_ERR_INVALID, "mean[%d] is not finite", i);
    if (p->scale == 0 || !isfinite(p->scale))
        return c8_err(err, C8_ERR_INVALID, "scale %g: must be finite and non-zero", p->scale);
    if (p->resize == C8_RESIZE_SHORTER && p->resize_short <= 0)
        return c8_err(err, C8_ERR_INVALID, "resize to a shorter side of %lld pixels",
                      (long long)p->resize_short);
    if (p->resize == C8_RESIZE_EXACT && (p->resize_h <= 0 || p->resize_w <= 0))
        return c8_err(err, C8_ERR_INVALID, "resize to %lldx%lld pixels", (long long)p->resize_h,
                      (long long)p->resize_w);
    if ((p->resize == C8_RESIZE_LONGER || p->resize == C8_RESIZE_LONGER_MAX) && p->resize_long <= 0)
        return c8_err(err, C8_ERR_INVALID, "resize to a longer side of %lld pixels",
                      (long long)p->resize_long);
    if (p->resize < C8_RESIZE_NONE || p->resize > C8_RESIZE_LONGER_MAX)
        return c8_err(err, C8_ERR_INVALID, "unknown resize mode %d", (int)p->resize);
    if (p->round_multiple < 0 || p->round_multiple > 65535 || p->pad_multiple < 0 ||
        p->pad_multiple > 65535)
        return c8_err(err, C8_ERR_INVALID,
                      "round-to-multiple %lld / pad-to-multiple %lld: 0 to 65535",
                      (long long)p->round_multiple, (long long)p->pad_multiple);
    return C8_OK;
}

c8_status c8_preprocess_check_range(const c8_preprocess *p, int64_t c, int64_t h_min, int64_t h_max,
                                    int64_t w_min, int64_t w_max, c8_error *err) {
    if (h_min <= 0 || w_min <= 0 || h_max < h_min || w_max < w_min)
        return c8_err(err, C8_ERR_SHAPE,
                      "image input of %lld..%lld x %lld..%lld pixels: H and W must be known "
                      "(give them with --shape)",
                      (long long)h_min, (long long)h_max, (long long)w_min, (long long)w_max);
    return check_common(p, c, err);
}

c8_status c8_preprocess_check(const c8_preprocess *p, int64_t c, int64_t h, int64_t w,
                              c8_error *err) {
    if (h <= 0 || w <= 0)
        return c8_err(err, C8_ERR_SHAPE,
                      "image input of %lldx%lld pixels: H and W must be known "
                      "(give them with --shape)",
                      (long long)h, (long long)w);
    C8_TRY(check_common(p, c, err));
    const int64_t pm = p->pad_multiple, rm = p->round_multiple;
    if (p->crop_h > 0 || p->crop_w > 0) {
        if (pad_up(p->crop_h, pm) != h || pad_up(p->crop_w, pm) != w)
            return c8_err(err, C8_ERR_SHAPE,
                          "crop %lldx%lld does not give the model's %lldx%lld "
                          "input",
                          (long long)p->crop_h, (long long)p->crop_w, (long long)h, (long long)w);
        if (p->resize == C8_RESIZE_EXACT &&
            (round_to(p->resize_h, rm) < p->crop_h || round_to(p->resize_w, rm) < p->crop_w))
            return c8_err(err, C8_ERR_SHAPE,
                          "crop %lldx%lld is larger than the resize to "
                          "%lldx%lld",
                          (long long)p->crop_h, (long long)p->crop_w,
                          (long long)round_to(p->resize_h, rm),
                          (long long)round_to(p->resize_w, rm));
        if (p->resize == C8_RESIZE_SHORTER && rm == 0 &&
            (p->resize_short < p->crop_h || p->resize_short < p->crop_w))
            return c8_err(err, C8_ERR_SHAPE,
                          "crop %lldx%lld is larger than the resized shorter "
                          "side %lld",
                          (long long)p->crop_h, (long long)p->crop_w, (long long)p->resize_short);
    } else if (p->resize == C8_RESIZE_EXACT && (pad_up(round_to(p->resize_h, rm), pm) != h ||
                                                pad_up(round_to(p->resize_w, rm), pm) != w)) {
        return c8_err(err, C8_ERR_SHAPE,
                      "resize to %lldx%lld without a crop does not give the "
                      "model's %lldx%lld input",
                      (long long)p->resize_h, (long long)p->resize_w, (long long)h, (long long)w);
    }
    return C8_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Pipeline                                                                                 */
/* ---------------------------------------------------------------------------------------- */

void c8_pre_scratch_free(c8_pre_scratch *s) {
    if (!s) return;
    free(s->planes);
    free(s->xo);
    free(s->xw);
    memset(s, 0, sizeof *s);
}

int c8_preprocess_resized_size(const c8_preprocess *p, int64_t h, int64_t w, int64_t *rh,
                               int64_t *rw) {
    int64_t t;
    switch (p->resize) {
    case C8_RESIZE_SHORTER:
        /* torchvision: the long side is int(S * long / short), i.e. the floor */
        if (h <= w) {
            if (!c8_mul_i64(p->resize_short, w, &t)) return 0;
            *rh = p->resize_short;
            *rw = t / h;
        } else {
            if (!c8_mul_i64(p->resize_short, h, &t)) return 0;
            *rw = p->resize_short;
            *rh = t / w;
        }
        break;
    case C8_RESIZE_EXACT:
        *rh = p->resize_h;
        *rw = p->resize_w;
        break;
    case C8_RESIZE_LONGER:
    case C8_RESIZE_LONGER_MAX:
        if (p->resize == C8_RESIZE_LONGER_MAX && h <= p->resize_long && w <= p->resize_long) {
            *rh = h; /* within the limit: the size is kept */
            *rw = w;
        } else if (h >= w) {
            if (!c8_mul_i64(p->resize_long, w, &t)) return 0;
            *rh = p->resize_long;
            *rw = t / h > 0 ? t / h : 1;
        } else {
            if (!c8_mul_i64(p->resize_long, h, &t)) return 0;
            *rw = p->resize_long;
            *rh = t / w > 0 ? t / w : 1;
        }
        break;
    default:
        *rh = h;
        *rw = w;
        break;
    }
    if (*rh > 65535 * 4 || *rw > 65535 * 4) return 0;
    *rh = round_to(*rh, p->round_multiple);
    *rw = round_to(*rw, p->round_multiple);
    return *rh > 0 && *rw > 0 && *rh <= 65535 * 4 && *rw <= 65535 * 4;
}

/* round((n) / 2) with ties to even, as Python's round() in torchvision's CenterCrop. */
static int64_t half_even(int64_t n) {
    int64_t q = n / 2;
    if (n % 2 == 0) return q;
    return (q % 2 == 0) ? q : q + 1;
}

static int grow(void **buf, size_t *cap, size_t bytes) {
    if (bytes <= *cap) return 1;
    void *nb = realloc(*buf, bytes);
    if (!nb) return 0;
    *buf = nb;
    *cap = bytes;
    return 1;
}

/* BT.601 luma in double: R = G = B gives exactly that value after rounding to float. */
static inline float luma(double r, double g, double b) {
    return (float)(0.299 * r + 0.587 * g + 0.114 * b);
}

/* Pass A: rows [y0, y0+nh) and columns [x0, x0+nw) of the source as k float planes
 * (k, nh, nw). k = 1 with gray_out and a colour source means BT.601 gray. */
static void colour_planes(const c8_src_image *src, int scol, int k, int64_t y0, int64_t x0,
                          int64_t nh, int64_t nw, float *dst) {
    size_t plane = (size_t)(nh * nw);
    if (src->u8) {
        const int64_t sc = src->c;
        for (int64_t y = 0; y < nh; y++) {
            const uint8_t *row = src->u8 + (size_t)(((y0 + y) * src->w + x0) * sc);
            float *d0 = dst + (size_t)(y * nw);
            if (k == 1 && scol == 3) {
                for (int64_t x = 0; x < nw; x++)
                    d0[x] = luma(row[x * sc], row[x * sc + 1], row[x * sc + 2]);
            } else if (k == 1) {
                for (int64_t x = 0; x < nw; x++) d0[x] = (float)row[x * sc];
            } else {
                float *d1 = d0 + plane, *d2 = d1 + plane;
                for (int64_t x = 0; x < nw; x++) {
                    d0[x] = (float)row[x * sc];
                    d1[x] = (float)row[x * sc + 1];
                    d2[x] = (float)row[x * sc + 2];
                }
            }
        }
    } else {
        const size_t splane = (size_t)(src->h * src->w);
        for (int64_t y = 0; y < nh; y++) {
            size_t off = (size_t)((y0 + y) * src->w + x0);
            const float *r = src->f32 + off, *g = r + splane, *b = g + splane;
            float *d0 = dst + (size_t)(y * nw);
            if (k == 1 && scol == 3) {
                for (int64_t x = 0; x < nw; x++) d0[x] = luma(r[x], g[x], b[x]);
            } else {
                for (int ci = 0; ci < k; ci++)
                    memcpy(d0 + ci * plane, src->f32 + ci * splane + off, sizeof(float) * nw);
            }
        }
    }
}

/* Source coordinate of resized pixel d (OpenCV INTER_LINEAR rule): left index and weight. */
static void src_coord(int64_t d, int64_t in, int64_t out, int64_t *i0, float *wt) {
    double f = ((double)d + 0.5) * (double)in / (double)out - 0.5;
    double fl = floor(f);
    int64_t i = (int64_t)fl;
    double t = f - fl;
    if (i < 0) {
        i = 0;
        t = 0;
    }
    if (i >= in - 1) {
        i = in - 1;
        t = 0;
    }
    *i0 = i;
    *wt = (float)t;
}

/* The geometry of steps 1-2 for an (sh, sw) image: resized (rh, rw), crop window at (oy, ox)
 * of (ch, cw). */
typedef struct geom {
    int64_t rh, rw, oy, ox, ch, cw;
} geom;

static c8_status geometry(const c8_preprocess *p, int64_t sh, int64_t sw, const char *name, geom *g,
                          c8_error *err) {
    if (!c8_preprocess_resized_size(p, sh, sw, &g->rh, &g->rw))
        return c8_err(err, C8_ERR_SHAPE, "%s: cannot resize a %lldx%lld image", name, (long long)sh,
                      (long long)sw);
    g->oy = g->ox = 0;
    g->ch = g->rh;
    g->cw = g->rw;
    if (p->crop_h > 0) {
        if (p->crop_h > g->rh || p->crop_w > g->rw)
            return c8_err(err, C8_ERR_SHAPE,
                          "%s: crop %lldx%lld is larger than the image "
                          "(%lldx%lld%s)",
                          name, (long long)p->crop_h, (long long)p->crop_w, (long long)g->rh,
                          (long long)g->rw,
                          p->resize != C8_RESIZE_NONE || p->round_multiple > 0 ? " after resize"
                                                                               : "");
        g->ch = p->crop_h;
        g->cw = p->crop_w;
        g->oy = half_even(g->rh - g->ch);
        g->ox = half_even(g->rw - g->cw);
    }
    return C8_OK;
}

c8_status c8_preprocess_output_size(const c8_preprocess *p, int64_t h, int64_t w, const char *name,
                                    int64_t *oh, int64_t *ow, c8_error *err) {
    geom g;
    if (h <= 0 || w <= 0)
        return c8_err(err, C8_ERR_SHAPE, "%s: empty image (%lldx%lld)", name ? name : "<image>",
                      (long long)h, (long long)w);
    C8_TRY(geometry(p, h, w, name ? name : "<image>", &g, err));
    *oh = pad_up(g.ch, p->pad_multiple);
    *ow = pad_up(g.cw, p->pad_multiple);
    return C8_OK;
}

/* Step 3 in place: (c, h, w) planes at the start of out spread to (c, ph, pw), zeros added at
 * the bottom and right. From the last row back: every row moves to an offset at least its own,
 * so nothing is overwritten before it has moved. */
static void pad_planes(float *out, int64_t c, int64_t h, int64_t w, int64_t ph, int64_t pw) {
    for (int64_t ci = c - 1; ci >= 0; ci--) {
        float *dst = out + (size_t)(ci * ph * pw);
        memset(dst + (size_t)(h * pw), 0, sizeof(float) * (size_t)((ph - h) * pw));
        for (int64_t y = h - 1; y >= 0; y--) {
            memmove(dst + (size_t)(y * pw), out + (size_t)((ci * h + y) * w),
                    sizeof(float) * (size_t)w);
            memset(dst + (size_t)(y * pw + w), 0, sizeof(float) * (size_t)(pw - w));
        }
    }
}

c8_status c8_preprocess_run(const c8_preprocess *p, const c8_src_image *src, const char *name,
                            int64_t c, int64_t h, int64_t w, float *out, c8_pre_scratch *s,
                            c8_error *err) {
    int scol; /* colour channels of the source, alpha dropped */
    switch (src->c) {
    case 1:
    case 2: scol = 1; break;
    case 3:
    case 4: scol = 3; break;
    default:
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: image has %lld channels (1 gray, 2 gray+alpha, "
                      "3 RGB or 4 RGBA are read)",
                      name, (long long)src->c);
    }
    if (src->h <= 0 || src->w <= 0)
        return c8_err(err, C8_ERR_SHAPE, "%s: empty image (%lldx%lld)", name, (long long)src->h,
                      (long long)src->w);
    const int gray_out = (c == 1 || p->channels == C8_CHANNELS_GRAY);
    const int k = gray_out ? 1 : scol; /* planes carried through the resize */

    geom g;
    C8_TRY(geometry(p, src->h, src->w, name, &g, err));
    const int64_t rh = g.rh, rw = g.rw, oy = g.oy, ox = g.ox;
    const int64_t ph = pad_up(g.ch, p->pad_multiple), pw = pad_up(g.cw, p->pad_multiple);
    if (ph != h || pw != w) {
        char src_sz[96] = "";
        const int changed = p->resize != C8_RESIZE_NONE || p->crop_h > 0 || p->round_multiple > 0 ||
                            p->pad_multiple > 0;
        if (changed)
            snprintf(src_sz, sizeof src_sz, " (decoded %lldx%lld)", (long long)src->h,
                     (long long)src->w);
        return c8_err(err, C8_ERR_SHAPE,
                      "%s: image is %lldx%lld%s%s but the model takes "
                      "%lldx%lld%s",
                      name, (long long)ph, (long long)pw, changed ? " after resize/crop/pad" : "",
                      src_sz, (long long)h, (long long)w,
                      p->resize == C8_RESIZE_NONE ? " (set a resize and/or a crop)" : "");
    }
    /* steps 1, 2, 4 and 5 make the (c, ch, cw) image; step 3 spreads it to (c, ph, pw) */
    h = g.ch;
    w = g.cw;

    const size_t hw = (size_t)(h * w);
    const float *res; /* (k, h, w) the resized, cropped colour planes */
    if (rh == src->h && rw == src->w) {
        /* No resampling: pass A converts just the crop window. */
        if (!grow((void **)&s->planes, &s->planes_cap, sizeof(float) * hw * (size_t)k))
            return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", name);
        colour_planes(src, scol, k, oy, ox, h, w, s->planes);
        res = s->planes;
    } else {
        /* Only the source window the cropped output samples from goes through pass A (the
         * coordinate map is monotonic: first and last output pixels bound it). */
        int64_t ya, yb, xa, xb, t;
        float wt;
        src_coord(oy, src->h, rh, &ya, &wt);
        src_coord(oy + h - 1, src->h, rh, &yb, &wt);
        src_coord(ox, src->w, rw, &xa, &wt);
        src_coord(ox + w - 1, src->w, rw, &xb, &wt);
        yb = yb + 1 < src->h ? yb + 1 : yb;
        xb = xb + 1 < src->w ? xb + 1 : xb;
        const int64_t nh = yb - ya + 1, nw = xb - xa + 1;
        size_t sp = (size_t)(nh * nw), need;
        if (!c8_mul_size(sp + hw, (size_t)k, &need) || need > SIZE_MAX / sizeof(float) ||
            !grow((void **)&s->planes, &s->planes_cap, sizeof(float) * need) ||
            !grow((void **)&s->xo, &s->xo_cap, sizeof(int64_t) * (size_t)w) ||
            !grow((void **)&s->xw, &s->xw_cap, sizeof(float) * (size_t)w))
            return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", name);
        float *planes = s->planes, *dst = s->planes + sp * k;
        colour_planes(src, scol, k, ya, xa, nh, nw, planes);
        for (int64_t x = 0; x < w; x++) {
            src_coord(x + ox, src->w, rw, &t, &s->xw[x]);
            s->xo[x] = t - xa;
        }
        for (int64_t y = 0; y < h; y++) {
            int64_t y0;
            float wy;
            src_coord(y + oy, src->h, rh, &y0, &wy);
            int64_t y1 = y0 + 1 < src->h ? y0 + 1 : y0;
            y0 -= ya;
            y1 -= ya;
            for (int ci = 0; ci < k; ci++) {
                const float *r0 = planes + ci * sp + (size_t)(y0 * nw);
                const float *r1 = planes + ci * sp + (size_t)(y1 * nw);
                float *o = dst + ci * hw + (size_t)(y * w);
                for (int64_t x = 0; x < w; x++) {
                    int64_t x0 = s->xo[x], x1 = x0 + 1 < nw ? x0 + 1 : x0;
                    float wx = s->xw[x];
                    float top = (1.0f - wx) * r0[x0] + wx * r0[x1];
                    float bot = (1.0f - wx) * r1[x0] + wx * r1[x1];
                    o[x] = (1.0f - wy) * top + wy * bot;
                }
            }
        }
        res = dst;
    }

    /* Pass C: output channel oc reads plane src_of[oc]; then the affine normalisation. */
    for (int64_t oc = 0; oc < c; oc++) {
        int plane = 0;
        if (k == 3) plane = (p->channels == C8_CHANNELS_BGR) ? (int)(2 - oc) : (int)oc;
        const float *in = res + (size_t)plane * hw;
        /* (v * scale - mean) / std as one multiply-add in double (no division per pixel) */
        const double sd = p->std[p->nstd == 1 ? 0 : oc];
        const double a = p->scale / sd, b = -p->mean[p->nmean == 1 ? 0 : oc] / sd;
        float *o = out + (size_t)oc * hw;
        for (size_t i = 0; i < hw; i++) o[i] = (float)((double)in[i] * a + b);
    }
    if (ph != h || pw != w) pad_planes(out, c, h, w, ph, pw);
    return C8_OK;
}

c8_status c8_preprocess_apply(const c8_preprocess *p, const c8_image *img, const char *name,
                              int64_t c, int64_t h, int64_t w, float *out, c8_error *err) {
    C8_TRY(c8_preprocess_check(p, c, h, w, err));
    c8_src_image src = {img->h, img->w, img->c, img->data, NULL};
    c8_pre_scratch s = {0};
    c8_status st = c8_preprocess_run(p, &src, name ? name : "<image>", c, h, w, out, &s, err);
    c8_pre_scratch_free(&s);
    return st;
}
