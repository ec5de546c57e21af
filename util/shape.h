/* Shared shape helpers for the op implementations (ops/, one file per family): numpy broadcasting
 * with unknown extents, broadcast strides and an index iterator, axis normalisation, conv/pool
 * window extents (auto_pad, ceil_mode) and checked element counts. Internal to libcalib8.
 *
 * OWNER: the compute-ops helper (ops/compute.c). Others use it; ask before changing the API.
 * Tests: tests/util/test_shape_util.c.
 *
 * Conventions: a negative extent is unknown; shape.rank < 0 is an unknown rank. Messages written
 * into err carry no node prefix: callers in ops_*.c add it with
 *     return err ? c8_node_err(err, g, n, s, "%s", err->msg) : s;
 * (c8_node_err copies the message before rewriting err, so this is safe; err may be NULL
 * everywhere, then only the status comes back). */
#ifndef C8_ENGINE_SHAPE_UTIL_H
#define C8_ENGINE_SHAPE_UTIL_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- broadcasting ---- */

/* Numpy (multidirectional) broadcast of n shapes into *out. names[i] (may be NULL, or any entry
 * NULL) names shape i in messages. Per axis, aligned from the right: all known extents other
 * than 1 must agree (else C8_ERR_SHAPE naming both shapes); an unknown extent broadcast with a
 * known d > 1 gives d, with 1 or another unknown gives unknown. Any unknown rank gives
 * out->rank = -1. Ranks above C8_MAX_RANK cannot occur (c8_shape holds at most that). */
c8_status c8_broadcast(const c8_shape *const *shapes, const char *const *names, int n,
                       c8_shape *out, c8_error *err);
/* Two-shape form of c8_broadcast. */
c8_status c8_broadcast2(const c8_shape *a, const char *name_a, const c8_shape *b,
                        const char *name_b, c8_shape *out, c8_error *err);

/* Element strides of `in` (C order) laid out against `out`'s axes (out->rank entries, aligned from
 * the right): 0 where `in` has no such axis or is broadcast (extent 1). Both shapes fully known and
 * `in` broadcastable to `out` (checked by the caller through c8_broadcast). */
void c8_broadcast_strides(const c8_shape *in, const c8_shape *out, int64_t strides[C8_MAX_RANK]);

/* Walks an output shape in C order and keeps the element offset of up to C8_BCAST_MAX_IN
 * broadcast operands:
 *     c8_bcast_iter it;
 *     c8_bcast_iter_init(&it, &out_shape, ins, 2);
 *     for (int64_t i = 0; i < numel; i++, c8_bcast_iter_next(&it))
 *         y[i] = a[it.off[0]] + b[it.off[1]];                                                  */
#define C8_BCAST_MAX_IN 4
typedef struct c8_bcast_iter {
    int rank, n;
    int64_t dims[C8_MAX_RANK];
    int64_t idx[C8_MAX_RANK];
    int64_t strides[C8_BCAST_MAX_IN][C8_MAX_RANK];
    int64_t off[C8_BCAST_MAX_IN]; /* current element offset into operand k */
} c8_bcast_iter;
void c8_bcast_iter_init(c8_bcast_iter *it, const c8_shape *out, const c8_shape *const *ins, int n);
void c8_bcast_iter_next(c8_bcast_iter *it);

/* ---- axes, counts ---- */

/* Normalises axis (negative counts from the end) for a tensor of the given rank into *out:
 * valid range -rank .. rank-1 (C8_ERR_INVALID otherwise, with the range in the message). For
 * axes that may equal rank (e.g. Unsqueeze output positions) pass rank + 1. */
c8_status c8_axis_norm(int64_t axis, int rank, int *out, c8_error *err);

/* C-order element strides of a fully known shape. */
void c8_shape_strides(const c8_shape *s, int64_t strides[C8_MAX_RANK]);

/* Element count of a fully known shape: C8_ERR_SHAPE if the rank or an extent is unknown or
 * negative, C8_ERR_NOMEM if the count or count * elem_size bytes overflows int64/size_t.
 * what names the tensor in messages (may be NULL). nbytes may be NULL; elem_size may be 0. */
c8_status c8_shape_count(const c8_shape *s, size_t elem_size, const char *what, int64_t *numel,
                         size_t *nbytes, c8_error *err);

/* Product of extents [from, to) of a fully known shape, e.g. the outer/inner sizes around an
 * axis; -1 if unknown or on overflow. */
int64_t c8_shape_span(const c8_shape *s, int from, int to);

bool c8_shape_equal(const c8_shape *a, const c8_shape *b);

/* ---- conv / pool windows ---- */

/* ONNX auto_pad; values are ours. */
typedef enum c8_auto_pad {
    C8_AUTO_PAD_NOTSET = 0,
    C8_AUTO_PAD_SAME_UPPER = 1,
    C8_AUTO_PAD_SAME_LOWER = 2,
    C8_AUTO_PAD_VALID = 3
} c8_auto_pad;

/* Parses "NOTSET" / "SAME_UPPER" / "SAME_LOWER" / "VALID" (NULL or "" means NOTSET); false if
 * the string is none of these. */
bool c8_auto_pad_parse(const char *s, c8_auto_pad *out);

/* One spatial axis of a sliding window (Conv, MaxPool, AveragePool):
 *   in       input extent (negative: unknown -> *out = -1; SAME pads are then left at 0)
 *   kernel, stride, dilation >= 1
 *   *pad_begin, *pad_end: in: the explicit pads (used for NOTSET, must be >= 0);
 *                         out: the pads actually applied (computed for SAME_*, 0 for VALID)
 *   ceil_mode: pools only. ceil instead of floor, then the last window is dropped if it would
 *     start in the right padding: (out-1)*stride >= in + pad_begin (the ONNX/PyTorch rule).
 * Output extents:
 *   NOTSET : floor_or_ceil((in + pb + pe - ((kernel-1)*dilation + 1)) / stride) + 1
 *   VALID  : as NOTSET with zero pads
 *   SAME_* : ceil(in / stride); total pad = max(0, (out-1)*stride + (kernel-1)*dilation + 1 - in),
 *            SAME_UPPER puts the extra odd pad at the end, SAME_LOWER at the beginning.
 * Errors: C8_ERR_INVALID for parameters < 1 or negative pads, C8_ERR_SHAPE when the window does
 * not fit (output extent < 1), C8_ERR_NOMEM on int64 overflow. Messages name the axis. */
c8_status c8_window_extent(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                           c8_auto_pad auto_pad, bool ceil_mode, int64_t *pad_begin,
                           int64_t *pad_end, int64_t *out, c8_error *err);

#endif
