/* IDX (MNIST family) to an image folder or an HDF5 file. Contract: include/calib8/dataset.h
 * (c8_idx_convert); format: http://yann.lecun.com/exdb/mnist/ ("IDX file format"): big-endian,
 * magic 0x0000TTDD (TT = 0x08 unsigned byte, DD = number of dimensions), then DD uint32 sizes,
 * then the data. Tests: tests/datasets/test_convert.c (synthetic files, and the Debian
 * Fashion-MNIST files when installed). */
#include "datasets/h5.h"
#include "datasets/image.h"

#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

/* Largest IDX file read (after decompression): 4 GiB. */
#define C8_IDX_MAX_BYTES ((size_t)4 << 30)

static const char *const k_fashion[] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                        "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                        "Bag",         "Ankle boot"};
static const char *const k_digits[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

const char *const *c8_idx_builtin_classes(const char *name, int64_t *n) {
    if (!strcmp(name, "fashion-mnist")) {
        *n = 10;
        return k_fashion;
    }
    if (!strcmp(name, "mnist")) {
        *n = 10;
        return k_digits;
    }
    *n = 0;
    return NULL;
}

void c8_idx_convert_opts_init(c8_idx_convert_opts *o) {
    memset(o, 0, sizeof *o);
    o->limit = -1;
}

/* Reads a gzip-compressed or plain file whole (zlib reads plain files transparently). */
static c8_status read_gz(const char *path, unsigned char **data, size_t *len, c8_error *err) {
    *data = NULL;
    *len = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return c8_err(err, C8_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(f, 1 << 17);
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    c8_status s = C8_OK;
    if (!buf) s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    while (s == C8_OK) {
        if (n == cap) {
            if (cap >= C8_IDX_MAX_BYTES) {
                s = c8_err(err, C8_ERR_LIMIT, "%s: larger than %zu bytes uncompressed", path,
                           C8_IDX_MAX_BYTES);
                break;
            }
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - n;
        if (want > (1u << 30)) want = 1u << 30;
        int r = gzread(f, buf + n, (unsigned)want);
        if (r < 0) {
            int zerr;
            const char *m = gzerror(f, &zerr);
            s = c8_err(err, C8_ERR_PARSE, "%s: %s", path,
                       zerr == Z_ERRNO ? strerror(errno) : (m && *m ? m : "gzip error"));
            break;
        }
        if (r == 0) {
            int zerr;
            const char *m = gzerror(f, &zerr);
            if (zerr != Z_OK)
                s = c8_err(err, C8_ERR_PARSE, "%s: %s", path, m && *m ? m : "gzip error");
            break;
        }
        n += (size_t)r;
    }
    gzclose(f);
    if (s != C8_OK) {
        free(buf);
        return s;
    }
    *data = buf;
    *len = n;
    return C8_OK;
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Validates an IDX header: unsigned-byte data with `ndims` dimensions, exact length. */
static c8_status idx_check(const char *path, const unsigned char *b, size_t len, int ndims,
                           uint32_t *dims, c8_error *err) {
    if (len < 4)
        return c8_err(err, C8_ERR_PARSE, "%s: too short for an IDX file (%zu bytes)", path, len);
    if (b[0] != 0 || b[1] != 0)
        return c8_err(err, C8_ERR_PARSE, "%s: not an IDX file (magic %02x%02x%02x%02x)", path, b[0],
                      b[1], b[2], b[3]);
    if (b[2] != 0x08)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: IDX element type 0x%02x; only unsigned bytes "
                      "(0x08) are converted",
                      path, b[2]);
    if (b[3] != ndims)
        return c8_err(err, C8_ERR_PARSE, "%s: IDX file with %d dimensions; expected %d (%s)", path,
                      b[3], ndims, ndims == 3 ? "images: N, rows, columns" : "labels: N");
    size_t hdr = 4 + 4 * (size_t)ndims;
    if (len < hdr)
        return c8_err(err, C8_ERR_PARSE, "%s: truncated IDX header (%zu bytes)", path, len);
    size_t need = 1;
    for (int i = 0; i < ndims; i++) {
        dims[i] = be32(b + 4 + 4 * i);
        if (!c8_mul_size(need, dims[i], &need))
            return c8_err(err, C8_ERR_LIMIT, "%s: IDX sizes overflow", path);
    }
    if (need != len - hdr)
        return c8_err(err, C8_ERR_PARSE,
                      "%s: IDX header promises %zu data bytes but the file has "
                      "%zu%s",
                      path, need, len - hdr,
                      need > len - hdr ? " (truncated)" : " (trailing data)");
    return C8_OK;
}

/* Every byte outside [A-Za-z0-9._-] becomes '_'. */
static void sanitize(const char *in, char *out, size_t n) {
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        unsigned char ch = (unsigned char)*in;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        out[k++] = ok ? (char)ch : '_';
    }
    out[k] = '\0';
}

static int digits(int64_t v) {
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* Removes a tree (does not follow symlinks). Best effort; returns 0 on any failure. */
static int remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return unlink(path) == 0;
    DIR *d = opendir(path);
    if (!d) return 0;
    int ok = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *sub = c8_path_join(path, e->d_name);
        if (!sub || !remove_tree(sub)) ok = 0;
        free(sub);
    }
    closedir(d);
    return rmdir(path) == 0 && ok;
}

/* 1 empty folder, 2 non-empty folder, 3 exists but not a folder, 0 absent. */
static int out_state(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return 3;
    DIR *d = opendir(path);
    if (!d) return 2;
    int any = 0;
    struct dirent *e;
    while (!any && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) any = 1;
    closedir(d);
    return any ? 2 : 1;
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

typedef struct conv {
    const c8_idx_convert_opts *o;
    const unsigned char *pix; /* (n, h, w) */
    const unsigned char *lab; /* (n) */
    int64_t n, h, w, k;
    const char *const *names; /* (k) or NULL: "class<k>" */
} conv;

static c8_status write_folder(const conv *cv, c8_error *err) {
    const char *out = cv->o->out_path;
    int state = out_state(out);
    if (state == 3) return c8_err(err, C8_ERR_INVALID, "%s: exists and is not a folder", out);
    if (state == 2) {
        char *marker = c8_path_join(out, "classes.txt");
        int ours = marker && access(marker, F_OK) == 0;
        free(marker);
        if (!cv->o->force)
            return c8_err(err, C8_ERR_INVALID,
                          "%s: folder exists and is not empty (pass --force "
                          "to replace it)",
                          out);
        if (!ours)
            return c8_err(err, C8_ERR_INVALID,
                          "%s: refusing to replace a non-empty folder that "
                          "is not a calib8 conversion (no classes.txt in it); remove it yourself",
                          out);
    }
    /* Build in a sibling temporary folder, rename into place at the end. */
    size_t plen = strlen(out) + 32;
    char *tmp = malloc(plen), *old = malloc(plen);
    if (!tmp || !old) {
        free(tmp);
        free(old);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    size_t ol = strlen(out);
    while (ol > 1 && out[ol - 1] == '/') ol--; /* "dir/" -> "dir" for the sibling names */
    snprintf(tmp, plen, "%.*s.tmp.XXXXXX", (int)ol, out);
    snprintf(old, plen, "%.*s.old.%ld", (int)ol, out, (long)getpid());
    char *parent = c8_path_dirname(tmp);
    c8_status s = parent ? c8_mkdirs(parent, err) : c8_err(err, C8_ERR_NOMEM, "out of memory");
    free(parent);
    if (s != C8_OK) {
        free(tmp);
        free(old);
        return s;
    }
    if (!mkdtemp(tmp)) {
        s = c8_err(err, C8_ERR_IO, "%s: cannot create a temporary folder: %s", tmp,
                   strerror(errno));
        free(tmp);
        free(old);
        return s;
    }
    int kd = digits(cv->k - 1 > 0 ? cv->k - 1 : 0), nd = digits(cv->n - 1 > 0 ? cv->n - 1 : 0);
    char **dirs = calloc((size_t)cv->k, sizeof *dirs);
    if (!dirs) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_atomic_file *cf = NULL;
    char *cpath = c8_path_join(tmp, "classes.txt");
    if (s == C8_OK && !cpath) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
    if (s == C8_OK) s = c8_atomic_open(cpath, &cf, err);
    for (int64_t c = 0; s == C8_OK && c < cv->k; c++) {
        char nm[256], dn[300];
        if (cv->names) {
            sanitize(cv->names[c], nm, sizeof nm);
            fprintf(c8_atomic_file_fp(cf), "%s\n", cv->names[c]);
        } else {
            snprintf(nm, sizeof nm, "class%lld", (long long)c);
            fprintf(c8_atomic_file_fp(cf), "%s\n", nm);
        }
        if (snprintf(dn, sizeof dn, "%0*lld-%s", kd, (long long)c, nm) >= (int)sizeof dn) {
            s = c8_err(err, C8_ERR_LIMIT, "class %lld: folder name too long", (long long)c);
            break;
        }
        dirs[c] = c8_path_join(tmp, dn);
        if (!dirs[c])
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        else if (mkdir(dirs[c], 0777) != 0)
            s = c8_err(err, C8_ERR_IO, "%s: cannot create folder: %s", dirs[c], strerror(errno));
    }
    if (s == C8_OK) {
        s = c8_atomic_commit(cf, err);
        cf = NULL;
    }
    c8_image img = {cv->h, cv->w, 1, NULL};
    for (int64_t i = 0; s == C8_OK && i < cv->n; i++) {
        char fn[64];
        if (snprintf(fn, sizeof fn, "%0*lld.png", nd, (long long)i) >= (int)sizeof fn) {
            s = c8_err(err, C8_ERR_INTERNAL, "image %lld: file name too long", (long long)i);
            break;
        }
        char *path = c8_path_join(dirs[cv->lab[i]], fn);
        if (!path) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
        img.data = (uint8_t *)(cv->pix + (size_t)(i * cv->h * cv->w));
        unsigned char *png;
        size_t len;
        s = c8_png_encode(&img, 6, path, &png, &len, err);
        if (s == C8_OK) {
            /* The tree as a whole is committed by the rename below; files inside the private
             * temporary folder are written plainly. */
            FILE *f = fopen(path, "wb");
            /* fsync before the folder is renamed into place: a crash right after the rename
             * must not leave empty images in a folder that looks complete */
            int bad =
                !f || fwrite(png, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0;
            int e = errno;
            if (f && fclose(f) != 0 && !bad) {
                bad = 1;
                e = errno;
            }
            if (bad) s = c8_err(err, C8_ERR_IO, "%s: write failed: %s", path, strerror(e));
            free(png);
        }
        free(path);
    }
    c8_atomic_abort(cf);
    free(cpath);
    if (dirs)
        for (int64_t c = 0; c < cv->k; c++) free(dirs[c]);
    free(dirs);
    if (s == C8_OK) {
        if (state == 1 && rmdir(out) != 0) {
            s = c8_err(err, C8_ERR_IO, "%s: cannot replace the empty folder: %s", out,
                       strerror(errno));
        } else if (state == 2 && rename(out, old) != 0) {
            s = c8_err(err, C8_ERR_IO, "%s: cannot move the old folder aside: %s", out,
                       strerror(errno));
        } else if (rename(tmp, out) != 0) {
            s = c8_err(err, C8_ERR_IO, "%s: cannot rename the new folder into place: %s", out,
                       strerror(errno));
            if (state == 2) rename(old, out);
        } else if (state == 2) {
            remove_tree(old);
        }
    }
    if (s != C8_OK) remove_tree(tmp);
    free(tmp);
    free(old);
    return s;
}

c8_status c8_idx_convert(const c8_idx_convert_opts *o, int64_t *n_written, c8_error *err) {
    if (n_written) *n_written = 0;
    if (!o->images_path || !o->labels_path || !o->out_path)
        return c8_err(err, C8_ERR_USAGE,
                      "IDX conversion needs an images file, a labels file and "
                      "an output");
    unsigned char *ib = NULL, *lb = NULL;
    size_t il, ll;
    char **file_names = NULL;
    int64_t nfile = 0;
    uint32_t idims[3], ldims[1];
    c8_status s = read_gz(o->images_path, &ib, &il, err);
    if (s == C8_OK) s = idx_check(o->images_path, ib, il, 3, idims, err);
    if (s == C8_OK) s = read_gz(o->labels_path, &lb, &ll, err);
    if (s == C8_OK) s = idx_check(o->labels_path, lb, ll, 1, ldims, err);
    if (s == C8_OK && idims[0] != ldims[0])
        s = c8_err(err, C8_ERR_MISMATCH, "%s has %u images but %s has %u labels", o->images_path,
                   idims[0], o->labels_path, ldims[0]);
    if (s == C8_OK &&
        (idims[0] == 0 || idims[1] == 0 || idims[2] == 0 || idims[1] > 65535 || idims[2] > 65535))
        s = c8_err(err, C8_ERR_SHAPE,
                   "%s: images of %ux%u pixels, %u of them: nothing to "
                   "convert",
                   o->images_path, idims[1], idims[2], idims[0]);
    int64_t n = idims[0];
    if (s == C8_OK && o->limit >= 0 && o->limit < n) n = o->limit;
    if (s == C8_OK && n == 0) s = c8_err(err, C8_ERR_INVALID, "limit 0: nothing to convert");

    const char *const *names = o->class_names;
    int64_t k = names ? o->num_class_names : 0;
    if (s == C8_OK && o->classes_path) {
        /* one name per line, trailing empty lines ignored */
        unsigned char *t;
        size_t tl;
        s = c8_read_file(o->classes_path, (size_t)1 << 24, &t, &tl, err);
        if (s == C8_OK) {
            char *p = (char *)t, *end = p + tl;
            while (s == C8_OK && p < end) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                char *e = nl ? nl : end;
                if (e > p && e[-1] == '\r') e[-1] = '\0';
                *e = '\0';
                char **nf = realloc(file_names, sizeof *nf * (size_t)(nfile + 1));
                if (!nf) {
                    s = c8_err(err, C8_ERR_NOMEM, "out of memory");
                    break;
                }
                file_names = nf;
                file_names[nfile] = strdup(p);
                if (!file_names[nfile]) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
                nfile++;
                p = e + 1;
            }
            while (nfile > 0 && file_names[nfile - 1] && !file_names[nfile - 1][0])
                free(file_names[--nfile]);
            for (int64_t i = 0; s == C8_OK && i < nfile; i++)
                if (!file_names[i][0])
                    s = c8_err(err, C8_ERR_PARSE, "%s:%lld: empty class name", o->classes_path,
                               (long long)i + 1);
            if (s == C8_OK && nfile == 0)
                s = c8_err(err, C8_ERR_PARSE, "%s: no class names", o->classes_path);
            free(t);
            names = (const char *const *)file_names;
            k = nfile;
        }
    }
    const unsigned char *lab = lb ? lb + 8 : NULL;
    if (s == C8_OK) {
        int maxl = 0;
        for (int64_t i = 0; i < n; i++)
            if (lab[i] > maxl) maxl = lab[i];
        if (!names) {
            k = maxl + 1;
        } else {
            for (int64_t i = 0; i < n && s == C8_OK; i++)
                if (lab[i] >= k)
                    s = c8_err(err, C8_ERR_INVALID,
                               "%s: label %d of image %lld is out of range "
                               "for the %lld class names",
                               o->labels_path, lab[i], (long long)i, (long long)k);
        }
    }
    if (s == C8_OK) {
        conv cv = {o, ib + 16, lab, n, idims[1], idims[2], k, names};
        if (ends_with(o->out_path, ".h5") || ends_with(o->out_path, ".hdf5")) {
            struct stat st;
            if (!o->force && stat(o->out_path, &st) == 0) {
                s = c8_err(err, C8_ERR_INVALID, "%s: exists (pass --force to replace it)",
                           o->out_path);
            } else {
                int64_t *l64 = malloc(sizeof(int64_t) * (size_t)n);
                if (!l64) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
                for (int64_t i = 0; l64 && i < n; i++) l64[i] = lab[i];
                if (s == C8_OK)
                    s = c8_h5_write_images(o->out_path, cv.pix, n, cv.h, cv.w, 1, l64, err);
                free(l64);
            }
        } else {
            s = write_folder(&cv, err);
        }
    }
    if (s == C8_OK && n_written) *n_written = n;
    for (int64_t i = 0; i < nfile; i++) free(file_names[i]);
    free(file_names);
    free(ib);
    free(lb);
    return s;
}
