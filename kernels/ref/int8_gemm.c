/* INT8 reference Gemm / FC / MatMul with constant int8 weights and the fused epilogue.
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
