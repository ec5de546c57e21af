#!/usr/bin/env python3
"""Optional cross-check: run the committed ONNX models with onnxruntime and compare with the
PyTorch references in models/ref/. Needs numpy and onnxruntime only (not torch); neither
train.py nor calib8 needs onnxruntime.

    python3 -m pip install --target /tmp/ort onnxruntime
    PYTHONPATH=/tmp/ort python3 models/check_ort.py

Exit status 0 when every model matches: the first 100 logits within LOGIT_TOL (absolute) and
the same top-1 class as PyTorch on at least MIN_TOP1_AGREEMENT of the 10,000 test images.
"""

import argparse
import gzip
import os
import struct
import sys

import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN = 0.2860
STD = 0.3530
MODELS = ("fmnist_cnn", "fmnist_resnet")
# Different convolution algorithms sum in different orders; FP32 logits of order 10 then differ
# in the last few bits, far below this.
LOGIT_TOL = 1e-3
# An image whose two best logits are within rounding noise may flip; allow a handful.
MIN_TOP1_AGREEMENT = 0.999


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    _, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models-dir", default=here)
    ap.add_argument("--data", default=DATA_DIR)
    args = ap.parse_args()

    import onnxruntime as ort

    img = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    x = ((img.astype(np.float32) * np.float32(1.0 / 255.0) - np.float32(MEAN))
         / np.float32(STD))[:, None, :, :].astype(np.float32)
    ok = True
    for name in MODELS:
        sess = ort.InferenceSession(os.path.join(args.models_dir, f"{name}.onnx"),
                                    providers=["CPUExecutionProvider"])
        logits = np.concatenate([sess.run(["logits"], {"input": x[i:i + 1000]})[0]
                                 for i in range(0, x.shape[0], 1000)])
        ref100 = np.load(os.path.join(args.models_dir, "ref", f"{name}_logits100.npy"))
        ref_top1 = np.load(os.path.join(args.models_dir, "ref", f"{name}_top1.npy"))
        diff = float(np.abs(logits[:100] - ref100).max())
        rel = diff / float(np.abs(ref100).max())
        agree = float((logits.argmax(1) == ref_top1).mean())
        good = diff <= LOGIT_TOL and agree >= MIN_TOP1_AGREEMENT
        ok &= good
        print(f"{name}: onnxruntime {ort.__version__}: max |logit diff| (first 100) {diff:.3g} "
              f"(relative to max |logit| {rel:.3g}); top-1 agreement {agree:.4f} "
              f"({int(round(agree * x.shape[0]))}/{x.shape[0]}) {'OK' if good else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
