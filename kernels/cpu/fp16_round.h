/* binary16 rounding of float32 buffers for the CPU backends' FP16 emulation, fast: the CPU's F16C
 * conversions (vcvtps2ph with round-to-nearest-even, then vcvtph2ps) where it has them, else the
 * reference's integer code (kernels/ref/fp16.h). Both give c8_fp16_round's bits for every input,
 * NaN payloads included (vcvtps2ph quiets a NaN and keeps the top 10 bits of its payload, as
 * c8_fp16_from_f32 does); tests/kernels/cpu/test_fp16_round.c checks every binary16 value, the
 * ties and neighbours around each, and random float32 bit patterns. */
#ifndef C8_KERNELS_CPU_FP16_ROUND_H
#define C8_KERNELS_CPU_FP16_ROUND_H

#include <stddef.h>

/* dst[i] = c8_fp16_round(src[i]) for i < n; dst == src allowed (in place). */
void c8_cpu_fp16_round(const float *src, float *dst, size_t n);

#endif
