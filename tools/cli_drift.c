/* --map-threshold and --ctc-blank must apply to some output of the model: a detector threshold
 * passed to a classifier would otherwise be silently ignored (docs/cli.md). */
#include "tools/cli_drift.h"

#include "tools/cli.h"

#include <stdio.h>
#include <string.h>

c8_status c8_cli_check_drift_flags(const c8_model *m, const c8_drift_options *o,
                                   bool threshold_given, c8_error *err) {
    bool map = false, seq = false;
    char found[512] = "";
    size_t used = 0;
    for (int i = 0; i < c8_model_num_outputs(m); i++) {
        const char *name;
        c8_dtype dt;
        c8_shape s;
        char shape[96];
        c8_model_output(m, i, &name, &dt, &s);
        c8_output_kind k = o->kind != C8_OUTPUT_AUTO ? o->kind : c8_report_output_kind(&s);
        if (dt != C8_DT_FLOAT) continue; /* compare leaves non-float outputs out */
        map |= k == C8_OUTPUT_MAP;
        seq |= k == C8_OUTPUT_SEQUENCE;
        if (used < sizeof found) {
            int w = snprintf(found + used, sizeof found - used, "%s'%s' %s (%s)", used ? ", " : "",
                             name, c8_shape_str(&s, shape, sizeof shape),
                             c8_report_output_kind_name(k));
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (threshold_given && !map)
        return c8_err(err, C8_ERR_USAGE,
                      "--map-threshold has no effect: %s has no dense-map output (outputs: %s)",
                      c8_model_path(m), found);
    if (o->ctc_blank >= 0 && !seq)
        return c8_err(err, C8_ERR_USAGE,
                      "--ctc-blank has no effect: %s has no sequence output (outputs: %s)",
                      c8_model_path(m), found);
    return C8_OK;
}
