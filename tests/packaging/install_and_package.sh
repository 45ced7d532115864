#!/usr/bin/env bash
# `cmake --install` into a scratch prefix: the layout the README promises, and
# the installed igtbridge runs from it (version line, the installed config and
# demo model files load, the installed bench finds the installed recording).
# Then, where dpkg-shlibdeps exists (Debian), `cpack -G DEB`: the package's
# Depends name the Debian libraries the build linked, and it holds the same files.
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
for f in bin/igtbridge bin/igtbridge-replay bin/igtbridge-listen bin/igtbridge-bench bin/igtbridge-models \
         share/igtbridge/config/igtbridge.yaml share/igtbridge/models/demo_detector.pt \
         share/igtbridge/models/demo_encoder.pt share/igtbridge/models/demo_decoder.pt \
         share/igtbridge/data/SpinePhantomFreehand.igs.mha share/igtbridge/data/LICENSE-PlusLibData \
         share/igtbridge/scripts/slicer_setup.py share/igtbridge/scripts/slicer_check.py \
         share/igtbridge/scripts/plot_kpi.py share/igtbridge/systemd/igtbridge.service \
         share/doc/igtbridge/README.md share/doc/igtbridge/LICENSE; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
echo "ok   install layout under $prefix"
if command -v help2man >/dev/null; then  # man pages from --help (scripts/setup.sh installs help2man)
  for p in igtbridge igtbridge-replay igtbridge-listen igtbridge-bench igtbridge-models; do
    page="$prefix/share/man/man1/$p.1"
    [ -f "$page" ] || fail "not installed: share/man/man1/$p.1"
    grep -q "Exit codes" "$page" || fail "$p.1 lacks the exit codes"
  done
  echo "ok   man pages: $(ls "$prefix/share/man/man1" | tr '\n' ' ')"
fi
[ -f "$prefix/share/doc/igtbridge/docs/interop.md" ] || fail "not installed: share/doc/igtbridge/docs/interop.md"

version=$("$prefix/bin/igtbridge" --version) || fail "installed igtbridge --version"
[[ $version =~ ^igtbridge\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ [0-9a-f]{12}|unknown,\ LibTorch\ [0-9.]+.*,\ (cpu|cuda) ]] \
  || fail "version line: $version"
echo "ok   $version"
models="$prefix/share/igtbridge/models"
out=$("$prefix/bin/igtbridge" --config "$prefix/share/igtbridge/config/igtbridge.yaml" --check-config \
  --set "models.detector=$models/demo_detector.pt" --set "models.encoder=$models/demo_encoder.pt" \
  --set "models.decoder=$models/demo_decoder.pt" 2>&1) || { echo "$out"; fail "installed config + model files"; }
echo "ok   installed config and model files: $(echo "$out" | tail -n1)"
# The installed recording, as a user of the package runs the bench on it.
out=$(cd "$tmp" && "$prefix/bin/igtbridge-bench" --pipeline --frames 3 \
  --file "$prefix/share/igtbridge/data/SpinePhantomFreehand.igs.mha" 2>&1) || { echo "$out"; fail "installed bench"; }
grep -q "frames/s" <<<"$out" || { echo "$out"; fail "installed bench output"; }
echo "ok   installed igtbridge-bench --pipeline --frames 3 on the installed recording"

if ! command -v dpkg-shlibdeps >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "skip .deb: no dpkg-shlibdeps here (not a Debian build host)"
  exit 0
fi
(cd "$build" && cpack -G DEB -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/deb/igtbridge_*.deb) || fail "no .deb written"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libtorch libopenigtlink libspdlog libyaml-cpp zlib1g; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/igtbridge ./usr/share/igtbridge/config/igtbridge.yaml ./usr/share/igtbridge/models/demo_detector.pt \
         ./usr/share/igtbridge/systemd/igtbridge.service; do
  grep -q " $f\$" <<<"$files" || fail "$f not in the package"
done
echo "ok   $(basename "$deb") ($(du -k "$deb" | cut -f1) kB), Depends: $depends"
echo "install_and_package: all passed"
