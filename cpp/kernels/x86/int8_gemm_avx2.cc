// AVX2 int8 matrix product: weights packed as [8-column block][k/4][8 columns][4 k], widened
// to int16 in registers; vpmaddwd multiplies by the row's 4 activations and adds pairs into
// int32 (exact: no saturating 8-bit multiply-add), one hadd + permute per block at the end.
#include <immintrin.h>

#include <cstring>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

namespace {

template <int R>
inline void rows(const int16_t* aw, int kp, const int8_t* wp, int n, int32_t* c, size_t ldc) {
  const int groups = kp / 4;
  const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  for (int nb = 0; nb * 8 < n; ++nb) {
    __m256i lo[R], hi[R];
    for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_si256();
    const int8_t* wb = wp + static_cast<size_t>(nb) * groups * 32;
    for (int g = 0; g < groups; ++g) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + static_cast<size_t>(g) * 32));
      const __m256i w_lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(w));       // columns 0-3
      const __m256i w_hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(w, 1));  // columns 4-7
      for (int r = 0; r < R; ++r) {
        long long bits;  // the row's 4 activations as int16, repeated for the 4 columns
        std::memcpy(&bits, aw + static_cast<size_t>(r) * kp + 4 * g, 8);
        const __m256i av = _mm256_set1_epi64x(bits);
        lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(w_lo, av));
        hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(w_hi, av));
      }
    }
    const int cols = n - nb * 8 < 8 ? n - nb * 8 : 8;
    for (int r = 0; r < R; ++r) {
      // per 128-bit half: [c0 c1 c4 c5 | c2 c3 c6 c7] -> c0..c7
      const __m256i s = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(lo[r], hi[r]), order);
      int32_t out[8];
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), s);
      std::memcpy(c + r * ldc + nb * 8, out, sizeof(int32_t) * static_cast<size_t>(cols));
    }
  }
}

}  // namespace

void int8_gemm_avx2(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t*, int32_t* c, size_t ldc) {
  const int16_t* aw = static_cast<const int16_t*>(ap);
  int i = 0;
  for (; i + 4 <= m; i += 4) rows<4>(aw + static_cast<size_t>(i) * kp, kp, wp, n, c + i * ldc, ldc);
  for (; i < m; ++i) rows<1>(aw + static_cast<size_t>(i) * kp, kp, wp, n, c + i * ldc, ldc);
}

// Output as int16, the form the vpmaddwd kernel reads.
float quantize_row_avx2(const float* x, int k, void* out) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 mx = _mm256_setzero_ps();
  int t = 0;
  for (; t + 8 <= k; t += 8) mx = _mm256_max_ps(mx, _mm256_and_ps(_mm256_loadu_ps(x + t), abs_mask));
  float lanes[8];
  _mm256_storeu_ps(lanes, mx);
  float absmax = 0.f;
  for (int i = 0; i < 8; ++i) absmax = lanes[i] > absmax ? lanes[i] : absmax;
  for (int i = t; i < k; ++i) {
    const float a = x[i] < 0.f ? -x[i] : x[i];
    absmax = a > absmax ? a : absmax;
  }
  const float scale = absmax > 0.f ? 127.f / absmax : 1.f;
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
  int16_t* q16 = static_cast<int16_t*>(out);
  for (t = 0; t + 8 <= k; t += 8) {
    __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + t), s));  // nearest even
    q = _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
    const __m128i packed = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q16 + t), packed);
  }
  for (; t < k; ++t) {
    int v = _mm_cvtss_si32(_mm_set_ss(x[t] * scale));  // same rounding as the vector body
    q16[t] = static_cast<int16_t>(v < -127 ? -127 : (v > 127 ? 127 : v));
  }
  return scale;
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
