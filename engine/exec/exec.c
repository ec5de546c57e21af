/* The executor; see exec.h. */
#include "engine/exec/exec.h"

#include "ops/infer.h"
#include "engine/engine_internal.h"
#include "engine/exec/memplan.h"
#include "ops/ops.h"
#include "util/arith.h"
#include "util/bytes.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define C8_ARENA_ALIGN 64

/* What the executor does with a node of a device backend's plan (engine/build/place.c placed it;
 * a host-memory backend's plan is one segment of vt->run_segment). */
enum {
    STEP_DEVICE = 0,   /* in a segment of vt->run_segment, on backend memory */
    STEP_HOST = 1,     /* in a segment of c8_backend_cpu.run_segment, on host memory */
    STEP_DOWNLOAD = 2, /* HostCopy device -> host */
    STEP_UPLOAD = 3    /* HostCopy host -> device */
};

static unsigned char step_of(const c8_engine *e, const c8_node *n) {
    if (n->op == C8_OP_HOST_COPY)
        return strcmp(c8_node_attr_s(n, "direction", ""), "download") == 0 ? STEP_DOWNLOAD
                                                                           : STEP_UPLOAD;
    if (n->layer >= 0 && e->layers[n->layer].place == C8_PLACE_HOST) return STEP_HOST;
    return STEP_DEVICE;
}

/* Host-placed values: outputs of host steps and downloads. */
static bool step_writes_host(unsigned char st) { return st == STEP_HOST || st == STEP_DOWNLOAD; }

struct c8_exec {
    const c8_engine *e; /* borrowed */
    const c8_graph *g;  /* e->g */
    const c8_backend_vt *vt;
    void *ctx;             /* the backend's context state (borrowed) */
    c8_graph *spec;        /* g specialized for `spec_shapes` (and shape-tensor inputs' values) */
    c8_shape *spec_shapes; /* per graph input */
    void **spec_vals;      /* per graph input: copied contents of shape tensors, else NULL */
    bool *shape_input;     /* per graph input: feeds only shape arguments */
    unsigned char *arena;  /* activations (and, on devices, inputs), backend memory */
    size_t arena_bytes;    /* what the current specialization uses of it */
    size_t arena_cap;      /* its allocated size */
    bool keep_arena;       /* a profiled engine: the arena, sized at the profile's maximum by
                            * the first run, outlives specializations */
    bool sized;            /* ... and that first specialization has been made */
    unsigned char *consts; /* device backends: the spec graph's constants, uploaded */
    void **vdata;          /* per spec value: where its data lives during a run (backend memory) */
    void **node_state;     /* per spec node: the backend's prepared state */
    bool *skip;            /* per spec node: an in-place Concat whose inputs already sit in place */
    unsigned char *step;   /* per spec node: STEP_* (device backends: the placed segments) */
    bool *internal;        /* per spec value: a conversion's intermediate, not shown to observers */
    void **host_vals;      /* device backends, per spec value: host memory of host-placed values */
    void **hdata;          /* device backends, per spec value: what host segments read and write
                            * (constants in place, host_vals otherwise) */
    bool has_host;         /* the specialization has host steps (no graph capture then) */
    void **host_out;       /* device backends: host copies of the outputs */
    void *scratch;         /* device backends: host copy of an observed tensor */
    size_t scratch_bytes;
    c8_tensor_observer obs;
    void *obs_user;
    char **obs_names; /* sorted; NULL = observe everything */
    bool obs_device;  /* the observer takes backend memory as it is */
    int n_obs_names;
    uint64_t max_memory; /* limit for one specialization's memory, bytes; 0: none */
    uint64_t mem_bytes;  /* what the current specialization holds (arena, constants, outputs) */
    bool uploaded;       /* device backends: the last run's inputs sit in the arena (they live
                          * there for the whole run: c8_exec_run_again reads them again) */
    bool out_on_device;  /* the last run left its outputs on the device (not downloaded) */
};

/* Graph inputs that only ever feed shape arguments (a Reshape's target, a Resize's scales or
 * sizes, Slice/Pad/Squeeze parameters) are shape tensors: the graph is specialized for their
 * values as well as for every input's extents, like TensorRT's shape tensors. */
#define C8_SHAPE_TENSOR_MAX 64

static bool is_shape_position(c8_op op, int k) {
    switch (op) {
    case C8_OP_RESHAPE:
    case C8_OP_UPSAMPLE:
    case C8_OP_SQUEEZE:
    case C8_OP_UNSQUEEZE:
    case C8_OP_SPLIT: return k == 1;
    case C8_OP_RESIZE:
    case C8_OP_PAD: return k >= 1 && k <= 3;
    case C8_OP_SLICE: return k >= 1 && k <= 4;
    case C8_OP_REDUCE_MEAN:
    case C8_OP_REDUCE_SUM:
    case C8_OP_REDUCE_SUM_SQUARE:
    case C8_OP_REDUCE_MAX:
    case C8_OP_REDUCE_MIN:
    case C8_OP_REDUCE_L2:
    case C8_OP_REDUCE_L1:
    case C8_OP_REDUCE_PROD:
    case C8_OP_REDUCE_LOG_SUM:
    case C8_OP_REDUCE_LOG_SUM_EXP: return k == 1; /* axes (an input from opset 13 / 18) */
    case C8_OP_EXPAND:
    case C8_OP_TILE:
    case C8_OP_TOPK: return k == 1;
    case C8_OP_CONSTANT_OF_SHAPE: return k == 0;
    case C8_OP_RANGE: return k <= 2;
    case C8_OP_DROPOUT: return k >= 1;
    default: return false;
    }
}

/* Is value v read only as a shape (a Reshape's shape, a Resize's sizes, ...)? A HostCopy that
 * moves v to the host for a host step of a device plan is looked through: what matters is how
 * its copy is read (otherwise such an input would not be bound as a constant, and the host
 * step's output shape would stay unknown). */
static bool feeds_only_shapes(const c8_graph *g, int v) {
    bool any = false;
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            if (n->in[k] != v) continue;
            if (n->op == C8_OP_HOST_COPY) {
                if (n->n_out < 1 || n->out[0] < 0 || !feeds_only_shapes(g, n->out[0])) return false;
            } else if (!is_shape_position(n->op, k)) {
                return false;
            }
            any = true;
        }
    }
    return any;
}

static bool is_shape_tensor(const c8_exec *x, int i, const c8_host_tensor *t) {
    return x->shape_input[i] && c8_shape_numel(&t->shape) <= C8_SHAPE_TENSOR_MAX;
}

c8_status c8_exec_create(const c8_engine *e, const c8_backend_vt *vt, void *ctx, c8_exec **out,
                         c8_error *err) {
    *out = NULL;
    const c8_graph *g = e->g;
    c8_exec *x = calloc(1, sizeof *x);
    if (!x) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    x->e = e;
    x->g = g;
    x->vt = vt;
    x->ctx = ctx;
    size_t ni = (size_t)(g->n_inputs ? g->n_inputs : 1);
    x->spec_shapes = calloc(ni, sizeof *x->spec_shapes);
    x->spec_vals = calloc(ni, sizeof(void *));
    x->shape_input = calloc(ni, sizeof(bool));
    if (!x->spec_shapes || !x->spec_vals || !x->shape_input) {
        free(x->spec_vals);
        free(x->shape_input);
        free(x->spec_shapes);
        free(x);
        return c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < g->n_inputs; i++) {
        x->spec_shapes[i].rank = -1;
        x->shape_input[i] = feeds_only_shapes(g, g->inputs[i]);
    }
    x->keep_arena = e->prof != NULL;
    *out = x;
    return C8_OK;
}

/* Frees everything made for the current specialization. */
static void drop_spec(c8_exec *x) {
    if (x->spec && x->node_state && x->vt->release)
        for (int i = 0; i < x->spec->n_nodes; i++)
            if (x->node_state[i]) x->vt->release(x->ctx, x->node_state[i]);
    free(x->node_state);
    x->node_state = NULL;
    free(x->skip);
    x->skip = NULL;
    free(x->step);
    x->step = NULL;
    free(x->internal);
    x->internal = NULL;
    if (x->host_vals && x->spec)
        for (int v = 0; v < x->spec->n_vals; v++) free(x->host_vals[v]);
    free(x->host_vals);
    x->host_vals = NULL;
    free(x->hdata);
    x->hdata = NULL;
    x->has_host = false;
    if (x->host_out && x->spec)
        for (int i = 0; i < x->spec->n_outputs; i++) free(x->host_out[i]);
    free(x->host_out);
    x->host_out = NULL;
    if (x->arena && !x->keep_arena) {
        x->vt->free(x->ctx, x->arena);
        x->arena = NULL;
        x->arena_cap = 0;
    }
    if (x->consts) x->vt->free(x->ctx, x->consts);
    x->consts = NULL;
    free(x->vdata);
    x->vdata = NULL;
    c8_graph_destroy(x->spec);
    x->spec = NULL;
    x->mem_bytes = 0;
}

static void free_obs_names(c8_exec *x) {
    for (int i = 0; i < x->n_obs_names; i++) free(x->obs_names[i]);
    free(x->obs_names);
    x->obs_names = NULL;
    x->n_obs_names = 0;
}

void c8_exec_destroy(c8_exec *x) {
    if (!x) return;
    drop_spec(x);
    if (x->arena) x->vt->free(x->ctx, x->arena);
    for (int i = 0; i < x->g->n_inputs; i++) free(x->spec_vals[i]);
    free(x->spec_vals);
    free(x->shape_input);
    free(x->spec_shapes);
    free(x->scratch);
    free_obs_names(x);
    free(x);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

c8_status c8_exec_set_observer(c8_exec *x, c8_tensor_observer fn, void *user,
                               const char *const *names, int n_names, bool on_device,
                               c8_error *err) {
    free_obs_names(x);
    x->obs = fn;
    x->obs_user = user;
    x->obs_device = on_device;
    if (!fn || n_names <= 0) return C8_OK;
    x->obs_names = calloc((size_t)n_names, sizeof(char *));
    if (!x->obs_names) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_names; i++) {
        x->obs_names[i] = strdup(names[i]);
        if (!x->obs_names[i]) {
            x->n_obs_names = i;
            free_obs_names(x);
            return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
    }
    x->n_obs_names = n_names;
    qsort(x->obs_names, (size_t)n_names, sizeof(char *), cmp_str);
    return C8_OK;
}

static bool observed(const c8_exec *x, const char *name) {
    if (!x->obs) return false;
    if (!x->obs_names) return true;
    return bsearch(&name, x->obs_names, (size_t)x->n_obs_names, sizeof(char *), cmp_str) != NULL;
}

static bool same_shape(const c8_shape *a, const c8_shape *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return false;
    return true;
}

/* Specializes the graph for the given input shapes (and shape-tensor values): infer + fold,
 * then plan the arena. */
static c8_status specialize(c8_exec *x, const c8_shape *shapes, const c8_host_tensor **bound,
                            c8_error *err) {
    int *alias_to = NULL;     /* per spec value: the Concat output it lives inside, or -1 */
    size_t *alias_off = NULL; /* ... at this byte offset */
    const c8_graph *g = x->g;
    const c8_backend_vt *vt = x->vt;
    drop_spec(x);
    c8_graph *s = c8_graph_clone_shallow(g);
    if (!s) return c8_err(err, C8_ERR_NOMEM, "%s: out of memory specializing the graph", g->path);
    for (int i = 0; i < g->n_inputs; i++) {
        free(x->spec_vals[i]);
        x->spec_vals[i] = NULL;
    }
    c8_status st = C8_OK;
    for (int i = 0; i < g->n_inputs; i++) {
        s->vals[s->inputs[i]].shape = shapes[i];
        if (!is_shape_tensor(x, i, bound[i])) continue;
        size_t nb = (size_t)c8_shape_numel(&shapes[i]) * c8_dtype_size(bound[i]->dtype);
        void *keep = malloc(nb ? nb : 1), *own = malloc(nb ? nb : 1);
        if (!keep || !own) {
            free(keep);
            free(own);
            c8_graph_destroy(s);
            return c8_err(err, C8_ERR_NOMEM, "out of memory");
        }
        if (nb) {
            memcpy(keep, bound[i]->data, nb);
            memcpy(own, bound[i]->data, nb);
        }
        x->spec_vals[i] = keep;
        c8_graph_set_const(s, s->inputs[i], bound[i]->dtype, &shapes[i], own, nb);
    }
    st = c8_graph_infer(s, true, NULL, err);
    if (st != C8_OK) {
        c8_graph_destroy(s);
        return st;
    }
    x->spec = s;
    size_t nv = (size_t)(s->n_vals ? s->n_vals : 1);
    c8_mem_block *blocks = calloc(nv, sizeof *blocks);
    int *bval = malloc(nv * sizeof(int)), *blk_of = malloc(nv * sizeof(int));
    x->vdata = calloc(nv, sizeof(void *));
    x->node_state = calloc((size_t)(s->n_nodes ? s->n_nodes : 1), sizeof(void *));
    x->step = calloc((size_t)(s->n_nodes ? s->n_nodes : 1), 1);
    x->internal = calloc(nv, sizeof(bool));
    x->host_vals = calloc(nv, sizeof(void *));
    if (!vt->host_memory)
        x->host_out = calloc((size_t)(s->n_outputs ? s->n_outputs : 1), sizeof(void *));
    if (!blocks || !bval || !blk_of || !x->vdata || !x->node_state || !x->step || !x->internal ||
        !x->host_vals || (!vt->host_memory && !x->host_out)) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
        goto done;
    }
    /* A device backend's plan runs in placed segments: host steps and the copies between them */
    for (int i = 0; !vt->host_memory && i < s->n_nodes; i++) {
        x->step[i] = step_of(x->e, &s->nodes[i]);
        x->has_host |= x->step[i] != STEP_DEVICE;
    }
    /* Observers see each model tensor once: not the converted copy a Reformat makes for its
     * readers ("side in"), nor what a producer writes before a Reformat converts it into the
     * model's value ("side out"), engine/build/reformat.c */
    for (int i = 0; i < s->n_nodes; i++) {
        const c8_node *n = &s->nodes[i];
        if (n->op != C8_OP_REFORMAT || n->in[0] < 0 || n->out[0] < 0) continue;
        if (strcmp(c8_node_attr_s(n, "side", ""), "out") == 0)
            x->internal[n->in[0]] = true;
        else
            x->internal[n->out[0]] = true;
    }
    /* Activations (and, on devices, the inputs) get arena blocks; every size is known now.
     * Values that host steps write live in host memory (allocated below). */
    int nb = 0;
    size_t host_bytes = 0;
    for (int v = 0; v < s->n_vals; v++) {
        blk_of[v] = -1;
        c8_value *val = &s->vals[v];
        bool act = val->kind == C8_VAL_ACTIVATION && val->producer >= 0;
        if (act && step_writes_host(x->step[val->producer])) {
            int64_t numel = c8_shape_numel(&val->shape);
            size_t hb;
            if (val->shape.rank < 0 || numel < 0 ||
                !c8_mul_size((size_t)numel, c8_dtype_size(val->dtype), &hb) ||
                !c8_add_size(host_bytes, hb, &host_bytes)) {
                st = c8_node_err(err, s, &s->nodes[val->producer], C8_ERR_SHAPE,
                                 "the shape of '%s' is not known for these inputs", val->name);
                goto done;
            }
            x->host_vals[v] = malloc(hb ? hb : 1);
            if (!x->host_vals[v]) {
                st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory for '%s' (%zu bytes)", g->path,
                            val->name, hb);
                goto done;
            }
            continue;
        }
        bool dev_input = val->kind == C8_VAL_INPUT && !vt->host_memory;
        if (!act && !dev_input) continue;
        int64_t numel = c8_shape_numel(&val->shape);
        size_t bytes;
        if (val->shape.rank < 0 || numel < 0 ||
            !c8_mul_size((size_t)numel, c8_dtype_size(val->dtype), &bytes)) {
            char sb[96];
            st = c8_node_err(err, s, &s->nodes[val->producer], C8_ERR_SHAPE,
                             "the shape of '%s' is not known for these inputs (%s): it depends on "
                             "data, which calib8 does not support",
                             val->name, c8_shape_str(&val->shape, sb, sizeof sb));
            goto done;
        }
        int first = act ? val->producer : 0;
        /* a device input lives for the whole run, so that c8_exec_run_again can run again on
         * it without an upload (calib8 bench --io device) */
        int last = act ? first : s->n_nodes;
        blocks[nb] = (c8_mem_block){bytes, first, last, 0};
        bval[nb] = v;
        blk_of[v] = nb++;
    }
    /* A device backend may store values in its own layouts (channels-last, padded channels,
     * binary16 for FP16 layers): it says how many bytes each block needs (vt->plan). */
    if (vt->plan) {
        size_t *vb = calloc(nv, sizeof *vb);
        if (!vb) {
            st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
            goto done;
        }
        for (int k = 0; k < nb; k++) vb[bval[k]] = blocks[k].size;
        st = vt->plan(x->ctx, s, vb, err);
        for (int k = 0; st == C8_OK && k < nb; k++) blocks[k].size = vb[bval[k]];
        free(vb);
        if (st != C8_OK) goto done;
    }
    for (int i = 0; i < s->n_nodes; i++) {
        const c8_node *n = &s->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && blk_of[n->in[k]] >= 0 && blocks[blk_of[n->in[k]]].last < i)
                blocks[blk_of[n->in[k]]].last = i;
        if (n->fusion.residual >= 0 && blk_of[n->fusion.residual] >= 0)
            blocks[blk_of[n->fusion.residual]].last = i;
    }
    for (int i = 0; i < s->n_outputs; i++)
        if (blk_of[s->outputs[i]] >= 0) blocks[blk_of[s->outputs[i]]].last = s->n_nodes;
    /* In-place Concat (graph pass inplace_concat, docs/passes.md): on the host, when everything in
     * front of the concat axis has extent 1, each input is a contiguous slice of the output, so
     * the producers write there directly and the Concat itself does nothing. */
    x->skip = calloc((size_t)(s->n_nodes ? s->n_nodes : 1), sizeof(bool));
    alias_to = malloc(nv * sizeof(int));
    alias_off = malloc(nv * sizeof(size_t));
    if (!x->skip || !alias_to || !alias_off) {
        st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
        goto done;
    }
    for (size_t v = 0; v < nv; v++) alias_to[v] = -1;
    for (int i = 0; vt->host_memory && i < s->n_nodes; i++) {
        const c8_node *n = &s->nodes[i];
        if (n->op != C8_OP_CONCAT || !c8_node_attr_i(n, "c8_inplace", 0) || n->out[0] < 0) continue;
        const c8_value *y = &s->vals[n->out[0]];
        int axis = (int)c8_node_attr_i(n, "axis", 1);
        if (axis < 0) axis += y->shape.rank;
        bool ok = blk_of[n->out[0]] >= 0 && axis >= 0 && axis < y->shape.rank;
        for (int d = 0; ok && d < axis; d++) ok = y->shape.d[d] == 1;
        for (int k = 0; ok && k < n->n_in; k++) {
            int v = n->in[k];
            ok = v >= 0 && blk_of[v] >= 0 && s->vals[v].kind == C8_VAL_ACTIVATION &&
                 !s->vals[v].is_output && s->vals[v].dtype == y->dtype && alias_to[v] < 0 &&
                 c8_graph_consumer_count(s, v) == 1;
            for (int j = 0; ok && j < k; j++) ok = n->in[j] != v;
        }
        if (!ok) continue;
        size_t off = 0;
        c8_mem_block *yb = &blocks[blk_of[n->out[0]]];
        for (int k = 0; k < n->n_in; k++) {
            c8_mem_block *ib = &blocks[blk_of[n->in[k]]];
            alias_to[n->in[k]] = n->out[0];
            alias_off[n->in[k]] = off;
            off += ib->size;
            if (ib->first < yb->first) yb->first = ib->first; /* live from the first producer */
            ib->size = 0;                                     /* its bytes live inside the output */
        }
        x->skip[i] = true;
    }
    int ovf = 0;
    size_t total = c8_memplan(blocks, nb, C8_ARENA_ALIGN, &ovf);
    if (ovf) {
        st = c8_err(err, C8_ERR_LIMIT, "%s: activation memory size overflows", g->path);
        goto done;
    }
    /* Constants: read in place on the host, uploaded once per specialization on devices. */
    size_t cbytes = 0, obytes = 0;
    for (int v = 0; v < s->n_vals; v++) {
        if (s->vals[v].kind != C8_VAL_CONST) continue;
        if (vt->host_memory) {
            x->vdata[v] = s->vals[v].data;
            continue;
        }
        size_t end;
        if (!c8_align_size(cbytes, C8_ARENA_ALIGN, &cbytes) ||
            !c8_add_size(cbytes, s->vals[v].nbytes, &end)) {
            st = c8_err(err, C8_ERR_LIMIT, "%s: constant memory size overflows", g->path);
            goto done;
        }
        cbytes = end;
    }
    for (int i = 0; !vt->host_memory && i < s->n_outputs; i++) {
        const c8_value *ov = &s->vals[s->outputs[i]];
        size_t ob;
        if (c8_shape_numel(&ov->shape) < 0 ||
            !c8_mul_size((size_t)c8_shape_numel(&ov->shape), c8_dtype_size(ov->dtype), &ob) ||
            !c8_add_size(obytes, ob, &obytes)) {
            st = c8_err(err, C8_ERR_LIMIT, "%s: output memory size overflows", g->path);
            goto done;
        }
    }
    /* The limit is checked before anything is allocated (reliability: refuse with the
     * numbers rather than be killed by the OOM killer). */
    size_t need = total;
    if (!c8_add_size(need, cbytes, &need) || !c8_add_size(need, obytes, &need) ||
        !c8_add_size(need, host_bytes, &need))
        need = SIZE_MAX;
    if (x->max_memory && need > x->max_memory) {
        char nb1[32], nb2[32], bs[32] = "";
        if (g->n_inputs > 0 && shapes[0].rank > 0)
            snprintf(bs, sizeof bs, " for batch %lld", (long long)shapes[0].d[0]);
        st = c8_err(err, C8_ERR_LIMIT,
                    "%s: needs %s of %s memory%s, the memory limit (--max-memory) is %s", g->path,
                    c8_bytes_str(need, nb1, sizeof nb1),
                    vt->host_memory ? "activation" : "device (activations, weights, outputs)", bs,
                    c8_bytes_str(x->max_memory, nb2, sizeof nb2));
        goto done;
    }
    /* a kept arena (a profiled engine's, sized at its maximum) serves every smaller plan */
    if (!x->arena || total > x->arena_cap) {
        if (x->arena) x->vt->free(x->ctx, x->arena);
        x->arena = NULL;
        x->arena_cap = 0;
        st = vt->alloc(x->ctx, total ? total : C8_ARENA_ALIGN, (void **)&x->arena, err);
        if (st != C8_OK) {
            char nb1[32];
            c8_err_prefix(err, "%s: cannot allocate %s of activation memory", g->path,
                          c8_bytes_str(total, nb1, sizeof nb1));
            goto done;
        }
        x->arena_cap = total ? total : C8_ARENA_ALIGN;
    }
    x->arena_bytes = total;
    for (int k = 0; k < nb; k++) x->vdata[bval[k]] = x->arena + blocks[k].offset;
    for (int k = 0; k < nb; k++)
        if (alias_to[bval[k]] >= 0)
            x->vdata[bval[k]] = (unsigned char *)x->vdata[alias_to[bval[k]]] + alias_off[bval[k]];

    if (!vt->host_memory) {
        st = vt->alloc(x->ctx, cbytes ? cbytes : C8_ARENA_ALIGN, (void **)&x->consts, err);
        size_t off = 0;
        for (int v = 0; st == C8_OK && v < s->n_vals; v++) {
            if (s->vals[v].kind != C8_VAL_CONST) continue;
            c8_align_size(off, C8_ARENA_ALIGN, &off);
            x->vdata[v] = x->consts + off;
            st = vt->upload(x->ctx, x->vdata[v], s->vals[v].data, s->vals[v].nbytes, err);
            off += s->vals[v].nbytes;
        }
        for (int i = 0; st == C8_OK && i < s->n_outputs; i++) {
            const c8_value *ov = &s->vals[s->outputs[i]];
            size_t bytes = (size_t)c8_shape_numel(&ov->shape) * c8_dtype_size(ov->dtype);
            x->host_out[i] = malloc(bytes ? bytes : 1);
            if (!x->host_out[i])
                st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory for output '%s' (%zu bytes)",
                            g->path, ov->name, bytes);
        }
        if (st != C8_OK) goto done;
    }
    x->mem_bytes = need - total + x->arena_cap; /* the arena as held */
    if (x->has_host) {
        x->hdata = calloc(nv, sizeof(void *));
        if (!x->hdata) {
            st = c8_err(err, C8_ERR_NOMEM, "%s: out of memory", g->path);
            goto done;
        }
        for (int v = 0; v < s->n_vals; v++)
            x->hdata[v] = s->vals[v].kind == C8_VAL_CONST ? s->vals[v].data : x->host_vals[v];
    }
    if (vt->prepare)
        for (int i = 0; st == C8_OK && i < s->n_nodes; i++) {
            const c8_node *n = &s->nodes[i];
            const c8_layer *l = n->layer >= 0 ? &x->e->layers[n->layer] : NULL;
            if (x->step[i] == STEP_DEVICE)
                st = vt->prepare(x->ctx, s, n, l, &x->node_state[i], err);
        }
done:
    free(alias_to);
    free(alias_off);
    free(blocks);
    free(bval);
    free(blk_of);
    if (st != C8_OK) {
        drop_spec(x);
        return st;
    }
    memcpy(x->spec_shapes, shapes, (size_t)g->n_inputs * sizeof *shapes);
    return C8_OK;
}

/* A host view of tensor v for an observer: in place on the host, downloaded on devices. */
static c8_status host_copy(c8_exec *x, c8_host_tensor *t, c8_error *err) {
    if (x->vt->host_memory || x->obs_device) return C8_OK;
    size_t bytes = (size_t)c8_shape_numel(&t->shape) * c8_dtype_size(t->dtype);
    if (bytes > x->scratch_bytes) {
        void *p = realloc(x->scratch, bytes);
        if (!p) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        x->scratch = p;
        x->scratch_bytes = bytes;
    }
    C8_TRY(x->vt->sync(x->ctx, err));
    C8_TRY(x->vt->download(x->ctx, x->scratch, t->data, bytes, err));
    t->data = x->scratch;
    return C8_OK;
}

/* c8_set_interrupt_flag's flag: written once by the CLI at start-up, then only read (a
 * sig_atomic_t set by a signal handler). */
static volatile sig_atomic_t *g_interrupt;
static const char *g_interrupt_what = "a signal";

void c8_set_interrupt_flag(volatile sig_atomic_t *flag, const char *what) {
    g_interrupt = flag;
    g_interrupt_what = what ? what : "a signal";
}

bool c8_interrupt_pending(const char **what) {
    if (what) *what = g_interrupt_what;
    return g_interrupt && *g_interrupt;
}

static void view(const c8_graph *s, void **vdata, int v, c8_host_tensor *t) {
    const c8_value *val = &s->vals[v];
    t->name = val->name;
    t->dtype = val->dtype;
    t->shape = val->shape;
    t->data = vdata[v];
}

/* The host-memory view of value v for a host step: its host copy, or a constant in place. */
static void host_view(const c8_exec *x, int v, c8_host_tensor *t) {
    const c8_value *val = &x->spec->vals[v];
    t->name = val->name;
    t->dtype = val->dtype;
    t->shape = val->shape;
    t->data = val->kind == C8_VAL_CONST ? val->data : x->host_vals[v];
}

/* A HostCopy of a device plan: device -> host (of a value in ONNX layout and its dtype) or
 * host -> device. */
static c8_status run_copy(c8_exec *x, const c8_node *nd, unsigned char step, c8_error *err) {
    const c8_graph *s = x->spec;
    int from = nd->in[0], to = nd->out[0];
    const c8_value *val = &s->vals[from];
    size_t bytes = (size_t)c8_shape_numel(&val->shape) * c8_dtype_size(val->dtype);
    if (step == STEP_UPLOAD) {
        c8_host_tensor t;
        host_view(x, from, &t);
        return x->vt->upload(x->ctx, x->vdata[to], t.data, bytes, err);
    }
    c8_host_tensor t;
    view(s, x->vdata, from, &t);
    /* the placement put a Reformat before every download of a value the device stores
     * otherwise (engine/build/reformat.c): the observer view must be the value itself */
    if (x->vt->observe) {
        const void *stored = t.data;
        C8_TRY(x->vt->observe(x->ctx, s, from, &t, err));
        if (t.data != stored)
            return c8_node_err(err, s, nd, C8_ERR_INTERNAL,
                               "'%s' is not stored in ONNX layout and its dtype: the plan lacks "
                               "its conversion before the download",
                               val->name);
    }
    C8_TRY(x->vt->sync(x->ctx, err));
    return x->vt->download(x->ctx, x->host_vals[to], t.data, bytes, err);
}

/* After node i of a segment (c8_segment.after): its outputs to the observers (host steps'
 * values are observed through their uploads, under the model's names; a device backend hands
 * its own layouts back as dtype + ONNX layout), then, on a host-memory backend, the interrupt
 * check before the next node. */
static c8_status after_node(void *user, int i, c8_error *err) {
    c8_exec *x = user;
    const c8_graph *s = x->spec;
    const c8_node *nd = &s->nodes[i];
    for (int k = 0; x->obs && !step_writes_host(x->step[i]) && k < nd->n_out; k++) {
        const int v = nd->out[k];
        if (v < 0 || x->internal[v] || !observed(x, s->vals[v].name)) continue;
        c8_host_tensor t;
        view(s, x->vdata, v, &t);
        if (x->vt->observe) C8_TRY(x->vt->observe(x->ctx, s, v, &t, err));
        C8_TRY(host_copy(x, &t, err));
        C8_TRY(x->obs(x->obs_user, t.name, &t, err));
    }
    if (x->vt->host_memory && i + 1 < s->n_nodes && g_interrupt && *g_interrupt)
        return c8_err(err, C8_ERR_INTERRUPTED, "%s: interrupted by %s (before layer '%s')",
                      x->g->path, g_interrupt_what, s->nodes[i + 1].name);
    return C8_OK;
}

static c8_status run_nodes(c8_exec *x, bool download, c8_error *err);

c8_status c8_exec_run(c8_exec *x, const c8_host_tensor *inputs, int n, c8_error *err) {
    const c8_graph *g = x->g;
    if (n != g->n_inputs)
        return c8_err(err, C8_ERR_INVALID, "%s: the model has %d input(s), %d given", g->path,
                      g->n_inputs, n);
    /* match inputs to graph inputs: by name, or positionally when unnamed */
    const c8_host_tensor **bound = calloc((size_t)(n ? n : 1), sizeof *bound);
    c8_shape *shapes = calloc((size_t)(n ? n : 1), sizeof *shapes);
    c8_status st = C8_OK;
    if (!bound || !shapes) {
        st = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n; k++) {
        int idx = k;
        if (inputs[k].name) {
            idx = -1;
            for (int i = 0; i < g->n_inputs; i++)
                if (!strcmp(g->vals[g->inputs[i]].name, inputs[k].name)) idx = i;
            if (idx < 0) {
                st = c8_err(err, C8_ERR_NOT_FOUND, "%s: the model has no input called '%s'",
                            g->path, inputs[k].name);
                goto done;
            }
        }
        if (bound[idx]) {
            st = c8_err(err, C8_ERR_INVALID, "%s: input '%s' given twice", g->path,
                        g->vals[g->inputs[idx]].name);
            goto done;
        }
        bound[idx] = &inputs[k];
    }
    for (int i = 0; i < n; i++) {
        const c8_value *v = &g->vals[g->inputs[i]];
        const c8_host_tensor *t = bound[i];
        char want[96], got[96];
        if (t->dtype != v->dtype) {
            st = c8_err(err, C8_ERR_INVALID, "%s: input '%s' must be %s, got %s", g->path, v->name,
                        c8_dtype_name(v->dtype), c8_dtype_name(t->dtype));
            goto done;
        }
        bool ok = t->shape.rank == v->shape.rank;
        for (int d = 0; ok && d < v->shape.rank; d++) {
            if (t->shape.d[d] < 0) ok = false;
            if (v->shape.d[d] >= 0 && v->shape.d[d] != t->shape.d[d]) ok = false;
        }
        if (!ok) {
            st = c8_err(err, C8_ERR_SHAPE, "%s: input '%s' has shape %s, the model expects %s",
                        g->path, v->name, c8_shape_str(&t->shape, got, sizeof got),
                        c8_shape_str(&v->shape, want, sizeof want));
            goto done;
        }
        if (c8_shape_numel(&t->shape) < 0) {
            st = c8_err(err, C8_ERR_LIMIT,
                        "%s: input '%s' has shape %s: its element count "
                        "overflows 64 bits",
                        g->path, v->name, c8_shape_str(&t->shape, got, sizeof got));
            goto done;
        }
        if (!t->data && c8_shape_numel(&t->shape) > 0) {
            st = c8_err(err, C8_ERR_INVALID, "%s: input '%s' has no data", g->path, v->name);
            goto done;
        }
        shapes[i] = t->shape;
    }
    /* an optimization profile: shapes outside it are refused; the first run plans (and
     * allocates) the activation memory at the profile's maximum, which every later shape
     * inside the profile reuses (specializations for shape-tensor values are sized as they
     * come) */
    const c8_profile *prof = x->e->prof;
    for (int i = 0; prof && i < n; i++) {
        st = c8_profile_check(&prof[i], g->path, g->vals[g->inputs[i]].name, &shapes[i], err);
        if (st != C8_OK) goto done;
    }
    if (prof && !x->sized) {
        bool shape_tensors = false;
        for (int i = 0; i < n; i++) shape_tensors |= is_shape_tensor(x, i, bound[i]);
        if (!shape_tensors) {
            c8_shape *mx = calloc((size_t)(n > 0 ? n : 1), sizeof *mx);
            if (!mx) {
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
                goto done;
            }
            for (int i = 0; i < n; i++) mx[i] = prof[i].set ? prof[i].max : shapes[i];
            st = specialize(x, mx, bound, err);
            free(mx);
            if (st != C8_OK) {
                c8_err_prefix(err, "planning memory for the profile's maximum");
                goto done;
            }
        }
        x->sized = true;
    }
    bool same = x->spec != NULL;
    for (int i = 0; same && i < n; i++) {
        same = same_shape(&shapes[i], &x->spec_shapes[i]);
        if (same && is_shape_tensor(x, i, bound[i]))
            same = x->spec_vals[i] &&
                   !memcmp(x->spec_vals[i], bound[i]->data,
                           (size_t)c8_shape_numel(&shapes[i]) * c8_dtype_size(bound[i]->dtype));
    }
    if (!same) {
        st = specialize(x, shapes, bound, err);
        if (st != C8_OK) goto done;
    }
    c8_graph *s = x->spec;
    x->uploaded = false;
    for (int i = 0; i < n; i++) {
        int v = s->inputs[i];
        if (s->vals[v].kind != C8_VAL_INPUT) continue; /* a shape tensor folded into the graph */
        if (x->vt->host_memory) {
            x->vdata[v] = bound[i]->data;
        } else {
            size_t bytes = (size_t)c8_shape_numel(&shapes[i]) * c8_dtype_size(bound[i]->dtype);
            st = x->vt->upload(x->ctx, x->vdata[v], bound[i]->data, bytes, err);
            if (st != C8_OK) goto done;
        }
    }
    if (x->obs)
        for (int i = 0; i < n; i++) {
            c8_host_tensor t;
            view(s, x->vdata, s->inputs[i], &t);
            if (!observed(x, t.name)) continue;
            if (!x->obs_device || x->vt->host_memory) t.data = (void *)bound[i]->data;
            st = x->obs(x->obs_user, t.name, &t, err);
            if (st != C8_OK) goto done;
        }
    x->uploaded = !x->vt->host_memory;
    st = run_nodes(x, true, err);
done:
    free(bound);
    free(shapes);
    return st;
}

c8_status c8_exec_run_again(c8_exec *x, bool download, c8_error *err) {
    if (x->vt->host_memory)
        return c8_err(err, C8_ERR_UNSUPPORTED,
                      "%s: running again on resident inputs needs a device backend (the CPU "
                      "reads the caller's buffers; call run again instead)",
                      x->g->path);
    if (!x->spec || !x->uploaded)
        return c8_err(err, C8_ERR_INVALID,
                      "%s: no inputs are resident on the device (run the engine once first)",
                      x->g->path);
    return run_nodes(x, download, err);
}

/* The forward of the current specialization on the inputs already in place (vdata), then, on
 * a device backend, a synchronize and (download) the outputs' host copies. */
static c8_status run_nodes(c8_exec *x, bool download, c8_error *err) {
    const c8_graph *g = x->g;
    c8_graph *s = x->spec;
    c8_status st = C8_OK;
    x->out_on_device = false;
    if (g_interrupt && *g_interrupt) {
        st = c8_err(err, C8_ERR_INTERRUPTED, "%s: interrupted by %s", g->path, g_interrupt_what);
        goto done;
    }
    /* The placed segments: runs of consecutive nodes of one device (the engine's, or the host
     * in a device plan) and the copies between them (engine/build/place.c); a host-memory
     * backend's plan is one segment. */
    bool started = false;
    for (int i = 0; i < s->n_nodes;) {
        const unsigned char step = x->step[i];
        if (step == STEP_DOWNLOAD || step == STEP_UPLOAD) {
            st = run_copy(x, &s->nodes[i], step, err);
            if (st == C8_OK) st = after_node(x, i, err);
            if (st != C8_OK) goto done;
            i++;
            continue;
        }
        int j = i + 1;
        while (j < s->n_nodes && x->step[j] == step) j++;
        const bool host = step == STEP_HOST;
        c8_segment seg = {s,
                          x->e->layers,
                          i,
                          j - i,
                          host ? x->hdata : x->vdata,
                          host ? NULL : x->node_state,
                          x->skip,
                          false,
                          false,
                          NULL,
                          x,
                          x->obs != NULL};
        /* between nodes: observers, and interrupts where no graph capture can be open */
        if (x->obs || x->vt->host_memory) seg.after = after_node;
        if (host) {
            st = c8_backend_cpu.run_segment(NULL, &seg, err);
        } else {
            seg.may_capture = !x->obs && !x->has_host && !x->vt->host_memory;
            seg.starts_run = !started;
            started = true;
            st = x->vt->run_segment(x->ctx, &seg, err);
        }
        if (st != C8_OK) goto done;
        i = j;
    }
    if (!x->vt->host_memory) {
        st = x->vt->sync(x->ctx, err);
        for (int i = 0; download && st == C8_OK && i < s->n_outputs; i++) {
            const c8_value *ov = &s->vals[s->outputs[i]];
            size_t bytes = (size_t)c8_shape_numel(&ov->shape) * c8_dtype_size(ov->dtype);
            st = x->vt->download(x->ctx, x->host_out[i], x->vdata[s->outputs[i]], bytes, err);
        }
        x->out_on_device = !download;
    }
done:
    return st;
}

c8_status c8_exec_output(c8_exec *x, int i, c8_host_tensor *out, c8_error *err) {
    if (!x->spec) return c8_err(err, C8_ERR_INVALID, "no run has completed yet");
    if (i < 0 || i >= x->spec->n_outputs)
        return c8_err(err, C8_ERR_INVALID, "output %d out of range (the model has %d)", i,
                      x->spec->n_outputs);
    if (x->out_on_device)
        return c8_err(err, C8_ERR_INVALID,
                      "%s: the last run left its outputs on the device (run again with download "
                      "to read output %d)",
                      x->g->path, i);
    view(x->spec, x->vdata, x->spec->outputs[i], out);
    if (x->host_out) out->data = x->host_out[i];
    return C8_OK;
}

const c8_graph *c8_exec_graph(const c8_exec *x) { return x->spec; }

void c8_exec_set_max_memory(c8_exec *x, uint64_t max_bytes) { x->max_memory = max_bytes; }

uint64_t c8_exec_memory(const c8_exec *x) { return x->mem_bytes; }
