/* Internal additions to the cache API (calib/cache.c) for the checker and the CLI. */
#ifndef C8_CALIB_CACHE_H
#define C8_CALIB_CACHE_H

#include "calib8/calib.h"

/* The line tensor i was read from (0 if it was set through the API). */
int64_t c8_calib_cache_line(const c8_calib_cache *c, int64_t i);

#endif
