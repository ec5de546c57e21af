/* Diagnostic (issue 16): calib8's CUTLASS tiles (kernels/cuda/int8/cutlass/conv_sm80.cuh) timed by
 * the stock bench's harness on the stock bench's data, plus the same kernel with its epilogue
 * reduced to one store per thread ("noepi"), to split mainloop and epilogue time. CMake builds it
 * into bench_cutlass_probe with calib8's CUTLASS flags (suffix "_c8"); compiled again with other
 * flags and another PROBE_SUFFIX, it compares flags (bench/results/
 * int8-conv-cutlass-probe-h100-2026-12-06.md). */
#include "stock.cuh"

#include "kernels/cuda/int8/cutlass/conv_sm80.cuh"

#include <cuda_fp16.h>
#include <math.h>

#ifndef PROBE_SUFFIX
#define PROBE_SUFFIX "_c8"
#endif

namespace {
template <class Tile>
__global__ void __launch_bounds__(Tile::kThreads, 1)
    noepi_kernel(const c8i_cutlass::conv_args<Tile> a) {
    using Mma = typename Tile::Mma;
    extern __shared__ int4 smem_[];
    auto &storage = *reinterpret_cast<typename Mma::SharedStorage *>(smem_);
    const int tile_m = (int)blockIdx.x / a.tiles_n, tile_n = (int)blockIdx.x % a.tiles_n;
    const int thread_idx = (int)threadIdx.x;
    typename Mma::IteratorA it_a(a.it_a, a.problem, a.p.x, thread_idx,
                                 cutlass::MatrixCoord(tile_m * Tile::BM, 0));
    typename Mma::IteratorB it_b(a.it_b, a.problem, a.p.wt, thread_idx,
                                 cutlass::MatrixCoord(0, tile_n * Tile::BN));
    const int warp_idx = cutlass::canonical_warp_idx_sync();
    Mma mma(storage, thread_idx, warp_idx, thread_idx % 32);
    typename Mma::FragmentC acc;
    acc.clear();
    mma(a.k_iterations, acc, it_a, it_b, acc, a.k_iterations_per_channel);
    int32_t s = 0;
#pragma unroll
    for (int i = 0; i < Mma::FragmentC::kElements; i++) s += acc[i];
    reinterpret_cast<int32_t *>(a.p.y)[blockIdx.x * blockDim.x + threadIdx.x] = s;
}

template <class Tile, bool NOEPI> double ours_time(const stock_problem &pr) {
    c8i_conv_params p;
    memset(&p, 0, sizeof p);
    static float *mult = nullptr;
    if (!mult) {
        cudaMalloc(&mult, 4096 * sizeof(float));
        std::vector<float> h(4096, 0.01f);
        cudaMemcpy(mult, h.data(), h.size() * 4, cudaMemcpyHostToDevice);
    }
    p.x = pr.x;
    p.wt = pr.wt;
    p.y = pr.y;
    p.res = pr.res;
    p.mult = mult;
    p.res_mult = 1.0f;
    p.act.kind = C8_QACT_RELU;
    p.act.lo = -INFINITY;
    p.act.hi = INFINITY;
    p.out = C8_QOUT_INT8;
    p.n = pr.n, p.h = pr.h, p.w = pr.w, p.cp = pr.c, p.k = pr.k, p.kp = pr.k;
    p.r = pr.r, p.s = pr.s, p.p = pr.p, p.q = pr.q;
    p.sh = p.sw = pr.stride;
    p.pt = p.pl = pr.pad;
    p.dh = p.dw = 1;
    p.m = pr.n * pr.p * pr.q;
    p.ktot = pr.r * pr.s * pr.c;
    c8_error err;
    memset(&err, 0, sizeof err);
    if (c8i_cutlass::sm80_conv<Tile>::init(&err) != C8_OK) return -1;
    if (NOEPI)
        cudaFuncSetAttribute(noepi_kernel<Tile>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             Tile::kSmem);
    using Mma = typename Tile::Mma;
    cutlass::conv::Conv2dProblemSize ps(p.n, p.h, p.w, p.cp, p.kp, p.r, p.s, p.p, p.q, p.pt, p.pl,
                                        p.sh, p.sw, p.dh, p.dw,
                                        cutlass::conv::Mode::kCrossCorrelation, 1, 1);
    c8i_cutlass::conv_args<Tile> a;
    a.problem = ps;
    a.it_a = Mma::IteratorA::getParams(
        ps, cutlass::layout::TensorNHWC::packed(cutlass::Tensor4DCoord(p.n, p.h, p.w, p.cp)));
    a.it_b = typename Mma::IteratorB::Params(
        ps, cutlass::layout::TensorNHWC::packed(cutlass::Tensor4DCoord(p.kp, p.r, p.s, p.cp)));
    a.k_iterations = cutlass::conv::implicit_gemm_k_iterations(
        cutlass::conv::Operator::kFprop, Tile::BK, ps, cutlass::conv::IteratorAlgorithm::kOptimized,
        cutlass::conv::GroupMode::kNone, Tile::BN);
    a.k_iterations_per_channel = cutlass::conv::implicit_gemm_k_iterations_per_channel(
        cutlass::conv::Operator::kFprop, ps, cutlass::conv::IteratorAlgorithm::kOptimized);
    a.tiles_n = (p.kp + Tile::BN - 1) / Tile::BN;
    a.p = p;
    const unsigned tiles = (unsigned)(((p.m + Tile::BM - 1) / Tile::BM) * a.tiles_n);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    std::vector<double> t;
    for (int i = 0; i <= pr.reps; i++) {
        cudaMemsetAsync(pr.flush, i & 0xff, pr.flush_bytes);
        cudaEventRecord(e0);
        if (NOEPI)
            noepi_kernel<Tile><<<tiles, Tile::kThreads, Tile::kSmem>>>(a);
        else
            c8i_cutlass::conv_kernel<Tile><<<tiles, Tile::kThreads, Tile::kSmem>>>(a);
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        if (i) t.push_back(ms);
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    if (cudaGetLastError() != cudaSuccess) return -1;
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}
} // namespace

#define PROBE(BM, BN, BK, WM, WN, ST, EPI, NOEPI, NAME)                                            \
    out.push_back(stock_tile{                                                                      \
        NAME PROBE_SUFFIX, ours_time<c8i_cutlass::sm80_tile<BM, BN, BK, WM, WN, ST, EPI>, NOEPI>})

void probe_tiles(std::vector<stock_tile> &out) {
    PROBE(128, 128, 64, 64, 64, 3, C8I_EPI_VST, false, "ours128x128x64_vst");
    PROBE(128, 128, 64, 64, 64, 3, C8I_EPI_DIRECT, false, "ours128x128x64_direct");
    PROBE(128, 128, 64, 64, 64, 3, C8I_EPI_DIRECT, true, "ours128x128x64_noepi");
    PROBE(128, 128, 128, 64, 64, 3, C8I_EPI_VST, false, "ours128x128x128_vst");
    PROBE(128, 128, 128, 64, 64, 3, C8I_EPI_VST, true, "ours128x128x128_noepi");
}
