#pragma once
// Per-ISA entry points behind kernels/lstm_cell.h; only its dispatcher calls them. Each ISA
// file takes exp, sigmoid and tanh from its ISA's header (kernels/exp_approx.h describes them).
namespace ncasr {
namespace kernels {
namespace isa {

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
