/* Tests for kernels/ref/fp16.h: every binary16 value decodes exactly and round-trips; float32 ->
 * binary16 agrees with an independent float64 nearest-even reference on every tie between
 * adjacent halves, their neighbours, a strided sweep of all float32 bit patterns and random
 * floats; overflow, subnormals, signed zeros, inf and NaN. */
#include "c8test.h"

#include "kernels/ref/fp16.h"

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

/* Independent decode of binary16 bits to double with ldexp (NaN for NaNs). */
static double ref_decode(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 31) return m ? NAN : sign * INFINITY;
    if (e == 0) return sign * ldexp((double)m, -24);
    return sign * ldexp((double)(1024 + m), e - 25);
}

/* Independent float -> half value in double: scale |f| to the half grid with frexp, round the
 * (exact) grid count to nearest even, overflow at >= 65520 (round-to-nearest with unbounded
 * exponent reaching 2^16). Returns the signed double value of the half (+-inf on overflow). */
static double ref_round_to_half(float f) {
    double v = fabs((double)f), sign = signbit(f) ? -1.0 : 1.0;
    if (isinf(v)) return sign * INFINITY;
    if (v >= 65520.0) return sign * INFINITY;
    if (v == 0.0) return sign * 0.0;
    int ex;
    frexp(v, &ex); /* v = mant * 2^ex, mant in [0.5, 1) */
    /* quantum: 2^(ex - 11) for normals (11 significant bits), 2^-24 below 2^-14 */
    int qexp = ex - 11 < -24 ? -24 : ex - 11;
    double n = ldexp(v, -qexp); /* exact: v has 24 bits, scaling by 2^k is exact */
    double fl = floor(n), frac = n - fl;
    if (frac > 0.5 || (frac == 0.5 && fmod(fl, 2.0) != 0.0)) fl += 1.0;
    double r = ldexp(fl, qexp);
    return sign * r;
}

static void test_all_halves_decode_and_roundtrip(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = c8_fp16_to_f32((uint16_t)h);
        double ref = ref_decode((uint16_t)h);
        if (isnan(ref)) {
            uint16_t back = c8_fp16_from_f32(f);
            int ok = isnan(f) && (back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0 &&
                     (back & 0x8000) == (h & 0x8000) && (back & 0x200);
            if (!ok && bad++ < 5) printf("\n  NaN half 0x%04x: f=%g back=0x%04x", h, f, back);
            continue;
        }
        uint16_t back = c8_fp16_from_f32(f);
        if ((double)f != ref || !!signbit(f) != !!signbit(ref) || back != h) {
            if (bad++ < 5)
                printf("\n  half 0x%04x: got %.9g (ref %.9g), back 0x%04x", h, f, ref, back);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static int check_one(float f, int *bad) {
    uint16_t h = c8_fp16_from_f32(f);
    double got = ref_decode(h), ref = ref_round_to_half(f);
    if (got != ref || !!signbit(got) != !!signbit(ref)) {
        if ((*bad)++ < 8)
            printf("\n  f=%a (0x%08x): got 0x%04x = %.9g, reference %.9g", f, fbits(f), h, got,
                   ref);
        return 0;
    }
    return 1;
}

static void test_ties_between_adjacent_halves(void) {
    int bad = 0;
    /* positive halves 0x0000..0x7bff and the "next" value 65536 (inf) */
    for (uint32_t h = 0; h <= 0x7bff; h++) {
        double a = ref_decode((uint16_t)h);
        double b = h == 0x7bff ? 65536.0 : ref_decode((uint16_t)(h + 1));
        float mid = (float)((a + b) / 2); /* exact: 12 significant bits */
        CU_ASSERT_EQUAL_FATAL((double)mid, (a + b) / 2);
        for (int sgn = 0; sgn < 2; sgn++) {
            float m = sgn ? -mid : mid;
            uint16_t want = (uint16_t)((h & 1) ? h + 1 : h); /* the even neighbour */
            if (h == 0x7bff) want = 0x7c00;                  /* 65520 -> inf */
            want |= sgn ? 0x8000 : 0;
            uint16_t got = c8_fp16_from_f32(m);
            if (got != want && bad++ < 8)
                printf("\n  tie %a: got 0x%04x want 0x%04x", m, got, want);
            check_one(m, &bad);
            check_one(nextafterf(m, INFINITY), &bad);
            check_one(nextafterf(m, -INFINITY), &bad);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_sweep_and_random_floats(void) {
    int bad = 0;
    /* a strided sweep over all float32 bit patterns (every exponent, both signs) */
    for (uint64_t u = 0; u < 0x100000000ULL; u += 257) {
        float f = bitsf((uint32_t)u);
        if (isnan(f)) continue;
        check_one(f, &bad);
    }
    const uint64_t seed = 0xf16f16f16ULL;
    c8t_rng rng = {seed};
    for (int i = 0; i < 2000000; i++) {
        float f;
        if (i & 1)
            f = bitsf((uint32_t)c8t_next(&rng));
        else
            f = ldexpf(c8t_uniform(&rng, -1.0f, 1.0f), c8t_randint(&rng, -27, 17));
        if (isnan(f)) continue;
        check_one(f, &bad);
    }
    if (bad) printf("\n  seed 0x%llx", (unsigned long long)seed);
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_specials(void) {
    CU_ASSERT_EQUAL(c8_fp16_from_f32(0.0f), 0x0000);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(-0.0f), 0x8000);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(1.0f), 0x3c00);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(-2.0f), 0xc000);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(65504.0f), 0x7bff);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(65519.996f), 0x7bff);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(65520.0f), 0x7c00);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(-1e10f), 0xfc00);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(FLT_MAX), 0x7c00);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(INFINITY), 0x7c00);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(-INFINITY), 0xfc00);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(ldexpf(1.0f, -24)), 0x0001);  /* smallest subnormal */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(ldexpf(1.0f, -25)), 0x0000);  /* tie -> even (0) */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(-ldexpf(1.0f, -25)), 0x8000); /* sign kept */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(ldexpf(3.0f, -25)), 0x0002);    /* 1.5 units -> 2 */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(ldexpf(1.0f, -14)), 0x0400);    /* smallest normal */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(ldexpf(1023.5f, -24)), 0x0400); /* rounds up to normal */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(1e-30f), 0x0000);
    CU_ASSERT_EQUAL(c8_fp16_from_f32(ldexpf(1.0f, -149)), 0x0000); /* float subnormal */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(2049.0f), 0x6800); /* 2048 + 1: tie -> 2048 (even) */
    CU_ASSERT_EQUAL(c8_fp16_from_f32(2051.0f), 0x6802); /* tie -> 2052 (even) */
    uint16_t n = c8_fp16_from_f32(NAN);
    CU_ASSERT((n & 0x7c00) == 0x7c00 && (n & 0x3ff) != 0);
    CU_ASSERT(isnan(c8_fp16_to_f32(0x7e00)));
    CU_ASSERT(isinf(c8_fp16_to_f32(0xfc00)) && c8_fp16_to_f32(0xfc00) < 0);
    CU_ASSERT_EQUAL(c8_fp16_to_f32(0x0001), ldexpf(1.0f, -24));
    CU_ASSERT_EQUAL(c8_fp16_to_f32(0x3555), 0x1.554p-2f);
}

static void test_buffers(void) {
    float x[7] = {0.1f, -3.3f, 70000.0f, 1e-8f, -0.0f, 2049.0f, 1.0f / 3.0f};
    float y[7];
    uint16_t h[7];
    memcpy(y, x, sizeof x);
    c8_fp16_round_buf(y, 7);
    c8_fp16_from_f32_buf(x, h, 7);
    for (int i = 0; i < 7; i++) {
        CU_ASSERT_EQUAL(h[i], c8_fp16_from_f32(x[i]));
        CU_ASSERT_EQUAL(fbits(y[i]), fbits(c8_fp16_to_f32(h[i])));
        CU_ASSERT_EQUAL(fbits(y[i]), fbits(c8_fp16_round(x[i])));
    }
    float z[7];
    c8_fp16_to_f32_buf(h, z, 7);
    CU_ASSERT_EQUAL(memcmp(z, y, sizeof z), 0);
    CU_ASSERT_EQUAL(y[0], 0x1.998p-4f); /* 0.1 -> 0.0999755859375 */
    CU_ASSERT(isinf(y[2]));
    CU_ASSERT_EQUAL(y[5], 2048.0f);
    CU_ASSERT(signbit(y[4]));
}

static const c8_test_case cases[] = {
    {"all 65536 halves decode exactly and round-trip", test_all_halves_decode_and_roundtrip},
    {"every tie between adjacent halves, and neighbours", test_ties_between_adjacent_halves},
    {"strided sweep of float32 and random floats vs float64", test_sweep_and_random_floats},
    {"overflow, subnormals, zeros, inf, NaN", test_specials},
    {"buffer helpers", test_buffers},
};
C8T_MAIN("fp16", cases)
