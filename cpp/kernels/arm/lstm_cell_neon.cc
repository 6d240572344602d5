// NEON LSTM cell: 4 units per step, the tail through a zero-padded copy; the exp of
// kernels/exp_approx.h.
#include <arm_neon.h>

#include "kernels/arm/exp_neon.h"
#include "kernels/lstm_cell_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

void cell4(const float* i4, const float* f4, const float* o4, const float* g4, float* c4, float* h4) {
  const float32x4_t i = sigmoid(vld1q_f32(i4)), f = sigmoid(vld1q_f32(f4)), o = sigmoid(vld1q_f32(o4));
  const float32x4_t g = tanh_approx(vld1q_f32(g4));
  const float32x4_t c = vaddq_f32(vmulq_f32(f, vld1q_f32(c4)), vmulq_f32(i, g));
  vst1q_f32(c4, c);
  vst1q_f32(h4, vmulq_f32(o, tanh_approx(c)));
}

}  // namespace

void lstm_cell_neon(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden) {
  int q = 0;
  for (; q + 4 <= hidden; q += 4)
    cell4(gates + q, gates + gate_stride + q, gates + 2 * gate_stride + q, gates + 3 * gate_stride + q, cell + q,
          hidden_out + q);
  if (q < hidden) {
    float t[6][4] = {};
    const int left = hidden - q;
    for (int k = 0; k < left; ++k) {
      for (int gate = 0; gate < 4; ++gate) t[gate][k] = gates[gate * gate_stride + q + k];
      t[4][k] = cell[q + k];
    }
    cell4(t[0], t[1], t[2], t[3], t[4], t[5]);
    for (int k = 0; k < left; ++k) {
      cell[q + k] = t[4][k];
      hidden_out[q + k] = t[5][k];
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
