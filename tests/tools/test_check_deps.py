#!/usr/bin/env python3
"""tools/check-deps.py on small fake trees in a temporary folder: a tree whose includes the rule
allows passes (exit 0, nothing on stdout); each forbidden include added to it fails (exit 1) with
one line "FILE:LINE: module X includes Y (module Z), allowed: ...".

Usage: test_check_deps.py PATH/TO/check-deps.py"""

import os
import shutil
import subprocess
import sys
import tempfile

CHECKER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "check-deps.py")

# Every include here is allowed: own headers, lower modules, public headers of allowed modules,
# a generated header, a header beside its includer, .cu files, subfolders, comments.
ALLOWED_TREE = {
    "include/calib8/status.h": "",
    "include/calib8/quant.h": '#include "calib8/status.h"\n',
    "include/calib8/engine.h": '#include "calib8/quant.h"\n#include "status.h"\n',
    "include/calib8/calib8.h": '#include "calib8/engine.h"\n',
    "util/err.h": '#include "calib8/status.h"\n',
    "quant/q.c": '#include "util/err.h"\n#include "calib8/quant.h"\n#include <stdio.h>\n',
    "kernels/ref/ref.h": '#include "quant/q.h"\n',
    "ops/ops.h": '#include "kernels/ref/ref.h"\n',
    "kernels/backend.h": '#include "ops/ops.h"\n',
    "kernels/cpu/backend_cpu.c": '#include "kernels/backend.h"\n',
    "kernels/cuda/k.cu": '#include "kernels/backend.h"\n#include "kernels/ref/ref.h"\n',
    "engine/onnx/import.c": '#include "engine/onnx/onnx.pb-c.h"\n#include "kernels/cuda/k.h"\n'
                            '#include "calib8/engine.h"\n',
    "engine/build/b.c": '#include "b.h"\n/* #include "calib/hist.h" (a comment) */\n'
                        '// #include "reports/x.h"\n',
    "engine/build/b.h": "",
    "datasets/d.c": '#include "util/err.h"\n',
    "calib/c.c": '#include "engine/build/b.h"\n#include "datasets/d.h"\n#include "calib8/engine.h"\n',
    "reports/r.c": '#include "engine/engine_internal.h"\n#include "calib/c.h"\n',
    "tools/main.c": '#include "tools/cli.h"\n#include "calib8/calib8.h"\n#include <calib8/engine.h>\n',
    "examples/ex.c": '#include "calib8/engine.h"\n',
}

# Each forbidden include, added alone to the allowed tree: (file, text, expected line start).
FORBIDDEN = [
    ("util/bad.c", '\n#include "quant/q.h"\n',
     "util/bad.c:2: module util includes quant/q.h (module quant), allowed: util"),
    ("kernels/cuda/bad.cu", '#include "engine/engine_internal.h"\n',
     "kernels/cuda/bad.cu:1: module kernels/cuda includes engine/engine_internal.h (module engine)"),
    ("kernels/cpu/bad.c", '#include "kernels/cuda/k.h"\n',
     "kernels/cpu/bad.c:1: module kernels/cpu includes kernels/cuda/k.h (module kernels/cuda)"),
    ("engine/exec/bad.c", '#include "calib8/calib.h"\n',
     "engine/exec/bad.c:1: module engine includes calib8/calib.h (module calib, public)"),
    ("tools/bad.c", '#include "util/err.h"\n',
     "tools/bad.c:1: module tools includes util/err.h (module util)"),
    ("examples/bad.c", '#include "engine/engine_internal.h"\n',
     "examples/bad.c:1: module examples includes engine/engine_internal.h (module engine)"),
    ("include/calib8/quant.h", '#include "util/err.h"\n',
     "include/calib8/quant.h:1: public header of module quant includes util/err.h (module util)"),
    ("include/calib8/new.h", "", "include/calib8/new.h:1: public header new.h has no module"),
    ("datasets/bad.h", '#include "calib8/calib8.h"\n',
     "datasets/bad.h:1: module datasets includes calib8/calib8.h (module umbrella, public)"),
]


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def run(root):
    p = subprocess.run([sys.executable, CHECKER, "--root", root], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def main():
    fails = 0
    tmp = tempfile.mkdtemp(prefix="c8_check_deps_")
    try:
        ok_root = os.path.join(tmp, "ok")
        write_tree(ok_root, ALLOWED_TREE)
        rc, out, err = run(ok_root)
        if rc != 0 or out:
            print("FAIL: allowed tree: exit %d, expected 0\n%s%s" % (rc, out, err))
            fails += 1
        else:
            print("ok: allowed tree passes (%s)" % err.strip())
        for i, (rel, text, want) in enumerate(FORBIDDEN):
            root = os.path.join(tmp, "bad%d" % i)
            files = dict(ALLOWED_TREE)
            files[rel] = text
            write_tree(root, files)
            rc, out, err = run(root)
            lines = out.splitlines()
            if rc != 1 or len(lines) != 1 or not lines[0].startswith(want):
                print("FAIL: %s: exit %d (expected 1), output:\n%s\nexpected one line starting "
                      "with:\n%s" % (rel, rc, out, want))
                fails += 1
            else:
                print("ok: %s" % lines[0])
    finally:
        shutil.rmtree(tmp)
    print("test_check_deps: %d failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
