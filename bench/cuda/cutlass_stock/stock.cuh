/* The peer for calib8's CUTLASS INT8 convolutions: CUTLASS 2.x's stock int8 implicit-GEMM fprop
 * (device::ImplicitGemmConvolution, Sm80 tensor-op mma.sync m16n8k32, OpMultiplyAddSaturate,
 * IteratorAlgorithm::kOptimized, int8 NHWC in and out through CUTLASS's own shared-memory epilogue
 * with LinearCombinationClamp<int8_t, VEC, int32_t, float> (VEC 16, or 8 where the tile's
 * epilogue thread map needs it), residual read as its source C where
 * the layer has one). It does not compute calib8's INT8 semantics (per-tensor float alpha, its
 * own rounding); it is the speed calib8's kernels are measured against, in the same run
 * (bench/cuda/bench_cutlass_stock.cu). C++17, CUTLASS headers (.deps/cutlass). */
#pragma once
#include <cuda_runtime_api.h>

#include <cutlass/conv/conv2d_problem_size.h>
#include <cutlass/conv/device/implicit_gemm_convolution.h>
#include <cutlass/conv/kernel/default_conv2d_fprop.h>
#include <cutlass/cutlass.h>
#include <cutlass/epilogue/thread/linear_combination_clamp.h>
#include <cutlass/gemm/threadblock/threadblock_swizzle.h>

#include <algorithm>
#include <vector>

struct stock_problem {
    int n, h, w, c, k, r, s, p, q, pad, stride;
    const int8_t *x, *wt, *res; /* res: NULL when the layer has no residual */
    int8_t *y;
    void *flush; /* 2x L2 bytes, memset before each timed run */
    size_t flush_bytes;
    int reps;
};

/* median milliseconds of reps runs, each after an L2 flush; -1 when CUTLASS refuses the problem */
typedef double (*stock_fn)(const stock_problem &pr);
struct stock_tile {
    const char *name;
    stock_fn run;
};

template <int BM, int BN, int BK, int WM, int WN, int ST, int SWZ, int VEC>
double stock_time(const stock_problem &pr) {
    using Epi = cutlass::epilogue::thread::LinearCombinationClamp<int8_t, VEC, int32_t, float>;
    using Kernel = typename cutlass::conv::kernel::DefaultConv2dFprop<
        int8_t, cutlass::layout::TensorNHWC, int8_t, cutlass::layout::TensorNHWC, int8_t,
        cutlass::layout::TensorNHWC, int32_t, cutlass::arch::OpClassTensorOp, cutlass::arch::Sm80,
        cutlass::gemm::GemmShape<BM, BN, BK>, cutlass::gemm::GemmShape<WM, WN, BK>,
        cutlass::gemm::GemmShape<16, 8, 32>, Epi,
        cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<SWZ>, ST,
        cutlass::arch::OpMultiplyAddSaturate, cutlass::conv::IteratorAlgorithm::kOptimized,
        cutlass::conv::StrideSupport::kStrided, 16, 16>::Kernel;
    using Conv = cutlass::conv::device::ImplicitGemmConvolution<Kernel>;
    using L = cutlass::layout::TensorNHWC;
    cutlass::conv::Conv2dProblemSize ps(pr.n, pr.h, pr.w, pr.c, pr.k, pr.r, pr.s, pr.p, pr.q,
                                        pr.pad, pr.pad, pr.stride, pr.stride, 1, 1,
                                        cutlass::conv::Mode::kCrossCorrelation, 1, 1);
    L lx = L::packed({pr.n, pr.h, pr.w, pr.c}), lw = L::packed({pr.k, pr.r, pr.s, pr.c}),
      ly = L::packed({pr.n, pr.p, pr.q, pr.k});
    const float beta = pr.res ? 1.0f : 0.0f;
    typename Conv::Arguments args(
        ps, cutlass::TensorRef<int8_t, L>(const_cast<int8_t *>(pr.x), lx),
        cutlass::TensorRef<int8_t, L>(const_cast<int8_t *>(pr.wt), lw),
        cutlass::TensorRef<int8_t, L>(const_cast<int8_t *>(pr.res ? pr.res : pr.y), ly),
        cutlass::TensorRef<int8_t, L>(pr.y, ly), typename Epi::Params(0.01f, beta));
    Conv conv;
    if (conv.can_implement(args) != cutlass::Status::kSuccess) return -1;
    if (Conv::get_workspace_size(args) != 0) return -1;
    if (conv.initialize(args, nullptr) != cutlass::Status::kSuccess) return -1;
    cudaEvent_t a, b;
    cudaEventCreate(&a);
    cudaEventCreate(&b);
    std::vector<double> t;
    bool ok = true;
    for (int i = 0; i <= pr.reps && ok; i++) {
        cudaMemsetAsync(pr.flush, i & 0xff, pr.flush_bytes);
        cudaEventRecord(a);
        ok = conv() == cutlass::Status::kSuccess;
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float ms = 0;
        cudaEventElapsedTime(&ms, a, b);
        if (i > 0) t.push_back(ms); /* the first run warms the instruction cache */
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    if (!ok || cudaGetLastError() != cudaSuccess) return -1;
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

#define STOCK_TILE(BM, BN, BK, WM, WN, ST, SWZ, VEC)                                               \
    stock_tile {                                                                                   \
#BM "x" #BN "x" #BK "_w" #WM "x" #WN "_s" #ST "_z" #SWZ "_v" #VEC, stock_time < BM, BN,    \
            BK, WM, WN, ST, SWZ, VEC>                                                              \
    }

void stock_tiles_a(std::vector<stock_tile> &out);
void stock_tiles_b(std::vector<stock_tile> &out);
void stock_tiles_c(std::vector<stock_tile> &out);
/* calib8's own CUTLASS kernels in the same harness (probe.cu; bench_cutlass_probe) */
void probe_tiles(std::vector<stock_tile> &out);
