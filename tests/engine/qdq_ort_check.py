"""Runs a calib8 Q/DQ export with ONNX Runtime and compares its logits with calib8's own INT8
engine on the same images (tests/engine/test_qdq_ort.sh drives it).

    qdq_ort_check.py MODEL.qdq.onnx X.npy Y.npy C8_INT8.npy C8_FP32.npy

ONNX Runtime is the independent reference: it computes the Q/DQ graph with its own kernels
(float convolutions between exact QuantizeLinear/DequantizeLinear roundings), so it agrees with
calib8's integer pipeline up to the rare activation that lands within float error of a
rounding boundary. Passes when
  - top-1 agrees on >= 99% of the images,
  - the mean |ORT - calib8 INT8| logit difference is under half the mean
    |calib8 INT8 - FP32| (the quantization error itself): a Q/DQ pair in the wrong place, a
    wrong scale or wrong weights shows up at the size of the quantization error or above,
  - ORT's top-1 accuracy is within 0.5 points of calib8 INT8's.
Exit 0 pass, 1 fail."""
import sys

import numpy as np
import onnxruntime as ort


def main():
    model, xf, yf, c8f, fpf = sys.argv[1:6]
    x = np.load(xf)
    y = np.load(yf).astype(np.int64).reshape(-1)
    c8 = np.load(c8f).reshape(len(x), -1)
    fp = np.load(fpf).reshape(len(x), -1)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    out = np.concatenate([sess.run(None, {name: x[i:i + 100]})[0] for i in range(0, len(x), 100)])
    out = out.reshape(len(x), -1)
    d_ort = np.abs(out - c8)
    d_q = np.abs(c8 - fp)
    agree = float((out.argmax(1) == c8.argmax(1)).mean())
    acc_ort = float((out.argmax(1) == y).mean())
    acc_c8 = float((c8.argmax(1) == y).mean())
    acc_fp = float((fp.argmax(1) == y).mean())
    print(f"onnxruntime {ort.__version__} on {model}, {len(x)} images")
    print(f"  |ORT - calib8 INT8| logits: mean {d_ort.mean():.5f} max {d_ort.max():.5f}")
    print(f"  |calib8 INT8 - FP32| logits: mean {d_q.mean():.5f} max {d_q.max():.5f}")
    print(f"  top-1 agreement ORT vs calib8 INT8: {agree * 100:.2f}%")
    print(f"  top-1 accuracy: ORT Q/DQ {acc_ort * 100:.2f}%, calib8 INT8 {acc_c8 * 100:.2f}%, "
          f"FP32 {acc_fp * 100:.2f}%")
    ok = True
    if agree < 0.99:
        print("FAIL: top-1 agreement under 99%")
        ok = False
    if not d_ort.mean() < 0.5 * d_q.mean():
        print("FAIL: ORT differs from calib8 INT8 by more than half the INT8 error")
        ok = False
    if abs(acc_ort - acc_c8) > 0.005:
        print("FAIL: accuracies differ by more than 0.5 points")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
