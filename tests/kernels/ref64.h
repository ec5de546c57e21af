/* Float64 references and comparison helpers shared by the kernel and op tests (static, header
 * only, tests only): direct convolution, scatter-form transposed convolution, pooling over an
 * explicitly padded copy, and a comparison that prints the worst element with the seed. */
#ifndef C8_TESTS_KERNELS_REF64_H
#define C8_TESTS_KERNELS_REF64_H

#include "c8test.h"

#include "kernels/ref/ref.h"

#include <math.h>
#include <stdbool.h>

/* Tolerances.
 * Sums: recursive float32 summation of n products has |error| <= gamma_n * sum|terms| with
 * gamma_n ~ n * 2^-24 (Higham, Accuracy and Stability, 3.1); a bias, residual or scale adds a
 * few more roundings, hence (n + SUM_SLACK). Indexing bugs give errors of the order of a whole
 * term, far above this bound for the sizes used here.
 * Transcendentals (exp, pow, sqrt): glibc's float versions are within 1-2 ulp; TOL_TRANSC_REL is
 * a relative bound comfortably above (len + a few) ulps for the <= 64-term sums they involve. */
#define U32 (1.0 / 16777216.0) /* 2^-24, float32 unit roundoff */
#define SUM_SLACK 4
#define TOL_TRANSC_REL 1e-5
#define TOL_ABS_FLOOR 1e-30 /* keeps exact-zero expectations exact up to denormals */

/* Compares got against ref with per-element tolerance tol; prints the worst element. */
static inline int check_close(const char *what, uint64_t seed, const float *got, const double *ref,
                              const double *tol, int64_t n) {
    int64_t worst = -1, bad = 0;
    double worst_ratio = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double e = fabs((double)got[i] - ref[i]);
        const double t = tol[i] + TOL_ABS_FLOOR;
        const double ratio = (got[i] != got[i]) ? INFINITY : e / t;
        if (ratio > 1.0) bad++;
        if (worst < 0 || ratio > worst_ratio) {
            worst_ratio = ratio;
            worst = i;
        }
    }
    if (bad) {
        printf("\n  %s (seed %llu): %lld of %lld elements off; worst [%lld] got %.9g want %.9g "
               "(tol %.3g)\n",
               what, (unsigned long long)seed, (long long)bad, (long long)n, (long long)worst,
               (double)got[worst], ref[worst], tol[worst]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    return bad == 0;
}

static inline float *frand(c8t_rng *r, int64_t n, float lo, float hi) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = c8t_uniform(r, lo, hi);
    return p;
}
static inline double *dalloc(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(double)); }
static inline float *falloc(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

static inline int64_t prod(const int64_t *v, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

/* Unravels a C-order flat index over extents ext[0..n) into idx. */
static inline void unravel(int64_t flat, const int64_t *ext, int n, int64_t *idx) {
    for (int i = n - 1; i >= 0; i--) {
        idx[i] = flat % ext[i];
        flat /= ext[i];
    }
}

/* ---- float64 references ---- */

/* Direct convolution with N-D index arithmetic (no lifting to 3-D). */
static inline void conv64(const c8_conv_desc *d, const float *x, const float *w, const float *b,
                          double *y, double *abssum, int64_t *nterms) {
    const int nsp = d->nsp;
    const int64_t cg = d->C / d->group, kg = d->K / d->group;
    const int64_t in_sz = prod(d->in, nsp), out_sz = prod(d->out, nsp), k_sz = prod(d->kernel, nsp);
    *nterms = cg * k_sz + 1;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t k = 0; k < d->K; k++)
            for (int64_t o = 0; o < out_sz; o++) {
                int64_t oi[3], ti[3];
                unravel(o, d->out, nsp, oi);
                double acc = 0, as = 0;
                const int64_t grp = k / kg;
                for (int64_t c = 0; c < cg; c++)
                    for (int64_t t = 0; t < k_sz; t++) {
                        unravel(t, d->kernel, nsp, ti);
                        int64_t xoff = 0;
                        int inside = 1;
                        for (int a = 0; a < nsp; a++) {
                            const int64_t p =
                                oi[a] * d->stride[a] - d->pad_begin[a] + ti[a] * d->dilation[a];
                            if (p < 0 || p >= d->in[a]) inside = 0;
                            xoff = xoff * d->in[a] + p;
                        }
                        if (!inside) continue;
                        const double xv = x[(n * d->C + grp * cg + c) * in_sz + xoff];
                        const double wv = w[(k * cg + c) * k_sz + t];
                        acc += xv * wv;
                        as += fabs(xv * wv);
                    }
                if (b) {
                    acc += b[k];
                    as += fabs((double)b[k]);
                }
                y[(n * d->K + k) * out_sz + o] = acc;
                abssum[(n * d->K + k) * out_sz + o] = as;
            }
}

/* Transposed convolution in scatter form: every input element spreads over the output. */
static inline void convt64(const c8_conv_desc *d, const float *x, const float *w, const float *b,
                           double *y, double *abssum) {
    const int nsp = d->nsp;
    const int64_t cg = d->C / d->group, kg = d->K / d->group;
    const int64_t in_sz = prod(d->in, nsp), out_sz = prod(d->out, nsp), k_sz = prod(d->kernel, nsp);
    for (int64_t i = 0; i < d->N * d->K * out_sz; i++) y[i] = abssum[i] = 0;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t c = 0; c < d->C; c++) {
            const int64_t grp = c / cg;
            for (int64_t i = 0; i < in_sz; i++) {
                int64_t ii[3], ti[3];
                unravel(i, d->in, nsp, ii);
                const double xv = x[(n * d->C + c) * in_sz + i];
                for (int64_t kk = 0; kk < kg; kk++)
                    for (int64_t t = 0; t < k_sz; t++) {
                        unravel(t, d->kernel, nsp, ti);
                        int64_t ooff = 0;
                        int inside = 1;
                        for (int a = 0; a < nsp; a++) {
                            const int64_t p =
                                ii[a] * d->stride[a] - d->pad_begin[a] + ti[a] * d->dilation[a];
                            if (p < 0 || p >= d->out[a]) inside = 0;
                            ooff = ooff * d->out[a] + p;
                        }
                        if (!inside) continue;
                        const double v = xv * w[(c * kg + kk) * k_sz + t];
                        const int64_t at = (n * d->K + grp * kg + kk) * out_sz + ooff;
                        y[at] += v;
                        abssum[at] += fabs(v);
                    }
            }
        }
    if (b)
        for (int64_t n = 0; n < d->N; n++)
            for (int64_t k = 0; k < d->K; k++)
                for (int64_t o = 0; o < out_sz; o++) {
                    y[(n * d->K + k) * out_sz + o] += b[k];
                    abssum[(n * d->K + k) * out_sz + o] += fabs((double)b[k]);
                }
}

/* Pools over an explicitly padded copy (pad cells marked as NaN-free "absent" with a mask); the
 * padded copy is extended on the right so ceil-mode windows never leave it. */
static inline void pool64(const c8_pool_desc *d, const float *x, bool is_max, double *y) {
    const int nsp = d->nsp;
    int64_t pext[3]; /* padded extent incl. the ceil-mode overhang */
    for (int a = 0; a < nsp; a++)
        pext[a] = d->pad_begin[a] + d->in[a] + d->pad_end[a] + d->kernel[a] * d->dilation[a] +
                  d->stride[a];
    const int64_t psz = prod(pext, nsp), in_sz = prod(d->in, nsp), out_sz = prod(d->out, nsp);
    const int64_t k_sz = prod(d->kernel, nsp);
    double *pv = dalloc(psz);
    char *kind = calloc((size_t)psz, 1); /* 0: beyond the padding, 1: padding, 2: input */
    for (int64_t nc = 0; nc < d->N * d->C; nc++) {
        for (int64_t p = 0; p < psz; p++) {
            int64_t pi[3];
            unravel(p, pext, nsp, pi);
            int k = 2;
            int64_t xoff = 0;
            for (int a = 0; a < nsp; a++) {
                const int64_t q = pi[a] - d->pad_begin[a];
                if (q < 0 || q >= d->in[a]) k = k < 2 ? k : 1;
                if (q >= d->in[a] + d->pad_end[a]) k = 0;
                xoff = xoff * d->in[a] + q;
            }
            kind[p] = (char)k;
            pv[p] = k == 2 ? x[nc * in_sz + xoff] : 0.0;
        }
        for (int64_t o = 0; o < out_sz; o++) {
            int64_t oi[3], ti[3];
            unravel(o, d->out, nsp, oi);
            double sum = 0, mx = -INFINITY;
            int64_t inside = 0, padded = 0;
            for (int64_t t = 0; t < k_sz; t++) {
                unravel(t, d->kernel, nsp, ti);
                int64_t poff = 0;
                for (int a = 0; a < nsp; a++)
                    poff = poff * pext[a] + oi[a] * d->stride[a] + ti[a] * d->dilation[a];
                if (kind[poff] >= 1) padded++;
                if (kind[poff] == 2) {
                    inside++;
                    sum += pv[poff];
                    if (pv[poff] > mx) mx = pv[poff];
                }
            }
            y[nc * out_sz + o] =
                is_max ? mx : sum / (double)(d->count_include_pad ? padded : inside);
        }
    }
    free(pv);
    free(kind);
}

#endif
