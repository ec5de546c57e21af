#!/usr/bin/env bash
# The main job on the bundled example, from a fresh checkout: install what is missing, build,
# make the Fashion-MNIST data from Debian's IDX files, then for each bundled model calibrate on
# 500 training images, build FP32 / FP16 / INT8 plans, evaluate them on the 10,000 test images
# and write an accuracy-drift report.
#   C8_BUILD_DIR (default build), C8_DATA_DIR (default data), C8_IMAGES (calibration images),
#   C8_ALGO (calibration algorithm, default mse: on these models entropy's KL search stops just
#   above the activation spikes that the uniform image backgrounds cause; see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
build=${C8_BUILD_DIR:-build}
data=${C8_DATA_DIR:-data}
images=${C8_IMAGES:-500}
cmake -S . -B "$build" -DCMAKE_CUDA_ARCHITECTURES=90 ${C8_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" --target calib8
c8="$build/calib8"
idx=/usr/share/datasets/fashion-mnist
mkdir -p "$data"
[ -f "$data/fmnist-train.h5" ] || "$c8" dataset convert --idx "$idx/train-images-idx3-ubyte.gz" \
    "$idx/train-labels-idx1-ubyte.gz" --builtin-classes fashion-mnist --out "$data/fmnist-train.h5"
[ -d "$data/fmnist-test" ] || "$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" \
    "$idx/t10k-labels-idx1-ubyte.gz" --builtin-classes fashion-mnist --out "$data/fmnist-test"
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
out="$data/results"
mkdir -p "$out"
for m in fmnist_cnn fmnist_resnet; do
    echo "== $m"
    "$c8" calibrate --model "models/$m.onnx" --data "$data/fmnist-train.h5" "${pre[@]}" \
        --images "$images" --batch 50 --algo "${C8_ALGO:-mse}" --save-histograms "$out/$m.h5" \
        --cache "$out/$m.cache" --quiet | tail -n 2
    for p in fp32 fp16 int8; do
        calib=()
        [ "$p" = int8 ] && calib=(--calib "$out/$m.cache")
        "$c8" build --model "models/$m.onnx" --precision "$p" "${calib[@]}" \
            --plan "$out/$m.$p.plan" > "$out/$m.$p.layers.txt"
        echo "$p plan: $(grep "^layers:" "$out/$m.$p.layers.txt")"
    done
    # the accuracy-drift report: every precision on the 10,000 test images, every tensor and
    # the per-layer sensitivity on the first 64
    "$c8" compare --model "models/$m.onnx" --calib "$out/$m.cache" --data "$data/fmnist-test" \
        "${pre[@]}" --no-shuffle --batch 250 --histograms "$out/$m.h5" --quiet \
        --report "$out/$m-report" > "$out/$m.compare.txt"
    grep -E "^\| (fp32|fp16|int8) " "$out/$m-report/report.md" | head -3
done
echo "results in $out/ (plans, caches, layer tables; reports: $out/<model>-report/report.html)"
