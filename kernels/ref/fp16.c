/* binary16 conversions with integer arithmetic only (no FP environment, no tables). Header:
 * kernels/ref/fp16.h. */
#include "kernels/ref/fp16.h"

#include <string.h>

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Rounds m >> shift to nearest, ties to even (shift in 1..31). */
static uint32_t shift_rne(uint32_t m, unsigned shift) {
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return q;
}

uint16_t c8_fp16_from_f32(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) { /* inf or NaN */
        if (ax == 0x7f800000u) return (uint16_t)(sign | 0x7c00u);
        return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x03ffu));
    }
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520: rounds to inf */
    uint32_t e = ax >> 23;                                    /* biased float exponent */
    uint32_t m = (ax & 0x007fffffu) | 0x00800000u;            /* with the implicit bit */
    if (e >= 113) {
        /* normal half: exponent e - 112, keep 11 significant bits; a carry out of the mantissa
         * correctly bumps the exponent (and 65504 < value < 65520 cannot reach inf) */
        uint32_t q = shift_rne(m, 13); /* in [2^10, 2^11] */
        return (uint16_t)(sign | (((e - 112) << 10) + (q - 0x400u)));
    }
    if (e < 102) return sign; /* < 2^-25 (half the smallest subnormal): rounds to zero */
    /* subnormal half (units of 2^-24): value = m * 2^(e - 150) = (m >> (126 - e)) units;
     * rounding up to 0x400 yields the smallest normal, encoded the same way */
    return (uint16_t)(sign | shift_rne(m, 126 - e));
}

float c8_fp16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x03ffu;
    if (e == 0x1f) return bits_f32(sign | 0x7f800000u | (m << 13)); /* inf / NaN */
    if (e != 0) return bits_f32(sign | ((e + 112) << 23) | (m << 13));
    if (m == 0) return bits_f32(sign);
    /* subnormal: normalize m * 2^-24 */
    uint32_t fe = 113; /* float exponent of 2^-14 */
    while (!(m & 0x400u)) {
        m <<= 1;
        fe--;
    }
    return bits_f32(sign | (fe << 23) | ((m & 0x3ffu) << 13));
}

float c8_fp16_round(float f) { return c8_fp16_to_f32(c8_fp16_from_f32(f)); }

void c8_fp16_round_buf(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = c8_fp16_round(x[i]);
}

void c8_fp16_from_f32_buf(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = c8_fp16_from_f32(src[i]);
}

void c8_fp16_to_f32_buf(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = c8_fp16_to_f32(src[i]);
}
