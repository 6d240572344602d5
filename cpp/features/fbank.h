#pragma once
// Streaming Kaldi-compatible log-mel filterbank (snip_edges=false semantics): frames
// become ready as soon as every sample of their window has arrived; the last frames,
// whose windows reach past the end, are computed (with Kaldi's reflection) after
// input_finished(). Feeding audio in any piece sizes gives bit-identical frames.
#include <deque>
#include <vector>

#include "features/fbank_options.h"

namespace ncasr {

class OnlineFbank {
 public:
  explicit OnlineFbank(const FbankOptions& opts);

  // Samples at opts.sample_rate, in [-1, 1] (not scaled to int16, as kaldi-native-fbank).
  void accept_waveform(const float* samples, size_t n);
  void input_finished();

  int num_frames_ready() const { return first_frame_ + static_cast<int>(frames_.size()); }
  bool is_last_frame(int i) const { return finished_ && i == num_frames_ready() - 1; }
  int dim() const { return opts_.num_bins; }
  // Frame i (absolute index); throws std::out_of_range if popped or not ready.
  const float* frame(int i) const;
  // Frees frames with index < n.
  void pop(int n);

 private:
  long long first_sample_of_frame(long long i) const;
  void compute_ready_frames();
  void compute_frame(long long index, std::vector<float>* out);

  FbankOptions opts_;
  int shift_, length_, padded_;
  std::vector<float> window_;
  std::vector<std::vector<std::pair<int, float>>> mel_;  // per bin: (fft bin, weight)
  std::vector<double> cos_, sin_;                        // FFT twiddles
  std::vector<int> bitrev_;
  // Scratch (no allocation per frame).
  std::vector<float> buf_;
  std::vector<double> re_, im_;

  std::vector<float> samples_;   // samples from index samples_offset_ on
  long long samples_offset_ = 0;
  long long num_samples_ = 0;    // total received
  bool finished_ = false;
  std::deque<std::vector<float>> frames_;
  int first_frame_ = 0;          // index of frames_.front()
};

}  // namespace ncasr
