#!/usr/bin/env bash
# calib8 export-qdq checked with ONNX Runtime: on both bundled Fashion-MNIST models, calibrate on
# 500 training images, export the Q/DQ model, and compare ONNX Runtime's logits on 1,000 test
# images (500 with C8_TEST_QUICK=1, the sanitizer build) with calib8's own INT8 engine (criteria
# in qdq_ort_check.py). Exit 77 (skip) where
# onnxruntime (.deps/ort, from tools/install-deps.sh, or C8_ORT_PYTHONPATH), the
# Fashion-MNIST package or the bundled models are missing.
#   test_qdq_ort.sh CALIB8 SOURCE_DIR WORK_DIR
set -euo pipefail
c8=$1
src=$2
work=$3
idx=/usr/share/datasets/fashion-mnist
ortpath=${C8_ORT_PYTHONPATH:-$src/.deps/ort}
py=
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null &&
        PYTHONPATH=$ortpath "$cand" -c 'import numpy, onnxruntime' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
[ -n "$py" ] || { echo "SKIP: onnxruntime not importable (run tools/install-deps.sh)"; exit 77; }
[ -f "$idx/train-images-idx3-ubyte.gz" ] || { echo "SKIP: $idx missing"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
n_eval=1000
[ "${C8_TEST_QUICK:-0}" != 0 ] && n_eval=500
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
"$c8" dataset convert --idx "$idx/train-images-idx3-ubyte.gz" "$idx/train-labels-idx1-ubyte.gz" \
    --limit 500 --out "$work/train.h5" --quiet
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --out "$work/test.h5" --quiet
"$c8" dataset export --data "$work/test.h5" "${pre[@]}" --images "$n_eval" --target 1x28x28 \
    --out "$work/x.npy" --labels-out "$work/y.npy" --quiet
fails=0
for m in fmnist_cnn fmnist_resnet; do
    model=$src/models/$m.onnx
    [ -f "$model" ] || { echo "SKIP: $model missing"; exit 77; }
    "$c8" calibrate --model "$model" --data "$work/train.h5" "${pre[@]}" --images 500 \
        --algo mse --cache "$work/$m.cache" --quiet >/dev/null
    "$c8" export-qdq --model "$model" --calib "$work/$m.cache" --out "$work/$m.qdq.onnx"
    "$c8" build --model "$model" --precision int8 --calib "$work/$m.cache" \
        --plan "$work/$m.int8.plan" >/dev/null
    "$c8" run --plan "$work/$m.int8.plan" --input "$work/x.npy" --output-dir "$work/$m.int8" \
        >/dev/null
    "$c8" run --model "$model" --input "$work/x.npy" --output-dir "$work/$m.fp32" >/dev/null
    PYTHONPATH=$ortpath "$py" "$src/tests/engine/qdq_ort_check.py" "$work/$m.qdq.onnx" \
        "$work/x.npy" "$work/y.npy" "$work/$m.int8/logits.npy" "$work/$m.fp32/logits.npy" \
        "$model" ||
        fails=$((fails + 1))
done
[ "$fails" = 0 ] && echo "test_qdq_ort: both models pass" || { echo "test_qdq_ort: $fails failed"; exit 1; }
