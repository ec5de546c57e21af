# datasets/: decoding, preprocessing, sources, loader, IDX conversion.
c8_add_test(test_datasets_decode ${CMAKE_CURRENT_LIST_DIR}/test_decode.c)
c8_add_test(test_datasets_preprocess ${CMAKE_CURRENT_LIST_DIR}/test_preprocess.c)
c8_add_test(test_datasets_sources ${CMAKE_CURRENT_LIST_DIR}/test_sources.c)
c8_add_test(test_datasets_loader ${CMAKE_CURRENT_LIST_DIR}/test_loader.c)
c8_add_test(test_datasets_convert ${CMAKE_CURRENT_LIST_DIR}/test_convert.c TIMEOUT 600)
