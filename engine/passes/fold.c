/* fold_batchnorm: BatchNormalization, and Mul/Add/Sub by per-channel constants, folded into the
 * weights and bias of the preceding Conv / ConvTranspose / Gemm (engine/passes/passes.h).
 *
 * A chain P -> op1 -> op2 ... of such ops, each the only reader of the previous tensor, is one
 * per-channel affine map y' = y * s[k] + t[k]; s and t are composed in float64 and applied once:
 *   Conv           W'[k,...] = W[k,...] * s[k]             b'[k] = b[k] * s[k] + t[k]
 *   ConvTranspose  W'[c,j,...] = W[c,j,...] * s[o(c,j)]    (o: the output channel of (c, j))
 *   Gemm           B' column n scaled by s[n]              C'[r,n] = beta*C[r,n]*s[n] + t[n],
 * beta=1 then rounded to float32 (round to nearest). BN: s = gamma / sqrt(var + eps), t = beta -
 * mean*s. The new weights are new constants (the old ones may be shared with other nodes). */
#include "engine/passes/passes.h"

#include "engine/passes/passes_int.h"
#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Output channel count of a foldable producer, or -1 if it is not foldable. */
static int64_t producer_channels(const c8_graph *g, const c8_node *p) {
    if (p->dead || p->n_out != 1 || p->out[0] < 0 || p->n_in < 2) return -1;
    if (p->fusion.act != C8_ACT_NONE || p->fusion.residual >= 0) return -1;
    if (!c8p_is_float_const(g, p->in[1])) return -1;
    if (p->n_in > 2 && p->in[2] >= 0 && !c8p_is_float_const(g, p->in[2])) return -1;
    if (g->vals[p->out[0]].dtype != C8_DT_FLOAT) return -1;
    const c8_shape *ws = &g->vals[p->in[1]].shape;
    switch (p->op) {
    case C8_OP_CONV:
    case C8_OP_FUSED_CONV:
        if (ws->rank < 3) return -1;
        return ws->d[0];
    case C8_OP_CONV_TRANSPOSE: {
        int64_t group = c8_node_attr_i(p, "group", 1);
        if (ws->rank < 3 || group < 1 || ws->d[0] % group != 0) return -1;
        return ws->d[1] * group;
    }
    case C8_OP_GEMM:
        if (ws->rank != 2 || g->opset < 7)
            return -1; /* Gemm before 7: C's broadcast is an attribute */
        return c8_node_attr_i(p, "transB", 0) ? ws->d[0] : ws->d[1];
    default: return -1;
    }
}

/* Output rank of a foldable producer: the weight's rank for convolutions, 2 for Gemm. */
static int producer_rank(const c8_graph *g, const c8_node *p) {
    return p->op == C8_OP_GEMM ? 2 : g->vals[p->in[1]].shape.rank;
}

/* Constant c broadcasts per channel onto an output of rank r with K channels on axis 1: a
 * scalar, or right-aligned extents that are all 1 except the channel axis (K or 1); its rank
 * is at most r so the output shape does not change. */
static bool per_channel(const c8_graph *g, int c, int r, int64_t K) {
    if (!c8p_is_float_const(g, c)) return false;
    const c8_shape *s = &g->vals[c].shape;
    if (s->rank > r) return false;
    for (int i = 0; i < s->rank; i++) {
        int axis = r - s->rank + i;
        if (s->d[i] == 1) continue;
        if (axis != 1 || s->d[i] != K) return false;
    }
    return true;
}

/* Value of per-channel constant c for channel k. */
static double chan_value(const c8_graph *g, int c, int64_t k) {
    const c8_value *v = &g->vals[c];
    const float *d = v->data;
    return c8_shape_numel(&v->shape) == 1 ? (double)d[0] : (double)d[k];
}

/* If node ci (reading value cur) is a foldable per-channel affine op, composes it into (s, t). */
static bool compose(const c8_graph *g, const c8_node *c, int cur, int r, int64_t K, double *s,
                    double *t) {
    if (c->dead || c->n_out < 1 || c->out[0] < 0) return false;
    switch (c->op) {
    case C8_OP_BATCHNORM: {
        if (c->in[0] != cur || c->n_in != 5) return false;
        for (int k = 1; k < 5; k++) {
            if (!c8p_is_float_const(g, c->in[k])) return false;
            const c8_shape *ps = &g->vals[c->in[k]].shape;
            if (ps->rank != 1 || ps->d[0] != K) return false;
        }
        for (int k = 1; k < c->n_out; k++)
            if (c->out[k] >= 0) return false;
        const double eps = (double)c8_node_attr_f(c, "epsilon", 1e-5f);
        const float *gam = g->vals[c->in[1]].data, *bet = g->vals[c->in[2]].data;
        const float *mean = g->vals[c->in[3]].data, *var = g->vals[c->in[4]].data;
        for (int64_t k = 0; k < K; k++) {
            double a = (double)gam[k] / sqrt((double)var[k] + eps);
            s[k] *= a;
            t[k] = t[k] * a + ((double)bet[k] - (double)mean[k] * a);
        }
        return true;
    }
    case C8_OP_MUL:
    case C8_OP_ADD:
    case C8_OP_SUB: {
        if (c->n_in != 2 || c->in[0] < 0 || c->in[1] < 0) return false;
        int side = c->in[0] == cur ? 1 : (c->in[1] == cur ? 0 : -1);
        if (side < 0 || c->in[side] == cur) return false;
        if (c->op == C8_OP_SUB && side != 1) return false; /* const - y negates y: not worth it */
        if (g->vals[c->out[0]].dtype != C8_DT_FLOAT) return false;
        int cv = c->in[side];
        if (!per_channel(g, cv, r, K)) return false;
        for (int64_t k = 0; k < K; k++) {
            double v = chan_value(g, cv, k);
            if (c->op == C8_OP_MUL) {
                s[k] *= v;
                t[k] *= v;
            } else if (c->op == C8_OP_ADD) {
                t[k] += v;
            } else {
                t[k] -= v;
            }
        }
        return true;
    }
    default: return false;
    }
}

/* v rounded to float32; *ok cleared when v is outside the float range or not finite (the fold is
 * then abandoned: the unfolded graph computes what it computes, with no conversion UB here). */
static float to_f32(double v, bool *ok) {
    if (!(fabs(v) <= FLT_MAX)) {
        *ok = false;
        return 0.0f;
    }
    return (float)v;
}

/* Replaces P's weight and bias by the folded ones; *done is false (and g untouched) when a folded
 * value would not be a finite float32. */
static c8_status apply(c8_graph *g, int pi, int64_t K, const double *s, const double *t, bool *done,
                       c8_error *err) {
    bool ok = true;
    *done = false;
    const c8_node *p = &g->nodes[pi];
    const c8_value *wv = &g->vals[p->in[1]];
    const c8_value *bv = (p->n_in > 2 && p->in[2] >= 0) ? &g->vals[p->in[2]] : NULL;
    const int64_t wn = c8_shape_numel(&wv->shape);
    const c8_shape wshape = wv->shape;
    float *w = malloc((size_t)(wn ? wn : 1) * sizeof(float));
    if (!w)
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory folding into '%s'", g->path, p->name);
    const float *w0 = wv->data;
    if (p->op == C8_OP_GEMM) {
        const bool tb = c8_node_attr_i(p, "transB", 0) != 0;
        const int64_t rows = wshape.d[0], cols = wshape.d[1];
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                w[i * cols + j] = to_f32((double)w0[i * cols + j] * s[tb ? i : j], &ok);
    } else if (p->op == C8_OP_CONV_TRANSPOSE) {
        const int64_t group = c8_node_attr_i(p, "group", 1);
        const int64_t cin = wshape.d[0], kg = wshape.d[1], cin_g = cin / group;
        const int64_t sp = wn / (cin * kg);
        for (int64_t c = 0; c < cin; c++)
            for (int64_t j = 0; j < kg; j++) {
                const double sc = s[(c / cin_g) * kg + j];
                for (int64_t e = 0; e < sp; e++) {
                    const int64_t i = (c * kg + j) * sp + e;
                    w[i] = to_f32((double)w0[i] * sc, &ok);
                }
            }
    } else {
        const int64_t per = wn / K;
        for (int64_t k = 0; k < K; k++)
            for (int64_t e = 0; e < per; e++)
                w[k * per + e] = to_f32((double)w0[k * per + e] * s[k], &ok);
    }
    /* bias: (K) for convolutions; Gemm keeps C's row count, (rows, N) or (N) */
    c8_shape bshape;
    memset(&bshape, 0, sizeof bshape);
    int64_t rows = 1;
    if (p->op == C8_OP_GEMM && bv && bv->shape.rank == 2) {
        rows = bv->shape.d[0];
        bshape.rank = 2;
        bshape.d[0] = rows;
        bshape.d[1] = K;
    } else {
        bshape.rank = 1;
        bshape.d[0] = K;
    }
    float *b = malloc((size_t)(rows * K) * sizeof(float));
    if (!b) {
        free(w);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory folding into '%s'", g->path, p->name);
    }
    const double beta = p->op == C8_OP_GEMM ? (double)c8_node_attr_f(p, "beta", 1.0f) : 1.0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < K; k++) {
            double b0 = 0.0;
            if (bv) {
                const float *bd = bv->data;
                if (p->op == C8_OP_GEMM) {
                    /* C broadcasts unidirectionally to (M, N) */
                    const c8_shape *cs = &bv->shape;
                    const int64_t ccols = cs->rank >= 1 ? cs->d[cs->rank - 1] : 1;
                    const int64_t crows = cs->rank == 2 ? cs->d[0] : 1;
                    b0 = beta * (double)bd[(crows > 1 ? r : 0) * ccols + (ccols > 1 ? k : 0)];
                } else {
                    b0 = (double)bd[k];
                }
            }
            b[r * K + k] = to_f32(b0 * s[k] + t[k], &ok);
        }
    if (!ok) {
        free(w);
        free(b);
        return C8_OK;
    }
    /* names for messages and new constants, before g->vals may move */
    char wbase[512], bbase[512];
    snprintf(wbase, sizeof wbase, "%s_folded", wv->name);
    snprintf(bbase, sizeof bbase, "%s_folded", bv ? bv->name : p->name);
    if (!bv) snprintf(bbase, sizeof bbase, "%s_bias_folded", p->name);
    int nw = c8p_add_const(g, wbase, C8_DT_FLOAT, &wshape, w, (size_t)wn * sizeof(float), err);
    if (nw < 0) {
        free(b);
        return err ? err->code : C8_ERR_NOMEM;
    }
    int nb =
        c8p_add_const(g, bbase, C8_DT_FLOAT, &bshape, b, (size_t)(rows * K) * sizeof(float), err);
    if (nb < 0) return err ? err->code : C8_ERR_NOMEM;
    C8_TRY(c8p_set_input(g, pi, 1, nw, err));
    C8_TRY(c8p_set_input(g, pi, 2, nb, err));
    if (g->nodes[pi].op == C8_OP_GEMM) C8_TRY(c8p_set_attr_f(g, pi, "beta", 1.0f, err));
    *done = true;
    return C8_OK;
}

c8_status c8_pass_fold_batchnorm(c8_graph *g, c8_pass_log *log, c8_error *err) {
    bool changed = false;
    int *chain = malloc((size_t)(g->n_nodes ? g->n_nodes : 1) * sizeof(int));
    if (!chain) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    c8_status st = C8_OK;
    const int n_nodes = g->n_nodes; /* apply adds values, never nodes */
    for (int pi = 0; pi < n_nodes && st == C8_OK; pi++) {
        const int64_t K = producer_channels(g, &g->nodes[pi]);
        if (K <= 0) continue;
        const int r = producer_rank(g, &g->nodes[pi]);
        double *s = malloc((size_t)K * sizeof(double)), *t = malloc((size_t)K * sizeof(double));
        if (!s || !t) {
            free(s);
            free(t);
            st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
            break;
        }
        for (int64_t k = 0; k < K; k++) {
            s[k] = 1.0;
            t[k] = 0.0;
        }
        int n_chain = 0;
        int cur = g->nodes[pi].out[0];
        for (;;) {
            if (g->vals[cur].is_output) break;
            int ci = c8p_single_consumer(g, cur);
            if (ci < 0 || !compose(g, &g->nodes[ci], cur, r, K, s, t)) break;
            chain[n_chain++] = ci;
            cur = g->nodes[ci].out[0];
        }
        bool done = false;
        if (n_chain > 0) st = apply(g, pi, K, s, t, &done, err);
        if (done) {
            for (int c = 0; c < n_chain && st == C8_OK; c++) {
                const c8_node *cn = &g->nodes[chain[c]];
                st = c8p_label_add(g, pi, cn->op, cn->name, err);
                if (st != C8_OK) break;
                if (cn->op == C8_OP_BATCHNORM)
                    c8_pass_log_add(log, C8_PASS_FOLD_BATCHNORM, "%s folded into %s", cn->name,
                                    g->nodes[pi].name);
                else {
                    const int cv = g->vals[cn->in[1]].kind == C8_VAL_CONST ? cn->in[1] : cn->in[0];
                    c8_pass_log_add(log, C8_PASS_FOLD_BATCHNORM,
                                    "%s '%s' (per-channel constant '%s') folded into %s",
                                    cn->op_type, cn->name, g->vals[cv].name, g->nodes[pi].name);
                }
            }
            if (st == C8_OK) {
                for (int c = 0; c < n_chain; c++) g->nodes[chain[c]].dead = true;
                int y = cur;
                if (g->nodes[pi].out[0] >= 0) g->vals[g->nodes[pi].out[0]].producer = -1;
                g->nodes[pi].out[0] = y;
                g->vals[y].producer = pi;
                changed = true;
            }
        }
        free(s);
        free(t);
    }
    free(chain);
    if (st != C8_OK) return st;
    return c8p_finish(g, changed, err);
}
