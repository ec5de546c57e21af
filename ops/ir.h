/* The network IR: values (tensors) and nodes (ops) in a graph, as imported from ONNX and then
 * rewritten by the graph passes. Internal to libcalib8.
 *
 * Ownership: a c8_graph owns every string, array and constant buffer reachable from it. Values
 * and nodes are addressed by index; an index stays valid until c8_graph_compact() runs. */
#ifndef C8_ENGINE_IR_H
#define C8_ENGINE_IR_H

#include "calib8/status.h"
#include "calib8/tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ops calib8 knows: one line each in ops/ops.def (values are only ever appended: plans store
 * them). */
typedef enum c8_op {
    C8_OP_UNKNOWN = 0,
#define C8_OP(id, value, name, int8, gpu_layout, gpu) C8_OP_##id = value,
#include "ops/ops.def"
#undef C8_OP
    C8_OP_COUNT_ /* one past the highest value (ops.def lists them in increasing order) */
} c8_op;

/* Activation folded into a producer by the fusion passes (applied after bias/residual). */
typedef enum c8_act {
    C8_ACT_NONE = 0,
    C8_ACT_RELU = 1,
    C8_ACT_CLIP = 2,       /* min(max(x, a), b) */
    C8_ACT_LEAKY_RELU = 3, /* x < 0 ? a*x : x */
    C8_ACT_SIGMOID = 4,
    /* hard-swish then an affine, as the ONNX ops Add(x, 3), Clip(0, 6), Mul(x, .), Div(., 6),
     * [Mul(., a)], [Add(., b)] compute it in float32, in that order: a = 1, b = 0 when absent */
    C8_ACT_HARDSWISH = 5
} c8_act;

typedef enum c8_attr_type {
    C8_ATTR_UNDEFINED = 0,
    C8_ATTR_FLOAT = 1,
    C8_ATTR_INT = 2,
    C8_ATTR_STRING = 3,
    C8_ATTR_TENSOR = 4,
    C8_ATTR_GRAPH = 5,
    C8_ATTR_FLOATS = 6,
    C8_ATTR_INTS = 7,
    C8_ATTR_STRINGS = 8
} c8_attr_type;

/* A constant tensor held by an attribute (Constant's value) or a value. */
typedef struct c8_const {
    c8_dtype dtype;
    c8_shape shape;
    void *data; /* C order; owned */
    size_t nbytes;
} c8_const;

typedef struct c8_attr {
    char *name;
    c8_attr_type type;
    int64_t i;
    float f;
    char *s;         /* STRING: NUL-terminated copy (ONNX strings are bytes; ours never hold NUL) */
    int64_t *ints;   /* INTS */
    float *floats;   /* FLOATS */
    size_t n;        /* element count of ints/floats/strings */
    char **strings;  /* STRINGS */
    c8_const tensor; /* TENSOR */
} c8_attr;

typedef enum c8_value_kind {
    C8_VAL_ACTIVATION = 0, /* computed by a node */
    C8_VAL_INPUT = 1,      /* a graph input fed at run time */
    C8_VAL_CONST = 2       /* an initializer, Constant output or folded value: data is set */
} c8_value_kind;

typedef struct c8_value {
    char *name;
    c8_value_kind kind;
    c8_dtype dtype;
    c8_shape shape; /* declared or inferred; negative extents unknown */
    void *data;     /* CONST: C-order elements, owned */
    size_t nbytes;  /* CONST: bytes in data */
    int producer;   /* node index, or -1 */
    bool is_output; /* a graph output */
    bool borrowed;  /* data belongs to another graph (c8_graph_clone_shallow); not freed */
    float scale;    /* INT8 values in a built engine: the quantization scale; 0 otherwise */
} c8_value;

/* What a fusion pass folded into a node (FUSED_CONV, or a Gemm with an activation). */
typedef struct c8_fusion {
    c8_act act;
    float act_a, act_b; /* Clip min/max, LeakyRelu alpha, hard-swish's affine (a, b) */
    int residual;       /* value index added before the activation, or -1 */
    char *label;        /* e.g. "CBR(conv1+bn1+relu1)", owned; NULL if nothing fused */
} c8_fusion;

typedef struct c8_node {
    char *name;    /* ONNX node name; never NULL (import names anonymous nodes "<op>_<index>") */
    char *op_type; /* ONNX op_type as written */
    char *domain;  /* "" for the default domain */
    c8_op op;
    int n_in, n_out;
    int *in;  /* value indices; -1 for an omitted optional input */
    int *out; /* value indices; -1 for an omitted optional output */
    int n_attrs;
    c8_attr *attrs;
    c8_fusion fusion;
    int layer; /* index into the engine's layer table (precision, kernel), or -1 */
    bool dead; /* removed by a pass; dropped by c8_graph_compact */
} c8_node;

typedef struct c8_graph {
    char *path;    /* the model file, for messages */
    int64_t opset; /* default-domain opset version */
    int64_t ir_version;
    char *producer;  /* producer_name + version, may be "" */
    char sha256[65]; /* of the model file's bytes */
    c8_value *vals;
    int n_vals, cap_vals;
    c8_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs; /* non-constant graph inputs, in ONNX order */
    int n_inputs;
    int *outputs;
    int n_outputs;
} c8_graph;

/* ---- construction (used by the importer, passes and tests) ---- */

c8_graph *c8_graph_create(const char *path);
void c8_graph_destroy(c8_graph *g); /* NULL is a no-op */

/* Finds a value by name; -1 if absent. Linear in the number of values. */
int c8_graph_find_value(const c8_graph *g, const char *name);
/* Adds a value named `name` (copied) and returns its index, or -1 if out of memory. */
int c8_graph_add_value(c8_graph *g, const char *name, c8_value_kind kind, c8_dtype dtype,
                       const c8_shape *shape);
/* Makes value v a constant holding `data` (ownership passes to the graph). */
void c8_graph_set_const(c8_graph *g, int v, c8_dtype dtype, const c8_shape *shape, void *data,
                        size_t nbytes);
/* Appends a node; copies name/op_type/domain, takes the in/out arrays as given (copied).
 * Returns the node index or -1 when out of memory. Attributes are added with c8_node_add_attr. */
int c8_graph_add_node(c8_graph *g, const char *name, const char *op_type, const char *domain,
                      c8_op op, const int *in, int n_in, const int *out, int n_out);
/* Appends an attribute to node n; the attribute's heap members pass to the graph. */
c8_status c8_node_add_attr(c8_graph *g, int n, const c8_attr *a, c8_error *err);
/* Appends the string attribute name = value to node n (both copied). */
c8_status c8_node_add_attr_string(c8_graph *g, int n, const char *name, const char *value,
                                  c8_error *err);
/* A unique value name derived from base ("base", "base_1", ...), malloc'd. */
char *c8_graph_unique_name(const c8_graph *g, const char *base);
/* Drops dead nodes and values that nothing references (keeps graph inputs and outputs),
 * renumbering indices. */
c8_status c8_graph_compact(c8_graph *g, c8_error *err);
/* Sets producer fields from the nodes and checks the graph: every input defined, no value
 * produced twice, no cycles; then orders nodes topologically (stable). Errors name the node. */
c8_status c8_graph_finalize(c8_graph *g, c8_error *err);
/* Deep copy. */
c8_graph *c8_graph_clone(const c8_graph *g);
/* Copy whose constants borrow g's data (g must outlive it); for per-shape specialization. */
c8_graph *c8_graph_clone_shallow(const c8_graph *g);

/* Number of nodes (live or dead) reading value v. */
int c8_graph_consumer_count(const c8_graph *g, int v);

/* ---- attributes ---- */

const c8_attr *c8_node_attr(const c8_node *n, const char *name);
int64_t c8_node_attr_i(const c8_node *n, const char *name, int64_t dflt);
float c8_node_attr_f(const c8_node *n, const char *name, float dflt);
const char *c8_node_attr_s(const c8_node *n, const char *name, const char *dflt);
/* INTS attribute: returns count (0 if absent) and points *v at the array. */
size_t c8_node_attr_ints(const c8_node *n, const char *name, const int64_t **v);
void c8_attr_free(c8_attr *a);
void c8_const_free(c8_const *c);

/* ---- names ---- */
const char *c8_op_name(c8_op op); /* "Conv", ... ; "FusedConv" for C8_OP_FUSED_CONV */
c8_op c8_op_from_onnx(const char *op_type);

/* Input value of node n at position k, or NULL if absent. */
static inline c8_value *c8_node_input(const c8_graph *g, const c8_node *n, int k) {
    return (k < n->n_in && n->in[k] >= 0) ? &g->vals[n->in[k]] : NULL;
}
static inline c8_value *c8_node_output(const c8_graph *g, const c8_node *n, int k) {
    return (k < n->n_out && n->out[k] >= 0) ? &g->vals[n->out[k]] : NULL;
}

#endif
