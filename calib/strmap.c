/* String -> int64 hash map; see strmap.h. */
#include "calib/strmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

void c8_strmap_free(c8_strmap *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t slot_of(const c8_strmap *m, const char *key) {
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
    return i;
}

static bool grow(c8_strmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    c8_strmap nm = {ncap, 0, calloc(ncap, sizeof *nm.keys), calloc(ncap, sizeof *nm.vals)};
    if (!nm.keys || !nm.vals) {
        free(nm.keys);
        free(nm.vals);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t s = slot_of(&nm, m->keys[i]);
            nm.keys[s] = m->keys[i];
            nm.vals[s] = m->vals[i];
            nm.n++;
        }
    c8_strmap_free(m);
    *m = nm;
    return true;
}

bool c8_strmap_put(c8_strmap *m, const char *key, int64_t val, bool *inserted, int64_t *old) {
    if ((m->n + 1) * 2 > m->cap && !grow(m)) return false;
    size_t s = slot_of(m, key);
    if (m->keys[s]) {
        *inserted = false;
        *old = m->vals[s];
        return true;
    }
    m->keys[s] = key;
    m->vals[s] = val;
    m->n++;
    *inserted = true;
    return true;
}

int64_t c8_strmap_get(const c8_strmap *m, const char *key) {
    if (!m->cap) return -1;
    size_t s = slot_of(m, key);
    return m->keys[s] ? m->vals[s] : -1;
}
