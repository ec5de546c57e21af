#!/usr/bin/env bash
# One call on the GPU machine: the GPU suites and the placement of whole INT8 engines, with
# binaries built on the CI-like machine (-DCMAKE_CUDA_ARCHITECTURES=90) and carried in .devrun/:
#   bin/  calib8 and the GPU test binaries (strip -g)
#   lib/  the libraries the GPU machine lacks (libjpeg.so.62, libprotobuf-c.so.1, libcunit.so.1)
#   fm/   Fashion-MNIST test set (test.h5), mse caches of both bundled models (500 training
#         images) and the CPU INT8 engine's logits on all 10,000 test images
#   onnx-testdata.tgz  Debian's libonnx-testdata (the GPU conformance cases)
# carry: .devdeps .devrun      Prints a summary last; logs under $OUT.
#   1. GPU suites: INT8 kernels vs the CPU reference, backend ops / models / conformance, placement
#   2. Fashion-MNIST INT8 on the GPU vs the CPU INT8 engine on all 10,000 test images, and the
#      placement of those CUDA plans (calib8 inspect --plan --strict: no node on the host)
set -uo pipefail
OUT=${OUT:-/tmp/c8out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
T0=$(date +%s)
el() { echo "[$(($(date +%s) - T0)) s]"; }
for f in .devdeps/*.deb; do dpkg -x "$f" / 2>/dev/null; done
ldconfig
export LD_LIBRARY_PATH=$PWD/.devrun/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
B=$PWD/.devrun/bin
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader
ldd "$B/calib8" | grep "not found" && exit 1
"$B/calib8" version
# the suites name some files by the paths of the tree and build they were built in (test_place's
# plans and its CLI runs, test_cuda_alloc's model; prepare_devrun.sh wrote them): recreated here
if [ -f .devrun/paths ]; then
    . .devrun/paths
    if [ -n "${C8_DEVRUN_SRC:-}" ] && [ ! -e "$C8_DEVRUN_SRC" ]; then
        mkdir -p "$(dirname "$C8_DEVRUN_SRC")" && ln -s "$PWD" "$C8_DEVRUN_SRC"
    fi
    if [ -n "${C8_DEVRUN_BIN:-}" ]; then
        mkdir -p "$C8_DEVRUN_BIN" && cp "$B/calib8" "$B/libcalib8_cuda.so" "$C8_DEVRUN_BIN/"
    fi
fi
export C8_TEST_SOURCE_DIR=$PWD C8_TEST_WORK=/tmp/c8work
mkdir -p /tmp/c8work /tmp/onnx && tar xzf .devrun/onnx-testdata.tgz -C /tmp/onnx
export C8_ONNX_TESTDATA=/tmp/onnx/data
summary=""
echo "== 1. GPU suites $(el)"
for t in ${C8_GPU_SUITES:-test_cuda_int8_imma_map test_cuda_int8_conv test_cuda_int8_ops test_cuda_float_ops test_backend_ops test_backend_models test_cuda_alloc test_place}; do
    [ -x "$B/$t" ] || continue
    timeout 240 "$B/$t" >"$OUT/$t.log" 2>&1
    rc=$?
    line="$t rc=$rc $(grep -A4 'Run Summary' "$OUT/$t.log" | grep -E 'tests|asserts' | tr -s ' ' | tr '\n' ' ')"
    echo "$line $(el)"
    summary="$summary$line"$'\n'
    [ $rc = 0 ] || grep -E "FAIL|Fail|error|SKIP" "$OUT/$t.log" | head -20
done
echo "== 2. Fashion-MNIST INT8, GPU vs CPU, 10,000 images $(el)"
P="--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray"
"$B/calib8" dataset export --data .devrun/fm/test.h5 $P --no-shuffle --target 1x28x28 \
    --out /tmp/c8work/x.npy --quiet
# batches 1 and 20 as well: the plans are built for a dynamic batch, so the INT8 kernels are
# tuned per batch bucket (1, 32, 256) and each run size picks its bucket's kernels
python3 -c "import numpy as np; x = np.load('/tmp/c8work/x.npy'); np.save('/tmp/c8work/x1.npy', x[:1]); np.save('/tmp/c8work/x20.npy', x[:20])"
for m in fmnist_cnn fmnist_resnet; do
    "$B/calib8" build --model models/$m.onnx --precision int8 --calib .devrun/fm/$m.cache \
        --device cuda --strict --plan /tmp/c8work/$m.cuda.plan >"$OUT/build_$m.log" 2>&1 ||
        tail -5 "$OUT/build_$m.log"
    "$B/calib8" inspect --plan /tmp/c8work/$m.cuda.plan --strict >"$OUT/inspect_$m.log" 2>&1
    echo "$m: inspect --plan --strict rc=$? ($(grep -c . "$OUT/inspect_$m.log") lines)"
    "$B/calib8" inspect --plan /tmp/c8work/$m.cuda.plan --json >"$OUT/inspect_$m.json" 2>&1
    "$B/calib8" run --plan /tmp/c8work/$m.cuda.plan --input /tmp/c8work/x.npy \
        --output-dir /tmp/c8work/gpu_$m >/dev/null
    for b in 1 20; do
        "$B/calib8" run --plan /tmp/c8work/$m.cuda.plan --input /tmp/c8work/x$b.npy \
            --output-dir /tmp/c8work/gpu${b}_$m >/dev/null
    done
    line=$(python3 - "$m" "$OUT/inspect_$m.json" <<'PY'
import sys, json, glob, numpy as np
m = sys.argv[1]
g = np.load(glob.glob("/tmp/c8work/gpu_%s/*.npy" % m)[0]); c = np.load(".devrun/fm/cpu_%s_logits.npy" % m)
p = json.load(open(sys.argv[2]))
small = []
for b in (1, 20):
    gb = np.load(glob.glob("/tmp/c8work/gpu%d_%s/*.npy" % (b, m))[0])
    small.append("batch %d: %d/%d bit-identical" % (b, int((gb == c[:b]).all(1).sum()), b))
buckets = sum(1 for n in p.get("nodes", []) if n.get("kernel", "").startswith("int8:b1="))
print("%s: GPU INT8 vs CPU INT8 on %d images: predictions equal %d, logits bit-identical %d/%d, "
      "max |diff| %.3g; %s; %d INT8 layers tuned per batch bucket; placement: %d host nodes, "
      "%d copies, %d nodes"
      % (m, len(g), int((g.argmax(1) == c.argmax(1)).sum()), int((g == c).all(1).sum()), len(g),
         float(np.abs(g - c).max()), ", ".join(small), buckets, p.get("host_nodes", -1),
         p.get("copies", -1), len(p.get("nodes", []))))
PY
)
    echo "$line"
    summary="$summary$line"$'\n'
done
echo "== summary $(el)"
printf '%s' "$summary"
