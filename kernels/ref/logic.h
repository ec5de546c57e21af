/* Plain C reference kernels for the comparison and logic ops of ops/logic.c: Equal, Greater,
 * Less, GreaterOrEqual, LessOrEqual (bool results), And, Or, Xor, Not, and Where, all with numpy
 * broadcasting. Internal to libcalib8. Comparisons are done in the operands' own type (no
 * conversion, so int64 compares exactly); NaN compares unequal and unordered (IEEE).
 * Tests: tests/ops/test_ops_logic.c and the ONNX conformance cases. */
#ifndef C8_KERNELS_REF_LOGIC_H
#define C8_KERNELS_REF_LOGIC_H

#include "calib8/tensor.h"

#include <stdbool.h>
#include <stdint.h>

/* Values are ours (not stored in files). */
typedef enum c8_compare_op {
    C8_CMP_EQUAL = 0,
    C8_CMP_GREATER = 1,
    C8_CMP_LESS = 2,
    C8_CMP_GREATER_EQUAL = 3,
    C8_CMP_LESS_EQUAL = 4,
    C8_LOGIC_AND = 5, /* bool operands */
    C8_LOGIC_OR = 6,
    C8_LOGIC_XOR = 7
} c8_compare_op;

/* Whether c8_ref_compare takes operands of dtype dt for op: comparisons on float32/64/16 and the
 * 8..64-bit integer types (and bool for Equal); And / Or / Xor on bool only. */
bool c8_ref_compare_supports(c8_compare_op op, c8_dtype dt);

/* y = a op b as bool (one byte, 0 or 1) with numpy broadcasting: a (sa), b (sb) of dtype dt
 * broadcast to sy (checked by the caller). Returns false (nothing written) if unsupported. */
bool c8_ref_compare(c8_compare_op op, c8_dtype dt, const c8_shape *sa, const void *a,
                    const c8_shape *sb, const void *b, const c8_shape *sy, uint8_t *y);

/* y[i] = !x[i] for n bools. */
void c8_ref_not(const uint8_t *x, uint8_t *y, int64_t n);

/* y = cond ? x : z with numpy broadcasting of the three (shapes sc, sx, sz to sy); x, z and y
 * hold elements of esize bytes (any dtype), cond is bool. */
void c8_ref_where(const c8_shape *sc, const uint8_t *cond, const c8_shape *sx, const void *x,
                  const c8_shape *sz, const void *z, const c8_shape *sy, void *y, size_t esize);

#endif
