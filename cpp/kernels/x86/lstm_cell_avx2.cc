// AVX2 LSTM cell: 8 units per step, the tail through masked loads and stores; the exp of
// kernels/exp_approx.h.
#include <immintrin.h>

#include "kernels/lstm_cell_isa.h"
#include "kernels/x86/exp_avx2.h"

namespace ncasr {
namespace kernels {
namespace isa {

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
