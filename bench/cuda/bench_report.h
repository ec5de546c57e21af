/* The text a GPU benchmark prints, kept whole so that --out can write it as a results file:
 * c8b_say prints one formatted piece to stdout and appends it to the report. Header-only
 * (static functions): each benchmark is one program. */
#ifndef C8_BENCH_CUDA_BENCH_REPORT_H
#define C8_BENCH_CUDA_BENCH_REPORT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct c8b_report {
    char *buf; /* NUL-terminated; NULL until the first piece */
    size_t len, cap;
} c8b_report;

/* Prints and appends; a piece that cannot be kept (out of memory) is still printed. */
static void c8b_say(c8b_report *r, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    fputs(line, stdout);
    fflush(stdout);
    if (r->len + (size_t)n + 1 > r->cap) {
        size_t cap = (r->cap + (size_t)n + 1) * 2;
        char *b = realloc(r->buf, cap);
        if (!b) return;
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, line, (size_t)n);
    r->len += (size_t)n;
    r->buf[r->len] = '\0';
}

#endif
