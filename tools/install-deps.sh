#!/usr/bin/env bash
# Installs calib8's build and test dependencies from Debian's packages (needs root; prints the
# command otherwise). Idempotent: packages already present are skipped.
set -euo pipefail
pkgs=(cmake make gcc g++ pkg-config clang-format
      protobuf-c-compiler libprotobuf-c-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev
      libhdf5-dev libcunit1-dev
      libonnx-testdata dataset-fashion-mnist chromium fonts-dejavu-core valgrind
      python3-numpy python3-pil) # /usr/bin/python3 for tests/tools/test_cli.sh, check_pngs.py
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
