/* Tests for the INT8 CPU reference kernels (kernels/ref/int8.h): each kernel against an
 * independently written implementation in this file (im2col + GEMM in int64 for convolution,
 * explicitly padded buffers for pooling, transposed weights for Gemm), across odd shapes. The
 * epilogue is checked two ways: bit-exactly against a float32 replica written here (rintf for the
 * rounding), and against the float64 ideal value on every element not within TIE_MARGIN of a .5
 * rounding boundary. Outputs have guard bytes on both sides. Seeds are printed on failure. */
#include "c8test.h"

#include "calib8/quant.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/int8.h"

#include <float.h>
#include <math.h>

/* Elements whose float64 value lies within this distance of a .5 boundary are excluded from the
 * float64-ideal comparison only: float32 rounding of y (|y| <= ~200, a few ulps ~ 1e-5) can move
 * such values across the boundary, as in ncnn's int8 tests. The replica comparison covers them. */
#define TIE_MARGIN 1e-3
/* Relative tolerance for float-output epilogues against float64: a few float32 roundings. */
#define FLOAT_REL_TOL 1e-5
/* Sigmoid uses expf, which is not correctly rounded: compare with an absolute tolerance. */
#define SIGMOID_TOL 1e-6
#define GUARD 64

/* ---------------------------------------------------------------- guarded buffers */
static void *galloc(size_t bytes) {
    unsigned char *p = malloc(bytes + 2 * GUARD);
    memset(p, 0xa5, bytes + 2 * GUARD);
    return p + GUARD;
}
static int gcheck_free(void *q, size_t bytes) {
    unsigned char *p = (unsigned char *)q - GUARD;
    int ok = 1;
    for (size_t i = 0; i < GUARD; i++) ok &= p[i] == 0xa5 && p[GUARD + bytes + i] == 0xa5;
    free(p);
    return ok;
}

/* ---------------------------------------------------------------- independent epilogue */
static int t_rne_sat(float y) {
    if (isnan(y)) return 0;
    if (y >= 127.0f) return 127;
    if (y <= -127.0f) return -127;
    return (int)rintf(y);
}
static float t_act(float y, const c8_quant_act *a) {
    switch (a->kind) {
    case C8_QACT_RELU: return y > 0.0f ? y : 0.0f;
    case C8_QACT_CLIP: return y < a->lo ? a->lo : (y > a->hi ? a->hi : y);
    case C8_QACT_LEAKY_RELU:
        if (y < 0.0f) {
            float t = y * a->alpha;
            return t;
        }
        return y;
    case C8_QACT_SIGMOID: return 1.0f / (1.0f + expf(-y));
    case C8_QACT_HARDSWISH: {
        float t = y * a->alpha;
        t = t + 3.0f;
        t = fminf(fmaxf(t, 0.0f), 6.0f);
        float h = y * t;
        h = h * a->lo;
        return h + a->hi;
    }
    default: return y;
    }
}
static float t_epi(int64_t acc, float m, int hasr, int r, float mr, const c8_quant_act *a) {
    float fa = (float)(int32_t)acc;
    float y = fa * m;
    if (hasr) {
        float t = (float)r * mr;
        y = y + t;
    }
    return t_act(y, a);
}
static double t_act_f64(double y, const c8_quant_act *a) {
    switch (a->kind) {
    case C8_QACT_RELU: return y > 0 ? y : 0;
    case C8_QACT_CLIP: return y < a->lo ? a->lo : (y > a->hi ? a->hi : y);
    case C8_QACT_LEAKY_RELU: return y < 0 ? y * a->alpha : y;
    case C8_QACT_SIGMOID: return 1 / (1 + exp(-y));
    case C8_QACT_HARDSWISH: { /* in real units: x = y * alpha, x * clip(x + 3, 0, 6) / 6 */
        const double x = y * a->alpha, a6 = (double)a->lo * 6;
        return (x * fmin(fmax(x + 3, 0), 6) / 6 * a6) / a->alpha + a->hi;
    }
    default: return y;
    }
}

typedef struct stats {
    int64_t checked, near_tie, bad;
    uint64_t seed;
    const char *what;
} stats;

/* Checks one output element of kind `out` at y[idx] against the replica and the float64 ideal. */
static void check_elem(stats *st, c8_quant_out out, const void *y, int64_t idx, int64_t acc,
                       float m, int hasr, int r, float mr, const c8_quant_act *a) {
    float rep = t_epi(acc, m, hasr, r, mr, a);
    double ideal = t_act_f64((double)acc * m + (hasr ? (double)r * mr : 0.0), a);
    int ok = 1;
    st->checked++;
    if (out == C8_QOUT_INT8) {
        int got = ((const int8_t *)y)[idx];
        ok = got == t_rne_sat(rep);
        double fr = ideal - floor(ideal);
        if (fabs(fr - 0.5) < TIE_MARGIN)
            st->near_tie++;
        else {
            double want = rint(ideal);
            want = want > 127 ? 127 : want < -127 ? -127 : want;
            ok &= got == (int)want;
        }
        ok &= got >= -127;
    } else if (out == C8_QOUT_FLOAT) {
        float got = ((const float *)y)[idx];
        ok = memcmp(&got, &rep, 4) == 0 ||
             (a->kind == C8_QACT_SIGMOID && fabsf(got - rep) <= SIGMOID_TOL);
        double tol =
            a->kind == C8_QACT_SIGMOID
                ? SIGMOID_TOL
                : FLOAT_REL_TOL * (fabs((double)acc * m) + (hasr ? fabs((double)r * mr) : 0));
        if (a->kind == C8_QACT_HARDSWISH) /* |y| * 6 * lo is the size of the product's terms */
            tol = FLOAT_REL_TOL *
                  ((fabs((double)acc * m) + (hasr ? fabs((double)r * mr) : 0)) * 6 * a->lo +
                   fabs(a->hi));
        ok &= fabs(got - ideal) <= tol + 1e-30;
    } else {
        uint16_t got = ((const uint16_t *)y)[idx];
        if (a->kind == C8_QACT_SIGMOID)
            ok = fabsf(c8_fp16_to_f32(got) - c8_fp16_round(rep)) <= 1e-3f;
        else
            ok = got == c8_fp16_from_f32(rep);
    }
    if (!ok && st->bad++ < 5)
        printf("\n  %s seed %llu: element %lld acc %lld m %a r %d mr %a act %d out %d: ideal %.9g "
               "replica %a",
               st->what, (unsigned long long)st->seed, (long long)idx, (long long)acc, m, r, mr,
               a->kind, out, ideal, rep);
}

static size_t out_bytes(c8_quant_out out) {
    return out == C8_QOUT_INT8 ? 1 : out == C8_QOUT_FLOAT ? 4 : 2;
}

static void fill_i8(c8t_rng *rng, int8_t *p, int64_t n) {
    for (int64_t i = 0; i < n; i++) p[i] = (int8_t)c8t_randint(rng, -127, 127);
}

/* An activation for variant v in the output's units (int8 output: quant units ~ +-127). */
static c8_quant_act pick_act(int v, c8_quant_out out) {
    static const int32_t k_int8[] = {C8_QACT_NONE, C8_QACT_RELU, C8_QACT_CLIP, C8_QACT_LEAKY_RELU,
                                     C8_QACT_HARDSWISH};
    static const int32_t k_float[] = {C8_QACT_NONE,       C8_QACT_RELU,    C8_QACT_CLIP,
                                      C8_QACT_LEAKY_RELU, C8_QACT_SIGMOID, C8_QACT_HARDSWISH};
    c8_quant_act a = {C8_QACT_NONE, 0, 0, 0};
    a.kind = out == C8_QOUT_INT8 ? k_int8[v % 5] : k_float[v % 6];
    a.alpha = 0.1f;
    if (a.kind == C8_QACT_CLIP) {
        a.lo = out == C8_QOUT_INT8 ? -50.25f : -1.5f;
        a.hi = out == C8_QOUT_INT8 ? 90.75f : 2.0f;
    }
    if (a.kind ==
        C8_QACT_HARDSWISH) { /* c8_quant_act_make's units: s_out 0.04, affine (0.9, 0.092) */
        a.alpha = out == C8_QOUT_INT8 ? 0.04f : 1.0f;
        a.lo = 0.15f;
        a.hi = out == C8_QOUT_INT8 ? 2.3f : 0.1f; /* (not a tie: t = 0 gives hi itself) */
    }
    return a;
}

/* Multipliers scaled so the int8 epilogue spans about +-150 (saturation included), or so a float
 * output spans about +-4 (sigmoid sees both tails). */
static void pick_mults(c8t_rng *rng, const int64_t *acc_absmax, int64_t ch, c8_quant_out out,
                       float *m) {
    float span = out == C8_QOUT_INT8 ? 150.0f : 4.0f;
    for (int64_t k = 0; k < ch; k++) {
        double am = acc_absmax[k] > 0 ? (double)acc_absmax[k] : 1.0;
        m[k] = (float)(span * c8t_uniform(rng, 0.4f, 1.2f) / am);
    }
}

/* ---------------------------------------------------------------- convolution */
typedef struct conv_cfg {
    int64_t n, c, h, w, k, r, s, sh, sw, pt, pl, pb, pr, dh, dw, g;
} conv_cfg;

/* im2col + GEMM in int64: acc (N, K, P, Q) without bias. */
static void conv_ref_acc(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w, int64_t *acc) {
    int64_t cg = d->c / d->group, kg = d->k / d->group, rows = cg * d->r * d->s, cols = d->p * d->q;
    int8_t *col = malloc((size_t)(rows * cols));
    for (int64_t n = 0; n < d->n; n++)
        for (int64_t g = 0; g < d->group; g++) {
            for (int64_t row = 0; row < rows; row++) {
                int64_t c = row / (d->r * d->s), r = row / d->s % d->r, s = row % d->s;
                for (int64_t p = 0; p < d->p; p++)
                    for (int64_t q = 0; q < d->q; q++) {
                        int64_t ih = p * d->stride_h + r * d->dil_h - d->pad_t;
                        int64_t iw = q * d->stride_w + s * d->dil_w - d->pad_l;
                        int inside = ih >= 0 && ih < d->h && iw >= 0 && iw < d->w;
                        col[row * cols + p * d->q + q] =
                            inside ? x[((n * d->c + g * cg + c) * d->h + ih) * d->w + iw] : 0;
                    }
            }
            for (int64_t kk = 0; kk < kg; kk++) {
                int64_t k = g * kg + kk;
                const int8_t *wr = w + k * rows; /* (K, C/g, R, S): row-major over (c, r, s) */
                for (int64_t j = 0; j < cols; j++) {
                    int64_t sum = 0;
                    for (int64_t row = 0; row < rows; row++)
                        sum += (int64_t)wr[row] * col[row * cols + j];
                    acc[(n * d->k + k) * cols + j] = sum;
                }
            }
        }
    free(col);
}

static int run_conv(const conv_cfg *cf, uint64_t seed, int variant) {
    c8t_rng rng = {seed};
    c8_conv2d_desc d = {cf->n,  cf->c,  cf->h,  cf->w,  cf->k,  cf->r,  cf->s,  0,      0,
                        cf->sh, cf->sw, cf->pt, cf->pl, cf->pb, cf->pr, cf->dh, cf->dw, cf->g};
    d.p = (d.h + d.pad_t + d.pad_b - d.dil_h * (d.r - 1) - 1) / d.stride_h + 1;
    d.q = (d.w + d.pad_l + d.pad_r - d.dil_w * (d.s - 1) - 1) / d.stride_w + 1;
    c8_error err = {0};
    if (c8_conv2d_desc_check("conv", &d, &err) != C8_OK) {
        printf("\n  config rejected: %s", err.msg);
        return 1;
    }
    int64_t cg = d.c / d.group, kred = cg * d.r * d.s;
    int64_t nx = d.n * d.c * d.h * d.w, nw = d.k * kred, ny = d.n * d.k * d.p * d.q;
    int8_t *x = malloc((size_t)nx), *w = malloc((size_t)nw), *res = malloc((size_t)ny);
    int64_t *acc = malloc(sizeof(int64_t) * ny), *amax = calloc((size_t)d.k, sizeof(int64_t));
    int32_t *bias = malloc(sizeof(int32_t) * d.k);
    float *m = malloc(sizeof(float) * d.k);
    fill_i8(&rng, x, nx);
    fill_i8(&rng, w, nw);
    fill_i8(&rng, res, ny);
    if (d.k > 2) memset(w + kred, 0, (size_t)kred); /* a zero weight channel */
    int32_t lim = c8_quant_bias_limit(kred);
    for (int64_t k = 0; k < d.k; k++) {
        int64_t bmax = 300 * kred < lim ? 300 * kred : lim;
        bias[k] = (int32_t)c8t_randint(&rng, -(int)bmax, (int)bmax);
    }
    conv_ref_acc(&d, x, w, acc);
    for (int64_t i = 0; i < ny; i++) {
        int64_t k = i / (d.p * d.q) % d.k;
        acc[i] += bias[k];
        CU_ASSERT_FATAL(acc[i] >= INT32_MIN && acc[i] <= INT32_MAX);
        amax[k] = llabs(acc[i]) > amax[k] ? llabs(acc[i]) : amax[k];
    }
    stats st = {0, 0, 0, seed, "conv"};
    /* two runs: int8 output, then float or float16 output, with different epilogues */
    for (int run = 0; run < 2; run++) {
        c8_quant_out out = run == 0        ? C8_QOUT_INT8
                           : (variant & 1) ? C8_QOUT_FLOAT
                                           : C8_QOUT_FLOAT16;
        c8_quant_act act = pick_act(variant + run, out);
        int hasr = (variant + run) % 3 == 0;
        float mr = c8t_uniform(&rng, 0.2f, 1.0f) * (out == C8_QOUT_INT8 ? 1.0f : 0.02f);
        pick_mults(&rng, amax, d.k, out, m);
        c8_int8_epilogue ep = {out, (variant % 5 == 4) ? NULL : bias, m, hasr ? res : NULL, mr,
                               act};
        CU_ASSERT_EQUAL_FATAL(c8_int8_epilogue_check("conv", &ep, d.k, &err), C8_OK);
        size_t yb = (size_t)ny * out_bytes(out);
        void *y = galloc(yb);
        c8_ref_int8_conv2d(&d, x, w, &ep, y);
        for (int64_t i = 0; i < ny; i++) {
            int64_t k = i / (d.p * d.q) % d.k;
            int64_t a = acc[i] - (ep.bias ? 0 : bias[k]);
            check_elem(&st, out, y, i, a, m[k], hasr, res[i], mr, &act);
        }
        if (!gcheck_free(y, yb)) {
            st.bad++;
            printf("\n  conv seed %llu: guard bytes overwritten", (unsigned long long)seed);
        }
    }
    if (st.bad)
        printf(
            "\n  conv N%lld C%lld H%lld W%lld K%lld %lldx%lld s%lld,%lld pads %lld,%lld,%lld,%lld "
            "dil %lld,%lld g%lld: %lld bad",
            (long long)d.n, (long long)d.c, (long long)d.h, (long long)d.w, (long long)d.k,
            (long long)d.r, (long long)d.s, (long long)d.stride_h, (long long)d.stride_w,
            (long long)d.pad_t, (long long)d.pad_l, (long long)d.pad_b, (long long)d.pad_r,
            (long long)d.dil_h, (long long)d.dil_w, (long long)d.group, (long long)st.bad);
    CU_ASSERT_EQUAL(st.bad, 0);
    /* near-tie exclusions must stay rare, or the float64 check would be vacuous */
    CU_ASSERT(st.near_tie * 50 <= st.checked + 50);
    free(x), free(w), free(res), free(acc), free(amax), free(bias), free(m);
    return st.bad == 0;
}

static void test_conv_table(void) {
    static const conv_cfg t[] = {
        /* n  c   h   w   k    r  s  sh sw pt pl pb pr dh dw g */
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {1, 3, 7, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {3, 7, 31, 31, 31, 3, 3, 2, 2, 1, 0, 0, 1, 1, 1, 1},
        {1, 31, 7, 7, 33, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {1, 33, 7, 7, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1},
        {1, 127, 3, 3, 129, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {1, 129, 7, 7, 127, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1},
        {1, 3, 31, 31, 7, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1},
        {1, 7, 7, 31, 7, 1, 7, 1, 1, 0, 3, 0, 3, 1, 1, 1},
        {1, 7, 31, 7, 3, 7, 1, 1, 1, 3, 0, 2, 0, 1, 1, 1},
        {1, 31, 7, 7, 31, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},
        {3, 62, 7, 7, 66, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
        {1, 6, 31, 31, 2, 3, 3, 2, 1, 0, 1, 2, 1, 1, 2, 2},
        {1, 33, 7, 7, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 33},
        {3, 127, 7, 7, 127, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 127},
        {1, 129, 31, 31, 129, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 129},
        {1, 7, 7, 7, 14, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 7},
        {1, 3, 1, 1, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {1, 3, 3, 3, 4, 5, 5, 1, 1, 2, 1, 2, 3, 1, 1, 1},
        {1, 31, 3, 3, 7, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 1},
        {3, 1, 31, 31, 1, 7, 7, 1, 1, 3, 3, 3, 3, 2, 2, 1},
        {1, 33, 31, 7, 31, 5, 5, 2, 1, 2, 1, 0, 3, 1, 2, 1},
        {3, 3, 7, 3, 3, 3, 3, 1, 2, 1, 0, 1, 2, 1, 1, 3},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) ok &= run_conv(&t[i], 1000 + i, (int)i);
    CU_ASSERT(ok);
}

static void test_conv_random(void) {
    static const int64_t chans[] = {1, 3, 7, 31, 33, 127, 129};
    static const int64_t sp[] = {1, 3, 7, 31};
    static const int64_t ks[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {1, 7}, {7, 1}, {3, 1}};
    const uint64_t seed = 0xc0471;
    c8t_rng rng = {seed};
    int done = 0, ok = 1;
    while (done < 60) {
        conv_cfg c;
        c.c = chans[c8t_randint(&rng, 0, 6)];
        int dw = c8t_randint(&rng, 0, 3) == 0;
        c.g = dw ? c.c : 1;
        c.k = dw ? c.c * c8t_randint(&rng, 1, 2) : chans[c8t_randint(&rng, 0, 6)];
        c.n = c8t_randint(&rng, 0, 2) ? 1 : 3;
        c.h = sp[c8t_randint(&rng, 0, 3)];
        c.w = sp[c8t_randint(&rng, 0, 3)];
        int ki = c8t_randint(&rng, 0, 6);
        c.r = ks[ki][0];
        c.s = ks[ki][1];
        c.sh = c8t_randint(&rng, 1, 2);
        c.sw = c8t_randint(&rng, 1, 2);
        c.dh = c8t_randint(&rng, 1, 2);
        c.dw = c8t_randint(&rng, 1, 2);
        c.pt = c8t_randint(&rng, 0, (int)c.r);
        c.pb = c8t_randint(&rng, 0, (int)c.r);
        c.pl = c8t_randint(&rng, 0, (int)c.s);
        c.pr = c8t_randint(&rng, 0, (int)c.s);
        if (c.h + c.pt + c.pb < c.dh * (c.r - 1) + 1) continue;
        if (c.w + c.pl + c.pr < c.dw * (c.s - 1) + 1) continue;
        int64_t p = (c.h + c.pt + c.pb - c.dh * (c.r - 1) - 1) / c.sh + 1;
        int64_t q = (c.w + c.pl + c.pr - c.dw * (c.s - 1) - 1) / c.sw + 1;
        if (c.n * c.k * p * q * (c.c / c.g) * c.r * c.s > 3000000) continue;
        uint64_t s = c8t_next(&rng);
        if (!run_conv(&c, s, done)) {
            printf("\n  (random conv #%d, sweep seed 0x%llx)", done, (unsigned long long)seed);
            ok = 0;
        }
        done++;
    }
    CU_ASSERT(ok);
}

/* ---------------------------------------------------------------- gemm */
static int run_gemm(int64_t mm, int64_t nn, int64_t kk, int layout, uint64_t seed, int variant) {
    c8t_rng rng = {seed};
    c8_int8_gemm_desc d = {mm, nn, kk, layout};
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_int8_gemm_desc_check("fc", &d, &err), C8_OK);
    int8_t *a = malloc((size_t)(mm * kk)), *b = malloc((size_t)(kk * nn)),
           *bt = malloc((size_t)(kk * nn)), *res = malloc((size_t)(mm * nn));
    int64_t *acc = malloc(sizeof(int64_t) * mm * nn), *amax = calloc((size_t)nn, sizeof(int64_t));
    int32_t *bias = malloc(sizeof(int32_t) * nn);
    float *m = malloc(sizeof(float) * nn);
    fill_i8(&rng, a, mm * kk);
    fill_i8(&rng, b, kk * nn);
    fill_i8(&rng, res, mm * nn);
    /* bt: B as (N, K) whatever the stored layout */
    for (int64_t j = 0; j < nn; j++)
        for (int64_t t = 0; t < kk; t++)
            bt[j * kk + t] = layout == C8_INT8_B_NK ? b[j * kk + t] : b[t * nn + j];
    for (int64_t j = 0; j < nn; j++)
        bias[j] = (int32_t)c8t_randint(&rng, -100 * (int)kk, 100 * (int)kk);
    for (int64_t i = 0; i < mm; i++)
        for (int64_t j = 0; j < nn; j++) {
            int64_t s = bias[j];
            for (int64_t t = 0; t < kk; t++) s += (int64_t)a[i * kk + t] * bt[j * kk + t];
            acc[i * nn + j] = s;
            amax[j] = llabs(s) > amax[j] ? llabs(s) : amax[j];
        }
    stats st = {0, 0, 0, seed, "gemm"};
    for (int run = 0; run < 2; run++) {
        c8_quant_out out = run == 0        ? C8_QOUT_INT8
                           : (variant & 1) ? C8_QOUT_FLOAT
                                           : C8_QOUT_FLOAT16;
        c8_quant_act act = pick_act(variant + run, out);
        int hasr = (variant + run) % 2 == 0;
        float mr = c8t_uniform(&rng, 0.2f, 1.0f) * (out == C8_QOUT_INT8 ? 1.0f : 0.02f);
        pick_mults(&rng, amax, nn, out, m);
        c8_int8_epilogue ep = {out, bias, m, hasr ? res : NULL, mr, act};
        size_t yb = (size_t)(mm * nn) * out_bytes(out);
        void *y = galloc(yb);
        c8_ref_int8_gemm(&d, a, b, &ep, y);
        for (int64_t i = 0; i < mm * nn; i++)
            check_elem(&st, out, y, i, acc[i], m[i % nn], hasr, res[i], mr, &act);
        if (!gcheck_free(y, yb)) st.bad++;
    }
    if (st.bad)
        printf("\n  gemm M%lld N%lld K%lld layout %d: %lld bad", (long long)mm, (long long)nn,
               (long long)kk, layout, (long long)st.bad);
    free(a), free(b), free(bt), free(res), free(acc), free(amax), free(bias), free(m);
    return st.bad == 0;
}

static void test_gemm(void) {
    static const int64_t ms[] = {1, 3, 7, 33};
    static const int64_t ns[] = {1, 3, 7, 31, 33, 127, 129};
    static const int64_t ks[] = {1, 3, 7, 31, 33, 127, 129, 1000, 4099};
    int ok = 1, v = 0;
    for (size_t mi = 0; mi < 4; mi++)
        for (size_t ni = 0; ni < 7; ni++)
            for (size_t ki = 0; ki < 9; ki++) {
                if (ms[mi] * ns[ni] * ks[ki] > 2000000) continue;
                if ((mi + ni + ki) % 2) continue; /* half the grid keeps the run short */
                for (int layout = 0; layout < 2; layout++, v++)
                    ok &= run_gemm(ms[mi], ns[ni], ks[ki], layout, 2000 + (uint64_t)v, v);
            }
    CU_ASSERT(ok);
}

/* The int32 bound is tight: K = C8_QUANT_MAX_K with every product +-127*127 and the bias at its
 * limit reaches exactly +-INT32_MAX without overflow (UBSan builds would trap otherwise). */
static void test_gemm_accumulator_bound(void) {
    int64_t k = C8_QUANT_MAX_K;
    int8_t *a = malloc((size_t)k), *b = malloc((size_t)k);
    int32_t lim = c8_quant_bias_limit(k);
    float one = 1.0f, y;
    c8_int8_gemm_desc d = {1, 1, k, C8_INT8_B_NK};
    c8_quant_act none = {C8_QACT_NONE, 0, 0, 0};
    static const int signs[2] = {-1, 1};
    for (int si = 0; si < 2; si++) {
        int sign = signs[si];
        memset(a, sign * 127, (size_t)k);
        memset(b, 127, (size_t)k);
        int32_t bias = sign * lim;
        c8_int8_epilogue ep = {C8_QOUT_FLOAT, &bias, &one, NULL, 0, none};
        c8_ref_int8_gemm(&d, a, b, &ep, &y);
        CU_ASSERT_EQUAL(y, (float)(sign * INT32_MAX));
        int8_t q;
        ep.out = C8_QOUT_INT8;
        c8_ref_int8_gemm(&d, a, b, &ep, &q);
        CU_ASSERT_EQUAL(q, sign * 127);
    }
    free(a), free(b);
}

/* ---------------------------------------------------------------- matmul of two activations */
/* c8_ref_int8_matmul over `batch` matrices with a (stride_a 0: broadcast) and b (likewise):
 * every element against an int64 sum written here and the epilogue replica / float64 ideal
 * (check_elem), and each output matrix byte for byte against c8_ref_int8_gemm (B stored (K, N),
 * the one multiplier repeated over the N columns): the per-tensor MatMul is the Gemm's
 * arithmetic. */
static int run_matmul(int64_t batch, int64_t mm, int64_t nn, int64_t kk, int bcast_a, int bcast_b,
                      uint64_t seed, int variant) {
    c8t_rng rng = {seed};
    int64_t ba = bcast_a ? 1 : batch, bb = bcast_b ? 1 : batch;
    c8_int8_matmul_desc d = {batch, mm, nn, kk, bcast_a ? 0 : mm * kk, bcast_b ? 0 : kk * nn};
    c8_error err = {0};
    CU_ASSERT_EQUAL_FATAL(c8_int8_matmul_desc_check("attn", &d, &err), C8_OK);
    int8_t *a = malloc((size_t)(ba * mm * kk)), *b = malloc((size_t)(bb * kk * nn)),
           *res = malloc((size_t)(batch * mm * nn));
    int64_t *acc = malloc(sizeof(int64_t) * batch * mm * nn), amax = 0;
    float *mrow = malloc(sizeof(float) * nn);
    fill_i8(&rng, a, ba * mm * kk);
    fill_i8(&rng, b, bb * kk * nn);
    fill_i8(&rng, res, batch * mm * nn);
    int32_t bias = (int32_t)c8t_randint(&rng, -50 * (int)kk, 50 * (int)kk);
    int hasb = variant % 3 == 0;
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < mm; i++)
            for (int64_t j = 0; j < nn; j++) {
                int64_t s = hasb ? bias : 0;
                for (int64_t q = 0; q < kk; q++)
                    s += (int64_t)a[(bcast_a ? 0 : t) * mm * kk + i * kk + q] *
                         b[(bcast_b ? 0 : t) * kk * nn + q * nn + j];
                acc[(t * mm + i) * nn + j] = s;
                amax = llabs(s) > amax ? llabs(s) : amax;
            }
    stats st = {0, 0, 0, seed, "matmul"};
    int64_t cnt = batch * mm * nn;
    for (int run = 0; run < 2; run++) {
        c8_quant_out out = run == 0        ? C8_QOUT_INT8
                           : (variant & 1) ? C8_QOUT_FLOAT
                                           : C8_QOUT_FLOAT16;
        c8_quant_act act = pick_act(variant + run, out);
        int hasr = (variant + run) % 2 == 0;
        float mr = c8t_uniform(&rng, 0.2f, 1.0f) * (out == C8_QOUT_INT8 ? 1.0f : 0.02f), m;
        pick_mults(&rng, &amax, 1, out, &m);
        for (int64_t j = 0; j < nn; j++) mrow[j] = m;
        c8_int8_epilogue ep = {out, hasb ? &bias : NULL, &m, hasr ? res : NULL, mr, act};
        size_t yb = (size_t)cnt * out_bytes(out), mb = (size_t)(mm * nn) * out_bytes(out);
        void *y = galloc(yb), *yg = galloc(mb);
        c8_ref_int8_matmul(&d, a, b, &ep, y);
        for (int64_t i = 0; i < cnt; i++)
            check_elem(&st, out, y, i, acc[i], m, hasr, res[i], mr, &act);
        /* the same numbers from the Gemm reference, one output matrix at a time */
        int32_t *brow = malloc(sizeof(int32_t) * nn);
        for (int64_t j = 0; j < nn; j++) brow[j] = bias;
        c8_int8_gemm_desc g = {mm, nn, kk, C8_INT8_B_KN};
        for (int64_t t = 0; t < batch; t++) {
            c8_int8_epilogue eg = {
                out, hasb ? brow : NULL, mrow, hasr ? res + t * mm * nn : NULL, mr, act};
            c8_ref_int8_gemm(&g, a + d.a_stride * t, b + d.b_stride * t, &eg, yg);
            if (memcmp(yg, (char *)y + (size_t)t * mb, mb)) {
                st.bad++;
                printf("\n  matmul seed %llu: batch %lld differs from the Gemm reference",
                       (unsigned long long)seed, (long long)t);
            }
        }
        free(brow);
        if (!gcheck_free(y, yb) || !gcheck_free(yg, mb)) st.bad++;
    }
    if (st.bad)
        printf("\n  matmul B%lld M%lld N%lld K%lld bcast %d/%d: %lld bad", (long long)batch,
               (long long)mm, (long long)nn, (long long)kk, bcast_a, bcast_b, (long long)st.bad);
    free(a), free(b), free(res), free(acc), free(mrow);
    return st.bad == 0;
}

static void test_matmul(void) {
    /* attention-like shapes (heads x T x d, T x T) and odd ones, with either side broadcast */
    static const int64_t cfg[][4] = {{1, 1, 1, 1},    {2, 3, 5, 7},   {8, 40, 40, 15},
                                     {3, 7, 33, 129}, {2, 1, 129, 3}, {4, 17, 1, 1000}};
    int ok = 1, v = 0;
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++)
        for (int bc = 0; bc < 3; bc++, v++)
            ok &= run_matmul(cfg[c][0], cfg[c][1], cfg[c][2], cfg[c][3], bc == 1, bc == 2,
                             3000 + (uint64_t)v, v);
    CU_ASSERT(ok);
    /* a hand-worked case: s_a = 0.02, s_b = 0.5, s_out = 0.1 -> M = 0.1f;
     * [1 -2; 3 4] x [5; -6] = [17; -9] -> 1.7 -> 2, -0.9 -> -1 */
    int8_t a[4] = {1, -2, 3, 4}, b[2] = {5, -6}, y[2];
    float m = (float)((0.02 * 0.5) / 0.1);
    c8_int8_matmul_desc d = {1, 2, 1, 2, 0, 0};
    c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &m, NULL, 0, {C8_QACT_NONE, 0, 0, 0}};
    c8_ref_int8_matmul(&d, a, b, &ep, y);
    CU_ASSERT(y[0] == 2 && y[1] == -1);
}

/* ---------------------------------------------------------------- pooling */
typedef struct pool_cfg {
    int64_t n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw;
    int ceil_mode;
} pool_cfg;

static int64_t pool_out(int64_t in, int64_t pb, int64_t pe, int64_t k, int64_t st, int64_t dil,
                        int ceil_mode) {
    int64_t span = dil * (k - 1) + 1, num = in + pb + pe - span;
    if (!ceil_mode) return num / st + 1;
    int64_t o = (num + st - 1) / st + 1;
    if ((o - 1) * st >= in + pb) o--; /* the last window starts inside input or begin padding */
    return o;
}

static c8_pool2d_desc pool_desc(const pool_cfg *c, int include_pad) {
    c8_pool2d_desc d = {c->n,  c->c,  c->h,  c->w,  0,     0,     c->kh, c->kw,      c->sh,
                        c->sw, c->pt, c->pl, c->pb, c->pr, c->dh, c->dw, include_pad};
    d.p = pool_out(c->h, c->pt, c->pb, c->kh, c->sh, c->dh, c->ceil_mode);
    d.q = pool_out(c->w, c->pl, c->pr, c->kw, c->sw, c->dw, c->ceil_mode);
    return d;
}

/* Copies x (H, W) into a padded plane big enough for every window: value `fill` outside the
 * input; mask marks positions inside [-pt, H+pb) x [-pl, W+pr). */
static void pad_plane(const c8_pool2d_desc *d, const int8_t *x, int fill, int *pv, uint8_t *mask,
                      int64_t hp, int64_t wp) {
    for (int64_t i = 0; i < hp; i++)
        for (int64_t j = 0; j < wp; j++) {
            int64_t ih = i - d->pad_t, iw = j - d->pad_l;
            int inside = ih >= 0 && ih < d->h && iw >= 0 && iw < d->w;
            pv[i * wp + j] = inside ? x[ih * d->w + iw] : fill;
            mask[i * wp + j] = i < d->h + d->pad_t + d->pad_b && j < d->w + d->pad_l + d->pad_r;
        }
}

static int run_pool(const pool_cfg *cf, uint64_t seed) {
    c8t_rng rng = {seed};
    c8_error err = {0};
    int bad = 0;
    c8_pool2d_desc d = pool_desc(cf, 0);
    if (c8_pool2d_desc_check("maxpool", &d, 1, &err) != C8_OK) {
        printf("\n  pool config rejected: %s", err.msg);
        return 0;
    }
    int64_t nx = d.n * d.c * d.h * d.w, ny = d.n * d.c * d.p * d.q;
    int64_t hp = (d.p - 1) * d.stride_h + d.dil_h * (d.kh - 1) + 1;
    int64_t wp = (d.q - 1) * d.stride_w + d.dil_w * (d.kw - 1) + 1;
    hp = hp > d.h + d.pad_t + d.pad_b ? hp : d.h + d.pad_t + d.pad_b;
    wp = wp > d.w + d.pad_l + d.pad_r ? wp : d.w + d.pad_l + d.pad_r;
    int8_t *x = malloc((size_t)nx);
    fill_i8(&rng, x, nx);
    if (nx > 4) x[3] = -127; /* the smallest value must survive */
    int *pv = malloc(sizeof(int) * hp * wp);
    uint8_t *mask = malloc((size_t)(hp * wp));
    /* MaxPool: pad with -128 (below every int8 activation), then clamp -128 (an all-padding
     * window) to -127 */
    int8_t *y = galloc((size_t)ny);
    c8_ref_int8_maxpool2d(&d, x, y);
    for (int64_t nc = 0; nc < d.n * d.c; nc++) {
        pad_plane(&d, x + nc * d.h * d.w, -128, pv, mask, hp, wp);
        for (int64_t p = 0; p < d.p; p++)
            for (int64_t q = 0; q < d.q; q++) {
                int m = -1000;
                for (int64_t i = 0; i < d.kh; i++)
                    for (int64_t j = 0; j < d.kw; j++) {
                        int v =
                            pv[(p * d.stride_h + i * d.dil_h) * wp + q * d.stride_w + j * d.dil_w];
                        m = v > m ? v : m;
                    }
                m = m < -127 ? -127 : m;
                if (y[(nc * d.p + p) * d.q + q] != m && bad++ < 5)
                    printf("\n  maxpool seed %llu: (%lld,%lld,%lld) got %d want %d",
                           (unsigned long long)seed, (long long)nc, (long long)p, (long long)q,
                           y[(nc * d.p + p) * d.q + q], m);
            }
    }
    bad += !gcheck_free(y, (size_t)ny);
    /* AveragePool, both count_include_pad modes */
    float s_in = c8t_uniform(&rng, 0.01f, 0.1f), s_out = s_in * c8t_uniform(&rng, 0.3f, 1.5f);
    int64_t maxc = d.kh * d.kw;
    float *tab = malloc(sizeof(float) * (maxc + 1));
    CU_ASSERT_EQUAL_FATAL(c8_quant_avgpool_mults("avgpool", s_in, s_out, maxc, tab, &err), C8_OK);
    for (int inc = 0; inc < 2; inc++) {
        d.count_include_pad = inc;
        CU_ASSERT_EQUAL_FATAL(c8_pool2d_desc_check("avgpool", &d, 0, &err), C8_OK);
        y = galloc((size_t)ny);
        c8_ref_int8_avgpool2d(&d, x, tab, y);
        for (int64_t nc = 0; nc < d.n * d.c; nc++) {
            pad_plane(&d, x + nc * d.h * d.w, 0, pv, mask, hp, wp);
            for (int64_t p = 0; p < d.p; p++)
                for (int64_t q = 0; q < d.q; q++) {
                    int64_t sum = 0, cnt = 0;
                    for (int64_t i = 0; i < d.kh; i++)
                        for (int64_t j = 0; j < d.kw; j++) {
                            int64_t ii = p * d.stride_h + i * d.dil_h,
                                    jj = q * d.stride_w + j * d.dil_w;
                            int64_t ih = ii - d.pad_t, iw = jj - d.pad_l;
                            sum += pv[ii * wp + jj];
                            cnt += inc ? mask[ii * wp + jj]
                                       : (ih >= 0 && ih < d.h && iw >= 0 && iw < d.w);
                        }
                    if (d.dil_h == 1 && d.dil_w == 1) { /* closed form of the count */
                        int64_t h0 = p * d.stride_h - d.pad_t, w0 = q * d.stride_w - d.pad_l;
                        int64_t lo_h = inc ? -d.pad_t : 0, hi_h = inc ? d.h + d.pad_b : d.h;
                        int64_t lo_w = inc ? -d.pad_l : 0, hi_w = inc ? d.w + d.pad_r : d.w;
                        int64_t rows =
                            (h0 + d.kh < hi_h ? h0 + d.kh : hi_h) - (h0 > lo_h ? h0 : lo_h);
                        int64_t cols =
                            (w0 + d.kw < hi_w ? w0 + d.kw : hi_w) - (w0 > lo_w ? w0 : lo_w);
                        int64_t cf2 = (rows > 0 ? rows : 0) * (cols > 0 ? cols : 0);
                        if (cf2 != cnt && bad++ < 5)
                            printf("\n  avgpool count %lld vs %lld", (long long)cnt,
                                   (long long)cf2);
                    }
                    float mult = cnt ? (float)((double)s_in / ((double)s_out * (double)cnt)) : 0.0f;
                    if (cnt && memcmp(&mult, &tab[cnt], 4) != 0 && bad++ < 5)
                        printf("\n  avgpool table[%lld]", (long long)cnt);
                    float yv = (float)sum * mult;
                    int want = cnt ? t_rne_sat(yv) : 0;
                    if (y[(nc * d.p + p) * d.q + q] != want && bad++ < 5)
                        printf("\n  avgpool seed %llu inc %d: (%lld,%lld,%lld) got %d want %d",
                               (unsigned long long)seed, inc, (long long)nc, (long long)p,
                               (long long)q, y[(nc * d.p + p) * d.q + q], want);
                }
        }
        bad += !gcheck_free(y, (size_t)ny);
    }
    if (bad)
        printf("\n  pool N%lld C%lld %lldx%lld k%lldx%lld s%lld,%lld pads %lld,%lld,%lld,%lld dil "
               "%lld,%lld ceil %d: %d bad",
               (long long)d.n, (long long)d.c, (long long)d.h, (long long)d.w, (long long)d.kh,
               (long long)d.kw, (long long)d.stride_h, (long long)d.stride_w, (long long)d.pad_t,
               (long long)d.pad_l, (long long)d.pad_b, (long long)d.pad_r, (long long)d.dil_h,
               (long long)d.dil_w, cf->ceil_mode, bad);
    free(x), free(pv), free(mask), free(tab);
    return bad == 0;
}

static void test_pool(void) {
    static const pool_cfg t[] = {
        /* n  c   h   w  kh kw sh sw pt pl pb pr dh dw ceil */
        {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
        {1, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0},
        {3, 7, 31, 31, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
        {1, 31, 7, 7, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1},
        {1, 33, 31, 7, 5, 3, 3, 1, 2, 0, 1, 2, 1, 1, 0},
        {1, 127, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        {1, 129, 7, 31, 7, 7, 1, 2, 3, 3, 3, 3, 1, 1, 1},
        {3, 3, 31, 31, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 0},
        {1, 7, 7, 7, 3, 3, 3, 3, 0, 1, 2, 0, 2, 1, 1},
        {1, 3, 7, 31, 1, 7, 1, 1, 0, 3, 0, 3, 1, 1, 0},
        {1, 1, 3, 3, 3, 3, 1, 1, 2, 2, 0, 0, 1, 1, 0},
        {1, 7, 31, 31, 7, 7, 7, 7, 0, 0, 0, 0, 1, 1, 1},
        {1, 33, 7, 7, 7, 7, 1, 1, 0, 0, 0, 0, 1, 1, 0},
        {1, 3, 31, 31, 5, 5, 3, 3, 4, 4, 4, 4, 1, 1, 1},
        /* windows wholly in the padding: MaxPool gives -127, AveragePool 0 */
        {1, 3, 3, 3, 2, 2, 1, 1, 2, 2, 0, 3, 1, 1, 0},
        {3, 7, 4, 5, 1, 2, 2, 2, 3, 0, 3, 3, 1, 1, 1},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) ok &= run_pool(&t[i], 3000 + i);
    const uint64_t seed = 0x9001;
    c8t_rng rng = {seed};
    static const int64_t chans[] = {1, 3, 7, 31, 33, 127, 129}, sp[] = {1, 3, 7, 31};
    for (int done = 0; done < 40;) {
        pool_cfg c = {c8t_randint(&rng, 0, 1) ? 1 : 3,
                      chans[c8t_randint(&rng, 0, 6)],
                      sp[c8t_randint(&rng, 0, 3)],
                      sp[c8t_randint(&rng, 0, 3)],
                      c8t_randint(&rng, 1, 5),
                      c8t_randint(&rng, 1, 5),
                      c8t_randint(&rng, 1, 3),
                      c8t_randint(&rng, 1, 3),
                      0,
                      0,
                      0,
                      0,
                      c8t_randint(&rng, 1, 2),
                      c8t_randint(&rng, 1, 2),
                      c8t_randint(&rng, 0, 1)};
        c.pt = c8t_randint(&rng, 0, (int)c.kh - 1);
        c.pb = c8t_randint(&rng, 0, (int)c.kh - 1);
        c.pl = c8t_randint(&rng, 0, (int)c.kw - 1);
        c.pr = c8t_randint(&rng, 0, (int)c.kw - 1);
        if (c.h + c.pt + c.pb < c.dh * (c.kh - 1) + 1) continue;
        if (c.w + c.pl + c.pr < c.dw * (c.kw - 1) + 1) continue;
        if (!run_pool(&c, c8t_next(&rng))) {
            printf("\n  (random pool #%d, sweep seed 0x%llx)", done, (unsigned long long)seed);
            ok = 0;
        }
        done++;
    }
    CU_ASSERT(ok);
}

static void test_global_avgpool(void) {
    static const int64_t t[][3] = {{1, 1, 1}, {3, 7, 49}, {1, 129, 961}, {2, 33, 9}, {1, 3, 50176}};
    const uint64_t seed = 0x6a9;
    c8t_rng rng = {seed};
    c8_error err = {0};
    int bad = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t n = t[i][0], c = t[i][1], hw = t[i][2];
        int8_t *x = malloc((size_t)(n * c * hw)), *y = galloc((size_t)(n * c));
        fill_i8(&rng, x, n * c * hw);
        if (i == 4) memset(x, 127, (size_t)(n * c * hw)); /* saturating, 127 * 50176 */
        float s_in = 0.05f, s_out = c8t_uniform(&rng, 0.002f, 0.05f);
        float *tab = malloc(sizeof(float) * (hw + 1));
        CU_ASSERT_EQUAL_FATAL(c8_quant_avgpool_mults("gap", s_in, s_out, hw, tab, &err), C8_OK);
        c8_ref_int8_global_avgpool(n, c, hw, x, tab[hw], y);
        for (int64_t nc = 0; nc < n * c; nc++) {
            int64_t s = 0;
            for (int64_t j = 0; j < hw; j++) s += x[nc * hw + j];
            float mult = (float)((double)s_in / ((double)s_out * (double)hw));
            int want = t_rne_sat((float)s * mult);
            if (y[nc] != want && bad++ < 5)
                printf("\n  gap seed %llu case %zu: %d vs %d", (unsigned long long)seed, i, y[nc],
                       want);
        }
        bad += !gcheck_free(y, (size_t)(n * c));
        free(x), free(tab);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* ---------------------------------------------------------------- element-wise */
static void test_add(void) {
    const uint64_t seed = 0xadd;
    c8t_rng rng = {seed};
    const int64_t n = 4099;
    int8_t *a = malloc(n), *b = malloc(n);
    fill_i8(&rng, a, n);
    fill_i8(&rng, b, n);
    a[0] = b[0] = -127;
    stats st = {0, 0, 0, seed, "add"};
    for (int v = 0; v < 12; v++) {
        c8_quant_out out = v < 6 ? C8_QOUT_INT8 : (v & 1) ? C8_QOUT_FLOAT : C8_QOUT_FLOAT16;
        c8_quant_act act = pick_act(v, out);
        float ma = c8t_uniform(&rng, 0.3f, 1.2f), mb = c8t_uniform(&rng, 0.3f, 1.2f);
        if (out != C8_QOUT_INT8) ma *= 0.02f, mb *= 0.03f;
        size_t yb = (size_t)n * out_bytes(out);
        void *y = galloc(yb);
        c8_ref_int8_add(n, a, ma, b, mb, act, out, y);
        for (int64_t i = 0; i < n; i++) check_elem(&st, out, y, i, a[i], ma, 1, b[i], mb, &act);
        st.bad += !gcheck_free(y, yb);
    }
    CU_ASSERT_EQUAL(st.bad, 0);
    CU_ASSERT(st.near_tie * 50 <= st.checked);
    free(a), free(b);
}

/* Q8Mul: an int8 x times a float factor per (item, channel), per channel or one value. Each
 * element against the replica (m = f * M, then rne_sat127((float)q * m), float32 steps written
 * here) and, away from ties, against the float64 product; then hand-worked values. */
static void test_mul(void) {
    const uint64_t seed = 0x3a1;
    c8t_rng rng = {seed};
    const int64_t outer = 2, c = 7, inner = 33, n = outer * c * inner;
    int8_t *x = malloc((size_t)n), *y = galloc((size_t)n);
    fill_i8(&rng, x, n);
    x[0] = -127, x[1] = 127;
    float f[14];
    for (int i = 0; i < 14; i++) f[i] = c8t_uniform(&rng, -1.5f, 1.5f);
    f[0] = 0.0f, f[1] = 1.0f;
    /* strides: per (item, channel); per channel; one value */
    const int64_t forms[3][2] = {{c, 1}, {0, 1}, {0, 0}};
    int bad = 0, near = 0, checked = 0;
    for (int fi = 0; fi < 3; fi++)
        for (int mi = 0; mi < 3; mi++) {
            const float M = mi == 0 ? 1.0f : mi == 1 ? 0.37f : 3.1f;
            const int64_t so = forms[fi][0], sc = forms[fi][1];
            c8_ref_int8_mul(outer, c, inner, x, f, so, sc, M, y);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t k = 0; k < c; k++) {
                    const float fk = f[o * so + k * sc], mk = fk * M;
                    for (int64_t i = 0; i < inner; i++) {
                        const int64_t at = (o * c + k) * inner + i;
                        const int want = t_rne_sat((float)x[at] * mk);
                        bad += y[at] != want || y[at] < -127;
                        const double ideal = (double)x[at] * (double)fk * (double)M;
                        const double fr = ideal - floor(ideal);
                        checked++;
                        if (fabs(fr - 0.5) < TIE_MARGIN) {
                            near++;
                            continue;
                        }
                        double w = rint(ideal);
                        w = w > 127 ? 127 : w < -127 ? -127 : w;
                        bad += y[at] != (int)w;
                    }
                }
        }
    bad += !gcheck_free(y, (size_t)n);
    if (bad) printf("\n  mul seed %llu: %d bad", (unsigned long long)seed, bad);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(near * 20 <= checked);
    /* by hand: 10 * (0.5 * 0.25) = 1.25 -> 1; -3 * (1 * 0.5) = -1.5 -> -2 (half to even);
     * 5 * (0.5 * 1) = 2.5 -> 2; 127 * (2 * 1) = 254 -> 127; -100 * (3 * 1) -> -127 */
    const int8_t hx[5] = {10, -3, 5, 127, -100}, hw[5] = {1, -2, 2, 127, -127};
    const float hf[5] = {0.5f, 1.0f, 0.5f, 2.0f, 3.0f}, hm[5] = {0.25f, 0.5f, 1.0f, 1.0f, 1.0f};
    for (int i = 0; i < 5; i++) {
        int8_t got;
        c8_ref_int8_mul(1, 1, 1, &hx[i], &hf[i], 0, 0, hm[i], &got);
        CU_ASSERT_EQUAL(got, hw[i]);
    }
    free(x);
}

static void test_concat(void) {
    const uint64_t seed = 0xc0c;
    c8t_rng rng = {seed};
    const int64_t outer = 3, inner = 49, ch[3] = {1, 7, 33}, ctot = 41;
    int8_t *xs[3];
    for (int i = 0; i < 3; i++) {
        xs[i] = malloc((size_t)(outer * ch[i] * inner));
        fill_i8(&rng, xs[i], outer * ch[i] * inner);
    }
    float s_out = 0.05f, s_in[3] = {0.05f, 0.031f, 0.2f}, m[3];
    c8_error err = {0};
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(c8_quant_ratio("cat", s_in[i], s_out, &m[i], &err), C8_OK);
    CU_ASSERT_EQUAL(m[0], 1.0f);
    size_t yb = (size_t)(outer * ctot * inner);
    int8_t *y = galloc(yb);
    c8_ref_int8_concat(outer, inner, 3, (const int8_t *const *)xs, ch, m, y);
    int bad = 0;
    int64_t c0 = 0;
    for (int i = 0; i < 3; i++) {
        for (int64_t o = 0; o < outer; o++)
            for (int64_t c = 0; c < ch[i]; c++)
                for (int64_t j = 0; j < inner; j++) {
                    int8_t q = xs[i][(o * ch[i] + c) * inner + j];
                    int want = i == 0 ? q : t_rne_sat((float)q * m[i]); /* equal scales: copy */
                    bad += y[(o * ctot + c0 + c) * inner + j] != want;
                }
        c0 += ch[i];
    }
    bad += !gcheck_free(y, yb);
    if (bad) printf("\n  concat seed %llu: %d bad", (unsigned long long)seed, bad);
    CU_ASSERT_EQUAL(bad, 0);
    for (int i = 0; i < 3; i++) free(xs[i]);
}

static void test_quantize_kernels(void) {
    const uint64_t seed = 0x9a47;
    c8t_rng rng = {seed};
    const int64_t outer = 3, c = 33, inner = 31, n = outer * c * inner;
    float *x = malloc(sizeof(float) * n), s[33], inv[33], m[33], *xd = galloc(sizeof(float) * n);
    int8_t *q = galloc((size_t)n), *r = galloc((size_t)n);
    for (int64_t k = 0; k < c; k++) {
        s[k] = c8t_uniform(&rng, 0.001f, 0.1f);
        inv[k] = c8_quant_inv_scale(s[k]);
        m[k] = c8t_uniform(&rng, 0.2f, 3.0f);
    }
    for (int64_t i = 0; i < n; i++) x[i] = c8t_uniform(&rng, -150.0f, 150.0f) * s[i / inner % c];
    x[5] = NAN, x[6] = INFINITY, x[7] = -INFINITY;
    int bad = 0;
    for (int per_channel = 0; per_channel < 2; per_channel++) {
        int64_t cc = per_channel ? c : 1, in = per_channel ? inner : c * inner;
        c8_ref_int8_quantize(outer, cc, in, x, inv, q);
        for (int64_t i = 0; i < n; i++) {
            int64_t k = per_channel ? i / inner % c : 0;
            float iv = 1.0f / s[k];
            bad += q[i] != t_rne_sat(x[i] * iv);
        }
        c8_ref_int8_dequantize(outer, cc, in, q, s, xd);
        for (int64_t i = 0; i < n; i++) {
            int64_t k = per_channel ? i / inner % c : 0;
            bad += xd[i] != (float)q[i] * s[k];
            /* round trip: |x - dq(q(x))| <= s/2 (+ float rounding) inside the range */
            if (isfinite(x[i]) && fabsf(x[i]) < 126.0f * s[k])
                bad += fabs((double)x[i] - xd[i]) > 0.5 * s[k] * (1 + 1e-4) + 1e-6 * fabsf(x[i]);
        }
        c8_ref_int8_requantize(outer, cc, in, q, m, r);
        for (int64_t i = 0; i < n; i++) {
            int64_t k = per_channel ? i / inner % c : 0;
            bad += r[i] != t_rne_sat((float)q[i] * m[k]);
        }
    }
    c8_ref_int8_quantize(1, 1, 3, x + 5, inv, q);
    CU_ASSERT(q[0] == 0 && q[1] == 127 && q[2] == -127);
    bad += !gcheck_free(q, (size_t)n) + !gcheck_free(r, (size_t)n) +
           !gcheck_free(xd, sizeof(float) * n);
    if (bad) printf("\n  quantize seed %llu: %d bad", (unsigned long long)seed, bad);
    CU_ASSERT_EQUAL(bad, 0);
    free(x);
}

/* ---------------------------------------------------------------- validation */
static void test_checks(void) {
    c8_error err = {0};
    c8_conv2d_desc d = {1, 6, 7, 7, 4, 3, 3, 7, 7, 1, 1, 1, 1, 1, 1, 1, 1, 4};
    CU_ASSERT_EQUAL(c8_conv2d_desc_check("conv3", &d, &err), C8_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'conv3'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "group=4"));
    d.group = 2;
    CU_ASSERT_EQUAL(c8_conv2d_desc_check("conv3", &d, &err), C8_OK);
    d.p = 6;
    CU_ASSERT_EQUAL(c8_conv2d_desc_check("conv3", &d, &err), C8_ERR_SHAPE);
    d.p = 7;
    d.c = 2 * 20000, d.group = 2, d.k = 2; /* K = 20000 * 9 > 133143 */
    CU_ASSERT_EQUAL(c8_conv2d_desc_check("conv3", &d, &err), C8_ERR_LIMIT);
    c8_int8_gemm_desc g = {1, 1, C8_QUANT_MAX_K + 1, C8_INT8_B_NK};
    CU_ASSERT_EQUAL(c8_int8_gemm_desc_check("fc", &g, &err), C8_ERR_LIMIT);
    g.k = 5, g.b_layout = 7;
    CU_ASSERT_EQUAL(c8_int8_gemm_desc_check("fc", &g, &err), C8_ERR_INVALID);
    c8_int8_matmul_desc mm = {2, 3, 4, 5, 15, 0};
    CU_ASSERT_EQUAL(c8_int8_matmul_desc_check("attn", &mm, &err), C8_OK);
    mm.b_stride = 7; /* neither K*N nor a broadcast */
    CU_ASSERT_EQUAL(c8_int8_matmul_desc_check("attn", &mm, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'attn'"));
    mm.b_stride = 0, mm.k = C8_QUANT_MAX_K + 1, mm.a_stride = 0;
    CU_ASSERT_EQUAL(c8_int8_matmul_desc_check("attn", &mm, &err), C8_ERR_LIMIT);
    c8_pool2d_desc p = {1, 1, 7, 7, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0};
    CU_ASSERT_EQUAL(c8_pool2d_desc_check("pool", &p, 1, &err), C8_OK); /* floor */
    p.p = p.q = 4;
    CU_ASSERT_EQUAL(c8_pool2d_desc_check("pool", &p, 1, &err), C8_OK); /* ceil */
    p.p = 5;
    CU_ASSERT_EQUAL(c8_pool2d_desc_check("pool", &p, 1, &err), C8_ERR_SHAPE);
    float mbad = 0.0f, mgood = 0.5f;
    c8_int8_epilogue ep = {C8_QOUT_INT8, NULL, &mbad, NULL, 0, {C8_QACT_NONE, 0, 0, 0}};
    CU_ASSERT_EQUAL(c8_int8_epilogue_check("L", &ep, 1, &err), C8_ERR_INVALID);
    ep.mult = &mgood;
    CU_ASSERT_EQUAL(c8_int8_epilogue_check("L", &ep, 1, &err), C8_OK);
    ep.act.kind = C8_QACT_SIGMOID;
    CU_ASSERT_EQUAL(c8_int8_epilogue_check("L", &ep, 1, &err), C8_ERR_UNSUPPORTED);
    ep.out = C8_QOUT_FLOAT;
    CU_ASSERT_EQUAL(c8_int8_epilogue_check("L", &ep, 1, &err), C8_OK);
    int8_t r = 0;
    ep.residual = &r;
    ep.res_mult = INFINITY;
    CU_ASSERT_EQUAL(c8_int8_epilogue_check("L", &ep, 1, &err), C8_ERR_INVALID);
}

static const c8_test_case cases[] = {
    {"conv2d: table of odd shapes vs im2col+GEMM", test_conv_table},
    {"conv2d: random sweep vs im2col+GEMM", test_conv_random},
    {"gemm / matmul, both weight layouts", test_gemm},
    {"gemm: int32 accumulator bound is tight and safe", test_gemm_accumulator_bound},
    {"matmul of two activations (broadcast batches) vs int64 sums and the gemm", test_matmul},
    {"maxpool / avgpool vs padded-buffer reference", test_pool},
    {"global average pool", test_global_avgpool},
    {"add with rescale", test_add},
    {"mul by a float factor", test_mul},
    {"concat with equal and different scales", test_concat},
    {"quantize / dequantize / requantize kernels", test_quantize_kernels},
    {"descriptor and epilogue validation", test_checks},
};
C8T_MAIN("int8_ref", cases)
