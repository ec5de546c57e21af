/* Internal: a string -> int64 hash map (open addressing, FNV-1a) with borrowed keys, for
 * tensor-name lookups in caches, sidecars and checks. */
#ifndef C8_CALIB_STRMAP_H
#define C8_CALIB_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct c8_strmap {
    size_t cap; /* power of two, 0 when empty */
    size_t n;
    const char **keys; /* (cap) borrowed, NULL = free slot */
    int64_t *vals;     /* (cap) */
} c8_strmap;

/* Zero-initialised struct is an empty map. */
void c8_strmap_free(c8_strmap *m);
/* Inserts key -> val; if key exists, leaves it and returns its value in *old (returns false
 * only when out of memory). *inserted says which happened. */
bool c8_strmap_put(c8_strmap *m, const char *key, int64_t val, bool *inserted, int64_t *old);
/* Value of key or -1. */
int64_t c8_strmap_get(const c8_strmap *m, const char *key);
#endif
