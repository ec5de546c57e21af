#!/usr/bin/python3
"""Copies a few small ONNX conformance cases (Debian's libonnx-testdata, ONNX 1.12) into .npy
files for tests/ops/test_ops_compute.c, so the op-level tests have independent expected
outputs even without the ONNX importer. Writes onnx/<case>/{input,output}_K.npy next to this
script. The node attributes are restated in the test (k_onnx_cases). Run with /usr/bin/python3."""
import glob
import os

import numpy as np
import onnx
from onnx import numpy_helper

SRC = "/usr/share/libonnx-testdata/data/node"
CASES = [
    "test_conv_with_strides_and_asymmetric_padding",
    "test_conv_with_autopad_same",
    "test_convtranspose_autopad_same",
    "test_convtranspose_kernel_shape",
    "test_convtranspose_output_shape",
    "test_convtranspose_pads",
    "test_convtranspose_dilations",
    "test_averagepool_2d_precomputed_pads_count_include_pad",
    "test_averagepool_2d_ceil",
    "test_maxpool_2d_precomputed_same_upper",
    "test_maxpool_2d_dilations",
    "test_lrn",
    "test_softmax_axis_1",
    "test_gemm_all_attributes",
]

here = os.path.dirname(os.path.abspath(__file__))
for case in CASES:
    out = os.path.join(here, "onnx", case)
    os.makedirs(out, exist_ok=True)
    for kind in ("input", "output"):
        for f in sorted(glob.glob(f"{SRC}/{case}/test_data_set_0/{kind}_*.pb")):
            a = numpy_helper.to_array(onnx.load_tensor(f))
            np.save(os.path.join(out, os.path.basename(f)[:-3] + ".npy"), np.ascontiguousarray(a))
