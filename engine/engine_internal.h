/* The c8_engine struct, shared inside engine/ (the public type is opaque). */
#ifndef C8_ENGINE_ENGINE_INTERNAL_H
#define C8_ENGINE_ENGINE_INTERNAL_H

#include "calib8/engine.h"
#include "engine/ir.h"

struct c8_engine {
    c8_graph *g; /* the optimized graph, owned */
    c8_device device;
    c8_precision precision;
};

#endif
