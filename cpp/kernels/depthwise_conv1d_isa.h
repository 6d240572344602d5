#pragma once
// Per-ISA entry points behind kernels/depthwise_conv1d.h; only its dispatcher calls them.
// Rows [c0, c1) of the output; arguments already checked.
#include <cstddef>

namespace ncasr {
namespace kernels {
namespace isa {

#define NCASR_DECLARE_DWCONV1D_KERNEL(SUFFIX)                                                                    \
  void depthwise_conv1d_##SUFFIX(const float* x, size_t x_stride, const float* w, const float* bias, int kernel, \
                                 int out_w, float* y, size_t y_stride, int c0, int c1);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_DWCONV1D_KERNEL(avx2)
NCASR_DECLARE_DWCONV1D_KERNEL(avx512)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_DWCONV1D_KERNEL(neon)
#endif
NCASR_DECLARE_DWCONV1D_KERNEL(ref)

#undef NCASR_DECLARE_DWCONV1D_KERNEL

// Packed layout (see depthwise_conv1d_packed): packed rows [r0, r1).
#define NCASR_DECLARE_DWCONV1D_PACKED(SUFFIX)                                                                     \
  void depthwise_conv1d_packed_##SUFFIX(const float* x, size_t x_stride, const float* wt, const float* bias,      \
                                        int channels, int kernel, int out_w, int pack, float* y, size_t y_stride, \
                                        int r0, int r1);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_DWCONV1D_PACKED(avx2)
NCASR_DECLARE_DWCONV1D_PACKED(avx512)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_DWCONV1D_PACKED(neon)
#endif
NCASR_DECLARE_DWCONV1D_PACKED(ref)

#undef NCASR_DECLARE_DWCONV1D_PACKED

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
