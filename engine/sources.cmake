# engine/: ONNX import (onnx/), graph passes (passes/), builder (build/), executor (exec/),
# engines, plans and backend registration.

# ONNX schema -> protobuf-c sources, generated at build time.
set(C8_PROTO_OUT ${CMAKE_BINARY_DIR}/generated/proto)
file(MAKE_DIRECTORY ${C8_PROTO_OUT}/engine/onnx)
add_custom_command(
  OUTPUT ${C8_PROTO_OUT}/engine/onnx/onnx.pb-c.c ${C8_PROTO_OUT}/engine/onnx/onnx.pb-c.h
  COMMAND ${PROTOC_C} --c_out=${C8_PROTO_OUT} -I${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/engine/onnx/onnx.proto
  DEPENDS ${CMAKE_SOURCE_DIR}/engine/onnx/onnx.proto
  COMMENT "protoc-c engine/onnx/onnx.proto")
set_source_files_properties(${C8_PROTO_OUT}/engine/onnx/onnx.pb-c.c PROPERTIES GENERATED TRUE
  COMPILE_OPTIONS "-Wno-missing-field-initializers")
list(APPEND C8_GENERATED_SOURCES ${C8_PROTO_OUT}/engine/onnx/onnx.pb-c.c)

list(APPEND C8_SOURCES
  engine/onnx/onnx_import.c
  engine/model.c
  engine/layers.c
  engine/profile.c
  engine/layer_spec.c
  engine/image_input.c
  engine/passes/passes.c
  engine/passes/fold.c
  engine/passes/fuse.c
  engine/passes/dot.c
  engine/build/builder.c
  engine/build/place.c
  engine/build/reformat.c
  engine/build/qdq_export.c
  engine/exec/memplan.c
  engine/exec/exec.c
  engine/engine.c
  engine/tensor_file.c
  engine/introspect.c
  engine/inspect.c
  engine/plan.c
  engine/backend.c
)
