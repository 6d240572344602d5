// Scalar twin of the int8 depthwise 1-D convolution: the definition in
// kernels/int8_depthwise_conv1d.h written out per channel, tap by tap.
#include <cmath>

#include "kernels/int8_depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void int8_depthwise_conv1d_ref(const Int8DwArgs& a, int r0, int r1) {
  const int P = a.pack, K = a.kernel;
  int8_t* q = reinterpret_cast<int8_t*>(a.scratch);  // one channel's quantized row
  for (int r = r0; r < r1; ++r) {
    const float* xr = a.x + r * a.x_stride;
    float* yr = a.y + r * a.y_stride;
    for (int lane = 0; lane < P; ++lane) {
      const int c = r * P + lane;
      float amax = 0.f;
      for (int t = 0; t < a.in_w; ++t) amax = std::fmax(amax, std::fabs(xr[t * P + lane]));
      const float sx = amax > 0.f ? 127.f / amax : 1.f;
      for (int t = 0; t < a.in_w; ++t) {
        float v = std::nearbyint(xr[t * P + lane] * sx);
        v = v >= -127.f ? v : -127.f;  // NaN too, as the SIMD paths' integer clamp
        v = v <= 127.f ? v : 127.f;
        q[t] = static_cast<int8_t>(v);
      }
      const float deq = 1.f / (sx * a.w_scales[c]);
      const float b = a.bias ? a.bias[c] : 0.f;
      const int8_t* w = a.taps + static_cast<size_t>(c) * K;
      for (int t = 0; t < a.out_w; ++t) {
        int32_t acc = 0;
        for (int k = 0; k < K; ++k) acc += static_cast<int32_t>(w[k]) * q[t + k];
        yr[t * P + lane] = static_cast<float>(acc) * deq + b;
      }
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
