# kernels/cpu/: the oneDNN CPU backend's nodes against the reference kernels (FP32 within
# C8_DNNL_FP32_RTOL, INT8 bit for bit), and the fast binary16 rounding against the reference's.
# test_dnnl is built only where CMake found oneDNN (C8_HAVE_DNNL).
c8_add_test(test_fp16_round ${CMAKE_CURRENT_LIST_DIR}/test_fp16_round.c)
if(C8_HAVE_DNNL)
  c8_add_test(test_dnnl ${CMAKE_CURRENT_LIST_DIR}/test_dnnl.c)
  target_include_directories(test_dnnl SYSTEM PRIVATE ${DNNL_INCLUDE_DIR})
endif()
