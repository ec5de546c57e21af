#!/usr/bin/env bash
# Issue 19, part 4: the real PP-OCRv4 text recognizer (../shared/fixtures/models/paddleocr, SVTR
# neck: LayerNorm as ReduceMean / Pow / Sqrt, attention MatMuls between activations) loads, and
# its FP32 output equals ONNX Runtime's, and a float64 evaluation's (onnx_f64.py), within 1e-4
# relative on text-line images rendered at height 48 and widths 320 and 160 (the input's W is
# dynamic; criteria in paddleocr_rec_check.py); then an INT8 build with a cache calibrated on 8
# rendered lines builds (the ops without INT8 kernels in FP32, with their reasons) and runs. Exit 77 (skip) where the
# fixture (../shared beside the checkout, or C8_SHARED_DIR), onnxruntime (.deps/ort or
# C8_ORT_PYTHONPATH), numpy or (for the INT8 part) PIL is missing.
# Part 4 proper (issue 19): text lines rendered with Debian's DejaVu fonts and known strings
# (bench/ocr/render_lines.py): FP32 within RTOL of ONNX Runtime and the same argmax at every
# time step on each of C8_REC_LINES lines (default 50, one batched run;
# bench/ocr/paddleocr_rec.sh measures 300), and `build --max-drift --ctc-blank 0` searching on
# the sequence output without labels. Skips (77) without the fonts. Not asserted here: the
# issue's ">= 98% of INT8 strings equal FP32's", which no plan with INT8 layers left reaches on
# the rendered lines (all INT8: 73%; the fallback search on 100 lines, 34 min of CPU, keeps 2
# INT8 layers and gets 95.7% of 300: FP32's own near-ties; bench/ocr and
# bench/results/paddleocr-rec-int8-2026-12-07b.md), so there is no passing assertion to make.
#   test_paddleocr_rec.sh CALIB8 SOURCE_DIR WORK_DIR
set -euo pipefail
c8=$1
src=$2
work=$3
shared=${C8_SHARED_DIR:-$src/../shared}
model=$shared/fixtures/models/paddleocr/ch_PP-OCRv4_rec_infer.onnx
[ -f "$model" ] || { echo "SKIP: $model missing (the PaddleOCR fixtures live in ../shared)"; exit 77; }
ortpath=${C8_ORT_PYTHONPATH:-$src/.deps/ort}
# a Python with numpy and onnxruntime, preferring one that also has PIL (the text lines)
py=
for need in 'numpy, onnxruntime, PIL' 'numpy, onnxruntime'; do
    for cand in python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null &&
            PYTHONPATH=$ortpath "$cand" -c "import $need" >/dev/null 2>&1; then
            py=$cand
            break 2
        fi
    done
done
[ -n "$py" ] || { echo "SKIP: onnxruntime not importable (run tools/install-deps.sh)"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
PYTHONPATH=$ortpath "$py" "$src/tests/engine/paddleocr_rec_check.py" "$c8" "$model" "$work"
# INT8: calibrate on 8 rendered lines, build with the cache; the ops without an INT8 kernel
# (ReduceMean, Pow, Sqrt, ...) and the near-dead filters stay FP32 with their reasons, and the
# plan runs
rc=0
PYTHONPATH=$ortpath "$py" "$src/tests/engine/paddleocr_rec_check.py" "$c8" "$model" "$work" \
    --calibration-images || rc=$?
if [ "$rc" = 77 ]; then
    echo "SKIP: INT8 build: PIL not importable (the calibration images are rendered text lines)"
    exit 77
fi
[ "$rc" = 0 ] || exit 1
pre=(--shape x:1x3x48x320 --channels rgb --scale 1/255 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5)
"$c8" calibrate --model "$model" --data "$work/calib" "${pre[@]}" --batch 1 \
    --cache "$work/rec.cache" --quiet >/dev/null
"$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape x:1x3x48x320 \
    --plan "$work/rec.int8.plan" >"$work/build.txt"
for op in ReduceMean Pow Sqrt; do
    grep -E " $op +fp32 .*no INT8 kernel for $op" "$work/build.txt" >/dev/null ||
        { echo "INT8 build: no FP32 $op layer with its reason"; exit 1; }
done
"$c8" run --plan "$work/rec.int8.plan" --input "x=$work/x0.npy" --output-dir "$work/int8" >/dev/null
grep -E "^layers:" "$work/build.txt"
echo "test_paddleocr_rec: INT8 build with the calibration cache built and ran"
# Drift without labels (issue 20): the output is read as a T x classes sequence; FP32 against
# itself agrees everywhere, INT8 gets the per-position and CTC-decoded string agreement (blank 0)
"$c8" compare --model "$model" --calib "$work/rec.cache" --data "$work/calib" "${pre[@]}" \
    --batch 1 --precisions fp32,int8 --ctc-blank 0 --layer-images 2 --no-sensitivity \
    --report "$work/report" >"$work/compare.txt" || { echo "compare on the recognizer failed"; exit 1; }
"$py" - "$work/report/report.json" <<'PY' || exit 1
import json, sys
rep = json.load(open(sys.argv[1]))
out = rep["drift"]["outputs"][0]
assert out["kind"] == "sequence" and out["shape"][1] == 6625, out
assert {"position_agreement", "string_agreement"} <= set(out["measures"]), out["measures"]
f32, i8 = out["precisions"]["fp32"], out["precisions"]["int8"]
assert f32["position_agreement"] == 100 and f32["string_agreement"] == 100, f32
assert f32["sqnr_db"] == "inf" and f32["max_abs_diff"] == 0, f32
assert 0 <= i8["string_agreement"] <= 100 and i8["positions"] == 40 * rep["drift"]["images"], i8
print("recognizer drift, INT8 vs FP32 on %d lines: position agreement %.2f%%, strings %d of %d"
      % (rep["drift"]["images"], i8["position_agreement"], i8["strings_agree"], rep["drift"]["images"]))
PY
grep -E "position agreement .* string agreement" "$work/compare.txt" ||
    { echo "compare printed no sequence agreement"; exit 1; }

# ---- rendered text lines (part 4 proper)
fonts=/usr/share/fonts/truetype/dejavu
[ -f "$fonts/DejaVuSans.ttf" ] ||
    { echo "SKIP: rendered lines: $fonts missing (fonts-dejavu-core)"; exit 77; }
lines=${C8_REC_LINES:-50}
"$py" "$src/bench/ocr/render_lines.py" "$work/lines" "$lines" 1
PYTHONPATH=$ortpath "$py" "$src/tests/engine/paddleocr_rec_check.py" "$c8" "$model" "$work" \
    --lines "$work/lines" || { echo "FP32 against ONNX Runtime on the rendered lines failed"; exit 1; }
# the fallback search on the recognizer's sequence output (no labels): a target the all-INT8
# plan meets on 8 lines (the 8 calibration lines above), so the search measures FP32 and INT8
# string agreement and stops at step 0 (a real search ranks all 88 INT8 layers: bench/ocr)
"$c8" build --model "$model" --precision int8 --calib "$work/rec.cache" --shape x:1..8x3x48x320 \
    --max-drift 100 --ctc-blank 0 --data "$work/calib" "${pre[@]:2}" --batch 8 \
    --report "$work/fb" --plan "$work/fb.plan" >"$work/fb.txt" ||
    { cat "$work/fb.txt"; echo "build --max-drift --ctc-blank failed"; exit 1; }
grep -E "^fallback search: target drift <= 100 string agreement points on 8 images; FP32 string agreement 100.00%" \
    "$work/fb.txt" >/dev/null || { cat "$work/fb.txt"; echo "no sequence fallback search"; exit 1; }
grep -E "^  step 0: all INT8: string agreement [0-9.]+%, drift [-+0-9.]+ points \(target met\)" \
    "$work/fb.txt" || { cat "$work/fb.txt"; echo "step 0 missing"; exit 1; }
"$py" -c "import json,sys; f=json.load(open(sys.argv[1]))['fallback_search']; \
assert f['measure'] == 'string agreement' and f['fp32_top1'] == 100 and f['met'], f" \
    "$work/fb/report.json" || { echo "fallback report"; exit 1; }
echo "test_paddleocr_rec: rendered lines pass"
