/* INT8 convolution as implicit GEMM on integer tensor cores: mma.sync.aligned.m16n8k32.row.col
 * .s32.s8.s8.s32 (sm_80+, sm_90 included), with the fused epilogue.
 * GEMM view as in conv_dp4a.cu: rows m = (n, p, q), columns = output channels (Kp), reduction
 * kk = (r, s, c) over R*S*Cp. A block computes a BM x BN tile with (BM/WM) x (BN/WN) warps; the
 * reduction advances BK = 64 or 128 bytes per stage through a STAGES-deep cp.async pipeline
 * (16-byte copies, zero-filled outside the input, the rows or the reduction); fragments come from
 * shared memory through ldmatrix.x4. Shared tiles are rows of BK bytes, XOR-swizzled per 16-byte
 * chunk (kernels/cuda/int8/imma_map.h) so that the eight rows of one ldmatrix 8x8 matrix hit
 * eight different bank groups.
 * Fragment layouts (PTX ISA, mma.m16n8k32 .s8; g = lane / 4, t = lane % 4):
 *   A (16x32, row): a0 = A[g][4t..4t+3], a1 = A[g+8][4t..], a2 = A[g][16+4t..],
 *                   a3 = A[g+8][16+4t..]
 *   B (32x8, col):  b0 = B[4t..4t+3][g], b1 = B[16+4t..][g] (column n = packed weight row n)
 *   C (16x8):       c0 = C[g][2t], c1 = C[g][2t+1], c2 = C[g+8][2t], c3 = C[g+8][2t+1]
 * ldmatrix.m8n8.x4.b16 on 8 rows x 16 bytes gives lane l the 4 bytes at row l/4, byte 4*(l%4):
 * exactly the a0 / b0 pattern. Reference: kernels/ref/int8_conv.c; tests:
 * tests/kernels/cuda/test_cuda_int8_conv.c; the index helpers below are also emulated on the CPU by
 * tests/kernels/cuda/test_cuda_int8_imma_map.c. */
#include "kernels/cuda/int8/common.cuh"
#include "kernels/cuda/int8/imma_map.h"

namespace {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define C8I_IMMA_OK 1
#else
#define C8I_IMMA_OK 0
#endif

#if C8I_IMMA_OK /* the helpers exist only where the kernel body uses them */
__device__ __forceinline__ void cp_async16(uint32_t dst, const void *src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
                 "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
__device__ __forceinline__ void ldmatrix_x4(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2,
                                            uint32_t &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}
#endif

template <int BM, int BN, int BK_, int WM, int WN, int STAGES> struct imma_cfg {
    static constexpr int BK = BK_;
    static constexpr int WARPS_M = BM / WM, WARPS_N = BN / WN;
    static constexpr int T = WARPS_M * WARPS_N * 32;
    static constexpr int MI = WM / 16, NI = WN / 8;
    static constexpr int A_STAGE = BM * BK, B_STAGE = BN * BK; /* bytes */
    /* 16-byte copies per thread and stage; when T does not divide a tile's chunk count, the
     * last round is partial and threads past the tile's rows skip it */
    static constexpr int A_CH = (BM * (BK / 16) + T - 1) / T;
    static constexpr int B_CH = (BN * (BK / 16) + T - 1) / T;
    static constexpr bool A_EXACT = BM * (BK / 16) % T == 0;
    static constexpr bool B_EXACT = BN * (BK / 16) % T == 0;
    static constexpr int SMEM = STAGES * (A_STAGE + B_STAGE);
    /* with an int8 residual fetched at the kernel's start: the tile (rows BN + 16 bytes apart)
     * after the pipeline's stages */
    static constexpr int RS = BN + 16;
    static constexpr int SMEM_RES = SMEM + BM * RS;
    /* 8-warp blocks with 64x32 warp tiles or smaller fit two per SM at <= 128 registers */
    static constexpr int MIN_BLOCKS = T == 256 && WM <= 64 && WN <= 32 ? 2 : 1;
    static_assert(A_CH >= 1 && B_CH >= 1 && T % (BK / 16) == 0, "loader mapping");
    static_assert(NI % 2 == 0 && WM % 16 == 0, "warp tile");
};

template <int BM, int BN, int BK_, int WM, int WN, int STAGES>
__global__ void __launch_bounds__(imma_cfg<BM, BN, BK_, WM, WN, STAGES>::T,
                                  imma_cfg<BM, BN, BK_, WM, WN, STAGES>::MIN_BLOCKS)
    conv_imma_kernel(const c8i_conv_params p) {
#if C8I_IMMA_OK
    using C = imma_cfg<BM, BN, BK_, WM, WN, STAGES>;
    constexpr int BK = C::BK, T = C::T, MI = C::MI, NI = C::NI;
    extern __shared__ __align__(128) int8_t smem[];
    const uint32_t sA = (uint32_t)__cvta_generic_to_shared(smem);
    const uint32_t sB = sA + STAGES * C::A_STAGE;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp % C::WARPS_M, wn = warp / C::WARPS_M;
    const int nt = (p.kp + BN - 1) / BN;
    const int m0 = (int)(blockIdx.x / nt) * BM;
    const int n0 = (int)(blockIdx.x % nt) * BN;

    /* ---- loader state: this thread copies chunk column j of rows tid/(BK/16) + i*T/(BK/16) ----
     * Input offsets are 32-bit (tensors < 2^31 bytes: c8_cuda_int8_conv_supports). A row's source
     * is a_off[i] + koff, koff = (r*dh*W + s*dw)*Cp + c the offset of the current tap and slice,
     * valid when ih0 + r*dh and iw0 + s*dw fall inside the input. */
    /* An int8 residual tile is fetched first, into its own shared memory, so that its latency
     * overlaps the mainloop's loads: the 1x1 layers that widen 64 -> 256 channels at 56x56 have
     * one reduction stage, and fetching the residual after it left the SMs waiting for memory
     * twice per tile (bench/results/int8-conv-h100-2026-12-07b.md: 5% of the mma peak). The
     * copies join the first stage's cp.async group. */
    int8_t *const res_tile = smem + C::SMEM;
    if (p.res_early) {
        constexpr int CH = BN / 16;
        const uint32_t dres = sA + C::SMEM;
        for (int idx = tid; idx < BM * CH; idx += T) {
            const int row = idx / CH, cc = idx - row * CH;
            const int m = m0 + row, n = n0 + cc * 16;
            const bool ok = m < p.m && n < p.kp;
            cp_async16(dres + row * C::RS + cc * 16, p.res + (ok ? (size_t)m * p.kp + n : 0),
                       ok ? 16 : 0);
        }
    }
    const int j = c8i_imma_load_chunk(tid, BK);
    int a_off[C::A_CH], a_ih0[C::A_CH], a_iw0[C::A_CH];
    uint32_t a_dst[C::A_CH];
    bool a_use[C::A_CH]; /* the row is inside the tile (always, when A_EXACT) */
#pragma unroll
    for (int i = 0; i < C::A_CH; i++) {
        int row = c8i_imma_load_row(tid, i, T, BK);
        a_use[i] = C::A_EXACT || row < BM;
        if (!a_use[i]) row = 0;
        a_dst[i] = c8i_imma_swz(row, j, BK);
        int m = m0 + row;
        if (m < p.m) {
            int img = m / (p.p * p.q), rem = m % (p.p * p.q);
            a_ih0[i] = (rem / p.q) * p.sh - p.pt;
            a_iw0[i] = (rem % p.q) * p.sw - p.pl;
            a_off[i] = img * (p.h * p.w * p.cp) + (a_ih0[i] * p.w + a_iw0[i]) * p.cp;
        } else {
            a_ih0[i] = -(1 << 28); /* never inside the input */
            a_iw0[i] = 0;
            a_off[i] = 0;
        }
    }
    int b_off[C::B_CH]; /* offset of this thread's 16 bytes of the stage in w; -1 past Kp */
    uint32_t b_dst[C::B_CH];
    bool b_use[C::B_CH];
#pragma unroll
    for (int i = 0; i < C::B_CH; i++) {
        int row = c8i_imma_load_row(tid, i, T, BK);
        b_use[i] = C::B_EXACT || row < BN;
        if (!b_use[i]) row = 0;
        b_dst[i] = c8i_imma_swz(row, j, BK);
        b_off[i] = n0 + row < p.kp ? (n0 + row) * p.ktot + j * 16 : -1;
    }
    /* reduction position of chunk column j: kk = kt*BK + 16j = tap (r, s), channel c */
    int c = j * 16, rdh = 0, sdw = 0, r = 0, s = 0;
    auto normalize = [&]() {
        while (c >= p.cp) {
            c -= p.cp;
            sdw += p.dw;
            if (++s == p.s) {
                s = 0;
                sdw = 0;
                ++r;
                rdh += p.dh;
            }
        }
    };
    normalize();

    auto load_stage = [&](int stage, int kt) {
        const bool kok = r < p.r; /* kk < ktot */
        const int koff = (rdh * p.w + sdw) * p.cp + c;
        const uint32_t da = sA + stage * C::A_STAGE, db = sB + stage * C::B_STAGE;
#pragma unroll
        for (int i = 0; i < C::A_CH; i++) {
            if (!C::A_EXACT && !a_use[i]) continue;
            bool ok = kok && (unsigned)(a_ih0[i] + rdh) < (unsigned)p.h &&
                      (unsigned)(a_iw0[i] + sdw) < (unsigned)p.w;
            cp_async16(da + a_dst[i], p.x + (unsigned)(ok ? a_off[i] + koff : 0), ok ? 16 : 0);
        }
#pragma unroll
        for (int i = 0; i < C::B_CH; i++) {
            if (!C::B_EXACT && !b_use[i]) continue;
            bool ok = kok && b_off[i] >= 0;
            cp_async16(db + b_dst[i], p.wt + (unsigned)(ok ? b_off[i] + kt * BK : 0), ok ? 16 : 0);
        }
        c += BK; /* advance chunk column j by one stage of reduction */
        normalize();
    };

    int32_t acc[MI][NI][4];
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[mi][ni][e] = 0;

    /* per-lane ldmatrix offsets within a stage (for k32 step ks = 0; ks = 1 below) */
    uint32_t a_frag[MI][BK / 32], b_frag[NI / 2][BK / 32];
#pragma unroll
    for (int ks = 0; ks < BK / 32; ks++) {
#pragma unroll
        for (int mi = 0; mi < MI; mi++)
            a_frag[mi][ks] = c8i_imma_a_frag_off(wm * WM + mi * 16, ks, lane, BK);
#pragma unroll
        for (int nj = 0; nj < NI / 2; nj++)
            b_frag[nj][ks] = c8i_imma_b_frag_off(wn * WN + nj * 16, ks, lane, BK);
    }

    const int ktiles = (p.ktot + BK - 1) / BK;
#pragma unroll
    for (int st = 0; st < STAGES - 1; st++) {
        if (st < ktiles) load_stage(st, st);
        cp_async_commit();
    }

    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        {
            int kn = kt + STAGES - 1;
            if (kn < ktiles) load_stage(kn % STAGES, kn);
            cp_async_commit();
        }
        const int stage = kt % STAGES;
        const uint32_t da = sA + stage * C::A_STAGE, db = sB + stage * C::B_STAGE;
#pragma unroll
        for (int ks = 0; ks < BK / 32; ks++) {
            uint32_t af[MI][4], bf[NI][2];
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
                ldmatrix_x4(da + a_frag[mi][ks], af[mi][0], af[mi][1], af[mi][2], af[mi][3]);
#pragma unroll
            for (int nj = 0; nj < NI / 2; nj++)
                ldmatrix_x4(db + b_frag[nj][ks], bf[2 * nj][0], bf[2 * nj][1], bf[2 * nj + 1][0],
                            bf[2 * nj + 1][1]);
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++)
                    c8i_mma_s8(acc[mi][ni], af[mi], bf[ni][0], bf[ni][1]);
        }
    }
    cp_async_wait<0>();

    /* ---- epilogue. Per-channel parameters are loaded once per column pair, before the
     * arithmetic that uses them. ---- */
    const int g = lane >> 2, t4 = lane & 3;
    float mv[NI][2];
    int32_t bv[NI][2];
#pragma unroll
    for (int ni = 0; ni < NI; ni++)
        c8i_load_chan<2>(p, n0 + wn * WN + ni * 8 + t4 * 2, mv[ni], bv[ni]);
    if (p.out == C8_QOUT_INT8) {
        /* int8 outputs go through shared memory: the residual tile comes in and the output tile
         * goes out in 16-byte row chunks, where the fragments' own accesses are 2 bytes in each
         * of 8 rows (a quarter of each 32-byte sector; the 1x1 layers that widen 64 -> 256
         * channels at 56x56 ran at 4% of the tensor-core peak, bench/results/
         * int8-conv-h100-2026-12-07.md). A thread reads the residual of, and writes, only its
         * own fragment positions, so one barrier on each side suffices. Rows are BN + 16 bytes
         * apart: the 8 rows of a fragment access fall in distinct bank groups. */
        constexpr int RS = C::RS, CH = BN / 16;
        static_assert(C::SMEM >= BM * RS, "the staged tile fits the pipeline's shared memory");
        int8_t *tile = p.res_early ? res_tile : smem;
        /* every warp is done with the pipeline's stages, and every thread's residual copies
         * (waited for above) are visible */
        __syncthreads();
        if (p.res && !p.res_early) {
            for (int idx = tid; idx < BM * CH; idx += T) {
                const int row = idx / CH, cc = idx - row * CH;
                const int m = m0 + row, n = n0 + cc * 16;
                uint4 v = make_uint4(0u, 0u, 0u, 0u);
                if (m < p.m && n < p.kp)
                    v = __ldg(reinterpret_cast<const uint4 *>(p.res + (size_t)m * p.kp + n));
                *reinterpret_cast<uint4 *>(tile + row * RS + cc * 16) = v;
            }
            __syncthreads();
        }
#pragma unroll
        for (int mi = 0; mi < MI; mi++)
#pragma unroll
            for (int hr = 0; hr < 2; hr++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++) {
                    const int row = wm * WM + mi * 16 + g + hr * 8, col = wn * WN + ni * 8 + t4 * 2;
                    unsigned short *t = reinterpret_cast<unsigned short *>(tile + row * RS + col);
                    const uint32_t rw = p.res ? (uint32_t)*t : 0u;
                    const int n = n0 + col;
                    float yv[2];
                    c8i_epi_values<2>(p, n, &acc[mi][ni][hr * 2], mv[ni], bv[ni], &rw, yv);
                    const uint32_t o0 =
                        (uint32_t)(uint8_t)(int8_t)(n < p.k ? c8i_rne_sat127(yv[0]) : 0);
                    const uint32_t o1 =
                        (uint32_t)(uint8_t)(int8_t)(n + 1 < p.k ? c8i_rne_sat127(yv[1]) : 0);
                    *t = (unsigned short)(o0 | (o1 << 8));
                }
        __syncthreads();
        for (int idx = tid; idx < BM * CH; idx += T) {
            const int row = idx / CH, cc = idx - row * CH;
            const int m = m0 + row, n = n0 + cc * 16;
            if (m < p.m && n < p.kp)
                *reinterpret_cast<uint4 *>((int8_t *)p.y + (size_t)m * p.kp + n) =
                    *reinterpret_cast<const uint4 *>(tile + row * RS + cc * 16);
        }
        return;
    }
    /* float / binary16 outputs straight from the C fragments: 2 consecutive channels per store,
     * the residual loaded once per 16-row slab before the arithmetic */
#pragma unroll
    for (int mi = 0; mi < MI; mi++) {
        uint32_t rw[2][NI]; /* residual: 2 bytes per (row half, column pair) */
#pragma unroll
        for (int hr = 0; hr < 2; hr++)
#pragma unroll
            for (int ni = 0; ni < NI; ni++) {
                int m = m0 + wm * WM + mi * 16 + g + hr * 8;
                int n = n0 + wn * WN + ni * 8 + t4 * 2;
                rw[hr][ni] = p.res && m < p.m && n < p.kp
                                 ? (uint32_t)__ldg(reinterpret_cast<const unsigned short *>(
                                       p.res + (size_t)m * p.kp + n))
                                 : 0u;
            }
#pragma unroll
        for (int hr = 0; hr < 2; hr++) {
            int m = m0 + wm * WM + mi * 16 + g + hr * 8;
            if (m >= p.m) continue;
#pragma unroll
            for (int ni = 0; ni < NI; ni++) {
                int n = n0 + wn * WN + ni * 8 + t4 * 2;
                if (n >= p.kp) continue;
                c8i_epi_finish<2>(p, (size_t)m * p.kp + n, n, &acc[mi][ni][hr * 2], mv[ni], bv[ni],
                                  &rw[hr][ni]);
            }
        }
    }
#endif
}

template <int BM, int BN, int BK, int WM, int WN, int STAGES> struct imma_kernel {
    using C = imma_cfg<BM, BN, BK, WM, WN, STAGES>;
    static c8_status init(size_t smem_optin, c8_error *err) {
        const int bytes = (size_t)C::SMEM_RES <= smem_optin ? C::SMEM_RES : C::SMEM;
        C8_CUDA_TRY(err, cudaFuncSetAttribute(conv_imma_kernel<BM, BN, BK, WM, WN, STAGES>,
                                              cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
        return C8_OK;
    }
    static c8_status launch(const c8i_conv_params &p, cudaStream_t stream, c8_error *err) {
        long long tiles = (long long)((p.m + BM - 1) / BM) * ((p.kp + BN - 1) / BN);
        if (tiles > 0x7fffffffLL)
            return c8_err(err, C8_ERR_LIMIT, "imma conv: %lld tiles exceed the grid limit", tiles);
        c8i_conv_params q = p;
        q.res_early = p.res && p.out == C8_QOUT_INT8 && (size_t)C::SMEM_RES <= p.smem_optin ? 1 : 0;
        conv_imma_kernel<BM, BN, BK, WM, WN, STAGES>
            <<<(unsigned)tiles, C::T, q.res_early ? C::SMEM_RES : C::SMEM, stream>>>(q);
        C8_CUDA_LAUNCH_TRY(err);
        return C8_OK;
    }
};

/* <BM, BN, BK, WM, WN, STAGES>, indexed by algorithm id */
using K3 = imma_kernel<128, 128, 64, 64, 64, 4>;
using K4 = imma_kernel<128, 128, 64, 64, 32, 3>;
using K5 = imma_kernel<256, 128, 64, 64, 64, 3>;
using K6 = imma_kernel<128, 64, 64, 64, 32, 4>;
using K7 = imma_kernel<64, 64, 64, 32, 32, 4>;
using K10 = imma_kernel<64, 128, 64, 32, 64, 4>;
using K11 = imma_kernel<128, 64, 64, 32, 32, 4>;
using K12 = imma_kernel<128, 128, 64, 32, 64, 3>;
using K13 = imma_kernel<128, 128, 128, 64, 32, 3>;
using K14 = imma_kernel<64, 64, 128, 32, 32, 4>;
using K15 = imma_kernel<128, 64, 128, 64, 32, 3>;
using K16 = imma_kernel<128, 128, 128, 64, 64, 3>;
using K17 = imma_kernel<192, 128, 128, 64, 32, 3>;
using K18 = imma_kernel<256, 128, 128, 64, 32, 3>;
using K19 = imma_kernel<128, 128, 64, 64, 32, 4>;
using K20 = imma_kernel<192, 128, 64, 64, 32, 4>;

} // namespace

c8_status c8i_imma_init(size_t smem_optin, c8_error *err) {
    C8_TRY(K3::init(smem_optin, err));
    C8_TRY(K4::init(smem_optin, err));
    C8_TRY(K5::init(smem_optin, err));
    C8_TRY(K6::init(smem_optin, err));
    C8_TRY(K7::init(smem_optin, err));
    C8_TRY(K10::init(smem_optin, err));
    C8_TRY(K11::init(smem_optin, err));
    C8_TRY(K12::init(smem_optin, err));
    C8_TRY(K13::init(smem_optin, err));
    C8_TRY(K14::init(smem_optin, err));
    C8_TRY(K15::init(smem_optin, err));
    C8_TRY(K16::init(smem_optin, err));
    C8_TRY(K17::init(smem_optin, err));
    C8_TRY(K18::init(smem_optin, err));
    C8_TRY(K19::init(smem_optin, err));
    C8_TRY(K20::init(smem_optin, err));
    return C8_OK;
}

size_t c8i_imma_smem_bytes(int32_t algo) {
    switch (algo) {
    case C8_CUDA_INT8_IMMA_128X128_W64X64: return K3::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X128_W64X32: return K4::C::SMEM;
    case C8_CUDA_INT8_IMMA_256X128_W64X64: return K5::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X64_W64X32: return K6::C::SMEM;
    case C8_CUDA_INT8_IMMA_64X64_W32X32: return K7::C::SMEM;
    case C8_CUDA_INT8_IMMA_64X128_W32X64: return K10::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X64_W32X32: return K11::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X128_W32X64: return K12::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X128X128_W64X32: return K13::C::SMEM;
    case C8_CUDA_INT8_IMMA_64X64X128_W32X32: return K14::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X64X128_W64X32: return K15::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X128X128_W64X64: return K16::C::SMEM;
    case C8_CUDA_INT8_IMMA_192X128X128_W64X32: return K17::C::SMEM;
    case C8_CUDA_INT8_IMMA_256X128X128_W64X32: return K18::C::SMEM;
    case C8_CUDA_INT8_IMMA_128X128X64_W64X32_S4: return K19::C::SMEM;
    case C8_CUDA_INT8_IMMA_192X128X64_W64X32: return K20::C::SMEM;
    default: return 0;
    }
}

c8_status c8i_launch_imma(int32_t algo, const c8i_conv_params &p, cudaStream_t stream,
                          c8_error *err) {
    switch (algo) {
    case C8_CUDA_INT8_IMMA_128X128_W64X64: return K3::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X128_W64X32: return K4::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_256X128_W64X64: return K5::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X64_W64X32: return K6::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_64X64_W32X32: return K7::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_64X128_W32X64: return K10::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X64_W32X32: return K11::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X128_W32X64: return K12::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X128X128_W64X32: return K13::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_64X64X128_W32X32: return K14::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X64X128_W64X32: return K15::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X128X128_W64X64: return K16::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_192X128X128_W64X32: return K17::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_256X128X128_W64X32: return K18::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_128X128X64_W64X32_S4: return K19::launch(p, stream, err);
    case C8_CUDA_INT8_IMMA_192X128X64_W64X32: return K20::launch(p, stream, err);
    default: return c8_err(err, C8_ERR_INTERNAL, "imma conv: unknown algorithm %d", (int)algo);
    }
}
