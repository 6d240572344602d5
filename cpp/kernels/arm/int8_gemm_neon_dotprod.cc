// NEON dot-product (ARMv8.2 SDOT) int8 matrix product: each SDOT adds, into every int32 lane,
// 4 products of a column's 4 weight bytes with 4 activation bytes, 16 multiply-adds per
// instruction against plain NEON's widening multiplies. Weights are packed as [16-column
// block][k/4][16 columns][4 k]; activation rows are int8, zero-padded to kp (a multiple of
// 16, so one 16-byte load holds 4 k-groups whose broadcast the lane form of SDOT takes).
// A tile is 4 rows x 16 columns: 16 accumulators. Built with +dotprod; run only where the
// CPU has it (int8_gemm.cc checks).
#include <arm_neon.h>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

template <int R>
void tile(const int8_t* a, int kp, const int8_t* wb, int cols, int32_t* c, size_t ldc) {
  int32x4_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  const int groups = kp / 4;
  for (int g4 = 0; g4 < groups; g4 += 4) {
    int8x16_t av[R];
    for (int r = 0; r < R; ++r) av[r] = vld1q_s8(a + static_cast<size_t>(r) * kp + 4 * g4);
#define NCASR_GROUP(LANE)                                                                                      \
  {                                                                                                            \
    const int8_t* wg = wb + static_cast<size_t>(g4 + LANE) * 64;                                               \
    const int8x16_t w0 = vld1q_s8(wg), w1 = vld1q_s8(wg + 16), w2 = vld1q_s8(wg + 32), w3 = vld1q_s8(wg + 48); \
    for (int r = 0; r < R; ++r) {                                                                              \
      acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, av[r], LANE);                                                 \
      acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, av[r], LANE);                                                 \
      acc[r][2] = vdotq_laneq_s32(acc[r][2], w2, av[r], LANE);                                                 \
      acc[r][3] = vdotq_laneq_s32(acc[r][3], w3, av[r], LANE);                                                 \
    }                                                                                                          \
  }
    // clang-format off: each macro is a whole block
    NCASR_GROUP(0) NCASR_GROUP(1) NCASR_GROUP(2) NCASR_GROUP(3)
    // clang-format on
#undef NCASR_GROUP
  }
  for (int r = 0; r < R; ++r) {
    int32_t* cr = c + r * ldc;
    if (cols == 16) {
      for (int q = 0; q < 4; ++q) vst1q_s32(cr + 4 * q, acc[r][q]);
    } else {
      int32_t tmp[16];
      for (int q = 0; q < 4; ++q) vst1q_s32(tmp + 4 * q, acc[r][q]);
      for (int j = 0; j < cols; ++j) cr[j] = tmp[j];
    }
  }
}

}  // namespace

void int8_gemm_neon_dotprod(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t*, int32_t* c,
                            size_t ldc) {
  const int8_t* a = static_cast<const int8_t*>(ap);
  for (int j = 0; j < n; j += 16) {
    const int8_t* wb = wp + static_cast<size_t>(j) * kp;  // a 16-column block holds 16 * kp bytes
    const int cols = n - j < 16 ? n - j : 16;
    int i = 0;
    for (; i + 4 <= m; i += 4) tile<4>(a + static_cast<size_t>(i) * kp, kp, wb, cols, c + i * ldc + j, ldc);
    for (; i < m; ++i) tile<1>(a + static_cast<size_t>(i) * kp, kp, wb, cols, c + i * ldc + j, ldc);
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
