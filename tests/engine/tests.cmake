# engine/ suites: IR, ONNX import, executor, conformance, CLI-level bad input.
c8_add_test(test_conformance ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_conformance.c TIMEOUT 1200)
c8_add_test(test_import ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_import.c)
c8_add_test(test_build ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_build.c)
c8_add_test(test_models ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_models.c TIMEOUT 3000)
c8_add_test(test_place ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_place.c)
