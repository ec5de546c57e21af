"""The other direction of the fallback search, as an experiment (bench/ocr/paddleocr_rec.sh).

    rec_add_back.py CALIB8 MODEL CACHE LINES_DIR REPORT_JSON TARGET WORK

Starts from every layer in FP32 and puts the INT8 layers back one at a time, from the last in
engine order to the first, keeping each one in INT8 when the lines of LINES_DIR still decode to
FP32's strings on at least TARGET percent of them (`calib8 build --layer-precision '*:fp32,
NAME:int8,...'`, each plan run with `calib8 run`). The layers and their order are the sensitivity
section of REPORT_JSON (`calib8 build --max-drift ... --report DIR`). Prints every step and the
final --layer-precision spec (also written to WORK/add_back.spec). What it measures: how many
layers can run INT8 within the target when none is tried in the presence of all the others."""
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rec_measure import ctc_path  # noqa: E402 (beside this script; paddleocr_rec.sh sets ORT's path)

BATCH = 50


def run(c8, plan, x, work):
    got = []
    for i in range(0, len(x), BATCH):
        xin = os.path.join(work, "x.npy")
        np.save(xin, x[i:i + BATCH])
        od = os.path.join(work, "out")
        subprocess.run([c8, "run", "--plan", plan, "--input", "x=" + xin, "--output-dir", od],
                       check=True, stdout=subprocess.DEVNULL)
        files = [f for f in os.listdir(od) if f.endswith(".npy")]
        got.append(np.load(os.path.join(od, files[0])))
    return [ctc_path(s) for s in np.concatenate(got).argmax(-1)]


def build(c8, model, cache, spec, plan):
    """An INT8 plan with the spec, or (spec None) the FP32 plan."""
    cmd = [c8, "build", "--model", model, "--shape", "x:1..%dx3x48x320" % BATCH, "--plan", plan]
    cmd += ["--precision", "fp32"] if spec is None else [
        "--precision", "int8", "--calib", cache, "--layer-precision", spec]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main():
    c8, model, cache, lines_dir, report, target, work = sys.argv[1:8]
    target = float(target)
    os.makedirs(work, exist_ok=True)
    with open(lines_dir.rstrip("/") + ".txt", encoding="utf-8") as f:
        names = [ln.split("\t", 1)[0] for ln in f]
    x = np.stack([np.asarray(Image.open(os.path.join(lines_dir, n)).convert("RGB"), np.float32)
                  for n in names])
    x = ((x / 255.0 - 0.5) / 0.5).transpose(0, 3, 1, 2).astype(np.float32)
    with open(report, encoding="utf-8") as f:
        layers = [e["layer"] for e in (json.load(f).get("sensitivity") or {}).get("layers") or []]
    if not layers:
        sys.exit("%s: no sensitivity ranking (the search met its target with every layer in "
                 "INT8, so it ranked none)" % report)
    plan = os.path.join(work, "add_back.plan")
    build(c8, model, cache, None, plan)
    ref = run(c8, plan, x, work)
    kept = []
    t0 = time.time()
    for i, name in enumerate(reversed(layers)):
        spec = ",".join(["*:fp32"] + ["%s:int8" % k for k in kept + [name]])
        build(c8, model, cache, spec, plan)
        same = sum(a == b for a, b in zip(run(c8, plan, x, work), ref))
        ok = 100.0 * same >= target * len(ref)
        if ok:
            kept.append(name)
        print("  %2d: %-24s strings = FP32's %d/%d %s (INT8 layers: %d; %.0f s)" % (
            i + 1, name, same, len(ref), "kept in INT8" if ok else "back to FP32", len(kept),
            time.time() - t0), flush=True)
    spec = ",".join(["*:fp32"] + ["%s:int8" % k for k in kept])
    with open(os.path.join(work, "add_back.spec"), "w", encoding="utf-8") as f:
        f.write(spec + "\n")
    print("add-back: %d of %d layers in INT8 at >= %g%%: --layer-precision '%s'" % (
        len(kept), len(layers), target, spec))


if __name__ == "__main__":
    main()
