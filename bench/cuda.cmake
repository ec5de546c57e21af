# bench/cuda/: INT8 CUDA kernel benchmarks (GPU machine only; see bench/cuda/device_run.sh).
if(C8_HAVE_CUDA)
  add_executable(bench_cuda_int8_conv ${CMAKE_CURRENT_SOURCE_DIR}/cuda/bench_int8_conv.c
                                      ${CMAKE_CURRENT_SOURCE_DIR}/cuda/peak.cu)
  target_include_directories(bench_cuda_int8_conv PRIVATE ${CMAKE_SOURCE_DIR})
  target_include_directories(bench_cuda_int8_conv SYSTEM PRIVATE ${CUDNN_INCLUDE_DIR})
  target_compile_definitions(bench_cuda_int8_conv PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(bench_cuda_int8_conv PRIVATE calib8_static c8_flags ${CUDNN_LIBRARY})
endif()
