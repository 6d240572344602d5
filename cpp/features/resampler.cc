#include "features/resampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace ncasr {

LinearResampler::LinearResampler(int input_rate, int output_rate, int num_zeros)
    : in_rate_(input_rate), out_rate_(output_rate), num_zeros_(num_zeros) {
  if (input_rate <= 0 || output_rate <= 0) throw std::invalid_argument("rates must be > 0");
  const long long g = std::gcd(input_rate, output_rate);
  in_unit_ = input_rate / g;
  out_unit_ = output_rate / g;
  cutoff_ = 0.99 * 0.5 * std::min(input_rate, output_rate);
  window_width_ = num_zeros_ / (2.0 * cutoff_);
  first_index_.resize(out_unit_);
  weights_.resize(out_unit_);
  for (long long i = 0; i < out_unit_; ++i) {
    const double t = static_cast<double>(i) / output_rate;
    const long long lo = static_cast<long long>(std::ceil((t - window_width_) * input_rate));
    const long long hi = static_cast<long long>(std::floor((t + window_width_) * input_rate));
    first_index_[i] = lo;
    for (long long j = lo; j <= hi; ++j)
      weights_[i].push_back(static_cast<float>(filter(static_cast<double>(j) / input_rate - t) / input_rate));
  }
}

double LinearResampler::filter(double t) const {
  if (std::fabs(t) >= window_width_) return 0.0;
  const double window = 0.5 * (1 + std::cos(2 * M_PI * cutoff_ / num_zeros_ * t));
  const double sinc = t != 0 ? std::sin(2 * M_PI * cutoff_ * t) / (M_PI * t) : 2 * cutoff_;
  return sinc * window;
}

long long LinearResampler::num_outputs(long long num_inputs, bool flush) const {
  // Kaldi's count, in "ticks" of the lcm of both rates.
  const long long tick = static_cast<long long>(in_rate_) / std::gcd(in_rate_, out_rate_) * out_rate_;
  long long interval = num_inputs * (tick / in_rate_);
  if (!flush) interval -= static_cast<long long>(std::floor(window_width_ * tick));
  if (interval <= 0) return 0;
  const long long per_out = tick / out_rate_;
  long long last = interval / per_out;
  if (last * per_out == interval) --last;
  return last + 1;
}

void LinearResampler::resample(const float* in, size_t n, bool flush, std::vector<float>* out) {
  pending_.insert(pending_.end(), in, in + n);
  inputs_seen_ += static_cast<long long>(n);
  const long long total = num_outputs(inputs_seen_, flush);
  for (long long k = outputs_done_; k < total; ++k) {
    const long long unit = k / out_unit_, phase = k % out_unit_;
    const long long first = unit * in_unit_ + first_index_[phase];
    const auto& w = weights_[phase];
    double acc = 0;
    for (size_t j = 0; j < w.size(); ++j) {
      const long long idx = first + static_cast<long long>(j);
      if (idx < pending_offset_ || idx >= inputs_seen_) continue;  // zeros outside the input
      acc += w[j] * pending_[static_cast<size_t>(idx - pending_offset_)];
    }
    out->push_back(static_cast<float>(acc));
  }
  outputs_done_ = std::max(outputs_done_, total);
  // Drop inputs no future output reads.
  const long long unit = outputs_done_ / out_unit_, phase = outputs_done_ % out_unit_;
  const long long keep = std::max<long long>(0, unit * in_unit_ + first_index_[phase] - in_unit_);
  if (keep > pending_offset_) {
    const long long drop = std::min<long long>(keep - pending_offset_, static_cast<long long>(pending_.size()));
    pending_.erase(pending_.begin(), pending_.begin() + drop);
    pending_offset_ += drop;
  }
  if (flush) {
    pending_.clear();
    pending_offset_ = inputs_seen_;
  }
}

}  // namespace ncasr
