/* Convolutions on the GPU through cuDNN: Conv and FusedConv (forward, then the fused bias /
 * residual / activation as one epilogue pass, or cudnnConvolutionBiasActivationForward where it
 * applies and is faster) and ConvTranspose (backward data, then the bias). FP32 layers run in
 * ONNX layout with TF32 off (CUDNN_FMA_MATH) unless the engine was built with --tf32; FP16
 * layers run in NHWC binary16 on tensor cores. 1-D convolutions run as 2-D with H = 1;
 * asymmetric pads are applied by copying the input into a zero-padded buffer.
 *
 * Candidates: the legacy API's algorithms (cudnnGetConvolutionForwardAlgorithm_v7, with fused
 * variants) and the first execution plans of cuDNN's graph API (heuristics mode A), which hold
 * the newer tensor-core kernels. The algorithm is chosen by timing: at build time on the model's
 * declared shapes (vt->tune, recorded in the layer's kernel string
 * "cudnn:a=<algo>:f=<fused>:x=<input shape>" or "cudnn:p=<plan>:x=<input shape>" so plans
 * carry it), and, for other shapes, on the first run of each specialization, timed on the real
 * buffers.
 * Reference: c8_ref_conv / c8_ref_conv_transpose (kernels/ref/conv.c). */
#include "kernels/cuda/cuda_backend_int.h"

#include "ops/ops.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/ref.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONV_WS_LIMIT ((size_t)256 << 20) /* largest cuDNN workspace a candidate may use */
#define CONV_MAX_CAND 12
#define CONV_TIME_REPS 2

enum { W_F16_KRSC = 1 }; /* weight cache kinds */

typedef struct conv_cand {
    int algo;  /* cudnnConvolutionFwdAlgo_t (or BwdData for ConvTranspose); -1: graph API plan;
                  -2: fused graph API plan (conv + epilogue); -3: ConvTranspose whose kernel
                  equals its stride on calib8's direct kernel (c8cu_convt_s2k_run) */
    int fused; /* cudnnConvolutionBiasActivationForward */
    int plan;  /* algo -1: index into conv_state.plans (cuDNN graph API, heuristics mode A) */
    size_t ws;
} conv_cand;

#define CONV_MAX_PLANS 3 /* graph-API plans kept per convolution (heuristics order) */

typedef struct conv_state {
    bool fp16, transpose;
    bool direct;       /* ConvTranspose with kernel = stride: the direct kernel is a candidate */
    c8cu_convt_s2k dk; /* its geometry (act set per launch) */
    cu_win w;
    int64_t N, C, K, group;
    int64_t Hp, Wp; /* input extents given to cuDNN (after explicit padding) */
    bool prepad;    /* asymmetric pads: copy x into a zero-padded buffer first */
    size_t prepad_bytes;
    cudnnTensorDescriptor_t xd, yd, bd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnActivationDescriptor_t ad;
    void *wdev; /* FP16: binary16 KRSC weights (FP32 layers read the uploaded constant) */
    bool w_owned;
    void *bias16; /* FP16 fused path: binary16 bias */
    bool can_fuse;
    conv_cand cand[CONV_MAX_CAND];
    int n_cand;
    cudnnBackendDescriptor_t plans[CONV_MAX_PLANS]; /* graph API: conv forward, FP16 only */
    int64_t plan_ws[CONV_MAX_PLANS];
    int n_plans;
    /* graph API, FP16: the convolution with its epilogue in one operation graph (conv, then
     * pointwise bias add, residual add, ReLU in float32, one binary16 store) */
    bool f_bias, f_res, f_relu;
    cudnnBackendDescriptor_t fplans[CONV_MAX_PLANS];
    int64_t fplan_ws[CONV_MAX_PLANS];
    int n_fplans;
    conv_cand pick;
    bool picked;
} conv_state;

static void conv_free(cu_ctx *c, void *p) {
    (void)c;
    conv_state *st = p;
    if (!st) return;
    if (st->xd) cudnnDestroyTensorDescriptor(st->xd);
    if (st->yd) cudnnDestroyTensorDescriptor(st->yd);
    if (st->bd) cudnnDestroyTensorDescriptor(st->bd);
    if (st->wd) cudnnDestroyFilterDescriptor(st->wd);
    if (st->cd) cudnnDestroyConvolutionDescriptor(st->cd);
    if (st->ad) cudnnDestroyActivationDescriptor(st->ad);
    if (st->w_owned && st->wdev) cudaFree(st->wdev);
    if (st->bias16) cudaFree(st->bias16);
    for (int i = 0; i < st->n_plans; i++) cudnnBackendDestroyDescriptor(st->plans[i]);
    for (int i = 0; i < st->n_fplans; i++) cudnnBackendDestroyDescriptor(st->fplans[i]);
    free(st);
}

/* A 4-D view (N, C, H, W) of an operand of rank 3 (H = 1) or 4 in format f. */
static c8cu_view view4(void *data, const c8_shape *s, cu_fmt f) {
    c8_shape s4 = *s;
    if (s->rank == 3) {
        s4.rank = 4;
        s4.d[3] = s->d[2];
        s4.d[2] = 1;
    }
    return cu_view(data, &s4, f);
}

/* ------------------------------------------------------------------ descriptors */

static c8_status make_descs(cu_ctx *c, conv_state *st, const c8_backend_engine *e, c8_error *err) {
    (void)c;
    const cudnnTensorFormat_t tf = st->fp16 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    const cudnnDataType_t dt = st->fp16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    C8_CUDNN_TRY(err, cudnnCreateTensorDescriptor(&st->xd));
    C8_CUDNN_TRY(err, cudnnCreateTensorDescriptor(&st->yd));
    C8_CUDNN_TRY(err, cudnnCreateTensorDescriptor(&st->bd));
    C8_CUDNN_TRY(err, cudnnCreateFilterDescriptor(&st->wd));
    C8_CUDNN_TRY(err, cudnnCreateConvolutionDescriptor(&st->cd));
    const cu_win *w = &st->w;
    if (!st->transpose) {
        C8_CUDNN_TRY(err, cudnnSetTensor4dDescriptor(st->xd, tf, dt, (int)st->N, (int)st->C,
                                                     (int)st->Hp, (int)st->Wp));
        C8_CUDNN_TRY(err, cudnnSetTensor4dDescriptor(st->yd, tf, dt, (int)st->N, (int)st->K,
                                                     (int)w->out_h, (int)w->out_w));
        C8_CUDNN_TRY(err,
                     cudnnSetFilter4dDescriptor(st->wd, dt, tf, (int)st->K,
                                                (int)(st->C / st->group), (int)w->kh, (int)w->kw));
    } else {
        /* ConvTranspose x (N, C, in) -> y (N, K, out) is the backward data of the forward
         * conv y -> x whose filter (C, K/group, kh, kw) is ONNX's weight as stored */
        C8_CUDNN_TRY(err, cudnnSetTensor4dDescriptor(st->xd, tf, dt, (int)st->N, (int)st->C,
                                                     (int)w->in_h, (int)w->in_w));
        C8_CUDNN_TRY(err, cudnnSetTensor4dDescriptor(st->yd, tf, dt, (int)st->N, (int)st->K,
                                                     (int)w->out_h, (int)w->out_w));
        C8_CUDNN_TRY(err,
                     cudnnSetFilter4dDescriptor(st->wd, dt, tf, (int)st->C,
                                                (int)(st->K / st->group), (int)w->kh, (int)w->kw));
    }
    C8_CUDNN_TRY(err, cudnnSetTensor4dDescriptor(st->bd, CUDNN_TENSOR_NCHW, dt, 1,
                                                 (int)(st->transpose ? st->C : st->K), 1, 1));
    const int ph = st->prepad ? 0 : (int)w->pt, pw = st->prepad ? 0 : (int)w->pl;
    C8_CUDNN_TRY(err, cudnnSetConvolution2dDescriptor(st->cd, ph, pw, (int)w->sh, (int)w->sw,
                                                      (int)w->dh, (int)w->dw,
                                                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    C8_CUDNN_TRY(err, cudnnSetConvolutionGroupCount(st->cd, (int)st->group));
    cudnnMathType_t math =
        st->fp16 ? CUDNN_TENSOR_OP_MATH : (e->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH);
    C8_CUDNN_TRY(err, cudnnSetConvolutionMathType(st->cd, math));
    /* the forward geometry must reproduce the ONNX extents exactly */
    int dims[4];
    if (!st->transpose) {
        C8_CUDNN_TRY(err, cudnnGetConvolution2dForwardOutputDim(st->cd, st->xd, st->wd, &dims[0],
                                                                &dims[1], &dims[2], &dims[3]));
        if (dims[2] != w->out_h || dims[3] != w->out_w || dims[1] != st->K)
            return c8_err(err, C8_ERR_UNSUPPORTED, "cuDNN geometry differs");
    } else {
        C8_CUDNN_TRY(err, cudnnGetConvolution2dForwardOutputDim(st->cd, st->yd, st->wd, &dims[0],
                                                                &dims[1], &dims[2], &dims[3]));
        if (dims[2] != w->in_h || dims[3] != w->in_w || dims[1] != st->C)
            return c8_err(err, C8_ERR_UNSUPPORTED, "cuDNN geometry differs");
    }
    return C8_OK;
}

/* FP16 weights: (K, C/g, R, S) float (already binary16 values) -> (K, R, S, C/g) binary16. */
static c8_status pack_w16(cu_ctx *c, conv_state *st, const c8_graph *g, int wv, c8_error *err) {
    const c8_value *wv_ = &g->vals[wv];
    const int64_t K = wv_->shape.d[0], Cg = wv_->shape.d[1];
    const int64_t R = wv_->shape.rank == 4 ? wv_->shape.d[2] : 1;
    const int64_t S = wv_->shape.d[wv_->shape.rank - 1];
    const size_t cnt = (size_t)(K * Cg * R * S);
    uint16_t *h = malloc(cnt * sizeof *h + 1);
    if (!h) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    const float *w = wv_->data;
    for (int64_t k = 0; k < K; k++)
        for (int64_t ci = 0; ci < Cg; ci++)
            for (int64_t r = 0; r < R; r++)
                for (int64_t s = 0; s < S; s++)
                    h[((k * R + r) * S + s) * Cg + ci] =
                        c8_fp16_from_f32(w[((k * Cg + ci) * R + r) * S + s]);
    c8_status s = cu_weights(c, cu_const_stable(g, wv) ? wv_->data : NULL, W_F16_KRSC, h,
                             cnt * sizeof *h, &st->wdev, &st->w_owned, err);
    free(h);
    return s;
}

static c8_status bias16(cu_ctx *c, conv_state *st, const c8_graph *g, int bv, c8_error *err) {
    const c8_value *b = &g->vals[bv];
    const size_t cnt = (size_t)c8_shape_numel(&b->shape);
    uint16_t *h = malloc(cnt * sizeof *h + 1);
    if (!h) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_fp16_from_f32_buf(b->data, h, cnt);
    c8_status s = C8_CUDA_CHECK(err, cu_malloc((void **)&st->bias16, cnt * sizeof *h + 1));
    if (s == C8_OK)
        s = C8_CUDA_CHECK(err, cudaMemcpyAsync(st->bias16, h, cnt * sizeof *h,
                                               cudaMemcpyHostToDevice, c->stream));
    if (s == C8_OK) s = C8_CUDA_CHECK(err, cudaStreamSynchronize(c->stream));
    free(h);
    return s;
}

/* ------------------------------------------------------------------ cuDNN graph API */

/* The forward convolution as a cuDNN graph (backend API): x (uid 1), w (2), y (3) with the
 * strides of their actual layouts, pre / post paddings as ONNX gives them (no explicit
 * padding needed). Heuristics mode A lists engine configurations best first; the first
 * CONV_MAX_PLANS that finalize become candidates beside the legacy algorithms (engines that
 * compile at run time are skipped; for FP32 without --tf32 so is every engine whose numerical
 * notes say tensor cores, down-converted inputs or reduced-precision reduction). Any failure
 * leaves n_plans at what was built. */
static cudnnStatus_t be_tensor_v(cudnnBackendDescriptor_t *t, int64_t uid, cudnnDataType_t dt,
                                 const int64_t *dims, const int64_t *strides, bool is_virtual) {
    cudnnStatus_t e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_TENSOR_DESCRIPTOR, t);
    const int64_t align = 16;
    if (!e && is_virtual)
        e = cudnnBackendSetAttribute(*t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1,
                                     &is_virtual);
    if (!e)
        e = cudnnBackendSetAttribute(*t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &dt);
    if (!e)
        e = cudnnBackendSetAttribute(*t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims);
    if (!e)
        e = cudnnBackendSetAttribute(*t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides);
    if (!e)
        e = cudnnBackendSetAttribute(*t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
    if (!e)
        e = cudnnBackendSetAttribute(*t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1,
                                     &align);
    if (!e) e = cudnnBackendFinalize(*t);
    return e;
}

static cudnnStatus_t be_tensor(cudnnBackendDescriptor_t *t, int64_t uid, cudnnDataType_t dt,
                               const int64_t *dims, const int64_t *strides) {
    return be_tensor_v(t, uid, dt, dims, strides, false);
}

/* A pointwise operation y = mode(x[, b]) computed in float32. */
static cudnnStatus_t be_pointwise(cudnnBackendDescriptor_t *op, cudnnPointwiseMode_t mode,
                                  cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t b,
                                  cudnnBackendDescriptor_t y) {
    cudnnBackendDescriptor_t pw = NULL;
    const cudnnDataType_t prec = CUDNN_DATA_FLOAT;
    cudnnStatus_t e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_POINTWISE_DESCRIPTOR, &pw);
    if (!e)
        e = cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1,
                                     &mode);
    if (!e)
        e = cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1,
                                     &prec);
    if (!e) e = cudnnBackendFinalize(pw);
    if (!e) e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, op);
    if (!e)
        e = cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw);
    if (!e)
        e = cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    if (!e && b)
        e = cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b);
    if (!e)
        e = cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    if (!e) e = cudnnBackendFinalize(*op);
    if (pw) cudnnBackendDestroyDescriptor(pw);
    return e;
}

static void nhwc_strides(const int64_t *d, int64_t *s) { /* dims (N, C, H, W) */
    s[1] = 1;
    s[3] = d[1];
    s[2] = d[1] * d[3];
    s[0] = d[1] * d[3] * d[2];
}

static void nchw_strides(const int64_t *d, int64_t *s) {
    s[3] = 1;
    s[2] = d[3];
    s[1] = d[3] * d[2];
    s[0] = d[3] * d[2] * d[1];
}

static void be_build_plans(cu_ctx *c, conv_state *st, bool tf32, bool fused) {
    if (st->transpose || getenv("C8_CUDA_NO_GRAPH_API")) return;
    if (fused && (!st->fp16 || !(st->f_bias || st->f_res || st->f_relu))) return;
    cudnnBackendDescriptor_t *plans = fused ? st->fplans : st->plans;
    int64_t *plan_ws = fused ? st->fplan_ws : st->plan_ws;
    int *n_plans = fused ? &st->n_fplans : &st->n_plans;
    const cu_win *w = &st->w;
    const cudnnDataType_t dt = st->fp16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT, ct = CUDNN_DATA_FLOAT;
    int64_t xd[4] = {st->N, st->C, w->in_h, w->in_w},
            wd[4] = {st->K, st->C / st->group, w->kh, w->kw};
    int64_t yd[4] = {st->N, st->K, w->out_h, w->out_w}, xs[4], ws[4], ys[4];
    void (*strides)(const int64_t *, int64_t *) = st->fp16 ? nhwc_strides : nchw_strides;
    strides(xd, xs);
    strides(wd, ws);
    strides(yd, ys);
    /* FP32 without --tf32: no engine that rounds inputs to TF32 or reduces in lower precision */
    const bool strict32 = !st->fp16 && !tf32;
    cudnnBackendDescriptor_t tx = NULL, tw = NULL, ty = NULL, cd = NULL, op = NULL, gr = NULL,
                             heur = NULL, cfg[16] = {0};
    /* fused: the convolution writes a virtual float32 tensor; bias (uid 4, float32 (1, K, 1, 1)),
     * residual (uid 5, y's type and layout) and ReLU follow as pointwise operations, the last
     * of which writes y */
    cudnnBackendDescriptor_t tv[3] = {NULL, NULL, NULL}, tb = NULL, tr = NULL, pops[3] = {0};
    int n_pops = 0;
    int64_t n_cfg = 0;
    cudnnStatus_t e = be_tensor(&tx, 1, dt, xd, xs);
    if (!e) e = be_tensor(&tw, 2, dt, wd, ws);
    if (!e) e = be_tensor(&ty, 3, dt, yd, ys);
    cudnnBackendDescriptor_t conv_y = ty;
    if (!e && fused) {
        const int steps = (int)st->f_bias + (int)st->f_res + (int)st->f_relu;
        for (int i = 0; !e && i < steps; i++)
            e = be_tensor_v(&tv[i], 101 + i, CUDNN_DATA_FLOAT, yd, ys, true);
        const int64_t bdims[4] = {1, st->K, 1, 1}, bstr[4] = {st->K, 1, st->K, st->K};
        if (!e && st->f_bias) e = be_tensor(&tb, 4, CUDNN_DATA_FLOAT, bdims, bstr);
        if (!e && st->f_res) e = be_tensor(&tr, 5, dt, yd, ys);
        /* conv -> tv[0] -> ... -> tv[steps - 1] -> ty: each step reads the previous tensor */
        conv_y = tv[0];
        int k = 0;
        if (!e && st->f_bias) {
            e = be_pointwise(&pops[n_pops++], CUDNN_POINTWISE_ADD, tv[k], tb,
                             k + 1 < steps ? tv[k + 1] : ty);
            k++;
        }
        if (!e && st->f_res) {
            e = be_pointwise(&pops[n_pops++], CUDNN_POINTWISE_ADD, tv[k], tr,
                             k + 1 < steps ? tv[k + 1] : ty);
            k++;
        }
        if (!e && st->f_relu)
            e = be_pointwise(&pops[n_pops++], CUDNN_POINTWISE_RELU_FWD, tv[k], NULL, ty);
    }
    if (!e) e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, &cd);
    const int64_t nsp = 2, dil[2] = {w->dh, w->dw}, str[2] = {w->sh, w->sw},
                  pre[2] = {w->pt, w->pl}, post[2] = {w->pb, w->pr};
    const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1,
                                     &ct);
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_CONV_MODE,
                                     CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1,
                                     &nsp);
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2,
                                     dil);
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2,
                                     str);
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2,
                                     pre);
    if (!e)
        e = cudnnBackendSetAttribute(cd, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2,
                                     post);
    if (!e) e = cudnnBackendFinalize(cd);
    if (!e)
        e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                                         &op);
    const float one = 1.0f, zero = 0.0f;
    if (!e)
        e = cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &tx);
    if (!e)
        e = cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &tw);
    if (!e)
        e = cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv_y);
    if (!e)
        e = cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cd);
    if (!e)
        e = cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA,
                                     CUDNN_TYPE_FLOAT, 1, &one);
    if (!e)
        e = cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA,
                                     CUDNN_TYPE_FLOAT, 1, &zero);
    if (!e) e = cudnnBackendFinalize(op);
    if (!e) e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, &gr);
    cudnnBackendDescriptor_t gops[4] = {op, pops[0], pops[1], pops[2]};
    if (!e)
        e = cudnnBackendSetAttribute(gr, CUDNN_ATTR_OPERATIONGRAPH_OPS,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1 + n_pops, gops);
    if (!e)
        e = cudnnBackendSetAttribute(gr, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1,
                                     &c->dnn);
    if (!e) e = cudnnBackendFinalize(gr);
    const cudnnBackendHeurMode_t hm = CUDNN_HEUR_MODE_A;
    if (!e) e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, &heur);
    if (!e)
        e = cudnnBackendSetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &gr);
    if (!e)
        e = cudnnBackendSetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1,
                                     &hm);
    if (!e) e = cudnnBackendFinalize(heur);
    for (int i = 0; !e && i < 16; i++)
        e = cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, &cfg[i]);
    if (!e)
        e = cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                     CUDNN_TYPE_BACKEND_DESCRIPTOR, 16, &n_cfg, cfg);
    for (int64_t i = 0; !e && i < n_cfg && i < 8 && *n_plans < CONV_MAX_PLANS; i++) {
        /* skip engines that compile kernels at run time (seconds per specialization) */
        cudnnBackendDescriptor_t eng = NULL;
        cudnnBackendBehaviorNote_t notes[CUDNN_BEHAVIOR_NOTE_TYPE_COUNT];
        int64_t nn = 0;
        bool rtc = false;
        if (!cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINE_DESCRIPTOR, &eng) &&
            !cudnnBackendGetAttribute(cfg[i], CUDNN_ATTR_ENGINECFG_ENGINE,
                                      CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &nn, &eng) &&
            !cudnnBackendGetAttribute(eng, CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE,
                                      CUDNN_TYPE_BEHAVIOR_NOTE, CUDNN_BEHAVIOR_NOTE_TYPE_COUNT, &nn,
                                      notes))
            for (int64_t k = 0; k < nn; k++)
                rtc |= notes[k] == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION &&
                       !(fused && getenv("C8_CUDA_FUSION_RTC"));
        cudnnBackendNumericalNote_t num[CUDNN_NUMERICAL_NOTE_TYPE_COUNT];
        int64_t nm = 0;
        if (eng && strict32 &&
            !cudnnBackendGetAttribute(eng, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE,
                                      CUDNN_TYPE_NUMERICAL_NOTE, CUDNN_NUMERICAL_NOTE_TYPE_COUNT,
                                      &nm, num))
            for (int64_t k = 0; k < nm; k++)
                rtc |= num[k] == CUDNN_NUMERICAL_NOTE_TENSOR_CORE ||
                       num[k] == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS ||
                       num[k] == CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION;
        else if (strict32)
            rtc = true; /* unknown numerics: not for strict FP32 */
        if (eng) cudnnBackendDestroyDescriptor(eng);
        if (rtc) continue;
        cudnnBackendDescriptor_t plan = NULL;
        cudnnStatus_t pe =
            cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan);
        if (!pe)
            pe = cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE,
                                          1, &c->dnn);
        if (!pe)
            pe = cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG,
                                          CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cfg[i]);
        if (!pe) pe = cudnnBackendFinalize(plan);
        int64_t wsz = 0, got = 0;
        if (!pe)
            pe = cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                          CUDNN_TYPE_INT64, 1, &got, &wsz);
        if (pe || wsz < 0 || (size_t)wsz > CONV_WS_LIMIT) {
            if (plan) cudnnBackendDestroyDescriptor(plan);
            continue;
        }
        plans[*n_plans] = plan;
        plan_ws[(*n_plans)++] = wsz;
    }
    for (int i = 0; i < 16; i++)
        if (cfg[i]) cudnnBackendDestroyDescriptor(cfg[i]);
    cudnnBackendDescriptor_t all[15] = {heur,  gr,    op, cd, ty,      tw,      tx,     tv[0],
                                        tv[1], tv[2], tb, tr, pops[0], pops[1], pops[2]};
    for (int i = 0; i < 15; i++)
        if (all[i]) cudnnBackendDestroyDescriptor(all[i]);
}

/* Runs graph plan `plan` (fused: of st->fplans, with the bias and residual the graph names). */
static c8_status be_execute(cu_ctx *c, conv_state *st, int plan, bool fused, const void *x,
                            const void *w, void *y, const void *bias, const void *res, void *ws,
                            c8_error *err) {
    cudnnBackendDescriptor_t vp = NULL;
    void *ptrs[5] = {(void *)x, (void *)w, y, NULL, NULL};
    int64_t uids[5] = {1, 2, 3, 0, 0};
    int64_t n = 3;
    if (fused && st->f_bias) {
        if (!bias) return c8_err(err, C8_ERR_INTERNAL, "fused convolution plan without its bias");
        ptrs[n] = (void *)bias;
        uids[n++] = 4;
    }
    if (fused && st->f_res) {
        if (!res)
            return c8_err(err, C8_ERR_INTERNAL, "fused convolution plan without its residual");
        ptrs[n] = (void *)res;
        uids[n++] = 5;
    }
    c8_status s = C8_CUDNN_CHECK(
        err, cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &vp));
    if (s == C8_OK)
        s = C8_CUDNN_CHECK(err, cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS,
                                                         CUDNN_TYPE_VOID_PTR, n, ptrs));
    if (s == C8_OK)
        s = C8_CUDNN_CHECK(err, cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS,
                                                         CUDNN_TYPE_INT64, n, uids));
    if (s == C8_OK)
        s = C8_CUDNN_CHECK(err, cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_WORKSPACE,
                                                         CUDNN_TYPE_VOID_PTR, 1, &ws));
    if (s == C8_OK) s = C8_CUDNN_CHECK(err, cudnnBackendFinalize(vp));
    if (s == C8_OK)
        s = C8_CUDNN_CHECK(
            err, cudnnBackendExecute(c->dnn, fused ? st->fplans[plan] : st->plans[plan], vp));
    if (vp) cudnnBackendDestroyDescriptor(vp);
    return s;
}

/* Candidates from cuDNN's heuristics that fit the workspace limit (and, for FP32 without TF32,
 * use no tensor-core math), plus their fused variants where the fused call applies. */
static c8_status candidates(cu_ctx *c, conv_state *st, bool tf32, c8_error *err) {
    st->n_cand = 0;
    if (!st->transpose) {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int got = 0;
        C8_CUDNN_TRY(err, cudnnGetConvolutionForwardAlgorithm_v7(
                              c->dnn, st->xd, st->wd, st->cd, st->yd,
                              CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf));
        for (int i = 0; i < got && st->n_cand < CONV_MAX_CAND; i++) {
            if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > CONV_WS_LIMIT) continue;
            if (!st->fp16 && !tf32 && perf[i].mathType == CUDNN_TENSOR_OP_MATH) continue;
            bool dup = false;
            for (int k = 0; k < st->n_cand; k++) dup |= st->cand[k].algo == (int)perf[i].algo;
            if (dup) continue;
            st->cand[st->n_cand++] = (conv_cand){(int)perf[i].algo, 0, 0, perf[i].memory};
        }
        int base = st->n_cand;
        for (int i = 0; st->can_fuse && i < base && st->n_cand < CONV_MAX_CAND; i++)
            st->cand[st->n_cand++] = (conv_cand){st->cand[i].algo, 1, 0, st->cand[i].ws};
        be_build_plans(c, st, tf32, false);
        for (int i = 0; i < st->n_plans && st->n_cand < CONV_MAX_CAND; i++)
            st->cand[st->n_cand++] = (conv_cand){-1, 0, i, (size_t)st->plan_ws[i]};
        if (!getenv("C8_CUDA_NO_FUSED_GRAPH")) be_build_plans(c, st, tf32, true);
        for (int i = 0; i < st->n_fplans && st->n_cand < CONV_MAX_CAND; i++)
            st->cand[st->n_cand++] = (conv_cand){-2, 0, i, (size_t)st->fplan_ws[i]};
    } else {
        cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        int got = 0;
        C8_CUDNN_TRY(err, cudnnGetConvolutionBackwardDataAlgorithm_v7(
                              c->dnn, st->wd, st->xd, st->cd, st->yd,
                              CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &got, perf));
        for (int i = 0; i < got && st->n_cand < 1; i++) {
            if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > CONV_WS_LIMIT) continue;
            if (!st->fp16 && !tf32 && perf[i].mathType == CUDNN_TENSOR_OP_MATH) continue;
            st->cand[st->n_cand++] = (conv_cand){(int)perf[i].algo, 0, 0, perf[i].memory};
        }
        /* C8_CUDA_CONVT_DIRECT_ONLY=1 (tests): the direct kernel alone, so that it runs */
        if (st->direct && getenv("C8_CUDA_CONVT_DIRECT_ONLY")) st->n_cand = 0;
        if (st->direct) st->cand[st->n_cand++] = (conv_cand){-3, 0, 0, 0};
    }
    if (st->n_cand == 0) return c8_err(err, C8_ERR_UNSUPPORTED, "cuDNN offers no algorithm");
    return C8_OK;
}

/* ------------------------------------------------------------------ execution */

typedef struct conv_io {
    const void *x; /* input, format of the descriptors (before explicit padding) */
    c8_shape xs;
    cu_fmt xf;
    const void *w;     /* weights in the descriptor's layout */
    const float *bias; /* float32 (K) or NULL */
    void *y;
    c8_shape ys;
    cu_fmt yf;
    const void *res; /* residual or NULL */
    c8_shape rs;
    cu_fmt rf;
    int act;
    float act_a, act_b;
    void *ws; /* workspace: [padded input][cuDNN workspace] */
    size_t ws_bytes;
} conv_io;

static c8_status epilogue(cu_ctx *c, const conv_io *io, bool with_bias, c8_error *err) {
    if (!(with_bias && io->bias) && !io->res && io->act == C8_REF_ACT_NONE) return C8_OK;
    c8cu_view y = cu_view(io->y, &io->ys, io->yf);
    c8cu_view b, r;
    c8cu_ew_params p;
    memset(&p, 0, sizeof p);
    p.op = C8CU_EW_EPILOGUE;
    p.beta = 1.0f;
    p.act = io->act;
    p.act_a = io->act_a;
    p.act_b = io->act_b;
    if (with_bias && io->bias) {
        memset(&b, 0, sizeof b);
        b.data = (void *)io->bias;
        b.type = C8CU_F32;
        b.rank = y.rank;
        for (int d = 0; d < y.rank; d++) {
            b.dims[d] = d == 1 ? y.dims[1] : 1;
            b.strides[d] = d == 1 ? 1 : 0;
        }
    }
    if (io->res) r = cu_view((void *)io->res, &io->rs, io->rf);
    return c8cu_eltwise(&p, &y, &y, (with_bias && io->bias) ? &b : NULL, io->res ? &r : NULL,
                        c->stream, err);
}

static c8_status conv_launch(cu_ctx *c, conv_state *st, conv_cand k, const conv_io *io,
                             c8_error *err) {
    const float one = 1.0f, zero = 0.0f;
    const void *x = io->x;
    unsigned char *ws = io->ws;
    size_t ws_bytes = io->ws_bytes;
    if (k.algo == -3) {
        /* the direct kernel applies bias and activation; a residual goes through the epilogue
         * pass, which then applies the activation after it (the reference's order) */
        c8cu_convt_s2k d = st->dk;
        d.act = io->res ? C8_REF_ACT_NONE : io->act;
        d.act_a = io->act_a;
        d.act_b = io->act_b;
        C8_TRY(c8cu_convt_s2k_run(&d, io->x, io->w, io->bias, io->y, c->stream, err));
        return io->res ? epilogue(c, io, false, err) : C8_OK;
    }
    if (k.algo == -2) /* the epilogue is part of the plan */
        return be_execute(c, st, k.plan, true, io->x, io->w, io->y, io->bias, io->res, ws, err);
    if (k.algo < 0) {
        /* graph API plan: pads are part of the plan */
        C8_TRY(be_execute(c, st, k.plan, false, io->x, io->w, io->y, NULL, NULL, ws, err));
        return epilogue(c, io, true, err);
    }
    if (st->prepad) {
        /* zero-padded copy (N, C, Hp, Wp) of x in x's format; the interior starts at (pt, pl) */
        c8_shape ps = io->xs;
        if (ps.rank == 4) {
            ps.d[2] = st->Hp;
            ps.d[3] = st->Wp;
        } else {
            ps.d[2] = st->Wp;
        }
        C8_CUDA_TRY(err, cudaMemsetAsync(ws, 0, st->prepad_bytes, c->stream));
        c8cu_view dst = view4(ws, &ps, io->xf), src = view4((void *)io->x, &io->xs, io->xf);
        size_t es = c8cu_type_size(io->xf.type);
        dst.data = ws + es * (size_t)(st->w.pt * dst.strides[2] + st->w.pl * dst.strides[3]);
        dst.dims[2] = src.dims[2];
        dst.dims[3] = src.dims[3];
        C8_TRY(c8cu_copy(&dst, &src, c->stream, err));
        x = ws;
        ws += (st->prepad_bytes + 255) / 256 * 256;
        ws_bytes -= (st->prepad_bytes + 255) / 256 * 256;
    }
    if (st->transpose) {
        C8_CUDNN_TRY(err,
                     cudnnConvolutionBackwardData(c->dnn, &one, st->wd, io->w, st->xd, x, st->cd,
                                                  (cudnnConvolutionBwdDataAlgo_t)k.algo, ws,
                                                  ws_bytes, &zero, st->yd, io->y));
        return epilogue(c, io, true, err);
    }
    if (k.fused) {
        const float alpha2 = io->res ? 1.0f : 0.0f;
        C8_CUDNN_TRY(err,
                     cudnnConvolutionBiasActivationForward(
                         c->dnn, &one, st->xd, x, st->wd, io->w, st->cd,
                         (cudnnConvolutionFwdAlgo_t)k.algo, ws, ws_bytes, &alpha2, st->yd,
                         io->res ? io->res : io->y, st->bd,
                         st->fp16 ? st->bias16 : (const void *)io->bias, st->ad, st->yd, io->y));
        return C8_OK;
    }
    C8_CUDNN_TRY(err, cudnnConvolutionForward(c->dnn, &one, st->xd, x, st->wd, io->w, st->cd,
                                              (cudnnConvolutionFwdAlgo_t)k.algo, ws, ws_bytes,
                                              &zero, st->yd, io->y));
    return epilogue(c, io, true, err);
}

/* Times every candidate on io's buffers (CUDA events, the fastest of CONV_TIME_REPS runs after
 * one warm-up); candidates that fail are skipped. ms[i] < 0 marks a failed candidate. */
static c8_status time_candidates(cu_ctx *c, conv_state *st, const conv_io *io, float *ms, int *best,
                                 c8_error *err) {
    cudaEvent_t e0, e1;
    C8_CUDA_TRY(err, cudaEventCreate(&e0));
    C8_CUDA_TRY(err, cudaEventCreate(&e1));
    *best = -1;
    for (int i = 0; i < st->n_cand; i++) {
        c8_error ce = {0};
        ms[i] = -1.0f;
        if (conv_launch(c, st, st->cand[i], io, &ce) != C8_OK) {
            cudaStreamSynchronize(c->stream);
            cudaGetLastError();
            continue;
        }
        float t = 1e30f;
        bool ok = true;
        for (int r = 0; r < CONV_TIME_REPS && ok; r++) {
            cudaEventRecord(e0, c->stream);
            ok = conv_launch(c, st, st->cand[i], io, &ce) == C8_OK;
            cudaEventRecord(e1, c->stream);
            float m = 0;
            if (ok && cudaEventSynchronize(e1) == cudaSuccess &&
                cudaEventElapsedTime(&m, e0, e1) == cudaSuccess)
                t = m < t ? m : t;
            else
                ok = false;
        }
        if (cudaStreamSynchronize(c->stream) != cudaSuccess) ok = false;
        cudaGetLastError();
        if (!ok) continue;
        ms[i] = t;
        if (*best < 0 || t < ms[*best]) *best = i;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    if (*best < 0) return c8_err(err, C8_ERR_DEVICE, "no cuDNN algorithm ran");
    return C8_OK;
}

static void cand_name(conv_cand k, bool transpose, char *buf, size_t len) {
    if (k.algo == -3)
        snprintf(buf, len, "direct_kernel_eq_stride");
    else if (k.algo == -2)
        snprintf(buf, len, "fused_graph_plan%d", k.plan);
    else if (k.algo < 0)
        snprintf(buf, len, "graph_plan%d", k.plan);
    else
        snprintf(buf, len, "%s%d%s", transpose ? "bwd_data_algo" : "fwd_algo", k.algo,
                 k.fused ? "+fused_bias_act" : "");
}

/* ------------------------------------------------------------------ prepare / run */

static c8_status conv_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    conv_state *st = nd->op;
    conv_io io;
    memset(&io, 0, sizeof io);
    io.x = in[0].data;
    io.xs = in[0].shape;
    io.xf = in[0].fmt;
    io.w = st->fp16 ? st->wdev : in[1].data;
    io.bias = n->n_in > 2 && in[2].data ? in[2].data : NULL;
    io.y = out[0].data;
    io.ys = out[0].shape;
    io.yf = out[0].fmt;
    if (res && res->data) {
        io.res = res->data;
        io.rs = res->shape;
        io.rf = res->fmt;
    }
    io.act = (int)n->fusion.act;
    io.act_a = n->fusion.act_a;
    io.act_b = n->fusion.act_b;
    io.ws = c->ws;
    io.ws_bytes = c->ws_bytes;
    if (!st->picked) {
        /* first run of this shape: time the candidates on the real buffers, keep the fastest */
        float ms[CONV_MAX_CAND];
        int best;
        C8_TRY(time_candidates(c, st, &io, ms, &best, err));
        st->pick = st->cand[best];
        st->picked = true;
        nd->lazy = false;
        c->n_lazy_nodes--;
    }
    return conv_launch(c, st, st->pick, &io, err);
}

/* Parses "cudnn:a=<algo>:f=<fused>:x=NxCxHxW", "cudnn:p=<plan>:x=..." (graph plan),
 * "cudnn:q=<plan>:x=..." (fused graph plan) or "cuda:convt_s2k:x=..." (the direct ConvTranspose
 * kernel); true when it names this input shape. */
static bool kernel_choice(const char *k, const c8_shape *xs, conv_cand *out) {
    int a, f, p = 0;
    long long d[4];
    if (sscanf(k, "cuda:convt_s2k:x=%lldx%lldx%lldx%lld", &d[0], &d[1], &d[2], &d[3]) == 4) {
        a = -3;
        f = 0;
    } else if (sscanf(k, "cudnn:a=%d:f=%d:x=%lldx%lldx%lldx%lld", &a, &f, &d[0], &d[1], &d[2],
                      &d[3]) != 6 &&
               sscanf(k, "cudnn:p=%d:x=%lldx%lldx%lldx%lld", &p, &d[0], &d[1], &d[2], &d[3]) != 5 &&
               sscanf(k, "cudnn:q=%d:x=%lldx%lldx%lldx%lld", &p, &d[0], &d[1], &d[2], &d[3]) != 5)
        return false;
    if (!strncmp(k, "cudnn:p=", 8) || !strncmp(k, "cudnn:q=", 8)) {
        a = k[6] == 'q' ? -2 : -1;
        f = 0;
    }
    c8_shape s4 = *xs;
    if (xs->rank == 3) {
        s4.d[3] = xs->d[2];
        s4.d[2] = 1;
    } else if (xs->rank != 4) {
        return false;
    }
    for (int i = 0; i < 4; i++)
        if (s4.d[i] != d[i]) return false;
    out->algo = a;
    out->fused = f;
    out->plan = p;
    return true;
}

/* Geometry, descriptors, weights and candidates of a Conv / FusedConv / ConvTranspose node
 * for the shapes of g; *host_why set (static string) when the GPU cannot run it. */
static c8_status conv_setup(cu_ctx *c, conv_state *st, const c8_backend_engine *e,
                            const c8_graph *g, const c8_node *n, const c8_layer *l,
                            const char **host_why, c8_error *err) {
    *host_why = NULL;
    const c8_value *x = c8_node_input(g, n, 0), *w = c8_node_input(g, n, 1);
    const c8_value *y = c8_node_output(g, n, 0);
    st->fp16 = cu_layer_fp16(l);
    st->transpose = n->op == C8_OP_CONV_TRANSPOSE;
    if (!x || !w || !y || x->dtype != C8_DT_FLOAT || w->kind != C8_VAL_CONST ||
        (x->shape.rank != 3 && x->shape.rank != 4) || w->shape.rank != x->shape.rank) {
        *host_why = "only 1-D / 2-D float convolutions with constant weights run on the GPU";
        return C8_OK;
    }
    const c8_value *b = c8_node_input(g, n, 2);
    if (b && b->kind != C8_VAL_CONST) {
        *host_why = "bias computed at run time";
        return C8_OK;
    }
    st->N = x->shape.d[0];
    st->C = x->shape.d[1];
    st->group = c8_node_attr_i(n, "group", 1);
    st->K = y->shape.d[1];
    const int nsp = x->shape.rank - 2;
    if (!st->transpose) {
        int64_t kern[2] = {w->shape.d[2], nsp == 2 ? w->shape.d[3] : 0};
        c8_error we = {0};
        if (cu_window(g, n, &x->shape, kern, false, &st->w, &we) != C8_OK) {
            *host_why = "window geometry not supported on the GPU";
            return C8_OK;
        }
        st->prepad = st->w.pt != st->w.pb || st->w.pl != st->w.pr;
        st->Hp = st->w.in_h + (st->prepad ? st->w.pt + st->w.pb : 0);
        st->Wp = st->w.in_w + (st->prepad ? st->w.pl + st->w.pr : 0);
        if (st->prepad) {
            c8_shape ps = x->shape;
            if (ps.rank == 4) {
                ps.d[2] = st->Hp;
                ps.d[3] = st->Wp;
            } else {
                ps.d[2] = st->Wp;
            }
            cu_fmt f = st->fp16 ? (cu_fmt){C8CU_F16, 1, 1} : (cu_fmt){C8CU_F32, 0, 1};
            st->prepad_bytes = cu_fmt_bytes(&ps, f);
        }
    } else {
        /* ConvTranspose: pads as convt_geometry (ops/compute.c) derives them */
        cu_win *wn = &st->w;
        memset(wn, 0, sizeof *wn);
        wn->nsp = nsp;
        const int64_t *st_, *dl, *pd, *os;
        size_t nst = c8_node_attr_ints(n, "strides", &st_);
        size_t ndl = c8_node_attr_ints(n, "dilations", &dl);
        size_t npd = c8_node_attr_ints(n, "pads", &pd);
        size_t nos = c8_node_attr_ints(n, "output_shape", &os);
        const char *aps = c8_node_attr_s(n, "auto_pad", "NOTSET");
        bool same_upper = !strcmp(aps, "SAME_UPPER"), same_lower = !strcmp(aps, "SAME_LOWER");
        bool valid = !strcmp(aps, "VALID");
        int64_t pb[2] = {0, 0}, s2[2] = {1, 1}, d2[2] = {1, 1}, k2[2] = {1, 1}, in2[2] = {1, 1},
                out2[2] = {1, 1};
        const int64_t *opad;
        size_t nop = c8_node_attr_ints(n, "output_padding", &opad);
        for (int i = 0; i < nsp; i++) {
            int a = nsp == 1 ? 1 : i;
            s2[a] = nst ? st_[i] : 1;
            d2[a] = ndl ? dl[i] : 1;
            k2[a] = w->shape.d[2 + i];
            in2[a] = x->shape.d[2 + i];
            out2[a] = y->shape.d[2 + i];
            int64_t natural = s2[a] * (in2[a] - 1) + (nop ? opad[i] : 0) + (k2[a] - 1) * d2[a] + 1;
            if (nos || same_upper || same_lower) {
                int64_t total = natural - out2[a] > 0 ? natural - out2[a] : 0;
                pb[a] = same_upper ? total / 2 : total - total / 2;
            } else {
                pb[a] = valid ? 0 : (npd ? pd[i] : 0);
            }
            if (pb[a] < 0) {
                *host_why = "negative ConvTranspose pads";
                return C8_OK;
            }
        }
        wn->in_h = in2[0];
        wn->in_w = in2[1];
        wn->out_h = out2[0];
        wn->out_w = out2[1];
        wn->kh = k2[0];
        wn->kw = k2[1];
        wn->sh = s2[0];
        wn->sw = s2[1];
        wn->dh = d2[0];
        wn->dw = d2[1];
        wn->pt = wn->pb = pb[0];
        wn->pl = wn->pr = pb[1];
        st->Hp = wn->in_h;
        st->Wp = wn->in_w;
        /* kernel = stride, nothing else: the direct kernel is a candidate beside cuDNN's */
        st->direct = st->group == 1 && pb[0] == 0 && pb[1] == 0 && d2[0] == 1 && d2[1] == 1 &&
                     k2[0] == s2[0] && k2[1] == s2[1] && out2[0] == in2[0] * s2[0] &&
                     out2[1] == in2[1] * s2[1] && k2[0] * k2[1] <= C8CU_CONVT_MAX_TAPS &&
                     getenv("C8_CUDA_NO_CONVT_DIRECT") == NULL &&
                     getenv("C8_CUDA_UNVERIFIED") != NULL; /* not yet run on a GPU */
        st->dk = (c8cu_convt_s2k){st->N,           st->C, in2[0], in2[1],
                                  st->K,           k2[0], k2[1],  st->fp16 ? 1 : 0,
                                  C8_REF_ACT_NONE, 0.0f,  0.0f};
    }
    c8_error de = {0};
    c8_status s = make_descs(c, st, e, &de);
    if (s == C8_ERR_UNSUPPORTED) {
        *host_why = "cuDNN cannot express this convolution's geometry";
        return C8_OK;
    }
    if (s != C8_OK) {
        if (err) *err = de;
        return s;
    }
    /* FP16: (K, C/g, kh, kw) -> NHWC filter (K, kh, kw, C/g); ConvTranspose's (C, K/g, kh, kw)
     * becomes (C, kh, kw, K/g) the same way */
    if (st->fp16) C8_TRY(pack_w16(c, st, g, n->in[1], err));
    /* the fused cuDNN call: bias present, ReLU or none, residual in the output's layout */
    st->can_fuse = !st->transpose && b &&
                   (n->fusion.act == C8_ACT_RELU || n->fusion.act == C8_ACT_NONE) &&
                   getenv("C8_CUDA_NO_FUSED_CONV") == NULL;
    if (st->can_fuse) {
        C8_CUDNN_TRY(err, cudnnCreateActivationDescriptor(&st->ad));
        C8_CUDNN_TRY(err, cudnnSetActivationDescriptor(st->ad,
                                                       n->fusion.act == C8_ACT_RELU
                                                           ? CUDNN_ACTIVATION_RELU
                                                           : CUDNN_ACTIVATION_IDENTITY,
                                                       CUDNN_NOT_PROPAGATE_NAN, 0.0));
        if (st->fp16) C8_TRY(bias16(c, st, g, n->in[2], err));
    }
    /* what a fused graph plan computes after the convolution (FP16 layers; ReLU or none) */
    st->f_bias = b != NULL;
    st->f_res = n->fusion.residual >= 0;
    st->f_relu = n->fusion.act == C8_ACT_RELU;
    if (st->transpose || (n->fusion.act != C8_ACT_RELU && n->fusion.act != C8_ACT_NONE))
        st->f_bias = st->f_res = st->f_relu = false;
    c8_error ce = {0};
    if (candidates(c, st, e->tf32, &ce) != C8_OK) {
        *host_why = "cuDNN offers no algorithm for this convolution";
        return C8_OK;
    }
    return C8_OK;
}

static c8_status prepare_common(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                                const c8_layer *l, c8_error *err) {
    conv_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    nd->op_free = conv_free;
    const char *why;
    C8_TRY(conv_setup(c, st, &c->e, g, n, l, &why, err));
    if (why) {
        nd->impl = CU_IMPL_HOST;
        nd->why = why;
        return C8_OK;
    }
    const c8_value *x = c8_node_input(g, n, 0);
    conv_cand k;
    size_t ws = 0;
    if (!st->transpose && l && kernel_choice(l->kernel, &x->shape, &k) && k.algo < 0) {
        /* a graph-API plan chosen at build time for this very shape */
        if (k.algo == -2 ? k.plan < st->n_fplans : k.plan < st->n_plans) {
            k.ws = (size_t)(k.algo == -2 ? st->fplan_ws[k.plan] : st->plan_ws[k.plan]);
            st->pick = k;
            st->picked = true;
            ws = k.ws;
        }
    } else if (!st->transpose && l && kernel_choice(l->kernel, &x->shape, &k)) {
        /* chosen at build time for this very shape */
        size_t need = 0;
        if (cudnnGetConvolutionForwardWorkspaceSize(c->dnn, st->xd, st->wd, st->cd, st->yd,
                                                    (cudnnConvolutionFwdAlgo_t)k.algo,
                                                    &need) == CUDNN_STATUS_SUCCESS &&
            (!k.fused || st->can_fuse)) {
            k.ws = need;
            st->pick = k;
            st->picked = true;
            ws = need;
        }
    }
    if (st->transpose && l && kernel_choice(l->kernel, &x->shape, &k)) {
        /* chosen at build time for this very shape: the direct kernel or cuDNN's algorithm */
        for (int i = 0; i < st->n_cand && !st->picked; i++)
            if (st->cand[i].algo == k.algo) {
                st->pick = st->cand[i];
                st->picked = true;
                ws = st->pick.ws;
            }
    }
    if (!st->picked && st->n_cand == 1) {
        st->pick = st->cand[0];
        st->picked = true;
        ws = st->pick.ws;
    }
    if (!st->picked) {
        for (int i = 0; i < st->n_cand; i++) ws = st->cand[i].ws > ws ? st->cand[i].ws : ws;
        nd->lazy = true;
    }
    nd->ws_bytes = ws + (st->prepad ? (st->prepad_bytes + 255) / 256 * 256 : 0);
    nd->run = conv_run;
    /* operands: x and y in the layer's compute format; the residual as stored for the
     * epilogue (binary16 for FP16 layers), in the output's layout when the fused call may run */
    cu_want io = st->fp16 ? (cu_want){C8CU_F16, 1, 1} : (cu_want){C8CU_F32, 0, 1};
    nd->want_in[0] = io;
    nd->want_out[0] = io;
    nd->want_res = (st->can_fuse || (st->f_res && st->n_fplans > 0))
                       ? io
                       : (st->fp16 ? (cu_want){C8CU_F16, -1, 0} : CU_WANT_ANY);
    return C8_OK;
}

c8_status cu_prepare_conv(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, c8_error *err) {
    return prepare_common(c, nd, g, n, l, err);
}

c8_status cu_prepare_convt(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                           const c8_layer *l, c8_error *err) {
    return prepare_common(c, nd, g, n, l, err);
}

/* ------------------------------------------------------------------ build-time tuning */

/* Random values in [-1, 1) on the host, uploaded (timing on zeros would flatter). */
static c8_status random_dev(cu_ctx *c, size_t bytes, int type, uint64_t seed, void **out,
                            c8_error *err) {
    size_t es = c8cu_type_size(type), cnt = bytes / es;
    unsigned char *h = malloc(bytes ? bytes : 1);
    if (!h) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    uint64_t s = seed;
    for (size_t i = 0; i < cnt; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        float v = (float)((s >> 40) * (1.0 / 8388608.0)) - 1.0f;
        if (type == C8CU_F16)
            ((uint16_t *)h)[i] = c8_fp16_from_f32(v);
        else
            ((float *)h)[i] = v;
    }
    c8_status st = C8_CUDA_CHECK(err, cu_malloc(out, bytes ? bytes : 1));
    if (st == C8_OK)
        st = C8_CUDA_CHECK(err, cudaMemcpyAsync(*out, h, bytes, cudaMemcpyHostToDevice, c->stream));
    if (st == C8_OK) st = C8_CUDA_CHECK(err, cudaStreamSynchronize(c->stream));
    free(h);
    return st;
}

c8_status cu_tune_conv(cu_ctx *c, const c8_backend_engine *e, const c8_graph *g, const c8_node *n,
                       c8_layer *l, const c8_tune_options *opt, c8_error *err) {
    conv_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    const char *why = NULL;
    void *bx = NULL, *by = NULL, *bw = NULL, *bb = NULL, *br = NULL, *bws = NULL;
    c8_status s = conv_setup(c, st, e, g, n, l, &why, err);
    if (s != C8_OK || why) {
        if (s == C8_OK && opt->verbose && opt->log)
            fprintf(opt->log, "cuda: %-40s host fallback: %s\n", l->name, why);
        goto done;
    }
    const c8_value *x = c8_node_input(g, n, 0), *y = c8_node_output(g, n, 0);
    cu_fmt f = st->fp16 ? (cu_fmt){C8CU_F16, 1, 1} : (cu_fmt){C8CU_F32, 0, 1};
    conv_io io;
    memset(&io, 0, sizeof io);
    io.xs = x->shape;
    io.xf = f;
    io.ys = y->shape;
    io.yf = f;
    io.act = (int)n->fusion.act;
    io.act_a = n->fusion.act_a;
    io.act_b = n->fusion.act_b;
    size_t ws = 0;
    for (int i = 0; i < st->n_cand; i++) ws = st->cand[i].ws > ws ? st->cand[i].ws : ws;
    ws += st->prepad ? (st->prepad_bytes + 255) / 256 * 256 : 0;
    s = random_dev(c, cu_fmt_bytes(&x->shape, f), f.type, 1, &bx, err);
    if (s == C8_OK) s = C8_CUDA_CHECK(err, cu_malloc((void **)&by, cu_fmt_bytes(&y->shape, f)));
    if (s == C8_OK && ws) s = C8_CUDA_CHECK(err, cu_malloc((void **)&bws, ws));
    if (s == C8_OK && !st->fp16) {
        const c8_value *w = c8_node_input(g, n, 1);
        s = C8_CUDA_CHECK(err, cu_malloc((void **)&bw, w->nbytes));
        if (s == C8_OK)
            s = C8_CUDA_CHECK(
                err, cudaMemcpyAsync(bw, w->data, w->nbytes, cudaMemcpyHostToDevice, c->stream));
    }
    const c8_value *b = c8_node_input(g, n, 2);
    if (s == C8_OK && b) {
        s = C8_CUDA_CHECK(err, cu_malloc((void **)&bb, b->nbytes));
        if (s == C8_OK)
            s = C8_CUDA_CHECK(
                err, cudaMemcpyAsync(bb, b->data, b->nbytes, cudaMemcpyHostToDevice, c->stream));
    }
    if (s == C8_OK && n->fusion.residual >= 0)
        s = random_dev(c, cu_fmt_bytes(&y->shape, f), f.type, 2, &br, err);
    if (s == C8_OK) s = C8_CUDA_CHECK(err, cudaStreamSynchronize(c->stream));
    if (s != C8_OK) goto done;
    io.x = bx;
    io.y = by;
    io.w = st->fp16 ? st->wdev : bw;
    io.bias = bb;
    if (br) {
        io.res = br;
        io.rs = y->shape;
        io.rf = f;
    }
    io.ws = bws;
    io.ws_bytes = ws;
    float ms[CONV_MAX_CAND];
    int best = -1;
    c8_error te = {0};
    if (time_candidates(c, st, &io, ms, &best, &te) != C8_OK) {
        if (opt->verbose && opt->log)
            fprintf(opt->log, "cuda: %-40s not tuned: %s\n", l->name, te.msg);
        goto done;
    }
    c8_shape s4 = x->shape;
    if (s4.rank == 3) {
        s4.d[3] = s4.d[2];
        s4.d[2] = 1;
    }
    if (st->cand[best].algo == -3)
        snprintf(l->kernel, sizeof l->kernel, "cuda:convt_s2k:x=%lldx%lldx%lldx%lld",
                 (long long)s4.d[0], (long long)s4.d[1], (long long)s4.d[2], (long long)s4.d[3]);
    else if (st->cand[best].algo < 0)
        snprintf(l->kernel, sizeof l->kernel, "cudnn:%c=%d:x=%lldx%lldx%lldx%lld",
                 st->cand[best].algo == -2 ? 'q' : 'p', st->cand[best].plan, (long long)s4.d[0],
                 (long long)s4.d[1], (long long)s4.d[2], (long long)s4.d[3]);
    else
        snprintf(l->kernel, sizeof l->kernel, "cudnn:a=%d:f=%d:x=%lldx%lldx%lldx%lld",
                 st->cand[best].algo, st->cand[best].fused, (long long)s4.d[0], (long long)s4.d[1],
                 (long long)s4.d[2], (long long)s4.d[3]);
    /* the candidates and their timings, kept in the layer (plans, calib8 inspect --plan) */
    l->tuned[0] = '\0';
    for (int i = 0, used = 0; i < st->n_cand; i++) {
        char nm[64];
        cand_name(st->cand[i], st->transpose, nm, sizeof nm);
        int w = ms[i] < 0
                    ? snprintf(l->tuned + used, sizeof l->tuned - (size_t)used, "%s%s=failed",
                               used ? " " : "", nm)
                    : snprintf(l->tuned + used, sizeof l->tuned - (size_t)used, "%s%s=%.4fms%s",
                               used ? " " : "", nm, (double)ms[i], i == best ? "*" : "");
        if (w < 0 || (size_t)w >= sizeof l->tuned - (size_t)used) break;
        used += w;
    }
    if (opt->verbose && opt->log) {
        fprintf(opt->log, "cuda: %-40s %s x %lldx%lldx%lldx%lld:", l->name,
                st->fp16 ? "fp16 NHWC" : (e->tf32 ? "fp32 (tf32)" : "fp32"), (long long)s4.d[0],
                (long long)s4.d[1], (long long)s4.d[2], (long long)s4.d[3]);
        for (int i = 0; i < st->n_cand; i++) {
            char nm[64];
            cand_name(st->cand[i], st->transpose, nm, sizeof nm);
            if (ms[i] < 0)
                fprintf(opt->log, " %s=failed", nm);
            else
                fprintf(opt->log, " %s=%.4fms%s", nm, (double)ms[i], i == best ? "*" : "");
        }
        fprintf(opt->log, "\n");
    }
done:
    if (bx) cudaFree(bx);
    if (by) cudaFree(by);
    if (bw) cudaFree(bw);
    if (bb) cudaFree(bb);
    if (br) cudaFree(br);
    if (bws) cudaFree(bws);
    conv_free(c, st);
    return s;
}
