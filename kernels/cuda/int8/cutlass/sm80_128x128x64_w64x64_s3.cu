/* CUTLASS INT8 convolution, Sm80 tensor-op tile 128x128x64, warps 64x64, 3 stages:
 * one row of the table in conv_cutlass.h (kernel and epilogue: conv_sm80.cuh). */
#include "kernels/cuda/int8/cutlass/conv_sm80.cuh"

C8I_CUTLASS_SM80_DEFINE(128, 128, 64, 64, 64, 3)
