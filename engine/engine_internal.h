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
#include "ops/ir.h"

#define C8_LAYER_REASON_MAX 200
#define C8_LAYER_LAYOUT_MAX 48
#define C8_LAYER_TUNED_MAX 512

typedef enum c8_layer_role {
    C8_LAYER_COMPUTE = 0,  /* a model layer */
    C8_LAYER_REFORMAT = 1, /* a quantize/dequantize/cast inserted where precisions meet */
    C8_LAYER_COPY = 2      /* a HostCopy inserted by the placement pass (engine/build/place.c) */
} c8_layer_role;

/* Where the placement pass put a node (engine/build/place.c). */
typedef enum c8_place {
    C8_PLACE_DEVICE = 0, /* the engine's device: the CPU in a CPU plan, the GPU in a CUDA plan */
    C8_PLACE_HOST = 1    /* a host step of a device plan (its operands in host memory) */
} c8_place_kind;

typedef struct c8_layer {
    char *name; /* the node's name (fused layers: the label, e.g. CBR(conv1+bn1+relu1)) */
    char *op;   /* the model op ("Conv", "FusedConv", "Q8Quantize", ...) */
    c8_precision precision;
    int32_t role;                     /* c8_layer_role */
    char reason[C8_LAYER_REASON_MAX]; /* why this precision */
    char kernel[64];                  /* the implementation chosen ("ref", a CUDA candidate, ...) */
    /* ---- the placement (engine/build/place.c; one layer per node) ---- */
    int32_t place;                          /* c8_place_kind */
    char place_reason[C8_LAYER_REASON_MAX]; /* why there ("" on the engine's device) */
    char layout[C8_LAYER_LAYOUT_MAX];       /* storage of the first output: "NCHW float32", ... */
    char tuned[C8_LAYER_TUNED_MAX];         /* build-time candidates and timings, "" if untuned */
} c8_layer;

struct c8_engine {
    c8_graph *g; /* the lowered graph, owned */
    c8_device device;
    c8_precision precision; /* as requested */
    c8_layer *layers;
    int n_layers;
    char model_sha256[65];
    char cache_sha256[65]; /* "" when built without a calibration cache */
    bool tf32;             /* FP32 layers may use TF32 tensor cores (GPU) */
    void *backend;         /* device state (CUDA), NULL on the CPU */
};

/* Adds a layer record; returns its index or -1 (out of memory). */
int c8_engine_add_layer(c8_engine *e, const char *name, const char *op, c8_precision p,
                        c8_layer_role role, const char *reason);

/* Creates an engine shell around a lowered graph (takes ownership of g). */
c8_engine *c8_engine_new(c8_graph *g, c8_device device, c8_precision precision);

#endif
