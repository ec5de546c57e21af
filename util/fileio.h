/* File helpers: whole-file reads and crash-safe writes (temporary file in the same folder,
 * fsync, rename), so a failed run never truncates an existing output. */
#ifndef C8_UTIL_FILEIO_H
#define C8_UTIL_FILEIO_H

#include "calib8/status.h"

#include <stdio.h>
#include <stddef.h>

/* Reads the whole file into a malloc'd buffer (caller frees), NUL-terminated for text use
 * (the NUL is not counted in *len). max_bytes = 0 means no limit. */
c8_status c8_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                       c8_error *err);

/* An output being written: data goes to "<path>.tmp.<pid>.<n>" and appears under path only on
 * commit (fflush, fsync, rename, fsync of the folder). Abort (or destroy without commit) removes
 * the temporary file. A path that names a directory is refused at open; a symlink to a file
 * has the file it points to replaced (the link stays); a device, FIFO or socket (/dev/null,
 * /dev/stdout, a pipe) is written in place, since renaming over it would replace the node. */
typedef struct c8_atomic_file c8_atomic_file;

/* Opens the temporary file. On success *out owns a FILE* reachable by c8_atomic_file_fp. */
c8_status c8_atomic_open(const char *path, c8_atomic_file **out, c8_error *err);
FILE *c8_atomic_file_fp(c8_atomic_file *f);
/* Flushes, checks for write errors (a full disk shows here), fsyncs, renames and frees f.
 * On failure the temporary file is removed, the destination is untouched, and f is freed. */
c8_status c8_atomic_commit(c8_atomic_file *f, c8_error *err);
/* The first half of a commit: flush, check for write errors and fsync, without renaming; f
 * stays open (a later commit only renames; abort removes it). For outputs that belong
 * together (a cache and its sidecar): sync both, then commit both, so a full disk changes
 * neither. On failure f is left to the caller to abort. */
c8_status c8_atomic_sync(c8_atomic_file *f, c8_error *err);
/* Removes the temporary file and frees f; NULL is a no-op. */
void c8_atomic_abort(c8_atomic_file *f);

/* Convenience: writes len bytes to path atomically. */
c8_status c8_write_file_atomic(const char *path, const void *data, size_t len, c8_error *err);

/* The directory part of path ("." if none), malloc'd. */
char *c8_path_dirname(const char *path);
/* Joins dir and name with '/', malloc'd. */
char *c8_path_join(const char *dir, const char *name);
/* Creates a directory and its parents (mode 0777 & umask); ok if it exists. */
c8_status c8_mkdirs(const char *path, c8_error *err);

#endif
