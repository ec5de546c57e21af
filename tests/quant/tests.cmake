# quant/: the INT8 semantics of include/calib8/quant.h and the build-time helpers in quant/.
# (The INT8 reference kernels and FP16 conversion: tests/kernels/; export-qdq against ONNX
# Runtime: tests/engine/.)
c8_add_test(test_quant ${CMAKE_CURRENT_LIST_DIR}/test_quant.c)
