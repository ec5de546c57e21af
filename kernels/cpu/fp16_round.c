/* Fast binary16 rounding (kernels/cpu/fp16_round.h). */
#include "kernels/cpu/fp16_round.h"

#include "kernels/ref/fp16.h"

#include <stdbool.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Eight values per step through F16C; the tail through the reference. Compiled for F16C/AVX
 * whatever the build's -march; called only where the CPU reports F16C. */
__attribute__((target("avx,f16c"))) static void round_f16c(const float *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) dst[i] = c8_fp16_round(src[i]);
}

static bool have_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
}
#endif

void c8_cpu_fp16_round(const float *src, float *dst, size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_f16c()) {
        round_f16c(src, dst, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = c8_fp16_round(src[i]);
}
