/* bench_thresholds: time of the threshold search (c8_calib_compute) for every tensor of a
 * ResNet-50-sized model, per algorithm, `auto` (all its candidates) included.
 *
 *   bench_thresholds [--runs N] [--bins 2048] [--tensors 176] [--histograms FILE.h5]
 *   bench_thresholds --clip-table --histograms FILE.h5
 *
 * Without --histograms the histograms are synthetic but shaped like ResNet-50's activations
 * (torchvision layout exported with BatchNormalization as separate nodes: 1 input, 4 stem
 * tensors, 10 per Bottleneck x 16, 2 per downsample x 4, pooling/flatten/fc = 176 tensors):
 * inputs dense in [0, 2.6]; Conv/BN outputs |x| of a Laplace-like density; ReLU outputs a spike
 * of exact zeros (40-60% of the values) plus a half-normal or exponential body and a sparse
 * power-law tail, so absmax lands 5-30x above the body's scale as in real networks; 500 images'
 * worth of values (10^6 to 10^9 per tensor). Fixed seed; the same histograms every run.
 * With --histograms the file's histograms (calibrate --histograms) are timed instead.
 * Prints the median wall and CPU time of N runs per algorithm and auto's choices.
 * --clip-table prints, as Markdown, every algorithm's threshold per tensor of the file as a
 * fraction of absmax and the share of values it clips (values in bins entirely above the
 * threshold: the bin holding the threshold is not counted, so it is a lower bound within one
 * bin), and auto's choice. Network inputs are listed like the rest (calibrate gives them minmax
 * whatever --algo says).
 * Results: bench/results/thresholds-cpu.md. */
#include "calib/algos.h"
#include "calib8/calib.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t g_state = 0x9e3779b97f4a7c15ull;
static double urand(void) { /* xorshift64*, fixed seed */
    g_state ^= g_state >> 12;
    g_state ^= g_state << 25;
    g_state ^= g_state >> 27;
    return (double)((g_state * 2685821657736338717ull) >> 11) * 0x1p-53;
}

enum { K_INPUT, K_CONV, K_RELU, K_ADD };

/* One synthetic tensor: counts of |x| over nbins bins of width absmax_bin / nbins. */
static c8_hist *make_hist(int kind, int64_t nbins, double nvalues) {
    uint64_t *c = calloc((size_t)nbins, sizeof *c);
    /* the body's scale in bins, and where absmax falls (bin index in [nbins/2, nbins)) */
    const int64_t last = nbins / 2 + (int64_t)(urand() * (double)(nbins / 2 - 1));
    const double body = (double)last / (5.0 + 25.0 * urand());
    double zero_share = kind == K_RELU ? 0.4 + 0.2 * urand() : 0.0;
    const double tail_share = 1e-4 + 1e-3 * urand();
    if (kind == K_INPUT) {
        for (int64_t j = 0; j <= last; j++)
            c[j] = (uint64_t)(nvalues / (double)(last + 1) * (0.5 + urand()));
    } else {
        const bool expo = kind == K_CONV || urand() < 0.5;
        double wsum = 0.0;
        double *w = malloc((size_t)(last + 1) * sizeof *w);
        for (int64_t j = 0; j <= last; j++) {
            const double x = ((double)j + 0.5) / body;
            w[j] = expo ? exp(-x) : exp(-0.5 * x * x);
            wsum += w[j];
        }
        const double nbody = nvalues * (1.0 - zero_share - tail_share);
        for (int64_t j = 0; j <= last; j++)
            c[j] = (uint64_t)(nbody * w[j] / wsum * (0.9 + 0.2 * urand()));
        free(w);
        /* power-law tail from 3 body scales to absmax */
        const double ntail = nvalues * tail_share;
        const int64_t t0 = (int64_t)(3.0 * body) < last ? (int64_t)(3.0 * body) : last;
        for (int64_t j = t0; j <= last; j++)
            c[j] += (uint64_t)(ntail * pow((double)(j - t0 + 1), -1.5) * 0.4 * urand());
        c[0] += (uint64_t)(nvalues * zero_share);
    }
    c[last] += 1;                                     /* absmax's value */
    const int e = (int)ceil(log2((double)nbins)) - 3; /* any range: R = 2^e */
    const double bw = ldexp(1.0, e) / (double)nbins;
    const float absmax = (float)(((double)last + 0.5) * bw);
    c8_hist *h = NULL;
    c8_error err = {0};
    if (c8_hist_create_from(nbins, e, c, absmax, kind == K_INPUT || kind == K_RELU ? 0.0f : -absmax,
                            absmax, &h, &err) != C8_OK)
        fprintf(stderr, "bench_thresholds: %s\n", err.msg);
    free(c);
    return h;
}

/* Share of h's values in bins whose lower edge is >= t. */
static double clipped_share(const c8_hist *h, double t) {
    const uint64_t *c = c8_hist_counts(h);
    const double bw = c8_hist_bin_width(h);
    uint64_t n = 0;
    for (int64_t j = 0; j < c8_hist_nbins(h); j++)
        if ((double)j * bw >= t) n += c[j];
    return c8_hist_count(h) ? (double)n / (double)c8_hist_count(h) : 0.0;
}

static int clip_table(const c8_hist *const *hists, const char *const *names, int64_t nt) {
    const char *algos[] = {"auto", "entropy", "entropy-mxnet", "minmax", "percentile", "mse"};
    enum { NA = 6 };
    c8_error err = {0};
    c8_calib_tensor_stat *st[NA];
    for (int a = 0; a < NA; a++) {
        st[a] = calloc((size_t)nt, sizeof *st[a]);
        if (c8_calib_compute(c8_calib_algo_find(algos[a]), NULL, names, hists, nt, st[a], &err) !=
            C8_OK) {
            fprintf(stderr, "bench_thresholds: %s\n", err.msg);
            return 1;
        }
    }
    printf("| tensor | absmax | auto's choice");
    for (int a = 0; a < NA; a++) printf(" | %s: T/absmax, clipped %%", algos[a]);
    printf(" |\n| --- | --- | ---");
    for (int a = 0; a < NA; a++) printf(" | ---");
    printf(" |\n");
    for (int64_t t = 0; t < nt; t++) {
        const double am = (double)c8_hist_absmax(hists[t]);
        printf("| %s | %.4g | %s", names[t], am, st[0][t].algo ? st[0][t].algo : "-");
        for (int a = 0; a < NA; a++) {
            const double cs = 100.0 * clipped_share(hists[t], st[a][t].threshold);
            printf(" | %.3f, %s%.3g", am > 0 ? st[a][t].threshold / am : 0.0, cs >= 0.1 ? "**" : "",
                   cs);
            if (cs >= 0.1) printf("**");
        }
        printf(" |\n");
    }
    for (int a = 0; a < NA; a++) free(st[a]);
    return 0;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int runs = 5;
    int64_t nbins = C8_HIST_DEFAULT_BINS, nt = 176;
    const char *hfile = NULL;
    bool clip = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bins") && i + 1 < argc)
            nbins = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--tensors") && i + 1 < argc)
            nt = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--histograms") && i + 1 < argc)
            hfile = argv[++i];
        else if (!strcmp(argv[i], "--clip-table"))
            clip = true;
        else {
            fprintf(stderr, "usage: bench_thresholds [--runs N] [--bins B] [--tensors T] "
                            "[--histograms FILE.h5] [--clip-table]\n");
            return 2;
        }
    }
    c8_error err = {0};
    c8_calib_histfile *hf = NULL;
    const c8_hist *const *hists;
    const char *const *names;
    c8_hist **own = NULL;
    char **own_names = NULL;
    if (hfile) {
        if (c8_calib_histfile_load(hfile, &hf, &err) != C8_OK) {
            fprintf(stderr, "bench_thresholds: %s\n", err.msg);
            return 1;
        }
        nt = c8_calib_histfile_count(hf);
        hists = c8_calib_histfile_hists(hf);
        names = c8_calib_histfile_names(hf);
    } else {
        own = calloc((size_t)nt, sizeof *own);
        own_names = calloc((size_t)nt, sizeof *own_names);
        for (int64_t t = 0; t < nt; t++) {
            /* ResNet-50's order of kinds: input, then conv, bn, relu repeating, adds every 10 */
            const int kind = t == 0 ? K_INPUT : t % 10 == 9 ? K_ADD : t % 3 == 0 ? K_RELU : K_CONV;
            const double nvalues = 5e8 * pow(2.0, -(double)(t * 4 / nt)) * (0.5 + urand());
            own[t] = make_hist(kind, nbins, nvalues);
            own_names[t] = malloc(32);
            snprintf(own_names[t], 32, "t%03lld", (long long)t);
            if (!own[t]) return 1;
        }
        hists = (const c8_hist *const *)own;
        names = (const char *const *)own_names;
    }
    if (clip) {
        int rc = clip_table(hists, names, nt);
        c8_calib_histfile_destroy(hf);
        return rc;
    }
    printf("%lld tensors, %lld bins, median of %d runs\n", (long long)nt,
           (long long)c8_hist_nbins(hists[0]), runs);
    printf("%-14s %10s %10s\n", "algorithm", "wall s", "cpu s");
    c8_calib_tensor_stat *st = calloc((size_t)nt, sizeof *st);
    double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
    const char *algos[] = {"auto", "entropy", "mse", "percentile", "minmax"};
    for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
        for (int r = 0; r < runs; r++) {
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            if (c8_calib_compute(c8_calib_algo_find(algos[a]), NULL, names, hists, nt, st, &err) !=
                C8_OK) {
                fprintf(stderr, "bench_thresholds: %s\n", err.msg);
                return 1;
            }
            wall[r] = clock_s(CLOCK_MONOTONIC) - w0;
            cpu[r] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
        qsort(wall, (size_t)runs, sizeof *wall, cmp_d);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_d);
        printf("%-14s %10.4f %10.4f\n", algos[a], wall[runs / 2], cpu[runs / 2]);
        if (!strcmp(algos[a], "auto")) {
            int64_t chosen[C8_CALIB_AUTO_CANDIDATES + 1] = {0};
            for (int64_t t = 0; t < nt; t++) {
                int k = 0;
                while (k < C8_CALIB_AUTO_CANDIDATES && c8_calib_algo_at(0) &&
                       strcmp(st[t].algo,
                              (const char *[]){"entropy", "percentile", "mse", "minmax"}[k]))
                    k++;
                chosen[k]++;
            }
            printf("  auto chose: entropy %lld, percentile %lld, mse %lld, minmax %lld, other "
                   "%lld\n",
                   (long long)chosen[0], (long long)chosen[1], (long long)chosen[2],
                   (long long)chosen[3], (long long)chosen[4]);
        }
    }
    free(st);
    free(wall);
    free(cpu);
    if (own)
        for (int64_t t = 0; t < nt; t++) {
            c8_hist_destroy(own[t]);
            free(own_names[t]);
        }
    free(own);
    free(own_names);
    c8_calib_histfile_destroy(hf);
    return 0;
}
