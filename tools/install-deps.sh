#!/usr/bin/env bash
# Installs calib8's build and test dependencies from Debian's packages (needs root; prints the
# command otherwise). Idempotent: packages already present are skipped.
set -euo pipefail
pkgs=(cmake make gcc g++ pkg-config clang-format
      protobuf-c-compiler libprotobuf-c-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev
      libhdf5-dev libcunit1-dev
      libonnx-testdata dataset-fashion-mnist chromium fonts-dejavu-core valgrind)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#pkgs[@]} packages present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages; run as root:" >&2
    echo "  apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
