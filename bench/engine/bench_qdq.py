"""calib8's Q/DQ export against ONNX Runtime's own symmetric-int8 Q/DQ model of the same network,
both run by ONNX Runtime on the CPU (issue 18, part 6). bench/engine/bench_qdq.sh drives it.

    bench_qdq.py MODEL.onnx C8.qdq.onnx CALIB_X.npy TEST_X.npy TEST_Y.npy C8_INT8_LOGITS.npy \
        ITERS WORK_DIR

ONNX Runtime's model: onnxruntime.quantization.quant_pre_process (shape inference and ONNX
Runtime's graph optimizations, which fold BatchNormalization), then quantize_static with
QuantFormat.QDQ, int8 activations and weights, symmetric both (ActivationSymmetric,
WeightSymmetric), per-channel weights, MinMax calibration on CALIB_X: the format TensorRT
deploys. Both models run with one intra-op and one inter-op thread at batch 1 and 64 (ITERS
timed runs of each after 5 warm-up runs, interleaved, the same random input for both). Prints
one Markdown row per model and batch (images/s from the median and from the mean run), then the
speed ratio and each model's top-1 on TEST_X, fused and unfused (ONNX Runtime's x86 int8
kernels saturate without VNNI, which the unfused run shows), and calib8's export's top-1
agreement with calib8's own INT8 engine (C8_INT8_LOGITS)."""
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process


class Reader(CalibrationDataReader):
    def __init__(self, name, x):
        self.items = iter([{name: x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.items, None)


def session(path, fused=True):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    if not fused:  # every Q/DQ and float op run as ONNX defines them, nothing fused
        so.add_session_config_entry("session.disable_quant_qdq", "1")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def time_models(sessions, batch, iters):
    """Median and mean seconds per run of each session, the runs interleaved (a, b, a, b, ...)
    so that the other loads of a shared machine weigh on every model alike."""
    x = np.random.default_rng(1).standard_normal((batch, 1, 28, 28)).astype(np.float32)
    feeds = [{s.get_inputs()[0].name: x} for s in sessions]
    for _ in range(5):
        for s, f in zip(sessions, feeds):
            s.run(None, f)
    t = [[] for _ in sessions]
    for _ in range(iters):
        for k, (s, f) in enumerate(zip(sessions, feeds)):
            t0 = time.perf_counter()
            s.run(None, f)
            t[k].append(time.perf_counter() - t0)
    return [(float(np.median(v)), float(np.mean(v))) for v in t]


def logits(s, x):
    name = s.get_inputs()[0].name
    out = [s.run(None, {name: x[i:i + 100]})[0] for i in range(0, len(x), 100)]
    return np.concatenate(out).reshape(len(x), -1)


def main():
    model, c8_qdq, calib_x, test_x, test_y, c8_int8, iters, work = sys.argv[1:9]
    iters = int(iters)
    tag = os.path.basename(model).rsplit(".", 1)[0]
    pre = os.path.join(work, tag + ".pre.onnx")
    ort_qdq = os.path.join(work, tag + ".ort_s8.onnx")
    quant_pre_process(model, pre, skip_symbolic_shape=True)
    xc = np.load(calib_x)
    name = session(pre).get_inputs()[0].name
    quantize_static(pre, ort_qdq, Reader(name, xc), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    per_channel=True,
                    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})
    s_c8, s_ort = session(c8_qdq), session(ort_qdq)
    labels = ("calib8 export-qdq", "onnxruntime quantize_static s8")
    ratios = []
    for b in (1, 64):
        res = time_models((s_c8, s_ort), b, iters)
        for label, (med, mean) in zip(labels, res):
            print(f"| {tag} | {label} | {b} | {b / med:.1f} | {b / mean:.1f} | {med * 1e3:.4f} |")
        ratios.append((b, res[1][0] / res[0][0], res[1][1] / res[0][1]))
    for b, r_med, r_mean in ratios:
        print(f"{tag}: batch {b}: calib8's export at {r_med:.2f}x ONNX Runtime's own s8 Q/DQ "
              f"model's speed (medians; means {r_mean:.2f}x)")
    x, y = np.load(test_x), np.load(test_y).astype(np.int64).reshape(-1)
    c8 = np.load(c8_int8).reshape(len(x), -1)
    lc8, lort = logits(s_c8, x), logits(s_ort, x)
    print(f"{tag}: top-1 on {len(x)} test images: calib8 export in ORT "
          f"{(lc8.argmax(1) == y).mean() * 100:.2f}%, ORT's own s8 model "
          f"{(lort.argmax(1) == y).mean() * 100:.2f}%, calib8 INT8 engine "
          f"{(c8.argmax(1) == y).mean() * 100:.2f}%; export vs calib8 INT8 top-1 agreement "
          f"{(lc8.argmax(1) == c8.argmax(1)).mean() * 100:.2f}%")
    uc8, uort = logits(session(c8_qdq, False), x), logits(session(ort_qdq, False), x)
    print(f"{tag}: the same, Q/DQ unfused (session.disable_quant_qdq): calib8 export "
          f"{(uc8.argmax(1) == y).mean() * 100:.2f}%, ORT's own s8 model "
          f"{(uort.argmax(1) == y).mean() * 100:.2f}%; export vs calib8 INT8 top-1 agreement "
          f"{(uc8.argmax(1) == c8.argmax(1)).mean() * 100:.2f}%, mean |logit difference| "
          f"{np.abs(uc8 - c8).mean():.5f}")


if __name__ == "__main__":
    sys.exit(main())
