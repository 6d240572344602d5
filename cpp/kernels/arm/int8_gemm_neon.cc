// NEON int8 matrix product over row-major weights (k padded to 16): vmull_s8 gives exact
// int16 products (|a*w| <= 16384), vpadalq_s16 adds pairs into int32 lanes; four columns per
// pass share each activation load. Activation rows arrive zero-padded to kp.
#include <arm_neon.h>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void int8_gemm_neon(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t*, int32_t* c,
                    size_t ldc) {
  for (int i = 0; i < m; ++i) {
    const int8_t* row = static_cast<const int8_t*>(ap) + static_cast<size_t>(i) * kp;
    int j = 0;
    for (; j < n; j += 4) {
      const int cols = n - j < 4 ? n - j : 4;
      int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
      for (int t = 0; t < kp; t += 16) {
        const int8x16_t av = vld1q_s8(row + t);
        for (int q = 0; q < cols; ++q) {
          const int8x16_t wv = vld1q_s8(wp + static_cast<size_t>(j + q) * kp + t);
          acc[q] = vpadalq_s16(acc[q], vmull_s8(vget_low_s8(av), vget_low_s8(wv)));
          acc[q] = vpadalq_s16(acc[q], vmull_s8(vget_high_s8(av), vget_high_s8(wv)));
        }
      }
      for (int q = 0; q < cols; ++q) c[i * ldc + j + q] = vaddvq_s32(acc[q]);
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
