// AVX2 depthwise 1-D convolution: 8 output columns per vector, four channels at a time.
// Separate multiply and add (-ffp-contract=off; this file is built without -mfma anyway)
// so the sums equal the scalar twin bit for bit.
#include <immintrin.h>

#include "kernels/depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

namespace {

inline __m256i tail_mask(int n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);  // lanes < n all ones
}

template <int G>
inline void channel_group(const float* x, size_t x_stride, const float* w, const float* bias, int kernel,
                          int out_w, float* y, size_t y_stride, int c) {
  for (int j = 0; j < out_w; j += 8) {
    const int n = out_w - j < 8 ? out_w - j : 8;
    const __m256i m = tail_mask(n);
    __m256 acc[G];
    for (int g = 0; g < G; ++g) acc[g] = _mm256_set1_ps(bias ? bias[c + g] : 0.f);
    for (int k = 0; k < kernel; ++k) {
      for (int g = 0; g < G; ++g) {
        const __m256 xv = _mm256_maskload_ps(x + (c + g) * x_stride + j + k, m);
        const __m256 wv = _mm256_set1_ps(w[static_cast<size_t>(c + g) * kernel + k]);
        acc[g] = _mm256_add_ps(acc[g], _mm256_mul_ps(xv, wv));
      }
    }
    for (int g = 0; g < G; ++g) _mm256_maskstore_ps(y + (c + g) * y_stride + j, m, acc[g]);
  }
}

}  // namespace

void depthwise_conv1d_avx2(const float* x, size_t x_stride, const float* w, const float* bias, int kernel,
                           int out_w, float* y, size_t y_stride, int c0, int c1) {
  int c = c0;
  for (; c + 4 <= c1; c += 4) channel_group<4>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
  for (; c < c1; ++c) channel_group<1>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
