/* Error record helpers; see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *c8_status_name(c8_status s) {
    switch (s) {
    case C8_OK: return "ok";
    case C8_ERR_IO: return "io";
    case C8_ERR_PARSE: return "parse";
    case C8_ERR_UNSUPPORTED: return "unsupported";
    case C8_ERR_INVALID: return "invalid";
    case C8_ERR_SHAPE: return "shape";
    case C8_ERR_NOMEM: return "nomem";
    case C8_ERR_DEVICE: return "device";
    case C8_ERR_MISMATCH: return "mismatch";
    case C8_ERR_INTERNAL: return "internal";
    case C8_ERR_USAGE: return "usage";
    case C8_ERR_INTERRUPTED: return "interrupted";
    case C8_ERR_NOT_FOUND: return "not-found";
    case C8_ERR_LIMIT: return "limit";
    }
    return "unknown";
}

static c8_status err_setv(c8_error *err, c8_status code, const char *fmt, va_list ap) {
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

static c8_status err_prefixv(c8_error *err, const char *fmt, va_list ap) {
    if (!err) return C8_OK;
    char prefix[C8_ERROR_MSG_MAX];
    char old[C8_ERROR_MSG_MAX];
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* truncation of very long messages is acceptable; keep the prefix whole */
    size_t k = strlen(prefix);
    if (k > sizeof err->msg - 3) k = sizeof err->msg - 3;
    memcpy(err->msg, prefix, k);
    err->msg[k++] = ':';
    err->msg[k++] = ' ';
    size_t rest = strlen(old);
    if (rest > sizeof err->msg - 1 - k) rest = sizeof err->msg - 1 - k;
    memcpy(err->msg + k, old, rest);
    err->msg[k + rest] = '\0';
    return err->code;
}

c8_status c8_err(c8_error *err, c8_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    c8_status s = err_setv(err, code, fmt, ap);
    va_end(ap);
    return s;
}

c8_status c8_err_prefix(c8_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    c8_status s = err_prefixv(err, fmt, ap);
    va_end(ap);
    return s;
}

c8_status c8_error_set(c8_error *err, c8_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    c8_status s = err_setv(err, code, fmt, ap);
    va_end(ap);
    return s;
}

c8_status c8_error_prefix(c8_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    c8_status s = err_prefixv(err, fmt, ap);
    va_end(ap);
    return s;
}

void c8_err_clear(c8_error *err) {
    if (!err) return;
    err->code = C8_OK;
    err->msg[0] = '\0';
}

void c8_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "calib8: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}
