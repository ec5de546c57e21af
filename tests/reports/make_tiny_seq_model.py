#!/usr/bin/python3
"""Writes tests/reports/data/tiny_seq.onnx, a small two-output model on which
tests/reports/drift_ocr_check.py runs `calib8 compare` end to end for the output kinds that no
bundled model has: a sequence (a CTC recognizer's N x T x C scores) and a dense map (a
detector's N x 1 x H x W probabilities). Run: /usr/bin/python3 make_tiny_seq_model.py [OUTDIR]
(needs the onnx package). The output is committed; rerun only when changing the model.

x (N,1,8,8) -> conv Conv 3x3 (1->5, pad 1) -> c (N,5,8,8) -> relu Relu -> r
  -> flat Reshape [0,5,64] -> t (N,5,64) -> tr Transpose [0,2,1] -> u (N,64,5)
  -> soft Softmax axis 2 -> seq (N,64,5): 64 positions of 5 classes, class 0 the CTC blank
x -> head Conv 3x3 (1->1, pad 1) -> h (N,1,8,8) -> sig Sigmoid -> prob (N,1,8,8)
h -> cast Cast to int64 -> ids (N,1,8,8) int64: an output compare cannot compare (not float32),
  left out and named in the report

The blank's bias is large enough that blanks separate the other classes' runs, so the greedy
decodings are short strings that INT8 noise can change."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261206)

w = (rng.standard_normal((5, 1, 3, 3)) * 0.8).astype(np.float32)
b = np.array([0.6, 0.0, 0.1, -0.1, 0.05], dtype=np.float32)
wh = (rng.standard_normal((1, 1, 3, 3)) * 1.5).astype(np.float32)
bh = np.array([-0.5], dtype=np.float32)
inits = [
    numpy_helper.from_array(w, "w"),
    numpy_helper.from_array(b, "b"),
    numpy_helper.from_array(wh, "wh"),
    numpy_helper.from_array(bh, "bh"),
    numpy_helper.from_array(np.array([0, 5, 64], dtype=np.int64), "shape"),
]
nodes = [
    helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("Reshape", ["r", "shape"], ["t"], name="flat"),
    helper.make_node("Transpose", ["t"], ["u"], name="tr", perm=[0, 2, 1]),
    helper.make_node("Softmax", ["u"], ["seq"], name="soft", axis=2),
    helper.make_node("Conv", ["x", "wh", "bh"], ["h"], name="head", pads=[1, 1, 1, 1]),
    helper.make_node("Sigmoid", ["h"], ["prob"], name="sig"),
    helper.make_node("Cast", ["h"], ["ids"], name="cast", to=TensorProto.INT64),
]
g = helper.make_graph(
    nodes, "tiny_seq",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
    [helper.make_tensor_value_info("seq", TensorProto.FLOAT, ["N", 64, 5]),
     helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 1, 8, 8]),
     helper.make_tensor_value_info("ids", TensorProto.INT64, ["N", 1, 8, 8])],
    inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="calib8-tests")
m.ir_version = 8
onnx.checker.check_model(m)
with open(os.path.join(out, "tiny_seq.onnx"), "wb") as f:
    f.write(m.SerializeToString())
print("wrote", os.path.join(out, "tiny_seq.onnx"))
