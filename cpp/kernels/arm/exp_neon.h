#pragma once
// The NEON exp, sigmoid and tanh of kernels/exp_approx.h, for the NEON kernel files only
// (each is built with its own ISA flags; internal linkage keeps the copies apart).
#include <arm_neon.h>

#include "kernels/exp_approx.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline float32x4_t exp_approx(float32x4_t x) {
  x = vminq_f32(x, vdupq_n_f32(kExpHi));
  x = vmaxq_f32(x, vdupq_n_f32(kExpLo));
  const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(kLog2e)));
  float32x4_t r = vsubq_f32(x, vmulq_f32(n, vdupq_n_f32(kExpC1)));
  r = vsubq_f32(r, vmulq_f32(n, vdupq_n_f32(kExpC2)));
  float32x4_t p = vaddq_f32(vmulq_f32(vdupq_n_f32(kExpP0), r), vdupq_n_f32(kExpP1));
  p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(kExpP2));
  p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(kExpP3));
  p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(kExpP4));
  p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(kExpP5));
  const float32x4_t y = vaddq_f32(vaddq_f32(vmulq_f32(p, vmulq_f32(r, r)), r), vdupq_n_f32(1.f));
  const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(y, vreinterpretq_f32_s32(bits));
}

inline float32x4_t sigmoid(float32x4_t v) {
  const float32x4_t one = vdupq_n_f32(1.f);
  return vdivq_f32(one, vaddq_f32(one, exp_approx(vnegq_f32(v))));
}

inline float32x4_t tanh_approx(float32x4_t v) {
  const float32x4_t one = vdupq_n_f32(1.f);
  const float32x4_t e = exp_approx(vmulq_f32(vdupq_n_f32(-2.f), v));
  return vsubq_f32(vdivq_f32(vdupq_n_f32(2.f), vaddq_f32(one, e)), one);
}

}  // namespace
}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
