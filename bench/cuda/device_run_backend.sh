#!/usr/bin/env bash
# One call on the GPU machine for the CUDA backend (issue 8), per ../shared/device/README.md:
# unpack the carried .deb files, use the binaries carried in .devrun/ (built on the CI-like
# machine with -DCMAKE_CUDA_ARCHITECTURES=90; rebuilt here if they do not load), run the GPU
# suites, then the ResNet-50 benchmarks and calibration timing (bench/cuda/resnet50.sh) and the
# CLI calibration on the GPU vs the CPU. Everything is logged under $OUT; a summary prints last.
#
#   carry: .devdeps .devrun      MODE (first argument): all (default) | tests | bench
set -uo pipefail
MODE=${1:-all}
OUT=${OUT:-/tmp/c8out}
mkdir -p "$OUT"
ROOT=$PWD
T0=$(date +%s)
exec > >(tee -a "$OUT/run.log") 2>&1
el() { echo "[$(( $(date +%s) - T0 )) s]"; }

for f in .devdeps/*.deb; do dpkg -x "$f" / 2>/dev/null; done
ldconfig
export LD_LIBRARY_PATH=$ROOT/.devrun/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv
echo "$(el) deps unpacked"

BIN=$ROOT/.devrun/bin
TESTS=$BIN
if ! "$BIN/calib8" version || ldd "$BIN/test_backend_models" | grep -q "not found"; then
    echo "carried binaries do not load here: building (Release, sm_90)"
    ldd "$BIN/calib8" | grep "not found"
    cmake -S . -B /tmp/c8b -DC8_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
        -DCMAKE_BUILD_TYPE=Release > "$OUT/build.log" 2>&1 &&
        make -C /tmp/c8b -j16 calib8 test_backend_ops test_backend_models >> "$OUT/build.log" 2>&1 ||
        { tail -30 "$OUT/build.log"; exit 1; }
    BIN=/tmp/c8b
    TESTS=/tmp/c8b/tests
fi
echo "$(el) binaries ready"
export C8_TEST_SOURCE_DIR=$ROOT C8_TEST_WORK=/tmp/c8work
mkdir -p /tmp/c8work

if [ "$MODE" = all ] || [ "$MODE" = tests ]; then
    mkdir -p /tmp/onnx && tar xzf .devrun/onnx-testdata.tgz -C /tmp/onnx
    export C8_ONNX_TESTDATA=/tmp/onnx/data
    timeout ${OPS_TIMEOUT:-150} "$TESTS/test_backend_ops" > "$OUT/test_backend_ops.log" 2>&1
    echo "test_backend_ops rc=$? $(el)"
    timeout ${MODELS_TIMEOUT:-240} "$TESTS/test_backend_models" > "$OUT/test_backend_models.log" 2>&1
    echo "test_backend_models rc=$? $(el)"
    cp /tmp/c8work/conformance_gpu_report.txt_* "$OUT/conformance_gpu_report.txt" 2>/dev/null

    # calibrate on the CLI, GPU vs CPU, same images: the caches must be byte-identical
    python3 bench/cuda/make_images.py --out /tmp/fm_imgs --n 64 --size 28 --channels 1 \
        --format png > /dev/null
    for d in cpu cuda; do
        "$BIN/calib8" calibrate --model models/fmnist_cnn.onnx --data /tmp/fm_imgs \
            --scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray \
            --batch 16 --algo entropy --device $d --quiet --cache /tmp/c8work/fm_$d.cache \
            > /tmp/c8work/fm_$d.log 2>&1
        echo "calibrate --device $d rc=$?: $(grep -E '^time:' /tmp/c8work/fm_$d.log)"
    done
    if cmp /tmp/c8work/fm_cpu.cache /tmp/c8work/fm_cuda.cache; then
        echo "CLI calibration caches (fmnist_cnn, 64 PNG images): GPU == CPU, byte-identical"
    else
        echo "CLI calibration caches DIFFER"; diff /tmp/c8work/fm_cpu.cache /tmp/c8work/fm_cuda.cache
    fi
fi

if [ "$MODE" = all ] || [ "$MODE" = bench ]; then
    timeout ${BENCH_TIMEOUT:-420} bash bench/cuda/resnet50.sh "$BIN/calib8" /tmp/r50 \
        "$OUT/resnet50" > "$OUT/bench.log" 2>&1
    echo "resnet50.sh rc=$? $(el)"
    cat /tmp/r50/build_fp16.log | grep -E "^cuda:" | head -80 > "$OUT/tune_fp16.txt"
    grep -E "^cuda:" /tmp/r50/build_fp32.log | head -80 >> "$OUT/tune_fp16.txt"
fi

echo "================ summary $(el)"
for f in test_backend_ops test_backend_models; do
    [ -f "$OUT/$f.log" ] || continue
    echo "--- $f"
    grep -E "FAIL|GPU FAIL|must be|differs|DIFFER|conformance on the GPU|calibration:|rel [0-9.e+-]* >" \
        "$OUT/$f.log" | head -40
    grep -A4 "Run Summary" "$OUT/$f.log"
done
[ -f "$OUT/bench.log" ] && tail -45 "$OUT/bench.log"
