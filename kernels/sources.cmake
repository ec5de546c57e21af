# kernels/: sources (listed explicitly). The CPU backend (kernels/backend.h) on the reference kernels.
list(APPEND C8_SOURCES kernels/segment.c kernels/cpu/backend_cpu.c kernels/cpu/fp16_round.c)
# The fast CPU backend on oneDNN (kernels/cpu/dnnl_backend.h), when CMake found oneDNN.
if(C8_HAVE_DNNL)
  list(APPEND C8_SOURCES kernels/cpu/dnnl_backend.c kernels/cpu/dnnl_conv.c
       kernels/cpu/dnnl_requant.c kernels/cpu/pool_fast.c kernels/cpu/layout_f32.c
       kernels/cpu/eltwise_fast.c kernels/cpu/deconv_fast.c kernels/cpu/resize_fast.c
       kernels/cpu/gemv_fast.c)
  # The requantization and conversion loops are element-wise (no reduction to reorder, no FP
  # contraction): vectorizing them changes no result. -fno-trapping-math lets GCC turn their
  # selects (NaN, clamps, activations) into blends, which computes both sides and keeps the same
  # values; calib8 never enables FP traps.
  set_source_files_properties(kernels/cpu/dnnl_requant.c PROPERTIES
    COMPILE_OPTIONS "-ftree-loop-vectorize;-fvect-cost-model=dynamic;-fno-trapping-math")
endif()
# FP32 reference kernels for the compute ops (ops_compute helper)
list(APPEND C8_SOURCES kernels/ref/conv.c kernels/ref/pool.c kernels/ref/gemm.c
     kernels/ref/norm.c kernels/ref/act.c)
# INT8 and FP16 reference kernels (kernels/ref/int8.h, kernels/ref/fp16.h)
list(APPEND C8_SOURCES
  kernels/ref/fp16.c
  kernels/ref/int8_check.c
  kernels/ref/int8_conv.c
  kernels/ref/int8_gemm.c
  kernels/ref/int8_pool.c
  kernels/ref/int8_eltwise.c
)
# FP32 / data-movement reference kernels for the tensor ops (ops_tensor helper)
list(APPEND C8_SOURCES kernels/ref/eltwise.c kernels/ref/transpose.c kernels/ref/pad.c
     kernels/ref/resize.c)
# the math ops (ops/math.c: unary math, Pow, reductions), ops/logic.c's and ops/index.c's
list(APPEND C8_SOURCES kernels/ref/math.c kernels/ref/logic.c kernels/ref/index.c
     kernels/ref/einsum.c)
# The reference convolutions accumulate whole rows of independent outputs (kernels/ref/conv.c):
# vectorizing those loops changes no result (no reduction is reordered, and -ffp-contract=off
# keeps every multiply and add separately rounded), so they get the vectorizer at any -O level.
set_source_files_properties(kernels/ref/conv.c kernels/ref/int8_conv.c PROPERTIES
  COMPILE_OPTIONS "-ftree-loop-vectorize;-fvect-cost-model=dynamic")
