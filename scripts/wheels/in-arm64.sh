#!/usr/bin/env bash
# Runs a command inside the arm64 userland under qemu-aarch64. This machine has no binfmt_misc,
# so proot starts every arm64 program (pip's and venv's child processes too) through qemu.
#   in-arm64.sh ROOT WORKDIR COMMAND...   (WORKDIR appears as /work inside)
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -ge 3 ] || die "usage: in-arm64.sh ROOT WORKDIR COMMAND..."
root="$1" work="$2"
shift 2
need_commands proot:proot qemu-aarch64:qemu-user
binds=(-b /dev -b /proc -b /etc/resolv.conf -b "$work:/work")
# Only what pip needs to reach the registry from here: proxies, timeout, and this machine's
# CA bundle where pip is told to use one.
envs=(PATH=/work/venv/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TMPDIR=/tmp PIP_DISABLE_PIP_VERSION_CHECK=1)
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_DEFAULT_TIMEOUT PIP_INDEX_URL; do
  [ -n "${!v:-}" ] && envs+=("$v=${!v}")
done
if [ -n "${PIP_CERT:-}" ]; then
  binds+=(-b "$PIP_CERT:/etc/ncasr-ca.crt")
  envs+=(PIP_CERT=/etc/ncasr-ca.crt)
fi
exec env -i "${envs[@]}" proot -q qemu-aarch64 -r "$root" "${binds[@]}" -w /work "$@"
