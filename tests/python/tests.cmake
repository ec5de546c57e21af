# python/: the calib8 Python package (ctypes over libcalib8.so) under pytest, checked against
# the CLI (tests/python/run_pytest.sh; skips, exit 77, without pytest/numpy/PIL or Fashion-MNIST).
# /usr/bin/python3 is the interpreter tools/install-deps.sh equips (python3-pytest, -numpy).
# Sanitizer builds skip it: an ASan/UBSan/TSan libcalib8.so cannot be loaded into an
# uninstrumented python without LD_PRELOADing the sanitizer runtime, whose leak checker then
# reports the interpreter's own allocations; the C suites cover the library there.
if(EXISTS /usr/bin/python3)
  set(C8_TEST_PYTHON /usr/bin/python3)
else()
  find_package(Python3 COMPONENTS Interpreter)
  set(C8_TEST_PYTHON ${Python3_EXECUTABLE})
endif()
if(C8_ASAN OR C8_UBSAN OR C8_TSAN)
  add_test(NAME test_python COMMAND sh -c
           "echo 'SKIP: sanitizer build: libcalib8.so is instrumented and python is not (see tests/python/tests.cmake)'; exit 77")
elseif(C8_TEST_PYTHON)
  add_test(NAME test_python
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_pytest.sh ${C8_TEST_PYTHON}
                   $<TARGET_FILE:calib8> $<TARGET_FILE:calib8_shared> ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/test_python_work)
  set_tests_properties(test_python PROPERTIES TIMEOUT 600)
else()
  add_test(NAME test_python COMMAND sh -c "echo 'SKIP: no python3 interpreter'; exit 77")
endif()
set_tests_properties(test_python PROPERTIES SKIP_RETURN_CODE 77)
