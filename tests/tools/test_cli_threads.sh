#!/usr/bin/env bash
# --threads (issue 18, part 3): results do not depend on the thread count. On both bundled
# Fashion-MNIST models (fmnist_cnn alone with C8_TEST_QUICK=1), with --threads 1, 2 and 4 on
# --device cpu:
#   - calibrate (200 training images, batch 100: every tensor is binned on several threads):
#     the caches are byte-identical;
#   - run of the FP32 model and of the INT8 plan on 1,000 test images in one batch: the logits
#     are byte-identical (oneDNN's sgemm summed the rows at the end of each thread's share
#     differently before FP32 products ran on one thread: images 498, 499, 998, 999 with 2
#     threads); the FP16 plan's logits too (FP16 layers emulated on the same oneDNN primitives);
#   - bench --json records the thread count (--threads 3; without it, OMP_NUM_THREADS=2);
# and the option's errors (exit 2). Exit 77 (skip) without the Fashion-MNIST package.
#   test_cli_threads.sh CALIB8 SOURCE_DIR WORK_DIR
set -euo pipefail
c8=$1
src=$2
work=$3
idx=/usr/share/datasets/fashion-mnist
# more threads than this 2-core CI has: OpenMP threads that sleep instead of spinning when idle
export OMP_WAIT_POLICY=passive
[ -f "$idx/train-images-idx3-ubyte.gz" ] || { echo "SKIP: $idx missing"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
pre=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
"$c8" dataset convert --idx "$idx/train-images-idx3-ubyte.gz" "$idx/train-labels-idx1-ubyte.gz" \
    --limit 200 --out "$work/train.h5" --quiet
"$c8" dataset convert --idx "$idx/t10k-images-idx3-ubyte.gz" "$idx/t10k-labels-idx1-ubyte.gz" \
    --limit 1000 --out "$work/test.h5" --quiet
"$c8" dataset export --data "$work/test.h5" "${pre[@]}" --target 1x28x28 --out "$work/x.npy" \
    --quiet
models=(fmnist_cnn fmnist_resnet)
[ "${C8_TEST_QUICK:-0}" != 0 ] && models=(fmnist_cnn) # the sanitizer build: one model
for m in "${models[@]}"; do
    model=$src/models/$m.onnx
    for t in 1 2 4; do
        "$c8" calibrate --model "$model" --device cpu --data "$work/train.h5" "${pre[@]}" \
            --no-shuffle --images 200 --batch 100 --cache "$work/$m.t$t.cache" --threads "$t" \
            --quiet >/dev/null
    done
    "$c8" build --model "$model" --precision int8 --calib "$work/$m.t1.cache" \
        --plan "$work/$m.int8.plan" >/dev/null
    "$c8" build --model "$model" --precision fp16 --plan "$work/$m.fp16.plan" >/dev/null
    for t in 1 2 4; do
        "$c8" run --model "$model" --input "$work/x.npy" --output-dir "$work/$m.fp32.t$t" \
            --threads "$t" >/dev/null
        "$c8" run --plan "$work/$m.int8.plan" --input "$work/x.npy" \
            --output-dir "$work/$m.int8.t$t" --threads "$t" >/dev/null
        "$c8" run --plan "$work/$m.fp16.plan" --input "$work/x.npy" \
            --output-dir "$work/$m.fp16.t$t" --threads "$t" >/dev/null
    done
    for t in 2 4; do
        cmp -s "$work/$m.t1.cache" "$work/$m.t$t.cache" ||
            fail "$m: the cache of --threads $t differs from --threads 1"
        for p in fp32 int8 fp16; do
            cmp "$work/$m.$p.t1/logits.npy" "$work/$m.$p.t$t/logits.npy" ||
                fail "$m: $p logits of --threads $t differ from --threads 1"
        done
    done
done
# errors: a bad count; --threads where no model runs
for bad in 0 -1 x 5000; do
    rc=0
    "$c8" run --model "$src/models/fmnist_cnn.onnx" --input "$work/x.npy" \
        --output-dir "$work/bad" --threads "$bad" 2>"$work/err.txt" >/dev/null || rc=$?
    [ "$rc" = 2 ] && grep -q -- "--threads" "$work/err.txt" ||
        fail "run --threads $bad: exit $rc, $(cat "$work/err.txt")"
done
rc=0
"$c8" build --model "$src/models/fmnist_cnn.onnx" --plan "$work/p.plan" --threads 2 \
    2>"$work/err.txt" >/dev/null || rc=$?
[ "$rc" = 2 ] && grep -q "has no effect without --max-drift" "$work/err.txt" ||
    fail "build --threads without --max-drift: exit $rc, $(cat "$work/err.txt")"
[ ! -e "$work/p.plan" ] || fail "build --threads wrote a plan after a usage error"
"$c8" bench --plan "$work/fmnist_cnn.int8.plan" --batch 2 --iterations 2 --warmup 0 --threads 3 \
    --json "$work/b3.json" >/dev/null
grep -q '"threads": 3,' "$work/b3.json" || fail "bench --threads 3: $(grep threads "$work/b3.json")"
OMP_NUM_THREADS=2 "$c8" bench --plan "$work/fmnist_cnn.int8.plan" --batch 2 --iterations 2 \
    --warmup 0 --json "$work/b2.json" >/dev/null
grep -q '"threads": 2,' "$work/b2.json" || fail "bench, OMP_NUM_THREADS=2: $(grep threads "$work/b2.json")"
rc=0
"$c8" calibrate --from-histograms "$work/none.h5" --algo mse --cache "$work/c.cache" \
    --threads 2 2>"$work/err.txt" >/dev/null || rc=$?
[ "$rc" = 2 ] && grep -q -- "--threads has no effect with --from-histograms" "$work/err.txt" ||
    fail "calibrate --from-histograms --threads: exit $rc, $(cat "$work/err.txt")"
if [ "$fails" = 0 ]; then
    echo "test_cli_threads: caches and FP32/INT8/FP16 logits identical for --threads 1, 2, 4"
else
    echo "test_cli_threads: $fails failed"
    exit 1
fi
