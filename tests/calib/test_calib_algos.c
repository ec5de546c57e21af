/* Tests for calib/algos.c: hand-worked optima for every algorithm, the entropy searches
 * against the independent float64 NumPy reference (tests/calib/data/entropy_ref.txt, made by
 * tests/calib/gen_entropy_ref.py), MSE against a per-value brute force, the scale rule (checked
 * against scales TensorRT itself wrote) and the all-zero tensor. */
#include "c8test.h"

#include "calib/algos.h"
#include "calib8/calib.h"
#include "util/fileio.h"

#include <float.h>
#include <math.h>

/* KL values from two correct float64 implementations that sum in different orders agree to a
 * few ulps of the terms (about log(N) ~ 30 in size): 1e-12 absolute covers it with margin,
 * and is far below the reference's tie-free gap (1e-10 + 1e-8 * kl). */
#define KL_TOL_ABS 1e-12
#define KL_TOL_REL 1e-9

static uint32_t bits_of(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static c8_hist *hist_of(int64_t nbins, const float *v, size_t n) {
    c8_error err = {0};
    c8_hist *h;
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(nbins, &h, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_hist_add(h, v, n, "t", 0, &err), C8_OK);
    return h;
}

static double thr(const char *algo, const c8_hist *h, const c8_calib_params *p) {
    c8_error err = {0};
    double t = -1;
    float s;
    const c8_calib_algo *a = c8_calib_algo_find(algo);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(c8_calib_threshold(a, h, p, &t, &s, &err), C8_OK);
    CU_ASSERT_EQUAL(bits_of(s), bits_of(c8_calib_scale(t)));
    return t;
}

static void test_table(void) {
    const char *names[] = {"entropy", "entropy-mxnet", "minmax", "percentile", "mse", "auto"};
    const char *tokens[] = {"EntropyCalibration2", "calib8EntropyMXNet", "MinMaxCalibration",
                            "calib8Percentile",    "calib8MSE",          "EntropyCalibration2"};
    for (int i = 0; i < 6; i++) {
        const c8_calib_algo *a = c8_calib_algo_find(names[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        CU_ASSERT_PTR_EQUAL(a, c8_calib_algo_at(i));
        CU_ASSERT_STRING_EQUAL(a->trt_algorithm, tokens[i]);
        CU_ASSERT_PTR_NOT_NULL(a->description);
    }
    CU_ASSERT_PTR_NULL(c8_calib_algo_at(6));
    CU_ASSERT_PTR_NULL(c8_calib_algo_at(-1));
    CU_ASSERT_PTR_NULL(c8_calib_algo_find("kl"));
    CU_ASSERT_PTR_NULL(c8_calib_algo_find(NULL));
    CU_ASSERT_PTR_NOT_NULL(c8_calib_algo_find(C8_CALIB_DEFAULT_ALGO));
}

static void test_scale_rule(void) {
    /* TensorRT's own caches (mnist sampleINT8, yolov8): inputs in [0, 1] calibrated with 2048
     * bins over [0, 1] gave "data: 3c008912" and sigmoid/softmax outputs "3c010a14": exactly
     * c8_calib_scale((i + 0.5) / 2048) for i = 2040 and i = 2048, i.e. threshold
     * (i + 0.5) * width and scale = (float)(threshold / 127). 0x3c008912 is
     * 0.00784518010914325714111328125 (threshold 127 x that = 0.99633789...). */
    CU_ASSERT_EQUAL(bits_of(c8_calib_scale((2040 + 0.5) / 2048)), 0x3c008912u);
    CU_ASSERT_EQUAL(bits_of(c8_calib_scale((2048 + 0.5) / 2048)), 0x3c010a14u);
    CU_ASSERT_EQUAL(bits_of(c8_calib_scale(1.0)), 0x3c010204u); /* (float)(1/127) */
    CU_ASSERT_EQUAL(bits_of(c8_calib_scale(127.0)), 0x3f800000u);
    CU_ASSERT_EQUAL(c8_calib_scale(0.0), FLT_MIN); /* never 0 */
    CU_ASSERT_EQUAL(c8_calib_scale(1e-300), FLT_MIN);
    CU_ASSERT_EQUAL(c8_calib_scale(NAN), FLT_MIN);
    CU_ASSERT_EQUAL(c8_calib_scale(1e300), FLT_MAX); /* never inf */
}

static void test_all_zero_and_empty(void) {
    c8_error err = {0};
    float z[5] = {0, -0.0f, 0, 0, 0};
    c8_hist *h = hist_of(2048, z, 5);
    for (int64_t i = 0; c8_calib_algo_at(i); i++) {
        double t;
        float s;
        CU_ASSERT_EQUAL(c8_calib_threshold(c8_calib_algo_at(i), h, NULL, &t, &s, &err), C8_OK);
        CU_ASSERT_EQUAL(t, C8_CALIB_ZERO_THRESHOLD);
        CU_ASSERT_EQUAL(bits_of(s), 0x3c010204u);
    }
    c8_hist_destroy(h);
    CU_ASSERT_EQUAL_FATAL(c8_hist_create(2048, &h, &err), C8_OK);
    double t;
    float s;
    CU_ASSERT_EQUAL(c8_calib_threshold(c8_calib_algo_find("entropy"), h, NULL, &t, &s, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no values"));
    /* c8_calib_compute names the tensor */
    const char *names[1] = {"conv3_out"};
    const c8_hist *hs[1] = {h};
    c8_calib_tensor_stat st[1];
    CU_ASSERT_EQUAL(c8_calib_compute(c8_calib_algo_find("minmax"), NULL, names, hs, 1, st, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tensor 'conv3_out': histogram has no values"));
    c8_hist_destroy(h);
}

/* 128 values, one per bin at the bin centres j + 0.5 (nbins 128, absmax 127.5: R = 128, width
 * 1): minmax and percentile by hand. */
static void test_minmax_percentile(void) {
    float v[128];
    for (int j = 0; j < 128; j++) v[j] = (float)j + 0.5f;
    c8_hist *h = hist_of(128, v, 128);
    CU_ASSERT_EQUAL(c8_hist_bin_width(h), 1.0);
    CU_ASSERT_EQUAL(thr("minmax", h, NULL), 127.5);
    c8_calib_params p;
    c8_calib_params_default(&p);
    CU_ASSERT_EQUAL(p.percentile, 99.99);
    /* 99.99% of 128 = 127.987 values: reached at bin 127, upper edge 128, capped at absmax */
    CU_ASSERT_EQUAL(thr("percentile", h, &p), 127.5);
    p.percentile = 50; /* 64 values: bins 0..63, edge 64 */
    CU_ASSERT_EQUAL(thr("percentile", h, &p), 64.0);
    p.percentile = 1; /* 1.28 values: bins 0..1, edge 2 */
    CU_ASSERT_EQUAL(thr("percentile", h, &p), 2.0);
    p.percentile = 100;
    CU_ASSERT_EQUAL(thr("percentile", h, &p), 127.5);
    c8_error err = {0};
    double t;
    float s;
    double bad[] = {0.0, -1.0, 100.5, NAN};
    for (int i = 0; i < 4; i++) {
        p.percentile = bad[i];
        CU_ASSERT_EQUAL(c8_calib_threshold(c8_calib_algo_find("percentile"), h, &p, &t, &s, &err),
                        C8_ERR_INVALID);
    }
    c8_hist_destroy(h);
}

/* nbins 256, width 1 (absmax 255.5 -> R = 256). Bins 0..127 hold 1, 3, 1, 3, ... (1 value at
 * 2k + 0.5, 3 at 2k + 1.5) and one far outlier sits at 255.5. The search first replaces bin 0's
 * count by bin 1's (1 -> 3), so it sees N = 64 * 4 + 1 + 2 = 259 values.
 *   i = 129..255: bin i-1 is empty but receives the outlier: P > 0 = Q, KL = inf (skipped).
 *   i = 128: levels are single bins, Q = counts (C = N - 1 = 258 values), P = counts with the
 *            outlier added to bin 127 (3 -> 4): KL = (4/259) ln(4/3) + ln(258/259).
 *   i = 256: levels are bin pairs, (3, 3) for the first and (1, 3) -> Q = (2, 2) for the others;
 *            the outlier's level {254, 255} has one non-empty bin, so it matches: KL is about 0.13.
 * Minimum at i = 128: threshold (128 + 0.5) * 1 = 128.5, half of absmax. */
static void test_entropy_by_hand(void) {
    float v[257];
    int n = 0;
    for (int k = 0; k < 64; k++) {
        v[n++] = 2.0f * (float)k + 0.5f;
        for (int r = 0; r < 3; r++) v[n++] = 2.0f * (float)k + 1.5f;
    }
    v[n++] = 255.5f;
    c8_hist *h = hist_of(256, v, (size_t)n);
    CU_ASSERT_EQUAL(c8_hist_bin_width(h), 1.0);
    CU_ASSERT_EQUAL(thr("entropy", h, NULL), 128.5);
    int64_t i;
    double kl;
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_calib_entropy_trt(c8_hist_counts(h), 256, &i, &kl, &err), C8_OK);
    CU_ASSERT_EQUAL(i, 128);
    const double want = 4.0 / 259.0 * log(4.0 / 3.0) + log(258.0 / 259.0);
    CU_ASSERT_DOUBLE_EQUAL(kl, want, KL_TOL_ABS);
    c8_hist_destroy(h);

    /* equal counts in bins 0..127 of 256: every candidate reproduces P exactly (KL = 0, an
     * exact tie); the first minimum, i = 128, wins */
    uint64_t c[256] = {0};
    for (int j = 0; j < 128; j++) c[j] = 5;
    CU_ASSERT_EQUAL(c8_calib_entropy_trt(c, 256, &i, &kl, &err), C8_OK);
    CU_ASSERT_EQUAL(i, 128);
    CU_ASSERT_EQUAL(kl, 0.0);
    CU_ASSERT_EQUAL(c8_calib_entropy_mxnet(c, 256, 1e-4, &i, &kl, &err), C8_OK);
    CU_ASSERT_EQUAL(i, 128);
    /* a single candidate (nbins 128) with no outliers: P = Q in both variants */
    CU_ASSERT_EQUAL(c8_calib_entropy_mxnet(c, 128, 1e-4, &i, &kl, &err), C8_OK);
    CU_ASSERT_EQUAL(i, 128);
    CU_ASSERT_DOUBLE_EQUAL(kl, 0.0, KL_TOL_ABS);
    uint64_t zero[128] = {0};
    CU_ASSERT_EQUAL(c8_calib_entropy_trt(zero, 128, &i, &kl, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_calib_entropy_mxnet(c, 256, 0.0, &i, &kl, &err), C8_ERR_INVALID);
}

/* The reference file: "case NAME NBINS ENT_I ENT_KL MX_I MX_KL SEED" then a line of counts. */
static void test_entropy_reference(void) {
    const char *path = C8_SOURCE_DIR "/tests/calib/data/entropy_ref.txt";
    c8_error err = {0};
    unsigned char *buf;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(c8_read_file(path, 0, &buf, &len, &err), C8_OK);
    char *save = NULL;
    int ncases = 0;
    for (char *line = strtok_r((char *)buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "case ", 5)) continue;
        char name[64];
        long long nbins, ei, mi, seed;
        double ekl, mkl;
        CU_ASSERT_EQUAL_FATAL(sscanf(line, "case %63s %lld %lld %lf %lld %lf %lld", name, &nbins,
                                     &ei, &ekl, &mi, &mkl, &seed),
                              7);
        char *cl = strtok_r(NULL, "\n", &save);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
        uint64_t *c = malloc(sizeof(uint64_t) * (size_t)nbins);
        char *p = cl;
        for (long long j = 0; j < nbins; j++) {
            char *end;
            c[j] = strtoull(p, &end, 10);
            CU_ASSERT_FATAL(end != p);
            p = end;
        }
        int64_t i;
        double kl;
        CU_ASSERT_EQUAL(c8_calib_entropy_trt(c, nbins, &i, &kl, &err), C8_OK);
        if (i != ei || fabs(kl - ekl) > KL_TOL_ABS + KL_TOL_REL * ekl)
            printf("\n  %s (seed %lld): entropy i=%lld kl=%.17g, reference i=%lld kl=%.17g\n", name,
                   seed, (long long)i, kl, ei, ekl);
        CU_ASSERT_EQUAL(i, ei);
        CU_ASSERT_DOUBLE_EQUAL(kl, ekl, KL_TOL_ABS + KL_TOL_REL * ekl);
        CU_ASSERT_EQUAL(c8_calib_entropy_mxnet(c, nbins, 1e-4, &i, &kl, &err), C8_OK);
        if (i != mi || fabs(kl - mkl) > KL_TOL_ABS + KL_TOL_REL * mkl)
            printf("\n  %s (seed %lld): entropy-mxnet i=%lld kl=%.17g, reference i=%lld kl=%.17g\n",
                   name, seed, (long long)i, kl, mi, mkl);
        CU_ASSERT_EQUAL(i, mi);
        CU_ASSERT_DOUBLE_EQUAL(kl, mkl, KL_TOL_ABS + KL_TOL_REL * mkl);
        free(c);
        ncases++;
    }
    CU_ASSERT_EQUAL(ncases, 20);
    free(buf);
}

/* MSE by hand: one value at 100.5 (nbins 128, width 1). Candidates T = 1..101:
 *   T <= 100: 100.5 clips to 127 -> error (100.5 - T)^2 >= 0.25;
 *   T = 101: q = round(100.5 * 127 / 101) = round(126.37) = 126, 126 * 101 / 127 = 100.2047,
 *            error 0.0872: the minimum, threshold 101. */
static void test_mse_by_hand(void) {
    float v[1] = {100.5f};
    c8_hist *h = hist_of(128, v, 1);
    CU_ASSERT_EQUAL(thr("mse", h, NULL), 101.0);
    c8_hist_destroy(h);
}

/* Brute force: every value quantized on its own (values placed at bin centres, so the
 * histogram's centre model is exact), explicit round-half-even, all thresholds i * width. */
static double brute_err(const float *v, size_t n, double t) {
    double s = t / 127.0, e = 0.0;
    for (size_t k = 0; k < n; k++) {
        double x = fabs((double)v[k]) / s, f = floor(x), r = x - f, q;
        if (r > 0.5)
            q = f + 1;
        else if (r < 0.5)
            q = f;
        else
            q = fmod(f, 2.0) == 0.0 ? f : f + 1;
        if (q > 127) q = 127;
        double d = fabs((double)v[k]) - q * s;
        e += d * d;
    }
    return e;
}

static void test_mse_brute_force(void) {
    c8t_rng r = {424242};
    enum { N = 3000 };
    float v[N];
    for (int trial = 0; trial < 4; trial++) {
        /* width 1/8 (nbins 1024, R = 128): centres (j + 0.5) / 8; a bulk, a tail and outliers */
        for (int k = 0; k < N; k++) {
            int j;
            if (k < N - 3 - trial * 5)
                j = (int)(-logf(c8t_uniform(&r, 1e-6f, 1.0f)) * 40.0f);
            else
                j = c8t_randint(&r, 700, 1023);
            if (j > 1023) j = 1023;
            v[k] = ((float)j + 0.5f) / 8.0f;
            if (k & 1) v[k] = -v[k];
        }
        v[0] = 1023.5f / 8.0f; /* absmax in the top bin: R = 128 */
        c8_hist *h = hist_of(1024, v, N);
        CU_ASSERT_EQUAL_FATAL(c8_hist_bin_width(h), 0.125);
        double best = INFINITY, second = INFINITY, bt = 0;
        for (int i = 1; i <= 1024; i++) {
            double e = brute_err(v, N, i * 0.125);
            if (e < best) {
                second = best;
                best = e;
                bt = i * 0.125;
            } else if (e < second) {
                second = e;
            }
        }
        double t = thr("mse", h, NULL);
        if (t != bt)
            printf("\n  trial %d: mse %g, brute force %g (gap %g)\n", trial, t, bt, second - best);
        CU_ASSERT_EQUAL(t, bt);
        c8_hist_destroy(h);
    }
}

/* The plain mse search (every candidate's error summed over every bin, as the definition in
 * docs/calibration.md): the screened search in calib/algos.c must give the same i. */
static int64_t plain_mse_i(const uint64_t *c, int64_t nbins) {
    int64_t last = nbins - 1;
    while (last > 0 && !c[last]) last--;
    double best = INFINITY;
    int64_t bi = last + 1;
    for (int64_t i = 1; i <= last + 1; i++) {
        const double t = (double)i, s = t / 127.0, inv = 127.0 / t;
        double e = 0.0;
        for (int64_t j = 0; j <= last; j++) {
            if (!c[j]) continue;
            const double ctr = (double)j + 0.5;
            double q = rint(ctr * inv);
            if (q > 127.0) q = 127.0;
            const double d = ctr - q * s;
            e += (double)c[j] * (d * d);
        }
        if (e < best) {
            best = e;
            bi = i;
        }
    }
    return bi;
}

/* Histograms of many shapes (ReLU spikes, exponential and half-normal bodies, power-law tails,
 * sparse, uniform, totals up to ~10^12): the screened mse search equals the plain one, and auto
 * picks the candidate with the smallest c8_calib_expected_mse (checked against every candidate,
 * and against a direct sum over the bins for the chosen threshold). */
static void test_mse_screened_and_auto(void) {
    c8t_rng r = {20261206};
    c8_error err = {0};
    int chosen_count[C8_CALIB_AUTO_CANDIDATES] = {0};
    for (int trial = 0; trial < 60; trial++) {
        const int64_t nbins = trial % 3 == 0 ? 256 : trial % 3 == 1 ? 1024 : 2048;
        uint64_t *c = calloc((size_t)nbins, sizeof *c);
        const int64_t last = nbins / 2 + c8t_randint(&r, 0, (int)(nbins / 2 - 1));
        const double body = (double)last / c8t_uniform(&r, 2.0f, 40.0f);
        const double scale = trial % 5 == 0 ? 1e9 : trial % 5 == 1 ? 10.0 : 1e5;
        const int shape = trial % 4;
        for (int64_t j = 0; j <= last; j++) {
            const double x = ((double)j + 0.5) / body;
            double w = shape == 0   ? exp(-x)
                       : shape == 1 ? exp(-0.5 * x * x)
                       : shape == 2 ? 1.0
                                    : exp(-x);
            if (shape == 3 && c8t_uniform(&r, 0.0f, 1.0f) < 0.7f) w = 0.0; /* sparse */
            c[j] = (uint64_t)(scale * w * c8t_uniform(&r, 0.5f, 1.5f));
            if (j > 3 * body && c8t_uniform(&r, 0.0f, 1.0f) < 0.05f) c[j] += 1; /* tail */
        }
        if (trial % 2) c[0] += (uint64_t)(scale * body); /* ReLU zeros */
        c[last] += 1;
        const int64_t want = plain_mse_i(c, nbins);
        const int e = 3;
        const double bw = ldexp(1.0, e) / (double)nbins;
        c8_hist *h = NULL;
        const float am = (float)(((double)last + 0.5) * bw);
        CU_ASSERT_EQUAL_FATAL(c8_hist_create_from(nbins, e, c, am, 0.0f, am, &h, &err), C8_OK);
        const double t = thr("mse", h, NULL);
        if (t != (double)want * bw)
            printf("\n  trial %d: mse i %g, plain %lld\n", trial, t / bw, (long long)want);
        CU_ASSERT_EQUAL(t, (double)want * bw);
        c8_calib_auto_candidate cand[C8_CALIB_AUTO_CANDIDATES];
        int ch = -1;
        CU_ASSERT_EQUAL_FATAL(c8_calib_auto_choose(h, NULL, cand, &ch, &err), C8_OK);
        CU_ASSERT_FATAL(ch >= 0 && ch < C8_CALIB_AUTO_CANDIDATES);
        chosen_count[ch]++;
        for (int k = 0; k < C8_CALIB_AUTO_CANDIDATES; k++) {
            CU_ASSERT_EQUAL(cand[k].threshold, thr(cand[k].algo, h, NULL));
            CU_ASSERT_EQUAL(cand[k].mse, c8_calib_expected_mse(h, cand[k].threshold));
            CU_ASSERT(cand[ch].mse <= cand[k].mse);
            if (k < ch) CU_ASSERT(cand[k].mse > cand[ch].mse); /* ties go to the first */
        }
        CU_ASSERT_EQUAL(thr("auto", h, NULL), cand[ch].threshold);
        /* expected_mse against a direct sum in the values' units */
        const double T = cand[ch].threshold, s = T / 127.0;
        double sum = 0.0, n = 0.0;
        for (int64_t j = 0; j <= last; j++) {
            const double v = ((double)j + 0.5) * bw;
            double q = rint(v / s);
            if (q > 127.0) q = 127.0;
            sum += (double)c[j] * (v - q * s) * (v - q * s);
            n += (double)c[j];
        }
        const double direct = sum / n;
        CU_ASSERT(fabs(direct - cand[ch].mse) <= 1e-9 * direct);
        c8_hist_destroy(h);
        free(c);
    }
    printf("\n  auto chose: entropy %d, percentile %d, mse %d, minmax %d", chosen_count[0],
           chosen_count[1], chosen_count[2], chosen_count[3]);
}

/* Four values at the centres of bins 0, 1, 2 and 127 (nbins 128, width 1/16): each candidate's
 * error is recomputed here from the four values. mse only tries bin edges (8 = 128 bins is its
 * best), while entropy's threshold sits half a bin further (128.5 bins) and beats it: the
 * values 0.5, 1.5, 2.5 bins land nearer the grid. So auto is not mse under another name. */
static void test_auto_by_hand(void) {
    float v[4] = {0.5f / 16, 1.5f / 16, 2.5f / 16, 127.5f / 16};
    c8_hist *h = hist_of(128, v, 4);
    c8_calib_auto_candidate cand[C8_CALIB_AUTO_CANDIDATES];
    int ch = -1;
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_calib_auto_choose(h, NULL, cand, &ch, &err), C8_OK);
    for (int k = 0; k < C8_CALIB_AUTO_CANDIDATES; k++) {
        const double T = cand[k].threshold, s = T / 127.0;
        double e = 0.0;
        for (int i = 0; i < 4; i++) {
            const double q = fmin(127.0, rint((double)v[i] / s));
            e += ((double)v[i] - q * s) * ((double)v[i] - q * s);
        }
        CU_ASSERT(fabs(e / 4 - cand[k].mse) <= 1e-12 * (e / 4) + 1e-300);
        printf("\n  %s: threshold %g, mse %g", cand[k].algo, T, cand[k].mse);
    }
    CU_ASSERT_EQUAL(ch, 0); /* entropy: 6.99e-4 against mse's 9.54e-4 and minmax's 7.21e-4 */
    CU_ASSERT_EQUAL(cand[0].threshold, 128.5 / 16);
    CU_ASSERT_EQUAL(cand[2].threshold, 8.0);
    c8_hist_destroy(h);
}

static const c8_test_case cases[] = {
    {"table", test_table},
    {"scale_rule", test_scale_rule},
    {"all_zero_and_empty", test_all_zero_and_empty},
    {"minmax_percentile", test_minmax_percentile},
    {"entropy_by_hand", test_entropy_by_hand},
    {"entropy_reference", test_entropy_reference},
    {"mse_by_hand", test_mse_by_hand},
    {"mse_brute_force", test_mse_brute_force},
    {"mse_screened_and_auto", test_mse_screened_and_auto},
    {"auto_by_hand", test_auto_by_hand},
};
C8T_MAIN("calib_algos", cases)
