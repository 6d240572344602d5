#include "calibration/calibrator.h"

#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "common/errors.h"

namespace ncasr {

std::string calibration_key(const CalibrationTarget& t) { return t.net + "/" + t.layer; }

namespace {

void check_audio(const std::vector<CalibrationAudio>& audio) {
  if (audio.empty()) throw AudioError("no calibration audio was given");
  for (const auto& a : audio) {
    const std::string who = a.name.empty() ? std::string("calibration audio") : a.name;
    if (a.n == 0) throw AudioError(who + ": empty audio");
    if (a.sample_rate <= 0) throw AudioError(who + ": sample rate must be positive");
    float peak = 0.f;
    for (size_t i = 0; i < a.n; ++i) {
      if (!std::isfinite(a.samples[i])) throw AudioError(who + ": sample " + std::to_string(i) + " is NaN or infinite");
      peak = std::max(peak, std::fabs(a.samples[i]));
    }
    if (peak == 0.f) throw AudioError(who + ": audio is silent (all zeros); it cannot calibrate");
  }
}

// One pass over all utterances, `workers` threads, each with a fork of `main` merged back.
size_t run_pass(const ActivationRunner& runner, const std::vector<CalibrationAudio>& audio,
                const std::vector<std::string>& keys, HistogramCollector& main, int workers, float tail_padding,
                const std::function<void()>& one_done) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> chunks{0};
  std::mutex mu;
  std::exception_ptr failure;
  auto work = [&]() {
    try {
      auto local = main.fork();
      for (size_t i = next++; i < audio.size(); i = next++) {
        const auto& a = audio[i];
        chunks += runner.run(
            a.samples, a.n, a.sample_rate, [&](size_t t, const ncnn::Mat& m) { local->observe(keys[t], m); },
            tail_padding);
        one_done();
      }
      std::lock_guard<std::mutex> lock(mu);
      main.merge(*local);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
      next = audio.size();  // the others stop after their current utterance
    }
  };
  const int n = std::max(1, std::min<int>(workers, static_cast<int>(audio.size())));
  if (n == 1) {
    work();
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back(work);
    for (auto& t : threads) t.join();
  }
  if (failure) std::rethrow_exception(failure);
  return chunks;
}

}  // namespace

CalibrationResult calibrate(const ActivationRunner& runner, const std::vector<CalibrationAudio>& audio,
                            const CalibrationOptions& options, const CalibrationProgress& progress) {
  const ThresholdMethod method = parse_threshold_method(options.method);
  const CollectMode mode = parse_collect_mode(options.collect);
  if (options.num_workers < 1) throw ConfigError("num_workers must be >= 1");
  if (!(options.tail_padding >= 0.f)) throw ConfigError("tail_padding must be >= 0");
  check_audio(audio);

  std::vector<std::string> keys;
  for (const auto& t : runner.targets()) keys.push_back(calibration_key(t));
  HistogramCollector collector(mode, options.bins);

  // kl and percentile need histograms; in two_pass mode that is a second pass over the audio.
  const bool needs_histogram = method == ThresholdMethod::kKl || method == ThresholdMethod::kPercentile;
  const int passes = (mode == CollectMode::kTwoPass && needs_histogram) ? 2 : 1;
  const size_t total = audio.size() * passes;
  std::atomic<size_t> done{0};
  std::mutex progress_mu;
  auto one_done = [&]() {
    const size_t d = ++done;
    if (progress) {
      std::lock_guard<std::mutex> lock(progress_mu);
      progress(d, total);
    }
  };

  CalibrationResult result;
  result.utterances = audio.size();
  for (const auto& a : audio) result.audio_seconds += static_cast<double>(a.n) / a.sample_rate;
  result.encoder_chunks = run_pass(runner, audio, keys, collector, options.num_workers, options.tail_padding, one_done);
  if (passes == 2) {
    collector.finish_absmax_pass();
    result.encoder_chunks =
        run_pass(runner, audio, keys, collector, options.num_workers, options.tail_padding, one_done);
  }

  ThresholdOptions topts;
  topts.percent = options.percent;
  for (const auto& key : keys) {
    if (!collector.contains(key)) {
      result.never_ran.push_back(key);
      continue;
    }
    const TensorStats stats = collector.stats(key);
    if (stats.absmax == 0.f) {
      result.zero_inputs.push_back(key);
      continue;
    }
    result.table.set(key, {compute_threshold(key, stats, method, topts).scale});
  }
  if (result.table.size() == 0) throw AudioError("calibration produced no scales: no layer input was ever nonzero");
  return result;
}

ScaleTable table_for_net(const ScaleTable& table, const std::string& net) {
  ScaleTable out;
  const std::string prefix = net + "/";
  for (const auto& key : table.keys())
    if (key.compare(0, prefix.size(), prefix) == 0) out.set(key.substr(prefix.size()), table.get(key));
  return out;
}

}  // namespace ncasr
