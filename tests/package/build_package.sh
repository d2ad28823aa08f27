#!/bin/bash
# build_package.sh: builds the tachy .deb from a copy of the working tree and
# checks it with check_package.sh.
#
#   tests/package/build_package.sh [OUTDIR]
#
# The files git knows of, plus new files it does not ignore (git ls-files
# --cached --others --exclude-standard), are copied to a temporary directory
# and built there with dpkg-buildpackage -us -uc -b, so the source tree gets
# no build products, debian/tmp or debian/tachy. The .deb (and .buildinfo,
# .changes) land in OUTDIR, by default the directory above the source tree,
# where check_package.sh looks. Needs the Build-Depends of debian/control
# (dpkg-checkbuilddeps says which are missing). Exit status: that of
# check_package.sh, 1 if the build fails, 77 if dpkg-buildpackage is missing.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
outdir="${1:-$(cd "$repo/.." && pwd)}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

if ! command -v dpkg-buildpackage >/dev/null 2>&1; then
  if [[ -n "${CI:-}" ]]; then
    echo "FAIL: CI must build the package: dpkg-buildpackage not found (scripts/install-deps.sh)"
    exit 1
  fi
  echo "SKIP: dpkg-buildpackage not found (apt-get install dpkg-dev debhelper)"
  exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="$work/tachy"
mkdir "$src"

# A file deleted from the working tree but still in the index is skipped.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$repo" && while IFS= read -r -d '' f; do
     if [[ -e "$f" || -L "$f" ]]; then printf '%s\0' "$f"; fi
   done) |
  (cd "$repo" && tar --null --files-from=- -cf -) | tar -xf - -C "$src"

echo "building in $src"
(cd "$src" && dpkg-checkbuilddeps) || {
  echo "FAIL: build dependencies missing (above); apt-get install them"
  exit 1
}
if ! (cd "$src" && dpkg-buildpackage -us -uc -b); then
  echo "FAIL: dpkg-buildpackage failed"
  exit 1
fi

version="$(cd "$src" && dpkg-parsechangelog -S Version)"
arch="$(dpkg-architecture -q DEB_HOST_ARCH)"
deb="$work/tachy_${version}_${arch}.deb"
if [[ ! -f "$deb" ]]; then
  echo "FAIL: $deb was not built"
  exit 1
fi
for f in "$work"/tachy_"$version"_*; do
  cp -f "$f" "$outdir/"
done
echo "built $outdir/${deb##*/}"

exec "$repo/tests/package/check_package.sh" "$outdir/${deb##*/}"
