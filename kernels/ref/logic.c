/* Reference kernels for the comparison and logic ops. Contract: kernels/ref/logic.h. */
#include "kernels/ref/logic.h"

#include "kernels/ref/fp16.h"
#include "util/shape.h"

#include <string.h>

bool c8_ref_compare_supports(c8_compare_op op, c8_dtype dt) {
    if (op >= C8_LOGIC_AND) return dt == C8_DT_BOOL;
    switch (dt) {
    case C8_DT_FLOAT:
    case C8_DT_DOUBLE:
    case C8_DT_FLOAT16:
    case C8_DT_INT8:
    case C8_DT_UINT8:
    case C8_DT_INT16:
    case C8_DT_UINT16:
    case C8_DT_INT32:
    case C8_DT_UINT32:
    case C8_DT_INT64:
    case C8_DT_UINT64: return true;
    case C8_DT_BOOL: return op == C8_CMP_EQUAL;
    default: return false;
    }
}

/* One comparison loop per type: T the element type, CONV the conversion to a comparable value
 * (identity, or half -> float). */
#define CMP_LOOP(T, CONV)                                                                          \
    do {                                                                                           \
        const T *pa = a, *pb = b;                                                                  \
        for (int64_t i = 0; i < n; i++, c8_bcast_iter_next(&it)) {                                 \
            const T va = pa[it.off[0]], vb = pb[it.off[1]];                                        \
            bool r = false;                                                                        \
            switch (op) {                                                                          \
            case C8_CMP_EQUAL: r = CONV(va) == CONV(vb); break;                                    \
            case C8_CMP_GREATER: r = CONV(va) > CONV(vb); break;                                   \
            case C8_CMP_LESS: r = CONV(va) < CONV(vb); break;                                      \
            case C8_CMP_GREATER_EQUAL: r = CONV(va) >= CONV(vb); break;                            \
            case C8_CMP_LESS_EQUAL: r = CONV(va) <= CONV(vb); break;                               \
            case C8_LOGIC_AND: r = (va != 0) && (vb != 0); break;                                  \
            case C8_LOGIC_OR: r = (va != 0) || (vb != 0); break;                                   \
            case C8_LOGIC_XOR: r = (va != 0) != (vb != 0); break;                                  \
            }                                                                                      \
            y[i] = r;                                                                              \
        }                                                                                          \
    } while (0)
#define SAME(v) (v)
#define HALF(v) c8_fp16_to_f32(v)

bool c8_ref_compare(c8_compare_op op, c8_dtype dt, const c8_shape *sa, const void *a,
                    const c8_shape *sb, const void *b, const c8_shape *sy, uint8_t *y) {
    if (!c8_ref_compare_supports(op, dt)) return false;
    const c8_shape *ins[2] = {sa, sb};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, sy, ins, 2);
    int64_t n = c8_shape_numel(sy);
    switch (dt) {
    case C8_DT_FLOAT: CMP_LOOP(float, SAME); break;
    case C8_DT_DOUBLE: CMP_LOOP(double, SAME); break;
    case C8_DT_FLOAT16: CMP_LOOP(uint16_t, HALF); break;
    case C8_DT_INT8: CMP_LOOP(int8_t, SAME); break;
    case C8_DT_UINT8:
    case C8_DT_BOOL: CMP_LOOP(uint8_t, SAME); break;
    case C8_DT_INT16: CMP_LOOP(int16_t, SAME); break;
    case C8_DT_UINT16: CMP_LOOP(uint16_t, SAME); break;
    case C8_DT_INT32: CMP_LOOP(int32_t, SAME); break;
    case C8_DT_UINT32: CMP_LOOP(uint32_t, SAME); break;
    case C8_DT_INT64: CMP_LOOP(int64_t, SAME); break;
    case C8_DT_UINT64: CMP_LOOP(uint64_t, SAME); break;
    default: return false;
    }
    return true;
}

void c8_ref_not(const uint8_t *x, uint8_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = !x[i];
}

void c8_ref_where(const c8_shape *sc, const uint8_t *cond, const c8_shape *sx, const void *x,
                  const c8_shape *sz, const void *z, const c8_shape *sy, void *y, size_t esize) {
    const c8_shape *ins[3] = {sc, sx, sz};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, sy, ins, 3);
    int64_t n = c8_shape_numel(sy);
    for (int64_t i = 0; i < n; i++, c8_bcast_iter_next(&it)) {
        const char *src = cond[it.off[0]] ? (const char *)x + (size_t)it.off[1] * esize
                                          : (const char *)z + (size_t)it.off[2] * esize;
        memcpy((char *)y + (size_t)i * esize, src, esize);
    }
}
