/* The c8_model struct, shared inside engine/ (the public type is opaque). */
#ifndef C8_ENGINE_MODEL_INTERNAL_H
#define C8_ENGINE_MODEL_INTERNAL_H

#include "calib8/engine.h"
#include "engine/profile.h"
#include "ops/ir.h"

struct c8_model {
    c8_graph *g;              /* owned */
    c8_profile *prof;         /* (g->n_inputs) optimization profiles, owned; NULL: none set */
    const char **calib_names; /* borrowed from g's values */
    int n_calib;
};

/* The model's graph (borrowed). */
const c8_graph *c8_model_graph(const c8_model *m);

/* Wraps an already imported graph: checks ops, infers shapes (folding constants if fold), and
 * takes ownership of g (destroyed on failure too). */
c8_status c8_model_from_graph(c8_graph *g, bool fold, c8_model **out, c8_error *err);

/* Floating-point operations of node n for its inferred shapes (multiply-add = 2), or -1. */
int64_t c8_node_flops(const c8_graph *g, const c8_node *n);

#endif
