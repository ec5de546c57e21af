/* Shared shape helpers for the op implementations; see shape_util.h. Tests:
 * tests/util/test_shape_util.c. */
#include "util/shape.h"

#include "util/arith.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

#define SHAPE_BUF 160

static const char *nm(const char *const *names, int i, char *buf, size_t len) {
    if (names && names[i]) return names[i];
    snprintf(buf, len, "operand %d", i);
    return buf;
}

c8_status c8_broadcast(const c8_shape *const *shapes, const char *const *names, int n,
                       c8_shape *out, c8_error *err) {
    c8_shape r;
    memset(&r, 0, sizeof r);
    int rank = 0;
    for (int i = 0; i < n; i++) {
        if (shapes[i]->rank < 0) {
            memset(out, 0, sizeof *out);
            out->rank = -1;
            return C8_OK;
        }
        if (shapes[i]->rank > rank) rank = shapes[i]->rank;
    }
    r.rank = rank;
    /* owner[k]: the operand that fixed a known extent > 1 on output axis k (for messages) */
    int owner[C8_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        r.d[k] = 1;
        owner[k] = -1;
    }
    for (int i = 0; i < n; i++) {
        const c8_shape *s = shapes[i];
        int off = rank - s->rank;
        for (int j = 0; j < s->rank; j++) {
            int k = off + j;
            int64_t d = s->d[j], cur = r.d[k];
            if (d == 1) continue;
            if (d < 0) {
                if (cur == 1) r.d[k] = -1; /* 1 x ? -> ?  ; d>1 x ? stays d */
                continue;
            }
            if (cur == 1 || cur < 0) {
                r.d[k] = d;
                owner[k] = i;
                continue;
            }
            if (cur != d) {
                char b1[SHAPE_BUF], b2[SHAPE_BUF], n1[32], n2[32];
                int o = owner[k];
                return c8_err(err, C8_ERR_SHAPE,
                              "cannot broadcast %s (%s) with %s (%s): axis %d has extent %lld "
                              "vs %lld",
                              nm(names, o, n1, sizeof n1), c8_shape_str(shapes[o], b1, sizeof b1),
                              nm(names, i, n2, sizeof n2), c8_shape_str(s, b2, sizeof b2), k - rank,
                              (long long)cur, (long long)d);
            }
        }
    }
    *out = r;
    return C8_OK;
}

c8_status c8_broadcast2(const c8_shape *a, const char *name_a, const c8_shape *b,
                        const char *name_b, c8_shape *out, c8_error *err) {
    const c8_shape *s[2] = {a, b};
    const char *names[2] = {name_a, name_b};
    return c8_broadcast(s, names, 2, out, err);
}

void c8_shape_strides(const c8_shape *s, int64_t strides[C8_MAX_RANK]) {
    int64_t st = 1;
    for (int k = s->rank - 1; k >= 0; k--) {
        strides[k] = st;
        st *= s->d[k];
    }
}

void c8_broadcast_strides(const c8_shape *in, const c8_shape *out, int64_t strides[C8_MAX_RANK]) {
    int64_t own[C8_MAX_RANK];
    c8_shape_strides(in, own);
    int off = out->rank - in->rank;
    for (int k = 0; k < out->rank; k++) {
        int j = k - off;
        strides[k] = (j < 0 || in->d[j] == 1) ? 0 : own[j];
    }
}

void c8_bcast_iter_init(c8_bcast_iter *it, const c8_shape *out, const c8_shape *const *ins, int n) {
    C8_ASSERT(n >= 0 && n <= C8_BCAST_MAX_IN);
    memset(it, 0, sizeof *it);
    it->rank = out->rank;
    it->n = n;
    for (int k = 0; k < out->rank; k++) it->dims[k] = out->d[k];
    for (int i = 0; i < n; i++) c8_broadcast_strides(ins[i], out, it->strides[i]);
}

void c8_bcast_iter_next(c8_bcast_iter *it) {
    for (int k = it->rank - 1; k >= 0; k--) {
        if (++it->idx[k] < it->dims[k]) {
            for (int i = 0; i < it->n; i++) it->off[i] += it->strides[i][k];
            return;
        }
        /* wrap this axis back to 0 and carry into the next one */
        for (int i = 0; i < it->n; i++) it->off[i] -= it->strides[i][k] * (it->idx[k] - 1);
        it->idx[k] = 0;
    }
    /* past the last element: offsets are back at 0 (callers stop by count) */
}

c8_status c8_axis_norm(int64_t axis, int rank, int *out, c8_error *err) {
    if (rank < 0)
        return c8_err(err, C8_ERR_INVALID, "axis %lld on a tensor of unknown rank",
                      (long long)axis);
    if (axis < -(int64_t)rank || axis >= rank)
        return c8_err(err, C8_ERR_INVALID, "axis %lld is out of range for rank %d (valid %d..%d)",
                      (long long)axis, rank, -rank, rank - 1);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return C8_OK;
}

c8_status c8_shape_count(const c8_shape *s, size_t elem_size, const char *what, int64_t *numel,
                         size_t *nbytes, c8_error *err) {
    char b[SHAPE_BUF];
    const char *w = what ? what : "tensor";
    if (s->rank < 0) return c8_err(err, C8_ERR_SHAPE, "%s has an unknown rank", w);
    int64_t n = 1;
    for (int k = 0; k < s->rank; k++) {
        if (s->d[k] < 0)
            return c8_err(err, C8_ERR_SHAPE, "%s has an unknown or negative extent (%s)", w,
                          c8_shape_str(s, b, sizeof b));
        if (!c8_mul_i64(n, s->d[k], &n))
            return c8_err(err, C8_ERR_NOMEM, "%s: element count of %s overflows", w,
                          c8_shape_str(s, b, sizeof b));
    }
    size_t bytes = 0;
    if ((uint64_t)n > SIZE_MAX || !c8_mul_size((size_t)n, elem_size, &bytes) ||
        bytes > (size_t)INT64_MAX)
        return c8_err(err, C8_ERR_NOMEM, "%s: byte size of %s overflows", w,
                      c8_shape_str(s, b, sizeof b));
    if (numel) *numel = n;
    if (nbytes) *nbytes = bytes;
    return C8_OK;
}

int64_t c8_shape_span(const c8_shape *s, int from, int to) {
    int64_t n = 1;
    for (int k = from; k < to; k++)
        if (!c8_mul_i64(n, s->d[k], &n)) return -1;
    return n;
}

bool c8_shape_equal(const c8_shape *a, const c8_shape *b) {
    if (a->rank != b->rank) return false;
    for (int k = 0; k < a->rank; k++)
        if (a->d[k] != b->d[k]) return false;
    return true;
}

bool c8_auto_pad_parse(const char *s, c8_auto_pad *out) {
    if (!s || !*s || strcmp(s, "NOTSET") == 0)
        *out = C8_AUTO_PAD_NOTSET;
    else if (strcmp(s, "SAME_UPPER") == 0)
        *out = C8_AUTO_PAD_SAME_UPPER;
    else if (strcmp(s, "SAME_LOWER") == 0)
        *out = C8_AUTO_PAD_SAME_LOWER;
    else if (strcmp(s, "VALID") == 0)
        *out = C8_AUTO_PAD_VALID;
    else
        return false;
    return true;
}

static bool add_i64(int64_t a, int64_t b, int64_t *out) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return false;
    *out = a + b;
    return true;
}

c8_status c8_window_extent(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                           c8_auto_pad auto_pad, bool ceil_mode, int64_t *pad_begin,
                           int64_t *pad_end, int64_t *out, c8_error *err) {
    if (kernel < 1 || stride < 1 || dilation < 1)
        return c8_err(
            err, C8_ERR_INVALID,
            "spatial axis %d: kernel %lld, stride %lld and dilation %lld must all be >= 1", axis,
            (long long)kernel, (long long)stride, (long long)dilation);
    int64_t ext; /* effective kernel extent (kernel-1)*dilation + 1 */
    if (!c8_mul_i64(kernel - 1, dilation, &ext) || !add_i64(ext, 1, &ext))
        return c8_err(err, C8_ERR_NOMEM, "spatial axis %d: kernel %lld x dilation %lld overflows",
                      axis, (long long)kernel, (long long)dilation);
    if (auto_pad == C8_AUTO_PAD_VALID) {
        *pad_begin = 0;
        *pad_end = 0;
    } else if (auto_pad == C8_AUTO_PAD_NOTSET) {
        if (*pad_begin < 0 || *pad_end < 0)
            return c8_err(err, C8_ERR_INVALID, "spatial axis %d: negative pads (%lld, %lld)", axis,
                          (long long)*pad_begin, (long long)*pad_end);
    }
    if (in < 0) {
        if (auto_pad == C8_AUTO_PAD_SAME_UPPER || auto_pad == C8_AUTO_PAD_SAME_LOWER)
            *pad_begin = *pad_end = 0;
        *out = -1;
        return C8_OK;
    }
    if (auto_pad == C8_AUTO_PAD_SAME_UPPER || auto_pad == C8_AUTO_PAD_SAME_LOWER) {
        int64_t o = in / stride + (in % stride != 0); /* ceil(in / stride) */
        int64_t need;                                 /* (o-1)*stride + ext - in */
        if (!c8_mul_i64(o > 0 ? o - 1 : 0, stride, &need) || !add_i64(need, ext, &need))
            return c8_err(err, C8_ERR_NOMEM, "spatial axis %d: SAME padding overflows", axis);
        int64_t total = need - in > 0 ? need - in : 0;
        if (auto_pad == C8_AUTO_PAD_SAME_UPPER) {
            *pad_begin = total / 2;
            *pad_end = total - total / 2;
        } else {
            *pad_end = total / 2;
            *pad_begin = total - total / 2;
        }
        if (o < 1)
            return c8_err(err, C8_ERR_SHAPE,
                          "spatial axis %d: input extent %lld gives an empty "
                          "output",
                          axis, (long long)in);
        *out = o;
        return C8_OK;
    }
    int64_t padded;
    if (!add_i64(in, *pad_begin, &padded) || !add_i64(padded, *pad_end, &padded))
        return c8_err(err, C8_ERR_NOMEM, "spatial axis %d: input extent %lld plus pads overflows",
                      axis, (long long)in);
    if (padded < ext)
        return c8_err(err, C8_ERR_SHAPE,
                      "spatial axis %d: window extent %lld (kernel %lld, dilation %lld) exceeds "
                      "the padded input extent %lld (input %lld, pads %lld+%lld)",
                      axis, (long long)ext, (long long)kernel, (long long)dilation,
                      (long long)padded, (long long)in, (long long)*pad_begin, (long long)*pad_end);
    int64_t span = padded - ext;
    int64_t o = span / stride + 1;
    if (ceil_mode && span % stride != 0) {
        o += 1;
        /* the last window must start inside the input or the left padding */
        if ((o - 1) * stride >= in + *pad_begin) o -= 1;
    }
    *out = o;
    return C8_OK;
}
