#!/bin/sh
# CLI test for `calib8 cache show|check|diff`: exit codes and key output lines.
# usage: test_cli_cache.sh CALIB8 DATA_DIR SHARED_DIR WORK_DIR
set -u
C8=$1 DATA=$2 SHARED=$3 WORK=$4
fail=0
skipped=0
mkdir -p "$WORK"

# expect CODE PATTERN CMD...: runs CMD, checks its exit code and that its output matches PATTERN
expect() {
    code=$1 pat=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$code" ] || ! printf '%s\n' "$out" | grep -q -e "$pat"; then
        echo "FAIL: $* -> exit $rc (want $code), output:"
        printf '%s\n' "$out"
        echo "(wanted a line matching: $pat)"
        fail=1
    fi
}

S=$DATA/small.cache
expect 0 'TRT-100300-EntropyCalibration2 (TensorRT 10.3.0), 5 tensors' "$C8" cache show "$S"
expect 0 '^images  *0.00784518011  *3c008912  *0.996337874' "$C8" cache show "$S"
expect 0 '^a: b  *1  *3f800000  *127' "$C8" cache show "$S"
expect 0 'ok: TRT-100300-EntropyCalibration2, 5 tensors' "$C8" cache check "$S"
expect 0 'ok:' "$C8" cache check --tensors "$DATA/small.tensors" "$S"
printf 'images\nconv3_out\n' > "$WORK/two.tensors"
expect 1 "tensor 'conv3_out' has no scale in the cache" "$C8" cache check --tensors "$WORK/two.tensors" "$S"
expect 1 "tensor 'a: b' in the cache (line 6) is not in the model" "$C8" cache check --tensors "$WORK/two.tensors" "$S"
expect 1 "and 4 more problems" "$C8" cache check --tensors "$WORK/two.tensors" "$S"
expect 1 "has no scale" "$C8" cache check --allow-extra --tensors "$WORK/two.tensors" "$S"
expect 1 "header says 'EntropyCalibration2' but algorithm 'minmax'" "$C8" cache check --algo minmax "$S"
printf 'TRT-8501-EntropyCalibration2\r\nx: 3f800000\r\n' > "$WORK/crlf.cache"
expect 1 'crlf.cache:1: line ends with CR (CRLF' "$C8" cache check "$WORK/crlf.cache"
printf 'TRT-8501-EntropyCalibration2\nx: 1\ny: 2\nx: 3\n' > "$WORK/dup.cache"
expect 1 "dup.cache:4: duplicate tensor 'x' (first on line 2)" "$C8" cache check "$WORK/dup.cache"
printf 'TRT-8501-EntropyCalibration2\nx: 0\n' > "$WORK/zero.cache"
expect 1 "tensor 'x' (line 2) has a zero scale" "$C8" cache check "$WORK/zero.cache"
expect 1 'cannot open' "$C8" cache show "$WORK/missing.cache"
expect 0 'same scales for all 5 tensors' "$C8" cache diff "$S" "$S"
expect 0 'same scales for all 5 tensors' "$C8" cache diff --exit-code "$S" "$S"
sed -e 's/^images: .*/images: 3c008913/' -e '/^a: b/d' "$S" > "$WORK/other.cache"
printf 'extra: 1\n' >> "$WORK/other.cache"
expect 1 '^images  *0.00784518011  *0.00784518104  *1.19e-07' "$C8" cache diff --exit-code "$S" "$WORK/other.cache"
expect 0 'only in A: a: b' "$C8" cache diff "$S" "$WORK/other.cache"
expect 0 'only in B: extra' "$C8" cache diff "$S" "$WORK/other.cache"
expect 0 '1 scale(s) differ, 1 tensor(s) only in A, 1 only in B' "$C8" cache diff "$S" "$WORK/other.cache"
expect 0 '0 scale(s) differ, 1 tensor(s) only in A' "$C8" cache diff --tol 1e-6 "$S" "$WORK/other.cache"
expect 2 'expected show, check or diff' "$C8" cache
expect 2 'unknown action' "$C8" cache frobnicate
expect 2 'diff takes two files' "$C8" cache diff "$S"
expect 2 "unknown algorithm 'kl'" "$C8" cache check --algo kl "$S"
expect 0 'usage: calib8 cache show FILE' "$C8" cache --help
expect 0 'usage: calib8 cache show FILE' "$C8" cache check --help

# the real TensorRT caches, when ../shared is there
F=$SHARED/fixtures/trt-caches
if [ -d "$F" ]; then
    for c in "$F"/*.cache; do
        expect 0 'ok: TRT-' "$C8" cache check "$c"
    done
    expect 0 '(TensorRT 8.5.1), 126 tensors' "$C8" cache show "$F/retinaplate-trt8501-entropy2.cache"
    expect 0 '^prob  *0.00787593797  *3c010a14  *1.00024412' "$C8" cache show "$F/mnist-sampleint8-trt7000-entropy2.cache"
else
    echo "SKIP: fixture part: $F is absent"
    skipped=1
fi

[ $fail -eq 0 ] || exit 1
[ $skipped -eq 0 ] || exit 77 # CTest: skipped (SKIP_RETURN_CODE)
echo "test_cli_cache: all passed"
