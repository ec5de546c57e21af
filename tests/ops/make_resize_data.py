#!/usr/bin/python3
"""Writes tests/ops/data/resize_ref.txt: Resize cases with expected outputs from ONNX's own
reference implementation (onnx.backend.test.case.node.resize.interpolate_nd, ONNX 1.12, the code
that produced the conformance data), for every nearest_mode and coordinate_transformation_mode
(but tf_half_pixel_for_nn, which that reference lacks) with nearest and linear, on small 2-D..5-D inputs, scales and sizes, up- and downsampling.

Run with the system Python (numpy + onnx):  /usr/bin/python3 tests/ops/make_resize_data.py

Format, one case per block (whitespace-separated tokens; read by tests/ops/test_ops_resize.c):
  case <name> <opset> <mode> <coordinate_transformation_mode> <nearest_mode> <extrapolation>
  x <rank> <dims...> <values...>
  scales <n> <values...> | sizes <n> <values...>
  roi <n> <values...>          (only for tf_crop_and_resize)
  y <rank> <dims...> <values...>
  end
"""
import os

import numpy as np
from onnx.backend.test.case.node.resize import (interpolate_nd, linear_coeffs,
                                                nearest_coeffs)

rng = np.random.default_rng(20240517)
out = []


def fmt(a):
    return " ".join(str(np.float32(v)) for v in np.asarray(a).ravel())  # shortest float32


def emit(name, opset, mode, coord, nearest, x, scales=None, sizes=None, roi=None, extrap=0.0):
    if mode == "nearest":
        coeffs = lambda r: nearest_coeffs(r, mode=nearest)  # noqa: E731
    else:
        coeffs = linear_coeffs
    kw = dict(coordinate_transformation_mode=coord, extrapolation_value=extrap)
    if roi is not None:
        roi = np.array(roi, dtype=np.float32)  # as a model holds it
    if sizes is not None:
        y = interpolate_nd(x, coeffs, output_size=np.array(sizes), roi=roi, **kw)
    else:
        y = interpolate_nd(x, coeffs, scale_factors=np.array(scales, dtype=np.float32), roi=roi,
                           **kw)
    out.append(f"case {name} {opset} {mode} {coord} {nearest} {extrap!r}")
    out.append(f"x {x.ndim} {' '.join(map(str, x.shape))} {fmt(x)}")
    if sizes is not None:
        out.append(f"sizes {len(sizes)} {' '.join(map(str, sizes))}")
    else:
        out.append(f"scales {len(scales)} {fmt(np.array(scales, dtype=np.float32))}")
    if roi is not None:
        out.append(f"roi {len(roi)} {fmt(np.array(roi, dtype=np.float32))}")
    out.append(f"y {y.ndim} {' '.join(map(str, y.shape))} {fmt(y.astype(np.float32))}")
    out.append("end")


def data(*shape):
    return rng.uniform(-4, 4, size=shape).astype(np.float32)


COORDS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]
NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]

x4 = data(1, 2, 3, 4)
for coord in COORDS:
    for mode, nearests in (("linear", ["round_prefer_floor"]), ("nearest", NEAREST)):
        for nm in nearests:
            tag = f"{mode}_{coord}" + (f"_{nm}" if mode == "nearest" else "")
            emit(f"{tag}_up_scales", 13, mode, coord, nm, x4, scales=[1, 1, 1.7, 2.5])
            emit(f"{tag}_down_scales", 13, mode, coord, nm, x4, scales=[1, 1, 0.6, 0.6])
            emit(f"{tag}_up_sizes", 13, mode, coord, nm, x4, sizes=[1, 2, 7, 5])
            emit(f"{tag}_down_sizes", 13, mode, coord, nm, x4, sizes=[1, 2, 1, 3])

# tf_half_pixel_for_nn is not in the 1.12 reference; test_ops_resize.c has a hand-worked case.

# tf_crop_and_resize: sizes (the 1.12 reference ignores roi when sizing from scales), with an
# roi that reaches outside the input so the extrapolation value shows. The rois keep nearest's
# input coordinates away from .5 ties: the reference subtracts the float32 roi ends in float32,
# calib8 in float64, so an exact tie could round either way.
x44 = data(1, 1, 4, 4)
for mode in ("linear", "nearest"):
    emit(f"{mode}_crop", 13, mode, "tf_crop_and_resize", "round_prefer_floor", x44,
         sizes=[1, 1, 3, 3], roi=[0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], extrap=10.0)
    emit(f"{mode}_crop_inside", 13, mode, "tf_crop_and_resize", "round_prefer_floor", x44,
         sizes=[1, 1, 5, 2], roi=[0, 0, 0.13, 0.27, 1, 1, 0.91, 0.77])
    emit(f"{mode}_crop_one", 13, mode, "tf_crop_and_resize", "round_prefer_floor", x44,
         sizes=[1, 1, 1, 3], roi=[0, 0, 0.2, 0.0, 1, 1, 0.6, 1.0])

# N-linear over every axis (no batch/channel special case), 2-D and trilinear 5-D
x2 = data(3, 4)
emit("linear_2d_all_axes", 13, "linear", "half_pixel", "round_prefer_floor", x2,
     scales=[1.5, 0.75])
emit("nearest_2d_all_axes", 13, "nearest", "asymmetric", "floor", x2, sizes=[5, 9])
x5 = data(1, 2, 2, 3, 4)
emit("trilinear_up", 13, "linear", "half_pixel", "round_prefer_floor", x5,
     scales=[1, 1, 2, 1.5, 0.5])
emit("trilinear_align", 13, "linear", "align_corners", "round_prefer_floor", x5,
     sizes=[1, 2, 3, 5, 3])
# an output of length 1 (pytorch_half_pixel's special case) and identity
emit("linear_pytorch_len1", 13, "linear", "pytorch_half_pixel", "round_prefer_floor", x4,
     sizes=[1, 2, 1, 3])
emit("nearest_identity", 13, "nearest", "half_pixel", "round_prefer_floor", x4,
     scales=[1, 1, 1, 1])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "resize_ref.txt")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    f.write("# generated by tests/ops/make_resize_data.py from onnx.backend.test.case.node.resize"
            " (ONNX 1.12); do not edit\n")
    f.write("\n".join(out) + "\n")
print(f"wrote {path}: {sum(1 for l in out if l.startswith('case'))} cases")
