/* INT8 convolution for inputs with few channels (C <= 4: a network's first layer on RGB images),
 * on integer tensor cores (mma.sync m16n8k32 s8 -> s32, sm_80+): algorithm
 * C8_CUDA_INT8_SMALLC_128X64 ("imma_smallc_128x64").
 *
 * Why: the other kernels reduce over (r, s, c) with c padded to 32 (NHWC32), so a 7x7 conv on 3
 * channels multiplies 49 x 32 values per output where 49 x 3 matter: 10.7x wasted tensor-core work
 * (ResNet-50's conv1 took 1.86 ms at batch 256 on an H100, 3x cuDNN's FP16). Here the reduction
 * runs over (r, s, c < 4) only: 196 values padded to 224 for a 7x7 filter.
 *
 * How: a block holds the weights of 64 output channels, (64, R*S*4) int8 (the first 4 bytes of
 * each (k, r, s) row of the packed (Kp, R, S, Cp) weights), in shared memory, and walks tiles of
 * 128 output pixels: it gathers each tile's im2col rows, (128, R*S*4) int8 (the first 4 bytes of
 * each input pixel: channels C..3 are the layout's zero pad channels), and 4 warps each multiply
 * 32 pixels x 64 channels over the whole reduction. The int32 sums are exact in any order, so the
 * result equals the reference's; each thread then finishes its fragments' channel pairs with the
 * common epilogue (c8i_epi_finish: calib8's exact requantization). Rows of the shared tiles are
 * REDP + 16 bytes long (REDP = the reduction
 * padded to 32), 4 * odd words, which makes the fragment loads free of bank conflicts. */
#include "kernels/cuda/int8/common.cuh"

namespace {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define C8I_SMALLC_OK 1
#else
#define C8I_SMALLC_OK 0
#endif

constexpr int kBM = 128, kBN = 64, kThreads = 128;
constexpr int kMaxTaps = 112; /* R * S limit: REDP <= 448, shared memory <= 89 KB */

__host__ __device__ int redp_of(int taps) { return (taps * 4 + 31) / 32 * 32; }

size_t smem_bytes(int taps) {
    const size_t row = (size_t)redp_of(taps) + 16;
    const size_t geo = (size_t)kBM * 3 * 4 + (size_t)kMaxTaps * 2 * 4; /* pixel / tap tables */
    return (kBM + kBN) * row + geo;
}

__global__ void __launch_bounds__(kThreads)
    smallc_kernel(const c8i_conv_params p, int tiles_per_block) {
#if C8I_SMALLC_OK
    extern __shared__ __align__(16) unsigned char smem[];
    const int taps = p.r * p.s, redp = redp_of(taps), rw = redp / 4 + 4; /* words per tile row */
    const int tp = redp / 4;                                             /* tap slots per row */
    uint32_t *As = reinterpret_cast<uint32_t *>(smem);
    uint32_t *Bs = As + kBM * rw;
    int *geo = reinterpret_cast<int *>(Bs + kBN * rw);
    int *pix_base = geo, *pix_y = geo + kBM, *pix_x = geo + 2 * kBM;
    int *tap_dy = geo + 3 * kBM, *tap_dx = tap_dy + kMaxTaps;
    const int tid = threadIdx.x, n_base = blockIdx.y * kBN;
    const int nb = min(kBN, p.kp - n_base), ntiles = nb / 8; /* kp is a multiple of 32 */
    const int warp = tid / 32, lane = tid % 32, g = lane / 4, tig = lane % 4;

    /* once per block: the filter's taps and the weights, word (n, t) = the first 4 channels of
     * packed row (n_base + n, tap t) */
    for (int t = tid; t < taps; t += kThreads) {
        tap_dy[t] = (t / p.s) * p.dh;
        tap_dx[t] = (t % p.s) * p.dw;
    }
    {
        int i = tid / tp, t = tid - (tid / tp) * tp;
        for (int idx = tid; idx < kBN * tp; idx += kThreads) {
            uint32_t v = 0;
            if (t < taps && i < nb)
                v = __ldg(reinterpret_cast<const uint32_t *>(
                    p.wt + ((size_t)(n_base + i) * taps + t) * p.cp));
            Bs[i * rw + t] = v;
            t += kThreads;
            while (t >= tp) {
                t -= tp;
                i++;
            }
        }
    }
    /* this thread's output channels: multipliers and biases, loaded once */
    float mv[8][2];
    int32_t bv[8][2];
#pragma unroll
    for (int ni = 0; ni < 8; ni++) c8i_load_chan<2>(p, n_base + ni * 8 + tig * 2, mv[ni], bv[ni]);

    const int mtiles = (p.m + kBM - 1) / kBM;
    const int t_end = min(mtiles, (blockIdx.x + 1) * tiles_per_block);
    for (int tile = blockIdx.x * tiles_per_block; tile < t_end; tile++) {
        const int m0 = tile * kBM;
        __syncthreads(); /* the previous tile's fragments are read */
        {
            const int m = m0 + tid;
            if (m < p.m) {
                const int q = m % p.q, t = m / p.q, pp = t % p.p, img = t / p.p;
                pix_base[tid] = img * p.h;
                pix_y[tid] = pp * p.sh - p.pt;
                pix_x[tid] = q * p.sw - p.pl;
            } else {
                pix_base[tid] = -1;
                pix_y[tid] = pix_x[tid] = 0;
            }
        }
        __syncthreads();
        /* im2col tile: word (i, t) = the first 4 channels of input pixel (i, tap t), 0 outside */
        {
            int i = tid / tp, t = tid - (tid / tp) * tp;
            for (int idx = tid; idx < kBM * tp; idx += kThreads) {
                uint32_t v = 0;
                const int base = pix_base[i];
                if (t < taps && base >= 0) {
                    const int iy = pix_y[i] + tap_dy[t], ix = pix_x[i] + tap_dx[t];
                    if ((unsigned)iy < (unsigned)p.h && (unsigned)ix < (unsigned)p.w)
                        v = __ldg(reinterpret_cast<const uint32_t *>(
                            p.x + ((size_t)(base + iy) * p.w + ix) * p.cp));
                }
                As[i * rw + t] = v;
                t += kThreads;
                while (t >= tp) {
                    t -= tp;
                    i++;
                }
            }
        }
        __syncthreads();

        int32_t acc[2][8][4];
#pragma unroll
        for (int a = 0; a < 2; a++)
#pragma unroll
            for (int b = 0; b < 8; b++)
#pragma unroll
                for (int c = 0; c < 4; c++) acc[a][b][c] = 0;
        for (int ks = 0; ks < redp / 32; ks++) {
            const int kw0 = ks * 8 + tig; /* word of this thread's 4 reduction values */
            uint32_t af[2][4];
#pragma unroll
            for (int mi = 0; mi < 2; mi++) {
                const int row = warp * 32 + mi * 16 + g;
                af[mi][0] = As[row * rw + kw0];
                af[mi][1] = As[(row + 8) * rw + kw0];
                af[mi][2] = As[row * rw + kw0 + 4];
                af[mi][3] = As[(row + 8) * rw + kw0 + 4];
            }
#pragma unroll
            for (int ni = 0; ni < 8; ni++) {
                if (ni >= ntiles) break;
                const uint32_t b0 = Bs[(ni * 8 + g) * rw + kw0];
                const uint32_t b1 = Bs[(ni * 8 + g) * rw + kw0 + 4];
                c8i_mma_s8(acc[0][ni], af[0], b0, b1);
                c8i_mma_s8(acc[1][ni], af[1], b0, b1);
            }
        }
        /* the epilogue from the fragments: channels (n, n + 1) of rows g and g + 8 */
#pragma unroll
        for (int mi = 0; mi < 2; mi++)
#pragma unroll
            for (int half = 0; half < 2; half++) {
                const int m = m0 + warp * 32 + mi * 16 + g + half * 8;
                if (m >= p.m) continue;
#pragma unroll
                for (int ni = 0; ni < 8; ni++) {
                    if (ni >= ntiles) break;
                    const int n = n_base + ni * 8 + tig * 2;
                    const size_t off = (size_t)m * (size_t)p.kp + (size_t)n;
                    uint32_t resw = 0;
                    if (p.res) resw = __ldg(reinterpret_cast<const unsigned short *>(p.res + off));
                    const int32_t a2[2] = {acc[mi][ni][half * 2], acc[mi][ni][half * 2 + 1]};
                    c8i_epi_finish<2>(p, off, n, a2, mv[ni], bv[ni], &resw);
                }
            }
    }
#else
    (void)p;
    (void)tiles_per_block;
#endif
}

} // namespace

int c8i_smallc_supported(const c8_conv2d_desc *d, const char **why) {
    if (d->c > 4) {
        if (why) *why = "more than 4 input channels (the small-channel kernel reads 4 per pixel)";
        return 0;
    }
    if (d->r * d->s > kMaxTaps) {
        if (why) *why = "filter larger than 112 taps";
        return 0;
    }
    return 1;
}

size_t c8i_smallc_smem_bytes(const c8_conv2d_desc *d) { return smem_bytes((int)(d->r * d->s)); }

c8_status c8i_smallc_init(c8_error *err) {
    C8_CUDA_TRY(err,
                cudaFuncSetAttribute(smallc_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)smem_bytes(kMaxTaps)));
    return C8_OK;
}

c8_status c8i_launch_smallc(const c8i_conv_params &p, cudaStream_t stream, c8_error *err) {
    /* Several pixel tiles per block when there are many, so that the weights are gathered fewer
     * times; one per block when there are few, so that every SM has work. */
    const int mtiles = (p.m + kBM - 1) / kBM;
    const int per_block = mtiles / 1024 < 1 ? 1 : (mtiles / 1024 > 8 ? 8 : mtiles / 1024);
    const dim3 grid((unsigned)((mtiles + per_block - 1) / per_block),
                    (unsigned)((p.kp + kBN - 1) / kBN));
    smallc_kernel<<<grid, kThreads, smem_bytes(p.r * p.s), stream>>>(p, per_block);
    C8_CUDA_LAUNCH_TRY(err);
    return C8_OK;
}
