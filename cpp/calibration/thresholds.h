#pragma once
// Activation thresholds from calibration statistics; scale = 127 / threshold (ncnn's
// symmetric int8). Arithmetic follows ncnn2table (float where it uses float) so a 2048-bin
// histogram over [0, absmax] gives ncnn2table's KL scale.
//
// Degenerate statistics (absmax 0, an empty histogram, a threshold whose scale would be inf)
// raise ncasr::Error naming the cause; there is no silent inf scale. Callers that prefer a
// fallback catch it (e.g. HistogramCollector users may skip all-zero tensors).
#include <cstdint>
#include <string>
#include <vector>

#include "calibration/histogram_collector.h"

namespace ncasr {

enum class ThresholdMethod { kKl, kAciq, kMinMax, kPercentile };

// ConfigError for anything but kl, aciq, minmax, percentile.
ThresholdMethod parse_threshold_method(const std::string& name);
const char* threshold_method_name(ThresholdMethod method);

struct Threshold {
  float threshold = 0.f;  // clip value in the tensor's units
  float scale = 0.f;      // 127 / threshold
  int bin = -1;           // kl: the chosen bin count (ncnn's target_threshold); else -1
};

// ncnn2table's KL: histogram over [0, range) (range = absmax for ncnn's 2048 bins),
// candidates target_bins .. nbins-1, tail folded into the last kept bin, 1e-4 smoothing of
// both distributions, threshold = (best + 0.5) * range / nbins.
Threshold kl_threshold(const uint64_t* hist, int nbins, float range, int target_bins = 128);

// ncnn2table's ACIQ (Gaussian): threshold = 3.92403714 * sigma,
// sigma = absmax * 2 * 0.175 * (1 + sqrt(pi * ln 4)) / sqrt(2 ln N), N = values in one sample.
Threshold aciq_threshold(float absmax, uint64_t n);

// threshold = absmax.
Threshold minmax_threshold(float absmax);

// The |x| below which `percent` % of the histogrammed (nonzero) values lie, linearly
// interpolated inside its bin, capped at absmax (> 0) when given.
Threshold percentile_threshold(const uint64_t* hist, int nbins, double range, double percent, float absmax = 0.f);

struct ThresholdOptions {
  double percent = 99.99;  // percentile method
  int target_bins = 128;   // kl
};

// Dispatch on a collector's statistics; errors name `key`.
Threshold compute_threshold(const std::string& key, const TensorStats& stats, ThresholdMethod method,
                            const ThresholdOptions& options = {});

}  // namespace ncasr
