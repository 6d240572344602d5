#pragma once
// Streaming band-limited resampler with Kaldi's LinearResample design: a Hann-windowed
// sinc, cutoff 0.99 * min(rate)/2, 6 zero crossings each side.
#include <cstddef>
#include <vector>

namespace ncasr {

class LinearResampler {
 public:
  LinearResampler(int input_rate, int output_rate, int num_zeros = 6);

  // Appends the output samples that n more input samples make available to *out; with
  // flush, also those that need input past the end (taken as zeros).
  void resample(const float* in, size_t n, bool flush, std::vector<float>* out);

 private:
  double filter(double t) const;
  long long num_outputs(long long num_inputs, bool flush) const;

  int in_rate_, out_rate_;
  long long in_unit_, out_unit_;  // samples per repeating unit (rates / gcd)
  double cutoff_, window_width_;
  int num_zeros_;
  std::vector<long long> first_index_;       // per output phase: first input it reads
  std::vector<std::vector<float>> weights_;  // per output phase
  std::vector<float> pending_;  // input samples from pending_offset_ on
  long long pending_offset_ = 0;
  long long inputs_seen_ = 0;
  long long outputs_done_ = 0;
};

}  // namespace ncasr
