"""Measures calib8's PP-OCRv4 recognizer engines on rendered text lines (bench/ocr/paddleocr_rec.sh).

    rec_measure.py CALIB8 MODEL LINES_DIR WORK [--dict KEYS.txt] PLAN:LABEL ...

Stacks the lines of LINES_DIR (render_lines.py, with LINES_DIR.txt holding the strings) into
batches, preprocesses them as PaddleOCR does ((x/255 - 0.5) / 0.5, RGB, NCHW), runs ONNX Runtime
(CPU provider) and every calib8 plan (`calib8 run --plan`), and prints per plan: the max-norm
relative error against ONNX Runtime (max |c8 - ort| / max |ort| per line; the worst line), the
lines whose CTC-decoded index sequence (greedy, blank 0, repeats merged) equals ONNX Runtime's
and the first plan's (and the share of time steps with the first plan's argmax), and, with the
dictionary, the lines whose decoded string equals the rendered one. First it prints how many
lines ONNX Runtime's FP32 output itself reads with a small string margin (see string_margin):
those are the lines any quantization noise can flip. Output is Markdown-friendly text."""
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

BATCH = 50


def ctc(scores):
    """Greedy CTC decode of (T, C) scores: argmax per step, repeats merged, blank 0 dropped."""
    return ctc_path(scores.argmax(-1))


def ctc_path(best):
    """The string of one class per time step: repeats merged, blank 0 dropped."""
    out, prev = [], -1
    for k in best:
        if k != prev and k != 0:
            out.append(int(k))
        prev = k
    return tuple(out)


def string_margin(scores):
    """The smallest top-1 minus top-2 probability over the time steps of one line's (T, C) scores
    at which taking the runner-up instead of the argmax changes the decoded string (1.0 when no
    step can): how close FP32 itself is to reading the line differently."""
    best = scores.argmax(-1)
    base = ctc_path(best)
    order = np.argsort(-scores, -1)[:, :2]
    m = 1.0
    for t in range(len(best)):
        gap = float(scores[t, order[t, 0]] - scores[t, order[t, 1]])
        if gap < m:
            alt = best.copy()
            alt[t] = order[t, 1]
            if ctc_path(alt) != base:
                m = gap
    return m


def main():
    c8, model, lines_dir, work = sys.argv[1:5]
    rest = sys.argv[5:]
    chars = None
    if rest and rest[0] == "--dict":
        with open(rest[1], encoding="utf-8") as f:
            chars = [""] + f.read().rstrip("\n").split("\n") + [" "]
        rest = rest[2:]
    plans = [r.rsplit(":", 1) for r in rest]
    with open(lines_dir.rstrip("/") + ".txt", encoding="utf-8") as f:
        truth = [ln.rstrip("\n").split("\t", 1) for ln in f]
    x = np.stack([np.asarray(Image.open(os.path.join(lines_dir, n)).convert("RGB"), np.float32)
                  for n, _ in truth])
    x = ((x / 255.0 - 0.5) / 0.5).transpose(0, 3, 1, 2).astype(np.float32)
    n = len(truth)
    os.makedirs(work, exist_ok=True)
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    ref = np.concatenate([sess.run(None, {name: x[i:i + BATCH]})[0] for i in range(0, n, BATCH)])
    outs = {}
    for plan, label in plans:
        got = []
        for i in range(0, n, BATCH):
            xin = os.path.join(work, "x.npy")
            np.save(xin, x[i:i + BATCH])
            od = os.path.join(work, "out")
            subprocess.run([c8, "run", "--plan", plan, "--input", "%s=%s" % (name, xin),
                            "--output-dir", od], check=True, stdout=subprocess.DEVNULL)
            files = [f for f in os.listdir(od) if f.endswith(".npy")]
            got.append(np.load(os.path.join(od, files[0])))
        outs[label] = np.concatenate(got)
    ref_seq = [ctc(r) for r in ref]
    first = None
    print("lines: %d (%s)" % (n, lines_dir))
    margins = np.array([string_margin(r) for r in ref])
    print("ONNX Runtime FP32 string margin (top-1 - top-2 probability at the closest time step "
          "whose runner-up changes the string): lines below " +
          ", ".join("%g: %d" % (t, int((margins < t).sum())) for t in (0.02, 0.05, 0.1, 0.2)))

    def acc(seqs):
        return sum("".join(chars[k] for k in s) == t for s, (_, t) in zip(seqs, truth))

    if chars:
        print("ONNX Runtime: %d/%d lines read exactly (%.2f%%)" % (acc(ref_seq), n,
                                                                100.0 * acc(ref_seq) / n))
    for _, label in plans:
        o = outs[label].astype(np.float64)
        rel = [np.abs(o[i] - ref[i]).max() / np.abs(ref[i]).max() for i in range(n)]
        seq = [ctc(r) for r in outs[label]]
        same_ort = sum(a == b for a, b in zip(seq, ref_seq))
        line = "%s: max rel error vs ORT %.3g (median line %.3g); strings == ORT's %d/%d (%.2f%%)" % (
            label, max(rel), float(np.median(rel)), same_ort, n, 100.0 * same_ort / n)
        if first is None:
            first = (label, seq)
        else:
            same = sum(a == b for a, b in zip(seq, first[1]))
            pos = float((outs[label].argmax(-1) == outs[first[0]].argmax(-1)).mean())
            line += "; strings == %s's %d/%d (%.2f%%), time steps %.2f%%" % (
                first[0], same, n, 100.0 * same / n, 100.0 * pos)
        if chars:
            line += "; read exactly %d/%d (%.2f%%)" % (acc(seq), n, 100.0 * acc(seq) / n)
        print(line)
        if chars and first[0] != label:
            bad = [i for i in range(n) if seq[i] != first[1][i]][:8]
            for i in bad:
                print("  %s: '%s' %s '%s', %s '%s'" % (
                    truth[i][0], truth[i][1], first[0], "".join(chars[k] for k in first[1][i]),
                    label, "".join(chars[k] for k in seq[i])))


if __name__ == "__main__":
    main()
