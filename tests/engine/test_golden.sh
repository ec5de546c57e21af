#!/usr/bin/env bash
# CPU plans and caches stay what they were (issue 14): runs make_golden.sh with the calib8 under
# test (the same options that made tests/engine/data/golden/, from commit 3269f3c) and requires
#   - the exported test images (inputs.sha256) and every calibration cache byte for byte equal,
#   - every sidecar equal except its calib8_version line and what sidecar format 2 added (the
#     format number and each tensor's "algo"),
#   - every plan's logits (.npy) bit for bit equal: plans now carry the placement, so what a plan
#     computes is compared, not its bytes;
#   - every layer table (*.layers.txt) equal in what it decides: each layer's op and precision,
#     and the summary's counts (the table's columns changed with the placement: dev, layout,
#     kernel; names shortened; rows numbered without gaps).
# With C8_TEST_QUICK=1 (the sanitizer build) the plans run on the first 64 of the 256 test images
# and their logits are compared with the golden files' first 64 rows (calibration is unchanged).
# A difference prints the file and, for logits, how many elements differ, the worst one (index,
# both values) and on how many images top-1 changes. Never regenerate the golden files to make
# this pass; make_golden.sh says when they may be regenerated.
# Exit 77 with a SKIP line where dataset-fashion-mnist or the bundled models are missing.
#   test_golden.sh CALIB8 SOURCE_DIR WORK_DIR
set -uo pipefail
c8=$1
src=$2
work=$3
golden=$src/tests/engine/data/golden
rm -rf "$work"
mkdir -p "$work"
n_run=256
[ "${C8_TEST_QUICK:-0}" != 0 ] && n_run=64
bash "$src/tests/engine/make_golden.sh" "$c8" "$work/out" "$work/tmp" "$n_run"
rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || { echo "FAIL: make_golden.sh exited $rc"; exit 1; }

fails=0
pass=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# every golden file must have been made again, and nothing new may appear unlisted
compared() { ls "$1" | sort; }
if ! diff <(compared "$golden") <(compared "$work/out") >"$work/files.diff"; then
    fail "the golden files and the files made differ (< golden, > made):"
    cat "$work/files.diff"
fi

# a layer table's decisions: "OP PRECISION" per layer row, then "INT8 FP16 FP32 REFORMATS" counts
layer_decisions() {
    awk '/^[0-9]+ / { print $3, $4 }' "$1"
    local n='([0-9]+)'
    sed -nE "s/^layers: $n int8, $n fp16, $n fp32; $n .*/counts \\1 \\2 \\3 \\4/p" "$1"
}

# same_logits GOLDEN MADE: MADE's (n_run, 10) float32 data equal to GOLDEN's first n_run rows, bit
# for bit (both C-order .npy; the data are the files' last bytes)
same_logits() {
    if [ "$n_run" = 256 ]; then
        cmp -s "$1" "$2"
    else
        local bytes=$((n_run * 10 * 4))
        [ "$(head -c 128 "$2" | grep -ac "'shape': ($n_run, 10)")" = 1 ] &&
            cmp -s <(tail -c $((256 * 10 * 4)) "$1" | head -c "$bytes") <(tail -c "$bytes" "$2")
    fi
}

logits_diff() { # describe how MADE differs from GOLDEN's first rows ((N, C) float32 .npy files)
    /usr/bin/python3 - "$1" "$2" <<'PY' 2>/dev/null || echo "  (no numpy: the bytes differ)"
import sys, numpy as np
g, m = np.load(sys.argv[1]), np.load(sys.argv[2])
g = g[: m.shape[0]] if m.ndim == 2 and g.ndim == 2 and m.shape[0] < g.shape[0] else g
if g.shape != m.shape or g.dtype != m.dtype:
    print(f"  shape/dtype {g.shape} {g.dtype} (golden) vs {m.shape} {m.dtype} (made)")
    sys.exit(0)
ne = ~((g == m) | (np.isnan(g) & np.isnan(m)))
d = np.abs(g.astype(np.float64) - m.astype(np.float64))
d[~ne] = 0
i = np.unravel_index(np.argmax(d), d.shape)
top = int((g.argmax(axis=1) != m.argmax(axis=1)).sum()) if g.ndim == 2 else -1
print(f"  {int(ne.sum())} of {g.size} elements differ; worst at {tuple(int(k) for k in i)}: "
      f"golden {float(g[i]):.9g}, made {float(m[i]):.9g} (|diff| {d[i]:.3g}, relative "
      f"{d[i] / max(abs(float(g[i])), 1e-30):.3g}); top-1 differs on {top} of {g.shape[0]} images")
PY
}

for f in $(compared "$golden"); do
    made=$work/out/$f
    [ -f "$made" ] || continue # listed above
    case $f in
    *.cache.json)
        # sidecar format 2 (issue 20) adds each tensor's "algo"; everything format 1 held must
        # be unchanged
        if python3 - "$golden/$f" "$made" >"$work/sidecar.diff" <<'PY'; then
import json, sys
def norm(path, drop_algo):
    d = json.load(open(path, "rb"))
    d.pop("calib8_version", None)
    d.pop("format_version", None)
    def walk(x):
        if isinstance(x, dict):
            if drop_algo and "scale_hex" in x:
                x.pop("algo", None)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(d)
    return json.dumps(d, indent=1, sort_keys=True).splitlines()
a, b = norm(sys.argv[1], False), norm(sys.argv[2], True)
if a != b:
    import difflib
    print("\n".join(difflib.unified_diff(a, b, "golden", "made", lineterm="", n=1)))
    sys.exit(1)
PY
            pass=$((pass + 1))
        else
            fail "$f: the sidecar differs (< golden, > made):"
            head -20 "$work/sidecar.diff"
        fi
        ;;
    *.layers.txt)
        layer_decisions "$golden/$f" >"$work/layers.golden"
        layer_decisions "$made" >"$work/layers.made"
        if ! grep -q '^counts' "$work/layers.made"; then
            fail "$f: no 'layers: N int8, N fp16, N fp32; N ...' summary in the made table"
        elif diff "$work/layers.golden" "$work/layers.made" >"$work/layers.diff"; then
            pass=$((pass + 1))
        else
            fail "$f: the layer decisions differ (< golden, > made; 'OP PRECISION' per layer):"
            head -20 "$work/layers.diff"
        fi
        ;;
    *.npy)
        if same_logits "$golden/$f" "$made"; then pass=$((pass + 1)); else
            fail "$f: the logits differ"
            logits_diff "$golden/$f" "$made"
        fi
        ;;
    *)
        if cmp -s "$golden/$f" "$made"; then pass=$((pass + 1)); else
            fail "$f: differs byte for byte (< golden, > made):"
            diff "$golden/$f" "$made" | head -20
        fi
        ;;
    esac
done
echo "golden: $pass files equal, $fails failed (logits on $n_run of 256 images;" \
    "made files in $work/out)"
[ "$fails" = 0 ] || exit 1
