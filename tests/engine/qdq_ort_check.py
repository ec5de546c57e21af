"""Runs a calib8 Q/DQ export with ONNX Runtime and compares its logits with calib8's own INT8
engine on the same images (tests/engine/test_qdq_ort.sh drives it).

    qdq_ort_check.py MODEL.qdq.onnx X.npy Y.npy C8_INT8.npy C8_FP32.npy FP32_MODEL.onnx

ONNX Runtime is the independent reference, twice:

1. The Q/DQ graph as ONNX defines it (session.disable_quant_qdq = 1: ONNX Runtime runs every
   QuantizeLinear / DequantizeLinear and the float operators between them, fusing nothing): it
   agrees with calib8's integer pipeline up to the rare activation that lands within float error
   of a rounding boundary. Passes when
     - top-1 agrees on >= 99% of the images,
     - the mean |ORT - calib8 INT8| logit difference is under half the mean
       |calib8 INT8 - FP32| (the quantization error itself): a Q/DQ pair in the wrong place, a
       wrong scale, wrong weights or a wrong bias show up at the size of the quantization error,
     - ORT's top-1 accuracy is within 0.5 points of calib8 INT8's.
2. The deployed form (ONNX Runtime's default optimizations): the export must be what ONNX Runtime
   fuses, so its profile must show int8 convolutions (QLinearConv) and no BatchNormalization may
   be left in the file where the FP32 model had one (folded into the convolutions). On a CPU with
   VNNI (avx512_vnni / avx_vnni), ONNX Runtime's int8 kernels sum exactly and the same three
   criteria apply. Without VNNI they are not applied, and the agreement is printed: ONNX
   Runtime's x86 int8 kernels then multiply u8 x s8 pairs into int16 (vpmaddubsw), which
   saturates, and lose accuracy on symmetric-int8 models, its own quantize_static models
   included (bench/results/qdq-export-ort-*.md).
Exit 0 pass, 1 fail."""
import glob
import json
import os
import sys

import numpy as np
import onnxruntime as ort


def run(model, x, fused, prof_prefix=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    if not fused:
        so.add_session_config_entry("session.disable_quant_qdq", "1")
    if prof_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = prof_prefix
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    out = np.concatenate([sess.run(None, {name: x[i:i + 100]})[0] for i in range(0, len(x), 100)])
    ops = {}
    if prof_prefix:
        with open(sess.end_profiling()) as f:
            for ev in json.load(f):
                op = ev.get("args", {}).get("op_name")
                if ev.get("cat") == "Node" and op and ev.get("name", "").endswith("_kernel_time"):
                    ops[op] = ops.get(op, 0) + 1
    return out.reshape(len(x), -1), ops


def criteria(label, out, c8, fp, y):
    d_ort = np.abs(out - c8)
    d_q = np.abs(c8 - fp)
    agree = float((out.argmax(1) == c8.argmax(1)).mean())
    acc_ort = float((out.argmax(1) == y).mean())
    acc_c8 = float((c8.argmax(1) == y).mean())
    print(f"  {label}: |ORT - calib8 INT8| logits mean {d_ort.mean():.5f} max {d_ort.max():.5f}"
          f" (|calib8 INT8 - FP32| mean {d_q.mean():.5f}); top-1 agreement {agree * 100:.2f}%;"
          f" accuracy ORT {acc_ort * 100:.2f}%, calib8 INT8 {acc_c8 * 100:.2f}%")
    fails = []
    if agree < 0.99:
        fails.append("top-1 agreement under 99%")
    if not d_ort.mean() < 0.5 * d_q.mean():
        fails.append("ORT differs from calib8 INT8 by more than half the INT8 error")
    if abs(acc_ort - acc_c8) > 0.005:
        fails.append("accuracies differ by more than 0.5 points")
    return [f"{label}: {m}" for m in fails]


def cpu_has_vnni():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read().split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


# A node's op_type is field 4 of NodeProto (tag 0x22), length-prefixed: these bytes occur only
# where a node is a BatchNormalization (tensor names such as ".../BatchNormalization_output_0"
# are prefixed by their own lengths).
BN_OP = b"\x22\x12BatchNormalization"


def main():
    model, xf, yf, c8f, fpf, fp_model = sys.argv[1:7]
    x = np.load(xf)
    y = np.load(yf).astype(np.int64).reshape(-1)
    c8 = np.load(c8f).reshape(len(x), -1)
    fp = np.load(fpf).reshape(len(x), -1)
    print(f"onnxruntime {ort.__version__} on {model}, {len(x)} images")
    fails = []
    ref, _ = run(model, x, fused=False)
    fails += criteria("Q/DQ as defined (no fusion)", ref, c8, fp, y)
    prefix = os.path.join(os.path.dirname(os.path.abspath(model)), "ort_profile")
    fused, ops = run(model, x, fused=True, prof_prefix=prefix)
    for p in glob.glob(prefix + "*.json"):
        os.remove(p)
    print(f"  ONNX Runtime's kernels (fused): " +
          ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    if not ops.get("QLinearConv"):
        fails.append("ONNX Runtime fused no convolution into QLinearConv")
    with open(fp_model, "rb") as f:
        bn_before = f.read().count(BN_OP)
    with open(model, "rb") as f:
        bn_after = f.read().count(BN_OP)
    print(f"  BatchNormalization nodes: {bn_before} in the FP32 model, {bn_after} in the export")
    if bn_before and bn_after:
        fails.append(f"{bn_after} BatchNormalization node(s) left in the export")
    if cpu_has_vnni():
        fails += criteria("fused (VNNI)", fused, c8, fp, y)
    else:
        agree = float((fused.argmax(1) == c8.argmax(1)).mean())
        acc = float((fused.argmax(1) == y).mean())
        print(f"  fused, not checked (no VNNI: ONNX Runtime's int8 kernels saturate): top-1 "
              f"agreement {agree * 100:.2f}%, accuracy {acc * 100:.2f}%")
    for m in fails:
        print("FAIL:", m)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
