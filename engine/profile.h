/* Optimization profiles (TensorRT's model): per network input, the smallest, the optimal and the
 * largest shape an engine accepts. A model gets them from c8_model_set_input_profile; the engine
 * keeps them (indexed like its inputs), stores them in its plan, refuses a run outside them,
 * plans its activation memory for the maximum and tunes at the optimum. Tests:
 * tests/engine/test_profile.c. */
#ifndef C8_ENGINE_PROFILE_H
#define C8_ENGINE_PROFILE_H

#include "calib8/engine.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct c8_profile {
    bool set;               /* false: the input has no profile (dynamic extents take any size) */
    c8_shape min, opt, max; /* same rank; 0 < min <= opt <= max per extent */
} c8_profile;

/* Checks a profile against the input's declared shape (`declared`; negative extents dynamic):
 * same rank, 0 < min <= opt <= max, and a fixed extent equal to all three. `what` names the
 * input in messages ("model.onnx: input 'x'"). */
c8_status c8_profile_validate(const c8_profile *p, const c8_shape *declared, const char *what,
                              c8_error *err);

/* Whether shape s lies inside p (every extent within [min, max]); an unset profile holds
 * everything. */
bool c8_profile_contains(const c8_profile *p, const c8_shape *s);

/* The profile in the CLI's spelling: per extent "v" (min = opt = max), "min..max" (opt = max) or
 * "min..opt..max", joined by 'x': "1..8..64x3x48x192". Returns buf. */
const char *c8_profile_str(const c8_profile *p, char *buf, size_t len);

/* C8_ERR_SHAPE "<what>: input 'x' has shape 2x3x64x64, outside the profile 4..8x3x64x64
 * (extent 0: 2 is below 4)" when s is outside p; C8_OK otherwise. */
c8_status c8_profile_check(const c8_profile *p, const char *what, const char *name,
                           const c8_shape *s, c8_error *err);

#endif
