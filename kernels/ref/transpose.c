/* Reference data-movement kernels; see transpose.h. The strided copy walks the output in C order
 * and moves one innermost row at a time. */
#include "kernels/ref/transpose.h"

#include <string.h>

/* One element of esize bytes; constant sizes let the compiler turn memcpy into a load/store. */
static void copy_elem(char *dst, const char *src, size_t esize) {
    switch (esize) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, esize); break;
    }
}

void c8_ref_strided_copy(const c8_strided_desc *d, const void *x, void *y) {
    const char *xs = x;
    char *ys = y;
    size_t es = d->esize;
    if (d->rank == 0) {
        copy_elem(ys, xs + d->offset * (int64_t)es, es);
        return;
    }
    int64_t rows = 1;
    for (int k = 0; k < d->rank; k++) {
        if (d->dims[k] == 0) return;
        if (k < d->rank - 1) rows *= d->dims[k];
    }
    int last = d->rank - 1;
    int64_t w = d->dims[last], st = d->strides[last];
    int64_t idx[C8_MAX_RANK] = {0};
    int64_t base = d->offset; /* element offset of the current row's first element */
    for (int64_t r = 0; r < rows; r++) {
        if (st == 1) {
            memcpy(ys, xs + base * (int64_t)es, (size_t)w * es);
        } else {
            for (int64_t j = 0; j < w; j++)
                copy_elem(ys + j * (int64_t)es, xs + (base + j * st) * (int64_t)es, es);
        }
        ys += w * (int64_t)es;
        /* advance the outer index (odometer over axes 0..last-1) */
        for (int k = last - 1; k >= 0; k--) {
            if (++idx[k] < d->dims[k]) {
                base += d->strides[k];
                break;
            }
            base -= d->strides[k] * (d->dims[k] - 1);
            idx[k] = 0;
        }
    }
}

void c8_ref_transpose(const c8_shape *in, const int *perm, size_t esize, const void *x, void *y) {
    int64_t st[C8_MAX_RANK];
    int64_t s = 1;
    for (int k = in->rank - 1; k >= 0; k--) {
        st[k] = s;
        s *= in->d[k];
    }
    c8_strided_desc d;
    memset(&d, 0, sizeof d);
    d.rank = in->rank;
    d.esize = esize;
    for (int k = 0; k < in->rank; k++) {
        d.dims[k] = in->d[perm[k]];
        d.strides[k] = st[perm[k]];
    }
    c8_ref_strided_copy(&d, x, y);
}

void c8_ref_gather(const c8_gather_desc *d, const void *x, const void *indices, void *y) {
    const char *xs = x;
    char *ys = y;
    size_t block = (size_t)d->inner * d->esize;
    if (block == 0 || d->n_idx == 0) return;
    for (int64_t o = 0; o < d->outer; o++) {
        for (int64_t j = 0; j < d->n_idx; j++) {
            int64_t k = d->idx_dtype == C8_DT_INT32 ? ((const int32_t *)indices)[j]
                                                    : ((const int64_t *)indices)[j];
            if (k < 0) k += d->axis_len;
            const char *src = xs + (size_t)(o * d->axis_len + k) * block;
            memcpy(ys, src, block);
            ys += block;
        }
    }
}

void c8_ref_copy_rows(int64_t rows, size_t row_bytes, const void *src, size_t src_pitch, void *dst,
                      size_t dst_pitch) {
    const char *s = src;
    char *t = dst;
    if (row_bytes == 0) return;
    for (int64_t r = 0; r < rows; r++)
        memcpy(t + (size_t)r * dst_pitch, s + (size_t)r * src_pitch, row_bytes);
}
