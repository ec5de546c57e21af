/* Network IR construction, validation and copying; see ir.h. */
#define _POSIX_C_SOURCE 200809L
#include "ops/ir.h"

#include "util/arith.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t c8_dtype_size(c8_dtype t) {
    switch (t) {
    case C8_DT_FLOAT: return 4;
    case C8_DT_UINT8: return 1;
    case C8_DT_INT8: return 1;
    case C8_DT_UINT16: return 2;
    case C8_DT_INT16: return 2;
    case C8_DT_INT32: return 4;
    case C8_DT_INT64: return 8;
    case C8_DT_BOOL: return 1;
    case C8_DT_FLOAT16: return 2;
    case C8_DT_DOUBLE: return 8;
    case C8_DT_UINT32: return 4;
    case C8_DT_UINT64: return 8;
    case C8_DT_STRING:
    case C8_DT_UNDEFINED: return 0;
    }
    return 0;
}

const char *c8_dtype_name(c8_dtype t) {
    switch (t) {
    case C8_DT_FLOAT: return "float32";
    case C8_DT_UINT8: return "uint8";
    case C8_DT_INT8: return "int8";
    case C8_DT_UINT16: return "uint16";
    case C8_DT_INT16: return "int16";
    case C8_DT_INT32: return "int32";
    case C8_DT_INT64: return "int64";
    case C8_DT_STRING: return "string";
    case C8_DT_BOOL: return "bool";
    case C8_DT_FLOAT16: return "float16";
    case C8_DT_DOUBLE: return "float64";
    case C8_DT_UINT32: return "uint32";
    case C8_DT_UINT64: return "uint64";
    case C8_DT_UNDEFINED: return "undefined";
    }
    return "unknown";
}

int64_t c8_shape_numel(const c8_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        if (!c8_mul_i64(n, s->d[i], &n)) return -1;
    return n;
}

const char *c8_shape_str(const c8_shape *s, char *buf, size_t len) {
    if (s->rank == 0) {
        snprintf(buf, len, "scalar");
        return buf;
    }
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->rank && k < len; i++) {
        if (s->d[i] < 0)
            k += (size_t)snprintf(buf + k, len - k, "%s?", i ? "x" : "");
        else
            k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? "x" : "", (long long)s->d[i]);
    }
    return buf;
}

c8_graph *c8_graph_create(const char *path) {
    c8_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->path = strdup(path ? path : "<memory>");
    g->producer = strdup("");
    if (!g->path || !g->producer) {
        free(g->path);
        free(g->producer);
        free(g);
        return NULL;
    }
    return g;
}

void c8_const_free(c8_const *c) {
    if (!c) return;
    free(c->data);
    c->data = NULL;
    c->nbytes = 0;
}

void c8_attr_free(c8_attr *a) {
    if (!a) return;
    free(a->name);
    free(a->s);
    free(a->ints);
    free(a->floats);
    if (a->strings)
        for (size_t i = 0; i < a->n; i++) free(a->strings[i]);
    free(a->strings);
    c8_const_free(&a->tensor);
    memset(a, 0, sizeof *a);
}

static void node_free(c8_node *n) {
    free(n->name);
    free(n->op_type);
    free(n->domain);
    free(n->in);
    free(n->out);
    for (int i = 0; i < n->n_attrs; i++) c8_attr_free(&n->attrs[i]);
    free(n->attrs);
    free(n->fusion.label);
}

void c8_graph_destroy(c8_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_vals; i++) {
        free(g->vals[i].name);
        if (!g->vals[i].borrowed) free(g->vals[i].data);
    }
    free(g->vals);
    for (int i = 0; i < g->n_nodes; i++) node_free(&g->nodes[i]);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->path);
    free(g->producer);
    free(g);
}

int c8_graph_find_value(const c8_graph *g, const char *name) {
    for (int i = 0; i < g->n_vals; i++)
        if (strcmp(g->vals[i].name, name) == 0) return i;
    return -1;
}

int c8_graph_add_value(c8_graph *g, const char *name, c8_value_kind kind, c8_dtype dtype,
                       const c8_shape *shape) {
    if (g->n_vals == g->cap_vals) {
        int nc = g->cap_vals ? g->cap_vals * 2 : 64;
        c8_value *nv = realloc(g->vals, (size_t)nc * sizeof *nv);
        if (!nv) return -1;
        g->vals = nv;
        g->cap_vals = nc;
    }
    c8_value *v = &g->vals[g->n_vals];
    memset(v, 0, sizeof *v);
    v->name = strdup(name);
    if (!v->name) return -1;
    v->kind = kind;
    v->dtype = dtype;
    if (shape)
        v->shape = *shape;
    else
        v->shape.rank = -1; /* unknown rank until inferred */
    v->producer = -1;
    return g->n_vals++;
}

void c8_graph_set_const(c8_graph *g, int v, c8_dtype dtype, const c8_shape *shape, void *data,
                        size_t nbytes) {
    c8_value *val = &g->vals[v];
    if (!val->borrowed) free(val->data);
    val->borrowed = false;
    val->kind = C8_VAL_CONST;
    val->dtype = dtype;
    val->shape = *shape;
    val->data = data;
    val->nbytes = nbytes;
}

int c8_graph_add_node(c8_graph *g, const char *name, const char *op_type, const char *domain,
                      c8_op op, const int *in, int n_in, const int *out, int n_out) {
    if (g->n_nodes == g->cap_nodes) {
        int nc = g->cap_nodes ? g->cap_nodes * 2 : 64;
        c8_node *nn = realloc(g->nodes, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        g->nodes = nn;
        g->cap_nodes = nc;
    }
    c8_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = strdup(name);
    n->op_type = strdup(op_type);
    n->domain = strdup(domain ? domain : "");
    n->in = malloc((size_t)(n_in > 0 ? n_in : 1) * sizeof(int));
    n->out = malloc((size_t)(n_out > 0 ? n_out : 1) * sizeof(int));
    n->fusion.residual = -1;
    n->layer = -1;
    if (!n->name || !n->op_type || !n->domain || !n->in || !n->out) {
        node_free(n);
        return -1;
    }
    if (n_in) memcpy(n->in, in, (size_t)n_in * sizeof(int));
    if (n_out) memcpy(n->out, out, (size_t)n_out * sizeof(int));
    n->n_in = n_in;
    n->n_out = n_out;
    n->op = op;
    return g->n_nodes++;
}

c8_status c8_node_add_attr(c8_graph *g, int n, const c8_attr *a, c8_error *err) {
    c8_node *node = &g->nodes[n];
    c8_attr *na = realloc(node->attrs, (size_t)(node->n_attrs + 1) * sizeof *na);
    if (!na) return c8_err(err, C8_ERR_NOMEM, "out of memory adding attribute");
    node->attrs = na;
    node->attrs[node->n_attrs++] = *a;
    return C8_OK;
}

c8_status c8_node_add_attr_string(c8_graph *g, int n, const char *name, const char *value,
                                  c8_error *err) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_STRING;
    a.s = strdup(value);
    if (!a.name || !a.s) {
        c8_attr_free(&a);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    return c8_node_add_attr(g, n, &a, err);
}

char *c8_graph_unique_name(const c8_graph *g, const char *base) {
    size_t len = strlen(base) + 24;
    char *name = malloc(len);
    if (!name) return NULL;
    snprintf(name, len, "%s", base);
    for (int k = 1; c8_graph_find_value(g, name) >= 0; k++) snprintf(name, len, "%s_%d", base, k);
    return name;
}

int c8_graph_consumer_count(const c8_graph *g, int v) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) c++;
        if (n->fusion.residual == v) c++;
    }
    return c;
}

const c8_attr *c8_node_attr(const c8_node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

int64_t c8_node_attr_i(const c8_node *n, const char *name, int64_t dflt) {
    const c8_attr *a = c8_node_attr(n, name);
    return (a && a->type == C8_ATTR_INT) ? a->i : dflt;
}

float c8_node_attr_f(const c8_node *n, const char *name, float dflt) {
    const c8_attr *a = c8_node_attr(n, name);
    return (a && a->type == C8_ATTR_FLOAT) ? a->f : dflt;
}

const char *c8_node_attr_s(const c8_node *n, const char *name, const char *dflt) {
    const c8_attr *a = c8_node_attr(n, name);
    return (a && a->type == C8_ATTR_STRING) ? a->s : dflt;
}

size_t c8_node_attr_ints(const c8_node *n, const char *name, const int64_t **v) {
    const c8_attr *a = c8_node_attr(n, name);
    if (!a || a->type != C8_ATTR_INTS) {
        *v = NULL;
        return 0;
    }
    *v = a->ints;
    return a->n;
}

/* ---- finalize: producers, definedness, topological order ---- */

c8_status c8_graph_finalize(c8_graph *g, c8_error *err) {
    for (int i = 0; i < g->n_vals; i++) g->vals[i].producer = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_out; k++) {
            int v = n->out[k];
            if (v < 0) continue;
            c8_value *val = &g->vals[v];
            if (val->kind != C8_VAL_ACTIVATION)
                return c8_err(err, C8_ERR_PARSE,
                              "%s: node '%s' (%s) writes '%s', which is a graph input or constant",
                              g->path, n->name, n->op_type, val->name);
            if (val->producer >= 0)
                return c8_err(err, C8_ERR_PARSE,
                              "%s: tensor '%s' is produced twice (by nodes '%s' and '%s')", g->path,
                              val->name, g->nodes[val->producer].name, n->name);
            val->producer = i;
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0) continue;
            c8_value *val = &g->vals[v];
            if (val->kind == C8_VAL_ACTIVATION && val->producer < 0)
                return c8_err(err, C8_ERR_PARSE,
                              "%s: node '%s' (%s) reads tensor '%s', which no node produces and "
                              "which is neither a graph input nor an initializer",
                              g->path, n->name, n->op_type, val->name);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        c8_value *val = &g->vals[g->outputs[i]];
        if (val->kind == C8_VAL_ACTIVATION && val->producer < 0)
            return c8_err(err, C8_ERR_PARSE, "%s: graph output '%s' is not produced by any node",
                          g->path, val->name);
    }
    /* Kahn's algorithm, stable: repeatedly take the earliest node whose inputs are ready. */
    int nn = g->n_nodes;
    int *order = malloc((size_t)(nn ? nn : 1) * sizeof(int));
    char *done = calloc((size_t)(nn ? nn : 1), 1);
    char *ready_val = calloc((size_t)(g->n_vals ? g->n_vals : 1), 1);
    if (!order || !done || !ready_val) {
        free(order);
        free(done);
        free(ready_val);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory ordering the graph", g->path);
    }
    for (int v = 0; v < g->n_vals; v++)
        ready_val[v] = g->vals[v].kind != C8_VAL_ACTIVATION || g->vals[v].producer < 0;
    int placed = 0, live = 0;
    for (int i = 0; i < nn; i++) live += !g->nodes[i].dead;
    int progress = 1;
    while (placed < live && progress) {
        progress = 0;
        for (int i = 0; i < nn; i++) {
            c8_node *n = &g->nodes[i];
            if (n->dead || done[i]) continue;
            int ok = 1;
            for (int k = 0; k < n->n_in && ok; k++)
                if (n->in[k] >= 0 && !ready_val[n->in[k]]) ok = 0;
            if (ok && n->fusion.residual >= 0 && !ready_val[n->fusion.residual]) ok = 0;
            if (!ok) continue;
            done[i] = 1;
            order[placed++] = i;
            for (int k = 0; k < n->n_out; k++)
                if (n->out[k] >= 0) ready_val[n->out[k]] = 1;
            progress = 1;
            break; /* restart from the front to keep the order stable */
        }
    }
    if (placed < live) {
        const char *culprit = "?";
        for (int i = 0; i < nn; i++)
            if (!g->nodes[i].dead && !done[i]) {
                culprit = g->nodes[i].name;
                break;
            }
        free(order);
        free(done);
        free(ready_val);
        return c8_err(err, C8_ERR_PARSE, "%s: the graph has a cycle through node '%s'", g->path,
                      culprit);
    }
    /* Permute nodes into `order` (dead nodes go last). */
    c8_node *nodes = malloc((size_t)(nn ? nn : 1) * sizeof *nodes);
    if (!nodes) {
        free(order);
        free(done);
        free(ready_val);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory ordering the graph", g->path);
    }
    int k = 0;
    for (int i = 0; i < placed; i++) nodes[k++] = g->nodes[order[i]];
    for (int i = 0; i < nn; i++)
        if (g->nodes[i].dead) nodes[k++] = g->nodes[i];
    if (nn) memcpy(g->nodes, nodes, (size_t)nn * sizeof *nodes);
    free(nodes);
    free(order);
    free(done);
    free(ready_val);
    for (int i = 0; i < g->n_vals; i++) g->vals[i].producer = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead) continue;
        for (int o = 0; o < g->nodes[i].n_out; o++)
            if (g->nodes[i].out[o] >= 0) g->vals[g->nodes[i].out[o]].producer = i;
    }
    return C8_OK;
}

c8_status c8_graph_compact(c8_graph *g, c8_error *err) {
    /* drop dead nodes */
    int w = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead) {
            node_free(&g->nodes[i]);
            continue;
        }
        g->nodes[w++] = g->nodes[i];
    }
    g->n_nodes = w;
    /* mark used values */
    char *used = calloc((size_t)(g->n_vals ? g->n_vals : 1), 1);
    int *remap = malloc((size_t)(g->n_vals ? g->n_vals : 1) * sizeof(int));
    if (!used || !remap) {
        free(used);
        free(remap);
        return c8_err(err, C8_ERR_NOMEM, "out of memory compacting the graph");
    }
    for (int i = 0; i < g->n_inputs; i++) used[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) used[n->in[k]] = 1;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0) used[n->out[k]] = 1;
        if (n->fusion.residual >= 0) used[n->fusion.residual] = 1;
    }
    w = 0;
    for (int i = 0; i < g->n_vals; i++) {
        if (!used[i]) {
            free(g->vals[i].name);
            if (!g->vals[i].borrowed) free(g->vals[i].data);
            remap[i] = -1;
            continue;
        }
        remap[i] = w;
        g->vals[w++] = g->vals[i];
    }
    g->n_vals = w;
    for (int i = 0; i < g->n_inputs; i++) g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++) g->outputs[i] = remap[g->outputs[i]];
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) n->in[k] = remap[n->in[k]];
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0) n->out[k] = remap[n->out[k]];
        if (n->fusion.residual >= 0) n->fusion.residual = remap[n->fusion.residual];
    }
    free(used);
    free(remap);
    return c8_graph_finalize(g, err);
}

static void *dup_mem(const void *p, size_t n) {
    if (!p) return NULL;
    void *q = malloc(n ? n : 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

static char *dup_str(const char *s) { return s ? strdup(s) : NULL; }

static int attr_copy(c8_attr *d, const c8_attr *s) {
    *d = *s;
    d->name = dup_str(s->name);
    d->s = dup_str(s->s);
    d->ints = s->ints ? dup_mem(s->ints, s->n * sizeof(int64_t)) : NULL;
    d->floats = s->floats ? dup_mem(s->floats, s->n * sizeof(float)) : NULL;
    d->strings = NULL;
    if (s->strings) {
        d->strings = calloc(s->n ? s->n : 1, sizeof(char *));
        if (!d->strings) return 0;
        for (size_t i = 0; i < s->n; i++) d->strings[i] = dup_str(s->strings[i]);
    }
    d->tensor.data = s->tensor.data ? dup_mem(s->tensor.data, s->tensor.nbytes) : NULL;
    return d->name != NULL;
}

static c8_graph *clone_impl(const c8_graph *g, bool shallow);

c8_graph *c8_graph_clone(const c8_graph *g) { return clone_impl(g, false); }
c8_graph *c8_graph_clone_shallow(const c8_graph *g) { return clone_impl(g, true); }

static c8_graph *clone_impl(const c8_graph *g, bool shallow) {
    c8_graph *c = c8_graph_create(g->path);
    if (!c) return NULL;
    c->opset = g->opset;
    c->ir_version = g->ir_version;
    free(c->producer);
    c->producer = dup_str(g->producer);
    memcpy(c->sha256, g->sha256, sizeof c->sha256);
    c->vals = calloc((size_t)(g->n_vals ? g->n_vals : 1), sizeof *c->vals);
    c->nodes = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *c->nodes);
    c->inputs = dup_mem(g->inputs, (size_t)g->n_inputs * sizeof(int));
    c->outputs = dup_mem(g->outputs, (size_t)g->n_outputs * sizeof(int));
    if (!c->vals || !c->nodes || (g->n_inputs && !c->inputs) || (g->n_outputs && !c->outputs)) {
        c8_graph_destroy(c);
        return NULL;
    }
    c->cap_vals = g->n_vals ? g->n_vals : 1;
    c->cap_nodes = g->n_nodes ? g->n_nodes : 1;
    c->n_inputs = g->n_inputs;
    c->n_outputs = g->n_outputs;
    for (int i = 0; i < g->n_vals; i++) {
        c->vals[i] = g->vals[i];
        c->vals[i].name = dup_str(g->vals[i].name);
        if (shallow && g->vals[i].data) {
            c->vals[i].borrowed = true;
        } else {
            c->vals[i].borrowed = false;
            c->vals[i].data = g->vals[i].data ? dup_mem(g->vals[i].data, g->vals[i].nbytes) : NULL;
        }
        c->n_vals++;
        if (!c->vals[i].name || (g->vals[i].data && !c->vals[i].data)) {
            c8_graph_destroy(c);
            return NULL;
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *s = &g->nodes[i];
        c8_node *d = &c->nodes[i];
        *d = *s;
        d->name = dup_str(s->name);
        d->op_type = dup_str(s->op_type);
        d->domain = dup_str(s->domain);
        d->in = dup_mem(s->in, (size_t)s->n_in * sizeof(int));
        d->out = dup_mem(s->out, (size_t)s->n_out * sizeof(int));
        d->fusion.label = dup_str(s->fusion.label);
        d->attrs = s->n_attrs ? calloc((size_t)s->n_attrs, sizeof *d->attrs) : NULL;
        d->n_attrs = 0;
        c->n_nodes++;
        int ok = d->name && d->op_type && d->domain && d->in && d->out && (!s->n_attrs || d->attrs);
        for (int a = 0; ok && a < s->n_attrs; a++) {
            ok = attr_copy(&d->attrs[a], &s->attrs[a]);
            d->n_attrs++;
        }
        if (!ok) {
            c8_graph_destroy(c);
            return NULL;
        }
    }
    return c;
}
