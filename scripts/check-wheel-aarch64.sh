#!/usr/bin/env bash
# Installs the aarch64 wheel in an emulated arm64 Debian 12 userland (cached, see
# scripts/wheels/arm64-userland.sh) and checks, inside it, that
#   - pip installs it with numpy and soundfile from the registry, binaries only;
#   - `import ncasr` works and `ncasr info` reports the NEON kernels active;
#   - `ncasr transcribe` of the bundled test clips gives the token ids of the x86_64 source
#     build ($NCASR_REFERENCE_PYTHON, default .venv/bin/python, else python3), but for at most
#     one clip that parts from it at a near-tie decision (ARM's fp16 arithmetic);
#   - `ncasr calibrate` and `ncasr quantize` of the bundled model run, and the int8 copy decodes.
# Every step is bounded by $NCASR_QEMU_TIMEOUT seconds (default 900).
#   scripts/check-wheel-aarch64.sh [WHEEL]   (default: dist/'s aarch64 wheel)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/wheels/common.sh
LIMIT="${NCASR_QEMU_TIMEOUT:-900}"
clips=(tests/data/reference-lstm-en/wav/test-00000{0,1,2}.wav)

wheel="${1:-$(ls dist/ncasr-*-manylinux*_aarch64.whl 2>/dev/null | head -1)}"
[ -f "$wheel" ] || die "no aarch64 wheel in dist/: run scripts/build-wheels.sh --arch aarch64"
ref="${NCASR_REFERENCE_PYTHON:-}"
[ -n "$ref" ] || { [ -x .venv/bin/python ] && ref=.venv/bin/python || ref=python3; }
"$ref" -c 'import ncasr._core' 2>/dev/null || die "$ref has no source-built ncasr (set NCASR_REFERENCE_PYTHON)"

root=$(bash scripts/wheels/arm64-userland.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/clips"
cp "$wheel" "$work/"
cp "${clips[@]}" "$work/clips/"
"$ref" -m ncasr transcribe --json "${clips[@]}" >"$work/x86_64.jsonl"
"$ref" scripts/wheels/decision_margins.py "${clips[@]}" >"$work/x86_64.margins.jsonl"

# Runs a command in the userland (the work folder is /work there) and prints its seconds.
arm() {
  local start rc=0
  start=$(date +%s.%N)
  timeout "$LIMIT" bash scripts/wheels/in-arm64.sh "$root" "$work" "$@" || rc=$?
  [ "$rc" -ne 124 ] || die "'$*' ran past ${LIMIT} s under emulation"
  [ "$rc" -eq 0 ] || die "'$*' failed under emulation (exit $rc)"
  python3 -c "import time; print(f'  ({time.time() - $start:.1f} s emulated)')" >&2
}

echo "== venv and pip install $(basename "$wheel") in arm64 Debian ($root)"
# Debian's own pip wheel runs pip without installing it into the venv, and --no-compile skips
# byte-compiling numpy: under emulation those two would take minutes.
pip_whl=$(ls "$root"/usr/share/python-wheels/pip-*.whl 2>/dev/null | head -1)
[ -n "$pip_whl" ] || die "the arm64 userland has no pip wheel (python3-pip-whl)"
arm python3 -m venv --without-pip /work/venv
arm python "/usr/share/python-wheels/$(basename "$pip_whl")/pip" install --quiet --no-compile \
  --only-binary :all: "/work/$(basename "$wheel")"
arm python -c 'import ncasr, platform; print("import ncasr:", ncasr.__version__, platform.machine())'

echo "== ncasr info"
arm ncasr info >"$work/info.txt"
cat "$work/info.txt"
grep '^SIMD paths active:.*\bneon\b' "$work/info.txt" >/dev/null || die "ncasr info reports no NEON kernels"

echo "== ncasr transcribe: aarch64 wheel vs x86_64 source build"
# One thread: on an emulated CPU a second one only adds contention.
arm ncasr transcribe --num-threads 1 --json /work/clips/test-00000{0,1,2}.wav >"$work/aarch64.jsonl"
# ARM's float runs fp16 arithmetic, x86's fp32: one clip may part from x86's at a near-tie.
python3 scripts/wheels/same_transcripts.py "$work/x86_64.jsonl" "$work/aarch64.jsonl" \
  --near-tie "$work/x86_64.margins.jsonl"
python3 -c 'import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
audio = sum(r["duration"] for r in rows)
decode = sum(r["rtf"] * r["duration"] for r in rows)
print(f"emulated decode: {audio:.1f} s of audio in {decode:.1f} s, RTF {decode / audio:.2f}")' "$work/aarch64.jsonl"

echo "== ncasr calibrate + quantize of the bundled model"
model=$(timeout "$LIMIT" bash scripts/wheels/in-arm64.sh "$root" "$work" \
  python -c 'import ncasr; print(ncasr.default_model_dir())') || die "ncasr.default_model_dir() failed"
arm ncasr calibrate --quiet -o /work/table.txt "$model" /work/clips/test-000002.wav
arm ncasr quantize --table /work/table.txt "$model" /work/int8 >/dev/null
arm ncasr transcribe --num-threads 1 --variant int8 --json /work/int8 /work/clips/test-000002.wav >"$work/int8.jsonl"
grep -q '"token_ids": \[[0-9]' "$work/int8.jsonl" || die "the int8 model decoded no tokens"
echo "int8: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"].strip())' "$work/int8.jsonl")"
echo "aarch64 wheel: all checks passed"
