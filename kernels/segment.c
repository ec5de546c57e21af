/* The node loop of a placed segment (kernels/backend.h, c8_segment_run_nodes): what every
 * backend's run_segment does around its own per-node dispatch. It views each operand of each
 * node where the segment's data table says it lives, runs the node, and calls the executor's
 * hook after it (observers, interrupt checks). Tests: through every suite that runs an engine
 * (tests/engine/test_place.c runs segments of a fake device and of the host). */
#include "kernels/backend.h"

#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static void view(const c8_segment *seg, int v, c8_host_tensor *t) {
    if (v < 0) {
        memset(t, 0, sizeof *t);
        return;
    }
    const c8_value *val = &seg->g->vals[v];
    t->name = val->name;
    t->dtype = val->dtype;
    t->shape = val->shape;
    t->data = seg->data[v];
}

c8_status c8_segment_run_nodes(void *ctx, const c8_segment *seg, c8_node_run_fn run,
                               c8_error *err) {
    c8_host_tensor stack_in[8], stack_out[8];
    for (int i = seg->first; i < seg->first + seg->count; i++) {
        const c8_node *nd = &seg->g->nodes[i];
        c8_status st = C8_OK;
        if (!seg->skip || !seg->skip[i]) {
            c8_host_tensor *in = nd->n_in <= 8 ? stack_in : calloc((size_t)nd->n_in, sizeof *in);
            c8_host_tensor *out =
                nd->n_out <= 8 ? stack_out : calloc((size_t)nd->n_out, sizeof *out);
            if (!in || !out) {
                st = c8_err(err, C8_ERR_NOMEM, "out of memory");
            } else {
                for (int k = 0; k < nd->n_in; k++) view(seg, nd->in[k], &in[k]);
                for (int k = 0; k < nd->n_out; k++) view(seg, nd->out[k], &out[k]);
                c8_host_tensor res;
                if (nd->fusion.residual >= 0) view(seg, nd->fusion.residual, &res);
                const c8_layer *l = nd->layer >= 0 ? &seg->layers[nd->layer] : NULL;
                st = run(ctx, seg->node_state ? seg->node_state[i] : NULL, seg->g, nd, l, in, out,
                         nd->fusion.residual >= 0 ? &res : NULL, err);
            }
            if (in && in != stack_in) free(in);
            if (out && out != stack_out) free(out);
        }
        if (st == C8_OK && seg->after) st = seg->after(seg->user, i, err);
        if (st != C8_OK) return st;
    }
    return C8_OK;
}
