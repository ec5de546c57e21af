# ops/ suites: the tensor / elementwise op family (engine/ops_tensor*.c, kernels/ref/eltwise.c,
# transpose.c, pad.c, resize.c) through the op registry, on one-node graphs.
set(C8_OPS_TESTUTIL ${CMAKE_CURRENT_SOURCE_DIR}/ops/ops_testutil.c)
c8_add_test(test_ops_eltwise ${CMAKE_CURRENT_SOURCE_DIR}/ops/test_ops_eltwise.c ${C8_OPS_TESTUTIL})
c8_add_test(test_ops_shape ${CMAKE_CURRENT_SOURCE_DIR}/ops/test_ops_shape.c ${C8_OPS_TESTUTIL})
c8_add_test(test_ops_resize ${CMAKE_CURRENT_SOURCE_DIR}/ops/test_ops_resize.c ${C8_OPS_TESTUTIL})
c8_add_test(test_op_table ${CMAKE_CURRENT_SOURCE_DIR}/ops/test_op_table.c)
