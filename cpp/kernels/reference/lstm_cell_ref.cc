// Scalar twin of the LSTM cell: the exp of kernels/exp_approx.h one value at a time.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/lstm_cell_isa.h"
#include "kernels/reference/exp_ref.h"

namespace ncasr {
namespace kernels {
namespace isa {

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
