// Scalar twin of the int8 matrix product: plain int32 sums over row-major packed weights.
#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void int8_gemm_ref(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t*, int32_t* c,
                   size_t ldc) {
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

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
