#!/usr/bin/python3
"""Independent check of `calib8 dataset convert` output: every STRIDE-th image of an IDX file
must appear as DIR/<k>-<name>/<i>.png with label k and exactly the IDX pixels.

PNGs are decoded twice: by a minimal pure-Python decoder (zlib + the five PNG filters; 8-bit
gray, non-interlaced: what calib8 writes) and, when installed, by PIL.
usage: check_pngs.py IMAGES.idx[.gz] LABELS.idx[.gz] DIR [STRIDE]; exit 0 when all match,
77 when they match but PIL is absent (its cross-check skipped: one "SKIP:" line), else non-zero."""
import gzip
import os
import struct
import sys
import zlib


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, path
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def png_gray8(path):
    with open(path, "rb") as f:
        b = f.read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, w = 8, b"", None
    while pos < len(b):
        n, typ = struct.unpack(">I4s", b[pos:pos + 8])
        body = b[pos + 8:pos + 8 + n]
        assert zlib.crc32(typ + body) == struct.unpack(">I", b[pos + 8 + n:pos + 12 + n])[0]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype == 0 and interlace == 0, (path, depth, ctype)
        elif typ == b"IDAT":
            idat += body
        elif typ == b"IEND":
            break
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(w)
    for y in range(h):
        ft, line = raw[y * (w + 1)], bytearray(raw[y * (w + 1) + 1:(y + 1) * (w + 1)])
        for x in range(w):
            a = line[x - 1] if x else 0
            c = prev[x - 1] if x else 0
            up = prev[x]
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + up) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + up) // 2) & 255
            elif ft == 4:
                p = a + up - c
                pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (up if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, b"".join(rows)


def main():
    images, labels, folder = sys.argv[1:4]
    stride = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    (n, h, w), pix = read_idx(images)
    (nl,), lab = read_idx(labels)
    assert n == nl
    try:
        from PIL import Image
    except ImportError:
        Image = None
    where = {}
    for d in sorted(os.listdir(folder)):
        full = os.path.join(folder, d)
        if not os.path.isdir(full):
            continue
        k = int(d.split("-", 1)[0])
        for fn in os.listdir(full):
            where[int(fn.split(".")[0])] = (k, os.path.join(full, fn))
    assert len(where) == n, (len(where), n)
    checked = 0
    for i in range(0, n, stride):
        k, path = where[i]
        assert k == lab[i], (path, k, lab[i])
        ww, hh, px = png_gray8(path)
        assert (ww, hh) == (w, h) and px == pix[i * h * w:(i + 1) * h * w], path
        if Image is not None:
            im = Image.open(path)
            assert im.mode == "L" and im.tobytes() == px, path
        checked += 1
    print("checked %d of %d images (PIL: %s)" % (checked, n, "yes" if Image else "no"))
    if Image is None:
        print("SKIP: check_pngs.py: PIL not importable, the cross-check through PIL did not run")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
