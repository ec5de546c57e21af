/* Index maps of the tensor-core conv kernel (kernels/cuda/int8/conv_imma.cu), shared by the
 * kernel and by its CPU emulation test (tests/kernels/cuda/test_cuda_int8_imma_map.c), which
 * replays the loader, ldmatrix and mma.m16n8k32 fragment rules of the PTX ISA on these maps and
 * checks the product. Plain C; __host__ __device__ under nvcc.
 *
 * A stage tile is rows of bk = 64 or 128 bytes (bk/16 chunks of 16 bytes). Chunk c of row r sits
 * at byte r*bk + 16*(c ^ x(r)), x(r) = (r >> 1) & 3 for 64-byte rows, r & 7 for 128-byte rows:
 * the 8 rows one ldmatrix 8x8 matrix reads (same logical chunk) land in 8 different 16-byte bank
 * groups either way. */
#ifndef C8_KERNELS_CUDA_INT8_IMMA_MAP_H
#define C8_KERNELS_CUDA_INT8_IMMA_MAP_H

#include <stdint.h>

#if defined(__CUDACC__)
#define C8I_MAPFN static __host__ __device__ __forceinline__
#else
#define C8I_MAPFN static inline
#endif

/* Byte offset of 16-byte chunk `chunk` (0 .. bk/16-1) of tile row `row` inside a stage tile. */
C8I_MAPFN uint32_t c8i_imma_swz(int row, int chunk, int bk) {
    int x = bk == 128 ? (row & 7) : ((row >> 1) & 3);
    return (uint32_t)(row * bk + ((chunk ^ x) << 4));
}

/* Loader: thread tid (of t) copies chunk column c8i_imma_load_chunk(tid, bk) of tile rows
 * c8i_imma_load_row(tid, i, t, bk), i = 0, 1, ...: a warp covers 512 contiguous bytes. */
C8I_MAPFN int c8i_imma_load_chunk(int tid, int bk) { return tid & (bk / 16 - 1); }
C8I_MAPFN int c8i_imma_load_row(int tid, int i, int t, int bk) {
    return tid / (bk / 16) + i * (t / (bk / 16));
}

/* ldmatrix.x4 row address of `lane` for the A fragment of the 16-row tile starting at row0,
 * k32 step ks (0 .. bk/32-1) of the stage: matrices (rows 0-7, k 0-15), (rows 8-15, k 0-15),
 * (rows 0-7, k 16-31), (rows 8-15, k 16-31) -> a0, a1, a2, a3. */
C8I_MAPFN uint32_t c8i_imma_a_frag_off(int row0, int ks, int lane, int bk) {
    return c8i_imma_swz(row0 + (lane & 15), ks * 2 + (lane >> 4), bk);
}

/* ldmatrix.x4 row address of `lane` for the B fragments of the two 8-column tiles starting at
 * column (weight row) n0: matrices (n 0-7, k 0-15), (n 0-7, k 16-31), (n 8-15, k 0-15),
 * (n 8-15, k 16-31) -> b0, b1 of tile n0 and b0, b1 of tile n0 + 8. */
C8I_MAPFN uint32_t c8i_imma_b_frag_off(int n0, int ks, int lane, int bk) {
    return c8i_imma_swz(n0 + (lane & 7) + ((lane >> 4) << 3), ks * 2 + ((lane >> 3) & 1), bk);
}

#endif
