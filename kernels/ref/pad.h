/* Plain C reference kernel for Pad (constant, reflect, edge), by element size (any dtype).
 * Internal to libcalib8; the op is in ops/tensor_resize.c. Tests: tests/ops/test_ops_resize.c.
 */
#ifndef C8_KERNELS_REF_PAD_H
#define C8_KERNELS_REF_PAD_H

#include "calib8/tensor.h"

#include <stddef.h>
#include <stdint.h>

/* Values are ours. */
typedef enum c8_pad_mode {
    C8_PAD_CONSTANT = 0, /* outside -> value */
    C8_PAD_REFLECT = 1,  /* mirror without repeating the edge: numpy 'reflect' */
    C8_PAD_EDGE = 2      /* repeat the edge element */
} c8_pad_mode;

/* x: shape in[0..rank), y: shape out[0..rank) with out[k] = in[k] + begin[k] + end[k] >= 0.
 * Pads may be negative (crop). Output element o along axis k reads input index o - begin[k];
 * out of [0, in[k]) it maps by mode. REFLECT and EDGE need in[k] >= 1 on every axis where
 * out[k] > 0 and some index falls outside (the op checks); REFLECT bounces as often as needed
 * (numpy's rule), so pads larger than the axis are fine. */
typedef struct c8_pad_desc {
    int rank;
    int64_t in[C8_MAX_RANK];
    int64_t out[C8_MAX_RANK];
    int64_t begin[C8_MAX_RANK];
    c8_pad_mode mode;
    size_t esize;      /* bytes per element */
    const void *value; /* CONSTANT: one element (esize bytes) */
} c8_pad_desc;

void c8_ref_pad(const c8_pad_desc *d, const void *x, void *y);

/* Maps output position o (input coordinate i = o - begin) on an axis of extent n >= 1 into
 * [0, n) for REFLECT / EDGE; for CONSTANT returns -1 when outside. */
int64_t c8_pad_map_index(c8_pad_mode mode, int64_t i, int64_t n);

#endif
