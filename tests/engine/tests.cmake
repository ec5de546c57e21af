# engine/ suites: IR, ONNX import, executor, conformance, CLI-level bad input.
# export-qdq checked against ONNX Runtime (skips where .deps/ort is missing)
add_test(NAME test_qdq_ort COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_qdq_ort.sh
         $<TARGET_FILE:calib8> ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_qdq_ort_work)
set_tests_properties(test_qdq_ort PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
c8_add_test(test_conformance ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_conformance.c TIMEOUT 1200)
c8_add_test(test_import ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_import.c)
c8_add_test(test_build ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_build.c)
c8_add_test(test_models ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_models.c TIMEOUT 3000)
c8_add_test(test_place ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_place.c CUDA_INTERNALS)
# Issue 19 part 3: INT8 MatMul between two activations (Q8MatMul), built and run
c8_add_test(test_matmul8 ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_matmul8.c)
c8_add_test(test_mul8 ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_mul8.c)
# Issue 19 part 1: optimization profiles (batch ranges, the detector's H and W ranges)
c8_add_test(test_profile ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_profile.c TIMEOUT 900)
# Issue 14's "CPU plans and caches stay byte-identical": both bundled models calibrated, built
# and run with make_golden.sh's options, compared with the results of commit 3269f3c committed
# in engine/data/golden/ (caches byte for byte, logits bit for bit; skips without Fashion-MNIST)
add_test(NAME test_golden COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_golden.sh
         $<TARGET_FILE:calib8> ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_golden_work)
set_tests_properties(test_golden PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# Issue 19: the PP-OCRv4 recognizer (../shared fixture) in FP32 against ONNX Runtime (skips
# where the fixture or .deps/ort is missing)
add_test(NAME test_paddleocr_rec COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_paddleocr_rec.sh
         $<TARGET_FILE:calib8> ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_paddleocr_rec_work)
set_tests_properties(test_paddleocr_rec PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
