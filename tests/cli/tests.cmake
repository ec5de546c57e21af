# The CLI contract (exit codes, messages, atomic outputs), driven by a shell script.
add_test(NAME test_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.sh $<TARGET_FILE:calib8>
         ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_work)
# Issue 15 ("nothing lost, part II"): inputs never overwritten, outputs and options checked
# first, options without effect, NaN/Inf, valid UTF-8 JSON, mended messages (docs/cli.md).
add_test(NAME test_cli_lost
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli_lost.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_lost_work)
set_tests_properties(test_cli_lost PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
