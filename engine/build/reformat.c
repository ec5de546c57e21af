/* The placement pass's storage conversions: after the device of every node is decided
 * (place.c), the device backend says how it stores each value (vt->layouts) and how each
 * node's kernel wants its operands (vt->wants, a static query); wherever the two differ this
 * pass inserts a Reformat node (ops/q8.c) with its own layer record (role C8_LAYER_REFORMAT),
 * so that every layout change (NCHW / NHWC / NHWC32) and every float32 <-> binary16 storage
 * change of a device plan is a node of the plan, listed by `calib8 inspect --plan` with its
 * from / to layouts, and the backend's run converts nothing. An input conversion ("side in") is
 * made once per value and target layout and shared by its readers; an output conversion
 * ("side out") gives the producer a new value in the storage its kernel writes and converts it
 * into the model's value. Host-memory backends (the CPU) get none. Tests:
 * tests/engine/test_place.c. Docs: docs/cuda.md, docs/architecture.md. */
#include "engine/build/place.h"

#include "ops/ops.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The storage operand layout `stored` becomes under want w (cu_fmt_want's rule: rank < 2 is
 * never channels-last). */
static c8_value_layout apply_want(c8_value_layout st, c8_operand_want w, int rank) {
    c8_value_layout f = st;
    if (w.storage >= 0) f.storage = (c8_dtype)w.storage;
    if (w.layout == 0 || rank < 2) {
        f.channels_last = 0;
        f.cpad = 1;
    } else if (w.layout == 1) {
        f.channels_last = 1;
        f.cpad = w.cpad > 0 ? w.cpad : 1;
    }
    return f;
}

static bool same_layout(c8_value_layout a, c8_value_layout b) {
    if (a.storage != b.storage || a.channels_last != b.channels_last) return false;
    return !a.channels_last || a.cpad == b.cpad;
}

typedef struct made {
    int v, t; /* value v converted into t */
    c8_value_layout to;
} made;

typedef struct reformer {
    c8_engine *e;
    c8_error *err;
    made *list; /* side-"in" conversions made so far (shared by readers) */
    int n_list, cap_list;
} reformer;

static c8_status ints_attr(c8_graph *g, int n, const char *name, c8_value_layout f, c8_error *err) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_INTS;
    a.ints = malloc(3 * sizeof *a.ints);
    if (!a.name || !a.ints) {
        c8_attr_free(&a);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    a.ints[0] = f.channels_last;
    a.ints[1] = f.channels_last ? f.cpad : 1;
    a.ints[2] = f.storage;
    a.n = 3;
    return c8_node_add_attr(g, n, &a, err);
}

/* "NHWC float16" */
static const char *layout_text(const c8_graph *g, int v, c8_value_layout f, char *buf, size_t n) {
    char lb[24];
    snprintf(buf, n, "%s %s", c8_place_layout_name(g->vals[v].shape.rank, &f, lb, sizeof lb),
             c8_dtype_name(f.storage));
    return buf;
}

/* Appends Reformat x (stored `from`) -> y (stored `to`) serving node `who` (its layer `wl`). */
static c8_status add_reformat(reformer *r, int x, int y, c8_value_layout from, c8_value_layout to,
                              const char *side, const char *who, const c8_layer *wl) {
    c8_engine *e = r->e;
    c8_graph *g = e->g;
    char fb[48], tb[48], why[C8_LAYER_REASON_MAX];
    layout_text(g, x, from, fb, sizeof fb);
    layout_text(g, y, to, tb, sizeof tb);
    snprintf(why, sizeof why, "%.47s -> %.47s %s '%.80s'", fb, tb,
             strcmp(side, "in") == 0 ? "for" : "from", who);
    /* named after the value it writes: "reformat:conv2_out/NHWC_float16" */
    size_t len = strlen(g->vals[y].name) + 10;
    char *name = malloc(len);
    if (!name) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
    snprintf(name, len, "reformat:%s", g->vals[y].name);
    int layer = c8_engine_add_layer(e, name, "Reformat", (c8_precision)wl->precision,
                                    C8_LAYER_REFORMAT, why);
    int n =
        layer >= 0 ? c8_graph_add_node(g, name, "Reformat", "", C8_OP_REFORMAT, &x, 1, &y, 1) : -1;
    free(name);
    if (n < 0) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
    g->nodes[n].layer = layer;
    e->layers[layer].place = C8_PLACE_DEVICE;
    /* what it serves, as a copy's reason says (inspect --plan's reason column) */
    snprintf(e->layers[layer].place_reason, sizeof e->layers[layer].place_reason, "%s", why);
    C8_TRY(ints_attr(g, n, "from", from, r->err));
    C8_TRY(ints_attr(g, n, "to", to, r->err));
    return c8_node_add_attr_string(g, n, "side", side, r->err);
}

/* A new activation shaped as value v, named "<v>/<layout>_<storage>" (made unique). */
static int converted_value(c8_graph *g, int v, c8_value_layout f) {
    char lb[24];
    size_t len = strlen(g->vals[v].name) + 48;
    char *base = malloc(len);
    if (!base) return -1;
    snprintf(base, len, "%s/%s_%s", g->vals[v].name,
             c8_place_layout_name(g->vals[v].shape.rank, &f, lb, sizeof lb),
             c8_dtype_name(f.storage));
    char *name = c8_graph_unique_name(g, base);
    free(base);
    if (!name) return -1;
    c8_shape sh = g->vals[v].shape;
    int t = c8_graph_add_value(g, name, C8_VAL_ACTIVATION, g->vals[v].dtype, &sh);
    free(name);
    if (t >= 0) g->vals[t].scale = g->vals[v].scale;
    return t;
}

/* The value holding v stored as `to` for reader node i (made once per v and `to`). */
static c8_status input_conversion(reformer *r, int i, int v, c8_value_layout from,
                                  c8_value_layout to, int *out) {
    for (int k = 0; k < r->n_list; k++)
        if (r->list[k].v == v && same_layout(r->list[k].to, to)) {
            *out = r->list[k].t;
            return C8_OK;
        }
    c8_graph *g = r->e->g;
    int t = converted_value(g, v, to);
    if (t < 0) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
    if (r->n_list == r->cap_list) {
        int nc = r->cap_list ? 2 * r->cap_list : 16;
        made *nl = realloc(r->list, (size_t)nc * sizeof *nl);
        if (!nl) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
        r->list = nl;
        r->cap_list = nc;
    }
    r->list[r->n_list++] = (made){v, t, to};
    char *who = strdup(g->nodes[i].name);
    if (!who) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
    const c8_layer wl = r->e->layers[g->nodes[i].layer];
    c8_status s = add_reformat(r, v, t, from, to, "in", who, &wl);
    free(who);
    *out = t;
    return s;
}

/* Converts node i's operands: n_vals0 bounds the values vt->layouts described. */
static c8_status convert_node(reformer *r, const c8_backend_vt *vt, const c8_value_layout *stored,
                              int n_vals0, int i, c8_operand_want *win, c8_operand_want *wout) {
    c8_engine *e = r->e;
    c8_graph *g = e->g;
    const c8_node *n = &g->nodes[i];
    /* host steps read host memory; a download (placed on the host) reads the device's value */
    if (n->layer < 0 || (e->layers[n->layer].place == C8_PLACE_HOST && n->op != C8_OP_HOST_COPY))
        return C8_OK;
    c8_operand_want wres = C8_WANT_ANY;
    for (int k = 0; k < n->n_in; k++) win[k] = C8_WANT_ANY;
    for (int k = 0; k < n->n_out; k++) wout[k] = C8_WANT_ANY;
    if (n->op == C8_OP_HOST_COPY) {
        /* a download moves the value in its dtype and ONNX layout */
        if (strcmp(c8_node_attr_s(n, "direction", ""), "download") != 0) return C8_OK;
        win[0] = (c8_operand_want){n->in[0] >= 0 ? (int32_t)g->vals[n->in[0]].dtype : -1, 0, 1};
    } else {
        c8_backend_engine be = c8_engine_backend_view(e);
        vt->wants(&be, g, n, stored, win, &wres, wout);
    }
    const int n_in = n->n_in, n_out = n->n_out;
    for (int k = 0; k <= n_in; k++) {
        /* k == n_in: the fused residual */
        int v = k < n_in ? g->nodes[i].in[k] : g->nodes[i].fusion.residual;
        if (v < 0 || v >= n_vals0) continue;
        c8_value_layout to = apply_want(stored[v], k < n_in ? win[k] : wres, g->vals[v].shape.rank);
        if (same_layout(to, stored[v])) continue;
        int t = -1;
        C8_TRY(input_conversion(r, i, v, stored[v], to, &t));
        if (k < n_in)
            g->nodes[i].in[k] = t;
        else
            g->nodes[i].fusion.residual = t;
    }
    for (int k = 0; k < n_out; k++) {
        int v = g->nodes[i].out[k];
        if (v < 0 || v >= n_vals0) continue;
        c8_value_layout from = apply_want(stored[v], wout[k], g->vals[v].shape.rank);
        if (same_layout(from, stored[v])) continue;
        int t = converted_value(g, v, from);
        if (t < 0) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
        g->nodes[i].out[k] = t;
        char *who = strdup(g->nodes[i].name);
        if (!who) return c8_err(r->err, C8_ERR_NOMEM, "out of memory");
        const c8_layer wl = e->layers[g->nodes[i].layer];
        c8_status s = add_reformat(r, t, v, from, stored[v], "out", who, &wl);
        free(who);
        C8_TRY(s);
    }
    return C8_OK;
}

c8_status c8_place_reformats(c8_engine *e, const c8_backend_vt *vt, c8_error *err) {
    if (vt->host_memory || !vt->wants || !vt->layouts) return C8_OK;
    c8_graph *g = e->g;
    const int n_vals0 = g->n_vals, n_nodes0 = g->n_nodes;
    int max_io = 1;
    for (int i = 0; i < n_nodes0; i++) {
        if (g->nodes[i].op == C8_OP_REFORMAT)
            return c8_err(err, C8_ERR_INTERNAL, "%s: the plan's conversions are placed already",
                          g->path);
        if (g->nodes[i].n_in > max_io) max_io = g->nodes[i].n_in;
        if (g->nodes[i].n_out > max_io) max_io = g->nodes[i].n_out;
    }
    c8_value_layout *stored = calloc((size_t)(n_vals0 ? n_vals0 : 1), sizeof *stored);
    c8_operand_want *win = calloc((size_t)max_io, sizeof *win);
    c8_operand_want *wout = calloc((size_t)max_io, sizeof *wout);
    reformer r = {e, err, NULL, 0, 0};
    c8_status s = stored && win && wout ? C8_OK : c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int v = 0; s == C8_OK && v < n_vals0; v++) {
        stored[v].cpad = 1;
        stored[v].storage = g->vals[v].dtype;
    }
    if (s == C8_OK) {
        c8_backend_engine be = c8_engine_backend_view(e);
        s = vt->layouts(&be, g, stored, err);
    }
    for (int i = 0; s == C8_OK && i < n_nodes0; i++)
        s = convert_node(&r, vt, stored, n_vals0, i, win, wout);
    const bool changed = g->n_nodes != n_nodes0;
    free(r.list);
    free(stored);
    free(win);
    free(wout);
    C8_TRY(s);
    if (!changed) return C8_OK;
    C8_TRY(c8_graph_compact(g, err));
    return c8_graph_finalize(g, err);
}

const char *c8_place_reformat_layout(const c8_graph *g, const c8_node *n, const char *which,
                                     char *buf, size_t len) {
    const int64_t *f = NULL;
    const int v = n->n_in > 0 ? n->in[0] : -1;
    if (n->op != C8_OP_REFORMAT || v < 0 || c8_node_attr_ints(n, which, &f) != 3) {
        snprintf(buf, len, "?");
        return buf;
    }
    c8_value_layout fl = {(int32_t)f[0], (int32_t)f[1], (c8_dtype)f[2]};
    return layout_text(g, v, fl, buf, len);
}
