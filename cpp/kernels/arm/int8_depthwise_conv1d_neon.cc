// Plain NEON int8 depthwise 1-D convolution: 8-bit multiplies widened to int16 (vmull), pairs
// added into int32 (vpadal), the two halves of each 4-tap block added at the end.
#include "kernels/arm/int8_dw_neon.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

struct PlainDot {
  struct Acc {
    int32x4_t lo, hi;
  };  // pair sums of channels 0-1 and 2-3
  static void zero(Acc* a) { a->lo = a->hi = vdupq_n_s32(0); }
  static void add(Acc* a, int8x16_t x, int8x16_t w) {
    a->lo = vpadalq_s16(a->lo, vmull_s8(vget_low_s8(x), vget_low_s8(w)));
    a->hi = vpadalq_s16(a->hi, vmull_high_s8(x, w));
  }
  static int32x4_t sum(const Acc& a) { return vpaddq_s32(a.lo, a.hi); }
};

}  // namespace

void int8_depthwise_conv1d_neon(const Int8DwArgs& a, int r0, int r1) { dw_rows_neon<PlainDot>(a, r0, r1); }

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
