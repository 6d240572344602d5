#pragma once
// The 256-bit VNNI int8 matrix product, for two builds of one source: AVX-VNNI (VEX vpdpbusd,
// CPUs with AVX-VNNI and no AVX-512) and AVX-512 VL + VNNI (EVEX vpdpbusd on ymm: the same
// instruction semantics, so CPUs with AVX-512 VNNI, this project's test machine among them,
// check the AVX-VNNI kernel's code). Include after defining NCASR_DPBUSD(acc, a, w).
//
// Weights in the AVX2 layout, [8-column block][k/4][8 columns][4 k]: one 32-byte load feeds
// one vpdpbusd per row, each int32 lane summing 4 products of u8 (A + 128) and s8 weights;
// the + 128 comes off with the column sums (row_sum_x128), so results are exact.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

template <int R>
inline void vnni256_rows(const uint8_t* au, int kp, const int8_t* wp, int n, const int32_t* row_sum_x128, int32_t* c,
                         size_t ldc) {
  const int groups = kp / 4;
  for (int nb = 0; nb * 8 < n; ++nb) {
    __m256i acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_si256();
    const int8_t* wb = wp + static_cast<size_t>(nb) * groups * 32;
    for (int g = 0; g < groups; ++g) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + static_cast<size_t>(g) * 32));
      for (int r = 0; r < R; ++r) {
        int32_t four;  // the row's 4 activations (u8), repeated for the 8 columns
        std::memcpy(&four, au + static_cast<size_t>(r) * kp + 4 * g, 4);
        acc[r] = NCASR_DPBUSD(acc[r], _mm256_set1_epi32(four), w);
      }
    }
    const int cols = n - nb * 8 < 8 ? n - nb * 8 : 8;
    int32_t sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(sums, row_sum_x128 + nb * 8, sizeof(int32_t) * static_cast<size_t>(cols));
    const __m256i correction = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums));
    for (int r = 0; r < R; ++r) {
      int32_t out[8];
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_sub_epi32(acc[r], correction));
      std::memcpy(c + r * ldc + nb * 8, out, sizeof(int32_t) * static_cast<size_t>(cols));
    }
  }
}

inline void vnni256_gemm(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128,
                         int32_t* c, size_t ldc) {
  const uint8_t* au = static_cast<const uint8_t*>(ap);
  int i = 0;
  for (; i + 4 <= m; i += 4)
    vnni256_rows<4>(au + static_cast<size_t>(i) * kp, kp, wp, n, row_sum_x128, c + i * ldc, ldc);
  for (; i < m; ++i) vnni256_rows<1>(au + static_cast<size_t>(i) * kp, kp, wp, n, row_sum_x128, c + i * ldc, ldc);
}

}  // namespace
}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
