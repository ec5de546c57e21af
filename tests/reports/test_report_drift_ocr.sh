#!/usr/bin/env bash
# Issue 20 part 4 end to end: `calib8 compare` without labels on the PaddleOCR detector (a
# dense-map output) and on the bundled Fashion-MNIST CNN (class scores), checked against NumPy
# float64 recomputations from `calib8 run` outputs, and `calib8 eval` refusing the detector
# (drift_ocr_check.py says what is checked). Exit 77 (skip) where ../shared's PaddleOCR fixture
# or a Python with NumPy and PIL is missing. C8_SHARED_DIR, when set, replaces SHARED_DIR (a
# worktree whose ../shared is elsewhere).
#   test_report_drift_ocr.sh CALIB8 SOURCE_DIR SHARED_DIR WORK_DIR
set -euo pipefail
c8=$1
src=$2
shared=${C8_SHARED_DIR:-$3}
work=$4
py=
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import numpy, PIL' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
[ -n "$py" ] || { echo "SKIP: no Python with numpy and PIL (apt-get install python3-numpy python3-pil)"; exit 77; }
exec "$py" "$src/tests/reports/drift_ocr_check.py" "$c8" "$src" "$shared" "$work"
