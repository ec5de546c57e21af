/* Host-side weight packing for the INT8 CUDA kernels (build time, plain C): dense conv weights
 * (K, C, R, S) -> (Kp, R, S, Cp), depthwise (C, 1, R, S) -> (R, S, Cp), Gemm B (N, K) or (K, N)
 * -> (Np, Kp); all zero-padded (layouts: kernels/cuda/int8/int8_cuda.h). The dense packing equals
 * c8_quant_kcrs_to_krsc (quant/layout.c) plus zero rows up to Kp;
 * tests/kernels/cuda/test_cuda_int8_conv.c checks that. */
#include "kernels/cuda/int8/int8_cuda.h"

#include "util/err.h"

#define ALIGN C8_CUDA_INT8_CALIGN

static int is_depthwise(const c8_conv2d_desc *d) {
    return d->group > 1 && d->group == d->c && d->group == d->k;
}

int64_t c8_cuda_int8_conv_packed_bytes(const c8_conv2d_desc *d) {
    if (d->group == 1)
        return c8_quant_round_up(d->k, ALIGN) * d->r * d->s * c8_quant_round_up(d->c, ALIGN);
    if (is_depthwise(d)) return d->r * d->s * c8_quant_round_up(d->c, ALIGN);
    return -1;
}

c8_status c8_cuda_int8_pack_conv_weights(const c8_conv2d_desc *d, const int8_t *w, int8_t *packed,
                                         c8_error *err) {
    int64_t cp = c8_quant_round_up(d->c, ALIGN);
    if (d->group == 1) {
        int64_t kp = c8_quant_round_up(d->k, ALIGN);
        for (int64_t k = 0; k < kp; k++)
            for (int64_t r = 0; r < d->r; r++)
                for (int64_t s = 0; s < d->s; s++) {
                    int8_t *o = packed + ((k * d->r + r) * d->s + s) * cp;
                    for (int64_t c = 0; c < cp; c++)
                        o[c] =
                            (k < d->k && c < d->c) ? w[((k * d->c + c) * d->r + r) * d->s + s] : 0;
                }
        return C8_OK;
    }
    if (is_depthwise(d)) {
        for (int64_t r = 0; r < d->r; r++)
            for (int64_t s = 0; s < d->s; s++) {
                int8_t *o = packed + (r * d->s + s) * cp;
                for (int64_t c = 0; c < cp; c++) o[c] = c < d->c ? w[(c * d->r + r) * d->s + s] : 0;
            }
        return C8_OK;
    }
    return c8_err(err, C8_ERR_UNSUPPORTED,
                  "int8 CUDA conv: group=%lld with %lld input / %lld output channels is neither "
                  "dense nor depthwise",
                  (long long)d->group, (long long)d->c, (long long)d->k);
}

int64_t c8_cuda_int8_gemm_packed_bytes(const c8_int8_gemm_desc *d) {
    return c8_quant_round_up(d->n, ALIGN) * c8_quant_round_up(d->k, ALIGN);
}

c8_status c8_cuda_int8_pack_gemm_weights(const c8_int8_gemm_desc *d, const int8_t *b,
                                         int8_t *packed, c8_error *err) {
    if (d->b_layout != C8_INT8_B_NK && d->b_layout != C8_INT8_B_KN)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA gemm: unknown B layout %d", (int)d->b_layout);
    int64_t np = c8_quant_round_up(d->n, ALIGN), kp = c8_quant_round_up(d->k, ALIGN);
    for (int64_t j = 0; j < np; j++)
        for (int64_t kk = 0; kk < kp; kk++) {
            int8_t v = 0;
            if (j < d->n && kk < d->k)
                v = d->b_layout == C8_INT8_B_NK ? b[j * d->k + kk] : b[kk * d->n + j];
            packed[j * kp + kk] = v;
        }
    return C8_OK;
}
