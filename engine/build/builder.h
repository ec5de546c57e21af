/* The builder's lowering step (engine/build/builder.c), called by c8_engine_build. Internal. */
#ifndef C8_ENGINE_BUILDER_H
#define C8_ENGINE_BUILDER_H

#include "calib8/engine.h"
#include "engine/engine_internal.h"
#include "ops/ir.h"

/* Decides every layer's precision for src (the optimized float graph) under opt and the scale
 * source (may be NULL when no layer needs INT8), then writes the lowered graph into e->g (empty on
 * entry, inputs/outputs included) and e's layer table. */
c8_status c8_builder_lower(const c8_graph *src, const c8_build_options *opt,
                           const c8_scale_source *scales, c8_engine *e, c8_error *err);

#endif
