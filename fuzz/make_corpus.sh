#!/usr/bin/env bash
# Builds a seed corpus for one fuzz target from real files: the repository's test data,
# ../shared/fixtures, Debian's ONNX conformance models, and artifacts made by calib8 itself
# (plans, caches, sidecars, histogram files, converted datasets) on a few Fashion-MNIST images.
# The committed seeds (fuzz/corpus/<target>/) are a small selection of these; tools/fuzz.sh
# calls this script to add the rest at fuzz time.
#   fuzz/make_corpus.sh TARGET OUTDIR CALIB8_BINARY
# Missing sources (no ../shared, no Fashion-MNIST package) are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
out=$2
c8=$3
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shared=../shared
idx=/usr/share/datasets/fashion-mnist
onnxdata=/usr/share/libonnx-testdata/data/node

# copy SRC... : copies files under 64 KiB, named by content hash (as libFuzzer names them).
copy() {
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -le 65536 ] || continue
        cp "$f" "$out/$(sha1sum "$f" | cut -c1-40)"
    done
}

# A few calibration artifacts from the tiny test model on 16 Fashion-MNIST images.
make_artifacts() {
    [ -f "$idx/t10k-images-idx3-ubyte.gz" ] || return 0
    "$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
        --builtin-classes fashion-mnist --limit 16 --out "$work/d.h5" >/dev/null
    "$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
        --builtin-classes fashion-mnist --limit 16 --out "$work/d" >/dev/null
    local m=tests/reports/data/tiny_cls.onnx
    local pre=(--resize 8x8 --scale 1/255 --quiet --batch 4)
    for a in entropy minmax percentile; do
        local bins=128
        [ "$a" = entropy ] && bins=2048
        "$c8" calibrate --model "$m" --data "$work/d.h5" "${pre[@]}" --images 8 --algo "$a" \
            --bins $bins --cache "$work/$a.cache" --save-histograms "$work/$a.h5" >/dev/null
    done
    for p in fp32 fp16 int8; do
        local calib=()
        [ "$p" = int8 ] && calib=(--calib "$work/entropy.cache")
        "$c8" build --model "$m" --precision "$p" "${calib[@]}" --plan "$work/tiny.$p.plan" >/dev/null
        "$c8" build --model "$m" --precision "$p" "${calib[@]}" --no-passes \
            --plan "$work/tiny.$p.np.plan" >/dev/null
    done
    # tiny_cls has 6 classes: evaluate on a list of the images labelled below 6
    if [ -f "$work/d/classes.txt" ]; then
        (cd "$work/d" && find . -name '*.png' | sort | sed 's|^\./||' |
            awk -F/ '{ k = substr($1, 1, index($1, "-") - 1) + 0; if (k < 6) print $0, k }') \
            >"$work/d/list.txt"
        "$c8" eval --plan "$work/tiny.fp32.plan" --data "$work/d" --labels "$work/d/list.txt" \
            "${pre[@]}" --json "$work/eval.json" >/dev/null || true
    fi
    if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
        /usr/bin/python3 -c 'import numpy as np, sys; np.save(sys.argv[1], np.linspace(0, 1, 64, dtype=np.float32).reshape(1, 1, 8, 8))' "$work/x.npy"
        "$c8" run --model "$m" --input "$work/x.npy" --dump-all --output-dir "$work/run" >/dev/null
    fi
    for f in good_conv good_shape_subgraph good_init_as_input; do
        "$c8" build --model "tests/engine/data/$f.onnx" --plan "$work/$f.plan" >/dev/null 2>&1 || true
    done
}

case "$target" in
onnx)
    copy tests/engine/data/*.onnx tests/engine/data/external/*.onnx tests/reports/data/*.onnx
    [ -d "$onnxdata" ] && copy "$onnxdata"/*/model.onnx
    ;;
cache)
    copy tests/calib/data/*.cache "$shared"/fixtures/trt-caches/*.cache
    make_artifacts
    copy "$work"/*.cache
    ;;
sidecar | json)
    make_artifacts
    copy "$work"/*.cache.json
    [ "$target" = json ] && copy "$work"/eval.json "$work"/run/tensors.json
    ;;
plan)
    make_artifacts
    copy "$work"/*.plan
    ;;
histfile)
    make_artifacts
    copy "$work"/entropy.h5 "$work"/minmax.h5 "$work"/percentile.h5
    ;;
h5dataset)
    make_artifacts
    copy "$work"/d.h5
    ;;
png)
    make_artifacts
    [ -d "$work/d" ] && copy $(find "$work/d" -name '*.png' | head -n 8)
    copy /usr/share/gitweb/static/*.png /usr/share/doc/python3/_static/*.png
    ;;
jpeg)
    copy /usr/share/doc/nodejs/*.jpg
    # Small JPEGs of every kind libjpeg-turbo writes: gray, 4:4:4, 4:2:0, progressive, CMYK.
    if /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
        /usr/bin/python3 - "$out" <<'EOF'
import hashlib, io, sys
from PIL import Image
out = sys.argv[1]
img = Image.new("RGB", (13, 9))
for y in range(9):
    for x in range(13):
        img.putpixel((x, y), (x * 19 % 256, y * 27 % 256, (x * y * 7) % 256))
for mode, kw in [("L", {}), ("RGB", {"subsampling": 0}), ("RGB", {"subsampling": 2}),
                 ("RGB", {"progressive": True}), ("CMYK", {}), ("RGB", {"quality": 5})]:
    b = io.BytesIO()
    img.convert(mode).save(b, "JPEG", **kw)
    d = b.getvalue()
    open(f"{out}/{hashlib.sha1(d).hexdigest()}", "wb").write(d)
EOF
    fi
    ;;
list)
    printf 'a.png 0\nb/c.png 1\n# comment\n\nd e.png 2\n' >"$work/l1"
    printf 'x.png 3\r\ny.jpg 1\r\n%%%%classes%%%%\ncat\ndog\nbird\nfish\n' >"$work/l2"
    printf 'x.png 0\ny.png 0\nz.png 1\nw.png 1\n' >"$work/l3"
    copy "$work"/l1 "$work"/l2 "$work"/l3
    ;;
npy)
    copy tests/engine/data/*.npy $(find tests/ops/data -name '*.npy' | head -n 20)
    ;;
*)
    echo "make_corpus: unknown target '$target'" >&2
    exit 2
    ;;
esac
echo "make_corpus: $target: $(ls "$out" | wc -l) seeds in $out"
