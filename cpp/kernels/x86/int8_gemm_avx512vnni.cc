// AVX-512 VNNI int8 matrix product: vpdpbusd multiplies 4 u8 x 4 s8 pairs and adds them into
// each int32 lane. Weights are packed as [16-column block][k/4][16 columns][4 k]; activation
// rows arrive as A + 128 (u8) and 128 * sum_k W[n][k] is subtracted at the end, which makes
// the result the exact s8 x s8 sum. Four rows share each weight load.
#include <immintrin.h>

#include <cstring>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

namespace {

template <int R>
inline void rows(const uint8_t* au, int kp, const int8_t* wp, int n, const int32_t* rs, int32_t* c, size_t ldc) {
  const int groups = kp / 4;
  for (int nb = 0; nb * 16 < n; ++nb) {
    __m512i acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_si512();
    const int8_t* wb = wp + static_cast<size_t>(nb) * groups * 64;
    for (int g = 0; g < groups; ++g) {
      const __m512i w = _mm512_loadu_si512(wb + static_cast<size_t>(g) * 64);
      for (int r = 0; r < R; ++r) {
        int32_t a4;
        std::memcpy(&a4, au + static_cast<size_t>(r) * kp + 4 * g, 4);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(a4), w);
      }
    }
    const int cols = n - nb * 16 < 16 ? n - nb * 16 : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << cols) - 1u);
    const __m512i sum = _mm512_maskz_loadu_epi32(m, rs + nb * 16);
    for (int r = 0; r < R; ++r) _mm512_mask_storeu_epi32(c + r * ldc + nb * 16, m, _mm512_sub_epi32(acc[r], sum));
  }
}

}  // namespace

void int8_gemm_avx512vnni(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128,
                          int32_t* c, size_t ldc) {
  const uint8_t* au = static_cast<const uint8_t*>(ap);
  int i = 0;
  for (; i + 4 <= m; i += 4) rows<4>(au + static_cast<size_t>(i) * kp, kp, wp, n, row_sum_x128, c + i * ldc, ldc);
  for (; i < m; ++i) rows<1>(au + static_cast<size_t>(i) * kp, kp, wp, n, row_sum_x128, c + i * ldc, ldc);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
