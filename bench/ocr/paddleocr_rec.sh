#!/usr/bin/env bash
# PP-OCRv4 text recognizer end to end (issue 19, part 4): FP32 against ONNX Runtime, INT8 built
# with --max-drift against FP32, and both against the rendered strings, on text lines rendered
# with Debian's DejaVu fonts (bench/ocr/render_lines.py: calibration and evaluation sets from
# different seeds). Results: bench/results/paddleocr-rec-int8-*.md.
#   [MAX_DRIFT=2 [FALLBACK_LINES=100] [ADD_BACK=98]] \
#       bench/ocr/paddleocr_rec.sh BUILD_DIR WORK_DIR [EVAL_LINES] [CALIB_LINES]
# (the numbers of bench/results/paddleocr-rec-int8-2026-12-07b.md: MAX_DRIFT=2 ADD_BACK=98)
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
# (it builds and runs one engine per INT8 layer to rank them, 86 on this model, then one verified
# step per layer: MAX_DRIFT=2 FALLBACK_LINES=100 took 34 min on 2 loaded cores)
"$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape $shape \
    --plan "$work/int8.plan" >"$work/build-int8.txt"
plans=("$work/fp32.plan:fp32-cpu" "$work/fp32-ref.plan:fp32-cpu-ref" "$work/int8.plan:int8-cpu")
fb_s=
if [ -n "${MAX_DRIFT:-}" ]; then
    t_fb=$(date +%s.%N)
    "$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape $shape \
        --max-drift "$MAX_DRIFT" --ctc-blank 0 --data "$work/calib" "${pre[@]}" --batch 8 \
        --fallback-images "${FALLBACK_LINES:-$n_calib}" --report "$work/fallback" \
        --plan "$work/int8-fb.plan" >"$work/build-int8-fb.txt"
    plans+=("$work/int8-fb.plan:int8-max-drift")
    fb_s=$(printf '%.0f' "$(echo "$(date +%s.%N) - $t_fb" | bc)")
    # ADD_BACK=PCT: the experiment in the other direction (rec_add_back.py: all FP32, then the
    # INT8 layers back one by one from the last, each kept when the calibration lines still
    # agree on >= PCT%), on the same calibration lines; about 20 min here
    if [ -n "${ADD_BACK:-}" ]; then
        "$py" "$here/rec_add_back.py" "$c8" "$model" "$work/rec.cache" "$work/calib" \
            "$work/fallback/report.json" "$ADD_BACK" "$work/add_back" >"$work/add-back.txt"
        "$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape $shape \
            --layer-precision "$(cat "$work/add_back/add_back.spec")" \
            --plan "$work/int8-add-back.plan" >/dev/null
        plans+=("$work/int8-add-back.plan:int8-add-back")
    fi
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
[ -z "$fb_s" ] || echo "the search (build --max-drift $MAX_DRIFT --ctc-blank 0 on" \
    "${FALLBACK_LINES:-$n_calib} calibration lines): $fb_s s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo '```'
grep -E "^layers" "$work/build-int8.txt" || true
[ -z "${MAX_DRIFT:-}" ] || grep -E "^fallback|^  step|^layers" "$work/build-int8-fb.txt" || true
[ -z "${ADD_BACK:-}" ] || cat "$work/add-back.txt"
"$py" "$here/rec_measure.py" "$c8" "$model" "$work/eval" "$work/measure" "${dict[@]}" "${plans[@]}"
echo '```'
echo
echo "One INT8 quantization per tensor, on FP32 tensors of the first 4 calibration lines:"
echo '```'
"$py" - "$work/calib" "$work/x4.npy" <<'PY'
import os, sys
import numpy as np
from PIL import Image
d = sys.argv[1]
with open(d + ".txt", encoding="utf-8") as f:
    names = [ln.split("\t", 1)[0] for ln in f][:4]
x = np.stack([np.asarray(Image.open(os.path.join(d, n)).convert("RGB"), np.float32) for n in names])
np.save(sys.argv[2], ((x / 255.0 - 0.5) / 0.5).transpose(0, 3, 1, 2).astype(np.float32))
PY
rm -rf "$work/dump4"
"$c8" run --model "$model" --input "x=$work/x4.npy" --output-dir "$work/dump4" --dump-all >/dev/null
"$py" "$here/rec_tensor_sqnr.py" "$work/rec.cache" "$work/dump4" 8
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
