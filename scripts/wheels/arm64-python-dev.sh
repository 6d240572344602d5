#!/usr/bin/env bash
# Debian's arm64 CPython headers (libpython3.11-dev:arm64, fetched through dpkg multiarch),
# unpacked into the cache without installing them on this machine, so no amd64 package is
# upgraded to match. Prints the folder that holds usr/include/python3.11 and
# usr/include/aarch64-linux-gnu/python3.11.
set -euo pipefail
. "$(dirname "$0")/common.sh"
PY="${1:-3.11}"
pkg="libpython$PY-dev:arm64"

dpkg --print-foreign-architectures | grep -qx arm64 || {
  echo "adding the arm64 architecture to dpkg (multiarch) for $pkg" >&2
  dpkg --add-architecture arm64
}
version=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  version=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  die "apt has no $pkg (is Debian's arm64 archive reachable?)"
fi

dest="$NCASR_CACHE/wheels/$pkg-$version"
dest="${dest//:/-}"
if [ ! -f "$dest/.complete" ]; then
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt fetches as its own user
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$pkg=$version" >&2) || die "apt-get download $pkg=$version failed"
  rm -rf "$dest"
  mkdir -p "$dest"
  dpkg -x "$tmp"/*.deb "$dest"
  [ -f "$dest/usr/include/aarch64-linux-gnu/python$PY/pyconfig.h" ] || die "$pkg has no aarch64 pyconfig.h"
  rm -rf "$dest/usr/lib"  # an extension module links no libpython on Linux: headers suffice
  touch "$dest/.complete"
fi
echo "$dest"
