#pragma once
// Per-ISA entry points behind kernels/lstm_cell.h; only its dispatcher calls them. Each ISA
// file keeps its helpers in an anonymous namespace (no shared inline code across -m flags).
//
// The exp every path computes, operation by operation (x clamped to [-87.3, 88]):
//   n = round-to-nearest-even(x * log2(e));  r = (x - n * C1) - n * C2
//   p = ((((P0 r + P1) r + P2) r + P3) r + P4) r + P5;  y = (p * (r * r) + r) + 1
//   exp(x) = y * 2^n
// sigmoid(v) = 1 / (1 + exp(-v)),  tanh(v) = 2 / (1 + exp(-2 v)) - 1.
namespace ncasr {
namespace kernels {
namespace isa {

constexpr float kExpHi = 88.0f, kExpLo = -87.3f, kLog2e = 1.44269504088896341f;
constexpr float kExpC1 = 0.693359375f, kExpC2 = -2.12194440e-4f;
constexpr float kExpP0 = 1.9875691500e-4f, kExpP1 = 1.3981999507e-3f, kExpP2 = 8.3334519073e-3f,
                kExpP3 = 4.1665795894e-2f, kExpP4 = 1.6666665459e-1f, kExpP5 = 5.0000001201e-1f;

#define NCASR_DECLARE_LSTM_CELL(SUFFIX) \
  void lstm_cell_##SUFFIX(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_LSTM_CELL(avx2)
NCASR_DECLARE_LSTM_CELL(avx512)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_LSTM_CELL(neon)
#endif
NCASR_DECLARE_LSTM_CELL(ref)

#undef NCASR_DECLARE_LSTM_CELL

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
