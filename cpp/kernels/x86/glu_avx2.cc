// AVX2 GLU: 8 values per step, the tail through masked loads and stores; the exp of
// kernels/exp_approx.h.
#include <immintrin.h>

#include "kernels/glu_isa.h"
#include "kernels/x86/exp_avx2.h"

namespace ncasr {
namespace kernels {
namespace isa {

void glu_avx2(const float* a, const float* b, float shift, float* out, size_t n) {
  const __m256 s = _mm256_set1_ps(shift);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (size_t i = 0; i < n; i += 8) {
    const int left = n - i >= 8 ? 8 : static_cast<int>(n - i);
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), lane);
    const __m256 g = sigmoid(_mm256_add_ps(_mm256_maskload_ps(b + i, m), s));
    _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(_mm256_maskload_ps(a + i, m), g));
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
