# Engine benchmarks (not tests): bench_cpu.sh compares the CPU devices (cpu-ref, cpu on oneDNN;
# results: bench/results/cpu-onednn-<date>.md). bench_passes measures node counts and FP32 CPU runtime before
# and after the graph optimizer. Results: bench/results/passes-cpu.md.
add_executable(bench_passes ${CMAKE_CURRENT_SOURCE_DIR}/engine/bench_passes.c)
target_include_directories(bench_passes PRIVATE ${CMAKE_SOURCE_DIR}
                           ${CMAKE_BINARY_DIR}/generated/proto)
target_compile_definitions(bench_passes PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(bench_passes PRIVATE calib8_static c8_flags)
