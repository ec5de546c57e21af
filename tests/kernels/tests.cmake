# kernels/ (FP32 reference kernels), engine/shape_util and the compute-op family.
c8_add_test(test_shape_util ${CMAKE_CURRENT_SOURCE_DIR}/kernels/test_shape_util.c)
c8_add_test(test_ref_kernels ${CMAKE_CURRENT_SOURCE_DIR}/kernels/test_ref_kernels.c)
c8_add_test(test_ops_compute ${CMAKE_CURRENT_SOURCE_DIR}/kernels/test_ops_compute.c)
c8_add_test(test_conv_order ${CMAKE_CURRENT_SOURCE_DIR}/kernels/test_conv_order.c)
