/* IEEE binary16 <-> binary32 conversion (round to nearest even, subnormals, inf/NaN, overflow to
 * inf), exact, table-free plain C that does not read the FP environment; and the helpers the FP16
 * emulation engine calls at layer boundaries to round float32 buffers through binary16, as the GPU
 * path (__float2half_rn / __half2float) will. Tests: tests/kernels/test_fp16.c (all 65536 halves,
 * random floats and every tie against a float64 reference). */
#ifndef C8_KERNELS_REF_FP16_H
#define C8_KERNELS_REF_FP16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* float32 -> binary16 bits, round to nearest even. |f| >= 65520 (half-way past the largest half,
 * 65504) gives +-inf; results below the smallest subnormal half-way point give +-0 (sign kept).
 * NaN gives a quiet NaN with the sign and the top payload bits kept (payload is not part of the
 * contract: the GPU may return a canonical NaN). */
uint16_t c8_fp16_from_f32(float f);

/* binary16 bits -> float32 (exact: every half is a float). */
float c8_fp16_to_f32(uint16_t h);

/* f rounded through binary16 and back: the value an FP16 tensor would hold. */
float c8_fp16_round(float f);

/* In place: x[i] = c8_fp16_round(x[i]) for i < n. */
void c8_fp16_round_buf(float *x, size_t n);

/* dst[i] = c8_fp16_from_f32(src[i]) / c8_fp16_to_f32(src[i]) for i < n. */
void c8_fp16_from_f32_buf(const float *src, uint16_t *dst, size_t n);
void c8_fp16_to_f32_buf(const uint16_t *src, float *dst, size_t n);

#ifdef __cplusplus
}
#endif
#endif
