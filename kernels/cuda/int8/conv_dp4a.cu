/* INT8 convolution as implicit GEMM on dp4a (sm_61+), with the fused epilogue.
 * GEMM view: rows m = (n, p, q) of the output, columns = output channels (Kp), reduction
 * kk = (r, s, c) over R*S*Cp (x NHWC32, weights packed (Kp, R, S, Cp): kernels/cuda/int8/
 * int8_cuda.h). Block tile BM x BN, reduction step 32 bytes (one 32-channel slice of one (r, s)
 * tap, since Cp is a multiple of 32), 8x8 outputs per thread held in int32 registers.
 * Reference: kernels/ref/int8_conv.c (c8_ref_int8_conv2d); tests:
 * tests/kernels/cuda/test_cuda_int8_conv.c.
 */
#include "kernels/cuda/int8/common.cuh"

namespace {

/* Shared memory holds the tiles transposed, [k4][row] as int32 words (4 int8 of one row), so a
 * thread reads its 4+4 rows of one k4 with two 16-byte loads. Rows padded by 4 words: the two
 * halves of a row's 32 bytes land 16 banks apart when stored. */
template <int BM, int BN>
__global__ void __launch_bounds__((BM / 8) * (BN / 8), 512 / ((BM / 8) * (BN / 8)))
    conv_dp4a_kernel(const c8i_conv_params p) {
    constexpr int TX = BN / 8, TY = BM / 8, T = TX * TY;
    constexpr int A_PER = 2 * BM / T; /* 16-byte chunks of A per thread per step */
    constexpr int B_PER = 2 * BN / T;
    static_assert(A_PER >= 1 && B_PER >= 1, "tile too small for the thread count");
    __shared__ __align__(16) int As[2][8][BM + 4];
    __shared__ __align__(16) int Bs[2][8][BN + 4];

    const int tid = threadIdx.x;
    const int tx = tid % TX, ty = tid / TX;
    const int nt = (p.kp + BN - 1) / BN;
    const int m0 = (int)(blockIdx.x / nt) * BM;
    const int n0 = (int)(blockIdx.x % nt) * BN;

    /* A rows this thread loads: image base, top-left input coordinate of the window */
    int a_base[A_PER]; /* offset of the row's image in x (tensors < 2^31 bytes: supports()) */
    int a_ih0[A_PER], a_iw0[A_PER], a_row[A_PER], a_half[A_PER];
#pragma unroll
    for (int i = 0; i < A_PER; i++) {
        int id = tid + i * T;
        a_row[i] = id >> 1;
        a_half[i] = id & 1;
        int m = m0 + a_row[i];
        if (m < p.m) {
            int img = m / (p.p * p.q), rem = m % (p.p * p.q);
            int pp = rem / p.q, qq = rem % p.q;
            a_base[i] = img * (p.h * p.w * p.cp) + a_half[i] * 16;
            a_ih0[i] = pp * p.sh - p.pt;
            a_iw0[i] = qq * p.sw - p.pl;
        } else {
            a_base[i] = 0;
            a_ih0[i] = -(1 << 28); /* never inside the input */
            a_iw0[i] = 0;
        }
    }
    int b_off[B_PER]; /* offset of the row's current 16 bytes in w, or -1 past Kp */
    int b_row[B_PER], b_half[B_PER];
#pragma unroll
    for (int i = 0; i < B_PER; i++) {
        int id = tid + i * T;
        b_row[i] = id >> 1;
        b_half[i] = id & 1;
        int row = n0 + b_row[i];
        b_off[i] = row < p.kp ? row * p.ktot + b_half[i] * 16 : -1;
    }

    int4 ra[A_PER], rb[B_PER];
    int r = 0, s = 0, c = 0; /* tap and channel slice of the current step */
    auto load = [&](int kt) {
#pragma unroll
        for (int i = 0; i < A_PER; i++) {
            int ih = a_ih0[i] + r * p.dh, iw = a_iw0[i] + s * p.dw;
            if ((unsigned)ih < (unsigned)p.h && (unsigned)iw < (unsigned)p.w)
                ra[i] = __ldg(
                    reinterpret_cast<const int4 *>(p.x + a_base[i] + (ih * p.w + iw) * p.cp + c));
            else
                ra[i] = make_int4(0, 0, 0, 0);
        }
#pragma unroll
        for (int i = 0; i < B_PER; i++)
            rb[i] = b_off[i] >= 0 ? __ldg(reinterpret_cast<const int4 *>(p.wt + b_off[i] + kt * 32))
                                  : make_int4(0, 0, 0, 0);
    };
    auto advance = [&]() {
        c += 32;
        if (c == p.cp) {
            c = 0;
            if (++s == p.s) {
                s = 0;
                ++r;
            }
        }
    };
    auto store = [&](int buf) {
#pragma unroll
        for (int i = 0; i < A_PER; i++) {
            int k4 = a_half[i] * 4;
            As[buf][k4 + 0][a_row[i]] = ra[i].x;
            As[buf][k4 + 1][a_row[i]] = ra[i].y;
            As[buf][k4 + 2][a_row[i]] = ra[i].z;
            As[buf][k4 + 3][a_row[i]] = ra[i].w;
        }
#pragma unroll
        for (int i = 0; i < B_PER; i++) {
            int k4 = b_half[i] * 4;
            Bs[buf][k4 + 0][b_row[i]] = rb[i].x;
            Bs[buf][k4 + 1][b_row[i]] = rb[i].y;
            Bs[buf][k4 + 2][b_row[i]] = rb[i].z;
            Bs[buf][k4 + 3][b_row[i]] = rb[i].w;
        }
    };

    int32_t acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0;

    const int ksteps = p.ktot / 32;
    load(0);
    advance();
    store(0);
    __syncthreads();
    int buf = 0;
    for (int kt = 0; kt < ksteps; kt++) {
        const bool more = kt + 1 < ksteps;
        if (more) {
            load(kt + 1);
            advance();
        }
#pragma unroll
        for (int k4 = 0; k4 < 8; k4++) {
            int4 a0 = *reinterpret_cast<const int4 *>(&As[buf][k4][ty * 4]);
            int4 a1 = *reinterpret_cast<const int4 *>(&As[buf][k4][BM / 2 + ty * 4]);
            int4 b0 = *reinterpret_cast<const int4 *>(&Bs[buf][k4][tx * 4]);
            int4 b1 = *reinterpret_cast<const int4 *>(&Bs[buf][k4][BN / 2 + tx * 4]);
            const int av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const int bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = __dp4a(av[i], bv[j], acc[i][j]);
        }
        if (more) store(buf ^ 1);
        __syncthreads();
        buf ^= 1;
    }

    /* epilogue: rows ty*4+i and BM/2+ty*4+i, channel groups tx*4 and BN/2+tx*4; every load
     * (multipliers, biases, residual) is issued before the arithmetic */
    float mv[2][4];
    int32_t bv[2][4];
#pragma unroll
    for (int h = 0; h < 2; h++) c8i_load_chan<4>(p, n0 + h * (BN / 2) + tx * 4, mv[h], bv[h]);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int m = m0 + (i < 4 ? ty * 4 + i : BM / 2 + ty * 4 + (i - 4));
        if (m >= p.m) continue;
        uint32_t rw[2];
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int n = n0 + h * (BN / 2) + tx * 4;
            rw[h] = p.res && n < p.kp
                        ? __ldg(reinterpret_cast<const unsigned *>(p.res + (size_t)m * p.kp + n))
                        : 0u;
        }
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int n = n0 + h * (BN / 2) + tx * 4;
            if (n >= p.kp) continue;
            c8i_epi_finish<4>(p, (size_t)m * p.kp + n, n, &acc[i][h * 4], mv[h], bv[h], &rw[h]);
        }
    }
}

template <int BM, int BN>
c8_status launch(const c8i_conv_params &p, cudaStream_t stream, c8_error *err) {
    constexpr int T = (BM / 8) * (BN / 8);
    long long tiles = (long long)((p.m + BM - 1) / BM) * ((p.kp + BN - 1) / BN);
    if (tiles > 0x7fffffffLL)
        return c8_err(err, C8_ERR_LIMIT, "dp4a conv: %lld tiles exceed the grid limit", tiles);
    conv_dp4a_kernel<BM, BN><<<(unsigned)tiles, T, 0, stream>>>(p);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}

} // namespace

c8_status c8i_launch_dp4a(int32_t algo, const c8i_conv_params &p, cudaStream_t stream,
                          c8_error *err) {
    switch (algo) {
    case C8_CUDA_INT8_DP4A_128X128: return launch<128, 128>(p, stream, err);
    case C8_CUDA_INT8_DP4A_128X64: return launch<128, 64>(p, stream, err);
    case C8_CUDA_INT8_DP4A_64X64: return launch<64, 64>(p, stream, err);
    default: return c8_err(err, C8_ERR_INTERNAL, "dp4a conv: unknown algorithm %d", (int)algo);
    }
}
