#pragma once
// The scalar exp, sigmoid and tanh of kernels/exp_approx.h, for the scalar kernel files only
// (each is built with its own ISA flags; internal linkage keeps the copies apart).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/exp_approx.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline float exp_approx(float x) {
  x = x > kExpHi ? kExpHi : x;
  x = x < kExpLo ? kExpLo : x;
  const float n = std::nearbyint(x * kLog2e);
  float r = x - n * kExpC1;
  r = r - n * kExpC2;
  float p = kExpP0 * r + kExpP1;
  p = p * r + kExpP2;
  p = p * r + kExpP3;
  p = p * r + kExpP4;
  p = p * r + kExpP5;
  const float y = (p * (r * r) + r) + 1.f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return y * scale;
}

inline float sigmoid(float v) { return 1.f / (1.f + exp_approx(-v)); }
inline float tanh_approx(float v) { return 2.f / (1.f + exp_approx(-2.f * v)) - 1.f; }

}  // namespace
}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
