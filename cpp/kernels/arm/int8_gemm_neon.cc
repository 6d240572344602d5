// NEON int8 matrix product over row-major weights (k padded to 16): vmull_s8 gives exact
// int16 products (|a*w| <= 16384), vpadalq_s16 adds pairs into int32 lanes; four columns per
// pass share each activation load. Activation rows arrive zero-padded to kp.
#include <arm_neon.h>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void int8_gemm_neon(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t*, int32_t* c, size_t ldc) {
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

float quantize_row_neon(const float* x, int k, void* out) {
  float32x4_t mx = vdupq_n_f32(0.f);
  int t = 0;
  for (; t + 4 <= k; t += 4) mx = vmaxq_f32(mx, vabsq_f32(vld1q_f32(x + t)));
  float absmax = vmaxvq_f32(mx);
  for (int i = t; i < k; ++i) {
    const float a = x[i] < 0.f ? -x[i] : x[i];
    absmax = a > absmax ? a : absmax;
  }
  const float scale = absmax > 0.f ? 127.f / absmax : 1.f;
  int8_t* q8 = static_cast<int8_t*>(out);
  const int32x4_t lo = vdupq_n_s32(-127), hi = vdupq_n_s32(127);
  for (t = 0; t + 8 <= k; t += 8) {
    const int32x4_t a = vminq_s32(vmaxq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + t), scale)), lo), hi);
    const int32x4_t b = vminq_s32(vmaxq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + t + 4), scale)), lo), hi);
    vst1_s8(q8 + t, vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b))));
  }
  for (; t < k; ++t) {
    const int32_t v = vcvtns_s32_f32(x[t] * scale);  // nearest even, as the vector body
    q8[t] = static_cast<int8_t>(v < -127 ? -127 : (v > 127 ? 127 : v));
  }
  return scale;
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
