/* The CUDA backend (kernels/backend.h): device memory, one stream and cuDNN / cuBLASLt handles per
 * context, pinned staging for uploads and downloads, value layouts (cuda_backend_int.h), the
 * placement query (cu_supports: which nodes the GPU runs; the placement pass puts the others on
 * the host with explicit copies, engine/build/place.c), the static operand formats (cu_wants,
 * cuda_wants.c: the placement pass makes every conversion a Reformat node, engine/build/
 * reformat.c), the run wrapper (which converts nothing: it checks at prepare that operands
 * arrive as each op asks), CUDA Graph capture of the whole forward, build-time tuning and the
 * calibration histograms on the GPU.
 *
 * Ops: cuda_conv.c (Conv, FusedConv, ConvTranspose through cuDNN), cuda_gemm.c (Gemm, MatMul
 * through cuBLASLt), cuda_ops.c (everything else with own kernels, kernels/cuda/cu_kernels.cu),
 * cuda_q8.c (INT8 layers on kernels/cuda/int8/). What runs where: docs/cuda.md.
 * Tests: tests/kernels/cuda/test_backend_*.c. */
#include "kernels/cuda/cuda_backend_int.h"

#include "ops/infer.h"
#include "ops/ops.h"
#include "quant/hist_rule.h"
#include "util/shape.h"
#include "util/err.h"

#include <cuda_fp16.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CU_ALIGN 256
#define CU_PIN_MIN ((size_t)4 << 20)   /* smallest staging ring */
#define CU_PIN_CHUNK ((size_t)4 << 20) /* pieces of a large transfer */
#define CU_PIN_BIG ((size_t)64 << 20)  /* the ring once a large tensor was uploaded */
#define CU_COPY_THREADS 8              /* host threads for one large staging copy */
#define CU_CAPTURE_TRIES 3             /* graph captures tried per specialization */

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

/* ================================================================== formats */

int cu_canon_type(c8_dtype dt) {
    switch (dt) {
    case C8_DT_FLOAT: return C8CU_F32;
    case C8_DT_FLOAT16: return C8CU_F16;
    case C8_DT_INT8: return C8CU_I8;
    default: break;
    }
    switch (c8_dtype_size(dt)) {
    case 1: return C8CU_RAW1;
    case 2: return C8CU_RAW2;
    case 4: return C8CU_RAW4;
    case 8: return C8CU_RAW8;
    default: return C8CU_RAW1;
    }
}

cu_fmt cu_canon(c8_dtype dt) { return (cu_fmt){(int8_t)cu_canon_type(dt), 0, 1}; }

bool cu_fmt_eq(cu_fmt a, cu_fmt b) {
    if (a.type != b.type || a.cl != b.cl) return false;
    return !a.cl || a.cpad == b.cpad;
}

cu_fmt cu_fmt_want(cu_fmt stored, cu_want w, int rank) {
    cu_fmt f = stored;
    if (w.type >= 0) f.type = w.type;
    if (w.layout == 0 || rank < 2) {
        f.cl = 0;
        f.cpad = 1;
    } else if (w.layout == 1) {
        f.cl = 1;
        f.cpad = w.cpad > 0 ? w.cpad : 1;
    }
    return f;
}

/* Physical extents: (d0, d2, ..., d_{r-1}, Cp) for channels-last, the shape otherwise. */
static int64_t cpad_of(int64_t c, int pad) { return pad > 1 ? (c + pad - 1) / pad * pad : c; }

size_t cu_fmt_bytes(const c8_shape *s, cu_fmt f) {
    int64_t n = 1;
    for (int d = 0; d < s->rank; d++)
        n *= (f.cl && s->rank >= 2 && d == 1) ? cpad_of(s->d[1], f.cpad) : s->d[d];
    if (s->rank <= 0) n = 1;
    return (size_t)n * c8cu_type_size(f.type);
}

c8cu_view cu_view(void *data, const c8_shape *s, cu_fmt f) {
    c8cu_view v;
    memset(&v, 0, sizeof v);
    v.data = data;
    v.type = f.type;
    if (s->rank <= 0) {
        v.rank = 1;
        v.dims[0] = 1;
        v.strides[0] = 1;
        return v;
    }
    v.rank = s->rank;
    for (int d = 0; d < s->rank; d++) v.dims[d] = s->d[d];
    if (!f.cl || s->rank < 2) {
        int64_t st = 1;
        for (int d = s->rank - 1; d >= 0; d--) {
            v.strides[d] = st;
            st *= s->d[d];
        }
        return v;
    }
    /* channels-last: C innermost (padded), then the spatial axes, then N */
    int64_t st = cpad_of(s->d[1], f.cpad);
    v.strides[1] = 1;
    for (int d = s->rank - 1; d >= 2; d--) {
        v.strides[d] = st;
        st *= s->d[d];
    }
    v.strides[0] = st;
    return v;
}

static bool fmt_padded(const c8_shape *s, cu_fmt f) {
    return f.cl && s->rank >= 2 && cpad_of(s->d[1], f.cpad) != s->d[1];
}

c8_status cu_convert(cu_ctx *c, void *y, cu_fmt fy, const void *x, cu_fmt fx, c8_dtype dt,
                     const c8_shape *s, c8_error *err) {
    (void)dt;
    if (fmt_padded(s, fy)) C8_CUDA_TRY(err, cudaMemsetAsync(y, 0, cu_fmt_bytes(s, fy), c->stream));
    c8cu_view vy = cu_view(y, s, fy), vx = cu_view((void *)x, s, fx);
    return c8cu_copy(&vy, &vx, c->stream, err);
}

/* ================================================================== allocation */

cudaError_t cu_malloc(void **p, size_t bytes) {
    static int limit = -2; /* -2: not read yet, -1: no limit */
    static int count;
    int lim = __atomic_load_n(&limit, __ATOMIC_ACQUIRE);
    if (lim == -2) {
        const char *v = getenv("C8_CUDA_FAIL_ALLOC_AFTER");
        char *end = NULL;
        long n = v && *v ? strtol(v, &end, 10) : -1;
        lim = (v && *v && end && !*end && n >= 0 && n < 1000000000) ? (int)n : -1;
        __atomic_store_n(&limit, lim, __ATOMIC_RELEASE);
    }
    if (lim >= 0 && __atomic_fetch_add(&count, 1, __ATOMIC_ACQ_REL) >= lim) {
        *p = NULL;
        return cudaErrorMemoryAllocation;
    }
    return cudaMalloc(p, bytes);
}

/* ================================================================== scratch, weights */

void *cu_scratch(cu_ctx *c, size_t *off, size_t bytes) {
    void *p = c->scratch + *off;
    *off += align_up(bytes ? bytes : 1, CU_ALIGN);
    C8_ASSERT(*off <= c->scratch_bytes);
    return p;
}

c8_status cu_scratch_reserve(cu_ctx *c, size_t bytes, c8_error *err) {
    if (bytes <= c->scratch_bytes) return C8_OK;
    bytes = align_up(bytes, (size_t)1 << 20);
    if (c->scratch) {
        C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
        C8_CUDA_TRY(err, cudaFree(c->scratch));
        c->scratch = NULL;
        c->scratch_bytes = 0;
    }
    c8_status s = C8_CUDA_CHECK(err, cu_malloc((void **)&c->scratch, bytes));
    if (s != C8_OK) return c8_err_prefix(err, "CUDA scratch memory (%zu bytes)", bytes);
    c->scratch_bytes = bytes;
    return C8_OK;
}

bool cu_const_stable(const c8_graph *g, int v) {
    return v >= 0 && g->vals[v].kind == C8_VAL_CONST && g->vals[v].borrowed;
}

c8_status cu_weights(cu_ctx *c, const void *key, int kind, const void *host, size_t bytes,
                     void **dev, bool *owned, c8_error *err) {
    *dev = NULL;
    *owned = false;
    cu_engine *eng = c->eng;
    if (key) {
        pthread_mutex_lock(&eng->mu);
        for (cu_wcache *w = eng->weights; w; w = w->next)
            if (w->key == key && w->kind == kind && w->bytes == bytes) {
                *dev = w->dev;
                pthread_mutex_unlock(&eng->mu);
                return C8_OK;
            }
    }
    void *p = NULL;
    c8_status s = C8_CUDA_CHECK(err, cu_malloc((void **)&p, bytes ? bytes : 1));
    if (s == C8_OK && bytes)
        s = C8_CUDA_CHECK(err, cudaMemcpyAsync(p, host, bytes, cudaMemcpyHostToDevice, c->stream));
    if (s == C8_OK) s = C8_CUDA_CHECK(err, cudaStreamSynchronize(c->stream));
    if (s == C8_OK && key) {
        cu_wcache *w = calloc(1, sizeof *w);
        if (!w) {
            s = c8_err(err, C8_ERR_NOMEM, "out of memory");
        } else {
            w->key = key;
            w->kind = kind;
            w->dev = p;
            w->bytes = bytes;
            w->next = eng->weights;
            eng->weights = w;
        }
    }
    if (key) pthread_mutex_unlock(&eng->mu);
    if (s != C8_OK) {
        if (p) cudaFree(p);
        return s;
    }
    *dev = p;
    *owned = key == NULL;
    return C8_OK;
}

c8_status cu_i8(cu_ctx *c, c8_cuda_int8_ctx **out, c8_error *err) {
    if (!c->i8) C8_TRY(c8_cuda_int8_ctx_create(c->device, &c->i8, err));
    *out = c->i8;
    return C8_OK;
}

/* ================================================================== window geometry */

c8_status cu_window(const c8_graph *g, const c8_node *n, const c8_shape *x, const int64_t *kernel,
                    bool ceil_mode, cu_win *w, c8_error *err) {
    memset(w, 0, sizeof *w);
    if (x->rank != 3 && x->rank != 4)
        return c8_err(err, C8_ERR_UNSUPPORTED, "only 1-D and 2-D windows run on the GPU");
    const int nsp = x->rank - 2;
    const int64_t *st = NULL, *dl = NULL, *pd = NULL;
    size_t nst = c8_node_attr_ints(n, "strides", &st);
    size_t ndl = c8_node_attr_ints(n, "dilations", &dl);
    size_t npd = c8_node_attr_ints(n, "pads", &pd);
    c8_auto_pad ap;
    if (!c8_auto_pad_parse(c8_node_attr_s(n, "auto_pad", "NOTSET"), &ap))
        return c8_err(err, C8_ERR_INVALID, "bad auto_pad");
    int64_t in[2], k[2], s[2], d[2], pb[2], pe[2], out[2];
    for (int i = 0; i < nsp; i++) {
        in[i] = x->d[2 + i];
        k[i] = kernel[i];
        s[i] = nst ? st[i] : 1;
        d[i] = ndl ? dl[i] : 1;
        pb[i] = npd ? pd[i] : 0;
        pe[i] = npd ? pd[nsp + i] : 0;
        C8_TRY(c8_window_extent(i, in[i], k[i], s[i], d[i], ap, ceil_mode, &pb[i], &pe[i], &out[i],
                                err));
    }
    (void)g;
    w->nsp = nsp;
    if (nsp == 1) {
        w->in_h = w->out_h = w->kh = w->sh = w->dh = 1;
        w->in_w = in[0];
        w->out_w = out[0];
        w->kw = k[0];
        w->sw = s[0];
        w->dw = d[0];
        w->pl = pb[0];
        w->pr = pe[0];
    } else {
        w->in_h = in[0];
        w->in_w = in[1];
        w->out_h = out[0];
        w->out_w = out[1];
        w->kh = k[0];
        w->kw = k[1];
        w->sh = s[0];
        w->sw = s[1];
        w->dh = d[0];
        w->dw = d[1];
        w->pt = pb[0];
        w->pl = pb[1];
        w->pb = pe[0];
        w->pr = pe[1];
    }
    return C8_OK;
}

/* ================================================================== engine, context */

static c8_status cu_engine_init(const c8_backend_engine *e, void **state, c8_error *err) {
    (void)e;
    *state = NULL;
    int count = 0;
    cudaError_t ce = cudaGetDeviceCount(&count);
    if (ce != cudaSuccess || count < 1)
        return c8_err(err, C8_ERR_DEVICE, "no CUDA device is available (%s)",
                      ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");
    cu_engine *eng = calloc(1, sizeof *eng);
    if (!eng) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    eng->device = 0;
    c8_status s = C8_CUDA_CHECK(err, cudaSetDevice(eng->device));
    if (s == C8_OK)
        s = C8_CUDA_CHECK(err, cudaDeviceGetAttribute(&eng->sm_count,
                                                      cudaDevAttrMultiProcessorCount, eng->device));
    if (s != C8_OK) {
        free(eng);
        return s;
    }
    pthread_mutex_init(&eng->mu, NULL);
    *state = eng;
    return C8_OK;
}

static void cu_engine_fini(void *state) {
    cu_engine *eng = state;
    if (!eng) return;
    for (cu_wcache *w = eng->weights; w;) {
        cu_wcache *nx = w->next;
        cudaFree(w->dev);
        free(w);
        w = nx;
    }
    pthread_mutex_destroy(&eng->mu);
    free(eng);
}

static void cu_context_fini(void *state);

static c8_status cu_context_init(const c8_backend_engine *e, void **state, c8_error *err) {
    *state = NULL;
    if (!e->state) return c8_err(err, C8_ERR_INTERNAL, "CUDA engine has no device state");
    cu_ctx *c = calloc(1, sizeof *c);
    if (!c) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c->e = *e;
    c->eng = e->state;
    c->device = c->eng->device;
    c->sm_count = c->eng->sm_count;
    const char *gr = getenv("C8_CUDA_GRAPHS"), *pr = getenv("C8_CUDA_PROFILE");
    c->profile = pr && (!strcmp(pr, "1") || !strcmp(pr, "2"));
    c->profile_nodes = pr && !strcmp(pr, "2");
    c->graphs_enabled = !(gr && !strcmp(gr, "0")) && !c->profile;
    c8_status s = C8_CUDA_CHECK(err, cudaSetDevice(c->device));
    if (s == C8_OK)
        s = C8_CUDA_CHECK(err, cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    if (s == C8_OK) s = C8_CUDNN_CHECK(err, cudnnCreate(&c->dnn));
    if (s == C8_OK) s = C8_CUDNN_CHECK(err, cudnnSetStream(c->dnn, c->stream));
    if (s == C8_OK) s = C8_CUBLAS_CHECK(err, cublasLtCreate(&c->lt));
    for (int i = 0; s == C8_OK && i < C8_BACKEND_MARKS; i++)
        s = C8_CUDA_CHECK(err, cudaEventCreate(&c->marks[i]));
    if (s != C8_OK) {
        cu_context_fini(c);
        return s;
    }
    *state = c;
    return C8_OK;
}

static void drop_graph(cu_ctx *c) {
    if (c->gexec) cudaGraphExecDestroy(c->gexec);
    c->gexec = NULL;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void print_profile(const cu_ctx *c) {
    double total = 0;
    int order[C8_OP_COUNT_], n = 0;
    for (int i = 0; i < C8_OP_COUNT_; i++)
        if (c->prof_n[i]) {
            order[n++] = i;
            total += c->prof_ms[i];
        }
    if (!n) return;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && c->prof_ms[order[j - 1]] < c->prof_ms[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    /* the placement's conversions are counted as the op type Reformat */
    fprintf(stderr, "cuda profile (synchronized per node): %.3f ms in %d op types\n", total, n);
    for (int i = 0; i < n; i++)
        fprintf(stderr, "  %-22s %8lld calls %12.3f ms %6.1f%%\n", c8_op_name((c8_op)order[i]),
                (long long)c->prof_n[order[i]], c->prof_ms[order[i]],
                100.0 * c->prof_ms[order[i]] / total);
}

static void cu_context_fini(void *state) {
    cu_ctx *c = state;
    if (!c) return;
    if (c->profile) print_profile(c);
    if (c->stream) cudaStreamSynchronize(c->stream);
    drop_graph(c);
    c8_cuda_int8_ctx_destroy(c->i8);
    if (c->scratch) cudaFree(c->scratch);
    if (c->obs) cudaFree(c->obs);
    if (c->hist_dev) cudaFree(c->hist_dev);
    if (c->hist_host) cudaFreeHost(c->hist_host);
    if (c->pin) cudaFreeHost(c->pin);
    for (int i = 0; i < C8_BACKEND_MARKS; i++)
        if (c->marks[i]) cudaEventDestroy(c->marks[i]);
    if (c->lt) cublasLtDestroy(c->lt);
    if (c->dnn) cudnnDestroy(c->dnn);
    if (c->stream) cudaStreamDestroy(c->stream);
    free(c->plan.fmt);
    free(c);
}

/* Ends and discards a capture that cannot be used. A capture can break for reasons outside
 * this context (another context's cudaFree / cudaMalloc synchronizing the device while this
 * stream captures), so a specialization tries CU_CAPTURE_TRIES times before it stays uncaptured. */
static void capture_broken(cu_ctx *c) {
    if (c->capturing) {
        cudaGraph_t gr = NULL;
        cudaStreamEndCapture(c->stream, &gr);
        if (gr) cudaGraphDestroy(gr);
    }
    cudaGetLastError();
    c->capturing = false;
    if (++c->capture_tries >= CU_CAPTURE_TRIES) c->capture_failed = true;
}

/* A capture left open by a failed run (a segment's error skips cu_run_end). */
static void abort_capture(cu_ctx *c) {
    if (c->capturing) capture_broken(c);
}

/* ================================================================== memory */

static c8_status cu_alloc(void *ctx, size_t bytes, void **ptr, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    *ptr = NULL;
    c8_status s = C8_CUDA_CHECK(err, cu_malloc(ptr, bytes ? bytes : CU_ALIGN));
    if (s != C8_OK) c8_err_prefix(err, "cannot allocate %zu bytes of GPU memory", bytes);
    return s;
}

static void cu_free(void *ctx, void *ptr) {
    cu_ctx *c = ctx;
    abort_capture(c);
    if (!ptr) return;
    cudaStreamSynchronize(c->stream);
    cudaFree(ptr);
}

/* Pinned staging: a ring of `pin_bytes`, reset at every sync. Taking a slot that does not fit
 * waits for the queued copies first; a ring too small for one slot grows. */
static c8_status pin_take(cu_ctx *c, size_t bytes, unsigned char **p, c8_error *err) {
    bytes = align_up(bytes ? bytes : 1, CU_ALIGN);
    if (c->pin_used + bytes > c->pin_bytes) {
        C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
        c->pin_used = 0;
        if (bytes > c->pin_bytes) {
            size_t nb = bytes > CU_PIN_MIN ? bytes : CU_PIN_MIN;
            if (c->pin) C8_CUDA_TRY(err, cudaFreeHost(c->pin));
            c->pin = NULL;
            c->pin_bytes = 0;
            C8_CUDA_TRY(err, cudaMallocHost((void **)&c->pin, nb));
            c->pin_bytes = nb;
        }
    }
    *p = c->pin + c->pin_used;
    c->pin_used += bytes;
    return C8_OK;
}

typedef struct copy_part {
    unsigned char *dst;
    const unsigned char *src;
    size_t bytes;
} copy_part;

static void *copy_part_main(void *arg) {
    copy_part *p = arg;
    memcpy(p->dst, p->src, p->bytes);
    return NULL;
}

/* memcpy with up to CU_COPY_THREADS threads for large buffers (one thread copies ~10 GB/s;
 * a batch of 256 ImageNet images is 154 MB). */
static void parallel_memcpy(unsigned char *dst, const unsigned char *src, size_t bytes) {
    size_t nt = bytes / CU_PIN_CHUNK;
    if (nt > CU_COPY_THREADS) nt = CU_COPY_THREADS;
    if (nt < 2) {
        memcpy(dst, src, bytes);
        return;
    }
    pthread_t th[CU_COPY_THREADS];
    copy_part parts[CU_COPY_THREADS];
    size_t per = (bytes / nt + 4095) / 4096 * 4096, started = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t off = i * per;
        parts[i] = (copy_part){dst + off, src + off,
                               off >= bytes ? 0 : (bytes - off < per ? bytes - off : per)};
        if (i + 1 < nt && pthread_create(&th[i], NULL, copy_part_main, &parts[i]) == 0)
            started = i + 1;
        else
            copy_part_main(&parts[i]); /* the last part (or a failed start) in this thread */
    }
    for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
}

/* Host -> device through pinned staging, asynchronous on the context's stream (the staging
 * slot stays in use until the next sync). A large tensor goes in one piece: the ring grows to
 * hold it, the host copy into it runs on several threads, then one DMA. */
static c8_status cu_upload(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    if (bytes > CU_PIN_CHUNK) {
        size_t need = align_up(bytes, (size_t)1 << 20);
        if (need > c->pin_bytes) {
            C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
            if (c->pin) C8_CUDA_TRY(err, cudaFreeHost(c->pin));
            c->pin = NULL;
            c->pin_bytes = c->pin_used = 0;
            size_t nb = need > CU_PIN_BIG ? need : CU_PIN_BIG;
            C8_CUDA_TRY(err, cudaMallocHost((void **)&c->pin, nb));
            c->pin_bytes = nb;
        }
        unsigned char *p;
        C8_TRY(pin_take(c, bytes, &p, err));
        parallel_memcpy(p, src, bytes);
        C8_CUDA_TRY(err, cudaMemcpyAsync(dst, p, bytes, cudaMemcpyHostToDevice, c->stream));
        return C8_OK;
    }
    unsigned char *p;
    C8_TRY(pin_take(c, bytes, &p, err));
    memcpy(p, src, bytes);
    C8_CUDA_TRY(err, cudaMemcpyAsync(dst, p, bytes, cudaMemcpyHostToDevice, c->stream));
    return C8_OK;
}

/* Device -> host through pinned staging; returns when the data is in dst. */
static c8_status cu_download(void *ctx, void *dst, const void *src, size_t bytes, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    for (size_t off = 0; off < bytes;) {
        size_t nb = bytes - off < CU_PIN_CHUNK ? bytes - off : CU_PIN_CHUNK;
        unsigned char *p;
        C8_TRY(pin_take(c, nb, &p, err));
        C8_CUDA_TRY(err, cudaMemcpyAsync(p, (const unsigned char *)src + off, nb,
                                         cudaMemcpyDeviceToHost, c->stream));
        C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
        memcpy((unsigned char *)dst + off, p, nb);
        c->pin_used = 0;
        off += nb;
    }
    return C8_OK;
}

static c8_status cu_sync(void *ctx, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
    c->pin_used = 0;
    return C8_OK;
}

/* ================================================================== placement query */

static bool all_float(const c8_graph *g, const c8_node *n) {
    for (int k = 0; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        if (v && v->dtype != C8_DT_FLOAT) return false;
    }
    for (int k = 0; k < n->n_out; k++) {
        const c8_value *v = c8_node_output(g, n, k);
        if (v && v->dtype != C8_DT_FLOAT) return false;
    }
    return true;
}

static bool is_const(const c8_value *v) { return v && v->kind == C8_VAL_CONST; }

/* rank r known and outside [lo, hi] */
static bool rank_out(int r, int lo, int hi) { return r >= 0 && (r < lo || r > hi); }

static bool extra_outputs(const c8_node *n) {
    for (int k = 1; k < n->n_out; k++)
        if (n->out[k] >= 0) return true;
    return false;
}

static bool float_type(c8_dtype t) { return t == C8_DT_FLOAT || t == C8_DT_FLOAT16; }

/* The static half of the op files' prepare checks (cuda_conv.c, cuda_gemm.c, cuda_ops.c,
 * cuda_q8.c): op, dtypes, attributes, ranks, constant operands. What depends on extents
 * (cuDNN / cuBLASLt / INT8 kernel availability for a shape) is checked again at prepare, where
 * a refusal is an error. NULL: the GPU runs it. */
static const char *gpu_refusal(const c8_graph *g, const c8_node *n) {
    const c8_value *x = c8_node_input(g, n, 0);
    const int r = x ? x->shape.rank : -1;
    switch (c8_op_info_of(n->op)->gpu) { /* the GPU column of ops/ops.def */
    case C8_GPU_CONV:
    case C8_GPU_CONVT: {
        const c8_value *w = c8_node_input(g, n, 1), *b = c8_node_input(g, n, 2);
        if (!x || !w || x->dtype != C8_DT_FLOAT || !is_const(w) || rank_out(r, 3, 4) ||
            (r >= 0 && w->shape.rank != r))
            return "only 1-D / 2-D float convolutions with constant weights run on the GPU";
        if (b && !is_const(b)) return "bias computed at run time";
        return NULL;
    }
    case C8_GPU_GEMM: {
        const c8_value *b = c8_node_input(g, n, 1);
        for (int k = 0; k < n->n_in; k++) {
            const c8_value *v = c8_node_input(g, n, k);
            if (v && v->dtype != C8_DT_FLOAT) return "Gemm on non-float or non-matrix operands";
        }
        if (rank_out(r, 2, 2) || (b && rank_out(b->shape.rank, 2, 2)))
            return "Gemm on non-float or non-matrix operands";
        return NULL;
    }
    case C8_GPU_MATMUL:
        for (int k = 0; k < n->n_in; k++) {
            const c8_value *v = c8_node_input(g, n, k);
            if (v && v->dtype != C8_DT_FLOAT) return "MatMul on non-float operands";
        }
        return NULL;
    case C8_GPU_EW:
        if (!all_float(g, n)) return "elementwise op on non-float data";
        if (((n->op >= C8_OP_POW && n->op <= C8_OP_ERF) || n->op == C8_OP_GELU) &&
            !getenv("C8_CUDA_UNVERIFIED"))
            return "its GPU kernel has not yet run on a GPU (C8_CUDA_UNVERIFIED=1)";
        if (n->op == C8_OP_CLIP && g->opset >= 11)
            for (int k = 1; k <= 2 && k < n->n_in; k++) {
                const c8_value *b = c8_node_input(g, n, k);
                if (b && (!is_const(b) || c8_shape_numel(&b->shape) != 1))
                    return "Clip bounds computed at run time";
            }
        return NULL;
    case C8_GPU_BN:
        if (!all_float(g, n)) return "BatchNormalization on non-float data";
        if (extra_outputs(n)) return "BatchNormalization with training outputs";
        if (rank_out(r, 2, C8_MAX_RANK)) return "BatchNormalization of rank < 2";
        return NULL;
    case C8_GPU_POOL:
        if (!all_float(g, n)) return "pooling on non-float data";
        if (extra_outputs(n)) return "MaxPool with an Indices output";
        if (rank_out(r, 3, 4)) return "pooling over other than 1 or 2 axes";
        return NULL;
    case C8_GPU_GPOOL:
        if (!all_float(g, n)) return "pooling on non-float data";
        if (rank_out(r, 3, C8_MAX_RANK)) return "global pool of rank < 3";
        return NULL;
    case C8_GPU_SOFTMAX:
        if (!all_float(g, n)) return "Softmax on non-float data";
        if (rank_out(r, 1, C8_MAX_RANK)) return "Softmax of a scalar";
        return NULL;
    case C8_GPU_LRN:
        if (!all_float(g, n)) return "LRN on non-float data";
        if (rank_out(r, 2, C8_MAX_RANK)) return "LRN of rank < 2";
        return NULL;
    case C8_GPU_REDUCE: {
        if (!getenv("C8_CUDA_UNVERIFIED"))
            return "its GPU kernel has not yet run on a GPU (C8_CUDA_UNVERIFIED=1)";
        const c8_value *rx = c8_node_input(g, n, 0), *ry = c8_node_output(g, n, 0);
        if (!rx || !ry || rx->dtype != C8_DT_FLOAT || ry->dtype != C8_DT_FLOAT)
            return "reduction of non-float data";
        bool red[C8_MAX_RANK], noop;
        c8_error ae = {0};
        if (c8_reduce_axes(g, n, red, &noop, &ae) != C8_OK) return "axes known only at run time";
        return NULL;
    }
    case C8_GPU_COPY: {
        if (extra_outputs(n)) return "second output (Dropout mask)";
        const c8_value *y = c8_node_output(g, n, 0);
        if (!x || !y || (x->dtype != y->dtype && !(float_type(x->dtype) && float_type(y->dtype))))
            return "Cast between non-float types";
        if (is_const(x)) return "constant input";
        if (n->op == C8_OP_CONCAT)
            for (int k = 0; k < n->n_in; k++) {
                const c8_value *v = c8_node_input(g, n, k);
                if (!v || v->dtype != x->dtype || v->shape.rank != x->shape.rank)
                    return "Concat inputs differ";
            }
        if (n->op == C8_OP_TRANSPOSE) {
            const int64_t *perm;
            size_t np = c8_node_attr_ints(n, "perm", &perm);
            if (np && r >= 0 && (int)np != r) return "Transpose perm";
        }
        return NULL;
    }
    case C8_GPU_MAP:
        if (!x || is_const(x)) return "constant data input";
        if (x->dtype == C8_DT_INT8) return cu_resize8_refusal(g, n);
        if (c8_dtype_size(x->dtype) != 4) return "index map needs 4-byte elements";
        for (int k = 1; k < n->n_in; k++) {
            const c8_value *v = c8_node_input(g, n, k);
            if (v && !is_const(v)) return "parameters computed at run time";
        }
        for (int k = 0; k < n->n_out; k++) {
            const c8_value *v = c8_node_output(g, n, k);
            if (v && v->dtype != x->dtype) return "output dtype differs";
        }
        if ((n->op == C8_OP_RESIZE || n->op == C8_OP_UPSAMPLE) &&
            strcmp(c8_node_attr_s(n, "mode", "nearest"), "nearest") != 0)
            return "Resize / Upsample in linear mode";
        return NULL;
    case C8_GPU_Q8_QUANTIZE:
        if (rank_out(r, 2, C8_MAX_RANK)) return "INT8 tensor of rank < 2";
        if (n->op == C8_OP_Q8_REQUANTIZE &&
            c8_node_attr_i(n, "act", C8_QACT_NONE) == C8_QACT_SIGMOID)
            return "Requantize with a sigmoid";
        return NULL;
    case C8_GPU_Q8_CONV: {
        for (int k = 1; k < 4 && k < n->n_in; k++) {
            const c8_value *v = c8_node_input(g, n, k);
            if (v && !is_const(v)) return "weights computed at run time";
        }
        if (n->op == C8_OP_Q8_CONV) {
            const c8_value *w = c8_node_input(g, n, 1);
            if (rank_out(r, 4, 4)) return "INT8 geometry the GPU kernels do not take";
            /* grouped: only depthwise (group == C == K, kernels/cuda/int8/dispatch.cu) */
            const int64_t group = c8_node_attr_i(n, "group", 1);
            if (group > 1 && w && w->shape.rank == 4 &&
                (w->shape.d[1] != 1 || w->shape.d[0] != group))
                return "grouped INT8 convolution that is not depthwise";
        } else if (rank_out(r, 2, 2)) {
            return "INT8 Gemm on other than 2-D activations";
        }
        return NULL;
    }
    case C8_GPU_Q8_POOL:
        if (rank_out(r, 4, 4)) return "INT8 pool of rank != 4";
        return NULL;
    case C8_GPU_Q8_ADD:
        if (rank_out(r, 2, C8_MAX_RANK)) return "INT8 Add of rank < 2";
        return NULL;
    case C8_GPU_Q8_MUL:
        if (rank_out(r, 2, C8_MAX_RANK)) return "INT8 Mul of rank < 2";
        return NULL;
    case C8_GPU_Q8_CONCAT: {
        int64_t axis = c8_node_attr_i(n, "axis", 1);
        if (r >= 0 && (r < 2 || (axis != 1 && axis != 1 - r)))
            return "INT8 Concat off the channel axis";
        return NULL;
    }
    case C8_GPU_F16_CAST: return NULL;
    default: return "no GPU kernel for this op";
    }
}

static bool cu_supports(const c8_graph *g, const c8_node *n, const c8_layer *l, const char **why) {
    (void)l;
    *why = gpu_refusal(g, n);
    return *why == NULL;
}

/* ================================================================== value formats (vt->plan) */

/* Output layouts come from the op table's GPU_LAYOUT column (ops/ops.def). */
static bool prefers_cl(c8_op op) { return c8_op_info_of(op)->gpu_layout == C8_GL_CHANNELS_LAST; }
static bool follows_layout(c8_op op) { return c8_op_info_of(op)->gpu_layout == C8_GL_FOLLOW; }
static bool q8_nhwc32(c8_op op) { return c8_op_info_of(op)->gpu_layout == C8_GL_NHWC32; }

/* The dtype elements of view type `type` are stored as (raw types: the value's own dtype dt). */
static c8_dtype storage_dtype(int type, c8_dtype dt) {
    switch (type) {
    case C8CU_F32: return C8_DT_FLOAT;
    case C8CU_F16: return C8_DT_FLOAT16;
    case C8CU_I8: return C8_DT_INT8;
    default: return dt;
    }
}

/* The format a Reformat attribute ("from" / "to": channels_last, cpad, storage dtype) names. */
static cu_fmt reformat_fmt(const c8_node *n, const char *name) {
    const int64_t *f = NULL;
    if (c8_node_attr_ints(n, name, &f) != 3) return (cu_fmt){-1, 0, 1};
    return (cu_fmt){(int8_t)cu_canon_type((c8_dtype)f[2]), (int8_t)(f[0] != 0),
                    (int16_t)(f[0] ? f[1] : 1)};
}

static bool reformat_side_out(const c8_node *n) {
    return n->op == C8_OP_REFORMAT && strcmp(c8_node_attr_s(n, "side", ""), "out") == 0;
}

/* Value u as a layout-following op saw it before the placement pass converted it for that op:
 * the input of a "side in" Reformat (so inserting conversions never changes a layout choice). */
static int before_reformat(const c8_graph *g, int u) {
    const int p = g->vals[u].producer;
    if (p >= 0 && g->nodes[p].op == C8_OP_REFORMAT && !reformat_side_out(&g->nodes[p]) &&
        g->nodes[p].in[0] >= 0)
        return g->nodes[p].in[0];
    return u;
}

static cu_fmt plan_value(const c8_backend_engine *e, const c8_graph *g, const cu_fmt *fmt, int v) {
    const c8_value *val = &g->vals[v];
    cu_fmt canon = cu_canon(val->dtype);
    if (val->kind != C8_VAL_ACTIVATION || val->producer < 0 || val->is_output) return canon;
    const c8_node *p = &g->nodes[val->producer];
    const c8_layer *l = p->layer >= 0 ? &e->layers[p->layer] : NULL;
    /* host steps and host copies exchange values in ONNX layout and dtype */
    if (p->op == C8_OP_HOST_COPY || (l && l->place == C8_PLACE_HOST)) return canon;
    const int rank = val->shape.rank;
    /* an int8 Resize (an INT8 tensor kept int8 through it) writes NHWC32 as it reads */
    if (p->op == C8_OP_RESIZE && val->dtype == C8_DT_INT8 && rank == 4)
        return (cu_fmt){canon.type, 1, C8_CUDA_INT8_CALIGN};
    if (q8_nhwc32(p->op) && rank >= 2 &&
        (val->dtype == C8_DT_INT8 || val->dtype == C8_DT_FLOAT || val->dtype == C8_DT_FLOAT16))
        return (cu_fmt){canon.type, 1, C8_CUDA_INT8_CALIGN};
    if (val->dtype == C8_DT_FLOAT && cu_layer_fp16(l)) {
        cu_fmt f = {C8CU_F16, 0, 1};
        if (rank == 3 || rank == 4) {
            if (prefers_cl(p->op))
                f.cl = 1;
            else if (follows_layout(p->op)) {
                for (int k = 0; k < p->n_in; k++) {
                    int u = p->in[k];
                    if (u < 0 || g->vals[u].kind == C8_VAL_CONST) continue;
                    u = before_reformat(g, u);
                    if (g->vals[u].shape.rank == rank && fmt[u].cl && fmt[u].cpad == 1) f.cl = 1;
                    break;
                }
            }
        }
        return f;
    }
    return canon;
}

/* Every value's format, in node order so that layout-following ops see their inputs'. The
 * placement's conversions (engine/build/reformat.c) say theirs: a Reformat writes its "to", and
 * the value a "side out" Reformat converts is stored as its "from" (what the producer's kernel
 * writes). */
static void plan_formats(const c8_backend_engine *e, const c8_graph *g, cu_fmt *fmt) {
    for (int v = 0; v < g->n_vals; v++) fmt[v] = cu_canon(g->vals[v].dtype);
    for (int i = 0; i < g->n_nodes; i++) {
        const c8_node *n = &g->nodes[i];
        if (n->op == C8_OP_REFORMAT && n->n_out == 1 && n->out[0] >= 0 && n->in[0] >= 0) {
            fmt[n->out[0]] = reformat_fmt(n, "to");
            if (reformat_side_out(n)) fmt[n->in[0]] = reformat_fmt(n, "from");
            continue;
        }
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0) fmt[n->out[k]] = plan_value(e, g, fmt, n->out[k]);
    }
}

static c8_status cu_plan_values(void *ctx, const c8_graph *g, size_t *bytes, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    drop_graph(c);
    c->runs = 0;
    c->capture_failed = false;
    c->capture_tries = 0;
    c->n_lazy_nodes = 0;
    free(c->plan.fmt);
    c->plan.fmt = calloc((size_t)(g->n_vals ? g->n_vals : 1), sizeof(cu_fmt));
    if (!c->plan.fmt) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    c->plan.g = g;
    c->plan.n_vals = g->n_vals;
    plan_formats(&c->e, g, c->plan.fmt);
    for (int v = 0; v < g->n_vals; v++) {
        const c8_value *val = &g->vals[v];
        if (!bytes[v] && c8_shape_numel(&val->shape) != 0) continue; /* not an arena value */
        if (val->kind == C8_VAL_CONST) continue;
        bytes[v] = cu_fmt_bytes(&val->shape, c->plan.fmt[v]);
    }
    return C8_OK;
}

/* The build-time description of plan_value's choices (vt->layouts), on the declared shapes. */
static c8_status cu_layouts(const c8_backend_engine *e, const c8_graph *g, c8_value_layout *out,
                            c8_error *err) {
    cu_fmt *fmt = calloc((size_t)(g->n_vals ? g->n_vals : 1), sizeof *fmt);
    if (!fmt) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    plan_formats(e, g, fmt);
    for (int v = 0; v < g->n_vals; v++) {
        out[v].channels_last = fmt[v].cl;
        out[v].cpad = fmt[v].cl ? fmt[v].cpad : 1;
        out[v].storage = storage_dtype(fmt[v].type, g->vals[v].dtype);
    }
    free(fmt);
    return C8_OK;
}

static c8_operand_want want_out_of(cu_want w, c8_dtype dt) {
    return (c8_operand_want){w.type < 0 ? -1 : (int32_t)storage_dtype(w.type, dt), w.layout,
                             w.cpad};
}

/* The build-time operand formats (vt->wants): cu_static_wants (cuda_wants.c) in the table's
 * terms; storage types of raw elements are the value's dtype. */
static void cu_wants(const c8_backend_engine *e, const c8_graph *g, const c8_node *n,
                     const c8_value_layout *stored, c8_operand_want *in, c8_operand_want *res,
                     c8_operand_want *out) {
    cu_want win[CU_MAX_IO], wout[CU_MAX_IO], wres;
    const c8_layer *l = n->layer >= 0 && n->layer < e->n_layers ? &e->layers[n->layer] : NULL;
    int8_t t0 = n->n_out > 0 && n->out[0] >= 0 ? (int8_t)cu_canon_type(stored[n->out[0]].storage)
                                               : (int8_t)-1;
    cu_static_wants(l, g, n, t0, win, &wres, wout);
    for (int k = 0; k < n->n_in; k++) {
        const c8_value *v = c8_node_input(g, n, k);
        in[k] = k < CU_MAX_IO && v ? want_out_of(win[k], v->dtype) : C8_WANT_ANY;
    }
    const c8_value *r = n->fusion.residual >= 0 ? &g->vals[n->fusion.residual] : NULL;
    *res = r ? want_out_of(wres, r->dtype) : C8_WANT_ANY;
    for (int k = 0; k < n->n_out; k++) {
        const c8_value *v = c8_node_output(g, n, k);
        out[k] = k < CU_MAX_IO && v ? want_out_of(wout[k], v->dtype) : C8_WANT_ANY;
    }
}

/* ================================================================== prepare / release */

static void cu_release(void *ctx, void *node_state) {
    cu_node *nd = node_state;
    if (!nd) return;
    if (nd->op && nd->op_free) nd->op_free(ctx, nd->op);
    free(nd);
}

/* "float16 NHWC", "int8 NHWC32", "float32 ONNX layout" (for messages). */
static const char *fmt_str(cu_fmt f, char *buf, size_t n) {
    static const char *types[] = {"float32", "float16", "int8", "raw1", "raw2", "raw4", "raw8"};
    const char *t =
        f.type >= 0 && f.type < (int)(sizeof types / sizeof *types) ? types[f.type] : "?";
    if (!f.cl)
        snprintf(buf, n, "%s ONNX layout", t);
    else if (f.cpad > 1)
        snprintf(buf, n, "%s channels-last padded to %d", t, (int)f.cpad);
    else
        snprintf(buf, n, "%s channels-last", t);
    return buf;
}

/* One operand of node n (value v, role e.g. "input 1") against what its kernel wants. */
static c8_status check_operand(const cu_ctx *c, const c8_graph *g, const c8_node *n, int v,
                               cu_want w, const char *role, int k, c8_error *err) {
    if (v < 0) return C8_OK;
    cu_fmt st = c->plan.fmt[v];
    if (cu_fmt_eq(cu_fmt_want(st, w, g->vals[v].shape.rank), st)) return C8_OK;
    char sb[48], wb[48];
    return c8_node_err(err, g, n, C8_ERR_INTERNAL,
                       "%s %d ('%s') is stored as %s, but the GPU kernel takes %s: the plan lacks "
                       "the conversion (engine/build/reformat.c); rebuild the plan or report it",
                       role, k, g->vals[v].name, fmt_str(st, sb, sizeof sb),
                       fmt_str(cu_fmt_want(st, w, g->vals[v].shape.rank), wb, sizeof wb));
}

/* The placement pass made every conversion a Reformat node, so each operand must arrive as the
 * op's prepare asked: checked once per specialization, an error (never a silent conversion). */
static c8_status check_operands(const cu_ctx *c, const cu_node *nd, const c8_graph *g,
                                const c8_node *n, c8_error *err) {
    for (int k = 0; k < n->n_in; k++)
        C8_TRY(check_operand(c, g, n, n->in[k], nd->want_in[k], "input", k, err));
    C8_TRY(check_operand(c, g, n, n->fusion.residual, nd->want_res, "residual", 0, err));
    for (int k = 0; k < n->n_out; k++)
        C8_TRY(check_operand(c, g, n, n->out[k], nd->want_out[k], "output", k, err));
    if (n->op == C8_OP_REFORMAT && n->in[0] >= 0 &&
        !cu_fmt_eq(c->plan.fmt[n->in[0]], reformat_fmt(n, "from"))) {
        char sb[48], wb[48];
        return c8_node_err(err, g, n, C8_ERR_INTERNAL,
                           "converts '%s' from %s, but it is stored as %s", g->vals[n->in[0]].name,
                           fmt_str(reformat_fmt(n, "from"), wb, sizeof wb),
                           fmt_str(c->plan.fmt[n->in[0]], sb, sizeof sb));
    }
    return C8_OK;
}

/* A Reformat node (engine/build/reformat.c): the same values in the storage its output is
 * planned in; cu_convert zeroes the padded channels of NHWC32. */
static c8_status reformat_run(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                              cu_tensor *in, cu_tensor *out, cu_tensor *res, c8_error *err) {
    (void)nd;
    (void)g;
    (void)n;
    (void)res;
    return cu_convert(c, out[0].data, out[0].fmt, in[0].data, in[0].fmt, in[0].dtype, &in[0].shape,
                      err);
}

static c8_status cu_prepare(void *ctx, const c8_graph *g, const c8_node *n, const c8_layer *l,
                            void **node_state, c8_error *err) {
    cu_ctx *c = ctx;
    *node_state = NULL;
    if (n->n_in > CU_MAX_IO || n->n_out > CU_MAX_IO)
        return c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                           "more than %d inputs or outputs on the GPU", CU_MAX_IO);
    cu_node *nd = calloc(1, sizeof *nd);
    if (!nd) return c8_err(err, C8_ERR_NOMEM, "out of memory");
    nd->n_in = n->n_in;
    nd->n_out = n->n_out;
    for (int k = 0; k < CU_MAX_IO; k++) nd->want_in[k] = nd->want_out[k] = CU_WANT_ANY;
    nd->want_res = CU_WANT_ANY;
    c8_status s;
    switch (c8_op_info_of(n->op)->gpu) { /* the GPU column of ops/ops.def */
    case C8_GPU_CONV: s = cu_prepare_conv(c, nd, g, n, l, err); break;
    case C8_GPU_CONVT: s = cu_prepare_convt(c, nd, g, n, l, err); break;
    case C8_GPU_GEMM: s = cu_prepare_gemm(c, nd, g, n, l, err); break;
    case C8_GPU_MATMUL: s = cu_prepare_matmul(c, nd, g, n, l, err); break;
    case C8_GPU_Q8_QUANTIZE:
    case C8_GPU_Q8_CONV:
    case C8_GPU_Q8_POOL:
    case C8_GPU_Q8_ADD:
    case C8_GPU_Q8_CONCAT:
    case C8_GPU_Q8_MUL:
    case C8_GPU_F16_CAST: s = cu_prepare_q8(c, nd, g, n, l, err); break;
    case C8_GPU_REFORMAT:
        nd->run = reformat_run;
        s = C8_OK;
        break;
    default: s = cu_prepare_misc(c, nd, g, n, l, err); break;
    }
    /* The placement pass (engine/build/place.c) asked cu_supports; a node it put on the GPU
     * that the op cannot take for these shapes is an error, never a silent host fallback. */
    if (s == C8_OK && nd->impl == CU_IMPL_HOST)
        s = c8_node_err(err, g, n, C8_ERR_UNSUPPORTED,
                        "placed on the GPU, but the GPU cannot run it for these shapes (%s); "
                        "rebuild the plan for these input shapes or report it",
                        nd->why ? nd->why : "no GPU implementation");
    if (s == C8_OK && nd->lazy) c->n_lazy_nodes++;
    if (s == C8_OK) s = check_operands(c, nd, g, n, err);
    if (s == C8_OK) s = cu_scratch_reserve(c, nd->ws_bytes, err);
    if (s != C8_OK) {
        cu_release(c, nd);
        return s;
    }
    *node_state = nd;
    return C8_OK;
}

/* ================================================================== run */

/* Fills t for value v (in backend memory at data) with its stored format. */
static void operand(const cu_ctx *c, const c8_graph *g, int v, void *data, cu_tensor *t) {
    memset(t, 0, sizeof *t);
    t->v = v;
    if (v < 0) return;
    const c8_value *val = &g->vals[v];
    t->data = data;
    t->dtype = val->dtype;
    t->shape = val->shape;
    t->fmt = c->plan.fmt[v];
    if (val->kind == C8_VAL_CONST) t->host = val->data;
}

/* One run call, kept while capturing. */
typedef struct cu_rec {
    cu_node *nd;
    const c8_graph *g;
    const c8_node *n;
    const c8_layer *l;
    c8_host_tensor in[CU_MAX_IO], out[CU_MAX_IO], res;
    bool has_res;
} cu_rec;

static c8_status record(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                        const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                        const c8_host_tensor *residual, c8_error *err) {
    if (c->n_rec == c->cap_rec) {
        int nc = c->cap_rec ? 2 * c->cap_rec : 64;
        cu_rec *r = realloc(c->rec, (size_t)nc * sizeof *r);
        if (!r) return c8_err(err, C8_ERR_NOMEM, "out of memory");
        c->rec = r;
        c->cap_rec = nc;
    }
    cu_rec *r = &c->rec[c->n_rec++];
    r->nd = nd;
    r->g = g;
    r->n = n;
    r->l = l;
    memcpy(r->in, in, (size_t)n->n_in * sizeof *in);
    memcpy(r->out, out, (size_t)n->n_out * sizeof *out);
    r->has_res = residual != NULL;
    if (residual) r->res = *residual;
    return C8_OK;
}

/* Runs one node on operands as stored: the placement pass made every conversion a node
 * (engine/build/reformat.c) and cu_prepare checked that each operand arrives as the op wants. */
static c8_status run_node(cu_ctx *c, cu_node *nd, const c8_graph *g, const c8_node *n,
                          const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                          const c8_host_tensor *residual, c8_error *err) {
    const bool prof = c->profile && !c->capturing && c->runs >= 2; /* not the first run */
    double t0 = 0;
    if (prof) {
        C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
        t0 = now_ms();
    }
    cu_tensor tin[CU_MAX_IO], tout[CU_MAX_IO], tres;
    for (int k = 0; k < n->n_in; k++) operand(c, g, n->in[k], in[k].data, &tin[k]);
    operand(c, g, n->fusion.residual, residual ? residual->data : NULL, &tres);
    for (int k = 0; k < n->n_out; k++) operand(c, g, n->out[k], out[k].data, &tout[k]);
    size_t off = 0;
    c->ws = nd->ws_bytes ? cu_scratch(c, &off, nd->ws_bytes) : NULL;
    c->ws_bytes = nd->ws_bytes;
    c8_status s = nd->run(c, nd, g, n, tin, tout, n->fusion.residual >= 0 ? &tres : NULL, err);
    if (s == C8_OK && prof) {
        C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
        const double ms = now_ms() - t0;
        c->prof_ms[n->op] += ms;
        c->prof_n[n->op]++;
        if (c->profile_nodes) /* tab-separated: node, op, ms, the layer's kernel */
            fprintf(stderr, "c8node\t%s\t%s\t%.4f\t%s\n", n->name, c8_op_name(n->op), ms,
                    l ? l->kernel : "");
    }
    if (s != C8_OK && err && !strstr(err->msg, n->name)) c8_node_err(err, g, n, s, "%s", err->msg);
    return s;
}

/* Runs node n. While capturing, every call is recorded first: if a call fails inside the
 * capture (the capture broke), the capture is discarded and the recorded calls, this one last,
 * run node by node, so the run completes either way. */
static c8_status cu_run(void *ctx, void *node_state, const c8_graph *g, const c8_node *n,
                        const c8_layer *l, const c8_host_tensor *in, c8_host_tensor *out,
                        const c8_host_tensor *residual, c8_error *err) {
    cu_ctx *c = ctx;
    cu_node *nd = node_state;
    if (!nd) return c8_node_err(err, g, n, C8_ERR_INTERNAL, "node was not prepared");
    if (!c->capturing) return run_node(c, nd, g, n, l, in, out, residual, err);
    C8_TRY(record(c, nd, g, n, l, in, out, residual, err));
    if (run_node(c, nd, g, n, l, in, out, residual, err) == C8_OK) return C8_OK;
    if (getenv("C8_CUDA_VERBOSE"))
        fprintf(stderr, "cuda: graph capture broke (%s); running node by node\n", err->msg);
    capture_broken(c);
    for (int i = 0; i < c->n_rec; i++) {
        cu_rec *r = &c->rec[i];
        C8_TRY(
            run_node(c, r->nd, r->g, r->n, r->l, r->in, r->out, r->has_res ? &r->res : NULL, err));
    }
    return C8_OK;
}

/* ================================================================== graph capture */

/* The first run of a specialization goes node by node (ops may still pick algorithms); the
 * second is captured into a CUDA Graph, which later runs of the same shapes replay. No capture
 * while observing or with host steps in the plan (may_capture false), or after a failed capture. */
static c8_status cu_run_begin(void *ctx, bool may_capture, bool *replayed, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    *replayed = false;
    c->runs++;
    if (!may_capture || !c->graphs_enabled || c->capture_failed) return C8_OK;
    if (c->gexec) {
        C8_CUDA_TRY(err, cudaGraphLaunch(c->gexec, c->stream));
        *replayed = true;
        return C8_OK;
    }
    if (c->runs < 2) return C8_OK;
    c->n_rec = 0;
    cudaError_t e = cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) {
        capture_broken(c);
        return C8_OK;
    }
    c->capturing = true;
    return C8_OK;
}

static c8_status cu_run_end(void *ctx, c8_error *err) {
    cu_ctx *c = ctx;
    if (!c->capturing) return C8_OK;
    c->capturing = false;
    cudaGraph_t gr = NULL;
    cudaError_t e = cudaStreamEndCapture(c->stream, &gr);
    if (e == cudaSuccess && gr) e = cudaGraphInstantiate(&c->gexec, gr, 0);
    if (gr) cudaGraphDestroy(gr);
    if (e == cudaSuccess) {
        C8_CUDA_TRY(err, cudaGraphLaunch(c->gexec, c->stream));
        return C8_OK;
    }
    /* capture failed: nothing ran; run the recorded calls node by node */
    c->gexec = NULL;
    capture_broken(c);
    if (getenv("C8_CUDA_VERBOSE"))
        fprintf(stderr, "cuda: graph capture failed (%s); running node by node\n",
                cudaGetErrorString(e));
    for (int i = 0; i < c->n_rec; i++) {
        cu_rec *r = &c->rec[i];
        C8_TRY(
            run_node(c, r->nd, r->g, r->n, r->l, r->in, r->out, r->has_res ? &r->res : NULL, err));
    }
    return C8_OK;
}

/* A placed segment (vt->run_segment): the node loop with cu_run for each node; the first
 * segment of a run begins it (graph replay or capture when the segment is the whole forward,
 * seg->may_capture) and ends a capture after its loop. */
static c8_status cu_run_segment(void *ctx, const c8_segment *seg, c8_error *err) {
    bool replayed = false;
    if (seg->starts_run) C8_TRY(cu_run_begin(ctx, seg->may_capture, &replayed, err));
    if (replayed) return C8_OK;
    C8_TRY(c8_segment_run_nodes(ctx, seg, cu_run, err));
    return cu_run_end(ctx, err);
}

/* ================================================================== tuning (build time) */

static c8_status cu_tune(const c8_backend_engine *e, const c8_tune_options *opt, c8_error *err) {
    void *cs = NULL;
    C8_TRY(cu_context_init(e, &cs, err));
    cu_ctx *c = cs;
    FILE *log = opt->log;
    if (log) {
        bool any32 = false;
        for (int i = 0; i < e->n_layers; i++)
            any32 |= e->layers[i].precision == C8_LAYER_PREC_FP32 &&
                     e->layers[i].role == C8_LAYER_COMPUTE;
        if (any32)
            fprintf(log, "cuda: FP32 layers run with TF32 %s\n",
                    e->tf32 ? "allowed (--tf32: cuDNN default math, CUBLAS_COMPUTE_32F_FAST_TF32)"
                            : "off (CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F)");
    }
    /* The batch buckets: a graph whose inputs' axis 0 is dynamic is tuned at every bucket of
     * opt->batches (INT8 layers record one choice per bucket; cuda_q8.c picks by batch at run
     * time); a fixed batch is tuned at that batch alone. Other dynamic extents are taken at the
     * optimization profile's optimum (opt->opt_shapes), or as 1 without a profile. */
    bool dyn_batch = false;
    for (int i = 0; i < e->g->n_inputs; i++) {
        const c8_shape *sh = &e->g->vals[e->g->inputs[i]].shape;
        dyn_batch |= sh->rank >= 1 && sh->d[0] < 0;
    }
    const int nb = dyn_batch && opt->n_batches > 0 ? opt->n_batches : 1;
    c8_status st = C8_OK;
    c8_graph *s = NULL;
    for (int b = 0; st == C8_OK && b < nb; b++) {
        c8_graph_destroy(s);
        s = c8_graph_clone_shallow(e->g);
        if (!s) {
            st = c8_err(err, C8_ERR_NOMEM, "out of memory");
            break;
        }
        const int64_t batch = dyn_batch && opt->n_batches > 0 ? opt->batches[b] : 0;
        for (int i = 0; i < s->n_inputs; i++) {
            c8_shape *sh = &s->vals[s->inputs[i]].shape;
            const c8_shape *os = opt->opt_shapes ? &opt->opt_shapes[i] : NULL;
            for (int d = 0; d < sh->rank; d++)
                if (sh->d[d] < 0)
                    sh->d[d] = d == 0 && batch > 0          ? batch
                               : os && os->rank == sh->rank ? os->d[d]
                                                            : 1;
        }
        c8_error ie = {0};
        if (c8_graph_infer(s, true, NULL, &ie) != C8_OK) {
            if (log) fprintf(log, "cuda: kernels not tuned at build time (%s)\n", ie.msg);
            goto done;
        }
        if (log && batch > 0 && opt->verbose)
            fprintf(log, "cuda: tuning INT8 kernels at batch %lld (bucket %d of %d)\n",
                    (long long)batch, b + 1, nb);
        const c8_q8_bucket bk = {b, batch > 0 ? nb : 0, batch};
        for (int i = 0; st == C8_OK && i < s->n_nodes; i++) {
            const c8_node *n = &s->nodes[i];
            if (n->layer < 0) continue;
            c8_layer *l = &e->layers[n->layer];
            if (l->place == C8_PLACE_HOST) continue; /* placed on the host: nothing to tune */
            /* float convolutions: chosen for the exact shape they see (others are timed when
             * first run), so tuned once, at the largest bucket: the batch a server fills */
            if ((n->op == C8_OP_CONV || n->op == C8_OP_FUSED_CONV) && b == nb - 1)
                st = cu_tune_conv(c, e, s, n, l, opt, err);
            else if (n->op == C8_OP_Q8_CONV || n->op == C8_OP_Q8_GEMM)
                st = cu_tune_q8(c, e, s, n, l, opt, &bk, err);
        }
    }
done:
    c8_graph_destroy(s);
    cu_context_fini(c);
    return st;
}

/* ================================================================== histograms */

static const char *nonfinite_name(float v) {
    if (v != v) return "NaN";
    return v > 0 ? "+Inf" : "-Inf";
}

/* The batch's bins are built on the GPU with its own power-of-two range (absmax first, then
 * shared-memory bins) and come back as uint64 counts with the statistics; calib/ merges them
 * into its histogram exactly (c8_hist_add_observed), equal to c8_hist_add on the same values. */
static c8_status cu_hist_bins(void *ctx, const void *data, size_t count, int64_t nbins,
                              uint64_t *counts_out, int *exp, float *absmax, float *min, float *max,
                              const char *tensor, int64_t batch, c8_error *err) {
    cu_ctx *c = ctx;
    abort_capture(c);
    if (count == 0) return C8_OK;
    const size_t bytes = c8cu_hist_dev_bytes(nbins);
    if (nbins != c->hist_nbins) {
        if (c->hist_dev) C8_CUDA_TRY(err, cudaFree(c->hist_dev));
        if (c->hist_host) C8_CUDA_TRY(err, cudaFreeHost(c->hist_host));
        c->hist_dev = c->hist_host = NULL;
        c->hist_nbins = 0;
        C8_CUDA_TRY(err, cu_malloc((void **)&c->hist_dev, bytes));
        C8_CUDA_TRY(err, cudaMallocHost(&c->hist_host, bytes));
        c->hist_nbins = nbins;
    }
    C8_TRY(c8cu_hist(data, count, nbins, c->hist_dev, c->sm_count, c->stream, err));
    C8_CUDA_TRY(
        err, cudaMemcpyAsync(c->hist_host, c->hist_dev, bytes, cudaMemcpyDeviceToHost, c->stream));
    C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
    const c8cu_hist_header *hd = c->hist_host;
    if (hd->amax_bits >= 0x7f800000u) {
        float bad = 0;
        size_t at = (size_t)hd->first_bad;
        C8_CUDA_TRY(err, cudaMemcpyAsync(&bad, (const float *)data + at, sizeof bad,
                                         cudaMemcpyDeviceToHost, c->stream));
        C8_CUDA_TRY(err, cudaStreamSynchronize(c->stream));
        return c8_err(err, C8_ERR_INVALID, "tensor '%s': batch %lld: %s at element %zu of %zu",
                      tensor ? tensor : "?", (long long)batch, nonfinite_name(bad), at, count);
    }
    memcpy(absmax, &hd->amax_bits, sizeof *absmax);
    *min = c8_hist_key_float(hd->kmin) + 0.0f;
    *max = c8_hist_key_float(hd->kmax) + 0.0f;
    if (hd->exp != c8_hist_exp_for(*absmax))
        return c8_err(err, C8_ERR_INTERNAL,
                      "tensor '%s': GPU histogram range 2^%d differs from the rule's 2^%d",
                      tensor ? tensor : "?", (int)hd->exp, c8_hist_exp_for(*absmax));
    *exp = hd->exp;
    memcpy(counts_out, (const char *)c->hist_host + sizeof(c8cu_hist_header),
           (size_t)nbins * sizeof *counts_out);
    return C8_OK;
}

/* ================================================================== observers */

static c8_status cu_observe(void *ctx, const c8_graph *g, int v, c8_host_tensor *t, c8_error *err) {
    cu_ctx *c = ctx;
    if (v < 0 || v >= c->plan.n_vals || !t->data) return C8_OK;
    cu_fmt st = c->plan.fmt[v], canon = cu_canon(g->vals[v].dtype);
    if (cu_fmt_eq(st, canon)) return C8_OK;
    size_t bytes = cu_fmt_bytes(&t->shape, canon);
    if (bytes > c->obs_bytes) {
        if (c->obs) C8_CUDA_TRY(err, cudaFree(c->obs));
        c->obs = NULL;
        c->obs_bytes = 0;
        C8_CUDA_TRY(err, cu_malloc((void **)&c->obs, bytes));
        c->obs_bytes = bytes;
    }
    C8_TRY(cu_convert(c, c->obs, canon, t->data, st, t->dtype, &t->shape, err));
    t->data = c->obs;
    return C8_OK;
}

/* ================================================================== bench support */

static c8_status cu_mark(void *ctx, int slot, c8_error *err) {
    cu_ctx *c = ctx;
    if (slot < 0 || slot >= C8_BACKEND_MARKS) return c8_err(err, C8_ERR_INVALID, "bad mark");
    C8_CUDA_TRY(err, cudaEventRecord(c->marks[slot], c->stream));
    return C8_OK;
}

static c8_status cu_elapsed(void *ctx, int a, int b, float *ms, c8_error *err) {
    cu_ctx *c = ctx;
    if (a < 0 || b < 0 || a >= C8_BACKEND_MARKS || b >= C8_BACKEND_MARKS)
        return c8_err(err, C8_ERR_INVALID, "bad mark");
    C8_CUDA_TRY(err, cudaEventSynchronize(c->marks[b]));
    C8_CUDA_TRY(err, cudaEventElapsedTime(ms, c->marks[a], c->marks[b]));
    return C8_OK;
}

static c8_status cu_device_info(void *ctx, c8_device_props *o, c8_error *err) {
    cu_ctx *c = ctx;
    memset(o, 0, sizeof *o);
    struct cudaDeviceProp p;
    C8_CUDA_TRY(err, cudaGetDeviceProperties(&p, c->device));
    snprintf(o->name, sizeof o->name, "%s", p.name);
    o->cc_major = p.major;
    o->cc_minor = p.minor;
    o->sm_count = p.multiProcessorCount;
    o->mem_bytes = (uint64_t)p.totalGlobalMem;
    C8_CUDA_TRY(err, cudaDeviceGetAttribute(&o->sm_clock_khz, cudaDevAttrClockRate, c->device));
    C8_CUDA_TRY(err,
                cudaDeviceGetAttribute(&o->mem_clock_khz, cudaDevAttrMemoryClockRate, c->device));
    C8_CUDA_TRY(
        err, cudaDeviceGetAttribute(&o->mem_bus_bits, cudaDevAttrGlobalMemoryBusWidth, c->device));
    C8_CUDA_TRY(err, cudaDriverGetVersion(&o->driver_version));
    C8_CUDA_TRY(err, cudaRuntimeGetVersion(&o->runtime_version));
    o->dnn_version = (int)cudnnGetVersion();
    o->blas_version = (int)cublasLtGetVersion();
    return C8_OK;
}

const c8_backend_vt c8_backend_cuda = {
    .name = "cuda",
    .host_memory = false,
    .int8_nearest_resize = true,
    .engine_init = cu_engine_init,
    .engine_fini = cu_engine_fini,
    .context_init = cu_context_init,
    .context_fini = cu_context_fini,
    .alloc = cu_alloc,
    .free = cu_free,
    .upload = cu_upload,
    .download = cu_download,
    .supports = cu_supports,
    .layouts = cu_layouts,
    .wants = cu_wants,
    .prepare = cu_prepare,
    .release = cu_release,
    .run_segment = cu_run_segment,
    .sync = cu_sync,
    .tune = cu_tune,
    .hist_bins = cu_hist_bins,
    .plan = cu_plan_values,
    .observe = cu_observe,
    .mark = cu_mark,
    .elapsed = cu_elapsed,
    .device_info = cu_device_info,
};
