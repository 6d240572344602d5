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
inline void channel_group(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                          float* y, size_t y_stride, int c) {
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

void depthwise_conv1d_avx2(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                           float* y, size_t y_stride, int c0, int c1) {
  int c = c0;
  for (; c + 4 <= c1; c += 4) channel_group<4>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
  for (; c < c1; ++c) channel_group<1>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
}

// Packed rows: one vector holds 8 consecutive (time, lane) outputs: with pack 4 its
// weights are the row's 4 repeated, with pack 16 alternately its first and last 8.
void depthwise_conv1d_packed_avx2(const float* x, size_t x_stride, const float* wt, const float* bias, int channels,
                                  int kernel, int out_w, int pack, float* y, size_t y_stride, int r0, int r1) {
  const int n = out_w * pack;
  auto lanes = [pack](const float* v, int i) {  // the weights (or biases) of outputs i .. i + 7
    if (pack == 4) return _mm256_broadcast_ps(reinterpret_cast<const __m128*>(v));
    return _mm256_loadu_ps(v + (i % pack));
  };
  for (int r = r0; r < r1; ++r) {
    const float* xr = x + r * x_stride;
    const float* wr = wt + r * pack;
    float* yr = y + r * y_stride;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
      __m256 a[4];
      for (int v = 0; v < 4; ++v) a[v] = bias ? lanes(bias + r * pack, i + 8 * v) : _mm256_setzero_ps();
      for (int k = 0; k < kernel; ++k) {
        const float* wk = wr + static_cast<size_t>(k) * channels;
        const float* xk = xr + i + k * pack;
        for (int v = 0; v < 4; ++v)
          a[v] = _mm256_add_ps(a[v], _mm256_mul_ps(_mm256_loadu_ps(xk + 8 * v), lanes(wk, i + 8 * v)));
      }
      for (int v = 0; v < 4; ++v) _mm256_storeu_ps(yr + i + 8 * v, a[v]);
    }
    for (; i < n; i += 8) {  // n is a multiple of 4: a last vector may be half full
      const __m256i m = tail_mask(n - i);
      __m256 a = bias ? lanes(bias + r * pack, i) : _mm256_setzero_ps();
      for (int k = 0; k < kernel; ++k)
        a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_maskload_ps(xr + i + k * pack, m),
                                           lanes(wr + static_cast<size_t>(k) * channels, i)));
      _mm256_maskstore_ps(yr + i, m, a);
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
