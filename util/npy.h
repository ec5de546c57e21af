/* NumPy .npy files (format 1.0/2.0/3.0, C order, little-endian): read and write. */
#ifndef C8_UTIL_NPY_H
#define C8_UTIL_NPY_H

#include "calib8/status.h"

#include <stddef.h>
#include <stdint.h>

#define C8_NPY_MAX_RANK 8

typedef enum c8_npy_type {
    C8_NPY_F32 = 1,
    C8_NPY_F64 = 2,
    C8_NPY_I64 = 3,
    C8_NPY_I32 = 4,
    C8_NPY_I8 = 5,
    C8_NPY_U8 = 6,
    C8_NPY_F16 = 7,
    C8_NPY_BOOL = 8
} c8_npy_type;

typedef struct c8_npy {
    c8_npy_type type;
    int rank;
    int64_t dims[C8_NPY_MAX_RANK];
    size_t count;  /* number of elements */
    size_t nbytes; /* count * element size */
    void *data;    /* malloc'd, native layout; owned by the struct */
} c8_npy;

size_t c8_npy_type_size(c8_npy_type t);
/* Reads path. Rejects Fortran order, big-endian and unknown dtypes with a message naming path. */
c8_status c8_npy_read(const char *path, c8_npy *out, c8_error *err);
/* Parses an in-memory .npy image; `what` names it in messages. */
c8_status c8_npy_parse(const unsigned char *buf, size_t len, const char *what, c8_npy *out,
                       c8_error *err);
/* Writes atomically (temporary file + rename). */
c8_status c8_npy_write(const char *path, c8_npy_type type, int rank, const int64_t *dims,
                       const void *data, c8_error *err);
void c8_npy_free(c8_npy *a);

#endif
