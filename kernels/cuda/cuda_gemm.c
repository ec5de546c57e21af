/* Gemm and MatMul on the GPU through cuBLASLt. Row-major ONNX matrices are handed to the
 * column-major library transposed: Y^T (N x M) = op(B)^T op(A)^T. FP32 layers compute with
 * CUBLAS_COMPUTE_32F (no TF32) unless the engine was built with --tf32
 * (CUBLAS_COMPUTE_32F_FAST_TF32); FP16 layers multiply binary16 matrices with float32
 * accumulation. Gemm's beta * C, a fused residual and activation follow as one epilogue pass
 * (y = act((alpha * A B + beta * C) + residual), as c8_ref_gemm then c8_ref_epilogue). MatMul
 * broadcasts batch axes (numpy): one strided-batched call when the batches advance evenly,
 * else one call per output matrix. Reference: kernels/ref/gemm.c. */
#include "kernels/cuda/cuda_backend_int.h"

#include "ops/ops.h"
#include "util/shape.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/ref.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define GEMM_WS ((size_t)32 << 20)

enum { W_F16_SAME = 2 }; /* weight cache kind: binary16 copy, same layout */

typedef struct mm_state {
    bool fp16;
    int64_t M, N, K;
    int64_t batch;        /* output matrices */
    bool strided;         /* one strided-batched call */
    int64_t sa, sb;       /* batch strides (elements) for the strided call */
    int64_t *offa, *offb; /* per output matrix, when not strided */
    float alpha, beta;
    bool trans_a, trans_b;
    int64_t c_rows, c_cols; /* Gemm's C broadcast */
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t la, lb, ld; /* the library's A (our B), B (our A), D */
    cublasLtMatmulAlgo_t algo;
    void *b16; /* FP16 layers: constant B as binary16 */
    bool b16_owned;
} mm_state;

static void mm_free(cu_ctx *c, void *p) {
    (void)c;
    mm_state *st = p;
    if (!st) return;
    if (st->op) cublasLtMatmulDescDestroy(st->op);
    if (st->la) cublasLtMatrixLayoutDestroy(st->la);
    if (st->lb) cublasLtMatrixLayoutDestroy(st->lb);
    if (st->ld) cublasLtMatrixLayoutDestroy(st->ld);
    if (st->b16_owned && st->b16) cudaFree(st->b16);
    free(st->offa);
    free(st->offb);
    free(st);
}

static c8_status set_batch(cublasLtMatrixLayout_t l, int64_t count, int64_t stride, c8_error *err) {
    int32_t cnt = (int32_t)count;
    C8_CUBLAS_TRY(err, cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &cnt,
                                                        sizeof cnt));
    C8_CUBLAS_TRY(err, cublasLtMatrixLayoutSetAttribute(
                           l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride));
    return C8_OK;
}

/* Descriptors, layouts and the heuristic's algorithm for st's shapes; false in *ok when
 * cuBLASLt has no algorithm. */
static c8_status mm_setup(cu_ctx *c, mm_state *st, bool *ok, c8_error *err) {
    *ok = false;
    const bool tf32 = c->e.tf32;
    cublasComputeType_t ct =
        st->fp16 ? CUBLAS_COMPUTE_32F : (tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F);
    const cudaDataType_t dt = st->fp16 ? CUDA_R_16F : CUDA_R_32F;
    C8_CUBLAS_TRY(err, cublasLtMatmulDescCreate(&st->op, ct, CUDA_R_32F));
    cublasOperation_t ta = st->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = st->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    C8_CUBLAS_TRY(
        err, cublasLtMatmulDescSetAttribute(st->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    C8_CUBLAS_TRY(
        err, cublasLtMatmulDescSetAttribute(st->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
    const uint64_t ra = (uint64_t)(st->trans_b ? st->K : st->N);
    const uint64_t ca = (uint64_t)(st->trans_b ? st->N : st->K);
    const uint64_t rb = (uint64_t)(st->trans_a ? st->M : st->K);
    const uint64_t cb = (uint64_t)(st->trans_a ? st->K : st->M);
    C8_CUBLAS_TRY(err, cublasLtMatrixLayoutCreate(&st->la, dt, ra, ca, (int64_t)ra));
    C8_CUBLAS_TRY(err, cublasLtMatrixLayoutCreate(&st->lb, dt, rb, cb, (int64_t)rb));
    C8_CUBLAS_TRY(err,
                  cublasLtMatrixLayoutCreate(&st->ld, dt, (uint64_t)st->N, (uint64_t)st->M, st->N));
    if (st->strided && st->batch > 1) {
        C8_TRY(set_batch(st->la, st->batch, st->sb, err));
        C8_TRY(set_batch(st->lb, st->batch, st->sa, err));
        C8_TRY(set_batch(st->ld, st->batch, st->M * st->N, err));
    }
    cublasLtMatmulPreference_t pref;
    C8_CUBLAS_TRY(err, cublasLtMatmulPreferenceCreate(&pref));
    size_t ws = GEMM_WS;
    c8_status s =
        C8_CUBLAS_CHECK(err, cublasLtMatmulPreferenceSetAttribute(
                                 pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    cublasLtMatmulHeuristicResult_t res;
    int got = 0;
    if (s == C8_OK) {
        cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(c->lt, st->op, st->la, st->lb, st->ld,
                                                           st->ld, pref, 1, &res, &got);
        if (hs == CUBLAS_STATUS_SUCCESS && got > 0) {
            st->algo = res.algo;
            *ok = true;
        }
    }
    cublasLtMatmulPreferenceDestroy(pref);
    return s;
}

static c8_status mm_call(cu_ctx *c, mm_state *st, const void *a, const void *b, void *y,
                         c8_error *err) {
    const float alpha = st->alpha, zero = 0.0f;
    const size_t es = st->fp16 ? 2 : 4;
    if (st->strided || st->batch <= 1) {
        C8_CUBLAS_TRY(err,
                      cublasLtMatmul(c->lt, st->op, &alpha, b, st->la, a, st->lb, &zero, y, st->ld,
                                     y, st->ld, &st->algo, c->ws, c->ws_bytes, c->stream));
        return C8_OK;
    }
    for (int64_t i = 0; i < st->batch; i++) {
        const unsigned char *ai = (const unsigned char *)a + (size_t)st->offa[i] * es;
        const unsigned char *bi = (const unsigned char *)b + (size_t)st->offb[i] * es;
        unsigned char *yi = (unsigned char *)y + (size_t)(i * st->M * st->N) * es;
        C8_CUBLAS_TRY(err,
                      cublasLtMatmul(c->lt, st->op, &alpha, bi, st->la, ai, st->lb, &zero, yi,
                                     st->ld, yi, st->ld, &st->algo, c->ws, c->ws_bytes, c->stream));
    }
    return C8_OK;
}

/* y = act((y + beta * C) + residual) over y (M, N) (Gemm only). */
static c8_status gemm_epilogue(cu_ctx *c, mm_state *st, const c8_node *n, cu_tensor *cin,
                               cu_tensor *y, cu_tensor *res, c8_error *err) {
    const bool has_c = cin && cin->data && st->beta != 0.0f;
    const bool has_r = res && res->data;
    if (!has_c && !has_r && n->fusion.act == C8_ACT_NONE) return C8_OK;
    c8cu_view vy = cu_view(y->data, &y->shape, y->fmt), vc, vr;
    if (has_c) {
        memset(&vc, 0, sizeof vc);
        vc.data = cin->data;
        vc.type = cin->fmt.type;
        vc.rank = 2;
        vc.dims[0] = st->M;
        vc.dims[1] = st->N;
        vc.strides[0] = st->c_rows == 1 ? 0 : st->c_cols;
        vc.strides[1] = st->c_cols == 1 ? 0 : 1;
    }
    if (has_r) vr = cu_view(res->data, &res->shape, res->fmt);
    c8cu_ew_params p;
    memset(&p, 0, sizeof p);
    p.op = C8CU_EW_EPILOGUE;
    p.beta = st->beta;
    p.act = (int)n->fusion.act;
    p.act_a = n->fusion.act_a;
    p.act_b = n->fusion.act_b;
    return c8cu_eltwise(&p, &vy, &vy, has_c ? &vc : NULL, has_r ? &vr : NULL, c->stream, err);
}

static c8_status gemm_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    mm_state *st = nd->op;
    const void *b = st->b16 ? st->b16 : in[1].data;
    C8_TRY(mm_call(c, st, in[0].data, b, out[0].data, err));
    return gemm_epilogue(c, st, n, n->n_in > 2 ? &in[2] : NULL, &out[0], res, err);
}

static c8_status matmul_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)g;
    (void)n;
    (void)res;
    mm_state *st = nd->op;
    const void *b = st->b16 ? st->b16 : in[1].data;
    return mm_call(c, st, in[0].data, b, out[0].data, err);
}

/* binary16 copy of a constant float matrix (cached per engine). */
static c8_status const_f16(cu_ctx *c, mm_state *st, const c8_graph *g, int v, c8_error *err) {
    const c8_value *b = &g->vals[v];
    size_t cnt = (size_t)c8_shape_numel(&b->shape);
    uint16_t *h = malloc(cnt * sizeof *h + 1);
    if (!h) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_fp16_from_f32_buf(b->data, h, cnt);
    c8_status s = cu_weights(c, cu_const_stable(g, v) ? b->data : NULL, W_F16_SAME, h,
                             cnt * sizeof *h, &st->b16, &st->b16_owned, err);
    free(h);
    return s;
}

static c8_status finish(cu_ctx *c, cu_node *nd, mm_state *st, const c8_graph *g, const c8_node *n,
                        c8_error *err) {
    bool ok;
    C8_TRY(mm_setup(c, st, &ok, err));
    if (!ok) {
        nd->impl = CU_IMPL_HOST;
        nd->why = "cuBLASLt has no algorithm for this shape";
        return C8_OK;
    }
    const c8_value *b = c8_node_input(g, n, 1);
    if (st->fp16 && b->kind == C8_VAL_CONST) C8_TRY(const_f16(c, st, g, n->in[1], err));
    nd->ws_bytes = GEMM_WS;
    cu_want w = st->fp16 ? (cu_want){C8CU_F16, 0, 1} : (cu_want){C8CU_F32, 0, 1};
    nd->want_in[0] = w;
    nd->want_in[1] = b->kind == C8_VAL_CONST ? CU_WANT_ANY : w;
    nd->want_out[0] = w;
    nd->want_res = st->fp16 ? (cu_want){C8CU_F16, -1, 0} : CU_WANT_ANY;
    /* C is read as a (broadcast) ONNX-layout view; FP16 layers round an activation C first */
    const c8_value *cv = c8_node_input(g, n, 2);
    if (cv)
        nd->want_in[2] =
            (cu_want){(int8_t)(st->fp16 && cv->kind != C8_VAL_CONST ? C8CU_F16 : -1), 0, 1};
    return C8_OK;
}

static bool float_operands(const c8_graph *g, const c8_node *n) {
    for (int k = 0; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->dtype != C8_DT_FLOAT) return false;
    }
    return true;
}

c8_status cu_prepare_gemm(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, c8_error *err) {
    const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
    if (!float_operands(g, n) || a->shape.rank != 2 || b->shape.rank != 2) {
        nd->impl = CU_IMPL_HOST;
        nd->why = "Gemm on non-float or non-matrix operands";
        return C8_OK;
    }
    mm_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    nd->op_free = mm_free;
    st->fp16 = cu_layer_fp16(l);
    st->trans_a = c8_node_attr_i(n, "transA", 0) != 0;
    st->trans_b = c8_node_attr_i(n, "transB", 0) != 0;
    st->alpha = c8_node_attr_f(n, "alpha", 1.0f);
    st->beta = c8_node_attr_f(n, "beta", 1.0f);
    st->M = a->shape.d[st->trans_a ? 1 : 0];
    st->K = a->shape.d[st->trans_a ? 0 : 1];
    st->N = b->shape.d[st->trans_b ? 0 : 1];
    st->batch = 1;
    st->strided = true;
    const c8_value *cv = c8_node_input(g, n, 2);
    st->c_rows = st->c_cols = 1;
    if (cv) {
        st->c_rows = cv->shape.rank == 2 ? cv->shape.d[0] : 1;
        st->c_cols = cv->shape.rank >= 1 ? cv->shape.d[cv->shape.rank - 1] : 1;
    }
    nd->run = gemm_run;
    return finish(c, nd, st, g, n, err);
}

c8_status cu_prepare_matmul(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                            const c8_layer *l, c8_error *err) {
    const c8_value *a = c8_node_input(g, n, 0), *b = c8_node_input(g, n, 1);
    if (!float_operands(g, n) || a->shape.rank < 1 || b->shape.rank < 1) {
        nd->impl = CU_IMPL_HOST;
        nd->why = "MatMul on non-float operands";
        return C8_OK;
    }
    mm_state *st = calloc(1, sizeof *st);
    if (!st) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->op = st;
    nd->op_free = mm_free;
    st->fp16 = cu_layer_fp16(l);
    st->alpha = 1.0f;
    st->beta = 0.0f;
    const int ra = a->shape.rank, rb = b->shape.rank;
    st->M = ra >= 2 ? a->shape.d[ra - 2] : 1;
    st->K = a->shape.d[ra - 1];
    st->N = rb >= 2 ? b->shape.d[rb - 1] : 1;
    c8_shape ab = {ra >= 2 ? ra - 2 : 0, {0}}, bb = {rb >= 2 ? rb - 2 : 0, {0}}, ob;
    for (int i = 0; i < ab.rank; i++) ab.d[i] = a->shape.d[i];
    for (int i = 0; i < bb.rank; i++) bb.d[i] = b->shape.d[i];
    C8_TRY(c8_broadcast2(&ab, "A", &bb, "B", &ob, err));
    st->batch = c8_shape_numel(&ob);
    st->strided = true;
    if (st->batch > 1) {
        st->offa = malloc((size_t)st->batch * sizeof(int64_t));
        st->offb = malloc((size_t)st->batch * sizeof(int64_t));
        if (!st->offa || !st->offb) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        const c8_shape *ins[2] = {&ab, &bb};
        c8_bcast_iter it;
        c8_bcast_iter_init(&it, &ob, ins, 2);
        for (int64_t i = 0; i < st->batch; i++, c8_bcast_iter_next(&it)) {
            st->offa[i] = it.off[0] * st->M * st->K;
            st->offb[i] = it.off[1] * st->K * st->N;
        }
        st->sa = st->offa[1] - st->offa[0];
        st->sb = st->offb[1] - st->offb[0];
        for (int64_t i = 0; i < st->batch && st->strided; i++)
            st->strided = st->offa[i] == i * st->sa && st->offb[i] == i * st->sb;
        /* strided batches only with every operand advancing (no broadcast batch) */
        if (st->sa == 0 || st->sb == 0) st->strided = false;
    }
    nd->run = matmul_run;
    return finish(c, nd, st, g, n, err);
}
