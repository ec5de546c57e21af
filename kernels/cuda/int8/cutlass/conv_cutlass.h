/* The CUTLASS INT8 convolutions as dispatch.cu sees them (no CUTLASS headers here): one entry per
 * tile shape, and the explicit table of the instantiated shapes per architecture. The entries are
 * defined in sm80_<tile>.cu (C++17, CUTLASS templates; kernels/cuda/int8/cutlass/conv_sm80.cuh),
 * one file per tile so that they compile in parallel; table.cu maps algorithm ids to entries and
 * is empty when calib8 is built without CUTLASS (config.h: C8_HAVE_CUTLASS 0). */
#ifndef C8_KERNELS_CUDA_INT8_CUTLASS_CONV_CUTLASS_H
#define C8_KERNELS_CUDA_INT8_CUTLASS_CONV_CUTLASS_H

#include "kernels/cuda/int8/common.cuh"

struct c8i_cutlass_entry {
    /* raises the kernel's dynamic shared memory limit (once per context) */
    c8_status (*init)(c8_error *err);
    /* runs conv p (NHWC32 in, packed (Kp, R, S, Cp) weights, calib8's epilogue) */
    c8_status (*launch)(const c8i_conv_params &p, cudaStream_t stream, c8_error *err);
    size_t smem; /* dynamic shared memory bytes per block */
    int min_sm;  /* 10 * major + minor */
    int max_sm;  /* the newest architecture it runs on (0: any newer one): sm_90a code runs on
                    sm_90 alone */
    /* the tile's own limits on p (pointers unused), or nullptr: NULL when it takes p, else
     * a static reason */
    const char *(*check)(const c8i_conv_params &p);
};

/* Epilogue store paths (both compute with common.cuh's c8i_epi_finish): DIRECT stores each
 * thread's two consecutive channels straight from the accumulator fragment; VST stages 16-row
 * slabs through shared memory and stores 16 channels per lane with vector stores. */
#define C8I_EPI_DIRECT 0
#define C8I_EPI_VST 1

/* The Sm80 (Ampere-style mma.sync; runs on sm_80, 86, 89, 90) table:
 * X(algorithm id, BM, BN, BK, WM, WN, stages, epilogue). A row needs its .cu file
 * (sm80_<BM>x<BN>x<BK>_w<WM>x<WN>_s<stages>[_vst].cu: C8I_CUTLASS_SM80_DEFINE of the same row)
 * and its name in dispatch.cu; ids are c8_cuda_int8_algo values. */
#define C8I_CUTLASS_SM80_TILES(X)                                                                  \
    X(C8_CUDA_INT8_CUTLASS_128X128X64_W64X64_S3, 128, 128, 64, 64, 64, 3, C8I_EPI_DIRECT)          \
    X(C8_CUDA_INT8_CUTLASS_256X128X64_W64X64_S3, 256, 128, 64, 64, 64, 3, C8I_EPI_DIRECT)          \
    X(C8_CUDA_INT8_CUTLASS_128X256X64_W64X64_S3, 128, 256, 64, 64, 64, 3, C8I_EPI_DIRECT)          \
    X(C8_CUDA_INT8_CUTLASS_128X64X64_W64X32_S4, 128, 64, 64, 64, 32, 4, C8I_EPI_DIRECT)            \
    X(C8_CUDA_INT8_CUTLASS_64X64X64_W32X32_S4, 64, 64, 64, 32, 32, 4, C8I_EPI_DIRECT)              \
    X(C8_CUDA_INT8_CUTLASS_128X128X64_W64X64_S3_VST, 128, 128, 64, 64, 64, 3, C8I_EPI_VST)         \
    X(C8_CUDA_INT8_CUTLASS_256X128X64_W64X64_S3_VST, 256, 128, 64, 64, 64, 3, C8I_EPI_VST)         \
    X(C8_CUDA_INT8_CUTLASS_128X64X64_W64X32_S4_VST, 128, 64, 64, 64, 32, 4, C8I_EPI_VST)           \
    X(C8_CUDA_INT8_CUTLASS_128X128X128_W64X64_S3_VST, 128, 128, 128, 64, 64, 3, C8I_EPI_VST)       \
    X(C8_CUDA_INT8_CUTLASS_256X128X128_W64X64_S3_VST, 256, 128, 128, 64, 64, 3, C8I_EPI_VST)       \
    X(C8_CUDA_INT8_CUTLASS_128X256X128_W64X64_S3_VST, 128, 256, 128, 64, 64, 3, C8I_EPI_VST)       \
    X(C8_CUDA_INT8_CUTLASS_128X64X128_W64X32_S4_VST, 128, 64, 128, 64, 32, 4, C8I_EPI_VST)

#define C8I_CUTLASS_SM80_DECLARE(ALGO, BM, BN, BK, WM, WN, ST, EPI)                                \
    extern const c8i_cutlass_entry c8i_cutlass_entry_##ALGO;

/* The Sm90 (Hopper: wgmma and TMA, CUTLASS 3.x; compiled for sm_90a and run on sm_90 only)
 * table: X(algorithm id, BM, BN, BK); the pipeline's stages fill the shared memory. A row needs
 * its .cu file (sm90_<BM>x<BN>x<BK>.cu: C8I_CUTLASS_SM90_DEFINE of the same row, conv_sm90.cuh)
 * and its name in dispatch.cu. */
#define C8I_CUTLASS_SM90_TILES(X)                                                                  \
    X(C8_CUDA_INT8_CUTLASS_SM90_128X128X128, 128, 128, 128)                                        \
    X(C8_CUDA_INT8_CUTLASS_SM90_128X64X128, 128, 64, 128)                                          \
    X(C8_CUDA_INT8_CUTLASS_SM90_128X128X64, 128, 128, 64)

#define C8I_CUTLASS_SM90_DECLARE(ALGO, BM, BN, BK)                                                 \
    extern const c8i_cutlass_entry c8i_cutlass_entry_##ALGO;

/* The entry of algorithm `algo`, or nullptr when algo is not a CUTLASS algorithm or calib8 was
 * built without CUTLASS (then *why, if not NULL, says so). */
const c8i_cutlass_entry *c8i_cutlass_find(int32_t algo, const char **why);

#endif
