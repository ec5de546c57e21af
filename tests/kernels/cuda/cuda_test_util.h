/* Helpers shared by the GPU INT8 test suites (tests/kernels/cuda/test_cuda_int8_*.c): the no-GPU
 * skip (exit 77, which CTest reports as skipped), one context and stream per process, guarded
 * device buffers (guard bytes before and after, body poisoned before each run, guards checked
 * after), host layout conversions and exact comparisons that print the first differing element. */
#ifndef C8_TESTS_KERNELS_CUDA_CUDA_TEST_UTIL_H
#define C8_TESTS_KERNELS_CUDA_CUDA_TEST_UTIL_H

#include "c8test.h"

#include "kernels/cuda/int8/int8_cuda.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/int8.h"
#include "util/err.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C8T_GUARD 256 /* guard bytes on each side of a device output */
#define C8T_GUARD_BYTE 0xA5
#define C8T_POISON_BYTE 0x5A /* outputs are poisoned with this before every run */

static c8_cuda_int8_ctx *g_ctx;
static cudaStream_t g_stream;

/* Fails the current test (and returns) on a CUDA runtime error. */
#define CT_CUDA(expr)                                                                              \
    do {                                                                                           \
        cudaError_t e_ = (expr);                                                                   \
        if (e_ != cudaSuccess) {                                                                   \
            printf("\n  %s:%d: %s: %s", __FILE__, __LINE__, #expr, cudaGetErrorString(e_));        \
            CU_FAIL_FATAL("CUDA call failed");                                                     \
        }                                                                                          \
    } while (0)
/* Fails the current test on a calib8 error status, printing the message. */
#define CT_OK(expr, err)                                                                           \
    do {                                                                                           \
        c8_status s_ = (expr);                                                                     \
        if (s_ != C8_OK) {                                                                         \
            printf("\n  %s:%d: %s -> %s: %s", __FILE__, __LINE__, #expr, c8_status_name(s_),       \
                   (err)->msg);                                                                    \
            CU_FAIL_FATAL("calib8 call failed");                                                   \
        }                                                                                          \
    } while (0)

/* A device buffer with guards: base holds [guard | body | guard]. */
typedef struct gbuf {
    uint8_t *base;
    void *body;
    size_t bytes;
} gbuf;

static inline gbuf gbuf_alloc(size_t bytes) {
    gbuf g = {NULL, NULL, bytes};
    if (cudaMalloc((void **)&g.base, bytes + 2 * C8T_GUARD) != cudaSuccess) return g;
    cudaMemset(g.base, C8T_GUARD_BYTE, C8T_GUARD);
    cudaMemset(g.base + C8T_GUARD + bytes, C8T_GUARD_BYTE, C8T_GUARD);
    g.body = g.base + C8T_GUARD;
    return g;
}
static inline void gbuf_poison(gbuf *g) {
    cudaMemsetAsync(g->body, C8T_POISON_BYTE, g->bytes, g_stream);
}
/* 1 if both guards are intact. */
static inline int gbuf_guards_ok(const gbuf *g) {
    uint8_t h[2 * C8T_GUARD];
    if (cudaMemcpy(h, g->base, C8T_GUARD, cudaMemcpyDeviceToHost) != cudaSuccess) return 0;
    if (cudaMemcpy(h + C8T_GUARD, g->base + C8T_GUARD + g->bytes, C8T_GUARD,
                   cudaMemcpyDeviceToHost) != cudaSuccess)
        return 0;
    for (int i = 0; i < 2 * C8T_GUARD; i++)
        if (h[i] != C8T_GUARD_BYTE) return 0;
    return 1;
}
static inline void gbuf_free(gbuf *g) {
    if (g->base) cudaFree(g->base);
    g->base = NULL;
    g->body = NULL;
}

/* Device copy of a host array (plain cudaMalloc; NULL on failure). */
static inline void *dev_upload(const void *h, size_t bytes) {
    void *d = NULL;
    if (cudaMalloc(&d, bytes ? bytes : 1) != cudaSuccess) return NULL;
    if (bytes && cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaFree(d);
        return NULL;
    }
    return d;
}

static inline int64_t c8t_cpad(int64_t c) { return c8_quant_round_up(c, C8_CUDA_INT8_CALIGN); }

/* (N, C, HW) of elem bytes -> (N, HW, Cp) with zero pad channels, and back. */
static inline void host_nchw_to_nhwc(int elem, int64_t n, int64_t c, int64_t hw, const void *src,
                                     void *dst) {
    int64_t cp = c8t_cpad(c);
    memset(dst, 0, (size_t)(n * hw * cp * elem));
    for (int64_t i = 0; i < n; i++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t p = 0; p < hw; p++)
                memcpy((char *)dst + ((i * hw + p) * cp + ch) * elem,
                       (const char *)src + ((i * c + ch) * hw + p) * elem, (size_t)elem);
}
static inline void host_nhwc_to_nchw(int elem, int64_t n, int64_t c, int64_t hw, const void *src,
                                     void *dst) {
    int64_t cp = c8t_cpad(c);
    for (int64_t i = 0; i < n; i++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t p = 0; p < hw; p++)
                memcpy((char *)dst + ((i * c + ch) * hw + p) * elem,
                       (const char *)src + ((i * hw + p) * cp + ch) * elem, (size_t)elem);
}
/* 1 if every pad channel (c..cp-1) of the (rows, cp) NHWC buffer is all-zero bytes. */
static inline int host_pad_is_zero(int elem, int64_t rows, int64_t c, const void *buf) {
    int64_t cp = c8t_cpad(c);
    const uint8_t *b = (const uint8_t *)buf;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = c * elem; i < cp * elem; i++)
            if (b[r * cp * elem + i]) return 0;
    return 1;
}

static inline int8_t *rand_i8(c8t_rng *r, size_t n) {
    int8_t *p = (int8_t *)malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = (int8_t)c8t_randint(r, -127, 127);
    return p;
}

/* Exact comparison of n elements of elem bytes (int8, binary16 bits, float32 bits); prints the
 * first mismatch. float32 may instead use a relative tolerance (sigmoid only: libm expf differs
 * between host and device; quant.h). Returns the number of mismatches. */
static inline long compare_exact(int elem, size_t n, const void *got, const void *want,
                                 const char *what, uint64_t seed) {
    long bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (memcmp((const char *)got + i * elem, (const char *)want + i * elem, (size_t)elem)) {
            if (bad++ == 0) {
                if (elem == 1)
                    printf("\n  %s: element %zu: got %d want %d (seed %llu)", what, i,
                           ((const int8_t *)got)[i], ((const int8_t *)want)[i],
                           (unsigned long long)seed);
                else if (elem == 2)
                    printf("\n  %s: element %zu: got 0x%04x want 0x%04x (seed %llu)", what, i,
                           ((const uint16_t *)got)[i], ((const uint16_t *)want)[i],
                           (unsigned long long)seed);
                else
                    printf("\n  %s: element %zu: got %.9g want %.9g (seed %llu)", what, i,
                           (double)((const float *)got)[i], (double)((const float *)want)[i],
                           (unsigned long long)seed);
            }
        }
    }
    if (bad) printf(" [%ld of %zu differ]", bad, n);
    return bad;
}

/* Sigmoid output: float32 expf differs between glibc and CUDA by a few ulp; 1/(1+e) then stays
 * within a few ulp too. 1e-6 relative (about 8 ulp) is generous for that and far below any
 * indexing or epilogue error. */
#define C8T_SIGMOID_RTOL 1e-6f
static inline long compare_sigmoid(size_t n, const float *got, const float *want, const char *what,
                                   uint64_t seed, int elem) {
    long bad = 0;
    for (size_t i = 0; i < n; i++) {
        float g = elem == 4 ? got[i] : c8_fp16_to_f32(((const uint16_t *)got)[i]);
        float w = elem == 4 ? want[i] : c8_fp16_to_f32(((const uint16_t *)want)[i]);
        /* binary16: one half ulp step of the result may flip under the float32 difference */
        float tol = elem == 4 ? C8T_SIGMOID_RTOL * fabsf(w) : 1e-3f * fabsf(w) + 1e-7f;
        if (!(fabsf(g - w) <= tol)) {
            if (bad++ == 0)
                printf("\n  %s: element %zu: got %.9g want %.9g (sigmoid, seed %llu)", what, i,
                       (double)g, (double)w, (unsigned long long)seed);
        }
    }
    return bad;
}

/* main(): skip (77) without a usable GPU, else create the context and stream and run. */
static inline int c8t_cuda_main(const char *suite, const c8_test_case *cases, int n) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count < 1) {
        printf("SKIP: %s: no CUDA device (%s)\n", suite,
               e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    c8_error err;
    memset(&err, 0, sizeof err);
    if (c8_cuda_int8_ctx_create(0, &g_ctx, &err) != C8_OK) {
        printf("%s: context: %s\n", suite, err.msg);
        return 1;
    }
    if (cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking) != cudaSuccess) {
        printf("%s: stream creation failed\n", suite);
        return 1;
    }
    struct cudaDeviceProp prop;
    cudaGetDeviceProperties(&prop, 0);
    printf("%s on %s (sm_%d, %d SMs)\n", suite, prop.name, c8_cuda_int8_ctx_sm(g_ctx),
           c8_cuda_int8_ctx_sm_count(g_ctx));
    int rc = c8t_run_suite(suite, cases, n);
    cudaStreamDestroy(g_stream);
    c8_cuda_int8_ctx_destroy(g_ctx);
    return rc;
}

#endif
