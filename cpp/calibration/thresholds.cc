#include "calibration/thresholds.h"

#include <cfloat>
#include <cmath>

#include "common/errors.h"

namespace ncasr {

ThresholdMethod parse_threshold_method(const std::string& name) {
  if (name == "kl") return ThresholdMethod::kKl;
  if (name == "aciq") return ThresholdMethod::kAciq;
  if (name == "minmax") return ThresholdMethod::kMinMax;
  if (name == "percentile") return ThresholdMethod::kPercentile;
  throw ConfigError("unknown calibration method '" + name + "' (expected kl, aciq, minmax or percentile)");
}

const char* threshold_method_name(ThresholdMethod method) {
  switch (method) {
    case ThresholdMethod::kKl: return "kl";
    case ThresholdMethod::kAciq: return "aciq";
    case ThresholdMethod::kMinMax: return "minmax";
    case ThresholdMethod::kPercentile: return "percentile";
  }
  return "unknown";
}

namespace {

Threshold finish(float threshold, int bin = -1) {
  Threshold t;
  t.threshold = threshold;
  t.scale = 127.f / threshold;
  t.bin = bin;
  if (!(threshold > 0.f) || !std::isfinite(threshold) || !std::isfinite(t.scale))
    throw Error("threshold " + std::to_string(threshold) + " gives no finite int8 scale");
  return t;
}

void require_nonzero_absmax(float absmax) {
  if (!(absmax > 0.f)) throw Error("every value was zero (absmax 0); no int8 scale can be derived");
  if (!std::isfinite(absmax)) throw Error("absmax is not finite");
}

uint64_t histogram_sum(const uint64_t* hist, int nbins) {
  uint64_t sum = 0;
  for (int i = 0; i < nbins; ++i) sum += hist[i];
  if (sum == 0) throw Error("the histogram is empty (every value was zero); no int8 scale can be derived");
  return sum;
}

// The span [start, end) of candidate bins that target bin j covers, as ncnn2table splits
// it: whole bins [left_upper, right_lower) plus fractions of the bins on either side.
struct Cover {
  int left_upper, right_lower;
  float left_scale, right_scale, width;
};

Cover cover(int j, int target, int threshold, float num_per_bin) {
  float start, end;
  if (j == 0) {
    start = 0.f;
    end = num_per_bin;
  } else if (j == target - 1) {
    start = threshold - num_per_bin;
    end = static_cast<float>(threshold);
  } else {
    start = j * num_per_bin;
    end = (j + 1) * num_per_bin;
  }
  Cover c;
  c.left_upper = static_cast<int>(std::ceil(start));
  c.left_scale = c.left_upper - start;
  c.right_lower = static_cast<int>(std::floor(end));
  c.right_scale = end - c.right_lower;
  // ncnn's divisor, same float evaluation order (the zero terms of the first/last bin
  // add exactly nothing).
  c.width = (c.right_lower - c.left_upper) + c.left_scale + c.right_scale;
  return c;
}

}  // namespace

Threshold kl_threshold(const uint64_t* hist, int nbins, float range, int target) {
  if (target < 2 || nbins <= target)
    throw ConfigError("KL needs more histogram bins (" + std::to_string(nbins) + ") than target bins (" +
                      std::to_string(target) + ")");
  require_nonzero_absmax(range);
  const uint64_t sum = histogram_sum(hist, nbins);
  std::vector<float> p(nbins);
  for (int i = 0; i < nbins; ++i) p[i] = static_cast<float>(hist[i] / static_cast<double>(sum));

  const float eps = 0.0001f;
  std::vector<float> clip, quant(target), expand;
  std::vector<Cover> covers(target);
  int best = target;
  float min_kl = FLT_MAX;
  for (int t = target; t < nbins; ++t) {
    // P: the distribution clipped at t, its tail folded into the last kept bin.
    clip.assign(t, eps);
    for (int i = 0; i < t; ++i) clip[i] += p[i];
    for (int i = t; i < nbins; ++i) clip[t - 1] += p[i];

    // Q: p[0, t) averaged into `target` bins (tail not included, as ncnn2table), then
    // spread back over the bins each one covers.
    const float num_per_bin = static_cast<float>(t) / target;
    for (int j = 0; j < target; ++j) {
      const Cover c = covers[j] = cover(j, target, t, num_per_bin);
      float v = 0.f;
      if (c.left_scale > 0) v += c.left_scale * p[c.left_upper - 1];
      if (c.right_scale > 0) v += c.right_scale * p[c.right_lower];
      for (int k = c.left_upper; k < c.right_lower; ++k) v += p[k];
      quant[j] = v / c.width;
    }
    expand.assign(t, eps);
    for (int j = 0; j < target; ++j) {
      const Cover& c = covers[j];
      if (c.left_scale > 0) expand[c.left_upper - 1] += c.left_scale * quant[j];
      if (c.right_scale > 0) expand[c.right_lower] += c.right_scale * quant[j];
      for (int k = c.left_upper; k < c.right_lower; ++k) expand[k] += quant[j];
    }

    float kl = 0.f;
    for (int i = 0; i < t; ++i) kl += clip[i] * std::log(clip[i] / expand[i]);
    if (kl < min_kl) {
      min_kl = kl;
      best = t;
    }
  }
  return finish((best + 0.5f) * range / nbins, best);
}

Threshold aciq_threshold(float absmax, uint64_t n) {
  require_nonzero_absmax(absmax);
  if (n < 2) throw Error("ACIQ needs at least 2 values per sample (N = " + std::to_string(n) + ")");
  const float alpha8 = 3.92403714f;  // optimal Gaussian clip for 8 bits
  const double gaussian_const = (0.5 * 0.35) * (1 + std::sqrt(3.14159265358979323846 * std::log(4.0)));
  const double sigma = (absmax * 2 * gaussian_const) / std::sqrt(2 * std::log(static_cast<double>(n)));
  return finish(static_cast<float>(alpha8 * sigma));
}

Threshold minmax_threshold(float absmax) {
  require_nonzero_absmax(absmax);
  return finish(absmax);
}

Threshold percentile_threshold(const uint64_t* hist, int nbins, double range, double percent, float absmax) {
  if (!(percent > 0.0 && percent <= 100.0))
    throw ConfigError("percentile must be in (0, 100], got " + std::to_string(percent));
  if (nbins < 1) throw ConfigError("percentile needs a histogram");
  require_nonzero_absmax(static_cast<float>(range));
  const uint64_t sum = histogram_sum(hist, nbins);
  const double target = percent / 100.0 * static_cast<double>(sum);
  double cum = 0.0, t = range;
  for (int b = 0; b < nbins; ++b) {
    const double h = static_cast<double>(hist[b]);
    if (h > 0 && cum + h >= target) {
      t = (b + (target - cum) / h) * range / nbins;
      break;
    }
    cum += h;
  }
  if (absmax > 0.f && t > absmax) t = absmax;
  return finish(static_cast<float>(t));
}

Threshold compute_threshold(const std::string& key, const TensorStats& s, ThresholdMethod method,
                            const ThresholdOptions& options) {
  const std::string where = "tensor '" + key + "' (" + threshold_method_name(method) + "): ";
  try {
    if (s.nonfinite > 0 && s.absmax == 0.f && s.elements == s.nonfinite) throw Error("every value was NaN or inf");
    switch (method) {
      case ThresholdMethod::kMinMax: return minmax_threshold(s.absmax);
      case ThresholdMethod::kAciq: return aciq_threshold(s.absmax, s.max_observation);
      case ThresholdMethod::kKl:
      case ThresholdMethod::kPercentile:
        require_nonzero_absmax(s.absmax);
        if (s.histogram.empty())
          throw ConfigError("no histogram yet (two_pass needs finish_absmax_pass() and a second pass)");
        if (method == ThresholdMethod::kKl)
          return kl_threshold(s.histogram.data(), static_cast<int>(s.histogram.size()), static_cast<float>(s.range),
                              options.target_bins);
        return percentile_threshold(s.histogram.data(), static_cast<int>(s.histogram.size()), s.range, options.percent,
                                    s.absmax);
    }
  } catch (const ConfigError& e) {
    throw ConfigError(where + e.what());
  } catch (const Error& e) {
    throw Error(where + e.what());
  }
  throw ConfigError(where + "unknown method");
}

}  // namespace ncasr
