/* Checks of layer-selecting options against a model. */
#ifndef C8_TOOLS_CLI_LAYERS_H
#define C8_TOOLS_CLI_LAYERS_H

#include "calib8/engine.h"

#include <stdio.h>

/* C8_ERR_USAGE when a GLOB of a --layer-precision SPEC ("conv1:fp32,fc*:fp16") matches no
 * node of the model, naming the pattern and a few layer names. Bad items are left to the
 * builder's parser. */
c8_status c8_cli_check_layer_spec(const c8_model *m, const char *spec, c8_error *err);

#endif
