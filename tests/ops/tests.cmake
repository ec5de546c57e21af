# ops/: the op table on one-node graphs (checks, shape inference, reference run): the compute
# family (ops/compute.c, against float64 references and ONNX conformance data in data/onnx) and
# the tensor / elementwise family (ops/tensor*.c, with the one-node harness of tests/kit/graph.h).
c8_add_test(test_ops_compute ${CMAKE_CURRENT_LIST_DIR}/test_ops_compute.c)
c8_add_test(test_ops_eltwise ${CMAKE_CURRENT_LIST_DIR}/test_ops_eltwise.c)
c8_add_test(test_ops_shape ${CMAKE_CURRENT_LIST_DIR}/test_ops_shape.c)
c8_add_test(test_ops_resize ${CMAKE_CURRENT_LIST_DIR}/test_ops_resize.c)
c8_add_test(test_op_table ${CMAKE_CURRENT_LIST_DIR}/test_op_table.c)
c8_add_test(test_ops_math ${CMAKE_CURRENT_LIST_DIR}/test_ops_math.c)
c8_add_test(test_ops_logic ${CMAKE_CURRENT_LIST_DIR}/test_ops_logic.c)
c8_add_test(test_ops_index ${CMAKE_CURRENT_LIST_DIR}/test_ops_index.c)
c8_add_test(test_ops_einsum ${CMAKE_CURRENT_LIST_DIR}/test_ops_einsum.c)
