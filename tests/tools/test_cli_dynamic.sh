#!/usr/bin/env bash
# Dynamic H and W per image (issue 19 part 2): folders of PNGs of different sizes run inside an
# optimization profile with every image at its own size after preprocessing.
# Part 1, a tiny classifier with dynamic H and W (tests/tools/data/gap_cls_dyn.onnx; its argmax
# is the image's dominant colour, so accuracies are known by hand): eval gives the hand-worked
# 24 of 36 for --batch 1 and 4, and each size group alone (pinned --shape) gives its 6 of 9;
# compare's FP32 top-1 agrees; caches are byte-identical across --batch and order; an INT8 plan
# keeps profile and preprocessing (eval --plan); run under the profile equals run pinned at the
# hand-worked size.
# Part 2, the PP-OCRv4 detector (input x: N x 3 x H x W, all dynamic; in SHARED_DIR), with
# PaddleOCR's preprocessing (--resize max:S keeps the aspect ratio, --pad-to-multiple 32):
#   - calibrate: the cache is byte-identical for --batch 1 in a shuffled order and --batch 3 in
#     source order (images of one size batched together) on cpu-ref, likewise on cpu;
#   - run: the output for an image under the profile equals, bit for bit, a run of that image
#     alone with its size pinned by --shape (the size worked by hand);
#   - an image too large for the profile is refused, naming the file, its size and the profile;
#     a profile whose batch range does not start at 1 is refused before any work;
#   - the sidecar records the preprocessing line with the new key; compare measures the map at
#     each image's size.
#   test_cli_dynamic.sh CALIB8 SOURCE_DIR SHARED_DIR WORK_DIR
# Part 2 is skipped where SHARED_DIR lacks the detector (the test then exits 77, skipped, after
# part 1 passed).
set -u
c8=$1
src=$2
shared=$3
w=$4
needs_fmnist=0
# shellcheck source=cli_check.sh
. "$(dirname "$0")/cli_check.sh"
mkdir -p "$w/imgs" "$w/big" "$w/cls"
same() { # same DESCRIPTION FILE_A FILE_B
    if [ -s "$2" ] && cmp -s "$2" "$3"; then pass=$((pass + 1)); else
        echo "FAIL: $1: $2 and $3 differ (or are missing)"; fails=$((fails + 1)); fi
}

# ================================================================ part 1: the classifier
# 36 RGB PNGs in 3 class folders: each of the 4 sizes (H x W) 20x30, 40x40, 60x30 and 25x100
# has 3 images per class, two tinted with the class's colour channel and one with the next
# class's. With --resize max:48 --pad-to-multiple 8 the sizes become (by hand) 24x32, 40x40,
# 48x24 (60x30: 48 x floor(48 * 30 / 60)) and 16x48 (25x100: floor(48 * 25 / 100) = 12 -> 16);
# each size group also gets a folder of its own (g24x32, ...) with the same class folders.
python3 - "$w/cls" <<'EOF' || exit 1
import os, random, struct, sys, zlib
def png(path, h, w, seed, tint):
    r = random.Random(seed)
    px = [[[min(255, r.randint(0, 120) + tint[c]) for c in range(3)] for _ in range(w)]
          for _ in range(h)]
    raw = b"".join(b"\0" + bytes(v for p in row for v in p) for row in px)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)
w = sys.argv[1]
sizes = {"24x32": (20, 30), "40x40": (40, 40), "48x24": (60, 30), "16x48": (25, 100)}
tints = [(120, 0, 0), (0, 120, 0), (0, 0, 120)]
k = 0
for g, (h, wd) in sizes.items():
    for c in range(3):
        for i in range(3):
            for root in (f"{w}/all", f"{w}/g{g}"):
                os.makedirs(f"{root}/c{c}", exist_ok=True)
                png(f"{root}/c{c}/{g}_{i}.png", h, wd, k, tints[c if i < 2 else (c + 1) % 3])
            k += 1
EOF
cm=$src/tests/tools/data/gap_cls_dyn.onnx
cprof=x:1..4x3x16..32..48x16..32..48
cpre=(--resize max:48 --pad-to-multiple 8 --scale 1/255 --channels rgb)
check 0 "eval, batch 1: 24 of 36 (by hand)" "top-1 66.67% (24/36)" -- \
    "$c8" eval --model "$cm" --shape "$cprof" --data "$w/cls/all" "${cpre[@]}" --batch 1 --quiet
check 0 "eval, batch 4: 24 of 36" "top-1 66.67% (24/36)" -- \
    "$c8" eval --model "$cm" --shape "$cprof" --data "$w/cls/all" "${cpre[@]}" --batch 4 --quiet
for g in 24x32 40x40 48x24 16x48; do
    check 0 "eval of the $g images alone, pinned: 6 of 9" "top-1 66.67% (6/9)" -- \
        "$c8" eval --model "$cm" --shape "x:1..4x3x$g" --data "$w/cls/g$g" "${cpre[@]}" --batch 4 \
        --quiet
done
ccal() { # ccal CACHE DEVICE [flags...]
    local cache=$1 dev=$2
    shift 2
    "$c8" calibrate --model "$cm" --shape "$cprof" --data "$w/cls/all" --images 0 "${cpre[@]}" \
        --device "$dev" --quiet --cache "$w/$cache" "$@"
}
check 0 "classifier: calibrate, batch 1 (cpu-ref)" "calibrated" -- ccal k1.cache cpu-ref --batch 1
check 0 "classifier: calibrate, batch 4 (cpu-ref)" "calibrated" -- ccal k4.cache cpu-ref --batch 4
check 0 "classifier: calibrate, batch 3, source order (cpu)" "calibrated" -- \
    ccal kc3.cache cpu --batch 3 --no-shuffle
check 0 "classifier: calibrate, batch 1 (cpu)" "calibrated" -- ccal kc1.cache cpu --batch 1
same "classifier cache: --batch 1 = --batch 4 (cpu-ref)" "$w/k1.cache" "$w/k4.cache"
same "classifier cache: shuffled batch 1 = source order batch 3 (cpu)" "$w/kc1.cache" "$w/kc3.cache"
check 0 "compare: FP32 top-1 as eval's" "fp32  top-1 66.67%" -- \
    "$c8" compare --model "$cm" --shape "$cprof" --data "$w/cls/all" "${cpre[@]}" --batch 4 \
    --calib "$w/k1.cache" --precisions fp32,int8 --layer-images 0 --report "$w/rep" --quiet
check 1 "compare: the per-layer sections refuse images of several sizes, naming two" \
    "hold their 36 images in memory at one size, but with dynamic H and W they differ: $w/cls/all/" -- \
    "$c8" compare --model "$cm" --shape "$cprof" --data "$w/cls/all" "${cpre[@]}" --batch 4 \
    --calib "$w/k1.cache" --precisions fp32,int8 --report "$w/rep2" --quiet
check 1 "compare: ... and say the ways out" "or pin H and W with --shape; compare: or --layer-images 0" -- \
    "$c8" compare --model "$cm" --shape "$cprof" --data "$w/cls/all" "${cpre[@]}" --batch 4 \
    --calib "$w/k1.cache" --precisions fp32,int8 --report "$w/rep2" --quiet
# images of one size (40x40) under the profile: the per-layer sections and the sensitivity run
# at that size, and the whole report equals the one with H and W pinned at 40x40
for s in "p $cprof" "f x:1..4x3x40x40"; do
    set -- $s
    check 0 "compare with layers, one image size ($2)" "wrote" -- \
        "$c8" compare --model "$cm" --shape "$2" --data "$w/cls/g40x40" "${cpre[@]}" --batch 4 \
        --calib "$w/k1.cache" --precisions fp32,int8 --report "$w/rep_$1" --quiet
done
check 0 "compare, one size: profile = pinned (layers, sensitivity, drift)" "same report" -- \
    python3 - "$w/rep_p/report.json" "$w/rep_f/report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["layer_images"] == 9 and len(a["layers"]) > 3 and a["sensitivity"], a["layer_images"]
assert a == b, [k for k in a if a[k] != b.get(k)]
print("same report")
PY
# build --max-drift's ranking step holds its images at one size too. A cache with every scale
# 40 times too small (saturated INT8: drift 33 points) makes the search rank the layers: on the
# 40x40 images under the profile its steps and ranking equal those with H and W pinned; on
# images of several sizes it is refused, naming two.
python3 - "$w/k1.cache" "$w/bad.cache" <<'PY' || exit 1
import struct, sys
lines = open(sys.argv[1]).read().splitlines()
out = [lines[0]]
for l in lines[1:]:
    name, h = l.rsplit(": ", 1)
    out.append(name + ": " + struct.pack(">f", struct.unpack(">f", bytes.fromhex(h))[0] / 40).hex())
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
fb=(build --model "$cm" --precision int8 --calib "$w/bad.cache" --max-drift 0 "${cpre[@]}" --batch 4
    --quiet)
for s in "p $cprof" "f x:1..4x3x40x40"; do
    set -- $s
    "$c8" "${fb[@]}" --shape "$2" --data "$w/cls/g40x40" --plan "$w/fb_$1.plan" >"$w/fb_$1.txt" 2>&1
    grep -E "^(  step|sensitivity|  /)" "$w/fb_$1.txt" >"$w/fb_$1.steps"
done
check 0 "build --max-drift, one size: the layers are ranked" "sensitivity on 9 images" -- cat "$w/fb_p.txt"
same "build --max-drift, one size: profile = pinned (steps, ranking)" "$w/fb_p.steps" "$w/fb_f.steps"
check 1 "build --max-drift: the ranking refuses images of several sizes" \
    "they differ: $w/cls/all/" -- "$c8" "${fb[@]}" --shape "$cprof" --data "$w/cls/all" --plan "$w/fb_x.plan"
# an INT8 plan keeps the profile and the preprocessing (new keys included): eval and run with
# no preprocessing flags take each image at its own size
check 0 "build an INT8 plan with the profile" "wrote" -- "$c8" build --model "$cm" \
    --shape "$cprof" --calib "$w/k1.cache" --precision int8 --plan "$w/k.plan"
check 0 "inspect --plan: the recorded preprocessing" \
    "preprocessing: resize=max:48 crop=none pad-to-multiple=8 channels=rgb" -- \
    "$c8" inspect --plan "$w/k.plan"
check 0 "eval --plan, recorded preprocessing: 24 of 36" "top-1 66.67% (24/36)" -- \
    "$c8" eval --plan "$w/k.plan" --data "$w/cls/all" --batch 3 --quiet
check 0 "run --plan: an image at its own size" "logits ->" -- \
    "$c8" run --plan "$w/k.plan" --input "$w/cls/all/c1/40x40_0.png" --output-dir "$w/kplan"
for c in "c0/16x48_0 16x48" "c2/48x24_1 48x24"; do
    set -- $c
    check 0 "classifier: run $1 under the profile" "" -- "$c8" run --model "$cm" --shape "$cprof" \
        "${cpre[@]}" --input "$w/cls/all/$1.png" --output-dir "$w/kp_${1#*/}"
    check 0 "classifier: run $1 pinned at 1x3x$2" "" -- "$c8" run --model "$cm" \
        --shape "x:1x3x$2" "${cpre[@]}" --input "$w/cls/all/$1.png" --output-dir "$w/kf_${1#*/}"
    same "classifier: run $1: profile = pinned $2" "$w/kp_${1#*/}/logits.npy" \
        "$w/kf_${1#*/}/logits.npy"
done

# ================================================================ part 2: the detector
m=$shared/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx
if [ ! -f "$m" ]; then
    echo "$pass passed, $fails failed (part 1)"
    echo "SKIP: part 2 (the detector): $m not found (the ../shared fixtures)"
    [ "$fails" -eq 0 ] && exit 77
    exit 1
fi

# PNGs (H x W) with dark strokes on a light ground, written with Python's standard library only.
# Sorted names: a0..a2 share a size (one batch of 3 with --batch 3 --no-shuffle).
python3 - "$w" <<'EOF' || exit 1
import random, struct, sys, zlib
def png(path, h, w, seed):
    r = random.Random(seed)
    px = [[[r.randint(170, 255)] * 3 for _ in range(w)] for _ in range(h)]
    for _ in range(8):
        y, x = r.randrange(h), r.randrange(w)
        for yy in range(y, min(h, y + r.randint(2, 8))):
            for xx in range(x, min(w, x + r.randint(5, 30))):
                px[yy][xx] = [r.randint(0, 60)] * 3
    raw = b"".join(b"\0" + bytes(v for p in row for v in p) for row in px)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)
w = sys.argv[1]
for i, (name, h, wd) in enumerate([("a0", 70, 100), ("a1", 70, 100), ("a2", 70, 100),
                                   ("b0", 64, 64), ("c0", 90, 150), ("d0", 40, 60),
                                   ("e0", 70, 100)]):
    png(f"{w}/imgs/{name}.png", h, wd, i)
png(f"{w}/big/z.png", 90, 150, 99)
EOF

prof=x:1..4x3x32..64..160x32..64..160
pre=(--resize max:160 --pad-to-multiple 32 --channels rgb --scale 1/255
    --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225)
cal() { # cal CACHE DEVICE [flags...]
    local cache=$1 dev=$2
    shift 2
    "$c8" calibrate --model "$m" --shape "$prof" --data "$w/imgs" --images 0 "${pre[@]}" \
        --device "$dev" --bins 256 --cache "$w/$cache" "$@" # (no --quiet: its opening line is checked)
}

# ---------------------------------------------------------------- calibrate
check 0 "calibrate, batch 1, shuffled (cpu-ref)" \
    "input x 3x32..160x32..160 (each image its own size)" -- cal r1.cache cpu-ref --batch 1
check 0 "calibrate, batch 3, source order (cpu-ref)" "calibrated" -- \
    cal r3.cache cpu-ref --batch 3 --no-shuffle
same "cache: shuffled --batch 1 = source order --batch 3 (cpu-ref)" "$w/r1.cache" "$w/r3.cache"
check 0 "calibrate, batch 1 (cpu)" "calibrated" -- cal c1.cache cpu --batch 1 --no-shuffle
check 0 "calibrate, batch 4 (cpu)" "calibrated" -- cal c4.cache cpu --batch 4 --seed 3
same "cache: --batch 1 = --batch 4, shuffled (cpu)" "$w/c1.cache" "$w/c4.cache"
check 0 "the sidecar records the preprocessing" \
    "resize=max:160 crop=none pad-to-multiple=32 channels=rgb" -- cat "$w/r1.cache.json"

# ---------------------------------------------------------------- run: own size = pinned size
# by hand: 70x100 stays (max:160), padded to 96x128; 90x150 -> 96x160
for c in "a0 96x128" "c0 96x160"; do
    set -- $c
    check 0 "run $1 under the profile" "" -- "$c8" run --model "$m" --shape "$prof" "${pre[@]}" \
        --input "$w/imgs/$1.png" --output-dir "$w/p_$1"
    check 0 "run $1 pinned at 1x3x$2" "" -- "$c8" run --model "$m" --shape "x:1x3x$2" "${pre[@]}" \
        --input "$w/imgs/$1.png" --output-dir "$w/f_$1"
    same "run $1: profile = pinned $2" "$w/p_$1/sigmoid_0.tmp_0.npy" "$w/f_$1/sigmoid_0.tmp_0.npy"
done

# ---------------------------------------------------------------- compare: maps of any size
check 0 "compare: the detector's map at each image's size" "IoU@0.3" -- \
    "$c8" compare --model "$m" --shape "$prof" --data "$w/imgs" "${pre[@]}" --images 4 --batch 3 \
    --precisions fp32,fp16 --layer-images 0 --report "$w/drep" --quiet
check 0 "compare: the report says the map sizes vary" "follow each image's size" -- \
    cat "$w/drep/report.json"

# ---------------------------------------------------------------- refused
small=x:1..4x3x32..64..128x32..64..128
check 1 "calibrate: an image too large for the profile" \
    "big/z.png: image is 96x160 after preprocessing (decoded 90x150), outside the profile's H 32..128, W 32..128" -- \
    "$c8" calibrate --model "$m" --shape "$small" --data "$w/big" "${pre[@]}" --quiet \
    --batch 4 --cache "$w/z.cache"
[ ! -e "$w/z.cache" ] && pass=$((pass + 1)) || { echo "FAIL: a refused calibration wrote a cache"; fails=$((fails + 1)); }
check 1 "run: an image too large for the profile" \
    "z.png: image is 96x160 after preprocessing (decoded 90x150), outside the profile's H 32..128, W 32..128 of input 'x'" -- \
    "$c8" run --model "$m" --shape "$small" "${pre[@]}" --input "$w/big/z.png" --output-dir "$w/z"
check 2 "a batch range above 1 with dynamic H and W" \
    "the profile's batch range starts at 2 (give --shape x:1..4x...)" -- \
    "$c8" calibrate --model "$m" --shape x:2..4x3x32..160x32..160 --data "$w/imgs" "${pre[@]}" \
    --quiet --cache "$w/y.cache"
check 2 "--pad-to-multiple: a bad value" "--pad-to-multiple: pad-to-multiple 'x' is not a size" -- \
    "$c8" calibrate --model "$m" --data "$w/imgs" --pad-to-multiple x --cache "$w/y.cache"

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
