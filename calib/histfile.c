/* HDF5 histogram files: every tensor's |x| histogram with its range and statistics, plus
 * provenance attributes, so thresholds can be recomputed offline (load + algorithm). Layout in
 * docs/calibration.md ("Histogram files"); tests in tests/calib/test_calib_files.c.
 *
 * Every HDF5 call is checked through H5C(), which records the call, file and line; HDF5's own
 * error printing is switched off (H5Eset_auto2) and its innermost message is put in ours. */
#include "calib/hist.h"
#include "calib/strmap.h"
#include "calib8/calib.h"
#include "calib8/config.h"
#include "util/arith.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/h5lock.h"
#include "util/h5util.h"

#include <hdf5.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_TAG "calib8-histograms"
#define LOAD_MAX_BYTES ((size_t)1 << 32) /* counts of a file we agree to load */

/* Checks an HDF5 call (negative = failure); needs `st`, `path`, `what` and a `done:` label. */
#define H5C(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) < 0) {                                                                          \
            st = c8_h5_fail(err, path, what, #expr, __FILE__, __LINE__);                           \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* ---------------- writing ---------------- */

static c8_status put_i64_attr(hid_t loc, const char *name, int64_t v, const char *path,
                              c8_error *err) {
    return c8_h5_put_num_attr(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v, path, err);
}

static c8_status put_dataset(hid_t fid, hid_t dcpl, const char *name, hid_t ftype, hid_t mtype,
                             int rank, const hsize_t *dims, const void *data, const char *path,
                             c8_error *err) {
    c8_status st = C8_OK;
    const char *what = name;
    hid_t sp = -1, d = -1;
    H5C(sp = H5Screate_simple(rank, dims, NULL));
    H5C(d = H5Dcreate2(fid, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    H5C(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
done:
    c8_h5_close(d);
    c8_h5_close(sp);
    return st;
}

static c8_status write_info_attrs(hid_t fid, const c8_calib_info *info, int64_t nbins,
                                  const char *path, c8_error *err) {
    const c8_calib_algo *a = c8_calib_algo_find(info->algorithm);
    C8_TRY(c8_h5_put_str_attr(fid, "format", FORMAT_TAG, path, err));
    C8_TRY(put_i64_attr(fid, "format_version", C8_CALIB_HISTFILE_VERSION, path, err));
    C8_TRY(c8_h5_put_str_attr(fid, "calib8_version", C8_VERSION_STRING, path, err));
    C8_TRY(put_i64_attr(fid, "bins", nbins, path, err));
    C8_TRY(c8_h5_put_str_attr(fid, "algorithm", info->algorithm, path, err));
    if (a && (a->params & C8_CALIB_PARAM_PERCENTILE))
        C8_TRY(c8_h5_put_num_attr(fid, "percentile", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                  &info->params.percentile, path, err));
    if (a && (a->params & C8_CALIB_PARAM_MXNET_EPS))
        C8_TRY(c8_h5_put_num_attr(fid, "mxnet_eps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                  &info->params.mxnet_eps, path, err));
    C8_TRY(c8_h5_put_str_attr(fid, "model_sha256", info->model_sha256, path, err));
    C8_TRY(c8_h5_put_str_attr(fid, "dataset_sha256", info->dataset_sha256, path, err));
    C8_TRY(put_i64_attr(fid, "dataset_images", info->dataset_images, path, err));
    C8_TRY(c8_h5_put_str_attr(fid, "preprocessing", info->preprocessing, path, err));
    C8_TRY(put_i64_attr(fid, "batch_size", info->batch_size, path, err));
    C8_TRY(put_i64_attr(fid, "images", info->images, path, err));
    return C8_OK;
}

static c8_status histfile_save(const char *path, const c8_calib_info *info,
                               const char *const *names, const c8_hist *const *hists, int64_t n,
                               c8_error *err) {
    if (n < 0) return c8_err(err, C8_ERR_INVALID, "%s: negative tensor count", path);
    int64_t nbins = n ? c8_hist_nbins(hists[0]) : info->nbins;
    c8_strmap seen = {0};
    for (int64_t t = 0; t < n; t++) {
        bool ins;
        int64_t old;
        if (!names[t] || c8_hist_nbins(hists[t]) != nbins) {
            c8_strmap_free(&seen);
            return c8_err(err, C8_ERR_INVALID,
                          "%s: tensor %lld: every histogram needs a name and %lld bins", path,
                          (long long)t, (long long)nbins);
        }
        if (!c8_strmap_put(&seen, names[t], t, &ins, &old) || !ins) {
            c8_strmap_free(&seen);
            return c8_err(err, ins ? C8_ERR_NOMEM : C8_ERR_INVALID,
                          "%s: tensor '%s' is listed twice", path, names[t]);
        }
    }
    c8_strmap_free(&seen);

    c8_status st = C8_OK;
    const char *what = "creating the file in memory";
    size_t cells, bytes;
    if (!c8_mul_size((size_t)n, (size_t)(nbins > 0 ? nbins : 0), &cells) ||
        !c8_mul_size(cells, sizeof(uint64_t), &bytes))
        return c8_err(err, C8_ERR_NOMEM, "%s: histogram data size overflows", path);
    uint64_t *counts = malloc(bytes ? bytes : 1);              /* (n, nbins) */
    double *range = malloc(n ? (size_t)n * sizeof *range : 1); /* (n) R = 2^e */
    float *f3 = malloc(n ? (size_t)n * 3 * sizeof *f3 : 1);    /* (3, n) absmax, min, max */
    uint64_t *cnt = malloc(n ? (size_t)n * sizeof *cnt : 1);   /* (n) values */
    unsigned char *img = NULL;
    hid_t fapl = -1, fcpl = -1, dcpl = -1, fid = -1, st_t = -1, sp = -1, d = -1;
    if (!counts || !range || !f3 || !cnt) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int64_t t = 0; t < n; t++) {
        memcpy(counts + (size_t)t * (size_t)nbins, c8_hist_counts(hists[t]),
               (size_t)nbins * sizeof *counts);
        range[t] = c8_hist_range(hists[t]);
        f3[t] = c8_hist_absmax(hists[t]);
        f3[n + t] = c8_hist_min(hists[t]);
        f3[2 * n + t] = c8_hist_max(hists[t]);
        cnt[t] = c8_hist_count(hists[t]);
    }
    h5_quiet();
    H5C(fapl = H5Pcreate(H5P_FILE_ACCESS));
    H5C(H5Pset_fapl_core(fapl, 1 << 20, 0)); /* in memory; the image is written atomically */
    H5C(fcpl = H5Pcreate(H5P_FILE_CREATE));
    H5C(H5Pset_obj_track_times(fcpl, 0)); /* no timestamps: same data, same bytes */
    H5C(dcpl = H5Pcreate(H5P_DATASET_CREATE));
    H5C(H5Pset_obj_track_times(dcpl, 0));
    H5C(fid = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl));
    if ((st = write_info_attrs(fid, info, nbins, path, err))) goto done;
    hsize_t d2[2] = {(hsize_t)n, (hsize_t)(nbins > 0 ? nbins : 0)};
    hsize_t d1[1] = {(hsize_t)n};
    if ((st = put_dataset(fid, dcpl, "counts", H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, d2, counts,
                          path, err)) ||
        (st = put_dataset(fid, dcpl, "range", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, range, path,
                          err)) ||
        (st = put_dataset(fid, dcpl, "absmax", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, f3, path,
                          err)) ||
        (st = put_dataset(fid, dcpl, "min", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, f3 + n, path,
                          err)) ||
        (st = put_dataset(fid, dcpl, "max", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, f3 + 2 * n,
                          path, err)) ||
        (st = put_dataset(fid, dcpl, "count", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, d1, cnt, path,
                          err)))
        goto done;
    what = "names";
    H5C(st_t = H5Tcopy(H5T_C_S1));
    H5C(H5Tset_size(st_t, H5T_VARIABLE));
    H5C(H5Tset_cset(st_t, H5T_CSET_UTF8));
    H5C(sp = H5Screate_simple(1, d1, NULL));
    H5C(d = H5Dcreate2(fid, "names", st_t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    if (n) H5C(H5Dwrite(d, st_t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names));
    what = "building the file image";
    H5C(H5Fflush(fid, H5F_SCOPE_GLOBAL));
    ssize_t sz;
    H5C(sz = H5Fget_file_image(fid, NULL, 0));
    img = malloc(sz > 0 ? (size_t)sz : 1);
    if (!img) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory for the file image", path);
        goto done;
    }
    H5C(H5Fget_file_image(fid, img, (size_t)sz));
    c8_h5_close(d);
    c8_h5_close(fid);
    d = fid = -1;
    st = c8_write_file_atomic(path, img, (size_t)sz, err);
done:
    c8_h5_close(d);
    c8_h5_close(sp);
    c8_h5_close(st_t);
    c8_h5_close(fid);
    c8_h5_close(dcpl);
    c8_h5_close(fcpl);
    c8_h5_close(fapl);
    free(img);
    free(counts);
    free(range);
    free(f3);
    free(cnt);
    return st;
}

/* ---------------- reading ---------------- */

struct c8_calib_histfile {
    c8_calib_info info;
    char *strs[6]; /* owned: calib8_version, algorithm, model, dataset, preprocessing, spare */
    int64_t n;
    char **names; /* (n) owned */
    c8_hist **h;  /* (n) owned */
};

void c8_calib_histfile_destroy(c8_calib_histfile *f) {
    if (!f) return;
    for (int i = 0; i < 6; i++) free(f->strs[i]);
    for (int64_t i = 0; i < f->n; i++) {
        if (f->names) free(f->names[i]);
        if (f->h) c8_hist_destroy(f->h[i]);
    }
    free(f->names);
    free(f->h);
    free(f);
}

/* Reads a string attribute (variable or fixed length); *out NULL when absent and optional. */
static c8_status get_str_attr(hid_t loc, const char *name, bool required, const char *path,
                              char **out, c8_error *err) {
    c8_status st = C8_OK;
    char what[96];
    snprintf(what, sizeof what, "attribute '%s'", name);
    hid_t a = -1, t = -1, mt = -1;
    *out = NULL;
    htri_t ex;
    H5C(ex = H5Aexists(loc, name));
    if (!ex) {
        if (required) return c8_err(err, C8_ERR_PARSE, "%s: attribute '%s' is missing", path, name);
        return C8_OK;
    }
    H5C(a = H5Aopen(loc, name, H5P_DEFAULT));
    H5C(t = H5Aget_type(a));
    if (H5Tget_class(t) != H5T_STRING) {
        st = c8_err(err, C8_ERR_PARSE, "%s: attribute '%s' is not a string", path, name);
        goto done;
    }
    htri_t vl;
    H5C(vl = H5Tis_variable_str(t));
    H5C(mt = H5Tcopy(H5T_C_S1));
    H5T_cset_t cs;
    H5C(cs = H5Tget_cset(t));
    H5C(H5Tset_cset(mt, cs)); /* HDF5 does not convert between ASCII and UTF-8 */
    if (vl) {
        char *p = NULL;
        H5C(H5Tset_size(mt, H5T_VARIABLE));
        H5C(H5Aread(a, mt, &p));
        *out = strdup(p ? p : "");
        H5free_memory(p);
    } else {
        size_t sz = H5Tget_size(t);
        if (sz == 0 || sz > (1u << 20)) {
            st = c8_err(err, C8_ERR_PARSE, "%s: attribute '%s' has a bad size", path, name);
            goto done;
        }
        H5C(H5Tset_size(mt, sz));
        *out = calloc(sz + 1, 1);
        if (*out) H5C(H5Aread(a, mt, *out));
    }
    if (!*out) st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
done:
    c8_h5_close(mt);
    c8_h5_close(t);
    c8_h5_close(a);
    return st;
}

/* Reads a scalar numeric attribute as mtype (int64 or double); absent -> untouched. */
static c8_status get_num_attr(hid_t loc, const char *name, H5T_class_t cls, hid_t mtype, void *out,
                              const char *path, c8_error *err) {
    c8_status st = C8_OK;
    char what[96];
    snprintf(what, sizeof what, "attribute '%s'", name);
    hid_t a = -1, t = -1, sp = -1;
    htri_t ex;
    H5C(ex = H5Aexists(loc, name));
    if (!ex) return C8_OK;
    H5C(a = H5Aopen(loc, name, H5P_DEFAULT));
    H5C(t = H5Aget_type(a));
    H5C(sp = H5Aget_space(a));
    if (H5Tget_class(t) != cls || H5Sget_simple_extent_npoints(sp) != 1) {
        st = c8_err(err, C8_ERR_PARSE, "%s: attribute '%s' is not a %s scalar", path, name,
                    cls == H5T_INTEGER ? "integer" : "float");
        goto done;
    }
    H5C(H5Aread(a, mtype, out));
done:
    c8_h5_close(sp);
    c8_h5_close(t);
    c8_h5_close(a);
    return st;
}

/* Opens dataset `name`, checks its class and rank and returns its extents. */
static c8_status open_ds(hid_t fid, const char *name, H5T_class_t cls, int rank, hsize_t *dims,
                         hid_t *out, const char *path, c8_error *err) {
    c8_status st = C8_OK;
    char what[96];
    snprintf(what, sizeof what, "dataset '%s'", name);
    hid_t d = -1, t = -1, sp = -1;
    *out = -1;
    htri_t ex;
    H5C(ex = H5Lexists(fid, name, H5P_DEFAULT));
    if (!ex) return c8_err(err, C8_ERR_PARSE, "%s: dataset '%s' is missing", path, name);
    H5C(d = H5Dopen2(fid, name, H5P_DEFAULT));
    H5C(t = H5Dget_type(d));
    H5C(sp = H5Dget_space(d));
    int r;
    H5C(r = H5Sget_simple_extent_ndims(sp));
    bool sign_ok = cls != H5T_INTEGER || H5Tget_sign(t) == H5T_SGN_NONE;
    if (H5Tget_class(t) != cls || r != rank || !sign_ok) {
        st = c8_err(err, C8_ERR_PARSE, "%s: dataset '%s' must be %d-D %s", path, name, rank,
                    cls == H5T_INTEGER ? "unsigned integer"
                    : cls == H5T_FLOAT ? "float"
                                       : "string");
        goto done;
    }
    H5C(H5Sget_simple_extent_dims(sp, dims, NULL));
    *out = d;
    d = -1;
done:
    c8_h5_close(sp);
    c8_h5_close(t);
    c8_h5_close(d);
    return st;
}

static c8_status read_ds(hid_t fid, const char *name, H5T_class_t cls, hid_t mtype, int rank,
                         const hsize_t *want, void *buf, const char *path, c8_error *err) {
    hsize_t dims[2] = {0, 0};
    hid_t d;
    C8_TRY(open_ds(fid, name, cls, rank, dims, &d, path, err));
    c8_status st = C8_OK;
    char what[96];
    snprintf(what, sizeof what, "dataset '%s'", name);
    for (int i = 0; i < rank; i++)
        if (dims[i] != want[i]) {
            st = c8_err(err, C8_ERR_PARSE,
                        "%s: dataset '%s' has extent %llu in dimension %d, "
                        "expected %llu",
                        path, name, (unsigned long long)dims[i], i, (unsigned long long)want[i]);
            goto done;
        }
    if (want[0] && (rank < 2 || want[1]))
        H5C(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
done:
    c8_h5_close(d);
    return st;
}

static c8_status read_names(hid_t fid, c8_calib_histfile *f, const char *path, c8_error *err) {
    hsize_t dims[1];
    hid_t d;
    C8_TRY(open_ds(fid, "names", H5T_STRING, 1, dims, &d, path, err));
    c8_status st = C8_OK;
    const char *what = "dataset 'names'";
    hid_t t = -1, mt = -1, sp = -1;
    char **raw = NULL;
    H5C(t = H5Dget_type(d));
    htri_t vl;
    H5C(vl = H5Tis_variable_str(t));
    if (!vl) {
        st = c8_err(err, C8_ERR_PARSE, "%s: dataset 'names' must hold variable-length strings",
                    path);
        goto done;
    }
    if (dims[0] > (hsize_t)(SIZE_MAX / sizeof(char *)) / 2) {
        st = c8_err(err, C8_ERR_LIMIT, "%s: dataset 'names' is too large", path);
        goto done;
    }
    f->n = (int64_t)dims[0];
    size_t n = (size_t)dims[0];
    f->names = calloc(n ? n : 1, sizeof *f->names);
    f->h = calloc(n ? n : 1, sizeof *f->h);
    raw = calloc(n ? n : 1, sizeof *raw);
    if (!f->names || !f->h || !raw) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    H5C(mt = H5Tcopy(H5T_C_S1));
    H5C(H5Tset_size(mt, H5T_VARIABLE));
    H5T_cset_t cs;
    H5C(cs = H5Tget_cset(t));
    H5C(H5Tset_cset(mt, cs));
    H5C(sp = H5Dget_space(d));
    if (n) {
        H5C(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw));
        for (size_t i = 0; i < n && st == C8_OK; i++) {
            f->names[i] = strdup(raw[i] ? raw[i] : "");
            if (!f->names[i])
                st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
            else if (!raw[i] || !raw[i][0])
                st = c8_err(err, C8_ERR_PARSE, "%s: dataset 'names': entry %zu is empty", path, i);
        }
        H5C(H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw));
    }
done:
    free(raw);
    c8_h5_close(sp);
    c8_h5_close(mt);
    c8_h5_close(t);
    c8_h5_close(d);
    return st;
}

static c8_status load_file(hid_t fid, c8_calib_histfile *f, const char *path, c8_error *err) {
    char *fmt = NULL;
    C8_TRY(get_str_attr(fid, "format", false, path, &fmt, err));
    bool ok = fmt && !strcmp(fmt, FORMAT_TAG);
    if (!ok) {
        c8_status st =
            c8_err(err, C8_ERR_PARSE,
                   "%s: not a calib8 histogram file (attribute 'format' is %s%s%s, "
                   "expected '%s')",
                   path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "", FORMAT_TAG);
        free(fmt);
        return st;
    }
    free(fmt);
    int64_t ver = -1, nbins = 0;
    C8_TRY(get_num_attr(fid, "format_version", H5T_INTEGER, H5T_NATIVE_INT64, &ver, path, err));
    if (ver != C8_CALIB_HISTFILE_VERSION)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: histogram file format version %lld is not supported (this calib8 "
                      "reads %d)",
                      path, (long long)ver, C8_CALIB_HISTFILE_VERSION);
    c8_calib_info *in = &f->info;
    C8_TRY(get_str_attr(fid, "calib8_version", false, path, &f->strs[0], err));
    C8_TRY(get_str_attr(fid, "algorithm", false, path, &f->strs[1], err));
    C8_TRY(get_str_attr(fid, "model_sha256", false, path, &f->strs[2], err));
    C8_TRY(get_str_attr(fid, "dataset_sha256", false, path, &f->strs[3], err));
    C8_TRY(get_str_attr(fid, "preprocessing", false, path, &f->strs[4], err));
    C8_TRY(get_num_attr(fid, "bins", H5T_INTEGER, H5T_NATIVE_INT64, &nbins, path, err));
    C8_TRY(get_num_attr(fid, "dataset_images", H5T_INTEGER, H5T_NATIVE_INT64, &in->dataset_images,
                        path, err));
    C8_TRY(
        get_num_attr(fid, "batch_size", H5T_INTEGER, H5T_NATIVE_INT64, &in->batch_size, path, err));
    C8_TRY(get_num_attr(fid, "images", H5T_INTEGER, H5T_NATIVE_INT64, &in->images, path, err));
    C8_TRY(get_num_attr(fid, "percentile", H5T_FLOAT, H5T_NATIVE_DOUBLE, &in->params.percentile,
                        path, err));
    C8_TRY(get_num_attr(fid, "mxnet_eps", H5T_FLOAT, H5T_NATIVE_DOUBLE, &in->params.mxnet_eps, path,
                        err));
    /* "" in the file means unknown */
    const char **dst[5] = {&in->calib8_version, &in->algorithm, &in->model_sha256,
                           &in->dataset_sha256, &in->preprocessing};
    for (int i = 0; i < 5; i++) *dst[i] = f->strs[i] && f->strs[i][0] ? f->strs[i] : NULL;
    in->nbins = nbins;

    C8_TRY(read_names(fid, f, path, err));
    hsize_t cdims[2];
    hid_t d;
    C8_TRY(open_ds(fid, "counts", H5T_INTEGER, 2, cdims, &d, path, err));
    c8_h5_close(d);
    size_t n = (size_t)f->n, cells, bytes;
    if (cdims[0] != (hsize_t)f->n)
        return c8_err(err, C8_ERR_PARSE, "%s: dataset 'counts' has %llu rows for %zu names", path,
                      (unsigned long long)cdims[0], n);
    if (n && (int64_t)cdims[1] != nbins)
        return c8_err(err, C8_ERR_PARSE,
                      "%s: dataset 'counts' has %llu bins but attribute 'bins' says %lld", path,
                      (unsigned long long)cdims[1], (long long)nbins);
    if (!c8_mul_size(n, (size_t)cdims[1], &cells) || !c8_mul_size(cells, 8, &bytes) ||
        bytes > LOAD_MAX_BYTES)
        return c8_err(err, C8_ERR_LIMIT, "%s: dataset 'counts' is too large (%llu x %llu)", path,
                      (unsigned long long)cdims[0], (unsigned long long)cdims[1]);
    c8_status st = C8_OK;
    uint64_t *counts = malloc(bytes ? bytes : 1);      /* (n, nbins) */
    double *range = malloc(n ? n * sizeof *range : 1); /* (n) */
    float *f3 = malloc(n ? 3 * n * sizeof *f3 : 1);    /* (3, n) absmax, min, max */
    uint64_t *cnt = malloc(n ? n * sizeof *cnt : 1);   /* (n) */
    if (!counts || !range || !f3 || !cnt) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    hsize_t d1[1] = {(hsize_t)n};
    if ((st =
             read_ds(fid, "counts", H5T_INTEGER, H5T_NATIVE_UINT64, 2, cdims, counts, path, err)) ||
        (st = read_ds(fid, "range", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, d1, range, path, err)) ||
        (st = read_ds(fid, "absmax", H5T_FLOAT, H5T_NATIVE_FLOAT, 1, d1, f3, path, err)) ||
        (st = read_ds(fid, "min", H5T_FLOAT, H5T_NATIVE_FLOAT, 1, d1, f3 + n, path, err)) ||
        (st = read_ds(fid, "max", H5T_FLOAT, H5T_NATIVE_FLOAT, 1, d1, f3 + 2 * n, path, err)) ||
        (st = read_ds(fid, "count", H5T_INTEGER, H5T_NATIVE_UINT64, 1, d1, cnt, path, err)))
        goto out;
    c8_strmap seen = {0};
    for (size_t t = 0; t < n && st == C8_OK; t++) {
        int e = 0;
        double m = frexp(range[t], &e); /* R = 2^k  <=>  m = 0.5, k = e - 1 */
        bool ins;
        int64_t old;
        if (!c8_strmap_put(&seen, f->names[t], (int64_t)t, &ins, &old)) {
            st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
        } else if (!ins) {
            st = c8_err(err, C8_ERR_PARSE, "%s: tensor '%s' appears twice (entries %lld and %zu)",
                        path, f->names[t], (long long)old, t);
        } else if (m != 0.5 || e - 1 < C8_HIST_EXP_MIN || e - 1 > 128) {
            st = c8_err(err, C8_ERR_PARSE,
                        "%s: tensor '%s': dataset 'range' entry %zu (%g) is not a power of two "
                        "in [2^%d, 2^128]",
                        path, f->names[t], t, range[t], C8_HIST_EXP_MIN);
        } else if ((st = c8_hist_create_from((int64_t)cdims[1], e - 1, counts + t * cdims[1], f3[t],
                                             f3[n + t], f3[2 * n + t], &f->h[t], err))) {
            c8_err_prefix(err, "%s: tensor '%s' (entry %zu)", path, f->names[t], t);
        } else if (c8_hist_count(f->h[t]) != cnt[t]) {
            st = c8_err(err, C8_ERR_PARSE,
                        "%s: tensor '%s': dataset 'count' says %llu values but the bins hold %llu",
                        path, f->names[t], (unsigned long long)cnt[t],
                        (unsigned long long)c8_hist_count(f->h[t]));
        }
    }
    c8_strmap_free(&seen);
out:
    free(counts);
    free(range);
    free(f3);
    free(cnt);
    return st;
}

static c8_status histfile_load(const char *path, c8_calib_histfile **out, c8_error *err) {
    *out = NULL;
    FILE *probe = fopen(path, "rb");
    if (!probe) return c8_err(err, C8_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fclose(probe);
    h5_quiet();
    c8_status st = C8_OK;
    const char *what = "opening";
    hid_t fid = -1;
    c8_calib_histfile *f = calloc(1, sizeof *f);
    if (!f) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", path);
    c8_calib_info_init(&f->info);
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        st = c8_err(err, C8_ERR_PARSE, "%s: not an HDF5 file", path);
        goto done;
    }
    H5C(fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
    st = load_file(fid, f, path, err);
done:
    c8_h5_close(fid);
    if (st != C8_OK) {
        c8_calib_histfile_destroy(f);
        return st;
    }
    *out = f;
    return C8_OK;
}

/* libhdf5 is not thread-safe: every HDF5 call of this file runs under the process-wide lock
 * (util/h5lock.h), also taken by the dataset loader's thread. */
c8_status c8_calib_histfile_save(const char *path, const c8_calib_info *info,
                                 const char *const *names, const c8_hist *const *hists, int64_t n,
                                 c8_error *err) {
    c8_h5_lock();
    c8_status s = histfile_save(path, info, names, hists, n, err);
    c8_h5_unlock();
    return s;
}

c8_status c8_calib_histfile_load(const char *path, c8_calib_histfile **out, c8_error *err) {
    c8_h5_lock();
    c8_status s = histfile_load(path, out, err);
    c8_h5_unlock();
    return s;
}

const c8_calib_info *c8_calib_histfile_info(const c8_calib_histfile *f) { return &f->info; }
int64_t c8_calib_histfile_count(const c8_calib_histfile *f) { return f->n; }
const char *c8_calib_histfile_name(const c8_calib_histfile *f, int64_t i) { return f->names[i]; }
const c8_hist *c8_calib_histfile_hist(const c8_calib_histfile *f, int64_t i) { return f->h[i]; }
const char *const *c8_calib_histfile_names(const c8_calib_histfile *f) {
    return (const char *const *)f->names;
}
const c8_hist *const *c8_calib_histfile_hists(const c8_calib_histfile *f) {
    return (const c8_hist *const *)f->h;
}
