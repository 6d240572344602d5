// ARMv8.2 SDOT int8 depthwise 1-D convolution: one vdotq_s32 per 4-tap block of 4 channels.
// Built with +dotprod; chosen only where the CPU reports asimddp.
#include "kernels/arm/int8_dw_neon.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

struct SdotDot {
  using Acc = int32x4_t;
  static void zero(Acc* a) { *a = vdupq_n_s32(0); }
  static void add(Acc* a, int8x16_t x, int8x16_t w) { *a = vdotq_s32(*a, x, w); }
  static int32x4_t sum(const Acc& a) { return a; }
};

}  // namespace

void int8_depthwise_conv1d_neon_dotprod(const Int8DwArgs& a, int r0, int r1) { dw_rows_neon<SdotDot>(a, r0, r1); }

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
