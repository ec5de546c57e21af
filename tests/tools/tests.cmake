# tools/: the calib8 CLI. Its contract (exit codes, messages, atomic outputs) and the `calib8
# cache` subcommand, driven by shell scripts; and tools/check-deps.py (the dependency rule of
# docs/architecture.md) on small fake trees.
add_test(NAME test_cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli.sh $<TARGET_FILE:calib8>
         ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_work)
set_tests_properties(test_cli PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME test_calib_cli
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_cli_cache.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR}/tests/calib/data ${CMAKE_SOURCE_DIR}/../shared
                 ${CMAKE_BINARY_DIR}/test_calib_cli)
set_tests_properties(test_calib_cli PROPERTIES SKIP_RETURN_CODE 77)
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME test_check_deps
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_check_deps.py
                   ${CMAKE_SOURCE_DIR}/tools/check-deps.py)
endif()
# Issue 15 ("nothing lost, part II"): inputs never overwritten, outputs and options checked
# first, options without effect, NaN/Inf, valid UTF-8 JSON, mended messages (docs/cli.md).
add_test(NAME test_cli_lost
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_lost.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_lost_work)
set_tests_properties(test_cli_lost PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# Issue 19 part 5: the preprocessing recorded by calibrate travels through the sidecar and the
# plan to eval, compare, run and bench; differing flags warn; format-3 plans still load.
add_test(NAME test_cli_preprocess
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_preprocess.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_preprocess_work)
set_tests_properties(test_cli_preprocess PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# Issue 19 part 1: optimization profiles at the command line (spellings, --batch, bench --shape).
add_test(NAME test_cli_profile
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_profile.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_profile_work)
set_tests_properties(test_cli_profile PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# --threads (issue 18, part 3): caches and FP32/INT8 outputs identical for 1, 2 and 4 threads.
add_test(NAME test_cli_threads
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_threads.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/test_cli_threads_work)
set_tests_properties(test_cli_threads PROPERTIES SKIP_RETURN_CODE 77)
# Issue 19 part 2: dynamic H and W per image, on a tiny classifier (eval, compare, calibrate,
# run) and the PP-OCRv4 detector (../shared; that part skipped without it): caches independent
# of batching, per-image runs equal pinned ones, too-large images refused.
add_test(NAME test_cli_dynamic
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_dynamic.sh $<TARGET_FILE:calib8>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/../shared
                 ${CMAKE_BINARY_DIR}/test_cli_dynamic_work)
set_tests_properties(test_cli_dynamic PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
# The CUDA backend as a module loaded on first use (kernels/cuda/module.c): the program and
# libcalib8.so need no CUDA library; a missing or foreign module is a clear error.
add_test(NAME test_cli_cuda_module
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_cuda_module.sh $<TARGET_FILE:calib8>
                 $<TARGET_FILE:calib8_shared> ${CMAKE_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/test_cli_cuda_module_work)
set_tests_properties(test_cli_cuda_module PROPERTIES SKIP_RETURN_CODE 77)
