#!/usr/bin/env bash
# Cross-build ncasr's C++ core and tools for aarch64, then run them under qemu-aarch64:
#   1. the x86 build of ncasr-selftest writes reference fbank frames and token ids;
#   2. the aarch64 build recomputes them under qemu and must match (fbank within 1e-4,
#      token ids identical for every fixture model, greedy and beam search);
#   3. one real decode of a speech wav with the aarch64 ncasr-decode, and one of the Zipformer2
#      fixture (tests/data/zipformer2, exported once on x86) with x86's token ids;
#   4. ncasr-quantize: without calibration (weight arithmetic only) its output is
#      byte-identical to x86's; with calibration on the wav the int8 model decodes.
# The self-test also checks every SIMD kernel path (NEON here) against its scalar twin.
# Exits non-zero on any failure. ncnn for aarch64 is built once into the same cache as the
# x86 build (keyed by architecture and options).
set -euo pipefail
cd "$(dirname "$0")/.."
FIXTURES="${NCASR_FIXTURES:-$(pwd)/tests/data}/icefall-arch"
LIMIT="${NCASR_QEMU_TIMEOUT:-900}"  # seconds for each emulated run

need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
pybind=(-Dpybind11_DIR="$(python3 -m pybind11 --cmakedir 2>/dev/null || true)")

echo "== x86 reference build"
cmake -S . -B build/selftest-x86 -G Ninja -DNCASR_BUILD_TESTS=ON -DNCASR_BUILD_TOOLS=ON "${pybind[@]}" >/dev/null
cmake --build build/selftest-x86 --target ncasr-selftest ncasr-decode ncasr-quantize
ref="$(mktemp -d)"
trap 'rm -rf "$ref"' EXIT
build/selftest-x86/cpp/ncasr-selftest write "$ref" "$FIXTURES"

echo "== aarch64 cross build"
cmake -S . -B build/aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
      -DNCASR_BUILD_TESTS=ON -DNCASR_BUILD_TOOLS=ON >/dev/null
cmake --build build/aarch64 --target ncasr-selftest ncasr-decode ncasr-quantize
file build/aarch64/cpp/ncasr-selftest | grep -q "ARM aarch64" || { echo "not an aarch64 binary" >&2; exit 1; }

qemu=(timeout "$LIMIT" qemu-aarch64 -L /usr/aarch64-linux-gnu)
echo "== ctest under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR)"
(cd build/aarch64 && timeout "$LIMIT" ctest --output-on-failure)
echo "== self-test under qemu-aarch64"
"${qemu[@]}" build/aarch64/cpp/ncasr-selftest check "$ref" "$FIXTURES"

echo "== one decode under qemu-aarch64"
espeak-ng -w "$ref/raw.wav" "streaming speech recognition on a small arm board"
sox -D "$ref/raw.wav" -r 16000 -b 16 -c 1 "$ref/speech.wav"
x86_ids=$(build/selftest-x86/cpp/ncasr-decode --json "$FIXTURES/zipformer-small" "$ref/speech.wav" | sed 's/.*"token_ids": \[\([^]]*\)\].*/\1/')
arm_out=$("${qemu[@]}" build/aarch64/cpp/ncasr-decode --json "$FIXTURES/zipformer-small" "$ref/speech.wav")
echo "$arm_out"
arm_ids=$(echo "$arm_out" | sed 's/.*"token_ids": \[\([^]]*\)\].*/\1/')
[ -n "$arm_ids" ] && [ "$arm_ids" = "$x86_ids" ] || { echo "aarch64 decode differs from x86" >&2; exit 1; }
echo "== Zipformer2 decode under qemu-aarch64"
# exported once on x86 (the Python package: torch and pnnx), the same folder decoded by both
Z2="$(pwd)/tests/data/zipformer2"
ncasr export zipformer2 "$Z2/state_dict.npz" "$ref/zipformer2" --config "$Z2/config.json" --chunk-size 16 \
      --left-context-frames 64 --tokens "$Z2/tokens.txt" --no-verify >/dev/null
z2_x86=$(build/selftest-x86/cpp/ncasr-decode --json "$ref/zipformer2" "$Z2/input.wav" | sed 's/.*"token_ids": \[\([^]]*\)\].*/\1/')
z2_out=$("${qemu[@]}" build/aarch64/cpp/ncasr-decode --json "$ref/zipformer2" "$Z2/input.wav")
echo "$z2_out"
z2_arm=$(echo "$z2_out" | sed 's/.*"token_ids": \[\([^]]*\)\].*/\1/')
[ -n "$z2_arm" ] && [ "$z2_arm" = "$z2_x86" ] || { echo "aarch64 Zipformer2 decode differs from x86" >&2; exit 1; }
echo "== int8 conversion under qemu-aarch64"
build/selftest-x86/cpp/ncasr-quantize "$FIXTURES/zipformer-small" "$ref/int8-x86" >/dev/null
"${qemu[@]}" build/aarch64/cpp/ncasr-quantize "$FIXTURES/zipformer-small" "$ref/int8-arm"
for f in "$ref"/int8-x86/*; do
  cmp -s "$f" "$ref/int8-arm/$(basename "$f")" || { echo "aarch64 int8 conversion differs: $(basename "$f")" >&2; exit 1; }
done
"${qemu[@]}" build/aarch64/cpp/ncasr-quantize --calibration "$ref/speech.wav" "$FIXTURES/conv-emformer-small" "$ref/int8-cal"
int8_out=$("${qemu[@]}" build/aarch64/cpp/ncasr-decode --json "$ref/int8-cal" "$ref/speech.wav")
echo "$int8_out"
echo "$int8_out" | grep -q '"token_ids": \[[0-9]' || { echo "aarch64 int8 decode produced no tokens" >&2; exit 1; }
echo "aarch64: all checks passed"
