#pragma once
// Streaming band-limited resampler with the design of Kaldi's LinearResample: each output
// sample is a Hann-windowed sinc over the input, cutoff 0.99 * min(rates) / 2, num_zeros
// zero crossings each side; input before the start and after a flush counts as zero.
// Output k sits at time k / output_rate. Any split of the input gives identical output.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ncasr {

class LinearResampler {
 public:
  // Throws std::invalid_argument for non-positive rates or num_zeros.
  LinearResampler(int input_rate, int output_rate, int num_zeros = 6);

  // Appends to *out the output samples that n more input samples complete. With flush,
  // the input ends here: the remaining outputs are appended and the state is reset for a
  // new signal.
  void resample(const float* in, size_t n, bool flush, std::vector<float>* out);
  void reset();

  int input_rate() const { return in_rate_; }
  int output_rate() const { return out_rate_; }

 private:
  int64_t num_outputs(int64_t num_inputs, bool flush) const;
  int64_t first_input(int64_t k) const;  // first input index output k reads
  int taps(int64_t k) const;

  int in_rate_, out_rate_, num_zeros_;
  int64_t in_unit_, out_unit_;    // the pattern repeats every in_unit_ / out_unit_ samples
  double cutoff_, window_width_;  // Hz, seconds
  // Per output phase p = k % out_unit_: first input index (for k = p) and weights.
  std::vector<int64_t> first_;
  std::vector<int> begin_;  // weights_[begin_[p] .. begin_[p+1])
  std::vector<float> weights_;

  std::vector<float> pending_;  // pending_[j] is input sample pending_offset_ + j
  int64_t pending_offset_ = 0, inputs_ = 0, outputs_ = 0;
};

}  // namespace ncasr
