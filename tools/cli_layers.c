/* --layer-precision: every pattern must name at least one layer of the model (issue 15); a
 * pattern that matches nothing would be silently ignored by the builder. */
#include "tools/cli_layers.h"

#include "calib8/calib.h"
#include "calib8/engine.h"
#include "tools/cli.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Does glob match node n's name (the names the builder matches, before fusion)? */
static bool matches_some(const c8_model *m, const char *glob) {
    for (int i = 0; i < c8_model_num_nodes(m); i++)
        if (fnmatch(glob, c8_model_node_name(m, i), 0) == 0) return true;
    return false;
}

c8_status c8_cli_check_layer_spec(const c8_model *m, const char *spec, c8_error *err) {
    if (!spec || !*spec) return C8_OK;
    const int n_nodes = c8_model_num_nodes(m);
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *colon = NULL;
        for (size_t i = 0; i < len; i++)
            if (p[i] == ':') colon = p + i;
        if (colon && colon > p && (size_t)(colon - p) < 512) {
            char glob[512];
            memcpy(glob, p, (size_t)(colon - p));
            glob[colon - p] = '\0';
            if (!matches_some(m, glob)) {
                char names[400] = "";
                size_t used = 0;
                int shown = 0;
                for (int i = 0; i < n_nodes && shown < 5; i++) {
                    const char *nm = c8_model_node_name(m, i);
                    if (!*nm || used + strlen(nm) + 8 >= sizeof names) continue;
                    used += (size_t)snprintf(names + used, sizeof names - used, "%s'%s'",
                                             shown ? ", " : "", nm);
                    shown++;
                }
                return c8_err(err, C8_ERR_USAGE,
                              "--layer-precision: no layer of %s matches '%s' (it would have no "
                              "effect); its %d layers are named like %s%s ('calib8 inspect' "
                              "lists them all)",
                              c8_model_path(m), glob, n_nodes, names,
                              n_nodes > shown ? ", ..." : "");
            }
        }
        p += len;
        if (*p == ',') p++;
    }
    return C8_OK;
}
