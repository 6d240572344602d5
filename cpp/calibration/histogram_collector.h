#pragma once
// Streaming per-tensor statistics for activation calibration, keyed by name (the consuming
// layer, as ncnn2table keys its table). Two schemes:
//  - two_pass (ncnn2table): pass 1 records absmax; finish_absmax_pass() fixes each
//    histogram's range to [0, absmax]; pass 2 (the same data again) fills the histogram.
//  - online: one pass. The range is the smallest power of two above the absmax seen so far;
//    when a larger value arrives the range doubles (as often as needed) and pairs of bins
//    merge. Power-of-two ranges make bin edges nest, so the result does not depend on the
//    order of the data or on how it was split between threads.
// Memory is `bins` counters per tensor whatever the amount of data.
//
// Threads: every method takes the collector's lock, so one collector may be shared; for
// throughput give each worker its own (fork()) and merge() them into the main one.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ncnn {
class Mat;
}

namespace ncasr {

enum class CollectMode { kTwoPass, kOnline };

// ConfigError for anything but "two_pass" / "online".
CollectMode parse_collect_mode(const std::string& name);
const char* collect_mode_name(CollectMode mode);

struct TensorStats {
  float absmax = 0.f;               // largest finite |x|
  uint64_t elements = 0;            // values seen (pass 1 in two_pass)
  uint64_t zeros = 0;               // exact zeros among the values histogrammed
  uint64_t nonfinite = 0;           // NaN / inf among them (skipped)
  uint64_t observations = 0;        // observe() calls
  uint64_t max_observation = 0;     // most values in one observe() (ACIQ's N)
  double range = 0.0;               // histogram covers [0, range); 0 before it exists
  std::vector<uint64_t> histogram;  // empty until the range is known
  uint64_t hist_observations = 0;   // observe() calls that filled the histogram
};

class HistogramCollector {
 public:
  explicit HistogramCollector(CollectMode mode = CollectMode::kTwoPass, int bins = 2048);

  CollectMode mode() const { return mode_; }
  int bins() const { return bins_; }
  // 1 while collecting absmax (two_pass), 2 after finish_absmax_pass(); online: always 2.
  int pass() const;

  // One sample of one tensor. A ncnn::Mat may be channel-padded; only real values count.
  void observe(const std::string& key, const float* x, size_t n);
  void observe(const std::string& key, const ncnn::Mat& m);

  // two_pass: ends pass 1. ConfigError in online mode or when called twice.
  void finish_absmax_pass();

  // An empty collector with this one's mode, pass, keys and ranges: a worker's own.
  std::unique_ptr<HistogramCollector> fork() const;

  // Adds `other`'s counts (same mode, bins and pass; two_pass ranges must match).
  void merge(const HistogramCollector& other);

  // A collector holding exactly `entries` (in that key order), in pass 2 of two_pass when
  // `absmax_done`: how a collector's state() travels to another process. ConfigError when a
  // key repeats or a histogram is neither empty nor `bins` long.
  static std::unique_ptr<HistogramCollector> restore(CollectMode mode, int bins, bool absmax_done,
                                                     const std::vector<std::pair<std::string, TensorStats>>& entries);

  std::vector<std::string> keys() const;  // in first-seen order
  bool contains(const std::string& key) const;
  TensorStats stats(const std::string& key) const;  // a copy; ConfigError if unknown

 private:
  struct Span {
    const float* data;
    size_t n;
  };
  void observe_spans(const std::string& key, const std::vector<Span>& spans);
  TensorStats& entry(const std::string& key);  // creates in pass 1 / online
  void grow_online(TensorStats& s, float absmax);

  CollectMode mode_;
  int bins_;
  int log2_bins_ = 0;
  bool absmax_done_ = false;
  mutable std::mutex mu_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, TensorStats> stats_;
};

}  // namespace ncasr
