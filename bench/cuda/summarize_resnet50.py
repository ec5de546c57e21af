#!/usr/bin/env python3
"""Collects the results of bench/cuda/resnet50.sh (calib8 bench JSONs, the PyTorch JSON, the
calibrate logs and ONNX Runtime's timing) into one Markdown table and one JSON file."""
import argparse
import datetime
import json
import os
import re
import sys


def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def calib_split(path):
    """The 'time:' line calib8 calibrate prints."""
    try:
        text = open(path).read()
    except OSError:
        return None
    m = re.search(r"time: ([\d.]+) s total; inference ([\d.]+) s, histograms ([\d.]+) s, "
                  r"threshold search ([\d.]+) s, waiting for data ([\d.]+) s", text)
    w = re.search(r"wall ([\d.]+)", text)
    if not m:
        return None
    r = dict(zip(("total", "inference", "histograms", "threshold_search", "waiting_for_data"),
                 map(float, m.groups())))
    if w:
        r["wall_process"] = float(w.group(1))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True, help="output stem (.md and .json are added)")
    a = ap.parse_args()
    W = a.work
    c8 = {k: load(os.path.join(W, f"c8_{k}.json")) for k in ("fp32", "fp16", "fp16_ctx2")}
    th = load(os.path.join(W, "torch.json")) or {}
    ort = load(os.path.join(W, "ort.json"))
    cal500 = calib_split(os.path.join(W, "calib500.log"))
    cal64 = calib_split(os.path.join(W, "calib64.log"))
    dev = (c8["fp16"] or c8["fp32"] or {}).get("device", {})
    date = datetime.date.today().isoformat()
    lines = [f"# ResNet-50 on {dev.get('name', '?')}, {date}", ""]
    lines.append(f"calib8 {((c8['fp16'] or {}).get('calib8_version', '?'))}; driver "
                 f"{dev.get('driver_version')}, runtime {dev.get('runtime_version')}, cuDNN "
                 f"{dev.get('cudnn_version')}, cuBLAS {dev.get('cublas_version')}; SM clock "
                 f"{dev.get('sm_clock_mhz')} MHz (peak attribute); PyTorch {th.get('torch')} "
                 f"(cuDNN {th.get('cudnn')}), TF32 off for FP32 on both.")
    lines.append("")
    lines.append("Throughput in images/s; latency median ms. calib8: end to end per run (upload "
                 "float32 input, forward, download), 1 context unless noted. PyTorch eager: "
                 "device-only (input already on the GPU, back-to-back forwards) and end to end "
                 "(pinned host input, forward, output to host).")
    lines.append("")
    lines.append("| precision | batch | calib8 img/s | calib8 median ms | torch device img/s | "
                 "torch e2e img/s | calib8 / torch device | calib8 / torch e2e |")
    lines.append("|---|---|---|---|---|---|---|---|")
    tres = {(r["precision"], r["batch"]): r for r in th.get("results", [])}
    summary = []
    for prec in ("fp32", "fp16"):
        for r in (c8[prec] or {}).get("results", []):
            t = tres.get((prec, r["batch"]), {})
            td, te = t.get("device_images_per_s"), t.get("e2e_images_per_s")
            row = {"precision": prec, "batch": r["batch"], "calib8_img_s": r["images_per_s"],
                   "calib8_median_ms": r["latency_median_ms"],
                   "calib8_p99_ms": r["latency_p99_ms"], "torch_device_img_s": td,
                   "torch_e2e_img_s": te}
            summary.append(row)
            lines.append(f"| {prec} | {r['batch']} | {r['images_per_s']:.0f} | "
                         f"{r['latency_median_ms']:.3f} | {td or 0:.0f} | {te or 0:.0f} | "
                         f"{(r['images_per_s'] / td) if td else 0:.2f} | "
                         f"{(r['images_per_s'] / te) if te else 0:.2f} |")
    for r in (c8["fp16_ctx2"] or {}).get("results", []):
        t = tres.get(("fp16", r["batch"]), {})
        td = t.get("device_images_per_s")
        lines.append(f"| fp16, 2 contexts | {r['batch']} | {r['images_per_s']:.0f} | "
                     f"{r['latency_median_ms']:.3f} | {td or 0:.0f} | "
                     f"{t.get('e2e_images_per_s') or 0:.0f} | "
                     f"{(r['images_per_s'] / td) if td else 0:.2f} | |")
    lines.append("")
    lines.append("Calibration (entropy, JPEG 224x224 images, --preset imagenet, GPU):")
    lines.append("")
    lines.append("| run | images | total s | inference s | histograms s | threshold search s | "
                 "waiting for data s |")
    lines.append("|---|---|---|---|---|---|---|")
    for name, c, n in (("calib8 calibrate --device cuda", cal500, 500),
                       ("calib8 calibrate --device cuda", cal64, 64)):
        if c:
            lines.append(f"| {name} | {n} | {c['total']:.2f} | {c['inference']:.2f} | "
                         f"{c['histograms']:.2f} | {c['threshold_search']:.2f} | "
                         f"{c['waiting_for_data']:.2f} |")
    if ort:
        lines.append(f"| onnxruntime {ort['onnxruntime']} quantize_static Entropy ({ort['cpus']} "
                     f"CPUs) | {ort['images']} | {ort['seconds']:.2f} | | | | |")
    lines.append("")
    with open(a.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(a.out + ".json", "w") as f:
        json.dump({"date": date, "device": dev, "calib8": c8, "torch": th, "rows": summary,
                   "calibration": {"calib8_500": cal500, "calib8_64": cal64, "onnxruntime": ort}},
                  f, indent=1)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
