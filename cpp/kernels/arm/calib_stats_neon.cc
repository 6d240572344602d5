// NEON calibration kernels (aarch64, where NEON is baseline: no extra flags).
#include <arm_neon.h>

#include <cfloat>
#include <cstddef>
#include <cstdint>

#include "kernels/calib_stats_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline float tail_abs(float v) {
  uint32_t u;
  __builtin_memcpy(&u, &v, 4);
  u &= 0x7fffffffu;
  __builtin_memcpy(&v, &u, 4);
  return v;
}

}  // namespace

void abs_max_neon(const float* x, size_t n, float* absmax, uint64_t* nonfinite) {
  const float32x4_t big = vdupq_n_f32(FLT_MAX);
  const float32x4_t zero = vdupq_n_f32(0.f);
  float32x4_t m0 = zero, m1 = zero, m2 = zero, m3 = zero;
  uint64_t good = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t a0 = vabsq_f32(vld1q_f32(x + i));
    const float32x4_t a1 = vabsq_f32(vld1q_f32(x + i + 4));
    const float32x4_t a2 = vabsq_f32(vld1q_f32(x + i + 8));
    const float32x4_t a3 = vabsq_f32(vld1q_f32(x + i + 12));
    const uint32x4_t ok0 = vcleq_f32(a0, big), ok1 = vcleq_f32(a1, big);
    const uint32x4_t ok2 = vcleq_f32(a2, big), ok3 = vcleq_f32(a3, big);
    // vmaxq propagates NaN, so non-finite lanes are replaced by 0 first.
    m0 = vmaxq_f32(m0, vbslq_f32(ok0, a0, zero));
    m1 = vmaxq_f32(m1, vbslq_f32(ok1, a1, zero));
    m2 = vmaxq_f32(m2, vbslq_f32(ok2, a2, zero));
    m3 = vmaxq_f32(m3, vbslq_f32(ok3, a3, zero));
    const uint32x4_t ones = vaddq_u32(vaddq_u32(vshrq_n_u32(ok0, 31), vshrq_n_u32(ok1, 31)),
                                      vaddq_u32(vshrq_n_u32(ok2, 31), vshrq_n_u32(ok3, 31)));
    good += vaddvq_u32(ones);
  }
  for (; i + 4 <= n; i += 4) {
    const float32x4_t a = vabsq_f32(vld1q_f32(x + i));
    const uint32x4_t ok = vcleq_f32(a, big);
    m0 = vmaxq_f32(m0, vbslq_f32(ok, a, zero));
    good += vaddvq_u32(vshrq_n_u32(ok, 31));
  }
  float m = vmaxvq_f32(vmaxq_f32(vmaxq_f32(m0, m1), vmaxq_f32(m2, m3)));
  uint64_t bad = i - good;
  for (; i < n; ++i) {
    const float a = tail_abs(x[i]);
    if (!(a <= FLT_MAX)) {
      ++bad;
      continue;
    }
    if (a > m) m = a;
  }
  *absmax = m;
  *nonfinite = bad;
}

void abs_histogram_neon(const float* x, size_t n, float scale, int nbins, uint32_t* sub, int nsub, uint64_t* zeros,
                        uint64_t* nonfinite) {
  const size_t stride = static_cast<size_t>(nbins) + 1;
  uint32_t* s0 = sub;
  uint32_t* s1 = nsub == 4 ? sub + stride : sub;
  uint32_t* s2 = nsub == 4 ? sub + 2 * stride : sub;
  uint32_t* s3 = nsub == 4 ? sub + 3 * stride : sub;
  const float top = static_cast<float>(nbins - 1);
  const float32x4_t big = vdupq_n_f32(FLT_MAX);
  const float32x4_t zero = vdupq_n_f32(0.f);
  const float32x4_t vscale = vdupq_n_f32(scale);
  const float32x4_t vtop = vdupq_n_f32(top);
  const int32x4_t vdiscard = vdupq_n_s32(nbins);
  uint64_t z = 0, bad = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t a = vabsq_f32(vld1q_f32(x + i));
    const uint32x4_t fin = vcleq_f32(a, big);
    const uint32x4_t pos = vcgtq_f32(a, zero);
    const uint32x4_t valid = vandq_u32(fin, pos);
    // vminq gives NaN for NaN products, but those lanes are invalid and discarded.
    const float32x4_t f = vminq_f32(vmulq_f32(a, vscale), vtop);
    const int32x4_t bin = vbslq_s32(valid, vcvtq_s32_f32(f), vdiscard);
    if (vminvq_u32(valid) == 0) {
      bad += 4 - vaddvq_u32(vshrq_n_u32(fin, 31));
      z += vaddvq_u32(vshrq_n_u32(vbicq_u32(fin, pos), 31));
    }
    ++s0[vgetq_lane_s32(bin, 0)];
    ++s1[vgetq_lane_s32(bin, 1)];
    ++s2[vgetq_lane_s32(bin, 2)];
    ++s3[vgetq_lane_s32(bin, 3)];
  }
  for (; i < n; ++i) {
    const float a = tail_abs(x[i]);
    if (!(a <= FLT_MAX)) {
      ++bad;
      continue;
    }
    if (a == 0.f) {
      ++z;
      continue;
    }
    float f = a * scale;
    if (!(f < top)) f = top;
    ++s0[static_cast<int>(f)];
  }
  *zeros = z;
  *nonfinite = bad;
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
