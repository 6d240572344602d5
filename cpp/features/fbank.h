#pragma once
// Streaming Kaldi-compatible log-mel filterbank, bit-identical to kaldi-native-fbank 1.23
// (what sherpa-ncnn computes; int8 models quantize the features with a fixed scale, so a
// one-ulp difference can flip an int8 step). Every stage does knf's float operations in
// knf's order, the FFT included (see fft_power). A frame is computed as soon as every
// sample of its window has arrived; with snip_edges=false the last frames (whose windows
// reach past the end and are filled by Kaldi's reflection) come after input_finished().
// Any split of the audio into pieces gives bit-identical frames: each frame is computed
// once, from the same samples, by the same code.
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
  void plan_mel();
  void plan_fft();

  FbankOptions opts_;
  int shift_, length_, padded_, half_, dim_;
  float log_energy_floor_ = 0.f;
  std::vector<float> window_;

  // Mel filters: bin b weights mel_w_[mel_begin_[b] .. mel_begin_[b+1]) on FFT bins
  // mel_first_[b], mel_first_[b]+1, ...
  std::vector<float> mel_w_;
  std::vector<int> mel_begin_, mel_first_;

  // Real FFT of padded_ points = complex float FFT of half_ points (radix 4, one radix-2
  // stage when needed) + split. Stages run innermost first; a stage of radix p and span m
  // combines blocks of p*m points with twiddles w^(j*k), k < m, j < p, stored per stage as
  // re[m], im[m] for j = 1 .. p-1 from fft_tw_[tw].
  struct FftStage {
    int radix, m;
    size_t tw;
  };
  std::vector<FftStage> fft_stages_;
  std::vector<int> fft_perm_;  // buffer slot i starts as complex input point fft_perm_[i]
  std::vector<float> fft_tw_;
  std::vector<float> split_re_, split_im_;  // k = 1 .. half_/2, at [k - 1]

  // Scratch, sized once.
  std::vector<float> frame_, power_;
  std::vector<float> zr_, zi_;

  // Audio: samples_[j] is sample samples_offset_ + j; num_samples_ received in all.
  std::vector<float> samples_;
  int64_t samples_offset_ = 0, num_samples_ = 0;
  bool finished_ = false;

  // Frames store_first_ .. num_ready_-1 are in store_ (row-major); < popped_ are freed.
  std::vector<float> store_;
  int64_t store_first_ = 0, popped_ = 0, num_ready_ = 0;
};

}  // namespace ncasr
