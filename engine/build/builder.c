/* The engine builder: per-layer precision (INT8 where an INT8 kernel exists and every scale it
 * needs is in the calibration cache, else the fallback, with the reason recorded), then lowering
 * into the engine graph (see engine_internal.h): INT8 layers become Q8* ops with quantized
 * weights, int32 biases and requantization multipliers computed by quant/ under the rules of
 * include/calib8/quant.h; Q8Quantize/Q8Dequantize go where precisions meet. */
#include "calib8/engine.h"
#include "calib8/quant.h"

#include "engine/build/builder.h"
#include "engine/engine_internal.h"
#include "ops/geometry.h"
#include "ops/infer.h"
#include "engine/model_internal.h"
#include "ops/ops.h"
#include "kernels/ref/fp16.h"
#include "kernels/ref/int8.h"
#include "util/arith.h"
#include "util/err.h"

#include <float.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- overrides */

typedef struct {
    char *glob;
    c8_precision p;
} override;

static bool parse_precision(const char *s, size_t n, c8_precision *p) {
    if (n == 4 && !strncmp(s, "fp32", 4))
        *p = C8_PREC_FP32;
    else if (n == 4 && !strncmp(s, "fp16", 4))
        *p = C8_PREC_FP16;
    else if (n == 4 && !strncmp(s, "int8", 4))
        *p = C8_PREC_INT8;
    else
        return false;
    return true;
}

const char *c8_precision_name(c8_precision p) {
    return p == C8_PREC_INT8 ? "int8" : p == C8_PREC_FP16 ? "fp16" : "fp32";
}

/* "conv1:fp32,fc*:fp16" -> overrides; split at the last ':' of each item (names may hold ':'). */
static c8_status parse_overrides(const char *spec, override **out, int *n, c8_error *err) {
    *out = NULL;
    *n = 0;
    if (!spec || !*spec) return C8_OK;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = NULL;
        for (size_t i = 0; i < len; i++)
            if (p[i] == ':') colon = p + i;
        c8_precision prec;
        if (!colon || colon == p ||
            !parse_precision(colon + 1, (size_t)(p + len - colon - 1), &prec)) {
            for (int i = 0; i < *n; i++) free((*out)[i].glob);
            free(*out);
            *out = NULL;
            return c8_err(err, C8_ERR_USAGE,
                          "--layer-precision: bad item '%.*s' (expected GLOB:fp32|fp16|int8)",
                          (int)len, p);
        }
        override *no = realloc(*out, (size_t)(*n + 1) * sizeof *no);
        if (!no) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        *out = no;
        no[*n].glob = strndup(p, (size_t)(colon - p));
        no[*n].p = prec;
        (*n)++;
        p += len;
        if (*p == ',') p++;
    }
    return C8_OK;
}

/* The last override whose glob matches the node's name or any ONNX name in its fused label. */
static int match_override(const override *ov, int n_ov, const c8_node *n) {
    int hit = -1;
    for (int i = 0; i < n_ov; i++) {
        if (fnmatch(ov[i].glob, n->name, 0) == 0)
            hit = i;
        else if (n->fusion.label) {
            /* label "CBR(conv1+bn1+relu1)": match each member */
            const char *l = strchr(n->fusion.label, '(');
            char buf[256];
            while (l && *l) {
                l++;
                size_t k = strcspn(l, "+)");
                if (k && k < sizeof buf) {
                    memcpy(buf, l, k);
                    buf[k] = '\0';
                    if (fnmatch(ov[i].glob, buf, 0) == 0) hit = i;
                }
                l += k;
                if (*l != '+') break;
            }
        }
    }
    return hit;
}

static bool shape_equal_decl(const c8_shape *a, const c8_shape *b);

/* ---------------------------------------------------------------- build state */

typedef enum { K_OTHER = 0, K_COMPUTE8 = 1, K_FOLLOW = 2 } node_kind;

typedef struct {
    const c8_graph *src; /* the optimized float graph */
    const c8_build_options *opt;
    const c8_scale_source *scales; /* NULL: no calibration */
    c8_engine *e;                  /* the engine being built (its graph: dst) */
    c8_graph *dst;
    /* per src value: versions in dst (-1 = none) */
    int *as_f32, *as_i8;
    float *scale8; /* scale of the int8 version */
    /* per src node */
    c8_precision *prec;
    char (*reason)[C8_LAYER_REASON_MAX];
    int *kind;
    bool *out_i8; /* COMPUTE8 / FOLLOW node: writes its output as int8 */
    bool resize8; /* the backend resizes int8 (vt->int8_nearest_resize) */
    c8_error *err;
} build;

/* The op table's INT8 column (ops/ops.def): FOLLOW ops move data in whatever precision their
 * input has; the others with an INT8 role have a kernel whose scales int8_capable checks. */
static c8_op_int8 int8_role(c8_op op) { return c8_op_info_of(op)->int8; }

static bool is_follow_op(c8_op op) { return int8_role(op) == C8_I8_FOLLOW; }

/* Data movement on node n's first input in whatever precision it has: the FOLLOW ops, and a
 * nearest Resize (not tf_crop_and_resize, whose extrapolation value is float) with constant
 * parameters where the backend resizes int8 (vt->int8_nearest_resize). */
static bool follow_node(const build *b, const c8_node *n) {
    if (is_follow_op(n->op)) return true;
    if (n->op != C8_OP_RESIZE || !b->resize8) return false;
    if (strcmp(c8_node_attr_s(n, "mode", "nearest"), "nearest") != 0 ||
        strcmp(c8_node_attr_s(n, "coordinate_transformation_mode", "half_pixel"),
               "tf_crop_and_resize") == 0)
        return false;
    for (int k = 1; k < n->n_in; k++)
        if (n->in[k] >= 0 && b->src->vals[n->in[k]].kind != C8_VAL_CONST) return false;
    return true;
}

static bool is_const(const c8_graph *g, int v) { return v >= 0 && g->vals[v].kind == C8_VAL_CONST; }

/* Calibrated scale of tensor v (from the scale source), or false with a reason. */
static bool scale_of(build *b, int v, float *s, char *why, size_t wl) {
    const char *name = b->src->vals[v].name;
    if (!b->scales) {
        snprintf(why, wl, "no calibration cache given");
        return false;
    }
    c8_error e2 = {0};
    if (!b->scales->get(b->scales->user, name, s)) {
        snprintf(why, wl, "tensor '%s' has no scale in the calibration cache", name);
        return false;
    }
    if (c8_quant_check_scale(name, *s, &e2) != C8_OK) {
        snprintf(why, wl, "%.180s", e2.msg);
        return false;
    }
    return true;
}

/* Are a convolution's per-channel multipliers normal float32 numbers, as c8_quant_*_mults
 * require? s_in * s_w,k (dequantization) always, and s_in * s_w,k / s_out where the output has a
 * calibrated scale (requantization). Trained models have near-dead filters whose largest weight
 * is about 1e-36 (PP-OCRv4's squeeze-excitation convolutions): the weight scale is still normal
 * but its product with s_in is not, and such a layer must fall back with this reason instead of
 * failing the whole build. W: (K, C/group, kh, kw) float32 constant. */
static bool conv_mults_ok(build *b, const c8_node *n, float s_in, char *why, size_t wl) {
    const c8_value *w = c8_node_input(b->src, n, 1);
    int64_t K = w->shape.d[0], inner = w->shape.d[1] * w->shape.d[2] * w->shape.d[3];
    float *sw = malloc((size_t)(K > 0 ? K : 1) * sizeof *sw);
    c8_error e2 = {0};
    if (!sw || c8_quant_weight_scales(n->name, w->data, 1, K, inner, sw, NULL, &e2) != C8_OK) {
        snprintf(why, wl, "%.180s", sw ? e2.msg : "out of memory");
        free(sw);
        return false;
    }
    float s_out = 0;
    const c8_value *y = c8_node_output(b->src, n, 0);
    if (y && b->scales->get(b->scales->user, y->name, &s_out) &&
        c8_quant_check_scale(y->name, s_out, &e2) != C8_OK)
        s_out = 0;
    bool ok = true;
    for (int64_t k = 0; k < K && ok; k++) {
        double d = (double)s_in * (double)sw[k];
        double r = s_out > 0 ? d / (double)s_out : 1.0;
        ok = d >= FLT_MIN && d <= FLT_MAX && r >= FLT_MIN && r <= FLT_MAX;
        if (!ok)
            snprintf(why, wl,
                     "output channel %lld: input scale %.3g x weight scale %.3g%s is not a normal "
                     "float32 multiplier (a near-dead filter)",
                     (long long)k, (double)s_in, (double)sw[k], s_out > 0 ? " / output scale" : "");
    }
    free(sw);
    return ok;
}

/* A MatMul between two activations (attention's Q x K^T and P x V): Q8MatMul, both operands
 * quantized per tensor with their cache scales, when the ranks are known and at least 2 and the
 * multiplier s_a * s_b (/ s_out) is a normal float32. */
static bool matmul8_capable(build *b, const c8_node *n, char *why, size_t wl) {
    const c8_value *x = c8_node_input(b->src, n, 0), *w = c8_node_input(b->src, n, 1);
    if (x->shape.rank < 2 || w->shape.rank < 2) {
        snprintf(why, wl, "INT8 MatMul needs operands of known rank >= 2");
        return false;
    }
    if (n->fusion.residual >= 0) {
        snprintf(why, wl, "INT8 MatMul of two activations has no fused residual");
        return false;
    }
    int64_t red = x->shape.d[x->shape.rank - 1];
    if (red > C8_QUANT_MAX_K) {
        snprintf(why, wl, "reduction length %lld exceeds the int32 bound", (long long)red);
        return false;
    }
    float sa, sb, so = 0;
    if (!scale_of(b, n->in[0], &sa, why, wl) || !scale_of(b, n->in[1], &sb, why, wl)) return false;
    char w2[C8_LAYER_REASON_MAX];
    double d = (double)sa * (double)sb;
    double r = scale_of(b, n->out[0], &so, w2, sizeof w2) ? d / (double)so : 1.0;
    if (!(d >= FLT_MIN && d <= FLT_MAX && r >= FLT_MIN && r <= FLT_MAX)) {
        snprintf(why, wl, "scales %.3g x %.3g give no normal float32 multiplier", (double)sa,
                 (double)sb);
        return false;
    }
    return true;
}

/* Mul as Q8Mul: which input is the int8 operand x (an activation of the output's declared shape,
 * the other a float factor per channel or a single value that broadcasts onto it), or -1. */
static int mul8_x(const build *b, const c8_node *n) {
    const c8_graph *g = b->src;
    const c8_value *y = c8_node_output(g, n, 0);
    if (n->n_in != 2 || !y) return -1;
    for (int k = 0; k < 2; k++) {
        const c8_value *x = c8_node_input(g, n, k), *f = c8_node_input(g, n, 1 - k);
        if (!x || !f || is_const(g, n->in[k]) || x->dtype != C8_DT_FLOAT ||
            f->dtype != C8_DT_FLOAT || !shape_equal_decl(&x->shape, &y->shape))
            continue;
        if (c8_op_q8_mul_shapes(&x->shape, &f->shape)) return k;
    }
    return -1;
}

/* Can node n run in INT8? Fills why when not. Needs only the node's own tensors' scales. */
static bool int8_capable(build *b, const c8_node *n, char *why, size_t wl) {
    const c8_graph *g = b->src;
    float s;
    const c8_value *x = c8_node_input(g, n, 0);
    switch (int8_role(n->op)) {
    case C8_I8_CONV: {
        const c8_value *w = c8_node_input(g, n, 1);
        if (!x || x->shape.rank != 4 || !w || w->shape.rank != 4) {
            snprintf(why, wl, "INT8 convolution is 2-D only");
            return false;
        }
        if (!is_const(g, n->in[1]) || (n->n_in > 2 && n->in[2] >= 0 && !is_const(g, n->in[2]))) {
            snprintf(why, wl, "weights or bias are not constant");
            return false;
        }
        int64_t red = w->shape.d[1] * w->shape.d[2] * w->shape.d[3];
        if (red > C8_QUANT_MAX_K) {
            snprintf(why, wl, "reduction length %lld exceeds the int32 bound", (long long)red);
            return false;
        }
        if (n->fusion.residual >= 0 && !scale_of(b, n->fusion.residual, &s, why, wl)) return false;
        return scale_of(b, n->in[0], &s, why, wl) && conv_mults_ok(b, n, s, why, wl);
    }
    case C8_I8_GEMM: {
        const c8_value *w = c8_node_input(g, n, 1);
        if (n->op == C8_OP_MATMUL && w && !is_const(g, n->in[0]) && !is_const(g, n->in[1]))
            return matmul8_capable(b, n, why, wl);
        if (!w || !is_const(g, n->in[1]) || w->shape.rank != 2) {
            snprintf(why, wl, "INT8 %s needs a constant 2-D weight", c8_op_name(n->op));
            return false;
        }
        if (n->op == C8_OP_GEMM) {
            if (c8_node_attr_i(n, "transA", 0)) {
                snprintf(why, wl, "transA=1 is not supported in INT8");
                return false;
            }
            const c8_value *c = c8_node_input(g, n, 2);
            int64_t nn = c8_node_attr_i(n, "transB", 0) ? w->shape.d[0] : w->shape.d[1];
            if (c && (!is_const(g, n->in[2]) ||
                      !(c8_shape_numel(&c->shape) == 1 || c8_shape_numel(&c->shape) == nn) ||
                      (c->shape.rank == 2 && c->shape.d[0] != 1))) {
                snprintf(why, wl, "C must be a constant vector of N elements");
                return false;
            }
            if (!x || x->shape.rank != 2) {
                snprintf(why, wl, "INT8 Gemm needs a 2-D A");
                return false;
            }
        } else if (!x || x->shape.rank < 2) {
            snprintf(why, wl, "INT8 MatMul needs A of rank >= 2");
            return false;
        }
        int64_t red =
            n->op == C8_OP_GEMM && c8_node_attr_i(n, "transB", 0) ? w->shape.d[1] : w->shape.d[0];
        if (red > C8_QUANT_MAX_K) {
            snprintf(why, wl, "reduction length %lld exceeds the int32 bound", (long long)red);
            return false;
        }
        return scale_of(b, n->in[0], &s, why, wl);
    }
    case C8_I8_MAXPOOL:
    case C8_I8_AVGPOOL:
        if (!x || x->shape.rank != 4) {
            snprintf(why, wl, "INT8 pooling is 2-D only");
            return false;
        }
        if (n->n_out > 1 && n->out[1] >= 0) {
            snprintf(why, wl, "MaxPool Indices output");
            return false;
        }
        return scale_of(b, n->in[0], &s, why, wl) &&
               (int8_role(n->op) == C8_I8_MAXPOOL || scale_of(b, n->out[0], &s, why, wl));
    case C8_I8_GLOBAL_AVGPOOL:
        if (!x || x->shape.rank != 4) {
            snprintf(why, wl, "INT8 GlobalAveragePool needs 4-D input");
            return false;
        }
        return scale_of(b, n->in[0], &s, why, wl) && scale_of(b, n->out[0], &s, why, wl);
    case C8_I8_ADD: {
        const c8_value *y = c8_node_input(g, n, 1);
        if (n->n_in != 2 || is_const(g, n->in[0]) || is_const(g, n->in[1]) || !y ||
            !shape_equal_decl(&x->shape, &y->shape)) {
            snprintf(why, wl, "INT8 Add needs two activations of the same shape");
            return false;
        }
        return scale_of(b, n->in[0], &s, why, wl) && scale_of(b, n->in[1], &s, why, wl);
    }
    case C8_I8_CONCAT:
        for (int k = 0; k < n->n_in; k++) {
            if (is_const(g, n->in[k])) {
                snprintf(why, wl, "INT8 Concat of a constant");
                return false;
            }
            if (!scale_of(b, n->in[k], &s, why, wl)) return false;
        }
        return scale_of(b, n->out[0], &s, why, wl);
    case C8_I8_MUL: {
        const int k = mul8_x(b, n);
        if (k < 0) {
            snprintf(why, wl,
                     "INT8 Mul needs an activation times a factor per channel or a single "
                     "one");
            return false;
        }
        float so;
        if (!scale_of(b, n->in[k], &s, why, wl) || !scale_of(b, n->out[0], &so, why, wl))
            return false;
        const double r = (double)s / (double)so;
        if (!(r >= FLT_MIN && r <= FLT_MAX)) {
            snprintf(why, wl, "scales %.3g / %.3g give no normal float32 multiplier", (double)s,
                     (double)so);
            return false;
        }
        return true;
    }
    case C8_I8_UNARY:
        /* the activation's parameters (Clip's bounds) fold into the requantize epilogue */
        for (int k = 1; k < n->n_in; k++)
            if (n->in[k] >= 0 && !is_const(g, n->in[k])) {
                snprintf(why, wl, "%s bounds are not constant", c8_op_name(n->op));
                return false;
            }
        return scale_of(b, n->in[0], &s, why, wl) && scale_of(b, n->out[0], &s, why, wl);
    default: snprintf(why, wl, "no INT8 kernel for %s", c8_op_name(n->op)); return false;
    }
}

/* The declared shapes of two tensors are equal (unknown extents must match as unknown). */
static bool shape_equal_decl(const c8_shape *a, const c8_shape *b) {
    if (a->rank < 0 || a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return false;
    return true;
}

/* Does some consumer of src value v run an INT8 kernel on it (directly, or through a chain of
 * data-movement ops)? */
static bool wants_i8(const build *b, int v, int depth) {
    const c8_graph *g = b->src;
    if (depth > 16) return false;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        bool reads = n->fusion.residual == v;
        for (int k = 0; k < n->n_in; k++) reads |= n->in[k] == v;
        if (!reads) continue;
        if (b->kind[i] == K_COMPUTE8 && b->prec[i] == C8_PREC_INT8) return true;
        if (b->kind[i] == K_FOLLOW && n->in[0] == v && n->out[0] >= 0 &&
            wants_i8(b, n->out[0], depth + 1))
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- emission helpers */

static int engine_layer(build *b, const char *name, const char *op, c8_precision p,
                        c8_layer_role role, const char *reason) {
    int l = c8_engine_add_layer(b->e, name, op, p, role, reason);
    if (l < 0) c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return l;
}

/* Adds a dst value with a unique name derived from base. */
static int new_value(build *b, const char *base, c8_value_kind kind, c8_dtype dt,
                     const c8_shape *s) {
    char *name = c8_graph_unique_name(b->dst, base);
    if (!name) return -1;
    int v = c8_graph_add_value(b->dst, name, kind, dt, s);
    free(name);
    return v;
}

static int new_const(build *b, const char *base, c8_dtype dt, const c8_shape *s, void *data,
                     size_t nbytes) {
    int v = new_value(b, base, C8_VAL_CONST, dt, s);
    if (v < 0) {
        free(data);
        return -1;
    }
    c8_graph_set_const(b->dst, v, dt, s, data, nbytes);
    return v;
}

static c8_status set_attr(build *b, int n, c8_attr *a) {
    c8_status s = c8_node_add_attr(b->dst, n, a, b->err);
    if (s != C8_OK) c8_attr_free(a);
    return s;
}

static c8_status attr_i(build *b, int n, const char *name, int64_t v) {
    c8_attr a = {0};
    a.name = strdup(name);
    a.type = C8_ATTR_INT;
    a.i = v;
    if (!a.name) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return set_attr(b, n, &a);
}

static c8_status attr_f(build *b, int n, const char *name, float v) {
    c8_attr a = {0};
    a.name = strdup(name);
    a.type = C8_ATTR_FLOAT;
    a.f = v;
    if (!a.name) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return set_attr(b, n, &a);
}

static c8_status attr_floats(build *b, int n, const char *name, const float *v, size_t cnt) {
    c8_attr a = {0};
    a.name = strdup(name);
    a.type = C8_ATTR_FLOATS;
    a.n = cnt;
    a.floats = malloc((cnt ? cnt : 1) * sizeof(float));
    if (!a.name || !a.floats) {
        c8_attr_free(&a);
        return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    }
    memcpy(a.floats, v, cnt * sizeof(float));
    return set_attr(b, n, &a);
}

static c8_status attr_act(build *b, int n, const c8_quant_act *act) {
    if (act->kind == C8_QACT_NONE) return C8_OK;
    C8_TRY(attr_i(b, n, "act", act->kind));
    C8_TRY(attr_f(b, n, "act_lo", act->lo));
    C8_TRY(attr_f(b, n, "act_hi", act->hi));
    return attr_f(b, n, "act_alpha", act->alpha);
}

/* Copies the src node's attributes (those named in keep, or all when keep is NULL). */
static c8_status copy_attrs(build *b, int dn, const c8_node *sn, const char *const *keep) {
    for (int i = 0; i < sn->n_attrs; i++) {
        const c8_attr *a = &sn->attrs[i];
        if (keep) {
            bool k = false;
            for (const char *const *p = keep; *p; p++) k |= !strcmp(*p, a->name);
            if (!k) continue;
        }
        c8_attr c = *a;
        c.name = strdup(a->name);
        c.s = a->s ? strdup(a->s) : NULL;
        c.ints = NULL;
        c.floats = NULL;
        c.strings = NULL;
        c.tensor.data = NULL;
        if (a->ints) {
            c.ints = malloc((a->n ? a->n : 1) * sizeof(int64_t));
            if (c.ints) memcpy(c.ints, a->ints, a->n * sizeof(int64_t));
        }
        if (a->floats) {
            c.floats = malloc((a->n ? a->n : 1) * sizeof(float));
            if (c.floats) memcpy(c.floats, a->floats, a->n * sizeof(float));
        }
        if (a->strings) {
            c.strings = calloc(a->n ? a->n : 1, sizeof(char *));
            for (size_t j = 0; c.strings && j < a->n; j++) c.strings[j] = strdup(a->strings[j]);
        }
        if (a->tensor.data) {
            c.tensor.data = malloc(a->tensor.nbytes ? a->tensor.nbytes : 1);
            if (c.tensor.data) memcpy(c.tensor.data, a->tensor.data, a->tensor.nbytes);
        }
        if (!c.name || (a->ints && !c.ints) || (a->floats && !c.floats) ||
            (a->strings && !c.strings) || (a->tensor.data && !c.tensor.data)) {
            c8_attr_free(&c);
            return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        }
        C8_TRY(set_attr(b, dn, &c));
    }
    return C8_OK;
}

static int add_node(build *b, const char *name, const char *op_type, c8_op op, const int *in,
                    int n_in, const int *out, int n_out, int layer) {
    int n = c8_graph_add_node(b->dst, name, op_type, "", op, in, n_in, out, n_out);
    if (n < 0) {
        c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        return -1;
    }
    b->dst->nodes[n].layer = layer;
    return n;
}

/* dst copy of a src constant (float consts of FP16 layers are rounded to binary16 values). */
static int get_const(build *b, int v, bool fp16) {
    const c8_value *sv = &b->src->vals[v];
    if (!fp16 && b->as_f32[v] >= 0) return b->as_f32[v];
    void *data = malloc(sv->nbytes ? sv->nbytes : 1);
    if (!data) return -1;
    memcpy(data, sv->data, sv->nbytes);
    bool round = fp16 && sv->dtype == C8_DT_FLOAT;
    if (round) c8_fp16_round_buf(data, sv->nbytes / sizeof(float));
    char base[512];
    snprintf(base, sizeof base, "%s%s", sv->name, round ? "/fp16" : "");
    int d = new_const(b, base, sv->dtype, &sv->shape, data, sv->nbytes);
    if (!round && d >= 0) b->as_f32[v] = d;
    return d;
}

/* The float32 version of src value v in dst (dequantizing its int8 version if needed). */
static int get_f32(build *b, int v) {
    if (b->as_f32[v] >= 0) return b->as_f32[v];
    const c8_value *sv = &b->src->vals[v];
    if (sv->kind == C8_VAL_CONST) return get_const(b, v, false);
    C8_ASSERT(b->as_i8[v] >= 0);
    char base[512];
    snprintf(base, sizeof base, "%s%s", sv->name, sv->is_output ? "" : "/dequant");
    int d = new_value(b, base, C8_VAL_ACTIVATION, C8_DT_FLOAT, &sv->shape);
    if (d < 0) return -1;
    int l = engine_layer(b, b->dst->vals[d].name, "Q8Dequantize", C8_PREC_INT8, C8_LAYER_REFORMAT,
                         "INT8 -> FP32 for a non-INT8 consumer");
    int in = b->as_i8[v];
    int n = l < 0 ? -1
                  : add_node(b, b->dst->vals[d].name, "Q8Dequantize", C8_OP_Q8_DEQUANTIZE, &in, 1,
                             &d, 1, l);
    if (n < 0 || attr_f(b, n, "scale", b->scale8[v]) != C8_OK) return -1;
    b->as_f32[v] = d;
    return d;
}

/* The int8 version of src value v (quantizing its float version with the cache scale). */
static int get_i8(build *b, int v) {
    if (b->as_i8[v] >= 0) return b->as_i8[v];
    const c8_value *sv = &b->src->vals[v];
    float s;
    char why[C8_LAYER_REASON_MAX];
    if (!scale_of(b, v, &s, why, sizeof why)) {
        c8_err(b->err, C8_ERR_INTERNAL, "%s: %s", b->src->path, why);
        return -1;
    }
    int f = get_f32(b, v);
    if (f < 0) return -1;
    char base[512];
    snprintf(base, sizeof base, "%s/quant", sv->name);
    int d = new_value(b, base, C8_VAL_ACTIVATION, C8_DT_INT8, &sv->shape);
    if (d < 0) return -1;
    b->dst->vals[d].scale = s;
    int l = engine_layer(b, b->dst->vals[d].name, "Q8Quantize", C8_PREC_INT8, C8_LAYER_REFORMAT,
                         "FP32 -> INT8 for an INT8 consumer");
    int n =
        l < 0 ? -1
              : add_node(b, b->dst->vals[d].name, "Q8Quantize", C8_OP_Q8_QUANTIZE, &f, 1, &d, 1, l);
    if (n < 0 || attr_f(b, n, "scale", s) != C8_OK) return -1;
    b->as_i8[v] = d;
    b->scale8[v] = s;
    return d;
}

/* Creates the dst value for src output v of a node: float or int8 (scale s). */
static int out_value(build *b, int v, bool i8, float s) {
    const c8_value *sv = &b->src->vals[v];
    char base[512];
    snprintf(base, sizeof base, "%s%s", sv->name, i8 && sv->is_output ? "/int8" : "");
    int d = new_value(b, base, C8_VAL_ACTIVATION, i8 ? C8_DT_INT8 : sv->dtype, &sv->shape);
    if (d < 0) return -1;
    if (i8) {
        b->dst->vals[d].scale = s;
        b->as_i8[v] = d;
        b->scale8[v] = s;
    } else {
        b->as_f32[v] = d;
    }
    return d;
}

/* ---------------------------------------------------------------- emission: float layers */

static const char *layer_name(const c8_node *n) {
    return n->fusion.label ? n->fusion.label : n->name;
}

static c8_status emit_float(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    bool fp16 = b->prec[i] == C8_PREC_FP16;
    int *in = malloc((size_t)(sn->n_in ? sn->n_in : 1) * sizeof(int));
    int *out = malloc((size_t)(sn->n_out ? sn->n_out : 1) * sizeof(int));
    c8_status s = C8_OK;
    if (!in || !out) {
        s = c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < sn->n_in; k++) {
        int v = sn->in[k];
        in[k] = v < 0 ? -1 : is_const(b->src, v) ? get_const(b, v, fp16) : get_f32(b, v);
        if (v >= 0 && in[k] < 0) goto fail;
    }
    int res = sn->fusion.residual >= 0 ? get_f32(b, sn->fusion.residual) : -1;
    if (sn->fusion.residual >= 0 && res < 0) goto fail;
    for (int k = 0; k < sn->n_out; k++) {
        out[k] = sn->out[k] < 0 ? -1 : out_value(b, sn->out[k], false, 0);
        if (sn->out[k] >= 0 && out[k] < 0) goto fail;
    }
    int l = engine_layer(b, layer_name(sn), c8_op_name(sn->op), b->prec[i], C8_LAYER_COMPUTE,
                         b->reason[i]);
    int n =
        l < 0 ? -1 : add_node(b, sn->name, sn->op_type, sn->op, in, sn->n_in, out, sn->n_out, l);
    if (n < 0) goto fail;
    s = copy_attrs(b, n, sn, NULL);
    if (s != C8_OK) goto done;
    c8_node *dn = &b->dst->nodes[n];
    dn->fusion.act = sn->fusion.act;
    dn->fusion.act_a = sn->fusion.act_a;
    dn->fusion.act_b = sn->fusion.act_b;
    dn->fusion.residual = res;
    if (sn->fusion.label && !(dn->fusion.label = strdup(sn->fusion.label)))
        s = c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    goto done;
fail:
    s = b->err && b->err->code != C8_OK ? b->err->code
                                        : c8_err(b->err, C8_ERR_NOMEM, "out of memory");
done:
    free(in);
    free(out);
    return s;
}

/* ---------------------------------------------------------------- emission: INT8 layers */

/* Quantized weights of one layer. */
typedef struct {
    int w8, bias32, mult; /* dst const values */
} qweights;

/* w: float (outer, channels, inner) view; bias: float (channels) or NULL. */
static c8_status quantize_weights(build *b, const char *name, const float *w, const c8_shape *ws,
                                  int64_t outer, int64_t channels, int64_t inner, const float *bias,
                                  float s_in, bool out_i8, float s_out, qweights *q) {
    c8_status s = C8_OK;
    size_t cnt = (size_t)(outer * channels * inner);
    float *scales = malloc((size_t)channels * sizeof(float));
    int8_t *w8 = malloc(cnt ? cnt : 1);
    float *mult = malloc((size_t)channels * sizeof(float));
    /* A layer without a bias gets a zero int32 bias: Q8Conv/Q8Gemm take the bias as their third
     * input, and the graph check (min_in = 4) refuses a missing one ("required input 2 is
     * missing"), which made every bias-free Conv (Conv + BatchNormalization exports) fail. */
    int32_t *b32 = calloc((size_t)(channels ? channels : 1), sizeof(int32_t));
    if (!scales || !w8 || !mult || !b32) {
        s = c8_err(b->err, C8_ERR_NOMEM, "out of memory quantizing '%s'", name);
        goto fail;
    }
    int64_t nzero = 0, nsat = 0;
    s = c8_quant_weight_scales(name, w, outer, channels, inner, scales, &nzero, b->err);
    if (s == C8_OK) s = c8_quant_weights(name, w, outer, channels, inner, scales, w8, b->err);
    int64_t red = outer * inner; /* products summed per output (per group) */
    if (s == C8_OK && bias)
        s = c8_quant_bias(name, bias, channels, s_in, scales, red, b32, &nsat, b->err);
    if (s == C8_OK)
        s = out_i8 ? c8_quant_requant_mults(name, s_in, scales, channels, s_out, mult, b->err)
                   : c8_quant_dequant_mults(name, s_in, scales, channels, mult, b->err);
    if (s != C8_OK) goto fail;
    if (nsat && b->opt->log)
        fprintf(b->opt->log, "warning: layer '%s': %lld int32 bias value(s) saturated\n", name,
                (long long)nsat);
    free(scales);
    scales = NULL;
    char base[512];
    snprintf(base, sizeof base, "%s/w_int8", name);
    q->w8 = new_const(b, base, C8_DT_INT8, ws, w8, cnt);
    w8 = NULL;
    c8_shape vs = {1, {channels}};
    snprintf(base, sizeof base, "%s/mult", name);
    q->mult = new_const(b, base, C8_DT_FLOAT, &vs, mult, (size_t)channels * sizeof(float));
    mult = NULL;
    snprintf(base, sizeof base, "%s/bias_int32", name);
    q->bias32 = new_const(b, base, C8_DT_INT32, &vs, b32, (size_t)channels * sizeof(int32_t));
    b32 = NULL;
    if (q->bias32 < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    if (q->w8 < 0 || q->mult < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
fail:
    free(scales);
    free(w8);
    free(mult);
    free(b32);
    return s;
}

static float cache_scale(build *b, int v) {
    float s = 0;
    char why[C8_LAYER_REASON_MAX];
    if (!scale_of(b, v, &s, why, sizeof why)) return 0;
    return s;
}

/* The fused activation of a src node, converted for an epilogue with output `out`. */
static c8_status node_act(build *b, const c8_node *sn, c8_quant_out out, float s_out,
                          c8_quant_act *act) {
    c8_quant_act_kind kind = (c8_quant_act_kind)sn->fusion.act;
    float lo = -INFINITY, hi = INFINITY, alpha = 0;
    if (kind == C8_QACT_CLIP || kind == C8_QACT_HARDSWISH) {
        lo = sn->fusion.act_a;
        hi = sn->fusion.act_b;
    } else if (kind == C8_QACT_LEAKY_RELU) {
        alpha = sn->fusion.act_a;
    }
    return c8_quant_act_make(layer_name(sn), kind, lo, hi, alpha, out, s_out, act, b->err);
}

static const char *const k_conv_attrs[] = {"kernel_shape", "strides",  "pads", "dilations",
                                           "group",        "auto_pad", NULL};
static const char *const k_pool_attrs[] = {"kernel_shape",      "strides",  "pads",
                                           "dilations",         "auto_pad", "ceil_mode",
                                           "count_include_pad", NULL};

static c8_status emit_conv8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    const c8_value *w = &b->src->vals[sn->in[1]];
    const c8_value *bias = sn->n_in > 2 && sn->in[2] >= 0 ? &b->src->vals[sn->in[2]] : NULL;
    int x8 = get_i8(b, sn->in[0]);
    if (x8 < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    float s_in = b->scale8[sn->in[0]];
    bool oi8 = b->out_i8[i];
    float s_out = oi8 ? cache_scale(b, sn->out[0]) : 0;
    int64_t K = w->shape.d[0], inner = w->shape.d[1] * w->shape.d[2] * w->shape.d[3];
    qweights q;
    C8_TRY(quantize_weights(b, layer_name(sn), w->data, &w->shape, 1, K, inner,
                            bias ? bias->data : NULL, s_in, oi8, s_out, &q));
    c8_quant_out out = oi8 ? C8_QOUT_INT8 : C8_QOUT_FLOAT;
    c8_quant_act act;
    C8_TRY(node_act(b, sn, out, s_out, &act));
    int in[5] = {x8, q.w8, q.bias32, q.mult, -1};
    int n_in = 4;
    float res_mult = 0;
    if (sn->fusion.residual >= 0) {
        in[4] = get_i8(b, sn->fusion.residual);
        if (in[4] < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
        float s_r = b->scale8[sn->fusion.residual];
        if (oi8)
            C8_TRY(c8_quant_ratio(layer_name(sn), s_r, s_out, &res_mult, b->err));
        else
            res_mult = s_r;
        n_in = 5;
    }
    int y = out_value(b, sn->out[0], oi8, s_out);
    int l = engine_layer(b, layer_name(sn), c8_op_name(sn->op), C8_PREC_INT8, C8_LAYER_COMPUTE,
                         b->reason[i]);
    int n =
        y < 0 || l < 0 ? -1 : add_node(b, sn->name, "Q8Conv", C8_OP_Q8_CONV, in, n_in, &y, 1, l);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    C8_TRY(copy_attrs(b, n, sn, k_conv_attrs));
    C8_TRY(attr_i(b, n, "out", out));
    if (n_in == 5) C8_TRY(attr_f(b, n, "res_mult", res_mult));
    C8_TRY(attr_act(b, n, &act));
    if (sn->fusion.label && !(b->dst->nodes[n].fusion.label = strdup(sn->fusion.label)))
        return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

static c8_status emit_gemm8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    const c8_value *w = &b->src->vals[sn->in[1]];
    bool gemm = sn->op == C8_OP_GEMM;
    bool nk = gemm && c8_node_attr_i(sn, "transB", 0);
    float alpha = gemm ? c8_node_attr_f(sn, "alpha", 1.0f) : 1.0f;
    float beta = gemm ? c8_node_attr_f(sn, "beta", 1.0f) : 1.0f;
    int64_t N = nk ? w->shape.d[0] : w->shape.d[1], K = nk ? w->shape.d[1] : w->shape.d[0];
    int x8 = get_i8(b, sn->in[0]);
    if (x8 < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    float s_in = b->scale8[sn->in[0]];
    bool oi8 = b->out_i8[i];
    float s_out = oi8 ? cache_scale(b, sn->out[0]) : 0;
    /* alpha folds into the weights and beta into the bias, in float32, before quantization */
    size_t cnt = (size_t)(N * K);
    float *wf = malloc(cnt * sizeof(float));
    float *bf = NULL;
    const c8_value *c = gemm && sn->n_in > 2 && sn->in[2] >= 0 ? &b->src->vals[sn->in[2]] : NULL;
    if (!wf) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < cnt; j++) wf[j] = alpha * ((const float *)w->data)[j];
    if (c) {
        bf = malloc((size_t)N * sizeof(float));
        if (!bf) {
            free(wf);
            return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        }
        int64_t cn = c8_shape_numel(&c->shape);
        for (int64_t j = 0; j < N; j++) bf[j] = beta * ((const float *)c->data)[cn == 1 ? 0 : j];
    }
    qweights q;
    c8_status s =
        nk ? quantize_weights(b, layer_name(sn), wf, &w->shape, 1, N, K, bf, s_in, oi8, s_out, &q)
           : quantize_weights(b, layer_name(sn), wf, &w->shape, K, N, 1, bf, s_in, oi8, s_out, &q);
    free(wf);
    free(bf);
    if (s != C8_OK) return s;
    c8_quant_out out = oi8 ? C8_QOUT_INT8 : C8_QOUT_FLOAT;
    c8_quant_act act;
    C8_TRY(node_act(b, sn, out, s_out, &act));
    int in[4] = {x8, q.w8, q.bias32, q.mult};
    int y = out_value(b, sn->out[0], oi8, s_out);
    int l = engine_layer(b, layer_name(sn), c8_op_name(sn->op), C8_PREC_INT8, C8_LAYER_COMPUTE,
                         b->reason[i]);
    int n = y < 0 || l < 0 ? -1 : add_node(b, sn->name, "Q8Gemm", C8_OP_Q8_GEMM, in, 4, &y, 1, l);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    C8_TRY(attr_i(b, n, "b_layout", nk ? C8_INT8_B_NK : C8_INT8_B_KN));
    C8_TRY(attr_i(b, n, "out", out));
    C8_TRY(attr_act(b, n, &act));
    if (sn->fusion.label && !(b->dst->nodes[n].fusion.label = strdup(sn->fusion.label)))
        return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

/* MatMul between two activations: Q8MatMul with mult = s_a * s_b / s_out (int8 output) or
 * s_a * s_b (float output), computed in float64 and rounded once (quant.h). */
static c8_status emit_matmul8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    int a8 = get_i8(b, sn->in[0]);
    int b8 = a8 < 0 ? -1 : get_i8(b, sn->in[1]);
    if (a8 < 0 || b8 < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    float sa = b->scale8[sn->in[0]], sb = b->scale8[sn->in[1]];
    bool oi8 = b->out_i8[i];
    float s_out = oi8 ? cache_scale(b, sn->out[0]) : 0, mult;
    if (oi8)
        C8_TRY(c8_quant_requant_mults(layer_name(sn), sa, &sb, 1, s_out, &mult, b->err));
    else
        C8_TRY(c8_quant_dequant_mults(layer_name(sn), sa, &sb, 1, &mult, b->err));
    c8_quant_act act;
    C8_TRY(node_act(b, sn, oi8 ? C8_QOUT_INT8 : C8_QOUT_FLOAT, s_out, &act));
    int in[2] = {a8, b8};
    int y = out_value(b, sn->out[0], oi8, s_out);
    int l = engine_layer(b, layer_name(sn), "MatMul", C8_PREC_INT8, C8_LAYER_COMPUTE, b->reason[i]);
    int n =
        y < 0 || l < 0 ? -1 : add_node(b, sn->name, "Q8MatMul", C8_OP_Q8_MATMUL, in, 2, &y, 1, l);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    C8_TRY(attr_f(b, n, "mult", mult));
    C8_TRY(attr_act(b, n, &act));
    if (sn->fusion.label && !(b->dst->nodes[n].fusion.label = strdup(sn->fusion.label)))
        return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return attr_i(b, n, "out", oi8 ? C8_QOUT_INT8 : C8_QOUT_FLOAT);
}

/* One-input INT8 layers with int8 output: pools, standalone activations. */
static c8_status emit_unary8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    int x8 = get_i8(b, sn->in[0]);
    if (x8 < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    float s_in = b->scale8[sn->in[0]];
    const c8_op_int8 role = int8_role(sn->op);
    float s_out = role == C8_I8_MAXPOOL ? s_in : cache_scale(b, sn->out[0]);
    c8_op op;
    switch (role) {
    case C8_I8_MAXPOOL: op = C8_OP_Q8_MAXPOOL; break;
    case C8_I8_AVGPOOL: op = C8_OP_Q8_AVGPOOL; break;
    case C8_I8_GLOBAL_AVGPOOL: op = C8_OP_Q8_GLOBAL_AVGPOOL; break;
    default: op = C8_OP_Q8_REQUANTIZE; break; /* C8_I8_UNARY */
    }
    const char *op_type = c8_op_name(op);
    int y = out_value(b, sn->out[0], true, s_out);
    int l = engine_layer(b, layer_name(sn), c8_op_name(sn->op), C8_PREC_INT8, C8_LAYER_COMPUTE,
                         b->reason[i]);
    int n = y < 0 || l < 0 ? -1 : add_node(b, sn->name, op_type, op, &x8, 1, &y, 1, l);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    if (op == C8_OP_Q8_MAXPOOL || op == C8_OP_Q8_AVGPOOL)
        C8_TRY(copy_attrs(b, n, sn, k_pool_attrs));
    if (op == C8_OP_Q8_AVGPOOL || op == C8_OP_Q8_GLOBAL_AVGPOOL) {
        C8_TRY(attr_f(b, n, "s_in", s_in));
        C8_TRY(attr_f(b, n, "s_out", s_out));
    }
    if (op == C8_OP_Q8_REQUANTIZE) {
        float m;
        C8_TRY(c8_quant_ratio(sn->name, s_in, s_out, &m, b->err));
        C8_TRY(attr_f(b, n, "mult", m));
        c8_quant_act_kind kind = C8_QACT_RELU;
        float lo = -INFINITY, hi = INFINITY, alpha = 0;
        if (sn->op == C8_OP_LEAKY_RELU) {
            kind = C8_QACT_LEAKY_RELU;
            alpha = c8_node_attr_f(sn, "alpha", 0.01f);
        } else if (sn->op == C8_OP_CLIP) {
            kind = C8_QACT_CLIP;
            if (b->src->opset < 11) {
                lo = c8_node_attr_f(sn, "min", -INFINITY);
                hi = c8_node_attr_f(sn, "max", INFINITY);
            } else {
                if (sn->n_in > 1 && sn->in[1] >= 0)
                    lo = *(const float *)b->src->vals[sn->in[1]].data;
                if (sn->n_in > 2 && sn->in[2] >= 0)
                    hi = *(const float *)b->src->vals[sn->in[2]].data;
            }
        }
        c8_quant_act act;
        C8_TRY(c8_quant_act_make(sn->name, kind, lo, hi, alpha, C8_QOUT_INT8, s_out, &act, b->err));
        C8_TRY(attr_act(b, n, &act));
    }
    return C8_OK;
}

static c8_status emit_add8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    int a8 = get_i8(b, sn->in[0]);
    int b8 = a8 < 0 ? -1 : get_i8(b, sn->in[1]);
    if (a8 < 0 || b8 < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    float sa = b->scale8[sn->in[0]], sb = b->scale8[sn->in[1]];
    bool oi8 = b->out_i8[i];
    float s_out = oi8 ? cache_scale(b, sn->out[0]) : 0, ma = sa, mb = sb;
    if (oi8) {
        C8_TRY(c8_quant_ratio(sn->name, sa, s_out, &ma, b->err));
        C8_TRY(c8_quant_ratio(sn->name, sb, s_out, &mb, b->err));
    }
    int in[2] = {a8, b8};
    int y = out_value(b, sn->out[0], oi8, s_out);
    int l = engine_layer(b, layer_name(sn), "Add", C8_PREC_INT8, C8_LAYER_COMPUTE, b->reason[i]);
    int n = y < 0 || l < 0 ? -1 : add_node(b, sn->name, "Q8Add", C8_OP_Q8_ADD, in, 2, &y, 1, l);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    C8_TRY(attr_f(b, n, "ma", ma));
    C8_TRY(attr_f(b, n, "mb", mb));
    return attr_i(b, n, "out", oi8 ? C8_QOUT_INT8 : C8_QOUT_FLOAT);
}

static c8_status emit_concat8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    float s_out = cache_scale(b, sn->out[0]);
    int *in = malloc((size_t)sn->n_in * sizeof(int));
    float *mults = malloc((size_t)sn->n_in * sizeof(float));
    c8_status s = C8_OK;
    if (!in || !mults) {
        s = c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < sn->n_in && s == C8_OK; k++) {
        in[k] = get_i8(b, sn->in[k]);
        if (in[k] < 0)
            s = b->err->code ? b->err->code : C8_ERR_NOMEM;
        else
            s = c8_quant_ratio(sn->name, b->scale8[sn->in[k]], s_out, &mults[k], b->err);
    }
    if (s != C8_OK) goto done;
    int y = out_value(b, sn->out[0], true, s_out);
    int l = engine_layer(b, layer_name(sn), "Concat", C8_PREC_INT8, C8_LAYER_COMPUTE, b->reason[i]);
    int n = y < 0 || l < 0
                ? -1
                : add_node(b, sn->name, "Q8Concat", C8_OP_Q8_CONCAT, in, sn->n_in, &y, 1, l);
    if (n < 0) {
        s = c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    s = attr_i(b, n, "axis", c8_node_attr_i(sn, "axis", 1));
    if (s == C8_OK) s = attr_floats(b, n, "mults", mults, (size_t)sn->n_in);
done:
    free(in);
    free(mults);
    return s;
}

/* Mul of an int8 activation by a float factor (a squeeze-excitation gate): Q8Mul, the factor
 * float, int8 out at the output's cache scale. */
static c8_status emit_mul8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    const int k = mul8_x(b, sn);
    if (k < 0) return c8_err(b->err, C8_ERR_INTERNAL, "INT8 Mul '%s' lost its form", sn->name);
    const int fv = sn->in[1 - k];
    int in[2] = {get_i8(b, sn->in[k]), -1};
    if (in[0] < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    in[1] = is_const(b->src, fv) ? get_const(b, fv, false) : get_f32(b, fv);
    if (in[1] < 0) return b->err->code ? b->err->code : C8_ERR_NOMEM;
    const float s_out = cache_scale(b, sn->out[0]);
    float m;
    C8_TRY(c8_quant_ratio(sn->name, b->scale8[sn->in[k]], s_out, &m, b->err));
    int y = out_value(b, sn->out[0], true, s_out);
    int l = engine_layer(b, layer_name(sn), "Mul", C8_PREC_INT8, C8_LAYER_COMPUTE, b->reason[i]);
    int n = y < 0 || l < 0 ? -1 : add_node(b, sn->name, "Q8Mul", C8_OP_Q8_MUL, in, 2, &y, 1, l);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return attr_f(b, n, "mult", m);
}

/* A data-movement op on int8 data: same op, int8 in and out, the input's scale. */
static c8_status emit_follow8(build *b, int i) {
    const c8_node *sn = &b->src->nodes[i];
    int *in = malloc((size_t)sn->n_in * sizeof(int));
    if (!in) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    in[0] = b->as_i8[sn->in[0]];
    for (int k = 1; k < sn->n_in; k++) {
        int v = sn->in[k];
        in[k] = v < 0 ? -1 : is_const(b->src, v) ? get_const(b, v, false) : get_f32(b, v);
    }
    int y = out_value(b, sn->out[0], true, b->scale8[sn->in[0]]);
    int l = engine_layer(b, layer_name(sn), c8_op_name(sn->op), C8_PREC_INT8, C8_LAYER_COMPUTE,
                         "data movement on INT8 data (keeps the input's scale)");
    int n =
        y < 0 || l < 0 ? -1 : add_node(b, sn->name, sn->op_type, sn->op, in, sn->n_in, &y, 1, l);
    free(in);
    if (n < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    return copy_attrs(b, n, sn, NULL);
}

/* ---------------------------------------------------------------- the driver */

/* Whether src value v comes from an INT8 layer (through data movement), as decided so far (the
 * nodes are in topological order, so its producer is decided). */
static bool int8_source(const build *b, int v) {
    const c8_graph *g = b->src;
    for (int hops = 0; v >= 0 && hops < g->n_nodes; hops++) {
        const int p = g->vals[v].producer;
        if (p < 0) return false;
        if (b->kind[p] != K_FOLLOW) return b->prec[p] == C8_PREC_INT8;
        v = g->nodes[p].in[0];
    }
    return false;
}

static bool is_compute8_op(c8_op op) {
    c8_op_int8 r = int8_role(op);
    return r != C8_I8_NONE && r != C8_I8_FOLLOW;
}

/* Decides every src node's precision; fills reason. */
static c8_status decide(build *b, const override *ov, int n_ov) {
    const c8_graph *g = b->src;
    const c8_build_options *opt = b->opt;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        int o = match_override(ov, n_ov, n);
        c8_precision want = o >= 0 ? ov[o].p : opt->precision;
        b->kind[i] = follow_node(b, n) ? K_FOLLOW : is_compute8_op(n->op) ? K_COMPUTE8 : K_OTHER;
        bool has_float_out = false;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && g->vals[n->out[k]].dtype == C8_DT_FLOAT) has_float_out = true;
        if (b->kind[i] == K_FOLLOW || !has_float_out) {
            b->prec[i] = C8_PREC_FP32;
            snprintf(b->reason[i], C8_LAYER_REASON_MAX, "%s",
                     has_float_out ? "data movement (follows its input)" : "not a float layer");
            continue;
        }
        if (want != C8_PREC_INT8) {
            b->prec[i] = want;
            snprintf(b->reason[i], C8_LAYER_REASON_MAX, "%s%s%s",
                     o >= 0 ? "--layer-precision '" : "requested precision",
                     o >= 0 ? ov[o].glob : "", o >= 0 ? "'" : "");
            continue;
        }
        char why[C8_LAYER_REASON_MAX];
        if (b->kind[i] == K_COMPUTE8 && int8_capable(b, n, why, sizeof why)) {
            b->prec[i] = C8_PREC_INT8;
            snprintf(b->reason[i], C8_LAYER_REASON_MAX, "INT8 kernel; scales from the cache%s%s%s",
                     o >= 0 ? " (--layer-precision '" : "", o >= 0 ? ov[o].glob : "",
                     o >= 0 ? "')" : "");
            continue;
        }
        if (b->kind[i] != K_COMPUTE8)
            snprintf(why, sizeof why, "no INT8 kernel for %s", c8_op_name(n->op));
        if (opt->strict)
            return c8_err(b->err, C8_ERR_UNSUPPORTED,
                          "%s: layer '%s' (%s) cannot run in INT8 (--strict): %s", g->path,
                          layer_name(n), c8_op_name(n->op), why);
        b->prec[i] = opt->fallback == C8_PREC_FP16 ? C8_PREC_FP16 : C8_PREC_FP32;
        snprintf(b->reason[i], C8_LAYER_REASON_MAX, "fallback: %.180s", why);
    }
    /* An activation alone in INT8 between float layers (a float producer, no INT8 reader)
     * would quantize its input only to requantize it and dequantize it again: in float it is
     * one pass and adds no rounding (the PP-OCRv4 detector's ReLU between its two
     * ConvTransposes). Nodes are in topological order, so each producer is decided; no reader
     * changes (none is INT8), so nothing else needs deciding again. */
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (b->prec[i] != C8_PREC_INT8 || int8_role(n->op) != C8_I8_UNARY ||
            match_override(ov, n_ov, n) >= 0 || int8_source(b, n->in[0]) ||
            wants_i8(b, n->out[0], 0))
            continue;
        b->prec[i] = opt->fallback == C8_PREC_FP16 ? C8_PREC_FP16 : C8_PREC_FP32;
        snprintf(b->reason[i], C8_LAYER_REASON_MAX,
                 "fallback: between float layers (INT8 would only add reformats)");
    }
    /* Output storage of INT8 layers: int8 when some consumer runs INT8 on it. */
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        b->out_i8[i] = false;
        if (b->prec[i] != C8_PREC_INT8) continue;
        switch (int8_role(n->op)) {
        case C8_I8_CONV:
        case C8_I8_GEMM:
        case C8_I8_ADD: {
            float s;
            char why[C8_LAYER_REASON_MAX];
            b->out_i8[i] = n->fusion.act != C8_ACT_SIGMOID && !c8_node_attr(n, "c8_out_names") &&
                           wants_i8(b, n->out[0], 0) && scale_of(b, n->out[0], &s, why, sizeof why);
            break;
        }
        default: b->out_i8[i] = true; break;
        }
    }
    return C8_OK;
}

static c8_status emit_all(build *b) {
    const c8_graph *g = b->src;
    /* graph inputs keep their names and types */
    b->dst->inputs = malloc((size_t)(g->n_inputs ? g->n_inputs : 1) * sizeof(int));
    b->dst->outputs = malloc((size_t)(g->n_outputs ? g->n_outputs : 1) * sizeof(int));
    if (!b->dst->inputs || !b->dst->outputs) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_inputs; i++) {
        const c8_value *sv = &g->vals[g->inputs[i]];
        int d = c8_graph_add_value(b->dst, sv->name, C8_VAL_INPUT, sv->dtype, &sv->shape);
        if (d < 0) return c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        b->dst->inputs[b->dst->n_inputs++] = d;
        b->as_f32[g->inputs[i]] = d;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        c8_status s;
        if (b->prec[i] == C8_PREC_INT8) {
            switch (int8_role(n->op)) {
            case C8_I8_CONV: s = emit_conv8(b, i); break;
            case C8_I8_GEMM:
                s = is_const(g, n->in[1]) ? emit_gemm8(b, i) : emit_matmul8(b, i);
                break;
            case C8_I8_ADD: s = emit_add8(b, i); break;
            case C8_I8_CONCAT: s = emit_concat8(b, i); break;
            case C8_I8_MUL: s = emit_mul8(b, i); break;
            default: s = emit_unary8(b, i); break; /* pools and activations */
            }
        } else if (b->kind[i] == K_FOLLOW && b->as_i8[n->in[0]] >= 0 && b->as_f32[n->in[0]] < 0 &&
                   n->n_out == 1 && wants_i8(b, n->out[0], 0)) {
            s = emit_follow8(b, i);
        } else {
            s = emit_float(b, i);
        }
        if (s != C8_OK) return s;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int d = get_f32(b, g->outputs[i]);
        if (d < 0)
            return b->err->code ? b->err->code : c8_err(b->err, C8_ERR_NOMEM, "out of memory");
        b->dst->vals[d].is_output = true;
        b->dst->outputs[b->dst->n_outputs++] = d;
    }
    return C8_OK;
}

c8_status c8_builder_lower(const c8_graph *src, const c8_build_options *opt,
                           const c8_scale_source *scales, c8_engine *e, c8_error *err) {
    const char *spec = opt->layer_precision;
    override *ov = NULL;
    int n_ov = 0;
    C8_TRY(parse_overrides(spec, &ov, &n_ov, err));
    build b = {0};
    b.src = src;
    b.opt = opt;
    b.scales = scales;
    b.e = e;
    b.dst = e->g;
    b.err = err;
    c8_error ve = {0};
    const c8_backend_vt *vt = c8_backend_get(opt->device, &ve);
    b.resize8 = vt && vt->int8_nearest_resize;
    size_t nv = (size_t)(src->n_vals ? src->n_vals : 1),
           nn = (size_t)(src->n_nodes ? src->n_nodes : 1);
    b.as_f32 = malloc(nv * sizeof(int));
    b.as_i8 = malloc(nv * sizeof(int));
    b.scale8 = calloc(nv, sizeof(float));
    b.prec = calloc(nn, sizeof *b.prec);
    b.reason = calloc(nn, sizeof *b.reason);
    b.kind = calloc(nn, sizeof(int));
    b.out_i8 = calloc(nn, sizeof(bool));
    c8_status s = C8_OK;
    if (!b.as_f32 || !b.as_i8 || !b.scale8 || !b.prec || !b.reason || !b.kind || !b.out_i8) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < nv; v++) b.as_f32[v] = b.as_i8[v] = -1;
    s = decide(&b, ov, n_ov);
    if (s == C8_OK) s = emit_all(&b);
    if (s == C8_OK) s = c8_graph_finalize(b.dst, err);
    if (s == C8_OK) s = c8_graph_check_ops(b.dst, err);
    if (s == C8_OK) s = c8_graph_infer(b.dst, false, NULL, err);
done:
    for (int i = 0; i < n_ov; i++) free(ov[i].glob);
    free(ov);
    free(b.as_f32);
    free(b.as_i8);
    free(b.scale8);
    free(b.prec);
    free(b.reason);
    free(b.kind);
    free(b.out_i8);
    return s;
}
