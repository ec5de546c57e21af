#!/usr/bin/env bash
# The PP-OCRv4 text detector (../shared/fixtures/models/paddleocr) on the CPU at 1x3x640x640
# (issue 18, part 4): calib8 FP32 and INT8 on `--device cpu` (oneDNN) beside ONNX Runtime on the
# FP32 model and on calib8's Q/DQ export of the same cache, one thread and all cores, batch 1
# (a 640x640 page is 0.3-1 s of work here; batch 64 would be minutes per row). The INT8 plan
# uses an entropy cache of 8 rendered 640x640 pages (PIL, DejaVu Sans: Debian's
# fonts-dejavu-core), ImageNet normalization as PaddleOCR does. Prints one Markdown table row per
# engine and thread count, and how many INT8 convolutions took the integer route.
#   bench/engine/bench_det_cpu.sh [CALIB8] [ITERATIONS]
# Exit 77 where the model, PIL or the font is missing.
set -euo pipefail
c8=${1:-build/calib8}
iters=${2:-10}
src=$(cd "$(dirname "$0")/../.." && pwd)
model=${C8_SHARED_DIR:-$src/../shared}/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
[ -f "$model" ] || { echo "SKIP: $model missing"; exit 77; }
[ -f "$font" ] || { echo "SKIP: $font missing (fonts-dejavu-core)"; exit 77; }
/usr/bin/python3 -c 'import PIL' 2>/dev/null || { echo "SKIP: PIL not importable"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/pages" "$font" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw, ImageFont
random.seed(11)
out, font = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for i in range(8):
    im = Image.new("RGB", (640, 640), (random.randint(190, 255),) * 3)
    d = ImageDraw.Draw(im)
    for j in range(9):
        f = ImageFont.truetype(font, random.randint(18, 40))
        d.text((random.randint(0, 300), 20 + j * 68), "calib8 page %d line %d: %d" % (i, j, random.randint(0, 99999)),
               fill=(random.randint(0, 70),) * 3, font=f)
    im.save(os.path.join(out, "%d.png" % i))
PY
pre=(--channels rgb --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225)
shape=(--shape x:1x3x640x640)
all=$(nproc)
"$c8" calibrate --model "$model" --data "$work/pages" "${pre[@]}" "${shape[@]}" --batch 1 \
    --cache "$work/det.cache" --quiet >/dev/null
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'); flags: $(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "oneDNN: $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo '?'); date: $(date -u +%Y-%m-%d)"
echo
echo "| model | precision | engine | threads | batch | images/s | median ms |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for prec in fp32 int8; do
    calib=()
    [ "$prec" = int8 ] && calib=(--calib "$work/det.cache")
    "$c8" build --model "$model" --precision "$prec" "${calib[@]}" "${shape[@]}" --device cpu \
        --plan "$work/$prec.plan" >/dev/null
    for t in 1 "$all"; do
        "$c8" bench --plan "$work/$prec.plan" --batch 1 --iterations "$iters" --warmup 2 \
            --threads "$t" |
            awk -v p="$prec" -v t="$t" \
                '$1 == "1" { printf "| PP-OCRv4 det 640x640 | %s | calib8 cpu | %s | 1 | %s | %s |\n", p, t, $2, $3 }'
    done
done
# the INT8 convolutions oneDNN runs (the integer route is chosen per run, for inputs with no
# negative value; the float32 route otherwise)
"$c8" inspect --plan "$work/int8.plan" | awk '/dnnl:conv int8/ { n++ } END { printf "\nINT8 convolutions on oneDNN: %d\n", n }'
ortpath=${C8_ORT_PYTHONPATH:-$src/.deps/ort}
if PYTHONPATH=$ortpath /usr/bin/python3 -c 'import numpy, onnxruntime' >/dev/null 2>&1; then
    # calib8's Q/DQ export needs opset 13 (per-channel DequantizeLinear); the detector is opset
    # 11: where the export refuses, the model is upgraded with onnx.version_converter (as the
    # error message says), calibrated again on the same pages and exported from that
    qdq=$work/det.qdq.onnx
    if ! "$c8" export-qdq --model "$model" --calib "$work/det.cache" --out "$qdq" >/dev/null \
        2>"$work/qdq.err"; then
        echo
        echo "export-qdq: $(tail -1 "$work/qdq.err")"
        if /usr/bin/python3 -c "import onnx; from onnx import version_converter as v; \
onnx.save(v.convert_version(onnx.load('$model'), 13), '$work/det13.onnx')" 2>>"$work/qdq.err" &&
            "$c8" calibrate --model "$work/det13.onnx" --data "$work/pages" "${pre[@]}" "${shape[@]}" \
                --batch 1 --cache "$work/det13.cache" --quiet >/dev/null &&
            "$c8" export-qdq --model "$work/det13.onnx" --calib "$work/det13.cache" --out "$qdq" \
                >/dev/null 2>>"$work/qdq.err"; then
            echo "export-qdq: from the model upgraded to opset 13 (onnx.version_converter)"
            cmp -s <(grep -v '^TRT' "$work/det.cache") <(grep -v '^TRT' "$work/det13.cache") &&
                echo "(its cache's scales equal the opset-11 model's)"
        else
            qdq=""
        fi
    fi
    echo
    PYTHONPATH=$ortpath /usr/bin/python3 - "$model" "$iters" "$all" "$qdq" <<'PY'
import sys, time, numpy as np, onnxruntime as ort
fp32, iters, all_threads, qdq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
x = np.random.default_rng(1).standard_normal((1, 3, 640, 640)).astype(np.float32)
for prec, path in (("fp32", fp32), ("int8 (Q/DQ)", qdq)):
    if not path:
        continue
    for threads in (1, all_threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3  # (its notes on initializers its own fusions leave unread)
        s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        name = s.get_inputs()[0].name
        for _ in range(2):
            s.run(None, {name: x})
        t = []
        for _ in range(iters):
            t0 = time.perf_counter()
            s.run(None, {name: x})
            t.append(time.perf_counter() - t0)
        print(f"| PP-OCRv4 det 640x640 | {prec} | onnxruntime {ort.__version__} | {threads} | 1 | {1 / np.mean(t):.2f} | {float(np.median(t)) * 1e3:.1f} |")
PY
fi
