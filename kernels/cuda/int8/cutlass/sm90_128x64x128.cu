/* CUTLASS INT8 convolution, Hopper (sm_90a) tile 128x64x128: one row of the Sm90 table in
 * conv_cutlass.h (kernel and epilogue: conv_sm90.cuh). */
#include "kernels/cuda/int8/cutlass/conv_sm90.cuh"

C8I_CUTLASS_SM90_DEFINE(C8_CUDA_INT8_CUTLASS_SM90_128X64X128, 128, 64, 128)
