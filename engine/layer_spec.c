/* c8_model_check_layer_spec: every pattern of a --layer-precision spec must name at least one
 * node of the model (issue 15); a pattern that matches nothing would be silently ignored by the
 * builder. Shared by the CLI (build, compare, export-qdq) and the Python package. */
#include "calib8/engine.h"

#include "util/err.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

/* Does glob match node i's name (the names the builder matches, before fusion)? */
static bool matches_some(const c8_model *m, const char *glob) {
    for (int i = 0; i < c8_model_num_nodes(m); i++)
        if (fnmatch(glob, c8_model_node_name(m, i), 0) == 0) return true;
    return false;
}

/* C8_ERR_INVALID naming glob and a few of the model's layer names. */
static c8_status no_match(const c8_model *m, const char *glob, c8_error *err) {
    const int n_nodes = c8_model_num_nodes(m);
    char names[400] = "";
    size_t used = 0;
    int shown = 0;
    for (int i = 0; i < n_nodes && shown < 5; i++) {
        const char *nm = c8_model_node_name(m, i);
        if (!*nm || used + strlen(nm) + 8 >= sizeof names) continue;
        used +=
            (size_t)snprintf(names + used, sizeof names - used, "%s'%s'", shown ? ", " : "", nm);
        shown++;
    }
    return c8_err(err, C8_ERR_INVALID,
                  "no layer of %s matches '%s' (it would have no effect); its %d layers are named "
                  "like %s%s ('calib8 inspect' lists them all)",
                  c8_model_path(m), glob, n_nodes, names, n_nodes > shown ? ", ..." : "");
}

c8_status c8_model_check_layer_spec(const c8_model *m, const char *spec, c8_error *err) {
    if (!spec || !*spec) return C8_OK;
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
            if (!matches_some(m, glob)) return no_match(m, glob, err);
        }
        p += len;
        if (*p == ',') p++;
    }
    return C8_OK;
}
