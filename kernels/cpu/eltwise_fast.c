/* Float32 element-wise ops for the fast CPU backend (kernels/cpu/eltwise_fast.h). */
#include "kernels/cpu/eltwise_fast.h"

#include "util/shape.h"

#include <math.h>
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define C8_HAVE_X86 1
#endif

/* Elements per task: large enough that a task outweighs waking a thread, small enough that two
 * threads share a 160x160 map of 16 channels. */
#define CHUNK 16384

/* ---- the loops: y[i] = a[i or 0] OP b[i or 0] for i < n (sa / sb: a / b is one value) ---- */

static void span_scalar(c8_binary_op op, int64_t n, const float *a, int sa, const float *b, int sb,
                        float *y) {
    for (int64_t i = 0; i < n; i++) {
        const float x0 = a[sa ? 0 : i], x1 = b[sb ? 0 : i];
        switch (op) {
        case C8_BINARY_ADD: y[i] = x0 + x1; break;
        case C8_BINARY_SUB: y[i] = x0 - x1; break;
        case C8_BINARY_MUL: y[i] = x0 * x1; break;
        default: y[i] = x0 / x1; break;
        }
    }
}

#ifdef C8_HAVE_X86
__attribute__((target("avx2"))) static void span_avx2(c8_binary_op op, int64_t n, const float *a,
                                                      int sa, const float *b, int sb, float *y) {
    int64_t i = 0;
    const __m256 va1 = _mm256_set1_ps(a[0]), vb1 = _mm256_set1_ps(b[0]);
    for (; i + 8 <= n; i += 8) {
        const __m256 x0 = sa ? va1 : _mm256_loadu_ps(a + i);
        const __m256 x1 = sb ? vb1 : _mm256_loadu_ps(b + i);
        __m256 r;
        switch (op) {
        case C8_BINARY_ADD: r = _mm256_add_ps(x0, x1); break;
        case C8_BINARY_SUB: r = _mm256_sub_ps(x0, x1); break;
        case C8_BINARY_MUL: r = _mm256_mul_ps(x0, x1); break;
        default: r = _mm256_div_ps(x0, x1); break;
        }
        _mm256_storeu_ps(y + i, r);
    }
    span_scalar(op, n - i, sa ? a : a + i, sa, sb ? b : b + i, sb, y + i);
}

/* NaN fails both comparisons and stays; -0 < +0 is false, so -0 stays against a bound of +0 */
__attribute__((target("avx2"))) static void clip_avx2(const float *x, float *y, int64_t n,
                                                      const float *lo, const float *hi) {
    const __m256 l = _mm256_set1_ps(lo ? *lo : 0.0f), h = _mm256_set1_ps(hi ? *hi : 0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        if (lo) v = _mm256_blendv_ps(v, l, _mm256_cmp_ps(v, l, _CMP_LT_OQ));
        if (hi) v = _mm256_blendv_ps(v, h, _mm256_cmp_ps(v, h, _CMP_GT_OQ));
        _mm256_storeu_ps(y + i, v);
    }
    for (; i < n; i++) {
        float v = x[i];
        if (lo && v < *lo) v = *lo;
        if (hi && v > *hi) v = *hi;
        y[i] = v;
    }
}

static bool have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
static bool have_avx2(void) { return false; }
#endif

static void span(bool avx2, c8_binary_op op, int64_t n, const float *a, int sa, const float *b,
                 int sb, float *y) {
#ifdef C8_HAVE_X86
    if (avx2) {
        span_avx2(op, n, a, sa, b, sb, y);
        return;
    }
#endif
    (void)avx2;
    span_scalar(op, n, a, sa, b, sb, y);
}

/* ---- shapes ---- */

typedef enum form { F_NONE, F_SAME, F_A1, F_B1, F_A_PLANE, F_B_PLANE } form;

/* s is (N', C, 1, 1) or (C, 1, 1) against y (N, C, H, W), N' 1 or N */
static bool per_plane(const c8_shape *s, const c8_shape *y) {
    if (y->rank != 4) return false;
    if (s->rank == 4)
        return (s->d[0] == 1 || s->d[0] == y->d[0]) && s->d[1] == y->d[1] && s->d[2] == 1 &&
               s->d[3] == 1;
    return s->rank == 3 && s->d[0] == y->d[1] && s->d[1] == 1 && s->d[2] == 1;
}

static form form_of(c8_binary_op op, const c8_shape *sa, const c8_shape *sb, const c8_shape *sy) {
    if (op != C8_BINARY_ADD && op != C8_BINARY_SUB && op != C8_BINARY_MUL && op != C8_BINARY_DIV)
        return F_NONE;
    const bool ya = c8_shape_equal(sa, sy), yb = c8_shape_equal(sb, sy);
    if (ya && yb) return F_SAME;
    if (ya && c8_shape_numel(sb) == 1) return F_B1;
    if (yb && c8_shape_numel(sa) == 1) return F_A1;
    if (ya && per_plane(sb, sy)) return F_B_PLANE;
    if (yb && per_plane(sa, sy)) return F_A_PLANE;
    return F_NONE;
}

bool c8_cpu_binary_f32_fits(c8_binary_op op, const c8_shape *sa, const c8_shape *sb,
                            const c8_shape *sy) {
    return form_of(op, sa, sb, sy) != F_NONE;
}

bool c8_cpu_binary_f32(c8_binary_op op, const c8_shape *sa, const float *a, const c8_shape *sb,
                       const float *b, const c8_shape *sy, float *y) {
    const form f = form_of(op, sa, sb, sy);
    if (f == F_NONE) return false;
    const int64_t n = c8_shape_numel(sy);
    if (n <= 0) return true;
    const bool avx2 = have_avx2();
    if (f == F_A_PLANE || f == F_B_PLANE) {
        /* plane p = (image, channel) of y: the broadcast operand's value for it */
        const c8_shape *sp = f == F_A_PLANE ? sa : sb;
        const int64_t C = sy->d[1], hw = sy->d[2] * sy->d[3], planes = sy->d[0] * C;
        const bool per_image = sp->rank == 4 && sp->d[0] != 1;
#pragma omp parallel for schedule(static) if (n >= 2 * CHUNK)
        for (int64_t p = 0; p < planes; p++) {
            const int64_t v = per_image ? p : p % C;
            const float *pa = f == F_A_PLANE ? a + v : a + p * hw;
            const float *pb = f == F_B_PLANE ? b + v : b + p * hw;
            span(avx2, op, hw, pa, f == F_A_PLANE, pb, f == F_B_PLANE, y + p * hw);
        }
        return true;
    }
    const int64_t tasks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (tasks > 1)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t i0 = t * CHUNK, len = i0 + CHUNK < n ? CHUNK : n - i0;
        span(avx2, op, len, f == F_A1 ? a : a + i0, f == F_A1, f == F_B1 ? b : b + i0, f == F_B1,
             y + i0);
    }
    return true;
}

void c8_cpu_clip_f32(const float *x, float *y, int64_t n, const float *lo, const float *hi) {
    const bool avx2 = have_avx2();
    const int64_t tasks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (tasks > 1)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t i0 = t * CHUNK, len = i0 + CHUNK < n ? CHUNK : n - i0;
#ifdef C8_HAVE_X86
        if (avx2) {
            clip_avx2(x + i0, y + i0, len, lo, hi);
            continue;
        }
#endif
        (void)avx2;
        for (int64_t i = i0; i < i0 + len; i++) {
            float v = x[i];
            if (lo && v < *lo) v = *lo;
            if (hi && v > *hi) v = *hi;
            y[i] = v;
        }
    }
}

void c8_cpu_sigmoid_f32(const float *x, float *y, int64_t n) {
    enum { SCHUNK = 2048 };
    const int64_t chunks = (n + SCHUNK - 1) / SCHUNK;
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t t = 0; t < chunks; t++) {
        const int64_t i0 = t * SCHUNK, m = n - i0 < SCHUNK ? n - i0 : SCHUNK;
        float e[SCHUNK];
        /* expf of the non-positive argument the reference takes in either branch (a NaN
         * unchanged, its sign included) */
        for (int64_t i = 0; i < m; i++) {
            const float v = x[i0 + i];
            e[i] = expf(v >= 0.0f ? -v : v);
        }
        for (int64_t i = 0; i < m; i++) {
            const float d = 1.0f + e[i];
            y[i0 + i] = x[i0 + i] >= 0.0f ? 1.0f / d : e[i] / d;
        }
    }
}
