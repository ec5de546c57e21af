/* Reference kernel for Einsum. Contract: kernels/ref/einsum.h. */
#include "kernels/ref/einsum.h"

void c8_ref_einsum(const c8_einsum_plan *p, c8_dtype dt, const void *const *x, void *y) {
    const bool f64 = dt == C8_DT_DOUBLE;
    int64_t idx[C8_EINSUM_MAX_LABELS] = {0};
    int64_t n_outer = 1, n_inner = 1;
    for (int l = 0; l < p->n_out; l++) n_outer *= p->extent[l];
    for (int l = p->n_out; l < p->n_labels; l++) n_inner *= p->extent[l];
    for (int64_t o = 0; o < n_outer; o++) {
        /* the output labels' indices from o (C order) */
        int64_t rem = o;
        for (int l = p->n_out - 1; l >= 0; l--) {
            idx[l] = rem % p->extent[l];
            rem /= p->extent[l];
        }
        for (int l = p->n_out; l < p->n_labels; l++) idx[l] = 0;
        double acc = 0;
        for (int64_t c = 0; c < n_inner; c++) {
            double prod = 1;
            for (int k = 0; k < p->n_in; k++) {
                int64_t off = 0;
                for (int l = 0; l < p->n_labels; l++) off += idx[l] * p->stride[k][l];
                prod *= f64 ? ((const double *)x[k])[off] : (double)((const float *)x[k])[off];
            }
            acc += prod;
            for (int l = p->n_labels - 1; l >= p->n_out; l--) { /* next contracted combination */
                if (++idx[l] < p->extent[l]) break;
                idx[l] = 0;
            }
        }
        if (f64)
            ((double *)y)[o] = acc;
        else
            ((float *)y)[o] = (float)acc;
    }
}
