/* The stock-CUTLASS peer of bench_int8_conv.c: ResNet-50's 52 convolutions after conv1 at batch N
 * (default 256) through CUTLASS 2.x's own int8 implicit-GEMM convolution and epilogue
 * (cutlass_stock/stock.cuh), every tile of cutlass_stock/tiles_*.cu, the median of --reps runs
 * each on a flushed L2 (the method of bench_int8_conv.c, which times calib8's kernels on the same
 * layers: run both in one call on one GPU). Prints per layer the time and TOPS of every tile,
 * the best tile, and the 52-layer total (each layer times its count in ResNet-50).
 * --data picks the int8 values of activations, weights and residual: ones (every byte 1),
 * ternary (uniform in {-1, 0, 1}, the values bench_int8_conv.c uses) or full (uniform in
 * -127..127); the tensor cores' power, and so the clock they sustain, depends on the data.
 * bench_cutlass_stock [--batch N] [--reps R] [--data ones|ternary|full] */
#include "cutlass_stock/stock.cuh"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "resnet50_convs.h"

#define CK(x)                                                                                      \
    do {                                                                                           \
        cudaError_t e_ = (x);                                                                      \
        if (e_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e_));                               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv) {
    int batch = 256, reps = 5;
    const char *data = "ones";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
    }
    std::vector<stock_tile> tiles;
    stock_tiles_a(tiles);
    stock_tiles_b(tiles);
    stock_tiles_c(tiles);
#ifdef C8_STOCK_PROBE
    probe_tiles(tiles);
#endif
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    printf(
        "# stock CUTLASS int8 conv (LinearCombinationClamp int8 out), %s, batch %d, median of %d "
        "runs on a flushed L2, data %s\n",
        prop.name, batch, reps, data);
    size_t max_x = 0, max_y = 0, max_w = 0;
    for (int li = 1; li < N_LAYERS; li++) { /* conv1 (C = 3) is not a tensor-op shape */
        const layer &L = kLayers[li];
        int p = (L.h + 2 * L.pad - L.r) / L.stride + 1;
        max_x = std::max(max_x, (size_t)batch * L.h * L.h * L.c);
        max_y = std::max(max_y, (size_t)batch * p * p * L.k);
        max_w = std::max(max_w, (size_t)L.k * L.r * L.r * L.c);
    }
    int8_t *x, *w, *y, *res;
    void *flush;
    size_t flush_bytes = 2 * (size_t)prop.l2CacheSize;
    CK(cudaMalloc(&x, max_x));
    CK(cudaMalloc(&w, max_w));
    CK(cudaMalloc(&y, max_y));
    CK(cudaMalloc(&res, max_y));
    CK(cudaMalloc(&flush, flush_bytes));
    {
        /* a fixed LCG: the same bytes in every run */
        size_t most = std::max(max_x, std::max(max_w, max_y));
        std::vector<int8_t> h(most);
        uint32_t st = 12345u;
        for (size_t i = 0; i < most; i++) {
            st = st * 1664525u + 1013904223u;
            uint32_t r = st >> 8;
            h[i] = !strcmp(data, "ones")   ? 1
                   : !strcmp(data, "full") ? (int8_t)((int)(r % 255u) - 127)
                                           : (int8_t)((int)(r % 3u) - 1);
        }
        CK(cudaMemcpy(x, h.data(), max_x, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(w, h.data(), max_w, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(res, h.data(), max_y, cudaMemcpyHostToDevice));
    }
    double total_best = 0;
    for (int li = 1; li < N_LAYERS; li++) { /* conv1 (C = 3) is not a tensor-op shape */
        const layer &L = kLayers[li];
        stock_problem pr;
        pr.n = batch;
        pr.h = pr.w = L.h;
        pr.c = L.c;
        pr.k = L.k;
        pr.r = pr.s = L.r;
        pr.pad = L.pad;
        pr.stride = L.stride;
        pr.p = pr.q = (L.h + 2 * L.pad - L.r) / L.stride + 1;
        pr.x = x;
        pr.wt = w;
        pr.res = L.residual ? res : nullptr;
        pr.y = y;
        pr.flush = flush;
        pr.flush_bytes = flush_bytes;
        pr.reps = reps;
        double ops = 2.0 * batch * pr.p * pr.q * (double)L.k * L.c * L.r * L.r;
        double best = -1;
        const char *best_name = "-";
        printf("%-24s", L.name);
        for (const stock_tile &t : tiles) {
            double ms = t.run(pr);
            printf(" | %s %.1f", t.name, ms > 0 ? ops / ms * 1e-9 : 0.0);
            if (ms > 0 && (best < 0 || ms < best)) {
                best = ms;
                best_name = t.name;
            }
        }
        printf("\nBEST %-24s %.4f ms %.1f TOPS %s x%d\n", L.name, best, ops / best * 1e-9,
               best_name, L.count);
        total_best += best * L.count;
    }
    printf("TOTAL 52 convs (best stock tile per layer): %.3f ms\n", total_best);
    return 0;
}
