/* calib8 status codes and the error record every fallible call fills.
 *
 * Library functions return a c8_status and, when given a non-NULL c8_error, write a message that
 * names the file, tensor or layer and the problem. Only the CLI decides to exit. */
#ifndef CALIB8_STATUS_H
#define CALIB8_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Values are only ever appended. */
typedef enum c8_status {
    C8_OK = 0,
    C8_ERR_IO = 1,           /* a file could not be opened, read or written */
    C8_ERR_PARSE = 2,        /* a file's content is malformed (ONNX, cache, plan, image, ...) */
    C8_ERR_UNSUPPORTED = 3,  /* valid input that calib8 does not handle (op, attribute, format) */
    C8_ERR_INVALID = 4,      /* invalid argument or inconsistent input */
    C8_ERR_SHAPE = 5,        /* tensor shapes do not fit */
    C8_ERR_NOMEM = 6,        /* allocation failed or a size overflowed */
    C8_ERR_DEVICE = 7,       /* CUDA, cuDNN or cuBLAS failure */
    C8_ERR_MISMATCH = 8,     /* an artifact does not match (cache for another model, stale plan) */
    C8_ERR_INTERNAL = 9,     /* a bug in calib8 */
    C8_ERR_USAGE = 10,       /* wrong command-line usage */
    C8_ERR_INTERRUPTED = 11, /* stopped by a signal or a callback */
    C8_ERR_NOT_FOUND = 12,   /* a named thing (tensor, dataset, file) does not exist */
    C8_ERR_LIMIT = 13        /* a memory or size limit would be exceeded */
} c8_status;

#define C8_ERROR_MSG_MAX 1024

/* Filled by the call that fails; msg is NUL-terminated. Zero-initialise before use. */
typedef struct c8_error {
    c8_status code;
    char msg[C8_ERROR_MSG_MAX];
} c8_error;

/* A short constant name for a status ("io", "parse", ...). Never NULL. */
const char *c8_status_name(c8_status s);

/* For code that reports errors the same way (callbacks such as a calibration data source or a
 * tensor observer, and programs built on calib8): writes a printf-style message and the code
 * into err (if non-NULL) and returns code, so a callback can `return c8_error_set(err,
 * C8_ERR_IO, "%s: short read", path);`. */
c8_status c8_error_set(c8_error *err, c8_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Prefixes err's message with context: "<prefix>: <old message>"; returns err->code (C8_OK for
 * a NULL err). */
c8_status c8_error_prefix(c8_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
