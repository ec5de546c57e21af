# kernels/ref/: the plain C reference kernels, FP32 (against float64 references, and the
# convolution's documented accumulation order bit for bit), INT8 and FP16 conversion.
# The CUDA kernels and backend: tests/kernels/cuda/.
c8_add_test(test_ref_kernels ${CMAKE_CURRENT_LIST_DIR}/test_ref_kernels.c)
c8_add_test(test_conv_order ${CMAKE_CURRENT_LIST_DIR}/test_conv_order.c)
c8_add_test(test_int8_ref ${CMAKE_CURRENT_LIST_DIR}/test_int8_ref.c TIMEOUT 600)
c8_add_test(test_fp16 ${CMAKE_CURRENT_LIST_DIR}/test_fp16.c)
