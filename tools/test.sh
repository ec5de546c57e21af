#!/usr/bin/env bash
# Builds calib8 and runs the whole CUnit suite through CTest (the README's test command).
# Run one suite afterwards with: ctest --test-dir build -R NAME --output-on-failure
#   C8_BUILD_DIR (default build), C8_CMAKE_ARGS (extra cmake arguments), C8_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
dir=${C8_BUILD_DIR:-build}
jobs=${C8_JOBS:-$(nproc)}
# CUDA, when the toolkit is present, is compiled for one architecture here (sm_90) to keep the
# build short; GPU tests skip themselves where no GPU exists.
cmake -S . -B "$dir" -DC8_WERROR=ON -DCMAKE_CUDA_ARCHITECTURES=90 ${C8_CMAKE_ARGS:-} >/dev/null
cmake --build "$dir" -j "$jobs"
# A suite that skips anything exits 77 and shows as skipped, never as passed; the JUnit file
# (BUILD/ctest-junit.xml) keeps each suite's output: tools/ctest-skips.py lists the SKIP lines.
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 1500 --output-junit ctest-junit.xml
