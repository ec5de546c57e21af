"""A float64 evaluation of an ONNX model in numpy: the reference that float32 engines (calib8's
and ONNX Runtime's alike) are measured against where their own float32 rounding matters.

It covers the operators of the PP-OCRv4 recognizer (opset 9): enough to say, on an input whose
output sits on a near-tie, which of two float32 results is the closer one (ONNX Runtime runs no
Conv in float64, so it cannot be the float64 reference itself). Semantics from the ONNX operator
specification at the model's opset; every attribute the model uses is honoured, any other
operator or attribute raises instead of guessing.

    evaluate(model_path, {input_name: array}) -> list of float64 output arrays
"""
import numpy as np
import onnx
from onnx import helper, numpy_helper


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    g = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("Conv auto_pad")
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    # taps as a (n, c, kh, kw, oh, ow) view, then one contraction per group
    cols = np.empty((n, c, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw]
    mg = m // g
    y = np.empty((n, m, oh, ow))
    for gi in range(g):
        y[:, gi * mg:(gi + 1) * mg] = np.einsum(
            "nckluv,mckl->nmuv", cols[:, gi * cg:(gi + 1) * cg], w[gi * mg:(gi + 1) * mg],
            optimize=True)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def _avgpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if any(pads) or a.get("ceil_mode", 0):
        raise NotImplementedError("AveragePool with pads or ceil_mode")
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    acc = np.zeros((n, c, oh, ow))
    for i in range(kh):
        for j in range(kw):
            acc += x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    return acc / (kh * kw)


def _softmax9(x, axis):
    # opset < 13: the input is coerced to 2-D at axis and normalised over the second dimension
    axis = axis % x.ndim
    flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def _run(node, ins):
    op, a = node.op_type, _attrs(node)
    x = ins[0] if ins else None
    if op == "Constant":
        return numpy_helper.to_array(a["value"]).copy()
    if op == "Conv":
        return _conv(x, ins[1], ins[2] if len(ins) > 2 else None, a)
    if op == "BatchNormalization":
        sc, bi, mean, var = ins[1:5]
        inv = sc / np.sqrt(var + a.get("epsilon", 1e-5))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - mean.reshape(shape)) * inv.reshape(shape) + bi.reshape(shape)
    if op in ("Add", "Sub", "Mul", "Div", "Pow"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
             "Pow": np.power}[op]
        return f(x, ins[1])
    if op == "Clip":
        return np.clip(x, a.get("min", -np.inf), a.get("max", np.inf))
    if op == "Relu":
        return np.maximum(x, 0)
    if op == "Sigmoid":
        return 1 / (1 + np.exp(-x))
    if op == "HardSigmoid":
        return np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)
    if op == "Sqrt":
        return np.sqrt(x)
    if op == "GlobalAveragePool":
        return x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)
    if op == "AveragePool":
        return _avgpool(x, a)
    if op == "MatMul":
        return np.matmul(x, ins[1])
    if op == "Softmax":
        return _softmax9(x, a.get("axis", 1))
    if op == "ReduceMean":
        return x.mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
    if op == "Transpose":
        return np.transpose(x, a.get("perm"))
    if op == "Reshape":
        shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(ins[1])]
        return x.reshape(shape)
    if op == "Squeeze":
        return np.squeeze(x, axis=tuple(a["axes"]))
    if op == "Shape":
        return np.array(x.shape, np.int64)
    if op == "Cast":
        to = a["to"]
        if to == onnx.TensorProto.FLOAT:
            return x.astype(np.float64)
        return x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[to])
    if op == "Slice":
        out = x
        for ax, s, e in zip(a.get("axes", range(x.ndim)), a["starts"], a["ends"]):
            idx = [slice(None)] * x.ndim
            idx[ax] = slice(s, e)
            out = out[tuple(idx)]
        return out
    if op == "Concat":
        return np.concatenate(ins, axis=a["axis"])
    raise NotImplementedError("onnx_f64: operator %s" % op)


def evaluate(model_path, feeds):
    m = onnx.load(model_path)
    env = {}
    for t in m.graph.initializer:
        v = numpy_helper.to_array(t)
        env[t.name] = v.astype(np.float64) if v.dtype == np.float32 else v
    for k, v in feeds.items():
        env[k] = np.asarray(v, np.float64)
    for node in m.graph.node:
        ins = [env[i] if i else None for i in node.input]
        y = _run(node, ins)
        if isinstance(y, np.ndarray) and y.dtype == np.float32:
            y = y.astype(np.float64)
        env[node.output[0]] = y
    return [env[o.name] for o in m.graph.output]
