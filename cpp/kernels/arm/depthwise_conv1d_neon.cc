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
inline void channel_group(const float* x, size_t x_stride, const float* w, const float* bias, int kernel,
                          int out_w, float* y, size_t y_stride, int c) {
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

void depthwise_conv1d_neon(const float* x, size_t x_stride, const float* w, const float* bias, int kernel,
                           int out_w, float* y, size_t y_stride, int c0, int c1) {
  int c = c0;
  for (; c + 4 <= c1; c += 4) channel_group<4>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
  for (; c < c1; ++c) channel_group<1>(x, x_stride, w, bias, kernel, out_w, y, y_stride, c);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
