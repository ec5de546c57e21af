#include "util/h5util.h"

#include "util/err.h"

#include <stdio.h>

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    char **b = data;
    if (n == 0 && e->desc) snprintf(b[0], (size_t)(b[1] - b[0]), "%s", e->desc);
    return 0;
}

void c8_h5_last_error(char *buf, size_t n) {
    if (!n) return;
    buf[0] = '\0';
    char *b[2] = {buf, buf + n};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, b);
    H5Eclear2(H5E_DEFAULT);
}

void c8_h5_close(hid_t id) {
    if (id < 0) return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}

c8_status c8_h5_fail(c8_error *err, const char *path, const char *what, const char *expr,
                     const char *file, int line) {
    char detail[256];
    c8_h5_last_error(detail, sizeof detail);
    return c8_err(err, C8_ERR_IO, "%s: %s: HDF5 error%s%s [%s at %s:%d]", path, what,
                  detail[0] ? ": " : "", detail, expr, file, line);
}

#define H5C(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) < 0) {                                                                          \
            st = c8_h5_fail(err, path, name, #expr, __FILE__, __LINE__);                           \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

c8_status c8_h5_put_str_attr(hid_t loc, const char *name, const char *v, const char *path,
                             c8_error *err) {
    c8_status st = C8_OK;
    hid_t t = -1, sp = -1, a = -1;
    const char *val = v ? v : "";
    H5C(t = H5Tcopy(H5T_C_S1));
    H5C(H5Tset_size(t, H5T_VARIABLE));
    H5C(H5Tset_cset(t, H5T_CSET_UTF8));
    H5C(sp = H5Screate(H5S_SCALAR));
    H5C(a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT));
    H5C(H5Awrite(a, t, &val));
done:
    c8_h5_close(a);
    c8_h5_close(sp);
    c8_h5_close(t);
    return st;
}

c8_status c8_h5_put_num_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v,
                             const char *path, c8_error *err) {
    c8_status st = C8_OK;
    hid_t sp = -1, a = -1;
    H5C(sp = H5Screate(H5S_SCALAR));
    H5C(a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT));
    H5C(H5Awrite(a, mtype, v));
done:
    c8_h5_close(a);
    c8_h5_close(sp);
    return st;
}
