# util/: the small utilities (files, JSON, npy, SHA-256, checked arithmetic, ...) and the
# broadcasting / window helpers of util/shape.
c8_add_test(test_util ${CMAKE_CURRENT_LIST_DIR}/test_util.c)
c8_add_test(test_shape_util ${CMAKE_CURRENT_LIST_DIR}/test_shape_util.c)
