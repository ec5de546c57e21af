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
#ifdef _OPENMP
#include <omp.h>
#endif

/* Threads without global state, as far as oneDNN allows. Debian's oneDNN runs on OpenMP, whose
 * thread count is not an argument of oneDNN's calls: oneDNN reads omp_get_max_threads() when it
 * makes a primitive (to partition the work) and when it runs one. That value is OpenMP's
 * nthreads-var, an ICV of the calling thread's task (omp_set_num_threads changes it for the
 * calling thread only; other threads, and other contexts run from them, keep theirs). So each
 * call into oneDNN on behalf of a context sets the context's count on the calling thread and puts
 * the previous value back before returning: nothing outlives the call, and two contexts with
 * different counts may run on two threads at once. (oneDNN's threadpool runtime would take the
 * count as an argument, but Debian does not build it.) */
c8_dnnl_thread_scope c8_dnnl_threads_enter(int n) {
    c8_dnnl_thread_scope t = {0};
#ifdef _OPENMP
    if (n > 0 && n != omp_get_max_threads()) {
        t.prev = omp_get_max_threads();
        omp_set_num_threads(n);
    }
#else
    (void)n;
#endif
    return t;
}

void c8_dnnl_threads_leave(c8_dnnl_thread_scope t) {
#ifdef _OPENMP
    if (t.prev > 0) omp_set_num_threads(t.prev);
#else
    (void)t;
#endif
}

static c8_dnnl_thread_scope threads_enter(const c8_dnnl_ctx *c) {
    return c8_dnnl_threads_enter(c8_dnnl_ctx_threads(c));
}

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
    c8_dnnl_thread_scope t =
        threads_enter(ctx); /* oneDNN partitions the work when it makes a primitive */
    c8_status st = c8_dnnl_prepare(ctx, g, n, l, &s, err);
    c8_dnnl_threads_leave(t);
    if (st != C8_OK) return st;
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
    C8_TRY(c8_dnnl_ctx_begin(ctx, seg, err));
    c8_dnnl_thread_scope t = threads_enter(ctx);
    c8_status st = c8_segment_run_nodes(ctx, seg, d_run, err);
    c8_dnnl_threads_leave(t);
    c8_dnnl_ctx_end(ctx);
    return st;
}

static void d_set_threads(void *ctx, int threads) { c8_dnnl_ctx_set_threads(ctx, threads); }

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
    .int8_nearest_resize = true,
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
    .set_threads = d_set_threads,
};
