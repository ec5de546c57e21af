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

static bool in_list(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return true;
    return false;
}

void c8_cli_warn_unchecked_cache(const c8_model *m, const c8_engine *e, const char *cache_path,
                                 FILE *f) {
    if (!cache_path || !e) return;
    char *sc = c8_calib_sidecar_path(cache_path);
    struct stat st;
    bool has_sidecar = sc && stat(sc, &st) == 0;
    free(sc);
    if (has_sidecar) return; /* the sidecar names the model: the build checked it */
    const char *const *mnames;
    int nm = c8_model_calibration_tensors(m, &mnames);
    c8_calib_cache *cache = NULL;
    c8_error err = {0};
    if (c8_calib_cache_read(cache_path, &cache, &err) != C8_OK) return; /* the build said why */
    int64_t unmatched = 0, nc = c8_calib_cache_count(cache);
    char some_cache[200] = "", some_layers[200] = "";
    size_t uc = 0, ul = 0;
    for (int64_t i = 0; i < nc; i++) {
        const char *name = c8_calib_cache_name(cache, i);
        if (in_list(mnames, nm, name)) continue;
        if (unmatched++ < 3 && uc + strlen(name) + 5 < sizeof some_cache)
            uc += (size_t)snprintf(some_cache + uc, sizeof some_cache - uc, "%s'%s'",
                                   uc ? ", " : "", name);
    }
    int missing = 0;
    for (int i = 0; i < c8_engine_num_layers(e); i++) {
        const char *name, *op, *reason;
        c8_precision p;
        c8_engine_layer(e, i, &name, &op, &p, &reason);
        if (p == C8_PREC_INT8 || !strstr(reason, "has no scale in the calibration cache")) continue;
        if (missing++ < 3 && ul + strlen(name) + 5 < sizeof some_layers)
            ul += (size_t)snprintf(some_layers + ul, sizeof some_layers - ul, "%s'%s'",
                                   ul ? ", " : "", name);
    }
    c8_calib_cache_destroy(cache);
    if (!unmatched && !missing) return;
    fprintf(f,
            "calib8: warning: %s has no sidecar (%s.json), so nothing says which model it was "
            "made for, and it does not fit this one:",
            cache_path, cache_path);
    if (missing)
        fprintf(f, " %d layer%s fell back for want of a scale (%s%s)", missing,
                missing == 1 ? "" : "s", some_layers, missing > 3 ? ", ..." : "");
    if (unmatched)
        fprintf(f, "%s %lld of its %lld tensors are not in the model (%s%s)", missing ? ";" : "",
                (long long)unmatched, (long long)nc, some_cache, unmatched > 3 ? ", ..." : "");
    fprintf(f, "; is it another model's cache?\n");
}
