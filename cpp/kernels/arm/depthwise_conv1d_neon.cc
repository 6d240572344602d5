// NEON depthwise 1-D convolution: 4 output columns per vector, four channels at a time;
// the last out_w % 4 columns run the scalar loop. vmulq + vaddq (never vfmaq, and
// -ffp-contract=off) so the sums equal the scalar twin bit for bit.
#include <arm_neon.h>

#include "kernels/depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

namespace {

template <int G>
inline void channel_group(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                          float* y, size_t y_stride, int c) {
  int j = 0;
  for (; j + 4 <= out_w; j += 4) {
    float32x4_t acc[G];
    for (int g = 0; g < G; ++g) acc[g] = vdupq_n_f32(bias ? bias[c + g] : 0.f);
    for (int k = 0; k < kernel; ++k) {
      for (int g = 0; g < G; ++g) {
        const float32x4_t xv = vld1q_f32(x + (c + g) * x_stride + j + k);
        acc[g] = vaddq_f32(acc[g], vmulq_n_f32(xv, w[static_cast<size_t>(c + g) * kernel + k]));
      }
    }
    for (int g = 0; g < G; ++g) vst1q_f32(y + (c + g) * y_stride + j, acc[g]);
  }
  for (int g = 0; g < G; ++g) {
    const float* xr = x + (c + g) * x_stride;
    const float* wr = w + static_cast<size_t>(c + g) * kernel;
    for (int jj = j; jj < out_w; ++jj) {
      float sum = bias ? bias[c + g] : 0.f;
      for (int k = 0; k < kernel; ++k) sum += xr[jj + k] * wr[k];
      y[(c + g) * y_stride + jj] = sum;
    }
  }
}

}  // namespace

void depthwise_conv1d_neon(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                           float* y, size_t y_stride, int c0, int c1) {
  int c = c0;
  for (; c + 4 <= c1; c += 4) channel_group<4>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
  for (; c < c1; ++c) channel_group<1>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
}

// Packed rows: one vector holds 4 consecutive (time, lane) outputs, all of one time step
// (pack >= 4), so its weights are 4 of the row's, contiguous.
void depthwise_conv1d_packed_neon(const float* x, size_t x_stride, const float* wt, const float* bias, int channels,
                                  int kernel, int out_w, int pack, float* y, size_t y_stride, int r0, int r1) {
  const int n = out_w * pack;
  for (int r = r0; r < r1; ++r) {
    const float* xr = x + r * x_stride;
    const float* wr = wt + r * pack;
    float* yr = y + r * y_stride;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
      float32x4_t a[4];
      for (int v = 0; v < 4; ++v) a[v] = bias ? vld1q_f32(bias + r * pack + (i + 4 * v) % pack) : vdupq_n_f32(0.f);
      for (int k = 0; k < kernel; ++k) {
        const float* wk = wr + static_cast<size_t>(k) * channels;
        const float* xk = xr + i + k * pack;
        for (int v = 0; v < 4; ++v)
          a[v] = vaddq_f32(a[v], vmulq_f32(vld1q_f32(xk + 4 * v), vld1q_f32(wk + (i + 4 * v) % pack)));
      }
      for (int v = 0; v < 4; ++v) vst1q_f32(yr + i + 4 * v, a[v]);
    }
    for (; i < n; i += 4) {  // n is a multiple of 4
      float32x4_t a = bias ? vld1q_f32(bias + r * pack + i % pack) : vdupq_n_f32(0.f);
      for (int k = 0; k < kernel; ++k)
        a = vaddq_f32(
            a, vmulq_f32(vld1q_f32(xr + i + k * pack), vld1q_f32(wr + static_cast<size_t>(k) * channels + i % pack)));
      vst1q_f32(yr + i, a);
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
