# tests/quant/: INT8 semantics and quant/ helpers, INT8 reference kernels, FP16 conversion.
c8_add_test(test_quant ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_quant.c)
c8_add_test(test_int8_ref ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_int8_ref.c TIMEOUT 600)
c8_add_test(test_fp16 ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_fp16.c)
# export-qdq checked against ONNX Runtime (skips where .deps/ort is missing)
add_test(NAME test_qdq_ort COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_qdq_ort.sh
         $<TARGET_FILE:calib8> ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_qdq_ort_work)
set_tests_properties(test_qdq_ort PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
