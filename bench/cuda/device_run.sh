#!/usr/bin/env bash
# One GPU-machine run of the INT8 CUDA kernels: the three test suites, then the ResNet-50 layer
# benchmark; logs and the results table go to $OUT, a short summary is printed last.
# Run from the repository root on the device machine (../shared/device/README.md recipe), with
# `.devdeps` carried (CUnit's runtime) and, to skip the build there, prebuilt binaries carried in
# build-int8cuda/devbin (made here with bench/cuda/prebuild.sh: they link only cudart, cuBLAS(Lt),
# cuDNN and CUnit). Without them, or if one cannot load, it configures and builds the four targets.
set -uo pipefail
OUT=${OUT:-/tmp/c8-int8-out}
mkdir -p "$OUT"
for f in .devdeps/*.deb; do dpkg -x "$f" /; done
ldconfig
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
BIN=build-int8cuda/devbin
TARGETS="test_cuda_int8_imma_map test_cuda_int8_conv test_cuda_int8_ops bench_cuda_int8_conv"

need_build=0
for t in $TARGETS; do
    if [ ! -x "$BIN/$t" ] || ldd "$BIN/$t" | grep -q "not found"; then need_build=1; fi
done
if [ $need_build = 1 ]; then
    echo "== building on the device machine"
    cmake -S . -B /tmp/c8build -DC8_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
        -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
        make -C /tmp/c8build -j16 $TARGETS >>"$OUT/build.log" 2>&1 || {
        tail -30 "$OUT/build.log"
        exit 1
    }
    BIN=/tmp/c8build/devbin
    mkdir -p $BIN
    cp /tmp/c8build/tests/test_cuda_int8_* /tmp/c8build/bench/bench_cuda_int8_conv $BIN/
fi

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw \
    --format=csv >"$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"

run() { # name timeout cmd...
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    echo "== $name: exit $rc, $((SECONDS - t0)) s"
    return 0
}
run test_map 60 $BIN/test_cuda_int8_imma_map
run test_ops 90 $BIN/test_cuda_int8_ops
run test_conv 200 $BIN/test_cuda_int8_conv
run bench 240 $BIN/bench_cuda_int8_conv --batch 128 --reps ${C8_BENCH_REPS:-15} --out "$OUT/bench.md"

echo
echo "================ summary ================"
for t in test_map test_ops test_conv; do
    echo "-- $t"
    grep -E "^  Test: .*(FAILED|passed)|SKIP" "$OUT/$t.log" | grep -E "FAILED|SKIP" | head -20
    grep -A3 "Run Summary" "$OUT/$t.log"
    grep -E "^  [^ ].*(element|failed|guard|pad channels)" "$OUT/$t.log" | head -12
done
echo "-- bench"
grep -E "^\||peaks|device:|confirmation" "$OUT/bench.log" || tail -20 "$OUT/bench.log"
