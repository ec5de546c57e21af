/* calib8 bench: throughput and latency of a plan at several batch sizes, on the plan's device.
 *
 * For each batch size: every float input gets random values in [-1, 1) (never zeros: zeros can
 * run faster than real data), each of --contexts contexts runs --warmup untimed runs, then
 * --iterations timed runs from its own thread. Latency is per run, end to end (inputs uploaded,
 * the forward, outputs downloaded): measured with the backend's timing marks (CUDA events on
 * the context's stream) on the GPU, with the wall clock on the CPU; median and p99 are reported.
 * Throughput is images (batch elements) per second of wall clock over all contexts. The JSON
 * holds the device (name, clocks, driver / runtime / cuDNN / cuBLAS versions), the calib8
 * version, the settings and one record per batch size. */
#include "calib8/config.h"
#include "calib8/engine.h"
#include "kernels/backend.h"
#include "tools/cli.h"
#include "tools/cli_io.h"
#include "tools/commands.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/json.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCHES 32
#define MAX_CONTEXTS 64

enum {
    OPT_PLAN = 0x2000,
    OPT_BATCH,
    OPT_ITER,
    OPT_WARMUP,
    OPT_CONTEXTS,
    OPT_JSON,
    OPT_SEED,
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: calib8 bench --plan P.plan [--batch 1,8,64,256] [--iterations N]\n"
            "                    [--warmup N] [--contexts N] [--json FILE]\n\n"
            "Measures a plan on its device: throughput (images/s) and end-to-end latency per run\n"
            "(inputs uploaded, forward, outputs downloaded; median and p99), after warm-up runs,\n"
            "on random inputs. GPU latencies come from CUDA events on the context's stream.\n\n"
            "  --plan FILE       the plan (calib8 build)\n"
            "  --batch LIST      batch sizes (default 1,8,64,256); the plan's first input axis\n"
            "                    must be dynamic or equal to each\n"
            "  --iterations N    timed runs per context (default 100)\n"
            "  --warmup N        untimed runs per context first (default 10)\n"
            "  --contexts N      contexts running concurrently, one thread each (default 1)\n"
            "  --json FILE       also write the results as JSON\n"
            "  --seed S          input seed (default 1)\n"
            "  -h, --help        this help\n");
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct worker {
    c8_context *ctx;
    const c8_backend_vt *vt;
    void *state;
    c8_host_tensor *inputs;
    int n_inputs;
    int64_t warmup, iters;
    double *lat_ms; /* (iters) */
    pthread_barrier_t *start;
    double t_start, t_end; /* wall clock around the timed runs */
    c8_status st;
    c8_error err;
} worker;

static c8_status one_run(worker *w, double *ms) {
    const bool marks = w->vt->mark && w->vt->elapsed && !w->vt->host_memory;
    double t0 = now_s();
    if (marks) C8_TRY(w->vt->mark(w->state, 0, &w->err));
    C8_TRY(c8_context_run(w->ctx, w->inputs, w->n_inputs, &w->err));
    if (marks) {
        C8_TRY(w->vt->mark(w->state, 1, &w->err));
        float f = 0;
        C8_TRY(w->vt->elapsed(w->state, 0, 1, &f, &w->err));
        *ms = f;
    } else {
        *ms = (now_s() - t0) * 1e3;
    }
    return C8_OK;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    double ms;
    w->st = C8_OK;
    for (int64_t i = 0; w->st == C8_OK && i < w->warmup; i++) w->st = one_run(w, &ms);
    pthread_barrier_wait(w->start);
    w->t_start = now_s();
    for (int64_t i = 0; w->st == C8_OK && i < w->iters; i++) w->st = one_run(w, &w->lat_ms[i]);
    w->t_end = now_s();
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of sorted v[0..n): nearest rank. */
static double pct(const double *v, int64_t n, double p) {
    if (n <= 0) return 0;
    int64_t k = (int64_t)(p / 100.0 * (double)n + 0.999999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

typedef struct result {
    int64_t batch;
    double img_s, median_ms, p99_ms, mean_ms, min_ms, wall_s;
} result;

/* Fills the inputs of engine e for batch b with random values; *bufs receives the buffers. */
static c8_status make_inputs(const c8_engine *e, int64_t b, uint64_t seed, c8_host_tensor *in,
                             c8_error *err) {
    int n = c8_engine_num_inputs(e);
    for (int i = 0; i < n; i++) {
        const char *name;
        c8_dtype dt;
        c8_shape s;
        c8_engine_input(e, i, &name, &dt, &s);
        if (dt != C8_DT_FLOAT)
            return c8_err(err, C8_ERR_UNSUPPORTED, "input '%s' is %s: bench feeds float32 only",
                          name, c8_dtype_name(dt));
        if (s.rank < 1) return c8_err(err, C8_ERR_UNSUPPORTED, "input '%s' is a scalar", name);
        if (s.d[0] >= 0 && s.d[0] != b)
            return c8_err(err, C8_ERR_USAGE, "input '%s' has a fixed batch of %lld, not %lld", name,
                          (long long)s.d[0], (long long)b);
        s.d[0] = b;
        for (int d = 1; d < s.rank; d++)
            if (s.d[d] < 0)
                return c8_err(err, C8_ERR_USAGE,
                              "input '%s': axis %d is dynamic (build the plan with --shape)", name,
                              d);
        int64_t cnt = c8_shape_numel(&s);
        float *p = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *p);
        if (!p) return c8_err(err, C8_ERR_NOMEM, "out of memory for input '%s'", name);
        uint64_t x = seed * 0x9e3779b97f4a7c15ull + (uint64_t)i + 1;
        for (int64_t k = 0; k < cnt; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[k] = (float)((x >> 40) * (1.0 / 8388608.0)) - 1.0f;
        }
        in[i] = (c8_host_tensor){name, dt, s, p};
    }
    return C8_OK;
}

static c8_status bench_batch(c8_engine *e, int64_t b, int64_t warmup, int64_t iters, int n_ctx,
                             uint64_t seed, result *r, c8_error *err) {
    memset(r, 0, sizeof *r);
    r->batch = b;
    int n_in = c8_engine_num_inputs(e);
    c8_host_tensor *in = calloc((size_t)(n_in ? n_in : 1), sizeof *in);
    c8_context *ctx[MAX_CONTEXTS] = {0};
    worker w[MAX_CONTEXTS];
    pthread_t th[MAX_CONTEXTS];
    double *all = NULL;
    pthread_barrier_t bar;
    bool bar_ok = false;
    c8_status s = in ? C8_OK : c8_err(err, C8_ERR_NOMEM, "out of memory");
    if (s == C8_OK) s = make_inputs(e, b, seed, in, err);
    for (int i = 0; s == C8_OK && i < n_ctx; i++) {
        s = c8_context_create(e, &ctx[i], err);
        if (s != C8_OK) break;
        memset(&w[i], 0, sizeof w[i]);
        w[i].ctx = ctx[i];
        c8_context_backend(ctx[i], &w[i].vt, &w[i].state);
        w[i].inputs = in;
        w[i].n_inputs = n_in;
        w[i].warmup = warmup;
        w[i].iters = iters;
        w[i].lat_ms = calloc((size_t)(iters ? iters : 1), sizeof(double));
        if (!w[i].lat_ms) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
    }
    if (s == C8_OK) {
        bar_ok = pthread_barrier_init(&bar, NULL, (unsigned)n_ctx + 1) == 0;
        if (!bar_ok) s = c8_err(err, C8_ERR_IO, "cannot create a thread barrier");
    }
    int started = 0;
    for (int i = 0; s == C8_OK && i < n_ctx; i++) {
        w[i].start = &bar;
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) {
            s = c8_err(err, C8_ERR_IO, "cannot start a thread");
            break;
        }
        started++;
    }
    if (s == C8_OK) pthread_barrier_wait(&bar);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    if (s == C8_OK) {
        /* from the first context's start to the last one's end */
        double t0 = w[0].t_start, t1 = w[0].t_end;
        for (int i = 1; i < n_ctx; i++) {
            t0 = w[i].t_start < t0 ? w[i].t_start : t0;
            t1 = w[i].t_end > t1 ? w[i].t_end : t1;
        }
        r->wall_s = t1 - t0;
    }
    for (int i = 0; s == C8_OK && i < n_ctx; i++)
        if (w[i].st != C8_OK) {
            *err = w[i].err;
            s = w[i].st;
        }
    if (s == C8_OK) {
        int64_t total = (int64_t)n_ctx * iters;
        all = malloc((size_t)(total ? total : 1) * sizeof *all);
        if (!all) s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        for (int i = 0; s == C8_OK && i < n_ctx; i++)
            memcpy(all + (int64_t)i * iters, w[i].lat_ms, (size_t)iters * sizeof *all);
        if (s == C8_OK && total > 0) {
            qsort(all, (size_t)total, sizeof *all, cmp_double);
            double sum = 0;
            for (int64_t k = 0; k < total; k++) sum += all[k];
            r->mean_ms = sum / (double)total;
            r->min_ms = all[0];
            r->median_ms = pct(all, total, 50);
            r->p99_ms = pct(all, total, 99);
            r->img_s = r->wall_s > 0 ? (double)total * (double)b / r->wall_s : 0;
        }
    }
    if (bar_ok) pthread_barrier_destroy(&bar);
    for (int i = 0; i < n_ctx; i++) {
        if (ctx[i]) free(w[i].lat_ms);
        c8_context_destroy(ctx[i]);
    }
    for (int i = 0; in && i < n_in; i++) free(in[i].data);
    free(in);
    free(all);
    return s;
}

static void write_device(c8_jw *j, c8_engine *e, c8_error *err) {
    c8_context *ctx = NULL;
    const c8_backend_vt *vt;
    void *state;
    c8_device_info di;
    memset(&di, 0, sizeof di);
    bool have = false;
    if (c8_context_create(e, &ctx, err) == C8_OK) {
        c8_context_backend(ctx, &vt, &state);
        if (vt->device_info && vt->device_info(state, &di, err) == C8_OK) have = true;
    }
    c8_context_destroy(ctx);
    c8_jw_key(j, "device");
    c8_jw_obj_begin(j);
    if (have) {
        c8_jw_key(j, "kind");
        c8_jw_str(j, "cuda");
        c8_jw_key(j, "name");
        c8_jw_str(j, di.name);
        c8_jw_key(j, "compute_capability");
        char cc[16];
        snprintf(cc, sizeof cc, "%d.%d", di.cc_major, di.cc_minor);
        c8_jw_str(j, cc);
        c8_jw_key(j, "sm_count");
        c8_jw_int(j, di.sm_count);
        c8_jw_key(j, "sm_clock_mhz");
        c8_jw_num(j, di.sm_clock_khz / 1000.0);
        c8_jw_key(j, "mem_clock_mhz");
        c8_jw_num(j, di.mem_clock_khz / 1000.0);
        c8_jw_key(j, "mem_bus_bits");
        c8_jw_int(j, di.mem_bus_bits);
        c8_jw_key(j, "mem_bytes");
        c8_jw_int(j, (int64_t)di.mem_bytes);
        c8_jw_key(j, "driver_version");
        c8_jw_int(j, di.driver_version);
        c8_jw_key(j, "runtime_version");
        c8_jw_int(j, di.runtime_version);
        c8_jw_key(j, "cudnn_version");
        c8_jw_int(j, di.dnn_version);
        c8_jw_key(j, "cublas_version");
        c8_jw_int(j, di.blas_version);
    } else {
        c8_jw_key(j, "kind");
        c8_jw_str(j, "cpu");
        c8_jw_key(j, "online_cpus");
        c8_jw_int(j, (int64_t)sysconf(_SC_NPROCESSORS_ONLN));
    }
    c8_jw_obj_end(j);
}

static c8_status write_json(const char *path, const char *plan, c8_engine *e, const result *r,
                            int nr, int64_t warmup, int64_t iters, int n_ctx, c8_error *err) {
    c8_atomic_file *f;
    C8_TRY(c8_atomic_open(path, &f, err));
    c8_jw j;
    c8_jw_init(&j, c8_atomic_file_fp(f));
    c8_jw_obj_begin(&j);
    c8_jw_key(&j, "calib8_version");
    c8_jw_str(&j, C8_VERSION_STRING);
    c8_jw_key(&j, "plan");
    c8_jw_str(&j, plan);
    c8_jw_key(&j, "model_sha256");
    c8_jw_str(&j, c8_engine_model_sha256(e));
    c8_error de = {0};
    write_device(&j, e, &de);
    c8_jw_key(&j, "warmup");
    c8_jw_int(&j, warmup);
    c8_jw_key(&j, "iterations");
    c8_jw_int(&j, iters);
    c8_jw_key(&j, "contexts");
    c8_jw_int(&j, n_ctx);
    c8_jw_key(&j, "latency");
    c8_jw_str(&j, "per run, end to end (upload, forward, download)");
    c8_jw_key(&j, "results");
    c8_jw_arr_begin(&j);
    for (int i = 0; i < nr; i++) {
        c8_jw_obj_begin(&j);
        c8_jw_key(&j, "batch");
        c8_jw_int(&j, r[i].batch);
        c8_jw_key(&j, "images_per_s");
        c8_jw_num(&j, r[i].img_s);
        c8_jw_key(&j, "latency_median_ms");
        c8_jw_num(&j, r[i].median_ms);
        c8_jw_key(&j, "latency_p99_ms");
        c8_jw_num(&j, r[i].p99_ms);
        c8_jw_key(&j, "latency_mean_ms");
        c8_jw_num(&j, r[i].mean_ms);
        c8_jw_key(&j, "latency_min_ms");
        c8_jw_num(&j, r[i].min_ms);
        c8_jw_key(&j, "wall_s");
        c8_jw_num(&j, r[i].wall_s);
        c8_jw_obj_end(&j);
    }
    c8_jw_arr_end(&j);
    c8_jw_obj_end(&j);
    fputc('\n', c8_atomic_file_fp(f));
    return c8_atomic_commit(f, err);
}

int c8_cmd_bench(int argc, char **argv) {
    static const struct option opts[] = {{"plan", required_argument, NULL, OPT_PLAN},
                                         {"batch", required_argument, NULL, OPT_BATCH},
                                         {"iterations", required_argument, NULL, OPT_ITER},
                                         {"warmup", required_argument, NULL, OPT_WARMUP},
                                         {"contexts", required_argument, NULL, OPT_CONTEXTS},
                                         {"json", required_argument, NULL, OPT_JSON},
                                         {"seed", required_argument, NULL, OPT_SEED},
                                         {"help", no_argument, NULL, OPT_HELP},
                                         {NULL, 0, NULL, 0}};
    const char *plan = NULL, *json = NULL;
    int64_t batches[MAX_BATCHES] = {1, 8, 64, 256};
    int nb = 4, c;
    int64_t iters = 100, warmup = 10, n_ctx = 1, seed = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_PLAN: plan = optarg; break;
        case OPT_BATCH:
            nb = c8_cli_parse_i64_list(optarg, batches, MAX_BATCHES);
            if (nb < 1) return c8_cli_usage("bench", "bad --batch '%s'", optarg);
            for (int i = 0; i < nb; i++)
                if (batches[i] < 1) return c8_cli_usage("bench", "batch sizes must be >= 1");
            break;
        case OPT_ITER:
            if (!c8_cli_parse_i64(optarg, &iters) || iters < 1)
                return c8_cli_usage("bench", "--iterations must be >= 1");
            break;
        case OPT_WARMUP:
            if (!c8_cli_parse_i64(optarg, &warmup) || warmup < 0)
                return c8_cli_usage("bench", "--warmup must be >= 0");
            break;
        case OPT_CONTEXTS:
            if (!c8_cli_parse_i64(optarg, &n_ctx) || n_ctx < 1 || n_ctx > MAX_CONTEXTS)
                return c8_cli_usage("bench", "--contexts must be 1 to %d", MAX_CONTEXTS);
            break;
        case OPT_JSON: json = optarg; break;
        case OPT_SEED:
            if (!c8_cli_parse_i64(optarg, &seed)) return c8_cli_usage("bench", "bad --seed");
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("bench", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("bench", "unexpected argument '%s'", argv[optind]);
    if (!plan) return c8_cli_usage("bench", "--plan is required");
    {
        c8_cli_io io;
        c8_cli_io_init(&io, "bench");
        c8_cli_io_in(&io, "--plan", plan);
        c8_cli_io_out(&io, "--json", json);
        int rc = c8_cli_io_check(&io);
        c8_cli_io_free(&io);
        if (rc) return rc;
    }
    c8_error err = {0};
    c8_engine *e = NULL;
    c8_status s = c8_engine_load(plan, &e, &err);
    if (s != C8_OK) return c8_cli_fail(&err);
    result r[MAX_BATCHES];
    printf("%-8s %14s %14s %14s %14s\n", "batch", "images/s", "median ms", "p99 ms", "mean ms");
    int done = 0;
    for (int i = 0; s == C8_OK && i < nb; i++) {
        s = bench_batch(e, batches[i], warmup, iters, (int)n_ctx, (uint64_t)seed, &r[i], &err);
        if (s != C8_OK) break;
        printf("%-8lld %14.1f %14.4f %14.4f %14.4f\n", (long long)r[i].batch, r[i].img_s,
               r[i].median_ms, r[i].p99_ms, r[i].mean_ms);
        fflush(stdout);
        done++;
    }
    if (s == C8_OK && json) s = write_json(json, plan, e, r, done, warmup, iters, (int)n_ctx, &err);
    if (s == C8_OK && json) printf("wrote %s\n", json);
    c8_engine_destroy(e);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
