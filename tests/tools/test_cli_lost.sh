#!/usr/bin/env bash
# "Nothing lost, part II" (issue 15): what the CLI promises about its inputs, outputs, options,
# NaN/Inf and messages (docs/cli.md). Each check names the issue's point it covers.
#   test_cli_lost.sh CALIB8 SOURCE_DIR WORK_DIR
# Needs Fashion-MNIST from Debian's dataset-fashion-mnist (exit 77, skipped, without it).
set -u
c8=$1
src=$2
w=$3
. "$(dirname "$0")/cli_check.sh"
lacks() { # lacks DESCRIPTION PHRASE -- command...: the output must not hold PHRASE
    local what=$1 phrase=$2
    shift 3
    if "$@" 2>&1 | grep -qF -- "$phrase"; then
        echo "FAIL: $what: output holds '$phrase'"; fails=$((fails + 1)); return
    fi
    pass=$((pass + 1))
}
same() { # same DESCRIPTION FILE COPY: FILE still holds the bytes of COPY
    if cmp -s "$2" "$3"; then pass=$((pass + 1)); else echo "FAIL: $1: $2 changed"; fails=$((fails + 1)); fi
}

# ---------------------------------------------------------------- fixtures
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 20 --out "$w/fm20" --quiet || exit 1
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 20 --out "$w/fm20.h5" --quiet || exit 1
cp "$src/models/fmnist_cnn.onnx" "$w/m.onnx"
cp "$w/m.onnx" "$w/m.orig"
cp "$src/models/fmnist_resnet.onnx" "$w/r.onnx"
d=(--data "$w/fm20" --quiet)
loud=(--data "$w/fm20") # (the "calibrating ..." line is checked: --quiet leaves it out)
"$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/m.cache" >/dev/null || exit 1
"$c8" calibrate --model "$w/r.onnx" "${d[@]}" --cache "$w/r.cache" >/dev/null || exit 1
"$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/m.cache" --plan "$w/m.plan" \
    >/dev/null || exit 1
cp "$w/m.plan" "$w/m.plan.orig"
never="calib8 never writes over its inputs"

# ---------------------------------------------------------------- 1. never over an input
check 2 "1: export-qdq --out MODEL" "--out $w/m.onnx is the same file as --model $w/m.onnx: $never" -- \
    "$c8" export-qdq --model "$w/m.onnx" --calib "$w/m.cache" --out "$w/m.onnx"
check 2 "1: calibrate --cache MODEL" "--cache $w/m.onnx is the same file as --model" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/m.onnx"
check 2 "1: build --plan MODEL" "--plan $w/m.onnx is the same file as --model" -- \
    "$c8" build --model "$w/m.onnx" --plan "$w/m.onnx"
ln -sf m.onnx "$w/link.onnx"
ln -f "$w/m.onnx" "$w/hard.onnx"
check 2 "1: build --plan SYMLINK-TO-MODEL" "is the same file as --model" -- \
    "$c8" build --model "$w/m.onnx" --plan "$w/link.onnx"
check 2 "1: build --plan HARDLINK-OF-MODEL" "is the same file as --model" -- \
    "$c8" build --model "$w/m.onnx" --plan "$w/hard.onnx"
check 2 "1: build --plan DIR/../MODEL" "is the same file as --model" -- \
    "$c8" build --model "$w/m.onnx" --plan "$w/fm20/../m.onnx"
cp "$w/m.onnx" "$w/s.cache.json"
check 2 "1: calibrate's sidecar over the model" "--cache's sidecar $w/s.cache.json is the same file as --model" -- \
    "$c8" calibrate --model "$w/s.cache.json" "${d[@]}" --cache "$w/s.cache"
rm -f "$w/s.cache.json" # (a model, not JSON: the JSON check below reads every *.json)
check 2 "1: calibrate --save-histograms MODEL" "--save-histograms $w/m.onnx is the same file as --model" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/x.cache" --save-histograms "$w/m.onnx"
check 2 "1: calibrate --cache = --save-histograms" "are the same file" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/x.cache" --save-histograms "$w/x.cache"
check 2 "1: calibrate --from-histograms --cache HIST" "--cache $w/m.orig is the same file as --from-histograms" -- \
    "$c8" calibrate --from-histograms "$w/m.orig" --cache "$w/m.orig"
check 2 "1: build --plan CALIB" "--plan $w/m.cache is the same file as --calib" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/m.cache" --plan "$w/m.cache"
check 2 "1: build --plan CALIB's sidecar" "is the same file as --calib's sidecar" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/m.cache" --plan "$w/m.cache.json"
check 2 "1: eval --json PLAN" "--json $w/m.plan is the same file as --plan" -- \
    "$c8" eval --plan "$w/m.plan" "${d[@]}" --json "$w/m.plan"
check 2 "1: eval --json DATA(h5)" "--json $w/fm20.h5 is the same file as --data" -- \
    "$c8" eval --plan "$w/m.plan" --data "$w/fm20.h5" --quiet --json "$w/fm20.h5"
check 2 "1: compare --dump MODEL" "--dump $w/m.onnx is the same file as --model" -- \
    "$c8" compare --model "$w/m.onnx" --calib "$w/m.cache" "${d[@]}" --report "$w/rep" --dump "$w/m.onnx"
check 2 "1: bench --json PLAN" "--json $w/m.plan is the same file as --plan" -- \
    "$c8" bench --plan "$w/m.plan" --json "$w/m.plan" --iterations 1
check 2 "1: dataset export --out DATA" "--out $w/fm20.h5 is the same file as --data" -- \
    "$c8" dataset export --data "$w/fm20.h5" --target 1x28x28 --out "$w/fm20.h5" --quiet
check 2 "1: dataset info --manifest DATA" "--manifest $w/fm20.h5 is the same file as --data" -- \
    "$c8" dataset info --data "$w/fm20.h5" --manifest "$w/fm20.h5"
cp "$idx/t10k-labels-idx1-ubyte.gz" "$w/labels.gz"
check 2 "1: dataset convert --out IDX" "--out $w/labels.gz is the same file as --idx" -- \
    "$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$w/labels.gz" --out "$w/labels.gz"
cp "$w/m.onnx" "$w/g.before.dot"
check 2 "1: inspect --dot over the model" "--dot $w/g.before.dot is the same file as --model" -- \
    "$c8" inspect --model "$w/g.before.dot" --dot "$w/g.dot"
mkdir -p "$w/repin"
cp "$w/m.cache" "$w/repin/report.json"
check 2 "1: build --report over its --calib" "--report $w/repin/report.json is the same file as --calib" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/repin/report.json" --max-drift 1 \
    "${d[@]}" --report "$w/repin" --plan "$w/x.plan"
rm -f "$w/repin/report.json" # (a cache, not JSON: the JSON check below reads every *.json)
# run: an output file (<output-dir>/logits.npy) that is one of the --input files
mkdir -p "$w/runin"
"$c8" dataset export --data "$w/fm20" --images 1 --target 1x28x28 --out "$w/runin/logits.npy" --quiet
cp "$w/runin/logits.npy" "$w/logits.orig"
check 2 "1: run output over its --input" "--output-dir $w/runin/logits.npy is the same file as --input" -- \
    "$c8" run --model "$w/m.onnx" --input "$w/runin/logits.npy" --output-dir "$w/runin"
same "1: run input kept" "$w/runin/logits.npy" "$w/logits.orig"
same "1: model kept" "$w/m.onnx" "$w/m.orig"
same "1: plan kept" "$w/m.plan" "$w/m.plan.orig"

# ---------------------------------------------------------------- 2. outputs and values first
check 2 "2: --trt-version banana" "bad --trt-version" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/x.cache" --trt-version banana
lacks "2: --trt-version refused before any image" "calibrating" -- \
    "$c8" calibrate --model "$w/m.onnx" "${loud[@]}" --cache "$w/x.cache" --trt-version banana
check 2 "2: missing output folder" "the folder $w/nodir does not exist" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/nodir/x.cache"
lacks "2: missing folder refused before any image" "calibrating" -- \
    "$c8" calibrate --model "$w/m.onnx" "${loud[@]}" --cache "$w/nodir/x.cache"
check 2 "2: output in /proc" "--json /proc/e.json: cannot create a file in /proc" -- \
    "$c8" eval --plan "$w/m.plan" "${d[@]}" --json /proc/e.json
lacks "2: /proc refused before any image" "top-1" -- \
    "$c8" eval --plan "$w/m.plan" "${d[@]}" --json /proc/e.json
check 2 "2: output file that is a folder" "--json $w/runin is a directory; a file is expected" -- \
    "$c8" eval --plan "$w/m.plan" "${d[@]}" --json "$w/runin"
check 2 "2: output folder that is a file" "--report $w/m.plan is a file; a folder is expected" -- \
    "$c8" compare --model "$w/m.onnx" --calib "$w/m.cache" "${d[@]}" --report "$w/m.plan"
check 2 "2: run --output-dir that is a file" "--output-dir $w/m.cache is a file; a folder is expected" -- \
    "$c8" run --model "$w/m.onnx" --input "$w/logits.orig" --output-dir "$w/m.cache"
check 1 "2: a missing input is found first" "$w/none.h5: cannot open: No such file or directory (--histograms)" -- \
    "$c8" compare --model "$w/m.onnx" --calib "$w/m.cache" "${d[@]}" --histograms "$w/none.h5" --report "$w/rep"
lacks "2: ... before any image" "top-1" -- \
    "$c8" compare --model "$w/m.onnx" --calib "$w/m.cache" "${d[@]}" --histograms "$w/none.h5" --report "$w/rep"
check 2 "2: bench --json in a missing folder" "does not exist" -- \
    "$c8" bench --plan "$w/m.plan" --json "$w/nodir/b.json" --iterations 1

# ---------------------------------------------------------------- 3. options without effect
check 2 "3: eval --plan --precision" "--precision has no effect with --plan" -- \
    "$c8" eval --plan "$w/m.plan" --precision int8 "${d[@]}"
check 2 "3: eval --plan --calib" "--calib has no effect with --plan" -- \
    "$c8" eval --plan "$w/m.plan" --calib "$w/m.cache" "${d[@]}"
check 2 "3: build --precision fp32 --calib" "--calib has no effect with --precision fp32" -- \
    "$c8" build --model "$w/m.onnx" --precision fp32 --calib "$w/m.cache" --plan "$w/x.plan"
check 2 "3: build --device cpu --tune-batches" "--tune-batches has no effect with --device cpu" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/m.cache" --tune-batches 1,8 \
    --plan "$w/x.plan"
check 2 "3: build --tune-batches descending" "--tune-batches must be ascending" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/m.cache" --device cuda \
    --tune-batches 32,8 --plan "$w/x.plan"
check 2 "3: --algo mse --percentile" "--percentile has no effect: --algo mse" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/x.cache" --algo mse --percentile 99
check 0 "3: --algo percentile --percentile" "" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/x.cache" --algo percentile --percentile 99
check 2 "3: --from-histograms --bins" "--bins has no effect with --from-histograms" -- \
    "$c8" calibrate --from-histograms "$w/h.h5" --cache "$w/x.cache" --bins 128
check 0 "3: --images 500 on 20 images warns" "--images 500, but $w/fm20 has 20 images: all 20 are used" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/x.cache" --images 500
check 0 "3: --images 0 means all" "on 20 images" -- \
    "$c8" calibrate --model "$w/m.onnx" "${loud[@]}" --cache "$w/x.cache" --images 0
check 2 "3: --layer-precision matching nothing" "no layer of $w/m.onnx matches 'conv1'" -- \
    "$c8" build --model "$w/m.onnx" --layer-precision 'conv1:fp32' --plan "$w/x.plan"
check 2 "3: ... listing layer names" "'/conv1/Conv'" -- \
    "$c8" build --model "$w/m.onnx" --layer-precision 'conv1:fp32' --plan "$w/x.plan"
check 0 "3: --layer-precision glob that matches" "wrote" -- \
    "$c8" build --model "$w/m.onnx" --layer-precision '/conv1/*:fp32' --plan "$w/x.plan"
check 2 "3: export-qdq --layer-precision matching nothing" "matches 'fc9'" -- \
    "$c8" export-qdq --model "$w/m.onnx" --calib "$w/m.cache" --layer-precision 'fc9:fp32' --out "$w/q.onnx"
check 2 "3: dataset check --out" "--out has no effect with dataset check" -- \
    "$c8" dataset check --data "$w/fm20" --target 1x28x28 --out "$w/x.npy"
check 2 "3: dataset export --manifest" "--manifest has no effect with dataset export" -- \
    "$c8" dataset export --data "$w/fm20" --target 1x28x28 --out "$w/x.npy" --manifest "$w/x.txt"
check 2 "3: run --plan --no-passes" "--no-passes has no effect with --plan" -- \
    "$c8" run --plan "$w/m.plan" --no-passes --input "$w/logits.orig" --output-dir "$w/o"
check 2 "3: compare --precisions fp32,fp16 --calib" "--calib has no effect" -- \
    "$c8" compare --model "$w/m.onnx" --precisions fp32,fp16 --calib "$w/m.cache" "${d[@]}" --report "$w/rep"

# ---------------------------------------------------------------- 4. NaN / Inf
inf=(--scale 1e39) # 8-bit pixels x 1e39 overflow float32: every non-zero pixel is +Inf
check 1 "4: eval non-finite outputs" "non-finite (NaN/Inf) output values in 20 images; the first: " -- \
    "$c8" eval --model "$w/m.onnx" "${d[@]}" "${inf[@]}"
check 1 "4: eval names the first image" ".png (image 0)" -- \
    "$c8" eval --model "$w/m.onnx" "${d[@]}" "${inf[@]}" --no-shuffle
check 0 "4: eval --allow-nonfinite" "warning" -- \
    "$c8" eval --model "$w/m.onnx" "${d[@]}" "${inf[@]}" --allow-nonfinite
check 1 "4: compare non-finite outputs" "non-finite (NaN/Inf) output values" -- \
    "$c8" compare --model "$w/m.onnx" --calib "$w/m.cache" "${d[@]}" "${inf[@]}" --layer-images 0 \
    --report "$w/nanrep"
[ ! -e "$w/nanrep/report.json" ] && pass=$((pass + 1)) || { echo "FAIL: 4: compare wrote a report"; fails=$((fails + 1)); }
# an input .npy holding +Inf (written by hand: 1x1x28x28 float32)
python3 - "$w/inf.npy" <<'PY'
import struct, sys
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }"
hdr += " " * (118 - len(hdr) - 10) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(struct.pack("<784f", *([float("inf")] * 784)))
PY
check 1 "4: run non-finite outputs" "non-finite (NaN/Inf) output values in 1 image; the first: $w/inf.npy" -- \
    "$c8" run --model "$w/m.onnx" --input "$w/inf.npy" --output-dir "$w/runinf"
[ ! -e "$w/runinf/logits.npy" ] && pass=$((pass + 1)) || { echo "FAIL: 4: run wrote NaN logits"; fails=$((fails + 1)); }
check 0 "4: run --allow-nonfinite" "warning" -- \
    "$c8" run --model "$w/m.onnx" --input "$w/inf.npy" --output-dir "$w/runinf" --allow-nonfinite
check 1 "4: calibrate names the image" "image 0 of the batch: " -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" "${inf[@]}" --cache "$w/x.cache"
check 1 "4: dataset check flags NaN/Inf pixels" "20 images with" -- \
    "$c8" dataset check --data "$w/fm20" --target 1x28x28 "${inf[@]}" --quiet
check 1 "4: ... and the mean" "not finite" -- \
    "$c8" dataset check --data "$w/fm20" --target 1x28x28 "${inf[@]}" --quiet
# HDF5 rows are named by the file and the row, not "<image>" or a bare "/images[3]"
h5=(--data "$w/fm20.h5" --quiet --no-shuffle) # row k is image k
check 1 "4: calibrate names the HDF5 file and row" "image 0 of the batch: $w/fm20.h5:/images[0]" -- \
    "$c8" calibrate --model "$w/m.onnx" "${h5[@]}" "${inf[@]}" --cache "$w/x.cache"
check 1 "4: eval names the HDF5 file and row" "the first: $w/fm20.h5:/images[0] (image 0)" -- \
    "$c8" eval --model "$w/m.onnx" "${h5[@]}" "${inf[@]}"
check 1 "4: dataset check lists HDF5 rows with the file" "[1] $w/fm20.h5:/images[1]: " -- \
    "$c8" dataset check "${h5[@]}" --target 1x28x28 "${inf[@]}"
check 1 "4: a loader error names the HDF5 file and row" "$w/fm20.h5:/images[2]: crop 40x40 is larger than the image (28x28)" -- \
    "$c8" dataset check "${h5[@]}" --target 1x40x40 --crop 40
mkdir -p "$w/mixed"
cp "$w/fm20/0-T-shirt_top/"*.png "$w/mixed/"
echo junk >"$w/mixed/bad1.png"
echo junk >"$w/mixed/bad2.png"
check 1 "4: dataset check lists every bad image (1)" "bad1.png: not a PNG" -- \
    "$c8" dataset check --data "$w/mixed" --target 1x28x28
check 1 "4: dataset check lists every bad image (2)" "bad2.png: not a PNG" -- \
    "$c8" dataset check --data "$w/mixed" --target 1x28x28

# ---------------------------------------------------------------- 5. JSON is valid UTF-8
bad=$w/$'bad\xffname.onnx'
cp "$w/m.onnx" "$bad"
check 0 "5: eval --model bad\\xffname" "top-1" -- \
    "$c8" eval --model "$bad" "${d[@]}" --json "$w/e.json"
check 0 "5: calibrate --model bad\\xffname (sidecar)" "" -- \
    "$c8" calibrate --model "$bad" "${d[@]}" --cache "$w/bad.cache"
check 0 "5: the sidecar reads back (cache check --model)" "ok" -- \
    "$c8" cache check --model "$bad" "$w/bad.cache"
check 0 "5: compare report.json" "" -- \
    "$c8" compare --model "$bad" --calib "$w/bad.cache" "${d[@]}" --layer-images 2 --no-sensitivity \
    --report "$w/"$'rep\xfe'
check 0 "5: bench --json" "" -- "$c8" bench --plan "$w/m.plan" --batch 1 --iterations 2 --warmup 0 --json "$w/b.json"
check 0 "5: run tensors.json" "" -- \
    "$c8" run --model "$bad" --input "$w/logits.orig" --output-dir "$w/"$'dump\xfd' --dump-all
check 0 "5: strict UTF-8 JSON, bytes kept" "all JSON valid" -- python3 - "$w" <<'PY'
import glob, json, os, sys
w = sys.argv[1].encode()
files = [f for f in glob.glob(os.path.join(w, b"**", b"*.json"), recursive=True)]
names = {os.path.basename(f) for f in files}
for want in [b"e.json", b"bad.cache.json", b"report.json", b"b.json", b"tensors.json"]:
    assert want in names, want
for f in files:
    json.loads(open(f, "rb").read().decode("utf-8"))  # strict: raises on invalid UTF-8
e = json.loads(open(os.path.join(w, b"e.json"), "rb").read().decode("utf-8"))
assert e["source"].encode("utf-8", "surrogateescape").endswith(b"bad\xffname.onnx"), e["source"]
print("all JSON valid:", len(files), "files")
PY

# ---------------------------------------------------------------- 6. messages
mkdir -p "$w/bad4"
for i in 1 2 3 4; do echo junk >"$w/bad4/b$i.png"; done
check 1 "6: every image skipped" "all 4 images were skipped: $w/bad4/b" -- \
    "$c8" calibrate --model "$w/m.onnx" --data "$w/bad4" --skip-bad --cache "$w/x.cache" --quiet
cp "$w/r.cache" "$w/nosidecar.cache"
check 0 "6: sidecar-less cache of another model" "has no sidecar" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/nosidecar.cache" --plan "$w/x.plan"
check 0 "6: ... says how many layers fell back" "layers fell back for want of a scale" -- \
    "$c8" build --model "$w/m.onnx" --precision int8 --calib "$w/nosidecar.cache" --plan "$w/x.plan"
check 0 "6: ... in export-qdq too" "not in the model" -- \
    "$c8" export-qdq --model "$w/m.onnx" --calib "$w/nosidecar.cache" --out "$w/x.qdq.onnx"
check 0 "6: ... and in compare" "has no sidecar" -- \
    "$c8" compare --model "$w/m.onnx" --calib "$w/nosidecar.cache" "${d[@]}" \
    --layer-images 0 --report "$w/nosc_report"
lacks "6: a fitting cache without sidecar: no warning" "has no sidecar" -- \
    sh -c "cp '$w/m.cache' '$w/ok.cache' && '$c8' build --model '$w/m.onnx' --precision int8 --calib '$w/ok.cache' --plan '$w/x.plan'"
python3 - "$w/m.plan" "$w/flip.plan" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[10] ^= 1  # format 1 -> 65537
open(sys.argv[2], "wb").write(b)
PY
check 1 "6: flipped plan header byte" "corrupt plan header" -- \
    "$c8" eval --plan "$w/flip.plan" "${d[@]}"
lacks "6: ... is not called newer" "is newer than" -- "$c8" eval --plan "$w/flip.plan" "${d[@]}"
printf 'TRT-8501-EntropyCalibration2\nx: ffc00000\n' >"$w/nan.cache"
check 1 "6: NaN scale ffc00000" "has a NaN scale (ffc00000)" -- "$c8" cache check "$w/nan.cache"
check 1 "6: --max-memory explained" "the memory left for the engine is 203.0 KiB (--max-memory 400.0 KiB minus 197.0 KiB" -- \
    "$c8" eval --model "$w/m.onnx" "${d[@]}" --max-memory 400K --batch 16
"$c8" build --model "$w/r.onnx" --precision int8 --calib "$w/r.cache" --plan "$w/r.plan" >"$w/table.txt"
check 0 "6: layer table counts the hidden reformats" "reformat (not listed unless on the host)" -- cat "$w/table.txt"
check 0 "6: layer table rows 1..N, fixed columns" "table ok" -- python3 - "$w/table.txt" <<'PY'
import sys
rows = [l.rstrip("\n") for l in open(sys.argv[1]) if l[:1].isdigit()]
assert len(rows) > 5, rows
for k, l in enumerate(rows, 1):
    assert l.split()[0] == str(k), (k, l)           # numbered without gaps
    assert l[46] != " " and l[45] == " ", l         # the op column starts at column 47
    assert l[67] != " " and l[66] == " ", l         # the precision column at 68
assert any("..." in l[5:45] for l in rows), "no long fused name was cut"
print("table ok")
PY

# ---------------------------------------------------------------- 7. --quiet
# --quiet leaves out the progress and the opening lines (data, preprocess, "calibrating ...",
# "comparing ..."); the results still print (docs/cli.md)
check 0 "7: calibrate says what it calibrates" "calibrating $w/m.onnx on 20 images of $w/fm20" -- \
    "$c8" calibrate --model "$w/m.onnx" "${loud[@]}" --cache "$w/q1.cache"
check 0 "7: calibrate --quiet still writes and says so" "wrote $w/q2.cache and $w/q2.cache.json" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/q2.cache"
lacks "7: calibrate --quiet: no 'calibrating' line" "calibrating" -- \
    "$c8" calibrate --model "$w/m.onnx" "${d[@]}" --cache "$w/q3.cache"
cmp=(compare --model "$w/m.onnx" --calib "$w/m.cache" --layer-images 0 --precisions fp32,int8)
check 0 "7: compare says what it compares" "comparing $w/m.onnx on 20 images of $w/fm20" -- \
    "$c8" "${cmp[@]}" "${loud[@]}" --report "$w/qr1"
check 0 "7: compare --quiet still prints the drift" "int8  output 'logits' (classes" -- \
    "$c8" "${cmp[@]}" "${d[@]}" --report "$w/qr2"
lacks "7: compare --quiet: no 'comparing' line" "comparing" -- \
    "$c8" "${cmp[@]}" "${d[@]}" --report "$w/qr3"
lacks "7: compare --quiet: no recorded-preprocessing line" "preprocess:" -- \
    "$c8" "${cmp[@]}" "${d[@]}" --report "$w/qr4"
lacks "7: eval --quiet: no data line" "data:" -- "$c8" eval --model "$w/m.onnx" "${d[@]}"

echo "cli-lost: $pass passed, $fails failed"
[ "$fails" = 0 ]
