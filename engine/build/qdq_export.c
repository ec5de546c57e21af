/* Q/DQ export: the ONNX model with QuantizeLinear/DequantizeLinear pairs carrying calib8's
 * scales, the explicit-quantization form TensorRT 10/11 and ONNX Runtime deploy from, written as
 * they fuse it (issue 18, part 6: DQ -> Conv -> Q becomes one int8 convolution, QLinearConv in
 * ONNX Runtime).
 *
 * The Q/DQ pairs mirror the engine `calib8 build` makes from the same options (graph passes
 * included), so a Q/DQ runtime sees the same quantization points: a tensor gets
 * QuantizeLinear(T, s) -> DequantizeLinear where that engine holds it as int8 and an INT8 layer
 * reads it, with s the engine's scale for it (the cache's, or for data movement such as Flatten
 * the producer's), symmetric (zero point 0).
 *  - BatchNormalization (and the per-channel Mul/Add/Sub the engine folds) after an INT8 Conv is
 *    folded into the Conv's weights and bias by the engine's own pass (fold_batchnorm) and
 *    removed; the Conv writes the last folded op's output tensor. A BatchNormalization between a
 *    Conv and its Q/DQ pair keeps a runtime from fusing the convolution.
 *  - Conv, Gemm and MatMul weights (folded) become int8 initializers quantized per output
 *    channel by quant/ (the same integers the engine uses) behind a per-axis DequantizeLinear.
 *    A Conv's bias, and a Gemm's (alpha = beta = 1, a vector C), becomes the engine's int32 bias
 *    (scale s_in * s_w[k], zero point 0) behind a per-axis DequantizeLinear, the form a fused
 *    int8 convolution takes.
 *  - Each INT8 Conv, Gemm and MatMul reads a Q/DQ pair of its own (the same values; ONNX Runtime
 *    converts and fuses a QuantizeLinear with a single DequantizeLinear); other readers share one.
 *  - A Relu after an INT8 Conv or Gemm whose output the engine holds as int8 (scale s): its output
 *    gets a Q/DQ pair with the same s too, so that the convolution ends in a QuantizeLinear and
 *    fuses. This adds no rounding: with zero point 0, Q(Relu(y)) = Relu(Q(y)) exactly, so the
 *    Relu's output is the engine's int8 tensor.
 * Tensors inside a fused group (Conv + Add + Relu) stay float, as the engine never rounds them.
 * Everything else in the file (unknown fields included) is kept, since protobuf-c re-serializes
 * what it did not parse. Per-axis DequantizeLinear needs opset >= 13. */
#include "calib8/engine.h"
#include "calib8/quant.h"

#include "engine/engine_internal.h"
#include "engine/model_internal.h"
#include "engine/onnx/onnx.pb-c.h"
#include "engine/passes/passes.h"
#include "util/err.h"
#include "util/fileio.h"

#include <stdlib.h>
#include <string.h>

typedef C8onnx__NodeProto NodeProto;
typedef C8onnx__TensorProto TensorProto;

/* An INT8 Conv with BatchNormalization (etc.) folded into it by fold_batchnorm: the folded float
 * weights and bias (values of the folded graph), and the tensor it now writes. */
typedef struct {
    const char *conv;  /* the ONNX Conv node's name */
    const char *label; /* "CB(conv1+bn1)": the ONNX nodes folded, the Conv first */
    const c8_value *w, *b;
    const char *out; /* the last folded op's output tensor */
} folded_conv;

typedef struct {
    C8onnx__ModelProto *mp;
    const c8_graph *mg;            /* the model's graph: constant data by name */
    const c8_scale_source *scales; /* the activation scales (opt->scales) */
    const char *path;
    /* names already used in the file (inputs, outputs, initializers, node outputs, ours) */
    char **names;
    size_t n_names, cap_names;
    /* tensors that already have a Q/DQ pair: original name -> dequantized name */
    char **done_src, **done_dq;
    size_t n_done, cap_done;
    /* the new node list */
    NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    /* float weights replaced by int8 ones (dropped when unused) */
    char **replaced;
    size_t n_replaced, cap_replaced;
    /* tensors that already have a Q/DQ pair: their scales */
    float *done_scale;
    /* the model graph with fold_batchnorm applied, and its folded INT8 convolutions */
    c8_graph *fg;
    folded_conv *folds;
    int n_folds;
    /* ONNX nodes folded away (freed once the new node list replaces the file's) */
    NodeProto **dropped;
    size_t n_dropped, cap_dropped;
    float *s_w; /* the weight scales of the node being rewritten (its int32 bias needs them) */
    int64_t n_act, n_weights;
    c8_error *err;
} qdq;

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np) return false;
    *p = np;
    *cap = nc;
    return true;
}

static bool name_used(const qdq *q, const char *n) {
    for (size_t i = 0; i < q->n_names; i++)
        if (!strcmp(q->names[i], n)) return true;
    return false;
}

static c8_status use_name(qdq *q, const char *n) {
    if (!grow((void **)&q->names, &q->cap_names, q->n_names + 1, sizeof(char *)) ||
        !(q->names[q->n_names] = strdup(n)))
        return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    q->n_names++;
    return C8_OK;
}

/* A fresh name "<base><suffix>" (numbered if taken), malloc'd and recorded. */
static char *fresh(qdq *q, const char *base, const char *suffix) {
    size_t len = strlen(base) + strlen(suffix) + 24;
    char *n = malloc(len);
    if (!n) return NULL;
    snprintf(n, len, "%s%s", base, suffix);
    for (int k = 1; name_used(q, n); k++) snprintf(n, len, "%s%s_%d", base, suffix, k);
    if (use_name(q, n) != C8_OK) {
        free(n);
        return NULL;
    }
    return n;
}

static TensorProto *new_tensor(const char *name, int32_t dtype, const int64_t *dims, size_t rank,
                               const void *data, size_t nbytes) {
    TensorProto *t = malloc(sizeof *t);
    if (!t) return NULL;
    c8onnx__tensor_proto__init(t);
    t->name = strdup(name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = rank;
    t->dims = rank ? malloc(rank * sizeof(int64_t)) : NULL;
    t->has_raw_data = 1;
    t->raw_data.len = nbytes;
    t->raw_data.data = malloc(nbytes ? nbytes : 1);
    if (!t->name || (rank && !t->dims) || !t->raw_data.data) {
        c8onnx__tensor_proto__free_unpacked(t, NULL);
        return NULL;
    }
    if (rank) memcpy(t->dims, dims, rank * sizeof(int64_t));
    if (nbytes) memcpy(t->raw_data.data, data, nbytes);
    return t;
}

static c8_status add_initializer(qdq *q, TensorProto *t) {
    C8onnx__GraphProto *g = q->mp->graph;
    if (!t) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    TensorProto **ni = realloc(g->initializer, (g->n_initializer + 1) * sizeof *ni);
    if (!ni) {
        c8onnx__tensor_proto__free_unpacked(t, NULL);
        return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    }
    g->initializer = ni;
    g->initializer[g->n_initializer++] = t;
    return C8_OK;
}

static NodeProto *new_node(const char *name, const char *op, const char *const *in, size_t n_in,
                           const char *out, int64_t axis) {
    NodeProto *n = malloc(sizeof *n);
    if (!n) return NULL;
    c8onnx__node_proto__init(n);
    n->name = strdup(name);
    n->op_type = strdup(op);
    n->n_input = n_in;
    n->input = calloc(n_in, sizeof(char *));
    n->n_output = 1;
    n->output = calloc(1, sizeof(char *));
    int ok = n->name && n->op_type && n->input && n->output && (n->output[0] = strdup(out));
    for (size_t i = 0; ok && i < n_in; i++) ok = (n->input[i] = strdup(in[i])) != NULL;
    if (ok && axis >= 0) {
        C8onnx__AttributeProto *a = malloc(sizeof *a);
        n->attribute = malloc(sizeof *n->attribute);
        ok = a && n->attribute;
        if (ok) {
            c8onnx__attribute_proto__init(a);
            a->name = strdup("axis");
            a->has_type = 1;
            a->type = C8ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
            a->has_i = 1;
            a->i = axis;
            n->attribute[0] = a;
            n->n_attribute = 1;
            ok = a->name != NULL;
        } else {
            free(a);
        }
    }
    if (!ok) {
        c8onnx__node_proto__free_unpacked(n, NULL);
        return NULL;
    }
    return n;
}

static c8_status emit(qdq *q, NodeProto *n) {
    if (!n) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    if (!grow((void **)&q->nodes, &q->cap_nodes, q->n_nodes + 1, sizeof(NodeProto *))) {
        c8onnx__node_proto__free_unpacked(n, NULL);
        return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    }
    q->nodes[q->n_nodes++] = n;
    return C8_OK;
}

static const char *done_lookup(const qdq *q, const char *src) {
    for (size_t i = 0; i < q->n_done; i++)
        if (!strcmp(q->done_src[i], src)) return q->done_dq[i];
    return NULL;
}

static c8_status done_add(qdq *q, const char *src, char *dq, float scale) {
    size_t cap = q->cap_done, cap2 = q->cap_done;
    if (!grow((void **)&q->done_src, &cap, q->n_done + 1, sizeof(char *)) ||
        !grow((void **)&q->done_scale, &cap2, q->n_done + 1, sizeof(float)) ||
        !grow((void **)&q->done_dq, &q->cap_done, q->n_done + 1, sizeof(char *)))
        return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    q->done_src[q->n_done] = strdup(src);
    q->done_dq[q->n_done] = dq;
    q->done_scale[q->n_done] = scale;
    if (!q->done_src[q->n_done]) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    q->n_done++;
    return C8_OK;
}

static float done_scale_of(const qdq *q, const char *src) {
    for (size_t i = 0; i < q->n_done; i++)
        if (!strcmp(q->done_src[i], src)) return q->done_scale[i];
    return 0.0f;
}

/* QuantizeLinear -> DequantizeLinear for activation t (per-tensor scale s; 0: the cache's).
 * *s_used (may be NULL): the scale of the pair. own: a pair of the consumer's own, not shared
 * with t's other consumers (the same values: a runtime converts and fuses a QuantizeLinear
 * with a single DequantizeLinear more readily, ONNX Runtime's s8 -> u8 conversion among them). */
static c8_status qdq_activation(qdq *q, const char *t, float s, const char **dq_out, float *s_used,
                                bool own) {
    if (!own && (*dq_out = done_lookup(q, t))) {
        if (s_used) *s_used = done_scale_of(q, t);
        return C8_OK;
    }
    if (!(s > 0.0f) && !q->scales->get(q->scales->user, t, &s))
        return c8_err(q->err, C8_ERR_NOT_FOUND, "tensor '%s' has no scale in the cache", t);
    int8_t zp = 0;
    char *sn = fresh(q, t, "_scale"), *zn = fresh(q, t, "_zero_point");
    char *qn = fresh(q, t, "_quantized"), *dn = fresh(q, t, "_dequantized");
    c8_status st = C8_OK;
    if (!sn || !zn || !qn || !dn) st = c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    if (st == C8_OK) st = add_initializer(q, new_tensor(sn, C8_DT_FLOAT, NULL, 0, &s, 4));
    if (st == C8_OK) st = add_initializer(q, new_tensor(zn, C8_DT_INT8, NULL, 0, &zp, 1));
    const char *qin[3] = {t, sn, zn}, *din[3] = {qn, sn, zn};
    if (st == C8_OK) st = emit(q, new_node(qn, "QuantizeLinear", qin, 3, qn, -1));
    if (st == C8_OK) st = emit(q, new_node(dn, "DequantizeLinear", din, 3, dn, -1));
    if (st == C8_OK) st = done_add(q, own ? dn : t, dn, s); /* the table owns dn */
    free(sn);
    free(zn);
    free(qn);
    if (st != C8_OK) {
        free(dn);
        return st;
    }
    q->n_act++;
    *dq_out = dn;
    if (s_used) *s_used = s;
    return C8_OK;
}

/* int8 initializer + per-axis DequantizeLinear for the float weight w (axis = output channels):
 * the model's constant w, or val (the folded weights; named after w). *scales_out (may be NULL):
 * the per-channel scales, malloc'd (the caller frees them). */
static c8_status qdq_weight(qdq *q, const char *w, const c8_value *val, int axis,
                            const char **dq_out, float **scales_out) {
    if (!scales_out && (*dq_out = done_lookup(q, w))) return C8_OK;
    if (!val) {
        int v = c8_graph_find_value(q->mg, w);
        if (v < 0 || q->mg->vals[v].kind != C8_VAL_CONST || q->mg->vals[v].dtype != C8_DT_FLOAT)
            return c8_err(q->err, C8_ERR_UNSUPPORTED, "%s: weight '%s' is not a float constant",
                          q->path, w);
        val = &q->mg->vals[v];
    }
    const c8_shape *sh = &val->shape;
    if (axis >= sh->rank)
        return c8_err(q->err, C8_ERR_SHAPE, "%s: weight '%s' has rank %d", q->path, w, sh->rank);
    int64_t outer = 1, ch = sh->d[axis], inner = 1;
    for (int i = 0; i < axis; i++) outer *= sh->d[i];
    for (int i = axis + 1; i < sh->rank; i++) inner *= sh->d[i];
    size_t cnt = (size_t)(outer * ch * inner);
    float *scales = malloc((size_t)ch * sizeof(float));
    int8_t *wq = malloc(cnt ? cnt : 1), *zp = calloc((size_t)ch, 1);
    c8_status st = C8_OK;
    char *qn = NULL, *sn = NULL, *zn = NULL, *dn = NULL;
    if (!scales || !wq || !zp) st = c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    if (st == C8_OK)
        st = c8_quant_weight_scales(w, val->data, outer, ch, inner, scales, NULL, q->err);
    if (st == C8_OK) st = c8_quant_weights(w, val->data, outer, ch, inner, scales, wq, q->err);
    if (st == C8_OK) {
        qn = fresh(q, w, "_quantized");
        sn = fresh(q, w, "_scale");
        zn = fresh(q, w, "_zero_point");
        dn = fresh(q, w, "_dequantized");
        if (!qn || !sn || !zn || !dn) st = c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    }
    int64_t cdim = ch;
    if (st == C8_OK)
        st = add_initializer(q, new_tensor(qn, C8_DT_INT8, sh->d, (size_t)sh->rank, wq, cnt));
    if (st == C8_OK)
        st = add_initializer(q, new_tensor(sn, C8_DT_FLOAT, &cdim, 1, scales, (size_t)ch * 4));
    if (st == C8_OK) st = add_initializer(q, new_tensor(zn, C8_DT_INT8, &cdim, 1, zp, (size_t)ch));
    const char *din[3] = {qn, sn, zn};
    if (st == C8_OK) st = emit(q, new_node(dn, "DequantizeLinear", din, 3, dn, axis));
    /* the table owns dn; folded weights are keyed by their new name (each is used once) */
    if (st == C8_OK) st = done_add(q, scales_out ? dn : w, dn, 0.0f);
    if (st == C8_OK && scales_out) {
        *scales_out = scales;
        scales = NULL;
    }
    free(scales);
    free(wq);
    free(zp);
    free(qn);
    free(sn);
    free(zn);
    if (st != C8_OK) {
        free(dn);
        return st;
    }
    q->n_weights++;
    *dq_out = dn;
    return C8_OK;
}

static bool is_const_name(const qdq *q, const char *t) {
    int v = c8_graph_find_value(q->mg, t);
    return v >= 0 && q->mg->vals[v].kind == C8_VAL_CONST;
}

/* Whether ONNX node `name` is a member of fusion label "CBR(conv1+bn1+relu1)". */
static bool label_has(const char *label, const char *name) {
    const char *l = label ? strchr(label, '(') : NULL;
    size_t n = strlen(name);
    while (l && *l) {
        l++;
        size_t k = strcspn(l, "+)");
        if (k == n && !memcmp(l, name, n)) return true;
        l += k;
        if (*l != '+') break;
    }
    return false;
}

/* The engine node (Q8 op) that runs ONNX node `name`, alone or fused, or NULL when it is not in
 * an INT8 layer. */
static const c8_node *int8_layer(const c8_engine *e, const char *name) {
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *n = &e->g->nodes[i];
        if ((n->op < C8_OP_Q8_CONV || n->op > C8_OP_Q8_REQUANTIZE) && n->op != C8_OP_Q8_MUL)
            continue;
        if (!strcmp(n->name, name) || label_has(n->fusion.label, name)) return n;
    }
    return NULL;
}

static c8_status rewire(qdq *q, NodeProto *np, size_t k, const char *to) {
    char *s = strdup(to);
    if (!s) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    free(np->input[k]);
    np->input[k] = s;
    return C8_OK;
}

/* How the engine holds ONNX tensor t: 2 = stored as int8 by its producer (every consumer reads
 * the quantized value), 1 = float with an int8 copy for INT8 consumers ("t/quant"), 0 = float.
 * *scale: the int8 version's scale. */
static int int8_storage(const c8_engine *e, const char *t, float *scale) {
    size_t n = strlen(t);
    int best = 0;
    for (int i = 0; i < e->g->n_vals; i++) {
        const c8_value *v = &e->g->vals[i];
        if (v->dtype != C8_DT_INT8 || v->kind == C8_VAL_CONST) continue;
        if (strncmp(v->name, t, n) != 0) continue;
        const char *rest = v->name + n;
        if (!*rest || !strcmp(rest, "/int8")) {
            *scale = v->scale;
            return 2;
        }
        if (!strcmp(rest, "/quant")) {
            *scale = v->scale;
            best = 1;
        }
    }
    return best;
}

static c8_status add_replaced(qdq *q, const char *t) {
    if (!grow((void **)&q->replaced, &q->cap_replaced, q->n_replaced + 1, sizeof(char *)) ||
        !(q->replaced[q->n_replaced] = strdup(t)))
        return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    q->n_replaced++;
    return C8_OK;
}

/* The engine's int32 bias of an INT8 Conv (c8_quant_bias, as the builder makes it) as an int32
 * initializer behind a per-axis DequantizeLinear with scale s_in * s_w[k] and zero point 0.
 * bias: float (K), or NULL for zeros. red: the products summed per output (C/g * R * S). */
static c8_status qdq_bias32(qdq *q, const char *base, const float *bias, int64_t K, float s_in,
                            const float *s_w, int64_t red, const char **dq_out) {
    int32_t *b32 = calloc((size_t)K, sizeof *b32), *zp = calloc((size_t)K, sizeof *zp);
    float *sc = malloc((size_t)K * sizeof *sc);
    char *qn = NULL, *sn = NULL, *zn = NULL, *dn = NULL;
    c8_status st = b32 && zp && sc ? C8_OK : c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    if (st == C8_OK && bias) st = c8_quant_bias(base, bias, K, s_in, s_w, red, b32, NULL, q->err);
    for (int64_t k = 0; st == C8_OK && k < K; k++) sc[k] = (float)((double)s_in * s_w[k]);
    if (st == C8_OK) {
        qn = fresh(q, base, "_int32");
        sn = fresh(q, base, "_int32_scale");
        zn = fresh(q, base, "_int32_zero_point");
        dn = fresh(q, base, "_dequantized");
        if (!qn || !sn || !zn || !dn) st = c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    }
    size_t nb = (size_t)K * 4;
    if (st == C8_OK) st = add_initializer(q, new_tensor(qn, C8_DT_INT32, &K, 1, b32, nb));
    if (st == C8_OK) st = add_initializer(q, new_tensor(sn, C8_DT_FLOAT, &K, 1, sc, nb));
    if (st == C8_OK) st = add_initializer(q, new_tensor(zn, C8_DT_INT32, &K, 1, zp, nb));
    const char *din[3] = {qn, sn, zn};
    if (st == C8_OK) st = emit(q, new_node(dn, "DequantizeLinear", din, 3, dn, 0));
    if (st == C8_OK)
        st = done_add(q, dn, dn, 0.0f); /* the table owns dn */
    else
        free(dn);
    free(b32);
    free(zp);
    free(sc);
    free(qn);
    free(sn);
    free(zn);
    if (st == C8_OK) *dq_out = dn;
    return st;
}

static const folded_conv *fold_of(const qdq *q, const char *conv) {
    for (int i = 0; i < q->n_folds; i++)
        if (!strcmp(q->folds[i].conv, conv)) return &q->folds[i];
    return NULL;
}

/* Whether ONNX node `name` was folded into a Conv (and is not that Conv). */
static bool folded_away(const qdq *q, const char *name) {
    for (int i = 0; i < q->n_folds; i++)
        if (strcmp(q->folds[i].conv, name) != 0 && label_has(q->folds[i].label, name)) return true;
    return false;
}

/* The proto node writing tensor t, or NULL. */
static const NodeProto *producer(const C8onnx__GraphProto *g, const char *t) {
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_output; k++)
            if (g->node[i]->output[k] && !strcmp(g->node[i]->output[k], t)) return g->node[i];
    return NULL;
}

/* A Relu reading the output t of an INT8 Conv or Gemm, where the engine holds the Relu's output as
 * int8 (scale *s): the Conv's output gets the same Q/DQ pair (see the top of the file). */
static bool relu_after_int8_conv(const qdq *q, const c8_engine *e, const NodeProto *np,
                                 const char *t, float *s) {
    if (!np->op_type || strcmp(np->op_type, "Relu") != 0 || np->n_output < 1) return false;
    const NodeProto *p = producer(q->mp->graph, t);
    if (!p || !p->op_type || !p->name) return false;
    const c8_node *l = int8_layer(e, p->name);
    bool conv = !strcmp(p->op_type, "Conv") && l && l->op == C8_OP_Q8_CONV;
    bool gemm = !strcmp(p->op_type, "Gemm") && l && l->op == C8_OP_Q8_GEMM;
    if (!conv && !gemm) return false;
    return int8_storage(e, np->output[0], s) == 2 && *s > 0.0f;
}

/* An INT8 Conv with BatchNormalization folded into it: weights and bias from the folded graph
 * (input 0 already has its Q/DQ pair, scale s_in), the output renamed to the folded chain's. */
static c8_status rewrite_folded_conv(qdq *q, NodeProto *np, const folded_conv *f, float s_in) {
    char base[512];
    snprintf(base, sizeof base, "%s_bias", f->conv);
    const c8_shape *ws = &f->w->shape;
    int64_t K = ws->d[0], red = 1;
    for (int d = 1; d < ws->rank; d++) red *= ws->d[d];
    const char *wdq, *bdq;
    float *s_w = NULL;
    C8_TRY(qdq_weight(q, np->input[1], f->w, 0, &wdq, &s_w));
    c8_status st = qdq_bias32(q, base, f->b ? f->b->data : NULL, K, s_in, s_w, red, &bdq);
    free(s_w);
    C8_TRY(st);
    C8_TRY(add_replaced(q, np->input[1]));
    C8_TRY(rewire(q, np, 1, wdq));
    if (np->n_input > 2 && np->input[2] && *np->input[2]) {
        C8_TRY(add_replaced(q, np->input[2]));
        C8_TRY(rewire(q, np, 2, bdq));
    } else {
        char **in = realloc(np->input, 3 * sizeof *in);
        if (!in) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
        np->input = in;
        in[2] = NULL;
        np->n_input = 3;
        C8_TRY(rewire(q, np, 2, bdq));
    }
    char *out = strdup(f->out);
    if (!out) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    free(np->output[0]);
    np->output[0] = out;
    return C8_OK;
}

static int64_t attr_i(const NodeProto *np, const char *name, int64_t dflt) {
    for (size_t a = 0; a < np->n_attribute; a++)
        if (!strcmp(np->attribute[a]->name, name)) return np->attribute[a]->i;
    return dflt;
}

static float attr_f(const NodeProto *np, const char *name, float dflt) {
    for (size_t a = 0; a < np->n_attribute; a++)
        if (!strcmp(np->attribute[a]->name, name)) return np->attribute[a]->f;
    return dflt;
}

/* The products summed per output (the bias's reduce length) when input 2 of the weighted node np
 * (Conv, or Gemm with alpha = beta = 1) is a float constant vector of the output channels, which
 * then becomes the engine's int32 bias; 0 otherwise (the bias stays float). */
static int64_t int32_bias_len(const qdq *q, const NodeProto *np, const char *op) {
    if (np->n_input < 3 || !np->input[2] || !*np->input[2]) return 0;
    int vb = c8_graph_find_value(q->mg, np->input[2]),
        vw = c8_graph_find_value(q->mg, np->input[1]);
    if (vb < 0 || vw < 0) return 0;
    const c8_value *b = &q->mg->vals[vb], *w = &q->mg->vals[vw];
    if (b->kind != C8_VAL_CONST || b->dtype != C8_DT_FLOAT || b->shape.rank != 1) return 0;
    if (!strcmp(op, "Conv")) {
        int64_t red = 1;
        for (int d = 1; d < w->shape.rank; d++) red *= w->shape.d[d];
        return w->shape.rank >= 3 && b->shape.d[0] == w->shape.d[0] ? red : 0;
    }
    if (strcmp(op, "Gemm") != 0 || w->shape.rank != 2 || attr_i(np, "transA", 0) != 0 ||
        attr_f(np, "alpha", 1.0f) != 1.0f || attr_f(np, "beta", 1.0f) != 1.0f)
        return 0;
    bool tb = attr_i(np, "transB", 0) != 0;
    int64_t N = tb ? w->shape.d[0] : w->shape.d[1], K = tb ? w->shape.d[1] : w->shape.d[0];
    return b->shape.d[0] == N ? K : 0;
}

/* The dropped node's constant inputs (BatchNormalization's scale, bias, mean, variance) go when
 * nothing reads them any more. */
static c8_status drop_node(qdq *q, NodeProto *np) {
    for (size_t k = 1; k < np->n_input; k++)
        if (np->input[k] && *np->input[k] && is_const_name(q, np->input[k]))
            C8_TRY(add_replaced(q, np->input[k]));
    if (!grow((void **)&q->dropped, &q->cap_dropped, q->n_dropped + 1, sizeof(NodeProto *)))
        return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    q->dropped[q->n_dropped++] = np;
    return C8_OK;
}

static c8_status transform(qdq *q, const c8_engine *e) {
    C8onnx__GraphProto *g = q->mp->graph;
    for (size_t i = 0; i < g->n_input; i++) C8_TRY(use_name(q, g->input[i]->name));
    for (size_t i = 0; i < g->n_initializer; i++) C8_TRY(use_name(q, g->initializer[i]->name));
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_output; k++)
            C8_TRY(use_name(q, g->node[i]->output[k]));
    for (size_t i = 0; i < g->n_node; i++) {
        NodeProto *np = g->node[i];
        char autoname[64];
        const char *name = np->name && *np->name ? np->name : NULL;
        if (!name) {
            snprintf(autoname, sizeof autoname, "%.40s_%zu", np->op_type ? np->op_type : "node", i);
            name = autoname;
        }
        if (folded_away(q, name)) {
            C8_TRY(drop_node(q, np));
            continue;
        }
        const c8_node *l = int8_layer(e, name);
        const char *op = np->op_type ? np->op_type : "";
        bool weighted = l && (l->op == C8_OP_Q8_CONV || l->op == C8_OP_Q8_GEMM) &&
                        (!strcmp(op, "Conv") || !strcmp(op, "Gemm") || !strcmp(op, "MatMul"));
        const folded_conv *f = weighted && !strcmp(op, "Conv") ? fold_of(q, name) : NULL;
        float s_in = 0.0f;
        free(q->s_w); /* the previous node's, if it returned early */
        q->s_w = NULL;
        int64_t red = weighted && !f ? int32_bias_len(q, np, op) : 0;
        for (size_t k = 0; k < np->n_input; k++) {
            const char *t = np->input[k];
            if (!t || !*t) continue;
            if (f && k >= 1) break; /* weights and bias: rewrite_folded_conv */
            const char *dq;
            if (weighted && k == 1) {
                int axis = 0; /* Conv (K, C/g, R, S) and Gemm transB=1 (N, K) */
                if (!strcmp(op, "MatMul")) axis = 1;
                if (!strcmp(op, "Gemm")) {
                    axis = 1;
                    for (size_t a = 0; a < np->n_attribute; a++)
                        if (!strcmp(np->attribute[a]->name, "transB") && np->attribute[a]->i)
                            axis = 0;
                }
                C8_TRY(qdq_weight(q, t, NULL, axis, &dq, red ? &q->s_w : NULL));
                C8_TRY(add_replaced(q, t));
            } else if (weighted && k == 2) {
                if (!red || !q->s_w || !(s_in > 0.0f)) continue; /* the bias stays float */
                int vb = c8_graph_find_value(q->mg, t);
                char base[512];
                snprintf(base, sizeof base, "%s_bias", name);
                c8_status st = qdq_bias32(q, base, q->mg->vals[vb].data, q->mg->vals[vb].shape.d[0],
                                          s_in, q->s_w, red, &dq);
                C8_TRY(st);
                C8_TRY(add_replaced(q, t));
            } else if (is_const_name(q, t)) {
                continue; /* Clip bounds, Reshape shapes, ... */
            } else {
                float sc = 0.0f;
                int st = int8_storage(e, t, &sc);
                if (st == 0 || (st == 1 && !l)) {
                    if (!relu_after_int8_conv(q, e, np, t, &sc)) continue;
                    st = 2;
                }
                C8_TRY(qdq_activation(q, t, sc, &dq, k == 0 ? &s_in : NULL, weighted && k == 0));
            }
            C8_TRY(rewire(q, np, k, dq));
        }
        if (f && !(s_in > 0.0f))
            return c8_err(q->err, C8_ERR_INTERNAL,
                          "%s: node '%s': the INT8 convolution's input has no Q/DQ pair", q->path,
                          name);
        if (f) C8_TRY(rewrite_folded_conv(q, np, f, s_in));
        /* keep the original node (after any Q/DQ it now reads) */
        if (!grow((void **)&q->nodes, &q->cap_nodes, q->n_nodes + 1, sizeof(NodeProto *)))
            return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
        q->nodes[q->n_nodes++] = np;
    }
    free(g->node);
    g->node = q->nodes;
    g->n_node = q->n_nodes;
    q->nodes = NULL;
    q->n_nodes = q->cap_nodes = 0;
    for (size_t i = 0; i < q->n_dropped; i++)
        c8onnx__node_proto__free_unpacked(q->dropped[i], NULL);
    q->n_dropped = 0;
    return C8_OK;
}

/* Drops the float initializers the int8 weights replaced once nothing reads them. */
static void drop_unused(C8onnx__GraphProto *g, char **names, size_t n) {
    for (size_t r = 0; r < n; r++) {
        if (!names[r]) continue;
        bool used = false;
        for (size_t i = 0; !used && i < g->n_node; i++)
            for (size_t k = 0; !used && k < g->node[i]->n_input; k++)
                used = g->node[i]->input[k] && !strcmp(g->node[i]->input[k], names[r]);
        for (size_t i = 0; !used && i < g->n_output; i++)
            used = !strcmp(g->output[i]->name, names[r]);
        if (used) continue;
        size_t w = 0;
        for (size_t i = 0; i < g->n_initializer; i++) {
            if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, names[r]))
                c8onnx__tensor_proto__free_unpacked(g->initializer[i], NULL);
            else
                g->initializer[w++] = g->initializer[i];
        }
        g->n_initializer = w;
        w = 0; /* an IR < 4 model lists initializers as inputs too */
        for (size_t i = 0; i < g->n_input; i++) {
            if (!strcmp(g->input[i]->name, names[r]))
                c8onnx__value_info_proto__free_unpacked(g->input[i], NULL);
            else
                g->input[w++] = g->input[i];
        }
        g->n_input = w;
    }
}

/* The model graph with BatchNormalization folded (the engine's pass, nothing else), and the INT8
 * convolutions of e that it folded something into. */
static c8_status find_folds(qdq *q, const c8_engine *e) {
    q->fg = c8_graph_clone(q->mg);
    if (!q->fg) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    c8_pass_options po;
    c8_pass_options_init(&po);
    for (int p = 0; p < C8_PASS_COUNT_; p++)
        po.enable[p] = p == C8_PASS_FOLD_CONSTANTS || p == C8_PASS_FOLD_BATCHNORM;
    C8_TRY(c8_graph_optimize(q->fg, &po, NULL, q->err));
    q->folds = calloc((size_t)(q->fg->n_nodes ? q->fg->n_nodes : 1), sizeof *q->folds);
    if (!q->folds) return c8_err(q->err, C8_ERR_NOMEM, "out of memory");
    for (int i = 0; i < q->fg->n_nodes; i++) {
        const c8_node *n = &q->fg->nodes[i];
        if ((n->op != C8_OP_CONV && n->op != C8_OP_FUSED_CONV) || !n->fusion.label ||
            !strchr(n->fusion.label, '+') || n->n_in < 2 || n->n_out < 1)
            continue;
        const c8_node *l = int8_layer(e, n->name);
        if (!l || l->op != C8_OP_Q8_CONV) continue;
        const c8_value *w = &q->fg->vals[n->in[1]];
        if (w->kind != C8_VAL_CONST || w->dtype != C8_DT_FLOAT || w->shape.rank < 3) continue;
        const c8_value *b = n->n_in > 2 && n->in[2] >= 0 ? &q->fg->vals[n->in[2]] : NULL;
        if (b && (b->kind != C8_VAL_CONST || b->dtype != C8_DT_FLOAT)) continue;
        q->folds[q->n_folds++] =
            (folded_conv){n->name, n->fusion.label, w, b, q->fg->vals[n->out[0]].name};
    }
    return C8_OK;
}

c8_status c8_export_qdq(const char *model_path, const c8_build_options *opt, const char *out_path,
                        int64_t *n_activations, int64_t *n_weights, c8_error *err) {
    c8_model *m = NULL;
    c8_engine *e = NULL;
    unsigned char *buf = NULL, *packed = NULL;
    size_t len;
    qdq q = {0};
    q.err = err;
    q.path = model_path;
    c8_build_options bo = *opt;
    bo.precision = C8_PREC_INT8;
    bo.log = NULL;
    c8_status s = c8_model_load(model_path, NULL, &m, err);
    if (s == C8_OK && c8_model_opset(m) < 13)
        s = c8_err(err, C8_ERR_UNSUPPORTED,
                   "%s: opset %lld: per-channel DequantizeLinear needs opset 13 or later (upgrade "
                   "the model with onnx.version_converter first)",
                   model_path, (long long)c8_model_opset(m));
    if (s == C8_OK) s = c8_engine_build(m, &bo, &e, err);
    if (s == C8_OK) s = c8_read_file(model_path, 0, &buf, &len, err);
    if (s != C8_OK) goto done;
    q.mp = c8onnx__model_proto__unpack(NULL, len, buf);
    if (!q.mp || !q.mp->graph) {
        s = c8_err(err, C8_ERR_PARSE, "%s: cannot re-read the model", model_path);
        goto done;
    }
    q.mg = c8_model_graph(m);
    q.scales = opt->scales;
    s = find_folds(&q, e);
    if (s == C8_OK) s = transform(&q, e);
    if (s != C8_OK) goto done;
    drop_unused(q.mp->graph, q.replaced, q.n_replaced);
    size_t plen = c8onnx__model_proto__get_packed_size(q.mp);
    packed = malloc(plen ? plen : 1);
    if (!packed) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    c8onnx__model_proto__pack(q.mp, packed);
    s = c8_write_file_atomic(out_path, packed, plen, err);
    if (n_activations) *n_activations = q.n_act;
    if (n_weights) *n_weights = q.n_weights;
done:
    /* after a failed transform, q.nodes mixes the file's nodes (freed with the model) and ours */
    for (size_t i = 0; q.mp && i < q.n_nodes; i++) {
        bool ours = true;
        for (size_t k = 0; ours && k < q.mp->graph->n_node; k++)
            ours = q.mp->graph->node[k] != q.nodes[i];
        if (ours) c8onnx__node_proto__free_unpacked(q.nodes[i], NULL);
    }
    if (q.mp) c8onnx__model_proto__free_unpacked(q.mp, NULL);
    for (size_t i = 0; i < q.n_names; i++) free(q.names[i]);
    free(q.names);
    for (size_t i = 0; i < q.n_done; i++) {
        free(q.done_src[i]);
        free(q.done_dq[i]);
    }
    free(q.done_src);
    free(q.done_dq);
    free(q.done_scale);
    free(q.s_w);
    free(q.folds);
    free(q.dropped);
    c8_graph_destroy(q.fg);
    free(q.nodes);
    for (size_t i = 0; i < q.n_replaced; i++) free(q.replaced[i]);
    free(q.replaced);
    free(packed);
    free(buf);
    c8_engine_destroy(e);
    c8_model_destroy(m);
    return s;
}
