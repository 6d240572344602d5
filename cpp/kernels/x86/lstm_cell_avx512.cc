// AVX-512 LSTM cell: 16 units per step, the tail masked; the exp of lstm_cell_isa.h.
#include <immintrin.h>

#include "kernels/lstm_cell_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

__m512 exp_approx(__m512 x) {
  x = _mm512_min_ps(x, _mm512_set1_ps(kExpHi));
  x = _mm512_max_ps(x, _mm512_set1_ps(kExpLo));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(kExpC1)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(kExpC2)));
  __m512 p = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(kExpP0), r), _mm512_set1_ps(kExpP1));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP2));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP3));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP4));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP5));
  const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

__m512 sigmoid(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp_approx(_mm512_sub_ps(_mm512_setzero_ps(), v))));
}

__m512 tanh_approx(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.f), two = _mm512_set1_ps(2.f);
  const __m512 e = exp_approx(_mm512_mul_ps(_mm512_set1_ps(-2.f), v));
  return _mm512_sub_ps(_mm512_div_ps(two, _mm512_add_ps(one, e)), one);
}

}  // namespace

void lstm_cell_avx512(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden) {
  for (int q = 0; q < hidden; q += 16) {
    const __mmask16 m = hidden - q >= 16 ? static_cast<__mmask16>(0xffff)
                                         : static_cast<__mmask16>((1u << (hidden - q)) - 1u);
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
