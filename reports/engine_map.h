/* What the report needs from an engine's lowered graph and the public API does not give: every
 * value with its type, scale and producing layer. Internal; the one place reports/ reads
 * engine internals (engine/engine_internal.h), so a public accessor can replace it later. */
#ifndef C8_REPORTS_ENGINE_MAP_H
#define C8_REPORTS_ENGINE_MAP_H

#include "calib8/engine.h"

#include <stdbool.h>

typedef struct r_evalue {
    const char *name; /* borrowed from the engine */
    c8_dtype dtype;
    float scale;   /* int8 values: the quantization scale; else 0 */
    bool input;    /* a graph input */
    int layer;     /* index of the producing layer (c8_engine_layer), -1 for inputs */
    bool reformat; /* produced by a Q8Quantize/Q8Dequantize/cast inserted by the builder */
} r_evalue;

/* Number of non-constant values (inputs and activations) of e's graph. */
int r_engine_num_values(const c8_engine *e);
/* The i-th of them, in graph order. */
void r_engine_value(const c8_engine *e, int i, r_evalue *out);

#endif
