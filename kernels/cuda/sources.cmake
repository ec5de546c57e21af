# kernels/cuda/: CUDA backend sources (only with C8_HAVE_CUDA)
list(APPEND C8_CUDA_SOURCES
)
# INT8 kernels (kernels/cuda/int8/int8_cuda.h): dp4a and tensor-core implicit-GEMM conv, depthwise,
# cuBLASLt path, pooling, quantize/dequantize/requantize, Add, Concat, layouts, timing.
set(C8_CUDA_INT8_CU
  kernels/cuda/int8/conv_dp4a.cu
  kernels/cuda/int8/conv_imma.cu
  kernels/cuda/int8/conv_dw.cu
  kernels/cuda/int8/conv_smallc.cu
  kernels/cuda/int8/conv_s2d.cu
  kernels/cuda/int8/ops.cu
  kernels/cuda/int8/dispatch.cu
  kernels/cuda/int8/cutlass/table.cu
)
list(APPEND C8_CUDA_SOURCES ${C8_CUDA_INT8_CU} kernels/cuda/int8/pack.c)
# The INT8 epilogue is specified op by op in float32 (include/calib8/quant.h): no FMA contraction
# (the kernels already use __fmul_rn/__fadd_rn; --fmad=false is the second guard), IEEE division
# and square root, no flush-to-zero.
set_source_files_properties(${C8_CUDA_INT8_CU} PROPERTIES
  COMPILE_OPTIONS "--fmad=false;-prec-div=true;-prec-sqrt=true;-ftz=false")
# CUTLASS INT8 convolutions (kernels/cuda/int8/cutlass/conv_cutlass.h): one file per tile shape of
# the Sm80 table, compiled as C++17 into the object library calib8_cutlass (CMakeLists.txt) for the
# architectures >= 80 only; the same float32 guards as the other INT8 kernels.
set(C8_CUTLASS_CU
  kernels/cuda/int8/cutlass/sm80_128x128x64_w64x64_s3.cu
  kernels/cuda/int8/cutlass/sm80_256x128x64_w64x64_s3.cu
  kernels/cuda/int8/cutlass/sm80_128x256x64_w64x64_s3.cu
  kernels/cuda/int8/cutlass/sm80_128x64x64_w64x32_s4.cu
  kernels/cuda/int8/cutlass/sm80_64x64x64_w32x32_s4.cu
  kernels/cuda/int8/cutlass/sm80_128x128x64_w64x64_s3_vst.cu
  kernels/cuda/int8/cutlass/sm80_256x128x64_w64x64_s3_vst.cu
  kernels/cuda/int8/cutlass/sm80_128x64x64_w64x32_s4_vst.cu
  kernels/cuda/int8/cutlass/sm80_128x128x128_w64x64_s3_vst.cu
  kernels/cuda/int8/cutlass/sm80_256x128x128_w64x64_s3_vst.cu
  kernels/cuda/int8/cutlass/sm80_128x256x128_w64x64_s3_vst.cu
  kernels/cuda/int8/cutlass/sm80_128x64x128_w64x32_s4_vst.cu
)
# The Hopper tiles (conv_sm90.cuh; CUTLASS 3.x, sm_90a): the object library calib8_cutlass_sm90,
# built when sm_90 is among the architectures.
set(C8_CUTLASS_SM90_CU
  kernels/cuda/int8/cutlass/sm90_128x128x128.cu
  kernels/cuda/int8/cutlass/sm90_128x64x128.cu
  kernels/cuda/int8/cutlass/sm90_128x128x64.cu
)
set(C8_CUTLASS_CUDA_OPTIONS --fmad=false -prec-div=true -prec-sqrt=true -ftz=false)
# The CUDA backend (kernels/backend.h; docs/cuda.md): the backend table, contexts, layouts, host
# fallback, graph capture and GPU histograms (backend_cuda.c), cuDNN convolutions, cuBLASLt
# Gemm/MatMul, own kernels for the other ops (cu_kernels.cu) and the INT8 layers on int8/.
set(C8_CUDA_BACKEND_CU kernels/cuda/cu_kernels.cu)
list(APPEND C8_CUDA_SOURCES
  kernels/cuda/backend_cuda.c
  kernels/cuda/cuda_conv.c
  kernels/cuda/cuda_gemm.c
  kernels/cuda/cuda_ops.c
  kernels/cuda/cuda_q8.c
  kernels/cuda/cuda_wants.c
  kernels/cuda/module.c
  ${C8_CUDA_BACKEND_CU}
)
# The own kernels follow the float32 operation order of the CPU references: no FMA contraction,
# IEEE division and square root, no flush-to-zero (histogram bins of subnormals included).
set_source_files_properties(${C8_CUDA_BACKEND_CU} PROPERTIES
  COMPILE_OPTIONS "--fmad=false;-prec-div=true;-prec-sqrt=true;-ftz=false")
