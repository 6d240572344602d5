#include "kernels/calib_stats.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/errors.h"
#include "kernels/calib_stats_isa.h"
#include "kernels/reference/calib_stats_ref.h"

namespace ncasr {
namespace kernels {
namespace {

using AbsMaxFn = void (*)(const float*, size_t, float*, uint64_t*);
using HistFn = void (*)(const float*, size_t, float, int, uint32_t*, int, uint64_t*, uint64_t*);

AbsMaxFn simd_abs_max(KernelPath path) {
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: return isa::abs_max_avx2;
    case KernelPath::kAvx512: return isa::abs_max_avx512;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: return isa::abs_max_neon;
#endif
    default: return nullptr;
  }
}

HistFn simd_histogram(KernelPath path) {
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: return isa::abs_histogram_avx2;
    case KernelPath::kAvx512: return isa::abs_histogram_avx512;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: return isa::abs_histogram_neon;
#endif
    default: return nullptr;
  }
}

constexpr int kMaxBins = 1 << 24;  // bin indices stay exact in float
// Each uint32 sub-histogram counter sees at most this many values per block.
constexpr size_t kBlock = size_t(1) << 31;

void check_histogram_args(float scale, uint64_t* bins, int nbins) {
  if (nbins < 1 || nbins > kMaxBins)
    throw ConfigError("histogram bin count must be in [1, 16777216], got " + std::to_string(nbins));
  if (!(scale > 0.f)) throw ConfigError("histogram scale must be > 0 (bins / range), got " + std::to_string(scale));
  if (bins == nullptr) throw ConfigError("histogram output is null");
}

}  // namespace

AbsMaxResult abs_max(const float* x, size_t n, KernelPath path) {
  require_kernel_path(path);
  AbsMaxResult r;
  r.path = path;
  if (n == 0) return r;
  AbsMaxFn fn = simd_abs_max(path);
  if (fn)
    fn(x, n, &r.absmax, &r.nonfinite);
  else
    ref::abs_max(x, n, &r.absmax, &r.nonfinite);
  return r;
}

AbsMaxResult abs_max(const float* x, size_t n) { return abs_max(x, n, active_kernel_path()); }

HistogramResult abs_histogram(const float* x, size_t n, float scale, uint64_t* bins, int nbins, KernelPath path) {
  require_kernel_path(path);
  check_histogram_args(scale, bins, nbins);
  HistogramResult r;
  r.path = path;
  if (n == 0) return r;
  HistFn fn = simd_histogram(path);
  if (!fn) {
    ref::abs_histogram(x, n, scale, nbins, bins, &r.zeros, &r.nonfinite);
    return r;
  }
  // Four interleaved sub-histograms pay off once the input is large next to the bins.
  const int nsub = n >= 16 * static_cast<size_t>(nbins) ? 4 : 1;
  const size_t stride = static_cast<size_t>(nbins) + 1;  // + the discard slot
  thread_local std::vector<uint32_t> scratch;
  for (size_t start = 0; start < n; start += kBlock) {
    const size_t len = n - start < kBlock ? n - start : kBlock;
    scratch.assign(stride * nsub, 0u);
    uint64_t zeros = 0, bad = 0;
    fn(x + start, len, scale, nbins, scratch.data(), nsub, &zeros, &bad);
    for (int s = 0; s < nsub; ++s) {
      const uint32_t* h = scratch.data() + s * stride;
      for (int b = 0; b < nbins; ++b) bins[b] += h[b];
    }
    r.zeros += zeros;
    r.nonfinite += bad;
  }
  return r;
}

HistogramResult abs_histogram(const float* x, size_t n, float scale, uint64_t* bins, int nbins) {
  return abs_histogram(x, n, scale, bins, nbins, active_kernel_path());
}

}  // namespace kernels
}  // namespace ncasr
