#!/usr/bin/env bash
# Formats (or with --check, verifies) every C/CUDA source with the repository's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cu' '*.cuh' | grep -v '^tests/.*/data/' || true)
if [ "${1:-}" = "--check" ]; then
    clang-format --dry-run --Werror $files
    echo "format: ok ($(echo "$files" | wc -w) files)"
else
    clang-format -i $files
fi
