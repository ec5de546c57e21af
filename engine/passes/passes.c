/* The graph optimizer's driver, its log, the helpers the passes share, and the structural
 * passes: dead-layer elimination, constant folding, in-place Concat marking. The folding and
 * fusion passes are in passes_fold.c and passes_fuse.c. Contract and naming rules:
 * engine/passes/passes.h; user documentation: docs/passes.md; tests: tests/engine/passes/. */
#include "engine/passes/passes.h"

#include "ops/infer.h"
#include "engine/passes/passes_int.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ names */

static const char *const k_pass_names[C8_PASS_COUNT_] = {
    "dead_layers",     "fold_constants",  "fold_batchnorm", "fuse_residual",
    "fuse_activation", "fuse_horizontal", "inplace_concat", "fuse_hardswish",
};

const char *c8_pass_name(c8_pass_id p) {
    return (p >= 0 && p < C8_PASS_COUNT_) ? k_pass_names[p] : "unknown";
}

int c8_pass_from_name(const char *name) {
    for (int p = 0; p < C8_PASS_COUNT_; p++)
        if (!strcmp(k_pass_names[p], name)) return p;
    return -1;
}

/* -------------------------------------------------------------------- log */

typedef struct log_line {
    c8_pass_id pass;
    char *text; /* "<pass>: <message>" */
} log_line;

struct c8_pass_log {
    log_line *lines;
    int n, cap;
    int count[C8_PASS_COUNT_];
    int lost; /* lines dropped for lack of memory (still counted) */
    int nodes_before, nodes_after;
};

c8_pass_log *c8_pass_log_create(void) {
    c8_pass_log *log = calloc(1, sizeof *log);
    if (!log) return NULL;
    log->nodes_before = log->nodes_after = -1;
    return log;
}

void c8_pass_log_destroy(c8_pass_log *log) {
    if (!log) return;
    for (int i = 0; i < log->n; i++) free(log->lines[i].text);
    free(log->lines);
    free(log);
}

void c8_pass_log_add(c8_pass_log *log, c8_pass_id pass, const char *fmt, ...) {
    if (!log || pass < 0 || pass >= C8_PASS_COUNT_) return;
    log->count[pass]++;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log->n == log->cap) {
        int nc = log->cap ? log->cap * 2 : 32;
        log_line *nl = realloc(log->lines, (size_t)nc * sizeof *nl);
        if (!nl) {
            log->lost++;
            return;
        }
        log->lines = nl;
        log->cap = nc;
    }
    size_t len = strlen(k_pass_names[pass]) + 2 + strlen(msg) + 1;
    char *text = malloc(len);
    if (!text) {
        log->lost++;
        return;
    }
    snprintf(text, len, "%s: %s", k_pass_names[pass], msg);
    log->lines[log->n].pass = pass;
    log->lines[log->n].text = text;
    log->n++;
}

int c8_pass_log_count(const c8_pass_log *log, c8_pass_id pass) {
    if (!log || pass < 0 || pass >= C8_PASS_COUNT_) return 0;
    return log->count[pass];
}

int c8_pass_log_size(const c8_pass_log *log) { return log ? log->n : 0; }

const char *c8_pass_log_line(const c8_pass_log *log, int i, c8_pass_id *pass) {
    if (!log || i < 0 || i >= log->n) return NULL;
    if (pass) *pass = log->lines[i].pass;
    return log->lines[i].text;
}

int c8_pass_log_nodes_before(const c8_pass_log *log) { return log ? log->nodes_before : -1; }
int c8_pass_log_nodes_after(const c8_pass_log *log) { return log ? log->nodes_after : -1; }

void c8_pass_log_print(const c8_pass_log *log, FILE *fp) {
    if (!log) return;
    for (int i = 0; i < log->n; i++) fprintf(fp, "  %s\n", log->lines[i].text);
    if (log->lost)
        fprintf(fp, "  (%d more change(s) not listed: out of memory while logging)\n", log->lost);
    fprintf(fp, "changes per pass:\n");
    for (int p = 0; p < C8_PASS_COUNT_; p++)
        fprintf(fp, "  %-16s %d\n", k_pass_names[p], log->count[p]);
    if (log->nodes_before >= 0)
        fprintf(fp, "nodes: %d before, %d after\n", log->nodes_before, log->nodes_after);
}

/* ---------------------------------------------------------------- helpers */

int c8p_single_consumer(const c8_graph *g, int v) {
    int found = -1, reads = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) {
                reads++;
                found = i;
            }
        if (n->fusion.residual == v) {
            reads++;
            found = i;
        }
    }
    return reads == 1 ? found : -1;
}

void c8p_replace_uses(c8_graph *g, int from, int to) {
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == from) n->in[k] = to;
        if (n->fusion.residual == from) n->fusion.residual = to;
    }
}

void c8p_take_output(c8_graph *g, int pi, int ci) {
    c8_node *p = &g->nodes[pi], *c = &g->nodes[ci];
    int y = c->out[0];
    if (p->out[0] >= 0) g->vals[p->out[0]].producer = -1;
    p->out[0] = y;
    g->vals[y].producer = pi;
    c->dead = true;
}

int c8p_live_nodes(const c8_graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead;
    return n;
}

int c8p_add_const(c8_graph *g, const char *base, c8_dtype dt, const c8_shape *shape, void *data,
                  size_t nbytes, c8_error *err) {
    char *name = c8_graph_unique_name(g, base);
    int v = name ? c8_graph_add_value(g, name, C8_VAL_CONST, dt, shape) : -1;
    free(name);
    if (v < 0) {
        free(data);
        c8_err(err, C8_ERR_NOMEM, "%s: out of memory adding constant '%s'", g->path, base);
        return -1;
    }
    c8_graph_set_const(g, v, dt, shape, data, nbytes);
    return v;
}

c8_status c8p_set_input(c8_graph *g, int ni, int k, int v, c8_error *err) {
    c8_node *n = &g->nodes[ni];
    if (k >= n->n_in) {
        int *in = realloc(n->in, (size_t)(k + 1) * sizeof(int));
        if (!in) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
        for (int j = n->n_in; j <= k; j++) in[j] = -1;
        n->in = in;
        n->n_in = k + 1;
    }
    n->in[k] = v;
    return C8_OK;
}

static c8_attr *find_attr(c8_node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

static c8_status add_scalar_attr(c8_graph *g, int ni, const char *name, c8_attr_type t, float f,
                                 int64_t i, c8_error *err) {
    c8_attr *a = find_attr(&g->nodes[ni], name);
    if (a) {
        c8_attr_free(a);
        a->name = strdup(name);
        if (!a->name) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
        a->type = t;
        a->f = f;
        a->i = i;
        return C8_OK;
    }
    c8_attr na;
    memset(&na, 0, sizeof na);
    na.name = strdup(name);
    if (!na.name) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    na.type = t;
    na.f = f;
    na.i = i;
    c8_status s = c8_node_add_attr(g, ni, &na, err);
    if (s != C8_OK) c8_attr_free(&na);
    return s;
}

c8_status c8p_set_attr_f(c8_graph *g, int ni, const char *name, float f, c8_error *err) {
    return add_scalar_attr(g, ni, name, C8_ATTR_FLOAT, f, 0, err);
}

c8_status c8p_set_attr_i(c8_graph *g, int ni, const char *name, int64_t i, c8_error *err) {
    return add_scalar_attr(g, ni, name, C8_ATTR_INT, 0.0f, i, err);
}

c8_status c8p_add_attr_ints(c8_graph *g, int ni, const char *name, const int64_t *v, size_t n,
                            c8_error *err) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_INTS;
    a.n = n;
    a.ints = malloc((n ? n : 1) * sizeof(int64_t));
    if (!a.name || !a.ints) {
        c8_attr_free(&a);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    }
    if (n) memcpy(a.ints, v, n * sizeof(int64_t));
    c8_status s = c8_node_add_attr(g, ni, &a, err);
    if (s != C8_OK) c8_attr_free(&a);
    return s;
}

c8_status c8p_add_attr_strings(c8_graph *g, int ni, const char *name, const char *const *v,
                               size_t n, c8_error *err) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_STRINGS;
    a.strings = calloc(n ? n : 1, sizeof(char *));
    bool ok = a.name && a.strings;
    if (a.strings) a.n = n;
    for (size_t i = 0; ok && i < n; i++) ok = (a.strings[i] = strdup(v[i])) != NULL;
    if (!ok) {
        c8_attr_free(&a);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    }
    c8_status s = c8_node_add_attr(g, ni, &a, err);
    if (s != C8_OK) c8_attr_free(&a);
    return s;
}

bool c8p_attr_copy(c8_attr *d, const c8_attr *s) {
    memset(d, 0, sizeof *d);
    d->name = strdup(s->name);
    d->type = s->type;
    d->i = s->i;
    d->f = s->f;
    d->n = s->n;
    bool ok = d->name != NULL;
    switch (s->type) {
    case C8_ATTR_INT:
    case C8_ATTR_FLOAT: break;
    case C8_ATTR_STRING: ok = ok && s->s && (d->s = strdup(s->s)) != NULL; break;
    case C8_ATTR_INTS:
        d->ints = malloc((s->n ? s->n : 1) * sizeof(int64_t));
        ok = ok && d->ints;
        if (ok && s->n) memcpy(d->ints, s->ints, s->n * sizeof(int64_t));
        break;
    case C8_ATTR_FLOATS:
        d->floats = malloc((s->n ? s->n : 1) * sizeof(float));
        ok = ok && d->floats;
        if (ok && s->n) memcpy(d->floats, s->floats, s->n * sizeof(float));
        break;
    case C8_ATTR_STRINGS:
        d->strings = calloc(s->n ? s->n : 1, sizeof(char *));
        ok = ok && d->strings;
        for (size_t i = 0; ok && i < s->n; i++)
            ok = (d->strings[i] = strdup(s->strings[i])) != NULL;
        if (!d->strings) d->n = 0;
        break;
    default: ok = false; break;
    }
    if (!ok) c8_attr_free(d);
    return ok;
}

char c8p_op_letter(c8_op op) {
    switch (op) {
    case C8_OP_CONV:
    case C8_OP_FUSED_CONV: return 'C';
    case C8_OP_CONV_TRANSPOSE: return 'D';
    case C8_OP_GEMM: return 'G';
    case C8_OP_BATCHNORM: return 'B';
    case C8_OP_MUL: return 'M';
    case C8_OP_ADD: return 'A';
    case C8_OP_SUB: return 'S';
    case C8_OP_RELU: return 'R';
    case C8_OP_CLIP: return 'K';
    case C8_OP_LEAKY_RELU: return 'L';
    case C8_OP_SIGMOID: return 'Y';
    case C8_OP_DIV: return 'V';
    default: return '?';
    }
}

c8_status c8p_label_add(c8_graph *g, int ni, c8_op op, const char *name, c8_error *err) {
    c8_node *n = &g->nodes[ni];
    /* label = "<letters>(<names joined by +>)" */
    const char *old = n->fusion.label;
    size_t nlet, nnames;
    const char *names;
    char self[2] = {c8p_op_letter(n->op), '\0'};
    if (old) {
        const char *p = strchr(old, '(');
        size_t len = strlen(old);
        if (!p || len < 2 || old[len - 1] != ')')
            return c8_err(err, C8_ERR_INTERNAL, "%s: node '%s' has a malformed fusion label '%s'",
                          g->path, n->name, old);
        nlet = (size_t)(p - old);
        names = p + 1;
        nnames = len - nlet - 2;
    } else {
        nlet = 1;
        names = n->name;
        nnames = strlen(n->name);
    }
    size_t len = nlet + 1 + 1 + nnames + 1 + strlen(name) + 1 + 1;
    char *lab = malloc(len);
    if (!lab) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    snprintf(lab, len, "%.*s%c(%.*s+%s)", (int)nlet, old ? old : self, c8p_op_letter(op),
             (int)nnames, names, name);
    free(n->fusion.label);
    n->fusion.label = lab;
    return C8_OK;
}

c8_status c8p_make_fused_conv(c8_graph *g, int ni, c8_error *err) {
    c8_node *n = &g->nodes[ni];
    if (n->op != C8_OP_CONV) return C8_OK;
    char *t = strdup(c8_op_name(C8_OP_FUSED_CONV));
    if (!t) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    free(n->op_type);
    n->op_type = t;
    n->op = C8_OP_FUSED_CONV;
    return C8_OK;
}

bool c8p_is_float_const(const c8_graph *g, int v) {
    if (v < 0) return false;
    const c8_value *val = &g->vals[v];
    return val->kind == C8_VAL_CONST && val->dtype == C8_DT_FLOAT && val->shape.rank >= 0 &&
           c8_shape_numel(&val->shape) >= 0 &&
           val->nbytes == (size_t)c8_shape_numel(&val->shape) * sizeof(float) &&
           (val->data || val->nbytes == 0);
}

bool c8p_same_shape(const c8_shape *a, const c8_shape *b) {
    if (a->rank < 0 || a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return false;
    return true;
}

c8_status c8p_finish(c8_graph *g, bool changed, c8_error *err) {
    return changed ? c8_graph_compact(g, err) : C8_OK;
}

/* ----------------------------------------------------- dead-layer elimination */

/* Dropout at inference is the identity when training_mode is absent or a constant false. */
static bool dropout_is_identity(const c8_graph *g, const c8_node *n) {
    if (n->n_out > 1 && n->out[1] >= 0) {
        int mask = n->out[1];
        if (g->vals[mask].is_output || c8_graph_consumer_count(g, mask) > 0) return false;
    }
    const c8_value *tm = c8_node_input(g, n, 2);
    if (!tm) return true;
    if (tm->kind != C8_VAL_CONST || !tm->data) return false;
    for (size_t i = 0; i < tm->nbytes; i++)
        if (((const unsigned char *)tm->data)[i]) return false;
    return true;
}

c8_status c8_pass_dead_layers(c8_graph *g, c8_pass_log *log, c8_error *err) {
    bool changed = false;
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        if (n->dead || (n->op != C8_OP_IDENTITY && n->op != C8_OP_DROPOUT)) continue;
        if (n->n_in < 1 || n->in[0] < 0 || n->n_out < 1 || n->out[0] < 0) continue;
        if (n->op == C8_OP_DROPOUT && !dropout_is_identity(g, n)) continue;
        const int vin = n->in[0], vout = n->out[0];
        if (!g->vals[vout].is_output) {
            n->dead = true;
            c8p_replace_uses(g, vout, vin);
            c8_pass_log_add(log, C8_PASS_DEAD_LAYERS,
                            "removed %s '%s' (its consumers read '%s' instead of '%s')", n->op_type,
                            n->name, g->vals[vin].name, g->vals[vout].name);
            changed = true;
            continue;
        }
        /* The output is a graph output and keeps its name: the producer of the input writes it
         * directly, and the input's other consumers read it. */
        c8_value *x = &g->vals[vin];
        if (x->kind != C8_VAL_ACTIVATION || x->producer < 0 || x->is_output) continue;
        c8_node *p = &g->nodes[x->producer];
        int slot = -1;
        for (int k = 0; k < p->n_out; k++)
            if (p->out[k] == vin) slot = k;
        if (p->dead || slot < 0) continue;
        n->dead = true;
        p->out[slot] = vout;
        g->vals[vout].producer = x->producer;
        x->producer = -1;
        c8p_replace_uses(g, vin, vout);
        c8_pass_log_add(log, C8_PASS_DEAD_LAYERS,
                        "removed %s '%s' (graph output '%s' is now written by '%s', which wrote "
                        "'%s')",
                        n->op_type, n->name, g->vals[vout].name, p->name, g->vals[vin].name);
        changed = true;
    }
    /* Nodes whose outputs nothing reads, last to first so that chains go in one sweep. */
    int *uses = calloc((size_t)(g->n_vals ? g->n_vals : 1), sizeof(int));
    if (!uses) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) uses[n->in[k]]++;
        if (n->fusion.residual >= 0) uses[n->fusion.residual]++;
    }
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        bool used = false;
        for (int k = 0; k < n->n_out && !used; k++)
            if (n->out[k] >= 0 && (uses[n->out[k]] > 0 || g->vals[n->out[k]].is_output))
                used = true;
        if (used) continue;
        n->dead = true;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) uses[n->in[k]]--;
        if (n->fusion.residual >= 0) uses[n->fusion.residual]--;
        const c8_value *y = c8_node_output(g, n, 0);
        c8_pass_log_add(log, C8_PASS_DEAD_LAYERS, "removed %s '%s' (nothing reads its output%s%s)",
                        n->op_type, n->name, y ? " " : "", y ? y->name : "");
        changed = true;
    }
    free(uses);
    return c8p_finish(g, changed, err);
}

/* ------------------------------------------------------- constant folding */

typedef struct node_rec {
    char *name, *op_type, *out;
} node_rec;

static int cmp_rec(const void *a, const void *b) {
    return strcmp(((const node_rec *)a)->name, ((const node_rec *)b)->name);
}

static int cmp_cstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_recs(node_rec *r, int n) {
    for (int i = 0; i < n; i++) {
        free(r[i].name);
        free(r[i].op_type);
        free(r[i].out);
    }
    free(r);
}

c8_status c8_pass_fold_constants(c8_graph *g, c8_pass_log *log, c8_error *err) {
    /* Remember the live nodes by name, so that the folded ones can be listed afterwards
     * (c8_graph_infer compacts, which renumbers nodes). */
    int nb = 0;
    node_rec *before = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *before);
    if (!before) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    bool ok = true;
    for (int i = 0; i < g->n_nodes && ok; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        const c8_value *y = c8_node_output(g, n, 0);
        before[nb].name = strdup(n->name);
        before[nb].op_type = strdup(n->op_type);
        before[nb].out = strdup(y ? y->name : "");
        ok = before[nb].name && before[nb].op_type && before[nb].out;
        nb++;
    }
    if (!ok) {
        free_recs(before, nb);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    }
    int folded = 0;
    c8_status s = c8_graph_infer(g, true, &folded, err);
    if (s != C8_OK || folded == 0 || !log) {
        free_recs(before, nb);
        return s;
    }
    /* Multiset difference by name: before minus after. */
    int na = 0;
    char **after = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(char *));
    if (!after) {
        free_recs(before, nb);
        return c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead) after[na++] = g->nodes[i].name;
    qsort(before, (size_t)nb, sizeof *before, cmp_rec);
    qsort(after, (size_t)na, sizeof *after, cmp_cstr);
    int listed = 0;
    for (int i = 0, j = 0; i < nb; i++) {
        int c = 1;
        while (j < na && (c = strcmp(after[j], before[i].name)) < 0) j++;
        if (j < na && c == 0) {
            j++; /* still there */
            continue;
        }
        c8_pass_log_add(log, C8_PASS_FOLD_CONSTANTS,
                        "folded %s '%s' (output '%s' is now a constant)", before[i].op_type,
                        before[i].name, before[i].out);
        listed++;
    }
    for (; listed < folded; listed++)
        c8_pass_log_add(log, C8_PASS_FOLD_CONSTANTS, "folded a node whose name is not unique");
    free(after);
    free_recs(before, nb);
    return C8_OK;
}

/* -------------------------------------------------------- in-place Concat */

c8_status c8_pass_inplace_concat(c8_graph *g, c8_pass_log *log, c8_error *err) {
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        if (n->dead || n->op != C8_OP_CONCAT || n->n_in < 2) continue;
        if (c8_node_attr(n, "c8_inplace")) continue;
        const c8_value *y = c8_node_output(g, n, 0);
        if (!y || y->shape.rank != 4) continue;
        int64_t axis = c8_node_attr_i(n, "axis", 1);
        if (axis < 0) axis += 4;
        if (axis != 1) continue;
        bool ok = true;
        for (int k = 0; k < n->n_in && ok; k++) {
            int v = n->in[k];
            if (v < 0) {
                ok = false;
                break;
            }
            const c8_value *x = &g->vals[v];
            ok = x->kind == C8_VAL_ACTIVATION && !x->is_output && x->producer >= 0 &&
                 !g->nodes[x->producer].dead && c8p_single_consumer(g, v) == i;
            if (ok) {
                const c8_node *p = &g->nodes[x->producer];
                ok = !(p->op == C8_OP_CONCAT && c8_node_attr_i(p, "c8_inplace", 0) == 1);
            }
        }
        if (!ok) continue;
        C8_TRY(c8p_set_attr_i(g, i, "c8_inplace", 1, err));
        n = &g->nodes[i];
        c8_pass_log_add(log, C8_PASS_INPLACE_CONCAT,
                        "Concat '%s' (%d inputs, axis 1) marked in place: its producers may write "
                        "into '%s'",
                        n->name, n->n_in, g->vals[n->out[0]].name);
    }
    return C8_OK;
}

/* ------------------------------------------------------------------ driver */

void c8_pass_options_init(c8_pass_options *o) {
    for (int p = 0; p < C8_PASS_COUNT_; p++) o->enable[p] = true;
}

typedef c8_status (*pass_fn)(c8_graph *g, c8_pass_log *log, c8_error *err);

c8_status c8_graph_optimize(c8_graph *g, const c8_pass_options *opt, c8_pass_log *log,
                            c8_error *err) {
    static const pass_fn fns[C8_PASS_COUNT_] = {
        c8_pass_dead_layers,    c8_pass_fold_constants,  c8_pass_fold_batchnorm,
        c8_pass_fuse_residual,  c8_pass_fuse_activation, c8_pass_fuse_horizontal,
        c8_pass_inplace_concat, c8_pass_fuse_hardswish,
    };
    /* the running order (pass ids are only appended) */
    static const c8_pass_id order[C8_PASS_COUNT_] = {
        C8_PASS_DEAD_LAYERS,     C8_PASS_FOLD_CONSTANTS,  C8_PASS_FOLD_BATCHNORM,
        C8_PASS_FUSE_RESIDUAL,   C8_PASS_FUSE_ACTIVATION, C8_PASS_FUSE_HARDSWISH,
        C8_PASS_FUSE_HORIZONTAL, C8_PASS_INPLACE_CONCAT,
    };
    c8_pass_options d;
    if (!opt) {
        c8_pass_options_init(&d);
        opt = &d;
    }
    const int before = c8p_live_nodes(g);
    for (int i = 0; i < C8_PASS_COUNT_; i++)
        if (opt->enable[order[i]]) C8_TRY(fns[order[i]](g, log, err));
    C8_TRY(c8_graph_compact(g, err));
    C8_TRY(c8_graph_infer(g, false, NULL, err));
    if (log) {
        log->nodes_before = before;
        log->nodes_after = c8p_live_nodes(g);
    }
    return C8_OK;
}
