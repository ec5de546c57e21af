# Calibration benchmarks (not tests): bench_thresholds times the threshold search (every algorithm,
# `auto` included) over ResNet-50-like histograms or a histogram file. Results:
# bench/results/thresholds-cpu.md.
add_executable(bench_thresholds ${CMAKE_CURRENT_SOURCE_DIR}/calib/bench_thresholds.c)
target_include_directories(bench_thresholds PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_definitions(bench_thresholds PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(bench_thresholds PRIVATE calib8_static c8_flags)
