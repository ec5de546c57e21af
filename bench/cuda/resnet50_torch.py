#!/usr/bin/env python3
"""PyTorch eager ResNet-50 on the GPU, the peer of `calib8 bench` in bench/cuda/resnet50.sh.

Same architecture as models/make_resnet50.py (random weights), same batch sizes, measured in the
same run on the same GPU: FP32 with TF32 off (as calib8's FP32 engine) and FP16 with
channels_last. Two numbers per case:
  device  inputs already on the GPU; throughput = batch * iterations / (time of a loop of
          back-to-back forwards, CUDA events), latency = per forward (events, synchronized)
  e2e     as calib8 bench measures: float32 input copied from pinned host memory, forward,
          output copied back, synchronized, per iteration
Writes JSON (--out). Uses torch only; run with the GPU machine's python3.
"""
import argparse
import copy
import importlib.util
import json
import statistics
import sys

import torch


def load_builder(path):
    spec = importlib.util.spec_from_file_location("make_resnet50", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def pct(v, p):
    v = sorted(v)
    k = max(1, min(len(v), int(p / 100.0 * len(v) + 0.999999999)))
    return v[k - 1]


@torch.no_grad()
def run_case(model, batch, fp16, iters, warmup):
    dev = torch.device("cuda")
    dtype = torch.float16 if fp16 else torch.float32
    fmt = torch.channels_last if fp16 else torch.contiguous_format
    x = torch.rand(batch, 3, 224, 224, device=dev).mul_(2).sub_(1).to(dtype)
    x = x.contiguous(memory_format=fmt)
    for _ in range(warmup):
        model(x)
    torch.cuda.synchronize()
    # device-only latency: one forward between events
    lat = []
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(iters):
        e0.record()
        model(x)
        e1.record()
        e1.synchronize()
        lat.append(e0.elapsed_time(e1))
    # device-only throughput: back-to-back forwards
    e0.record()
    for _ in range(iters):
        model(x)
    e1.record()
    e1.synchronize()
    thr = batch * iters / (e0.elapsed_time(e1) / 1000.0)
    # end to end: pinned float32 host input -> GPU (cast / layout there), output back to host
    xh = torch.rand(batch, 3, 224, 224).mul_(2).sub_(1).pin_memory()
    xd = torch.empty(batch, 3, 224, 224, device=dev)
    lat_e2e = []
    for i in range(warmup + iters):
        e0.record()
        xd.copy_(xh, non_blocking=True)
        y = model(xd.to(dtype).contiguous(memory_format=fmt))
        yh = y.float().cpu()
        e1.record()
        e1.synchronize()
        if i >= warmup:
            lat_e2e.append(e0.elapsed_time(e1))
    del yh
    return {
        "batch": batch,
        "precision": "fp16" if fp16 else "fp32",
        "device_images_per_s": thr,
        "device_latency_median_ms": statistics.median(lat),
        "device_latency_p99_ms": pct(lat, 99),
        "e2e_images_per_s": batch * 1000.0 / statistics.mean(lat_e2e),
        "e2e_latency_median_ms": statistics.median(lat_e2e),
        "e2e_latency_p99_ms": pct(lat_e2e, 99),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--script", default="models/make_resnet50.py")
    ap.add_argument("--batches", default="1,8,64,256")
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    mod = load_builder(args.script)
    m32 = mod.build("plain").eval().cuda()
    m16 = copy.deepcopy(m32).half().to(memory_format=torch.channels_last)
    res = []
    for b in [int(v) for v in args.batches.split(",")]:
        for fp16, m in ((False, m32), (True, m16)):
            r = run_case(m, b, fp16, args.iters, args.warmup)
            print(f"torch eager {r['precision']} batch {b}: device {r['device_images_per_s']:.1f} "
                  f"img/s (median {r['device_latency_median_ms']:.3f} ms), e2e "
                  f"{r['e2e_images_per_s']:.1f} img/s (median {r['e2e_latency_median_ms']:.3f} ms)",
                  flush=True)
            res.append(r)
    info = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "device": torch.cuda.get_device_name(0),
        "tf32": False,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "iterations": args.iters,
        "warmup": args.warmup,
        "results": res,
    }
    with open(args.out, "w") as f:
        json.dump(info, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
