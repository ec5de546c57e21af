# tests/kernels/cuda/: the INT8 CUDA kernels (kernels/cuda/int8/). The tensor-core index-map emulation
# needs no GPU and runs everywhere; the GPU suites are built with the CUDA backend only, compare
# every kernel with the CPU reference on the GPU machine and exit 77 (skipped) without a GPU.
c8_add_test(test_cuda_int8_imma_map ${CMAKE_CURRENT_LIST_DIR}/test_cuda_int8_imma_map.c)
if(C8_HAVE_CUDA)
  c8_add_test(test_cuda_int8_conv ${CMAKE_CURRENT_LIST_DIR}/test_cuda_int8_conv.c
              LABELS gpu TIMEOUT 900 CUDA_INTERNALS)
  c8_add_test(test_cuda_int8_ops ${CMAKE_CURRENT_LIST_DIR}/test_cuda_int8_ops.c
              LABELS gpu TIMEOUT 600 CUDA_INTERNALS)
  # the float kernels' dense-layout fast paths (pooling, global average, input conversion,
  # Softmax) called directly, bit for bit against the CPU references
  c8_add_test(test_cuda_float_ops ${CMAKE_CURRENT_LIST_DIR}/test_cuda_float_ops.c
              LABELS gpu TIMEOUT 600 CUDA_INTERNALS)
endif()
# The CUDA backend (kernels/cuda/backend_cuda.c) against the CPU engine: every op on hand-built
# graphs (FP32 / FP16 / INT8), then conformance models, whole models, GPU histograms and caches,
# graph replay and concurrent contexts. GPU machine only (exit 77 without a GPU). They reach the
# backend through its module (libcalib8_cuda.so), as the CLI does, and call the CUDA runtime
# themselves only to probe the GPU and stage device buffers.
if(C8_HAVE_CUDA)
  c8_add_test(test_backend_ops ${CMAKE_CURRENT_LIST_DIR}/test_backend_ops.c
              LABELS gpu TIMEOUT 900)
  c8_add_test(test_backend_models ${CMAKE_CURRENT_LIST_DIR}/test_backend_models.c
              LABELS gpu TIMEOUT 1800)
  foreach(t test_backend_ops test_backend_models)
    target_link_libraries(${t} PRIVATE CUDA::cudart)
    add_dependencies(${t} calib8_cuda)
  endforeach()
endif()
