/* TensorRT calibration caches: "TRT-<version>-<algorithm>" then "<name>: <hex>" lines, the hex
 * being the float32 bit pattern of the scale (lowercase, no leading zeros). Reading policy in
 * docs/calibration.md ("Cache files"); checked against the real TensorRT caches in
 * ../shared/fixtures/trt-caches by tests/calib/test_calib_cache.c. */
#include "calib/cache.h"

#include "calib/strmap.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX_BYTES ((size_t)256 << 20) /* a cache is one short line per tensor */
#define VERSION_MAX 10
#define ALGO_MAX 64

typedef struct entry {
    char *name;    /* owned */
    uint32_t bits; /* float32 bit pattern of the scale */
    int64_t line;  /* line read from (0 when set by the API) */
} entry;

struct c8_calib_cache {
    char version[VERSION_MAX + 1];
    char algorithm[ALGO_MAX + 1];
    bool final_newline;
    int64_t noncanonical;
    int64_t n, cap;
    entry *e;      /* (cap) tensors in file order */
    c8_strmap map; /* name -> index into e (keys borrowed from e[i].name) */
    /* SHA-256 of the formatted bytes for c8_calib_cache_scales: computed when a parse ends and
     * again after a change (sha_ok false), so a cache only read is never written to there and
     * may be shared by threads. */
    char sha[65];
    bool sha_ok;
};

static bool valid_version(const char *v, size_t n) {
    if (n == 0 || n > VERSION_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9') return false;
    return true;
}

static bool valid_algo(const char *a, size_t n) {
    if (n == 0 || n > ALGO_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

c8_status c8_calib_cache_create(const char *trt_version, const char *trt_algorithm,
                                c8_calib_cache **out, c8_error *err) {
    *out = NULL;
    if (!trt_version) trt_version = C8_CALIB_TRT_VERSION_DEFAULT;
    if (!valid_version(trt_version, strlen(trt_version)))
        return c8_err(err, C8_ERR_INVALID, "cache header version '%s' is not 1-%d digits",
                      trt_version, VERSION_MAX);
    if (!trt_algorithm || !valid_algo(trt_algorithm, strlen(trt_algorithm)))
        return c8_err(err, C8_ERR_INVALID,
                      "cache header algorithm '%s' is not 1-%d letters, digits or '_'",
                      trt_algorithm ? trt_algorithm : "(null)", ALGO_MAX);
    c8_calib_cache *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    strcpy(c->version, trt_version);
    strcpy(c->algorithm, trt_algorithm);
    c->final_newline = true;
    *out = c;
    return C8_OK;
}

void c8_calib_cache_destroy(c8_calib_cache *c) {
    if (!c) return;
    for (int64_t i = 0; i < c->n; i++) free(c->e[i].name);
    free(c->e);
    c8_strmap_free(&c->map);
    free(c);
}

static bool bits_refused(uint32_t bits) {
    bool nan = (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu);
    return nan || (bits & 0x80000000u);
}

/* Appends or replaces; name is copied. *dup_line (if non-NULL) receives the earlier line of an
 * existing name instead of replacing it (the parser rejects duplicates). */
static c8_status put(c8_calib_cache *c, const char *name, size_t len, uint32_t bits, int64_t line,
                     int64_t *dup_line, c8_error *err) {
    char *nm = malloc(len + 1);
    if (!nm) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    memcpy(nm, name, len);
    nm[len] = '\0';
    int64_t idx = c8_strmap_get(&c->map, nm);
    if (idx >= 0) {
        free(nm);
        if (dup_line) {
            *dup_line = c->e[idx].line;
            return C8_ERR_INVALID;
        }
        c->e[idx].bits = bits;
        c->sha_ok = false;
        return C8_OK;
    }
    if (c->n == c->cap) {
        int64_t ncap = c->cap ? c->cap * 2 : 64;
        entry *ne = realloc(c->e, (size_t)ncap * sizeof *ne);
        if (!ne) {
            free(nm);
            return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
        c->e = ne;
        c->cap = ncap;
    }
    bool ins;
    int64_t old;
    if (!c8_strmap_put(&c->map, nm, c->n, &ins, &old)) {
        free(nm);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    c->e[c->n++] = (entry){nm, bits, line};
    c->sha_ok = false;
    return C8_OK;
}

/* What a refused scale is, for messages: NaN first (ffc00000 has the sign bit set, and
 * is a NaN, not a negative number). */
static const char *bits_kind(uint32_t bits) {
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) return "NaN";
    if ((bits & 0x7fffffffu) == 0x7f800000u)
        return (bits & 0x80000000u) ? "negative infinite" : "infinite";
    return (bits & 0x80000000u) ? "negative" : "invalid";
}

static c8_status check_name(const char *name, c8_error *err) {
    if (!name || !*name) return c8_err(err, C8_ERR_INVALID, "empty tensor name");
    if (strpbrk(name, "\r\n"))
        return c8_err(err, C8_ERR_INVALID, "tensor name '%s' contains a line break", name);
    return C8_OK;
}

c8_status c8_calib_cache_set_bits(c8_calib_cache *c, const char *name, uint32_t bits,
                                  c8_error *err) {
    C8_TRY(check_name(name, err));
    if (bits_refused(bits))
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': scale %08x is %s", name, (unsigned)bits,
                      bits_kind(bits));
    return put(c, name, strlen(name), bits, 0, NULL, err);
}

c8_status c8_calib_cache_set(c8_calib_cache *c, const char *name, float scale, c8_error *err) {
    uint32_t bits;
    memcpy(&bits, &scale, sizeof bits);
    return c8_calib_cache_set_bits(c, name, bits, err);
}

/* A printable excerpt of s[0..n) for messages: at most 60 bytes, control bytes as \xNN. */
static const char *snip(const char *s, size_t n, char *buf, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 8 < cap; i++) {
        if (i == 60) {
            k += (size_t)snprintf(buf + k, cap - k, "...");
            break;
        }
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            k += (size_t)snprintf(buf + k, cap - k, "\\x%02x", ch);
        else
            buf[k++] = (char)ch;
    }
    buf[k] = '\0';
    return buf;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* One "<name>: <hex>" line (without its '\n'). */
static c8_status parse_entry(c8_calib_cache *c, const char *s, size_t n, const char *what,
                             int64_t line, c8_error *err) {
    char sn[256], sn2[256];
    if (n == 0) return c8_err(err, C8_ERR_PARSE, "%s:%lld: empty line", what, (long long)line);
    /* the name may contain ": " itself: split at the last one */
    size_t sep = n;
    for (size_t i = n - 1; i > 0; i--)
        if (s[i - 1] == ':' && s[i] == ' ') {
            sep = i - 1;
            break;
        }
    if (sep == n)
        return c8_err(err, C8_ERR_PARSE,
                      "%s:%lld: no ': ' in '%s' (expected '<tensor name>: <hex scale>')", what,
                      (long long)line, snip(s, n, sn, sizeof sn));
    if (sep == 0)
        return c8_err(err, C8_ERR_PARSE, "%s:%lld: empty tensor name in '%s'", what,
                      (long long)line, snip(s, n, sn, sizeof sn));
    const char *v = s + sep + 2;
    size_t vl = n - sep - 2;
    uint32_t bits = 0;
    bool canon = vl > 0 && (vl == 1 || v[0] != '0');
    for (size_t i = 0; i < vl; i++) {
        int d = hexval(v[i]);
        if (d < 0) {
            return c8_err(err, C8_ERR_PARSE,
                          "%s:%lld: bad hex scale '%s' for tensor '%s' (expected 1-8 hex digits)",
                          what, (long long)line, snip(v, vl, sn, sizeof sn),
                          snip(s, sep, sn2, sizeof sn2));
        }
        if (v[i] >= 'A' && v[i] <= 'F') canon = false;
        bits = (bits << 4) | (uint32_t)d;
    }
    if (vl == 0)
        return c8_err(err, C8_ERR_PARSE, "%s:%lld: tensor '%s' has an empty scale", what,
                      (long long)line, snip(s, sep, sn, sizeof sn));
    if (vl > 8)
        return c8_err(
            err, C8_ERR_PARSE,
            "%s:%lld: scale '%s' of tensor '%s' has %zu hex digits (at most 8: a float32)", what,
            (long long)line, snip(v, vl, sn, sizeof sn), snip(s, sep, sn2, sizeof sn2), vl);
    if (bits_refused(bits))
        return c8_err(err, C8_ERR_PARSE, "%s:%lld: tensor '%s' has a %s scale (%08x)", what,
                      (long long)line, snip(s, sep, sn, sizeof sn), bits_kind(bits),
                      (unsigned)bits);
    if (!canon) c->noncanonical++;
    int64_t dup = 0;
    c8_status st = put(c, s, sep, bits, line, &dup, err);
    if (st == C8_ERR_INVALID)
        return c8_err(err, C8_ERR_PARSE, "%s:%lld: duplicate tensor '%s' (first on line %lld)",
                      what, (long long)line, snip(s, sep, sn, sizeof sn), (long long)dup);
    return st;
}

static c8_status parse_header(c8_calib_cache *c, const char *s, size_t n, const char *what,
                              c8_error *err) {
    char sn[256];
    const char *dash = n > 4 ? memchr(s + 4, '-', n - 4) : NULL;
    if (n < 4 || memcmp(s, "TRT-", 4) || !dash || !valid_version(s + 4, (size_t)(dash - s - 4)) ||
        !valid_algo(dash + 1, n - (size_t)(dash + 1 - s)))
        return c8_err(err, C8_ERR_PARSE,
                      "%s:1: bad header '%s' (expected 'TRT-<version>-<algorithm>', e.g. "
                      "'TRT-8501-EntropyCalibration2')",
                      what, snip(s, n, sn, sizeof sn));
    memcpy(c->version, s + 4, (size_t)(dash - s - 4));
    c->version[dash - s - 4] = '\0';
    memcpy(c->algorithm, dash + 1, n - (size_t)(dash + 1 - s));
    c->algorithm[n - (size_t)(dash + 1 - s)] = '\0';
    return C8_OK;
}

c8_status c8_calib_cache_parse(const char *text, size_t len, const char *what, c8_calib_cache **out,
                               c8_error *err) {
    *out = NULL;
    if (len == 0)
        return c8_err(err, C8_ERR_PARSE,
                      "%s: empty file (expected a 'TRT-<version>-<algorithm>' header line)", what);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int64_t line = 1;
        for (const char *p = text; p < nul; p++) line += *p == '\n';
        return c8_err(err, C8_ERR_PARSE, "%s:%lld: NUL byte (not a text calibration cache)", what,
                      (long long)line);
    }
    c8_calib_cache *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c->final_newline = text[len - 1] == '\n';
    size_t end = c->final_newline ? len - 1 : len; /* the final '\n' ends the last line */
    size_t pos = 0;
    int64_t line = 0;
    c8_status st = C8_OK;
    for (;;) {
        line++;
        const char *nl = memchr(text + pos, '\n', end - pos);
        size_t ln = nl ? (size_t)(nl - (text + pos)) : end - pos;
        const char *s = text + pos;
        const char *cr = memchr(s, '\r', ln);
        if (cr) {
            st = c8_err(err, C8_ERR_PARSE,
                        cr == s + ln - 1
                            ? "%s:%lld: line ends with CR (CRLF line endings); TensorRT caches "
                              "use LF only"
                            : "%s:%lld: carriage return inside the line",
                        what, (long long)line);
            break;
        }
        st = line == 1 ? parse_header(c, s, ln, what, err) : parse_entry(c, s, ln, what, line, err);
        if (st != C8_OK) break;
        if (!nl) break;
        pos += ln + 1;
    }
    if (st == C8_OK) st = c8_calib_cache_sha256(c, c->sha, err);
    if (st != C8_OK) {
        c8_calib_cache_destroy(c);
        return st;
    }
    c->sha_ok = true;
    *out = c;
    return C8_OK;
}

c8_status c8_calib_cache_read(const char *path, c8_calib_cache **out, c8_error *err) {
    *out = NULL;
    unsigned char *buf;
    size_t len;
    C8_TRY(c8_read_file(path, CACHE_MAX_BYTES, &buf, &len, err));
    c8_status st = c8_calib_cache_parse((const char *)buf, len, path, out, err);
    free(buf);
    return st;
}

c8_status c8_calib_cache_format(const c8_calib_cache *c, char **text, size_t *len, c8_error *err) {
    *text = NULL;
    *len = 0;
    size_t total = 4 + strlen(c->version) + 1 + strlen(c->algorithm) + 1 + 1;
    for (int64_t i = 0; i < c->n; i++) total += strlen(c->e[i].name) + 2 + 8 + 1;
    char *b = malloc(total);
    if (!b) return c8_err(err, C8_ERR_NOMEM, "out of memory formatting a cache");
    size_t k = (size_t)snprintf(b, total, "TRT-%s-%s", c->version, c->algorithm);
    for (int64_t i = 0; i < c->n; i++)
        k += (size_t)snprintf(b + k, total - k, "\n%s: %x", c->e[i].name, (unsigned)c->e[i].bits);
    if (c->final_newline) b[k++] = '\n';
    b[k] = '\0';
    *text = b;
    *len = k;
    return C8_OK;
}

c8_status c8_calib_cache_write(const c8_calib_cache *c, const char *path, c8_error *err) {
    char *t;
    size_t n;
    C8_TRY(c8_calib_cache_format(c, &t, &n, err));
    c8_status st = c8_write_file_atomic(path, t, n, err);
    free(t);
    return st;
}

c8_status c8_calib_cache_sha256(const c8_calib_cache *c, char out[65], c8_error *err) {
    char *t;
    size_t n;
    C8_TRY(c8_calib_cache_format(c, &t, &n, err));
    c8_sha256_buf_hex(t, n, out);
    free(t);
    return C8_OK;
}

int64_t c8_calib_cache_count(const c8_calib_cache *c) { return c->n; }
const char *c8_calib_cache_name(const c8_calib_cache *c, int64_t i) { return c->e[i].name; }
uint32_t c8_calib_cache_bits(const c8_calib_cache *c, int64_t i) { return c->e[i].bits; }
float c8_calib_cache_scale(const c8_calib_cache *c, int64_t i) {
    float f;
    memcpy(&f, &c->e[i].bits, sizeof f);
    return f;
}
int64_t c8_calib_cache_find(const c8_calib_cache *c, const char *name) {
    return c8_strmap_get(&c->map, name);
}
int64_t c8_calib_cache_line(const c8_calib_cache *c, int64_t i) { return c->e[i].line; }

c8_status c8_calib_cache_get(const c8_calib_cache *c, const char *name, float *scale,
                             c8_error *err) {
    int64_t i = c8_calib_cache_find(c, name);
    if (i < 0) return c8_err(err, C8_ERR_NOT_FOUND, "tensor '%s' has no scale in the cache", name);
    *scale = c8_calib_cache_scale(c, i);
    return C8_OK;
}

const char *c8_calib_cache_trt_version(const c8_calib_cache *c) { return c->version; }
const char *c8_calib_cache_trt_algorithm(const c8_calib_cache *c) { return c->algorithm; }
bool c8_calib_cache_final_newline(const c8_calib_cache *c) { return c->final_newline; }
void c8_calib_cache_set_final_newline(c8_calib_cache *c, bool on) {
    c->final_newline = on;
    c->sha_ok = false;
}
int64_t c8_calib_cache_noncanonical(const c8_calib_cache *c) { return c->noncanonical; }

static double rel_diff(float a, float b) {
    if (isinf(a) || isinf(b)) return a == b ? 0.0 : INFINITY;
    double da = fabs((double)a), db = fabs((double)b);
    double m = da > db ? da : db;
    return m == 0.0 ? 0.0 : fabs((double)a - (double)b) / m;
}

c8_status c8_calib_cache_diff(const c8_calib_cache *a, const c8_calib_cache *b, double rel_tol,
                              c8_calib_diff **out, int64_t *n, c8_error *err) {
    *out = NULL;
    *n = 0;
    int64_t cap = a->n + b->n;
    if (cap == 0) return C8_OK;
    c8_calib_diff *d = malloc((size_t)cap * sizeof *d);
    if (!d) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    int64_t k = 0;
    for (int64_t i = 0; i < a->n; i++) {
        int64_t j = c8_calib_cache_find(b, a->e[i].name);
        float sa = c8_calib_cache_scale(a, i);
        if (j < 0) {
            d[k++] = (c8_calib_diff){C8_CALIB_DIFF_ONLY_A, a->e[i].name, sa, 0.0f, INFINITY};
            continue;
        }
        if (a->e[i].bits == b->e[j].bits) continue;
        float sb = c8_calib_cache_scale(b, j);
        double r = rel_diff(sa, sb);
        if (rel_tol > 0.0 && r <= rel_tol) continue;
        d[k++] = (c8_calib_diff){C8_CALIB_DIFF_SCALE, a->e[i].name, sa, sb, r};
    }
    for (int64_t j = 0; j < b->n; j++)
        if (c8_calib_cache_find(a, b->e[j].name) < 0)
            d[k++] = (c8_calib_diff){C8_CALIB_DIFF_ONLY_B, b->e[j].name, 0.0f,
                                     c8_calib_cache_scale(b, j), INFINITY};
    if (k == 0) {
        free(d);
        return C8_OK;
    }
    *out = d;
    *n = k;
    return C8_OK;
}

/* c8_scale_source.get over a cache: every tensor the cache lists, whatever its value (the builder
 * turns a zero or infinite scale into the layer's fallback reason, as it always did). */
static bool cache_scale_get(void *user, const char *name, float *scale) {
    const c8_calib_cache *c = user;
    int64_t i = c8_calib_cache_find(c, name);
    if (i < 0) return false;
    *scale = c8_calib_cache_scale(c, i);
    return true;
}

c8_scale_source c8_calib_cache_scales(const c8_calib_cache *cache) {
    c8_scale_source src = {cache_scale_get, (void *)cache, NULL};
    if (!cache) return (c8_scale_source){0};
    if (!cache->sha_ok) {
        /* a cache changed since it was read: its own memory, not shared while it is changed */
        c8_calib_cache *c = (c8_calib_cache *)cache;
        c->sha_ok = c8_calib_cache_sha256(c, c->sha, NULL) == C8_OK;
    }
    src.sha256 = cache->sha_ok ? cache->sha : NULL;
    return src;
}
