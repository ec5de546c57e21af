/* The graph-building kit shared by the test suites (tests/engine/passes, tests/ops,
 * tests/kernels/cuda, ...): one place that builds IR graphs by hand.
 *
 * Two layers over the same builders:
 *   - pu_*: small multi-node graphs (values, constants, nodes, attributes), finishing them as model
 *     loading does, finding things in them, running a graph as an FP32 CPU engine
 *     (c8_engine_new around a copy, then a context), and comparing a graph with its optimized
 *     copy;
 *   - t_*: the one-node op harness (tests/ops): one node of one op, the op table's check and
 *     infer on it (as model loading does), then the op's reference run on host tensors, with
 *     guard bytes after every output buffer (implemented in tests/kit/graph.c).
 *
 * The FP32 equivalence norm: for each output tensor, the max-norm relative error
 *     max_i |opt_i - ref_i| / max(max_i |ref_i|, 1e-6)
 * (the error relative to the tensor's largest magnitude, not per element: per-element relative
 * error is meaningless where outputs cross zero, e.g. after a residual Add). Integer, bool and
 * float16 outputs (bit patterns) must match exactly. */
#ifndef C8_TESTS_KIT_GRAPH_H
#define C8_TESTS_KIT_GRAPH_H

#include "c8test.h"

#include "calib8/engine.h"
#include "engine/engine_internal.h"
#include "ops/infer.h"
#include "ops/ir.h"
#include "ops/ops.h"
#include "engine/passes/passes.h"
#include "util/err.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* The bound. Folding rounds w*s to float32 once (the unfused graph rounds conv output
 * and BN separately), so differences are a few float32 ulps of the largest output. */
#define PASSES_RTOL 1e-5
/* Floor of the denominator, so all-zero outputs compare absolutely. */
#define PASSES_FLOOR 1e-6

/* ---- building ---- */

static inline c8_shape pu_shape(int rank, const int64_t *d) {
    c8_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank; i++) s.d[i] = d[i];
    return s;
}
#define PU_SHAPE(...)                                                                              \
    pu_shape((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})

/* The same from rank int64_t arguments (pu_shp(2, (int64_t)3, (int64_t)4); rank 0: a scalar). */
static inline c8_shape pu_shp(int rank, ...) {
    c8_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++) s.d[i] = va_arg(ap, int64_t);
    va_end(ap);
    return s;
}

static inline c8_graph *pu_graph(int64_t opset) {
    c8_graph *g = c8_graph_create("hand-built");
    g->opset = opset;
    g->ir_version = 8;
    return g;
}

static inline int pu_input(c8_graph *g, const char *name, c8_shape s) {
    int v = c8_graph_add_value(g, name, C8_VAL_INPUT, C8_DT_FLOAT, &s);
    g->inputs = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof(int));
    g->inputs[g->n_inputs++] = v;
    return v;
}

static inline void pu_output(c8_graph *g, int v) {
    g->outputs = realloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof(int));
    g->outputs[g->n_outputs++] = v;
    g->vals[v].is_output = true;
}

/* A value of kind INPUT with dtype dt and shape s that is not listed among the graph's inputs
 * (one-node tests call the op's check / infer / run directly), and an activation whose type and
 * shape inference fills in. */
static inline int pu_val_in(c8_graph *g, const char *name, c8_dtype dt, c8_shape s) {
    return c8_graph_add_value(g, name, C8_VAL_INPUT, dt, &s);
}
static inline int pu_val_act(c8_graph *g, const char *name) {
    return c8_graph_add_value(g, name, C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL);
}

/* A float constant with values uniform in [lo, hi). */
static inline int pu_const(c8_graph *g, const char *name, c8_shape s, c8t_rng *r, float lo,
                           float hi) {
    int64_t n = c8_shape_numel(&s);
    float *d = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) d[i] = c8t_uniform(r, lo, hi);
    int v = c8_graph_add_value(g, name, C8_VAL_CONST, C8_DT_FLOAT, &s);
    c8_graph_set_const(g, v, C8_DT_FLOAT, &s, d, (size_t)n * sizeof(float));
    return v;
}

static inline int pu_const_vals(c8_graph *g, const char *name, c8_shape s, c8_dtype dt,
                                const void *vals) {
    int64_t n = c8_shape_numel(&s);
    size_t nb = (size_t)n * c8_dtype_size(dt);
    void *d = malloc(nb ? nb : 1);
    if (nb) memcpy(d, vals, nb);
    int v = c8_graph_add_value(g, name, C8_VAL_CONST, dt, &s);
    c8_graph_set_const(g, v, dt, &s, d, nb);
    return v;
}

/* A node of ONNX op `op_type` reading `in` and writing new values named by `outs` (NULL: an
 * omitted output); returns the node index. The output values are out_v[k] if out_v is given. */
static inline int pu_node(c8_graph *g, const char *name, const char *op_type, const int *in,
                          int n_in, const char *const *outs, int n_out, int *out_v) {
    int ov[8];
    for (int k = 0; k < n_out; k++) {
        ov[k] =
            outs[k] ? c8_graph_add_value(g, outs[k], C8_VAL_ACTIVATION, C8_DT_UNDEFINED, NULL) : -1;
        if (out_v) out_v[k] = ov[k];
    }
    return c8_graph_add_node(g, name, op_type, "", c8_op_from_onnx(op_type), in, n_in, ov, n_out);
}

/* One-output shorthand: returns the output value. */
static inline int pu_op(c8_graph *g, const char *name, const char *op_type, const int *in, int n_in,
                        const char *out) {
    int v;
    const char *outs[1] = {out};
    pu_node(g, name, op_type, in, n_in, outs, 1, &v);
    return v;
}
#define PU_OP(g, name, op, out, ...)                                                               \
    pu_op(g, name, op, (int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), out)

static inline int pu_last_node(const c8_graph *g) { return g->n_nodes - 1; }

static inline void pu_attr_i(c8_graph *g, int n, const char *name, int64_t v) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_INT;
    a.i = v;
    CU_ASSERT_EQUAL(c8_node_add_attr(g, n, &a, NULL), C8_OK);
}

static inline void pu_attr_f(c8_graph *g, int n, const char *name, float v) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_FLOAT;
    a.f = v;
    CU_ASSERT_EQUAL(c8_node_add_attr(g, n, &a, NULL), C8_OK);
}

static inline void pu_attr_s(c8_graph *g, int n, const char *name, const char *v) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = C8_ATTR_STRING;
    a.s = strdup(v);
    CU_ASSERT_EQUAL(c8_node_add_attr(g, n, &a, NULL), C8_OK);
}

/* An INTS (int64_t) or FLOATS attribute of count values. */
static inline void pu_attr_list(c8_graph *g, int n, const char *name, c8_attr_type type, int count,
                                const void *v) {
    c8_attr a;
    memset(&a, 0, sizeof a);
    a.name = strdup(name);
    a.type = type;
    a.n = (size_t)count;
    const size_t esz = type == C8_ATTR_INTS ? sizeof(int64_t) : sizeof(float);
    void *p = malloc((size_t)(count ? count : 1) * esz);
    if (count) memcpy(p, v, (size_t)count * esz);
    if (type == C8_ATTR_INTS)
        a.ints = p;
    else
        a.floats = p;
    CU_ASSERT_EQUAL(c8_node_add_attr(g, n, &a, NULL), C8_OK);
}

static inline void pu_attr_ints(c8_graph *g, int n, const char *name, int count, const int64_t *v) {
    pu_attr_list(g, n, name, C8_ATTR_INTS, count, v);
}

static inline void pu_attr_floats(c8_graph *g, int n, const char *name, int count, const float *v) {
    pu_attr_list(g, n, name, C8_ATTR_FLOATS, count, v);
}

/* The same from count int64_t arguments. */
static inline void pu_attr_ints_v(c8_graph *g, int n, const char *name, int count, ...) {
    int64_t v[64];
    CU_ASSERT_FATAL(count >= 0 && count <= 64);
    va_list ap;
    va_start(ap, count);
    for (int i = 0; i < count; i++) v[i] = va_arg(ap, int64_t);
    va_end(ap);
    pu_attr_ints(g, n, name, count, v);
}
#define PU_INTS(g, n, name, ...)                                                                   \
    pu_attr_ints(g, n, name, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),            \
                 (int64_t[]){__VA_ARGS__})

/* Finalizes, checks and infers (fold: also folds constants, as c8_model_load does). */
static inline c8_status pu_finish(c8_graph *g, bool fold, c8_error *err) {
    C8_TRY(c8_graph_finalize(g, err));
    C8_TRY(c8_graph_check_ops(g, err));
    return c8_graph_infer(g, fold, NULL, err);
}

/* ---- finding things in a graph ---- */

static inline int pu_live(const c8_graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead;
    return n;
}

static inline int pu_count_op(const c8_graph *g, c8_op op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead && g->nodes[i].op == op;
    return n;
}

/* The live node writing the value called name, or NULL. */
static inline const c8_node *pu_producer(const c8_graph *g, const char *name) {
    int v = c8_graph_find_value(g, name);
    if (v < 0) return NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] == v) return n;
    }
    return NULL;
}

static inline const c8_node *pu_node_named(const c8_graph *g, const char *name) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && !strcmp(g->nodes[i].name, name)) return &g->nodes[i];
    return NULL;
}

/* ---- running and comparing ---- */

typedef struct pu_result {
    int n;               /* outputs */
    c8_host_tensor *out; /* copies (data malloc'd) */
} pu_result;

static inline void pu_result_free(pu_result *r) {
    for (int i = 0; i < r->n; i++) {
        free(r->out[i].data);
        free((char *)r->out[i].name);
    }
    free(r->out);
    memset(r, 0, sizeof *r);
}

/* Runs engine e on inputs and copies its outputs into res. */
static inline c8_status pu_run_engine(c8_engine *e, const c8_host_tensor *inputs, pu_result *res,
                                      c8_error *err) {
    memset(res, 0, sizeof *res);
    c8_context *ctx;
    C8_TRY(c8_context_create(e, &ctx, err));
    const int nin = c8_engine_num_inputs(e), nout = c8_engine_num_outputs(e);
    c8_status s = c8_context_run(ctx, inputs, nin, err);
    if (s == C8_OK) {
        res->out = calloc((size_t)(nout ? nout : 1), sizeof *res->out);
        for (int i = 0; s == C8_OK && i < nout; i++) {
            c8_host_tensor t;
            s = c8_context_output(ctx, i, &t, err);
            if (s != C8_OK) break;
            size_t nb = (size_t)c8_shape_numel(&t.shape) * c8_dtype_size(t.dtype);
            res->out[i] = t;
            const char *nm;
            c8_engine_output(e, i, &nm, NULL, NULL);
            res->out[i].name = strdup(nm); /* the engine may go before the result */
            res->out[i].data = malloc(nb ? nb : 1);
            if (nb) memcpy(res->out[i].data, t.data, nb);
            res->n = i + 1;
        }
    }
    c8_context_destroy(ctx);
    return s;
}

/* Runs a copy of g as an FP32 CPU engine (c8_engine_new around the copy: no builder, no passes)
 * on inputs (one per graph input, in order) and copies its outputs into res. */
static inline c8_status pu_run(const c8_graph *g, const c8_host_tensor *inputs, pu_result *res,
                               c8_error *err) {
    memset(res, 0, sizeof *res);
    c8_graph *copy = c8_graph_clone(g);
    c8_engine *e = copy ? c8_engine_new(copy, C8_DEVICE_CPU, C8_PREC_FP32) : NULL;
    if (!e) {
        c8_graph_destroy(copy);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    c8_status s = pu_run_engine(e, inputs, res, err);
    c8_engine_destroy(e);
    return s;
}

static inline double pu_elem(c8_dtype dt, const void *p, int64_t i) {
    switch (dt) {
    case C8_DT_FLOAT: return ((const float *)p)[i];
    case C8_DT_DOUBLE: return ((const double *)p)[i];
    case C8_DT_INT64: return (double)((const int64_t *)p)[i];
    case C8_DT_INT32: return ((const int32_t *)p)[i];
    case C8_DT_INT16: return ((const int16_t *)p)[i];
    case C8_DT_INT8: return ((const int8_t *)p)[i];
    case C8_DT_UINT8:
    case C8_DT_BOOL: return ((const uint8_t *)p)[i];
    case C8_DT_UINT16:
    case C8_DT_FLOAT16: return ((const uint16_t *)p)[i]; /* float16: bits, compared exactly */
    case C8_DT_UINT32: return ((const uint32_t *)p)[i];
    case C8_DT_UINT64: return (double)((const uint64_t *)p)[i];
    default: return NAN;
    }
}

/* Compares opt against ref output by output (names, dtypes, shapes, values). Returns the worst
 * max-norm relative error over float outputs (0 when exact) in *worst, and false on a
 * structural mismatch or an integer difference, with the reason in why. */
static inline bool pu_compare(const pu_result *ref, const pu_result *opt, double *worst, char *why,
                              size_t wl) {
    *worst = 0;
    if (ref->n != opt->n) {
        snprintf(why, wl, "%d outputs, expected %d", opt->n, ref->n);
        return false;
    }
    for (int i = 0; i < ref->n; i++) {
        const c8_host_tensor *a = &opt->out[i], *b = &ref->out[i];
        char s1[96], s2[96];
        if (strcmp(a->name, b->name) != 0) {
            snprintf(why, wl, "output %d is '%s', expected '%s'", i, a->name, b->name);
            return false;
        }
        if (a->dtype != b->dtype || a->shape.rank != b->shape.rank ||
            c8_shape_numel(&a->shape) != c8_shape_numel(&b->shape)) {
            snprintf(why, wl, "output '%s': %s %s, expected %s %s", a->name,
                     c8_dtype_name(a->dtype), c8_shape_str(&a->shape, s1, sizeof s1),
                     c8_dtype_name(b->dtype), c8_shape_str(&b->shape, s2, sizeof s2));
            return false;
        }
        for (int d = 0; d < a->shape.rank; d++)
            if (a->shape.d[d] != b->shape.d[d]) {
                snprintf(why, wl, "output '%s': shape %s, expected %s", a->name,
                         c8_shape_str(&a->shape, s1, sizeof s1),
                         c8_shape_str(&b->shape, s2, sizeof s2));
                return false;
            }
        const int64_t n = c8_shape_numel(&b->shape);
        const bool is_float = b->dtype == C8_DT_FLOAT || b->dtype == C8_DT_DOUBLE;
        double maxref = 0, maxdiff = 0;
        int64_t at = -1;
        for (int64_t e = 0; e < n; e++) {
            double x = pu_elem(a->dtype, a->data, e), y = pu_elem(b->dtype, b->data, e);
            if (!is_float) {
                if (x != y) {
                    snprintf(why, wl, "output '%s': element %lld is %.17g, expected %.17g", a->name,
                             (long long)e, x, y);
                    return false;
                }
                continue;
            }
            if (isnan(x) && isnan(y)) continue;
            if (isinf(y) && x == y) continue;
            if (isfinite(y) && fabs(y) > maxref) maxref = fabs(y);
            double d = fabs(x - y);
            if (!(d <= maxdiff)) { /* NaN differences count as worst */
                maxdiff = isnan(d) ? INFINITY : d;
                at = e;
            }
        }
        double rel = maxdiff / (maxref > PASSES_FLOOR ? maxref : PASSES_FLOOR);
        if (rel > *worst) {
            *worst = rel;
            if (at >= 0)
                snprintf(why, wl,
                         "output '%s': element %lld is %.9g, expected %.9g (max |ref| %.6g)",
                         a->name, (long long)at, pu_elem(a->dtype, a->data, at),
                         pu_elem(b->dtype, b->data, at), maxref);
        }
    }
    return true;
}

/* Random float inputs in [-1, 1) for every input of g with the given shapes (NULL: declared). */
static inline c8_host_tensor *pu_random_inputs(const c8_graph *g, const c8_shape *shapes,
                                               c8t_rng *r) {
    c8_host_tensor *in = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *in);
    for (int i = 0; i < g->n_inputs; i++) {
        const c8_value *v = &g->vals[g->inputs[i]];
        in[i].name = v->name;
        in[i].dtype = v->dtype;
        in[i].shape = shapes ? shapes[i] : v->shape;
        int64_t n = c8_shape_numel(&in[i].shape);
        size_t es = c8_dtype_size(v->dtype);
        in[i].data = malloc((size_t)(n > 0 ? n : 1) * (es ? es : 1));
        for (int64_t e = 0; e < n; e++) {
            if (v->dtype == C8_DT_FLOAT)
                ((float *)in[i].data)[e] = c8t_uniform(r, -1.0f, 1.0f);
            else
                memset((char *)in[i].data + (size_t)e * es, 0, es);
        }
    }
    return in;
}

static inline void pu_free_inputs(const c8_graph *g, c8_host_tensor *in) {
    for (int i = 0; i < g->n_inputs; i++) free(in[i].data);
    free(in);
}

/* ---- the one-node op harness (tests/kit/graph.c) ---- */

#define T_MAX_IO 8

typedef struct t_op {
    c8_graph *g;
    const char *op_type;
    int in[T_MAX_IO], n_in;
    int out[T_MAX_IO], n_out;
    const void *data[T_MAX_IO]; /* run-time data of each input (INPUT values) */
    int node;                   /* -1 until t_load */
    c8_error err;
    void *y[T_MAX_IO]; /* outputs of t_run, owned (with guard bytes after) */
    size_t ybytes[T_MAX_IO];
    c8_attr attrs[16];
    int n_attrs;
} t_op;

/* A graph at the given default-domain opset with one node of op_type still to be added. */
t_op *t_new(int64_t opset, const char *op_type);
void t_free(t_op *t);

/* Appends an input: a graph input fed with data at run time (data may be NULL for load-only
 * tests), a constant (data copied), or an absent optional input. rank < 0: unknown rank. */
void t_in(t_op *t, c8_dtype dt, int rank, const int64_t *dims, const void *data);
void t_const(t_op *t, c8_dtype dt, int rank, const int64_t *dims, const void *data);
void t_absent(t_op *t);
/* Appends n outputs (y0, y1, ...). */
void t_outs(t_op *t, int n);

void t_attr_i(t_op *t, const char *name, int64_t v);
void t_attr_f(t_op *t, const char *name, float v);
void t_attr_s(t_op *t, const char *name, const char *v);
void t_attr_ints(t_op *t, const char *name, int n, const int64_t *v);
void t_attr_floats(t_op *t, const char *name, int n, const float *v);

/* Adds the node, finalizes the graph and runs the registry's count checks, check and infer.
 * On failure t->err holds the message. */
c8_status t_load(t_op *t);
/* Runs the node (after a successful t_load): allocates outputs per the inferred shapes, calls the
 * op's run and checks the guard bytes (a CUnit failure if any was overwritten). */
c8_status t_run(t_op *t);
/* t_load then t_run. */
c8_status t_load_run(t_op *t);

/* The output value k (dtype and inferred shape). */
const c8_value *t_outv(const t_op *t, int k);
/* The inferred shape of output k as "2x3x4" (static buffer per call site, test use only). */
const char *t_shape(const t_op *t, int k);

/* Asserts that status s is code and that the message names the node and contains needle. */
#define T_EXPECT_ERR(t, s, code, needle)                                                           \
    do {                                                                                           \
        c8_status t_s_ = (s);                                                                      \
        CU_ASSERT_EQUAL(t_s_, code);                                                               \
        CU_ASSERT_PTR_NOT_NULL(strstr((t)->err.msg, "node 'n0'"));                                 \
        CU_ASSERT_PTR_NOT_NULL(strstr((t)->err.msg, needle));                                      \
        if (t_s_ != (code) || !strstr((t)->err.msg, needle))                                       \
            printf("\n    status %d, message: %s\n", (int)t_s_, (t)->err.msg);                     \
    } while (0)

#define T_EXPECT_OK(t, s)                                                                          \
    do {                                                                                           \
        c8_status t_s_ = (s);                                                                      \
        CU_ASSERT_EQUAL(t_s_, C8_OK);                                                              \
        if (t_s_ != C8_OK) printf("\n    unexpected error: %s\n", (t)->err.msg);                   \
    } while (0)

/* Compares n floats with |got - want| <= atol + rtol*|want|; prints the worst element. */
int t_close_f32(const float *got, const double *want, int64_t n, double rtol, double atol,
                const char *what);

/* ---- engines ---- */

/* The precision of engine e's layer called name (0 when it has none); *reason (may be NULL) its
 * reason. */
static inline c8_precision pu_layer_prec(const c8_engine *e, const char *name,
                                         const char **reason) {
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *n, *op, *r;
        c8_precision p;
        c8_engine_layer(e, i, &n, &op, &p, &r);
        if (!strcmp(n, name)) {
            if (reason) *reason = r;
            return p;
        }
    }
    return (c8_precision)0;
}

/* Runs e once on the n_in inputs in a new context; returns a malloc'ed copy of output 0 (asserts
 * each step). */
static inline float *pu_run_output0(c8_engine *e, const c8_host_tensor *in, int n_in) {
    c8_error err = {0};
    c8_context *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(c8_context_create(e, &ctx, &err), C8_OK);
    c8_status s = c8_context_run(ctx, in, n_in, &err);
    if (s != C8_OK) printf("\n  run: %s", err.msg);
    CU_ASSERT_EQUAL_FATAL(s, C8_OK);
    c8_host_tensor out;
    CU_ASSERT_EQUAL_FATAL(c8_context_output(ctx, 0, &out, &err), C8_OK);
    size_t n = (size_t)c8_shape_numel(&out.shape);
    float *y = malloc((n ? n : 1) * sizeof *y);
    memcpy(y, out.data, n * sizeof *y);
    c8_context_destroy(ctx);
    return y;
}

/* An INT8 engine of m for device dev with the scales of src, without graph passes (precision
 * decisions per ONNX node), with --layer-precision `layers` (may be NULL); asserts the build. */
static inline c8_engine *pu_build_int8(const c8_model *m, c8_device dev, const c8_scale_source *src,
                                       const char *layers) {
    c8_error err = {0};
    c8_build_options o;
    c8_build_options_init(&o);
    o.precision = C8_PREC_INT8;
    o.device = dev;
    o.passes = false;
    o.layer_precision = layers;
    o.scales = src;
    c8_engine *e = NULL;
    c8_status s = c8_engine_build(m, &o, &e, &err);
    if (s != C8_OK) printf("\n  build: %s", err.msg);
    CU_ASSERT_EQUAL(s, C8_OK);
    return e;
}

#endif
