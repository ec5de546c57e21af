/* The INT8 CUDA conv / gemm front end: context, algorithm table (names, supports), run by
 * algorithm id, the cuBLASLt int8 GEMM path, and timing for kernel choice at build time.
 * API: kernels/cuda/int8/int8_cuda.h; kernels: conv_dp4a.cu, conv_imma.cu, conv_dw.cu and the
 * CUTLASS tiles of cutlass/ (registered through cutlass/table.cu). */
#include "kernels/cuda/int8/common.cuh"
#include "kernels/cuda/int8/cutlass/conv_cutlass.h"

#include <stdlib.h>
#include <string.h>

struct c8_cuda_int8_ctx {
    int device;
    int sm; /* 10 * major + minor */
    int sm_count;
    size_t l2_bytes;
    size_t smem_optin; /* max dynamic shared memory per block after opt-in */
    cublasLtHandle_t lt;
    void *flush; /* 2 * L2 bytes, allocated on first timing */
    size_t flush_bytes;
};

namespace {

const char *const kNames[C8_CUDA_INT8_ALGO_COUNT] = {
    "dp4a_128x128x32",
    "dp4a_128x64x32",
    "dp4a_64x64x32",
    "imma_128x128x64_w64x64_s4",
    "imma_128x128x64_w64x32_s3",
    "imma_256x128x64_w64x64_s3",
    "imma_128x64x64_w64x32_s4",
    "imma_64x64x64_w32x32_s4",
    "cublaslt_imma+epilogue",
    "depthwise_direct",
    "imma_64x128x64_w32x64_s4",
    "imma_128x64x64_w32x32_s4",
    "imma_128x128x64_w32x64_s3",
    "imma_128x128x128_w64x32_s3",
    "imma_64x64x128_w32x32_s4",
    "imma_128x64x128_w64x32_s3",
    "imma_128x128x128_w64x64_s3",
    "imma_192x128x128_w64x32_s3",
    "imma_256x128x128_w64x32_s3",
    "imma_128x128x64_w64x32_s4",
    "imma_192x128x64_w64x32_s4",
    "cutlass_sm80_128x128x64_w64x64_s3",
    "cutlass_sm80_256x128x64_w64x64_s3",
    "cutlass_sm80_128x256x64_w64x64_s3",
    "cutlass_sm80_128x64x64_w64x32_s4",
    "cutlass_sm80_64x64x64_w32x32_s4",
    "cutlass_sm80_128x128x64_w64x64_s3_vst",
    "cutlass_sm80_256x128x64_w64x64_s3_vst",
    "cutlass_sm80_128x64x64_w64x32_s4_vst",
    "cutlass_sm80_128x128x128_w64x64_s3_vst",
    "cutlass_sm80_256x128x128_w64x64_s3_vst",
    "cutlass_sm80_128x256x128_w64x64_s3_vst",
    "cutlass_sm80_128x64x128_w64x32_s4_vst",
    "imma_smallc_128x64",
    "s2d_imma_128x64x64_w64x32_s4",
    "s2d_imma_64x64x64_w32x32_s4",
    "s2d_imma_128x64x64_w32x32_s4",
    "cutlass_sm90_128x128x128",
    "cutlass_sm90_128x64x128",
    "cutlass_sm90_128x128x64",
};

/* cuBLASLt's own workspace (split-K and friends). */
constexpr size_t kLtWorkspace = (size_t)8 << 20;

bool is_dp4a(int32_t a) { return a >= C8_CUDA_INT8_DP4A_128X128 && a <= C8_CUDA_INT8_DP4A_64X64; }
bool is_imma(int32_t a) {
    return (a >= C8_CUDA_INT8_IMMA_128X128_W64X64 && a <= C8_CUDA_INT8_IMMA_64X64_W32X32) ||
           (a >= C8_CUDA_INT8_IMMA_64X128_W32X64 && a <= C8_CUDA_INT8_IMMA_192X128X64_W64X32);
}

bool is_smallc(int32_t a) { return a == C8_CUDA_INT8_SMALLC_128X64; }

bool is_s2d(int32_t a) {
    return a >= C8_CUDA_INT8_S2D_128X64X64_W64X32 && a <= C8_CUDA_INT8_S2D_128X64X64_W32X32;
}

/* The IMMA tile a space-to-depth algorithm runs its stride-1 convolution with. */
int32_t s2d_inner(int32_t a) {
    switch (a) {
    case C8_CUDA_INT8_S2D_128X64X64_W64X32: return C8_CUDA_INT8_IMMA_128X64_W64X32;
    case C8_CUDA_INT8_S2D_64X64X64_W32X32: return C8_CUDA_INT8_IMMA_64X64_W32X32;
    default: return C8_CUDA_INT8_IMMA_128X64_W32X32;
    }
}

bool is_cutlass_sm90(int32_t a) {
    return a >= C8_CUDA_INT8_CUTLASS_SM90_128X128X128 && a <= C8_CUDA_INT8_CUTLASS_SM90_128X128X64;
}

bool is_cutlass(int32_t a) {
    return (a >= C8_CUDA_INT8_CUTLASS_128X128X64_W64X64_S3 &&
            a <= C8_CUDA_INT8_CUTLASS_128X64X128_W64X32_S4_VST) ||
           is_cutlass_sm90(a);
}

int64_t cpad(int64_t c) { return c8_quant_round_up(c, C8_CUDA_INT8_CALIGN); }

size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

/* cuBLASLt: acc (m, kp) int32 row-major = x (m, cp) * w (kp, cp)^T; in cuBLASLt's column-major
 * terms C (kp x m) = op_T(W: cp x kp) * X (cp x m), the "TN" form its IMMA kernels want. */
c8_status lt_matmul(c8_cuda_int8_ctx *ctx, int m, int kp, int cp, const int8_t *x, const int8_t *w,
                    int32_t *acc, void *ws, size_t ws_bytes, cudaStream_t stream, c8_error *err) {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    cublasLtMatmulHeuristicResult_t heur;
    int found = 0;
    const int32_t alpha = 1, beta = 0;
    const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    c8_status st = C8_OK;
#define LT(expr)                                                                                   \
    do {                                                                                           \
        if ((st = C8_CUBLAS_CHECK(err, expr)) != C8_OK) goto done;                                 \
    } while (0)
    LT(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32I, CUDA_R_32I));
    LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
    LT(cublasLtMatrixLayoutCreate(&la, CUDA_R_8I, (uint64_t)cp, (uint64_t)kp, cp));
    LT(cublasLtMatrixLayoutCreate(&lb, CUDA_R_8I, (uint64_t)cp, (uint64_t)m, cp));
    LT(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32I, (uint64_t)kp, (uint64_t)m, kp));
    LT(cublasLtMatmulPreferenceCreate(&pref));
    LT(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                            &ws_bytes, sizeof ws_bytes));
    LT(cublasLtMatmulAlgoGetHeuristic(ctx->lt, op, la, lb, lc, lc, pref, 1, &heur, &found));
    if (found < 1) {
        st = c8_err(err, C8_ERR_UNSUPPORTED, "cuBLASLt: no int8 algorithm for %d x %d x %d", m, kp,
                    cp);
        goto done;
    }
    LT(cublasLtMatmul(ctx->lt, op, &alpha, w, la, x, lb, &beta, acc, lc, acc, lc, &heur.algo, ws,
                      ws_bytes, stream));
#undef LT
done:
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (lc) cublasLtMatrixLayoutDestroy(lc);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (op) cublasLtMatmulDescDestroy(op);
    return st;
}

bool fits_int(int64_t v) { return v >= 0 && v <= 0x7fffffffLL; }

} // namespace

/* ---------------------------------------------------------------------------------------------
 * context
 * ------------------------------------------------------------------------------------------- */

c8_status c8_cuda_int8_ctx_create(int device, c8_cuda_int8_ctx **out, c8_error *err) {
    *out = nullptr;
    C8_CUDA_TRY(err, cudaSetDevice(device));
    cudaDeviceProp prop;
    C8_CUDA_TRY(err, cudaGetDeviceProperties(&prop, device));
    c8_cuda_int8_ctx *ctx = (c8_cuda_int8_ctx *)calloc(1, sizeof *ctx);
    if (!ctx) return c8_err(err, C8_ERR_NOMEM, "int8 CUDA context: out of memory");
    ctx->device = device;
    ctx->sm = prop.major * 10 + prop.minor;
    ctx->sm_count = prop.multiProcessorCount;
    ctx->l2_bytes = (size_t)prop.l2CacheSize;
    ctx->smem_optin = prop.sharedMemPerBlockOptin;
    c8_status st = C8_CUBLAS_CHECK(err, cublasLtCreate(&ctx->lt));
    if (st == C8_OK && ctx->sm >= 80) st = c8i_imma_init(ctx->smem_optin, err);
    if (st == C8_OK && ctx->sm >= 80) st = c8i_smallc_init(err);
    for (int32_t a = 0; st == C8_OK && a < C8_CUDA_INT8_ALGO_COUNT; a++) {
        const c8i_cutlass_entry *e = is_cutlass(a) ? c8i_cutlass_find(a, nullptr) : nullptr;
        if (e && ctx->sm >= e->min_sm && (!e->max_sm || ctx->sm <= e->max_sm) &&
            e->smem <= ctx->smem_optin)
            st = e->init(err);
    }
    if (st != C8_OK) {
        c8_cuda_int8_ctx_destroy(ctx);
        return st;
    }
    *out = ctx;
    return C8_OK;
}

void c8_cuda_int8_ctx_destroy(c8_cuda_int8_ctx *ctx) {
    if (!ctx) return;
    if (ctx->flush) cudaFree(ctx->flush); /* teardown: nothing to report to */
    if (ctx->lt) cublasLtDestroy(ctx->lt);
    free(ctx);
}

int c8_cuda_int8_ctx_sm(const c8_cuda_int8_ctx *ctx) { return ctx->sm; }
int c8_cuda_int8_ctx_sm_count(const c8_cuda_int8_ctx *ctx) { return ctx->sm_count; }
size_t c8_cuda_int8_ctx_l2_bytes(const c8_cuda_int8_ctx *ctx) { return ctx->l2_bytes; }

/* ---------------------------------------------------------------------------------------------
 * algorithms
 * ------------------------------------------------------------------------------------------- */

const char *c8_cuda_int8_algo_name(int32_t algo) {
    return algo >= 0 && algo < C8_CUDA_INT8_ALGO_COUNT ? kNames[algo] : "?";
}

int c8_cuda_int8_algo_kind_of(int32_t algo) {
    if (is_dp4a(algo)) return C8_CUDA_INT8_KIND_DP4A;
    if (is_imma(algo) || is_smallc(algo) || is_s2d(algo)) return C8_CUDA_INT8_KIND_IMMA;
    if (algo == C8_CUDA_INT8_CUBLASLT) return C8_CUDA_INT8_KIND_CUBLASLT;
    if (algo == C8_CUDA_INT8_DEPTHWISE) return C8_CUDA_INT8_KIND_DEPTHWISE;
    if (is_cutlass_sm90(algo)) return C8_CUDA_INT8_KIND_CUTLASS_SM90;
    if (is_cutlass(algo)) return C8_CUDA_INT8_KIND_CUTLASS;
    return C8_CUDA_INT8_KIND_UNKNOWN;
}

c8i_conv_params c8i_make_params(const c8_conv2d_desc *d, const int8_t *x, const int8_t *w,
                                const c8_int8_epilogue *ep, void *y) {
    c8i_conv_params p;
    memset(&p, 0, sizeof p);
    p.x = x;
    p.wt = w;
    p.y = y;
    p.res = ep->residual;
    p.bias = ep->bias;
    p.mult = ep->mult;
    p.res_mult = ep->res_mult;
    p.act = ep->act;
    p.out = ep->out;
    p.n = (int)d->n;
    p.h = (int)d->h;
    p.w = (int)d->w;
    p.cp = (int)cpad(d->c);
    p.k = (int)d->k;
    p.kp = (int)cpad(d->k);
    p.r = (int)d->r;
    p.s = (int)d->s;
    p.p = (int)d->p;
    p.q = (int)d->q;
    p.sh = (int)d->stride_h;
    p.sw = (int)d->stride_w;
    p.pt = (int)d->pad_t;
    p.pl = (int)d->pad_l;
    p.dh = (int)d->dil_h;
    p.dw = (int)d->dil_w;
    p.m = (int)(d->n * d->p * d->q);
    p.ktot = (int)(d->r * d->s * p.cp);
    return p;
}

int c8_cuda_int8_conv_supports(const c8_cuda_int8_ctx *ctx, int32_t algo, const c8_conv2d_desc *d,
                               const c8_int8_epilogue *ep, const char **why) {
    const char *no = nullptr;
    if (algo < 0 || algo >= C8_CUDA_INT8_ALGO_COUNT)
        no = "unknown algorithm";
    else if (c8_conv2d_desc_check(nullptr, d, nullptr) != C8_OK)
        no = "invalid conv descriptor";
    else if (ep->out < C8_QOUT_INT8 || ep->out > C8_QOUT_FLOAT16)
        no = "unknown output kind";
    else if (ep->act.kind < C8_QACT_NONE || ep->act.kind > C8_QACT_HARDSWISH)
        no = "unknown activation";
    else if (ep->act.kind == C8_QACT_SIGMOID && ep->out == C8_QOUT_INT8)
        no = "sigmoid needs a float output";
    else if (!ep->mult)
        no = "epilogue without multipliers";
    else if (!fits_int(d->n * d->p * d->q) || !fits_int(d->n * d->h * d->w * cpad(d->c)) ||
             !fits_int(cpad(d->k) * d->r * d->s * cpad(d->c)) ||
             !fits_int(d->r * d->s * cpad(d->c)) ||
             !fits_int(d->stride_h * d->p + d->r * d->dil_h) ||
             !fits_int(d->stride_w * d->q + d->s * d->dil_w) || !fits_int(cpad(d->k)))
        no = "sizes exceed the 32-bit index range of the kernels";
    else if (algo == C8_CUDA_INT8_DEPTHWISE) {
        if (!(d->group > 1 && d->group == d->c && d->group == d->k))
            no = "not depthwise (needs group == C == K > 1)";
        else if (ctx->sm < 61)
            no = "needs sm_61 or newer";
    } else if (d->group != 1) {
        no = "grouped convolution (only depthwise is supported, by depthwise_direct)";
    } else if (is_dp4a(algo)) {
        if (ctx->sm < 61) no = "dp4a needs sm_61 or newer";
    } else if (is_imma(algo)) {
        if (ctx->sm < 80)
            no = "mma.sync m16n8k32 s8 needs sm_80 or newer";
        else if (c8i_imma_smem_bytes(algo) > ctx->smem_optin)
            no = "not enough shared memory";
    } else if (is_smallc(algo)) {
        if (ctx->sm < 80)
            no = "mma.sync m16n8k32 s8 needs sm_80 or newer";
        else if (!c8i_smallc_supported(d, &no))
            ;
        else if (c8i_smallc_smem_bytes(d) > ctx->smem_optin)
            no = "not enough shared memory";
    } else if (is_s2d(algo)) {
        if (ctx->sm < 80)
            no = "mma.sync m16n8k32 s8 needs sm_80 or newer";
        else if (!c8i_s2d_supported(d, &no))
            ;
        else if (c8i_imma_smem_bytes(s2d_inner(algo)) > ctx->smem_optin)
            no = "not enough shared memory";
        else {
            const c8_conv2d_desc e = c8i_s2d_desc(d);
            if (!fits_int((int64_t)c8i_s2d_workspace_bytes(d)) || !fits_int(e.n * e.p * e.q))
                no = "sizes exceed the 32-bit index range of the kernels";
        }
    } else if (is_cutlass(algo)) {
        const c8i_cutlass_entry *e = c8i_cutlass_find(algo, &no); /* no: why not, if null */
        if (e && ctx->sm < e->min_sm)
            no = e->min_sm >= 90 ? "CUTLASS Hopper kernels need sm_90"
                                 : "CUTLASS Sm80 tensor-op kernels need sm_80 or newer";
        else if (e && e->max_sm && ctx->sm > e->max_sm)
            no = "CUTLASS Hopper kernels (sm_90a code) run on sm_90 only";
        else if (e && is_cutlass_sm90(algo) && getenv("C8_CUDA_INT8_NO_HOPPER"))
            no = "CUTLASS Hopper kernels turned off (C8_CUDA_INT8_NO_HOPPER)";
        else if (e && is_cutlass_sm90(algo) && !getenv("C8_CUDA_UNVERIFIED"))
            no = "CUTLASS Hopper kernels have not yet run on a GPU (C8_CUDA_UNVERIFIED=1 turns "
                 "them on; docs/cuda.md)";
        else if (e && e->smem > ctx->smem_optin)
            no = "not enough shared memory";
        else if (e && (d->r > 32 || d->s > 32))
            no = "CUTLASS's optimized iterators take filters up to 32x32";
        else if (e && !fits_int(d->n * d->p * d->q * cpad(d->k)))
            no = "output exceeds the 32-bit index range of CUTLASS's iterators";
        else if (e && e->check) {
            const c8i_conv_params p = c8i_make_params(d, nullptr, nullptr, ep, nullptr);
            no = e->check(p);
        }
    } else if (algo == C8_CUDA_INT8_CUBLASLT) {
        if (ctx->sm < 75)
            no = "cuBLASLt int8 IMMA needs sm_75 or newer";
        else if (d->r != 1 || d->s != 1 || d->stride_h != 1 || d->stride_w != 1 || d->pad_t ||
                 d->pad_l || d->pad_b || d->pad_r)
            no = "cuBLASLt runs only 1x1, stride 1, unpadded convs (a plain GEMM)";
    }
    if (why) *why = no;
    return no == nullptr;
}

int c8_cuda_int8_conv_candidates(const c8_cuda_int8_ctx *ctx, const c8_conv2d_desc *d,
                                 const c8_int8_epilogue *ep, int32_t *algos) {
    int n = 0;
    for (int32_t a = 0; a < C8_CUDA_INT8_ALGO_COUNT; a++)
        if (c8_cuda_int8_conv_supports(ctx, a, d, ep, nullptr)) algos[n++] = a;
    return n;
}

size_t c8_cuda_int8_conv_workspace_bytes(const c8_cuda_int8_ctx *ctx, int32_t algo,
                                         const c8_conv2d_desc *d) {
    (void)ctx;
    if (is_s2d(algo)) return c8i_s2d_workspace_bytes(d);
    if (algo != C8_CUDA_INT8_CUBLASLT) return 0;
    return align_up((size_t)(d->n * d->p * d->q) * (size_t)cpad(d->k) * 4, 256) + kLtWorkspace;
}

c8_status c8_cuda_int8_conv_run(c8_cuda_int8_ctx *ctx, int32_t algo, const c8_conv2d_desc *d,
                                const int8_t *x, const int8_t *w, const c8_int8_epilogue *ep,
                                void *y, void *workspace, size_t ws_bytes, cudaStream_t stream,
                                c8_error *err) {
    const char *why = nullptr;
    if (!c8_cuda_int8_conv_supports(ctx, algo, d, ep, &why))
        return c8_err(err, C8_ERR_UNSUPPORTED, "int8 CUDA conv (%s): %s",
                      c8_cuda_int8_algo_name(algo), why);
    c8i_conv_params p = c8i_make_params(d, x, w, ep, y);
    p.smem_optin = ctx->smem_optin;
    if (is_dp4a(algo)) return c8i_launch_dp4a(algo, p, stream, err);
    if (is_imma(algo)) return c8i_launch_imma(algo, p, stream, err);
    if (algo == C8_CUDA_INT8_DEPTHWISE) return c8i_launch_depthwise(p, stream, err);
    if (is_smallc(algo)) return c8i_launch_smallc(p, stream, err);
    if (is_s2d(algo))
        return c8i_launch_s2d(s2d_inner(algo), d, p, workspace, ws_bytes, stream, err);
    if (is_cutlass(algo)) return c8i_cutlass_find(algo, nullptr)->launch(p, stream, err);
    /* cuBLASLt: int32 accumulators into the workspace, then the epilogue kernel */
    size_t need = c8_cuda_int8_conv_workspace_bytes(ctx, algo, d);
    if (!workspace || ws_bytes < need)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA conv (%s): workspace %zu < %zu bytes",
                      c8_cuda_int8_algo_name(algo), ws_bytes, need);
    int32_t *acc = (int32_t *)workspace;
    size_t acc_bytes = align_up((size_t)p.m * (size_t)p.kp * 4, 256);
    C8_TRY(lt_matmul(ctx, p.m, p.kp, p.cp, x, w, acc, (char *)workspace + acc_bytes,
                     ws_bytes - acc_bytes, stream, err));
    return c8i_launch_epilogue_from_acc(p, acc, stream, err);
}

/* ---- Gemm as the 1x1 convolution over M "images" of 1x1 pixels ---- */

c8_conv2d_desc c8_cuda_int8_gemm_as_conv(const c8_int8_gemm_desc *g) {
    c8_conv2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = g->m;
    d.c = g->k;
    d.h = d.w = 1;
    d.k = g->n;
    d.r = d.s = 1;
    d.p = d.q = 1;
    d.stride_h = d.stride_w = 1;
    d.dil_h = d.dil_w = 1;
    d.group = 1;
    return d;
}

int c8_cuda_int8_gemm_supports(const c8_cuda_int8_ctx *ctx, int32_t algo,
                               const c8_int8_gemm_desc *g, const c8_int8_epilogue *ep,
                               const char **why) {
    if (c8_int8_gemm_desc_check(nullptr, g, nullptr) != C8_OK) {
        if (why) *why = "invalid gemm descriptor";
        return 0;
    }
    c8_conv2d_desc d = c8_cuda_int8_gemm_as_conv(g);
    return c8_cuda_int8_conv_supports(ctx, algo, &d, ep, why);
}

int c8_cuda_int8_gemm_candidates(const c8_cuda_int8_ctx *ctx, const c8_int8_gemm_desc *g,
                                 const c8_int8_epilogue *ep, int32_t *algos) {
    int n = 0;
    for (int32_t a = 0; a < C8_CUDA_INT8_ALGO_COUNT; a++)
        if (c8_cuda_int8_gemm_supports(ctx, a, g, ep, nullptr)) algos[n++] = a;
    return n;
}

size_t c8_cuda_int8_gemm_workspace_bytes(const c8_cuda_int8_ctx *ctx, int32_t algo,
                                         const c8_int8_gemm_desc *g) {
    c8_conv2d_desc d = c8_cuda_int8_gemm_as_conv(g);
    return c8_cuda_int8_conv_workspace_bytes(ctx, algo, &d);
}

c8_status c8_cuda_int8_gemm_run(c8_cuda_int8_ctx *ctx, int32_t algo, const c8_int8_gemm_desc *g,
                                const int8_t *a, const int8_t *b_packed, const c8_int8_epilogue *ep,
                                void *y, void *workspace, size_t ws_bytes, cudaStream_t stream,
                                c8_error *err) {
    if (c8_int8_gemm_desc_check(nullptr, g, nullptr) != C8_OK)
        return c8_err(err, C8_ERR_INVALID, "int8 CUDA gemm: invalid descriptor");
    c8_conv2d_desc d = c8_cuda_int8_gemm_as_conv(g);
    return c8_cuda_int8_conv_run(ctx, algo, &d, a, b_packed, ep, y, workspace, ws_bytes, stream,
                                 err);
}

/* ---------------------------------------------------------------------------------------------
 * timing
 * ------------------------------------------------------------------------------------------- */

namespace {

int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

struct conv_launch {
    c8_cuda_int8_ctx *ctx;
    int32_t algo;
    const c8_conv2d_desc *d;
    const int8_t *x, *w;
    c8_int8_epilogue ep;
    void *y, *ws;
    size_t ws_bytes;
};

c8_status conv_launch_fn(void *user, cudaStream_t stream, c8_error *err) {
    conv_launch *l = (conv_launch *)user;
    return c8_cuda_int8_conv_run(l->ctx, l->algo, l->d, l->x, l->w, &l->ep, l->y, l->ws,
                                 l->ws_bytes, stream, err);
}

} // namespace

c8_status c8_cuda_time_launch(c8_cuda_int8_ctx *ctx, c8_cuda_launch_fn launch, void *user,
                              int warmup, int reps, cudaStream_t stream, float *ms_median,
                              float *ms_min, c8_error *err) {
    if (reps < 1 || reps > 64)
        return c8_err(err, C8_ERR_INVALID, "timing: reps %d not in [1, 64]", reps);
    if (!ctx->flush) {
        ctx->flush_bytes = 2 * (ctx->l2_bytes ? ctx->l2_bytes : ((size_t)64 << 20));
        C8_CUDA_TRY(err, cudaMalloc(&ctx->flush, ctx->flush_bytes));
    }
    cudaEvent_t ev[2] = {nullptr, nullptr};
    float ms[64];
    c8_status st = C8_CUDA_CHECK(err, cudaEventCreate(&ev[0]));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaEventCreate(&ev[1]));
    for (int i = 0; st == C8_OK && i < warmup; i++) st = launch(user, stream, err);
    for (int i = 0; st == C8_OK && i < reps; i++) {
        st = C8_CUDA_CHECK(err, cudaMemsetAsync(ctx->flush, i & 0xff, ctx->flush_bytes, stream));
        if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaEventRecord(ev[0], stream));
        if (st == C8_OK) st = launch(user, stream, err);
        if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaEventRecord(ev[1], stream));
        if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaEventSynchronize(ev[1]));
        if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaEventElapsedTime(&ms[i], ev[0], ev[1]));
    }
    if (st == C8_OK) {
        qsort(ms, (size_t)reps, sizeof ms[0], cmp_float);
        *ms_median = reps % 2 ? ms[reps / 2] : 0.5f * (ms[reps / 2 - 1] + ms[reps / 2]);
        *ms_min = ms[0];
    }
    if (ev[0]) cudaEventDestroy(ev[0]);
    if (ev[1]) cudaEventDestroy(ev[1]);
    return st;
}

c8_status c8_cuda_int8_conv_time(c8_cuda_int8_ctx *ctx, const c8_conv2d_desc *d,
                                 const c8_int8_epilogue *ep, const int32_t *algos, int n,
                                 int warmup, int reps, cudaStream_t stream,
                                 c8_cuda_int8_timing *results, c8_error *err) {
    for (int i = 0; i < n; i++) {
        results[i].algo = algos[i];
        results[i].name = c8_cuda_int8_algo_name(algos[i]);
        results[i].ms_median = results[i].ms_min = -1.0f;
        results[i].status = C8_ERR_UNSUPPORTED;
    }
    C8_TRY(c8_conv2d_desc_check("int8 CUDA conv timing", d, err));
    const int64_t cp = cpad(d->c), kp = cpad(d->k);
    const size_t x_bytes = (size_t)(d->n * d->h * d->w * cp);
    const size_t y_elems = (size_t)(d->n * d->p * d->q * kp);
    const size_t y_bytes = y_elems * (ep->out == C8_QOUT_INT8    ? 1
                                      : ep->out == C8_QOUT_FLOAT ? 4
                                                                 : 2);
    const int64_t wb = c8_cuda_int8_conv_packed_bytes(d);
    const size_t w_bytes = wb > 0 ? (size_t)wb : 32;
    size_t ws_bytes = 0;
    for (int i = 0; i < n; i++) {
        size_t b = c8_cuda_int8_conv_workspace_bytes(ctx, algos[i], d);
        if (b > ws_bytes) ws_bytes = b;
    }
    int8_t *x = nullptr, *w = nullptr, *res = nullptr;
    void *y = nullptr, *ws = nullptr;
    int32_t *bias = nullptr;
    float *mult = nullptr;
    int32_t *h_bias = (int32_t *)malloc((size_t)d->k * sizeof *h_bias);
    float *h_mult = (float *)malloc((size_t)d->k * sizeof *h_mult);
    c8_status st = (h_bias && h_mult) ? C8_OK : c8_err(err, C8_ERR_NOMEM, "timing: out of memory");
    for (int64_t k = 0; st == C8_OK && k < d->k; k++) {
        h_bias[k] = (int32_t)((k * 7919) % 2001) - 1000;
        h_mult[k] = 1.0f / (64.0f * (float)(d->c / d->group * d->r * d->s)) *
                    (1.0f + (float)(k % 7) / 8.0f);
    }
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaMalloc((void **)&x, x_bytes));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaMalloc((void **)&w, w_bytes));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaMalloc(&y, y_bytes));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaMalloc((void **)&bias, (size_t)d->k * 4));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaMalloc((void **)&mult, (size_t)d->k * 4));
    if (st == C8_OK && ep->residual) st = C8_CUDA_CHECK(err, cudaMalloc((void **)&res, y_elems));
    if (st == C8_OK && ws_bytes) st = C8_CUDA_CHECK(err, cudaMalloc(&ws, ws_bytes));
    if (st == C8_OK) st = c8_cuda_fill_random_i8(x, x_bytes, 0x1234, stream, err);
    if (st == C8_OK) st = c8_cuda_fill_random_i8(w, w_bytes, 0x5678, stream, err);
    if (st == C8_OK && res) st = c8_cuda_fill_random_i8(res, y_elems, 0x9abc, stream, err);
    if (st == C8_OK)
        st = C8_CUDA_CHECK(
            err, cudaMemcpyAsync(bias, h_bias, (size_t)d->k * 4, cudaMemcpyHostToDevice, stream));
    if (st == C8_OK)
        st = C8_CUDA_CHECK(
            err, cudaMemcpyAsync(mult, h_mult, (size_t)d->k * 4, cudaMemcpyHostToDevice, stream));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaStreamSynchronize(stream));
    for (int i = 0; st == C8_OK && i < n; i++) {
        conv_launch l;
        l.ctx = ctx;
        l.algo = algos[i];
        l.d = d;
        l.x = x;
        l.w = w;
        l.ep = *ep;
        l.ep.bias = bias;
        l.ep.mult = mult;
        l.ep.residual = res;
        if (res && !(l.ep.res_mult > 0.0f)) l.ep.res_mult = 0.5f;
        l.y = y;
        l.ws = ws;
        l.ws_bytes = ws_bytes;
        c8_error e2;
        memset(&e2, 0, sizeof e2);
        if (!c8_cuda_int8_conv_supports(ctx, algos[i], d, &l.ep, nullptr)) continue;
        results[i].status = c8_cuda_time_launch(ctx, conv_launch_fn, &l, warmup, reps, stream,
                                                &results[i].ms_median, &results[i].ms_min, &e2);
        if (results[i].status != C8_OK) {
            /* a failed launch may leave a sticky error: then nothing else can run */
            if (cudaStreamSynchronize(stream) != cudaSuccess) {
                st = c8_err(err, C8_ERR_DEVICE, "timing %s: %s", results[i].name, e2.msg);
            }
        }
    }
    cudaFree(ws);
    cudaFree(res);
    cudaFree(mult);
    cudaFree(bias);
    cudaFree(y);
    cudaFree(w);
    cudaFree(x);
    free(h_mult);
    free(h_bias);
    return st;
}

int c8_cuda_int8_timing_best(const c8_cuda_int8_timing *results, int n) {
    int best = -1;
    for (int i = 0; i < n; i++)
        if (results[i].status == C8_OK && results[i].ms_median >= 0.0f &&
            (best < 0 || results[i].ms_median < results[best].ms_median))
            best = i;
    return best;
}
