#!/usr/bin/python3
"""Writes the small ONNX files that tests/engine/test_import.c feeds to the importer: valid
models in every storage form (typed fields, raw_data, external data, initializers listed as
inputs, dynamic batch, a PyTorch-style shape subgraph) and broken ones (truncated, corrupt,
wrong types, missing initializers, shape mismatches, negative/huge dims, cycles, unknown ops,
bad attributes, external data escaping the folder). Run: /usr/bin/python3 make_bad_models.py OUTDIR
The outputs are committed; rerun only when adding cases."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
os.makedirs(out, exist_ok=True)


def save(model, name):
    with open(os.path.join(out, name), "wb") as f:
        f.write(model.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="calib8-tests")
    m.ir_version = 8
    return m


rng = np.random.default_rng(0)
X = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 5, 5])
Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
b = rng.standard_normal((3,)).astype(np.float32)

# --- valid: conv + relu with weights as raw_data, bias in float_data (typed field)
W_raw = numpy_helper.from_array(w, "W")
B_typed = helper.make_tensor("B", TensorProto.FLOAT, [3], b.tolist())
conv = helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1])
relu = helper.make_node("Relu", ["c"], ["y"], name="relu")
good = model([conv, relu], [X], [Y], [W_raw, B_typed])
save(good, "good_conv.onnx")
np.save(os.path.join(out, "good_conv_w.npy"), w)
np.save(os.path.join(out, "good_conv_b.npy"), b)

# same, initializers also listed as graph inputs (IR < 4 style)
m = model([conv, relu], [X, helper.make_tensor_value_info("W", TensorProto.FLOAT, [3, 2, 3, 3]),
                         helper.make_tensor_value_info("B", TensorProto.FLOAT, [3])], [Y], [W_raw, B_typed])
save(m, "good_init_as_input.onnx")

# external data: weights in a sibling file
ext_dir = os.path.join(out, "external")
os.makedirs(ext_dir, exist_ok=True)
m = model([conv, relu], [X], [Y], [numpy_helper.from_array(w, "W"), B_typed])
onnx.external_data_helper.convert_model_to_external_data(m, all_tensors_to_one_file=True,
                                                         location="weights.bin", size_threshold=0)
onnx.save_model(m, os.path.join(ext_dir, "model.onnx"))

# external data that escapes the model folder / is missing / is too short
for name, loc in (("ext_escape.onnx", "../../../../etc/passwd"), ("ext_missing.onnx", "nope.bin"),
                  ("ext_absolute.onnx", "/etc/passwd")):
    m = model([conv, relu], [X], [Y], [numpy_helper.from_array(w, "W"), B_typed])
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", loc
    save(m, name)

# PyTorch-style flatten: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) with dynamic batch
shape = helper.make_node("Shape", ["y"], ["s"], name="shape")
gather = helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0)
unsq = helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze")
concat = helper.make_node("Concat", ["n1", "minus1"], ["newshape"], name="concat", axis=0)
reshape = helper.make_node("Reshape", ["y", "newshape"], ["flat"], name="reshape")
F = helper.make_tensor_value_info("flat", TensorProto.FLOAT, None)
m = model([conv, relu, shape, gather, unsq, concat, reshape], [X], [F],
          [W_raw, B_typed, numpy_helper.from_array(np.array(0, np.int64), "zero"),
           numpy_helper.from_array(np.array([0], np.int64), "axes0"),
           numpy_helper.from_array(np.array([-1], np.int64), "minus1")])
save(m, "good_shape_subgraph.onnx")

# --- broken
data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
corrupt = bytearray(data)
for i in range(0, len(corrupt), 7):
    corrupt[i] ^= 0xA5
with open(os.path.join(out, "corrupt.onnx"), "wb") as f:
    f.write(bytes(corrupt))
with open(os.path.join(out, "empty.onnx"), "wb") as f:
    pass

save(model([conv, relu], [X], [Y], [B_typed]), "missing_initializer.onnx")

A = helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3])
Bv = helper.make_tensor_value_info("b", TensorProto.FLOAT, [4])
save(model([helper.make_node("Add", ["a", "b"], ["y"], name="add")], [A, Bv], [Y]), "shape_mismatch.onnx")

S = helper.make_tensor_value_info("s", TensorProto.STRING, [2])
save(model([helper.make_node("Relu", ["s"], ["y"], name="relu")], [S], [Y]), "string_input.onnx")
t = helper.make_tensor("W", TensorProto.BFLOAT16, [3, 2, 3, 3], np.zeros(54, np.uint16).tobytes(), raw=True)
save(model([conv, relu], [X], [Y], [t, B_typed]), "bfloat16_weight.onnx")

neg = TensorProto()
neg.name = "W"
neg.data_type = TensorProto.FLOAT
neg.dims.extend([3, -2, 3, 3])
neg.raw_data = b"\0" * 16
save(model([conv, relu], [X], [Y], [neg, B_typed]), "negative_dim.onnx")

huge = TensorProto()
huge.name = "W"
huge.data_type = TensorProto.FLOAT
huge.dims.extend([1 << 40, 1 << 40, 3, 3])
save(model([conv, relu], [X], [Y], [huge, B_typed]), "huge_dim.onnx")

short = TensorProto()
short.name = "W"
short.data_type = TensorProto.FLOAT
short.dims.extend([3, 2, 3, 3])
short.raw_data = b"\0" * 100
save(model([conv, relu], [X], [Y], [short, B_typed]), "raw_data_short.onnx")

Xn = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
cyc = [helper.make_node("Relu", ["x2"], ["x1"], name="r1"), helper.make_node("Relu", ["x1"], ["x2"], name="r2"),
       helper.make_node("Add", ["x", "x2"], ["y"], name="add")]
save(model(cyc, [Xn], [Y]), "cycle.onnx")

save(model([helper.make_node("FooBar", ["x"], ["y"], name="mystery")], [Xn], [Y]), "unknown_op.onnx")
save(model([helper.make_node("Relu", ["x"], ["y"], name="relu", domain="com.microsoft")], [Xn], [Y]),
     "custom_domain.onnx")

Xc = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64, 8, 8])
w64 = numpy_helper.from_array(rng.standard_normal((6, 22, 3, 3)).astype(np.float32), "W")
save(model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv3", group=3)], [Xc], [Y], [w64]), "bad_group.onnx")

save(model([conv, relu], [X], [Y], [W_raw, B_typed], opset=5), "opset5.onnx")
save(model([helper.make_node("Relu", ["x"], ["y"], name="r1"), helper.make_node("Relu", ["x"], ["y"], name="r2")],
           [Xn], [Y]), "double_producer.onnx")
print("wrote", sorted(os.listdir(out)))
