/* HDF5 image sources and writer; see h5.h. Tests: tests/datasets/test_sources.c (reader),
 * tests/datasets/test_convert.c (writer, read back through the reader and checked against the
 * IDX bytes).
 *
 * HDF5 prints its error stack to stderr by default: every entry point here turns that off for its
 * duration (restoring the caller's setting) and instead folds HDF5's innermost message into the
 * c8_error. */
#include "datasets/h5.h"

#include "util/arith.h"
#include "util/err.h"
#include "util/h5lock.h"
#include "util/h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

/* The state saved by h5_enter and restored by h5_leave. */
typedef struct h5_guard {
    H5E_auto2_t fn;
    void *data;
} h5_guard;

static void h5_enter(h5_guard *g) {
    c8_h5_lock(); /* shared with calib/ and reports/: libhdf5 is not thread-safe */
    H5Eget_auto2(H5E_DEFAULT, &g->fn, &g->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void h5_leave(h5_guard *g) {
    H5Eset_auto2(H5E_DEFAULT, g->fn, g->data);
    c8_h5_unlock();
}

static c8_status h5_fail(c8_error *err, const char *path, const char *expr, const char *file,
                         int line) {
    char detail[256];
    c8_h5_last_error(detail, sizeof detail);
    return c8_err(err, C8_ERR_IO, "%s: HDF5 call %s failed (%s:%d)%s%s", path, expr, file, line,
                  detail[0] ? ": " : "", detail);
}

/* Evaluates an HDF5 call; a negative result records the call, our file and line, and HDF5's
 * message in err (naming `path`) and rc, then jumps to `fail`. */
#define H5CHK(var, expr)                                                                           \
    do {                                                                                           \
        if (((var) = (expr)) < 0) {                                                                \
            rc = h5_fail(err, path, #expr, __FILE__, __LINE__);                                    \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* Whether every component of an absolute or relative link path exists in fid. */
static int h5_path_exists(hid_t fid, const char *name) {
    char buf[1024];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, name, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char save = buf[i];
        buf[i] = '\0';
        if (strcmp(buf, "/") != 0 && buf[0] != '\0' && H5Lexists(fid, buf, H5P_DEFAULT) <= 0)
            return 0;
        buf[i] = save;
    }
    return 1;
}

/* Collects the names of the root group's members for "the file has: ..." messages. */
typedef struct h5_names {
    char text[384];
} h5_names;

#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t c8_h5l_info;
#else
typedef H5L_info_t c8_h5l_info;
#endif

static herr_t h5_list_cb(hid_t g, const char *name, const c8_h5l_info *info, void *data) {
    (void)g;
    (void)info;
    h5_names *nm = data;
    size_t k = strlen(nm->text);
    if (k + strlen(name) + 8 >= sizeof nm->text) {
        if (k + 5 < sizeof nm->text) strcat(nm->text, ", ...");
        return 1;
    }
    if (k) strcat(nm->text, ", ");
    strcat(nm->text, "/");
    strcat(nm->text, name);
    return 0;
}

static void h5_list_root(hid_t fid, h5_names *nm) {
    nm->text[0] = '\0';
    hsize_t idx = 0;
    H5Literate(fid, H5_INDEX_NAME, H5_ITER_INC, &idx, h5_list_cb, nm);
    H5Eclear2(H5E_DEFAULT);
}

static const char *h5_class_name(H5T_class_t c) {
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    default: return "other";
    }
}

static void dims_str(const hsize_t *d, int rank, char *buf, size_t len) {
    size_t k = 0;
    buf[0] = '\0';
    k += (size_t)snprintf(buf + k, len - k, "(");
    for (int i = 0; i < rank && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%llu", i ? "," : "", (unsigned long long)d[i]);
    if (k < len) snprintf(buf + k, len - k, ")");
}

struct c8_h5src {
    char *path;
    char *images; /* dataset name */
    hid_t fid, did;
    int is_float; /* 0: uint8 (N,H,W,C); 1: float (N,C,H,W) */
    int rank;     /* 3 or 4 in the file */
    int64_t h, w, c;
    size_t row_bytes;
};

void c8_h5src_close(c8_h5src *s) {
    if (!s) return;
    h5_guard g;
    h5_enter(&g);
    if (s->did >= 0) H5Dclose(s->did);
    if (s->fid >= 0) H5Fclose(s->fid);
    h5_leave(&g);
    free(s->path);
    free(s->images);
    free(s);
}

c8_status c8_h5src_open(const char *path, const char *images, const char *labels,
                        int labels_required, c8_h5src **out, int64_t *n, int64_t **labels_out,
                        c8_error *err) {
    *out = NULL;
    *n = 0;
    *labels_out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return c8_err(err, C8_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    c8_h5src *s = calloc(1, sizeof *s);
    if (!s) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    s->fid = s->did = -1;
    s->path = strdup(path);
    s->images = strdup(images);
    if (!s->path || !s->images) {
        free(s->path);
        free(s->images);
        free(s);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    }
    c8_status rc = C8_ERR_IO;
    hid_t tid = -1, sid = -1, lid = -1, ltid = -1, lsid = -1;
    int64_t *lab = NULL;
    h5_guard g;
    h5_enter(&g);
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = c8_err(err, C8_ERR_PARSE, "%s: not an HDF5 file", path);
        goto fail;
    }
    H5CHK(s->fid, H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!h5_path_exists(s->fid, images)) {
        h5_names nm;
        h5_list_root(s->fid, &nm);
        rc = c8_err(err, C8_ERR_NOT_FOUND,
                    "%s: no dataset '%s' (the file has: %s); name the "
                    "image dataset with --hdf5-dataset",
                    path, images, nm.text[0] ? nm.text : "nothing");
        goto fail;
    }
    herr_t hr;
    hid_t oid;
    H5CHK(oid, H5Oopen(s->fid, images, H5P_DEFAULT));
    H5I_type_t ot = H5Iget_type(oid);
    H5Oclose(oid);
    if (ot != H5I_DATASET) {
        rc = c8_err(err, C8_ERR_INVALID, "%s: '%s' is %s, not a dataset", path, images,
                    ot == H5I_GROUP ? "a group" : "a named type");
        goto fail;
    }
    H5CHK(s->did, H5Dopen2(s->fid, images, H5P_DEFAULT));
    H5CHK(tid, H5Dget_type(s->did));
    H5T_class_t cls;
    H5CHK(cls, H5Tget_class(tid));
    size_t tsize = H5Tget_size(tid);
    if (cls == H5T_INTEGER && tsize == 1 && H5Tget_sign(tid) == H5T_SGN_NONE) {
        s->is_float = 0;
    } else if (cls == H5T_FLOAT) {
        s->is_float = 1;
    } else {
        rc = c8_err(err, C8_ERR_UNSUPPORTED,
                    "%s: dataset '%s' holds %zu-byte %s%s values; calib8 "
                    "reads uint8 images (N,H,W,C) or float images (N,C,H,W)",
                    path, images, tsize,
                    cls == H5T_INTEGER && H5Tget_sign(tid) != H5T_SGN_NONE ? "signed " : "",
                    h5_class_name(cls));
        goto fail;
    }
    H5CHK(sid, H5Dget_space(s->did));
    int rank;
    H5CHK(rank, H5Sget_simple_extent_ndims(sid));
    hsize_t d[H5S_MAX_RANK];
    char ds[128] = "()";
    if (rank >= 1 && rank <= 8) {
        H5CHK(hr, H5Sget_simple_extent_dims(sid, d, NULL));
        dims_str(d, rank, ds, sizeof ds);
    }
    if (rank != 3 && rank != 4) {
        rc = c8_err(err, C8_ERR_SHAPE, "%s: dataset '%s' has shape %s; expected %s", path, images,
                    ds, s->is_float ? "(N,C,H,W) or (N,H,W)" : "(N,H,W,C) or (N,H,W)");
        goto fail;
    }
    s->rank = rank;
    if (rank == 3) {
        s->h = (int64_t)d[1];
        s->w = (int64_t)d[2];
        s->c = 1;
    } else if (s->is_float) {
        s->c = (int64_t)d[1];
        s->h = (int64_t)d[2];
        s->w = (int64_t)d[3];
    } else {
        s->h = (int64_t)d[1];
        s->w = (int64_t)d[2];
        s->c = (int64_t)d[3];
    }
    int64_t hw, row;
    if (d[0] == 0 || s->c < 1 || s->c > 4 || s->h < 1 || s->w < 1 || !c8_mul_i64(s->h, s->w, &hw) ||
        !c8_mul_i64(hw, s->c, &row) || row > C8_IMAGE_MAX_SAMPLES || d[0] > (hsize_t)INT64_MAX) {
        rc =
            c8_err(err, C8_ERR_SHAPE, "%s: dataset '%s' has shape %s: %s", path, images, ds,
                   d[0] == 0                ? "no images"
                   : (s->c < 1 || s->c > 4) ? (s->is_float ? "C (axis 1 of N,C,H,W) must be 1 to 4"
                                                           : "C (axis 3 of N,H,W,C) must be 1 to 4")
                                            : "images are empty or too large");
        goto fail;
    }
    s->row_bytes = (size_t)row * (s->is_float ? sizeof(float) : 1);
    *n = (int64_t)d[0];

    if (labels && h5_path_exists(s->fid, labels)) {
        H5CHK(lid, H5Dopen2(s->fid, labels, H5P_DEFAULT));
        H5CHK(ltid, H5Dget_type(lid));
        H5T_class_t lc;
        H5CHK(lc, H5Tget_class(ltid));
        H5CHK(lsid, H5Dget_space(lid));
        int lr;
        H5CHK(lr, H5Sget_simple_extent_ndims(lsid));
        hsize_t ld[H5S_MAX_RANK];
        char lds[128] = "()";
        if (lr >= 1 && lr <= 8) {
            H5CHK(hr, H5Sget_simple_extent_dims(lsid, ld, NULL));
            dims_str(ld, lr, lds, sizeof lds);
        }
        if (lc != H5T_INTEGER) {
            rc = c8_err(err, C8_ERR_UNSUPPORTED,
                        "%s: label dataset '%s' holds %s values; labels "
                        "must be integers",
                        path, labels, h5_class_name(lc));
            goto fail;
        }
        if (!(lr == 1 || (lr == 2 && ld[1] == 1)) || (int64_t)ld[0] != *n) {
            rc = c8_err(err, C8_ERR_SHAPE,
                        "%s: label dataset '%s' has shape %s; expected (%lld) "
                        "to match the %lld images in '%s'",
                        path, labels, lds, (long long)*n, (long long)*n, images);
            goto fail;
        }
        /* calloc checks n * 8 for overflow: a tiny file may declare 2^62 images (extents
         * need no storage), and a wrapped malloc size would let H5Dread write past it */
        lab = calloc((size_t)*n, sizeof(int64_t));
        if (!lab) {
            rc =
                c8_err(err, C8_ERR_NOMEM, "%s: out of memory for %lld labels", path, (long long)*n);
            goto fail;
        }
        H5CHK(hr, H5Dread(lid, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab));
    } else if (labels && labels_required) {
        h5_names nm;
        h5_list_root(s->fid, &nm);
        rc = c8_err(err, C8_ERR_NOT_FOUND, "%s: no label dataset '%s' (the file has: %s)", path,
                    labels, nm.text[0] ? nm.text : "nothing");
        goto fail;
    }
    if (lsid >= 0) H5Sclose(lsid);
    if (ltid >= 0) H5Tclose(ltid);
    if (lid >= 0) H5Dclose(lid);
    H5Sclose(sid);
    H5Tclose(tid);
    h5_leave(&g);
    *out = s;
    *labels_out = lab;
    return C8_OK;
fail:
    if (lsid >= 0) H5Sclose(lsid);
    if (ltid >= 0) H5Tclose(ltid);
    if (lid >= 0) H5Dclose(lid);
    if (sid >= 0) H5Sclose(sid);
    if (tid >= 0) H5Tclose(tid);
    H5Eclear2(H5E_DEFAULT);
    h5_leave(&g);
    free(lab);
    c8_h5src_close(s);
    *n = 0;
    return rc;
}

c8_status c8_h5src_read(c8_h5src *s, int64_t i, void **buf, size_t *cap, c8_src_image *src,
                        c8_error *err) {
    if (*cap < s->row_bytes) {
        void *nb = realloc(*buf, s->row_bytes);
        if (!nb) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", s->path);
        *buf = nb;
        *cap = s->row_bytes;
    }
    const char *path = s->path;
    hid_t fsp = -1, msp = -1;
    herr_t hr;
    c8_status rc = C8_OK;
    hsize_t start[4] = {(hsize_t)i, 0, 0, 0}, count[4], mdims[4];
    h5_guard g;
    h5_enter(&g);
    H5CHK(fsp, H5Dget_space(s->did));
    int r = s->rank;
    count[0] = 1;
    if (r == 3) {
        count[1] = (hsize_t)s->h;
        count[2] = (hsize_t)s->w;
    } else if (s->is_float) {
        count[1] = (hsize_t)s->c;
        count[2] = (hsize_t)s->h;
        count[3] = (hsize_t)s->w;
    } else {
        count[1] = (hsize_t)s->h;
        count[2] = (hsize_t)s->w;
        count[3] = (hsize_t)s->c;
    }
    memcpy(mdims, count, sizeof mdims);
    H5CHK(hr, H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL));
    H5CHK(msp, H5Screate_simple(r, mdims, NULL));
    H5CHK(hr, H5Dread(s->did, s->is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8, msp, fsp,
                      H5P_DEFAULT, *buf));
    H5Sclose(msp);
    H5Sclose(fsp);
    h5_leave(&g);
    src->h = s->h;
    src->w = s->w;
    src->c = s->c;
    src->u8 = s->is_float ? NULL : *buf;
    src->f32 = s->is_float ? *buf : NULL;
    return C8_OK;
fail:
    if (msp >= 0) H5Sclose(msp);
    if (fsp >= 0) H5Sclose(fsp);
    H5Eclear2(H5E_DEFAULT);
    h5_leave(&g);
    (void)c8_err_prefix(err, "%s[%lld]", s->images, (long long)i);
    return rc;
}

c8_status c8_h5_write_images(const char *path, const uint8_t *images, int64_t n, int64_t h,
                             int64_t w, int64_t c, const int64_t *labels, c8_error *err) {
    size_t plen = strlen(path) + 48;
    char *tmp = malloc(plen);
    if (!tmp) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen, "%s.tmp.%ld", path, (long)getpid());
    hid_t fid = -1, sid = -1, did = -1, lsid = -1, lid = -1;
    herr_t hr;
    c8_status rc = C8_OK;
    hsize_t dims[4] = {(hsize_t)n, (hsize_t)h, (hsize_t)w, (hsize_t)c};
    hsize_t ldims[1] = {(hsize_t)n};
    h5_guard g;
    h5_enter(&g);
    H5CHK(fid, H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    H5CHK(sid, H5Screate_simple(4, dims, NULL));
    H5CHK(did,
          H5Dcreate2(fid, "/images", H5T_STD_U8LE, sid, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5CHK(hr, H5Dwrite(did, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, images));
    H5CHK(lsid, H5Screate_simple(1, ldims, NULL));
    H5CHK(lid,
          H5Dcreate2(fid, "/labels", H5T_STD_I64LE, lsid, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5CHK(hr, H5Dwrite(lid, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels));
    H5Dclose(lid);
    lid = -1;
    H5Sclose(lsid);
    lsid = -1;
    H5Dclose(did);
    did = -1;
    H5Sclose(sid);
    sid = -1;
    H5CHK(hr, H5Fclose(fid));
    fid = -1;
    h5_leave(&g);
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        rc = c8_err(err, C8_ERR_IO, "%s: cannot sync the written file: %s", tmp, strerror(e));
    } else {
        close(fd);
        if (rename(tmp, path) != 0)
            rc = c8_err(err, C8_ERR_IO, "%s: cannot rename temporary file into place: %s", path,
                        strerror(errno));
    }
    if (rc != C8_OK) unlink(tmp);
    free(tmp);
    return rc;
fail:
    if (lid >= 0) H5Dclose(lid);
    if (lsid >= 0) H5Sclose(lsid);
    if (did >= 0) H5Dclose(did);
    if (sid >= 0) H5Sclose(sid);
    if (fid >= 0) H5Fclose(fid);
    H5Eclear2(H5E_DEFAULT);
    h5_leave(&g);
    unlink(tmp);
    free(tmp);
    return rc;
}
