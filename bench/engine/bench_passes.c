/* bench_passes: layers and FP32 CPU runtime of models before and after the graph optimizer
 * (engine/passes/passes.h): FP32 CPU engines (reference kernels) around the imported graph and
 * around its optimized copy.
 *
 *   bench_passes [--runs N] [--batch 1,8] [--shape NxCxHxW] [--no-pass NAME]... MODEL.onnx...
 *
 * For every model and batch size: node count before/after c8_graph_optimize, the median CPU
 * time and wall time of N timed runs (after one warm-up run each; runs of the two graphs
 * interleaved so that drift on a shared machine hits both alike), the speedup (CPU time), the
 * CPU-time share of the nodes the passes removed (measured in the unoptimized graph: the most
 * the passes can save here), the time c8_graph_optimize took, and the max-norm relative
 * difference of the outputs (a sanity check; tests/engine/passes/ asserts it). The batch goes on
 * axis 0 of the first input when that axis is dynamic; a fixed batch only runs at its own size.
 * --shape replaces the first input's shape (batch included) for models with other dynamic axes.
 * Results measured on our machines: bench/results/passes-cpu.md. */
#include "calib8/engine.h"
#include "engine/engine_internal.h"
#include "engine/model_internal.h"
#include "engine/passes/passes.h"
#include "util/err.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BATCHES 8

static double clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}
static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
/* CPU time of this process: on a shared, oversubscribed machine it leaves out the time spent
 * waiting for a core, which wall time does not (the reference kernels use one thread). */
static double cpu_ms(void) { return clock_ms(CLOCK_PROCESS_CPUTIME_ID); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Seeded uniform [-1, 1) data (xorshift), so every run of the bench sees the same inputs. */
static void fill(float *p, int64_t n, uint64_t seed) {
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        p[i] = (float)((double)(s >> 11) * (2.0 / 9007199254740992.0) - 1.0);
    }
}

/* Max-norm relative difference of output 0..n of the two executors. */
static double out_diff(c8_context *a, c8_context *b, int n_out) {
    double worst = 0;
    for (int i = 0; i < n_out; i++) {
        c8_host_tensor ta, tb;
        if (c8_context_output(a, i, &ta, NULL) != C8_OK ||
            c8_context_output(b, i, &tb, NULL) != C8_OK)
            return INFINITY;
        if (ta.dtype != C8_DT_FLOAT || tb.dtype != C8_DT_FLOAT) continue;
        int64_t n = c8_shape_numel(&ta.shape);
        if (n != c8_shape_numel(&tb.shape)) return INFINITY;
        double mx = 0, md = 0;
        for (int64_t e = 0; e < n; e++) {
            double x = ((const float *)ta.data)[e], y = ((const float *)tb.data)[e];
            if (fabs(y) > mx) mx = fabs(y);
            if (fabs(x - y) > md) md = fabs(x - y);
        }
        double rel = md / (mx > 1e-6 ? mx : 1e-6);
        if (rel > worst) worst = rel;
    }
    return worst;
}

/* Per-node CPU time of the unoptimized graph, from observer callbacks (each node's outputs are
 * observed right after it ran): the share spent in nodes that the passes removed (folded or fused
 * away: not a Conv/ConvTranspose/Gemm, and no node of the optimized graph carries its name). That
 * share is the most the passes can save on this engine. */
typedef struct prof {
    const c8_graph *g, *o;
    double last, total, removed;
} prof;

static bool removed_by_passes(const c8_graph *o, const c8_node *n) {
    if (n->op == C8_OP_CONV || n->op == C8_OP_CONV_TRANSPOSE || n->op == C8_OP_GEMM ||
        n->op == C8_OP_FUSED_CONV)
        return false;
    for (int i = 0; i < o->n_nodes; i++)
        if (!o->nodes[i].dead && !strcmp(o->nodes[i].name, n->name)) return false;
    return true;
}

static c8_status prof_obs(void *user, const char *name, const c8_host_tensor *t, c8_error *err) {
    (void)t;
    (void)err;
    prof *p = user;
    const double dt = cpu_ms() - p->last;
    const int v = c8_graph_find_value(p->g, name);
    if (v >= 0 && p->g->vals[v].producer >= 0) {
        p->total += dt;
        if (removed_by_passes(p->o, &p->g->nodes[p->g->vals[v].producer])) p->removed += dt;
    }
    p->last = cpu_ms();
    return C8_OK;
}

static int bench_model(const char *path, const int64_t *batches, int n_batches, int runs,
                       const c8_shape *force, const c8_pass_options *popt) {
    c8_error err = {0};
    c8_model *m = NULL;
    if (c8_model_load(path, NULL, &m, &err) != C8_OK) {
        fprintf(stderr, "bench_passes: %s\n", err.msg);
        return 1;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const c8_graph *mg = c8_model_graph(m);
    c8_shape decl = mg->vals[mg->inputs[0]].shape;
    int rc = 0;
    for (int bi = 0; bi < n_batches; bi++) {
        c8_shape want = force && force->rank > 0 ? *force : decl;
        if (!(force && force->rank > 0)) {
            if (want.rank < 1) continue;
            if (want.d[0] >= 0 && want.d[0] != batches[bi]) continue; /* fixed batch */
            want.d[0] = batches[bi];
            for (int d = 1; d < want.rank; d++)
                if (want.d[d] < 0) {
                    fprintf(stderr, "bench_passes: %s: input axis %d is dynamic; give --shape\n",
                            path, d);
                    c8_model_destroy(m);
                    return 1;
                }
        } else if (bi > 0) {
            break;
        }
        c8_model *mb = NULL;
        if (c8_model_load(path, NULL, &mb, &err) != C8_OK ||
            c8_model_set_input_shape(mb, mg->n_inputs == 1 ? NULL : mg->vals[mg->inputs[0]].name,
                                     &want, &err) != C8_OK) {
            fprintf(stderr, "bench_passes: %s\n", err.msg);
            c8_model_destroy(mb);
            rc = 1;
            break;
        }
        const c8_graph *g = c8_model_graph(mb);
        c8_graph *o = c8_graph_clone(g);
        c8_pass_log *log = c8_pass_log_create();
        c8_engine *ea = NULL, *eb = NULL; /* FP32 CPU engines around the two graphs */
        c8_context *xa = NULL, *xb = NULL;
        c8_host_tensor *in = calloc((size_t)g->n_inputs, sizeof *in);
        double *ta = malloc((size_t)runs * sizeof(double)),
               *tb = malloc((size_t)runs * sizeof(double));
        double *ca = malloc((size_t)runs * sizeof(double)),
               *cb = malloc((size_t)runs * sizeof(double));
        c8_status s = (o && log && in && ta && tb && ca && cb) ? C8_OK : C8_ERR_NOMEM;
        double t_opt = now_ms();
        if (s == C8_OK) s = c8_graph_optimize(o, popt, log, &err);
        t_opt = now_ms() - t_opt;
        for (int i = 0; s == C8_OK && i < g->n_inputs; i++) {
            const c8_value *v = &g->vals[g->inputs[i]];
            in[i].name = v->name;
            in[i].dtype = v->dtype;
            in[i].shape = v->shape;
            int64_t n = c8_shape_numel(&v->shape);
            if (v->dtype != C8_DT_FLOAT || n < 0) {
                s = c8_err(&err, C8_ERR_UNSUPPORTED,
                           "%s: input '%s' is not a float32 tensor of "
                           "known shape",
                           path, v->name);
                break;
            }
            in[i].data = malloc((size_t)(n ? n : 1) * sizeof(float));
            if (!in[i].data)
                s = C8_ERR_NOMEM;
            else
                fill(in[i].data, n, 1234 + (uint64_t)i);
        }
        if (s == C8_OK) {
            c8_graph *gc = c8_graph_clone(g);
            ea = gc ? c8_engine_new(gc, C8_DEVICE_CPU, C8_PREC_FP32) : NULL;
            if (!ea) c8_graph_destroy(gc);
            eb = c8_engine_new(o, C8_DEVICE_CPU, C8_PREC_FP32);
            if (eb) o = NULL; /* owned by eb now */
            if (!ea || !eb) s = c8_err(&err, C8_ERR_NOMEM, "out of memory");
        }
        if (s == C8_OK) s = c8_context_create(ea, &xa, &err);
        if (s == C8_OK) s = c8_context_create(eb, &xb, &err);
        /* warm-up (also specializes the graphs and plans the arenas) */
        if (s == C8_OK) s = c8_context_run(xa, in, g->n_inputs, &err);
        if (s == C8_OK) s = c8_context_run(xb, in, g->n_inputs, &err);
        double diff = s == C8_OK ? out_diff(xb, xa, g->n_outputs) : NAN;
        prof pf = {g, eb ? eb->g : NULL, 0, 0, 0};
        if (s == C8_OK) s = c8_context_set_observer(xa, prof_obs, &pf, NULL, 0, &err);
        pf.last = cpu_ms();
        if (s == C8_OK) s = c8_context_run(xa, in, g->n_inputs, &err);
        if (s == C8_OK) s = c8_context_set_observer(xa, NULL, NULL, NULL, 0, &err);
        for (int r = 0; s == C8_OK && r < runs; r++) {
            double t0 = now_ms(), c0 = cpu_ms();
            s = c8_context_run(xa, in, g->n_inputs, &err);
            double t1 = now_ms(), c1 = cpu_ms();
            if (s == C8_OK) s = c8_context_run(xb, in, g->n_inputs, &err);
            double t2 = now_ms(), c2 = cpu_ms();
            ta[r] = t1 - t0;
            tb[r] = t2 - t1;
            ca[r] = c1 - c0;
            cb[r] = c2 - c1;
        }
        if (s != C8_OK) {
            fprintf(stderr, "bench_passes: %s: %s\n", path, err.msg[0] ? err.msg : "out of memory");
            rc = 1;
        } else {
            double ma = median(ta, runs), mb_ = median(tb, runs);
            double qa = median(ca, runs), qb = median(cb, runs);
            char sb[64];
            printf("| %-28s | %-12s | %5d | %5d | %10.1f | %10.1f | %6.3fx | %6.2f%% | %10.1f | "
                   "%10.1f | %8.1e | %7.1f |\n",
                   base, c8_shape_str(&want, sb, sizeof sb), c8_pass_log_nodes_before(log),
                   c8_pass_log_nodes_after(log), qa, qb, qa / qb,
                   pf.total > 0 ? 100.0 * pf.removed / pf.total : 0.0, ma, mb_, diff, t_opt);
            fflush(stdout);
        }
        c8_context_destroy(xa);
        c8_context_destroy(xb);
        c8_engine_destroy(ea);
        c8_engine_destroy(eb);
        for (int i = 0; in && i < g->n_inputs; i++) free(in[i].data);
        free(in);
        free(ta);
        free(tb);
        free(ca);
        free(cb);
        c8_pass_log_destroy(log);
        c8_graph_destroy(o);
        c8_model_destroy(mb);
        if (rc) break;
    }
    c8_model_destroy(m);
    return rc;
}

static void usage(FILE *f) {
    fprintf(f, "usage: bench_passes [--runs N] [--batch 1,8] [--shape NxCxHxW] [--no-pass NAME]... "
               "MODEL.onnx...\n");
}

int main(int argc, char **argv) {
    int runs = 5, n_batches = 1;
    int64_t batches[MAX_BATCHES] = {1};
    c8_shape force;
    memset(&force, 0, sizeof force);
    c8_pass_options popt;
    c8_pass_options_init(&popt);
    const char **models = calloc((size_t)argc, sizeof(char *));
    int n_models = 0;
    if (!models) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            models[n_models++] = a;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(models);
            return 0;
        }
        const char *v = i + 1 < argc ? argv[++i] : "";
        bool ok = true;
        if (!strcmp(a, "--runs")) {
            runs = atoi(v);
            ok = runs >= 1;
        } else if (!strcmp(a, "--batch")) {
            n_batches = 0;
            for (const char *p = v; ok && *p && n_batches < MAX_BATCHES;) {
                char *end;
                long b = strtol(p, &end, 10);
                ok = end != p && b >= 1;
                batches[n_batches++] = b;
                p = *end == ',' ? end + 1 : end;
            }
            ok = ok && n_batches > 0;
        } else if (!strcmp(a, "--no-pass")) {
            int p = c8_pass_from_name(v);
            ok = p >= 0;
            if (ok) popt.enable[p] = false;
        } else if (!strcmp(a, "--shape")) {
            for (const char *p = v; ok && *p && force.rank < C8_MAX_RANK;) {
                char *end;
                long d = strtol(p, &end, 10);
                ok = end != p && d >= 1;
                force.d[force.rank++] = d;
                p = *end == 'x' ? end + 1 : end;
            }
            ok = ok && force.rank > 0;
        } else {
            ok = false;
        }
        if (!ok) {
            usage(stderr);
            free(models);
            return 2;
        }
    }
    if (!n_models) {
        usage(stderr);
        free(models);
        return 2;
    }
    printf("FP32 reference CPU engine, median of %d runs (1 warm-up), milliseconds; speedup from "
           "CPU time\n\n",
           runs);
    printf("| %-28s | %-12s | %5s | %5s | %10s | %10s | %7s | %7s | %10s | %10s | %8s | %7s |\n",
           "model", "input", "nodes", "after", "cpu before", "cpu after", "speedup", "removed",
           "wall before", "wall after", "rel diff", "opt ms");
    printf(
        "|------------------------------|--------------|-------|-------|------------|------------"
        "|---------|---------|------------|------------|----------|---------|\n");
    int rc = 0;
    for (int i = 0; i < n_models; i++)
        rc |= bench_model(models[i], batches, n_batches, runs, &force, &popt);
    free(models);
    return rc;
}
