"""How much one INT8 quantization of each activation costs (bench/ocr/paddleocr_rec.sh).

    rec_tensor_sqnr.py CACHE DUMP_DIR [ROWS]

CACHE is a TensorRT-format calibration cache (calib8 calibrate: 'name: hex float32 scale'
lines), DUMP_DIR a `calib8 run --dump-all` folder of FP32 tensors (tensors.json names the .npy
files). For every tensor with a scale, quantizes it as an INT8 plan does (symmetric, round to
nearest, [-127, 127] times the cache's scale) and prints its SQNR (10 log10 of signal power over
error power), beside what an absmax scale per channel (axis 1 of an N x C x H x W tensor) would
give and how unequal the channels' ranges are (largest channel absmax over the median one).
The worst ROWS tensors (default 12) first: per-tensor scales on tensors whose channels differ
by an order of magnitude quantize the small channels with a few levels."""
import json
import os
import struct
import sys

import numpy as np


def sqnr(a, q):
    e = ((a - q) ** 2).sum()
    return float("inf") if e == 0 else 10.0 * np.log10((a ** 2).sum() / e)


def main():
    cache, dump = sys.argv[1:3]
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    scales = {}
    with open(cache, encoding="ascii") as f:
        for ln in f.read().splitlines()[1:]:
            name, hexv = ln.rsplit(": ", 1)
            scales[name] = struct.unpack(">f", bytes.fromhex(hexv))[0]
    with open(os.path.join(dump, "tensors.json"), encoding="utf-8") as f:
        files = json.load(f)
    out = []
    for name, s in scales.items():
        if name not in files or s <= 0:
            continue
        a = np.load(os.path.join(dump, files[name])).astype(np.float64)
        per_tensor = sqnr(a, np.clip(np.round(a / s), -127, 127) * s)
        if a.ndim != 4:
            out.append((per_tensor, None, None, name, a.shape))
            continue
        cmax = np.abs(a).max(axis=(0, 2, 3))
        cs = np.where(cmax > 0, cmax / 127.0, 1.0).reshape(1, -1, 1, 1)
        per_chan = sqnr(a, np.round(a / cs) * cs)
        spread = float(cmax.max() / max(np.median(cmax), 1e-30))
        out.append((per_tensor, per_chan, spread, name, a.shape))
    out.sort(key=lambda r: r[0])
    print("%d tensors with a scale in the cache; median per-tensor SQNR %.1f dB" % (
        len(out), float(np.median([r[0] for r in out]))))
    for t, c, sp, name, shape in out[:rows]:
        extra = "" if c is None else ", per-channel absmax %.1f dB, channel range spread %.1fx" % (c, sp)
        print("  %-24s %-18s per-tensor %.1f dB%s" % (name, "x".join(map(str, shape)), t, extra))


if __name__ == "__main__":
    main()
