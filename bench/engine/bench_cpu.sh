#!/usr/bin/env bash
# The CPU devices side by side (issue 18): images/s of the bundled Fashion-MNIST models in FP32
# and INT8 on `--device cpu-ref` (the reference kernels) and `--device cpu` (oneDNN), at batch 1
# and 64, one thread, through `calib8 bench` (the production engine: inputs copied in, forward,
# outputs copied out). The INT8 plans use an entropy cache of 200 training images calibrated on
# cpu-ref. Prints one Markdown table row per plan and batch, and the machine's description;
# bench/results/cpu-onednn-<date>.md holds a run.
#   bench/engine/bench_cpu.sh [CALIB8] [ITERATIONS]
# Exit 77 where dataset-fashion-mnist is missing.
set -euo pipefail
c8=${1:-build/calib8}
iters=${2:-50}
src=$(cd "$(dirname "$0")/../.." && pwd)
idx=${C8_FMNIST_IDX:-/usr/share/datasets/fashion-mnist}
[ -f "$idx/train-images-idx3-ubyte.gz" ] || { echo "SKIP: $idx missing (dataset-fashion-mnist)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
"$c8" dataset convert --idx "$idx/train-images-idx3-ubyte.gz" "$idx/train-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 200 --out "$work/train.h5" --quiet
export OMP_NUM_THREADS=1 # oneDNN's OpenMP runtime: one thread, as the reference
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); flags: $(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "oneDNN: $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo '?'); date: $(date -u +%Y-%m-%d)"
echo
echo "| model | precision | device | batch | images/s | median ms |"
echo "| --- | --- | --- | --- | --- | --- |"
for m in fmnist_cnn fmnist_resnet; do
    "$c8" calibrate --model "$src/models/$m.onnx" --device cpu-ref --data "$work/train.h5" \
        "${pre[@]}" --no-shuffle --images 200 --batch 50 --algo entropy \
        --cache "$work/$m.cache" --quiet >/dev/null
    for prec in fp32 int8; do
        for dev in cpu-ref cpu; do
            calib=()
            [ "$prec" = int8 ] && calib=(--calib "$work/$m.cache")
            "$c8" build --model "$src/models/$m.onnx" --precision "$prec" "${calib[@]}" \
                --device "$dev" --plan "$work/p.plan" >/dev/null
            "$c8" bench --plan "$work/p.plan" --batch 1,64 --iterations "$iters" --warmup 5 |
                awk -v m="$m" -v p="$prec" -v d="$dev" \
                    '$1 == "1" || $1 == "64" { printf "| %s | %s | %s | %s | %s | %s |\n", m, p, d, $1, $2, $3 }'
        done
    done
done
