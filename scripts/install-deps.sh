#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the demo need.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

PACKAGES=(
  meson ninja-build pkg-config g++
  libabsl-dev libpcap-dev libnet1-dev libssl-dev libmnl-dev
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libsystemd-dev
  # man pages; the Debian package and its checks; the metrics test's parser.
  scdoc debhelper dpkg-dev python3-prometheus-client systemd man-db
  iproute2 procps psmisc util-linux python3 apache2 gnuplot-nox tshark
  # tachybench's side-by-side runs and the suite's smoke of them: the peers,
  # and the ifconfig that Heartbeat's IPaddr runs.
  keepalived heartbeat net-tools
  # The second stage: unit tests under ASan + UBSan and the libFuzzer targets.
  clang-14 libclang-rt-14-dev
)
# Wanted, not required: the l3 lab (tools/lab/frr_lab.py, tachybench
# --topology l3, the netns_bgp test) runs FRR's zebra, bgpd and bfdd, one
# set per namespace. Where it cannot be installed the BGP tests are skipped,
# saying so.
OPTIONAL_PACKAGES=(frr)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

optional=()
for p in "${OPTIONAL_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    optional+=("$p")
  fi
done
if ((${#optional[@]})) && [[ $(id -u) -eq 0 ]]; then
  echo "install-deps: installing ${optional[*]} (optional)" >&2
  export DEBIAN_FRONTEND=noninteractive
  ((${#missing[@]})) || apt-get update -q || true
  if ! apt-get install -y -q --no-install-recommends "${optional[@]}"; then
    echo "install-deps: warning: could not install ${optional[*]}: the tests that need" \
         "it (netns_bgp) will be skipped" >&2
  fi
fi
