/* calib8 bench: throughput and latency of a plan at several batch sizes, on the plan's device.
 *
 * For each batch size: every float input gets random values in [-1, 1) (never zeros: zeros can
 * run faster than real data), or, for an image input (N x C x H x W, C 1 or 3) of a plan that
 * records its preprocessing (or with preprocessing flags), random pixels 0..255 through that
 * preprocessing's channels, scale, mean and std: the values the model sees in use, each of
 * --contexts contexts runs --warmup untimed runs, then
 * --iterations timed runs from its own thread. Latency is per run, end to end (inputs uploaded,
 * the forward, outputs downloaded): measured with the backend's timing marks (CUDA events on
 * the context's stream, c8_context_mark) on the GPU, with the wall clock on the CPU; median and
 * p99 are reported. With --io device a GPU context uploads its inputs once and then times the
 * forward alone (c8_context_run_again: inputs resident, outputs left on the device), which is
 * what a framework's benchmark measures when its input tensor is already on the GPU; on the
 * CPU there is nothing to upload and both modes are the same. Only public headers (engine.h)
 * and tools/.
 * Throughput is images (batch elements) per second of wall clock over all contexts. The JSON
 * holds the device (name, clocks, driver / runtime / cuDNN / cuBLAS versions), the calib8
 * version, the settings and one record per batch size. */
#include "calib8/config.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "tools/cli.h"
#include "tools/cli_io.h"
#include "tools/commands.h"
#include "tools/dataset_opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
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
    OPT_THREADS,
    OPT_IO,
    OPT_HELP
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: calib8 bench --plan P.plan [--batch 1,8,64,256] [--iterations N]\n"
            "                    [--warmup N] [--contexts N] [--io host|device] [--json FILE]\n\n"
            "Measures a plan on its device: throughput (images/s) and end-to-end latency per run\n"
            "(inputs uploaded, forward, outputs downloaded; median and p99), after warm-up runs,\n"
            "on random inputs. GPU latencies come from CUDA events on the context's stream.\n\n"
            "  --plan FILE       the plan (calib8 build)\n"
            "  --batch LIST      batch sizes (default 1,8,64,256); the plan's first input axis\n"
            "                    must be dynamic or equal to each\n"
            "  --iterations N    timed runs per context (default 100)\n"
            "  --warmup N        untimed runs per context first (default 10)\n"
            "  --contexts N      contexts running concurrently, one calling thread each\n"
            "                    (default 1)\n"
            "  --io host|device  host (default): every run uploads its inputs and downloads its\n"
            "                    outputs; device: on a GPU the inputs are uploaded once and stay\n"
            "                    there, outputs stay there too: the forward alone, as a framework\n"
            "                    measures with its input already on the GPU (CPU: the same)\n"
            "  --threads N       CPU threads of each context (default: all cores, or\n"
            "                    OMP_NUM_THREADS)\n"
            "  --json FILE       also write the results as JSON\n"
            "  --seed S          input seed (default 1)\n"
            "  --shape NAME:DIMS the shape to measure, inside the plan's optimization profile\n"
            "                    (its batch is the default --batch; without it, extents of a\n"
            "                    profile other than the batch are taken at the optimum)\n"
            "  -h, --help        this help\n"
            "An image input (N x C x H x W, C 1 or 3) of a plan that records its preprocessing\n"
            "gets random pixels through it (channels, scale, mean, std; the flags below replace\n"
            "it); other inputs get uniform values in [-1, 1).\n");
    c8_preprocess_opts_help(f);
}

/* Sets *err (public c8_error) and returns code. */
static c8_status bench_err(c8_error *err, c8_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static c8_status bench_err(c8_error *err, c8_status code, const char *fmt, ...) {
    if (!err) return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

#define BENCH_TRY(expr)                                                                            \
    do {                                                                                           \
        c8_status st_ = (expr);                                                                    \
        if (st_ != C8_OK) return st_;                                                              \
    } while (0)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct worker {
    c8_context *ctx;
    c8_host_tensor *inputs;
    int n_inputs;
    bool resident; /* --io device: after a first run, c8_context_run_again without download */
    int64_t warmup, iters;
    double *lat_ms; /* (iters) */
    pthread_barrier_t *start;
    double t_start, t_end; /* wall clock around the timed runs */
    c8_status st;
    c8_error err;
} worker;

static c8_status one_run(worker *w, double *ms) {
    const bool marks = c8_context_has_marks(w->ctx);
    double t0 = now_s();
    if (marks) BENCH_TRY(c8_context_mark(w->ctx, 0, &w->err));
    if (w->resident)
        BENCH_TRY(c8_context_run_again(w->ctx, false, &w->err));
    else
        BENCH_TRY(c8_context_run(w->ctx, w->inputs, w->n_inputs, &w->err));
    if (marks) {
        BENCH_TRY(c8_context_mark(w->ctx, 1, &w->err));
        float f = 0;
        BENCH_TRY(c8_context_elapsed(w->ctx, 0, 1, &f, &w->err));
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
    if (w->resident) {
        /* the one upload; a backend without device memory (the CPU) runs on as before */
        w->st = c8_context_run(w->ctx, w->inputs, w->n_inputs, &w->err);
        if (w->st == C8_OK && !c8_context_has_marks(w->ctx)) w->resident = false;
    }
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
    bool resident; /* --io device took effect (a device context; the CPU has nothing to upload) */
    int threads;   /* CPU threads of each context (c8_context_threads_used) */
    double img_s, median_ms, p99_ms, mean_ms, min_ms, wall_s;
} result;

static uint64_t xorshift(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Image i of an input (C, H, W): random pixels through pre's channels and value map (resize,
 * rounding, crop and pad left out: the pixels are made at the input's size). C8_ERR_UNSUPPORTED
 * when pre does not fit this input (then it gets uniform values). */
static c8_status random_image(const c8_preprocess *pre, int64_t c, int64_t h, int64_t w,
                              uint64_t *x, float *out, c8_error *err) {
    c8_preprocess p = *pre;
    p.resize = C8_RESIZE_NONE;
    p.crop_h = p.crop_w = 0;
    p.round_multiple = p.pad_multiple = 0;
    if (c8_preprocess_check(&p, c, h, w, err) != C8_OK) return C8_ERR_UNSUPPORTED;
    int64_t ic = (c == 1 && p.channels != C8_CHANNELS_RGB && p.channels != C8_CHANNELS_BGR) ? 1 : 3;
    c8_image img = {h, w, ic, malloc((size_t)(h * w * ic))};
    if (!img.data) return bench_err(err, C8_ERR_NOMEM, "out of memory");
    for (int64_t k = 0; k < h * w * ic; k++) img.data[k] = (uint8_t)(xorshift(x) >> 56);
    c8_status s = c8_preprocess_apply(&p, &img, "random image", c, h, w, out, err);
    free(img.data);
    return s;
}

/* Fills the inputs of engine e for batch b with random values (pre: image inputs get random
 * pixels through it; NULL: uniform values everywhere); *bufs receives the buffers. */
/* --shape for input i (by name, or the only one), or NULL. */
static const c8_cli_shape *shape_for(const c8_cli_shape *shapes, int n_shapes, const char *name,
                                     int n_inputs) {
    for (int k = 0; k < n_shapes; k++)
        if (shapes[k].name[0] ? !strcmp(shapes[k].name, name) : n_inputs == 1) return &shapes[k];
    return NULL;
}

static c8_status make_inputs(const c8_engine *e, int64_t b, uint64_t seed, const c8_preprocess *pre,
                             const c8_cli_shape *shapes, int n_shapes, c8_host_tensor *in,
                             c8_error *err) {
    int n = c8_engine_num_inputs(e);
    for (int i = 0; i < n; i++) {
        const char *name;
        c8_dtype dt;
        c8_shape s, opt;
        c8_engine_input(e, i, &name, &dt, &s);
        /* the extents a run takes: --shape's, else the profile's optimum (batch: b) */
        const c8_cli_shape *want = shape_for(shapes, n_shapes, name, n);
        bool prof = c8_engine_input_profile(e, i, NULL, &opt, NULL);
        if (want && want->shape.rank != s.rank)
            return bench_err(err, C8_ERR_USAGE, "--shape for input '%s' has rank %d, the input %d",
                             name, want->shape.rank, s.rank);
        for (int d = 1; d < s.rank; d++)
            if (s.d[d] < 0 && (want || prof)) s.d[d] = want ? want->shape.d[d] : opt.d[d];
        if (dt != C8_DT_FLOAT)
            return bench_err(err, C8_ERR_UNSUPPORTED, "input '%s' is %s: bench feeds float32 only",
                             name, c8_dtype_name(dt));
        if (s.rank < 1) return bench_err(err, C8_ERR_UNSUPPORTED, "input '%s' is a scalar", name);
        if (s.d[0] >= 0 && s.d[0] != b)
            return bench_err(err, C8_ERR_USAGE, "input '%s' has a fixed batch of %lld, not %lld",
                             name, (long long)s.d[0], (long long)b);
        s.d[0] = b;
        for (int d = 1; d < s.rank; d++)
            if (s.d[d] < 0)
                return bench_err(err, C8_ERR_USAGE,
                                 "input '%s': axis %d is dynamic (build the plan with --shape)",
                                 name, d);
        int64_t cnt = c8_shape_numel(&s);
        float *p = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *p);
        if (!p) return bench_err(err, C8_ERR_NOMEM, "out of memory for input '%s'", name);
        in[i] = (c8_host_tensor){name, dt, s, p};
        uint64_t x = seed * 0x9e3779b97f4a7c15ull + (uint64_t)i + 1;
        c8_status st = C8_ERR_UNSUPPORTED;
        if (pre && s.rank == 4) {
            int64_t per = s.d[1] * s.d[2] * s.d[3];
            st = C8_OK;
            for (int64_t k = 0; st == C8_OK && k < b; k++)
                st = random_image(pre, s.d[1], s.d[2], s.d[3], &x, p + k * per, err);
            if (st != C8_OK && st != C8_ERR_UNSUPPORTED) return st;
        }
        if (st == C8_OK) continue;
        for (int64_t k = 0; k < cnt; k++)
            p[k] = (float)((xorshift(&x) >> 40) * (1.0 / 8388608.0)) - 1.0f;
    }
    return C8_OK;
}

static c8_status bench_batch(c8_engine *e, int64_t b, int64_t warmup, int64_t iters, int n_ctx,
                             int threads, bool resident, uint64_t seed, const c8_preprocess *pre,
                             const c8_cli_shape *shapes, int n_shapes, result *r, c8_error *err) {
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
    c8_status s = in ? C8_OK : bench_err(err, C8_ERR_NOMEM, "out of memory");
    if (s == C8_OK) s = make_inputs(e, b, seed, pre, shapes, n_shapes, in, err);
    for (int i = 0; s == C8_OK && i < n_ctx; i++) {
        s = c8_context_create(e, &ctx[i], err);
        if (s != C8_OK) break;
        if (threads) c8_context_set_threads(ctx[i], threads);
        r->threads = c8_context_threads_used(ctx[i]);
        memset(&w[i], 0, sizeof w[i]);
        w[i].ctx = ctx[i];
        w[i].inputs = in;
        w[i].n_inputs = n_in;
        w[i].resident = resident;
        w[i].warmup = warmup;
        w[i].iters = iters;
        w[i].lat_ms = calloc((size_t)(iters ? iters : 1), sizeof(double));
        if (!w[i].lat_ms) s = bench_err(err, C8_ERR_NOMEM, "out of memory");
    }
    if (s == C8_OK) {
        bar_ok = pthread_barrier_init(&bar, NULL, (unsigned)n_ctx + 1) == 0;
        if (!bar_ok) s = bench_err(err, C8_ERR_IO, "cannot create a thread barrier");
    }
    int started = 0;
    for (int i = 0; s == C8_OK && i < n_ctx; i++) {
        w[i].start = &bar;
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) {
            s = bench_err(err, C8_ERR_IO, "cannot start a thread");
            break;
        }
        started++;
    }
    if (s == C8_OK) pthread_barrier_wait(&bar);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    if (s == C8_OK) r->resident = w[0].resident;
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
        if (!all) s = bench_err(err, C8_ERR_NOMEM, "out of memory");
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

/* ---- JSON output: a small writer on stdio (tools use public headers only) ---- */

typedef struct jw {
    FILE *fp;
    int depth;
    bool first; /* no member written yet at this depth */
} jw;

static void j_str(FILE *fp, const char *v) {
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

static void j_key(jw *j, const char *k) {
    fprintf(j->fp, "%s\n%*s", j->first ? "" : ",", 2 * j->depth, "");
    j->first = false;
    j_str(j->fp, k);
    fputs(": ", j->fp);
}

static void j_open(jw *j, char c) {
    fputc(c, j->fp);
    j->depth++;
    j->first = true;
}

static void j_close(jw *j, char c) {
    j->depth--;
    fprintf(j->fp, "\n%*s%c", 2 * j->depth, "", c);
    j->first = false;
}

/* an array element that is an object */
static void j_elem(jw *j) {
    fprintf(j->fp, "%s\n%*s", j->first ? "" : ",", 2 * j->depth, "");
    j->first = false;
    j_open(j, '{');
}

static void j_kstr(jw *j, const char *k, const char *v) {
    j_key(j, k);
    j_str(j->fp, v);
}

static void j_kint(jw *j, const char *k, int64_t v) {
    j_key(j, k);
    fprintf(j->fp, "%lld", (long long)v);
}

/* 17 significant digits: round-trippable; NaN / Inf as null */
static void j_knum(jw *j, const char *k, double v) {
    j_key(j, k);
    if (isfinite(v))
        fprintf(j->fp, "%.17g", v);
    else
        fputs("null", j->fp);
}

static void write_device(jw *j, c8_engine *e, c8_error *err) {
    c8_context *ctx = NULL;
    c8_device_info di;
    memset(&di, 0, sizeof di);
    bool have = false;
    if (c8_context_create(e, &ctx, err) == C8_OK && c8_context_device_info(ctx, &di, err) == C8_OK)
        have = true;
    c8_context_destroy(ctx);
    j_key(j, "device");
    j_open(j, '{');
    if (have && !strcmp(di.kind, "cuda")) {
        j_kstr(j, "kind", "cuda");
        j_kstr(j, "name", di.name);
        char cc[32];
        snprintf(cc, sizeof cc, "%d.%d", di.cc_major, di.cc_minor);
        j_kstr(j, "compute_capability", cc);
        j_kint(j, "sm_count", di.sm_count);
        j_knum(j, "sm_clock_mhz", di.sm_clock_khz / 1000.0);
        j_knum(j, "mem_clock_mhz", di.mem_clock_khz / 1000.0);
        j_kint(j, "mem_bus_bits", di.mem_bus_bits);
        j_kint(j, "mem_bytes", (int64_t)di.mem_bytes);
        j_kint(j, "driver_version", di.driver_version);
        j_kint(j, "runtime_version", di.runtime_version);
        j_kint(j, "cudnn_version", di.dnn_version);
        j_kint(j, "cublas_version", di.blas_version);
    } else {
        j_kstr(j, "kind", "cpu");
        j_kint(j, "online_cpus", have ? di.online_cpus : (int64_t)sysconf(_SC_NPROCESSORS_ONLN));
    }
    j_close(j, '}');
}

/* Written to "<path>.tmp.<pid>" and renamed: a reader never sees half a file. */
static c8_status write_json(const char *path, const char *plan, c8_engine *e, const char *pre,
                            const result *r, int nr, int64_t warmup, int64_t iters, int n_ctx,
                            c8_error *err) {
    /* the mode that took effect: --io device on the CPU runs as host (nothing to upload) */
    const bool resident = nr > 0 && r[0].resident;
    size_t tl = strlen(path) + 32;
    char *tmp = malloc(tl);
    if (!tmp) return bench_err(err, C8_ERR_NOMEM, "out of memory");
    snprintf(tmp, tl, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        c8_status s = bench_err(err, C8_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    jw j = {fp, 0, true};
    j_open(&j, '{');
    j_kstr(&j, "calib8_version", C8_VERSION_STRING);
    j_kstr(&j, "plan", plan);
    j_kstr(&j, "model_sha256", c8_engine_model_sha256(e));
    c8_error de = {0};
    write_device(&j, e, &de);
    j_kint(&j, "warmup", warmup);
    j_kint(&j, "iterations", iters);
    j_kint(&j, "contexts", n_ctx);
    /* the CPU threads each context ran with (--threads, else OpenMP's default) and how idle
     * OpenMP threads waited: OMP_WAIT_POLICY as set, else "default" (libgomp spins a while,
     * then sleeps; bench, unlike the other commands, does not set passive: tools/main.c) */
    j_kint(&j, "threads", nr > 0 ? r[0].threads : 0);
    const char *wp = getenv("OMP_WAIT_POLICY");
    j_kstr(&j, "omp_wait_policy", wp ? wp : "default");
    /* what the inputs held: "" = uniform in [-1, 1), else the preprocessing of random pixels */
    j_kstr(&j, "input_preprocessing", pre);
    j_kstr(&j, "io", resident ? "device" : "host");
    j_kstr(&j, "latency",
           resident ? "per run, the forward on inputs resident on the device "
                      "(outputs not downloaded)"
                    : "per run, end to end (upload, forward, download)");
    j_key(&j, "results");
    j_open(&j, '[');
    for (int i = 0; i < nr; i++) {
        j_elem(&j);
        j_kint(&j, "batch", r[i].batch);
        j_knum(&j, "images_per_s", r[i].img_s);
        j_knum(&j, "latency_median_ms", r[i].median_ms);
        j_knum(&j, "latency_p99_ms", r[i].p99_ms);
        j_knum(&j, "latency_mean_ms", r[i].mean_ms);
        j_knum(&j, "latency_min_ms", r[i].min_ms);
        j_knum(&j, "wall_s", r[i].wall_s);
        j_close(&j, '}');
    }
    j_close(&j, ']');
    j_close(&j, '}');
    fputc('\n', fp);
    bool bad = ferror(fp) != 0;
    bad |= fclose(fp) != 0;
    c8_status s = C8_OK;
    if (bad) {
        s = bench_err(err, C8_ERR_IO, "%s: write failed", path);
        remove(tmp);
    } else if (rename(tmp, path) != 0) {
        s = bench_err(err, C8_ERR_IO, "%s: cannot rename %s: %s", path, tmp, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return s;
}

int c8_cmd_bench(int argc, char **argv) {
    static const struct option opts[] = {
        {"plan", required_argument, NULL, OPT_PLAN},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"iterations", required_argument, NULL, OPT_ITER},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"contexts", required_argument, NULL, OPT_CONTEXTS},
        {"json", required_argument, NULL, OPT_JSON},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"io", required_argument, NULL, OPT_IO},
        {"help", no_argument, NULL, OPT_HELP},
        C8_CLI_SHAPE_OPTIONS C8_PREPROCESS_LONG_OPTIONS{NULL, 0, NULL, 0}};
    c8_cli_shape shapes[C8_CLI_MAX_SHAPES];
    int n_shapes = 0;
    bool batch_given = false;
    c8_dataset_opts dso;
    c8_dataset_opts_init(&dso);
    const char *plan = NULL, *json = NULL;
    int64_t batches[MAX_BATCHES] = {1, 8, 64, 256};
    int nb = 4, c, threads = 0;
    bool resident = false;
    int64_t iters = 100, warmup = 10, n_ctx = 1, seed = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shape_rc;
        if (c8_cli_shape_option("bench", c, optarg, shapes, &n_shapes, &shape_rc)) {
            if (shape_rc) return shape_rc;
            continue;
        }
        c8_error pe = {0};
        if (c8_dataset_opts_handle(&dso, c, optarg, &pe)) {
            if (pe.code) return c8_cli_fail(&pe);
            continue;
        }
        switch (c) {
        case OPT_PLAN: plan = optarg; break;
        case OPT_BATCH:
            batch_given = true;
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
        case OPT_THREADS:
            if (!c8_cli_parse_threads(optarg, &threads))
                return c8_cli_usage("bench", "bad --threads '%s' (1 to 4096)", optarg);
            break;
        case OPT_IO:
            if (strcmp(optarg, "host") && strcmp(optarg, "device"))
                return c8_cli_usage("bench", "--io takes host or device, not '%s'", optarg);
            resident = !strcmp(optarg, "device");
            break;
        case OPT_HELP:
        case 'h': usage(stdout); return C8_EXIT_OK;
        default: return c8_cli_usage("bench", "unknown option");
        }
    }
    if (optind < argc) return c8_cli_usage("bench", "unexpected argument '%s'", argv[optind]);
    if (!plan) return c8_cli_usage("bench", "--plan is required");
    /* --shape: one shape inside the plan's profile (its batch the default --batch) */
    for (int i = 0; i < n_shapes; i++)
        if (shapes[i].ranged || (shapes[i].parts & 7u))
            return c8_cli_usage("bench", "--shape takes fixed extents here (a shape to measure "
                                         "inside the plan's profile), not a range");
    if (n_shapes && !batch_given) {
        batches[0] = shapes[0].shape.d[0];
        nb = 1;
    }
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
    c8_status s = c8_dataset_opts_finish(&dso, &err);
    if (s == C8_OK) s = c8_engine_load(plan, &e, &err);
    if (s != C8_OK) return c8_cli_fail(&err);
    /* image inputs: the plan's preprocessing unless the flags say otherwise */
    c8_dataset_opts_adopt(&dso, c8_engine_preprocessing(e), plan);
    const c8_preprocess *pre = (dso.pre_from || c8_dataset_opts_pre_given(&dso)) ? &dso.pre : NULL;
    char pre_line[512] = "";
    if (pre) c8_preprocess_describe(pre, pre_line, sizeof pre_line);
    result r[MAX_BATCHES];
    printf("%-8s %14s %14s %14s %14s\n", "batch", "images/s", "median ms", "p99 ms", "mean ms");
    int done = 0;
    for (int i = 0; s == C8_OK && i < nb; i++) {
        s = bench_batch(e, batches[i], warmup, iters, (int)n_ctx, threads, resident, (uint64_t)seed,
                        pre, shapes, n_shapes, &r[i], &err);
        if (s != C8_OK) break;
        printf("%-8lld %14.1f %14.4f %14.4f %14.4f\n", (long long)r[i].batch, r[i].img_s,
               r[i].median_ms, r[i].p99_ms, r[i].mean_ms);
        fflush(stdout);
        done++;
    }
    if (s == C8_OK && json)
        s = write_json(json, plan, e, pre_line, r, done, warmup, iters, (int)n_ctx, &err);
    if (s == C8_OK && json) printf("wrote %s\n", json);
    c8_engine_destroy(e);
    return s == C8_OK ? C8_EXIT_OK : c8_cli_fail(&err);
}
