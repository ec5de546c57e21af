/* INT8 convolution on CUTLASS 2.x (C++17; included only by the per-tile files sm80_*.cu beside
 * it): CUTLASS's Ampere-style implicit-GEMM fprop mainloop (Sm80 tensor-op, mma.sync
 * m16n8k32 s8 -> s32 with OpMultiplyAddSaturate, IteratorAlgorithm::kOptimized activation and
 * filter iterators, a multistage cp.async pipeline) followed by calib8's own epilogue, applied
 * straight to the accumulator fragments (c8i_cutlass_epilogue below), not by CUTLASS's epilogue:
 * CUTLASS's LinearCombinationClamp rounds and orders differently from include/calib8/quant.h.
 *
 * The problem CUTLASS sees is calib8's padded one, so the arithmetic is the reference's:
 *   activations x (N, H, W, Cp) NHWC int8, C = Cp = round_up(C, 32) (pad channels are 0);
 *   filter w (Kp, R, S, Cp) = CUTLASS's KRSC with K = Kp (pad rows are 0);
 *   the GEMM's rows m = (n, p, q), columns = Kp output channels, reduction R*S*Cp; every int8
 *   product is summed exactly in int32 (saturation never triggers: the bound of quant.h holds).
 * Output y (N, P, Q, Kp) int8 / float32 / binary16 and the residual (same layout, int8) are
 * handled by the epilogue exactly as in calib8's own tensor-core kernel (conv_imma.cu): the same
 * c8i_load_chan / c8i_epi_finish of common.cuh, two consecutive channels per store, pad channels
 * (k <= channel < Kp) written 0.
 * Padding: CUTLASS takes pad_top / pad_left and the real P, Q; positions outside the input read
 * 0, so asymmetric bottom / right padding needs nothing more. Dilation and stride are CUTLASS's.
 * Reference: kernels/ref/int8_conv.c; tests: tests/cuda/test_cuda_int8_conv.c. */
#ifndef C8_KERNELS_CUDA_INT8_CUTLASS_CONV_SM80_CUH
#define C8_KERNELS_CUDA_INT8_CUTLASS_CONV_SM80_CUH

#include "kernels/cuda/int8/common.cuh"
#include "kernels/cuda/int8/cutlass/conv_cutlass.h"

#include <cutlass/conv/conv2d_problem_size.h>
#include <cutlass/conv/kernel/default_conv2d_fprop.h>
#include <cutlass/cutlass.h>
#include <cutlass/epilogue/thread/linear_combination.h>
#include <cutlass/gemm/threadblock/threadblock_swizzle.h>

namespace c8i_cutlass {

/* One tile shape: threadblock BM x BN x BK, warp WM x WN x BK, STAGES pipeline stages, and the
 * epilogue's store path EPI (C8I_EPI_DIRECT or C8I_EPI_VST, conv_cutlass.h). */
template <int BM_, int BN_, int BK_, int WM_, int WN_, int STAGES_, int EPI_> struct sm80_tile {
    static constexpr int BM = BM_, BN = BN_, BK = BK_, WM = WM_, WN = WN_, STAGES = STAGES_;
    static constexpr int EPI = EPI_;
    /* CUTLASS's kernel is instantiated as a type only, for its Mma (mainloop and iterators); its
     * epilogue (int32 output, named only because the kernel type needs one: it accepts every
     * tile shape here) is never compiled into code. */
    using Kernel = typename cutlass::conv::kernel::DefaultConv2dFprop<
        int8_t, cutlass::layout::TensorNHWC, int8_t, cutlass::layout::TensorNHWC, int32_t,
        cutlass::layout::TensorNHWC, int32_t, cutlass::arch::OpClassTensorOp, cutlass::arch::Sm80,
        cutlass::gemm::GemmShape<BM, BN, BK>, cutlass::gemm::GemmShape<WM, WN, BK>,
        cutlass::gemm::GemmShape<16, 8, 32>,
        cutlass::epilogue::thread::LinearCombination<int32_t, 4, int32_t, int32_t>,
        cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<>, STAGES,
        cutlass::arch::OpMultiplyAddSaturate, cutlass::conv::IteratorAlgorithm::kOptimized,
        cutlass::conv::StrideSupport::kStrided, 16, 16>::Kernel;
    using Mma = typename Kernel::Mma;
    static constexpr int kWarpsM = BM / WM, kWarpsN = BN / WN;
    static constexpr int kThreads = kWarpsM * kWarpsN * 32;
    static constexpr int kMainSmem = (int)sizeof(typename Mma::SharedStorage);
    /* the vector-store epilogue's slabs: per warp 16 rows of WN int32 (+4: bank skew) */
    static constexpr int kSlabLd = WN + 4;
    static constexpr int kSlabBytes = 16 * kSlabLd * 4;
    static constexpr int kEpiSmem = EPI == C8I_EPI_VST ? kWarpsM * kWarpsN * kSlabBytes : 0;
    static constexpr int kSmem = kMainSmem > kEpiSmem ? kMainSmem : kEpiSmem;
    static_assert(kThreads == Kernel::kThreadCount,
                  "one warp per warp tile, no split-K in a block");
};

/* Everything the kernel reads, by value. */
template <class Tile> struct conv_args {
    typename Tile::Mma::IteratorA::Params it_a;
    typename Tile::Mma::IteratorB::Params it_b;
    cutlass::conv::Conv2dProblemSize problem;
    int k_iterations;             /* threadblock k-tiles of the reduction */
    int k_iterations_per_channel; /* R * S (kOptimized's filter-position loop) */
    int tiles_n;                  /* column tiles: ceil(Kp / BN) */
    c8i_conv_params p;            /* the epilogue's pointers and the output geometry */
};

/* calib8's epilogue on the warp's accumulators. The warp tile is (WM/16) x (WN/8) mma.m16n8k32
 * tiles; CUTLASS's MmaTensorOp keeps tile (mi, ni) at accumulator [(mi + ni * WM/16) * 4, +4)
 * in the PTX C-fragment order: c0 = (g, 2t), c1 = (g, 2t + 1), c2 = (g + 8, 2t),
 * c3 = (g + 8, 2t + 1), g = lane / 4, t = lane % 4 (the order CUTLASS's own
 * FragmentIteratorTensorOp reads them in). row0 / col0: the warp tile's first GEMM row and
 * output channel. */
template <class Tile> struct c8i_cutlass_epilogue {
    static constexpr int MI = Tile::WM / 16, NI = Tile::WN / 8;
    using Frag = typename Tile::Mma::FragmentC;
    static_assert(Frag::kElements == MI * NI * 4, "accumulator fragment of m16n8 tiles");

    static __device__ __forceinline__ void apply(const c8i_conv_params &p, const Frag &acc,
                                                 int row0, int col0, int lane) {
        const int g = lane >> 2, t4 = lane & 3;
        float mv[NI][2];
        int32_t bv[NI][2];
#pragma unroll
        for (int ni = 0; ni < NI; ni++) c8i_load_chan<2>(p, col0 + ni * 8 + t4 * 2, mv[ni], bv[ni]);
#pragma unroll
        for (int mi = 0; mi < MI; mi++) {
            uint32_t rw[2][NI]; /* residual: 2 bytes per (row half, column pair) */
#pragma unroll
            for (int hr = 0; hr < 2; hr++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++) {
                    const int m = row0 + mi * 16 + g + hr * 8;
                    const int n = col0 + ni * 8 + t4 * 2;
                    rw[hr][ni] = p.res && m < p.m && n < p.kp
                                     ? (uint32_t)__ldg(reinterpret_cast<const unsigned short *>(
                                           p.res + (size_t)m * p.kp + n))
                                     : 0u;
                }
#pragma unroll
            for (int hr = 0; hr < 2; hr++) {
                const int m = row0 + mi * 16 + g + hr * 8;
                if (m >= p.m) continue;
#pragma unroll
                for (int ni = 0; ni < NI; ni++) {
                    const int n = col0 + ni * 8 + t4 * 2;
                    if (n >= p.kp) continue;
                    int32_t a2[2] = {acc[(mi + ni * MI) * 4 + hr * 2],
                                     acc[(mi + ni * MI) * 4 + hr * 2 + 1]};
                    c8i_epi_finish<2>(p, (size_t)m * p.kp + n, n, a2, mv[ni], bv[ni], &rw[hr][ni]);
                }
            }
        }
    }
};

/* The vector-store variant: per warp and 16-row slab the int32 sums go through shared memory, so
 * that each lane then finishes 16 consecutive channels of one row (c8i_epi_finish<16>): 16-byte
 * int8 stores (64 contiguous bytes per row from four lanes), float4 / half2 stores for float
 * outputs, the residual read as 16-byte vectors. The arithmetic is the same function's. A lane
 * keeps one 16-channel segment (cs = lane % (WN/16)) for the whole tile. slab: this warp's
 * 16 x kSlabLd int32. */
template <class Tile> struct c8i_cutlass_epilogue_vst {
    static constexpr int MI = Tile::WM / 16, NI = Tile::WN / 8, SEGS = Tile::WN / 16;
    static constexpr int LD = Tile::kSlabLd;
    using Frag = typename Tile::Mma::FragmentC;
    static_assert(Frag::kElements == MI * NI * 4, "accumulator fragment of m16n8 tiles");
    static_assert(32 % SEGS == 0 && (LD * 4) % 16 == 0, "lane -> segment map, int4 rows");

    /* One 16-row slab from shared memory to the output: out of line, so that the kernel holds
     * this code once rather than once per slab (MI copies of 16 unrolled channels each made the
     * epilogue's code larger than the mainloop's, and fetching it cost more time than the
     * mainloop: bench/results/int8-conv-cutlass-probe-h100-2026-12-06.md). The per-channel
     * multipliers and biases are reloaded per slab (L1 hits). */
    static __device__ __noinline__ void finish_slab(const c8i_conv_params &p, const int32_t *slab,
                                                    int rowbase, int col0, int lane) {
        const int cs = lane % SEGS, n = col0 + cs * 16;
        if (n >= p.kp) return;
        float mv[16];
        int32_t bv[16];
        c8i_load_chan<16>(p, n, mv, bv);
#pragma unroll
        for (int it = 0; it < 16 * SEGS / 32; it++) {
            const int row = (lane + 32 * it) / SEGS;
            const int m = rowbase + row;
            if (m >= p.m) continue;
            int32_t a[16];
#pragma unroll
            for (int q = 0; q < 4; q++) {
                const int4 v = reinterpret_cast<const int4 *>(slab + row * LD + cs * 16)[q];
                a[4 * q] = v.x;
                a[4 * q + 1] = v.y;
                a[4 * q + 2] = v.z;
                a[4 * q + 3] = v.w;
            }
            const size_t off = (size_t)m * p.kp + n;
            const uint4 r = p.res ? __ldg(reinterpret_cast<const uint4 *>(p.res + off))
                                  : make_uint4(0, 0, 0, 0);
            const uint32_t rw[4] = {r.x, r.y, r.z, r.w};
            c8i_epi_finish<16>(p, off, n, a, mv, bv, rw);
        }
    }

    static __device__ __forceinline__ void apply(const c8i_conv_params &p, const Frag &acc,
                                                 int row0, int col0, int lane, int32_t *slab) {
        const int g = lane >> 2, t4 = lane & 3;
#pragma unroll
        for (int mi = 0; mi < MI; mi++) {
            __syncwarp();
#pragma unroll
            for (int ni = 0; ni < NI; ni++)
#pragma unroll
                for (int hr = 0; hr < 2; hr++)
                    *reinterpret_cast<int2 *>(slab + (g + 8 * hr) * LD + ni * 8 + 2 * t4) =
                        make_int2(acc[(mi + ni * MI) * 4 + hr * 2],
                                  acc[(mi + ni * MI) * 4 + hr * 2 + 1]);
            __syncwarp();
            finish_slab(p, slab, row0 + mi * 16, col0, lane);
        }
    }
};

/* One block per BM x BN output tile; column tiles vary fastest so that neighbouring blocks share
 * their activation rows in L2. */
template <class Tile>
__global__ void __launch_bounds__(Tile::kThreads, 1) conv_kernel(const conv_args<Tile> a) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    using Mma = typename Tile::Mma;
    extern __shared__ int4 smem_[]; /* 16-byte aligned, Mma::SharedStorage */
    auto &storage = *reinterpret_cast<typename Mma::SharedStorage *>(smem_);
    const int tile_m = (int)blockIdx.x / a.tiles_n, tile_n = (int)blockIdx.x % a.tiles_n;
    const int thread_idx = (int)threadIdx.x;
    typename Mma::IteratorA it_a(a.it_a, a.problem, a.p.x, thread_idx,
                                 cutlass::MatrixCoord(tile_m * Tile::BM, 0));
    typename Mma::IteratorB it_b(a.it_b, a.problem, a.p.wt, thread_idx,
                                 cutlass::MatrixCoord(0, tile_n * Tile::BN));
    const int warp_idx = cutlass::canonical_warp_idx_sync();
    const int lane = thread_idx % 32;
    Mma mma(storage, thread_idx, warp_idx, lane);
    typename Mma::FragmentC acc;
    acc.clear();
    mma(a.k_iterations, acc, it_a, it_b, acc, a.k_iterations_per_channel);
    /* warp (wm, wn) as CUTLASS's MmaMultistage places it: warp_idx = wm + wn * warps_m */
    const int wm = warp_idx % Tile::kWarpsM, wn = warp_idx / Tile::kWarpsM;
    const int row0 = tile_m * Tile::BM + wm * Tile::WM, col0 = tile_n * Tile::BN + wn * Tile::WN;
    if constexpr (Tile::EPI == C8I_EPI_VST) {
        __syncthreads(); /* every warp is done with the mainloop's shared memory */
        int32_t *slab = reinterpret_cast<int32_t *>(smem_) + warp_idx * (Tile::kSlabBytes / 4);
        c8i_cutlass_epilogue_vst<Tile>::apply(a.p, acc, row0, col0, lane, slab);
    } else {
        c8i_cutlass_epilogue<Tile>::apply(a.p, acc, row0, col0, lane);
    }
#endif
}

/* Host side of one tile: the shared-memory opt-in and the launch. */
template <class Tile> struct sm80_conv {
    static c8_status init(c8_error *err) {
        C8_CUDA_TRY(err,
                    cudaFuncSetAttribute(conv_kernel<Tile>,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize, Tile::kSmem));
        return C8_OK;
    }
    static c8_status launch(const c8i_conv_params &p, cudaStream_t stream, c8_error *err) {
        using Mma = typename Tile::Mma;
        cutlass::conv::Conv2dProblemSize ps(p.n, p.h, p.w, p.cp, p.kp, p.r, p.s, p.p, p.q, p.pt,
                                            p.pl, p.sh, p.sw, p.dh, p.dw,
                                            cutlass::conv::Mode::kCrossCorrelation, 1, 1);
        if (Mma::IteratorA::can_implement(ps) != cutlass::Status::kSuccess ||
            Mma::IteratorB::can_implement(ps) != cutlass::Status::kSuccess)
            return c8_err(err, C8_ERR_UNSUPPORTED,
                          "CUTLASS conv: its iterators refuse the problem (C %d, R %d, S %d)", p.cp,
                          p.r, p.s);
        long long tiles =
            (long long)((p.m + Tile::BM - 1) / Tile::BM) * ((p.kp + Tile::BN - 1) / Tile::BN);
        if (tiles > 0x7fffffffLL)
            return c8_err(err, C8_ERR_LIMIT, "CUTLASS conv: %lld tiles exceed the grid limit",
                          tiles);
        conv_args<Tile> a;
        a.problem = ps;
        a.it_a = Mma::IteratorA::getParams(
            ps, cutlass::layout::TensorNHWC::packed(cutlass::Tensor4DCoord(p.n, p.h, p.w, p.cp)));
        a.it_b = typename Mma::IteratorB::Params(
            ps, cutlass::layout::TensorNHWC::packed(cutlass::Tensor4DCoord(p.kp, p.r, p.s, p.cp)));
        a.k_iterations =
            cutlass::conv::implicit_gemm_k_iterations(cutlass::conv::Operator::kFprop, Tile::BK, ps,
                                                      cutlass::conv::IteratorAlgorithm::kOptimized,
                                                      cutlass::conv::GroupMode::kNone, Tile::BN);
        a.k_iterations_per_channel = cutlass::conv::implicit_gemm_k_iterations_per_channel(
            cutlass::conv::Operator::kFprop, ps, cutlass::conv::IteratorAlgorithm::kOptimized);
        a.tiles_n = (p.kp + Tile::BN - 1) / Tile::BN;
        a.p = p;
        conv_kernel<Tile><<<(unsigned)tiles, Tile::kThreads, Tile::kSmem, stream>>>(a);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
};

} // namespace c8i_cutlass

/* Defines the entry c8i_cutlass_entry_<ALGO> (declared by C8I_CUTLASS_SM80_DECLARE in
 * conv_cutlass.h) of one row of the table: one per .cu file. */
#define C8I_CUTLASS_SM80_DEFINE(ALGO, BM, BN, BK, WM, WN, ST, EPI)                                 \
    using c8i_tile_##ALGO = c8i_cutlass::sm80_tile<BM, BN, BK, WM, WN, ST, EPI>;                   \
    extern const c8i_cutlass_entry c8i_cutlass_entry_##ALGO = {                                    \
        c8i_cutlass::sm80_conv<c8i_tile_##ALGO>::init,                                             \
        c8i_cutlass::sm80_conv<c8i_tile_##ALGO>::launch,                                           \
        (size_t)c8i_tile_##ALGO::kSmem,                                                            \
        80,                                                                                        \
        0,                                                                                         \
        nullptr};

#endif
