/* INT8 convolution on CUTLASS 3.x for Hopper (C++17; included only by the per-tile files
 * sm90_*.cu beside it, compiled for sm_90a alone): CUTLASS's implicit-GEMM fprop kernel for
 * sm_90 (cutlass::conv::kernel::ConvUniversal with the collective its CollectiveBuilder makes:
 * im2col TMA loads of the activations, tiled TMA loads of the filter, a warp-specialized
 * pipeline of one producer and one consumer warpgroup, wgmma m64nNk32 s8 -> s32) with calib8's
 * own epilogue in place of CUTLASS's (sm90_epilogue below): CUTLASS's epilogues round and order
 * differently from include/calib8/quant.h.
 *
 * The problem CUTLASS sees is calib8's padded one, as for the Sm80 tiles (conv_sm80.cuh):
 * activations (N, H, W, Cp) NHWC int8, filter (Kp, R, S, Cp) (CUTLASS's KRSC), output rows
 * m = (n, p, q) by Kp columns; int32 sums are exact. Padding: CUTLASS takes a lower and an upper
 * padding per spatial dimension and computes P, Q from them; the upper one is chosen so that its
 * P, Q equal calib8's (the TMA unit reads zeros outside the image). The epilogue is the one of
 * conv_imma.cu and the Sm80 tiles: common.cuh's c8i_load_chan / c8i_epi_finish, two consecutive
 * channels per store straight from wgmma's accumulator fragment, pad channels written 0.
 * Reference: kernels/ref/int8_conv.c; tests: tests/cuda/test_cuda_int8_conv.c. */
#ifndef C8_KERNELS_CUDA_INT8_CUTLASS_CONV_SM90_CUH
#define C8_KERNELS_CUDA_INT8_CUTLASS_CONV_SM90_CUH

#include "kernels/cuda/int8/common.cuh"
#include "kernels/cuda/int8/cutlass/conv_cutlass.h"

#include <cute/tensor.hpp>
#include <cutlass/kernel_hardware_info.h> /* before the conv collectives, which use it */
#include <cutlass/conv/collective/collective_builder.hpp>
#include <cutlass/conv/convnd_problem_shape.hpp>
#include <cutlass/conv/dispatch_policy.hpp>
#include <cutlass/conv/kernel/conv_universal.hpp>
#include <cutlass/cutlass.h>
#include <cutlass/device_kernel.h>
#include <cutlass/epilogue/collective/detail.hpp>

namespace c8i_cutlass {

/* calib8's epilogue as a CUTLASS 3 epilogue operation (the interface of
 * cutlass::epilogue::collective::DefaultEpilogue; Sm90TmaWarpSpecializedAdapter supplies the
 * pipeline members the warp-specialized kernel calls). It stores straight to global memory from
 * the accumulators, so it needs no shared memory and no producer loads. */
struct sm90_epilogue_op {
    /* named by the kernel type only: the output is calib8's (c8i_conv_params.out) */
    using ElementC = int8_t;
    using ElementD = int8_t;
    using StrideC = cute::Stride<int64_t, cute::Int<1>, int64_t>;
    using StrideD = StrideC;
    struct SharedStorage {};
    struct Arguments {
        c8i_conv_params p;
    };
    using Params = Arguments;

    template <class ProblemShape>
    static Params to_underlying_arguments(ProblemShape const &, Arguments const &a, void *) {
        return a;
    }
    template <class ProblemShape>
    static size_t get_workspace_size(ProblemShape const &, Arguments const &) {
        return 0;
    }
    template <class ProblemShape>
    static cutlass::Status initialize_workspace(ProblemShape const &, Arguments const &, void *,
                                                cudaStream_t,
                                                cutlass::CudaHostAdapter * = nullptr) {
        return cutlass::Status::kSuccess;
    }
    template <class ProblemShape>
    static bool can_implement(ProblemShape const &, Arguments const &) {
        return true;
    }

    CUTLASS_HOST_DEVICE sm90_epilogue_op(Params const &params_) : params(params_) {}
    CUTLASS_HOST_DEVICE sm90_epilogue_op() {}
    CUTLASS_DEVICE bool is_source_needed() { return false; }

    /* The consumer warpgroup's accumulators of output tile blk_coord: each thread holds, per
     * 64-row wgmma atom and 8-column group, rows (g, g + 8) x columns (2t, 2t + 1) of its warp's
     * 16 rows (g = lane / 4, t = lane % 4): flat fragment index
     * i = v + 2 * (h + 2 * (j + NJ * a)) for column v, row half h, column group j, atom a. The
     * coordinates come from CUTLASS's own partition of an identity tensor, so only the pairing
     * of i and i + 1 as neighbouring columns is assumed (static_assert below). */
    template <class ProblemShapeMNKL, class BlockShapeMNK, class BlockCoordMNKL, class FrgEngine,
              class FrgLayout, class TiledMma, class ResidueMNK>
    CUTLASS_DEVICE void operator()(ProblemShapeMNKL problem_shape_mnkl, BlockShapeMNK blk_shape_mnk,
                                   BlockCoordMNKL blk_coord_mnkl,
                                   cute::Tensor<FrgEngine, FrgLayout> const &acc,
                                   TiledMma tiled_mma, ResidueMNK, int thread_idx, char *) {
        using namespace cute;
        const c8i_conv_params &p = params.p;
        const int M = (int)get<0>(problem_shape_mnkl), N = (int)get<1>(problem_shape_mnkl);
        auto m_coord = get<0>(blk_coord_mnkl);
        auto n_coord = get<1>(blk_coord_mnkl);
        auto thr_mma = tiled_mma.get_thread_slice(thread_idx);
        Tensor cD = local_tile(make_identity_tensor(make_shape(M, N)), take<0, 2>(blk_shape_mnk),
                               make_coord(m_coord, n_coord));
        Tensor tCcD = thr_mma.partition_C(cD); /* ((2, 2, NJ), ATOMS_M, ATOMS_N) coordinates */
        static_assert(decltype(size<0, 0>(tCcD))::value == 2 &&
                          decltype(size<0, 1>(tCcD))::value == 2,
                      "wgmma C fragment: column pairs, then row halves");
        constexpr int NJ = decltype(size<0, 2>(tCcD))::value;
        constexpr int AM = decltype(size<1>(tCcD))::value;
        constexpr int AN = decltype(size<2>(tCcD))::value;
        static_assert(decltype(size(acc))::value == 4 * NJ * AM * AN, "one accumulator per output");
        /* per element pair: the channel's multiplier and bias (L1 hits after the first row),
         * the residual, then the arithmetic; holding them for all NJ groups at once spilled */
#pragma unroll
        for (int an = 0; an < AN; an++)
#pragma unroll
            for (int am = 0; am < AM; am++)
#pragma unroll
                for (int h = 0; h < 2; h++)
#pragma unroll
                    for (int j = 0; j < NJ; j++) {
                        const auto c = tCcD(make_coord(make_coord(0, h, j), am, an));
                        const int m = (int)get<0>(c), n = (int)get<1>(c);
                        if (m >= p.m || n >= p.kp) continue;
                        float mv[2];
                        int32_t bv[2];
                        c8i_load_chan<2>(p, n, mv, bv);
                        const size_t off = (size_t)m * p.kp + n;
                        const uint32_t rw =
                            p.res ? (uint32_t)__ldg(
                                        reinterpret_cast<const unsigned short *>(p.res + off))
                                  : 0u;
                        const int32_t a2[2] = {acc(make_coord(make_coord(0, h, j), am, an)),
                                               acc(make_coord(make_coord(1, h, j), am, an))};
                        c8i_epi_finish<2>(p, off, n, a2, mv, bv, &rw);
                    }
    }

    Params params;
};

/* One tile shape: BM x BN x BK (BK in int8 elements: the reduction step per pipeline stage;
 * the input's padded channels Cp must be a multiple of it). */
template <int BM_, int BN_, int BK_> struct sm90_tile {
    static constexpr int BM = BM_, BN = BN_, BK = BK_;
    /* N and K nested, as the conv problem's modes are: the K tile runs along C alone */
    using TileShape =
        cute::Shape<cute::Int<BM>, cute::Shape<cute::Int<BN>>, cute::Shape<cute::Int<BK>>>;
    using ClusterShape = cute::Shape<cute::_1, cute::_1, cute::_1>;
    using Epilogue =
        cutlass::epilogue::collective::detail::Sm90TmaWarpSpecializedAdapter<sm90_epilogue_op>;
    using Mainloop = typename cutlass::conv::collective::CollectiveBuilder<
        cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, cutlass::conv::Operator::kFprop,
        int8_t, cutlass::layout::TensorNHWC, 16, int8_t, cutlass::layout::TensorNHWC, 16, int32_t,
        TileShape, ClusterShape,
        cutlass::conv::collective::StageCountAutoCarveout<(int)sizeof(
            typename Epilogue::SharedStorage)>,
        cutlass::conv::KernelImplicitTmaWarpSpecializedSm90>::CollectiveOp;
    using ProblemShape = cutlass::conv::ConvProblemShape<cutlass::conv::Operator::kFprop, 2>;
    using Kernel = cutlass::conv::kernel::ConvUniversal<ProblemShape, Mainloop, Epilogue>;
    static constexpr int kSmem = Kernel::SharedStorageSize;
    static constexpr int kThreads = Kernel::MaxThreadsPerBlock;
};

/* Host side of one tile. */
template <class Tile> struct sm90_conv {
    using Kernel = typename Tile::Kernel;

    /* CUTLASS's problem for p, or a reason why it cannot take it. */
    static const char *problem(const c8i_conv_params &p, typename Tile::ProblemShape *out) {
        if (p.cp % Tile::BK) return "the padded input channels are not a multiple of the tile's K";
        /* the upper padding that makes CUTLASS's P, Q equal calib8's (they may read fewer rows) */
        const int pb = (p.p - 1) * p.sh + (p.r - 1) * p.dh + 1 - p.h - p.pt;
        const int pr = (p.q - 1) * p.sw + (p.s - 1) * p.dw + 1 - p.w - p.pl;
        const int ub = pb > 0 ? pb : 0, ur = pr > 0 ? pr : 0;
        if ((p.h + p.pt + ub - (p.r - 1) * p.dh - 1) / p.sh + 1 != p.p ||
            (p.w + p.pl + ur - (p.s - 1) * p.dw - 1) / p.sw + 1 != p.q)
            return "output extent unlike CUTLASS's for any upper padding";
        if (p.sh > 8 || p.sw > 8) return "the TMA unit's im2col mode takes strides up to 8";
        *out = typename Tile::ProblemShape(cutlass::conv::Mode::kCrossCorrelation,
                                           {p.n, p.h, p.w, p.cp}, {p.kp, p.r, p.s, p.cp},
                                           {p.pt, p.pl}, {ub, ur}, {p.sh, p.sw}, {p.dh, p.dw}, 1);
        return nullptr;
    }

    static typename Kernel::Arguments arguments(const c8i_conv_params &p,
                                                const typename Tile::ProblemShape &ps) {
        typename Kernel::Arguments a(ps, {p.x, p.wt}, {p});
        return a;
    }

    static const char *check(const c8i_conv_params &p) {
        typename Tile::ProblemShape ps;
        if (const char *why = problem(p, &ps)) return why;
        if (!Kernel::can_implement(arguments(p, ps)))
            return "CUTLASS's Hopper kernel refuses the problem (TMA alignment, padding or "
                   "filter-offset limits)";
        return nullptr;
    }

    static c8_status init(c8_error *err) {
        C8_CUDA_TRY(err,
                    cudaFuncSetAttribute(cutlass::device_kernel<Kernel>,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize, Tile::kSmem));
        return C8_OK;
    }

    static c8_status launch(const c8i_conv_params &p, cudaStream_t stream, c8_error *err) {
        typename Tile::ProblemShape ps;
        if (const char *why = problem(p, &ps))
            return c8_err(err, C8_ERR_UNSUPPORTED, "CUTLASS Hopper conv: %s", why);
        if ((uintptr_t)p.x % 16 || (uintptr_t)p.wt % 16)
            return c8_err(err, C8_ERR_UNSUPPORTED,
                          "CUTLASS Hopper conv: the TMA unit needs 16-byte aligned tensors");
        /* the TMA descriptors (built here, on the host) hold the tensors' addresses */
        typename Kernel::Params kp = Kernel::to_underlying_arguments(arguments(p, ps), nullptr);
        const dim3 grid = Kernel::get_grid_shape(kp);
        cutlass::device_kernel<Kernel>
            <<<grid, Kernel::get_block_shape(), Tile::kSmem, stream>>>(kp);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
};

} // namespace c8i_cutlass

/* Defines the entry c8i_cutlass_entry_<ALGO> of one row of the Sm90 table (conv_cutlass.h). */
#define C8I_CUTLASS_SM90_DEFINE(ALGO, BM, BN, BK)                                                  \
    using c8i_tile_##ALGO = c8i_cutlass::sm90_tile<BM, BN, BK>;                                    \
    extern const c8i_cutlass_entry c8i_cutlass_entry_##ALGO = {                                    \
        c8i_cutlass::sm90_conv<c8i_tile_##ALGO>::init,                                             \
        c8i_cutlass::sm90_conv<c8i_tile_##ALGO>::launch,                                           \
        (size_t)c8i_tile_##ALGO::kSmem,                                                            \
        90,                                                                                        \
        90,                                                                                        \
        c8i_cutlass::sm90_conv<c8i_tile_##ALGO>::check};

#endif
