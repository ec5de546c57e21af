#!/usr/bin/env bash
# The calib8 CLI's contract: every subcommand answers --help (exit 0); usage errors exit 2;
# bad input exits 1 with a message naming the file; outputs are written atomically.
#   test_cli.sh CALIB8 SOURCE_DIR WORK_DIR
set -u
c8=$1
src=$2
work=$3
data=$src/tests/engine/data
w=$work
needs_fmnist=0
# shellcheck source=cli_check.sh
. "$(dirname "$0")/cli_check.sh"
skipped=0

for cmd in run inspect calibrate build eval export-qdq cache dataset compare version; do
    check 0 "$cmd --help" "usage" -- "$c8" "$cmd" --help
done
check 0 "top-level help" "commands:" -- "$c8" --help
check 0 "compare --help: --map-threshold" "--map-threshold T" -- "$c8" compare --help
check 0 "compare --help: --ctc-blank" "--ctc-blank N" -- "$c8" compare --help
check 2 "compare bad --map-threshold" "bad --map-threshold" -- "$c8" compare --map-threshold x
check 2 "compare bad --ctc-blank" "bad --ctc-blank" -- "$c8" compare --ctc-blank -1
check 2 "compare bad --output-kind" "bad --output-kind" -- "$c8" compare --output-kind maps
check 2 "no command" "usage" -- "$c8"
check 2 "unknown command" "unknown command" -- "$c8" frobnicate
check 2 "run without --model" "one of --model, --plan" -- "$c8" run --input x.npy --output-dir "$work"
check 2 "unknown option" "unknown option" -- "$c8" inspect --model "$data/good_conv.onnx" --bogus
check 2 "bad --shape" "bad --shape" -- "$c8" inspect --model "$data/good_conv.onnx" --shape 1xZ
check 1 "truncated model" "truncated.onnx" -- "$c8" inspect --model "$data/truncated.onnx"
check 1 "unknown op" "FooBar (1 node, first 'mystery')" -- "$c8" inspect --model "$data/unknown_op.onnx"
check 1 "missing model" "no_such.onnx" -- "$c8" inspect --model "$data/no_such.onnx"
check 0 "inspect good" "total: 2 nodes" -- "$c8" inspect --model "$data/good_conv.onnx"
check 0 "inspect with --shape" "1x3x5x5" -- "$c8" inspect --model "$data/good_conv.onnx" --shape x:1x2x5x5
check 1 "inspect wrong --shape" "does not fit" -- "$c8" inspect --model "$data/good_conv.onnx" --shape 1x3x5x5

# run: .npy in, .npy out; --dump-all writes every tensor and tensors.json
/usr/bin/python3 - "$work" <<'PY' 2>/dev/null || printf '\x93NUMPY' > "$work/x.npy"
import sys, numpy as np
np.save(sys.argv[1] + "/x.npy", np.linspace(-1, 1, 50, dtype=np.float32).reshape(1, 2, 5, 5))
np.save(sys.argv[1] + "/x64.npy", np.zeros((1, 2, 5, 5)))
PY
if [ -f "$work/x64.npy" ]; then
    check 0 "run" "y -> " -- "$c8" run --model "$data/good_conv.onnx" --input "$work/x.npy" --output-dir "$work/out"
    check 0 "run --dump-all" "tensors dumped" -- "$c8" run --model "$data/good_conv.onnx" --input x="$work/x.npy" --output-dir "$work/dump" --dump-all
    check 0 "tensors.json" '"c": "c.npy"' -- cat "$work/dump/tensors.json"
    check 1 "run float64 input" "must be float32" -- "$c8" run --model "$data/good_conv.onnx" --input "$work/x64.npy" --output-dir "$work/out"
    check 1 "run unknown input name" "no input called 'q'" -- "$c8" run --model "$data/good_conv.onnx" --input q="$work/x.npy" --output-dir "$work/out"
    # a failed run leaves an existing output untouched
    cp "$work/out/y.npy" "$work/y.before"
    check 1 "run truncated model" "truncated.onnx" -- "$c8" run --model "$data/truncated.onnx" --input "$work/x.npy" --output-dir "$work/out"
    check 0 "output untouched" "" -- cmp "$work/out/y.npy" "$work/y.before"
else
    echo "SKIP: run tests (no numpy for /usr/bin/python3)"
    skipped=$((skipped + 1))
fi
check 1 "run missing input file" "nope.npy" -- "$c8" run --model "$data/good_conv.onnx" --input "$work/nope.npy" --output-dir "$work/out"
check 2 "build bad precision" "bad --precision" -- "$c8" build --model "$data/good_conv.onnx" --precision int4 --plan "$work/p.plan"
check 2 "int8 without cache" "--calib" -- "$c8" build --model "$data/good_conv.onnx" --precision int8 --plan "$work/p.plan"
check 0 "build fp32" "wrote" -- "$c8" build --model "$data/good_conv.onnx" --precision fp32 --plan "$work/p.plan"
if [ -f "$work/x.npy" ] && [ -f "$work/out/y.npy" ]; then
    check 0 "run --plan" "y -> " -- "$c8" run --plan "$work/p.plan" --input "$work/x.npy" --output-dir "$work/planout"
    check 0 "plan output equals model output" "" -- cmp "$work/out/y.npy" "$work/planout/y.npy"
fi
check 1 "eval bad plan" "bad magic" -- "$c8" eval --plan "$data/good_conv.onnx" --data "$work"
echo "cli: $pass passed, $fails failed, $skipped part(s) skipped"
[ "$fails" = 0 ] || exit 1
[ "$skipped" = 0 ] || exit 77 # CTest: skipped (SKIP_RETURN_CODE)
