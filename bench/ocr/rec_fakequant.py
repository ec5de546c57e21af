"""Fake-quantization study of the PP-OCRv4 recognizer (issue 19, part 4): which quantization
costs the decoded strings? Runs, in ONNX Runtime with every graph optimization off (so that each
QuantizeLinear / DequantizeLinear pair is emulated in float32 and nothing is fused):

  - the FP32 model (the reference strings);
  - calib8's Q/DQ export (`calib8 export-qdq`: BatchNormalization folded, per-output-channel int8
    weights, per-tensor activation scales from calib8's cache), as written;
  - the same graph with only the weights quantized (every activation Q/DQ pair removed);
  - the same graph with the activation scales replaced: per-tensor absmax, per-channel absmax,
    and per-channel absmax capped at the cache's per-tensor threshold (scale * 127), the
    statistics taken over the calibration lines with the FP32 model (channel axis 1 of 4-D
    tensors, the last axis otherwise);

and counts the evaluation lines whose greedy CTC decoding (argmax, repeats collapsed, blank 0
removed, as class indices) equals FP32's.

    rec_fakequant.py upgrade FIXTURE.onnx REC13.onnx   (the opset-9 fixture as opset 13)
    calib8 export-qdq --model REC13.onnx --calib rec.cache --allow-cache-mismatch --out QDQ.onnx
    rec_fakequant.py REC13.onnx QDQ.onnx CALIB_DIR EVAL_DIR

export-qdq needs opset >= 13; the fixture is opset 9: `upgrade` rewrites its Clip, Squeeze and
Slice attributes as inputs and sets opset 13 (nothing else in it changes meaning between 9 and
13; both Softmax nodes reduce their last axis). The image folders are
bench/ocr/render_lines.py's (48 x 320 RGB PNG), normalized as PaddleOCR does: (x/255 - 0.5)/0.5.
Needs onnx, numpy, PIL and onnxruntime (PYTHONPATH=.deps/ort). One thread; a few minutes."""
import glob
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from PIL import Image


def load(d):
    xs = []
    for f in sorted(glob.glob(d + "/*.png")):
        a = np.asarray(Image.open(f).convert("RGB"), np.float32) / 255.0
        xs.append(((a - 0.5) / 0.5).transpose(2, 0, 1)[None])
    return xs


def session(m):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def decode(p):
    out, prev = [], -1
    for t in p[0].argmax(-1):
        if t != prev and t != 0:
            out.append(int(t))
        prev = t
    return tuple(out)


def strings(m, xs):
    s = session(m)
    name = s.get_inputs()[0].name
    return [decode(s.run(None, {name: x})[0]) for x in xs]


def activation_quants(m):
    inits = {i.name for i in m.graph.initializer}
    return [n for n in m.graph.node if n.op_type == "QuantizeLinear" and n.input[0] not in inits]


def stats(fp32, names, xs):
    """Per-tensor and per-channel absmax of the named FP32 tensors over xs."""
    m = onnx.load_from_string(fp32.SerializeToString())
    have = {o.name for o in m.graph.output}
    for t in names:
        if t not in have:
            m.graph.output.append(helper.make_empty_tensor_value_info(t))
    s = session(m)
    outs = [o.name for o in s.get_outputs()]
    amax, cmax, axis = {}, {}, {}
    for x in xs:
        got = dict(zip(outs, s.run(None, {s.get_inputs()[0].name: x})))
        for t in names:
            v = np.abs(got[t])
            ax = 1 if v.ndim == 4 else v.ndim - 1
            axis[t] = ax
            c = v.max(axis=tuple(i for i in range(v.ndim) if i != ax))
            cmax[t] = np.maximum(cmax.get(t, c), c)
            amax[t] = max(amax.get(t, 0.0), float(v.max()))
    return amax, cmax, axis


def rescaled(qdq, kind, amax, cmax, axis):
    """qdq with its activation scales replaced ('tensor', 'channel' or 'channel_capped')."""
    m = onnx.load_from_string(qdq.SerializeToString())
    ini = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    extra = []
    for i, q in enumerate(activation_quants(m)):
        t = q.input[0]
        if kind == "tensor":
            sc, ax = np.array(max(amax[t], 1e-12) / 127.0, np.float32), None
        else:
            sc, ax = (np.maximum(cmax[t], 1e-12) / 127.0).astype(np.float32), axis[t]
            if kind == "channel_capped":
                sc = np.minimum(sc, np.float32(ini[q.input[1]]))
        zp = np.zeros(sc.shape, np.int8)
        sn, zn = "study_scale_%d" % i, "study_zero_%d" % i
        extra += [numpy_helper.from_array(sc, sn), numpy_helper.from_array(zp, zn)]
        for node in [q] + [d for d in m.graph.node
                           if d.op_type == "DequantizeLinear" and d.input[0] == q.output[0]]:
            node.input[1] = sn
            if len(node.input) > 2:
                node.input[2] = zn
            else:
                node.input.append(zn)
            del node.attribute[:]
            if ax is not None:
                node.attribute.append(helper.make_attribute("axis", ax))
    m.graph.initializer.extend(extra)
    return m


def weights_only(qdq):
    """qdq without its activation Q/DQ pairs (each DQ's readers read the Q's input)."""
    m = onnx.load_from_string(qdq.SerializeToString())
    qs = {q.output[0]: q.input[0] for q in activation_quants(m)}
    rename, keep = {}, []
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear" and n.output[0] in qs:
            continue
        if n.op_type == "DequantizeLinear" and n.input[0] in qs:
            rename[n.output[0]] = qs[n.input[0]]
            continue
        keep.append(n)
    for n in keep:
        for i, x in enumerate(n.input):
            n.input[i] = rename.get(x, x)
    for o in m.graph.output:
        o.name = rename.get(o.name, o.name)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    return m


def upgrade(src, dst):
    """The recognizer fixture (opset 9) as opset 13: Clip's min / max, Squeeze's axes and Slice's
    starts / ends / axes attributes become constant inputs."""
    m = onnx.load(src)
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(arr, name))
        return name

    for k, n in enumerate(m.graph.node):
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        ins = None
        if n.op_type == "Clip":
            ins = [n.input[0], const("up_lo_%d" % k, np.array(a.get("min", -3.4e38), np.float32)),
                   const("up_hi_%d" % k, np.array(a.get("max", 3.4e38), np.float32))]
        elif n.op_type == "Squeeze":
            ins = [n.input[0], const("up_axes_%d" % k, np.array(a["axes"], np.int64))]
        elif n.op_type == "Slice":
            ins = [n.input[0], const("up_st_%d" % k, np.array(a["starts"], np.int64)),
                   const("up_en_%d" % k, np.array(a["ends"], np.int64))]
            if "axes" in a:
                ins.append(const("up_ax_%d" % k, np.array(a["axes"], np.int64)))
        nodes.append(helper.make_node(n.op_type, ins, list(n.output), name=n.name)
                     if ins is not None else n)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    m.graph.initializer.extend(inits)
    del m.opset_import[:]
    m.opset_import.extend([helper.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def main():
    if sys.argv[1] == "upgrade":
        upgrade(sys.argv[2], sys.argv[3])
        return
    fp32, qdq = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
    calib, ev = load(sys.argv[3]), load(sys.argv[4])
    ref = strings(fp32, ev)

    def report(label, m):
        got = strings(m, ev)
        same = sum(a == b for a, b in zip(got, ref))
        print("| %s | %d / %d (%.1f%%) |" % (label, same, len(ev), 100.0 * same / len(ev)),
              flush=True)

    names = sorted({q.input[0] for q in activation_quants(qdq)})
    amax, cmax, axis = stats(fp32, names, calib)
    print("%d activation Q/DQ pairs, %d calibration lines, %d evaluation lines\n"
          % (len(names), len(calib), len(ev)))
    print("| variant | strings equal to FP32's |\n| --- | ---: |")
    report("FP32 (the reference against itself)", fp32)
    report("calib8's export: int8 weights, per-tensor activation scales from the cache", qdq)
    report("int8 weights only (activation Q/DQ removed)", weights_only(qdq))
    report("activations per-tensor absmax", rescaled(qdq, "tensor", amax, cmax, axis))
    report("activations per-channel absmax", rescaled(qdq, "channel", amax, cmax, axis))
    report("activations per-channel absmax, capped at the cache's per-tensor threshold",
           rescaled(qdq, "channel_capped", amax, cmax, axis))


if __name__ == "__main__":
    main()
