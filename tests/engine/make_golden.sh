#!/usr/bin/env bash
# The golden results of the bundled models (issue 14: "CPU plans and caches stay byte-identical"):
# for models/fmnist_cnn.onnx and models/fmnist_resnet.onnx on Fashion-MNIST, the calibration
# caches (entropy and mse on 200 training images) and the logits of their CPU plans (FP32, FP16,
# INT8 from each cache, fp16,int8, and a mixed INT8/FP16/FP32 plan) on 256 test images.
# test_golden.sh runs this script with the current calib8 and compares its output with
# tests/engine/data/golden/; this script is the one place that holds the options, so both runs
# use the same.
#
# The committed files were made by commit 3269f3c (the tree before issue 14's placement / op
# table / public API change), built CPU-only in Release:
#   git worktree add /tmp/before 3269f3c
#   cmake -S /tmp/before -B /tmp/before/build -DC8_CUDA=OFF -DCMAKE_BUILD_TYPE=Release
#   cmake --build /tmp/before/build -j2 --target calib8
#   bash tests/engine/make_golden.sh /tmp/before/build/calib8 tests/engine/data/golden
# Regenerate them only when a change is MEANT to change these results (a new threshold rule, a
# different rounding, another kernel summation order), with the current calib8, and say in the
# commit message what changed and why. Never regenerate to make test_golden pass.
#
# Written to OUT_DIR (all small):
#   inputs.sha256                   sha256 of the exported test images x.npy (256x1x28x28 f32)
#   MODEL.ALGO.cache                TensorRT-format calibration cache (ALGO: entropy, mse)
#   MODEL.ALGO.cache.json           its provenance sidecar (compared without calib8_version)
#   MODEL.PLAN.logits.npy           (256, 10) float32 logits of the plan; PLAN: fp32, fp16,
#                                   int8-entropy, int8-mse, fp16int8-mse, mixed-mse (INT8 with
#                                   some layers forced to FP16 and FP32)
#   MODEL.PLAN.layers.txt           calib8 build's layer table (its columns change with the
#                                   placement: compared in each layer's op and precision and
#                                   the summary's counts)
# Exit 77 with a SKIP line where Debian's dataset-fashion-mnist (or a bundled model) is missing.
#   make_golden.sh CALIB8 OUT_DIR [WORK_DIR [IMAGES]]
# WORK_DIR: intermediate files (default a temporary folder). IMAGES (test_golden.sh's quick mode
# under C8_TEST_QUICK): run the plans on only the first IMAGES test images, giving (IMAGES, 10)
# logits; a plan computes each image on its own, so these are the golden files' first rows. The
# committed files use the default, all 256.
set -euo pipefail
c8=$1
out=$2
n_run=${4:-256}
src=$(cd "$(dirname "$0")/../.." && pwd)
idx=${C8_FMNIST_IDX:-/usr/share/datasets/fashion-mnist}
models=(fmnist_cnn fmnist_resnet)
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
    t10k-labels-idx1-ubyte.gz; do
    [ -f "$idx/$f" ] || {
        echo "SKIP: $idx/$f missing (Debian package dataset-fashion-mnist)"
        exit 77
    }
done
for m in "${models[@]}"; do
    [ -f "$src/models/$m.onnx" ] || { echo "SKIP: $src/models/$m.onnx missing"; exit 77; }
done
if [ -n "${3:-}" ]; then
    work=$3
    rm -rf "$work"
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$out"
rm -f "$out"/*.cache "$out"/*.cache.json "$out"/*.npy "$out"/*.layers.txt "$out"/inputs.sha256

# The data: the first 200 training images (calibration) and the first 256 test images (one .npy),
# in file order, preprocessed as tools/demo.sh does.
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
"$c8" dataset convert --idx "$idx/train-images-idx3-ubyte.gz" "$idx/train-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 200 --out "$work/train.h5" --quiet
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 256 --out "$work/test.h5" --quiet
"$c8" dataset export --data "$work/test.h5" "${pre[@]}" --no-shuffle --images 256 \
    --target 1x28x28 --out "$work/x.npy" --quiet
(cd "$work" && sha256sum x.npy) >"$out/inputs.sha256"
x=$work/x.npy
if [ "$n_run" != 256 ]; then
    x=$work/x$n_run.npy
    "$c8" dataset export --data "$work/test.h5" "${pre[@]}" --no-shuffle --images "$n_run" \
        --target 1x28x28 --out "$x" --quiet
fi

# The golden files are the reference kernels' results: a calib8 with a fast CPU backend (oneDNN,
# issue 18: `--device cpu`, whose FP32 sums differ in order) calibrates and builds on its
# reference device `cpu-ref`; older calib8s (no such device) run their reference CPU engine.
ref_device=()
# (the help is read whole first: `grep -q` on the pipe would stop reading at the match, and
# under pipefail calib8's SIGPIPE would then fail the test, depending on timing)
build_help=$("$c8" build --help 2>&1 || true)
case "$build_help" in *cpu-ref*) ref_device=(--device cpu-ref) ;; esac

# plan MODEL NAME PRECISION ALGO [build options...]: build MODEL's plan (with MODEL.ALGO.cache
# unless ALGO is empty), keep its layer table, run it on the test images and keep the logits
plan() {
    local m=$1 name=$2 prec=$3 algo=$4
    shift 4
    local calib=()
    [ -n "$algo" ] && calib=(--calib "$work/$m.$algo.cache")
    "$c8" build --model "$src/models/$m.onnx" --precision "$prec" "${calib[@]}" "${ref_device[@]}" "$@" \
        --plan "$work/$m.$name.plan" | grep -v '^wrote ' >"$out/$m.$name.layers.txt"
    "$c8" run --plan "$work/$m.$name.plan" --input "$x" --output-dir "$work/$m.$name" >/dev/null
    cp "$work/$m.$name/logits.npy" "$out/$m.$name.logits.npy"
}
# the mixed plans' per-layer overrides (globs over node names): INT8, FP16 and FP32 layers in turn
declare -A mixed=(
    [fmnist_cnn]='/conv2/*:fp16,/fc1/*:fp32'
    [fmnist_resnet]='/layer2/*:fp16,/layer3/conv2/*:fp32,/fc/*:fp32'
)

for m in "${models[@]}"; do
    model=$src/models/$m.onnx
    for algo in entropy mse; do
        "$c8" calibrate --model "$model" "${ref_device[@]}" --data "$work/train.h5" "${pre[@]}" --no-shuffle \
            --images 200 --batch 50 --algo "$algo" --cache "$work/$m.$algo.cache" --quiet \
            >/dev/null
        cp "$work/$m.$algo.cache" "$work/$m.$algo.cache.json" "$out/"
    done
    # every CPU plan: NAME --precision [cache algorithm] [more build options]
    plan "$m" fp32 fp32 ""
    plan "$m" fp16 fp16 ""
    plan "$m" int8-entropy int8 entropy
    plan "$m" int8-mse int8 mse
    # on these models every layer has an INT8 kernel: fp16,int8 computes what int8 does; the
    # mixed plan forces FP16 and FP32 layers between INT8 ones (with their reformat nodes)
    plan "$m" fp16int8-mse fp16,int8 mse
    plan "$m" mixed-mse fp16,int8 mse --layer-precision "${mixed[$m]}"
done
echo "make_golden: wrote $(ls "$out" | wc -l) files to $out"
