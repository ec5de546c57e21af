# Graph optimizer suites: every pass on hand-built graphs (structure + FP32 equivalence), and
# the whole optimizer on the ONNX conformance cases, the bundled models and PaddleOCR.
c8_add_test(test_passes ${CMAKE_CURRENT_LIST_DIR}/test_passes.c)
c8_add_test(test_passes_models ${CMAKE_CURRENT_LIST_DIR}/test_passes_models.c
            TIMEOUT 1800)
