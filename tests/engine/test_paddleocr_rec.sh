#!/usr/bin/env bash
# Issue 19, part 4: the real PP-OCRv4 text recognizer (../shared/fixtures/models/paddleocr, SVTR
# neck: LayerNorm as ReduceMean / Pow / Sqrt, attention MatMuls between activations) loads, and
# its FP32 output equals ONNX Runtime's within 1e-4 relative on text-line images rendered at
# height 48 and widths 320 and 160 (the input's W is dynamic; criteria in
# paddleocr_rec_check.py). Exit 77 (skip) where the fixture (../shared beside the checkout, or
# C8_SHARED_DIR), onnxruntime (.deps/ort or C8_ORT_PYTHONPATH) or numpy is missing.
#   test_paddleocr_rec.sh CALIB8 SOURCE_DIR WORK_DIR
set -euo pipefail
c8=$1
src=$2
work=$3
shared=${C8_SHARED_DIR:-$src/../shared}
model=$shared/fixtures/models/paddleocr/ch_PP-OCRv4_rec_infer.onnx
[ -f "$model" ] || { echo "SKIP: $model missing (the PaddleOCR fixtures live in ../shared)"; exit 77; }
ortpath=${C8_ORT_PYTHONPATH:-$src/.deps/ort}
py=
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null &&
        PYTHONPATH=$ortpath "$cand" -c 'import numpy, onnxruntime' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
[ -n "$py" ] || { echo "SKIP: onnxruntime not importable (run tools/install-deps.sh)"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
PYTHONPATH=$ortpath "$py" "$src/tests/engine/paddleocr_rec_check.py" "$c8" "$model" "$work"
