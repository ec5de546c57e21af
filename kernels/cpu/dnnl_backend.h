/* The fast CPU backend on oneDNN (C API, dnnl.h): internal interface between its files.
 *   dnnl_backend.c  the backend table c8_backend_cpu_dnnl (host memory, like the reference CPU
 *                   backend it delegates every other node to), contexts, kernel labels
 *   dnnl_conv.c     the nodes it runs: FP32 Conv / FusedConv and Gemm, INT8 Q8Conv and Q8Gemm
 *                   (FP16 layers of Conv / Gemm emulated on the FP32 primitives), and without
 *                   oneDNN: FP32/FP16 MaxPool (pool_fast.h), Q8Quantize, Q8Requantize, FP32
 *                   Relu and BatchNormalization
 *   dnnl_requant.c  calib8's own epilogues (no oneDNN): the INT8 requantization of exact sums,
 *                   the FP32 activations, quantization and requantization of activations
 * Reference: the reference kernels (kernels/ref/) are the oracle; FP32 results are within
 * C8_DNNL_FP32_RTOL of them, INT8 results equal them bit for bit (docs/int8-semantics.md, "The
 * oneDNN CPU backend"). Tests: tests/kernels/cpu/test_dnnl.c. */
#ifndef C8_KERNELS_CPU_DNNL_BACKEND_H
#define C8_KERNELS_CPU_DNNL_BACKEND_H

#include "calib8/status.h"
#include "calib8/tensor.h"
#include "kernels/backend.h"
#include "kernels/ref/int8.h"
#include "ops/ir.h"

#include <stdbool.h>
#include <stdint.h>

/* The FP32 tolerance against the reference kernels: oneDNN sums a convolution's or a matrix
 * product's terms in another order (blocked, vectorized, FMA), so each output differs from the
 * reference's float32 sum by a few ulps of the sum of |terms|; relative to that magnitude
 * (sum |x*w| + |bias|), 1e-5 leaves room for reductions of ~10^4 terms
 * (tests/kernels/cpu/test_dnnl.c). */
#define C8_DNNL_FP32_RTOL 1e-5

/* The INT8 route is exact when every partial sum is an integer of magnitude <= 2^24 (then float32
 * represents it exactly, whatever the order or FMA): 127 * sum_t |w[k, t]| <= 2^24 for every
 * output channel k (|x| <= 127), over the whole reduction or over each chunk of it. */
#define C8_DNNL_EXACT_LIMIT 16777216.0

typedef struct c8_dnnl_ctx c8_dnnl_ctx;
typedef struct c8_dnnl_node c8_dnnl_node;

c8_status c8_dnnl_ctx_create(c8_dnnl_ctx **out, c8_error *err);
void c8_dnnl_ctx_destroy(c8_dnnl_ctx *c); /* NULL: no-op */
/* The threads the context's primitives are made and run with (0: OpenMP's default). */
void c8_dnnl_ctx_set_threads(c8_dnnl_ctx *c, int threads);
/* Brackets the nodes of one segment (a forward) run through c8_dnnl_run: within it, an FP32
 * convolution's channels-last output stays readable by the convolutions that read it next
 * (dnnl_conv.c, "channels-last between convolutions"). Outside a bracket nothing is shared. */
c8_status c8_dnnl_ctx_begin(c8_dnnl_ctx *c, const struct c8_segment *seg, c8_error *err);
void c8_dnnl_ctx_end(c8_dnnl_ctx *c);
int c8_dnnl_ctx_threads(const c8_dnnl_ctx *c);
/* The calling thread's OpenMP thread count set to n (> 0; <= 0: unchanged) until the matching
 * leave, which puts the previous count back (why: dnnl_backend.c). oneDNN partitions a
 * primitive's work for the count in force when the primitive is made, and runs it so. */
typedef struct c8_dnnl_thread_scope {
    int prev; /* the count before; 0: not changed */
} c8_dnnl_thread_scope;
c8_dnnl_thread_scope c8_dnnl_threads_enter(int n);
void c8_dnnl_threads_leave(c8_dnnl_thread_scope t);

/* Which oneDNN kernel runs node n of graph g (its layer l, NULL for none), decided from the op,
 * dtypes, attributes, ranks, constants and the layer's precision (never from extents): a label
 * such as "dnnl:conv" for the layer table, or NULL when the reference kernels run it. When
 * NULL and why is not NULL, *why is set to a static reason (or NULL: not a oneDNN op). */
const char *c8_dnnl_kernel(const c8_graph *g, const c8_node *n, const c8_layer *l,
                           const char **why);

/* Prepares node n of the specialized graph g (every extent known) when c8_dnnl_kernel names a
 * kernel for it: creates its primitive, reorders its constant weights; *out NULL otherwise (the
 * reference runs it). The node state is the caller's (c8_dnnl_node_free). */
c8_status c8_dnnl_prepare(c8_dnnl_ctx *c, const c8_graph *g, const c8_node *n, const c8_layer *l,
                          c8_dnnl_node **out, c8_error *err);
c8_status c8_dnnl_run(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n,
                      const c8_host_tensor *in, c8_host_tensor *out, const c8_host_tensor *residual,
                      c8_error *err);
void c8_dnnl_node_free(c8_dnnl_node *s); /* NULL: no-op */
/* A Q8Conv / Q8Gemm node's route in its last run: "u8" (oneDNN's integer kernel, inputs in
 * [0, 127]), "s8" (its signed one, VNNI), "f32" (exact float32 sums) or "gemv" (a Q8Gemm of at
 * most 4 rows: kernels/cpu/gemv_fast.h's exact sums); NULL before a run or for other nodes. */
const char *c8_dnnl_node_route(const c8_dnnl_node *s);

/* calib8's INT8 epilogue over exact sums (kernels/ref/int8.h's c8_ref_int8_epilogue_store, the
 * same semantics): sums (outer, channels, inner), float32 holding integers (fsums) or int32
 * (isums; fsums NULL); element idx of channel k gets acc = bias[k] + sum[idx] and is stored
 * into y at idx. */
void c8_dnnl_requant(int64_t outer, int64_t channels, int64_t inner, const float *fsums,
                     const int32_t *isums, const c8_int8_epilogue *ep, void *y);
/* The same epilogue over sums in channels-last order, (outer, inner, channels) (the convolutions
 * of the INT8 routes write acdb; a matrix product's (M, N) is inner 1), float32 (fsums) or int32
 * (isums; fsums NULL), stored into y as (outer, channels, inner): the ONNX layout. With inner 1
 * the two layouts coincide: rows of channels in and out (also how a Q8Conv writes channels-last
 * int8 for the next one, outer = pixels; the residual, if any, laid out as y). */
void c8_dnnl_requant_nhwc(int64_t outer, int64_t channels, int64_t inner, const float *fsums,
                          const int32_t *isums, const c8_int8_epilogue *ep, void *y);
/* The same for pixels [p0, p1) of one image of `inner` pixels (a band of output rows): int32 sums
 * of those pixels only, channels-last (isums[(p - p0) * channels + k]); y and the residual, if
 * any, are the whole image in the ONNX layout (channels, inner), of which those pixels are
 * written. */
void c8_dnnl_requant_nhwc_band(int64_t channels, int64_t inner, int64_t p0, int64_t p1,
                               const int32_t *isums, const c8_int8_epilogue *ep, void *y);
/* Whether any of x[0..n) is negative (the integer route needs inputs in [0, 127]). */
bool c8_dnnl_any_negative(const int8_t *x, int64_t n);
/* acc[i] = sum over p of (int32_t)parts[p][i] for i < count (each part's values exact integers). */
void c8_dnnl_sum_parts(int n_parts, const float *const *parts, int64_t count, int32_t *acc);

/* Q8Quantize: q[i] = c8_quant_quantize(x[i], inv_s) for i < n (vectorized, the same bits). */
void c8_dnnl_quantize(const float *x, float inv_s, int64_t n, int8_t *q);
/* Q8Add with an int8 output: y[i] = c8_quant_add_i8(a[i], ma, b[i], mb, act) for i < n (the same
 * bits), for the activations c8_dnnl_add_fast accepts (none, ReLU, Clip, LeakyReLU, hard-swish). */
bool c8_dnnl_add_fast(c8_quant_act act);
void c8_dnnl_add_i8(int64_t n, const int8_t *a, float ma, const int8_t *b, float mb,
                    c8_quant_act act, int8_t *y);
/* Q8Requantize: y[i] = c8_quant_epilogue_i8(x[i], m, 0, 0, 0.0f, act) for i < n (the same bits). */
void c8_dnnl_requantize(const int8_t *x, float m, c8_quant_act act, int64_t n, int8_t *y);
/* Q8Mul over an (outer, c, inner) view: element (o, k, i) gets
 * c8_quant_requantize(x, c8_quant_mul_factor(f[o * f_outer + k * f_c], m)) (kernels/ref/int8.h's
 * c8_ref_int8_mul, the same bits), the planes on the threads in force. */
void c8_dnnl_mul_i8(int64_t outer, int64_t c, int64_t inner, const int8_t *x, const float *f,
                    int64_t f_outer, int64_t f_c, float m, int8_t *y);
/* Q8Dequantize: x[i] = c8_quant_dequantize(q[i], s) for i < n (the same bits). */
void c8_dnnl_dequantize(const int8_t *q, float s, int64_t n, float *x);
/* Q8Concat: kernels/ref/int8.h's c8_ref_int8_concat (the same bits). */
void c8_dnnl_concat_i8(int64_t outer, int64_t inner, int n_inputs, const int8_t *const *xs,
                       const int64_t *channels, const float *mults, int8_t *y);

/* The FP32 Relu and BatchNormalization nodes (unfused: calibration's every-tensor engines), as
 * the reference kernels compute them element by element (c8_ref_unary_f32's ReLU,
 * c8_ref_batchnorm's (x - mean) / sqrtf(var + eps) * scale + bias): the same bits, vectorized.
 * relu: y == x allowed. */
void c8_dnnl_relu(const float *x, float *y, int64_t n);
void c8_dnnl_batchnorm(int64_t N, int64_t C, int64_t inner, float epsilon, const float *x,
                       const float *scale, const float *bias, const float *mean, const float *var,
                       float *y);

/* y[i] = c8_ref_act(act, a, b, y[i]) for i < n (the reference's FP32 activation, NaN included). */
void c8_dnnl_act_f32(int act, float a, float b, float *y, int64_t n);
/* f[i] = (float)q[i] for i < n (exact). */
void c8_dnnl_i8_to_f32(const int8_t *q, int64_t n, float *f);

/* The largest 127 * sum_t |w| over the rows of w (rows of len int8 each, or columns when
 * col_stride != 1: rows x len viewed with element (r, t) at r * row_stride + t * col_stride). */
double c8_dnnl_sum_bound(const int8_t *w, int64_t rows, int64_t len, int64_t row_stride,
                         int64_t col_stride);

#endif
