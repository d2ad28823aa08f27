#!/bin/bash
# check_package.sh: checks a built tachy .deb.
#
#   tests/package/check_package.sh [PATH/tachy_VERSION_ARCH.deb]
#
# Without an argument, the newest ../tachy_*.deb beside the source tree is
# checked (where dpkg-buildpackage leaves it). Checks:
#   - the package's fields (dpkg-deb -I): name, architecture, no
#     Conflicts/Breaks/Replaces on heartbeat (the two are installed side by
#     side during a migration);
#   - its contents (dpkg-deb -c): the four programs, the systemd unit, the
#     tmpfiles and logrotate files, the man pages, docs and examples; nothing
#     under /etc/ha.d (not as a file, a conffile or in a maintainer script);
#     no file that the installed heartbeat package owns (dpkg -L heartbeat,
#     when it is installed);
#   - extracted (dpkg-deb -x): the man pages render without warnings,
#     systemd-analyze verify accepts the unit (its tachy programs pointed at
#     the extracted ones, the man pages looked up in the extracted tree),
#     and the programs answer --help (when they can run here).
# Exit status: 0 pass, 1 fail (every problem is named), 77 skip (no package
# found, or no dpkg-deb).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }
note() { echo "note: $*"; }

if ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "SKIP: dpkg-deb not found (apt-get install dpkg)"
  exit 77
fi

deb="${1:-}"
if [[ -z "$deb" ]]; then
  # The newest one, if several versions were built.
  deb="$(ls -t "$repo"/../tachy_*.deb 2>/dev/null | head -n 1 || true)"
  if [[ -z "$deb" ]]; then
    echo "SKIP: no package given and no $(cd "$repo/.." && pwd)/tachy_*.deb found" \
      "(build one with tests/package/build_package.sh)"
    exit 77
  fi
fi
if [[ ! -f "$deb" ]]; then
  echo "FAIL: $deb: no such file"
  exit 1
fi
echo "checking $deb"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- fields -------------------------------------------------------------
if ! dpkg-deb -I "$deb" >"$tmp/info" 2>"$tmp/info.err"; then
  echo "FAIL: dpkg-deb -I $deb: $(cat "$tmp/info.err")"
  exit 1
fi
field() { dpkg-deb -f "$deb" "$1" 2>/dev/null || true; }

[[ "$(field Package)" == tachy ]] && pass "Package: tachy" ||
  fail "Package is '$(field Package)', expected tachy"
arch="$(field Architecture)"
[[ -n "$arch" && "$arch" != all ]] && pass "Architecture: $arch" ||
  fail "Architecture is '$arch', expected the build architecture"
[[ "$(field Section)" == admin ]] && pass "Section: admin" ||
  fail "Section is '$(field Section)', expected admin"
[[ -n "$(field Depends)" ]] && pass "Depends: $(field Depends)" ||
  fail "no Depends (\${shlibs:Depends} was not filled in)"
relations_ok=1
for f in Conflicts Breaks Replaces; do
  if field "$f" | grep -qw heartbeat; then
    fail "$f names heartbeat: tachy must be installable beside heartbeat"
    relations_ok=0
  fi
done
[[ $relations_ok -eq 1 ]] && pass "no Conflicts/Breaks/Replaces on heartbeat"

# --- contents -----------------------------------------------------------
dpkg-deb -c "$deb" >"$tmp/contents"
# "perms owner size date time ./path [-> target]": type letter, path.
awk '{ t = substr($1, 1, 1); p = $6; sub(/^\.\//, "/", p); sub(/\/$/, "", p);
       if (p != "" && p != "/") print t, p }' "$tmp/contents" >"$tmp/paths"
has() { grep -qxF -- "$1" <(cut -d' ' -f2- "$tmp/paths"); }
need() {  # PATH [ALTERNATIVE...]: one of them must be in the package
  local p
  for p in "$@"; do
    if has "$p"; then pass "$p"; return 0; fi
  done
  fail "missing from the package: $1${2:+ (or $(shift; echo "$*"))}"
}

need /usr/sbin/tachyd
need /usr/sbin/tachy-actions
need /usr/bin/tachyctl
need /usr/bin/tachydump
need /lib/systemd/system/tachy.service /usr/lib/systemd/system/tachy.service
need /usr/lib/tmpfiles.d/tachy.conf
need /etc/logrotate.d/tachy
for m in man8/tachyd.8 man8/tachy-actions.8 man8/tachyctl.8 man8/tachydump.8 \
         man5/tachy-ha.cf.5 man5/tachy-authkeys.5; do
  need "/usr/share/man/$m.gz"
done
for e in ha.cf authkeys haresources tachy.cf frr-node.conf frr-router.conf; do
  need "/usr/share/doc/tachy/examples/$e" "/usr/share/doc/tachy/examples/$e.gz"
done
need /usr/share/doc/tachy/README.md /usr/share/doc/tachy/README.md.gz
need /usr/share/doc/tachy/control-protocol.md /usr/share/doc/tachy/control-protocol.md.gz
need /usr/share/doc/tachy/copyright
# A native package has changelog.gz, a non-native one changelog.Debian.gz.
need /usr/share/doc/tachy/changelog.gz /usr/share/doc/tachy/changelog.Debian.gz

for p in /usr/sbin/tachyd /usr/sbin/tachy-actions /usr/bin/tachyctl /usr/bin/tachydump; do
  if has "$p" && ! grep -qE "^-rwx.* \.${p}\$" "$tmp/contents"; then
    fail "$p is not an executable regular file: $(grep -F ".$p" "$tmp/contents")"
  fi
done

if grep -qE '^. /etc/ha\.d(/|$)' "$tmp/paths"; then
  fail "the package ships under /etc/ha.d (it must never touch it):"
  grep -E '^. /etc/ha\.d(/|$)' "$tmp/paths" | sed 's/^/      /'
else
  pass "nothing under /etc/ha.d"
fi
# Heartbeat's own man pages and programs: tachy's names must differ.
for p in /usr/share/man/man5/ha.cf.5.gz /usr/share/man/man5/authkeys.5.gz \
         /usr/share/man/man8/heartbeat.8.gz /usr/bin/cl_status; do
  if has "$p"; then fail "the package ships $p, a name of Heartbeat's"; fi
done

ctrl="$tmp/control"
dpkg-deb -e "$deb" "$ctrl"
if [[ -f "$ctrl/conffiles" ]]; then
  if grep -q '^/etc/ha\.d' "$ctrl/conffiles"; then
    fail "a conffile under /etc/ha.d: $(grep '^/etc/ha\.d' "$ctrl/conffiles" | tr '\n' ' ')"
  else
    pass "conffiles: $(tr '\n' ' ' <"$ctrl/conffiles")"
  fi
fi
for s in preinst postinst prerm postrm; do
  if [[ -f "$ctrl/$s" ]] && grep -q 'ha\.d' "$ctrl/$s"; then
    fail "maintainer script $s mentions /etc/ha.d:"
    grep -n 'ha\.d' "$ctrl/$s" | sed 's/^/      /'
  fi
done
# Installing or upgrading must neither start nor restart tachy.service: a
# start stops a running heartbeat (Conflicts=), a restart moves this node's
# groups to a peer.
if [[ -f "$ctrl/postinst" ]] && grep -q 'deb-systemd-invoke' "$ctrl/postinst"; then
  fail "postinst starts or restarts tachy.service:"
  grep -n 'deb-systemd-invoke' "$ctrl/postinst" | sed 's/^/      /'
else
  pass "postinst neither starts nor restarts tachy.service"
fi
# Removing it must stop it (releasing its groups), not leave it running.
if [[ -f "$ctrl/prerm" ]] && grep -q 'deb-systemd-invoke stop tachy.service' "$ctrl/prerm"; then
  pass "prerm stops tachy.service on removal"
else
  fail "no prerm stopping tachy.service when the package is removed"
fi

# No file heartbeat owns (shared directories are fine).
if dpkg-query -W -f='${Status}' heartbeat 2>/dev/null | grep -q 'installed$'; then
  dpkg -L heartbeat | sort -u >"$tmp/heartbeat.files"
  grep -v '^d ' "$tmp/paths" | cut -d' ' -f2- >"$tmp/ours"
  # On a merged-/usr system /lib is /usr/lib: compare both spellings.
  { cat "$tmp/ours"; sed -n 's#^/lib/#/usr/lib/#p' "$tmp/ours"; sed -n 's#^/usr/lib/#/lib/#p' "$tmp/ours"; } |
    sort -u >"$tmp/ours.files"
  shared="$(comm -12 "$tmp/ours.files" "$tmp/heartbeat.files")"
  if [[ -n "$shared" ]]; then
    fail "files that the installed heartbeat package owns too:"
    echo "$shared" | sed 's/^/      /'
  else
    pass "no file shared with the installed heartbeat package"
  fi
else
  note "heartbeat is not installed: the overlap with its files is not checked"
fi

# --- extracted ----------------------------------------------------------
root="$tmp/root"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"

if command -v man >/dev/null 2>&1; then
  for page in "$root"/usr/share/man/man*/*.gz; do
    [[ -e "$page" ]] || continue
    warnings="$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)"
    if [[ -n "$warnings" ]]; then
      fail "man -l ${page#"$root"} warns:"
      echo "$warnings" | sed 's/^/      /'
    elif ! LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q NAME; then
      fail "man -l ${page#"$root"} renders no NAME section"
    else
      pass "man -l ${page#"$root"}"
    fi
  done
elif [[ -n "${CI:-}" ]]; then
  fail "man is not installed: CI must render the man pages (apt-get install man-db)"
else
  note "man is not installed: the man pages are not rendered"
fi

unit=""
for u in "$root/lib/systemd/system/tachy.service" "$root/usr/lib/systemd/system/tachy.service"; do
  [[ -f "$u" ]] && unit="$u" && break
done
if [[ -z "$unit" ]]; then
  : # already reported missing
elif ! command -v systemd-analyze >/dev/null 2>&1; then
  if [[ -n "${CI:-}" ]]; then
    fail "systemd-analyze is not installed: CI must verify the unit (apt-get install systemd)"
  else
    note "systemd-analyze is not installed: the unit is not verified"
  fi
else
  # systemd 252's verify needs every Exec*= program to exist and every
  # Documentation=man: page to open: point tachy's programs at the extracted
  # ones, and man at the extracted pages. It exits 0 on some problems it only
  # warns about, so any output is a failure.
  mkdir -p "$tmp/units"
  sed -e "s#/usr/sbin/tachy#$root/usr/sbin/tachy#g" \
      -e "s#/usr/bin/tachy#$root/usr/bin/tachy#g" "$unit" >"$tmp/units/tachy.service"
  out="$(MANPATH="$root/usr/share/man" systemd-analyze verify "$tmp/units/tachy.service" 2>&1)" &&
    rc=0 || rc=$?
  if [[ $rc -ne 0 || -n "$out" ]]; then
    fail "systemd-analyze verify ${unit#"$root"} (exit $rc):"
    echo "$out" | sed "s#$tmp/units/#${unit#"$root"} (copy): #; s/^/      /"
  else
    pass "systemd-analyze verify ${unit#"$root"}"
  fi
  for key in Type=notify Conflicts=heartbeat.service ConditionPathExists=/etc/ha.d/ha.cf \
             WatchdogSec= ExecReload= StateDirectory=tachy RuntimeDirectory=tachy; do
    grep -q "^$key" "$unit" || fail "tachy.service has no $key line"
  done
fi

# The programs: --help must work where they can run (their libraries are
# here: the build machine has them). --version is reported, not required.
for p in usr/sbin/tachyd usr/sbin/tachy-actions usr/bin/tachyctl usr/bin/tachydump; do
  bin="$root/$p"
  [[ -x "$bin" ]] || continue
  name="${p##*/}"
  if command -v ldd >/dev/null 2>&1 && ldd "$bin" 2>/dev/null | grep -q 'not found'; then
    note "$name cannot run here (missing libraries: $(ldd "$bin" | awk '/not found/ {print $1}' |
          tr '\n' ' ')): --help not tried"
    continue
  fi
  out="$("$bin" --help 2>&1)" && rc=0 || rc=$?
  if [[ $rc -eq 0 ]] && grep -q "^Usage: $name" <<<"$out"; then
    pass "$name --help"
  else
    fail "$name --help: exit $rc, output: $(head -n 3 <<<"$out")"
  fi
  version="$("$bin" --version 2>&1 | head -n 1)" && rc=0 || rc=$?
  if [[ $rc -eq 0 && "$version" == "$name "* ]]; then
    pass "$name --version: $version"
  else
    note "$name --version: exit $rc ($version)"
  fi
done

echo
if [[ $failures -gt 0 ]]; then
  echo "$failures problem(s) in $deb"
  exit 1
fi
echo "package OK: $deb"
exit 0
