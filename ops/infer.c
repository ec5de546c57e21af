/* Shape inference and constant folding driver; per-op rules live in ops/. */
#include "ops/infer.h"

#include "ops/ops.h"
#include "util/arith.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

c8_status c8_graph_check_ops(const c8_graph *g, c8_error *err) {
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        const c8_op_def *d = c8_op_lookup(n->op);
        if (!d)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "op '%s' is not supported",
                               n->op_type);
        if (n->n_in < d->min_in || (d->max_in >= 0 && n->n_in > d->max_in))
            return c8_node_err(err, g, n, C8_ERR_INVALID, "has %d inputs, expected %d to %d",
                               n->n_in, d->min_in, d->max_in);
        int outs = 0;
        for (int k = 0; k < n->n_out; k++) outs += n->out[k] >= 0;
        if (n->n_out < d->min_out || (d->max_out >= 0 && n->n_out > d->max_out))
            return c8_node_err(err, g, n, C8_ERR_INVALID, "has %d outputs, expected %d to %d",
                               n->n_out, d->min_out, d->max_out);
        if (outs == 0) return c8_node_err(err, g, n, C8_ERR_INVALID, "has no outputs");
        for (int k = 0; k < d->min_in && k < n->n_in; k++)
            if (n->in[k] < 0)
                return c8_node_err(err, g, n, C8_ERR_INVALID, "required input %d is missing", k);
        if (d->check) C8_TRY(d->check(g, n, err));
    }
    return C8_OK;
}

static void host_view(const c8_value *v, c8_host_tensor *t) {
    t->name = v->name;
    t->dtype = v->dtype;
    t->shape = v->shape;
    t->data = v->data;
}

c8_status c8_node_run_ref(const c8_graph *g, const c8_node *n, const c8_host_tensor *in,
                          c8_host_tensor *out, const c8_host_tensor *residual, c8_error *err) {
    const c8_op_def *d = c8_op_lookup(n->op);
    if (!d || !d->run)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "no reference implementation");
    c8_op_run r = {g, n, in, out, residual};
    return d->run(&r, err);
}

/* Runs node n on constant inputs and turns its outputs into constants. */
static c8_status fold_node(c8_graph *g, int ni, c8_error *err) {
    c8_node *n = &g->nodes[ni];
    c8_host_tensor *in = calloc((size_t)(n->n_in ? n->n_in : 1), sizeof *in);
    c8_host_tensor *out = calloc((size_t)(n->n_out ? n->n_out : 1), sizeof *out);
    c8_status s = C8_OK;
    if (!in || !out) {
        s = c8_err(err, C8_ERR_NOMEM, "%s: out of memory folding '%s'", g->path, n->name);
        goto done;
    }
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0) host_view(&g->vals[n->in[k]], &in[k]);
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0) continue;
        c8_value *v = &g->vals[n->out[k]];
        host_view(v, &out[k]);
        int64_t numel = c8_shape_numel(&v->shape);
        size_t nbytes;
        if (v->shape.rank < 0 || numel < 0 ||
            !c8_mul_size((size_t)numel, c8_dtype_size(v->dtype), &nbytes)) {
            s = c8_node_err(err, g, n, C8_ERR_SHAPE, "cannot fold: output '%s' has no known size",
                            v->name);
            goto done;
        }
        out[k].data = malloc(nbytes ? nbytes : 1);
        if (!out[k].data) {
            s = c8_node_err(err, g, n, C8_ERR_NOMEM, "out of memory folding (%zu bytes)", nbytes);
            goto done;
        }
    }
    s = c8_node_run_ref(g, n, in, out, NULL, err);
    if (s != C8_OK) goto done;
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0) continue;
        c8_value *v = &g->vals[n->out[k]];
        int64_t numel = c8_shape_numel(&v->shape);
        size_t nbytes = (size_t)numel * c8_dtype_size(v->dtype);
        c8_graph_set_const(g, n->out[k], v->dtype, &v->shape, out[k].data, nbytes);
        v->producer = -1;
        out[k].data = NULL;
    }
    n->dead = true;
done:
    if (out)
        for (int k = 0; k < n->n_out; k++) free(out[k].data);
    free(in);
    free(out);
    return s;
}

c8_status c8_graph_infer(c8_graph *g, bool fold, int *n_folded, c8_error *err) {
    int folded = 0;
    for (int i = 0; i < g->n_vals; i++) {
        c8_value *v = &g->vals[i];
        if (v->kind == C8_VAL_ACTIVATION && v->producer >= 0) v->shape.rank = -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        c8_node *n = &g->nodes[i];
        if (n->dead) continue;
        const c8_op_def *d = c8_op_lookup(n->op);
        if (!d || !d->infer)
            return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED, "no shape inference for this op");
        C8_TRY(d->infer(g, n, err));
        if (!fold) continue;
        bool inputs_const = true;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && g->vals[n->in[k]].kind != C8_VAL_CONST) inputs_const = false;
        /* Shape and Size read only their input's extents: they fold once those are known. */
        if ((n->op == C8_OP_SHAPE || n->op == C8_OP_SIZE) && n->in[0] >= 0 &&
            g->vals[n->in[0]].shape.rank >= 0 && c8_shape_numel(&g->vals[n->in[0]].shape) >= 0)
            inputs_const = true;
        if (n->fusion.residual >= 0) inputs_const = false;
        /* a device plan's storage conversion (engine/build/reformat.c) is the device's work:
         * folded on the host, its output would lose the storage it exists to make */
        if (n->op == C8_OP_REFORMAT) inputs_const = false;
        bool outputs_known = true;
        for (int k = 0; k < n->n_out; k++) {
            if (n->out[k] < 0) continue;
            const c8_value *v = &g->vals[n->out[k]];
            if (v->shape.rank < 0 || c8_shape_numel(&v->shape) < 0) outputs_known = false;
            if (v->is_output) outputs_known = false; /* keep graph outputs computed by nodes */
        }
        if (inputs_const && outputs_known && d->run) {
            C8_TRY(fold_node(g, i, err));
            folded++;
        }
    }
    if (n_folded) *n_folded = folded;
    if (folded) C8_TRY(c8_graph_compact(g, err));
    return C8_OK;
}
