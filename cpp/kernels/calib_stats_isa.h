#pragma once
// Per-ISA entry points behind kernels/calib_stats.h; only the dispatcher calls them.
// The ISA files are compiled with their own -m flags, so they take plain pointers and use
// no inline library templates (an AVX2 copy of a shared inline function could be the one
// the linker keeps for the whole program).
#include <cstddef>
#include <cstdint>

namespace ncasr {
namespace kernels {
namespace isa {

// absmax of finite |x|; counts non-finite values.
// histogram: increments sub[(lane % nsub) * (nbins + 1) + bin] for each counted value;
// bin nbins is a discard slot. nsub is 1 or 4; the caller bounds n so counters fit uint32.
#define NCASR_DECLARE_CALIB_KERNELS(SUFFIX)                                                              \
  void abs_max_##SUFFIX(const float* x, size_t n, float* absmax, uint64_t* nonfinite);                   \
  void abs_histogram_##SUFFIX(const float* x, size_t n, float scale, int nbins, uint32_t* sub, int nsub, \
                              uint64_t* zeros, uint64_t* nonfinite);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_CALIB_KERNELS(avx2)
NCASR_DECLARE_CALIB_KERNELS(avx512)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_CALIB_KERNELS(neon)
#endif

#undef NCASR_DECLARE_CALIB_KERNELS

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
