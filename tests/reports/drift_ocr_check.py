"""Issue 20 part 4, end to end (run by test_report_drift_ocr.sh).

1. PaddleOCR detector (../shared/fixtures, dynamic N x 3 x H x W pinned to 1 x 3 x 96 x 96), on 5
   images of text on white rendered here with PIL (no labels: a flat folder):
   - `calib8 eval` refuses it: exit 1, naming the output and its 1x1x96x96 dense-map shape;
   - `calib8 compare --precisions fp32,int8` (no labels) writes the per-tensor report and the drift
     of the map output: FP32 against itself SQNR inf, cosine 1, IoU 1, pixel agreement 100 %; INT8
     finite SQNR, IoU in [0, 1];
   - the INT8 numbers equal an independent recomputation: the same images preprocessed by
     `calib8 dataset export`, run one by one through `calib8 run` (FP32 model and an INT8 plan
     built with the same cache, both without graph passes, as compare's engines with
     --no-passes), and the metrics computed by NumPy in float64 (counts exactly, SQNR and cosine
     to 1e-9 relative: float64 sums in another order), at the default threshold 0.3 and at
     --map-threshold 0.5;
   - --ctc-blank on the detector (no sequence output) is a usage error (exit 2).
2. The bundled Fashion-MNIST CNN (models/fmnist_cnn.onnx) on 6 unlabeled gray images drawn
   here: compare prints and records the top-1 agreement with FP32 (recomputed likewise), the
   report says no labels were used, and eval refuses the unlabeled set (exit 1, pointing to
   compare); --map-threshold on it is a usage error.
3. tests/reports/data/tiny_seq.onnx (make_tiny_seq_model.py: a N x 64 x 5 softmax sequence,
   a N x 1 x 8 x 8 sigmoid map and an int64 output) on 6 unlabeled 8x8 images: compare --ctc-blank 0 reports both
   outputs, by kind, and the position agreement, the CTC-decoded string agreement and the map
   IoU equal NumPy's from `calib8 run` outputs; --output-kind generic reads both as generic.
Exit 0 when every check passed, 1 otherwise, 77 (skip) when a part could not run (the PaddleOCR
model or the bundled CNN absent; each prints a SKIP line) and nothing failed.
"""

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw

C8, SRC, SHARED, WORK = sys.argv[1:5]
DET = os.path.join(SHARED, "fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx")
CNN = os.path.join(SRC, "models/fmnist_cnn.onnx")
SEQ = os.path.join(SRC, "tests/reports/data/tiny_seq.onnx")
GRAY_PRE = ["--scale", "0.00392156862745098", "--channels", "gray"]
# PaddleOCR's detector preprocessing: RGB / 255, ImageNet mean and std (SOURCES.md)
DET_PRE = ["--scale", "0.00392156862745098", "--mean", "0.485,0.456,0.406",
           "--std", "0.229,0.224,0.225", "--channels", "rgb"]
CNN_PRE = ["--scale", "0.00392156862745098", "--mean", "0.2860", "--std", "0.3530",
           "--channels", "gray"]
SHAPE = ["--shape", "x:1x3x96x96"]
# float64 sums of the same values in another order (calib8: sequential; NumPy: pairwise)
REL_TOL = 1e-9

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, want_rc=0):
    p = subprocess.run([C8] + args, capture_output=True, text=True)
    if p.returncode != want_rc:
        print("command:", " ".join([C8] + args))
        print(p.stdout[-3000:], p.stderr[-3000:])
    return p


def close(got, want, what):
    ok = got == want or (math.isfinite(want) and abs(got - want) <= REL_TOL * max(1, abs(want)))
    check(ok, "%s: report %r, numpy %r" % (what, got, want))


def close_rel(got, want, what):
    """FP32's own scale (ref_rms, ref_max_abs): relative, however small the values are."""
    check(want > 0 and abs(got - want) <= 1e-9 * want,
          "%s: report %r, numpy %r" % (what, got, want))


def make_text_images(folder):
    """5 RGB 96x96 images: dark words and numbers on white, at different places."""
    os.makedirs(folder)
    words = ["calib8", "INT8 drift", "hello OCR", "2026-12-06", "PaddleOCR"]
    for i, w in enumerate(words):
        im = Image.new("RGB", (96, 96), "white")
        d = ImageDraw.Draw(im)
        d.text((4 + 3 * i, 12 + 9 * i), w, fill=(0, 0, 0))
        d.text((8, 70 - 4 * i), str(137 * (i + 1)), fill=(40, 30, 20))
        d.rectangle([60, 5, 90, 9 + i], fill=(90, 90, 90))
        im.save(os.path.join(folder, "%d.png" % i))


def make_gray_images(folder):
    """6 gray 28x28 images: filled shapes of different sizes, light on black like Fashion-MNIST."""
    os.makedirs(folder)
    for i in range(6):
        im = Image.new("L", (28, 28), 0)
        d = ImageDraw.Draw(im)
        if i % 2:
            d.ellipse([3 + i, 2, 24 - i, 26], fill=120 + 20 * i)
        else:
            d.rectangle([4, 3 + i, 23, 25 - i], fill=200 - 10 * i)
        im.save(os.path.join(folder, "%d.png" % i))


def outputs_by_run(model_args, x, name, out_dir):
    """Output `name` of `calib8 run` on each image of x (N, C, H, W), one at a time: (N, ...)."""
    outs = []
    for i in range(x.shape[0]):
        inp = os.path.join(out_dir, "in%d.npy" % i)
        np.save(inp, x[i:i + 1])
        d = os.path.join(out_dir, "out%d" % i)
        p = run(["run"] + model_args + ["--input", inp, "--output-dir", d])
        if p.returncode != 0:
            return None
        outs.append(np.load(os.path.join(d, name + ".npy")))
    return np.concatenate(outs)


def basic_metrics(ref, x):
    ref = ref.astype(np.float64).ravel()
    x = x.astype(np.float64).ravel()
    e2 = np.sum((ref - x) ** 2)
    sqnr = math.inf if e2 == 0 else 10 * math.log10(np.sum(ref * ref) / e2)
    cos = np.sum(ref * x) / math.sqrt(np.sum(ref * ref) * np.sum(x * x))
    return sqnr, cos, float(np.max(np.abs(ref - x)))


def metric(v):
    return math.inf if v == "inf" else (-math.inf if v == "-inf" else v)


def drift_entry(rep, prec, out=0):
    return rep["drift"]["outputs"][out]["precisions"][prec]


def detector():
    imgs = os.path.join(WORK, "text")
    make_text_images(imgs)
    cache = os.path.join(WORK, "det.cache")
    p = run(["calibrate", "--model", DET, "--data", imgs] + DET_PRE + SHAPE +
            ["--batch", "1", "--cache", cache, "--quiet"])
    check(p.returncode == 0, "calibrate the detector")
    if p.returncode:
        return
    # eval refuses a model whose output is not class scores, saying what it found
    p = run(["eval", "--model", DET, "--data", imgs] + DET_PRE + SHAPE, want_rc=1)
    check(p.returncode == 1, "eval on the detector exits 1")
    check("output 'sigmoid_0.tmp_0' is a 1x1x96x96 dense map, not class scores" in p.stderr and
          "calib8 compare" in p.stderr, "eval says what it found: %s" % p.stderr.strip())
    check("0.00%" not in p.stdout, "eval prints no accuracy")
    # labels do not make a detector a classifier: eval still refuses, and compare measures the
    # drift only, saying the labels were not used
    labels = os.path.join(WORK, "text_labels.txt")
    with open(labels, "w") as f:
        f.write("".join("%d.png %d\n" % (i, i % 2) for i in range(5)))
    p = run(["eval", "--model", DET, "--data", imgs, "--labels", labels] + DET_PRE + SHAPE,
            want_rc=1)
    check(p.returncode == 1 and "dense map, not class scores" in p.stderr,
          "eval refuses the detector with labels too")
    p = run(["compare", "--model", DET, "--calib", cache, "--data", imgs, "--labels", labels,
             "--precisions", "fp32,int8", "--layer-images", "0", "--quiet", "--report",
             os.path.join(WORK, "det_labeled")] + DET_PRE + SHAPE)
    check(p.returncode == 0, "compare on the detector with labels")
    if p.returncode == 0:
        with open(os.path.join(WORK, "det_labeled", "report.json"), "rb") as f:
            rep = json.loads(f.read().decode("utf-8"))
        check(rep["precisions"] == {} and rep["drift"]["labels"] is False and
              rep["settings"]["labels"].startswith("present, but output 0 is not class scores"),
              "... no top-1 against labels of a map: %s" % rep["settings"]["labels"])
    # --ctc-blank without a sequence output: usage error
    p = run(["compare", "--model", DET, "--calib", cache, "--data", imgs, "--ctc-blank", "0",
             "--report", os.path.join(WORK, "never")] + DET_PRE + SHAPE, want_rc=2)
    check(p.returncode == 2 and "no sequence output" in p.stderr,
          "compare --ctc-blank on the detector is a usage error")
    check(not os.path.exists(os.path.join(WORK, "never", "report.json")), "... and writes nothing")

    # the independent recomputation: exported inputs through calib8 run, FP32 and INT8
    xnpy = os.path.join(WORK, "det_x.npy")
    p = run(["dataset", "export", "--data", imgs, "--target", "3x96x96", "--out", xnpy] + DET_PRE)
    check(p.returncode == 0, "dataset export of the text images")
    plan = os.path.join(WORK, "det_int8.plan")
    p = run(["build", "--model", DET, "--precision", "int8", "--calib", cache, "--no-passes",
             "--plan", plan] + SHAPE)
    check(p.returncode == 0, "build the INT8 detector plan")
    if failures:
        return
    x = np.load(xnpy)
    os.makedirs(os.path.join(WORK, "r32"))
    os.makedirs(os.path.join(WORK, "r8"))
    m32 = outputs_by_run(["--model", DET, "--no-passes"] + SHAPE, x, "sigmoid_0.tmp_0",
                         os.path.join(WORK, "r32"))
    m8 = outputs_by_run(["--plan", plan], x, "sigmoid_0.tmp_0", os.path.join(WORK, "r8"))
    check(m32 is not None and m8 is not None, "calib8 run on every image")
    if m32 is None or m8 is None:
        return
    check(m32.shape == (5, 1, 96, 96), "FP32 map shape %s" % (m32.shape,))

    for thr, extra in ((0.3, []), (0.5, ["--map-threshold", "0.5"])):
        rep_dir = os.path.join(WORK, "det_report_%g" % thr)
        layer_images = "2" if thr == 0.3 else "0"
        p = run(["compare", "--model", DET, "--calib", cache, "--data", imgs,
                 "--precisions", "fp32,int8", "--no-passes", "--layer-images", layer_images,
                 "--no-sensitivity", "--batch", "1", "--quiet", "--report", rep_dir] +
                DET_PRE + SHAPE + extra)
        check(p.returncode == 0, "compare on the detector without labels (threshold %g)" % thr)
        if p.returncode:
            continue
        check("IoU@%g" % thr in p.stdout, "compare prints the map IoU at %g" % thr)
        with open(os.path.join(rep_dir, "report.json"), "rb") as f:
            rep = json.loads(f.read().decode("utf-8"))
        dr = rep["drift"]
        out = dr["outputs"][0]
        check(len(dr["outputs"]) == 1 and out["name"] == "sigmoid_0.tmp_0", "one output, named")
        check(out["kind"] == "map" and out["kind_source"] == "shape" and out["shape"] == [1, 96, 96],
              "the output is a 1x96x96 map by its shape")
        check(dr["labels"] is False and rep["precisions"] == {}, "no labels: no top-1 section")
        check(dr["map_threshold"] == thr and dr["images"] == 5, "threshold %g, 5 images" % thr)
        check(set(["sqnr_db", "cosine", "max_abs_diff", "map_iou", "pixel_agreement"]) ==
              set(out["measures"]), "measures listed: %s" % out["measures"])
        check("none" in rep["settings"]["labels"], "settings say no labels were used")
        f32 = drift_entry(rep, "fp32")
        check(f32["sqnr_db"] == "inf" and f32["cosine"] == 1 and f32["map_iou"] == 1 and
              f32["pixel_agreement"] == 100 and f32["max_abs_diff"] == 0,
              "FP32 against itself: SQNR inf, cosine 1, IoU 1, agreement 100 (%r)" % (f32,))
        i8 = drift_entry(rep, "int8")
        sqnr = metric(i8["sqnr_db"])
        check(math.isfinite(sqnr) and 0 <= i8["map_iou"] <= 1 and
              0 <= i8["pixel_agreement"] <= 100 and -1 <= i8["cosine"] <= 1,
              "INT8: finite SQNR %r, IoU %r in [0, 1]" % (sqnr, i8["map_iou"]))
        if thr == 0.3:
            check(len(rep["layers"]) > 100, "the per-tensor table is there (%d tensors)" %
                  len(rep["layers"]))
        # NumPy recomputation in float64; the threshold compared in float32, as DB does
        t = np.float32(thr)
        a, b = m32 > t, m8 > t
        inter, uni = int(np.sum(a & b)), int(np.sum(a | b))
        check(i8["map_intersection"] == inter and i8["map_union"] == uni,
              "IoU counts: report %d/%d, numpy %d/%d" %
              (i8["map_intersection"], i8["map_union"], inter, uni))
        check(i8["pixels_agree"] == int(np.sum(a == b)) and i8["pixels"] == a.size,
              "pixel agreement counts %d of %d" % (i8["pixels_agree"], i8["pixels"]))
        close(i8["map_iou"], inter / uni if uni else 1.0, "map IoU@%g" % thr)
        s, c, mx = basic_metrics(m32, m8)
        close(sqnr, s, "SQNR dB")
        close(i8["cosine"], c, "cosine")
        close(i8["max_abs_diff"], mx, "max abs diff")
        r64 = m32.astype(np.float64)
        close_rel(i8["ref_rms"], float(np.sqrt(np.mean(r64 * r64))), "FP32 map rms")
        close_rel(i8["ref_max_abs"], float(np.max(np.abs(r64))), "FP32 map max |x|")
        print("detector INT8 @%g: SQNR %.3f dB, cosine %.6f, max abs %.4f, IoU %.4f, "
              "pixel agreement %.2f%%" % (thr, sqnr, i8["cosine"], i8["max_abs_diff"],
                                           i8["map_iou"], i8["pixel_agreement"]))


def classifier():
    if not os.path.exists(CNN):
        print("SKIP: %s missing: the classifier part did not run" % CNN)
        return False
    imgs = os.path.join(WORK, "gray")
    make_gray_images(imgs)
    cache = os.path.join(WORK, "cnn.cache")
    p = run(["calibrate", "--model", CNN, "--data", imgs, "--cache", cache, "--quiet"] + CNN_PRE)
    check(p.returncode == 0, "calibrate the CNN on unlabeled images")
    if p.returncode:
        return True
    p = run(["eval", "--model", CNN, "--data", imgs] + CNN_PRE, want_rc=1)
    check(p.returncode == 1 and "no labels" in p.stderr and "calib8 compare" in p.stderr,
          "eval of a classifier without labels: exit 1, pointing to compare")
    p = run(["compare", "--model", CNN, "--calib", cache, "--data", imgs, "--map-threshold", "0.5",
             "--report", os.path.join(WORK, "never2")] + CNN_PRE, want_rc=2)
    check(p.returncode == 2 and "no dense-map output" in p.stderr,
          "compare --map-threshold on a classifier is a usage error")
    rep_dir = os.path.join(WORK, "cnn_report")
    p = run(["compare", "--model", CNN, "--calib", cache, "--data", imgs, "--precisions",
             "fp32,int8", "--no-passes", "--layer-images", "2", "--quiet", "--report", rep_dir] +
            CNN_PRE)
    check(p.returncode == 0, "compare on the CNN without labels")
    if p.returncode:
        return True
    check("top-1 agreement" in p.stdout, "compare prints the top-1 agreement")
    with open(os.path.join(rep_dir, "report.json"), "rb") as f:
        rep = json.loads(f.read().decode("utf-8"))
    out = rep["drift"]["outputs"][0]
    check(out["kind"] == "classes" and out["shape"] == [10], "the output is 10 class scores")
    check(rep["precisions"] == {} and rep["drift"]["labels"] is False, "no labels: no top-1")
    sens = rep["sensitivity"]
    check(sens is not None and sens["fp32_top1"] is None, "sensitivity: no top-1 without labels")
    i8 = drift_entry(rep, "int8")
    # recompute with calib8 run on the exported images
    xnpy = os.path.join(WORK, "cnn_x.npy")
    plan = os.path.join(WORK, "cnn_int8.plan")
    ok = run(["dataset", "export", "--data", imgs, "--target", "1x28x28", "--out", xnpy] +
             CNN_PRE).returncode == 0
    ok = ok and run(["build", "--model", CNN, "--precision", "int8", "--calib", cache,
                     "--no-passes", "--plan", plan]).returncode == 0
    check(ok, "export and build the INT8 CNN plan")
    if not ok:
        return True
    x = np.load(xnpy)
    outs = {}
    for tag, args in (("r32c", ["--model", CNN, "--no-passes"]), ("r8c", ["--plan", plan])):
        d = os.path.join(WORK, tag)
        p = run(["run"] + args + ["--input", xnpy, "--output-dir", d])
        check(p.returncode == 0, "calib8 run (%s)" % tag)
        if p.returncode:
            return True
        outs[tag] = np.load(os.path.join(d, out["name"] + ".npy")).reshape(x.shape[0], -1)
    agree = int(np.sum(np.argmax(outs["r32c"], 1) == np.argmax(outs["r8c"], 1)))
    check(i8["top1_agree"] == agree and i8["images"] == 6,
          "top-1 agreement: report %d, numpy %d of 6" % (i8["top1_agree"], agree))
    s, c, mx = basic_metrics(outs["r32c"], outs["r8c"])
    close(metric(i8["sqnr_db"]), s, "classifier SQNR dB")
    close(i8["max_abs_diff"], mx, "classifier max abs diff")
    r64 = outs["r32c"].astype(np.float64)
    close_rel(i8["ref_rms"], float(np.sqrt(np.mean(r64 * r64))), "classifier FP32 rms")
    close_rel(i8["ref_max_abs"], float(np.max(np.abs(r64))), "classifier FP32 max |x|")
    print("classifier INT8: SQNR %.3f dB, top-1 agreement %d/6" % (metric(i8["sqnr_db"]), agree))
    return True


def ctc(seq, blank):
    """Greedy CTC decoding of (T, C) scores: argmax, adjacent repeats collapsed, blank dropped."""
    path = np.argmax(seq, 1)
    return [int(k) for i, k in enumerate(path) if k != blank and (i == 0 or k != path[i - 1])]


def sequence():
    imgs = os.path.join(WORK, "gray8")
    os.makedirs(imgs)
    for i in range(6):
        im = Image.new("L", (8, 8), 0)
        d = ImageDraw.Draw(im)
        d.rectangle([i % 4, 1, 4 + i % 4, 3 + i % 3], fill=255 - 30 * i)
        d.point([(7 - i, 6), (i, 7)], fill=200)
        im.save(os.path.join(imgs, "%d.png" % i))
    cache = os.path.join(WORK, "seq.cache")
    p = run(["calibrate", "--model", SEQ, "--data", imgs, "--cache", cache, "--quiet"] + GRAY_PRE)
    check(p.returncode == 0, "calibrate the sequence model")
    rep_dir = os.path.join(WORK, "seq_report")
    p = run(["compare", "--model", SEQ, "--calib", cache, "--data", imgs, "--precisions",
             "fp32,int8", "--no-passes", "--ctc-blank", "0", "--layer-images", "2",
             "--no-sensitivity", "--quiet", "--report", rep_dir] + GRAY_PRE)
    check(p.returncode == 0, "compare --ctc-blank 0 on the sequence model")
    if p.returncode:
        return
    check("string agreement" in p.stdout, "compare prints the string agreement")
    with open(os.path.join(rep_dir, "report.json"), "rb") as f:
        rep = json.loads(f.read().decode("utf-8"))
    outs = rep["drift"]["outputs"]
    check([(o["name"], o["kind"], o["shape"]) for o in outs] ==
          [("seq", "sequence", [64, 5]), ("prob", "map", [1, 8, 8])],
          "both outputs, by kind: %s" % [(o["name"], o["kind"]) for o in outs])
    check(rep["drift"]["ctc_blank"] == 0 and "string_agreement" in outs[0]["measures"],
          "the blank and the string measure are recorded")
    check(rep["settings"].get("outputs not compared", "").startswith("'ids' (int64"),
          "the int64 output is left out and named: %r" % rep["settings"].get("outputs not compared"))
    f32 = drift_entry(rep, "fp32", 0)
    check(f32["string_agreement"] == 100 and f32["position_agreement"] == 100,
          "FP32 against itself: every position and string alike")
    # NumPy from calib8 run outputs on the exported images
    xnpy = os.path.join(WORK, "seq_x.npy")
    plan = os.path.join(WORK, "seq_int8.plan")
    ok = run(["dataset", "export", "--data", imgs, "--target", "1x8x8", "--out", xnpy] +
             GRAY_PRE).returncode == 0
    ok = ok and run(["build", "--model", SEQ, "--precision", "int8", "--calib", cache,
                     "--no-passes", "--plan", plan]).returncode == 0
    r = {}
    for tag, args in (("s32", ["--model", SEQ, "--no-passes"]), ("s8", ["--plan", plan])):
        d = os.path.join(WORK, tag)
        ok = ok and run(["run"] + args + ["--input", xnpy, "--output-dir", d]).returncode == 0
        if ok:
            r[tag] = (np.load(os.path.join(d, "seq.npy")), np.load(os.path.join(d, "prob.npy")))
    check(ok, "export, build and run the sequence model")
    if not ok:
        return
    (q32, m32), (q8, m8) = r["s32"], r["s8"]
    i8 = drift_entry(rep, "int8", 0)
    pos = int(np.sum(np.argmax(q32, 2) == np.argmax(q8, 2)))
    strings = sum(ctc(q32[i], 0) == ctc(q8[i], 0) for i in range(q32.shape[0]))
    check(i8["positions_agree"] == pos and i8["positions"] == q32.shape[0] * 64,
          "position agreement: report %d, numpy %d of %d" % (i8["positions_agree"], pos,
                                                             q32.shape[0] * 64))
    check(i8["strings_agree"] == strings,
          "string agreement: report %d, numpy %d of 6" % (i8["strings_agree"], strings))
    s, c, mx = basic_metrics(q32, q8)
    close(metric(i8["sqnr_db"]), s, "sequence SQNR dB")
    close(i8["cosine"], c, "sequence cosine")
    m8e = drift_entry(rep, "int8", 1)
    t = np.float32(0.3)
    a, b = m32 > t, m8 > t
    check(m8e["map_intersection"] == int(np.sum(a & b)) and
          m8e["map_union"] == int(np.sum(a | b)), "map IoU counts equal numpy's")
    print("sequence INT8: SQNR %.3f dB, position agreement %.2f%%, string agreement %d/6"
          % (metric(i8["sqnr_db"]), i8["position_agreement"], strings))
    # every output read as generic: the three basic measures only
    rep_dir = os.path.join(WORK, "seq_generic")
    p = run(["compare", "--model", SEQ, "--calib", cache, "--data", imgs, "--precisions",
             "fp32,int8", "--output-kind", "generic", "--layer-images", "0", "--quiet",
             "--report", rep_dir] + GRAY_PRE)
    check(p.returncode == 0, "compare --output-kind generic")
    if p.returncode == 0:
        with open(os.path.join(rep_dir, "report.json"), "rb") as f:
            outs = json.loads(f.read().decode("utf-8"))["drift"]["outputs"]
        check(all(o["kind"] == "generic" and o["kind_source"] == "option" and
                  o["measures"] == ["sqnr_db", "cosine", "max_abs_diff"] for o in outs),
              "--output-kind generic: both outputs generic, three measures")
    p = run(["compare", "--model", SEQ, "--calib", cache, "--data", imgs, "--output-kind",
             "generic", "--ctc-blank", "0", "--report", rep_dir] + GRAY_PRE, want_rc=2)
    check(p.returncode == 2 and "no sequence output" in p.stderr,
          "--ctc-blank with every output generic is a usage error")


def main():
    if os.path.exists(WORK):
        shutil.rmtree(WORK)  # our own work folder from an earlier run
    os.makedirs(WORK)
    skipped = False
    if os.path.exists(DET):
        detector()
    else:
        print("SKIP: %s missing (the PaddleOCR fixture lives in ../shared beside the checkout, "
              "or in C8_SHARED_DIR)" % DET)
        skipped = True
    skipped |= not classifier()
    sequence()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 77 if skipped else 0


sys.exit(main())
