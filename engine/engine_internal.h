/* The c8_engine struct and its layer table, shared inside engine/ (the public type is opaque).
 *
 * An engine's graph is the model lowered for its precisions: INT8 layers are Q8* ops
 * (ops/q8.c) on int8 values (c8_value.scale set), with Q8Quantize / Q8Dequantize where
 * precisions meet; FP32 and FP16 layers are the ordinary ops on float32 values, FP16 layers
 * differing only in their layer record (the CPU rounds their weights and activations to binary16
 * at the layer's boundaries, as the GPU's FP16 storage does). Every node's `layer` indexes
 * `layers`. */
#ifndef C8_ENGINE_ENGINE_INTERNAL_H
#define C8_ENGINE_ENGINE_INTERNAL_H

#include "calib8/engine.h"
#include "engine/profile.h"
#include "kernels/backend.h"
#include "ops/ir.h"

/* c8_layer, its roles and placements are the backends' view too: kernels/backend.h. C8_PREC_*
 * (engine.h) and C8_LAYER_PREC_* (backend.h) are the same numbers. */
_Static_assert(C8_PREC_FP32 == C8_LAYER_PREC_FP32 && C8_PREC_FP16 == C8_LAYER_PREC_FP16 &&
                   C8_PREC_INT8 == C8_LAYER_PREC_INT8,
               "engine.h's and kernels/backend.h's precision numbers differ");

struct c8_engine {
    c8_graph *g; /* the lowered graph, owned */
    c8_device device;
    c8_precision precision; /* as requested */
    c8_layer *layers;
    int n_layers;
    char model_sha256[65];
    char cache_sha256[65]; /* "" when built without a calibration cache */
    bool tf32;             /* FP32 layers may use TF32 tensor cores (GPU) */
    char *preprocessing;   /* the inputs' preprocessing (c8_build_options), owned; NULL: none */
    c8_profile *prof;      /* (g->n_inputs) optimization profiles, owned; NULL: none */
    int threads;           /* c8_build_options.threads: its contexts' default; not in plans */
    void *backend;         /* device state (CUDA), NULL on the CPU */
};

/* Adds a layer record; returns its index or -1 (out of memory). (engine/layers.c) */
int c8_engine_add_layer(c8_engine *e, const char *name, const char *op, c8_precision p,
                        c8_layer_role role, const char *reason);

/* Sets (a copy of) the inputs' preprocessing description; NULL or "" clears it. At most
 * C8_ENGINE_PREPROCESSING_MAX bytes, no control characters (C8_ERR_INVALID). (engine/layers.c) */
c8_status c8_engine_set_preprocessing(c8_engine *e, const char *text, c8_error *err);

/* One line per input with an optimization profile ("profile: input 'x' 1..8..64x3x48x192 ..."),
 * nothing without. (engine/engine.c) */
void c8_engine_print_profiles(const c8_engine *e, FILE *fp);

/* Creates an engine shell around a lowered graph (takes ownership of g). (engine/layers.c) */
c8_engine *c8_engine_new(c8_graph *g, c8_device device, c8_precision precision);

/* What a backend sees of e (kernels/backend.h); valid while e's layers are not added to. */
static inline c8_backend_engine c8_engine_backend_view(const c8_engine *e) {
    c8_backend_engine b = {e->g, e->layers, e->n_layers, e->tf32, e->backend};
    return b;
}

/* The backend for a device, or NULL when this build has none (message in err); engine/backend.c
 * is the only place that tests C8_HAVE_CUDA. */
const c8_backend_vt *c8_backend_get(c8_device device, c8_error *err);

/* The backend and its state of a context (engine/engine.c). */
void c8_context_backend(c8_context *c, const c8_backend_vt **vt, void **state);

#endif
