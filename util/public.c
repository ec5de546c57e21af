/* The util module's public calls (include/calib8/util.h): thin, documented entries over the
 * internal helpers the library itself uses (fileio, json, npy, bytes), so that programs built on
 * calib8 and the CLI write outputs the way the library does. */
#include "calib8/util.h"

#include "util/bytes.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/npy.h"

#include <stdlib.h>
#include <string.h>

struct c8_output {
    c8_atomic_file *f;
};

c8_status c8_output_open(const char *path, c8_output **out, c8_error *err) {
    *out = NULL;
    c8_output *o = calloc(1, sizeof *o);
    if (!o) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = c8_atomic_open(path, &o->f, err);
    if (s != C8_OK) {
        free(o);
        return s;
    }
    *out = o;
    return C8_OK;
}

FILE *c8_output_fp(c8_output *o) { return c8_atomic_file_fp(o->f); }

c8_status c8_output_commit(c8_output *o, c8_error *err) {
    c8_status s = c8_atomic_commit(o->f, err);
    free(o);
    return s;
}

void c8_output_abort(c8_output *o) {
    if (!o) return;
    c8_atomic_abort(o->f);
    free(o);
}

void c8_output_json_string(FILE *fp, const char *s) { c8_json_write_string(fp, s ? s : ""); }

c8_status c8_make_dirs(const char *path, c8_error *err) { return c8_mkdirs(path, err); }
char *c8_path_folder(const char *path) { return c8_path_dirname(path); }
char *c8_path_in_folder(const char *dir, const char *name) { return c8_path_join(dir, name); }
c8_status c8_file_read_all(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                           c8_error *err) {
    return c8_read_file(path, max_bytes, data, len, err);
}

static c8_dtype npy_to_dtype(c8_npy_type t) {
    switch (t) {
    case C8_NPY_F32: return C8_DT_FLOAT;
    case C8_NPY_F64: return C8_DT_DOUBLE;
    case C8_NPY_I64: return C8_DT_INT64;
    case C8_NPY_I32: return C8_DT_INT32;
    case C8_NPY_I8: return C8_DT_INT8;
    case C8_NPY_U8: return C8_DT_UINT8;
    case C8_NPY_F16: return C8_DT_FLOAT16;
    case C8_NPY_BOOL: return C8_DT_BOOL;
    }
    return C8_DT_UNDEFINED;
}

static bool dtype_to_npy(c8_dtype t, c8_npy_type *out) {
    switch (t) {
    case C8_DT_FLOAT: *out = C8_NPY_F32; return true;
    case C8_DT_DOUBLE: *out = C8_NPY_F64; return true;
    case C8_DT_INT64: *out = C8_NPY_I64; return true;
    case C8_DT_INT32: *out = C8_NPY_I32; return true;
    case C8_DT_INT8: *out = C8_NPY_I8; return true;
    case C8_DT_UINT8: *out = C8_NPY_U8; return true;
    case C8_DT_FLOAT16: *out = C8_NPY_F16; return true;
    case C8_DT_BOOL: *out = C8_NPY_BOOL; return true;
    default: return false;
    }
}

c8_status c8_tensor_read_npy(const char *path, c8_host_tensor *out, c8_error *err) {
    memset(out, 0, sizeof *out);
    c8_npy a;
    C8_TRY(c8_npy_read(path, &a, err));
    out->dtype = npy_to_dtype(a.type);
    out->shape.rank = a.rank;
    for (int i = 0; i < a.rank; i++) out->shape.d[i] = a.dims[i];
    out->data = a.data; /* the array's buffer, now the tensor's */
    return C8_OK;
}

c8_status c8_tensor_write_npy(const char *path, const c8_host_tensor *t, c8_error *err) {
    c8_npy_type nt;
    if (!dtype_to_npy(t->dtype, &nt))
        return c8_err(err, C8_ERR_UNSUPPORTED, "tensor '%s': cannot write %s as .npy",
                      t->name ? t->name : "", c8_dtype_name(t->dtype));
    return c8_npy_write(path, nt, t->shape.rank, t->shape.d, t->data, err);
}

void c8_host_tensor_free(c8_host_tensor *t) {
    if (!t) return;
    free(t->data);
    t->data = NULL;
}

bool c8_size_parse(const char *s, uint64_t *out) { return c8_parse_bytes(s, out); }

const char *c8_size_str(uint64_t n, char *buf, size_t len) { return c8_bytes_str(n, buf, len); }

uint64_t c8_memory_available(void) { return c8_mem_available(); }
