#include "calibration/histogram_collector.h"

#include <mat.h>

#include <algorithm>
#include <cmath>

#include "common/errors.h"
#include "kernels/calib_stats.h"

namespace ncasr {

CollectMode parse_collect_mode(const std::string& name) {
  if (name == "two_pass") return CollectMode::kTwoPass;
  if (name == "online") return CollectMode::kOnline;
  throw ConfigError("unknown histogram mode '" + name + "' (expected two_pass or online)");
}

const char* collect_mode_name(CollectMode mode) { return mode == CollectMode::kTwoPass ? "two_pass" : "online"; }

namespace {

// Exponent k with 2^k the smallest power of two strictly above a > 0.
int range_exponent_above(float a) {
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  return e;
}

// Folds `h` (over 2^from) into bins over 2^to (to >= from): bin j lands in j >> shift.
void fold_bins(std::vector<uint64_t>& h, int shift) {
  if (shift <= 0) return;
  const size_t n = h.size();
  for (size_t j = 1; j < n; ++j) {
    const size_t to = shift >= 63 ? 0 : (j >> shift);
    if (to != j) {
      h[to] += h[j];
      h[j] = 0;
    }
  }
}

}  // namespace

HistogramCollector::HistogramCollector(CollectMode mode, int bins) : mode_(mode), bins_(bins) {
  if (bins < 2 || bins > (1 << 24))
    throw ConfigError("histogram bins must be in [2, 16777216], got " + std::to_string(bins));
  if (mode == CollectMode::kOnline) {
    if ((bins & (bins - 1)) != 0)
      throw ConfigError("online histograms need a power-of-two bin count, got " + std::to_string(bins));
    while ((1 << log2_bins_) < bins) ++log2_bins_;
  }
}

int HistogramCollector::pass() const {
  std::lock_guard<std::mutex> lock(mu_);
  return (mode_ == CollectMode::kOnline || absmax_done_) ? 2 : 1;
}

TensorStats& HistogramCollector::entry(const std::string& key) {
  auto it = stats_.find(key);
  if (it != stats_.end()) return it->second;
  if (mode_ == CollectMode::kTwoPass && absmax_done_)
    throw ConfigError("tensor '" + key +
                      "' was not seen in the absmax pass; pass 2 must see the same tensors as pass 1");
  order_.push_back(key);
  return stats_[key];
}

void HistogramCollector::grow_online(TensorStats& s, float absmax) {
  const int e = range_exponent_above(absmax);
  if (s.histogram.empty()) {
    s.histogram.assign(bins_, 0);
    s.range = std::ldexp(1.0, e);
    return;
  }
  const int old_e = std::ilogb(s.range);
  if (e <= old_e) return;
  fold_bins(s.histogram, e - old_e);
  s.range = std::ldexp(1.0, e);
}

void HistogramCollector::observe(const std::string& key, const float* x, size_t n) {
  if (x == nullptr && n > 0) throw ConfigError("observe('" + key + "'): null data");
  observe_spans(key, {Span{x, n}});
}

void HistogramCollector::observe(const std::string& key, const ncnn::Mat& m) {
  if (m.empty()) throw ConfigError("observe('" + key + "'): empty blob");
  if (m.elemsize != 4u * static_cast<size_t>(m.elempack))
    throw ConfigError("observe('" + key + "'): only fp32 blobs can be observed (elemsize " +
                      std::to_string(m.elemsize) + ", elempack " + std::to_string(m.elempack) + ")");
  const size_t per_channel = static_cast<size_t>(m.w) * m.h * m.d * m.elempack;
  std::vector<Span> spans;
  spans.reserve(m.c);
  for (int q = 0; q < m.c; ++q) spans.push_back(Span{static_cast<const float*>(m.channel(q)), per_channel});
  observe_spans(key, spans);
}

void HistogramCollector::observe_spans(const std::string& key, const std::vector<Span>& spans) {
  std::lock_guard<std::mutex> lock(mu_);
  TensorStats& s = entry(key);
  uint64_t total = 0;
  for (const Span& sp : spans) total += sp.n;

  const bool absmax_pass = mode_ == CollectMode::kOnline || !absmax_done_;
  if (absmax_pass) {
    float absmax = 0.f;
    uint64_t nonfinite = 0;
    for (const Span& sp : spans) {
      const kernels::AbsMaxResult r = kernels::abs_max(sp.data, sp.n);
      absmax = std::max(absmax, r.absmax);
      nonfinite += r.nonfinite;
    }
    s.absmax = std::max(s.absmax, absmax);
    s.elements += total;
    s.nonfinite += nonfinite;
    ++s.observations;
    s.max_observation = std::max<uint64_t>(s.max_observation, total);
    if (mode_ == CollectMode::kTwoPass) return;
    if (absmax > 0.f && (s.histogram.empty() || absmax >= s.range)) grow_online(s, absmax);
    if (s.histogram.empty()) {  // nothing but zeros (and non-finite values) so far
      s.zeros += total - nonfinite;
      return;
    }
  }

  // Histogram: two_pass pass 2 over [0, absmax]; online over the current power-of-two range.
  float scale;
  if (mode_ == CollectMode::kOnline) {
    scale = std::ldexp(1.0f, log2_bins_ - std::ilogb(s.range));
  } else {
    // float(bins) / absmax computed once; an all-zero tensor (range 0) gets +inf, which
    // would put any nonzero value of different pass-2 data in the last bin.
    scale = static_cast<float>(bins_) / static_cast<float>(s.range);
    if (!(scale > 0.f)) scale = INFINITY;
  }
  for (const Span& sp : spans) {
    const kernels::HistogramResult r = kernels::abs_histogram(sp.data, sp.n, scale, s.histogram.data(), bins_);
    s.zeros += r.zeros;
  }
  ++s.hist_observations;
}

void HistogramCollector::finish_absmax_pass() {
  std::lock_guard<std::mutex> lock(mu_);
  if (mode_ != CollectMode::kTwoPass)
    throw ConfigError("finish_absmax_pass() belongs to two_pass mode; online collects in one pass");
  if (absmax_done_) throw ConfigError("finish_absmax_pass() called twice");
  absmax_done_ = true;
  for (auto& kv : stats_) {
    kv.second.range = kv.second.absmax;
    kv.second.histogram.assign(bins_, 0);
  }
}

std::unique_ptr<HistogramCollector> HistogramCollector::fork() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto out = std::make_unique<HistogramCollector>(mode_, bins_);
  out->absmax_done_ = absmax_done_;
  out->order_ = order_;
  for (const auto& kv : stats_) {
    TensorStats t;
    t.absmax = kv.second.absmax;
    t.range = kv.second.range;
    if (!kv.second.histogram.empty()) t.histogram.assign(bins_, 0);
    out->stats_.emplace(kv.first, std::move(t));
  }
  return out;
}

void HistogramCollector::merge(const HistogramCollector& other) {
  if (&other == this) throw ConfigError("a collector cannot be merged into itself");
  std::scoped_lock lock(mu_, other.mu_);
  if (other.mode_ != mode_ || other.bins_ != bins_)
    throw ConfigError(std::string("cannot merge a ") + collect_mode_name(other.mode_) + " collector of " +
                      std::to_string(other.bins_) + " bins into a " + collect_mode_name(mode_) + " collector of " +
                      std::to_string(bins_) + " bins");
  if (other.absmax_done_ != absmax_done_)
    throw ConfigError("cannot merge collectors in different passes (finish_absmax_pass() on one only)");
  for (const std::string& key : other.order_) {
    const TensorStats& o = other.stats_.at(key);
    auto it = stats_.find(key);
    if (it == stats_.end()) {
      order_.push_back(key);
      stats_.emplace(key, o);
      continue;
    }
    TensorStats& s = it->second;
    if (mode_ == CollectMode::kTwoPass && !o.histogram.empty() && !s.histogram.empty() && o.range != s.range)
      throw ConfigError("cannot merge histograms of '" + key +
                        "' over different ranges; fork workers from the collector they merge into");
    s.absmax = std::max(s.absmax, o.absmax);
    s.elements += o.elements;
    s.zeros += o.zeros;
    s.nonfinite += o.nonfinite;
    s.observations += o.observations;
    s.max_observation = std::max(s.max_observation, o.max_observation);
    s.hist_observations += o.hist_observations;
    if (o.histogram.empty()) continue;
    if (s.histogram.empty()) {
      s.histogram = o.histogram;
      s.range = o.range;
      continue;
    }
    std::vector<uint64_t> oh = o.histogram;
    if (mode_ == CollectMode::kOnline) {
      const int se = std::ilogb(s.range), oe = std::ilogb(o.range);
      if (oe > se) {
        fold_bins(s.histogram, oe - se);
        s.range = o.range;
      } else {
        fold_bins(oh, se - oe);
      }
    }
    for (int b = 0; b < bins_; ++b) s.histogram[b] += oh[b];
  }
}

std::unique_ptr<HistogramCollector> HistogramCollector::restore(
    CollectMode mode, int bins, bool absmax_done, const std::vector<std::pair<std::string, TensorStats>>& entries) {
  auto out = std::make_unique<HistogramCollector>(mode, bins);
  if (absmax_done && mode != CollectMode::kTwoPass) throw ConfigError("only a two_pass collector has an absmax pass");
  out->absmax_done_ = absmax_done;
  for (const auto& [key, s] : entries) {
    if (!s.histogram.empty() && s.histogram.size() != static_cast<size_t>(bins))
      throw ConfigError("tensor '" + key + "': histogram of " + std::to_string(s.histogram.size()) +
                        " bins, expected " + std::to_string(bins));
    if (!out->stats_.emplace(key, s).second) throw ConfigError("tensor '" + key + "' appears twice");
    out->order_.push_back(key);
  }
  return out;
}

std::vector<std::string> HistogramCollector::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return order_;
}

bool HistogramCollector::contains(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_.count(key) != 0;
}

TensorStats HistogramCollector::stats(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stats_.find(key);
  if (it == stats_.end()) throw ConfigError("no statistics for tensor '" + key + "'");
  return it->second;
}

}  // namespace ncasr
