# datasets/: decoding, preprocessing, sources, loader, IDX conversion.
c8_add_test(test_datasets_decode ${CMAKE_CURRENT_SOURCE_DIR}/datasets/test_decode.c)
c8_add_test(test_datasets_preprocess ${CMAKE_CURRENT_SOURCE_DIR}/datasets/test_preprocess.c)
c8_add_test(test_datasets_sources ${CMAKE_CURRENT_SOURCE_DIR}/datasets/test_sources.c)
c8_add_test(test_datasets_loader ${CMAKE_CURRENT_SOURCE_DIR}/datasets/test_loader.c)
c8_add_test(test_datasets_convert ${CMAKE_CURRENT_SOURCE_DIR}/datasets/test_convert.c TIMEOUT 600)
