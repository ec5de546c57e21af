# calib/: histograms, threshold algorithms, caches, sidecars, HDF5 histogram files, and the
# `calib8 cache` subcommand.
c8_add_test(test_calib_hist ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_hist.c)
c8_add_test(test_calib_algos ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_algos.c)
c8_add_test(test_calib_cache ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_cache.c)
c8_add_test(test_calib_files ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_files.c)
add_test(NAME test_calib_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_cli_cache.sh $<TARGET_FILE:calib8>
                 ${CMAKE_CURRENT_SOURCE_DIR}/calib/data ${CMAKE_SOURCE_DIR}/../shared
                 ${CMAKE_BINARY_DIR}/test_calib_cli)
set_tests_properties(test_calib_cli PROPERTIES SKIP_RETURN_CODE 77)
# `auto`'s accuracy targets on the bundled models (skips without them or the data).
c8_add_test(test_calib_auto ${CMAKE_CURRENT_SOURCE_DIR}/calib/test_calib_auto.c TIMEOUT 3000)
