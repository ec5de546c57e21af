/* kernels/cpu/fp16_round.h (F16C where the CPU has it) against the reference's integer rounding
 * (kernels/ref/fp16.h, itself tested against float64 in tests/kernels/test_fp16.c), bit for bit:
 * every binary16 value and the float32 patterns within 3 ulps of it, every midpoint between two
 * adjacent binary16 values (the ties) and 2 ulps either side, NaN payloads, +-Inf, values past
 * the largest half, float32 subnormals, and random float32 bit patterns; buffer lengths that leave
 * a scalar tail, and in place. */
#include "c8test.h"

#include "kernels/cpu/fp16_round.h"
#include "kernels/ref/fp16.h"

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Rounds src (n values) out of place and in place; 1 when both match the reference bitwise. */
static int check(const float *src, size_t n) {
    float *out = malloc(n * sizeof *out), *inplace = malloc(n * sizeof *inplace);
    memcpy(inplace, src, n * sizeof *src);
    c8_cpu_fp16_round(src, out, n);
    c8_cpu_fp16_round(inplace, inplace, n);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        uint32_t want = bits(c8_fp16_round(src[i]));
        if (bits(out[i]) != want || bits(inplace[i]) != want) {
            printf("\n  input 0x%08x: got 0x%08x / 0x%08x, want 0x%08x\n", bits(src[i]),
                   bits(out[i]), bits(inplace[i]), want);
            ok = 0;
        }
    }
    free(out);
    free(inplace);
    return ok;
}

static void test_every_half(void) {
    size_t n = 0, cap = 65536 * 7 * 2 + 16;
    float *v = malloc(cap * sizeof *v);
    for (uint32_t h = 0; h < 65536; h++) {
        uint32_t b = bits(c8_fp16_to_f32((uint16_t)h));
        for (int d = -3; d <= 3; d++) v[n++] = from_bits(b + (uint32_t)d);
        /* the midpoint to the next half up in magnitude, and 2 ulps around it */
        if ((h & 0x7c00u) != 0x7c00u) {
            double a = c8_fp16_to_f32((uint16_t)h), c = c8_fp16_to_f32((uint16_t)(h + 1));
            float mid = (float)((a + c) / 2); /* exact: halves have 11 significant bits */
            for (int d = -2; d <= 2; d++) v[n++] = from_bits(bits(mid) + (uint32_t)d);
        }
    }
    CU_ASSERT(n <= cap);
    CU_ASSERT(check(v, n));
    CU_ASSERT(check(v, n - 5)); /* a scalar tail */
    free(v);
}

static void test_specials_and_random(void) {
    static const uint32_t sp[] = {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u, 0x7f800001u,
                                  0x7fbfffffu, 0x477fe000u, 0x477fefffu, 0x477ff000u, 0x47800000u,
                                  0x7f7fffffu, 0x00000001u, 0x807fffffu, 0x33000000u, 0x33000001u,
                                  0xb3000000u, 0x387fc000u, 0x38800000u, 0x00000000u, 0x80000000u};
    float s[sizeof sp / sizeof sp[0]];
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) s[i] = from_bits(sp[i]);
    CU_ASSERT(check(s, sizeof sp / sizeof sp[0]));
    c8t_rng r = {11};
    const size_t n = (size_t)1 << 20;
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = from_bits((uint32_t)(c8t_next(&r) >> 32));
    CU_ASSERT(check(v, n));
    free(v);
}

static const c8_test_case cases[] = {
    {"every_half", test_every_half},
    {"specials_and_random", test_specials_and_random},
};
C8T_MAIN("fp16_round", cases)
