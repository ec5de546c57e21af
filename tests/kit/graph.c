/* The one-node op harness of the test kit (t_*); see tests/kit/graph.h. Values, constants and
 * shapes are made with the kit's graph builders (pu_*). */
#include "kit/graph.h"

#include "util/err.h"

#include <math.h>

#define GUARD_BYTES 64
#define GUARD_VALUE 0xA5

t_op *t_new(int64_t opset, const char *op_type) {
    t_op *t = calloc(1, sizeof *t);
    t->g = c8_graph_create("test.onnx");
    t->g->opset = opset;
    t->op_type = op_type;
    t->node = -1;
    return t;
}

void t_free(t_op *t) {
    if (!t) return;
    for (int k = 0; k < T_MAX_IO; k++) free(t->y[k]);
    for (int a = 0; a < t->n_attrs; a++) c8_attr_free(&t->attrs[a]);
    c8_graph_destroy(t->g);
    free(t);
}

void t_in(t_op *t, c8_dtype dt, int rank, const int64_t *dims, const void *data) {
    char name[16];
    snprintf(name, sizeof name, "x%d", t->n_in);
    c8_shape s = pu_shape(rank < 0 ? 0 : rank, dims);
    int v = c8_graph_add_value(t->g, name, C8_VAL_INPUT, dt, rank < 0 ? NULL : &s);
    t->data[t->n_in] = data;
    t->in[t->n_in++] = v;
}

void t_const(t_op *t, c8_dtype dt, int rank, const int64_t *dims, const void *data) {
    char name[16];
    snprintf(name, sizeof name, "c%d", t->n_in);
    int v = pu_const_vals(t->g, name, pu_shape(rank, dims), dt, data);
    t->data[t->n_in] = t->g->vals[v].data;
    t->in[t->n_in++] = v;
}

void t_absent(t_op *t) {
    t->data[t->n_in] = NULL;
    t->in[t->n_in++] = -1;
}

void t_outs(t_op *t, int n) {
    for (int k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "y%d", k);
        t->out[t->n_out++] =
            c8_graph_add_value(t->g, name, C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
    }
}

static c8_attr *new_attr(t_op *t, const char *name, c8_attr_type type) {
    c8_attr *a = &t->attrs[t->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    a->type = type;
    return a;
}

void t_attr_i(t_op *t, const char *name, int64_t v) { new_attr(t, name, C8_ATTR_INT)->i = v; }
void t_attr_f(t_op *t, const char *name, float v) { new_attr(t, name, C8_ATTR_FLOAT)->f = v; }
void t_attr_s(t_op *t, const char *name, const char *v) {
    new_attr(t, name, C8_ATTR_STRING)->s = strdup(v);
}
void t_attr_ints(t_op *t, const char *name, int n, const int64_t *v) {
    c8_attr *a = new_attr(t, name, C8_ATTR_INTS);
    a->n = (size_t)n;
    a->ints = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (n) memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}
void t_attr_floats(t_op *t, const char *name, int n, const float *v) {
    c8_attr *a = new_attr(t, name, C8_ATTR_FLOATS);
    a->n = (size_t)n;
    a->floats = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (n) memcpy(a->floats, v, (size_t)n * sizeof(float));
}

c8_status t_load(t_op *t) {
    memset(&t->err, 0, sizeof t->err);
    if (t->node < 0) {
        t->node = c8_graph_add_node(t->g, "n0", t->op_type, "", c8_op_from_onnx(t->op_type), t->in,
                                    t->n_in, t->out, t->n_out);
        for (int a = 0; a < t->n_attrs; a++) c8_node_add_attr(t->g, t->node, &t->attrs[a], &t->err);
        t->n_attrs = 0; /* the graph owns them now */
        for (int k = 0; k < t->n_out; k++) t->g->vals[t->out[k]].is_output = true;
    }
    C8_TRY(c8_graph_finalize(t->g, &t->err));
    C8_TRY(c8_graph_check_ops(t->g, &t->err));
    const c8_node *n = &t->g->nodes[t->node];
    const c8_op_def *d = c8_op_lookup(n->op);
    return d->infer(t->g, &t->g->nodes[t->node], &t->err);
}

c8_status t_run(t_op *t) {
    const c8_node *n = &t->g->nodes[t->node];
    c8_host_tensor in[T_MAX_IO], out[T_MAX_IO];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    for (int k = 0; k < n->n_in; k++) {
        if (n->in[k] < 0) continue;
        const c8_value *v = &t->g->vals[n->in[k]];
        in[k].name = v->name;
        in[k].dtype = v->dtype;
        in[k].shape = v->shape;
        in[k].data = (void *)t->data[k];
    }
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0) continue;
        const c8_value *v = &t->g->vals[n->out[k]];
        int64_t numel = c8_shape_numel(&v->shape);
        CU_ASSERT_FATAL(v->shape.rank >= 0 && numel >= 0);
        size_t bytes = (size_t)numel * c8_dtype_size(v->dtype);
        free(t->y[k]);
        t->y[k] = malloc(bytes + GUARD_BYTES);
        memset(t->y[k], GUARD_VALUE, bytes + GUARD_BYTES);
        t->ybytes[k] = bytes;
        out[k].name = v->name;
        out[k].dtype = v->dtype;
        out[k].shape = v->shape;
        out[k].data = t->y[k];
    }
    memset(&t->err, 0, sizeof t->err);
    c8_status s = c8_node_run_ref(t->g, n, in, out, NULL, &t->err);
    for (int k = 0; k < n->n_out; k++) {
        if (!t->y[k]) continue;
        const unsigned char *gb = (const unsigned char *)t->y[k] + t->ybytes[k];
        int intact = 1;
        for (int i = 0; i < GUARD_BYTES; i++) intact &= gb[i] == GUARD_VALUE;
        CU_ASSERT(intact);
        if (!intact) printf("\n    guard bytes after output %d overwritten\n", k);
    }
    return s;
}

c8_status t_load_run(t_op *t) {
    C8_TRY(t_load(t));
    return t_run(t);
}

const c8_value *t_outv(const t_op *t, int k) { return &t->g->vals[t->out[k]]; }

const char *t_shape(const t_op *t, int k) {
    static char buf[8][160];
    static int slot;
    char *b = buf[slot++ % 8];
    return c8_shape_str(&t_outv(t, k)->shape, b, 160);
}

int t_close_f32(const float *got, const double *want, int64_t n, double rtol, double atol,
                const char *what) {
    int64_t worst = -1;
    double worst_ex = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double ex = fabs((double)got[i] - want[i]) - (atol + rtol * fabs(want[i]));
        if (!(ex <= 0.0) && (worst < 0 || ex > worst_ex || ex != ex)) {
            worst = i;
            worst_ex = ex;
        }
    }
    if (worst >= 0)
        printf("\n    %s: element %lld is %.9g, expected %.9g (rtol %g, atol %g)\n", what,
               (long long)worst, (double)got[worst], want[worst], rtol, atol);
    return worst < 0;
}
