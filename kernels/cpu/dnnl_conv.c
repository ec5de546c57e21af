/* The nodes the oneDNN backend runs (dnnl_backend.h), each as one oneDNN primitive made once per
 * specialization (prepare) and executed per run.
 *
 * Conv / FusedConv (FP32 layers, 1-3 spatial axes, grouped and depthwise): convolution_direct
 * with bias and the fused residual as a sum post-op, then the activation by calib8
 * (c8_dnnl_act_f32), in the reference's order y = act((conv + bias) + residual).
 *
 * Gemm (FP32, B constant, alpha = beta = 1, no transA, C absent or a row (N)): matmul with bias.
 *
 * MaxPool (FP32 and FP16 layers): not a oneDNN primitive but calib8's own clipped-window kernel
 * (kernels/cpu/pool_fast.h; oneDNN's max drops NaN taps, the reference propagates them), bit for
 * bit the reference's.
 *
 * FP16 layers of these (emulated, as the reference backend does: kernels/cpu/backend_cpu.c): the
 * same float32 primitives on the input and residual rounded through binary16 (copies), the
 * output rounded after the activation; the weights and bias are constants the builder already
 * rounded. The sums are float32 in oneDNN's order, so the rounded outputs are within
 * C8_DNNL_FP32_RTOL of the reference's sums before the final rounding (at most one binary16 step
 * apart where a sum lies that close to a rounding boundary).
 *
 * Q8Conv / Q8Gemm, two routes to the exact int32 sums, then calib8's own requantization
 * (dnnl_requant.c), bit for bit the reference's (docs/int8-semantics.md):
 *  - the integer route, for inputs in [0, 127] (checked per run): oneDNN's u8 x s8 -> s32
 *    convolution / matmul; its vpmaddubsw pairs cannot saturate with such inputs, so the sums
 *    are exact. Convolutions write channels-last sums (on one thread, in slices of images
 *    whose sums fit in L2).
 *  - the float32 route, for any input: the int8 operands converted to float32 (exact) and summed
 *    by the float32 primitives with no bias or post-ops. When 127 * sum |w| <= 2^24 for every
 *    output channel, every partial sum is an exactly represented integer, so the sums are the
 *    reference's int32 sums. Where the whole reduction exceeds that bound it is split into
 *    chunks (input channels, or K) that each stay within it, one primitive per chunk, and the
 *    chunks' sums are added in int32. (oneDNN's s8 x s8 -> s32 convolution is not exact on CPUs
 *    without VNNI: it halves the weights to avoid int16 saturation.)
 *
 * Layouts: activations and outputs stay in ONNX layout (NC[D]HW, plain) between nodes; a
 * convolution takes the activation layout oneDNN prefers (blocked nChw8c on AVX2) and reorders
 * its input, output and residual per run (cheap next to the convolution; its jit kernels were
 * ~5x faster than the plain-layout gemm convolution). Weights are reordered once. */
#include "kernels/cpu/dnnl_backend.h"

#include "kernels/cpu/fp16_round.h"
#include "kernels/cpu/layout_f32.h"
#include "kernels/cpu/deconv_fast.h"
#include "kernels/cpu/resize_fast.h"
#include "kernels/cpu/eltwise_fast.h"
#include "kernels/cpu/gemv_fast.h"
#include "kernels/cpu/pool_fast.h"
#include "ops/geometry.h"
#include "util/shape.h"
#include "ops/ops.h"
#include "util/err.h"

#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* One value's channels-last copy in a forward (see "channels-last between convolutions"). */
typedef struct acdb_entry {
    const void *p;   /* the producer's channels-last output buffer */
    uint64_t serial; /* the forward (c8_dnnl_ctx_begin) it was written in */
    bool i8;         /* int8 (a Q8Conv's output), else float32 */
} acdb_entry;

struct c8_dnnl_ctx {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    int threads; /* c8_dnnl_ctx_set_threads; 0: OpenMP's default */
    /* C8_DNNL_NO_SHARE (any value) when the context was made: every convolution converts from
     * and to NCHW itself, as before the sharing (tests compare the two bit for bit; debugging) */
    bool no_share;
    /* C8_DNNL_NO_S8 (any value) when the context was made: no signed integer route (tests run
     * the float32 route that CPUs without VNNI take) */
    bool no_s8;
    /* C8_DNNL_NO_BANDS (any value) when the context was made: Q8Convs run on whole images, not in
     * bands of output rows (tests compare the two bit for bit) */
    bool no_bands;
    const c8_segment *seg; /* the segment being run (c8_dnnl_ctx_begin), or NULL */
    uint64_t serial;       /* forwards begun */
    acdb_entry *acdb;      /* per value of seg->g */
    signed char *will;     /* per value: will it have a channels-last record in this forward
                              (will_acdb: -1 not yet known, 0 no, 1 yes) */
    int n_acdb;
};

void c8_dnnl_ctx_set_threads(c8_dnnl_ctx *c, int threads) {
    c->threads = threads > 0 ? threads : 0;
}
int c8_dnnl_ctx_threads(const c8_dnnl_ctx *c) { return c->threads; }

typedef enum node_kind {
    K_CONV = 1,
    K_GEMM,
    K_Q8CONV,
    K_Q8GEMM,
    K_MAXPOOL,
    K_QUANT,
    K_Q8ADD,
    K_REQUANT,
    K_RELU,
    K_BN,
    K_Q8MAXPOOL,
    K_BINARY, /* float32 Add / Sub / Mul / Div (eltwise_fast.h) */
    K_CLIP,   /* float32 Clip (eltwise_fast.h) */
    K_DECONV, /* float32 ConvTranspose with kernel == stride (deconv_fast.h) */
    K_DEQUANT,
    K_Q8CONCAT,
    K_RESIZE, /* float32 nearest upsampling by whole factors (resize_fast.h) */
    K_Q8GAP,  /* Q8GlobalAveragePool (pool_fast.h) */
    K_Q8MUL,  /* Q8Mul: requantization rows with a multiplier per (item, channel) */
    K_SIGMOID /* float32 Sigmoid (eltwise_fast.h) */
} node_kind;

struct c8_dnnl_node {
    node_kind kind;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, bias, dst;
    bool res;         /* a fused residual: copied into dst, added by the sum post-op */
    size_t res_bytes; /* dst's bytes */
    /* Where the primitive chose blocked activation layouts (nChw8c on AVX2: its fast jit
     * kernels), plain views of the node's input and output and the reorders between them;
     * NULL where it works on the plain tensors directly. */
    dnnl_memory_t src_user, dst_user;
    dnnl_primitive_t src_in, dst_out, res_in; /* plain -> src, dst -> plain, plain -> dst */
    void *src_buf, *dst_buf;
    /* 4-D float32 activations the primitive wants channels-last (acdb) where the plan's are
     * NCHW: converted by calib8's own transposes (layout_f32.h) instead of oneDNN's reorders;
     * dims (N, C, H*W) of src and of dst */
    bool src_nhwc, dst_nhwc;
    int plain_readers;  /* the NCHW output has readers besides channels-last ones: -1 not yet
                           known, 0 no, 1 yes (plain_needed) */
    float *pool_acdb;   /* K_MAXPOOL on a channels-last input: its channels-last output */
    size_t pool_acdb_n; /* floats allocated there */
    int64_t src_nchw[3], dst_nchw[3];
    bool
        src_nhwc8; /* the same for a 1-byte input (the INT8 routes' u8): calib8's byte transposes */
    dnnl_memory_t scratch; /* the primitive's scratchpad (user mode), or NULL */
    void *scratch_buf;
    void *wei_buf;  /* the weights in the primitive's layout (owned) */
    float *xf, *yf; /* Q8: the int8 input as float32 (src's shape), the float32 sums (dst's) */
    int64_t x_count, outer, channels, inner; /* Q8: input elements; sums as (outer, ch, inner) */
    /* Q8 with the reduction split (see q8_chunks): one primitive per chunk of input channels
     * (Conv) or of K (Gemm), each reading xf + part_off[p] and writing part_y[p]; the chunks'
     * exact sums are added in int32 (acc) before the requantization. n_parts 0: not split. */
    int n_parts;
    struct c8_dnnl_node **parts;
    int64_t *part_off;
    float **part_y;
    int32_t *acc;
    /* FP32 products whose sums oneDNN orders by the thread partition (its sgemm: matmul, and
     * convolutions it runs as im2col + sgemm or its reference): made and run on one thread, so
     * that the result does not depend on the thread count (docs/cli.md, "Threads") */
    bool serial;
    /* FP32 Gemm of at most C8_CPU_GEMV_MAX_M rows: calib8's own product (gemv_fast.h) over the
     * weights as (N, K) rows (gemv_w: the constant itself, or gemv_own, a transposed copy) */
    bool gemv;
    int64_t gemv_m, gemv_n, gemv_k;
    const float *gemv_w;
    float *gemv_own;
    /* Q8Gemm of at most C8_CPU_GEMV_MAX_M rows: calib8's own exact int32 sums (gemv_fast.h) over
     * the weights as (N, K) int8 rows, into u8_acc (the route "gemv") */
    int8_t *igemv_w;
    int64_t igemv_k;
    bool gemm_impl; /* the primitive oneDNN chose is "gemm:..." or "ref:..." */
    /* an FP16 layer (emulated): x16 / r16 hold the input / residual rounded through binary16 */
    bool fp16;
    c8_pool_desc pool;     /* K_MAXPOOL */
    c8_conv_desc convt;    /* K_DECONV */
    c8_resize_desc resize; /* K_RESIZE */
    c8_pool2d_desc qpool;  /* K_Q8MAXPOOL */
    float *x16, *r16;
    size_t x16_count, r16_count;
    /* Q8: the integer route (see prepare_q8): oneDNN's u8 x s8 -> s32 primitive over the same
     * weights, its int32 sums channels-last (u8_acc), used when the input has no negative value;
     * NULL where oneDNN has no fast integer kernel for the node */
    struct c8_dnnl_node *u8;
    int32_t *u8_acc;
    /* Q8: the signed integer route, for inputs with negative values: oneDNN's s8 x s8 -> s32
     * primitive, kept only where its kernel multiplies with VNNI (vpdpbusd: no int16 step, so
     * its shifted u8 x s8 products and their compensation are exact; the AVX2 / AVX-512 kernels
     * without VNNI may saturate or halve the weights). Its sums go where u8_acc is. */
    struct c8_dnnl_node *s8;
    bool vnni;  /* the primitive's kernel uses VNNI or AMX (its implementation name says so) */
    int64_t nb; /* Q8Conv without chunks: images per call of either route (see prepare_q8) */
    /* Q8Conv in bands of output rows on the integer routes (see "bands"): rows per band (0: whole
     * images), u8 / s8 above are the band's primitives and u8_last / s8_last the last band's
     * where the rows do not divide into whole bands; band_x the input channels-last with its
     * zero rows of padding above and below (NULL where there are none: the input as it is) */
    int64_t band_rows, band_w, band_q, band_sh, band_pad_t;
    struct c8_dnnl_node *u8_last, *s8_last;
    int8_t *band_x;
    /* Q8Conv, channels-last int8 between convolutions (see there): its channels-last int8
     * output (y_cl, allocated on first use), whether it can write one (q8_cl: the integer route,
     * int8 output, an activation the row epilogue takes), and scratch for moving a record back
     * to NCHW or an NCHW residual to channels-last (tmp_x, tmp_r) */
    bool q8_cl;
    int cl_readers; /* q8_cl_reader of its output: -1 not yet known (the graph does not change) */
    int8_t *y_cl, *tmp_x, *tmp_r;
    int64_t src_ch;    /* Q8Conv: input channels */
    bool ref_impl;     /* the primitive oneDNN chose is its reference ("ref:...") */
    bool sums_plain;   /* Q8 float32 route: its convolution's sums are in the ONNX layout */
    const char *route; /* Q8: the route of the last run ("u8" or "f32"; c8_dnnl_node_route) */
};

/* Every oneDNN call is checked here: the expression, file and line go into the message. */
#define DNNL_TRY(expr)                                                                             \
    do {                                                                                           \
        dnnl_status_t ds_ = (expr);                                                                \
        if (ds_ != dnnl_success)                                                                   \
            return c8_err(err, ds_ == dnnl_out_of_memory ? C8_ERR_NOMEM : C8_ERR_DEVICE,           \
                          "oneDNN: %s failed (status %d) at %s:%d", #expr, (int)ds_, __FILE__,     \
                          __LINE__);                                                               \
    } while (0)

c8_status c8_dnnl_ctx_create(c8_dnnl_ctx **out, c8_error *err) {
    c8_dnnl_ctx *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    *out = c;
    c->no_share = getenv("C8_DNNL_NO_SHARE") != NULL;
    c->no_s8 = getenv("C8_DNNL_NO_S8") != NULL;
    c->no_bands = getenv("C8_DNNL_NO_BANDS") != NULL;
    DNNL_TRY(dnnl_engine_create(&c->eng, dnnl_cpu, 0));
    DNNL_TRY(dnnl_stream_create(&c->stream, c->eng, dnnl_stream_default_flags));
    return C8_OK;
}

void c8_dnnl_ctx_destroy(c8_dnnl_ctx *c) {
    if (!c) return;
    free(c->acdb);
    free(c->will);
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->eng) dnnl_engine_destroy(c->eng);
    free(c);
}

/* ---------------------------------------------------- channels-last between convolutions
 *
 * The FP32 convolutions run channels-last (acdb) where the plan's values are NCHW, converting
 * each input and output with calib8's transposes: a quarter of fmnist_resnet's forward at batch
 * 64 on one thread. Within one forward (a segment: c8_dnnl_ctx_begin .. end), a convolution's
 * channels-last output (its dst buffer, after the activation) is recorded for its value, and a
 * convolution reading that value (as its input, or as its fused residual) in the same forward
 * takes it from there instead of converting the NCHW copy back. FP32 MaxPools and element-wise
 * ops (eltwise_cl) whose inputs all have records run channels-last too and record their
 * outputs (will_acdb says in advance which values will have records). The NCHW copy is not
 * written at all when nothing else can read it: every reader of the value takes the
 * channels-last copy in this segment, the value is no graph output, and no observer watches the
 * forward (an element-wise op then keeps its result in its output's own memory). Results are
 * the same bits: the same values, moved instead of transposed twice. A record names the
 * forward it was made in, so nothing from an earlier forward (or specialization) is read.
 * INT8 the same way: a Q8Conv on the integer route computes channels-last int32 sums, so where
 * another Q8Conv reads its int8 output (q8_cl_reader), the epilogue writes channels-last rows
 * (c8_dnnl_requant_nhwc with inner 1) and records them, and the reader takes them as its input (no
 * byte transpose) or residual. A reader whose route needs NCHW (the float32 route: an input with
 * negative values) moves the record back itself, so Q8Conv readers never need the NCHW copy.
 * fmnist_resnet INT8 on one thread: 0.0997-0.1006 -> 0.0872-0.0876 ms at batch 1, 5.72-5.75
 * -> 4.89-4.90 ms at batch 64 (2026-12-07).
 * C8_DNNL_NO_SHARE=1 turns it off (tests/kernels/cpu/test_dnnl.c "conv_chain", "int8_chain"). */

c8_status c8_dnnl_ctx_begin(c8_dnnl_ctx *c, const c8_segment *seg, c8_error *err) {
    const int nv = seg->g->n_vals;
    if (nv > c->n_acdb) {
        acdb_entry *a = realloc(c->acdb, (size_t)nv * sizeof *a);
        if (!a) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        memset(a + c->n_acdb, 0, (size_t)(nv - c->n_acdb) * sizeof *a);
        c->acdb = a;
        signed char *w = realloc(c->will, (size_t)nv);
        if (!w) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        c->will = w;
        c->n_acdb = nv;
    }
    if (c->will) memset(c->will, -1, (size_t)c->n_acdb);
    c->seg = c->no_share ? NULL : seg;
    c->serial++;
    return C8_OK;
}

void c8_dnnl_ctx_end(c8_dnnl_ctx *c) { c->seg = NULL; }

static const void *acdb_any(const c8_dnnl_ctx *c, int v, bool i8) {
    if (!c->seg || v < 0 || v >= c->n_acdb || c->acdb[v].serial != c->serial || c->acdb[v].i8 != i8)
        return NULL;
    return c->acdb[v].p;
}
static const float *acdb_of(const c8_dnnl_ctx *c, int v) { return acdb_any(c, v, false); }
static const int8_t *acdb_i8_of(const c8_dnnl_ctx *c, int v) { return acdb_any(c, v, true); }

static void acdb_put(c8_dnnl_ctx *c, int v, const void *p, bool i8) {
    if (!c->seg || v < 0 || v >= c->n_acdb) return;
    c->acdb[v].p = p;
    c->acdb[v].serial = c->serial;
    c->acdb[v].i8 = i8;
}
static void acdb_record(c8_dnnl_ctx *c, int v, const float *p) { acdb_put(c, v, p, false); }

void c8_dnnl_node_free(c8_dnnl_node *s) {
    if (!s) return;
    dnnl_primitive_t prims[] = {s->prim, s->src_in, s->dst_out, s->res_in};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[] = {s->src, s->wei, s->bias, s->dst, s->src_user, s->dst_user, s->scratch};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    free(s->wei_buf);
    free(s->src_buf);
    free(s->scratch_buf);
    free(s->dst_buf);
    free(s->pool_acdb);
    free(s->xf);
    free(s->yf);
    for (int p = 0; p < s->n_parts; p++) {
        if (s->parts) c8_dnnl_node_free(s->parts[p]);
        if (s->part_y) free(s->part_y[p]);
    }
    free(s->parts);
    free(s->part_y);
    free(s->part_off);
    free(s->acc);
    free(s->x16);
    free(s->r16);
    c8_dnnl_node_free(s->u8);
    c8_dnnl_node_free(s->s8);
    c8_dnnl_node_free(s->u8_last);
    c8_dnnl_node_free(s->s8_last);
    free(s->band_x);
    free(s->gemv_own);
    free(s->igemv_w);
    free(s->u8_acc);
    free(s->y_cl);
    free(s->tmp_x);
    free(s->tmp_r);
    free(s);
}

/* ---------------------------------------------------------------- which nodes, statically */

static bool is_float(const c8_value *v) { return v && v->dtype == C8_DT_FLOAT; }
static bool is_const(const c8_value *v) { return v && v->kind == C8_VAL_CONST && v->data; }

static bool fp32_layer(const c8_layer *l) {
    return !l || (l->precision == C8_LAYER_PREC_FP32 && l->role == C8_LAYER_COMPUTE);
}

static bool fp16_layer(const c8_layer *l) {
    return l && l->precision == C8_LAYER_PREC_FP16 && l->role == C8_LAYER_COMPUTE;
}

/* The fused activations (applied by c8_dnnl_act_f32 as the reference does). */
static bool act_ok(c8_act a) {
    return a == C8_ACT_NONE || a == C8_ACT_RELU || a == C8_ACT_CLIP || a == C8_ACT_LEAKY_RELU ||
           a == C8_ACT_SIGMOID || a == C8_ACT_HARDSWISH;
}

static const char *conv_reason(const c8_graph *g, const c8_node *n) {
    const c8_value *x = c8_node_input(g, n, 0), *w = c8_node_input(g, n, 1);
    const c8_value *b = c8_node_input(g, n, 2);
    if (!is_float(x) || !is_float(w) || !is_const(w)) return "weights not constant float32";
    if (w->shape.rank < 3 || w->shape.rank > 5) return "rank";
    if (b && (!is_float(b) || !is_const(b))) return "bias not constant float32";
    if (!act_ok(n->fusion.act)) return "activation";
    if (n->fusion.residual >= 0 && g->vals[n->fusion.residual].dtype != C8_DT_FLOAT)
        return "residual not float32";
    return NULL;
}

static const char *gemm_reason(const c8_graph *g, const c8_node *n) {
    const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
    const c8_value *c = c8_node_input(g, n, 2);
    if (!is_float(a) || !is_float(b) || !is_const(b)) return "B not constant float32";
    if (c8_node_attr_i(n, "transA", 0) != 0) return "transA";
    if (c8_node_attr_f(n, "alpha", 1.0f) != 1.0f) return "alpha != 1";
    if (c && c8_node_attr_f(n, "beta", 1.0f) != 1.0f) return "beta != 1";
    if (c && (!is_const(c) || !is_float(c) || c->shape.rank < 1 || c->shape.rank > 2 ||
              (c->shape.rank == 2 && c->shape.d[0] != 1)))
        return "C not a constant row";
    if (!act_ok(n->fusion.act)) return "activation";
    if (n->fusion.residual >= 0 && g->vals[n->fusion.residual].dtype != C8_DT_FLOAT)
        return "residual not float32";
    return NULL;
}

/* The reduction of a Q8Conv (input channels, units of R*S taps; group 1 only) or Q8Gemm (K) split
 * into the fewest equal chunks whose sums are each exact in float32 (127 * sum |w| <= 2^24 over
 * every output channel's taps within the chunk); the chunks' sums are added in int32. Returns
 * the chunk count, or 0 when no split keeps them exact. */
static int q8_chunks(const c8_graph *g, const c8_node *n) {
    const c8_value *w = c8_node_input(g, n, 1);
    const int8_t *wd = w->data;
    int64_t rows, units, unit, row_stride, col_stride;
    if (n->op == C8_OP_Q8_CONV) {
        rows = w->shape.d[0];
        units = w->shape.d[1];
        unit = w->shape.d[2] * w->shape.d[3];
        row_stride = units * unit;
        col_stride = 1;
    } else {
        bool nk = c8_node_attr_i(n, "b_layout", C8_INT8_B_NK) == C8_INT8_B_NK;
        rows = nk ? w->shape.d[0] : w->shape.d[1];
        units = nk ? w->shape.d[1] : w->shape.d[0];
        unit = 1;
        row_stride = nk ? units : 1;
        col_stride = nk ? 1 : rows;
    }
    double total = c8_dnnl_sum_bound(wd, rows, units * unit, row_stride, col_stride);
    int first = (int)(total / C8_DNNL_EXACT_LIMIT) + 1;
    bool grouped = n->op == C8_OP_Q8_CONV && c8_node_attr_i(n, "group", 1) != 1;
    if (first > 1 && grouped) return 0;
    for (int64_t parts = first; parts <= units && parts <= 64; parts++) {
        bool ok = true;
        for (int64_t p = 0; ok && p < parts; p++) {
            int64_t u0 = units * p / parts, u1 = units * (p + 1) / parts;
            ok = c8_dnnl_sum_bound(wd + u0 * unit * col_stride, rows, (u1 - u0) * unit, row_stride,
                                   col_stride) <= C8_DNNL_EXACT_LIMIT;
        }
        if (ok) return (int)parts;
    }
    return 0;
}

/* ConvTranspose geometries oneDNN's deconvolution expresses (static: attributes only): explicit
 * pads (no auto_pad, no output_shape) with each output_padding at most the end padding (past it,
 * oneDNN would need a negative padding; deconv_prim checks the extents again). */
static const char *deconv_reason(const c8_node *n) {
    if (strcmp(c8_node_attr_s(n, "auto_pad", "NOTSET"), "NOTSET") != 0) return "auto_pad";
    const int64_t *v = NULL;
    if (c8_node_attr_ints(n, "output_shape", &v) > 0) return "output_shape";
    const int64_t *op = NULL, *pads = NULL;
    const size_t nop = c8_node_attr_ints(n, "output_padding", &op);
    const size_t np = c8_node_attr_ints(n, "pads", &pads);
    for (size_t i = 0; i < nop; i++)
        if (op[i] > (np == 2 * nop ? pads[nop + i] : 0))
            return "output_padding past the end padding";
    return NULL;
}

/* Q8Conv weights (K, C/g, R, S) / Q8Gemm B ((N, K) or (K, N)) */
static const char *q8_reason(const c8_graph *g, const c8_node *n) {
    const c8_value *x = c8_node_input(g, n, 0), *w = c8_node_input(g, n, 1);
    if (!x || x->dtype != C8_DT_INT8 || !is_const(w) || w->dtype != C8_DT_INT8)
        return "not int8 with constant weights";
    if (c8_node_input(g, n, 3) == NULL) return "no multipliers";
    if (w->shape.rank != (n->op == C8_OP_Q8_CONV ? 4 : 2)) return "rank";
    if (q8_chunks(g, n) == 0) return "grouped int8 sums may exceed 2^24 (float32 not exact)";
    return NULL;
}

const char *c8_dnnl_kernel(const c8_graph *g, const c8_node *n, const c8_layer *l,
                           const char **why) {
    const char *r = NULL, *label = NULL;
    switch (n->op) {
    case C8_OP_CONV:
    case C8_OP_FUSED_CONV:
        if (!fp32_layer(l) && !fp16_layer(l)) return NULL;
        r = conv_reason(g, n);
        label = fp16_layer(l) ? "dnnl:conv f32 (fp16)" : "dnnl:conv f32";
        break;
    case C8_OP_CONV_TRANSPOSE: {
        if (!fp32_layer(l)) return NULL;
        r = conv_reason(g, n);
        if (!r) r = deconv_reason(n);
        c8_conv_desc d;
        c8_error de = {0};
        label = !r && n->fusion.residual < 0 && c8_op_conv_transpose_desc(g, n, &d, &de) == C8_OK &&
                        c8_cpu_deconv_ks_fits(&d)
                    ? "cpu:deconv"
                    : "dnnl:deconv f32";
        break;
    }
    case C8_OP_GEMM:
        if (!fp32_layer(l) && !fp16_layer(l)) return NULL;
        r = gemm_reason(g, n);
        label = fp16_layer(l) ? "dnnl:matmul f32 (fp16)" : "dnnl:matmul f32";
        break;
    case C8_OP_MATMUL: { /* activation x constant 2-D weight (a classifier, a projection) */
        if (!fp32_layer(l)) return NULL;
        const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
        if (!is_float(a) || !is_float(b) || !is_const(b) || !is_float(c8_node_output(g, n, 0)))
            r = "B not constant float32";
        else if (b->shape.rank != 2 || a->shape.rank < 2)
            r = "rank";
        else if (n->fusion.residual >= 0 || n->fusion.act != C8_ACT_NONE)
            r = "fused epilogue";
        label = "dnnl:matmul f32";
        break;
    }
    case C8_OP_MAXPOOL: {
        if (!fp32_layer(l) && !fp16_layer(l)) return NULL;
        const c8_value *x = c8_node_input(g, n, 0);
        if (!is_float(x) || (n->n_out > 1 && n->out[1] >= 0)) r = "not float32";
        label = fp16_layer(l) ? "cpu:maxpool (fp16)" : "cpu:maxpool";
        break;
    }
    case C8_OP_RELU:
    case C8_OP_BATCHNORM:
        if (!fp32_layer(l)) return NULL;
        if (!is_float(c8_node_input(g, n, 0)) || n->fusion.residual >= 0 ||
            n->fusion.act != C8_ACT_NONE)
            r = "not plain float32";
        else if (n->op == C8_OP_BATCHNORM && c8_node_input(g, n, 0)->shape.rank < 2)
            r = "rank";
        label = n->op == C8_OP_RELU ? "cpu:relu" : "cpu:batchnorm";
        break;
    case C8_OP_Q8_MAXPOOL: {
        const c8_value *x = c8_node_input(g, n, 0);
        if (!x || x->dtype != C8_DT_INT8) r = "not int8";
        label = "cpu:maxpool int8";
        break;
    }
    case C8_OP_ADD:
    case C8_OP_SUB:
    case C8_OP_MUL:
    case C8_OP_DIV: {
        if (!fp32_layer(l)) return NULL;
        const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
        const c8_value *y = c8_node_output(g, n, 0);
        if (n->n_in != 2 || !is_float(a) || !is_float(b) || !is_float(y) ||
            n->fusion.residual >= 0 || n->fusion.act != C8_ACT_NONE)
            r = "not plain float32";
        else if (!c8_cpu_binary_f32_fits(c8_op_binary_kind(n->op), &a->shape, &b->shape, &y->shape))
            r = "broadcast form";
        label = "cpu:eltwise";
        break;
    }
    case C8_OP_SIGMOID: {
        if (!fp32_layer(l)) return NULL;
        if (!is_float(c8_node_input(g, n, 0)) || !is_float(c8_node_output(g, n, 0)))
            r = "not float32";
        label = "cpu:sigmoid";
        break;
    }
    case C8_OP_CLIP: {
        if (!fp32_layer(l)) return NULL;
        const c8_value *x = c8_node_input(g, n, 0);
        if (!is_float(x) || !is_float(c8_node_output(g, n, 0)) || n->fusion.act != C8_ACT_NONE)
            r = "not plain float32";
        else if (g->opset < 11)
            r = "Clip-6 attributes";
        for (int k = 1; k <= 2 && !r; k++) {
            const c8_value *v = k < n->n_in && n->in[k] >= 0 ? &g->vals[n->in[k]] : NULL;
            if (v && (!is_float(v) || c8_shape_numel(&v->shape) != 1)) r = "bounds";
        }
        label = "cpu:clip";
        break;
    }
    case C8_OP_Q8_ADD: {
        const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
        if (!a || !b || a->dtype != C8_DT_INT8 || b->dtype != C8_DT_INT8)
            r = "not int8";
        else if (c8_node_attr_i(n, "out", C8_QOUT_INT8) != C8_QOUT_INT8)
            r = "float output";
        else if (!c8_dnnl_add_fast(c8_op_q8_epilogue(n).act))
            r = "activation";
        label = "cpu:add int8";
        break;
    }
    case C8_OP_Q8_QUANTIZE:
        if (!is_float(c8_node_input(g, n, 0))) r = "not float32";
        label = "cpu:quantize";
        break;
    case C8_OP_Q8_REQUANTIZE: {
        const c8_value *x = c8_node_input(g, n, 0);
        if (!x || x->dtype != C8_DT_INT8) r = "not int8";
        label = "cpu:requantize";
        break;
    }
    case C8_OP_Q8_DEQUANTIZE: {
        const c8_value *x = c8_node_input(g, n, 0);
        if (!x || x->dtype != C8_DT_INT8) r = "not int8";
        label = "cpu:dequantize";
        break;
    }
    case C8_OP_Q8_CONCAT: {
        const c8_attr *m = c8_node_attr(n, "mults");
        if (!m || !m->floats || m->n != (size_t)n->n_in) r = "no multipliers";
        for (int k = 0; k < n->n_in && !r; k++) {
            const c8_value *x = c8_node_input(g, n, k);
            if (!x || x->dtype != C8_DT_INT8) r = "not int8";
        }
        label = "cpu:concat int8";
        break;
    }
    case C8_OP_Q8_MUL: {
        const c8_value *x = c8_node_input(g, n, 0), *f = c8_node_input(g, n, 1);
        if (!x || x->dtype != C8_DT_INT8 || !is_float(f)) r = "not int8 x float32";
        label = "cpu:mul int8";
        break;
    }
    case C8_OP_Q8_GLOBAL_AVGPOOL: {
        const c8_value *x = c8_node_input(g, n, 0);
        if (!x || x->dtype != C8_DT_INT8 || x->shape.rank != 4) r = "not 4-D int8";
        label = "cpu:global avgpool int8";
        break;
    }
    case C8_OP_RESIZE: {
        /* the modes statically; whole factors per run (the reference runs any other) */
        const c8_value *x = c8_node_input(g, n, 0), *y = c8_node_output(g, n, 0);
        const bool i8 = x && y && x->dtype == C8_DT_INT8 && y->dtype == C8_DT_INT8;
        if (!i8 && !fp32_layer(l)) return NULL;
        if (!((is_float(x) && is_float(y)) || i8) || x->shape.rank != 4)
            r = "not 4-D float32 or int8";
        else if (strcmp(c8_node_attr_s(n, "mode", "nearest"), "nearest") != 0 ||
                 (g->opset >= 11 &&
                  (strcmp(c8_node_attr_s(n, "coordinate_transformation_mode", "half_pixel"),
                          "asymmetric") != 0 ||
                   strcmp(c8_node_attr_s(n, "nearest_mode", "round_prefer_floor"), "floor") != 0)))
            r = "not nearest, asymmetric, floor";
        label = i8 ? "cpu:resize int8" : "cpu:resize";
        break;
    }
    case C8_OP_Q8_CONV:
        r = q8_reason(g, n);
        label = "dnnl:conv int8";
        break;
    case C8_OP_Q8_GEMM:
        r = q8_reason(g, n);
        label = "dnnl:matmul int8";
        break;
    default: return NULL;
    }
    if (why) *why = r;
    return r ? NULL : label;
}

/* ---------------------------------------------------------------- primitives */

static dnnl_format_tag_t plain_tag(int ndims) {
    static const dnnl_format_tag_t t[] = {dnnl_a,    dnnl_ab,    dnnl_abc,
                                          dnnl_abcd, dnnl_abcde, dnnl_abcdef};
    return t[ndims - 1];
}

static c8_status md_plain_t(dnnl_memory_desc_t *md, int ndims, const int64_t *dims,
                            dnnl_data_type_t dt, c8_error *err) {
    dnnl_dims_t d;
    for (int i = 0; i < ndims; i++) d[i] = dims[i];
    DNNL_TRY(dnnl_memory_desc_init_by_tag(md, ndims, d, dt, plain_tag(ndims)));
    return C8_OK;
}

static c8_status md_plain(dnnl_memory_desc_t *md, int ndims, const int64_t *dims, c8_error *err) {
    return md_plain_t(md, ndims, dims, dnnl_f32, err);
}

/* The fused residual of an FP32 node as a sum post-op: the residual is copied into dst before the
 * primitive runs (dst = conv + bias + 1.0 * dst; oneDNN 2.6's binary-add post-op on the gemm
 * convolution was 4x slower than the convolution itself). The activation is not a post-op:
 * oneDNN's eltwise ReLU maps NaN to 0 where the reference (and ONNX) propagate it, so calib8
 * applies it after the primitive (c8_dnnl_act_f32, the reference's element function). */
static c8_status make_attr(const c8_node *n, dnnl_primitive_attr_t *attr, c8_error *err) {
    DNNL_TRY(dnnl_primitive_attr_create(attr));
    if (n->fusion.residual < 0) return C8_OK;
    dnnl_post_ops_t po;
    DNNL_TRY(dnnl_post_ops_create(&po));
    dnnl_status_t s = dnnl_post_ops_append_sum(po, 1.0f);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(*attr, po);
    dnnl_post_ops_destroy(po);
    DNNL_TRY(s);
    return C8_OK;
}

static c8_status reorder_prim(c8_dnnl_ctx *c, const dnnl_memory_desc_t *from,
                              const dnnl_memory_desc_t *to, dnnl_primitive_t *out, c8_error *err) {
    dnnl_primitive_desc_t rpd = NULL;
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, from, c->eng, to, c->eng, NULL));
    dnnl_status_t ds = dnnl_primitive_create(out, rpd);
    dnnl_primitive_desc_destroy(rpd);
    DNNL_TRY(ds);
    return C8_OK;
}

static void *buf_for(const dnnl_memory_desc_t *md) {
    size_t b = dnnl_memory_desc_get_size(md);
    return aligned_alloc(64, (b + 63) / 64 * 64 + 64);
}

/* Whether `plain` is a dense 4-D NCHW tensor of type dt that `blocked` holds channels-last
 * (acdb); dims gets (N, C, H*W). */
static bool nchw_vs_nhwc_of(dnnl_data_type_t dt, const dnnl_memory_desc_t *plain,
                            const dnnl_memory_desc_t *blocked, int64_t dims[3]) {
    if (plain->ndims != 4 || plain->data_type != dt || blocked->data_type != dt) return false;
    dnnl_memory_desc_t a, b;
    if (dnnl_memory_desc_init_by_tag(&a, 4, plain->dims, dt, dnnl_abcd) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&b, 4, plain->dims, dt, dnnl_acdb) != dnnl_success)
        return false;
    if (!dnnl_memory_desc_equal(plain, &a) || !dnnl_memory_desc_equal(blocked, &b)) return false;
    dims[0] = plain->dims[0];
    dims[1] = plain->dims[1];
    dims[2] = plain->dims[2] * plain->dims[3];
    return true;
}

static bool nchw_vs_nhwc(const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *blocked,
                         int64_t dims[3]) {
    return nchw_vs_nhwc_of(dnnl_f32, plain, blocked, dims);
}

/* The same for a 1-byte input (u8 or s8). */
static bool nchw_vs_nhwc8(const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *blocked,
                          int64_t dims[3]) {
    return nchw_vs_nhwc_of(dnnl_u8, plain, blocked, dims) ||
           nchw_vs_nhwc_of(dnnl_s8, plain, blocked, dims);
}

/* Where the primitive's src / dst layouts (smd, dmd) differ from the plain tensors (splain,
 * dplain): the plain views, the reorders (or calib8's transposes) and the blocked buffers. */
static c8_status activation_layouts(c8_dnnl_ctx *c, c8_dnnl_node *s, const dnnl_memory_desc_t *smd,
                                    const dnnl_memory_desc_t *dmd, const dnnl_memory_desc_t *splain,
                                    const dnnl_memory_desc_t *dplain, c8_error *err) {
    if (nchw_vs_nhwc8(splain, smd, s->src_nchw)) {
        s->src_nhwc8 = true;
        if (!(s->src_buf = buf_for(smd))) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, s->src_buf));
    } else if (nchw_vs_nhwc(splain, smd, s->src_nchw)) {
        s->src_nhwc = true;
        if (!(s->src_buf = buf_for(smd))) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, s->src_buf));
    } else if (!dnnl_memory_desc_equal(smd, splain)) {
        C8_TRY(reorder_prim(c, splain, smd, &s->src_in, err));
        DNNL_TRY(dnnl_memory_create(&s->src_user, splain, c->eng, DNNL_MEMORY_NONE));
        if (!(s->src_buf = buf_for(smd))) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, s->src_buf));
    }
    if (nchw_vs_nhwc(dplain, dmd, s->dst_nchw)) {
        s->dst_nhwc = true;
        if (!(s->dst_buf = buf_for(dmd))) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        DNNL_TRY(dnnl_memory_set_data_handle(s->dst, s->dst_buf));
    } else if (!dnnl_memory_desc_equal(dmd, dplain)) {
        C8_TRY(reorder_prim(c, dmd, dplain, &s->dst_out, err));
        if (s->res) C8_TRY(reorder_prim(c, dplain, dmd, &s->res_in, err));
        DNNL_TRY(dnnl_memory_create(&s->dst_user, dplain, c->eng, DNNL_MEMORY_NONE));
        if (!(s->dst_buf = buf_for(dmd))) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        DNNL_TRY(dnnl_memory_set_data_handle(s->dst, s->dst_buf));
    }
    return C8_OK;
}

/* Creates the primitive of op_desc, a memory object for each argument (data handles set per run)
 * and the weights reordered from `wsrc` (plain layout wmd_plain) into the primitive's layout.
 * splain / dplain: the node's input and output as plain tensors. */
static c8_status finish(c8_dnnl_ctx *c, c8_dnnl_node *s, const void *op_desc,
                        dnnl_primitive_attr_t attr, const dnnl_memory_desc_t *wmd_plain,
                        const void *wsrc, bool has_bias, const dnnl_memory_desc_t *res_md,
                        const dnnl_memory_desc_t *splain, const dnnl_memory_desc_t *dplain,
                        c8_error *err) {
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t ds = attr ? dnnl_success : dnnl_primitive_attr_create(&attr);
    /* the node owns its scratchpad: oneDNN's library mode allocated it per execution (page
     * faults were ~10% of an FP32 forward) */
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (ds == dnnl_success) ds = dnnl_primitive_desc_create(&pd, op_desc, attr, c->eng, NULL);
    if (attr) dnnl_primitive_attr_destroy(attr);
    DNNL_TRY(ds);
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl) {
        s->gemm_impl = !strncmp(impl, "gemm", 4) || !strncmp(impl, "ref", 3);
        s->ref_impl = !strncmp(impl, "ref", 3);
        s->vnni = strstr(impl, "vnni") != NULL || strstr(impl, "amx") != NULL;
    }
    ds = dnnl_primitive_create(&s->prim, pd);
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dmd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *bmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    const dnnl_memory_desc_t *scmd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (ds == dnnl_success && scmd && dnnl_memory_desc_get_size(scmd) > 0) {
        s->scratch_buf = buf_for(scmd);
        ds = s->scratch_buf ? dnnl_memory_create(&s->scratch, scmd, c->eng, s->scratch_buf)
                            : dnnl_out_of_memory;
    }
    if (ds == dnnl_success) ds = dnnl_memory_create(&s->src, smd, c->eng, DNNL_MEMORY_NONE);
    if (ds == dnnl_success) ds = dnnl_memory_create(&s->dst, dmd, c->eng, DNNL_MEMORY_NONE);
    if (ds == dnnl_success && has_bias)
        ds = dnnl_memory_create(&s->bias, bmd, c->eng, DNNL_MEMORY_NONE);
    if (res_md) {
        s->res = true;
        s->res_bytes = dnnl_memory_desc_get_size(dmd);
    }
    size_t wbytes = dnnl_memory_desc_get_size(wmd);
    s->wei_buf = ds == dnnl_success ? aligned_alloc(64, (wbytes + 63) / 64 * 64) : NULL;
    if (ds == dnnl_success && !s->wei_buf) ds = dnnl_out_of_memory;
    if (ds == dnnl_success) ds = dnnl_memory_create(&s->wei, wmd, c->eng, s->wei_buf);
    c8_status st = C8_OK;
    if (ds == dnnl_success) st = activation_layouts(c, s, smd, dmd, splain, dplain, err);
    /* the descriptors queried above live inside pd: keep the weights' by value for the reorder
     * below (valgrind caught the read after pd was destroyed) */
    dnnl_memory_desc_t wmd_own;
    if (wmd) {
        wmd_own = *wmd;
        wmd = &wmd_own;
    }
    dnnl_primitive_desc_destroy(pd);
    DNNL_TRY(ds);
    C8_TRY(st);
    /* the weights, once: plain -> the primitive's layout */
    dnnl_memory_t from = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t rp = NULL;
    ds = dnnl_memory_create(&from, wmd_plain, c->eng, (void *)wsrc);
    if (ds == dnnl_success)
        ds = dnnl_reorder_primitive_desc_create(&rpd, wmd_plain, c->eng, wmd, c->eng, NULL);
    if (ds == dnnl_success) ds = dnnl_primitive_create(&rp, rpd);
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, s->wei}};
    if (ds == dnnl_success) ds = dnnl_primitive_execute(rp, c->stream, 2, a);
    if (ds == dnnl_success) ds = dnnl_stream_wait(c->stream);
    if (rp) dnnl_primitive_destroy(rp);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (from) dnnl_memory_destroy(from);
    DNNL_TRY(ds);
    return C8_OK;
}

/* Whether oneDNN's only implementation of op_desc on this CPU is its reference ("ref:..."). */
static bool ref_only(c8_dnnl_ctx *c, const void *op_desc) {
    dnnl_primitive_desc_t pd = NULL;
    const char *impl = NULL;
    bool ref = true;
    if (dnnl_primitive_desc_create(&pd, op_desc, NULL, c->eng, NULL) == dnnl_success &&
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        ref = !strncmp(impl, "ref", 3);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return ref;
}

/* What conv_prim makes: a float32 convolution writing the ONNX layout (CONV_F32), the same
 * writing channels-last float32 sums (CONV_F32_LAST: the INT8 float32 route, whose requantization
 * reads channels-last), or the integer routes' u8 x s8 -> s32 (CONV_U8) and s8 x s8 -> s32
 * (CONV_S8) convolutions, also channels-last. oneDNN's channels-last kernels want the input
 * channels-last too: reordered per run, except with one input channel, where the ONNX layout is the
 * same bytes. */
enum { CONV_F32, CONV_F32_LAST, CONV_U8, CONV_S8 };

/* A convolution over plain NC[D]HW tensors (descriptor d) as `mode` says, weights (K, C/g,
 * kernel...) plain at w (float32, or int8 for CONV_U8), optional bias (K). */
static c8_status conv_prim(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_conv_desc *d, const void *w,
                           bool has_bias, const c8_node *fused, const int64_t *src_strides,
                           int mode, c8_error *err) {
    const bool integer = mode == CONV_U8 || mode == CONV_S8;
    bool last_out = mode != CONV_F32;
    const dnnl_data_type_t st = mode == CONV_S8 ? dnnl_s8 : integer ? dnnl_u8 : dnnl_f32;
    const dnnl_data_type_t wt = integer ? dnnl_s8 : dnnl_f32;
    const dnnl_data_type_t dt = integer ? dnnl_s32 : dnnl_f32;
    const int nd = d->nsp + 2;
    int64_t sd[5] = {d->N, d->C}, dd[5] = {d->N, d->K}, wd[6];
    dnnl_dims_t strides, dil, pl, pr;
    for (int i = 0; i < d->nsp; i++) {
        sd[2 + i] = d->in[i];
        dd[2 + i] = d->out[i];
        strides[i] = d->stride[i];
        dil[i] = d->dilation[i] - 1; /* oneDNN counts the taps skipped */
        pl[i] = d->pad_begin[i];
        /* the end padding that gives exactly d->out outputs (oneDNN checks the extents) */
        pr[i] = (d->out[i] - 1) * d->stride[i] + (d->kernel[i] - 1) * d->dilation[i] + 1 -
                d->in[i] - d->pad_begin[i];
    }
    int wn = 0;
    if (d->group > 1) wd[wn++] = d->group;
    wd[wn++] = d->K / d->group;
    wd[wn++] = d->C / d->group;
    for (int i = 0; i < d->nsp; i++) wd[wn++] = d->kernel[i];
    dnnl_memory_desc_t smd, dmd, wplain, wany, bmd;
    C8_TRY(md_plain_t(&smd, nd, sd, st, err));
    if (src_strides) { /* a channel range of a larger input (a chunk of the reduction) */
        dnnl_dims_t sst;
        for (int i = 0; i < nd; i++) sst[i] = src_strides[i];
        DNNL_TRY(dnnl_memory_desc_init_by_strides(&smd, nd, smd.dims, st, sst));
    }
    C8_TRY(md_plain_t(&dmd, nd, dd, dt, err));
    C8_TRY(md_plain_t(&wplain, wn, wd, wt, err));
    dnnl_dims_t wdims;
    for (int i = 0; i < wn; i++) wdims[i] = wd[i];
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&wany, wn, wdims, wt, dnnl_format_tag_any));
    int64_t kdim = d->K;
    C8_TRY(md_plain(&bmd, 1, &kdim, err));
    /* activations in the layout oneDNN prefers (reordered per run; see activation_layouts); the
     * integer kernels' is channels-last, which the int32 sums keep (c8_dnnl_requant_nhwc) */
    dnnl_memory_desc_t sany, dany;
    const dnnl_format_tag_t last = nd == 4 ? dnnl_acdb : nd == 5 ? dnnl_acdeb : dnnl_acb;
    dnnl_convolution_desc_t cd;
    for (;;) {
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&sany, nd, smd.dims, st,
                                              last_out ? last : dnnl_format_tag_any));
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&dany, nd, dmd.dims, dt,
                                              last_out ? last : dnnl_format_tag_any));
        DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(
            &cd, dnnl_forward_inference, dnnl_convolution_direct, &sany, &wany,
            has_bias ? &bmd : NULL, &dany, strides, dil, pl, pr));
        /* where oneDNN has only its reference kernel for channels-last float32 (some grouped
         * or dilated shapes: ~100x slower), the float32 route keeps the layout it prefers and
         * its sums the ONNX layout (s->sums_plain) */
        if (mode != CONV_F32_LAST || !ref_only(c, &cd)) break;
        mode = CONV_F32;
        last_out = false;
        s->sums_plain = true;
    }
    if (last_out) dmd = dany;
    if (last_out && d->C == 1 && !src_strides) smd = sany; /* (N, 1, H, W): the same bytes */
    dnnl_primitive_attr_t attr = NULL;
    if (fused) C8_TRY(make_attr(fused, &attr, err));
    return finish(c, s, &cd, attr, &wplain, w, has_bias,
                  fused && fused->fusion.residual >= 0 ? &dmd : NULL, &smd, &dmd, err);
}

/* A float32 transposed convolution (ONNX ConvTranspose, descriptor d from the op table) over plain
 * tensors: oneDNN's deconvolution, whose weights are (K, C) per group where ONNX stores (C, K/g):
 * the plain weights are described with the input-major tags (iohw, giohw, ...), the same bytes.
 * Returns C8_ERR_UNSUPPORTED where oneDNN cannot express the geometry (a negative padding:
 * cropping, or output_padding past the end padding); the reference then runs the node. */
static c8_status deconv_prim(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_conv_desc *d, const float *w,
                             bool has_bias, c8_error *err) {
    const int nd = d->nsp + 2;
    dnnl_dims_t sd = {d->N, d->C}, dd = {d->N, d->K}, wd, strides, dil, pl, pr;
    for (int i = 0; i < d->nsp; i++) {
        sd[2 + i] = d->in[i];
        dd[2 + i] = d->out[i];
        strides[i] = d->stride[i];
        dil[i] = d->dilation[i] - 1;
        pl[i] = d->pad_begin[i];
        /* the end padding that gives exactly d->out outputs */
        pr[i] = (d->in[i] - 1) * d->stride[i] + (d->kernel[i] - 1) * d->dilation[i] + 1 -
                d->pad_begin[i] - d->out[i];
        if (pl[i] < 0 || pr[i] < 0) return C8_ERR_UNSUPPORTED;
    }
    int wn = 0;
    if (d->group > 1) wd[wn++] = d->group;
    wd[wn++] = d->K / d->group;
    wd[wn++] = d->C / d->group;
    for (int i = 0; i < d->nsp; i++) wd[wn++] = d->kernel[i];
    /* ONNX's (C, K/g, kernel...) bytes: input channels outermost within a group (iow is bac,
     * giow acbd) */
    static const dnnl_format_tag_t io[3] = {dnnl_bac, dnnl_iohw, dnnl_iodhw};
    static const dnnl_format_tag_t gio[3] = {dnnl_acbd, dnnl_giohw, dnnl_giodhw};
    dnnl_memory_desc_t smd, dmd, wplain, wany, bmd, sany, dany;
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&smd, nd, sd, dnnl_f32, plain_tag(nd)));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&dmd, nd, dd, dnnl_f32, plain_tag(nd)));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&wplain, wn, wd, dnnl_f32,
                                          d->group > 1 ? gio[d->nsp - 1] : io[d->nsp - 1]));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&wany, wn, wd, dnnl_f32, dnnl_format_tag_any));
    int64_t kdim = d->K;
    C8_TRY(md_plain(&bmd, 1, &kdim, err));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&sany, nd, sd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&dany, nd, dd, dnnl_f32, dnnl_format_tag_any));
    dnnl_deconvolution_desc_t dc;
    DNNL_TRY(dnnl_dilated_deconvolution_forward_desc_init(
        &dc, dnnl_forward_inference, dnnl_deconvolution_direct, &sany, &wany,
        has_bias ? &bmd : NULL, &dany, strides, dil, pl, pr));
    return finish(c, s, &dc, NULL, &wplain, w, has_bias, NULL, &smd, &dmd, err);
}

/* A float32 matrix product a (M, K) x b -> (M, N); b plain float32 at w stored (N, K) when nk,
 * else (K, N); optional bias (N). integer: u8 a, s8 b, s32 sums, no bias. */
static c8_status matmul_prim(c8_dnnl_ctx *c, c8_dnnl_node *s, int64_t M, int64_t N, int64_t K,
                             const void *w, bool nk, bool has_bias, const c8_node *fused,
                             int64_t a_row_stride, bool integer, c8_error *err) {
    dnnl_memory_desc_t amd, wmd, dmd, bmd;
    int64_t dd[2] = {M, N}, bd[2] = {1, N};
    dnnl_dims_t adims = {M, K}, astr = {a_row_stride, 1}; /* a column range of a wider A */
    DNNL_TRY(dnnl_memory_desc_init_by_strides(&amd, 2, adims, integer ? dnnl_u8 : dnnl_f32, astr));
    C8_TRY(md_plain_t(&dmd, 2, dd, integer ? dnnl_s32 : dnnl_f32, err));
    C8_TRY(md_plain(&bmd, 2, bd, err));
    dnnl_dims_t wdims = {K, N};
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&wmd, 2, wdims, integer ? dnnl_s8 : dnnl_f32,
                                          nk ? dnnl_ba : dnnl_ab));
    dnnl_matmul_desc_t md;
    DNNL_TRY(dnnl_matmul_desc_init(&md, &amd, &wmd, has_bias ? &bmd : NULL, &dmd));
    dnnl_primitive_attr_t attr = NULL;
    if (fused) C8_TRY(make_attr(fused, &attr, err));
    return finish(c, s, &md, attr, &wmd, w, has_bias,
                  fused && fused->fusion.residual >= 0 ? &dmd : NULL, &amd, &dmd, err);
}

static float *int8_to_float_copy(const int8_t *q, int64_t count) {
    float *f = malloc((size_t)(count > 0 ? count : 1) * sizeof *f);
    if (f)
        for (int64_t i = 0; i < count; i++) f[i] = (float)q[i];
    return f;
}

/* The float32 weights of reduction chunk [u0, u1) (units: input channels of R*S taps for a
 * conv, K for a Gemm) as a dense tensor of the chunk's shape; wf is the whole (K, C, R, S),
 * (N, K) or (K, N) tensor. */
static float *chunk_weights(const float *wf, bool conv, bool nk, int64_t rows, int64_t units,
                            int64_t unit, int64_t u0, int64_t u1) {
    int64_t len = (u1 - u0) * unit;
    float *out = malloc((size_t)(rows * len > 0 ? rows * len : 1) * sizeof *out);
    if (!out) return NULL;
    if (conv || nk) /* rows of len: (K, Cc, R, S) or (N, Kc) */
        for (int64_t r = 0; r < rows; r++)
            memcpy(out + r * len, wf + r * units * unit + u0 * unit, (size_t)len * sizeof *out);
    else /* (Kc, N): rows u0..u1 of (K, N) */
        memcpy(out, wf + u0 * rows, (size_t)(len * rows) * sizeof *out);
    return out;
}

/* The OpenMP thread count in force on the calling thread (1 without OpenMP). */
static int threads_in_force(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ------------------------------------------------------------ bands of output rows
 *
 * An integer-route Q8Conv run one image at a time (nb 1) whose image's int32 sums exceed
 * C8_BAND_BYTES runs in bands of output rows: each band's sums stay in the core's L2 between
 * oneDNN's convolution that writes them and the requantization that reads them (whole, the sums
 * of a 640x640 page's early layers are megabytes: written to DRAM and read back, 21% of the
 * PP-OCRv4 detector's INT8 forward on one thread was that epilogue). A band's primitive is the
 * convolution with no padding along H over the input rows the band reads; the input is
 * channels-last with the padding's zero rows made explicit above and below (band_x), so one
 * primitive serves every whole band and another the last, shorter one. The sums are the same
 * integers (zero taps add nothing, in the signed route's compensation too), so the results are the
 * same bits; only the grouping of oneDNN's calls changes. Bands apply where a call has one image
 * (nb 1: one thread, or batch 1 on more): unlike the image slices above, a band of a large image is
 * work enough for the threads of both its parallel regions. The detector at 1x3x640x640
 * (2026-12-07, this 2-vCPU EPYC): 40.5-41.2 -> 35.8-36.5 ms on one thread, 24.4-26.2 -> 22.3-23.4
 * ms on two. */
#define C8_BAND_BYTES (256 * 1024)

/* Output rows per band (a divisor of the output's height where one is near), or 0 where an
 * image's sums fit in C8_BAND_BYTES. */
static int64_t band_rows_of(const c8_conv2d_desc *q) {
    const int64_t row = q->q * q->k * (int64_t)sizeof(int32_t);
    if (q->p < 2 || q->p * row <= C8_BAND_BYTES) return 0;
    int64_t r = C8_BAND_BYTES / row > 1 ? C8_BAND_BYTES / row : 1;
    for (int64_t d = r; 2 * d >= r; d--)
        if (q->p % d == 0) return d;
    return r;
}

/* The band descriptor of `rows` output rows of d: one image, no padding along H, the input rows
 * those outputs read. */
static c8_conv_desc band_desc(const c8_conv_desc *d, int64_t rows) {
    c8_conv_desc b = *d;
    b.N = 1;
    b.out[0] = rows;
    b.in[0] = (rows - 1) * d->stride[0] + (d->kernel[0] - 1) * d->dilation[0] + 1;
    b.pad_begin[0] = b.pad_end[0] = 0;
    return b;
}

/* An integer route's convolution (CONV_U8 / CONV_S8) over d, or NULL where oneDNN has no fast
 * kernel for it (its reference; for CONV_S8 also one without VNNI: see prepare_q8). */
static c8_dnnl_node *int_conv(c8_dnnl_ctx *c, const c8_conv_desc *d, const void *w, int mode) {
    c8_dnnl_node *u = calloc(1, sizeof *u);
    c8_error e = {0};
    if (u && conv_prim(c, u, d, w, false, NULL, NULL, mode, &e) == C8_OK && !u->ref_impl &&
        (mode == CONV_U8 || u->vnni))
        return u;
    c8_dnnl_node_free(u);
    return NULL;
}

/* The integer route's primitives in bands (whole and last) over descriptor d of q, or false
 * (nothing kept) where either is missing. */
static bool int_bands(c8_dnnl_ctx *c, const c8_conv_desc *d, const c8_conv2d_desc *q, int64_t rows,
                      const void *w, int mode, c8_dnnl_node **whole, c8_dnnl_node **last) {
    const c8_conv_desc b = band_desc(d, rows), l = band_desc(d, q->p % rows);
    *whole = int_conv(c, &b, w, mode);
    *last = *whole && q->p % rows ? int_conv(c, &l, w, mode) : NULL;
    if (*whole && (q->p % rows == 0 || *last)) return true;
    c8_dnnl_node_free(*whole);
    *whole = NULL;
    return false;
}

static c8_status prepare_q8(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n,
                            c8_error *err) {
    const c8_value *w = c8_node_input(g, n, 1), *x = c8_node_input(g, n, 0);
    const int64_t wcount = c8_shape_numel(&w->shape);
    const int parts = q8_chunks(g, n);
    if (parts < 1) return c8_err(err, C8_ERR_INTERNAL, "no exact split of the reduction");
    const bool conv = n->op == C8_OP_Q8_CONV;
    c8_conv2d_desc q = {0};
    c8_int8_gemm_desc gq;
    c8_conv_desc d;
    memset(&d, 0, sizeof d);
    c8_status st;
    int64_t rows, units, unit, ustride; /* ustride: input elements between reduction units */
    bool nk = false;
    if (conv) {
        st = c8_op_q8_conv_desc(g, n, &q, err);
        if (st == C8_OK) st = c8_conv2d_desc_check(n->name, &q, err);
        d.N = q.n, d.C = q.c, d.K = q.k, d.group = q.group, d.nsp = 2;
        d.in[0] = q.h, d.in[1] = q.w, d.out[0] = q.p, d.out[1] = q.q;
        d.kernel[0] = q.r, d.kernel[1] = q.s, d.stride[0] = q.stride_h, d.stride[1] = q.stride_w;
        d.dilation[0] = q.dil_h, d.dilation[1] = q.dil_w;
        d.pad_begin[0] = q.pad_t, d.pad_begin[1] = q.pad_l;
        d.pad_end[0] = q.pad_b, d.pad_end[1] = q.pad_r;
        s->outer = q.n, s->channels = q.k, s->inner = q.p * q.q;
        rows = q.k, units = q.c / q.group, unit = q.r * q.s, ustride = q.h * q.w;
    } else {
        st = c8_op_q8_gemm_desc(g, n, &gq, err);
        if (st == C8_OK) st = c8_int8_gemm_desc_check(n->name, &gq, err);
        s->outer = gq.m, s->channels = gq.n, s->inner = 1;
        nk = gq.b_layout == C8_INT8_B_NK;
        rows = gq.n, units = gq.k, unit = 1, ustride = 1;
        if (st == C8_OK && gq.m <= C8_CPU_GEMV_MAX_M) { /* few rows: gemv_fast.h's exact sums */
            const int8_t *wq = w->data;
            s->igemv_w = malloc((size_t)(gq.n * gq.k > 0 ? gq.n * gq.k : 1));
            s->u8_acc = malloc((size_t)(gq.m * gq.n > 0 ? gq.m * gq.n : 1) * sizeof(int32_t));
            if (!s->igemv_w || !s->u8_acc) return c8_err(err, C8_ERR_NOMEM, "out of memory");
            for (int64_t j = 0; j < gq.n; j++) /* (N, K) rows */
                for (int64_t k = 0; k < gq.k; k++)
                    s->igemv_w[j * gq.k + k] = nk ? wq[j * gq.k + k] : wq[k * gq.n + j];
            s->igemv_k = gq.k;
            return C8_OK;
        }
    }
    /* the weights as float32 (the float32 route's primitives and chunks) */
    float *wf = st == C8_OK ? int8_to_float_copy(w->data, wcount) : NULL;
    if (st == C8_OK && !wf) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    const int64_t ycount = s->outer * s->channels * s->inner;
    /* On one thread, a convolution without chunks runs on slices of nb images whose sums (int32
     * or float32) fit in the core's L2 (256 KiB) where the whole batch's do not: the
     * requantization then reads them from cache, not DRAM (fmnist_resnet INT8 batch 64: 10.5
     * against 11.3-12.8 ms). On more threads it does not: each slice is another pair of
     * parallel regions to wake the threads for, and fmnist_cnn INT8 batch 64 on 2 threads took
     * 10.3-11.6 ms in slices against 7.9 ms whole. nb divides N, so every slice is one
     * primitive; prepare runs under the context's thread count (c8_dnnl_prepare). */
    s->nb = conv ? q.n : gq.m; /* a product: one call */
    if (conv && parts == 1 && threads_in_force() == 1) {
        const int64_t per_image = q.k * q.p * q.q * (int64_t)sizeof(int32_t);
        for (int64_t nb = q.n; nb >= 1; nb--)
            if (q.n % nb == 0 && (nb == 1 || nb * per_image <= 256 * 1024)) {
                s->nb = nb;
                break;
            }
    }
    c8_conv_desc ds = d;
    ds.N = s->nb;
    if (st == C8_OK && parts == 1) {
        st = conv ? conv_prim(c, s, &ds, wf, false, NULL, NULL, CONV_F32_LAST, err)
                  : matmul_prim(c, s, gq.m, gq.n, gq.k, wf, nk, false, NULL, gq.k, false, err);
    } else if (st == C8_OK) {
        s->parts = calloc((size_t)parts, sizeof *s->parts);
        s->part_y = calloc((size_t)parts, sizeof *s->part_y);
        s->part_off = calloc((size_t)parts, sizeof *s->part_off);
        s->acc = malloc((size_t)(ycount > 0 ? ycount : 1) * sizeof *s->acc);
        if (!s->parts || !s->part_y || !s->part_off || !s->acc)
            st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        else
            s->n_parts = parts;
        for (int p = 0; st == C8_OK && p < parts; p++) {
            int64_t u0 = units * p / parts, u1 = units * (p + 1) / parts;
            float *wp = chunk_weights(wf, conv, nk, rows, units, unit, u0, u1);
            s->parts[p] = calloc(1, sizeof *s->parts[p]);
            s->part_y[p] = malloc((size_t)(ycount > 0 ? ycount : 1) * sizeof(float));
            if (!wp || !s->parts[p] || !s->part_y[p]) {
                free(wp);
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                break;
            }
            s->part_off[p] = u0 * ustride;
            if (conv) {
                c8_conv_desc dp = d;
                dp.C = u1 - u0;
                int64_t strides[4] = {q.c * q.h * q.w, q.h * q.w, q.w, 1};
                st = conv_prim(c, s->parts[p], &dp, wp, false, NULL, strides, CONV_F32, err);
            } else {
                st = matmul_prim(c, s->parts[p], gq.m, gq.n, u1 - u0, wp, nk, false, NULL, gq.k,
                                 false, err);
            }
            free(wp);
        }
    }
    free(wf);
    C8_TRY(st);
    /* The integer route: oneDNN's u8 x s8 -> s32 kernels (jit_uni_int8 on AVX2) multiply with
     * vpmaddubsw, which adds two u8 x s8 products into a saturating int16; with inputs in
     * [0, 127] and weights in [-128, 127] a pair is at most 2 * 127 * 128 = 32512 in magnitude,
     * so nothing saturates and the int32 sums are exact (on VNNI CPUs too). Inputs that follow a
     * ReLU (most of a CNN's) qualify; the run checks and takes the float32 route otherwise. The
     * sums are thread-count independent (integers), so the route is free to thread. */
    const int64_t band = conv && s->nb == 1 && parts == 1 && !c->no_bands ? band_rows_of(&q) : 0;
    if (band && int_bands(c, &ds, &q, band, w->data, CONV_U8, &s->u8, &s->u8_last))
        s->band_rows = band;
    if (!s->band_rows && conv) {
        s->u8 = int_conv(c, &ds, w->data, CONV_U8);
    } else if (!conv) {
        c8_dnnl_node *u = calloc(1, sizeof *u);
        c8_error uerr = {0};
        if (u &&
            matmul_prim(c, u, gq.m, gq.n, gq.k, w->data, nk, false, NULL, gq.k, true, &uerr) ==
                C8_OK &&
            !u->ref_impl)
            s->u8 = u;
        else
            c8_dnnl_node_free(u); /* no fast integer kernel here: the float32 route alone */
    }
    if (s->u8) {
        const int64_t acount = s->band_rows ? s->band_rows * q.q * q.k : ycount / s->outer * s->nb;
        s->u8_acc = malloc((size_t)(acount > 0 ? acount : 1) * sizeof *s->u8_acc);
        if (!s->u8_acc) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    /* the signed integer route, where it is exact (else the float32 route for inputs with
     * negative values) */
    if (conv && s->u8 && !c->no_s8) {
        if (s->band_rows)
            int_bands(c, &ds, &q, s->band_rows, w->data, CONV_S8, &s->s8, &s->s8_last);
        else
            s->s8 = int_conv(c, &ds, w->data, CONV_S8);
    }
    if (s->band_rows) { /* the channels-last input with its padding rows, where it has some */
        const int64_t keff = (q.r - 1) * q.dil_h + 1, end = (q.p - 1) * q.stride_h + keff;
        s->band_w = q.w, s->band_q = q.q, s->band_sh = q.stride_h, s->band_pad_t = q.pad_t;
        if (q.pad_t > 0 || end - q.pad_t > q.h) {
            const int64_t hx = end > q.pad_t + q.h ? end : q.pad_t + q.h;
            if (!(s->band_x = calloc((size_t)(hx * q.w * q.c), 1)))
                return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
    }
    s->x_count = c8_shape_numel(&x->shape);
    s->src_ch = conv ? q.c : 0;
    /* (the chunked float32 route writes NCHW only; see "channels-last int8") */
    s->q8_cl = conv && s->u8 && s->n_parts == 0 && c8_op_q8_epilogue(n).out == C8_QOUT_INT8;
    s->xf = malloc((size_t)(s->x_count > 0 ? s->x_count : 1) * sizeof(float));
    s->yf = malloc((size_t)(ycount > 0 ? ycount : 1) * sizeof(float));
    if (!s->xf || !s->yf) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

static c8_status prepare_node(c8_dnnl_ctx *c, const c8_graph *g, const c8_node *n,
                              c8_dnnl_node **out, c8_error *err);

/* Whether OpenMP's idle threads sleep at once (OMP_WAIT_POLICY=passive, which the calib8 CLI
 * sets for its batch commands: tools/main.c) rather than spin a while first (libgomp's default,
 * `bench`'s, and that of a program linking the library): the environment OpenMP itself read. */
static bool threads_sleep(void) {
    const char *p = getenv("OMP_WAIT_POLICY");
    return p && (p[0] == 'p' || p[0] == 'P');
}

/* Whether FP32 Gemm n has few enough rows for calib8's own product (gemv_fast.h: its sums do
 * not depend on the thread count, so it need not run on one thread). */
static bool gemv_rows(const c8_graph *g, const c8_node *n) {
    const c8_value *y = c8_node_output(g, n, 0);
    return n->op == C8_OP_GEMM && y && y->shape.rank == 2 && y->shape.d[0] <= C8_CPU_GEMV_MAX_M;
}

/* Whether node n is too small to gain from threads. With sleeping threads, waking them for each
 * node (tens of microseconds on the 2-vCPU VM) made a batch-1 forward of fmnist_cnn 25% slower
 * on 2 threads than on 1: below 16M multiply-adds (a convolution or product) or 256K elements
 * (the others) the node runs on one thread. Spinning threads are there at once: only nodes below
 * 64K multiply-adds or 4K elements stay on one (2 threads, batch 1: fmnist_cnn 0.28 -> 0.19 ms,
 * fmnist_resnet 0.20 -> 0.14 ms). Results do not change: the integer routes are exact, and the
 * FP32 primitives' sums do not depend on the thread count except the sgemm-based ones, which
 * run on one thread anyway. */
static bool small_node(const c8_graph *g, const c8_node *n) {
    const c8_value *y = c8_node_output(g, n, 0), *w = c8_node_input(g, n, 1);
    const double outs = (double)c8_shape_numel(&y->shape);
    const bool sleep = threads_sleep();
    const double lim_macs = sleep ? 16.0 * 1024 * 1024 : 64.0 * 1024;
    const double lim_elems = sleep ? 256.0 * 1024 : 4.0 * 1024;
    const bool product = n->op == C8_OP_CONV || n->op == C8_OP_FUSED_CONV ||
                         n->op == C8_OP_CONV_TRANSPOSE || n->op == C8_OP_Q8_CONV ||
                         n->op == C8_OP_GEMM || n->op == C8_OP_Q8_GEMM;
    if (!product || !w || y->shape.rank < 2) return outs < lim_elems;
    /* multiply-adds per output: the weights over the output channels (conv: y axis 1; product:
     * y's last axis) */
    const int64_t ch = n->op == C8_OP_GEMM || n->op == C8_OP_Q8_GEMM ? y->shape.d[y->shape.rank - 1]
                                                                     : y->shape.d[1];
    const double per = ch > 0 ? (double)c8_shape_numel(&w->shape) / (double)ch : 0.0;
    return outs * per < lim_macs;
}

c8_status c8_dnnl_prepare(c8_dnnl_ctx *c, const c8_graph *g, const c8_node *n, const c8_layer *l,
                          c8_dnnl_node **out, c8_error *err) {
    *out = NULL;
    if (!c8_dnnl_kernel(g, n, l, NULL)) return C8_OK;
    const c8_value *y = c8_node_output(g, n, 0);
    if (!y || c8_shape_numel(&y->shape) <= 0) return C8_OK; /* nothing to compute: reference */
    /* FP32 Gemm and MatMul on one thread (oneDNN's sgemm: see c8_dnnl_node.serial), except a
     * Gemm of few rows (gemv_rows); an FP32 convolution again on one thread when oneDNN chose an
     * sgemm-based implementation for it; and any node too small to gain from threads
     * (small_node) */
    const bool product = n->op == C8_OP_GEMM || n->op == C8_OP_MATMUL;
    bool serial = (product && !gemv_rows(g, n)) || small_node(g, n);
    c8_dnnl_thread_scope t = c8_dnnl_threads_enter(serial ? 1 : 0);
    c8_dnnl_node *s = NULL;
    c8_status st = prepare_node(c, g, n, &s, err);
    c8_dnnl_threads_leave(t);
    if (st == C8_OK && !s) return C8_OK; /* a geometry oneDNN cannot express: the reference */
    if (st == C8_OK && s->kind == K_CONV && s->gemm_impl && !serial) {
        c8_dnnl_node_free(s);
        s = NULL;
        serial = true;
        t = c8_dnnl_threads_enter(1);
        st = prepare_node(c, g, n, &s, err);
        c8_dnnl_threads_leave(t);
    }
    if (st == C8_OK && fp16_layer(l)) {
        s->fp16 = true;
        s->x16_count = (size_t)c8_shape_numel(&c8_node_input(g, n, 0)->shape);
        s->r16_count = s->res ? (size_t)c8_shape_numel(&y->shape) : 0;
        s->x16 = malloc((s->x16_count ? s->x16_count : 1) * sizeof(float));
        s->r16 = s->res ? malloc((s->r16_count ? s->r16_count : 1) * sizeof(float)) : NULL;
        if (!s->x16 || (s->res && !s->r16)) st = c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    if (st != C8_OK) {
        c8_dnnl_node_free(s);
        return st;
    }
    s->serial = serial;
    *out = s;
    return C8_OK;
}

/* The node's primitives under the thread count in force (c8_dnnl_prepare). */
static c8_status prepare_node(c8_dnnl_ctx *c, const c8_graph *g, const c8_node *n,
                              c8_dnnl_node **out, c8_error *err) {
    c8_dnnl_node *s = calloc(1, sizeof *s);
    if (!s) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    s->plain_readers = -1;
    s->cl_readers = -1;
    c8_status st = C8_OK;
    switch (n->op) {
    case C8_OP_CONV:
    case C8_OP_FUSED_CONV: {
        s->kind = K_CONV;
        c8_conv_desc d;
        st = c8_op_conv_desc(g, n, &d, err);
        const c8_value *b = c8_node_input(g, n, 2);
        if (st == C8_OK)
            st = conv_prim(c, s, &d, c8_node_input(g, n, 1)->data, b != NULL, n, NULL, CONV_F32,
                           err);
        break;
    }
    case C8_OP_CONV_TRANSPOSE: { /* runs as K_CONV: no residual or activation is fused */
        s->kind = K_CONV;
        c8_conv_desc d;
        st = c8_op_conv_transpose_desc(g, n, &d, err);
        if (st == C8_OK && n->fusion.residual < 0 && c8_cpu_deconv_ks_fits(&d)) {
            s->kind = K_DECONV; /* calib8's own: the reference's sums (deconv_fast.h) */
            s->convt = d;
            break;
        }
        const c8_value *b = c8_node_input(g, n, 2);
        if (st == C8_OK) st = deconv_prim(c, s, &d, c8_node_input(g, n, 1)->data, b != NULL, err);
        if (st == C8_ERR_UNSUPPORTED) { /* the reference runs it (see deconv_prim) */
            c8_dnnl_node_free(s);
            *out = NULL;
            return C8_OK;
        }
        break;
    }
    case C8_OP_GEMM: {
        s->kind = K_GEMM;
        c8_gemm_desc d;
        st = c8_op_gemm_desc(g, n, &d, err);
        if (st == C8_OK && d.M <= C8_CPU_GEMV_MAX_M) { /* few rows: gemv_fast.h */
            const float *w = c8_node_input(g, n, 1)->data;
            s->gemv = true, s->gemv_m = d.M, s->gemv_n = d.N, s->gemv_k = d.K;
            s->gemv_w = w;
            s->res = n->fusion.residual >= 0; /* (added by c8_cpu_gemv_nk) */
            if (!d.trans_b) {                 /* (K, N) -> (N, K) */
                s->gemv_own = malloc((size_t)(d.N * d.K > 0 ? d.N * d.K : 1) * sizeof(float));
                if (!s->gemv_own) {
                    st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                    break;
                }
                for (int64_t k = 0; k < d.K; k++)
                    for (int64_t j = 0; j < d.N; j++) s->gemv_own[j * d.K + k] = w[k * d.N + j];
                s->gemv_w = s->gemv_own;
            }
            break;
        }
        if (st == C8_OK)
            st = matmul_prim(c, s, d.M, d.N, d.K, c8_node_input(g, n, 1)->data, d.trans_b,
                             c8_node_input(g, n, 2) != NULL, n, d.K, false, err);
        break;
    }
    case C8_OP_MATMUL: { /* A's leading axes as rows: (M', K) x (K, N) */
        s->kind = K_GEMM;
        const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
        const int64_t K = b->shape.d[0], N = b->shape.d[1];
        const int64_t M = K > 0 ? c8_shape_numel(&a->shape) / K : 0;
        st = matmul_prim(c, s, M, N, K, b->data, false, false, n, K, false, err);
        break;
    }
    case C8_OP_MAXPOOL:
        s->kind = K_MAXPOOL;
        st = c8_op_pool_desc(g, n, &s->pool, err);
        break;
    case C8_OP_Q8_QUANTIZE: s->kind = K_QUANT; break;
    case C8_OP_Q8_ADD: s->kind = K_Q8ADD; break;
    case C8_OP_RELU: s->kind = K_RELU; break;
    case C8_OP_Q8_MAXPOOL:
        s->kind = K_Q8MAXPOOL;
        st = c8_op_q8_pool_desc(g, n, &s->qpool, err);
        if (st == C8_OK) st = c8_pool2d_desc_check(n->name, &s->qpool, 1, err);
        break;
    case C8_OP_BATCHNORM: s->kind = K_BN; break;
    case C8_OP_ADD:
    case C8_OP_SUB:
    case C8_OP_MUL:
    case C8_OP_DIV: s->kind = K_BINARY; break;
    case C8_OP_CLIP: s->kind = K_CLIP; break;
    case C8_OP_SIGMOID: s->kind = K_SIGMOID; break;
    case C8_OP_Q8_REQUANTIZE: s->kind = K_REQUANT; break;
    case C8_OP_Q8_DEQUANTIZE: s->kind = K_DEQUANT; break;
    case C8_OP_Q8_CONCAT: s->kind = K_Q8CONCAT; break;
    case C8_OP_RESIZE:
        s->kind = K_RESIZE;
        st = c8_op_resize_desc(g, n, &s->resize, err);
        break;
    case C8_OP_Q8_GLOBAL_AVGPOOL: s->kind = K_Q8GAP; break;
    case C8_OP_Q8_MUL: s->kind = K_Q8MUL; break;
    case C8_OP_Q8_CONV:
    case C8_OP_Q8_GEMM:
        s->kind = n->op == C8_OP_Q8_CONV ? K_Q8CONV : K_Q8GEMM;
        st = prepare_q8(c, s, g, n, err);
        break;
    default: break;
    }
    if (st != C8_OK) {
        c8_dnnl_node_free(s);
        return c8_err_prefix(err, "%s: node '%s' (%s) on oneDNN", g->path, n->name,
                             c8_op_name(n->op));
    }
    *out = s;
    return C8_OK;
}

/* ---------------------------------------------------------------- runs */

/* The channels-last sharing's inputs and outputs of one run of a convolution (see "channels-last
 * between convolutions"); all NULL / false / true for every other node. */
typedef struct cl_io {
    const float *x_acdb, *res_acdb; /* input / residual already channels-last, or NULL */
    const c8_fusion *act;           /* with dst_nhwc: the activation, applied channels-last */
    bool write_plain;               /* with dst_nhwc: write the NCHW output */
    const int8_t *x_cl8;            /* src_nhwc8: the int8 input already channels-last, or NULL */
} cl_io;

static c8_status exec(c8_dnnl_ctx *c, c8_dnnl_node *s, const void *x, void *y, const void *bias,
                      const void *res, const cl_io *io, c8_error *err) {
    dnnl_exec_arg_t a[6];
    int na = 0;
    if (s->src_in) { /* plain input -> the primitive's layout */
        DNNL_TRY(dnnl_memory_set_data_handle(s->src_user, (void *)x));
        dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->src_user}, {DNNL_ARG_TO, s->src}};
        DNNL_TRY(dnnl_primitive_execute(s->src_in, c->stream, 2, r));
    } else if (s->src_nhwc8 && io->x_cl8) { /* the producer's channels-last bytes as they are */
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, (void *)io->x_cl8));
    } else if (s->src_nhwc8) { /* bytes (N, C, HW) -> (N, HW, C) */
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, s->src_buf));
        c8_cpu_transpose_8(s->src_nchw[0], s->src_nchw[1], s->src_nchw[2], x, s->src_buf);
    } else if (s->src_nhwc && io->x_acdb) { /* the producer's channels-last output as it is */
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, (void *)io->x_acdb));
    } else if (s->src_nhwc) { /* (N, C, HW) -> (N, HW, C) */
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, s->src_buf));
        c8_cpu_transpose_f32(s->src_nchw[0], s->src_nchw[1], s->src_nchw[2], x, s->src_buf);
    } else {
        DNNL_TRY(dnnl_memory_set_data_handle(s->src, (void *)x));
    }
    if (s->dst_nhwc && s->res && io->res_acdb) { /* the residual, channels-last, as it is */
        memcpy(s->dst_buf, io->res_acdb, s->res_bytes);
    } else if (s->dst_nhwc && s->res) { /* the residual, channels-last, is the sum's addend */
        c8_cpu_transpose_f32(s->dst_nchw[0], s->dst_nchw[1], s->dst_nchw[2], res, s->dst_buf);
    } else if (s->dst_out && s->res) {
        /* the residual, in the primitive's layout, is the sum's addend */
        DNNL_TRY(dnnl_memory_set_data_handle(s->dst_user, (void *)res));
        dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->dst_user}, {DNNL_ARG_TO, s->dst}};
        DNNL_TRY(dnnl_primitive_execute(s->res_in, c->stream, 2, r));
    } else if (!s->dst_out && !s->dst_nhwc) {
        DNNL_TRY(dnnl_memory_set_data_handle(s->dst, y));
        if (s->res && y != res) memmove(y, res, s->res_bytes); /* the sum post-op's addend */
    }
    a[na++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, s->src};
    a[na++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, s->wei};
    a[na++] = (dnnl_exec_arg_t){DNNL_ARG_DST, s->dst};
    if (s->bias) {
        DNNL_TRY(dnnl_memory_set_data_handle(s->bias, (void *)bias));
        a[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, s->bias};
    }
    if (s->scratch) a[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, s->scratch};
    DNNL_TRY(dnnl_primitive_execute(s->prim, c->stream, na, a));
    if (s->dst_out) { /* the primitive's layout -> the plain output */
        DNNL_TRY(dnnl_memory_set_data_handle(s->dst_user, y));
        dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->dst}, {DNNL_ARG_TO, s->dst_user}};
        DNNL_TRY(dnnl_primitive_execute(s->dst_out, c->stream, 2, r));
    }
    DNNL_TRY(dnnl_stream_wait(c->stream));
    if (s->dst_nhwc) {
        /* the activation element by element where the sums are, then (N, HW, K) -> (N, K, HW) */
        if (io->act && io->act->act != C8_ACT_NONE)
            c8_dnnl_act_f32((int)io->act->act, io->act->act_a, io->act->act_b, s->dst_buf,
                            s->dst_nchw[0] * s->dst_nchw[1] * s->dst_nchw[2]);
        if (io->write_plain)
            c8_cpu_transpose_f32(s->dst_nchw[0], s->dst_nchw[2], s->dst_nchw[1], s->dst_buf, y);
    }
    return C8_OK;
}

/* Whether MaxPool node s takes a channels-last input (FP32, two spatial axes). */
static bool pool_cl(const c8_dnnl_node *s) {
    return s->kind == K_MAXPOOL && !s->fp16 && s->pool.nsp == 2;
}

/* the integer routes' sums: plain in, plain out, no activation (calib8's requantization) */
static const cl_io k_plain_io = {NULL, NULL, NULL, true, NULL};

static bool eltwise_cl(c8_dnnl_ctx *c, const c8_graph *g, const c8_node *n, const c8_dnnl_node *s);

/* Whether int8 value v has a reader that gains from a channels-last copy: a Q8Conv on oneDNN in
 * this segment with the integer route (its input is transposed to channels-last, its residual
 * read channels-last when its own output is). */
static bool q8_cl_reader(const c8_dnnl_ctx *c, const c8_graph *g, int v) {
    const c8_segment *seg = c->seg;
    for (int i = seg->first; i < seg->first + seg->count; i++) {
        if (seg->skip && seg->skip[i]) continue;
        const c8_dnnl_node *rs = seg->node_state[i];
        const c8_node *r = &g->nodes[i];
        if (!rs || rs->kind != K_Q8CONV || !rs->u8) continue;
        if (r->in[0] == v || (r->n_in > 4 && r->in[4] == v)) return true;
    }
    return false;
}

/* Whether value v will have a channels-last record when its readers run in this forward: made
 * by a convolution that runs channels-last, or by a MaxPool or element-wise node that runs
 * channels-last because its inputs have records (the same conditions their runs test). */
static bool will_acdb(c8_dnnl_ctx *c, const c8_graph *g, int v) {
    const c8_segment *seg = c->seg;
    if (!seg || seg->g != g || !seg->node_state || v < 0 || v >= c->n_acdb) return false;
    if (c->will[v] >= 0) return c->will[v] != 0;
    c->will[v] = 0; /* (a graph has no cycles; this only stops a malformed one) */
    const int p = g->vals[v].producer;
    bool r = false;
    if (p >= seg->first && p < seg->first + seg->count && !(seg->skip && seg->skip[p])) {
        const c8_dnnl_node *ps = seg->node_state[p];
        const c8_node *pn = &g->nodes[p];
        if (ps && pn->n_out >= 1 && pn->out[0] == v) {
            if (ps->kind == K_CONV && !ps->fp16 && ps->dst_nhwc)
                r = true;
            else if (pool_cl(ps))
                r = will_acdb(c, g, pn->in[0]);
            else if (ps->kind == K_BINARY || ps->kind == K_CLIP)
                r = eltwise_cl(c, g, pn, ps);
            else if (ps->kind == K_Q8CONV && ps->q8_cl) {
                c8_dnnl_node *pw = seg->node_state[p]; /* (its cache of the scan) */
                if (pw->cl_readers < 0) pw->cl_readers = q8_cl_reader(c, g, v) ? 1 : 0;
                r = pw->cl_readers != 0;
            }
        }
    }
    c->will[v] = r ? 1 : 0;
    return r;
}

/* Whether element-wise node n (K_BINARY / K_CLIP) runs channels-last in this forward: a 4-D
 * output, every operand of the output's shape with a channels-last record coming (a single-value
 * operand is read as it is). Element by element, the layout does not change any value. */
static bool eltwise_cl(c8_dnnl_ctx *c, const c8_graph *g, const c8_node *n, const c8_dnnl_node *s) {
    if (!c->seg || n->n_out < 1 || n->out[0] < 0) return false;
    const c8_shape *sy = &g->vals[n->out[0]].shape;
    if (sy->rank != 4) return false;
    if (s->kind == K_CLIP) return will_acdb(c, g, n->in[0]);
    if (s->kind != K_BINARY || n->n_in != 2) return false;
    bool ok = true;
    for (int k = 0; k < 2 && ok; k++) {
        const c8_shape *sk = &g->vals[n->in[k]].shape;
        if (c8_shape_equal(sk, sy))
            ok = will_acdb(c, g, n->in[k]);
        else
            ok = c8_shape_numel(sk) == 1;
    }
    return ok;
}

/* Whether node n's NCHW output may be read by anything but readers that take the channels-last
 * copy: an observer, a graph output, a reader outside this segment, skipped, not on oneDNN, FP16,
 * or reading it otherwise than as a convolution's channels-last input or residual, a MaxPool's
 * channels-last input, or an operand of an element-wise node that runs channels-last. */
static bool plain_needed(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n) {
    const c8_segment *seg = c->seg;
    if (!seg || seg->observed || seg->g != g) return true;
    const int v = n->out[0];
    if (v < 0 || g->vals[v].is_output) return true;
    if (s->plain_readers >= 0) return s->plain_readers != 0;
    bool need = false;
    for (int i = 0; i < g->n_nodes && !need; i++) {
        const c8_node *r = &g->nodes[i];
        bool reads = r->fusion.residual == v;
        for (int k = 0; k < r->n_in; k++) reads = reads || r->in[k] == v;
        if (!reads) continue;
        const c8_dnnl_node *rs = seg->node_state ? seg->node_state[i] : NULL;
        if (i < seg->first || i >= seg->first + seg->count || (seg->skip && seg->skip[i]) || !rs ||
            rs->fp16) {
            need = true;
            break;
        }
        if (rs->kind == K_BINARY || rs->kind == K_CLIP) {
            /* every operand channels-last, bounds and single values as they are (so v must
             * be an operand of the output's shape) */
            need = !eltwise_cl(c, g, r, rs) || (rs->kind == K_CLIP && r->in[0] != v) ||
                   !c8_shape_equal(&g->vals[v].shape, &g->vals[r->out[0]].shape);
            continue;
        }
        if (rs->kind == K_Q8CONV && g->vals[v].dtype == C8_DT_INT8)
            continue; /* takes a record in either route (run_node) */
        if (rs->kind != K_CONV && rs->kind != K_MAXPOOL) {
            need = true;
            break;
        }
        const bool cl_in = rs->kind == K_CONV ? rs->src_nhwc && !rs->src_in : pool_cl(rs);
        for (int k = 0; k < r->n_in; k++)
            if (r->in[k] == v && !(k == 0 && cl_in)) need = true;
        if (r->fusion.residual == v && !(rs->kind == K_CONV && rs->res && rs->dst_nhwc))
            need = true;
    }
    s->plain_readers = need ? 1 : 0;
    return need;
}

/* Where element-wise node n writes its channels-last result: into its own output's memory when
 * nothing reads that as NCHW, else into the node's buffer (then transposed into the output). */
static float *eltwise_cl_dst(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n,
                             c8_host_tensor *out, bool *plain) {
    *plain = plain_needed(c, s, g, n);
    if (!*plain) return out->data;
    const size_t ny = (size_t)c8_shape_numel(&out->shape);
    if (s->pool_acdb_n < ny) {
        free(s->pool_acdb);
        s->pool_acdb = aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64);
        s->pool_acdb_n = s->pool_acdb ? ny : 0;
    }
    return s->pool_acdb;
}

/* After an element-wise node ran channels-last into dst: the record, and the NCHW output where
 * something reads it. */
static void eltwise_cl_done(c8_dnnl_ctx *c, const c8_node *n, c8_host_tensor *out, float *dst,
                            bool plain) {
    acdb_record(c, n->out[0], dst);
    const c8_shape *sy = &out->shape;
    if (plain) c8_cpu_transpose_f32(sy->d[0], sy->d[2] * sy->d[3], sy->d[1], dst, out->data);
}

static c8_status run_node(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n,
                          const c8_host_tensor *in, c8_host_tensor *out,
                          const c8_host_tensor *residual, c8_error *err);

/* *buf, n bytes for node nd of g, allocated on first use (a node's sizes are fixed) */
static c8_status scratch8(int8_t **buf, int64_t n, const c8_graph *g, const c8_node *nd,
                          c8_error *err) {
    if (!*buf && !(*buf = malloc((size_t)(n > 0 ? n : 1))))
        return c8_err(err, C8_ERR_NOMEM,
                      "%s: node '%s': out of memory (%lld bytes of channels-last int8)", g->path,
                      nd->name, (long long)n);
    return C8_OK;
}

/* One image of a Q8Conv in bands of output rows (see "bands"): its input x (NCHW) or x_cl (the
 * producer's channels-last record, or NULL), the epilogue ep (its residual in y's layout), y
 * the image's output: channels-last rows (rows_out) or the ONNX layout. */
static c8_status run_bands(c8_dnnl_ctx *c, c8_dnnl_node *s, bool neg, const int8_t *x,
                           const int8_t *x_cl, const c8_int8_epilogue *ep, void *y, bool rows_out,
                           const c8_graph *g, const c8_node *n, c8_error *err) {
    const int64_t C = s->src_ch, HW = s->x_count / s->outer / C, W = s->band_w, Q = s->band_q;
    const int64_t K = s->channels, P = s->inner / Q, R = s->band_rows;
    const int8_t *xp = x_cl; /* the channels-last input, padding rows included where band_x */
    if (s->band_x) {
        int8_t *mid = s->band_x + s->band_pad_t * W * C;
        if (x_cl)
            memcpy(mid, x_cl, (size_t)(HW * C));
        else
            c8_cpu_transpose_8(1, C, HW, (const uint8_t *)x, (uint8_t *)mid);
        xp = s->band_x;
    } else if (!x_cl) {
        C8_TRY(scratch8(&s->tmp_x, HW * C, g, n, err));
        c8_cpu_transpose_8(1, C, HW, (const uint8_t *)x, (uint8_t *)s->tmp_x);
        xp = s->tmp_x;
    }
    c8_int8_epilogue eb = *ep;
    for (int64_t r0 = 0; r0 < P; r0 += R) {
        const int64_t rows = P - r0 < R ? P - r0 : R;
        c8_dnnl_node *p = rows == R ? (neg ? s->s8 : s->u8) : (neg ? s->s8_last : s->u8_last);
        const int8_t *xb = xp + r0 * s->band_sh * W * C; /* (one input channel: the same bytes) */
        cl_io io = k_plain_io;
        io.x_cl8 = xb;
        C8_TRY(exec(c, p, xb, s->u8_acc, NULL, NULL, &io, err));
        if (rows_out) { /* rows of channels, the residual likewise */
            eb.residual = ep->residual ? ep->residual + r0 * Q * K : NULL;
            c8_dnnl_requant_nhwc(rows * Q, K, 1, NULL, s->u8_acc, &eb, (int8_t *)y + r0 * Q * K);
        } else {
            c8_dnnl_requant_nhwc_band(K, P * Q, r0 * Q, (r0 + rows) * Q, s->u8_acc, ep, y);
        }
    }
    return C8_OK;
}

/* The node on its prepare's thread count: one where it was made serial, else the context's (the
 * segment's scope); the calib8 loops inside (requantization, pooling) follow the same count. */
c8_status c8_dnnl_run(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n,
                      const c8_host_tensor *in, c8_host_tensor *out, const c8_host_tensor *residual,
                      c8_error *err) {
    c8_dnnl_thread_scope t = c8_dnnl_threads_enter(s->serial ? 1 : 0);
    c8_status st = run_node(c, s, g, n, in, out, residual, err);
    c8_dnnl_threads_leave(t);
    return st;
}

static c8_status run_node(c8_dnnl_ctx *c, c8_dnnl_node *s, const c8_graph *g, const c8_node *n,
                          const c8_host_tensor *in, c8_host_tensor *out,
                          const c8_host_tensor *residual, c8_error *err) {
    if (s->kind == K_Q8MAXPOOL) {
        if (!c8_cpu_int8_maxpool2d(&s->qpool, in[0].data, out[0].data))
            return c8_err(err, C8_ERR_NOMEM,
                          "%s: node '%s' (Q8MaxPool): out of memory for a row of %lld", g->path,
                          n->name, (long long)s->qpool.w);
        return C8_OK;
    }
    if (s->kind == K_RELU) {
        c8_dnnl_relu(in[0].data, out[0].data, c8_shape_numel(&in[0].shape));
        return C8_OK;
    }
    if (s->kind == K_DECONV) {
        c8_cpu_deconv_ks(&s->convt, in[0].data, in[1].data, n->n_in > 2 ? in[2].data : NULL,
                         out[0].data);
        const c8_fusion *f = &n->fusion;
        if (f->act != C8_ACT_NONE)
            c8_dnnl_act_f32((int)f->act, f->act_a, f->act_b, out[0].data,
                            c8_shape_numel(&out[0].shape));
        return C8_OK;
    }
    if ((s->kind == K_BINARY || s->kind == K_CLIP) && eltwise_cl(c, g, n, s)) {
        /* channels-last operands (single values as they are), channels-last result */
        const c8_shape *sy = &out[0].shape;
        const float *ops[2] = {NULL, NULL};
        for (int k = 0; k < (s->kind == K_BINARY ? 2 : 1); k++) {
            ops[k] = c8_shape_equal(&in[k].shape, sy) ? acdb_of(c, n->in[k]) : in[k].data;
            if (!ops[k])
                return c8_err(err, C8_ERR_INTERNAL,
                              "%s: node '%s': channels-last operand %d has no record", g->path,
                              n->name, k);
        }
        bool plain;
        float *dst = eltwise_cl_dst(c, s, g, n, &out[0], &plain);
        if (!dst)
            return c8_err(err, C8_ERR_NOMEM, "%s: node '%s': out of memory", g->path, n->name);
        if (s->kind == K_CLIP) {
            const float *lo = n->n_in > 1 && n->in[1] >= 0 ? in[1].data : NULL;
            const float *hi = n->n_in > 2 && n->in[2] >= 0 ? in[2].data : NULL;
            c8_cpu_clip_f32(ops[0], dst, c8_shape_numel(sy), lo, hi);
        } else if (!c8_cpu_binary_f32(c8_op_binary_kind(n->op), &in[0].shape, ops[0], &in[1].shape,
                                      ops[1], sy, dst)) {
            return c8_err(err, C8_ERR_INTERNAL, "%s: node '%s': channels-last form refused",
                          g->path, n->name);
        }
        eltwise_cl_done(c, n, &out[0], dst, plain);
        return C8_OK;
    }
    if (s->kind == K_BINARY) { /* shapes of a dynamic profile outside the fast forms: reference */
        const c8_binary_op op = c8_op_binary_kind(n->op);
        if (!c8_cpu_binary_f32(op, &in[0].shape, in[0].data, &in[1].shape, in[1].data,
                               &out[0].shape, out[0].data) &&
            !c8_ref_binary(op, C8_DT_FLOAT, &in[0].shape, in[0].data, &in[1].shape, in[1].data,
                           &out[0].shape, out[0].data))
            return c8_err(err, C8_ERR_INTERNAL, "%s: node '%s': float32 %s not supported", g->path,
                          n->name, c8_op_name(n->op));
        return C8_OK;
    }
    if (s->kind == K_CLIP) { /* bounds: scalar float32 inputs, absent ones no bound */
        const float *lo = n->n_in > 1 && n->in[1] >= 0 ? in[1].data : NULL;
        const float *hi = n->n_in > 2 && n->in[2] >= 0 ? in[2].data : NULL;
        c8_cpu_clip_f32(in[0].data, out[0].data, c8_shape_numel(&in[0].shape), lo, hi);
        return C8_OK;
    }
    if (s->kind == K_BN) { /* shapes as ops/compute.c's bn_run checked them at inference */
        const c8_shape *xs = &in[0].shape;
        c8_dnnl_batchnorm(xs->d[0], xs->d[1], c8_shape_span(xs, 2, xs->rank),
                          c8_node_attr_f(n, "epsilon", 1e-5f), in[0].data, in[1].data, in[2].data,
                          in[3].data, in[4].data, out[0].data);
        return C8_OK;
    }
    if (s->kind == K_Q8ADD) { /* ops/q8.c's run_add (int8 output), vectorized */
        c8_dnnl_add_i8(c8_shape_numel(&in[0].shape), in[0].data, c8_node_attr_f(n, "ma", 1.0f),
                       in[1].data, c8_node_attr_f(n, "mb", 1.0f), c8_op_q8_epilogue(n).act,
                       out[0].data);
        return C8_OK;
    }
    if (s->kind == K_QUANT) { /* ops/q8.c's run_quantize, vectorized */
        float inv = c8_quant_inv_scale(c8_node_attr_f(n, "scale", 1.0f));
        c8_dnnl_quantize(in[0].data, inv, c8_shape_numel(&in[0].shape), out[0].data);
        return C8_OK;
    }
    if (s->kind == K_Q8GAP) { /* ops/q8.c's run_gap */
        const c8_shape *xs = &in[0].shape;
        const int64_t hw = xs->d[2] * xs->d[3];
        if (xs->d[0] * xs->d[1] == 0) return C8_OK;
        float m;
        C8_TRY(c8_quant_avgpool_mult(n->name, c8_node_attr_f(n, "s_in", 1),
                                     c8_node_attr_f(n, "s_out", 1), hw, &m, err));
        c8_cpu_int8_global_avgpool(xs->d[0], xs->d[1], hw, in[0].data, m, out[0].data);
        return C8_OK;
    }
    if (s->kind == K_SIGMOID) {
        c8_cpu_sigmoid_f32(in[0].data, out[0].data, c8_shape_numel(&in[0].shape));
        return C8_OK;
    }
    if (s->kind == K_Q8MUL) { /* ops/q8.c's run_mul, vectorized */
        c8_q8_mul_desc d;
        if (!c8_q8_mul_desc_of(&in[0].shape, &in[1].shape, c8_node_attr_f(n, "mult", 1.0f), &d))
            return c8_node_err(err, g, n, C8_ERR_SHAPE,
                               "INT8 Mul needs a factor per channel or a single one");
        c8_dnnl_mul_i8(d.outer, d.c, d.inner, in[0].data, in[1].data, d.f_outer, d.f_c, d.mult,
                       out[0].data);
        return C8_OK;
    }
    if (s->kind == K_RESIZE) { /* the specialized shapes may have left the whole factors */
        const bool i8 = in[0].dtype == C8_DT_INT8;
        if (c8_cpu_resize_fits(&s->resize) && i8)
            c8_cpu_resize_nearest_i8(&s->resize, in[0].data, out[0].data);
        else if (c8_cpu_resize_fits(&s->resize))
            c8_cpu_resize_nearest(&s->resize, in[0].data, out[0].data);
        else if (i8)
            c8_ref_resize_nearest_i8(&s->resize, in[0].data, out[0].data);
        else
            c8_ref_resize_f32(&s->resize, in[0].data, out[0].data);
        return C8_OK;
    }
    if (s->kind == K_DEQUANT) { /* ops/q8.c's run_dequantize, vectorized */
        c8_dnnl_dequantize(in[0].data, c8_node_attr_f(n, "scale", 1.0f),
                           c8_shape_numel(&in[0].shape), out[0].data);
        return C8_OK;
    }
    if (s->kind == K_Q8CONCAT) { /* ops/q8.c's run_concat, vectorized and on the threads */
        const c8_shape *s0 = &in[0].shape;
        int axis;
        C8_TRY(c8_axis_norm(c8_node_attr_i(n, "axis", 1), s0->rank, &axis, err));
        const int ni = n->n_in;
        const int8_t **xs = malloc((size_t)ni * sizeof *xs);
        int64_t *ch = malloc((size_t)ni * sizeof *ch);
        if (!xs || !ch) {
            free(xs), free(ch);
            return c8_err(err, C8_ERR_NOMEM, "%s: node '%s': out of memory", g->path, n->name);
        }
        for (int k = 0; k < ni; k++) {
            xs[k] = in[k].data;
            ch[k] = in[k].shape.d[axis];
        }
        c8_dnnl_concat_i8(c8_shape_span(s0, 0, axis), c8_shape_span(s0, axis + 1, s0->rank), ni, xs,
                          ch, c8_node_attr(n, "mults")->floats, out[0].data);
        free(xs), free(ch);
        return C8_OK;
    }
    if (s->kind == K_REQUANT) { /* ops/q8.c's run_requantize, vectorized */
        c8_int8_epilogue ep = c8_op_q8_epilogue(n);
        c8_dnnl_requantize(in[0].data, c8_node_attr_f(n, "mult", 1.0f), ep.act,
                           c8_shape_numel(&in[0].shape), out[0].data);
        return C8_OK;
    }
    if (s->kind == K_MAXPOOL) {
        const float *x = in[0].data;
        if (s->fp16) {
            c8_cpu_fp16_round(x, s->x16, s->x16_count);
            x = s->x16;
        }
        /* the max of rounded taps is one of them, so an FP16 layer's output is already rounded */
        const float *xa = pool_cl(s) ? acdb_of(c, n->in[0]) : NULL;
        if (!xa) {
            c8_cpu_maxpool(&s->pool, x, out[0].data);
            return C8_OK;
        }
        /* the producer's channels-last output: pooled channels-last, recorded for the readers
         * that take it so, and written NCHW where another may read it */
        const c8_pool_desc *d = &s->pool;
        const int64_t pq = d->out[0] * d->out[1], ny = d->N * d->C * pq;
        if (s->pool_acdb_n < (size_t)ny) {
            free(s->pool_acdb);
            s->pool_acdb = aligned_alloc(64, ((size_t)ny * sizeof(float) + 63) / 64 * 64);
            s->pool_acdb_n = s->pool_acdb ? (size_t)ny : 0;
            if (!s->pool_acdb)
                return c8_err(err, C8_ERR_NOMEM, "%s: node '%s' (MaxPool): out of memory", g->path,
                              n->name);
        }
        c8_cpu_maxpool_nhwc(d, xa, s->pool_acdb);
        acdb_record(c, n->out[0], s->pool_acdb);
        if (plain_needed(c, s, g, n))
            c8_cpu_transpose_f32(d->N, pq, d->C, s->pool_acdb, out[0].data);
        return C8_OK;
    }
    if (s->kind == K_CONV || s->kind == K_GEMM) {
        if (s->res && (!residual || !residual->data))
            return c8_err(err, C8_ERR_INTERNAL, "%s: node '%s': fused residual has no data",
                          g->path, n->name);
        const void *bias = n->n_in > 2 ? in[2].data : NULL;
        const void *x = in[0].data, *res = s->res ? residual->data : NULL;
        if (s->fp16) { /* the FP16 emulation's rounded inputs */
            c8_cpu_fp16_round(x, s->x16, s->x16_count);
            x = s->x16;
            if (res) {
                c8_cpu_fp16_round(res, s->r16, s->r16_count);
                res = s->r16;
            }
        }
        /* channels-last between convolutions: FP32 only (an FP16 layer rounds its NCHW copy) */
        const c8_fusion *f = &n->fusion;
        cl_io io = {NULL, NULL, f, true, NULL};
        if (s->kind == K_CONV && !s->fp16) {
            if (s->src_nhwc) io.x_acdb = acdb_of(c, n->in[0]);
            if (s->dst_nhwc && s->res) io.res_acdb = acdb_of(c, f->residual);
            if (s->dst_nhwc) io.write_plain = plain_needed(c, s, g, n);
        }
        if (s->gemv) /* (c8_dnnl_run's thread count, as exec's) */
            c8_cpu_gemv_nk(s->gemv_m, s->gemv_n, s->gemv_k, x, s->gemv_w, bias, res, out[0].data);
        else
            C8_TRY(exec(c, s, x, out[0].data, bias, res, &io, err));
        if (s->kind == K_CONV && !s->fp16 && s->dst_nhwc) acdb_record(c, n->out[0], s->dst_buf);
        const int64_t ny = c8_shape_numel(&out[0].shape);
        if (f->act != C8_ACT_NONE && !s->dst_nhwc)
            c8_dnnl_act_f32((int)f->act, f->act_a, f->act_b, out[0].data, ny);
        if (s->fp16) c8_cpu_fp16_round(out[0].data, out[0].data, (size_t)ny);
        return C8_OK;
    }
    /* Q8Conv / Q8Gemm: exact int32 sums (the integer route) or exact float32 sums, then calib8's
     * requantization */
    const int8_t *x = in[0].data;
    c8_int8_epilogue ep = c8_op_q8_epilogue(n);
    ep.bias = n->n_in > 2 ? in[2].data : NULL;
    ep.mult = in[3].data;
    ep.residual = s->kind == K_Q8CONV && n->n_in > 4 ? in[4].data : NULL;
    if (s->igemv_w) { /* a few rows: exact sums, then the rows' requantization */
        c8_cpu_gemv_i8(s->outer, s->channels, s->igemv_k, x, s->igemv_w, s->u8_acc);
        c8_dnnl_requant_nhwc(s->outer, s->channels, 1, NULL, s->u8_acc, &ep, out[0].data);
        s->route = "gemv";
        return C8_OK;
    }
    /* channels-last int8 between convolutions: the input and the residual may come as the
     * producers' channels-last records (then their NCHW copies may be unwritten), and the
     * output goes channels-last where a reader gains (cl_out) */
    const bool q8conv = s->kind == K_Q8CONV;
    const int64_t ycount = s->outer * s->channels * s->inner;
    const int8_t *x_cl = q8conv ? acdb_i8_of(c, n->in[0]) : NULL;
    const int8_t *r_cl = q8conv && ep.residual ? acdb_i8_of(c, n->in[4]) : NULL;
    const bool cl_out = q8conv && s->q8_cl && will_acdb(c, g, n->out[0]);
    /* (no integer route at all: nothing to decide; s8 exists only beside u8) */
    const bool neg = s->u8 && c8_dnnl_any_negative(x_cl ? x_cl : x, s->x_count);
    c8_dnnl_node *const ip = neg ? s->s8 : s->u8; /* the integer route's primitive, or NULL */
    const bool u8 = ip != NULL; /* (either integer route: int32 sums channels-last) */
    const bool x_direct = u8 && x_cl && (s->band_rows || ip->src_nhwc8);
    const bool rows_out = u8 && cl_out; /* the epilogue writes channels-last rows */
    if (x_cl && !x_direct) {            /* the record back to NCHW for the route that reads NCHW */
        C8_TRY(scratch8(&s->tmp_x, s->x_count, g, n, err));
        c8_cpu_transpose_8(s->outer, s->x_count / s->outer / s->src_ch, s->src_ch,
                           (const uint8_t *)x_cl, (uint8_t *)s->tmp_x);
        x = s->tmp_x;
    }
    if (ep.residual && (rows_out ? !r_cl : r_cl != NULL)) { /* the residual in the other layout */
        C8_TRY(scratch8(&s->tmp_r, ycount, g, n, err));
        if (rows_out)
            c8_cpu_transpose_8(s->outer, s->channels, s->inner, (const uint8_t *)ep.residual,
                               (uint8_t *)s->tmp_r);
        else
            c8_cpu_transpose_8(s->outer, s->inner, s->channels, (const uint8_t *)r_cl,
                               (uint8_t *)s->tmp_r);
        ep.residual = s->tmp_r;
    } else if (rows_out && r_cl) {
        ep.residual = r_cl;
    }
    if (cl_out) C8_TRY(scratch8(&s->y_cl, ycount, g, n, err));
    s->route = u8 ? (neg ? "s8" : "u8") : "f32";
    if (!u8) c8_dnnl_i8_to_f32(x, s->x_count, s->xf);
    if (u8 || s->n_parts == 0) { /* slices of nb images (one for a product) */
        const int64_t nb = s->nb, xs = s->x_count / s->outer, ys = s->channels * s->inner;
        const size_t ysz = c8_dtype_size(out[0].dtype);
        const int8_t *res = ep.residual;
        for (int64_t i = 0; i < s->outer; i += nb) {
            ep.residual = res ? res + i * ys : NULL;
            void *y = (char *)out[0].data + (size_t)(i * ys) * ysz;
            if (u8 && s->band_rows) { /* (nb 1) */
                C8_TRY(run_bands(c, s, neg, x + i * xs, x_direct ? x_cl + i * xs : NULL, &ep,
                                 rows_out ? (void *)(s->y_cl + i * ys) : y, rows_out, g, n, err));
                continue;
            }
            if (u8) { /* channels-last int32 sums */
                cl_io io = k_plain_io;
                io.x_cl8 = x_direct ? x_cl + i * xs : NULL;
                C8_TRY(exec(c, ip, x + i * xs, s->u8_acc, NULL, NULL, &io, err));
                if (rows_out) /* rows of channels: (nb * inner) rows of one pixel each */
                    c8_dnnl_requant_nhwc(nb * s->inner, s->channels, 1, NULL, s->u8_acc, &ep,
                                         s->y_cl + i * ys);
                else
                    c8_dnnl_requant_nhwc(nb, s->channels, s->inner, NULL, s->u8_acc, &ep, y);
                continue;
            }
            C8_TRY(exec(c, s, s->xf + i * xs, s->yf, NULL, NULL, &k_plain_io, err));
            if (s->sums_plain)
                c8_dnnl_requant(nb, s->channels, s->inner, s->yf, NULL, &ep, y);
            else /* channels-last float32 sums (CONV_F32_LAST; a product's (M, N) rows) */
                c8_dnnl_requant_nhwc(nb, s->channels, s->inner, s->yf, NULL, &ep, y);
        }
        if (cl_out) {
            if (rows_out) { /* the NCHW copy where something reads it */
                if (plain_needed(c, s, g, n))
                    c8_cpu_transpose_8(s->outer, s->inner, s->channels, (const uint8_t *)s->y_cl,
                                       out[0].data);
            } else { /* the float32 route wrote NCHW: the record from it */
                c8_cpu_transpose_8(s->outer, s->channels, s->inner, out[0].data,
                                   (uint8_t *)s->y_cl);
            }
            acdb_put(c, n->out[0], s->y_cl, true);
        }
        return C8_OK;
    }
    for (int p = 0; p < s->n_parts; p++)
        C8_TRY(exec(c, s->parts[p], s->xf + s->part_off[p], s->part_y[p], NULL, NULL, &k_plain_io,
                    err));
    c8_dnnl_sum_parts(s->n_parts, (const float *const *)s->part_y,
                      s->outer * s->channels * s->inner, s->acc);
    /* the chunks' convolutions write the ONNX layout; a product's rows are (M, N) either way */
    if (s->kind == K_Q8GEMM)
        c8_dnnl_requant_nhwc(s->outer, s->channels, s->inner, NULL, s->acc, &ep, out[0].data);
    else
        c8_dnnl_requant(s->outer, s->channels, s->inner, NULL, s->acc, &ep, out[0].data);
    return C8_OK;
}

const char *c8_dnnl_node_route(const c8_dnnl_node *s) { return s ? s->route : NULL; }
