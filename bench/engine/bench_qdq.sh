#!/usr/bin/env bash
# calib8's Q/DQ export against ONNX Runtime's own symmetric-int8 Q/DQ model of the same network,
# both run by ONNX Runtime on the CPU, one thread, batch 1 and 64, on both bundled Fashion-MNIST
# models (issue 18, part 6: the export must run at >= 80% of ONNX Runtime's own model's speed).
# calib8: MSE cache of 500 training images; ONNX Runtime: quantize_static (QDQ, QInt8
# activations and weights, symmetric, per-channel, MinMax on 200 training images) after
# quant_pre_process (bench_qdq.py). Also prints top-1 on 1,000 test images and the export's
# agreement with calib8's own INT8 engine. bench/results/qdq-export-ort-<date>.md holds a run.
#   bench/engine/bench_qdq.sh [CALIB8] [ITERATIONS]
# Needs ONNX Runtime (.deps/ort, tools/install-deps.sh) and the onnx package (quantize_static
# uses it): C8_ONNX_PYTHONPATH, or installed from PyPI into ~/.cache/calib8-bench-py.
# Exit 77 where either, or dataset-fashion-mnist, is missing.
set -euo pipefail
c8=${1:-build/calib8}
iters=${2:-100}
src=$(cd "$(dirname "$0")/../.." && pwd)
idx=${C8_FMNIST_IDX:-/usr/share/datasets/fashion-mnist}
[ -f "$idx/train-images-idx3-ubyte.gz" ] || { echo "SKIP: $idx missing (dataset-fashion-mnist)"; exit 77; }
ortpath=${C8_ORT_PYTHONPATH:-$src/.deps/ort}
onnxpath=${C8_ONNX_PYTHONPATH:-$HOME/.cache/calib8-bench-py}
py=/usr/bin/python3
export PYTHONPATH=$onnxpath:$ortpath
if ! (cd / && "$py" -c 'import onnx.helper, onnxruntime.quantization') >/dev/null 2>&1; then
    mkdir -p "$onnxpath"
    "$py" -m pip install -q --disable-pip-version-check --no-deps --target "$onnxpath" \
        onnx==1.23.2 ml_dtypes==0.7.0 typing_extensions >/dev/null 2>&1 || true
fi
(cd / && "$py" -c 'import onnx.helper, onnxruntime.quantization') >/dev/null 2>&1 ||
    { echo "SKIP: onnxruntime or onnx not importable"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
"$c8" dataset convert --idx "$idx/train-images-idx3-ubyte.gz" "$idx/train-labels-idx1-ubyte.gz" \
    --limit 500 --out "$work/train.h5" --quiet
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --limit 1000 --out "$work/test.h5" --quiet
"$c8" dataset export --data "$work/train.h5" "${pre[@]}" --images 200 --target 1x28x28 \
    --out "$work/xc.npy" --quiet
"$c8" dataset export --data "$work/test.h5" "${pre[@]}" --target 1x28x28 --out "$work/x.npy" \
    --labels-out "$work/y.npy" --quiet
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); flags: $(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "onnxruntime: $(cd / && "$py" -c 'import onnxruntime; print(onnxruntime.__version__)'); onnx: $(cd / && "$py" -c 'import onnx; print(onnx.__version__)'); date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| model | Q/DQ model | batch | images/s (median) | images/s (mean) | median ms |"
echo "| --- | --- | --- | --- | --- | --- |"
for m in fmnist_cnn fmnist_resnet; do
    model=$src/models/$m.onnx
    "$c8" calibrate --model "$model" --data "$work/train.h5" "${pre[@]}" --images 500 \
        --algo mse --cache "$work/$m.cache" --quiet >/dev/null
    "$c8" export-qdq --model "$model" --calib "$work/$m.cache" --out "$work/$m.qdq.onnx" >/dev/null
    "$c8" build --model "$model" --precision int8 --calib "$work/$m.cache" \
        --plan "$work/$m.int8.plan" >/dev/null
    "$c8" run --plan "$work/$m.int8.plan" --input "$work/x.npy" --output-dir "$work/$m.int8" \
        >/dev/null
    (cd "$work" && "$py" "$src/bench/engine/bench_qdq.py" "$model" "$work/$m.qdq.onnx" \
        "$work/xc.npy" "$work/x.npy" "$work/y.npy" "$work/$m.int8/logits.npy" "$iters" "$work" \
        2>/dev/null)
done
