#pragma once
// Shared by the NEON int8 depthwise kernels (plain and dot product; each includes it under
// its own flags, all functions internal): activation blocks of a packed row and the block
// loop, 4 channels per q register, with the 4-tap block sum supplied by `Dot`.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "kernels/int8_depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

// Per-lane scales and int8 blocks (see x86/int8_dw_blocks.h): block u, lane l holds
// q(x[4u + i][l]) for i = 0..3 at out + (u * P + l) * 4 + i.
inline void dw_build_row_neon(const float* xr, int P, int in_w, int nblocks, float* sx, int8_t* out) {
  for (int g = 0; g < P; g += 4) {
    float32x4_t m = vdupq_n_f32(0.f);
    for (int t = 0; t < in_w; ++t) m = vmaxnmq_f32(m, vabsq_f32(vld1q_f32(xr + static_cast<size_t>(t) * P + g)));
    const float32x4_t s = vbslq_f32(vcgtq_f32(m, vdupq_n_f32(0.f)), vdivq_f32(vdupq_n_f32(127.f), m), vdupq_n_f32(1.f));
    vst1q_f32(sx + g, s);
    const int32x4_t lo = vdupq_n_s32(-127);
    for (int u = 0; u < nblocks; ++u) {
      int32x4_t q[4];
      for (int i = 0; i < 4; ++i) {
        const int t = 4 * u + i;
        const float32x4_t v = t < in_w ? vld1q_f32(xr + static_cast<size_t>(t) * P + g) : vdupq_n_f32(0.f);
        q[i] = vmaxq_s32(vcvtnq_s32_f32(vmulq_f32(v, s)), lo);
      }
      const int32x4x2_t t01 = vtrnq_s32(q[0], q[1]), t23 = vtrnq_s32(q[2], q[3]);
      const int32x4_t l0 = vcombine_s32(vget_low_s32(t01.val[0]), vget_low_s32(t23.val[0]));
      const int32x4_t l1 = vcombine_s32(vget_low_s32(t01.val[1]), vget_low_s32(t23.val[1]));
      const int32x4_t l2 = vcombine_s32(vget_high_s32(t01.val[0]), vget_high_s32(t23.val[0]));
      const int32x4_t l3 = vcombine_s32(vget_high_s32(t01.val[1]), vget_high_s32(t23.val[1]));
      const int16x8_t h01 = vcombine_s16(vqmovn_s32(l0), vqmovn_s32(l1));
      const int16x8_t h23 = vcombine_s16(vqmovn_s32(l2), vqmovn_s32(l3));
      vst1q_s8(out + (static_cast<size_t>(u) * P + g) * 4, vcombine_s8(vqmovn_s16(h01), vqmovn_s16(h23)));
    }
  }
}

template <class Dot>
inline void dw_rows_neon(const Int8DwArgs& a, int r0, int r1) {
  const int P = a.pack, C = a.channels, J = a.blocks;
  const size_t block_stride = int8_dw_block_stride(C), phase_stride = J * block_stride;
  const int nblocks = int8_dw_activation_blocks(a.in_w, a.out_w, J);
  int8_t* blk = reinterpret_cast<int8_t*>(a.scratch);
  for (int r = r0; r < r1; ++r) {
    const float* xr = a.x + r * a.x_stride;
    float* yr = a.y + r * a.y_stride;
    float sx[16];
    dw_build_row_neon(xr, P, a.in_w, nblocks, sx, blk);
    for (int g = 0; g < P; g += 4) {
      const int c = r * P + g;
      const float32x4_t deq = vdivq_f32(vdupq_n_f32(1.f), vmulq_f32(vld1q_f32(sx + g), vld1q_f32(a.w_scales + c)));
      const float32x4_t bias = a.bias ? vld1q_f32(a.bias + c) : vdupq_n_f32(0.f);
      const int8_t* w0 = a.phased + static_cast<size_t>(c) * 4;
      for (int u0 = 0; 4 * u0 < a.out_w; ++u0) {
        typename Dot::Acc acc[4];
        for (int p = 0; p < 4; ++p) Dot::zero(&acc[p]);
        for (int j = 0; j < J; ++j) {
          const int8x16_t x = vld1q_s8(blk + (static_cast<size_t>(u0 + j) * P + g) * 4);
          const int8_t* w = w0 + j * block_stride;
          for (int p = 0; p < 4; ++p) Dot::add(&acc[p], x, vld1q_s8(w + p * phase_stride));
        }
        for (int p = 0; p < 4 && 4 * u0 + p < a.out_w; ++p) {
          const float32x4_t v = vmulq_f32(vcvtq_f32_s32(Dot::sum(acc[p])), deq);
          vst1q_f32(yr + static_cast<size_t>(4 * u0 + p) * P + g, vaddq_f32(v, bias));
        }
      }
    }
  }
}

}  // namespace
}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
