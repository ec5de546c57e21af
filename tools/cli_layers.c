/* --layer-precision: every pattern must name at least one layer of the model (issue 15); the
 * check itself is the library's (c8_model_check_layer_spec), shared with the Python package. */
#include "tools/cli_layers.h"

#include "calib8/engine.h"
#include "tools/cli.h"

c8_status c8_cli_check_layer_spec(const c8_model *m, const char *spec, c8_error *err) {
    c8_status s = c8_model_check_layer_spec(m, spec, err);
    if (s == C8_OK) return C8_OK;
    c8_error_prefix(err, "--layer-precision");
    if (s == C8_ERR_INVALID) err->code = C8_ERR_USAGE; /* a bad option: exit 2 */
    return err->code;
}
