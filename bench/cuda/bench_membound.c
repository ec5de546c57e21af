/* The memory-bound layers of ResNet-50 at batch 256 (default) on the GPU, in FP16, FP32 and INT8,
 * each as GB/s against the device-to-device copy rate measured in the same run (issues 16 part 4
 * and 17 part 2: these layers should run at >= 70% of that rate). Bytes counted are what the
 * layer must move at least: every input element read once, every output element written once
 * (INT8 NHWC32 tensors count their padded channels: they are read and written). Each time is the
 * median of --reps runs, each after an L2 flush, timed alone with CUDA events (c8_cuda_time_launch,
 * the builder's method). The FC layer (Gemm 2048 -> 1000) is timed with every INT8 algorithm that
 * runs it; the best is shown, with its GB/s over weights + activations.
 *   bench_membound [--batch N] [--reps R] [--out FILE.md]
 * Layouts are the ones calib8's engines run: FP16 / FP32 channels-last (NHWC), INT8 NHWC32; the
 * FP32 MaxPool is also shown in NCHW (the layout of an FP32 network on the GPU today). */
#include "kernels/cuda/cu_kernels.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/int8/int8_cuda.h"
#include "util/fileio.h"

#include "bench_report.h"

#include <cuda_runtime_api.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- one launch per op, behind c8_cuda_launch_fn ---- */
typedef enum op_kind {
    OP_COPY,
    OP_POOL,
    OP_GPOOL,
    OP_EW,
    OP_CONVERT,
    OP_I8_MAXPOOL,
    OP_I8_GAP,
    OP_I8_ADD,
    OP_I8_CONCAT,
    OP_I8_QUANT,
    OP_I8_DEQUANT,
    OP_SOFTMAX
} op_kind;

typedef struct op {
    op_kind kind;
    size_t bytes;
    c8cu_view y, a, b;
    c8cu_pool2d pool;
    c8cu_ew_params ew;
    c8_pool2d_desc ipool;
    int64_t n, c, hw, n_pix;
    const int8_t *xs[2];
    int64_t chans[2];
    float mults[2];
    const float *scales;
    void *src, *dst;
} op;

static c8_status launch(void *user, cudaStream_t s, c8_error *err) {
    op *o = user;
    switch (o->kind) {
    case OP_COPY:
        C8_CUDA_TRY(err,
                    cudaMemcpyAsync(o->dst, o->src, o->bytes / 2, cudaMemcpyDeviceToDevice, s));
        return C8_OK;
    case OP_POOL: return c8cu_pool2d_run(&o->pool, &o->y, &o->a, s, err);
    case OP_GPOOL: return c8cu_global_pool(0, &o->y, &o->a, s, err);
    case OP_EW: return c8cu_eltwise(&o->ew, &o->y, &o->a, &o->b, NULL, s, err);
    case OP_CONVERT: return c8cu_copy(&o->y, &o->a, s, err);
    case OP_SOFTMAX: return c8cu_softmax(o->n, o->c, 1, o->src, o->dst, s, err);
    case OP_I8_MAXPOOL: return c8_cuda_int8_maxpool2d(&o->ipool, o->src, o->dst, s, err);
    case OP_I8_GAP:
        return c8_cuda_int8_global_avgpool(o->n, o->c, o->hw, o->src, 1.0f / 49.0f, o->dst, s, err);
    case OP_I8_ADD: {
        c8_quant_act act = {C8_QACT_RELU, 0.0f, 0.0f, 0.0f};
        return c8_cuda_int8_add(o->n_pix, o->c, o->xs[0], 0.5f, o->xs[1], 0.75f, act, C8_QOUT_INT8,
                                o->dst, s, err);
    }
    case OP_I8_CONCAT:
        return c8_cuda_int8_concat(o->n_pix, 2, o->xs, o->chans, o->mults, o->dst, s, err);
    case OP_I8_QUANT:
        return c8_cuda_int8_quantize_nchw(o->n, o->c, o->hw, o->src, o->scales, 1, o->dst, s, err);
    case OP_I8_DEQUANT:
        return c8_cuda_int8_dequantize_nchw(o->n, o->c, o->hw, o->src, o->scales, 1, o->dst, s,
                                            err);
    }
    return c8_err(err, C8_ERR_INTERNAL, "unknown op");
}

/* Dense views of a logical (N, C, H, W) tensor. */
static c8cu_view view_nhwc(void *p, int type, int64_t n, int64_t c, int64_t h, int64_t w) {
    c8cu_view v;
    memset(&v, 0, sizeof v);
    v.data = p;
    v.type = type;
    v.rank = 4;
    v.dims[0] = n, v.dims[1] = c, v.dims[2] = h, v.dims[3] = w;
    v.strides[0] = h * w * c, v.strides[1] = 1, v.strides[2] = w * c, v.strides[3] = c;
    return v;
}
static c8cu_view view_nchw(void *p, int type, int64_t n, int64_t c, int64_t h, int64_t w) {
    c8cu_view v = view_nhwc(p, type, n, c, h, w);
    v.strides[0] = c * h * w, v.strides[1] = h * w, v.strides[2] = w, v.strides[3] = 1;
    return v;
}

typedef struct bench {
    c8_cuda_int8_ctx *ctx;
    cudaStream_t stream;
    int reps;
    double copy_gbs;
    c8b_report rep;
    void *buf[3];
} bench;

static int time_op(bench *b, const char *name, op *o, double *gbs_out) {
    c8_error err = {0};
    float med = -1, mn = -1;
    if (c8_cuda_time_launch(b->ctx, launch, o, 3, b->reps, b->stream, &med, &mn, &err) != C8_OK) {
        c8b_say(&b->rep, "| %s | failed: %s | | | |\n", name, err.msg);
        return 1;
    }
    double gbs = (double)o->bytes / (med * 1e-3) / 1e9;
    if (gbs_out) *gbs_out = gbs;
    if (b->copy_gbs > 0)
        c8b_say(&b->rep, "| %s | %.1f | %.3f | %.0f | %.0f%% |\n", name, (double)o->bytes / 1e6,
                med, gbs, 100.0 * gbs / b->copy_gbs);
    else
        c8b_say(&b->rep, "| %s | %.1f | %.3f | %.0f | (reference) |\n", name,
                (double)o->bytes / 1e6, med, gbs);
    return 0;
}

static int64_t rup32(int64_t c) { return (c + 31) / 32 * 32; }

int main(int argc, char **argv) {
    int64_t N = 256;
    const char *out_path = NULL;
    bench b;
    memset(&b, 0, sizeof b);
    b.reps = 20;
    static const struct option opts[] = {{"batch", required_argument, 0, 'b'},
                                         {"reps", required_argument, 0, 'r'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'b')
            N = atoll(optarg);
        else if (ch == 'r')
            b.reps = atoi(optarg);
        else if (ch == 'o')
            out_path = optarg;
        else {
            fprintf(stderr, "usage: bench_membound [--batch N] [--reps R] [--out FILE.md]\n");
            return 2;
        }
    }
    if (N < 1 || b.reps < 1 || b.reps > 64) {
        fprintf(stderr, "bench_membound: --batch >= 1, 1 <= --reps <= 64\n");
        return 2;
    }
    c8_error err = {0};
    if (c8_cuda_int8_ctx_create(0, &b.ctx, &err) != C8_OK) {
        fprintf(stderr, "bench_membound: %s\n", err.msg);
        return 1;
    }
    if (cudaStreamCreateWithFlags(&b.stream, cudaStreamNonBlocking) != cudaSuccess) return 1;
    /* three buffers as large as the largest operand: ResNet-50's conv1 output in float32 */
    const size_t big = (size_t)N * 64 * 112 * 112 * 4;
    for (int i = 0; i < 3; i++) {
        if (cudaMalloc(&b.buf[i], big) != cudaSuccess) {
            fprintf(stderr, "bench_membound: cannot allocate %zu bytes\n", big);
            return 1;
        }
        if (c8_cuda_fill_random_i8(b.buf[i], big, 11 + (uint64_t)i, b.stream, &err) != C8_OK) {
            fprintf(stderr, "bench_membound: %s\n", err.msg);
            return 1;
        }
    }
    /* finite floats in the float views: random bytes can be NaN, which is slow on no path but
     * would make the averages meaningless; a small constant pattern is enough for timing */
    cudaMemsetAsync(b.buf[0], 0x3c, big, b.stream);
    cudaMemsetAsync(b.buf[1], 0x3b, big, b.stream);
    float *scale = NULL;
    cudaMalloc((void **)&scale, sizeof(float));
    const float sc = 0.02f;
    cudaMemcpy(scale, &sc, sizeof sc, cudaMemcpyHostToDevice);
    cudaStreamSynchronize(b.stream);

    struct cudaDeviceProp prop;
    cudaGetDeviceProperties(&prop, 0);
    int drv = 0, rt = 0, clk = 0, mclk = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, 0);
    cudaDeviceGetAttribute(&mclk, cudaDevAttrMemoryClockRate, 0);
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    c8b_say(&b.rep, "# Memory-bound layers of ResNet-50, batch %lld\n\n", (long long)N);
    c8b_say(&b.rep,
            "%s (%d SMs, max SM clock %d MHz, memory clock %d MHz), driver %d, runtime %d, %s. "
            "Median of %d runs, each after an L2 flush. MB: bytes the layer must move (inputs read "
            "once, output written once). %%: of the device-to-device copy rate measured in this "
            "run.\n\n",
            prop.name, prop.multiProcessorCount, clk / 1000, mclk / 1000, drv, rt, date, b.reps);
    c8b_say(&b.rep, "| layer | MB | ms | GB/s | of copy |\n|---|---|---|---|---|\n");

    op o;
    /* the reference: a 2 x 205 MB device-to-device copy (read + write counted) */
    memset(&o, 0, sizeof o);
    o.kind = OP_COPY;
    o.src = b.buf[0];
    o.dst = b.buf[1];
    o.bytes = 2 * ((size_t)N * 64 * 112 * 112 * 2);
    time_op(&b, "cudaMemcpy device to device (reference)", &o, &b.copy_gbs);

    const int F16 = C8CU_F16, F32 = C8CU_F32;
    const c8cu_pool2d mp = {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0};
    for (int t = 0; t < 3; t++) { /* MaxPool 3x3 s2 p1: 64x112x112 -> 64x56x56 */
        const int type = t == 0 ? F16 : F32;
        const size_t es = t == 0 ? 2 : 4;
        memset(&o, 0, sizeof o);
        o.kind = OP_POOL;
        o.pool = mp;
        if (t < 2) {
            o.a = view_nhwc(b.buf[0], type, N, 64, 112, 112);
            o.y = view_nhwc(b.buf[1], type, N, 64, 56, 56);
        } else {
            o.a = view_nchw(b.buf[0], type, N, 64, 112, 112);
            o.y = view_nchw(b.buf[1], type, N, 64, 56, 56);
        }
        o.bytes = (size_t)N * 64 * (112 * 112 + 56 * 56) * es;
        time_op(&b,
                t == 0   ? "MaxPool 3x3/2 FP16 NHWC 64x112x112"
                : t == 1 ? "MaxPool 3x3/2 FP32 NHWC 64x112x112"
                         : "MaxPool 3x3/2 FP32 NCHW 64x112x112",
                &o, NULL);
    }
    for (int t = 0; t < 2; t++) { /* GlobalAveragePool 2048x7x7, x viewed (N, C, S) channels-last */
        const int type = t == 0 ? F16 : F32;
        const size_t es = t == 0 ? 2 : 4;
        memset(&o, 0, sizeof o);
        o.kind = OP_GPOOL;
        o.a.data = b.buf[0], o.a.type = type, o.a.rank = 3;
        o.a.dims[0] = N, o.a.dims[1] = 2048, o.a.dims[2] = 49;
        o.a.strides[0] = 49 * 2048, o.a.strides[1] = 1, o.a.strides[2] = 2048;
        o.y.data = b.buf[1], o.y.type = type, o.y.rank = 2;
        o.y.dims[0] = N, o.y.dims[1] = 2048, o.y.strides[0] = 2048, o.y.strides[1] = 1;
        o.bytes = (size_t)N * 2048 * 50 * es;
        time_op(&b, t == 0 ? "GlobalAveragePool FP16 2048x7x7" : "GlobalAveragePool FP32 2048x7x7",
                &o, NULL);
    }
    for (int t = 0; t < 2; t++) { /* residual Add + ReLU at 256x56x56 (the epilogue op) */
        const int type = t == 0 ? F16 : F32;
        const size_t es = t == 0 ? 2 : 4;
        memset(&o, 0, sizeof o);
        o.kind = OP_EW;
        o.ew.op = C8CU_EW_ADD;
        o.a = view_nhwc(b.buf[0], type, N, 256, 56, 56);
        o.b = view_nhwc(b.buf[1], type, N, 256, 56, 56);
        o.y = view_nhwc(b.buf[2], type, N, 256, 56, 56);
        o.bytes = 3 * (size_t)N * 256 * 56 * 56 * es;
        time_op(&b, t == 0 ? "Add FP16 256x56x56" : "Add FP32 256x56x56", &o, NULL);
    }
    { /* the network's input: float32 NCHW -> FP16 NHWC (layout and precision in one pass) */
        memset(&o, 0, sizeof o);
        o.kind = OP_CONVERT;
        o.a = view_nchw(b.buf[0], F32, N, 3, 224, 224);
        o.y = view_nhwc(b.buf[1], F16, N, 3, 224, 224);
        o.bytes = (size_t)N * 3 * 224 * 224 * (4 + 2);
        time_op(&b, "Input float32 NCHW -> FP16 NHWC 3x224x224", &o, NULL);
        o.a = view_nchw(b.buf[0], F16, N, 256, 56, 56);
        o.y = view_nhwc(b.buf[1], F16, N, 256, 56, 56);
        o.bytes = (size_t)N * 256 * 56 * 56 * 4;
        time_op(&b, "Reformat FP16 NCHW -> NHWC 256x56x56", &o, NULL);
    }
    { /* Softmax in float32 over contiguous rows: a classifier's 1000 classes at this batch, and
       * the PP-OCRv4 recognizer's 40 time steps x 6,625 classes per image at a quarter of it */
        memset(&o, 0, sizeof o);
        o.kind = OP_SOFTMAX;
        o.src = b.buf[0];
        o.dst = b.buf[1];
        o.n = N, o.c = 1000;
        o.bytes = (size_t)N * 1000 * 8;
        time_op(&b, "Softmax FP32 1000 classes", &o, NULL);
        o.n = (N / 4 > 0 ? N / 4 : 1) * 40, o.c = 6625;
        o.bytes = (size_t)o.n * 6625 * 8;
        time_op(&b, "Softmax FP32 (batch/4) x 40 x 6625", &o, NULL);
    }
    /* INT8, NHWC32 */
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_I8_MAXPOOL;
        c8_pool2d_desc d = {N, 64, 112, 112, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0};
        o.ipool = d;
        o.src = b.buf[2];
        o.dst = b.buf[1];
        o.bytes = (size_t)N * 64 * (112 * 112 + 56 * 56);
        time_op(&b, "MaxPool 3x3/2 INT8 64x112x112", &o, NULL);

        memset(&o, 0, sizeof o);
        o.kind = OP_I8_GAP;
        o.n = N, o.c = 2048, o.hw = 49;
        o.src = b.buf[2];
        o.dst = b.buf[1];
        o.bytes = (size_t)N * 2048 * 50;
        time_op(&b, "GlobalAveragePool INT8 2048x7x7", &o, NULL);

        memset(&o, 0, sizeof o);
        o.kind = OP_I8_ADD;
        o.n_pix = N * 56 * 56, o.c = 256;
        o.xs[0] = b.buf[2];
        o.xs[1] = (const int8_t *)b.buf[2] + (size_t)N * 56 * 56 * 256;
        o.dst = b.buf[1];
        o.bytes = 3 * (size_t)N * 56 * 56 * 256;
        time_op(&b, "Add + ReLU INT8 256x56x56", &o, NULL);

        memset(&o, 0, sizeof o);
        o.kind = OP_I8_CONCAT;
        o.n_pix = N * 28 * 28;
        o.xs[0] = b.buf[2];
        o.xs[1] = (const int8_t *)b.buf[2] + (size_t)N * 28 * 28 * 128;
        o.chans[0] = 128, o.chans[1] = 128;
        o.mults[0] = 0.5f, o.mults[1] = 1.0f;
        o.dst = b.buf[1];
        o.bytes = 2 * (size_t)N * 28 * 28 * 256;
        time_op(&b, "Concat INT8 2 x 128x28x28", &o, NULL);

        memset(&o, 0, sizeof o);
        o.kind = OP_I8_QUANT;
        o.n = N, o.c = 3, o.hw = 224 * 224;
        o.src = b.buf[0];
        o.dst = b.buf[1];
        o.scales = scale;
        o.bytes = (size_t)N * 224 * 224 * (3 * 4 + rup32(3));
        time_op(&b, "Quantize input float32 NCHW -> NHWC32 3x224x224", &o, NULL);
        o.c = 64, o.hw = 56 * 56;
        o.bytes = (size_t)N * 56 * 56 * 64 * (4 + 1);
        time_op(&b, "Quantize float32 NCHW -> NHWC32 64x56x56", &o, NULL);

        memset(&o, 0, sizeof o);
        o.kind = OP_I8_DEQUANT;
        o.n = N, o.c = 1000, o.hw = 1;
        o.src = b.buf[2];
        o.dst = b.buf[1];
        o.scales = scale;
        o.bytes = (size_t)N * (rup32(1000) + 1000 * 4);
        time_op(&b, "Dequantize logits NHWC32 -> float32 1000", &o, NULL);
    }
    { /* the FC layer: every INT8 algorithm that runs it, the best shown */
        c8_int8_gemm_desc g = {N, 1000, 2048, C8_INT8_B_NK};
        c8_conv2d_desc d = c8_cuda_int8_gemm_as_conv(&g);
        c8_int8_epilogue ep;
        memset(&ep, 0, sizeof ep);
        ep.out = C8_QOUT_FLOAT;
        ep.act.kind = C8_QACT_NONE;
        /* supports() tests which pointers are present and the multipliers always are (the
         * timing allocates its own): with mult NULL no algorithm was a candidate, and the row
         * failed with an empty message (2026-12-07) */
        ep.mult = (const float *)(uintptr_t)1;
        int32_t algos[C8_CUDA_INT8_ALGO_COUNT];
        int na = c8_cuda_int8_gemm_candidates(b.ctx, &g, &ep, algos);
        c8_cuda_int8_timing res[C8_CUDA_INT8_ALGO_COUNT];
        if (na > 0 && c8_cuda_int8_conv_time(b.ctx, &d, &ep, algos, na, 3, b.reps, b.stream, res,
                                             &err) == C8_OK) {
            int best = c8_cuda_int8_timing_best(res, na);
            if (best >= 0) {
                const double bytes = (double)N * 2048 + 2048.0 * 1024 + (double)N * 1000 * 4;
                c8b_say(&b.rep,
                        "| FC INT8 2048->1000, float32 out (%s) | %.1f | %.3f | %.0f | %.0f%% |\n",
                        res[best].name, bytes / 1e6, res[best].ms_median,
                        bytes / (res[best].ms_median * 1e-3) / 1e9,
                        100.0 * bytes / (res[best].ms_median * 1e-3) / 1e9 / b.copy_gbs);
            }
        } else
            c8b_say(&b.rep, "| FC INT8 2048->1000 | failed: %s | | | |\n",
                    na > 0 ? err.msg : "no INT8 algorithm takes it");
    }
    int rc = 0;
    if (out_path) {
        if (c8_write_file_atomic(out_path, b.rep.buf, b.rep.len, &err) != C8_OK) {
            fprintf(stderr, "bench_membound: %s\n", err.msg);
            rc = 1;
        }
    }
    free(b.rep.buf);
    for (int i = 0; i < 3; i++) cudaFree(b.buf[i]);
    cudaFree(scale);
    cudaStreamDestroy(b.stream);
    c8_cuda_int8_ctx_destroy(b.ctx);
    return rc;
}
