// NEON GLU: 4 values per step, the tail through a zero-padded copy; the exp of
// kernels/exp_approx.h.
#include <arm_neon.h>

#include "kernels/arm/exp_neon.h"
#include "kernels/glu_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void glu_neon(const float* a, const float* b, float shift, float* out, size_t n) {
  const float32x4_t s = vdupq_n_f32(shift);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vmulq_f32(vld1q_f32(a + i), sigmoid(vaddq_f32(vld1q_f32(b + i), s))));
  if (i < n) {
    float ta[4] = {0, 0, 0, 0}, tb[4] = {0, 0, 0, 0}, to[4];
    for (size_t j = i; j < n; ++j) ta[j - i] = a[j], tb[j - i] = b[j];
    vst1q_f32(to, vmulq_f32(vld1q_f32(ta), sigmoid(vaddq_f32(vld1q_f32(tb), s))));
    for (size_t j = i; j < n; ++j) out[j] = to[j - i];
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
