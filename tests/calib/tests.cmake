# calib/: histograms, threshold algorithms, caches, sidecars, HDF5 histogram files.
# (The `calib8 cache` subcommand: tests/tools/.)
c8_add_test(test_calib_hist ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_hist.c)
c8_add_test(test_calib_algos ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_algos.c)
c8_add_test(test_calib_cache ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_cache.c)
c8_add_test(test_calib_files ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_files.c)
# `auto`'s accuracy targets on the bundled models (skips without them or the data).
c8_add_test(test_calib_auto ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_auto.c TIMEOUT 3000)
