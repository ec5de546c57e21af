# The CLI contract (exit codes, messages, atomic outputs), driven by a shell script.
add_test(NAME test_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.sh $<TARGET_FILE:calib8>
         ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_work)
