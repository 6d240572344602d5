// AVX-512 depthwise 1-D convolution: 16 output columns per vector, four channels at a time
// (four independent add chains hide the add latency). Multiply and add stay separate
// instructions (-ffp-contract=off) so the sums equal the scalar twin bit for bit.
#include <immintrin.h>

#include "kernels/depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

namespace {

template <int G>
inline void channel_group(const float* x, size_t x_stride, const float* w, const float* bias, int kernel,
                          int out_w, float* y, size_t y_stride, int c) {
  for (int j = 0; j < out_w; j += 16) {
    const int n = out_w - j < 16 ? out_w - j : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << n) - 1u);
    __m512 acc[G];
    for (int g = 0; g < G; ++g) acc[g] = _mm512_set1_ps(bias ? bias[c + g] : 0.f);
    for (int k = 0; k < kernel; ++k) {
      for (int g = 0; g < G; ++g) {
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + (c + g) * x_stride + j + k);
        const __m512 wv = _mm512_set1_ps(w[static_cast<size_t>(c + g) * kernel + k]);
        acc[g] = _mm512_add_ps(acc[g], _mm512_mul_ps(xv, wv));
      }
    }
    for (int g = 0; g < G; ++g) _mm512_mask_storeu_ps(y + (c + g) * y_stride + j, m, acc[g]);
  }
}

}  // namespace

void depthwise_conv1d_avx512(const float* x, size_t x_stride, const float* w, const float* bias, int kernel,
                             int out_w, float* y, size_t y_stride, int c0, int c1) {
  int c = c0;
  for (; c + 4 <= c1; c += 4) channel_group<4>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
  for (; c < c1; ++c) channel_group<1>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
