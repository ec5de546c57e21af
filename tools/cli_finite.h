/* Non-finite (NaN, Inf) outputs of run, eval and compare (issue 15, docs/cli.md): counted, the
 * first image that produced one is named, and the command fails (exit 1) unless
 * --allow-nonfinite, with which it only warns. */
#ifndef C8_TOOLS_CLI_FINITE_H
#define C8_TOOLS_CLI_FINITE_H

#include "calib8/status.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct c8_cli_nonfinite {
    int64_t values;  /* non-finite output values seen */
    int64_t images;  /* images (or runs) with at least one */
    char first[512]; /* the first image that had one: "fm/3-Dress/0042.png (image 17)" */
} c8_cli_nonfinite;

void c8_cli_nonfinite_init(c8_cli_nonfinite *nf);
/* Counts the non-finite values of v[0..n); when there are some, counts the image and, the first
 * time, records `image` (its file name or id) and `index`. Returns the count in v. */
int64_t c8_cli_nonfinite_scan(c8_cli_nonfinite *nf, const float *v, int64_t n, const char *image,
                              int64_t index);
/* C8_OK when none were seen. Otherwise the message "12 non-finite (NaN/Inf) output values in 3
 * images; the first: <first> (pass --allow-nonfinite to accept them)": as C8_ERR_INVALID, or,
 * with allow, printed as a warning on stderr (C8_OK). */
c8_status c8_cli_nonfinite_finish(const c8_cli_nonfinite *nf, const char *what, bool allow,
                                  c8_error *err);

#endif
