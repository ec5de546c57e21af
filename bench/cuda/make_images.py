#!/usr/bin/env python3
"""Writes N photo-like JPEG (or PNG) images of SIZE x SIZE for calibration benchmarks: smooth
random colour fields with noise and edges (so JPEG decoding does real work), seeded."""
import argparse
import os
import sys

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--channels", type=int, default=3, choices=(1, 3))
    ap.add_argument("--format", default="jpg", choices=("jpg", "png"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    s = args.size
    for i in range(args.n):
        base = rng.integers(0, 256, (6, 6, args.channels), dtype=np.uint8)
        mode = "RGB" if args.channels == 3 else "L"
        img = Image.fromarray(base.squeeze(-1) if args.channels == 1 else base, mode)
        img = img.resize((s, s), Image.BICUBIC)
        a = np.asarray(img).astype(np.int16)
        a = a + rng.integers(-12, 13, a.shape, dtype=np.int16)
        y0, x0 = rng.integers(0, s // 2, 2)
        a[y0:y0 + s // 3, x0:x0 + s // 3] //= 2  # an edge
        a = np.clip(a, 0, 255).astype(np.uint8)
        out = os.path.join(args.out, f"img{i:05d}.{args.format}")
        Image.fromarray(a, mode).save(out, quality=90) if args.format == "jpg" else \
            Image.fromarray(a, mode).save(out)
    print(f"wrote {args.n} {args.format} images of {s}x{s} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
