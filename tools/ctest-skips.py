#!/usr/bin/env python3
"""Prints how many CTest suites were skipped and why, from the JUnit file that
`ctest --output-junit FILE` wrote (tools/test.sh writes BUILD/ctest-junit.xml).

A suite is skipped when it exits 77 (SKIP_RETURN_CODE: tests/c8test.h, the shell tests); each of
its skips printed one line "SKIP: <reason>", listed here under the suite. A skipped suite that
printed no SKIP line is a bug in that suite: the exit status is then 1.

Usage: tools/ctest-skips.py BUILD/ctest-junit.xml   (Python 3 standard library only)"""

import sys
import xml.etree.ElementTree as ET


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        root = ET.parse(argv[0]).getroot()
    except (OSError, ET.ParseError) as e:
        print("ctest-skips: %s: %s" % (argv[0], e), file=sys.stderr)
        return 2
    cases = root.iter("testcase")
    total = 0
    skipped = []
    for c in cases:
        total += 1
        if c.find("skipped") is None:
            continue
        out = c.findtext("system-out") or ""
        reasons = []
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("SKIP:"):
                r = line[len("SKIP:"):].strip()
                if r not in reasons:
                    reasons.append(r)
        skipped.append((c.get("name"), reasons))
    print("skipped: %d of %d suites" % (len(skipped), total))
    silent = 0
    for name, reasons in skipped:
        if not reasons:
            silent += 1
            print("  %s: no SKIP line (every skip must say why: tests/c8test.h)" % name)
        for r in reasons:
            print("  %s: %s" % (name, r))
    return 1 if silent else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
