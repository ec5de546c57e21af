#!/usr/bin/env bash
# One device call: the GPU suites, then the benchmarks (first run on an H100 on 2026-12-07:
# bench/results/gpu-h100-2026-12-07.md). Needs, in the ignored .devrun/ (carry [".devdeps",
# ".devrun"]; bench/cuda/device/prepare_devrun.sh fills it):
#   bin.tar.xz  calib8, the GPU suites (test_cuda_int8_*, test_backend_*, test_cuda_alloc,
#               test_place), bench_membound, bench_cuda_int8_conv: built here
#               (-DCMAKE_CUDA_ARCHITECTURES=90), strip -g, tar cJf; paths: where they were built
#   dnnl.tar.xz libdnnl.so.2 and libOpenCL.so.1 (the GPU machine lacks them); lib/ libjpeg.so.62,
#               libprotobuf-c.so.1, libcunit.so.1; fm/ and onnx-testdata.tgz as gpu_check.sh says
#   det/        det.onnx (the PP-OCRv4 detector: ../shared does not travel), det.cache (6
#               rendered 320x320 pages, CPU calibration), x0.npy and cpu_out.npy (the CPU INT8
#               engine's output for it)
# Stages, in order of value: GPU suites + Fashion-MNIST GPU vs CPU (gpu_check.sh), a CUDA plan with
# a batch profile, ResNet-50 FP16/INT8 at batch 1 and 256 (1 and 3 contexts) beside PyTorch eager
# and torch.compile, the detector INT8 GPU vs CPU, bench_membound, bench_cuda_int8_conv.
# SUITES_ONLY=1 stops after the suites. C8_STAGES picks the stages after the suites (default: all
# of "profile r50 det detbench membound conv"; also "detprof": per-layer profiles of detbench's
# FP16 and INT8 plans); C8_R50_PRECS the ResNet-50 plans (default "fp32 fp16
# int8"; FP32 with TF32 off, beside PyTorch eager FP32 with TF32 off).
set -uo pipefail
REAL_OUT=$OUT
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s]"; }
tar xJf .devrun/bin.tar.xz -C .devrun
mkdir -p .devrun/lib && tar xJf .devrun/dnnl.tar.xz -C .devrun/lib
for f in .devdeps/*.deb; do dpkg -x "$f" / 2>/dev/null; done; ldconfig
export LD_LIBRARY_PATH=$PWD/.devrun/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
# kernels not yet run on a GPU are off by default (docs/cuda.md); the stages measure them
export C8_CUDA_UNVERIFIED=${C8_CUDA_UNVERIFIED-1}
B=$PWD/.devrun/bin
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.max.mem,power.limit --format=csv; nvidia-smi -q -d CLOCK | head -40; python3 -c "import torch,onnx,onnxruntime;print('torch',torch.__version__,'cuda',torch.version.cuda,'cudnn',torch.backends.cudnn.version(),'onnx',onnx.__version__,'ort',onnxruntime.__version__)"; nvcc --version | tail -2; } > $REAL_OUT/device.txt 2>&1
head -3 $REAL_OUT/device.txt
ldd $B/calib8 | grep "not found"
export OUT=/tmp/c8out
C8_GPU_SUITES="${C8_GPU_SUITES:-test_cuda_int8_imma_map test_cuda_int8_conv test_cuda_int8_ops test_cuda_float_ops test_backend_ops test_backend_models test_cuda_alloc test_place}" timeout ${C8_CHECK_TIMEOUT:-200} bash bench/cuda/gpu_check.sh > /dev/null 2>&1; echo "gpu_check rc=$? $(el)"
sed -n '/== summary/,$p' /tmp/c8out/gpu_check.log
grep -h -B2 -A12 "FAILED\|run failed" /tmp/c8out/test_*.log | head -40
grep -h "imma_smallc runs\|CUTLASS runs\|CUTLASS Hopper runs" /tmp/c8out/test_cuda_int8_conv.log
# a Hopper tile that failed its test stays out of the stages below (a faulting kernel would end
# each process that times it)
grep -q "cutlass_sm90.*\(run failed\|got\|guard\|not zero\)" /tmp/c8out/test_cuda_int8_conv.log && { echo "Hopper tiles FAILED: C8_CUDA_INT8_NO_HOPPER=1 below"; export C8_CUDA_INT8_NO_HOPPER=1; }
[ -n "${SUITES_ONLY:-}" ] && { tar czf $REAL_OUT/logs.tgz -C /tmp c8out; exit 0; }
STAGES=" ${C8_STAGES:-profile r50 det detbench detprof membound conv} "
want() { [[ "$STAGES" == *" $1 "* ]]; }
if want profile; then
echo "== profile on CUDA $(el)"
$B/calib8 build --model models/fmnist_cnn.onnx --precision int8 --calib .devrun/fm/fmnist_cnn.cache --device cuda --shape input:1..8..64x1x28x28 --plan /tmp/c8work/prof.plan > /tmp/c8out/build_prof.log 2>&1; echo "profile build rc=$?"; grep -i "profile" /tmp/c8out/build_prof.log | head -3
for b in 1 20; do $B/calib8 run --plan /tmp/c8work/prof.plan --input /tmp/c8work/x$b.npy --output-dir /tmp/c8work/prof$b > /dev/null 2>>/tmp/c8out/build_prof.log; echo "run batch $b rc=$?"; done
python3 -c "
import numpy as np, glob
c = np.load('.devrun/fm/cpu_fmnist_cnn_logits.npy')
for b in (1, 20):
    g = np.load(glob.glob('/tmp/c8work/prof%d/*.npy' % b)[0]); print('profile plan batch', b, 'bit-identical rows', int((g == c[:b]).all(1).sum()), '/', b)
"
tar czf $REAL_OUT/logs.tgz -C /tmp c8out
fi
W=/tmp/r50; mkdir -p $W
if want r50; then
echo "== ResNet-50 $(el)"
timeout ${C8_R50_TIMEOUT:-330} bash -c '
B='$B'; W='$W'; R='$REAL_OUT'; PRECS="'"${C8_R50_PRECS:-fp32 fp16 int8}"'"
python3 models/make_resnet50.py --out $W/resnet50.onnx > $W/export.log 2>&1 || tail -3 $W/export.log
python3 bench/cuda/make_images.py --out $W/imgs --n 100 --size 224 > /dev/null
$B/calib8 calibrate --model $W/resnet50.onnx --data $W/imgs --preset imagenet --images 100 --batch 50 --device cuda --quiet --cache $W/r50.cache > $W/calib.log 2>&1 || tail -3 $W/calib.log
for p in $PRECS; do
  if [ $p = int8 ]; then extra="--calib $W/r50.cache --precision fp16,int8"; else extra="--precision $p"; fi
  /usr/bin/time -f "build $p %e s" $B/calib8 build --model $W/resnet50.onnx $extra --device cuda --verbose --plan $W/r50_$p.plan > $W/build_$p.log 2>&1 || tail -5 $W/build_$p.log
  tail -1 $W/build_$p.log; grep -E "^layers:" $W/build_$p.log
  $B/calib8 bench --plan $W/r50_$p.plan --batch 1,256 --iterations 30 --warmup 10 --json $W/c8_$p.json > $W/bench_$p.log 2>&1
  tail -3 $W/bench_$p.log
  # the forward alone, inputs resident on the GPU (what the PyTorch peer measures)
  $B/calib8 bench --plan $W/r50_$p.plan --batch 1,256 --io device --iterations 30 --warmup 10 --json $W/c8_${p}_dev.json > $W/bench_${p}_dev.log 2>&1
  tail -3 $W/bench_${p}_dev.log
  # per layer at batch 256 (synchronized per node: a breakdown, not a throughput)
  C8_CUDA_PROFILE=2 $B/calib8 bench --plan $W/r50_$p.plan --batch 256 --io device --iterations 3 --warmup 1 > /dev/null 2> $W/profile_$p.txt
  grep -A12 "^cuda profile" $W/profile_$p.txt
  # the kernels the plan chose, by time (all iterations of the profile)
  awk -F"\t" '\''$1=="c8node"{split($5,k,"#"); t[k[1]]+=$4; n[k[1]]++} END{for(x in t) printf "%9.3f ms %4d  %s\n", t[x], n[x], x}'\'' $W/profile_$p.txt | sort -rn | head -8
  # and at batch 1 (the latency target): every node, so the whole list is kept in the archive
  C8_CUDA_PROFILE=2 $B/calib8 bench --plan $W/r50_$p.plan --batch 1 --io device --iterations 5 --warmup 2 > /dev/null 2> $W/profile1_$p.txt
  [ $p = fp32 ] || $B/calib8 bench --plan $W/r50_$p.plan --batch 256 --contexts 3 --iterations 30 --warmup 10 --json $W/c8_${p}_ctx3.json > $W/bench_${p}_ctx3.log 2>&1
  [ $p = fp32 ] || tail -2 $W/bench_${p}_ctx3.log
  (cd $W && tar czf $R/r50.tgz *.log *.json *.txt 2>/dev/null)
done
timeout 180 python3 bench/cuda/torch_peer.py --out $W/torch_peer.json --batches 1,256 --compile-mode default --fp32-eager
(cd $W && tar czf $R/r50.tgz *.log *.json *.txt 2>/dev/null)
'
(cd /tmp/r50 && tar czf $REAL_OUT/r50.tgz *.log *.json *.txt 2>/dev/null) # (a subshell: the stages
# below name .devrun/ relative to the tree; on 2026-12-07 a bare cd here lost the detector stage)
fi
M=/tmp/det.onnx
ls ../shared/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx 2>/dev/null && cp ../shared/fixtures/models/paddleocr/ch_PP-OCRv4_det_infer.onnx $M
[ -f $M ] || cp .devrun/det/det.onnx $M
if want det; then
echo "== PaddleOCR detector INT8, GPU vs CPU $(el)"
timeout 120 $B/calib8 build --model $M --precision int8 --calib .devrun/det/det.cache --shape x:1x3x320x320 --device cuda --plan /tmp/c8work/det.plan > /tmp/c8out/build_det.log 2>&1; echo "det build rc=$? $(grep '^layers:' /tmp/c8out/build_det.log)"
timeout 60 $B/calib8 run --plan /tmp/c8work/det.plan --input .devrun/det/x0.npy --output-dir /tmp/c8work/det_out >/dev/null 2>>/tmp/c8out/build_det.log; echo "det run rc=$?"
python3 -c "
import numpy as np, glob
c = np.load('.devrun/det/cpu_out.npy'); g = np.load(glob.glob('/tmp/c8work/det_out/*.npy')[0])
d = np.abs(g.astype(np.float64) - c)
print('detector INT8 GPU vs CPU: %d values, bit-identical %d, max |diff| %.3g, mean |diff| %.3g' % (c.size, int((g == c).sum()), d.max(), d.mean()))
"
tar czf $REAL_OUT/logs.tgz -C /tmp c8out
fi
if want detbench; then
echo "== PaddleOCR detector 8x3x640x640: FP32, FP16, INT8 plans, forward alone $(el)"
timeout ${C8_DET_TIMEOUT:-200} bash -c '
B='$B'; M='$M'; R='$REAL_OUT'
for p in fp32 fp16 int8; do
  if [ $p = int8 ]; then extra="--calib .devrun/det/det.cache --precision fp16,int8"; else extra="--precision $p"; fi
  $B/calib8 build --model $M $extra --shape x:8x3x640x640 --device cuda --plan /tmp/c8work/det_$p.plan > /tmp/c8out/build_det_$p.log 2>&1 || tail -3 /tmp/c8out/build_det_$p.log
  grep "^layers:" /tmp/c8out/build_det_$p.log
  $B/calib8 bench --plan /tmp/c8work/det_$p.plan --batch 8 --io device --iterations 20 --warmup 5 --json $R/det_$p.json > /tmp/c8out/bench_det_$p.log 2>&1
  echo "detector $p: $(tail -1 /tmp/c8out/bench_det_$p.log)"
done'
tar czf $REAL_OUT/logs.tgz -C /tmp c8out
fi
if want detprof; then
echo "== PaddleOCR detector 8x3x640x640: per-layer CUDA profile of the FP16 and INT8 plans $(el)"
# (the plans detbench built; synchronized per node: a breakdown, not a throughput)
for p in fp16 int8; do
  [ -f /tmp/c8work/det_$p.plan ] || continue
  C8_CUDA_PROFILE=2 timeout 60 $B/calib8 bench --plan /tmp/c8work/det_$p.plan --batch 8 --io device --iterations 3 --warmup 1 > /dev/null 2> $REAL_OUT/det_profile_$p.txt
  grep -A14 "^cuda profile" $REAL_OUT/det_profile_$p.txt
done
fi
if want membound; then
echo "== membound $(el)"
timeout 40 $B/bench_membound --batch 256 --reps 10 --out $REAL_OUT/membound.md > /tmp/mb.txt 2>&1; echo "membound rc=$? $(el)"; tail -24 /tmp/mb.txt
fi
if want conv; then
echo "== per-layer INT8 conv $(el)"
timeout ${C8_CONV_TIMEOUT:-90} $B/bench_cuda_int8_conv --batch 256 --reps 3 --no-cudnn-int8 --out $REAL_OUT/ours.md > /tmp/ours.txt 2>&1; echo "ours rc=$? $(el)"; grep -E "52 convolutions|^\| " $REAL_OUT/ours.md | cut -c1-200 | head -30; grep -c "cutlass_sm90" /tmp/ours.txt; cp /tmp/ours.txt $REAL_OUT/ours_all.txt
fi
echo "== done $(el)"
# a call returns at most 8 files from $OUT: everything in one archive (the full call of
# 2026-12-07 09:39 lost r50.tgz and the detector's JSON files to that limit)
(cd $REAL_OUT && tar czf all.tgz --exclude=all.tgz . && find . -type f ! -name all.tgz -delete)
