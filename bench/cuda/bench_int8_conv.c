/* Per-layer benchmark of ResNet-50's convolutions (batch 128 by default) on the GPU:
 * calib8 dp4a (best tile), calib8 tensor-core IMMA (best tile), calib8 cuBLASLt path (1x1 s1),
 * the CUTLASS tiles with calib8's epilogue (best tile; builds with CUTLASS), cuDNN FP16 (NHWC,
 * tensor-op math, best algorithm from cudnnFind) and cuDNN INT8 (legacy API: NCHW_VECT_C int8x32 if
 * it runs, else NHWC int8), all in one run on one GPU, with the dp4a and mma.sync s8 register-only
 * peaks measured first. Every time is the median of --reps runs, each on a flushed L2, timed alone
 * with CUDA events (c8_cuda_time_launch, the method the builder uses). TOPS = 2*N*P*Q*K*C*R*S /
 * time with the layer's real C (conv1: 3). The 1x1 layers that end a bottleneck block read the
 * block's residual in the epilogue, as in the network. The summary adds up the 52 convolutions
 * after conv1 with each layer's count in ResNet-50: calib8's own kernels, CUTLASS, and the best of
 * all (what the builder's timing picks). bench_cuda_int8_conv [--batch N] [--reps R] [--only NAME]
 * [--no-cudnn-int8] [--out FILE.md] Prints a table; --out also writes it (atomically) as a results
 * file with device and date. */
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/int8/int8_cuda.h"
#include "kernels/ref/fp16.h"
#include "util/fileio.h"

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

c8_status c8_bench_peaks(int sm_count, cudaStream_t stream, double *dp4a_tops, double *imma_tops,
                         c8_error *err);

#include "bench_report.h"
#include "resnet50_convs.h"

typedef struct result {
    double dp4a_ms, imma_ms, lt_ms, cutlass_ms, fp16_ms, i8_ms;
    const char *dp4a_name, *imma_name, *cutlass_name;
    char i8_kind[32];
} result;

static c8_cuda_int8_ctx *g_ctx;
static cudaStream_t g_stream;
static cudnnHandle_t g_dnn;
static int g_reps = 10;
static int g_no_cudnn_int8;

/* ---- the report: printed and kept for --out ---- */
static c8b_report g_report;
#define say(...) c8b_say(&g_report, __VA_ARGS__)

/* ---- cuDNN ---- */
typedef struct dnn_launch {
    cudnnTensorDescriptor_t xd, yd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnConvolutionFwdAlgo_t algo;
    const void *x, *w;
    void *y, *ws;
    size_t ws_bytes;
} dnn_launch;

static c8_status dnn_launch_fn(void *user, cudaStream_t stream, c8_error *err) {
    (void)stream; /* the handle is bound to g_stream */
    dnn_launch *l = (dnn_launch *)user;
    const float alpha = 1.0f, beta = 0.0f;
    C8_CUDNN_TRY(err, cudnnConvolutionForward(g_dnn, &alpha, l->xd, l->x, l->wd, l->w, l->cd,
                                              l->algo, l->ws, l->ws_bytes, &beta, l->yd, l->y));
    return C8_OK;
}

/* Times every forward algorithm cuDNN accepts for the configured descriptors (after asking
 * cudnnFind when it works) and returns the fastest median in ms, or -1. */
static double dnn_best(dnn_launch *l, void *ws, size_t ws_cap, const char *what) {
    c8_error err;
    memset(&err, 0, sizeof err);
    double best = -1.0;
    int best_algo = -1;
    for (int a = 0; a < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; a++) {
        size_t need = 0;
        if (cudnnGetConvolutionForwardWorkspaceSize(g_dnn, l->xd, l->wd, l->cd, l->yd,
                                                    (cudnnConvolutionFwdAlgo_t)a,
                                                    &need) != CUDNN_STATUS_SUCCESS ||
            need > ws_cap)
            continue;
        l->algo = (cudnnConvolutionFwdAlgo_t)a;
        l->ws = ws;
        l->ws_bytes = need;
        /* one plain try first: unsupported combinations fail here, cheaply */
        if (dnn_launch_fn(l, g_stream, &err) != C8_OK ||
            cudaStreamSynchronize(g_stream) != cudaSuccess)
            continue;
        float med = 0.0f, mn = 0.0f;
        if (c8_cuda_time_launch(g_ctx, dnn_launch_fn, l, 1, g_reps, g_stream, &med, &mn, &err) !=
            C8_OK)
            continue;
        if (best < 0 || med < best) {
            best = med;
            best_algo = a;
        }
    }
    (void)cudaGetLastError();
    if (best_algo >= 0) fprintf(stderr, "  %s: cuDNN algo %d\n", what, best_algo);
    return best;
}

static void *dev_random_half(size_t n) {
    uint16_t *h = malloc(n * sizeof *h);
    if (!h) return NULL;
    uint64_t s = 0x1234567;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        float v = (float)((int)((s >> 33) % 2001) - 1000) / 1000.0f; /* [-1, 1] */
        h[i] = c8_fp16_from_f32(v);
    }
    void *d = NULL;
    if (cudaMalloc(&d, n * 2) == cudaSuccess) cudaMemcpy(d, h, n * 2, cudaMemcpyHostToDevice);
    free(h);
    return d;
}

static double bench_cudnn_fp16(const layer *L, int n, int p, void *ws, size_t ws_cap) {
    dnn_launch l;
    memset(&l, 0, sizeof l);
    double best = -1.0;
    void *x = dev_random_half((size_t)n * L->c * L->h * L->h);
    void *w = dev_random_half((size_t)L->k * L->c * L->r * L->r);
    void *y = NULL;
    cudaMalloc(&y, (size_t)n * L->k * p * p * 2);
    if (!x || !w || !y) goto out;
    cudnnCreateTensorDescriptor(&l.xd);
    cudnnCreateTensorDescriptor(&l.yd);
    cudnnCreateFilterDescriptor(&l.wd);
    cudnnCreateConvolutionDescriptor(&l.cd);
    if (cudnnSetTensor4dDescriptor(l.xd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, L->c, L->h, L->h) ||
        cudnnSetFilter4dDescriptor(l.wd, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC, L->k, L->c, L->r,
                                   L->r) ||
        cudnnSetConvolution2dDescriptor(l.cd, L->pad, L->pad, L->stride, L->stride, 1, 1,
                                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT) ||
        cudnnSetConvolutionMathType(l.cd, CUDNN_TENSOR_OP_MATH) ||
        cudnnSetTensor4dDescriptor(l.yd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, L->k, p, p))
        goto out;
    l.x = x;
    l.w = w;
    l.y = y;
    best = dnn_best(&l, ws, ws_cap, "fp16");
out:
    if (l.cd) cudnnDestroyConvolutionDescriptor(l.cd);
    if (l.wd) cudnnDestroyFilterDescriptor(l.wd);
    if (l.yd) cudnnDestroyTensorDescriptor(l.yd);
    if (l.xd) cudnnDestroyTensorDescriptor(l.xd);
    cudaFree(x);
    cudaFree(w);
    cudaFree(y);
    return best;
}

/* vect32: NCHW_VECT_C int8x32 (C, K padded to 32), else NHWC int8 (C padded to 4), int8 out. */
static double bench_cudnn_int8(const layer *L, int n, int p, void *ws, size_t ws_cap, int vect32) {
    dnn_launch l;
    memset(&l, 0, sizeof l);
    double best = -1.0;
    int ca = vect32 ? 32 : 4;
    int c = (L->c + ca - 1) / ca * ca, k = (L->k + ca - 1) / ca * ca;
    size_t xb = (size_t)n * c * L->h * L->h, wb = (size_t)k * c * L->r * L->r;
    size_t yb = (size_t)n * k * p * p;
    void *x = NULL, *w = NULL, *y = NULL;
    c8_error err;
    memset(&err, 0, sizeof err);
    if (cudaMalloc(&x, xb) || cudaMalloc(&w, wb) || cudaMalloc(&y, yb)) goto out;
    if (c8_cuda_fill_random_i8(x, xb, 1, g_stream, &err) ||
        c8_cuda_fill_random_i8(w, wb, 2, g_stream, &err))
        goto out;
    cudnnCreateTensorDescriptor(&l.xd);
    cudnnCreateTensorDescriptor(&l.yd);
    cudnnCreateFilterDescriptor(&l.wd);
    cudnnCreateConvolutionDescriptor(&l.cd);
    cudnnTensorFormat_t fmt = vect32 ? CUDNN_TENSOR_NCHW_VECT_C : CUDNN_TENSOR_NHWC;
    cudnnDataType_t dt = vect32 ? CUDNN_DATA_INT8x32 : CUDNN_DATA_INT8;
    if (cudnnSetTensor4dDescriptor(l.xd, fmt, dt, n, c, L->h, L->h) ||
        cudnnSetFilter4dDescriptor(l.wd, dt, fmt, k, c, L->r, L->r) ||
        cudnnSetConvolution2dDescriptor(l.cd, L->pad, L->pad, L->stride, L->stride, 1, 1,
                                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_INT32) ||
        cudnnSetTensor4dDescriptor(l.yd, fmt, dt, n, k, p, p))
        goto out;
    l.x = x;
    l.w = w;
    l.y = y;
    best = dnn_best(&l, ws, ws_cap, vect32 ? "int8x32" : "int8 nhwc");
out:
    (void)cudaGetLastError();
    if (l.cd) cudnnDestroyConvolutionDescriptor(l.cd);
    if (l.wd) cudnnDestroyFilterDescriptor(l.wd);
    if (l.yd) cudnnDestroyTensorDescriptor(l.yd);
    if (l.xd) cudnnDestroyTensorDescriptor(l.xd);
    cudaFree(x);
    cudaFree(w);
    cudaFree(y);
    return best;
}

static double tops(double ops, double ms) { return ms > 0 ? ops / (ms * 1e-3) / 1e12 : 0.0; }

int main(int argc, char **argv) {
    int batch = 128;
    const char *only = NULL, *out_path = NULL;
    static const struct option opts[] = {{"batch", required_argument, 0, 'b'},
                                         {"reps", required_argument, 0, 'r'},
                                         {"only", required_argument, 0, 'o'},
                                         {"out", required_argument, 0, 'f'},
                                         {"no-cudnn-int8", no_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'b': batch = atoi(optarg); break;
        case 'r': g_reps = atoi(optarg); break;
        case 'o': only = optarg; break;
        case 'f': out_path = optarg; break;
        case 'n': g_no_cudnn_int8 = 1; break;
        default:
            printf("usage: bench_cuda_int8_conv [--batch N] [--reps R] [--only NAME] "
                   "[--no-cudnn-int8] [--out FILE]\n");
            return ch == 'h' ? 0 : 2;
        }
    }
    if (batch < 1 || g_reps < 1 || g_reps > 64) {
        fprintf(stderr, "bench_cuda_int8_conv: --batch >= 1, --reps in [1, 64]\n");
        return 2;
    }
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1) {
        printf("bench_cuda_int8_conv: no CUDA device\n");
        return 77;
    }
    c8_error err;
    memset(&err, 0, sizeof err);
    if (c8_cuda_int8_ctx_create(0, &g_ctx, &err) != C8_OK ||
        C8_CUDA_CHECK(&err, cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking)) != C8_OK ||
        C8_CUDNN_CHECK(&err, cudnnCreate(&g_dnn)) != C8_OK ||
        C8_CUDNN_CHECK(&err, cudnnSetStream(g_dnn, g_stream)) != C8_OK) {
        fprintf(stderr, "bench_cuda_int8_conv: %s\n", err.msg);
        return 1;
    }
    struct cudaDeviceProp prop;
    cudaGetDeviceProperties(&prop, 0);
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    /* about two seconds of load first, so that clocks have ramped up before anything is timed;
     * the peaks of the last round are kept */
    double dp4a_peak = 0, imma_w[3] = {0, 0, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int round = 0; round < 100; round++) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec) > 2.0) break;
        if (c8_bench_peaks(prop.multiProcessorCount, g_stream, &dp4a_peak, imma_w, &err) != C8_OK) {
            fprintf(stderr, "bench_cuda_int8_conv: peaks: %s\n", err.msg);
            return 1;
        }
    }
    say("# calib8 INT8 convolution benchmark: ResNet-50 layers, batch %d\n\n", batch);
    say("- device: %s, sm_%d%d, %d SMs, L2 %d MB; CUDA runtime %d, driver %d, cuDNN %zu\n",
        prop.name, prop.major, prop.minor, prop.multiProcessorCount, prop.l2CacheSize >> 20, rt,
        drv, cudnnGetVersion());
    say("- date: %s\n", date);
    say("- method: median of %d runs, each on a flushed L2 (memset of 2x L2), CUDA events around "
        "the kernel(s) alone; inputs random int8 / fp16 in [-1, 1]; calib8 epilogue: int32 bias, "
        "per-channel requantize, residual (expanding 1x1 layers), ReLU, int8 NHWC32 output\n",
        g_reps);
    say("- measured peaks (register-only loops): dp4a %.1f TOPS; mma.sync m16n8k32 s8 %.1f TOPS "
        "(%.1f with 16 warps/SM, %.1f with 8 warps/SM)\n",
        dp4a_peak, imma_w[2], imma_w[1], imma_w[0]);
    say("- TOPS = 2*N*P*Q*K*C*R*S / time, real C (conv1: 3); calib8 pads channels to 32\n\n");
    say("| layer | NxCxHxW -> K | calib8 dp4a | calib8 IMMA | cuBLASLt+epi | CUTLASS | cuDNN FP16 "
        "| "
        "cuDNN INT8 | IMMA/FP16 | CUTLASS/own | best/mma peak | best dp4a tile | best IMMA tile | "
        "best CUTLASS tile |\n");
    say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | "
        "--- |\n");
    double sum_own = 0, sum_cutlass = 0, sum_best = 0, sum_ops = 0;
    int sum_layers = 0, sum_complete = 1;

    size_t ws_cap = (size_t)512 << 20;
    void *dnn_ws = NULL;
    if (C8_CUDA_CHECK(&err, cudaMalloc(&dnn_ws, ws_cap)) != C8_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int rc = 0;
    int32_t best_imma[N_LAYERS];
    for (int li = 0; li < N_LAYERS; li++) {
        best_imma[li] = -1;
        const layer *L = &kLayers[li];
        if (only && !strstr(L->name, only)) continue;
        c8_conv2d_desc d;
        memset(&d, 0, sizeof d);
        d.n = batch;
        d.c = L->c;
        d.h = d.w = L->h;
        d.k = L->k;
        d.r = d.s = L->r;
        d.stride_h = d.stride_w = L->stride;
        d.pad_t = d.pad_l = d.pad_b = d.pad_r = L->pad;
        d.dil_h = d.dil_w = 1;
        d.group = 1;
        d.p = d.q = (L->h + 2 * L->pad - L->r) / L->stride + 1;
        const double ops = 2.0 * batch * (double)d.p * d.q * L->k * L->c * L->r * L->r;
        float one = 1.0f;
        int32_t zero = 0;
        /* the timing allocates its own residual; any non-NULL pointer asks for one */
        c8_int8_epilogue ep = {C8_QOUT_INT8, &zero,
                               &one,         L->residual ? (const int8_t *)&zero : NULL,
                               0.5f,         {C8_QACT_RELU, -INFINITY, INFINITY, 0.0f}};
        int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
        int na = c8_cuda_int8_conv_candidates(g_ctx, &d, &ep, algos);
        c8_cuda_int8_timing t[C8_CUDA_INT8_ALGO_COUNT];
        result r;
        memset(&r, 0, sizeof r);
        r.dp4a_ms = r.imma_ms = r.lt_ms = r.cutlass_ms = r.fp16_ms = r.i8_ms = -1.0;
        r.dp4a_name = r.imma_name = r.cutlass_name = "-";
        if (c8_cuda_int8_conv_time(g_ctx, &d, &ep, algos, na, 2, g_reps, g_stream, t, &err) !=
            C8_OK) {
            fprintf(stderr, "%s: %s\n", L->name, err.msg);
            rc = 1;
            continue;
        }
        for (int i = 0; i < na; i++) {
            if (t[i].status != C8_OK) {
                fprintf(stderr, "  %s: %s failed (%s)\n", L->name, t[i].name,
                        c8_status_name(t[i].status));
                continue;
            }
            double ms = t[i].ms_median;
            fprintf(stderr, "  %s: %-28s %9.4f ms %7.1f TOPS\n", L->name, t[i].name, ms,
                    tops(ops, ms));
            int kind = c8_cuda_int8_algo_kind_of(t[i].algo);
            if (kind == C8_CUDA_INT8_KIND_DP4A) {
                if (r.dp4a_ms < 0 || ms < r.dp4a_ms) {
                    r.dp4a_ms = ms;
                    r.dp4a_name = t[i].name;
                }
            } else if (kind == C8_CUDA_INT8_KIND_IMMA) {
                if (r.imma_ms < 0 || ms < r.imma_ms) {
                    r.imma_ms = ms;
                    r.imma_name = t[i].name;
                    best_imma[li] = t[i].algo;
                }
            } else if (kind == C8_CUDA_INT8_KIND_CUBLASLT) {
                r.lt_ms = ms;
            } else if (kind == C8_CUDA_INT8_KIND_CUTLASS ||
                       kind == C8_CUDA_INT8_KIND_CUTLASS_SM90) {
                if (r.cutlass_ms < 0 || ms < r.cutlass_ms) {
                    r.cutlass_ms = ms;
                    r.cutlass_name = t[i].name;
                }
            }
        }
        r.fp16_ms = bench_cudnn_fp16(L, batch, (int)d.p, dnn_ws, ws_cap);
        double v32 =
            g_no_cudnn_int8 ? -1.0 : bench_cudnn_int8(L, batch, (int)d.p, dnn_ws, ws_cap, 1);
        double nhwc =
            g_no_cudnn_int8 ? -1.0 : bench_cudnn_int8(L, batch, (int)d.p, dnn_ws, ws_cap, 0);
        if (v32 > 0 && (nhwc < 0 || v32 <= nhwc)) {
            r.i8_ms = v32;
            snprintf(r.i8_kind, sizeof r.i8_kind, "x32");
        } else if (nhwc > 0) {
            r.i8_ms = nhwc;
            snprintf(r.i8_kind, sizeof r.i8_kind, "nhwc");
        }
        char lt[32] = "-", f16[32] = "-", i8[48] = "-", ratio[32] = "-", cut[32] = "-",
             cut_own[32] = "-";
        /* calib8's own best (dp4a, IMMA, cuBLASLt) and the best of all */
        double own = r.imma_ms;
        if (own < 0 || (r.dp4a_ms > 0 && r.dp4a_ms < own)) own = r.dp4a_ms;
        if (r.lt_ms > 0 && (own < 0 || r.lt_ms < own)) own = r.lt_ms;
        double best = own;
        if (r.cutlass_ms > 0 && (best < 0 || r.cutlass_ms < best)) best = r.cutlass_ms;
        if (r.cutlass_ms > 0) snprintf(cut, sizeof cut, "%.1f", tops(ops, r.cutlass_ms));
        if (r.cutlass_ms > 0 && own > 0)
            snprintf(cut_own, sizeof cut_own, "%.2fx", own / r.cutlass_ms);
        if (li > 0) { /* the 52 convolutions after conv1 */
            sum_layers += L->count;
            sum_ops += L->count * ops;
            if (own > 0 && r.cutlass_ms > 0) {
                sum_own += L->count * own;
                sum_cutlass += L->count * r.cutlass_ms;
                sum_best += L->count * best;
            } else {
                sum_complete = 0;
            }
        }
        if (r.lt_ms > 0) snprintf(lt, sizeof lt, "%.1f", tops(ops, r.lt_ms));
        if (r.fp16_ms > 0) snprintf(f16, sizeof f16, "%.1f", tops(ops, r.fp16_ms));
        if (r.i8_ms > 0) snprintf(i8, sizeof i8, "%.1f (%s)", tops(ops, r.i8_ms), r.i8_kind);
        if (r.fp16_ms > 0 && r.imma_ms > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", r.fp16_ms / r.imma_ms);
        say("| %s%s | %dx%dx%dx%d -> %d | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %.0f%% | %s "
            "| "
            "%s | %s |\n",
            L->name, L->residual ? " +res" : "", batch, L->c, L->h, L->h, L->k,
            tops(ops, r.dp4a_ms), tops(ops, r.imma_ms), lt, cut, f16, i8, ratio, cut_own,
            imma_w[2] > 0 ? 100.0 * tops(ops, best) / imma_w[2] : 0.0, r.dp4a_name, r.imma_name,
            r.cutlass_name);
    }
    say("\nIMMA/FP16 = cuDNN FP16 time / calib8 best IMMA time; CUTLASS/own = calib8's own best "
        "time (dp4a, IMMA, cuBLASLt) / CUTLASS best time; best/mma peak = the best kernel's TOPS "
        "over the measured mma.sync s8 peak.\n");
    if (sum_layers > 0 && sum_complete)
        say("\n- the %d convolutions after conv1 (ResNet-50 counts), batch %d: calib8's own "
            "kernels "
            "%.3f ms (%.0f TOPS), CUTLASS %.3f ms (%.0f TOPS), best of all %.3f ms (%.0f TOPS)\n",
            sum_layers, batch, sum_own, tops(sum_ops, sum_own), sum_cutlass,
            tops(sum_ops, sum_cutlass), sum_best, tops(sum_ops, sum_best));

    /* The tensor-core target layer once more, with 30 runs each, alternating twice. */
    for (int li = 0; li < N_LAYERS; li++) {
        const layer *L = &kLayers[li];
        if (strcmp(L->name, "s3 3x3 256->256") || best_imma[li] < 0 ||
            (only && !strstr(L->name, only)))
            continue;
        c8_conv2d_desc d;
        memset(&d, 0, sizeof d);
        d.n = batch;
        d.c = L->c;
        d.h = d.w = L->h;
        d.k = L->k;
        d.r = d.s = L->r;
        d.stride_h = d.stride_w = d.dil_h = d.dil_w = d.group = 1;
        d.pad_t = d.pad_l = d.pad_b = d.pad_r = L->pad;
        d.p = d.q = L->h;
        const double ops = 2.0 * batch * (double)d.p * d.q * L->k * L->c * L->r * L->r;
        float one = 1.0f;
        int32_t zero = 0;
        c8_int8_epilogue ep = {C8_QOUT_INT8, &zero, &one,
                               NULL,         0.0f,  {C8_QACT_RELU, -INFINITY, INFINITY, 0.0f}};
        g_reps = 30;
        for (int round = 0; round < 2; round++) {
            c8_cuda_int8_timing tc;
            if (c8_cuda_int8_conv_time(g_ctx, &d, &ep, &best_imma[li], 1, 3, g_reps, g_stream, &tc,
                                       &err) != C8_OK ||
                tc.status != C8_OK)
                continue;
            double f16 = bench_cudnn_fp16(L, batch, (int)d.p, dnn_ws, ws_cap);
            say("- confirmation %d, %s, 30 runs each: calib8 %s %.1f TOPS, cuDNN FP16 %.1f TOPS: "
                "%.2fx\n",
                round + 1, L->name, tc.name, tops(ops, tc.ms_median), tops(ops, f16),
                f16 > 0 ? f16 / tc.ms_median : 0.0);
        }
    }
    if (out_path) {
        if (c8_write_file_atomic(out_path, g_report.buf, g_report.len, &err) != C8_OK) {
            fprintf(stderr, "bench_cuda_int8_conv: %s\n", err.msg);
            rc = 1;
        }
    }
    cudaFree(dnn_ws);
    cudnnDestroy(g_dnn);
    cudaStreamDestroy(g_stream);
    c8_cuda_int8_ctx_destroy(g_ctx);
    free(g_report.buf);
    return rc;
}
