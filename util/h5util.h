/* Small HDF5 helpers shared by every module that calls libhdf5 (datasets/h5.c,
 * calib/histfile.c, reports/dump.c): HDF5's innermost error message, closing an id of any kind,
 * and scalar attributes. Callers hold c8_h5_lock() (util/h5lock.h) around them. */
#ifndef C8_UTIL_H5UTIL_H
#define C8_UTIL_H5UTIL_H

#include "calib8/status.h"

#include <hdf5.h>

#include <stddef.h>

/* HDF5's most specific message from the current error stack into buf ("" if none), then clears
 * the stack. */
void c8_h5_last_error(char *buf, size_t n);

/* An I/O error "PATH: WHAT: HDF5 error: <HDF5's message> [EXPR at FILE:LINE]" (the stack is
 * cleared). */
c8_status c8_h5_fail(c8_error *err, const char *path, const char *what, const char *expr,
                     const char *file, int line);

/* Closes a file, group, dataset, dataspace, datatype, attribute or property list id; negative
 * ids are ignored. */
void c8_h5_close(hid_t id);

/* A scalar UTF-8 string attribute (NULL writes "") / a scalar attribute of file type ftype from
 * *v in memory type mtype. Errors name `path`, the attribute and the failed call. */
c8_status c8_h5_put_str_attr(hid_t loc, const char *name, const char *v, const char *path,
                             c8_error *err);
c8_status c8_h5_put_num_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v,
                             const char *path, c8_error *err);

#endif
