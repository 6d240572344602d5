#pragma once
// The exp that ncasr's SIMD activations (LSTM cell, GLU) compute on every path, operation by
// operation, so each path gives the scalar twin's bits (x clamped to [-87.3, 88]):
//   n = round-to-nearest-even(x * log2(e));  r = (x - n * C1) - n * C2
//   p = ((((P0 r + P1) r + P2) r + P3) r + P4) r + P5;  y = (p * (r * r) + r) + 1
//   exp(x) = y * 2^n
// sigmoid(v) = 1 / (1 + exp(-v)),  tanh(v) = 2 / (1 + exp(-2 v)) - 1.
// Cephes-style range reduction and polynomial; against libm's expf it differs by a few ulp.
// Each ISA's version lives in kernels/<arch>/exp_<isa>.h, included only by that ISA's files.
namespace ncasr {
namespace kernels {
namespace isa {

constexpr float kExpHi = 88.0f, kExpLo = -87.3f, kLog2e = 1.44269504088896341f;
constexpr float kExpC1 = 0.693359375f, kExpC2 = -2.12194440e-4f;
constexpr float kExpP0 = 1.9875691500e-4f, kExpP1 = 1.3981999507e-3f, kExpP2 = 8.3334519073e-3f,
                kExpP3 = 4.1665795894e-2f, kExpP4 = 1.6666665459e-1f, kExpP5 = 5.0000001201e-1f;

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
