#!/usr/bin/env bash
# Installs the x86_64 wheel into a fresh venv whose PATH holds no compiler, then checks that
#   - pip installs it from binaries only (ncasr's and its dependencies' wheels);
#   - `ncasr transcribe` of the bundled test clips gives the same text and token ids as the
#     source build ($NCASR_REFERENCE_PYTHON, default .venv/bin/python, else python3);
#   - `ncasr info` reports the same SIMD paths.
#   scripts/check-wheel-x86_64.sh [WHEEL]   (default: dist/'s wheel for python3)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/wheels/common.sh
clips=(tests/data/reference-lstm-en/wav/test-00000{0,1,2}.wav)

tag=$(python3 -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
wheel="${1:-$(ls dist/ncasr-*-"$tag"-"$tag"-manylinux*_x86_64.whl 2>/dev/null | head -1)}"
[ -f "$wheel" ] || die "no x86_64 wheel for $tag in dist/: run scripts/build-wheels.sh --arch x86_64"
ref="${NCASR_REFERENCE_PYTHON:-}"
[ -n "$ref" ] || { [ -x .venv/bin/python ] && ref=.venv/bin/python || ref=python3; }
"$ref" -c 'import ncasr._core' 2>/dev/null || die "$ref has no source-built ncasr (set NCASR_REFERENCE_PYTHON)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv" || die "python3 -m venv failed"
# The venv's bin is the whole PATH: no gcc, cc, c++ or g++ can be found by pip or by ncasr.
bare=(env -u CC -u CXX PATH="$work/venv/bin")
for c in gcc cc c++ g++ clang; do
  ! "${bare[@]}" bash -c "command -v $c" >/dev/null 2>&1 || die "$c is reachable from the bare PATH"
done
echo "== pip install $(basename "$wheel") (no compiler on PATH)"
start=$(date +%s.%N)
"${bare[@]}" pip install --quiet --disable-pip-version-check --only-binary :all: "$wheel" \
  || die "pip install of $wheel failed"
echo "installed in $(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s"

"${bare[@]}" python -c 'import ncasr, ncasr._core, sys; sys.exit("ncasr not from the venv" if "/venv/" not in ncasr.__file__ else 0)'
echo "== ncasr transcribe (wheel)"
"${bare[@]}" ncasr transcribe "${clips[@]}"
"${bare[@]}" ncasr transcribe --json "${clips[@]}" >"$work/wheel.jsonl"
"$ref" -m ncasr transcribe --json "${clips[@]}" >"$work/source.jsonl"
echo "== wheel vs source build ($ref)"
python3 scripts/wheels/same_transcripts.py "$work/source.jsonl" "$work/wheel.jsonl"

simd() { grep '^SIMD paths active:' || die "ncasr info printed no SIMD line"; }
wheel_simd=$("${bare[@]}" ncasr info | simd)
source_simd=$("$ref" -m ncasr info | simd)
echo "wheel:  $wheel_simd"
[ "$wheel_simd" = "$source_simd" ] || die "SIMD paths differ from the source build: $source_simd"
echo "x86_64 wheel: all checks passed"
