#!/usr/bin/env python3
"""PyTorch FP16 ResNet-50 peers for calib8's INT8 engine (issue 9), on the GPU machine: eager
and torch.compile, channels_last, inputs already on the GPU, throughput of back-to-back forwards
timed with CUDA events after warm-up. Random weights (models/make_resnet50.py's architecture).
With --fp32-eager also eager FP32 with TF32 off (cuDNN and matmul), NCHW, the peer of calib8's
FP32 plans (which keep TF32 off unless --tf32).
Usage: torch_peer.py --out FILE.json [--batches 1,256] [--compile-mode MODE] [--iters N]
                     [--fp32-eager]"""
import argparse
import importlib.util
import json
import time

import torch


def builder():
    spec = importlib.util.spec_from_file_location("m", "models/make_resnet50.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@torch.no_grad()
def throughput(model, batch, iters, warmup, fp32=False):
    x = torch.rand(batch, 3, 224, 224, device="cuda")
    if not fp32:
        x = x.half().contiguous(memory_format=torch.channels_last)
    for _ in range(warmup):
        model(x)
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    for _ in range(iters):
        model(x)
    e1.record()
    e1.synchronize()
    ms = e0.elapsed_time(e1) / iters
    return {"batch": batch, "images_per_s": batch * 1000.0 / ms, "ms_per_batch": ms}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--batches", default="1,256")
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--compile-mode", default="max-autotune-no-cudagraphs")
    ap.add_argument("--fp32-eager", action="store_true")
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    m = builder()
    batches = [int(b) for b in args.batches.split(",")]
    fp32 = []
    if args.fp32_eager:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        net32 = m.ResNet50().eval().cuda()
        for b in batches:
            fp32.append(throughput(net32, b, args.iters, args.warmup, fp32=True))
            print("eager fp32 (tf32 off) b%d: %.0f img/s" % (b, fp32[-1]["images_per_s"]), flush=True)
        del net32
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cuda.matmul.allow_tf32 = True
    net = m.ResNet50()
    net = net.eval().cuda().half().to(memory_format=torch.channels_last)
    res = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "eager": [],
           "compiled": [], "compile_mode": args.compile_mode}
    if args.fp32_eager:
        res["eager_fp32_tf32_off"] = fp32
    for b in batches:
        res["eager"].append(throughput(net, b, args.iters, args.warmup))
        print("eager fp16 b%d: %.0f img/s" % (b, res["eager"][-1]["images_per_s"]), flush=True)
    t0 = time.time()
    try:
        cnet = torch.compile(net, mode=args.compile_mode)
        for b in batches:
            res["compiled"].append(throughput(cnet, b, args.iters, args.warmup))
            print("compiled fp16 b%d: %.0f img/s" % (b, res["compiled"][-1]["images_per_s"]), flush=True)
    except Exception as e:  # report, do not hide
        res["compile_error"] = repr(e)[:500]
        print("torch.compile failed:", repr(e)[:300], flush=True)
    res["compile_seconds"] = time.time() - t0
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
