/* JSON writer and parser (RFC 8259); see json.h. */
#include "util/json.h"

#include "util/err.h"
#include "util/fileio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- writer ---------------- */

void c8_jw_init(c8_jw *w, FILE *fp) {
    memset(w, 0, sizeof *w);
    w->fp = fp;
    w->first[0] = true;
}

static void indent(c8_jw *w) {
    fputc('\n', w->fp);
    for (int i = 0; i < w->depth; i++) fputs("  ", w->fp);
}

/* Separator and indentation before a value or a key. */
static void pre_value(c8_jw *w) {
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth]) fputc(',', w->fp);
        indent(w);
    }
    w->first[w->depth] = false;
}

/* Length of the well-formed UTF-8 sequence at p (1..4; RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when the byte at p does not start one. */
static int utf8_seq_len(const unsigned char *p) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    int n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi) return 0; /* also stops at the terminating NUL */
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return n;
}

/* Invalid UTF-8 (docs/cli.md, "JSON files"): each byte that is not part of a well-formed sequence
 * is written as the escape of the lone low surrogate U+DC00 + byte ("\udcff" for 0xFF), Python's
 * "surrogateescape": the file stays ASCII-clean valid UTF-8, and the bytes come back exactly
 * (c8_json_parse, or Python's s.encode("utf-8", "surrogateescape")). */
void c8_json_write_string(FILE *fp, const char *s) {
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            int n = utf8_seq_len(p);
            if (n == 0) {
                fprintf(fp, "\\u%04x", 0xdc00u + *p);
            } else {
                fwrite(p, 1, (size_t)n, fp);
                p += n - 1;
            }
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        case '\b': fputs("\\b", fp); break;
        case '\f': fputs("\\f", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

static void open_(c8_jw *w, char c) {
    pre_value(w);
    fputc(c, w->fp);
    C8_ASSERT(w->depth + 1 < C8_JSON_MAX_DEPTH);
    w->depth++;
    w->first[w->depth] = true;
}

static void close_(c8_jw *w, char c) {
    C8_ASSERT(w->depth > 0);
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty) indent(w);
    fputc(c, w->fp);
    if (w->depth == 0) fputc('\n', w->fp);
}

void c8_jw_obj_begin(c8_jw *w) { open_(w, '{'); }
void c8_jw_obj_end(c8_jw *w) { close_(w, '}'); }
void c8_jw_arr_begin(c8_jw *w) { open_(w, '['); }
void c8_jw_arr_end(c8_jw *w) { close_(w, ']'); }

void c8_jw_key(c8_jw *w, const char *key) {
    pre_value(w);
    c8_json_write_string(w->fp, key);
    fputs(": ", w->fp);
    w->after_key = true;
}

void c8_jw_str(c8_jw *w, const char *s) {
    pre_value(w);
    c8_json_write_string(w->fp, s ? s : "");
}

void c8_jw_int(c8_jw *w, int64_t v) {
    pre_value(w);
    fprintf(w->fp, "%lld", (long long)v);
}

void c8_jw_num(c8_jw *w, double v) {
    pre_value(w);
    if (!isfinite(v))
        fputs("null", w->fp);
    else
        fprintf(w->fp, "%.17g", v);
}

void c8_jw_f32(c8_jw *w, float v) {
    pre_value(w);
    if (!isfinite(v))
        fputs("null", w->fp);
    else
        fprintf(w->fp, "%.9g", (double)v);
}

void c8_jw_bool(c8_jw *w, bool v) {
    pre_value(w);
    fputs(v ? "true" : "false", w->fp);
}

void c8_jw_null(c8_jw *w) {
    pre_value(w);
    fputs("null", w->fp);
}

/* ---------------- parser ---------------- */

typedef struct {
    const char *s, *end, *what, *start;
    c8_error *err;
} jp;

static c8_status perr(jp *p, const char *msg) {
    int line = 1, col = 1;
    for (const char *q = p->start; q < p->s && q < p->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else
            col++;
    }
    return c8_err(p->err, C8_ERR_PARSE, "%s: JSON %s (line %d, col %d)", p->what, msg, line, col);
}

static void skip_ws(jp *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static c8_status parse_value(jp *p, c8_json *v, int depth);

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(char **o, unsigned cp) {
    char *q = *o;
    if (cp < 0x80)
        *q++ = (char)cp;
    else if (cp < 0x800) {
        *q++ = (char)(0xc0 | (cp >> 6));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xe0 | (cp >> 12));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *q++ = (char)(0xf0 | (cp >> 18));
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = q;
}

static c8_status parse_string(jp *p, char **out) {
    /* p->s at opening quote; decoded length <= raw length */
    const char *start = ++p->s;
    const char *q = start;
    while (q < p->end && *q != '"') {
        if (*q == '\\') q++;
        q++;
    }
    if (q >= p->end) return perr(p, "unterminated string");
    char *buf = malloc((size_t)(q - start) + 1);
    if (!buf) return c8_err(p->err, C8_ERR_NOMEM, "%s: out of memory", p->what);
    char *o = buf;
    while (p->s < q) {
        char c = *p->s++;
        if ((unsigned char)c < 0x20) {
            free(buf);
            return perr(p, "control character in string");
        }
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        c = *p->s++;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            if (q - p->s < 4) {
                free(buf);
                return perr(p, "bad \\u escape");
            }
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                int h = hexval(p->s[i]);
                if (h < 0) {
                    free(buf);
                    return perr(p, "bad \\u escape");
                }
                cp = cp * 16 + (unsigned)h;
            }
            p->s += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && q - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
                unsigned lo = 0;
                int ok = 1;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(p->s[2 + i]);
                    if (h < 0) ok = 0;
                    lo = lo * 16 + (unsigned)(h < 0 ? 0 : h);
                }
                if (ok && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    p->s += 6;
                }
            }
            /* a lone U+DC80..U+DCFF is an escaped raw byte (c8_json_write_string) */
            if (cp >= 0xdc80 && cp <= 0xdcff) {
                *o++ = (char)(cp - 0xdc00);
                break;
            }
            /* a \u escape expands to at most 4 bytes from 6 (or 12) raw bytes: fits */
            put_utf8(&o, cp);
            break;
        }
        default: free(buf); return perr(p, "bad escape");
        }
    }
    *o = '\0';
    p->s = q + 1;
    *out = buf;
    return C8_OK;
}

static c8_status parse_container(jp *p, c8_json *v, int depth, int is_obj) {
    char close = is_obj ? '}' : ']';
    p->s++;
    size_t cap = 0;
    v->type = is_obj ? C8_JSON_OBJ : C8_JSON_ARR;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return C8_OK;
    }
    for (;;) {
        if (v->n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            c8_json *nk = realloc(v->kids, nc * sizeof *nk);
            if (!nk) return c8_err(p->err, C8_ERR_NOMEM, "%s: out of memory", p->what);
            v->kids = nk;
            if (is_obj) {
                char **nkeys = realloc(v->keys, nc * sizeof *nkeys);
                if (!nkeys) return c8_err(p->err, C8_ERR_NOMEM, "%s: out of memory", p->what);
                v->keys = nkeys;
            }
            cap = nc;
        }
        skip_ws(p);
        if (is_obj) {
            if (p->s >= p->end || *p->s != '"') return perr(p, "expected a key");
            char *key;
            C8_TRY(parse_string(p, &key));
            v->keys[v->n] = key;
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') {
                memset(&v->kids[v->n], 0, sizeof v->kids[0]);
                v->n++;
                return perr(p, "expected ':'");
            }
            p->s++;
        }
        memset(&v->kids[v->n], 0, sizeof v->kids[0]);
        v->n++;
        C8_TRY(parse_value(p, &v->kids[v->n - 1], depth + 1));
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return C8_OK;
        }
        return perr(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static c8_status parse_value(jp *p, c8_json *v, int depth) {
    if (depth > 64) return perr(p, "nested too deeply");
    skip_ws(p);
    if (p->s >= p->end) return perr(p, "unexpected end of input");
    char c = *p->s;
    if (c == '{') return parse_container(p, v, depth, 1);
    if (c == '[') return parse_container(p, v, depth, 0);
    if (c == '"') {
        v->type = C8_JSON_STR;
        return parse_string(p, &v->str);
    }
    if ((size_t)(p->end - p->s) >= 4 && memcmp(p->s, "true", 4) == 0) {
        v->type = C8_JSON_BOOL;
        v->b = true;
        p->s += 4;
        return C8_OK;
    }
    if ((size_t)(p->end - p->s) >= 5 && memcmp(p->s, "false", 5) == 0) {
        v->type = C8_JSON_BOOL;
        p->s += 5;
        return C8_OK;
    }
    if ((size_t)(p->end - p->s) >= 4 && memcmp(p->s, "null", 4) == 0) {
        v->type = C8_JSON_NULL;
        p->s += 4;
        return C8_OK;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t k = 0;
        while (p->s + k < p->end && k < sizeof tmp - 1 &&
               strchr("+-0123456789.eE", p->s[k]) != NULL) {
            tmp[k] = p->s[k];
            k++;
        }
        tmp[k] = '\0';
        char *end;
        v->num = strtod(tmp, &end);
        if (end != tmp + k || k == 0) return perr(p, "bad number");
        v->type = C8_JSON_NUM;
        p->s += k;
        return C8_OK;
    }
    return perr(p, "unexpected character");
}

static void free_kids(c8_json *j) {
    for (size_t i = 0; i < j->n; i++) {
        free_kids(&j->kids[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->kids);
    free(j->keys);
    free(j->str);
}

c8_status c8_json_parse(const char *text, size_t len, const char *what, c8_json **out,
                        c8_error *err) {
    *out = NULL;
    c8_json *root = calloc(1, sizeof *root);
    if (!root) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", what);
    jp p = {text, text + len, what, text, err};
    c8_status s = parse_value(&p, root, 0);
    if (s == C8_OK) {
        skip_ws(&p);
        if (p.s != p.end) s = perr(&p, "trailing characters after the value");
    }
    if (s != C8_OK) {
        free_kids(root);
        free(root);
        return s;
    }
    *out = root;
    return C8_OK;
}

c8_status c8_json_parse_file(const char *path, c8_json **out, c8_error *err) {
    unsigned char *buf;
    size_t len;
    *out = NULL;
    C8_TRY(c8_read_file(path, 0, &buf, &len, err));
    c8_status s = c8_json_parse((const char *)buf, len, path, out, err);
    free(buf);
    return s;
}

void c8_json_free(c8_json *j) {
    if (!j) return;
    free_kids(j);
    free(j);
}

const c8_json *c8_json_get(const c8_json *j, const char *key) {
    if (!j || j->type != C8_JSON_OBJ) return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0) return &j->kids[i];
    return NULL;
}

const char *c8_json_get_str(const c8_json *j, const char *key) {
    const c8_json *v = c8_json_get(j, key);
    return v && v->type == C8_JSON_STR ? v->str : NULL;
}

double c8_json_get_num(const c8_json *j, const char *key, double dflt) {
    const c8_json *v = c8_json_get(j, key);
    return v && v->type == C8_JSON_NUM ? v->num : dflt;
}
