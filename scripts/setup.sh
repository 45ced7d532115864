#!/usr/bin/env bash
# Installs igtbridge's build and run dependencies from Debian 12 packages.
# Idempotent and non-interactive; runs `apt-get update` only when a package
# is missing and cannot be installed from the package lists already present.
# `setup.sh test` (what scripts/test.sh runs) adds what only the tests use:
# systemd, for systemd-analyze verify and systemd-sysusers in the packaging
# test (installing it starts nothing in a container); chromium, to open the
# monitoring dashboard headless; python3-prometheus-client, whose parser
# reads /metrics in the tests.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libopenigtlink-dev libtorch-dev libspdlog-dev libfmt-dev libcli11-dev catch2
  libyaml-cpp-dev zlib1g-dev libcpp-httplib-dev python3 python3-numpy python3-matplotlib help2man
)
case "${1:-}" in
  "") ;;
  test) PACKAGES+=(systemd chromium python3-prometheus-client) ;;
  *) echo "usage: scripts/setup.sh [test]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root (or install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  echo "setup: refreshing the package lists"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
