#!/usr/bin/env bash
# examples/calibrate_build_eval.c against the CLI: the same model, images, preprocessing and
# calibration images through the public API and through calibrate / build / eval must give the
# same cache bytes and the same top-1 (and top-5) counts.
# usage: test_calibrate_build_eval.sh EXAMPLE CALIB8 SOURCE_DIR WORK_DIR
set -u
example=$1 calib8=$2 src=$3 work=$4
model=$src/models/fmnist_cnn.onnx
idx=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
lab=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
if [ ! -f "$idx" ] || [ ! -f "$lab" ]; then
    echo "SKIP: the Fashion-MNIST test set ($idx) is absent"
    exit 77
fi
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --quiet)

"$calib8" dataset convert --idx "$idx" "$lab" --out "$work/fm.h5" --limit 1000 >/dev/null ||
    fail "dataset convert"
"$example" "$model" "$work/fm.h5" "$work/api" 500 > "$work/api.txt" 2>&1 ||
    { cat "$work/api.txt"; fail "the example failed"; }
cat "$work/api.txt"

"$calib8" calibrate --model "$model" --data "$work/fm.h5" --no-shuffle --images 500 \
    --cache "$work/cli.cache" "${pre[@]}" >/dev/null || fail "calib8 calibrate"
"$calib8" build --model "$model" --precision int8 --calib "$work/cli.cache" \
    --plan "$work/cli.plan" >/dev/null || fail "calib8 build"
"$calib8" eval --plan "$work/cli.plan" --data "$work/fm.h5" --json "$work/cli.json" "${pre[@]}" \
    > "$work/cli.txt" || fail "calib8 eval"
cat "$work/cli.txt"

cmp -s "$work/api/example.cache" "$work/cli.cache" || fail "the caches differ"
api=$(grep '^top-1' "$work/api.txt")
cli=$(grep '^top-1' "$work/cli.txt")
[ -n "$api" ] || fail "the example printed no top-1"
[ "$api" = "$cli" ] || fail "top-1/top-5 differ: example '$api', CLI '$cli'"
echo "OK: example and CLI agree: $api"
