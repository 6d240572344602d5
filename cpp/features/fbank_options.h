#pragma once
// Kaldi fbank settings. The defaults are what icefall models are trained with and what
// sherpa-ncnn computes: 80 bins, 16 kHz, 25 ms / 10 ms, povey window, pre-emphasis 0.97,
// DC removal, no dither, snip_edges false, high_freq -400 (7600 Hz).
#include <stdexcept>
#include <string>

namespace ncasr {

struct FbankOptions {
  float sample_rate = 16000.f;
  int num_bins = 80;
  float frame_shift_ms = 10.f;
  float frame_length_ms = 25.f;
  float preemph_coeff = 0.97f;
  bool remove_dc_offset = true;
  std::string window = "povey";  // povey, hamming, hann, rectangular, blackman
  float low_freq = 20.f;
  float high_freq = -400.f;  // <= 0: offset from Nyquist

  int frame_shift() const { return static_cast<int>(sample_rate * 0.001f * frame_shift_ms); }
  int frame_length() const { return static_cast<int>(sample_rate * 0.001f * frame_length_ms); }
  int padded_length() const {
    int n = 1;
    while (n < frame_length()) n <<= 1;
    return n;
  }
  float effective_high_freq() const { return high_freq > 0 ? high_freq : sample_rate / 2 + high_freq; }

  // Throws std::invalid_argument naming the bad value.
  void validate() const {
    if (!(sample_rate > 0)) throw std::invalid_argument("sample_rate must be > 0");
    if (num_bins < 3) throw std::invalid_argument("num_bins must be >= 3");
    if (frame_shift() < 1 || frame_length() < 2)
      throw std::invalid_argument("frame shift and length must cover at least 1 and 2 samples");
    if (!(low_freq >= 0) || !(effective_high_freq() > low_freq) ||
        effective_high_freq() > sample_rate / 2)
      throw std::invalid_argument("need 0 <= low_freq < high_freq <= Nyquist");
    if (window != "povey" && window != "hamming" && window != "hann" && window != "rectangular" &&
        window != "blackman")
      throw std::invalid_argument("unknown window '" + window + "'");
    if (preemph_coeff < 0 || preemph_coeff > 1)
      throw std::invalid_argument("preemph_coeff must be in [0, 1]");
  }
};

}  // namespace ncasr
