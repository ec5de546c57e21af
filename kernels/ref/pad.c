/* Reference Pad kernel; see pad.h. Walks the output in C order one innermost row at a time: the
 * outer index picks a source row (or none, for constant padding), the row maps element-wise. */
#include "kernels/ref/pad.h"

#include <string.h>

int64_t c8_pad_map_index(c8_pad_mode mode, int64_t i, int64_t n) {
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case C8_PAD_CONSTANT: return -1;
    case C8_PAD_EDGE: return i < 0 ? 0 : n - 1;
    case C8_PAD_REFLECT:
        if (n == 1) return 0;
        /* reflection has period 2(n-1): fold into one period, then mirror the upper half */
        {
            int64_t p = 2 * (n - 1);
            int64_t m = i % p;
            if (m < 0) m += p;
            return m < n ? m : p - m;
        }
    }
    return -1;
}

static void put(char *dst, const char *src, size_t esize) {
    switch (esize) {
    case 1: *dst = *src; break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, esize); break;
    }
}

void c8_ref_pad(const c8_pad_desc *d, const void *x, void *y) {
    const char *xs = x;
    char *ys = y;
    size_t es = d->esize;
    int r = d->rank;
    if (r == 0) {
        put(ys, xs, es);
        return;
    }
    int64_t rows = 1;
    for (int k = 0; k < r; k++) {
        if (d->out[k] == 0) return;
        if (k < r - 1) rows *= d->out[k];
    }
    int64_t in_st[C8_MAX_RANK];
    int64_t s = 1;
    for (int k = r - 1; k >= 0; k--) {
        in_st[k] = s;
        s *= d->in[k];
    }
    int last = r - 1;
    int64_t w = d->out[last], n_last = d->in[last], b_last = d->begin[last];
    int64_t idx[C8_MAX_RANK] = {0};
    for (int64_t row = 0; row < rows; row++) {
        /* source row for the outer index, or -1 when it falls in constant padding */
        int64_t src = 0;
        for (int k = 0; k < last && src >= 0; k++) {
            int64_t i = c8_pad_map_index(d->mode, idx[k] - d->begin[k], d->in[k]);
            src = i < 0 ? -1 : src + i * in_st[k];
        }
        for (int64_t j = 0; j < w; j++) {
            int64_t i = src < 0 ? -1 : c8_pad_map_index(d->mode, j - b_last, n_last);
            if (i < 0)
                put(ys + j * (int64_t)es, d->value, es);
            else
                put(ys + j * (int64_t)es, xs + (src + i) * (int64_t)es, es);
        }
        ys += w * (int64_t)es;
        for (int k = last - 1; k >= 0; k--) {
            if (++idx[k] < d->out[k]) break;
            idx[k] = 0;
        }
    }
}
