#!/usr/bin/env bash
# Fills the ignored .devrun/ that bench/cuda/device/device_call.sh carries to the GPU machine,
# from a CUDA build of this tree (cmake -DCMAKE_CUDA_ARCHITECTURES=90). Run from the repository
# root on this (CPU) machine:   bench/cuda/device/prepare_devrun.sh BUILD_DIR
# Then: run `bash bench/cuda/device/device_call.sh` with carry [".devdeps", ".devrun"]
# (.devdeps: bash ../shared/device/fetch-debs.sh .devdeps).
set -euo pipefail
B=${1:?build dir (CUDA, sm_90)}
D=${C8_DEVRUN:-.devrun}
c8=$B/calib8
mkdir -p "$D/lib" "$D/fm" "$D/det"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# binaries (CUDA fat binaries compress about 10x)
mkdir -p "$tmp/bin"
for t in test_backend_models test_cuda_alloc test_cuda_int8_ops test_cuda_float_ops test_cuda_int8_imma_map \
    test_backend_ops test_cuda_int8_conv test_place test_profile; do
    cp "$B/tests/$t" "$tmp/bin/"
done
cp "$c8" "$B/bench/bench_membound" "$B/bench/bench_cuda_int8_conv" "$tmp/bin/"
# the CUDA backend module: the programs find it beside themselves (engine/backend.c)
cp "$B/libcalib8_cuda.so" "$tmp/bin/"
strip -g "$tmp"/bin/*
tar cJf "$D/bin.tar.xz" -C "$tmp" bin
# the suites name some files by the paths of the tree and build they were built in (test_place's
# plans and CLI runs, test_cuda_alloc's model); gpu_check.sh recreates them on the GPU machine
printf 'C8_DEVRUN_SRC=%s\nC8_DEVRUN_BIN=%s\n' \
    "$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$B/CMakeCache.txt")" "$(cd "$B" && pwd)" \
    >"$D/paths"
# the libraries the GPU machine lacks
lib=/lib/x86_64-linux-gnu
# (h: the files, not the SONAME links: a tarball of links alone was 212 bytes, and the GPU
# machine then lacked libdnnl.so.2 on 2026-12-07)
tar chJf "$D/dnnl.tar.xz" -C $lib libdnnl.so.2 libOpenCL.so.1
cp $lib/libjpeg.so.62 $lib/libprotobuf-c.so.1 $lib/libcunit.so.1 "$D/lib/"
chk=$(mktemp -d)
tar xJf "$D/dnnl.tar.xz" -C "$chk"
cp "$D"/lib/*.so* "$chk"/ 2>/dev/null || true
tar xJf "$D/bin.tar.xz" -C "$chk"
# every library the programs need, from the carried folder or the CUDA machine's base set
if env LD_LIBRARY_PATH="$chk" ldd "$chk/bin/calib8" | grep -E "dnnl|OpenCL|jpeg|protobuf-c" |
    grep -v "$chk" | grep -q .; then
    echo "prepare_devrun: a carried library does not resolve from the carried folder" >&2
    exit 1
fi
rm -rf "$chk"
# ONNX's conformance data (libonnx-testdata)
[ -f "$D/onnx-testdata.tgz" ] ||
    tar czf "$D/onnx-testdata.tgz" -C /usr/share/libonnx-testdata data 2>/dev/null ||
    echo "prepare_devrun: libonnx-testdata not found; the GPU conformance cases will skip"
# Fashion-MNIST: the test set, mse caches on 500 training images, the CPU INT8 engine's logits on
# all 10,000 test images (the GPU plans must equal them bit for bit)
idx=/usr/share/datasets/fashion-mnist
[ -f "$D/fm/test.h5" ] || "$c8" dataset convert --idx $idx/t10k-images-idx3-ubyte.gz \
    $idx/t10k-labels-idx1-ubyte.gz --builtin-classes fashion-mnist --out "$D/fm/test.h5"
"$c8" dataset convert --idx $idx/train-images-idx3-ubyte.gz $idx/train-labels-idx1-ubyte.gz \
    --builtin-classes fashion-mnist --out "$tmp/train.h5" >/dev/null
P=(--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels gray)
"$c8" dataset export --data "$D/fm/test.h5" "${P[@]}" --no-shuffle --target 1x28x28 \
    --out "$tmp/x.npy" --quiet
for m in fmnist_cnn fmnist_resnet; do
    rm -f "$D/fm/$m.cache" "$D/fm/$m.cache.json"
    "$c8" calibrate --model models/$m.onnx --data "$tmp/train.h5" "${P[@]}" --images 500 \
        --batch 50 --algo mse --cache "$D/fm/$m.cache" --quiet
    "$c8" build --model models/$m.onnx --precision int8 --calib "$D/fm/$m.cache" \
        --plan "$tmp/$m.plan" >/dev/null
    "$c8" run --plan "$tmp/$m.plan" --input "$tmp/x.npy" --output-dir "$tmp/out_$m" >/dev/null
    cp "$tmp"/out_$m/*.npy "$D/fm/cpu_${m}_logits.npy"
done
# the PP-OCRv4 detector (../shared does not travel): 6 rendered 320x320 pages, a CPU calibration,
# and the CPU INT8 engine's output for the first
det=${C8_SHARED_DIR:-../shared}/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx
if [ -f "$det" ]; then
    cp "$det" "$D/det/det.onnx"
    /usr/bin/python3 - "$tmp/pages" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw, ImageFont
random.seed(7)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
f = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
for i in range(6):
    im = Image.new("RGB", (320, 320), (random.randint(200, 255),) * 3)
    d = ImageDraw.Draw(im)
    for j in range(5):
        d.text((random.randint(0, 120), 20 + j * 58), "calib8 text %d-%d" % (i, j * 37),
               fill=(random.randint(0, 60),) * 3, font=f)
    im.save(os.path.join(out, "%d.png" % i))
PY
    Q=(--channels rgb --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225)
    rm -f "$D/det/det.cache" "$D/det/det.cache.json"
    "$c8" calibrate --model "$det" --data "$tmp/pages" "${Q[@]}" --shape x:1x3x320x320 --batch 1 \
        --cache "$D/det/det.cache" --quiet
    "$c8" dataset export --data "$tmp/pages" "${Q[@]}" --no-shuffle --target 3x320x320 --images 1 \
        --out "$D/det/x0.npy" --quiet
    "$c8" build --model "$det" --precision int8 --calib "$D/det/det.cache" --shape x:1x3x320x320 \
        --plan "$tmp/det.plan" >/dev/null
    "$c8" run --plan "$tmp/det.plan" --input "$D/det/x0.npy" --output-dir "$tmp/det_out" >/dev/null
    cp "$tmp"/det_out/*.npy "$D/det/cpu_out.npy"
else
    echo "prepare_devrun: $det missing; the detector stage will fail"
fi
du -sh "$D"
