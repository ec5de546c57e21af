/* .npy reader and writer, per NumPy's format description (NEP 1). */
#include "util/npy.h"

#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t c8_npy_type_size(c8_npy_type t) {
    switch (t) {
    case C8_NPY_F32: return 4;
    case C8_NPY_F64: return 8;
    case C8_NPY_I64: return 8;
    case C8_NPY_I32: return 4;
    case C8_NPY_I8: return 1;
    case C8_NPY_U8: return 1;
    case C8_NPY_F16: return 2;
    case C8_NPY_BOOL: return 1;
    }
    return 0;
}

static const char *descr_of(c8_npy_type t) {
    switch (t) {
    case C8_NPY_F32: return "<f4";
    case C8_NPY_F64: return "<f8";
    case C8_NPY_I64: return "<i8";
    case C8_NPY_I32: return "<i4";
    case C8_NPY_I8: return "|i1";
    case C8_NPY_U8: return "|u1";
    case C8_NPY_F16: return "<f2";
    case C8_NPY_BOOL: return "|b1";
    }
    return NULL;
}

/* Finds the value text after 'key': in the header dict. */
static const char *find_key(const char *h, const char *key) {
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

c8_status c8_npy_parse(const unsigned char *buf, size_t len, const char *what, c8_npy *out,
                       c8_error *err) {
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return c8_err(err, C8_ERR_PARSE, "%s: not a .npy file (bad magic)", what);
    unsigned major = buf[6];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return c8_err(err, C8_ERR_PARSE, "%s: truncated .npy header", what);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        off = 12;
    } else {
        return c8_err(err, C8_ERR_UNSUPPORTED, "%s: .npy format version %u not supported", what,
                      major);
    }
    if (hlen > len - off) return c8_err(err, C8_ERR_PARSE, "%s: truncated .npy header", what);
    char *h = malloc(hlen + 1);
    if (!h) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", what);
    memcpy(h, buf + off, hlen);
    h[hlen] = '\0';
    c8_status s = C8_OK;
    const char *d = find_key(h, "descr");
    const char *fo = find_key(h, "fortran_order");
    const char *sh = find_key(h, "shape");
    if (!d || !fo || !sh) {
        s = c8_err(err, C8_ERR_PARSE, "%s: .npy header lacks descr/fortran_order/shape", what);
        goto done;
    }
    static const c8_npy_type types[] = {C8_NPY_F32, C8_NPY_F64, C8_NPY_I64, C8_NPY_I32,
                                        C8_NPY_I8,  C8_NPY_U8,  C8_NPY_F16, C8_NPY_BOOL};
    int found = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const char *ds = descr_of(types[i]);
        if (*d == '\'' && strncmp(d + 1, ds, 3) == 0 && d[4] == '\'') {
            out->type = types[i];
            found = 1;
        }
    }
    if (!found) {
        s = c8_err(err, C8_ERR_UNSUPPORTED,
                   "%s: .npy dtype %.8s not supported (need little-endian f4/f8/f2/i8/i4/i1/u1/b1)",
                   what, d);
        goto done;
    }
    if (strncmp(fo, "False", 5) != 0) {
        s = c8_err(err, C8_ERR_UNSUPPORTED, "%s: Fortran-order .npy not supported", what);
        goto done;
    }
    if (*sh != '(') {
        s = c8_err(err, C8_ERR_PARSE, "%s: bad shape in .npy header", what);
        goto done;
    }
    const char *p = sh + 1;
    size_t count = 1;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0) {
            s = c8_err(err, C8_ERR_PARSE, "%s: bad shape in .npy header", what);
            goto done;
        }
        if (out->rank == C8_NPY_MAX_RANK) {
            s = c8_err(err, C8_ERR_UNSUPPORTED, "%s: .npy rank above %d", what, C8_NPY_MAX_RANK);
            goto done;
        }
        out->dims[out->rank++] = v;
        if (!c8_mul_size(count, (size_t)v, &count)) {
            s = c8_err(err, C8_ERR_LIMIT, "%s: .npy shape overflows", what);
            goto done;
        }
        p = end;
    }
    size_t nbytes;
    if (!c8_mul_size(count, c8_npy_type_size(out->type), &nbytes)) {
        s = c8_err(err, C8_ERR_LIMIT, "%s: .npy size overflows", what);
        goto done;
    }
    off += hlen;
    if (len - off < nbytes) {
        s = c8_err(err, C8_ERR_PARSE, "%s: .npy data truncated (%zu of %zu bytes)", what, len - off,
                   nbytes);
        goto done;
    }
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data) {
        s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", what);
        goto done;
    }
    memcpy(out->data, buf + off, nbytes);
    out->count = count;
    out->nbytes = nbytes;
done:
    free(h);
    return s;
}

c8_status c8_npy_read(const char *path, c8_npy *out, c8_error *err) {
    unsigned char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    C8_TRY(c8_read_file(path, 0, &buf, &len, err));
    c8_status s = c8_npy_parse(buf, len, path, out, err);
    free(buf);
    return s;
}

c8_status c8_npy_write(const char *path, c8_npy_type type, int rank, const int64_t *dims,
                       const void *data, c8_error *err) {
    char shape[256];
    size_t k = 0, count = 1;
    shape[k++] = '(';
    for (int i = 0; i < rank; i++) {
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)dims[i],
                              (i + 1 < rank) ? " " : "");
        if (!c8_mul_size(count, (size_t)dims[i], &count))
            return c8_err(err, C8_ERR_LIMIT, "%s: shape overflows", path);
        if (k >= sizeof shape - 4) return c8_err(err, C8_ERR_INVALID, "%s: shape too long", path);
    }
    if (rank > 1 && shape[k - 1] == ',') k--; /* (2, 3) but (5,) */
    shape[k++] = ')';
    shape[k] = '\0';
    char header[512];
    int n =
        snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                 descr_of(type), shape);
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 255),
                             (unsigned char)(hlen >> 8)};
    c8_atomic_file *f;
    C8_TRY(c8_atomic_open(path, &f, err));
    FILE *fp = c8_atomic_file_fp(f);
    fwrite(pre, 1, 10, fp);
    fwrite(header, 1, (size_t)n, fp);
    for (size_t i = 0; i < pad; i++) fputc(' ', fp);
    fputc('\n', fp);
    size_t nbytes = count * c8_npy_type_size(type);
    if (nbytes) fwrite(data, 1, nbytes, fp);
    return c8_atomic_commit(f, err);
}

void c8_npy_free(c8_npy *a) {
    if (!a) return;
    free(a->data);
    a->data = NULL;
}
