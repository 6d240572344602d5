#pragma once
// Scalar twins of the calibration kernels: the definition of the results every SIMD path
// must reproduce bit for bit (see kernels/calib_stats.h for the value rules).
#include <cstddef>
#include <cstdint>

namespace ncasr {
namespace kernels {
namespace ref {

void abs_max(const float* x, size_t n, float* absmax, uint64_t* nonfinite);

// Adds into bins[0..nbins) directly (uint64, so no overflow handling is needed).
void abs_histogram(const float* x, size_t n, float scale, int nbins, uint64_t* bins, uint64_t* zeros,
                   uint64_t* nonfinite);

}  // namespace ref
}  // namespace kernels
}  // namespace ncasr
