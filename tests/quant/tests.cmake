# tests/quant/: INT8 semantics and quant/ helpers, INT8 reference kernels, FP16 conversion.
c8_add_test(test_quant ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_quant.c)
c8_add_test(test_int8_ref ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_int8_ref.c TIMEOUT 600)
c8_add_test(test_fp16 ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_fp16.c)
