// Scalar twin of the int8 matrix product: plain int32 sums over row-major packed weights.
#include <cmath>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void int8_gemm_ref(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t*, int32_t* c, size_t ldc) {
  const int8_t* a = static_cast<const int8_t*>(ap);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      const int8_t* ar = a + static_cast<size_t>(i) * kp;
      const int8_t* wr = wp + static_cast<size_t>(j) * kp;
      int32_t sum = 0;
      for (int t = 0; t < kp; ++t) sum += static_cast<int32_t>(ar[t]) * wr[t];
      c[i * ldc + j] = sum;
    }
}

float quantize_row_ref(const float* x, int k, void* out) {
  float absmax = 0.f;
  for (int t = 0; t < k; ++t) {
    const float a = std::fabs(x[t]);
    absmax = a > absmax ? a : absmax;
  }
  const float scale = absmax > 0.f ? 127.f / absmax : 1.f;
  int8_t* q = static_cast<int8_t*>(out);
  for (int t = 0; t < k; ++t) {
    float r = std::nearbyint(x[t] * scale);
    r = r < -127.f ? -127.f : (r > 127.f ? 127.f : r);
    q[t] = static_cast<int8_t>(r);
  }
  return scale;
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
