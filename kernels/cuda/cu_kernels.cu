/* The CUDA backend's own kernels; the contract and the references are in cu_kernels.h.
 *
 * Every kernel walks its output with a grid-stride loop and turns a flat output index into
 * per-operand element offsets through the views' extents and strides. The host side first
 * collapses axes that are contiguous in every operand and drops unit axes, so the common cases
 * (dense tensors, a per-channel bias, NHWC) run with one or two divisions per element, and uses
 * 32-bit index arithmetic whenever every offset fits.
 *
 * Float results follow the reference's operation order; this file is compiled with
 * --fmad=false (kernels/cuda/sources.cmake) so a*b+c is never contracted into an FMA. */
#include "kernels/cuda/cu_kernels.h"

#include "kernels/cuda/cuda_check.h"

#include <cuda_fp16.h>
#include <math.h>
#include <string.h>

#define C8CU_THREADS 256
#define C8CU_MAX_BLOCKS 65535

/* The activation codes of kernels/ref/ref.h (C8_REF_ACT_*). */
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_LEAKY 3
#define ACT_SIGMOID 4
#define ACT_HARDSWISH 5

extern "C" size_t c8cu_type_size(int type) {
    switch (type) {
    case C8CU_F32: return 4;
    case C8CU_F16: return 2;
    case C8CU_I8: return 1;
    case C8CU_RAW1: return 1;
    case C8CU_RAW2: return 2;
    case C8CU_RAW4: return 4;
    case C8CU_RAW8: return 8;
    }
    return 0;
}

static int blocks_for(int64_t n) {
    int64_t b = (n + C8CU_THREADS - 1) / C8CU_THREADS;
    if (b < 1) b = 1;
    return (int)(b > C8CU_MAX_BLOCKS ? C8CU_MAX_BLOCKS : b);
}

/* ------------------------------------------------------------------ element access */

__device__ __forceinline__ float ld_f(const void *p, int type, int64_t off) {
    switch (type) {
    case C8CU_F16: return __half2float(((const __half *)p)[off]);
    case C8CU_I8: return (float)((const int8_t *)p)[off];
    default: return ((const float *)p)[off];
    }
}

__device__ __forceinline__ void st_f(void *p, int type, int64_t off, float v) {
    switch (type) {
    case C8CU_F16: ((__half *)p)[off] = __float2half_rn(v); break;
    case C8CU_I8: { /* not produced by float ops here; saturating round for completeness */
        float r = rintf(v);
        r = r > 127.0f ? 127.0f : (r < -128.0f ? -128.0f : r);
        ((int8_t *)p)[off] = (int8_t)r;
        break;
    }
    default: ((float *)p)[off] = v; break;
    }
}

/* c8_ref_act (kernels/ref/act.c), operation for operation. */
__device__ __forceinline__ float act_ref(int act, float a, float b, float x) {
    switch (act) {
    case ACT_RELU: return x < 0.0f ? 0.0f : x;
    case ACT_CLIP: x = x < a ? a : x; return x > b ? b : x;
    case ACT_LEAKY: return x < 0.0f ? a * x : x;
    case ACT_SIGMOID:
        if (x >= 0.0f)
            return 1.0f / (1.0f + expf(-x));
        else {
            const float e = expf(x);
            return e / (1.0f + e);
        }
    case ACT_HARDSWISH: { /* explicit roundings: no contraction of h * a + b into an FMA */
        float t = __fadd_rn(x, 3.0f);
        t = t < 0.0f ? 0.0f : t;
        t = t > 6.0f ? 6.0f : t;
        const float h = __fdiv_rn(__fmul_rn(x, t), 6.0f);
        return __fadd_rn(__fmul_rn(h, a), b);
    }
    default: return x;
    }
}

__device__ __forceinline__ float clamp01(float v) {
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}
__device__ __forceinline__ float maxnan(float a, float b) {
    return (a != a || b != b) ? a + b : (a > b ? a : b);
}
__device__ __forceinline__ float minnan(float a, float b) {
    return (a != a || b != b) ? a + b : (a < b ? a : b);
}

/* ------------------------------------------------------------------ host: collapsing axes */

#define NOPS 4 /* y, a, b, c */

typedef struct geom {
    int rank;
    int64_t n;
    int64_t dims[C8_MAX_RANK];
    int64_t st[NOPS][C8_MAX_RANK];
} geom;

/* Builds the iteration geometry over y's extents for the present operands (views[k] NULL:
 * absent), dropping unit axes and merging axes contiguous in every operand. */
static void make_geom(const c8cu_view *const *views, geom *g) {
    const c8cu_view *y = views[0];
    int r = 0;
    g->n = 1;
    for (int d = 0; d < y->rank; d++) {
        g->n *= y->dims[d];
        if (y->dims[d] == 1) continue;
        g->dims[r] = y->dims[d];
        for (int k = 0; k < NOPS; k++) g->st[k][r] = views[k] ? views[k]->strides[d] : 0;
        r++;
    }
    /* walk the output in its memory order (outermost stride first), so that consecutive threads
     * write consecutive elements whatever the layout (NCHW, NHWC, padded channels) */
    for (int d = 1; d < r; d++) {
        for (int e = d; e > 0 && g->st[0][e - 1] < g->st[0][e]; e--) {
            int64_t t = g->dims[e];
            g->dims[e] = g->dims[e - 1];
            g->dims[e - 1] = t;
            for (int k = 0; k < NOPS; k++) {
                t = g->st[k][e];
                g->st[k][e] = g->st[k][e - 1];
                g->st[k][e - 1] = t;
            }
        }
    }
    /* merge (outer d, inner d+1) when stride[d] == stride[d+1] * dims[d+1] for every operand */
    int w = 0;
    for (int d = 0; d < r; d++) {
        if (w > 0) {
            bool ok = true;
            for (int k = 0; k < NOPS && ok; k++) ok = g->st[k][w - 1] == g->st[k][d] * g->dims[d];
            if (ok) {
                g->dims[w - 1] *= g->dims[d];
                for (int k = 0; k < NOPS; k++) g->st[k][w - 1] = g->st[k][d];
                continue;
            }
        }
        g->dims[w] = g->dims[d];
        for (int k = 0; k < NOPS; k++) g->st[k][w] = g->st[k][d];
        w++;
    }
    if (w == 0) { /* a single element */
        g->dims[0] = 1;
        for (int k = 0; k < NOPS; k++) g->st[k][0] = 0;
        w = 1;
    }
    g->rank = w;
}

/* Whether every offset of every operand fits in 31 bits (and no stride is negative). */
static bool fits32(const geom *g) {
    if (g->n >= ((int64_t)1 << 31)) return false;
    for (int k = 0; k < NOPS; k++) {
        int64_t m = 0;
        for (int d = 0; d < g->rank; d++) {
            if (g->st[k][d] < 0) return false;
            m += (g->dims[d] - 1) * g->st[k][d];
        }
        if (m >= ((int64_t)1 << 31)) return false;
    }
    return true;
}

/* ------------------------------------------------------------------ elementwise */

struct ew_args {
    c8cu_ew_params p;
    int rank;
    int64_t n;
    int64_t dims[C8_MAX_RANK];
    int64_t st[NOPS][C8_MAX_RANK];
    void *ptr[NOPS];
    int type[NOPS];
};

template <typename I> __device__ __forceinline__ void offsets(const ew_args &a, I i, I off[NOPS]) {
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] = 0;
    I rem = i;
    for (int d = a.rank - 1; d > 0; --d) {
        const I dim = (I)a.dims[d];
        const I c = rem % dim;
        rem /= dim;
#pragma unroll
        for (int k = 0; k < NOPS; k++) off[k] += c * (I)a.st[k][d];
    }
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] += rem * (I)a.st[k][0];
}

__device__ __forceinline__ float ew_eval(const c8cu_ew_params &p, float x, float y2, float z,
                                         bool has_b, bool has_c) {
    switch (p.op) {
    case C8CU_EW_COPY: return x;
    case C8CU_EW_RELU: return act_ref(ACT_RELU, 0.0f, 0.0f, x);
    case C8CU_EW_LEAKY: return act_ref(ACT_LEAKY, p.alpha, 0.0f, x);
    case C8CU_EW_SIGMOID: return act_ref(ACT_SIGMOID, 0.0f, 0.0f, x);
    case C8CU_EW_TANH: return tanhf(x);
    case C8CU_EW_HSIGMOID: return clamp01(p.alpha * x + p.beta);
    case C8CU_EW_HSWISH: return x * clamp01(x / 6.0f + 0.5f);
    case C8CU_EW_CLIP:
        if (p.has_lo && x < p.lo) x = p.lo;
        if (p.has_hi && x > p.hi) x = p.hi;
        return x;
    case C8CU_EW_ADD: return x + y2;
    case C8CU_EW_SUB: return x - y2;
    case C8CU_EW_MUL: return x * y2;
    case C8CU_EW_DIV: return x / y2;
    case C8CU_EW_MAX: return maxnan(x, y2);
    case C8CU_EW_MIN: return minnan(x, y2);
    case C8CU_EW_PRELU: return x < 0.0f ? x * y2 : x;
    case C8CU_EW_SQRT: return sqrtf(x);
    case C8CU_EW_RECIPROCAL: return 1.0f / x;
    case C8CU_EW_EXP: return expf(x);
    case C8CU_EW_LOG: return logf(x);
    case C8CU_EW_NEG: return -x;
    case C8CU_EW_ABS: return fabsf(x);
    case C8CU_EW_ERF: return erff(x);
    case C8CU_EW_GELU: {
        const double d = x;
        return (float)(0.5 * d * (1.0 + erf(d / sqrt(2.0))));
    }
    case C8CU_EW_GELU_TANH: {
        const double d = x, c = sqrt(2.0 / 3.14159265358979323846);
        return (float)(0.5 * d * (1.0 + tanh(c * (d + 0.044715 * d * d * d))));
    }
    case C8CU_EW_POW: return (float)pow((double)x, (double)y2);
    case C8CU_EW_EPILOGUE: {
        float v = x;
        if (has_b) v = v + y2 * p.beta;
        if (has_c) v = v + z;
        return act_ref(p.act, p.act_a, p.act_b, v);
    }
    }
    return x;
}

/* Each thread handles EW_UNROLL elements a grid-stride apart, issuing all their loads before
 * any store: one outstanding 2- or 4-byte load per thread cannot keep HBM busy (Little's law:
 * ~270K resident threads x 2 B / ~0.6 us is about 1 TB/s), four can. */
#define EW_UNROLL 4

template <typename I> __global__ void k_eltwise(ew_args a) {
    const I n = (I)a.n;
    const bool has_b = a.ptr[2] != NULL, has_c = a.ptr[3] != NULL;
    const bool bn = a.p.op == C8CU_EW_BN;
    const I stride = (I)gridDim.x * blockDim.x;
    for (I base = (I)blockIdx.x * blockDim.x + threadIdx.x; base < n; base += stride * EW_UNROLL) {
        float x[EW_UNROLL], y2[EW_UNROLL], z[EW_UNROLL];
        I o[EW_UNROLL];
#pragma unroll
        for (int u = 0; u < EW_UNROLL; u++) {
            const I i = base + (I)u * stride;
            x[u] = y2[u] = z[u] = 0.0f;
            o[u] = 0;
            if (i < n) {
                I off[NOPS];
                offsets<I>(a, i, off);
                o[u] = off[0];
                x[u] = ld_f(a.ptr[1], a.type[1], (int64_t)off[1]);
                if (bn) {
                    /* BatchNormalization: y2 carries the parameter offset */
                    y2[u] = __int_as_float((int)off[2]);
                } else {
                    if (has_b) y2[u] = ld_f(a.ptr[2], a.type[2], (int64_t)off[2]);
                    if (has_c) z[u] = ld_f(a.ptr[3], a.type[3], (int64_t)off[3]);
                }
            }
        }
#pragma unroll
        for (int u = 0; u < EW_UNROLL; u++) {
            const I i = base + (I)u * stride;
            if (i >= n) continue;
            float v;
            if (bn) {
                const float *q = (const float *)a.ptr[2] + __float_as_int(y2[u]);
                v = (x[u] - q[0]) / q[1] * q[2] + q[3];
            } else {
                v = ew_eval(a.p, x[u], y2[u], z[u], has_b, has_c);
            }
            st_f(a.ptr[0], a.type[0], (int64_t)o[u], v);
        }
    }
}

template <typename T, typename I> __global__ void k_copy_raw(ew_args a) {
    const I n = (I)a.n;
    const T *x = (const T *)a.ptr[1];
    T *y = (T *)a.ptr[0];
    const I stride = (I)gridDim.x * blockDim.x;
    for (I base = (I)blockIdx.x * blockDim.x + threadIdx.x; base < n; base += stride * EW_UNROLL) {
        T v[EW_UNROLL];
        I o[EW_UNROLL];
#pragma unroll
        for (int u = 0; u < EW_UNROLL; u++) {
            const I i = base + (I)u * stride;
            o[u] = 0;
            if (i < n) {
                I off[NOPS];
                offsets<I>(a, i, off);
                o[u] = off[0];
                v[u] = x[off[1]];
            }
        }
#pragma unroll
        for (int u = 0; u < EW_UNROLL; u++)
            if (base + (I)u * stride < n) y[o[u]] = v[u];
    }
}

/* ---- dense operands: 8 elements per thread and operand in 16-byte loads and stores ----
 * When every operand is dense in the output's order (one merged axis of stride 1) and of one float
 * type T, each thread loads 8 consecutive elements of each operand (one uint4 for binary16, two
 * for float32) and applies ew_eval to each: the same function per element as k_eltwise, so the
 * results are the same bit for bit, at the memory rate instead of ~40% of it (bench_membound,
 * FP16 Add at 41% on an H100, 2026-12-07). */
template <typename T> struct vec8;
template <> struct vec8<float> {
    uint4 u[2];
    __device__ __forceinline__ float get(int k) const {
        return __uint_as_float((&u[k >> 2].x)[k & 3]);
    }
    __device__ __forceinline__ void put(int k, float v) {
        (&u[k >> 2].x)[k & 3] = __float_as_uint(v);
    }
};
template <> struct vec8<__half> {
    uint4 u[1];
    __device__ __forceinline__ float get(int k) const {
        const unsigned w = (&u[0].x)[k >> 1];
        return __half2float(
            __ushort_as_half((unsigned short)((k & 1) ? (w >> 16) : (w & 0xffffu))));
    }
    __device__ __forceinline__ void put(int k, float v) {
        const unsigned b = __half_as_ushort(__float2half_rn(v));
        unsigned &w = (&u[0].x)[k >> 1];
        w = (k & 1) ? ((w & 0xffffu) | (b << 16)) : ((w & 0xffff0000u) | b);
    }
};

template <typename T> __device__ __forceinline__ vec8<T> ld8(const void *p, int64_t i) {
    vec8<T> v;
    const uint4 *q = (const uint4 *)p + i * (int64_t)(sizeof v.u / sizeof(uint4));
#pragma unroll
    for (int k = 0; k < (int)(sizeof v.u / sizeof(uint4)); k++) v.u[k] = __ldg(q + k);
    return v;
}

template <typename T> __global__ void k_eltwise_dense8(ew_args a) {
    const int64_t nv = a.n / 8;
    const bool has_b = a.ptr[2] != NULL, has_c = a.ptr[3] != NULL;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < nv;
         i += (int64_t)gridDim.x * blockDim.x) {
        const vec8<T> x = ld8<T>(a.ptr[1], i);
        vec8<T> y2, z;
        if (has_b) y2 = ld8<T>(a.ptr[2], i);
        if (has_c) z = ld8<T>(a.ptr[3], i);
        vec8<T> o;
#pragma unroll
        for (int k = 0; k < 8; k++)
            o.put(k, ew_eval(a.p, x.get(k), has_b ? y2.get(k) : 0.0f, has_c ? z.get(k) : 0.0f,
                             has_b, has_c));
        uint4 *q = (uint4 *)a.ptr[0] + i * (int64_t)(sizeof o.u / sizeof(uint4));
#pragma unroll
        for (int k = 0; k < (int)(sizeof o.u / sizeof(uint4)); k++) q[k] = o.u[k];
    }
}

/* ---- a copy that swaps the two inner axes: NCHW <-> NHWC, with a float type conversion ----
 * (batch, rows, cols) -> (batch, cols, rows) through a 32 x 32 tile in shared memory, so that
 * both the reads (along x's rows) and the writes (along y's rows) are coalesced; the generic
 * kernel reads with a stride of H*W elements (16% of the copy rate for FP16 NCHW -> NHWC). The
 * value is ld_f then st_f, as in k_eltwise's copy. */
struct tr_args {
    int64_t rows, cols; /* of x's inner two axes: x (batch, rows, cols), y (batch, cols, rows) */
    int64_t xs_b, ys_b; /* batch strides */
    const void *x;
    void *y;
    int xt, yt;
};

__global__ void __launch_bounds__(256) k_transpose(tr_args a) {
    __shared__ float tile[32][33];
    const int64_t b = blockIdx.z, r0 = (int64_t)blockIdx.y * 32, c0 = (int64_t)blockIdx.x * 32;
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t xb = b * a.xs_b, yb = b * a.ys_b;
#pragma unroll
    for (int j = 0; j < 32; j += 8) {
        const int64_t r = r0 + ty + j, c = c0 + tx;
        if (r < a.rows && c < a.cols) tile[ty + j][tx] = ld_f(a.x, a.xt, xb + r * a.cols + c);
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < 32; j += 8) {
        const int64_t c = c0 + ty + j, r = r0 + tx;
        if (r < a.rows && c < a.cols) st_f(a.y, a.yt, yb + c * a.rows + r, tile[tx][ty + j]);
    }
}

/* The same swap when one side has at most 16 elements (an image input's 3 channels): a 32 x 32
 * tile would leave most of each warp idle (13% of the copy rate for float32 NCHW -> FP16 NHWC on
 * 3 channels), so each thread moves one whole short line: `few` rows of x (small_rows) or `few`
 * columns, reading or writing it contiguously while the warp's other side stays coalesced. */
__global__ void k_transpose_small(tr_args a, int small_rows, int64_t total) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t line = small_rows ? a.cols : a.rows; /* lines per batch */
        const int64_t b = i / line, l = i - b * line;
        const int64_t xb = b * a.xs_b, yb = b * a.ys_b;
        if (small_rows) { /* thread: x column l -> y row l */
            for (int64_t r = 0; r < a.rows; r++)
                st_f(a.y, a.yt, yb + l * a.rows + r, ld_f(a.x, a.xt, xb + r * a.cols + l));
        } else { /* thread: x row l -> y column l */
            for (int64_t c = 0; c < a.cols; c++)
                st_f(a.y, a.yt, yb + c * a.rows + l, ld_f(a.x, a.xt, xb + l * a.cols + c));
        }
    }
}

/* float32 NCHW -> binary16 NHWC for C <= 4 (a network's image input): each thread converts 8
 * pixels, reading two 16-byte vectors from each plane and writing its 8 * C halves as C 16-byte
 * stores. The values are st_f(ld_f(x)): __float2half_rn. k_transpose_small's 2-byte stores ran
 * ResNet-50's 3-channel input at 51% of the copy rate. Needs cols % 8 == 0 and 16-byte
 * aligned x and y. */
template <int C>
__global__ void __launch_bounds__(C8CU_THREADS)
    k_f32_planes_to_f16_pixels(int64_t groups, int64_t cols, const float *x, __half *y) {
    const int64_t gpb = cols / 8; /* groups per image */
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < groups;
         i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t b = i / gpb, g = i - b * gpb;
        const float *xb = x + b * C * cols + g * 8;
        __align__(16) __half o[8 * C];
#pragma unroll
        for (int c = 0; c < C; c++) {
            const float4 u0 = __ldg(reinterpret_cast<const float4 *>(xb + c * cols));
            const float4 u1 = __ldg(reinterpret_cast<const float4 *>(xb + c * cols + 4));
            const float f[8] = {u0.x, u0.y, u0.z, u0.w, u1.x, u1.y, u1.z, u1.w};
#pragma unroll
            for (int k = 0; k < 8; k++) o[k * C + c] = __float2half_rn(f[k]);
        }
        uint4 *dst = reinterpret_cast<uint4 *>(y + (b * cols + g * 8) * C);
#pragma unroll
        for (int k = 0; k < C; k++) dst[k] = reinterpret_cast<const uint4 *>(o)[k];
    }
}

/* Whether the collapsed copy g (y <- x) swaps two dense inner axes; fills *t. */
static bool transpose_fits(const geom *g, const c8cu_view *y, const c8cu_view *x, tr_args *t) {
    if (g->rank != 2 && g->rank != 3) return false;
    const int r = g->rank;
    const int64_t outer = r == 3 ? g->dims[0] : 1;
    /* y walks (.., A, B) densely: st_y = (A*B, B, 1); x reads B with stride A, A with stride 1 */
    const int64_t A = g->dims[r - 2], B = g->dims[r - 1];
    if (g->st[0][r - 1] != 1 || g->st[0][r - 2] != B) return false;
    if (g->st[1][r - 2] != 1 || g->st[1][r - 1] != A) return false;
    if (r == 3 && (g->st[0][0] != A * B || g->st[1][0] != A * B)) return false;
    if (outer > 65535 || (A + 31) / 32 > 65535 || (B + 31) / 32 > 0x7fffffff) return false;
    /* x is (outer, B rows, A cols) in memory; y is (outer, A, B) */
    t->rows = B;
    t->cols = A;
    t->xs_b = A * B;
    t->ys_b = A * B;
    t->x = x->data;
    t->y = y->data;
    t->xt = x->type;
    t->yt = y->type;
    return true;
}

static bool is_float_type(int t) { return t == C8CU_F32 || t == C8CU_F16 || t == C8CU_I8; }

extern "C" c8_status c8cu_eltwise(const c8cu_ew_params *p, const c8cu_view *y, const c8cu_view *a,
                                  const c8cu_view *b, const c8cu_view *c, cudaStream_t stream,
                                  c8_error *err) {
    const c8cu_view *views[NOPS] = {y, a, b, c};
    for (int k = 1; k < NOPS; k++)
        if (views[k] && views[k]->rank != y->rank)
            return c8_err(err, C8_ERR_INTERNAL, "eltwise: operand %d has rank %d, output %d", k,
                          (int)views[k]->rank, (int)y->rank);
    geom g;
    make_geom(views, &g);
    if (g.n == 0) return C8_OK;
    ew_args args;
    memset(&args, 0, sizeof args);
    args.p = *p;
    args.rank = g.rank;
    args.n = g.n;
    memcpy(args.dims, g.dims, sizeof g.dims);
    memcpy(args.st, g.st, sizeof g.st);
    for (int k = 0; k < NOPS; k++) {
        args.ptr[k] = views[k] ? views[k]->data : NULL;
        args.type[k] = views[k] ? views[k]->type : C8CU_F32;
    }
    const bool f32 = fits32(&g);
    const int blocks = blocks_for((g.n + EW_UNROLL - 1) / EW_UNROLL);
    /* the two fast paths: a layout change between float types, dense operands of one type */
    tr_args tr;
    if (p->op == C8CU_EW_COPY && (a->type == C8CU_F32 || a->type == C8CU_F16) &&
        (y->type == C8CU_F32 || y->type == C8CU_F16) && transpose_fits(&g, y, a, &tr)) {
        const int64_t batch = g.rank == 3 ? g.dims[0] : 1;
        const int64_t small_c = tr.rows; /* x (batch, rows = C, cols = H * W) */
        if (a->type == C8CU_F32 && y->type == C8CU_F16 && small_c >= 1 && small_c <= 4 &&
            tr.cols % 8 == 0 && !((uintptr_t)a->data & 15u) && !((uintptr_t)y->data & 15u)) {
            const int64_t groups = batch * (tr.cols / 8);
            const int nb = blocks_for(groups);
            const float *xf = (const float *)a->data;
            __half *yh = (__half *)y->data;
            switch (small_c) {
            case 1:
                k_f32_planes_to_f16_pixels<1>
                    <<<nb, C8CU_THREADS, 0, stream>>>(groups, tr.cols, xf, yh);
                break;
            case 2:
                k_f32_planes_to_f16_pixels<2>
                    <<<nb, C8CU_THREADS, 0, stream>>>(groups, tr.cols, xf, yh);
                break;
            case 3:
                k_f32_planes_to_f16_pixels<3>
                    <<<nb, C8CU_THREADS, 0, stream>>>(groups, tr.cols, xf, yh);
                break;
            default:
                k_f32_planes_to_f16_pixels<4>
                    <<<nb, C8CU_THREADS, 0, stream>>>(groups, tr.cols, xf, yh);
                break;
            }
            C8_CUDA_LAUNCH_TRY(err);
            return C8_OK;
        }
        if (tr.rows <= 16 || tr.cols <= 16) {
            const int small_rows = tr.rows <= tr.cols;
            const int64_t total = batch * (small_rows ? tr.cols : tr.rows);
            k_transpose_small<<<blocks_for(total), C8CU_THREADS, 0, stream>>>(tr, small_rows,
                                                                              total);
        } else {
            dim3 grid((unsigned)((tr.cols + 31) / 32), (unsigned)((tr.rows + 31) / 32),
                      (unsigned)batch);
            k_transpose<<<grid, dim3(32, 8), 0, stream>>>(tr);
        }
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    if (p->op != C8CU_EW_BN && g.rank == 1 && g.n % 8 == 0) {
        bool dense = true;
        for (int k = 0; k < NOPS && dense; k++)
            if (views[k])
                dense = g.st[k][0] == 1 && views[k]->type == y->type &&
                        ((uintptr_t)views[k]->data & 15u) == 0;
        if (dense && (y->type == C8CU_F16 || y->type == C8CU_F32)) {
            const int vb = blocks_for(g.n / 8);
            if (y->type == C8CU_F16)
                k_eltwise_dense8<__half><<<vb, C8CU_THREADS, 0, stream>>>(args);
            else
                k_eltwise_dense8<float><<<vb, C8CU_THREADS, 0, stream>>>(args);
            C8_CUDA_LAUNCH_TRY(err);
            return C8_OK;
        }
    }
    const bool raw = p->op == C8CU_EW_COPY &&
                     (a->type == y->type || !is_float_type(a->type) || !is_float_type(y->type));
    if (raw) {
        size_t es = c8cu_type_size(y->type);
        if (es != c8cu_type_size(a->type))
            return c8_err(err, C8_ERR_INTERNAL, "copy: element sizes differ (%zu, %zu)", es,
                          c8cu_type_size(a->type));
        /* a dense copy of the same layout is a plain memcpy */
        if (g.rank == 1 && g.st[0][0] == 1 && g.st[1][0] == 1)
            return C8_CUDA_CHECK(err, cudaMemcpyAsync(y->data, a->data, (size_t)g.n * es,
                                                      cudaMemcpyDeviceToDevice, stream));
#define RAW_LAUNCH(T)                                                                              \
    do {                                                                                           \
        if (f32)                                                                                   \
            k_copy_raw<T, uint32_t><<<blocks, C8CU_THREADS, 0, stream>>>(args);                    \
        else                                                                                       \
            k_copy_raw<T, int64_t><<<blocks, C8CU_THREADS, 0, stream>>>(args);                     \
    } while (0)
        switch (es) {
        case 1: RAW_LAUNCH(uint8_t); break;
        case 2: RAW_LAUNCH(uint16_t); break;
        case 4: RAW_LAUNCH(uint32_t); break;
        case 8: RAW_LAUNCH(unsigned long long); break;
        default: return c8_err(err, C8_ERR_INTERNAL, "copy: element size %zu", es);
        }
#undef RAW_LAUNCH
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    for (int k = 0; k < NOPS; k++)
        if (views[k] && !is_float_type(views[k]->type))
            return c8_err(err, C8_ERR_INTERNAL, "eltwise op %d on a non-float operand", (int)p->op);
    if (f32)
        k_eltwise<uint32_t><<<blocks, C8CU_THREADS, 0, stream>>>(args);
    else
        k_eltwise<int64_t><<<blocks, C8CU_THREADS, 0, stream>>>(args);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

extern "C" c8_status c8cu_copy(const c8cu_view *y, const c8cu_view *x, cudaStream_t stream,
                               c8_error *err) {
    c8cu_ew_params p;
    memset(&p, 0, sizeof p);
    p.op = C8CU_EW_COPY;
    return c8cu_eltwise(&p, y, x, NULL, NULL, stream, err);
}

/* ------------------------------------------------------------------ BatchNormalization */

struct bn_args {
    int rank;
    int chpos; /* position of the channel axis after ordering the axes by the output's strides */
    int64_t n;
    int64_t dims[C8_MAX_RANK];
    int64_t xs[C8_MAX_RANK], ys[C8_MAX_RANK];
    const void *x;
    void *y;
    int xt, yt;
    const float *scale, *bias, *mean, *var;
    float eps;
};

__global__ void k_batchnorm(bn_args a) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.n;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = i, xo = 0, yo = 0, ch = 0;
        for (int d = a.rank - 1; d >= 0; --d) {
            const int64_t c = rem % a.dims[d];
            rem /= a.dims[d];
            xo += c * a.xs[d];
            yo += c * a.ys[d];
            if (d == a.chpos) ch = c;
        }
        const float den = sqrtf(a.var[ch] + a.eps);
        const float v = (ld_f(a.x, a.xt, xo) - a.mean[ch]) / den * a.scale[ch] + a.bias[ch];
        st_f(a.y, a.yt, yo, v);
    }
}

extern "C" c8_status c8cu_batchnorm(const c8cu_view *y, const c8cu_view *x, const float *scale,
                                    const float *bias, const float *mean, const float *var,
                                    float eps, cudaStream_t stream, c8_error *err) {
    bn_args a;
    memset(&a, 0, sizeof a);
    a.rank = y->rank;
    a.n = 1;
    int perm[C8_MAX_RANK];
    for (int d = 0; d < y->rank; d++) perm[d] = d;
    /* the output's memory order (outermost stride first): coalesced writes in any layout */
    for (int d = 1; d < y->rank; d++)
        for (int e = d; e > 0 && y->strides[perm[e - 1]] < y->strides[perm[e]]; e--) {
            int t = perm[e];
            perm[e] = perm[e - 1];
            perm[e - 1] = t;
        }
    for (int d = 0; d < y->rank; d++) {
        a.dims[d] = y->dims[perm[d]];
        a.xs[d] = x->strides[perm[d]];
        a.ys[d] = y->strides[perm[d]];
        if (perm[d] == 1) a.chpos = d;
        a.n *= y->dims[d];
    }
    if (a.n == 0) return C8_OK;
    a.x = x->data;
    a.y = y->data;
    a.xt = x->type;
    a.yt = y->type;
    a.scale = scale;
    a.bias = bias;
    a.mean = mean;
    a.var = var;
    a.eps = eps;
    k_batchnorm<<<blocks_for(a.n), C8CU_THREADS, 0, stream>>>(a);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ------------------------------------------------------------------ pooling */

struct pool_args {
    c8cu_pool2d d;
    int64_t N, C, H, W, P, Q;
    int cl; /* the output is channels-last: enumerate (n, p, q, c) */
    int64_t xs[4], ys[4];
    const void *x;
    void *y;
    int xt, yt;
};

#define POOL_SMALL 16 /* windows of up to 16 taps take the load-all-first path */

/* One output element per thread; the window is visited as kernels/ref/pool.c visits it. I is the
 * index type: 32-bit where every offset fits (the 64-bit divisions made an FP32 NCHW MaxPool run
 * at 13% of the copy rate, bench_membound on an H100, 2026-12-07). */
template <typename I> __global__ void k_pool2d(pool_args a) {
    const I total = (I)(a.N * a.C * a.P * a.Q);
    const I C = (I)a.C, P = (I)a.P, Q = (I)a.Q, H = (I)a.H, W = (I)a.W;
    const I sh = (I)a.d.sh, sw = (I)a.d.sw, dh = (I)a.d.dh, dw = (I)a.d.dw;
    const I pt = (I)a.d.pt, pl = (I)a.d.pl, pb = (I)a.d.pb, pr = (I)a.d.pr;
    const I xs0 = (I)a.xs[0], xs1 = (I)a.xs[1], xs2 = (I)a.xs[2], xs3 = (I)a.xs[3];
    const c8cu_pool2d d = a.d;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (I)gridDim.x * blockDim.x) {
        I n, c, p, q;
        if (a.cl) { /* channels-last output: channels fastest, as the memory runs */
            I r = i / C;
            c = i - r * C;
            q = r % Q;
            r /= Q;
            p = r % P;
            n = r / P;
        } else {
            I r = i / Q;
            q = i - r * Q;
            p = r % P;
            r /= P;
            c = r % C;
            n = r / C;
        }
        const I xbase = n * xs0 + c * xs1;
        float sum = 0.0f, mx = 0.0f;
        int64_t inside = 0, padded = 0;
        bool nan_seen = false;
        if (d.kh * d.kw <= POOL_SMALL) {
            /* small windows: every tap's load is issued before any is used (memory-level
             * parallelism), then the taps are reduced in the reference's order */
            const int kw = (int)d.kw, taps = (int)(d.kh * d.kw);
            float v[POOL_SMALL];
            unsigned valid = 0;
#pragma unroll
            for (int t = 0; t < POOL_SMALL; t++) {
                v[t] = 0.0f;
                if (t < taps) {
                    const I iy = p * sh - pt + (I)(t / kw) * dh;
                    const I ix = q * sw - pl + (I)(t % kw) * dw;
                    const bool in_pad = iy >= -pt && iy < H + pb && ix >= -pl && ix < W + pr;
                    if (in_pad) {
                        padded++;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                            v[t] = ld_f(a.x, a.xt, (int64_t)(xbase + iy * xs2 + ix * xs3));
                            valid |= 1u << t;
                        }
                    }
                }
            }
#pragma unroll
            for (int t = 0; t < POOL_SMALL; t++) {
                if (!((valid >> t) & 1u)) continue;
                sum += v[t];
                if (v[t] != v[t]) nan_seen = true;
                if (inside == 0 || v[t] > mx) mx = v[t];
                inside++;
            }
        } else
            for (I ky = 0; ky < (I)d.kh; ky++) {
                const I iy = p * sh - pt + ky * dh;
                if (iy < -pt || iy >= H + pb) continue;
                for (I kx = 0; kx < (I)d.kw; kx++) {
                    const I ix = q * sw - pl + kx * dw;
                    if (ix < -pl || ix >= W + pr) continue;
                    padded++;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    const float v = ld_f(a.x, a.xt, (int64_t)(xbase + iy * xs2 + ix * xs3));
                    sum += v;
                    if (v != v) nan_seen = true;
                    if (inside == 0 || v > mx) mx = v;
                    inside++;
                }
            }
        float v;
        if (d.is_max) {
            v = nan_seen ? __int_as_float(0x7fc00000) : (inside ? mx : -INFINITY);
        } else {
            const int64_t cnt = d.count_include_pad ? padded : inside;
            v = sum / (float)cnt;
        }
        st_f(a.y, a.yt,
             (int64_t)(n * (I)a.ys[0] + c * (I)a.ys[1] + p * (I)a.ys[2] + q * (I)a.ys[3]), v);
    }
}

/* The common case at full memory bandwidth: input and output both dense channels-last, of one
 * float type, channels a multiple of the vector (8 binary16 or 4 float32 in 16 bytes), every
 * offset below 2^31. One thread per output pixel and vector of channels, 32-bit index math, every
 * tap's 16-byte load issued before any is used; each channel's taps are then reduced exactly as
 * k_pool2d reduces them (same order, same NaN and empty-window rules), so the result is the same
 * bit for bit. k_pool2d spent most of its time in 64-bit divisions (2.7 ms for ResNet-50's MaxPool
 * at batch 256 in FP16, against ~0.2 ms of memory traffic). */
template <typename T> struct vec_traits;
template <> struct vec_traits<float> {
    static constexpr int V = 4;
    static __device__ __forceinline__ float get(const uint4 &u, int k) {
        return __uint_as_float((&u.x)[k]);
    }
    static __device__ __forceinline__ void put(uint4 &u, int k, float v) {
        (&u.x)[k] = __float_as_uint(v);
    }
};
template <> struct vec_traits<__half> {
    static constexpr int V = 8;
    static __device__ __forceinline__ float get(const uint4 &u, int k) {
        const unsigned w = (&u.x)[k >> 1];
        const unsigned short b = (unsigned short)((k & 1) ? (w >> 16) : (w & 0xffffu));
        return __half2float(__ushort_as_half(b));
    }
    static __device__ __forceinline__ void put(uint4 &u, int k, float v) {
        const unsigned b = __half_as_ushort(__float2half_rn(v));
        unsigned &w = (&u.x)[k >> 1];
        w = (k & 1) ? ((w & 0xffffu) | (b << 16)) : ((w & 0xffff0000u) | b);
    }
};

struct pool_nhwc_args {
    c8cu_pool2d d;
    int N, C, H, W, P, Q;
    int total; /* N * P * Q * (C / V) */
    const uint4 *x;
    uint4 *y;
};

/* MAX: MaxPool (no sums kept), else AveragePool (no maxima kept) */
template <typename T, bool MAX>
__global__ void __launch_bounds__(C8CU_THREADS) k_pool2d_nhwc(pool_nhwc_args a) {
    typedef vec_traits<T> tr;
    const int V = tr::V, cv = a.C / V;
    const int kh = (int)a.d.kh, kw = (int)a.d.kw, taps = kh * kw;
    const int sh = (int)a.d.sh, sw = (int)a.d.sw, dh = (int)a.d.dh, dw = (int)a.d.dw;
    const int pt = (int)a.d.pt, pl = (int)a.d.pl, pb = (int)a.d.pb, pr = (int)a.d.pr;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < a.total; i += gridDim.x * blockDim.x) {
        const int c = i % cv;
        int r = i / cv;
        const int q = r % a.Q;
        r /= a.Q;
        const int p = r % a.P;
        const int n = r / a.P;
        const uint4 *xb = a.x + (size_t)n * a.H * a.W * cv + c;
        float sum[8], mx[8];
        bool nan_seen[8];
#pragma unroll
        for (int k = 0; k < V; k++) {
            sum[k] = 0.0f;
            mx[k] = 0.0f;
            nan_seen[k] = false;
        }
        int inside = 0, padded = 0;
        uint4 v[POOL_SMALL];
        unsigned valid = 0;
        if (taps <= POOL_SMALL) {
#pragma unroll
            for (int t = 0; t < POOL_SMALL; t++) {
                if (t < taps) {
                    const int iy = p * sh - pt + (t / kw) * dh;
                    const int ix = q * sw - pl + (t % kw) * dw;
                    if (iy >= -pt && iy < a.H + pb && ix >= -pl && ix < a.W + pr) {
                        padded++;
                        if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W) {
                            v[t] = __ldg(xb + ((size_t)iy * a.W + ix) * cv);
                            valid |= 1u << t;
                        }
                    }
                }
            }
#pragma unroll
            for (int t = 0; t < POOL_SMALL; t++) {
                if (!((valid >> t) & 1u)) continue;
#pragma unroll
                for (int k = 0; k < V; k++) {
                    const float e = tr::get(v[t], k);
                    if (!MAX) sum[k] += e;
                    if (MAX && e != e) nan_seen[k] = true;
                    if (MAX && (inside == 0 || e > mx[k])) mx[k] = e;
                }
                inside++;
            }
        } else {
            for (int ky = 0; ky < kh; ky++) {
                const int iy = p * sh - pt + ky * dh;
                if (iy < -pt || iy >= a.H + pb) continue;
                for (int kx = 0; kx < kw; kx++) {
                    const int ix = q * sw - pl + kx * dw;
                    if (ix < -pl || ix >= a.W + pr) continue;
                    padded++;
                    if (iy < 0 || iy >= a.H || ix < 0 || ix >= a.W) continue;
                    const uint4 u = __ldg(xb + ((size_t)iy * a.W + ix) * cv);
#pragma unroll
                    for (int k = 0; k < V; k++) {
                        const float e = tr::get(u, k);
                        if (!MAX) sum[k] += e;
                        if (MAX && e != e) nan_seen[k] = true;
                        if (MAX && (inside == 0 || e > mx[k])) mx[k] = e;
                    }
                    inside++;
                }
            }
        }
        uint4 o = make_uint4(0u, 0u, 0u, 0u);
        const int cnt = a.d.count_include_pad ? padded : inside;
#pragma unroll
        for (int k = 0; k < V; k++) {
            float res;
            if (MAX)
                res = nan_seen[k] ? __int_as_float(0x7fc00000) : (inside ? mx[k] : -INFINITY);
            else
                res = sum[k] / (float)cnt;
            tr::put(o, k, res);
        }
        a.y[((size_t)(n * a.P + p) * a.Q + q) * cv + c] = o;
    }
}

/* Dense NCHW (an FP32 network's layout on the GPU), one float type: one thread per output, int32
 * index math with no stride arithmetic, windows of up to 9 taps loaded before any is reduced, the
 * reduction as k_pool2d's (same order and NaN / empty-window rules: the same result bit for bit).
 * k_pool2d, with its per-load type switch and 16-slot window, ran ResNet-50's FP32 MaxPool at 20%
 * of the copy rate. a.C counts planes here (N * C), a.N is unused. */
template <typename T, bool MAX>
__global__ void __launch_bounds__(C8CU_THREADS) k_pool2d_nchw(pool_nhwc_args a) {
    const int kh = (int)a.d.kh, kw = (int)a.d.kw, taps = kh * kw;
    const int sh = (int)a.d.sh, sw = (int)a.d.sw, dh = (int)a.d.dh, dw = (int)a.d.dw;
    const int pt = (int)a.d.pt, pl = (int)a.d.pl, pb = (int)a.d.pb, pr = (int)a.d.pr;
    const T *x = (const T *)a.x;
    T *y = (T *)a.y;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < a.total; i += gridDim.x * blockDim.x) {
        const int q = i % a.Q;
        const int r = i / a.Q;
        const int p = r % a.P;
        const int plane = r / a.P;
        const T *xb = x + (size_t)plane * a.H * a.W;
        float sum = 0.0f, mx = 0.0f;
        bool nan_seen = false;
        int inside = 0, padded = 0;
        if (taps <= 9) {
            float v[9];
            unsigned valid = 0;
#pragma unroll
            for (int t = 0; t < 9; t++) {
                v[t] = 0.0f;
                if (t < taps) {
                    const int iy = p * sh - pt + (t / kw) * dh;
                    const int ix = q * sw - pl + (t % kw) * dw;
                    if (iy >= -pt && iy < a.H + pb && ix >= -pl && ix < a.W + pr) {
                        padded++;
                        if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W) {
                            v[t] = (float)__ldg(xb + iy * a.W + ix);
                            valid |= 1u << t;
                        }
                    }
                }
            }
#pragma unroll
            for (int t = 0; t < 9; t++) {
                if (!((valid >> t) & 1u)) continue;
                if (!MAX) sum += v[t];
                if (MAX && v[t] != v[t]) nan_seen = true;
                if (MAX && (inside == 0 || v[t] > mx)) mx = v[t];
                inside++;
            }
        } else {
            for (int ky = 0; ky < kh; ky++) {
                const int iy = p * sh - pt + ky * dh;
                if (iy < -pt || iy >= a.H + pb) continue;
                for (int kx = 0; kx < kw; kx++) {
                    const int ix = q * sw - pl + kx * dw;
                    if (ix < -pl || ix >= a.W + pr) continue;
                    padded++;
                    if (iy < 0 || iy >= a.H || ix < 0 || ix >= a.W) continue;
                    const float e = (float)__ldg(xb + iy * a.W + ix);
                    if (!MAX) sum += e;
                    if (MAX && e != e) nan_seen = true;
                    if (MAX && (inside == 0 || e > mx)) mx = e;
                    inside++;
                }
            }
        }
        float res;
        if (MAX)
            res = nan_seen ? __int_as_float(0x7fc00000) : (inside ? mx : -INFINITY);
        else
            res = sum / (float)(a.d.count_include_pad ? padded : inside);
        y[i] = (T)res;
    }
}

/* Whether x -> y can take k_pool2d_nchw (dense NCHW float32, offsets below 2^31, windows whose
 * padding fits in int); fills *f. */
static bool pool_nchw_fits(const c8cu_pool2d *d, const c8cu_view *y, const c8cu_view *x,
                           pool_nhwc_args *f) {
    if (x->type != C8CU_F32 || y->type != C8CU_F32) return false;
    const int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    const int64_t P = y->dims[2], Q = y->dims[3];
    if (x->strides[3] != 1 || x->strides[2] != W || x->strides[1] != H * W ||
        x->strides[0] != C * H * W)
        return false;
    if (y->strides[3] != 1 || y->strides[2] != Q || y->strides[1] != P * Q ||
        y->strides[0] != C * P * Q)
        return false;
    const int64_t lim = (int64_t)1 << 30;
    if (N * C * H * W >= lim || N * C * P * Q >= lim || d->kh * d->dh + d->pt + d->pb >= lim ||
        d->kw * d->dw + d->pl + d->pr >= lim || P * d->sh >= lim || Q * d->sw >= lim)
        return false;
    f->d = *d;
    f->N = (int)N;
    f->C = (int)(N * C);
    f->H = (int)H;
    f->W = (int)W;
    f->P = (int)P;
    f->Q = (int)Q;
    f->total = (int)(N * C * P * Q);
    f->x = (const uint4 *)x->data;
    f->y = (uint4 *)y->data;
    return true;
}

/* Whether x -> y can take k_pool2d_nhwc; fills *f. */
static bool pool_nhwc_fits(const c8cu_pool2d *d, const c8cu_view *y, const c8cu_view *x,
                           pool_nhwc_args *f) {
    if (x->type != y->type || (x->type != C8CU_F16 && x->type != C8CU_F32)) return false;
    const int64_t V = x->type == C8CU_F16 ? 8 : 4;
    const int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    const int64_t P = y->dims[2], Q = y->dims[3];
    if (C % V != 0 || ((uintptr_t)x->data & 15u) || ((uintptr_t)y->data & 15u)) return false;
    if (x->strides[1] != 1 || x->strides[3] != C || x->strides[2] != W * C ||
        x->strides[0] != H * W * C)
        return false;
    if (y->strides[1] != 1 || y->strides[3] != C || y->strides[2] != Q * C ||
        y->strides[0] != P * Q * C)
        return false;
    const int64_t lim = (int64_t)1 << 31;
    if (N * H * W * C >= lim || N * P * Q * C >= lim) return false;
    f->d = *d;
    f->N = (int)N;
    f->C = (int)C;
    f->H = (int)H;
    f->W = (int)W;
    f->P = (int)P;
    f->Q = (int)Q;
    f->total = (int)(N * P * Q * (C / V));
    f->x = (const uint4 *)x->data;
    f->y = (uint4 *)y->data;
    return true;
}

extern "C" c8_status c8cu_pool2d_run(const c8cu_pool2d *d, const c8cu_view *y, const c8cu_view *x,
                                     cudaStream_t stream, c8_error *err) {
    if (x->rank != 4 || y->rank != 4)
        return c8_err(err, C8_ERR_INTERNAL, "pool2d: views must be 4-D");
    pool_args a;
    memset(&a, 0, sizeof a);
    a.d = *d;
    a.N = x->dims[0];
    a.C = x->dims[1];
    a.H = x->dims[2];
    a.W = x->dims[3];
    a.P = y->dims[2];
    a.Q = y->dims[3];
    for (int k = 0; k < 4; k++) {
        a.xs[k] = x->strides[k];
        a.ys[k] = y->strides[k];
    }
    a.x = x->data;
    a.y = y->data;
    a.xt = x->type;
    a.yt = y->type;
    a.cl = y->strides[1] < y->strides[3];
    const int64_t total = a.N * a.C * a.P * a.Q;
    if (total == 0) return C8_OK;
    pool_nhwc_args f;
    if (pool_nhwc_fits(d, y, x, &f)) {
        const int blocks = (int)(((int64_t)f.total + C8CU_THREADS - 1) / C8CU_THREADS);
        if (x->type == C8CU_F16 && d->is_max)
            k_pool2d_nhwc<__half, true><<<blocks, C8CU_THREADS, 0, stream>>>(f);
        else if (x->type == C8CU_F16)
            k_pool2d_nhwc<__half, false><<<blocks, C8CU_THREADS, 0, stream>>>(f);
        else if (d->is_max)
            k_pool2d_nhwc<float, true><<<blocks, C8CU_THREADS, 0, stream>>>(f);
        else
            k_pool2d_nhwc<float, false><<<blocks, C8CU_THREADS, 0, stream>>>(f);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    if (pool_nchw_fits(d, y, x, &f)) {
        const int blocks = blocks_for(f.total);
        if (d->is_max)
            k_pool2d_nchw<float, true><<<blocks, C8CU_THREADS, 0, stream>>>(f);
        else
            k_pool2d_nchw<float, false><<<blocks, C8CU_THREADS, 0, stream>>>(f);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    /* 32-bit indices when every offset (signed: windows start in the padding) fits */
    bool i32 = total < ((int64_t)1 << 31) && d->pt < ((int64_t)1 << 20) &&
               d->pl < ((int64_t)1 << 20) &&
               a.H + d->pb + d->sh * a.P + d->kh * d->dh < ((int64_t)1 << 30) &&
               a.W + d->pr + d->sw * a.Q + d->kw * d->dw < ((int64_t)1 << 30);
    int64_t xm = 0, ym = 0;
    for (int k = 0; k < 4; k++) {
        i32 = i32 && a.xs[k] >= 0 && a.ys[k] >= 0;
        xm += (k == 0 ? a.N : k == 1 ? a.C : k == 2 ? a.H : a.W) * a.xs[k];
        ym += (k == 0 ? a.N : k == 1 ? a.C : k == 2 ? a.P : a.Q) * a.ys[k];
    }
    i32 = i32 && xm < ((int64_t)1 << 30) && ym < ((int64_t)1 << 30);
    if (i32)
        k_pool2d<int><<<blocks_for(total), C8CU_THREADS, 0, stream>>>(a);
    else
        k_pool2d<int64_t><<<blocks_for(total), C8CU_THREADS, 0, stream>>>(a);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

struct gpool_args {
    int is_max;
    int64_t N, C, S;
    int64_t xs[3], ys[2];
    const void *x;
    void *y;
    int xt, yt;
};

/* One (n, c) per thread, summing in ascending order as the reference does. Consecutive threads
 * take consecutive channels, which is coalesced for channels-last inputs. */
__global__ void k_global_pool(gpool_args a) {
    const int64_t total = a.N * a.C;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t c = i % a.C, n = i / a.C;
        const int64_t base = n * a.xs[0] + c * a.xs[1];
        float r;
        if (a.is_max) {
            float m = ld_f(a.x, a.xt, base);
            for (int64_t j = 1; j < a.S; j++) {
                const float v = ld_f(a.x, a.xt, base + j * a.xs[2]);
                if (v > m || v != v) m = v;
                if (m != m) break;
            }
            r = m;
        } else {
            float s = 0.0f;
            for (int64_t j = 0; j < a.S; j++) s += ld_f(a.x, a.xt, base + j * a.xs[2]);
            r = s / (float)a.S;
        }
        st_f(a.y, a.yt, n * a.ys[0] + c * a.ys[1], r);
    }
}

/* Average over dense channels-last (N, S, C) into dense (N, C), one float type, C a multiple of
 * the 16-byte vector: one thread per image and vector of channels, each channel summed in
 * ascending order in float as k_global_pool sums it (the same result bit for bit), with 16-byte
 * loads, unrolled so that several are in flight. k_global_pool's 2-byte loads ran ResNet-50's
 * FP16 pool (2048x7x7, batch 256) at 54% of the copy rate. */
template <typename T>
__global__ void __launch_bounds__(C8CU_THREADS)
    k_global_avg_nhwc(int n, int cv, int S, const uint4 *x, uint4 *y) {
    typedef vec_traits<T> tr;
    const int total = n * cv;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        const int c = i % cv, img = i / cv;
        const uint4 *xb = x + (size_t)img * S * cv + c;
        float s[8];
#pragma unroll
        for (int k = 0; k < 8; k++) s[k] = 0.0f;
        int j = 0;
        for (; j + 4 <= S; j += 4) {
            uint4 u[4];
#pragma unroll
            for (int t = 0; t < 4; t++) u[t] = __ldg(xb + (size_t)(j + t) * cv);
#pragma unroll
            for (int t = 0; t < 4; t++)
#pragma unroll
                for (int k = 0; k < tr::V; k++) s[k] += tr::get(u[t], k);
        }
        for (; j < S; j++) {
            const uint4 u = __ldg(xb + (size_t)j * cv);
#pragma unroll
            for (int k = 0; k < tr::V; k++) s[k] += tr::get(u, k);
        }
        uint4 o = make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
        for (int k = 0; k < tr::V; k++) tr::put(o, k, s[k] / (float)S);
        y[(size_t)img * cv + c] = o;
    }
}

/* Large S (a squeeze-excitation block's squeeze over a 160x160 map: k_global_avg_nhwc had one
 * thread per image and vector of channels, 96 threads for the PP-OCRv4 detector's 8 x 96
 * channels, each summing 25,600 pixels in turn: 56% of its FP16 forward on an H100, 2026-12-07).
 * One block per image and vector of channels: thread t sums pixels t, t + 256, ... in float, then
 * the block's 256 partial sums are added in a fixed tree. A fixed order (the same bits on every
 * run, batch and thread count), but not the reference's ascending one: within float rounding of
 * it (C8CU_GAP_BLOCK_MIN_S and up only; tests/kernels/cuda/test_cuda_float_ops.c, docs/cuda.md). */
#define C8CU_GAP_BLOCK_MIN_S 4096
template <typename T>
__global__ void __launch_bounds__(C8CU_THREADS)
    k_global_avg_nhwc_block(int cv, int S, const uint4 *x, uint4 *y) {
    typedef vec_traits<T> tr;
    const int c = blockIdx.x % cv, img = blockIdx.x / cv, t = threadIdx.x;
    const uint4 *xb = x + (size_t)img * S * cv + c;
    float s[8];
#pragma unroll
    for (int k = 0; k < 8; k++) s[k] = 0.0f;
    for (int j = t; j < S; j += C8CU_THREADS) {
        const uint4 u = __ldg(xb + (size_t)j * cv);
#pragma unroll
        for (int k = 0; k < tr::V; k++) s[k] += tr::get(u, k);
    }
    __shared__ float part[tr::V][C8CU_THREADS];
#pragma unroll
    for (int k = 0; k < tr::V; k++) part[k][t] = s[k];
    __syncthreads();
    for (int h = C8CU_THREADS / 2; h > 0; h >>= 1) {
        if (t < h)
#pragma unroll
            for (int k = 0; k < tr::V; k++) part[k][t] += part[k][t + h];
        __syncthreads();
    }
    if (t == 0) {
        uint4 o = make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
        for (int k = 0; k < tr::V; k++) tr::put(o, k, part[k][0] / (float)S);
        y[(size_t)img * cv + c] = o;
    }
}

extern "C" c8_status c8cu_global_pool(int is_max, const c8cu_view *y, const c8cu_view *x,
                                      cudaStream_t stream, c8_error *err) {
    if (x->rank != 3 || y->rank != 2)
        return c8_err(err, C8_ERR_INTERNAL, "global pool: views must be (N, C, S) -> (N, C)");
    gpool_args a;
    memset(&a, 0, sizeof a);
    a.is_max = is_max;
    a.N = x->dims[0];
    a.C = x->dims[1];
    a.S = x->dims[2];
    for (int k = 0; k < 3; k++) a.xs[k] = x->strides[k];
    a.ys[0] = y->strides[0];
    a.ys[1] = y->strides[1];
    a.x = x->data;
    a.y = y->data;
    a.xt = x->type;
    a.yt = y->type;
    if (a.N * a.C == 0) return C8_OK;
    if (a.S == 0) return c8_err(err, C8_ERR_SHAPE, "cannot pool over an empty window");
    const int64_t V = x->type == C8CU_F16 ? 8 : 4;
    if (!is_max && x->type == y->type && (x->type == C8CU_F16 || x->type == C8CU_F32) &&
        a.C % V == 0 && a.xs[1] == 1 && a.xs[2] == a.C && a.xs[0] == a.S * a.C && a.ys[1] == 1 &&
        a.ys[0] == a.C && !((uintptr_t)x->data & 15u) && !((uintptr_t)y->data & 15u) &&
        a.N * a.S * a.C < ((int64_t)1 << 31)) {
        const int cv = (int)(a.C / V);
        const int blocks = blocks_for(a.N * cv);
        if (a.S >= C8CU_GAP_BLOCK_MIN_S && a.N * cv <= 0x7fffffff) {
            if (x->type == C8CU_F16)
                k_global_avg_nhwc_block<__half><<<(unsigned)(a.N * cv), C8CU_THREADS, 0, stream>>>(
                    cv, (int)a.S, (const uint4 *)x->data, (uint4 *)y->data);
            else
                k_global_avg_nhwc_block<float><<<(unsigned)(a.N * cv), C8CU_THREADS, 0, stream>>>(
                    cv, (int)a.S, (const uint4 *)x->data, (uint4 *)y->data);
            C8_CUDA_LAUNCH_TRY(err);
            return C8_OK;
        }
        if (x->type == C8CU_F16)
            k_global_avg_nhwc<__half><<<blocks, C8CU_THREADS, 0, stream>>>(
                (int)a.N, cv, (int)a.S, (const uint4 *)x->data, (uint4 *)y->data);
        else
            k_global_avg_nhwc<float><<<blocks, C8CU_THREADS, 0, stream>>>(
                (int)a.N, cv, (int)a.S, (const uint4 *)x->data, (uint4 *)y->data);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    k_global_pool<<<blocks_for(a.N * a.C), C8CU_THREADS, 0, stream>>>(a);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ------------------------------------------------------------------ Softmax, LRN */

__global__ void k_softmax(int64_t outer, int64_t len, int64_t inner, const float *x, float *y) {
    const int64_t rows = outer * inner;
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < rows;
         r += (int64_t)gridDim.x * blockDim.x) {
        const int64_t o = r / inner, i = r % inner;
        const float *xr = x + o * len * inner + i;
        float *yr = y + o * len * inner + i;
        float m = xr[0];
        for (int64_t j = 1; j < len; j++)
            if (xr[j * inner] > m) m = xr[j * inner];
        double s = 0.0; /* in double, as c8_ref_softmax (why there) */
        for (int64_t j = 0; j < len; j++) {
            const float e = expf(xr[j * inner] - m);
            yr[j * inner] = e;
            s += e;
        }
        for (int64_t j = 0; j < len; j++) yr[j * inner] = (float)(yr[j * inner] / s);
    }
}

/* Rows contiguous (inner == 1, the usual case): one warp per row, the lanes striding over it.
 * The result equals k_softmax's: the maximum is exact in any order (a NaN anywhere makes every
 * output NaN either way: its exponential makes the sum NaN), the exponentials are the same
 * expf, and only the double sum's order differs (a difference far below a float's ulp). A
 * thread per row spent 6,625 dependent steps on each of the recognizer's 40 rows. */
__global__ void __launch_bounds__(C8CU_THREADS)
    k_softmax_rows(int64_t rows, int64_t len, const float *x, float *y) {
    const int lane = threadIdx.x & 31;
    const int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += nwarps) {
        const float *xr = x + r * len;
        float *yr = y + r * len;
        float m = -INFINITY;
        for (int64_t j = lane; j < len; j += 32) m = fmaxf(m, xr[j]);
        for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
        double s = 0.0;
        for (int64_t j = lane; j < len; j += 32) {
            const float e = expf(xr[j] - m);
            yr[j] = e;
            s += e;
        }
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        for (int64_t j = lane; j < len; j += 32) yr[j] = (float)(yr[j] / s);
    }
}

/* Long contiguous rows (a classifier's 1000 classes, the recognizer's 6625): one block per row,
 * the row staged in shared memory, so that x is read once and y written once (the warp kernel
 * above reads x twice and y once besides, with one warp per row: 5% of the copy rate on the
 * recognizer's 2560 x 6625 at 0.88 ms, bench_membound 2026-12-07). The same arithmetic as
 * k_softmax_rows: the exact maximum (NaN dropped by fmaxf, then its exponential makes the sum
 * NaN), the same expf, a double sum in a fixed order (each thread's elements in order, the
 * warps' shuffle tree, then the eight warps in order), (float)(e / s) in double. */
#define C8CU_SOFTMAX_BLOCK 256
#define C8CU_SOFTMAX_MAX_ROW (47 * 1024 / 4)
__global__ void __launch_bounds__(C8CU_SOFTMAX_BLOCK)
    k_softmax_block(int64_t rows, int64_t len, const float *x, float *y) {
    extern __shared__ float row[]; /* len floats */
    __shared__ float wmax[C8CU_SOFTMAX_BLOCK / 32];
    __shared__ double wsum[C8CU_SOFTMAX_BLOCK / 32];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float *xr = x + r * len;
        float *yr = y + r * len;
        float m = -INFINITY;
        for (int64_t j = tid; j < len; j += C8CU_SOFTMAX_BLOCK) {
            const float v = xr[j];
            row[j] = v;
            m = fmaxf(m, v);
        }
        for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
        if (lane == 0) wmax[warp] = m;
        __syncthreads();
        m = wmax[0];
        for (int w = 1; w < C8CU_SOFTMAX_BLOCK / 32; w++) m = fmaxf(m, wmax[w]);
        double s = 0.0;
        for (int64_t j = tid; j < len; j += C8CU_SOFTMAX_BLOCK) {
            const float e = expf(row[j] - m);
            row[j] = e;
            s += e;
        }
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        if (lane == 0) wsum[warp] = s;
        __syncthreads();
        s = wsum[0];
        for (int w = 1; w < C8CU_SOFTMAX_BLOCK / 32; w++) s += wsum[w];
        for (int64_t j = tid; j < len; j += C8CU_SOFTMAX_BLOCK) yr[j] = (float)(row[j] / s);
        __syncthreads(); /* (row, wmax and wsum are the next row's) */
    }
}

extern "C" c8_status c8cu_softmax(int64_t outer, int64_t len, int64_t inner, const float *x,
                                  float *y, cudaStream_t stream, c8_error *err) {
    if (outer <= 0 || len <= 0 || inner <= 0) return C8_OK;
    /* the staged row and the kernel's static shared memory within the default 48 KiB per block
     * (12288 floats asked for more: cudaErrorInvalidValue at launch, H100 2026-12-07) */
    if (inner == 1 && len >= C8CU_SOFTMAX_BLOCK && len <= C8CU_SOFTMAX_MAX_ROW) {
        const int64_t blocks = outer < C8CU_MAX_BLOCKS ? outer : C8CU_MAX_BLOCKS;
        k_softmax_block<<<(int)blocks, C8CU_SOFTMAX_BLOCK, (size_t)len * sizeof(float), stream>>>(
            outer, len, x, y);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    if (inner == 1 && len >= 32) {
        k_softmax_rows<<<blocks_for(outer * 32), C8CU_THREADS, 0, stream>>>(outer, len, x, y);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
    k_softmax<<<blocks_for(outer * inner), C8CU_THREADS, 0, stream>>>(outer, len, inner, x, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

__global__ void k_lrn(int64_t N, int64_t C, int64_t inner, int64_t size, float a, float beta,
                      float bias, const float *x, float *y) {
    const int64_t total = N * C * inner;
    const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        const int64_t i = t % inner, c = (t / inner) % C, n = t / (inner * C);
        const int64_t c0 = c - lo < 0 ? 0 : c - lo;
        const int64_t c1 = c + hi > C - 1 ? C - 1 : c + hi;
        float sq = 0.0f;
        for (int64_t k = c0; k <= c1; k++) {
            const float v = x[(n * C + k) * inner + i];
            sq += v * v;
        }
        y[t] = x[t] / powf(bias + a * sq, beta);
    }
}

extern "C" c8_status c8cu_lrn(int64_t n, int64_t c, int64_t inner, int64_t size, float alpha,
                              float beta, float bias, const float *x, float *y, cudaStream_t stream,
                              c8_error *err) {
    const int64_t total = n * c * inner;
    if (total <= 0) return C8_OK;
    const float a = alpha / (float)size; /* as the reference: alpha / size in float32 */
    k_lrn<<<blocks_for(total), C8CU_THREADS, 0, stream>>>(n, c, inner, size, a, beta, bias, x, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ------------------------------------------------------------------ ConvTranspose, kernel = stride
 */

/* Thread per (input pixel, output channel): each output pixel takes exactly one tap of one input
 * pixel, so the sum runs over the input channels alone, ascending from 0 as the reference's
 * (c8_ref_conv_transpose: every other tap is skipped), then the bias, then the activation
 * (act_ref, as the epilogue pass). FP32: NCHW x, ONNX weights (C, K, kh, kw); FP16: NHWC x and
 * y, weights (C, kh, kw, K) binary16 (cuda_conv.c's packing), float32 sums. T = kh * kw taps
 * <= C8CU_CONVT_MAX_TAPS. Index order: NCHW threads walk x's pixels fastest (coalesced reads of
 * each channel plane), NHWC threads walk the output channels fastest (coalesced weight reads and
 * writes of each output pixel's channel row). */
template <bool NHWC>
__global__ void k_convt_s2k(c8cu_convt_s2k d, const void *xv, const void *wv, const float *bias,
                            void *yv) {
    const int T = (int)(d.kh * d.kw);
    const int64_t OH = d.h * d.kh, OW = d.w * d.kw;
    const int64_t total = d.n * d.k * d.h * d.w;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t n, k, iy, ix;
        if (NHWC) {
            k = t % d.k;
            ix = (t / d.k) % d.w;
            iy = (t / (d.k * d.w)) % d.h;
            n = t / (d.k * d.w * d.h);
        } else {
            ix = t % d.w;
            iy = (t / d.w) % d.h;
            k = (t / (d.w * d.h)) % d.k;
            n = t / (d.w * d.h * d.k);
        }
        float acc[C8CU_CONVT_MAX_TAPS];
#pragma unroll
        for (int j = 0; j < C8CU_CONVT_MAX_TAPS; j++) acc[j] = 0.0f;
        for (int64_t c = 0; c < d.c; c++) {
            float xc;
            if (NHWC)
                xc = __half2float(((const __half *)xv)[((n * d.h + iy) * d.w + ix) * d.c + c]);
            else
                xc = ((const float *)xv)[((n * d.c + c) * d.h + iy) * d.w + ix];
#pragma unroll
            for (int j = 0; j < C8CU_CONVT_MAX_TAPS; j++) {
                if (j >= T) break;
                const float wj = NHWC ? __half2float(((const __half *)wv)[(c * T + j) * d.k + k])
                                      : ((const float *)wv)[(c * d.k + k) * T + j];
                acc[j] = acc[j] + xc * wj;
            }
        }
        const float b = bias ? bias[k] : 0.0f;
#pragma unroll
        for (int j = 0; j < C8CU_CONVT_MAX_TAPS; j++) {
            if (j >= T) break;
            const int64_t oy = iy * d.kh + j / d.kw, ox = ix * d.kw + j % d.kw;
            const float v = act_ref(d.act, d.act_a, d.act_b, bias ? acc[j] + b : acc[j]);
            if (NHWC)
                ((__half *)yv)[((n * OH + oy) * OW + ox) * d.k + k] = __float2half_rn(v);
            else
                ((float *)yv)[((n * d.k + k) * OH + oy) * OW + ox] = v;
        }
    }
}

extern "C" c8_status c8cu_convt_s2k_run(const c8cu_convt_s2k *d, const void *x, const void *w,
                                        const float *bias, void *y, cudaStream_t stream,
                                        c8_error *err) {
    if (d->kh < 1 || d->kw < 1 || d->kh * d->kw > C8CU_CONVT_MAX_TAPS)
        return c8_err(err, C8_ERR_INTERNAL, "ConvTranspose direct kernel: %lldx%lld taps",
                      (long long)d->kh, (long long)d->kw);
    const int64_t total = d->n * d->k * d->h * d->w;
    if (total <= 0) return C8_OK;
    if (d->nhwc)
        k_convt_s2k<true><<<blocks_for(total), C8CU_THREADS, 0, stream>>>(*d, x, w, bias, y);
    else
        k_convt_s2k<false><<<blocks_for(total), C8CU_THREADS, 0, stream>>>(*d, x, w, bias, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ------------------------------------------------------------------ reductions */

/* One warp per output element; lanes take every 32nd reduced element, then a shuffle tree. */
__global__ void k_reduce(c8cu_reduce_geom r, const float *x, float *y) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    const bool is_max = r.op == C8CU_RED_MAX, is_min = r.op == C8CU_RED_MIN;
    for (int64_t j = (((int64_t)blockIdx.x * blockDim.x) + threadIdx.x) >> 5; j < r.n_out;
         j += warps) {
        int64_t base = 0, rem = j;
        for (int d = r.out_rank - 1; d >= 0; d--) {
            base += (rem % r.out_dims[d]) * r.out_strides[d];
            rem /= r.out_dims[d];
        }
        double acc = is_max ? -INFINITY : is_min ? INFINITY : 0.0;
        for (int64_t i = lane; i < r.count; i += 32) {
            int64_t off = base, q = i;
            for (int d = r.red_rank - 1; d >= 0; d--) {
                off += (q % r.red_dims[d]) * r.red_strides[d];
                q /= r.red_dims[d];
            }
            const double v = x[off];
            if (is_max) {
                if (isnan(v) || v > acc) acc = isnan(acc) ? acc : v;
            } else if (is_min) {
                if (isnan(v) || v < acc) acc = isnan(acc) ? acc : v;
            } else if (r.op == C8CU_RED_SUM_SQUARE || r.op == C8CU_RED_L2) {
                acc += v * v;
            } else {
                acc += v;
            }
        }
        for (int o = 16; o > 0; o >>= 1) {
            const double b = __shfl_xor_sync(0xffffffffu, acc, o);
            if (is_max)
                acc = (isnan(acc) || isnan(b)) ? (isnan(acc) ? acc : b) : (b > acc ? b : acc);
            else if (is_min)
                acc = (isnan(acc) || isnan(b)) ? (isnan(acc) ? acc : b) : (b < acc ? b : acc);
            else
                acc += b;
        }
        if (lane == 0) {
            if (r.op == C8CU_RED_MEAN) acc = r.count ? acc / (double)r.count : (double)NAN;
            if (r.op == C8CU_RED_L2) acc = sqrt(acc);
            y[j] = (float)acc;
        }
    }
}

extern "C" c8_status c8cu_reduce(const c8cu_reduce_geom *r, const float *x, float *y,
                                 cudaStream_t stream, c8_error *err) {
    if (r->n_out <= 0) return C8_OK;
    k_reduce<<<blocks_for(r->n_out * 32), C8CU_THREADS, 0, stream>>>(*r, x, y);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ------------------------------------------------------------------ gather through a map */

template <typename T>
__global__ void k_gather_map(int64_t count, const int32_t *map, const T *x, T fill, T *y) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < count;
         i += (int64_t)gridDim.x * blockDim.x) {
        const int32_t m = map[i];
        y[i] = m >= 0 ? x[m] : fill;
    }
}

extern "C" c8_status c8cu_gather_map(size_t esize, int64_t count, const int32_t *map, const void *x,
                                     const void *fill, void *y, cudaStream_t stream,
                                     c8_error *err) {
    if (count <= 0) return C8_OK;
    const int blocks = blocks_for(count);
    switch (esize) {
    case 1: {
        uint8_t f;
        memcpy(&f, fill, 1);
        k_gather_map<uint8_t>
            <<<blocks, C8CU_THREADS, 0, stream>>>(count, map, (const uint8_t *)x, f, (uint8_t *)y);
        break;
    }
    case 2: {
        uint16_t f;
        memcpy(&f, fill, 2);
        k_gather_map<uint16_t><<<blocks, C8CU_THREADS, 0, stream>>>(count, map, (const uint16_t *)x,
                                                                    f, (uint16_t *)y);
        break;
    }
    case 4: {
        uint32_t f;
        memcpy(&f, fill, 4);
        k_gather_map<uint32_t><<<blocks, C8CU_THREADS, 0, stream>>>(count, map, (const uint32_t *)x,
                                                                    f, (uint32_t *)y);
        break;
    }
    case 8: {
        unsigned long long f;
        memcpy(&f, fill, 8);
        k_gather_map<unsigned long long><<<blocks, C8CU_THREADS, 0, stream>>>(
            count, map, (const unsigned long long *)x, f, (unsigned long long *)y);
        break;
    }
    default: return c8_err(err, C8_ERR_INTERNAL, "gather map: element size %zu", esize);
    }
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

/* ------------------------------------------------------------------ calibration histogram */

#define HIST_EXP_MIN (-148)       /* C8_HIST_RULE_EXP_MIN (quant/hist_rule.h) */
#define HIST_SHARED_MAX_BINS 8192 /* 32 KiB of uint32 counters per block */

extern "C" size_t c8cu_hist_dev_bytes(int64_t nbins) {
    return sizeof(c8cu_hist_header) + (size_t)nbins * sizeof(uint64_t);
}

/* quant/hist_rule.c's order_key: unsigned order of keys = float order. */
__device__ __forceinline__ uint32_t order_key(uint32_t b) {
    return b ^ ((0u - (b >> 31)) | 0x80000000u);
}

/* c8_hist_exp_for on the bit pattern of a finite absmax: the smallest e >= HIST_EXP_MIN with
 * 2^e > absmax (frexp's exponent). */
__device__ __forceinline__ int hist_exp(uint32_t a) {
    if (a == 0) return HIST_EXP_MIN;
    const uint32_t E = a >> 23;
    int e;
    if (E)
        e = (int)E - 126; /* 1.m * 2^(E-127) < 2^(E-126) */
    else
        e = (31 - __clz((int)a)) - 148; /* subnormal a * 2^-149, top bit p: e = p - 148 */
    return e < HIST_EXP_MIN ? HIST_EXP_MIN : e;
}

__global__ void k_hist_init(c8cu_hist_header *h) {
    h->amax_bits = 0;
    h->kmin = 0xffffffffu;
    h->kmax = 0;
    h->exp = HIST_EXP_MIN;
    h->first_bad = ~0ull;
}

__global__ void k_hist_reduce(const float *x, uint64_t n, c8cu_hist_header *h) {
    uint32_t amax = 0, kmin = 0xffffffffu, kmax = 0;
    unsigned long long bad = ~0ull;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (uint64_t)gridDim.x * blockDim.x) {
        const uint32_t b = __float_as_uint(x[i]);
        const uint32_t a = b & 0x7fffffffu, k = order_key(b);
        amax = a > amax ? a : amax;
        kmin = k < kmin ? k : kmin;
        kmax = k > kmax ? k : kmax;
        if (a >= 0x7f800000u && i < bad) bad = i;
    }
    for (int o = 16; o > 0; o >>= 1) {
        const uint32_t a2 = __shfl_down_sync(0xffffffffu, amax, o);
        const uint32_t k1 = __shfl_down_sync(0xffffffffu, kmin, o);
        const uint32_t k2 = __shfl_down_sync(0xffffffffu, kmax, o);
        const unsigned long long b2 = __shfl_down_sync(0xffffffffu, bad, o);
        amax = a2 > amax ? a2 : amax;
        kmin = k1 < kmin ? k1 : kmin;
        kmax = k2 > kmax ? k2 : kmax;
        bad = b2 < bad ? b2 : bad;
    }
    if ((threadIdx.x & 31) == 0) {
        atomicMax(&h->amax_bits, amax);
        atomicMin(&h->kmin, kmin);
        atomicMax(&h->kmax, kmax);
        if (bad != ~0ull) atomicMin((unsigned long long *)&h->first_bad, bad);
    }
}

/* Bins |x| with the batch's own range: bin = (int)(|x| * nbins * 2^-exp) in float64, exact as
 * in quant/hist_rule.c. Per-block uint32 counters in shared memory, flushed with 64-bit atomics. */
template <bool SHARED>
__global__ void k_hist_bins(const float *x, uint64_t n, int nbins, c8cu_hist_header *h,
                            unsigned long long *counts) {
    extern __shared__ uint32_t sh[];
    const uint32_t amax_bits = h->amax_bits;
    if (amax_bits >= 0x7f800000u) return; /* a NaN / Inf: reported on the host */
    const int e = hist_exp(amax_bits);
    if (blockIdx.x == 0 && threadIdx.x == 0) h->exp = e;
    const double c = ldexp((double)nbins, -e);
    const int last = nbins - 1;
    if (SHARED) {
        for (int j = threadIdx.x; j < nbins; j += blockDim.x) sh[j] = 0;
        __syncthreads();
    }
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (uint64_t)gridDim.x * blockDim.x) {
        int k = (int)(fabs((double)x[i]) * c);
        k = k < last ? k : last;
        if (SHARED)
            atomicAdd(&sh[k], 1u);
        else
            atomicAdd(&counts[k], 1ull);
    }
    if (SHARED) {
        __syncthreads();
        for (int j = threadIdx.x; j < nbins; j += blockDim.x)
            if (sh[j]) atomicAdd(&counts[j], (unsigned long long)sh[j]);
    }
}

extern "C" c8_status c8cu_hist(const float *x, uint64_t n, int64_t nbins, void *dev, int sm_count,
                               cudaStream_t stream, c8_error *err) {
    c8cu_hist_header *h = (c8cu_hist_header *)dev;
    unsigned long long *counts = (unsigned long long *)((char *)dev + sizeof(c8cu_hist_header));
    C8_CUDA_TRY(err, cudaMemsetAsync(dev, 0, c8cu_hist_dev_bytes(nbins), stream));
    k_hist_init<<<1, 1, 0, stream>>>(h);
    C8_CUDA_LAUNCH_TRY(err);
    if (n == 0) return C8_OK;
    int64_t blocks = (int64_t)((n + C8CU_THREADS - 1) / C8CU_THREADS);
    int64_t cap = (int64_t)(sm_count > 0 ? sm_count : 16) * 4;
    if (blocks > cap) blocks = cap;
    /* per-block uint32 counters: at most 2^31 values per block */
    const int64_t min_blocks = (int64_t)(n >> 31) + 1;
    if (blocks < min_blocks) blocks = min_blocks;
    if (blocks > C8CU_MAX_BLOCKS) blocks = C8CU_MAX_BLOCKS;
    k_hist_reduce<<<(int)blocks, C8CU_THREADS, 0, stream>>>(x, n, h);
    C8_CUDA_LAUNCH_TRY(err);
    if (nbins <= HIST_SHARED_MAX_BINS)
        k_hist_bins<true><<<(int)blocks, C8CU_THREADS, (size_t)nbins * sizeof(uint32_t), stream>>>(
            x, n, (int)nbins, h, counts);
    else
        k_hist_bins<false><<<(int)blocks, C8CU_THREADS, 0, stream>>>(x, n, (int)nbins, h, counts);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}
