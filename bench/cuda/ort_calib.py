#!/usr/bin/env python3
"""ONNX Runtime's quantize_static with CalibrationMethod.Entropy on the same model and images as
`calib8 calibrate` in bench/cuda/resnet50.sh (preprocessing as --preset imagenet: resize the
shorter side to 256 bilinear, centre crop 224, RGB, /255, ImageNet mean/std). Times the whole
call (data loading, inference and the entropy search are interleaved inside ONNX Runtime) and
writes JSON (--out)."""
import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def preprocess(path):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    k = 256.0 / min(w, h)
    im = im.resize((max(1, round(w * k)), max(1, round(h * k))), Image.BILINEAR)
    w, h = im.size
    l, t = (w - 224) // 2, (h - 224) // 2
    a = np.asarray(im.crop((l, t, l + 224, t + 224)), np.float32) / 255.0
    return ((a - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import onnxruntime
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)

    files = sorted(os.listdir(args.images))[: args.n]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.i = 0

        def get_next(self):
            if self.i >= len(files):
                return None
            x = preprocess(os.path.join(args.images, files[self.i]))
            self.i += 1
            return {"input": x}

    out_model = args.model + ".ort_int8.onnx"
    t0 = time.perf_counter()
    quantize_static(args.model, out_model, Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.Entropy)
    t = time.perf_counter() - t0
    print(f"onnxruntime {onnxruntime.__version__} quantize_static (Entropy) on {len(files)} "
          f"images: {t:.2f} s", flush=True)
    with open(args.out, "w") as f:
        json.dump({"onnxruntime": onnxruntime.__version__, "images": len(files), "seconds": t,
                   "cpus": os.cpu_count()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
