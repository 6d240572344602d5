#include "features/resampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace ncasr {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

LinearResampler::LinearResampler(int input_rate, int output_rate, int num_zeros)
    : in_rate_(input_rate), out_rate_(output_rate), num_zeros_(num_zeros) {
  if (input_rate <= 0 || output_rate <= 0 || num_zeros <= 0)
    throw std::invalid_argument("LinearResampler: rates and num_zeros must be > 0, got " + std::to_string(input_rate) +
                                ", " + std::to_string(output_rate) + ", " + std::to_string(num_zeros));
  const int64_t g = std::gcd(input_rate, output_rate);
  in_unit_ = input_rate / g;
  out_unit_ = output_rate / g;
  cutoff_ = 0.99 * 0.5 * std::min(input_rate, output_rate);
  window_width_ = num_zeros / (2.0 * cutoff_);

  // Weights for each output phase, evaluated in double (as Kaldi's index arithmetic)
  // and divided by the input rate so the filter has unit gain.
  begin_.push_back(0);
  for (int64_t p = 0; p < out_unit_; ++p) {
    const double t_out = p / static_cast<double>(output_rate);
    const int64_t lo = static_cast<int64_t>(std::ceil((t_out - window_width_) * input_rate));
    const int64_t hi = static_cast<int64_t>(std::floor((t_out + window_width_) * input_rate));
    first_.push_back(lo);
    for (int64_t i = lo; i <= hi; ++i) {
      const double t = i / static_cast<double>(input_rate) - t_out;
      const double window =
          std::fabs(t) < window_width_ ? 0.5 * (1 + std::cos(2 * kPi * cutoff_ / num_zeros * t)) : 0.0;
      const double sinc = t != 0 ? std::sin(2 * kPi * cutoff_ * t) / (kPi * t) : 2 * cutoff_;
      weights_.push_back(static_cast<float>(window * sinc / input_rate));
    }
    begin_.push_back(static_cast<int>(weights_.size()));
  }
}

void LinearResampler::reset() {
  pending_.clear();
  pending_offset_ = inputs_ = outputs_ = 0;
}

int64_t LinearResampler::first_input(int64_t k) const { return first_[k % out_unit_] + (k / out_unit_) * in_unit_; }

int LinearResampler::taps(int64_t k) const {
  const int64_t p = k % out_unit_;
  return begin_[p + 1] - begin_[p];
}

// Kaldi's count, in exact integer "ticks" of 1 / lcm(rates) s: outputs at times before
// the input's end, less the filter's half-width unless flushing.
int64_t LinearResampler::num_outputs(int64_t num_inputs, bool flush) const {
  const int64_t tick_freq = static_cast<int64_t>(in_rate_) / std::gcd(in_rate_, out_rate_) * out_rate_;
  int64_t ticks = num_inputs * (tick_freq / in_rate_);
  if (!flush) ticks -= static_cast<int64_t>(std::floor(window_width_ * tick_freq));
  if (ticks <= 0) return 0;
  const int64_t per_output = tick_freq / out_rate_;
  int64_t last = ticks / per_output;
  if (last * per_output == ticks) --last;  // open interval [0, end)
  return last + 1;
}

void LinearResampler::resample(const float* in, size_t n, bool flush, std::vector<float>* out) {
  if (n > 0) pending_.insert(pending_.end(), in, in + n);
  inputs_ += static_cast<int64_t>(n);
  int64_t target = num_outputs(inputs_, flush);
  // Guard against rounding at the window edge: never read input that has not arrived.
  while (!flush && target > outputs_ && first_input(target - 1) + taps(target - 1) > inputs_) --target;
  if (target > outputs_) out->reserve(out->size() + static_cast<size_t>(target - outputs_));

  for (int64_t k = outputs_; k < target; ++k) {
    const int64_t first = first_input(k);
    const int len = taps(k);
    const float* w = weights_.data() + begin_[k % out_unit_];
    double acc = 0;
    if (first >= pending_offset_ && first + len <= inputs_) {
      const float* x = pending_.data() + (first - pending_offset_);
      for (int j = 0; j < len; ++j) acc += static_cast<double>(w[j]) * x[j];
    } else {  // near the start or past a flushed end: missing input is zero
      for (int j = 0; j < len; ++j) {
        const int64_t i = first + j;
        if (i < 0 || i >= inputs_) continue;
        if (i < pending_offset_) throw std::logic_error("LinearResampler: input already dropped");
        acc += static_cast<double>(w[j]) * pending_[i - pending_offset_];
      }
    }
    out->push_back(static_cast<float>(acc));
  }
  outputs_ = target;

  if (flush) {
    reset();
    return;
  }
  // Drop input that no later output reads.
  const int64_t keep_from = std::max<int64_t>(0, std::min(first_input(outputs_), inputs_));
  if (keep_from > pending_offset_) {
    pending_.erase(pending_.begin(), pending_.begin() + (keep_from - pending_offset_));
    pending_offset_ = keep_from;
  }
}

}  // namespace ncasr
