#!/usr/bin/env bash
# ResNet-50 on the GPU machine (issue 8): calib8 FP32 / FP16 plans vs PyTorch eager at batch 1,
# 8, 64 and 256 in the same run, then calibration speed (entropy, JPEG 224x224 images,
# --preset imagenet) beside ONNX Runtime's quantize_static. Needs the GPU machine's python3
# (torch, onnx, onnxruntime, PIL) and a calib8 built with CUDA.
#
#   bench/cuda/resnet50.sh CALIB8 WORKDIR RESULT_STEM      (run from the repository root)
#
# Writes RESULT_STEM.md / .json (bench/cuda/summarize_resnet50.py); keep them in bench/results/
# named with the device and date. ITERS / WARMUP / CAL_IMAGES / ORT_IMAGES override the counts.
set -uo pipefail
C8=${1:?calib8 binary}
W=${2:?work dir}
STEM=${3:?result stem}
PY=${PY:-python3}
ITERS=${ITERS:-30}
WARMUP=${WARMUP:-10}
CAL_IMAGES=${CAL_IMAGES:-500}
ORT_IMAGES=${ORT_IMAGES:-64}
mkdir -p "$W"
now() { date +%s.%N; }
step() { echo "== $(date +%T) $*"; }

step "export ResNet-50 (random weights)"
[ -f "$W/resnet50.onnx" ] ||
    $PY models/make_resnet50.py --out "$W/resnet50.onnx" --check-batch 1 --bn-warmup 1 || exit 1

step "build plans"
for p in fp32 fp16; do
    $C8 build --model "$W/resnet50.onnx" --precision $p --device cuda --verbose \
        --plan "$W/r50_$p.plan" > "$W/build_$p.log" 2>&1 || { tail -5 "$W/build_$p.log"; exit 1; }
    grep -E "^cuda: FP32|^layers:" "$W/build_$p.log"
done

step "calib8 bench"
$C8 bench --plan "$W/r50_fp32.plan" --batch 1,8,64,256 --iterations $ITERS --warmup $WARMUP \
    --json "$W/c8_fp32.json"
$C8 bench --plan "$W/r50_fp16.plan" --batch 1,8,64,256 --iterations $ITERS --warmup $WARMUP \
    --json "$W/c8_fp16.json"
$C8 bench --plan "$W/r50_fp16.plan" --batch 64,256 --contexts 2 --iterations $ITERS \
    --warmup $WARMUP --json "$W/c8_fp16_ctx2.json"

step "per-op profile at batch 256 (synchronized per node, not a throughput number)"
for p in fp32 fp16; do
    C8_CUDA_PROFILE=1 $C8 bench --plan "$W/r50_$p.plan" --batch 256 --iterations 3 --warmup 1 \
        > /dev/null 2> "$W/profile_$p.txt"
    echo "-- $p"; head -14 "$W/profile_$p.txt"
done

step "PyTorch eager"
$PY bench/cuda/resnet50_torch.py --out "$W/torch.json" --iters $ITERS --warmup $WARMUP

step "calibration images"
[ -d "$W/imgs" ] || $PY bench/cuda/make_images.py --out "$W/imgs" --n $CAL_IMAGES --size 224

step "calib8 calibrate --device cuda ($CAL_IMAGES and $ORT_IMAGES images)"
for n in $CAL_IMAGES $ORT_IMAGES; do
    t0=$(now)
    $C8 calibrate --model "$W/resnet50.onnx" --data "$W/imgs" --preset imagenet --no-shuffle \
        --images $n --batch 50 --algo entropy --device cuda --quiet \
        --cache "$W/r50_$n.cache" > "$W/calib$n.log" 2>&1
    rc=$?
    t1=$(now)
    echo "wall $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s (process, model load included), rc $rc" >> "$W/calib$n.log"
    grep -E "^time:|^calibrated|^wall" "$W/calib$n.log"
done

step "onnxruntime quantize_static (Entropy, $ORT_IMAGES images)"
timeout ${ORT_TIMEOUT:-300} $PY bench/cuda/ort_calib.py --model "$W/resnet50.onnx" \
    --images "$W/imgs" --n $ORT_IMAGES --out "$W/ort.json" || echo "onnxruntime run failed or timed out"

step "summary"
$PY bench/cuda/summarize_resnet50.py --work "$W" --out "$STEM"
