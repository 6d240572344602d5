// AVX2 LSTM cell: 8 units per step, the tail through masked loads and stores; the exp of
// lstm_cell_isa.h.
#include <immintrin.h>

#include "kernels/lstm_cell_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

__m256 exp_approx(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(kExpHi));
  x = _mm256_max_ps(x, _mm256_set1_ps(kExpLo));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(kExpC1)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(kExpC2)));
  __m256 p = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(kExpP0), r), _mm256_set1_ps(kExpP1));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kExpP2));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kExpP3));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kExpP4));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kExpP5));
  const __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), r), _mm256_set1_ps(1.f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

__m256 sigmoid(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp_approx(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

__m256 tanh_approx(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.f), two = _mm256_set1_ps(2.f);
  const __m256 e = exp_approx(_mm256_mul_ps(_mm256_set1_ps(-2.f), v));
  return _mm256_sub_ps(_mm256_div_ps(two, _mm256_add_ps(one, e)), one);
}

}  // namespace

void lstm_cell_avx2(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden) {
  for (int q = 0; q < hidden; q += 8) {
    const int left = hidden - q < 8 ? hidden - q : 8;
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 i = sigmoid(_mm256_maskload_ps(gates + q, m));
    const __m256 f = sigmoid(_mm256_maskload_ps(gates + gate_stride + q, m));
    const __m256 o = sigmoid(_mm256_maskload_ps(gates + 2 * gate_stride + q, m));
    const __m256 g = tanh_approx(_mm256_maskload_ps(gates + 3 * gate_stride + q, m));
    const __m256 c = _mm256_add_ps(_mm256_mul_ps(f, _mm256_maskload_ps(cell + q, m)), _mm256_mul_ps(i, g));
    _mm256_maskstore_ps(cell + q, m, c);
    _mm256_maskstore_ps(hidden_out + q, m, _mm256_mul_ps(o, tanh_approx(c)));
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
