// Scalar twin of the depthwise 1-D convolution: ncnn's generic loop, summed strictly in order.
// Built with -ffp-contract=off (cpp/CMakeLists.txt) so `sum += a * b` stays a multiply
// and an add even where the baseline ISA has a fused multiply-add (aarch64).
#include "kernels/depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void depthwise_conv1d_ref(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, int out_w,
                          float* y, size_t y_stride, int c0, int c1) {
  for (int c = c0; c < c1; ++c) {
    const float* xr = x + c * x_stride;
    const float* wr = w + static_cast<size_t>(c) * kernel;
    float* yr = y + c * y_stride;
    const float b = bias ? bias[c] : 0.f;
    for (int j = 0; j < out_w; ++j) {
      float sum = b;
      for (int k = 0; k < kernel; ++k) sum += xr[j + k] * wr[k];
      yr[j] = sum;
    }
  }
}

void depthwise_conv1d_packed_ref(const float* x, size_t x_stride, const float* wt, const float* bias, int channels,
                                 int kernel, int out_w, int pack, float* y, size_t y_stride, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const float* xr = x + r * x_stride;
    float* yr = y + r * y_stride;
    for (int i = 0; i < out_w * pack; ++i) {  // i = t * pack + lane
      const int c = r * pack + i % pack;
      float sum = bias ? bias[c] : 0.f;
      for (int k = 0; k < kernel; ++k) sum += xr[i + k * pack] * wt[static_cast<size_t>(k) * channels + c];
      yr[i] = sum;
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
