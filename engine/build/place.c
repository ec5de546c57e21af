/* The placement pass: every node of a lowered graph gets its device (the engine's, or the host
 * in a device plan), the layout its outputs are stored in and its kernel, recorded in its layer
 * (one layer per node) so that plans, `calib8 build`'s layer table and `calib8 inspect --plan`
 * show them; host steps of a device plan get explicit HostCopy nodes (ops/q8.c) around them, so
 * the executor walks segments of one device with the copies between them and a backend never
 * falls back to the host by itself; storage conversions on the device become Reformat nodes
 * (reformat.c), so a backend never converts an operand by itself either. Tests:
 * tests/engine/test_place.c. Docs: docs/cuda.md. */
#include "engine/build/place.h"

#include "ops/ops.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* C8_CUDA_HOST_OPS="Conv,Add": ops forced to the host (debugging; the reason says so). */
static bool forced_host(const c8_node *n) {
    const char *force = getenv("C8_CUDA_HOST_OPS");
    if (!force || !*force) return false;
    const char *name = c8_op_name(n->op);
    size_t ln = strlen(name);
    for (const char *p = strstr(force, name); p; p = strstr(p + 1, name))
        if ((p == force || p[-1] == ',') && (p[ln] == ',' || p[ln] == '\0')) return true;
    return false;
}

const char *c8_place_layout_name(int rank, const c8_value_layout *f, char *buf, size_t n) {
    static const char *onnx[] = {"scalar", "C", "NC", "NCW", "NCHW", "NCDHW"};
    static const char *cl[] = {"scalar", "C", "NC", "NWC", "NHWC", "NDHWC"};
    if (rank < 0 || rank > 5) {
        snprintf(buf, n, "%s", rank < 0 ? "?" : "row-major");
    } else if (f->channels_last && rank >= 2) {
        if (f->cpad > 1)
            snprintf(buf, n, "%s%d", cl[rank], (int)f->cpad);
        else
            snprintf(buf, n, "%s", cl[rank]);
    } else {
        snprintf(buf, n, "%s", onnx[rank]);
    }
    return buf;
}

c8_status c8_place_layouts(c8_engine *e, const c8_backend_vt *vt, c8_error *err) {
    c8_graph *g = e->g;
    c8_value_layout *f = calloc((size_t)(g->n_vals ? g->n_vals : 1), sizeof *f);
    if (!f) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int v = 0; v < g->n_vals; v++) {
        f[v].cpad = 1;
        f[v].storage = g->vals[v].dtype;
    }
    c8_backend_engine be = c8_engine_backend_view(e);
    c8_status s = vt->layouts ? vt->layouts(&be, g, f, err) : C8_OK;
    for (int i = 0; s == C8_OK && i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->layer < 0 || n->n_out < 1 || n->out[0] < 0) continue;
        const c8_value *y = &g->vals[n->out[0]];
        char lb[24];
        c8_layer *l = &e->layers[n->layer];
        snprintf(l->layout, sizeof l->layout, "%s %s",
                 c8_place_layout_name(y->shape.rank, &f[n->out[0]], lb, sizeof lb),
                 c8_dtype_name(f[n->out[0]].storage));
    }
    free(f);
    return s;
}

typedef struct placer {
    c8_engine *e;
    c8_error *err;
    int *host_of; /* per value before the pass: its host-memory twin (copy or host output), -1 */
} placer;

static c8_status add_layer(placer *p, const char *name, c8_place_kind where, const char *why,
                           int *layer) {
    *layer = c8_engine_add_layer(p->e, name, "HostCopy", C8_PREC_FP32, C8_LAYER_COPY, "");
    if (*layer < 0) return c8_err(p->err, C8_ERR_NOMEM, "out of memory");
    c8_layer *l = &p->e->layers[*layer];
    l->place = where;
    snprintf(l->place_reason, sizeof l->place_reason, "%s", why);
    snprintf(l->kernel, sizeof l->kernel, "memcpy");
    return C8_OK;
}

/* A new activation shaped as value v, named "<v>/host" (made unique). */
static int twin_value(placer *p, int v) {
    c8_graph *g = p->e->g;
    size_t len = strlen(g->vals[v].name) + 8;
    char *base = malloc(len);
    if (!base) return -1;
    snprintf(base, len, "%s/host", g->vals[v].name);
    char *name = c8_graph_unique_name(g, base);
    free(base);
    if (!name) return -1;
    c8_shape sh = g->vals[v].shape;
    int t = c8_graph_add_value(g, name, C8_VAL_ACTIVATION, g->vals[v].dtype, &sh);
    free(name);
    if (t >= 0) g->vals[t].scale = g->vals[v].scale;
    return t;
}

/* Appends HostCopy(direction) from value x to value y with its own layer. */
static c8_status add_copy(placer *p, const char *direction, int x, int y, c8_place_kind where,
                          const char *why) {
    c8_graph *g = p->e->g;
    /* named after the device-side tensor: "download:conv2_out", "upload:pool1_out" */
    const char *tensor = g->vals[strcmp(direction, "download") == 0 ? x : y].name;
    size_t len = strlen(tensor) + strlen(direction) + 2;
    char *name = malloc(len);
    if (!name) return c8_err(p->err, C8_ERR_NOMEM, "out of memory");
    snprintf(name, len, "%s:%s", direction, tensor);
    int layer;
    c8_status s = add_layer(p, name, where, why, &layer);
    int n =
        s == C8_OK ? c8_graph_add_node(g, name, "HostCopy", "", C8_OP_HOST_COPY, &x, 1, &y, 1) : -1;
    free(name);
    if (s != C8_OK) return s;
    if (n < 0) return c8_err(p->err, C8_ERR_NOMEM, "out of memory");
    g->nodes[n].layer = layer;
    return c8_node_add_attr_string(g, n, "direction", direction, p->err);
}

static bool is_host(const c8_engine *e, const c8_node *n) {
    return n->layer >= 0 && e->layers[n->layer].place == C8_PLACE_HOST;
}

/* The host-memory twin of value v for a host node: v itself when constant (constants are read
 * in place on the host), else a download made once. */
static c8_status host_input(placer *p, int v, const char *node, int *out) {
    c8_graph *g = p->e->g;
    *out = v;
    if (v < 0 || g->vals[v].kind == C8_VAL_CONST) return C8_OK;
    if (p->host_of[v] < 0) {
        int t = twin_value(p, v);
        if (t < 0) return c8_err(p->err, C8_ERR_NOMEM, "out of memory");
        p->host_of[v] = t;
        char why[C8_LAYER_REASON_MAX];
        snprintf(why, sizeof why, "input of host node '%.150s'", node);
        C8_TRY(add_copy(p, "download", v, t, C8_PLACE_HOST, why));
    }
    *out = p->host_of[v];
    return C8_OK;
}

/* Does a node on the device (or the graph's output list) read value v? */
static bool device_reads(const c8_engine *e, int v) {
    const c8_graph *g = e->g;
    if (g->vals[v].is_output) return true;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (is_host(e, n)) continue;
        if (n->fusion.residual == v) return true;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) return true;
    }
    return false;
}

static c8_status insert_copies(placer *p) {
    c8_engine *e = p->e;
    c8_graph *g = e->g;
    const int n_nodes = g->n_nodes; /* copies are appended after these */
    /* outputs of host nodes first: they live in host memory under a twin name */
    for (int i = 0; i < n_nodes; i++) {
        if (!is_host(e, &g->nodes[i])) continue;
        for (int k = 0; k < g->nodes[i].n_out; k++) {
            int v = g->nodes[i].out[k];
            if (v < 0) continue;
            int t = twin_value(p, v);
            if (t < 0) return c8_err(p->err, C8_ERR_NOMEM, "out of memory");
            p->host_of[v] = t;
        }
    }
    for (int i = 0; i < n_nodes; i++) {
        if (!is_host(e, &g->nodes[i])) continue;
        char *name = strdup(g->nodes[i].name);
        if (!name) return c8_err(p->err, C8_ERR_NOMEM, "out of memory");
        c8_status s = C8_OK;
        for (int k = 0; s == C8_OK && k < g->nodes[i].n_in; k++) {
            int hv;
            s = host_input(p, g->nodes[i].in[k], name, &hv);
            if (s == C8_OK) g->nodes[i].in[k] = hv;
        }
        if (s == C8_OK && g->nodes[i].fusion.residual >= 0) {
            int hv;
            s = host_input(p, g->nodes[i].fusion.residual, name, &hv);
            if (s == C8_OK) g->nodes[i].fusion.residual = hv;
        }
        for (int k = 0; s == C8_OK && k < g->nodes[i].n_out; k++) {
            int v = g->nodes[i].out[k];
            if (v < 0) continue;
            g->nodes[i].out[k] = p->host_of[v];
            /* every host output goes up under its own name, also when only host nodes read it:
             * observers (calibration, dumps) see each model tensor once, where the engine's
             * device keeps it */
            char why[C8_LAYER_REASON_MAX];
            snprintf(why, sizeof why, "output of host node '%.150s'%s", name,
                     device_reads(e, v) ? "" : " (for observers)");
            s = add_copy(p, "upload", p->host_of[v], v, C8_PLACE_DEVICE, why);
        }
        free(name);
        C8_TRY(s);
    }
    C8_TRY(c8_graph_compact(g, p->err));
    return c8_graph_finalize(g, p->err);
}

c8_status c8_place(c8_engine *e, const c8_backend_vt *vt, c8_error *err) {
    c8_graph *g = e->g;
    int n_host = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->layer < 0 || n->layer >= e->n_layers)
            return c8_node_err(err, g, n, C8_ERR_INTERNAL, "node has no layer record");
        c8_layer *l = &e->layers[n->layer];
        l->place = C8_PLACE_DEVICE;
        l->place_reason[0] = '\0';
        if (vt->host_memory || n->op == C8_OP_HOST_COPY) continue;
        const char *why = NULL;
        if (forced_host(n))
            why = "forced by C8_CUDA_HOST_OPS";
        else if (!vt->supports(g, n, l, &why) && !why)
            why = "no implementation on this device";
        if (!why) continue;
        l->place = C8_PLACE_HOST;
        snprintf(l->place_reason, sizeof l->place_reason, "%s", why);
        n_host++;
    }
    if (n_host > 0) {
        /* indexed by the graph's values before the pass: every value a host node reads or
         * writes is one of them (twins are only ever map targets) */
        placer p = {e, err, malloc((size_t)(g->n_vals ? g->n_vals : 1) * sizeof(int))};
        if (!p.host_of) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        for (int v = 0; v < g->n_vals; v++) p.host_of[v] = -1;
        c8_status s;
        s = insert_copies(&p);
        free(p.host_of);
        C8_TRY(s);
    }
    /* every layout / storage conversion on the device an explicit node */
    C8_TRY(c8_place_reformats(e, vt, err));
    /* default kernels: the device backend's own for nodes on a device */
    for (int i = 0; i < g->n_nodes; i++) {
        c8_layer *l = &e->layers[g->nodes[i].layer];
        if (!vt->host_memory && l->place == C8_PLACE_DEVICE && !strcmp(l->kernel, "ref"))
            snprintf(l->kernel, sizeof l->kernel, "%s", vt->name);
    }
    return c8_place_layouts(e, vt, err);
}

int c8_place_host_nodes(const c8_engine *e) {
    int n = 0;
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *nd = &e->g->nodes[i];
        if (is_host(e, nd) && nd->op != C8_OP_HOST_COPY) n++;
    }
    return n;
}

c8_status c8_place_check_strict(const c8_engine *e, const char *what, c8_error *err) {
    int n = c8_place_host_nodes(e);
    if (n == 0) return C8_OK;
    char list[C8_ERROR_MSG_MAX - 200];
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *nd = &e->g->nodes[i];
        if (!is_host(e, nd) || nd->op == C8_OP_HOST_COPY) continue;
        const c8_layer *l = &e->layers[nd->layer];
        int w = snprintf(list + used, sizeof list - used, "%s'%s' (%s): %s", used ? "; " : "",
                         l->name, l->op, l->place_reason);
        if (w < 0 || (size_t)w >= sizeof list - used) break;
        used += (size_t)w;
    }
    return c8_err(err, C8_ERR_UNSUPPORTED,
                  "%s: %d node(s) would run on the host in this %s plan (%s refuses host steps): "
                  "%s",
                  e->g->path, n, e->device == C8_DEVICE_CUDA ? "CUDA" : "device", what, list);
}
