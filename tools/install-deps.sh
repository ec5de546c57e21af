#!/usr/bin/env bash
# Installs calib8's build and test dependencies from Debian's packages (needs root; prints the
# command otherwise). Idempotent: packages already present are skipped.
set -euo pipefail
pkgs=(cmake make gcc g++ pkg-config clang-format
      protobuf-c-compiler libprotobuf-c-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev
      libhdf5-dev libcunit1-dev
      libdnnl-dev # oneDNN: the fast CPU backend (--device cpu); without it calib8 builds on the reference kernels
      libonnx-testdata dataset-fashion-mnist chromium fonts-dejavu-core valgrind
      python3-numpy python3-pil python3-onnx python3-pytest python3-setuptools python3-pip python3-torch) # /usr/bin/python3 for tests/tools/test_cli.sh, check_pngs.py, tests/python
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#pkgs[@]} packages present"
elif [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages; run as root:" >&2
    echo "  apt-get install -y ${missing[*]}" >&2
    exit 1
else
    echo "install-deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime from PyPI, into .deps/ort (not the system's site-packages): the independent
# runtime that tests/engine/test_qdq_ort.sh runs calib8's Q/DQ exports on. Pinned; the test
# skips (and says why) where it is absent.
ort_version=1.31.1
ort_dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/ort"
if [ ! -f "$ort_dir/onnxruntime-$ort_version.installed" ]; then
    py=$(command -v python3 || true)
    if [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1 &&
        "$py" -m pip install -q --disable-pip-version-check --target "$ort_dir" \
            "onnxruntime==$ort_version" >/dev/null 2>&1; then
        touch "$ort_dir/onnxruntime-$ort_version.installed"
        echo "install-deps: onnxruntime $ort_version in $ort_dir"
    else
        echo "install-deps: WARNING: could not install onnxruntime $ort_version from PyPI" \
            "(test_qdq_ort will skip)" >&2
    fi
fi

# CUTLASS's C++ headers from PyPI's nvidia-cutlass wheel, into .deps/cutlass/include (the wheel
# carries them under cutlass_library/source/include; the Hopper convolutions also need its
# tools/util/include, unpacked into .deps/cutlass/util/include): the INT8 tensor-core convolutions
# in kernels/cuda/int8/cutlass/ are instantiated from them. Pinned by version and by the wheel's
# sha256; only the headers and the licence are unpacked. CMake finds them there (C8_CUTLASS_DIR);
# a CUDA build without them builds calib8's own kernels only and says so at configure time.
cutlass_version=4.2.0.0
cutlass_sha256=f9599ada45c7bcb6bf53f7d3f0a7d154183e53451c01bfa59eecd37dd4a693f6
cutlass_dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/cutlass"
if [ ! -f "$cutlass_dir/nvidia-cutlass-$cutlass_version+util.installed" ]; then
    py=$(command -v python3 || true)
    tmp=$(mktemp -d)
    whl="$tmp/nvidia_cutlass-$cutlass_version-py3-none-any.whl"
    if [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1 &&
        "$py" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
            -d "$tmp" "nvidia-cutlass==$cutlass_version" >/dev/null 2>&1 &&
        [ -f "$whl" ] && echo "$cutlass_sha256  $whl" | sha256sum -c --status; then
        "$py" - "$whl" "$tmp/x" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist()
                               if n.startswith("cutlass_library/source/include/")
                               or n.startswith("cutlass_library/source/tools/util/include/")
                               or n.endswith("licenses/LICENSE.txt")])
PYEOF
        rm -rf "$cutlass_dir"
        mkdir -p "$cutlass_dir"
        mv "$tmp/x/cutlass_library/source/include" "$cutlass_dir/include"
        mkdir -p "$cutlass_dir/util"
        mv "$tmp/x/cutlass_library/source/tools/util/include" "$cutlass_dir/util/include"
        cp "$tmp"/x/nvidia_cutlass-*.dist-info/licenses/LICENSE.txt "$cutlass_dir/LICENSE.txt"
        touch "$cutlass_dir/nvidia-cutlass-$cutlass_version+util.installed"
        echo "install-deps: CUTLASS $cutlass_version headers in $cutlass_dir/include"
    else
        echo "install-deps: WARNING: could not fetch nvidia-cutlass $cutlass_version from PyPI" \
            "(or its checksum differs); CUDA builds use calib8's own INT8 kernels only" >&2
    fi
    rm -rf "$tmp"
fi
