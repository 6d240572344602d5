#include "calibration/shape_probe.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "calibration/calibrator.h"

namespace ncasr {

std::vector<float> probe_signal() {
  const int n = 32000;
  std::vector<float> x(n);
  uint32_t state = 20261127u;
  for (int i = 0; i < n; ++i) {
    const double t = i / 16000.0;
    state = state * 1664525u + 1013904223u;
    const double noise = (static_cast<double>(state >> 8) / 16777216.0 - 0.5) * 0.1;
    x[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * (200 + 400 * t) * t) + noise);
  }
  return x;
}

std::map<std::string, int> probe_row_widths(const ActivationRunner& runner) {
  const auto& targets = runner.targets();
  std::vector<int> width(targets.size(), 0);  // 0 unseen, -1 not a fixed-width matrix
  const std::vector<float> x = probe_signal();
  runner.run(x.data(), x.size(), 16000, [&](size_t t, const ncnn::Mat& m) {
    const int w = m.dims == 2 ? m.w : -1;
    if (width[t] == 0)
      width[t] = w;
    else if (width[t] != w)
      width[t] = -1;
  });
  std::map<std::string, int> out;
  for (size_t t = 0; t < targets.size(); ++t)
    if (width[t] > 0) out[calibration_key(targets[t])] = width[t];
  return out;
}

}  // namespace ncasr
