/* FP32 reference Gemm and MatMul; the contract is in kernels/ref/ref.h.
 * Tests: tests/kernels/test_ref_kernels.c. */
#include "kernels/ref/ref.h"

void c8_ref_gemm(const c8_gemm_desc *d, const float *a, const float *b, const float *c, float *y) {
    const int64_t M = d->M, N = d->N, K = d->K;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) {
                const float av = d->trans_a ? a[k * M + i] : a[i * K + k]; /* op(a)[i,k] */
                const float bv = d->trans_b ? b[j * K + k] : b[k * N + j]; /* op(b)[k,j] */
                acc += av * bv;
            }
            float v = d->alpha * acc;
            if (c) {
                const int64_t ci = d->c_rows == 1 ? 0 : i, cj = d->c_cols == 1 ? 0 : j;
                v = v + d->beta * c[ci * d->c_cols + cj];
            }
            y[i * N + j] = v;
        }
    }
}

void c8_ref_matmul(int64_t M, int64_t N, int64_t K, const float *a, const float *b, float *y) {
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) acc += a[i * K + k] * b[k * N + j];
            y[i * N + j] = acc;
        }
    }
}
