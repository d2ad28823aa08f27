"""The layers of docs/design.md hold: every file includes only its own
layer or the ones below, the detector sees only the config layer's plain
structs, and tachy-actions carries neither the detector
(engine, wheel, frame codec, keys) nor libcrypto.

  tests/layering_test.py --root SOURCE_DIR --actions build/actions/tachy-actions
"""

import argparse
import os
import re
import subprocess
import sys

# layer -> the layers its files may include (itself included).
ALLOWED = {
    "detector/base": {"detector/base"},
    "detector/config": {"detector/base", "detector/config"},
    "detector/stream": {"detector/base", "detector/stream"},
    "detector": {"detector/base", "detector/config", "detector/stream", "detector"},
    "detector/tachyd": {"detector/base", "detector/config", "detector/stream", "detector",
                        "detector/tachyd"},
    "arp": {"detector/base", "arp"},
    "actions": {"detector/base", "detector/config", "detector/stream", "arp", "actions"},
}
# The detector takes plain option structs: of the config layer it may see
# these and not the parsers (ha.cf, authkeys, the cluster config).
CORE_CONFIG_HEADERS = {"detector/config/medium.h", "detector/config/auth_keys.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# What only the detector defines: none of it may be in the runner.
DETECTOR_SYMBOLS = re.compile(r"tachy::(Engine|TimingWheel|KeyRing|Authenticator|EncodeFrame|"
                              r"ParseFrameHeader|RealtimeLoop)\b")


def layer_of(path):
    """The layer a repo path belongs to ("detector/tachyd/daemon.cc" ->
    "detector/tachyd"), or None outside the layered folders."""
    parts = path.split("/")
    if parts[0] == "detector":
        if len(parts) > 2 and f"detector/{parts[1]}" in ALLOWED:
            return f"detector/{parts[1]}"
        return "detector"
    return parts[0] if parts[0] in ALLOWED else None


def include_problems(root):
    problems = []
    for top in ("detector", "actions", "arp"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                mine = layer_of(path)
                with open(os.path.join(root, path)) as f:
                    text = f.read()
                for inc in INCLUDE.findall(text):
                    theirs = layer_of(inc)
                    if theirs is not None and theirs not in ALLOWED[mine]:
                        problems.append(f"{path} ({mine}) includes {inc} ({theirs})")
                    elif (mine == "detector" and theirs == "detector/config" and
                          inc not in CORE_CONFIG_HEADERS):
                        problems.append(f"{path} (detector) includes the parser {inc}; "
                                        "take a plain struct instead")
    return problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--actions", required=True)
    args = p.parse_args()
    problems = include_problems(args.root)
    symbols = subprocess.run(["nm", "-C", args.actions], capture_output=True, text=True,
                             check=True).stdout
    found = sorted(set(m.group(0) for m in DETECTOR_SYMBOLS.finditer(symbols)))
    if found:
        problems.append(f"tachy-actions carries detector code: {', '.join(found)}")
    libs = subprocess.run(["ldd", args.actions], capture_output=True, text=True).stdout
    if "libcrypto" in libs:
        problems.append("tachy-actions links libcrypto")
    for line in problems:
        print(f"FAIL: {line}")
    if not problems:
        print("layers hold; tachy-actions has no detector code and no libcrypto")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
