c8_add_test(test_util ${CMAKE_CURRENT_SOURCE_DIR}/util/test_util.c)
