/* Non-finite outputs; see cli_finite.h. */
#include "tools/cli_finite.h"

#include "tools/cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void c8_cli_nonfinite_init(c8_cli_nonfinite *nf) { memset(nf, 0, sizeof *nf); }

int64_t c8_cli_nonfinite_scan(c8_cli_nonfinite *nf, const float *v, int64_t n, const char *image,
                              int64_t index) {
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) bad += !isfinite(v[i]);
    if (!bad) return 0;
    if (nf->images == 0)
        snprintf(nf->first, sizeof nf->first, "%s (image %lld)", image ? image : "input",
                 (long long)index);
    nf->values += bad;
    nf->images++;
    return bad;
}

c8_status c8_cli_nonfinite_finish(const c8_cli_nonfinite *nf, const char *what, bool allow,
                                  c8_error *err) {
    if (!nf->values) return C8_OK;
    char msg[900];
    snprintf(msg, sizeof msg,
             "%s: %lld non-finite (NaN/Inf) output value%s in %lld image%s; the first: %s", what,
             (long long)nf->values, nf->values == 1 ? "" : "s", (long long)nf->images,
             nf->images == 1 ? "" : "s", nf->first);
    if (allow) {
        fprintf(stderr, "calib8: warning: %s (--allow-nonfinite)\n", msg);
        return C8_OK;
    }
    return c8_err(err, C8_ERR_INVALID, "%s (pass --allow-nonfinite to accept them)", msg);
}
