#!/usr/bin/env bash
# One call on the GPU machine (issues 8 and 9), with binaries built on the CI-like machine
# (-DCMAKE_CUDA_ARCHITECTURES=90) carried in .devrun/ (bin/, lib/ for libraries Ubuntu lacks,
# fm/ with the Fashion-MNIST test set, calibration caches and the CPU INT8 engine's logits).
#   1. GPU suites: INT8 kernels vs CPU reference, backend ops/models/conformance/contexts
#   2. Fashion-MNIST INT8 on the GPU vs the CPU INT8 engine on all 10,000 test images
#   3. ResNet-50 (random weights): calib8 FP16 / INT8 vs PyTorch FP16 eager and compiled
# carry: .devdeps .devrun        Summary last; logs under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/c8out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/final.log") 2>&1
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s]"; }
for f in .devdeps/*.deb; do dpkg -x "$f" / 2>/dev/null; done
ldconfig
export LD_LIBRARY_PATH=$PWD/.devrun/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
B=$PWD/.devrun/bin
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
ldd "$B/calib8" | grep "not found" && exit 1
"$B/calib8" version
export C8_TEST_SOURCE_DIR=$PWD C8_TEST_WORK=/tmp/c8work
mkdir -p /tmp/c8work /tmp/onnx && tar xzf .devrun/onnx-testdata.tgz -C /tmp/onnx
export C8_ONNX_TESTDATA=/tmp/onnx/data
echo "== 1. GPU suites $(el)"
for t in test_cuda_int8_conv test_cuda_int8_ops test_backend_ops test_backend_models; do
    timeout 150 "$B/$t" > "$OUT/$t.log" 2>&1
    echo "$t rc=$? $(grep -A3 'Run Summary' "$OUT/$t.log" | grep -E 'tests|asserts' | tr -s ' ' | tr '\n' ' ') $(el)"
done
echo "== 2. Fashion-MNIST INT8, GPU vs CPU, 10,000 images $(el)"
P="--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray"
"$B/calib8" dataset export --data .devrun/fm/test.h5 $P --no-shuffle --target 1x28x28 \
    --out /tmp/c8work/x.npy --quiet
for m in fmnist_cnn fmnist_resnet; do
    "$B/calib8" build --model models/$m.onnx --precision int8 --calib .devrun/fm/$m.cache \
        --device cuda --plan /tmp/c8work/$m.cuda.plan > "$OUT/build_$m.log" 2>&1 || tail -3 "$OUT/build_$m.log"
    "$B/calib8" run --plan /tmp/c8work/$m.cuda.plan --input /tmp/c8work/x.npy \
        --output-dir /tmp/c8work/gpu_$m > /dev/null
    python3 - "$m" <<'PY'
import sys, numpy as np
m = sys.argv[1]
g = np.load("/tmp/c8work/gpu_%s/logits.npy" % m); c = np.load(".devrun/fm/cpu_%s_logits.npy" % m)
print("%s: GPU INT8 vs CPU INT8 on %d images: predictions equal %d, logits bit-identical %d/%d, max |diff| %.3g"
      % (m, len(g), int((g.argmax(1) == c.argmax(1)).sum()), int((g == c).all(1).sum()), len(g), float(np.abs(g - c).max())))
PY
done
echo "== 3. ResNet-50 $(el)"
W=/tmp/r50
mkdir -p $W
python3 models/make_resnet50.py --out $W/resnet50.onnx > $OUT/export.log 2>&1 || tail -3 $OUT/export.log
python3 bench/cuda/make_images.py --out $W/imgs --n 100 --size 224 > /dev/null
"$B/calib8" calibrate --model $W/resnet50.onnx --data $W/imgs --preset imagenet --images 100 \
    --batch 50 --algo entropy --device cuda --quiet --cache $W/r50.cache > $OUT/calib_r50.log 2>&1
grep -E "^time:" $OUT/calib_r50.log
for p in fp16 int8; do
    extra=""; [ $p = int8 ] && extra="--calib $W/r50.cache --precision fp16,int8" || extra="--precision fp16"
    "$B/calib8" build --model $W/resnet50.onnx $extra --device cuda --verbose \
        --plan $W/r50_$p.plan > $OUT/build_r50_$p.log 2>&1 || tail -5 $OUT/build_r50_$p.log
    grep -E "^layers:" $OUT/build_r50_$p.log
    "$B/calib8" bench --plan $W/r50_$p.plan --batch 1,256 --iterations 30 --warmup 10 \
        --json $OUT/c8_r50_$p.json > $OUT/bench_r50_$p.log 2>&1
    cat $OUT/bench_r50_$p.log | tail -4
done
echo "-- PyTorch $(el)"
timeout 150 python3 bench/cuda/torch_peer.py --out $OUT/torch_peer.json --batches 1,256 \
    --compile-mode ${COMPILE_MODE:-default}
echo "== done $(el)"
