#!/usr/bin/env bash
# `cmake --install` into a scratch prefix: the layout docs/install.md
# promises, nothing written outside the prefix, and the installed igtbridge
# runs from it (version line, the installed config and demo model files load,
# the installed bench finds the installed recording). Then the system layout
# (prefix /usr under DESTDIR): /etc/igtbridge, the unit, the sysusers file.
# Then, where dpkg-shlibdeps exists (Debian), `cpack -G DEB`: the package's
# Depends name the Debian libraries the build linked (all installed here), it
# holds the same files, and installed with dpkg into a throwaway root (dpkg
# --root, the maintainer scripts run against it) it makes the system user,
# the unit passes `systemd-analyze verify`, the installed config passes
# --check-config, an edited conffile survives a reinstall and goes on purge.
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
         share/igtbridge/systemd/igtbridge.sysusers \
         share/doc/igtbridge/README.md share/doc/igtbridge/LICENSE; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
outside=$(grep -v "^$prefix/" "$build/install_manifest.txt" || true)
[ -z "$outside" ] || fail "an install under $prefix wrote outside it: $outside"
echo "ok   install layout under $prefix, nothing outside it"

sys="$tmp/sys"
DESTDIR="$sys" cmake --install "$build" --prefix /usr >"$tmp/install-sys.log" || { cat "$tmp/install-sys.log"; fail "DESTDIR install, prefix /usr"; }
for f in etc/igtbridge/igtbridge.yaml lib/systemd/system/igtbridge.service usr/lib/sysusers.d/igtbridge.conf usr/bin/igtbridge; do
  [ -f "$sys/$f" ] || fail "prefix /usr: not installed: /$f"
done
cmp -s "$sys/etc/igtbridge/igtbridge.yaml" "$(dirname "$0")/../../config/igtbridge.yaml" || fail "/etc/igtbridge/igtbridge.yaml is not config/igtbridge.yaml"
echo "ok   prefix /usr: /etc/igtbridge/igtbridge.yaml, /lib/systemd/system/igtbridge.service, /usr/lib/sysusers.d/igtbridge.conf"
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
out=$(cd "$tmp" && "$prefix/bin/igtbridge-bench" pipeline --frames 3 \
  --file "$prefix/share/igtbridge/data/SpinePhantomFreehand.igs.mha" 2>&1) || { echo "$out"; fail "installed bench"; }
grep -q "frames/s" <<<"$out" || { echo "$out"; fail "installed bench output"; }
echo "ok   installed igtbridge-bench pipeline --frames 3 on the installed recording"

if ! command -v dpkg-shlibdeps >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "skip .deb: no dpkg-shlibdeps here (not a Debian build host)"
  exit 0
fi
if ! dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q 'install ok installed'; then
  echo "skip .deb: LibTorch here is not Debian's libtorch-dev (e.g. the GPU machine's pip LibTorch): no package to depend on"
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
         ./etc/igtbridge/igtbridge.yaml ./lib/systemd/system/igtbridge.service ./usr/lib/sysusers.d/igtbridge.conf \
         ./usr/share/man/man1/igtbridge.1 ./usr/share/doc/igtbridge/docs/install.md; do
  grep -q " $f\$" <<<"$files" || { [ "$f" = ./usr/share/man/man1/igtbridge.1 ] && ! command -v help2man >/dev/null; } \
    || fail "$f not in the package"
done
[ "$(dpkg-deb -f "$deb" Package)" = igtbridge ] || fail "package name"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -O ./conffiles | grep -qx /etc/igtbridge/igtbridge.yaml \
  || fail "/etc/igtbridge/igtbridge.yaml is not a conffile"
# Every Depends is installed here, so `dpkg -i` on this machine meets them.
# (a package, or a name an installed package Provides, e.g. libspdlog1.10-fmt9).
have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' | awk '$1 == "ii" { $1 = ""; print }' \
  | sed 's/([^)]*)//g; s/,/ /g' | tr ' ' '\n' | sed 's/:.*//' | sort -u)
for dep in $(sed 's/([^)]*)//g; s/,/ /g; s/|/ /g' <<<"$depends"); do
  grep -qx "$dep" <<<"$have" || fail "Depends $dep is not installed here"
done
echo "ok   $(basename "$deb") ($(du -k "$deb" | cut -f1) kB), conffile /etc/igtbridge/igtbridge.yaml, Depends: $depends"

# A throwaway root: dpkg's database empty (the dependencies are those of this
# machine, checked above), the maintainer scripts run with DPKG_ROOT set.
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/etc"
touch "$root/var/lib/dpkg/status"
dpkg_root() { dpkg --root="$root" --force-depends --force-script-chrootless --force-not-root --log=/dev/null "$@"; }
dpkg_root -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i into a throwaway root"; }
grep -q '^igtbridge:x:[0-9]*:[0-9]*:.*:/var/lib/igtbridge:' "$root/etc/passwd" 2>/dev/null \
  || { cat "$tmp/dpkg.log"; fail "postinst made no system user igtbridge"; }
uid=$(grep '^igtbridge:' "$root/etc/passwd" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "igtbridge's uid $uid is not a system uid"
echo "ok   dpkg -i into a throwaway root: system user igtbridge (uid $uid), unit installed, not enabled"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/igtbridge.service" ] || fail "the unit was enabled"
if command -v systemd-analyze >/dev/null; then
  # verify needs the targets the unit refers to: this machine's units beside it.
  cp -an /lib/systemd/system/. "$root/lib/systemd/system/" 2>/dev/null || true
  # and the kill(1) of its ExecReload, which procps installs on any real system.
  for d in "$root/usr/bin" "$root/bin"; do
    mkdir -p "$d" 2>/dev/null || true  # $root/bin may be a link to usr/bin (merged /usr)
    [ -e "$d/kill" ] || cp "$(type -P kill)" "$d/kill"  # the program, not the shell builtin
  done
  out=$(systemd-analyze verify --root="$root" igtbridge.service 2>&1) || { echo "$out"; fail "systemd-analyze verify"; }
  [ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify printed warnings"; }
  echo "ok   systemd-analyze verify --root igtbridge.service"
else
  echo "skip systemd-analyze verify: no systemd-analyze here (scripts/setup.sh test installs it)"
fi
grep -q '^ExecStart=/usr/bin/igtbridge --config /etc/igtbridge/igtbridge.yaml$' "$root/lib/systemd/system/igtbridge.service" \
  || fail "the unit does not run /usr/bin/igtbridge with /etc/igtbridge/igtbridge.yaml"
# What ExecStartPre runs, on the files dpkg put there.
out=$("$root/usr/bin/igtbridge" --config "$root/etc/igtbridge/igtbridge.yaml" --check-config 2>&1) \
  || { echo "$out"; fail "the packaged igtbridge --check-config on the conffile"; }
echo "ok   packaged igtbridge --check-config on /etc/igtbridge/igtbridge.yaml: $(echo "$out" | tail -n1)"
echo "# edited by the administrator" >>"$root/etc/igtbridge/igtbridge.yaml"
dpkg_root -i "$deb" >"$tmp/dpkg2.log" 2>&1 || { cat "$tmp/dpkg2.log"; fail "reinstall"; }
grep -q "edited by the administrator" "$root/etc/igtbridge/igtbridge.yaml" || fail "a reinstall overwrote the edited conffile"
dpkg_root --purge igtbridge >"$tmp/dpkg3.log" 2>&1 || { cat "$tmp/dpkg3.log"; fail "purge"; }
[ ! -e "$root/etc/igtbridge/igtbridge.yaml" ] && [ ! -e "$root/usr/bin/igtbridge" ] || fail "purge left files"
echo "ok   an edited conffile survives a reinstall; purge removes it"
echo "install_and_package: all passed"
