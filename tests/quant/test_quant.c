/* Tests for the INT8 semantics in include/calib8/quant.h and the build-time helpers in quant/:
 * rounding (sweeps against libm's rintf), quantize/dequantize, scale validation, per-channel
 * weight scales and weights, int32 biases (ties, saturation), multipliers, fused activations,
 * epilogue edge cases, the worked example of docs/int8-semantics.md, and layout conversions. */
#include "c8test.h"

#include "calib8/quant.h"

#include <float.h>
#include <math.h>

static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float bitsf(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Independent rounding: libm rintf under the default rounding mode (nearest even), clamped. */
static int ref_rne_sat(float y) {
    if (isnan(y)) return 0;
    if (y >= 127.0f) return 127;
    if (y <= -127.0f) return -127;
    float r = rintf(y);
    return r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r;
}

static void test_rne_sweep(void) {
    int bad = 0;
    for (uint64_t u = 0; u < 0x100000000ULL; u += 251) {
        float y = bitsf((uint32_t)u);
        int got = c8_quant_rne_sat127(y), want = ref_rne_sat(y);
        if (got != want && bad++ < 5) printf("\n  y=%a got %d want %d", y, got, want);
    }
    /* every float within 64 ulps of each integer and half-integer in [-130, 130] */
    for (int k = -260; k <= 260; k++) {
        float c = (float)k * 0.5f;
        float y = c;
        for (int i = 0; i < 64; i++) y = nextafterf(y, -INFINITY);
        for (int i = 0; i < 129; i++, y = nextafterf(y, INFINITY)) {
            int got = c8_quant_rne_sat127(y), want = ref_rne_sat(y);
            if (got != want && bad++ < 10) printf("\n  y=%a got %d want %d", y, got, want);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_rne_edges(void) {
    static const struct {
        float y;
        int q;
    } t[] = {{0.5f, 0},          {1.5f, 2},       {2.5f, 2},        {-0.5f, 0},
             {-1.5f, -2},        {-2.5f, -2},     {3.5f, 4},        {-3.5f, -4},
             {126.5f, 126},      {-126.5f, -126}, {125.5f, 126},    {127.0f, 127},
             {127.4f, 127},      {127.5f, 127},   {128.0f, 127},    {-127.5f, -127},
             {-128.0f, -127},    {-128.5f, -127}, {1e30f, 127},     {-1e30f, -127},
             {0.0f, 0},          {-0.0f, 0},      {0.49999997f, 0}, {0.50000006f, 1},
             {-0.50000006f, -1}, {1e-45f, 0},     {-1e-45f, 0},     {2.4999998f, 2}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = c8_quant_rne_sat127(t[i].y);
        if (got != t[i].q) printf("\n  y=%a got %d want %d", t[i].y, got, t[i].q);
        CU_ASSERT_EQUAL(got, t[i].q);
    }
    CU_ASSERT_EQUAL(c8_quant_rne_sat127(INFINITY), 127);
    CU_ASSERT_EQUAL(c8_quant_rne_sat127(-INFINITY), -127);
    CU_ASSERT_EQUAL(c8_quant_rne_sat127(NAN), 0);
    CU_ASSERT_EQUAL(c8_quant_rne_sat127(-NAN), 0);
    /* quantize: NaN -> 0, +-inf and overflow saturate, never -128 */
    float inv = c8_quant_inv_scale(0.1f);
    CU_ASSERT_EQUAL(c8_quant_quantize(NAN, inv), 0);
    CU_ASSERT_EQUAL(c8_quant_quantize(INFINITY, inv), 127);
    CU_ASSERT_EQUAL(c8_quant_quantize(-INFINITY, inv), -127);
    CU_ASSERT_EQUAL(c8_quant_quantize(-12.8f, inv), -127);
    CU_ASSERT_EQUAL(c8_quant_quantize(-FLT_MAX, c8_quant_inv_scale(FLT_MIN)), -127);
    CU_ASSERT_EQUAL(c8_quant_requantize(-100000, 1.0f), -127);
    CU_ASSERT_EQUAL(c8_quant_requantize(INT32_MIN + 1, 1.0f), -127);
    CU_ASSERT_EQUAL(c8_quant_requantize(INT32_MAX, 1.0f), 127);
}

static void test_quantize_dequantize_roundtrip(void) {
    const uint64_t seed = 1234;
    c8t_rng rng = {seed};
    int bad = 0;
    for (int t = 0; t < 2000; t++) {
        float s = ldexpf(c8t_uniform(&rng, 0.5f, 1.0f), c8t_randint(&rng, -40, 40));
        float inv = c8_quant_inv_scale(s);
        CU_ASSERT_EQUAL(fbits(inv), fbits(1.0f / s));
        for (int q = -127; q <= 127; q++) {
            float x = c8_quant_dequantize(q, s);
            if (x != (float)q * s || c8_quant_quantize(x, inv) != q) {
                if (bad++ < 5) printf("\n  seed %llu s=%a q=%d", (unsigned long long)seed, s, q);
            }
        }
        /* quantize matches the independent formula on random values */
        for (int i = 0; i < 64; i++) {
            float x = c8t_uniform(&rng, -150.0f, 150.0f) * s;
            float y = x * inv;
            if (c8_quant_quantize(x, inv) != ref_rne_sat(y) && bad++ < 10)
                printf("\n  seed %llu x=%a", (unsigned long long)seed, x);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_check_scale(void) {
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_quant_check_scale("t", 0.5f, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_check_scale("t", FLT_MIN, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_check_scale("t", FLT_MAX, &err), C8_OK);
    const float bad[] = {0.0f, -0.0f, -1.0f, INFINITY, -INFINITY, NAN, FLT_MIN / 2, 1e-45f};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        CU_ASSERT_EQUAL(c8_quant_check_scale("conv1_out", bad[i], &err), C8_ERR_INVALID);
        CU_ASSERT_EQUAL(err.code, C8_ERR_INVALID);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'conv1_out'"));
    }
    CU_ASSERT_EQUAL(c8_quant_check_scale(NULL, 0.0f, NULL), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_check_reduce_len("L", C8_QUANT_MAX_K, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_check_reduce_len("L", C8_QUANT_MAX_K + 1, &err), C8_ERR_LIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "133145"));
    CU_ASSERT_EQUAL(c8_quant_check_reduce_len("L", 0, &err), C8_ERR_LIMIT);
    /* the constants are the exact bounds */
    CU_ASSERT((int64_t)127 * 127 * C8_QUANT_MAX_K <= INT32_MAX);
    CU_ASSERT((int64_t)127 * 127 * (C8_QUANT_MAX_K + 1) > INT32_MAX);
    CU_ASSERT((int64_t)127 * C8_QUANT_MAX_POOL_COUNT <= INT32_MAX);
    CU_ASSERT((int64_t)127 * (C8_QUANT_MAX_POOL_COUNT + 1) > INT32_MAX);
    CU_ASSERT_EQUAL(c8_quant_check_pool_count("P", C8_QUANT_MAX_POOL_COUNT, &err), C8_OK);
    CU_ASSERT_EQUAL(c8_quant_check_pool_count("P", C8_QUANT_MAX_POOL_COUNT + 1, &err),
                    C8_ERR_LIMIT);
    CU_ASSERT_EQUAL(c8_quant_bias_limit(1), INT32_MAX - 16129);
    CU_ASSERT_EQUAL(c8_quant_bias_limit(C8_QUANT_MAX_K), 4071);
}

/* Independent per-channel weight quantization in float64: absmax / 127 rounded once to float
 * (double rounding of a quotient of floats is innocuous), q = rint((float)(w / s)). */
static void ref_weights(const float *w, int64_t outer, int64_t ch, int64_t inner, float *s,
                        int8_t *q) {
    for (int64_t k = 0; k < ch; k++) {
        double m = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) m = fmax(m, fabs(w[(o * ch + k) * inner + i]));
        float sk = (float)(m / 127.0);
        s[k] = sk < FLT_MIN ? 1.0f : sk;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < ch; k++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t j = (o * ch + k) * inner + i;
                double r = rint((double)(float)((double)w[j] / (double)s[k]));
                q[j] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
            }
}

static void test_weights(void) {
    const uint64_t seed = 77;
    c8t_rng rng = {seed};
    static const int64_t views[][3] = {{1, 1, 1},   {1, 7, 27}, {1, 33, 9},  {1, 129, 3},
                                       {31, 33, 1}, {3, 7, 5},  {1, 3, 147}, {127, 129, 1}};
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
        int64_t outer = views[v][0], ch = views[v][1], inner = views[v][2];
        int64_t n = outer * ch * inner;
        float *w = malloc(sizeof(float) * n), *s = malloc(sizeof(float) * ch),
              *rs = malloc(sizeof(float) * ch);
        int8_t *q = malloc(n), *rq = malloc(n);
        float mag = ldexpf(1.0f, c8t_randint(&rng, -12, 6));
        for (int64_t i = 0; i < n; i++) w[i] = c8t_uniform(&rng, -mag, mag);
        if (ch > 2) /* a zero channel and a channel with a subnormal-scale absmax */
            for (int64_t o = 0; o < outer; o++)
                for (int64_t i = 0; i < inner; i++) {
                    w[(o * ch + 1) * inner + i] = 0.0f;
                    w[(o * ch + 2) * inner + i] = (i & 1) ? 1e-37f : -3e-38f;
                }
        c8_error err = {0};
        int64_t nz = -1;
        CU_ASSERT_EQUAL_FATAL(c8_quant_weight_scales("w", w, outer, ch, inner, s, &nz, &err),
                              C8_OK);
        CU_ASSERT_EQUAL_FATAL(c8_quant_weights("w", w, outer, ch, inner, s, q, &err), C8_OK);
        ref_weights(w, outer, ch, inner, rs, rq);
        CU_ASSERT_EQUAL(nz, ch > 2 ? 2 : 0);
        int bad = 0;
        for (int64_t k = 0; k < ch; k++) bad += fbits(s[k]) != fbits(rs[k]);
        for (int64_t i = 0; i < n; i++) bad += q[i] != rq[i];
        /* each non-zero channel reaches +-127 exactly at its absmax; zero channels are all 0 */
        for (int64_t k = 0; k < ch; k++) {
            int mx = 0;
            for (int64_t o = 0; o < outer; o++)
                for (int64_t i = 0; i < inner; i++) {
                    int a = abs(q[(o * ch + k) * inner + i]);
                    mx = a > mx ? a : mx;
                }
            int zero = ch > 2 && (k == 1 || k == 2);
            bad += zero ? (mx != 0 || s[k] != 1.0f) : mx != 127;
        }
        if (bad) printf("\n  seed %llu view %zu: %d mismatches", (unsigned long long)seed, v, bad);
        CU_ASSERT_EQUAL(bad, 0);
        free(w), free(s), free(rs), free(q), free(rq);
    }
    /* NaN / Inf weights are rejected, naming the tensor, channel and index */
    float w[6] = {1, 2, 3, 4, NAN, 6}, s[2];
    int8_t q[6];
    c8_error err = {0};
    CU_ASSERT_EQUAL(c8_quant_weight_scales("fc.weight", w, 1, 2, 3, s, NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'fc.weight'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NaN"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "channel 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "index 4"));
    w[4] = -INFINITY;
    CU_ASSERT_EQUAL(c8_quant_weight_scales("fc.weight", w, 1, 2, 3, s, NULL, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "infinite"));
    s[0] = s[1] = 0.1f;
    CU_ASSERT_EQUAL(c8_quant_weights("fc.weight", w, 1, 2, 3, s, q, &err), C8_ERR_INVALID);
    w[4] = 5;
    s[1] = 0.0f;
    CU_ASSERT_EQUAL(c8_quant_weights("fc.weight", w, 1, 2, 3, s, q, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_weight_scales("fc.weight", w, 1, 0, 3, s, NULL, &err), C8_ERR_SHAPE);
    /* the weight tie of the worked example: 0.5 / (1/127) is 63.5 in float32 -> 64 (even) */
    float s0 = 1.0f / 127.0f;
    CU_ASSERT_EQUAL(0.5f / s0, 63.5f);
    CU_ASSERT_EQUAL(c8_quant_weight(0.5f, s0), 64);
    CU_ASSERT_EQUAL(c8_quant_weight(-0.5f, s0), -64);
    CU_ASSERT_EQUAL(c8_quant_weight(1.0f, s0), 127);
}

static void test_bias(void) {
    c8_error err = {0};
    /* exact ties with power-of-two scales: b / (s_in * s_w) = +-2.5, +-3.5, 0.5 */
    float b[6] = {2.5f * 0.0625f,  -2.5f * 0.0625f, 3.5f * 0.0625f,
                  -3.5f * 0.0625f, 0.5f * 0.0625f,  1e9f};
    float sw[6] = {0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f};
    int32_t bq[6];
    int64_t nsat = -1;
    CU_ASSERT_EQUAL_FATAL(c8_quant_bias("b", b, 6, 0.25f, sw, 9, bq, &nsat, &err), C8_OK);
    CU_ASSERT_EQUAL(bq[0], 2);
    CU_ASSERT_EQUAL(bq[1], -2);
    CU_ASSERT_EQUAL(bq[2], 4);
    CU_ASSERT_EQUAL(bq[3], -4);
    CU_ASSERT_EQUAL(bq[4], 0);
    CU_ASSERT_EQUAL(bq[5], c8_quant_bias_limit(9)); /* 1.6e10 saturates */
    CU_ASSERT_EQUAL(nsat, 1);
    /* saturation by tiny scales, both signs, and at the exact limit */
    float b2[4] = {1.0f, -1.0f, 0.0f, 0.0f};
    float sw2[4] = {1e-30f, 1e-30f, 1e-30f, 1e-30f};
    int32_t lim = c8_quant_bias_limit(C8_QUANT_MAX_K);
    b2[2] = (float)lim * 1e-30f * 1e-3f; /* roughly lim: checked against the reference below */
    CU_ASSERT_EQUAL_FATAL(c8_quant_bias("b2", b2, 4, 1e-3f, sw2, C8_QUANT_MAX_K, bq, &nsat, &err),
                          C8_OK);
    CU_ASSERT_EQUAL(bq[0], lim);
    CU_ASSERT_EQUAL(bq[1], -lim);
    CU_ASSERT_EQUAL(bq[3], 0);
    double v = (double)b2[2] / ((double)1e-3f * (double)1e-30f);
    int64_t r = (int64_t)nearbyint(v);
    CU_ASSERT_EQUAL(bq[2], r > lim ? lim : r);
    CU_ASSERT_EQUAL(nsat, 2 + (r > lim));
    /* random biases against libm nearbyint in float64 */
    const uint64_t seed = 99;
    c8t_rng rng = {seed};
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        float bb = c8t_uniform(&rng, -10.0f, 10.0f);
        float si = ldexpf(c8t_uniform(&rng, 0.5f, 1.0f), c8t_randint(&rng, -12, 0));
        float s = ldexpf(c8t_uniform(&rng, 0.5f, 1.0f), c8t_randint(&rng, -14, 0));
        int32_t got;
        CU_ASSERT_EQUAL_FATAL(c8_quant_bias("r", &bb, 1, si, &s, 1000, &got, NULL, &err), C8_OK);
        double want = nearbyint((double)bb / ((double)si * (double)s));
        int32_t l = c8_quant_bias_limit(1000);
        want = want > l ? l : want < -l ? -l : want;
        if (got != (int32_t)want && bad++ < 5)
            printf("\n  seed %llu b=%a s_in=%a s_w=%a got %d want %.1f", (unsigned long long)seed,
                   bb, si, s, got, want);
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* errors */
    float nb = NAN, one = 1.0f;
    CU_ASSERT_EQUAL(c8_quant_bias("conv.bias", &nb, 1, 0.1f, &one, 9, bq, NULL, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'conv.bias'"));
    CU_ASSERT_EQUAL(c8_quant_bias("conv.bias", &one, 1, 0.0f, &one, 9, bq, NULL, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_EQUAL(
        c8_quant_bias("conv.bias", &one, 1, 0.1f, &one, C8_QUANT_MAX_K + 1, bq, NULL, &err),
        C8_ERR_LIMIT);
}

static void test_multipliers(void) {
    c8_error err = {0};
    const uint64_t seed = 4242;
    c8t_rng rng = {seed};
    float sw[33], m[33], d[33];
    for (int i = 0; i < 33; i++)
        sw[i] = ldexpf(c8t_uniform(&rng, 0.5f, 1.0f), -c8t_randint(&rng, 4, 14));
    float s_in = 0.0371f, s_out = 0.0913f;
    CU_ASSERT_EQUAL_FATAL(c8_quant_requant_mults("L", s_in, sw, 33, s_out, m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_quant_dequant_mults("L", s_in, sw, 33, d, &err), C8_OK);
    for (int i = 0; i < 33; i++) {
        CU_ASSERT_EQUAL(fbits(m[i]), fbits((float)(((double)s_in * sw[i]) / s_out)));
        CU_ASSERT_EQUAL(fbits(d[i]), fbits((float)((double)s_in * sw[i])));
    }
    float r;
    CU_ASSERT_EQUAL(c8_quant_ratio("L", 0.5f, 0.25f, &r, &err), C8_OK);
    CU_ASSERT_EQUAL(r, 2.0f);
    CU_ASSERT_EQUAL(c8_quant_ratio("L", 0.1f, 0.1f, &r, &err), C8_OK);
    CU_ASSERT_EQUAL(r, 1.0f); /* equal scales: exact identity */
    CU_ASSERT_EQUAL(c8_quant_ratio("L", 0.1f, 0.3f, &r, &err), C8_OK);
    CU_ASSERT_EQUAL(fbits(r), fbits((float)((double)0.1f / (double)0.3f)));
    /* overflow, underflow and invalid scales are errors naming the layer */
    CU_ASSERT_EQUAL(c8_quant_ratio("res2a", 1e30f, 1e-30f, &r, &err), C8_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'res2a'"));
    CU_ASSERT_EQUAL(c8_quant_ratio("res2a", 1e-30f, 1e30f, &r, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_ratio("res2a", 0.0f, 1.0f, &r, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_ratio("res2a", 1.0f, NAN, &r, &err), C8_ERR_INVALID);
    float tiny = 1e-30f;
    CU_ASSERT_EQUAL(c8_quant_requant_mults("L", 1e-20f, &tiny, 1, 1e5f, m, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_dequant_mults("L", 1e-20f, &tiny, 1, d, &err), C8_ERR_INVALID);
    /* average-pool table */
    float t[50];
    CU_ASSERT_EQUAL_FATAL(c8_quant_avgpool_mults("pool", 0.07f, 0.05f, 49, t, &err), C8_OK);
    CU_ASSERT_EQUAL(t[0], 0.0f);
    for (int c = 1; c <= 49; c++)
        CU_ASSERT_EQUAL(fbits(t[c]), fbits((float)((double)0.07f / ((double)0.05f * c))));
    CU_ASSERT_EQUAL(c8_quant_avgpool_mults("pool", 0.07f, 0.05f, 0, t, &err), C8_ERR_LIMIT);
    /* the single multiplier is the table's entry, bit for bit */
    for (int64_t c = 1; c <= 49; c++) {
        float pm = -1.0f;
        CU_ASSERT_EQUAL_FATAL(c8_quant_avgpool_mult("pool", 0.07f, 0.05f, c, &pm, &err), C8_OK);
        CU_ASSERT_EQUAL(fbits(pm), fbits(t[c]));
    }
    float m1 = 0.0f;
    CU_ASSERT_EQUAL(c8_quant_avgpool_mult("pool", 0.07f, 0.05f, 0, &m1, &err), C8_ERR_LIMIT);
    CU_ASSERT_EQUAL(c8_quant_avgpool_mult("pool", 0.0f, 0.05f, 4, &m1, &err), C8_ERR_INVALID);
}

static void test_act_make(void) {
    c8_error err = {0};
    c8_quant_act a;
    CU_ASSERT_EQUAL_FATAL(
        c8_quant_act_make("L", C8_QACT_CLIP, 0.0f, 6.0f, 0, C8_QOUT_INT8, 0.05f, &a, &err), C8_OK);
    CU_ASSERT_EQUAL(a.kind, C8_QACT_CLIP);
    CU_ASSERT_EQUAL(a.lo, 0.0f);
    CU_ASSERT_EQUAL(fbits(a.hi), fbits((float)(6.0 / (double)0.05f)));
    CU_ASSERT_EQUAL_FATAL(
        c8_quant_act_make("L", C8_QACT_CLIP, -INFINITY, 2.0f, 0, C8_QOUT_INT8, 0.05f, &a, &err),
        C8_OK);
    CU_ASSERT(isinf(a.lo) && a.lo < 0);
    CU_ASSERT_EQUAL_FATAL(
        c8_quant_act_make("L", C8_QACT_CLIP, -1.0f, 6.0f, 0, C8_QOUT_FLOAT, 0.0f, &a, &err), C8_OK);
    CU_ASSERT(a.lo == -1.0f && a.hi == 6.0f);
    CU_ASSERT_EQUAL(
        c8_quant_act_make("L", C8_QACT_CLIP, 6.0f, 0.0f, 0, C8_QOUT_FLOAT, 0.0f, &a, &err),
        C8_ERR_INVALID);
    CU_ASSERT_EQUAL(
        c8_quant_act_make("sig1", C8_QACT_SIGMOID, 0, 0, 0, C8_QOUT_INT8, 0.1f, &a, &err),
        C8_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'sig1'"));
    CU_ASSERT_EQUAL(c8_quant_act_make("L", C8_QACT_SIGMOID, 0, 0, 0, C8_QOUT_FLOAT16, 0, &a, &err),
                    C8_OK);
    CU_ASSERT_EQUAL(
        c8_quant_act_make("L", C8_QACT_LEAKY_RELU, 0, 0, NAN, C8_QOUT_INT8, 0.1f, &a, &err),
        C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_act_make("L", C8_QACT_RELU, 0, 0, 0, C8_QOUT_INT8, INFINITY, &a, &err),
                    C8_ERR_INVALID);
    CU_ASSERT_EQUAL(
        c8_quant_act_make("L", (c8_quant_act_kind)9, 0, 0, 0, C8_QOUT_FLOAT, 0, &a, &err),
        C8_ERR_INVALID);
    /* hard-swish with the affine (2, 1), s_out 0.5: alpha 0.5, lo 2/6, hi 1/0.5 */
    CU_ASSERT_EQUAL_FATAL(
        c8_quant_act_make("hs", C8_QACT_HARDSWISH, 2.0f, 1.0f, 0, C8_QOUT_INT8, 0.5f, &a, &err),
        C8_OK);
    CU_ASSERT(a.alpha == 0.5f && a.lo == (float)(2.0 / 6.0) && a.hi == 2.0f);
    /* y = 4 units = 2.0 real: 2 * clip(5, 0, 6) / 6 = 5/3, * 2 + 1 = 13/3 real = 26/3 units,
     * 8.667 -> 9; y = -8 units = -4 real: clip(-1) = 0 -> b = 1 real = 2 units; y = 20 units =
     * 10 real: clip 6 -> 10, * 2 + 1 = 21 real = 42 units */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(4, 1.0f, 0, 0, 0, a), 9);
    CU_ASSERT(fabsf(c8_quant_epilogue_f32(4, 1.0f, 0, 0, 0, a) - 26.0f / 3.0f) < 1e-5f);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-8, 1.0f, 0, 0, 0, a), 2);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(20, 1.0f, 0, 0, 0, a), 42);
    CU_ASSERT_EQUAL_FATAL(
        c8_quant_act_make("hs", C8_QACT_HARDSWISH, 2.0f, 1.0f, 0, C8_QOUT_FLOAT, 0, &a, &err),
        C8_OK);
    CU_ASSERT(a.alpha == 1.0f && a.hi == 1.0f);
    CU_ASSERT(fabsf(c8_quant_epilogue_f32(2, 1.0f, 0, 0, 0, a) - 13.0f / 3.0f) < 1e-6f);
    CU_ASSERT_EQUAL(
        c8_quant_act_make("hs", C8_QACT_HARDSWISH, NAN, 1.0f, 0, C8_QOUT_FLOAT, 0, &a, &err),
        C8_ERR_INVALID);
}

static void test_epilogue_edges(void) {
    c8_quant_act none = {C8_QACT_NONE, 0, 0, 0}, relu = {C8_QACT_RELU, 0, 0, 0};
    c8_quant_act clip = {C8_QACT_CLIP, -10.0f, 100.0f, 0}, leaky = {C8_QACT_LEAKY_RELU, 0, 0, 0.1f};
    /* ties through the multiplier go to even */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(5, 0.5f, 0, 0, 0, none), 2);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(7, 0.5f, 0, 0, 0, none), 4);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-5, 0.5f, 0, 0, 0, none), -2);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-7, 0.5f, 0, 0, 0, none), -4);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(253, 0.5f, 0, 0, 0, none), 126); /* 126.5 -> 126 */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(255, 0.5f, 0, 0, 0, none), 127); /* 127.5 saturates */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-255, 0.5f, 0, 0, 0, none), -127);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-1000000, 1.0f, 0, 0, 0, none), -127); /* never -128 */
    /* residual: y = acc*M + r*M_r, two products then one sum */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(3, 0.5f, 1, 2, 0.5f, none), 2); /* 2.5 -> 2 */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(3, 0.5f, 1, 4, 0.5f, none), 4); /* 3.5 -> 4 */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(100, 1.0f, 1, 100, 1.0f, none), 127);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-100, 1.0f, 1, -127, 1.0f, relu), 0);
    /* activations in output units */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-20, 1.0f, 0, 0, 0, relu), 0);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-20, 1.0f, 0, 0, 0, clip), -10);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(120, 1.0f, 0, 0, 0, clip), 100);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-25, 1.0f, 0, 0, 0, leaky), -2); /* -2.5 -> -2 */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(-35, 1.0f, 0, 0, 0, leaky), -4); /* -3.5 -> -4 */
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(25, 1.0f, 0, 0, 0, leaky), 25);
    /* float output: ReLU turns -0 into +0; Leaky keeps its product rounding */
    float y = c8_quant_act_apply(-0.0f, relu);
    CU_ASSERT(y == 0.0f && !signbit(y));
    CU_ASSERT_EQUAL(fbits(c8_quant_epilogue_f32(-3, 0.1f, 0, 0, 0, leaky)),
                    fbits((-3.0f * 0.1f) * 0.1f));
    CU_ASSERT_EQUAL(fbits(c8_quant_epilogue_f32(7, 0.3f, 1, -5, 0.7f, none)),
                    fbits(7.0f * 0.3f + -5.0f * 0.7f));
    /* large accumulators round through float: (float)2^31-1 = 2^31 */
    CU_ASSERT_EQUAL(c8_quant_epilogue_f32(INT32_MAX, 1.0f, 0, 0, 0, none), 2147483648.0f);
    /* add = epilogue with acc = qa */
    CU_ASSERT_EQUAL(c8_quant_add_i8(3, 0.5f, 4, 0.5f, none), 4);
    CU_ASSERT_EQUAL(c8_quant_add_i8(-127, 1.0f, -127, 1.0f, none), -127);
    CU_ASSERT_EQUAL(c8_quant_add_i8(-3, 1.0f, 1, 0.5f, relu), 0);
    /* sigmoid (float output only): a tolerance, libm differs across devices */
    c8_quant_act sig = {C8_QACT_SIGMOID, 0, 0, 0};
    CU_ASSERT_DOUBLE_EQUAL(c8_quant_epilogue_f32(2, 0.5f, 0, 0, 0, sig), 1 / (1 + exp(-1.0)), 1e-6);
}

/* The worked example of docs/int8-semantics.md ("Worked example"), value by value. */
static void test_worked_example(void) {
    c8_error err = {0};
    const float s_in = 0.02f, s_out = 0.05f;
    const float x[4] = {0.5f, -0.31f, 1.27f, 3.0f};
    const float w[3][4] = {{0.5f, -1.0f, 0.25f, 0.125f}, {0, 0, 0, 0}, {0.1f, 0.2f, -0.3f, 0.05f}};
    const float b[3] = {0.1f, -0.2f, -0.05f};
    /* step 1: quantize the input */
    float inv = c8_quant_inv_scale(s_in);
    CU_ASSERT_EQUAL(inv, 50.0f);
    CU_ASSERT_EQUAL(x[1] * inv, -15.5f);
    CU_ASSERT_EQUAL(x[2] * inv, 63.5f);
    int8_t xq[4];
    for (int i = 0; i < 4; i++) xq[i] = c8_quant_quantize(x[i], inv);
    CU_ASSERT(xq[0] == 25 && xq[1] == -16 && xq[2] == 64 && xq[3] == 127);
    /* step 2: weights */
    float sw[3];
    int8_t wq[3][4];
    int64_t nz;
    CU_ASSERT_EQUAL_FATAL(c8_quant_weight_scales("w", &w[0][0], 1, 3, 4, sw, &nz, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_quant_weights("w", &w[0][0], 1, 3, 4, sw, &wq[0][0], &err), C8_OK);
    CU_ASSERT_EQUAL(nz, 1);
    CU_ASSERT_EQUAL(sw[0], 0x1.020408p-7f);
    CU_ASSERT_EQUAL(sw[1], 1.0f);
    CU_ASSERT_EQUAL(sw[2], 0x1.359e7p-9f);
    static const int8_t wq_want[3][4] = {{64, -127, 32, 16}, {0, 0, 0, 0}, {42, 85, -127, 21}};
    CU_ASSERT_EQUAL(memcmp(wq, wq_want, sizeof wq), 0);
    /* step 3: biases */
    int32_t bq[3];
    CU_ASSERT_EQUAL_FATAL(c8_quant_bias("b", b, 3, s_in, sw, 4, bq, NULL, &err), C8_OK);
    CU_ASSERT(bq[0] == 635 && bq[1] == -10 && bq[2] == -1058);
    /* step 4: accumulators */
    int32_t acc[3];
    for (int k = 0; k < 3; k++) {
        acc[k] = bq[k];
        for (int i = 0; i < 4; i++) acc[k] += xq[i] * wq[k][i];
    }
    CU_ASSERT(acc[0] == 8347 && acc[1] == -10 && acc[2] == -6829);
    /* step 5: multipliers and the int8 epilogue, without and with ReLU */
    float m[3], d[3];
    CU_ASSERT_EQUAL_FATAL(c8_quant_requant_mults("fc", s_in, sw, 3, s_out, m, &err), C8_OK);
    CU_ASSERT_EQUAL_FATAL(c8_quant_dequant_mults("fc", s_in, sw, 3, d, &err), C8_OK);
    CU_ASSERT(m[0] == 0x1.9cd33ep-9f && m[1] == 0x1.999998p-2f && m[2] == 0x1.ef63e6p-11f);
    c8_quant_act none = {C8_QACT_NONE, 0, 0, 0}, relu = {C8_QACT_RELU, 0, 0, 0};
    CU_ASSERT_EQUAL(c8_quant_epilogue_f32(acc[0], m[0], 0, 0, 0, none), 0x1.a4a2dep+4f);
    CU_ASSERT_EQUAL(c8_quant_epilogue_f32(acc[1], m[1], 0, 0, 0, none), -0x1.fffffep+1f);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(acc[0], m[0], 0, 0, 0, none), 26);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(acc[1], m[1], 0, 0, 0, none), -4);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(acc[2], m[2], 0, 0, 0, none), -6);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(acc[0], m[0], 0, 0, 0, relu), 26);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(acc[1], m[1], 0, 0, 0, relu), 0);
    CU_ASSERT_EQUAL(c8_quant_epilogue_i8(acc[2], m[2], 0, 0, 0, relu), 0);
    /* float output: D_0 = s_in * s_w,0 */
    CU_ASSERT_EQUAL(fbits(c8_quant_epilogue_f32(acc[0], d[0], 0, 0, 0, none)),
                    fbits(1.314488172531128f));
}

static void test_layouts(void) {
    const uint64_t seed = 5;
    c8t_rng rng = {seed};
    static const int64_t shapes[][4] = {{1, 1, 1, 1},   {1, 3, 7, 5},  {3, 33, 3, 3},
                                        {2, 129, 1, 7}, {1, 32, 2, 2}, {1, 4, 3, 1}};
    static const int64_t xs[] = {1, 4, 16, 32};
    c8_error err = {0};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (size_t xi = 0; xi < 4; xi++) {
            int64_t n = shapes[si][0], c = shapes[si][1], h = shapes[si][2], w = shapes[si][3];
            int64_t x = xs[xi], cp = (c + x - 1) / x * x;
            CU_ASSERT_EQUAL(c8_quant_round_up(c, x), cp);
            size_t nel = (size_t)(n * c * h * w), npad = (size_t)(n * cp * h * w);
            int8_t *a = malloc(nel), *p = malloc(npad), *back = malloc(nel);
            for (size_t i = 0; i < nel; i++) a[i] = (int8_t)c8t_randint(&rng, -127, 127);
            int bad = 0;
            /* NHWC_Cx */
            memset(p, 0x5a, npad);
            CU_ASSERT_EQUAL_FATAL(c8_quant_nchw_to_nhwc(n, c, h, w, x, a, p, &err), C8_OK);
            for (int64_t in = 0; in < n; in++)
                for (int64_t ic = 0; ic < cp; ic++)
                    for (int64_t ih = 0; ih < h; ih++)
                        for (int64_t iw = 0; iw < w; iw++) {
                            int8_t want = ic < c ? a[((in * c + ic) * h + ih) * w + iw] : 0;
                            bad += p[in * h * w * cp + ih * w * cp + iw * cp + ic] != want;
                        }
            memset(back, 0, nel);
            CU_ASSERT_EQUAL_FATAL(c8_quant_nhwc_to_nchw(n, c, h, w, x, p, back, &err), C8_OK);
            bad += memcmp(a, back, nel) != 0;
            /* NC/xHWx */
            memset(p, 0x5a, npad);
            CU_ASSERT_EQUAL_FATAL(c8_quant_nchw_to_ncxhwx(n, c, h, w, x, a, p, &err), C8_OK);
            for (int64_t in = 0; in < n; in++)
                for (int64_t ic = 0; ic < cp; ic++)
                    for (int64_t ih = 0; ih < h; ih++)
                        for (int64_t iw = 0; iw < w; iw++) {
                            int8_t want = ic < c ? a[((in * c + ic) * h + ih) * w + iw] : 0;
                            int64_t off = in * cp * h * w + (ic / x) * h * w * x + ih * w * x +
                                          iw * x + ic % x;
                            bad += p[off] != want;
                        }
            memset(back, 0, nel);
            CU_ASSERT_EQUAL_FATAL(c8_quant_ncxhwx_to_nchw(n, c, h, w, x, p, back, &err), C8_OK);
            bad += memcmp(a, back, nel) != 0;
            /* KRSC_Cx weights: treat (n, c, h, w) as (K, C/g, R, S) */
            memset(p, 0x5a, npad);
            CU_ASSERT_EQUAL_FATAL(c8_quant_kcrs_to_krsc(n, c, h, w, x, a, p, &err), C8_OK);
            for (int64_t k = 0; k < n; k++)
                for (int64_t ic = 0; ic < cp; ic++)
                    for (int64_t r = 0; r < h; r++)
                        for (int64_t s = 0; s < w; s++) {
                            int8_t want = ic < c ? a[((k * c + ic) * h + r) * w + s] : 0;
                            bad += p[((k * h + r) * w + s) * cp + ic] != want;
                        }
            if (bad)
                printf("\n  seed %llu shape %zu x=%lld", (unsigned long long)seed, si,
                       (long long)x);
            CU_ASSERT_EQUAL(bad, 0);
            free(a), free(p), free(back);
        }
    int8_t d1[1] = {0}, d2[4];
    CU_ASSERT_EQUAL(c8_quant_nchw_to_nhwc(1, 0, 1, 1, 4, d1, d2, &err), C8_ERR_INVALID);
    CU_ASSERT_EQUAL(c8_quant_nchw_to_ncxhwx(1, 1, 1, 1, 0, d1, d2, &err), C8_ERR_INVALID);
}

static const c8_test_case cases[] = {
    {"rne_sat127 vs rintf: strided sweep and every float near each tie", test_rne_sweep},
    {"rne_sat127 edge values: ties, saturation, never -128, NaN, inf", test_rne_edges},
    {"quantize / dequantize round trip and formula", test_quantize_dequantize_roundtrip},
    {"scale, K and pool-count validation", test_check_scale},
    {"per-channel weight scales and weights, zero channels, NaN/Inf", test_weights},
    {"int32 bias: ties, saturation, errors, random vs float64", test_bias},
    {"requant / dequant / ratio / avgpool multipliers", test_multipliers},
    {"fused activation parameters", test_act_make},
    {"epilogue: ties, saturation, residual, ReLU/Clip/Leaky, Add", test_epilogue_edges},
    {"docs/int8-semantics.md worked example", test_worked_example},
    {"NHWC_Cx, NC/xHWx, KRSC_Cx layouts", test_layouts},
};
C8T_MAIN("quant", cases)
