#!/usr/bin/env bash
# Binary wheels of ncasr, repaired to manylinux tags, into dist/ (or --out):
#   x86_64:  one wheel per --python interpreter (default: python3 on PATH);
#   aarch64: cross-compiled with cmake/toolchains/aarch64-linux-gnu.cmake against Debian's
#            arm64 CPython 3.11 headers (a board running Debian 12 or Raspberry Pi OS).
# ncnn comes from the same cache as every other build (third_party/ncnn.cmake), so a
# machine that already built ncasr or ran scripts/test-aarch64.sh builds only the core here.
#   scripts/build-wheels.sh [--arch x86_64|aarch64|all] [--python PY]... [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
. scripts/wheels/common.sh

arch=all
out=dist
pythons=()
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="$2"; shift 2 ;;
    --python) pythons+=("$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case "$arch" in x86_64|aarch64|all) ;; *) die "--arch must be x86_64, aarch64 or all" ;; esac
[ "${#pythons[@]}" -gt 0 ] || pythons=(python3)
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

need_commands cmake:cmake ninja:ninja-build g++:g++ ccache:ccache
# A clean clone compiles the same core as the last one: ccache (kept beside the ncnn builds)
# turns that into cache hits, wherever the clone is (paths hashed relative to it).
export CCACHE_DIR="$NCASR_CACHE/ccache" CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}" CCACHE_BASEDIR="$root"
launcher=(-Ccmake.define.CMAKE_C_COMPILER_LAUNCHER=ccache -Ccmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache)
build_requires=$(sed -n 's/^requires = \[\(.*\)\]$/\1/p' pyproject.toml | tr -d '",')
[ -n "$build_requires" ] || die "pyproject.toml has no [build-system] requires"
tools=build/wheel-tools
wheel_tools "$tools/repair"

# A venv of interpreter $1 holding the build requirements; prints its python. The build runs
# without pip's isolation so that CMake can be handed pybind11's folder (the aarch64
# toolchain only searches the arm64 sysroot for packages).
build_python() {
  local py="$1" tag venv
  tag=$("$py" -c 'import sys; print("cp%d%d" % sys.version_info[:2])') || die "cannot run $py"
  venv="$root/$tools/$tag"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import scikit_build_core, pybind11' 2>/dev/null; then
    "$py" -m venv "$venv" || die "$py -m venv failed"
    # shellcheck disable=SC2086  # one requirement per word
    "$venv/bin/pip" install --quiet --disable-pip-version-check $build_requires \
      || die "could not install $build_requires for $py"
  fi
  echo "$venv/bin/python"
}

# pip wheel into $2 with interpreter $1 and extra arguments (log: $2.log); prints the wheel's path.
raw_wheel() {
  local py="$1" raw="$2"
  shift 2
  rm -rf "$raw"
  mkdir -p "$(dirname "$raw")"
  "$py" -m pip wheel . -v --no-deps --no-build-isolation --disable-pip-version-check -w "$raw" "${launcher[@]}" "$@" \
    >"$raw.log" 2>&1 || { tail -40 "$raw.log" >&2; die "pip wheel failed; full log: $raw.log"; }
  ls "$raw"/ncasr-*.whl
}

# auditwheel repair: vendors libgomp (OpenMP) and tags the lowest manylinux the binary allows.
repair() {
  local whl="$1" plat_arch="$2" fixed
  rm -f "$out"/ncasr-*"$(basename "$whl" | sed 's/.*-\(cp[0-9]*-cp[0-9]*\)-.*/\1/')"-*"$plat_arch".whl
  PATH="$root/$tools/repair/bin:$PATH" auditwheel repair -w "$out" "$whl" \
    || die "auditwheel repair failed for $whl"
  fixed=$(ls -t "$out"/ncasr-*"$plat_arch".whl | head -1)
  "$tools/repair/bin/auditwheel" show "$fixed"
  python3 scripts/wheels/wheel_contents.py "$fixed"
}

build_x86_64() {
  local py bpy tag whl
  for py in "${pythons[@]}"; do
    bpy=$(build_python "$py")
    tag=$("$bpy" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
    echo "== x86_64 wheel, $tag"
    whl=$(raw_wheel "$bpy" "build/wheel-x86_64/raw-$tag" -Cbuild-dir="build/wheel-x86_64/$tag")
    repair "$whl" x86_64
  done
}

build_aarch64() {
  local bpy dev ext whl pyv=3.11
  command -v python$pyv >/dev/null || die "the aarch64 wheel needs python$pyv here (Debian 12's Python on boards)"
  need_commands aarch64-linux-gnu-g++:g++-aarch64-linux-gnu
  bpy=$(build_python python$pyv)
  dev=$(bash scripts/wheels/arm64-python-dev.sh $pyv)
  ext=".cpython-${pyv/./}-aarch64-linux-gnu.so"
  echo "== aarch64 wheel, cp${pyv/./}"
  # The tag and module suffix describe the target, not this interpreter. The toolchain file
  # is named by its absolute path, as scripts/test-aarch64.sh's build names it, so both reuse
  # one cached ncnn. Debian's pyconfig.h includes <aarch64-linux-gnu/python3.11/pyconfig.h>.
  whl=$(_PYTHON_HOST_PLATFORM=linux-aarch64 SETUPTOOLS_EXT_SUFFIX="$ext" raw_wheel "$bpy" build/wheel-aarch64/raw \
    -Cbuild-dir=build/wheel-aarch64/cp${pyv/./} \
    -Ccmake.define.CMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" \
    -Ccmake.define.pybind11_DIR="$("$bpy" -m pybind11 --cmakedir)" \
    -Ccmake.define.Python_INCLUDE_DIR="$dev/usr/include/python$pyv" \
    -Ccmake.define.CMAKE_CXX_FLAGS="-isystem $dev/usr/include" \
    -Ccmake.define.PYTHON_MODULE_EXTENSION="$ext" \
    -Ccmake.define.PYTHON_MODULE_DEBUG_POSTFIX="" \
    -Ccmake.define.PYTHON_IS_DEBUG=0)
  # auditwheel finds the arm64 libgomp in the cross toolchain's sysroot.
  LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib repair "$whl" aarch64
}

start=$(date +%s)
case "$arch" in
  x86_64) build_x86_64 ;;
  aarch64) build_aarch64 ;;
  all) build_x86_64; build_aarch64 ;;
esac
echo "wheels in $out ($(elapsed "$start") s):"
ls -l "$out"/ncasr-*.whl
