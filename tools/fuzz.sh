#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) and runs one.
#   tools/fuzz.sh NAME SECONDS     e.g. tools/fuzz.sh cache 600
#   tools/fuzz.sh --list           the targets
# Needs clang and libclang-rt-14-dev (libFuzzer's runtime ships in it on Debian 12). Warnings are
# not errors here: -DC8_WERROR=ON is checked by the gcc builds, and clang warns about other things.
# The run starts from fuzz/corpus/NAME (committed seeds), fuzz/regressions/NAME (earlier crashes)
# and the seeds fuzz/make_corpus.sh makes; new inputs go to $C8_FUZZ_DIR/corpus/NAME, crashing
# inputs to $C8_FUZZ_DIR/artifacts/NAME/ (copy them to fuzz/regressions/NAME/ once fixed, so the
# replay test keeps them fixed). The log is $C8_FUZZ_DIR/logs/NAME.log; the last lines printed
# are libFuzzer's final statistics (executions, exec/s, coverage).
#   C8_FUZZ_DIR (default build-fuzz), C8_JOBS (build parallelism, default 2),
#   C8_FUZZ_ARGS (extra libFuzzer flags), C8_FUZZ_NO_BUILD (skip the build step).
set -euo pipefail
cd "$(dirname "$0")/.."
targets="onnx cache sidecar json plan histfile png jpeg list npy h5dataset"
if [ "${1:-}" = "--list" ]; then
    echo "$targets"
    exit 0
fi
if [ $# -ne 2 ] || ! [[ " $targets " == *" $1 "* ]] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "usage: tools/fuzz.sh NAME SECONDS   (NAME: ${targets// /, })" >&2
    exit 2
fi
name=$1
secs=$2
dir=${C8_FUZZ_DIR:-build-fuzz}
command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed" >&2; exit 1; }
if [ ! -f "$dir/CMakeCache.txt" ]; then
    CC=clang cmake -S . -B "$dir" -DC8_BUILD_FUZZERS=ON -DC8_ASAN=ON -DC8_UBSAN=ON \
        -DC8_CUDA=OFF -DC8_BUILD_TESTS=OFF -DC8_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        >/dev/null
fi
# C8_FUZZ_NO_BUILD=1: use the binaries as they are (a driver running several targets at once
# builds first, so two builds never share the folder).
[ -n "${C8_FUZZ_NO_BUILD:-}" ] ||
    cmake --build "$dir" -j "${C8_JOBS:-2}" --target "fuzz_$name" calib8 >/dev/null
corpus="$dir/corpus/$name"
seeds="$dir/seeds/$name"
mkdir -p "$corpus" "$dir/artifacts/$name" "$dir/logs" fuzz/corpus/"$name" fuzz/regressions/"$name"
[ -d "$seeds" ] || bash fuzz/make_corpus.sh "$name" "$seeds" "$dir/calib8" || mkdir -p "$seeds"
# Leak checking stays on, except for memory libhdf5 loses by itself (fuzz/lsan.supp).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp}
# The HDF5 targets parse files with libhdf5, which is not robust against corrupt files (it hangs
# or crashes inside its own code on some: docs/reliability.md). Those run in fork mode, which
# records such inputs and carries on, so the whole time is spent fuzzing.
mode=()
case "$name" in
histfile | h5dataset) mode=(-fork=1 -ignore_timeouts=1 -ignore_crashes=1 -ignore_ooms=1) ;;
esac
log="$dir/logs/$name.log"
echo "fuzz.sh: $name for $secs s (log $log)"
set +e
"$dir/fuzz_$name" -max_total_time="$secs" -timeout=30 -rss_limit_mb=3072 -max_len=262144 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name/" "${mode[@]}" ${C8_FUZZ_ARGS:-} \
    "$corpus" fuzz/corpus/"$name" fuzz/regressions/"$name" "$seeds" >"$log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+.*(DONE|INITED)|^stat::|^#[0-9]+: cov:' "$log" | tail -n 8
crashes=$(ls "$dir/artifacts/$name" | wc -l)
echo "fuzz.sh: $name: exit $rc, $crashes crashing input(s) in $dir/artifacts/$name/"
exit $rc
