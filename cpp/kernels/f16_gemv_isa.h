#pragma once
// Per-ISA entry points behind kernels/f16_gemv.h; only its dispatcher calls them, with
// checked arguments: panels [panel0, panel1), y indexed from row 0 (rows beyond `rows` of
// the last panel are not written).
#include <cstdint>

namespace ncasr {
namespace kernels {
namespace isa {

#define NCASR_DECLARE_F16_GEMV(SUFFIX)                                                                          \
  void f16_gemv_##SUFFIX(const uint16_t* data, int rows, int cols, const float* x, const float* bias, float* y, \
                         int panel0, int panel1);                                                               \
  void f32_gemv_##SUFFIX(const float* data, int rows, int cols, const float* x, const float* bias, float* y,    \
                         int panel0, int panel1);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_F16_GEMV(avx2)
NCASR_DECLARE_F16_GEMV(avx512)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_F16_GEMV(neon)
#endif
NCASR_DECLARE_F16_GEMV(ref)

#undef NCASR_DECLARE_F16_GEMV

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
