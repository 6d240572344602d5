#pragma once
// Streaming Kaldi-compatible log-mel filterbank, numerically matching kaldi-native-fbank.
// A frame is computed as soon as every sample of its window has arrived; with
// snip_edges=false the last frames (whose windows reach past the end and are filled by
// Kaldi's reflection) come after input_finished(). Any split of the audio into pieces
// gives bit-identical frames: each frame is computed once, from the same samples, by
// the same code.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "features/fbank_options.h"

namespace ncasr {

class OnlineFbank {
 public:
  // Throws std::invalid_argument for bad options.
  explicit OnlineFbank(const FbankOptions& opts);

  // Samples at opts.sample_rate, float in [-1, 1], used unscaled (as kaldi-native-fbank).
  // Throws std::logic_error after input_finished().
  void accept_waveform(const float* samples, size_t n);
  // Makes the final frames ready. Calling it again does nothing.
  void input_finished();

  int num_frames_ready() const { return static_cast<int>(num_ready_); }
  bool is_last_frame(int i) const { return finished_ && i == num_frames_ready() - 1; }
  int dim() const { return dim_; }
  const FbankOptions& options() const { return opts_; }

  // Frame i (absolute index), dim() floats, valid until the next non-const call.
  // Throws std::out_of_range if i was popped or is not ready.
  const float* frame(int i) const;
  // Frees frames with index < n; throws std::out_of_range if n > num_frames_ready().
  void pop(int n);

 private:
  int64_t first_sample(int64_t frame) const;
  int64_t frames_available(int64_t num_samples, bool flush) const;
  void compute_new_frames();
  void compute_frame(int64_t index, float* out);  // no allocation
  void fft_power();                               // frame_ -> power_

  FbankOptions opts_;
  int shift_, length_, padded_, half_, dim_;
  float log_energy_floor_ = 0.f;
  std::vector<float> window_;

  // Mel filters: bin b weights mel_w_[mel_begin_[b] .. mel_begin_[b+1]) on FFT bins
  // mel_first_[b], mel_first_[b]+1, ...
  std::vector<float> mel_w_;
  std::vector<int> mel_begin_, mel_first_;

  // Real FFT of padded_ points = complex FFT of half_ points + split.
  std::vector<int> bitrev_;
  std::vector<double> tw_re_, tw_im_;        // stage with h butterflies: [h, 2h)
  std::vector<double> split_re_, split_im_;  // exp(-2 pi i k / padded_)

  // Scratch, sized once.
  std::vector<float> frame_, power_;
  std::vector<double> zr_, zi_;

  // Audio: samples_[j] is sample samples_offset_ + j; num_samples_ received in all.
  std::vector<float> samples_;
  int64_t samples_offset_ = 0, num_samples_ = 0;
  bool finished_ = false;

  // Frames store_first_ .. num_ready_-1 are in store_ (row-major); < popped_ are freed.
  std::vector<float> store_;
  int64_t store_first_ = 0, popped_ = 0, num_ready_ = 0;
};

}  // namespace ncasr
