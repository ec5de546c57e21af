/* The engine record and its layer table (engine_internal.h): creating an engine shell around a
 * lowered graph and appending layer records. Shared by the builder (engine/build/builder.c), plan
 * loading (engine/plan.c) and c8_engine_build (engine/engine.c); kept apart from engine.c so that
 * the builder, which engine.c calls, never calls back into engine.c (docs/architecture.md). */
#include "engine/engine_internal.h"

#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

c8_engine *c8_engine_new(c8_graph *g, c8_device device, c8_precision precision) {
    c8_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->g = g;
    e->device = device;
    e->precision = precision;
    return e;
}

c8_status c8_engine_set_preprocessing(c8_engine *e, const char *text, c8_error *err) {
    free(e->preprocessing);
    e->preprocessing = NULL;
    if (!text || !*text) return C8_OK;
    size_t n = strlen(text);
    if (n > C8_ENGINE_PREPROCESSING_MAX)
        return c8_err(err, C8_ERR_INVALID,
                      "the preprocessing description is %zu bytes, longer than %d", n,
                      C8_ENGINE_PREPROCESSING_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] < 0x20)
            return c8_err(err, C8_ERR_INVALID,
                          "the preprocessing description holds a control character (byte %zu)", i);
    e->preprocessing = strdup(text);
    if (!e->preprocessing) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    return C8_OK;
}

int c8_engine_add_layer(c8_engine *e, const char *name, const char *op, c8_precision p,
                        c8_layer_role role, const char *reason) {
    c8_layer *nl = realloc(e->layers, (size_t)(e->n_layers + 1) * sizeof *nl);
    if (!nl) return -1;
    e->layers = nl;
    c8_layer *l = &e->layers[e->n_layers];
    memset(l, 0, sizeof *l);
    l->name = strdup(name);
    l->op = strdup(op);
    if (!l->name || !l->op) {
        free(l->name);
        free(l->op);
        return -1;
    }
    l->precision = p;
    l->role = role;
    snprintf(l->reason, sizeof l->reason, "%s", reason ? reason : "");
    snprintf(l->kernel, sizeof l->kernel, "ref");
    return e->n_layers++;
}
