# libFuzzer harnesses (C8_BUILD_FUZZERS=ON, clang only): fuzz/fuzz_<target>.c, one executable
# per target, each calling its entry point in fuzz/targets.c. tools/fuzz.sh configures a build
# with them (clang, ASan + UBSan) and runs one. The library and the CLI get libFuzzer's coverage
# instrumentation (-fsanitize=fuzzer-no-link); only the harnesses link libFuzzer's main.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "C8_BUILD_FUZZERS=ON needs clang (configure with CC=clang)")
endif()
target_compile_options(c8_flags INTERFACE $<$<COMPILE_LANGUAGE:C>:-fsanitize=fuzzer-no-link>)
set(C8_FUZZ_TARGETS onnx cache sidecar json plan histfile png jpeg list npy h5dataset)
foreach(t ${C8_FUZZ_TARGETS})
  add_executable(fuzz_${t} ${CMAKE_SOURCE_DIR}/fuzz/fuzz_${t}.c ${CMAKE_SOURCE_DIR}/fuzz/targets.c)
  target_include_directories(fuzz_${t} PRIVATE ${CMAKE_SOURCE_DIR}
                             ${CMAKE_BINARY_DIR}/generated/proto)
  target_compile_definitions(fuzz_${t} PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(fuzz_${t} PRIVATE calib8_static c8_flags)
  target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
endforeach()
add_custom_target(fuzzers)
foreach(t ${C8_FUZZ_TARGETS})
  add_dependencies(fuzzers fuzz_${t})
endforeach()
