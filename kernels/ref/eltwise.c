/* Reference elementwise kernels; see eltwise.h. Broadcasting walks the output one row (last axis)
 * at a time with util/shape.h's broadcast iterator over the outer axes. */
#include "kernels/ref/eltwise.h"

#include "util/shape.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/ref.h"

#include <math.h>
#include <string.h>

/* ---- float32 activations ---- */

static float clampf01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

void c8_ref_unary_f32(const c8_unary_desc *d, const float *x, float *y, int64_t n) {
    switch (d->op) {
    case C8_UNARY_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = c8_ref_act(C8_REF_ACT_RELU, 0.0f, 0.0f, x[i]);
        break;
    case C8_UNARY_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = c8_ref_act(C8_REF_ACT_LEAKY_RELU, d->alpha, 0.0f, x[i]);
        break;
    case C8_UNARY_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = c8_ref_act(C8_REF_ACT_SIGMOID, 0.0f, 0.0f, x[i]);
        break;
    case C8_UNARY_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
        break;
    case C8_UNARY_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = clampf01(d->alpha * x[i] + d->beta);
        break;
    case C8_UNARY_HARD_SWISH:
        for (int64_t i = 0; i < n; i++) y[i] = x[i] * clampf01(x[i] / 6.0f + 0.5f);
        break;
    }
}

/* ---- typed helpers shared by Clip and the binary ops ---- */

#define C8_FOR_INT_TYPES(X)                                                                        \
    X(int8_t, uint32_t, i8, 1)                                                                     \
    X(uint8_t, uint32_t, u8, 0)                                                                    \
    X(int16_t, uint32_t, i16, 1)                                                                   \
    X(uint16_t, uint32_t, u16, 0)                                                                  \
    X(int32_t, uint32_t, i32, 1)                                                                   \
    X(uint32_t, uint32_t, u32, 0)                                                                  \
    X(int64_t, uint64_t, i64, 1)                                                                   \
    X(uint64_t, uint64_t, u64, 0)

static bool is_int_dtype(c8_dtype dt) {
    switch (dt) {
    case C8_DT_INT8:
    case C8_DT_UINT8:
    case C8_DT_INT16:
    case C8_DT_UINT16:
    case C8_DT_INT32:
    case C8_DT_UINT32:
    case C8_DT_INT64:
    case C8_DT_UINT64: return true;
    default: return false;
    }
}

/* ---- Clip ---- */

bool c8_ref_clip_supports(c8_dtype dt) {
    return dt == C8_DT_FLOAT || dt == C8_DT_DOUBLE || is_int_dtype(dt);
}

/* NaN fails both comparisons and passes through. */
#define CLIP_LOOP(T)                                                                               \
    do {                                                                                           \
        const T *xs = x;                                                                           \
        T *ys = y;                                                                                 \
        T l = 0, h = 0;                                                                            \
        if (lo) memcpy(&l, lo, sizeof l);                                                          \
        if (hi) memcpy(&h, hi, sizeof h);                                                          \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v = xs[i];                                                                           \
            if (lo && v < l) v = l;                                                                \
            if (hi && v > h) v = h;                                                                \
            ys[i] = v;                                                                             \
        }                                                                                          \
    } while (0)

bool c8_ref_clip(c8_dtype dt, const void *x, void *y, int64_t n, const void *lo, const void *hi) {
    switch (dt) {
    case C8_DT_FLOAT: CLIP_LOOP(float); return true;
    case C8_DT_DOUBLE: CLIP_LOOP(double); return true;
    case C8_DT_INT8: CLIP_LOOP(int8_t); return true;
    case C8_DT_UINT8: CLIP_LOOP(uint8_t); return true;
    case C8_DT_INT16: CLIP_LOOP(int16_t); return true;
    case C8_DT_UINT16: CLIP_LOOP(uint16_t); return true;
    case C8_DT_INT32: CLIP_LOOP(int32_t); return true;
    case C8_DT_UINT32: CLIP_LOOP(uint32_t); return true;
    case C8_DT_INT64: CLIP_LOOP(int64_t); return true;
    case C8_DT_UINT64: CLIP_LOOP(uint64_t); return true;
    default: return false;
    }
}

/* ---- binary ops: one row of w elements; ia / ib are 0 (broadcast) or 1 ---- */

typedef void (*row_fn)(c8_binary_op op, int64_t w, const void *a, int64_t ia, const void *b,
                       int64_t ib, void *y);

static float fmaxnan(float a, float b) { return (a != a || b != b) ? a + b : (a > b ? a : b); }
static float fminnan(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }
static double dmaxnan(double a, double b) { return (a != a || b != b) ? a + b : (a > b ? a : b); }
static double dminnan(double a, double b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }

static float op_f32(c8_binary_op op, float a, float b) {
    switch (op) {
    case C8_BINARY_ADD: return a + b;
    case C8_BINARY_SUB: return a - b;
    case C8_BINARY_MUL: return a * b;
    case C8_BINARY_DIV: return a / b;
    case C8_BINARY_MAX: return fmaxnan(a, b);
    case C8_BINARY_MIN: return fminnan(a, b);
    case C8_BINARY_PRELU: return a < 0.0f ? a * b : a;
    }
    return 0.0f;
}

static double op_f64(c8_binary_op op, double a, double b) {
    switch (op) {
    case C8_BINARY_ADD: return a + b;
    case C8_BINARY_SUB: return a - b;
    case C8_BINARY_MUL: return a * b;
    case C8_BINARY_DIV: return a / b;
    case C8_BINARY_MAX: return dmaxnan(a, b);
    case C8_BINARY_MIN: return dminnan(a, b);
    case C8_BINARY_PRELU: return a < 0.0 ? a * b : a;
    }
    return 0.0;
}

/* The switch sits outside the loop so the common float32 rows stay simple loops. */
static void row_f32(c8_binary_op op, int64_t w, const void *av, int64_t ia, const void *bv,
                    int64_t ib, void *yv) {
    const float *a = av, *b = bv;
    float *y = yv;
    switch (op) {
    case C8_BINARY_ADD:
        for (int64_t j = 0; j < w; j++) y[j] = a[j * ia] + b[j * ib];
        break;
    case C8_BINARY_SUB:
        for (int64_t j = 0; j < w; j++) y[j] = a[j * ia] - b[j * ib];
        break;
    case C8_BINARY_MUL:
        for (int64_t j = 0; j < w; j++) y[j] = a[j * ia] * b[j * ib];
        break;
    case C8_BINARY_DIV:
        for (int64_t j = 0; j < w; j++) y[j] = a[j * ia] / b[j * ib];
        break;
    default:
        for (int64_t j = 0; j < w; j++) y[j] = op_f32(op, a[j * ia], b[j * ib]);
        break;
    }
}

static void row_f64(c8_binary_op op, int64_t w, const void *av, int64_t ia, const void *bv,
                    int64_t ib, void *yv) {
    const double *a = av, *b = bv;
    double *y = yv;
    for (int64_t j = 0; j < w; j++) y[j] = op_f64(op, a[j * ia], b[j * ib]);
}

static void row_f16(c8_binary_op op, int64_t w, const void *av, int64_t ia, const void *bv,
                    int64_t ib, void *yv) {
    const uint16_t *a = av, *b = bv;
    uint16_t *y = yv;
    for (int64_t j = 0; j < w; j++)
        y[j] = c8_fp16_from_f32(op_f32(op, c8_fp16_to_f32(a[j * ia]), c8_fp16_to_f32(b[j * ib])));
}

/* Integer rows. Add/Sub/Mul go through the unsigned type U (at least 32 bits, so uint16 * uint16
 * does not promote to a signed int that overflows) and wrap; the conversion back to a signed T is
 * modulo 2^bits with GCC and Clang. Division: truncation toward zero as C and ONNX Runtime do;
 * x / 0 -> 0 and MIN / -1 -> MIN (wrapped) instead of undefined behaviour. */
#define DEFINE_INT_ROW(T, U, SFX, SIGNED)                                                          \
    static T div_##SFX(T a, T b) {                                                                 \
        if (b == 0) return 0;                                                                      \
        if (SIGNED && b == (T)-1) return (T)(U)(0u - (U)a);                                        \
        return (T)(a / b);                                                                         \
    }                                                                                              \
    static void row_##SFX(c8_binary_op op, int64_t w, const void *av, int64_t ia, const void *bv,  \
                          int64_t ib, void *yv) {                                                  \
        const T *a = av, *b = bv;                                                                  \
        T *y = yv;                                                                                 \
        for (int64_t j = 0; j < w; j++) {                                                          \
            T x0 = a[j * ia], x1 = b[j * ib];                                                      \
            switch (op) {                                                                          \
            case C8_BINARY_ADD: y[j] = (T)(U)((U)x0 + (U)x1); break;                               \
            case C8_BINARY_SUB: y[j] = (T)(U)((U)x0 - (U)x1); break;                               \
            case C8_BINARY_MUL: y[j] = (T)(U)((U)x0 * (U)x1); break;                               \
            case C8_BINARY_DIV: y[j] = div_##SFX(x0, x1); break;                                   \
            case C8_BINARY_MAX: y[j] = x0 > x1 ? x0 : x1; break;                                   \
            case C8_BINARY_MIN: y[j] = x0 < x1 ? x0 : x1; break;                                   \
            case C8_BINARY_PRELU: y[j] = 0; break; /* excluded by c8_ref_binary_supports */        \
            }                                                                                      \
        }                                                                                          \
    }
C8_FOR_INT_TYPES(DEFINE_INT_ROW)

static row_fn row_for(c8_dtype dt) {
    switch (dt) {
    case C8_DT_FLOAT: return row_f32;
    case C8_DT_DOUBLE: return row_f64;
    case C8_DT_FLOAT16: return row_f16;
    case C8_DT_INT8: return row_i8;
    case C8_DT_UINT8: return row_u8;
    case C8_DT_INT16: return row_i16;
    case C8_DT_UINT16: return row_u16;
    case C8_DT_INT32: return row_i32;
    case C8_DT_UINT32: return row_u32;
    case C8_DT_INT64: return row_i64;
    case C8_DT_UINT64: return row_u64;
    default: return NULL;
    }
}

bool c8_ref_binary_supports(c8_binary_op op, c8_dtype dt) {
    if (!row_for(dt)) return false;
    if (op == C8_BINARY_PRELU)
        return dt == C8_DT_FLOAT || dt == C8_DT_DOUBLE || dt == C8_DT_FLOAT16;
    return true;
}

/* An operand seen as (outer axes, last axis): the outer part as a shape for the iterator and the
 * last extent (1 when broadcast along the output's last axis, or when the operand is a scalar). */
static void split_last(const c8_shape *s, c8_shape *outer, int64_t *last) {
    *outer = *s;
    if (s->rank >= 1) {
        *last = s->d[s->rank - 1];
        outer->rank = s->rank - 1;
    } else {
        *last = 1;
    }
}

bool c8_ref_binary(c8_binary_op op, c8_dtype dt, const c8_shape *sa, const void *a,
                   const c8_shape *sb, const void *b, const c8_shape *sy, void *y) {
    if (!c8_ref_binary_supports(op, dt)) return false;
    row_fn row = row_for(dt);
    size_t es = c8_dtype_size(dt);
    int64_t numel = c8_shape_numel(sy);
    if (numel <= 0) return true;
    if (sy->rank == 0) {
        row(op, 1, a, 0, b, 0, y);
        return true;
    }
    c8_shape oa, ob, oy;
    int64_t wa, wb, w;
    split_last(sa, &oa, &wa);
    split_last(sb, &ob, &wb);
    split_last(sy, &oy, &w);
    int64_t ia = (wa == 1 && w != 1) ? 0 : 1, ib = (wb == 1 && w != 1) ? 0 : 1;
    if (c8_shape_equal(sa, sy) && c8_shape_equal(sb, sy)) {
        row(op, numel, a, 1, b, 1, y); /* no broadcasting: one long row */
        return true;
    }
    const c8_shape *ins[2] = {&oa, &ob};
    c8_bcast_iter it;
    c8_bcast_iter_init(&it, &oy, ins, 2);
    const char *pa = a, *pb = b;
    char *py = y;
    int64_t rows = numel / w;
    for (int64_t r = 0; r < rows; r++, c8_bcast_iter_next(&it)) {
        /* outer offsets count rows of each operand; an operand's row holds wa (wb) elements */
        row(op, w, pa + (size_t)(it.off[0] * wa) * es, ia, pb + (size_t)(it.off[1] * wb) * es, ib,
            py + (size_t)(r * w) * es);
    }
    return true;
}

/* ---- IEEE binary16 ---- */

uint16_t c8_f64_to_f16(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000u);
    int exp = (int)((b >> 52) & 0x7ff);
    uint64_t man = b & 0xfffffffffffffULL; /* 52 bits */
    if (exp == 0x7ff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0u));
    if (exp == 0) return sign; /* float64 subnormals are far below half's range */
    int e = exp - 1023;        /* x = 1.man * 2^e */
    if (e > 15) return (uint16_t)(sign | 0x7c00u);
    if (e < -25) return sign; /* below half the smallest subnormal (2^-25): rounds to 0 */
    uint64_t sig = man | (1ULL << 52);
    /* keep 11 significant bits for normals; fewer for subnormals (unit 2^-24) */
    int shift = e >= -14 ? 42 : 42 + (-14 - e);
    uint64_t m = sig >> shift, rem = sig & ((1ULL << shift) - 1), halfway = 1ULL << (shift - 1);
    if (rem > halfway || (rem == halfway && (m & 1u))) m++;
    uint32_t h;
    if (e >= -14)
        h = ((uint32_t)(e + 15) << 10) + (uint32_t)m - 0x400u; /* carry bumps the exp */
    else
        h = (uint32_t)m; /* m == 0x400 becomes the smallest normal, as it should */
    return (uint16_t)(sign | h);
}

/* ---- Cast ---- */

static bool cast_dtype_ok(c8_dtype t) {
    return t == C8_DT_FLOAT || t == C8_DT_DOUBLE || t == C8_DT_FLOAT16 || t == C8_DT_BOOL ||
           is_int_dtype(t);
}

bool c8_ref_cast_supports(c8_dtype from, c8_dtype to) {
    return cast_dtype_ok(from) && cast_dtype_ok(to);
}

/* One element in transit: a float (double holds float32/float16 exactly), a signed or an unsigned
 * integer. */
typedef struct cast_val {
    enum { CV_F, CV_I, CV_U } kind;
    double f;
    int64_t i;
    uint64_t u;
} cast_val;

static cast_val cast_load(c8_dtype t, const void *p, int64_t k) {
    cast_val v = {CV_I, 0.0, 0, 0};
    switch (t) {
    case C8_DT_FLOAT:
        v.kind = CV_F;
        v.f = ((const float *)p)[k];
        break;
    case C8_DT_DOUBLE:
        v.kind = CV_F;
        v.f = ((const double *)p)[k];
        break;
    case C8_DT_FLOAT16:
        v.kind = CV_F;
        v.f = c8_fp16_to_f32(((const uint16_t *)p)[k]);
        break;
    case C8_DT_BOOL: v.i = ((const uint8_t *)p)[k] != 0; break;
    case C8_DT_INT8: v.i = ((const int8_t *)p)[k]; break;
    case C8_DT_INT16: v.i = ((const int16_t *)p)[k]; break;
    case C8_DT_INT32: v.i = ((const int32_t *)p)[k]; break;
    case C8_DT_INT64: v.i = ((const int64_t *)p)[k]; break;
    case C8_DT_UINT8:
        v.kind = CV_U;
        v.u = ((const uint8_t *)p)[k];
        break;
    case C8_DT_UINT16:
        v.kind = CV_U;
        v.u = ((const uint16_t *)p)[k];
        break;
    case C8_DT_UINT32:
        v.kind = CV_U;
        v.u = ((const uint32_t *)p)[k];
        break;
    case C8_DT_UINT64:
        v.kind = CV_U;
        v.u = ((const uint64_t *)p)[k];
        break;
    default: break;
    }
    return v;
}

/* float -> integer in [lo, hi] (both exactly representable as double, or hi = 2^63 / 2^64 which
 * is the first value out of range): truncate toward zero, saturate, NaN -> 0. */
static int64_t f_to_i(double f, double lo, double hi_excl, int64_t lo_i, int64_t hi_i) {
    if (f != f) return 0;
    if (f <= lo) return lo_i;
    if (f >= hi_excl) return hi_i;
    return (int64_t)f;
}

static uint64_t f_to_u(double f, double hi_excl, uint64_t hi_u) {
    if (f != f || f <= 0.0) return 0;
    if (f >= hi_excl) return hi_u;
    return (uint64_t)f;
}

/* The value as 64 bits modulo 2^64 (for wrapping integer -> integer conversions). */
static uint64_t as_bits(const cast_val *v) { return v->kind == CV_U ? v->u : (uint64_t)v->i; }

static void cast_store(c8_dtype t, void *p, int64_t k, const cast_val *v) {
    bool fl = v->kind == CV_F;
    uint64_t bits = fl ? 0 : as_bits(v);
    double f = fl ? v->f : (v->kind == CV_U ? (double)v->u : (double)v->i);
    switch (t) {
    case C8_DT_FLOAT:
        ((float *)p)[k] = fl ? (float)v->f : (v->kind == CV_U ? (float)v->u : (float)v->i);
        break;
    case C8_DT_DOUBLE: ((double *)p)[k] = f; break;
    case C8_DT_FLOAT16:
        /* integers above 2^53 lose bits in double first; they overflow half anyway */
        ((uint16_t *)p)[k] = c8_f64_to_f16(f);
        break;
    case C8_DT_BOOL: ((uint8_t *)p)[k] = fl ? (v->f != 0.0) : (bits != 0); break;
    case C8_DT_INT8:
        ((int8_t *)p)[k] =
            fl ? (int8_t)f_to_i(f, -128.0, 128.0, INT8_MIN, INT8_MAX) : (int8_t)(uint8_t)bits;
        break;
    case C8_DT_INT16:
        ((int16_t *)p)[k] = fl ? (int16_t)f_to_i(f, -32768.0, 32768.0, INT16_MIN, INT16_MAX)
                               : (int16_t)(uint16_t)bits;
        break;
    case C8_DT_INT32:
        ((int32_t *)p)[k] =
            fl ? (int32_t)f_to_i(f, -2147483648.0, 2147483648.0, INT32_MIN, INT32_MAX)
               : (int32_t)(uint32_t)bits;
        break;
    case C8_DT_INT64:
        ((int64_t *)p)[k] =
            fl ? f_to_i(f, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
               : (int64_t)bits;
        break;
    case C8_DT_UINT8:
        ((uint8_t *)p)[k] = fl ? (uint8_t)f_to_u(f, 256.0, UINT8_MAX) : (uint8_t)bits;
        break;
    case C8_DT_UINT16:
        ((uint16_t *)p)[k] = fl ? (uint16_t)f_to_u(f, 65536.0, UINT16_MAX) : (uint16_t)bits;
        break;
    case C8_DT_UINT32:
        ((uint32_t *)p)[k] = fl ? (uint32_t)f_to_u(f, 4294967296.0, UINT32_MAX) : (uint32_t)bits;
        break;
    case C8_DT_UINT64:
        ((uint64_t *)p)[k] = fl ? f_to_u(f, 18446744073709551616.0, UINT64_MAX) : bits;
        break;
    default: break;
    }
}

bool c8_ref_cast(c8_dtype from, const void *x, c8_dtype to, void *y, int64_t n) {
    if (!c8_ref_cast_supports(from, to)) return false;
    if (from == to) {
        if (n > 0) memcpy(y, x, (size_t)n * c8_dtype_size(from));
        return true;
    }
    if (from == C8_DT_FLOAT && to == C8_DT_FLOAT16) { /* the common case, kept direct */
        const float *xs = x;
        uint16_t *ys = y;
        for (int64_t i = 0; i < n; i++) ys[i] = c8_fp16_from_f32(xs[i]);
        return true;
    }
    for (int64_t i = 0; i < n; i++) {
        cast_val v = cast_load(from, x, i);
        cast_store(to, y, i, &v);
    }
    return true;
}
