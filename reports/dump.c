/* --dump FILE.h5: the tensors `calib8 compare` compared, FP32 and INT8 (dequantized), for
 * analysis elsewhere. Layout (docs/report.md, "Dump file"):
 *   /fp32/t00000, /int8/t00000, ...  float32 (images, per-image dims...) for compared tensor i
 *                                    (the index of the "layers" array of report.json), with
 *                                    attributes tensor, engine_value, form, scale
 *   /tensor_names                    (tensors) UTF-8 strings: names by index
 *   /image_names                     (images) UTF-8 strings
 *   root attributes                  format "calib8-dump", format_version, calib8_version
 * Tensor names are never used as HDF5 paths (they may hold '/', '.' or anything else). Written
 * to "<path>.tmp.<pid>", fsync'd and renamed. Every HDF5 call is checked through H5C(). */
#include "reports/dump.h"

#include "calib8/config.h"
#include "util/err.h"
#include "util/h5lock.h"
#include "util/h5util.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DUMP_FORMAT_VERSION 1

struct r_dump {
    char *path, *tmp;
    hid_t file, g32, g8;
    int n;      /* tensors with slots */
    hid_t *d32; /* (n) dataset ids or -1 */
    hid_t *d8;
    int64_t images;
    int64_t skipped; /* tensors whose first dimension is not the batch */
};

static c8_status h5_fail(c8_error *err, const char *path, const char *expr, const char *file,
                         int line) {
    char detail[256];
    c8_h5_last_error(detail, sizeof detail);
    return c8_err(err, C8_ERR_IO, "%s: HDF5 error%s%s [%s at %s:%d]", path, detail[0] ? ": " : "",
                  detail, expr, file, line);
}

/* Checks an HDF5 call (negative = failure); needs `st`, `path` and a `done:` label. */
#define H5C(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) < 0) {                                                                          \
            st = h5_fail(err, path, #expr, __FILE__, __LINE__);                                    \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static void dump_abort(r_dump *d);

static c8_status dump_open(const char *path, int64_t images, r_dump **out, c8_error *err) {
    struct stat dst;
    if (stat(path, &dst) == 0 && !S_ISREG(dst.st_mode))
        return c8_err(err, C8_ERR_IO,
                      "%s: not a regular file (a tensor dump is written to a "
                      "temporary file and renamed into place)",
                      path);
    *out = NULL;
    c8_status st = C8_OK;
    r_dump *d = calloc(1, sizeof *d);
    if (!d) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    d->file = d->g32 = d->g8 = -1;
    d->images = images;
    size_t plen = strlen(path) + 32;
    d->path = strdup(path);
    d->tmp = malloc(plen);
    if (!d->path || !d->tmp) {
        free(d->path);
        free(d->tmp);
        free(d);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    snprintf(d->tmp, plen, "%s.tmp.%ld", path, (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5C(d->file = H5Fcreate(d->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    H5C(d->g32 = H5Gcreate2(d->file, "fp32", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5C(d->g8 = H5Gcreate2(d->file, "int8", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    *out = d;
    return C8_OK;
done:
    dump_abort(d);
    return st;
}

static void dump_abort(r_dump *d) {
    if (!d) return;
    for (int i = 0; i < d->n; i++) {
        c8_h5_close(d->d32[i]);
        c8_h5_close(d->d8[i]);
    }
    c8_h5_close(d->g32);
    c8_h5_close(d->g8);
    c8_h5_close(d->file);
    unlink(d->tmp);
    free(d->d32);
    free(d->d8);
    free(d->path);
    free(d->tmp);
    free(d);
}

static c8_status put_strings(hid_t loc, const char *name, const char *const *v, hsize_t n,
                             const char *path, c8_error *err) {
    c8_status st = C8_OK;
    hid_t t = -1, sp = -1, ds = -1;
    H5C(t = H5Tcopy(H5T_C_S1));
    H5C(H5Tset_size(t, H5T_VARIABLE));
    H5C(H5Tset_cset(t, H5T_CSET_UTF8));
    H5C(sp = H5Screate_simple(1, &n, NULL));
    H5C(ds = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (n) H5C(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
done:
    c8_h5_close(ds);
    c8_h5_close(sp);
    c8_h5_close(t);
    return st;
}

static c8_status grow(r_dump *d, int idx, c8_error *err) {
    if (idx < d->n) return C8_OK;
    int n = idx + 1;
    hid_t *a = realloc(d->d32, (size_t)n * sizeof *a);
    if (a) d->d32 = a;
    hid_t *b = realloc(d->d8, (size_t)n * sizeof *b);
    if (b) d->d8 = b;
    if (!a || !b) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int i = d->n; i < n; i++) d->d32[i] = d->d8[i] = -1;
    d->n = n;
    return C8_OK;
}

static c8_status dump_add(r_dump *d, int idx, const c8_shape *s, int64_t first, int64_t b,
                          const float *ref, const float *x, c8_error *err) {
    const char *path = d->path;
    c8_status st = C8_OK;
    hid_t fsp = -1, msp = -1;
    if (s->rank < 1 || s->d[0] != b || s->rank > C8_MAX_RANK) {
        if (first == 0) d->skipped++;
        return C8_OK;
    }
    C8_TRY(grow(d, idx, err));
    hsize_t dims[C8_MAX_RANK], start[C8_MAX_RANK] = {0}, count[C8_MAX_RANK];
    for (int i = 0; i < s->rank; i++) dims[i] = count[i] = (hsize_t)s->d[i];
    dims[0] = (hsize_t)d->images;
    start[0] = (hsize_t)first;
    count[0] = (hsize_t)b;
    if (d->d32[idx] < 0) {
        char name[32];
        snprintf(name, sizeof name, "t%05d", idx);
        H5C(fsp = H5Screate_simple(s->rank, dims, NULL));
        H5C(d->d32[idx] = H5Dcreate2(d->g32, name, H5T_IEEE_F32LE, fsp, H5P_DEFAULT, H5P_DEFAULT,
                                     H5P_DEFAULT));
        H5C(d->d8[idx] = H5Dcreate2(d->g8, name, H5T_IEEE_F32LE, fsp, H5P_DEFAULT, H5P_DEFAULT,
                                    H5P_DEFAULT));
        c8_h5_close(fsp);
        fsp = -1;
    }
    H5C(msp = H5Screate_simple(s->rank, count, NULL));
    for (int k = 0; k < 2; k++) {
        hid_t ds = k ? d->d8[idx] : d->d32[idx];
        H5C(fsp = H5Dget_space(ds));
        H5C(H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL));
        H5C(H5Dwrite(ds, H5T_NATIVE_FLOAT, msp, fsp, H5P_DEFAULT, k ? x : ref));
        c8_h5_close(fsp);
        fsp = -1;
    }
done:
    c8_h5_close(fsp);
    c8_h5_close(msp);
    return st;
}

/* Like C8_TRY, but through `done:` so the temporary file is removed. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((st = (expr)) != C8_OK) goto done;                                                     \
    } while (0)

int64_t r_dump_skipped(const r_dump *d) { return d->skipped; }

static c8_status dump_finish(r_dump *d, const r_dump_meta *meta, c8_error *err) {
    const char *path = d->path;
    c8_status st = C8_OK;
    int64_t ver = DUMP_FORMAT_VERSION;
    for (int i = 0; i < d->n && i < meta->n_tensors; i++) {
        for (int k = 0; k < 2 && d->d32[i] >= 0; k++) {
            hid_t ds = k ? d->d8[i] : d->d32[i];
            TRY(c8_h5_put_str_attr(ds, "tensor", meta->tensors[i], path, err));
            TRY(c8_h5_put_str_attr(ds, "engine_value",
                                   k ? meta->engine_values[i] : meta->tensors[i], path, err));
            TRY(c8_h5_put_str_attr(ds, "form", k ? meta->forms[i] : "float", path, err));
            float sc = k ? meta->scales[i] : 0.0f;
            TRY(c8_h5_put_num_attr(ds, "scale", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &sc, path, err));
        }
    }
    TRY(put_strings(d->file, "tensor_names", meta->tensors, (hsize_t)meta->n_tensors, path, err));
    TRY(put_strings(d->file, "image_names", meta->images, (hsize_t)meta->n_images, path, err));
    TRY(c8_h5_put_str_attr(d->file, "format", "calib8-dump", path, err));
    TRY(c8_h5_put_num_attr(d->file, "format_version", H5T_STD_I64LE, H5T_NATIVE_INT64, &ver, path,
                           err));
    TRY(c8_h5_put_str_attr(d->file, "calib8_version", C8_VERSION_STRING, path, err));
    TRY(c8_h5_put_str_attr(d->file, "model_sha256", meta->model_sha256, path, err));
    TRY(c8_h5_put_str_attr(d->file, "cache_sha256", meta->cache_sha256, path, err));
    for (int i = 0; i < d->n; i++) {
        if (d->d32[i] >= 0) H5C(H5Dclose(d->d32[i]));
        d->d32[i] = -1;
        if (d->d8[i] >= 0) H5C(H5Dclose(d->d8[i]));
        d->d8[i] = -1;
    }
    H5C(H5Gclose(d->g32));
    d->g32 = -1;
    H5C(H5Gclose(d->g8));
    d->g8 = -1;
    H5C(H5Fclose(d->file));
    d->file = -1;
    int fd = open(d->tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        st = c8_err(err, C8_ERR_IO, "%s: cannot sync the written file: %s", d->tmp, strerror(e));
        goto done;
    }
    close(fd);
    if (rename(d->tmp, d->path) != 0) {
        st = c8_err(err, C8_ERR_IO, "%s: cannot rename the temporary file into place: %s", d->path,
                    strerror(errno));
        goto done;
    }
    free(d->d32);
    free(d->d8);
    free(d->path);
    free(d->tmp);
    free(d);
    return C8_OK;
done:
    dump_abort(d);
    return st;
}

/* ---- the public entry points hold the process-wide HDF5 lock (util/h5lock.h) ---- */

c8_status r_dump_open(const char *path, int64_t images, r_dump **out, c8_error *err) {
    c8_h5_lock();
    c8_status s = dump_open(path, images, out, err);
    c8_h5_unlock();
    return s;
}

void r_dump_abort(r_dump *d) {
    c8_h5_lock();
    dump_abort(d);
    c8_h5_unlock();
}

c8_status r_dump_add(r_dump *d, int idx, const c8_shape *s, int64_t first, int64_t b,
                     const float *ref, const float *x, c8_error *err) {
    c8_h5_lock();
    c8_status st = dump_add(d, idx, s, first, b, ref, x, err);
    c8_h5_unlock();
    return st;
}

c8_status r_dump_finish(r_dump *d, const r_dump_meta *meta, c8_error *err) {
    c8_h5_lock();
    c8_status st = dump_finish(d, meta, err);
    c8_h5_unlock();
    return st;
}
