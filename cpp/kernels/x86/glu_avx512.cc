// AVX-512 GLU: 16 values per step, the tail masked; the exp of kernels/exp_approx.h.
#include <immintrin.h>

#include "kernels/glu_isa.h"
#include "kernels/x86/exp_avx512.h"

namespace ncasr {
namespace kernels {
namespace isa {

void glu_avx512(const float* a, const float* b, float shift, float* out, size_t n) {
  const __m512 s = _mm512_set1_ps(shift);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512 g = sigmoid(_mm512_add_ps(_mm512_maskz_loadu_ps(m, b + i), s));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, a + i), g));
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
