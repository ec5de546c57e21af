# datasets/ benchmark: decode + preprocess images/s per core (28x28 PNG, 224x224 imagenet JPEG)
# and the loader thread against a simulated engine. Run: ./bench/bench_datasets [WORKDIR]
add_executable(bench_datasets ${CMAKE_CURRENT_SOURCE_DIR}/datasets/bench_datasets.c)
target_include_directories(bench_datasets PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_definitions(bench_datasets PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(bench_datasets PRIVATE calib8_static c8_flags)
