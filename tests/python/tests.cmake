# python/: the calib8 Python package (ctypes over libcalib8.so) under pytest, checked against
# the CLI (tests/python/run_pytest.sh; skips, exit 77, without pytest/numpy/PIL or Fashion-MNIST).
# /usr/bin/python3 is the interpreter tools/install-deps.sh equips (python3-pytest, -numpy).
# Sanitizer builds: an ASan/UBSan libcalib8.so loads into the uninstrumented python only with the
# sanitizer runtimes preloaded (LD_PRELOAD, which run_pytest.sh sets from C8_PY_PRELOAD), and with
# ASan's leak checker off (it would report the interpreter's own allocations; the C suites check
# leaks); the RSS leak test skips there (freed memory sits in ASan's quarantine). TSan: skipped.
if(EXISTS /usr/bin/python3)
  set(C8_TEST_PYTHON /usr/bin/python3)
else()
  find_package(Python3 COMPONENTS Interpreter)
  set(C8_TEST_PYTHON ${Python3_EXECUTABLE})
endif()
set(C8_PY_PRELOAD "")
foreach(san_rt asan ubsan)
  string(TOUPPER ${san_rt} _opt)
  if(C8_${_opt})
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=lib${san_rt}.so
                    OUTPUT_VARIABLE _rt OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND C8_PY_PRELOAD ${_rt})
  endif()
endforeach()
string(REPLACE ";" ":" C8_PY_PRELOAD "${C8_PY_PRELOAD}")
if(C8_TSAN)
  add_test(NAME test_python COMMAND sh -c
           "echo 'SKIP: TSan build: the Python suite does not run under ThreadSanitizer'; exit 77")
elseif(C8_TEST_PYTHON)
  # the C structs' sizes and offsets, which test_calib8.py compares with the ctypes mirrors
  add_executable(c8_layout_dump ${CMAKE_CURRENT_LIST_DIR}/layout_dump.c)
  target_link_libraries(c8_layout_dump PRIVATE c8_flags)
  target_include_directories(c8_layout_dump PRIVATE ${CMAKE_SOURCE_DIR}/include
                             ${CMAKE_BINARY_DIR}/generated)
  add_test(NAME test_python
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_pytest.sh ${C8_TEST_PYTHON}
                   $<TARGET_FILE:calib8> $<TARGET_FILE:calib8_shared> ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/test_python_work)
  set_tests_properties(test_python PROPERTIES TIMEOUT 900
                       ENVIRONMENT
                       "C8_PY_PRELOAD=${C8_PY_PRELOAD};C8_LAYOUT_DUMP=$<TARGET_FILE:c8_layout_dump>")
else()
  add_test(NAME test_python COMMAND sh -c "echo 'SKIP: no python3 interpreter'; exit 77")
endif()
set_tests_properties(test_python PROPERTIES SKIP_RETURN_CODE 77)
