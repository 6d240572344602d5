#!/usr/bin/env bash
# An arm64 Debian 12 userland with Python 3.11 and venv, unpacked (not configured: no
# emulation is needed to make it) into the cache once; prints its folder. Commands run in it
# with scripts/wheels/in-arm64.sh. libstdc++ is there as on any Debian board (manylinux
# counts on it); libgomp is not: the wheel must bring its own.
set -euo pipefail
. "$(dirname "$0")/common.sh"
SUITE=bookworm
PACKAGES=python3,python3-venv,libstdc++6

need_commands mmdebstrap:mmdebstrap
dest="$NCASR_CACHE/arm64-userland/$SUITE-$(echo "$PACKAGES" | tr ',' '-')"
if [ ! -f "$dest/.complete" ]; then
  echo "making the arm64 userland in $dest" >&2
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$PACKAGES" "$SUITE" "$dest" >&2 \
    || die "mmdebstrap could not make an arm64 $SUITE userland"
  mkdir -p "$dest/root" "$dest/work" "$dest/tmp"
  [ -x "$dest/usr/bin/python3" ] || die "the arm64 userland has no python3"
  touch "$dest/.complete"
fi
echo "$dest"
