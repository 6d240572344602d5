#include "recognizer/stream.h"

#include <cmath>
#include <string>

#include "common/errors.h"

namespace ncasr {

namespace {
constexpr int kMinRate = 4000;
constexpr int kMaxRate = 384000;
}  // namespace

Stream::Stream(const FbankOptions& features, std::vector<ncnn::Mat> initial_states)
    : feature_options_(features), fbank_(features), states_(std::move(initial_states)) {}

void Stream::accept_waveform(int sample_rate, const float* samples, size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) throw AudioError("audio after input_finished(): create a new stream or reset");
  if (sample_rate < kMinRate || sample_rate > kMaxRate)
    throw AudioError("unsupported sample rate " + std::to_string(sample_rate) +
                     " Hz (supported: " + std::to_string(kMinRate) + ".." + std::to_string(kMaxRate) + ")");
  if (input_rate_ != 0 && sample_rate != input_rate_)
    throw AudioError("sample rate changed mid-stream from " + std::to_string(input_rate_) + " to " +
                     std::to_string(sample_rate) + " Hz");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(samples[i]))
      throw AudioError("audio sample " + std::to_string(i) + " is " + (std::isnan(samples[i]) ? "NaN" : "infinite"));
  }
  input_rate_ = sample_rate;
  const int model_rate = static_cast<int>(feature_options_.sample_rate);
  if (sample_rate == model_rate) {
    fbank_.accept_waveform(samples, n);
    return;
  }
  if (!resampler_) resampler_ = std::make_unique<LinearResampler>(sample_rate, model_rate);
  resampled_.clear();
  resampler_->resample(samples, n, false, &resampled_);
  fbank_.accept_waveform(resampled_.data(), resampled_.size());
}

void Stream::input_finished() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  if (resampler_) {
    resampled_.clear();
    resampler_->resample(nullptr, 0, true, &resampled_);
    fbank_.accept_waveform(resampled_.data(), resampled_.size());
  }
  fbank_.input_finished();
  finished_ = true;
}

int Stream::encoder_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return encoder_calls_;
}

bool Stream::is_input_finished() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return finished_;
}

}  // namespace ncasr
