/* CUTLASS INT8 convolution, Sm80 tensor-op tile 128x128x128, warps 64x64, 3 stages,
 * vector-store epilogue (16-row slabs through shared memory): one row of the table in
 * conv_cutlass.h (kernel and epilogue: conv_sm80.cuh). */
#include "kernels/cuda/int8/cutlass/conv_sm80.cuh"

C8I_CUTLASS_SM80_DEFINE(C8_CUDA_INT8_CUTLASS_128X128X128_W64X64_S3_VST, 128, 128, 128, 64, 64, 3,
                        C8I_EPI_VST)
