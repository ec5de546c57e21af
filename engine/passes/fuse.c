/* The fusion passes (engine/passes/passes.h): fuse_residual (Conv + Add), fuse_activation
 * (Conv/Gemm + Relu|Clip|LeakyRelu|Sigmoid), fuse_hardswish (Conv + the hard-swish chain) and
 * fuse_horizontal (1x1 convolutions that read one tensor -> one convolution + Split). The fused
 * semantics, y = act(op(x) + bias [+ residual]), are implemented by the Conv/FusedConv/Gemm ops
 * (ops/compute.c). */
#include "engine/passes/passes.h"

#include "engine/passes/passes_int.h"
#include "util/err.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_conv(c8_op op) { return op == C8_OP_CONV || op == C8_OP_FUSED_CONV; }

/* ---------------------------------------------------------- fuse_residual */

/* Value v is the output of a Conv that may absorb a residual Add: its only output, read once,
 * not a graph output, nothing fused into its epilogue yet. Returns the producer or -1. */
static int residual_host(const c8_graph *g, int v, int add) {
    const c8_value *x = &g->vals[v];
    if (x->kind != C8_VAL_ACTIVATION || x->producer < 0 || x->is_output) return -1;
    const c8_node *p = &g->nodes[x->producer];
    if (p->dead || !is_conv(p->op) || p->n_out != 1 || p->out[0] != v) return -1;
    if (p->fusion.act != C8_ACT_NONE || p->fusion.residual >= 0) return -1;
    if (x->dtype != C8_DT_FLOAT || c8p_single_consumer(g, v) != add) return -1;
    return x->producer;
}

c8_status c8_pass_fuse_residual(c8_graph *g, c8_pass_log *log, c8_error *err) {
    bool changed = false;
    for (int ai = 0; ai < g->n_nodes; ai++) {
        const c8_node *a = &g->nodes[ai];
        if (a->dead || a->op != C8_OP_ADD || a->n_in != 2 || a->n_out < 1 || a->out[0] < 0)
            continue;
        if (a->in[0] < 0 || a->in[1] < 0 || a->in[0] == a->in[1]) continue;
        const c8_value *y = &g->vals[a->out[0]];
        int best = -1, best_side = -1;
        for (int side = 0; side < 2; side++) {
            int p = residual_host(g, a->in[side], ai);
            if (p < 0) continue;
            const c8_value *u = &g->vals[a->in[side]], *r = &g->vals[a->in[1 - side]];
            if (r->kind == C8_VAL_CONST || r->dtype != C8_DT_FLOAT) continue;
            /* exactly the same shape: no broadcasting inside the epilogue */
            if (!c8p_same_shape(&u->shape, &r->shape) || !c8p_same_shape(&u->shape, &y->shape))
                continue;
            if (p > best) { /* the later conv: the residual is ready when it runs */
                best = p;
                best_side = side;
            }
        }
        if (best < 0) continue;
        const int res = a->in[1 - best_side];
        C8_TRY(c8p_make_fused_conv(g, best, err));
        C8_TRY(c8p_label_add(g, best, C8_OP_ADD, a->name, err));
        g->nodes[best].fusion.residual = res;
        c8_pass_log_add(log, C8_PASS_FUSE_RESIDUAL, "%s fused into %s (residual '%s')",
                        g->nodes[ai].name, g->nodes[best].name, g->vals[res].name);
        c8p_take_output(g, best, ai);
        changed = true;
    }
    return c8p_finish(g, changed, err);
}

/* -------------------------------------------------------- fuse_activation */

/* The fused form of activation node a, or false when it has none (e.g. Clip bounds that are
 * not constants). */
static bool act_of(const c8_graph *g, const c8_node *a, c8_act *act, float *pa, float *pb) {
    *pa = *pb = 0.0f;
    switch (a->op) {
    case C8_OP_RELU: *act = C8_ACT_RELU; return true;
    case C8_OP_SIGMOID: *act = C8_ACT_SIGMOID; return true;
    case C8_OP_LEAKY_RELU:
        *act = C8_ACT_LEAKY_RELU;
        *pa = c8_node_attr_f(a, "alpha", 0.01f);
        return true;
    case C8_OP_CLIP: {
        *act = C8_ACT_CLIP;
        if (g->opset < 11) {
            /* Clip-6: attributes, defaulting to the float32 range */
            *pa = c8_node_attr_f(a, "min", -FLT_MAX);
            *pb = c8_node_attr_f(a, "max", FLT_MAX);
        } else {
            *pa = -INFINITY;
            *pb = INFINITY;
            for (int k = 1; k <= 2; k++) {
                if (k >= a->n_in || a->in[k] < 0) continue;
                if (!c8p_is_float_const(g, a->in[k]) ||
                    c8_shape_numel(&g->vals[a->in[k]].shape) != 1)
                    return false;
                float v = *(const float *)g->vals[a->in[k]].data;
                if (k == 1)
                    *pa = v;
                else
                    *pb = v;
            }
        }
        /* min > max (Clip then yields max everywhere) and NaN bounds stay unfused */
        return *pa <= *pb;
    }
    default: return false;
    }
}

c8_status c8_pass_fuse_activation(c8_graph *g, c8_pass_log *log, c8_error *err) {
    bool changed = false;
    for (int ai = 0; ai < g->n_nodes; ai++) {
        const c8_node *a = &g->nodes[ai];
        if (a->dead || a->n_in < 1 || a->in[0] < 0 || a->n_out < 1 || a->out[0] < 0) continue;
        c8_act act;
        float pa, pb;
        if (!act_of(g, a, &act, &pa, &pb)) continue;
        const int v = a->in[0];
        const c8_value *x = &g->vals[v];
        if (x->kind != C8_VAL_ACTIVATION || x->producer < 0 || x->is_output) continue;
        if (x->dtype != C8_DT_FLOAT || g->vals[a->out[0]].dtype != C8_DT_FLOAT) continue;
        const int pi = x->producer;
        const c8_node *p = &g->nodes[pi];
        if (p->dead || (!is_conv(p->op) && p->op != C8_OP_GEMM)) continue;
        if (p->fusion.act != C8_ACT_NONE || p->n_out != 1 || p->out[0] != v) continue;
        if (c8p_single_consumer(g, v) != ai) continue;
        C8_TRY(c8p_make_fused_conv(g, pi, err));
        C8_TRY(c8p_label_add(g, pi, g->nodes[ai].op, g->nodes[ai].name, err));
        c8_node *pn = &g->nodes[pi];
        pn->fusion.act = act;
        pn->fusion.act_a = pa;
        pn->fusion.act_b = pb;
        c8_pass_log_add(log, C8_PASS_FUSE_ACTIVATION, "%s (%s) fused into %s", g->nodes[ai].name,
                        g->nodes[ai].op_type, pn->name);
        c8p_take_output(g, pi, ai);
        changed = true;
    }
    return c8p_finish(g, changed, err);
}

/* --------------------------------------------------------- fuse_hardswish */

/* Value v is a float32 constant of one element equal to want (any rank: it broadcasts). */
static bool scalar_is(const c8_graph *g, int v, float want) {
    return c8p_is_float_const(g, v) && c8_shape_numel(&g->vals[v].shape) == 1 &&
           *(const float *)g->vals[v].data == want;
}

/* The one-element float32 constant among binary node n's inputs when the other is v: its value in
 * *c, true. Mul and Add are commutative in float32, so either side will do. */
static bool other_scalar(const c8_graph *g, const c8_node *n, int v, float *c) {
    if (n->n_in != 2 || n->n_out < 1 || n->out[0] < 0) return false;
    for (int side = 0; side < 2; side++) {
        const int k = n->in[1 - side];
        if (n->in[side] == v && c8p_is_float_const(g, k) &&
            c8_shape_numel(&g->vals[k].shape) == 1) {
            *c = *(const float *)g->vals[k].data;
            return true;
        }
    }
    return false;
}

/* Value v is an intermediate float32 activation (not a graph output) that node `reader` alone
 * reads, once. */
static bool only_for(const c8_graph *g, int v, int reader) {
    const c8_value *x = &g->vals[v];
    return reader >= 0 && x->kind == C8_VAL_ACTIVATION && !x->is_output &&
           x->dtype == C8_DT_FLOAT && c8p_single_consumer(g, v) == reader;
}

/* The live nodes reading value v (n <= 2 of them, reading it once each): their count, or -1 for
 * any other pattern of reads (a residual read, a node reading it twice, more readers). */
static int two_readers(const c8_graph *g, int v, int *r) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *c = &g->nodes[i];
        if (c->dead) continue;
        int reads = c->fusion.residual == v;
        for (int k = 0; k < c->n_in; k++) reads += c->in[k] == v;
        if (reads > 1 || (reads && c->fusion.residual == v) || (reads && n == 2)) return -1;
        if (reads) r[n++] = i;
    }
    return n;
}

/* Conv p's output, read by the hard-swish Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(., 6) of
 * the ONNX exporters (PyTorch before opset 14, paddle2onnx), then optionally Mul(., a) and
 * Add(., b) by one-element constants. Fills the chain's nodes in order (chain[0..n)) and the
 * affine; returns n (4 to 6), or 0 when the pattern is not there. */
static int hardswish_chain(const c8_graph *g, int v, int *chain, float *a, float *b) {
    int r[2];
    if (two_readers(g, v, r) != 2) return 0;
    const c8_value *x = &g->vals[v];
    if (x->kind != C8_VAL_ACTIVATION || x->is_output || x->dtype != C8_DT_FLOAT) return 0;
    for (int order = 0; order < 2; order++) {
        const int ai = r[order], mi = r[1 - order];
        const c8_node *add = &g->nodes[ai], *mul = &g->nodes[mi];
        float c;
        if (add->op != C8_OP_ADD || !other_scalar(g, add, v, &c) || c != 3.0f) continue;
        if (mul->op != C8_OP_MUL || mul->n_in != 2 || mul->n_out < 1 || mul->out[0] < 0) continue;
        const int ki = c8p_single_consumer(g, add->out[0]);
        if (ki < 0 || !only_for(g, add->out[0], ki)) continue;
        const c8_node *clip = &g->nodes[ki];
        c8_act act;
        float lo, hi;
        if (clip->op != C8_OP_CLIP || clip->in[0] != add->out[0] || clip->n_out < 1 ||
            clip->out[0] < 0 || !act_of(g, clip, &act, &lo, &hi) || lo != 0.0f || hi != 6.0f)
            continue;
        const int k = clip->out[0];
        if (!only_for(g, k, mi) ||
            !((mul->in[0] == v && mul->in[1] == k) || (mul->in[0] == k && mul->in[1] == v)))
            continue;
        const int di = c8p_single_consumer(g, mul->out[0]);
        if (di < 0 || !only_for(g, mul->out[0], di)) continue;
        const c8_node *div = &g->nodes[di];
        if (div->op != C8_OP_DIV || div->n_in != 2 || div->in[0] != mul->out[0] ||
            !scalar_is(g, div->in[1], 6.0f) || div->n_out < 1 || div->out[0] < 0)
            continue;
        int n = 0;
        chain[n++] = ai;
        chain[n++] = ki;
        chain[n++] = mi;
        chain[n++] = di;
        *a = 1.0f;
        *b = 0.0f;
        /* the affine that PP-LCNet's learnable activations add */
        int t = div->out[0];
        int ni = c8p_single_consumer(g, t);
        float s;
        if (ni >= 0 && only_for(g, t, ni) && g->nodes[ni].op == C8_OP_MUL &&
            other_scalar(g, &g->nodes[ni], t, &s) && isfinite(s)) {
            *a = s;
            chain[n++] = ni;
            t = g->nodes[ni].out[0];
            ni = c8p_single_consumer(g, t);
        }
        if (ni >= 0 && only_for(g, t, ni) && g->nodes[ni].op == C8_OP_ADD &&
            other_scalar(g, &g->nodes[ni], t, &s) && isfinite(s)) {
            *b = s;
            chain[n++] = ni;
        }
        return n;
    }
    return 0;
}

c8_status c8_pass_fuse_hardswish(c8_graph *g, c8_pass_log *log, c8_error *err) {
    bool changed = false;
    for (int pi = 0; pi < g->n_nodes; pi++) {
        const c8_node *p = &g->nodes[pi];
        if (p->dead || !is_conv(p->op) || p->fusion.act != C8_ACT_NONE || p->n_out != 1 ||
            p->out[0] < 0)
            continue;
        int chain[6];
        float a, b;
        const int n = hardswish_chain(g, p->out[0], chain, &a, &b);
        if (n == 0) continue;
        C8_TRY(c8p_make_fused_conv(g, pi, err));
        for (int i = 0; i < n; i++) {
            C8_TRY(c8p_label_add(g, pi, g->nodes[chain[i]].op, g->nodes[chain[i]].name, err));
            c8p_take_output(g, pi, chain[i]);
        }
        c8_node *pn = &g->nodes[pi];
        pn->fusion.act = C8_ACT_HARDSWISH;
        pn->fusion.act_a = a;
        pn->fusion.act_b = b;
        c8_pass_log_add(log, C8_PASS_FUSE_HARDSWISH,
                        "hard-swish %s..%s (%d nodes, affine %g, %g) fused into %s",
                        g->nodes[chain[0]].name, g->nodes[chain[n - 1]].name, n, (double)a,
                        (double)b, pn->name);
        changed = true;
    }
    return c8p_finish(g, changed, err);
}

/* -------------------------------------------------------- fuse_horizontal */

/* Strides and dilations of a conv with nsp spatial axes, defaults filled in. */
static void conv_geom(const c8_node *n, int nsp, int64_t *strides, int64_t *dil) {
    const int64_t *v;
    size_t k = c8_node_attr_ints(n, "strides", &v);
    for (int i = 0; i < nsp; i++) strides[i] = (size_t)i < k ? v[i] : 1;
    k = c8_node_attr_ints(n, "dilations", &v);
    for (int i = 0; i < nsp; i++) dil[i] = (size_t)i < k ? v[i] : 1;
}

/* A 1x1 convolution that may join a horizontal merge. */
static bool h_eligible(const c8_graph *g, const c8_node *n) {
    if (n->dead || !is_conv(n->op) || n->n_in < 2 || n->in[0] < 0 || n->n_out != 1 || n->out[0] < 0)
        return false;
    if (n->fusion.residual >= 0 || c8_node_attr(n, "c8_out_channels")) return false;
    if (c8_node_attr_i(n, "group", 1) != 1) return false;
    const char *ap = c8_node_attr_s(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0) return false;
    const int64_t *pads;
    size_t np = c8_node_attr_ints(n, "pads", &pads);
    for (size_t i = 0; i < np; i++)
        if (pads[i] != 0) return false;
    if (!c8p_is_float_const(g, n->in[1])) return false;
    if (n->n_in > 2 && n->in[2] >= 0 && !c8p_is_float_const(g, n->in[2])) return false;
    const c8_shape *ws = &g->vals[n->in[1]].shape;
    if (ws->rank < 3) return false;
    for (int i = 2; i < ws->rank; i++)
        if (ws->d[i] != 1) return false;
    const c8_value *x = &g->vals[n->in[0]], *y = &g->vals[n->out[0]];
    if (x->dtype != C8_DT_FLOAT || y->dtype != C8_DT_FLOAT || y->shape.rank != ws->rank)
        return false;
    if (x->shape.rank >= 0 && (x->shape.rank != ws->rank || x->shape.d[1] != ws->d[1]))
        return false;
    return true;
}

static bool h_compatible(const c8_graph *g, const c8_node *a, const c8_node *b) {
    if (a->in[0] != b->in[0]) return false;
    const c8_shape *wa = &g->vals[a->in[1]].shape, *wb = &g->vals[b->in[1]].shape;
    if (wa->rank != wb->rank || wa->d[1] != wb->d[1]) return false;
    if (a->fusion.act != b->fusion.act || a->fusion.act_a != b->fusion.act_a ||
        a->fusion.act_b != b->fusion.act_b)
        return false;
    const int nsp = wa->rank - 2;
    int64_t sa[C8_MAX_RANK], da[C8_MAX_RANK], sb[C8_MAX_RANK], db[C8_MAX_RANK];
    conv_geom(a, nsp, sa, da);
    conv_geom(b, nsp, sb, db);
    for (int i = 0; i < nsp; i++)
        if (sa[i] != sb[i] || da[i] != db[i]) return false;
    const c8_shape *ya = &g->vals[a->out[0]].shape, *yb = &g->vals[b->out[0]].shape;
    for (int i = 0; i < ya->rank; i++)
        if (i != 1 && ya->d[i] != yb->d[i]) return false;
    return true;
}

/* Appends s to a growing string buffer. */
static bool sb_add(char **buf, size_t *len, size_t *cap, const char *s) {
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t nc = (*cap ? *cap * 2 : 128) + n;
        char *nb = realloc(*buf, nc);
        if (!nb) return false;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return true;
}

/* Merges the convolutions mem[0..m) (h_eligible, pairwise h_compatible) into one convolution
 * followed by a Split that writes the original output tensors. */
static c8_status h_merge(c8_graph *g, const int *mem, int m, c8_pass_log *log, c8_error *err) {
    c8_status st = C8_OK;
    const c8_node *n0 = &g->nodes[mem[0]];
    const c8_shape ws0 = g->vals[n0->in[1]].shape;
    const int64_t C = ws0.d[1];
    int64_t per = C; /* weights per output channel: C x 1 x ... x 1 */
    int64_t ktot = 0;
    int64_t *kout = malloc((size_t)m * sizeof(int64_t));
    const char **names = malloc((size_t)m * sizeof(char *));
    char *label = NULL, *nname = NULL;
    size_t llen = 0, lcap = 0, nlen = 0, ncap = 0;
    float *w = NULL, *b = NULL;
    if (!kout || !names) goto nomem;
    for (int i = 0; i < m; i++) {
        const c8_node *n = &g->nodes[mem[i]];
        kout[i] = g->vals[n->in[1]].shape.d[0];
        names[i] = g->vals[n->out[0]].name;
        ktot += kout[i];
    }
    w = malloc((size_t)(ktot * per) * sizeof(float));
    b = malloc((size_t)ktot * sizeof(float));
    if (!w || !b) goto nomem;
    /* filters and biases concatenated along the output channels, in member order */
    int64_t off = 0;
    for (int i = 0; i < m; i++) {
        const c8_node *n = &g->nodes[mem[i]];
        memcpy(w + off * per, g->vals[n->in[1]].data, (size_t)(kout[i] * per) * sizeof(float));
        if (n->n_in > 2 && n->in[2] >= 0)
            memcpy(b + off, g->vals[n->in[2]].data, (size_t)kout[i] * sizeof(float));
        else
            for (int64_t k = 0; k < kout[i]; k++) b[off + k] = 0.0f;
        off += kout[i];
    }
    bool ok = sb_add(&label, &llen, &lcap, "H(");
    for (int i = 0; i < m && ok; i++) {
        const c8_node *n = &g->nodes[mem[i]];
        ok = (!i || sb_add(&label, &llen, &lcap, "+")) &&
             sb_add(&label, &llen, &lcap, n->fusion.label ? n->fusion.label : n->name) &&
             (!i || sb_add(&nname, &nlen, &ncap, "+")) && sb_add(&nname, &nlen, &ncap, n->name);
    }
    ok = ok && sb_add(&label, &llen, &lcap, ")");
    if (!ok) goto nomem;

    /* new values: merged weights, bias, output; the Split sizes */
    c8_shape wshape = ws0;
    wshape.d[0] = ktot;
    c8_shape bshape = {1, {ktot}};
    char base[600];
    snprintf(base, sizeof base, "%s_hmerged_w", n0->name);
    int vw =
        c8p_add_const(g, base, C8_DT_FLOAT, &wshape, w, (size_t)(ktot * per) * sizeof(float), err);
    w = NULL;
    if (vw < 0) goto fail;
    n0 = &g->nodes[mem[0]];
    snprintf(base, sizeof base, "%s_hmerged_b", n0->name);
    int vb = c8p_add_const(g, base, C8_DT_FLOAT, &bshape, b, (size_t)ktot * sizeof(float), err);
    b = NULL;
    if (vb < 0) goto fail;
    n0 = &g->nodes[mem[0]];
    c8_shape yshape = g->vals[n0->out[0]].shape;
    yshape.d[1] = ktot;
    snprintf(base, sizeof base, "%s_hmerged", n0->name);
    char *yname = c8_graph_unique_name(g, base);
    int vy = yname ? c8_graph_add_value(g, yname, C8_VAL_ACTIVATION, C8_DT_FLOAT, &yshape) : -1;
    free(yname);
    if (vy < 0) goto nomem;
    int64_t *sizes = malloc((size_t)m * sizeof(int64_t));
    if (!sizes) goto nomem;
    memcpy(sizes, kout, (size_t)m * sizeof(int64_t));
    c8_shape sshape = {1, {m}};
    n0 = &g->nodes[mem[0]];
    snprintf(base, sizeof base, "%s_hmerged_split", n0->name);
    int vs = -1;
    if (g->opset >= 13) {
        vs = c8p_add_const(g, base, C8_DT_INT64, &sshape, sizes, (size_t)m * sizeof(int64_t), err);
        if (vs < 0) goto fail;
    } else {
        free(sizes);
    }

    /* the merged convolution (attributes of the first member, c8_* excepted) */
    n0 = &g->nodes[mem[0]];
    const bool fused = n0->fusion.act != C8_ACT_NONE;
    const c8_op op = fused ? C8_OP_FUSED_CONV : C8_OP_CONV;
    int cin[3] = {n0->in[0], vw, vb};
    int mi = c8_graph_add_node(g, nname, c8_op_name(op), "", op, cin, 3, &vy, 1);
    if (mi < 0) goto nomem;
    n0 = &g->nodes[mem[0]];
    for (int a = 0; a < n0->n_attrs; a++) {
        if (!strncmp(n0->attrs[a].name, "c8_", 3)) continue;
        c8_attr ca;
        if (!c8p_attr_copy(&ca, &n0->attrs[a])) goto nomem;
        st = c8_node_add_attr(g, mi, &ca, err);
        if (st != C8_OK) {
            c8_attr_free(&ca);
            goto fail;
        }
        n0 = &g->nodes[mem[0]];
    }
    st = c8p_add_attr_ints(g, mi, "c8_out_channels", kout, (size_t)m, err);
    if (st == C8_OK) st = c8p_add_attr_strings(g, mi, "c8_out_names", names, (size_t)m, err);
    if (st != C8_OK) goto fail;
    n0 = &g->nodes[mem[0]];
    c8_node *mn = &g->nodes[mi];
    mn->fusion.act = n0->fusion.act;
    mn->fusion.act_a = n0->fusion.act_a;
    mn->fusion.act_b = n0->fusion.act_b;
    mn->fusion.label = label;
    label = NULL;

    /* the Split, writing the members' outputs */
    int *souts = malloc((size_t)m * sizeof(int));
    if (!souts) goto nomem;
    for (int i = 0; i < m; i++) souts[i] = g->nodes[mem[i]].out[0];
    int sin[2] = {vy, vs};
    char sname[700];
    snprintf(sname, sizeof sname, "%s/split", g->nodes[mi].name);
    int si = c8_graph_add_node(g, sname, "Split", "", C8_OP_SPLIT, sin, vs >= 0 ? 2 : 1, souts, m);
    free(souts);
    if (si < 0) goto nomem;
    st = c8p_set_attr_i(g, si, "axis", 1, err);
    if (st == C8_OK && vs < 0) st = c8p_add_attr_ints(g, si, "split", kout, (size_t)m, err);
    if (st != C8_OK) goto fail;
    for (int i = 0; i < m; i++) g->nodes[mem[i]].dead = true;
    c8_pass_log_add(log, C8_PASS_FUSE_HORIZONTAL,
                    "%d 1x1 convolutions reading '%s' (%s) merged into one of %lld channels + "
                    "Split '%s'",
                    m, g->vals[g->nodes[mi].in[0]].name, g->nodes[mi].name, (long long)ktot,
                    g->nodes[si].name);
    free(kout);
    free(names);
    free(nname);
    return C8_OK;
nomem:
    st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory merging 1x1 convolutions", g->path);
fail:
    free(kout);
    free(names);
    free(label);
    free(nname);
    free(w);
    free(b);
    return st;
}

c8_status c8_pass_fuse_horizontal(c8_graph *g, c8_pass_log *log, c8_error *err) {
    const int n_nodes = g->n_nodes; /* merges append nodes; only the original ones are members */
    char *taken = calloc((size_t)(n_nodes ? n_nodes : 1), 1);
    int *mem = malloc((size_t)(n_nodes ? n_nodes : 1) * sizeof(int));
    if (!taken || !mem) {
        free(taken);
        free(mem);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    }
    bool changed = false;
    c8_status st = C8_OK;
    for (int i = 0; i < n_nodes && st == C8_OK; i++) {
        if (taken[i] || !h_eligible(g, &g->nodes[i])) continue;
        int m = 0;
        mem[m++] = i;
        for (int j = i + 1; j < n_nodes; j++)
            if (!taken[j] && h_eligible(g, &g->nodes[j]) &&
                h_compatible(g, &g->nodes[i], &g->nodes[j]))
                mem[m++] = j;
        if (m < 2) continue;
        for (int k = 0; k < m; k++) taken[mem[k]] = 1;
        st = h_merge(g, mem, m, log, err);
        changed = true;
    }
    free(taken);
    free(mem);
    if (st != C8_OK) return st;
    return c8p_finish(g, changed, err);
}
