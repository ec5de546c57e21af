#!/usr/bin/env bash
# Preprocessing travels (issue 19, part 5): calibrate records the preprocessing in the cache's
# sidecar, build copies it into the plan, and eval, compare, run (image inputs) and bench use it
# when they are given no preprocessing flags; flags that differ win, with a warning naming both;
# `inspect --plan` shows it; a plan of format 3 (before plans recorded it) still loads.
#   test_cli_preprocess.sh CALIB8 SOURCE_DIR WORK_DIR
# Needs Fashion-MNIST from Debian's dataset-fashion-mnist (exit 77, skipped, without it) and
# /usr/bin/python3 (sidecar JSON, plan bytes).
set -u
c8=$1
src=$2
w=$3
py=/usr/bin/python3
. "$(dirname "$0")/cli_check.sh"
equal() { # equal DESCRIPTION A B
    if [ "$2" = "$3" ] && [ -n "$2" ]; then pass=$((pass + 1)); else
        echo "FAIL: $1: '$2' != '$3'"; fails=$((fails + 1)); fi
}
differ() { # differ DESCRIPTION A B
    if [ "$2" != "$3" ] && [ -n "$2" ] && [ -n "$3" ]; then pass=$((pass + 1)); else
        echo "FAIL: $1: both '$2'"; fails=$((fails + 1)); fi
}
top1() { # the "top-1 ..." line of an eval (stdout only)
    "$c8" eval "$@" 2>/dev/null | grep '^top-1'
}

# ---------------------------------------------------------------- fixtures
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 200 --out "$w/fm" --quiet || exit 1
m=$src/models/fmnist_cnn.onnx
# models/README.md: the preprocessing the model was trained with
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
line="resize=none crop=none channels=gray scale=0.00392156862745098 mean=0.286 std=0.353"
d=(--data "$w/fm" --quiet)
"$c8" calibrate --model "$m" "${d[@]}" --images 100 "${pre[@]}" --cache "$w/m.cache" >/dev/null || exit 1
"$c8" build --model "$m" --precision int8 --calib "$w/m.cache" --plan "$w/m.plan" >"$w/build.txt" || exit 1

# ---------------------------------------------------------------- recorded: sidecar, plan
check 0 "the sidecar records the line" "ok" -- "$py" -c '
import json, sys
p = json.load(open(sys.argv[1]))["preprocessing"]
assert p == sys.argv[2], p
print("ok")' "$w/m.cache.json" "$line"
check 0 "build says where the plan's preprocessing comes from" "preprocess: $line (recorded in $w/m.cache.json)" -- cat "$w/build.txt"
check 0 "inspect --plan shows it" "preprocessing: $line" -- "$c8" inspect --plan "$w/m.plan"
check 0 "inspect --plan --json shows it" "ok" -- "$py" -c '
import json, subprocess, sys
j = json.loads(subprocess.check_output([sys.argv[1], "inspect", "--plan", sys.argv[2], "--json"]))
assert j["preprocessing"] == sys.argv[3], j["preprocessing"]
print("ok")' "$c8" "$w/m.plan" "$line"
"$c8" build --model "$m" --precision int8 --calib "$w/m.cache" --plan "$w/m2.plan" >/dev/null
check 0 "the same inputs give the same plan bytes" "" -- cmp "$w/m.plan" "$w/m2.plan"

# The same plan in format 3 (what calib8 wrote before plans recorded the preprocessing and the
# profiles): the payload without its format-4 tail (the line, then a profile count of 0), the
# format field 3, the length and checksum made anew. The plan must end with exactly the
# recorded line and no profile, or this fails.
check 0 "format-3 copy of the plan" "ok" -- "$py" -c '
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"C8PLAN\r\n" and struct.unpack("<I", b[8:12])[0] == 4, "not a format-4 plan"
tail = sys.argv[2].encode()
tail = struct.pack("<I", len(tail)) + tail + struct.pack("<I", 0)
assert b.endswith(tail), "the plan does not end with the recorded line and no profile"
pl = b[72:-len(tail)]
h = b[:8] + struct.pack("<II", 3, 72) + b[16:32] + struct.pack("<Q", len(pl)) + hashlib.sha256(pl).digest()
open(sys.argv[3], "wb").write(h + pl)
print("ok")' "$w/m.plan" "$line" "$w/old.plan"
check 0 "a format-3 plan loads; nothing recorded" "preprocessing: none recorded" -- "$c8" inspect --plan "$w/old.plan"
check 0 "the committed format-3 plan (calib8 92da0ed) loads" "preprocessing: none recorded" -- \
    "$c8" inspect --plan "$src/tests/engine/data/good_conv_format3.plan"

# ---------------------------------------------------------------- eval
with=$(top1 --plan "$w/m.plan" "${d[@]}" "${pre[@]}")
without=$(top1 --plan "$w/m.plan" "${d[@]}")
equal "eval: no flags = the calibration's flags" "$without" "$with"
wrong=$(top1 --plan "$w/m.plan" "${d[@]}" --scale 1/255)
differ "eval: other flags change top-1 (the test can tell)" "$wrong" "$with"
check 0 "eval: differing flags warn, naming both" \
    "the preprocessing flags give 'resize=none crop=none channels=auto scale=0.00392156862745098 mean=0 std=1', but $w/m.plan records '$line': using the flags" -- \
    "$c8" eval --plan "$w/m.plan" "${d[@]}" --scale 1/255
# flags win: the same engine without a recorded preprocessing (the format-3 copy) agrees
equal "eval: the flags win" "$(top1 --plan "$w/old.plan" "${d[@]}" --scale 1/255)" "$wrong"
equal "eval: an old plan runs with the default preprocessing" \
    "$(top1 --plan "$w/old.plan" "${d[@]}")" "$(top1 --plan "$w/m.plan" "${d[@]}" --preset none)"
check 0 "eval: the same flags do not warn" "" -- bash -c \
    "! \"\$@\" 2>&1 | grep -q warning" _ "$c8" eval --plan "$w/m.plan" "${d[@]}" "${pre[@]}"
check 0 "eval: says where the preprocessing comes from" "preprocess: $line (recorded in $w/m.plan)" -- \
    "$c8" eval --plan "$w/m.plan" --data "$w/fm"
equal "eval --model --calib: the sidecar's preprocessing" \
    "$(top1 --model "$m" --precision int8 --calib "$w/m.cache" "${d[@]}")" "$with"

# ---------------------------------------------------------------- build with flags
check 0 "build: differing flags warn, naming both" "but $w/m.cache.json records '$line': using the flags" -- \
    "$c8" build --model "$m" --precision int8 --calib "$w/m.cache" --plan "$w/f.plan" --scale 1/255
check 0 "build: the flags are recorded" \
    "preprocessing: resize=none crop=none channels=auto scale=0.00392156862745098 mean=0 std=1" -- \
    "$c8" inspect --plan "$w/f.plan"
"$c8" build --model "$m" --plan "$w/fp32.plan" "${pre[@]}" >/dev/null
check 0 "build fp32 with flags records them" "preprocessing: $line" -- "$c8" inspect --plan "$w/fp32.plan"

# ---------------------------------------------------------------- compare
cmp_lines() { "$c8" compare --model "$m" --calib "$w/m.cache" --data "$w/fm" --images 60 --quiet \
    --precisions fp32,int8 --layer-images 0 --report "$w/$1" "${@:2}" 2>&1 | grep -E '^(fp32|int8) '; }
cw=$(cmp_lines rep1 "${pre[@]}")
cn=$(cmp_lines rep2)
equal "compare: no flags = the calibration's flags" "$cn" "$cw"
differ "compare: other flags change the result" "$(cmp_lines rep3 --scale 1/255)" "$cw"
check 0 "compare: differing flags warn" "but $w/m.cache.json records '$line': using the flags" -- \
    "$c8" compare --model "$m" --calib "$w/m.cache" --data "$w/fm" --images 20 --quiet \
    --precisions fp32,int8 --layer-images 0 --report "$w/rep4" --scale 1/255
check 0 "compare: the report names the preprocessing used" "| preprocessing | $line |" -- cat "$w/rep2/report.md"

# ---------------------------------------------------------------- run with an image
img=$(find "$w/fm" -name "*.png" | LC_ALL=C sort | head -1)
"$c8" run --plan "$w/m.plan" --input "$img" --output-dir "$w/r1" >/dev/null
"$c8" run --plan "$w/m.plan" --input "$img" --output-dir "$w/r2" "${pre[@]}" >/dev/null
"$c8" run --plan "$w/m.plan" --input "$img" --output-dir "$w/r3" --scale 1/255 >/dev/null 2>&1
check 0 "run: an image without flags = with the calibration's flags" "" -- cmp "$w/r1/logits.npy" "$w/r2/logits.npy"
check 1 "run: other flags give other logits" "differ" -- cmp "$w/r1/logits.npy" "$w/r3/logits.npy"
# the image input equals the data set's own preprocessing of that image
"$c8" dataset export --data "$w/fm" --no-shuffle --images 1 --target 1x28x28 "${pre[@]}" \
    --out "$w/x.npy" --quiet
check 0 "run: the image's tensor = dataset export's" "" -- bash -c \
    "\"\$1\" run --plan \"\$2\" --input \"\$3\" --output-dir \"\$4/r4\" >/dev/null && cmp \"\$4/r4/logits.npy\" \"\$4/r1/logits.npy\"" \
    _ "$c8" "$w/m.plan" "$w/x.npy" "$w"
check 0 "run: differing flags warn" "records '$line': using the flags" -- \
    "$c8" run --plan "$w/m.plan" --input "$img" --output-dir "$w/r5" --scale 1/255
check 2 "run: preprocessing flags without an image" "no --input is an image" -- \
    "$c8" run --plan "$w/m.plan" --input "$w/x.npy" --output-dir "$w/r6" --scale 1/255

# ---------------------------------------------------------------- bench
"$c8" bench --plan "$w/m.plan" --batch 2 --iterations 1 --warmup 0 --json "$w/b1.json" >/dev/null
"$c8" bench --plan "$w/old.plan" --batch 2 --iterations 1 --warmup 0 --json "$w/b2.json" >/dev/null
check 0 "bench: random pixels through the recorded preprocessing" "ok" -- "$py" -c '
import json, sys
a, b = (json.load(open(f))["input_preprocessing"] for f in sys.argv[1:3])
assert a == sys.argv[3] and b == "", (a, b)
print("ok")' "$w/b1.json" "$w/b2.json" "$line"
check 0 "bench: differing flags warn" "records '$line': using the flags" -- \
    "$c8" bench --plan "$w/m.plan" --batch 1 --iterations 1 --warmup 0 --scale 1/255

echo "cli-preprocess: $pass passed, $fails failed"
[ "$fails" = 0 ]
