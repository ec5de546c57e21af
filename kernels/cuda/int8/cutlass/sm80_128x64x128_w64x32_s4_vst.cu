/* CUTLASS INT8 convolution, Sm80 tensor-op tile 128x64x128, warps 64x32, 4 stages,
 * vector-store epilogue (16-row slabs through shared memory): one row of the table in
 * conv_cutlass.h (kernel and epilogue: conv_sm80.cuh). */
#include "kernels/cuda/int8/cutlass/conv_sm80.cuh"

C8I_CUTLASS_SM80_DEFINE(C8_CUDA_INT8_CUTLASS_128X64X128_W64X32_S4_VST, 128, 64, 128, 64, 32, 4,
                        C8I_EPI_VST)
