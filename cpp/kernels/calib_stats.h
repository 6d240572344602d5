#pragma once
// Calibration statistics kernels: absmax and a histogram of |x| (ncnn2table's KL input).
// Each SIMD path equals its scalar twin (kernels/reference) exactly.
//
// Value rules, the same on every path:
//  - NaN and +-inf are skipped and counted in `nonfinite` (a calibration loop can then
//    refuse the data or warn; they never poison absmax or a bin).
//  - The histogram skips exact zeros (+0 and -0, as ncnn2table does) and counts them in
//    `zeros`; denormals are ordinary nonzero values (bin 0 unless the scale is huge).
//  - A value lands in bin min(trunc(|x| * scale), nbins - 1), with `scale` one float the
//    caller computed once (e.g. float(nbins) / range). ncnn2table divides every value,
//    |x| / absmax * 2048, which can differ by one bin for values at a bin edge.
#include <cstddef>
#include <cstdint>

#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

struct AbsMaxResult {
  float absmax = 0.f;                     // largest finite |x|; 0 for empty input
  uint64_t nonfinite = 0;                 // NaN and inf values skipped
  KernelPath path = KernelPath::kScalar;  // the path that ran
};

struct HistogramResult {
  uint64_t zeros = 0;      // exact zeros skipped
  uint64_t nonfinite = 0;  // NaN and inf values skipped
  KernelPath path = KernelPath::kScalar;
};

// Dispatched to active_kernel_path().
AbsMaxResult abs_max(const float* x, size_t n);
// On a given path; ConfigError if this CPU/build lacks it.
AbsMaxResult abs_max(const float* x, size_t n, KernelPath path);

// Adds counts into bins[0..nbins). nbins in [1, 2^24]; scale > 0 (inf allowed: every
// nonzero value then lands in the last bin). Invalid arguments are a ConfigError.
HistogramResult abs_histogram(const float* x, size_t n, float scale, uint64_t* bins, int nbins);
HistogramResult abs_histogram(const float* x, size_t n, float scale, uint64_t* bins, int nbins, KernelPath path);

}  // namespace kernels
}  // namespace ncasr
