#!/usr/bin/env bash
# The CLI demo (tools/demo.sh), reduced, with every calib8 command under valgrind memcheck:
# zero errors and no definitely lost blocks, or the script fails. Converts a few Fashion-MNIST
# images (HDF5 for calibration, a PNG folder for evaluation, so both loaders and libpng run),
# calibrates (and saves histograms, and recomputes from them), checks the cache, builds FP32,
# FP16 and INT8 plans, evaluates each, runs one input through `calib8 run --dump-all` and
# compares the precisions layer by layer.
#   C8_BUILD_DIR (default build), C8_IMAGES (calibration images, default 50),
#   C8_EVAL_IMAGES (default 200), C8_MODEL (default models/fmnist_cnn.onnx; when it is missing,
#   the test model tests/reports/data/tiny_cls.onnx on 8x8 images of the first 6 classes).
#   C8_VG_TRACK_ORIGINS=yes: where uninitialised values came from (about twice as slow; CI leaves
#   it off and a failure is rerun with it).
# Needs valgrind (apt-get install valgrind) and the Fashion-MNIST package (dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${C8_BUILD_DIR:-build}
images=${C8_IMAGES:-50}
eval_images=${C8_EVAL_IMAGES:-200}
model=${C8_MODEL:-models/fmnist_cnn.onnx}
command -v valgrind >/dev/null || { echo "valgrind-demo: valgrind is not installed" >&2; exit 1; }
cmake -S . -B "$build" -DCMAKE_CUDA_ARCHITECTURES=90 ${C8_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" --target calib8 >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
idx=/usr/share/datasets/fashion-mnist
vg=(valgrind -q --suppressions=tools/valgrind.supp --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins="${C8_VG_TRACK_ORIGINS:-no}")
n=0
c8() {
    n=$((n + 1))
    echo "== [$n] calib8 $*"
    "${vg[@]}" "$build/calib8" "$@"
}

pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
labels=()
target=1x28x28
if [ ! -f "$model" ]; then
    echo "valgrind-demo: $model not found; using tests/reports/data/tiny_cls.onnx"
    model=tests/reports/data/tiny_cls.onnx
    pre+=(--resize 8x8)
    target=1x8x8
fi
c8 dataset convert --idx "$idx/train-images-idx3-ubyte.gz" "$idx/train-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 400 --out "$work/train.h5" --quiet
c8 dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit "$eval_images" --out "$work/test" --quiet
if [ "$model" = tests/reports/data/tiny_cls.onnx ]; then
    # the test model has 6 classes: evaluate on a list of the test images labelled below 6
    (cd "$work/test" && find . -name '*.png' | sort | sed 's|^\./||' |
        awk -F/ '{ k = substr($1, 1, index($1, "-") - 1) + 0; if (k < 6) print $0, k }') \
        >"$work/test/list.txt"
    labels=(--labels "$work/test/list.txt")
fi
c8 dataset info --data "$work/train.h5" --images "$images"
c8 calibrate --model "$model" --data "$work/train.h5" "${pre[@]}" --images "$images" --batch 25 \
    --algo entropy --cache "$work/m.cache" --save-histograms "$work/m.h5" --quiet
c8 calibrate --from-histograms "$work/m.h5" --algo percentile --cache "$work/p.cache"
c8 cache check "$work/m.cache" --model "$model"
c8 cache diff "$work/m.cache" "$work/p.cache"
for p in fp32 fp16 int8; do
    calib=()
    [ "$p" = int8 ] && calib=(--calib "$work/m.cache")
    c8 build --model "$model" --precision "$p" "${calib[@]}" --plan "$work/m.$p.plan" >/dev/null
    c8 eval --plan "$work/m.$p.plan" --data "$work/test" "${labels[@]}" "${pre[@]}" \
        --batch 50 --no-shuffle --quiet --json "$work/m.$p.json"
done
c8 dataset export --data "$work/test" "${labels[@]}" "${pre[@]}" --images 1 --no-shuffle \
    --target "$target" --out "$work/x.npy" --labels-out "$work/y.npy" --quiet
c8 run --model "$model" --input "$work/x.npy" --output-dir "$work/run" --dump-all
c8 compare --model "$model" --calib "$work/m.cache" --data "$work/test" "${labels[@]}" \
    "${pre[@]}" --images 20 --batch 10 --layer-images 2 --report "$work/report" --quiet
echo "valgrind-demo: $n commands under valgrind, no errors, no definite leaks"
