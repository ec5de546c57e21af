#!/usr/bin/env bash
# Builds the INT8 CUDA test and benchmark binaries here (no GPU needed, nvcc 13.0, sm_90) into
# build-int8cuda/devbin, which bench/cuda/device_run.sh runs on the GPU machine when carried
# (`carry: [".devdeps", "build-int8cuda/devbin"]`). Run from the repository root.
set -euo pipefail
B=${1:-build-int8cuda}
cmake -S . -B "$B" -DC8_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release \
    -DC8_WERROR=OFF >/dev/null
make -C "$B" -j"${JOBS:-2}" test_cuda_int8_imma_map test_cuda_int8_conv test_cuda_int8_ops \
    bench_cuda_int8_conv
mkdir -p "$B/devbin"
cp "$B"/tests/test_cuda_int8_imma_map "$B"/tests/test_cuda_int8_conv "$B"/tests/test_cuda_int8_ops \
    "$B"/bench/bench_cuda_int8_conv "$B/devbin/"
ls -la "$B/devbin"
