/* Checked size arithmetic: every size computed from file contents goes through these, so a
 * huge or negative dimension becomes an error instead of a wrapped allocation. */
#ifndef C8_UTIL_ARITH_H
#define C8_UTIL_ARITH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *out = a * b; false on overflow (out untouched). */
static inline bool c8_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}

static inline bool c8_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return false;
    *out = a + b;
    return true;
}

/* Product of non-negative int64 dims; false if any is negative or the product exceeds limit. */
static inline bool c8_mul_i64(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0) return false;
    if (a != 0 && b > INT64_MAX / a) return false;
    *out = a * b;
    return true;
}

/* Round x up to a multiple of m (m > 0); false on overflow. */
static inline bool c8_align_size(size_t x, size_t m, size_t *out) {
    size_t r = x % m;
    if (r == 0) {
        *out = x;
        return true;
    }
    return c8_add_size(x, m - r, out);
}

#endif
