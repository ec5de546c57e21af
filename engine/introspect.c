/* The engine's tensor table (c8_engine_num_tensors / c8_engine_tensor in engine.h): every
 * non-constant value of the lowered graph with its type, scale and producing layer, for callers
 * that compare engines tensor by tensor (reports/compare.c) without reading engine internals. */
#include "calib8/engine.h"

#include "engine/engine_internal.h"

#include <string.h>

static int nth_value(const c8_graph *g, int i) {
    for (int v = 0; v < g->n_vals; v++)
        if (g->vals[v].kind != C8_VAL_CONST && i-- == 0) return v;
    return -1;
}

int c8_engine_num_tensors(const c8_engine *e) {
    int n = 0;
    for (int v = 0; v < e->g->n_vals; v++) n += e->g->vals[v].kind != C8_VAL_CONST;
    return n;
}

void c8_engine_tensor(const c8_engine *e, int i, c8_engine_tensor_info *out) {
    memset(out, 0, sizeof *out);
    out->layer = -1;
    const c8_graph *g = e->g;
    int v = nth_value(g, i);
    if (v < 0) return;
    const c8_value *val = &g->vals[v];
    out->name = val->name;
    out->dtype = val->dtype;
    out->scale = val->dtype == C8_DT_INT8 ? val->scale : 0;
    out->input = val->kind == C8_VAL_INPUT;
    if (val->producer >= 0 && val->producer < g->n_nodes) {
        int l = g->nodes[val->producer].layer;
        if (l >= 0 && l < e->n_layers) {
            out->layer = l;
            out->conversion = e->layers[l].role == C8_LAYER_REFORMAT;
        }
    }
}
