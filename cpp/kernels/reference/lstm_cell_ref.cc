// Scalar twin of the LSTM cell: the exp of lstm_cell_isa.h one value at a time.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/lstm_cell_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

float exp_approx(float x) {
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

float sigmoid(float v) { return 1.f / (1.f + exp_approx(-v)); }
float tanh_approx(float v) { return 2.f / (1.f + exp_approx(-2.f * v)) - 1.f; }

}  // namespace

void lstm_cell_ref(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden) {
  for (int q = 0; q < hidden; ++q) {
    const float i = sigmoid(gates[q]);
    const float f = sigmoid(gates[gate_stride + q]);
    const float o = sigmoid(gates[2 * gate_stride + q]);
    const float g = tanh_approx(gates[3 * gate_stride + q]);
    const float c = f * cell[q] + i * g;
    cell[q] = c;
    hidden_out[q] = o * tanh_approx(c);
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
