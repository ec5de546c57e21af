#!/usr/bin/env bash
# The CUDA backend is a module (libcalib8_cuda.so, kernels/cuda/module.c) that the engine loads
# the first time a CUDA backend is asked for, so that the calib8 program and libcalib8.so start
# without the CUDA libraries (and without their start-up cost) on machines that never use a GPU:
#   - neither the calib8 program nor libcalib8.so needs a CUDA library (readelf NEEDED), while
#     the module does and exports one symbol;
#   - CPU work runs with the module out of reach;
#   - `--device cuda` finds the module beside the program (the build tree), on the library path,
#     or at $C8_CUDA_MODULE, and then reaches the CUDA runtime (on a machine without a GPU it
#     says so: "no CUDA device"; with one, the build works);
#   - a missing or foreign module is a clear error naming the path, exit 1;
#   - `calib8 version` names the module it loaded, or says why none can be used.
# Exit 77 (skip) for a calib8 built without CUDA.
#   test_cli_cuda_module.sh CALIB8 LIBCALIB8_SO SOURCE_DIR WORK_DIR
set -uo pipefail
c8=$1
lib=$2
src=$3
w=$4
needs_fmnist=0
source "$src/tests/tools/cli_check.sh"
if ! "$c8" version | grep -qF "CUDA backend: yes"; then
    echo "SKIP: calib8 was built without CUDA: no module to load"
    exit 77
fi
bdir=$(cd "$(dirname "$c8")" && pwd)
mod=$bdir/libcalib8_cuda.so
model=$src/models/fmnist_cnn.onnx
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

[ -f "$mod" ] && pass=$((pass + 1)) || { echo "FAIL: no module at $mod"; fails=$((fails + 1)); }
for f in "$c8" "$lib"; do
    if needed "$f" | grep -E '^lib(cudart|cublas|cublasLt|cudnn|cuda)\.so' >/dev/null; then
        echo "FAIL: $f needs a CUDA library:"; needed "$f" | grep -E 'cu'; fails=$((fails + 1))
    else
        pass=$((pass + 1))
    fi
done
if needed "$mod" | grep -q '^libcublasLt\.so' && needed "$mod" | grep -q '^libcudnn\.so'; then
    pass=$((pass + 1))
else
    echo "FAIL: the module does not link cuBLASLt and cuDNN:"; needed "$mod"; fails=$((fails + 1))
fi
exported=$(nm -D --defined-only "$mod" | awk '{print $3}' | sort | tr '\n' ' ')
if [ "$exported" = "c8_cuda_module_info " ]; then
    pass=$((pass + 1))
else
    echo "FAIL: the module exports more than its entry point: $exported"; fails=$((fails + 1))
fi

# the program alone, away from the module: CPU work runs, CUDA is a clear error
mkdir -p "$w/alone"
cp "$c8" "$w/alone/calib8"
check 0 "CPU build without the module" "" -- "$w/alone/calib8" build --model "$model" \
    --plan "$w/cpu.plan"
check 1 "cuda without the module" "CUDA backend module libcalib8_cuda.so is not beside" -- \
    env -u C8_CUDA_MODULE LD_LIBRARY_PATH= "$w/alone/calib8" build --model "$model" --device cuda \
    --plan "$w/a.plan"
[ ! -e "$w/a.plan" ] && pass=$((pass + 1)) || { echo "FAIL: a.plan written"; fails=$((fails + 1)); }
check 1 "C8_CUDA_MODULE names a missing file" "C8_CUDA_MODULE names $w/none.so, which does not exist" \
    -- env C8_CUDA_MODULE="$w/none.so" "$c8" build --model "$model" --device cuda --plan "$w/b.plan"
check 1 "C8_CUDA_MODULE names a foreign library" "$lib is not the CUDA backend module of this calib8" \
    -- env C8_CUDA_MODULE="$lib" "$c8" build --model "$model" --device cuda --plan "$w/c.plan"
printf 'not an ELF file\n' >"$w/junk.so"
check 1 "C8_CUDA_MODULE names a broken file" "the CUDA backend module $w/junk.so cannot be loaded" \
    -- env C8_CUDA_MODULE="$w/junk.so" "$c8" build --model "$model" --device cuda --plan "$w/d.plan"

# found: beside the program (build tree), on the library path, at C8_CUDA_MODULE. Without a GPU
# the CUDA runtime's answer is the proof that the module was loaded; with one, the build works.
if nvidia-smi -L >/dev/null 2>&1; then want=0 phrase=""; else want=1 phrase="no CUDA device"; fi
check $want "cuda beside the program" "$phrase" -- env -u C8_CUDA_MODULE "$c8" build \
    --model "$model" --device cuda --plan "$w/e.plan"
check $want "cuda on the library path" "$phrase" -- env -u C8_CUDA_MODULE LD_LIBRARY_PATH="$bdir" \
    "$w/alone/calib8" build --model "$model" --device cuda --plan "$w/f.plan"
check $want "cuda at C8_CUDA_MODULE" "$phrase" -- env C8_CUDA_MODULE="$mod" "$w/alone/calib8" \
    build --model "$model" --device cuda --plan "$w/g.plan"

# calib8 version says where the module came from (c8_device_check), or why it cannot be used
check 0 "version names the module" "CUDA backend module: $bdir/libcalib8_cuda.so" -- \
    env -u C8_CUDA_MODULE "$bdir/calib8" version
check 0 "version says why the module cannot be used" \
    "CUDA backend module: not usable: C8_CUDA_MODULE names $w/none.so" -- \
    env C8_CUDA_MODULE="$w/none.so" "$c8" version
check 0 "version of the program alone" "CUDA backend module: not usable: this calib8 was built" \
    -- env -u C8_CUDA_MODULE LD_LIBRARY_PATH= "$w/alone/calib8" version

echo "test_cli_cuda_module: $pass passed, $fails failed"
[ "$fails" = 0 ]
