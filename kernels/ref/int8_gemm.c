/* INT8 reference Gemm / FC / MatMul with constant int8 weights, MatMul between two int8
 * activations, and the fused epilogue.
 * Semantics: include/calib8/quant.h; descriptor: kernels/ref/int8.h. */
#include "kernels/ref/int8.h"

#include "util/err.h"

void c8_ref_int8_gemm(const c8_int8_gemm_desc *d, const int8_t *a, const int8_t *b,
                      const c8_int8_epilogue *ep, void *y) {
    C8_ASSERT(c8_int8_gemm_desc_check(NULL, d, NULL) == C8_OK);
    C8_ASSERT(c8_int8_epilogue_check(NULL, ep, d->n, NULL) == C8_OK);
    /* element (kk, j) of B: (N, K) row-major or (K, N) row-major */
    int64_t b_sj = d->b_layout == C8_INT8_B_NK ? d->k : 1;
    int64_t b_sk = d->b_layout == C8_INT8_B_NK ? 1 : d->n;
    for (int64_t i = 0; i < d->m; i++)
        for (int64_t j = 0; j < d->n; j++) {
            int32_t acc = ep->bias ? ep->bias[j] : 0; /* no overflow: see quant.h */
            for (int64_t kk = 0; kk < d->k; kk++)
                acc += (int32_t)a[i * d->k + kk] * (int32_t)b[j * b_sj + kk * b_sk];
            c8_ref_int8_epilogue_store(ep, j, i * d->n + j, acc, y);
        }
}

/* One int32 sum per output element, as in c8_ref_int8_gemm, with the single channel of a
 * per-tensor B: the epilogue's channel is always 0. */
void c8_ref_int8_matmul(const c8_int8_matmul_desc *d, const int8_t *a, const int8_t *b,
                        const c8_int8_epilogue *ep, void *y) {
    C8_ASSERT(c8_int8_matmul_desc_check(NULL, d, NULL) == C8_OK);
    C8_ASSERT(c8_int8_epilogue_check(NULL, ep, 1, NULL) == C8_OK);
    int32_t bias = ep->bias ? ep->bias[0] : 0;
    for (int64_t t = 0; t < d->batch; t++) {
        const int8_t *at = a + t * d->a_stride, *bt = b + t * d->b_stride;
        int64_t base = t * d->m * d->n;
        for (int64_t i = 0; i < d->m; i++)
            for (int64_t j = 0; j < d->n; j++) {
                int32_t acc = bias; /* no overflow: K <= C8_QUANT_MAX_K (quant.h) */
                for (int64_t kk = 0; kk < d->k; kk++)
                    acc += (int32_t)at[i * d->k + kk] * (int32_t)bt[kk * d->n + j];
                c8_ref_int8_epilogue_store(ep, 0, base + i * d->n + j, acc, y);
            }
    }
}
