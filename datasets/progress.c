/* Progress reporting for loops over items: a bar redrawn in place on a terminal, plain periodic
 * lines otherwise, nothing when quiet. Contract: include/calib8/dataset.h; tests:
 * tests/datasets/test_loader.c (line mode, written to a file). */
#include "calib8/dataset.h"

#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct c8_progress {
    char what[64], unit[16];
    int64_t total, done;
    c8_progress_mode mode;
    FILE *out;
    double interval, t0, last;
    int printed, finished;
};

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

c8_status c8_progress_create(const char *what, const char *unit, int64_t total,
                             c8_progress_mode mode, FILE *out, c8_progress **out_p, c8_error *err) {
    *out_p = NULL;
    c8_progress *p = calloc(1, sizeof *p);
    if (!p) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    snprintf(p->what, sizeof p->what, "%s", what ? what : "progress");
    snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "it");
    p->total = total > 0 ? total : 0;
    p->out = out ? out : stderr;
    if (mode == C8_PROGRESS_AUTO)
        mode = isatty(fileno(p->out)) ? C8_PROGRESS_BAR : C8_PROGRESS_LINES;
    p->mode = mode;
    p->interval = mode == C8_PROGRESS_BAR ? 0.1 : 10.0;
    p->t0 = mono_s();
    p->last = p->t0;
    *out_p = p;
    return C8_OK;
}

void c8_progress_set_interval(c8_progress *p, double seconds) {
    if (p) p->interval = seconds < 0 ? 0 : seconds;
}

/* "1:02:03", "2:03" or "5s" */
static void fmt_dur(char *b, size_t n, double s) {
    if (s < 0 || s > 1e7) {
        snprintf(b, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (s < 59.95)
        snprintf(b, n, "%.1fs", s);
    else if (t < 3600)
        snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static int term_width(FILE *f) {
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    return 80;
}

static void draw(c8_progress *p, double t, int final) {
    double el = t - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32] = "", counts[64];
    if (p->total > 0 && rate > 0 && !final)
        fmt_dur(eta, sizeof eta, (double)(p->total - p->done) / rate);
    if (p->total > 0)
        snprintf(counts, sizeof counts, "%lld/%lld", (long long)p->done, (long long)p->total);
    else
        snprintf(counts, sizeof counts, "%lld", (long long)p->done);
    if (p->mode == C8_PROGRESS_BAR) {
        char tail[160];
        if (final) {
            char d[32];
            fmt_dur(d, sizeof d, el);
            snprintf(tail, sizeof tail, " %s %s in %s, %.0f %s/s", counts, p->unit, d, rate,
                     p->unit);
        } else {
            snprintf(tail, sizeof tail, " %s %.0f %s/s%s%s", counts, rate, p->unit,
                     eta[0] ? " ETA " : "", eta);
        }
        int width = term_width(p->out) - 1;
        int barw = width - (int)strlen(p->what) - (int)strlen(tail) - 10;
        fprintf(p->out, "\r%s ", p->what);
        if (p->total > 0 && barw >= 10) {
            int fill = (int)((double)barw * (double)p->done / (double)p->total);
            if (fill > barw) fill = barw;
            fputc('[', p->out);
            for (int i = 0; i < barw; i++) fputc(i < fill ? '#' : '.', p->out);
            fprintf(p->out, "] %3d%%", (int)(100.0 * (double)p->done / (double)p->total));
        }
        fprintf(p->out, "%s\033[K%s", tail, final ? "\n" : "");
    } else {
        char pct[16] = "";
        if (p->total > 0)
            snprintf(pct, sizeof pct, " (%d%%)", (int)(100.0 * (double)p->done / (double)p->total));
        if (final) {
            char d[32];
            fmt_dur(d, sizeof d, el);
            fprintf(p->out, "%s: %s %s in %s, %.0f %s/s\n", p->what, counts, p->unit, d, rate,
                    p->unit);
        } else {
            fprintf(p->out, "%s: %s %s%s, %.0f %s/s%s%s\n", p->what, counts, p->unit, pct, rate,
                    p->unit, eta[0] ? ", ETA " : "", eta);
        }
    }
    fflush(p->out);
    p->printed = 1;
}

void c8_progress_update(c8_progress *p, int64_t done) {
    if (!p || p->finished) return;
    if (done > p->done) p->done = done;
    if (p->mode == C8_PROGRESS_QUIET) return;
    double t = mono_s();
    if (t - p->last < p->interval) return;
    p->last = t;
    draw(p, t, 0);
}

void c8_progress_finish(c8_progress *p) {
    if (!p || p->finished) return;
    p->finished = 1;
    if (p->mode == C8_PROGRESS_QUIET) return;
    draw(p, mono_s(), 1);
}

void c8_progress_destroy(c8_progress *p) {
    if (!p) return;
    /* Not finished (an error path): end a drawn bar's line so the next message starts clean. */
    if (!p->finished && p->mode == C8_PROGRESS_BAR && p->printed) {
        fputc('\n', p->out);
        fflush(p->out);
    }
    free(p);
}
