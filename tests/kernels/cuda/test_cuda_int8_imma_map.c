/* CPU emulation of one pipeline stage of the tensor-core conv kernel (kernels/cuda/int8/
 * conv_imma.cu) through the kernel's own index maps (kernels/cuda/int8/imma_map.h): the cp.async
 * loader fills a swizzled shared tile, ldmatrix.x4 and mma.m16n8k32 are replayed with the
 * fragment rules of the PTX ISA (written out independently below), and the accumulators, read
 * back with the kernel's epilogue indexing, must equal a plain 64-deep dot product. Also checks
 * that the loader covers every chunk once and that each ldmatrix phase (8 row addresses) hits 8
 * different 16-byte bank groups. Needs no GPU: runs everywhere. */
#include "c8test.h"

#include "kernels/cuda/int8/imma_map.h"

#include <stdint.h>
#include <string.h>

typedef struct tile_cfg {
    int bm, bn, bk, wm, wn;
} tile_cfg;

/* The tile shapes instantiated in conv_imma.cu. */
static const tile_cfg kCfgs[] = {
    {128, 128, 64, 64, 64},  {128, 128, 64, 64, 32},  {256, 128, 64, 64, 64},
    {128, 64, 64, 64, 32},   {64, 64, 64, 32, 32},    {64, 128, 64, 32, 64},
    {128, 64, 64, 32, 32},   {128, 128, 64, 32, 64},  {128, 128, 128, 64, 32},
    {64, 64, 128, 32, 32},   {128, 64, 128, 64, 32},  {128, 128, 128, 64, 64},
    {192, 128, 128, 64, 32}, {256, 128, 128, 64, 32}, {128, 128, 64, 64, 32},
    {192, 128, 64, 64, 32}};

/* ldmatrix.sync.aligned.m8n8.x4.shared.b16: lanes 8j..8j+7 give the 8 row addresses of matrix j;
 * lane l receives 4 bytes of row l/4 of matrix j starting at byte 4*(l%4), as register j. */
static void ldmatrix_x4(const uint8_t *smem, const uint32_t addr[32], uint32_t out[32][4]) {
    for (int l = 0; l < 32; l++)
        for (int j = 0; j < 4; j++) {
            uint32_t a = addr[8 * j + l / 4] + 4 * (l % 4);
            out[l][j] = (uint32_t)smem[a] | (uint32_t)smem[a + 1] << 8 |
                        (uint32_t)smem[a + 2] << 16 | (uint32_t)smem[a + 3] << 24;
        }
}

static int8_t byte_of(uint32_t v, int b) { return (int8_t)(uint8_t)(v >> (8 * b)); }

/* mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 per the PTX ISA fragment tables:
 * A: a0 = A[g][4t+b], a1 = A[g+8][4t+b], a2 = A[g][16+4t+b], a3 = A[g+8][16+4t+b];
 * B: b0 = B[4t+b][g], b1 = B[16+4t+b][g]; C: c0 = C[g][2t], c1 = C[g][2t+1], c2 = C[g+8][2t],
 * c3 = C[g+8][2t+1] (g = lane/4, t = lane%4, b = byte). */
static void mma_m16n8k32(const uint32_t a[32][4], const uint32_t b0[32], const uint32_t b1[32],
                         int32_t c[32][4]) {
    int8_t A[16][32], B[32][8];
    for (int l = 0; l < 32; l++) {
        int g = l / 4, t = l % 4;
        for (int bb = 0; bb < 4; bb++) {
            A[g][4 * t + bb] = byte_of(a[l][0], bb);
            A[g + 8][4 * t + bb] = byte_of(a[l][1], bb);
            A[g][16 + 4 * t + bb] = byte_of(a[l][2], bb);
            A[g + 8][16 + 4 * t + bb] = byte_of(a[l][3], bb);
            B[4 * t + bb][g] = byte_of(b0[l], bb);
            B[16 + 4 * t + bb][g] = byte_of(b1[l], bb);
        }
    }
    for (int l = 0; l < 32; l++) {
        int g = l / 4, t = l % 4;
        for (int e = 0; e < 4; e++) {
            int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
            int32_t s = 0;
            for (int k = 0; k < 32; k++) s += (int32_t)A[row][k] * (int32_t)B[k][col];
            c[l][e] += s;
        }
    }
}

static int bank_groups_distinct(const uint32_t addr[32]) {
    for (int j = 0; j < 4; j++) {
        int seen = 0;
        for (int i = 0; i < 8; i++) {
            int bg = (int)((addr[8 * j + i] / 16) % 8);
            if (seen & (1 << bg)) return 0;
            seen |= 1 << bg;
        }
    }
    return 1;
}

static void check_cfg(const tile_cfg *cfg, uint64_t seed) {
    const int bm = cfg->bm, bn = cfg->bn, wm = cfg->wm, wn = cfg->wn, BK = cfg->bk, nch = BK / 16;
    const int warps_m = bm / wm, warps_n = bn / wn, t_count = warps_m * warps_n * 32;
    const int mi_n = wm / 16, ni_n = wn / 8;
    int8_t *A = malloc((size_t)bm * BK), *B = malloc((size_t)bn * BK);
    uint8_t *sa = malloc((size_t)bm * BK), *sb = malloc((size_t)bn * BK);
    int *cover_a = calloc((size_t)bm * nch, sizeof(int)),
        *cover_b = calloc((size_t)bn * nch, sizeof(int));
    c8t_rng rng = {seed};
    for (int i = 0; i < bm * BK; i++) A[i] = (int8_t)c8t_randint(&rng, -127, 127);
    for (int i = 0; i < bn * BK; i++) B[i] = (int8_t)c8t_randint(&rng, -127, 127);
    memset(sa, 0xee, (size_t)bm * BK);
    memset(sb, 0xee, (size_t)bn * BK);

    /* the loader: A_CH / B_CH 16-byte copies per thread */
    for (int tid = 0; tid < t_count; tid++) {
        int j = c8i_imma_load_chunk(tid, BK);
        /* as the kernel: ceil(chunks / threads) rounds, rows past the tile skip the last one */
        for (int i = 0; i < (bm * nch + t_count - 1) / t_count; i++) {
            int row = c8i_imma_load_row(tid, i, t_count, BK);
            if (row >= bm) continue;
            cover_a[row * nch + j]++;
            memcpy(sa + c8i_imma_swz(row, j, BK), A + row * BK + j * 16, 16);
        }
        for (int i = 0; i < (bn * nch + t_count - 1) / t_count; i++) {
            int row = c8i_imma_load_row(tid, i, t_count, BK);
            if (row >= bn) continue;
            cover_b[row * nch + j]++;
            memcpy(sb + c8i_imma_swz(row, j, BK), B + row * BK + j * 16, 16);
        }
    }
    for (int i = 0; i < bm * nch; i++) CU_ASSERT_EQUAL(cover_a[i], 1);
    for (int i = 0; i < bn * nch; i++) CU_ASSERT_EQUAL(cover_b[i], 1);

    int bad = 0, conflicts = 0;
    for (int warp = 0; warp < warps_m * warps_n; warp++) {
        int wmi = warp % warps_m, wni = warp / warps_m; /* as in the kernel */
        int32_t(*acc)[32][4] = calloc((size_t)mi_n * ni_n, sizeof *acc);
        for (int ks = 0; ks < BK / 32; ks++) {
            uint32_t af[8][32][4], bfr[16][32][2];
            for (int mi = 0; mi < mi_n; mi++) {
                uint32_t addr[32];
                for (int l = 0; l < 32; l++)
                    addr[l] = c8i_imma_a_frag_off(wmi * wm + mi * 16, ks, l, BK);
                conflicts += !bank_groups_distinct(addr);
                ldmatrix_x4(sa, addr, af[mi]);
            }
            for (int nj = 0; nj < ni_n / 2; nj++) {
                uint32_t addr[32], r[32][4];
                for (int l = 0; l < 32; l++)
                    addr[l] = c8i_imma_b_frag_off(wni * wn + nj * 16, ks, l, BK);
                conflicts += !bank_groups_distinct(addr);
                ldmatrix_x4(sb, addr, r);
                for (int l = 0; l < 32; l++) { /* r0, r1 -> tile 2nj; r2, r3 -> tile 2nj+1 */
                    bfr[2 * nj][l][0] = r[l][0];
                    bfr[2 * nj][l][1] = r[l][1];
                    bfr[2 * nj + 1][l][0] = r[l][2];
                    bfr[2 * nj + 1][l][1] = r[l][3];
                }
            }
            for (int mi = 0; mi < mi_n; mi++)
                for (int ni = 0; ni < ni_n; ni++) {
                    uint32_t b0[32], b1[32];
                    for (int l = 0; l < 32; l++) {
                        b0[l] = bfr[ni][l][0];
                        b1[l] = bfr[ni][l][1];
                    }
                    mma_m16n8k32(af[mi], b0, b1, acc[mi * ni_n + ni]);
                }
        }
        /* the kernel's epilogue indexing */
        for (int mi = 0; mi < mi_n; mi++)
            for (int ni = 0; ni < ni_n; ni++)
                for (int l = 0; l < 32; l++)
                    for (int e = 0; e < 4; e++) {
                        int g = l >> 2, t4 = l & 3, hr = e >> 1;
                        int m = wmi * wm + mi * 16 + g + hr * 8;
                        int n = wni * wn + ni * 8 + t4 * 2 + (e & 1);
                        int32_t want = 0;
                        for (int k = 0; k < BK; k++) want += (int32_t)A[m * BK + k] * B[n * BK + k];
                        if (acc[mi * ni_n + ni][l][e] != want && bad++ < 3)
                            printf("\n  tile %dx%dx%d w%dx%d: m=%d n=%d got %d want %d (seed %llu)",
                                   bm, bn, BK, wm, wn, m, n, acc[mi * ni_n + ni][l][e], want,
                                   (unsigned long long)seed);
                    }
        free(acc);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(conflicts, 0);
    free(A);
    free(B);
    free(sa);
    free(sb);
    free(cover_a);
    free(cover_b);
}

static void test_imma_maps(void) {
    for (size_t i = 0; i < sizeof kCfgs / sizeof kCfgs[0]; i++) check_cfg(&kCfgs[i], 1000 + i);
}

/* The swizzle is a permutation of the chunks of every row, for both row lengths. */
static void test_swizzle_permutation(void) {
    for (int bk = 64; bk <= 128; bk *= 2)
        for (int row = 0; row < 256; row++) {
            int seen = 0;
            for (int c = 0; c < bk / 16; c++) {
                uint32_t off = c8i_imma_swz(row, c, bk);
                CU_ASSERT_EQUAL(off / (uint32_t)bk, (uint32_t)row);
                CU_ASSERT_EQUAL(off % 16, 0u);
                seen |= 1 << ((off % (uint32_t)bk) / 16);
            }
            CU_ASSERT_EQUAL(seen, (1 << (bk / 16)) - 1);
        }
}

static const c8_test_case kCases[] = {
    {"imma_maps", test_imma_maps},
    {"swizzle_permutation", test_swizzle_permutation},
};

C8T_MAIN("cuda_int8_imma_map", kCases)
