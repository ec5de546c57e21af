#!/usr/bin/env bash
# Top-1 of the bundled Fashion-MNIST models on all 10,000 test images: FP32, FP16 and INT8 with
# every calibration algorithm, auto (the default) first (500 training images, seed 0, batch 50),
# through the calib8 CLI.
# Writes a Markdown table (stdout). Usage: bench/accuracy/fmnist_matrix.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/c8-fmnist}
c8="$build/calib8"
idx=/usr/share/datasets/fashion-mnist
mkdir -p "$work"
[ -f "$work/train.h5" ] || "$c8" dataset convert --quiet --idx "$idx/train-images-idx3-ubyte.gz" \
    "$idx/train-labels-idx1-ubyte.gz" --out "$work/train.h5"
[ -f "$work/test.h5" ] || "$c8" dataset convert --quiet --idx "$idx/t10k-images-idx3-ubyte.gz" \
    "$idx/t10k-labels-idx1-ubyte.gz" --out "$work/test.h5"
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
top1() { "$c8" eval --plan "$1" --data "$work/test.h5" "${pre[@]}" --no-shuffle --batch 250 --quiet \
    --json "$1.json" >/dev/null && /usr/bin/python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['top1'])" "$1.json"; }
echo "| model | FP32 | FP16 | INT8 auto (default) | INT8 entropy | INT8 entropy-mxnet | INT8 minmax | INT8 percentile 99.99 | INT8 mse |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for m in fmnist_cnn fmnist_resnet; do
    row="| $m"
    for p in fp32 fp16; do
        "$c8" build --model "models/$m.onnx" --precision $p --plan "$work/$m.$p.plan" >/dev/null
        row="$row | $(top1 "$work/$m.$p.plan")"
    done
    for a in auto entropy entropy-mxnet minmax percentile mse; do
        "$c8" calibrate --model "models/$m.onnx" --data "$work/train.h5" "${pre[@]}" --images 500 \
            --batch 50 --algo $a --cache "$work/$m.$a.cache" --save-histograms "$work/$m.$a.h5" \
            --quiet >/dev/null
        "$c8" build --model "models/$m.onnx" --precision int8 --calib "$work/$m.$a.cache" \
            --plan "$work/$m.int8.$a.plan" >/dev/null
        row="$row | $(top1 "$work/$m.int8.$a.plan")"
    done
    echo "$row |"
done
