/* Plain C reference kernels for data movement, by element size (any dtype): strided copy (the
 * core of Transpose, Slice and broadcast expansion), Transpose, Gather and block copies for
 * Concat / Split. Internal to libcalib8; the ops are in ops/tensor_shape.c.
 * Tests: tests/ops/test_ops_shape.c. */
#ifndef C8_KERNELS_REF_TRANSPOSE_H
#define C8_KERNELS_REF_TRANSPOSE_H

#include "calib8/tensor.h"

#include <stddef.h>
#include <stdint.h>

/* y (contiguous, C order, shape dims[0..rank)) gathers elements of x:
 *   y[i_0, ..., i_{rank-1}] = x[offset + sum_k i_k * strides[k]]
 * Strides count elements and may be 0 (broadcast) or negative (reversed slice); the caller
 * guarantees every address stays inside x. rank 0 copies one element. */
typedef struct c8_strided_desc {
    int rank;
    int64_t dims[C8_MAX_RANK];
    int64_t strides[C8_MAX_RANK];
    int64_t offset;
    size_t esize; /* bytes per element: 1, 2, 4, 8 (any other size works, slower) */
} c8_strided_desc;

void c8_ref_strided_copy(const c8_strided_desc *d, const void *x, void *y);

/* y = x transposed: y.shape[k] = in.shape[perm[k]]; perm is a permutation of 0..rank-1. */
void c8_ref_transpose(const c8_shape *in, const int *perm, size_t esize, const void *x, void *y);

/* Gather along one axis. x viewed as (outer, axis_len, inner), y as (outer, n_idx, inner):
 *   y[o, j, i] = x[o, idx[j] (+ axis_len if negative), i]
 * indices: n_idx elements of idx_dtype (C8_DT_INT32 or C8_DT_INT64), each already checked to lie
 * in [-axis_len, axis_len). */
typedef struct c8_gather_desc {
    size_t esize;
    int64_t outer, axis_len, inner, n_idx;
    c8_dtype idx_dtype;
} c8_gather_desc;

void c8_ref_gather(const c8_gather_desc *d, const void *x, const void *indices, void *y);

/* Copies `rows` rows of row_bytes each from src (rows src_pitch bytes apart) to dst (dst_pitch
 * apart). Concat copies each input into its column block of the output; Split the reverse. */
void c8_ref_copy_rows(int64_t rows, size_t row_bytes, const void *src, size_t src_pitch, void *dst,
                      size_t dst_pitch);

#endif
