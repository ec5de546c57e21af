#!/usr/bin/env bash
# Optimization profiles at the command line (issue 19 part 1): --shape NAME:DIMS with fixed
# extents, MIN..MAX and MIN..OPT..MAX, trtexec's --minShapes/--optShapes/--maxShapes/--shapes,
# bad spellings refused with the reason; --batch independent of the profile (a partial last
# batch inside it works, one outside is refused before any work, naming both); bench --shape.
#   test_cli_profile.sh CALIB8 SOURCE_DIR WORK_DIR
# Needs Fashion-MNIST from Debian's dataset-fashion-mnist (exit 77, skipped, without it).
set -u
c8=$1
src=$2
w=$3
. "$(dirname "$0")/cli_check.sh"
equal() { # equal DESCRIPTION A B
    if [ "$2" = "$3" ] && [ -n "$2" ]; then pass=$((pass + 1)); else
        echo "FAIL: $1: '$2' != '$3'"; fails=$((fails + 1)); fi
}

"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --builtin-classes fashion-mnist --limit 100 --out "$w/fm" --quiet || exit 1
m=$src/models/fmnist_cnn.onnx
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
d=(--data "$w/fm" --quiet "${pre[@]}")

# ---------------------------------------------------------------- spellings
check 0 "MIN..OPT..MAX" "profile: input 'input' 1..4..8x1x28x28" -- \
    "$c8" build --model "$m" --shape input:1..4..8x1x28x28 --plan "$w/p.plan"
check 0 "MIN..MAX (the optimum is the maximum)" "profile: input 'input' 2..8x1x28x28" -- \
    "$c8" build --model "$m" --shape input:2..8x1x28x28 --plan "$w/q.plan"
check 0 "a range with min = max is a fixed extent" "1x28x28" -- \
    "$c8" inspect --model "$m" --shape input:3..3x1x28x28
check 0 "trtexec spellings" "wrote" -- "$c8" build --model "$m" --minShapes=input:1x1x28x28 \
    --optShapes=input:2x1x28x28 --maxShapes input:8x1x28x28 --plan "$w/t.plan"
check 0 "trtexec spellings: the plan's profile" '"input": "1..2..8x1x28x28"' -- \
    "$c8" inspect --plan "$w/t.plan" --json
check 0 "--optShapes defaults to --maxShapes" "profile: input 'input' 1..8x1x28x28" -- \
    "$c8" build --model "$m" --minShapes input:1x1x28x28 --maxShapes input:8x1x28x28 --plan "$w/u.plan"
check 0 "--shapes is --shape" "wrote" -- "$c8" build --model "$m" --shapes input:5x1x28x28 --plan "$w/f5.plan"
check 0 "inspect --plan prints the profile" "profile: input 'input' 1..4..8x1x28x28" -- \
    "$c8" inspect --plan "$w/p.plan"
bad() { # bad FLAG VALUE PHRASE
    check 2 "bad $1 '$2'" "$3" -- "$c8" inspect --model "$m" "$1" "$2"
}
bad --shape "input:" "no extents"
bad --shape "input:4..2x1x28x28" "bad --shape 'input:4..2x1x28x28': extent '4..2' needs MIN <= OPT <= MAX"
bad --shape "input:1..8..4x1x28x28" "extent '1..8..4' needs MIN <= OPT <= MAX"
bad --shape "input:1...3x1x28x28" "extent '1...3' is not N, MIN..MAX or MIN..OPT..MAX"
bad --shape "input:1..2..3..4x1x28x28" "extent '1..2..3..4' is not N"
bad --shape "input:..4x1x28x28" "extent '..4' is not N"
bad --shape "input:0x1x28x28" "extent '0' is not N"
bad --shape "input:1xx28x28" "an empty extent"
bad --shape "input:-1x1x28x28" "extent '-1' is not N"
bad --maxShapes "input:1..8x1x28x28" "give fixed extents (the range comes from --minShapes and --maxShapes)"
check 2 "--shape twice" "the shape of input 'input' is given twice" -- \
    "$c8" inspect --model "$m" --shape input:1x1x28x28 --shape input:2x1x28x28
check 2 "--shape and --minShapes for one input" "given twice" -- \
    "$c8" inspect --model "$m" --shape input:1x1x28x28 --minShapes input:2x1x28x28
check 2 "--minShapes alone" "input 'input': --minShapes and --maxShapes go together (given: --minShapes)" -- \
    "$c8" inspect --model "$m" --minShapes input:1x1x28x28
check 2 "--minShapes / --maxShapes of different ranks" "different ranks" -- \
    "$c8" inspect --model "$m" --minShapes input:1x1x28 --maxShapes input:8x1x28x28
check 1 "a profile that changes a fixed extent" "extent 1 is fixed at 1 in the model" -- \
    "$c8" inspect --model "$m" --shape input:1..8x1..3x28x28

# ---------------------------------------------------------------- --batch and the profile
top1() { "$c8" eval "$@" 2>/dev/null | grep '^top-1'; }
"$c8" build --model "$m" --plan "$w/plain.plan" >/dev/null
# 100 images in batches of 8: the last batch holds 4, inside 1..4..8
equal "eval: a partial last batch inside the profile" \
    "$(top1 --plan "$w/p.plan" "${d[@]}" --batch 8)" "$(top1 --plan "$w/plain.plan" "${d[@]}" --batch 8)"
equal "eval: batch 1 inside the profile" \
    "$(top1 --plan "$w/p.plan" "${d[@]}" --batch 1)" "$(top1 --plan "$w/plain.plan" "${d[@]}" --batch 8)"
check 2 "eval: --batch above the profile, before any work" \
    "$w/p.plan: --batch 16 is outside the profile's batch range 1..8 of input 'input'" -- \
    "$c8" eval --plan "$w/p.plan" "${d[@]}" --batch 16
check 2 "eval: a last batch below the profile" "the last batch would hold 4 of 100 images, below the profile's batch range 5..8" -- \
    bash -c '"$1" build --model "$2" --shape input:5..8x1x28x28 --plan "$3/r.plan" >/dev/null && "$1" eval --plan "$3/r.plan" --data "$3/fm" --quiet --batch 8' _ "$c8" "$m" "$w"
check 2 "eval: a fixed batch and a partial last batch" "the last batch would hold 4 of 100 images, but input 'input' has a fixed batch of 8" -- \
    "$c8" eval --model "$m" --shape input:8x1x28x28 "${d[@]}" --batch 8
check 2 "eval: a fixed batch other than --batch" "--batch 4, but input 'input' has a fixed batch of 5" -- \
    "$c8" eval --plan "$w/f5.plan" "${d[@]}" --batch 4
# calibration does not depend on the batching: a profile and batches of 8 (last 4) give the
# cache of the dynamic model in batches of 32 (last 4)
"$c8" calibrate --model "$m" "${d[@]}" --cache "$w/a.cache" >/dev/null
"$c8" calibrate --model "$m" "${d[@]}" --shape input:1..8x1x28x28 --batch 8 --cache "$w/b.cache" >/dev/null
check 0 "calibrate: a profile and a partial last batch, the same cache" "" -- cmp "$w/a.cache" "$w/b.cache"
check 2 "calibrate: --batch above the profile" "--batch 32 is outside the profile's batch range 1..8" -- \
    "$c8" calibrate --model "$m" "${d[@]}" --shape input:1..8x1x28x28 --cache "$w/c.cache"
check 0 "compare: a profile and a partial last batch" "wrote" -- "$c8" compare --model "$m" \
    --calib "$w/a.cache" "${d[@]}" --shape input:1..8x1x28x28 --batch 8 --precisions fp32,int8 \
    --layer-images 0 --report "$w/rep"
check 2 "compare: --batch above the profile" "outside the profile's batch range" -- \
    "$c8" compare --model "$m" --calib "$w/a.cache" "${d[@]}" --shape input:1..8x1x28x28 \
    --batch 9 --precisions fp32,int8 --layer-images 0 --report "$w/rep2"

# ---------------------------------------------------------------- run and bench
"$c8" dataset export --data "$w/fm" --no-shuffle --images 3 --target 1x28x28 "${pre[@]}" \
    --out "$w/x3.npy" --quiet
"$c8" dataset export --data "$w/fm" --no-shuffle --images 9 --target 1x28x28 "${pre[@]}" \
    --out "$w/x9.npy" --quiet
check 0 "run: a batch of 3 inside the profile" "logits ->" -- \
    "$c8" run --plan "$w/p.plan" --input "$w/x3.npy" --output-dir "$w/o1"
"$c8" run --plan "$w/plain.plan" --input "$w/x3.npy" --output-dir "$w/o2" >/dev/null
check 0 "run: the same logits as the plan without a profile" "" -- cmp "$w/o1/logits.npy" "$w/o2/logits.npy"
check 1 "run: a batch of 9 outside the profile, naming both" \
    "input 'input' has shape 9x1x28x28, outside the profile 1..4..8x1x28x28 (extent 0: 9 is above 8)" -- \
    "$c8" run --plan "$w/p.plan" --input "$w/x9.npy" --output-dir "$w/o3"
check 1 "run --model: a batch outside the --shape range" "outside the profile 1..8x1x28x28" -- \
    "$c8" run --model "$m" --shape input:1..8x1x28x28 --input "$w/x9.npy" --output-dir "$w/o4"
check 0 "run --model: a batch inside the --shape range" "logits ->" -- \
    "$c8" run --model "$m" --shape input:1..8x1x28x28 --input "$w/x3.npy" --output-dir "$w/o5"
check 0 "run --model with a range: the plan's logits" "" -- cmp "$w/o5/logits.npy" "$w/o2/logits.npy"
check 0 "bench --shape inside the profile" "batch" -- \
    "$c8" bench --plan "$w/p.plan" --shape input:3x1x28x28 --iterations 1 --warmup 0 --json "$w/b.json"
check 0 "bench --shape: its batch measured" '"batch": 3' -- cat "$w/b.json"
check 1 "bench --shape outside the profile" "outside the profile 1..4..8x1x28x28" -- \
    "$c8" bench --plan "$w/p.plan" --shape input:9x1x28x28 --iterations 1 --warmup 0
check 2 "bench --shape with a range" "--shape takes fixed extents here" -- \
    "$c8" bench --plan "$w/p.plan" --shape input:1..3x1x28x28 --iterations 1 --warmup 0
# --io device keeps inputs on a GPU; a CPU plan has nothing to upload and runs as host
check 2 "bench --io with a bad mode" "--io takes host or device, not 'gpu'" -- \
    "$c8" bench --plan "$w/p.plan" --io gpu --iterations 1 --warmup 0
check 0 "bench --io device on a CPU plan" "batch" -- \
    "$c8" bench --plan "$w/p.plan" --batch 2 --io device --iterations 2 --warmup 0 --json "$w/b2.json"
check 0 "bench --io device on a CPU plan: recorded as host" '"io": "host"' -- cat "$w/b2.json"

echo "cli-profile: $pass passed, $fails failed"
[ "$fails" = 0 ]
