# bench/cuda/: INT8 CUDA kernel benchmarks (GPU machine only; see bench/cuda/device_run.sh).
if(C8_HAVE_CUDA)
  add_executable(bench_cuda_int8_conv ${CMAKE_CURRENT_SOURCE_DIR}/cuda/bench_int8_conv.c
                                      ${CMAKE_CURRENT_SOURCE_DIR}/cuda/peak.cu)
  target_include_directories(bench_cuda_int8_conv PRIVATE ${CMAKE_SOURCE_DIR})
  target_include_directories(bench_cuda_int8_conv SYSTEM PRIVATE ${CUDNN_INCLUDE_DIR})
  target_compile_definitions(bench_cuda_int8_conv PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(bench_cuda_int8_conv PRIVATE calib8_cuda_static c8_flags)
endif()
# The stock-CUTLASS peer of bench_cuda_int8_conv (CUTLASS's own int8 epilogue, not calib8's
# semantics): the speed calib8's CUTLASS tiles are measured against, in the same call.
if(C8_HAVE_CUDA AND C8_HAVE_CUTLASS)
  # Not in the default build (CUTLASS's own epilogues take minutes to compile and only the GPU
  # machine runs them): cmake --build build --target bench_cutlass_stock bench_cutlass_probe
  add_executable(bench_cutlass_stock EXCLUDE_FROM_ALL
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/bench_cutlass_stock.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/tiles_a.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/tiles_b.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/tiles_c.cu)
  set_target_properties(bench_cutlass_stock PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
  target_include_directories(bench_cutlass_stock PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
  target_include_directories(bench_cutlass_stock SYSTEM PRIVATE ${C8_CUTLASS_DIR}/include)
endif()
# calib8's own CUTLASS kernels timed by the stock bench's harness, with and without their epilogue
# (bench/cuda/cutlass_stock/probe.cu): compiled with the library's CUTLASS flags.
if(C8_HAVE_CUDA AND C8_HAVE_CUTLASS)
  add_executable(bench_cutlass_probe EXCLUDE_FROM_ALL
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/bench_cutlass_stock.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/tiles_a.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/tiles_b.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/tiles_c.cu
                                     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/probe.cu)
  set_target_properties(bench_cutlass_probe PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
  target_compile_definitions(bench_cutlass_probe PRIVATE C8_STOCK_PROBE)
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock/probe.cu PROPERTIES
    COMPILE_OPTIONS "--fmad=false;-prec-div=true;-prec-sqrt=true;-ftz=false")
  target_include_directories(bench_cutlass_probe PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda
                             ${CMAKE_CURRENT_SOURCE_DIR}/cuda/cutlass_stock ${CMAKE_SOURCE_DIR})
  target_include_directories(bench_cutlass_probe SYSTEM PRIVATE ${C8_CUTLASS_DIR}/include)
  target_link_libraries(bench_cutlass_probe PRIVATE calib8_cuda_static)
endif()
# Memory-bound layers (pools, Add, Concat, quantize, layout changes, FC) as GB/s against the
# device-to-device copy rate of the same run.
if(C8_HAVE_CUDA)
  add_executable(bench_membound ${CMAKE_CURRENT_SOURCE_DIR}/cuda/bench_membound.c)
  target_include_directories(bench_membound PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_definitions(bench_membound PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(bench_membound PRIVATE calib8_cuda_static c8_flags)
endif()
