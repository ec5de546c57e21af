/* The fast CPU backend: the reference CPU backend's device (host memory) with oneDNN kernels for
 * the nodes c8_dnnl_kernel names (dnnl_conv.c); every other node, and every FP16 layer (emulated),
 * runs through the reference backend (kernels/cpu/backend_cpu.c) unchanged. Registered in
 * engine/backend.c as the `cpu` device when CMake found oneDNN; `cpu-ref` stays the reference.
 * Reference and tests: see dnnl_backend.h. */
#include "kernels/cpu/dnnl_backend.h"

#include "kernels/backend.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

/* The reference backend keeps no context state (its context is NULL), so its memory functions
 * and its run serve this backend's host memory as they are. */

static c8_status d_context_init(const c8_backend_engine *e, void **state, c8_error *err) {
    (void)e;
    c8_dnnl_ctx *c = NULL;
    C8_TRY(c8_dnnl_ctx_create(&c, err));
    *state = c;
    return C8_OK;
}

static void d_context_fini(void *state) { c8_dnnl_ctx_destroy(state); }

static c8_status d_alloc(void *ctx, size_t bytes, void **ptr, c8_error *err) {
    (void)ctx;
    return c8_backend_cpu.alloc(NULL, bytes, ptr, err);
}

static void d_free(void *ctx, void *ptr) {
    (void)ctx;
    c8_backend_cpu.free(NULL, ptr);
}

static c8_status d_copy(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err) {
    (void)ctx;
    return c8_backend_cpu.upload(NULL, dst, src, bytes, err);
}

static bool d_supports(const c8_graph *g, const c8_node *n, const c8_layer *l, const char **why) {
    return c8_backend_cpu.supports(g, n, l, why);
}

static c8_status d_prepare(void *ctx, const c8_graph *g, const c8_node *n, const c8_layer *l,
                           void **node_state, c8_error *err) {
    c8_dnnl_node *s = NULL;
    C8_TRY(c8_dnnl_prepare(ctx, g, n, l, &s, err));
    *node_state = s;
    return C8_OK;
}

static void d_release(void *ctx, void *node_state) {
    (void)ctx;
    c8_dnnl_node_free(node_state);
}

static c8_status d_run(void *ctx, void *node_state, const c8_graph *g, const c8_node *n,
                       const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                       const c8_host_tensor *residual, c8_error *err) {
    if (!node_state) return c8_backend_cpu_run_node(NULL, NULL, g, n, l, in, out, residual, err);
    return c8_dnnl_run(ctx, node_state, g, n, in, out, residual, err);
}

static c8_status d_run_segment(void *ctx, const c8_segment *seg, c8_error *err) {
    return c8_segment_run_nodes(ctx, seg, d_run, err);
}

static c8_status d_sync(void *ctx, c8_error *err) {
    (void)ctx;
    (void)err;
    return C8_OK; /* every run waits for its primitive (dnnl_conv.c) */
}

/* Build time: the layer table's kernel column says which nodes oneDNN runs ("dnnl:...") and
 * which the reference kernels run ("ref", with the reason when oneDNN was considered). */
static c8_status d_tune(const c8_backend_engine *e, const c8_tune_options *opt, c8_error *err) {
    (void)opt;
    (void)err;
    for (int i = 0; i < e->g->n_nodes; i++) {
        const c8_node *n = &e->g->nodes[i];
        if (n->dead || n->layer < 0 || n->layer >= e->n_layers) continue;
        c8_layer *l = &e->layers[n->layer];
        const char *why = NULL;
        const char *k = c8_dnnl_kernel(e->g, n, l, &why);
        if (k)
            snprintf(l->kernel, sizeof l->kernel, "%s", k);
        else
            snprintf(l->kernel, sizeof l->kernel, "ref%s%s", why ? ": " : "", why ? why : "");
    }
    return C8_OK;
}

const c8_backend_vt c8_backend_cpu_dnnl = {
    .name = "cpu",
    .host_memory = true,
    .engine_init = NULL,
    .engine_fini = NULL,
    .context_init = d_context_init,
    .context_fini = d_context_fini,
    .alloc = d_alloc,
    .free = d_free,
    .upload = d_copy,
    .download = d_copy,
    .supports = d_supports,
    .prepare = d_prepare,
    .release = d_release,
    .run_segment = d_run_segment,
    .sync = d_sync,
    .tune = d_tune,
};
