#include "kernels/reference/calib_stats_ref.h"

#include <cfloat>
#include <cmath>

namespace ncasr {
namespace kernels {
namespace ref {

void abs_max(const float* x, size_t n, float* absmax, uint64_t* nonfinite) {
  float m = 0.f;
  uint64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (!(a <= FLT_MAX)) {  // NaN compares false too
      ++bad;
      continue;
    }
    if (a > m) m = a;
  }
  *absmax = m;
  *nonfinite = bad;
}

void abs_histogram(const float* x, size_t n, float scale, int nbins, uint64_t* bins, uint64_t* zeros,
                   uint64_t* nonfinite) {
  const float top = static_cast<float>(nbins - 1);
  uint64_t z = 0, bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (!(a <= FLT_MAX)) {
      ++bad;
      continue;
    }
    if (a == 0.f) {
      ++z;
      continue;
    }
    float f = a * scale;
    if (!(f < top)) f = top;  // clamp before the int conversion (huge or inf products)
    ++bins[static_cast<int>(f)];
  }
  *zeros = z;
  *nonfinite = bad;
}

}  // namespace ref
}  // namespace kernels
}  // namespace ncasr
