#!/usr/bin/env bash
# PP-OCRv4 text recognizer end to end (issue 19, part 4): FP32 against ONNX Runtime, INT8 built
# with --max-drift against FP32, and both against the rendered strings, on text lines rendered
# with Debian's DejaVu fonts (bench/ocr/render_lines.py: calibration and evaluation sets from
# different seeds). Results: bench/results/paddleocr-rec-int8-*.md.
#   bench/ocr/paddleocr_rec.sh BUILD_DIR WORK_DIR [EVAL_LINES] [CALIB_LINES]
# Needs ../shared/fixtures (or C8_SHARED_DIR), .deps/ort (tools/install-deps.sh), python3-pil and
# fonts-dejavu-core. The dictionary (only for the accuracy against the rendered strings) is
# PaddleOCR's ppocr_keys_v1.txt from the paddleocr 2.7.3 wheel on PyPI, fetched here with pip and
# checked by sha256 (not a test or CI dependency: the tests compare class-index sequences).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
work=${2:-/tmp/c8-ocr-rec}
n_eval=${3:-300}
n_calib=${4:-100}
c8=$build/calib8
py=/usr/bin/python3
shared=${C8_SHARED_DIR:-$src/../shared}
model=$shared/fixtures/models/paddleocr/ch_PP-OCRv4_rec_infer.onnx
[ -f "$model" ] || { echo "no $model (the PaddleOCR fixtures live in ../shared)" >&2; exit 1; }
export PYTHONPATH=$src/.deps/ort
mkdir -p "$work"
cd "$work"

# the dictionary, pinned
wheel_sha=3dd8cbc3c50bc4857a6ae2f38196ebd1e3e16f2030f4771e636ea8473da4f803
keys_sha=28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7
keys=$work/ppocr_keys_v1.txt
dict=()
if [ ! -f "$keys" ]; then
    if "$py" -m pip download --no-deps --only-binary=:all: -d "$work/wheel" paddleocr==2.7.3 \
        >/dev/null 2>&1 &&
        echo "$wheel_sha  $work/wheel/paddleocr-2.7.3-py3-none-any.whl" | sha256sum -c --quiet; then
        unzip -p "$work/wheel/paddleocr-2.7.3-py3-none-any.whl" \
            paddleocr/ppocr/utils/ppocr_keys_v1.txt >"$keys.tmp" && mv "$keys.tmp" "$keys"
    fi
fi
if [ -f "$keys" ] && echo "$keys_sha  $keys" | sha256sum -c --quiet; then
    dict=(--dict "$keys")
else
    echo "warning: no dictionary (pip download failed or the hash differs): no accuracy" \
        "against the rendered strings" >&2
fi

"$py" "$here/render_lines.py" "$work/eval" "$n_eval" 1
"$py" "$here/render_lines.py" "$work/calib" "$n_calib" 2
pre=(--channels rgb --scale 1/255 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5)
shape=x:1..50x3x48x320
t0=$(date +%s.%N)
"$c8" calibrate --model "$model" --data "$work/calib" --shape x:1..8x3x48x320 "${pre[@]}" \
    --batch 8 --images 0 --cache "$work/rec.cache" --quiet >"$work/calibrate.txt"
t1=$(date +%s.%N)
"$c8" build --model "$model" --precision fp32 --shape $shape --plan "$work/fp32.plan" >/dev/null
"$c8" build --model "$model" --precision fp32 --device cpu-ref --shape $shape \
    --plan "$work/fp32-ref.plan" >/dev/null
# every layer the builder can run in INT8; with MAX_DRIFT set, the fallback search on top,
# measured on the calibration lines (never on the evaluation set) with FALLBACK_LINES of them
# (it builds and runs one engine per INT8 layer to rank them: 88 on this model)
"$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape $shape \
    --plan "$work/int8.plan" >"$work/build-int8.txt"
plans=("$work/fp32.plan:fp32-cpu" "$work/fp32-ref.plan:fp32-cpu-ref" "$work/int8.plan:int8-cpu")
if [ -n "${MAX_DRIFT:-}" ]; then
    "$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape $shape \
        --max-drift "$MAX_DRIFT" --ctc-blank 0 --data "$work/calib" "${pre[@]}" --batch 8 \
        --fallback-images "${FALLBACK_LINES:-$n_calib}" --report "$work/fallback" \
        --plan "$work/int8-fb.plan" >"$work/build-int8-fb.txt"
    plans+=("$work/int8-fb.plan:int8-max-drift")
fi
t2=$(date +%s.%N)
echo "## calib8 $(git -C "$src" describe --always --dirty), $(date -u +%Y-%m-%d)"
echo
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
    "ONNX Runtime $("$py" -c 'import onnxruntime; print(onnxruntime.__version__)')" \
    "(CPU provider); lines: $n_eval evaluation (seed 1), $n_calib calibration (seed 2), 48x320"
echo
printf 'calibrate: %.0f s; builds (fp32, fp32 cpu-ref, int8[, the search]): %.0f s\n\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
echo '```'
grep -E "^layers" "$work/build-int8.txt" || true
[ -z "${MAX_DRIFT:-}" ] || grep -E "^fallback|^  step|^layers" "$work/build-int8-fb.txt" || true
"$py" "$here/rec_measure.py" "$c8" "$model" "$work/eval" "$work/measure" "${dict[@]}" "${plans[@]}"
echo '```'
echo
echo "Speed, one line (1x3x48x320), same run: calib8 bench per plan, ONNX Runtime's CPU provider"
echo "(default session options) timed over the same number of runs:"
echo '```'
for p in fp32 int8; do
    echo "calib8 $p:"
    "$c8" bench --plan "$work/$p.plan" --shape x:1x3x48x320 --batch 1 --iterations 30 --warmup 5 |
        tail -n 2
done
"$py" - "$model" <<'PY'
import sys, time
import numpy as np
import onnxruntime as ort
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
x = np.random.default_rng(1).uniform(-1, 1, (1, 3, 48, 320)).astype(np.float32)
for _ in range(5):
    s.run(None, {"x": x})
t = []
for _ in range(30):
    t0 = time.perf_counter()
    s.run(None, {"x": x})
    t.append(time.perf_counter() - t0)
print("ONNX Runtime fp32: median %.2f ms, mean %.2f ms over 30 runs" % (
    1e3 * float(np.median(t)), 1e3 * float(np.mean(t))))
PY
echo '```'
