/* Internal error helpers: set a c8_error with a printf-style message and return its code.
 * Reference: include/calib8/status.h. */
#ifndef C8_UTIL_ERR_H
#define C8_UTIL_ERR_H

#include "calib8/status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define C8_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define C8_PRINTF(a, b)
#endif

/* Writes the message into err (if non-NULL) and returns code, so callers write
 *   return c8_err(err, C8_ERR_PARSE, "%s: bad header", path); */
c8_status c8_err(c8_error *err, c8_status code, const char *fmt, ...) C8_PRINTF(3, 4);

/* Prefixes an existing message: "<prefix>: <old message>". Returns err->code (or C8_OK if
 * err is NULL). Used to add context ("model.onnx: ") on the way up. */
c8_status c8_err_prefix(c8_error *err, const char *fmt, ...) C8_PRINTF(2, 3);

/* Clears err to C8_OK with an empty message. */
void c8_err_clear(c8_error *err);

/* Bugs, not user errors: abort with file and line. */
#define C8_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) c8_assert_fail(#cond, __FILE__, __LINE__);                                    \
    } while (0)
void c8_assert_fail(const char *expr, const char *file, int line);

/* Propagate a failing status. */
#define C8_TRY(expr)                                                                               \
    do {                                                                                           \
        c8_status c8_try_s_ = (expr);                                                              \
        if (c8_try_s_ != C8_OK) return c8_try_s_;                                                  \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
