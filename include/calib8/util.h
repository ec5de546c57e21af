/* calib8 helpers for programs built on the library (the calib8 CLI is one): crash-safe output
 * files, tensor files (.npy), folders, byte sizes for people and the machine's available memory.
 * The library writes its own outputs the same way (plans, caches, reports).
 *
 * Ownership: a c8_output comes from c8_output_open and goes to c8_output_commit or
 * c8_output_abort (NULL is a no-op); tensors filled by c8_tensor_read_npy own their data until
 * c8_host_tensor_free. */
#ifndef CALIB8_UTIL_H
#define CALIB8_UTIL_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- output files */

/* An output being written: the data goes to a temporary file beside path and appears under path
 * only on commit (flush, write-error check, fsync, rename, fsync of the folder), so a failed or
 * interrupted run never leaves a truncated output or a changed old one. A path that names a
 * folder is refused at open; a device, FIFO or socket (/dev/stdout, a pipe) is written in
 * place. */
typedef struct c8_output c8_output;

c8_status c8_output_open(const char *path, c8_output **out, c8_error *err);
/* The stream to write to (borrowed from o). */
FILE *c8_output_fp(c8_output *o);
/* Publishes the output and frees o, also on failure (then the destination is untouched and the
 * error names the problem: a full disk shows here). */
c8_status c8_output_commit(c8_output *o, c8_error *err);
/* Removes the temporary file and frees o. */
void c8_output_abort(c8_output *o);

/* Writes s as a JSON string (quotes and escapes included) to fp. */
void c8_output_json_string(FILE *fp, const char *s);

/* Creates a folder and its parents; fine if it exists (an existing file is an error). */
c8_status c8_make_dirs(const char *path, c8_error *err);
/* The folder part of path ("." when it has none), malloc'd (free it); NULL when out of memory. */
char *c8_path_folder(const char *path);
/* dir + '/' + name (no second '/' when dir ends with one), malloc'd; NULL when out of memory. */
char *c8_path_in_folder(const char *dir, const char *name);
/* Reads a whole file into a malloc'd buffer (free it), NUL-terminated for text use (the NUL is
 * not counted in *len); max_bytes 0: no limit. Errors name the file. */
c8_status c8_file_read_all(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                           c8_error *err);

/* ------------------------------------------------------------- tensor files */

/* Reads a NumPy .npy file (format 1.0 to 3.0, C order, little-endian; float32/64, float16,
 * int8/32/64, uint8, bool) into out: dtype, shape and data (malloc'd, owned by out: release with
 * c8_host_tensor_free); out->name is NULL. Fortran order, big-endian and other types are refused
 * with a message naming path. */
c8_status c8_tensor_read_npy(const char *path, c8_host_tensor *out, c8_error *err);
/* Writes t as .npy, atomically (as c8_output). Types .npy cannot hold in calib8's reader
 * (string, uint16/32/64, int16) are C8_ERR_UNSUPPORTED naming t->name. */
c8_status c8_tensor_write_npy(const char *path, const c8_host_tensor *t, c8_error *err);
/* Frees the data of a tensor a calib8 reader filled, and clears it. */
void c8_host_tensor_free(c8_host_tensor *t);

/* ------------------------------------------------------------- sizes and memory */

/* Parses a byte size: a non-negative number (decimal point allowed) with an optional unit K, M,
 * G, T (binary: K = 1024), written K, KB or KiB in any case, or none / B for bytes ("8G",
 * "512MiB", "1.5g"). False on anything else or on overflow. */
bool c8_size_parse(const char *s, uint64_t *out);
/* Writes n as "123 bytes", "4.0 KiB", "12.3 GiB" into buf; returns buf. */
const char *c8_size_str(uint64_t n, char *buf, size_t len);
/* MemAvailable of /proc/meminfo in bytes, or 0 when it cannot be read. */
uint64_t c8_memory_available(void);

#ifdef __cplusplus
}
#endif
#endif
