#!/usr/bin/env bash
# Runs the README's setup, install and test blocks in order inside a new Debian 12 (bookworm)
# root made with debootstrap, from a clone of this repository: the check that a person on a
# fresh machine needs nothing that the README does not say. Run as root; takes about 20 minutes
# on 2 cores (ncnn is built from source inside, with no cache).
#   scripts/fresh-debian-check.sh [ROOT_DIR]      (default: a new folder under /tmp)
# The mirror is the one this machine's apt uses. Where HTTPS goes through a proxy with its own
# CA, this machine's CA bundle is copied in and handed to pip (PIP_CERT).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${1:-$(mktemp -d /tmp/ncasr-debian12.XXXXXX)}"
mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } \
         | awk '/^(URIs:|deb) / && $2 !~ /security/ { print $2; exit }')
[ -n "$mirror" ] || { echo "no Debian mirror found in apt's sources" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
[ -x "$root/bin/bash" ] || debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
for fs in proc dev dev/pts; do
  mountpoint -q "$root/$fs" || mount --bind "/$fs" "$root/$fs"
done
trap 'for fs in dev/pts dev proc; do umount "$root/$fs" 2>/dev/null || true; done' EXIT
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/host-ca.crt"
rm -rf "$root/root/ncasr" && git clone -q "$repo" "$root/root/ncasr"

run_block() {  # the code block after <!-- ci:NAME --> in README.md, run inside the new root
  local cmd
  cmd=$(awk -v marker="<!-- ci:$1 -->" '$0 == marker { found = 1; next }
        found && /^```/ { if (inblock) exit; inblock = 1; next } inblock { print }' "$repo/README.md")
  echo "=== $1: $cmd"
  local start=$(date +%s)
  chroot "$root" env -i HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/host-ca.crt bash -euo pipefail -c "cd /root/ncasr && $cmd"
  echo "=== $1: done in $(( $(date +%s) - start )) s"
}
for block in setup install test; do run_block "$block"; done
