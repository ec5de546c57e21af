/* Inspection calls of the public API (engine.h) that calib8 inspect and calib8 bench need:
 * the placement the placement pass (engine/build/place.c) recorded in an engine's layer table,
 * the graph optimizer's log and DOT files of a model, and a context's timing marks and device
 * description. */
#include "calib8/engine.h"

#include "engine/build/place.h"
#include "engine/engine_internal.h"
#include "engine/model_internal.h"
#include "engine/passes/dot.h"
#include "engine/passes/passes.h"
#include "kernels/backend.h"
#include "quant/hist_rule.h"
#include "util/err.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---------------------------------------------------------------- the graph optimizer */

bool c8_model_pass_known(const char *name) { return name && c8_pass_from_name(name) >= 0; }

/* The optimized copy of m's graph with the passes in `disabled` off; log may be NULL. */
static c8_status optimized(const c8_model *m, const char *const *disabled, int n_disabled,
                           c8_pass_log *log, c8_graph **out, c8_error *err) {
    *out = NULL;
    c8_pass_options popt;
    c8_pass_options_init(&popt);
    for (int i = 0; i < n_disabled; i++) {
        int p = c8_pass_from_name(disabled[i]);
        if (p < 0) return c8_err(err, C8_ERR_USAGE, "unknown pass '%s'", disabled[i]);
        popt.enable[p] = false;
    }
    c8_graph *o = c8_graph_clone(c8_model_graph(m));
    if (!o) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_status s = c8_graph_optimize(o, &popt, log, err);
    if (s != C8_OK) {
        c8_graph_destroy(o);
        return s;
    }
    *out = o;
    return C8_OK;
}

c8_status c8_model_print_passes(const c8_model *m, const char *const *disabled, int n_disabled,
                                FILE *fp, c8_error *err) {
    c8_pass_log *log = c8_pass_log_create();
    if (!log) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c8_graph *o = NULL;
    c8_status s = optimized(m, disabled, n_disabled, log, &o, err);
    if (s == C8_OK) {
        fprintf(fp, "passes on %s:\n", c8_model_graph(m)->path);
        c8_pass_log_print(log, fp);
        fprintf(fp, "\n");
        /* the optimized graph through the model printer */
        struct c8_model view;
        memset(&view, 0, sizeof view);
        view.g = o;
        c8_model_print(&view, fp);
    }
    c8_graph_destroy(o);
    c8_pass_log_destroy(log);
    return s;
}

c8_status c8_model_write_dot(const c8_model *m, const char *const *disabled, int n_disabled,
                             const char *before_path, const char *after_path, c8_error *err) {
    if (before_path)
        C8_TRY(c8_graph_write_dot(c8_model_graph(m), "before passes", before_path, err));
    if (!after_path) return C8_OK;
    c8_graph *o = NULL;
    C8_TRY(optimized(m, disabled, n_disabled, NULL, &o, err));
    c8_status s = c8_graph_write_dot(o, "after passes", after_path, err);
    c8_graph_destroy(o);
    return s;
}

/* ---------------------------------------------------------------- timing, device */

bool c8_context_has_marks(const c8_context *c) {
    const c8_backend_vt *vt;
    void *state;
    c8_context_backend((c8_context *)c, &vt, &state);
    return vt->mark && vt->elapsed && !vt->host_memory;
}

c8_status c8_context_mark(c8_context *c, int slot, c8_error *err) {
    const c8_backend_vt *vt;
    void *state;
    c8_context_backend(c, &vt, &state);
    if (!c8_context_has_marks(c))
        return c8_err(err, C8_ERR_UNSUPPORTED, "the %s backend has no timing marks", vt->name);
    if (slot < 0 || slot >= C8_CONTEXT_MARKS)
        return c8_err(err, C8_ERR_INVALID, "timing mark %d out of range", slot);
    return vt->mark(state, slot, err);
}

c8_status c8_context_elapsed(c8_context *c, int slot_a, int slot_b, float *ms, c8_error *err) {
    const c8_backend_vt *vt;
    void *state;
    c8_context_backend(c, &vt, &state);
    if (!c8_context_has_marks(c))
        return c8_err(err, C8_ERR_UNSUPPORTED, "the %s backend has no timing marks", vt->name);
    if (slot_a < 0 || slot_b < 0 || slot_a >= C8_CONTEXT_MARKS || slot_b >= C8_CONTEXT_MARKS)
        return c8_err(err, C8_ERR_INVALID, "timing mark out of range");
    return vt->elapsed(state, slot_a, slot_b, ms, err);
}

c8_status c8_context_device_info(c8_context *c, c8_device_info *out, c8_error *err) {
    const c8_backend_vt *vt;
    void *state;
    c8_context_backend(c, &vt, &state);
    memset(out, 0, sizeof *out);
    if (vt->device_info) {
        c8_device_props p;
        memset(&p, 0, sizeof p);
        C8_TRY(vt->device_info(state, &p, err));
        snprintf(out->kind, sizeof out->kind, "%s", vt->name);
        memcpy(out->name, p.name, sizeof out->name);
        out->cc_major = p.cc_major;
        out->cc_minor = p.cc_minor;
        out->sm_count = p.sm_count;
        out->sm_clock_khz = p.sm_clock_khz;
        out->mem_clock_khz = p.mem_clock_khz;
        out->mem_bus_bits = p.mem_bus_bits;
        out->mem_bytes = p.mem_bytes;
        out->driver_version = p.driver_version;
        out->runtime_version = p.runtime_version;
        out->dnn_version = p.dnn_version;
        out->blas_version = p.blas_version;
        return C8_OK;
    }
    snprintf(out->kind, sizeof out->kind, "%s", vt->name);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    out->online_cpus = n > 0 ? (int)n : 0;
    return C8_OK;
}

/* ---------------------------------------------------------------- histogram bins */

static const char *nonfinite_name(float v) {
    if (v != v) return "NaN";
    return v > 0 ? "+Inf" : "-Inf";
}

/* Host binning on the context's threads (c8_context_set_threads): the tensor split into `parts`
 * equal chunks, each scanned and binned on its own, then combined. The result is the one-chunk
 * result exactly, whatever the count: absmax, min and max are maxima and minima of bit-pattern
 * keys, and the counts are integers summed in a fixed order. Worth it only for tensors that
 * dwarf the bins (each chunk has its own nbins counters). */
#define BIN_CHUNK_MIN 65536 /* values per chunk at least */

static int bin_parts(const c8_context *c, int64_t n, int64_t nbins) {
#ifdef _OPENMP
    int t = c8_context_threads(c) > 0 ? c8_context_threads(c) : omp_get_max_threads();
    int64_t most = n / (BIN_CHUNK_MIN > 8 * nbins ? BIN_CHUNK_MIN : 8 * nbins);
    if (most < t) t = (int)most;
    return t > 1 ? t : 1;
#else
    (void)c;
    (void)n;
    (void)nbins;
    return 1;
#endif
}

static c8_status bin_parallel(const float *x, int64_t n, int parts, const char *name, int64_t batch,
                              c8_tensor_bins *b, c8_error *err) {
    c8_hist_scan *sc = malloc((size_t)parts * sizeof *sc);
    uint64_t *counts = calloc((size_t)parts * (size_t)b->nbins, sizeof *counts);
    if (!sc || !counts) {
        free(sc);
        free(counts);
        return c8_err(err, C8_ERR_NOMEM, "out of memory binning tensor '%s'", name);
    }
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int p = 0; p < parts; p++) {
        int64_t i0 = n * p / parts, i1 = n * (p + 1) / parts;
        c8_hist_rule_scan(x + i0, (size_t)(i1 - i0), &sc[p]);
    }
    c8_hist_scan all = sc[0];
    for (int p = 1; p < parts; p++) {
        all.amax_bits = sc[p].amax_bits > all.amax_bits ? sc[p].amax_bits : all.amax_bits;
        all.kmin = sc[p].kmin < all.kmin ? sc[p].kmin : all.kmin;
        all.kmax = sc[p].kmax > all.kmax ? sc[p].kmax : all.kmax;
    }
    if (all.amax_bits >= 0x7f800000u) {
        free(sc);
        free(counts);
        size_t k = c8_hist_first_nonfinite(x, (size_t)n);
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': batch %lld: %s at element %zu of %zu",
                      name, (long long)batch, nonfinite_name(x[k]), k, (size_t)n);
    }
    memcpy(&b->absmax, &all.amax_bits, sizeof b->absmax);
    b->min = c8_hist_key_float(all.kmin) + 0.0f;
    b->max = c8_hist_key_float(all.kmax) + 0.0f;
    b->range_exp = c8_hist_exp_for(b->absmax);
    const int exp = b->range_exp;
    const int64_t nbins = b->nbins;
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int p = 0; p < parts; p++) {
        int64_t i0 = n * p / parts, i1 = n * (p + 1) / parts;
        c8_hist_rule_bin(x + i0, (size_t)(i1 - i0), nbins, exp, counts + (size_t)p * nbins);
    }
    for (int p = 0; p < parts; p++)
        for (int64_t j = 0; j < nbins; j++) b->counts[j] += counts[(size_t)p * nbins + j];
    free(sc);
    free(counts);
    return C8_OK;
}

c8_status c8_context_bin_tensor(c8_context *c, const c8_host_tensor *t, int64_t batch,
                                c8_tensor_bins *b, c8_error *err) {
    const char *name = t->name ? t->name : "?";
    int64_t n = c8_shape_numel(&t->shape);
    if (t->dtype != C8_DT_FLOAT || n < 0)
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': histograms take float32 data", name);
    if (b->nbins < 2 || b->nbins > ((int64_t)1 << 24) || b->nbins % 2 != 0 || !b->counts)
        return c8_err(err, C8_ERR_INVALID, "histogram bin count %lld is invalid",
                      (long long)b->nbins);
    memset(b->counts, 0, (size_t)b->nbins * sizeof *b->counts);
    b->range_exp = C8_HIST_RULE_EXP_MIN;
    b->absmax = b->min = b->max = 0.0f;
    if (n == 0) return C8_OK;
    const c8_backend_vt *vt;
    void *state;
    c8_context_backend(c, &vt, &state);
    if (!vt->host_memory) {
        if (!vt->hist_bins)
            return c8_err(err, C8_ERR_UNSUPPORTED, "the %s backend cannot bin tensors", vt->name);
        return vt->hist_bins(state, t->data, (size_t)n, b->nbins, b->counts, &b->range_exp,
                             &b->absmax, &b->min, &b->max, name, batch, err);
    }
    const float *x = t->data;
    c8_hist_scan sc;
    int parts = bin_parts(c, n, b->nbins);
    if (parts > 1) return bin_parallel(x, n, parts, name, batch, b, err);
    c8_hist_rule_scan(x, (size_t)n, &sc);
    if (sc.amax_bits >= 0x7f800000u) {
        size_t k = c8_hist_first_nonfinite(x, (size_t)n);
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': batch %lld: %s at element %zu of %zu",
                      name, (long long)batch, nonfinite_name(x[k]), k, (size_t)n);
    }
    memcpy(&b->absmax, &sc.amax_bits, sizeof b->absmax);
    b->min = c8_hist_key_float(sc.kmin) + 0.0f;
    b->max = c8_hist_key_float(sc.kmax) + 0.0f;
    b->range_exp = c8_hist_exp_for(b->absmax);
    c8_hist_rule_bin(x, (size_t)n, b->nbins, b->range_exp, b->counts);
    return C8_OK;
}

/* ---------------------------------------------------------------- placement */

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
    int conv = 0;
    for (int i = 0; i < e->g->n_nodes; i++) conv += e->g->nodes[i].op == C8_OP_REFORMAT;
    if (conv) fprintf(fp, "layout conversions: %d\n", conv);
    fprintf(fp, "preprocessing: %s\n", e->preprocessing ? e->preprocessing : "none recorded");
    c8_engine_print_profiles(e, fp);
}

void c8_engine_write_placement_json(const c8_engine *e, FILE *fp) {
    c8_jw w;
    c8_jw_init(&w, fp);
    c8_jw_obj_begin(&w);
    c8_jw_key(&w, "device");
    c8_jw_str(&w, c8_device_name(e->device));
    c8_jw_key(&w, "precision");
    c8_jw_str(&w, c8_precision_name(e->precision));
    c8_jw_key(&w, "preprocessing");
    if (e->preprocessing)
        c8_jw_str(&w, e->preprocessing);
    else
        c8_jw_null(&w);
    c8_jw_key(&w, "profiles"); /* {"input": "min..opt..max"} for inputs with a profile */
    c8_jw_obj_begin(&w);
    for (int i = 0; e->prof && i < e->g->n_inputs; i++) {
        if (!e->prof[i].set) continue;
        char pb[200];
        c8_jw_key(&w, e->g->vals[e->g->inputs[i]].name);
        c8_jw_str(&w, c8_profile_str(&e->prof[i], pb, sizeof pb));
    }
    c8_jw_obj_end(&w);
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
        if (e->g->nodes[i].op == C8_OP_REFORMAT) {
            /* a storage conversion of a device plan (engine/build/reformat.c) */
            char buf[64];
            c8_jw_key(&w, "from");
            c8_jw_str(&w, c8_place_reformat_layout(e->g, &e->g->nodes[i], "from", buf, sizeof buf));
            c8_jw_key(&w, "to");
            c8_jw_str(&w, c8_place_reformat_layout(e->g, &e->g->nodes[i], "to", buf, sizeof buf));
        }
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
