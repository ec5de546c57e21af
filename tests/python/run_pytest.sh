#!/usr/bin/env bash
# The Python package's suite (tests/python/test_calib8.py) under pytest, against the CLI and the
# shared library of this build (C8_PY_PRELOAD: sanitizer runtimes to preload, from CMake). Exit 77 with a SKIP line (never a silent pass) when pytest,
# numpy or PIL is missing for PYTHON, or the Fashion-MNIST test set is absent; a pytest skip
# inside the suite also makes the whole test exit 77, after its SKIP lines.
#   run_pytest.sh PYTHON CALIB8 LIBCALIB8_SO SOURCE_DIR WORK_DIR
set -u
py=$1 c8=$2 lib=$3 src=$4 work=$5
for mod in pytest numpy PIL; do
    if ! "$py" -c "import $mod" 2>/dev/null; then
        echo "SKIP: $py has no '$mod' module (tools/install-deps.sh installs python3-pytest," \
            "python3-numpy, python3-pil)"
        exit 77
    fi
done
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    echo "SKIP: the Fashion-MNIST test set (dataset-fashion-mnist) is absent"
    exit 77
fi
rm -rf "$work" && mkdir -p "$work" || exit 1
c8=$(realpath "$c8") lib=$(realpath "$lib") src=$(realpath "$src") work=$(realpath "$work")
export CALIB8_CLI=$c8 CALIB8_LIBRARY=$lib C8_SOURCE_DIR=$src C8_WORK=$work/data
# sanitizer builds (tests/python/tests.cmake): the runtimes preloaded, ASan's leak checker off
if [ -n "${C8_PY_PRELOAD:-}" ]; then
    export LD_PRELOAD=$C8_PY_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD} C8_PY_SANITIZER=1
    export ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
fi
export PYTHONPATH=$src/python${PYTHONPATH:+:$PYTHONPATH} PYTHONDONTWRITEBYTECODE=1
"$py" -m pytest -p no:cacheprovider -rs -v --durations=5 --basetemp="$work/tmp" \
    "$src/tests/python/test_calib8.py" 2>&1 | tee "$work/pytest.log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || exit 1
if grep -q "^SKIPPED" "$work/pytest.log"; then
    grep "^SKIPPED" "$work/pytest.log" | sed 's/^SKIPPED/SKIP:/'
    exit 77
fi
exit 0
