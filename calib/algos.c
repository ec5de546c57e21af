/* Threshold algorithms behind one table (name, description, cache token, threshold fn), the
 * scale rule and the per-tensor driver. Each algorithm is defined in docs/calibration.md;
 * the entropy searches are checked against an independent float64 NumPy implementation
 * (tests/calib/gen_entropy_ref.py -> tests/calib/data/entropy_ref.txt). */
#include "calib/algos.h"

#include "calib/hist.h"
#include "calib8/calib.h"
#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEVELS 128 /* int8 symmetric: |q| in 0..127, the KL searches' 128 levels */

/* Upper edge of the first k bins, k * R / nbins: ldexp is exact, the division rounds once
 * (exact when nbins is a power of two). */
static double edge(const c8_hist *h, double k) {
    return ldexp(k, c8_hist_range_exp(h)) / (double)c8_hist_nbins(h);
}

static uint64_t total_of(const uint64_t *counts, int64_t nbins) {
    uint64_t t = 0;
    for (int64_t j = 0; j < nbins; j++) t += counts[j];
    return t;
}

/* ---------------- entropy (TensorRT EntropyCalibration2) ----------------
 * Bin 0 is first replaced by bin 1's count, as NVIDIA's reference implementation of this search
 * does: bin 0 holds the exact zeros that ReLU outputs and zero padding pile up (often half of all
 * values), and left in, that spike pins the search to the first candidate (each of the 128
 * levels then holds one bin, so only i = 128 reproduces the spike), clipping most real values.
 * (A histogram with nothing outside bin 0 keeps its count.)
 * For i kept bins: P = counts[0..i-1] with the outliers (counts beyond i) added to bin i-1;
 * level(j) = floor(j * 128 / i); Q_j = (sum of the level's counts) / (its non-empty bins) for
 * non-empty counts[j], else 0. Both normalised: P by N (all values), Q by C = N - outliers.
 *   KL = sum_{P_j > 0} (p_j / N) log((p_j / N) / (q_j / C))
 *      = (1/N) sum p_j (log p_j - log q_j) + log(C / N)
 * with log p_j from a table computed once. P_j > 0 with Q_j = 0 happens only at bin i-1 when
 * counts[i-1] = 0 and outliers exist: KL = +inf, the candidate is skipped. */
/* KL of candidate i exactly as the definition's loop computes it (the reference arithmetic:
 * every screened-in candidate is re-evaluated here, so results never depend on the screening).
 * cum = sum of counts[0..i-1]. */
static double kl_exact(const uint64_t *counts, const double *lg, uint64_t n_all, int64_t i,
                       uint64_t cum) {
    const uint64_t out = n_all - cum;
    const double dn = (double)n_all;
    double acc = 0.0;
    for (int64_t lv = 0; lv < LEVELS; lv++) {
        const int64_t j0 = (lv * i + LEVELS - 1) / LEVELS;
        const int64_t j1 = ((lv + 1) * i + LEVELS - 1) / LEVELS;
        uint64_t qsum = 0;
        int64_t nnz = 0;
        for (int64_t j = j0; j < j1; j++) {
            qsum += counts[j];
            nnz += counts[j] != 0;
        }
        if (!nnz) continue;
        const double lq = log((double)qsum / (double)nnz);
        /* the last level ends with the edge bin i-1, which carries the outliers */
        const int64_t jend = lv == LEVELS - 1 ? j1 - 1 : j1;
        for (int64_t j = j0; j < jend; j++)
            if (counts[j]) acc += (double)counts[j] * (lg[j] - lq);
        if (lv == LEVELS - 1 && counts[i - 1]) {
            const double pe = (double)(counts[i - 1] + out);
            acc += pe * ((out ? log(pe) : lg[i - 1]) - lq);
        }
    }
    return acc / dn + (out ? log((double)cum / dn) : 0.0);
}

/* Screening (speed only, bench/calib/bench_thresholds.c): the same divergence from prefix sums,
 * a level's sum of count * (log count - log q) being S_clg - qsum * log(qsum / nnz) with S_clg
 * a prefix-sum difference, and the interior levels' terms tabled by (first bin, length) when the
 * table is small (levels have floor(i/128) or ceil(i/128) bins, so few distinct ones exist).
 * Its rounding differs from kl_exact's by far less than SCREEN_REL * mag (a bound on the sum of
 * |terms| / N, see below; both sum < 2^24 terms with relative error ~1e-16 each); every
 * candidate within 2 * SCREEN_REL * mag of the screened minimum is re-evaluated with kl_exact,
 * the others are provably worse than it. */
#define SCREEN_REL 1e-9
#define ENTROPY_TABLE_MAX (1 << 21) /* table entries (doubles): nbins * (nbins / 128 + 3) */

typedef struct {
    const uint64_t *counts;
    const uint64_t *pc; /* (nbins + 1) prefix sums of counts */
    const int64_t *pn;  /* (nbins + 1) prefix counts of non-empty bins */
    const double *pl;   /* (nbins + 1) prefix sums of count * log(count) */
    const double *tab;  /* (lmax + 2, nbins) term of the level of l bins from j0 at [l][j0],
                           or NULL; only the j0 that levels of l bins can start at are filled */
    int64_t lmax, nbins;
} ent_pre;

static double level_term(const ent_pre *e, int64_t j0, int64_t j1) {
    const uint64_t q = e->pc[j1] - e->pc[j0];
    const int64_t nz = e->pn[j1] - e->pn[j0];
    if (!nz) return 0.0;
    return (e->pl[j1] - e->pl[j0]) - (double)q * log((double)q / (double)nz);
}

static double kl_screen(const ent_pre *e, const double *lg, uint64_t n_all, int64_t i,
                        uint64_t cum) {
    const uint64_t out = n_all - cum;
    const double dn = (double)n_all;
    double acc = 0.0;
    if (e->tab) {
        /* level lv starts at ceil(lv i / 128): stepped as 128 q + r without divisions; levels
         * have m = floor(i / 128) or m + 1 bins, whose terms are rows m and m + 1 of tab */
        const int64_t m = i / LEVELS, rm = i % LEVELS;
        const double *t0 = e->tab + m * e->nbins, *t1 = t0 + e->nbins;
        int64_t q = 0, r = 0, j0 = 0;
        double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0; /* four sums: no chain of dependent adds */
#define C8_NEXT_LEVEL(acc)                                                                         \
    do {                                                                                           \
        q += m;                                                                                    \
        r += rm;                                                                                   \
        if (r >= LEVELS) {                                                                         \
            r -= LEVELS;                                                                           \
            q++;                                                                                   \
        }                                                                                          \
        const int64_t j1 = q + (r > 0);                                                            \
        acc += (j1 - j0 == m ? t0 : t1)[j0];                                                       \
        j0 = j1;                                                                                   \
    } while (0)
        for (int64_t lv = 0; lv + 4 <= LEVELS - 1; lv += 4) {
            C8_NEXT_LEVEL(a0);
            C8_NEXT_LEVEL(a1);
            C8_NEXT_LEVEL(a2);
            C8_NEXT_LEVEL(a3);
        }
        C8_NEXT_LEVEL(a0); /* levels 124..126 */
        C8_NEXT_LEVEL(a1);
        C8_NEXT_LEVEL(a2);
#undef C8_NEXT_LEVEL
        acc = (a0 + a1) + (a2 + a3);
    } else {
        for (int64_t lv = 0; lv < LEVELS - 1; lv++) {
            const int64_t j0 = (lv * i + LEVELS - 1) / LEVELS;
            const int64_t j1 = ((lv + 1) * i + LEVELS - 1) / LEVELS;
            acc += level_term(e, j0, j1);
        }
    }
    const int64_t j0 = ((LEVELS - 1) * i + LEVELS - 1) / LEVELS;
    const uint64_t q = e->pc[i] - e->pc[j0];
    const int64_t nz = e->pn[i] - e->pn[j0];
    if (nz) {
        const double lq = log((double)q / (double)nz);
        acc += (e->pl[i - 1] - e->pl[j0]) - (double)(q - e->counts[i - 1]) * lq;
        if (e->counts[i - 1]) {
            const double pe = (double)(e->counts[i - 1] + out);
            acc += pe * ((out ? log(pe) : lg[i - 1]) - lq);
        }
    }
    return acc / dn + (out ? log((double)cum / dn) : 0.0);
}

c8_status c8_calib_entropy_trt(const uint64_t *counts_in, int64_t nbins, int64_t *best_i,
                               double *best_kl, c8_error *err) {
    *best_i = -1;
    *best_kl = INFINITY;
    if (nbins < LEVELS) return c8_err(err, C8_ERR_INVALID, "entropy needs >= %d bins", LEVELS);
    if (total_of(counts_in, nbins) == 0)
        return c8_err(err, C8_ERR_INVALID, "entropy: histogram is empty");
    const int64_t lmax = (nbins + LEVELS - 1) / LEVELS;
    const bool use_tab = nbins * (lmax + 2) <= ENTROPY_TABLE_MAX;
    const size_t n1 = (size_t)nbins + 1;
    uint64_t *counts = malloc((size_t)nbins * sizeof *counts); /* bin 0 replaced, see above */
    double *lg = malloc((size_t)nbins * sizeof *lg); /* (nbins) log(count), 0 for empty bins */
    uint64_t *pc = malloc(n1 * sizeof *pc);
    int64_t *pn = malloc(n1 * sizeof *pn);
    double *pl = malloc(n1 * sizeof *pl);
    double *kls = malloc((size_t)nbins * sizeof *kls); /* (nbins) screened KL of i = idx + 1 */
    double *tab = use_tab ? malloc((size_t)(nbins * (lmax + 2)) * sizeof *tab) : NULL;
    c8_status st = C8_OK;
    if (!lg || !counts || !pc || !pn || !pl || !kls || (use_tab && !tab)) {
        st = c8_err(err, C8_ERR_NOMEM, "entropy: out of memory");
        goto done;
    }
    memcpy(counts, counts_in, (size_t)nbins * sizeof *counts);
    counts[0] = counts[1];
    if (total_of(counts, nbins) == 0) counts[0] = counts_in[0];
    const uint64_t n_all = total_of(counts, nbins);
    pc[0] = 0;
    pn[0] = 0;
    pl[0] = 0.0;
    for (int64_t j = 0; j < nbins; j++) {
        lg[j] = counts[j] ? log((double)counts[j]) : 0.0;
        pc[j + 1] = pc[j] + counts[j];
        pn[j + 1] = pn[j] + (counts[j] != 0);
        pl[j + 1] = pl[j] + (double)counts[j] * lg[j];
    }
    /* bounds the sum of |terms| / N of either evaluation (each term is at most
     * count * (log count + log N), and the edge bin's pe * log pe at most N log N), with a
     * factor 2 of margin: the screening window scales with it */
    const double mag = 4.0 * (pl[nbins] / (double)n_all + log((double)n_all) + 1.0);
    ent_pre e = {counts, pc, pn, pl, NULL, lmax, nbins};
    if (use_tab) {
        /* a level of l bins belongs to some i < 128 (l + 1) and starts below i - l */
        for (int64_t l = 0; l <= lmax + 1; l++) {
            int64_t lim = LEVELS * (l + 1) - l;
            if (lim > nbins - l + 1) lim = nbins - l + 1;
            for (int64_t j0 = 0; j0 < lim; j0++) tab[l * nbins + j0] = level_term(&e, j0, j0 + l);
        }
        e.tab = tab;
    }
    double smin = INFINITY;
    uint64_t cum = pc[LEVELS - 1];
    for (int64_t i = LEVELS; i <= nbins; i++) {
        cum += counts[i - 1];
        kls[i - 1] = INFINITY;
        if (n_all - cum && !counts[i - 1]) continue; /* P > 0 = Q at the edge bin: +inf */
        kls[i - 1] = kl_screen(&e, lg, n_all, i, cum);
        if (kls[i - 1] < smin) smin = kls[i - 1];
    }
    const double window = smin + 2.0 * SCREEN_REL * mag;
    for (int64_t i = LEVELS; i <= nbins; i++) {
        if (!(kls[i - 1] <= window)) continue;
        const double kl = kl_exact(counts, lg, n_all, i, pc[i]);
        if (kl < *best_kl) { /* strict: the first minimum wins */
            *best_kl = kl;
            *best_i = i;
        }
    }
    if (*best_i < 0) st = c8_err(err, C8_ERR_INTERNAL, "entropy: no finite divergence");
done:
    free(lg);
    free(counts);
    free(pc);
    free(pn);
    free(pl);
    free(kls);
    free(tab);
    return st;
}

/* ---------------- entropy-mxnet ----------------
 * MXNet's calibrate_entropy adapted to one-sided |x| bins: for i kept bins, p = counts[0..i-1]
 * with the outliers added to p[i-1]; the i bins are merged into 128 levels of m = i / 128
 * consecutive bins, the last level also taking the remaining i - 128 m bins; q_j = (level sum
 * of the unfolded counts) / (the level's non-empty unfolded bins) where p_j != 0, else 0.
 * Both are smoothed (zeros -> eps, non-zeros -= eps * zeros / non-zeros) and
 * KL = sum (p_j / sum p) log((p_j / sum p) / (q_j / sum q)). A distribution that cannot be
 * smoothed (all zero, eps * zeros / non-zeros >= 1, or a value <= 0 after smoothing) makes the
 * candidate +inf (MXNet returns inf for the first two and aborts on the last). */
static bool smooth(double *v, int64_t n, double eps) {
    int64_t zeros = 0;
    for (int64_t j = 0; j < n; j++) zeros += v[j] == 0.0;
    const int64_t nonzeros = n - zeros;
    if (!nonzeros) return false;
    const double eps1 = eps * (double)zeros / (double)nonzeros;
    if (eps1 >= 1.0) return false;
    for (int64_t j = 0; j < n; j++) {
        v[j] = v[j] == 0.0 ? eps : v[j] - eps1;
        if (!(v[j] > 0.0)) return false;
    }
    return true;
}

c8_status c8_calib_entropy_mxnet(const uint64_t *counts, int64_t nbins, double eps, int64_t *best_i,
                                 double *best_kl, c8_error *err) {
    *best_i = -1;
    *best_kl = INFINITY;
    if (nbins < LEVELS)
        return c8_err(err, C8_ERR_INVALID, "entropy-mxnet needs >= %d bins", LEVELS);
    if (!(eps > 0.0 && eps < 1.0))
        return c8_err(err, C8_ERR_INVALID, "entropy-mxnet: eps %g is not in (0, 1)", eps);
    uint64_t n_all = total_of(counts, nbins);
    if (n_all == 0) return c8_err(err, C8_ERR_INVALID, "entropy-mxnet: histogram is empty");
    double *p = malloc((size_t)nbins * sizeof *p); /* (i) smoothed reference distribution */
    double *q = malloc((size_t)nbins * sizeof *q); /* (i) smoothed candidate distribution */
    if (!p || !q) {
        free(p);
        free(q);
        return c8_err(err, C8_ERR_NOMEM, "entropy-mxnet: out of memory");
    }
    uint64_t cum = 0;
    for (int64_t j = 0; j < LEVELS - 1; j++) cum += counts[j];
    for (int64_t i = LEVELS; i <= nbins; i++) {
        cum += counts[i - 1];
        const uint64_t out = n_all - cum;
        for (int64_t j = 0; j < i; j++) p[j] = (double)counts[j];
        p[i - 1] = (double)(counts[i - 1] + out);
        const int64_t m = i / LEVELS;
        for (int64_t lv = 0; lv < LEVELS; lv++) {
            const int64_t j0 = lv * m;
            const int64_t j1 = lv == LEVELS - 1 ? i : j0 + m;
            uint64_t qsum = 0;
            int64_t norm = 0;
            for (int64_t j = j0; j < j1; j++) {
                qsum += counts[j];
                norm += counts[j] != 0;
            }
            const double qv = norm ? (double)qsum / (double)norm : 0.0;
            for (int64_t j = j0; j < j1; j++) q[j] = p[j] != 0.0 ? qv : 0.0;
        }
        if (!smooth(p, i, eps) || !smooth(q, i, eps)) continue;
        double sp = 0.0, sq = 0.0;
        for (int64_t j = 0; j < i; j++) {
            sp += p[j];
            sq += q[j];
        }
        double kl = 0.0;
        for (int64_t j = 0; j < i; j++) {
            const double pn = p[j] / sp;
            kl += pn * log(pn / (q[j] / sq));
        }
        if (kl < *best_kl) {
            *best_kl = kl;
            *best_i = i;
        }
    }
    free(p);
    free(q);
    if (*best_i < 0)
        return c8_err(
            err, C8_ERR_INVALID,
            "entropy-mxnet: no candidate could be smoothed (eps %g too large for %lld bins)", eps,
            (long long)nbins);
    return C8_OK;
}

/* ---------------- mse ----------------
 * In units of one bin: values sit at bin centres c = j + 0.5, a candidate threshold is T = i
 * (i = 1 .. last non-empty bin + 1), the scale s = T / 127, q = min(127,
 * round_half_even(c * (127 / T))) and a value's error is (c - q s)^2 (values above T clip to
 * 127, their error is (c - T)^2). The sum over bins of count * error is minimised; the first
 * minimum wins. */

/* ---------------- the plug-ins ---------------- */

static c8_status algo_entropy(const c8_hist *h, const c8_calib_params *prm, double *thr,
                              c8_error *err) {
    int64_t i;
    double kl;
    C8_TRY(c8_calib_entropy_trt(c8_hist_counts(h), c8_hist_nbins(h), &i, &kl, err));
    *thr = edge(h, (double)i + 0.5);
    return C8_OK;
}

static c8_status algo_entropy_mxnet(const c8_hist *h, const c8_calib_params *prm, double *thr,
                                    c8_error *err) {
    int64_t i;
    double kl;
    C8_TRY(
        c8_calib_entropy_mxnet(c8_hist_counts(h), c8_hist_nbins(h), prm->mxnet_eps, &i, &kl, err));
    *thr = edge(h, (double)i);
    return C8_OK;
}

static c8_status algo_minmax(const c8_hist *h, const c8_calib_params *prm, double *thr,
                             c8_error *err) {
    *thr = (double)c8_hist_absmax(h);
    return C8_OK;
}

static c8_status algo_percentile(const c8_hist *h, const c8_calib_params *prm, double *thr,
                                 c8_error *err) {
    const double pc = prm->percentile;
    if (!(pc > 0.0 && pc <= 100.0))
        return c8_err(err, C8_ERR_INVALID, "percentile %g is not in (0, 100]", pc);
    const uint64_t *counts = c8_hist_counts(h);
    const int64_t nbins = c8_hist_nbins(h);
    const double target = pc / 100.0 * (double)c8_hist_count(h);
    uint64_t cum = 0;
    int64_t k = 0;
    for (; k < nbins - 1; k++) {
        cum += counts[k];
        if ((double)cum >= target) break;
    }
    const double e = edge(h, (double)(k + 1));
    const double am = (double)c8_hist_absmax(h);
    *thr = e < am ? e : am;
    return C8_OK;
}

/* Sum over the non-empty bins (cnt, ctr: nnz of them) of count * (c - q s)^2 for threshold t,
 * all in bin units: the mse search's objective and auto's criterion. */
static double sq_err_bins(const uint64_t *cnt, const double *ctr, int64_t nnz, double t) {
    const double s = t / 127.0;
    const double inv = 127.0 / t;
    double e = 0.0;
    for (int64_t k = 0; k < nnz; k++) {
        double qv = rint(ctr[k] * inv);
        if (qv > 127.0) qv = 127.0;
        const double d = ctr[k] - qv * s;
        e += (double)cnt[k] * (d * d);
    }
    return e;
}

/* The non-empty bins of h: *cnt (counts) and *ctr (centres j + 0.5, in bins), both malloc'd
 * (nnz), and the last non-empty bin. */
static c8_status compact(const c8_hist *h, uint64_t **cnt, double **ctr, int64_t *nnz,
                         int64_t *last_out, c8_error *err) {
    const uint64_t *counts = c8_hist_counts(h);
    const int64_t nbins = c8_hist_nbins(h);
    int64_t last = nbins - 1;
    while (last > 0 && !counts[last]) last--;
    int64_t n = 0;
    for (int64_t j = 0; j <= last; j++) n += counts[j] != 0;
    *cnt = malloc((size_t)(n ? n : 1) * sizeof **cnt);
    *ctr = malloc((size_t)(n ? n : 1) * sizeof **ctr);
    if (!*cnt || !*ctr) {
        free(*cnt);
        free(*ctr);
        *cnt = NULL;
        *ctr = NULL;
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    for (int64_t j = 0, k = 0; j <= last; j++)
        if (counts[j]) {
            (*cnt)[k] = counts[j];
            (*ctr)[k++] = (double)j + 0.5;
        }
    *nnz = n;
    *last_out = last;
    return C8_OK;
}

/* Screening for the mse search (speed only; bench/calib/bench_thresholds.c). With prefix sums
 * of count, count * c and count * c^2 (c = j + 0.5), the bins that quantize to level k for
 * threshold i form one run [b(k-1), b(k)) with b(k) = ceil(((2k + 1) i - 127) / 254) (the
 * centres at or above (k + 0.5) s; level 127 takes the rest, clipped values included), and the
 * run's error is S2 - 2 a S1 + a^2 S0 with a = k s: O(128) per candidate instead of O(bins).
 * The prefix sums are compensated (hi + lo), so each run's sums carry an error relative to the
 * run itself, and the screened error differs from sq_err_bins's by less than mse_slack (a bound
 * with a margin of more than 10). Candidates are screened from the top down and the scan stops
 * where the clipping error alone (which only grows as i falls) exceeds the best screened error
 * by the window: no lower candidate can win. Every candidate within the window of the best
 * screened error is then evaluated with sq_err_bins in increasing order, so the result is the
 * plain search's, bit for bit. */
typedef struct {
    double v[6]; /* prefix sums at one bin edge: hi of count, count * c, count * c^2, then lo */
} mse_pre;

/* Error of the run [a, b) of bins all quantized to the grid point g (in bins). */
static inline double run_err(const mse_pre *pa, const mse_pre *pb, double g) {
    const double s0 = (pb->v[0] - pa->v[0]) + (pb->v[3] - pa->v[3]);
    const double s1 = (pb->v[1] - pa->v[1]) + (pb->v[4] - pa->v[4]);
    const double s2 = (pb->v[2] - pa->v[2]) + (pb->v[5] - pa->v[5]);
    return s2 - g * (2.0 * s1 - g * s0);
}

static double mse_screen(const mse_pre *p, int64_t L, int64_t i) {
    const double s = (double)i / 127.0;
    double a0 = 0.0, a1 = 0.0; /* two sums: no chain of dependent adds */
    int64_t prev = 0;
    /* b(k) = ceil(num / 254), num = (2k + 1) i - 127 >= -127, stepped by 2i without divisions:
     * num = 254 q + r with 0 <= r < 254; b never decreases, and an empty run adds exactly 0 */
    int64_t q = i >= 127 ? (i - 127) / 254 : -1, r = i - 127 - 254 * q;
    const int64_t dq = 2 * i / 254, dr = 2 * i % 254;
#define C8_NEXT_RUN(acc, k)                                                                        \
    do {                                                                                           \
        int64_t b = q + (r > 0);                                                                   \
        q += dq;                                                                                   \
        r += dr;                                                                                   \
        if (r >= 254) {                                                                            \
            r -= 254;                                                                              \
            q++;                                                                                   \
        }                                                                                          \
        if (b > L) b = L;                                                                          \
        acc += run_err(&p[prev], &p[b], (double)(k)*s);                                            \
        prev = b;                                                                                  \
    } while (0)
    for (int64_t k = 0; k + 2 <= 127; k += 2) {
        C8_NEXT_RUN(a0, k);
        C8_NEXT_RUN(a1, k + 1);
    }
    C8_NEXT_RUN(a0, 126);
#undef C8_NEXT_RUN
    return (a0 + a1) + run_err(&p[prev], &p[L], (double)i);
}

static c8_status mse_search(const c8_hist *h, int64_t *best_out, c8_error *err) {
    const uint64_t *counts = c8_hist_counts(h);
    uint64_t *cnt; /* (nnz) counts of non-empty bins (sparse histograms are common) */
    double *ctr;   /* (nnz) their centres, in bins */
    int64_t nnz, last;
    C8_TRY(compact(h, &cnt, &ctr, &nnz, &last, err));
    const int64_t L = last + 1;
    mse_pre *p = malloc((size_t)(L + 1) * sizeof *p);    /* (L + 1) compensated prefix sums */
    double *scr = malloc((size_t)(L + 1) * sizeof *scr); /* (L + 1) screened error of i */
    if (!p || !scr) {
        free(p);
        free(scr);
        free(cnt);
        free(ctr);
        return c8_err(err, C8_ERR_NOMEM, "mse: out of memory");
    }
    memset(&p[0], 0, sizeof p[0]);
    for (int64_t j = 0; j < L; j++) {
        const double c = (double)j + 0.5, n = (double)counts[j];
        const double x[3] = {n, n * c, n * c * c};
        for (int m = 0; m < 3; m++) {
            const double h0 = p[j].v[m], t = h0 + x[m]; /* Neumaier: both >= 0 */
            p[j + 1].v[m + 3] = p[j].v[m + 3] + (h0 >= x[m] ? (h0 - t) + x[m] : (x[m] - t) + h0);
            p[j + 1].v[m] = t;
        }
    }
    const double ntot = p[L].v[0] + p[L].v[3];
    const double p2 = p[L].v[2] + p[L].v[5];
    const double smax = (double)L / 127.0;
    double smin = INFINITY;
    int64_t lowest = 1;
    for (int64_t i = L; i >= 1; i--) {
        const double clip = run_err(&p[i], &p[L], (double)i);
        const double win = 4e-12 * (p2 + smax * smax * ntot) +
                           4e-13 * (double)(nnz + 128) * (isfinite(smin) ? smin : 0.0);
        if (clip > smin + win) {
            lowest = i + 1;
            break;
        }
        scr[i] = mse_screen(p, L, i);
        if (scr[i] < smin) smin = scr[i];
    }
    const double win = 4e-12 * (p2 + smax * smax * ntot) + 4e-13 * (double)(nnz + 128) * smin;
    double best = INFINITY;
    int64_t best_i = L;
    for (int64_t i = lowest; i <= L; i++) {
        if (!(scr[i] <= smin + win)) continue;
        const double e = sq_err_bins(cnt, ctr, nnz, (double)i);
        if (e < best) {
            best = e;
            best_i = i;
        }
    }
    free(p);
    free(scr);
    free(cnt);
    free(ctr);
    *best_out = best_i;
    return C8_OK;
}

static c8_status algo_mse(const c8_hist *h, const c8_calib_params *prm, double *thr,
                          c8_error *err) {
    int64_t i = 1;
    C8_TRY(mse_search(h, &i, err));
    *thr = edge(h, (double)i);
    return C8_OK;
}

/* ---------------- auto ----------------
 * Every candidate's threshold, then the one with the smallest expected squared error of the
 * values under symmetric int8 with clipping, with mse's value model (each value at its bin
 * centre; a threshold T costs sum count * (c - q T/127)^2 / N). Ties go to the earlier
 * candidate. Order and reasons in docs/calibration.md. */
static const char *const k_auto_candidates[C8_CALIB_AUTO_CANDIDATES] = {"entropy", "percentile",
                                                                        "mse", "minmax"};

double c8_calib_expected_mse(const c8_hist *h, double threshold) {
    if (c8_hist_count(h) == 0 || !(threshold > 0.0)) return NAN;
    uint64_t *cnt;
    double *ctr;
    int64_t nnz, last;
    c8_error e2 = {0};
    if (compact(h, &cnt, &ctr, &nnz, &last, &e2) != C8_OK) return NAN;
    const double bw = c8_hist_bin_width(h);
    const double e = sq_err_bins(cnt, ctr, nnz, threshold / bw);
    free(cnt);
    free(ctr);
    return e / (double)c8_hist_count(h) * bw * bw; /* auto_choose rounds the same way */
}

c8_status c8_calib_auto_choose(const c8_hist *h, const c8_calib_params *prm,
                               c8_calib_auto_candidate out[C8_CALIB_AUTO_CANDIDATES], int *chosen,
                               c8_error *err) {
    *chosen = -1;
    c8_calib_params def;
    if (!prm) {
        c8_calib_params_default(&def);
        prm = &def;
    }
    uint64_t *cnt;
    double *ctr;
    int64_t nnz, last;
    C8_TRY(compact(h, &cnt, &ctr, &nnz, &last, err));
    const double bw = c8_hist_bin_width(h);
    const double n = (double)c8_hist_count(h);
    c8_status st = C8_OK;
    for (int c = 0; c < C8_CALIB_AUTO_CANDIDATES && st == C8_OK; c++) {
        const c8_calib_algo *a = c8_calib_algo_find(k_auto_candidates[c]);
        out[c].algo = a->name;
        st = a->threshold(h, prm, &out[c].threshold, err);
        if (st != C8_OK) break;
        out[c].mse = sq_err_bins(cnt, ctr, nnz, out[c].threshold / bw) / n * bw * bw;
        if (*chosen < 0 || out[c].mse < out[*chosen].mse) *chosen = c;
    }
    free(cnt);
    free(ctr);
    return st;
}

static c8_status algo_auto(const c8_hist *h, const c8_calib_params *prm, double *thr,
                           c8_error *err) {
    c8_calib_auto_candidate cand[C8_CALIB_AUTO_CANDIDATES];
    int c;
    C8_TRY(c8_calib_auto_choose(h, prm, cand, &c, err));
    *thr = cand[c].threshold;
    return C8_OK;
}

static const c8_calib_algo k_algos[] = {
    {"entropy",
     "minimise KL(P||Q) over 128 levels as TensorRT's EntropyCalibration2; threshold (i+0.5) bins",
     "EntropyCalibration2", 0, algo_entropy},
    {"entropy-mxnet",
     "minimise KL with smoothed empty bins as MXNet / ONNX Runtime; threshold i bins",
     "calib8EntropyMXNet", C8_CALIB_PARAM_MXNET_EPS, algo_entropy_mxnet},
    {"minmax", "threshold = absmax", "MinMaxCalibration", 0, algo_minmax},
    {"percentile",
     "smallest bin edge with the given percent of |x| at or below it (at most absmax)",
     "calib8Percentile", C8_CALIB_PARAM_PERCENTILE, algo_percentile},
    {"mse", "bin edge minimising the expected squared int8 error (values at bin centres)",
     "calib8MSE", 0, algo_mse},
    /* appended: the table's indices (c8_calib_algo_at) only grow */
    {"auto",
     "per tensor, the candidate (entropy, percentile, mse, minmax) with the least expected int8 "
     "squared error",
     /* TensorRT's default calibrator token, so that TensorRT reads the cache (it uses the scales
      * as given); the sidecar records the algorithm actually chosen per tensor */
     "EntropyCalibration2", C8_CALIB_PARAM_PERCENTILE, algo_auto},
};

const c8_calib_algo *c8_calib_algo_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof k_algos / sizeof k_algos[0]; i++)
        if (!strcmp(k_algos[i].name, name)) return &k_algos[i];
    return NULL;
}

const c8_calib_algo *c8_calib_algo_at(int64_t i) {
    if (i < 0 || (size_t)i >= sizeof k_algos / sizeof k_algos[0]) return NULL;
    return &k_algos[i];
}

void c8_calib_params_default(c8_calib_params *p) {
    memset(p, 0, sizeof *p);
    p->percentile = 99.99;
    p->mxnet_eps = 0.0001;
}

float c8_calib_scale(double threshold) {
    float s = (float)(threshold / 127.0);
    if (!(s >= FLT_MIN)) return FLT_MIN; /* 0, subnormal, NaN */
    if (s > FLT_MAX) return FLT_MAX;
    return s;
}

c8_status c8_calib_threshold(const c8_calib_algo *algo, const c8_hist *h,
                             const c8_calib_params *params, double *threshold, float *scale,
                             c8_error *err) {
    c8_calib_params def;
    if (!params) {
        c8_calib_params_default(&def);
        params = &def;
    }
    if (!algo || !algo->threshold)
        return c8_err(err, C8_ERR_INVALID, "no calibration algorithm given");
    if (c8_hist_count(h) == 0)
        return c8_err(err, C8_ERR_INVALID, "histogram has no values (the tensor was never seen)");
    double t;
    if (c8_hist_absmax(h) == 0.0f) {
        t = C8_CALIB_ZERO_THRESHOLD;
    } else {
        C8_TRY(algo->threshold(h, params, &t, err));
        if (!(t > 0.0) || !isfinite(t))
            return c8_err(err, C8_ERR_INTERNAL, "algorithm '%s' returned threshold %g", algo->name,
                          t);
    }
    *threshold = t;
    if (scale) *scale = c8_calib_scale(t);
    return C8_OK;
}

c8_status c8_calib_compute(const c8_calib_algo *algo, const c8_calib_params *params,
                           const char *const *names, const c8_hist *const *hists, int64_t n,
                           c8_calib_tensor_stat *out, c8_error *err) {
    c8_calib_params def;
    if (!params) {
        c8_calib_params_default(&def);
        params = &def;
    }
    for (int64_t t = 0; t < n; t++) {
        out[t].name = names[t];
        out[t].absmax = c8_hist_absmax(hists[t]);
        out[t].algo = algo ? algo->name : NULL;
        c8_status s;
        if (algo && algo->threshold == algo_auto && c8_hist_absmax(hists[t]) > 0.0f) {
            c8_calib_auto_candidate cand[C8_CALIB_AUTO_CANDIDATES];
            int c = 0;
            s = c8_calib_auto_choose(hists[t], params, cand, &c, err);
            if (s == C8_OK) {
                out[t].threshold = cand[c].threshold;
                out[t].scale = c8_calib_scale(cand[c].threshold);
                out[t].algo = cand[c].algo;
            }
        } else {
            s = c8_calib_threshold(algo, hists[t], params, &out[t].threshold, &out[t].scale, err);
        }
        if (s != C8_OK) return c8_err_prefix(err, "tensor '%s'", names[t]);
    }
    return C8_OK;
}
