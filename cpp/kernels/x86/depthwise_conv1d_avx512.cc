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
inline void channel_group(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                          float* y, size_t y_stride, int c) {
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

void depthwise_conv1d_avx512(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                             float* y, size_t y_stride, int c0, int c1) {
  int c = c0;
  for (; c + 4 <= c1; c += 4) channel_group<4>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
  for (; c < c1; ++c) channel_group<1>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
}

// Packed rows: one vector holds 16 consecutive (time, lane) outputs, so with pack 4 or 8
// its weights are the row's pack weights repeated; four vectors in flight.
namespace {

inline __m512 lane_vector(const float* v, int pack) {  // v[0..pack) repeated to 16 lanes
  if (pack == 16) return _mm512_loadu_ps(v);
  if (pack == 8) {
    const __m256d h = _mm256_castps_pd(_mm256_loadu_ps(v));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(h), h, 1));
  }
  return _mm512_broadcast_f32x4(_mm_loadu_ps(v));
}

}  // namespace

void depthwise_conv1d_packed_avx512(const float* x, size_t x_stride, const float* wt, const float* bias, int channels,
                                    int kernel, int out_w, int pack, float* y, size_t y_stride, int r0, int r1) {
  const int n = out_w * pack;
  for (int r = r0; r < r1; ++r) {
    const float* xr = x + r * x_stride;
    const float* wr = wt + r * pack;
    float* yr = y + r * y_stride;
    const __m512 b = bias ? lane_vector(bias + r * pack, pack) : _mm512_setzero_ps();
    int i = 0;
    for (; i + 64 <= n; i += 64) {
      __m512 a0 = b, a1 = b, a2 = b, a3 = b;
      for (int k = 0; k < kernel; ++k) {
        const __m512 w = lane_vector(wr + static_cast<size_t>(k) * channels, pack);
        const float* xk = xr + i + k * pack;
        a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_loadu_ps(xk), w));
        a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_loadu_ps(xk + 16), w));
        a2 = _mm512_add_ps(a2, _mm512_mul_ps(_mm512_loadu_ps(xk + 32), w));
        a3 = _mm512_add_ps(a3, _mm512_mul_ps(_mm512_loadu_ps(xk + 48), w));
      }
      _mm512_storeu_ps(yr + i, a0);
      _mm512_storeu_ps(yr + i + 16, a1);
      _mm512_storeu_ps(yr + i + 32, a2);
      _mm512_storeu_ps(yr + i + 48, a3);
    }
    for (; i < n; i += 16) {
      const __mmask16 m = static_cast<__mmask16>(n - i >= 16 ? 0xffffu : (1u << (n - i)) - 1u);
      __m512 a = b;
      for (int k = 0; k < kernel; ++k) {
        const __m512 w = lane_vector(wr + static_cast<size_t>(k) * channels, pack);
        a = _mm512_add_ps(a, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, xr + i + k * pack), w));
      }
      _mm512_mask_storeu_ps(yr + i, m, a);
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
