#pragma once
// Per-ISA entry points behind kernels/glu.h; only its dispatcher calls them.
#include <cstddef>

namespace ncasr {
namespace kernels {
namespace isa {

#define NCASR_DECLARE_GLU(SUFFIX) void glu_##SUFFIX(const float* a, const float* b, float shift, float* out, size_t n);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_GLU(avx2)
NCASR_DECLARE_GLU(avx512)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_GLU(neon)
#endif
NCASR_DECLARE_GLU(ref)

#undef NCASR_DECLARE_GLU

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
