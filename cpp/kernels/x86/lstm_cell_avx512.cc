// AVX-512 LSTM cell: 16 units per step, the tail masked; the exp of kernels/exp_approx.h.
#include <immintrin.h>

#include "kernels/lstm_cell_isa.h"
#include "kernels/x86/exp_avx512.h"

namespace ncasr {
namespace kernels {
namespace isa {

void lstm_cell_avx512(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden) {
  for (int q = 0; q < hidden; q += 16) {
    const __mmask16 m =
        hidden - q >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (hidden - q)) - 1u);
    const __m512 i = sigmoid(_mm512_maskz_loadu_ps(m, gates + q));
    const __m512 f = sigmoid(_mm512_maskz_loadu_ps(m, gates + gate_stride + q));
    const __m512 o = sigmoid(_mm512_maskz_loadu_ps(m, gates + 2 * gate_stride + q));
    const __m512 g = tanh_approx(_mm512_maskz_loadu_ps(m, gates + 3 * gate_stride + q));
    const __m512 c = _mm512_add_ps(_mm512_mul_ps(f, _mm512_maskz_loadu_ps(m, cell + q)), _mm512_mul_ps(i, g));
    _mm512_mask_storeu_ps(cell + q, m, c);
    _mm512_mask_storeu_ps(hidden_out + q, m, _mm512_mul_ps(o, tanh_approx(c)));
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
