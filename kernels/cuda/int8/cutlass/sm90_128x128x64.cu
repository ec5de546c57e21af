/* CUTLASS INT8 convolution, Hopper (sm_90a) tile 128x128x64: one row of the Sm90 table in
 * conv_cutlass.h (kernel and epilogue: conv_sm90.cuh). */
#include "kernels/cuda/int8/cutlass/conv_sm90.cuh"

C8I_CUTLASS_SM90_DEFINE(C8_CUDA_INT8_CUTLASS_SM90_128X128X64, 128, 128, 64)
