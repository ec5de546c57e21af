#!/usr/bin/env bash
# The CPU devices side by side (issue 18): images/s of the bundled Fashion-MNIST models in FP32
# and INT8 on `--device cpu-ref` (the reference kernels) and `--device cpu` (oneDNN), at batch 1
# and 64, on one thread and on all cores (`calib8 bench --threads 1` and `--threads $(nproc)`;
# ONNX Runtime's intra_op_num_threads alike), through `calib8 bench` (the production engine:
# inputs copied in, forward, outputs copied out). The INT8 plans use an entropy cache of 200
# training images calibrated on cpu-ref; beside them ONNX Runtime (where importable) on the FP32
# model and on calib8's Q/DQ export of the same cache. Prints one Markdown table row per plan,
# thread count and batch, and the machine's description; bench/results/cpu-onednn-<date>.md
# holds a run.
#   bench/engine/bench_cpu.sh [CALIB8] [ITERATIONS]
# C8_BENCH_DEVICES (default "cpu-ref cpu") picks the calib8 devices measured.
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
ortpath=${C8_ORT_PYTHONPATH:-$src/.deps/ort}
ort_py=""
PYTHONPATH=$ortpath /usr/bin/python3 -c 'import numpy, onnxruntime' >/dev/null 2>&1 && ort_py=/usr/bin/python3
all=$(nproc)
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); flags: $(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "oneDNN: $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo '?'); date: $(date -u +%Y-%m-%d)"
echo
echo "| model | precision | device | threads | batch | images/s | median ms |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for m in fmnist_cnn fmnist_resnet; do
    "$c8" calibrate --model "$src/models/$m.onnx" --device cpu-ref --data "$work/train.h5" \
        "${pre[@]}" --no-shuffle --images 200 --batch 50 --algo entropy \
        --cache "$work/$m.cache" --quiet >/dev/null
    for prec in fp32 int8; do
        for dev in ${C8_BENCH_DEVICES:-cpu-ref cpu}; do
            calib=()
            [ "$prec" = int8 ] && calib=(--calib "$work/$m.cache")
            "$c8" build --model "$src/models/$m.onnx" --precision "$prec" "${calib[@]}" \
                --device "$dev" --plan "$work/p.plan" >/dev/null
            for t in 1 "$all"; do
                "$c8" bench --plan "$work/p.plan" --batch 1,64 --iterations "$iters" --warmup 5 \
                    --threads "$t" |
                    awk -v m="$m" -v p="$prec" -v d="$dev" -v t="$t" \
                        '$1 == "1" || $1 == "64" { printf "| %s | %s | %s | %s | %s | %s | %s |\n", m, p, d, t, $1, $2, $3 }'
            done
        done
    done
    # ONNX Runtime (tools/install-deps.sh puts it in .deps/ort) on the same model, FP32 and
    # calib8's Q/DQ export of the same cache, one intra-op thread, same batches and iterations
    if [ -n "$ort_py" ]; then
        "$c8" export-qdq --model "$src/models/$m.onnx" --calib "$work/$m.cache" \
            --out "$work/$m.qdq.onnx" >/dev/null
        PYTHONPATH=$ortpath "$ort_py" - "$src/models/$m.onnx" "$work/$m.qdq.onnx" "$m" "$iters" "$all" <<'PY'
import sys, time, numpy as np, onnxruntime as ort
fp32, qdq, m, iters, all_threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for (prec, path), threads in [(pp, t) for pp in (("fp32", fp32), ("int8 (Q/DQ)", qdq)) for t in (1, all_threads)]:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    for b in (1, 64):
        x = np.random.default_rng(1).standard_normal((b, 1, 28, 28)).astype(np.float32)
        for _ in range(5):
            s.run(None, {name: x})
        t = []
        for _ in range(iters):
            t0 = time.perf_counter()
            s.run(None, {name: x})
            t.append(time.perf_counter() - t0)
        med = float(np.median(t))
        print(f"| {m} | {prec} | onnxruntime {ort.__version__} | {threads} | {b} | {b / np.mean(t):.1f} | {med * 1e3:.4f} |")
PY
    fi
done
