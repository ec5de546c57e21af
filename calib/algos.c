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
c8_status c8_calib_entropy_trt(const uint64_t *counts_in, int64_t nbins, int64_t *best_i,
                               double *best_kl, c8_error *err) {
    *best_i = -1;
    *best_kl = INFINITY;
    if (nbins < LEVELS) return c8_err(err, C8_ERR_INVALID, "entropy needs >= %d bins", LEVELS);
    if (total_of(counts_in, nbins) == 0)
        return c8_err(err, C8_ERR_INVALID, "entropy: histogram is empty");
    uint64_t *counts = malloc((size_t)nbins * sizeof *counts); /* bin 0 replaced, see above */
    double *lg = malloc((size_t)nbins * sizeof *lg); /* (nbins) log(count), 0 for empty bins */
    if (!lg || !counts) {
        free(lg);
        free(counts);
        return c8_err(err, C8_ERR_NOMEM, "entropy: out of memory");
    }
    memcpy(counts, counts_in, (size_t)nbins * sizeof *counts);
    counts[0] = counts[1];
    if (total_of(counts, nbins) == 0) counts[0] = counts_in[0];
    uint64_t n_all = total_of(counts, nbins);
    for (int64_t j = 0; j < nbins; j++) lg[j] = counts[j] ? log((double)counts[j]) : 0.0;
    const double dn = (double)n_all;

    uint64_t cum = 0; /* sum of counts[0..i-1] */
    for (int64_t j = 0; j < LEVELS - 1; j++) cum += counts[j];
    for (int64_t i = LEVELS; i <= nbins; i++) {
        cum += counts[i - 1];
        const uint64_t out = n_all - cum;
        if (out && !counts[i - 1]) continue; /* P > 0 = Q at the edge bin: +inf */
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
        const double kl = acc / dn + (out ? log((double)cum / dn) : 0.0);
        if (kl < *best_kl) { /* strict: the first minimum wins */
            *best_kl = kl;
            *best_i = i;
        }
    }
    free(lg);
    free(counts);
    if (*best_i < 0) return c8_err(err, C8_ERR_INTERNAL, "entropy: no finite divergence");
    return C8_OK;
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

static c8_status algo_mse(const c8_hist *h, const c8_calib_params *prm, double *thr,
                          c8_error *err) {
    const uint64_t *counts = c8_hist_counts(h);
    const int64_t nbins = c8_hist_nbins(h);
    int64_t last = nbins - 1;
    while (last > 0 && !counts[last]) last--;
    /* only the non-empty bins matter: compact them once (sparse histograms are common) */
    int64_t nnz = 0;
    for (int64_t j = 0; j <= last; j++) nnz += counts[j] != 0;
    uint64_t *cnt = malloc((size_t)nnz * sizeof *cnt); /* (nnz) counts of non-empty bins */
    double *ctr = malloc((size_t)nnz * sizeof *ctr);   /* (nnz) their centres, in bins */
    if (!cnt || !ctr) {
        free(cnt);
        free(ctr);
        return c8_err(err, C8_ERR_NOMEM, "mse: out of memory");
    }
    for (int64_t j = 0, k = 0; j <= last; j++)
        if (counts[j]) {
            cnt[k] = counts[j];
            ctr[k++] = (double)j + 0.5;
        }
    double best = INFINITY;
    int64_t best_i = last + 1;
    for (int64_t i = 1; i <= last + 1; i++) {
        const double t = (double)i;
        const double s = t / 127.0;
        const double inv = 127.0 / t;
        double e = 0.0;
        for (int64_t k = 0; k < nnz; k++) {
            double qv = rint(ctr[k] * inv);
            if (qv > 127.0) qv = 127.0;
            const double d = ctr[k] - qv * s;
            e += (double)cnt[k] * (d * d);
        }
        if (e < best) {
            best = e;
            best_i = i;
        }
    }
    free(cnt);
    free(ctr);
    *thr = edge(h, (double)best_i);
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
    for (int64_t t = 0; t < n; t++) {
        out[t].name = names[t];
        out[t].absmax = c8_hist_absmax(hists[t]);
        c8_status s =
            c8_calib_threshold(algo, hists[t], params, &out[t].threshold, &out[t].scale, err);
        if (s != C8_OK) return c8_err_prefix(err, "tensor '%s'", names[t]);
    }
    return C8_OK;
}
