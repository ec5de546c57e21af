# Sourced by the CLI test scripts (tests/tools/test_cli.sh, test_cli_lost.sh,
# test_cli_preprocess.sh, test_cli_profile.sh, test_cli_dynamic.sh) after they set w (their work
# dir): the Fashion-MNIST skip (exit 77; not for a script that sets needs_fmnist=0), a fresh work
# dir, and check() with its pass / fails counters.
idx=/usr/share/datasets/fashion-mnist
if [ "${needs_fmnist:-1}" = 1 ] && [ ! -f "$idx/t10k-images-idx3-ubyte.gz" ]; then
    echo "SKIP: $idx not found (apt install dataset-fashion-mnist)"
    exit 77
fi
rm -rf "$w"
mkdir -p "$w"
fails=0
pass=0

check() { # check EXPECTED_RC DESCRIPTION PHRASE -- command...
    local want=$1 what=$2 phrase=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $what: exit $rc, expected $want"; echo "$out" | head -8; fails=$((fails + 1)); return
    fi
    if [ -n "$phrase" ] && ! grep -qF -- "$phrase" <<<"$out"; then
        echo "FAIL: $what: output lacks '$phrase'"; echo "$out" | head -8; fails=$((fails + 1)); return
    fi
    pass=$((pass + 1))
}
