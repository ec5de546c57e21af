# The example program on the bundled Fashion-MNIST CNN: its top-1 must equal the CLI's on the
# same images (skipped, exit 77, without the Fashion-MNIST test set).
add_test(NAME test_example_calibrate_build_eval
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/examples/test_calibrate_build_eval.sh
                 $<TARGET_FILE:calibrate_build_eval> $<TARGET_FILE:calib8> ${CMAKE_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/test_example_work)
set_tests_properties(test_example_calibrate_build_eval PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
