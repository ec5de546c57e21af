/* calib8's INT8 requantization of the exact sums the oneDNN backend computes (see
 * dnnl_backend.h): the reference kernels' element function (c8_ref_int8_epilogue_store, the
 * semantics of include/calib8/quant.h) applied to acc = bias + sum, so the outputs equal the
 * reference kernels' bit for bit. Tests: tests/kernels/cpu/test_dnnl.c. */
#include "kernels/cpu/dnnl_backend.h"

#include "util/err.h"

#include <math.h>

void c8_dnnl_requant(int64_t outer, int64_t channels, int64_t inner, const float *sums,
                     const c8_int8_epilogue *ep, void *y) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < channels; k++) {
            const int32_t b = ep->bias ? ep->bias[k] : 0;
            const int64_t base = (o * channels + k) * inner;
            /* the sums are integers below 2^24 in magnitude (C8_DNNL_EXACT_LIMIT): exact casts;
             * bias + sum fits int32 (quant.h's bias limit) */
            for (int64_t i = 0; i < inner; i++)
                c8_ref_int8_epilogue_store(ep, k, base + i, b + (int32_t)sums[base + i], y);
        }
}

double c8_dnnl_sum_bound(const int8_t *w, int64_t rows, int64_t len, int64_t row_stride,
                         int64_t col_stride) {
    double worst = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t s = 0;
        for (int64_t t = 0; t < len; t++) {
            int v = w[r * row_stride + t * col_stride];
            s += v < 0 ? -v : v;
        }
        if (127.0 * (double)s > worst) worst = 127.0 * (double)s;
    }
    return worst;
}
