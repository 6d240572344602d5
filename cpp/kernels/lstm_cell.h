#pragma once
// The LSTM cell's pointwise step, after the gate pre-activations are summed:
//
//   i = sigmoid(I), f = sigmoid(F), o = sigmoid(O), g = tanh(G)
//   c = f * c + i * g,   h = o * tanh(c)
//
// gates holds I, F, O and G (ncnn's gate order), gate_stride floats apart, hidden values each
// (a thread may run a slice of the units: gates + q0, cell + q0, hidden_out + q0).
// exp is computed the same way on every path (Cephes-style range reduction and a degree-6
// polynomial, every operation rounded, no fused multiply-add), so each SIMD path gives the
// scalar twin's bits; against libm's expf it differs by a few ulp.
#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

// cell (hidden values) is updated in place; hidden_out gets h. Returns the path that ran.
KernelPath lstm_cell(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden);
KernelPath lstm_cell(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden, KernelPath path);

}  // namespace kernels
}  // namespace ncasr
