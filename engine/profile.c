/* Optimization profiles; see profile.h. */
#include "engine/profile.h"

#include "util/err.h"

#include <stdio.h>
#include <string.h>

c8_status c8_profile_validate(const c8_profile *p, const c8_shape *declared, const char *what,
                              c8_error *err) {
    if (p->min.rank != p->opt.rank || p->min.rank != p->max.rank)
        return c8_err(err, C8_ERR_SHAPE,
                      "%s: the profile's minimum, optimum and maximum have ranks %d, %d and %d",
                      what, p->min.rank, p->opt.rank, p->max.rank);
    if (p->min.rank != declared->rank)
        return c8_err(err, C8_ERR_SHAPE, "%s: the profile has rank %d, the input rank %d", what,
                      p->min.rank, declared->rank);
    for (int d = 0; d < declared->rank; d++) {
        int64_t lo = p->min.d[d], o = p->opt.d[d], hi = p->max.d[d];
        if (lo <= 0 || lo > o || o > hi)
            return c8_err(err, C8_ERR_SHAPE,
                          "%s: extent %d of the profile must satisfy 0 < min <= opt <= max "
                          "(got %lld, %lld, %lld)",
                          what, d, (long long)lo, (long long)o, (long long)hi);
        if (declared->d[d] >= 0 && (lo != declared->d[d] || hi != declared->d[d]))
            return c8_err(err, C8_ERR_SHAPE,
                          "%s: extent %d is fixed at %lld in the model; the profile gives "
                          "%lld..%lld",
                          what, d, (long long)declared->d[d], (long long)lo, (long long)hi);
    }
    return C8_OK;
}

bool c8_profile_contains(const c8_profile *p, const c8_shape *s) {
    if (!p->set) return true;
    if (s->rank != p->min.rank) return false;
    for (int d = 0; d < s->rank; d++)
        if (s->d[d] < p->min.d[d] || s->d[d] > p->max.d[d]) return false;
    return true;
}

const char *c8_profile_str(const c8_profile *p, char *buf, size_t len) {
    size_t n = 0;
    if (len) buf[0] = '\0';
    for (int d = 0; d < p->min.rank && n < len; d++) {
        long long lo = p->min.d[d], o = p->opt.d[d], hi = p->max.d[d];
        const char *x = d ? "x" : "";
        int k;
        if (lo == hi)
            k = snprintf(buf + n, len - n, "%s%lld", x, lo);
        else if (o == hi)
            k = snprintf(buf + n, len - n, "%s%lld..%lld", x, lo, hi);
        else
            k = snprintf(buf + n, len - n, "%s%lld..%lld..%lld", x, lo, o, hi);
        if (k < 0) break;
        n += (size_t)k;
    }
    return buf;
}

c8_status c8_profile_check(const c8_profile *p, const char *what, const char *name,
                           const c8_shape *s, c8_error *err) {
    if (c8_profile_contains(p, s)) return C8_OK;
    char sb[96], pb[160], why[96] = "";
    if (s->rank != p->min.rank) {
        snprintf(why, sizeof why, "rank %d, not %d", s->rank, p->min.rank);
    } else {
        for (int d = 0; d < s->rank && !why[0]; d++) {
            if (s->d[d] < p->min.d[d])
                snprintf(why, sizeof why, "extent %d: %lld is below %lld", d, (long long)s->d[d],
                         (long long)p->min.d[d]);
            else if (s->d[d] > p->max.d[d])
                snprintf(why, sizeof why, "extent %d: %lld is above %lld", d, (long long)s->d[d],
                         (long long)p->max.d[d]);
        }
    }
    return c8_err(err, C8_ERR_SHAPE, "%s: input '%s' has shape %s, outside the profile %s (%s)",
                  what, name, c8_shape_str(s, sb, sizeof sb), c8_profile_str(p, pb, sizeof pb),
                  why);
}
