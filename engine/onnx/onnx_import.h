/* ONNX import: ModelProto bytes -> c8_graph. Internal; the public entry is c8_model_load. */
#ifndef C8_ENGINE_ONNX_IMPORT_H
#define C8_ENGINE_ONNX_IMPORT_H

#include "calib8/status.h"
#include "ops/ir.h"

#include <stdint.h>

/* Opsets of the default domain that calib8 accepts. */
#define C8_ONNX_MIN_OPSET 7
#define C8_ONNX_MAX_OPSET 21

/* Parses the model at path into a graph: values, nodes with attributes, Constant nodes turned
 * into constants, initializers (raw_data, typed fields, external data), inputs and outputs.
 * Then finalizes (producers, cycles, topological order). Does not check ops or infer shapes.
 * On success *out is owned by the caller. */
c8_status c8_onnx_import(const char *path, uint64_t max_file_bytes, c8_graph **out, c8_error *err);

/* Parses a serialized TensorProto (e.g. a conformance test's input_0.pb) into *out (data owned
 * by out, free with c8_const_free) and, if name is non-NULL, its name (malloc'd, may be ""). */
c8_status c8_onnx_parse_tensor(const unsigned char *buf, size_t len, const char *what,
                               c8_const *out, char **name, c8_error *err);

#endif
