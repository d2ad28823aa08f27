#!/usr/bin/env python3
"""Prints, one per line, the ninja targets (paths relative to BUILD_DIR) that
the sanitized stage needs: every file the `unit` suite's tests depend on and
every executable defined under fuzz/. Used by scripts/sanitized-build.sh.

Usage: scripts/sanitized_targets.py BUILD_DIR
"""

import json
import os
import subprocess
import sys


def introspect(build, what):
    return json.loads(subprocess.check_output(["meson", "introspect", build, what]))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    fuzz_dir = os.path.join(os.path.dirname(build), "fuzz")
    targets = {t["id"]: t for t in introspect(build, "--targets")}
    want = set()
    for test in introspect(build, "--tests"):
        if any(s.split(":")[-1] == "unit" for s in test["suite"]):
            for dep in test.get("depends", []):
                want.update(targets[dep]["filename"] if dep in targets else [])
    for t in targets.values():
        if t["type"] == "executable" and t["defined_in"].startswith(fuzz_dir + os.sep):
            want.update(t["filename"])
    for f in sorted(want):
        print(os.path.relpath(f, build))


if __name__ == "__main__":
    main()
