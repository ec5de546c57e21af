# reliability/: fuzz regression replay, nothing lost on failure (full disk, read-only folder,
# directory target, /dev/full, SIGINT), memory limits, concurrent contexts, injected GPU
# allocation failures. docs/reliability.md describes each.
c8_add_test(test_fuzz_replay ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_fuzz_replay.c
            ${CMAKE_SOURCE_DIR}/fuzz/targets.c TIMEOUT 1500)
c8_add_test(test_nothing_lost ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_nothing_lost.c)
c8_add_test(test_limits ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_limits.c)
c8_add_test(test_interrupt ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_interrupt.c TIMEOUT 600)
c8_add_test(test_concurrency ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_concurrency.c
            TIMEOUT 900)
c8_add_test(test_cuda_alloc ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_cuda_alloc.c LABELS gpu)
# The CLI tests run the calib8 binary: build it first.
add_dependencies(test_limits calib8)
add_dependencies(test_interrupt calib8)
