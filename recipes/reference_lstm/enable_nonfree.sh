#!/usr/bin/env bash
# Adds Debian's contrib and non-free components to apt's sources (mbrola, pico and RHVoice live
# there), reusing the mirror, suites and key of the system's own main Debian entry, so no mirror
# is named here. Does nothing when a non-free component is already configured. Run as root, then
# `apt-get update`.
set -euo pipefail
if grep -Eqrs '(^|[[:space:]])non-free([[:space:]]|$)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  exit 0
fi
deb822=/etc/apt/sources.list.d/debian.sources
if [ -f "$deb822" ]; then
  # the first stanza is the main archive (the second, if any, is security)
  awk 'BEGIN { RS = ""; ORS = "\n" } NR == 1' "$deb822" \
    | sed 's/^Components:.*/Components: contrib non-free/' \
    > /etc/apt/sources.list.d/debian-contrib-nonfree.sources
elif [ -f /etc/apt/sources.list ]; then
  # one-line format: copy each main-archive "deb URI SUITE main" line with the other components
  sed -n 's/^\(deb[[:space:]].*[[:space:]]\)main\([[:space:]].*\)\?$/\1contrib non-free/p' /etc/apt/sources.list \
    | grep -v security > /etc/apt/sources.list.d/debian-contrib-nonfree.list
else
  echo "enable_nonfree.sh: no Debian apt sources found to extend" >&2
  exit 1
fi
echo "enabled Debian contrib non-free"
