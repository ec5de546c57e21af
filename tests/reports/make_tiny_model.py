#!/usr/bin/python3
"""Writes tests/reports/data/tiny_cls.onnx, the small classifier that tests/reports/ runs the
comparison and the automatic-fallback search on. Run: /usr/bin/python3 make_tiny_model.py [OUTDIR]
The output is committed; rerun only when changing the model.

x (N,1,8,8) -> conv1 Conv 3x3 (1->4, pad 1) -> c1 -> relu1 Relu -> r1 -> pool1 MaxPool 2x2
  -> p1 (N,4,4,4) -> flat Flatten -> f (N,64) -> "fc[1]" Gemm (64->6, transB) -> logits (N,6)

Built to have one layer that INT8 ruins and nothing else: conv1's channel 3 has negative weights
and bias, so for inputs in [0, 1] relu1 zeroes it and f[48:64] is always 0. Each row k of the
Gemm weight gets one outlier (40.0) on such an input: it never changes the FP32 logits, but it
sets row k's per-channel weight scale to 40/127, so the row's other weights (std 0.3) quantize
to a few levels and the INT8 logits drift. Keeping "fc[1]" in FP32 removes the drift; the
name's brackets exercise the glob escaping of the generated --layer-precision spec."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240611)

w1 = rng.standard_normal((4, 1, 3, 3)).astype(np.float32) * 0.5
b1 = rng.standard_normal((4,)).astype(np.float32) * 0.1
w1[3] = -0.5
b1[3] = -0.1
w2 = (rng.standard_normal((6, 64)) * 0.3).astype(np.float32)
for k in range(6):
    w2[k, 48 + 2 * k] = 40.0
b2 = (rng.standard_normal((6,)) * 0.1).astype(np.float32)

nodes = [
    helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1],
                     kernel_shape=[3, 3]),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Flatten", ["p1"], ["f"], name="flat", axis=1),
    helper.make_node("Gemm", ["f", "W2", "B2"], ["logits"], name="fc[1]", transB=1),
]
inits = [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(b1, "B1"),
         numpy_helper.from_array(w2, "W2"), numpy_helper.from_array(b2, "B2")]
g = helper.make_graph(nodes, "tiny_cls",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
                      [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 6])],
                      inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="calib8-tests")
m.ir_version = 8
onnx.checker.check_model(m)
with open(os.path.join(out, "tiny_cls.onnx"), "wb") as f:
    f.write(m.SerializeToString())
