/* CUTLASS INT8 convolution, Sm80 tensor-op tile 128x256x64, warps 64x64, 3 stages,
 * direct epilogue (two channels per store from the fragments): one row of the table in
 * conv_cutlass.h (kernel and epilogue: conv_sm80.cuh). */
#include "kernels/cuda/int8/cutlass/conv_sm80.cuh"

C8I_CUTLASS_SM80_DEFINE(C8_CUDA_INT8_CUTLASS_128X256X64_W64X64_S3, 128, 256, 64, 64, 64, 3,
                        C8I_EPI_DIRECT)
