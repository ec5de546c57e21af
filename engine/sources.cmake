# engine/: network IR, ONNX import, graph passes, builder, plans, runtime.

# ONNX schema -> protobuf-c sources, generated at build time.
set(C8_PROTO_OUT ${CMAKE_BINARY_DIR}/generated/proto)
file(MAKE_DIRECTORY ${C8_PROTO_OUT}/engine)
add_custom_command(
  OUTPUT ${C8_PROTO_OUT}/engine/onnx.pb-c.c ${C8_PROTO_OUT}/engine/onnx.pb-c.h
  COMMAND ${PROTOC_C} --c_out=${C8_PROTO_OUT} -I${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/engine/onnx.proto
  DEPENDS ${CMAKE_SOURCE_DIR}/engine/onnx.proto
  COMMENT "protoc-c engine/onnx.proto")
set_source_files_properties(${C8_PROTO_OUT}/engine/onnx.pb-c.c PROPERTIES GENERATED TRUE
  COMPILE_OPTIONS "-Wno-missing-field-initializers")
list(APPEND C8_GENERATED_SOURCES ${C8_PROTO_OUT}/engine/onnx.pb-c.c)

list(APPEND C8_SOURCES
  engine/ir.c
  engine/ops.c
  engine/onnx_import.c
  engine/infer.c
  engine/memplan.c
  engine/exec.c
  engine/model.c
  engine/engine.c
  engine/ops_q8.c
  engine/builder.c
  engine/plan.c
  engine/qdq_export.c
  engine/backend.c
  engine/backend_cpu.c
)
# compute-op family and shared shape helpers (ops_compute helper)
list(APPEND C8_SOURCES engine/shape_util.c)
list(APPEND C8_SOURCES engine/ops_compute.c)
# tensor / elementwise op family (ops_tensor helper)
list(APPEND C8_SOURCES engine/ops_tensor.c engine/ops_tensor_shape.c engine/ops_tensor_resize.c)
# graph optimizer passes and the DOT writer (passes helper)
list(APPEND C8_SOURCES engine/passes.c engine/passes_fold.c engine/passes_fuse.c engine/dot.c)
