/* Placement queries and printing (public API in engine.h): what the placement pass
 * (engine/build/place.c) recorded in an engine's layer table, for `calib8 build`'s layer table
 * and `calib8 inspect --plan`. */
#include "calib8/engine.h"

#include "engine/build/place.h"
#include "engine/engine_internal.h"
#include "util/json.h"

#include <string.h>

c8_device c8_engine_device(const c8_engine *e) { return e->device; }

int c8_engine_num_nodes(const c8_engine *e) { return e->g->n_nodes; }

static const char *role_name(int32_t role) {
    switch (role) {
    case C8_LAYER_REFORMAT: return "reformat";
    case C8_LAYER_COPY: return "copy";
    default: return "compute";
    }
}

static const char *device_name(const c8_engine *e, const c8_layer *l) {
    if (l->place == C8_PLACE_HOST) return "host";
    return e->device == C8_DEVICE_CUDA ? "gpu" : "cpu";
}

void c8_engine_node_placement(const c8_engine *e, int i, c8_node_placement *out) {
    const c8_node *n = &e->g->nodes[i];
    const c8_layer *l = &e->layers[n->layer];
    out->name = l->name;
    out->op = l->op;
    out->precision = l->precision;
    out->role = role_name(l->role);
    out->device = device_name(e, l);
    out->reason = l->place_reason;
    out->layout = l->layout;
    out->kernel = l->kernel;
    out->tuned = l->tuned;
}

int c8_engine_num_host_nodes(const c8_engine *e) { return c8_place_host_nodes(e); }

c8_status c8_engine_check_no_host(const c8_engine *e, const char *what, c8_error *err) {
    return c8_place_check_strict(e, what ? what : "--strict", err);
}

static int count_copies(const c8_engine *e) {
    int n = 0;
    for (int i = 0; i < e->g->n_nodes; i++) n += e->g->nodes[i].op == C8_OP_HOST_COPY;
    return n;
}

void c8_engine_print_placement(const c8_engine *e, FILE *fp) {
    fprintf(fp, "placement: %s plan, %d nodes\n", e->device == C8_DEVICE_CUDA ? "GPU" : "CPU",
            e->g->n_nodes);
    fprintf(fp, "%-4s %-40s %-14s %-5s %-8s %-5s %-16s %-24s %s\n", "#", "node", "op", "prec",
            "role", "dev", "layout", "kernel", "reason");
    for (int i = 0; i < e->g->n_nodes; i++) {
        c8_node_placement p;
        c8_engine_node_placement(e, i, &p);
        fprintf(fp, "%-4d %-40s %-14s %-5s %-8s %-5s %-16s ", i, p.name, p.op,
                c8_precision_name(p.precision), p.role, p.device, p.layout);
        if (p.reason[0])
            fprintf(fp, "%-24s %s\n", p.kernel, p.reason);
        else
            fprintf(fp, "%s\n", p.kernel);
        if (p.tuned[0]) fprintf(fp, "     tuned: %s\n", p.tuned);
    }
    int host = c8_place_host_nodes(e);
    fprintf(fp, "host nodes: %d; host copies: %d\n", host, count_copies(e));
}

void c8_engine_write_placement_json(const c8_engine *e, FILE *fp) {
    c8_jw w;
    c8_jw_init(&w, fp);
    c8_jw_obj_begin(&w);
    c8_jw_key(&w, "device");
    c8_jw_str(&w, e->device == C8_DEVICE_CUDA ? "cuda" : "cpu");
    c8_jw_key(&w, "precision");
    c8_jw_str(&w, c8_precision_name(e->precision));
    c8_jw_key(&w, "nodes");
    c8_jw_arr_begin(&w);
    for (int i = 0; i < e->g->n_nodes; i++) {
        c8_node_placement p;
        c8_engine_node_placement(e, i, &p);
        c8_jw_obj_begin(&w);
        c8_jw_key(&w, "index");
        c8_jw_int(&w, i);
        c8_jw_key(&w, "name");
        c8_jw_str(&w, p.name);
        c8_jw_key(&w, "op");
        c8_jw_str(&w, p.op);
        c8_jw_key(&w, "precision");
        c8_jw_str(&w, c8_precision_name(p.precision));
        c8_jw_key(&w, "role");
        c8_jw_str(&w, p.role);
        c8_jw_key(&w, "device");
        c8_jw_str(&w, p.device);
        c8_jw_key(&w, "reason");
        c8_jw_str(&w, p.reason);
        c8_jw_key(&w, "layout");
        c8_jw_str(&w, p.layout);
        c8_jw_key(&w, "kernel");
        c8_jw_str(&w, p.kernel);
        c8_jw_key(&w, "tuned");
        c8_jw_str(&w, p.tuned);
        c8_jw_obj_end(&w);
    }
    c8_jw_arr_end(&w);
    c8_jw_key(&w, "host_nodes");
    c8_jw_int(&w, c8_place_host_nodes(e));
    c8_jw_key(&w, "copies");
    c8_jw_int(&w, count_copies(e));
    c8_jw_obj_end(&w);
    fputc('\n', fp);
}
