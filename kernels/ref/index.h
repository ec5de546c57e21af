/* Plain C reference kernels for the index and generator ops of ops/index.c: Tile,
 * GatherElements, ArgMax / ArgMin and TopK (Expand is a strided copy with stride 0 on the
 * broadcast axes, kernels/ref/transpose.h; ConstantOfShape and Range fill in ops/index.c).
 * Internal to libcalib8. Tests: tests/ops/test_ops_index.c and the ONNX conformance cases. */
#ifndef C8_KERNELS_REF_INDEX_H
#define C8_KERNELS_REF_INDEX_H

#include "calib8/tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* y (shape out) = x (shape in) repeated: out.d[k] = in.d[k] * repeats[k], y[i..] = x[i % in..]
 * for every axis; both fully known, same rank; elements of esize bytes. */
void c8_ref_tile(const c8_shape *in, const c8_shape *out, size_t esize, const void *x, void *y);

/* GatherElements: y has idx's shape (same rank as x's), and
 *   y[i0..ir] = x[i0.., idx[i0..ir] (+ x.d[axis] if negative), ..ir]
 * on axis `axis`; idx is int32 or int64, every value already checked to lie in
 * [-x.d[axis], x.d[axis]). Elements of esize bytes. */
void c8_ref_gather_elements(const c8_shape *sx, const void *x, int axis, c8_dtype idx_dtype,
                            const c8_shape *si, const void *idx, size_t esize, void *y);

/* Whether the value kernels below take dtype dt: float32/64, int32/64 (compared as float64:
 * exact for all but int64 values beyond 2^53). */
bool c8_ref_index_value_supports(c8_dtype dt);

/* ArgMax (max) / ArgMin of x viewed as (outer, len, inner) along the middle axis into y
 * (outer, inner) int64: the first index of the extreme value, or the last with last = true; NaN
 * is the extreme (the first NaN wins, as numpy's argmax). len >= 1. */
void c8_ref_arg_reduce(bool max, bool last, c8_dtype dt, int64_t outer, int64_t len, int64_t inner,
                       const void *x, int64_t *y);

/* TopK of x viewed as (outer, len, inner) along the middle axis: the k largest (or smallest)
 * values into values (outer, k, inner) of dt, their indices into indices (outer, k, inner)
 * int64, sorted by value (largest first, or smallest first), equal values by lower index first
 * (ONNX); NaN ranks above every number. k <= len. Returns false (nothing written) when the scratch
 * buffer cannot be allocated. */
bool c8_ref_topk(c8_dtype dt, int64_t outer, int64_t len, int64_t inner, int64_t k, bool largest,
                 const void *x, void *values, int64_t *indices);

#endif
