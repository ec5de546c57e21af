/* The CPU backend: host memory and the reference kernels (kernels/ref/), with FP16 layers
 * emulated by rounding their float inputs (copies) and outputs to binary16, as the GPU stores
 * FP16 tensors (kernels/cpu/fp16_round.h: F16C where the CPU has it, the same bits). */
#include "kernels/backend.h"

#include "ops/infer.h"
#include "kernels/cpu/fp16_round.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static c8_status cpu_context_init(const c8_backend_engine *e, void **state, c8_error *err) {
    (void)e;
    (void)err;
    *state = NULL;
    return C8_OK;
}

static c8_status cpu_alloc(void *ctx, size_t bytes, void **ptr, c8_error *err) {
    (void)ctx;
    size_t n = (bytes + 255) / 256 * 256;
    *ptr = aligned_alloc(256, n ? n : 256);
    if (!*ptr) return c8_err(err, C8_ERR_NOMEM, "cannot allocate %zu bytes", bytes);
    return C8_OK;
}

static void cpu_free(void *ctx, void *ptr) {
    (void)ctx;
    free(ptr);
}

static c8_status cpu_copy(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err) {
    (void)ctx;
    (void)err;
    if (bytes) memcpy(dst, src, bytes);
    return C8_OK;
}

static bool cpu_supports(const c8_graph *g, const c8_node *n, const c8_layer *l, const char **why) {
    (void)g;
    (void)n;
    (void)l;
    (void)why;
    return true;
}

/* A rounded copy of a float tensor (FP16 emulation); *tmp receives the buffer to free. */
static c8_status fp16_copy(const c8_host_tensor *t, c8_host_tensor *out, void **tmp,
                           c8_error *err) {
    size_t cnt = (size_t)c8_shape_numel(&t->shape);
    *out = *t;
    *tmp = malloc(cnt * sizeof(float) + 1);
    if (!*tmp) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_cpu_fp16_round(t->data, *tmp, cnt);
    out->data = *tmp;
    return C8_OK;
}

c8_status c8_backend_cpu_run_node(void *ctx, void *node_state, const c8_graph *g, const c8_node *n,
                                  const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                                  const c8_host_tensor *residual, c8_error *err) {
    (void)ctx;
    (void)node_state;
    if (!l || l->precision != C8_LAYER_PREC_FP16 || l->role != C8_LAYER_COMPUTE)
        return c8_node_run_ref(g, n, in, out, residual, err);
    c8_host_tensor stack[8], res;
    c8_host_tensor *rin = n->n_in <= 8 ? stack : calloc((size_t)n->n_in, sizeof *rin);
    void **tmp = calloc((size_t)n->n_in + 1, sizeof(void *));
    c8_status s = C8_OK;
    if (!rin || !tmp) {
        s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n->n_in && s == C8_OK; k++) {
        rin[k] = in[k];
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->kind != C8_VAL_CONST && in[k].dtype == C8_DT_FLOAT && in[k].data)
            s = fp16_copy(&in[k], &rin[k], &tmp[k], err);
    }
    const c8_host_tensor *rres = residual;
    if (s == C8_OK && residual) {
        s = fp16_copy(residual, &res, &tmp[n->n_in], err);
        rres = &res;
    }
    if (s == C8_OK) s = c8_node_run_ref(g, n, rin, out, rres, err);
    for (int k = 0; s == C8_OK && k < n->n_out; k++)
        if (out[k].data && out[k].dtype == C8_DT_FLOAT)
            c8_cpu_fp16_round(out[k].data, out[k].data, (size_t)c8_shape_numel(&out[k].shape));
done:
    if (tmp)
        for (int k = 0; k <= n->n_in; k++) free(tmp[k]);
    free(tmp);
    if (rin != stack) free(rin);
    return s;
}

/* A placed segment: the node loop with c8_backend_cpu_run_node for each node. */
static c8_status cpu_run_segment(void *ctx, const c8_segment *seg, c8_error *err) {
    return c8_segment_run_nodes(ctx, seg, c8_backend_cpu_run_node, err);
}

static c8_status cpu_sync(void *ctx, c8_error *err) {
    (void)ctx;
    (void)err;
    return C8_OK;
}

const c8_backend_vt c8_backend_cpu = {
    .name = "cpu",
    .host_memory = true,
    .int8_nearest_resize = true,
    .engine_init = NULL,
    .engine_fini = NULL,
    .context_init = cpu_context_init,
    .context_fini = NULL,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .supports = cpu_supports,
    .prepare = NULL,
    .release = NULL,
    .run_segment = cpu_run_segment,
    .sync = cpu_sync,
};
